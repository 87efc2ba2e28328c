package window

import (
	"time"
)

// overlapReach is how far around a window's tick another tick may give the same wall-clock
// partition: more than any DST shift (at most two hours, usually one).
const overlapReach = 3 * time.Hour

// sharesPartition reports whether another scheduled time near this window's gives the same
// partition. That happens in a DST overlap: an hourly partition named by the wall clock
// (ds=$[yyyymmddhh24]) is named by both real hours of the repeated hour. Both windows then
// append to it rather than overwrite it (truncate), so neither replaces the other's rows; a
// rerun of either still replaces only its own rows. Away from a DST change this costs nothing.
func (r *runner) sharesPartition() bool {
	loc := r.spec.Location
	at := r.job.At
	_, before := at.Add(-overlapReach).In(loc).Zone()
	_, after := at.Add(overlapReach).In(loc).Zone()
	if before == after {
		return false
	}
	var ticks []time.Time
	if c := r.spec.Schedule; c != nil {
		ticks, _ = c.BetweenLimit(at.Add(-overlapReach), at.Add(overlapReach), 10000)
	} else if cad, ok := r.job.Cadence(); ok && cad.Months == 0 && cad.Days == 0 && cad.Every > 0 {
		for n := -int(overlapReach / cad.Every); n <= int(overlapReach/cad.Every); n++ {
			ticks = append(ticks, cad.Shift(at, n))
		}
	}
	own := r.job.Writer.Partition.String()
	for _, tk := range ticks {
		if tk.Equal(at) {
			continue
		}
		if j, err := r.spec.Bind(tk, nil); err == nil && j.Writer.Partition.String() == own {
			return true
		}
	}
	return false
}
