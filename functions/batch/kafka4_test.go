package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fcsync/fcsync/localrun/fcruntime"
	"github.com/fcsync/fcsync/shared/kafka/kafka4test"
	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/sink/warehouse"
)

func TestMain(m *testing.M) {
	code := m.Run()
	kafka4test.StopShared()
	os.Exit(code)
}

// TestKafka4BinaryReadsASASLSSLDatasource: the built function, as FC runs it, reads an hourly
// window from a real Kafka 4 broker over SASL_SSL with SCRAM-SHA-512, the data source's
// kafkaConfig given in FCSYNC_DATASOURCES as a deployment would; the password never reaches the
// function's log.
func TestKafka4BinaryReadsASASLSSLDatasource(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	b := kafka4test.Shared(t)
	bin := buildFunction(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := b.CreateTopic(ctx, "orders", 2, nil); err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	base := time.Date(2022, 11, 22, 8, 50, 0, 0, loc)
	var recs []*kgo.Record
	want := map[string]bool{}
	for i := range 90 { // one a minute, 08:50 .. 10:19
		ts := base.Add(time.Duration(i) * time.Minute)
		id := fmt.Sprintf("o-%03d", i)
		if !ts.Before(base.Add(10*time.Minute)) && ts.Before(base.Add(70*time.Minute)) {
			want[id] = true
		}
		recs = append(recs, &kgo.Record{Partition: int32(i % 2), Key: []byte(id), Value: []byte(`{"order_id":"` + id + `"}`), Timestamp: ts})
	}
	if err := b.Produce(ctx, "orders", recs); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	jobs := filepath.Join(dir, "jobs")
	if err := os.MkdirAll(jobs, 0o755); err != nil {
		t.Fatal(err)
	}
	job := strings.Replace(hourlyJob, `kafkaConfig: {sasl.jaas.config: "", client.id: fcsync-test}`, `kafkaConfig: {client.id: fcsync-k4}`, 1)
	if job == hourlyJob {
		t.Fatal("the hourly job's kafkaConfig line changed; update this test")
	}
	if err := os.WriteFile(filepath.Join(jobs, "hourly_orders.yaml"), []byte(job), 0o644); err != nil {
		t.Fatal(err)
	}
	props := b.Props(kafka4test.SASLSSL, "SCRAM-SHA-512")
	server := props["bootstrap.servers"]
	delete(props, "bootstrap.servers")
	ds, err := json.Marshal(map[string]any{"shop_kafka": map[string]any{"server": server, "kafkaConfig": props}})
	if err != nil {
		t.Fatal(err)
	}
	rt, err := fcruntime.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	env := []string{
		"FCSYNC_JOBS=" + jobs,
		"FCSYNC_STATE=" + filepath.Join(dir, "state"),
		"FCSYNC_WAREHOUSE=" + filepath.Join(dir, "wh"),
		"FCSYNC_DATASOURCES=" + string(ds),
	}
	var logs fcruntime.Output
	proc, err := rt.StartProcess(ctx, bin, env, &logs, &logs)
	if err != nil {
		t.Fatal(err)
	}
	defer proc.Stop()
	creds := fcruntime.Credentials{AccessKeyID: "STS.test-id", AccessKeySecret: "test-secret-value-xyz", SecurityToken: "test-token"}
	res, err := rt.Invoke(ctx, []byte(`{"triggerTime":"2022-11-22T02:05:07Z","triggerName":"hourly","payload":"{\"job\":\"hourly_orders\"}"}`),
		fcruntime.InvokeOptions{Timeout: time.Minute, Credentials: creds})
	if err != nil {
		t.Fatalf("invoke: %v\nlogs:\n%s", err, logs.String())
	}
	if res.Err != nil {
		t.Fatalf("function error: %s\nlogs:\n%s", res.Err.Message, logs.String())
	}
	var out struct {
		Status string `json:"status"`
		Report struct {
			Partition string `json:"partition"`
			Written   int64  `json:"written"`
		} `json:"report"`
	}
	if err := json.Unmarshal(res.Payload, &out); err != nil {
		t.Fatalf("response %s: %v", res.Payload, err)
	}
	if out.Status != "succeeded" || out.Report.Partition != "ds=2022112210" || out.Report.Written != int64(len(want)) {
		t.Fatalf("response %s: want succeeded, ds=2022112210, %d written", res.Payload, len(want))
	}
	wh, err := warehouse.Open(filepath.Join(dir, "wh"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	err = wh.Scan(ctx, "orders_hourly", nil, func(p schema.Partition, row map[string]any) error {
		got[row["order_id"].(string)]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Errorf("partition holds %d orders, want %d", len(got), len(want))
	}
	for id, n := range got {
		if !want[id] || n != 1 {
			t.Errorf("order %s: %d copies (wanted in window: %v)", id, n, want[id])
		}
	}
	if strings.Contains(logs.String(), kafka4test.Password) {
		t.Error("the function logged the SASL password")
	}
}
