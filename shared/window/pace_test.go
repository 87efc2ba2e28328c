package window

import (
	"context"
	"testing"
	"time"
)

// fakeClock advances only when the pacer sleeps, so the test sees exactly the waits asked for.
type fakeClock struct {
	t     time.Time
	slept []time.Duration
}

func (c *fakeClock) now() time.Time { return c.t }
func (c *fakeClock) sleep(_ context.Context, d time.Duration) {
	c.slept = append(c.slept, d)
	c.t = c.t.Add(d)
}

func TestPacerHoldsTheReadToTheConfiguredRate(t *testing.T) {
	type report struct {
		records int
		bytes   int64
	}
	cases := []struct {
		name            string
		bytesPS, recsPS float64
		worked          time.Duration
		reports         []report
		wantSleeps      []time.Duration
	}{
		{"no limit never waits", 0, 0, 0,
			[]report{{1000, 1 << 20}, {1000, 1 << 20}}, nil},
		{"100 records/s: 50 records at a time wait half a second each", 0, 100, 0,
			[]report{{50, 10}, {50, 10}, {50, 10}}, []time.Duration{500 * time.Millisecond, 500 * time.Millisecond, 500 * time.Millisecond}},
		{"1 MiB/s: 2 MiB waits two seconds", 1 << 20, 0, 0,
			[]report{{1, 2 << 20}}, []time.Duration{2 * time.Second}},
		{"the stricter of bytes and records wins", 1 << 20, 10, 0,
			[]report{{5, 1 << 10}, {1, 4 << 20}}, []time.Duration{500 * time.Millisecond, 3500 * time.Millisecond}},
		{"work slower than the rate is not slowed further", 0, 100, time.Second,
			[]report{{50, 0}, {50, 0}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clk := &fakeClock{t: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
			p := newPacerClock(c.bytesPS, c.recsPS, clk.now, clk.sleep)
			for _, r := range c.reports {
				clk.t = clk.t.Add(c.worked)
				p.wait(context.Background(), r.records, r.bytes)
			}
			if len(clk.slept) != len(c.wantSleeps) {
				t.Fatalf("slept %v, want %v", clk.slept, c.wantSleeps)
			}
			for i := range clk.slept {
				if d := clk.slept[i] - c.wantSleeps[i]; d < -time.Millisecond || d > time.Millisecond {
					t.Fatalf("slept %v, want %v", clk.slept, c.wantSleeps)
				}
			}
		})
	}
}
