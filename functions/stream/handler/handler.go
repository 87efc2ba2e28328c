// Package handler is the stream function's platform-independent entry: it decodes one Kafka
// trigger payload (FC CloudEvents in either shape, RawData, or an AWS Lambda KafkaEvent) and
// runs the batch through the job's processing chain into its table: a Hudi table in the lake
// store (writer type hudi), or a MaxCompute table (writer type maxcompute) — the project of
// FCSYNC_ODPS_PROJECT, or the local warehouse when none is set. main.go wraps it for
// FC or Lambda; localrun calls it directly.
package handler

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/fcsync/fcsync/functions/platform"
	"github.com/fcsync/fcsync/shared/job"
	"github.com/fcsync/fcsync/shared/lake/hudi"
	"github.com/fcsync/fcsync/shared/record"
	"github.com/fcsync/fcsync/shared/runlog"
	"github.com/fcsync/fcsync/shared/stream"
	"github.com/fcsync/fcsync/shared/trigger"
)

// Config is the function's configuration, from the environment.
type Config struct {
	JobsDir string // FCSYNC_JOBS: directory of job files (default ./jobs beside the binary)
	Job     string // FCSYNC_JOB: the job this function serves (one function per real-time job)
	JobFile string // FCSYNC_JOB_FILE: or the job's file
	RunsDir string // FCSYNC_RUNS: run records (default: the lake store)
	Alerts  string // FCSYNC_ALERTS: alert rules checked after each run (see platform.Runs)
	LakeDir string // FCSYNC_LAKE: the object store tables and dirty data live in (a directory or oss://bucket/prefix, see platform.OpenStore)
	// MaxCompute writers:
	StateDir     string        // FCSYNC_STATE: the jobs' stream state and the sink's commit records (default: the lake store)
	WarehouseDir string        // FCSYNC_WAREHOUSE: the local warehouse root when no MaxCompute project is set (default .fcsync/warehouse)
	ODPS         platform.ODPS // FCSYNC_ODPS_*: the MaxCompute project
}

// ConfigFromEnv reads the configuration; getenv is os.Getenv in production.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{JobsDir: getenv("FCSYNC_JOBS"), Job: getenv("FCSYNC_JOB"), JobFile: getenv("FCSYNC_JOB_FILE"), LakeDir: getenv("FCSYNC_LAKE"), RunsDir: getenv("FCSYNC_RUNS"), Alerts: getenv("FCSYNC_ALERTS")}
	if c.JobsDir == "" {
		c.JobsDir = platform.BesideBinary("jobs")
	}
	if c.LakeDir == "" {
		c.LakeDir = ".fcsync/lake"
	}
	c.StateDir, c.WarehouseDir, c.ODPS = getenv("FCSYNC_STATE"), getenv("FCSYNC_WAREHOUSE"), platform.ODPSFromEnv(getenv)
	if c.StateDir == "" {
		c.StateDir = c.LakeDir
	}
	if c.WarehouseDir == "" {
		c.WarehouseDir = ".fcsync/warehouse"
	}
	if c.RunsDir == "" {
		c.RunsDir = c.LakeDir
	}
	if c.Job == "" && c.JobFile == "" {
		return c, fmt.Errorf("FCSYNC_JOB or FCSYNC_JOB_FILE must name the stream job this function serves")
	}
	return c, nil
}

// Handler serves Kafka trigger invocations. Invocations may overlap: it is safe for
// concurrent use.
type Handler struct {
	cfg Config
	log *slog.Logger
	// Now is the batch time (scheduling parameters in processors); time.Now when nil.
	Now func() time.Time

	once sync.Once
	job  *stream.Job
	err  error

	stores platform.StoreCache // the lake store, opened by the first invocation
	// keys keeps base files' record keys between invocations of a warm instance, so an upsert
	// does not read every base file of its partitions again.
	keys   *hudi.KeyCache
	states platform.StoreCache // FCSYNC_STATE, for MaxCompute writers
	runs   platform.Runs       // FCSYNC_RUNS
}

// New makes a handler. StateDir and WarehouseDir default as in ConfigFromEnv.
func New(cfg Config, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	if cfg.StateDir == "" {
		cfg.StateDir = cfg.LakeDir
	}
	if cfg.WarehouseDir == "" {
		cfg.WarehouseDir = ".fcsync/warehouse"
	}
	return &Handler{cfg: cfg, log: log, runs: platform.Runs{Location: cfg.RunsDir, Alerts: cfg.Alerts},
		keys: hudi.NewKeyCache(keyCacheBytes)}
}

// keyCacheBytes bounds the record keys a warm instance keeps: about 500,000 keys of 16 bytes.
const keyCacheBytes = 16 << 20

// Result is the function's response.
type Result struct {
	Status string         `json:"status"` // "committed" or "duplicate" (nothing new)
	Report *stream.Report `json:"report"`
}

// Job loads and compiles the job once.
func (h *Handler) Job() (*stream.Job, error) {
	h.once.Do(func() {
		path := h.cfg.JobFile
		if path == "" {
			if path, h.err = job.FindFile(h.cfg.JobsDir, h.cfg.Job); h.err != nil {
				return
			}
		}
		var spec *job.Stream
		if spec, h.err = job.LoadStreamFile(path); h.err != nil {
			return
		}
		h.job, h.err = stream.Compile(spec)
	})
	return h.job, h.err
}

// Invoke handles one Kafka trigger payload. A payload that does not decode fails the
// invocation and writes nothing; so does a batch the job refuses (error limit, dynamic
// column policy error). Every error is a function error, which the Kafka trigger retries
// under its retryStrategy; a *stream.StopError (policy error: the stream must not move past
// the record) is recorded with error class "stopped", and needs a trigger with
// errorsTolerance NONE, which stops the consumer task instead of dead-lettering the batch
// (see s.yaml). creds may be empty.
func (h *Handler) Invoke(ctx context.Context, event []byte, creds platform.Credentials) (*Result, error) {
	started := time.Now()
	j, err := h.Job()
	if err != nil {
		return nil, err
	}
	recs, rep, err := h.run(ctx, j, event, creds)
	h.runs.Report(ctx, h.log, runlog.FromStream(j.Spec.Name, rep, err, recs, platform.Invocation(ctx, "stream", started)), creds)
	if err != nil {
		return nil, err
	}
	res := &Result{Status: "committed", Report: rep}
	if !rep.Committed {
		res.Status = "duplicate"
	}
	return res, nil
}

// run decodes the payload and runs the batch.
func (h *Handler) run(ctx context.Context, j *stream.Job, event []byte, creds platform.Credentials) ([]record.Record, *stream.Report, error) {
	valueFormat, _ := trigger.ParseDataFormat(j.Spec.ValueFormat)
	keyFormat, _ := trigger.ParseDataFormat(j.Spec.KeyFormat)
	recs, err := trigger.DecodeKafka(event, trigger.WithValueFormat(valueFormat), trigger.WithKeyFormat(keyFormat))
	if err != nil {
		return nil, nil, fmt.Errorf("job %s: %w", j.Spec.Name, err)
	}
	// An OSS lake signs each request with the keys of the invocation whose ctx it is made with
	// (platform.FromContext), the same keys creds holds.
	lake, err := h.stores.Open(ctx, h.cfg.LakeDir, os.Getenv)
	if err != nil {
		return recs, nil, fmt.Errorf("lake %w", err)
	}
	env := stream.Env{Lake: lake, Log: h.log, Now: h.Now, HudiOptions: []hudi.Option{hudi.WithKeyCache(h.keys)}}
	if j.Spec.Table != nil {
		if env.State, err = h.states.Open(ctx, h.cfg.StateDir, os.Getenv); err != nil {
			return recs, nil, fmt.Errorf("state %w", err)
		}
		// A MaxCompute sink is made per invocation: it signs with this invocation's keys.
		if env.Sink, err = platform.OpenSink(h.cfg.ODPS, h.cfg.WarehouseDir, env.State, creds, h.log); err != nil {
			return recs, nil, err
		}
	}
	rep, err := j.Run(ctx, env, recs)
	return recs, rep, err
}
