package maxcompute_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/sink"
	"github.com/fcsync/fcsync/shared/sink/maxcompute"
	"github.com/fcsync/fcsync/shared/sink/maxcompute/mctest"
	"github.com/fcsync/fcsync/shared/sink/sinktest"
)

// BenchmarkSessionWrite measures rows per second through the sink into the test server (which
// decodes and checks every block but keeps only counts), ten mixed columns per row.
func BenchmarkSessionWrite(b *testing.B) {
	for _, codec := range []maxcompute.Codec{maxcompute.CodecSnappy, maxcompute.CodecDeflate, maxcompute.CodecZstd} {
		b.Run(string(codec), func(b *testing.B) {
			srv := mctest.New(b, mctest.WithoutRows())
			s, err := maxcompute.New(maxcompute.Config{
				Endpoint: srv.Endpoint(), TunnelEndpoint: srv.TunnelEndpoint(), Project: srv.Project(), Codec: codec,
				Credentials: maxcompute.Credentials{AccessKeyID: srv.AccessKeyID(), AccessKeySecret: srv.AccessKeySecret()},
			}, objstore.NewMemory(), maxcompute.WithLogger(slog.New(slog.DiscardHandler)))
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			p := schema.Partition{{Column: "ds", Value: "1"}}
			rows := make([]schema.Row, 4096)
			for i := range rows {
				rows[i] = sinktest.WideRow(i, nil)
			}
			sess, err := s.Begin(ctx, sink.SessionSpec{Table: sinktest.Wide, Segment: "bench", Owned: p})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := sess.Write(ctx, p, rows[i%len(rows)]); err != nil {
					b.Fatal(err)
				}
			}
			if err := sess.Commit(ctx); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			if n, err := srv.RowCount(srv.Project(), sinktest.Wide.Name, "ds=1"); err != nil || n != int64(b.N) {
				b.Fatalf("server holds %d rows (%v), want %d", n, err, b.N)
			}
		})
	}
}
