package kafkatrigger

import (
	"testing"

	"github.com/fcsync/fcsync/shared/record"
)

// BenchmarkComposeMixedBatches composes a task's batches from four partitions of 10,000
// records each (fetched in chunks of 1,024) in batches of 1,000, and sums up each batch's
// offset ranges, as delivering does: the emulator's own work per record.
func BenchmarkComposeMixedBatches(b *testing.B) {
	const parts, perPart, chunk, count = 4, 10000, 1024, 1000
	chunks := make([][][]record.Record, parts)
	for p := range parts {
		for from := 0; from < perPart; from += chunk {
			var c []record.Record
			for o := from; o < min(from+chunk, perPart); o++ {
				c = append(c, record.Record{Topic: "t", Partition: int32(p), Offset: int64(o)})
			}
			chunks[p] = append(chunks[p], c)
		}
	}
	tr := &Trigger{o: options{count: count}}
	b.ReportAllocs()
	for b.Loop() {
		tl := &taskLoop{t: tr, wait: true}
		for p := range parts {
			ps := &partState{p: int32(p), ch: make(chan []record.Record, len(chunks[p]))}
			for _, c := range chunks[p] {
				ps.ch <- c
			}
			close(ps.ch)
			tl.parts = append(tl.parts, ps)
		}
		n := 0
		for {
			tl.fill(b.Context())
			if len(tl.buf) == 0 {
				break
			}
			n += len(offsetRanges(tl.buf))
			tl.buf = tl.buf[:0]
		}
		if n != parts*perPart/count*parts {
			b.Fatalf("%d partition ranges, want %d", n, parts*perPart/count*parts)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*parts*perPart), "ns/record")
}
