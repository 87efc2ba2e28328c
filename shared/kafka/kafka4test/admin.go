package kafka4test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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

// SetLogLevel sets a broker logger's level at run time (an IncrementalAlterConfigs request on
// the BROKER_LOGGER resource, as kafka-configs --entity-type broker-loggers does). With
// kafka.request.logger at DEBUG the broker logs every request it completes, header (client id,
// API version) and body, to RequestLog.
func (b *Broker) SetLogLevel(ctx context.Context, logger, level string) error {
	cl, err := b.Client()
	if err != nil {
		return fmt.Errorf("kafka4test: log level of %s: %w", logger, err)
	}
	defer cl.Close()
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	res := kmsg.NewIncrementalAlterConfigsRequestResource()
	res.ResourceType = kmsg.ConfigResourceTypeBrokerLogger
	res.ResourceName = "1"
	c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
	c.Name, c.Op, c.Value = logger, kmsg.IncrementalAlterConfigOpSet, kmsg.StringPtr(level)
	res.Configs = append(res.Configs, c)
	req.Resources = append(req.Resources, res)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("kafka4test: log level of %s: %w", logger, err)
	}
	for _, r := range resp.Resources {
		if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
			return fmt.Errorf("kafka4test: log level of %s: %w", logger, err)
		}
	}
	return nil
}

// RequestLog returns the broker's request log lines (see SetLogLevel) of requests whose header
// names clientID.
func (b *Broker) RequestLog(clientID string) ([]string, error) {
	data, err := os.ReadFile(filepath.Join(b.Dir, "server.log"))
	if err != nil {
		return nil, fmt.Errorf("kafka4test: %w", err)
	}
	needle := `"clientId":"` + clientID + `"`
	var out []string
	for line := range strings.Lines(string(data)) {
		if strings.Contains(line, "Completed request:") && strings.Contains(line, needle) {
			out = append(out, strings.TrimSpace(line))
		}
	}
	return out, nil
}
