package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/runlog"
	"github.com/fcsync/fcsync/shared/state"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/name.golden (go test -update rewrites it).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s:\n%s", name, path, got)
	}
}

// levelTrace renders notices as "minute:kind[:repeat]:SEVERITY>channels".
func levelTrace(ns []Notice) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = fmt.Sprintf("%d:%s", int(n.At.Sub(t0)/time.Minute), n.Kind)
		if n.Repeat {
			parts[i] += ":repeat"
		}
		parts[i] += ":" + string(n.Severity) + ">" + strings.Join(n.Channels, ",")
	}
	return strings.Join(parts, " ")
}

const levelChannels = "channels: {warn: {type: webhook, url: 'http://h/w'}, crit: {type: webhook, url: 'http://h/c'}}\nrules:\n"

// The job succeeds at minutes 0, 5 and 10 and then not until minute back: its heartbeat passes
// 10 minutes at minute 21 and 20 minutes at minute 31.
func TestSeverityLevelsNotifyTheirOwnRecipientsAndRecoverToThem(t *testing.T) {
	outage := func(back int) []runlog.Record {
		return []runlog.Record{run("orders", 0, runlog.Succeeded), run("orders", 5, runlog.Succeeded),
			run("orders", 10, runlog.Succeeded), run("orders", back, runlog.Succeeded)}
	}
	const both = "{name: hb, job: orders, metric: heartbeat, threshold: {WARNING: 10m, CRITICAL: 20m}, notify: {WARNING: [warn], CRITICAL: [warn, crit]}}"
	cases := []struct {
		name string
		rule string
		back int
		want string
	}{
		// warn is a recipient of both levels: at 31 it hears CRITICAL (not also a WARNING reminder),
		// at 34 one recovery, WARNING's (within the lower threshold is within both).
		{"an outage past both thresholds: each level fires and recovers to its own recipients, a shared one hears once", both, 34,
			"21:firing:WARNING>warn 26:firing:repeat:WARNING>warn 31:firing:CRITICAL>warn,crit " +
				"34:resolved:WARNING>warn 34:resolved:CRITICAL>crit"},
		// CRITICAL fires at 33, between WARNING's reminders: warn hears no more WARNING reminders
		// while CRITICAL holds (crit never hears WARNING at all).
		{"a channel both levels share hears no lower reminders while the higher level holds",
			"{name: hb, job: orders, metric: heartbeat, threshold: {WARNING: 10m, CRITICAL: 22m}, notify: {WARNING: [warn], CRITICAL: [warn, crit]}}", 45,
			"21:firing:WARNING>warn 26:firing:repeat:WARNING>warn 31:firing:repeat:WARNING>warn 33:firing:CRITICAL>warn,crit " +
				"38:firing:repeat:CRITICAL>warn,crit 43:firing:repeat:CRITICAL>warn,crit 45:resolved:WARNING>warn 45:resolved:CRITICAL>crit"},
		{"an outage past WARNING only: CRITICAL's recipients hear nothing, not even the recovery", both, 25,
			"21:firing:WARNING>warn 25:resolved:WARNING>warn"},
		{"only a CRITICAL threshold", "{name: hb, job: orders, metric: heartbeat, threshold: {critical: 20m}, notify: {CRITICAL: [crit]}}", 34,
			"31:firing:CRITICAL>crit 34:resolved:CRITICAL>crit"},
		{"one threshold with notify for its severity", "{name: hb, job: orders, metric: heartbeat, threshold: 10m, severity: CRITICAL, notify: {CRITICAL: [crit]}}", 25,
			"21:firing:CRITICAL>crit 25:resolved:CRITICAL>crit"},
		{"the format before levels: severity, threshold and channels", "{name: hb, job: orders, metric: heartbeat, threshold: 10m, severity: CRITICAL, channels: [warn, crit]}", 25,
			"21:firing:CRITICAL>warn,crit 25:resolved:CRITICAL>warn,crit"},
		{"the same levels with `for`: each level waits for it", "{name: hb, job: orders, metric: heartbeat, threshold: {WARNING: 10m, CRITICAL: 20m}, for: 2m, notify: {WARNING: [warn], CRITICAL: [crit]}}", 34,
			"23:firing:WARNING>warn 28:firing:repeat:WARNING>warn 33:firing:repeat:WARNING>warn 33:firing:CRITICAL>crit " +
				"34:resolved:WARNING>warn 34:resolved:CRITICAL>crit"},
		// DataWorks gives each trigger condition its own duration: WARNING at once, CRITICAL after
		// the heartbeat has been past 20 minutes for 5 more.
		{"a `for` per severity", "{name: hb, job: orders, metric: heartbeat, threshold: {WARNING: 10m, CRITICAL: 20m}, for: {WARNING: 0, CRITICAL: 5m}, notify: {WARNING: [warn], CRITICAL: [crit]}}", 40,
			"21:firing:WARNING>warn 26:firing:repeat:WARNING>warn 31:firing:repeat:WARNING>warn 36:firing:repeat:WARNING>warn 36:firing:CRITICAL>crit " +
				"40:resolved:WARNING>warn 40:resolved:CRITICAL>crit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(levelChannels + "  - " + tc.rule))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Replay(cfg.Rules, outage(tc.back), at(0), at(tc.back+5), time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if levelTrace(got) != tc.want {
				t.Errorf("notices\n %q\nwant\n %q", levelTrace(got), tc.want)
			}
		})
	}
}

// A business delay that rises past both thresholds and falls back in two steps: the higher level
// recovers first, and from then on the channel both levels share hears WARNING's reminders again.
func TestALevelRecoversWhileTheLowerOneHolds(t *testing.T) {
	delayAt := func(min int) time.Duration {
		switch {
		case min < 5:
			return 5 * time.Minute
		case min < 15:
			return 25 * time.Minute
		case min < 30:
			return 15 * time.Minute
		}
		return 0
	}
	var recs []runlog.Record
	for m := 0; m <= 35; m++ {
		r := run("orders", m, runlog.Succeeded)
		r.DataTime = at(m).Add(-delayAt(m))
		recs = append(recs, r)
	}
	cases := []struct{ name, rule, want string }{
		{"a channel shared by both levels",
			"{name: d, job: orders, metric: delay, threshold: {WARNING: 10m, CRITICAL: 20m}, notify: {WARNING: [warn], CRITICAL: [warn, crit]}}",
			"5:firing:CRITICAL>warn,crit 10:firing:repeat:CRITICAL>warn,crit 15:firing:repeat:WARNING>warn 15:resolved:CRITICAL>warn,crit " +
				"20:firing:repeat:WARNING>warn 25:firing:repeat:WARNING>warn 30:resolved:WARNING>warn"},
		{"channels of their own",
			"{name: d, job: orders, metric: delay, threshold: {WARNING: 10m, CRITICAL: 20m}, notify: {WARNING: [warn], CRITICAL: [crit]}}",
			"5:firing:WARNING>warn 5:firing:CRITICAL>crit 10:firing:repeat:WARNING>warn 10:firing:repeat:CRITICAL>crit 15:firing:repeat:WARNING>warn 15:resolved:CRITICAL>crit " +
				"20:firing:repeat:WARNING>warn 25:firing:repeat:WARNING>warn 30:resolved:WARNING>warn"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(levelChannels + "  - " + tc.rule))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Replay(cfg.Rules, recs, at(0), at(35), time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if levelTrace(got) != tc.want {
				t.Errorf("notices\n %q\nwant\n %q", levelTrace(got), tc.want)
			}
		})
	}
}

// `enabled: false` switches a rule off without deleting it: it never fires, not for one job nor
// for every job, and forgets its state, so switching it on again starts afresh (no recovery
// notice for an alert announced before it was switched off).
func TestDisabledRulesNeverFireAndForgetTheirState(t *testing.T) {
	recs := []runlog.Record{run("orders", 0, runlog.Succeeded), run("orders", 30, runlog.Succeeded)}
	dirty := run("other", 3, runlog.Failed)
	dirty.Counts.Dirty = 50
	recs = append(recs, dirty)
	cases := []struct {
		name, rules, want string
	}{
		{"enabled by default", "  - {name: hb, job: orders, metric: heartbeat, threshold: 10m, channels: [warn]}",
			"11:firing:WARNING>warn 16:firing:repeat:WARNING>warn 21:firing:repeat:WARNING>warn 26:firing:repeat:WARNING>warn 30:resolved:WARNING>warn"},
		{"enabled: true", "  - {name: hb, job: orders, metric: heartbeat, threshold: 10m, channels: [warn], enabled: true}",
			"11:firing:WARNING>warn 16:firing:repeat:WARNING>warn 21:firing:repeat:WARNING>warn 26:firing:repeat:WARNING>warn 30:resolved:WARNING>warn"},
		{"enabled: false", "  - {name: hb, job: orders, metric: heartbeat, threshold: 10m, channels: [warn], enabled: false}", ""},
		{"a disabled rule for every job", "  - {name: dirty, job: '*', metric: dirty, threshold: 0, channels: [crit], enabled: false}", ""},
		{"a disabled rule with levels beside an enabled one",
			"  - {name: hb, job: orders, metric: heartbeat, threshold: {WARNING: 10m, CRITICAL: 20m}, notify: {WARNING: [warn], CRITICAL: [crit]}, enabled: false}\n" +
				"  - {name: dirty, job: '*', metric: dirty, threshold: 0, window: 10m, repeat: false, channels: [crit]}",
			"3:firing:WARNING>crit 13:resolved:WARNING>crit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(levelChannels + tc.rules))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Replay(cfg.Rules, recs, at(0), at(40), time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if levelTrace(got) != tc.want {
				t.Errorf("notices\n %q\nwant\n %q", levelTrace(got), tc.want)
			}
		})
	}

	on, err := ParseConfig([]byte(levelChannels + "  - {name: hb, job: orders, metric: heartbeat, threshold: 10m, channels: [warn]}"))
	if err != nil {
		t.Fatal(err)
	}
	off, err := ParseConfig([]byte(levelChannels + "  - {name: hb, job: orders, metric: heartbeat, threshold: 10m, channels: [warn], enabled: false}"))
	if err != nil {
		t.Fatal(err)
	}
	e := NewEvaluator(on.Rules, nil)
	if got := levelTrace(e.Evaluate(at(11), recs[:1])); got != "11:firing:WARNING>warn" {
		t.Fatalf("enabled: %q", got)
	}
	e = NewEvaluator(off.Rules, e.State())
	if got := levelTrace(e.Evaluate(at(30), recs[:2])); got != "" || len(e.State()) != 0 {
		t.Errorf("switched off while firing: notices %q, state %v; want none and none", got, e.State())
	}
}

// The state of each level of a rule with several is its own; a rule of one level keeps the key it
// had before rules had levels, so a state log written by an older fcsync still inhibits.
func TestLevelStateKeys(t *testing.T) {
	cases := []struct {
		rule string
		want []string
	}{
		{"{name: hb, job: orders, metric: heartbeat, threshold: 10m, channels: [warn]}", []string{"hb/orders"}},
		{"{name: hb, job: orders, metric: heartbeat, threshold: {CRITICAL: 10m}, notify: {CRITICAL: [crit]}}", []string{"hb/orders"}},
		{"{name: hb, job: orders, metric: heartbeat, threshold: {WARNING: 5m, CRITICAL: 10m}, notify: {WARNING: [warn], CRITICAL: [crit]}}",
			[]string{"hb/orders/CRITICAL", "hb/orders/WARNING"}},
	}
	for _, tc := range cases {
		cfg, err := ParseConfig([]byte(levelChannels + "  - " + tc.rule))
		if err != nil {
			t.Fatal(err)
		}
		e := NewEvaluator(cfg.Rules, nil)
		e.Evaluate(at(11), []runlog.Record{run("orders", 0, runlog.Succeeded)})
		var keys []string
		for k := range e.State() {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, tc.want) {
			t.Errorf("%s: state keys %v, want %v", tc.rule, keys, tc.want)
		}
	}
}

const robotRules = `
channels:
  team:   {type: dingtalk, webhook: "${TEAM_WEBHOOK}", secret: "${TEAM_SECRET}", msgtype: text}
  oncall: {type: dingtalk, webhook: "${ONCALL_WEBHOOK}", secret: "${ONCALL_SECRET}", atMobiles: ["13800000000"]}
  old:    {type: dingtalk, webhook: "${OLD_WEBHOOK}"}   # only a disabled rule uses it: its variable may be unset
rules:
  - name: orders-heartbeat
    job: orders_5min
    metric: heartbeat
    threshold: {WARNING: 10m, CRITICAL: 20m}
    notify: {WARNING: [team], CRITICAL: [oncall]}
  - {name: old-dirty, job: "*", metric: dirty, threshold: 0, channels: [old], enabled: false}
`

// Two DingTalk robots, each checking its own token and signature: the team's receives the
// WARNING notices and their recovery, the on-call robot the CRITICAL ones and theirs; the
// disabled rule sends nothing though its condition holds. The messages are in the golden file.
func TestSeverityNoticesReachTheirOwnSignedRobots(t *testing.T) {
	ctx := context.Background()
	store := objstore.NewMemory()
	runs := runlog.New(store)
	dirty := run("orders_rt", 1, runlog.Succeeded)
	dirty.Counts.Dirty = 7
	for _, r := range []runlog.Record{run("orders_5min", 0, runlog.Succeeded), dirty} {
		if _, err := runs.Write(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := ParseConfig([]byte(robotRules))
	if err != nil {
		t.Fatal(err)
	}
	robotNow := at(20) // every check below is within the hour DingTalk allows
	team, teamSrv := newDingServer(t, robotNow)
	team.token, team.secret = "team-token-31415", "SECteam2718281828"
	oncall, oncallSrv := newDingServer(t, robotNow)
	oncall.token, oncall.secret = "oncall-token-16180", "SEConcall1414213562"
	env := map[string]string{
		"TEAM_WEBHOOK": teamSrv.URL + "/robot/send?access_token=" + team.token, "TEAM_SECRET": team.secret,
		"ONCALL_WEBHOOK": oncallSrv.URL + "/robot/send?access_token=" + oncall.token, "ONCALL_SECRET": oncall.secret,
	}
	var clock time.Time
	chans, err := cfg.BuildChannels(func(k string) string { return env[k] }, WithClock(func() time.Time { return clock }))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := chans["old"]; ok {
		t.Errorf("the channel only a disabled rule uses was built")
	}
	var logs bytes.Buffer
	m := &Monitor{Runs: runs, State: state.New(store, StateScope), Config: cfg, Channels: chans, Log: slog.New(slog.NewJSONHandler(&logs, nil))}
	var all []Notice
	for min := 0; min <= 30; min++ {
		if min == 27 {
			if _, err := runs.Write(ctx, run("orders_5min", 27, runlog.Succeeded)); err != nil {
				t.Fatal(err)
			}
		}
		clock = at(min)
		ns, err := m.Check(ctx, clock)
		if err != nil {
			t.Fatalf("check at %d: %v", min, err)
		}
		all = append(all, ns...)
	}
	if got, want := levelTrace(all), "11:firing:WARNING>team 16:firing:repeat:WARNING>team 21:firing:repeat:WARNING>team 21:firing:CRITICAL>oncall "+
		"26:firing:repeat:WARNING>team 26:firing:repeat:CRITICAL>oncall 27:resolved:WARNING>team 27:resolved:CRITICAL>oncall"; got != want {
		t.Errorf("notices\n %q\nwant\n %q", got, want)
	}
	var b strings.Builder
	for _, r := range []struct {
		name string
		d    *dingTalk
	}{{"team", team}, {"oncall", oncall}} {
		for _, body := range r.d.received() {
			js, _ := json.MarshalIndent(body, "", "  ")
			fmt.Fprintf(&b, "== robot %s\n%s\n", r.name, js)
		}
	}
	golden(t, "severity_robots", b.String())
	for _, secret := range []string{team.token, team.secret, oncall.token, oncall.secret} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the logs contain %q", secret)
		}
	}
}

// A rule whose levels change keeps the state of the levels it still has and drops the rest, so
// no entry lingers in the state log forever.
func TestStateOfLevelsARuleNoLongerHasIsDropped(t *testing.T) {
	const (
		one = "{name: hb, job: '*', metric: heartbeat, threshold: 10m, channels: [warn]}"
		two = "{name: hb, job: '*', metric: heartbeat, threshold: {WARNING: 10m, CRITICAL: 20m}, channels: [warn]}"
		crt = "{name: hb, job: '*', metric: heartbeat, threshold: {WARNING: 10m}, channels: [warn]}"
	)
	old := State{
		"hb/orders": {Firing: true, Announced: true}, "hb/orders/WARNING": {Firing: true, Announced: true},
		"hb/orders/CRITICAL": {Firing: true}, "hb/orders/INFO": {}, "hb/": {}, "other/orders": {},
	}
	cases := []struct {
		name, rule string
		want       []string
	}{
		{"one level", one, []string{"hb/orders"}},
		{"two levels", two, []string{"hb/orders/CRITICAL", "hb/orders/WARNING"}},
		{"one level given as a map", crt, []string{"hb/orders"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(levelChannels + "  - " + tc.rule))
			if err != nil {
				t.Fatal(err)
			}
			keys := slices.Sorted(maps.Keys(NewEvaluator(cfg.Rules, old).State()))
			if !slices.Equal(keys, tc.want) {
				t.Errorf("kept %v, want %v", keys, tc.want)
			}
		})
	}
}
