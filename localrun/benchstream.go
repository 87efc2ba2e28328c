package main

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/fcsync/fcsync/functions/platform"
	streamhandler "github.com/fcsync/fcsync/functions/stream/handler"
	"github.com/fcsync/fcsync/shared/record"
	"github.com/fcsync/fcsync/shared/rss"
	"github.com/fcsync/fcsync/shared/trigger"
	"gopkg.in/yaml.v3"
)

// benchStreamJob is the processing the peers were measured on (package localrun/workload):
// parse, mask user.email as hex(sha256(salt+email)), drop amount < 100, keep seven columns, write.
//
//go:embed benchstream.yaml
var benchStreamJob []byte

// runBenchStream pushes the stream workload through the stream function's handler, one FC
// Kafka-trigger payload per batch, exactly as an invocation would: decode the CloudEvents,
// run the chain and the mapping, commit to a Hudi table on a local directory. Building the
// payloads is not timed; everything the function does is. It prints
//
//	BENCH stream_batch records_per_s=N per_core=N peak_rss_mb=M
//
// where per_core is records per CPU-second of this process (user + system) and peak_rss_mb
// its high-water mark (VmHWM): run it as its own process, as `make bench` does. --memory
// applies the heap limit the function sets from its configured memory size.
func runBenchStream(ctx context.Context, args []string, out io.Writer) error {
	fs := flags("bench-stream")
	input := fs.String("input", "", "the workload (input.jsonl from localrun gen-workload)")
	batch := fs.Int("batch", 10_000, "records per trigger payload")
	batches := fs.Int("batches", 0, "stop after this many batches (0: the whole input)")
	lakeDir := fs.String("lake", "", "where the Hudi table goes (default: a temporary directory, removed after)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	memProfile := fs.String("memprofile", "", "write a heap profile (allocations included) to this file at the end")
	var options multi
	fs.Var(&options, "option", "a Hudi writer option for the benchmark's table, key=value (e.g. hoodie.parquet.small.file.limit=0); repeatable")
	memory := fs.Int("memory", 0, "emulate a function of this memory size in MB: the heap's soft limit is set as the function sets it (0: none)")
	shapeName := fs.String("shape", "cloudevents", "payload shape: cloudevents, cloudevents-strings, rawdata or lambda")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *input == "" {
		return usageError{"bench-stream: --input is required (localrun gen-workload --records N writes input.jsonl)"}
	}
	if *batch < 1 {
		return usageError{"bench-stream: --batch must be at least 1"}
	}
	shape, err := trigger.ParseKafkaShape(*shapeName)
	if err != nil {
		return usageError{"bench-stream: --shape: " + err.Error()}
	}
	if *cpuProfile != "" {
		pf, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	f, err := os.Open(*input)
	if err != nil {
		return err
	}
	defer f.Close()
	dir := *lakeDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "fcsync-bench-stream-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	jobFile := filepath.Join(dir, "bench_stream.yaml")
	spec, err := withWriterOptions(benchStreamJob, options)
	if err != nil {
		return usageError{"bench-stream: --option: " + err.Error()}
	}
	if err := os.WriteFile(jobFile, spec, 0o644); err != nil {
		return err
	}
	if *memory > 0 {
		if limit := platform.LimitMemory(*memory, os.Getenv); limit > 0 {
			fmt.Fprintf(os.Stderr, "function memory %d MB: Go heap soft limit %d MiB\n", *memory, limit>>20)
		}
	}
	meta := readWorkloadMeta(*input, *batch)
	h := streamhandler.New(streamhandler.Config{JobFile: jobFile, LakeDir: filepath.Join(dir, "lake")},
		slog.New(slog.NewTextHandler(io.Discard, nil)))

	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<16), 16<<20)
	var (
		total             benchStreamTotals
		recs              = make([]record.Record, 0, *batch)
		offset            int64
		t0                = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		n                 int
		wall, cpu         time.Duration
		startWall         = time.Now()
		reportEvery       = 10
		prevCPU, prevWall time.Duration
	)
	fmt.Fprintf(os.Stderr, "%8s|%10s|%10s|%10s|%12s|%12s|\n", "batch", "records", "filtered", "written", "rec/s", "rec/cpu-s")
	flush := func() error {
		if len(recs) == 0 {
			return nil
		}
		payload, err := trigger.EncodeKafka(recs, shape)
		if err != nil {
			return err
		}
		// The function holds the payload, not the records it was made of.
		size := len(recs)
		clear(recs)
		recs = recs[:0]
		c0, w0 := cpuTime(), time.Now()
		res, err := h.Invoke(ctx, payload, platform.Credentials{})
		w1, c1 := time.Now(), cpuTime()
		if err != nil {
			return fmt.Errorf("bench-stream: batch %d: %w", n+1, err)
		}
		rep := res.Report
		if rep.Dirty != 0 || rep.Written+rep.Filtered != size {
			return fmt.Errorf("bench-stream: batch %d: %d records, %d written, %d filtered, %d dirty: the workload has no dirty records", n+1, size, rep.Written, rep.Filtered, rep.Dirty)
		}
		if meta != nil && n < len(meta.KeptPerBatch) && rep.Written != meta.KeptPerBatch[n] {
			return fmt.Errorf("bench-stream: batch %d: wrote %d records, the workload generator kept %d", n+1, rep.Written, meta.KeptPerBatch[n])
		}
		n++
		wall += w1.Sub(w0)
		cpu += c1 - c0
		total.add(size, rep.Filtered, rep.Written)
		if n%reportEvery == 0 {
			dw, dc := wall-prevWall, cpu-prevCPU
			fmt.Fprintf(os.Stderr, "%8d|%10d|%10d|%10d|%12.0f|%12.0f|\n", n, total.records, total.filtered, total.written,
				float64(reportEvery**batch)/dw.Seconds(), float64(reportEvery**batch)/dc.Seconds())
			prevWall, prevCPU = wall, cpu
		}
		return nil
	}
	for sc.Scan() {
		if *batches > 0 && n >= *batches {
			break
		}
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		recs = append(recs, record.Record{Topic: "orders", Partition: 0, Offset: offset,
			Timestamp: t0.Add(time.Duration(offset) * time.Millisecond), Value: append([]byte(nil), line...)})
		offset++
		if len(recs) == *batch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("bench-stream: %s: %w", *input, err)
	}
	if *batches == 0 || n < *batches {
		if err := flush(); err != nil {
			return err
		}
	}
	if total.records == 0 {
		return fmt.Errorf("bench-stream: %s holds no records", *input)
	}
	if *memProfile != "" {
		pf, err := os.Create(*memProfile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.Lookup("allocs").WriteTo(pf, 0); err != nil {
			return err
		}
	}
	peak, err := rss.PeakMB()
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%d batches, %d records (%d filtered, %d written) in %s invoking, %s CPU, %s overall\n",
		n, total.records, total.filtered, total.written, wall.Round(time.Millisecond), cpu.Round(time.Millisecond), time.Since(startWall).Round(time.Millisecond))
	fmt.Fprintf(out, "BENCH stream_batch records_per_s=%.0f per_core=%.0f peak_rss_mb=%.0f\n",
		float64(total.records)/wall.Seconds(), float64(total.records)/cpu.Seconds(), peak)
	return nil
}

// workloadMeta is the input.meta.json gen-workload writes beside input.jsonl: what the
// processing must keep, per batch of BatchSize records.
type workloadMeta struct {
	BatchSize    int   `json:"batch_size"`
	KeptPerBatch []int `json:"kept_per_batch"`
}

// readWorkloadMeta returns the generator's expectations when they exist and match the batch
// size, so the benchmark checks its own output; nil otherwise.
func readWorkloadMeta(input string, batch int) *workloadMeta {
	b, err := os.ReadFile(strings.TrimSuffix(input, ".jsonl") + ".meta.json")
	if err != nil {
		return nil
	}
	var m workloadMeta
	if json.Unmarshal(b, &m) != nil || m.BatchSize != batch {
		return nil
	}
	return &m
}

// withWriterOptions sets writer.options of a job document from key=value pairs (values are
// read as YAML scalars); the job's loader checks them.
func withWriterOptions(doc []byte, pairs []string) ([]byte, error) {
	if len(pairs) == 0 {
		return doc, nil
	}
	var top map[string]any
	if err := yaml.Unmarshal(doc, &top); err != nil {
		return nil, err
	}
	w, _ := top["writer"].(map[string]any)
	if w == nil {
		return nil, fmt.Errorf("the job has no writer")
	}
	opts, _ := w["options"].(map[string]any)
	if opts == nil {
		opts = map[string]any{}
	}
	for _, kv := range pairs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%q: want key=value", kv)
		}
		var val any
		if err := yaml.Unmarshal([]byte(v), &val); err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		opts[k] = val
	}
	w["options"] = opts
	return yaml.Marshal(top)
}

type benchStreamTotals struct{ records, filtered, written int }

func (t *benchStreamTotals) add(records, filtered, written int) {
	t.records += records
	t.filtered += filtered
	t.written += written
}

// cpuTime is the CPU time (user + system) this process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
