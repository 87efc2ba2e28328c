package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/fcsync/fcsync/shared/job"
	"github.com/fcsync/fcsync/shared/lake/hudi"
	"github.com/fcsync/fcsync/shared/objstore"
)

// TestBenchStreamWritesWhatTheWorkloadGeneratorKeeps runs the stream benchmark on a small
// workload from `localrun gen-workload`: every batch must write exactly the records the
// generator says survive the filter, with user.email hashed as the workload defines, and
// the BENCH line must carry the three figures.
func TestBenchStreamWritesWhatTheWorkloadGeneratorKeeps(t *testing.T) {
	dir := t.TempDir()
	summary, err := run(t, "gen-workload", "--records", "2500", "--seed", "7", "--out", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(summary, `{"records": 2500, "seed": 7, `) {
		t.Fatalf("gen-workload summary: %q", summary)
	}
	// The generator's meta file counts kept records per batch of 10000; ask for 1000-record
	// batches so the bench cannot use it, then check the totals here.
	lake := filepath.Join(dir, "out")
	out, err := run(t, "bench-stream", "--input", filepath.Join(dir, "input.jsonl"), "--batch", "1000", "--lake", lake)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^BENCH stream_batch records_per_s=[1-9]\d* per_core=[1-9]\d* peak_rss_mb=[1-9]\d*\n$`).MatchString(out) {
		t.Fatalf("bench line: %q", out)
	}

	var meta struct {
		Kept int `json:"kept"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "input.meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{} // order_id → email hash, for every record the filter keeps
	f, err := os.Open(filepath.Join(dir, "input.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var o struct {
			OrderID string  `json:"order_id"`
			Amount  float64 `json:"amount"`
			User    struct {
				Email string `json:"email"`
			} `json:"user"`
		}
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatal(err)
		}
		if o.Amount >= 100 {
			sum := sha256.Sum256([]byte("peer-bench-salt-v1" + o.User.Email))
			want[o.OrderID] = hex.EncodeToString(sum[:])
		}
	}
	if len(want) != meta.Kept {
		t.Fatalf("the generator says %d kept, the input has %d records with amount >= 100", meta.Kept, len(want))
	}

	store, err := objstore.NewDir(filepath.Join(lake, "lake"))
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := hudi.Open(t.Context(), store, "lake/bench_stream")
	if err != nil {
		t.Fatal(err)
	}
	snap, err := tbl.Snapshot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	err = snap.Scan(t.Context(), func(r hudi.Row) error {
		got++
		id, _ := r.Get("order_id")
		h, _ := r.Get("email_hash")
		if w, ok := want[id.(string)]; !ok || h != w {
			t.Errorf("order %v: email_hash %v, want %q (kept: %v)", id, h, w, ok)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got != meta.Kept {
		t.Fatalf("the table holds %d rows, want %d", got, meta.Kept)
	}
}

func TestBenchStreamOptionsReachTheJobsWriter(t *testing.T) {
	out, err := withWriterOptions(benchStreamJob, []string{"hoodie.parquet.small.file.limit=0", "hoodie.clean.automatic=false"})
	if err != nil {
		t.Fatal(err)
	}
	spec, err := job.LoadStream(out, "bench")
	if err != nil {
		t.Fatalf("the job with options does not load: %v\n%s", err, out)
	}
	want := map[string]any{"hoodie.parquet.small.file.limit": 0, "hoodie.clean.automatic": false}
	if !reflect.DeepEqual(spec.Writer.Options, want) {
		t.Fatalf("writer options %#v, want %#v", spec.Writer.Options, want)
	}
	for _, bad := range []string{"no-equals", "=1"} {
		if _, err := withWriterOptions(benchStreamJob, []string{bad}); err == nil {
			t.Errorf("option %q accepted", bad)
		}
	}
}
