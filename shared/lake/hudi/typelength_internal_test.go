package hudi

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go/format"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schema"
)

// TestBaseFilesSetTypeLengthOnlyOnFixedLengthColumns writes a base file with a column of every
// type, then tops up a big file group keeping its row groups in place (a joined footer), and
// requires that no schema element but a FIXED_LEN_BYTE_ARRAY one has a type_length: with one,
// Hive's Parquet reader (and so Hudi's HoodieParquetInputFormat) refuses the file's columns
// (hivemr_test.go reads the tables).
func TestBaseFilesSetTypeLengthOnlyOnFixedLengthColumns(t *testing.T) {
	s := objstore.NewMemory()
	var cols []schema.Column
	row := schema.Row{}
	at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, typ := range []schema.Type{schema.BigInt, schema.Int, schema.SmallInt, schema.TinyInt, schema.Double, schema.Float,
		schema.Decimal, schema.String, schema.Varchar, schema.Char, schema.Boolean, schema.Datetime, schema.Timestamp, schema.Date,
		schema.Binary, schema.JSON} {
		cols = append(cols, schema.Column{Name: fmt.Sprintf("c%d", i), Type: typ})
		row = append(row, map[schema.Type]any{schema.BigInt: int64(1), schema.Int: int64(2), schema.SmallInt: int64(3),
			schema.TinyInt: int64(4), schema.Double: 0.5, schema.Float: 0.25, schema.Decimal: "1.5", schema.Boolean: true,
			schema.Datetime: at, schema.Timestamp: at, schema.Date: at.Truncate(24 * time.Hour), schema.Binary: []byte{1},
			schema.JSON: "{}"}[typ])
		if row[i] == nil {
			row[i] = "text"
		}
	}
	all, err := Create(t.Context(), s, "all", Config{Name: "all", Columns: cols, RecordKey: []string{"c0"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := all.Write(t.Context(), Batch{Columns: cols, Rows: []schema.Row{row}}); err != nil {
		t.Fatal(err)
	}
	big, err := Create(t.Context(), s, "big", Config{Name: "big", Columns: WorkloadColumns, RecordKey: []string{"order_id"}})
	if err != nil {
		t.Fatal(err)
	}
	rows := WorkloadRows(9050)
	for i := range rows {
		rows[i][0] = fmt.Sprintf("ORD-%09d", i)
	}
	for _, b := range [][]schema.Row{rows[:9000], rows[9000:]} {
		if _, err := big.Write(t.Context(), Batch{Columns: WorkloadColumns, Rows: b}); err != nil {
			t.Fatal(err)
		}
	}
	keys, _, err := s.List(t.Context(), "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	for _, k := range keys {
		if !strings.HasSuffix(k, ".parquet") {
			continue
		}
		files++
		data, err := s.Get(t.Context(), k)
		if err != nil {
			t.Fatal(err)
		}
		md, _, err := readFooter(data)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		for _, e := range md.Schema {
			if e.TypeLength.Valid && (!e.Type.Valid || e.Type.V != format.FixedLenByteArray) {
				t.Errorf("%s: column %s (%v) has type_length %d", k, e.Name, e.Type.V, e.TypeLength.V)
			}
		}
	}
	if files != 3 {
		t.Fatalf("%d base files, want 3 (one, then a file group and its top-up)", files)
	}
}
