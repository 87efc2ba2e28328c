package hudi_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/lake/hudi"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schema"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/golden/name (or rewrites it with -update).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func indentJSON(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := json.Indent(&b, data, "", "  "); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, data)
	}
	b.WriteByte('\n')
	return b.Bytes()
}

// TestGoldenTableFiles writes two commits into small deterministic tables and compares
// hoodie.properties, the commit JSON and the file layout with golden files.
func TestGoldenTableFiles(t *testing.T) {
	items := []schema.Column{
		{Name: "id", Type: schema.Int},
		{Name: "name", Type: schema.String},
		{Name: "price", Type: schema.Decimal},
		{Name: "active", Type: schema.Boolean},
		{Name: "born", Type: schema.Date},
		{Name: "seen", Type: schema.Datetime},
		{Name: "blob", Type: schema.Binary},
		{Name: "score", Type: schema.Float},
	}
	at := time.Date(2024, 3, 4, 5, 6, 7, 890000000, time.UTC)
	rows := []schema.Row{
		{int64(1), "Alice", "12.50", true, at, at, []byte{1, 2}, 0.5},
		{int64(2), "Bob", nil, false, at, at.Add(time.Hour)},
		{int64(3), "Carol", "-0.001", nil, nil, at.Add(-48 * time.Hour), []byte{}, 1.25},
	}
	tests := []struct {
		name string
		cfg  hudi.Config
	}{
		{"composite_hive", hudi.Config{Database: "shop", Name: "items", Columns: items, RecordKey: []string{"id", "name"}, Precombine: "seen",
			Partitioning: hudi.Partitioning{Fields: []string{"active"}, HiveStyle: true}}},
		{"daily_nonhive", hudi.Config{Name: "items", Columns: items, RecordKey: []string{"id"}, Precombine: "id",
			Partitioning: hudi.Partitioning{TimeField: "seen", Granularity: hudi.Day}}},
		{"insert_only", hudi.Config{Name: "events", Columns: items}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := objstore.NewMemory()
			opts := []hudi.Option{hudi.WithClock(fakeClock()), hudi.WithIDs(fakeIDs()), hudi.WithWriterID("golden")}
			tbl := mustCreate(t, m, "lake/items", tt.cfg, opts...)
			r1 := mustWrite(t, tbl, hudi.Batch{Columns: items, Rows: rows[:2], Checkpoints: map[string]int64{"items/0": 2}})
			// The second commit updates Alice (in a keyed table) and adds Carol, with a new column.
			evolved := append(append([]schema.Column{}, items...), schema.Column{Name: "note", Type: schema.String})
			alice := append(append(schema.Row{}, rows[0]...), nil)
			alice[1], alice[len(alice)-1] = "Alice", "second"
			alice[5] = at.Add(time.Minute)
			r2 := mustWrite(t, tbl, hudi.Batch{Columns: evolved, Rows: []schema.Row{alice, rows[2]}, Checkpoints: map[string]int64{"items/0": 4}})
			props, err := m.Get(t.Context(), "lake/items/.hoodie/hoodie.properties")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name+".properties", props)
			for i, instant := range []string{r1.Instant, r2.Instant} {
				commit, err := m.Get(t.Context(), "lake/items/.hoodie/"+instant+".commit")
				if err != nil {
					t.Fatal(err)
				}
				golden(t, tt.name+"."+string(rune('1'+i))+".commit.json", indentJSON(t, commit))
			}
			var layout bytes.Buffer
			for _, k := range listAll(t, m, "lake/items/") {
				if strings.Contains(k, "/.aux/") {
					continue
				}
				data, _ := m.Get(t.Context(), k)
				if strings.HasSuffix(k, "_partition_metadata") {
					layout.WriteString(k + ":\n" + string(data))
				} else {
					layout.WriteString(k + "\n")
				}
			}
			golden(t, tt.name+".layout", layout.Bytes())
			var snap bytes.Buffer
			s, err := tbl.Snapshot(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if err := hudi.WriteJSON(t.Context(), &snap, s); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name+".snapshot.jsonl", snap.Bytes())
		})
	}
}
