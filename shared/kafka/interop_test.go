package kafka

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fcsync/fcsync/shared/record"
)

// kcat returns the path of kcat (librdkafka), skipping the test when it is
// missing unless FCSYNC_REQUIRE_KCAT=1 makes that a failure.
func kcat(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("kcat")
	if err != nil {
		if os.Getenv("FCSYNC_REQUIRE_KCAT") == "1" {
			t.Fatalf("kcat is required (FCSYNC_REQUIRE_KCAT=1): %v", err)
		}
		t.Skip("kcat not installed (apt-get install kcat)")
	}
	return path
}

func TestReadsWhatKcatProduced(t *testing.T) {
	bin := kcat(t)
	c := newCluster(t)
	var in bytes.Buffer
	for i := range 20 {
		fmt.Fprintf(&in, "key-%d:value %d from librdkafka\n", i, i)
	}
	cmd := exec.Command(bin, "-b", c.ListenAddrs()[0], "-t", testTopic, "-p", "2", "-P", "-K", ":", "-z", "gzip")
	cmd.Stdin = &in
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kcat -P: %v\n%s", err, out)
	}
	kc := dial(t, c)
	hwm, err := kc.Latest(context.Background(), []int32{2})
	if err != nil || hwm[2] != 20 {
		t.Fatalf("high watermark %v, %v; want 20 records from kcat", hwm, err)
	}
	var col collector
	if _, err := kc.Read(context.Background(), map[int32]Range{2: {5, 15}}, col.fn); err != nil {
		t.Fatal(err)
	}
	if got := col.offsets(2); !slices.Equal(got, span(5, 15)) {
		t.Fatalf("offsets %v, want 5..14", got)
	}
	for _, r := range col.recs[2] {
		wantKey, wantValue := fmt.Sprintf("key-%d", r.Offset), fmt.Sprintf("value %d from librdkafka", r.Offset)
		if string(r.Key) != wantKey || string(r.Value) != wantValue {
			t.Errorf("offset %d: %q:%q, want %q:%q", r.Offset, r.Key, r.Value, wantKey, wantValue)
		}
	}
}

func TestKcatReadsTheRangeFcsyncReads(t *testing.T) {
	bin := kcat(t)
	c := newCluster(t)
	produce(t, c, valueRecords(1, 0, 12))
	kc := dial(t, c)
	var col collector
	if _, err := kc.Read(context.Background(), map[int32]Range{1: {3, 9}}, col.fn); err != nil {
		t.Fatal(err)
	}
	// kcat: offsets 3.. of partition 1, 6 messages, as key|value|offset lines.
	out, err := exec.Command(bin, "-b", c.ListenAddrs()[0], "-t", testTopic, "-p", "1", "-C", "-o", "3", "-c", "6", "-e",
		"-f", "%k|%s|%o\n").CombinedOutput()
	if err != nil {
		t.Fatalf("kcat -C: %v\n%s", err, out)
	}
	var got []string
	for _, r := range col.recs[1] {
		got = append(got, fmt.Sprintf("%s|%s|%d", r.Key, r.Value, r.Offset))
	}
	want := strings.Split(strings.TrimSpace(string(out)), "\n")
	if !slices.Equal(got, want) {
		t.Errorf("fcsync read\n%v\nkcat read\n%v", got, want)
	}
}

func BenchmarkRead(b *testing.B) {
	const n = 200_000
	c := newCluster(b)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.DefaultProduceTopic(testTopic),
		kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	if err != nil {
		b.Fatal(err)
	}
	value := bytes.Repeat([]byte("v"), 90)
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{Key: fmt.Appendf(nil, "k%07d", i), Value: value}
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		b.Fatal(err)
	}
	cl.Close()
	kc := dial(b, c)
	ctx := context.Background()
	parts, err := kc.Partitions(ctx)
	if err != nil {
		b.Fatal(err)
	}
	end, err := kc.Latest(ctx, parts)
	if err != nil {
		b.Fatal(err)
	}
	ranges := map[int32]Range{}
	for _, p := range parts {
		ranges[p] = Range{0, end[p]}
	}
	b.ReportAllocs()
	b.ResetTimer()
	var total atomic.Int64
	for b.Loop() {
		st, err := kc.Read(ctx, ranges, func(_ int32, batch []record.Record) error {
			total.Add(int64(len(batch)))
			return nil
		})
		if err != nil || st.Records != n {
			b.Fatalf("read %d records, err %v", st.Records, err)
		}
	}
	b.ReportMetric(float64(total.Load())/b.Elapsed().Seconds(), "records/s")
}
