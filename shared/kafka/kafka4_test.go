package kafka

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fcsync/fcsync/shared/kafka/kafka4test"
	"github.com/fcsync/fcsync/shared/record"
)

// Tests against a real Apache Kafka 4 broker (kafka4test), one per test binary. kfake accepts
// protocol versions that Kafka 4 removed; these do not.

func TestMain(m *testing.M) {
	code := m.Run()
	kafka4test.StopShared()
	os.Exit(code)
}

var kafka4Topics atomic.Int64

// kafka4Topic creates a topic of its own for a test on the shared broker.
func kafka4Topic(t *testing.T, b *kafka4test.Broker, partitions int32) string {
	t.Helper()
	name := fmt.Sprintf("k4-%s-%d", strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()), kafka4Topics.Add(1))
	if len(name) > 200 {
		name = name[:200]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b.CreateTopic(ctx, name, partitions, nil); err != nil {
		t.Fatal(err)
	}
	return name
}

// dialKafka4 dials topic with the kafkaConfig properties props, as the batch handler does.
func dialKafka4(t *testing.T, topic string, props map[string]string) *Client {
	t.Helper()
	cfg, err := ConfigFromProperties(nil, topic, props)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.UnknownProperties) > 0 {
		t.Fatalf("properties not understood: %v", cfg.UnknownProperties)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := Dial(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

// richRecords are n records of partition p with every field set in turn: null and empty keys
// and values, headers (one with a null value), and timestamps a second apart from base.
func richRecords(p int32, n int, base time.Time) []kafka4test.Record {
	var recs []kafka4test.Record
	for i := range n {
		r := kafka4test.Record{
			Partition: p,
			Timestamp: base.Add(time.Duration(i) * time.Second),
			Key:       fmt.Appendf(nil, "key-%d-%d", p, i),
			Value:     fmt.Appendf(nil, `{"p":%d,"i":%d,"pad":%q}`, p, i, strings.Repeat("x", i%50)),
		}
		switch i % 7 {
		case 1:
			r.Key = nil
		case 2:
			r.Key = []byte{}
		case 3:
			r.Value = nil
		case 4:
			r.Value = []byte{}
		}
		if i%3 == 0 {
			r.Headers = []kafka4test.Header{{Key: "trace", Value: fmt.Appendf(nil, "t-%d", i)}, {Key: "empty", Value: []byte{}}, {Key: "null", Value: nil}}
		}
		recs = append(recs, r)
	}
	return recs
}

// sameRecord reports how got differs from want at offset off, or "".
func sameRecord(got record.Record, want kafka4test.Record, off int64) string {
	var diffs []string
	if got.Offset != off {
		diffs = append(diffs, fmt.Sprintf("offset %d, want %d", got.Offset, off))
	}
	if got.Partition != want.Partition {
		diffs = append(diffs, fmt.Sprintf("partition %d, want %d", got.Partition, want.Partition))
	}
	if !got.Timestamp.Equal(want.Timestamp) {
		diffs = append(diffs, fmt.Sprintf("timestamp %s, want %s", got.Timestamp, want.Timestamp))
	}
	if !bytes.Equal(got.Key, want.Key) || (got.Key == nil) != (want.Key == nil) {
		diffs = append(diffs, fmt.Sprintf("key %q (nil %v), want %q (nil %v)", got.Key, got.Key == nil, want.Key, want.Key == nil))
	}
	if !bytes.Equal(got.Value, want.Value) || (got.Value == nil) != (want.Value == nil) {
		diffs = append(diffs, fmt.Sprintf("value %q (nil %v), want %q (nil %v)", got.Value, got.Value == nil, want.Value, want.Value == nil))
	}
	if len(got.Headers) != len(want.Headers) {
		diffs = append(diffs, fmt.Sprintf("%d headers, want %d", len(got.Headers), len(want.Headers)))
	} else {
		for i, h := range want.Headers {
			g := got.Headers[i]
			if g.Key != h.Key || !bytes.Equal(g.Value, h.Value) || (g.Value == nil) != (h.Value == nil) {
				diffs = append(diffs, fmt.Sprintf("header %d %q=%q, want %q=%q", i, g.Key, g.Value, h.Key, h.Value))
			}
		}
	}
	return strings.Join(diffs, "; ")
}

// checkRange fails unless col holds exactly want[from:to] of partition p at offsets from..to-1.
func checkRange(t *testing.T, col *collector, p int32, want []kafka4test.Record, from, to int64) {
	t.Helper()
	if got := col.offsets(p); !slices.Equal(got, span(from, to)) {
		t.Fatalf("partition %d offsets %v, want %d..%d", p, got, from, to-1)
	}
	for i, r := range col.recs[p] {
		off := from + int64(i)
		if d := sameRecord(r, want[off], off); d != "" {
			t.Errorf("partition %d offset %d: %s", p, off, d)
		}
	}
}

func TestKafka4ReadsExactRangesOverEverySecurityProtocol(t *testing.T) {
	b := kafka4test.Shared(t)
	topic := kafka4Topic(t, b, 2)
	base := time.UnixMilli(1_717_200_000_000)
	want := map[int32][]kafka4test.Record{0: richRecords(0, 60, base), 1: richRecords(1, 40, base.Add(time.Hour))}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := b.JavaProduce(ctx, topic, "none", append(slices.Clone(want[0]), want[1]...)); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		l    kafka4test.Listener
		mech string
	}{
		{"plaintext", kafka4test.Plaintext, ""},
		{"sasl plain", kafka4test.SASLPlaintext, MechanismPlain},
		{"sasl scram-sha-256", kafka4test.SASLPlaintext, MechanismSCRAMSHA256},
		{"sasl scram-sha-512", kafka4test.SASLPlaintext, MechanismSCRAMSHA512},
		{"ssl", kafka4test.SSL, ""},
		{"sasl_ssl scram-sha-256", kafka4test.SASLSSL, MechanismSCRAMSHA256},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cl := dialKafka4(t, topic, b.Props(tc.l, tc.mech))
			parts, err := cl.Partitions(ctx)
			if err != nil || !slices.Equal(parts, []int32{0, 1}) {
				t.Fatalf("partitions %v, %v", parts, err)
			}
			first, err := cl.Earliest(ctx, parts)
			if err != nil || first[0] != 0 || first[1] != 0 {
				t.Fatalf("earliest %v, %v", first, err)
			}
			last, err := cl.Latest(ctx, parts)
			if err != nil || last[0] != 60 || last[1] != 40 {
				t.Fatalf("latest %v, %v; want 60 and 40", last, err)
			}
			at, err := cl.OffsetsForTime(ctx, parts, base.Add(25*time.Second))
			if err != nil || at[0] != 25 || at[1] != 0 {
				t.Fatalf("offsets for time %v, %v; want 25 and 0", at, err)
			}
			// Two windows handing off by offset: [5, 33) and [33, 60) of partition 0, and
			// all of partition 1 in the second.
			var w1, w2 collector
			st, err := cl.Read(ctx, map[int32]Range{0: {5, 33}, 1: {0, 0}}, w1.fn, WithBatchSize(8))
			if err != nil || st.Next[0] != 33 || st.Records != 28 {
				t.Fatalf("window 1: %+v, %v", st, err)
			}
			st, err = cl.Read(ctx, map[int32]Range{0: {st.Next[0], 60}, 1: {0, 40}}, w2.fn)
			if err != nil || st.Next[0] != 60 || st.Next[1] != 40 || st.Records != 67 {
				t.Fatalf("window 2: %+v, %v", st, err)
			}
			checkRange(t, &w1, 0, want[0], 5, 33)
			checkRange(t, &w2, 0, want[0], 33, 60)
			checkRange(t, &w2, 1, want[1], 0, 40)
			if w1.max > 8 {
				t.Errorf("window 1 delivered %d records in one call, want at most 8", w1.max)
			}

			group := "g-" + strings.ReplaceAll(tc.name, " ", "-")
			if err := cl.Commit(ctx, group, map[int32]int64{0: 60, 1: 40}); err != nil {
				t.Fatal(err)
			}
			got, err := cl.Committed(ctx, group, parts)
			if err != nil || got[0] != 60 || got[1] != 40 {
				t.Fatalf("committed %v, %v", got, err)
			}
			seen, err := b.Committed(ctx, group, topic)
			if err != nil || seen[0] != 60 || seen[1] != 40 {
				t.Fatalf("the broker's group coordinator has %v, %v; want 60 and 40", seen, err)
			}
		})
	}
}

func TestKafka4RefusesAWrongPasswordWithoutShowingIt(t *testing.T) {
	b := kafka4test.Shared(t)
	topic := kafka4Topic(t, b, 1)
	for _, mech := range []string{MechanismPlain, MechanismSCRAMSHA256, MechanismSCRAMSHA512} {
		props := b.Props(kafka4test.SASLPlaintext, mech)
		props["sasl.jaas.config"] = strings.Replace(props["sasl.jaas.config"], kafka4test.Password, "not-the-password-42", 1)
		cfg, err := ConfigFromProperties(nil, topic, props)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err = Dial(ctx, cfg)
		cancel()
		if err == nil {
			t.Fatalf("%s: dial with a wrong password succeeded", mech)
		}
		if strings.Contains(err.Error(), "not-the-password-42") {
			t.Errorf("%s: the error shows the password: %v", mech, err)
		}
		if !strings.Contains(err.Error(), "SASL") {
			t.Errorf("%s: %v, want an error that names SASL", mech, err)
		}
	}
}

func TestKafka4ReadsEveryCompressionCodecTheJavaProducerWrites(t *testing.T) {
	b := kafka4test.Shared(t)
	base := time.UnixMilli(1_717_300_000_000)
	codecs := []string{"none", "gzip", "snappy", "lz4", "zstd"}
	want := richRecords(0, 300, base)
	// One topic per codec, written in one JVM.
	var batches []kafka4test.Batch
	for _, codec := range codecs {
		batches = append(batches, kafka4test.Batch{Topic: kafka4Topic(t, b, 1), Compression: codec, Records: want})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	landed, err := b.JavaProduceBatches(ctx, batches)
	if err != nil {
		t.Fatal(err)
	}
	for i, codec := range codecs {
		t.Run(codec, func(t *testing.T) {
			for j, p := range landed[i] {
				if p.Offset != int64(j) {
					t.Fatalf("record %d landed at offset %d", j, p.Offset)
				}
			}
			cl := dialKafka4(t, batches[i].Topic, b.Props(kafka4test.Plaintext, ""))
			if n, compressed := rawBatches(t, cl, 0); compressed != (codec != "none") {
				t.Fatalf("%d batches, compressed %v: the Java producer did not write %s batches", n, compressed, codec)
			}
			// A range starting and ending inside record batches.
			var col collector
			if _, err := cl.Read(ctx, map[int32]Range{0: {37, 251}}, col.fn); err != nil {
				t.Fatal(err)
			}
			checkRange(t, &col, 0, want, 37, 251)
		})
	}
}

func TestKafka4ReadsRecordsLargerThanTheFetchSize(t *testing.T) {
	b := kafka4test.Shared(t)
	topic := kafka4Topic(t, b, 1)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var recs []*kgo.Record
	for i := range 12 {
		recs = append(recs, &kgo.Record{Key: fmt.Appendf(nil, "big-%d", i), Value: bytes.Repeat([]byte{byte('a' + i)}, 64<<10)})
	}
	if err := b.Produce(ctx, topic, recs, kgo.ProducerBatchMaxBytes(1<<20)); err != nil {
		t.Fatal(err)
	}
	props := b.Props(kafka4test.Plaintext, "")
	props["max.partition.fetch.bytes"] = "4096"
	props["fetch.max.bytes"] = "8192"
	props["max.poll.records"] = "5"
	cl := dialKafka4(t, topic, props)
	if cl.cfg.FetchBytes != 4096 || cl.cfg.BatchRecords != 5 {
		t.Fatalf("fetch bytes %d, batch records %d; want 4096 and 5", cl.cfg.FetchBytes, cl.cfg.BatchRecords)
	}
	var col collector
	st, err := cl.Read(ctx, map[int32]Range{0: {0, 12}}, col.fn)
	if err != nil || st.Records != 12 {
		t.Fatalf("read %+v, %v", st, err)
	}
	for i, r := range col.recs[0] {
		if r.Offset != int64(i) || len(r.Value) != 64<<10 || r.Value[0] != byte('a'+i) {
			t.Fatalf("offset %d: %d bytes of %q", r.Offset, len(r.Value), r.Value[:1])
		}
	}
	if col.max > 5 {
		t.Errorf("a callback got %d records, want at most max.poll.records 5", col.max)
	}
}

// requestLine is the part of a broker request log line the tests read.
type requestLine struct {
	Header struct {
		APIKey  int16  `json:"requestApiKey"`
		Version int16  `json:"requestApiVersion"`
		Name    string `json:"requestApiKeyName"`
	} `json:"requestHeader"`
	Request struct {
		MaxBytes int32 `json:"maxBytes"`
		Topics   []struct {
			Partitions []struct {
				PartitionMaxBytes int32 `json:"partitionMaxBytes"`
			} `json:"partitions"`
		} `json:"topics"`
	} `json:"request"`
}

func TestKafka4BrokerSeesTheClientIDAndFetchSizesOfKafkaConfig(t *testing.T) {
	b := kafka4test.Shared(t)
	topic := kafka4Topic(t, b, 1)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := b.JavaProduce(ctx, topic, "lz4", richRecords(0, 50, time.UnixMilli(1_717_600_000_000))); err != nil {
		t.Fatal(err)
	}
	if err := b.SetLogLevel(ctx, "kafka.request.logger", "DEBUG"); err != nil {
		t.Fatal(err)
	}
	clientID := fmt.Sprintf("fcsync-k4-props-%d", time.Now().UnixNano())
	props := b.Props(kafka4test.SASLPlaintext, MechanismSCRAMSHA512)
	props["client.id"] = clientID
	props["max.partition.fetch.bytes"] = "65536"
	props["fetch.max.bytes"] = "131072"
	props["request.timeout.ms"] = "20000"
	cl := dialKafka4(t, topic, props)
	var col collector
	_, err := cl.Read(ctx, map[int32]Range{0: {0, 50}}, col.fn)
	if lerr := b.SetLogLevel(ctx, "kafka.request.logger", "INFO"); lerr != nil {
		t.Error(lerr)
	}
	if err != nil {
		t.Fatal(err)
	}
	lines, err := b.RequestLog(clientID)
	if err != nil {
		t.Fatal(err)
	}
	versions := map[string]int16{}
	fetches := 0
	for _, line := range lines {
		var rl requestLine
		// The JSON follows "Completed request:"; the logger's name follows it.
		if err := json.NewDecoder(strings.NewReader(line[strings.Index(line, "{"):])).Decode(&rl); err != nil {
			t.Fatalf("request log line %q: %v", line, err)
		}
		versions[rl.Header.Name] = rl.Header.Version
		if rl.Header.Name != "FETCH" {
			continue
		}
		fetches++
		// One partition per fetch: its bound decides, and the request-wide one is the Java
		// consumer's default fetch.max.bytes (see fetchConn.send).
		if rl.Request.MaxBytes != 52428800 || len(rl.Request.Topics) != 1 || rl.Request.Topics[0].Partitions[0].PartitionMaxBytes != 65536 {
			t.Errorf("fetch asks for %d bytes, %+v per partition; want 52428800, and 65536 (the smaller of the two fetch properties) per partition", rl.Request.MaxBytes, rl.Request.Topics)
		}
	}
	if fetches == 0 {
		t.Fatalf("the broker logged no fetch from client.id %s among %d requests", clientID, len(lines))
	}
	// The API versions fcsync's reader uses, as the broker saw them (the broker does not log the
	// requests of a connection's set-up: API versions and the SASL exchange).
	t.Logf("requests of client.id %s at the broker: %v", clientID, versions)
	for _, api := range []string{"METADATA", "FETCH"} {
		if _, ok := versions[api]; !ok {
			t.Errorf("the broker logged no %s request of client.id %s (saw %v)", api, clientID, versions)
		}
	}
}

func TestKafka4LogAppendTimeTopicsGiveTheBrokersTimestamps(t *testing.T) {
	b := kafka4test.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	topic := fmt.Sprintf("k4-log-append-time-%d", kafka4Topics.Add(1))
	if err := b.CreateTopic(ctx, topic, 1, map[string]string{"message.timestamp.type": "LogAppendTime"}); err != nil {
		t.Fatal(err)
	}
	before := time.Now().Add(-time.Second).Truncate(time.Millisecond)
	// Stamped in 2024 by the producer, in compressed and uncompressed batches.
	if _, err := b.JavaProduce(ctx, topic, "none", richRecords(0, 20, time.UnixMilli(1_717_700_000_000))); err != nil {
		t.Fatal(err)
	}
	if _, err := b.JavaProduce(ctx, topic, "zstd", richRecords(0, 20, time.UnixMilli(1_717_700_000_000))); err != nil {
		t.Fatal(err)
	}
	after := time.Now().Add(time.Second)
	cl := dialKafka4(t, topic, b.Props(kafka4test.Plaintext, ""))
	var col collector
	if _, err := cl.Read(ctx, map[int32]Range{0: {0, 40}}, col.fn); err != nil {
		t.Fatal(err)
	}
	// franz-go as the reference reader of the same records.
	ref, err := b.Client(kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}))
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	var want []*kgo.Record
	for len(want) < 40 {
		fs := ref.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatal(err)
		}
		want = append(want, fs.Records()...)
	}
	if len(col.recs[0]) != 40 {
		t.Fatalf("read %d records, want 40", len(col.recs[0]))
	}
	for i, r := range col.recs[0] {
		if r.Timestamp.Before(before) || r.Timestamp.After(after) {
			t.Errorf("offset %d: timestamp %s, want the broker's append time in [%s, %s]", r.Offset, r.Timestamp, before, after)
		}
		if !r.Timestamp.Equal(want[i].Timestamp) {
			t.Errorf("offset %d: timestamp %s, franz-go reads %s", r.Offset, r.Timestamp, want[i].Timestamp)
		}
	}
	// Offsets by time find the append times, not the producer's.
	offs, err := cl.OffsetsForTime(ctx, []int32{0}, time.UnixMilli(1_717_700_000_000))
	if err != nil || offs[0] != 0 {
		t.Fatalf("offsets for the producer's time: %v, %v; want 0 (every append time is later)", offs, err)
	}
	offs, err = cl.OffsetsForTime(ctx, []int32{0}, after)
	if err != nil || offs[0] != 40 {
		t.Fatalf("offsets for a time after the appends: %v, %v; want the high watermark 40", offs, err)
	}
}

func TestKafka4ReadsCompactedTopicsWithTheCleanersGaps(t *testing.T) {
	b := kafka4test.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	topic := fmt.Sprintf("k4-compacted-%d", kafka4Topics.Add(1))
	// Records stamped in 2024 make every produce roll a new segment (segment.ms), so the
	// segments before the last one are cleanable at once.
	err := b.CreateTopic(ctx, topic, 1, map[string]string{
		"cleanup.policy": "compact", "segment.ms": "100", "min.cleanable.dirty.ratio": "0.001",
		"min.compaction.lag.ms": "0", "delete.retention.ms": "86400000",
	})
	if err != nil {
		t.Fatal(err)
	}
	base := time.UnixMilli(1_717_800_000_000)
	var recs []kafka4test.Record
	for i := range 60 {
		k := i % 10
		r := kafka4test.Record{Partition: 0, Timestamp: base.Add(time.Duration(i) * time.Second),
			Key: fmt.Appendf(nil, "key-%d", k), Value: fmt.Appendf(nil, "v%d-of-key-%d", i/10, k)}
		if k == 3 && i >= 50 {
			r.Value = nil // a tombstone, kept for delete.retention.ms
		}
		recs = append(recs, r)
	}
	for _, part := range [][]kafka4test.Record{recs[:25], recs[25:50], recs[50:]} {
		var krecs []*kgo.Record
		for _, r := range part {
			krecs = append(krecs, &kgo.Record{Partition: r.Partition, Timestamp: r.Timestamp, Key: r.Key, Value: r.Value})
		}
		if err := b.Produce(ctx, topic, krecs, kgo.ProducerBatchCompression(kgo.GzipCompression())); err != nil {
			t.Fatal(err)
		}
	}
	// One more record closes the last segment of recs.
	if err := b.Produce(ctx, topic, []*kgo.Record{{Timestamp: base.Add(time.Hour), Key: []byte("end"), Value: []byte("end")}}); err != nil {
		t.Fatal(err)
	}
	cl := dialKafka4(t, topic, b.Props(kafka4test.Plaintext, ""))
	// The latest value of each of the 10 keys survives, and the end marker.
	var col collector
	for {
		col = collector{}
		if _, err := cl.Read(ctx, map[int32]Range{0: {0, 61}}, col.fn); err != nil {
			t.Fatal(err)
		}
		if len(col.recs[0]) == 11 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the cleaner left %d records (want 11): %v", len(col.recs[0]), col.offsets(0))
		}
		time.Sleep(300 * time.Millisecond)
	}
	if got, want := col.offsets(0), []int64{50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60}; !slices.Equal(got, want) {
		t.Fatalf("offsets after compaction %v, want %v", got, want)
	}
	for _, r := range col.recs[0][:10] {
		if d := sameRecord(r, recs[r.Offset], r.Offset); d != "" {
			t.Errorf("offset %d: %s", r.Offset, d)
		}
	}
	// Windows whose bounds fall in the cleaned-away offsets hand off without a gap or a repeat.
	var w1, w2 collector
	st, err := cl.Read(ctx, map[int32]Range{0: {7, 53}}, w1.fn)
	if err != nil || st.Next[0] != 53 {
		t.Fatalf("window [7, 53): %+v, %v", st, err)
	}
	st, err = cl.Read(ctx, map[int32]Range{0: {53, 61}}, w2.fn)
	if err != nil || st.Next[0] != 61 {
		t.Fatalf("window [53, 61): %+v, %v", st, err)
	}
	if got := append(w1.offsets(0), w2.offsets(0)...); !slices.Equal(got, col.offsets(0)) {
		t.Errorf("two windows read %v + %v, one read %v", w1.offsets(0), w2.offsets(0), col.offsets(0))
	}
	// A range wholly inside cleaned-away offsets is read to its end with nothing delivered.
	var none collector
	st, err = cl.Read(ctx, map[int32]Range{0: {10, 40}}, none.fn, WithIdleTimeout(5*time.Second))
	if err != nil || st.Next[0] != 40 || st.Records != 0 {
		t.Fatalf("window [10, 40) of cleaned offsets: %+v, %v; want nothing delivered and Next 40", st, err)
	}
}

func TestKafka4ReadBelowTheLogStartSaysOffsetOutOfRange(t *testing.T) {
	b := kafka4test.Shared(t)
	topic := kafka4Topic(t, b, 1)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var recs []*kgo.Record
	for i := range 30 {
		recs = append(recs, &kgo.Record{Key: fmt.Appendf(nil, "k%d", i), Value: fmt.Appendf(nil, "v%d", i)})
	}
	if err := b.Produce(ctx, topic, recs); err != nil {
		t.Fatal(err)
	}
	// Retention, as DeleteRecords (kafka-delete-records) applies it: the log starts at 12.
	adm, err := b.Client()
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	req := kmsg.NewPtrDeleteRecordsRequest()
	rt := kmsg.NewDeleteRecordsRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewDeleteRecordsRequestTopicPartition()
	rp.Partition, rp.Offset = 0, 12
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	req.TimeoutMillis = 10000
	res, err := req.RequestWith(ctx, adm)
	if err != nil {
		t.Fatal(err)
	}
	if code := res.Topics[0].Partitions[0].ErrorCode; code != 0 {
		t.Fatalf("delete records: error code %d", code)
	}
	cl := dialKafka4(t, topic, b.Props(kafka4test.Plaintext, ""))
	first, err := cl.Earliest(ctx, []int32{0})
	if err != nil || first[0] != 12 {
		t.Fatalf("earliest %v, %v; want the new log start 12", first, err)
	}
	var col collector
	st, err := cl.Read(ctx, map[int32]Range{0: {5, 20}}, col.fn)
	if err == nil || !strings.Contains(err.Error(), "offset out of range") {
		t.Fatalf("read [5, 20) below the log start: %+v, %v; want an offset-out-of-range error", st, err)
	}
	if st.Records != 0 || st.Next[0] != 5 {
		t.Errorf("read below the log start delivered %d records, next %d; want none and 5", st.Records, st.Next[0])
	}
	col = collector{}
	if _, err := cl.Read(ctx, map[int32]Range{0: {12, 30}}, col.fn); err != nil {
		t.Fatal(err)
	}
	if got := col.offsets(0); !slices.Equal(got, span(12, 30)) {
		t.Fatalf("read from the log start: offsets %v, want 12..29", got)
	}
}
