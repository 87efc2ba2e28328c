package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fcsync/fcsync/localrun/fcruntime"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/runlog"
	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/sink/maxcompute/mctest"
	"github.com/fcsync/fcsync/shared/sink/warehouse"
)

// buildFunction builds this function's binary as `make build` does (static, linux).
func buildFunction(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "main")
	if err := fcruntime.Build(".", bin); err != nil {
		t.Fatal(err)
	}
	return bin
}

const hourlyJob = `name: hourly_orders
timezone: Asia/Shanghai
schedule: "0 5 * * * *"
parameters: startTime=$[yyyymmddhh24-1/24]0000 endTime=$[yyyymmddhh24]0000 partition=$[yyyymmddhh24]
reader:
  type: kafka
  datasource: shop_kafka
  topic: orders
  column: [__key__, __value__, __partition__, __offset__, __timestamp__, order_id]
  keyType: STRING
  valueType: STRING
  beginDateTime: ${startTime}
  endDateTime: ${endTime}
  kafkaConfig: {sasl.jaas.config: "", client.id: fcsync-test}
writer:
  type: odps
  table: orders_hourly
  partition: ds=${partition}
  truncate: true
  column: [k, v, p, o, ts, order_id]
`

// TestBinaryRunsHourlyWindowThroughFCRuntimeAPI drives the built function as a separate process
// through the emulated FC runtime API: a timer event at 10:05 (Asia/Shanghai) reads [09:00, 10:00)
// and writes partition ds=2022112210, as the hourly example of "DataWorks: Synchronize
// incremental data from Kafka to MaxCompute" says.
func TestBinaryRunsHourlyWindowThroughFCRuntimeAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	bin := buildFunction(t)
	for _, dest := range []string{"warehouse", "maxcompute"} {
		t.Run("into "+dest, func(t *testing.T) { runHourlyWindow(t, bin, dest) })
	}
}

// runHourlyWindow runs the scenario with the function writing to the local warehouse or, through
// the FC runtime's per-invocation STS keys, to the MaxCompute test server.
func runHourlyWindow(t *testing.T, bin, dest string) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "orders"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	base := time.Date(2022, 11, 22, 8, 50, 0, 0, loc)
	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...), kgo.RequiredAcks(kgo.AllISRAcks()))
	if err != nil {
		t.Fatal(err)
	}
	var recs []*kgo.Record
	want := map[string]bool{}
	for i := range 90 { // one a minute, 08:50 .. 10:19
		ts := base.Add(time.Duration(i) * time.Minute)
		id := fmt.Sprintf("o-%03d", i)
		if !ts.Before(base.Add(10*time.Minute)) && ts.Before(base.Add(70*time.Minute)) {
			want[id] = true
		}
		recs = append(recs, &kgo.Record{Topic: "orders", Key: []byte(id), Value: []byte(`{"order_id":"` + id + `"}`), Timestamp: ts})
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	cl.Close()

	dir := t.TempDir()
	jobs := filepath.Join(dir, "jobs")
	if err := os.MkdirAll(jobs, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(jobs, "hourly_orders.yaml"), []byte(hourlyJob), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rt, err := fcruntime.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	creds := fcruntime.Credentials{AccessKeyID: "STS.test-id", AccessKeySecret: "test-secret-value-xyz", SecurityToken: "test-token"}
	env := []string{
		"FCSYNC_JOBS=" + jobs,
		"FCSYNC_STATE=" + filepath.Join(dir, "state"),
		"FCSYNC_WAREHOUSE=" + filepath.Join(dir, "wh"),
		`FCSYNC_DATASOURCES={"shop_kafka":{"server":"` + cluster.ListenAddrs()[0] + `"}}`,
	}
	var mc *mctest.Server
	if dest == "maxcompute" {
		// The server knows only the invocation's STS keys: the function must sign with them.
		mc = mctest.New(t, mctest.WithAccount(creds.AccessKeyID, creds.AccessKeySecret), mctest.WithSecurityToken(creds.SecurityToken))
		env = append(env, "FCSYNC_ODPS_PROJECT="+mctest.DefaultProject, "FCSYNC_ODPS_ENDPOINT="+mc.Endpoint())
	}
	var logs fcruntime.Output
	proc, err := rt.StartProcess(ctx, bin, env, &logs, &logs)
	if err != nil {
		t.Fatal(err)
	}
	defer proc.Stop()

	cases := []struct {
		name      string
		event     string
		wantError string
	}{
		// the timer fires 7 s late: the window is still the 10:05 tick
		{"timer event", `{"triggerTime":"2022-11-22T02:05:07Z","triggerName":"hourly","payload":"{\"job\":\"hourly_orders\"}"}`, ""},
		{"duplicate delivery", `{"triggerTime":"2022-11-22T02:05:00Z","triggerName":"hourly","payload":"hourly_orders"}`, ""},
		// the same handler serves AWS scheduled events (the Lambda adapter passes them unchanged)
		{"aws scheduled event", `{"version":"0","id":"e1","detail-type":"Scheduled Event","source":"aws.events","account":"1","time":"2022-11-22T02:05:00Z","region":"us-east-1","resources":["arn:aws:events:us-east-1:1:rule/hourly"],"detail":{"payload":"hourly_orders"}}`, ""},
		{"malformed event", `{"triggerTime":`, "JSON"},
		{"unknown job", `{"triggerTime":"2022-11-22T02:05:00Z","triggerName":"hourly","payload":"nope"}`, "nope"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := rt.Invoke(ctx, []byte(tc.event), fcruntime.InvokeOptions{Timeout: time.Minute, Credentials: creds})
			if err != nil {
				t.Fatalf("invoke: %v\nlogs:\n%s", err, logs.String())
			}
			if tc.wantError != "" {
				if res.Err == nil || !strings.Contains(res.Err.Message, tc.wantError) {
					t.Fatalf("want a function error mentioning %q, got %+v / %s", tc.wantError, res.Err, res.Payload)
				}
				return
			}
			if res.Err != nil {
				t.Fatalf("function error: %s\nlogs:\n%s", res.Err.Message, logs.String())
			}
			var out struct {
				Status string `json:"status"`
				Report struct {
					Partition string `json:"partition"`
					Read      int64  `json:"read"`
					Written   int64  `json:"written"`
				} `json:"report"`
			}
			if err := json.Unmarshal(res.Payload, &out); err != nil {
				t.Fatalf("response %s: %v", res.Payload, err)
			}
			if out.Status != "succeeded" || out.Report.Partition != "ds=2022112210" || out.Report.Written != int64(len(want)) {
				t.Fatalf("response %s: want succeeded, ds=2022112210, %d written", res.Payload, len(want))
			}
		})
	}

	got := map[string]int{}
	if mc != nil {
		if parts, err := mc.Partitions(mctest.DefaultProject, "orders_hourly"); err != nil || !slices.Equal(parts, []string{"ds=2022112210"}) {
			t.Errorf("partitions %v (%v), want ds=2022112210 only", parts, err)
		}
		rows, err := mc.Rows(mctest.DefaultProject, "orders_hourly", "ds=2022112210")
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			got[r[5].(string)]++ // order_id
		}
	} else {
		wh, err := warehouse.Open(filepath.Join(dir, "wh"))
		if err != nil {
			t.Fatal(err)
		}
		err = wh.Scan(ctx, "orders_hourly", nil, func(p schema.Partition, row map[string]any) error {
			if p.String() != "ds=2022112210" {
				t.Errorf("row in partition %s", p)
			}
			got[row["order_id"].(string)]++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("partition holds %d orders, want %d", len(got), len(want))
	}
	for id, n := range got {
		if !want[id] || n != 1 {
			t.Errorf("order %s: %d copies (wanted in window: %v)", id, n, want[id])
		}
	}
	if strings.Contains(logs.String(), "test-secret-value-xyz") {
		t.Error("the function logged the STS secret")
	}
	var summary bool
	for _, line := range strings.Split(logs.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == runlog.SummaryMessage && m["job"] == "hourly_orders" && m["status"] == "succeeded" && m["function"] == "batch" {
			summary = true
		}
	}
	if !summary {
		t.Errorf("no structured JSON summary line in the function log:\n%s", logs.String())
	}
	// Every invocation that ran a window left a run record in the state store (FCSYNC_RUNS
	// defaults to it), newest first: the rerun, then the first run.
	runStore, err := objstore.NewDir(filepath.Join(dir, "state"))
	if err != nil {
		t.Fatal(err)
	}
	runs, err := runlog.New(runStore).List(ctx, runlog.Query{Job: "hourly_orders"})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) < 2 {
		t.Fatalf("%d run records, want one per window invocation (at least 2)", len(runs))
	}
	for _, r := range runs {
		if r.Status != runlog.Succeeded || r.Function != "batch" || r.Invocation == "" || r.Counts.Read != 60 || r.Window == nil || r.Window.Partition != "ds=2022112210" {
			t.Errorf("run record %+v", r)
		}
	}
	if !runs[0].Window.Rerun || runs[len(runs)-1].Window.Rerun {
		t.Errorf("newest first: the rerun, then the first run; got rerun flags %v ... %v", runs[0].Window.Rerun, runs[len(runs)-1].Window.Rerun)
	}
}
