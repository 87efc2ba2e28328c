package warehouse_test

import (
	"log/slog"
	"testing"

	"github.com/fcsync/fcsync/shared/sink"
	"github.com/fcsync/fcsync/shared/sink/sinktest"
	"github.com/fcsync/fcsync/shared/sink/warehouse"
)

// The warehouse holds what the shared sink scenarios' golden files say (MaxCompute on the
// test server is held to the same files in package sinktest and package maxcompute).
func TestWarehousePassesTheSinkScenarios(t *testing.T) {
	sinktest.Run(t, sinktest.Target{Name: "warehouse", Open: func(t *testing.T) (sink.Sink, sinktest.Reader) {
		w, err := warehouse.Open(t.TempDir(), warehouse.WithLogger(slog.New(slog.DiscardHandler)), warehouse.WithRowGroupRows(2))
		if err != nil {
			t.Fatal(err)
		}
		return w, sinktest.WarehouseReader(w)
	}})
}
