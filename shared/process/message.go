package process

import (
	"iter"

	"github.com/fcsync/fcsync/shared/column"
	"github.com/fcsync/fcsync/shared/record"
)

// Message is one record moving through a chain: an ordered list of named fields.
//
// Fields live in parallel slices and are found by a linear scan; for the ten or so fields
// a record carries this is faster than a map and allocates nothing. Names are compared
// exactly (case-sensitively). The six attribute fields are filled lazily from the record:
// a processor that never reads __headers__ never pays for it.
//
// A Message is not safe for concurrent use. Reset reuses its storage for the next record.
type Message struct {
	rec   *record.Record
	names []string
	vals  []any
	flags []uint8
	ndyn  int
	err   error // the first attribute that could not be materialized (see Err)
}

const (
	attrMask    = 0x07 // a column.Attr whose value is not materialized yet
	flagDynamic = 0x08 // made by JSON parsing's dynamic output
)

// NewMessage builds a message from r (see Reset). A nil r gives an empty message for
// hand-made input.
func NewMessage(r *record.Record) (*Message, error) {
	m := &Message{}
	if err := m.Reset(r); err != nil {
		return nil, err
	}
	return m, nil
}

// Reset makes m the message of record r: the attribute fields __key__, __value__,
// __partition__, __headers__, __offset__ and __timestamp__, in that order. With a nil r
// the message is empty. The error is always nil today; it is kept for attributes that
// may need checking up front.
//
// Attributes are materialized when first read. Headers that are not valid UTF-8 text
// cannot become __headers__: reading it then gives nil and makes Err report why, so a
// record is dirty for its headers only when something uses them (a job that drops
// __headers__ never sees a binary header).
//
// Key and value are the record's bytes, not copied: the message must not outlive them,
// and no processor modifies bytes in place.
func (m *Message) Reset(r *record.Record) error {
	clear(m.vals)
	m.rec, m.err = r, nil
	m.names, m.vals, m.flags, m.ndyn = m.names[:0], m.vals[:0], m.flags[:0], 0
	if r == nil {
		return nil
	}
	m.names = append(m.names, attrFieldNames[:]...)
	m.vals = append(m.vals, make([]any, len(attrFieldNames))...) // no allocation: nils appended
	m.flags = append(m.flags, attrFieldFlags[:]...)
	return nil
}

// attrFieldNames and attrFieldFlags are the fields a message of a record starts with.
var (
	attrFieldNames [column.AttrTimestamp]string
	attrFieldFlags [column.AttrTimestamp]uint8
)

func init() {
	for a := column.AttrKey; a <= column.AttrTimestamp; a++ {
		attrFieldNames[a-1], attrFieldFlags[a-1] = a.String(), uint8(a)
	}
}

// Err is the first attribute read that failed (a *DirtyError naming the field), or nil.
// Chain.Process and the field mapping check it after reading; a message with an error is
// a dirty record.
func (m *Message) Err() error { return m.err }

// Record is the record the message was built from (nil for hand-made input).
func (m *Message) Record() *record.Record { return m.rec }

// Len is the number of fields.
func (m *Message) Len() int { return len(m.names) }

// Name is the name of field i.
func (m *Message) Name(i int) string { return m.names[i] }

// Value is the value of field i: nil, string, int64, float64, bool, []byte, time.Time or
// column.JSONText.
func (m *Message) Value(i int) any {
	if a := m.flags[i] & attrMask; a != 0 {
		m.vals[i] = m.attribute(column.Attr(a))
		m.flags[i] &^= attrMask
	}
	return m.vals[i]
}

// Dynamic reports whether field i came from JSON parsing's dynamic output.
func (m *Message) Dynamic(i int) bool { return m.flags[i]&flagDynamic != 0 }

// DynamicCount is the number of dynamic fields.
func (m *Message) DynamicCount() int { return m.ndyn }

// Index is the position of the named field, or -1.
func (m *Message) Index(name string) int {
	for i, n := range m.names {
		if n == name {
			return i
		}
	}
	return -1
}

// Get returns the named field's value and whether the field exists.
func (m *Message) Get(name string) (any, bool) {
	i := m.Index(name)
	if i < 0 {
		return nil, false
	}
	return m.Value(i), true
}

// All yields the fields in order.
func (m *Message) All() iter.Seq2[string, any] {
	return func(yield func(string, any) bool) {
		for i := range m.names {
			if !yield(m.names[i], m.Value(i)) {
				return
			}
		}
	}
}

// Set assigns the named field, replacing its value (the field is then not dynamic) or
// appending it at the end.
func (m *Message) Set(name string, v any) { m.set(name, v) }

// set is Set returning the field's position.
func (m *Message) set(name string, v any) int {
	if i := m.Index(name); i >= 0 {
		if m.flags[i]&flagDynamic != 0 {
			m.ndyn--
		}
		m.vals[i], m.flags[i] = v, 0
		return i
	}
	return m.add(name, v)
}

// put is set, or add when fresh: the caller knows the message has no field of that name.
func (m *Message) put(fresh bool, name string, v any) int {
	if fresh {
		return m.add(name, v)
	}
	return m.set(name, v)
}

// add appends a field the caller knows the message does not have; it returns its position.
func (m *Message) add(name string, v any) int {
	m.names = append(m.names, name)
	m.vals = append(m.vals, v)
	m.flags = append(m.flags, 0)
	return len(m.names) - 1
}

// setAt replaces field i's value (a processor transforming it); a dynamic field stays
// dynamic.
func (m *Message) setAt(i int, v any) {
	m.vals[i] = v
	m.flags[i] &^= attrMask
}

// SetDynamic adds a dynamic field, as JSON parsing's dynamic output does (hand-made
// input for previews uses it too). A field of that name that is not dynamic is kept and
// false returned; a dynamic one is replaced (the last occurrence wins). The name is not
// checked here: the destination mapping validates it before it can become a column.
func (m *Message) SetDynamic(name string, v any) bool {
	if i := m.Index(name); i >= 0 {
		if m.flags[i]&flagDynamic == 0 {
			return false
		}
		m.vals[i] = v
		return true
	}
	m.names = append(m.names, name)
	m.vals = append(m.vals, v)
	m.flags = append(m.flags, flagDynamic)
	m.ndyn++
	return true
}

// Delete removes the named field and reports whether it existed.
func (m *Message) Delete(name string) bool {
	i := m.Index(name)
	if i < 0 {
		return false
	}
	m.deleteAt(i)
	return true
}

func (m *Message) deleteAt(i int) {
	if m.flags[i]&flagDynamic != 0 {
		m.ndyn--
	}
	n := len(m.names) - 1
	copy(m.names[i:], m.names[i+1:])
	copy(m.vals[i:], m.vals[i+1:])
	copy(m.flags[i:], m.flags[i+1:])
	m.vals[n] = nil
	m.names, m.vals, m.flags = m.names[:n], m.vals[:n], m.flags[:n]
}

// swap exchanges fields i and j.
func (m *Message) swap(i, j int) {
	m.names[i], m.names[j] = m.names[j], m.names[i]
	m.vals[i], m.vals[j] = m.vals[j], m.vals[i]
	m.flags[i], m.flags[j] = m.flags[j], m.flags[i]
}

// truncate keeps the first n fields.
func (m *Message) truncate(n int) {
	for i := n; i < len(m.names); i++ {
		if m.flags[i]&flagDynamic != 0 {
			m.ndyn--
		}
	}
	clear(m.vals[n:])
	m.names, m.vals, m.flags = m.names[:n], m.vals[:n], m.flags[:n]
}

// keepLast keeps only the last len(names) fields when they are names, in that order (the
// usual case: the processors before made them in that order), and reports whether they
// were. As names are unique in a message, no field before them has one of the names.
func (m *Message) keepLast(names []string) bool {
	k := len(m.names) - len(names)
	if k < 0 {
		return false
	}
	for i, name := range names {
		if m.names[k+i] != name {
			return false
		}
	}
	for i := range k {
		if m.flags[i]&flagDynamic != 0 {
			m.ndyn--
		}
	}
	n := len(names)
	copy(m.names, m.names[k:])
	copy(m.vals, m.vals[k:])
	copy(m.flags, m.flags[k:])
	clear(m.vals[n:])
	m.names, m.vals, m.flags = m.names[:n], m.vals[:n], m.flags[:n]
	return true
}

// rawBytes returns the record bytes of a lazy __key__ or __value__ field without
// materializing (boxing) them; ok is false for any other field.
func (m *Message) rawBytes(i int) (b []byte, ok bool) {
	switch column.Attr(m.flags[i] & attrMask) {
	case column.AttrKey:
		return m.rec.Key, true
	case column.AttrValue:
		return m.rec.Value, true
	}
	return nil, false
}

// validJSON reports whether field i is the record's lazy __value__ and its reader validated it
// as JSON (record.Record.ValueJSON).
func (m *Message) validJSON(i int) bool {
	return column.Attr(m.flags[i]&attrMask) == column.AttrValue && m.rec != nil && m.rec.ValueJSON
}

// attribute is the value of an attribute field of the message's record. An attribute that
// cannot be represented (headers that are not UTF-8) is nil and sets m.err.
func (m *Message) attribute(a column.Attr) any {
	r := m.rec
	if r == nil {
		return nil
	}
	switch a {
	case column.AttrKey:
		if r.Key == nil {
			return nil
		}
		return r.Key
	case column.AttrValue:
		if r.Value == nil {
			return nil
		}
		return r.Value
	case column.AttrPartition:
		return int64(r.Partition)
	case column.AttrOffset:
		return r.Offset
	case column.AttrTimestamp:
		return r.Timestamp.UnixMilli()
	case column.AttrHeaders:
		if len(r.Headers) == 0 {
			return emptyHeaders
		}
		h, err := column.Codec{}.HeadersJSON(r.Headers)
		if err != nil {
			if m.err == nil {
				m.err = &DirtyError{Where: "input", Field: column.AttrHeaders.String(), Reason: err.Error(), Value: column.Excerpt(h, maxExcerpt)}
			}
			return nil
		}
		return column.JSONText(h)
	}
	return nil
}

// emptyHeaders is __headers__ of a record without headers; boxed once.
var emptyHeaders any = column.JSONText("{}")
