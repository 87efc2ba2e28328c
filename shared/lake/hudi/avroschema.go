package hudi

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// A parsed Avro schema, for the records whose schema travels with them: the archived timeline's
// log blocks carry their writer schema in a header, and Hudi's readers resolve it against their
// own. fcsync encodes commit metadata with it (from the commit's JSON, field by field, as Hudi's
// Jackson conversion does) and decodes archive files of any writer schema.

type avroNode struct {
	kind     string // null boolean int long float double bytes string record enum array map union fixed
	name     string // full name of records, enums and fixed
	fields   []avroNodeField
	items    *avroNode // array
	values   *avroNode // map
	branches []*avroNode
	symbols  []string // enum
	size     int      // fixed
}

type avroNodeField struct {
	name string
	typ  *avroNode
}

// maxAvroDepth bounds schema nesting (and so decoding recursion) for hostile input.
const maxAvroDepth = 64

// parseAvroSchema parses an Avro schema in JSON.
func parseAvroSchema(text string) (*avroNode, error) {
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		return nil, fmt.Errorf("Avro schema: %w", err)
	}
	p := &avroParser{named: map[string]*avroNode{}}
	n, err := p.parse(v, "", 0)
	if err != nil {
		return nil, fmt.Errorf("Avro schema: %w", err)
	}
	return n, nil
}

type avroParser struct {
	named map[string]*avroNode
}

var avroPrimitives = []string{"null", "boolean", "int", "long", "float", "double", "bytes", "string"}

func (p *avroParser) parse(v any, ns string, depth int) (*avroNode, error) {
	if depth > maxAvroDepth {
		return nil, errors.New("nested too deeply")
	}
	switch x := v.(type) {
	case string:
		if slices.Contains(avroPrimitives, x) {
			return &avroNode{kind: x}, nil
		}
		full := x
		if !strings.Contains(x, ".") && ns != "" {
			full = ns + "." + x
		}
		if n, ok := p.named[full]; ok {
			return n, nil
		}
		if n, ok := p.named[x]; ok {
			return n, nil
		}
		return nil, fmt.Errorf("unknown type %q", x)
	case []any:
		u := &avroNode{kind: "union"}
		for _, b := range x {
			n, err := p.parse(b, ns, depth+1)
			if err != nil {
				return nil, err
			}
			u.branches = append(u.branches, n)
		}
		if len(u.branches) == 0 {
			return nil, errors.New("empty union")
		}
		return u, nil
	case map[string]any:
		t, _ := x["type"].(string)
		switch t {
		case "record", "error", "enum", "fixed":
			name, _ := x["name"].(string)
			if name == "" {
				return nil, fmt.Errorf("%s without a name", t)
			}
			if nsv, ok := x["namespace"].(string); ok && !strings.Contains(name, ".") {
				ns = nsv
			}
			full := name
			if i := strings.LastIndexByte(name, '.'); i >= 0 {
				ns = name[:i]
			} else if ns != "" {
				full = ns + "." + name
			}
			if _, dup := p.named[full]; dup {
				return nil, fmt.Errorf("type %s defined twice", full)
			}
			n := &avroNode{kind: t, name: full}
			if t == "error" {
				n.kind = "record"
			}
			p.named[full] = n
			switch t {
			case "enum":
				syms, _ := x["symbols"].([]any)
				for _, s := range syms {
					str, ok := s.(string)
					if !ok {
						return nil, fmt.Errorf("enum %s: symbol is not a string", full)
					}
					n.symbols = append(n.symbols, str)
				}
			case "fixed":
				size, ok := x["size"].(float64)
				if !ok || size < 0 || size > 1<<20 || size != math.Trunc(size) {
					return nil, fmt.Errorf("fixed %s: bad size", full)
				}
				n.size = int(size)
			default:
				fields, _ := x["fields"].([]any)
				for _, f := range fields {
					fm, ok := f.(map[string]any)
					if !ok {
						return nil, fmt.Errorf("record %s: field is not an object", full)
					}
					fname, _ := fm["name"].(string)
					ft, err := p.parse(fm["type"], ns, depth+1)
					if err != nil {
						return nil, fmt.Errorf("record %s: field %s: %w", full, fname, err)
					}
					n.fields = append(n.fields, avroNodeField{name: fname, typ: ft})
				}
			}
			return n, nil
		case "array":
			items, err := p.parse(x["items"], ns, depth+1)
			if err != nil {
				return nil, err
			}
			return &avroNode{kind: "array", items: items}, nil
		case "map":
			values, err := p.parse(x["values"], ns, depth+1)
			if err != nil {
				return nil, err
			}
			return &avroNode{kind: "map", values: values}, nil
		default: // {"type":"string","avro.java.string":"String"}, logical types
			if slices.Contains(avroPrimitives, t) {
				return &avroNode{kind: t}, nil
			}
			return p.parse(x["type"], ns, depth+1)
		}
	}
	return nil, fmt.Errorf("unexpected schema element %T", v)
}

// empty reports whether values of the type take no bytes (null, fixed of size 0, records of
// such fields; a named type referring to itself counts as taking bytes).
func (n *avroNode) empty() bool { return n.emptyAt(0) }

func (n *avroNode) emptyAt(depth int) bool {
	if depth > maxAvroDepth {
		return false
	}
	switch n.kind {
	case "null":
		return true
	case "fixed":
		return n.size == 0
	case "record":
		for _, f := range n.fields {
			if !f.typ.emptyAt(depth + 1) {
				return false
			}
		}
		return true
	}
	return false
}

// decode reads one value: nil, bool, int64, float64, []byte, string, map[string]any (records
// and maps), []any, or the symbol of an enum.
func (n *avroNode) decode(d *avroDecoder, depth int) any {
	if d.err != nil {
		return nil
	}
	if depth > maxAvroDepth {
		d.fail(errors.New("Avro value nested too deeply"))
		return nil
	}
	if d.steps--; d.steps == 0 {
		// Values of empty types take no bytes: nested arrays of them could multiply.
		d.fail(errors.New("Avro value too large for its bytes"))
		return nil
	}
	switch n.kind {
	case "null":
		return nil
	case "boolean":
		b := d.raw(1)
		if d.err != nil {
			return nil
		}
		if b[0] > 1 {
			d.fail(fmt.Errorf("Avro boolean byte %d", b[0]))
		}
		return b[0] == 1
	case "int", "long":
		v := d.long()
		if n.kind == "int" && (v < math.MinInt32 || v > math.MaxInt32) {
			d.fail(fmt.Errorf("Avro int %d out of range", v))
		}
		return v
	case "float":
		b := d.raw(4)
		if d.err != nil {
			return nil
		}
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
	case "double":
		b := d.raw(8)
		if d.err != nil {
			return nil
		}
		return math.Float64frombits(binary.LittleEndian.Uint64(b))
	case "bytes":
		return slices.Clone(d.raw(d.long()))
	case "string":
		return d.str()
	case "fixed":
		return slices.Clone(d.raw(int64(n.size)))
	case "enum":
		i := d.long()
		if d.err == nil && (i < 0 || i >= int64(len(n.symbols))) {
			d.fail(fmt.Errorf("Avro enum %s index %d out of range", n.name, i))
			return nil
		}
		if d.err != nil {
			return nil
		}
		return n.symbols[i]
	case "union":
		i := d.union(int64(len(n.branches)))
		if d.err != nil {
			return nil
		}
		return n.branches[i].decode(d, depth+1)
	case "array":
		var out []any
		d.blocks(func() {
			if n.items.empty() {
				// blocks bounds counts by the bytes left: items must take some.
				d.fail(errors.New("Avro array of a type that takes no bytes"))
				return
			}
			out = append(out, n.items.decode(d, depth+1))
		})
		return out
	case "map":
		out := map[string]any{}
		d.blocks(func() {
			k := d.str()
			out[k] = n.values.decode(d, depth+1)
		})
		return out
	case "record":
		out := make(map[string]any, len(n.fields))
		for _, f := range n.fields {
			out[f.name] = f.typ.decode(d, depth+1)
		}
		return out
	}
	d.fail(fmt.Errorf("Avro type %q", n.kind))
	return nil
}

// encodeJSON writes a value decoded from JSON (with UseNumber) as this type, the way Jackson
// maps JSON onto Hudi's Avro classes: record fields are taken by name and missing ones are null,
// unknown JSON keys are ignored, a union takes null for null and else its first branch that
// accepts the value. Values of the wrong kind are errors.
func (n *avroNode) encodeJSON(e *avroEncoder, v any, depth int) error {
	if depth > maxAvroDepth {
		return errors.New("nested too deeply")
	}
	switch n.kind {
	case "null":
		if v != nil {
			return fmt.Errorf("%v is not null", v)
		}
		return nil
	case "boolean":
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("%v is not a boolean", v)
		}
		e.boolean(b)
		return nil
	case "int", "long":
		num, ok := v.(json.Number)
		if !ok {
			return fmt.Errorf("%v is not a number", v)
		}
		i, err := num.Int64()
		if err != nil || (n.kind == "int" && (i < math.MinInt32 || i > math.MaxInt32)) {
			return fmt.Errorf("%v is not an Avro %s", v, n.kind)
		}
		e.long(i)
		return nil
	case "float", "double":
		num, ok := v.(json.Number)
		if !ok {
			return fmt.Errorf("%v is not a number", v)
		}
		f, err := num.Float64()
		if err != nil {
			return err
		}
		if n.kind == "float" {
			e.b = binary.LittleEndian.AppendUint32(e.b, math.Float32bits(float32(f)))
		} else {
			e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(f))
		}
		return nil
	case "string", "bytes":
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("%v is not a string", v)
		}
		e.str(s)
		return nil
	case "enum":
		s, _ := v.(string)
		i := slices.Index(n.symbols, s)
		if i < 0 {
			return fmt.Errorf("%v is not a symbol of %s", v, n.name)
		}
		e.long(int64(i))
		return nil
	case "union":
		for i, b := range n.branches {
			if (v == nil) != (b.kind == "null") || (v != nil && !b.accepts(v)) {
				continue
			}
			e.long(int64(i))
			return b.encodeJSON(e, v, depth+1)
		}
		return fmt.Errorf("no branch of the union takes %v", v)
	case "array":
		list, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%v is not an array", v)
		}
		if len(list) > 0 {
			e.long(int64(len(list)))
			for _, item := range list {
				if err := n.items.encodeJSON(e, item, depth+1); err != nil {
					return err
				}
			}
		}
		e.long(0)
		return nil
	case "map":
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%v is not an object", v)
		}
		if len(m) > 0 {
			e.long(int64(len(m)))
			for _, k := range sortedKeys(m) {
				e.str(k)
				if err := n.values.encodeJSON(e, m[k], depth+1); err != nil {
					return fmt.Errorf("%s: %w", k, err)
				}
			}
		}
		e.long(0)
		return nil
	case "record":
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%v is not an object", v)
		}
		for _, f := range n.fields {
			if err := f.typ.encodeJSON(e, m[f.name], depth+1); err != nil {
				return fmt.Errorf("%s: %w", f.name, err)
			}
		}
		return nil
	}
	return fmt.Errorf("Avro type %q cannot be written from JSON", n.kind)
}

// accepts reports whether a non-null JSON value has the kind of this (non-union) type.
func (n *avroNode) accepts(v any) bool {
	switch v.(type) {
	case bool:
		return n.kind == "boolean"
	case json.Number:
		return n.kind == "int" || n.kind == "long" || n.kind == "float" || n.kind == "double"
	case string:
		return n.kind == "string" || n.kind == "bytes" || n.kind == "enum"
	case []any:
		return n.kind == "array"
	case map[string]any:
		return n.kind == "map" || n.kind == "record"
	}
	return false
}
