package runlog

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// SummaryMessage is the message of every Summary line, for log queries.
const SummaryMessage = "fcsync run"

// Summary logs rec as one structured line (message "fcsync run"): Info for a successful run,
// Error for a failed one. With slog's JSON handler (FC's log, SLS) that is one JSON object per
// invocation with the record's fields as top-level keys. The error is redacted; pass the
// invocation's secret values to mask them too.
func Summary(ctx context.Context, log *slog.Logger, rec Record, secrets ...string) {
	if log == nil {
		log = slog.Default()
	}
	level := slog.LevelInfo
	if rec.Status == Failed {
		level = slog.LevelError
	}
	log.LogAttrs(ctx, level, SummaryMessage, rec.Redacted(secrets...).attrs()...)
}

// attrs are the record's fields as log attributes, optional ones only when set.
func (r Record) attrs() []slog.Attr {
	a := make([]slog.Attr, 0, 24)
	a = append(a,
		slog.String("job", r.Job),
		slog.String("function", r.Function),
		slog.String("invocation", r.Invocation),
		slog.String("status", string(r.Status)),
	)
	if r.Retry > 0 {
		a = append(a, slog.Int("retry", r.Retry))
	}
	a = append(a, slog.Int64("duration_ms", r.Duration().Milliseconds()))
	if w := r.Window; w != nil {
		a = append(a, slog.String("tick", w.Tick.Format(time.RFC3339)))
		if w.Partition != "" {
			a = append(a, slog.String("partition", w.Partition))
		}
		if w.Rerun {
			a = append(a, slog.Bool("rerun", true))
		}
	}
	if b := r.Binlog; b != nil {
		a = append(a, slog.String("phase", b.Phase))
		if b.From != "" || b.To != "" {
			a = append(a, slog.String("binlog", b.From+" → "+b.To))
		}
		if b.CaughtUp {
			a = append(a, slog.Bool("caught_up", true))
		}
	}
	if len(r.Offsets) > 0 {
		a = append(a, slog.String("offsets", OffsetsText(r.Offsets)))
	}
	c := r.Counts
	a = append(a, slog.Int64("read", c.Read), slog.Int64("written", c.Written), slog.Int64("dirty", c.Dirty))
	for _, kv := range []struct {
		k string
		v int64
	}{{"processed", c.Processed}, {"attempted", c.Attempted}, {"late", c.Late}, {"filtered", c.Filtered}, {"duplicates", c.Duplicates}} {
		if kv.v != 0 {
			a = append(a, slog.Int64(kv.k, kv.v))
		}
	}
	if !r.DataTime.IsZero() {
		a = append(a, slog.String("data_time", r.DataTime.Format(time.RFC3339Nano)))
	}
	if r.Lag != nil {
		a = append(a, slog.Int64("lag", *r.Lag))
	}
	if len(r.DDL) > 0 {
		cols := make([]string, len(r.DDL))
		for i, d := range r.DDL {
			cols[i] = d.Kind + " " + d.Table + "." + d.Column + " " + d.Type
		}
		a = append(a, slog.String("ddl", strings.Join(cols, "; ")))
	}
	if r.DirtyKey != "" {
		a = append(a, slog.String("dirty_key", r.DirtyKey))
	}
	if r.PeakMemoryMB > 0 {
		a = append(a, slog.Float64("peak_memory_mb", r.PeakMemoryMB))
	}
	if r.MemoryMB > 0 {
		a = append(a, slog.Int("memory_mb", r.MemoryMB))
	}
	if len(r.Warnings) > 0 {
		a = append(a, slog.String("warnings", strings.Join(r.Warnings, "; ")))
	}
	if r.Error != "" {
		a = append(a, slog.String("error", r.Error))
	}
	if r.ErrorClass != "" {
		a = append(a, slog.String("error_class", r.ErrorClass))
	}
	return a
}

// OffsetsText is a compact form of ranges: "orders/0:100-200 orders/1:7-9" ([start, end)), or
// "0:100-200" when the topic is not recorded.
func OffsetsText(rs []Range) string {
	var b strings.Builder
	for i, rg := range rs {
		if i > 0 {
			b.WriteByte(' ')
		}
		if rg.Topic != "" {
			b.WriteString(rg.Topic)
			b.WriteByte('/')
		}
		b.WriteString(strconv.FormatInt(int64(rg.Partition), 10))
		b.WriteByte(':')
		b.WriteString(strconv.FormatInt(rg.Start, 10))
		b.WriteByte('-')
		b.WriteString(strconv.FormatInt(rg.End, 10))
	}
	return b.String()
}
