package hudi_test

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/fcsync/fcsync/shared/lake/hudi"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schema"
)

// streamColumns are the columns the stream benchmark's job writes.
var streamColumns = hudi.WorkloadColumns

// streamRows makes n rows of about 1 KB, like the stream workload's orders.
func streamRows(n, batch int) []schema.Row {
	r := rand.New(rand.NewPCG(uint64(batch), 7))
	words := strings.Fields("order shipped paid refund express gift wrap fragile handle with care leave at door call before delivery")
	rows := make([]schema.Row, n)
	for i := range rows {
		var note strings.Builder
		for note.Len() < 880 {
			note.WriteString(words[r.IntN(len(words))])
			note.WriteByte(' ')
		}
		rows[i] = schema.Row{
			fmt.Sprintf("ord-%d-%08d", batch, i),
			fmt.Sprintf("user%05d", r.IntN(50000)),
			fmt.Sprintf("%016x%016x", r.Uint64(), r.Uint64()),
			float64(r.IntN(100000)) / 100,
			[]string{"new", "paid", "shipped", "done"}[r.IntN(4)],
			int64(r.IntN(20)),
			note.String(),
		}
	}
	return rows
}

var streamConfig = hudi.Config{Name: "orders", Columns: streamColumns, RecordKey: []string{"order_id"}}

// BenchmarkWrite10k writes 10,000 rows of about 1 KB into a new table on a directory store.
func BenchmarkWrite10k(b *testing.B) {
	rows := streamRows(10000, 1)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		s, err := objstore.NewDir(filepath.Join(b.TempDir(), strconv.Itoa(i)))
		if err != nil {
			b.Fatal(err)
		}
		tbl, err := hudi.Create(b.Context(), s, "lake/orders", streamConfig)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := tbl.Write(b.Context(), hudi.Batch{Columns: streamColumns, Rows: rows, Checkpoints: map[string]int64{"orders/0": 10000}})
		if err != nil || res.Inserted != len(rows) {
			b.Fatalf("Write = %+v, %v", res, err)
		}
	}
	b.ReportMetric(float64(len(rows)*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkUpsert10kIntoExisting upserts 10,000 rows (half updates) into a table that already
// holds 20,000.
func BenchmarkUpsert10kIntoExisting(b *testing.B) {
	first, second := streamRows(10000, 1), streamRows(10000, 2)
	upd := append(append([]schema.Row{}, first[:5000]...), second[:5000]...)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		s, err := objstore.NewDir(filepath.Join(b.TempDir(), strconv.Itoa(i)))
		if err != nil {
			b.Fatal(err)
		}
		tbl, err := hudi.Create(b.Context(), s, "lake/orders", streamConfig)
		if err != nil {
			b.Fatal(err)
		}
		for _, rows := range [][]schema.Row{first, streamRows(10000, 3)} {
			if _, err := tbl.Write(b.Context(), hudi.Batch{Columns: streamColumns, Rows: rows}); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		if _, err := tbl.Write(b.Context(), hudi.Batch{Columns: streamColumns, Rows: upd}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(upd)*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkCleanWithNothingToDelete measures what a clean costs when there is nothing to do,
// as after most commits of a cleaned table: read the timeline, list 120 base files in 10
// partitions, plan.
func BenchmarkCleanWithNothingToDelete(b *testing.B) {
	s, err := objstore.NewDir(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	cfg := hudi.Config{Name: "orders", Columns: streamColumns, RecordKey: []string{"order_id"}, Partitioning: hudi.Partitioning{Fields: []string{"status"}}}
	tbl, err := hudi.Create(b.Context(), s, "lake/orders", cfg, hudi.WithFileSizes(8<<10, 0), hudi.WithCleanRetained(2))
	if err != nil {
		b.Fatal(err)
	}
	statuses := []string{"s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9"}
	for c := range 12 {
		rows := streamRows(20, c)
		for i, r := range rows {
			r[4] = statuses[i%len(statuses)]
		}
		if _, err := tbl.Write(b.Context(), hudi.Batch{Columns: streamColumns, Rows: rows}); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := tbl.Clean(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		res, err := tbl.Clean(b.Context())
		if err != nil || res.Deleted != 0 {
			b.Fatalf("Clean = %+v, %v", res, err)
		}
	}
}

// TestWriting10kRowsOf1KBStaysWellUnder128MB runs a 10,000-row write in a child process and
// checks the child's peak resident set size (the whole process: rows, encoding and store).
func TestWriting10kRowsOf1KBStaysWellUnder128MB(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/self/status")
	}
	if raceDetector {
		t.Skip("the race detector multiplies memory use")
	}
	if dir := os.Getenv("HUDI_MEMORY_CHILD_DIR"); dir != "" {
		s, err := objstore.NewDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		tbl := mustCreate(t, s, "lake/orders", streamConfig)
		rows := streamRows(10000, 1)
		mustWrite(t, tbl, hudi.Batch{Columns: streamColumns, Rows: rows, Checkpoints: map[string]int64{"orders/0": 10000}})
		// A second batch upserts half of the rows, rewriting the file group.
		mustWrite(t, tbl, hudi.Batch{Columns: streamColumns, Rows: append(rows[:5000:5000], streamRows(5000, 2)...), Checkpoints: map[string]int64{"orders/0": 20000}})
		fmt.Printf("peak-rss-kb %d\n", peakRSS(t))
		return
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestWriting10kRowsOf1KBStaysWellUnder128MB$", "-test.count=1")
	cmd.Env = append(os.Environ(), "HUDI_MEMORY_CHILD_DIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var kb int64 = -1
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "peak-rss-kb "); ok {
			kb, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	if kb <= 0 {
		t.Fatalf("no peak RSS in the child's output:\n%s", out)
	}
	t.Logf("peak RSS of the writing process: %d MiB", kb>>10)
	if kb > 96<<10 {
		t.Errorf("peak RSS %d MiB, want well under 128 MiB (at most 96)", kb>>10)
	}
}

// peakRSS reads VmHWM (peak resident set size, kB) from /proc/self/status.
func peakRSS(t *testing.T) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}

// BenchmarkWriteStreamBatches writes batches of 9,000 new rows shaped like the stream
// benchmark's into one table, as the stream function does: each batch tops up the table's
// small file group (keeping its leading row groups in place) until it is full, then starts
// another. Run it with -benchtime=20x to write what the stream benchmark writes.
func BenchmarkWriteStreamBatches(b *testing.B) {
	const batch = 9000
	rows := hudi.WorkloadRows(batch)
	s, err := objstore.NewDir(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	cfg := hudi.Config{Name: "bench_stream", Columns: streamColumns, RecordKey: []string{"order_id"}}
	tbl, err := hudi.Create(b.Context(), s, "lake/bench_stream", cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	next := 0
	cpu := processCPU()
	for b.Loop() {
		b.StopTimer()
		c := processCPU()
		for _, r := range rows {
			next++
			r[0] = fmt.Sprintf("ORD-%09d", next)
		}
		cpu += processCPU() - c
		b.StartTimer()
		res, err := tbl.Write(b.Context(), hudi.Batch{Columns: streamColumns, Rows: rows, Checkpoints: map[string]int64{"orders/0": int64(next)}})
		if err != nil || res.Inserted != len(rows) {
			b.Fatalf("Write = %+v, %v", res, err)
		}
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "rows/s")
	// CPU per row (user and system) is what the stream function pays for; the wall time
	// includes waiting for fsyncs.
	b.ReportMetric(float64(processCPU()-cpu)/float64(batch*b.N), "cpu-ns/row")
}
