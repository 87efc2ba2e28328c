package cdc_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/cdc"
)

var errCrash = errors.New("simulated crash between produce and checkpoint")

// crashAt returns hooks that fail the n-th produced batch after Kafka acknowledged it, and a
// pointer to the record count of that batch.
func crashAt(n int) (*cdc.Hooks, *int) {
	count, records := 0, 0
	return &cdc.Hooks{AfterProduce: func(b cdc.Batch) error {
		count++
		if count == n {
			records = b.Records
			return errCrash
		}
		return nil
	}}, &records
}

// withoutSystemTime blanks the one field a repeated record may change.
func withoutSystemTime(v []byte) string {
	s := string(v)
	i := strings.Index(s, `"systemTime":`)
	j := strings.Index(s[i:], ",")
	return s[:i] + s[i+j:]
}

// TestCrashBetweenProduceAndSaveRepeatsOnlyTheLastBatch: a run dies after Kafka acknowledged
// its third batch but before saving it. The next run writes that batch again — the same records
// with the same sequence ids — and everything after it; nothing is lost and nothing else repeats.
func TestCrashBetweenProduceAndSaveRepeatsOnlyTheLastBatch(t *testing.T) {
	e := newEnv(t)
	e.sql("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(8))")
	j := e.job(`
reader: {tables: [${DB}.t]}
writer: {partitions: 3, heartbeat: false}
setting: {batchRecords: 5}
`)
	e.run(e.runner(j)) // empty snapshot
	for i := 1; i <= 30; i++ {
		e.sql(fmt.Sprintf("INSERT INTO t VALUES (%d, 'v%d')", i, i))
	}
	hooks, crashed := crashAt(3)
	_, err := e.runner(j, cdc.WithHooks(hooks), cdc.WithClock(e.ticking(time.Millisecond))).Run(context.Background())
	if !errors.Is(err, errCrash) {
		t.Fatalf("run: %v, want the simulated crash", err)
	}
	before := e.read("t")
	if len(before) != 15 || *crashed != 5 {
		t.Fatalf("%d records before the restart (crashed batch of %d), want 3 batches of 5", len(before), *crashed)
	}
	rep := e.run(e.runner(j, cdc.WithClock(e.ticking(time.Millisecond))))
	if rep.Changes != 20 {
		t.Errorf("restart read %d changes, want 20 (the unsaved batch and the rest)", rep.Changes)
	}
	all := e.read("t")
	bySeq := map[string][]msg{}
	var order []string
	for _, m := range all {
		if _, ok := bySeq[m.seq()]; !ok {
			order = append(order, m.seq())
		}
		bySeq[m.seq()] = append(bySeq[m.seq()], m)
	}
	if len(bySeq) != 30 {
		t.Errorf("%d distinct sequence ids, want 30 (one per insert)", len(bySeq))
	}
	var repeated []string
	for seq, ms := range bySeq {
		if len(ms) > 2 {
			t.Errorf("sequence id %s written %d times", seq, len(ms))
		}
		if len(ms) == 2 {
			repeated = append(repeated, string(ms[0].Key))
			if withoutSystemTime(ms[0].Value) != withoutSystemTime(ms[1].Value) || string(ms[0].Key) != string(ms[1].Key) || ms[0].Partition != ms[1].Partition {
				t.Errorf("sequence id %s: the repetition differs:\n%s\n%s", seq, ms[0].Value, ms[1].Value)
			}
		}
	}
	slices.SortFunc(repeated, func(a, b string) int { return int(atoi(a) - atoi(b)) })
	if want := []string{"11", "12", "13", "14", "15"}; !reflect.DeepEqual(repeated, want) {
		t.Errorf("repeated keys %v, want the third batch %v", repeated, want)
	}
	if got, want := replay(all, "id", "v"), e.table("t", "id", "v"); !reflect.DeepEqual(got, want) {
		t.Errorf("replay differs from the table:\n%v\n%v", got, want)
	}
}

// TestRestartMidSnapshotLosesNothing: the snapshot stops when the budget is spent (runs resume
// after the last saved chunk, nothing repeats) or crashes after a chunk was acknowledged (the
// restart repeats exactly that chunk).
func TestRestartMidSnapshotLosesNothing(t *testing.T) {
	cases := []struct {
		name       string
		crashChunk int
		repeated   []int64
	}{
		{name: "budget spent"},
		{name: "crash after the third chunk", crashChunk: 3, repeated: []int64{21, 22, 23, 24, 25, 26, 27, 28, 29, 30}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.sql("CREATE TABLE big (a INT, b VARCHAR(4), v INT, PRIMARY KEY (a, b))")
			var vals []string
			for i := 1; i <= 55; i++ {
				vals = append(vals, fmt.Sprintf("(%d, '%c', %d)", (i+1)/2, 'x'+rune(i%2), i))
			}
			e.sql("INSERT INTO big VALUES " + strings.Join(vals, ", "))
			j := e.job(`
reader: {tables: [${DB}.big], chunkRows: 10}
writer: {partitions: 2, heartbeat: false}
setting: {budget: 2s}
`)
			runs := 0
			if c.crashChunk > 0 {
				hooks, _ := crashAt(c.crashChunk)
				if _, err := e.runner(j, cdc.WithHooks(hooks)).Run(context.Background()); !errors.Is(err, errCrash) {
					t.Fatalf("run: %v, want the crash", err)
				}
				runs++
			}
			for ; runs < 20; runs++ {
				// every clock reading is 500 ms later: a run reads a chunk or two, then stops
				rep := e.run(e.runner(j, cdc.WithClock(e.ticking(500*time.Millisecond))))
				if rep.Phase == cdc.PhaseBinlog {
					break
				}
			}
			if runs+1 < 3 {
				t.Errorf("the snapshot took %d runs; the budget should have split it", runs+1)
			}
			count := map[int64]int{}
			for _, m := range e.read("big") {
				count[atoi(m.after("v"))]++
			}
			var repeated []int64
			for v := int64(1); v <= 55; v++ {
				switch count[v] {
				case 1:
				case 2:
					repeated = append(repeated, v)
				default:
					t.Errorf("row v=%d written %d times", v, count[v])
				}
			}
			if !reflect.DeepEqual(repeated, c.repeated) {
				t.Errorf("repeated rows %v, want %v", repeated, c.repeated)
			}
		})
	}
}

// TestRestartMidBinlogContinuesWhereItStopped: runs that stop on their budget in the middle of
// the binlog leave no gap and no repetition.
func TestRestartMidBinlogContinuesWhereItStopped(t *testing.T) {
	e := newEnv(t)
	e.sql("CREATE TABLE t (id INT PRIMARY KEY, n INT)", "INSERT INTO t VALUES (1, 0)")
	j := e.job(`
reader: {tables: [${DB}.t]}
writer: {partitions: 1, heartbeat: false}
setting: {budget: 3s, batchRecords: 4}
`)
	e.run(e.runner(j))
	for i := 1; i <= 40; i++ {
		e.sql(fmt.Sprintf("UPDATE t SET n = %d", i))
	}
	runs := 0
	for ; runs < 40; runs++ {
		rep := e.run(e.runner(j, cdc.WithClock(e.ticking(200*time.Millisecond))))
		if rep.CaughtUp {
			break
		}
	}
	if runs+1 < 3 {
		t.Errorf("caught up in %d runs; the budget should have split the binlog", runs+1)
	}
	var ns []int64
	for _, m := range e.read("t")[1:] {
		ns = append(ns, atoi(m.after("n")))
	}
	for i, n := range ns {
		if n != int64(i+1) {
			t.Fatalf("updates in Kafka: %v, want 1..40 once each, in order", ns)
		}
	}
	if len(ns) != 40 {
		t.Errorf("%d updates in Kafka, want 40", len(ns))
	}
}

// TestPurgedBinlogFailsClearlyOrTakesANewSnapshot: the binlog file the job would resume from is
// purged; by default the run fails saying so, with onPurgedBinlog: resnapshot it starts over.
func TestPurgedBinlogFailsClearlyOrTakesANewSnapshot(t *testing.T) {
	for _, mode := range []string{"fail", "resnapshot"} {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t)
			e.sql("CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1), (2)")
			r := e.runner(e.job(`
reader: {tables: [${DB}.t], onPurgedBinlog: ` + mode + `}
writer: {partitions: 1, heartbeat: false}
`))
			e.run(r)
			e.sql("INSERT INTO t VALUES (3)", "FLUSH BINARY LOGS")
			res, err := e.conn.Execute("SHOW MASTER STATUS")
			if err != nil {
				t.Fatal(err)
			}
			current, _ := res.GetString(0, 0)
			e.purgeTo(current)
			rep, err := r.Run(context.Background())
			if mode == "fail" {
				if !errors.Is(err, cdc.ErrBinlogPurged) || !strings.Contains(err.Error(), "onPurgedBinlog: resnapshot") || !strings.Contains(err.Error(), current) {
					t.Fatalf("error %v: want ErrBinlogPurged naming the oldest binlog and the option", err)
				}
				return
			}
			if err != nil || !rep.Resnapshot || rep.SnapshotRows != 3 {
				t.Fatalf("report %+v, error %v: want a new snapshot of 3 rows", rep, err)
			}
			var got []string
			for _, m := range e.read("t") {
				got = append(got, m.seq()+" "+string(m.Key))
			}
			if want := []string{"-1 1", "-1 2", "-1 1", "-1 2", "-1 3"}; !reflect.DeepEqual(got, want) {
				t.Errorf("records %q, want the first snapshot then the second", got)
			}
		})
	}
}

// purgeTo purges the binary logs before file. MariaDB keeps a file until its binlog checkpoint
// is written, so the purge is repeated until it took effect.
func (e *env) purgeTo(file string) {
	e.t.Helper()
	for range 200 {
		e.sql("PURGE BINARY LOGS TO '" + file + "'")
		r, err := e.conn.Execute("SHOW BINARY LOGS")
		if err != nil {
			e.t.Fatal(err)
		}
		if first, _ := r.GetString(0, 0); first == file {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.t.Fatalf("the server kept binary logs before %s", file)
}

// TestTablesChangedDuringTheSnapshot: a table altered between snapshot runs is read with its new
// columns from then on, a dropped one ends its snapshot; the binlog phase then writes the DDL
// records, and nothing is lost.
func TestTablesChangedDuringTheSnapshot(t *testing.T) {
	e := newEnv(t)
	e.sql("CREATE TABLE a (id INT PRIMARY KEY, x INT, y INT)", "CREATE TABLE b (id INT PRIMARY KEY)")
	var vals []string
	for i := 1; i <= 30; i++ {
		vals = append(vals, fmt.Sprintf("(%d, %d, %d)", i, i, i))
	}
	e.sql("INSERT INTO a VALUES "+strings.Join(vals, ", "), "INSERT INTO b VALUES (1), (2)")
	j := e.job(`
reader: {tables: [${DB}.a, ${DB}.b], chunkRows: 10}
writer: {partitions: 1, heartbeat: false}
setting: {budget: 2s}
`)
	// every clock reading is a second later: the first run reads one chunk of a
	rep := e.run(e.runner(j, cdc.WithClock(e.ticking(time.Second))))
	if rep.SnapshotRows != 10 || rep.Phase != cdc.PhaseSnapshot {
		t.Fatalf("first run: %+v, want one chunk", rep)
	}
	e.sql("ALTER TABLE a DROP COLUMN y, ADD COLUMN z VARCHAR(4) DEFAULT 'new'", "DROP TABLE b")
	for i := 0; i < 10 && rep.Phase == cdc.PhaseSnapshot; i++ {
		rep = e.run(e.runner(j))
	}
	if rep.Phase != cdc.PhaseBinlog || !rep.CaughtUp || rep.DDL != 2 {
		t.Fatalf("last run: %+v, want the binlog phase caught up after 2 DDL records", rep)
	}
	var got []string
	for _, m := range e.read("a") {
		switch {
		case m.M.Payload.DDL != nil:
			got = append(got, m.op())
		case m.after("id") == "10" || m.after("id") == "11":
			got = append(got, fmt.Sprintf("%s y=%s z=%s", m.after("id"), m.after("y"), m.after("z")))
		}
	}
	if want := []string{"10 y=10 z=<absent>", "11 y=<absent> z=new", "ALTER"}; !reflect.DeepEqual(got, want) {
		t.Errorf("records on a: %q, want %q", got, want)
	}
	if got := summary(e.read("b")); !reflect.DeepEqual(got, []string{`ERASE key=""`}) {
		t.Errorf("records on b: %q (the table was dropped before its snapshot)", got)
	}
}
