package window_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fcsync/fcsync/shared/kafka"
	"github.com/fcsync/fcsync/shared/window"
)

// nearFuture is the harness's clock (at, tick) moved to a day whose 10:00 is a few minutes
// ahead of the wall clock, aligned to the 5-minute schedule. Transaction markers carry the
// broker's clock, and a marker stamped at or after a window's end time can be that window's end
// offset (the first offset at or after the end time); with the records stamped ahead of the
// wall clock every marker comes before every window's time range, so each window's end is
// decided by the records and the open transactions alone and the test can state it exactly.
// (A broker accepts timestamps up to an hour ahead by default.)
func nearFuture() (at func(hh, mm, ss int) time.Time, tick func(hh, mm int) time.Time) {
	base := time.Now().In(shanghai).Add(10 * time.Minute).Truncate(5 * time.Minute)
	at = func(hh, mm, ss int) time.Time {
		return base.Add(time.Duration(hh-10)*time.Hour + time.Duration(mm)*time.Minute + time.Duration(ss)*time.Second)
	}
	return at, func(hh, mm int) time.Time { return at(hh, mm, 0) }
}

// txnTopic writes orders to the topic from a plain producer and from transactional ones, and
// remembers where each went and what became of it, so that a test can say exactly which rows a
// table must hold.
type txnTopic struct {
	t     testing.TB
	c     *cluster
	topic string
	ru    *kafka.Client // read_uncommitted: the high watermarks
	plain *kgo.Client
	txns  map[string]*kgo.Client
	open  map[string][]string // transactional id → orders of its open transaction
	recs  map[string]*kgo.Record
	fate  map[string]string // order id → plain, open, committed, aborted
	// first is, per open transaction and partition, the offset of its first record: the last
	// stable offset while it is the oldest open one.
	first map[string]map[int32]int64
}

func newTxnTopic(t testing.TB, c *cluster, topicName string) *txnTopic {
	w := &txnTopic{t: t, c: c, topic: topicName, txns: map[string]*kgo.Client{}, open: map[string][]string{},
		recs: map[string]*kgo.Record{}, fate: map[string]string{}, first: map[string]map[int32]int64{}}
	w.plain = w.client()
	cfg := kafka.Config{Brokers: c.addrs, Topic: topicName, ReadUncommitted: true}
	ru, err := kafka.Dial(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ru.Close() })
	w.ru = ru
	return w
}

func (w *txnTopic) client(opts ...kgo.Opt) *kgo.Client {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(w.c.addrs...), kgo.DefaultProduceTopic(w.topic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.RequiredAcks(kgo.AllISRAcks())}, opts...)...)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(cl.Close)
	return cl
}

// write produces order id to partition p stamped ts: outside a transaction when txn is "", else
// in txn's transaction (begun if none is open).
func (w *txnTopic) write(txn string, p int32, id string, ts time.Time) {
	w.t.Helper()
	cl := w.plain
	if txn != "" {
		if w.txns[txn] == nil {
			w.txns[txn] = w.client(kgo.TransactionalID(txn))
		}
		cl = w.txns[txn]
		if _, ok := w.open[txn]; !ok {
			if err := cl.BeginTransaction(); err != nil {
				w.t.Fatal(err)
			}
			w.open[txn] = []string{}
			w.first[txn] = map[int32]int64{}
		}
	}
	rec := order(p, id, ts, 7)
	rec.Topic = w.topic
	r, err := cl.ProduceSync(context.Background(), rec).First()
	if err != nil {
		w.t.Fatal(err)
	}
	w.recs[id] = r
	w.fate[id] = "plain"
	if txn != "" {
		w.fate[id] = "open"
		w.open[txn] = append(w.open[txn], id)
		if _, ok := w.first[txn][p]; !ok {
			w.first[txn][p] = r.Offset
		}
	}
}

// end commits or aborts txn's open transaction, and waits until its marker is in each of its
// partitions: a broker writes markers after EndTxn answered (kfake before), and a record
// written before its marker would take the offset the test expects the marker at.
func (w *txnTopic) end(txn string, commit bool) {
	w.t.Helper()
	fate, how := "aborted", kgo.TryAbort
	if commit {
		fate, how = "committed", kgo.TryCommit
	}
	before := map[int32]int64{}
	for p := range w.first[txn] {
		before[p] = w.hwm(p)
	}
	if err := w.txns[txn].EndTransaction(context.Background(), how); err != nil {
		w.t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for p, hw := range before {
		for w.hwm(p) <= hw {
			if time.Now().After(deadline) {
				w.t.Fatalf("the marker of transaction %s is not in partition %d after 30 s", txn, p)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	for _, id := range w.open[txn] {
		w.fate[id] = fate
	}
	delete(w.open, txn)
	delete(w.first, txn)
}

// ids are the orders whose fate is one of fates, sorted.
func (w *txnTopic) ids(fates ...string) []string {
	var out []string
	for id, f := range w.fate {
		if slices.Contains(fates, f) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// waitStable waits until the last stable offset of partition p is want (-1: the high
// watermark, no transaction open): a broker writes transaction markers after the producer's
// EndTxn was answered.
func (w *txnTopic) waitStable(p int32, want int64) {
	w.t.Helper()
	rc, err := kafka.Dial(context.Background(), kafka.Config{Brokers: w.c.addrs, Topic: w.topic})
	if err != nil {
		w.t.Fatal(err)
	}
	defer rc.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		l, err := rc.Latest(context.Background(), []int32{p})
		if err != nil {
			w.t.Fatal(err)
		}
		if l[p] == want || want < 0 && l[p] == w.hwm(p) {
			return
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("partition %d: the last stable offset is %d after 30 s, want %d", p, l[p], want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// hwm is the high watermark of partition p (read_uncommitted's Latest).
func (w *txnTopic) hwm(p int32) int64 {
	w.t.Helper()
	l, err := w.ru.Latest(context.Background(), []int32{p})
	if err != nil {
		w.t.Fatal(err)
	}
	return l[p]
}

// checkRows fails unless the table holds every committed and plain order below the offsets the
// windows handed off so far (the newest window's ends) exactly once, each at the offset it was
// written to and in the partition of its own timestamp, and nothing else.
func (w *txnTopic) checkRows(t testing.TB, rows []row, handedOff map[int32]kafka.Range) {
	t.Helper()
	var want []string
	for _, id := range w.ids("plain", "committed") {
		if r := w.recs[id]; r.Offset < handedOff[r.Partition].End {
			want = append(want, id)
		}
	}
	exactlyOnce(t, rows, want)
	for _, r := range rows {
		rec := w.recs[r.OrderID]
		if rec == nil {
			continue // reported by exactlyOnce
		}
		if r.KPart != int64(rec.Partition) || r.Offset != rec.Offset {
			t.Errorf("order %s at %d@%d, was written to %d@%d", r.OrderID, r.KPart, r.Offset, rec.Partition, rec.Offset)
		}
		if want := ownPartition(rec.Timestamp); r.Partition != want {
			t.Errorf("order %s (stamped %s) in %s, want %s", r.OrderID, rec.Timestamp.Format("15:04:05"), r.Partition, want)
		}
		if f := w.fate[r.OrderID]; f == "aborted" || f == "open" {
			t.Errorf("order %s of an %s transaction is in the table", r.OrderID, f)
		}
	}
}

// newest is the newest planned window's ranges: what the windows handed off so far.
func (h *harness) newest() map[int32]kafka.Range {
	h.t.Helper()
	l := h.ledger()
	if len(l.Windows) == 0 {
		h.t.Fatal("no window in the ledger")
	}
	return l.Windows[len(l.Windows)-1].Ranges
}

// ranges is the window at tk's planned ranges in the ledger.
func (h *harness) ranges(tk time.Time) map[int32]kafka.Range {
	h.t.Helper()
	for _, w := range h.ledger().Windows {
		if w.Tick.Equal(tk) {
			return w.Ranges
		}
	}
	h.t.Fatalf("window %s not in the ledger", tk.Format("15:04"))
	return nil
}

// TestAnOpenTransactionOverWindowEdgesIsTakenOnceCommittedAndAbortedOnesNever runs five
// windows of the 5-minute job over two partitions while transactions come and go: one left
// open over two window edges (with plain records after its first one, inside the windows'
// time ranges), aborted ones interleaved with it, another one open over two more edges on one
// partition, a crash after planning and one after the sink commit. It asserts each
// window's planned end offsets (at most the last stable offset, exactly its value while the
// transaction is open) and, after every window and every rerun, the whole table: every
// committed and plain order exactly once, at its offset, in the partition of its own timestamp,
// and no record of an aborted or open transaction.
func TestAnOpenTransactionOverWindowEdgesIsTakenOnceCommittedAndAbortedOnesNever(t *testing.T) {
	runOpenTransactionWindows(t, newCluster(t, 2), topic)
}

// runOpenTransactionWindows is that scenario on the brokers of c, whose topic topicName has two
// partitions.
func runOpenTransactionWindows(t *testing.T, c *cluster, topicName string) {
	h := newHarness(t, c, nil, loadJob(t, set("reader.topic", topicName)))
	w := newTxnTopic(t, c, topicName)
	at, tick := nearFuture() // shadow the harness's clock
	checkEnds := func(tk time.Time, want map[int32]int64) {
		t.Helper()
		rs := h.ranges(tk)
		for p, e := range want {
			if rs[p].End != e {
				t.Errorf("window %s partition %d ends at %d, want %d (ranges %v)", tk.Format("15:04"), p, rs[p].End, e, rs)
			}
		}
	}
	checkTiles := func() {
		t.Helper()
		l := h.ledger()
		for i := 1; i < len(l.Windows); i++ {
			for p, rg := range l.Windows[i].Ranges {
				if prev := l.Windows[i-1].Ranges[p]; prev.End != rg.Start {
					t.Errorf("window %s partition %d starts at %d, the previous one ended at %d", l.Windows[i].Tick.Format("15:04"), p, rg.Start, prev.End)
				}
			}
		}
	}

	// Window 10:05 reads [09:57, 10:02).
	for p := range int32(2) {
		w.write("", p, fmt.Sprintf("plain-%d-0", p), at(9, 58, 0))
		w.write("good", p, fmt.Sprintf("good-%d-0", p), at(9, 58, 10))
		w.write("bad", p, fmt.Sprintf("bad-%d-0", p), at(9, 58, 20))
		w.write("good", p, fmt.Sprintf("good-%d-1", p), at(9, 58, 30)) // inside bad's span
	}
	w.end("bad", false)
	w.end("good", true)
	for p := range int32(2) {
		w.write("slow", p, fmt.Sprintf("slow-%d-0", p), at(10, 0, 0)) // stays open over two window edges
		w.write("", p, fmt.Sprintf("after-%d-0", p), at(10, 1, 0))    // plain, but behind the open transaction: held back until it ends
		w.write("", p, fmt.Sprintf("next-%d-0", p), at(10, 3, 0))     // the next window's time range
	}
	lso := maps.Clone(w.first["slow"])
	rep := h.mustRun(tick(10, 5))
	checkEnds(tick(10, 5), lso)
	// The run record says what the open transaction holds back, and the lag counts it.
	var wantLag int64
	for p := range int32(2) {
		hw := w.hwm(p)
		wantLag += hw - lso[p]
		want := fmt.Sprintf("partition %d: a transaction open since offset %d holds back the %d offsets up to the high watermark %d", p, lso[p], hw-lso[p], hw)
		if !slices.ContainsFunc(rep.Warnings, func(s string) bool { return strings.Contains(s, want) }) {
			t.Errorf("warnings %q, want one with %q", rep.Warnings, want)
		}
	}
	if rep.Lag == nil || *rep.Lag != wantLag {
		t.Errorf("lag %v, want %d (up to the high watermarks)", rep.Lag, wantLag)
	}
	w.checkRows(t, h.rows(), h.newest())
	if hw := w.hwm(0); hw <= lso[0] {
		t.Fatalf("fixture: the high watermark %d is not past the open transaction's first offset %d", hw, lso[0])
	}

	// Window 10:10 reads [10:02, 10:07): the transaction is still open, more arrives behind it,
	// and a transaction that began after it aborts. The first attempt crashes after planning.
	for p := range int32(2) {
		w.write("slow", p, fmt.Sprintf("slow-%d-1", p), at(10, 4, 0))
		w.write("bad", p, fmt.Sprintf("bad-%d-1", p), at(10, 4, 10))
		w.write("", p, fmt.Sprintf("plain-%d-1", p), at(10, 4, 20))
	}
	w.end("bad", false)
	crash := errors.New("injected crash after planning")
	h.hooks = &window.Hooks{AfterPlan: func() error { return crash }}
	if _, err := h.run(tick(10, 10)); !errors.Is(err, crash) {
		t.Fatalf("first attempt of 10:10: %v, want the injected crash", err)
	}
	h.hooks = nil
	w.end("slow", true) // commits between the crash and the rerun: the plan stands
	rep = h.mustRun(tick(10, 10))
	if !rep.Rerun {
		t.Error("the second attempt of 10:10 did not use the first attempt's plan")
	}
	checkEnds(tick(10, 10), lso) // nothing handed off past the transaction open when planned
	w.checkRows(t, h.rows(), h.newest())

	// Window 10:15 reads [10:07, 10:12) and takes everything held back, the committed
	// transaction first of all; another transaction is open by then, on partition 1 only.
	w.write("other", 1, "other-1-0", at(10, 8, 0))
	w.write("", 0, "plain-0-2", at(10, 8, 10))
	w.write("", 1, "plain-1-2", at(10, 8, 20))
	lsoOther := w.first["other"][1]
	// The first attempt crashes after the sink committed, before the ledger did.
	h.hooks = &window.Hooks{AfterSinkCommit: func() error { return crash }}
	if _, err := h.run(tick(10, 15)); !errors.Is(err, crash) {
		t.Fatalf("first attempt of 10:15: %v, want the injected crash", err)
	}
	h.hooks = nil
	h.mustRun(tick(10, 15))
	checkEnds(tick(10, 15), map[int32]int64{0: w.hwm(0), 1: lsoOther})
	w.checkRows(t, h.rows(), h.newest())

	// Window 10:20 while "other" is still open; then it aborts and 10:25 reads past it.
	h.mustRun(tick(10, 20))
	checkEnds(tick(10, 20), map[int32]int64{0: w.hwm(0), 1: lsoOther})
	w.end("other", false)
	w.write("", 1, "plain-1-3", at(10, 18, 0))
	h.mustRun(tick(10, 25))
	checkEnds(tick(10, 25), map[int32]int64{0: w.hwm(0), 1: w.hwm(1)})
	w.checkRows(t, h.rows(), h.newest())

	// Reruns of every window change nothing.
	for _, tk := range []time.Time{tick(10, 5), tick(10, 10), tick(10, 15), tick(10, 20), tick(10, 25)} {
		if rep := h.mustRun(tk); !rep.Rerun {
			t.Errorf("window %s was planned again", tk.Format("15:04"))
		}
		w.checkRows(t, h.rows(), h.newest())
	}
	checkTiles()
	if got := w.ids("aborted"); len(got) != 5 {
		t.Errorf("fixture: aborted orders %v, want 5", got)
	}
}

// TestReadUncommittedWindowsEndAtTheHighWatermarkAndKeepAbortedRecords shows what the option
// changes: the same data as the default job reads, with the open transaction's and the aborted
// transaction's records in the table.
func TestReadUncommittedWindowsEndAtTheHighWatermarkAndKeepAbortedRecords(t *testing.T) {
	c := newCluster(t, 1)
	h := newHarness(t, c, nil, loadJob(t, set("reader.kafkaConfig", map[string]any{"isolation.level": "read_uncommitted"})))
	w := newTxnTopic(t, c, topic)
	at, tick := nearFuture() // shadow the harness's clock
	w.write("", 0, "plain-0", at(9, 58, 0))
	w.write("bad", 0, "bad-0", at(9, 58, 10))
	w.end("bad", false)
	w.write("slow", 0, "slow-0", at(9, 59, 0))
	w.write("", 0, "plain-1", at(10, 0, 0))
	h.mustRun(tick(10, 5))
	if rs, hw := h.ranges(tick(10, 5)), w.hwm(0); rs[0].End != hw {
		t.Errorf("read_uncommitted window ends at %d, want the high watermark %d", rs[0].End, hw)
	}
	var got []string
	for _, r := range h.rows() {
		got = append(got, r.OrderID)
	}
	slices.Sort(got)
	if want := []string{"bad-0", "plain-0", "plain-1", "slow-0"}; !slices.Equal(got, want) {
		t.Errorf("rows %v, want %v (control records never; aborted and open ones under read_uncommitted)", got, want)
	}
}

// TestWindowRunRecordWarnsOfKafkaConfigItDoesNotApply: consumer settings a window does without
// are named in its report (and so in its run record); the job still runs.
func TestWindowRunRecordWarnsOfKafkaConfigItDoesNotApply(t *testing.T) {
	c := newCluster(t, 1)
	h := newHarness(t, c, nil, loadJob(t, set("reader.kafkaConfig", map[string]any{
		"session.timeout.ms": "30000", "enable.auto.commit": "false", "isolation.level": "read_committed",
	})))
	c.produce(t, order(0, "o-1", at(9, 58, 0), 1))
	rep := h.mustRun(tick(10, 5))
	if len(rep.Warnings) != 2 || !strings.Contains(rep.Warnings[0], "enable.auto.commit is not applied") ||
		!strings.Contains(rep.Warnings[1], "session.timeout.ms is not applied") {
		t.Errorf("warnings %q, want enable.auto.commit and session.timeout.ms named", rep.Warnings)
	}
	exactlyOnce(t, h.rows(), []string{"o-1"})
}
