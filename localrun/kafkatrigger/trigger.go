package kafkatrigger

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/fcsync/fcsync/shared/kafka"
	"github.com/fcsync/fcsync/shared/trigger"
)

// Invoker receives one batch: a Kafka trigger payload. A non-nil error is a
// failed invocation, retried under the trigger's retry strategy.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) error
}

// InvokerFunc adapts a function to Invoker.
type InvokerFunc func(ctx context.Context, payload []byte) error

// Invoke calls f.
func (f InvokerFunc) Invoke(ctx context.Context, payload []byte) error { return f(ctx, payload) }

// Limits of the EventBridge settings the trigger emulates.
const (
	MaxBatchCount   = 10000
	MaxBatchWindow  = 15 * time.Second
	MaxPayloadBytes = 32 << 20 // FC's synchronous invoke body limit
)

// OffsetReset says where a partition without a committed offset starts.
type OffsetReset string

// Offset resets.
const (
	ResetEarliest OffsetReset = "earliest"
	ResetLatest   OffsetReset = "latest"
)

// Tolerance is EventBridge's errorsTolerance.
type Tolerance string

// Error tolerances.
const (
	// ToleranceNone stops a consumer task (its partitions) at a batch that
	// failed every attempt.
	ToleranceNone Tolerance = "NONE"
	// ToleranceAll skips such a batch (dead-lettering it when configured).
	ToleranceAll Tolerance = "ALL"
)

// Option configures a Trigger.
type Option func(*options)

type options struct {
	count        int
	window       time.Duration
	shapes       []trigger.KafkaShape
	encode       []trigger.KafkaOption
	reset        OffsetReset
	maxTasks     int
	consumers    int
	retry        RetryPolicy
	tolerance    Tolerance
	deadLetter   io.Writer
	dupEvery     int
	ackLossEvery int
	maxPayload   int
	sleep        func(context.Context, time.Duration) error
	after        func(time.Duration) <-chan time.Time
	log          *slog.Logger
	errs         []error
}

// WithBatch sets the count window (1..10000, default 100) and the time window
// (0..15 s, default 0).
func WithBatch(count int, window time.Duration) Option {
	return func(o *options) {
		if count < 1 || count > MaxBatchCount {
			o.errs = append(o.errs, fmt.Errorf("batch count %d is outside 1..%d (CountBasedWindow)", count, MaxBatchCount))
		}
		if window < 0 || window > MaxBatchWindow {
			o.errs = append(o.errs, fmt.Errorf("batch window %s is outside 0..%s (TimeBasedWindow)", window, MaxBatchWindow))
		}
		o.count, o.window = count, window
	}
}

// WithShapes sets the payload shape, or several taken in turn batch after
// batch (per consumer task). Default trigger.ShapeCloudEvents.
func WithShapes(shapes ...trigger.KafkaShape) Option {
	return func(o *options) {
		if len(shapes) == 0 {
			o.errs = append(o.errs, errors.New("no payload shape"))
		}
		for _, s := range shapes {
			if _, err := trigger.ParseKafkaShape(string(s)); err != nil {
				o.errs = append(o.errs, err)
			}
		}
		o.shapes = slices.Clone(shapes)
	}
}

// WithEncoding passes options to trigger.EncodeKafka (value and key formats,
// event source).
func WithEncoding(opts ...trigger.KafkaOption) Option {
	return func(o *options) { o.encode = append(o.encode, opts...) }
}

// WithOffsetReset sets where partitions without a committed offset start
// (default earliest).
func WithOffsetReset(r OffsetReset) Option {
	return func(o *options) {
		if r != ResetEarliest && r != ResetLatest {
			o.errs = append(o.errs, fmt.Errorf("offset reset %q is neither %q nor %q", r, ResetEarliest, ResetLatest))
		}
		o.reset = r
	}
}

// WithMaxTasks bounds the invocations in flight across consumer tasks; 0
// (the default) allows one per task.
func WithMaxTasks(n int) Option {
	return func(o *options) {
		if n < 0 {
			o.errs = append(o.errs, fmt.Errorf("max tasks %d is negative", n))
		}
		o.maxTasks = n
	}
}

// WithConsumerTasks shares the topic's partitions among n consumer tasks, as
// EventBridge's Kafka source does with runOptions.maximumTasks below the
// number of partitions: the partitions, by number, are dealt to the tasks in
// turn (partition index i to task i mod n), and each task fills one batch at
// a time from all its partitions, so a batch mixes partitions. 0 (the
// default) gives every partition its own task, whose batches hold that
// partition alone; n at or above the number of partitions does the same.
func WithConsumerTasks(n int) Option {
	return func(o *options) {
		if n < 0 {
			o.errs = append(o.errs, fmt.Errorf("consumer tasks %d is negative", n))
		}
		o.consumers = n
	}
}

// WithRetry sets the retry policy (see RetryPolicy for the defaults of its
// zero fields).
func WithRetry(p RetryPolicy) Option {
	return func(o *options) {
		if err := p.validate(); err != nil {
			o.errs = append(o.errs, err)
		}
		o.retry = p
	}
}

// WithErrorsTolerance sets errorsTolerance (default NONE).
func WithErrorsTolerance(t Tolerance) Option {
	return func(o *options) {
		if t != ToleranceNone && t != ToleranceAll {
			o.errs = append(o.errs, fmt.Errorf("errors tolerance %q is neither %s nor %s", t, ToleranceNone, ToleranceAll))
		}
		o.tolerance = t
	}
}

// WithDeadLetter writes each batch skipped under ToleranceAll to w as one JSON
// line: {"topic","partition","firstOffset","lastOffset","partitions",
// "records","attempts","error","payload"}: partition, firstOffset and
// lastOffset describe the batch's first partition (the lowest number),
// partitions lists every partition of the batch as {"partition",
// "firstOffset","lastOffset","records"}, and payload is the batch's JSON
// payload (null when it could not be encoded).
func WithDeadLetter(w io.Writer) Option { return func(o *options) { o.deadLetter = w } }

// WithDuplicateEvery delivers every nth batch of a consumer task twice (0:
// never).
func WithDuplicateEvery(n int) Option {
	return func(o *options) {
		if n < 0 {
			o.errs = append(o.errs, fmt.Errorf("duplicate every %d is negative", n))
		}
		o.dupEvery = n
	}
}

// WithAckLossEvery loses the acknowledgement of every nth batch of a consumer
// task (0: never, 1 is refused: nothing would ever be committed): the offsets
// of none of its partitions are committed and its records are delivered
// again, at the head of the task's next batch. A batch that starts with
// redelivered records never loses its acknowledgement.
func WithAckLossEvery(n int) Option {
	return func(o *options) {
		if n < 0 || n == 1 {
			o.errs = append(o.errs, fmt.Errorf("ack loss every %d: want 0 (never) or at least 2", n))
		}
		o.ackLossEvery = n
	}
}

// WithMaxPayloadBytes lowers the payload size limit (default and maximum 32 MB).
func WithMaxPayloadBytes(n int) Option {
	return func(o *options) {
		if n < 1 || n > MaxPayloadBytes {
			o.errs = append(o.errs, fmt.Errorf("max payload bytes %d is outside 1..%d", n, MaxPayloadBytes))
		}
		o.maxPayload = n
	}
}

// WithSleep replaces the sleep between retries (default: a timer that ends
// early with ctx). It returns ctx's error when ctx ends first.
func WithSleep(fn func(ctx context.Context, d time.Duration) error) Option {
	return func(o *options) { o.sleep = fn }
}

// WithTimer replaces time.After for the batch time window.
func WithTimer(after func(d time.Duration) <-chan time.Time) Option {
	return func(o *options) { o.after = after }
}

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// Trigger is an emulated Kafka trigger for one topic and consumer group.
type Trigger struct {
	client *kafka.Client
	group  string
	inv    Invoker
	o      options
	tasks  chan struct{} // nil: no bound

	dlMu sync.Mutex // serialises dead-letter writes

	mu    sync.Mutex
	stats Stats
	next  map[int32]int64 // per partition: the next offset to deliver
}

// New makes a Trigger reading client's topic for group and invoking inv.
func New(client *kafka.Client, group string, inv Invoker, opts ...Option) (*Trigger, error) {
	o := options{
		count:      100,
		shapes:     []trigger.KafkaShape{trigger.ShapeCloudEvents},
		reset:      ResetEarliest,
		tolerance:  ToleranceNone,
		maxPayload: MaxPayloadBytes,
		sleep:      sleepCtx,
		after:      time.After,
		log:        slog.Default(),
	}
	for _, opt := range opts {
		opt(&o)
	}
	if client == nil {
		o.errs = append(o.errs, errors.New("nil kafka client"))
	} else if client.ReadUncommitted() {
		o.errs = append(o.errs, errors.New("the kafka client reads read_uncommitted; the FC Kafka trigger delivers committed records only"))
	}
	if group == "" {
		o.errs = append(o.errs, errors.New("empty consumer group"))
	}
	if inv == nil {
		o.errs = append(o.errs, errors.New("nil invoker"))
	}
	if o.sleep == nil || o.after == nil || o.log == nil {
		o.errs = append(o.errs, errors.New("nil sleep, timer or logger"))
	}
	if len(o.errs) > 0 {
		return nil, fmt.Errorf("kafkatrigger: %w", errors.Join(o.errs...))
	}
	o.retry = o.retry.withDefaults()
	t := &Trigger{client: client, group: group, inv: inv, o: o, next: map[int32]int64{}}
	if o.maxTasks > 0 {
		t.tasks = make(chan struct{}, o.maxTasks)
	}
	t.stats.Partitions = map[int32]PartitionStats{}
	return t, nil
}

// Stats are the trigger's progress counters.
type Stats struct {
	Batches     int64 // batches handled (delivered or given up), after size splits
	Records     int64 // records in delivered batches, redeliveries and duplicates excluded
	Invocations int64 // calls to the invoker, retries and duplicates included
	Retries     int64 // invocations that repeated a failed one
	Duplicates  int64 // extra deliveries of a batch on purpose (WithDuplicateEvery)
	AckLosses   int64 // batches whose acknowledgement was lost on purpose
	Redelivered int64 // records delivered again after a lost acknowledgement
	Splits      int64 // extra batches made by splitting oversized payloads
	Failures    int64 // batches that failed every attempt
	Skipped     int64 // records skipped under ToleranceAll
	Commits     int64 // offset commits
	Partitions  map[int32]PartitionStats
}

// PartitionStats is one partition's progress.
type PartitionStats struct {
	Task    int   // the consumer task that owns the partition (0, 1, ...)
	Next    int64 // the next offset to deliver (committed, unless an ack was lost)
	Records int64
	Stopped string // why the partition's task stopped, "" while it runs or after it drained
}

// Stats returns a snapshot of the counters.
func (t *Trigger) Stats() Stats {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.stats
	s.Partitions = maps.Clone(t.stats.Partitions)
	return s
}

func (t *Trigger) count(fn func(s *Stats)) {
	t.mu.Lock()
	fn(&t.stats)
	t.mu.Unlock()
}

func (t *Trigger) partStats(p int32, fn func(ps *PartitionStats)) {
	t.mu.Lock()
	ps := t.stats.Partitions[p]
	fn(&ps)
	t.stats.Partitions[p] = ps
	t.mu.Unlock()
}

// Lag returns, per partition, how many offsets lie between the next offset to
// deliver and the high watermark. Before Run or Drain it uses the committed
// offsets (the reset position where there is none).
func (t *Trigger) Lag(ctx context.Context) (map[int32]int64, error) {
	parts, err := t.client.Partitions(ctx)
	if err != nil {
		return nil, err
	}
	start, _, err := t.startOffsets(ctx, parts)
	if err != nil {
		return nil, err
	}
	hwm, err := t.client.Latest(ctx, parts)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	lag := make(map[int32]int64, len(parts))
	for _, p := range parts {
		next, ok := t.next[p]
		if !ok {
			next = start[p]
		}
		lag[p] = max(hwm[p]-next, 0)
	}
	return lag, nil
}

// startOffsets returns where each partition starts: the group's committed
// offset, clamped to the log, or the reset position; fresh holds the reset
// position of the partitions without a commit.
func (t *Trigger) startOffsets(ctx context.Context, parts []int32) (start, fresh map[int32]int64, err error) {
	committed, err := t.client.Committed(ctx, t.group, parts)
	if err != nil {
		return nil, nil, err
	}
	earliest, err := t.client.Earliest(ctx, parts)
	if err != nil {
		return nil, nil, err
	}
	latest, err := t.client.Latest(ctx, parts)
	if err != nil {
		return nil, nil, err
	}
	start = make(map[int32]int64, len(parts))
	fresh = map[int32]int64{}
	for _, p := range parts {
		switch c := committed[p]; {
		case c < 0 && t.o.reset == ResetLatest:
			start[p], fresh[p] = latest[p], latest[p]
		case c < 0:
			start[p], fresh[p] = earliest[p], earliest[p]
		default:
			start[p] = min(max(c, earliest[p]), latest[p])
		}
	}
	return start, fresh, nil
}

// Run consumes the topic until ctx ends or every consumer task stopped. It
// returns nil when ctx ended, or the errors of tasks that stopped (a batch
// that failed every attempt under ToleranceNone, a failed commit or read).
func (t *Trigger) Run(ctx context.Context) error { return t.run(ctx, false) }

// Drain consumes each partition up to the last stable offset it has when
// Drain starts (the high watermark when no transaction is open), delivers the last partial batches without waiting for the time
// window, and returns the errors of consumer tasks that stopped.
func (t *Trigger) Drain(ctx context.Context) error { return t.run(ctx, true) }

func (t *Trigger) run(ctx context.Context, drain bool) error {
	parts, err := t.client.Partitions(ctx)
	if err != nil {
		return fmt.Errorf("kafkatrigger: %w", err)
	}
	start, fresh, err := t.startOffsets(ctx, parts)
	if err != nil {
		return fmt.Errorf("kafkatrigger: %w", err)
	}
	end := map[int32]int64{}
	if drain {
		if end, err = t.client.Latest(ctx, parts); err != nil {
			return fmt.Errorf("kafkatrigger: %w", err)
		}
	}
	// Remember the reset position of partitions without a commit, as a Kafka
	// consumer does, so that a restart under "latest" does not skip what
	// arrived in between.
	if err := t.client.Commit(ctx, t.group, fresh); err != nil {
		return fmt.Errorf("kafkatrigger: %w", err)
	}
	n := len(parts)
	if t.o.consumers > 0 {
		n = min(t.o.consumers, n)
	}
	tasks := make([]*taskLoop, n)
	for i := range tasks {
		tasks[i] = &taskLoop{t: t, id: i}
	}
	for i, p := range parts { // parts are sorted by number
		stop := int64(-1) // run until ctx ends
		if drain {
			stop = end[p]
		}
		tl := tasks[i%n]
		tl.parts = append(tl.parts, &partState{p: p, next: start[p], stop: stop})
	}
	t.mu.Lock()
	for i, p := range parts {
		t.next[p] = start[p]
		ps := t.stats.Partitions[p]
		ps.Task, ps.Next, ps.Stopped = i%n, start[p], ""
		t.stats.Partitions[p] = ps
	}
	t.mu.Unlock()
	t.o.log.Info("kafkatrigger: starting", "topic", t.client.Topic(), "group", t.group, "partitions", len(parts), "tasks", n, "drain", drain)

	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, tl := range tasks {
		tl.wait = drain && len(tl.parts) > 1
		wg.Go(func() {
			if err := tl.run(ctx); err != nil {
				errs[i] = err
				for _, ps := range tl.parts {
					t.partStats(ps.p, func(st *PartitionStats) { st.Stopped = err.Error() })
				}
				t.o.log.Error("kafkatrigger: consumer task stopped", "topic", t.client.Topic(), "task", i, "partitions", len(tl.parts), "err", err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
