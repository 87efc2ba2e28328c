package stream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fcsync/fcsync/shared/column"
	"github.com/fcsync/fcsync/shared/fieldmap"
	"github.com/fcsync/fcsync/shared/lake/hudi"
	"github.com/fcsync/fcsync/shared/process"
	"github.com/fcsync/fcsync/shared/record"
	"github.com/fcsync/fcsync/shared/schema"
)

// Source names a topic partition as the table's checkpoints do: "topic/partition".
func Source(topic string, partition int32) string {
	return topic + "/" + strconv.FormatInt(int64(partition), 10)
}

// DirtyRecord is one line of a batch's dirty-data object.
type DirtyRecord struct {
	Job       string `json:"job"`
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
	Timestamp int64  `json:"timestamp"`
	Where     string `json:"where"`
	Field     string `json:"field,omitempty"`
	Reason    string `json:"reason"`
	Value     string `json:"value,omitempty"`
}

// maxAttempts bounds how often a batch is rerun after concurrent commits overlapped it.
const maxAttempts = 5

// Run processes one batch and commits it to the job's table. recs may hold several topic
// partitions, in any order, with repeats. A batch whose every record was committed before
// returns a report with Committed false and no error.
func (j *Job) Run(ctx context.Context, env Env, recs []record.Record) (*Report, error) {
	if env.Now == nil {
		env.Now = time.Now
	}
	if err := j.checkTopics(recs); err != nil {
		return &Report{Job: j.Spec.Name, Records: len(recs)}, err
	}
	if j.Spec.Table != nil {
		return j.runTable(ctx, env, recs)
	}
	opts := append(slices.Clip(j.tableOpts), env.HudiOptions...)
	if env.Log != nil {
		opts = append([]hudi.Option{hudi.WithLogger(env.Log)}, opts...)
	}
	table, err := hudi.Create(ctx, env.Lake, j.Spec.Writer.Path, j.tableConfig(j.initialColumns()), opts...)
	if err != nil {
		return &Report{Job: j.Spec.Name, Records: len(recs)}, fmt.Errorf("job %s: table %s: %w", j.Spec.Name, j.Spec.Writer.Path, err)
	}
	at := env.Now()
	for attempt := 1; ; attempt++ {
		rep, err := j.attempt(ctx, env, table, recs, at)
		rep.Attempts = attempt
		if errors.Is(err, hudi.ErrCheckpointConflict) && attempt < maxAttempts {
			// Another delivery committed part of these records meanwhile: start over from
			// the table's new checkpoints, so those records are skipped.
			if env.Log != nil {
				env.Log.Info("batch overlaps a concurrent commit; rerunning", "job", j.Spec.Name, "attempt", attempt, "err", err.Error())
			}
			continue
		}
		if err == nil && env.Log != nil {
			j.logReport(env, rep)
		}
		return rep, err
	}
}

// attempt runs the batch once against the table's current checkpoints.
func (j *Job) attempt(ctx context.Context, env Env, table *hudi.Table, recs []record.Record, at time.Time) (*Report, error) {
	rep := &Report{Job: j.Spec.Name, Records: len(recs), Offsets: map[string][2]int64{}}
	done, err := table.Checkpoints(ctx)
	if err != nil {
		return rep, fmt.Errorf("job %s: table %s checkpoints: %w", j.Spec.Name, j.Spec.Writer.Path, err)
	}
	todo := j.pending(recs, done, rep)
	if len(todo) == 0 {
		return rep, nil
	}
	mapper, err := fieldmap.New("mapping", j.Spec.Mapping, table.Columns(),
		fieldmap.WithTable(j.tableName()), fieldmap.WithLocation(j.Spec.Location), fieldmap.WithClock(env.Now))
	if err != nil {
		return rep, fmt.Errorf("job %s: %w", j.Spec.Name, err)
	}
	batch := mapper.Batch()
	chain, err := j.chainAt(at)
	if err != nil {
		return rep, err
	}
	next, from := map[string]int64{}, map[string]int64{}
	var sources sourceOf
	for _, r := range todo {
		src := sources.of(&r)
		if _, ok := from[src]; !ok {
			from[src] = r.Offset
		}
		next[src] = r.Offset + 1
	}
	out, err := j.transform(chain, batch, todo, nil)
	if err != nil {
		return rep, err
	}
	rows, dirty, filtered := out.rows, out.dirty, out.filtered
	rep.Filtered = filtered
	rep.Dirty = len(dirty)
	if lim := j.Spec.ErrorRecord; lim != nil && int64(len(dirty)) > *lim {
		return rep, &ErrorLimitError{Job: j.Spec.Name, Dirty: len(dirty), Limit: *lim, First: dirty[0].Reason}
	}
	if len(dirty) > 0 {
		if rep.DirtyKey, err = j.writeDirty(ctx, env, todo, dirty); err != nil {
			return rep, err
		}
	}
	rep.Attempted = len(rows)
	res, err := table.Write(ctx, hudi.Batch{Columns: batch.Columns(), Rows: rows, Checkpoints: next, From: from})
	if err != nil {
		return rep, fmt.Errorf("job %s: table %s: %w", j.Spec.Name, j.Spec.Writer.Path, err)
	}
	if res.Skipped {
		// A concurrent delivery of the same records committed first: nothing to do.
		rep.Duplicates += len(todo)
		rep.Filtered, rep.Dirty, rep.DirtyKey = 0, 0, ""
		return rep, nil
	}
	rep.Committed = true
	rep.Written = len(rows)
	rep.Instant, rep.Inserted, rep.Updated = res.Instant, res.Inserted, res.Updated
	rep.DDL = batch.Events()
	return rep, nil
}

// transformed is what transform made of a batch.
type transformed struct {
	rows     []schema.Row
	parts    []schema.Partition // with a partitioner: rows[i]'s partition
	from     []int              // with a partitioner: the index in recs of rows[i]'s record
	dirty    []DirtyRecord
	filtered int // records the chain's filters dropped
}

// transform takes records through the chain and the mapping into rows, dirty records, and a
// count of what the chain's filters dropped; part, when not nil, places each row in a table
// partition (its error makes the record dirty). An error stops the batch (dynamic-column
// policy error).
func (j *Job) transform(chain *process.Chain, batch *fieldmap.Batch, recs []record.Record, part func(*process.Message) (schema.Partition, error)) (transformed, error) {
	out := transformed{rows: make([]schema.Row, 0, len(recs))}
	keys := j.keyCheck(batch.Columns())
	var msg process.Message
	for i := range recs {
		r := &recs[i]
		if r.Value == nil && len(keys.names) > 0 {
			out.dirty = append(out.dirty, keys.tombstone(j, r))
			continue
		}
		if err := msg.Reset(r); err != nil {
			out.dirty = append(out.dirty, j.dirty(r, err))
			continue
		}
		keep, err := chain.Process(&msg)
		if err != nil {
			out.dirty = append(out.dirty, j.dirty(r, err))
			continue
		}
		if !keep {
			out.filtered++
			continue
		}
		row, err := batch.Map(&msg)
		if err != nil {
			var de *column.DirtyError
			if errors.As(err, &de) {
				out.dirty = append(out.dirty, j.dirty(r, err))
				continue
			}
			var ce *fieldmap.ColumnError
			if errors.As(err, &ce) {
				return transformed{}, &StopError{Job: j.Spec.Name, Record: r.Where(), Field: ce.Column, Err: err}
			}
			return transformed{}, fmt.Errorf("job %s: %s: %w", j.Spec.Name, r.Where(), err)
		}
		if d := keys.check(j, r, row); d != nil {
			out.dirty = append(out.dirty, *d)
			continue
		}
		if part != nil {
			p, err := part(&msg)
			if err != nil {
				out.dirty = append(out.dirty, j.dirty(r, err))
				continue
			}
			out.parts = append(out.parts, p)
			out.from = append(out.from, i)
		}
		out.rows = append(out.rows, row)
	}
	return out, nil
}

// keyCheck finds the record key and precombine columns of an upsert job's Hudi table among
// cols (the batch's columns when it starts; columns a batch adds come after them).
func (j *Job) keyCheck(cols []schema.Column) keyCheck {
	if j.Spec.Table != nil || len(j.Spec.Writer.PrimaryKey) == 0 {
		return keyCheck{}
	}
	find := func(name string) int {
		return slices.IndexFunc(cols, func(c schema.Column) bool { return strings.EqualFold(c.Name, name) })
	}
	k := keyCheck{names: j.Spec.Writer.PrimaryKey, pre: -1}
	for _, n := range k.names {
		k.keys = append(k.keys, find(n))
	}
	if j.Spec.Writer.Precombine != "" {
		k.preName, k.pre = j.Spec.Writer.Precombine, find(j.Spec.Writer.Precombine)
	}
	return k
}

// keyCheck makes a row dirty data when the Hudi table could not place it: its record key
// is NULL or empty (every field of a composite key), or its precombine field is NULL. Hudi's
// writers fail the whole write on such a row (a key "cannot be null or empty", a NULL
// ordering value), which would take the good records of the batch down with it; as dirty
// data (DataWorks' treatment of a record the writer refuses) it is kept with its reason and
// counted against setting.errorLimit.record. A Kafka tombstone (no value) is dirty before the
// chain runs.
type keyCheck struct {
	names   []string
	keys    []int // column index of names[i] (-1: not among the columns: NULL)
	preName string
	pre     int
}

func (k *keyCheck) check(j *Job, r *record.Record, row schema.Row) *DirtyRecord {
	if len(k.names) == 0 {
		return nil
	}
	at := func(i int) any {
		if i < 0 || i >= len(row) {
			return nil
		}
		return row[i]
	}
	empty := func(v any) bool {
		switch x := v.(type) {
		case nil:
			return true
		case string:
			return x == ""
		case []byte:
			return len(x) == 0
		}
		return false
	}
	missing := true
	for _, i := range k.keys {
		if !empty(at(i)) {
			missing = false
			break
		}
	}
	where, field, reason := "writer.primaryKey", strings.Join(k.names, ","), ""
	switch {
	case missing && len(k.names) == 1:
		reason = "primary key " + field + " is NULL or empty"
	case missing:
		reason = "primary key fields " + field + " are all NULL or empty"
	case k.preName != "" && at(k.pre) == nil:
		where, field, reason = "writer.precombine", k.preName, "precombine field "+k.preName+" is NULL"
	default:
		return nil
	}
	d := DirtyRecord{Job: j.Spec.Name, Topic: r.Topic, Partition: r.Partition, Offset: r.Offset,
		Timestamp: r.TimestampMillis(), Where: where, Field: field, Reason: reason}
	return &d
}

// tombstone is the dirty record of a Kafka tombstone (a record without a value) in an upsert
// job: the table applies no deletes, and a chain's filter must not hide it silently.
func (k *keyCheck) tombstone(j *Job, r *record.Record) DirtyRecord {
	return DirtyRecord{Job: j.Spec.Name, Topic: r.Topic, Partition: r.Partition, Offset: r.Offset,
		Timestamp: r.TimestampMillis(), Where: "input", Field: "__value__",
		Reason: "tombstone (the record has no value): no primary key " + strings.Join(k.names, ",") + " to upsert, and deletes are not applied"}
}

func (j *Job) logReport(env Env, rep *Report) {
	env.Log.Info("batch", "job", j.Spec.Name, "committed", rep.Committed, "instant", rep.Instant, "records", rep.Records,
		"written", rep.Written, "filtered", rep.Filtered, "dirty", rep.Dirty, "duplicates", rep.Duplicates)
	for _, ev := range rep.DDL {
		env.Log.Warn("ddl", "job", j.Spec.Name, "kind", ev.Kind, "table", ev.Table, "column", ev.Column.Name,
			"type", string(ev.Column.Type), "record", fmt.Sprintf("%s/%d@%d", ev.Topic, ev.Partition, ev.Offset))
	}
}

// checkTopics refuses records of topics the job does not read: the trigger is wired wrong.
func (j *Job) checkTopics(recs []record.Record) error {
	if len(j.Spec.Topics) == 0 {
		return nil
	}
	for i := range recs {
		if !slices.Contains(j.Spec.Topics, recs[i].Topic) {
			return fmt.Errorf("job %s: record %d is from topic %q, which the job does not read (reader.topic: %v)", j.Spec.Name, i, recs[i].Topic, j.Spec.Topics)
		}
	}
	return nil
}

// pending returns the records not yet committed, once each, ordered by topic, partition and
// offset, and counts the rest as duplicates.
func (j *Job) pending(recs []record.Record, done map[string]int64, rep *Report) []record.Record {
	todo := make([]record.Record, 0, len(recs))
	var src sourceOf
	for _, r := range recs {
		if next, ok := done[src.of(&r)]; ok && r.Offset < next {
			rep.Duplicates++
			continue
		}
		todo = append(todo, r)
	}
	order := func(a, b record.Record) int {
		if c := strings.Compare(a.Topic, b.Topic); c != 0 {
			return c
		}
		if a.Partition != b.Partition {
			return int(a.Partition - b.Partition)
		}
		return int(min(max(a.Offset-b.Offset, -1), 1))
	}
	if !slices.IsSortedFunc(todo, order) { // a trigger's batch usually is
		slices.SortStableFunc(todo, order)
	}
	out := todo[:0]
	for i, r := range todo {
		if i > 0 && r.Topic == todo[i-1].Topic && r.Partition == todo[i-1].Partition && r.Offset == todo[i-1].Offset {
			rep.Duplicates++
			continue
		}
		out = append(out, r)
	}
	for _, r := range out {
		key := src.of(&r)
		span, ok := rep.Offsets[key]
		if !ok {
			span[0] = r.Offset
		}
		span[1] = r.Offset
		rep.Offsets[key] = span
	}
	return out
}

// sourceOf names the sources of records read in a row, making a new string only when the
// topic partition changes (a batch holds runs of one partition).
type sourceOf struct {
	topic     string
	partition int32
	name      string
}

func (s *sourceOf) of(r *record.Record) string {
	if s.name == "" || r.Topic != s.topic || r.Partition != s.partition {
		s.topic, s.partition, s.name = r.Topic, r.Partition, Source(r.Topic, r.Partition)
	}
	return s.name
}

func (j *Job) dirty(r *record.Record, err error) DirtyRecord {
	d := DirtyRecord{Job: j.Spec.Name, Topic: r.Topic, Partition: r.Partition, Offset: r.Offset,
		Timestamp: r.TimestampMillis(), Where: "input", Reason: err.Error()}
	var pe *process.DirtyError
	var ce *column.DirtyError
	switch {
	case errors.As(err, &pe):
		d.Where, d.Field, d.Reason, d.Value = pe.Where, pe.Field, pe.Reason, pe.Value
	case errors.As(err, &ce):
		d.Where, d.Field, d.Reason, d.Value = "mapping", ce.Column, ce.Reason, ce.Value
	}
	return d
}

// writeDirty stores the batch's dirty records as one JSON-lines object named after the
// offsets the batch covers, so a retry of the batch rewrites the same object.
func (j *Job) writeDirty(ctx context.Context, env Env, todo []record.Record, dirty []DirtyRecord) (string, error) {
	first, last := todo[0], todo[len(todo)-1]
	key := fmt.Sprintf("dirty/%s/%s-%d-%d_%s-%d-%d.jsonl", j.Spec.Name,
		first.Topic, first.Partition, first.Offset, last.Topic, last.Partition, last.Offset)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, d := range dirty {
		if err := enc.Encode(d); err != nil {
			return "", err
		}
	}
	if err := env.Lake.Put(ctx, key, buf.Bytes()); err != nil {
		return "", fmt.Errorf("job %s: dirty data %s: %w", j.Spec.Name, key, err)
	}
	return key, nil
}
