package column

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind says what a reader column reads.
type Kind uint8

// The kinds of reader column.
const (
	KindAttribute Kind = iota + 1 // one of the six __x__ attribute columns
	KindConstant                  // a quoted constant
	KindPath                      // a JSON path into the value
)

// Attr is one of the Kafka record attribute columns.
type Attr uint8

// The attribute columns, in the order DataWorks lists them.
const (
	AttrKey Attr = iota + 1
	AttrValue
	AttrPartition
	AttrHeaders
	AttrOffset
	AttrTimestamp
)

var attrNames = [...]string{AttrKey: "__key__", AttrValue: "__value__", AttrPartition: "__partition__",
	AttrHeaders: "__headers__", AttrOffset: "__offset__", AttrTimestamp: "__timestamp__"}

// String is the attribute's column name, e.g. __key__.
func (a Attr) String() string {
	if a >= AttrKey && a <= AttrTimestamp {
		return attrNames[a]
	}
	return "Attr(" + strconv.Itoa(int(a)) + ")"
}

// Step is one step of a JSON path: an object key, or an array index when IsIndex.
type Step struct {
	Key     string
	Index   int
	IsIndex bool
}

// Spec is one parsed reader column.
type Spec struct {
	Kind  Kind
	Attr  Attr   // KindAttribute
	Const string // KindConstant: the text between the quotes
	Path  []Step // KindPath
}

// maxIndex bounds array indexes in paths so they always fit an int.
const maxIndex = 1<<31 - 1

// Parse reads one reader column as written in a job. Surrounding spaces are ignored.
func Parse(s string) (Spec, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return Spec{}, fmt.Errorf("column %q: empty", s)
	}
	for a := AttrKey; a <= AttrTimestamp; a++ {
		if t == attrNames[a] {
			return Spec{Kind: KindAttribute, Attr: a}, nil
		}
	}
	if t[0] == '\'' {
		if len(t) < 2 || t[len(t)-1] != '\'' {
			return Spec{}, fmt.Errorf("column %q: constant has no closing quote '", s)
		}
		return Spec{Kind: KindConstant, Const: t[1 : len(t)-1]}, nil
	}
	path, err := parsePath(t)
	if err != nil {
		return Spec{}, fmt.Errorf("column %q: %w", s, err)
	}
	return Spec{Kind: KindPath, Path: path}, nil
}

func parsePath(t string) ([]Step, error) {
	var path []Step
	i := 0
	for i < len(t) {
		switch c := t[i]; c {
		case '[':
			j := strings.IndexByte(t[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("'[' at position %d has no closing ']'", i)
			}
			num := t[i+1 : i+j]
			n, ok := parseIndex(num)
			if !ok {
				return nil, fmt.Errorf("array index %q at position %d is not a non-negative integer", num, i)
			}
			path = append(path, Step{Index: n, IsIndex: true})
			i += j + 1
			if i < len(t) && t[i] != '.' && t[i] != '[' {
				return nil, fmt.Errorf("unexpected %q after ']' at position %d", t[i], i)
			}
			if i < len(t) && t[i] == '.' {
				i++
				if i == len(t) {
					return nil, fmt.Errorf("path ends with '.'")
				}
				if t[i] == '.' || t[i] == '[' {
					return nil, fmt.Errorf("empty key at position %d", i)
				}
			}
		case ']':
			return nil, fmt.Errorf("unexpected ']' at position %d", i)
		case '.':
			return nil, fmt.Errorf("empty key at position %d", i)
		default:
			j := i
			for j < len(t) && t[j] != '.' && t[j] != '[' && t[j] != ']' {
				j++
			}
			path = append(path, Step{Key: t[i:j]})
			i = j
			if i < len(t) && t[i] == '.' {
				i++
				if i == len(t) {
					return nil, fmt.Errorf("path ends with '.'")
				}
				if t[i] == '.' || t[i] == '[' || t[i] == ']' {
					return nil, fmt.Errorf("empty key at position %d", i)
				}
			}
		}
	}
	return path, nil
}

func parseIndex(s string) (int, bool) {
	if s == "" || len(s) > 10 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, n <= maxIndex
}

// String renders the column the way Parse reads it.
func (s Spec) String() string {
	switch s.Kind {
	case KindAttribute:
		return s.Attr.String()
	case KindConstant:
		return "'" + s.Const + "'"
	case KindPath:
		var b strings.Builder
		for i, st := range s.Path {
			if st.IsIndex {
				b.WriteByte('[')
				b.WriteString(strconv.Itoa(st.Index))
				b.WriteByte(']')
				continue
			}
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(st.Key)
		}
		return b.String()
	}
	return ""
}
