package alert

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/runlog"
)

var t0 = time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

func run(job string, finishedMin int, st runlog.Status) runlog.Record {
	return runlog.Record{Job: job, Function: "batch", Invocation: fmt.Sprintf("%s-%d", job, finishedMin), Status: st,
		Started: at(finishedMin).Add(-30 * time.Second), Finished: at(finishedMin)}
}

func rule(metric Metric, threshold float64, mod ...func(*Rule)) Rule {
	r := Rule{Name: "r", Job: "orders", Metric: metric, Threshold: threshold, Severity: Warning,
		Inhibit: DefaultInhibit, Recovery: true, Repeat: true, Channels: []string{"ops"}}
	if metricInfo[metric].windowed {
		r.Window = DefaultWindow
	}
	for _, m := range mod {
		m(&r)
	}
	return r
}

// trace renders notices as "minute:kind[:repeat]" for comparison.
func trace(ns []Notice) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = fmt.Sprintf("%d:%s", int(n.At.Sub(t0)/time.Minute), n.Kind)
		if n.Repeat {
			parts[i] += ":repeat"
		}
		if n.Job != "orders" {
			parts[i] += ":" + n.Job
		}
	}
	return strings.Join(parts, " ")
}

// evaluateEachMinute drives an evaluator every minute from 0 to last with the records finished by then.
func evaluateEachMinute(rules []Rule, recs []runlog.Record, last int) []Notice {
	e := NewEvaluator(rules, nil)
	var out []Notice
	for m := 0; m <= last; m++ {
		out = append(out, e.Evaluate(at(m), recs)...)
	}
	return out
}

func TestMetricsMeasureTheRunRecords(t *testing.T) {
	lag := int64(5000)
	withLag := run("orders", 8, runlog.Succeeded)
	withLag.Lag = &lag
	late := run("orders", 9, runlog.Succeeded)
	late.DataTime = at(-20)
	dirty := run("orders", 7, runlog.Failed)
	dirty.Counts.Dirty, dirty.DDL = 40, []runlog.DDL{{Kind: "AddColumn"}, {Kind: "AddColumn"}}
	dirty.PeakMemoryMB, dirty.MemoryMB, dirty.TimeoutMS = 450, 512, 60000
	old := run("orders", -45, runlog.Failed) // outside a 30 minute window at minute 10
	old.Counts.Dirty = 1000
	recs := []runlog.Record{run("orders", 1, runlog.Succeeded), dirty, withLag, late, run("orders", 10, runlog.Failed), run("orders", 10, runlog.Failed), old}
	cases := []struct {
		metric Metric
		want   float64
	}{
		{Heartbeat, 60},  // the last success finished at minute 9
		{Failures, 2},    // two failures after it
		{Delay, 30 * 60}, // data time -20 seen at minute 10
		{Lag, 5000},      // the newest run that knows it
		{Failover, 3},    // failures within 30 minutes
		{DDLEvents, 2},
		{Dirty, 40},
		{Memory, 450.0 / 512 * 100},
		{Duration, 30.0 / 60 * 100},
	}
	h := newHistory(recs)
	for _, tc := range cases {
		r := rule(tc.metric, 0)
		got, ok := measure(&r, h.upTo("orders", at(10)), at(10), at(0))
		if !ok || got != tc.want {
			t.Errorf("%s = %v (ok %v), want %v", tc.metric, got, ok, tc.want)
		}
	}
	// Without data: no lag, no delay, failures unknown; heartbeat counts from the first look.
	for _, m := range []Metric{Lag, Delay, Failures} {
		r := rule(m, 0)
		if _, ok := measure(&r, nil, at(10), at(0)); ok {
			t.Errorf("%s has a value without records", m)
		}
	}
	r := rule(Heartbeat, 0)
	if v, _ := measure(&r, nil, at(10), at(3)); v != 7*60 {
		t.Errorf("heartbeat without records = %v, want 7 minutes since the first look", v)
	}
	if v, _ := measure(&r, []runlog.Record{run("orders", 5, runlog.Failed)}, at(10), at(6)); v != 5*60+30 {
		t.Errorf("heartbeat with only failures = %v, want the time since the first run started", v)
	}
}

func TestRulesFireHoldForAndRecover(t *testing.T) {
	succeedEvery5 := func(until int) []runlog.Record {
		var rs []runlog.Record
		for m := 0; m <= until; m += 5 {
			rs = append(rs, run("orders", m, runlog.Succeeded))
		}
		return rs
	}
	cases := []struct {
		name  string
		rules []Rule
		recs  []runlog.Record
		last  int
		want  string
	}{
		{"heartbeat fires once the last success is older than the threshold, and recovers",
			[]Rule{rule(Heartbeat, 600)}, append(succeedEvery5(10), run("orders", 24, runlog.Succeeded)), 30,
			"21:firing 24:resolved"},
		// The condition starts at minute 21 and has held for 3 minutes at 24.
		{"for: the condition must hold for the duration",
			[]Rule{rule(Heartbeat, 600, func(r *Rule) { r.For = 3 * time.Minute })}, append(succeedEvery5(10), run("orders", 25, runlog.Succeeded)), 30,
			"24:firing 25:resolved"},
		{"for longer than the outage: nothing",
			[]Rule{rule(Heartbeat, 600, func(r *Rule) { r.For = 5 * time.Minute })}, append(succeedEvery5(10), run("orders", 24, runlog.Succeeded)), 30,
			""},
		{"a reminder every inhibition interval while it holds",
			[]Rule{rule(Heartbeat, 600)}, succeedEvery5(10), 32,
			"21:firing 26:firing:repeat 31:firing:repeat"},
		{"no reminders when the rule says so",
			[]Rule{rule(Heartbeat, 600, func(r *Rule) { r.Repeat = false })}, append(succeedEvery5(10), run("orders", 34, runlog.Succeeded)), 40,
			"21:firing 34:resolved"},
		{"no recovery notice when the rule says so",
			[]Rule{rule(Heartbeat, 600, func(r *Rule) { r.Recovery = false })}, append(succeedEvery5(10), run("orders", 24, runlog.Succeeded)), 30,
			"21:firing"},
		{"threshold is exclusive", []Rule{rule(Heartbeat, 300)}, succeedEvery5(30), 30, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := trace(evaluateEachMinute(tc.rules, tc.recs, tc.last)); got != tc.want {
				t.Errorf("notices %q, want %q", got, tc.want)
			}
		})
	}
}

// A job that fails and succeeds in turn every minute must not send a notice per flip: one firing
// notice per inhibition interval at most, and recoveries only for announced alerts.
func TestInhibitionKeepsAFlappingJobFromFlooding(t *testing.T) {
	var recs []runlog.Record
	for m := 1; m <= 30; m++ {
		st := runlog.Succeeded
		if m%2 == 1 {
			st = runlog.Failed
		}
		recs = append(recs, run("orders", m, st))
	}
	r := rule(Failures, 0) // fires on any failure at the head
	got := evaluateEachMinute([]Rule{r}, recs, 30)
	if want := "1:firing 2:resolved 7:firing 8:resolved 13:firing 14:resolved 19:firing 20:resolved 25:firing 26:resolved"; trace(got) != want {
		t.Errorf("notices %q,\nwant %q", trace(got), want)
	}
	r.Inhibit = 0
	if n := len(evaluateEachMinute([]Rule{r}, recs, 30)); n != 30 {
		t.Errorf("without inhibition %d notices, want one per flip (30)", n)
	}
}

func TestRulesForEveryJobFollowEachJobAndForgetQuietOnes(t *testing.T) {
	a := run("a", 1, runlog.Failed)
	a.DDL = []runlog.DDL{{Kind: "AddColumn"}}
	b := run("b", 3, runlog.Failed)
	b.DDL = []runlog.DDL{{Kind: "AddColumn"}}
	r := rule(DDLEvents, 0, func(r *Rule) { r.Job, r.Window, r.Repeat = AnyJob, 10*time.Minute, false })
	e := NewEvaluator([]Rule{r}, nil)
	var got []Notice
	for m := 0; m <= 20; m++ {
		recs := []runlog.Record{a, b}
		if m >= 15 {
			recs = nil // the records expired: the alerts still recover
		}
		got = append(got, e.Evaluate(at(m), recs)...)
	}
	if want := "1:firing:a 3:firing:b 11:resolved:a 13:resolved:b"; trace(got) != want {
		t.Errorf("notices %q, want %q", trace(got), want)
	}
	if len(e.State()) != 0 {
		t.Errorf("state keeps quiet jobs that are gone: %v", e.State())
	}
}

func TestEvaluatorStateSurvivesARestartAndDropsRemovedRules(t *testing.T) {
	recs := []runlog.Record{run("orders", 0, runlog.Succeeded)}
	r := rule(Heartbeat, 600)
	e := NewEvaluator([]Rule{r}, nil)
	if got := trace(e.Evaluate(at(11), recs)); got != "11:firing" {
		t.Fatalf("first evaluation: %q", got)
	}
	st := e.State()
	st["gone/orders"] = Entry{Firing: true, Announced: true}
	e2 := NewEvaluator([]Rule{r}, st)
	if got := trace(e2.Evaluate(at(13), recs)); got != "" {
		t.Errorf("a restarted evaluator repeated an inhibited notice: %q", got)
	}
	if got := trace(e2.Evaluate(at(16), recs)); got != "16:firing:repeat" {
		t.Errorf("after the interval: %q", got)
	}
	if _, ok := e2.State()["gone/orders"]; ok {
		t.Errorf("state of a removed rule was kept")
	}
}

func TestReplayEvaluatesAtEveryStepAndRecord(t *testing.T) {
	recs := []runlog.Record{run("orders", 0, runlog.Succeeded), run("orders", 30, runlog.Succeeded)}
	got, err := Replay([]Rule{rule(Heartbeat, 600, func(r *Rule) { r.For = 2 * time.Minute })}, recs, at(0), at(40), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if want := "13:firing 18:firing:repeat 23:firing:repeat 28:firing:repeat 30:resolved"; trace(got) != want {
		t.Errorf("Replay = %q, want %q", trace(got), want)
	}
	if _, err := Replay(nil, nil, at(10), at(0), 0); err == nil {
		t.Errorf("Replay accepted an end before its start")
	}
	if _, err := Replay(nil, nil, at(0), at(0).Add(1000*time.Hour), time.Millisecond); err == nil {
		t.Errorf("Replay accepted billions of steps")
	}
}

func TestNoticeTextSaysWhatHappened(t *testing.T) {
	n := Notice{Kind: Firing, Rule: "hb", Job: "orders_5min", Metric: Heartbeat, Severity: Critical, Value: 1260, Threshold: 900,
		Since: at(21), At: at(27), Repeat: true}
	if got, want := n.Summary(), "[CRITICAL] orders_5min heartbeat: time since the last successful run 21m0s, over 15m0s since 2024-06-01T10:21:00Z (reminder) (rule hb, at 2024-06-01T10:27:00Z)"; got != want {
		t.Errorf("Summary:\n got %q\nwant %q", got, want)
	}
	n.Kind, n.Metric, n.Value, n.Threshold = Resolved, Dirty, 3, 100
	if got, want := n.Summary(), "[RESOLVED] orders_5min dirty: dirty records in the window 3, back within the CRITICAL threshold 100 (rule hb, at 2024-06-01T10:27:00Z)"; got != want {
		t.Errorf("Summary:\n got %q\nwant %q", got, want)
	}
	if md := n.Markdown([]string{"139", "138"}); !strings.HasSuffix(md, "@138 @139") || !strings.HasPrefix(md, "### [RESOLVED] orders_5min dirty\n") {
		t.Errorf("Markdown:\n%s", md)
	}
}

func BenchmarkEvaluate(b *testing.B) {
	c, err := LoadConfig("testdata/rules.yaml")
	if err != nil {
		b.Fatal(err)
	}
	var recs []runlog.Record
	for j := range 20 {
		for m := range 100 {
			recs = append(recs, run(fmt.Sprintf("job%d", j), m, runlog.Succeeded))
		}
	}
	e := NewEvaluator(c.Rules, nil)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		e.Evaluate(at(100+i), recs)
	}
}
