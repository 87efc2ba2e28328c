package cdc_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/cdc"
	"github.com/fcsync/fcsync/shared/kafka"
)

// TestHeartbeatsMarkEveryFiveSecondsOfBinlogTime: transactions at t0, +2 s, +6 s, +11 s and +12 s
// give heartbeats after t0, +6 s and +11 s, on every partition, each after the transaction it
// reports and with that transaction's time; the last heartbeat time survives across runs.
func TestHeartbeatsMarkEveryFiveSecondsOfBinlogTime(t *testing.T) {
	e := newEnv(t)
	e.sql("CREATE TABLE t (id INT PRIMARY KEY)")
	r := e.runner(e.job(`
reader: {tables: [${DB}.t], snapshot: false}
writer: {partitions: 2}
`))
	e.run(r)
	t0 := time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC)
	for i, s := range []int{0, 2, 6, 11, 12} {
		e.at(t0.Add(time.Duration(s) * time.Second))
		e.sql(fmt.Sprintf("INSERT INTO t VALUES (%d)", i+1))
	}
	rep := e.run(r)
	e.at(t0.Add(13 * time.Second))
	e.sql("INSERT INTO t VALUES (6)")
	rep2 := e.run(r)
	if rep.Heartbeats != 6 || rep2.Heartbeats != 0 {
		t.Errorf("heartbeats %d then %d, want 6 (3 times 2 partitions) then 0", rep.Heartbeats, rep2.Heartbeats)
	}
	ms := e.read("t")
	for p := int32(0); p < 2; p++ {
		var lines []string
		lastData := int64(0)
		for _, m := range ms {
			if m.Partition != p {
				continue
			}
			ts := m.M.Payload.Timestamp
			if m.op() != cdc.OpHeartbeat {
				lastData = ts.EventTime
				continue
			}
			lines = append(lines, fmt.Sprintf("+%ds", (ts.EventTime-t0.UnixMilli())/1000))
			if ts.CheckpointTime != ts.EventTime || m.M.Schema.DataColumn != nil || len(m.Key) != 0 || !strings.HasSuffix(m.seq(), "99999999") {
				t.Errorf("heartbeat %s: %s", m.seq(), m.Value)
			}
			if lastData > ts.EventTime {
				t.Errorf("partition %d: heartbeat at %d after a record of %d", p, ts.EventTime, lastData)
			}
		}
		if want := []string{"+0s", "+6s", "+11s"}; !reflect.DeepEqual(lines, want) {
			t.Errorf("partition %d heartbeats %v, want %v", p, lines, want)
		}
	}
}

// TestGTIDPositionResumesWithoutRepeats: with reader.position gtid the state holds the GTID set
// and each run continues after the last transaction it wrote.
func TestGTIDPositionResumesWithoutRepeats(t *testing.T) {
	e := newEnv(t)
	e.sql("CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1)")
	r := e.runner(e.job(`
reader: {tables: [${DB}.t], position: gtid}
writer: {partitions: 1, heartbeat: false}
`))
	e.run(r)
	e.sql("INSERT INTO t VALUES (2)")
	e.run(r)
	e.sql("INSERT INTO t VALUES (3)", "DELETE FROM t WHERE id = 1")
	e.run(r)
	if got := summary(e.read("t")); !reflect.DeepEqual(got, []string{`INSERT key="1"`, `INSERT key="2"`, `INSERT key="3"`, `DELETE key="1"`}) {
		t.Errorf("records %q", got)
	}
	cp, err := r.Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\d+-\d+-\d+`).MatchString(cp.Binlog.GTID) {
		t.Errorf("saved position %s has no MariaDB GTID set", cp.Binlog)
	}
}

// TestPasswordNeverLeaks: the source password is in no log line, error, state object or record,
// also when connecting fails.
func TestPasswordNeverLeaks(t *testing.T) {
	e := newEnv(t)
	e.sql("CREATE TABLE t (id INT PRIMARY KEY, secret VARCHAR(20))", "INSERT INTO t VALUES (1, 'not-the-password')")
	j := e.job(`
reader: {tables: [${DB}.t]}
writer: {partitions: 1}
`)
	r := e.runner(j)
	e.run(r)
	e.sql("UPDATE t SET secret = 'still not'")
	e.run(r)
	var texts []string
	ctx := context.Background()
	// a wrong password, an unreachable broker
	wrong := e.source()
	wrong.Password = cdcPassword + "-wrong"
	r2, _ := cdc.New(j, wrong, kafka.Config{Brokers: e.addrs}, e.store)
	if _, err := r2.Run(ctx); err == nil {
		t.Error("a wrong password connected")
	} else {
		texts = append(texts, err.Error())
	}
	r3, _ := cdc.New(e.job(`
reader: {tables: [${DB}.t]}
writer: {partitions: 1}
`), e.source(), kafka.Config{Brokers: []string{"127.0.0.1:1"}, RequestTimeout: time.Second, DialTimeout: time.Second}, e.store)
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := r3.Run(cctx); err == nil {
		t.Error("an unreachable broker worked")
	} else {
		texts = append(texts, err.Error())
	}
	texts = append(texts, e.logs.String(), fmt.Sprintf("%v %+v %#v", e.source(), e.source(), e.source()))
	keys, _, err := e.store.List(ctx, "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		b, _ := e.store.Get(ctx, k)
		texts = append(texts, string(b))
	}
	for _, m := range e.read("t") {
		texts = append(texts, string(m.Key), string(m.Value))
	}
	for _, s := range texts {
		if strings.Contains(s, cdcPassword) {
			t.Errorf("the password appears in: %.300s", s)
		}
	}
}

// TestChangedSelectionIsRefused: a job whose keys of a tracked table or topic mapping changed cannot
// continue the state made under the old settings.
func TestChangedSelectionIsRefused(t *testing.T) {
	e := newEnv(t)
	e.sql("CREATE TABLE a (id INT PRIMARY KEY)", "CREATE TABLE b (id INT PRIMARY KEY)")
	e.run(e.runner(e.job(`{name: sel, reader: {tables: [${DB}.a]}, writer: {heartbeat: false}}`)))
	for _, changed := range []string{
		// the key or the topic of a tracked table (adding or removing tables is fine: see
		// TestAddedTableIsSnapshottedWhileTheBinlogGoesOn)
		`{name: sel, reader: {tables: [${DB}.a, ${DB}.b], keys: {${DB}.a: [id]}}, writer: {heartbeat: false}}`,
		`{name: sel, reader: {tables: [${DB}.a]}, writer: {heartbeat: false, prefix: x_}}`,
	} {
		_, err := e.runner(e.job(changed)).Run(context.Background())
		if !errors.Is(err, cdc.ErrSelectionChanged) || !strings.Contains(err.Error(), "state/cdc/sel/") {
			t.Errorf("%s: error %v, want ErrSelectionChanged naming the state to delete", changed, err)
		}
	}
	// settings that do not change the selection are fine
	e.run(e.runner(e.job(`{name: sel, reader: {tables: [${DB}.a]}, writer: {heartbeat: true, updateAs: two}}`)))
}

// TestOverlappingRunsDoNotBothAdvance: a run that finds another run saved progress after it
// began stops instead of overwriting it.
func TestOverlappingRunsDoNotBothAdvance(t *testing.T) {
	e := newEnv(t)
	e.sql("CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1), (2), (3)")
	j := e.job(`
reader: {tables: [${DB}.t], chunkRows: 1}
writer: {heartbeat: false}
`)
	e.run(e.runner(j, cdc.WithBudget(time.Second), cdc.WithClock(e.ticking(time.Hour)))) // begins, saves state, reads nothing
	other := e.runner(j)
	hooks := &cdc.Hooks{AfterProduce: func(cdc.Batch) error {
		// another invocation finishes the whole job meanwhile
		if _, err := other.Run(context.Background()); err != nil {
			return err
		}
		return nil
	}}
	_, err := e.runner(j, cdc.WithHooks(hooks)).Run(context.Background())
	if !errors.Is(err, cdc.ErrConcurrentRun) {
		t.Errorf("error %v, want ErrConcurrentRun", err)
	}
}

// TestRowsCarryColumnNamesWithFullMetadata: when the job is behind two ALTERs, rows between them
// do not match the schema read at the first ALTER. With binlog_row_metadata=FULL they are mapped
// by name; without it the run stops with an error that says so.
func TestRowsCarryColumnNamesWithFullMetadata(t *testing.T) {
	for _, meta := range []string{"NO_LOG", "FULL"} {
		t.Run(meta, func(t *testing.T) {
			e := newEnv(t)
			e.sql("SET GLOBAL binlog_row_metadata = '" + meta + "'")
			t.Cleanup(func() { e.sql("SET GLOBAL binlog_row_metadata = 'NO_LOG'") })
			e.sql("CREATE TABLE t (id INT PRIMARY KEY, a INT)")
			r := e.runner(e.job(`
reader: {tables: [${DB}.t]}
writer: {partitions: 1, heartbeat: false}
`))
			e.run(r)
			e.sql("ALTER TABLE t ADD COLUMN b INT", "INSERT INTO t VALUES (1, 10, 20)",
				"ALTER TABLE t ADD COLUMN c INT", "INSERT INTO t VALUES (2, 11, 21, 31)")
			_, err := r.Run(context.Background())
			if meta == "NO_LOG" {
				if err == nil || !strings.Contains(err.Error(), "binlog_row_metadata=FULL") {
					t.Fatalf("error %v, want one suggesting binlog_row_metadata=FULL", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range data(e.read("t")) {
				if m.M.Payload.After != nil {
					got = append(got, fmt.Sprintf("%d cols: %s/%s/%s/%s", len(m.M.Schema.DataColumn), m.after("id"), m.after("a"), m.after("b"), m.after("c")))
				}
			}
			if want := []string{"3 cols: 1/10/20/<absent>", "4 cols: 2/11/21/31"}; !reflect.DeepEqual(got, want) {
				t.Errorf("\n got %q\nwant %q", got, want)
			}
		})
	}
}

// TestFollowModeStaysForTheBudgetWithHeartbeatsEveryFiveSeconds: with setting.mode follow an
// invocation does not return once caught up: it stays on the binlog for its whole budget and
// writes a heartbeat to every partition every 5 s of wall clock (a fake clock here), then saves
// the last heartbeat's time.
func TestFollowModeStaysForTheBudgetWithHeartbeatsEveryFiveSeconds(t *testing.T) {
	e := newEnv(t)
	e.sql("CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1)")
	j := e.job(`
reader: {tables: [${DB}.t]}
writer: {partitions: 2}
setting: {mode: follow, budget: 30s}
`)
	clock := e.ticking(500 * time.Millisecond)
	r, err := cdc.New(j, e.source(), kafkaConfig(e), e.store, cdc.WithClock(clock), cdc.WithPollIdle(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	rep := e.run(r)
	if !rep.CaughtUp || rep.Duration < 30*time.Second {
		t.Errorf("report %+v: want caught up and a run of the whole 30 s budget", rep)
	}
	var times []int64
	for _, m := range e.read("t") {
		if m.op() == cdc.OpHeartbeat && m.Partition == 1 {
			times = append(times, m.M.Payload.Timestamp.EventTime)
		}
	}
	if len(times) < 5 || int64(len(times))*2 != rep.Heartbeats {
		t.Fatalf("%d heartbeats on partition 1 (%d in all) in a 30 s budget, want at least 5 on each partition", len(times), rep.Heartbeats)
	}
	for i := 1; i < len(times); i++ {
		if gap := times[i] - times[i-1]; gap < 5000 || gap > 6000 {
			t.Errorf("heartbeat %d came %d ms after the one before, want 5 s (within one idle poll)", i, gap)
		}
	}
	cp, err := r.Checkpoint(context.Background())
	if err != nil || cp.HeartbeatMs != times[len(times)-1] {
		t.Errorf("saved heartbeat time %v, %v; want %d", cp, err, times[len(times)-1])
	}
}

// TestCatchupModeReturnsOnceCaughtUp: by default (setting.mode catchup) an invocation returns
// as soon as it has written what the binlog held, long before its budget, so a timer-triggered
// function is billed only for the work.
func TestCatchupModeReturnsOnceCaughtUp(t *testing.T) {
	e := newEnv(t)
	e.sql("CREATE TABLE t (id INT PRIMARY KEY)")
	j := e.job(`
reader: {tables: [${DB}.t], snapshot: false}
writer: {partitions: 1, heartbeat: false}
setting: {budget: 60s}
`)
	r, err := cdc.New(j, e.source(), kafkaConfig(e), e.store, cdc.WithClock(e.ticking(time.Second)), cdc.WithPollIdle(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	e.run(r)
	e.sql("INSERT INTO t VALUES (1), (2)")
	rep := e.run(r)
	if !rep.CaughtUp || rep.Changes != 2 || rep.Duration >= 30*time.Second {
		t.Errorf("report %+v: want the 2 changes and a return once caught up, well inside the 60 s budget", rep)
	}
}
