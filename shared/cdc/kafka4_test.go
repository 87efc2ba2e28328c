package cdc

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fcsync/fcsync/shared/kafka"
	"github.com/fcsync/fcsync/shared/kafka/kafka4test"
	"github.com/fcsync/fcsync/shared/record"
)

// The cdc producer against a real Apache Kafka 4 broker (kafka4test; TestMain stops it).

func kafka4Producer(t *testing.T, b *kafka4test.Broker, compression string) *producer {
	t.Helper()
	cfg, err := kafka.ConfigFromProperties([]string{b.Addr()}, "unused", nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := newProducer(cfg, compression, 0, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.close)
	return p
}

// consumeAll reads every record of topic from the start with franz-go until n have arrived.
func consumeAll(t *testing.T, b *kafka4test.Broker, topic string, n int) []*kgo.Record {
	t.Helper()
	cl, err := b.Client(kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("consume %s after %d of %d records: %v", topic, len(out), n, err)
		}
		out = append(out, fs.Records()...)
	}
	return out
}

func TestKafka4ProducerCreatesTheTopicAndPartitionsKeysAsTheJavaClientDoes(t *testing.T) {
	b := kafka4test.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const topic, javaTopic, parts = "k4-cdc-keys", "k4-cdc-keys-java", 6
	p := kafka4Producer(t, b, "")
	n, err := p.ensure(ctx, topic, true, parts, 1, "writer.createTopic")
	if err != nil || n != parts {
		t.Fatalf("ensure: %d partitions, %v; want the topic created with %d", n, err, parts)
	}
	if n, err := p.ensure(ctx, topic, true, 3, 1, "writer.createTopic"); err != nil || n != parts {
		t.Fatalf("ensure an existing topic: %d, %v; want its %d partitions kept", n, err, parts)
	}
	if _, err := p.ensure(ctx, "k4-cdc-missing", false, 3, 1, "writer.createTopic"); err == nil || !strings.Contains(err.Error(), "createTopic is false") {
		t.Fatalf("ensure a missing topic without createTopic: %v", err)
	}
	x := &run{parts: map[string][]int{topic: {0, 1, 2, 3, 4, 5}}}
	ts := time.UnixMilli(1_717_400_000_000)
	var recs []record.Record
	var java []kafka4test.Record
	for i := range 120 {
		key := fmt.Appendf(nil, `{"id":%d}`, i*7919)
		recs = append(recs, record.Record{Topic: topic, Partition: x.partition(topic, key), Key: key,
			Value: fmt.Appendf(nil, `{"op":"c","id":%d}`, i), Timestamp: ts.Add(time.Duration(i) * time.Millisecond),
			Headers: []record.Header{{Key: "table", Value: []byte("shop.orders")}}})
		java = append(java, kafka4test.Record{Partition: -1, Key: key, Value: []byte("x")})
	}
	if err := b.CreateTopic(ctx, javaTopic, parts, nil); err != nil {
		t.Fatal(err)
	}
	landed, err := b.JavaProduce(ctx, javaTopic, "none", java)
	if err != nil {
		t.Fatal(err)
	}
	used := map[int32]bool{}
	for i, r := range recs {
		used[r.Partition] = true
		if r.Partition != landed[i].Partition {
			t.Errorf("key %s: cdc picks partition %d, the Java producer %d", r.Key, r.Partition, landed[i].Partition)
		}
	}
	if len(used) != parts {
		t.Errorf("120 keys used partitions %v, want all %d", used, parts)
	}

	if err := p.produce(ctx, recs); err != nil {
		t.Fatal(err)
	}
	got := consumeAll(t, b, topic, len(recs))
	byKey := map[string]*kgo.Record{}
	lastOffset := map[int32]int64{}
	for _, r := range got {
		byKey[string(r.Key)] = r
		if off, ok := lastOffset[r.Partition]; ok && r.Offset <= off {
			t.Errorf("partition %d: offset %d after %d", r.Partition, r.Offset, off)
		}
		lastOffset[r.Partition] = r.Offset
	}
	for _, want := range recs {
		r := byKey[string(want.Key)]
		switch {
		case r == nil:
			t.Errorf("key %s never arrived", want.Key)
		case r.Partition != want.Partition || string(r.Value) != string(want.Value) || !r.Timestamp.Equal(want.Timestamp) ||
			len(r.Headers) != 1 || r.Headers[0].Key != "table" || string(r.Headers[0].Value) != "shop.orders":
			t.Errorf("key %s arrived as partition %d value %s ts %s headers %v; want partition %d value %s ts %s",
				want.Key, r.Partition, r.Value, r.Timestamp, r.Headers, want.Partition, want.Value, want.Timestamp)
		}
	}
	// Records of one partition keep the order given.
	for part := range int32(parts) {
		var gotOrder, wantOrder []string
		for _, r := range got {
			if r.Partition == part {
				gotOrder = append(gotOrder, string(r.Value))
			}
		}
		for _, r := range recs {
			if r.Partition == part {
				wantOrder = append(wantOrder, string(r.Value))
			}
		}
		if !slices.Equal(gotOrder, wantOrder) {
			t.Errorf("partition %d order %v, want %v", part, gotOrder, wantOrder)
		}
	}
}

func TestKafka4JavaConsumerReadsEveryCodecTheProducerWrites(t *testing.T) {
	b := kafka4test.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const topic = "k4-cdc-codecs"
	codecs := []string{"none", "gzip", "snappy", "lz4", "zstd"}
	if err := b.CreateTopic(ctx, topic, int32(len(codecs)), nil); err != nil {
		t.Fatal(err)
	}
	var want []string
	for i, codec := range codecs {
		p := kafka4Producer(t, b, codec)
		var recs []record.Record
		for j := range 50 {
			key := fmt.Sprintf("%s-%02d", codec, j)
			value := fmt.Sprintf(`{"codec":%q,"row":%d,"text":"%s"}`, codec, j, strings.Repeat("abc", j))
			recs = append(recs, record.Record{Topic: topic, Partition: int32(i), Key: []byte(key), Value: []byte(value), Timestamp: time.UnixMilli(1_717_500_000_000 + int64(j))})
			want = append(want, fmt.Sprintf("%d|%d|%s|%s", i, j, key, value))
		}
		if err := p.produce(ctx, recs); err != nil {
			t.Fatalf("%s: %v", codec, err)
		}
	}
	out, err := b.RunJava(ctx, "org.apache.kafka.tools.consumer.ConsoleConsumer",
		"--bootstrap-server", b.Addr(), "--topic", topic, "--from-beginning", "--max-messages", fmt.Sprint(len(want)),
		"--timeout-ms", "30000",
		"--property", "print.partition=true", "--property", "print.offset=true",
		"--property", "print.key=true", "--property", "print.value=true",
		"--property", "key.separator=|", "--property", "line.separator=\n")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for line := range strings.Lines(string(out)) {
		// Partition:P|Offset:O|key|value: the console consumer's format, key.separator between fields.
		fields := strings.SplitN(strings.TrimSuffix(line, "\n"), "|", 4)
		if len(fields) != 4 {
			t.Fatalf("console consumer line %q", line)
		}
		got = append(got, strings.TrimPrefix(fields[0], "Partition:")+"|"+strings.TrimPrefix(fields[1], "Offset:")+"|"+fields[2]+"|"+fields[3])
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("the Java consumer read %d records:\n%s\nwant %d:\n%s", len(got), strings.Join(got, "\n"), len(want), strings.Join(want, "\n"))
	}
}
