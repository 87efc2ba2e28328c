package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fcsync/fcsync/localrun/fcruntime"
	"github.com/fcsync/fcsync/shared/lake/hudi"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/record"
	"github.com/fcsync/fcsync/shared/runlog"
	"github.com/fcsync/fcsync/shared/trigger"
)

func sample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "fc-events", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestBinaryWritesKafkaTriggerBatchesThroughFCRuntimeAPI builds the function and drives it as
// a separate process through the emulated FC runtime API with the official sample events, fcsync's
// own encodings of a batch in every shape, a redelivery and malformed payloads; the Hudi table
// then holds every record exactly once.
func TestBinaryWritesKafkaTriggerBatchesThroughFCRuntimeAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "main")
	if err := fcruntime.Build(".", bin); err != nil {
		t.Fatal(err)
	}
	job, _ := filepath.Abs(filepath.Join("testdata", "events_rt.yaml"))
	lake := filepath.Join(dir, "lake")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rt, err := fcruntime.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	var logs fcruntime.Output
	proc, err := rt.StartProcess(ctx, bin, []string{"FCSYNC_JOB_FILE=" + job, "FCSYNC_LAKE=" + lake}, &logs, &logs)
	if err != nil {
		t.Fatal(err)
	}
	defer proc.Stop()

	var recs []record.Record
	for i := range 6 {
		recs = append(recs, record.Record{Topic: "orders", Partition: int32(i % 2), Offset: int64(100 + i/2),
			Timestamp: time.UnixMilli(1700000000000 + int64(i)).UTC(), Key: []byte(fmt.Sprintf("k%d", i)), Value: []byte(fmt.Sprintf(`{"n":%d}`, i))})
	}
	encode := func(shape trigger.KafkaShape, rs []record.Record) string {
		b, err := trigger.EncodeKafka(rs, shape)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	cases := []struct {
		name, event string
		wantStatus  string // or wantError
		wantError   string
	}{
		{"official CloudEvents sample", sample(t, "kafka-cloudevents.json"), "committed", ""},
		{"official CloudEvent strings sample", sample(t, "kafka-cloudevents-strings.json"), "committed", ""},
		{"official Lambda sample", sample(t, "lambda-kafka.json"), "committed", ""},
		{"first half as CloudEvents", encode(trigger.ShapeCloudEvents, recs[:3]), "committed", ""},
		{"all of it as RawData (half is a redelivery)", encode(trigger.ShapeRawData, recs), "committed", ""},
		{"all of it again as CloudEvent strings", encode(trigger.ShapeCloudEventStrings, recs), "duplicate", ""},
		{"malformed JSON", `[{"specversion":`, "", "JSON"},
		{"a record without an offset", `[{"data":{"topic":"t","partition":0,"value":"x"}}]`, "", "offset"},
		{"a timer event sent to the wrong function", sample(t, "timer.json"), "", "kafka"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := rt.Invoke(ctx, []byte(tc.event), fcruntime.InvokeOptions{Timeout: time.Minute})
			if err != nil {
				t.Fatalf("invoke: %v\nlogs:\n%s", err, logs.String())
			}
			if tc.wantError != "" {
				if res.Err == nil || !strings.Contains(strings.ToLower(res.Err.Message), strings.ToLower(tc.wantError)) {
					t.Fatalf("want a function error mentioning %q, got %+v / %s", tc.wantError, res.Err, res.Payload)
				}
				return
			}
			if res.Err != nil {
				t.Fatalf("function error: %s\nlogs:\n%s", res.Err.Message, logs.String())
			}
			var out struct {
				Status string `json:"status"`
			}
			if err := json.Unmarshal(res.Payload, &out); err != nil || out.Status != tc.wantStatus {
				t.Fatalf("response %s, want status %s", res.Payload, tc.wantStatus)
			}
		})
	}

	// The table: the samples' records and each of ours, once.
	store, err := objstore.NewDir(lake)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := hudi.Open(ctx, store, "lake/events")
	if err != nil {
		t.Fatal(err)
	}
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	err = snap.Scan(ctx, func(r hudi.Row) error {
		topic, _ := r.Get("topic")
		p, _ := r.Get("kafka_partition")
		o, _ := r.Get("kafka_offset")
		keys = append(keys, fmt.Sprintf("%v/%v@%v", topic, p, o))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(keys)
	got := strings.Join(keys, " ")
	for _, want := range []string{"orders/0@100", "orders/0@101", "orders/0@102", "orders/1@100", "orders/1@101", "orders/1@102"} {
		if strings.Count(got, want) != 1 {
			t.Errorf("%s appears %d times in %s", want, strings.Count(got, want), got)
		}
	}
	// The Lambda sample's header value is binary (not UTF-8); the job drops __headers__, so
	// the record is a row like any other and there is no dirty data.
	for _, want := range []string{"****/7@25", "HelloTopic/9@3", "AWSKafkaTopic/0@0"} {
		if strings.Count(got, want) != 1 {
			t.Errorf("the sample record %s appears %d times in %s", want, strings.Count(got, want), got)
		}
	}
	if keys, _, err := store.List(ctx, "dirty/", "", 0); err != nil || len(keys) != 0 {
		t.Errorf("dirty data %v (%v): no record of the samples is dirty", keys, err)
	}
	// One run record per invocation in the lake store (FCSYNC_RUNS defaults to it): five
	// committed, the pure redelivery was skipped, the three refused payloads failed.
	runs, err := runlog.New(store).List(ctx, runlog.Query{Job: "events_rt", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	status := map[runlog.Status]int{}
	for _, r := range runs {
		status[r.Status]++
		if r.Function != "stream" || r.Invocation == "" {
			t.Errorf("run record %+v", r)
		}
	}
	if status[runlog.Succeeded] != 5 || status[runlog.Skipped] != 1 || status[runlog.Failed] != 3 || len(runs) != len(cases) {
		t.Errorf("run records by status %v (%d records), want 5 succeeded, 1 skipped and 3 failed", status, len(runs))
	}
}
