package main

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/sink/maxcompute"
	"github.com/fcsync/fcsync/shared/sink/maxcompute/mctest"
)

func TestRunPrintsOneBenchLine(t *testing.T) {
	for _, codec := range []string{"snappy", "deflate", "zstd"} {
		var out strings.Builder
		if err := run(&out, 3000, codec, 1, ""); err != nil {
			t.Fatal(err)
		}
		re := regexp.MustCompile(`^BENCH maxcompute_upload codec=` + codec + ` rows_per_s=[1-9][0-9]* peak_rss_mb=[1-9][0-9]*\n$`)
		if !re.MatchString(out.String()) {
			t.Errorf("output %q does not match %s", out.String(), re)
		}
	}
	if err := run(&strings.Builder{}, 10, "lz4", 1, ""); err == nil || !strings.Contains(err.Error(), "codec") {
		t.Errorf("an unknown codec gave %v", err)
	}
}

// BenchmarkUpload uploads b.N rows per codec through the sink into the in-process server; each
// iteration round is one session into a partition of its own.
func BenchmarkUpload(b *testing.B) {
	for _, codec := range []maxcompute.Codec{maxcompute.CodecSnappy, maxcompute.CodecDeflate} {
		b.Run(string(codec), func(b *testing.B) {
			srv := mctest.New(b, mctest.WithoutRows())
			s, err := maxcompute.New(maxcompute.Config{
				Endpoint: srv.Endpoint(), Project: srv.Project(), Codec: codec,
				Credentials: maxcompute.Credentials{AccessKeyID: srv.AccessKeyID(), AccessKeySecret: srv.AccessKeySecret()},
			}, objstore.NewMemory(), maxcompute.WithLogger(slog.New(slog.DiscardHandler)))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			if err := upload(context.Background(), s, srv, fmt.Sprint(b.N), b.N); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
