package hudi_test

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/lake/hudi"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schema"
)

var orderColumns = []schema.Column{
	{Name: "order_id", Type: schema.String},
	{Name: "user_name", Type: schema.String},
	{Name: "amount", Type: schema.Double},
	{Name: "status", Type: schema.String},
	{Name: "item_count", Type: schema.BigInt},
	{Name: "version", Type: schema.BigInt},
	{Name: "created", Type: schema.Timestamp},
}

func ordersConfig(p hudi.Partitioning) hudi.Config {
	return hudi.Config{Name: "orders", Columns: orderColumns, RecordKey: []string{"order_id"}, Precombine: "version", Partitioning: p}
}

var baseTime = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// order builds a row of orderColumns.
func order(id int, user string, version int64, created time.Time) schema.Row {
	return schema.Row{fmt.Sprintf("o-%05d", id), user, float64(id) + 0.25, "new", int64(id % 7), version, created}
}

// fakeClock returns times one second apart, starting at baseTime.
func fakeClock() func() time.Time {
	var mu sync.Mutex
	n := 0
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		n++
		return baseTime.Add(time.Duration(n) * time.Second)
	}
}

// jumpClock stands still until a test moves it: archiving tests move it past the archive grace
// period between commits, so that archiving may archive them.
type jumpClock struct {
	mu  sync.Mutex
	now time.Time
}

// archiveGraceJump is more than the default archive grace period.
const archiveGraceJump = 2 * time.Hour

func newJumpClock() *jumpClock { return &jumpClock{now: baseTime} }

func (c *jumpClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *jumpClock) Jump(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fakeIDs returns UUID-shaped sequential ids.
func fakeIDs() func() string {
	var mu sync.Mutex
	n := 0
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		n++
		return fmt.Sprintf("00000000-0000-4000-8000-%012d", n)
	}
}

// stores are the store implementations every table test runs on.
var stores = []struct {
	name string
	new  func(t *testing.T) objstore.Store
}{
	{"memory", func(t *testing.T) objstore.Store { return objstore.NewMemory() }},
	{"dir", func(t *testing.T) objstore.Store {
		d, err := objstore.NewDir(filepath.Join(t.TempDir(), "store"))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}},
}

func forEachStore(t *testing.T, fn func(t *testing.T, s objstore.Store)) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) { fn(t, st.new(t)) })
	}
}

func mustCreate(t *testing.T, s objstore.Store, root string, cfg hudi.Config, opts ...hudi.Option) *hudi.Table {
	t.Helper()
	tbl, err := hudi.Create(t.Context(), s, root, cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

func mustWrite(t *testing.T, tbl *hudi.Table, b hudi.Batch) hudi.Result {
	t.Helper()
	res, err := tbl.Write(t.Context(), b)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// rowsByKey reads a snapshot into column-name maps keyed by _hoodie_record_key; a key seen
// twice fails the test.
func rowsByKey(t *testing.T, tbl *hudi.Table) map[string]map[string]any {
	t.Helper()
	snap, err := tbl.Snapshot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	err = snap.Scan(t.Context(), func(r hudi.Row) error {
		m := map[string]any{}
		for i, c := range r.Columns() {
			m[c] = r.Values[i]
		}
		k := m["_hoodie_partition_path"].(string) + "|" + m["_hoodie_record_key"].(string)
		if _, dup := out[k]; dup {
			t.Errorf("record %s appears twice", k)
		}
		out[k] = m
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestMain(m *testing.M) {
	// Writers log lost races and housekeeping; tests check outcomes, not logs.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	code := m.Run()
	stopSparkSessions()
	os.Exit(code)
}
