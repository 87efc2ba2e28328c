package cdc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/fcsync/fcsync/shared/config"
)

// Job is a loaded database-to-Kafka job (as "DataWorks: Create a real-time synchronization
// solution to synchronize data to Kafka" describes one).
type Job struct {
	Name     string
	Location *time.Location // DATE and DATETIME values are read as wall clock times here
	Reader   Reader
	Writer   Writer
	// Budget bounds one invocation: it stops at the first transaction boundary after it.
	Budget time.Duration
	// BatchRecords and BatchBytes bound a batch: the unit that is produced, acknowledged and
	// then checkpointed (and repeated after a crash between the two).
	BatchRecords int
	BatchBytes   int
	// AllowDirty writes a row that cannot be encoded (a value its column or field mapping
	// cannot convert) to the dirty-data log instead of failing the run (DataWorks' "Allow Dirty
	// Data Records").
	AllowDirty bool
	// Concurrency is how many partitions' produce requests are in flight at once (DataWorks'
	// "Number of concurrent writes on the target side"); each partition still has at most one.
	Concurrency int
	// Mode is ModeCatchup (an invocation returns once it has written what the binlog held when
	// it began) or ModeFollow (it stays on the binlog for its whole budget, writing heartbeats
	// every Writer.HeartbeatInterval while idle).
	Mode string
}

// Reader is the source side of a job.
type Reader struct {
	Flavor     string  // "mysql" or "mariadb"
	Source     *Source // from reader.dsn; nil when the job names a datasource instead
	Datasource string
	ServerID   uint32 // the replica id the job registers with (unique among the server's replicas)
	Tables     []string
	Exclude    []string
	// Keys are key columns the job chooses per table ("db.table": [columns]); they make the
	// Kafka key of a table without a primary key (or replace the primary key).
	Keys map[string][]string
	// AllowNoPrimaryKey lets tables without a primary key and without Keys use the empty key.
	AllowNoPrimaryKey bool
	Snapshot          bool
	ChunkRows         int
	Position          string // "file" (file and offset) or "gtid"
	OnPurged          string // "fail" or "resnapshot"
}

// Writer is the Kafka side of a job.
type Writer struct {
	Servers           []string
	Datasource        string
	KafkaConfig       map[string]string
	Topics            TopicMap
	CreateTopic       bool // create missing topics; false: a missing topic is an error
	Partitions        int  // partitions of a created topic
	ReplicationFactor int
	UpdateAs          string // "one" (one record with before and after) or "two"
	Heartbeat         bool
	HeartbeatInterval time.Duration
	DDL               bool // write DDL records
	Compression       string
	// AdditionalFields are added to the rows of every table; Tables are per-table settings
	// (topic creation, additional fields, field names and types).
	AdditionalFields []AdditionalField
	Tables           []TableSettings
}

// Reader and writer choices.
const (
	PositionFile = "file"
	PositionGTID = "gtid"

	OnPurgedFail       = "fail"
	OnPurgedResnapshot = "resnapshot"

	UpdateOne = "one"
	UpdateTwo = "two"

	FlavorMySQL   = "mysql"
	FlavorMariaDB = "mariadb"

	ModeCatchup = "catchup"
	ModeFollow  = "follow"
)

// Defaults.
const (
	DefaultBudget            = 50 * time.Second
	DefaultBatchRecords      = 5000
	DefaultBatchBytes        = 4 << 20
	DefaultChunkRows         = 2000
	DefaultHeartbeatInterval = 5 * time.Second
	DefaultPartitions        = 3
	DefaultServerID          = 5701
	DefaultConcurrency       = 8
	MaxConcurrency           = 64
)

var (
	topKeys    = []string{"name", "timezone", "reader", "writer", "setting"}
	readerKeys = []string{"type", "dsn", "datasource", "serverId", "tables", "exclude", "keys", "allowNoPrimaryKey",
		"snapshot", "chunkRows", "position", "onPurgedBinlog"}
	writerKeys = []string{"type", "server", "datasource", "kafkaConfig", "topic", "prefix", "suffix", "rules", "createTopic",
		"partitions", "replicationFactor", "updateAs", "heartbeat", "heartbeatInterval", "ddl", "compression", "additionalFields", "tables"}
	settingKeys = []string{"budget", "batchRecords", "batchBytes", "mode", "allowDirty", "concurrency"}
	ruleKeys    = []string{"table", "regex", "topic"}
)

// LoadFile reads a job file; the name defaults to the file name without its extension.
func LoadFile(p string) (*Job, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("cdc job %s: %w", p, err)
	}
	j, err := Load(data, strings.TrimSuffix(filepath.Base(p), filepath.Ext(p)))
	if err != nil {
		return nil, fmt.Errorf("cdc job file %s: %w", p, err)
	}
	return j, nil
}

// Load parses a job (YAML, or the same as JSON). Unknown fields are errors that name them.
func Load(data []byte, defaultName string) (*Job, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("cdc job: empty")
	}
	// YAML 1.2 reads JSON too.
	var top map[string]any
	if err := yaml.Unmarshal(trimmed, &top); err != nil {
		return nil, fmt.Errorf("cdc job: not valid YAML or JSON: %w", err)
	}
	if top == nil {
		return nil, fmt.Errorf("cdc job: the document is not a mapping")
	}
	name, _ := top["name"].(string)
	if name == "" {
		name = defaultName
	}
	j, err := load(top, name)
	if err != nil {
		return nil, fmt.Errorf("cdc job %s: %w", name, err)
	}
	return j, nil
}

var jobNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

func load(top map[string]any, name string) (*Job, error) {
	if err := config.OnlyKeys("", top, topKeys); err != nil {
		return nil, err
	}
	if !jobNamePattern.MatchString(name) {
		return nil, fmt.Errorf("name: %q is not a job name (letters, digits, '.', '_', '-'; at most 128)", name)
	}
	j := &Job{Name: name, Budget: DefaultBudget, BatchRecords: DefaultBatchRecords, BatchBytes: DefaultBatchBytes, Mode: ModeCatchup, Concurrency: DefaultConcurrency}
	tz, err := config.String("timezone", top["timezone"])
	if err != nil {
		return nil, err
	}
	if tz == "" {
		tz = "Asia/Shanghai"
	}
	if j.Location, err = time.LoadLocation(tz); err != nil {
		return nil, fmt.Errorf("timezone: %q is not a known time zone", tz)
	}
	r, err := config.Map("reader", top["reader"], false)
	if err != nil {
		return nil, err
	}
	if err := j.loadReader(r); err != nil {
		return nil, err
	}
	w, err := config.Map("writer", top["writer"], false)
	if err != nil {
		return nil, err
	}
	if err := j.loadWriter(w); err != nil {
		return nil, err
	}
	s, err := config.Map("setting", top["setting"], true)
	if err != nil {
		return nil, err
	}
	if err := j.loadSetting(s); err != nil {
		return nil, err
	}
	return j, nil
}

// fields reads typed values out of one mapping, keeping the first error.
type fields struct {
	where string
	m     map[string]any
	err   error
}

func (f *fields) at(k string) string { return config.Join(f.where, k) }

func (f *fields) str(k, def string) string {
	if f.err != nil {
		return def
	}
	v, ok := f.m[k]
	if !ok || v == nil {
		return def
	}
	s, err := config.String(f.at(k), v)
	if err != nil {
		f.err = err
	}
	return s
}

func (f *fields) boolean(k string, def bool) bool {
	if f.err != nil {
		return def
	}
	v, ok := f.m[k]
	if !ok || v == nil {
		return def
	}
	b, err := config.Bool(f.at(k), v)
	if err != nil {
		f.err = err
	}
	return b
}

func (f *fields) integer(k string, def, lo, hi int64) int64 {
	if f.err != nil {
		return def
	}
	v, ok := f.m[k]
	if !ok || v == nil {
		return def
	}
	n, err := config.Int(f.at(k), v)
	if err != nil {
		f.err = err
		return def
	}
	if n < lo || n > hi {
		f.err = fmt.Errorf("%s: %d is out of range %d..%d", f.at(k), n, lo, hi)
	}
	return n
}

func (f *fields) duration(k string, def, lo time.Duration) time.Duration {
	s := f.str(k, "")
	if f.err != nil || s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		f.err = fmt.Errorf("%s: %q is not a duration like 30s", f.at(k), s)
		return def
	}
	if d < lo {
		f.err = fmt.Errorf("%s: %s is shorter than %s", f.at(k), d, lo)
	}
	return d
}

func (f *fields) list(k string) []string {
	if f.err != nil {
		return nil
	}
	l, err := config.StringList(f.at(k), f.m[k])
	if err != nil {
		f.err = err
	}
	return l
}

func (f *fields) oneOf(k, def string, allowed ...string) string {
	s := strings.ToLower(f.str(k, def))
	if f.err == nil && !slices.Contains(allowed, s) {
		f.err = fmt.Errorf("%s: %q: want %s", f.at(k), s, strings.Join(allowed, " or "))
	}
	return s
}

func (j *Job) loadReader(m map[string]any) error {
	if err := config.OnlyKeys("reader", m, readerKeys); err != nil {
		return err
	}
	f := &fields{where: "reader", m: m}
	r := &j.Reader
	r.Flavor = f.oneOf("type", FlavorMySQL, FlavorMySQL, FlavorMariaDB)
	if dsn := f.str("dsn", ""); dsn != "" && f.err == nil {
		src, err := ParseDSN(dsn)
		if err != nil {
			return fmt.Errorf("reader.%w", err)
		}
		r.Source = &src
	}
	r.Datasource = f.str("datasource", "")
	r.ServerID = uint32(f.integer("serverId", DefaultServerID, 1, 1<<32-1))
	r.Tables = f.list("tables")
	r.Exclude = f.list("exclude")
	r.AllowNoPrimaryKey = f.boolean("allowNoPrimaryKey", false)
	r.Snapshot = f.boolean("snapshot", true)
	r.ChunkRows = int(f.integer("chunkRows", DefaultChunkRows, 1, 1_000_000))
	r.Position = f.oneOf("position", PositionFile, PositionFile, PositionGTID)
	r.OnPurged = f.oneOf("onPurgedBinlog", OnPurgedFail, OnPurgedFail, OnPurgedResnapshot)
	if f.err != nil {
		return f.err
	}
	if r.Source != nil && r.Datasource != "" {
		return fmt.Errorf("reader: give dsn or datasource, not both")
	}
	if len(r.Tables) == 0 {
		return fmt.Errorf("reader.tables: name at least one table as db.table (wildcards * and ? allowed)")
	}
	for i, p := range slices.Concat(r.Tables, r.Exclude) {
		where := fmt.Sprintf("reader.tables[%d]", i)
		if i >= len(r.Tables) {
			where = fmt.Sprintf("reader.exclude[%d]", i-len(r.Tables))
		}
		if err := checkTablePattern(where, p); err != nil {
			return err
		}
	}
	if v, ok := m["keys"]; ok && v != nil {
		km, err := config.Map("reader.keys", v, false)
		if err != nil {
			return err
		}
		r.Keys = map[string][]string{}
		for _, t := range config.SortedKeys(km) {
			where := config.Join("reader.keys", t)
			if db, tb, ok := strings.Cut(t, "."); !ok || db == "" || tb == "" {
				return fmt.Errorf("%s: want the table as db.table", where)
			}
			cols, err := config.StringList(where, km[t])
			if err != nil {
				return err
			}
			if len(cols) == 0 {
				return fmt.Errorf("%s: name at least one column", where)
			}
			r.Keys[t] = cols
		}
	}
	return nil
}

func checkTablePattern(where, p string) error {
	db, tb, ok := strings.Cut(p, ".")
	if !ok || db == "" || tb == "" {
		return fmt.Errorf("%s: %q: want db.table (wildcards * and ? allowed)", where, p)
	}
	if _, err := path.Match(p, ""); err != nil {
		return fmt.Errorf("%s: %q: %w", where, p, err)
	}
	return nil
}

func (j *Job) loadWriter(m map[string]any) error {
	if err := config.OnlyKeys("writer", m, writerKeys); err != nil {
		return err
	}
	f := &fields{where: "writer", m: m}
	w := &j.Writer
	f.oneOf("type", "kafka", "kafka")
	for _, s := range strings.Split(f.str("server", ""), ",") {
		if s = strings.TrimSpace(s); s != "" {
			w.Servers = append(w.Servers, s)
		}
	}
	w.Datasource = f.str("datasource", "")
	w.Topics.Default = f.str("topic", DefaultTopic)
	w.Topics.Prefix = f.str("prefix", "")
	w.Topics.Suffix = f.str("suffix", "")
	w.CreateTopic = f.boolean("createTopic", true)
	w.Partitions = int(f.integer("partitions", DefaultPartitions, 1, 10000))
	w.ReplicationFactor = int(f.integer("replicationFactor", 1, 1, 32))
	w.UpdateAs = f.oneOf("updateAs", UpdateOne, UpdateOne, UpdateTwo)
	w.Heartbeat = f.boolean("heartbeat", true)
	w.HeartbeatInterval = f.duration("heartbeatInterval", DefaultHeartbeatInterval, time.Second)
	w.DDL = f.boolean("ddl", true)
	w.Compression = f.oneOf("compression", "none", "none", "gzip", "snappy", "lz4", "zstd")
	if f.err != nil {
		return f.err
	}
	if err := checkTemplate("writer.topic", w.Topics.Default, nil); err != nil {
		return err
	}
	var err error
	if w.AdditionalFields, err = loadAdditionalFields("writer.additionalFields", m["additionalFields"]); err != nil {
		return err
	}
	if err := w.loadTables(m["tables"]); err != nil {
		return err
	}
	if v, ok := m["kafkaConfig"]; ok && v != nil {
		km, err := config.Map("writer.kafkaConfig", v, false)
		if err != nil {
			return err
		}
		w.KafkaConfig = map[string]string{}
		for k, v := range km {
			s, err := config.String(config.Join("writer.kafkaConfig", k), v)
			if err != nil {
				return err
			}
			w.KafkaConfig[k] = s
		}
	}
	if v, ok := m["rules"]; ok && v != nil {
		list, ok := v.([]any)
		if !ok {
			return fmt.Errorf("writer.rules: want a list, got %s", config.Kind(v))
		}
		for i, e := range list {
			where := fmt.Sprintf("writer.rules[%d]", i)
			rm, err := config.Map(where, e, false)
			if err != nil {
				return err
			}
			if err := config.OnlyKeys(where, rm, ruleKeys); err != nil {
				return err
			}
			rf := &fields{where: where, m: rm}
			rule := TopicRule{Table: rf.str("table", ""), Topic: rf.str("topic", "")}
			re := rf.str("regex", "")
			if rf.err != nil {
				return rf.err
			}
			switch {
			case (rule.Table == "") == (re == ""):
				return fmt.Errorf("%s: give table (a db.table pattern) or regex, one of them", where)
			case re != "":
				if rule.Regex, err = regexp.Compile(re); err != nil {
					return fmt.Errorf("%s.regex: %w", where, err)
				}
			default:
				if err := checkTablePattern(where+".table", rule.Table); err != nil {
					return err
				}
			}
			if err := checkTemplate(where+".topic", rule.Topic, rule.Regex); err != nil {
				return err
			}
			w.Topics.Rules = append(w.Topics.Rules, rule)
		}
	}
	return nil
}

func (j *Job) loadSetting(m map[string]any) error {
	if m == nil {
		return nil
	}
	if err := config.OnlyKeys("setting", m, settingKeys); err != nil {
		return err
	}
	f := &fields{where: "setting", m: m}
	j.Budget = f.duration("budget", DefaultBudget, time.Second)
	j.BatchRecords = int(f.integer("batchRecords", DefaultBatchRecords, 1, 10_000_000))
	j.BatchBytes = int(f.integer("batchBytes", DefaultBatchBytes, 1024, 1<<30))
	j.Mode = f.oneOf("mode", ModeCatchup, ModeCatchup, ModeFollow)
	j.AllowDirty = f.boolean("allowDirty", false)
	j.Concurrency = int(f.integer("concurrency", DefaultConcurrency, 1, MaxConcurrency))
	return f.err
}

// Selects reports whether the job reads table db.table (it matches a tables pattern and no
// exclude pattern).
func (j *Job) Selects(db, table string) bool {
	full := db + "." + table
	match := func(ps []string) bool {
		for _, p := range ps {
			if ok, _ := path.Match(p, full); ok {
				return true
			}
		}
		return false
	}
	return match(j.Reader.Tables) && !match(j.Reader.Exclude)
}

// selection is a fingerprint of what decides the tables and their keys and topics; a state
// made under another selection cannot be continued.
func (j *Job) selection() string {
	b, _ := json.Marshal(struct {
		T, E  []string
		K     map[string][]string
		N     bool
		Topic TopicMap
		Rules []string
	}{j.Reader.Tables, j.Reader.Exclude, j.Reader.Keys, j.Reader.AllowNoPrimaryKey, TopicMap{Default: j.Writer.Topics.Default, Prefix: j.Writer.Topics.Prefix, Suffix: j.Writer.Topics.Suffix}, ruleStrings(j.Writer.Topics.Rules)})
	return string(b)
}

func ruleStrings(rs []TopicRule) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		if r.Regex != nil {
			out[i] = "regex:" + r.Regex.String() + "=>" + r.Topic
		} else {
			out[i] = "table:" + r.Table + "=>" + r.Topic
		}
	}
	return out
}
