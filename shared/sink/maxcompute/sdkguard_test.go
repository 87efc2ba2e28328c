package maxcompute_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/aliyun-odps-go-sdk/odps"
	"github.com/aliyun/aliyun-odps-go-sdk/odps/account"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/sink"
	"github.com/fcsync/fcsync/shared/sink/maxcompute"
	"github.com/fcsync/fcsync/shared/sink/maxcompute/mctest"
	"github.com/fcsync/fcsync/shared/sink/sinktest"
)

// The SDK prints with println (to the process's standard error, past any Go logger) and
// calls log.Fatalf (which exits the process). Only a child process shows either, so these
// tests run the sink in one: the test binary re-executed with childMode set.
const childMode = "FCSYNC_MAXCOMPUTE_SDKGUARD_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childMode); mode != "" {
		if err := child(mode); err != nil {
			fmt.Println("CHILD FAILED:", err)
			os.Exit(3)
		}
		fmt.Println("CHILD DONE")
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runChild(t *testing.T, mode string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childMode+"="+mode)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

func TestTheSinkNeverPrintsSQLToStandardError(t *testing.T) {
	// The control: the SDK's Table.AddPartition prints its statement, and the child's
	// standard error shows it, so the check below can see a print if the sink made one.
	_, stderr, code := runChild(t, "println-control")
	if code != 0 || !strings.Contains(strings.ToLower(stderr), "alter table") {
		t.Fatalf("control: exit %d, stderr %q; want the SDK's println of ALTER TABLE", code, stderr)
	}
	stdout, stderr, code := runChild(t, "sink")
	if code != 0 || !strings.Contains(stdout, "CHILD DONE") {
		t.Fatalf("child exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if strings.TrimSpace(stderr) != "" {
		t.Errorf("the sink wrote to standard error:\n%s", stderr)
	}
}

func TestCutAndTruncatedAnswersNeverKillTheProcess(t *testing.T) {
	stdout, stderr, code := runChild(t, "faults")
	if code != 0 || !strings.Contains(stdout, "CHILD DONE") {
		t.Fatalf("child exited %d (log.Fatalf exits 1)\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if strings.Contains(stderr, "close http error") {
		t.Errorf("the SDK's log.Fatalf ran:\n%s", stderr)
	}
	if !strings.Contains(stdout, "cases 24 errors ") {
		t.Errorf("the child did not run every case:\n%s", stdout)
	}
}

func child(mode string) error {
	srv, err := mctest.Start()
	if err != nil {
		return err
	}
	defer srv.Close()
	cfg := maxcompute.Config{
		Endpoint: srv.Endpoint(), Project: srv.Project(), Lifecycle: 3,
		Credentials: maxcompute.Credentials{AccessKeyID: srv.AccessKeyID(), AccessKeySecret: srv.AccessKeySecret()},
	}
	opts := []maxcompute.Option{maxcompute.WithRetry(2, time.Millisecond), maxcompute.WithLogger(slog.New(slog.DiscardHandler)), maxcompute.WithBlockRows(2)}
	ctx := context.Background()
	switch mode {
	case "println-control":
		if err := srv.Exec(srv.Project(), "create table t (a bigint) partitioned by (ds string)"); err != nil {
			return err
		}
		o := odps.NewOdps(account.NewAliyunAccount(srv.AccessKeyID(), srv.AccessKeySecret()), srv.Endpoint())
		o.SetDefaultProjectName(srv.Project())
		return o.Table("t").AddPartition(true, "ds=1")
	case "sink":
		s, err := maxcompute.New(cfg, objstore.NewMemory(), opts...)
		if err != nil {
			return err
		}
		for _, mode := range []sink.Mode{sink.Append, sink.Overwrite} {
			w := crashWorkload(mode)
			if _, err := w.run(ctx, s); err != nil {
				return err
			}
		}
		if err := s.AddColumns(ctx, "orders", []schema.Column{{Name: "extra", Type: schema.JSON}}); err != nil {
			return err
		}
		if err := s.AddPartitions(ctx, "orders", schema.Partition{{Column: "ds", Value: "20"}}); err != nil {
			return err
		}
		_, err = s.Table(ctx, "orders")
		return err
	case "faults":
		ops := []mctest.Op{mctest.OpTableGet, mctest.OpSQL, mctest.OpInstanceGet, mctest.OpTunnelEndpoint, mctest.OpUploadCreate, mctest.OpUploadReload, mctest.OpBlockPut, mctest.OpUploadCommit}
		kinds := []mctest.FaultKind{mctest.FaultTruncated, mctest.FaultCut, mctest.FaultReplyLost}
		cases, failed := 0, 0
		for _, op := range ops {
			for _, kind := range kinds {
				srv, err := mctest.Start()
				if err != nil {
					return err
				}
				srv.Inject(mctest.Fault{Op: op, Kind: kind, Times: 1000})
				c := cfg
				c.Endpoint = srv.Endpoint()
				s, err := maxcompute.New(c, objstore.NewMemory(), opts...)
				if err != nil {
					return err
				}
				tbl := sinktest.AllTypes
				if _, err := (workload{spec: sink.SessionSpec{Table: tbl, Segment: "x", Owned: schema.Partition{{Column: "ds", Value: "1"}}}, rows: typeRows()}).run(ctx, s); err != nil {
					failed++
				}
				cases++
				srv.Close()
			}
		}
		fmt.Printf("cases %d errors %d\n", cases, failed)
		return nil
	}
	return fmt.Errorf("unknown child mode %q", mode)
}

func typeRows() []sinktest.Row {
	var out []sinktest.Row
	for _, r := range sinktest.AllTypesRows() {
		out = append(out, sinktest.Row{Partition: "ds=1", Values: r})
	}
	return out
}
