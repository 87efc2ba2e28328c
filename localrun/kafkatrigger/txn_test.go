package kafkatrigger

import (
	"slices"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fcsync/fcsync/shared/kafka"
)

// txnWriter writes records one at a time to partition 0 from a plain producer and from
// transactional ones, and returns their offsets.
type txnWriter struct {
	t     *testing.T
	c     *kfake.Cluster
	plain *kgo.Client
	txns  map[string]*kgo.Client
	open  map[string]bool
}

func newTxnWriter(t *testing.T, c *kfake.Cluster) *txnWriter {
	w := &txnWriter{t: t, c: c, txns: map[string]*kgo.Client{}, open: map[string]bool{}}
	w.plain = w.client()
	return w
}

func (w *txnWriter) client(opts ...kgo.Opt) *kgo.Client {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(w.c.ListenAddrs()...), kgo.DefaultProduceTopic(testTopic),
		kgo.RecordPartitioner(kgo.ManualPartitioner())}, opts...)...)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(cl.Close)
	return cl
}

func (w *txnWriter) write(txn string) int64 {
	w.t.Helper()
	cl := w.plain
	if txn != "" {
		if w.txns[txn] == nil {
			w.txns[txn] = w.client(kgo.TransactionalID(txn))
		}
		cl = w.txns[txn]
		if !w.open[txn] {
			if err := cl.BeginTransaction(); err != nil {
				w.t.Fatal(err)
			}
			w.open[txn] = true
		}
	}
	r, err := cl.ProduceSync(w.t.Context(), &kgo.Record{Partition: 0, Key: []byte(txn), Value: []byte(`{"txn":"` + txn + `"}`)}).First()
	if err != nil {
		w.t.Fatal(err)
	}
	return r.Offset
}

func (w *txnWriter) end(txn string, commit bool) {
	w.t.Helper()
	how := kgo.TryAbort
	if commit {
		how = kgo.TryCommit
	}
	if err := w.txns[txn].EndTransaction(w.t.Context(), how); err != nil {
		w.t.Fatal(err)
	}
	w.open[txn] = false
}

// TestDrainDeliversOnlyCommittedRecordsAndAnOpenTransactionOnceItCommits: the emulated trigger
// reads read_committed, as the FC trigger does. Records of aborted transactions and the markers
// are never delivered, even when interleaved with a committed transaction's; a drain stops at
// the last stable offset, so an open transaction (and what follows it) is delivered by the next
// drain once committed, exactly once, and never before.
func TestDrainDeliversOnlyCommittedRecordsAndAnOpenTransactionOnceItCommits(t *testing.T) {
	c := newCluster(t, 1)
	w := newTxnWriter(t, c)
	var want1, want2 []int64
	want1 = append(want1, w.write(""), w.write("good"))
	w.write("bad")
	want1 = append(want1, w.write("good"), w.write(""))
	w.write("bad")
	w.end("bad", false)
	want1 = append(want1, w.write("good"))
	w.end("good", true)
	want2 = append(want2, w.write("slow"), w.write("")) // open, and a plain record behind it
	w.write("bad")
	w.end("bad", false)

	cl := dial(t, c)
	rec := &recorder{}
	if err := newTrigger(t, cl, "g", rec, WithBatch(2, 0)).Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	rec.check(t)
	if got := rec.offsetsIn(0); !slices.Equal(got, want1) {
		t.Errorf("first drain delivered %v, want %v (committed and plain, before the open transaction)", got, want1)
	}
	for _, d := range rec.succeeded() {
		for _, r := range d.recs {
			if strings.Contains(string(r.Value), "bad") || strings.Contains(string(r.Value), "slow") {
				t.Errorf("delivered %s: %s", r.Where(), r.Value)
			}
		}
	}

	want2 = append(want2, w.write("slow"))
	w.end("slow", true)
	want2 = append(want2, w.write(""))
	rec2 := &recorder{}
	if err := newTrigger(t, cl, "g", rec2, WithBatch(2, 0)).Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	rec2.check(t)
	if got := rec2.offsetsIn(0); !slices.Equal(got, want2) {
		t.Errorf("second drain delivered %v, want %v (the committed transaction and what followed it)", got, want2)
	}
}

func TestNewRefusesAReadUncommittedClient(t *testing.T) {
	c := newCluster(t, 1)
	cl, err := kafka.Dial(t.Context(), kafka.Config{Brokers: c.ListenAddrs(), Topic: testTopic, ReadUncommitted: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := New(cl, "g", &recorder{}, quiet()...); err == nil || !strings.Contains(err.Error(), "committed records only") {
		t.Errorf("New with a read_uncommitted client: %v", err)
	}
}
