package trigger

import (
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/fcsync/fcsync/shared/column"
)

// jsonScanner walks a JSON text in place, one member or element at a time,
// without building values: strings are returned as slices of the input,
// nested values are validated and either skipped or appended in compact form.
// It is what keeps DecodeKafka at one pass over each value with no per-field
// allocation (encoding/json would validate, copy into a RawMessage and then
// compact: three passes and an allocation per value).
//
// Errors are *syntaxError values carrying the byte offset into b.
type jsonScanner struct {
	b []byte
	i int
	// stable: b outlives the decode and is never changed, so values may be
	// slices of it instead of copies.
	stable bool
	// spaced is set when ws skipped a blank (a value with blanks is not compact).
	spaced bool
}

// maxJSONDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxJSONDepth = 10000

type syntaxError struct {
	off int
	msg string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("malformed JSON at byte %d: %s", e.off, e.msg)
}

func (s *jsonScanner) fail(format string, args ...any) error {
	return &syntaxError{off: s.i, msg: fmt.Sprintf(format, args...)}
}

// ws skips blanks.
func (s *jsonScanner) ws() {
	for s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c > ' ': // the usual case: compact JSON
			return
		case c == ' ', c == '\t', c == '\n', c == '\r':
			s.i++
			s.spaced = true
		default:
			return
		}
	}
}

// peek returns the next non-blank byte, or 0 at the end.
func (s *jsonScanner) peek() byte {
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

// describe names the next byte for an error message.
func (s *jsonScanner) describe() string {
	if s.i >= len(s.b) {
		return "end of input"
	}
	c := s.b[s.i]
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("%q", c)
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

// end checks that nothing but blanks follows.
func (s *jsonScanner) end() error {
	s.ws()
	if s.i != len(s.b) {
		return s.fail("data after the top-level value")
	}
	return nil
}

// member moves to the next member of an object whose '{' was consumed (first
// is true before the first call) and returns its name, unescaped into buf if
// needed. ok is false once the closing '}' was consumed.
func (s *jsonScanner) member(first *bool, buf *[]byte) (name []byte, ok bool, err error) {
	// The usual case, compact JSON: `"name":` or `,"name":` and a name without escapes.
	if b, i := s.b, s.i; i < len(b) {
		if b[i] == ',' && !*first {
			i++
		}
		if i < len(b) && b[i] == '"' && (i > s.i) != *first {
			e, escaped := column.ScanString(b, i+1)
			if e+1 < len(b) && b[e] == '"' && b[e+1] == ':' && !escaped {
				*first = false
				s.i = e + 2
				s.ws()
				return b[i+1 : e], true, nil
			}
		}
	}
	c := s.peek()
	if c == '}' {
		s.i++
		return nil, false, nil
	}
	if !*first {
		if c != ',' {
			return nil, false, s.fail("want ',' or '}' after an object member, got %s", s.describe())
		}
		s.i++
		c = s.peek()
	}
	*first = false
	if c != '"' {
		return nil, false, s.fail("want a member name, got %s", s.describe())
	}
	raw, escaped, err := s.str()
	if err != nil {
		return nil, false, err
	}
	if escaped {
		*buf = unescape((*buf)[:0], raw)
		raw = *buf
	}
	if s.peek() != ':' {
		return nil, false, s.fail("want ':' after a member name, got %s", s.describe())
	}
	s.i++
	s.ws()
	return raw, true, nil
}

// element moves to the next element of an array whose '[' was consumed; ok is
// false once the closing ']' was consumed.
func (s *jsonScanner) element(first *bool) (ok bool, err error) {
	c := s.peek()
	if c == ']' {
		s.i++
		return false, nil
	}
	if !*first {
		if c != ',' {
			return false, s.fail("want ',' or ']' after an array element, got %s", s.describe())
		}
		s.i++
		s.ws()
	}
	*first = false
	return true, nil
}

// open consumes the opening bracket c ('{' or '[') after blanks.
func (s *jsonScanner) open(c byte) bool {
	if s.peek() != c {
		return false
	}
	s.i++
	return true
}

// str reads a string at s.i (which holds '"') and returns its raw content
// between the quotes; escaped reports whether it holds escapes to undo.
func (s *jsonScanner) str() (raw []byte, escaped bool, err error) {
	start := s.i + 1
	end, escaped := column.ScanString(s.b, start)
	if end < len(s.b) && s.b[end] == '"' {
		s.i = end + 1
		return s.b[start:end], escaped, nil
	}
	return nil, false, s.strFault(start, end)
}

// strFault describes the fault column.ScanString stopped at, end, in the string
// whose text starts at start.
func (s *jsonScanner) strFault(start, end int) error {
	switch {
	case end >= len(s.b):
		s.i = start - 1
		return s.fail("unterminated string")
	case s.b[end] == '\\':
		s.i = end
		switch {
		case end+1 >= len(s.b):
			return s.fail("unterminated string")
		case s.b[end+1] == 'u':
			return s.fail(`bad \u escape in string`)
		}
		return s.fail("bad escape in string")
	case s.b[end] < 0x20:
		s.i = end
		return s.fail("control character 0x%02x in string", s.b[end])
	}
	s.i = start
	return s.fail("string is not valid UTF-8")
}

// unescape appends the text of a string's raw content (already validated by
// str) to dst. Unpaired surrogates become U+FFFD, as with encoding/json.
func unescape(dst, raw []byte) []byte { return column.AppendUnescaped(dst, raw) }

// kind names the JSON kind of the value at s.i for error messages.
func (s *jsonScanner) kind() string { return kindOf(s.b[s.i:]) }

// value validates the value at s.i and moves past it. With dst non-nil the
// value is appended to *dst in compact form (blanks outside strings dropped).
func (s *jsonScanner) value(dst *[]byte, depth int) error {
	if dst == nil {
		if end, spaced, ok := skipValue(s.b, s.i, depth); ok {
			s.i = end
			s.spaced = s.spaced || spaced
			return nil
		}
		// Malformed: the walk below finds the fault and describes it.
	}
	return s.walk(dst, depth)
}

// walk is value taken a token at a time: it appends the compact form to dst
// and describes what is wrong with a malformed value.
func (s *jsonScanner) walk(dst *[]byte, depth int) error {
	if depth > maxJSONDepth {
		return s.fail("nested deeper than %d levels", maxJSONDepth)
	}
	s.ws()
	if s.i >= len(s.b) {
		return s.fail("want a value, got end of input")
	}
	start := s.i
	switch c := s.b[s.i]; c {
	case '"':
		if _, _, err := s.str(); err != nil {
			return err
		}
	case '{':
		s.i++
		if dst != nil {
			*dst = append(*dst, '{')
		}
		first := true
		for {
			c := s.peek()
			if c == '}' {
				s.i++
				break
			}
			if !first {
				if c != ',' {
					return s.fail("want ',' or '}' after an object member, got %s", s.describe())
				}
				s.i++
				s.ws()
				if dst != nil {
					*dst = append(*dst, ',')
				}
			}
			first = false
			if s.peek() != '"' {
				return s.fail("want a member name, got %s", s.describe())
			}
			ks := s.i
			if _, _, err := s.str(); err != nil {
				return err
			}
			if dst != nil {
				*dst = append(*dst, s.b[ks:s.i]...)
			}
			if s.peek() != ':' {
				return s.fail("want ':' after a member name, got %s", s.describe())
			}
			s.i++
			if dst != nil {
				*dst = append(*dst, ':')
			}
			if err := s.walk(dst, depth+1); err != nil {
				return err
			}
		}
		if dst != nil {
			*dst = append(*dst, '}')
		}
		return nil
	case '[':
		s.i++
		if dst != nil {
			*dst = append(*dst, '[')
		}
		first := true
		for {
			c := s.peek()
			if c == ']' {
				s.i++
				break
			}
			if !first {
				if c != ',' {
					return s.fail("want ',' or ']' after an array element, got %s", s.describe())
				}
				s.i++
				if dst != nil {
					*dst = append(*dst, ',')
				}
			}
			first = false
			if err := s.walk(dst, depth+1); err != nil {
				return err
			}
		}
		if dst != nil {
			*dst = append(*dst, ']')
		}
		return nil
	case 't':
		if err := s.literal("true"); err != nil {
			return err
		}
	case 'f':
		if err := s.literal("false"); err != nil {
			return err
		}
	case 'n':
		if err := s.literal("null"); err != nil {
			return err
		}
	default:
		if c != '-' && (c < '0' || c > '9') {
			return s.fail("want a value, got %s", s.describe())
		}
		if _, err := s.number(); err != nil {
			return err
		}
	}
	if dst != nil {
		*dst = append(*dst, s.b[start:s.i]...)
	}
	return nil
}

func (s *jsonScanner) literal(word string) error {
	if len(s.b)-s.i < len(word) || string(s.b[s.i:s.i+len(word)]) != word {
		return s.fail("want a value, got %s", s.describe())
	}
	s.i += len(word)
	return nil
}

// number reads a JSON number and returns its text.
func (s *jsonScanner) number() (text []byte, err error) {
	start := s.i
	end, fault := numberEnd(s.b, s.i)
	if fault != "" {
		s.i = end
		return nil, s.fail("%s", fault)
	}
	s.i = end
	return s.b[start:end], nil
}

// numberEnd returns the index just past the JSON number at b[i], or the index
// of its fault and what is wrong.
func numberEnd(b []byte, i int) (int, string) {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(b, i+1)
	default:
		return i, "bad number"
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return j, "bad number: no digits after '.'"
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return j, "bad number: no digits in the exponent"
		}
		i = j
	}
	return i, ""
}

// digits returns the index of the first byte at or after i that is not a digit.
func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// skipValue validates the JSON value at b[i] (blanks before it allowed) at
// nesting depth depth and returns the index just past it, and whether there
// were blanks. It is value's fast path: a tight loop over local indexes that
// only says whether the value is well-formed (ok); a malformed value is walked
// again to describe its fault.
func skipValue(b []byte, i, depth int) (end int, spaced, ok bool) {
	if depth > maxJSONDepth {
		return i, false, false
	}
	if i < len(b) && b[i] <= ' ' {
		i, spaced = blanks(b, i)
	}
	if i >= len(b) {
		return i, spaced, false
	}
	if c := b[i]; c == '{' || c == '[' {
		var sp bool
		i, sp, ok = skipContainer(b, i, depth)
		return i, spaced || sp, ok
	}
	i, ok = skipScalar(b, i)
	return i, spaced, ok
}

// blanks skips JSON blanks from b[i] and reports whether there were any.
func blanks(b []byte, i int) (int, bool) {
	j := i
	for j < len(b) && (b[j] == ' ' || b[j] == '\n' || b[j] == '\r' || b[j] == '\t') {
		j++
	}
	return j, j > i
}

// skipScalar moves past the string, number or literal at b[i] (i < len(b)).
func skipScalar(b []byte, i int) (int, bool) {
	switch c := b[i]; c {
	case '"':
		end, _ := column.ScanString(b, i+1)
		return end + 1, end < len(b) && b[end] == '"'
	case 't':
		return i + 4, len(b)-i >= 4 && string(b[i:i+4]) == "true"
	case 'f':
		return i + 5, len(b)-i >= 5 && string(b[i:i+5]) == "false"
	case 'n':
		return i + 4, len(b)-i >= 4 && string(b[i:i+4]) == "null"
	default:
		end, fault := numberEnd(b, i)
		return end, fault == ""
	}
}

// skipContainer is skipValue for the object or array at b[i]: its members
// and elements are at depth+1.
func skipContainer(b []byte, i, depth int) (end int, spaced, ok bool) {
	closer := byte(']')
	obj := b[i] == '{'
	if obj {
		closer = '}'
	}
	var sp bool
	if i++; i < len(b) && b[i] <= ' ' {
		i, spaced = blanks(b, i)
	}
	if i < len(b) && b[i] == closer {
		return i + 1, spaced, true
	}
	if depth >= maxJSONDepth {
		return i, spaced, false // a member or element would be too deep
	}
	for {
		if obj {
			if i >= len(b) || b[i] != '"' {
				return i, spaced, false
			}
			e, _ := column.ScanString(b, i+1)
			if e >= len(b) || b[e] != '"' {
				return e, spaced, false
			}
			if i = e + 1; i < len(b) && b[i] <= ' ' {
				i, sp = blanks(b, i)
				spaced = spaced || sp
			}
			if i >= len(b) || b[i] != ':' {
				return i, spaced, false
			}
			if i++; i < len(b) && b[i] <= ' ' {
				i, sp = blanks(b, i)
				spaced = spaced || sp
			}
		}
		if i >= len(b) {
			return i, spaced, false
		}
		switch c := b[i]; {
		case c == '"': // skipScalar's most common cases, without the call
			e, _ := column.ScanString(b, i+1)
			if e >= len(b) || b[e] != '"' {
				return e, spaced, false
			}
			i = e + 1
		case c >= '0' && c <= '9' || c == '-':
			var fault string
			if i, fault = numberEnd(b, i); fault != "" {
				return i, spaced, false
			}
		case c == '{' || c == '[':
			i, sp, ok = skipContainer(b, i, depth+1)
			spaced = spaced || sp
			if !ok {
				return i, spaced, false
			}
		default:
			if i, ok = skipScalar(b, i); !ok {
				return i, spaced, false
			}
		}
		if i < len(b) && b[i] <= ' ' {
			i, sp = blanks(b, i)
			spaced = spaced || sp
		}
		if i >= len(b) {
			return i, spaced, false
		}
		switch b[i] {
		case ',':
			if i++; i < len(b) && b[i] <= ' ' {
				i, sp = blanks(b, i)
				spaced = spaced || sp
			}
		case closer:
			return i + 1, spaced, true
		default:
			return i, spaced, false
		}
	}
}

// errNotInteger and friends are the value errors the field readers report.
var (
	errNotInteger = errors.New("not an integer")
	errOverflow   = errors.New("out of range")
)

// parseInt reads a JSON number's text as an int64: digits with an optional
// minus sign, no fraction or exponent.
func parseInt(text []byte) (int64, error) {
	neg := false
	if len(text) > 0 && text[0] == '-' {
		neg = true
		text = text[1:]
	}
	if len(text) == 0 {
		return 0, errNotInteger
	}
	var n uint64
	for _, c := range text {
		if c < '0' || c > '9' {
			return 0, errNotInteger
		}
		if n > (1<<63)/10 {
			return 0, errOverflow
		}
		n = n*10 + uint64(c-'0')
	}
	switch {
	case !neg && n > 1<<63-1, neg && n > 1<<63:
		return 0, errOverflow
	case neg:
		return -int64(n), nil
	}
	return int64(n), nil
}

// appendBase64 decodes standard base64 (padding optional; URL-safe letters
// accepted) onto dst.
func appendBase64(dst, src []byte) ([]byte, error) {
	enc := base64.StdEncoding
	padded := len(src)%4 == 0
	for _, c := range src {
		if c == '-' || c == '_' {
			enc = base64.URLEncoding
			break
		}
	}
	if !padded {
		enc = enc.WithPadding(base64.NoPadding)
	}
	n := len(dst)
	dst = append(dst, make([]byte, enc.DecodedLen(len(src)))...)
	m, err := enc.Decode(dst[n:], src)
	if err != nil {
		return dst[:n], err
	}
	return dst[:n+m], nil
}
