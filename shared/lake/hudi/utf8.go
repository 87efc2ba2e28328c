package hudi

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// validUTF8 reports whether s is valid UTF-8, as utf8.ValidString does. utf8.ValidString skips
// ASCII eight bytes at a time only until the first multi-byte rune and checks the rest of the
// string byte by byte; text with a few non-ASCII words (a café in an order note) spends most
// of its check there. validUTF8 steps over ASCII sixteen bytes at a time, checks a multi-byte
// rune where it meets one and goes back to sixteen bytes at a time after it.
func validUTF8(s string) bool {
	const hi = 0x8080808080808080
	n := len(s)
	p := unsafe.Pointer(unsafe.StringData(s)) // read only
	for i := 0; i < n; {
		if i+16 <= n {
			blk := (*[16]byte)(unsafe.Add(p, i)) // within s: no bounds checks
			w1, w2 := binary.LittleEndian.Uint64(blk[:8])&hi, binary.LittleEndian.Uint64(blk[8:])&hi
			if w1|w2 == 0 {
				i += 16
				continue
			}
			if w1 != 0 { // step to the first byte of the rune
				i += bits.TrailingZeros64(w1) >> 3
			} else {
				i += 8 + bits.TrailingZeros64(w2)>>3
			}
		} else if s[i] < 0x80 {
			i++
			continue
		}
		// A multi-byte rune (the ranges of the Unicode standard's table 3-7).
		c := s[i]
		switch {
		case c < 0xC2:
			return false
		case c < 0xE0:
			if i+1 >= n || s[i+1]&0xC0 != 0x80 {
				return false
			}
			i += 2
		case c < 0xF0:
			lo, up := byte(0x80), byte(0xBF)
			if c == 0xE0 {
				lo = 0xA0
			} else if c == 0xED {
				up = 0x9F
			}
			if i+2 >= n || s[i+1] < lo || s[i+1] > up || s[i+2]&0xC0 != 0x80 {
				return false
			}
			i += 3
		case c < 0xF5:
			lo, up := byte(0x80), byte(0xBF)
			if c == 0xF0 {
				lo = 0x90
			} else if c == 0xF4 {
				up = 0x8F
			}
			if i+3 >= n || s[i+1] < lo || s[i+1] > up || s[i+2]&0xC0 != 0x80 || s[i+3]&0xC0 != 0x80 {
				return false
			}
			i += 4
		default:
			return false
		}
	}
	return true
}
