package column

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// ParsePath reads a JSON path as reader columns write it: a.a1, b, c[1], d[0].AA,
// x[0][1], [0].id. Surrounding spaces are ignored; an empty path is an error.
func ParsePath(s string) ([]Step, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return nil, errors.New("empty path")
	}
	return parsePath(t)
}

// JSONPaths is a set of JSON paths located together in one pass over a document, with
// the same scanner (and the same rules: validation of the whole document, last duplicate
// key wins, depth limit) the Mapper uses. It is immutable and safe for concurrent use.
type JSONPaths struct {
	root *node
	n    int
}

// NewJSONPaths compiles paths; path i's value is reported in spans[i] by Scan. An empty
// path selects the whole document.
func NewJSONPaths(paths ...[]Step) *JSONPaths {
	p := &JSONPaths{root: &node{}, n: len(paths)}
	for i, path := range paths {
		p.root.add(path, i)
	}
	return p
}

// Len is the number of paths.
func (p *JSONPaths) Len() int { return p.n }

// Scan validates doc as one JSON document and sets spans[i] to where path i's value lies
// (Span{} when absent). spans must have at least Len elements. A syntax error is returned
// with its byte offset.
func (p *JSONPaths) Scan(doc []byte, spans []Span) error {
	if len(spans) < p.n {
		return errors.New("column: JSONPaths.Scan: spans shorter than the number of paths")
	}
	clear(spans[:p.n])
	return scan(doc, p.root, spans, false)
}

// ScanValid is Scan for a document its reader validated already (the Kafka trigger decoder
// validates the JSON values it hands over, record.Record.ValueJSON): the same spans, without
// checking strings again. Structure is still followed, so a document that is not valid after
// all gives an error or wrong spans, never a panic.
func (p *JSONPaths) ScanValid(doc []byte, spans []Span) error {
	if len(spans) < p.n {
		return errors.New("column: JSONPaths.ScanValid: spans shorter than the number of paths")
	}
	clear(spans[:p.n])
	return scan(doc, p.root, spans, true)
}

// Leaves validates doc as one JSON document and calls fn for every leaf: each member of an
// object whose value is not a non-empty object is a leaf (scalars, arrays and {} are
// leaves; arrays are not entered); members of nested objects are reached with their key
// path. keys are the decoded object keys from the top (valid only during the call, never
// to be modified); raw is the leaf's JSON text. A document that is not an object is one
// leaf with no keys. Duplicate keys are reported each time they occur. fn's error stops
// the walk and is returned as is.
func Leaves(doc []byte, fn func(keys [][]byte, raw []byte) error) error {
	w := walker{s: scanner{d: doc}, fn: fn}
	s := &w.s
	s.ws()
	if s.i == len(doc) {
		if len(doc) == 0 {
			return &jsonError{"empty input", 0}
		}
		return &jsonError{"only whitespace", s.i}
	}
	if err := w.value(); err != nil {
		return err
	}
	s.ws()
	if s.i != len(doc) {
		return s.bad("after top-level value")
	}
	return nil
}

type walker struct {
	s    scanner
	keys [][]byte
	fn   func(keys [][]byte, raw []byte) error
}

func (w *walker) value() error {
	s := &w.s
	start := s.i
	if s.i < len(s.d) && s.d[s.i] == '{' {
		if empty, err := w.object(); err != nil || !empty {
			return err
		}
		return w.fn(w.keys, s.d[start:s.i])
	}
	if err := s.value(nil); err != nil {
		return err
	}
	return w.fn(w.keys, s.d[start:s.i])
}

// object walks an object's members; it reports whether the object was empty.
func (w *walker) object() (bool, error) {
	s := &w.s
	if s.depth++; s.depth > maxDepth {
		return false, &jsonError{"exceeded max depth", s.i}
	}
	s.i++
	s.ws()
	if s.i < len(s.d) && s.d[s.i] == '}' {
		s.i++
		s.depth--
		return true, nil
	}
	for {
		if s.i >= len(s.d) {
			return false, s.eof()
		}
		if s.d[s.i] != '"' {
			return false, s.bad("looking for beginning of object key string")
		}
		ks := s.i
		esc, err := s.str()
		if err != nil {
			return false, err
		}
		kb := s.d[ks+1 : s.i-1]
		if esc {
			kb = unescape(kb)
		}
		s.ws()
		if s.i >= len(s.d) || s.d[s.i] != ':' {
			return false, s.bad("after object key")
		}
		s.i++
		s.ws()
		w.keys = append(w.keys, kb)
		err = w.value()
		w.keys = w.keys[:len(w.keys)-1]
		if err != nil {
			return false, err
		}
		s.ws()
		if s.i >= len(s.d) {
			return false, s.eof()
		}
		switch s.d[s.i] {
		case ',':
			s.i++
			s.ws()
		case '}':
			s.i++
			s.depth--
			return false, nil
		default:
			return false, s.bad("after object key:value pair")
		}
	}
}

// JSONLen is the length of one valid JSON value: the number of elements of an array, of
// members of an object (duplicates counted), or of characters of a string. ok is false
// for numbers, booleans and null.
func JSONLen(raw []byte) (n int, ok bool) {
	if len(raw) == 0 {
		return 0, false
	}
	switch raw[0] {
	case '"':
		if !hasEscape(raw) {
			return utf8.RuneCount(raw[1 : len(raw)-1]), true
		}
		return utf8.RuneCount(AppendUnquoted(nil, raw)), true
	case '[', '{':
	default:
		return 0, false
	}
	s := scanner{d: raw, i: 1}
	s.ws()
	if s.i < len(raw) && (raw[s.i] == ']' || raw[s.i] == '}') {
		return 0, true
	}
	for {
		if raw[0] == '{' {
			if _, err := s.str(); err != nil {
				return 0, false
			}
			s.ws()
			s.i++ // ':'
			s.ws()
		}
		if err := s.value(nil); err != nil {
			return 0, false
		}
		n++
		s.ws()
		if s.i >= len(raw) || raw[s.i] != ',' {
			return n, true
		}
		s.i++
		s.ws()
	}
}

func hasEscape(b []byte) bool {
	for _, c := range b {
		if c == '\\' {
			return true
		}
	}
	return false
}
