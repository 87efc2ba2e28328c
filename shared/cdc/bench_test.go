package cdc_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/cdc"
	"github.com/fcsync/fcsync/shared/objstore"
)

// BenchmarkBinlogToKafka: one op turns 20000 binlog change events (inserts, updates, deletes in
// 1000-row transactions) into Kafka records; reports events/s.
func BenchmarkBinlogToKafka(b *testing.B) {
	e := newEnv(b)
	e.sql("CREATE TABLE orders (id BIGINT PRIMARY KEY, customer VARCHAR(40), city VARCHAR(20), total DECIMAL(10,2), status VARCHAR(10), created DATETIME(3), note TEXT)")
	j := e.job(`
reader: {tables: [${DB}.orders], snapshot: false}
writer: {partitions: 3}
timezone: UTC
`)
	ctx := context.Background()
	e.run(e.runner(j)) // the job begins here
	const rows = 8000
	var sb strings.Builder
	for start := 0; start < rows; start += 1000 {
		sb.Reset()
		sb.WriteString("INSERT INTO orders VALUES ")
		for i := start; i < start+1000; i++ {
			if i > start {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, "(%d,'customer %d','Hangzhou',%d.50,'new','2024-06-01 10:00:00.123','order note %d')", i, i%5000, i%997, i)
		}
		e.sql(sb.String())
	}
	for start := 0; start < rows; start += 1000 {
		e.sql(fmt.Sprintf("UPDATE orders SET status = 'paid', total = total + 1 WHERE id >= %d AND id < %d", start, start+1000))
	}
	e.sql("DELETE FROM orders WHERE id < 4000")
	const events = 2*rows + 4000
	begun := snapshotStore(b, e.store)
	b.ResetTimer()
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		store := snapshotStore(b, begun)
		r, err := cdc.New(j, e.source(), kafkaConfig(e), store, cdc.WithUntilCaughtUp())
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		rep, err := r.Run(ctx)
		elapsed += time.Since(start)
		if err != nil || rep.Changes != events {
			b.Fatalf("run: %+v, %v; want %d changes", rep, err, events)
		}
	}
	b.ReportMetric(float64(events*b.N)/elapsed.Seconds(), "events/s")
}

// snapshotStore copies a memory store.
func snapshotStore(tb testing.TB, src *objstore.Memory) *objstore.Memory {
	ctx := context.Background()
	dst := objstore.NewMemory()
	keys, _, err := src.List(ctx, "", "", 0)
	if err != nil {
		tb.Fatal(err)
	}
	for _, k := range keys {
		v, err := src.Get(ctx, k)
		if err != nil {
			tb.Fatal(err)
		}
		if err := dst.Put(ctx, k, v); err != nil {
			tb.Fatal(err)
		}
	}
	return dst
}
