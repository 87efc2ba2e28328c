package schedule

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MaxTicks is the most ticks Between returns; use BetweenLimit to learn about truncation.
const MaxTicks = 100000

// searchYears bounds how far Next and Prev look for a match. Every cron ParseCron accepts fires
// at least once in any 8 consecutive years (Feb 29 is the rarest day).
const searchYears = 9

// Cron is a parsed FC timer expression. It is immutable and safe for concurrent use.
type Cron struct {
	spec  string
	loc   *time.Location // CRON_TZ; nil means the location of the time passed in
	every int64          // @every period in seconds; 0 for field crons

	sec, min, hour, dom, month, dow uint64
	domStar, dowStar                bool
}

// String returns the spec as written.
func (c *Cron) String() string { return c.spec }

type cronField struct {
	name     string
	min, max int
	names    map[string]int
}

var (
	fieldSec   = cronField{name: "second", min: 0, max: 59}
	fieldMin   = cronField{name: "minute", min: 0, max: 59}
	fieldHour  = cronField{name: "hour", min: 0, max: 23}
	fieldDom   = cronField{name: "day of month", min: 1, max: 31}
	fieldMonth = cronField{name: "month", min: 1, max: 12, names: map[string]int{
		"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
		"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}}
	fieldDow = cronField{name: "day of week", min: 0, max: 7, names: map[string]int{
		"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}}
)

var shorthands = map[string]string{
	"@yearly":   "0 0 0 1 1 *",
	"@annually": "0 0 0 1 1 *",
	"@monthly":  "0 0 0 1 * *",
	"@weekly":   "0 0 0 * * 0",
	"@daily":    "0 0 0 * * *",
	"@midnight": "0 0 0 * * *",
	"@hourly":   "0 0 * * * *",
}

// ParseCron parses an FC timer cron: six fields with seconds, @every <duration>, a @daily-style
// shorthand, optionally prefixed by CRON_TZ=<zone> or TZ=<zone>.
func ParseCron(spec string) (*Cron, error) {
	c := &Cron{spec: spec}
	s := strings.TrimSpace(spec)
	if s == "" {
		return nil, fmt.Errorf("schedule: cron %q: empty", spec)
	}
	if strings.HasPrefix(s, "CRON_TZ=") || strings.HasPrefix(s, "TZ=") {
		zone, rest, _ := strings.Cut(s, " ")
		_, zone, _ = strings.Cut(zone, "=")
		loc, err := time.LoadLocation(zone)
		if err != nil || zone == "" || strings.EqualFold(zone, "local") {
			return nil, fmt.Errorf("schedule: cron %q: unknown time zone %q", spec, zone)
		}
		c.loc = loc
		s = strings.TrimSpace(rest)
	}
	if rest, ok := strings.CutPrefix(s, "@every"); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil || rest == "" || (rest[0] != ' ' && rest[0] != '\t') {
			return nil, fmt.Errorf("schedule: cron %q: @every needs a duration such as 5m", spec)
		}
		if d < time.Second || d%time.Second != 0 {
			return nil, fmt.Errorf("schedule: cron %q: @every needs whole seconds, at least 1s", spec)
		}
		c.every = int64(d / time.Second)
		return c, nil
	}
	if strings.HasPrefix(s, "@") {
		def, ok := shorthands[strings.ToLower(s)]
		if !ok {
			return nil, fmt.Errorf("schedule: cron %q: unknown shorthand", spec)
		}
		s = def
	}
	f := strings.Fields(s)
	if len(f) != 6 {
		return nil, fmt.Errorf("schedule: cron %q: want 6 fields (second minute hour day-of-month month day-of-week), got %d", spec, len(f))
	}
	var err error
	var star bool
	if c.sec, _, err = parseCronField(f[0], fieldSec, false); err != nil {
		return nil, fmt.Errorf("schedule: cron %q: %w", spec, err)
	}
	if c.min, _, err = parseCronField(f[1], fieldMin, false); err != nil {
		return nil, fmt.Errorf("schedule: cron %q: %w", spec, err)
	}
	if c.hour, _, err = parseCronField(f[2], fieldHour, false); err != nil {
		return nil, fmt.Errorf("schedule: cron %q: %w", spec, err)
	}
	if c.dom, c.domStar, err = parseCronField(f[3], fieldDom, true); err != nil {
		return nil, fmt.Errorf("schedule: cron %q: %w", spec, err)
	}
	if c.month, _, err = parseCronField(f[4], fieldMonth, false); err != nil {
		return nil, fmt.Errorf("schedule: cron %q: %w", spec, err)
	}
	if c.dow, star, err = parseCronField(f[5], fieldDow, true); err != nil {
		return nil, fmt.Errorf("schedule: cron %q: %w", spec, err)
	}
	c.dowStar = star
	if c.dow&(1<<7) != 0 { // 7 is Sunday too
		c.dow = c.dow&^(1<<7) | 1
	}
	if c.dowStar && !c.domStar && !c.anyDayExists() {
		return nil, fmt.Errorf("schedule: cron %q: no month has such a day, it never fires", spec)
	}
	return c, nil
}

// anyDayExists reports whether some selected month has some selected day of month.
func (c *Cron) anyDayExists() bool {
	for m := 1; m <= 12; m++ {
		if c.month&(1<<m) == 0 {
			continue
		}
		for d := 1; d <= daysIn(2000, time.Month(m)); d++ { // 2000 is a leap year
			if c.dom&(1<<d) != 0 {
				return true
			}
		}
	}
	return false
}

// parseCronField parses a comma list of *, ?, n, a-b, with optional /step. star reports a
// field that is exactly * or ? (which matters for the day-of-month/day-of-week rule).
func parseCronField(s string, f cronField, allowQ bool) (bits uint64, star bool, err error) {
	if s == "*" || (allowQ && s == "?") {
		return rangeBits(f.min, f.max, 1), true, nil
	}
	for _, part := range strings.Split(s, ",") {
		rng, stepText, hasStep := strings.Cut(part, "/")
		lo, hi := f.min, f.max
		switch {
		case rng == "*" || (allowQ && rng == "?"):
		default:
			a, b, isRange := strings.Cut(rng, "-")
			if lo, err = cronValue(a, f); err != nil {
				return 0, false, err
			}
			hi = lo
			if isRange {
				if hi, err = cronValue(b, f); err != nil {
					return 0, false, err
				}
				if hi < lo {
					return 0, false, fmt.Errorf("%s range %q runs backwards", f.name, rng)
				}
			} else if hasStep {
				hi = f.max // "5/10" means 5 to the maximum every 10
			}
		}
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n <= 0 || n > f.max+1 {
				return 0, false, fmt.Errorf("%s step %q must be a number from 1 to %d", f.name, stepText, f.max+1)
			}
			step = n
		}
		bits |= rangeBits(lo, hi, step)
	}
	return bits, false, nil
}

func cronValue(s string, f cronField) (int, error) {
	if v, ok := f.names[strings.ToLower(s)]; ok {
		return v, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || len(s) > 2 || s[0] == '+' || s[0] == '-' {
		return 0, fmt.Errorf("%s %q is not a number or name", f.name, s)
	}
	if n < f.min || n > f.max {
		return 0, fmt.Errorf("%s %d is outside %d-%d", f.name, n, f.min, f.max)
	}
	return n, nil
}

func rangeBits(lo, hi, step int) uint64 {
	var b uint64
	for v := lo; v <= hi; v += step {
		b |= 1 << uint(v)
	}
	return b
}

// dayMatches applies the Vixie rule to a civil date.
func (c *Cron) dayMatches(t time.Time) bool {
	dom := c.dom&(1<<uint(t.Day())) != 0
	dow := c.dow&(1<<uint(t.Weekday())) != 0
	if c.domStar || c.dowStar {
		return dom && dow
	}
	return dom || dow
}

// civil returns t's wall-clock fields, truncated to the second, carried by a UTC time.
func civil(t time.Time) time.Time {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
}

// instant maps a civil time to loc; ok is false when that wall-clock time does not exist there.
func instant(c time.Time, loc *time.Location) (time.Time, bool) {
	y, mo, d := c.Date()
	h, mi, s := c.Clock()
	t := time.Date(y, mo, d, h, mi, s, 0, loc)
	return t, civil(t).Equal(c)
}

// Occurrences returns every instant at which the wall-clock time of c (its civil fields, read
// in c's own location) occurs in loc, earliest first: none in a DST gap, two in a DST overlap,
// else one.
func Occurrences(c time.Time, loc *time.Location) []time.Time {
	return occurrences(civil(c).Add(time.Duration(c.Nanosecond())), loc)
}

func occurrences(c time.Time, loc *time.Location) []time.Time {
	y, mo, d := c.Date()
	h, mi, s := c.Clock()
	guess := time.Date(y, mo, d, h, mi, s, c.Nanosecond(), loc)
	var out []time.Time
	for _, probe := range []time.Time{guess.Add(-12 * time.Hour), guess, guess.Add(12 * time.Hour)} {
		_, off := probe.Zone()
		t := c.Add(-time.Duration(off) * time.Second).In(loc) // the instant that reads c at that offset
		if !civilNs(t).Equal(c) || slices.ContainsFunc(out, t.Equal) {
			continue
		}
		out = append(out, t)
	}
	slices.SortFunc(out, time.Time.Compare)
	return out
}

// civilNs is civil keeping nanoseconds.
func civilNs(t time.Time) time.Time {
	return civil(t).Add(time.Duration(t.Nanosecond()))
}

// everyHour reports whether the cron fires in every hour: then it fires at both instants of a
// wall-clock time that a DST overlap repeats, once in each real hour.
func (c *Cron) everyHour() bool { return c.hour == 1<<24-1 }

// instantsOf returns the instants at which the cron's civil tick cand fires in loc, earliest
// first: both occurrences of a repeated time for a cron that fires every hour, else the one
// time.Date picks; none in a DST gap.
func (c *Cron) instantsOf(cand time.Time, loc *time.Location) []time.Time {
	if c.everyHour() {
		return occurrences(cand, loc)
	}
	if i, ok := instant(cand, loc); ok {
		return []time.Time{i}
	}
	return nil
}

// Next returns the first tick strictly after t, in t's location (the zero time if none exists
// within the search horizon, which cannot happen for a cron ParseCron accepted).
func (c *Cron) Next(t time.Time) time.Time {
	if c.every > 0 {
		s := t.Unix()
		return time.Unix((floorDiv(s, c.every)+1)*c.every, 0).In(t.Location())
	}
	loc := c.zone(t)
	tl := t.In(loc)
	from := civil(tl).Add(-time.Second) // t's own wall-clock time may fire again, later, in a DST overlap
	for range 100000 {                  // skips repeated wall-clock ticks; bounded by one DST overlap
		cand, ok := c.nextCivil(from, tl.Year()+searchYears)
		if !ok {
			return time.Time{}
		}
		for _, i := range c.instantsOf(cand, loc) {
			if i.After(t) {
				return i.In(t.Location())
			}
		}
		from = cand
	}
	return time.Time{}
}

// Prev returns the latest tick at or before t, in t's location (the zero time if none exists
// within the search horizon).
func (c *Cron) Prev(t time.Time) time.Time {
	if c.every > 0 {
		s := t.Unix()
		return time.Unix(floorDiv(s, c.every)*c.every, 0).In(t.Location())
	}
	loc := c.zone(t)
	tl := t.In(loc)
	from := civil(tl)
	var p time.Time
	for range 100000 {
		cand, ok := c.prevCivil(from, tl.Year()-searchYears)
		if !ok {
			return time.Time{}
		}
		is := c.instantsOf(cand, loc)
		for n := len(is) - 1; n >= 0 && p.IsZero(); n-- {
			if !is[n].After(t) {
				p = is[n]
			}
		}
		if !p.IsZero() {
			break
		}
		from = cand.Add(-time.Second)
	}
	if p.IsZero() {
		return p
	}
	// Around a DST overlap a later wall-clock time can be an earlier instant: walk forward.
	for range 100000 {
		n := c.Next(p)
		if n.IsZero() || n.After(t) {
			break
		}
		p = n
	}
	return p.In(t.Location())
}

// Between returns the ticks in [from, to], at most MaxTicks of them.
func (c *Cron) Between(from, to time.Time) []time.Time {
	ticks, _ := c.BetweenLimit(from, to, MaxTicks)
	return ticks
}

// BetweenLimit returns the ticks in [from, to], at most limit of them; truncated reports that
// more ticks exist in the range.
func (c *Cron) BetweenLimit(from, to time.Time, limit int) (ticks []time.Time, truncated bool) {
	if to.Before(from) {
		return nil, false
	}
	for t := c.Next(from.Add(-time.Nanosecond)); !t.IsZero() && !t.After(to); t = c.Next(t) {
		if len(ticks) == limit {
			return ticks, true
		}
		ticks = append(ticks, t)
	}
	return ticks, false
}

func (c *Cron) zone(t time.Time) *time.Location {
	if c.loc != nil {
		return c.loc
	}
	return t.Location()
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// nextCivil finds the first matching civil time strictly after from (UTC-carried wall clock).
func (c *Cron) nextCivil(from time.Time, maxYear int) (time.Time, bool) {
	t := from.Add(time.Second)
wrap:
	if t.Year() > maxYear {
		return time.Time{}, false
	}
	for c.month&(1<<uint(t.Month())) == 0 {
		y, m, _ := t.Date()
		t = time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC)
		if t.Month() == time.January {
			goto wrap
		}
	}
	for !c.dayMatches(t) {
		y, m, d := t.Date()
		t = time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
		if t.Day() == 1 {
			goto wrap
		}
	}
	for c.hour&(1<<uint(t.Hour())) == 0 {
		t = t.Truncate(time.Hour).Add(time.Hour)
		if t.Hour() == 0 {
			goto wrap
		}
	}
	for c.min&(1<<uint(t.Minute())) == 0 {
		t = t.Truncate(time.Minute).Add(time.Minute)
		if t.Minute() == 0 {
			goto wrap
		}
	}
	for c.sec&(1<<uint(t.Second())) == 0 {
		t = t.Add(time.Second)
		if t.Second() == 0 {
			goto wrap
		}
	}
	return t, true
}

// prevCivil finds the latest matching civil time at or before from.
func (c *Cron) prevCivil(from time.Time, minYear int) (time.Time, bool) {
	t := from
wrap:
	if t.Year() < minYear {
		return time.Time{}, false
	}
	for c.month&(1<<uint(t.Month())) == 0 {
		y, m, _ := t.Date()
		t = time.Date(y, m, 1, 0, 0, 0, 0, time.UTC).Add(-time.Second)
		if t.Month() == time.December {
			goto wrap
		}
	}
	for !c.dayMatches(t) {
		y, m, d := t.Date()
		t = time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Add(-time.Second)
		if t.Month() != m {
			goto wrap
		}
	}
	for c.hour&(1<<uint(t.Hour())) == 0 {
		t = t.Truncate(time.Hour).Add(-time.Second)
		if t.Hour() == 23 {
			goto wrap
		}
	}
	for c.min&(1<<uint(t.Minute())) == 0 {
		t = t.Truncate(time.Minute).Add(-time.Second)
		if t.Minute() == 59 {
			goto wrap
		}
	}
	for c.sec&(1<<uint(t.Second())) == 0 {
		t = t.Add(-time.Second)
		if t.Second() == 59 {
			goto wrap
		}
	}
	return t, true
}
