package hudi_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fcsync/fcsync/shared/lake/hudi"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schema"
)

// lateStore holds back one commit log write (reporting a transient error, as a timed-out PUT
// whose request is still in flight) and lands it when land() is called.
type lateStore struct {
	objstore.Store
	mu       sync.Mutex
	armed    bool
	onCreate func()
	heldKey  string
	heldBody []byte
	onDelete func(key string)
}

func (s *lateStore) CreateIfAbsent(ctx context.Context, key string, data []byte) error {
	s.mu.Lock()
	if s.armed && strings.Contains(key, "/state/commits/") {
		s.armed = false
		s.heldKey, s.heldBody = key, append([]byte(nil), data...)
		f := s.onCreate
		s.mu.Unlock()
		if f != nil {
			f()
		}
		return errors.New("timeout: response lost")
	}
	s.mu.Unlock()
	return s.Store.CreateIfAbsent(ctx, key, data)
}

func (s *lateStore) Delete(ctx context.Context, key string) error {
	err := s.Store.Delete(ctx, key)
	s.mu.Lock()
	f := s.onDelete
	s.mu.Unlock()
	if f != nil {
		f(key)
	}
	return err
}

func (s *lateStore) land(ctx context.Context) error {
	s.mu.Lock()
	k, b := s.heldKey, s.heldBody
	s.heldKey = ""
	s.mu.Unlock()
	if k == "" {
		return nil
	}
	return s.Store.CreateIfAbsent(ctx, k, b)
}

// TestAStaleAttemptWhoseCommitMayStillLandKeepsItsFiles: a commit log write whose outcome is
// unknown (a timed-out request still in flight) is never followed by deleting the attempt's
// files, even when the attempt turns stale between the log's retries: if the write lands, the
// commit is decided and its rows must be there.
func TestAStaleAttemptWhoseCommitMayStillLandKeepsItsFiles(t *testing.T) {
	ctx := t.Context()
	mem := objstore.NewMemory()
	ls := &lateStore{Store: mem}
	jc := newJumpClock()
	tbl := mustCreate(t, ls, "t", ordersConfig(hudi.Partitioning{}), hudi.WithClock(jc.Now), hudi.WithIDs(fakeIDs()))
	mustWrite(t, tbl, hudi.Batch{Columns: orderColumns, Rows: []schema.Row{order(1, "a", 1, baseTime)}, Checkpoints: map[string]int64{"p/0": 1}})

	ls.mu.Lock()
	ls.armed = true
	ls.onCreate = func() { jc.Jump(archiveGraceJump) } // the request hangs while time passes
	var oldInstant string
	ls.onDelete = func(key string) {
		// the abandoned attempt's cleanup has run: now the held write lands
		if strings.HasSuffix(key, ".commit.requested") && oldInstant == "" {
			oldInstant = key
			if err := ls.land(context.Background()); err != nil {
				t.Errorf("land: %v", err)
			}
		}
	}
	ls.mu.Unlock()
	res, err := tbl.Write(ctx, hudi.Batch{Columns: orderColumns, Rows: []schema.Row{order(2, "b", 1, baseTime)}, Checkpoints: map[string]int64{"p/0": 2}})
	t.Logf("write: %+v err=%v rolled back=%s", res, err, oldInstant)
	ls.mu.Lock()
	ls.onDelete = nil
	ls.mu.Unlock()
	if err == nil {
		t.Fatalf("the write succeeded (%+v) although its commit's outcome was unknown", res)
	}
	// The held write lands after the writer gave up: the commit is decided.
	if err := ls.land(ctx); err != nil {
		t.Fatal(err)
	}

	r, err := hudi.Open(ctx, mem, "t")
	if err != nil {
		t.Fatal(err)
	}
	snap, err := r.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := snap.Scan(ctx, func(hudi.Row) error { n++; return nil }); err != nil {
		t.Fatalf("a decided commit's base file was deleted: %v", err)
	}
	if n != 2 {
		t.Fatalf("rows = %d, want 2", n)
	}
}

// TestALateRepublishedArchivedCommitHidesNoOtherArchivedCommit: a .commit of an archived commit
// that reappears in the active timeline (its writer stalled between deciding and publishing)
// does not hide the commits archived after it from fcsync's own Snapshot.
func TestALateRepublishedArchivedCommitHidesNoOtherArchivedCommit(t *testing.T) {
	ctx := t.Context()
	mem := objstore.NewMemory()
	jc := newJumpClock()
	cfg := ordersConfig(hudi.Partitioning{Fields: []string{"user_name"}})
	tbl := mustCreate(t, mem, "t", cfg, hudi.WithClock(jc.Now), hudi.WithIDs(fakeIDs()),
		hudi.WithAutoArchive(true), hudi.WithCleanRetained(1), hudi.WithArchiveKeep(2, 4))
	for i := range 12 {
		mustWrite(t, tbl, hudi.Batch{Columns: orderColumns, Rows: []schema.Row{order(i, "u"+string(rune('a'+i)), 1, baseTime)}})
		jc.Jump(archiveGraceJump)
	}
	archived := archivedCommits(t, mem, "t")
	if len(archived) < 3 {
		t.Fatalf("archived %v", archived)
	}
	before := countAll(t, mem, "t")
	// the stalled writer of the first archived commit publishes it now
	first := archived[0]
	data := []byte(`{"partitionToWriteStats":{},"compacted":false,"extraMetadata":{},"operationType":"UPSERT"}`)
	if err := mem.CreateIfAbsent(ctx, "t/.hoodie/"+first+".commit", data); err != nil {
		t.Fatal(err)
	}
	after := countAll(t, mem, "t")
	if after != before {
		t.Fatalf("snapshot rows %d before the late .commit, %d after", before, after)
	}
}

// countAll counts the snapshot rows of the table at root.
func countAll(t *testing.T, s objstore.Store, root string) int {
	t.Helper()
	return countRows(t, s, root, nil)
}

// TestAColdSnapshotLooksForTheNewestArchiveOnce: a cold Snapshot of a table whose file groups
// newest versions were archived looks for the newest archive version once, not once per
// archived instant: it lists at most once per archive file, plus a few listings of its own.
func TestAColdSnapshotLooksForTheNewestArchiveOnce(t *testing.T) {
	for _, n := range []int{20, 80} {
		mem := objstore.NewMemory()
		jc := newJumpClock()
		opts := []hudi.Option{hudi.WithClock(jc.Now), hudi.WithIDs(fakeIDs()), hudi.WithFileSizes(1<<20, 0),
			hudi.WithAutoArchive(true), hudi.WithCleanRetained(1), hudi.WithArchiveKeep(2, 4)}
		tbl := mustCreate(t, mem, "t", ordersConfig(hudi.Partitioning{}), opts...)
		for i := range n {
			mustWrite(t, tbl, hudi.Batch{Columns: orderColumns, Rows: []schema.Row{order(i, "u", 1, baseTime)}})
			jc.Jump(archiveGraceJump)
		}
		recs, err := hudi.ReadArchivedTimeline(t.Context(), mem, "t")
		if err != nil {
			t.Fatal(err)
		}
		files := map[string]bool{}
		for _, r := range recs {
			files[r.File] = true
		}
		var lists atomic.Int64
		mem.SetHook(func(_ context.Context, op objstore.Op, _ string) error {
			if op == objstore.OpList {
				lists.Add(1)
			}
			return nil
		})
		if got := countAll(t, mem, "t"); got != n { // a cold Table's snapshot
			t.Fatalf("%d commits: snapshot has %d rows", n, got)
		}
		mem.SetHook(nil)
		if got, most := lists.Load(), int64(len(files)+10); got > most {
			t.Errorf("%d commits, %d archive files: a cold snapshot listed %d times, want at most %d", n, len(files), got, most)
		}
	}
}
