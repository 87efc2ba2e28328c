package process

import (
	"errors"
	"fmt"
	"strings"

	"github.com/fcsync/fcsync/shared/column"
	"github.com/fcsync/fcsync/shared/config"
	"github.com/fcsync/fcsync/shared/schema"
)

func init() {
	Register("json", Spec{
		Summary: "JSON Parsing: fixed output fields by path, and dynamic output fields from every leaf",
		Fields: []Field{
			{"from", "the field holding the JSON text; default __value__"},
			{"keepSource", "keep the source field (default true)"},
			{"fields", "fixed output fields: {name, path, type}; path may be len(path)"},
			{"dynamic", "dynamic output fields: {path, prefix, separator, maxFields, invalidNames}"},
		},
		New: newJSON,
	})
}

type jsonField struct {
	name  string
	path  string // as written, for reasons
	typ   schema.Type
	isLen bool
}

type jsonDynamic struct {
	prefix    string
	sep       string
	maxFields int
	invalid   invalidNames
}

type invalidNames uint8

const (
	invalidDirty invalidNames = iota
	invalidSkip
	invalidSanitize
)

type jsonProc struct {
	from       string
	keepSource bool
	fields     []jsonField
	paths      *column.JSONPaths // fields, then the dynamic root when dynamic != nil
	dynamic    *jsonDynamic
	opts       column.ConvertOptions
	nameLens   uint64 // a bit per length of the fields' names (see lenBit)
}

// lenBit is the bit of a name of n bytes in a set of lengths; names of 63 bytes and more
// share the last.
func lenBit(n int) uint64 { return 1 << min(n, 63) }

// Default and largest number of dynamic fields one record may produce.
const (
	DefaultMaxDynamicFields = 64
	maxMaxDynamicFields     = 4096
)

func newJSON(where string, conf map[string]any, env Env) (Processor, error) {
	p := &jsonProc{opts: column.ConvertOptions{Location: env.Location}}
	var err error
	if p.from, err = optString(where, conf, "from", column.AttrValue.String()); err != nil {
		return nil, err
	}
	if p.from == "" {
		return nil, fmt.Errorf("%s: empty", config.Join(where, "from"))
	}
	if p.keepSource, err = optBool(where, conf, "keepSource", true); err != nil {
		return nil, err
	}
	fw := config.Join(where, "fields")
	items, err := list(fw, conf["fields"], false)
	if err != nil {
		return nil, err
	}
	var paths [][]column.Step
	seen := map[string]int{}
	for i, it := range items {
		w := fmt.Sprintf("%s[%d]", fw, i)
		if err := config.OnlyKeys(w, it, []string{"name", "path", "type"}); err != nil {
			return nil, err
		}
		var f jsonField
		if f.name, err = newName(config.Join(w, "name"), it["name"]); err != nil {
			return nil, err
		}
		if j, dup := seen[f.name]; dup {
			return nil, fmt.Errorf("%s: %s is already the name of %s[%d]", config.Join(w, "name"), f.name, fw, j)
		}
		seen[f.name] = i
		pw := config.Join(w, "path")
		if f.path, err = fieldName(pw, it["path"]); err != nil {
			return nil, err
		}
		inner := strings.TrimSpace(f.path)
		if strings.HasPrefix(inner, "len(") && strings.HasSuffix(inner, ")") {
			f.isLen, inner = true, inner[4:len(inner)-1]
		}
		steps, err := column.ParsePath(inner)
		if err != nil {
			return nil, fmt.Errorf("%s: %q: %w", pw, column.ExcerptString(f.path, 80), err)
		}
		paths = append(paths, steps)
		f.typ = schema.String
		if f.isLen {
			f.typ = schema.BigInt
		}
		if t, ok := it["type"]; ok && t != nil {
			tw := config.Join(w, "type")
			s, err := config.String(tw, t)
			if err != nil {
				return nil, err
			}
			if f.typ, err = schema.ParseType(s); err != nil {
				return nil, fmt.Errorf("%s: %w", tw, err)
			}
		}
		p.fields = append(p.fields, f)
		p.nameLens |= lenBit(len(f.name))
	}
	if dv, ok := conf["dynamic"]; ok && dv != nil {
		dw := config.Join(where, "dynamic")
		d, err := config.Map(dw, dv, false)
		if err != nil {
			return nil, err
		}
		if err := config.OnlyKeys(dw, d, []string{"path", "prefix", "separator", "maxFields", "invalidNames"}); err != nil {
			return nil, err
		}
		dyn := &jsonDynamic{}
		var root []column.Step
		if ps, err := optString(dw, d, "path", ""); err != nil {
			return nil, err
		} else if strings.TrimSpace(ps) != "" {
			if root, err = column.ParsePath(ps); err != nil {
				return nil, fmt.Errorf("%s: %q: %w", config.Join(dw, "path"), column.ExcerptString(ps, 80), err)
			}
		}
		if dyn.prefix, err = optString(dw, d, "prefix", ""); err != nil {
			return nil, err
		}
		if dyn.sep, err = optString(dw, d, "separator", "_"); err != nil {
			return nil, err
		}
		n, err := optInt(dw, d, "maxFields", DefaultMaxDynamicFields, 1, maxMaxDynamicFields)
		if err != nil {
			return nil, err
		}
		dyn.maxFields = int(n)
		inv, err := optString(dw, d, "invalidNames", "dirty")
		if err != nil {
			return nil, err
		}
		switch strings.ToLower(inv) {
		case "dirty":
			dyn.invalid = invalidDirty
		case "skip":
			dyn.invalid = invalidSkip
		case "sanitize":
			dyn.invalid = invalidSanitize
		default:
			return nil, fmt.Errorf("%s: want dirty, skip or sanitize, got %q", config.Join(dw, "invalidNames"), column.ExcerptString(inv, 40))
		}
		p.dynamic = dyn
		paths = append(paths, root)
	}
	if len(p.fields) == 0 && p.dynamic == nil {
		return nil, fmt.Errorf("%s: no output: configure fields, dynamic or both", where)
	}
	p.paths = column.NewJSONPaths(paths...)
	return p, nil
}

// maxStackSpans is how many paths Process tracks without allocating.
const maxStackSpans = 24

// Process parses the source field and sets the outputs. A null or missing source gives
// null outputs; text that is not one JSON document makes the record dirty.
func (p *jsonProc) Process(m *Message) (bool, error) {
	i := m.Index(p.from)
	var doc []byte
	valid := false // doc is the record's value, validated as JSON by its reader
	if i >= 0 {
		var ok bool
		if doc, ok = m.rawBytes(i); ok {
			valid = m.validJSON(i)
		} else {
			switch v := m.Value(i).(type) {
			case nil:
			case []byte:
				doc = v
			case string:
				doc = []byte(v)
			case column.JSONText:
				doc = []byte(v)
			default:
				return false, dirty(p.from, fmt.Sprintf("a %s value is not JSON text", typeOf(v)))
			}
		}
	}
	if doc == nil {
		for k := range p.fields {
			m.Set(p.fields[k].name, nil)
		}
		p.dropSource(m)
		return true, nil
	}
	var stack [maxStackSpans]column.Span
	var spans []column.Span
	if n := p.paths.Len(); n <= maxStackSpans {
		spans = stack[:n]
	} else {
		spans = make([]column.Span, n)
	}
	var err error
	if valid { // two calls, not a method value: the spans then stay on the stack
		err = p.paths.ScanValid(doc, spans)
	} else {
		err = p.paths.Scan(doc, spans)
	}
	if err != nil {
		return false, dirtyValue(p.from, "not JSON: "+err.Error(), doc)
	}
	p.dropSource(m) // doc no longer needs the field
	// The outputs are usually new fields: when none is in the message yet they are appended
	// without looking each one up.
	fresh := !p.named(m)
	// The text outputs of one record share one allocation: their decoded bytes are
	// gathered in arena and turned into a string once.
	var arenaBuf [1024]byte
	var textBuf [maxStackSpans]textOut
	arena, texts := arenaBuf[:0], textBuf[:0]
	for k := range p.fields {
		f := &p.fields[k]
		var v any
		if sp := spans[k]; sp.Found() {
			raw := doc[sp.Start:sp.End]
			if raw[0] == '"' && f.text() {
				start := len(arena)
				arena = column.AppendUnquoted(arena, raw)
				texts = append(texts, textOut{at: m.put(fresh, f.name, nil), start: start, end: len(arena)})
				continue
			}
			var err error
			if v, err = f.value(raw, sp.Len, p.opts); err != nil {
				return false, dirtyValue(f.name, "path "+f.path+": "+err.Error(), raw)
			}
		}
		m.put(fresh, f.name, v)
	}
	if len(texts) > 0 {
		all := string(arena)
		for _, t := range texts {
			m.vals[t.at] = all[t.start:t.end]
		}
	}
	if p.dynamic != nil {
		if sp := spans[len(p.fields)]; sp.Found() {
			if err := p.dynamic.add(m, p.from, doc[sp.Start:sp.End]); err != nil {
				return false, err
			}
		}
	}
	return true, nil
}

// textOut is a text output waiting for the arena: message position and arena bounds.
type textOut struct{ at, start, end int }

// text reports whether the field's type is a text type (a JSON string is its text).
func (f *jsonField) text() bool {
	return !f.isLen && (f.typ == schema.String || f.typ == schema.Varchar || f.typ == schema.Char)
}

// named reports whether a field of m has the name of one of the outputs.
func (p *jsonProc) named(m *Message) bool {
	for _, n := range m.names {
		if p.nameLens&lenBit(len(n)) != 0 && p.outputNamed(n) {
			return true
		}
	}
	return false
}

func (p *jsonProc) dropSource(m *Message) {
	if p.keepSource {
		return
	}
	for k := range p.fields {
		if p.fields[k].name == p.from {
			return // an output took the source's name
		}
	}
	m.Delete(p.from)
}

// value converts the JSON value a path selected to the field's type; n is the scanner's
// element count of an array or object.
func (f *jsonField) value(raw []byte, n int, o column.ConvertOptions) (any, error) {
	if f.isLen {
		switch raw[0] {
		case 'n':
			return nil, nil
		case '[', '{':
		default:
			var ok bool
			if n, ok = column.JSONLen(raw); !ok {
				return nil, errors.New("len() needs an array, an object or a string")
			}
		}
		return column.Convert(int64(n), f.typ, o)
	}
	switch f.typ {
	case schema.JSON:
		if raw[0] == 'n' {
			return nil, nil
		}
		v, err := column.ConvertJSON(raw, schema.JSON, o)
		if err != nil {
			return nil, err
		}
		s, _ := v.(string)
		return column.JSONText(s), nil
	}
	return column.ConvertJSON(raw, f.typ, o)
}

// add sets a dynamic field for every leaf of the object doc.
func (d *jsonDynamic) add(m *Message, from string, doc []byte) error {
	n := 0
	var name []byte
	err := column.Leaves(doc, func(keys [][]byte, raw []byte) error {
		if len(keys) == 0 {
			return nil // not an object
		}
		name = append(name[:0], d.prefix...)
		for k, key := range keys {
			if k > 0 {
				name = append(name, d.sep...)
			}
			name = append(name, key...)
		}
		if d.invalid == invalidSanitize {
			name = sanitize(name)
		}
		s := string(name)
		if err := schema.ValidateName(s); err != nil {
			if d.invalid == invalidSkip {
				return nil
			}
			return dirty(s, "dynamic field name is not a valid column name (letters, digits and _, not starting with a digit, at most 128)")
		}
		if m.SetDynamic(s, column.JSONValue(raw)) {
			if n++; n > d.maxFields {
				return dirty(s, fmt.Sprintf("more than %d dynamic fields in one record (dynamic.maxFields)", d.maxFields))
			}
		}
		return nil
	})
	if err != nil {
		var de *DirtyError
		if errors.As(err, &de) {
			return de
		}
		return dirtyValue(from, "not JSON: "+err.Error(), doc)
	}
	return nil
}

// sanitize replaces every byte outside [A-Za-z0-9_] with _ (a multi-byte character
// becomes one _) and puts _ before a leading digit.
func sanitize(b []byte) []byte {
	out := b[:0:0]
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9':
			out = append(out, c)
			i++
		default:
			out = append(out, '_')
			i++
			for i < len(b) && b[i] >= 0x80 && b[i] < 0xC0 { // continuation bytes
				i++
			}
		}
	}
	if len(out) > 0 && out[0] >= '0' && out[0] <= '9' {
		out = append([]byte{'_'}, out...)
	}
	return out
}

func (p *jsonProc) Outputs(in []schema.Column) []schema.Column {
	out := append([]schema.Column(nil), in...)
	for _, f := range p.fields {
		out = setOutput(out, f.name, f.typ)
	}
	if !p.keepSource {
		for k := range out {
			if out[k].Name == p.from && !p.outputNamed(p.from) {
				out = append(out[:k], out[k+1:]...)
				break
			}
		}
	}
	return out
}

func (p *jsonProc) outputNamed(name string) bool {
	for k := range p.fields {
		if p.fields[k].name == name {
			return true
		}
	}
	return false
}
