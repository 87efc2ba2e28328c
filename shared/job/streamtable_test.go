package job

import (
	"reflect"
	"strings"
	"testing"

	"github.com/fcsync/fcsync/shared/schema"
)

func streamWithWriter(writer string) string {
	return "name: rt\ntimezone: Asia/Shanghai\nreader: {type: kafka, topic: orders}\nprocessors: []\nwriter: " + writer + "\n"
}

func TestLoadStreamReadsTheMaxComputeWriter(t *testing.T) {
	cases := []struct {
		name, writer string
		want         TableWriter
	}{
		{"hourly time partitions named by default", `{type: maxcompute, table: orders, partition: {time: ts, levels: [year, month, day, hour]}, lifecycle: 30}`,
			TableWriter{Table: "orders", Lifecycle: 30, Partition: TablePartition{TimeField: "ts", Levels: []string{"year", "month", "day", "hour"}, Columns: []string{"year", "month", "day", "hour"}}}},
		{"all four levels when none are given", `{type: odps, table: orders, partition: {time: __timestamp__}}`,
			TableWriter{Table: "orders", Partition: TablePartition{TimeField: "__timestamp__", Levels: []string{"year", "month", "day", "hour"}, Columns: []string{"year", "month", "day", "hour"}}}},
		{"day partitions with named columns", `{type: MaxCompute, table: orders, partition: {time: ts, levels: [year, month, day], columns: [y, m, d]}}`,
			TableWriter{Table: "orders", Partition: TablePartition{TimeField: "ts", Levels: []string{"year", "month", "day"}, Columns: []string{"y", "m", "d"}}}},
		{"dynamic partitions by field values", `{type: maxcompute, table: orders, partition: {fields: [region, status]}, schema: [{name: id, type: bigint}]}`,
			TableWriter{Table: "orders", Columns: []schema.Column{{Name: "id", Type: schema.BigInt}}, Partition: TablePartition{Fields: []string{"region", "status"}, Columns: []string{"region", "status"}}}},
		{"no partition", `{type: maxcompute, table: orders}`, TableWriter{Table: "orders"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := LoadStream([]byte(streamWithWriter(c.writer)), "x")
			if err != nil {
				t.Fatal(err)
			}
			if s.Table == nil || !reflect.DeepEqual(*s.Table, c.want) {
				t.Fatalf("table writer %+v\nwant %+v", s.Table, c.want)
			}
		})
	}
}

func TestMaxComputeWriterErrorsNameTheField(t *testing.T) {
	cases := []struct{ writer, want string }{
		{`{type: maxcompute, table: orders, path: x}`, "writer.path"},
		{`{type: maxcompute}`, "writer.table"},
		{`{type: maxcompute, table: "1bad"}`, "writer.table"},
		{`{type: maxcompute, table: t, partition: {time: ts, level: day}}`, "writer.partition.level"},
		{`{type: maxcompute, table: t, partition: {time: ts, levels: [day]}}`, "writer.partition.levels[0]"},
		{`{type: maxcompute, table: t, partition: {time: ts, levels: [year, day]}}`, "writer.partition.levels[1]"},
		{`{type: maxcompute, table: t, partition: {levels: [year]}}`, "writer.partition.levels"},
		{`{type: maxcompute, table: t, partition: {time: ts, fields: [a]}}`, "writer.partition"},
		{`{type: maxcompute, table: t, partition: {fields: [a, b], columns: [x]}}`, "writer.partition.columns"},
		{`{type: maxcompute, table: t, partition: {fields: [a, b], columns: [x, X]}}`, "writer.partition.columns[1]"},
		{`{type: maxcompute, table: t, partition: {fields: ["../x"]}}`, "writer.partition.columns[0]"},
		{`{type: maxcompute, table: t, partition: {columns: [x]}}`, "writer.partition.columns"},
		{`{type: maxcompute, table: t, lifecycle: -1}`, "writer.lifecycle"},
		{`{type: maxcompute, table: t, schema: [{name: x, type: nope}]}`, "writer.schema[0].type"},
		{`{type: maxcompute, table: t, schema: [{name: year, type: string}], partition: {time: ts}}`, "year"},
		{`{type: kudu, table: t}`, "writer.type"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			_, err := LoadStream([]byte(streamWithWriter(c.writer)), "x")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("LoadStream(%s) = %v, want an error naming %s", c.writer, err, c.want)
			}
		})
	}
}

// FuzzLoadStreamMaxComputeWriter loads stream jobs with arbitrary writer sections: no panic,
// and a writer that loads names valid partition columns, one per level or field.
func FuzzLoadStreamMaxComputeWriter(f *testing.F) {
	for _, w := range []string{
		`{type: maxcompute, table: orders, partition: {time: ts, levels: [year, month, day, hour]}, lifecycle: 30}`,
		`{type: odps, table: orders, partition: {fields: [region, status], columns: [r, s]}}`,
		`{type: maxcompute, table: t, partition: {time: __timestamp__, levels: [year]}, schema: [{name: id, type: bigint}]}`,
		`{type: maxcompute, table: t, partition: {fields: ["../x"]}}`,
		`{type: maxcompute, table: t, partition: {time: ts, levels: [day]}}`,
		`{type: maxcompute, table: t, partition: [1, 2]}`,
	} {
		f.Add(w)
	}
	f.Fuzz(func(t *testing.T, writer string) {
		s, err := LoadStream([]byte(streamWithWriter(writer)), "x")
		if err != nil || s.Table == nil {
			return
		}
		p := s.Table.Partition
		if n := max(len(p.Levels), len(p.Fields)); len(p.Columns) != n {
			t.Fatalf("%d partition columns for %d levels/fields", len(p.Columns), n)
		}
		tbl := s.Table.Schema([]schema.Column{{Name: "zz_data", Type: schema.String}})
		for _, c := range tbl.Partitions {
			if err := schema.ValidateName(c.Name); err != nil {
				t.Fatalf("partition column %q: %v", c.Name, err)
			}
		}
	})
}
