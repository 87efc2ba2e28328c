package fieldmap

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/fcsync/fcsync/shared/column"
	"github.com/fcsync/fcsync/shared/process"
	"github.com/fcsync/fcsync/shared/schema"
)

// DDLEvent reports a column added to the table (DataWorks' DDL notification AddColumn).
type DDLEvent struct {
	Kind      string // "AddColumn"
	Table     string
	Column    schema.Column
	Topic     string // the record that brought the column
	Partition int32
	Offset    int64
	Time      time.Time // when the column was added (the mapper's clock)
}

// ColumnError stops a batch: a dynamic field has no column and the policy is error.
type ColumnError struct {
	Table  string
	Column string // the dynamic field's name, shortened
	Record string // topic/partition@offset, or "" for hand-made input
}

func (e *ColumnError) Error() string {
	s := fmt.Sprintf("fieldmap: table %s has no column %s for a dynamic field and the dynamic-column policy is error", e.Table, e.Column)
	if e.Record != "" {
		s += " (record " + e.Record + ")"
	}
	return s
}

// rowsPerSlab is how many rows share one allocation.
const rowsPerSlab = 128

// Batch maps one batch of records. It is not safe for concurrent use.
type Batch struct {
	m           *Mapper
	cols        []schema.Column
	baseLen     int
	addedBefore int    // mapper's added count when the batch started
	hints       []int  // per column: where its field was in the last message
	fed         []bool // per column: an explicit entry feeds it
	events      []DDLEvent
	slab        []any
	pending     []pendingCol
	done        bool
}

type pendingCol struct {
	name string
	typ  schema.Type
}

// Columns is the batch's schema: the base and the columns added so far.
func (b *Batch) Columns() []schema.Column { return append([]schema.Column(nil), b.cols...) }

// Events are the columns this batch added, in order.
func (b *Batch) Events() []DDLEvent { return append([]DDLEvent(nil), b.events...) }

// Map turns a processed message into a row of the batch's current schema (see the
// package doc). A value that cannot be converted, or a dynamic column that cannot be
// added, returns a *column.DirtyError (the record is dirty data); a dynamic field the
// policy refuses returns a *ColumnError (stop the batch).
func (b *Batch) Map(msg *process.Message) (schema.Row, error) {
	if msg.DynamicCount() > 0 && b.m.policy != PolicyIgnore {
		if err := b.dynamic(msg); err != nil {
			return nil, err
		}
	}
	row := b.newRow(len(b.cols))
	n := msg.Len()
	for j := range b.cols {
		src, from := b.source(msg, j, n)
		if src < 0 {
			row[j] = nil
			continue
		}
		val := msg.Value(src)
		if err := msg.Err(); err != nil {
			return nil, err
		}
		v, err := column.Convert(val, b.cols[j].Type, b.m.opts)
		if err != nil {
			return nil, &column.DirtyError{Column: b.cols[j].Name, Source: from, Value: excerpt(msg.Value(src)), Reason: err.Error()}
		}
		row[j] = v
	}
	return row, nil
}

// source finds the message field feeding column j: its index (or -1) and its name.
func (b *Batch) source(msg *process.Message, j, n int) (int, string) {
	if b.m.explicit != nil && j < b.baseLen && b.fed[j] {
		for k, t := range b.m.targets {
			if t == j {
				name := b.m.explicit[k].Source
				return msg.Index(name), name
			}
		}
	}
	name := b.cols[j].Name
	if h := b.hints[j]; h < n && msg.Name(h) == name {
		return h, name
	}
	i := -1
	for k := 0; k < n; k++ {
		if msg.Name(k) == name {
			i = k
			break
		}
	}
	if i < 0 {
		for k := 0; k < n; k++ {
			if strings.EqualFold(msg.Name(k), name) {
				i = k
				break
			}
		}
	}
	if i < 0 {
		return -1, ""
	}
	if b.m.explicit != nil && !msg.Dynamic(i) {
		return -1, "" // explicit mode: only dynamic fields map by name
	}
	b.hints[j] = i
	return i, msg.Name(i)
}

// dynamic applies the policy to dynamic fields that match no column.
func (b *Batch) dynamic(msg *process.Message) error {
	b.pending = b.pending[:0]
	for i := 0; i < msg.Len(); i++ {
		if !msg.Dynamic(i) {
			continue
		}
		name := msg.Name(i)
		if index(b.cols, name) >= 0 {
			continue
		}
		v := msg.Value(i)
		if v == nil {
			continue // nothing to write, no column needed
		}
		if b.m.policy == PolicyError {
			return &ColumnError{Table: b.m.table, Column: column.ExcerptString(name, 64), Record: where(msg)}
		}
		if err := schema.ValidateName(name); err != nil {
			return &column.DirtyError{Column: column.ExcerptString(name, 64), Source: "dynamic field", Reason: "cannot add a column: " + err.Error()}
		}
		dup := false
		for _, p := range b.pending {
			if strings.EqualFold(p.name, name) {
				dup = true
				break
			}
		}
		if !dup {
			b.pending = append(b.pending, pendingCol{name, InferType(v)})
		}
	}
	if len(b.pending) == 0 {
		return nil
	}
	inBatch := len(b.cols) - b.baseLen
	if inBatch+len(b.pending) > b.m.maxPerBatch {
		return &column.DirtyError{Column: b.pending[0].name, Source: "dynamic field",
			Reason: fmt.Sprintf("adding %d column(s) would pass the limit of %d new columns per batch (dynamic.maxPerBatch)", len(b.pending), b.m.maxPerBatch)}
	}
	if b.addedBefore+inBatch+len(b.pending) > b.m.maxTotal {
		return &column.DirtyError{Column: b.pending[0].name, Source: "dynamic field",
			Reason: fmt.Sprintf("adding %d column(s) would pass the limit of %d new columns in total (dynamic.maxTotal)", len(b.pending), b.m.maxTotal)}
	}
	now := b.m.now()
	r := msg.Record()
	for _, p := range b.pending {
		col := schema.Column{Name: p.name, Type: p.typ, Comment: "added for a dynamic field"}
		b.cols = append(b.cols, col)
		b.hints = append(b.hints, 0)
		b.fed = append(b.fed, false)
		ev := DDLEvent{Kind: "AddColumn", Table: b.m.table, Column: col, Time: now}
		if r != nil {
			ev.Topic, ev.Partition, ev.Offset = r.Topic, r.Partition, r.Offset
		}
		b.events = append(b.events, ev)
	}
	return nil
}

// Commit makes the batch's schema the mapper's base: call it once the batch's rows are
// written. Columns another batch committed meanwhile are kept; a column both added (by
// name, case-insensitively) keeps the first committed type. Committing twice does
// nothing.
func (b *Batch) Commit() {
	if b.done {
		return
	}
	b.done = true
	m := b.m
	m.mu.Lock()
	defer m.mu.Unlock()
	base := m.base
	for _, c := range b.cols[b.baseLen:] {
		if index(base, c.Name) < 0 {
			base = append(base[:len(base):len(base)], c)
			m.added++
		}
	}
	m.base = base
}

func (b *Batch) newRow(w int) schema.Row {
	if len(b.slab) < w {
		b.slab = make([]any, w*rowsPerSlab)
	}
	r := b.slab[:w:w]
	b.slab = b.slab[w:]
	return r
}

func where(msg *process.Message) string {
	if r := msg.Record(); r != nil {
		return r.Where()
	}
	return ""
}

// excerpt renders a value for a dirty reason.
func excerpt(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return column.ExcerptString(x, 64)
	case []byte:
		return column.Excerpt(x, 64)
	case column.JSONText:
		return column.ExcerptString(string(x), 64)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("%T", v)
}
