package runlog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/fieldmap"
	"github.com/fcsync/fcsync/shared/kafka"
	"github.com/fcsync/fcsync/shared/record"
	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/stream"
	"github.com/fcsync/fcsync/shared/window"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// noTime drops slog's own time so the line is stable.
func noTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

func TestSummaryIsOneJSONLinePerInvocation(t *testing.T) {
	lag := int64(42)
	ok := rec("orders_5min", t0, "req-1", Succeeded)
	ok.Window = &Window{Tick: t0.Add(-time.Minute), Partition: "ds=202406010952", Rerun: true}
	ok.Offsets = []Range{{Partition: 0, Start: 100, End: 200}, {Partition: 1, Start: 7, End: 9}}
	ok.Counts.Late = 3
	ok.DataTime, ok.Lag, ok.PeakMemoryMB, ok.MemoryMB = t0.Add(-time.Minute), &lag, 101.5, 512
	ok.DirtyKey = "dirty/orders_5min/20240601T095900Z.jsonl"
	bad := rec("orders_rt", t0, "req-2", Failed)
	bad.Function, bad.Retry = "stream", 2
	bad.Offsets = []Range{{Topic: "orders", Partition: 2, Start: 5, End: 6}}
	bad.DDL = []DDL{{Kind: "AddColumn", Table: "orders_rt", Column: "coupon", Type: "STRING"}}
	bad.Error = "hudi commit: put lake/x: token=abcdef0123 expired"

	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: noTime}))
	Summary(context.Background(), log, ok)
	Summary(context.Background(), log, bad)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want one per invocation:\n%s", len(lines), buf.String())
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil || m["msg"] != SummaryMessage {
			t.Errorf("line is not a summary JSON object: %s (%v)", l, err)
		}
	}
	golden(t, "summary.golden", buf.Bytes())
}

func TestFromWindowRecordsTheWindowReport(t *testing.T) {
	tick := time.Date(2024, 6, 1, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	rep := &window.Report{Job: "orders_5min", Tick: tick, Partition: "ds=202406010952", Rerun: true,
		Ranges:   map[int32]kafka.Range{1: {Start: 7, End: 9}, 0: {Start: 100, End: 200}},
		Counts:   window.Counts{Read: 102, Written: 95, Dirty: 7, Late: 4},
		DirtyKey: "dirty/orders_5min/x.jsonl",
		Warnings: []string{"kafkaConfig session.timeout.ms is not applied: windows read their planned offsets without joining the consumer group"}}
	inv := Invocation{Function: "batch", ID: "req", Retry: 1, Started: t0, Finished: t0.Add(time.Second),
		MemoryMB: 512, Timeout: 15 * time.Minute, PeakMemoryMB: 88}
	got := FromWindow("orders_5min", rep, nil, inv)
	want := Record{Job: "orders_5min", Function: "batch", Invocation: "req", Status: Succeeded, Retry: 1,
		Started: t0, Finished: t0.Add(time.Second),
		Window:  &Window{Tick: tick, Partition: "ds=202406010952", Rerun: true},
		Offsets: []Range{{Partition: 0, Start: 100, End: 200}, {Partition: 1, Start: 7, End: 9}},
		Counts:  Counts{Read: 102, Processed: 102, Written: 95, Dirty: 7, Late: 4}, DataTime: tick, DirtyKey: "dirty/orders_5min/x.jsonl",
		PeakMemoryMB: 88, MemoryMB: 512, TimeoutMS: 900000, Warnings: rep.Warnings}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FromWindow =\n%+v\nwant\n%+v", got, want)
	}
	if got.MemoryPercent() != 88.0/512*100 || got.DurationPercent() != 1000.0/900000*100 {
		t.Errorf("memory %v%% duration %v%%", got.MemoryPercent(), got.DurationPercent())
	}

	failed := FromWindow("orders_5min", nil, errors.New("job orders_5min: kafka: dial: refused"), inv)
	if failed.Status != Failed || failed.Error == "" || failed.Window != nil || !failed.DataTime.IsZero() {
		t.Errorf("failed before planning: %+v", failed)
	}
	partial := FromWindow("orders_5min", rep, errors.New("sink: commit: timeout"), inv)
	if partial.Status != Failed || partial.Window == nil || !partial.DataTime.IsZero() {
		t.Errorf("a failed window must keep its plan but claim no data time: %+v", partial)
	}
}

func TestFromStreamRecordsTheBatchReport(t *testing.T) {
	inv := Invocation{Function: "stream", ID: "req", Started: t0, Finished: t0.Add(time.Second)}
	recs := []record.Record{{Timestamp: t0.Add(-3 * time.Second)}, {Timestamp: t0.Add(-time.Second)}, {Timestamp: t0.Add(-2 * time.Second)}}
	rep := &stream.Report{Job: "orders_rt", Records: 3, Duplicates: 1, Filtered: 1, Dirty: 0, Written: 1, Committed: true,
		Offsets: map[string][2]int64{"orders/1": {10, 11}, "orders.v2/0": {5, 5}},
		DDL:     []fieldmap.DDLEvent{{Kind: "AddColumn", Table: "orders_rt", Column: schema.Column{Name: "coupon", Type: schema.String}, Topic: "orders", Partition: 1, Offset: 11}}}
	got := FromStream("orders_rt", rep, nil, recs, inv)
	want := Record{Job: "orders_rt", Function: "stream", Invocation: "req", Status: Succeeded, Started: t0, Finished: t0.Add(time.Second),
		Offsets:  []Range{{Topic: "orders", Partition: 1, Start: 10, End: 12}, {Topic: "orders.v2", Partition: 0, Start: 5, End: 6}},
		Counts:   Counts{Read: 3, Processed: 2, Written: 1, Filtered: 1, Duplicates: 1},
		DDL:      []DDL{{Kind: "AddColumn", Table: "orders_rt", Column: "coupon", Type: "STRING", Topic: "orders", Partition: 1, Offset: 11}},
		DataTime: t0.Add(-time.Second)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FromStream =\n%+v\nwant\n%+v", got, want)
	}
	rep.Committed = false
	if got := FromStream("orders_rt", rep, nil, recs, inv); got.Status != Skipped || !got.OK() {
		t.Errorf("a batch with nothing new: status %s", got.Status)
	}
	if got := FromStream("orders_rt", nil, errors.New("trigger: element 0: bad json"), nil, inv); got.Status != Failed || got.OK() {
		t.Errorf("undecodable payload: %+v", got)
	}
}

// TestAFailedRunRecordsNothingWrittenAndWhatItAttempted: a window whose session held rows when
// it failed, or a micro-batch whose commit failed, committed nothing: the record (and so the
// summary line and localrun status) says written 0, and the rows in "attempted".
func TestAFailedRunRecordsNothingWrittenAndWhatItAttempted(t *testing.T) {
	inv := Invocation{Function: "batch", ID: "req", Started: t0, Finished: t0.Add(time.Second)}
	win := &window.Report{Job: "orders_5min", Tick: t0, Counts: window.Counts{Read: 300, Written: 289, Dirty: 11}}
	var batch stream.Report
	if err := json.Unmarshal([]byte(`{"job":"orders_rt","records":40,"filtered":8,"attempted":32}`), &batch); err != nil {
		t.Fatal(err)
	}
	fail := errors.New("sink: commit: timeout")
	for _, c := range []struct {
		name string
		rec  Record
		want string
	}{
		{"failed window", FromWindow("orders_5min", win, fail, inv), `"counts":{"read":300,"written":0,"dirty":11,"attempted":289,"processed":300}`},
		{"committed window", FromWindow("orders_5min", win, nil, inv), `"counts":{"read":300,"written":289,"dirty":11,"processed":300}`},
		{"failed batch", FromStream("orders_rt", &batch, fail, nil, inv), `"counts":{"read":40,"written":0,"dirty":0,"filtered":8,"attempted":32,"processed":40}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			data, err := json.Marshal(c.rec)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(data), c.want) {
				t.Errorf("record %s\nwant %s", data, c.want)
			}
			var logs bytes.Buffer
			Summary(context.Background(), slog.New(slog.NewJSONHandler(&logs, nil)), c.rec)
			var line map[string]any
			if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
				t.Fatal(err)
			}
			if line["written"] != float64(c.rec.Counts.Written) || (c.rec.Status == Failed) != (line["attempted"] != nil) {
				t.Errorf("summary line %s", logs.Bytes())
			}
		})
	}
}
