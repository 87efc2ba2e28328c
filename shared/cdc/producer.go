package cdc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/fcsync/fcsync/shared/kafka"
	"github.com/fcsync/fcsync/shared/record"
)

// producer writes records with kafka-go. A partition has at most one produce request in flight,
// so its records land in the order given, retries included; partitions are written in parallel;
// every request needs the acknowledgement of all in-sync replicas. produce returns only when
// every record is acknowledged, which is what lets the runner checkpoint after it.
type producer struct {
	client    *kafkago.Client
	transport *kafkago.Transport
	comp      kafkago.Compression
	parallel  int // partitions written at once (setting.concurrency)
	log       *slog.Logger

	mu    sync.Mutex
	parts map[string]int // partition count per topic
}

// Bounds of one produce request (Kafka's default message.max.bytes is about 1 MiB).
const (
	maxRequestBytes   = 900 << 10
	maxRequestRecords = 10000
	produceParallel   = 8
	produceAttempts   = 8
)

func newProducer(cfg kafka.Config, compression string, parallel int, log *slog.Logger) (*producer, error) {
	if parallel <= 0 {
		parallel = produceParallel
	}
	mech, err := cfg.SASL.Build()
	if err != nil {
		return nil, err
	}
	tlsCfg, err := cfg.TLS.Build()
	if err != nil {
		return nil, err
	}
	dialTimeout := cfg.DialTimeout
	if dialTimeout <= 0 {
		dialTimeout = kafka.DefaultDialTimeout
	}
	reqTimeout := cfg.RequestTimeout
	if reqTimeout <= 0 {
		reqTimeout = kafka.DefaultRequestTimeout
	}
	clientID := cfg.ClientID
	if clientID == "" {
		clientID = "fcsync-cdc"
	}
	tr := &kafkago.Transport{
		Dial:        (&net.Dialer{Timeout: dialTimeout}).DialContext,
		DialTimeout: dialTimeout,
		ClientID:    clientID,
		TLS:         tlsCfg,
		SASL:        mech,
		MetadataTTL: time.Second,
	}
	var comp kafkago.Compression
	switch compression {
	case "", "none":
	case "gzip":
		comp = kafkago.Gzip
	case "snappy":
		comp = kafkago.Snappy
	case "lz4":
		comp = kafkago.Lz4
	case "zstd":
		comp = kafkago.Zstd
	default:
		return nil, fmt.Errorf("kafka: compression %q is not supported", compression)
	}
	return &producer{
		client:    &kafkago.Client{Addr: kafkago.TCP(cfg.Brokers...), Timeout: reqTimeout, Transport: tr},
		transport: tr,
		comp:      comp,
		parallel:  parallel,
		log:       log,
		parts:     map[string]int{},
	}, nil
}

func (p *producer) close() { p.transport.CloseIdleConnections() }

// ensure returns the partition count of topic, creating it with partitions and replication
// factor rf when it is missing and create is set.
func (p *producer) ensure(ctx context.Context, topic string, create bool, partitions, rf int, where string) (int, error) {
	n, err := p.lookup(ctx, topic, 1)
	if err == nil {
		return n, nil
	}
	if !errors.Is(err, kafkago.UnknownTopicOrPartition) {
		return 0, err
	}
	if !create {
		return 0, fmt.Errorf("kafka: topic %s does not exist and %s is false", topic, where)
	}
	res, err := p.client.CreateTopics(ctx, &kafkago.CreateTopicsRequest{Topics: []kafkago.TopicConfig{{
		Topic: topic, NumPartitions: partitions, ReplicationFactor: rf,
	}}})
	if err != nil {
		return 0, fmt.Errorf("kafka: create topic %s: %w", topic, err)
	}
	if terr := res.Errors[topic]; terr != nil && !errors.Is(terr, kafkago.TopicAlreadyExists) {
		return 0, fmt.Errorf("kafka: create topic %s (%d partitions, replication %d): %w", topic, partitions, rf, terr)
	}
	p.log.Info("created topic", "topic", topic, "partitions", partitions, "replication", rf)
	return p.lookup(ctx, topic, 20)
}

// lookup reads a topic's partition count from the metadata, waiting up to attempts times for a
// topic the cached metadata does not know yet.
func (p *producer) lookup(ctx context.Context, topic string, attempts int) (int, error) {
	var last error
	for i := 0; i < attempts; i++ {
		if i > 0 && !sleepCtx(ctx, 250*time.Millisecond) {
			return 0, ctx.Err()
		}
		md, err := p.client.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{topic}})
		if err != nil {
			if !kafka.Transient(err) {
				return 0, fmt.Errorf("kafka: metadata of topic %s: %w", topic, err)
			}
			last = err
			continue
		}
		last = kafkago.UnknownTopicOrPartition
		for _, t := range md.Topics {
			if t.Name != topic {
				continue
			}
			if t.Error != nil {
				last = t.Error
				break
			}
			if len(t.Partitions) == 0 {
				break
			}
			p.mu.Lock()
			p.parts[topic] = len(t.Partitions)
			p.mu.Unlock()
			return len(t.Partitions), nil
		}
	}
	return 0, fmt.Errorf("kafka: topic %s: %w", topic, last)
}

// partitions returns the cached partition count of topic (ensure must have been called).
func (p *producer) partitions(topic string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.parts[topic]
}

type topicPartition struct {
	topic     string
	partition int32
}

// produce writes recs (Topic and Partition set) and returns when all are acknowledged. On an
// error some records may have been written: the caller must not checkpoint past them.
func (p *producer) produce(ctx context.Context, recs []record.Record) error {
	if len(recs) == 0 {
		return nil
	}
	var order []topicPartition
	groups := map[topicPartition][]int{}
	for i := range recs {
		tp := topicPartition{recs[i].Topic, recs[i].Partition}
		if _, ok := groups[tp]; !ok {
			order = append(order, tp)
		}
		groups[tp] = append(groups[tp], i)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, p.parallel)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for _, tp := range order {
		idx := groups[tp]
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := p.producePartition(ctx, tp, recs, idx); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
					cancel()
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return firstErr
}

func (p *producer) producePartition(ctx context.Context, tp topicPartition, recs []record.Record, idx []int) error {
	batch := make([]*record.Record, 0, min(len(idx), maxRequestRecords))
	for start := 0; start < len(idx); {
		batch = batch[:0]
		size := 0
		end := start
		for end < len(idx) && len(batch) < maxRequestRecords {
			r := &recs[idx[end]]
			n := len(r.Key) + len(r.Value) + 32
			if len(batch) > 0 && size+n > maxRequestBytes {
				break
			}
			batch = append(batch, r)
			size += n
			end++
		}
		if err := p.send(ctx, tp, batch); err != nil {
			return err
		}
		start = end
	}
	return nil
}

// kafkaRecords makes the kafka-go records of one produce attempt. kafka-go's record keys and
// values are readers that a request drains, so every attempt needs records of its own: a retry
// with the first attempt's records would write empty keys and values.
func kafkaRecords(batch []*record.Record, out []kafkago.Record) []kafkago.Record {
	out = out[:0]
	for _, r := range batch {
		kr := kafkago.Record{Time: r.Timestamp, Value: kafkago.NewBytes(r.Value)}
		if r.Key != nil {
			kr.Key = kafkago.NewBytes(r.Key)
		}
		for _, h := range r.Headers {
			kr.Headers = append(kr.Headers, kafkago.Header{Key: h.Key, Value: h.Value})
		}
		out = append(out, kr)
	}
	return out
}

func (p *producer) send(ctx context.Context, tp topicPartition, batch []*record.Record) error {
	var err error
	var krecs []kafkago.Record
	for attempt := 0; attempt < produceAttempts; attempt++ {
		if attempt > 0 && !sleepCtx(ctx, backoff(attempt)) {
			break
		}
		krecs = kafkaRecords(batch, krecs)
		var res *kafkago.ProduceResponse
		res, err = p.client.Produce(ctx, &kafkago.ProduceRequest{
			Topic:        tp.topic,
			Partition:    int(tp.partition),
			RequiredAcks: kafkago.RequireAll,
			Records:      kafkago.NewRecordReader(krecs...),
			Compression:  p.comp,
		})
		if err == nil && res != nil {
			err = res.Error
			if err == nil {
				for i, rerr := range res.RecordErrors {
					err = fmt.Errorf("record %d: %w", i, rerr)
					break
				}
			}
		}
		if err == nil {
			return nil
		}
		if !kafka.Transient(err) || ctx.Err() != nil {
			break
		}
		p.log.Warn("produce retry", "topic", tp.topic, "partition", tp.partition, "attempt", attempt+1, "err", err.Error())
	}
	return fmt.Errorf("kafka: produce %d records to %s/%d: %w", len(batch), tp.topic, tp.partition, err)
}

func backoff(attempt int) time.Duration {
	return min(100*time.Millisecond<<min(attempt, 6), 5*time.Second)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
