package kafka

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/kafka/kafka4test"
)

// The transaction tests of txn_test.go against a real Kafka 4 broker: its aborted-transaction
// index, last stable offset and markers (written after EndTxn answered) rather than kfake's.

func TestKafka4ReadCommittedDeliversExactlyTheCommittedRecordsOfInterleavedTransactions(t *testing.T) {
	b := kafka4test.Shared(t)
	readInterleaved(t, newTxnLogAt(t, []string{b.Addr()}, kafka4Topic(t, b, 1), 0))
}

func TestKafka4LatestIsTheLastStableOffsetWhileATransactionIsOpen(t *testing.T) {
	b := kafka4test.Shared(t)
	latestWhileOpen(t, newTxnLogAt(t, []string{b.Addr()}, kafka4Topic(t, b, 1), 0))
}

func TestKafka4ReadCommittedPastAnOpenTransactionWaitsForItsCommit(t *testing.T) {
	b := kafka4test.Shared(t)
	readPastOpen(t, newTxnLogAt(t, []string{b.Addr()}, kafka4Topic(t, b, 1), 0))
}

// TestKafka4ReadCommittedDropsWhatJavasTransactionalProducerAborted: Kafka's own Java
// producer writes committed and aborted transactions in every codec, one after the other (its
// records share batches); reads from every start offset deliver exactly the committed and
// plain records under read_committed, and the aborted ones too under read_uncommitted, never
// a marker.
func TestKafka4ReadCommittedDropsWhatJavasTransactionalProducerAborted(t *testing.T) {
	b := kafka4test.Shared(t)
	topic := kafka4Topic(t, b, 1)
	batches := []kafka4test.Batch{
		{Topic: topic, Compression: "none", Records: javaRecords("plain-a", 2)},
		{Topic: topic, Compression: "gzip", Transaction: "commit", Records: javaRecords("gzip-commit", 5)},
		{Topic: topic, Compression: "zstd", Transaction: "abort", Records: javaRecords("zstd-abort", 4)},
		{Topic: topic, Compression: "snappy", Transaction: "commit", Records: javaRecords("snappy-commit", 3)},
		{Topic: topic, Compression: "lz4", Transaction: "abort", Records: javaRecords("lz4-abort", 6)},
		{Topic: topic, Compression: "none", Records: javaRecords("plain-b", 2)},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := b.JavaProduceBatches(ctx, batches)
	if err != nil {
		t.Fatal(err)
	}
	type rec struct {
		offset  int64
		value   string
		aborted bool
	}
	var all []rec
	for i, bt := range batches {
		for j, p := range res[i] {
			all = append(all, rec{p.Offset, string(bt.Records[j].Value), bt.Transaction == "abort"})
		}
	}
	committed, uncommitted := dialTxnKafka4(t, topic, false), dialTxnKafka4(t, topic, true)
	// 22 records and 4 markers; the broker writes the last marker after the producer's EndTxn
	// was answered.
	want := int64(len(all) + 4)
	var hw map[int32]int64
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if hw, err = uncommitted.Latest(ctx, []int32{0}); err != nil {
			t.Fatal(err)
		}
		if hw[0] == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("high watermark %d, want %d", hw[0], want)
		}
	}
	for _, tc := range []struct {
		name        string
		kc          *Client
		uncommitted bool
		fetchBytes  int
	}{
		{"read_committed", committed, false, 0},
		{"read_committed, one batch per fetch", committed, false, 1},
		{"read_uncommitted", uncommitted, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for from := int64(0); from < hw[0]; from++ {
				var want []string
				for _, r := range all {
					if r.offset >= from && (!r.aborted || tc.uncommitted) {
						want = append(want, fmt.Sprintf("%d:%s", r.offset, r.value))
					}
				}
				var col collector
				opts := []ReadOption{WithIdleTimeout(time.Minute)}
				if tc.fetchBytes > 0 {
					opts = append(opts, WithFetchBytes(tc.fetchBytes))
				}
				st, err := tc.kc.Read(ctx, map[int32]Range{0: {from, hw[0]}}, col.fn, opts...)
				if err != nil {
					t.Fatal(err)
				}
				if got := col.got(0); !slices.Equal(got, want) || st.Next[0] != hw[0] {
					t.Errorf("from %d: delivered %v Next %d, want %v and %d", from, got, st.Next[0], want, hw[0])
				}
			}
		})
	}
}

// javaRecords are n records for partition 0 with values prefix-i.
func javaRecords(prefix string, n int) []kafka4test.Record {
	out := make([]kafka4test.Record, n)
	for i := range out {
		out[i] = kafka4test.Record{Partition: 0, Key: fmt.Appendf(nil, "k%d", i), Value: fmt.Appendf(nil, "%s-%d", prefix, i)}
	}
	return out
}

func dialTxnKafka4(t *testing.T, topic string, uncommitted bool) *Client {
	t.Helper()
	b := kafka4test.Shared(t)
	kc, err := Dial(context.Background(), Config{Brokers: []string{b.Addr()}, Topic: topic, ReadUncommitted: uncommitted})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kc.Close() })
	return kc
}
