package window_test

import (
	"testing"
	"time"
)

// TestLateRecordOfAMonthlyWindowGoesToItsOwnMonth: a record from August read by the December
// window of a monthly job lands in the partition of August's window (ds=20220831), whether the
// job names its schedule or not: without one, ticks step by calendar months, as the
// add_months window says, not by the 30 days the November window happens to last.
func TestLateRecordOfAMonthlyWindowGoesToItsOwnMonth(t *testing.T) {
	monthly := []edit{
		set("parameters", "startTime=$[add_months(yyyymmdd,-1)]000000 endTime=$[yyyymmdd]000000 partition=$[yyyymmdd-1]"),
	}
	day := func(mo time.Month, d int) time.Time { return time.Date(2022, mo, d, 12, 0, 0, 0, shanghai) }
	tickOf := func(mo time.Month) time.Time { return time.Date(2022, mo, 1, 0, 15, 0, 0, shanghai) }
	for name, sched := range map[string]edit{
		"with schedule":    set("schedule", "0 15 0 1 * *"),
		"without schedule": del("schedule"),
	} {
		t.Run(name, func(t *testing.T) {
			c := newCluster(t, 1)
			h := newHarness(t, c, nil, loadJob(t, append(monthly, sched)...))
			c.produce(t, order(0, "oct", day(10, 15), 1))
			if rep := h.mustRun(tickOf(11)); rep.Partition != "ds=20221031" || rep.Written != 1 {
				t.Fatalf("November window: partition %s written %d, want ds=20221031 and 1", rep.Partition, rep.Written)
			}
			c.produce(t, order(0, "aug", day(8, 15), 2), order(0, "sep", day(9, 30), 3), order(0, "nov", day(11, 10), 4))
			rep := h.mustRun(tickOf(12))
			if rep.Partition != "ds=20221130" || rep.Late != 2 || rep.Unroutable != 0 {
				t.Errorf("December window: partition %s late %d unroutable %d, want ds=20221130, 2, 0", rep.Partition, rep.Late, rep.Unroutable)
			}
			parts := byPartition(h.rows())
			for id, want := range map[string]string{"oct": "ds=20221031", "aug": "ds=20220831", "sep": "ds=20220930", "nov": "ds=20221130"} {
				if parts[id] != want {
					t.Errorf("order %s in %s, want %s", id, parts[id], want)
				}
			}
		})
	}
}
