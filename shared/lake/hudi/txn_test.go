package hudi_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/lake/hudi"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schema"
)

var errCrash = errors.New("injected crash")

// crashTable holds the expected content of the crash test's table.
type crashCase struct {
	name  string
	cfg   hudi.Config
	first hudi.Batch
	next  hudi.Batch
	want  map[string]string // order_id -> status after both batches
	end   int64             // the checkpoint after both batches
	kept  bool              // the second batch tops up a file group keeping row groups in place
}

// newKeepCase is a crash case whose second batch tops up a file group of three row groups
// (two full ones and a tail): the new base file keeps the full ones in place (PutWithPrefix).
func newKeepCase() crashCase {
	c := crashCase{name: "top-up keeping row groups", cfg: streamConfig, want: map[string]string{}, end: 9050, kept: true}
	c.first.Rows = streamRows(9000, 1)
	c.first.Columns, c.first.Checkpoints = streamColumns, map[string]int64{"orders/0": 9000}
	for _, r := range c.first.Rows {
		c.want[r[0].(string)] = r[4].(string)
	}
	u := updated(c.first.Rows[8990])
	c.next.Rows = append(streamRows(49, 2), u)
	for _, r := range c.next.Rows {
		c.want[r[0].(string)] = r[4].(string)
	}
	c.next.Columns = streamColumns
	c.next.Checkpoints = map[string]int64{"orders/0": 9050}
	c.next.From = map[string]int64{"orders/0": 9000}
	return c
}

func newCrashCase() crashCase {
	c := crashCase{name: "upserts by partition", cfg: ordersConfig(hudi.Partitioning{Fields: []string{"user_name"}, HiveStyle: true}), want: map[string]string{}, end: 12}
	for i := 1; i <= 6; i++ {
		c.first.Rows = append(c.first.Rows, order(i, []string{"ann", "bob"}[i%2], 1, baseTime))
		c.want[fmt.Sprintf("o-%05d", i)] = "new"
	}
	c.first.Columns, c.first.Checkpoints = orderColumns, map[string]int64{"orders/0": 6}
	for _, i := range []int{2, 3} {
		r := order(i, []string{"ann", "bob"}[i%2], 2, baseTime)
		r[3] = "paid"
		c.next.Rows = append(c.next.Rows, r)
		c.want[fmt.Sprintf("o-%05d", i)] = "paid"
	}
	for i := 7; i <= 10; i++ {
		c.next.Rows = append(c.next.Rows, order(i, []string{"ann", "bob", "cy"}[i%3], 1, baseTime))
		c.want[fmt.Sprintf("o-%05d", i)] = "new"
	}
	c.next.Columns = orderColumns
	c.next.Checkpoints = map[string]int64{"orders/0": 12}
	c.next.From = map[string]int64{"orders/0": 6}
	return c
}

// setup creates the table with the first batch committed.
func (c crashCase) setup(t *testing.T) *objstore.Memory {
	m, _ := c.setupWarm(t)
	return m
}

// setupWarm is setup that also returns the record keys the first write cached, as a warm
// function instance keeps them for its next invocation.
func (c crashCase) setupWarm(t *testing.T) (*objstore.Memory, *hudi.KeyCache) {
	m := objstore.NewMemory()
	cache := hudi.NewKeyCache(16 << 20)
	tbl := mustCreate(t, m, "lake/orders", c.cfg, hudi.WithKeyCache(cache))
	mustWrite(t, tbl, c.first)
	return m, cache
}

// check verifies that every record is in the table exactly once with its final status, that the
// checkpoints are final, and that no uncommitted file or instant is left behind.
func (c crashCase) check(t *testing.T, s objstore.Store) {
	t.Helper()
	tbl, err := hudi.Open(t.Context(), s, "lake/orders")
	if err != nil {
		t.Fatal(err)
	}
	rows := rowsByKey(t, tbl)
	got := map[string]string{}
	for _, r := range rows {
		got[r["order_id"].(string)] = r["status"].(string)
	}
	if !maps.Equal(got, c.want) {
		t.Errorf("table = %v\nwant    %v", got, c.want)
	}
	if cp, err := tbl.Checkpoints(t.Context()); err != nil || cp["orders/0"] != c.end {
		t.Errorf("Checkpoints = %v, %v; want orders/0 at %d", cp, err, c.end)
	}
	assertNoLeftovers(t, s, "lake/orders")
}

// assertNoLeftovers fails if a base file's instant has no .commit, an instant has a
// .commit.requested or .inflight but no .commit, or a clean was not completed (a
// .clean.requested or .clean.inflight without .clean).
func assertNoLeftovers(t *testing.T, s objstore.Store, root string) {
	t.Helper()
	prefix := root + "/"
	if root == "" {
		prefix = ""
	}
	hoodie := prefix + ".hoodie/"
	keys := listAll(t, s, prefix)
	done := map[string]bool{} // "<instant>.commit", "<instant>.clean"
	for _, k := range keys {
		if name, ok := strings.CutPrefix(k, hoodie); ok && !strings.Contains(name, "/") {
			done[name] = true
		}
	}
	for _, i := range archivedCommits(t, s, root) {
		done[i+".commit"] = true
	}
	for _, k := range keys {
		base := path.Base(k)
		if strings.HasSuffix(k, ".parquet") {
			parts := strings.Split(strings.TrimSuffix(base, ".parquet"), "_")
			if !done[parts[len(parts)-1]+".commit"] {
				t.Errorf("uncommitted base file left behind: %s", k)
			}
			continue
		}
		if !strings.HasPrefix(k, hoodie) || strings.Contains(strings.TrimPrefix(k, hoodie), "/") {
			continue
		}
		instant, action, _ := strings.Cut(base, ".")
		switch action {
		case "inflight", "commit.requested":
			if !done[instant+".commit"] {
				t.Errorf("pending instant left behind: %s", k)
			}
		case "clean.requested", "clean.inflight":
			if !done[instant+".clean"] {
				t.Errorf("pending clean left behind: %s", k)
			}
		}
	}
}

func listAll(t *testing.T, s objstore.Store, prefix string) []string {
	t.Helper()
	var out []string
	after := ""
	for {
		keys, next, err := s.List(context.Background(), prefix, after, 0)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, keys...)
		if next == "" {
			return out
		}
		after = next
	}
}

// countOps counts the store operations of one clean Write of c.next.
func (c crashCase) countOps(t *testing.T) int {
	m, cache := c.setupWarm(t)
	counter := newRangeCounter(m)
	tbl, err := hudi.Open(t.Context(), counter, "lake/orders", hudi.WithKeyCache(cache))
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int32
	m.SetHook(func(context.Context, objstore.Op, string) error { n.Add(1); return nil })
	mustWrite(t, tbl, c.next)
	m.SetHook(nil)
	if kept := len(counter.prefixed) > 0; kept != c.kept {
		t.Fatalf("the write kept stored row groups in place: %v, want %v", kept, c.kept)
	}
	return int(n.Load())
}

// TestCrashAtAnyStepThenRetryKeepsEveryRecordOnce stops a Write at every store operation in
// turn (also in a top-up that keeps stored row groups in place), as a process that dies there: the operation either fails, or lands with its reply lost,
// and every later operation of that process fails. A new process then opens the table and
// retries the batch. Every record must be there exactly once.
func TestCrashAtAnyStepThenRetryKeepsEveryRecordOnce(t *testing.T) {
	for _, c := range []crashCase{newCrashCase(), newKeepCase()} {
		t.Run(c.name, func(t *testing.T) { c.crashEverywhere(t) })
	}
}

func (c crashCase) crashEverywhere(t *testing.T) {
	total := c.countOps(t)
	if total < 10 {
		t.Fatalf("a write takes only %d store operations?", total)
	}
	for _, landed := range []bool{false, true} {
		for k := 1; k <= total; k++ {
			t.Run(fmt.Sprintf("landed=%v/op%d", landed, k), func(t *testing.T) {
				// The crashing write runs in a warm instance (it reads the stored base
				// file by ranges); the retry in a new one.
				m, cache := c.setupWarm(t)
				tbl, err := hudi.Open(t.Context(), m, "lake/orders", hudi.WithKeyCache(cache))
				if err != nil {
					t.Fatal(err)
				}
				var n atomic.Int32
				var crashed atomic.Bool
				var crashOp string
				m.SetHook(func(_ context.Context, op objstore.Op, key string) error {
					if crashed.Load() {
						return errCrash
					}
					if int(n.Add(1)) == k {
						crashed.Store(true)
						crashOp = fmt.Sprintf("%s %s", op, key)
						if landed {
							m.FailNextAfter(op, errCrash)
							return nil
						}
						return errCrash
					}
					return nil
				})
				res, err := tbl.Write(t.Context(), c.next)
				m.SetHook(nil)
				if err == nil && !crashed.Load() {
					t.Fatalf("no crash happened at op %d", k)
				}
				t.Logf("crash at %s: first Write = %+v, %v", crashOp, res, err)
				// A new process retries (the batch is delivered again).
				retry, err := hudi.Open(t.Context(), m, "lake/orders")
				if err != nil {
					t.Fatal(err)
				}
				res, err = retry.Write(t.Context(), c.next)
				if err != nil {
					t.Fatalf("retry after a crash at %s: %v", crashOp, err)
				}
				c.check(t, m)
				// And once more: a duplicate delivery is skipped.
				res, err = retry.Write(t.Context(), c.next)
				if err != nil || !res.Skipped {
					t.Errorf("third delivery = %+v, %v; want skipped", res, err)
				}
			})
		}
	}
}

// TestConcurrentWritersLoseNoRowAndNoCommit runs writers for different source partitions at
// the same time, each on its own Table (as separate processes would), writing their own keys
// and upserting a set of shared keys with distinct versions.
func TestConcurrentWritersLoseNoRowAndNoCommit(t *testing.T) {
	const writers, batches, own, shared = 6, 4, 8, 4
	partitionings := []struct {
		name string
		p    hudi.Partitioning
	}{
		{"nonpartitioned", hudi.Partitioning{}},
		{"by user", hudi.Partitioning{Fields: []string{"user_name"}}},
	}
	for _, pt := range partitionings {
		t.Run(pt.name, func(t *testing.T) {
			forEachStore(t, func(t *testing.T, s objstore.Store) {
				cfg := ordersConfig(pt.p)
				mustCreate(t, s, "lake/orders", cfg)
				var attempts atomic.Int32
				var wg sync.WaitGroup
				for w := range writers {
					wg.Go(func() {
						tbl, err := hudi.Open(t.Context(), s, "lake/orders", hudi.WithWriterID(fmt.Sprintf("writer-%d", w)), hudi.WithMaxAttempts(100))
						if err != nil {
							t.Error(err)
							return
						}
						src := fmt.Sprintf("orders/%d", w)
						for b := range batches {
							var rows []schema.Row
							for i := range own {
								r := order(w*1000+b*100+i, []string{"ann", "bob"}[i%2], 1, baseTime)
								rows = append(rows, r)
							}
							for i := range shared {
								r := order(900000+i, []string{"ann", "bob"}[i%2], int64(b*100+w), baseTime)
								r[3] = fmt.Sprintf("w%d-b%d", w, b)
								rows = append(rows, r)
							}
							batch := hudi.Batch{Columns: orderColumns, Rows: rows,
								Checkpoints: map[string]int64{src: int64((b + 1) * len(rows))}, From: map[string]int64{src: int64(b * len(rows))}}
							res, err := tbl.Write(t.Context(), batch)
							if err != nil {
								t.Errorf("writer %d batch %d: %v", w, b, err)
								return
							}
							attempts.Add(int32(res.Attempts))
						}
					})
				}
				wg.Wait()
				t.Logf("%d batches took %d attempts", writers*batches, attempts.Load())
				tbl, err := hudi.Open(t.Context(), s, "lake/orders")
				if err != nil {
					t.Fatal(err)
				}
				rows := rowsByKey(t, tbl)
				if want := writers*batches*own + shared; len(rows) != want {
					t.Errorf("%d records, want %d", len(rows), want)
				}
				for _, r := range rows {
					id := r["order_id"].(string)
					if id >= "o-900000" {
						// The highest version any writer wrote wins: batch 3 of writer 5.
						if r["version"] != int64((batches-1)*100+writers-1) || r["status"] != fmt.Sprintf("w%d-b%d", writers-1, batches-1) {
							t.Errorf("shared record %s = version %v status %v", id, r["version"], r["status"])
						}
					}
				}
				cp, err := tbl.Checkpoints(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				for w := range writers {
					if got := cp[fmt.Sprintf("orders/%d", w)]; got != int64(batches*(own+shared)) {
						t.Errorf("checkpoint orders/%d = %d, want %d", w, got, batches*(own+shared))
					}
				}
				assertNoLeftovers(t, s, "lake/orders")
			})
		})
	}
}

// TestTransientStoreErrorAtAnyStepThenRetrySameTable fails one store operation of a Write (the
// process lives on) and retries the batch on the same Table.
func TestTransientStoreErrorAtAnyStepThenRetrySameTable(t *testing.T) {
	c := newCrashCase()
	total := c.countOps(t)
	for k := 1; k <= total; k++ {
		t.Run(fmt.Sprintf("op%d", k), func(t *testing.T) {
			m := c.setup(t)
			tbl, err := hudi.Open(t.Context(), m, "lake/orders")
			if err != nil {
				t.Fatal(err)
			}
			var n atomic.Int32
			m.SetHook(func(_ context.Context, op objstore.Op, key string) error {
				if int(n.Add(1)) == k {
					return errCrash
				}
				return nil
			})
			_, err = tbl.Write(t.Context(), c.next)
			m.SetHook(nil)
			if err != nil && !errors.Is(err, errCrash) {
				t.Fatalf("Write = %v, want the injected error", err)
			}
			if _, err := tbl.Write(t.Context(), c.next); err != nil {
				t.Fatalf("retry: %v", err)
			}
			c.check(t, m)
		})
	}
}

// raceWith makes the store run other before the first commit-log write of the test's writer,
// as if another writer committed while this one wrote its files.
func raceWith(m *objstore.Memory, other func()) {
	var fired atomic.Bool
	m.SetHook(func(_ context.Context, op objstore.Op, key string) error {
		if op == objstore.OpCreateIfAbsent && strings.Contains(key, "/state/commits/") && fired.CompareAndSwap(false, true) {
			other()
		}
		return nil
	})
}

func TestACommitThatLandedMeanwhileIsRebasedOverWhenItDoesNotConflict(t *testing.T) {
	m := objstore.NewMemory()
	cfg := ordersConfig(hudi.Partitioning{Fields: []string{"user_name"}})
	at := func(d time.Duration) func() time.Time { return func() time.Time { return baseTime.Add(d) } }
	first := mustCreate(t, m, "lake/orders", cfg, hudi.WithClock(at(0)))
	mustWrite(t, first, hudi.Batch{Columns: orderColumns, Rows: []schema.Row{order(1, "ann", 1, baseTime), order(2, "bob", 1, baseTime)}})
	a := mustCreate(t, m, "lake/orders", cfg, hudi.WithClock(at(time.Hour)), hudi.WithWriterID("a"))
	b := mustCreate(t, m, "lake/orders", cfg, hudi.WithClock(at(time.Minute)), hudi.WithWriterID("b"))

	// b commits into bob's partition (with an older instant) while a writes ann's.
	var bres hudi.Result
	raceWith(m, func() {
		bres = mustWrite(t, b, hudi.Batch{Columns: orderColumns, Rows: []schema.Row{order(3, "bob", 1, baseTime)}, Checkpoints: map[string]int64{"orders/1": 1}})
	})
	ares := mustWrite(t, a, hudi.Batch{Columns: orderColumns, Rows: []schema.Row{order(4, "ann", 1, baseTime)}, Checkpoints: map[string]int64{"orders/0": 1}})
	m.SetHook(nil)
	if ares.Attempts != 1 || bres.Instant >= ares.Instant {
		t.Errorf("a = %+v, b = %+v: want a committed on top of b without rewriting", ares, bres)
	}

	// Now b updates a key that a is also writing: a must rewrite on top of b's commit.
	b2 := mustCreate(t, m, "lake/orders", cfg, hudi.WithClock(at(2*time.Hour)), hudi.WithWriterID("b"))
	a2 := mustCreate(t, m, "lake/orders", cfg, hudi.WithClock(at(3*time.Hour)), hudi.WithWriterID("a"))
	raceWith(m, func() {
		r := order(4, "ann", 5, baseTime)
		r[3] = "from b"
		mustWrite(t, b2, hudi.Batch{Columns: orderColumns, Rows: []schema.Row{r}, Checkpoints: map[string]int64{"orders/1": 2}})
	})
	r := order(4, "ann", 2, baseTime)
	r[3] = "from a (older version)"
	ares = mustWrite(t, a2, hudi.Batch{Columns: orderColumns, Rows: []schema.Row{r, order(5, "ann", 1, baseTime)}, Checkpoints: map[string]int64{"orders/0": 3}})
	m.SetHook(nil)
	if ares.Attempts != 2 {
		t.Errorf("a = %+v, want a second attempt after the conflicting commit", ares)
	}
	rows := rowsByKey(t, a2)
	if len(rows) != 5 {
		t.Errorf("%d rows, want 5: %v", len(rows), sortedKeys(rows))
	}
	if got := rows["ann|o-00004"]["status"]; got != "from b" {
		t.Errorf("o-00004 status = %v, want b's (higher precombine value)", got)
	}
	cp, err := a2.Checkpoints(t.Context())
	if err != nil || !maps.Equal(cp, map[string]int64{"orders/0": 3, "orders/1": 2}) {
		t.Errorf("Checkpoints = %v, %v", cp, err)
	}
	assertNoLeftovers(t, m, "lake/orders")
}
