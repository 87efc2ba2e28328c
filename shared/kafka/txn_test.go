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

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// txnLog writes one partition of testTopic, record by record, from a plain
// producer and any number of transactional ones, and remembers what each
// offset holds, so that a test can state exactly what a read must deliver.
type txnLog struct {
	t       testing.TB
	addrs   []string
	topic   string
	plain   *kgo.Client
	txns    map[string]*kgo.Client
	p       int32
	next    int64
	offsets map[int64]string // offset → value ("" for a marker)
	open    map[string][]int64
	fate    map[int64]string // offset → committed, aborted, open, plain, marker
	ru      *Client          // read_uncommitted, for the high watermark
}

func newTxnLog(t testing.TB, c *kfake.Cluster, p int32) *txnLog {
	return newTxnLogAt(t, c.ListenAddrs(), testTopic, p)
}

func newTxnLogAt(t testing.TB, addrs []string, topic string, p int32) *txnLog {
	l := &txnLog{t: t, addrs: addrs, topic: topic, p: p, txns: map[string]*kgo.Client{}, offsets: map[int64]string{},
		open: map[string][]int64{}, fate: map[int64]string{}}
	l.plain = l.client()
	return l
}

// dial is a client of the log's topic.
func (l *txnLog) dial(uncommitted bool) *Client {
	l.t.Helper()
	kc, err := Dial(context.Background(), Config{Brokers: l.addrs, Topic: l.topic, ReadUncommitted: uncommitted})
	if err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(func() { kc.Close() })
	return kc
}

func (l *txnLog) client(opts ...kgo.Opt) *kgo.Client {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(l.addrs...), kgo.DefaultProduceTopic(l.topic),
		kgo.RecordPartitioner(kgo.ManualPartitioner())}, opts...)...)
	if err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(cl.Close)
	return cl
}

// write produces one record with value v: outside a transaction when id is
// "", else in transactional producer id's transaction (begun if none is).
func (l *txnLog) write(id, v string) int64 {
	l.t.Helper()
	ctx := context.Background()
	cl := l.plain
	if id != "" {
		if l.txns[id] == nil {
			l.txns[id] = l.client(kgo.TransactionalID(id))
		}
		cl = l.txns[id]
		if _, open := l.open[id]; !open {
			if err := cl.BeginTransaction(); err != nil {
				l.t.Fatal(err)
			}
			l.open[id] = []int64{}
		}
	}
	r, err := cl.ProduceSync(ctx, &kgo.Record{Partition: l.p, Key: []byte(id), Value: []byte(v)}).First()
	if err != nil {
		l.t.Fatal(err)
	}
	if r.Offset != l.next {
		l.t.Fatalf("%q went to offset %d, want %d", v, r.Offset, l.next)
	}
	l.offsets[r.Offset] = v
	l.fate[r.Offset] = "plain"
	if id != "" {
		l.open[id] = append(l.open[id], r.Offset)
		l.fate[r.Offset] = "open"
	}
	l.next++
	return r.Offset
}

// end commits or aborts id's transaction; its marker takes the next offset. A broker writes
// the marker after EndTxn was answered (kfake before): end waits until it is there, so that
// the next record comes after it.
func (l *txnLog) end(id string, commit bool) {
	l.t.Helper()
	fate, how := "aborted", kgo.TryAbort
	if commit {
		fate, how = "committed", kgo.TryCommit
	}
	if err := l.txns[id].EndTransaction(context.Background(), how); err != nil {
		l.t.Fatal(err)
	}
	if l.ru == nil {
		l.ru = l.dial(true)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		hw, err := l.ru.Latest(context.Background(), []int32{l.p})
		if err != nil {
			l.t.Fatal(err)
		}
		if hw[l.p] == l.next+1 {
			break
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("the marker of %s is not at offset %d after 30 s (high watermark %d)", id, l.next, hw[l.p])
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, o := range l.open[id] {
		l.fate[o] = fate
	}
	delete(l.open, id)
	l.fate[l.next] = "marker"
	l.next++
}

// want is what a read of [from, to) delivers: committed and plain records,
// and aborted and open ones too when uncommitted.
func (l *txnLog) want(from, to int64, uncommitted bool) []string {
	var out []string
	for o := from; o < to; o++ {
		switch l.fate[o] {
		case "plain", "committed":
			out = append(out, fmt.Sprintf("%d:%s", o, l.offsets[o]))
		case "aborted", "open":
			if uncommitted {
				out = append(out, fmt.Sprintf("%d:%s", o, l.offsets[o]))
			}
		}
	}
	return out
}

func (col *collector) got(p int32) []string {
	var out []string
	for _, r := range col.recs[p] {
		out = append(out, fmt.Sprintf("%d:%s", r.Offset, r.Value))
	}
	return out
}

// interleaved writes two transactional producers' records between plain
// ones, so that an aborted transaction's span holds a committed
// transaction's records: only the broker's list of aborted transactions
// (producer and first offset) tells them apart.
func interleaved(l *txnLog) {
	l.write("", "plain-0")
	l.write("", "plain-1")
	l.write("a", "a-0")    // 2 committed
	l.write("b", "b-0")    // 3 aborted
	l.write("a", "a-1")    // 4 committed, inside b's aborted span
	l.write("", "plain-2") // 5 plain, inside both spans
	l.write("b", "b-1")    // 6 aborted
	l.end("b", false)      // 7 abort marker
	l.write("a", "a-2")    // 8 committed, after b's abort marker
	l.end("a", true)       // 9 commit marker
	l.write("a", "a-3")    // 10 aborted: the same producer, a new transaction
	l.write("a", "a-4")    // 11 aborted
	l.end("a", false)      // 12 abort marker
	l.write("b", "b-2")    // 13 committed: b again, after its aborted one
	l.end("b", true)       // 14 commit marker
	l.write("", "plain-3") // 15
	l.write("a", "a-5")    // 16 aborted
	l.end("a", false)      // 17 abort marker
	l.write("", "plain-4") // 18
}

func TestReadCommittedDeliversExactlyTheCommittedRecordsOfInterleavedTransactions(t *testing.T) {
	c := newCluster(t)
	readInterleaved(t, newTxnLog(t, c, 0))
}

// readInterleaved writes interleaved(l) and reads it from every start offset.
func readInterleaved(t *testing.T, l *txnLog) {
	interleaved(l)
	end := l.next // 19
	tests := []struct {
		name        string
		uncommitted bool
		fetchBytes  int
	}{
		{"read_committed, whole fetches", false, 0},
		{"read_committed, one batch per fetch", false, 1},
		{"read_uncommitted, whole fetches", true, 0},
		{"read_uncommitted, one batch per fetch", true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kc := l.dial(tt.uncommitted)
			// Every start offset: inside an aborted transaction, on a
			// marker, between transactions.
			for from := int64(0); from < end; from++ {
				var col collector
				var opts []ReadOption
				if tt.fetchBytes > 0 {
					opts = append(opts, WithFetchBytes(tt.fetchBytes))
				}
				st, err := kc.Read(context.Background(), map[int32]Range{0: {from, end}}, col.fn, append(opts, WithIdleTimeout(time.Hour))...)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := col.got(0), l.want(from, end, tt.uncommitted); !slices.Equal(got, want) {
					t.Errorf("from %d: delivered %v, want %v", from, got, want)
				}
				if st.Next[0] != end {
					t.Errorf("from %d: Next %d, want %d", from, st.Next[0], end)
				}
			}
		})
	}
	// The fixture says what the test claims: the committed records of a
	// are inside b's aborted span.
	if got := l.want(3, 7, false); !slices.Equal(got, []string{"4:a-1", "5:plain-2"}) {
		t.Fatalf("fixture: committed records inside b's aborted span %v", got)
	}
}

func TestLatestIsTheLastStableOffsetWhileATransactionIsOpen(t *testing.T) {
	latestWhileOpen(t, newTxnLog(t, newCluster(t), 0))
}

func latestWhileOpen(t *testing.T, l *txnLog) {
	l.write("", "plain-0")
	l.write("", "plain-1")
	l.write("a", "a-0") // 2: opens a transaction
	l.write("", "plain-2")
	l.write("b", "b-0") // 4: another one
	l.end("b", true)    // 5
	l.write("", "plain-3")
	ctx := context.Background()
	committed := l.dial(false)
	uncommitted := l.dial(true)
	lookups := []struct {
		name string
		kc   *Client
		want int64
	}{
		{"read_committed stops at a's first offset", committed, 2},
		{"read_uncommitted is the high watermark", uncommitted, 7},
	}
	future := time.Now().Add(time.Hour)
	for _, lk := range lookups {
		t.Run(lk.name, func(t *testing.T) {
			latest, err := lk.kc.Latest(ctx, []int32{0})
			if err != nil {
				t.Fatal(err)
			}
			byTime, err := lk.kc.OffsetsForTime(ctx, []int32{0}, future)
			if err != nil {
				t.Fatal(err)
			}
			// A time inside the open transaction lists as nothing found: Latest.
			atOpen, err := lk.kc.OffsetsForTime(ctx, []int32{0}, time.Now().Add(-time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			if latest[0] != lk.want || byTime[0] != lk.want || atOpen[0] > lk.want {
				t.Errorf("Latest %d, OffsetsForTime(future) %d, OffsetsForTime(now) %d; want %d, %d, at most %d",
					latest[0], byTime[0], atOpen[0], lk.want, lk.want, lk.want)
			}
		})
	}
	l.end("a", true) // 7
	latest, err := committed.Latest(ctx, []int32{0})
	if err != nil || latest[0] != 8 {
		t.Errorf("after the commit Latest %v (%v), want the high watermark 8", latest, err)
	}
}

func TestReadCommittedPastAnOpenTransactionWaitsForItsCommit(t *testing.T) {
	readPastOpen(t, newTxnLog(t, newCluster(t), 0))
}

func readPastOpen(t *testing.T, l *txnLog) {
	l.write("", "plain-0")
	l.write("a", "a-0")
	l.write("", "plain-1")
	kc := l.dial(false)
	var col collector
	done := make(chan error, 1)
	var st Stats
	go func() {
		var err error
		// 0..5: the transaction's records, its marker and one more.
		st, err = kc.Read(context.Background(), map[int32]Range{0: {0, 6}}, col.fn, WithIdleTimeout(time.Hour))
		done <- err
	}()
	l.write("a", "a-1") // 3
	l.end("a", true)    // 4
	l.write("", "plain-2")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got, want := col.got(0), l.want(0, 6, false); !slices.Equal(got, want) || st.Next[0] != 6 {
		t.Errorf("delivered %v Next %d, want %v and 6", got, st.Next[0], want)
	}
}

func TestReadCommittedRetriesKeepDroppingAbortedBatches(t *testing.T) {
	c := newCluster(t)
	l := newTxnLog(t, c, 0)
	for i := range 10 {
		interleavedRound(l, i)
	}
	end := l.next
	kc := dial(t, c)
	var mu sync.Mutex
	fetches, injected := 0, 0
	c.ControlKey(int16(kmsg.Fetch), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		mu.Lock()
		defer mu.Unlock()
		fetches++
		if fetches%4 != 0 || injected >= 5 {
			return nil, nil, false
		}
		injected++
		return nil, errors.New("injected connection failure"), true
	})
	var col collector
	st, err := kc.Read(context.Background(), map[int32]Range{0: {0, end}}, col.fn, WithFetchBytes(1), WithIdleTimeout(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := col.got(0), l.want(0, end, false); !slices.Equal(got, want) {
		t.Errorf("delivered %v, want %v", got, want)
	}
	if injected == 0 || st.Next[0] != end {
		t.Errorf("injected %d failures, Next %d want %d", injected, st.Next[0], end)
	}
}

// interleavedRound writes a committed and an aborted transaction whose
// records alternate, and a plain record.
func interleavedRound(l *txnLog, i int) {
	l.write("c", fmt.Sprintf("c-%d", i))
	l.write("d", fmt.Sprintf("d-%d", i))
	l.write("c", fmt.Sprintf("c-%db", i))
	l.write("", fmt.Sprintf("plain-%d", i))
	l.write("d", fmt.Sprintf("d-%db", i))
	l.end("d", false)
	l.end("c", true)
}

func TestAbortFilterFollowsTheAbortedList(t *testing.T) {
	// Batches as a broker returns them: producer, offsets, transactional,
	// control (and then whether commit).
	type batch struct {
		pid         int64
		last        int64
		txn, ctl    bool
		commit      bool
		wantDropped bool
	}
	tests := []struct {
		name    string
		aborted []abortedTxn
		batches []batch
	}{
		{"nothing listed drops nothing", nil, []batch{
			{pid: 1, last: 0, txn: true}, {pid: 1, last: 1, txn: true, ctl: true, commit: false, wantDropped: false},
		}},
		{"a listed transaction ends at its abort marker", []abortedTxn{{1, 0}}, []batch{
			{pid: 1, last: 0, txn: true, wantDropped: true},
			{pid: 2, last: 1, txn: true},
			{pid: 1, last: 2, txn: true, wantDropped: true},
			{pid: 1, last: 3, txn: true, ctl: true, wantDropped: true},
			{pid: 1, last: 4, txn: true}, // the producer's next transaction
		}},
		{"a listed transaction begins at its first offset", []abortedTxn{{1, 5}}, []batch{
			{pid: 1, last: 3, txn: true},
			{pid: 1, last: 4, txn: true, ctl: true, commit: true},
			{pid: 1, last: 5, txn: true, wantDropped: true},
		}},
		{"a non-transactional batch of the producer is kept", []abortedTxn{{1, 0}}, []batch{
			{pid: 1, last: 0, txn: false},
		}},
		{"listed out of order", []abortedTxn{{2, 3}, {1, 0}}, []batch{
			{pid: 1, last: 0, txn: true, wantDropped: true},
			{pid: 1, last: 1, txn: true, ctl: true, wantDropped: true},
			{pid: 2, last: 2, txn: true},
			{pid: 2, last: 3, txn: true, wantDropped: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f abortFilter
			f.init(tt.aborted)
			for _, b := range tt.batches {
				if !b.txn {
					if b.wantDropped {
						t.Fatal("bad case")
					}
					continue // decodeBatches asks only about transactional batches
				}
				var rec []byte
				if b.ctl {
					typ := byte(0)
					if b.commit {
						typ = 1
					}
					// length, attributes, timestamp delta, offset delta, key length 4, key.
					rec = []byte{0, 0, 0, 0, 8, 0, 0, 0, typ}
				}
				if got := f.aborted(b.pid, b.last, b.ctl, rec); got != b.wantDropped {
					t.Errorf("batch of producer %d ending at %d: dropped %v, want %v", b.pid, b.last, got, b.wantDropped)
				}
			}
		})
	}
}

func TestReaderPropertiesSortsEveryNameIntoAppliedWarnedOrRefused(t *testing.T) {
	tests := []struct {
		name     string
		props    map[string]string
		warnings []string // substrings, one per warning, in order
		err      []string // substrings of the error; none means no error
	}{
		{"applied names pass quietly", map[string]string{
			"group.id": "g", "isolation.level": "read_uncommitted", "max.poll.records": "10", "client.id": "c",
			"security.protocol": "PLAINTEXT", "fetch.max.bytes": "1024",
		}, nil, nil},
		{"isolation.level read_committed", map[string]string{"isolation.level": "READ_COMMITTED"}, nil, nil},
		{"consumer settings fcsync does not apply are warnings", map[string]string{
			"session.timeout.ms": "30000", "enable.auto.commit": "true", "auto.offset.reset": "earliest",
		}, []string{"auto.offset.reset is not applied", "enable.auto.commit is not applied", "session.timeout.ms is not applied"}, nil},
		{"a misspelt name is an error with a suggestion", map[string]string{"isolation_level": "read_committed"},
			nil, []string{"kafkaConfig isolation_level: not a Kafka consumer property (did you mean isolation.level?)"}},
		{"a near miss by two letters", map[string]string{"max.pol.record": "5"},
			nil, []string{"did you mean max.poll.records?"}},
		{"case differs", map[string]string{"Group.Id": "g"}, nil, []string{"did you mean group.id?"}},
		{"far from every name: no suggestion", map[string]string{"colour": "blue"},
			nil, []string{"kafkaConfig colour: not a Kafka consumer property"}},
		{"client certificates are refused", map[string]string{"ssl.keystore.location": "/k.jks"},
			nil, []string{"ssl.keystore.location: client certificates"}},
		{"librdkafka's login names are refused", map[string]string{"sasl.username": "u", "sasl.password": "hunter2"},
			nil, []string{"sasl.password: this is librdkafka's name", "sasl.username: this is librdkafka's name"}},
		{"a bad isolation level", map[string]string{"isolation.level": "read_most"},
			nil, []string{`isolation.level "read_most": want read_committed (the default) or read_uncommitted`}},
		{"warnings and errors together", map[string]string{"check.crcs": "false", "fetch.max.byte": "5"},
			[]string{"check.crcs is not applied"}, []string{"did you mean fetch.max.bytes?"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			warnings, err := ReaderProperties(tt.props)
			if len(warnings) != len(tt.warnings) {
				t.Fatalf("warnings %q, want %d", warnings, len(tt.warnings))
			}
			for i, w := range tt.warnings {
				if !strings.Contains(warnings[i], w) {
					t.Errorf("warning %d %q, want it to contain %q", i, warnings[i], w)
				}
			}
			if len(tt.err) == 0 {
				if err != nil {
					t.Fatalf("error %v, want none", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.err)
			}
			for _, e := range tt.err {
				if !strings.Contains(err.Error(), e) {
					t.Errorf("error %q, want it to contain %q", err, e)
				}
			}
			if pw, ok := tt.props["sasl.password"]; ok && strings.Contains(err.Error(), pw) {
				t.Errorf("error %q quotes the password", err)
			}
		})
	}
}

func TestReaderConfigAppliesIsolationAndKeepsWarnings(t *testing.T) {
	cfg, err := ReaderConfig([]string{"b:9092"}, "t", map[string]string{"isolation.level": "read_uncommitted", "session.timeout.ms": "10000"})
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.ReadUncommitted || len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], "session.timeout.ms") {
		t.Errorf("ReadUncommitted %v warnings %q", cfg.ReadUncommitted, cfg.Warnings)
	}
	cfg, err = ReaderConfig([]string{"b:9092"}, "t", nil)
	if err != nil || cfg.ReadUncommitted || cfg.isolationLevel() != 1 {
		t.Errorf("default: ReadUncommitted %v isolation %d err %v, want read_committed", cfg.ReadUncommitted, cfg.isolationLevel(), err)
	}
	if _, err := ReaderConfig([]string{"b:9092"}, "t", map[string]string{"isolaton.level": "read_committed"}); err == nil {
		t.Error("a misspelt isolation.level was accepted")
	}
}

func TestDecodeBatchesOfTransactionsRejectsCorruptInputWithoutPanicking(t *testing.T) {
	c := newCluster(t)
	l := newTxnLog(t, c, 0)
	interleaved(l)
	kc := l.dial(false)
	fc, err := kc.dialFetch(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fc.Close()
	deadline := time.Now().Add(10 * time.Second)
	if err := fc.send(l.topic, 0, 0, 1<<20, time.Millisecond, deadline); err != nil {
		t.Fatal(err)
	}
	res, err := fc.receive(0, deadline)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.aborted) != 3 {
		t.Fatalf("aborted transactions %v, want b's and two of a's", res.aborted)
	}
	var n countVisitor
	if err := decodeBatches(res.records, 0, res.aborted, &n); err != nil || n.records != len(l.want(0, l.next, false)) {
		t.Fatalf("good batches: %d records, err %v", n.records, err)
	}
	// Every truncation and every single-byte change must fail cleanly, with any aborted list.
	lists := [][]abortedTxn{res.aborted, {{producerID: -1, firstOffset: -5}}, {{producerID: 0, firstOffset: 1 << 62}}}
	for i := range res.records {
		b := bytes.Clone(res.records)
		b[i] ^= 0x5a
		for _, al := range lists {
			decodeBatches(res.records[:i], 0, al, &countVisitor{})
			decodeBatches(b, 0, al, &countVisitor{})
		}
	}
}
