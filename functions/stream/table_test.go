package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fcsync/fcsync/localrun/fcruntime"
	"github.com/fcsync/fcsync/shared/record"
	"github.com/fcsync/fcsync/shared/sink/maxcompute/mctest"
	"github.com/fcsync/fcsync/shared/sink/sinktest"
	"github.com/fcsync/fcsync/shared/sink/warehouse"
	"github.com/fcsync/fcsync/shared/trigger"
)

// TestBinaryAppendsKafkaBatchesToAMaxComputeTableOnce builds the function and drives it
// through the emulated FC runtime API with a job whose writer is a MaxCompute table: once
// into the MaxCompute test server, which knows only the invocation's STS keys, and once into
// the local warehouse (no FCSYNC_ODPS_PROJECT). Batches overlap and one is a redelivery;
// every record lands once, in the hour partition of its timestamp.
func TestBinaryAppendsKafkaBatchesToAMaxComputeTableOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "main")
	if err := fcruntime.Build(".", bin); err != nil {
		t.Fatal(err)
	}
	job, _ := filepath.Abs(filepath.Join("testdata", "events_mc.yaml"))
	base := time.Date(2024, 6, 1, 9, 59, 58, 0, time.UTC)
	var recs []record.Record
	for i := range 8 {
		recs = append(recs, record.Record{Topic: "orders", Partition: int32(i % 2), Offset: int64(100 + i/2),
			Timestamp: base.Add(time.Duration(i) * time.Second), Key: []byte(fmt.Sprintf("k%d", i)), Value: []byte(fmt.Sprintf(`{"n":%d}`, i))})
	}
	encode := func(shape trigger.KafkaShape, rs []record.Record) []byte {
		b, err := trigger.EncodeKafka(rs, shape)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	creds := fcruntime.Credentials{AccessKeyID: "STS.stream-id", AccessKeySecret: "stream-secret-value-xyz", SecurityToken: "stream-token"}
	for _, dest := range []string{"maxcompute", "warehouse"} {
		t.Run(dest, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			rt, err := fcruntime.Start(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer rt.Close()
			root := filepath.Join(dir, dest)
			env := []string{"FCSYNC_JOB_FILE=" + job, "FCSYNC_LAKE=" + filepath.Join(root, "lake"), "FCSYNC_STATE=" + filepath.Join(root, "state"),
				"FCSYNC_WAREHOUSE=" + filepath.Join(root, "wh")}
			var read sinktest.Reader
			if dest == "maxcompute" {
				mc := mctest.New(t, mctest.WithAccount(creds.AccessKeyID, creds.AccessKeySecret), mctest.WithSecurityToken(creds.SecurityToken))
				env = append(env, "FCSYNC_ODPS_PROJECT="+mctest.DefaultProject, "FCSYNC_ODPS_ENDPOINT="+mc.Endpoint())
				read = sinktest.ServerReader(mc, mctest.DefaultProject)
			}
			var logs fcruntime.Output
			proc, err := rt.StartProcess(ctx, bin, env, &logs, &logs)
			if err != nil {
				t.Fatal(err)
			}
			defer proc.Stop()
			steps := []struct {
				name, status string
				event        []byte
			}{
				{"first half as CloudEvents", "committed", encode(trigger.ShapeCloudEvents, recs[:4])},
				{"all of it as RawData (half is a redelivery)", "committed", encode(trigger.ShapeRawData, recs)},
				{"all of it again", "duplicate", encode(trigger.ShapeCloudEventStrings, recs)},
			}
			for _, st := range steps {
				res, err := rt.Invoke(ctx, st.event, fcruntime.InvokeOptions{Timeout: time.Minute, Credentials: creds})
				if err != nil {
					t.Fatalf("%s: invoke: %v\nlogs:\n%s", st.name, err, logs.String())
				}
				if res.Err != nil {
					t.Fatalf("%s: function error: %s\nlogs:\n%s", st.name, res.Err.Message, logs.String())
				}
				var out struct {
					Status string `json:"status"`
				}
				if err := json.Unmarshal(res.Payload, &out); err != nil || out.Status != st.status {
					t.Fatalf("%s: response %s, want status %s", st.name, res.Payload, st.status)
				}
			}
			if read == nil {
				wh, err := warehouse.Open(filepath.Join(root, "wh"))
				if err != nil {
					t.Fatal(err)
				}
				read = sinktest.WarehouseReader(wh)
			}
			c, err := read(ctx, "events")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for p, rows := range c {
				for _, r := range rows {
					got = append(got, fmt.Sprintf("%s %v/%v@%v", p, r["topic"], r["kafka_partition"], r["kafka_offset"]))
				}
			}
			sort.Strings(got)
			var want []string
			for _, r := range recs {
				want = append(want, fmt.Sprintf("%s %s/%d@%d", r.Timestamp.Format("year=2006,month=01,day=02,hour=15"), r.Topic, r.Partition, r.Offset))
			}
			sort.Strings(want)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("table holds\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if strings.Contains(logs.String(), creds.AccessKeySecret) {
				t.Error("the function logged the STS secret")
			}
		})
	}
}
