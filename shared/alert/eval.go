package alert

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/fcsync/fcsync/shared/runlog"
)

// Kind says whether a notice announces an alert or its recovery.
type Kind string

// Notice kinds.
const (
	Firing   Kind = "firing"
	Resolved Kind = "resolved"
)

// Notice is one message to send.
type Notice struct {
	Kind      Kind
	Rule      string
	Job       string
	Metric    Metric
	Severity  Severity
	Value     float64   // the metric's value at At
	Threshold float64   // the rule's threshold
	Since     time.Time // when the condition began to hold (firing), or when it had begun (resolved)
	At        time.Time // the evaluation time
	Repeat    bool      // a reminder: the alert was announced before and still holds
	Channels  []string
}

// State is the evaluator's memory, by rule and job: plain JSON, to keep between evaluations.
type State map[string]Entry

// Entry is the state of one rule for one job.
type Entry struct {
	FirstSeen time.Time `json:"firstSeen"`           // the first evaluation of this rule and job
	Pending   time.Time `json:"pending,omitzero"`    // the condition has held since
	Firing    bool      `json:"firing,omitempty"`    // ... for at least the rule's `for`
	Announced bool      `json:"announced,omitempty"` // the last notice sent was a firing notice
	LastFired time.Time `json:"lastFired,omitzero"`  // when the last firing notice was sent
}

// stateKey is where the state of one level of a rule for a job is kept: "rule/job" for a rule of
// one level (as before rules had levels), "rule/job/SEVERITY" for each level of a rule with several.
func stateKey(r *Rule, job string, sev Severity) string {
	if len(r.Conditions()) == 1 {
		return r.Name + "/" + job
	}
	return r.Name + "/" + job + "/" + string(sev)
}

// Evaluator advances the rules' state with each evaluation. It is not safe for concurrent use.
type Evaluator struct {
	rules []Rule
	state State
}

// NewEvaluator starts from st (nil: no history). Entries of rules that no longer exist or are
// disabled are dropped (a rule switched on again starts afresh); disabled rules never fire. So
// are entries of levels a rule no longer has (its thresholds changed from one to several, say).
func NewEvaluator(rules []Rule, st State) *Evaluator {
	e := &Evaluator{state: State{}}
	byName := map[string]*Rule{}
	for _, r := range rules {
		if !r.Disabled {
			e.rules = append(e.rules, r)
		}
	}
	for i := range e.rules {
		byName[e.rules[i].Name] = &e.rules[i]
	}
	for k, v := range st {
		name, rest, _ := strings.Cut(k, "/")
		r := byName[name]
		if r == nil {
			continue
		}
		job, sev, leveled := strings.Cut(rest, "/")
		for _, lv := range r.Conditions() {
			if leveled == (len(r.Conditions()) > 1) && (!leveled || Severity(sev) == lv.Severity) && job != "" {
				e.state[k] = v
				break
			}
		}
	}
	return e
}

// State returns a copy of the current state.
func (e *Evaluator) State() State { return maps.Clone(e.state) }

// Evaluate looks at the records at time now and returns the notices to send, in rule order.
// Records that finished after now are ignored.
func (e *Evaluator) Evaluate(now time.Time, recs []runlog.Record) []Notice {
	return e.evaluate(now, newHistory(recs))
}

func (e *Evaluator) evaluate(now time.Time, h history) []Notice {
	var out []Notice
	for i := range e.rules {
		r := &e.rules[i]
		for _, job := range e.jobs(r, h, now) {
			recs := h.upTo(job, now)
			var ns []Notice
			for _, lv := range r.Conditions() {
				if n, ok := e.step(r, lv, job, recs, now); ok {
					ns = append(ns, n)
				}
			}
			out = append(out, e.oncePerChannel(r, job, ns)...)
		}
	}
	return out
}

// jobs is the jobs a rule looks at: its own, or for AnyJob every job with records plus those the
// rule still has state for (so an alert can recover after the job's records expire).
func (e *Evaluator) jobs(r *Rule, h history, now time.Time) []string {
	if r.Job != AnyJob {
		return []string{r.Job}
	}
	jobs := h.jobs(now)
	have := map[string]bool{}
	for _, j := range jobs {
		have[j] = true
	}
	prefix := r.Name + "/"
	var extra []string
	for k := range e.state {
		job, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		job, _, _ = strings.Cut(job, "/") // job names have no '/'; a level follows one
		if job != "" && !have[job] {
			extra = append(extra, job)
			have[job] = true
		}
	}
	slices.Sort(extra) // map order must not decide the order of notices
	return append(jobs, extra...)
}

// step advances one level of a rule for a job; its notices, firing and recovery alike, go to
// the level's channels.
func (e *Evaluator) step(r *Rule, lv Level, job string, recs []runlog.Record, now time.Time) (Notice, bool) {
	key := stateKey(r, job, lv.Severity)
	st, seen := e.state[key]
	if !seen {
		st.FirstSeen = now
	}
	v, ok := measure(r, recs, now, st.FirstSeen)
	n := Notice{Rule: r.Name, Job: job, Metric: r.Metric, Severity: lv.Severity, Value: v, Threshold: lv.Threshold,
		At: now, Channels: lv.Channels}
	send := false
	if ok && v > lv.Threshold {
		if st.Pending.IsZero() {
			st.Pending = now
		}
		if now.Sub(st.Pending) >= lv.For {
			st.Firing = true
		}
		if st.Firing && (!st.Announced || r.Repeat) && (st.LastFired.IsZero() || now.Sub(st.LastFired) >= r.Inhibit) {
			n.Kind, n.Since, n.Repeat = Firing, st.Pending, st.Announced
			st.LastFired, st.Announced, send = now, true, true
		}
	} else {
		if st.Announced && r.Recovery {
			n.Kind, n.Since, send = Resolved, st.Pending, true
		}
		st.Pending, st.Firing, st.Announced = time.Time{}, false, false
	}
	if r.Job == AnyJob && len(recs) == 0 && st.Pending.IsZero() && !st.Announced {
		delete(e.state, key) // a job that is gone and quiet needs no memory
	} else {
		e.state[key] = st
	}
	return n, send
}

// oncePerChannel keeps a channel that several of a rule's levels share from hearing about one
// rule and job at two severities: while a higher severity is announced (it fired and has not
// recovered), the lower ones' firing notices and reminders do not go to its channels; and of
// the recovery notices of one check a channel gets the lowest severity's (back within the lowest
// threshold is within all of them). A notice left with no channel is dropped; one that had none
// (a rule that only shows in `localrun status`) is kept. ns is in level order, lowest first.
func (e *Evaluator) oncePerChannel(r *Rule, job string, ns []Notice) []Notice {
	levels := r.Conditions()
	if len(levels) < 2 || len(ns) == 0 {
		return ns
	}
	keep := make([]bool, len(ns))
	strip := func(i int, taken map[string]bool) {
		n := &ns[i]
		if len(n.Channels) == 0 {
			keep[i] = true
			return
		}
		var chans []string
		for _, ch := range n.Channels {
			if !taken[ch] {
				chans = append(chans, ch)
			}
		}
		n.Channels, keep[i] = chans, len(chans) > 0
	}
	above := map[string]bool{} // channels of the announced levels above the one at hand
	for l := len(levels) - 1; l >= 0; l-- {
		for i := range ns {
			if ns[i].Kind == Firing && ns[i].Severity == levels[l].Severity {
				strip(i, above)
			}
		}
		if e.state[stateKey(r, job, levels[l].Severity)].Announced {
			for _, ch := range levels[l].Channels {
				above[ch] = true
			}
		}
	}
	told := map[string]bool{}
	for i := range ns { // lowest severity first
		if ns[i].Kind == Resolved {
			strip(i, told)
			for _, ch := range ns[i].Channels {
				told[ch] = true
			}
		}
	}
	var out []Notice
	for i, n := range ns {
		if keep[i] {
			out = append(out, n)
		}
	}
	return out
}

// Replay evaluates rules over a history with a fresh state, as a checker running every step
// (default 1 minute) from `from` to `to` would, also evaluating at each record's finish time in
// that range, and returns every notice it would have sent, in time order.
func Replay(rules []Rule, recs []runlog.Record, from, to time.Time, step time.Duration) ([]Notice, error) {
	if step <= 0 {
		step = time.Minute
	}
	if to.Before(from) {
		return nil, fmt.Errorf("alert replay: %s is before %s", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	if n := to.Sub(from) / step; n > 1_000_000 {
		return nil, fmt.Errorf("alert replay: %d steps of %s from %s to %s: too many", n, step, from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	h := newHistory(recs)
	var points []time.Time
	for t := from; t.Before(to); t = t.Add(step) {
		points = append(points, t)
	}
	points = append(points, to)
	for _, r := range recs {
		if r.Finished.After(from) && r.Finished.Before(to) {
			points = append(points, r.Finished)
		}
	}
	slices.SortFunc(points, func(a, b time.Time) int { return a.Compare(b) })
	e := NewEvaluator(rules, nil)
	var out []Notice
	var last time.Time
	for i, t := range points {
		if i > 0 && t.Equal(last) {
			continue
		}
		last = t
		out = append(out, e.evaluate(t, h)...)
	}
	return out, nil
}
