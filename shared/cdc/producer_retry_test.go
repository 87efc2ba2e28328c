package cdc

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fcsync/fcsync/shared/kafka"
	"github.com/fcsync/fcsync/shared/record"
)

// A real Kafka 4 broker answers the first produce to a new topic with NOT_LEADER_OR_FOLLOWER
// when the producer's metadata is older than the leader election; the producer retries. The
// retry once sent kafka-go records whose key and value readers the first attempt had drained,
// so the broker stored every record of the batch with an empty key and value.
func TestProduceRetriedAfterNotLeaderWritesTheSameKeysAndValues(t *testing.T) {
	for _, codec := range []string{"none", "gzip", "zstd"} {
		t.Run(codec, func(t *testing.T) {
			c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "retry"))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			refused := 0
			c.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
				pr := req.(*kmsg.ProduceRequest)
				res := pr.ResponseKind().(*kmsg.ProduceResponse)
				for _, rt := range pr.Topics {
					st := kmsg.NewProduceResponseTopic()
					st.Topic = rt.Topic
					for _, rp := range rt.Partitions {
						sp := kmsg.NewProduceResponseTopicPartition()
						sp.Partition = rp.Partition
						sp.ErrorCode = 6 // NOT_LEADER_OR_FOLLOWER, retriable
						st.Partitions = append(st.Partitions, sp)
					}
					res.Topics = append(res.Topics, st)
				}
				refused++
				return res, nil, true // handled once: the next produce reaches the broker
			})
			cfg, err := kafka.ConfigFromProperties(c.ListenAddrs(), "retry", nil)
			if err != nil {
				t.Fatal(err)
			}
			p, err := newProducer(cfg, codec, 0, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			defer p.close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var recs []record.Record
			for i := range 5 {
				recs = append(recs, record.Record{Topic: "retry", Key: fmt.Appendf(nil, "key-%d", i), Value: fmt.Appendf(nil, "value-%d", i),
					Headers: []record.Header{{Key: "h", Value: []byte("v")}}})
			}
			if err := p.produce(ctx, recs); err != nil {
				t.Fatal(err)
			}
			if refused != 1 {
				t.Fatalf("the broker refused %d produce requests, want 1", refused)
			}
			cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics("retry"),
				kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			var got []*kgo.Record
			for len(got) < len(recs) {
				fs := cl.PollFetches(ctx)
				if err := fs.Err0(); err != nil {
					t.Fatal(err)
				}
				got = append(got, fs.Records()...)
			}
			for i, r := range got {
				if string(r.Key) != string(recs[i].Key) || string(r.Value) != string(recs[i].Value) || len(r.Headers) != 1 {
					t.Errorf("offset %d: key %q value %q headers %v; want %q %q", r.Offset, r.Key, r.Value, r.Headers, recs[i].Key, recs[i].Value)
				}
			}
		})
	}
}
