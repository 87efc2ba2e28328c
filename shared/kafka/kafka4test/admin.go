package kafka4test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Client returns a franz-go client on the PLAINTEXT listener; the caller closes it.
func (b *Broker) Client(opts ...kgo.Opt) (*kgo.Client, error) {
	return kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(b.Addr()), kgo.ClientID("kafka4test")}, opts...)...)
}

// waitReady waits until the broker answers a metadata request listing itself.
func (b *Broker) waitReady(ctx context.Context, deadline time.Time) error {
	cl, err := b.Client()
	if err != nil {
		return fmt.Errorf("kafka4test: %w", err)
	}
	defer cl.Close()
	for {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		res, err := kmsg.NewPtrMetadataRequest().RequestWith(rctx, cl)
		cancel()
		if err == nil && len(res.Brokers) > 0 {
			return nil
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return fmt.Errorf("kafka4test: broker not answering metadata (%v):\n%s", err, b.LogTail(3000))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// CreateTopic creates topic with the given partitions and topic configs (nil for none) and
// waits until every partition has a leader.
func (b *Broker) CreateTopic(ctx context.Context, topic string, partitions int32, configs map[string]string) error {
	cl, err := b.Client()
	if err != nil {
		return fmt.Errorf("kafka4test: create topic %s: %w", topic, err)
	}
	defer cl.Close()
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = 30000
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic = topic
	rt.NumPartitions = partitions
	rt.ReplicationFactor = 1
	for k, v := range configs {
		c := kmsg.NewCreateTopicsRequestTopicConfig()
		c.Name, c.Value = k, kmsg.StringPtr(v)
		rt.Configs = append(rt.Configs, c)
	}
	req.Topics = append(req.Topics, rt)
	res, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("kafka4test: create topic %s: %w", topic, err)
	}
	for _, t := range res.Topics {
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			msg := ""
			if t.ErrorMessage != nil {
				msg = ": " + *t.ErrorMessage
			}
			return fmt.Errorf("kafka4test: create topic %s: %w%s", topic, err, msg)
		}
	}
	for {
		mreq := kmsg.NewPtrMetadataRequest()
		mt := kmsg.NewMetadataRequestTopic()
		mt.Topic = kmsg.StringPtr(topic)
		mreq.Topics = append(mreq.Topics, mt)
		mres, err := mreq.RequestWith(ctx, cl)
		if err == nil && len(mres.Topics) == 1 && mres.Topics[0].ErrorCode == 0 && len(mres.Topics[0].Partitions) == int(partitions) {
			ready := true
			for _, p := range mres.Topics[0].Partitions {
				ready = ready && p.ErrorCode == 0 && p.Leader >= 0
			}
			if ready {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kafka4test: topic %s has no leaders yet: %w", topic, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Produce writes records synchronously with acks=all over PLAINTEXT, each to the partition it
// names (Record.Topic is set to topic).
func (b *Broker) Produce(ctx context.Context, topic string, recs []*kgo.Record, opts ...kgo.Opt) error {
	cl, err := b.Client(append([]kgo.Opt{
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchMaxBytes(4 << 20),
		kgo.MaxBufferedRecords(len(recs) + 1),
	}, opts...)...)
	if err != nil {
		return fmt.Errorf("kafka4test: produce to %s: %w", topic, err)
	}
	defer cl.Close()
	for _, r := range recs {
		r.Topic = topic
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return fmt.Errorf("kafka4test: produce to %s: %w", topic, err)
	}
	return nil
}

// Committed returns the offsets group has committed on topic, as the broker's group
// coordinator reports them (partitions without a commit are absent).
func (b *Broker) Committed(ctx context.Context, group, topic string) (map[int32]int64, error) {
	cl, err := b.Client()
	if err != nil {
		return nil, fmt.Errorf("kafka4test: committed offsets of %s: %w", group, err)
	}
	defer cl.Close()
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Group = group
	req.Topics = nil // every topic
	res, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("kafka4test: committed offsets of %s: %w", group, err)
	}
	if err := kerr.ErrorForCode(res.ErrorCode); err != nil && !errors.Is(err, kerr.GroupIDNotFound) {
		return nil, fmt.Errorf("kafka4test: committed offsets of %s: %w", group, err)
	}
	out := map[int32]int64{}
	for _, t := range res.Topics {
		if t.Topic != topic {
			continue
		}
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return nil, fmt.Errorf("kafka4test: committed offset of %s %s/%d: %w", group, topic, p.Partition, err)
			}
			if p.Offset >= 0 {
				out[p.Partition] = p.Offset
			}
		}
	}
	return out, nil
}
