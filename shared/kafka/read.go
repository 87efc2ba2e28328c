package kafka

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/fcsync/fcsync/shared/record"
)

// Range is a half-open offset range [Start, End) of one partition.
type Range struct{ Start, End int64 }

// Stats sums up a Read.
type Stats struct {
	Records      int64
	Bytes        int64           // key and value bytes delivered
	PerPartition map[int32]int64 // records delivered per partition
	// Next is, per partition, the first offset not read: End when the range
	// was read to its end, less when the partition stayed idle for the idle
	// timeout before End (End beyond the high watermark) or when Read failed.
	// The next window starts there.
	Next map[int32]int64
}

// ReadOption tunes a Read.
type ReadOption func(*readOptions)

type readOptions struct {
	idle       time.Duration
	batch      int
	fetchBytes int
	maxPoll    time.Duration
}

// DefaultIdleTimeout is DataWorks' waitTime default.
const DefaultIdleTimeout = 60 * time.Second

// WithIdleTimeout sets how long a partition whose End lies beyond its high
// watermark waits for a new record before Read stops it where it is
// (DataWorks' stopWhenPollEmpty with waitTime). Default 60 s.
func WithIdleTimeout(d time.Duration) ReadOption {
	return func(o *readOptions) {
		if d > 0 {
			o.idle = d
		}
	}
}

// WithBatchSize sets the most records handed to one callback.
func WithBatchSize(n int) ReadOption {
	return func(o *readOptions) {
		if n > 0 {
			o.batch = n
		}
	}
}

// WithFetchBytes sets the bytes asked for per partition fetch.
func WithFetchBytes(n int) ReadOption {
	return func(o *readOptions) {
		if n > 0 {
			o.fetchBytes = n
		}
	}
}

// maxPoll bounds one fetch's long-poll wait at the broker.
const maxPoll = 2 * time.Second

// Read reads exactly the offsets [Start, End) of each partition in ranges and
// hands them to fn in offset order per partition, in slices of up to the
// batch size (compacted-away offsets are simply absent; transaction control
// records are never delivered).
//
// Under read_committed (the default, see Config.ReadUncommitted) the
// records of aborted transactions are never delivered either: the broker
// lists the aborted transactions among the records it returns, and their
// batches are skipped whole, as the Java consumer does. The broker serves
// records only below the last stable offset, so a range ending past it
// waits for the open transaction to end (or for the idle timeout): plan
// ranges from Latest, which under read_committed is that offset.
//
// Each partition is read by its own goroutine, so fn is called concurrently
// for different partitions and must be safe for that; calls for one
// partition never overlap. The slice passed to fn is reused once fn returns:
// keep records by copying the record.Record values. The Key, Value and Header
// bytes they point to are never reused and may be kept (they share the fetch
// response's buffer, which stays alive while any of them is kept).
//
// A partition stops at End. When End lies beyond the high watermark, Read
// keeps polling until End is reached or no new record arrived for the idle
// timeout, then stops that partition where it is; Stats.Next tells where.
// Transient broker errors (broken connection, leader not available) are
// retried with backoff from the next undelivered offset, so no offset is
// delivered twice or skipped. The first error, from fn or from a partition,
// cancels the others and is returned, wrapped with topic, partition and
// offset; Stats then counts what was delivered.
func (c *Client) Read(ctx context.Context, ranges map[int32]Range, fn func(partition int32, batch []record.Record) error, opts ...ReadOption) (Stats, error) {
	o := readOptions{idle: DefaultIdleTimeout, batch: c.cfg.BatchRecords, fetchBytes: c.cfg.FetchBytes, maxPoll: maxPoll}
	for _, opt := range opts {
		opt(&o)
	}
	st := Stats{PerPartition: make(map[int32]int64, len(ranges)), Next: make(map[int32]int64, len(ranges))}
	parts := make([]int32, 0, len(ranges))
	for p, r := range ranges {
		if p < 0 || r.Start < 0 || r.End < r.Start {
			return st, fmt.Errorf("kafka: read topic %s partition %d: bad range [%d, %d)", c.cfg.Topic, p, r.Start, r.End)
		}
		parts = append(parts, p)
		st.Next[p] = r.Start
		st.PerPartition[p] = 0
	}
	slices.Sort(parts)
	if fn == nil {
		return st, fmt.Errorf("kafka: read topic %s: nil callback", c.cfg.Topic)
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	results := make([]partResult, len(parts))
	var wg sync.WaitGroup
	for i, p := range parts {
		wg.Go(func() {
			r := &results[i]
			r.next = ranges[p].Start
			r.err = c.readPartition(ctx, p, ranges[p], o, fn, r)
			if r.err != nil {
				cancel(r.err)
			}
		})
	}
	wg.Wait()

	var first error
	for i, p := range parts {
		r := results[i]
		st.Records += r.records
		st.Bytes += r.bytes
		st.PerPartition[p] = r.records
		st.Next[p] = r.next
		if r.err != nil && (first == nil || errors.Is(first, context.Canceled) && !errors.Is(r.err, context.Canceled)) {
			first = r.err
		}
	}
	if cause := context.Cause(ctx); first != nil && cause != nil && !errors.Is(cause, context.Canceled) {
		first = cause // the error that stopped the others, not their cancellation
	}
	return st, first
}

type partResult struct {
	records, bytes int64
	next           int64
	err            error
}

// readPartition reads one partition's range, keeping r.next at the first
// undelivered offset so that every retry resumes exactly there.
func (c *Client) readPartition(ctx context.Context, p int32, rg Range, o readOptions, fn func(int32, []record.Record) error, r *partResult) error {
	if rg.Start >= rg.End {
		return nil
	}
	topic := c.cfg.Topic
	where := func() string { return fmt.Sprintf("kafka: read topic %s partition %d at offset %d", topic, p, r.next) }
	pr := &partReader{topic: topic, p: p, end: rg.End, fn: fn, r: r, buf: make([]record.Record, 0, o.batch)}

	var fc *fetchConn
	defer func() {
		if fc != nil {
			fc.Close()
		}
	}()
	drop := func() {
		if fc != nil {
			fc.Close()
			fc = nil
		}
	}
	lastNew := time.Now()
	failures := 0
	fail := func(err error) error {
		drop()
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", where(), context.Cause(ctx))
		}
		if errors.Is(err, kafkago.OffsetOutOfRange) {
			return fmt.Errorf("%s: offset out of range (deleted by retention, or beyond the end): %w", where(), err)
		}
		failures++
		if !Transient(err) || failures >= retryAttempts {
			return fmt.Errorf("%s: %w", where(), err)
		}
		if !sleep(ctx, backoff(failures-1)) {
			return fmt.Errorf("%s: %w", where(), context.Cause(ctx))
		}
		return nil
	}
	for r.next < rg.End {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s: %w", where(), context.Cause(ctx))
		}
		idleLeft := o.idle - time.Since(lastNew)
		if idleLeft <= 0 {
			return nil // stopWhenPollEmpty: the caller sees r.next < End
		}
		wait := max(min(idleLeft, o.maxPoll), time.Millisecond)
		if fc == nil {
			var err error
			if fc, err = c.dialFetch(ctx, p); err != nil {
				if err := fail(err); err != nil {
					return err
				}
				continue
			}
		}
		deadline := time.Now().Add(wait + c.cfg.RequestTimeout)
		var err error
		if fc.pending == 0 {
			err = fc.send(topic, p, r.next, o.fetchBytes, wait, deadline)
		}
		var res fetched
		if err == nil {
			res, err = fc.receive(p, deadline)
		}
		if err == nil && res.errCode != 0 {
			err = kafkago.Error(res.errCode)
		}
		if err != nil {
			if err := fail(err); err != nil {
				return err
			}
			continue
		}
		failures = 0

		// Ask for what follows while this response is decoded and delivered.
		prefetch := batchEnd(res.records)
		if prefetch > r.next && prefetch < rg.End {
			if err := fc.send(topic, p, prefetch, o.fetchBytes, wait, time.Now().Add(wait+c.cfg.RequestTimeout)); err != nil {
				drop() // the next round dials again
			}
		} else {
			prefetch = -1
		}

		before := r.next
		pr.seen = r.next
		err = decodeBatches(res.records, r.next, res.aborted, pr)
		if err == nil {
			err = pr.err
		}
		if err == nil {
			err = pr.flush()
		}
		if err != nil {
			return fmt.Errorf("%s: %w", where(), err)
		}
		// Everything before seen is delivered now; control records and
		// compacted gaps move the position on as well.
		r.next = max(r.next, min(pr.seen, rg.End))
		if pr.done {
			r.next = rg.End // an offset at or past End: the whole range was seen
		}
		if fc != nil && fc.pending != 0 && prefetch != r.next {
			drop() // cannot happen with well-formed batches; never read a wrong position
		}
		if r.next > before {
			lastNew = time.Now()
		}
	}
	return nil
}

// partReader turns decoded records into record.Record batches for fn.
type partReader struct {
	topic string
	p     int32
	end   int64
	fn    func(int32, []record.Record) error
	r     *partResult
	buf   []record.Record
	seen  int64 // offset after the last offset decoded (delivered or skipped)
	done  bool  // met an offset at or past end
	err   error // from fn
}

func (pr *partReader) record(off, ts int64, key, value []byte, hdrs []headerRef) bool {
	if off >= pr.end {
		pr.done = true
		return false
	}
	rec := record.Record{
		Topic:     pr.topic,
		Partition: pr.p,
		Offset:    off,
		Timestamp: time.UnixMilli(ts),
		Key:       key,
		Value:     value,
	}
	if len(hdrs) > 0 {
		rec.Headers = make([]record.Header, len(hdrs))
		for i, h := range hdrs {
			rec.Headers[i] = record.Header{Key: h.key, Value: h.value}
		}
	}
	pr.buf = append(pr.buf, rec)
	if len(pr.buf) == cap(pr.buf) {
		if pr.err = pr.flush(); pr.err != nil {
			return false
		}
	}
	return true
}

func (pr *partReader) skipped(next int64) {
	pr.seen = max(pr.seen, next)
}

// flush hands the buffered records to fn and then moves the position on.
func (pr *partReader) flush() error {
	if len(pr.buf) == 0 {
		return nil
	}
	if err := pr.fn(pr.p, pr.buf); err != nil {
		return err
	}
	last := pr.buf[len(pr.buf)-1].Offset
	for i := range pr.buf {
		pr.r.bytes += int64(len(pr.buf[i].Key) + len(pr.buf[i].Value))
	}
	pr.r.records += int64(len(pr.buf))
	pr.r.next = max(pr.r.next, last+1)
	pr.seen = max(pr.seen, last+1)
	clear(pr.buf)
	pr.buf = pr.buf[:0]
	return nil
}
