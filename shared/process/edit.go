package process

import (
	"fmt"
	"strings"
	"time"

	"github.com/fcsync/fcsync/shared/column"
	"github.com/fcsync/fcsync/shared/config"
	"github.com/fcsync/fcsync/shared/schedule"
	"github.com/fcsync/fcsync/shared/schema"
)

func init() {
	Register("edit", Spec{
		Summary: "Edit Field and Assign Value: keep or drop fields, rename them, add constants and variables",
		Fields: []Field{
			{"keep", "keep only these fields, in this order"},
			{"drop", "drop these fields"},
			{"rename", "list of {from, to}"},
			{"add", "list of {name, value} or {name, attribute}; text values expand scheduling parameters"},
		},
		New: newEdit,
	})
}

// attribute is a record attribute an added field can take.
type attribute uint8

const (
	recNone attribute = iota
	recTopic
	recPartition
	recOffset
	recTimestamp
	recKey
	recValue
	recHeaders
)

var attributeNames = map[string]attribute{
	"topic": recTopic, "partition": recPartition, "offset": recOffset, "timestamp": recTimestamp,
	"key": recKey, "value": recValue, "headers": recHeaders,
}

type editAdd struct {
	name  string
	value any                // a constant, or the expansion of tmpl at the bound time
	tmpl  *schedule.Template // text with scheduling parameters
	attr  attribute
}

type rename struct{ from, to string }

type edit struct {
	keep    []string
	drop    []string
	renames []rename
	adds    []editAdd
	vars    map[string]string
	timed   bool
}

func newEdit(where string, conf map[string]any, env Env) (Processor, error) {
	e := &edit{vars: env.Vars}
	var err error
	if e.keep, err = nameList(config.Join(where, "keep"), conf["keep"]); err != nil {
		return nil, err
	}
	if e.drop, err = nameList(config.Join(where, "drop"), conf["drop"]); err != nil {
		return nil, err
	}
	if e.keep != nil && e.drop != nil {
		return nil, fmt.Errorf("%s: keep and drop exclude each other (use two edit processors)", where)
	}
	rw := config.Join(where, "rename")
	items, err := list(rw, conf["rename"], false)
	if err != nil {
		return nil, err
	}
	froms, tos := map[string]int{}, map[string]int{}
	for i, it := range items {
		w := fmt.Sprintf("%s[%d]", rw, i)
		if err := config.OnlyKeys(w, it, []string{"from", "to"}); err != nil {
			return nil, err
		}
		var r rename
		if r.from, err = fieldName(config.Join(w, "from"), it["from"]); err != nil {
			return nil, err
		}
		if r.to, err = newName(config.Join(w, "to"), it["to"]); err != nil {
			return nil, err
		}
		if j, dup := froms[r.from]; dup {
			return nil, fmt.Errorf("%s: %s is already renamed by %s[%d]", config.Join(w, "from"), r.from, rw, j)
		}
		if j, dup := tos[r.to]; dup {
			return nil, fmt.Errorf("%s: %s is already the new name of %s[%d] (two fields cannot get one name)", config.Join(w, "to"), r.to, rw, j)
		}
		froms[r.from], tos[r.to] = i, i
		e.renames = append(e.renames, r)
	}
	aw := config.Join(where, "add")
	if items, err = list(aw, conf["add"], false); err != nil {
		return nil, err
	}
	names := map[string]int{}
	for i, it := range items {
		w := fmt.Sprintf("%s[%d]", aw, i)
		if err := config.OnlyKeys(w, it, []string{"name", "value", "attribute"}); err != nil {
			return nil, err
		}
		var a editAdd
		if a.name, err = newName(config.Join(w, "name"), it["name"]); err != nil {
			return nil, err
		}
		if j, dup := names[a.name]; dup {
			return nil, fmt.Errorf("%s: %s is already added by %s[%d]", config.Join(w, "name"), a.name, aw, j)
		}
		names[a.name] = i
		v, hasValue := it["value"]
		at, hasAttr := it["attribute"]
		switch {
		case hasValue == hasAttr:
			return nil, fmt.Errorf("%s: want exactly one of value and attribute", w)
		case hasAttr:
			tw := config.Join(w, "attribute")
			s, err := config.String(tw, at)
			if err != nil {
				return nil, err
			}
			key := strings.ToLower(strings.Trim(strings.TrimSpace(s), "_"))
			if a.attr = attributeNames[key]; a.attr == recNone {
				return nil, fmt.Errorf("%s: unknown attribute %q (want topic, partition, offset, timestamp, key, value or headers)", tw, column.ExcerptString(s, 40))
			}
		default:
			vw := config.Join(w, "value")
			if a.value, err = constant(vw, v); err != nil {
				return nil, err
			}
			if s, ok := a.value.(string); ok && strings.IndexByte(s, '$') >= 0 {
				if a.tmpl, err = schedule.CompileTemplate(s); err != nil {
					return nil, fmt.Errorf("%s: %w", vw, err)
				}
				if _, err := a.tmpl.Expand(e.vars, env.Time); err != nil {
					return nil, fmt.Errorf("%s: %w", vw, err)
				}
				e.timed = true
			}
		}
		e.adds = append(e.adds, a)
	}
	if e.keep == nil && e.drop == nil && e.renames == nil && e.adds == nil {
		return nil, fmt.Errorf("%s: nothing to do: configure keep, drop, rename or add", where)
	}
	if !e.timed {
		return e, nil
	}
	return &timedEdit{e}, nil
}

// nameList reads a list of distinct field names (nil when absent).
func nameList(where string, v any) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	names, err := config.StringList(where, v)
	if err != nil {
		return nil, err
	}
	seen := map[string]int{}
	for i, n := range names {
		if n == "" {
			return nil, fmt.Errorf("%s[%d]: empty", where, i)
		}
		if j, dup := seen[n]; dup {
			return nil, fmt.Errorf("%s[%d]: %s is already listed at [%d]", where, i, n, j)
		}
		seen[n] = i
	}
	if names == nil {
		names = []string{}
	}
	return names, nil
}

// timedEdit is an edit with scheduling parameters: Bind expands them.
type timedEdit struct{ *edit }

func (t *timedEdit) Bind(at time.Time) Processor {
	c := *t.edit
	c.adds = append([]editAdd(nil), t.adds...)
	for i := range c.adds {
		if a := &c.adds[i]; a.tmpl != nil {
			// Compile checked every reference, so expansion cannot fail now.
			s, _ := a.tmpl.Expand(c.vars, at)
			a.value = s
		}
	}
	return &c
}

// Process keeps or drops fields, then renames, then adds.
func (e *edit) Process(m *Message) (bool, error) {
	if e.keep != nil && !m.keepLast(e.keep) {
		n := 0
		for _, name := range e.keep {
			for i := n; i < m.Len(); i++ {
				if m.names[i] == name {
					m.swap(n, i)
					n++
					break
				}
			}
		}
		m.truncate(n)
	}
	for _, name := range e.drop {
		m.Delete(name)
	}
	if e.renames != nil {
		e.rename(m)
	}
	for i := range e.adds {
		a := &e.adds[i]
		if a.attr != recNone {
			m.Set(a.name, recordAttribute(m, a.attr))
			continue
		}
		m.Set(a.name, a.value)
	}
	return true, nil
}

// rename applies every rename at once (so a and b can swap); a field that already had a
// new name and is not itself renamed is replaced.
func (e *edit) rename(m *Message) {
	for i := 0; i < m.Len(); i++ {
		name := m.names[i]
		target, source := false, false
		for _, r := range e.renames {
			target = target || r.to == name
			source = source || r.from == name
		}
		if target && !source {
			m.deleteAt(i)
			i--
		}
	}
	var stack [8]int
	idx := stack[:0]
	for _, r := range e.renames {
		idx = append(idx, m.Index(r.from))
	}
	for k, r := range e.renames {
		if i := idx[k]; i >= 0 {
			if m.flags[i]&flagDynamic != 0 {
				m.ndyn--
			}
			m.names[i] = r.to
			m.flags[i] &^= flagDynamic
		}
	}
}

func recordAttribute(m *Message, a attribute) any {
	r := m.Record()
	if r == nil {
		return nil
	}
	switch a {
	case recTopic:
		return r.Topic
	case recKey:
		return m.attribute(column.AttrKey)
	case recValue:
		return m.attribute(column.AttrValue)
	case recPartition:
		return m.attribute(column.AttrPartition)
	case recOffset:
		return m.attribute(column.AttrOffset)
	case recTimestamp:
		return m.attribute(column.AttrTimestamp)
	case recHeaders:
		return m.attribute(column.AttrHeaders)
	}
	return nil
}

var attributeTypes = map[attribute]schema.Type{
	recTopic: schema.String, recPartition: schema.BigInt, recOffset: schema.BigInt, recTimestamp: schema.BigInt,
	recKey: schema.String, recValue: schema.String, recHeaders: schema.String,
}

func (e *edit) Outputs(in []schema.Column) []schema.Column {
	out := append([]schema.Column(nil), in...)
	if e.keep != nil {
		var kept []schema.Column
		for _, name := range e.keep {
			for _, c := range out {
				if c.Name == name {
					kept = append(kept, c)
					break
				}
			}
		}
		out = kept
	}
	for _, name := range e.drop {
		for k := range out {
			if out[k].Name == name {
				out = append(out[:k], out[k+1:]...)
				break
			}
		}
	}
	if e.renames != nil {
		var next []schema.Column
		for _, c := range out {
			target, source := false, false
			for _, r := range e.renames {
				target = target || r.to == c.Name
				source = source || r.from == c.Name
			}
			if target && !source {
				continue
			}
			for _, r := range e.renames {
				if r.from == c.Name {
					c.Name = r.to
					break
				}
			}
			next = append(next, c)
		}
		out = next
	}
	for _, a := range e.adds {
		t := attributeTypes[a.attr]
		if a.attr == recNone {
			t = typeOf(a.value)
		}
		out = setOutput(out, a.name, t)
	}
	return out
}
