package column

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fcsync/fcsync/shared/record"
	"github.com/fcsync/fcsync/shared/schema"
)

// AttributeColumns are the six attribute columns with the types DataWorks' "Generate
// Destination Table Schema" gives them.
func AttributeColumns() []schema.Column {
	return []schema.Column{
		{Name: "__key__", Type: schema.String, Comment: "Kafka record key"},
		{Name: "__value__", Type: schema.String, Comment: "Kafka record value"},
		{Name: "__partition__", Type: schema.BigInt, Comment: "Kafka partition"},
		{Name: "__headers__", Type: schema.String, Comment: "Kafka record headers as a JSON object"},
		{Name: "__offset__", Type: schema.BigInt, Comment: "Kafka offset"},
		{Name: "__timestamp__", Type: schema.BigInt, Comment: "Kafka record timestamp, epoch milliseconds"},
	}
}

// Config is a Kafka Reader column list and its mapping onto a destination table.
type Config struct {
	Columns     []string // reader columns, as written in the job
	KeyType     string   // keyType; "" is STRING
	ValueType   string   // valueType; "" is STRING
	Encoding    string   // encoding of STRING keys, values and header values; "" is UTF-8
	Table       schema.Table
	Dest        []string       // destination column per reader column; empty = all of Table's columns in order
	EmptyAsNull bool           // empty text or bytes become NULL
	Location    *time.Location // time zone for times without one and for DATE; nil is UTC
}

type mapping struct {
	spec   Spec
	source string // as written
	dst    int
	name   string
	typ    schema.Type
	slot   int // KindPath: index into spans
	konst  any // KindConstant: the converted constant
}

// Mapper turns records into rows of one table. It is safe for concurrent use.
type Mapper struct {
	cols      []mapping
	width     int
	key       Codec
	value     Codec
	text      Codec // header values
	root      *node // nil without JSON paths
	nPaths    int
	firstPath int // index in cols of the first path column
	conv      converter
	needKey   bool
	needValue bool
}

// NewMapper checks the configuration and builds a mapper. Errors name the offending field.
func NewMapper(cfg Config) (*Mapper, error) {
	tbl := cfg.Table
	if len(tbl.Columns) == 0 {
		return nil, fmt.Errorf("table %s: no columns", tbl.Name)
	}
	if len(cfg.Columns) == 0 {
		return nil, errors.New("column: no reader columns")
	}
	dest := cfg.Dest
	if len(dest) == 0 {
		dest = make([]string, len(tbl.Columns))
		for i, c := range tbl.Columns {
			dest[i] = c.Name
		}
	}
	if len(dest) != len(cfg.Columns) {
		return nil, fmt.Errorf("column: %d reader columns but %d destination columns in table %s (the mapping is positional)",
			len(cfg.Columns), len(dest), tbl.Name)
	}
	kt, err := ParseDataType(cfg.KeyType)
	if err != nil {
		return nil, fmt.Errorf("keyType: %w", err)
	}
	vt, err := ParseDataType(cfg.ValueType)
	if err != nil {
		return nil, fmt.Errorf("valueType: %w", err)
	}
	text, err := NewCodec("STRING", cfg.Encoding)
	if err != nil {
		return nil, fmt.Errorf("encoding: %w", err)
	}
	m := &Mapper{
		width:     len(tbl.Columns),
		key:       Codec{typ: kt, cs: text.cs, encName: text.encName},
		value:     Codec{typ: vt, cs: text.cs, encName: text.encName},
		text:      text,
		firstPath: -1,
		conv:      converter{loc: cfg.Location, emptyAsNull: cfg.EmptyAsNull},
	}
	if m.conv.loc == nil {
		m.conv.loc = time.UTC
	}
	usedBy := make(map[int]int, len(dest))
	for i, src := range cfg.Columns {
		spec, err := Parse(src)
		if err != nil {
			return nil, fmt.Errorf("column[%d]: %w", i, err)
		}
		d := tbl.Index(strings.TrimSpace(dest[i]))
		if d < 0 {
			return nil, fmt.Errorf("column[%d] %q: destination column %q is not in table %s", i, src, dest[i], tbl.Name)
		}
		if j, dup := usedBy[d]; dup {
			return nil, fmt.Errorf("column[%d] %q: destination column %s is already mapped from column[%d] %q",
				i, src, tbl.Columns[d].Name, j, cfg.Columns[j])
		}
		usedBy[d] = i
		col := tbl.Columns[d]
		if _, err := schema.ParseType(string(col.Type)); err != nil {
			return nil, fmt.Errorf("destination column %s: %w", col.Name, err)
		}
		mp := mapping{spec: spec, source: strings.TrimSpace(src), dst: d, name: col.Name, typ: col.Type, slot: -1}
		switch spec.Kind {
		case KindConstant:
			v, reason := m.conv.convert(val{k: kText, b: []byte(spec.Const)}, col.Type)
			if reason != "" {
				return nil, fmt.Errorf("column[%d] %q: constant cannot be written to %s column %s: %s", i, src, col.Type, col.Name, reason)
			}
			mp.konst = v
		case KindPath:
			if vt != TypeString && vt != TypeByteArray {
				return nil, fmt.Errorf("column[%d] %q: JSON paths need valueType STRING or BYTEARRAY, not %s", i, src, vt)
			}
			if m.root == nil {
				m.root = &node{}
				m.firstPath = len(m.cols)
			}
			mp.slot = m.nPaths
			m.root.add(spec.Path, mp.slot)
			m.nPaths++
		case KindAttribute:
			switch spec.Attr {
			case AttrKey:
				m.needKey = true
			case AttrValue:
				m.needValue = true
			}
		}
		m.cols = append(m.cols, mp)
	}
	return m, nil
}

// Width is the row length Map produces: the number of table columns.
func (m *Mapper) Width() int { return m.width }

// maxStackPaths is how many JSON paths Map tracks without allocating.
const maxStackPaths = 16

// Map fills row (reusing its backing array when large enough) from r and returns it.
// Destination columns no reader column feeds are NULL. A value that cannot be converted
// returns a nil row and a *DirtyError.
func (m *Mapper) Map(r *record.Record, row schema.Row) (schema.Row, error) {
	if r == nil {
		return nil, errors.New("column: nil record")
	}
	if cap(row) >= m.width {
		row = row[:m.width]
		clear(row)
	} else {
		row = make(schema.Row, m.width)
	}
	var key, value val
	if m.needKey && r.Key != nil {
		var err error
		if key, err = m.key.decode(r.Key); err != nil {
			return nil, m.dirtyFor(AttrKey, r.Key, "key: "+err.Error())
		}
	}
	if (m.needValue || m.root != nil) && r.Value != nil {
		var err error
		if value, err = m.value.decode(r.Value); err != nil {
			c := m.attrCol(AttrValue)
			if c == nil {
				c = &m.cols[m.firstPath]
			}
			return nil, &DirtyError{Column: c.name, Source: c.source, Value: shorten(r.Value), Reason: "value: " + err.Error()}
		}
	}
	var stack [maxStackPaths]span
	var spans []span
	var doc []byte
	if m.root != nil && r.Value != nil {
		doc = value.b
		if m.nPaths <= maxStackPaths {
			spans = stack[:m.nPaths]
		} else {
			spans = make([]span, m.nPaths)
		}
		if err := scan(doc, m.root, spans, false); err != nil {
			c := &m.cols[m.firstPath]
			return nil, &DirtyError{Column: c.name, Source: c.source, Value: shorten(doc), Reason: "value is not JSON: " + err.Error()}
		}
	}
	for i := range m.cols {
		c := &m.cols[i]
		var v val
		switch c.spec.Kind {
		case KindConstant:
			if b, ok := c.konst.([]byte); ok {
				row[c.dst] = append([]byte(nil), b...)
			} else {
				row[c.dst] = c.konst
			}
			continue
		case KindPath:
			if spans != nil {
				if sp := spans[c.slot]; sp.End > 0 {
					v = jsonVal(doc[sp.Start:sp.End])
				}
			}
		case KindAttribute:
			switch c.spec.Attr {
			case AttrKey:
				v = key
			case AttrValue:
				v = value
			case AttrPartition:
				v = val{k: kInt, i: int64(r.Partition)}
			case AttrOffset:
				v = val{k: kInt, i: r.Offset}
			case AttrTimestamp:
				v = val{k: kInt, i: r.Timestamp.UnixMilli()}
			case AttrHeaders:
				h, err := m.text.HeadersJSON(r.Headers)
				if err != nil {
					return nil, &DirtyError{Column: c.name, Source: c.source, Value: shorten(h), Reason: err.Error()}
				}
				v = val{k: kJSON, b: h}
			}
		}
		out, reason := m.conv.convert(v, c.typ)
		if reason != "" {
			return nil, &DirtyError{Column: c.name, Source: c.source, Value: show(v), Reason: reason}
		}
		row[c.dst] = out
	}
	return row, nil
}

func (m *Mapper) attrCol(a Attr) *mapping {
	for i := range m.cols {
		if c := &m.cols[i]; c.spec.Kind == KindAttribute && c.spec.Attr == a {
			return c
		}
	}
	return nil
}

func (m *Mapper) dirtyFor(a Attr, b []byte, reason string) *DirtyError {
	c := m.attrCol(a)
	return &DirtyError{Column: c.name, Source: c.source, Value: shorten(b), Reason: reason}
}

// jsonVal turns the JSON text a path selected into a source value.
func jsonVal(raw []byte) val {
	switch raw[0] {
	case '"':
		s := raw[1 : len(raw)-1]
		for _, c := range s {
			if c == '\\' {
				s = unescape(s)
				break
			}
		}
		return val{k: kText, b: s, raw: raw}
	case 't':
		return val{k: kBool, bl: true, raw: raw}
	case 'f':
		return val{k: kBool, raw: raw}
	case 'n':
		return val{}
	case '{', '[':
		return val{k: kJSON, b: raw, raw: raw}
	}
	return val{k: kNum, b: raw, raw: raw}
}

// HeadersJSON renders headers as the __headers__ column does: a JSON object in header
// order; a repeated key collects its values into an array. Values decode with c's text
// encoding (c's data type is not used); a nil value is null. A key or value that is not
// valid text is an error, and the returned bytes are then the offending key or value.
func (c Codec) HeadersJSON(hs []record.Header) ([]byte, error) {
	if len(hs) == 0 {
		return []byte("{}"), nil
	}
	first := make([]int, len(hs)) // index of the first header with the same key
	count := make([]int, len(hs)) // at a first index: how many headers share its key
	seen := make(map[string]int, len(hs))
	for i, h := range hs {
		j, ok := seen[h.Key]
		if !ok {
			j = i
			seen[h.Key] = i
		}
		first[i] = j
		count[j]++
	}
	out := make([]byte, 0, 64)
	out = append(out, '{')
	wrote := false
	for i, h := range hs {
		if first[i] != i {
			continue
		}
		if wrote {
			out = append(out, ',')
		}
		wrote = true
		k := []byte(h.Key)
		if !utf8.Valid(k) {
			return k, errors.New("header key is not valid UTF-8")
		}
		out = AppendJSONString(out, k)
		out = append(out, ':')
		if count[i] > 1 {
			out = append(out, '[')
		}
		n := 0
		for j := i; j < len(hs); j++ {
			if first[j] != i {
				continue
			}
			if n > 0 {
				out = append(out, ',')
			}
			n++
			if hs[j].Value == nil {
				out = append(out, "null"...)
				continue
			}
			t, err := c.text(hs[j].Value)
			if err != nil {
				return hs[j].Value, fmt.Errorf("header %q value: %v", shorten(k), err)
			}
			out = AppendJSONString(out, t)
		}
		if count[i] > 1 {
			out = append(out, ']')
		}
	}
	return append(out, '}'), nil
}
