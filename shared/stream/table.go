package stream

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/fcsync/fcsync/shared/column"
	"github.com/fcsync/fcsync/shared/fieldmap"
	"github.com/fcsync/fcsync/shared/process"
	"github.com/fcsync/fcsync/shared/record"
	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/sink"
	"github.com/fcsync/fcsync/shared/state"
)

// This file is the path of jobs whose writer is a MaxCompute table (or the local warehouse):
// a sink that commits each partition on its own. The package doc describes the protocol.

const (
	// defaultTimeout is the invocation's time limit when neither ctx nor Env says it:
	// Function Compute's longest.
	defaultTimeout = 24 * time.Hour
	// commitMargin is added to the invocation's time limit to make an intent's deadline:
	// past it the writer is surely gone (the platform kills an invocation at its limit).
	commitMargin = 2 * time.Minute
	// StateScopePrefix is the scope of a job's stream state: StateScopePrefix + job name.
	StateScopePrefix = "stream/"
	// pruneEvery: every this many state versions a batch prunes the log (keeping stateKeep).
	pruneEvery = 16
	stateKeep  = 64
)

// ErrStillCommitting is wrapped by the error of a batch whose records a previous invocation
// may still be committing (its intent has not reached its deadline): the trigger retries the
// batch later.
var ErrStillCommitting = errors.New("a previous invocation is still committing")

// span is a [first, last] offset range of one source.
type span [2]int64

// ranges are spans by source ("topic/partition").
type ranges map[string]span

func (r ranges) contains(src string, off int64) bool {
	s, ok := r[src]
	return ok && off >= s[0] && off <= s[1]
}

func (r ranges) overlaps(o ranges) bool {
	for src, s := range r {
		if t, ok := o[src]; ok && s[0] <= t[1] && t[0] <= s[1] {
			return true
		}
	}
	return false
}

// below reports whether every span ends before next of its source.
func (r ranges) below(next map[string]int64) bool {
	for src, s := range r {
		if n, ok := next[src]; !ok || s[1] >= n {
			return false
		}
	}
	return true
}

// intent is a batch about to commit, or committing: its segment, the offsets it covers and
// the partitions it may write.
type intent struct {
	Segment    string    `json:"segment"`
	Ranges     ranges    `json:"ranges"`
	Partitions []string  `json:"partitions"`
	At         time.Time `json:"at"` // the batch time (scheduling parameters), reused by a retry
	Deadline   time.Time `json:"deadline"`
}

// exclusion says which of a stopped batch's rows are in the table: those of records in
// Ranges whose partition is in Partitions.
type exclusion struct {
	Segment    string   `json:"segment"`
	Ranges     ranges   `json:"ranges"`
	Partitions []string `json:"partitions"`
}

func (e *exclusion) excludes(src string, off int64, part string) bool {
	return e.Ranges.contains(src, off) && slices.Contains(e.Partitions, part)
}

// tableState is a job's stream state: one version of its state log.
type tableState struct {
	Next       map[string]int64 `json:"next"`
	Intents    []intent         `json:"intents,omitempty"`
	Exclusions []exclusion      `json:"exclusions,omitempty"`
}

func decodeState(v state.Version) (*tableState, error) {
	st := &tableState{}
	if v.Number > 0 {
		if err := json.Unmarshal(v.Data, st); err != nil {
			return nil, fmt.Errorf("version %d: %w", v.Number, err)
		}
	}
	if st.Next == nil {
		st.Next = map[string]int64{}
	}
	return st, nil
}

// overlapping returns the segments of the intents and exclusions that overlap rs.
func (st *tableState) overlapping(rs ranges) (intents, exclusions []string) {
	for _, in := range st.Intents {
		if in.Ranges.overlaps(rs) {
			intents = append(intents, in.Segment)
		}
	}
	for _, ex := range st.Exclusions {
		if ex.Ranges.overlaps(rs) {
			exclusions = append(exclusions, ex.Segment+"\x00"+strings.Join(ex.Partitions, "\x00"))
		}
	}
	return intents, exclusions
}

// errStale makes an attempt start over: the state changed under it.
var errStale = errors.New("the stream state changed meanwhile")

// tableName is the table the job writes (for messages and the mapping).
func (j *Job) tableName() string {
	if j.Spec.Table != nil {
		return j.Spec.Table.Table
	}
	return j.Spec.Writer.Table
}

// checkTable checks the table a MaxCompute writer creates: its columns and partition columns.
func (j *Job) checkTable() error {
	t := j.Spec.Table.Schema(j.initialColumns())
	if err := t.Validate(); err != nil {
		return fmt.Errorf("job %s: writer: %w", j.Spec.Name, err)
	}
	return nil
}

// partitioner returns the function placing a processed record in its table partition.
func (j *Job) partitioner() func(*process.Message) (schema.Partition, error) {
	w := j.Spec.Table
	if len(w.Partition.Columns) == 0 {
		return func(*process.Message) (schema.Partition, error) { return nil, nil }
	}
	loc := j.Spec.Location
	opts := column.ConvertOptions{Location: loc}
	dirty := func(field, reason string, v any) error {
		return &process.DirtyError{Where: "writer.partition", Field: field, Reason: reason, Value: column.ExcerptString(fmt.Sprint(v), 64)}
	}
	if tf := w.Partition.TimeField; tf != "" {
		return func(msg *process.Message) (schema.Partition, error) {
			v, ok := msg.Get(tf)
			if err := msg.Err(); err != nil {
				return nil, err
			}
			if !ok && tf == "__timestamp__" && msg.Record() != nil {
				v, ok = msg.Record().Timestamp, true
			}
			if !ok || v == nil {
				return nil, dirty(tf, "the partition's time field has no value", nil)
			}
			tv, err := column.Convert(v, schema.Timestamp, opts)
			tm, isTime := tv.(time.Time)
			if err != nil || !isTime {
				return nil, dirty(tf, "the partition's time field is not a time (epoch milliseconds, a time or a time text)", v)
			}
			tm = tm.In(loc)
			if y := tm.Year(); y < 1 || y > 9999 {
				return nil, dirty(tf, "the partition's time is outside years 0001-9999", v)
			}
			p := make(schema.Partition, len(w.Partition.Levels))
			for i, l := range w.Partition.Levels {
				var s string
				switch l {
				case "year":
					s = fmt.Sprintf("%04d", tm.Year())
				case "month":
					s = fmt.Sprintf("%02d", int(tm.Month()))
				case "day":
					s = fmt.Sprintf("%02d", tm.Day())
				case "hour":
					s = fmt.Sprintf("%02d", tm.Hour())
				}
				p[i] = schema.PartitionValue{Column: w.Partition.Columns[i], Value: s}
			}
			return p, nil
		}
	}
	return func(msg *process.Message) (schema.Partition, error) {
		p := make(schema.Partition, len(w.Partition.Fields))
		for i, f := range w.Partition.Fields {
			v, ok := msg.Get(f)
			if err := msg.Err(); err != nil {
				return nil, err
			}
			if !ok || v == nil {
				return nil, dirty(f, "the partition field has no value", nil)
			}
			sv, err := column.Convert(v, schema.String, opts)
			s, isText := sv.(string)
			if err != nil || !isText {
				return nil, dirty(f, "the partition field cannot be text", v)
			}
			p[i] = schema.PartitionValue{Column: w.Partition.Columns[i], Value: s}
			if err := p[i].Validate(); err != nil {
				return nil, dirty(f, err.Error(), s)
			}
		}
		return p, nil
	}
}

// segmentID names a batch's sink segment after the job and the offsets it covers, so a
// retry of the same batch writes the same segment (which the sink commits once per
// partition).
func (j *Job) segmentID(rs ranges) string {
	srcs := slices.Sorted(maps.Keys(rs))
	h := sha256.New()
	for _, src := range srcs {
		fmt.Fprintf(h, "%s=%d-%d;", src, rs[src][0], rs[src][1])
	}
	return j.Spec.Name + "@rt-" + hex.EncodeToString(h.Sum(nil))[:32]
}

// runTable runs one batch into the job's MaxCompute (or warehouse) table, exactly once.
func (j *Job) runTable(ctx context.Context, env Env, recs []record.Record) (*Report, error) {
	resolver, ok := env.Sink.(sink.Resolver)
	if env.Sink == nil || !ok {
		return &Report{Job: j.Spec.Name, Records: len(recs)}, fmt.Errorf("job %s: writer %s: no table sink that can resolve commits (got %T)", j.Spec.Name, j.tableName(), env.Sink)
	}
	if env.State == nil {
		env.State = env.Lake
	}
	if env.State == nil {
		return &Report{Job: j.Spec.Name, Records: len(recs)}, fmt.Errorf("job %s: no state store", j.Spec.Name)
	}
	log := state.New(env.State, StateScopePrefix+j.Spec.Name, state.WithKeep(stateKeep))
	for attempt := 1; ; attempt++ {
		rep, err := j.tableAttempt(ctx, env, log, resolver, recs)
		rep.Attempts = attempt
		if errors.Is(err, errStale) && attempt < 4*maxAttempts {
			if env.Log != nil {
				env.Log.Info("the stream state changed under the batch; rerunning", "job", j.Spec.Name, "attempt", attempt)
			}
			continue
		}
		if err == nil && env.Log != nil {
			j.logReport(env, rep)
		}
		return rep, err
	}
}

// tableAttempt runs the batch once against the current stream state.
func (j *Job) tableAttempt(ctx context.Context, env Env, log *state.Log, resolver sink.Resolver, recs []record.Record) (*Report, error) {
	rep := &Report{Job: j.Spec.Name, Records: len(recs), Offsets: map[string][2]int64{}}
	where := fmt.Sprintf("job %s: table %s", j.Spec.Name, j.tableName())
	v, err := log.Load(ctx)
	if err != nil {
		return rep, fmt.Errorf("%s: stream state: %w", where, err)
	}
	st, err := decodeState(v)
	if err != nil {
		return rep, fmt.Errorf("%s: stream state %s: %w", where, log.Scope(), err)
	}
	todo := j.pending(recs, st.Next, rep)
	if len(todo) == 0 {
		return rep, nil
	}
	rs := ranges{}
	for _, r := range todo {
		src := Source(r.Topic, r.Partition)
		s, ok := rs[src]
		if !ok {
			s[0] = r.Offset
		}
		s[1] = r.Offset
		rs[src] = s
	}
	seg := j.segmentID(rs)
	now := env.Now()

	// Settle the intents of invocations that are surely gone; refuse to run over one that
	// may still be committing these records.
	var expired []intent
	at := now
	for _, in := range st.Intents {
		switch {
		case in.Segment == seg:
			// The same batch again (a retry): its segment commits each partition once, so
			// it can run whether or not the earlier invocation still does.
			if !in.At.IsZero() {
				at = in.At
			}
		case !now.Before(in.Deadline):
			expired = append(expired, in)
		case in.Ranges.overlaps(rs):
			return rep, fmt.Errorf("%s: %w on records of this batch (segment %s, until %s); retry later",
				where, ErrStillCommitting, in.Segment, in.Deadline.UTC().Format(time.RFC3339))
		}
	}
	if len(expired) > 0 {
		if err := j.settleIntents(ctx, log, resolver, expired); err != nil {
			return rep, fmt.Errorf("%s: %w", where, err)
		}
		return rep, errStale // start over from the settled state
	}

	// Transform, then drop the rows a stopped batch already committed.
	mapper, err := fieldmap.New("mapping", j.Spec.Mapping, j.tableColumns(ctx, env.Sink),
		fieldmap.WithTable(j.tableName()), fieldmap.WithLocation(j.Spec.Location), fieldmap.WithClock(func() time.Time { return at }))
	if err != nil {
		return rep, fmt.Errorf("job %s: %w", j.Spec.Name, err)
	}
	batch := mapper.Batch()
	chain, err := j.chainAt(at)
	if err != nil {
		return rep, err
	}
	out, err := j.transform(chain, batch, todo, j.partitioner())
	if err != nil {
		return rep, err
	}
	rep.Filtered, rep.Dirty = out.filtered, len(out.dirty)
	if lim := j.Spec.ErrorRecord; lim != nil && int64(len(out.dirty)) > *lim {
		return rep, &ErrorLimitError{Job: j.Spec.Name, Dirty: len(out.dirty), Limit: *lim, First: out.dirty[0].Reason}
	}
	var excl []*exclusion
	for i := range st.Exclusions {
		if st.Exclusions[i].Ranges.overlaps(rs) {
			excl = append(excl, &st.Exclusions[i])
		}
	}
	cols := batch.Columns()
	type placed struct {
		p   schema.Partition
		row schema.Row
	}
	var rows []placed
	parts := map[string]bool{}
	for i, row := range out.rows {
		r := &todo[out.from[i]]
		key := out.parts[i].String()
		if slices.ContainsFunc(excl, func(e *exclusion) bool { return e.excludes(Source(r.Topic, r.Partition), r.Offset, key) }) {
			rep.Duplicates++
			continue
		}
		if len(row) < len(cols) {
			row = append(row, make(schema.Row, len(cols)-len(row))...) // added columns: NULL
		}
		rows = append(rows, placed{out.parts[i], row})
		parts[key] = true
	}
	if len(out.dirty) > 0 {
		if rep.DirtyKey, err = j.writeDirty(ctx, env, todo, out.dirty); err != nil {
			return rep, err
		}
	}
	_, baseExcl := st.overlapping(rs)
	// check refuses to build on a state whose view of these records changed since it was
	// loaded (another invocation advanced the offsets or settled an intent).
	check := func(cur *tableState) error {
		for src := range rs {
			if cur.Next[src] != st.Next[src] {
				return errStale
			}
		}
		ins, exs := cur.overlapping(rs)
		ins = slices.DeleteFunc(ins, func(s string) bool { return s == seg })
		if len(ins) > 0 || !slices.Equal(exs, baseExcl) {
			return errStale
		}
		return nil
	}

	rep.Attempted = len(rows)
	if len(rows) > 0 {
		// 1. Record the intent.
		deadline := now.Add(j.timeout(ctx, env) + commitMargin)
		mine := intent{Segment: seg, Ranges: rs, Partitions: slices.Sorted(maps.Keys(parts)), At: at, Deadline: deadline}
		if _, err := updateState(ctx, log, func(cur *tableState) error {
			if err := check(cur); err != nil {
				return err
			}
			if i := slices.IndexFunc(cur.Intents, func(in intent) bool { return in.Segment == seg }); i >= 0 {
				old := cur.Intents[i]
				mine.Partitions = slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(old.Partitions), mine.Partitions...))))
				cur.Intents[i] = mine
				return nil
			}
			cur.Intents = append(cur.Intents, mine)
			return nil
		}); err != nil {
			return rep, fmt.Errorf("%s: recording the batch's intent: %w", where, err)
		}
		// 2. Commit the rows under the intent's segment.
		tbl := j.Spec.Table.Schema(cols)
		sess, err := env.Sink.Begin(ctx, sink.SessionSpec{Table: tbl, Segment: seg, Mode: sink.Append})
		if err != nil {
			return rep, fmt.Errorf("%s: %w", where, err)
		}
		for _, pr := range rows {
			if err := sess.Write(ctx, pr.p, pr.row); err != nil {
				_ = sess.Abort(ctx)
				return rep, fmt.Errorf("%s: partition %s: %w", where, pr.p, err)
			}
		}
		if err := sess.Commit(ctx); err != nil {
			_ = sess.Abort(ctx)
			return rep, fmt.Errorf("%s: segment %s: %w", where, seg, err)
		}
	}
	// 3. Advance the offsets, drop the intent and the exclusions wholly behind the offsets.
	ver, err := updateState(ctx, log, func(cur *tableState) error {
		if len(rows) == 0 {
			if err := check(cur); err != nil {
				return err
			}
		}
		for src, s := range rs {
			cur.Next[src] = max(cur.Next[src], s[1]+1)
		}
		cur.Intents = slices.DeleteFunc(cur.Intents, func(in intent) bool { return in.Segment == seg })
		cur.Exclusions = slices.DeleteFunc(cur.Exclusions, func(e exclusion) bool { return e.Ranges.below(cur.Next) })
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("%s: segment %s is committed, advancing the offsets: %w", where, seg, err)
	}
	if ver.Number%pruneEvery == 0 {
		if err := log.Prune(ctx); err != nil && env.Log != nil {
			env.Log.Warn("pruning the stream state", "job", j.Spec.Name, "err", err.Error())
		}
	}
	rep.Committed = true
	rep.Written = len(rows)
	rep.Inserted = len(rows)
	rep.DDL = batch.Events()
	return rep, nil
}

// tableColumns are the columns rows are mapped to: the table's, when it exists (columns a
// dynamic policy added before included), then the job's columns it lacks (Begin adds them).
func (j *Job) tableColumns(ctx context.Context, s sink.Sink) []schema.Column {
	cols := j.initialColumns()
	d, ok := s.(interface {
		Table(ctx context.Context, name string) (schema.Table, error)
	})
	if !ok {
		return cols
	}
	t, err := d.Table(ctx, j.tableName())
	if err != nil || len(t.Columns) == 0 {
		return cols // absent (created by Begin), or an error Begin reports
	}
	out := slices.Clone(t.Columns)
	for _, c := range cols {
		if t.Index(c.Name) < 0 {
			out = append(out, c)
		}
	}
	return out
}

// timeout is how long the invocation may still run: ctx's deadline, else Env.Timeout.
func (j *Job) timeout(ctx context.Context, env Env) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		return max(time.Until(dl), 0)
	}
	if env.Timeout > 0 {
		return env.Timeout
	}
	return defaultTimeout
}

// settleIntents asks the sink which partitions each expired intent reached and turns the
// intent into an exclusion of those.
func (j *Job) settleIntents(ctx context.Context, log *state.Log, resolver sink.Resolver, expired []intent) error {
	done := make(map[string]exclusion, len(expired))
	for _, in := range expired {
		ex := exclusion{Segment: in.Segment, Ranges: in.Ranges}
		for _, ps := range in.Partitions {
			p, err := schema.ParsePartition(ps)
			if err != nil {
				return fmt.Errorf("intent %s: partition %q: %w", in.Segment, ps, err)
			}
			ok, err := resolver.Committed(ctx, j.tableName(), in.Segment, p)
			if err != nil {
				return fmt.Errorf("settling the intent of segment %s (stopped invocation): %w", in.Segment, err)
			}
			if ok {
				ex.Partitions = append(ex.Partitions, ps)
			}
		}
		done[in.Segment] = ex
	}
	_, err := updateState(ctx, log, func(cur *tableState) error {
		changed := false
		cur.Intents = slices.DeleteFunc(cur.Intents, func(in intent) bool {
			ex, ok := done[in.Segment]
			if !ok {
				return false
			}
			changed = true
			if !ex.Ranges.below(cur.Next) {
				cur.Exclusions = append(cur.Exclusions, ex)
			}
			return true
		})
		if !changed {
			return state.ErrNoChange
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("settling stopped invocations' intents: %w", err)
	}
	return nil
}

// updateState applies fn to the newest state and writes the result (retried on conflict).
func updateState(ctx context.Context, log *state.Log, fn func(cur *tableState) error) (state.Version, error) {
	return log.Update(ctx, func(v state.Version) ([]byte, error) {
		cur, err := decodeState(v)
		if err != nil {
			return nil, err
		}
		if err := fn(cur); err != nil {
			return nil, err
		}
		return json.Marshal(cur)
	})
}
