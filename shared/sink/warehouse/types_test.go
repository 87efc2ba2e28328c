package warehouse

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/sink"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func allTypesTable() schema.Table {
	t := schema.Table{Name: "all_types", Partitions: []schema.Column{{Name: "ds", Type: schema.String}}}
	for _, typ := range []schema.Type{schema.BigInt, schema.Int, schema.SmallInt, schema.TinyInt, schema.Double, schema.Float,
		schema.Decimal, schema.String, schema.Varchar, schema.Char, schema.Boolean, schema.Datetime, schema.Timestamp,
		schema.Date, schema.Binary, schema.JSON} {
		t.Columns = append(t.Columns, schema.Column{Name: "c_" + string(typ), Type: typ})
	}
	return t
}

// describe renders a value with its Go type, so the golden file pins types as well as values.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		return fmt.Sprintf("time.Time(%s)", x.Format(time.RFC3339Nano))
	case []byte:
		return fmt.Sprintf("[]byte(%x)", x)
	case string:
		return fmt.Sprintf("string(%q)", x)
	}
	return fmt.Sprintf("%T(%v)", v, v)
}

func TestEveryTypeRoundTrips(t *testing.T) {
	ctx := context.Background()
	shanghai := time.FixedZone("CST", 8*3600)
	rows := []schema.Row{
		{int64(math.MaxInt64), int64(-2147483648), int64(32767), int64(-128), 3.141592653589793, 1.5,
			"12345.678900", "héllo, 世界", "", "c", true,
			time.Date(2022, 11, 22, 10, 0, 0, 123_000_000, shanghai),
			time.Date(2022, 11, 22, 2, 0, 0, 123_456_000, time.UTC),
			time.Date(2022, 11, 22, 23, 30, 0, 0, shanghai),
			[]byte{0, 1, 0xfe, 0xff}, `{"a":{"a1":"hello"}}`},
		make(schema.Row, 16), // every column NULL
		{int64(math.MinInt64), int64(0), int64(0), int64(0), -1e308, 0.0, "-0", "line\nbreak\x00nul", "v", "", false,
			time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1900, 1, 1, 0, 0, 0, 1_000, time.UTC),
			time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC), []byte{}, `[]`},
	}
	table := allTypesTable()
	w := openTest(t)
	p := schema.Partition{{Column: "ds", Value: "20221122"}}
	s, err := w.Begin(ctx, sink.SessionSpec{Table: table, Segment: "types", Owned: p})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := s.Write(ctx, p, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	i := 0
	err = w.Scan(ctx, "all_types", nil, func(p schema.Partition, row map[string]any) error {
		line := map[string]string{"partition": p.String()}
		for j, c := range table.Columns {
			got, want := row[c.Name], rows[i][j]
			line[c.Name] = describe(got)
			if !sameValue(c.Type, got, want) {
				t.Errorf("row %d column %s: got %s, wrote %s", i, c.Name, describe(got), describe(want))
			}
		}
		b, err := json.Marshal(line)
		if err != nil {
			return err
		}
		out.Write(append(b, '\n'))
		i++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if i != len(rows) {
		t.Fatalf("scanned %d rows, wrote %d", i, len(rows))
	}
	golden(t, "all_types.jsonl", out.Bytes())
}

// sameValue compares a value read back with the value written: times as instants (DATE as
// the written date), everything else exactly.
func sameValue(typ schema.Type, got, want any) bool {
	wt, ok := want.(time.Time)
	if !ok {
		return reflect.DeepEqual(got, want)
	}
	gt, ok := got.(time.Time)
	if !ok {
		return false
	}
	if typ == schema.Date {
		y, m, d := wt.Date()
		return gt.Equal(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
	}
	return gt.Equal(wt)
}

func TestWriteAcceptsNarrowGoTypesForWideColumns(t *testing.T) {
	tests := []struct {
		typ  schema.Type
		in   any
		want any
	}{
		{schema.BigInt, 7, int64(7)},
		{schema.Int, int32(-7), int64(-7)},
		{schema.TinyInt, uint8(255), int64(255)},
		{schema.Double, float32(0.5), 0.5},
		{schema.Double, int64(3), 3.0},
		{schema.String, []byte("bytes"), "bytes"},
		{schema.Binary, "text", []byte("text")},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s from %T", tt.typ, tt.in), func(t *testing.T) {
			ctx := context.Background()
			w := openTest(t)
			table := schema.Table{Name: "t", Columns: []schema.Column{{Name: "c", Type: tt.typ}}}
			s, err := w.Begin(ctx, sink.SessionSpec{Table: table, Segment: "s"})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Write(ctx, nil, schema.Row{tt.in}); err != nil {
				t.Fatal(err)
			}
			if err := s.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			var got any
			if err := w.Scan(ctx, "t", nil, func(_ schema.Partition, r map[string]any) error { got = r["c"]; return nil }); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("read %s, want %s", describe(got), describe(tt.want))
			}
		})
	}
}

func TestDDLMatchesGolden(t *testing.T) {
	attr := attrTable("topic_a")
	attr.Partitions = attr.Partitions[:1]
	attr.Columns[0].Comment = "The key of a Kafka message."
	attr.Columns[1].Comment = "The value of a Kafka message."
	attr.Columns[3].Comment = `it's "quoted" \ with a backslash` + "\nand a newline"
	attr.Comment = "synced from Kafka topic topic_a"
	plain := allTypesTable()
	plain.Partitions = nil
	plain.Lifecycle = 0
	tests := []struct {
		project string
		table   schema.Table
		file    string
	}{
		{"", attr, "ddl_topic.sql"},
		{"my_project", attr, "ddl_topic_project.sql"},
		{"", plain, "ddl_all_types.sql"},
		{"", allTypesTable(), "ddl_all_types_partitioned.sql"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			golden(t, tt.file, []byte(DDL(tt.project, tt.table)))
		})
	}
}
