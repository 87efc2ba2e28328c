package stream_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/job"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/record"
	"github.com/fcsync/fcsync/shared/sink"
	"github.com/fcsync/fcsync/shared/sink/maxcompute"
	"github.com/fcsync/fcsync/shared/sink/maxcompute/mctest"
	"github.com/fcsync/fcsync/shared/sink/sinktest"
	"github.com/fcsync/fcsync/shared/sink/warehouse"
	"github.com/fcsync/fcsync/shared/stream"
)

// tableEnv is one table sink under test with its state store and a clock.
type tableEnv struct {
	t     testing.TB
	name  string
	store *objstore.Memory // stream state, dirty data, MaxCompute commit records
	srv   *mctest.Server   // nil for the warehouse
	wh    *warehouse.Warehouse
	read  sinktest.Reader
	clock time.Time
	// mcOpts are the MaxCompute sink's options (default: 3-row blocks, so every batch
	// uploads several blocks per partition).
	mcOpts []maxcompute.Option
}

type tableTarget struct {
	name string
	open func(t testing.TB) *tableEnv
}

var tableTargets = []tableTarget{
	{"warehouse", func(t testing.TB) *tableEnv {
		w, err := warehouse.Open(t.TempDir(), warehouse.WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			t.Fatal(err)
		}
		return &tableEnv{t: t, name: "warehouse", store: objstore.NewMemory(), wh: w, read: sinktest.WarehouseReader(w), clock: t0}
	}},
	{"maxcompute", func(t testing.TB) *tableEnv {
		srv := mctest.New(t)
		return &tableEnv{t: t, name: "maxcompute", store: objstore.NewMemory(), srv: srv, read: sinktest.ServerReader(srv, srv.Project()), clock: t0}
	}},
}

// sink is the table sink as a fresh invocation opens it.
func (e *tableEnv) sink() sink.Sink {
	if e.wh != nil {
		return e.wh
	}
	s, err := maxcompute.New(maxcompute.Config{
		Endpoint: e.srv.Endpoint(), Project: e.srv.Project(),
		Credentials: maxcompute.Credentials{AccessKeyID: e.srv.AccessKeyID(), AccessKeySecret: e.srv.AccessKeySecret()},
	}, e.store, append([]maxcompute.Option{maxcompute.WithBlockRows(3), maxcompute.WithRetry(2, time.Millisecond), maxcompute.WithLogger(slog.New(slog.DiscardHandler))}, e.mcOpts...)...)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *tableEnv) env() stream.Env {
	return stream.Env{Lake: e.store, Sink: e.sink(), Now: func() time.Time { return e.clock }, Timeout: 10 * time.Minute}
}

// ids returns the order ids of the table (sorted, repeats kept) and the partition of each.
func (e *tableEnv) ids() ([]string, map[string]string) {
	e.t.Helper()
	c, err := e.read(context.Background(), "orders")
	if err != nil {
		if strings.Contains(err.Error(), "no such table") || strings.Contains(err.Error(), "NoSuchTable") || strings.Contains(err.Error(), "not exist") {
			return nil, nil
		}
		e.t.Fatal(err)
	}
	var ids []string
	where := map[string]string{}
	for p, rows := range c {
		for _, r := range rows {
			id := fmt.Sprint(r["order_id"])
			ids = append(ids, id)
			where[id] = p
		}
	}
	sort.Strings(ids)
	return ids, where
}

func loadTableJob(t testing.TB, edit func(string) string) *stream.Job {
	t.Helper()
	doc := mustReadTB(t, "testdata/orders_mc.yaml")
	if edit != nil {
		doc = edit(doc)
	}
	return compileDoc(t, doc)
}

func TestTableBatchesLandInTheirHourPartitionsOfTheJobsTimeZone(t *testing.T) {
	for _, tt := range tableTargets {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.open(t)
			j := loadTableJob(t, nil)
			recs := orders(0, 0, 8)
			rep, err := j.Run(context.Background(), e.env(), recs)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Committed || rep.Records != 8 || rep.Filtered != 1 || rep.Written != 7 || rep.Dirty != 0 {
				t.Fatalf("report %+v", rep)
			}
			ids, where := e.ids()
			equalIDs(t, ids, kept(recs))
			for _, r := range recs {
				if r.Offset%5 == 4 {
					continue
				}
				want := r.Timestamp.In(shanghai).Format("year=2006,month=01,day=02,hour=15")
				if got := where[string(r.Key)]; got != want {
					t.Errorf("%s is in partition %s, want %s", r.Key, got, want)
				}
			}
		})
	}
}

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

func TestRedeliveredAndRebatchedRecordsLandOnceInTheTable(t *testing.T) {
	cases := []struct {
		name    string
		batches [][]record.Record
	}{
		{"the same batch twice", [][]record.Record{orders(0, 0, 10), orders(0, 0, 10)}},
		{"a batch overlapping the last one", [][]record.Record{orders(0, 0, 10), orders(0, 5, 10)}},
		{"repeats inside one batch", [][]record.Record{append(orders(0, 0, 10), orders(0, 3, 4)...)}},
		{"an older batch after a newer one", [][]record.Record{orders(0, 0, 20), orders(0, 5, 5)}},
		{"two partitions interleaved", [][]record.Record{append(orders(1, 0, 6), orders(0, 0, 6)...), append(orders(0, 3, 6), orders(1, 6, 3)...)}},
	}
	for _, tt := range tableTargets {
		for _, c := range cases {
			t.Run(tt.name+"/"+c.name, func(t *testing.T) {
				e := tt.open(t)
				j := loadTableJob(t, nil)
				all := map[string]record.Record{}
				for _, b := range c.batches {
					if _, err := j.Run(context.Background(), e.env(), b); err != nil {
						t.Fatal(err)
					}
					for _, r := range b {
						all[string(r.Key)] = r
					}
				}
				var recs []record.Record
				for _, r := range all {
					recs = append(recs, r)
				}
				ids, _ := e.ids()
				equalIDs(t, ids, kept(recs))
			})
		}
	}
}

// crashHooks counts every state-store operation and every request to the MaxCompute server
// as one step and crashes the invocation at step k: its context is canceled and the step
// fails, before it takes effect or once it has.
type crashHooks struct {
	n     atomic.Int64
	crash int64
	after bool
	stop  context.CancelFunc
}

var errInjected = errors.New("injected crash")

func (h *crashHooks) install(e *tableEnv) {
	e.store.SetHook(func(ctx context.Context, op objstore.Op, key string) error {
		if h.n.Add(1) != h.crash {
			return nil
		}
		h.stop()
		if h.after {
			e.store.FailNextAfter(op, errInjected)
			return nil
		}
		return errInjected
	})
	if e.srv != nil {
		e.srv.SetHook(func(op mctest.Op) *mctest.Fault {
			if h.n.Add(1) != h.crash {
				return nil
			}
			h.stop()
			if h.after {
				return &mctest.Fault{Kind: mctest.FaultReplyLost}
			}
			return &mctest.Fault{Kind: mctest.FaultCut}
		})
	}
}

func (h *crashHooks) remove(e *tableEnv) {
	e.store.SetHook(nil)
	if e.srv != nil {
		e.srv.SetHook(nil)
	}
}

// TestCrashAtEveryStepThenRedeliveryOrRebatchingWritesEachRecordOnce crashes a batch at
// every state operation and every MaxCompute request, before and after it takes effect, and
// then delivers the records again as the trigger may: the same batch at once; or, once the
// crashed invocation is surely gone, a shorter batch and then the rest; or a longer batch.
func TestCrashAtEveryStepThenRedeliveryOrRebatchingWritesEachRecordOnce(t *testing.T) {
	// Three hours of orders: the batch writes three partitions, committed one by one.
	first := orders(0, 0, 9)
	for i := range first {
		first[i] = order(0, int64(i), fmt.Sprintf("c%02d", i), 200)
		first[i].Timestamp = t0.Add(time.Duration(i%3) * time.Hour)
		first[i].Value = []byte(strings.Replace(string(first[i].Value), fmt.Sprint(t0.Add(time.Duration(i)*time.Hour).UnixMilli()), fmt.Sprint(first[i].Timestamp.UnixMilli()), 1))
	}
	rest := orders(0, 9, 6)
	redeliveries := []struct {
		name    string
		wait    bool // the clock passes the crashed invocation's deadline first
		batches [][]record.Record
	}{
		{"same batch at once", false, [][]record.Record{first, rest}},
		{"shorter batch then the rest", true, [][]record.Record{first[:4], append(first[4:], rest...)}},
		{"longer batch", true, [][]record.Record{append(append([]record.Record(nil), first...), rest...)}},
	}
	var want []string
	for _, r := range first {
		want = append(want, string(r.Key)) // all above the filter
	}
	want = append(want, kept(rest)...)
	sort.Strings(want)
	for _, tt := range tableTargets {
		t.Run(tt.name, func(t *testing.T) {
			var steps int64
			{
				e := tt.open(t)
				h := &crashHooks{stop: func() {}}
				h.install(e)
				if _, err := loadTableJob(t, nil).Run(context.Background(), e.env(), first); err != nil {
					t.Fatal(err)
				}
				steps = h.n.Load()
			}
			if steps < 6 {
				t.Fatalf("a clean batch made only %d steps", steps)
			}
			for k := int64(1); k <= steps; k++ {
				for _, after := range []bool{false, true} {
					rd := redeliveries[int(k)%len(redeliveries)]
					name := fmt.Sprintf("step=%03d/%s/%s", k, map[bool]string{false: "before", true: "after"}[after], rd.name)
					t.Run(name, func(t *testing.T) {
						e := tt.open(t)
						j := loadTableJob(t, nil)
						ctx, cancel := context.WithCancel(context.Background())
						defer cancel()
						h := &crashHooks{crash: k, after: after, stop: cancel}
						h.install(e)
						_, err := j.Run(ctx, e.env(), first)
						h.remove(e)
						if err == nil && !after {
							t.Fatalf("the batch did not notice the crash at step %d", k)
						}
						if rd.wait {
							e.clock = e.clock.Add(time.Hour)
						}
						for i, b := range rd.batches {
							if _, err := j.Run(context.Background(), e.env(), b); err != nil {
								t.Fatalf("redelivery %d: %v", i, err)
							}
						}
						ids, _ := e.ids()
						equalIDs(t, ids, want)
					})
				}
			}
		})
	}
}

func TestABatchOverlappingAnInvocationStillCommittingWaitsForItsDeadline(t *testing.T) {
	e := tableTargets[0].open(t)
	j := loadTableJob(t, nil)
	// The first invocation stops right after recording its intent (the sink never sees it).
	ctx, cancel := context.WithCancel(context.Background())
	var creates atomic.Int64
	e.store.SetHook(func(_ context.Context, op objstore.Op, key string) error {
		if op == objstore.OpCreateIfAbsent && strings.HasPrefix(key, "state/stream/") && creates.Add(1) == 1 {
			cancel()
			e.store.FailNextAfter(op, errInjected)
		}
		return nil
	})
	if _, err := j.Run(ctx, e.env(), orders(0, 0, 10)); err == nil {
		t.Fatal("the crashed batch succeeded")
	}
	e.store.SetHook(nil)
	// A different batch over the same records (a longer one): refused while the first may
	// still commit.
	_, err := j.Run(context.Background(), e.env(), orders(0, 0, 15))
	if !errors.Is(err, stream.ErrStillCommitting) || !strings.Contains(err.Error(), "retry later") {
		t.Fatalf("error %v, want ErrStillCommitting", err)
	}
	// Records of another source partition are not held up.
	if _, err := j.Run(context.Background(), e.env(), orders(1, 0, 5)); err != nil {
		t.Fatal(err)
	}
	// Past the deadline (10 minutes of timeout and a margin) the batch runs.
	e.clock = e.clock.Add(13 * time.Minute)
	if _, err := j.Run(context.Background(), e.env(), orders(0, 0, 15)); err != nil {
		t.Fatal(err)
	}
	if rep, err := j.Run(context.Background(), e.env(), orders(0, 0, 10)); err != nil || rep.Committed {
		t.Fatalf("the first batch again: %+v, %v", rep, err)
	}
	ids, _ := e.ids()
	equalIDs(t, ids, kept(append(orders(0, 0, 15), orders(1, 0, 5)...)))
}

func TestConcurrentInvocationsOnDifferentPartitionsKeepEachOthersOffsets(t *testing.T) {
	for _, tt := range tableTargets {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.open(t)
			j := loadTableJob(t, nil)
			var all []record.Record
			var wg sync.WaitGroup
			errs := make(chan error, 16)
			for p := int32(0); p < 4; p++ {
				batches := [][]record.Record{orders(p, 0, 6), orders(p, 6, 6), orders(p, 3, 6)}
				all = append(all, orders(p, 0, 12)...)
				wg.Go(func() {
					for _, b := range batches {
						if _, err := j.Run(context.Background(), e.env(), b); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			ids, _ := e.ids()
			equalIDs(t, ids, kept(all))
			// Every partition's offsets survived the others' updates: all of it again is a
			// pure redelivery.
			rep, err := j.Run(context.Background(), e.env(), all)
			if err != nil || rep.Committed || rep.Duplicates != len(all) {
				t.Fatalf("redelivery of everything: %+v, %v", rep, err)
			}
		})
	}
}

func TestHostileOrMissingPartitionValuesMakeRecordsDirty(t *testing.T) {
	byStatus := func(doc string) string {
		return strings.Replace(doc, "partition: {time: event_time, levels: [year, month, day, hour]}", "partition: {fields: [status], columns: [st]}", 1)
	}
	withStatus := func(off int64, status string) record.Record {
		r := order(0, off, fmt.Sprintf("s%d", off), 500)
		r.Value = []byte(strings.Replace(string(r.Value), `"status":"paid"`, `"status":`+status, 1))
		return r
	}
	recs := []record.Record{
		withStatus(0, `"paid"`), withStatus(1, `"../../etc"`), withStatus(2, `""`), withStatus(3, `null`),
		withStatus(4, `"a,b=c"`), withStatus(5, `"refunded"`), withStatus(6, `"`+strings.Repeat("x", 200)+`"`),
	}
	for _, tt := range tableTargets {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.open(t)
			j := loadTableJob(t, byStatus)
			rep, err := j.Run(context.Background(), e.env(), recs)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Written != 2 || rep.Dirty != 5 {
				t.Fatalf("report %+v, want 2 written and 5 dirty", rep)
			}
			data, err := e.store.Get(context.Background(), rep.DirtyKey)
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(string(data), `"where":"writer.partition","field":"status"`); n != 5 {
				t.Errorf("%d dirty lines name the partition field:\n%s", n, data)
			}
			_, where := e.ids()
			if where["s0"] != "st=paid" || where["s5"] != "st=refunded" || len(where) != 2 {
				t.Errorf("partitions %v", where)
			}
		})
	}
}

func TestAddColumnPolicyAddsTheColumnToTheTable(t *testing.T) {
	dyn := func(s string) string {
		s = strings.Replace(s, "        - {name: event_time, path: ts, type: TIMESTAMP}\n",
			"        - {name: event_time, path: ts, type: TIMESTAMP}\n      dynamic: {path: extra}\n", 1)
		s = strings.Replace(s, "      keep: [order_id, user_name, email, amount, status, item_count, event_time]\n", "", 1)
		s = strings.Replace(s, "  - edit:\n      add:", "  - edit:\n      drop: [__key__, __value__, __partition__, __headers__, __offset__, __timestamp__]\n      add:", 1)
		return s + "mapping: {dynamic: {policy: add}}\n"
	}
	r0 := order(0, 0, "d0", 500)
	r1 := order(0, 1, "d1", 500)
	r1.Value = []byte(strings.Replace(string(r1.Value), `"status"`, `"extra":{"coupon":"SPRING"},"status"`, 1))
	for _, tt := range tableTargets {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.open(t)
			rep, err := loadTableJob(t, dyn).Run(context.Background(), e.env(), []record.Record{r0, r1})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.DDL) != 1 || rep.DDL[0].Column.Name != "coupon" {
				t.Fatalf("DDL %+v", rep.DDL)
			}
			c, err := e.read(context.Background(), "orders")
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]any{}
			for _, rows := range c {
				for _, r := range rows {
					got[fmt.Sprint(r["order_id"])] = r["coupon"]
				}
			}
			if got["d0"] != nil || got["d1"] != "SPRING" {
				t.Fatalf("coupon column: %v", got)
			}
			// The next batch finds the column in the table: nothing to add.
			r2 := order(0, 2, "d2", 500)
			r2.Value = []byte(strings.Replace(string(r2.Value), `"status"`, `"extra":{"coupon":"AUTUMN"},"status"`, 1))
			rep, err = loadTableJob(t, dyn).Run(context.Background(), e.env(), []record.Record{r2})
			if err != nil || len(rep.DDL) != 0 || rep.Written != 1 {
				t.Fatalf("second batch: %+v, %v", rep, err)
			}
		})
	}
}

func mustReadTB(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func compileDoc(t testing.TB, doc string) *stream.Job {
	t.Helper()
	spec, err := job.LoadStream([]byte(doc), "x")
	if err != nil {
		t.Fatal(err)
	}
	j, err := stream.Compile(spec)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// FuzzTablePartitionValues previews records whose partition field and time field hold
// arbitrary JSON: each record is a row in a partition that passes schema validation, or dirty
// data with its reason; nothing panics.
func FuzzTablePartitionValues(f *testing.F) {
	byRegion := compileDoc(f, `name: f
timezone: Asia/Shanghai
reader: {type: kafka, valueFormat: json}
processors:
  - json:
      fields:
        - {name: region, path: region}
        - {name: ts, path: ts}
writer: {type: maxcompute, table: t, partition: {fields: [region], columns: [region_p]}}
`)
	byTime := compileDoc(f, `name: f
timezone: Asia/Shanghai
reader: {type: kafka, valueFormat: json}
processors:
  - json:
      fields:
        - {name: region, path: region}
        - {name: ts, path: ts}
writer: {type: maxcompute, table: t, partition: {time: ts, levels: [year, month, day, hour]}}
`)
	for _, s := range []string{`"east"`, `"../etc"`, `""`, `null`, `12`, `"a/b"`, `"..", "x"`, `1717200000000`, `"2024-06-01 10:00:00"`, `-99999999999999999`, `{"x":1}`, `"` + strings.Repeat("é", 100) + `"`} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, region, ts string) {
		rec := record.Record{Topic: "t", Offset: 1, Timestamp: t0, Value: []byte(`{"region":` + region + `,"ts":` + ts + `}`)}
		for _, j := range []*stream.Job{byRegion, byTime} {
			p, err := j.Preview([]record.Record{rec}, nil, t0)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Rows)+len(p.Dirty) != 1 || len(p.Partitions) != len(p.Rows) {
				t.Fatalf("%d rows, %d partitions, %d dirty", len(p.Rows), len(p.Partitions), len(p.Dirty))
			}
			for _, part := range p.Partitions {
				if len(part) == 0 {
					t.Fatal("empty partition")
				}
				for _, pv := range part {
					if err := pv.Validate(); err != nil {
						t.Fatalf("partition %s: %v", part, err)
					}
				}
			}
			for _, d := range p.Dirty {
				if d.Reason == "" {
					t.Fatalf("dirty record without a reason: %+v", d)
				}
			}
		}
	})
}

func TestTheStreamStateStaysSmallOverManyBatches(t *testing.T) {
	e := tableTargets[0].open(t)
	j := loadTableJob(t, nil)
	for b := range 40 {
		if _, err := j.Run(context.Background(), e.env(), orders(int32(b%2), b*3, 3)); err != nil {
			t.Fatal(err)
		}
	}
	keys, _, err := e.store.List(context.Background(), "state/"+stream.StateScopePrefix+"orders_mc/", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	// Two versions a batch: 80 written, the log pruned to its newest 64 every 16.
	if len(keys) == 0 || len(keys) > 64+16 {
		t.Fatalf("%d state versions after 40 batches", len(keys))
	}
	ids, _ := e.ids()
	var all []record.Record
	for b := range 40 {
		all = append(all, orders(int32(b%2), b*3, 3)...)
	}
	equalIDs(t, ids, kept(all))
}

// BenchmarkTableBatch runs 500-record batches (orders a minute apart: 9 hour partitions
// each) into each table sink: state load, transform, intent, commit, offsets.
func BenchmarkTableBatch(b *testing.B) {
	for _, tt := range tableTargets {
		b.Run(tt.name, func(b *testing.B) {
			e := tt.open(b)
			e.mcOpts = []maxcompute.Option{maxcompute.WithBlockRows(1 << 20)} // blocks by size, as in production
			j := loadTableJob(b, nil)
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				recs := orders(0, n*500, 500)
				for i := range recs {
					r := order(0, recs[i].Offset, string(recs[i].Key), 200)
					ts := t0.Add(time.Duration(r.Offset) * time.Minute)
					r.Value = []byte(strings.Replace(string(r.Value), fmt.Sprint(r.Timestamp.UnixMilli()), fmt.Sprint(ts.UnixMilli()), 1))
					recs[i] = r
				}
				rep, err := j.Run(context.Background(), e.env(), recs)
				if err != nil || rep.Written != 500 {
					b.Fatalf("%+v, %v", rep, err)
				}
				n++
			}
			b.ReportMetric(float64(500*n)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

func TestTimePartitionsAreCutInTheJobsTimeZone(t *testing.T) {
	const doc = `name: tp
timezone: Asia/Shanghai
reader: {type: kafka, valueFormat: json}
processors:
  - json:
      fields:
        - {name: ms, path: ms, type: BIGINT}
        - {name: text, path: text}
        - {name: at, path: ms, type: TIMESTAMP}
writer: {type: maxcompute, table: t, partition: {time: FIELD, levels: LEVELS, columns: COLUMNS}}
`
	at := time.Date(2024, 12, 31, 16, 30, 0, 0, time.UTC) // 2025-01-01 00:30 in Shanghai
	rec := record.Record{Topic: "t", Offset: 1, Timestamp: at.Add(-time.Hour),
		Value: []byte(fmt.Sprintf(`{"ms":%d,"text":"2025-01-01 00:30:00"}`, at.UnixMilli()))}
	cases := []struct {
		field, levels, columns, want string
	}{
		{"ms", "[year, month, day, hour]", "[year, month, day, hour]", "year=2025,month=01,day=01,hour=00"},
		{"at", "[year, month, day]", "[y, m, d]", "y=2025,m=01,d=01"},
		{"text", "[year, month]", "[yr, mo]", "yr=2025,mo=01"},
		{"__timestamp__", "[year, month, day, hour]", "[year, month, day, hour]", "year=2024,month=12,day=31,hour=23"},
	}
	for _, c := range cases {
		t.Run(c.field, func(t *testing.T) {
			d := strings.NewReplacer("FIELD", c.field, "LEVELS", c.levels, "COLUMNS", c.columns).Replace(doc)
			p, err := compileDoc(t, d).Preview([]record.Record{rec}, nil, at)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Partitions) != 1 || p.Partitions[0].String() != c.want {
				t.Fatalf("partitions %v, dirty %+v; want %s", p.Partitions, p.Dirty, c.want)
			}
		})
	}
}
