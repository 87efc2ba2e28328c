package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/fcsync/fcsync/functions/platform"
	streamhandler "github.com/fcsync/fcsync/functions/stream/handler"
	"github.com/fcsync/fcsync/localrun/fcruntime"
	"github.com/fcsync/fcsync/localrun/kafkatrigger"
	"github.com/fcsync/fcsync/shared/job"
	"github.com/fcsync/fcsync/shared/kafka"
	"github.com/fcsync/fcsync/shared/lake/hudi"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/record"
	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/stream"
	"github.com/fcsync/fcsync/shared/trigger"
)

// loadStreamJob loads and compiles a stream job file.
// jobAndTopic loads the stream job of command cmd's --job and defaults *topic (--topic) to the
// job's first topic.
func jobAndTopic(cmd, jobFile string, topic *string) (*stream.Job, error) {
	if jobFile == "" {
		return nil, usageError{cmd + ": --job FILE is required"}
	}
	j, err := loadStreamJob(jobFile)
	if err != nil {
		return nil, err
	}
	if *topic == "" && len(j.Spec.Topics) > 0 {
		*topic = j.Spec.Topics[0]
	}
	if *topic == "" {
		return nil, usageError{cmd + ": the job names no topic: give --topic"}
	}
	return j, nil
}

func loadStreamJob(path string) (*stream.Job, error) {
	spec, err := job.LoadStreamFile(path)
	if err != nil {
		return nil, err
	}
	return stream.Compile(spec)
}

// isStreamFile tells stream jobs from batch jobs.
func isStreamFile(path string) bool {
	data, err := os.ReadFile(path)
	return err == nil && job.IsStream(data)
}

// sampleRecords reads up to count records of topic from time from on (all partitions, merged
// by timestamp), as DataWorks' preview samples a topic.
func sampleRecords(ctx context.Context, brokers []string, topic string, from time.Time, count int) ([]record.Record, error) {
	kc, err := kafka.Dial(ctx, kafka.Config{Brokers: brokers, Topic: topic})
	if err != nil {
		return nil, err
	}
	defer kc.Close()
	parts, err := kc.Partitions(ctx)
	if err != nil {
		return nil, err
	}
	starts, err := kc.OffsetsForTime(ctx, parts, from)
	if err != nil {
		return nil, err
	}
	ends, err := kc.Latest(ctx, parts)
	if err != nil {
		return nil, err
	}
	ranges := map[int32]kafka.Range{}
	for _, p := range parts {
		ranges[p] = kafka.Range{Start: starts[p], End: min(ends[p], starts[p]+int64(count))}
	}
	var mu sync.Mutex
	var out []record.Record
	_, err = kc.Read(ctx, ranges, func(_ int32, batch []record.Record) error {
		mu.Lock()
		defer mu.Unlock()
		for _, r := range batch {
			r.Key, r.Value = bytes.Clone(r.Key), bytes.Clone(r.Value)
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b record.Record) int {
		if c := a.Timestamp.Compare(b.Timestamp); c != 0 {
			return c
		}
		if a.Partition != b.Partition {
			return int(a.Partition - b.Partition)
		}
		return int(a.Offset - b.Offset)
	})
	return out[:min(len(out), count)], nil
}

// recordJSON renders a record as one line of a records file (what preview --input reads).
func recordJSON(r record.Record) string {
	m := map[string]any{"partition": r.Partition, "offset": r.Offset, "timestamp": r.TimestampMillis()}
	if r.Key != nil {
		m["key"] = string(r.Key)
	} else {
		m["key"] = nil
	}
	switch {
	case r.Value == nil:
		m["value"] = nil
	case utf8.Valid(r.Value):
		m["value"] = string(r.Value)
	default:
		m["value_base64"] = base64.StdEncoding.EncodeToString(r.Value)
	}
	if len(r.Headers) > 0 {
		h := map[string]string{}
		for _, x := range r.Headers {
			h[x.Key] = string(x.Value)
		}
		m["headers"] = h
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(m)
	return strings.TrimSpace(buf.String())
}

func runSample(ctx context.Context, args []string, out io.Writer) error {
	fs := flags("sample")
	brokers := fs.String("brokers", "", "Kafka bootstrap servers (default: the embedded broker)")
	topic := fs.String("topic", "", "topic")
	from := fs.String("from", "", "first record time (RFC 3339, yyyymmddhhmmss or 13-digit epoch ms; default: the beginning)")
	count := fs.Int("count", 10, "records to sample")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *topic == "" || *count < 1 {
		return usageError{"sample: --topic T and --count N >= 1 are required"}
	}
	addrs, stop, err := brokersOrEmbedded(*brokers)
	if err != nil {
		return err
	}
	defer stop()
	t := time.Unix(0, 0)
	if *from != "" {
		if t, err = parseTime(*from, time.UTC); err != nil {
			return usageError{"sample: --from: " + err.Error()}
		}
	}
	recs, err := sampleRecords(ctx, addrs, *topic, t, *count)
	if err != nil {
		return err
	}
	for _, r := range recs {
		fmt.Fprintln(out, recordJSON(r))
	}
	return nil
}

// printPreview writes rows as JSON lines keyed by column, then dirty records, the schema
// changes the batch would make, then a summary.
func printPreview(out io.Writer, j *stream.Job, p *stream.Preview) {
	for _, row := range p.Rows {
		fmt.Fprintln(out, rowJSON(p.Columns, row, nil))
	}
	for _, d := range p.Dirty {
		b, _ := json.Marshal(map[string]any{"dirty": true, "partition": d.Partition, "offset": d.Offset, "where": d.Where, "field": d.Field, "reason": d.Reason})
		fmt.Fprintln(out, string(b))
	}
	for _, ev := range p.DDL {
		fmt.Fprintf(out, "# would add column %s %s (first seen at %s/%d@%d)\n", ev.Column.Name, ev.Column.Type, ev.Topic, ev.Partition, ev.Offset)
	}
	for _, s := range alterStatements(j, p.DDL) {
		fmt.Fprintf(out, "# DDL: %s\n", s)
	}
	fmt.Fprintf(out, "# %d rows, %d filtered, %d dirty\n", len(p.Rows), p.Filtered, len(p.Dirty))
}

// previewStream runs a stream job's chain and mapping on a records file.
func previewStream(jobFile, input, at string, out io.Writer) error {
	j, p, err := previewFile("preview", jobFile, input, at)
	if err != nil {
		return err
	}
	printPreview(out, j, p)
	return nil
}

// previewFile loads a stream job and previews it on a records file at time at (default now).
func previewFile(cmd, jobFile, input, at string) (*stream.Job, *stream.Preview, error) {
	j, err := loadStreamJob(jobFile)
	if err != nil {
		return nil, nil, err
	}
	t := time.Now()
	if at != "" {
		if t, err = parseTime(at, j.Spec.Location); err != nil {
			return nil, nil, usageError{cmd + ": --at: " + err.Error()}
		}
	}
	recs, err := readRecordsFile(input)
	if err != nil {
		return nil, nil, err
	}
	topic := "preview"
	if len(j.Spec.Topics) > 0 {
		topic = j.Spec.Topics[0]
	}
	for i := range recs {
		recs[i].Topic = topic
	}
	p, err := j.Preview(recs, nil, t)
	if err != nil {
		return nil, nil, err
	}
	return j, p, nil
}

// ddlStream prints a stream job's destination DDL and, with a records file, the schema
// changes a batch of those records makes.
func ddlStream(jobFile, project, input, at string, out io.Writer) error {
	if input == "" {
		j, err := loadStreamJob(jobFile)
		if err != nil {
			return err
		}
		return printStreamDDL(out, j, project, nil)
	}
	j, p, err := previewFile("ddl", jobFile, input, at)
	if err != nil {
		return err
	}
	if err := printStreamDDL(out, j, project, nil); err != nil {
		return err
	}
	for _, s := range alterStatements(j, p.DDL) {
		fmt.Fprintln(out, s)
	}
	return nil
}

func runSimulate(ctx context.Context, args []string, out io.Writer) error {
	fs := flags("simulate")
	jobFile := fs.String("job", "", "stream job file")
	brokers := fs.String("brokers", "", "Kafka bootstrap servers (default: the embedded broker)")
	topic := fs.String("topic", "", "topic (default: the job's)")
	from := fs.String("from", "", "sample from this time (default: the beginning)")
	count := fs.Int("count", 20, "records to sample")
	lake := fs.String("lake", ".fcsync/lake", "lake directory: the table's current schema is used when it exists")
	if err := parse(fs, args); err != nil {
		return err
	}
	j, err := jobAndTopic("simulate", *jobFile, topic)
	if err != nil {
		return err
	}
	addrs, stop, err := brokersOrEmbedded(*brokers)
	if err != nil {
		return err
	}
	defer stop()
	t := time.Unix(0, 0)
	if *from != "" {
		if t, err = parseTime(*from, j.Spec.Location); err != nil {
			return usageError{"simulate: --from: " + err.Error()}
		}
	}
	recs, err := sampleRecords(ctx, addrs, *topic, t, *count)
	if err != nil {
		return err
	}
	var cols []schema.Column
	if store, err := objstore.NewDir(*lake); err == nil {
		if tbl, err := hudi.Open(ctx, store, j.Spec.Writer.Path); err == nil {
			cols = tbl.Columns()
		}
	}
	p, err := j.Preview(recs, cols, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "# simulated run of %s on %d sampled records of %s: nothing is written\n", j.Spec.Name, len(recs), *topic)
	printPreview(out, j, p)
	return nil
}

// queryHudi prints a Hudi table's snapshot rows as JSON lines, if dir is one.
func queryHudi(ctx context.Context, dir string, out io.Writer) (bool, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false, err
	}
	store, err := objstore.NewDir(filepath.Dir(abs))
	if err != nil {
		return false, err
	}
	root := filepath.Base(abs)
	if !hudi.Detect(ctx, store, root) {
		return false, nil
	}
	tbl, err := hudi.Open(ctx, store, root)
	if err != nil {
		return true, err
	}
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		return true, err
	}
	return true, hudi.WriteJSON(ctx, out, snap)
}

// invokeStream passes one Kafka trigger event through the stream function, in-process or as a
// built binary under the emulated FC runtime API.
func invokeStream(ctx context.Context, jobFile, lake, runs, bin string, payload []byte, out io.Writer) error {
	if jobFile == "" {
		return usageError{"invoke: --job FILE is required"}
	}
	absJob, err := filepath.Abs(jobFile)
	if err != nil {
		return err
	}
	absLake, err := filepath.Abs(lake)
	if err != nil {
		return err
	}
	absRuns, err := filepath.Abs(runs)
	if err != nil {
		return err
	}
	if bin != "" {
		rt, err := fcruntime.Start(ctx)
		if err != nil {
			return err
		}
		defer rt.Close()
		return runUnderRuntime(ctx, rt, bin, []string{"FCSYNC_JOB_FILE=" + absJob, "FCSYNC_LAKE=" + absLake, "FCSYNC_RUNS=" + absRuns}, "fcsync-stream", payload, out)
	}
	h := streamhandler.New(streamhandler.Config{JobFile: absJob, LakeDir: absLake, RunsDir: absRuns}, nil)
	res, err := h.Invoke(ctx, payload, platform.Credentials{})
	if res != nil {
		b, _ := json.MarshalIndent(res, "", "  ")
		fmt.Fprintln(out, string(b))
	}
	return err
}

// streamTotals sums the reports of the batches the emulated trigger delivered.
type streamTotals struct {
	mu                                                    sync.Mutex
	batches, committed, records, written, filtered, dirty int
	duplicates                                            int
	ddl                                                   []string
}

func (s *streamTotals) add(rep *stream.Report) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batches++
	if rep.Committed {
		s.committed++
	}
	s.records += rep.Records
	s.written += rep.Written
	s.filtered += rep.Filtered
	s.dirty += rep.Dirty
	s.duplicates += rep.Duplicates
	for _, ev := range rep.DDL {
		// Concurrent batches may each add the same column; the table has it once.
		line := fmt.Sprintf("AddColumn %s %s", ev.Column.Name, ev.Column.Type)
		if !slices.Contains(s.ddl, line) {
			s.ddl = append(s.ddl, line)
		}
	}
}

// driveStream runs the emulated Kafka trigger over topic until it is drained (or, with follow,
// until ctx ends), delivering each batch to the stream function's handler in-process. The
// handler writes its run records to runs/ of the store at runs (none when empty), as the
// function writes them to FCSYNC_RUNS.
func driveStream(ctx context.Context, brokers []string, topic, group, jobFile, lake, runs string, follow bool, opts ...kafkatrigger.Option) (kafkatrigger.Stats, *streamTotals, error) {
	kc, err := kafka.Dial(ctx, kafka.Config{Brokers: brokers, Topic: topic})
	if err != nil {
		return kafkatrigger.Stats{}, nil, err
	}
	defer kc.Close()
	h := streamhandler.New(streamhandler.Config{JobFile: jobFile, LakeDir: lake, RunsDir: runs}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, err := h.Job(); err != nil {
		return kafkatrigger.Stats{}, nil, err
	}
	totals := &streamTotals{}
	inv := kafkatrigger.InvokerFunc(func(ctx context.Context, payload []byte) error {
		res, err := h.Invoke(ctx, payload, platform.Credentials{})
		if err != nil {
			return err
		}
		totals.add(res.Report)
		return nil
	})
	opts = append([]kafkatrigger.Option{kafkatrigger.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}, opts...)
	trig, err := kafkatrigger.New(kc, group, inv, opts...)
	if err != nil {
		return kafkatrigger.Stats{}, nil, err
	}
	stop := make(chan struct{})
	go func() {
		bar := newProgress(os.Stderr, 0)
		for {
			select {
			case <-stop:
				return
			case <-time.After(500 * time.Millisecond):
				st := trig.Stats()
				bar.note(fmt.Sprintf("batches %d  records %d  invocations %d  retries %d  duplicates %d", st.Batches, st.Records, st.Invocations, st.Retries, st.Duplicates))
			}
		}
	}()
	if follow {
		err = trig.Run(ctx)
	} else {
		err = trig.Drain(ctx)
	}
	close(stop)
	fmt.Fprintln(os.Stderr)
	return trig.Stats(), totals, err
}

// printStream shows what the emulated trigger delivered and what the function did with it.
func printStream(out io.Writer, st kafkatrigger.Stats, t *streamTotals) {
	tbl := [][]string{
		{"trigger batches", fmt.Sprint(st.Batches)},
		{"records delivered", fmt.Sprint(st.Records)},
		{"invocations (retries, duplicates incl.)", fmt.Sprint(st.Invocations)},
		{"retries", fmt.Sprint(st.Retries)},
		{"duplicate deliveries sent", fmt.Sprint(st.Duplicates)},
		{"function: commits", fmt.Sprint(t.committed)},
		{"function: rows written", fmt.Sprint(t.written)},
		{"function: records skipped as already committed", fmt.Sprint(t.duplicates)},
		{"function: filtered", fmt.Sprint(t.filtered)},
		{"function: dirty", fmt.Sprint(t.dirty)},
	}
	w := 0
	for _, r := range tbl {
		w = max(w, len(r[0]))
	}
	for _, r := range tbl {
		fmt.Fprintf(out, "  %-*s | %s\n", w, r[0], r[1])
	}
	for _, d := range t.ddl {
		fmt.Fprintf(out, "  DDL %s\n", d)
	}
}

func runStream(ctx context.Context, args []string, out io.Writer) error {
	fs := flags("stream")
	jobFile := fs.String("job", "", "stream job file")
	brokers := fs.String("brokers", "", "Kafka bootstrap servers (default: the embedded broker)")
	topic := fs.String("topic", "", "topic (default: the job's)")
	lake := fs.String("lake", ".fcsync/lake", "lake directory (the object store of the job's table)")
	runs := fs.String("runs", ".fcsync/state", "run records go to runs/ in this store (what localrun status --store reads)")
	group := fs.String("group", "", "the trigger's consumer group (default fcsync-<job>)")
	count := fs.Int("count-window", 100, "batchWindow.CountBasedWindow: records per batch (1..10000)")
	window := fs.Duration("time-window", time.Second, "batchWindow.TimeBasedWindow (0..15s)")
	shapes := fs.String("shapes", "cloudevents", "payload shapes, comma-separated, used in turn: cloudevents, cloudevents-strings, rawdata, lambda")
	dupEvery := fs.Int("duplicate-every", 0, "deliver every Nth batch twice (0: never)")
	ackLoss := fs.Int("ack-loss-every", 0, "lose every Nth batch's acknowledgement, so it is delivered again (0: never)")
	tasks := fs.Int("consumer-tasks", 0, "runOptions.maximumTasks: consumer tasks sharing the topic's partitions; fewer than the partitions mixes partitions in a batch (0: one per partition)")
	follow := fs.Bool("follow", false, "keep consuming until interrupted (default: stop when the topic is drained)")
	if err := parse(fs, args); err != nil {
		return err
	}
	j, err := jobAndTopic("stream", *jobFile, topic)
	if err != nil {
		return err
	}
	if *group == "" {
		*group = "fcsync-" + j.Spec.Name
	}
	var sh []trigger.KafkaShape
	for _, s := range strings.Split(*shapes, ",") {
		k, err := trigger.ParseKafkaShape(strings.TrimSpace(s))
		if err != nil {
			return usageError{"stream: --shapes: " + err.Error()}
		}
		sh = append(sh, k)
	}
	addrs, stop, err := brokersOrEmbedded(*brokers)
	if err != nil {
		return err
	}
	defer stop()
	absJob, _ := filepath.Abs(*jobFile)
	st, totals, err := driveStream(ctx, addrs, *topic, *group, absJob, *lake, *runs, *follow,
		kafkatrigger.WithBatch(*count, *window), kafkatrigger.WithShapes(sh...),
		kafkatrigger.WithDuplicateEvery(*dupEvery), kafkatrigger.WithAckLossEvery(*ackLoss),
		kafkatrigger.WithConsumerTasks(*tasks), kafkatrigger.WithOffsetReset(kafkatrigger.ResetEarliest))
	if totals != nil {
		printStream(out, st, totals)
	}
	return err
}
