package column

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
)

// The JSON paths of a mapper form a trie. One pass over the value validates the whole
// document and records, for each path, where its selected value lies; subtrees no path
// enters are only validated, never decoded, so nothing is built per record.

// node is one position in the path trie.
type node struct {
	keys  map[string]*node
	names []string // the keys in insertion order: few keys are found faster by a scan
	kids  []*node  // children of names
	idx   map[int]*node
	cols  []int // path slots that end here
	sub   []int // every path slot at or below here
}

// maxScannedKeys is how many keys a node looks up by a scan rather than its map.
const maxScannedKeys = 8

// child is the node under key k, or nil.
func (n *node) child(k []byte) *node {
	if len(n.names) <= maxScannedKeys {
		for i, name := range n.names {
			if name == string(k) {
				return n.kids[i]
			}
		}
		return nil
	}
	return n.keys[string(k)]
}

func (n *node) add(path []Step, slot int) {
	n.sub = append(n.sub, slot)
	if len(path) == 0 {
		n.cols = append(n.cols, slot)
		return
	}
	st := path[0]
	var child *node
	if st.IsIndex {
		if n.idx == nil {
			n.idx = map[int]*node{}
		}
		if child = n.idx[st.Index]; child == nil {
			child = &node{}
			n.idx[st.Index] = child
		}
	} else {
		if n.keys == nil {
			n.keys = map[string]*node{}
		}
		if child = n.keys[st.Key]; child == nil {
			child = &node{}
			n.keys[st.Key] = child
			n.names = append(n.names, st.Key)
			n.kids = append(n.kids, child)
		}
	}
	child.add(path[1:], slot)
}

// Span is where a path's value lies in a document: d[Start:End]. End == 0 means the path
// was not found. Len is the number of elements of an array or of members of an object
// (duplicate keys counted), 0 for other values.
type Span struct{ Start, End, Len int }

// Found reports whether the path was present in the document.
func (s Span) Found() bool { return s.End > 0 }

type span = Span

// maxDepth is the nesting limit, the same as encoding/json's.
const maxDepth = 10000

// jsonError is a syntax error at a byte offset.
type jsonError struct {
	msg string
	off int
}

func (e *jsonError) Error() string { return fmt.Sprintf("%s at offset %d", e.msg, e.off) }

type scanner struct {
	d     []byte
	i     int
	depth int
	count int // elements or members of the object or array scanned last
	spans []span
	valid bool // d is known to be valid JSON: strings need no checks
}

// scan validates d as one JSON document and fills spans (indexed by path slot) for root.
func scan(d []byte, root *node, spans []span, valid bool) error {
	s := scanner{d: d, spans: spans, valid: valid}
	s.ws()
	if s.i == len(d) {
		if len(d) == 0 {
			return &jsonError{"empty input", 0}
		}
		return &jsonError{"only whitespace", s.i}
	}
	if err := s.value(root); err != nil {
		return err
	}
	s.ws()
	if s.i != len(d) {
		return s.bad("after top-level value")
	}
	return nil
}

func (s *scanner) ws() {
	for s.i < len(s.d) {
		switch s.d[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) eof() error { return &jsonError{"unexpected end of input", s.i} }

func (s *scanner) bad(context string) error {
	if s.i >= len(s.d) {
		return s.eof()
	}
	c := s.d[s.i]
	if c < utf8.RuneSelf {
		return &jsonError{fmt.Sprintf("invalid character %q %s", c, context), s.i}
	}
	return &jsonError{fmt.Sprintf("invalid byte 0x%02X %s", c, context), s.i}
}

func (s *scanner) value(n *node) error {
	if s.i >= len(s.d) {
		return s.eof()
	}
	if s.valid && (n == nil || n.keys == nil && n.idx == nil) {
		if c := s.d[s.i]; n == nil || c == '{' || c == '[' {
			return s.skip(n)
		}
	}
	start := s.i
	var err error
	count := 0
	switch c := s.d[s.i]; {
	case c == '{':
		err = s.object(n)
		count = s.count
	case c == '[':
		err = s.array(n)
		count = s.count
	case c == '"':
		if !s.valid {
			_, err = s.checkStr()
		} else if _, ok := s.skipStr(); !ok {
			err = s.eof()
		}
	case c == '-' || (c >= '0' && c <= '9'):
		err = s.number()
	case c == 't':
		err = s.lit("true")
	case c == 'f':
		err = s.lit("false")
	case c == 'n':
		err = s.lit("null")
	default:
		err = s.bad("looking for beginning of value")
	}
	if err != nil {
		return err
	}
	if n != nil {
		for _, c := range n.cols {
			s.spans[c] = span{Start: start, End: s.i, Len: count}
		}
	}
	return nil
}

// skip moves past the value at s.i of a document known to be valid, one no path goes
// below (n is nil, or a node whose paths end here), without walking it member by member:
// strings by skipStr, brackets counted by their depth (the depth limit still applies),
// anything else up to the next delimiter. For an object or array it sets n's spans with
// the number of its members or elements: the commas at its first level, plus one unless
// it is empty (duplicate keys are counted, as in object). A scalar n selects is not
// skipped here but scanned by value, so what a path selects is still checked for shape.
// A document that is not valid after all gives an error or wrong spans, never a read
// out of bounds nor an empty value.
func (s *scanner) skip(n *node) error {
	d, i := s.d, s.i
	start, count := i, 0
	switch d[i] {
	case '"':
		if _, ok := s.skipStr(); !ok {
			return s.eof()
		}
		i = s.i
	case '{', '[':
		if s.depth+1 > maxDepth {
			return &jsonError{"exceeded max depth", i}
		}
		i++
		for i < len(d) && (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r') {
			i++
		}
		if i < len(d) && (d[i] == '}' || d[i] == ']') {
			i++
			break
		}
		count = 1
		// skipStr's loop is repeated here for the strings inside: most are short (keys, ids),
		// and the call would cost as much as the scan.
		quote, bslash, one, top := stopWords[0], stopWords[1], stopWords[3], stopWords[4]
		for depth := 1; ; {
			if i >= len(d) {
				s.i = i
				return s.eof()
			}
			switch d[i] {
			case '"':
				for i++; ; {
					for n := len(d) - 8; i <= n && i >= 0; i += 8 {
						x := binary.LittleEndian.Uint64(d[i:])
						q, b := x^quote, x^bslash
						if m := ((q-one)&^q | (b-one)&^b) & top; m != 0 {
							i += bits.TrailingZeros64(m) >> 3
							break
						}
					}
					if i >= len(d) {
						s.i = len(d)
						return s.eof()
					}
					if d[i] == '"' {
						break
					}
					if d[i] == '\\' {
						i++
					}
					i++
				}
			case '{', '[':
				if depth++; s.depth+depth > maxDepth {
					s.i = i
					return &jsonError{"exceeded max depth", i}
				}
			case '}', ']':
				depth--
			case ',':
				if depth == 1 {
					count++
				}
			}
			i++
			if depth == 0 {
				break
			}
		}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 't', 'f', 'n':
		for i++; i < len(d); i++ {
			if c := d[i]; c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				break
			}
		}
	default:
		return s.bad("looking for beginning of value")
	}
	s.i = i
	if n != nil {
		for _, c := range n.cols {
			s.spans[c] = span{Start: start, End: i, Len: count}
		}
	}
	return nil
}

func (s *scanner) object(n *node) error {
	if s.depth++; s.depth > maxDepth {
		return &jsonError{"exceeded max depth", s.i}
	}
	s.i++
	s.ws()
	if s.i < len(s.d) && s.d[s.i] == '}' {
		s.i++
		s.depth--
		s.count = 0
		return nil
	}
	var err error
	for k := 1; ; k++ {
		if s.i >= len(s.d) {
			return s.eof()
		}
		if s.d[s.i] != '"' {
			return s.bad("looking for beginning of object key string")
		}
		ks := s.i
		var esc bool
		if s.valid { // skipStr without str's call around it: keys are most of the strings
			var ok bool
			if esc, ok = s.skipStr(); !ok {
				return s.eof()
			}
		} else if esc, err = s.checkStr(); err != nil {
			return err
		}
		var child *node
		if n != nil && n.keys != nil {
			kb := s.d[ks+1 : s.i-1]
			if esc && s.valid {
				// A key is unescaped to be matched: check it even in a document said to
				// be valid, so a wrong claim cannot make unescaping read past it.
				s.i, s.valid = ks, false
				_, err = s.str()
				s.valid = true
				if err != nil {
					return err
				}
			}
			if esc {
				kb = unescape(kb)
			}
			child = n.child(kb)
		}
		s.ws()
		if s.i >= len(s.d) || s.d[s.i] != ':' {
			return s.bad("after object key")
		}
		s.i++
		s.ws()
		if child != nil {
			// A repeated key replaces the earlier value entirely (last wins).
			for _, c := range child.sub {
				s.spans[c] = span{}
			}
		}
		if err := s.value(child); err != nil {
			return err
		}
		s.ws()
		if s.i >= len(s.d) {
			return s.eof()
		}
		switch s.d[s.i] {
		case ',':
			s.i++
			s.ws()
		case '}':
			s.i++
			s.depth--
			s.count = k
			return nil
		default:
			return s.bad("after object key:value pair")
		}
	}
}

func (s *scanner) array(n *node) error {
	if s.depth++; s.depth > maxDepth {
		return &jsonError{"exceeded max depth", s.i}
	}
	s.i++
	s.ws()
	if s.i < len(s.d) && s.d[s.i] == ']' {
		s.i++
		s.depth--
		s.count = 0
		return nil
	}
	for k := 0; ; k++ {
		var child *node
		if n != nil && n.idx != nil {
			child = n.idx[k]
		}
		if err := s.value(child); err != nil {
			return err
		}
		s.ws()
		if s.i >= len(s.d) {
			return s.eof()
		}
		switch s.d[s.i] {
		case ',':
			s.i++
			s.ws()
		case ']':
			s.i++
			s.depth--
			s.count = k + 1
			return nil
		default:
			return s.bad("after array element")
		}
	}
}

// str scans a string starting at its opening quote and reports whether it has escapes.
func (s *scanner) str() (bool, error) {
	if s.valid {
		if esc, ok := s.skipStr(); ok {
			return esc, nil
		}
		return false, s.eof()
	}
	return s.checkStr()
}

// checkStr is str for a document not known to be valid.
func (s *scanner) checkStr() (bool, error) {
	end, esc := ScanString(s.d, s.i+1)
	if end < len(s.d) && s.d[end] == '"' {
		s.i = end + 1
		return esc, nil
	}
	// ScanString stopped at the string's first fault.
	s.i = end
	switch {
	case end >= len(s.d):
		return esc, s.eof()
	case s.d[end] == '\\':
		s.i++
		if s.i >= len(s.d) {
			return esc, s.eof()
		}
		if s.d[s.i] != 'u' {
			return esc, s.bad("in string escape code")
		}
		for s.i++; s.i < len(s.d) && s.i < end+6; s.i++ {
			if !isHex(s.d[s.i]) {
				return esc, s.bad("in \\u hexadecimal character escape")
			}
		}
		return esc, s.eof()
	case s.d[end] >= utf8.RuneSelf:
		return esc, &jsonError{"invalid UTF-8 in string", s.i}
	default: // a control character
		return esc, s.bad("in string literal")
	}
}

// skipStr moves past a string of a document known to be valid: to the first quote no
// backslash escapes, eight bytes at a time, without checking escapes, control characters
// or UTF-8. ok is false when the string does not end.
func (s *scanner) skipStr() (esc, ok bool) {
	d, i := s.d, s.i+1
	// As in ScanString: the words in registers, the loop without bounds checks.
	quote, bslash, one, top := stopWords[0], stopWords[1], stopWords[3], stopWords[4]
	for i < len(d) {
		for n := len(d) - 8; i <= n && i >= 0; i += 8 {
			x := binary.LittleEndian.Uint64(d[i:])
			q, b := x^quote, x^bslash
			if m := ((q-one)&^q | (b-one)&^b) & top; m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
		}
		if i >= len(d) {
			break
		}
		switch d[i] {
		case '"':
			s.i = i + 1
			return esc, true
		case '\\':
			esc = true
			i += 2
		default:
			i++
		}
	}
	s.i = len(d)
	return esc, false // unterminated
}

// ScanString moves over the text of a JSON string from d[i], the byte after its opening
// quote, checking it as it goes: it returns the index of the closing quote and whether the
// text holds escapes. A string that is not well-formed makes it stop at its first fault:
//   - len(d): the string does not end;
//   - a '\\' that starts an escape JSON does not have, or one cut short by the end of d;
//   - a control character (below 0x20);
//   - a byte of 0x80 or above: the first byte of a sequence that is not UTF-8.
//
// So the string is well-formed exactly when end < len(d) and d[end] == '"'. Plain ASCII text
// is looked at eight bytes at a time (JSON strings are most of the text the functions read);
// escapes and multi-byte UTF-8 sequences are checked where they stand, so the text is read
// once.
func ScanString(d []byte, i int) (end int, esc bool) {
	if i < 0 {
		return len(d), false // no text: the string does not end
	}
	// The words of stopMask, held in registers across the loop (as constants they would
	// be loaded again for each word). The function calls nothing, so nothing spills.
	quote, bslash, ctl, one, top := stopWords[0], stopWords[1], stopWords[2], stopWords[3], stopWords[4]
	for {
		for n := len(d) - 8; i <= n && i >= 0; i += 8 {
			x := binary.LittleEndian.Uint64(d[i:])
			if m := stopMask(x, quote, bslash, ctl, one, top); m != 0 {
				// The lowest mark is exact: step to it.
				i += bits.TrailingZeros64(m) >> 3
				goto stop
			}
		}
		for ; i < len(d); i++ {
			if c := d[i]; c == '"' || c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
				goto stop
			}
		}
		return i, esc
	stop:
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
				if i+6 > len(d) || !isHex(d[i+2]) || !isHex(d[i+3]) || !isHex(d[i+4]) || !isHex(d[i+5]) {
					return i, esc
				}
				i += 6
			default:
				return i, esc
			}
		case c < 0x20:
			return i, esc
		// A multi-byte UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, nothing
		// above U+10FFFF), checked here rather than in a function, which would make the
		// loop's registers spill on every call of ScanString.
		case c < 0xC2:
			return i, esc
		case c < 0xE0:
			if i+1 >= len(d) || d[i+1]&0xC0 != 0x80 {
				return i, esc
			}
			i += 2
		case c < 0xF0:
			if i+2 >= len(d) {
				return i, esc
			}
			c1 := d[i+1]
			if c1&0xC0 != 0x80 || (c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F) || d[i+2]&0xC0 != 0x80 {
				return i, esc
			}
			i += 3
		case c < 0xF5:
			if i+3 >= len(d) {
				return i, esc
			}
			c1 := d[i+1]
			if c1&0xC0 != 0x80 || (c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 > 0x8F) || d[i+2]&0xC0 != 0x80 || d[i+3]&0xC0 != 0x80 {
				return i, esc
			}
			i += 4
		default:
			return i, esc
		}
	}
}

// Byte-parallel tests over the eight bytes of a word (see "Bit Twiddling Hacks").
const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// stopWords are the words of stopMask: '"', '\\' and 0x20 in every byte, then lsb and msb.
// They are variables, not constants, so that a loop holds them in registers instead of
// loading them again for every word.
var stopWords = [5]uint64{lsb * '"', lsb * '\\', lsb * 0x20, lsb, msb}

// stopMask marks (with the byte's top bit) the bytes of x that a string scan must stop at:
// '"', '\\', a control character (< 0x20) or a byte of 0x80 and above, given stopWords.
// Bytes above the lowest marked one may be marked wrongly (borrows propagate upwards); the
// lowest mark is exact, and a word without marks has no such byte. (The subtractions mark a
// byte of 0x80 or above wrongly only where its own top bit marks it anyway.)
func stopMask(x, quote, bslash, ctl, one, top uint64) uint64 {
	return (x | (x - ctl) | ((x ^ quote) - one) | ((x ^ bslash) - one)) & top
}

func (s *scanner) digits() int {
	n := 0
	for s.i < len(s.d) && s.d[s.i] >= '0' && s.d[s.i] <= '9' {
		s.i++
		n++
	}
	return n
}

func (s *scanner) number() error {
	if s.d[s.i] == '-' {
		s.i++
	}
	if s.i >= len(s.d) {
		return s.eof()
	}
	switch c := s.d[s.i]; {
	case c == '0':
		s.i++
	case c >= '1' && c <= '9':
		s.digits()
	default:
		return s.bad("in numeric literal")
	}
	if s.i < len(s.d) && s.d[s.i] == '.' {
		s.i++
		if s.digits() == 0 {
			return s.bad("after decimal point in numeric literal")
		}
	}
	if s.i < len(s.d) && (s.d[s.i] == 'e' || s.d[s.i] == 'E') {
		s.i++
		if s.i < len(s.d) && (s.d[s.i] == '+' || s.d[s.i] == '-') {
			s.i++
		}
		if s.digits() == 0 {
			return s.bad("in exponent of numeric literal")
		}
	}
	return nil
}

func (s *scanner) lit(word string) error {
	for k := 0; k < len(word); k++ {
		if s.i >= len(s.d) {
			return s.eof()
		}
		if s.d[s.i] != word[k] {
			return s.bad("in literal " + word + " (expecting '" + word[k:k+1] + "')")
		}
		s.i++
	}
	return nil
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func hexVal(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c-'a') + 10
	}
	return rune(c-'A') + 10
}

func getu4(b []byte) rune {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' || !isHex(b[2]) || !isHex(b[3]) || !isHex(b[4]) || !isHex(b[5]) {
		return -1
	}
	return hexVal(b[2])<<12 | hexVal(b[3])<<8 | hexVal(b[4])<<4 | hexVal(b[5])
}

// unescape decodes the contents of a scanned (valid) JSON string, as encoding/json does:
// invalid surrogates become U+FFFD.
func unescape(b []byte) []byte {
	return AppendUnescaped(make([]byte, 0, len(b)), b)
}

// AppendUnescaped appends the decoded contents of a valid JSON string (without its quotes) to
// out; invalid surrogate escapes become U+FFFD, as in encoding/json.
func AppendUnescaped(out, b []byte) []byte {
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], '\\')
		if j < 0 {
			return append(out, b[i:]...)
		}
		out = append(out, b[i:i+j]...)
		i += j
		switch b[i+1] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := getu4(b[i:])
			i += 6
			if utf16.IsSurrogate(r) {
				if r2 := getu4(b[i:]); r2 >= 0 {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						out = utf8.AppendRune(out, dec)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
			continue
		default: // '"', '\\', '/'
			out = append(out, b[i+1])
		}
		i += 2
	}
	return out
}

// compact removes insignificant whitespace from valid JSON text; it returns b itself when
// there is none.
func compact(b []byte) []byte {
	var out []byte
	inStr, esc := false, false
	for i, c := range b {
		if inStr {
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
		} else {
			switch c {
			case '"':
				inStr = true
			case ' ', '\t', '\n', '\r':
				if out == nil {
					out = make([]byte, i, len(b))
					copy(out, b[:i])
				}
				continue
			}
		}
		if out != nil {
			out = append(out, c)
		}
	}
	if out == nil {
		return b
	}
	return out
}

const jsonHexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string literal: quotes, backslashes and control
// characters escaped (\n \r \t short, others as \u00XX), invalid UTF-8 as U+FFFD.
func AppendJSONString[T string | []byte](dst []byte, s T) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', jsonHexDigits[c>>4], jsonHexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
