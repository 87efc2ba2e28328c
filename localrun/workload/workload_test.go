package workload_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/fcsync/fcsync/localrun/workload"
	"github.com/fcsync/fcsync/shared/counterpart"
)

// compareFiles fails t for every file of the generator's output that differs between dirs.
func compareFiles(t *testing.T, gotDir, wantDir string) {
	t.Helper()
	for _, name := range []string{"input.jsonl", "input.meta.json"} {
		got, err := os.ReadFile(filepath.Join(gotDir, name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(wantDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the reference's at byte %d", name, firstDiff(got, want))
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestFilesMatchTheReferenceGoldenFiles generates 20 records with seed 7 and compares them,
// the metadata and the summary line with what gen_data.py wrote for the same arguments
// (testdata/records20_seed7, see testdata/README.md).
func TestFilesMatchTheReferenceGoldenFiles(t *testing.T) {
	dir := t.TempDir()
	meta, err := workload.Files(dir, 20, 7)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "records20_seed7")
	compareFiles(t, dir, golden)
	want, err := os.ReadFile(filepath.Join(golden, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	if got := meta.Summary(); !bytes.Equal(got, want) {
		t.Errorf("summary\n got %s\nwant %s", got, want)
	}
}

// TestMetaCountsKeptRecordsPerBatch checks the metadata against the records themselves over
// more than one batch: kept is the number of records with amount >= 100, per 10,000 records.
func TestMetaCountsKeptRecordsPerBatch(t *testing.T) {
	var buf bytes.Buffer
	meta, err := workload.Generate(&buf, 2*workload.BatchSize+17, 3)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != meta.Records || int64(buf.Len()) != meta.Bytes {
		t.Fatalf("%d lines, %d bytes; meta says %d and %d", len(lines), buf.Len(), meta.Records, meta.Bytes)
	}
	perBatch := make([]int, 3)
	for i, l := range lines {
		var rec struct{ Amount *float64 }
		if err := json.Unmarshal([]byte(l), &rec); err != nil || rec.Amount == nil {
			t.Fatalf("record %d: %v (amount %v): %s", i+1, err, rec.Amount, l)
		}
		if *rec.Amount >= workload.Threshold {
			perBatch[i/workload.BatchSize]++
		}
	}
	if !slices.Equal(perBatch, meta.KeptPerBatch) || meta.Kept != perBatch[0]+perBatch[1]+perBatch[2] {
		t.Fatalf("kept per batch %v (total %d), counted %v", meta.KeptPerBatch, meta.Kept, perBatch)
	}
	if meta.Dropped() < 1500 || meta.Dropped() > 2600 {
		t.Errorf("dropped %d of %d: the workload drops about 10%%", meta.Dropped(), meta.Records)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestGenerateRefusesBadCountsAndReportsWriteErrors(t *testing.T) {
	for _, n := range []int{0, -1} {
		if _, err := workload.Generate(&bytes.Buffer{}, n, 1); err == nil {
			t.Errorf("%d records accepted", n)
		}
	}
	if _, err := workload.Generate(failingWriter{}, 5000, 1); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("write error: %v", err)
	}
	if _, err := workload.Files(filepath.Join(t.TempDir(), "missing"), 1, 1); err == nil {
		t.Error("Files into a missing directory succeeded")
	}
}

// referenceGenerator finds gen_data.py, the generator this package reproduces: at
// $FCSYNC_WORKLOAD_REFERENCE (the script, or its directory), or in the reference tree
// beside the repository (shared/bench/stream-workload in the repository's parent directory).
// This is the one test that looks outside the repository; without the reference it skips.
func referenceGenerator(t *testing.T) string {
	t.Helper()
	var candidates []string
	if env := os.Getenv("FCSYNC_WORKLOAD_REFERENCE"); env != "" {
		candidates = append(candidates, env, filepath.Join(env, "gen_data.py"))
	}
	if root, err := counterpart.Root(); err == nil {
		candidates = append(candidates, filepath.Join(filepath.Dir(root), "shared", "bench", "stream-workload", "gen_data.py"))
	}
	for _, c := range candidates {
		if st, err := os.Stat(c); err == nil && !st.IsDir() {
			return c
		}
	}
	t.Skipf("the reference gen_data.py is not present (looked at %s); set FCSYNC_WORKLOAD_REFERENCE to run this test", strings.Join(candidates, ", "))
	return ""
}

// TestFilesMatchTheReferenceGeneratorByteForByte runs the reference gen_data.py and this
// package on 20,000 records (two metadata batches) with its default seed and with another
// one, and compares the records, the metadata and the summary line byte for byte.
func TestFilesMatchTheReferenceGeneratorByteForByte(t *testing.T) {
	gen := referenceGenerator(t)
	python := counterpart.Python(t)
	for _, seed := range []string{"20260101", "987654321987"} {
		t.Run("seed="+seed, func(t *testing.T) {
			want := t.TempDir()
			cmd := exec.Command(python, gen, "20000", seed)
			cmd.Dir = want
			stdout, err := cmd.Output()
			if err != nil {
				t.Fatalf("gen_data.py: %v", err)
			}
			got := t.TempDir()
			s, err := strconv.ParseInt(seed, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			meta, err := workload.Files(got, 20000, s)
			if err != nil {
				t.Fatal(err)
			}
			compareFiles(t, got, want)
			if !bytes.Equal(meta.Summary(), stdout) {
				t.Errorf("summary\n got %s\nwant %s", meta.Summary(), stdout)
			}
		})
	}
}
