package stream_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/record"
	"github.com/fcsync/fcsync/shared/runlog"
	"github.com/fcsync/fcsync/shared/stream"
)

// withDynamic gives the job dynamic fields from the value's "extra" object under policy.
func withDynamic(policy string) func(string) string {
	return func(s string) string {
		s = strings.Replace(s, "        - {name: event_time, path: ts, type: TIMESTAMP}\n",
			"        - {name: event_time, path: ts, type: TIMESTAMP}\n      dynamic: {path: extra}\n", 1)
		s = strings.Replace(s, "      keep: [order_id, user_name, email, amount, status, item_count, event_time]\n", "", 1)
		s = strings.Replace(s, "  - edit:\n      add:", "  - edit:\n      drop: [__key__, __value__, __partition__, __headers__, __offset__, __timestamp__]\n      add:", 1)
		return s + "mapping: {dynamic: {policy: " + policy + "}}\n"
	}
}

// TestDynamicColumnPolicyErrorStopsTheStream: DataWorks' "Report Error" stops the task. A batch
// with a dynamic field the table lacks fails with a *StopError naming the job, the record and
// the field; nothing of it is written (the good records before the field included), a retry
// fails the same way, so the stream does not move past the record; the run record carries
// error class "stopped" for the alert rules. Under policy add or ignore the job cannot stop.
func TestDynamicColumnPolicyErrorStopsTheStream(t *testing.T) {
	for _, form := range []string{"yaml", "json"} {
		t.Run(form, func(t *testing.T) {
			store := objstore.NewMemory()
			j := loadJobAs(t, form, withDynamic("error"))
			if !j.StopsOnNewFields() {
				t.Fatal("a job with dynamic fields under policy error says it cannot stop")
			}
			good := order(0, 0, "a", 500)
			bad := order(0, 1, "b", 500)
			bad.Value = []byte(strings.Replace(string(bad.Value), `"status"`, `"extra":{"coupon":"SPRING"},"status"`, 1))
			batch := []record.Record{good, bad, order(0, 2, "c", 500)}
			for attempt := 1; attempt <= 2; attempt++ {
				rep, err := j.Run(context.Background(), env(store, nil), batch)
				var se *stream.StopError
				if !errors.As(err, &se) || se.Job != "orders_rt" || se.Field != "coupon" || se.Record != "orders/0@1" {
					t.Fatalf("attempt %d: error %v, want a StopError of job orders_rt at orders/0@1, field coupon", attempt, err)
				}
				for _, want := range []string{"orders_rt", "orders/0@1", "coupon", "mapping.dynamic.policy"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not name %s", err, want)
					}
				}
				rec := runlog.FromStream("orders_rt", rep, err, batch, runlog.Invocation{Function: "stream"})
				if rec.Status != runlog.Failed || rec.ErrorClass != runlog.ClassStopped || rec.Counts.Written != 0 {
					t.Fatalf("run record %+v, want failed, error class stopped, nothing written", rec)
				}
				if ids := snapshotIDs(t, store); len(ids) != 0 {
					t.Fatalf("attempt %d: rows %v written by a stopped batch", attempt, ids)
				}
			}
			// A failure of another kind is no stop.
			if rec := runlog.FromStream("orders_rt", nil, errors.New("lake: 503"), nil, runlog.Invocation{Function: "stream"}); rec.ErrorClass != "" {
				t.Errorf("error class %q for a lake failure", rec.ErrorClass)
			}
			for _, policy := range []string{"add", "ignore"} {
				if loadJobAs(t, form, withDynamic(policy)).StopsOnNewFields() {
					t.Errorf("policy %s: the job says it can stop", policy)
				}
			}
			if loadJobAs(t, form, nil).StopsOnNewFields() {
				t.Error("a job without dynamic fields says it can stop")
			}
		})
	}
}
