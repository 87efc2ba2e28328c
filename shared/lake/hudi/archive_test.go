package hudi_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fcsync/fcsync/shared/lake/hudi"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schema"
)

// activeCommits lists the completed commit instants of the active timeline.
func activeCommits(t *testing.T, s objstore.Store, root string) []string {
	t.Helper()
	var out []string
	for _, k := range listAll(t, s, root+"/.hoodie/") {
		name := strings.TrimPrefix(k, root+"/.hoodie/")
		if i, ok := strings.CutSuffix(name, ".commit"); ok && !strings.Contains(name, "/") {
			out = append(out, i)
		}
	}
	slices.Sort(out)
	return out
}

// archivedCommits lists the completed commits of the archived timeline, failing the test when
// one is archived twice.
func archivedCommits(t *testing.T, s objstore.Store, root string) []string {
	t.Helper()
	recs, err := hudi.ReadArchivedTimeline(t.Context(), s, root)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, r := range recs {
		seen[r.Action+"/"+r.State+"/"+r.Instant]++
	}
	var out []string
	for k, n := range seen {
		if n > 1 {
			t.Errorf("%s archived %d times", k, n)
		}
		if i, ok := strings.CutPrefix(k, "commit/COMPLETED/"); ok {
			out = append(out, i)
		}
	}
	slices.Sort(out)
	return out
}

func TestArchivingStartsAboveKeepMaxAndLeavesKeepMin(t *testing.T) {
	tests := []struct {
		name             string
		retained, lo, hi int
		commits          int
		active           []int // completed commits in the active timeline after each commit
	}{
		{"keep 2 to 4", 1, 2, 4, 9, []int{1, 2, 3, 4, 2, 3, 4, 2, 3}},
		{"keep 3 to 5, retaining 2", 2, 3, 5, 8, []int{1, 2, 3, 4, 5, 3, 4, 5}},
		{"never below the retained commits", 5, 6, 7, 9, []int{1, 2, 3, 4, 5, 6, 7, 6, 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := objstore.NewMemory()
			w := newWorkload(t, m, hudi.WithAutoArchive(true), hudi.WithCleanRetained(tt.retained), hudi.WithArchiveKeep(tt.lo, tt.hi))
			w.noSnaps = true
			var all []string
			for i := range tt.commits {
				res := w.commit(t, w.batch(2, 2))
				all = append(all, res.Instant)
				active := activeCommits(t, m, w.root)
				if len(active) != tt.active[i] {
					t.Errorf("after commit %d: %d active commits, want %d", i+1, len(active), tt.active[i])
				}
				archived := archivedCommits(t, m, w.root)
				if got := slices.Concat(archived, active); !slices.Equal(got, all) {
					t.Errorf("after commit %d: archived %v + active %v, want every commit once: %v", i+1, archived, active, all)
				}
			}
			w.check(t)
		})
	}
}

func TestActiveTimelineStaysBetweenKeepMinAndMaxOverManyCommits(t *testing.T) {
	m := objstore.NewMemory()
	w := newWorkload(t, m, hudi.WithAutoArchive(true)) // defaults: retain 10 commits, keep 20 to 30
	w.noSnaps = true
	files := 0
	for i := range 75 {
		w.commit(t, w.batch(1, 2))
		n := len(activeCommits(t, m, w.root))
		if n > 30 || (i >= 20 && n < 20) {
			t.Fatalf("after commit %d: %d active commits", i+1, n)
		}
		files = max(files, len(listAll(t, m, w.root+"/.hoodie/2")))
	}
	if got := len(archivedCommits(t, m, w.root)); got != 75-len(activeCommits(t, m, w.root)) || got < 40 {
		t.Errorf("%d commits archived", got)
	}
	// Three files per commit and per clean, at most 31 of each (one clean may be pending).
	if files > 31*3*2 {
		t.Errorf("the active timeline peaked at %d files", files)
	}
	w.check(t)
}

// TestSnapshotAndWritersAreUnchangedByArchiving archives a table written without archiving and
// checks that the snapshot is the same, and that new processes go on writing it: upserts of
// records whose base files were written by archived commits, and the checkpoints.
func TestSnapshotAndWritersAreUnchangedByArchiving(t *testing.T) {
	forEachStore(t, func(t *testing.T, s objstore.Store) {
		w := newWorkload(t, s, hudi.WithAutoArchive(false), hudi.WithCleanRetained(2))
		w.noSnaps = true
		for i := range 12 {
			b := w.batch(3, 2)
			b.Checkpoints = map[string]int64{"orders/0": int64(i + 1)}
			w.commit(t, b)
		}
		before := rowsByKey(t, w.tbl)
		tbl, err := hudi.Open(t.Context(), s, w.root, hudi.WithCleanRetained(2), hudi.WithArchiveKeep(3, 5))
		if err != nil {
			t.Fatal(err)
		}
		res, err := tbl.Archive(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Commits) != 9 || res.File != ".commits_.archive.1_1-0-1" {
			t.Fatalf("Archive = %+v, want 9 commits in .commits_.archive.1_1-0-1", res)
		}
		if again, err := tbl.Archive(t.Context()); err != nil || again.File != "" {
			t.Fatalf("second Archive = %+v, %v: want nothing to do", again, err)
		}
		cold, err := hudi.Open(t.Context(), s, w.root)
		if err != nil {
			t.Fatal(err)
		}
		if after := rowsByKey(t, cold); !maps.EqualFunc(before, after, func(a, b map[string]any) bool { return fmt.Sprint(a) == fmt.Sprint(b) }) {
			t.Errorf("the snapshot changed: %d rows before, %d after", len(before), len(after))
		}
		// A new process updates every stored order (their files belong to archived commits)
		// and adds some: no record may be duplicated or lost.
		wr, err := hudi.Open(t.Context(), s, w.root, hudi.WithCleanRetained(2), hudi.WithArchiveKeep(3, 5))
		if err != nil {
			t.Fatal(err)
		}
		cp, err := wr.Checkpoints(t.Context())
		if err != nil || cp["orders/0"] != 12 {
			t.Fatalf("Checkpoints = %v, %v", cp, err)
		}
		w.tbl = wr
		for i := range 4 {
			b := w.batch(2, len(w.want))
			b.Checkpoints = map[string]int64{"orders/0": int64(13 + i)}
			w.commit(t, b)
		}
		w.check(t)
		if got := append(archivedCommits(t, s, w.root), activeCommits(t, s, w.root)...); len(got) != 16 {
			t.Errorf("%d commits archived or active, want 16", len(got))
		}
		assertNoLeftovers(t, s, w.root)
	})
}

// TestArchiveRecordsDescribeTheArchivedInstants reads the archive back and compares each
// record with the timeline file it came from.
func TestArchiveRecordsDescribeTheArchivedInstants(t *testing.T) {
	m := objstore.NewMemory()
	w := newWorkload(t, m, hudi.WithAutoArchive(false), hudi.WithCleanRetained(1))
	w.noSnaps = true
	for range 6 {
		w.commit(t, w.batch(3, 3))
	}
	commitJSON := map[string][]byte{}
	for _, i := range activeCommits(t, m, w.root) {
		data, err := m.Get(t.Context(), w.root+"/.hoodie/"+i+".commit")
		if err != nil {
			t.Fatal(err)
		}
		commitJSON[i] = data
	}
	cleans := cleanInstants(t, m, w.root)
	tbl, err := hudi.Open(t.Context(), m, w.root, hudi.WithCleanRetained(1), hudi.WithArchiveKeep(2, 3))
	if err != nil {
		t.Fatal(err)
	}
	res, err := tbl.Archive(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	recs, err := hudi.ReadArchivedTimeline(t.Context(), m, w.root)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, r.Action+" "+r.State+" "+r.Instant)
		if r.File != res.File {
			t.Errorf("record in %s, want %s", r.File, res.File)
		}
	}
	var want []string
	for _, c := range res.Cleans {
		want = append(want, "clean REQUESTED "+c, "clean INFLIGHT "+c, "clean COMPLETED "+c)
	}
	for _, c := range res.Commits {
		want = append(want, "commit REQUESTED "+c, "commit INFLIGHT "+c, "commit COMPLETED "+c)
	}
	if !slices.Equal(got, want) || len(res.Commits) != 4 || len(res.Cleans) == 0 {
		t.Fatalf("archived records:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, c := range res.Cleans {
		if !slices.Contains(cleans, c) {
			t.Errorf("archived clean %s was not a completed clean", c)
		}
	}
	for _, r := range recs {
		switch {
		case r.Action == "commit" && r.State == "COMPLETED":
			var j struct {
				PartitionToWriteStats map[string][]map[string]any
				ExtraMetadata         map[string]string
				OperationType         string
			}
			if err := json.Unmarshal(commitJSON[r.Instant], &j); err != nil {
				t.Fatal(err)
			}
			meta, _ := r.Record["hoodieCommitMetadata"].(map[string]any)
			if meta == nil || meta["operationType"] != j.OperationType || meta["compacted"] != false || meta["version"] != nil {
				t.Fatalf("commit %s: metadata %v", r.Instant, meta)
			}
			extra := meta["extraMetadata"].(map[string]any)
			if extra["schema"] != j.ExtraMetadata["schema"] || extra["fcsync.checkpoints"] != j.ExtraMetadata["fcsync.checkpoints"] || extra["ROLLING_STAT"] != "" {
				t.Errorf("commit %s: extraMetadata %v", r.Instant, extra)
			}
			stats := meta["partitionToWriteStats"].(map[string]any)
			if len(stats) != len(j.PartitionToWriteStats) {
				t.Errorf("commit %s: %d partitions, want %d", r.Instant, len(stats), len(j.PartitionToWriteStats))
			}
			for p, list := range j.PartitionToWriteStats {
				gotList, _ := stats[p].([]any)
				if len(gotList) != len(list) {
					t.Fatalf("commit %s partition %s: %d stats, want %d", r.Instant, p, len(gotList), len(list))
				}
				for k, s := range list {
					g := gotList[k].(map[string]any)
					for _, f := range []string{"fileId", "path", "prevCommit", "partitionPath"} {
						if g[f] != s[f] {
							t.Errorf("commit %s: %s = %v, want %v", r.Instant, f, g[f], s[f])
						}
					}
					for _, f := range []string{"numWrites", "numInserts", "numUpdateWrites", "fileSizeInBytes", "totalWriteBytes"} {
						if fmt.Sprint(g[f]) != fmt.Sprint(s[f]) {
							t.Errorf("commit %s: %s = %v, want %v", r.Instant, f, g[f], s[f])
						}
					}
				}
			}
		case r.Action == "commit" && r.State == "REQUESTED":
			meta, _ := r.Record["hoodieCommitMetadata"].(map[string]any)
			if meta == nil || meta["operationType"] != "UNKNOWN" || len(meta["partitionToWriteStats"].(map[string]any)) != 0 {
				t.Errorf("requested commit %s: metadata %v", r.Instant, meta)
			}
		case r.Action == "clean" && r.State == "COMPLETED":
			meta, _ := r.Record["hoodieCleanMetadata"].(map[string]any)
			if meta == nil || meta["startCleanTime"] != r.Instant || r.Record["hoodieCleanerPlan"] != nil {
				t.Errorf("clean %s: metadata %v", r.Instant, meta)
			}
		case r.Action == "clean":
			plan, _ := r.Record["hoodieCleanerPlan"].(map[string]any)
			if plan == nil || plan["policy"] != "KEEP_LATEST_COMMITS" || r.Record["hoodieCleanMetadata"] != nil {
				t.Errorf("clean %s %s: plan %v", r.State, r.Instant, plan)
			}
		}
		if r.Record["version"] != nil {
			t.Errorf("%s %s: version %v, want null as Hudi writes it", r.Action, r.Instant, r.Record["version"])
		}
	}
}

// TestGoldenArchiveFile compares the archive file of a small deterministic table with a hex
// dump in testdata/golden (go test -update rewrites it).
func TestGoldenArchiveFile(t *testing.T) {
	m := objstore.NewMemory()
	clk := newJumpClock()
	opts := []hudi.Option{hudi.WithClock(clk.Now), hudi.WithIDs(fakeIDs()), hudi.WithWriterID("golden"),
		hudi.WithCleanRetained(1), hudi.WithArchiveKeep(2, 3), hudi.WithAutoArchive(true)}
	tbl := mustCreate(t, m, "lake/items", goldenItemsConfig(), opts...)
	for i := range 4 {
		clk.Jump(archiveGraceJump)
		mustWrite(t, tbl, hudi.Batch{Columns: goldenItemsConfig().Columns, Rows: goldenItemRows(i)})
	}
	keys := listAll(t, m, "lake/items/.hoodie/archived/")
	if len(keys) != 1 || path.Base(keys[0]) != ".commits_.archive.1_1-0-1" {
		t.Fatalf("archive files %v", keys)
	}
	data, err := m.Get(t.Context(), keys[0])
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "archived.commits_.archive.1_1-0-1.hex", []byte(hex.Dump(data)))
}

func TestArchiveOptionsAreValidatedAsHudiDoes(t *testing.T) {
	tests := []struct {
		name string
		opts []hudi.Option
		ok   bool
	}{
		{"defaults", nil, true},
		{"defaults follow a large retention", []hudi.Option{hudi.WithCleanRetained(40)}, true},
		{"min above retained", []hudi.Option{hudi.WithCleanRetained(5), hudi.WithArchiveKeep(6, 7)}, true},
		{"min equal to retained", []hudi.Option{hudi.WithCleanRetained(5), hudi.WithArchiveKeep(5, 9)}, false},
		{"max equal to min", []hudi.Option{hudi.WithArchiveKeep(20, 20)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := hudi.Create(t.Context(), objstore.NewMemory(), "t", ordersConfig(hudi.Partitioning{}), tt.opts...)
			if (err == nil) != tt.ok {
				t.Errorf("Create = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

func goldenItemsConfig() hudi.Config {
	return hudi.Config{Name: "items", Columns: []schema.Column{{Name: "id", Type: schema.Int}, {Name: "name", Type: schema.String}},
		RecordKey: []string{"id"}}
}

// goldenItemRows updates item 1 and adds item i+2.
func goldenItemRows(i int) []schema.Row {
	return []schema.Row{{int64(1), fmt.Sprintf("one-v%d", i)}, {int64(i + 2), fmt.Sprintf("item-%d", i+2)}}
}

// TestCrashAtAnyStepOfAnArchivingLeavesEveryCommitActiveOrArchived crashes an archiving at
// every store operation (before or after it lands): the table stays readable, every commit is
// active or archived (never archived twice), and the next archiving finishes the job, after
// which every commit is in exactly one place and writers go on.
func TestCrashAtAnyStepOfAnArchivingLeavesEveryCommitActiveOrArchived(t *testing.T) {
	opts := []hudi.Option{hudi.WithCleanRetained(1), hudi.WithArchiveKeep(2, 4)}
	start := newWorkload(t, objstore.NewMemory(), append(opts, hudi.WithAutoArchive(false))...)
	start.noSnaps = true
	var all []string
	for range 7 {
		all = append(all, start.commit(t, start.batch(3, 3)).Instant)
	}
	setup := func(t *testing.T) (*objstore.Memory, *workload) {
		m, w := start.clone(t, opts...)
		return m, w
	}
	m, w := setup(t)
	total := countStoreOps(m, func() {
		if res, err := w.tbl.Archive(t.Context()); err != nil || len(res.Commits) != 5 {
			t.Fatalf("Archive = %+v, %v", res, err)
		}
	})
	for _, landed := range []bool{false, true} {
		for k := 1; k <= total; k++ {
			t.Run(fmt.Sprintf("landed=%v/op%d", landed, k), func(t *testing.T) {
				m, w := setup(t)
				crashed, op := crashAt(m, k, landed)
				_, err := w.tbl.Archive(t.Context())
				m.SetHook(nil)
				if !crashed.Load() {
					t.Fatalf("no crash at op %d (err %v)", k, err)
				}
				t.Logf("crash at %s: %v", *op, err)
				w.check(t)
				archived, active := archivedCommits(t, m, w.root), activeCommits(t, m, w.root)
				for _, c := range all {
					if !slices.Contains(archived, c) && !slices.Contains(active, c) {
						t.Errorf("commit %s is neither active nor archived", c)
					}
				}
				// A new process archives again: the interrupted archiving is completed.
				tbl, err := hudi.Open(t.Context(), m, w.root, opts...)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := tbl.Archive(t.Context()); err != nil {
					t.Fatalf("Archive after the crash: %v", err)
				}
				archived, active = archivedCommits(t, m, w.root), activeCommits(t, m, w.root)
				if got := slices.Concat(archived, active); !slices.Equal(got, all) {
					t.Errorf("archived %v + active %v, want every commit once: %v", archived, active, all)
				}
				if len(active) != 2 {
					t.Errorf("%d active commits, want 2", len(active))
				}
				w.tbl = tbl
				w.commit(t, w.batch(2, 4))
				w.check(t)
				assertNoLeftovers(t, m, w.root)
			})
		}
	}
}

// TestDuckDBReadsTheSameSnapshotAfterArchiving reads an archived table with DuckDB, applying
// Hudi's rule for instants older than the active timeline, and compares with Snapshot.
func TestDuckDBReadsTheSameSnapshotAfterArchiving(t *testing.T) {
	requireDuckDB(t)
	dir := filepath.Join(t.TempDir(), "store")
	d, err := objstore.NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	w := newWorkload(t, d, hudi.WithAutoArchive(true), hudi.WithCleanRetained(1), hudi.WithArchiveKeep(2, 3))
	w.noSnaps = true
	for range 9 {
		w.commit(t, w.batch(4, 3))
	}
	if len(archivedCommits(t, d, w.root)) < 5 {
		t.Fatal("the table was not archived")
	}
	want := goRows(t, w.tbl)
	got := duckRows(t, filepath.Join(dir, "lake", "orders"))
	if len(got) != len(want) || len(want) != len(w.want) {
		t.Fatalf("DuckDB read %d rows, Snapshot %d, want %d", len(got), len(want), len(w.want))
	}
	for i := range want {
		for k, v := range want[i] {
			if got[i][k] != v {
				t.Errorf("row %d column %s: DuckDB %q, Snapshot %q", i, k, got[i][k], v)
			}
		}
	}
}

func TestParsedArchiveOptionsTakeEffect(t *testing.T) {
	tests := []struct {
		name   string
		opts   map[string]any
		active int // completed commits active after four commits
	}{
		{"defaults", nil, 4},
		{"keep 2 to 3, automatic", map[string]any{hudi.OptCommitsRetained: 1, hudi.OptKeepMinCommits: "2", hudi.OptKeepMaxCommits: 3,
			hudi.OptAutoArchive: true}, 2},
		{"keep 2 to 3, not automatic by default", map[string]any{hudi.OptCommitsRetained: 1, hudi.OptKeepMinCommits: 2, hudi.OptKeepMaxCommits: 3}, 4},
		{"keep 2 to 3, not automatic", map[string]any{hudi.OptCommitsRetained: 1, hudi.OptKeepMinCommits: 2, hudi.OptKeepMaxCommits: 3,
			hudi.OptAutoArchive: "false"}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, err := hudi.ParseOptions("writer.options", tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			m := objstore.NewMemory()
			w := newWorkload(t, m, opts...)
			w.noSnaps = true
			for range 4 {
				w.commit(t, w.batch(2, 1))
			}
			if got := len(activeCommits(t, m, w.root)); got != tt.active {
				t.Errorf("%d active commits, want %d", got, tt.active)
			}
		})
	}
}

// hudiArchivedMetaEntry is a reader schema shaped as Hudi's HoodieArchivedMetaEntry: every
// field it declares (the ones fcsync never fills with stand-in record types), an older
// HoodieCommitMetadata (with a field fcsync does not write and without compacted), and the
// clean reader schemas of cleanread_test.go.
var hudiArchivedMetaEntry = func() string {
	stub := func(name string) string {
		return `{"type":"record","name":"` + name + `","fields":[{"name":"version","type":["int","null"],"default":1}]}`
	}
	opt := func(name, typ string) string {
		return `{"name":"` + name + `","type":["null",` + typ + `],"default":null}`
	}
	writeStat := `{"name":"HoodieWriteStat","type":"record","fields":[` + strings.Join([]string{
		opt("fileId", `"string"`), opt("path", `"string"`), opt("prevCommit", `"string"`), opt("prevFilePathOverwritten", `"string"`),
		opt("numWrites", `"long"`), opt("numDeletes", `"long"`), opt("numUpdateWrites", `"long"`), opt("totalWriteBytes", `"long"`),
		opt("totalWriteErrors", `"long"`), opt("partitionPath", `"string"`), opt("totalLogRecords", `"long"`), opt("totalLogFiles", `"long"`),
		opt("totalUpdatedRecordsCompacted", `"long"`), opt("numInserts", `"long"`), opt("totalLogBlocks", `"long"`),
		opt("totalCorruptLogBlock", `"long"`), opt("totalRollbackBlocks", `"long"`), opt("fileSizeInBytes", `"long"`)}, ",") + `]}`
	commitMeta := `{"type":"record","name":"HoodieCommitMetadata","fields":[` +
		opt("partitionToWriteStats", `{"type":"map","values":{"type":"array","items":`+writeStat+`}}`) + `,` +
		opt("extraMetadata", `{"type":"map","values":"string"}`) + `,{"name":"version","type":["int","null"],"default":1},` +
		opt("operationType", `"string"`) + `]}`
	fields := []string{
		opt("hoodieCommitMetadata", commitMeta), opt("hoodieCleanMetadata", metaReader),
		opt("hoodieCompactionMetadata", stub("HoodieCompactionMetadata")), opt("hoodieRollbackMetadata", stub("HoodieRollbackMetadata")),
		opt("hoodieSavePointMetadata", stub("HoodieSavepointMetadata")), opt("commitTime", `"string"`), opt("actionType", `"string"`),
		`{"name":"version","type":["int","null"],"default":1}`,
		opt("hoodieCompactionPlan", stub("HoodieCompactionPlan")), opt("hoodieCleanerPlan", planReader), opt("actionState", `"string"`),
		opt("hoodieReplaceCommitMetadata", stub("HoodieReplaceCommitMetadata")),
		opt("hoodieRequestedReplaceMetadata", stub("HoodieRequestedReplaceMetadata")),
		opt("HoodieInflightReplaceMetadata", `"HoodieCommitMetadata"`),
		opt("hoodieIndexCommitMetadata", stub("HoodieIndexCommitMetadata")), opt("hoodieIndexPlan", stub("HoodieIndexPlan")),
		opt("stateTransitionTime", `"string"`),
	}
	return `{"type":"record","name":"HoodieArchivedMetaEntry","namespace":"org.apache.hudi.avro.model","fields":[` + strings.Join(fields, ",") + `]}`
}()

// TestArchiveFilesDecodeAsHudiReadsThem reads the archive of a table with an independent log
// block parser and avsc, resolved to a Hudi-shaped reader schema, and compares the records
// with fcsync's reader.
func TestArchiveFilesDecodeAsHudiReadsThem(t *testing.T) {
	requireAvsc(t)
	m := objstore.NewMemory()
	w := newWorkload(t, m, hudi.WithAutoArchive(true), hudi.WithCleanRetained(1), hudi.WithArchiveKeep(2, 3))
	w.noSnaps = true
	for range 8 {
		w.commit(t, w.batch(3, 3))
	}
	ours, err := hudi.ReadArchivedTimeline(t.Context(), m, w.root)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	args := []string{"archive.mjs", filepath.Join(dir, "reader.avsc")}
	if err := os.WriteFile(args[1], []byte(hudiArchivedMetaEntry), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, k := range listAll(t, m, w.root+"/.hoodie/archived/") {
		data, err := m.Get(t.Context(), k)
		if err != nil {
			t.Fatal(err)
		}
		args = append(args, filepath.Join(dir, path.Base(k)))
		if err := os.WriteFile(args[len(args)-1], data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.CommandContext(t.Context(), "node", args...)
	cmd.Dir = duckdbDir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node archive.mjs: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(ours) || len(ours) < 12 {
		t.Fatalf("avsc read %d records, fcsync %d", len(lines), len(ours))
	}
	for i, line := range lines {
		var rec []json.RawMessage
		var version int
		var r map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || len(rec) != 3 || json.Unmarshal(rec[1], &version) != nil || json.Unmarshal(rec[2], &r) != nil {
			t.Fatalf("archive.mjs printed %q", line)
		}
		o := ours[i]
		if version != 3 || r["commitTime"] != o.Instant || r["actionType"] != o.Action || r["actionState"] != o.State ||
			r["version"] != nil || r["stateTransitionTime"] != nil {
			t.Errorf("record %d: avsc %v, fcsync %s %s %s", i, r, o.Action, o.State, o.Instant)
		}
		for _, f := range []string{"hoodieCommitMetadata", "hoodieCleanMetadata", "hoodieCleanerPlan"} {
			if (r[f] == nil) != (o.Record[f] == nil) {
				t.Errorf("record %d: %s is %v for avsc, %v for fcsync", i, f, r[f], o.Record[f])
			}
		}
		if cm, ok := r["hoodieCommitMetadata"].(map[string]any); ok {
			ocm := o.Record["hoodieCommitMetadata"].(map[string]any)
			if cm["operationType"] != ocm["operationType"] || fmt.Sprint(cm["extraMetadata"]) != fmt.Sprint(ocm["extraMetadata"]) {
				t.Errorf("record %d: commit metadata differs", i)
			}
			for p, stats := range cm["partitionToWriteStats"].(map[string]any) {
				ostats := ocm["partitionToWriteStats"].(map[string]any)[p].([]any)
				for k, s := range stats.([]any) {
					for _, f := range []string{"fileId", "path", "prevCommit", "numWrites", "fileSizeInBytes"} {
						if fmt.Sprint(s.(map[string]any)[f]) != fmt.Sprint(ostats[k].(map[string]any)[f]) {
							t.Errorf("record %d partition %s stat %d: %s differs", i, p, k, f)
						}
					}
				}
			}
		}
	}
}

// The archive hint is only a hint: one naming a version past the newest archive file (or one
// that would overflow), or a damaged one, neither loses archived commits' base files nor makes
// the next archiving skip versions.
func TestABadArchiveHintKeepsArchivedCommitsFiles(t *testing.T) {
	for _, hint := range []string{`{"version":1000000}`, `{"version":9223372036854775807}`, `{"version":-1,"upto":"99999999999999999"}`, `{`} {
		t.Run(hint, func(t *testing.T) {
			m := objstore.NewMemory()
			w := newWorkload(t, m, hudi.WithAutoArchive(true), hudi.WithCleanRetained(1), hudi.WithArchiveKeep(2, 4), hudi.WithFileSizes(64<<20, 0))
			w.noSnaps = true
			for range 8 {
				w.commit(t, w.batch(2, 0))
			}
			archives := len(listAll(t, m, w.root+"/.hoodie/archived/"))
			if archives == 0 {
				t.Fatal("nothing was archived")
			}
			if err := m.Put(t.Context(), w.root+"/.hoodie/.aux/fcsync/archive.json", []byte(hint)); err != nil {
				t.Fatal(err)
			}
			before, written := len(w.baseFiles(t)), w.written
			for range 3 {
				w.commit(t, w.batch(2, 0))
			}
			if got, want := len(w.baseFiles(t)), before+w.written-written; got != want {
				t.Errorf("%d base files after 3 more commits of new file groups, want %d", got, want)
			}
			files := listAll(t, m, w.root+"/.hoodie/archived/")
			for i, f := range files {
				if want := fmt.Sprintf(".commits_.archive.%d_1-0-1", i+1); path.Base(f) != want {
					t.Errorf("archive file %s, want %s", path.Base(f), want)
				}
			}
			if len(files) <= archives {
				t.Errorf("no archiving after the bad hint: %v", files)
			}
			w.check(t)
			archivedCommits(t, m, w.root)
		})
	}
}

// listCounter counts List calls.
type listCounter struct {
	objstore.Store
	lists int
}

func (l *listCounter) List(ctx context.Context, prefix, after string, limit int) ([]string, string, error) {
	l.lists++
	return l.Store.List(ctx, prefix, after, limit)
}

// TestASnapshotDoesNotListTheArchivedDirectory: the archived directory grows by a file per
// archiving; a Snapshot lists as often with thousands of files there as with none, and still
// sees the archived commits as committed.
func TestASnapshotDoesNotListTheArchivedDirectory(t *testing.T) {
	m := objstore.NewMemory()
	w := newWorkload(t, m, hudi.WithAutoArchive(true), hudi.WithCleanRetained(1), hudi.WithArchiveKeep(2, 3))
	w.noSnaps = true
	for range 6 {
		w.commit(t, w.batch(2, 2))
	}
	if len(archivedCommits(t, m, w.root)) == 0 {
		t.Fatal("nothing was archived")
	}
	lists := func() (int, int) {
		t.Helper()
		c := &listCounter{Store: m}
		tbl, err := hudi.Open(t.Context(), c, w.root)
		if err != nil {
			t.Fatal(err)
		}
		c.lists = 0
		rows := len(rowsByKey(t, tbl))
		return rows, c.lists
	}
	rowsBefore, before := lists()
	for i := range 2500 {
		if err := m.Put(t.Context(), fmt.Sprintf("%s/.hoodie/archived/zz-other-%05d", w.root, i), []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	rowsAfter, after := lists()
	if after != before || rowsAfter != rowsBefore {
		t.Errorf("a snapshot listed %d times and read %d rows with 2,500 more files in archived/, %d and %d without", after, rowsAfter, before, rowsBefore)
	}
}

// TestACleanRepublishedAfterItWasArchivedIsNotArchivedAgain: a stalled cleaner that writes its
// .clean after the clean was archived leaves a completed clean below the archived range; the
// next archiving removes it instead of archiving the clean a second time.
func TestACleanRepublishedAfterItWasArchivedIsNotArchivedAgain(t *testing.T) {
	m := objstore.NewMemory()
	w := newWorkload(t, m, hudi.WithAutoArchive(true), hudi.WithCleanRetained(1), hudi.WithArchiveKeep(2, 3))
	w.noSnaps = true
	for range 9 {
		w.commit(t, w.batch(2, 2))
	}
	recs, err := hudi.ReadArchivedTimeline(t.Context(), m, w.root)
	if err != nil {
		t.Fatal(err)
	}
	// The oldest archived clean: the newest archive file (whose leftovers the next archiving
	// finishes deleting) does not hold it.
	clean, files := "", map[string]bool{}
	for _, r := range recs {
		files[r.File] = true
		if r.Action == "clean" && r.State == "COMPLETED" && (clean == "" || r.Instant < clean) {
			clean = r.Instant
		}
	}
	if clean == "" || len(files) < 2 {
		t.Fatalf("archived clean %q in %d archive files: the test needs one in an older file", clean, len(files))
	}
	stale := w.root + "/.hoodie/" + clean + ".clean"
	if err := m.Put(t.Context(), stale, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		w.commit(t, w.batch(2, 2))
	}
	archivedCommits(t, m, w.root) // fails the test on an instant archived twice
	if _, err := m.Get(t.Context(), stale); !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("the republished %s.clean is still active: %v", clean, err)
	}
}
