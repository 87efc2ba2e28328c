package main

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fcsync/fcsync/localrun/kafkatrigger"
	"github.com/fcsync/fcsync/shared/trigger"
)

// tableRows reads a Hudi table's rows by order_id, without Hudi's metadata columns (commit
// times and file names differ from run to run).
func tableRows(t *testing.T, dir string) map[string]map[string]any {
	t.Helper()
	var out bytes.Buffer
	ok, err := queryHudi(t.Context(), dir, &out)
	if err != nil || !ok {
		t.Fatalf("query %s: table %v, %v", dir, ok, err)
	}
	rows := map[string]map[string]any{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var row map[string]any
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatalf("row %q: %v", line, err)
		}
		maps.DeleteFunc(row, func(k string, _ any) bool { return strings.HasPrefix(k, "_hoodie") })
		id, _ := row["order_id"].(string)
		if _, dup := rows[id]; dup || id == "" {
			t.Fatalf("order %q twice or without an id in %s", id, dir)
		}
		rows[id] = row
	}
	return rows
}

// TestStreamThroughMixedBatchesWritesWhatCleanBatchesWrite drives the stream function with the
// emulated Kafka trigger over one topic of three partitions, first one partition per batch and
// no faults, then with consumer tasks that mix partitions in a batch, with duplicates and lost
// acknowledgements: the function's per-partition checkpoints make the repeats harmless, so
// every run writes the same rows.
func TestStreamThroughMixedBatchesWritesWhatCleanBatchesWrite(t *testing.T) {
	broker, err := startBroker("", "", map[string]int32{"orders": 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(broker.Close)
	addrs := broker.ListenAddrs()
	if _, err := produce(t.Context(), addrs, shopOrders("orders", 240, time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC), time.Second, 7)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	jobPath := filepath.Join(dir, "orders_rt.yaml")
	if err := os.WriteFile(jobPath, demoStreamJob, 0o644); err != nil {
		t.Fatal(err)
	}
	drive := func(t *testing.T, name string, opts ...kafkatrigger.Option) (kafkatrigger.Stats, *streamTotals, map[string]map[string]any) {
		t.Helper()
		lake := filepath.Join(dir, name)
		st, totals, err := driveStream(t.Context(), addrs, "orders", "g-"+name, jobPath, lake, "", false, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return st, totals, tableRows(t, filepath.Join(lake, "lake", "orders_rt"))
	}
	_, clean, want := drive(t, "clean", kafkatrigger.WithBatch(40, 0))
	if len(want) < 100 || clean.duplicates != 0 {
		t.Fatalf("the clean run wrote %d rows and skipped %d records as committed: want most of 240 orders, none skipped", len(want), clean.duplicates)
	}

	tests := []struct {
		name    string
		opts    []kafkatrigger.Option
		repeats bool // the trigger delivers records again
	}{
		{"one task mixing three partitions", []kafkatrigger.Option{kafkatrigger.WithConsumerTasks(1)}, false},
		{"one mixing task, every shape, duplicates and lost acks", []kafkatrigger.Option{kafkatrigger.WithConsumerTasks(1),
			kafkatrigger.WithShapes(trigger.KafkaShapes...), kafkatrigger.WithDuplicateEvery(3), kafkatrigger.WithAckLossEvery(4)}, true},
		{"two tasks over three partitions, duplicates", []kafkatrigger.Option{kafkatrigger.WithConsumerTasks(2), kafkatrigger.WithDuplicateEvery(2)}, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, totals, got := drive(t, strings.Repeat("m", i+1), append([]kafkatrigger.Option{kafkatrigger.WithBatch(40, 0)}, tt.opts...)...)
			if st.Records != 240 {
				t.Errorf("the trigger delivered %d records, want 240", st.Records)
			}
			if repeated := st.Duplicates+st.AckLosses > 0 && totals.duplicates > 0; repeated != tt.repeats {
				t.Errorf("repeats: trigger %d duplicates, %d lost acks; function skipped %d records as committed; want repeats %v",
					st.Duplicates, st.AckLosses, totals.duplicates, tt.repeats)
			}
			if len(got) != len(want) {
				t.Errorf("%d rows, want %d as the clean run wrote", len(got), len(want))
			}
			for id, row := range want {
				if !reflect.DeepEqual(got[id], row) {
					t.Errorf("order %s: %v, want %v as the clean run wrote", id, got[id], row)
				}
			}
		})
	}
}
