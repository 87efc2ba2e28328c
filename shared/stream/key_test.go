package stream_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/fcsync/fcsync/shared/job"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/record"
	"github.com/fcsync/fcsync/shared/stream"
)

// loadJobAs loads testdata/orders_rt.yaml, edited, in the given form: "yaml" as written, or
// "json", the same job as a JSON document.
func loadJobAs(t *testing.T, form string, edit func(string) string) *stream.Job {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "orders_rt.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	if edit != nil {
		doc = edit(doc)
	}
	if form == "json" {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		doc = string(b)
	}
	spec, err := job.LoadStream([]byte(doc), "orders_rt")
	if err != nil {
		t.Fatal(err)
	}
	j, err := stream.Compile(spec)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// withVersion makes the job's precombine field a "version" field of the record's value.
func withVersion(s string) string {
	s = strings.Replace(s, "        - {name: event_time, path: ts, type: TIMESTAMP}\n",
		"        - {name: event_time, path: ts, type: TIMESTAMP}\n        - {name: version, path: version, type: BIGINT}\n", 1)
	s = strings.Replace(s, "item_count, event_time]", "item_count, event_time, version]", 1)
	return strings.Replace(s, "precombine: src_offset", "precombine: version", 1)
}

// TestRecordsWithoutAKeyOrPrecombineAreDirtyAndTheRestIsWritten: a record whose primary key is
// missing, NULL or empty, a Kafka tombstone, and a record whose precombine field is NULL each
// become dirty data with their reason, counted against the error limit, and the good records
// of the batch are committed (Hudi itself fails the whole write on such a row).
func TestRecordsWithoutAKeyOrPrecombineAreDirtyAndTheRestIsWritten(t *testing.T) {
	bad := func(off int64, value string) record.Record {
		r := record.Record{Topic: "orders", Partition: 0, Offset: off, Timestamp: t0, Key: []byte("k")}
		if value != "" {
			r.Value = []byte(value)
		}
		return r
	}
	cases := []struct {
		name   string
		edit   func(string) string
		rec    record.Record
		where  string
		reason string
	}{
		{"missing key", nil, bad(10, `{"user":{"name":"n"},"amount":500,"ts":1717236000000}`), "writer.primaryKey", "primary key order_id is NULL or empty"},
		{"null key", nil, bad(10, `{"order_id":null,"amount":500,"ts":1717236000000}`), "writer.primaryKey", "primary key order_id is NULL or empty"},
		{"empty key", nil, bad(10, `{"order_id":"","amount":500,"ts":1717236000000}`), "writer.primaryKey", "primary key order_id is NULL or empty"},
		{"tombstone", nil, bad(10, ""), "input", "tombstone"},
		{"null precombine", withVersion, bad(10, `{"order_id":"v1","amount":500,"ts":1717236000000}`), "writer.precombine", "precombine field version is NULL"},
	}
	for _, form := range []string{"yaml", "json"} {
		for _, c := range cases {
			t.Run(form+"/"+c.name, func(t *testing.T) {
				store := objstore.NewMemory()
				good := orders(0, 0, 5)
				if c.edit != nil {
					for i := range good {
						good[i].Value = []byte(strings.Replace(string(good[i].Value), `"status"`, `"version":1,"status"`, 1))
					}
				}
				rep, err := loadJobAs(t, form, c.edit).Run(context.Background(), env(store, nil), append(good, c.rec))
				if err != nil {
					t.Fatalf("the batch failed: %v", err)
				}
				if !rep.Committed || rep.Dirty != 1 || rep.Written != 4 || rep.DirtyKey != "dirty/orders_rt/orders-0-0_orders-0-10.jsonl" {
					t.Fatalf("report %+v", rep)
				}
				equalIDs(t, snapshotIDs(t, store), kept(good))
				data, err := store.Get(context.Background(), rep.DirtyKey)
				if err != nil {
					t.Fatal(err)
				}
				var d stream.DirtyRecord
				if err := json.Unmarshal(data, &d); err != nil {
					t.Fatalf("dirty data %s: %v", data, err)
				}
				if d.Job != "orders_rt" || d.Offset != 10 || d.Where != c.where || !strings.Contains(d.Reason, c.reason) || d.Field == "" {
					t.Fatalf("dirty record %+v, want where %s, a field and a reason with %q", d, c.where, c.reason)
				}

				// Preview (localrun preview and simulate) shows the same dirty record.
				p, err := loadJobAs(t, form, c.edit).Preview(append(good, c.rec), nil, t0)
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Dirty) != 1 || p.Dirty[0] != d || len(p.Rows) != 4 {
					t.Fatalf("preview: %d rows, dirty %+v; want 4 rows and %+v", len(p.Rows), p.Dirty, d)
				}
			})
		}
	}
}

// TestKeylessRecordsCountAgainstTheErrorLimit: over setting.errorLimit.record, records without
// a key fail the batch before anything is written.
func TestKeylessRecordsCountAgainstTheErrorLimit(t *testing.T) {
	for _, form := range []string{"yaml", "json"} {
		t.Run(form, func(t *testing.T) {
			store := objstore.NewMemory()
			j := loadJobAs(t, form, func(s string) string { return strings.Replace(s, "record: 10", "record: 0", 1) })
			recs := append(orders(0, 0, 3), record.Record{Topic: "orders", Partition: 0, Offset: 3, Timestamp: t0})
			_, err := j.Run(context.Background(), env(store, nil), recs)
			var le *stream.ErrorLimitError
			if !errors.As(err, &le) || le.Dirty != 1 || !strings.Contains(err.Error(), "orders_rt") || !strings.Contains(err.Error(), "tombstone") {
				t.Fatalf("error %v, want an ErrorLimitError of job orders_rt naming the tombstone", err)
			}
			if ids := snapshotIDs(t, store); len(ids) != 0 {
				t.Fatalf("rows %v written over the error limit", ids)
			}
		})
	}
}
