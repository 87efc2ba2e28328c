package window_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fcsync/fcsync/shared/objstore"
)

func TestConcurrentInvocationsWriteEachRecordOnce(t *testing.T) {
	cases := []struct {
		name  string
		ticks []time.Time // run at once, one goroutine each
	}{
		{"same tick twice", []time.Time{tick(10, 5), tick(10, 5)}},
		{"same tick three times", []time.Time{tick(10, 5), tick(10, 5), tick(10, 5)}},
		{"consecutive ticks", []time.Time{tick(10, 5), tick(10, 10)}},
		{"consecutive ticks, each twice", []time.Time{tick(10, 10), tick(10, 5), tick(10, 10), tick(10, 5)}},
	}
	for _, tc := range cases {
		for _, truncate := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/truncate=%v", tc.name, truncate), func(t *testing.T) {
				c := newCluster(t, 3)
				var recs []*kgo.Record
				for i := range 60 { // 09:57 .. 10:06:50, both windows' time ranges
					recs = append(recs, order(int32(i%3), fmt.Sprintf("o-%02d", i), at(9, 57, 0).Add(time.Duration(i)*10*time.Second), i))
				}
				c.produce(t, recs...)
				store, err := objstore.NewDir(t.TempDir())
				if err != nil {
					t.Fatal(err)
				}
				h := newHarness(t, c, store, loadJob(t, set("writer.truncate", truncate)))

				var wg sync.WaitGroup
				errs := make([]error, len(tc.ticks))
				for i, tk := range tc.ticks {
					wg.Go(func() { _, errs[i] = h.run(tk) })
				}
				wg.Wait()
				for i, err := range errs {
					if err != nil {
						t.Errorf("invocation %d (%s): %v", i, tc.ticks[i].Format("15:04"), err)
					}
				}
				check := func(end time.Time) {
					t.Helper()
					rows := h.rows()
					var want []string
					for _, r := range recs {
						if r.Timestamp.Before(end) {
							want = append(want, string(r.Key))
						}
					}
					exactlyOnce(t, rows, want)
					for _, r := range rows {
						if own := ownPartition(time.UnixMilli(r.EventMs)); r.Partition != own {
							t.Errorf("%s: want partition %s", r, own)
						}
					}
				}
				last := slices.MaxFunc(tc.ticks, time.Time.Compare)
				check(last.Add(-3 * time.Minute)) // the end of the newest window that ran
				// Whatever order they planned in, finishing every window covers both time ranges.
				h.mustRun(tick(10, 5))
				h.mustRun(tick(10, 10))
				check(at(10, 7, 0))
			})
		}
	}
}
