package maxcompute_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/sink"
	"github.com/fcsync/fcsync/shared/sink/maxcompute"
	"github.com/fcsync/fcsync/shared/sink/maxcompute/mctest"
	"github.com/fcsync/fcsync/shared/sink/sinktest"
)

var errCrash = errors.New("crash")

// workload is one window: rows for its own partition and late rows for another, enough for
// several blocks each (the sink uploads a block every 2 rows here).
type workload struct {
	spec sink.SessionSpec
	rows []sinktest.Row
}

func crashWorkload(mode sink.Mode) workload {
	w := workload{spec: sink.SessionSpec{Table: ordersTable, Segment: "orders@20221122T1000Z", Owned: part("ds=10"), Mode: mode}}
	for i := range 5 {
		w.rows = append(w.rows, sinktest.Row{Partition: "ds=10", Values: schema.Row{int64(i), fmt.Sprintf("own %d", i)}})
		if i < 3 {
			w.rows = append(w.rows, sinktest.Row{Partition: "ds=09", Values: schema.Row{int64(100 + i), fmt.Sprintf("late %d", i)}})
		}
	}
	return w
}

// run plays the workload as one writer process: Begin, every row, Commit. A crash is an error
// from any step; the writer stops there without Abort, as a killed process would.
func (w workload) run(ctx context.Context, s *maxcompute.Sink) (*maxcompute.Session, error) {
	ss, err := s.Begin(ctx, w.spec)
	if err != nil {
		return nil, err
	}
	sess := ss.(*maxcompute.Session)
	for _, r := range w.rows {
		if err := sess.Write(ctx, part(r.Partition), r.Values); err != nil {
			return sess, err
		}
	}
	return sess, sess.Commit(ctx)
}

// expect checks every partition of the workload holds its rows exactly once.
func (w workload) expect(t *testing.T, e *env) {
	t.Helper()
	want := map[string][]string{}
	for _, r := range w.rows {
		want[r.Partition] = append(want[r.Partition], fmt.Sprint(r.Values))
	}
	for p, rows := range want {
		var got []string
		for _, r := range e.rows("orders", p) {
			got = append(got, fmt.Sprint(r))
		}
		sort.Strings(got)
		sort.Strings(rows)
		if fmt.Sprint(got) != fmt.Sprint(rows) {
			t.Errorf("partition %s holds %v, want each of %v once", p, got, rows)
		}
	}
}

// hooks counts every request to the server and every state store operation as one event and
// can crash the writer at event k: the context is canceled and the event fails, before it
// takes effect or (after) once it has.
type hooks struct {
	n     atomic.Int64
	crash int64
	after bool
	stop  context.CancelFunc
	store *objstore.Memory
}

func (h *hooks) install(e *env) {
	h.store = e.store
	e.srv.SetHook(func(op mctest.Op) *mctest.Fault {
		if h.n.Add(1) != h.crash {
			return nil
		}
		h.stop()
		if h.after {
			return &mctest.Fault{Kind: mctest.FaultReplyLost}
		}
		return &mctest.Fault{Kind: mctest.FaultCut}
	})
	e.store.SetHook(func(ctx context.Context, op objstore.Op, key string) error {
		if h.n.Add(1) != h.crash {
			return nil
		}
		h.stop()
		if h.after {
			h.store.FailNextAfter(op, errCrash)
			return nil
		}
		return errCrash
	})
}

func (h *hooks) remove(e *env) {
	e.srv.SetHook(nil)
	e.store.SetHook(nil)
}

func TestCrashAtEveryStepLeavesEachRowOnceAfterTheRerun(t *testing.T) {
	for _, mode := range []sink.Mode{sink.Append, sink.Overwrite} {
		w := crashWorkload(mode)
		// A clean run counts the steps: every request and every state operation.
		e := newEnv(t)
		h := &hooks{stop: func() {}}
		h.install(e)
		if _, err := w.run(context.Background(), e.sink(maxcompute.WithBlockRows(2))); err != nil {
			t.Fatal(err)
		}
		steps := h.n.Load()
		if steps < 20 {
			t.Fatalf("a clean run made %d requests and state operations; the workload is too small", steps)
		}
		for k := int64(1); k <= steps; k++ {
			for _, after := range []bool{false, true} {
				name := fmt.Sprintf("mode=%d/step=%02d/%s", mode, k, map[bool]string{false: "before", true: "after"}[after])
				t.Run(name, func(t *testing.T) {
					e := newEnv(t)
					ctx, cancel := context.WithCancel(context.Background())
					defer cancel()
					h := &hooks{crash: k, after: after, stop: cancel}
					h.install(e)
					_, err := w.run(ctx, e.sink(maxcompute.WithBlockRows(2)))
					if err == nil && h.n.Load() >= k && !after {
						t.Fatalf("the writer did not notice the crash at step %d", k)
					}
					h.remove(e)
					// The rerun: a new process, the same segment and rows.
					sess, err := w.run(context.Background(), e.sink(maxcompute.WithBlockRows(2)))
					if err != nil {
						t.Fatalf("rerun: %v", err)
					}
					w.expect(t, e)
					for _, pr := range sess.Report().Partitions {
						if pr.Outcome != maxcompute.OutcomeCommitted && pr.Outcome != maxcompute.OutcomeAlreadyCommitted {
							t.Errorf("rerun left partition %s %s", pr.Partition, pr.Outcome)
						}
					}
					// And another rerun changes nothing.
					if _, err := w.run(context.Background(), e.sink(maxcompute.WithBlockRows(2))); err != nil {
						t.Fatalf("second rerun: %v", err)
					}
					w.expect(t, e)
				})
			}
		}
	}
}

func TestAWriterPausedBeforeItsCommitIsRolledForwardByTheRerun(t *testing.T) {
	e := newEnv(t)
	w := crashWorkload(sink.Append)
	paused, resume := make(chan struct{}), make(chan struct{})
	var commits atomic.Int64
	e.srv.SetHook(func(op mctest.Op) *mctest.Fault {
		if op == mctest.OpUploadCommit && commits.Add(1) == 1 {
			close(paused)
			<-resume // the first writer's first commit waits until the second writer is done
		}
		return nil
	})
	var first *maxcompute.Session
	var firstErr error
	var wg sync.WaitGroup
	// One partition at a time, so the first commit request is the first partition's (ds=09).
	wg.Go(func() {
		first, firstErr = w.run(context.Background(), e.sink(maxcompute.WithBlockRows(2), maxcompute.WithCommitConcurrency(1)))
	})
	<-paused
	second, err := w.run(context.Background(), e.sink(maxcompute.WithBlockRows(2)))
	if err != nil {
		t.Fatalf("second writer: %v", err)
	}
	close(resume)
	wg.Wait()
	if firstErr != nil {
		t.Fatalf("first writer: %v", firstErr)
	}
	w.expect(t, e)
	// The first writer was paused committing its first partition (ds=09): the second found
	// its pending upload, committed it and discarded its own rows for that partition.
	for _, pr := range second.Report().Partitions {
		if pr.Partition != "ds=09" {
			continue
		}
		if pr.RolledForward == "" || pr.Outcome != maxcompute.OutcomeAlreadyCommitted {
			t.Errorf("second writer: partition ds=09 %s, rolled forward %q; want the first writer's upload rolled forward", pr.Outcome, pr.RolledForward)
		}
	}
	for _, pr := range first.Report().Partitions {
		if pr.Outcome != maxcompute.OutcomeCommitted && pr.Outcome != maxcompute.OutcomeAlreadyCommitted {
			t.Errorf("first writer: partition %s %s", pr.Partition, pr.Outcome)
		}
	}
}

func TestConcurrentWritersOfOneSegmentCommitEachRowOnce(t *testing.T) {
	for _, mode := range []sink.Mode{sink.Append, sink.Overwrite} {
		t.Run(fmt.Sprint("mode=", mode), func(t *testing.T) {
			e := newEnv(t)
			w := crashWorkload(mode)
			var wg sync.WaitGroup
			errs := make([]error, 4)
			for i := range errs {
				wg.Go(func() { _, errs[i] = w.run(context.Background(), e.sink(maxcompute.WithBlockRows(2))) })
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("writer %d: %v", i, err)
				}
			}
			w.expect(t, e)
		})
	}
}
