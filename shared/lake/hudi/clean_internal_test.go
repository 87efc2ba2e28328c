package hudi

import (
	"fmt"
	"strings"
	"testing"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schema"
)

// TestAPendingCleanCannotDeleteAFileGroupsNewestFile plants pending cleans that stopped half
// way: one whose plan lists every base file of the table, including the newest of each file
// group, and one whose plan fcsync cannot read. Clean finishes the first without deleting any
// newest file, leaves the second alone, and cleans as usual.
func TestAPendingCleanCannotDeleteAFileGroupsNewestFile(t *testing.T) {
	m := objstore.NewMemory()
	cols := []schema.Column{{Name: "id", Type: schema.BigInt}, {Name: "v", Type: schema.String}}
	tbl, err := Create(t.Context(), m, "lake/t", Config{Name: "t", Columns: cols, RecordKey: []string{"id"}},
		WithAutoClean(false), WithCleanRetained(1))
	if err != nil {
		t.Fatal(err)
	}
	for v := range 3 {
		if _, err := tbl.Write(t.Context(), Batch{Columns: cols, Rows: []schema.Row{{int64(1), fmt.Sprint(v)}, {int64(2), fmt.Sprint(v)}}}); err != nil {
			t.Fatal(err)
		}
	}
	snap, err := tbl.Snapshot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	all := map[string][]string{}
	keys, _, err := m.List(t.Context(), "lake/t/", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if strings.HasSuffix(k, ".parquet") {
			all[""] = append(all[""], strings.TrimPrefix(k, "lake/t/"))
		}
	}
	if len(all[""]) != 3 || len(snap.Files()) != 1 {
		t.Fatalf("files %v, snapshot %v", all, snap.Files())
	}
	head := snap.Instant()
	greedy := (&cleanPlan{Earliest: head, LastCompleted: head, Files: all}).encode()
	forged, unreadable := nextInstant(head), nextInstant(nextInstant(head))
	if err := m.Put(t.Context(), tbl.instantKey(forged, suffixCleanRequested), greedy); err != nil {
		t.Fatal(err)
	}
	if err := m.Put(t.Context(), tbl.instantKey(unreadable, suffixCleanRequested), []byte("Obj\x01 not really")); err != nil {
		t.Fatal(err)
	}
	res, err := tbl.Clean(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Finished) != 1 || res.Finished[0] != forged || res.Deleted != 2 {
		t.Errorf("Clean = %+v, want the planted clean finished and the two old files deleted", res)
	}
	if _, err := m.Get(t.Context(), "lake/t/"+snap.Files()[0]); err != nil {
		t.Errorf("the newest base file is gone: %v", err)
	}
	if _, err := m.Get(t.Context(), tbl.instantKey(forged, suffixClean)); err != nil {
		t.Errorf("the planted clean was not completed: %v", err)
	}
	if _, err := m.Get(t.Context(), tbl.instantKey(unreadable, suffixClean)); err == nil {
		t.Error("the unreadable plan was completed")
	}
	after, err := tbl.Snapshot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := after.Scan(t.Context(), func(Row) error { n++; return nil }); err != nil || n != 2 {
		t.Errorf("the table reads %d rows (%v), want 2", n, err)
	}
}
