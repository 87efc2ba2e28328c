package window_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fcsync/fcsync/shared/kafka/kafka4test"
	"github.com/fcsync/fcsync/shared/schema"
)

// Batch windows against a real Apache Kafka 4 broker (kafka4test, one per test binary), read
// over each security protocol with the job's kafkaConfig as DataWorks users write it.

func TestMain(m *testing.M) {
	code := m.Run()
	kafka4test.StopShared()
	os.Exit(code)
}

// k4row is a warehouse row with the headers column.
type k4row struct {
	partition string
	key       string
	kpart     int64
	offset    int64
	eventMs   int64
	orderID   string
	headers   string
}

func TestKafka4WindowsReadExactRecordSetsOverEverySecurityProtocol(t *testing.T) {
	b := kafka4test.Shared(t)
	cases := []struct {
		name string
		l    kafka4test.Listener
		mech string
	}{
		{"plaintext", kafka4test.Plaintext, ""},
		{"sasl plain", kafka4test.SASLPlaintext, "PLAIN"},
		{"sasl scram-sha-256", kafka4test.SASLPlaintext, "SCRAM-SHA-256"},
		{"sasl scram-sha-512", kafka4test.SASLPlaintext, "SCRAM-SHA-512"},
		{"ssl", kafka4test.SSL, ""},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			topicName := fmt.Sprintf("k4-window-%d", i)
			if err := b.CreateTopic(ctx, topicName, 3, nil); err != nil {
				t.Fatal(err)
			}
			// 90 orders 20 s apart from 09:57, dealt to the partitions in turn, every third
			// with headers: each lands in the window of its own timestamp.
			var recs []*kgo.Record
			for j := range 90 {
				r := order(int32(j%3), fmt.Sprintf("k4-%02d", j), at(9, 57, 0).Add(time.Duration(j)*20*time.Second), j)
				if j%3 == 0 {
					r.Headers = []kgo.RecordHeader{{Key: "trace", Value: fmt.Appendf(nil, "t-%d", j)}, {Key: "src", Value: []byte("k4")}}
				}
				recs = append(recs, r)
			}
			if err := b.Produce(ctx, topicName, recs); err != nil {
				t.Fatal(err)
			}
			props := map[string]any{}
			for k, v := range b.Props(tc.l, tc.mech) {
				if k != "bootstrap.servers" {
					props[k] = v
				}
			}
			group := fmt.Sprintf("k4-window-group-%d", i)
			spec := loadJob(t,
				set("reader.topic", topicName),
				set("reader.groupId", group),
				set("reader.kafkaConfig", props),
				set("reader.column", []any{"__key__", "__partition__", "__offset__", "__timestamp__", "__headers__", "order_id", "amount", "note"}),
				set("writer.column", []any{"k", "kafka_partition", "kafka_offset", "event_ms", "headers", "order_id", "amount", "note"}),
				set("writer.schema", []any{
					map[string]any{"name": "k", "type": "STRING"},
					map[string]any{"name": "kafka_partition", "type": "BIGINT"},
					map[string]any{"name": "kafka_offset", "type": "BIGINT"},
					map[string]any{"name": "event_ms", "type": "BIGINT"},
					map[string]any{"name": "headers", "type": "STRING"},
					map[string]any{"name": "order_id", "type": "STRING"},
					map[string]any{"name": "amount", "type": "BIGINT"},
					map[string]any{"name": "note", "type": "STRING"},
				}))
			h := newHarness(t, &cluster{addrs: []string{b.Addrs[tc.l]}}, nil, spec)

			var ticks []time.Time
			for tk := tick(10, 5); !tk.After(tick(10, 35)); tk = tk.Add(5 * time.Minute) {
				ticks = append(ticks, tk)
			}
			var ends map[int32]int64
			for w, tk := range ticks {
				rep := h.mustRun(tk)
				if rep.Dirty != 0 || rep.Late != 0 {
					t.Errorf("window %s: %d dirty, %d late", tk.Format("15:04"), rep.Dirty, rep.Late)
				}
				// Windows hand off by offset: each starts where the previous one ended.
				for p := range int32(3) {
					if w > 0 && rep.Ranges[p].Start != ends[p] {
						t.Errorf("window %s partition %d starts at %d, the previous window ended at %d", tk.Format("15:04"), p, rep.Ranges[p].Start, ends[p])
					}
				}
				ends = map[int32]int64{}
				for p, r := range rep.Ranges {
					ends[p] = r.End
				}
			}
			if !mapsEqual(ends, map[int32]int64{0: 30, 1: 30, 2: 30}) {
				t.Errorf("the last window ends at %v, want the high watermarks 30", ends)
			}
			committed, err := b.Committed(ctx, group, topicName)
			if err != nil {
				t.Fatal(err)
			}
			if !mapsEqual(committed, ends) {
				t.Errorf("the broker has group %s at %v, want the last window's ends %v", group, committed, ends)
			}

			// Exactly the produced records, each in the window of its own timestamp, with its
			// key, partition, offset, timestamp and headers.
			var got []k4row
			err = h.wh.Scan(ctx, table, nil, func(p schema.Partition, m map[string]any) error {
				s := func(k string) string { v, _ := m[k].(string); return v }
				n := func(k string) int64 { v, _ := m[k].(int64); return v }
				got = append(got, k4row{p.String(), s("k"), n("kafka_partition"), n("kafka_offset"), n("event_ms"), s("order_id"), s("headers")})
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			var want []k4row
			for j, r := range recs {
				hdrs := "{}"
				if len(r.Headers) > 0 {
					hdrs = fmt.Sprintf(`{"trace":"t-%d","src":"k4"}`, j)
				}
				want = append(want, k4row{ownPartition(r.Timestamp), string(r.Key), int64(r.Partition), int64(j / 3), r.Timestamp.UnixMilli(), string(r.Key), hdrs})
			}
			byKey := func(a, b k4row) int { return strings.Compare(a.key, b.key) }
			slices.SortFunc(got, byKey)
			slices.SortFunc(want, byKey)
			if !slices.Equal(got, want) {
				t.Errorf("rows\n%v\nwant\n%v", got, want)
			}
		})
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
