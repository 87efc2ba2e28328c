// Package handler is the cdc function's platform-independent entry: a timer event (FC timer, or
// an AWS scheduled event) runs one bounded invocation of a database-to-Kafka job — the snapshot
// where it left off, then binlog changes until the job's budget (or the invocation's deadline)
// is spent — with the function's configuration read from environment variables. main.go wraps it
// for FC or Lambda; localrun calls it directly.
package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/fcsync/fcsync/functions/platform"
	"github.com/fcsync/fcsync/shared/cdc"
	"github.com/fcsync/fcsync/shared/kafka"
	"github.com/fcsync/fcsync/shared/runlog"
	"github.com/fcsync/fcsync/shared/trigger"
)

// Config is the function's configuration. DSN, Password and Sources are secrets: Config's
// String hides them.
type Config struct {
	JobsDir        string            // FCSYNC_JOBS: directory of job files (default ./jobs beside the binary)
	DefaultJob     string            // FCSYNC_JOB: the job a payload-less timer runs
	JobFile        string            // FCSYNC_JOB_FILE: one job file to serve (overrides JobsDir)
	State          string            // FCSYNC_STATE: the state store, a directory or oss://bucket/prefix
	Runs           string            // FCSYNC_RUNS: run records (default: the state store)
	Alerts         string            // FCSYNC_ALERTS: alert rules checked after each run (see platform.Runs)
	platform.Kafka                   // FCSYNC_KAFKA_SERVERS, FCSYNC_FORCE_SERVERS, FCSYNC_DATASOURCES
	DSN            string            // FCSYNC_CDC_DSN: the database, overriding the job's dsn or datasource
	Password       string            // FCSYNC_CDC_PASSWORD: the password of a DSN that has none
	Sources        map[string]string // FCSYNC_CDC_SOURCES: database data sources {"name":"user:pw@tcp(host:port)/"}
}

// String describes the configuration without its secrets.
func (c Config) String() string {
	names := make([]string, 0, len(c.Sources))
	for n := range c.Sources {
		names = append(names, n)
	}
	return fmt.Sprintf("{jobs=%s job=%s jobFile=%s state=%s servers=%v dsn=%v password=%v sources=%v}",
		c.JobsDir, c.DefaultJob, c.JobFile, c.State, c.Servers, c.DSN != "", c.Password != "", names)
}

// GoString is String, so %#v hides the secrets too.
func (c Config) GoString() string { return "handler.Config" + c.String() }

// ConfigFromEnv reads the configuration; getenv is os.Getenv in production. Its errors never
// quote FCSYNC_CDC_DSN, FCSYNC_CDC_PASSWORD or FCSYNC_CDC_SOURCES.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		JobsDir:    getenv("FCSYNC_JOBS"),
		DefaultJob: getenv("FCSYNC_JOB"),
		JobFile:    getenv("FCSYNC_JOB_FILE"),
		State:      getenv("FCSYNC_STATE"),
		Runs:       getenv("FCSYNC_RUNS"),
		Alerts:     getenv("FCSYNC_ALERTS"),
		DSN:        getenv("FCSYNC_CDC_DSN"),
		Password:   getenv("FCSYNC_CDC_PASSWORD"),
	}
	if c.JobsDir == "" {
		c.JobsDir = platform.BesideBinary("jobs")
	}
	if c.State == "" {
		c.State = ".fcsync/state"
	}
	if c.Runs == "" {
		c.Runs = c.State
	}
	var err error
	if c.Kafka, err = platform.KafkaFromEnv(getenv); err != nil {
		return c, err
	}
	if c.DSN != "" {
		if _, err := cdc.ParseDSN(c.DSN); err != nil {
			return c, fmt.Errorf("FCSYNC_CDC_DSN: %w", err)
		}
	}
	if s := getenv("FCSYNC_CDC_SOURCES"); s != "" {
		if err := json.Unmarshal([]byte(s), &c.Sources); err != nil {
			return c, errors.New(`FCSYNC_CDC_SOURCES: want a JSON object {"name":"user:password@tcp(host:port)/"} (value not shown: it holds passwords)`)
		}
		for name, dsn := range c.Sources {
			if _, err := cdc.ParseDSN(dsn); err != nil {
				return c, fmt.Errorf("FCSYNC_CDC_SOURCES[%q]: %w", name, err)
			}
		}
	}
	return c, nil
}

// Handler runs cdc invocations.
type Handler struct {
	cfg    Config
	log    *slog.Logger
	getenv func(string) string
	stores platform.StoreCache
	runs   platform.Runs // FCSYNC_RUNS
	// Options are added to every runner (tests: clock, hooks, stopping once caught up).
	Options []cdc.Option
}

// New makes a handler.
func New(cfg Config, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	return &Handler{cfg: cfg, log: log, getenv: os.Getenv, runs: platform.Runs{Location: cfg.Runs, Alerts: cfg.Alerts}}
}

// Result is the function's response.
type Result struct {
	Status string      `json:"status"` // "succeeded" or "failed"
	Job    string      `json:"job"`
	Report *cdc.Report `json:"report,omitempty"`
	Error  string      `json:"error,omitempty"`
}

// Invoke handles one timer event. Its payload names the job (a word, or {"job":"name"}); an
// empty payload runs FCSYNC_JOB. creds sign the state store's requests when it is on OSS.
func (h *Handler) Invoke(ctx context.Context, event []byte, creds platform.Credentials) (*Result, error) {
	ev, err := trigger.DecodeScheduled(event)
	if err != nil {
		return nil, err
	}
	req, err := trigger.DecodeBatchPayload(ev.Payload)
	if err != nil {
		return nil, err
	}
	if !req.At.IsZero() || req.Params != nil {
		return nil, errors.New(`cdc timer payload: "at" and "params" do not apply to a cdc job (give only "job")`)
	}
	j, err := h.LoadJob(req.Job)
	if err != nil {
		return nil, err
	}
	started := time.Now()
	res, err := h.Run(ctx, j)
	h.runs.Report(ctx, h.log, runlog.FromCDC(j.Name, res.Report, err, platform.Invocation(ctx, "cdc", started)), creds)
	return res, err
}

// Run runs one invocation of job j.
func (h *Handler) Run(ctx context.Context, j *cdc.Job) (*Result, error) {
	res := &Result{Status: "failed", Job: j.Name}
	r, err := h.Runner(ctx, j)
	if err != nil {
		res.Error = err.Error()
		h.log.Error("cdc invocation failed", "job", j.Name, "err", err.Error())
		return res, err
	}
	rep, err := r.Run(ctx)
	res.Report = rep
	if err != nil {
		res.Error = err.Error()
		h.log.Error("cdc invocation failed", "job", j.Name, "err", err.Error())
		return res, err
	}
	res.Status = "succeeded"
	return res, nil
}

// Runner builds the runner of job j from the configuration.
func (h *Handler) Runner(ctx context.Context, j *cdc.Job) (*cdc.Runner, error) {
	src, err := h.source(j)
	if err != nil {
		return nil, err
	}
	kcfg, err := h.kafkaConfig(j)
	if err != nil {
		return nil, err
	}
	store, err := h.stores.Open(ctx, h.cfg.State, h.getenv)
	if err != nil {
		return nil, err
	}
	opts := append([]cdc.Option{cdc.WithLogger(h.log)}, h.Options...)
	return cdc.New(j, src, kcfg, store, opts...)
}

// source resolves the database: FCSYNC_CDC_DSN, else the job's dsn, else its datasource in
// FCSYNC_CDC_SOURCES; FCSYNC_CDC_PASSWORD fills a missing password.
func (h *Handler) source(j *cdc.Job) (cdc.Source, error) {
	var src cdc.Source
	switch {
	case h.cfg.DSN != "":
		s, err := cdc.ParseDSN(h.cfg.DSN)
		if err != nil {
			return src, fmt.Errorf("FCSYNC_CDC_DSN: %w", err)
		}
		src = s
	case j.Reader.Source != nil:
		src = *j.Reader.Source
	case j.Reader.Datasource != "":
		dsn, ok := h.cfg.Sources[j.Reader.Datasource]
		if !ok {
			return src, fmt.Errorf("cdc job %s: datasource %q is not in FCSYNC_CDC_SOURCES", j.Name, j.Reader.Datasource)
		}
		s, err := cdc.ParseDSN(dsn)
		if err != nil {
			return src, fmt.Errorf("FCSYNC_CDC_SOURCES[%q]: %w", j.Reader.Datasource, err)
		}
		src = s
	default:
		return src, fmt.Errorf("cdc job %s: no database: set reader.dsn or reader.datasource, or FCSYNC_CDC_DSN", j.Name)
	}
	return src.WithPassword(h.cfg.Password), nil
}

// kafkaConfig resolves the brokers and client properties as the batch function does.
func (h *Handler) kafkaConfig(j *cdc.Job) (kafka.Config, error) {
	servers, props, err := h.cfg.Kafka.Resolve(j.Writer.Servers, j.Writer.Datasource, j.Writer.KafkaConfig)
	if err != nil {
		return kafka.Config{}, fmt.Errorf("cdc job %s: %w", j.Name, err)
	}
	// The topic only satisfies the validation; a cdc job writes to many topics.
	cfg, err := kafka.ConfigFromProperties(servers, "cdc-"+j.Name, props)
	if err != nil {
		return kafka.Config{}, fmt.Errorf("cdc job %s: writer.kafkaConfig: %w", j.Name, err)
	}
	if len(cfg.UnknownProperties) > 0 {
		h.log.Warn("kafka properties not used by the cdc writer", "job", j.Name, "properties", cfg.UnknownProperties)
	}
	return cfg, nil
}

// LoadJob loads the named job: the configured job file, or <name>.yaml, .yml or .json in the
// jobs directory. An empty name means the default job.
func (h *Handler) LoadJob(name string) (*cdc.Job, error) {
	return platform.LoadJob(platform.Jobs{File: h.cfg.JobFile, Dir: h.cfg.JobsDir, Default: h.cfg.DefaultJob}, name,
		cdc.LoadFile, func(j *cdc.Job) string { return j.Name })
}

// Config returns the handler's configuration.
func (h *Handler) Config() Config { return h.cfg }
