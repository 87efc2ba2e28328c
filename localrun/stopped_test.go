package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fcsync/fcsync/localrun/kafkatrigger"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/runlog"
)

// TestReportErrorPolicyStopsTheTriggerAndRaisesTheAlert: under the dynamic-column policy error
// (DataWorks' "Report Error"), the first record with a new field fails its batch on every
// retry; with errorsTolerance NONE (what s.yaml must configure for such a job) the emulated
// Kafka trigger stops the consumer task instead of moving on, nothing is written, every
// attempt's run record says error class "stopped", and the shipped alert rules fire.
func TestReportErrorPolicyStopsTheTriggerAndRaisesTheAlert(t *testing.T) {
	broker, err := startBroker("", "", map[string]int32{"orders": 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(broker.Close)
	addrs := broker.ListenAddrs()
	if _, err := produce(t.Context(), addrs, shopOrders("orders", 60, time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC), time.Second, 7)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	jobPath := filepath.Join(dir, "demo_orders_rt.yaml")
	doc := strings.Replace(string(demoStreamJob), "dynamic: {policy: add, maxPerBatch: 8, maxTotal: 32}", "dynamic: {policy: error}", 1)
	if doc == string(demoStreamJob) {
		t.Fatal("the demo stream job's mapping changed: update this test")
	}
	if err := os.WriteFile(jobPath, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	state, lake := filepath.Join(dir, "state"), filepath.Join(dir, "lake")
	noWait := kafkatrigger.WithSleep(func(ctx context.Context, _ time.Duration) error { return ctx.Err() })
	st, totals, err := driveStream(t.Context(), addrs, "orders", "g", jobPath, lake, state, false,
		kafkatrigger.WithBatch(20, 0), kafkatrigger.WithErrorsTolerance(kafkatrigger.ToleranceNone),
		kafkatrigger.WithRetry(kafkatrigger.RetryPolicy{MaxAttempts: 3}), noWait, kafkatrigger.WithOffsetReset(kafkatrigger.ResetEarliest))
	if err == nil || !strings.Contains(err.Error(), "stopped at record orders/") {
		t.Fatalf("the trigger did not stop at the first record: %v", err)
	}
	// Each partition's consumer task stops at its first batch (every order has the new fields).
	if st.Invocations != 3*3 || totals.committed != 0 || st.Skipped != 0 {
		t.Errorf("%d invocations, %d commits, %d records skipped: want 3 attempts of each partition's first batch, nothing committed or skipped", st.Invocations, totals.committed, st.Skipped)
	}
	if _, err := os.Stat(filepath.Join(lake, "lake", "orders_rt", ".hoodie", "hoodie.properties")); err == nil {
		var out bytes.Buffer
		if ok, _ := queryHudi(t.Context(), filepath.Join(lake, "lake", "orders_rt"), &out); ok && strings.TrimSpace(out.String()) != "" {
			t.Errorf("rows written by a stopped stream:\n%s", out.String())
		}
	}
	store, err := objstore.NewDir(state)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := runlog.New(store).List(t.Context(), runlog.Query{Job: "demo_orders_rt"})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3*3 {
		t.Fatalf("%d run records, want one per attempt (9)", len(recs))
	}
	for _, r := range recs {
		if r.Status != runlog.Failed || r.ErrorClass != runlog.ClassStopped || r.Counts.Written != 0 {
			t.Errorf("run record %+v: want failed, error class stopped, nothing written", r)
		}
	}
	out, err := run(t, "status", "--store", state, "--alerts", "../infra/deploy/alerts.yaml", "--at", time.Now().Add(time.Minute).UTC().Format(time.RFC3339))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "stream-stopped") || !strings.Contains(out, "CRITICAL") {
		t.Errorf("the shipped rules raise no stream-stopped alert:\n%s", out)
	}
}
