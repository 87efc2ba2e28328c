package sinktest_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/sink"
	"github.com/fcsync/fcsync/shared/sink/maxcompute"
	"github.com/fcsync/fcsync/shared/sink/maxcompute/mctest"
	"github.com/fcsync/fcsync/shared/sink/sinktest"
	"github.com/fcsync/fcsync/shared/sink/warehouse"
)

func warehouseTarget() sinktest.Target {
	return sinktest.Target{Name: "warehouse", Open: func(t *testing.T) (sink.Sink, sinktest.Reader) {
		w, err := warehouse.Open(t.TempDir(), warehouse.WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			t.Fatal(err)
		}
		return w, sinktest.WarehouseReader(w)
	}}
}

// maxcomputeTarget writes through the SDK to the test server; small blocks so that every
// scenario uploads several blocks per partition.
func maxcomputeTarget() sinktest.Target {
	return sinktest.Target{Name: "maxcompute", Open: func(t *testing.T) (sink.Sink, sinktest.Reader) {
		srv := mctest.New(t)
		s, err := maxcompute.New(maxcompute.Config{
			Endpoint: srv.Endpoint(), Project: srv.Project(),
			Credentials: maxcompute.Credentials{AccessKeyID: srv.AccessKeyID(), AccessKeySecret: srv.AccessKeySecret()},
		}, objstore.NewMemory(), maxcompute.WithBlockRows(2), maxcompute.WithRetry(2, time.Millisecond),
			maxcompute.WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if u := srv.Unexpected(); len(u) > 0 {
				t.Errorf("the sink asked the server for what it does not implement: %q", u)
			}
		})
		return s, sinktest.ServerReader(srv, srv.Project())
	}}
}

func TestEverySinkHoldsTheGoldenContents(t *testing.T) {
	for _, target := range []sinktest.Target{warehouseTarget(), maxcomputeTarget()} {
		t.Run(target.Name, func(t *testing.T) { sinktest.Run(t, target) })
	}
}
