package hudi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/lake/hudi"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schema"
)

// duckdbDir holds the Node script that reads tables with DuckDB. CI installs its dependencies
// with: npm install --prefix shared/lake/hudi/testdata/duckdb --no-save --no-audit --no-fund
const duckdbDir = "testdata/duckdb"

// requireDuckDB skips the test when DuckDB's Node package is not installed, unless
// FCSYNC_REQUIRE_DUCKDB=1, which makes that a failure.
func requireDuckDB(t *testing.T) {
	t.Helper()
	_, nodeErr := exec.LookPath("node")
	_, modErr := os.Stat(filepath.Join(duckdbDir, "node_modules", "@duckdb", "node-api"))
	if nodeErr == nil && modErr == nil {
		return
	}
	msg := fmt.Sprintf("DuckDB check needs node and `npm install --prefix shared/lake/hudi/%s --no-save` (node: %v, module: %v)", duckdbDir, nodeErr, modErr)
	if os.Getenv("FCSYNC_REQUIRE_DUCKDB") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// crashAfterPut is a store that fails every operation once a Put of a base file has
// succeeded, as a process that dies right after writing its first data file.
type crashAfterPut struct {
	objstore.Store
	armed, dead atomic.Bool
}

var errDead = errors.New("process died")

func (c *crashAfterPut) check() error {
	if c.dead.Load() {
		return errDead
	}
	return nil
}

func (c *crashAfterPut) Get(ctx context.Context, k string) ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	return c.Store.Get(ctx, k)
}

func (c *crashAfterPut) Put(ctx context.Context, k string, d []byte) error {
	if err := c.check(); err != nil {
		return err
	}
	err := c.Store.Put(ctx, k, d)
	if c.armed.Load() && strings.HasSuffix(k, ".parquet") {
		c.dead.Store(true)
	}
	return err
}

func (c *crashAfterPut) CreateIfAbsent(ctx context.Context, k string, d []byte) error {
	if err := c.check(); err != nil {
		return err
	}
	return c.Store.CreateIfAbsent(ctx, k, d)
}

func (c *crashAfterPut) List(ctx context.Context, p, a string, n int) ([]string, string, error) {
	if err := c.check(); err != nil {
		return nil, "", err
	}
	return c.Store.List(ctx, p, a, n)
}

func (c *crashAfterPut) Delete(ctx context.Context, k string) error {
	if err := c.check(); err != nil {
		return err
	}
	return c.Store.Delete(ctx, k)
}

// TestDuckDBReadsTheSameSnapshot writes tables with inserts, upserts, schema evolution and a
// crashed write that leaves uncommitted files behind, then reads them with DuckDB applying the
// snapshot rule on its own, and compares with Snapshot.
func TestDuckDBReadsTheSameSnapshot(t *testing.T) {
	requireDuckDB(t)
	cols := []schema.Column{
		{Name: "id", Type: schema.BigInt},
		{Name: "name", Type: schema.String},
		{Name: "qty", Type: schema.Int},
		{Name: "price", Type: schema.Double},
		{Name: "amount", Type: schema.Decimal},
		{Name: "ok", Type: schema.Boolean},
		{Name: "day", Type: schema.Date},
		{Name: "at", Type: schema.Timestamp},
		{Name: "raw", Type: schema.Binary},
	}
	at := time.Date(2024, 6, 30, 22, 15, 1, 250000000, time.UTC)
	row := func(id int, version int) schema.Row {
		return schema.Row{int64(id), fmt.Sprintf("n%d-v%d", id, version), int64(id * version), float64(id) + 0.5, fmt.Sprintf("%d.%02d", id, version),
			id%2 == 0, at.AddDate(0, 0, id%3), at.Add(time.Duration(id) * 37 * time.Minute), []byte(fmt.Sprintf("raw-%d", id))}
	}
	tests := []struct {
		name string
		cfg  hudi.Config
	}{
		{"upsert by hour hive style", hudi.Config{Name: "t1", Columns: cols, RecordKey: []string{"id"}, Precombine: "qty",
			Partitioning: hudi.Partitioning{TimeField: "at", Granularity: hudi.Hour, HiveStyle: true}}},
		{"composite key by value", hudi.Config{Name: "t2", Columns: cols, RecordKey: []string{"id", "name"},
			Partitioning: hudi.Partitioning{Fields: []string{"ok"}}}},
		{"insert only", hudi.Config{Name: "t3", Columns: cols}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "store")
			d, err := objstore.NewDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			s := &crashAfterPut{Store: d}
			tbl := mustCreate(t, s, "lake/t", tt.cfg, hudi.WithFileSizes(4<<10, 2<<10))
			var first []schema.Row
			for i := range 40 {
				first = append(first, row(i, 1))
			}
			mustWrite(t, tbl, hudi.Batch{Columns: cols, Rows: first})
			var second []schema.Row
			for i := 30; i < 60; i++ {
				second = append(second, row(i, 2))
			}
			mustWrite(t, tbl, hudi.Batch{Columns: cols, Rows: second})
			evolved := append(slices.Clone(cols), schema.Column{Name: "extra", Type: schema.String})
			third := []schema.Row{append(row(5, 3), "e5"), append(row(70, 3), "e70")}
			mustWrite(t, tbl, hudi.Batch{Columns: evolved, Rows: third})
			// A write that dies after its first data file: its files stay, uncommitted.
			s.armed.Store(true)
			if _, err := tbl.Write(t.Context(), hudi.Batch{Columns: cols, Rows: []schema.Row{row(6, 9), row(99, 9)}}); err == nil {
				t.Fatal("the crashing write succeeded")
			}
			s.dead.Store(false)
			s.armed.Store(false)

			want := goRows(t, tbl)
			got := duckRows(t, filepath.Join(dir, "lake", "t"))
			if len(want) < 40 {
				t.Fatalf("only %d rows", len(want))
			}
			if len(got) != len(want) {
				t.Fatalf("DuckDB read %d rows, Snapshot %d", len(got), len(want))
			}
			for i := range want {
				for k, v := range want[i] {
					if got[i][k] != v {
						t.Errorf("row %d column %s: DuckDB %q, Snapshot %q", i, k, got[i][k], v)
					}
				}
				if len(got[i]) != len(want[i]) {
					t.Errorf("row %d: DuckDB columns %v, Snapshot columns %v", i, sortedKeys(got[i]), sortedKeys(want[i]))
				}
			}
		})
	}
}

// canonical renders a value as the DuckDB script prints it.
func canonical(v any) string {
	switch x := v.(type) {
	case nil:
		return "<null>"
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []byte:
		return string(x)
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format("2006-01-02") // DATE columns in these tests (timestamps are never at midnight)
		}
		return x.UTC().Format("2006-01-02 15:04:05.999999") + "+00"
	}
	return fmt.Sprint(v)
}

// goRows reads Snapshot as canonical strings, ordered like the DuckDB script.
func goRows(t *testing.T, tbl *hudi.Table) []map[string]string {
	t.Helper()
	snap, err := tbl.Snapshot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	err = snap.Scan(t.Context(), func(r hudi.Row) error {
		m := map[string]string{}
		for i, c := range r.Columns() {
			m[c] = canonical(r.Values[i])
		}
		out = append(out, m)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(out, func(a, b map[string]string) int {
		return strings.Compare(a["_hoodie_partition_path"]+"\x00"+a["_hoodie_record_key"], b["_hoodie_partition_path"]+"\x00"+b["_hoodie_record_key"])
	})
	return out
}

// duckRows runs the DuckDB script on a table directory.
func duckRows(t *testing.T, table string) []map[string]string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "node", "snapshot.mjs", table)
	cmd.Dir = duckdbDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("node snapshot.mjs: %v\n%s", err, stderr.String())
	}
	var out []map[string]string
	sc := bufio.NewScanner(bytes.NewReader(stdout))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("DuckDB output %q: %v", sc.Text(), err)
		}
		row := map[string]string{}
		for k, v := range m {
			switch x := v.(type) {
			case nil:
				row[k] = "<null>"
			case json.Number:
				row[k] = x.String()
			case bool:
				row[k] = strconv.FormatBool(x)
			case string:
				row[k] = x
			default:
				row[k] = fmt.Sprint(x)
			}
		}
		out = append(out, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(out, func(a, b map[string]string) int {
		return strings.Compare(a["_hoodie_partition_path"]+"\x00"+a["_hoodie_record_key"], b["_hoodie_partition_path"]+"\x00"+b["_hoodie_record_key"])
	})
	return out
}
