package platform

import (
	"context"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/fcsync/fcsync/shared/alert"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/rss"
	"github.com/fcsync/fcsync/shared/runlog"
	"github.com/fcsync/fcsync/shared/state"
)

// Invocation describes the running invocation for its run record: the platform's request id,
// retry count, memory size and timeout (from fccontext on FC, lambdacontext and the
// environment on Lambda), when it started and ended (now: call it when the work is done), and
// the process's peak memory so far.
func Invocation(ctx context.Context, function string, started time.Time) runlog.Invocation {
	inv := runlog.Invocation{Function: function, Started: started, Finished: time.Now()}
	if fctx, ok := fccontext.FromContext(ctx); ok {
		inv.ID, inv.Retry = fctx.RequestID, fctx.RetryCount
		inv.MemoryMB, _ = strconv.Atoi(fctx.Function.Memory)
		inv.Timeout = time.Duration(fctx.Function.Timeout) * time.Second
	} else if lc, ok := lambdacontext.FromContext(ctx); ok {
		inv.ID = lc.AwsRequestID
		inv.MemoryMB = lambdaMemoryMB(os.Getenv)
		if dl, ok := ctx.Deadline(); ok {
			inv.Timeout = dl.Sub(started).Round(time.Second)
		}
	}
	if peak, err := rss.PeakMB(); err == nil {
		inv.PeakMemoryMB = peak
	}
	return inv
}

// Report ends an invocation: one structured summary line in the function's log, and the run
// record written to runs (when not nil). The credentials' secrets are redacted from both. A
// record that cannot be written is logged as a warning: it never fails the invocation whose
// data was committed.
func Report(ctx context.Context, log *slog.Logger, runs objstore.Store, rec runlog.Record, creds Credentials) {
	secrets := []string{creds.AccessKeySecret, creds.SecurityToken}
	runlog.Summary(ctx, log, rec, secrets...)
	if runs == nil {
		return
	}
	if _, err := runlog.New(runs, runlog.WithSecrets(secrets...)).Write(context.WithoutCancel(ctx), rec); err != nil {
		log.Warn("run record not written", "job", rec.Job, "err", runlog.Redact(err.Error(), secrets...))
	}
}

// Runs is where a function's run records go: the store at Location, opened on first use (see
// OpenStore). The zero value (no Location) only logs the summary lines.
//
// With Alerts (FCSYNC_ALERTS: a rules file, see package alert; relative to the binary's
// directory) the function also evaluates the alert rules over the records after writing its
// own, at most once per AlertEvery (default a minute) per instance, and sends what fires. Any
// function may do it: overlapping checks send each notice once (alert.Monitor).
type Runs struct {
	Location   string
	Alerts     string
	AlertEvery time.Duration

	cache   StoreCache
	mu      sync.Mutex
	monitor *alert.Monitor
	checked time.Time
}

// Report logs rec's summary line and writes it to the runs store (see Report); a store that
// cannot be opened is a warning. Then it checks the alert rules when they are due.
func (r *Runs) Report(ctx context.Context, log *slog.Logger, rec runlog.Record, creds Credentials) {
	var store objstore.Store
	if r.Location != "" {
		var err error
		if store, err = r.cache.Open(ctx, r.Location, os.Getenv); err != nil {
			log.Warn("run records store", "err", runlog.Redact(err.Error(), creds.AccessKeySecret, creds.SecurityToken))
		}
	}
	Report(ctx, log, store, rec, creds)
	if store != nil && r.Alerts != "" {
		r.checkAlerts(ctx, log, store, rec.Finished)
	}
}

// checkAlerts runs the alert rules when a check is due; failures are warnings.
func (r *Runs) checkAlerts(ctx context.Context, log *slog.Logger, store objstore.Store, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	every := r.AlertEvery
	if every <= 0 {
		every = time.Minute
	}
	if now.IsZero() {
		now = time.Now()
	}
	if !r.checked.IsZero() && now.Sub(r.checked) < every {
		return
	}
	r.checked = now
	if r.monitor == nil {
		m, err := newMonitor(r.Alerts, store, log)
		if err != nil {
			log.Warn("alert rules not loaded", "file", r.Alerts, "err", err.Error())
			return
		}
		r.monitor = m
	}
	notices, err := r.monitor.Check(context.WithoutCancel(ctx), now)
	if err != nil {
		log.Warn("alert check", "err", err.Error())
	}
	for _, n := range notices {
		log.Info("alert sent", "rule", n.Rule, "job", n.Job, "kind", string(n.Kind), "severity", string(n.Severity))
	}
}

func newMonitor(file string, store objstore.Store, log *slog.Logger) (*alert.Monitor, error) {
	file = BesideBinary(file)
	cfg, err := alert.LoadConfig(file)
	if err != nil {
		return nil, err
	}
	channels, err := cfg.BuildChannels(os.Getenv)
	if err != nil {
		return nil, err
	}
	disabled := []string{}
	for _, r := range cfg.Rules {
		if r.Disabled {
			disabled = append(disabled, r.Name)
		}
	}
	log.Info("alert rules loaded", "file", file, "rules", len(cfg.Rules), "disabled", disabled)
	return &alert.Monitor{Runs: runlog.New(store), State: state.New(store, alert.StateScope), Config: cfg, Channels: channels, Log: log}, nil
}
