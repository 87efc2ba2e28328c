package hudi_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/lake/hudi"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schema"
)

// workload writes batches into an orders table partitioned by user: every batch updates a few
// stored orders (rewriting their file groups) and adds new ones. It keeps the expected table
// and the base files of the snapshot after each commit.
type workload struct {
	tbl     *hudi.Table
	store   objstore.Store
	root    string
	pcg     *rand.PCG
	rnd     *rand.Rand
	next    int               // next new order id
	want    map[string]string // order_id -> status
	version map[string]int64
	snaps   [][]string // the snapshot's base files after each commit
	written int        // base files written
	cleaned int        // base files the cleans after the commits deleted
	pending hudi.Batch // a batch whose commit a test interrupted
	noSnaps bool       // do not record snapshots
	clk     *jumpClock // the clock, moved past the archive grace period before each commit
}

var workloadUsers = []string{"ann", "bob", "cy"}

func newWorkload(t *testing.T, s objstore.Store, opts ...hudi.Option) *workload {
	t.Helper()
	cfg := ordersConfig(hudi.Partitioning{Fields: []string{"user_name"}})
	clk := newJumpClock()
	opts = append([]hudi.Option{hudi.WithFileSizes(4<<10, 3<<10), hudi.WithClock(clk.Now)}, opts...)
	pcg := rand.NewPCG(1, 2)
	return &workload{tbl: mustCreate(t, s, "lake/orders", cfg, opts...), store: s, root: "lake/orders",
		pcg: pcg, rnd: rand.New(pcg), next: 1, want: map[string]string{}, version: map[string]int64{}, clk: clk}
}

// clone copies the workload and its table onto a new memory store, opened with opts, for
// tests that replay one starting point many times.
func (w *workload) clone(t *testing.T, opts ...hudi.Option) (*objstore.Memory, *workload) {
	t.Helper()
	m := objstore.NewMemory()
	for _, k := range listAll(t, w.store, "") {
		data, err := w.store.Get(t.Context(), k)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Put(t.Context(), k, data); err != nil {
			t.Fatal(err)
		}
	}
	c := *w
	pcg := *w.pcg
	c.store, c.pcg, c.rnd = m, &pcg, rand.New(&pcg)
	c.want, c.version, c.snaps = maps.Clone(w.want), maps.Clone(w.version), slices.Clone(w.snaps)
	tbl, err := hudi.Open(t.Context(), m, w.root, append([]hudi.Option{hudi.WithClock(w.clk.Now)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	c.tbl = tbl
	return m, &c
}

// batch builds the next batch: n new orders and up to upd updates of stored ones.
func (w *workload) batch(n, upd int) hudi.Batch {
	var rows []schema.Row
	ids := sortedKeys(w.want)
	for i := 0; i < upd && len(ids) > 0; i++ {
		id := ids[w.rnd.IntN(len(ids))]
		var num int
		fmt.Sscanf(id, "o-%d", &num)
		w.version[id]++
		r := order(num, workloadUsers[num%len(workloadUsers)], w.version[id], baseTime)
		r[3] = fmt.Sprintf("v%d", w.version[id])
		w.want[id] = r[3].(string)
		rows = append(rows, r)
	}
	for range n {
		id := w.next
		w.next++
		r := order(id, workloadUsers[id%len(workloadUsers)], 1, baseTime)
		key := fmt.Sprintf("o-%05d", id)
		w.want[key], w.version[key] = "new", 1
		rows = append(rows, r)
	}
	return hudi.Batch{Columns: orderColumns, Rows: rows}
}

// commit writes a batch and records the snapshot it leads to.
func (w *workload) commit(t *testing.T, b hudi.Batch) hudi.Result {
	t.Helper()
	w.clk.Jump(archiveGraceJump)
	res := mustWrite(t, w.tbl, b)
	w.written += res.Files
	w.cleaned += res.Cleaned
	if w.noSnaps {
		return res
	}
	snap, err := w.tbl.Snapshot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	w.snaps = append(w.snaps, snap.Files())
	return res
}

// retainedFiles are the base files some snapshot of the last n commits reads.
func (w *workload) retainedFiles(n int) []string {
	set := map[string]bool{}
	for _, files := range w.snaps[max(0, len(w.snaps)-n):] {
		for _, f := range files {
			set[f] = true
		}
	}
	return sortedKeys(set)
}

// baseFiles lists the base files on the store, relative to the table root.
func (w *workload) baseFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, k := range listAll(t, w.store, w.root+"/") {
		if strings.HasSuffix(k, ".parquet") {
			out = append(out, strings.TrimPrefix(k, w.root+"/"))
		}
	}
	slices.Sort(out)
	return out
}

// check reads the table as a new process would and compares it with the expected rows.
func (w *workload) check(t *testing.T) {
	t.Helper()
	tbl, err := hudi.Open(t.Context(), w.store, w.root)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rowsByKey(t, tbl) {
		got[r["order_id"].(string)] = r["status"].(string)
	}
	if !maps.Equal(got, w.want) {
		t.Errorf("table has %d orders, want %d; differences: %v", len(got), len(w.want), mapDiff(got, w.want))
	}
}

func mapDiff(got, want map[string]string) []string {
	var out []string
	for k, v := range want {
		if got[k] != v {
			out = append(out, fmt.Sprintf("%s=%q want %q", k, got[k], v))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			out = append(out, k+" unexpected")
		}
	}
	slices.Sort(out)
	if len(out) > 10 {
		out = append(out[:10], "...")
	}
	return out
}

// cleanInstants returns the instants of completed cleans, and fails the test for a clean
// that lacks its .clean.requested or .clean.inflight.
func cleanInstants(t *testing.T, s objstore.Store, root string) []string {
	t.Helper()
	files := map[string]bool{}
	for _, k := range listAll(t, s, root+"/.hoodie/") {
		files[path.Base(k)] = true
	}
	var out []string
	for name := range files {
		if instant, ok := strings.CutSuffix(name, ".clean"); ok {
			out = append(out, instant)
			if !files[instant+".clean.requested"] || !files[instant+".clean.inflight"] {
				t.Errorf("clean %s lacks its requested or inflight file", instant)
			}
		}
	}
	slices.Sort(out)
	return out
}

func TestCleaningAfterEveryCommitKeepsExactlyTheRetainedSlices(t *testing.T) {
	for _, retained := range []int{10, 1} {
		t.Run(fmt.Sprintf("retained=%d", retained), func(t *testing.T) {
			each := forEachStore
			if retained != 10 {
				// The directory store only once: it syncs every file.
				each = func(t *testing.T, fn func(t *testing.T, s objstore.Store)) { fn(t, objstore.NewMemory()) }
			}
			each(t, func(t *testing.T, s objstore.Store) {
				var opts []hudi.Option
				if retained != 10 {
					opts = append(opts, hudi.WithCleanRetained(retained)) // 10 is the default
				}
				w := newWorkload(t, s, opts...)
				for i := range 30 {
					w.commit(t, w.batch(8, 6))
					if got, want := w.baseFiles(t), w.retainedFiles(retained); !slices.Equal(got, want) {
						t.Fatalf("after commit %d the store holds %d base files, want the %d the last %d snapshots read:\ngot  %q\nwant %q",
							i+1, len(got), len(want), retained, got, want)
					}
				}
				w.check(t)
				remaining := len(w.baseFiles(t))
				if w.written-remaining != w.cleaned || w.cleaned == 0 {
					t.Errorf("wrote %d base files, %d remain, the cleans reported %d deleted", w.written, remaining, w.cleaned)
				}
				if n := len(cleanInstants(t, s, w.root)); n == 0 || n > 30-retained {
					t.Errorf("%d clean instants", n)
				}
				assertNoLeftovers(t, s, w.root)
			})
		})
	}
}

func TestCleanOnDemandCatchesUpAndThenHasNothingToDo(t *testing.T) {
	m := objstore.NewMemory()
	w := newWorkload(t, m, hudi.WithAutoClean(false), hudi.WithCleanRetained(3))
	for range 12 {
		if res := w.commit(t, w.batch(5, 5)); res.Cleaned != 0 {
			t.Fatalf("a write cleaned with automatic cleaning off: %+v", res)
		}
	}
	if got := len(w.baseFiles(t)); got != w.written {
		t.Fatalf("%d base files before cleaning, %d written", got, w.written)
	}
	res, err := w.tbl.Clean(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := w.baseFiles(t), w.retainedFiles(3); !slices.Equal(got, want) {
		t.Errorf("after Clean: %d base files, want %d", len(got), len(want))
	}
	if res.Instant == "" || res.Deleted != w.written-len(w.baseFiles(t)) || res.Retained != w.snapshotInstant(t, 10) {
		t.Errorf("Clean = %+v", res)
	}
	again, err := w.tbl.Clean(t.Context())
	if err != nil || again.Instant != "" || again.Deleted != 0 {
		t.Errorf("second Clean = %+v, %v; want nothing to do", again, err)
	}
	w.check(t)
}

// snapshotInstant is the instant of the n-th commit (1-based), read from its files' names.
func (w *workload) snapshotInstant(t *testing.T, n int) string {
	t.Helper()
	newest := ""
	for _, f := range w.snaps[n-1] {
		parts := strings.Split(strings.TrimSuffix(path.Base(f), ".parquet"), "_")
		newest = max(newest, parts[2])
	}
	return newest
}

func TestCleanOfATableWithFewCommitsOrReadOnlyDoesNothing(t *testing.T) {
	m := objstore.NewMemory()
	w := newWorkload(t, m)
	if res, err := w.tbl.Clean(t.Context()); err != nil || res.Instant != "" {
		t.Errorf("Clean of an empty table = %+v, %v", res, err)
	}
	for range 3 {
		w.commit(t, w.batch(3, 3))
	}
	if res, err := w.tbl.Clean(t.Context()); err != nil || res.Instant != "" || res.Deleted != 0 || res.Retained != "" {
		t.Errorf("Clean of a table with 3 commits = %+v, %v", res, err)
	}
	s, root := unzipTable(t, "v6_nonpartitioned")
	spark, err := hudi.Open(t.Context(), s, root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := spark.Clean(t.Context()); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("Clean of a Spark table = %v, want a read-only error", err)
	}
}

// crashingStore fails the k-th store operation and every later one, as a process that dies
// there; with landed, the k-th operation takes effect before its reply is lost.
func crashAt(m *objstore.Memory, k int, landed bool) (crashed *atomic.Bool, op *string) {
	var n atomic.Int32
	crashed = new(atomic.Bool)
	op = new(string)
	m.SetHook(func(_ context.Context, o objstore.Op, key string) error {
		if crashed.Load() {
			return errCrash
		}
		if int(n.Add(1)) == k {
			crashed.Store(true)
			*op = fmt.Sprintf("%s %s", o, key)
			if landed {
				m.FailNextAfter(o, errCrash)
				return nil
			}
			return errCrash
		}
		return nil
	})
	return crashed, op
}

func countStoreOps(m *objstore.Memory, fn func()) int {
	var n atomic.Int32
	m.SetHook(func(context.Context, objstore.Op, string) error { n.Add(1); return nil })
	fn()
	m.SetHook(nil)
	return int(n.Load())
}

// TestCrashAtAnyStepOfACleanLeavesAReadableTableAndTheNextCleanFinishes stops a clean at
// every store operation in turn (as a process that dies there), in Clean and in the clean after
// a Write. The table must read every row once right after the crash; a new process's Clean
// must then finish the job, leaving exactly the retained base files and complete clean
// instants; and the next commit leaves no pending instant behind.
func TestCrashAtAnyStepOfACleanLeavesAReadableTableAndTheNextCleanFinishes(t *testing.T) {
	const retained = 2
	opts := []hudi.Option{hudi.WithAutoClean(false), hudi.WithCleanRetained(retained), hudi.WithFileSizes(4<<10, 3<<10)}
	start := newWorkload(t, objstore.NewMemory(), opts...)
	for range 5 {
		start.commit(t, start.batch(6, 6))
	}
	setup := func(t *testing.T) (*objstore.Memory, *workload) {
		return start.clone(t, append(opts, hudi.WithClock(fakeClock()))...)
	}
	scenarios := []struct {
		name string
		run  func(t *testing.T, m *objstore.Memory, w *workload) error
	}{
		{"Clean", func(t *testing.T, m *objstore.Memory, w *workload) error {
			_, err := w.tbl.Clean(t.Context())
			return err
		}},
		{"Write then clean", func(t *testing.T, m *objstore.Memory, w *workload) error {
			w.pending = w.batch(4, 4)
			tbl, err := hudi.Open(t.Context(), m, w.root, hudi.WithCleanRetained(retained), hudi.WithFileSizes(4<<10, 3<<10), hudi.WithClock(fakeClock()))
			if err != nil {
				return err
			}
			_, err = tbl.Write(t.Context(), w.pending)
			return err
		}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			m, w := setup(t)
			total := countStoreOps(m, func() {
				if err := sc.run(t, m, w); err != nil {
					t.Fatal(err)
				}
			})
			if len(cleanInstants(t, m, w.root)) != 1 {
				t.Fatalf("the scenario did not clean")
			}
			for _, landed := range []bool{false, true} {
				for k := 1; k <= total; k++ {
					t.Run(fmt.Sprintf("landed=%v/op%d", landed, k), func(t *testing.T) {
						m, w := setup(t)
						crashed, op := crashAt(m, k, landed)
						err := sc.run(t, m, w)
						m.SetHook(nil)
						if !crashed.Load() {
							t.Fatalf("no crash at op %d (err %v)", k, err)
						}
						t.Logf("crash at %s: %v", *op, err)
						// Readable right away, with or without the batch (its commit may not
						// have been decided).
						if sc.name == "Clean" {
							w.check(t)
						}
						// A new process: the batch is delivered again, then cleaned.
						tbl, err := hudi.Open(t.Context(), m, w.root, hudi.WithCleanRetained(retained), hudi.WithAutoClean(false),
							hudi.WithFileSizes(4<<10, 3<<10), hudi.WithClock(fakeClock()))
						if err != nil {
							t.Fatal(err)
						}
						w.tbl = tbl
						if sc.name != "Clean" {
							w.commit(t, w.pending)
						}
						if _, err := tbl.Clean(t.Context()); err != nil {
							t.Fatalf("Clean after the crash: %v", err)
						}
						// The next commit retires what the crashed process had reserved.
						w.commit(t, w.batch(1, 0))
						if _, err := tbl.Clean(t.Context()); err != nil {
							t.Fatal(err)
						}
						if got, want := w.baseFiles(t), w.retainedFiles(retained); !slices.Equal(got, want) {
							t.Errorf("base files after the cleans:\ngot  %q\nwant %q", got, want)
						}
						w.check(t)
						cleanInstants(t, m, w.root)
						assertNoLeftovers(t, m, w.root)
					})
				}
			}
		})
	}
}

// TestAWriterWhoseBaseFileIsCleanedUnderItRedoesInsteadOfLosingRows lets another writer rewrite
// a file group and clean its old version (retaining one commit) just as this writer reads that
// version: while routing (a cold process reads the keys) and while copying the rows (a warm one
// has them cached). The writer must redo on top of the other commit and keep both updates.
func TestAWriterWhoseBaseFileIsCleanedUnderItRedoesInsteadOfLosingRows(t *testing.T) {
	for _, warm := range []bool{false, true} {
		t.Run(fmt.Sprintf("warm=%v", warm), func(t *testing.T) {
			m := objstore.NewMemory()
			cfg := ordersConfig(hudi.Partitioning{})
			opts := []hudi.Option{hudi.WithCleanRetained(1)}
			first := mustCreate(t, m, "lake/orders", cfg, opts...)
			mustWrite(t, first, hudi.Batch{Columns: orderColumns, Rows: []schema.Row{order(1, "ann", 1, baseTime), order(2, "bob", 1, baseTime)}})
			a := first
			if !warm {
				a = mustCreate(t, m, "lake/orders", cfg, append(opts, hudi.WithWriterID("a"))...)
			}
			b := mustCreate(t, m, "lake/orders", cfg, append(opts, hudi.WithWriterID("b"))...)
			snap, err := first.Snapshot(t.Context())
			if err != nil || len(snap.Files()) != 1 {
				t.Fatalf("snapshot files %v, %v", snap.Files(), err)
			}
			old := snap.Files()[0]
			var fired atomic.Bool
			m.SetHook(func(_ context.Context, op objstore.Op, key string) error {
				if op == objstore.OpGet && strings.HasSuffix(key, old) && fired.CompareAndSwap(false, true) {
					r := order(2, "bob", 5, baseTime)
					r[3] = "from b"
					res := mustWrite(t, b, hudi.Batch{Columns: orderColumns, Rows: []schema.Row{r}})
					if res.Cleaned != 1 {
						t.Errorf("b's write = %+v, want its clean to delete the old version", res)
					}
				}
				return nil
			})
			r := order(1, "ann", 2, baseTime)
			r[3] = "from a"
			res := mustWrite(t, a, hudi.Batch{Columns: orderColumns, Rows: []schema.Row{r}})
			m.SetHook(nil)
			if !fired.Load() || res.Attempts != 2 {
				t.Errorf("a's write = %+v (race fired %v), want a second attempt", res, fired.Load())
			}
			rows := rowsByKey(t, a)
			if rows["|o-00001"]["status"] != "from a" || rows["|o-00002"]["status"] != "from b" || len(rows) != 2 {
				t.Errorf("rows = %v", rows)
			}
			assertNoLeftovers(t, m, "lake/orders")
		})
	}
}

// TestConcurrentWritersAndCleanersLoseNoRow runs writers that clean after every commit,
// retaining a single commit, next to a process that cleans on demand, all on shared keys and
// file groups. Every write must succeed and every row survive.
func TestConcurrentWritersAndCleanersLoseNoRow(t *testing.T) {
	const writers, batches, own, shared = 4, 5, 6, 3
	forEachStore(t, func(t *testing.T, s objstore.Store) {
		cfg := ordersConfig(hudi.Partitioning{Fields: []string{"user_name"}})
		opts := []hudi.Option{hudi.WithCleanRetained(1), hudi.WithFileSizes(4<<10, 3<<10), hudi.WithMaxAttempts(100)}
		mustCreate(t, s, "lake/orders", cfg, opts...)
		var wg sync.WaitGroup
		var stop atomic.Bool
		var cleans atomic.Int32
		wg.Go(func() {
			tbl, err := hudi.Open(t.Context(), s, "lake/orders", append(opts, hudi.WithWriterID("cleaner"))...)
			if err != nil {
				t.Error(err)
				return
			}
			for i := 0; i < 200 && !stop.Load(); i++ {
				res, err := tbl.Clean(t.Context())
				if err != nil {
					t.Errorf("Clean: %v", err)
					return
				}
				if res.Instant != "" {
					cleans.Add(1)
				}
			}
		})
		var writes sync.WaitGroup
		for w := range writers {
			writes.Go(func() {
				tbl, err := hudi.Open(t.Context(), s, "lake/orders", append(opts, hudi.WithWriterID(fmt.Sprintf("writer-%d", w)))...)
				if err != nil {
					t.Error(err)
					return
				}
				for b := range batches {
					var rows []schema.Row
					for i := range own {
						rows = append(rows, order(w*1000+b*100+i, workloadUsers[i%2], 1, baseTime))
					}
					for i := range shared {
						r := order(900000+i, workloadUsers[i%2], int64(b*100+w), baseTime)
						r[3] = fmt.Sprintf("w%d-b%d", w, b)
						rows = append(rows, r)
					}
					src := fmt.Sprintf("orders/%d", w)
					batch := hudi.Batch{Columns: orderColumns, Rows: rows,
						Checkpoints: map[string]int64{src: int64((b + 1) * len(rows))}, From: map[string]int64{src: int64(b * len(rows))}}
					if _, err := tbl.Write(t.Context(), batch); err != nil {
						t.Errorf("writer %d batch %d: %v", w, b, err)
						return
					}
				}
			})
		}
		writes.Wait()
		stop.Store(true)
		wg.Wait()
		t.Logf("the cleaner cleaned %d times", cleans.Load())
		tbl, err := hudi.Open(t.Context(), s, "lake/orders", opts...)
		if err != nil {
			t.Fatal(err)
		}
		rows := rowsByKey(t, tbl)
		if want := writers*batches*own + shared; len(rows) != want {
			t.Errorf("%d records, want %d", len(rows), want)
		}
		for _, r := range rows {
			if id := r["order_id"].(string); id >= "o-900000" && r["status"] != fmt.Sprintf("w%d-b%d", writers-1, batches-1) {
				t.Errorf("shared record %s = status %v", id, r["status"])
			}
		}
		if _, err := tbl.Clean(t.Context()); err != nil {
			t.Fatal(err)
		}
		snap, err := tbl.Snapshot(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		var files []string
		for _, k := range listAll(t, s, "lake/orders/") {
			if strings.HasSuffix(k, ".parquet") {
				files = append(files, strings.TrimPrefix(k, "lake/orders/"))
			}
		}
		if !slices.Equal(files, snap.Files()) {
			t.Errorf("after a final clean retaining one commit the store holds %q, the snapshot reads %q", files, snap.Files())
		}
		cleanInstants(t, s, "lake/orders")
		assertNoLeftovers(t, s, "lake/orders")
	})
}

// instantActions maps every instant of the timeline to the kinds of its files ("commit" for
// .commit.requested, .inflight and .commit; "clean" for the three clean files).
func instantActions(t *testing.T, s objstore.Store, root string) map[string]map[string]bool {
	t.Helper()
	out := map[string]map[string]bool{}
	for _, k := range listAll(t, s, root+"/.hoodie/") {
		name := strings.TrimPrefix(k, root+"/.hoodie/")
		instant, action, ok := strings.Cut(name, ".")
		if !ok || strings.Contains(name, "/") || len(instant) != 17 {
			continue
		}
		kind := "commit"
		if strings.HasPrefix(action, "clean") {
			kind = "clean"
		}
		if out[instant] == nil {
			out[instant] = map[string]bool{}
		}
		out[instant][kind] = true
	}
	return out
}

func TestACleanNeverSharesItsInstantWithACommit(t *testing.T) {
	at := func(d time.Duration) func() time.Time { return func() time.Time { return baseTime.Add(d) } }
	for _, cleanFirst := range []bool{false, true} {
		t.Run(fmt.Sprintf("cleanFirst=%v", cleanFirst), func(t *testing.T) {
			m := objstore.NewMemory()
			w := newWorkload(t, m, hudi.WithAutoClean(false), hudi.WithCleanRetained(1), hudi.WithClock(at(0)))
			for range 3 {
				w.commit(t, w.batch(3, 3))
			}
			// Both clocks say the same millisecond, after every commit so far.
			cfg := ordersConfig(hudi.Partitioning{Fields: []string{"user_name"}})
			writer := mustCreate(t, m, w.root, cfg, hudi.WithAutoClean(false), hudi.WithClock(at(time.Hour)), hudi.WithWriterID("writer"))
			cleaner := mustCreate(t, m, w.root, cfg, hudi.WithCleanRetained(1), hudi.WithClock(at(time.Hour)), hudi.WithWriterID("cleaner"))
			var cres hudi.CleanResult
			clean := func() {
				var err error
				if cres, err = cleaner.Clean(t.Context()); err != nil || cres.Instant == "" {
					t.Errorf("Clean = %+v, %v", cres, err)
				}
			}
			if cleanFirst {
				clean()
			} else {
				raceWith(m, clean) // the clean runs while the commit's instant is reserved
			}
			res := mustWrite(t, writer, w.batch(2, 2))
			m.SetHook(nil)
			if res.Instant == cres.Instant {
				t.Errorf("the commit and the clean share instant %s", res.Instant)
			}
			for instant, kinds := range instantActions(t, m, w.root) {
				if kinds["commit"] && kinds["clean"] {
					t.Errorf("instant %s has commit and clean files", instant)
				}
			}
			w.tbl = writer
			w.check(t)
			assertNoLeftovers(t, m, w.root)
		})
	}
}

// TestCleanRetainingMoreCommitsThanTheLogListsReadsTheTimeline cleans, retaining 35 commits,
// a table whose commit log lists only the last 32 (its writer retained the default 10 and did
// not archive).
func TestCleanRetainingMoreCommitsThanTheLogListsReadsTheTimeline(t *testing.T) {
	m := objstore.NewMemory()
	w := newWorkload(t, m, hudi.WithAutoClean(false), hudi.WithAutoArchive(false))
	for range 40 {
		w.commit(t, w.batch(1, 3))
	}
	tbl, err := hudi.Open(t.Context(), m, w.root, hudi.WithCleanRetained(35))
	if err != nil {
		t.Fatal(err)
	}
	res, err := tbl.Clean(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.Retained != w.snapshotInstant(t, 6) || res.Deleted == 0 {
		t.Errorf("Clean = %+v, want commit 6 retained and files deleted", res)
	}
	if got, want := w.baseFiles(t), w.retainedFiles(35); !slices.Equal(got, want) {
		t.Errorf("%d base files, want %d", len(got), len(want))
	}
	w.check(t)
}

// An on-demand Clean deletes the old versions of file groups whatever archiving did: the base
// files of archived commits are committed too.
func TestCleanOnDemandDeletesOldVersionsOfArchivedCommits(t *testing.T) {
	left := map[bool]int{}
	for _, archive := range []bool{false, true} {
		m := objstore.NewMemory()
		w := newWorkload(t, m, hudi.WithAutoClean(false), hudi.WithAutoArchive(archive), hudi.WithCleanRetained(1), hudi.WithArchiveKeep(2, 4))
		w.noSnaps = true
		w.commit(t, w.batch(6, 0))
		for range 45 {
			w.commit(t, w.batch(0, 3))
		}
		if archived := len(archivedCommits(t, m, w.root)); (archived > 0) != archive {
			t.Fatalf("archive=%v: %d commits archived", archive, archived)
		}
		if _, err := w.tbl.Clean(t.Context()); err != nil {
			t.Fatal(err)
		}
		left[archive] = len(w.baseFiles(t))
		t.Logf("archive=%v: %d base files left", archive, left[archive])
		w.check(t)
	}
	if left[true] != left[false] {
		t.Errorf("Clean left %d base files after archiving, %d without", left[true], left[false])
	}
}
