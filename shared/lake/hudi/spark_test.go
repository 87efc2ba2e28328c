package hudi_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/lake/hudi"
	"github.com/fcsync/fcsync/shared/objstore"
)

// sparkTables is where the Spark-written test tables are (see testdata/spark/README.md).
var sparkTables = filepath.Join("testdata", "spark")

// unzipTable extracts a test table zip into a temporary directory (skipping __MACOSX/) and
// returns a store on that directory and the table's root in it.
func unzipTable(t *testing.T, name string) (objstore.Store, string) {
	t.Helper()
	zr, err := zip.OpenReader(filepath.Join(sparkTables, name+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	dir := t.TempDir()
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, "__MACOSX/") || strings.HasSuffix(f.Name, "/") {
			continue
		}
		target := filepath.Join(dir, filepath.FromSlash(f.Name))
		if !strings.HasPrefix(target, dir+string(filepath.Separator)) {
			t.Fatalf("zip entry %q escapes the directory", f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(target, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := objstore.NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s, name
}

type idNameActive struct {
	id     int64
	name   string
	active bool
}

// snapshotRows reads a snapshot and returns (id, name, isActive) ordered by id.
func snapshotRows(t *testing.T, tbl *hudi.Table, where ...hudi.Predicate) []idNameActive {
	t.Helper()
	snap, err := tbl.Snapshot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var got []idNameActive
	err = snap.Scan(t.Context(), func(r hudi.Row) error {
		id, _ := r.Get("id")
		name, _ := r.Get("name")
		active, _ := r.Get("isActive")
		got = append(got, idNameActive{id.(int64), name.(string), active.(bool)})
		return nil
	}, where...)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, func(a, b idNameActive) int { return int(a.id - b.id) })
	return got
}

var fourRows = []idNameActive{{1, "Alice", false}, {2, "Bob", false}, {3, "Carol", true}, {4, "Diana", true}}

func TestSparkTablesReadAsTheReadmeSays(t *testing.T) {
	tests := []struct {
		table      string
		want       []idNameActive
		partitions []string
	}{
		{"v6_nonpartitioned", fourRows, []string{""}},
		{"v6_complexkeygen_hivestyle", fourRows, []string{"byteField=10/shortField=300", "byteField=20/shortField=100", "byteField=30/shortField=100"}},
		{"v6_timebasedkeygen_nonhivestyle", fourRows, []string{"2023/04/01/12", "2023/04/02/12", "2023/04/03/12", "2023/04/04/13"}},
		{"v6_empty", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.table, func(t *testing.T) {
			s, root := unzipTable(t, tt.table)
			if !hudi.Detect(t.Context(), s, root) {
				t.Fatal("Detect = false")
			}
			tbl, err := hudi.Open(t.Context(), s, root)
			if err != nil {
				t.Fatal(err)
			}
			if tbl.Writable() {
				t.Error("a Spark table opened writable")
			}
			if got := snapshotRows(t, tbl); !slices.Equal(got, tt.want) {
				t.Errorf("rows = %v, want %v", got, tt.want)
			}
			snap, err := tbl.Snapshot(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			var parts []string
			err = snap.Scan(t.Context(), func(r hudi.Row) error {
				p, _ := r.Get("_hoodie_partition_path")
				if !slices.Contains(parts, p.(string)) {
					parts = append(parts, p.(string))
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(parts)
			if !slices.Equal(parts, tt.partitions) {
				t.Errorf("partitions = %q, want %q", parts, tt.partitions)
			}
		})
	}
}

func TestSparkComplexKeyTableAnswersTheReadmeFilter(t *testing.T) {
	s, root := unzipTable(t, "v6_complexkeygen_hivestyle")
	tbl, err := hudi.Open(t.Context(), s, root)
	if err != nil {
		t.Fatal(err)
	}
	var where []hudi.Predicate
	for _, w := range []struct {
		op string
		v  int
	}{{">=", 10}, {"<", 20}} {
		p, err := hudi.Where("byteField", w.op, w.v)
		if err != nil {
			t.Fatal(err)
		}
		where = append(where, p)
	}
	p, err := hudi.Where("shortField", "!=", 100)
	if err != nil {
		t.Fatal(err)
	}
	where = append(where, p)
	want := []idNameActive{{1, "Alice", false}, {3, "Carol", true}}
	if got := snapshotRows(t, tbl, where...); !slices.Equal(got, want) {
		t.Errorf("filtered rows = %v, want %v", got, want)
	}
}

func TestSparkComplexKeyTableHasCompositeRecordKeys(t *testing.T) {
	s, root := unzipTable(t, "v6_complexkeygen_hivestyle")
	tbl, err := hudi.Open(t.Context(), s, root)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := tbl.Snapshot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	err = snap.Scan(t.Context(), func(r hudi.Row) error {
		k, _ := r.Get("_hoodie_record_key")
		keys = append(keys, k.(string))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	want := []string{"id:1,name:Alice", "id:2,name:Bob", "id:3,name:Carol", "id:4,name:Diana"}
	if !slices.Equal(keys, want) {
		t.Errorf("record keys = %q, want %q", keys, want)
	}
}

// TestSparkNestedValuesComeBackAsGoValues checks Alice's row of the non-partitioned table:
// decimals, dates, timestamps, binary, Spark's two-level list of structs, a map of structs and
// nested structs.
func TestSparkNestedValuesComeBackAsGoValues(t *testing.T) {
	s, root := unzipTable(t, "v6_nonpartitioned")
	tbl, err := hudi.Open(t.Context(), s, root)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := tbl.Snapshot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	isAlice, err := hudi.Where("id", "=", 1)
	if err != nil {
		t.Fatal(err)
	}
	var rows []hudi.Row
	if err := snap.Scan(t.Context(), func(r hudi.Row) error { rows = append(rows, r); return nil }, isAlice); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("%d rows for id 1", len(rows))
	}
	var buf bytes.Buffer
	if err := hudi.WriteJSON(context.Background(), &buf, snap, isAlice); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", buf.String())
	get := func(c string) any { v, _ := rows[0].Get(c); return v }
	checks := []struct {
		col  string
		want any
	}{
		{"name", "Alice"},
		{"intField", int64(15000)},
		{"longField", int64(1234567890)},
		{"floatField", float64(1)},
		{"doubleField", 3.14159},
		{"decimalField", "12345.67890"},
		{"dateField", time.Date(2023, 4, 1, 0, 0, 0, 0, time.UTC)},
		{"timestampField", time.Date(2023, 4, 1, 17, 1, 0, 0, time.UTC)},
		{"binaryField", []byte("binary data")},
	}
	for _, c := range checks {
		got := get(c.col)
		if b, ok := c.want.([]byte); ok {
			if !bytes.Equal(got.([]byte), b) {
				t.Errorf("%s = %q, want %q", c.col, got, b)
			}
			continue
		}
		if tm, ok := c.want.(time.Time); ok {
			if g, ok := got.(time.Time); !ok || !g.Equal(tm) {
				t.Errorf("%s = %v, want %v", c.col, got, tm)
			}
			continue
		}
		if got != c.want {
			t.Errorf("%s = %#v, want %#v", c.col, got, c.want)
		}
	}
	arr, ok := get("arrayField").([]any)
	if !ok || len(arr) != 3 {
		t.Fatalf("arrayField = %#v, want a list of 3", get("arrayField"))
	}
	if first, ok := arr[0].(map[string]any); !ok || first["arr_struct_f1"] != "red" || first["arr_struct_f2"] != int64(100) {
		t.Errorf("arrayField[0] = %#v", arr[0])
	}
	m, ok := get("mapField").(map[string]any)
	if !ok || len(m) != 2 {
		t.Fatalf("mapField = %#v, want a map of 2", get("mapField"))
	}
	if v, ok := m["key1"].(map[string]any); !ok || v["map_field_value_struct_f1"] != 123.456 || v["map_field_value_struct_f2"] != true {
		t.Errorf("mapField[key1] = %#v", m["key1"])
	}
	st, ok := get("structField").(map[string]any)
	if !ok || st["field1"] != "Alice" || st["field2"] != int64(30) {
		t.Fatalf("structField = %#v", get("structField"))
	}
	if child, ok := st["child_struct"].(map[string]any); !ok || child["child_field1"] != 123.456 || child["child_field2"] != true {
		t.Errorf("structField.child_struct = %#v", st["child_struct"])
	}
}

func TestCorruptFilesAreErrorsNotPanics(t *testing.T) {
	s, root := unzipTable(t, "v6_nonpartitioned")
	files := listAll(t, s, root+"/")
	var latest string
	for _, k := range files {
		if strings.HasSuffix(k, "20240418173551906.parquet") {
			latest = k
		}
	}
	data, err := s.Get(t.Context(), latest)
	if err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string][]byte{
		"empty":        {},
		"truncated":    data[:len(data)/2],
		"garbage":      bytes.Repeat([]byte("PAR1"), 100),
		"flipped tail": append(append([]byte{}, data[:len(data)-40]...), bytes.Repeat([]byte{0xff}, 40)...),
	} {
		t.Run(name, func(t *testing.T) {
			if err := s.Put(t.Context(), latest, bad); err != nil {
				t.Fatal(err)
			}
			tbl, err := hudi.Open(t.Context(), s, root)
			if err != nil {
				t.Fatal(err)
			}
			snap, err := tbl.Snapshot(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			err = snap.Scan(t.Context(), func(hudi.Row) error { return nil })
			if err == nil || !strings.Contains(err.Error(), latest[len(root)+1:]) {
				t.Errorf("Scan of a corrupt file = %v, want an error naming it", err)
			}
		})
	}
	if err := s.Put(t.Context(), root+"/.hoodie/20240418173551906.commit", []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	tbl, err := hudi.Open(t.Context(), s, root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tbl.Snapshot(t.Context()); err != nil {
		t.Errorf("a corrupt commit file (only its schema is read) failed the snapshot: %v", err)
	}
}
