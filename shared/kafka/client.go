package kafka

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"syscall"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol/listoffsets"
	"github.com/segmentio/kafka-go/sasl"
)

// Client talks to the brokers of one topic. It is safe for concurrent use.
type Client struct {
	cfg       Config
	tls       *tls.Config
	sasl      sasl.Mechanism
	transport *kafkago.Transport
	kc        *kafkago.Client
}

// Dial checks the configuration, connects and reads the topic's metadata, so
// that a wrong address, a rejected login or a missing topic fail here.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	mech, err := cfg.SASL.Build()
	if err != nil {
		return nil, err
	}
	tlsCfg, err := cfg.TLS.Build()
	if err != nil {
		return nil, err
	}
	if cfg.ClientID == "" {
		cfg.ClientID = "fcsync"
	}
	transport := &kafkago.Transport{
		Dial:           (&net.Dialer{Timeout: cfg.DialTimeout}).DialContext,
		DialTimeout:    cfg.DialTimeout,
		ClientID:       cfg.ClientID,
		TLS:            tlsCfg,
		SASL:           mech,
		MetadataTTL:    5 * time.Second,
		MetadataTopics: []string{cfg.Topic},
	}
	c := &Client{
		cfg:       cfg,
		tls:       tlsCfg,
		sasl:      mech,
		transport: transport,
		kc: &kafkago.Client{
			Addr:      kafkago.TCP(cfg.Brokers...),
			Timeout:   cfg.RequestTimeout,
			Transport: transport,
		},
	}
	if err := c.probe(ctx); err != nil {
		c.Close()
		return nil, err
	}
	if _, err := c.Partitions(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// probe connects to the bootstrap brokers in turn until one completes the
// TLS and SASL handshakes, so that a rejected login is reported as such (a
// broker closes the connection on a failed login, which kafka-go's
// Transport reports as an unexpected EOF).
func (c *Client) probe(ctx context.Context) error {
	var errs []error
	for _, addr := range c.cfg.Brokers {
		fc, err := c.dialAddr(ctx, addr)
		if err == nil {
			fc.Close()
			return nil
		}
		var kerr kafkago.Error
		if errors.As(err, &kerr) && !kerr.Temporary() {
			return fmt.Errorf("kafka: topic %s: %w", c.cfg.Topic, err)
		}
		errs = append(errs, err)
	}
	return fmt.Errorf("kafka: topic %s: no broker reachable: %w", c.cfg.Topic, errors.Join(errs...))
}

// Close releases the client's connections.
func (c *Client) Close() error {
	c.transport.CloseIdleConnections()
	return nil
}

// Warnings are notes for the run record about the configuration: the
// kafkaConfig properties the client does not apply (see ReaderProperties).
func (c *Client) Warnings() []string { return slices.Clone(c.cfg.Warnings) }

// ReadUncommitted reports whether the client reads read_uncommitted (see
// Config.ReadUncommitted).
func (c *Client) ReadUncommitted() bool { return c.cfg.ReadUncommitted }

// Topic is the topic the client reads.
func (c *Client) Topic() string { return c.cfg.Topic }

// Partitions lists the topic's partition ids in ascending order.
func (c *Client) Partitions(ctx context.Context) ([]int32, error) {
	var parts []int32
	err := c.retry(ctx, func(ctx context.Context) error {
		md, err := c.kc.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{c.cfg.Topic}})
		if err != nil {
			return err
		}
		for _, t := range md.Topics {
			if t.Name != c.cfg.Topic {
				continue
			}
			if t.Error != nil {
				return t.Error
			}
			parts = parts[:0]
			for _, p := range t.Partitions {
				parts = append(parts, int32(p.ID))
			}
			if len(parts) == 0 {
				return kafkago.UnknownTopicOrPartition
			}
			slices.Sort(parts)
			return nil
		}
		return kafkago.UnknownTopicOrPartition
	})
	if err != nil {
		return nil, fmt.Errorf("kafka: topic %s: list partitions via %v: %w", c.cfg.Topic, c.cfg.Brokers, err)
	}
	return parts, nil
}

// Earliest returns the log start offset of each partition.
func (c *Client) Earliest(ctx context.Context, parts []int32) (map[int32]int64, error) {
	return c.listOffsets(ctx, parts, kafkago.FirstOffset, "earliest")
}

// Latest returns the end of what a read can deliver in each partition: under
// read_committed (the default) the last stable offset, that is the first
// offset of the oldest transaction still open, or the high watermark when
// none is; under read_uncommitted the high watermark, the offset the next
// record will get. Every offset before the last stable offset belongs to a
// committed or aborted transaction or to none.
func (c *Client) Latest(ctx context.Context, parts []int32) (map[int32]int64, error) {
	return c.listOffsets(ctx, parts, kafkago.LastOffset, "latest")
}

// HighWatermarks returns the high watermark of each partition, whatever the
// isolation level: the offset the next record will get. Under read_committed
// the records from Latest up to it wait for an open transaction to end.
func (c *Client) HighWatermarks(ctx context.Context, parts []int32) (map[int32]int64, error) {
	if c.cfg.ReadUncommitted {
		return c.Latest(ctx, parts)
	}
	u := *c
	u.cfg.ReadUncommitted = true
	return u.listOffsets(ctx, parts, kafkago.LastOffset, "high watermark")
}

// OffsetsForTime returns, per partition, the first offset whose record
// timestamp is at or after t, or Latest when there is none. Under
// read_committed an offset at or past the last stable offset counts as none
// (the broker answers so), so the result is never past Latest.
// With out-of-order producer timestamps, records before that offset may have
// later timestamps and records after it earlier ones.
func (c *Client) OffsetsForTime(ctx context.Context, parts []int32, t time.Time) (map[int32]int64, error) {
	ms := t.UnixMilli()
	if ms < 0 {
		return nil, fmt.Errorf("kafka: topic %s: offsets for time %s: before 1970 (Kafka reserves negative timestamps)", c.cfg.Topic, t.Format(time.RFC3339))
	}
	offs, err := c.listOffsets(ctx, parts, ms, "for time "+t.Format(time.RFC3339Nano))
	if err != nil {
		return nil, err
	}
	var none []int32
	for p, o := range offs {
		if o < 0 {
			none = append(none, p)
		}
	}
	if len(none) > 0 {
		// A separate request: one partition asked twice in a request collapses.
		hwm, err := c.Latest(ctx, none)
		if err != nil {
			return nil, err
		}
		for _, p := range none {
			offs[p] = hwm[p]
		}
	}
	return offs, nil
}

func (c *Client) listOffsets(ctx context.Context, parts []int32, ts int64, what string) (map[int32]int64, error) {
	out := make(map[int32]int64, len(parts))
	if len(parts) == 0 {
		return out, nil
	}
	req := listoffsets.RequestTopic{Topic: c.cfg.Topic}
	for _, p := range parts {
		if p < 0 {
			return nil, fmt.Errorf("kafka: topic %s: %s offsets: negative partition %d", c.cfg.Topic, what, p)
		}
		req.Partitions = append(req.Partitions, listoffsets.RequestPartition{Partition: p, CurrentLeaderEpoch: -1, Timestamp: ts})
	}
	err := c.retry(ctx, func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
		defer cancel()
		m, err := c.transport.RoundTrip(ctx, c.kc.Addr, &listoffsets.Request{ReplicaID: -1, IsolationLevel: c.cfg.isolationLevel(), Topics: []listoffsets.RequestTopic{req}})
		if err != nil {
			return err
		}
		res, ok := m.(*listoffsets.Response)
		if !ok {
			return fmt.Errorf("unexpected response type %T", m)
		}
		for _, t := range res.Topics {
			if t.Topic != c.cfg.Topic {
				continue
			}
			for _, p := range t.Partitions {
				if p.ErrorCode != 0 {
					return fmt.Errorf("partition %d: %w", p.Partition, kafkago.Error(p.ErrorCode))
				}
				out[p.Partition] = p.Offset
			}
		}
		for _, p := range parts {
			if _, ok := out[p]; !ok {
				return fmt.Errorf("partition %d: no answer from the broker", p)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("kafka: topic %s: %s offsets: %w", c.cfg.Topic, what, err)
	}
	return out, nil
}

// Committed returns the offsets group has committed for the partitions, -1
// for a partition without a commit.
func (c *Client) Committed(ctx context.Context, group string, parts []int32) (map[int32]int64, error) {
	if group == "" {
		return nil, fmt.Errorf("kafka: topic %s: committed offsets: empty group id", c.cfg.Topic)
	}
	ids := make([]int, len(parts))
	for i, p := range parts {
		ids[i] = int(p)
	}
	out := make(map[int32]int64, len(parts))
	err := c.retry(ctx, func(ctx context.Context) error {
		res, err := c.kc.OffsetFetch(ctx, &kafkago.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{c.cfg.Topic: ids}})
		if err != nil {
			return err
		}
		if errors.Is(res.Error, kafkago.GroupIdNotFound) {
			return nil // no such group: nothing committed
		}
		if res.Error != nil {
			return res.Error
		}
		for _, p := range res.Topics[c.cfg.Topic] {
			if p.Error != nil {
				return fmt.Errorf("partition %d: %w", p.Partition, p.Error)
			}
			out[int32(p.Partition)] = p.CommittedOffset
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("kafka: topic %s group %s: committed offsets: %w", c.cfg.Topic, group, err)
	}
	for _, p := range parts {
		if _, ok := out[p]; !ok {
			out[p] = -1
		}
	}
	return out, nil
}

// Commit stores offsets (the next offset to read, per partition) for group
// without joining it (generation -1), so that lag monitoring sees the job's
// progress. It fails when a member of a live group owns the partitions.
func (c *Client) Commit(ctx context.Context, group string, offsets map[int32]int64) error {
	if group == "" {
		return fmt.Errorf("kafka: topic %s: commit: empty group id", c.cfg.Topic)
	}
	commits := make([]kafkago.OffsetCommit, 0, len(offsets))
	for p, o := range offsets {
		if p < 0 || o < 0 {
			return fmt.Errorf("kafka: topic %s group %s: commit partition %d offset %d: negative", c.cfg.Topic, group, p, o)
		}
		commits = append(commits, kafkago.OffsetCommit{Partition: int(p), Offset: o})
	}
	if len(commits) == 0 {
		return nil
	}
	slices.SortFunc(commits, func(a, b kafkago.OffsetCommit) int { return a.Partition - b.Partition })
	err := c.retry(ctx, func(ctx context.Context) error {
		res, err := c.kc.OffsetCommit(ctx, &kafkago.OffsetCommitRequest{
			GroupID:      group,
			GenerationID: -1,
			Topics:       map[string][]kafkago.OffsetCommit{c.cfg.Topic: commits},
		})
		if err != nil {
			return err
		}
		for _, p := range res.Topics[c.cfg.Topic] {
			if p.Error != nil {
				return fmt.Errorf("partition %d offset %d: %w", p.Partition, offsets[int32(p.Partition)], p.Error)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("kafka: topic %s group %s: commit: %w", c.cfg.Topic, group, err)
	}
	return nil
}

// Backoff between retries of a transient failure.
const (
	retryMin      = 100 * time.Millisecond
	retryMax      = 5 * time.Second
	retryAttempts = 8
)

// retry runs fn until it succeeds, fails permanently, or fails transiently
// retryAttempts times in a row.
func (c *Client) retry(ctx context.Context, fn func(context.Context) error) error {
	for attempt := 0; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return errors.Join(ctx.Err(), err)
		}
		if !Transient(err) || attempt+1 >= retryAttempts {
			return err
		}
		if !sleep(ctx, backoff(attempt)) {
			return errors.Join(ctx.Err(), err)
		}
	}
}

func backoff(attempt int) time.Duration {
	d := retryMin << min(attempt, 16)
	return min(d, retryMax)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Transient reports whether a failed request may succeed when repeated:
// broken connections, timeouts and the broker errors Kafka marks retriable
// (leader not available, not leader, and so on).
func Transient(err error) bool {
	var kerr kafkago.Error
	if errors.As(err, &kerr) {
		return kerr.Temporary()
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED) ||
		errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var nerr net.Error
	return errors.As(err, &nerr) && nerr.Timeout()
}
