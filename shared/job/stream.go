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
	"github.com/fcsync/fcsync/shared/lake/hudi"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schedule"
	"github.com/fcsync/fcsync/shared/schema"
)

// Stream is a loaded real-time job (DataWorks' real-time Kafka synchronization, to OSS/Hudi or
// MaxCompute): each Kafka-trigger invocation hands it a micro-batch of records, which go
// through the processing chain and the field mapping into a lake table. The processing chain,
// mapping and dynamic-column sections are kept as trees here and compiled by the stream
// package, which owns their meaning.
type Stream struct {
	Name     string
	Location *time.Location
	// Params are the scheduling parameters processors may use as variables, evaluated at the
	// batch's time.
	Params []schedule.Assignment
	// Topics the job accepts records from; empty accepts any (the trigger names the topic).
	Topics []string
	// KeyFormat and ValueFormat are the trigger's data format: auto, json, text or binary.
	KeyFormat, ValueFormat string

	Processors any // list of processors, in order
	Mapping    any // field mapping and dynamic-column policy (nil: same-name, policy error)

	Writer Lake
	// Table is the MaxCompute table of a writer of type maxcompute (or odps); nil for hudi,
	// whose table is Writer.
	Table *TableWriter

	// ErrorRecord is errorLimit.record: more dirty records than this in one batch fail the
	// invocation (nothing is written). Nil means no limit.
	ErrorRecord *int64
}

// Lake is where a stream job writes: a Hudi table under an object-store prefix.
type Lake struct {
	Path       string // object-store prefix of the table root, e.g. lake/orders
	Database   string
	Table      string
	Columns    []schema.Column // the table's initial columns; empty: derived from the chain's outputs
	PrimaryKey []string        // empty: insert-only
	Precombine string          // with PrimaryKey: the field that picks between versions of a key
	Partition  LakePartition
	// Options tune the writer, by the names of Hudi's write configs (checked when the job
	// loads; hudi.ParseOptions turns them into table options):
	//
	//	hoodie.parquet.max.file.size     base file size to aim for, bytes: 1 KiB to 1 GiB (64 MiB)
	//	hoodie.parquet.small.file.limit  a base file below this takes new rows (copy-on-write
	//	                                 bin packing), bytes: 0 (never) to the max (16 MiB)
	//	hoodie.cleaner.commits.retained  newest commits whose snapshots cleaning keeps: 1-10000 (10)
	//	hoodie.cleaner.policy            KEEP_LATEST_COMMITS, the only one
	//	hoodie.clean.automatic           clean old base files after every commit (true)
	//
	// e.g. writer: {type: hudi, ..., options: {hoodie.parquet.small.file.limit: 0}}.
	Options map[string]any
}

// LakePartition says how rows are spread over partition folders.
type LakePartition struct {
	Fields    []string // partition by these fields' values
	TimeField string   // or by event time: this field (epoch milliseconds or a time)
	TimeLevel string   // year, month, day or hour
	HiveStyle bool     // folder names field=value
}

// TimeLevels are the event-time partition levels, coarsest first.
var TimeLevels = []string{"year", "month", "day", "hour"}

var streamKeys = []string{"name", "timezone", "parameters", "reader", "processors", "mapping", "writer", "setting"}

// IsStream reports whether a job document is a stream job: one with processors, or whose writer
// is a lake table.
func IsStream(data []byte) bool {
	top, err := decodeTop(data)
	if err != nil {
		return false
	}
	if _, ok := top["processors"]; ok {
		return true
	}
	w, _ := top["writer"].(map[string]any)
	t, _ := w["type"].(string)
	return t == "hudi"
}

// LoadStreamFile reads a stream job from a file; the job name defaults to the file name.
func LoadStreamFile(path string) (*Stream, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", path, err)
	}
	s, err := LoadStream(data, strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)))
	if err != nil {
		return nil, fmt.Errorf("job file %s: %w", path, err)
	}
	return s, nil
}

// LoadStream parses a stream job (YAML or the same as JSON). defaultName is used when the job
// names none.
func LoadStream(data []byte, defaultName string) (*Stream, error) {
	top, err := decodeTop(data)
	if err != nil {
		return nil, err
	}
	name, _ := top["name"].(string)
	if name == "" {
		name = defaultName
	}
	s, err := loadStream(top, name)
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", name, err)
	}
	return s, nil
}

func decodeTop(data []byte) (map[string]any, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("job spec is empty")
	}
	var top map[string]any
	if trimmed[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		if err := dec.Decode(&top); err != nil {
			return nil, fmt.Errorf("job spec is not valid JSON: %w", err)
		}
		return top, nil
	}
	if err := yaml.Unmarshal(trimmed, &top); err != nil {
		return nil, fmt.Errorf("job spec is not valid YAML: %w", err)
	}
	if top == nil {
		return nil, fmt.Errorf("job spec: the YAML document is not a mapping")
	}
	return top, nil
}

func loadStream(top map[string]any, name string) (*Stream, error) {
	if err := config.OnlyKeys("", top, streamKeys); err != nil {
		return nil, err
	}
	if err := validJobName(name); err != nil {
		return nil, err
	}
	s := &Stream{Name: name, KeyFormat: "auto", ValueFormat: "auto",
		Processors: top["processors"], Mapping: top["mapping"]}
	tz, err := config.String("timezone", top["timezone"])
	if err != nil {
		return nil, err
	}
	if tz == "" {
		tz = "Asia/Shanghai"
	}
	if s.Location, err = loadZone(tz); err != nil {
		return nil, fmt.Errorf("timezone: %q is not a known time zone", tz)
	}
	params, err := paramText("parameters", top["parameters"])
	if err != nil {
		return nil, err
	}
	if params != "" {
		if s.Params, err = schedule.ParseAssignments(params); err != nil {
			return nil, fmt.Errorf("parameters: %w", err)
		}
	}
	if err := s.reader(top["reader"]); err != nil {
		return nil, err
	}
	if s.Processors != nil {
		if _, ok := s.Processors.([]any); !ok {
			return nil, fmt.Errorf("processors: want a list, got %s", config.Kind(s.Processors))
		}
	}
	wt, w, err := typedStep("writer", top["writer"])
	if err != nil {
		return nil, err
	}
	switch wt {
	case "hudi":
		if s.Writer, err = lakeWriter(w); err != nil {
			return nil, err
		}
	case "maxcompute", "odps":
		if s.Table, err = tableWriter(w); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("writer.type: %q is not supported by stream jobs (hudi or maxcompute)", wt)
	}
	if err := s.setting(top["setting"]); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Stream) reader(v any) error {
	if v == nil {
		return nil
	}
	rt, m, err := typedStep("reader", v)
	if err != nil {
		return err
	}
	if rt != "kafka" {
		return fmt.Errorf("reader.type: %q is not supported (stream jobs read kafka through the trigger)", rt)
	}
	if err := config.OnlyKeys("reader", m, []string{"type", "topic", "keyFormat", "valueFormat"}); err != nil {
		return err
	}
	if s.Topics, err = config.StringList("reader.topic", m["topic"]); err != nil {
		return err
	}
	for _, f := range []struct {
		key string
		dst *string
	}{{"keyFormat", &s.KeyFormat}, {"valueFormat", &s.ValueFormat}} {
		v, err := config.String("reader."+f.key, m[f.key])
		if err != nil {
			return err
		}
		switch strings.ToLower(v) {
		case "":
		case "auto", "json", "text", "binary":
			*f.dst = strings.ToLower(v)
		default:
			return fmt.Errorf("reader.%s: %q is not a trigger data format (auto, json, text or binary)", f.key, v)
		}
	}
	return nil
}

var lakeKeys = []string{"type", "path", "database", "table", "schema", "primaryKey", "precombine", "partition", "options"}

func lakeWriter(m map[string]any) (Lake, error) {
	var l Lake
	if err := config.OnlyKeys("writer", m, lakeKeys); err != nil {
		return l, err
	}
	for _, f := range []struct {
		key string
		dst *string
	}{{"path", &l.Path}, {"database", &l.Database}, {"table", &l.Table}, {"precombine", &l.Precombine}} {
		v, err := config.String("writer."+f.key, m[f.key])
		if err != nil {
			return l, err
		}
		*f.dst = strings.TrimSpace(v)
	}
	if l.Path == "" {
		return l, fmt.Errorf("writer.path: required (the table's folder in the object store, e.g. lake/orders)")
	}
	if err := objstore.ValidPrefix(strings.TrimSuffix(l.Path, "/") + "/"); err != nil {
		return l, fmt.Errorf("writer.path: %w", err)
	}
	l.Path = strings.TrimSuffix(l.Path, "/")
	if l.Database == "" {
		l.Database = "default"
	}
	if l.Table == "" {
		l.Table = filepath.Base(l.Path)
	}
	for _, n := range []struct{ where, name string }{{"writer.database", l.Database}, {"writer.table", l.Table}} {
		if err := schema.ValidateName(n.name); err != nil {
			return l, fmt.Errorf("%s: %w", n.where, err)
		}
	}
	var err error
	if v, ok := m["schema"]; ok {
		if l.Columns, err = schemaColumns(v); err != nil {
			return l, fmt.Errorf("writer.%w", err)
		}
	}
	if l.PrimaryKey, err = config.StringList("writer.primaryKey", m["primaryKey"]); err != nil {
		return l, err
	}
	if l.Precombine != "" && len(l.PrimaryKey) == 0 {
		return l, fmt.Errorf("writer.precombine: needs writer.primaryKey (an insert-only table has no versions to pick between)")
	}
	if l.Partition, err = lakePartition(m["partition"]); err != nil {
		return l, err
	}
	if l.Options, err = config.Map("writer.options", m["options"], true); err != nil {
		return l, err
	}
	if _, err := hudi.ParseOptions("writer.options", l.Options); err != nil {
		return l, err
	}
	return l, nil
}

func lakePartition(v any) (LakePartition, error) {
	var p LakePartition
	if v == nil {
		return p, nil
	}
	m, err := config.Map("writer.partition", v, false)
	if err != nil {
		return p, err
	}
	if err := config.OnlyKeys("writer.partition", m, []string{"fields", "time", "level", "hiveStyle"}); err != nil {
		return p, err
	}
	if p.Fields, err = config.StringList("writer.partition.fields", m["fields"]); err != nil {
		return p, err
	}
	if p.TimeField, err = config.String("writer.partition.time", m["time"]); err != nil {
		return p, err
	}
	if p.TimeLevel, err = config.String("writer.partition.level", m["level"]); err != nil {
		return p, err
	}
	if v, ok := m["hiveStyle"]; ok {
		if p.HiveStyle, err = config.Bool("writer.partition.hiveStyle", v); err != nil {
			return p, err
		}
	}
	switch {
	case len(p.Fields) > 0 && p.TimeField != "":
		return p, fmt.Errorf("writer.partition: fields and time exclude each other (partition by field values or by event time)")
	case p.TimeField != "":
		if p.TimeLevel == "" {
			p.TimeLevel = "day"
		}
		ok := false
		for _, l := range TimeLevels {
			ok = ok || p.TimeLevel == l
		}
		if !ok {
			return p, fmt.Errorf("writer.partition.level: %q is not one of %s", p.TimeLevel, strings.Join(TimeLevels, ", "))
		}
	case p.TimeLevel != "":
		return p, fmt.Errorf("writer.partition.level: needs writer.partition.time (the event-time field)")
	}
	return p, nil
}

func (s *Stream) setting(v any) error {
	m, err := config.Map("setting", v, true)
	if err != nil || m == nil {
		return err
	}
	if err := config.OnlyKeys("setting", m, []string{"errorLimit"}); err != nil {
		return err
	}
	el, err := config.Map("setting.errorLimit", m["errorLimit"], true)
	if err != nil || el == nil {
		return err
	}
	if err := config.OnlyKeys("setting.errorLimit", el, []string{"record"}); err != nil {
		return err
	}
	if v, ok := el["record"]; ok {
		n, err := config.Int("setting.errorLimit.record", v)
		if err != nil || n < 0 {
			return fmt.Errorf("setting.errorLimit.record: want a count >= 0")
		}
		s.ErrorRecord = &n
	}
	return nil
}
