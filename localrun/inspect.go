package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/fcsync/fcsync/shared/column"
	"github.com/fcsync/fcsync/shared/job"
	"github.com/fcsync/fcsync/shared/schedule"
	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/sink/warehouse"
)

func runParams(_ context.Context, args []string, out io.Writer) error {
	fs := flags("params")
	at := fs.String("at", "", "scheduled time (RFC 3339, yyyymmddhhmmss or 'yyyy-mm-dd hh:mm:ss' in --tz)")
	tz := fs.String("tz", "Asia/Shanghai", "time zone the parameters are evaluated in")
	if err := parse(fs, args); err != nil {
		return err
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return usageError{fmt.Sprintf("params: --tz %q: unknown time zone", *tz)}
	}
	if *at == "" || fs.NArg() == 0 {
		return usageError{"params: need --at TIME and at least one EXPR"}
	}
	t, err := parseTime(*at, loc)
	if err != nil {
		return usageError{"params: --at: " + err.Error()}
	}
	t = t.In(loc)
	for _, arg := range fs.Args() {
		if isAssignment(arg) {
			as, err := schedule.ParseAssignments(arg)
			if err != nil {
				return err
			}
			vals, err := schedule.Resolve(as, t, nil)
			if err != nil {
				return err
			}
			for _, a := range as {
				fmt.Fprintf(out, "%s=%s\n", a.Name, vals[a.Name])
			}
			continue
		}
		v, err := schedule.Expand(arg, nil, t)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s=%s\n", arg, v)
	}
	return nil
}

// isAssignment tells name=value from an expression (expressions never contain '=').
func isAssignment(s string) bool {
	name, _, ok := strings.Cut(s, "=")
	return ok && !strings.ContainsAny(name, "$[]{}")
}

func runDDL(_ context.Context, args []string, out io.Writer) error {
	fs := flags("ddl")
	jobFile := fs.String("job", "", "job file (batch, or stream: YAML or JSON)")
	project := fs.String("project", "", "qualify the table with this MaxCompute project")
	input := fs.String("input", "", "stream jobs: records file; also show the schema changes (added columns) a batch of them makes")
	at := fs.String("at", "", "stream jobs with --input: batch time (default now)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *jobFile == "" {
		return usageError{"ddl: --job FILE is required"}
	}
	if isStreamFile(*jobFile) {
		return ddlStream(*jobFile, *project, *input, *at, out)
	}
	spec, err := job.LoadFile(*jobFile)
	if err != nil {
		return err
	}
	j, err := spec.Bind(time.Now(), nil)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, warehouse.DDL(*project, j.GeneratedTable()))
	return nil
}

func runPreview(_ context.Context, args []string, out io.Writer) error {
	fs := flags("preview")
	jobFile := fs.String("job", "", "job file")
	input := fs.String("input", "", "records file: one JSON object per line (key, value, partition, offset, timestamp, headers)")
	at := fs.String("at", "", "scheduled time to bind parameters at (default now)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *jobFile == "" || *input == "" {
		return usageError{"preview: --job FILE and --input RECORDS.jsonl are required"}
	}
	if isStreamFile(*jobFile) {
		return previewStream(*jobFile, *input, *at, out)
	}
	spec, err := job.LoadFile(*jobFile)
	if err != nil {
		return err
	}
	t := time.Now()
	if *at != "" {
		if t, err = parseTime(*at, spec.Location); err != nil {
			return usageError{"preview: --at: " + err.Error()}
		}
	}
	j, err := spec.Bind(t, nil)
	if err != nil {
		return err
	}
	m, err := j.Mapper()
	if err != nil {
		return err
	}
	recs, err := readRecordsFile(*input)
	if err != nil {
		return err
	}
	rows, dirty := 0, 0
	for i := range recs {
		r := &recs[i]
		r.Topic = j.Reader.Topic
		row, err := m.Map(r, nil)
		if err != nil {
			dirty++
			d := map[string]any{"dirty": true, "partition": r.Partition, "offset": r.Offset, "reason": err.Error()}
			var de *column.DirtyError
			if errors.As(err, &de) {
				d["column"], d["reason"] = de.Column, de.Reason
			}
			b, _ := json.Marshal(d)
			fmt.Fprintln(out, string(b))
			continue
		}
		rows++
		fmt.Fprintln(out, rowJSON(j.Writer.Table.Columns, row, nil))
	}
	fmt.Fprintf(out, "# %d rows, %d dirty\n", rows, dirty)
	return nil
}

func runQuery(ctx context.Context, args []string, out io.Writer) error {
	fs := flags("query")
	table := fs.String("table", "", "table directory: a Hudi table, or a table inside a warehouse")
	part := fs.String("partition", "", "only this partition (a prefix: ds=20221122 matches every hh under it)")
	limit := fs.Int("limit", 0, "at most this many rows (0 = all)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *table == "" {
		return usageError{"query: --table DIR is required"}
	}
	if isHudi, err := queryHudi(ctx, *table, out); isHudi || err != nil {
		return err
	}
	w, name, err := warehouse.OpenTableDir(*table)
	if err != nil {
		return err
	}
	filter, err := schema.ParsePartition(*part)
	if err != nil {
		return usageError{"query: --partition: " + err.Error()}
	}
	t, err := w.Table(ctx, name)
	if err != nil {
		return err
	}
	n := 0
	errStop := errors.New("limit")
	err = w.Scan(ctx, name, filter, func(p schema.Partition, row map[string]any) error {
		vals := make(schema.Row, len(t.Columns))
		for i, c := range t.Columns {
			vals[i] = row[c.Name]
		}
		fmt.Fprintln(out, rowJSON(t.Columns, vals, p))
		n++
		if *limit > 0 && n >= *limit {
			return errStop
		}
		return nil
	})
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

// rowJSON renders a row as one JSON object with keys in column order, then the partition columns.
func rowJSON(cols []schema.Column, row schema.Row, p schema.Partition) string {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(c.Name)
		b.Write(k)
		b.WriteByte(':')
		var v any
		if i < len(row) {
			v = row[i]
		}
		if t, ok := v.(time.Time); ok {
			v = t.Format("2006-01-02 15:04:05.000")
		}
		enc, err := json.Marshal(v)
		if err != nil {
			enc = []byte("null")
		}
		b.Write(enc)
	}
	for _, pv := range p {
		k, _ := json.Marshal(pv.Column)
		v, _ := json.Marshal(pv.Value)
		fmt.Fprintf(&b, ",%s:%s", k, v)
	}
	b.WriteByte('}')
	return b.String()
}
