package sinktest_test

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/sink"
	"github.com/fcsync/fcsync/shared/sink/maxcompute"
	"github.com/fcsync/fcsync/shared/sink/maxcompute/mctest"
	"github.com/fcsync/fcsync/shared/sink/sinktest"
	"github.com/fcsync/fcsync/shared/sink/warehouse"
)

func warehouseTarget() sinktest.Target {
	return sinktest.Target{Name: "warehouse", Open: func(t *testing.T) (sink.Sink, sinktest.Reader) {
		w, err := warehouse.Open(t.TempDir(), warehouse.WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			t.Fatal(err)
		}
		return w, sinktest.WarehouseReader(w)
	}}
}

// maxcomputeTarget writes through the SDK to the test server; small blocks so that every
// scenario uploads several blocks per partition.
func maxcomputeTarget() sinktest.Target {
	return sinktest.Target{Name: "maxcompute", Open: func(t *testing.T) (sink.Sink, sinktest.Reader) {
		srv := mctest.New(t)
		s, err := maxcompute.New(maxcompute.Config{
			Endpoint: srv.Endpoint(), Project: srv.Project(),
			Credentials: maxcompute.Credentials{AccessKeyID: srv.AccessKeyID(), AccessKeySecret: srv.AccessKeySecret()},
		}, objstore.NewMemory(), maxcompute.WithBlockRows(2), maxcompute.WithRetry(2, time.Millisecond),
			maxcompute.WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if u := srv.Unexpected(); len(u) > 0 {
				t.Errorf("the sink asked the server for what it does not implement: %q", u)
			}
		})
		return s, sinktest.ServerReader(srv, srv.Project())
	}}
}

func TestEverySinkHoldsTheGoldenContents(t *testing.T) {
	for _, target := range []sinktest.Target{warehouseTarget(), maxcomputeTarget()} {
		t.Run(target.Name, func(t *testing.T) { sinktest.Run(t, target) })
	}
}

func TestEverySinkHoldsTheGoldenRealtimeContents(t *testing.T) {
	for _, target := range []sinktest.Target{warehouseTarget(), maxcomputeTarget()} {
		t.Run(target.Name, func(t *testing.T) { sinktest.RunRealtime(t, target) })
	}
}

// TestRealtimeScenariosHoldEveryDeliveredRecordOnce checks what the golden files say, from the
// batches alone: every record delivered that the job keeps is one row.
func TestRealtimeScenariosHoldEveryDeliveredRecordOnce(t *testing.T) {
	for _, sc := range sinktest.RealtimeScenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			got := sinktest.PlayRealtime(t, warehouseTarget(), sc)
			want := map[string]bool{}
			for _, b := range sc.Batches {
				for _, r := range b.Records {
					v := string(r.Value)
					if strings.Contains(v, `"amount":-1`) && strings.Contains(sc.Job, "filter:") || strings.Contains(v, `"id":900`) {
						continue // filtered, or dirty (a bad region)
					}
					want[fmt.Sprintf("%s/%d@%d", r.Topic, r.Partition, r.Offset)] = true
				}
			}
			seen := map[string]int{}
			for _, line := range strings.Split(got, "\n") {
				if !strings.HasPrefix(line, "  ") {
					continue
				}
				f := map[string]int64{}
				for _, kv := range strings.Fields(line) {
					k, v, _ := strings.Cut(kv, "=")
					if n, err := strconv.ParseInt(v, 10, 64); err == nil {
						f[k] = n
					}
				}
				var key string
				switch {
				case f["src_offset"] != 0 || strings.Contains(line, "src_offset="):
					key = fmt.Sprintf("orders/%d@%d", f["src_partition"], f["src_offset"])
				case strings.Contains(line, "kafka_offset="):
					key = fmt.Sprintf("orders/%d@%d", f["kafka_partition"], f["kafka_offset"])
				default:
					key = fmt.Sprintf("orders/%d@%d", f["id"]/1000, f["id"]%1000)
				}
				seen[key]++
			}
			for k, n := range seen {
				if n != 1 || !want[k] {
					t.Errorf("record %s: %d rows (delivered and kept: %v)", k, n, want[k])
				}
			}
			for k := range want {
				if seen[k] == 0 {
					t.Errorf("record %s is missing", k)
				}
			}
		})
	}
}
