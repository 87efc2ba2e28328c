package job

import (
	"fmt"
	"time"
)

// Cadence is how far apart the scheduled times of a job without a schedule are, read from the
// window one tick gives: whole calendar months when the window's edges are whole months apart
// (a $[add_months(yyyymmdd,-1)] window), whole calendar days when they are whole days apart
// (the wall-clock time is kept across DST), else the window's exact duration.
type Cadence struct {
	Months int
	Days   int
	Every  time.Duration
}

// Cadence measures the job's time window. ok is false when the job does not read by time.
func (j *Job) Cadence() (c Cadence, ok bool) {
	k := j.Reader
	if k.Begin.Kind != PosTime || k.End.Kind != PosTime {
		return c, false
	}
	loc := j.Spec.Location
	b, e := k.Begin.Time.In(loc), k.End.Time.In(loc)
	by, bm, bd := b.Date()
	ey, em, ed := e.Date()
	sameClock := b.Hour() == e.Hour() && b.Minute() == e.Minute() && b.Second() == e.Second() && b.Nanosecond() == e.Nanosecond()
	if months := (ey*12 + int(em)) - (by*12 + int(bm)); sameClock && months > 0 {
		if y, m, d := addMonths(ey, em, ed, -months); y == by && m == bm && d == bd {
			return Cadence{Months: months}, true
		}
	}
	if sameClock {
		days := int(time.Date(ey, em, ed, 0, 0, 0, 0, time.UTC).Sub(time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC)) / (24 * time.Hour))
		if days > 0 {
			return Cadence{Days: days}, true
		}
	}
	return Cadence{Every: e.Sub(b)}, true
}

// Shift returns the scheduled time n ticks after tick (before it for n < 0), computed from tick
// itself so that month-end clamping does not drift.
func (c Cadence) Shift(tick time.Time, n int) time.Time {
	switch {
	case c.Months != 0:
		y, m, d := tick.Date()
		y, m, d = addMonths(y, m, d, n*c.Months)
		return time.Date(y, m, d, tick.Hour(), tick.Minute(), tick.Second(), tick.Nanosecond(), tick.Location())
	case c.Days != 0:
		return tick.AddDate(0, 0, n*c.Days)
	}
	return tick.Add(time.Duration(n) * c.Every)
}

// Index estimates which tick, counted from the one whose window begins at begin, has the
// window holding ts (the caller checks the neighbours).
func (c Cadence) Index(begin, ts time.Time) int {
	switch {
	case c.Months != 0:
		b, t := begin, ts.In(begin.Location())
		months := (t.Year()*12 + int(t.Month())) - (b.Year()*12 + int(b.Month()))
		return floorInt(months, c.Months)
	case c.Days != 0:
		return floorInt(int(floorDur(ts.Sub(begin), 24*time.Hour)), c.Days)
	case c.Every > 0:
		return int(floorDur(ts.Sub(begin), c.Every))
	}
	return 0
}

// String names the cadence for messages.
func (c Cadence) String() string {
	switch {
	case c.Months != 0:
		return fmt.Sprintf("%d calendar month(s)", c.Months)
	case c.Days != 0:
		return fmt.Sprintf("%d calendar day(s)", c.Days)
	}
	return c.Every.String()
}

// checkCadence makes sure a job without a schedule can place its windows: the ticks one cadence
// before and after at must give windows that meet the window at at, or late records could be
// routed to a partition that is not their own window's. Jobs that read by offsets need nothing.
func (s *Spec) checkCadence(j *Job) error {
	c, ok := j.Cadence()
	if s.Schedule != nil || !ok {
		return nil
	}
	if c.Every <= 0 && c.Months == 0 && c.Days == 0 {
		return nil // an empty window is reported by the reader's own check
	}
	prev, err := s.Bind(c.Shift(j.At, -1), nil)
	if err != nil {
		return err
	}
	next, err := s.Bind(c.Shift(j.At, 1), nil)
	if err != nil {
		return err
	}
	if !prev.Reader.End.Time.Equal(j.Reader.Begin.Time) || !next.Reader.Begin.Time.Equal(j.Reader.End.Time) {
		return fmt.Errorf("job %s: schedule: required for this window: without one, ticks are taken to be one window (%s) apart, "+
			"but the window at %s is [%s, %s) and those of the ticks around it are [%s, %s) and [%s, %s), which do not meet it; "+
			"give the FC timer cron as schedule",
			s.Name, c, j.At.Format(time.RFC3339), stamp(j.Reader.Begin.Time), stamp(j.Reader.End.Time),
			stamp(prev.Reader.Begin.Time), stamp(prev.Reader.End.Time), stamp(next.Reader.Begin.Time), stamp(next.Reader.End.Time))
	}
	return nil
}

func stamp(t time.Time) string { return t.Format(time.RFC3339) }

// addMonths moves a civil date by n months, clamping the day to the target month's last day
// (DataWorks' add_months).
func addMonths(y int, m time.Month, d, n int) (int, time.Month, int) {
	total := y*12 + int(m-1) + n
	ny := total / 12
	if total%12 < 0 {
		ny--
	}
	nm := time.Month(total-ny*12) + 1
	if last := time.Date(ny, nm+1, 0, 0, 0, 0, 0, time.UTC).Day(); d > last {
		d = last
	}
	return ny, nm, d
}

func floorInt(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func floorDur(a, b time.Duration) int64 {
	q := int64(a / b)
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
