package job

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/fcsync/fcsync/shared/config"
	"github.com/fcsync/fcsync/shared/schedule"
)

// Format names the syntax a spec was written in.
type Format string

// The accepted formats.
const (
	FormatYAML      Format = "yaml"
	FormatDataWorks Format = "dataworks"
	FormatDataX     Format = "datax"
)

// Spec is a loaded, checked job template. Bind it to a scheduled time to get a Job.
type Spec struct {
	Name        string
	Format      Format
	Location    *time.Location
	Schedule    *schedule.Cron // nil when the job names no schedule
	CronSpec    string
	Params      []schedule.Assignment
	Late        LatePolicy
	Retry       Retry
	Datasources map[string]map[string]any

	reader  map[string]any // kafka reader parameters, unexpanded
	writer  map[string]any // odps writer parameters, unexpanded
	setting map[string]any
}

// Retry is how often the platform reruns a failed invocation (DataWorks "auto rerun": 3 times, 2 minutes apart).
type Retry struct {
	Attempts int
	Interval time.Duration
}

// LatePolicy says where a record goes whose timestamp lies outside the window it arrives in.
type LatePolicy string

// The late-data policies.
const (
	// LateOwnPartition writes the record to the partition its own timestamp belongs to (default).
	LateOwnPartition LatePolicy = "partition-of-timestamp"
	// LateWindow writes it to the partition of the window that read it.
	LateWindow LatePolicy = "window"
	// LateDirty writes it to the dirty-data record with reason "late" (not counted against errorLimit).
	LateDirty LatePolicy = "dirty"
)

// LoadFile reads a spec from a file. The job name defaults to the file name without extension.
func LoadFile(path string) (*Spec, error) { return LoadFileIn(path, DefaultZone) }

// LoadFileIn is LoadFile with the time zone of jobs that name none (RegionZone gives the
// function region's).
func LoadFileIn(path, defaultZone string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", path, err)
	}
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	s, err := LoadIn(data, name, defaultZone)
	if err != nil {
		return nil, fmt.Errorf("job file %s: %w", path, err)
	}
	return s, nil
}

// Load parses a spec in any accepted format and checks it by binding it at a sample time.
// defaultName is used when the spec names no job. A job without timezone is in DefaultZone.
func Load(data []byte, defaultName string) (*Spec, error) {
	return LoadIn(data, defaultName, DefaultZone)
}

// LoadIn is Load with the time zone of a job that names none.
func LoadIn(data []byte, defaultName, defaultZone string) (*Spec, error) {
	n, err := normalise(data)
	if err != nil {
		return nil, err
	}
	if n.name == "" {
		n.name = defaultName
	}
	if n.timezone == "" {
		n.timezone = defaultZone
	}
	s, err := n.spec()
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", n.name, err)
	}
	// Check every parameter by binding once at a fixed time in the job's zone.
	sample := time.Date(2022, 11, 22, 10, 0, 0, 0, s.Location)
	j, err := s.Bind(sample, nil)
	if err != nil {
		return nil, err
	}
	if err := s.checkCadence(j); err != nil {
		return nil, err
	}
	return s, nil
}

// normalised is the format-independent shape of a job before typing.
type normalised struct {
	format      Format
	name        string
	timezone    string
	schedule    string
	params      string
	late        string
	retry       map[string]any
	datasources map[string]any
	readerType  string
	reader      map[string]any
	writerType  string
	writer      map[string]any
	setting     map[string]any
}

func normalise(data []byte) (*normalised, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("job spec is empty")
	}
	if trimmed[0] == '{' {
		var top map[string]any
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		if err := dec.Decode(&top); err != nil {
			return nil, fmt.Errorf("job spec is not valid JSON: %w", err)
		}
		if dec.More() {
			return nil, fmt.Errorf("job spec: trailing data after the JSON object")
		}
		if _, ok := top["steps"]; ok {
			return fromDataWorks(top)
		}
		if _, ok := top["job"]; ok {
			return fromDataX(top)
		}
		if _, ok := top["reader"]; !ok {
			return nil, fmt.Errorf(`job spec: a JSON spec needs "steps" (DataWorks script mode), "job" (DataX) or "reader"/"writer" (fcsync)`)
		}
		return fromFcsync(top)
	}
	var top map[string]any
	if err := yaml.Unmarshal(trimmed, &top); err != nil {
		return nil, fmt.Errorf("job spec is not valid YAML: %w", err)
	}
	if top == nil {
		return nil, fmt.Errorf("job spec: the YAML document is not a mapping")
	}
	return fromFcsync(top)
}

var fcsyncKeys = []string{"name", "timezone", "schedule", "parameters", "late", "retry", "datasources", "reader", "writer", "setting"}

func fromFcsync(top map[string]any) (*normalised, error) {
	if err := config.OnlyKeys("", top, fcsyncKeys); err != nil {
		return nil, err
	}
	n := &normalised{format: FormatYAML}
	var err error
	str := func(key string) string {
		if err != nil {
			return ""
		}
		var s string
		s, err = config.String(key, top[key])
		return s
	}
	n.name, n.timezone, n.schedule, n.late = str("name"), str("timezone"), str("schedule"), str("late")
	if err != nil {
		return nil, err
	}
	if n.params, err = paramText("parameters", top["parameters"]); err != nil {
		return nil, err
	}
	if n.retry, err = config.Map("retry", top["retry"], true); err != nil {
		return nil, err
	}
	if n.datasources, err = config.Map("datasources", top["datasources"], true); err != nil {
		return nil, err
	}
	if n.readerType, n.reader, err = typedStep("reader", top["reader"]); err != nil {
		return nil, err
	}
	if n.writerType, n.writer, err = typedStep("writer", top["writer"]); err != nil {
		return nil, err
	}
	if n.setting, err = config.Map("setting", top["setting"], true); err != nil {
		return nil, err
	}
	return n, nil
}

// typedStep reads `reader: {type: kafka, ...parameters}`.
func typedStep(where string, v any) (string, map[string]any, error) {
	m, err := config.Map(where, v, false)
	if err != nil {
		return "", nil, err
	}
	t, err := config.String(where+".type", m["type"])
	if err != nil {
		return "", nil, err
	}
	if t == "" {
		return "", nil, fmt.Errorf("%s.type is required (kafka for a reader, odps for a writer)", where)
	}
	params := make(map[string]any, len(m))
	for k, v := range m {
		if k != "type" {
			params[k] = v
		}
	}
	return strings.ToLower(t), params, nil
}

// DataWorks script mode.
func fromDataWorks(top map[string]any) (*normalised, error) {
	if err := config.OnlyKeys("", top, []string{"type", "version", "steps", "setting", "order", "extend", "name", "timezone", "schedule", "parameters", "late", "retry"}); err != nil {
		return nil, err
	}
	if t, _ := top["type"].(string); t != "" && t != "job" {
		return nil, fmt.Errorf(`type: %q is not "job"`, t)
	}
	n := &normalised{format: FormatDataWorks}
	steps, ok := top["steps"].([]any)
	if !ok {
		return nil, fmt.Errorf("steps: want a list of steps")
	}
	for i, st := range steps {
		where := fmt.Sprintf("steps[%d]", i)
		m, err := config.Map(where, st, false)
		if err != nil {
			return nil, err
		}
		if err := config.OnlyKeys(where, m, []string{"stepType", "parameter", "name", "category", "displayName", "description"}); err != nil {
			return nil, err
		}
		stepType, _ := m["stepType"].(string)
		category, _ := m["category"].(string)
		params, err := config.Map(where+".parameter", m["parameter"], false)
		if err != nil {
			return nil, err
		}
		if category == "" {
			category = map[string]string{"kafka": "reader", "odps": "writer"}[strings.ToLower(stepType)]
		}
		switch category {
		case "reader":
			if n.reader != nil {
				return nil, fmt.Errorf("%s: a job has one reader step", where)
			}
			n.readerType, n.reader = strings.ToLower(stepType), params
		case "writer":
			if n.writer != nil {
				return nil, fmt.Errorf("%s: a job has one writer step", where)
			}
			n.writerType, n.writer = strings.ToLower(stepType), params
		default:
			return nil, fmt.Errorf("%s: category %q is not reader or writer", where, category)
		}
	}
	if n.reader == nil || n.writer == nil {
		return nil, fmt.Errorf("steps: need one reader step and one writer step")
	}
	if order, ok := top["order"]; ok {
		if err := checkOrder(order); err != nil {
			return nil, err
		}
	}
	return n, n.fcsyncExtras(top)
}

// checkOrder accepts only the single hop Reader -> Writer.
func checkOrder(order any) error {
	m, err := config.Map("order", order, false)
	if err != nil {
		return err
	}
	if err := config.OnlyKeys("order", m, []string{"hops"}); err != nil {
		return err
	}
	hops, _ := m["hops"].([]any)
	if len(hops) > 1 {
		return fmt.Errorf("order.hops: fcsync runs one reader into one writer; %d hops given", len(hops))
	}
	return nil
}

// DataX classic form.
func fromDataX(top map[string]any) (*normalised, error) {
	if err := config.OnlyKeys("", top, []string{"job", "name", "timezone", "schedule", "parameters", "late", "retry"}); err != nil {
		return nil, err
	}
	jobm, err := config.Map("job", top["job"], false)
	if err != nil {
		return nil, err
	}
	if err := config.OnlyKeys("job", jobm, []string{"content", "setting"}); err != nil {
		return nil, err
	}
	content, ok := jobm["content"].([]any)
	if !ok || len(content) != 1 {
		return nil, fmt.Errorf("job.content: want exactly one reader/writer pair")
	}
	pair, err := config.Map("job.content[0]", content[0], false)
	if err != nil {
		return nil, err
	}
	if err := config.OnlyKeys("job.content[0]", pair, []string{"reader", "writer"}); err != nil {
		return nil, err
	}
	n := &normalised{format: FormatDataX}
	for _, side := range []string{"reader", "writer"} {
		where := "job.content[0]." + side
		m, err := config.Map(where, pair[side], false)
		if err != nil {
			return nil, err
		}
		if err := config.OnlyKeys(where, m, []string{"name", "parameter"}); err != nil {
			return nil, err
		}
		name, _ := m["name"].(string)
		params, err := config.Map(where+".parameter", m["parameter"], false)
		if err != nil {
			return nil, err
		}
		typ := strings.TrimSuffix(strings.TrimSuffix(strings.ToLower(name), side), "_")
		if side == "reader" {
			n.readerType, n.reader = typ, params
		} else {
			n.writerType, n.writer = typ, params
		}
	}
	if n.setting, err = config.Map("job.setting", jobm["setting"], true); err != nil {
		return nil, err
	}
	return n, n.fcsyncExtras(top)
}

// fcsyncExtras reads the fcsync-only top-level keys a script-mode JSON may carry (name, timezone,
// schedule, parameters, late, retry) so one file can hold a whole job.
func (n *normalised) fcsyncExtras(top map[string]any) error {
	var err error
	for _, kv := range []struct {
		key string
		dst *string
	}{{"name", &n.name}, {"timezone", &n.timezone}, {"schedule", &n.schedule}, {"late", &n.late}} {
		if *kv.dst, err = config.String(kv.key, top[kv.key]); err != nil {
			return err
		}
	}
	if n.params, err = paramText("parameters", top["parameters"]); err != nil {
		return err
	}
	if n.retry, err = config.Map("retry", top["retry"], true); err != nil {
		return err
	}
	if n.format == FormatDataWorks {
		if n.setting, err = config.Map("setting", top["setting"], true); err != nil {
			return err
		}
	}
	return nil
}

// spec types the normalised form.
func (n *normalised) spec() (*Spec, error) {
	if n.readerType != "kafka" {
		return nil, fmt.Errorf("reader type %q is not supported (fcsync batch jobs read kafka)", n.readerType)
	}
	if n.writerType != "odps" && n.writerType != "maxcompute" {
		return nil, fmt.Errorf("writer type %q is not supported (odps, the MaxCompute writer; localrun serves it from the local warehouse)", n.writerType)
	}
	s := &Spec{
		Name:    n.name,
		Format:  n.format,
		Late:    LateOwnPartition,
		Retry:   Retry{Attempts: 3, Interval: 2 * time.Minute},
		reader:  n.reader,
		writer:  n.writer,
		setting: n.setting,
	}
	if s.Name == "" {
		return nil, fmt.Errorf("name: the job has no name")
	}
	if err := validJobName(s.Name); err != nil {
		return nil, err
	}
	tz := n.timezone
	if tz == "" {
		tz = "Asia/Shanghai"
	}
	loc, err := loadZone(tz)
	if err != nil {
		return nil, fmt.Errorf("timezone: %q is not a known time zone", tz)
	}
	s.Location = loc
	if n.schedule != "" {
		c, err := schedule.ParseCron(n.schedule)
		if err != nil {
			return nil, fmt.Errorf("schedule: %w", err)
		}
		s.Schedule, s.CronSpec = c, n.schedule
	}
	if n.params != "" {
		if s.Params, err = schedule.ParseAssignments(n.params); err != nil {
			return nil, fmt.Errorf("parameters: %w", err)
		}
	}
	switch LatePolicy(n.late) {
	case "":
	case LateOwnPartition, LateWindow, LateDirty:
		s.Late = LatePolicy(n.late)
	default:
		return nil, fmt.Errorf("late: %q is not a late-data policy (%s, %s or %s)", n.late, LateOwnPartition, LateWindow, LateDirty)
	}
	if n.retry != nil {
		if err := config.OnlyKeys("retry", n.retry, []string{"attempts", "interval"}); err != nil {
			return nil, err
		}
		if v, ok := n.retry["attempts"]; ok {
			a, err := config.Int("retry.attempts", v)
			if err != nil || a < 0 || a > 10 {
				return nil, fmt.Errorf("retry.attempts: want 0..10")
			}
			s.Retry.Attempts = int(a)
		}
		if v, ok := n.retry["interval"]; ok {
			str, _ := config.String("retry.interval", v)
			d, err := time.ParseDuration(str)
			if err != nil || d < 0 {
				return nil, fmt.Errorf("retry.interval: %q is not a duration like 2m", str)
			}
			s.Retry.Interval = d
		}
	}
	if n.datasources != nil {
		s.Datasources = map[string]map[string]any{}
		for name, v := range n.datasources {
			m, err := config.Map("datasources."+name, v, false)
			if err != nil {
				return nil, err
			}
			s.Datasources[name] = m
		}
	}
	return s, nil
}

// loadZone loads an IANA time zone. "Local" is refused: it would make a job's windows depend on
// the machine that happens to run it.
func loadZone(name string) (*time.Location, error) {
	if strings.EqualFold(strings.TrimSpace(name), "local") {
		return nil, fmt.Errorf("time zone %q depends on the machine; name a zone such as Asia/Shanghai", name)
	}
	return time.LoadLocation(name)
}

func validJobName(name string) error {
	if len(name) > 128 {
		return fmt.Errorf("name: longer than 128 characters")
	}
	for _, r := range name {
		if !(r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') || name == "." || name == ".." {
			return fmt.Errorf("name: %q may hold only letters, digits, '-', '_' and '.'", name)
		}
	}
	return nil
}

// paramText accepts custom parameters as one string of assignments, a list of them, or a map.
func paramText(where string, v any) (string, error) {
	switch t := v.(type) {
	case nil:
		return "", nil
	case string:
		return t, nil
	case []any:
		parts := make([]string, 0, len(t))
		for i, e := range t {
			s, ok := e.(string)
			if !ok {
				return "", fmt.Errorf("%s[%d]: want name=value text", where, i)
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, " "), nil
	case map[string]any:
		keys := config.SortedKeys(t)
		parts := make([]string, 0, len(t))
		for _, k := range keys {
			s, err := config.String(where+"."+k, t[k])
			if err != nil {
				return "", err
			}
			parts = append(parts, k+"="+s)
		}
		return strings.Join(parts, " "), nil
	}
	return "", fmt.Errorf("%s: want text like startTime=$[yyyymmddhh24mi-8/24/60]00, a list or a map", where)
}

// FindFile returns the path of the job file for name in dir: name.yaml, name.yml or
// name.json. name must be a plain job name, so it cannot reach outside dir.
func FindFile(dir, name string) (string, error) {
	if err := validJobName(name); err != nil || name == "." || name == ".." {
		return "", fmt.Errorf("job name %q is not a plain name", name)
	}
	for _, ext := range []string{".yaml", ".yml", ".json"} {
		p := filepath.Join(dir, name+ext)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("job %q: no %s.yaml, .yml or .json in %s", name, name, dir)
}
