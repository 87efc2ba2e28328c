package hudi_test

import (
	"encoding/json"
	"fmt"
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

// requireAvsc skips the test when the avsc Node package (next to DuckDB's) is not installed,
// unless FCSYNC_REQUIRE_DUCKDB=1, which makes that a failure.
func requireAvsc(t *testing.T) {
	t.Helper()
	_, nodeErr := exec.LookPath("node")
	_, modErr := os.Stat(filepath.Join(duckdbDir, "node_modules", "avsc"))
	if nodeErr == nil && modErr == nil {
		return
	}
	msg := fmt.Sprintf("the Avro check needs node and `npm install --prefix shared/lake/hudi/%s --no-save` (node: %v, module: %v)", duckdbDir, nodeErr, modErr)
	if os.Getenv("FCSYNC_REQUIRE_DUCKDB") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// avroRecords decodes one-record Avro object container files with avsc, resolved to
// readerSchema (or read with their own schema when readerSchema is ""), one record per file.
func avroRecords(t *testing.T, files [][]byte, readerSchema string) []map[string]any {
	t.Helper()
	dir := t.TempDir()
	args := []string{"avro.mjs", "-"}
	if readerSchema != "" {
		args[1] = filepath.Join(dir, "reader.avsc")
		if err := os.WriteFile(args[1], []byte(readerSchema), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, data := range files {
		name := filepath.Join(dir, fmt.Sprintf("%d.avro", i))
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, name)
	}
	cmd := exec.CommandContext(t.Context(), "node", args...)
	cmd.Dir = duckdbDir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node avro.mjs: %v\n%s", err, stderr.String())
	}
	recs := make([]map[string]any, len(files))
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var rec struct {
			Index  int
			Record map[string]any
		}
		var pair []json.RawMessage
		if err := json.Unmarshal([]byte(line), &pair); err != nil || len(pair) != 2 {
			t.Fatalf("avro.mjs printed %q", line)
		}
		if json.Unmarshal(pair[0], &rec.Index) != nil || json.Unmarshal(pair[1], &rec.Record) != nil || rec.Index >= len(files) || recs[rec.Index] != nil {
			t.Fatalf("avro.mjs printed %q", line)
		}
		recs[rec.Index] = rec.Record
	}
	for i, r := range recs {
		if r == nil {
			t.Fatalf("file %d has no record", i)
		}
	}
	return recs
}

// Reader schemas of Hudi's clean records as Hudi 0.14/0.15 (and earlier releases) declare
// them: the Avro files must resolve to each.
const (
	actionInstant = `{"type":"record","name":"HoodieActionInstant","fields":[{"name":"timestamp","type":"string"},{"name":"action","type":"string"},{"name":"state","type":"string"}]}`
	cleanFileInfo = `{"type":"record","name":"HoodieCleanFileInfo","fields":[{"name":"filePath","type":["null","string"],"default":null},{"name":"isBootstrapBaseFile","type":["null","boolean"],"default":null}]}`
	planFields    = `{"name":"policy","type":"string"},
		{"name":"filesToBeDeletedPerPartition","type":["null",{"type":"map","values":{"type":"array","items":"string"}}],"default":null},
		{"name":"version","type":["int","null"],"default":1},
		{"name":"filePathsToBeDeletedPerPartition","type":["null",{"type":"map","values":{"type":"array","items":` + cleanFileInfo + `}}],"default":null},
		{"name":"partitionsToBeDeleted","type":["null",{"type":"array","items":"string"}],"default":null}`
	planReader = `{"type":"record","name":"HoodieCleanerPlan","namespace":"org.apache.hudi.avro.model","fields":[
		{"name":"earliestInstantToRetain","type":["null",` + actionInstant + `],"default":null},
		{"name":"lastCompletedCommitTimestamp","type":"string","default":""},` + planFields + `]}`
	planReaderOlder = `{"type":"record","name":"HoodieCleanerPlan","namespace":"org.apache.hudi.avro.model","fields":[
		{"name":"earliestInstantToRetain","type":["null",` + actionInstant + `],"default":null},` + planFields + `]}`
	partitionMeta = `{"type":"record","name":"HoodieCleanPartitionMetadata","fields":[{"name":"partitionPath","type":"string"},{"name":"policy","type":"string"},
		{"name":"deletePathPatterns","type":{"type":"array","items":"string"}},{"name":"successDeleteFiles","type":{"type":"array","items":"string"}},
		{"name":"failedDeleteFiles","type":{"type":"array","items":"string"}},{"name":"isPartitionDeleted","type":["null","boolean"],"default":null}]}`
	metaFields = `{"name":"startCleanTime","type":"string"},{"name":"timeTakenInMillis","type":"long"},{"name":"totalFilesDeleted","type":"int"},
		{"name":"earliestCommitToRetain","type":"string"},{"name":"lastCompletedCommitTimestamp","type":"string","default":""},
		{"name":"partitionMetadata","type":{"type":"map","values":` + partitionMeta + `}},
		{"name":"version","type":["int","null"],"default":1},
		{"name":"bootstrapPartitionMetadata","type":["null",{"type":"map","values":"HoodieCleanPartitionMetadata"}],"default":null}`
	metaReader       = `{"type":"record","name":"HoodieCleanMetadata","namespace":"org.apache.hudi.avro.model","fields":[` + metaFields + `]}`
	metaReaderPolicy = `{"type":"record","name":"HoodieCleanMetadata","namespace":"org.apache.hudi.avro.model","fields":[{"name":"policy","type":"string","default":""},` + metaFields + `]}`
)

// TestCleanInstantsDecodeAsHudiReadsThem decodes every clean instant of a cleaned table with
// avsc, resolved to Hudi's reader schemas, and checks that they describe what happened.
func TestCleanInstantsDecodeAsHudiReadsThem(t *testing.T) {
	requireAvsc(t)
	d := objstore.NewMemory()
	w := newWorkload(t, d, hudi.WithCleanRetained(3))
	w.noSnaps = true
	for range 12 {
		w.commit(t, w.batch(6, 6))
	}
	instants := cleanInstants(t, d, w.root)
	if len(instants) < 5 {
		t.Fatalf("only %d cleans", len(instants))
	}
	get := func(instant, suffix string) []byte {
		data, err := d.Get(t.Context(), w.root+"/.hoodie/"+instant+suffix)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	exists := func(rel string) bool {
		_, err := d.Get(t.Context(), w.root+"/"+rel)
		return err == nil
	}
	var requested, completed [][]byte
	for _, instant := range instants {
		requested = append(requested, get(instant, ".clean.requested"))
		completed = append(completed, get(instant, ".clean"))
		if inflight := get(instant, ".clean.inflight"); string(inflight) != string(requested[len(requested)-1]) {
			t.Errorf("clean %s: inflight differs from requested", instant)
		}
	}
	for _, reader := range []string{"", planReader, planReaderOlder} {
		for i, plan := range avroRecords(t, requested, reader) {
			instant := instants[i]
			eitr, _ := plan["earliestInstantToRetain"].(map[string]any)
			if plan["policy"] != "KEEP_LATEST_COMMITS" || plan["version"] != float64(1) || eitr["action"] != "commit" || eitr["state"] != "COMPLETED" {
				t.Errorf("clean %s plan = %v", instant, plan)
			}
			if !exists(".hoodie/" + eitr["timestamp"].(string) + ".commit") {
				t.Errorf("clean %s retains from %v, which is not a completed commit", instant, eitr["timestamp"])
			}
			files, _ := plan["filesToBeDeletedPerPartition"].(map[string]any)
			for part, names := range files {
				for _, n := range names.([]any) {
					if exists(part + "/" + n.(string)) {
						t.Errorf("clean %s planned %s/%s, which is still there", instant, part, n)
					}
				}
			}
		}
	}
	total := 0
	for _, reader := range []string{"", metaReader, metaReaderPolicy} {
		for i, meta := range avroRecords(t, completed, reader) {
			instant := instants[i]
			n := 0
			parts, _ := meta["partitionMetadata"].(map[string]any)
			for key, v := range parts {
				pm := v.(map[string]any)
				if pm["partitionPath"] != key || pm["policy"] != "KEEP_LATEST_COMMITS" || len(pm["failedDeleteFiles"].([]any)) != 0 {
					t.Errorf("clean %s partition %q = %v", instant, key, pm)
				}
				for _, f := range pm["successDeleteFiles"].([]any) {
					n++
					if name := f.(string); path.Base(name) != name || exists(key+"/"+name) {
						t.Errorf("clean %s: deleted file %q of %q is not a name or still there", instant, name, key)
					}
				}
			}
			if meta["startCleanTime"] != instant || meta["version"] != float64(2) || meta["totalFilesDeleted"] != float64(n) || n == 0 {
				t.Errorf("clean %s metadata = %v", instant, meta)
			}
			if !exists(".hoodie/"+meta["earliestCommitToRetain"].(string)+".commit") || !exists(".hoodie/"+meta["lastCompletedCommitTimestamp"].(string)+".commit") {
				t.Errorf("clean %s names commits that are not complete: %v", instant, meta)
			}
			if reader == "" {
				total += n
			}
		}
	}
	if remaining := len(w.baseFiles(t)); total != w.written-remaining {
		t.Errorf("the cleans list %d deleted files; %d were written and %d remain", total, w.written, remaining)
	}
}

// TestDuckDBReadsACleanedTableLikeSnapshot reads a table after 30 commits and the cleans
// after them with DuckDB (per file group the newest committed base file) and with Snapshot.
func TestDuckDBReadsACleanedTableLikeSnapshot(t *testing.T) {
	requireDuckDB(t)
	m := objstore.NewMemory()
	w := newWorkload(t, m, hudi.WithCleanRetained(2))
	w.noSnaps = true
	for range 30 {
		w.commit(t, w.batch(5, 8))
	}
	if w.cleaned == 0 {
		t.Fatal("nothing was cleaned")
	}
	// DuckDB reads files: copy the table into a directory.
	dir := t.TempDir()
	for _, k := range listAll(t, m, w.root+"/") {
		data, err := m.Get(t.Context(), k)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := goRows(t, w.tbl)
	got := duckRows(t, filepath.Join(dir, "lake", "orders"))
	if len(want) != len(w.want) || len(got) != len(want) {
		t.Fatalf("DuckDB read %d rows, Snapshot %d, the table has %d", len(got), len(want), len(w.want))
	}
	for i := range want {
		for k, v := range want[i] {
			if got[i][k] != v {
				t.Errorf("row %d column %s: DuckDB %q, Snapshot %q", i, k, got[i][k], v)
			}
		}
	}
	w.check(t)
}

// TestGoldenCleanedTable writes three versions of one file group, retaining one commit, and
// compares the layout and the Avro clean files with golden files.
func TestGoldenCleanedTable(t *testing.T) {
	m := objstore.NewMemory()
	cfg := ordersConfig(hudi.Partitioning{})
	tbl := mustCreate(t, m, "lake/items", cfg, hudi.WithClock(fakeClock()), hudi.WithIDs(fakeIDs()), hudi.WithWriterID("golden"), hudi.WithCleanRetained(1))
	var cleaned []int
	for v := range 3 {
		r := order(1, "ann", int64(v+1), baseTime)
		r[3] = fmt.Sprintf("v%d", v+1)
		res := mustWrite(t, tbl, hudi.Batch{Columns: orderColumns, Rows: []schema.Row{r}})
		cleaned = append(cleaned, res.Cleaned)
	}
	if !slices.Equal(cleaned, []int{0, 1, 1}) {
		t.Errorf("cleaned per write = %v, want [0 1 1]", cleaned)
	}
	var layout strings.Builder
	for _, k := range listAll(t, m, "lake/items/") {
		if !strings.Contains(k, "/.aux/") && !strings.HasSuffix(k, "hoodie.properties") {
			layout.WriteString(k + "\n")
		}
	}
	golden(t, "cleaned.layout", []byte(layout.String()))
	instants := cleanInstants(t, m, "lake/items")
	for i, instant := range instants {
		for _, suffix := range []string{".clean.requested", ".clean"} {
			data, err := m.Get(t.Context(), "lake/items/.hoodie/"+instant+suffix)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, fmt.Sprintf("cleaned.%d%s.avro", i+1, suffix), data)
		}
	}
	rows := rowsByKey(t, tbl)
	if len(rows) != 1 || rows["|o-00001"]["status"] != "v3" {
		t.Errorf("rows = %v", rows)
	}
}
