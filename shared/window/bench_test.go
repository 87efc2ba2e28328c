package window_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fcsync/fcsync/shared/objstore"
)

// BenchmarkWindow measures a full window: plan, read 100k records from the in-process broker,
// map them, write Parquet into the warehouse, commit the sink and the ledger.
func BenchmarkWindow(b *testing.B) {
	const n = 100_000
	c := newCluster(b, 3)
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = order(int32(i%3), fmt.Sprintf("o-%06d", i), at(9, 57, 0).Add(time.Duration(i)*time.Millisecond), i)
	}
	c.produce(b, recs...)
	h := newHarness(b, c, nil, loadJob(b, offsetJob("seekToBeginning")...))
	var bytes int64
	b.ResetTimer()
	for b.Loop() {
		h.store = objstore.NewMemory() // a fresh ledger: the window reads everything again
		rep := h.mustRun(tick(10, 5))
		if rep.Written != n {
			b.Fatalf("written %d, want %d", rep.Written, n)
		}
		bytes = rep.Bytes
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.SetBytes(bytes)
}
