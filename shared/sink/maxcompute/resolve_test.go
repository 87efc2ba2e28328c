package maxcompute_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/fcsync/fcsync/shared/sink"
	"github.com/fcsync/fcsync/shared/sink/maxcompute"
)

// TestCommittedTellsWhichPartitionsACrashedWriterReached crashes an Append writer at every
// request and state operation, before and after it takes effect, then asks Committed for each
// partition: the answer is whether the partition holds the segment's rows, and stays so.
func TestCommittedTellsWhichPartitionsACrashedWriterReached(t *testing.T) {
	w := crashWorkload(sink.Append)
	e := newEnv(t)
	h := &hooks{stop: func() {}}
	h.install(e)
	if _, err := w.run(context.Background(), e.sink(maxcompute.WithBlockRows(2))); err != nil {
		t.Fatal(err)
	}
	steps := h.n.Load()
	for k := int64(1); k <= steps; k++ {
		for _, after := range []bool{false, true} {
			t.Run(fmt.Sprintf("step=%02d/after=%v", k, after), func(t *testing.T) {
				e := newEnv(t)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				h := &hooks{crash: k, after: after, stop: cancel}
				h.install(e)
				_, _ = w.run(ctx, e.sink(maxcompute.WithBlockRows(2)))
				h.remove(e)
				s := e.sink()
				for _, p := range []string{"ds=09", "ds=10"} {
					for round := range 2 {
						got, err := s.Committed(context.Background(), "orders", w.spec.Segment, part(p))
						if err != nil {
							t.Fatal(err)
						}
						if has := len(rowsOrNone(e, p)) > 0; got != has {
							t.Fatalf("round %d: Committed(%s) = %v, the partition holds %d rows", round, p, got, len(rowsOrNone(e, p)))
						}
					}
				}
			})
		}
	}
}

func rowsOrNone(e *env, p string) []string {
	rows, err := e.srv.Rows(e.srv.Project(), "orders", p)
	if err != nil {
		return nil
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = fmt.Sprint(r)
	}
	return out
}

func TestCommittedOfAnAbsentTableOrSegmentIsFalse(t *testing.T) {
	e := newEnv(t)
	s := e.sink()
	ctx := context.Background()
	if got, err := s.Committed(ctx, "nope", "seg", part("ds=1")); err != nil || got {
		t.Fatalf("absent table: %v, %v", got, err)
	}
	w := crashWorkload(sink.Append)
	if _, err := w.run(ctx, s); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Committed(ctx, "orders", "another segment", part("ds=10")); err != nil || got {
		t.Fatalf("another segment: %v, %v", got, err)
	}
	if got, err := s.Committed(ctx, "ORDERS", w.spec.Segment, part("DS=10")); err != nil || !got {
		t.Fatalf("the segment, names in other case: %v, %v", got, err)
	}
	if _, err := s.Committed(ctx, "orders", w.spec.Segment, part("hh=10")); err == nil {
		t.Fatal("a partition of other columns is not an error")
	}
}
