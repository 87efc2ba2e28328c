package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fcsync/fcsync/functions/platform"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/objstore/osstest"
	"github.com/fcsync/fcsync/shared/runlog"
)

// statusStore writes a morning of run records: a 5-minute batch job that fails twice (the second
// time a retry) and then stops, and a stream job that adds a column and hits dirty data.
func statusStore(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	store, err := objstore.NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	writeStatusRecords(t, store)
	return dir
}

func writeStatusRecords(t *testing.T, store objstore.Store) {
	t.Helper()
	runs := runlog.New(store)
	t0 := time.Date(2024, 6, 1, 2, 0, 0, 0, time.UTC)
	var recs []runlog.Record
	for i := range 6 {
		tick := t0.Add(time.Duration(i) * 5 * time.Minute)
		r := runlog.Record{Job: "orders_5min", Function: "batch", Invocation: fmt.Sprintf("b-%d", i), Status: runlog.Succeeded,
			Started: tick.Add(10 * time.Second), Finished: tick.Add(40 * time.Second),
			Window:  &runlog.Window{Tick: tick, Partition: "ds=" + tick.Add(8*time.Hour-8*time.Minute).Format("200601021504")},
			Offsets: []runlog.Range{{Partition: 0, Start: int64(i * 100), End: int64(i*100 + 100)}},
			Counts:  runlog.Counts{Read: 100, Processed: 100, Written: 97, Dirty: 3, Late: 2}, DataTime: tick, PeakMemoryMB: 96, MemoryMB: 512}
		switch i {
		case 2:
			r.Status, r.Counts, r.Error = runlog.Failed, runlog.Counts{}, "kafka: 10.0.0.7:9092: sasl.password=hunter2 authentication failed"
		case 3:
			r.Window.Rerun = true
			r.Retry = 1
		}
		recs = append(recs, r)
	}
	for i := range 4 {
		fin := t0.Add(time.Duration(3+i*4) * time.Minute)
		r := runlog.Record{Job: "orders_rt", Function: "stream", Invocation: fmt.Sprintf("s-%d", i), Status: runlog.Succeeded,
			Started: fin.Add(-1200 * time.Millisecond), Finished: fin,
			Offsets: []runlog.Range{{Topic: "orders", Partition: int32(i % 3), Start: int64(i * 1000), End: int64(i*1000 + 1000)}},
			Counts:  runlog.Counts{Read: 1000, Processed: 1000, Written: 800, Dirty: 5, Filtered: 195}, DataTime: fin.Add(-2 * time.Second)}
		switch i {
		case 1:
			r.DDL = []runlog.DDL{{Kind: "AddColumn", Table: "orders_rt", Column: "coupon", Type: "STRING"}}
		case 2:
			r.Counts.Dirty = 30
		case 3:
			r.Status, r.Counts = runlog.Skipped, runlog.Counts{Read: 1000, Duplicates: 1000}
		}
		recs = append(recs, r)
	}
	for _, r := range recs {
		if _, err := runs.Write(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
}

// status reads OSS the way the functions do (platform.OpenStore, keys from the environment),
// here through the in-repo OSS protocol server.
func TestStatusReadsRunRecordsFromOSS(t *testing.T) {
	creds := osstest.Credentials{AccessKeyID: "operator-id", AccessKeySecret: "operator-SECRET-5c1d"}
	srv := osstest.New(t, osstest.WithBucket("fcsync-state"), osstest.WithCredentials(creds))
	t.Setenv(platform.EnvOSSEndpoint, srv.URL())
	t.Setenv(platform.EnvOSSRegion, srv.Region())
	t.Setenv(platform.EnvOSSPathStyle, "1")
	t.Setenv(platform.EnvOSSInternal, "")
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", creds.AccessKeyID)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", creds.AccessKeySecret)
	t.Setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "")
	store, err := platform.OpenStore(context.Background(), "oss://fcsync-state/ops", os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	writeStatusRecords(t, store)
	out, err := run(t, "status", "--store", "oss://fcsync-state/ops", "--job", "orders_5min", "--limit", "3", "--tz", "Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "status_job", out) // the same table as from a directory
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "wrong-SECRET-0000")
	_, err = run(t, "status", "--store", "oss://fcsync-state/ops")
	if err == nil || strings.Contains(err.Error(), "wrong-SECRET-0000") {
		t.Errorf("wrong keys: err %v", err)
	}
}

func TestStatusPrintsRecentRunsAndTheAlertsTheyWouldRaise(t *testing.T) {
	dir := statusStore(t)
	cases := []struct {
		name string
		args []string
	}{
		{"status", []string{"status", "--store", dir}},
		{"status_job", []string{"status", "--store", dir, "--job", "orders_5min", "--limit", "3", "--tz", "Asia/Shanghai"}},
		{"status_alerts", []string{"status", "--store", dir, "--alerts", "testdata/status_rules.yaml", "--from", "2024-06-01T02:00:00Z", "--at", "2024-06-01T03:00:00Z"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := run(t, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, out)
		})
	}
}

func TestStatusRefusesBadArguments(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"status", "--store", dir, "--limit", "0"},
		{"status", "--store", dir, "--tz", "Mars/Olympus"},
		{"status", "--store", dir, "extra"},
		{"status", "--store", dir, "--alerts", "testdata/status_rules.yaml", "--at", "noon"},
		{"status", "--store", dir, "--alerts", "testdata/status_rules.yaml", "--from", "2024-06-02", "--at", "2024-06-01"},
	} {
		_, err := run(t, args...)
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("%v: err %v, want a usage error", args[3:], err)
		}
	}
	out, err := run(t, "status", "--store", dir)
	if err != nil || !strings.HasSuffix(out, "error|\nno runs recorded\n") {
		t.Errorf("empty store: %q %v", out, err)
	}
}
