package job

import (
	"fmt"
	"slices"
	"strings"

	"github.com/fcsync/fcsync/shared/config"
	"github.com/fcsync/fcsync/shared/schema"
)

// TableWriter is a stream job's MaxCompute table (writer type maxcompute, alias odps; seed
// 003): rows are appended to partitions chosen per record, by event time or by field values.
// The local warehouse, MaxCompute's twin, takes the same writer.
type TableWriter struct {
	Table     string
	Columns   []schema.Column // the table's initial columns; empty: derived from the chain's outputs
	Partition TablePartition
	Lifecycle int // days; 0: none
}

// TablePartition says which partition a record's row goes to. The zero value is a
// non-partitioned table.
type TablePartition struct {
	// TimeField partitions by event time (DataWorks' automatic time partitions): the field's
	// value (epoch milliseconds, a time, or a time text), or the record's timestamp for
	// __timestamp__, cut in the job's time zone into Levels.
	TimeField string
	// Levels are a prefix of TimeLevels (year, month, day, hour), one partition column each.
	Levels []string
	// Fields partition by these fields' values (dynamic partitions), one column each.
	Fields []string
	// Columns name the partition columns, outermost first: the levels' or the fields' names
	// unless the job names them (writer.partition.columns).
	Columns []string
}

// Schema is the table for columns cols (the writer's schema or the chain's outputs):
// the partition columns are STRING.
func (w *TableWriter) Schema(cols []schema.Column) schema.Table {
	t := schema.Table{Name: w.Table, Columns: cols, Lifecycle: w.Lifecycle}
	for _, c := range w.Partition.Columns {
		t.Partitions = append(t.Partitions, schema.Column{Name: c, Type: schema.String})
	}
	return t
}

var tableWriterKeys = []string{"type", "table", "schema", "partition", "lifecycle"}

func tableWriter(m map[string]any) (*TableWriter, error) {
	w := &TableWriter{}
	if err := config.OnlyKeys("writer", m, tableWriterKeys); err != nil {
		return nil, err
	}
	table, err := config.String("writer.table", m["table"])
	if err != nil {
		return nil, err
	}
	w.Table = strings.TrimSpace(table)
	if w.Table == "" {
		return nil, fmt.Errorf("writer.table: required (the MaxCompute table)")
	}
	if err := schema.ValidateName(w.Table); err != nil {
		return nil, fmt.Errorf("writer.table: %w", err)
	}
	if v, ok := m["schema"]; ok {
		if w.Columns, err = schemaColumns(v); err != nil {
			return nil, fmt.Errorf("writer.%w", err)
		}
	}
	if v, ok := m["lifecycle"]; ok {
		n, err := config.Int("writer.lifecycle", v)
		if err != nil || n < 0 || n > 37231 {
			return nil, fmt.Errorf("writer.lifecycle: want days, 0 (none) to 37231")
		}
		w.Lifecycle = int(n)
	}
	if w.Partition, err = tablePartition(m["partition"]); err != nil {
		return nil, err
	}
	if len(w.Columns) > 0 {
		probe := w.Schema(w.Columns)
		if err := probe.Validate(); err != nil {
			return nil, fmt.Errorf("writer: %w", err)
		}
	}
	return w, nil
}

func tablePartition(v any) (TablePartition, error) {
	var p TablePartition
	if v == nil {
		return p, nil
	}
	m, err := config.Map("writer.partition", v, false)
	if err != nil {
		return p, err
	}
	if err := config.OnlyKeys("writer.partition", m, []string{"time", "levels", "fields", "columns"}); err != nil {
		return p, err
	}
	if p.TimeField, err = config.String("writer.partition.time", m["time"]); err != nil {
		return p, err
	}
	p.TimeField = strings.TrimSpace(p.TimeField)
	if p.Levels, err = config.StringList("writer.partition.levels", m["levels"]); err != nil {
		return p, err
	}
	if p.Fields, err = config.StringList("writer.partition.fields", m["fields"]); err != nil {
		return p, err
	}
	if p.Columns, err = config.StringList("writer.partition.columns", m["columns"]); err != nil {
		return p, err
	}
	var names []string
	switch {
	case p.TimeField != "" && len(p.Fields) > 0:
		return p, fmt.Errorf("writer.partition: time and fields exclude each other (partition by event time or by field values)")
	case p.TimeField != "":
		if len(p.Levels) == 0 {
			p.Levels = slices.Clone(TimeLevels)
		}
		for i, l := range p.Levels {
			if i >= len(TimeLevels) || l != TimeLevels[i] {
				return p, fmt.Errorf("writer.partition.levels[%d]: %q: the levels are a prefix of %s", i, l, strings.Join(TimeLevels, ", "))
			}
		}
		names = p.Levels
	case len(p.Levels) > 0:
		return p, fmt.Errorf("writer.partition.levels: needs writer.partition.time (the event-time field)")
	case len(p.Fields) > 0:
		for i, f := range p.Fields {
			if strings.TrimSpace(f) == "" {
				return p, fmt.Errorf("writer.partition.fields[%d]: empty", i)
			}
		}
		names = p.Fields
	case len(p.Columns) > 0:
		return p, fmt.Errorf("writer.partition.columns: needs writer.partition.time or writer.partition.fields")
	default:
		return p, nil
	}
	if len(p.Columns) == 0 {
		p.Columns = slices.Clone(names)
	}
	if len(p.Columns) != len(names) {
		return p, fmt.Errorf("writer.partition.columns: %d names for %d partition levels", len(p.Columns), len(names))
	}
	for i, c := range p.Columns {
		if err := schema.ValidateName(c); err != nil {
			return p, fmt.Errorf("writer.partition.columns[%d]: %w", i, err)
		}
		for _, o := range p.Columns[:i] {
			if strings.EqualFold(o, c) {
				return p, fmt.Errorf("writer.partition.columns[%d]: %s appears twice", i, c)
			}
		}
	}
	return p, nil
}
