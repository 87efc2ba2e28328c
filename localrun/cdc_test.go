package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/cdc/mariadbtest"
)

// TestCDCCommandRunsAJobUntilCaughtUp: `localrun cdc` snapshots the job's table, and a second
// call writes the changes made in between; the password comes from the environment.
func TestCDCCommandRunsAJobUntilCaughtUp(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := mariadbtest.Start(ctx)
	srv = mariadbtest.Require(t, srv, err)
	defer srv.Close()
	const password = "Lr-3Secret"
	if err := srv.Exec(ctx, "CREATE USER 'cdc'@'127.0.0.1' IDENTIFIED BY '"+password+"'",
		"GRANT SELECT, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'cdc'@'127.0.0.1'",
		"CREATE DATABASE shop", "CREATE TABLE shop.orders (id INT PRIMARY KEY, total DECIMAL(8,2))",
		"INSERT INTO shop.orders VALUES (1, 1.00), (2, 2.00)"); err != nil {
		t.Fatal(err)
	}
	broker, err := startBroker("", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer broker.Close()
	dir := t.TempDir()
	jobFile := filepath.Join(dir, "shop.yaml")
	if err := os.WriteFile(jobFile, []byte("reader: {type: mariadb, tables: [shop.orders]}\nwriter: {type: kafka, heartbeat: false}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("FCSYNC_CDC_PASSWORD", password)
	args := []string{"cdc", "--job", jobFile, "--dsn", "cdc@tcp(" + srv.Addr() + ")/", "--brokers", broker.ListenAddrs()[0], "--state", filepath.Join(dir, "state")}
	out, err := run(t, args...)
	if err != nil || !strings.Contains(out, "invocation 1: phase binlog, 2 snapshot rows, 0 changes") || !strings.Contains(out, "caught up") {
		t.Fatalf("first call: %v\n%s", err, out)
	}
	if err := srv.Exec(ctx, "UPDATE shop.orders SET total = 3.00 WHERE id = 1", "DELETE FROM shop.orders WHERE id = 2"); err != nil {
		t.Fatal(err)
	}
	out, err = run(t, args...)
	if err != nil || !strings.Contains(out, "0 snapshot rows, 2 changes") {
		t.Fatalf("second call: %v\n%s", err, out)
	}
	recs, err := readTopic(ctx, broker.ListenAddrs(), "orders")
	if err != nil || len(recs) != 4 {
		t.Fatalf("topic orders: %d records, %v; want 4", len(recs), err)
	}
	if strings.Contains(out, password) {
		t.Error("the output shows the password")
	}
}

func TestCDCCommandRefusesBadArguments(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"cdc"}, "--job is required"},
		{[]string{"cdc", "--job", "x.yaml", "--dsn", "u:Secret1@tcp(h:0)/"}, "x.yaml"},
		{[]string{"cdc", "--job", "../infra/jobs/cdc/shop_cdc.yaml", "--dsn", "u:Secret1@tcp(h:0)/"}, "--dsn: port"},
		{[]string{"cdc", "bench", "--events", "x"}, "invalid value"},
	} {
		_, err := run(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "Secret1") {
			t.Errorf("%v: error %v, want one mentioning %q without the password", c.args, err, c.want)
		}
	}
	var ue usageError
	if _, err := run(t, "cdc"); !errors.As(err, &ue) {
		t.Errorf("a missing --job is %T, want a usage error", err)
	}
}

// TestDemoCDCShowsSnapshotAndChanges: with MariaDB installed the demo shows full-data records,
// changes, the DDL record and heartbeats; without it, how to enable it.
func TestDemoCDCShowsSnapshotAndChanges(t *testing.T) {
	broker, err := startBroker("", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer broker.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := demoCDC(ctx, &out, broker.ListenAddrs()); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if _, _, err := mariadbtest.Binaries(); err != nil {
		if os.Getenv(mariadbtest.RequireEnv) == "1" {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "apt-get install mariadb-server") {
			t.Errorf("without MariaDB the demo does not say how to enable it:\n%s", out.String())
		}
		return
	}
	for _, want := range []string{"invocation 1: phase binlog, 6 snapshot rows", "invocation 2: phase binlog, 0 snapshot rows, 6 changes, 1 DDL",
		"UPDATE_AFTER", "DELETE", "ALTER TABLE shop.orders ADD COLUMN coupon", "MHEARTBEAT", `key="[1,2]"`, `"coupon":"JUNE"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the demo output lacks %q:\n%s", want, out.String())
		}
	}
}
