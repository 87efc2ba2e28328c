package alert

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// FormatValue renders a metric value in its unit: a duration for seconds, a percentage, or a count.
func FormatValue(m Metric, v float64) string {
	switch metricInfo[m].unit {
	case "s":
		return (time.Duration(v) * time.Second).String()
	case "%":
		return fmt.Sprintf("%.0f%%", v)
	}
	return fmt.Sprintf("%g", v)
}

var metricText = map[Metric]string{
	Heartbeat: "time since the last successful run",
	Failures:  "consecutive failed runs",
	Delay:     "business delay",
	Lag:       "messages behind",
	Failover:  "failed invocations (retried)",
	DDLEvents: "DDL events",
	Dirty:     "dirty records",
	Memory:    "peak memory of the memory size",
	Duration:  "run time of the timeout",
	Stopped:   "stream stopped at a record it must not skip (dynamic-column policy error)",
}

// Title is a one-line summary: "[CRITICAL] orders_5min heartbeat" or "[RESOLVED] ...".
func (n Notice) Title() string {
	tag := string(n.Severity)
	if n.Kind == Resolved {
		tag = "RESOLVED"
	}
	return fmt.Sprintf("[%s] %s %s", tag, n.Job, n.Metric)
}

// Summary is one sentence about the notice.
func (n Notice) Summary() string {
	var b strings.Builder
	b.WriteString(n.Title())
	b.WriteString(": ")
	b.WriteString(metricText[n.Metric])
	if metricInfo[n.Metric].windowed && n.Metric != Memory && n.Metric != Duration {
		b.WriteString(" in the window")
	}
	fmt.Fprintf(&b, " %s", FormatValue(n.Metric, n.Value))
	if n.Kind == Resolved {
		// The severity says which of a rule's levels recovered.
		fmt.Fprintf(&b, ", back within the %s threshold %s", n.Severity, FormatValue(n.Metric, n.Threshold))
	} else {
		fmt.Fprintf(&b, ", over %s", FormatValue(n.Metric, n.Threshold))
		if !n.Since.IsZero() {
			fmt.Fprintf(&b, " since %s", n.Since.UTC().Format(time.RFC3339))
		}
		if n.Repeat {
			b.WriteString(" (reminder)")
		}
	}
	fmt.Fprintf(&b, " (rule %s, at %s)", n.Rule, n.At.UTC().Format(time.RFC3339))
	return b.String()
}

// Markdown is the notice as DingTalk markdown; mobiles are appended as @mentions (DingTalk only
// notifies the people the text mentions).
func (n Notice) Markdown(mobiles []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\n", n.Title())
	fmt.Fprintf(&b, "- job: %s\n- rule: %s (%s)\n", n.Job, n.Rule, n.Severity)
	fmt.Fprintf(&b, "- %s: **%s** (threshold %s)\n", metricText[n.Metric], FormatValue(n.Metric, n.Value), FormatValue(n.Metric, n.Threshold))
	if !n.Since.IsZero() {
		fmt.Fprintf(&b, "- since: %s\n", n.Since.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(&b, "- at: %s\n", n.At.UTC().Format(time.RFC3339))
	if n.Repeat {
		b.WriteString("- still firing (reminder)\n")
	}
	if len(mobiles) > 0 {
		b.WriteString("\n")
		for _, m := range slices.Sorted(slices.Values(mobiles)) {
			fmt.Fprintf(&b, "@%s ", m)
		}
	}
	return strings.TrimRight(b.String(), " ")
}
