package maxcompute

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/sink"
	"github.com/fcsync/fcsync/shared/sink/maxcompute/mctest"
	"github.com/fcsync/fcsync/shared/sink/sinktest"
)

// The rows a session holds stay under WithBufferBytes in all, each partition's under
// WithBlockBytes, and one block at most is in flight, whatever the number of rows and
// partitions.
func TestBuffersStayWithinTheirBudgets(t *testing.T) {
	srv := mctest.New(t, mctest.WithoutRows())
	const blockBytes, bufferBytes = 4 << 10, 16 << 10
	s, err := New(Config{Endpoint: srv.Endpoint(), Project: srv.Project(),
		Credentials: Credentials{AccessKeyID: srv.AccessKeyID(), AccessKeySecret: srv.AccessKeySecret()}},
		objstore.NewMemory(), WithBlockBytes(blockBytes), WithBufferBytes(bufferBytes), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sess, err := s.begin(ctx, sink.SessionSpec{Table: sinktest.Wide, Segment: "budget"})
	if err != nil {
		t.Fatal(err)
	}
	const rows, parts = 6_000, 37
	var row schema.Row
	for i := range rows {
		row = sinktest.WideRow(i, row)
		p := schema.Partition{{Column: "ds", Value: fmt.Sprint(i % parts)}}
		if err := sess.Write(ctx, p, row); err != nil {
			t.Fatal(err)
		}
		var sum int64
		for _, pt := range sess.parts {
			if pt.bytes >= blockBytes {
				t.Fatalf("row %d: partition %s buffers %d bytes, the block size is %d", i, pt.key, pt.bytes, blockBytes)
			}
			sum += pt.bytes
		}
		if sum != sess.buffered || sess.buffered >= bufferBytes {
			t.Fatalf("row %d: the session buffers %d bytes (parts %d), the budget is %d", i, sess.buffered, sum, bufferBytes)
		}
		if f := sess.flight; f != nil && f.bytes >= blockBytes {
			t.Fatalf("row %d: %d bytes in flight", i, f.bytes)
		}
	}
	if err := sess.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	var total int64
	blocks := 0
	for i := range parts {
		n, err := srv.RowCount(srv.Project(), sinktest.Wide.Name, fmt.Sprintf("ds=%d", i))
		if err != nil {
			t.Fatal(err)
		}
		total += n
	}
	for _, pr := range sess.Report().Partitions {
		blocks += pr.Blocks
	}
	if total != rows {
		t.Errorf("the server holds %d rows, want %d", total, rows)
	}
	if blocks < rows*300/blockBytes {
		t.Errorf("%d blocks for %d rows of ~300 bytes: the budgets did not make the session upload", blocks, rows)
	}
}
