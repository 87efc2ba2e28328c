package runlog

import (
	"cmp"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fcsync/fcsync/shared/cdc"
	"github.com/fcsync/fcsync/shared/record"
	"github.com/fcsync/fcsync/shared/stream"
	"github.com/fcsync/fcsync/shared/window"
)

// Invocation is what the platform says about the invocation a record describes.
type Invocation struct {
	Function     string        // batch, stream, cdc
	ID           string        // the request id (fccontext RequestID; Lambda's AwsRequestID)
	Retry        int           // the platform's retry count (fccontext RetryCount)
	Started      time.Time     // when the handler began
	Finished     time.Time     // when it ended (zero: Log.Write sets it)
	MemoryMB     int           // the function's memory size (fccontext Function.Memory)
	Timeout      time.Duration // the function's timeout (fccontext Function.Timeout)
	PeakMemoryMB float64       // the process's peak RSS at the end (VmHWM)
}

func (inv Invocation) record(job string, err error) Record {
	r := Record{
		Job: job, Function: inv.Function, Invocation: inv.ID, Status: Succeeded, Retry: inv.Retry,
		Started: inv.Started, Finished: inv.Finished, PeakMemoryMB: inv.PeakMemoryMB,
		MemoryMB: inv.MemoryMB, TimeoutMS: inv.Timeout.Milliseconds(),
	}
	if err != nil {
		r.Status, r.Error = Failed, err.Error()
		if se := (*stream.StopError)(nil); errors.As(err, &se) {
			r.ErrorClass = ClassStopped
		}
	}
	return r
}

// FromWindow is the record of a batch window run: rep is window.Run's report (nil when the run
// failed before planning), err its error. DataTime is the window's scheduled time.
func FromWindow(job string, rep *window.Report, err error, inv Invocation) Record {
	r := inv.record(job, err)
	if rep == nil {
		return r
	}
	if rep.Job != "" {
		r.Job = rep.Job
	}
	r.Window = &Window{Tick: rep.Tick, Partition: rep.Partition, Rerun: rep.Rerun}
	for p, rg := range rep.Ranges {
		r.Offsets = append(r.Offsets, Range{Partition: p, Start: rg.Start, End: rg.End})
	}
	sortRanges(r.Offsets)
	r.Counts = Counts{Read: rep.Read, Processed: rep.Read, Written: rep.Written, Dirty: rep.Dirty, Late: rep.Late}
	if err != nil {
		// The window's session is aborted (or its commit not recorded): a rerun replaces it.
		r.Counts.Written, r.Counts.Attempted = 0, rep.Written
	}
	r.DirtyKey = rep.DirtyKey
	r.Lag = rep.Lag
	r.Warnings = rep.Warnings
	if err == nil {
		r.DataTime = rep.Tick
	}
	return r
}

// FromStream is the record of a micro-batch: rep is the stream job's report (nil when the
// payload did not decode), err its error, recs the batch's records (for DataTime, the newest
// record timestamp; nil leaves it unset). A batch with nothing new is Skipped.
func FromStream(job string, rep *stream.Report, err error, recs []record.Record, inv Invocation) Record {
	r := inv.record(job, err)
	if rep == nil {
		return r
	}
	if rep.Job != "" {
		r.Job = rep.Job
	}
	for src, span := range rep.Offsets {
		topic, part := src, ""
		if i := strings.LastIndexByte(src, '/'); i >= 0 {
			topic, part = src[:i], src[i+1:]
		}
		p, perr := strconv.ParseInt(part, 10, 32)
		if perr != nil {
			continue
		}
		r.Offsets = append(r.Offsets, Range{Topic: topic, Partition: int32(p), Start: span[0], End: span[1] + 1})
	}
	sortRanges(r.Offsets)
	r.Counts = Counts{Read: int64(rep.Records), Processed: int64(max(rep.Records-rep.Duplicates, 0)), Written: int64(rep.Written),
		Dirty: int64(rep.Dirty), Filtered: int64(rep.Filtered), Duplicates: int64(rep.Duplicates)}
	if err != nil {
		r.Counts.Written, r.Counts.Attempted = 0, int64(max(rep.Attempted, rep.Written))
	}
	for _, d := range rep.DDL {
		r.DDL = append(r.DDL, DDL{Kind: d.Kind, Table: d.Table, Column: d.Column.Name, Type: string(d.Column.Type),
			Topic: d.Topic, Partition: d.Partition, Offset: d.Offset, Time: d.Time})
	}
	r.DirtyKey = rep.DirtyKey
	if err == nil {
		if !rep.Committed {
			r.Status = Skipped
		}
		r.DataTime = NewestTimestamp(recs)
	}
	return r
}

// NewestTimestamp is the latest record timestamp in recs (zero for none).
func NewestTimestamp(recs []record.Record) time.Time {
	var t time.Time
	for i := range recs {
		if recs[i].Timestamp.After(t) {
			t = recs[i].Timestamp
		}
	}
	return t
}

func sortRanges(rs []Range) {
	slices.SortFunc(rs, func(a, b Range) int {
		return cmp.Or(strings.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
}

// FromCDC is the record of a cdc run: rep is the runner's report (nil when the run failed before
// it started), err its error. Read counts snapshot rows and binlog row changes, Written the
// Kafka records (heartbeats and DDL records included).
func FromCDC(job string, rep *cdc.Report, err error, inv Invocation) Record {
	r := inv.record(job, err)
	if rep == nil {
		return r
	}
	if rep.Job != "" {
		r.Job = rep.Job
	}
	r.Binlog = &Binlog{Phase: rep.Phase, CaughtUp: rep.CaughtUp}
	if !rep.From.IsZero() {
		r.Binlog.From = rep.From.String()
	}
	if !rep.To.IsZero() {
		r.Binlog.To = rep.To.String()
	}
	r.Counts = Counts{Read: rep.SnapshotRows + rep.Changes, Written: rep.Records}
	if err == nil && rep.Records == 0 {
		r.Status = Skipped
	}
	return r
}
