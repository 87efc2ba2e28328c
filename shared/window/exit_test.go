package window_test

import (
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/kafka"
)

// TestExitStrategyDecidesWhereAnOffsetWindowEnds: with an explicit endOffset beyond the data,
// stopWhenPollEmpty waits (up to waitTime) for the rest to arrive; without it the window ends at
// the data there is. Either way the window commits exactly what it planned.
func TestExitStrategyDecidesWhereAnOffsetWindowEnds(t *testing.T) {
	all := func(end int64) map[int32]kafka.Range {
		return map[int32]kafka.Range{0: span(0, end), 1: span(0, end), 2: span(0, end)}
	}
	cases := []struct {
		name  string
		edits []edit
		// lateArrivals are produced while the window runs (spread("b", 3): offsets 5..7).
		lateArrivals bool
		want         map[int32]kafka.Range
	}{
		{
			name:  "stopWhenReachEndOffset ends at the data there is",
			edits: append(offsetJob("seekToBeginning"), set("reader.endOffset", 8)),
			want:  all(5),
		},
		{
			name: "stopWhenPollEmpty waits for records up to the end offset",
			edits: append(offsetJob("seekToBeginning"), set("reader.endOffset", 8),
				set("reader.stopWhenPollEmpty", true), set("reader.waitTime", 60)),
			lateArrivals: true,
			want:         all(8),
		},
		{
			name: "stopWhenPollEmpty gives up after waitTime without new records",
			edits: append(offsetJob("seekToBeginning"), set("reader.endOffset", 8),
				set("reader.stopWhenPollEmpty", true), set("reader.waitTime", 1)),
			want: all(5),
		},
		{
			name: "stopWhenPollEmpty with the end already reached does not wait for more",
			edits: append(offsetJob("seekToBeginning"), set("reader.endOffset", 4),
				set("reader.stopWhenPollEmpty", true), set("reader.waitTime", 3600)),
			want: all(4),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, 3)
			a := spread("a", 5)
			c.produce(t, a...)
			h := newHarness(t, c, nil, loadJob(t, tc.edits...))
			done := make(chan struct{})
			if tc.lateArrivals {
				go func() {
					defer close(done)
					time.Sleep(300 * time.Millisecond) // lets the window start waiting; the result does not depend on it
					c.produce(t, spread("b", 3)...)
				}()
			} else {
				close(done)
			}
			rep := h.mustRun(tick(10, 5))
			<-done
			if rangesOf(rep.Ranges) != rangesOf(tc.want) {
				t.Fatalf("ranges %v, want %v", rep.Ranges, tc.want)
			}
			var want []string
			for _, r := range append(a, spread("b", 3)...) {
				part, off := offsetOf(string(r.Key))
				if off < tc.want[part].End {
					want = append(want, string(r.Key))
				}
			}
			exactlyOnce(t, h.rows(), want)
		})
	}
}
