package warehouse

import (
	"context"
	"testing"

	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/sink"
)

func TestCommittedTellsWhetherTheSegmentsFilesArePublished(t *testing.T) {
	w := openTest(t)
	ctx := context.Background()
	tbl := attrTable("events")
	committed := func(seg string, p schema.Partition) bool {
		t.Helper()
		got, err := w.Committed(ctx, "events", seg, p)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if committed("s1", part("1", "1")) {
		t.Fatal("an absent table holds a segment")
	}
	run{segment: "s1", mode: sink.Append, writes: []write{{part("1", "1"), "a"}, {part("1", "2"), "b"}}}.do(t, w, tbl)
	run{segment: "s2", mode: sink.Append, writes: []write{{part("1", "2"), "c"}}}.do(t, w, tbl)
	// A session that wrote and never committed (a crashed writer) publishes nothing.
	s, err := w.Begin(ctx, sink.SessionSpec{Table: tbl, Segment: "s3", Mode: sink.Append})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, part("1", "1"), attrRow("d", 0)); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		seg  string
		p    schema.Partition
		want bool
	}{
		{"s1", part("1", "1"), true},
		{"s1", part("1", "2"), true},
		{"s2", part("1", "1"), false},
		{"s2", part("1", "2"), true},
		{"s3", part("1", "1"), false},
		{"s1", part("9", "9"), false},
	}
	for _, c := range cases {
		if got := committed(c.seg, c.p); got != c.want {
			t.Errorf("Committed(%s, %s) = %v, want %v", c.seg, c.p, got, c.want)
		}
	}
	if _, err := w.Committed(ctx, "events", "s1", schema.Partition{{Column: "ds", Value: "../x"}, {Column: "hh", Value: "1"}}); err == nil {
		t.Error("a hostile partition value is not an error")
	}
	if _, err := w.Committed(ctx, "../events", "s1", part("1", "1")); err == nil {
		t.Error("a hostile table name is not an error")
	}
}
