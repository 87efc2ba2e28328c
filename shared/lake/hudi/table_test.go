package hudi_test

import (
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/lake/hudi"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schema"
)

func TestCreateRejectsBadConfigsNamingTheField(t *testing.T) {
	cols := []schema.Column{{Name: "id", Type: schema.BigInt}, {Name: "ts", Type: schema.Timestamp}, {Name: "f", Type: schema.Double}, {Name: "b", Type: schema.Binary}}
	tests := []struct {
		name string
		cfg  hudi.Config
		want string
	}{
		{"bad table name", hudi.Config{Name: "orders-1", Columns: cols}, "table name"},
		{"bad database", hudi.Config{Database: "a.b", Name: "t", Columns: cols}, "database"},
		{"no columns", hudi.Config{Name: "t"}, "no columns"},
		{"meta column name", hudi.Config{Name: "t", Columns: []schema.Column{{Name: "_hoodie_x", Type: schema.String}}}, "meta columns"},
		{"duplicate column", hudi.Config{Name: "t", Columns: []schema.Column{{Name: "a", Type: schema.String}, {Name: "A", Type: schema.String}}}, "twice"},
		{"unknown type", hudi.Config{Name: "t", Columns: []schema.Column{{Name: "a", Type: "MONEY"}}}, "unknown type"},
		{"missing key field", hudi.Config{Name: "t", Columns: cols, RecordKey: []string{"nope"}}, `record key field "nope"`},
		{"binary key", hudi.Config{Name: "t", Columns: cols, RecordKey: []string{"b"}}, "BINARY"},
		{"precombine without key", hudi.Config{Name: "t", Columns: cols, Precombine: "ts"}, "needs a record key"},
		{"missing precombine", hudi.Config{Name: "t", Columns: cols, RecordKey: []string{"id"}, Precombine: "nope"}, `precombine field "nope"`},
		{"fields and time", hudi.Config{Name: "t", Columns: cols, Partitioning: hudi.Partitioning{Fields: []string{"id"}, TimeField: "ts"}}, "not both"},
		{"float partition", hudi.Config{Name: "t", Columns: cols, Partitioning: hudi.Partitioning{Fields: []string{"f"}}}, "partition field f"},
		{"timestamp value partition", hudi.Config{Name: "t", Columns: cols, Partitioning: hudi.Partitioning{Fields: []string{"ts"}}}, "use a time field"},
		{"time field not a time", hudi.Config{Name: "t", Columns: cols, Partitioning: hudi.Partitioning{TimeField: "id"}}, "want TIMESTAMP"},
		{"bad granularity", hudi.Config{Name: "t", Columns: cols, Partitioning: hudi.Partitioning{TimeField: "ts", Granularity: "minute"}}, "granularity"},
		{"granularity without time", hudi.Config{Name: "t", Columns: cols, Partitioning: hudi.Partitioning{Granularity: hudi.Day}}, "needs a time field"},
		{"composite key with time", hudi.Config{Name: "t", Columns: cols, RecordKey: []string{"id", "f"}, Partitioning: hudi.Partitioning{TimeField: "ts"}}, "composite record key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := objstore.NewMemory()
			_, err := hudi.Create(t.Context(), m, "lake/t", tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Create = %v, want an error containing %q", err, tt.want)
			}
			if keys, _, _ := m.List(t.Context(), "", "", 0); len(keys) != 0 {
				t.Errorf("a refused Create wrote %q", keys)
			}
		})
	}
}

func TestCreateIsIdempotentAndRefusesADifferentTable(t *testing.T) {
	forEachStore(t, func(t *testing.T, s objstore.Store) {
		cfg := ordersConfig(hudi.Partitioning{Fields: []string{"user_name"}})
		mustCreate(t, s, "lake/orders", cfg)
		props, err := s.Get(t.Context(), "lake/orders/.hoodie/hoodie.properties")
		if err != nil {
			t.Fatal(err)
		}
		again := mustCreate(t, s, "lake/orders", cfg, hudi.WithClock(func() time.Time { return baseTime }))
		if !again.Writable() || again.Name() != "orders" {
			t.Errorf("second Create = writable %v name %q", again.Writable(), again.Name())
		}
		if after, _ := s.Get(t.Context(), "lake/orders/.hoodie/hoodie.properties"); string(after) != string(props) {
			t.Error("second Create rewrote hoodie.properties")
		}
		changes := map[string]func(c *hudi.Config){
			"record key":   func(c *hudi.Config) { c.RecordKey = []string{"order_id", "user_name"} },
			"precombine":   func(c *hudi.Config) { c.Precombine = "" },
			"partitioning": func(c *hudi.Config) { c.Partitioning = hudi.Partitioning{Fields: []string{"status"}} },
			"hive style":   func(c *hudi.Config) { c.Partitioning.HiveStyle = true },
			"name":         func(c *hudi.Config) { c.Name = "other" },
		}
		for what, change := range changes {
			c := ordersConfig(hudi.Partitioning{Fields: []string{"user_name"}})
			change(&c)
			_, err := hudi.Create(t.Context(), s, "lake/orders", c)
			if !errors.Is(err, hudi.ErrIncompatible) || !strings.Contains(err.Error(), "lake/orders") {
				t.Errorf("Create with another %s = %v, want ErrIncompatible naming the table", what, err)
			}
		}
	})
}

func TestCreateOnASparkTableIsRefusedAndWritesAreReadOnly(t *testing.T) {
	s, root := unzipTable(t, "v6_nonpartitioned")
	cfg := hudi.Config{Name: "v6_nonpartitioned", Columns: []schema.Column{{Name: "id", Type: schema.Int}}, RecordKey: []string{"id"}}
	if _, err := hudi.Create(t.Context(), s, root, cfg); !errors.Is(err, hudi.ErrIncompatible) {
		t.Errorf("Create over a Spark table = %v, want ErrIncompatible", err)
	}
	tbl, err := hudi.Open(t.Context(), s, root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tbl.Write(t.Context(), hudi.Batch{Columns: cfg.Columns, Rows: []schema.Row{{int64(9)}}}); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("Write to a Spark table = %v, want a read-only error", err)
	}
	if _, err := tbl.Checkpoints(t.Context()); err == nil {
		t.Error("Checkpoints of a Spark table succeeded")
	}
}

func TestOpenAndDetectOnSomethingElse(t *testing.T) {
	m := objstore.NewMemory()
	if err := m.Put(t.Context(), "lake/x/data.csv", []byte("a,b")); err != nil {
		t.Fatal(err)
	}
	for _, root := range []string{"lake/x", "lake/none", "../x", "/abs", "a//b"} {
		if hudi.Detect(t.Context(), m, root) {
			t.Errorf("Detect(%q) = true", root)
		}
		if _, err := hudi.Open(t.Context(), m, root); err == nil {
			t.Errorf("Open(%q) succeeded", root)
		}
	}
	if _, err := hudi.Open(t.Context(), m, "lake/x"); !errors.Is(err, hudi.ErrNotTable) {
		t.Errorf("Open of a plain folder = %v, want ErrNotTable", err)
	}
	if err := m.Put(t.Context(), "lake/mor/.hoodie/hoodie.properties", []byte("hoodie.table.name=mor\nhoodie.table.type=MERGE_ON_READ\nhoodie.table.version=6\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := hudi.Open(t.Context(), m, "lake/mor"); err == nil || !strings.Contains(err.Error(), "MERGE_ON_READ") {
		t.Errorf("Open of a MERGE_ON_READ table = %v, want an error naming the type", err)
	}
}

func TestCheckpointsSkipRepeatedBatchesAndRefuseOverlaps(t *testing.T) {
	m := objstore.NewMemory()
	tbl := mustCreate(t, m, "lake/orders", ordersConfig(hudi.Partitioning{}))
	batch := func(from, to int64, ids ...int) hudi.Batch {
		b := hudi.Batch{Columns: orderColumns, Checkpoints: map[string]int64{"orders/0": to}, From: map[string]int64{"orders/0": from}}
		for _, id := range ids {
			b.Rows = append(b.Rows, order(id, "ann", 1, baseTime))
		}
		return b
	}
	mustWrite(t, tbl, batch(0, 3, 1, 2, 3))
	if res := mustWrite(t, tbl, batch(0, 3, 1, 2, 3)); !res.Skipped || res.Instant != "" {
		t.Errorf("repeated batch = %+v, want skipped", res)
	}
	if res := mustWrite(t, tbl, batch(1, 2, 2)); !res.Skipped {
		t.Errorf("batch inside the committed range = %+v, want skipped", res)
	}
	// Another writer committed 3..5 while this batch (3..7) was being read from 2.
	if _, err := tbl.Write(t.Context(), batch(2, 7, 3, 4, 5, 6, 7)); !errors.Is(err, hudi.ErrCheckpointConflict) {
		t.Errorf("overlapping batch = %v, want ErrCheckpointConflict", err)
	}
	// A batch covering two keys, one already committed past it, is an overlap too.
	two := batch(3, 5, 4, 5)
	two.Checkpoints["orders/1"] = 2
	mustWrite(t, tbl, hudi.Batch{Columns: orderColumns, Checkpoints: map[string]int64{"orders/1": 2}})
	if _, err := tbl.Write(t.Context(), two); !errors.Is(err, hudi.ErrCheckpointConflict) {
		t.Errorf("half-committed batch = %v, want ErrCheckpointConflict", err)
	}
	// A checkpoint-only batch (all its records were dropped as dirty) still advances.
	if res := mustWrite(t, tbl, hudi.Batch{Columns: orderColumns, Checkpoints: map[string]int64{"orders/0": 9}}); res.Instant == "" || res.Files != 0 {
		t.Errorf("checkpoint-only batch = %+v, want a commit without files", res)
	}
	cp, err := tbl.Checkpoints(t.Context())
	if err != nil || !maps.Equal(cp, map[string]int64{"orders/0": 9, "orders/1": 2}) {
		t.Errorf("Checkpoints = %v, %v", cp, err)
	}
	if n := len(rowsByKey(t, tbl)); n != 3 {
		t.Errorf("%d rows, want 3", n)
	}
	for _, bad := range []hudi.Batch{
		{Checkpoints: map[string]int64{"": 1}},
		{Checkpoints: map[string]int64{"a\nb": 1}},
		{Checkpoints: map[string]int64{"orders/0": -1}},
		{Checkpoints: map[string]int64{"orders/0": 5}, From: map[string]int64{"orders/0": 6}},
		{Checkpoints: map[string]int64{"orders/0": 5}, From: map[string]int64{"orders/9": 1}},
	} {
		if _, err := tbl.Write(t.Context(), bad); err == nil || !strings.Contains(err.Error(), "checkpoint") {
			t.Errorf("Write(%v) = %v, want a checkpoint error", bad.Checkpoints, err)
		}
	}
}

func TestBadRowsAreErrorsNamingRowAndColumn(t *testing.T) {
	m := objstore.NewMemory()
	tbl := mustCreate(t, m, "lake/orders", ordersConfig(hudi.Partitioning{Fields: []string{"user_name"}}))
	good := order(1, "ann", 1, baseTime)
	with := func(i int, v any) schema.Row {
		r := append(schema.Row{}, good...)
		r[i] = v
		return r
	}
	tests := []struct {
		name string
		cols []schema.Column
		row  schema.Row
		want string
		only bool // write the row alone
	}{
		{"wrong Go type", orderColumns, with(4, 3), "row 1 column item_count", false},
		{"string for a double", orderColumns, with(2, "1.5"), "row 1 column amount", false},
		{"invalid UTF-8", orderColumns, with(3, "a\xffb"), "UTF-8", false},
		{"null key", orderColumns, with(0, nil), "record key field order_id is NULL", false},
		{"too many values", orderColumns, append(append(schema.Row{}, good...), "extra"), "8 values for 7 columns", false},
		{"hostile partition too long", orderColumns, with(1, strings.Repeat("x", 300)), "partition field user_name", false},
		{"duplicate batch column", append(append([]schema.Column{}, orderColumns...), schema.Column{Name: "STATUS", Type: schema.String}), good, "appears twice", false},
		{"meta column in batch", append(append([]schema.Column{}, orderColumns...), schema.Column{Name: "_hoodie_x", Type: schema.String}), good, "meta columns", false},
		{"batch without the key column", orderColumns[1:], good[1:], `record key field "order_id"`, false},
		{"type change", append([]schema.Column{{Name: "order_id", Type: schema.BigInt}}, orderColumns[1:]...), with(0, int64(1)), "column order_id is STRING in the table and BIGINT in the batch", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := []schema.Row{good, tt.row}
			if tt.only {
				rows = rows[1:]
			}
			_, err := tbl.Write(t.Context(), hudi.Batch{Columns: tt.cols, Rows: rows})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Write = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if n := len(rowsByKey(t, tbl)); n != 0 {
		t.Errorf("refused batches left %d rows", n)
	}
}

func TestHostilePartitionValuesStayInsideTheTable(t *testing.T) {
	forEachStore(t, func(t *testing.T, s objstore.Store) {
		tbl := mustCreate(t, s, "lake/orders", ordersConfig(hudi.Partitioning{Fields: []string{"user_name"}}))
		users := []string{"..", ".", "../../../../etc", "/abs", `a\b`, "nul\x00x", "bad\xffutf8", "", "%2E%2E", "ok"}
		var rows []schema.Row
		for i, u := range users {
			rows = append(rows, order(i, u, 1, baseTime))
		}
		rows = append(rows, order(99, "", 1, baseTime))
		rows[len(rows)-1][1] = nil
		// Strings must be valid UTF-8: the non-UTF-8 one is refused.
		if _, err := tbl.Write(t.Context(), hudi.Batch{Columns: orderColumns, Rows: rows}); err == nil || !strings.Contains(err.Error(), "UTF-8") {
			t.Fatalf("Write with a non-UTF-8 value = %v", err)
		}
		rows = append(rows[:6], rows[7:]...)
		mustWrite(t, tbl, hudi.Batch{Columns: orderColumns, Rows: rows})
		parts := map[string]string{}
		for _, r := range rowsByKey(t, tbl) {
			parts[r["order_id"].(string)] = r["_hoodie_partition_path"].(string)
		}
		want := map[string]string{"o-00000": "%2E%2E", "o-00001": "%2E", "o-00002": "..%2F..%2F..%2F..%2Fetc", "o-00003": "%2Fabs", "o-00004": "a%5Cb",
			"o-00005": "nul%00x", "o-00007": hudi.DefaultPartition, "o-00008": "%252E%252E", "o-00009": "ok", "o-00099": hudi.DefaultPartition}
		if !maps.Equal(parts, want) {
			t.Errorf("partitions = %v\nwant %v", parts, want)
		}
		for _, k := range listAll(t, s, "") {
			if !strings.HasPrefix(k, "lake/orders/") {
				t.Errorf("key outside the table: %q", k)
			}
		}
	})
}

func TestSchemaEvolutionAppendsColumnsAndWidensIntegers(t *testing.T) {
	forEachStore(t, func(t *testing.T, s objstore.Store) {
		v1 := []schema.Column{{Name: "id", Type: schema.String}, {Name: "n", Type: schema.Int}, {Name: "f", Type: schema.Float}}
		tbl := mustCreate(t, s, "lake/evo", hudi.Config{Name: "evo", Columns: v1, RecordKey: []string{"id"}})
		mustWrite(t, tbl, hudi.Batch{Columns: v1, Rows: []schema.Row{{"a", int64(1), 1.5}, {"b", int64(2), 2.5}}})
		// v2: n widens to BIGINT, f to DOUBLE, a column is added; "a" is updated, "c" added.
		v2 := []schema.Column{{Name: "id", Type: schema.String}, {Name: "n", Type: schema.BigInt}, {Name: "f", Type: schema.Double}, {Name: "note", Type: schema.String}}
		mustWrite(t, tbl, hudi.Batch{Columns: v2, Rows: []schema.Row{{"a", int64(1) << 40, 0.1, "x"}, {"c", int64(3)}}})
		if got := tbl.Columns(); len(got) != 4 || got[1].Type != schema.BigInt || got[2].Type != schema.Double || got[3].Name != "note" {
			t.Errorf("Columns = %v", got)
		}
		// A batch naming fewer columns, in another order and case, leaves the rest NULL.
		mustWrite(t, tbl, hudi.Batch{Columns: []schema.Column{{Name: "NOTE", Type: schema.String}, {Name: "Id", Type: schema.String}}, Rows: []schema.Row{{"y", "d"}}})
		rows := rowsByKey(t, tbl)
		want := map[string][3]any{
			"a": {int64(1) << 40, 0.1, "x"},
			"b": {int64(2), 2.5, nil},
			"c": {int64(3), nil, nil},
			"d": {nil, nil, "y"},
		}
		if len(rows) != len(want) {
			t.Fatalf("%d rows: %v", len(rows), sortedKeys(rows))
		}
		for _, r := range rows {
			w := want[r["id"].(string)]
			if r["n"] != w[0] || r["f"] != w[1] || r["note"] != w[2] {
				t.Errorf("row %v: n=%v f=%v note=%v, want %v", r["id"], r["n"], r["f"], r["note"], w)
			}
		}
		snap, err := tbl.Snapshot(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		commit, err := s.Get(t.Context(), "lake/evo/.hoodie/"+snap.Instant()+".commit")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(commit), `\"name\":\"note\",\"type\":[\"null\",\"string\"]`) || !strings.Contains(string(commit), `\"name\":\"n\",\"type\":[\"null\",\"long\"]`) {
			t.Errorf("the newest commit's schema is not the evolved one:\n%s", commit)
		}
		// Reopened, the table knows its evolved columns.
		again, err := hudi.Open(t.Context(), s, "lake/evo")
		if err != nil {
			t.Fatal(err)
		}
		if got := again.Columns(); len(got) != 4 || got[3].Name != "note" {
			t.Errorf("reopened Columns = %v", got)
		}
	})
}

func TestInsertOnlyTableAppendsEveryRow(t *testing.T) {
	m := objstore.NewMemory()
	cfg := hudi.Config{Name: "events", Columns: orderColumns, Partitioning: hudi.Partitioning{TimeField: "created", Granularity: hudi.Day}}
	tbl := mustCreate(t, m, "lake/events", cfg, hudi.WithFileSizes(64<<20, 0))
	rows := []schema.Row{order(1, "a", 1, baseTime), order(1, "a", 1, baseTime), order(2, "b", 1, baseTime.AddDate(0, 0, 1))}
	r1 := mustWrite(t, tbl, hudi.Batch{Columns: orderColumns, Rows: rows})
	r2 := mustWrite(t, tbl, hudi.Batch{Columns: orderColumns, Rows: rows[:1]})
	if r1.Inserted != 3 || r2.Inserted != 1 || r2.Updated != 0 || r2.Files != 1 {
		t.Errorf("writes = %+v, %+v", r1, r2)
	}
	got := rowsByKey(t, tbl)
	if len(got) != 4 {
		t.Fatalf("%d rows, want 4 (no key: duplicates are kept)", len(got))
	}
	snap, err := tbl.Snapshot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if files := snap.Files(); len(files) != 3 {
		t.Errorf("files = %q, want 3 (small-file filling is off: each commit adds file groups)", files)
	}
	props, _ := m.Get(t.Context(), "lake/events/.hoodie/hoodie.properties")
	if strings.Contains(string(props), "recordkey") {
		t.Errorf("an insert-only table has record key fields:\n%s", props)
	}
}
