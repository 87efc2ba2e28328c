package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fcsync/fcsync/functions/batch/handler"
	"github.com/fcsync/fcsync/functions/platform"
	"github.com/fcsync/fcsync/localrun/fcruntime"
	"github.com/fcsync/fcsync/shared/job"
	"github.com/fcsync/fcsync/shared/rss"
	"github.com/fcsync/fcsync/shared/window"
)

// envFlags are the flags every command that runs a window shares.
type envFlags struct {
	job           *string
	brokers       *string
	warehouse     *string
	state         *string
	retryInterval *time.Duration
	verbose       *bool
}

func addEnvFlags(fs *flag.FlagSet) envFlags {
	return envFlags{
		job:           fs.String("job", "", "job file (YAML, DataWorks or DataX JSON)"),
		brokers:       fs.String("brokers", "", "Kafka bootstrap servers for the job (default: the job's server, else the embedded broker)"),
		warehouse:     fs.String("warehouse", ".fcsync/warehouse", "local warehouse directory"),
		state:         fs.String("state", ".fcsync/state", "state directory"),
		retryInterval: fs.Duration("retry-interval", -1, "wait between reruns of a failed window (default: the job's retry.interval, 2m)"),
		verbose:       fs.Bool("v", false, "log every step"),
	}
}

// setup loads the job and makes a handler whose Kafka is --brokers, the job's own servers, or
// the embedded persisted broker. stop releases what was started.
func (f envFlags) setup() (*job.Spec, *handler.Handler, func(), error) {
	if *f.job == "" {
		return nil, nil, nil, usageError{"--job FILE is required"}
	}
	spec, err := job.LoadFile(*f.job)
	if err != nil {
		return nil, nil, nil, err
	}
	stop := func() {}
	// Run records go where the function puts them by default (FCSYNC_RUNS unset: the state
	// store), so `localrun status --store <state>` shows local runs.
	cfg := handler.Config{StateDir: *f.state, RunsDir: *f.state, WarehouseDir: *f.warehouse, JobsDir: filepath.Dir(*f.job), JobFile: *f.job}
	probe, err := spec.Bind(time.Now(), nil)
	if err != nil {
		return nil, nil, nil, err
	}
	if *f.brokers != "" || len(probe.Reader.Servers) == 0 {
		var addrs []string
		if addrs, stop, err = brokersOrEmbedded(*f.brokers); err != nil {
			return nil, nil, nil, err
		}
		cfg.Servers, cfg.ForceServers = addrs, true
	}
	level := slog.LevelWarn
	if *f.verbose {
		level = slog.LevelInfo
	}
	h := handler.New(cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))
	return spec, h, stop, nil
}

// runWithRetries emulates the platform's reruns: attempts+1 tries, interval apart.
func runWithRetries(ctx context.Context, h *handler.Handler, spec *job.Spec, tick time.Time, interval time.Duration, out io.Writer) (*handler.Result, error) {
	if interval < 0 {
		interval = spec.Retry.Interval
	}
	var res *handler.Result
	var err error
	for attempt := 0; attempt <= spec.Retry.Attempts; attempt++ {
		if attempt > 0 {
			fmt.Fprintf(out, "rerun %d/%d of %s in %s after: %v\n", attempt, spec.Retry.Attempts, tick.Format(time.RFC3339), interval, err)
			select {
			case <-ctx.Done():
				return res, ctx.Err()
			case <-time.After(interval):
			}
		}
		res, err = h.Run(ctx, spec, tick, nil, platform.Credentials{})
		var limit *window.ErrorLimitError
		if err == nil || errors.As(err, &limit) || ctx.Err() != nil {
			return res, err // dirty data over the limit fails the same way on every rerun
		}
	}
	return res, err
}

func runBatch(ctx context.Context, args []string, out io.Writer) error {
	fs := flags("batch")
	ef := addEnvFlags(fs)
	at := fs.String("at", "", "scheduled time (RFC 3339, or yyyymmddhhmmss in the job's time zone)")
	peak := fs.Bool("peak-rss", false, "print this process's peak resident memory after the window (peak_rss_mb=N)")
	if err := parse(fs, args); err != nil {
		return err
	}
	spec, h, stop, err := ef.setup()
	if err != nil {
		return err
	}
	defer stop()
	if *at == "" {
		return usageError{"batch: --at TIME is required"}
	}
	tick, err := parseTime(*at, spec.Location)
	if err != nil {
		return usageError{"batch: --at: " + err.Error()}
	}
	res, err := runWithRetries(ctx, h, spec, tick, *ef.retryInterval, out)
	if res != nil && res.Report != nil {
		printReports(out, spec, []windowRun{{res.Report, err}})
	}
	if *peak {
		mb, rerr := rss.PeakMB()
		if rerr != nil {
			return errors.Join(err, rerr)
		}
		fmt.Fprintf(out, "peak_rss_mb=%.0f\n", mb)
	}
	return err
}

func runBackfill(ctx context.Context, args []string, out io.Writer) error {
	fs := flags("backfill")
	ef := addEnvFlags(fs)
	from := fs.String("from", "", "first scheduled time (inclusive)")
	to := fs.String("to", "", "last scheduled time (inclusive)")
	every := fs.Duration("every", 0, "tick spacing when the job has no schedule")
	if err := parse(fs, args); err != nil {
		return err
	}
	spec, h, stop, err := ef.setup()
	if err != nil {
		return err
	}
	defer stop()
	t1, err1 := parseTime(*from, spec.Location)
	t2, err2 := parseTime(*to, spec.Location)
	if err := errors.Join(err1, err2); err != nil {
		return usageError{"backfill: --from/--to: " + err.Error()}
	}
	ticks, err := scheduledTicks(spec, t1, t2, *every)
	if err != nil {
		return err
	}
	bar := newProgress(os.Stderr, len(ticks))
	var reports []windowRun
	var failed int
	for i, tick := range ticks {
		bar.update(i, tick.In(spec.Location).Format("2006-01-02 15:04"))
		res, err := runWithRetries(ctx, h, spec, tick, *ef.retryInterval, io.Discard)
		if res != nil && res.Report != nil {
			reports = append(reports, windowRun{res.Report, err})
		}
		if err != nil {
			failed++
			fmt.Fprintf(os.Stderr, "\n%s: %v\n", tick.Format(time.RFC3339), err)
			if ctx.Err() != nil {
				break
			}
		}
	}
	bar.done()
	printReports(out, spec, reports)
	if failed > 0 {
		return fmt.Errorf("%d of %d windows failed", failed, len(ticks))
	}
	return nil
}

// scheduledTicks lists the job's schedule ticks in [from, to].
func scheduledTicks(spec *job.Spec, from, to time.Time, every time.Duration) ([]time.Time, error) {
	if to.Before(from) {
		return nil, usageError{"--to is before --from"}
	}
	if spec.Schedule == nil {
		if every <= 0 {
			return nil, usageError{"the job has no schedule: pass --every DURATION"}
		}
		var out []time.Time
		for t := from; !t.After(to); t = t.Add(every) {
			out = append(out, t)
			if len(out) > 100000 {
				return nil, usageError{"more than 100000 ticks"}
			}
		}
		return out, nil
	}
	ticks, truncated := spec.Schedule.BetweenLimit(from.In(spec.Location), to.In(spec.Location), 100000)
	if truncated {
		return nil, usageError{"more than 100000 ticks"}
	}
	return ticks, nil
}

func runInvoke(ctx context.Context, args []string, out io.Writer) error {
	fs := flags("invoke")
	ef := addEnvFlags(fs)
	function := fs.String("function", "batch", "function to invoke: batch or stream")
	event := fs.String("event", "", "raw platform event file (FC timer or AWS scheduled event; FC Kafka trigger or AWS Kafka event)")
	binary := fs.String("binary", "", "run this built function binary under the emulated FC runtime API instead of in-process")
	lake := fs.String("lake", ".fcsync/lake", "lake directory (stream)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *function != "batch" && *function != "stream" {
		return usageError{fmt.Sprintf("invoke: function %q does not exist (batch, stream)", *function)}
	}
	if *event == "" {
		return usageError{"invoke: --event FILE is required"}
	}
	payload, err := os.ReadFile(*event)
	if err != nil {
		return err
	}
	if *function == "stream" {
		return invokeStream(ctx, *ef.job, *lake, *ef.state, *binary, payload, out)
	}
	spec, h, stop, err := ef.setup()
	if err != nil {
		return err
	}
	defer stop()
	if *binary != "" {
		return invokeBinary(ctx, *binary, spec, h, payload, out)
	}
	res, err := h.Invoke(ctx, payload, platform.Credentials{})
	if res != nil {
		b, _ := json.MarshalIndent(res, "", "  ")
		fmt.Fprintln(out, string(b))
	}
	return err
}

// invokeBinary runs a built function binary as FC would: a separate process polling the runtime API.
func invokeBinary(ctx context.Context, bin string, spec *job.Spec, h *handler.Handler, payload []byte, out io.Writer) error {
	rt, err := fcruntime.Start(ctx)
	if err != nil {
		return err
	}
	defer rt.Close()
	cfg := h.Config()
	env := []string{
		"FCSYNC_JOB_FILE=" + cfg.JobFile,
		"FCSYNC_STATE=" + cfg.StateDir,
		"FCSYNC_WAREHOUSE=" + cfg.WarehouseDir,
		"FCSYNC_KAFKA_SERVERS=" + strings.Join(cfg.Servers, ","),
	}
	if cfg.ForceServers {
		env = append(env, "FCSYNC_FORCE_SERVERS=1")
	}
	return runUnderRuntime(ctx, rt, bin, env, "fcsync-batch", payload, out)
}

// runUnderRuntime starts the binary against the emulated runtime API and sends it one event.
func runUnderRuntime(ctx context.Context, rt *fcruntime.Runtime, bin string, env []string, name string, payload []byte, out io.Writer) error {
	proc, err := rt.StartProcess(ctx, bin, env, os.Stderr, os.Stderr)
	if err != nil {
		return err
	}
	defer proc.Stop()
	res, err := rt.Invoke(ctx, payload, fcruntime.InvokeOptions{Timeout: 10 * time.Minute, FunctionName: name})
	if err != nil {
		return err
	}
	if res.Err != nil {
		return fmt.Errorf("function error (%s): %s", res.Err.Type, res.Err.Message)
	}
	fmt.Fprintln(out, string(res.Payload))
	return nil
}
