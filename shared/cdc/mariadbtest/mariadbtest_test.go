package mariadbtest

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestServerStartsWithRowBinlogAndCloseRemovesIt: the server accepts root connections, has the
// binary log on in ROW format, and Close stops the process and deletes its directory.
func TestServerStartsWithRowBinlogAndCloseRemovesIt(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := Start(ctx, WithArgs("--binlog-row-metadata=FULL"))
	srv = Require(t, srv, err)
	dir := srv.Dir
	c, err := srv.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Execute("SELECT @@log_bin, @@binlog_format, @@server_id, @@binlog_row_metadata")
	if err != nil {
		t.Fatal(err)
	}
	logBin, _ := r.GetInt(0, 0)
	format, _ := r.GetString(0, 1)
	id, _ := r.GetInt(0, 2)
	meta, _ := r.GetString(0, 3)
	c.Close()
	if logBin != 1 || format != "ROW" || id != 1 || meta != "FULL" {
		t.Errorf("log_bin=%d binlog_format=%s server_id=%d binlog_row_metadata=%s, want 1 ROW 1 FULL", logBin, format, id, meta)
	}
	if err := srv.Exec(ctx, "CREATE DATABASE t1", "CREATE TABLE t1.x (id INT PRIMARY KEY)", "INSERT INTO t1.x VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Exec(ctx, "SELECT * FROM nope.nope"); err == nil {
		t.Error("a failing statement returned no error")
	}
	pid := srv.cmd.Process.Pid
	srv.Close()
	if _, err := os.Stat(filepath.Join(dir, "data")); !os.IsNotExist(err) {
		t.Errorf("data directory still there after Close: %v", err)
	}
	if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid))); err == nil {
		if b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "comm")); len(b) > 0 && string(b[:len(b)-1]) == "mariadbd" {
			t.Errorf("mariadbd pid %d still running after Close", pid)
		}
	}
}
