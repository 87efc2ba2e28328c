package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fcsync/fcsync/shared/job"
	"github.com/fcsync/fcsync/shared/window"
)

// progress draws a one-line progress bar on a terminal-ish writer.
type progress struct {
	w     io.Writer
	total int
	start time.Time
}

func newProgress(w io.Writer, total int) *progress {
	return &progress{w: w, total: total, start: time.Now()}
}

func (p *progress) update(done int, label string) {
	const width = 30
	filled := 0
	if p.total > 0 {
		filled = done * width / p.total
	}
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d %s  %s ", strings.Repeat("#", filled), strings.Repeat(".", width-filled), done, p.total, label, time.Since(p.start).Round(time.Second))
}

// note shows a counter line when the total is not known in advance.
func (p *progress) note(label string) {
	fmt.Fprintf(p.w, "\r%s  %s ", label, time.Since(p.start).Round(time.Second))
}

func (p *progress) done() {
	p.update(p.total, "done")
	fmt.Fprintln(p.w)
}

// windowRun is one window's report and how the run ended.
type windowRun struct {
	rep *window.Report
	err error
}

// printReports shows window results as a table. A failed window wrote nothing (its session
// was aborted, a rerun replaces it): its written count is 0, and what it had attempted is
// said below the table, as its run record says it.
func printReports(out io.Writer, spec *job.Spec, runs []windowRun) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	fmt.Fprintln(tw, "window (scheduled)\tpartition\trerun\tread\twritten\tdirty\tlate\tlate went to\toffsets\t")
	var tot window.Counts
	var failed []string
	for _, run := range runs {
		r := run.rep
		rerun := "no"
		if r.Rerun {
			rerun = "yes"
		}
		tick := r.Tick.In(spec.Location).Format("2006-01-02 15:04")
		written := r.Written
		if run.err != nil {
			written = 0
			failed = append(failed, fmt.Sprintf("window %s failed: %d rows attempted, none committed: %v", tick, r.Written, run.err))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\t\n", tick, r.Partition, rerun,
			r.Read, written, r.Dirty, r.Late, latePlaces(r.LatePartitions), offsetsText(r))
		tot.Read += r.Read
		tot.Written += written
		tot.Dirty += r.Dirty
		tot.Late += r.Late
	}
	fmt.Fprintf(tw, "total\t\t\t%d\t%d\t%d\t%d\t\t\t\n", tot.Read, tot.Written, tot.Dirty, tot.Late)
	tw.Flush()
	for _, f := range failed {
		fmt.Fprintln(out, f)
	}
}

func latePlaces(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s:%d", k, m[k])
	}
	return strings.Join(parts, " ")
}

func offsetsText(r *window.Report) string {
	parts := make([]int32, 0, len(r.Ranges))
	for p := range r.Ranges {
		parts = append(parts, p)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
	s := make([]string, len(parts))
	for i, p := range parts {
		s[i] = fmt.Sprintf("%d:%d-%d", p, r.Ranges[p].Start, r.Ranges[p].End)
	}
	return strings.Join(s, " ")
}
