package window_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fcsync/fcsync/shared/counterpart"
)

// librdkafkaTxns runs testdata/txn_producer.py (confluent-kafka, that is librdkafka) against
// brokers: it writes its first phase, leaving a transaction open, and waits.
type librdkafkaTxns struct {
	t     *testing.T
	proc  *counterpart.Process
	stdin *os.File
	dir   string
}

func startLibrdkafkaTxns(t *testing.T, brokers []string, topicName string, base time.Time) *librdkafkaTxns {
	t.Helper()
	py := counterpart.Python(t, "confluent_kafka")
	dir := t.TempDir()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, filepath.Join("testdata", "txn_producer.py"), brokers[0], topicName, strconv.FormatInt(base.UnixMilli(), 10), dir)
	cmd.Stdin = r
	p := counterpart.Start(t, cmd)
	r.Close()
	t.Cleanup(func() { w.Close() })
	return &librdkafkaTxns{t: t, proc: p, stdin: w, dir: dir}
}

// producedRecord is one line of the producer's phase files.
type producedRecord struct {
	ID        string `json:"id"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
	Timestamp int64  `json:"timestamp"`
	Fate      string `json:"fate"`
}

// wait waits for the phase file name and loads it into w.
func (l *librdkafkaTxns) wait(name string, w *txnTopic) {
	l.t.Helper()
	path := filepath.Join(l.dir, name)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		data, err := os.ReadFile(path)
		if err == nil {
			var recs []producedRecord
			if err := json.Unmarshal(data, &recs); err != nil {
				l.t.Fatalf("%s: %v", name, err)
			}
			for _, r := range recs {
				w.recs[r.ID] = &kgo.Record{Partition: r.Partition, Offset: r.Offset, Timestamp: time.UnixMilli(r.Timestamp)}
				w.fate[r.ID] = r.Fate
			}
			return
		}
		if !errors.Is(err, fs.ErrNotExist) {
			l.t.Fatal(err)
		}
		if done, werr := l.proc.Exited(); done {
			l.t.Fatalf("txn_producer.py exited (%v) before writing %s:\n%s", werr, name, l.proc.Tail(4000))
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("txn_producer.py wrote no %s in 2 minutes:\n%s", name, l.proc.Tail(4000))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// resume lets the producer write its second phase.
func (l *librdkafkaTxns) resume() {
	l.t.Helper()
	if _, err := l.stdin.WriteString("go\n"); err != nil {
		l.t.Fatalf("txn_producer.py: %v\n%s", err, l.proc.Tail(4000))
	}
}

// runLibrdkafkaTxnWindows is the librdkafka transaction scenario against the brokers of c,
// whose topic topicName has two partitions: window 10:05 while librdkafka's transaction is open,
// then 10:10 after it committed, then reruns. After each, the table holds exactly the committed
// and plain orders below the handed-off offsets, each once, at its offset, in the partition of
// its timestamp.
func runLibrdkafkaTxnWindows(t *testing.T, c *cluster, topicName string) {
	h := newHarness(t, c, nil, loadJob(t, set("reader.topic", topicName)))
	w := newTxnTopic(t, c, topicName)
	at, tick := nearFuture()
	rk := startLibrdkafkaTxns(t, c.addrs, topicName, at(10, 0, 0))
	rk.wait("phase1.json", w)
	for p := range int32(2) {
		w.waitStable(p, w.recs["slow-"+strconv.Itoa(int(p))+"-0"].Offset)
	}

	h.mustRun(tick(10, 5))
	for p, rg := range h.ranges(tick(10, 5)) {
		slow := w.recs["slow-"+strconv.Itoa(int(p))+"-0"]
		if rg.End != slow.Offset {
			t.Errorf("window 10:05 partition %d ends at %d, want %d: the first offset of librdkafka's open transaction", p, rg.End, slow.Offset)
		}
	}
	w.checkRows(t, h.rows(), h.newest())

	rk.resume()
	rk.wait("phase2.json", w)
	for p := range int32(2) {
		w.waitStable(p, -1)
	}
	h.mustRun(tick(10, 10))
	for p, rg := range h.ranges(tick(10, 10)) {
		if hw := w.hwm(p); rg.End != hw {
			t.Errorf("window 10:10 partition %d ends at %d, want the high watermark %d", p, rg.End, hw)
		}
	}
	w.checkRows(t, h.rows(), h.newest())
	for _, tk := range []time.Time{tick(10, 5), tick(10, 10)} {
		h.mustRun(tk)
		w.checkRows(t, h.rows(), h.newest())
	}
	if n := len(w.ids("aborted")); n != 10 {
		t.Errorf("fixture: %d aborted orders, want 10", n)
	}
	if n := len(w.ids("plain", "committed")); n != 22 {
		t.Errorf("fixture: %d committed and plain orders, want 22", n)
	}
}

// TestWindowsOverLibrdkafkaTransactions: transactions written by librdkafka (multi-record lz4
// batches, committed and aborted ones interleaved, one left open over a window edge) land in
// the table exactly as Kafka's read_committed defines, on kfake.
func TestWindowsOverLibrdkafkaTransactions(t *testing.T) {
	runLibrdkafkaTxnWindows(t, newCluster(t, 2), topic)
}
