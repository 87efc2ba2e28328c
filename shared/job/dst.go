package job

import (
	"time"

	"github.com/fcsync/fcsync/shared/schedule"
)

// settleRepeatedEdges picks the instants of window edges written as wall-clock text
// (beginDateTime/endDateTime) that a DST overlap repeats, so windows are computed on absolute
// instants and consecutive windows tile time:
//
//  1. Of the pairs of occurrences with end after begin, the one whose length is nearest the
//     wall-clock length the text says wins (an hourly window stays one real hour); a tie goes
//     to the pair whose end is nearest the scheduled time (a window ends near its tick).
//  2. A repeated begin that reads like the previous tick's end is that end, so windows meet.
//
// A wall-clock time that a DST gap skips is kept as time.ParseInLocation reads it: every window
// reads the same text the same way, so they still meet.
func (j *Job) settleRepeatedEdges(loc *time.Location) {
	k := &j.Reader
	if k.Begin.Kind != PosTime || k.End.Kind != PosTime {
		return
	}
	bs, es := edgeOccurrences(k.Begin, loc), edgeOccurrences(k.End, loc)
	if len(bs) == 1 && len(es) == 1 {
		return
	}
	nominal := wallOf(k.End.Time).Sub(wallOf(k.Begin.Time))
	found := false
	var best [2]time.Duration
	for _, b := range bs {
		for _, e := range es {
			if !e.After(b) {
				continue
			}
			score := [2]time.Duration{absDur(e.Sub(b) - nominal), absDur(e.Sub(j.At))}
			if !found || score[0] < best[0] || score[0] == best[0] && score[1] < best[1] {
				found, best = true, score
				k.Begin.Time, k.End.Time = b, e
			}
		}
	}
	if !found || len(bs) < 2 || !j.tile {
		return
	}
	prev, ok := j.previousTick()
	if !ok {
		return
	}
	pj, err := j.Spec.bind(prev, nil, false)
	if err != nil || pj.Reader.End.Kind != PosTime {
		return
	}
	if pe := pj.Reader.End.Time; wallOf(pe).Equal(wallOf(k.Begin.Time)) && pe.Before(k.End.Time) {
		k.Begin.Time = pe
	}
}

// previousTick is the scheduled time before this one: the cron's, else one cadence back.
func (j *Job) previousTick() (time.Time, bool) {
	if c := j.Spec.Schedule; c != nil {
		p := c.Prev(j.At.Add(-time.Second))
		return p, !p.IsZero()
	}
	c, ok := j.Cadence()
	if !ok {
		return time.Time{}, false
	}
	return c.Shift(j.At, -1), true
}

// edgeOccurrences returns the instants a wall-clock edge may mean: both of a repeated time,
// else the one parsed.
func edgeOccurrences(p Position, loc *time.Location) []time.Time {
	if p.wall {
		if occ := schedule.Occurrences(p.Time, loc); len(occ) == 2 {
			return occ
		}
	}
	return []time.Time{p.Time}
}

// wallOf carries t's wall-clock reading in UTC, for wall-clock differences.
func wallOf(t time.Time) time.Time {
	y, mo, d := t.Date()
	return time.Date(y, mo, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
