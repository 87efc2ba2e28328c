package job

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/fcsync/fcsync/shared/column"
	"github.com/fcsync/fcsync/shared/config"
	"github.com/fcsync/fcsync/shared/kafka"
	"github.com/fcsync/fcsync/shared/schedule"
	"github.com/fcsync/fcsync/shared/schema"
)

// Job is a Spec bound to one scheduled time: every parameter expanded and typed.
type Job struct {
	Spec    *Spec
	At      time.Time         // the scheduled time, in the job's zone
	tile    bool              // settle a repeated begin time by the previous tick's window (dst.go)
	Vars    map[string]string // custom parameters as evaluated at At
	Reader  Kafka
	Writer  ODPS
	Setting Setting
}

// PosKind says how a window edge is given.
type PosKind int

// Window edge kinds.
const (
	PosNone      PosKind = iota // not given (an end: the high watermark when the window is planned)
	PosTime                     // a time: the first offset whose timestamp is at or after it
	PosOffset                   // an explicit offset
	PosBeginning                // seekToBeginning: the earliest retained offset
	PosLast                     // seekToLast: the consumer group's committed offset
	PosEnd                      // seekToEnd: the high watermark (reads nothing new)
)

// Position is one edge of a window.
type Position struct {
	Kind   PosKind
	Time   time.Time
	Offset int64
	wall   bool // Time came from wall-clock text (a DateTime), which a DST overlap can repeat
}

// Kafka is the bound Kafka Reader.
type Kafka struct {
	Datasource  string
	Servers     []string
	Topic       string
	Partition   *int32 // read only this partition
	KafkaConfig map[string]string
	GroupID     string
	Columns     []string
	KeyType     string
	ValueType   string
	Encoding    string
	Begin, End  Position
	// SkipExceedRecord and IncludeExceed say what a time window does with the records past its
	// end that are already in Kafka when it is scheduled (DataWorks' last poll fetches them).
	// true (and absent): the window ends exactly at the first offset stamped at or after the end
	// time; those records are the next window's, which starts there (DataWorks drops them and
	// commits their offsets: lost). false (IncludeExceed): the window also reads the records up to
	// the first offset stamped at or after its scheduled time and writes them with its own
	// partition, as DataWorks does; the next window starts after them. Either way the windows
	// tile the offsets, and a rerun reads the range the ledger fixed.
	SkipExceedRecord bool
	IncludeExceed    bool
	// StopWhenPollEmpty with WaitTime: when the end lies beyond the data, wait this long for more.
	StopWhenPollEmpty bool
	WaitTime          time.Duration
}

// ODPS is the bound MaxCompute Writer.
type ODPS struct {
	Datasource  string
	Project     string
	Table       schema.Table // the destination schema (created when absent)
	Partition   schema.Partition
	Columns     []string // destination columns, positional with the reader's columns
	Truncate    bool
	EmptyAsNull bool
	// Compress: tunnel blocks are compressed (FCSYNC_ODPS_CODEC, snappy by default) unless the
	// writer says compress: false (Uncompressed), as DataWorks' odpswriter does; the rows written
	// are the same either way.
	Compress     bool
	Uncompressed bool
	// ConsistencyCommit: true asks that the written data become visible only when the job
	// ends. fcsync always does that, whatever the value: a window's rows are invisible until its
	// session commits, and each partition then switches at once. false (DataWorks' default)
	// promises no more, so both values are honoured.
	ConsistencyCommit bool
	OdpsServer        string
	TunnelServer      string
	// DatasourceInJob: the job's own datasources block defines Datasource (its project,
	// odpsServer and tunnelServer filled the fields above the writer left empty).
	DatasourceInJob bool
}

// Setting is the job-level setting block.
type Setting struct {
	ErrorRecord     *int64   // fail when dirty records exceed this; 0 = none allowed
	ErrorPercentage *float64 // fail when dirty/read exceeds this at the end (0..1)
	Concurrent      int      // partitions read at once (0 = all)
	BytesPerSecond  float64  // throttle (0 = none)
	RecordsPerSec   float64  // throttle (0 = none)
}

var readerKeys = []string{"server", "datasource", "topic", "partition", "kafkaConfig", "groupId", "column",
	"keyType", "valueType", "encoding", "beginDateTime", "endDateTime", "beginTimestampMillis", "endTimestampMillis",
	"beginOffset", "endOffset", "skipExceedRecord", "stopWhenPollEmpty", "stopWhenReachEndOffset", "waitTime", "timeZone"}

var writerKeys = []string{"datasource", "project", "table", "partition", "column", "truncate", "emptyAsNull",
	"compress", "consistencyCommit", "schema", "lifecycle", "odpsServer", "tunnelServer"}

// Credentials never belong in a job: FC passes them per invocation.
var credentialKeys = map[string]bool{"accessId": true, "accessKey": true, "accessKeySecret": true, "accessKeyId": true, "securityToken": true, "password": true}

// Bind evaluates the spec at scheduled time at (converted to the job's zone). overrides replace
// or add custom parameters and are taken literally (a timer payload or a rerun may pass them).
func (s *Spec) Bind(at time.Time, overrides map[string]string) (*Job, error) {
	return s.bind(at, overrides, true)
}

func (s *Spec) bind(at time.Time, overrides map[string]string, tile bool) (*Job, error) {
	at = at.In(s.Location)
	vars, err := schedule.Resolve(s.Params, at, overrides)
	if err != nil {
		return nil, fmt.Errorf("job %s: parameters at %s: %w", s.Name, at.Format(time.RFC3339), err)
	}
	j := &Job{Spec: s, At: at, Vars: vars, tile: tile}
	expand := func(where string, v any) (any, error) { return expandTree(where, v, vars, at) }
	r, err := expand("reader", s.reader)
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", s.Name, err)
	}
	w, err := expand("writer", s.writer)
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", s.Name, err)
	}
	if err := j.bindReader(r.(map[string]any)); err != nil {
		return nil, fmt.Errorf("job %s: reader.%w", s.Name, err)
	}
	if err := j.bindWriter(w.(map[string]any)); err != nil {
		return nil, fmt.Errorf("job %s: writer.%w", s.Name, err)
	}
	if err := j.bindSetting(s.setting); err != nil {
		return nil, fmt.Errorf("job %s: setting.%w", s.Name, err)
	}
	if _, err := j.Mapper(); err != nil {
		return nil, fmt.Errorf("job %s: column mapping: %w", s.Name, err)
	}
	return j, nil
}

// Mapper builds the reader-column to destination-column mapper for this job.
func (j *Job) Mapper() (*column.Mapper, error) {
	return column.NewMapper(column.Config{
		Columns:     j.Reader.Columns,
		KeyType:     j.Reader.KeyType,
		ValueType:   j.Reader.ValueType,
		Encoding:    j.Reader.Encoding,
		Table:       j.Writer.Table,
		Dest:        j.Writer.Columns,
		EmptyAsNull: j.Writer.EmptyAsNull,
		Location:    j.Spec.Location,
	})
}

// expandTree expands scheduling parameters in every string of a parameter tree. kafkaConfig is
// left as written: it holds passwords, which may contain '$'. Credential keys are left as written
// too, so that bindReader/bindWriter reject them by name and no expansion error quotes a secret.
func expandTree(where string, v any, vars map[string]string, at time.Time) (any, error) {
	switch t := v.(type) {
	case string:
		out, err := schedule.Expand(t, vars, at)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		return out, nil
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			if k == "kafkaConfig" || credentialKeys[k] {
				m[k] = e
				continue
			}
			x, err := expandTree(where+"."+k, e, vars, at)
			if err != nil {
				return nil, err
			}
			m[k] = x
		}
		return m, nil
	case []any:
		l := make([]any, len(t))
		for i, e := range t {
			x, err := expandTree(fmt.Sprintf("%s[%d]", where, i), e, vars, at)
			if err != nil {
				return nil, err
			}
			l[i] = x
		}
		return l, nil
	}
	return v, nil
}

func rejectCredentials(m map[string]any) error {
	for _, k := range config.SortedKeys(m) {
		if credentialKeys[k] {
			return fmt.Errorf("%s: credentials do not belong in a job; fcsync takes them from the function's role (FC passes STS keys per invocation)", k)
		}
	}
	return nil
}

func (j *Job) bindReader(m map[string]any) error {
	if err := rejectCredentials(m); err != nil {
		return err
	}
	if err := config.OnlyKeys("", m, readerKeys); err != nil {
		return err
	}
	k := &j.Reader
	f := fields{m: m}
	str := f.str
	var err error
	k.Datasource, k.Topic, k.GroupID = str("datasource"), str("topic"), str("groupId")
	k.KeyType, k.ValueType, k.Encoding = str("keyType"), str("valueType"), str("encoding")
	if err := f.err; err != nil {
		return err
	}
	if k.Servers, err = config.StringList("server", m["server"]); err != nil {
		return err
	}
	if ds := j.Spec.Datasources[k.Datasource]; ds != nil && len(k.Servers) == 0 {
		if k.Servers, err = config.StringList("datasource "+k.Datasource+".server", ds["server"]); err != nil {
			return err
		}
	}
	if k.Datasource == "" && len(k.Servers) == 0 {
		return fmt.Errorf("server: give server (host:port list) or datasource")
	}
	if k.Topic == "" {
		return fmt.Errorf("topic: required")
	}
	if strings.ContainsAny(k.Topic, ", ") {
		return fmt.Errorf("topic: one topic per job, got %q", k.Topic)
	}
	if v, ok := m["partition"]; ok && v != "" {
		p, err := config.Int("partition", v)
		if err != nil || p < 0 || p > 1<<31-1 {
			return fmt.Errorf("partition: want a partition number")
		}
		p32 := int32(p)
		k.Partition = &p32
	}
	if v := m["kafkaConfig"]; v != nil {
		cfg, err := config.Map("kafkaConfig", v, false)
		if err != nil {
			return err
		}
		k.KafkaConfig = map[string]string{}
		for _, key := range config.SortedKeys(cfg) {
			s, err := config.String("kafkaConfig."+key, cfg[key])
			if err != nil {
				return err
			}
			k.KafkaConfig[key] = s
		}
	}
	if ds := j.Spec.Datasources[k.Datasource]; ds != nil {
		if cfg, ok := ds["kafkaConfig"].(map[string]any); ok {
			if k.KafkaConfig == nil {
				k.KafkaConfig = map[string]string{}
			}
			for key, v := range cfg {
				if _, set := k.KafkaConfig[key]; !set {
					k.KafkaConfig[key], _ = config.String(key, v)
				}
			}
		}
	}
	// Every name must be one the reader applies, or a consumer setting it can do without (a
	// warning in each run record); the rest, misspellings first of all, fail the job here.
	if _, err := kafka.ReaderProperties(k.KafkaConfig); err != nil {
		return err
	}
	// groupId wins over kafkaConfig group.id; keep the two in agreement.
	if g := k.KafkaConfig["group.id"]; g != "" && k.GroupID == "" {
		k.GroupID = g
	} else if _, set := k.KafkaConfig["group.id"]; set && k.GroupID != "" {
		k.KafkaConfig["group.id"] = k.GroupID
	}
	if k.Columns, err = config.StringList("column", m["column"]); err != nil {
		return err
	}
	if len(k.Columns) == 0 {
		return fmt.Errorf("column: required (for example [__key__, __value__])")
	}
	loc := j.Spec.Location
	if tz := str("timeZone"); f.err == nil && tz != "" {
		if loc, err = loadZone(tz); err != nil {
			return fmt.Errorf("timeZone: %q is not a known time zone", tz)
		}
	}
	if err := f.err; err != nil {
		return err
	}
	if k.Begin, err = position(m, "begin", loc); err != nil {
		return err
	}
	if k.Begin.Kind == PosNone {
		return fmt.Errorf("beginDateTime: give one of beginDateTime, beginTimestampMillis or beginOffset")
	}
	if k.End, err = position(m, "end", loc); err != nil {
		return err
	}
	switch k.End.Kind {
	case PosBeginning, PosLast, PosEnd:
		return fmt.Errorf("endOffset: only a number is allowed")
	}
	j.settleRepeatedEdges(loc)
	if k.Begin.Kind == PosTime && k.End.Kind == PosTime && !k.End.Time.After(k.Begin.Time) {
		return fmt.Errorf("endDateTime: %s is not after beginDateTime %s", k.End.Time.Format(time.RFC3339), k.Begin.Time.Format(time.RFC3339))
	}
	if k.Begin.Kind == PosOffset && k.End.Kind == PosOffset && k.End.Offset < k.Begin.Offset {
		return fmt.Errorf("endOffset: %d is before beginOffset %d", k.End.Offset, k.Begin.Offset)
	}
	for _, b := range []struct {
		key string
		dst *bool
	}{{"skipExceedRecord", &k.SkipExceedRecord}, {"stopWhenPollEmpty", &k.StopWhenPollEmpty}} {
		if v, ok := m[b.key]; ok && v != "" {
			if *b.dst, err = config.Bool(b.key, v); err != nil {
				return err
			}
		}
	}
	if v, ok := m["skipExceedRecord"]; ok && v != "" && !k.SkipExceedRecord {
		k.IncludeExceed = true
	}
	if v, ok := m["stopWhenReachEndOffset"]; ok {
		stop, err := config.Bool("stopWhenReachEndOffset", v)
		if err != nil {
			return err
		}
		if !stop && !k.StopWhenPollEmpty {
			return fmt.Errorf("stopWhenReachEndOffset: false needs stopWhenPollEmpty: true (a window must end somewhere)")
		}
	}
	k.WaitTime = 60 * time.Second
	if v, ok := m["waitTime"]; ok {
		sec, err := config.Int("waitTime", v)
		if err != nil || sec < 0 || sec > 3600 {
			return fmt.Errorf("waitTime: want seconds between 0 and 3600")
		}
		k.WaitTime = time.Duration(sec) * time.Second
	}
	return nil
}

// position reads beginDateTime / beginTimestampMillis / beginOffset (or the end* trio).
func position(m map[string]any, edge string, loc *time.Location) (Position, error) {
	var p Position
	given := 0
	if v, ok := m[edge+"DateTime"]; ok && v != "" {
		given++
		s, err := config.String(edge+"DateTime", v)
		if err != nil {
			return p, err
		}
		t, err := time.ParseInLocation("20060102150405", strings.TrimSpace(s), loc)
		if err != nil {
			return p, fmt.Errorf("%sDateTime: %q is not yyyymmddhhmmss", edge, s)
		}
		p = Position{Kind: PosTime, Time: t, wall: true}
	}
	if v, ok := m[edge+"TimestampMillis"]; ok && v != "" {
		given++
		ms, err := config.Int(edge+"TimestampMillis", v)
		if err != nil || ms < 0 {
			return p, fmt.Errorf("%sTimestampMillis: want epoch milliseconds", edge)
		}
		p = Position{Kind: PosTime, Time: time.UnixMilli(ms).In(loc)}
	}
	if v, ok := m[edge+"Offset"]; ok && v != "" {
		given++
		s, _ := config.String(edge+"Offset", v)
		switch strings.TrimSpace(s) {
		case "seekToBeginning":
			p = Position{Kind: PosBeginning}
		case "seekToLast":
			p = Position{Kind: PosLast}
		case "seekToEnd":
			p = Position{Kind: PosEnd}
		default:
			n, err := config.Int(edge+"Offset", v)
			if err != nil || n < 0 {
				return p, fmt.Errorf("%sOffset: %q is not an offset, seekToBeginning, seekToLast or seekToEnd", edge, s)
			}
			p = Position{Kind: PosOffset, Offset: n}
		}
	}
	if given > 1 {
		return p, fmt.Errorf("%sDateTime: give only one of %[1]sDateTime, %[1]sTimestampMillis and %[1]sOffset", edge)
	}
	return p, nil
}

func (j *Job) bindWriter(m map[string]any) error {
	if err := rejectCredentials(m); err != nil {
		return err
	}
	if err := config.OnlyKeys("", m, writerKeys); err != nil {
		return err
	}
	w := &j.Writer
	f := fields{m: m}
	str := f.str
	var err error
	w.Datasource, w.Project = str("datasource"), str("project")
	w.OdpsServer, w.TunnelServer = str("odpsServer"), str("tunnelServer")
	table, partText := str("table"), str("partition")
	if err := f.err; err != nil {
		return err
	}
	if ds := j.Spec.Datasources[w.Datasource]; ds != nil && w.Datasource != "" {
		w.DatasourceInJob = true
		for _, kv := range []struct {
			key string
			dst *string
		}{{"project", &w.Project}, {"odpsServer", &w.OdpsServer}, {"tunnelServer", &w.TunnelServer}} {
			v, err := config.String("datasources."+w.Datasource+"."+kv.key, ds[kv.key])
			if err != nil {
				return err
			}
			if *kv.dst == "" {
				*kv.dst = strings.TrimSpace(v)
			}
		}
	}
	if table == "" {
		return fmt.Errorf("table: required")
	}
	if w.Partition, err = schema.ParsePartition(partText); err != nil {
		return fmt.Errorf("partition: %w", err)
	}
	if w.Columns, err = config.StringList("column", m["column"]); err != nil {
		return err
	}
	for _, b := range []struct {
		key string
		dst *bool
	}{{"truncate", &w.Truncate}, {"emptyAsNull", &w.EmptyAsNull}, {"compress", &w.Compress}, {"consistencyCommit", &w.ConsistencyCommit}} {
		if v, ok := m[b.key]; ok {
			if *b.dst, err = config.Bool(b.key, v); err != nil {
				return err
			}
		}
	}
	if _, given := m["compress"]; given && m["compress"] != "" && !w.Compress {
		w.Uncompressed = true
	}
	lifecycle := int64(36500)
	if v, ok := m["lifecycle"]; ok {
		if lifecycle, err = config.Int("lifecycle", v); err != nil || lifecycle < 0 {
			return fmt.Errorf("lifecycle: want days (0 = none)")
		}
	}
	w.Table = schema.Table{Name: table, Lifecycle: int(lifecycle)}
	for _, pv := range w.Partition {
		w.Table.Partitions = append(w.Table.Partitions, schema.Column{Name: pv.Column, Type: schema.String})
	}
	if v, ok := m["schema"]; ok {
		if w.Table.Columns, err = schemaColumns(v); err != nil {
			return err
		}
	} else {
		w.Table.Columns, err = derivedColumns(w.Columns, j.Reader.Columns)
		if err != nil {
			return err
		}
	}
	if err := w.Table.Validate(); err != nil {
		return fmt.Errorf("table: %w", err)
	}
	return nil
}

// schemaColumns reads `schema: [{name: id, type: bigint}, ...]`.
func schemaColumns(v any) ([]schema.Column, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("schema: want a list of {name, type}")
	}
	var cols []schema.Column
	for i, e := range list {
		where := fmt.Sprintf("schema[%d]", i)
		m, err := config.Map(where, e, false)
		if err != nil {
			return nil, err
		}
		if err := config.OnlyKeys(where, m, []string{"name", "type", "comment"}); err != nil {
			return nil, err
		}
		name, _ := config.String(where+".name", m["name"])
		typ, _ := config.String(where+".type", m["type"])
		comment, _ := config.String(where+".comment", m["comment"])
		t, err := schema.ParseType(typ)
		if err != nil {
			return nil, fmt.Errorf("%s.type: %w", where, err)
		}
		cols = append(cols, schema.Column{Name: name, Type: t, Comment: comment})
	}
	return cols, nil
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// derivedColumns makes the destination schema when the job gives none, as DataWorks' "Generate
// Destination Table Schema" does: attribute columns keep their types, other columns are STRING.
func derivedColumns(dest, src []string) ([]schema.Column, error) {
	names := dest
	if len(names) == 0 {
		for _, s := range src {
			if !identRE.MatchString(s) {
				return nil, fmt.Errorf("column: reader column %q is not a column name; list the destination columns in writer.column or give writer.schema", s)
			}
		}
		names = src
	}
	attr := map[string]schema.Type{}
	for _, c := range column.AttributeColumns() {
		attr[c.Name] = c.Type
	}
	cols := make([]schema.Column, 0, len(names))
	for _, n := range names {
		t, ok := attr[n]
		if !ok {
			t = schema.String
		}
		cols = append(cols, schema.Column{Name: n, Type: t})
	}
	return cols, nil
}

func (j *Job) bindSetting(m map[string]any) error {
	if m == nil {
		return nil
	}
	if err := config.OnlyKeys("", m, []string{"errorLimit", "speed"}); err != nil {
		return err
	}
	s := &j.Setting
	if v := m["errorLimit"]; v != nil {
		el, err := config.Map("errorLimit", v, false)
		if err != nil {
			return err
		}
		if err := config.OnlyKeys("errorLimit", el, []string{"record", "percentage"}); err != nil {
			return err
		}
		if v, ok := el["record"]; ok && v != "" {
			n, err := config.Int("errorLimit.record", v)
			if err != nil || n < 0 {
				return fmt.Errorf("errorLimit.record: want a count >= 0")
			}
			s.ErrorRecord = &n
		}
		if v, ok := el["percentage"]; ok && v != "" {
			f, err := config.Float("errorLimit.percentage", v)
			if err != nil || f < 0 || f > 1 {
				return fmt.Errorf("errorLimit.percentage: want a fraction between 0 and 1")
			}
			s.ErrorPercentage = &f
		}
	}
	if v := m["speed"]; v != nil {
		sp, err := config.Map("speed", v, false)
		if err != nil {
			return err
		}
		if err := config.OnlyKeys("speed", sp, []string{"concurrent", "channel", "throttle", "mbps", "byte", "record"}); err != nil {
			return err
		}
		for _, key := range []string{"concurrent", "channel"} {
			if v, ok := sp[key]; ok {
				n, err := config.Int("speed."+key, v)
				if err != nil || n < 1 || n > 1024 {
					return fmt.Errorf("speed.%s: want 1..1024", key)
				}
				s.Concurrent = int(n)
			}
		}
		throttle := true
		if v, ok := sp["throttle"]; ok {
			if throttle, err = config.Bool("speed.throttle", v); err != nil {
				return err
			}
		}
		if v, ok := sp["mbps"]; ok && throttle {
			f, err := config.Float("speed.mbps", v)
			if err != nil || f < 0 {
				return fmt.Errorf("speed.mbps: want MB/s >= 0")
			}
			s.BytesPerSecond = f * 1024 * 1024
		}
		if v, ok := sp["byte"]; ok && throttle {
			f, err := config.Float("speed.byte", v)
			if err != nil || f < 0 {
				return fmt.Errorf("speed.byte: want bytes/s >= 0")
			}
			s.BytesPerSecond = f
		}
		if v, ok := sp["record"]; ok && throttle {
			f, err := config.Float("speed.record", v)
			if err != nil || f < 0 {
				return fmt.Errorf("speed.record: want records/s >= 0")
			}
			s.RecordsPerSec = f
		}
	}
	return nil
}

// GeneratedTable is the table DataWorks' "Generate Destination Table Schema" makes for the job:
// named after the topic (characters MaxCompute does not allow become _), the six attribute
// columns, the job's partition columns, lifecycle 36500 days.
func (j *Job) GeneratedTable() schema.Table {
	name := []byte(j.Reader.Topic)
	for i, c := range name {
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			name[i] = '_'
		}
	}
	tn := string(name)
	if tn == "" || tn[0] >= '0' && tn[0] <= '9' {
		tn = "t_" + tn
	}
	if len(tn) > 128 {
		tn = tn[:128]
	}
	return schema.Table{
		Name:       tn,
		Columns:    column.AttributeColumns(),
		Partitions: j.Writer.Table.Partitions,
		Lifecycle:  36500,
	}
}

// fields reads trimmed text fields from a parameter map, keeping the first error.
type fields struct {
	m   map[string]any
	err error
}

func (f *fields) str(key string) string {
	if f.err != nil {
		return ""
	}
	s, err := config.String(key, f.m[key])
	f.err = err
	return strings.TrimSpace(s)
}
