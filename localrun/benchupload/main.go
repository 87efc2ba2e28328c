// Command benchupload measures the MaxCompute sink: it starts the mctest server in this process
// (it decodes and checks every block, keeping only row counts), uploads N rows of ten mixed
// columns through one sink session into one partition, commits, checks the server holds N
// rows, and prints one line:
//
//	BENCH maxcompute_upload codec=C rows_per_s=N peak_rss_mb=M
//
// rows_per_s counts from Begin to the end of Commit. The server's decoding runs on the same
// cores, so the figure is lower than what the sink does against the real service. peak_rss_mb
// is the process's VmHWM (shared/rss), the server's memory included.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"time"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/rss"
	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/sink"
	"github.com/fcsync/fcsync/shared/sink/maxcompute"
	"github.com/fcsync/fcsync/shared/sink/maxcompute/mctest"
	"github.com/fcsync/fcsync/shared/sink/sinktest"
)

func main() {
	rows := flag.Int("rows", 1_000_000, "rows to upload")
	codec := flag.String("codec", "snappy", "block compression: snappy, deflate or zstd")
	blockMB := flag.Int("block-mb", 8, "approximate MiB of row data per block")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the upload to this file")
	flag.Parse()
	if err := run(os.Stdout, *rows, *codec, *blockMB, *cpuProfile); err != nil {
		fmt.Fprintln(os.Stderr, "benchupload:", err)
		os.Exit(1)
	}
}

func run(out io.Writer, n int, codecName string, blockMB int, cpuProfile string) error {
	if n < 1 || blockMB < 1 {
		return errors.New("-rows and -block-mb must be positive")
	}
	codec, err := maxcompute.ParseCodec(codecName)
	if err != nil {
		return err
	}
	srv, err := mctest.Start(mctest.WithoutRows())
	if err != nil {
		return err
	}
	defer srv.Close()
	s, err := maxcompute.New(maxcompute.Config{
		Endpoint: srv.Endpoint(), Project: srv.Project(), Codec: codec,
		Credentials: maxcompute.Credentials{AccessKeyID: srv.AccessKeyID(), AccessKeySecret: srv.AccessKeySecret()},
	}, objstore.NewMemory(), maxcompute.WithLogger(slog.New(slog.DiscardHandler)), maxcompute.WithBlockBytes(int64(blockMB)<<20))
	if err != nil {
		return err
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	if err := upload(context.Background(), s, srv, "20221122", n); err != nil {
		return err
	}
	elapsed := time.Since(start)
	peak, err := rss.PeakMB()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "BENCH maxcompute_upload codec=%s rows_per_s=%d peak_rss_mb=%d\n", codec, int64(float64(n)/elapsed.Seconds()), int64(peak+0.5))
	return nil
}

// upload writes n rows of sinktest.Wide through one session into partition ds=<day>, commits,
// and checks the server holds them.
func upload(ctx context.Context, s *maxcompute.Sink, srv *mctest.Server, day string, n int) error {
	p := schema.Partition{{Column: "ds", Value: day}}
	sess, err := s.Begin(ctx, sink.SessionSpec{Table: sinktest.Wide, Segment: "benchupload@" + day, Owned: p})
	if err != nil {
		return err
	}
	var row schema.Row
	for i := range n {
		row = sinktest.WideRow(i, row)
		if err := sess.Write(ctx, p, row); err != nil {
			_ = sess.Abort(ctx)
			return err
		}
	}
	if err := sess.Commit(ctx); err != nil {
		_ = sess.Abort(ctx)
		return err
	}
	got, err := srv.RowCount(srv.Project(), sinktest.Wide.Name, p.String())
	if err != nil {
		return err
	}
	if got != int64(n) {
		return fmt.Errorf("the server holds %d rows, %d were written", got, n)
	}
	return nil
}
