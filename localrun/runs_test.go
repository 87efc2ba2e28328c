package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/runlog"
)

// TestLocalBatchAndStreamWriteRunRecordsThatStatusShows runs `localrun batch` (a window that
// commits, and one that fails on its error limit after writing rows into its session) and
// `localrun stream`: each invocation writes its run record, as the functions do, to runs/ of the
// state directory, and `localrun status --store` shows them. The failed window records written
// 0 and what it attempted, and so does the batch command's summary; the stream runs record
// their per-stage counts (read, processed, filtered, dirty, written).
func TestLocalBatchAndStreamWriteRunRecordsThatStatusShows(t *testing.T) {
	broker, err := startBroker("", "", map[string]int32{"orders": 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(broker.Close)
	addrs := strings.Join(broker.ListenAddrs(), ",")
	sh := time.FixedZone("CST", 8*3600)
	if _, err := produce(t.Context(), broker.ListenAddrs(), shopOrders("orders", 900, time.Date(2024, 6, 1, 9, 50, 0, 0, sh), time.Second, 7)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	state, warehouse, lake := filepath.Join(dir, "state"), filepath.Join(dir, "warehouse"), filepath.Join(dir, "lake")
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	lenient := write("demo_orders.yaml", demoJob)
	strict := write("strict_orders.yaml", []byte(strings.NewReplacer("name: demo_orders", "name: strict_orders",
		"errorLimit: {record: 100}", "errorLimit: {record: 0}").Replace(string(demoJob))))
	rt := write("demo_orders_rt.yaml", demoStreamJob)

	batch := func(job, at string) (string, error) {
		return run(t, "batch", "--job", job, "--at", at, "--brokers", addrs, "--state", state, "--warehouse", warehouse, "--retry-interval", "0s")
	}
	if _, err := batch(lenient, "2024-06-01T10:00:00+08:00"); err != nil {
		t.Fatal(err)
	}
	out, err := batch(strict, "2024-06-01T10:05:00+08:00")
	if err == nil {
		t.Fatal("a window with dirty records over errorLimit.record 0 succeeded")
	}
	if !strings.Contains(out, "rows attempted, none committed") || !strings.Contains(out, "|        0|") {
		t.Errorf("the failed window's summary does not say it wrote 0 rows:\n%s", out)
	}
	if _, err := run(t, "stream", "--job", rt, "--brokers", addrs, "--lake", lake, "--runs", state, "--count-window", "300"); err != nil {
		t.Fatal(err)
	}

	store, err := objstore.NewDir(state)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := runlog.New(store).List(t.Context(), runlog.Query{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	byJob := map[string][]runlog.Record{}
	for _, r := range recs {
		byJob[r.Job] = append(byJob[r.Job], r)
	}
	if n := len(byJob["demo_orders"]); n != 1 || byJob["demo_orders"][0].Status != runlog.Succeeded || byJob["demo_orders"][0].Counts.Written == 0 {
		t.Errorf("demo_orders: %+v, want one succeeded run that wrote rows", byJob["demo_orders"])
	}
	if f := byJob["strict_orders"]; len(f) != 1 || f[0].Status != runlog.Failed || f[0].Counts.Written != 0 || f[0].Counts.Attempted == 0 || f[0].Function != "batch" {
		t.Errorf("strict_orders: %+v, want one failed batch run with written 0 and rows attempted", f)
	}
	var streamed int64
	for _, r := range byJob["demo_orders_rt"] {
		if r.Function != "stream" || !r.OK() {
			t.Errorf("stream run %+v", r)
		}
		// Per stage: every record read is processed or was committed before; every record
		// processed is filtered, dirty or written.
		if c := r.Counts; c.Processed != c.Read-c.Duplicates || c.Processed != c.Filtered+c.Dirty+c.Written || (r.Status == runlog.Succeeded && c.Written == 0) {
			t.Errorf("stream run counts %+v do not add up", c)
		}
		streamed += r.Counts.Read
	}
	if streamed != 900 {
		t.Errorf("the stream runs recorded %d records read, want 900", streamed)
	}

	status, err := run(t, "status", "--store", state, "--limit", "100")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"demo_orders|", "strict_orders|", "demo_orders_rt|", "failed|", "succeeded|", "processed|", "filtered|", "attempted|"} {
		if !strings.Contains(status, want) {
			t.Errorf("localrun status lacks %q:\n%s", want, status)
		}
	}
}
