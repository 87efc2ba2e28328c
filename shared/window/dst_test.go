package window_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fcsync/fcsync/shared/window"
)

// TestHourlyWindowsTileTimeAcrossDaylightSaving runs an hourly job (tick hh:05 reads the hour
// before into ds=<tick's yyyymmddhh>) through a DST change, one record every 10 minutes:
//   - Europe/Berlin falling back on 2022-10-30 repeats 02:00..03:00. The timer fires in both
//     real 02:05s; the two windows are the two distinct real hours before each, computed on
//     instants (not the wall-clock text "02".."02", which once failed every run with "endDateTime
//     is not after beginDateTime"); both name ds=2022103002 and append to it.
//   - America/New_York springing forward on 2022-03-13 skips 02:00..03:00: no 02:05 tick, and
//     the 03:05 window is the one real hour [01:00 EST, 03:00 EDT), neither empty nor negative.
//
// Either way consecutive windows meet exactly, no record is late, and every record is written
// once, into the window that holds its timestamp.
func TestHourlyWindowsTileTimeAcrossDaylightSaving(t *testing.T) {
	cases := []struct {
		zone       string
		from, to   time.Time // first and last tick, UTC
		wantTicks  int
		sharedPart string // the partition two windows share, if any
	}{
		{"Europe/Berlin", time.Date(2022, 10, 29, 22, 5, 0, 0, time.UTC), time.Date(2022, 10, 30, 3, 5, 0, 0, time.UTC), 6, "ds=2022103002"},
		{"America/New_York", time.Date(2022, 3, 13, 5, 5, 0, 0, time.UTC), time.Date(2022, 3, 13, 9, 5, 0, 0, time.UTC), 5, ""},
	}
	for _, tc := range cases {
		t.Run(tc.zone, func(t *testing.T) {
			c := newCluster(t, 1)
			spec := loadJob(t,
				set("timezone", tc.zone),
				set("schedule", "0 5 * * * *"),
				set("parameters", "startTime=$[yyyymmddhh24-1/24]0000 endTime=$[yyyymmddhh24]0000 partition=$[yyyymmddhh24]"),
			)
			// FC timers fire on UTC: every real hour at :05, the job's cron agreeing.
			var ticks []time.Time
			for tk := tc.from; !tk.After(tc.to); tk = tk.Add(time.Hour) {
				if l := tk.In(spec.Location); l.Hour() != 2 || tc.zone != "America/New_York" {
					ticks = append(ticks, l)
				}
			}
			if cron := spec.Schedule.Between(tc.from.In(spec.Location), tc.to.In(spec.Location)); fmt.Sprint(cron) != fmt.Sprint(ticks) || len(ticks) != tc.wantTicks {
				t.Errorf("cron ticks %v, want %v (%d)", cron, ticks, tc.wantTicks)
			}
			first := tc.from.Add(-65 * time.Minute)
			var recs []*kgo.Record
			for ts := first; ts.Before(tc.to.Add(-5 * time.Minute)); ts = ts.Add(10 * time.Minute) {
				recs = append(recs, order(0, fmt.Sprintf("o-%s", ts.Format("0102T1504Z")), ts, 1))
			}
			c.produce(t, recs...)
			h := newHarness(t, c, nil, spec)
			parts := map[string]int{}
			for _, tk := range ticks {
				rep := h.mustRun(tk)
				if rep.Late != 0 {
					t.Errorf("window %s: %d late records", tk.UTC().Format(time.RFC3339), rep.Late)
				}
				parts[rep.Partition]++
			}
			var prev *window.Planned
			for i, w := range h.ledger().Windows {
				if w.Begin == nil || w.End == nil || !w.End.After(*w.Begin) {
					t.Fatalf("window %s: [%v, %v) is not a time window with an end after its begin", w.Tick, w.Begin, w.End)
				}
				if prev != nil && !w.Begin.Equal(*prev.End) {
					t.Errorf("window %s begins %s, the one before ended %s", w.Tick.Format(time.RFC3339), w.Begin.Format(time.RFC3339), prev.End.Format(time.RFC3339))
				}
				if d := w.End.Sub(*w.Begin); d != time.Hour {
					t.Errorf("window %s lasts %s, want one real hour", w.Tick.Format(time.RFC3339), d)
				}
				prev = &h.ledger().Windows[i]
			}
			for p, n := range parts {
				if n > 1 && p != tc.sharedPart {
					t.Errorf("partition %s written by %d windows", p, n)
				}
			}
			if tc.sharedPart != "" && parts[tc.sharedPart] != 2 {
				t.Errorf("partition %s written by %d windows, want the two of the repeated hour", tc.sharedPart, parts[tc.sharedPart])
			}
			rows := h.rows()
			exactlyOnce(t, rows, ids(recs))
			for _, r := range rows {
				ts := time.UnixMilli(r.EventMs)
				var want string
				for _, w := range h.ledger().Windows {
					if !ts.Before(*w.Begin) && ts.Before(*w.End) {
						want = w.Partition
					}
				}
				if r.Partition != want {
					t.Errorf("%s: want partition %s", r, want)
				}
			}
		})
	}
}
