package window

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fcsync/fcsync/shared/column"
	"github.com/fcsync/fcsync/shared/job"
	"github.com/fcsync/fcsync/shared/kafka"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/record"
	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/sink"
	"github.com/fcsync/fcsync/shared/state"
)

// Source is what a window needs from Kafka; *kafka.Client implements it.
type Source interface {
	Partitions(ctx context.Context) ([]int32, error)
	Earliest(ctx context.Context, parts []int32) (map[int32]int64, error)
	Latest(ctx context.Context, parts []int32) (map[int32]int64, error)
	OffsetsForTime(ctx context.Context, parts []int32, t time.Time) (map[int32]int64, error)
	Committed(ctx context.Context, group string, parts []int32) (map[int32]int64, error)
	Commit(ctx context.Context, group string, offsets map[int32]int64) error
	Read(ctx context.Context, ranges map[int32]kafka.Range, fn func(partition int32, batch []record.Record) error, opts ...kafka.ReadOption) (kafka.Stats, error)
	Close() error
}

// Env is what a window runs against; adapters (FC, Lambda, localrun) fill it.
type Env struct {
	// Dial opens the job's Kafka source (resolving a datasource name if the job uses one).
	Dial  func(ctx context.Context, k job.Kafka) (Source, error)
	Sink  sink.Sink
	Store objstore.Store // state, dirty data
	Log   *slog.Logger
	Now   func() time.Time
	// Hooks inject faults in tests; nil in production.
	Hooks *Hooks
}

// Hooks are called between the steps of a window; an error aborts the run there, as a crash would.
type Hooks struct {
	AfterPlan       func() error
	AfterSinkCommit func() error
}

// Counts are a window's record counts.
type Counts struct {
	Read    int64 `json:"read"`
	Written int64 `json:"written"`
	Dirty   int64 `json:"dirty"`
	// Late counts records whose timestamp lay before the window start, whatever the policy did
	// with them (records past the end are read only with skipExceedRecord: false, and then
	// belong to the window).
	Late int64 `json:"late"`
	// LatePartitions counts late records by the partition they were written to.
	LatePartitions map[string]int64 `json:"latePartitions,omitempty"`
	Bytes          int64            `json:"bytes"`
}

// Report is what one window run did.
type Report struct {
	Job       string                `json:"job"`
	Tick      time.Time             `json:"tick"`
	Partition string                `json:"partition"`
	Rerun     bool                  `json:"rerun"`
	Ranges    map[int32]kafka.Range `json:"ranges"`
	Counts
	Duration   time.Duration `json:"duration"`
	DirtyKey   string        `json:"dirtyKey,omitempty"`
	Vars       map[string]string
	Unroutable int64 `json:"unroutable,omitempty"` // late records whose own window could not be found: written to this window
	// Lag is how many records the topic held past the window's end offsets when the window
	// committed (the consumer lag alerts watch); nil when the high watermarks could not be read.
	Lag *int64 `json:"lag,omitempty"`
	// Warnings are what the run record should tell an operator: kafkaConfig properties the
	// reader does not apply.
	Warnings []string `json:"warnings,omitempty"`
}

// warner is a Source with notes for the run record (*kafka.Client: the kafkaConfig properties
// it does not apply).
type warner interface{ Warnings() []string }

type runner struct {
	env     Env
	spec    *job.Spec
	job     *job.Job
	tick    time.Time
	segment string
	src     Source
	ledger  *state.Log
	log     *slog.Logger
	now     func() time.Time
}

// Run executes the window of spec scheduled at tick. overrides replace custom parameters.
// Run is safe to repeat for the same tick: the result is the same partition contents.
func Run(ctx context.Context, env Env, spec *job.Spec, tick time.Time, overrides map[string]string) (*Report, error) {
	started := time.Now()
	if env.Now == nil {
		env.Now = time.Now
	}
	if env.Log == nil {
		env.Log = slog.Default()
	}
	j, err := spec.Bind(tick, overrides)
	if err != nil {
		return nil, err
	}
	r := &runner{
		env:     env,
		spec:    spec,
		job:     j,
		tick:    j.At.UTC(),
		segment: SegmentID(spec.Name, j.At),
		now:     env.Now,
		ledger:  state.New(env.Store, "jobs/"+spec.Name+"/windows"),
	}
	r.log = env.Log.With("job", spec.Name, "tick", j.At.Format(time.RFC3339), "topic", j.Reader.Topic)
	if r.src, err = env.Dial(ctx, j.Reader); err != nil {
		return nil, fmt.Errorf("job %s: kafka: %w", spec.Name, err)
	}
	defer r.src.Close()
	rep, err := r.run(ctx)
	if rep != nil {
		rep.Duration = time.Since(started)
		if w, ok := r.src.(warner); ok {
			rep.Warnings = append(w.Warnings(), rep.Warnings...)
		}
	}
	if err != nil {
		return rep, fmt.Errorf("job %s window %s: %w", spec.Name, j.At.Format(time.RFC3339), err)
	}
	return rep, nil
}

// SegmentID names a window's writes: stable for a job and scheduled time, so reruns replace.
func SegmentID(jobName string, tick time.Time) string {
	return jobName + "@" + tick.UTC().Format("20060102T150405Z")
}

func (r *runner) run(ctx context.Context) (*Report, error) {
	p, rerun, err := r.plan(ctx)
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	rep := &Report{Job: r.spec.Name, Tick: r.job.At, Partition: p.Partition, Rerun: rerun, Ranges: p.Ranges, Vars: r.job.Vars}
	r.log.Info("window planned", "partition", p.Partition, "rerun", rerun, "ranges", rangesText(p.Ranges))
	if h := r.env.Hooks; h != nil && h.AfterPlan != nil {
		if err := h.AfterPlan(); err != nil {
			return rep, err
		}
	}
	// A rerun keeps the time window the plan recorded, whatever the parameters say now.
	if p.Begin != nil && p.End != nil {
		r.job.Reader.Begin.Time, r.job.Reader.End.Time = *p.Begin, *p.End
	}
	counts, dirty, unroutable, err := r.write(ctx, p)
	rep.Counts, rep.Unroutable = counts, unroutable
	if err != nil {
		return rep, err
	}
	if h := r.env.Hooks; h != nil && h.AfterSinkCommit != nil {
		if err := h.AfterSinkCommit(); err != nil {
			return rep, err
		}
	}
	if rep.DirtyKey, err = r.saveDirty(ctx, dirty, counts); err != nil {
		return rep, err
	}
	newest, err := r.commitLedger(ctx, counts)
	if err != nil {
		return rep, fmt.Errorf("state commit: %w", err)
	}
	var held []string
	rep.Lag, held = r.lag(ctx, p.Ranges)
	rep.Warnings = append(rep.Warnings, held...)
	// A rerun of an older window must not move the group's offsets back behind later windows.
	if g := r.job.Reader.GroupID; g != "" && newest {
		ends := map[int32]int64{}
		for part, rg := range p.Ranges {
			ends[part] = rg.End
		}
		if err := r.src.Commit(ctx, g, ends); err != nil {
			r.log.Warn("consumer group offsets not committed (lag monitoring only; the window is committed)", "group", g, "err", err)
		}
	}
	r.log.Info("window committed", "read", counts.Read, "written", counts.Written, "dirty", counts.Dirty, "late", counts.Late)
	return rep, nil
}

// write streams the window's records into one sink session and commits it.
func (r *runner) write(ctx context.Context, p Planned) (Counts, *dirtyLog, int64, error) {
	var counts Counts
	dirty := newDirtyLog(r.spec.Name, r.job.At)
	mode := sink.Append
	if r.job.Writer.Truncate {
		mode = sink.Overwrite
		if r.sharesPartition() {
			mode = sink.Append
			r.log.Info("partition named by a repeated (DST) wall-clock hour: appending instead of truncating", "partition", r.job.Writer.Partition.String())
		}
	}
	sess, err := r.env.Sink.Begin(ctx, sink.SessionSpec{Table: r.job.Writer.Table, Segment: r.segment, Owned: r.job.Writer.Partition, Mode: mode})
	if err != nil {
		return counts, dirty, 0, fmt.Errorf("sink: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = sess.Abort(context.WithoutCancel(ctx))
		}
	}()
	rt := newRouter(r)
	var mu sync.Mutex // guards sess, counts, dirty
	mappers := sync.Pool{New: func() any {
		m, err := r.job.Mapper()
		if err != nil {
			return err
		}
		return m
	}}
	limit := r.job.Setting.ErrorRecord
	pace := newPacer(r.job.Setting.BytesPerSecond, r.job.Setting.RecordsPerSec)
	type routed struct {
		part schema.Partition
		row  schema.Row
		late bool
	}
	handle := func(partition int32, batch []record.Record) error {
		mv := mappers.Get()
		m, ok := mv.(*column.Mapper)
		if !ok {
			return mv.(error)
		}
		defer mappers.Put(m)
		out := make([]routed, 0, len(batch))
		var bad []dirtyRecord
		var bytes int64
		for i := range batch {
			rec := &batch[i]
			bytes += int64(len(rec.Key) + len(rec.Value))
			row, err := m.Map(rec, nil)
			if err != nil {
				bad = append(bad, newDirty(rec, err))
				continue
			}
			part, late, reason, err := rt.route(rec)
			if err != nil {
				return err
			}
			if reason != "" {
				bad = append(bad, newLateDirty(rec, reason))
				continue
			}
			out = append(out, routed{part, row, late})
		}
		pace.wait(ctx, len(batch), bytes)
		mu.Lock()
		defer mu.Unlock()
		counts.Read += int64(len(batch))
		counts.Bytes += bytes
		for _, o := range out {
			if err := sess.Write(ctx, o.part, o.row); err != nil {
				return fmt.Errorf("sink write, topic %s partition %d: %w", r.job.Reader.Topic, partition, err)
			}
			counts.Written++
		}
		for _, d := range bad {
			dirty.add(d)
			if !d.late {
				counts.Dirty++
			}
		}
		if limit != nil && counts.Dirty > *limit {
			return &ErrorLimitError{Dirty: counts.Dirty, Limit: fmt.Sprintf("%d records", *limit), First: dirty.first()}
		}
		return nil
	}
	opts := []kafka.ReadOption{}
	if r.job.Reader.StopWhenPollEmpty {
		opts = append(opts, kafka.WithIdleTimeout(r.job.Reader.WaitTime))
	}
	if err := r.read(ctx, p.Ranges, handle, opts); err != nil {
		return counts, dirty, 0, err
	}
	counts.Late, counts.LatePartitions = rt.late, rt.latePartitions
	if pct := r.job.Setting.ErrorPercentage; pct != nil && counts.Read > 0 && r.job.Setting.ErrorRecord == nil {
		if float64(counts.Dirty)/float64(counts.Read) > *pct {
			return counts, dirty, rt.unroutable, &ErrorLimitError{Dirty: counts.Dirty, Limit: fmt.Sprintf("%.4g%% of %d records", *pct*100, counts.Read), First: dirty.first()}
		}
	}
	if err := sess.Commit(ctx); err != nil {
		return counts, dirty, rt.unroutable, fmt.Errorf("sink commit: %w", err)
	}
	committed = true
	return counts, dirty, rt.unroutable, nil
}

// read runs the Kafka read, at most speed.concurrent partitions at a time.
func (r *runner) read(ctx context.Context, ranges map[int32]kafka.Range, fn func(int32, []record.Record) error, opts []kafka.ReadOption) error {
	n := r.job.Setting.Concurrent
	if n <= 0 || n >= len(ranges) {
		stats, err := r.src.Read(ctx, ranges, fn, opts...)
		if err != nil {
			return err
		}
		return r.checkComplete(ranges, stats)
	}
	parts := make([]int32, 0, len(ranges))
	for p := range ranges {
		parts = append(parts, p)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, p := range parts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			one := map[int32]kafka.Range{p: ranges[p]}
			stats, err := r.src.Read(ctx, one, fn, opts...)
			if err == nil {
				err = r.checkComplete(one, stats)
			}
			if err != nil {
				cancel(err)
			}
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// checkComplete refuses to commit a window whose read stopped short of its planned end (an idle
// stop, say): committing would skip the records between, since the next window starts at the end.
func (r *runner) checkComplete(ranges map[int32]kafka.Range, stats kafka.Stats) error {
	for p, rg := range ranges {
		next, ok := stats.Next[p]
		if !ok && rg.Start == rg.End {
			continue
		}
		if next < rg.End {
			return fmt.Errorf("topic %s partition %d: the read stopped at offset %d before the window end %d (no data for waitTime); the window is not committed and a rerun resumes it", r.job.Reader.Topic, p, next, rg.End)
		}
	}
	return nil
}

// ErrorLimitError is returned when dirty data exceeds the job's errorLimit; nothing is committed.
type ErrorLimitError struct {
	Dirty int64
	Limit string
	First string
}

func (e *ErrorLimitError) Error() string {
	return fmt.Sprintf("dirty data %d exceeds errorLimit %s; nothing was written (first: %s)", e.Dirty, e.Limit, e.First)
}

func rangesText(rs map[int32]kafka.Range) string {
	parts := make([]int32, 0, len(rs))
	for p := range rs {
		parts = append(parts, p)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d:[%d,%d)", p, rs[p].Start, rs[p].End)
	}
	return b.String()
}

// highWatermarks is a Source that tells the high watermarks apart from Latest (*kafka.Client:
// under read_committed Latest is the last stable offset).
type highWatermarks interface {
	HighWatermarks(ctx context.Context, parts []int32) (map[int32]int64, error)
}

// lag counts the offsets past the ranges' ends up to the high watermarks, records held back by
// an open transaction included (nil when the offsets cannot be read: the window is committed
// either way). held names the partitions where an open transaction holds records back now.
func (r *runner) lag(ctx context.Context, ranges map[int32]kafka.Range) (lag *int64, held []string) {
	parts := make([]int32, 0, len(ranges))
	for part := range ranges {
		parts = append(parts, part)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
	latest, err := r.src.Latest(ctx, parts)
	if err != nil {
		r.log.Warn("high watermarks for the lag not read", "err", err.Error())
		return nil, nil
	}
	hw := latest
	if h, ok := r.src.(highWatermarks); ok {
		if hw, err = h.HighWatermarks(ctx, parts); err != nil {
			r.log.Warn("high watermarks for the lag not read", "err", err.Error())
			return nil, nil
		}
	}
	var n int64
	for _, part := range parts {
		n += max(0, hw[part]-ranges[part].End)
		if hw[part] > latest[part] {
			held = append(held, fmt.Sprintf("topic %s partition %d: a transaction open since offset %d holds back the %d offsets up to the high watermark %d; a later window reads them once it ends",
				r.job.Reader.Topic, part, latest[part], hw[part]-latest[part], hw[part]))
		}
	}
	return &n, held
}
