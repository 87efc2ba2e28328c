package alert

import (
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/fcsync/fcsync/shared/config"
)

// Severity is how urgent a rule is.
type Severity string

// Severities (DataWorks' levels).
const (
	Warning  Severity = "WARNING"
	Critical Severity = "CRITICAL"
)

// Metric is what a rule watches (see the package documentation).
type Metric string

// Metrics.
const (
	Heartbeat Metric = "heartbeat"
	Failures  Metric = "failures"
	Delay     Metric = "delay"
	Lag       Metric = "lag"
	Failover  Metric = "failover"
	DDLEvents Metric = "ddl"
	Dirty     Metric = "dirty"
	Memory    Metric = "memory"
	Duration  Metric = "duration"
	Stopped   Metric = "stopped"
)

// metricInfo describes a metric: its unit and whether it is computed over the rule's window.
var metricInfo = map[Metric]struct {
	unit     string // "s" (seconds), "%", or "" (a count)
	windowed bool
}{
	Heartbeat: {"s", false}, Failures: {"", false}, Delay: {"s", false}, Lag: {"", false},
	Failover: {"", true}, DDLEvents: {"", true}, Dirty: {"", true}, Memory: {"%", true}, Duration: {"%", true},
	Stopped: {"", false},
}

// AnyJob is the job of a rule that watches every job with records.
const AnyJob = "*"

// Defaults.
const (
	DefaultInhibit = 5 * time.Minute
	DefaultWindow  = 30 * time.Minute
)

// maxDuration bounds every duration and time threshold in a rules file.
const maxDuration = 366 * 24 * time.Hour

// Rule is one alert rule.
type Rule struct {
	Name      string
	Job       string // a job name, or AnyJob
	Metric    Metric
	Disabled  bool          // `enabled: false`: the rule is kept (and validated) but never fires
	Threshold float64       // fires when the value exceeds it; seconds for heartbeat and delay
	Severity  Severity      // default WARNING
	Levels    []Level       // per-severity thresholds and recipients; nil: one level of Severity, Threshold and Channels
	For       time.Duration // how long the condition must hold before the rule fires (0: at once; with Levels: the longest level's)
	Window    time.Duration // the period windowed metrics sum or take the maximum over
	Inhibit   time.Duration // no second firing notice for a job within this interval
	Recovery  bool          // send a recovery notice when the condition clears (default true)
	Repeat    bool          // remind once per inhibition interval while it holds (default true; false for ddl)
	Channels  []string      // names in Config.Channels (with Levels: every level's)
}

// Level is one severity of a rule (DataWorks' trigger condition): its threshold and the channels
// its notices, firing and recovery, go to.
type Level struct {
	Severity  Severity
	Threshold float64
	Channels  []string
	For       time.Duration // how long the condition must hold before the level fires
}

// Conditions is the rule's levels, lowest severity first: Levels, or the one level its Severity,
// Threshold and Channels make.
func (r *Rule) Conditions() []Level {
	if len(r.Levels) > 0 {
		return r.Levels
	}
	return []Level{{Severity: r.Severity, Threshold: r.Threshold, Channels: r.Channels, For: r.For}}
}

// Windowed reports whether the rule's metric is computed over its window.
func (r *Rule) Windowed() bool { return metricInfo[r.Metric].windowed }

// Config is a parsed rules file.
type Config struct {
	Inhibit  time.Duration
	Rules    []Rule
	Channels map[string]ChannelSpec
}

// ChannelSpec is a channel as the rules file gives it; ${NAME} references to environment
// variables are still unexpanded (Config.BuildChannels expands them).
type ChannelSpec struct {
	Name      string
	Type      string // dingtalk or webhook
	Webhook   string // dingtalk: the robot's webhook URL with its access_token
	Secret    string // dingtalk: the robot's signing secret
	MsgType   string // dingtalk: markdown (default) or text
	AtMobiles []string
	AtAll     bool
	URL       string            // webhook
	Headers   map[string]string // webhook
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,128}$`)

// LoadConfig reads and parses a rules file.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseConfig parses a rules file (YAML or JSON). Unknown fields are errors that name the field.
func ParseConfig(data []byte) (*Config, error) {
	var tree any
	if err := yaml.Unmarshal(data, &tree); err != nil {
		return nil, fmt.Errorf("alert rules: %w", err)
	}
	top, err := config.Map("alert rules", tree, false)
	if err != nil {
		return nil, err
	}
	if err := config.OnlyKeys("", top, []string{"inhibit", "channels", "rules"}); err != nil {
		return nil, err
	}
	c := &Config{Inhibit: DefaultInhibit, Channels: map[string]ChannelSpec{}}
	if v, ok := top["inhibit"]; ok {
		if c.Inhibit, err = duration("inhibit", v); err != nil {
			return nil, err
		}
	}
	chans, err := config.Map("channels", top["channels"], true)
	if err != nil {
		return nil, err
	}
	for _, name := range config.SortedKeys(chans) {
		spec, err := parseChannel(config.Join("channels", name), name, chans[name])
		if err != nil {
			return nil, err
		}
		c.Channels[name] = spec
	}
	list, ok := top["rules"].([]any)
	if !ok {
		return nil, fmt.Errorf("rules: want a list of rules, got %s", config.Kind(top["rules"]))
	}
	seen := map[string]bool{}
	for i, v := range list {
		where := fmt.Sprintf("rules[%d]", i)
		r, err := c.parseRule(where, v)
		if err != nil {
			if m, ok := v.(map[string]any); ok {
				if name, ok := m["name"].(string); ok && nameRE.MatchString(name) {
					return nil, fmt.Errorf("rule %s: %w", name, err)
				}
			}
			return nil, err
		}
		if seen[r.Name] {
			return nil, fmt.Errorf("%s.name: %q is used by an earlier rule", where, r.Name)
		}
		seen[r.Name] = true
		c.Rules = append(c.Rules, r)
	}
	return c, nil
}

func (c *Config) parseRule(where string, v any) (Rule, error) {
	m, err := config.Map(where, v, false)
	if err != nil {
		return Rule{}, err
	}
	known := []string{"name", "job", "metric", "threshold", "severity", "for", "window", "inhibit", "recovery", "repeat", "channels", "enabled", "notify"}
	if err := config.OnlyKeys(where, m, known); err != nil {
		return Rule{}, err
	}
	r := Rule{Severity: Warning, Inhibit: c.Inhibit, Recovery: true}
	if r.Name, err = config.String(config.Join(where, "name"), m["name"]); err != nil {
		return r, err
	}
	if !nameRE.MatchString(r.Name) {
		return r, fmt.Errorf("%s.name: %q: want 1 to 128 letters, digits, '-', '_' or '.'", where, r.Name)
	}
	if r.Job, err = config.String(config.Join(where, "job"), m["job"]); err != nil {
		return r, err
	}
	if r.Job != AnyJob && (!nameRE.MatchString(r.Job) || r.Job == "." || r.Job == "..") {
		return r, fmt.Errorf("%s.job: %q: want a job name or %q", where, r.Job, AnyJob)
	}
	metric, err := config.String(config.Join(where, "metric"), m["metric"])
	if err != nil {
		return r, err
	}
	r.Metric = Metric(strings.ToLower(metric))
	info, ok := metricInfo[r.Metric]
	if !ok {
		return r, fmt.Errorf("%s.metric: %q: want one of heartbeat, failures, delay, lag, failover, ddl, dirty, memory, duration, stopped", where, metric)
	}
	if v, ok := m["enabled"]; ok {
		enabled, err := config.Bool(config.Join(where, "enabled"), v)
		if err != nil {
			return r, err
		}
		r.Disabled = !enabled
	}
	if tm, ok := m["threshold"].(map[string]any); ok {
		// DataWorks' trigger conditions: a threshold per severity.
		if _, ok := m["severity"]; ok {
			return r, fmt.Errorf("%s.severity: not with a threshold per severity (the threshold's keys are the severities)", where)
		}
		if len(tm) == 0 {
			return r, fmt.Errorf("%s.threshold: want a threshold for WARNING, CRITICAL or both", where)
		}
		byLevel := map[Severity]string{} // severity -> the key that gives it
		for _, k := range config.SortedKeys(tm) {
			sev, err := severity(config.Join(config.Join(where, "threshold"), k), k)
			if err != nil {
				return r, err
			}
			if byLevel[sev] != "" {
				return r, fmt.Errorf("%s.threshold.%s: %s is given twice", where, k, sev)
			}
			byLevel[sev] = k
		}
		for _, sev := range []Severity{Warning, Critical} {
			k := byLevel[sev]
			if k == "" {
				continue
			}
			t, err := threshold(config.Join(config.Join(where, "threshold"), k), tm[k], info.unit == "s")
			if err != nil {
				return r, err
			}
			if len(r.Levels) > 0 && t < r.Levels[0].Threshold {
				return r, fmt.Errorf("%s.threshold.%s: %s is below the WARNING threshold %s", where, k,
					FormatValue(r.Metric, t), FormatValue(r.Metric, r.Levels[0].Threshold))
			}
			r.Levels = append(r.Levels, Level{Severity: sev, Threshold: t})
		}
		r.Severity, r.Threshold = r.Levels[0].Severity, r.Levels[0].Threshold
	} else {
		if r.Threshold, err = threshold(config.Join(where, "threshold"), m["threshold"], info.unit == "s"); err != nil {
			return r, err
		}
		if v, ok := m["severity"]; ok {
			s, err := config.String(config.Join(where, "severity"), v)
			if err != nil {
				return r, err
			}
			if r.Severity, err = severity(config.Join(where, "severity"), s); err != nil {
				return r, err
			}
		}
	}
	for _, d := range []struct {
		key string
		dst *time.Duration
	}{{"for", &r.For}, {"window", &r.Window}, {"inhibit", &r.Inhibit}} {
		if v, ok := m[d.key]; ok {
			if _, perLevel := v.(map[string]any); perLevel && d.key == "for" {
				continue // parseFor
			}
			if *d.dst, err = duration(config.Join(where, d.key), v); err != nil {
				return r, err
			}
		}
	}
	if _, ok := m["window"]; ok && !info.windowed {
		return r, fmt.Errorf("%s.window: metric %s is not computed over a window", where, r.Metric)
	}
	if info.windowed && r.Window == 0 {
		r.Window = DefaultWindow
	}
	r.Recovery = r.Metric != DDLEvents // a DDL event does not end: DataWorks offers recovery notices for status, delay and resources
	if v, ok := m["recovery"]; ok {
		if r.Recovery, err = config.Bool(config.Join(where, "recovery"), v); err != nil {
			return r, err
		}
	}
	r.Repeat = r.Metric != DDLEvents // a DDL event is news once
	if v, ok := m["repeat"]; ok {
		if r.Repeat, err = config.Bool(config.Join(where, "repeat"), v); err != nil {
			return r, err
		}
	}
	if _, ok := m["notify"]; ok {
		if _, ok := m["channels"]; ok {
			return r, fmt.Errorf("%s: channels and notify: give one (notify names the channels of each severity)", where)
		}
		if err := c.parseNotify(where, m["notify"], &r); err != nil {
			return r, err
		}
	} else {
		if r.Channels, err = c.channelList(config.Join(where, "channels"), m["channels"]); err != nil {
			return r, err
		}
		for i := range r.Levels {
			r.Levels[i].Channels = r.Channels
		}
	}
	return r, parseFor(where, m["for"], &r)
}

// parseFor gives each level its `for`: the rule's, or with `for: {WARNING: 5m, CRITICAL: 15m}`
// its own (DataWorks' duration of each trigger condition); Rule.For is then the longest.
func parseFor(where string, v any, r *Rule) error {
	fm, ok := v.(map[string]any)
	if !ok {
		for i := range r.Levels {
			r.Levels[i].For = r.For
		}
		return nil
	}
	where = config.Join(where, "for")
	if len(r.Levels) == 0 {
		r.Levels = []Level{{Severity: r.Severity, Threshold: r.Threshold, Channels: r.Channels}}
	}
	given := map[Severity]bool{}
	for _, k := range config.SortedKeys(fm) {
		sev, err := severity(config.Join(where, k), k)
		if err != nil {
			return err
		}
		if given[sev] {
			return fmt.Errorf("%s.%s: %s is given twice", where, k, sev)
		}
		given[sev] = true
		i := slices.IndexFunc(r.Levels, func(l Level) bool { return l.Severity == sev })
		if i < 0 {
			return fmt.Errorf("%s.%s: the rule has no %s threshold", where, k, sev)
		}
		if r.Levels[i].For, err = duration(config.Join(where, k), fm[k]); err != nil {
			return err
		}
		r.For = max(r.For, r.Levels[i].For)
	}
	for _, l := range r.Levels {
		if !given[l.Severity] {
			return fmt.Errorf("%s: no entry for %s", where, l.Severity)
		}
	}
	return nil
}

// parseNotify reads `notify: {WARNING: [...], CRITICAL: [...]}`: the channels of each of the
// rule's severities. Every severity the rule has needs an entry, and every entry a severity.
func (c *Config) parseNotify(where string, v any, r *Rule) error {
	where = config.Join(where, "notify")
	nm, err := config.Map(where, v, false)
	if err != nil {
		return err
	}
	if len(r.Levels) == 0 {
		r.Levels = []Level{{Severity: r.Severity, Threshold: r.Threshold}}
	}
	given := map[Severity]bool{}
	for _, k := range config.SortedKeys(nm) {
		sev, err := severity(config.Join(where, k), k)
		if err != nil {
			return err
		}
		if given[sev] {
			return fmt.Errorf("%s.%s: %s is given twice", where, k, sev)
		}
		given[sev] = true
		i := slices.IndexFunc(r.Levels, func(l Level) bool { return l.Severity == sev })
		if i < 0 {
			return fmt.Errorf("%s.%s: the rule has no %s threshold", where, k, sev)
		}
		if r.Levels[i].Channels, err = c.channelList(config.Join(where, k), nm[k]); err != nil {
			return err
		}
	}
	r.Channels = []string{}
	for _, l := range r.Levels {
		if !given[l.Severity] {
			return fmt.Errorf("%s: no entry for %s (an empty list sends nowhere)", where, l.Severity)
		}
		for _, ch := range l.Channels {
			if !slices.Contains(r.Channels, ch) {
				r.Channels = append(r.Channels, ch)
			}
		}
	}
	return nil
}

// channelList reads a list of channel names, each one defined under channels.
func (c *Config) channelList(where string, v any) ([]string, error) {
	list, err := config.StringList(where, v)
	if err != nil {
		return nil, err
	}
	for i, ch := range list {
		if _, ok := c.Channels[ch]; !ok {
			return nil, fmt.Errorf("%s[%d]: no channel named %q", where, i, ch)
		}
	}
	return list, nil
}

// severity reads WARNING or CRITICAL (any case).
func severity(where, s string) (Severity, error) {
	sev := Severity(strings.ToUpper(s))
	if sev != Warning && sev != Critical {
		return "", fmt.Errorf("%s: %q: want WARNING or CRITICAL", where, s)
	}
	return sev, nil
}

// threshold reads a threshold: a number, or for time metrics also a duration ("15m").
func threshold(where string, v any, isTime bool) (float64, error) {
	if v == nil {
		return 0, fmt.Errorf("%s: required", where)
	}
	if s, ok := v.(string); ok && isTime {
		if d, err := time.ParseDuration(strings.TrimSpace(s)); err == nil {
			if d < 0 || d > maxDuration {
				return 0, fmt.Errorf("%s: %q: want a duration from 0 to a year", where, s)
			}
			return d.Seconds(), nil
		}
	}
	f, err := config.Float(where, v)
	if err != nil {
		if isTime {
			return 0, fmt.Errorf("%s: want a duration such as 15m or a number of seconds, got %v", where, v)
		}
		return 0, err
	}
	if f < 0 || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%s: %v: want a number at or above 0", where, f)
	}
	if isTime && f > maxDuration.Seconds() {
		return 0, fmt.Errorf("%s: %v seconds is more than a year", where, f)
	}
	return f, nil
}

// duration reads a non-negative Go duration ("5m", "1h30m"; 0 is allowed).
func duration(where string, v any) (time.Duration, error) {
	switch t := v.(type) {
	case int:
		if t == 0 {
			return 0, nil
		}
	case string:
		d, err := time.ParseDuration(strings.TrimSpace(t))
		if err != nil || d < 0 || d > maxDuration {
			return 0, fmt.Errorf("%s: %q: want a duration such as 5m or 1h30m, at most a year", where, t)
		}
		return d, nil
	}
	return 0, fmt.Errorf("%s: want a duration such as 5m or 1h30m, got %s", where, config.Kind(v))
}

func parseChannel(where, name string, v any) (ChannelSpec, error) {
	m, err := config.Map(where, v, false)
	if err != nil {
		return ChannelSpec{}, err
	}
	if !nameRE.MatchString(name) {
		return ChannelSpec{}, fmt.Errorf("%s: channel name %q: want letters, digits, '-', '_' or '.'", where, name)
	}
	s := ChannelSpec{Name: name}
	if s.Type, err = config.String(config.Join(where, "type"), m["type"]); err != nil {
		return s, err
	}
	str := func(key string) (string, error) { return config.String(config.Join(where, key), m[key]) }
	switch s.Type {
	case "dingtalk":
		if err := config.OnlyKeys(where, m, []string{"type", "webhook", "secret", "msgtype", "atMobiles", "atAll"}); err != nil {
			return s, err
		}
		if s.Webhook, err = str("webhook"); err != nil {
			return s, err
		}
		if s.Secret, err = str("secret"); err != nil {
			return s, err
		}
		if s.MsgType, err = str("msgtype"); err != nil {
			return s, err
		}
		if s.MsgType == "" {
			s.MsgType = "markdown"
		}
		if s.MsgType != "markdown" && s.MsgType != "text" {
			return s, fmt.Errorf("%s.msgtype: %q: want markdown or text", where, s.MsgType)
		}
		if s.AtMobiles, err = config.StringList(config.Join(where, "atMobiles"), m["atMobiles"]); err != nil {
			return s, err
		}
		if v, ok := m["atAll"]; ok {
			if s.AtAll, err = config.Bool(config.Join(where, "atAll"), v); err != nil {
				return s, err
			}
		}
		if s.Webhook == "" {
			return s, fmt.Errorf("%s.webhook: required", where)
		}
	case "webhook":
		if err := config.OnlyKeys(where, m, []string{"type", "url", "headers"}); err != nil {
			return s, err
		}
		if s.URL, err = str("url"); err != nil {
			return s, err
		}
		if s.URL == "" {
			return s, fmt.Errorf("%s.url: required", where)
		}
		hs, err := config.Map(config.Join(where, "headers"), m["headers"], true)
		if err != nil {
			return s, err
		}
		s.Headers = map[string]string{}
		for _, k := range config.SortedKeys(hs) {
			if s.Headers[k], err = config.String(config.Join(config.Join(where, "headers"), k), hs[k]); err != nil {
				return s, err
			}
		}
	default:
		return s, fmt.Errorf("%s.type: %q: want dingtalk or webhook", where, s.Type)
	}
	return s, nil
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expand replaces ${NAME} with getenv(NAME). A variable that is unset or empty is an error naming
// the field and the variable.
func expand(where, s string, getenv func(string) string) (string, error) {
	var missing string
	out := envRef.ReplaceAllStringFunc(s, func(ref string) string {
		name := ref[2 : len(ref)-1]
		v := getenv(name)
		if v == "" && missing == "" {
			missing = name
		}
		return v
	})
	if missing != "" {
		return "", fmt.Errorf("%s: environment variable %s is not set", where, missing)
	}
	return out, nil
}
