package alert

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/runlog"
	"github.com/fcsync/fcsync/shared/state"
)

func monitor(t *testing.T, store objstore.Store, cfg *Config, clock time.Time) (*Monitor, *dingTalk, *bytes.Buffer) {
	t.Helper()
	d, srv := newDingServer(t, clock)
	chans, err := cfg.BuildChannels(func(k string) string {
		return map[string]string{"WEBHOOK": srv.URL + "/robot/send?access_token=" + dingToken, "SECRET": dingSecret}[k]
	}, WithClock(func() time.Time { return clock }))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	return &Monitor{Runs: runlog.New(store), State: state.New(store, StateScope), Config: cfg, Channels: chans,
		Log: slog.New(slog.NewJSONHandler(&logs, nil))}, d, &logs
}

const checkRules = `
channels: {ops: {type: dingtalk, webhook: "${WEBHOOK}", secret: "${SECRET}"}}
rules:
  - {name: hb, job: orders_5min, metric: heartbeat, threshold: 10m, severity: CRITICAL, channels: [ops]}
  - {name: dirty, job: "*", metric: dirty, threshold: 5, channels: [ops]}
`

func TestMonitorChecksRunRecordsAndSendsEachNoticeOnce(t *testing.T) {
	ctx := context.Background()
	store := objstore.NewMemory()
	cfg, err := ParseConfig([]byte(checkRules))
	if err != nil {
		t.Fatal(err)
	}
	runs := runlog.New(store)
	ok := run("orders_5min", 0, runlog.Succeeded)
	dirty := run("orders_rt", 2, runlog.Succeeded)
	dirty.Function, dirty.Counts.Dirty = "stream", 9
	for _, r := range []runlog.Record{ok, dirty} {
		if _, err := runs.Write(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	now := at(12)
	m, d, logs := monitor(t, store, cfg, now)

	// Two checks at the same moment, as overlapping timer invocations would run them.
	var wg sync.WaitGroup
	results := make([][]Notice, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mi := *m
			mi.State = state.New(store, StateScope) // each invocation has its own log handle
			results[i], errs[i] = mi.Check(ctx, now)
		}()
	}
	wg.Wait()
	if errors.Join(errs...) != nil {
		t.Fatal(errs)
	}
	if got := len(results[0]) + len(results[1]); got != 2 {
		t.Errorf("the overlapping checks returned %d notices together, want the two alerts once", got)
	}
	if got := len(d.received()); got != 2 {
		t.Errorf("the robot received %d messages, want 2", got)
	}
	if !strings.Contains(logs.String(), `"msg":"alert firing","rule":"hb","job":"orders_5min","severity":"CRITICAL"`) {
		t.Errorf("no log line for the alert:\n%s", logs)
	}

	// A minute later nothing new; after a success and the dirty window passing, two recoveries.
	if ns, err := m.Check(ctx, at(13)); err != nil || len(ns) != 0 {
		t.Errorf("check at 13: %v %v", ns, err)
	}
	if _, err := runs.Write(ctx, run("orders_5min", 30, runlog.Succeeded)); err != nil {
		t.Fatal(err)
	}
	ns, err := m.Check(ctx, at(33))
	if err != nil || len(ns) != 2 || ns[0].Kind != Resolved || ns[1].Kind != Resolved {
		t.Errorf("check at 33: %+v %v", ns, err)
	}
	if got := len(d.received()); got != 4 {
		t.Errorf("the robot received %d messages, want 4", got)
	}

	// A quiet check writes no state version.
	before, _ := state.New(store, StateScope).Load(ctx)
	if _, err := m.Check(ctx, at(34)); err != nil {
		t.Fatal(err)
	}
	after, _ := state.New(store, StateScope).Load(ctx)
	if after.Number != before.Number {
		t.Errorf("a quiet check wrote state version %d (was %d)", after.Number, before.Number)
	}
}

func TestMonitorReportsDeliveryAndStoreFailures(t *testing.T) {
	ctx := context.Background()
	store := objstore.NewMemory()
	cfg, _ := ParseConfig([]byte(checkRules))
	m, _, _ := monitor(t, store, cfg, at(20))
	m.Channels = map[string]Channel{} // the channel is missing: the notice is made but not delivered
	// The job has never run: its heartbeat counts from the first check.
	if ns, err := m.Check(ctx, at(20)); len(ns) != 0 || err != nil {
		t.Fatalf("first check: %v %v", ns, err)
	}
	ns, err := m.Check(ctx, at(31))
	if len(ns) != 1 || err == nil || !strings.Contains(err.Error(), `no channel "ops"`) {
		t.Errorf("notices %v err %v", ns, err)
	}
	store.FailNext(objstore.OpList, errors.New("network down"))
	if _, err := m.Check(ctx, at(32)); err == nil || !strings.Contains(err.Error(), "network down") {
		t.Errorf("list failure: %v", err)
	}
}
