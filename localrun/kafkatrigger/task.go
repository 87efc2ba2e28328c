package kafkatrigger

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fcsync/fcsync/shared/kafka"
	"github.com/fcsync/fcsync/shared/record"
	"github.com/fcsync/fcsync/shared/trigger"
)

// OffsetRange is what a batch holds of one partition: offsets First..Last
// (both included), Records records.
type OffsetRange struct {
	Partition   int32
	First, Last int64
	Records     int
}

// BatchError is a batch that failed every attempt (or could not be sent at
// all). Under ToleranceNone it stops its consumer task.
type BatchError struct {
	Topic string
	// Partition, FirstOffset and LastOffset describe the batch's first
	// partition (the lowest number): the whole batch unless it mixes
	// partitions (WithConsumerTasks).
	Partition   int32
	FirstOffset int64
	LastOffset  int64
	Ranges      []OffsetRange // every partition of the batch, by partition number
	Records     int
	Attempts    int // 0 when the batch could not be encoded or was too large
	Err         error
}

func (e *BatchError) Error() string {
	where := fmt.Sprintf("partition %d offsets %d..%d", e.Partition, e.FirstOffset, e.LastOffset)
	if len(e.Ranges) > 1 {
		where = "partitions " + describeRanges(e.Ranges)
	}
	return fmt.Sprintf("kafkatrigger: topic %s %s (%d records): failed after %d attempts: %v",
		e.Topic, where, e.Records, e.Attempts, e.Err)
}

func (e *BatchError) Unwrap() error { return e.Err }

func newBatchError(topic string, ranges []OffsetRange, records, attempts int, err error) *BatchError {
	return &BatchError{Topic: topic, Partition: ranges[0].Partition, FirstOffset: ranges[0].First, LastOffset: ranges[0].Last,
		Ranges: ranges, Records: records, Attempts: attempts, Err: err}
}

// describeRanges reads "0 offsets 8..11, 2 offsets 4..7".
func describeRanges(rs []OffsetRange) string {
	var b strings.Builder
	for i, r := range rs {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d offsets %d..%d", r.Partition, r.First, r.Last)
	}
	return b.String()
}

// offsetRanges returns what recs hold of each partition, by partition number.
// Records of a partition are in offset order in a batch.
func offsetRanges(recs []record.Record) []OffsetRange {
	var out []OffsetRange
	j := -1
	for i := range recs {
		r := &recs[i]
		if j < 0 || out[j].Partition != r.Partition {
			j = slices.IndexFunc(out, func(o OffsetRange) bool { return o.Partition == r.Partition })
		}
		if j < 0 {
			j = len(out)
			out = append(out, OffsetRange{Partition: r.Partition, First: r.Offset, Last: r.Offset, Records: 1})
			continue
		}
		out[j].Last = r.Offset
		out[j].Records++
	}
	slices.SortFunc(out, func(a, b OffsetRange) int { return int(a.Partition) - int(b.Partition) })
	return out
}

// Idle timeouts handed to kafka.Client.Read: a drain reads offsets that exist,
// so a long wait means they vanished; a run keeps polling until ctx ends.
const (
	drainIdle = 10 * time.Second
	runIdle   = 24 * time.Hour
)

// partState is one partition of a consumer task.
type partState struct {
	p    int32
	next int64 // the next offset to deliver, committed unless an ack was lost
	stop int64 // drain: the offset to stop at; -1 for a run

	ch   chan []record.Record // from the partition's reader
	q    []record.Record      // received, not yet composed into a batch
	done bool                 // ch is closed: nothing more will come

	redeliverUntil int64 // records below this offset that are delivered again are redeliveries
}

// taskLoop is one consumer task: it owns some partitions, reads each with its
// own goroutine, and fills one batch at a time from all of them, delivering
// and committing batch after batch.
type taskLoop struct {
	t     *Trigger
	id    int
	parts []*partState // by partition number
	// wait: composing a batch waits for each partition's next records (a
	// drain of several partitions, so that its batches do not depend on when
	// fetches complete); otherwise it takes what has arrived.
	wait  bool
	ready chan struct{} // a reader sent records or finished

	buf     []record.Record // the next batch, composed; at most the count window
	turn    int             // the index of the partition to take from next
	batches int             // batches formed so far (before size splits)
}

func (tl *taskLoop) state(p int32) *partState {
	for _, ps := range tl.parts {
		if ps.p == p {
			return ps
		}
	}
	return nil
}

// where names the task's partitions for errors.
func (tl *taskLoop) where() string {
	if len(tl.parts) == 1 {
		return fmt.Sprintf("partition %d", tl.parts[0].p)
	}
	var ps []string
	for _, s := range tl.parts {
		ps = append(ps, strconv.Itoa(int(s.p)))
	}
	return fmt.Sprintf("task %d (partitions %s)", tl.id, strings.Join(ps, ", "))
}

// nextOffsets reads "offset 5", or "offsets 0:5, 2:7" for several partitions.
func (tl *taskLoop) nextOffsets() string {
	var b strings.Builder
	if len(tl.parts) > 1 {
		b.WriteString("offsets ")
	} else {
		b.WriteString("offset ")
	}
	for i, ps := range tl.parts {
		if i > 0 {
			b.WriteString(", ")
		}
		if len(tl.parts) > 1 {
			fmt.Fprintf(&b, "%d:", ps.p)
		}
		b.WriteString(strconv.FormatInt(ps.next, 10))
	}
	return b.String()
}

func (tl *taskLoop) run(parent context.Context) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	// Readers run under their own context: the first read error cancels the
	// other readers, and the batcher delivers what was read before it ends.
	rctx, cancelRead := context.WithCancelCause(ctx)
	defer cancelRead(nil)
	tl.ready = make(chan struct{}, 1)
	readers := 0
	for _, ps := range tl.parts {
		ps.ch = make(chan []record.Record, 4)
		if ps.stop >= 0 && ps.next >= ps.stop {
			close(ps.ch)
			continue
		}
		readers++
		go func() {
			if err := tl.read(rctx, ps); err != nil && rctx.Err() == nil {
				cancelRead(fmt.Errorf("kafkatrigger: partition %d: %w", ps.p, err))
			}
			close(ps.ch)
			tl.signal()
		}()
	}
	if readers == 0 {
		return nil
	}
	err := tl.batch(ctx)
	var rerr error
	if rctx.Err() != nil && parent.Err() == nil {
		rerr = context.Cause(rctx)
	}
	cancelRead(nil)
	cancel()
	for _, ps := range tl.parts { // let the readers finish
		for range ps.ch {
		}
	}
	switch {
	case err != nil:
		return err
	case parent.Err() != nil:
		if tl.parts[0].stop >= 0 {
			return fmt.Errorf("kafkatrigger: topic %s %s: drain interrupted at %s: %w", tl.t.client.Topic(), tl.where(), tl.nextOffsets(), context.Cause(parent))
		}
		return nil
	case rerr != nil:
		return rerr
	}
	return nil
}

// signal wakes the batcher when it waits for records.
func (tl *taskLoop) signal() {
	select {
	case tl.ready <- struct{}{}:
	default:
	}
}

// read hands copies of the fetched records of ps to its channel, from its
// next offset to its stop offset (or for ever).
func (tl *taskLoop) read(ctx context.Context, ps *partState) error {
	from, end, idle := ps.next, ps.stop, drainIdle
	if end < 0 {
		end, idle = math.MaxInt64, runIdle
	}
	fn := func(_ int32, batch []record.Record) error {
		if len(batch) == 0 {
			return nil
		}
		select {
		case ps.ch <- slices.Clone(batch):
			tl.signal()
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	for {
		st, err := tl.t.client.Read(ctx, map[int32]kafka.Range{ps.p: {Start: from, End: end}}, fn, kafka.WithIdleTimeout(idle))
		if err != nil {
			return err
		}
		from = st.Next[ps.p]
		if from >= end {
			return nil
		}
		if ps.stop >= 0 {
			return fmt.Errorf("no record arrived for %s at offset %d, before the drain's end %d", idle, from, end)
		}
	}
}

// receive moves the next records of ps from its reader into ps.q, waiting
// for them when the task waits (and until ctx ends). It reports whether it
// got any.
func (tl *taskLoop) receive(ctx context.Context, ps *partState) bool {
	for !ps.done {
		var recs []record.Record
		var ok bool
		if tl.wait {
			select {
			case recs, ok = <-ps.ch:
			case <-ctx.Done():
				return false
			}
		} else {
			select {
			case recs, ok = <-ps.ch:
			default:
				return false
			}
		}
		if !ok {
			ps.done = true
			return false
		}
		if len(recs) > 0 {
			ps.q = recs
			return true
		}
	}
	return false
}

// fill composes the next batch up to the count window: it takes from the
// task's partitions in turn, up to an equal share of the window from each
// (rounded up), and goes round again while there is room and records.
func (tl *taskLoop) fill(ctx context.Context) {
	count := tl.t.o.count
	share := (count + len(tl.parts) - 1) / len(tl.parts)
	for idle := 0; len(tl.buf) < count && idle < len(tl.parts); {
		ps := tl.parts[tl.turn]
		tl.turn = (tl.turn + 1) % len(tl.parts)
		want, took := min(share, count-len(tl.buf)), 0
		for took < want {
			if len(ps.q) == 0 && !tl.receive(ctx, ps) {
				break
			}
			n := min(want-took, len(ps.q))
			tl.buf = append(tl.buf, ps.q[:n]...)
			ps.q = ps.q[n:]
			took += n
		}
		if took == 0 {
			idle++
		} else {
			idle = 0
		}
	}
}

// pending counts the records received and not yet delivered.
func (tl *taskLoop) pending() int {
	n := len(tl.buf)
	for _, ps := range tl.parts {
		n += len(ps.q)
	}
	return n
}

// closed reports that every reader finished and everything it sent was
// received. After a fill that left room in the batch it is exact: fill then
// looked at every partition's channel.
func (tl *taskLoop) closed() bool {
	for _, ps := range tl.parts {
		if !ps.done {
			return false
		}
	}
	return true
}

// batch composes batches by count and time window and delivers them. It
// returns when every reader finished (after delivering everything), when ctx
// ends, or with the error that stops the task.
func (tl *taskLoop) batch(ctx context.Context) error {
	o := &tl.t.o
	var timer <-chan time.Time
	fired := false // the time window ended with records waiting
	for {
		empty := tl.pending() == 0
		tl.fill(ctx)
		if ctx.Err() != nil {
			return nil
		}
		closed := tl.closed()
		if empty && timer == nil && o.window > 0 && !closed && tl.pending() > 0 {
			timer = o.after(o.window) // the first record of a batch arrived
		}
		// Deliver what is due: full batches; everything once the readers
		// finished; with no time window, whatever has arrived; one batch when
		// the time window ended.
		for len(tl.buf) >= o.count || (closed || o.window == 0 || fired) && len(tl.buf) > 0 {
			n := min(len(tl.buf), o.count)
			lost, err := tl.deliver(ctx, tl.buf[:n])
			if err != nil {
				return err
			}
			if ctx.Err() != nil {
				return nil
			}
			if !lost {
				tl.buf = tl.buf[n:]
			}
			fired, timer = false, nil
			tl.fill(ctx) // what arrived meanwhile joins the rest
			if ctx.Err() != nil {
				return nil
			}
			closed = tl.closed()
			if tl.pending() > 0 && o.window > 0 && !closed {
				timer = o.after(o.window)
			}
		}
		if closed {
			return nil
		}
		select {
		case <-tl.ready:
		case <-timer:
			timer = nil
			fired = tl.pending() > 0
		case <-ctx.Done():
			return nil
		}
	}
}

// piece is one payload of a batch after size splits.
type piece struct {
	recs    []record.Record
	payload []byte
	err     error // could not be encoded, or one record over the size limit
}

// deliver sends one batch (split when its payload is too large), handles
// failures by the error tolerance and commits every partition in it. lost
// reports a lost acknowledgement: the batch is to be delivered again.
func (tl *taskLoop) deliver(ctx context.Context, recs []record.Record) (lost bool, err error) {
	t := tl.t
	o := &t.o
	tl.batches++
	shape := o.shapes[(tl.batches-1)%len(o.shapes)]
	redelivery := recs[0].Offset < tl.state(recs[0].Partition).redeliverUntil
	loseAck := !redelivery && o.ackLossEvery > 0 && tl.batches%o.ackLossEvery == 0
	duplicate := o.dupEvery > 0 && tl.batches%o.dupEvery == 0

	pieces := tl.encode(recs, shape, nil)
	if len(pieces) > 1 {
		t.count(func(s *Stats) { s.Splits += int64(len(pieces) - 1) })
	}
	for _, pc := range pieces {
		attempts, ierr := 0, pc.err
		if ierr == nil {
			attempts, ierr = t.invoke(ctx, pc.payload)
			if ierr == nil && duplicate {
				t.count(func(s *Stats) { s.Duplicates++ })
				var n int
				n, ierr = t.invoke(ctx, pc.payload)
				attempts += n
			}
		}
		if ierr != nil && ctx.Err() != nil {
			return false, nil // stopping: the batch stays undelivered and uncommitted
		}
		ranges := offsetRanges(pc.recs)
		if ierr != nil {
			berr := newBatchError(t.client.Topic(), ranges, len(pc.recs), attempts, ierr)
			t.count(func(s *Stats) { s.Failures++; s.Batches++ })
			if o.tolerance == ToleranceNone {
				return false, berr
			}
			t.count(func(s *Stats) { s.Skipped += int64(len(pc.recs)) })
			if err := tl.deadLetter(pc, berr); err != nil {
				return false, err
			}
			t.o.log.Warn("kafkatrigger: batch skipped", "err", berr)
		} else {
			fresh := map[int32]int64{}
			var again, total int64
			for i := range pc.recs {
				r := &pc.recs[i]
				if r.Offset < tl.state(r.Partition).redeliverUntil {
					again++
				} else {
					fresh[r.Partition]++
					total++
				}
			}
			t.count(func(s *Stats) { s.Batches++; s.Records += total; s.Redelivered += again })
			for p, n := range fresh {
				t.partStats(p, func(ps *PartitionStats) { ps.Records += n })
			}
		}
		if !loseAck {
			if err := tl.commit(ctx, ranges); err != nil {
				return false, err
			}
		}
	}
	if loseAck {
		for _, r := range offsetRanges(recs) {
			tl.state(r.Partition).redeliverUntil = r.Last + 1
		}
		t.count(func(s *Stats) { s.AckLosses++ })
		return true, nil
	}
	return false, nil
}

// encode makes the payloads of a batch, halving it until each fits. The
// halves keep the batch's order, so each partition's records stay in order.
func (tl *taskLoop) encode(recs []record.Record, shape trigger.KafkaShape, out []piece) []piece {
	payload, err := trigger.EncodeKafka(recs, shape, tl.t.o.encode...)
	switch {
	case err != nil:
		return append(out, piece{recs: recs, err: err})
	case len(payload) <= tl.t.o.maxPayload:
		return append(out, piece{recs: recs, payload: payload})
	case len(recs) == 1:
		return append(out, piece{recs: recs, err: fmt.Errorf("the record's payload is %d bytes, over the %d-byte invoke limit", len(payload), tl.t.o.maxPayload)})
	}
	h := len(recs) / 2
	out = tl.encode(recs[:h], shape, out)
	return tl.encode(recs[h:], shape, out)
}

// commit stores, for every partition of a delivered batch, the next offset
// past its last record as the group's offset (in one request). A batch the
// function acknowledged is committed even when the trigger is stopping (as a
// consumer commits on close), so a stop right after a delivery does not
// deliver that batch again on restart.
// commitOnStopTimeout bounds a commit once the trigger's context has ended.
const commitOnStopTimeout = 10 * time.Second

func (tl *taskLoop) commit(ctx context.Context, ranges []OffsetRange) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitOnStopTimeout)
	defer cancel()
	t := tl.t
	offsets := make(map[int32]int64, len(ranges))
	for _, r := range ranges {
		if r.Last+1 > tl.state(r.Partition).next {
			offsets[r.Partition] = r.Last + 1
		}
	}
	if len(offsets) == 0 {
		return nil
	}
	if err := t.client.Commit(ctx, t.group, offsets); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stats.Commits++
	for p, next := range offsets {
		tl.state(p).next = next
		t.next[p] = next
		ps := t.stats.Partitions[p]
		ps.Next = next
		t.stats.Partitions[p] = ps
	}
	return nil
}

// deadLetterLine is one skipped batch in the dead-letter file.
type deadLetterLine struct {
	Topic       string            `json:"topic"`
	Partition   int32             `json:"partition"`
	FirstOffset int64             `json:"firstOffset"`
	LastOffset  int64             `json:"lastOffset"`
	Partitions  []deadLetterRange `json:"partitions"`
	Records     int               `json:"records"`
	Attempts    int               `json:"attempts"`
	Error       string            `json:"error"`
	Payload     json.RawMessage   `json:"payload"`
}

type deadLetterRange struct {
	Partition   int32 `json:"partition"`
	FirstOffset int64 `json:"firstOffset"`
	LastOffset  int64 `json:"lastOffset"`
	Records     int   `json:"records"`
}

func (tl *taskLoop) deadLetter(pc piece, berr *BatchError) error {
	w := tl.t.o.deadLetter
	if w == nil {
		return nil
	}
	line := deadLetterLine{
		Topic: berr.Topic, Partition: berr.Partition, FirstOffset: berr.FirstOffset, LastOffset: berr.LastOffset,
		Records: berr.Records, Attempts: berr.Attempts, Error: berr.Err.Error(), Payload: pc.payload,
	}
	for _, r := range berr.Ranges {
		line.Partitions = append(line.Partitions, deadLetterRange{Partition: r.Partition, FirstOffset: r.First, LastOffset: r.Last, Records: r.Records})
	}
	b, err := json.Marshal(line)
	if err != nil {
		return fmt.Errorf("kafkatrigger: dead letter for %s: %w", berr.Error(), err)
	}
	tl.t.dlMu.Lock()
	defer tl.t.dlMu.Unlock()
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("kafkatrigger: write dead letter for %s: %w", berr.Error(), err)
	}
	return nil
}
