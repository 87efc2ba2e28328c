package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fcsync/fcsync/functions/platform"
	"github.com/fcsync/fcsync/shared/alert"
	"github.com/fcsync/fcsync/shared/runlog"
)

// runStatus shows the recent run records of a store as a table, and with --alerts what the alert
// rules would have sent over them.
func runStatus(ctx context.Context, args []string, out io.Writer) error {
	fs := flags("status")
	storeDir := fs.String("store", ".fcsync/state", "the object store holding runs/: a directory or oss://bucket/prefix")
	jobName := fs.String("job", "", "only this job")
	limit := fs.Int("limit", 20, "the newest N runs")
	rules := fs.String("alerts", "", "alert rules file: print the notices the rules would have sent over the runs")
	atText := fs.String("at", "", "with --alerts: evaluate up to this time (default now)")
	fromText := fs.String("from", "", "with --alerts: evaluate from this time (default 24 hours before --at)")
	tz := fs.String("tz", "UTC", "time zone of the times shown and read")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("status: unexpected argument %q", fs.Arg(0))}
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return usageError{fmt.Sprintf("status: --tz: %v", err)}
	}
	if *limit < 1 || *limit > 1000 {
		return usageError{"status: --limit: want 1 to 1000"}
	}
	// A directory, or oss://bucket/prefix with the ALIBABA_CLOUD_* keys and FCSYNC_OSS_* settings
	// of the environment (as the functions open it).
	store, err := platform.OpenStore(ctx, *storeDir, os.Getenv)
	if err != nil {
		return err
	}
	runs := runlog.New(store)
	if *rules == "" {
		recs, err := runs.List(ctx, runlog.Query{Job: *jobName, Limit: *limit})
		if recs == nil && err != nil {
			return err
		}
		printRuns(out, recs, loc)
		return err // a corrupt record is reported after the table
	}

	cfg, err := alert.LoadConfig(*rules)
	if err != nil {
		return err
	}
	at := time.Now()
	if *atText != "" {
		if at, err = parseTime(*atText, loc); err != nil {
			return usageError{"status: --at: " + err.Error()}
		}
	}
	from := at.Add(-24 * time.Hour)
	if *fromText != "" {
		if from, err = parseTime(*fromText, loc); err != nil {
			return usageError{"status: --from: " + err.Error()}
		}
	}
	recs, err := runs.List(ctx, runlog.Query{Job: *jobName, Limit: 1000, Since: from.Add(-cfg.Lookback())})
	if err != nil && !errors.Is(err, runlog.ErrCorrupt) {
		return err
	}
	notices, rerr := alert.Replay(cfg.Rules, recs, from, at, time.Minute)
	if rerr != nil {
		return usageError{"status: " + rerr.Error()}
	}
	var disabled []string
	for _, r := range cfg.Rules {
		if r.Disabled {
			disabled = append(disabled, r.Name)
		}
	}
	rulesText := fmt.Sprintf("%d rules", len(cfg.Rules))
	if len(disabled) > 0 {
		rulesText += fmt.Sprintf(" (%d disabled, never fire: %s)", len(disabled), strings.Join(disabled, ", "))
	}
	fmt.Fprintf(out, "%d runs, %s, evaluated every minute from %s to %s (%s); nothing is sent\n",
		len(recs), rulesText, from.In(loc).Format("2006-01-02 15:04"), at.In(loc).Format("2006-01-02 15:04"), loc)
	printNotices(out, notices, loc)
	return err
}

func printRuns(out io.Writer, recs []runlog.Record, loc *time.Location) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	fmt.Fprintln(tw, "finished\tjob\tfunction\tstatus\tretry\twindow / offsets\tread\tprocessed\tfiltered\tdirty\twritten\tattempted\tlate\tduration\tpeak MB\terror\t")
	for _, r := range recs {
		where := runlog.OffsetsText(r.Offsets)
		if w := r.Window; w != nil {
			where = w.Tick.In(loc).Format("2006-01-02 15:04") + " " + w.Partition
			if w.Rerun {
				where += " (rerun)"
			}
		}
		peak := ""
		if r.PeakMemoryMB > 0 {
			peak = fmt.Sprintf("%.0f", r.PeakMemoryMB)
			if r.MemoryMB > 0 {
				peak += fmt.Sprintf("/%d", r.MemoryMB)
			}
		}
		c := r.Counts
		attempted := ""
		if c.Attempted > 0 {
			attempted = fmt.Sprint(c.Attempted)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%d\t%s\t%s\t%s\t\n", r.Finished.In(loc).Format("2006-01-02 15:04:05"),
			r.Job, r.Function, r.Status, r.Retry, where, c.Read, c.Processed, c.Filtered, c.Dirty, c.Written, attempted, c.Late,
			r.Duration().Round(time.Millisecond), peak, shorten(r.Error, 60))
	}
	tw.Flush()
	if len(recs) == 0 {
		fmt.Fprintln(out, "no runs recorded")
	}
}

func printNotices(out io.Writer, ns []alert.Notice, loc *time.Location) {
	if len(ns) == 0 {
		fmt.Fprintln(out, "no alert would have fired")
		return
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	fmt.Fprintln(tw, "at\tnotice\tseverity\trule\tjob\tmetric\tvalue\tthreshold\tsince\tchannels\t")
	for _, n := range ns {
		kind := string(n.Kind)
		if n.Repeat {
			kind += " (reminder)"
		}
		since := ""
		if !n.Since.IsZero() {
			since = n.Since.In(loc).Format("15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", n.At.In(loc).Format("2006-01-02 15:04"), kind, n.Severity, n.Rule, n.Job,
			n.Metric, alert.FormatValue(n.Metric, n.Value), alert.FormatValue(n.Metric, n.Threshold), since, strings.Join(n.Channels, ","))
	}
	tw.Flush()
}

// shorten keeps the first n runes of s on one line.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
