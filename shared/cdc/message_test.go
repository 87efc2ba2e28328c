package cdc

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenTable is a table with a column of every DataWorks type.
func goldenTable(t testing.TB) *Table {
	t.Helper()
	tb := &Table{DB: "shop", Name: "orders", Topic: "orders", PrimaryKey: []string{"id"}, Key: []string{"id"}, Columns: []Column{
		{Name: "id", DataType: "bigint", ColumnType: "bigint(20) unsigned"},
		{Name: "customer", DataType: "varchar", ColumnType: "varchar(64)", Charset: "utf8mb4", Nullable: true},
		{Name: "total", DataType: "decimal", ColumnType: "decimal(10,2)"},
		{Name: "weight", DataType: "double", ColumnType: "double", Nullable: true},
		{Name: "paid", DataType: "bit", ColumnType: "bit(1)"},
		{Name: "created", DataType: "datetime", ColumnType: "datetime(3)"},
		{Name: "status", DataType: "enum", ColumnType: "enum('new','paid','shipped')"},
		{Name: "photo", DataType: "blob", ColumnType: "blob", Nullable: true},
	}}
	if err := tb.prepare("10.11.19-MariaDB-0+deb12u1-log"); err != nil {
		t.Fatal(err)
	}
	return tb
}

func goldenRow(t testing.TB, tb *Table, raw ...any) []value {
	t.Helper()
	out := make([]value, len(raw))
	for i, r := range raw {
		v, err := convertBinlog(&tb.Columns[i], r, shanghai)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = v
	}
	return out
}

// TestMessagesMatchTheDataWorksFormat: every kind of record, byte for byte.
// rowMessage is appendRowMessage for a row that encodes.
func rowMessage(t *testing.T, dst, schema []byte, tb *Table, cols []int, op string, before, after []value, st *stamp) []byte {
	t.Helper()
	b, err := appendRowMessage(dst, schema, tb, cols, op, before, after, st, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMessagesMatchTheDataWorksFormat(t *testing.T) {
	tb := goldenTable(t)
	before := goldenRow(t, tb, int64(1001), "Ann Lee", "99.50", 1.25, int64(0), "2024-06-01 10:00:00.250", int64(1), nil)
	after := goldenRow(t, tb, int64(1001), "Ann Lee", "99.50", 1.25, int64(1), "2024-06-01 10:00:00.250", int64(2), []byte{0xff, 0xd8})
	seq := func(row, part int) []byte { return appendSequenceID(nil, 3, 1875, row, part) }
	const ev, sys = int64(1717207205000), int64(1717207206123)
	binlog := func(row, part int) *stamp {
		return &stamp{seq: seq(row, part), eventMs: ev, systemMs: sys, checkpoint: ev}
	}
	cases := []struct {
		name string
		msg  []byte
	}{
		{"full-data record (snapshot)", rowMessage(t, nil, tb.schema, tb, tb.all, OpInsert, nil, before, &stamp{eventMs: -1, systemMs: sys, checkpoint: -1})},
		{"insert", rowMessage(t, nil, tb.schema, tb, tb.all, OpInsert, nil, before, binlog(0, 0))},
		{"update as one record", rowMessage(t, nil, tb.schema, tb, tb.all, OpUpdateAfter, before, after, binlog(0, 0))},
		{"update as two records: before", rowMessage(t, nil, tb.schema, tb, tb.all, OpUpdateBefore, before, nil, binlog(0, 0))},
		{"update as two records: after", rowMessage(t, nil, tb.schema, tb, tb.all, OpUpdateAfter, nil, after, binlog(0, 1))},
		{"delete", rowMessage(t, nil, tb.schema, tb, tb.all, OpDelete, after, nil, binlog(1, 0))},
		{"ddl", appendDDLMessage(nil, tb, OpAlter, "ALTER TABLE orders ADD COLUMN note TEXT", binlog(0, 0))},
		{"heartbeat", appendHeartbeatMessage(nil, "10.11.19-MariaDB-0+deb12u1-log", &stamp{seq: appendSequenceID(nil, 3, 1875, heartbeatRow, heartbeatPart), eventMs: ev, systemMs: sys, checkpoint: ev})},
	}
	var got bytes.Buffer
	for _, c := range cases {
		if !json.Valid(c.msg) {
			t.Errorf("%s: not valid JSON: %s", c.name, c.msg)
		}
		if _, err := DecodeMessage(c.msg); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		got.WriteString("# " + c.name + "\n")
		got.Write(c.msg)
		got.WriteString("\n")
	}
	golden := filepath.Join("testdata", "messages.golden")
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("messages differ from %s (go test -update rewrites it):\n%s", golden, got.String())
	}
}

func TestDecodeMessageRejectsOtherShapes(t *testing.T) {
	for _, s := range []string{`{"schema":{},"payload":{},"version":"1.0.0","extra":1}`, `[]`, `{"payload":{"op":5}}`} {
		if _, err := DecodeMessage([]byte(s)); err == nil {
			t.Errorf("DecodeMessage(%s): no error", s)
		}
	}
}

func BenchmarkEncodeRowMessage(b *testing.B) {
	tb := goldenTable(b)
	row := goldenRow(b, tb, int64(1001), "Ann Lee", "99.50", 1.25, int64(0), "2024-06-01 10:00:00.250", int64(1), []byte("photo bytes"))
	st := &stamp{seq: appendSequenceID(nil, 3, 1875, 0, 0), eventMs: 1, systemMs: 2, checkpoint: 1}
	buf := make([]byte, 0, 2048)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = appendRowMessage(buf[:0], tb.schema, tb, tb.all, OpInsert, nil, row, st, time.UTC)
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkConvertBinlogRow(b *testing.B) {
	tb := goldenTable(b)
	raw := []any{int64(1001), "Ann Lee", "99.50", 1.25, int64(0), "2024-06-01 10:00:00.250", int64(1), []byte("photo bytes")}
	vals := make([]value, len(raw))
	b.ReportAllocs()
	for b.Loop() {
		for i, r := range raw {
			v, err := convertBinlog(&tb.Columns[i], r, shanghai)
			if err != nil {
				b.Fatal(err)
			}
			vals[i] = v
		}
	}
}
