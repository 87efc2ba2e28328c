package hudi_test

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/fcsync/fcsync/shared/lake/hudi"
	"github.com/fcsync/fcsync/shared/objstore"
)

// foreignTable writes rows with fcsync into a table on a new memory store, then removes
// fcsync's descriptor and commit log: the table reads as one another Hudi writer made.
func foreignTable(t *testing.T, batches ...hudi.Batch) *objstore.Memory {
	t.Helper()
	m := objstore.NewMemory()
	tbl := mustCreate(t, m, "lake/t", interopConfig([]string{"id"}, hudi.Partitioning{Fields: []string{"city"}}), hudi.WithClock(fakeClock()))
	for _, b := range batches {
		mustWrite(t, tbl, b)
	}
	for _, k := range listAll(t, m, "lake/t/.hoodie/.aux/") {
		if err := m.Delete(t.Context(), k); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// baseFilesIn lists the keys of the base files in a partition of lake/t.
func baseFilesIn(t *testing.T, s objstore.Store, partition string) []string {
	t.Helper()
	var out []string
	for _, k := range listAll(t, s, "lake/t/"+partition+"/") {
		if strings.HasSuffix(k, ".parquet") {
			out = append(out, k)
		}
	}
	return out
}

func put(t *testing.T, s objstore.Store, key string, data []byte) {
	t.Helper()
	if err := s.Put(t.Context(), key, data); err != nil {
		t.Fatal(err)
	}
}

// replaceCommit is a completed replace commit's metadata, as Hudi 0.x writes it (JSON).
func replaceCommit(operation, partition string, replaced ...string) []byte {
	ids := `"` + strings.Join(replaced, `","`) + `"`
	return fmt.Appendf(nil, `{"partitionToWriteStats":{},"compacted":false,"extraMetadata":{},"operationType":%q,"partitionToReplaceFileIds":{%q:[%s]}}`, operation, partition, ids)
}

// TestSnapshotLeavesOutFileGroupsAReplaceCommitReplaced reads a table whose timeline has a
// completed replace commit (insert overwrite of a partition, as Spark writes one): the file
// group it replaced is gone from the snapshot and the new one is in it; a replace commit that
// is only requested (a clustering in progress) changes nothing.
func TestSnapshotLeavesOutFileGroupsAReplaceCommitReplaced(t *testing.T) {
	m := foreignTable(t, interopBatch(0, 30, 1))
	old := baseFilesIn(t, m, "beijing")
	if len(old) != 1 {
		t.Fatalf("beijing has %d base files, want 1", len(old))
	}
	oldID := strings.SplitN(path.Base(old[0]), "_", 2)[0]
	// The new file group holds the rows of another table's beijing partition.
	other := foreignTable(t, interopBatch(100, 106, 1))
	src := baseFilesIn(t, other, "beijing")
	data, err := other.Get(t.Context(), src[0])
	if err != nil {
		t.Fatal(err)
	}
	const replace, pending = "20300101000000000", "20300101000001000"
	put(t, m, "lake/t/beijing/11111111-0000-4000-8000-000000000001-0_0-1-0_"+replace+".parquet", data)
	put(t, m, "lake/t/.hoodie/"+replace+".replacecommit.requested", nil)
	put(t, m, "lake/t/.hoodie/"+replace+".replacecommit.inflight", nil)
	put(t, m, "lake/t/.hoodie/"+replace+".replacecommit", replaceCommit("INSERT_OVERWRITE", "beijing", oldID))
	// A clustering that has not completed: its file is not read, the file group it would
	// replace stays.
	put(t, m, "lake/t/shanghai/22222222-0000-4000-8000-000000000002-0_0-1-0_"+pending+".parquet", data)
	put(t, m, "lake/t/.hoodie/"+pending+".replacecommit.requested", nil)

	tbl, err := hudi.Open(t.Context(), m, "lake/t")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]int64{}
	for _, r := range rowsByKey(t, tbl) {
		got[r["city"].(string)] = append(got[r["city"].(string)], r["id"].(int64))
	}
	want := map[string][]int64{"beijing": {100, 103}}
	for id := range 30 {
		if c := []string{"hangzhou", "beijing", "shanghai"}[id%3]; c != "beijing" {
			want[c] = append(want[c], int64(id))
		}
	}
	for c := range got {
		slices.Sort(got[c])
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rows by city = %v, want %v", got, want)
	}
	snap, err := tbl.Snapshot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if snap.Instant() != replace {
		t.Errorf("snapshot instant %s, want the replace commit's %s", snap.Instant(), replace)
	}
}

// TestSnapshotRefusesWhatItCannotRead: delta commits (merge-on-read log files) anywhere, and
// replace commits on a table fcsync writes (its writer would not honour them).
func TestSnapshotRefusesWhatItCannotRead(t *testing.T) {
	tests := []struct {
		name    string
		foreign bool
		file    string
		want    string
	}{
		{"delta commit", true, "20300101000000000.deltacommit", "20300101000000000.deltacommit: delta commits (merge-on-read log files) are not supported"},
		{"requested delta commit", true, "20300101000000000.deltacommit.requested", "delta commits (merge-on-read log files) are not supported"},
		{"replace commit on fcsync's table", false, "20300101000000000.replacecommit", "replace commits (clustering, insert overwrite) on a table fcsync writes are not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s objstore.Store
			if tt.foreign {
				s = foreignTable(t, interopBatch(0, 5, 1))
			} else {
				m := objstore.NewMemory()
				mustWrite(t, mustCreate(t, m, "lake/t", interopConfig([]string{"id"}, hudi.Partitioning{})), interopBatch(0, 5, 1))
				s = m
			}
			put(t, s, "lake/t/.hoodie/"+tt.file, replaceCommit("CLUSTER", "", "x"))
			tbl, err := hudi.Open(t.Context(), s, "lake/t")
			if err != nil {
				t.Fatal(err)
			}
			_, err = tbl.Snapshot(t.Context())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one with %q", err, tt.want)
			}
		})
	}
}

// toVersion8 moves a table's timeline into Hudi 1.x's layout: .hoodie/timeline/, completed
// instants named <requested>_<completed>.<action>, table version 8.
func toVersion8(t *testing.T, m *objstore.Memory) {
	t.Helper()
	for _, k := range listAll(t, m, "lake/t/.hoodie/") {
		name := strings.TrimPrefix(k, "lake/t/.hoodie/")
		if strings.Contains(name, "/") || name == "hoodie.properties" {
			continue
		}
		instant, action, _ := strings.Cut(name, ".")
		data, err := m.Get(t.Context(), k)
		if err != nil {
			t.Fatal(err)
		}
		target := name
		if action == "commit" {
			target = instant + "_" + instant[:14] + "999." + action
		}
		put(t, m, "lake/t/.hoodie/timeline/"+target, data)
		if err := m.Delete(t.Context(), k); err != nil {
			t.Fatal(err)
		}
	}
	props, err := m.Get(t.Context(), "lake/t/.hoodie/hoodie.properties")
	if err != nil {
		t.Fatal(err)
	}
	put(t, m, "lake/t/.hoodie/hoodie.properties", []byte(strings.Replace(string(props), "hoodie.table.version=6", "hoodie.table.version=8\nhoodie.timeline.path=timeline", 1)))
}

// TestTableVersion8TimelinesReadAsVersion6Ones reads a table whose timeline is in Hudi 1.x's
// layout: the same rows as before, a pending instant's files ignored, delta commits refused.
func TestTableVersion8TimelinesReadAsVersion6Ones(t *testing.T) {
	m := foreignTable(t, interopBatch(0, 30, 1), interopBatch(20, 40, 2))
	before, err := hudi.Open(t.Context(), m, "lake/t")
	if err != nil {
		t.Fatal(err)
	}
	want := rowsByKey(t, before)
	toVersion8(t, m)
	// A pending commit with a newer file in beijing's file group (other rows): not read.
	const pending = "20300101000000000"
	data, err := m.Get(t.Context(), baseFilesIn(t, m, "shanghai")[0])
	if err != nil {
		t.Fatal(err)
	}
	group := strings.SplitN(path.Base(baseFilesIn(t, m, "beijing")[0]), "_", 2)[0]
	put(t, m, "lake/t/beijing/"+group+"_0-1-0_"+pending+".parquet", data)
	put(t, m, "lake/t/.hoodie/timeline/"+pending+".commit.requested", nil)
	put(t, m, "lake/t/.hoodie/timeline/"+pending+".inflight", nil)

	tbl, err := hudi.Open(t.Context(), m, "lake/t")
	if err != nil {
		t.Fatal(err)
	}
	if tbl.Writable() {
		t.Error("a table version 8 opened writable")
	}
	got := rowsByKey(t, tbl)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("version 8 snapshot has %d rows, version 6 had %d", len(got), len(want))
	}
	put(t, m, "lake/t/.hoodie/timeline/20300101000001000_20300101000002000.deltacommit", nil)
	if _, err := tbl.Snapshot(t.Context()); err == nil || !strings.Contains(err.Error(), "delta commits (merge-on-read log files) are not supported") {
		t.Errorf("snapshot with a delta commit: error %v", err)
	}
}
