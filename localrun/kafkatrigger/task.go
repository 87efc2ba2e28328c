package kafkatrigger

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/fcsync/fcsync/shared/kafka"
	"github.com/fcsync/fcsync/shared/record"
	"github.com/fcsync/fcsync/shared/trigger"
)

// BatchError is a batch that failed every attempt (or could not be sent at
// all). Under ToleranceNone it stops its partition.
type BatchError struct {
	Topic       string
	Partition   int32
	FirstOffset int64
	LastOffset  int64
	Records     int
	Attempts    int // 0 when the batch could not be encoded or was too large
	Err         error
}

func (e *BatchError) Error() string {
	return fmt.Sprintf("kafkatrigger: topic %s partition %d offsets %d..%d (%d records): failed after %d attempts: %v",
		e.Topic, e.Partition, e.FirstOffset, e.LastOffset, e.Records, e.Attempts, e.Err)
}

func (e *BatchError) Unwrap() error { return e.Err }

// Idle timeouts handed to kafka.Client.Read: a drain reads offsets that exist,
// so a long wait means they vanished; a run keeps polling until ctx ends.
const (
	drainIdle = 10 * time.Second
	runIdle   = 24 * time.Hour
)

// partLoop consumes one partition: a reader goroutine feeds fetched records
// to the batcher, which delivers and commits batch after batch.
type partLoop struct {
	t    *Trigger
	p    int32
	next int64 // the next offset to deliver, committed unless an ack was lost
	stop int64 // drain: the offset to stop at; -1 for a run

	batches        int   // batches formed so far (before size splits)
	redeliverUntil int64 // records below this offset that are delivered again are redeliveries
}

func (pl *partLoop) run(parent context.Context) error {
	if pl.stop >= 0 && pl.next >= pl.stop {
		return nil
	}
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	in := make(chan []record.Record, 4)
	readErr := make(chan error, 1)
	go func() {
		readErr <- pl.read(ctx, pl.next, in)
		close(in)
	}()
	err := pl.batch(ctx, in)
	cancel()
	for range in { // let the reader finish
	}
	rerr := <-readErr
	switch {
	case err != nil:
		return err
	case parent.Err() != nil:
		if pl.stop >= 0 {
			return fmt.Errorf("kafkatrigger: topic %s partition %d: drain interrupted at offset %d: %w", pl.t.client.Topic(), pl.p, pl.next, context.Cause(parent))
		}
		return nil
	case rerr != nil:
		return fmt.Errorf("kafkatrigger: partition %d: %w", pl.p, rerr)
	}
	return nil
}

// read hands copies of the fetched records to in, from offset from to the
// stop offset (or for ever).
func (pl *partLoop) read(ctx context.Context, from int64, in chan<- []record.Record) error {
	end, idle := pl.stop, drainIdle
	if end < 0 {
		end, idle = math.MaxInt64, runIdle
	}
	fn := func(_ int32, batch []record.Record) error {
		select {
		case in <- slices.Clone(batch):
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	for {
		st, err := pl.t.client.Read(ctx, map[int32]kafka.Range{pl.p: {Start: from, End: end}}, fn, kafka.WithIdleTimeout(idle))
		if err != nil {
			return err
		}
		from = st.Next[pl.p]
		if from >= end {
			return nil
		}
		if pl.stop >= 0 {
			return fmt.Errorf("no record arrived for %s at offset %d, before the drain's end %d", idle, from, end)
		}
	}
}

// batch forms batches from in by count and time window and delivers them.
// It returns when in is closed (after delivering everything), when ctx ends,
// or with the error that stops the partition.
func (pl *partLoop) batch(ctx context.Context, in <-chan []record.Record) error {
	o := &pl.t.o
	var buf []record.Record
	var timer <-chan time.Time
	closed := false
	for {
		// Deliver what is due: full batches; everything once the input is
		// closed; with no time window, whatever has arrived.
		for len(buf) >= o.count || (closed || o.window == 0) && len(buf) > 0 {
			n := min(len(buf), o.count)
			lost, err := pl.deliver(ctx, buf[:n])
			if err != nil {
				return err
			}
			if ctx.Err() != nil {
				return nil
			}
			if !lost {
				buf = buf[n:]
			}
			timer = nil
			if len(buf) > 0 && o.window > 0 && !closed {
				timer = o.after(o.window)
			}
			if o.window == 0 && !closed {
				buf, closed = takeReady(in, buf, o.count) // what arrived meanwhile joins the rest
			}
		}
		if closed {
			return nil
		}
		select {
		case recs, ok := <-in:
			if !ok {
				closed = true
				continue
			}
			if len(buf) == 0 && o.window > 0 {
				timer = o.after(o.window)
			}
			buf = append(buf, recs...)
			if o.window == 0 {
				buf, closed = takeReady(in, buf, o.count)
			}
		case <-timer:
			timer = nil
			if len(buf) > 0 {
				lost, err := pl.deliver(ctx, buf[:min(len(buf), o.count)])
				if err != nil {
					return err
				}
				if !lost {
					buf = buf[min(len(buf), o.count):]
				}
				if len(buf) > 0 {
					timer = o.after(o.window)
				}
			}
		case <-ctx.Done():
			return nil
		}
	}
}

// takeReady appends what in holds right now, up to count records in buf.
func takeReady(in <-chan []record.Record, buf []record.Record, count int) ([]record.Record, bool) {
	for len(buf) < count {
		select {
		case recs, ok := <-in:
			if !ok {
				return buf, true
			}
			buf = append(buf, recs...)
		default:
			return buf, false
		}
	}
	return buf, false
}

// piece is one payload of a batch after size splits.
type piece struct {
	recs    []record.Record
	payload []byte
	err     error // could not be encoded, or one record over the size limit
}

// deliver sends one batch (split when its payload is too large), handles
// failures by the error tolerance and commits. lost reports a lost
// acknowledgement: the batch is to be delivered again.
func (pl *partLoop) deliver(ctx context.Context, recs []record.Record) (lost bool, err error) {
	t := pl.t
	o := &t.o
	pl.batches++
	shape := o.shapes[(pl.batches-1)%len(o.shapes)]
	redelivery := recs[0].Offset < pl.redeliverUntil
	loseAck := !redelivery && o.ackLossEvery > 0 && pl.batches%o.ackLossEvery == 0
	duplicate := o.dupEvery > 0 && pl.batches%o.dupEvery == 0

	pieces := pl.encode(recs, shape, nil)
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
		first, last := pc.recs[0].Offset, pc.recs[len(pc.recs)-1].Offset
		if ierr != nil {
			berr := &BatchError{Topic: t.client.Topic(), Partition: pl.p, FirstOffset: first, LastOffset: last, Records: len(pc.recs), Attempts: attempts, Err: ierr}
			t.count(func(s *Stats) { s.Failures++; s.Batches++ })
			if o.tolerance == ToleranceNone {
				return false, berr
			}
			t.count(func(s *Stats) { s.Skipped += int64(len(pc.recs)) })
			if err := pl.deadLetter(pc, berr); err != nil {
				return false, err
			}
			t.o.log.Warn("kafkatrigger: batch skipped", "err", berr)
		} else {
			again := 0
			for _, r := range pc.recs {
				if r.Offset < pl.redeliverUntil {
					again++
				}
			}
			fresh := int64(len(pc.recs) - again)
			t.count(func(s *Stats) { s.Batches++; s.Records += fresh; s.Redelivered += int64(again) })
			t.partStats(pl.p, func(ps *PartitionStats) { ps.Records += fresh })
		}
		if !loseAck {
			if err := pl.commit(ctx, last+1); err != nil {
				return false, err
			}
		}
	}
	if loseAck {
		pl.redeliverUntil = recs[len(recs)-1].Offset + 1
		t.count(func(s *Stats) { s.AckLosses++ })
		return true, nil
	}
	return false, nil
}

// encode makes the payloads of a batch, halving it until each fits.
func (pl *partLoop) encode(recs []record.Record, shape trigger.KafkaShape, out []piece) []piece {
	payload, err := trigger.EncodeKafka(recs, shape, pl.t.o.encode...)
	switch {
	case err != nil:
		return append(out, piece{recs: recs, err: err})
	case len(payload) <= pl.t.o.maxPayload:
		return append(out, piece{recs: recs, payload: payload})
	case len(recs) == 1:
		return append(out, piece{recs: recs, err: fmt.Errorf("the record's payload is %d bytes, over the %d-byte invoke limit", len(payload), pl.t.o.maxPayload)})
	}
	h := len(recs) / 2
	out = pl.encode(recs[:h], shape, out)
	return pl.encode(recs[h:], shape, out)
}

// commit stores next as the group's offset for the partition.
func (pl *partLoop) commit(ctx context.Context, next int64) error {
	t := pl.t
	if next <= pl.next {
		return nil
	}
	if err := t.client.Commit(ctx, t.group, map[int32]int64{pl.p: next}); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	pl.next = next
	t.mu.Lock()
	t.next[pl.p] = next
	t.stats.Commits++
	ps := t.stats.Partitions[pl.p]
	ps.Next = next
	t.stats.Partitions[pl.p] = ps
	t.mu.Unlock()
	return nil
}

// deadLetterLine is one skipped batch in the dead-letter file.
type deadLetterLine struct {
	Topic       string          `json:"topic"`
	Partition   int32           `json:"partition"`
	FirstOffset int64           `json:"firstOffset"`
	LastOffset  int64           `json:"lastOffset"`
	Records     int             `json:"records"`
	Attempts    int             `json:"attempts"`
	Error       string          `json:"error"`
	Payload     json.RawMessage `json:"payload"`
}

func (pl *partLoop) deadLetter(pc piece, berr *BatchError) error {
	w := pl.t.o.deadLetter
	if w == nil {
		return nil
	}
	line, err := json.Marshal(deadLetterLine{
		Topic: berr.Topic, Partition: berr.Partition, FirstOffset: berr.FirstOffset, LastOffset: berr.LastOffset,
		Records: berr.Records, Attempts: berr.Attempts, Error: berr.Err.Error(), Payload: pc.payload,
	})
	if err != nil {
		return fmt.Errorf("kafkatrigger: dead letter for %s: %w", berr.Error(), err)
	}
	pl.t.dlMu.Lock()
	defer pl.t.dlMu.Unlock()
	if _, err := w.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("kafkatrigger: write dead letter for partition %d offsets %d..%d: %w", berr.Partition, berr.FirstOffset, berr.LastOffset, err)
	}
	return nil
}
