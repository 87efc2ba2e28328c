package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/fcsync/fcsync/localrun/fcruntime"
	"github.com/fcsync/fcsync/shared/cdc/mariadbtest"
	"github.com/fcsync/fcsync/shared/kafka"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/runlog"
)

// TestBinaryServesTimerEventsThroughFCRuntimeAPI drives the built function as a separate
// process through the emulated FC runtime API: each timer event advances the job for its
// budget; the changes made between two events reach Kafka; the password is never logged.
func TestBinaryServesTimerEventsThroughFCRuntimeAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	srv, err := mariadbtest.Start(ctx)
	srv = mariadbtest.Require(t, srv, err)
	defer srv.Close()
	const password = "Bin-9Secret"
	if err := srv.Exec(ctx, "CREATE USER 'cdc'@'127.0.0.1' IDENTIFIED BY '"+password+"'",
		"GRANT SELECT, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'cdc'@'127.0.0.1'",
		"CREATE DATABASE shop", "CREATE TABLE shop.orders (id INT PRIMARY KEY, total DECIMAL(8,2))",
		"INSERT INTO shop.orders VALUES (1, 10.00), (2, 20.00)"); err != nil {
		t.Fatal(err)
	}
	kc, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()

	dir := t.TempDir()
	bin := filepath.Join(dir, "main")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	jobs := filepath.Join(dir, "jobs")
	if err := os.MkdirAll(jobs, 0o755); err != nil {
		t.Fatal(err)
	}
	job := "name: shop_cdc\nreader: {type: mariadb, dsn: 'cdc@tcp(" + srv.Addr() + ")/', tables: [shop.orders]}\n" +
		"writer: {type: kafka, topic: 'cdc.${table}', heartbeat: false}\nsetting: {budget: 2s}\n"
	if err := os.WriteFile(filepath.Join(jobs, "shop_cdc.yaml"), []byte(job), 0o644); err != nil {
		t.Fatal(err)
	}
	rt, err := fcruntime.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	var logs fcruntime.Output
	proc, err := rt.StartProcess(ctx, bin, []string{
		"FCSYNC_JOBS=" + jobs,
		"FCSYNC_STATE=" + filepath.Join(dir, "state"),
		"FCSYNC_KAFKA_SERVERS=" + kc.ListenAddrs()[0],
		"FCSYNC_CDC_PASSWORD=" + password,
	}, &logs, &logs)
	if err != nil {
		t.Fatal(err)
	}
	defer proc.Stop()

	invoke := func() (status string, snapshot, changes int64) {
		t.Helper()
		res, err := rt.Invoke(ctx, []byte(`{"triggerTime":"2024-06-01T02:00:00Z","triggerName":"cdc","payload":"shop_cdc"}`),
			fcruntime.InvokeOptions{Timeout: time.Minute})
		if err != nil {
			t.Fatalf("invoke: %v\nlogs:\n%s", err, logs.String())
		}
		if res.Err != nil {
			t.Fatalf("function error: %s\nlogs:\n%s", res.Err.Message, logs.String())
		}
		var out struct {
			Status string `json:"status"`
			Report struct {
				SnapshotRows int64 `json:"snapshotRows"`
				Changes      int64 `json:"changes"`
			} `json:"report"`
		}
		if err := json.Unmarshal(res.Payload, &out); err != nil {
			t.Fatalf("response %s: %v", res.Payload, err)
		}
		return out.Status, out.Report.SnapshotRows, out.Report.Changes
	}
	if st, snap, _ := invoke(); st != "succeeded" || snap != 2 {
		t.Fatalf("first invocation: %s, %d snapshot rows; want succeeded, 2", st, snap)
	}
	if err := srv.Exec(ctx, "UPDATE shop.orders SET total = 11.00 WHERE id = 1", "DELETE FROM shop.orders WHERE id = 2"); err != nil {
		t.Fatal(err)
	}
	if st, _, changes := invoke(); st != "succeeded" || changes != 2 {
		t.Fatalf("second invocation: %s, %d changes; want succeeded, 2", st, changes)
	}
	c, err := kafka.Dial(ctx, kafka.Config{Brokers: kc.ListenAddrs(), Topic: "cdc.orders"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	parts, _ := c.Partitions(ctx)
	hw, _ := c.Latest(ctx, parts)
	var n int64
	for _, o := range hw {
		n += o
	}
	if n != 4 {
		t.Errorf("topic cdc.orders holds %d records, want 4 (2 full-data, an update, a delete)", n)
	}
	if strings.Contains(logs.String(), password) {
		t.Error("the function logged the database password")
	}
	// Each invocation left a run record in the state store, newest first, without the password.
	store, err := objstore.NewDir(filepath.Join(dir, "state"))
	if err != nil {
		t.Fatal(err)
	}
	runs, err := runlog.New(store).List(ctx, runlog.Query{Job: "shop_cdc"})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 {
		t.Fatalf("%d run records, want 2", len(runs))
	}
	if r := runs[1]; r.Status != runlog.Succeeded || r.Function != "cdc" || r.Counts.Read != 2 || r.Binlog == nil {
		t.Errorf("first run record %+v (binlog %+v): want succeeded with 2 snapshot rows read", r, r.Binlog)
	}
	if r := runs[0]; r.Status != runlog.Succeeded || r.Counts.Read != 2 || r.Binlog == nil || r.Binlog.Phase != "binlog" || r.Binlog.To == "" {
		t.Errorf("second run record %+v (binlog %+v): want 2 changes read in the binlog phase, up to a position", r, r.Binlog)
	}
	keys, _, err := store.List(ctx, "runs/", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if b, _ := store.Get(ctx, k); strings.Contains(string(b), password) {
			t.Errorf("run record %s holds the database password", k)
		}
	}
}
