package sinktest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/job"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/record"
	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/sink"
	"github.com/fcsync/fcsync/shared/stream"
)

// RealtimeScenario is a stream job (package stream) with a MaxCompute writer taking a series
// of Kafka-trigger batches into the sink: time partitions by hour, dynamic field partitions,
// redeliveries, and batches re-cut after an invocation stopped half-way through its commit.
type RealtimeScenario struct {
	Name    string
	Job     string // the job document (YAML)
	Batches []Batch
	Table   string
}

// Batch is one invocation of a realtime scenario.
type Batch struct {
	Records []record.Record
	// Wait moves the clock forward before the batch (past a stopped invocation's deadline).
	Wait time.Duration
	// StopAfter, when > 0, stops the invocation once its sink has committed this many of the
	// batch's partitions (in partition order): the rest is never committed and the job's
	// state keeps the batch's intent, as when the function is killed mid-commit.
	StopAfter int
	// WantErr is a text the batch's error must hold; empty: the batch must succeed (or stop
	// as StopAfter says).
	WantErr string
}

// RunRealtime plays every realtime scenario against target and compares the contents with
// the golden files (the same files for every sink).
func RunRealtime(t *testing.T, target Target) {
	for _, sc := range RealtimeScenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			Golden(t, sc.Name, PlayRealtime(t, target, sc))
		})
	}
}

// PlayRealtime runs a realtime scenario on a fresh sink of target and returns the canonical
// contents of its table.
func PlayRealtime(t *testing.T, target Target, sc RealtimeScenario) string {
	t.Helper()
	ctx := context.Background()
	spec, err := job.LoadStream([]byte(sc.Job), sc.Name)
	if err != nil {
		t.Fatal(err)
	}
	j, err := stream.Compile(spec)
	if err != nil {
		t.Fatal(err)
	}
	s, read := target.Open(t)
	if _, ok := s.(sink.Resolver); !ok {
		t.Fatalf("%s: the sink is not a sink.Resolver", target.Name)
	}
	clock := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	store := objstore.NewMemory()
	for i, b := range sc.Batches {
		clock = clock.Add(b.Wait)
		env := stream.Env{Lake: store, Sink: &stopping{Sink: s, after: b.StopAfter}, Now: func() time.Time { return clock }, Timeout: 10 * time.Minute}
		_, err := j.Run(ctx, env, b.Records)
		switch {
		case b.WantErr != "" && (err == nil || !strings.Contains(err.Error(), b.WantErr)):
			t.Fatalf("%s: batch %d: error %v, want one saying %q", target.Name, i+1, err, b.WantErr)
		case b.StopAfter > 0 && err == nil:
			t.Fatalf("%s: batch %d did not stop", target.Name, i+1)
		case b.WantErr == "" && b.StopAfter == 0 && err != nil:
			t.Fatalf("%s: batch %d: %v", target.Name, i+1, err)
		}
	}
	c, err := read(ctx, sc.Table)
	if err != nil {
		t.Fatalf("%s: read %s: %v", target.Name, sc.Table, err)
	}
	return "table " + sc.Table + "\n" + Canonical(c)
}

// stopping is a sink whose sessions, with after > 0, commit their first after partitions
// (each as a session of the same segment, which the sinks commit per partition anyway) and
// then fail as a killed invocation would.
type stopping struct {
	sink.Sink
	after int
}

func (s *stopping) Committed(ctx context.Context, table, segment string, p schema.Partition) (bool, error) {
	return s.Sink.(sink.Resolver).Committed(ctx, table, segment, p)
}

func (s *stopping) Begin(ctx context.Context, spec sink.SessionSpec) (sink.Session, error) {
	if s.after <= 0 {
		return s.Sink.Begin(ctx, spec)
	}
	return &stoppingSession{s: s, spec: spec, rows: map[string][]schema.Row{}, parts: map[string]schema.Partition{}}, nil
}

type stoppingSession struct {
	s     *stopping
	spec  sink.SessionSpec
	rows  map[string][]schema.Row
	parts map[string]schema.Partition
}

func (ss *stoppingSession) Write(_ context.Context, p schema.Partition, row schema.Row) error {
	k := p.String()
	ss.parts[k] = p
	ss.rows[k] = append(ss.rows[k], row)
	return nil
}

func (ss *stoppingSession) Commit(ctx context.Context) error {
	keys := make([]string, 0, len(ss.parts))
	for k := range ss.parts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i == ss.s.after {
			return fmt.Errorf("the invocation was stopped after committing %d of %d partitions", i, len(keys))
		}
		sess, err := ss.s.Sink.Begin(ctx, ss.spec)
		if err != nil {
			return err
		}
		for _, r := range ss.rows[k] {
			if err := sess.Write(ctx, ss.parts[k], r); err != nil {
				return err
			}
		}
		if err := sess.Commit(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (ss *stoppingSession) Abort(context.Context) error { return nil }

// The realtime scenarios' jobs. Values are JSON orders: id, region, amount, ts (epoch ms).
const (
	realtimeHourJob = `name: rt_hours
timezone: Asia/Shanghai
reader: {type: kafka, topic: orders, valueFormat: json}
processors:
  - json:
      fields:
        - {name: id, path: id, type: BIGINT}
        - {name: region, path: region}
        - {name: amount, path: amount, type: DOUBLE}
        - {name: ts, path: ts, type: TIMESTAMP}
  - filter: {field: amount, op: ">=", value: 0}
  - edit:
      keep: [id, region, amount, ts]
      add:
        - {name: src_partition, attribute: partition}
        - {name: src_offset, attribute: offset}
writer:
  type: maxcompute
  table: rt_orders
  partition: {time: ts, levels: [year, month, day, hour]}
  lifecycle: 7
`
	realtimeFieldJob = `name: rt_regions
timezone: UTC
reader: {type: kafka, topic: orders, valueFormat: json}
processors:
  - json:
      fields:
        - {name: id, path: id, type: BIGINT}
        - {name: region, path: region}
        - {name: amount, path: amount, type: DOUBLE}
  - edit:
      keep: [id, region, amount]
writer:
  type: odps
  table: rt_regions
  schema:
    - {name: id, type: BIGINT}
    - {name: amount, type: DOUBLE}
  partition: {fields: [region], columns: [region_p]}
`
	realtimeTimestampJob = `name: rt_arrival
timezone: UTC
reader: {type: kafka, topic: orders, valueFormat: text}
processors:
  - edit:
      drop: [__key__, __headers__, __timestamp__]
      rename:
        - {from: __value__, to: body}
        - {from: __partition__, to: kafka_partition}
        - {from: __offset__, to: kafka_offset}
writer:
  type: maxcompute
  table: rt_arrival
  partition: {time: __timestamp__, levels: [year, month, day]}
`
)

var rtBase = time.Date(2024, 6, 1, 8, 30, 0, 0, time.UTC)

// rtOrder is order id on Kafka partition p at offset off; its time is minute min after
// rtBase (and its Kafka timestamp a second after that).
func rtOrder(p int32, off int64, id int, region string, amount float64, min int) record.Record {
	ts := rtBase.Add(time.Duration(min) * time.Minute)
	v := fmt.Sprintf(`{"id":%d,"region":%q,"amount":%g,"ts":%d}`, id, region, amount, ts.UnixMilli())
	return record.Record{Topic: "orders", Partition: p, Offset: off, Timestamp: ts.Add(time.Second), Key: []byte(fmt.Sprint(id)), Value: []byte(v)}
}

// rtOrders are n orders on partition p from offset from, 25 minutes apart, so they spread
// over hours (and, in Shanghai, over a day boundary at 16:00 UTC).
func rtOrders(p int32, from, n int) []record.Record {
	regions := []string{"east", "west", "north"}
	var out []record.Record
	for i := from; i < from+n; i++ {
		amount := float64(i) + 0.5
		if i%7 == 6 {
			amount = -1 // filtered
		}
		out = append(out, rtOrder(p, int64(i), int(p)*1000+i, regions[i%3], amount, i*25+int(p)*7))
	}
	return out
}

func joinBatches(bs ...[]record.Record) []record.Record {
	var out []record.Record
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

// RealtimeScenarios returns the realtime suite.
func RealtimeScenarios() []RealtimeScenario {
	bad := []record.Record{
		{Topic: "orders", Partition: 0, Offset: 6, Timestamp: rtBase, Value: []byte(`{"id":9001,"region":"../../etc","amount":1}`)},
		{Topic: "orders", Partition: 0, Offset: 7, Timestamp: rtBase, Value: []byte(`{"id":9002,"region":"","amount":2}`)},
		{Topic: "orders", Partition: 0, Offset: 8, Timestamp: rtBase, Value: []byte(`{"id":9003,"amount":3}`)},
	}
	return []RealtimeScenario{
		{
			Name: "realtime-hour-partitions",
			Job:  realtimeHourJob,
			Batches: []Batch{
				{Records: rtOrders(0, 0, 10)},
				{Records: joinBatches(rtOrders(1, 0, 12), rtOrders(0, 10, 10))},
				{Records: rtOrders(1, 12, 30)},
			},
			Table: "rt_orders",
		},
		{
			Name: "realtime-field-partitions",
			Job:  realtimeFieldJob,
			Batches: []Batch{
				{Records: joinBatches(rtOrders(0, 0, 6), bad, rtOrders(1, 0, 4))},
				{Records: rtOrders(0, 9, 6)},
			},
			Table: "rt_regions",
		},
		{
			Name: "realtime-record-timestamp-partitions",
			Job:  realtimeTimestampJob,
			Batches: []Batch{
				{Records: rtOrders(0, 0, 40)},
				{Records: rtOrders(0, 30, 30)},
			},
			Table: "rt_arrival",
		},
		{
			Name: "realtime-redelivery",
			Job:  realtimeHourJob,
			Batches: []Batch{
				{Records: rtOrders(0, 0, 10)},
				{Records: rtOrders(0, 0, 10)},                                 // the same batch again
				{Records: rtOrders(0, 5, 10)},                                 // overlapping the last one
				{Records: joinBatches(rtOrders(0, 0, 15), rtOrders(0, 3, 4))}, // all of it, with repeats
				{Records: rtOrders(0, 2, 3)},                                  // an older batch after newer ones
				{Records: joinBatches(rtOrders(1, 0, 5), rtOrders(0, 12, 6))}, // two partitions, one overlapping
				{Records: joinBatches(rtOrders(0, 15, 3), rtOrders(1, 0, 5))}, // and the other way round
			},
			Table: "rt_orders",
		},
		{
			Name: "realtime-rebatching-after-a-crash",
			Job:  realtimeHourJob,
			Batches: []Batch{
				{Records: rtOrders(0, 0, 4)},
				// Five hours of orders; the invocation is killed after two partitions.
				{Records: rtOrders(0, 4, 12), StopAfter: 2},
				// The trigger retries the same batch at once: it finishes the segment.
				{Records: rtOrders(0, 4, 12), StopAfter: 3},
				// A longer batch over it: refused while the stopped one may still commit...
				{Records: rtOrders(0, 4, 20), WantErr: "still committing"},
				// ... and taken once its deadline passed, without the rows already in.
				{Records: rtOrders(0, 4, 20), Wait: time.Hour},
				// Then a shorter redelivery of what is in, and the next batch.
				{Records: rtOrders(0, 4, 6)},
				{Records: rtOrders(0, 24, 4)},
				// Another crash on partition 1, retried later as a shorter batch and the rest.
				{Records: rtOrders(1, 0, 10), StopAfter: 1},
				{Records: rtOrders(1, 0, 5), Wait: time.Hour},
				{Records: rtOrders(1, 5, 8)},
			},
			Table: "rt_orders",
		},
	}
}
