package window_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/sink"
	"github.com/fcsync/fcsync/shared/state"
	"github.com/fcsync/fcsync/shared/window"
)

var errCrash = errors.New("injected crash")

// failingSink's sessions fail every Write after the first `after` rows.
type failingSink struct {
	sink.Sink
	after int
}

func (f *failingSink) Begin(ctx context.Context, spec sink.SessionSpec) (sink.Session, error) {
	s, err := f.Sink.Begin(ctx, spec)
	if err != nil {
		return nil, err
	}
	return &failingSession{Session: s, left: f.after}, nil
}

type failingSession struct {
	sink.Session
	mu   sync.Mutex
	left int
}

func (s *failingSession) Write(ctx context.Context, p schema.Partition, row schema.Row) error {
	s.mu.Lock()
	fail := s.left == 0
	s.left--
	s.mu.Unlock()
	if fail {
		return errCrash
	}
	return s.Session.Write(ctx, p, row)
}

// failStateAfterSinkCommit makes every op on state objects fail once the window's sink committed.
func failStateAfterSinkCommit(h *harness, store *objstore.Memory, op objstore.Op) {
	var armed atomic.Bool
	store.SetHook(func(_ context.Context, o objstore.Op, key string) error {
		if armed.Load() && o == op && strings.HasPrefix(key, state.Prefix) {
			return errCrash
		}
		return nil
	})
	h.hooks = &window.Hooks{AfterSinkCommit: func() error { armed.Store(true); return nil }}
}

func TestRerunAfterACrashLosesAndDuplicatesNothing(t *testing.T) {
	cases := []struct {
		name string
		// arm sets the fault up on a fresh harness.
		arm func(h *harness, store *objstore.Memory)
		// wantRunErr: the faulty run fails; visible: its rows are visible after it.
		wantRunErr, visible bool
		// wantErr is what the faulty run's error wraps (default errCrash).
		wantErr error
	}{
		{
			name: "crash between sink commit and state commit",
			arm: func(h *harness, _ *objstore.Memory) {
				h.hooks = &window.Hooks{AfterSinkCommit: func() error { return errCrash }}
			},
			wantRunErr: true, visible: true,
		},
		{
			name: "crash after plan",
			arm: func(h *harness, _ *objstore.Memory) {
				h.hooks = &window.Hooks{AfterPlan: func() error { return errCrash }}
			},
			wantRunErr: true, visible: false,
		},
		{
			name:       "state store unreachable at the committing update",
			arm:        func(h *harness, store *objstore.Memory) { failStateAfterSinkCommit(h, store, objstore.OpList) },
			wantRunErr: true, visible: true,
		},
		{
			name: "state store rejects the committing write",
			arm: func(h *harness, store *objstore.Memory) {
				failStateAfterSinkCommit(h, store, objstore.OpCreateIfAbsent)
			},
			wantRunErr: true, visible: true, wantErr: state.ErrTooManyAttempts,
		},
		{
			name: "state store loses the response of the committing update",
			arm: func(h *harness, store *objstore.Memory) {
				h.hooks = &window.Hooks{AfterSinkCommit: func() error {
					store.FailNextAfter(objstore.OpCreateIfAbsent, errCrash)
					return nil
				}}
			},
			wantRunErr: false, visible: true,
		},
		{
			name: "dirty-data store fails after the sink commit",
			arm: func(h *harness, store *objstore.Memory) {
				// No dirty data: the window deletes a previous attempt's dirty object.
				h.hooks = &window.Hooks{AfterSinkCommit: func() error { store.FailNext(objstore.OpDelete, errCrash); return nil }}
			},
			wantRunErr: true, visible: true,
		},
		{
			name:       "sink fails mid-write",
			arm:        func(h *harness, _ *objstore.Memory) { h.sink = &failingSink{Sink: h.wh, after: 3} },
			wantRunErr: true, visible: false,
		},
	}
	for _, tc := range cases {
		for _, truncate := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/truncate=%v", tc.name, truncate), func(t *testing.T) {
				c := newCluster(t, 3)
				win1 := []*kgo.Record{
					order(0, "a", at(9, 57, 0), 1), order(1, "b", at(9, 58, 0), 2), order(2, "c", at(9, 59, 0), 3),
					order(0, "d", at(10, 0, 0), 4), order(1, "e", at(10, 1, 0), 5), order(2, "f", at(10, 1, 59), 6),
				}
				win2 := []*kgo.Record{order(0, "g", at(10, 2, 0), 7), order(1, "h", at(10, 5, 0), 8)}
				c.produce(t, append(win1, win2...)...)
				store := objstore.NewMemory()
				h := newHarness(t, c, store, loadJob(t, set("writer.truncate", truncate)))
				tc.arm(h, store)

				_, err := h.run(tick(10, 5))
				wantErr := tc.wantErr
				if wantErr == nil {
					wantErr = errCrash
				}
				switch {
				case tc.wantRunErr && !errors.Is(err, wantErr):
					t.Fatalf("faulty run: error %v, want one wrapping %v", err, wantErr)
				case !tc.wantRunErr && err != nil:
					t.Fatalf("faulty run: %v", err)
				}
				store.SetHook(nil) // the store is back
				wantStatus := window.StatusPlanned
				if !tc.wantRunErr {
					wantStatus = window.StatusCommitted
				}
				if st := h.status(tick(10, 5)); st != wantStatus {
					t.Errorf("after the faulty run the ledger says %q, want %q", st, wantStatus)
				}
				if rows := h.rows(); tc.visible {
					exactlyOnce(t, rows, ids(win1))
				} else if len(rows) != 0 {
					t.Errorf("after the faulty run %d rows are visible, want none: %v", len(rows), rows)
				}

				// Repaired: the rerun finishes the window.
				h.hooks, h.sink = nil, nil
				rep := h.mustRun(tick(10, 5))
				if !rep.Rerun || rep.Written != int64(len(win1)) {
					t.Errorf("rerun: rerun %v written %d, want true and %d", rep.Rerun, rep.Written, len(win1))
				}
				exactlyOnce(t, h.rows(), ids(win1))
				l := h.ledger()
				if len(l.Windows) != 1 || l.Windows[0].Status != window.StatusCommitted || l.Windows[0].Counts == nil || l.Windows[0].Counts.Written != int64(len(win1)) {
					t.Errorf("ledger after the rerun: %+v, want one committed window with %d written", l, len(win1))
				}

				// The next window starts where the planned one ended.
				h.mustRun(tick(10, 10))
				rows := h.rows()
				exactlyOnce(t, rows, append(ids(win1), ids(win2)...))
				if p := byPartition(rows)["h"]; p != "ds=202211221002" {
					t.Errorf("order h in %s, want ds=202211221002", p)
				}
			})
		}
	}
}
