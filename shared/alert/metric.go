package alert

import (
	"cmp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/fcsync/fcsync/shared/runlog"
)

// history is run records by job, newest first.
type history map[string][]runlog.Record

func newHistory(recs []runlog.Record) history {
	h := history{}
	for _, r := range recs {
		h[r.Job] = append(h[r.Job], r)
	}
	for _, rs := range h {
		slices.SortStableFunc(rs, func(a, b runlog.Record) int {
			return cmp.Or(b.Finished.Compare(a.Finished), strings.Compare(b.Invocation, a.Invocation))
		})
	}
	return h
}

// upTo is the job's records that finished at or before t, newest first.
func (h history) upTo(job string, t time.Time) []runlog.Record {
	rs := h[job]
	i := sort.Search(len(rs), func(i int) bool { return !rs[i].Finished.After(t) })
	return rs[i:]
}

// jobs is the jobs with a record at or before t.
func (h history) jobs(t time.Time) []string {
	var out []string
	for job := range h {
		if len(h.upTo(job, t)) > 0 {
			out = append(out, job)
		}
	}
	slices.Sort(out)
	return out
}

// measure computes the rule's metric for one job at time t from its records (newest first,
// none after t). since is when the evaluator first looked at this rule and job: heartbeat counts
// from it when the job has no successful run at all. ok is false when there is no value (no data).
func measure(r *Rule, recs []runlog.Record, t, since time.Time) (v float64, ok bool) {
	inWindow := func(rec *runlog.Record) bool { return rec.Finished.After(t.Add(-r.Window)) }
	switch r.Metric {
	case Heartbeat:
		for i := range recs {
			if recs[i].OK() {
				return t.Sub(recs[i].Finished).Seconds(), true
			}
		}
		from := since
		if n := len(recs); n > 0 && !recs[n-1].Started.IsZero() && recs[n-1].Started.Before(from) {
			from = recs[n-1].Started
		}
		return t.Sub(from).Seconds(), true
	case Failures:
		n := 0
		for i := range recs {
			if recs[i].OK() {
				break
			}
			n++
		}
		return float64(n), len(recs) > 0
	case Delay:
		for i := range recs {
			if recs[i].OK() && !recs[i].DataTime.IsZero() {
				return t.Sub(recs[i].DataTime).Seconds(), true
			}
		}
		return 0, false
	case Stopped:
		// The newest run stopped the job's stream; a later successful run (the operator added
		// the column or changed the policy, and the batch went through) clears it.
		if len(recs) > 0 && recs[0].Status == runlog.Failed && recs[0].ErrorClass == runlog.ClassStopped {
			return 1, true
		}
		return 0, len(recs) > 0
	case Lag:
		for i := range recs {
			if recs[i].Lag != nil {
				return float64(*recs[i].Lag), true
			}
		}
		return 0, false
	}
	// Windowed metrics: no record in the window is a value of 0.
	for i := range recs {
		rec := &recs[i]
		if !inWindow(rec) {
			break
		}
		switch r.Metric {
		case Failover:
			if rec.Status == runlog.Failed {
				v++
			}
		case DDLEvents:
			v += float64(len(rec.DDL))
		case Dirty:
			v += float64(rec.Counts.Dirty)
		case Memory:
			v = max(v, rec.MemoryPercent())
		case Duration:
			v = max(v, rec.DurationPercent())
		}
	}
	return v, true
}
