// Package handler is the batch function's platform-independent entry: it turns a timer event
// (FC timer, or an AWS scheduled event) into one window run of a job, with the function's
// configuration read from environment variables. main.go wraps it for FC or Lambda; localrun
// calls it directly for `localrun invoke`.
package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/fcsync/fcsync/functions/platform"
	"github.com/fcsync/fcsync/shared/job"
	"github.com/fcsync/fcsync/shared/kafka"
	"github.com/fcsync/fcsync/shared/runlog"
	"github.com/fcsync/fcsync/shared/sink/maxcompute"
	"github.com/fcsync/fcsync/shared/trigger"
	"github.com/fcsync/fcsync/shared/window"
)

// Config is the function's configuration.
type Config struct {
	JobsDir        string // FCSYNC_JOBS: directory of job files (default ./jobs beside the binary)
	DefaultJob     string // FCSYNC_JOB: the job a payload-less timer runs
	JobFile        string // FCSYNC_JOB_FILE: one job file to serve (overrides JobsDir)
	StateDir       string // FCSYNC_STATE: state and dirty data (a directory or oss://bucket/prefix, see platform.OpenStore)
	RunsDir        string // FCSYNC_RUNS: run records (default: the state store)
	Alerts         string // FCSYNC_ALERTS: alert rules checked after each run (see platform.Runs)
	WarehouseDir   string // FCSYNC_WAREHOUSE: the local warehouse root (when no MaxCompute project is set)
	ODPS           ODPS   // FCSYNC_ODPS_*: the MaxCompute projects windows write to (FCSYNC_ODPS_DATASOURCES: named ones)
	Zone           string // the time zone of jobs that name none: FC_REGION's (job.RegionZone)
	ZoneReason     string // how Zone was chosen
	platform.Kafka        // FCSYNC_KAFKA_SERVERS, FCSYNC_FORCE_SERVERS, FCSYNC_DATASOURCES
}

// ODPS says where the MaxCompute sink writes (FCSYNC_ODPS_*). With Project empty windows go
// to the local warehouse.
type ODPS = platform.ODPS

// ConfigFromEnv reads the configuration; getenv is os.Getenv in production.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		JobsDir:      getenv("FCSYNC_JOBS"),
		DefaultJob:   getenv("FCSYNC_JOB"),
		JobFile:      getenv("FCSYNC_JOB_FILE"),
		StateDir:     getenv("FCSYNC_STATE"),
		RunsDir:      getenv("FCSYNC_RUNS"),
		Alerts:       getenv("FCSYNC_ALERTS"),
		ODPS:         platform.ODPSFromEnv(getenv),
		WarehouseDir: getenv("FCSYNC_WAREHOUSE"),
	}
	c.Zone, c.ZoneReason = job.RegionZone(getenv("FC_REGION"))
	if c.JobsDir == "" {
		c.JobsDir = platform.BesideBinary("jobs")
	}
	if c.StateDir == "" {
		c.StateDir = ".fcsync/state"
	}
	if c.RunsDir == "" {
		c.RunsDir = c.StateDir
	}
	if c.WarehouseDir == "" {
		c.WarehouseDir = ".fcsync/warehouse"
	}
	var err error
	if c.Kafka, err = platform.KafkaFromEnv(getenv); err != nil {
		return c, err
	}
	return c, nil
}

// Handler runs batch windows.
type Handler struct {
	cfg   Config
	log   *slog.Logger
	Hooks *window.Hooks // fault injection for tests
	Now   func() time.Time
	// Sleep waits between reruns of a failed window (nil: a timer); tests record the waits.
	Sleep func(ctx context.Context, d time.Duration) error

	stores platform.StoreCache // the state store, opened by the first invocation
	runs   platform.Runs       // FCSYNC_RUNS
}

// New makes a handler.
func New(cfg Config, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	if cfg.Zone == "" {
		cfg.Zone, cfg.ZoneReason = job.RegionZone("")
	}
	log.Info("jobs without a timezone run in "+cfg.Zone, "reason", cfg.ZoneReason)
	return &Handler{cfg: cfg, log: log, runs: platform.Runs{Location: cfg.RunsDir, Alerts: cfg.Alerts}}
}

// Result is the function's response: the window report.
type Result struct {
	Status string         `json:"status"`
	Report *window.Report `json:"report,omitempty"`
	Error  string         `json:"error,omitempty"`
	Job    string         `json:"job"`
	Tick   time.Time      `json:"tick"`
}

// Invoke handles one timer event (FC timer or AWS scheduled event). creds may be empty.
func (h *Handler) Invoke(ctx context.Context, event []byte, creds platform.Credentials) (*Result, error) {
	ev, err := trigger.DecodeScheduled(event)
	if err != nil {
		return nil, err
	}
	req, err := trigger.DecodeBatchPayload(ev.Payload)
	if err != nil {
		return nil, err
	}
	spec, err := h.LoadJob(req.Job)
	if err != nil {
		return nil, err
	}
	tick := req.At
	if tick.IsZero() {
		tick = ev.TriggerTime.Truncate(time.Second)
		if spec.Schedule != nil {
			// A timer may fire a little late: the window is the tick it stands for.
			tick = spec.Schedule.Prev(tick.In(spec.Location))
		}
	}
	return h.RunWithRetries(ctx, spec, tick, req.Params, creds)
}

// rerunMargin is the time a rerun needs at least besides the wait: with less left before the
// invocation's deadline the handler returns the error instead, and FC's own async retry (s.yaml
// maxAsyncRetryAttempts) takes the next attempt.
const rerunMargin = time.Minute

// RunWithRetries runs the window and, when it fails for a reason a rerun can cure, reruns it
// as the job's retry says (DataWorks' auto rerun, by default 3 times 2 minutes apart) inside this
// invocation: FC's async retries cannot be spaced by the job. A permanent failure (window.Permanent:
// dirty data over errorLimit, a job that does not bind or names an unknown data source) is
// returned at once. Each attempt leaves its own run record.
func (h *Handler) RunWithRetries(ctx context.Context, spec *job.Spec, tick time.Time, params map[string]string, creds platform.Credentials) (*Result, error) {
	res, err := h.Run(ctx, spec, tick, params, creds)
	for attempt := 1; err != nil && attempt <= spec.Retry.Attempts && !window.Permanent(err) && ctx.Err() == nil; attempt++ {
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < spec.Retry.Interval+rerunMargin {
			h.log.Warn("window failed; too little time left in this invocation to rerun it", "job", spec.Name, "attempt", attempt, "interval", spec.Retry.Interval.String(), "err", err.Error())
			break
		}
		h.log.Warn("window failed; rerunning it", "job", spec.Name, "attempt", attempt, "of", spec.Retry.Attempts, "interval", spec.Retry.Interval.String(), "err", err.Error())
		if serr := h.sleep(ctx, spec.Retry.Interval); serr != nil {
			break
		}
		res, err = h.Run(ctx, spec, tick, params, creds)
	}
	return res, err
}

func (h *Handler) sleep(ctx context.Context, d time.Duration) error {
	if h.Sleep != nil {
		return h.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// permanentError is a failure no rerun cures: the job does not bind, or its writer names a
// MaxCompute data source nobody configured.
type permanentError struct{ error }

func (permanentError) Permanent() bool { return true }
func (e permanentError) Unwrap() error { return e.error }

// Run executes one window of spec at tick.
func (h *Handler) Run(ctx context.Context, spec *job.Spec, tick time.Time, params map[string]string, creds platform.Credentials) (*Result, error) {
	started := time.Now()
	j, err := spec.Bind(tick, params)
	if err != nil {
		return nil, permanentError{err}
	}
	env, err := h.Env(ctx, creds, j.Writer)
	if err != nil {
		var cfg *platform.ODPSConfigError
		if errors.As(err, &cfg) {
			return nil, permanentError{fmt.Errorf("job %s: %w", spec.Name, err)}
		}
		return nil, fmt.Errorf("job %s: %w", spec.Name, err)
	}
	rep, err := window.Run(ctx, env, spec, tick, params)
	res := &Result{Status: "succeeded", Report: rep, Job: spec.Name, Tick: tick.In(spec.Location)}
	if err != nil {
		res.Status, res.Error = "failed", err.Error()
	}
	h.runs.Report(ctx, h.log, runlog.FromWindow(spec.Name, rep, err, platform.Invocation(ctx, "batch", started)), creds)
	return res, err
}

// Config returns the handler's configuration.
func (h *Handler) Config() Config { return h.cfg }

// LoadJob loads the named job: the configured job file, or <name>.yaml, .yml or .json in the
// jobs directory. An empty name means the default job.
func (h *Handler) LoadJob(name string) (*job.Spec, error) {
	return platform.LoadJob(platform.Jobs{File: h.cfg.JobFile, Dir: h.cfg.JobsDir, Default: h.cfg.DefaultJob}, name,
		func(path string) (*job.Spec, error) { return job.LoadFileIn(path, h.cfg.Zone) }, func(s *job.Spec) string { return s.Name })
}

// Env builds the window environment from the configuration for a job's writer: the MaxCompute
// project it names (its own project, odpsServer and tunnelServer, else its data source's, else
// FCSYNC_ODPS_*). An OSS state store signs each request with the keys of the invocation whose
// context it is made with.
func (h *Handler) Env(ctx context.Context, creds platform.Credentials, w job.ODPS) (window.Env, error) {
	store, err := h.stores.Open(ctx, h.cfg.StateDir, os.Getenv)
	if err != nil {
		return window.Env{}, fmt.Errorf("state %w", err)
	}
	ds := w.Datasource
	if w.DatasourceInJob {
		ds = "" // resolved from the job's datasources when it was bound
	}
	odps, err := h.cfg.ODPS.ForWriter(ds, w.Project, w.OdpsServer, w.TunnelServer)
	if err != nil {
		return window.Env{}, err
	}
	if w.Uncompressed {
		odps.Codec = string(maxcompute.CodecNone) // the writer's compress: false
	}
	dest, err := platform.OpenSink(odps, h.cfg.WarehouseDir, store, creds, h.log)
	if err != nil {
		return window.Env{}, err
	}
	now := h.Now
	if now == nil {
		now = time.Now
	}
	return window.Env{Dial: h.dial, Sink: dest, Store: store, Log: h.log, Now: now, Hooks: h.Hooks}, nil
}

func (h *Handler) dial(ctx context.Context, k job.Kafka) (window.Source, error) {
	servers, props, err := h.cfg.Kafka.Resolve(k.Servers, k.Datasource, k.KafkaConfig)
	if err != nil {
		return nil, err
	}
	// The data source's kafkaConfig joins the job's here: ReaderConfig checks the merged names
	// (the job's own were checked when it loaded) and keeps the warnings for the run record.
	cfg, err := kafka.ReaderConfig(servers, k.Topic, props)
	if err != nil {
		return nil, err
	}
	return kafka.Dial(ctx, cfg)
}
