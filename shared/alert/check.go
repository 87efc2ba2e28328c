package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/fcsync/fcsync/shared/runlog"
	"github.com/fcsync/fcsync/shared/state"
)

// StateScope is the state-log scope Monitor keeps its evaluator state in by default.
const StateScope = "alerts"

// maxRecords bounds the records one check reads (per job when every rule names its job).
const maxRecords = 1000

// Monitor checks alert rules against the run records on a store. Run Check from a timer (every
// minute, say); overlapping checks are safe: the evaluator state is advanced through a state log
// with create-if-absent, and only the check whose update won sends its notices.
type Monitor struct {
	Runs     *runlog.Log
	State    *state.Log // e.g. state.New(store, alert.StateScope)
	Config   *Config
	Channels map[string]Channel // from Config.BuildChannels
	Log      *slog.Logger       // nil: slog.Default()
}

// Check evaluates the rules at now, saves the new state, sends the notices and returns them.
// Notices whose delivery fails are not retried (the next reminder comes after the inhibition
// interval); the error says which.
func (m *Monitor) Check(ctx context.Context, now time.Time) ([]Notice, error) {
	log := m.Log
	if log == nil {
		log = slog.Default()
	}
	recs, err := m.records(ctx, now)
	if errors.Is(err, runlog.ErrCorrupt) {
		log.Warn("alert check: some run records could not be read", "err", err.Error())
	} else if err != nil {
		return nil, fmt.Errorf("alert check: %w", err)
	}
	var notices []Notice
	_, err = m.State.Update(ctx, func(cur state.Version) ([]byte, error) {
		var st State
		if len(cur.Data) > 0 {
			if err := json.Unmarshal(cur.Data, &st); err != nil {
				return nil, fmt.Errorf("alert state version %d: %w", cur.Number, err)
			}
		}
		e := NewEvaluator(m.Config.Rules, st)
		notices = e.Evaluate(now, recs)
		next, err := json.Marshal(e.State())
		if err != nil {
			return nil, err
		}
		if old, _ := json.Marshal(st); len(notices) == 0 && bytes.Equal(old, next) {
			return nil, state.ErrNoChange
		}
		return next, nil
	})
	if err != nil {
		return nil, fmt.Errorf("alert check: %w", err)
	}
	for _, n := range notices {
		level := slog.LevelWarn
		if n.Kind == Resolved {
			level = slog.LevelInfo
		}
		log.Log(ctx, level, "alert "+string(n.Kind), "rule", n.Rule, "job", n.Job, "severity", string(n.Severity),
			"metric", string(n.Metric), "value", n.Value, "threshold", n.Threshold, "repeat", n.Repeat)
	}
	if err := Deliver(ctx, m.Channels, notices); err != nil {
		return notices, err
	}
	return notices, nil
}

// records reads what the rules need: every job's records of the lookback period, or only the
// named jobs' when no rule watches every job.
func (m *Monitor) records(ctx context.Context, now time.Time) ([]runlog.Record, error) {
	since := now.Add(-m.Config.Lookback())
	jobs := map[string]bool{}
	for _, r := range m.Config.Rules {
		if r.Disabled {
			continue
		}
		if r.Job == AnyJob {
			return m.Runs.List(ctx, runlog.Query{Since: since, Limit: maxRecords})
		}
		jobs[r.Job] = true
	}
	var out []runlog.Record
	var corrupt []error
	for job := range jobs {
		recs, err := m.Runs.List(ctx, runlog.Query{Job: job, Since: since, Limit: maxRecords})
		if err != nil && !errors.Is(err, runlog.ErrCorrupt) {
			return nil, err
		}
		if err != nil {
			corrupt = append(corrupt, err)
		}
		out = append(out, recs...)
	}
	return out, errors.Join(corrupt...)
}

// Lookback is how far back a check reads records: the longest window, `for`, inhibition interval
// or time threshold of any enabled rule, plus an hour.
func (c *Config) Lookback() time.Duration {
	d := time.Duration(0)
	for _, r := range c.Rules {
		if r.Disabled {
			continue
		}
		d = max(d, r.Window, r.For, r.Inhibit)
		if metricInfo[r.Metric].unit == "s" {
			for _, lv := range r.Conditions() {
				d = max(d, time.Duration(lv.Threshold*float64(time.Second)))
			}
		}
	}
	return d + time.Hour
}
