package kafka

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fcsync/fcsync/shared/record"
)

const testTopic = "t"

func newCluster(t testing.TB, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(3, testTopic)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func produce(t testing.TB, c *kfake.Cluster, recs []*kgo.Record, opts ...kgo.Opt) {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(c.ListenAddrs()...),
		kgo.DefaultProduceTopic(testTopic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// valueRecords makes n records for partition p with values "p<p>-<i>".
func valueRecords(p int32, from, n int) []*kgo.Record {
	var recs []*kgo.Record
	for i := from; i < from+n; i++ {
		recs = append(recs, &kgo.Record{Partition: p, Key: fmt.Appendf(nil, "k%d", i), Value: fmt.Appendf(nil, "p%d-%d", p, i)})
	}
	return recs
}

func dial(t testing.TB, c *kfake.Cluster, mod ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{Brokers: c.ListenAddrs(), Topic: testTopic}
	for _, m := range mod {
		m(&cfg)
	}
	cl, err := Dial(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

// collector keeps copies of what Read delivers, per partition.
type collector struct {
	mu    sync.Mutex
	recs  map[int32][]record.Record
	calls int
	max   int
}

func (col *collector) fn(p int32, batch []record.Record) error {
	col.mu.Lock()
	defer col.mu.Unlock()
	if col.recs == nil {
		col.recs = map[int32][]record.Record{}
	}
	col.recs[p] = append(col.recs[p], batch...)
	col.calls++
	col.max = max(col.max, len(batch))
	return nil
}

func (col *collector) offsets(p int32) []int64 {
	var out []int64
	for _, r := range col.recs[p] {
		out = append(out, r.Offset)
	}
	return out
}

func span(a, b int64) []int64 {
	var out []int64
	for i := a; i < b; i++ {
		out = append(out, i)
	}
	return out
}

func TestReadDeliversExactlyTheRangeInOffsetOrder(t *testing.T) {
	c := newCluster(t)
	produce(t, c, slices.Concat(valueRecords(0, 0, 20), valueRecords(1, 0, 5), valueRecords(2, 0, 3)))
	cl := dial(t, c)
	tests := []struct {
		name   string
		ranges map[int32]Range
	}{
		{"whole partitions", map[int32]Range{0: {0, 20}, 1: {0, 5}, 2: {0, 3}}},
		{"middle of a partition", map[int32]Range{0: {3, 17}}},
		{"empty range reads nothing", map[int32]Range{0: {7, 7}, 1: {2, 2}}},
		{"one record", map[int32]Range{2: {2, 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var col collector
			st, err := cl.Read(context.Background(), tt.ranges, col.fn, WithBatchSize(4))
			if err != nil {
				t.Fatal(err)
			}
			var total int64
			for p, r := range tt.ranges {
				if got, want := col.offsets(p), span(r.Start, r.End); !slices.Equal(got, want) {
					t.Errorf("partition %d offsets = %v, want %v", p, got, want)
				}
				for _, rec := range col.recs[p] {
					if want := fmt.Sprintf("p%d-%d", p, rec.Offset); string(rec.Value) != want || rec.Topic != testTopic || rec.Partition != p {
						t.Errorf("record %s value %q, want %q", rec.Where(), rec.Value, want)
					}
				}
				if st.Next[p] != r.End || st.PerPartition[p] != r.End-r.Start {
					t.Errorf("partition %d: Next %d PerPartition %d, want %d and %d", p, st.Next[p], st.PerPartition[p], r.End, r.End-r.Start)
				}
				total += r.End - r.Start
			}
			if st.Records != total {
				t.Errorf("Records = %d, want %d", st.Records, total)
			}
			if col.max > 4 {
				t.Errorf("a callback got %d records, batch size is 4", col.max)
			}
		})
	}
}

func TestReadBeyondHighWatermarkStopsAfterIdleTimeout(t *testing.T) {
	c := newCluster(t)
	produce(t, c, valueRecords(0, 0, 5))
	cl := dial(t, c)
	var col collector
	st, err := cl.Read(context.Background(), map[int32]Range{0: {2, 50}}, col.fn, WithIdleTimeout(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if got := col.offsets(0); !slices.Equal(got, span(2, 5)) {
		t.Errorf("offsets = %v, want 2..4", got)
	}
	if st.Next[0] != 5 {
		t.Errorf("Next = %d, want the high watermark 5", st.Next[0])
	}
}

func TestReadBeyondHighWatermarkPicksUpRecordsProducedWhileWaiting(t *testing.T) {
	c := newCluster(t)
	produce(t, c, valueRecords(0, 0, 3))
	cl := dial(t, c)
	var once sync.Once
	var col collector
	produced := make(chan error, 1)
	fn := func(p int32, b []record.Record) error {
		once.Do(func() {
			go func() {
				cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.DefaultProduceTopic(testTopic), kgo.RecordPartitioner(kgo.ManualPartitioner()))
				if err == nil {
					err = cl.ProduceSync(context.Background(), valueRecords(0, 3, 4)...).FirstErr()
					cl.Close()
				}
				produced <- err
			}()
		})
		return col.fn(p, b)
	}
	st, err := cl.Read(context.Background(), map[int32]Range{0: {0, 7}}, fn, WithIdleTimeout(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if err := <-produced; err != nil {
		t.Fatal(err)
	}
	if got := col.offsets(0); !slices.Equal(got, span(0, 7)) || st.Next[0] != 7 {
		t.Errorf("offsets = %v, Next %d; want 0..6 and 7", got, st.Next[0])
	}
}

func TestOffsetsForTimeFindsFirstOffsetAtOrAfterTime(t *testing.T) {
	c := newCluster(t)
	ms := func(n int64) time.Time { return time.UnixMilli(1_700_000_000_000 + n) }
	// Partition 0 has out-of-order timestamps; partition 1 is empty.
	var recs []*kgo.Record
	for _, ts := range []int64{1000, 3000, 2000, 4000} {
		recs = append(recs, &kgo.Record{Partition: 0, Value: []byte("v"), Timestamp: ms(ts)})
	}
	produce(t, c, recs)
	cl := dial(t, c)
	tests := []struct {
		at   int64
		want int64
	}{
		{0, 0},
		{1000, 0},
		{1001, 1},
		{2000, 1}, // 3000 at offset 1 comes before 2000 at offset 2
		{3500, 3},
		{4000, 3},
		{4001, 4}, // after the last record: the high watermark
	}
	for _, tt := range tests {
		got, err := cl.OffsetsForTime(context.Background(), []int32{0, 1}, ms(tt.at))
		if err != nil {
			t.Fatal(err)
		}
		if got[0] != tt.want || got[1] != 0 {
			t.Errorf("at +%d ms: offsets %v, want partition 0 at %d and empty partition 1 at 0", tt.at, got, tt.want)
		}
	}
	if _, err := cl.OffsetsForTime(context.Background(), []int32{0}, time.UnixMilli(-5)); err == nil {
		t.Error("a time before 1970 was accepted")
	}
}

func TestEarliestAndLatestFollowRetention(t *testing.T) {
	c := newCluster(t)
	produce(t, c, slices.Concat(valueRecords(0, 0, 6), valueRecords(1, 0, 2)))
	cl := dial(t, c)
	parts, err := cl.Partitions(context.Background())
	if err != nil || !slices.Equal(parts, []int32{0, 1, 2}) {
		t.Fatalf("Partitions = %v, %v", parts, err)
	}
	if err := c.DeleteRecords(testTopic, 0, 4); err != nil {
		t.Fatal(err)
	}
	first, err := cl.Earliest(context.Background(), parts)
	if err != nil {
		t.Fatal(err)
	}
	last, err := cl.Latest(context.Background(), parts)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[int32]int64{0: 4, 1: 0, 2: 0}; !mapsEqual(first, want) {
		t.Errorf("Earliest = %v, want %v", first, want)
	}
	if want := map[int32]int64{0: 6, 1: 2, 2: 0}; !mapsEqual(last, want) {
		t.Errorf("Latest = %v, want %v", last, want)
	}
	// Records deleted before the window read them are an error, not a gap.
	var col collector
	_, err = cl.Read(context.Background(), map[int32]Range{0: {1, 6}}, col.fn)
	if err == nil || !strings.Contains(err.Error(), "partition 0 at offset 1") || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("reading deleted offsets: err = %v", err)
	}
}

func mapsEqual(a, b map[int32]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestCommitWithoutJoiningTheGroupIsWhatCommittedReturns(t *testing.T) {
	c := newCluster(t)
	produce(t, c, valueRecords(0, 0, 10))
	cl := dial(t, c)
	ctx := context.Background()
	got, err := cl.Committed(ctx, "g", []int32{0, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[int32]int64{0: -1, 1: -1, 2: -1}; !mapsEqual(got, want) {
		t.Errorf("before any commit: %v, want %v", got, want)
	}
	if err := cl.Commit(ctx, "g", map[int32]int64{0: 7, 1: 0}); err != nil {
		t.Fatal(err)
	}
	got, err = cl.Committed(ctx, "g", []int32{0, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[int32]int64{0: 7, 1: 0, 2: -1}; !mapsEqual(got, want) {
		t.Errorf("after commit: %v, want %v", got, want)
	}
	if err := cl.Commit(ctx, "g", map[int32]int64{0: -3}); err == nil {
		t.Error("a negative offset was committed")
	}
	if err := cl.Commit(ctx, "", map[int32]int64{0: 1}); err == nil {
		t.Error("an empty group was accepted")
	}
}

func TestHeadersAndNullKeysAndValuesRoundTrip(t *testing.T) {
	c := newCluster(t)
	ts := time.UnixMilli(1_700_000_123_456)
	in := []*kgo.Record{
		{Key: nil, Value: []byte("null key"), Timestamp: ts},
		{Key: []byte{}, Value: []byte("empty key"), Timestamp: ts},
		{Key: []byte("k"), Value: nil, Timestamp: ts}, // tombstone
		{Key: []byte("k"), Value: []byte{}, Timestamp: ts},
		{Key: []byte("h"), Value: []byte("v"), Timestamp: ts, Headers: []kgo.RecordHeader{{Key: "a", Value: []byte("1")}, {Key: "empty", Value: []byte{}}, {Key: "a", Value: []byte("2")}}},
	}
	produce(t, c, in)
	cl := dial(t, c)
	var col collector
	if _, err := cl.Read(context.Background(), map[int32]Range{0: {0, 5}}, col.fn); err != nil {
		t.Fatal(err)
	}
	got := col.recs[0]
	if len(got) != len(in) {
		t.Fatalf("got %d records, want %d", len(got), len(in))
	}
	for i, want := range in {
		g := got[i]
		if (g.Key == nil) != (want.Key == nil) || !bytes.Equal(g.Key, want.Key) {
			t.Errorf("record %d key %#v, want %#v", i, g.Key, want.Key)
		}
		if (g.Value == nil) != (want.Value == nil) || !bytes.Equal(g.Value, want.Value) {
			t.Errorf("record %d value %#v, want %#v", i, g.Value, want.Value)
		}
		if g.TimestampMillis() != ts.UnixMilli() {
			t.Errorf("record %d timestamp %d, want %d", i, g.TimestampMillis(), ts.UnixMilli())
		}
		if len(g.Headers) != len(want.Headers) {
			t.Errorf("record %d headers %v, want %v", i, g.Headers, want.Headers)
			continue
		}
		for j, h := range want.Headers {
			if g.Headers[j].Key != h.Key || !bytes.Equal(g.Headers[j].Value, h.Value) {
				t.Errorf("record %d header %d = %v, want %v", i, j, g.Headers[j], h)
			}
		}
	}
}

func TestReadMiddleOfCompressedBatchDeliversExactlyTheRange(t *testing.T) {
	codecs := map[string]kgo.CompressionCodec{
		"gzip": kgo.GzipCompression(), "snappy": kgo.SnappyCompression(),
		"lz4": kgo.Lz4Compression(), "zstd": kgo.ZstdCompression(),
	}
	for name, codec := range codecs {
		t.Run(name, func(t *testing.T) {
			c := newCluster(t)
			cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.DefaultProduceTopic(testTopic),
				kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerBatchCompression(codec),
				kgo.ProducerLinger(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			pad := strings.Repeat("x", 200) // compressible, so the producer keeps the compression
			var wg sync.WaitGroup
			for _, r := range valueRecords(0, 0, 50) {
				r.Value = append(r.Value, pad...)
				wg.Add(1)
				cl.Produce(context.Background(), r, func(_ *kgo.Record, err error) {
					if err != nil {
						t.Error(err)
					}
					wg.Done()
				})
			}
			if err := cl.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			wg.Wait()
			cl.Close()

			kc := dial(t, c)
			if n, compressed := rawBatches(t, kc, 0); n != 1 || !compressed {
				t.Fatalf("the producer wrote %d batches (compressed %v), want one compressed batch", n, compressed)
			}
			var col collector
			if _, err := kc.Read(context.Background(), map[int32]Range{0: {17, 33}}, col.fn); err != nil {
				t.Fatal(err)
			}
			if got := col.offsets(0); !slices.Equal(got, span(17, 33)) {
				t.Errorf("offsets = %v, want 17..32", got)
			}
			for _, r := range col.recs[0] {
				if want := fmt.Sprintf("p0-%d", r.Offset) + pad; string(r.Value) != want {
					t.Errorf("offset %d value %q, want %q", r.Offset, r.Value, want)
				}
			}
		})
	}
}

// rawBatches fetches partition p from offset 0 and counts its record batches.
func rawBatches(t *testing.T, c *Client, p int32) (n int, compressed bool) {
	t.Helper()
	fc, err := c.dialFetch(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	defer fc.Close()
	deadline := time.Now().Add(10 * time.Second)
	if err := fc.send(c.cfg.Topic, p, 0, 1<<20, time.Millisecond, deadline); err != nil {
		t.Fatal(err)
	}
	res, err := fc.receive(p, deadline)
	if err != nil {
		t.Fatal(err)
	}
	rs := res.records
	for len(rs) >= 61 {
		size := int(int32(uint32(rs[8])<<24 | uint32(rs[9])<<16 | uint32(rs[10])<<8 | uint32(rs[11])))
		compressed = compressed || rs[22]&attrCompression != 0
		n++
		rs = rs[12+size:]
	}
	return n, compressed
}

func TestReadSkipsTransactionMarkersAndReachesTheEnd(t *testing.T) {
	c := newCluster(t)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.DefaultProduceTopic(testTopic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.TransactionalID("tx"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 2 {
		if err := cl.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		if err := cl.ProduceSync(ctx, valueRecords(0, 0, 3)...).FirstErr(); err != nil {
			t.Fatal(err)
		}
		if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
			t.Fatal(err)
		}
	}
	cl.Close()
	kc := dial(t, c)
	hwm, err := kc.Latest(ctx, []int32{0})
	if err != nil {
		t.Fatal(err)
	}
	if hwm[0] != 8 {
		t.Fatalf("high watermark %d, want 8 (6 records, 2 commit markers)", hwm[0])
	}
	var col collector
	// With an hour's idle timeout, stopping short of End would hang the test.
	st, err := kc.Read(ctx, map[int32]Range{0: {0, 8}}, col.fn, WithIdleTimeout(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got := col.offsets(0); !slices.Equal(got, []int64{0, 1, 2, 4, 5, 6}) || st.Next[0] != 8 {
		t.Errorf("offsets %v Next %d, want data offsets 0-2, 4-6 and Next 8", got, st.Next[0])
	}
}

func TestReadRetriesTransientFailuresWithoutDuplicatesOrGaps(t *testing.T) {
	tests := []struct {
		name   string
		inject func(req kmsg.Request) (kmsg.Response, error)
	}{
		{"connection closed", func(kmsg.Request) (kmsg.Response, error) {
			return nil, errors.New("injected connection failure")
		}},
		{"not leader", func(req kmsg.Request) (kmsg.Response, error) {
			fr := req.(*kmsg.FetchRequest)
			res := fr.ResponseKind().(*kmsg.FetchResponse)
			for _, rt := range fr.Topics {
				st := kmsg.NewFetchResponseTopic()
				st.Topic = rt.Topic
				for _, rp := range rt.Partitions {
					sp := kmsg.NewFetchResponseTopicPartition()
					sp.Partition = rp.Partition
					sp.ErrorCode = kerr.NotLeaderForPartition.Code
					st.Partitions = append(st.Partitions, sp)
				}
				res.Topics = append(res.Topics, st)
			}
			return res, nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t)
			for i := 0; i < 300; i += 10 {
				produce(t, c, valueRecords(0, i, 10)) // 30 batches: many small fetches
			}
			kc := dial(t, c)
			var mu sync.Mutex
			fetches, injected := 0, 0
			c.ControlKey(int16(kmsg.Fetch), func(req kmsg.Request) (kmsg.Response, error, bool) {
				c.KeepControl()
				mu.Lock()
				defer mu.Unlock()
				fetches++
				if fetches%3 != 0 || injected >= 3 {
					return nil, nil, false
				}
				injected++
				res, err := tt.inject(req)
				return res, err, true
			})
			var col collector
			st, err := kc.Read(context.Background(), map[int32]Range{0: {5, 290}}, col.fn, WithFetchBytes(1024), WithBatchSize(10))
			if err != nil {
				t.Fatal(err)
			}
			if got := col.offsets(0); !slices.Equal(got, span(5, 290)) {
				t.Errorf("offsets = %v, want 5..289 once each", got)
			}
			if injected == 0 || st.Next[0] != 290 {
				t.Errorf("injected %d failures, Next %d", injected, st.Next[0])
			}
		})
	}
}

func TestReadStopsWhenTheContextIsCancelled(t *testing.T) {
	c := newCluster(t)
	produce(t, c, valueRecords(1, 0, 3))
	kc := dial(t, c)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var col collector
	fn := func(p int32, b []record.Record) error {
		cancel()
		return col.fn(p, b)
	}
	// The range ends far beyond the high watermark and the idle timeout is an
	// hour: only the cancellation can end this Read.
	st, err := kc.Read(ctx, map[int32]Range{1: {0, 1000}}, fn, WithIdleTimeout(time.Hour))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if st.Next[1] != 3 || !strings.Contains(err.Error(), "partition 1") {
		t.Errorf("Next = %d (want 3), err = %v", st.Next[1], err)
	}
}

func TestReadReturnsTheCallbackErrorAndStopsThePartition(t *testing.T) {
	c := newCluster(t)
	produce(t, c, slices.Concat(valueRecords(0, 0, 30), valueRecords(1, 0, 30)))
	kc := dial(t, c)
	boom := errors.New("sink full")
	var col collector
	fn := func(p int32, b []record.Record) error {
		if p == 1 && b[0].Offset >= 10 {
			return boom
		}
		return col.fn(p, b)
	}
	st, err := kc.Read(context.Background(), map[int32]Range{0: {0, 30}, 1: {0, 30}}, fn, WithBatchSize(5))
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the callback's error", err)
	}
	if !strings.Contains(err.Error(), "topic t partition 1 at offset 10") {
		t.Errorf("err = %v, want it to name topic, partition and offset", err)
	}
	if st.Next[1] != 10 || st.PerPartition[1] != 10 {
		t.Errorf("partition 1: Next %d, PerPartition %d; want 10 and 10", st.Next[1], st.PerPartition[1])
	}
}

func TestReadRejectsBadRanges(t *testing.T) {
	c := newCluster(t)
	kc := dial(t, c)
	var col collector
	for _, r := range []map[int32]Range{{0: {5, 4}}, {0: {-1, 3}}, {-1: {0, 1}}} {
		if _, err := kc.Read(context.Background(), r, col.fn); err == nil {
			t.Errorf("range %v accepted", r)
		}
	}
}

func TestSASLLoginsAndWrongPasswordNeverShowsThePassword(t *testing.T) {
	const secret = "Sup3r-s3cret-pw"
	for _, mech := range []string{MechanismPlain, MechanismSCRAMSHA256, MechanismSCRAMSHA512} {
		t.Run(mech, func(t *testing.T) {
			c := newCluster(t, kfake.EnableSASL(), kfake.Superuser(mech, "alice", secret))
			produce(t, c, valueRecords(0, 0, 4), kgo.SASL(saslFor(t, mech, "alice", secret)))
			kc := dial(t, c, func(cfg *Config) { cfg.SASL = SASL{Mechanism: mech, Username: "alice", Password: secret} })
			var col collector
			if _, err := kc.Read(context.Background(), map[int32]Range{0: {1, 4}}, col.fn); err != nil {
				t.Fatal(err)
			}
			if got := col.offsets(0); !slices.Equal(got, span(1, 4)) {
				t.Errorf("offsets %v, want 1..3", got)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := Dial(ctx, Config{Brokers: c.ListenAddrs(), Topic: testTopic, SASL: SASL{Mechanism: mech, Username: "alice", Password: "wrong-" + secret}})
			if err == nil {
				t.Fatal("a wrong password was accepted")
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error shows the password: %v", err)
			}
			if !strings.Contains(strings.ToLower(err.Error()), "sasl") && !strings.Contains(strings.ToLower(err.Error()), "auth") {
				t.Errorf("error does not say authentication failed: %v", err)
			}
		})
	}
}

func TestDecodeBatchesRejectsCorruptInputWithoutPanicking(t *testing.T) {
	c := newCluster(t)
	produce(t, c, valueRecords(0, 0, 10))
	kc := dial(t, c)
	fc, err := kc.dialFetch(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fc.Close()
	deadline := time.Now().Add(10 * time.Second)
	if err := fc.send(testTopic, 0, 0, 1<<20, time.Millisecond, deadline); err != nil {
		t.Fatal(err)
	}
	res, err := fc.receive(0, deadline)
	if err != nil {
		t.Fatal(err)
	}
	good := res.records
	var n countVisitor
	if err := decodeBatches(good, 0, nil, &n); err != nil || n.records != 10 {
		t.Fatalf("good batches: %d records, err %v", n.records, err)
	}
	flipped := bytes.Clone(good)
	flipped[len(flipped)-1] ^= 0xff
	if err := decodeBatches(flipped, 0, nil, &countVisitor{}); err == nil || !strings.Contains(err.Error(), "CRC") {
		t.Errorf("a corrupted batch gave err %v, want a CRC mismatch", err)
	}
	oldFormat := bytes.Clone(good)
	oldFormat[16] = 1
	if err := decodeBatches(oldFormat, 0, nil, &countVisitor{}); err == nil {
		t.Error("a v1 message set was accepted")
	}
	// Every truncation and every single-byte change must fail cleanly.
	for i := range good {
		decodeBatches(good[:i], 0, nil, &countVisitor{})
		b := bytes.Clone(good)
		b[i] ^= 0x5a
		decodeBatches(b, 0, nil, &countVisitor{})
		parseFetchV4(b, 0)
	}
}

type countVisitor struct{ records int }

func (v *countVisitor) record(int64, int64, []byte, []byte, []headerRef) bool {
	v.records++
	return true
}
func (v *countVisitor) skipped(int64) {}
