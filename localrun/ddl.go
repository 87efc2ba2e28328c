package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/fcsync/fcsync/shared/fieldmap"
	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/sink/maxcompute"
	"github.com/fcsync/fcsync/shared/sink/warehouse"
	"github.com/fcsync/fcsync/shared/stream"
)

// printStreamDDL shows the destination table a stream job creates, as the function creates
// it: a MaxCompute writer's CREATE TABLE (the statement the sink runs), or a Hudi writer's
// hoodie.properties and columns. cols are the table's columns (nil: the job's own).
func printStreamDDL(out io.Writer, j *stream.Job, project string, cols []schema.Column) error {
	if cols == nil {
		cols = j.Columns()
	}
	if tw := j.Spec.Table; tw != nil {
		fmt.Fprintf(out, "-- MaxCompute table of stream job %s, created by the first batch when absent:\n", j.Spec.Name)
		fmt.Fprint(out, warehouse.DDL(project, tw.Schema(cols)))
		return nil
	}
	props, err := j.HudiProperties(cols)
	if err != nil {
		return err
	}
	w := j.Spec.Writer
	fmt.Fprintf(out, "-- Hudi copy-on-write table %s of stream job %s, created by the first batch when absent\n", w.Path, j.Spec.Name)
	fmt.Fprintf(out, "-- columns (record key %s", orNone(strings.Join(w.PrimaryKey, ",")))
	fmt.Fprintf(out, ", precombine %s", orNone(w.Precombine))
	switch p := w.Partition; {
	case p.TimeField != "":
		fmt.Fprintf(out, ", partitioned by %s of %s", p.TimeLevel, p.TimeField)
	case len(p.Fields) > 0:
		fmt.Fprintf(out, ", partitioned by %s", strings.Join(p.Fields, ","))
	}
	fmt.Fprintln(out, "):")
	for _, c := range cols {
		fmt.Fprintf(out, "--   %s %s\n", c.Name, c.Type)
	}
	fmt.Fprintln(out, "-- .hoodie/hoodie.properties:")
	fmt.Fprint(out, props)
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// alterStatements are the schema changes a batch with DDL events evs makes: MaxCompute's
// ALTER TABLE ... ADD COLUMNS (the statement the sink runs), or the Hudi schema evolution
// (the commit's schema gains the columns; Spark SQL's equivalent statement).
func alterStatements(j *stream.Job, evs []fieldmap.DDLEvent) []string {
	if len(evs) == 0 {
		return nil
	}
	cols := make([]schema.Column, len(evs))
	for i, ev := range evs {
		cols[i] = ev.Column
	}
	if tw := j.Spec.Table; tw != nil {
		return []string{maxcompute.AddColumnsSQL(tw.Table, cols)}
	}
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = warehouse.QuoteIdent(c.Name) + " " + string(c.Type)
	}
	name := warehouse.QuoteIdent(j.Spec.Writer.Table)
	if j.Spec.Writer.Database != "" {
		name = warehouse.QuoteIdent(j.Spec.Writer.Database) + "." + name
	}
	return []string{"ALTER TABLE " + name + " ADD COLUMNS (" + strings.Join(parts, ", ") + "); -- Hudi schema evolution: the commit's schema gains the columns"}
}
