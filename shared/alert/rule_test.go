package alert

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseConfigReadsEveryRuleField(t *testing.T) {
	c, err := LoadConfig("testdata/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Inhibit != 5*time.Minute || len(c.Rules) != 9 || len(c.Channels) != 2 {
		t.Fatalf("config: inhibit %s, %d rules, %d channels", c.Inhibit, len(c.Rules), len(c.Channels))
	}
	want := map[string]Rule{
		"batch-heartbeat": {Name: "batch-heartbeat", Job: "orders_5min", Metric: Heartbeat, Threshold: 900, Severity: Critical,
			Inhibit: 5 * time.Minute, Recovery: true, Repeat: true, Channels: []string{"ops", "pager"}},
		"batch-failures": {Name: "batch-failures", Job: "orders_5min", Metric: Failures, Threshold: 2, Severity: Warning,
			For: 5 * time.Minute, Inhibit: 5 * time.Minute, Recovery: true, Repeat: true, Channels: []string{"ops"}},
		"ddl": {Name: "ddl", Job: AnyJob, Metric: DDLEvents, Threshold: 0, Severity: Warning, Window: DefaultWindow,
			Inhibit: 5 * time.Minute, Recovery: false, Channels: []string{"ops"}},
		"dirty": {Name: "dirty", Job: AnyJob, Metric: Dirty, Threshold: 100, Severity: Warning, Window: time.Hour,
			Inhibit: 15 * time.Minute, Recovery: true, Repeat: true, Channels: []string{"pager"}},
		"duration": {Name: "duration", Job: AnyJob, Metric: Duration, Threshold: 80, Severity: Warning, Window: DefaultWindow,
			Inhibit: 5 * time.Minute, Recovery: true, Repeat: false, Channels: []string{}},
	}
	for _, r := range c.Rules {
		if w, ok := want[r.Name]; ok && !reflect.DeepEqual(r, w) {
			t.Errorf("rule %s =\n%+v\nwant\n%+v", r.Name, r, w)
		}
	}
	ops := c.Channels["ops"]
	if ops.Type != "dingtalk" || ops.Webhook != "${DINGTALK_WEBHOOK}" || ops.MsgType != "markdown" || ops.AtMobiles[0] != "13800000000" {
		t.Errorf("channel ops = %+v", ops)
	}
	if got := c.Lookback(); got != 2*time.Hour {
		t.Errorf("Lookback = %s, want the dirty rule's 1h window plus an hour", got)
	}
}

func TestParseConfigErrorsNameTheField(t *testing.T) {
	base := "channels: {ops: {type: webhook, url: 'http://h/x'}}\nrules:\n"
	cases := []struct{ name, yaml, want string }{
		{"unknown top field", "rule: []", `rule: unknown field`},
		{"rules not a list", "rules: {a: 1}", `rules: want a list of rules`},
		{"unknown rule field", base + "  - {name: a, job: j, metric: dirty, threshold: 1, treshold: 2}", `rules[0].treshold: unknown field`},
		{"unknown metric", base + "  - {name: a, job: j, metric: latency, threshold: 1}", `rules[0].metric: "latency"`},
		{"bad severity", base + "  - {name: a, job: j, metric: dirty, threshold: 1, severity: INFO}", `rules[0].severity: "INFO": want WARNING or CRITICAL`},
		{"missing threshold", base + "  - {name: a, job: j, metric: dirty}", `rules[0].threshold: required`},
		{"negative threshold", base + "  - {name: a, job: j, metric: dirty, threshold: -1}", `rules[0].threshold: -1`},
		{"count threshold as a duration", base + "  - {name: a, job: j, metric: dirty, threshold: 5m}", `rules[0].threshold: want a number`},
		{"time threshold not a duration", base + "  - {name: a, job: j, metric: heartbeat, threshold: soon}", `rules[0].threshold: want a duration`},
		{"huge time threshold", base + "  - {name: a, job: j, metric: heartbeat, threshold: 1e300}", `more than a year`},
		{"bad for", base + "  - {name: a, job: j, metric: dirty, threshold: 1, for: 5}", `rules[0].for: want a duration`},
		{"negative inhibit", base + "  - {name: a, job: j, metric: dirty, threshold: 1, inhibit: -1m}", `rules[0].inhibit: "-1m"`},
		{"window on a point metric", base + "  - {name: a, job: j, metric: lag, threshold: 1, window: 5m}", `rules[0].window: metric lag is not computed over a window`},
		{"unknown channel", base + "  - {name: a, job: j, metric: dirty, threshold: 1, channels: [sms]}", `rules[0].channels[0]: no channel named "sms"`},
		{"duplicate rule", base + "  - {name: a, job: j, metric: dirty, threshold: 1}\n  - {name: a, job: k, metric: dirty, threshold: 1}", `rules[1].name: "a" is used`},
		{"rule name with a slash", base + "  - {name: a/b, job: j, metric: dirty, threshold: 1}", `rules[0].name: "a/b"`},
		{"job escaping", base + "  - {name: a, job: '..', metric: dirty, threshold: 1}", `rules[0].job: ".."`},
		{"channel type", "channels: {ops: {type: sms}}\nrules: []", `channels.ops.type: "sms"`},
		{"dingtalk field", "channels: {ops: {type: dingtalk, webhook: x, token: y}}\nrules: []", `channels.ops.token: unknown field`},
		{"dingtalk msgtype", "channels: {ops: {type: dingtalk, webhook: x, msgtype: card}}\nrules: []", `channels.ops.msgtype: "card"`},
		{"dingtalk webhook", "channels: {ops: {type: dingtalk, secret: x}}\nrules: []", `channels.ops.webhook: required`},
		{"webhook url", "channels: {ops: {type: webhook}}\nrules: []", `channels.ops.url: required`},
		{"not yaml", "rules: [", `alert rules: yaml`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestBuildChannelsReadsSecretsFromTheEnvironmentAndNeverPrintsThem(t *testing.T) {
	c, err := LoadConfig("testdata/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DINGTALK_WEBHOOK": "https://oapi.dingtalk.com/robot/send?access_token=tok-123456",
		"DINGTALK_SECRET": "SECabcdef", "PAGER_URL": "https://pager.example/hook/path-token-987", "PAGER_TOKEN": "bearer-654321"}
	chans, err := c.BuildChannels(func(k string) string { return env[k] })
	if err != nil || len(chans) != 2 {
		t.Fatalf("BuildChannels: %v %v", chans, err)
	}
	delete(env, "PAGER_TOKEN")
	_, err = c.BuildChannels(func(k string) string { return env[k] })
	if err == nil || err.Error() != "channels.pager.headers.Authorization: environment variable PAGER_TOKEN is not set" {
		t.Errorf("missing variable: %v", err)
	}
	env["PAGER_TOKEN"], env["PAGER_URL"] = "bearer-654321", "ftp://user:pw-4444@h/x"
	_, err = c.BuildChannels(func(k string) string { return env[k] })
	if err == nil || strings.Contains(err.Error(), "pw-4444") || !strings.Contains(err.Error(), "channels.pager.url") {
		t.Errorf("bad URL: %v", err)
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("rules: [{name: a, job: '*', metric: dirty, threshold: 1, window: 5m}]"))
	f.Add([]byte("channels: {x: {type: webhook, url: 'http://h/'}}\nrules: [{name: c, job: j, metric: delay, threshold: {WARNING: 1m, CRITICAL: 2m}, for: {WARNING: 1m, CRITICAL: 0}, notify: {WARNING: [x], CRITICAL: []}, enabled: false}]"))
	f.Add([]byte("inhibit: 1h\nchannels: {x: {type: dingtalk, webhook: 'https://h/?access_token=1'}}\nrules: [{name: b, job: j, metric: heartbeat, threshold: 10m, channels: [x]}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		for _, r := range c.Rules {
			if r.Threshold < 0 || r.For < 0 || r.Window < 0 || r.Inhibit < 0 || (r.Windowed() && r.Window == 0) {
				t.Fatalf("accepted rule %+v", r)
			}
			lv := r.Conditions()
			for i, l := range lv {
				if l.Threshold < 0 || l.For < 0 || l.For > r.For || (i > 0 && (l.Threshold < lv[i-1].Threshold || l.Severity == lv[i-1].Severity)) {
					t.Fatalf("accepted levels %+v", lv)
				}
			}
		}
		_ = c.Lookback()
	})
}

// `enabled` and the per-severity forms of threshold and notify parse to levels; the format
// before them parses as it did (no Levels: one level of Severity, Threshold and Channels).
func TestParseConfigReadsEnabledAndRecipientsPerSeverity(t *testing.T) {
	const chans = "channels: {team: {type: webhook, url: 'http://h/t'}, oncall: {type: webhook, url: 'http://h/o'}}\nrules:\n  - "
	base := func(mod func(*Rule)) Rule {
		r := Rule{Name: "d", Job: "orders", Metric: Delay, Severity: Warning, Threshold: 600, Inhibit: DefaultInhibit,
			Recovery: true, Repeat: true, Channels: []string{"team"}}
		mod(&r)
		return r
	}
	cases := []struct {
		name, rule string
		want       Rule
		levels     []Level // Conditions()
	}{
		{"the format before levels", "{name: d, job: orders, metric: delay, threshold: 10m, channels: [team]}",
			base(func(*Rule) {}), []Level{{Warning, 600, []string{"team"}, 0}}},
		{"enabled: false", "{name: d, job: orders, metric: delay, threshold: 10m, channels: [team], enabled: false}",
			base(func(r *Rule) { r.Disabled = true }), []Level{{Warning, 600, []string{"team"}, 0}}},
		{"enabled as script-mode text", "{name: d, job: orders, metric: delay, threshold: 10m, channels: [team], enabled: 'false'}",
			base(func(r *Rule) { r.Disabled = true }), []Level{{Warning, 600, []string{"team"}, 0}}},
		{"a threshold and recipients per severity",
			"{name: d, job: orders, metric: delay, threshold: {WARNING: 10m, CRITICAL: 30m}, notify: {WARNING: [team], CRITICAL: [team, oncall]}}",
			base(func(r *Rule) {
				r.Channels = []string{"team", "oncall"}
				r.Levels = []Level{{Warning, 600, []string{"team"}, 0}, {Critical, 1800, []string{"team", "oncall"}, 0}}
			}), []Level{{Warning, 600, []string{"team"}, 0}, {Critical, 1800, []string{"team", "oncall"}, 0}}},
		{"a threshold per severity, the same channels for both",
			"{name: d, job: orders, metric: delay, threshold: {critical: 1800, warning: 600}, channels: [team]}",
			base(func(r *Rule) {
				r.Levels = []Level{{Warning, 600, []string{"team"}, 0}, {Critical, 1800, []string{"team"}, 0}}
			}), []Level{{Warning, 600, []string{"team"}, 0}, {Critical, 1800, []string{"team"}, 0}}},
		{"one severity by notify", "{name: d, job: orders, metric: delay, threshold: 10m, severity: critical, notify: {CRITICAL: [oncall]}}",
			base(func(r *Rule) {
				r.Severity, r.Channels = Critical, []string{"oncall"}
				r.Levels = []Level{{Critical, 600, []string{"oncall"}, 0}}
			}), []Level{{Critical, 600, []string{"oncall"}, 0}}},
		{"a `for` per severity", "{name: d, job: orders, metric: delay, threshold: {WARNING: 10m, CRITICAL: 30m}, for: {WARNING: 5m, CRITICAL: 15m}, channels: [team]}",
			base(func(r *Rule) {
				r.For = 15 * time.Minute
				r.Levels = []Level{{Warning, 600, []string{"team"}, 5 * time.Minute}, {Critical, 1800, []string{"team"}, 15 * time.Minute}}
			}), []Level{{Warning, 600, []string{"team"}, 5 * time.Minute}, {Critical, 1800, []string{"team"}, 15 * time.Minute}}},
		{"one `for` for both severities", "{name: d, job: orders, metric: delay, threshold: {WARNING: 10m, CRITICAL: 30m}, for: 5m, channels: [team]}",
			base(func(r *Rule) {
				r.For = 5 * time.Minute
				r.Levels = []Level{{Warning, 600, []string{"team"}, 5 * time.Minute}, {Critical, 1800, []string{"team"}, 5 * time.Minute}}
			}), []Level{{Warning, 600, []string{"team"}, 5 * time.Minute}, {Critical, 1800, []string{"team"}, 5 * time.Minute}}},
		{"ddl: no recovery notice unless asked (an event does not end)", "{name: d, job: orders, metric: ddl, threshold: 0, channels: [team]}",
			Rule{Name: "d", Job: "orders", Metric: DDLEvents, Severity: Warning, Window: DefaultWindow, Inhibit: DefaultInhibit, Channels: []string{"team"}},
			[]Level{{Warning, 0, []string{"team"}, 0}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(chans + tc.rule))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Rules[0]; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("rule =\n%+v\nwant\n%+v", got, tc.want)
			}
			if got := c.Rules[0].Conditions(); !reflect.DeepEqual(got, tc.levels) {
				t.Errorf("Conditions = %+v, want %+v", got, tc.levels)
			}
		})
	}
}

// A disabled rule is still checked (a typo is caught before it is switched on), and an error
// about a rule names the rule as well as the field.
func TestParseConfigRuleErrorsNameTheRuleAndField(t *testing.T) {
	base := "channels: {ops: {type: webhook, url: 'http://h/x'}, pager: {type: webhook, url: 'http://h/y'}}\nrules:\n  - "
	cases := []struct{ name, rule, want string }{
		{"unknown field", "{name: orders-delay, job: j, metric: delay, threshold: 1, treshold: 2}", `rule orders-delay: rules[0].treshold: unknown field`},
		{"unknown field of a disabled rule", "{name: a, job: j, metric: dirty, threshold: 1, enabled: false, chanels: [ops]}", `rule a: rules[0].chanels: unknown field`},
		{"unknown channel of a disabled rule", "{name: a, job: j, metric: dirty, threshold: 1, enabled: false, channels: [opz]}", `rule a: rules[0].channels[0]: no channel named "opz"`},
		{"bad metric of a disabled rule", "{name: a, job: j, metric: latency, threshold: 1, enabled: false}", `rule a: rules[0].metric: "latency"`},
		{"enabled not a boolean", "{name: a, job: j, metric: dirty, threshold: 1, enabled: sometimes}", `rule a: rules[0].enabled`},
		{"threshold for an unknown severity", "{name: a, job: j, metric: dirty, threshold: {WARNING: 1, FATAL: 2}}", `rule a: rules[0].threshold.FATAL: "FATAL": want WARNING or CRITICAL`},
		{"threshold given twice", "{name: a, job: j, metric: dirty, threshold: {WARNING: 1, warning: 2}}", `rules[0].threshold.warning: WARNING is given twice`},
		{"empty threshold map", "{name: a, job: j, metric: dirty, threshold: {}}", `rules[0].threshold: want a threshold for WARNING, CRITICAL or both`},
		{"a level's bad threshold", "{name: a, job: j, metric: delay, threshold: {WARNING: 10m, CRITICAL: soon}}", `rules[0].threshold.CRITICAL: want a duration`},
		{"CRITICAL below WARNING", "{name: a, job: j, metric: delay, threshold: {WARNING: 30m, CRITICAL: 10m}}", `rules[0].threshold.CRITICAL: 10m0s is below the WARNING threshold 30m0s`},
		{"severity beside a threshold per severity", "{name: a, job: j, metric: dirty, threshold: {CRITICAL: 1}, severity: CRITICAL}", `rules[0].severity: not with a threshold per severity`},
		{"channels and notify", "{name: a, job: j, metric: dirty, threshold: 1, channels: [ops], notify: {WARNING: [ops]}}", `rule a: rules[0]: channels and notify: give one`},
		{"notify for a severity the rule lacks", "{name: a, job: j, metric: dirty, threshold: 1, notify: {WARNING: [ops], CRITICAL: [pager]}}", `rules[0].notify.CRITICAL: the rule has no CRITICAL threshold`},
		{"notify without a level", "{name: a, job: j, metric: dirty, threshold: {WARNING: 1, CRITICAL: 5}, notify: {CRITICAL: [pager]}}", `rules[0].notify: no entry for WARNING`},
		{"notify for an unknown severity", "{name: a, job: j, metric: dirty, threshold: 1, notify: {INFO: [ops]}}", `rules[0].notify.INFO: "INFO": want WARNING or CRITICAL`},
		{"notify names an unknown channel", "{name: a, job: j, metric: dirty, threshold: {WARNING: 1, CRITICAL: 5}, notify: {WARNING: [ops], CRITICAL: [ops, sms]}}", `rule a: rules[0].notify.CRITICAL[1]: no channel named "sms"`},
		{"for of a severity the rule lacks", "{name: a, job: j, metric: dirty, threshold: 1, for: {CRITICAL: 5m}}", `rule a: rules[0].for.CRITICAL: the rule has no CRITICAL threshold`},
		{"for without a level", "{name: a, job: j, metric: dirty, threshold: {WARNING: 1, CRITICAL: 5}, for: {WARNING: 5m}}", `rules[0].for: no entry for CRITICAL`},
		{"a level's bad for", "{name: a, job: j, metric: dirty, threshold: {WARNING: 1, CRITICAL: 5}, for: {WARNING: 5m, CRITICAL: soon}}", `rules[0].for.CRITICAL: "soon"`},
		{"notify not a map", "{name: a, job: j, metric: dirty, threshold: 1, notify: [ops]}", `rules[0].notify: want`},
		{"a nameless rule is named by its place", "{job: j, metric: dirty, threshold: 1}", `rules[0].name`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(base + tc.rule))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}
