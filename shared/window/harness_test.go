package window_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"gopkg.in/yaml.v3"

	"github.com/fcsync/fcsync/shared/job"
	"github.com/fcsync/fcsync/shared/kafka"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/sink"
	"github.com/fcsync/fcsync/shared/sink/warehouse"
	"github.com/fcsync/fcsync/shared/state"
	"github.com/fcsync/fcsync/shared/window"
)

// The test harness: a real in-process Kafka broker (kfake), the real local warehouse in a
// temporary directory, a Memory or Dir object store, and the seed-001 5-minute job of
// testdata/orders_5min.yaml (tick T reads [T-8min, T-3min) into ds=<T-8min as yyyymmddhhmi>).

const (
	topic = "orders"
	table = "ods_orders"
)

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// at is 2022-11-22 hh:mm:ss in Asia/Shanghai, the job's zone.
func at(hh, mm, ss int) time.Time { return time.Date(2022, 11, 22, hh, mm, ss, 0, shanghai) }

// tick is the scheduled time hh:mm.
func tick(hh, mm int) time.Time { return at(hh, mm, 0) }

// partitionOf is the partition the window at tick writes: ds=<tick-8min>.
func partitionOf(tk time.Time) string { return "ds=" + tk.Add(-8*time.Minute).Format("200601021504") }

// ownPartition is the partition of the window whose time range [start, start+5min) holds ts;
// window starts are at minute 2 and 7 of every 5 minutes.
func ownPartition(ts time.Time) string {
	ts = ts.In(shanghai)
	start := ts.Truncate(time.Minute).Add(-time.Duration((ts.Minute()+3)%5) * time.Minute)
	return "ds=" + start.Format("200601021504")
}

// cluster is an in-process Kafka broker with the topic "orders" (3 partitions by default).
type cluster struct {
	c     *kfake.Cluster
	addrs []string
	auth  sasl.Mechanism // for the producer, when the broker wants SASL
}

func newCluster(t testing.TB, partitions int32, opts ...kfake.Opt) *cluster {
	t.Helper()
	opts = append([]kfake.Opt{
		kfake.NumBrokers(1),
		kfake.SeedTopics(partitions, topic),
		kfake.BrokerConfigs(map[string]string{"message.max.bytes": "8388608"}),
	}, opts...)
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return &cluster{c: c, addrs: c.ListenAddrs()}
}

// produce writes records synchronously with acks=all, each to the partition it names.
func (c *cluster) produce(t testing.TB, recs ...*kgo.Record) {
	t.Helper()
	opts := []kgo.Opt{
		kgo.SeedBrokers(c.addrs...),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchMaxBytes(8 << 20),
		kgo.MaxBufferedRecords(len(recs) + 1),
	}
	if c.auth != nil {
		opts = append(opts, kgo.SASL(c.auth))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, r := range recs {
		r.Topic = topic
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
}

// order is a well-formed order record.
func order(part int32, id string, ts time.Time, amount int) *kgo.Record {
	return &kgo.Record{
		Partition: part,
		Key:       []byte(id),
		Value:     fmt.Appendf(nil, `{"order_id":%q,"amount":%d,"note":"n-%s"}`, id, amount, id),
		Timestamp: ts,
	}
}

// raw is a record with the given value bytes.
func raw(part int32, key string, ts time.Time, value []byte) *kgo.Record {
	return &kgo.Record{Partition: part, Key: []byte(key), Value: value, Timestamp: ts}
}

// dial opens the window's Kafka source as the batch handler does: the job's kafkaConfig
// properties, with the broker's address for the job's datasource.
func (c *cluster) dial(ctx context.Context, k job.Kafka) (window.Source, error) {
	cfg, err := kafka.ReaderConfig(c.addrs, k.Topic, k.KafkaConfig)
	if err != nil {
		return nil, err
	}
	return kafka.Dial(ctx, cfg)
}

// client is a kafka.Client on the topic, for checking and committing group offsets.
func (c *cluster) client(t testing.TB, props map[string]string) *kafka.Client {
	t.Helper()
	cfg, err := kafka.ConfigFromProperties(c.addrs, topic, props)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kafka.Dial(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Close() })
	return cl
}

// edit changes the job's YAML tree before it is loaded.
type edit func(m map[string]any)

// set sets a dotted path (reader.beginOffset) in the job.
func set(path string, v any) edit {
	return func(m map[string]any) {
		keys := strings.Split(path, ".")
		for _, k := range keys[:len(keys)-1] {
			next, ok := m[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[k] = next
			}
			m = next
		}
		m[keys[len(keys)-1]] = v
	}
}

// del removes a dotted path from the job.
func del(path string) edit {
	return func(m map[string]any) {
		keys := strings.Split(path, ".")
		for _, k := range keys[:len(keys)-1] {
			next, ok := m[k].(map[string]any)
			if !ok {
				return
			}
			m = next
		}
		delete(m, keys[len(keys)-1])
	}
}

// offsetJob turns the time-window job into one that reads by offsets.
func offsetJob(begin string) []edit {
	return []edit{del("reader.beginDateTime"), del("reader.endDateTime"), set("reader.beginOffset", begin)}
}

// loadJob loads testdata/orders_5min.yaml with edits applied.
func loadJob(t testing.TB, edits ...edit) *job.Spec {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "orders_5min.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return loadJobYAML(t, data, edits...)
}

func loadJobYAML(t testing.TB, data []byte, edits ...edit) *job.Spec {
	t.Helper()
	if len(edits) > 0 {
		var m map[string]any
		if err := yaml.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		for _, e := range edits {
			e(m)
		}
		var err error
		if data, err = yaml.Marshal(m); err != nil {
			t.Fatal(err)
		}
	}
	spec, err := job.Load(data, "orders_5min")
	if err != nil {
		t.Fatalf("load job: %v\n%s", err, data)
	}
	return spec
}

// syncBuffer collects log output from concurrent windows.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// harness runs windows of one job against one broker, warehouse and object store.
type harness struct {
	t     testing.TB
	kafka *cluster
	wh    *warehouse.Warehouse
	store objstore.Store
	spec  *job.Spec
	hooks *window.Hooks
	sink  sink.Sink // nil: the warehouse
	logs  *syncBuffer
}

func newHarness(t testing.TB, c *cluster, store objstore.Store, spec *job.Spec) *harness {
	t.Helper()
	logs := &syncBuffer{}
	wh, err := warehouse.Open(t.TempDir(), warehouse.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	if store == nil {
		store = objstore.NewMemory()
	}
	h := &harness{t: t, kafka: c, wh: wh, store: store, spec: spec, logs: logs}
	t.Cleanup(func() {
		if t.Failed() || os.Getenv("WINDOW_TEST_LOGS") != "" {
			t.Logf("logs:\n%s", logs.String())
		}
	})
	return h
}

func (h *harness) env() window.Env {
	sk := h.sink
	if sk == nil {
		sk = h.wh
	}
	return window.Env{
		Dial:  h.kafka.dial,
		Sink:  sk,
		Store: h.store,
		Log:   slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Hooks: h.hooks,
	}
}

func (h *harness) run(tk time.Time) (*window.Report, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return window.Run(ctx, h.env(), h.spec, tk, nil)
}

func (h *harness) mustRun(tk time.Time) *window.Report {
	h.t.Helper()
	rep, err := h.run(tk)
	if err != nil {
		h.t.Fatalf("window %s: %v", tk.Format("15:04"), err)
	}
	return rep
}

// row is one warehouse row of ods_orders.
type row struct {
	Partition string
	Key       string
	KPart     int64
	Offset    int64
	EventMs   int64
	OrderID   string
	Amount    any
	Note      string
}

func (r row) String() string {
	return fmt.Sprintf("%s %d@%d key=%s ts=%d id=%s amount=%v note=%s", r.Partition, r.KPart, r.Offset, r.Key, r.EventMs, r.OrderID, r.Amount, r.Note)
}

// rows reads the whole table back, sorted; a table that does not exist yet has no rows.
func (h *harness) rows() []row {
	h.t.Helper()
	var out []row
	err := h.wh.Scan(context.Background(), table, nil, func(p schema.Partition, m map[string]any) error {
		s := func(k string) string { v, _ := m[k].(string); return v }
		i := func(k string) int64 { v, _ := m[k].(int64); return v }
		out = append(out, row{Partition: p.String(), Key: s("k"), KPart: i("kafka_partition"), Offset: i("kafka_offset"),
			EventMs: i("event_ms"), OrderID: s("order_id"), Amount: m["amount"], Note: s("note")})
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		h.t.Fatalf("scan %s: %v", table, err)
	}
	slices.SortFunc(out, func(a, b row) int { return strings.Compare(a.String(), b.String()) })
	return out
}

// ledger reads the job's window ledger from the object store.
func (h *harness) ledger() window.Ledger {
	h.t.Helper()
	v, err := state.New(h.store, "jobs/"+h.spec.Name+"/windows").Load(context.Background())
	if err != nil {
		h.t.Fatalf("ledger: %v", err)
	}
	var l window.Ledger
	if len(v.Data) > 0 {
		if err := json.Unmarshal(v.Data, &l); err != nil {
			h.t.Fatalf("ledger: %v", err)
		}
	}
	return l
}

// status is the ledger status of the window at tk ("" when it was never planned).
func (h *harness) status(tk time.Time) string {
	h.t.Helper()
	for _, w := range h.ledger().Windows {
		if w.Tick.Equal(tk) {
			return w.Status
		}
	}
	return ""
}

// dirtyLines reads the dirty-data object of the window at tk.
func (h *harness) dirtyLines(tk time.Time) []map[string]any {
	h.t.Helper()
	key := "dirty/" + h.spec.Name + "/" + tk.UTC().Format("20060102T150405Z") + ".jsonl"
	data, err := h.store.Get(context.Background(), key)
	if errors.Is(err, objstore.ErrNotFound) {
		return nil
	}
	if err != nil {
		h.t.Fatalf("dirty %s: %v", key, err)
	}
	var out []map[string]any
	for line := range bytes.Lines(data) {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			h.t.Fatalf("dirty %s: line %q: %v", key, line, err)
		}
		out = append(out, m)
	}
	return out
}

// copies counts rows per order id.
func copies(rows []row) map[string]int {
	n := map[string]int{}
	for _, r := range rows {
		n[r.OrderID]++
	}
	return n
}

// exactlyOnce fails unless every id in want appears in rows exactly once and nothing else does.
func exactlyOnce(t testing.TB, rows []row, want []string) {
	t.Helper()
	got := copies(rows)
	for _, id := range want {
		if got[id] != 1 {
			t.Errorf("order %s: %d copies, want 1", id, got[id])
		}
		delete(got, id)
	}
	for id, n := range got {
		t.Errorf("order %s: %d unexpected copies", id, n)
	}
}

// byPartition maps order id to the partition holding it.
func byPartition(rows []row) map[string]string {
	m := map[string]string{}
	for _, r := range rows {
		m[r.OrderID] = r.Partition
	}
	return m
}

func ids(recs []*kgo.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r.Key)
	}
	return out
}
