package kafkatrigger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fcsync/fcsync/shared/kafka"
	"github.com/fcsync/fcsync/shared/record"
	"github.com/fcsync/fcsync/shared/trigger"
)

const testTopic = "events"

// newCluster starts an in-process kfake broker on 127.0.0.1 with a topic of parts partitions.
func newCluster(t *testing.T, parts int32) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(parts, testTopic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// filledCluster starts a broker whose topic has parts partitions of n records each, and a
// client of it.
func filledCluster(t *testing.T, parts int32, n int) (*kfake.Cluster, *kafka.Client) {
	t.Helper()
	c := newCluster(t, parts)
	for p := range parts {
		produce(t, c, p, 0, n)
	}
	return c, dial(t, c)
}

func dial(t *testing.T, c *kfake.Cluster) *kafka.Client {
	t.Helper()
	cl, err := kafka.Dial(t.Context(), kafka.Config{Brokers: c.ListenAddrs(), Topic: testTopic})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

// produce writes n records to partition p, numbered from `from`: JSON values, a tombstone
// every 7th record, a binary header every 5th.
func produce(t *testing.T, c *kfake.Cluster, p int32, from, n int) []*kgo.Record {
	t.Helper()
	var recs []*kgo.Record
	for i := from; i < from+n; i++ {
		r := &kgo.Record{Topic: testTopic, Partition: p, Key: fmt.Appendf(nil, "k%d", i), Value: fmt.Appendf(nil, `{"p":%d,"i":%d}`, p, i)}
		if i%7 == 6 {
			r.Value = nil
		}
		if i%5 == 0 {
			r.Headers = []kgo.RecordHeader{{Key: "bin", Value: []byte{0xff, byte(i), 0}}}
		}
		recs = append(recs, r)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(t.Context(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	return recs
}

// delivery is one invocation as the function saw it.
type delivery struct {
	shape     trigger.KafkaShape
	partition int32   // of the first record
	offsets   []int64 // of every record, in the payload's order
	labels    []string
	parts     map[int32][]int64 // offsets per partition
	recs      []record.Record
	attempt   int
	failed    bool
}

// label is the batch's records as "partition:offset" words, in the payload's order.
func (d delivery) label() string { return strings.Join(d.labels, " ") }

// recorder is the function under the trigger: it decodes every payload with
// trigger.DecodeKafkaEvent, checks that a batch holds one partition (each of its
// partitions, when mixed) in offset order, and records what it saw. fail, when set,
// decides whether an invocation fails.
type recorder struct {
	opts  []trigger.KafkaOption
	mixed bool // batches may mix partitions (WithConsumerTasks)
	fail  func(d delivery) error

	mu         sync.Mutex
	deliveries []delivery
	problems   []string
}

func (r *recorder) Invoke(ctx context.Context, payload []byte) error {
	ev, err := trigger.DecodeKafkaEvent(payload, r.opts...)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.problems = append(r.problems, fmt.Sprintf("payload does not decode: %v", err))
		return err
	}
	d := delivery{shape: ev.Shape, recs: ev.Records, attempt: Attempt(ctx), parts: map[int32][]int64{}}
	for i, rec := range ev.Records {
		if i == 0 {
			d.partition = rec.Partition
		}
		if !r.mixed && rec.Partition != d.partition {
			r.problems = append(r.problems, fmt.Sprintf("batch not one partition: %s after partition %d", rec.Where(), d.partition))
		}
		if prev := d.parts[rec.Partition]; len(prev) > 0 && rec.Offset <= prev[len(prev)-1] {
			r.problems = append(r.problems, fmt.Sprintf("batch not in offset order: %s after offset %d", rec.Where(), prev[len(prev)-1]))
		}
		d.offsets = append(d.offsets, rec.Offset)
		d.parts[rec.Partition] = append(d.parts[rec.Partition], rec.Offset)
		d.labels = append(d.labels, fmt.Sprintf("%d:%d", rec.Partition, rec.Offset))
	}
	if len(ev.Records) == 0 {
		r.problems = append(r.problems, "empty batch")
	}
	if r.fail != nil {
		if err := r.fail(d); err != nil {
			d.failed = true
			r.deliveries = append(r.deliveries, d)
			return err
		}
	}
	r.deliveries = append(r.deliveries, d)
	return nil
}

// delivered returns the successful deliveries of partition p, in order.
func (r *recorder) delivered(p int32) []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []delivery
	for _, d := range r.deliveries {
		if d.partition == p && !d.failed {
			out = append(out, d)
		}
	}
	return out
}

// offsetsIn concatenates what the successful deliveries held of partition p, in order
// (for batches that mix partitions).
func (r *recorder) offsetsIn(p int32) []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int64
	for _, d := range r.deliveries {
		if !d.failed {
			out = append(out, d.parts[p]...)
		}
	}
	return out
}

// succeeded returns the successful deliveries, in order.
func (r *recorder) succeeded() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []delivery
	for _, d := range r.deliveries {
		if !d.failed {
			out = append(out, d)
		}
	}
	return out
}

func (r *recorder) check(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.problems {
		t.Error(p)
	}
}

// offsetsOf concatenates the offsets of deliveries.
func offsetsOf(ds []delivery) []int64 {
	var out []int64
	for _, d := range ds {
		out = append(out, d.offsets...)
	}
	return out
}

func span(a, b int64) []int64 {
	var out []int64
	for i := a; i < b; i++ {
		out = append(out, i)
	}
	return out
}

// quiet options shared by the tests: no logging, no real waiting.
func quiet(opts ...Option) []Option {
	return append([]Option{
		WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		WithSleep(func(ctx context.Context, d time.Duration) error { return ctx.Err() }),
		WithTimer(func(time.Duration) <-chan time.Time { return nil }), // the time window never fires
	}, opts...)
}

func newTrigger(t *testing.T, cl *kafka.Client, group string, inv Invoker, opts ...Option) *Trigger {
	t.Helper()
	tr, err := New(cl, group, inv, quiet(opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func committed(t *testing.T, cl *kafka.Client, group string, parts ...int32) map[int32]int64 {
	t.Helper()
	c, err := cl.Committed(t.Context(), group, parts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDrainDeliversEveryRecordOnceInOrderInCountSizedBatches(t *testing.T) {
	c := newCluster(t, 3)
	produced := map[int32][]*kgo.Record{0: produce(t, c, 0, 0, 25), 1: produce(t, c, 1, 0, 10)}
	cl := dial(t, c)
	binary := []trigger.KafkaOption{trigger.WithValueFormat(trigger.FormatBinary), trigger.WithKeyFormat(trigger.FormatBinary)}
	rec := &recorder{opts: binary}
	tr := newTrigger(t, cl, "g", rec, WithBatch(4, 15*time.Second), WithEncoding(binary...))
	if err := tr.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	rec.check(t)
	for p, want := range map[int32]int64{0: 25, 1: 10, 2: 0} {
		ds := rec.delivered(p)
		if got := offsetsOf(ds); !slices.Equal(got, span(0, want)) {
			t.Errorf("partition %d: delivered offsets %v, want 0..%d once each in order", p, got, want-1)
		}
		for i, d := range ds {
			if len(d.offsets) > 4 || (i < len(ds)-1 && len(d.offsets) != 4) {
				t.Errorf("partition %d batch %d has %d records; want 4 (the last at most 4)", p, i, len(d.offsets))
			}
			for _, got := range d.recs {
				checkSameRecord(t, got, produced[p][got.Offset])
			}
		}
	}
	if got := committed(t, cl, "g", 0, 1, 2); got[0] != 25 || got[1] != 10 || got[2] != 0 {
		t.Errorf("committed offsets %v, want 25, 10, 0", got)
	}
	st := tr.Stats()
	if st.Records != 35 || st.Batches != 7+3 || st.Invocations != 10 || st.Retries != 0 || st.Failures != 0 {
		t.Errorf("stats %+v, want 35 records in 10 batches and invocations, no retries or failures", st)
	}
	lag, err := tr.Lag(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if lag[0] != 0 || lag[1] != 0 || lag[2] != 0 {
		t.Errorf("lag after a drain %v, want none", lag)
	}
}

func checkSameRecord(t *testing.T, got record.Record, want *kgo.Record) {
	t.Helper()
	if got.Topic != want.Topic || !bytes.Equal(got.Key, want.Key) || !bytes.Equal(got.Value, want.Value) || (got.Value == nil) != (want.Value == nil) {
		t.Errorf("%s: key %q value %q, want key %q value %q", got.Where(), got.Key, got.Value, want.Key, want.Value)
	}
	if got.Timestamp.UnixMilli() != want.Timestamp.UnixMilli() {
		t.Errorf("%s: timestamp %v, want %v", got.Where(), got.Timestamp, want.Timestamp)
	}
	if len(got.Headers) != len(want.Headers) {
		t.Fatalf("%s: %d headers, want %d", got.Where(), len(got.Headers), len(want.Headers))
	}
	for i, h := range want.Headers {
		if got.Headers[i].Key != h.Key || !bytes.Equal(got.Headers[i].Value, h.Value) {
			t.Errorf("%s: header %d = %q:%x, want %q:%x", got.Where(), i, got.Headers[i].Key, got.Headers[i].Value, h.Key, h.Value)
		}
	}
}

func TestShapesAreTakenInTurnAndEachDecodes(t *testing.T) {
	c := newCluster(t, 1)
	produced := produce(t, c, 0, 0, 18)
	cl := dial(t, c)
	binary := []trigger.KafkaOption{trigger.WithValueFormat(trigger.FormatBinary), trigger.WithKeyFormat(trigger.FormatBinary)}
	rec := &recorder{opts: binary}
	shapes := trigger.KafkaShapes
	tr := newTrigger(t, cl, "g", rec, WithBatch(3, 0), WithShapes(shapes...), WithEncoding(binary...))
	if err := tr.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	rec.check(t)
	ds := rec.delivered(0)
	if got := offsetsOf(ds); !slices.Equal(got, span(0, 18)) {
		t.Fatalf("delivered %v, want 0..17", got)
	}
	seen := map[trigger.KafkaShape]bool{}
	for i, d := range ds {
		if want := shapes[i%len(shapes)]; d.shape != want {
			t.Errorf("batch %d came as %s, want %s", i, d.shape, want)
		}
		seen[d.shape] = true
		for _, got := range d.recs {
			checkSameRecord(t, got, produced[got.Offset])
		}
	}
	if len(seen) != len(shapes) {
		t.Errorf("shapes seen %v, want all of %v", seen, shapes)
	}
}

func TestRestartResumesFromTheGroupsCommittedOffsets(t *testing.T) {
	c := newCluster(t, 2)
	produce(t, c, 0, 0, 10)
	produce(t, c, 1, 0, 4)
	cl := dial(t, c)
	first := &recorder{}
	if err := newTrigger(t, cl, "g", first, WithBatch(3, 0)).Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	produce(t, c, 0, 10, 5)
	second := &recorder{}
	tr := newTrigger(t, cl, "g", second, WithBatch(3, 0))
	lag, err := tr.Lag(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if lag[0] != 5 || lag[1] != 0 {
		t.Errorf("lag before the restart %v, want 5 and 0", lag)
	}
	if err := tr.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := offsetsOf(second.delivered(0)); !slices.Equal(got, span(10, 15)) {
		t.Errorf("restarted trigger delivered %v on partition 0, want only 10..14", got)
	}
	if got := offsetsOf(second.delivered(1)); len(got) != 0 {
		t.Errorf("restarted trigger delivered %v on partition 1, want nothing", got)
	}
	other := &recorder{}
	if err := newTrigger(t, cl, "other", other, WithBatch(3, 0)).Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := offsetsOf(other.delivered(0)); !slices.Equal(got, span(0, 15)) {
		t.Errorf("a new group delivered %v, want everything from the earliest offset", got)
	}
}

func TestOffsetResetLatestSkipsTheBacklogButNotWhatFollows(t *testing.T) {
	c := newCluster(t, 1)
	produce(t, c, 0, 0, 6)
	cl := dial(t, c)
	rec := &recorder{}
	if err := newTrigger(t, cl, "late", rec, WithOffsetReset(ResetLatest)).Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := offsetsOf(rec.delivered(0)); len(got) != 0 {
		t.Fatalf("latest reset delivered the backlog %v", got)
	}
	if got := committed(t, cl, "late", 0); got[0] != 6 {
		t.Errorf("the reset position was not committed: %v, want 6", got)
	}
	produce(t, c, 0, 6, 3)
	if err := newTrigger(t, cl, "late", rec, WithOffsetReset(ResetLatest)).Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := offsetsOf(rec.delivered(0)); !slices.Equal(got, span(6, 9)) {
		t.Errorf("after a restart delivered %v, want 6..8", got)
	}
}

func TestFailedInvocationsAreRetriedWithTheStrategysDelays(t *testing.T) {
	tests := []struct {
		name   string
		policy RetryPolicy
		delays []time.Duration // per failing batch
	}{
		{"backoff", RetryPolicy{Strategy: BackoffRetry, MaxAttempts: 4, Delay: 3 * time.Millisecond}, []time.Duration{3 * time.Millisecond, 3 * time.Millisecond, 3 * time.Millisecond}},
		{"exponential", RetryPolicy{Strategy: ExponentialDecayRetry, MaxAttempts: 4, Delay: time.Millisecond, MaxDelay: 3 * time.Millisecond}, []time.Duration{time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t, 1)
			produce(t, c, 0, 0, 6)
			cl := dial(t, c)
			// Every batch fails its first three attempts and succeeds on the fourth.
			rec := &recorder{fail: func(d delivery) error {
				if d.attempt < 3 {
					return fmt.Errorf("attempt %d fails", d.attempt)
				}
				return nil
			}}
			var mu sync.Mutex
			var slept []time.Duration
			sleep := WithSleep(func(ctx context.Context, d time.Duration) error {
				mu.Lock()
				slept = append(slept, d)
				mu.Unlock()
				return ctx.Err()
			})
			tr := newTrigger(t, cl, "g", rec, WithBatch(3, 0), WithRetry(tt.policy), sleep)
			if err := tr.Drain(t.Context()); err != nil {
				t.Fatal(err)
			}
			rec.check(t)
			if got := offsetsOf(rec.delivered(0)); !slices.Equal(got, span(0, 6)) {
				t.Errorf("delivered %v, want 0..5 after retries", got)
			}
			var attempts []int
			for _, d := range rec.deliveries {
				attempts = append(attempts, d.attempt)
			}
			if want := []int{0, 1, 2, 3, 0, 1, 2, 3}; !slices.Equal(attempts, want) {
				t.Errorf("attempts seen by the function %v, want %v", attempts, want)
			}
			if want := slices.Concat(tt.delays, tt.delays); !slices.Equal(slept, want) {
				t.Errorf("slept %v, want %v", slept, want)
			}
			if st := tr.Stats(); st.Retries != 6 || st.Invocations != 8 || st.Failures != 0 {
				t.Errorf("stats %+v, want 6 retries of 8 invocations and no failures", st)
			}
		})
	}
}

func TestRetryPolicyDelaysAndDefaults(t *testing.T) {
	exp := RetryPolicy{Strategy: ExponentialDecayRetry}.withDefaults()
	if exp.MaxAttempts != 177 || exp.delay(0) != time.Second || exp.delay(3) != 8*time.Second || exp.delay(9) != 512*time.Second || exp.delay(175) != 512*time.Second {
		t.Errorf("exponential defaults %+v give %v %v %v", exp, exp.delay(0), exp.delay(3), exp.delay(175))
	}
	back := RetryPolicy{}.withDefaults()
	if back.Strategy != BackoffRetry || back.MaxAttempts != 4 || back.delay(0) != 10*time.Second || back.delay(2) != 10*time.Second {
		t.Errorf("backoff defaults %+v", back)
	}
	huge := RetryPolicy{Strategy: ExponentialDecayRetry, Delay: time.Hour, MaxDelay: 1 << 62}.withDefaults()
	if d := huge.delay(1000); d != 1<<62 {
		t.Errorf("an exponential delay overflowed: %v", d)
	}
}

func TestToleranceNoneStopsThePartitionAndARestartDeliversTheBatchAgain(t *testing.T) {
	c := newCluster(t, 2)
	produce(t, c, 0, 0, 14)
	produce(t, c, 1, 0, 6)
	cl := dial(t, c)
	broken := &recorder{fail: func(d delivery) error {
		if d.partition == 0 && d.offsets[0] >= 8 {
			return errors.New("function rejects the batch")
		}
		return nil
	}}
	tr := newTrigger(t, cl, "g", broken, WithBatch(4, 0), WithRetry(RetryPolicy{MaxAttempts: 2}))
	err := tr.Drain(t.Context())
	var berr *BatchError
	if !errors.As(err, &berr) {
		t.Fatalf("Drain = %v, want a BatchError", err)
	}
	if berr.Partition != 0 || berr.FirstOffset != 8 || berr.LastOffset != 11 || berr.Attempts != 2 || !strings.Contains(err.Error(), "function rejects the batch") {
		t.Errorf("batch error %+v", berr)
	}
	if got := offsetsOf(broken.delivered(0)); !slices.Equal(got, span(0, 8)) {
		t.Errorf("partition 0 delivered %v, want 0..7 and then a stop", got)
	}
	if got := offsetsOf(broken.delivered(1)); !slices.Equal(got, span(0, 6)) {
		t.Errorf("partition 1 delivered %v, want all of it (only partition 0 stops)", got)
	}
	st := tr.Stats()
	if st.Failures != 1 || st.Partitions[0].Stopped == "" || st.Partitions[1].Stopped != "" || st.Partitions[0].Next != 8 {
		t.Errorf("stats %+v", st)
	}
	if got := committed(t, cl, "g", 0, 1); got[0] != 8 || got[1] != 6 {
		t.Errorf("committed %v, want 8 (before the failed batch) and 6", got)
	}

	fixed := &recorder{}
	if err := newTrigger(t, cl, "g", fixed, WithBatch(4, 0)).Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := offsetsOf(fixed.delivered(0)); !slices.Equal(got, span(8, 14)) {
		t.Errorf("after a restart delivered %v, want 8..13", got)
	}
}

func TestToleranceAllSkipsTheBatchAndDeadLettersIt(t *testing.T) {
	c := newCluster(t, 1)
	produce(t, c, 0, 0, 14)
	cl := dial(t, c)
	rec := &recorder{fail: func(d delivery) error {
		if d.offsets[0] == 4 {
			return errors.New("poison batch")
		}
		return nil
	}}
	var dl bytes.Buffer
	tr := newTrigger(t, cl, "g", rec, WithBatch(4, 0), WithErrorsTolerance(ToleranceAll), WithDeadLetter(&dl), WithRetry(RetryPolicy{MaxAttempts: 3}))
	if err := tr.Drain(t.Context()); err != nil {
		t.Fatalf("Drain under ALL = %v, want nil", err)
	}
	if got := offsetsOf(rec.delivered(0)); !slices.Equal(got, slices.Concat(span(0, 4), span(8, 14))) {
		t.Errorf("delivered %v, want everything but 4..7", got)
	}
	st := tr.Stats()
	if st.Failures != 1 || st.Skipped != 4 || st.Records != 10 || st.Invocations != 3+3 {
		t.Errorf("stats %+v, want 1 failure, 4 skipped, 10 records, 6 invocations", st)
	}
	if got := committed(t, cl, "g", 0); got[0] != 14 {
		t.Errorf("committed %v, want 14 (past the skipped batch)", got)
	}
	lines := strings.Split(strings.TrimSpace(dl.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("dead letters %q, want one line", dl.String())
	}
	var line deadLetterLine
	if err := json.Unmarshal([]byte(lines[0]), &line); err != nil {
		t.Fatal(err)
	}
	recs, err := trigger.DecodeKafka(line.Payload)
	if err != nil {
		t.Fatal(err)
	}
	if line.FirstOffset != 4 || line.LastOffset != 7 || line.Records != 4 || line.Attempts != 3 || line.Error != "poison batch" || len(recs) != 4 || recs[0].Offset != 4 {
		t.Errorf("dead letter %+v with %d records", line, len(recs))
	}
}

func TestDuplicateEveryDeliversEveryNthBatchTwice(t *testing.T) {
	c := newCluster(t, 1)
	produce(t, c, 0, 0, 12)
	cl := dial(t, c)
	rec := &recorder{}
	tr := newTrigger(t, cl, "g", rec, WithBatch(3, 15*time.Second), WithDuplicateEvery(2))
	if err := tr.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	var got [][]int64
	for _, d := range rec.delivered(0) {
		got = append(got, d.offsets)
	}
	want := [][]int64{span(0, 3), span(3, 6), span(3, 6), span(6, 9), span(9, 12), span(9, 12)}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("deliveries %v, want %v", got, want)
	}
	if st := tr.Stats(); st.Duplicates != 2 || st.Records != 12 || st.Invocations != 6 {
		t.Errorf("stats %+v, want 2 duplicates, 12 records, 6 invocations", st)
	}
}

func TestAckLossRedeliversTheBatchFromTheLastCommit(t *testing.T) {
	c := newCluster(t, 1)
	produce(t, c, 0, 0, 12)
	cl := dial(t, c)
	var commitsSeen []int64
	rec := &recorder{}
	rec.fail = func(d delivery) error {
		// What the group had committed when the batch arrived.
		commitsSeen = append(commitsSeen, committed(t, cl, "g", 0)[0])
		return nil
	}
	tr := newTrigger(t, cl, "g", rec, WithBatch(3, 15*time.Second), WithAckLossEvery(2))
	if err := tr.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	var got [][]int64
	for _, d := range rec.delivered(0) {
		got = append(got, d.offsets)
	}
	want := [][]int64{span(0, 3), span(3, 6), span(3, 6), span(6, 9), span(6, 9), span(9, 12), span(9, 12)}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("deliveries %v, want %v", got, want)
	}
	// A redelivered batch starts at the committed offset: the lost ack left it there.
	if want := []int64{0, 3, 3, 6, 6, 9, 9}; !slices.Equal(commitsSeen, want) {
		t.Errorf("committed offsets seen at each delivery %v, want %v", commitsSeen, want)
	}
	if st := tr.Stats(); st.AckLosses != 3 || st.Redelivered != 9 || st.Records != 12 {
		t.Errorf("stats %+v, want 3 ack losses, 9 redelivered, 12 records", st)
	}
	if got := committed(t, cl, "g", 0); got[0] != 12 {
		t.Errorf("committed %v, want 12", got)
	}
}

func TestOversizedPayloadsAreSplitToFitTheLimit(t *testing.T) {
	c := newCluster(t, 1)
	produce(t, c, 0, 0, 20)
	cl := dial(t, c)
	const limit = 2500
	var sizes []int
	rec := &recorder{}
	inv := InvokerFunc(func(ctx context.Context, payload []byte) error {
		sizes = append(sizes, len(payload))
		return rec.Invoke(ctx, payload)
	})
	tr := newTrigger(t, cl, "g", inv, WithBatch(20, 15*time.Second), WithMaxPayloadBytes(limit))
	if err := tr.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := offsetsOf(rec.delivered(0)); !slices.Equal(got, span(0, 20)) {
		t.Errorf("delivered %v, want 0..19 once each", got)
	}
	for _, n := range sizes {
		if n > limit {
			t.Errorf("payload of %d bytes over the %d limit", n, limit)
		}
	}
	if st := tr.Stats(); st.Splits == 0 || st.Batches != st.Splits+1 || len(sizes) != int(st.Batches) {
		t.Errorf("stats %+v with %d payloads: want the one batch split", st, len(sizes))
	}
}

func TestARecordOverThePayloadLimitFailsItsBatch(t *testing.T) {
	for _, tol := range []Tolerance{ToleranceNone, ToleranceAll} {
		t.Run(string(tol), func(t *testing.T) {
			c := newCluster(t, 1)
			produce(t, c, 0, 0, 3)
			cl := dial(t, c)
			rec := &recorder{}
			tr := newTrigger(t, cl, "g", rec, WithBatch(1, 0), WithMaxPayloadBytes(600), WithErrorsTolerance(tol),
				WithEncoding(trigger.WithKafkaSource(trigger.KafkaSource{AccountID: strings.Repeat("9", 300)})))
			err := tr.Drain(t.Context())
			var berr *BatchError
			switch {
			case tol == ToleranceNone && (!errors.As(err, &berr) || berr.Attempts != 0 || !strings.Contains(err.Error(), "over the 600-byte invoke limit")):
				t.Errorf("Drain = %v, want a batch error for the oversized record", err)
			case tol == ToleranceAll && err != nil:
				t.Errorf("Drain = %v, want nil", err)
			}
			if n := len(rec.delivered(0)); n != 0 {
				t.Errorf("%d oversized payloads reached the function", n)
			}
		})
	}
}

func TestTimeWindowSendsAPartialBatchOnlyWhenItEnds(t *testing.T) {
	tests := []struct {
		name  string
		parts int32
		tasks int
	}{
		{"one partition", 1, 0},
		{"one task over three partitions", 3, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t, tt.parts)
			cl := dial(t, c)
			type arm struct {
				d  time.Duration
				ch chan time.Time
			}
			arms := make(chan arm, 100)
			timer := WithTimer(func(d time.Duration) <-chan time.Time {
				a := arm{d, make(chan time.Time, 1)}
				arms <- a
				return a.ch
			})
			var fired atomic.Int64
			var early atomic.Bool
			deliveries := make(chan struct{}, 100)
			rec := &recorder{mixed: true}
			rec.fail = func(d delivery) error {
				if int64(len(rec.deliveries)) >= fired.Load() { // a batch per firing at most
					early.Store(true)
				}
				deliveries <- struct{}{}
				return nil
			}
			tr, err := New(cl, "g", rec, append(quiet(), WithBatch(100, 5*time.Second), WithConsumerTasks(tt.tasks), timer)...)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() { done <- tr.Run(ctx) }()
			for p := range tt.parts {
				produce(t, c, p, 0, 3)
			}
			for n := 0; n < 3*int(tt.parts); {
				select {
				case a := <-arms:
					if a.d != 5*time.Second {
						t.Errorf("time window armed for %s, want 5s", a.d)
					}
					fired.Add(1)
					a.ch <- time.Now()
				case <-deliveries:
					n = 0
					for p := range tt.parts {
						n += len(rec.offsetsIn(p))
					}
				case err := <-done:
					t.Fatalf("Run ended early: %v", err)
				}
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run after cancel = %v, want nil", err)
			}
			rec.check(t)
			if early.Load() {
				t.Error("a partial batch was sent before its time window ended")
			}
			for p := range tt.parts {
				if got := rec.offsetsIn(p); !slices.Equal(got, span(0, 3)) {
					t.Errorf("partition %d: delivered %v, want 0..2", p, got)
				}
			}
		})
	}
}

func TestRunKeepsDeliveringNewRecordsUntilCancelled(t *testing.T) {
	c := newCluster(t, 2)
	cl := dial(t, c)
	rec := &recorder{}
	got := make(chan struct{})
	rec.fail = func(d delivery) error {
		if d.partition == 1 && d.offsets[len(d.offsets)-1] == 11 {
			close(got)
		}
		return nil
	}
	tr := newTrigger(t, cl, "g", rec, WithBatch(5, 0))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- tr.Run(ctx) }()
	produce(t, c, 1, 0, 7)
	produce(t, c, 1, 7, 5)
	select {
	case <-got:
	case err := <-done:
		t.Fatalf("Run ended early: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil after cancel", err)
	}
	if got := offsetsOf(rec.delivered(1)); !slices.Equal(got, span(0, 12)) {
		t.Errorf("delivered %v, want 0..11", got)
	}
	if got := committed(t, cl, "g", 1); got[1] != 12 {
		t.Errorf("committed %v, want 12", got)
	}
}

func TestMaxTasksBoundsInvocationsInFlight(t *testing.T) {
	_, cl := filledCluster(t, 3, 6)
	var inFlight, most atomic.Int64
	rec := &recorder{}
	inv := InvokerFunc(func(ctx context.Context, payload []byte) error {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(5 * time.Millisecond) // give other partitions the chance to overlap (they must not)
		return rec.Invoke(ctx, payload)
	})
	tr := newTrigger(t, cl, "g", inv, WithBatch(2, 0), WithMaxTasks(1))
	if err := tr.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	if m := most.Load(); m != 1 {
		t.Errorf("%d invocations were in flight at once, want at most 1", m)
	}
	for p := range int32(3) {
		if got := offsetsOf(rec.delivered(p)); !slices.Equal(got, span(0, 6)) {
			t.Errorf("partition %d delivered %v", p, got)
		}
	}
}

func TestNewRejectsBadSettingsNamingThem(t *testing.T) {
	c := newCluster(t, 1)
	cl := dial(t, c)
	inv := &recorder{}
	tests := []struct {
		name string
		opt  Option
		want string
	}{
		{"count zero", WithBatch(0, 0), "batch count 0 is outside 1..10000"},
		{"count too large", WithBatch(10001, 0), "batch count 10001"},
		{"window too long", WithBatch(10, 16*time.Second), "batch window 16s is outside 0..15s"},
		{"unknown shape", WithShapes("xml"), `kafka shape "xml"`},
		{"no shape", WithShapes(), "no payload shape"},
		{"offset reset", WithOffsetReset("middle"), `offset reset "middle"`},
		{"tolerance", WithErrorsTolerance("SOME"), `errors tolerance "SOME"`},
		{"strategy", WithRetry(RetryPolicy{Strategy: "LINEAR"}), `retry strategy "LINEAR"`},
		{"attempts", WithRetry(RetryPolicy{MaxAttempts: -1}), "retry max attempts -1"},
		{"ack loss every batch", WithAckLossEvery(1), "ack loss every 1"},
		{"payload limit", WithMaxPayloadBytes(64 << 20), "max payload bytes"},
		{"tasks", WithMaxTasks(-2), "max tasks -2"},
		{"consumer tasks", WithConsumerTasks(-1), "consumer tasks -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(cl, "g", inv, tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if _, err := New(cl, "", inv); err == nil || !strings.Contains(err.Error(), "empty consumer group") {
		t.Errorf("New without a group = %v", err)
	}
	if _, err := New(cl, "g", nil); err == nil || !strings.Contains(err.Error(), "nil invoker") {
		t.Errorf("New without an invoker = %v", err)
	}
}
