package window

import (
	"fmt"
	"sync"
	"time"

	"github.com/fcsync/fcsync/shared/job"
	"github.com/fcsync/fcsync/shared/record"
	"github.com/fcsync/fcsync/shared/schema"
)

// router decides which partition each record goes to. Records inside the time window go to the
// window's partition; the others follow the late-data policy.
type router struct {
	r     *runner
	own   schema.Partition
	begin time.Time
	end   time.Time
	timed bool

	mu             sync.Mutex
	byTick         map[time.Time]tickWindow
	late           int64
	latePartitions map[string]int64
	unroutable     int64
}

// tickWindow is the time window and partition a scheduled time gives.
type tickWindow struct {
	begin, end time.Time
	part       schema.Partition
	err        error
}

func newRouter(r *runner) *router {
	return &router{
		r:              r,
		own:            r.job.Writer.Partition,
		begin:          r.job.Reader.Begin.Time,
		end:            r.job.Reader.End.Time,
		timed:          r.timeWindow(),
		byTick:         map[time.Time]tickWindow{},
		latePartitions: map[string]int64{},
	}
}

// route returns the record's partition and whether it is late. A non-empty dirtyReason means the
// policy sends the record to dirty data instead.
func (rt *router) route(rec *record.Record) (p schema.Partition, late bool, dirtyReason string, err error) {
	if !rt.timed {
		return rt.own, false, "", nil
	}
	ts := rec.Timestamp
	switch {
	case ts.Before(rt.begin):
	case !ts.Before(rt.end) && rt.r.job.Reader.SkipExceedRecord:
	default:
		return rt.own, false, "", nil
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.late++
	switch rt.r.spec.Late {
	case job.LateWindow:
		rt.latePartitions[rt.own.String()]++
		return rt.own, true, "", nil
	case job.LateDirty:
		return nil, true, fmt.Sprintf("late: timestamp %s is outside the window [%s, %s)", ts.UTC().Format(time.RFC3339Nano), rt.begin.UTC().Format(time.RFC3339), rt.end.UTC().Format(time.RFC3339)), nil
	}
	part, ok := rt.partitionFor(ts)
	if !ok {
		rt.unroutable++
		part = rt.own
	}
	rt.latePartitions[part.String()]++
	return part, true, "", nil
}

// partitionFor finds the scheduled time whose window holds ts and returns that window's partition.
// With a cron schedule the ticks come from it; without one they are one window cadence apart
// (job.Cadence: calendar months for an add_months window, calendar days, or the window's
// duration), so a monthly window places a record in its own month's window.
func (rt *router) partitionFor(ts time.Time) (schema.Partition, bool) {
	length := rt.end.Sub(rt.begin)
	if length <= 0 {
		return nil, false
	}
	tick := rt.r.job.At
	cron := rt.r.spec.Schedule
	if cron == nil {
		cad, ok := rt.r.job.Cadence()
		if !ok {
			return nil, false
		}
		k := cad.Index(rt.begin, ts)
		for range 6 {
			w := rt.window(cad.Shift(tick, k))
			if w.err != nil {
				return nil, false
			}
			switch {
			case ts.Before(w.begin):
				k--
			case !ts.Before(w.end):
				k++
			default:
				return w.part, true
			}
		}
		return nil, false
	}
	k := floorDiv(ts.Sub(rt.begin), length)
	cand := cron.Prev(tick.Add(time.Duration(k) * length).Add(length / 2))
	for range 6 {
		w := rt.window(cand)
		if w.err != nil {
			return nil, false
		}
		switch {
		case ts.Before(w.begin):
			cand = cron.Prev(cand.Add(-time.Nanosecond))
		case !ts.Before(w.end):
			cand = cron.Next(cand)
		default:
			return w.part, true
		}
	}
	return nil, false
}

func (rt *router) window(tick time.Time) tickWindow {
	if w, ok := rt.byTick[tick]; ok {
		return w
	}
	var w tickWindow
	j, err := rt.r.spec.Bind(tick, nil)
	switch {
	case err != nil:
		w.err = err
	case j.Reader.Begin.Kind != job.PosTime || j.Reader.End.Kind != job.PosTime:
		w.err = fmt.Errorf("window at %s is not a time window", tick)
	default:
		w = tickWindow{begin: j.Reader.Begin.Time, end: j.Reader.End.Time, part: j.Writer.Partition}
	}
	if len(rt.byTick) > 10000 {
		clear(rt.byTick)
	}
	rt.byTick[tick] = w
	return w
}

func floorDiv(a, b time.Duration) int64 {
	q := int64(a / b)
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
