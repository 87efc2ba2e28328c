package stream_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/job"
	"github.com/fcsync/fcsync/shared/lake/hudi"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/record"
	"github.com/fcsync/fcsync/shared/stream"
)

const salt = "S3cret-Salt-77"

var t0 = time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)

// order is a shop-order record on partition p at offset off; amount decides the filter.
func order(p int32, off int64, id string, amount float64) record.Record {
	ts := t0.Add(time.Duration(off) * time.Hour)
	v := fmt.Sprintf(`{"order_id":%q,"user":{"name":"user %s","email":"%s@example.com"},"amount":%g,"status":"paid","items":[{"sku":"a"},{"sku":"b"}],"ts":%d}`,
		id, id, id, amount, ts.UnixMilli())
	return record.Record{Topic: "orders", Partition: p, Offset: off, Timestamp: ts, Key: []byte(id), Value: []byte(v)}
}

// orders makes n records on partition p from offset from; every 5th is below the filter.
func orders(p int32, from, n int) []record.Record {
	var out []record.Record
	for i := from; i < from+n; i++ {
		amount := 100.0 + float64(i)
		if i%5 == 4 {
			amount = 10
		}
		out = append(out, order(p, int64(i), fmt.Sprintf("p%d-o%03d", p, i), amount))
	}
	return out
}

// kept are the order ids of recs the filter keeps.
func kept(recs []record.Record) []string {
	var ids []string
	for _, r := range recs {
		if r.Offset%5 != 4 {
			ids = append(ids, string(r.Key))
		}
	}
	sort.Strings(ids)
	return ids
}

func loadJob(t testing.TB, edit func(string) string) *stream.Job {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "orders_rt.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	if edit != nil {
		doc = edit(doc)
	}
	spec, err := job.LoadStream([]byte(doc), "orders_rt")
	if err != nil {
		t.Fatal(err)
	}
	j, err := stream.Compile(spec)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func env(store objstore.Store, log *slog.Logger) stream.Env {
	return stream.Env{Lake: store, Log: log, Now: func() time.Time { return t0 }}
}

// snapshotIDs reads the table and returns every order_id (sorted, repeats kept).
func snapshotIDs(t testing.TB, store objstore.Store) []string {
	t.Helper()
	ctx := context.Background()
	tbl, err := hudi.Open(ctx, store, "lake/orders")
	if err != nil {
		t.Fatal(err)
	}
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	err = snap.Scan(ctx, func(r hudi.Row) error {
		v, _ := r.Get("order_id")
		ids = append(ids, fmt.Sprint(v))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(ids)
	return ids
}

func equalIDs(t testing.TB, got, want []string) {
	t.Helper()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		seen := map[string]int{}
		for _, id := range got {
			seen[id]++
		}
		var dup, missing []string
		for id, n := range seen {
			if n > 1 {
				dup = append(dup, id)
			}
		}
		for _, id := range want {
			if seen[id] == 0 {
				missing = append(missing, id)
			}
		}
		t.Fatalf("table has %d rows, want %d; duplicated %v; missing %v", len(got), len(want), dup, missing)
	}
}

func TestBatchIsProcessedMaskedFilteredAndCommitted(t *testing.T) {
	store := objstore.NewMemory()
	j := loadJob(t, nil)
	recs := orders(0, 0, 20)
	rep, err := j.Run(context.Background(), env(store, nil), recs)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Committed || rep.Records != 20 || rep.Filtered != 4 || rep.Written != 16 || rep.Dirty != 0 || rep.Inserted != 16 {
		t.Fatalf("report %+v", rep)
	}
	equalIDs(t, snapshotIDs(t, store), kept(recs))

	// The row holds the masked email, never the address, and the day partition of its time.
	ctx := context.Background()
	tbl, _ := hudi.Open(ctx, store, "lake/orders")
	snap, _ := tbl.Snapshot(ctx)
	var checked int
	snap.Scan(ctx, func(r hudi.Row) error {
		email, _ := r.Get("email")
		s := fmt.Sprint(email)
		if strings.Contains(s, "@") || len(s) != 64 {
			t.Errorf("email %q is not a sha256 hex digest", s)
		}
		part, _ := r.Get("_hoodie_partition_path")
		ts, _ := r.Get("event_time")
		if tm, ok := ts.(time.Time); !ok || fmt.Sprint(part) != tm.UTC().Format("year=2006/month=01/day=02") {
			t.Errorf("row at %v is in partition %v", ts, part)
		}
		checked++
		return nil
	})
	if checked != 16 {
		t.Fatalf("checked %d rows", checked)
	}
}

func TestRedeliveredAndOverlappingBatchesLandOnce(t *testing.T) {
	cases := []struct {
		name    string
		batches [][]record.Record
	}{
		{"the same batch twice", [][]record.Record{orders(0, 0, 10), orders(0, 0, 10)}},
		{"a batch overlapping the last one", [][]record.Record{orders(0, 0, 10), orders(0, 5, 10)}},
		{"repeats inside one batch", [][]record.Record{append(orders(0, 0, 10), orders(0, 3, 4)...)}},
		{"an older batch after a newer one", [][]record.Record{orders(0, 0, 20), orders(0, 5, 5)}},
		{"two partitions interleaved", [][]record.Record{append(orders(1, 0, 6), orders(0, 0, 6)...), append(orders(0, 3, 6), orders(1, 6, 3)...)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			store := objstore.NewMemory()
			j := loadJob(t, nil)
			all := map[string]record.Record{}
			for _, b := range c.batches {
				if _, err := j.Run(context.Background(), env(store, nil), b); err != nil {
					t.Fatal(err)
				}
				for _, r := range b {
					all[string(r.Key)] = r
				}
			}
			var recs []record.Record
			for _, r := range all {
				recs = append(recs, r)
			}
			equalIDs(t, snapshotIDs(t, store), kept(recs))
		})
	}
}

// TestCrashAtEveryStepThenRetryLosesAndDuplicatesNothing fails the n-th object-store call of a
// batch, for every n, then delivers the batch again (as the trigger's retry does) and the next
// batch after it.
func TestCrashAtEveryStepThenRetryLosesAndDuplicatesNothing(t *testing.T) {
	first, second := orders(0, 0, 12), orders(0, 12, 8)
	// Count the store calls of a clean run of the first batch on a fresh table.
	var calls int
	{
		store := objstore.NewMemory()
		store.SetHook(func(context.Context, objstore.Op, string) error { calls++; return nil })
		if _, err := loadJob(t, nil).Run(context.Background(), env(store, nil), first); err != nil {
			t.Fatal(err)
		}
	}
	if calls < 5 {
		t.Fatalf("a batch made only %d store calls", calls)
	}
	injected := errors.New("injected crash")
	for n := 1; n <= calls; n++ {
		store := objstore.NewMemory()
		var seen int
		store.SetHook(func(_ context.Context, op objstore.Op, key string) error {
			seen++
			if seen == n {
				return injected
			}
			return nil
		})
		j := loadJob(t, nil)
		_, err := j.Run(context.Background(), env(store, nil), first)
		store.SetHook(nil)
		if err == nil && seen >= n {
			// Some failures are absorbed (a failed best-effort cleanup); the data must still be right.
			t.Logf("call %d: the batch succeeded despite the failure", n)
		}
		for _, b := range [][]record.Record{first, second} {
			if _, err := j.Run(context.Background(), env(store, nil), b); err != nil {
				t.Fatalf("call %d failed; retry: %v", n, err)
			}
		}
		equalIDs(t, snapshotIDs(t, store), kept(append(first, second...)))
	}
}

func TestConcurrentInvocationsOnOneTableKeepEveryRow(t *testing.T) {
	for _, kind := range []string{"memory", "dir"} {
		t.Run(kind, func(t *testing.T) {
			var store objstore.Store = objstore.NewMemory()
			if kind == "dir" {
				d, err := objstore.NewDir(t.TempDir())
				if err != nil {
					t.Fatal(err)
				}
				store = d
			}
			j := loadJob(t, nil)
			var all []record.Record
			var wg sync.WaitGroup
			errs := make(chan error, 16)
			for p := int32(0); p < 4; p++ {
				batches := [][]record.Record{orders(p, 0, 8), orders(p, 8, 8), orders(p, 4, 8)} // the last one repeats half of each
				all = append(all, orders(p, 0, 16)...)
				wg.Add(1)
				go func() {
					defer wg.Done()
					for _, b := range batches {
						if _, err := j.Run(context.Background(), env(store, nil), b); err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			// A concurrent duplicate delivery of partition 0's first batch.
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := j.Run(context.Background(), env(store, nil), orders(0, 0, 8)); err != nil {
					errs <- err
				}
			}()
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			equalIDs(t, snapshotIDs(t, store), kept(all))
		})
	}
}

func TestDirtyRecordsAreKeptWithTheirReasonAndTheLimitStopsTheBatch(t *testing.T) {
	bad := []record.Record{
		{Topic: "orders", Partition: 0, Offset: 100, Timestamp: t0, Value: []byte(`{"order_id":"x1","amount":"lots"}`)},
		{Topic: "orders", Partition: 0, Offset: 101, Timestamp: t0, Value: []byte(`{not json`)},
		{Topic: "orders", Partition: 0, Offset: 102, Timestamp: t0, Value: []byte{0xff, 0xfe, 0x00, 0x01}},
	}
	t.Run("under the limit the rest is written", func(t *testing.T) {
		store := objstore.NewMemory()
		var logs bytes.Buffer
		j := loadJob(t, nil)
		rep, err := j.Run(context.Background(), env(store, slog.New(slog.NewJSONHandler(&logs, nil))), append(orders(0, 0, 5), bad...))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Dirty != 3 || rep.Written != 4 || rep.DirtyKey == "" {
			t.Fatalf("report %+v", rep)
		}
		data, err := store.Get(context.Background(), rep.DirtyKey)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		if len(lines) != 3 {
			t.Fatalf("dirty object has %d lines:\n%s", len(lines), data)
		}
		for i, want := range []string{`"offset":100`, `"offset":101`, `"offset":102`} {
			if !strings.Contains(lines[i], want) || !strings.Contains(lines[i], `"reason":`) || !strings.Contains(lines[i], `"topic":"orders"`) {
				t.Errorf("dirty line %d %s lacks %s, a reason or the topic", i, lines[i], want)
			}
		}
		if strings.Contains(string(data), salt) || strings.Contains(logs.String(), salt) {
			t.Error("the masking salt leaked into dirty data or logs")
		}
		equalIDs(t, snapshotIDs(t, store), kept(orders(0, 0, 5)))
	})
	t.Run("over the limit nothing is written", func(t *testing.T) {
		store := objstore.NewMemory()
		j := loadJob(t, func(s string) string { return strings.Replace(s, "record: 10", "record: 2", 1) })
		_, err := j.Run(context.Background(), env(store, nil), append(orders(0, 0, 5), bad...))
		var le *stream.ErrorLimitError
		if !errors.As(err, &le) || le.Dirty != 3 {
			t.Fatalf("error %v, want an ErrorLimitError with 3 dirty", err)
		}
		if ids := snapshotIDs(t, store); len(ids) != 0 {
			t.Fatalf("table has rows %v after a failed batch", ids)
		}
	})
}

func TestDynamicColumnPolicies(t *testing.T) {
	dyn := func(policy string) func(string) string {
		return func(s string) string {
			s = strings.Replace(s, "        - {name: event_time, path: ts, type: TIMESTAMP}\n",
				"        - {name: event_time, path: ts, type: TIMESTAMP}\n      dynamic: {path: extra}\n", 1)
			s = strings.Replace(s, "      keep: [order_id, user_name, email, amount, status, item_count, event_time]\n", "", 1)
			s = strings.Replace(s, "  - edit:\n      add:", "  - edit:\n      drop: [__key__, __value__, __partition__, __headers__, __offset__, __timestamp__]\n      add:", 1)
			return s + "mapping: {dynamic: {policy: " + policy + "}}\n"
		}
	}
	withExtra := func(off int64, extra string) record.Record {
		r := order(0, off, fmt.Sprintf("d%d", off), 500)
		r.Value = []byte(strings.Replace(string(r.Value), `"status"`, `"extra":`+extra+`,"status"`, 1))
		return r
	}
	recs := []record.Record{withExtra(0, `{"coupon":"SPRING","points":12}`), withExtra(1, `{"coupon":"X"}`)}
	t.Run("add", func(t *testing.T) {
		store := objstore.NewMemory()
		rep, err := loadJob(t, dyn("add")).Run(context.Background(), env(store, nil), recs)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.DDL) != 2 || rep.DDL[0].Column.Name != "coupon" || rep.DDL[1].Column.Name != "points" {
			t.Fatalf("DDL events %+v, want coupon and points added", rep.DDL)
		}
		tbl, _ := hudi.Open(context.Background(), store, "lake/orders")
		var names []string
		for _, c := range tbl.Columns() {
			names = append(names, c.Name)
		}
		if got := strings.Join(names, ","); !strings.HasSuffix(got, "coupon,points") {
			t.Fatalf("table columns %s, want coupon and points at the end", got)
		}
	})
	t.Run("ignore", func(t *testing.T) {
		store := objstore.NewMemory()
		rep, err := loadJob(t, dyn("ignore")).Run(context.Background(), env(store, nil), recs)
		if err != nil || len(rep.DDL) != 0 || rep.Written != 2 {
			t.Fatalf("report %+v, error %v", rep, err)
		}
	})
	t.Run("error", func(t *testing.T) {
		store := objstore.NewMemory()
		_, err := loadJob(t, dyn("error")).Run(context.Background(), env(store, nil), recs)
		if err == nil || !strings.Contains(err.Error(), "coupon") || !strings.Contains(err.Error(), "orders/0@0") {
			t.Fatalf("error %v, want one naming the column and the record", err)
		}
		if ids := snapshotIDs(t, store); len(ids) != 0 {
			t.Fatalf("rows %v written despite the error policy", ids)
		}
	})
}

func TestRecordsOfAnotherTopicFailTheInvocation(t *testing.T) {
	r := order(0, 0, "a", 500)
	r.Topic = "payments"
	_, err := loadJob(t, nil).Run(context.Background(), env(objstore.NewMemory(), nil), []record.Record{r})
	if err == nil || !strings.Contains(err.Error(), `"payments"`) {
		t.Fatalf("error %v", err)
	}
}

func TestShippedStreamJobsCompile(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "infra", "jobs", "stream", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no shipped stream jobs: %v", err)
	}
	for _, f := range files {
		spec, err := job.LoadStreamFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := stream.Compile(spec); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestPreviewShowsWhatABatchWouldWriteWithoutATable(t *testing.T) {
	j := loadJob(t, nil)
	recs := append(orders(0, 0, 5), record.Record{Topic: "orders", Offset: 9, Timestamp: t0, Value: []byte(`{"order_id":`)})
	p, err := j.Preview(recs, nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rows) != 4 || p.Filtered != 1 || len(p.Dirty) != 1 || p.Dirty[0].Offset != 9 {
		t.Fatalf("preview: %d rows, %d filtered, dirty %+v", len(p.Rows), p.Filtered, p.Dirty)
	}
	var names []string
	for _, c := range p.Columns {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, ","); got != "order_id,user_name,email,amount,status,item_count,event_time,src_offset" {
		t.Fatalf("columns %s", got)
	}
}

// TestWriterOptionsReachTheTable runs four batches updating the same orders with and without
// writer.options retaining one commit: with them only the snapshot's base files are left.
func TestWriterOptionsReachTheTable(t *testing.T) {
	for _, withOptions := range []bool{false, true} {
		t.Run(fmt.Sprintf("options=%v", withOptions), func(t *testing.T) {
			j := loadJob(t, func(doc string) string {
				if !withOptions {
					return doc
				}
				return strings.Replace(doc, "precombine: src_offset", "precombine: src_offset\n  options: {hoodie.cleaner.commits.retained: 1, hoodie.parquet.small.file.limit: 0}", 1)
			})
			store := objstore.NewMemory()
			for b := range 4 {
				var recs []record.Record
				for i := range 3 {
					recs = append(recs, order(0, int64(b*3+i), fmt.Sprintf("o%d", i), 200))
				}
				if _, err := j.Run(context.Background(), env(store, nil), recs); err != nil {
					t.Fatal(err)
				}
			}
			equalIDs(t, snapshotIDs(t, store), []string{"o0", "o1", "o2"})
			tbl, err := hudi.Open(context.Background(), store, "lake/orders")
			if err != nil {
				t.Fatal(err)
			}
			snap, err := tbl.Snapshot(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			keys, _, err := store.List(context.Background(), "lake/orders/", "", 0)
			if err != nil {
				t.Fatal(err)
			}
			files := 0
			for _, k := range keys {
				if strings.HasSuffix(k, ".parquet") {
					files++
				}
			}
			if cleaned := files == len(snap.Files()); cleaned != withOptions {
				t.Errorf("%d base files on the store, %d in the snapshot", files, len(snap.Files()))
			}
		})
	}
	spec, err := job.LoadStream([]byte(strings.Replace(mustRead(t, "testdata/orders_rt.yaml"), "precombine: src_offset", "precombine: src_offset\n  options: {hoodie.clean.automatic: maybe}", 1)), "x")
	if err == nil || !strings.Contains(err.Error(), "writer.options.hoodie.clean.automatic") {
		t.Errorf("LoadStream with a bad option = %v, %v", spec, err)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
