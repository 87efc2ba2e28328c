package column

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// scanStringByBytes is ScanString written plainly, a byte (or a rune) at a time: the
// reference the fast scan must agree with.
func scanStringByBytes(d []byte, i int) (int, bool) {
	esc := false
	for i < len(d) {
		switch c := d[i]; {
		case c == '"':
			return i, esc
		case c == '\\':
			esc = true
			if i+1 >= len(d) {
				return i, esc
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d) {
					return i, esc
				}
				for _, h := range d[i+2 : i+6] {
					if !strings.ContainsRune("0123456789abcdefABCDEF", rune(h)) {
						return i, esc
					}
				}
				i += 6
			default:
				return i, esc
			}
		case c < 0x20:
			return i, esc
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(d[i:])
			if r == utf8.RuneError && size == 1 {
				return i, esc
			}
			i += size
		}
	}
	return i, esc
}

func TestScanStringStopsAtTheFirstFault(t *testing.T) {
	tests := []struct {
		name, text string
		end        int // -1: len(text)
		esc        bool
	}{
		{"empty", `"`, 0, false},
		{"ascii", `hello world, a longer text"x`, 26, false},
		{"escapes", `a\"b\\c\/d\b\f\n\r\t\u00e9\uD83D\uDE00"`, 38, true},
		{"two-byte", "caf\u00e9 na\u00efve\"", 12, false},
		{"three-byte", "\u6771\u4eac and more text\"", 20, false},
		{"four-byte", "smile \U0001F600 done\"", 15, false},
		{"max code point", "\U0010FFFF\"", 4, false},
		{"unterminated", `abcdefghijklmnop`, -1, false},
		{"unterminated after escape", `abc\n`, -1, true},
		{"backslash at the end", `abcdefgh\`, 8, true},
		{"bad escape", `abcdefgh\x"`, 8, true},
		{"bad unicode escape", `ab\u12g4"`, 2, true},
		{"short unicode escape", `ab\u12`, 2, true},
		{"control character", "abcdefghij\x01\"", 10, false},
		{"tab", "ab\tc\"", 2, false},
		{"lone continuation byte", "abcdefghi\x80\"", 9, false},
		{"overlong two-byte", "ab\xc1\xbf\"", 2, false},
		{"overlong three-byte", "ab\xe0\x9f\xbf\"", 2, false},
		{"surrogate", "abcdefgh\xed\xa0\x80\"", 8, false},
		{"above U+10FFFF", "ab\xf4\x90\x80\x80\"", 2, false},
		{"bad lead byte", "ab\xf5\x80\x80\x80\"", 2, false},
		{"truncated at the quote", "ab\xe6\x9d\"", 2, false},
		{"truncated at the end", "abcdefgh\xe6\x9d", 8, false},
		{"invalid after an escape", "a\\n\xff\"", 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.end
			if want < 0 {
				want = len(tt.text)
			}
			end, esc := ScanString([]byte(tt.text), 0)
			if end != want || esc != tt.esc {
				t.Errorf("ScanString(%q) = %d, %v; want %d, %v", tt.text, end, esc, want, tt.esc)
			}
			// Starting further in (at an index of a longer slice) changes nothing.
			end, _ = ScanString([]byte("xyz"+tt.text), 3)
			if end != want+3 {
				t.Errorf("ScanString from index 3 = %d, want %d", end, want+3)
			}
		})
	}
}

// FuzzScanString checks ScanString against the byte-at-a-time scan, and what it accepts
// against encoding/json.
func FuzzScanString(f *testing.F) {
	for _, s := range []string{`plain text"`, `a\"b\\c\u00e9"`, "caf\u00e9 \u6771\u4eac \U0001F600\"", "a\xffb\"", "\xed\xa0\x80\"", `\u12`, "abcdefgh\x1f\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, d []byte) {
		end, esc := ScanString(d, 0)
		if wantEnd, wantEsc := scanStringByBytes(d, 0); end != wantEnd || esc != wantEsc {
			t.Fatalf("ScanString(%q) = %d, %v; want %d, %v", d, end, esc, wantEnd, wantEsc)
		}
		if end < len(d) && d[end] == '"' {
			var s string
			if err := json.Unmarshal(append([]byte{'"'}, d[:end+1]...), &s); err != nil {
				t.Fatalf("ScanString accepted %q: encoding/json says %v", d[:end], err)
			}
		}
	})
}

// FuzzAppendUnescapedMatchesEncodingJSON decodes every valid JSON string the fuzzer finds
// with AppendUnescaped (onto a non-empty prefix) and with encoding/json: the same text.
func FuzzAppendUnescapedMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{`""`, `"plain"`, `"a\"b\\c\/d\be\ff\ng\rh\ti"`, `"\u00e9\u6771"`, `"\ud83d\ude00"`,
		`"\ud83d"`, `"\ude00x"`, `"\ud83d\u0041"`, `"tail\\"`, `"\\\\\\"`, `"naïve 東京 \"q\""`,
		`"0123456\n01234567\t0123456789abcdef\u00e9abcdefgh\ud83d\ude00ABCDEFGH12345678"`, `"01234567\\"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, lit []byte) {
		var want string
		if len(lit) < 2 || lit[0] != '"' || json.Unmarshal(lit, &want) != nil {
			return
		}
		if end, _ := ScanString(lit, 1); end != len(lit)-1 {
			return // not one string (or one encoding/json accepts with invalid UTF-8)
		}
		got := AppendUnescaped([]byte("prefix"), lit[1:len(lit)-1])
		if string(got) != "prefix"+want {
			t.Fatalf("AppendUnescaped(%q) = %q, encoding/json gives %q", lit, got[6:], want)
		}
	})
}

// BenchmarkAppendUnescapedNote decodes the workload's 600-byte note (escapes every fifty
// bytes or so, non-ASCII text) into a reused buffer.
func BenchmarkAppendUnescapedNote(b *testing.B) {
	doc := []byte(shopOrder)
	at := strings.Index(shopOrder, `"note":"`) + len(`"note":"`)
	note := doc[at : len(doc)-2]
	buf := make([]byte, 0, 1024)
	b.SetBytes(int64(len(note)))
	for b.Loop() {
		buf = AppendUnescaped(buf[:0], note)
	}
}
