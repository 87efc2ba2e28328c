package hudi_test

import (
	"context"
	"path"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/lake/hudi"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schema"
)

// slowWriter marks the context of the writer whose store requests a hook interferes with.
type slowWriter struct{}

// holdSlowWriter hooks m so that, in the slow writer's requests (ctx marked slowWriter{}),
// planned runs once when it creates its .inflight, and deciding whenever it then writes the
// commit log; an error from deciding fails that request and every later one (the writer died).
func holdSlowWriter(m *objstore.Memory, planned func(), deciding func() error) {
	var fired, dead atomic.Bool
	m.SetHook(func(ctx context.Context, op objstore.Op, key string) error {
		if ctx.Value(slowWriter{}) == nil {
			return nil
		}
		if dead.Load() {
			return errCrash
		}
		if op == objstore.OpCreateIfAbsent && strings.HasSuffix(key, ".inflight") && fired.CompareAndSwap(false, true) {
			planned()
		}
		if strings.Contains(key, "/state/commits") && fired.Load() {
			if err := deciding(); err != nil {
				dead.Store(true)
				return err
			}
		}
		return nil
	})
}

// assertNoUncommittedFileBelowActiveTimeline fails if a base file whose instant is no commit
// (active or archived) lies below the oldest active commit: Hudi's readers (and DuckDB
// applying Hudi's rule) would take it for committed.
func assertNoUncommittedFileBelowActiveTimeline(t *testing.T, s objstore.Store, root string) {
	t.Helper()
	active := activeCommits(t, s, root)
	if len(active) == 0 {
		return
	}
	archived := archivedCommits(t, s, root)
	for _, k := range listAll(t, s, root+"/") {
		if !strings.HasSuffix(k, ".parquet") {
			continue
		}
		parts := strings.Split(strings.TrimSuffix(path.Base(k), ".parquet"), "_")
		i := parts[len(parts)-1]
		if i < active[0] && !slices.Contains(archived, i) && !slices.Contains(active, i) {
			t.Errorf("base file %s of an uncommitted instant lies below the active timeline (from %s)", k, active[0])
		}
	}
}

// countOrder counts the rows of an order in a fresh reader's snapshot.
func countOrder(t *testing.T, s objstore.Store, root, id string) int {
	t.Helper()
	return countRows(t, s, root, func(row hudi.Row) bool { v, _ := row.Get("order_id"); return v == id })
}

// countRows counts the rows keep accepts (nil: all) in a fresh reader's snapshot.
func countRows(t *testing.T, s objstore.Store, root string, keep func(hudi.Row) bool) int {
	t.Helper()
	r, err := hudi.Open(t.Context(), s, root)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := r.Snapshot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = snap.Scan(t.Context(), func(row hudi.Row) error {
		if keep == nil || keep(row) {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A writer that lost a race goes on writing its attempt while another writer commits and
// archives, hours passing: it gives its stale attempt up before writing its base file (so no
// file of it lands below the archived commits, where readers would take it for committed) and
// commits under a new instant. A reader looking while the slow writer is about to decide sees
// nothing of it.
func TestASlowWritersAttemptIsNeverReadAsCommittedWhileOthersArchive(t *testing.T) {
	tests := []struct {
		name     string
		jump     time.Duration // clock movement per commit of the fast writer
		archives bool          // the fast writer archives meanwhile
	}{
		{"hours pass", 2 * time.Hour, true},
		{"an hour passes", 10 * time.Minute, false},
		{"minutes pass", time.Minute, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := objstore.NewMemory()
			clk := newJumpClock()
			cfg := ordersConfig(hudi.Partitioning{})
			opts := []hudi.Option{hudi.WithCleanRetained(1), hudi.WithArchiveKeep(2, 4), hudi.WithFileSizes(64<<20, 0),
				hudi.WithAutoArchive(true), hudi.WithClock(clk.Now)}
			w1 := mustCreate(t, m, "lake/orders", cfg, append(opts, hudi.WithWriterID("w1"))...)
			mustWrite(t, w1, hudi.Batch{Columns: orderColumns, Rows: []schema.Row{order(1, "ann", 1, baseTime)}, Checkpoints: map[string]int64{"p/1": 1}})
			w2, err := hudi.Open(t.Context(), m, "lake/orders", append(opts, hudi.WithWriterID("w2"))...)
			if err != nil {
				t.Fatal(err)
			}
			var looked atomic.Bool
			holdSlowWriter(m, func() {
				// w2 has planned its attempt; w1 commits six times meanwhile (archiving).
				for i := range 6 {
					clk.Jump(tt.jump)
					mustWrite(t, w1, hudi.Batch{Columns: orderColumns, Rows: []schema.Row{order(10+i, "ann", 1, baseTime)},
						Checkpoints: map[string]int64{"p/1": int64(2 + i)}})
				}
			}, func() error {
				if looked.CompareAndSwap(false, true) {
					// w2 is about to find out how its attempt fares: a reader looks now.
					if n := countOrder(t, m, "lake/orders", "o-00999"); n != 0 {
						t.Errorf("a snapshot reads order o-00999 of w2's undecided attempt %d times", n)
					}
					assertNoUncommittedFileBelowActiveTimeline(t, m, "lake/orders")
				}
				return nil
			})
			ctx := context.WithValue(t.Context(), slowWriter{}, true)
			_, err = w2.Write(ctx, hudi.Batch{Columns: orderColumns, Rows: []schema.Row{order(999, "ann", 1, baseTime)}, Checkpoints: map[string]int64{"p/2": 1}})
			m.SetHook(nil)
			if err != nil {
				t.Fatal(err)
			}
			if !looked.Load() {
				t.Fatal("the reader never looked")
			}
			if archived := len(archivedCommits(t, m, "lake/orders")); (archived > 0) != tt.archives {
				t.Fatalf("%d commits archived while w2 wrote", archived)
			}
			if n := countOrder(t, m, "lake/orders", "o-00999"); n != 1 {
				t.Errorf("o-00999 is in the table %d times, want once", n)
			}
			clk.Jump(2 * time.Hour)
			mustWrite(t, w1, hudi.Batch{Columns: orderColumns, Rows: []schema.Row{order(50, "ann", 1, baseTime)}, Checkpoints: map[string]int64{"p/1": 50}})
			assertNoUncommittedFileBelowActiveTimeline(t, m, "lake/orders")
			assertNoLeftovers(t, m, "lake/orders")
		})
	}
}

// A writer dies (a function timeout) with its attempt's base file written: its rows are never
// read, neither while its instant is in the active timeline nor once archiving passed it, and
// a writer upserting the key inserts it (it was never committed).
func TestFilesOfADeadAttemptAreNeverReadBeforeOrAfterArchiving(t *testing.T) {
	tests := []struct {
		name   string
		during int // commits of the other writer while the attempt runs (hours apart)
	}{
		{"dies alone", 0},
		{"others commit and archive while it writes", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := objstore.NewMemory()
			clk := newJumpClock()
			cfg := ordersConfig(hudi.Partitioning{})
			opts := []hudi.Option{hudi.WithCleanRetained(1), hudi.WithArchiveKeep(2, 4), hudi.WithFileSizes(64<<20, 0),
				hudi.WithAutoArchive(true), hudi.WithClock(clk.Now)}
			w1 := mustCreate(t, m, "lake/orders", cfg, append(opts, hudi.WithWriterID("w1"))...)
			cp := int64(1)
			commitW1 := func(id int) {
				clk.Jump(2 * time.Hour)
				cp++
				mustWrite(t, w1, hudi.Batch{Columns: orderColumns, Rows: []schema.Row{order(id, "ann", 1, baseTime)}, Checkpoints: map[string]int64{"p/1": cp}})
			}
			commitW1(1)
			w2, err := hudi.Open(t.Context(), m, "lake/orders", append(opts, hudi.WithWriterID("w2"))...)
			if err != nil {
				t.Fatal(err)
			}
			holdSlowWriter(m, func() {
				for i := range tt.during {
					commitW1(10 + i)
				}
			}, func() error { return errCrash })
			ctx := context.WithValue(t.Context(), slowWriter{}, true)
			if _, err := w2.Write(ctx, hudi.Batch{Columns: orderColumns, Rows: []schema.Row{order(999, "ann", 1, baseTime)}, Checkpoints: map[string]int64{"p/2": 1}}); err == nil {
				t.Fatal("w2's write succeeded through a crash")
			}
			m.SetHook(nil)
			// w1 goes on for hours: archiving passes w2's instant.
			for i := range 6 {
				commitW1(20 + i)
				if n := countOrder(t, m, "lake/orders", "o-00999"); n != 0 {
					t.Fatalf("after %d more commits o-00999 is in the snapshot, but its batch never committed", i+1)
				}
				assertNoUncommittedFileBelowActiveTimeline(t, m, "lake/orders")
			}
			if len(archivedCommits(t, m, "lake/orders")) == 0 {
				t.Fatal("nothing was archived")
			}
			cps, err := w1.Checkpoints(t.Context())
			if err != nil || cps["p/2"] != 0 {
				t.Fatalf("Checkpoints = %v, %v: w2's batch never committed", cps, err)
			}
			up := order(999, "ann", 2, baseTime)
			up[3] = "paid"
			clk.Jump(2 * time.Hour)
			if res := mustWrite(t, w1, hudi.Batch{Columns: orderColumns, Rows: []schema.Row{up}, Checkpoints: map[string]int64{"p/1": 100}}); res.Inserted != 1 {
				t.Errorf("the upsert of o-00999 = %+v, want an insert", res)
			}
			rows := rowsByKey(t, w1)
			if r := rows["|o-00999"]; r == nil || r["status"] != "paid" {
				t.Errorf("o-00999 = %v, want the upsert's row", r)
			}
			assertNoLeftovers(t, m, "lake/orders")
		})
	}
}

// Insert-only table: a writer dies after writing its base file; another writer tops up small
// file groups, the batch is delivered again and committed, and archiving passes the dead
// attempt: the row is in the table once.
func TestADeadAttemptsRowIsNotDuplicatedInAnInsertOnlyTable(t *testing.T) {
	m := objstore.NewMemory()
	clk := newJumpClock()
	cfg := hudi.Config{Name: "orders", Columns: orderColumns}
	opts := []hudi.Option{hudi.WithCleanRetained(1), hudi.WithArchiveKeep(2, 4), hudi.WithAutoArchive(true), hudi.WithClock(clk.Now)}
	w1 := mustCreate(t, m, "lake/orders", cfg, append(opts, hudi.WithFileSizes(64<<20, 0), hudi.WithWriterID("w1"))...)
	many := func(base int) []schema.Row {
		var rows []schema.Row
		for i := range 300 {
			rows = append(rows, order(base+i, "ann", 1, baseTime))
		}
		return rows
	}
	cp := int64(0)
	commitW1 := func(rows []schema.Row) {
		clk.Jump(2 * time.Hour)
		cp++
		mustWrite(t, w1, hudi.Batch{Columns: orderColumns, Rows: rows, Checkpoints: map[string]int64{"p/1": cp}})
	}
	commitW1(many(1000))
	w2, err := hudi.Open(t.Context(), m, "lake/orders", append(opts, hudi.WithFileSizes(64<<20, 0), hudi.WithWriterID("w2"))...)
	if err != nil {
		t.Fatal(err)
	}
	holdSlowWriter(m, func() {
		for i := range 4 {
			commitW1(many(2000 + 1000*i))
		}
	}, func() error { return errCrash })
	w2batch := hudi.Batch{Columns: orderColumns, Rows: []schema.Row{order(999, "ann", 1, baseTime)}, Checkpoints: map[string]int64{"p/2": 1}}
	if _, err := w2.Write(context.WithValue(t.Context(), slowWriter{}, true), w2batch); err == nil {
		t.Fatal("w2's write succeeded through a crash")
	}
	m.SetHook(nil)
	// Another writer tops up small file groups.
	w3, err := hudi.Open(t.Context(), m, "lake/orders", append(opts, hudi.WithFileSizes(64<<20, 8<<10), hudi.WithWriterID("w3"))...)
	if err != nil {
		t.Fatal(err)
	}
	clk.Jump(2 * time.Hour)
	mustWrite(t, w3, hudi.Batch{Columns: orderColumns, Rows: []schema.Row{order(5, "ann", 1, baseTime)}, Checkpoints: map[string]int64{"p/3": 1}})
	// w2's batch is delivered again, to a new instance.
	w2b, err := hudi.Open(t.Context(), m, "lake/orders", append(opts, hudi.WithFileSizes(64<<20, 0))...)
	if err != nil {
		t.Fatal(err)
	}
	clk.Jump(2 * time.Hour)
	mustWrite(t, w2b, w2batch)
	for i := range 6 {
		commitW1(many(9000 + 10*i)[:1])
	}
	if len(archivedCommits(t, m, "lake/orders")) == 0 {
		t.Fatal("nothing was archived")
	}
	if n := countOrder(t, m, "lake/orders", "o-00999"); n != 1 {
		t.Errorf("o-00999 is in the table %d times, want once", n)
	}
	assertNoUncommittedFileBelowActiveTimeline(t, m, "lake/orders")
	assertNoLeftovers(t, m, "lake/orders")
}
