package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// benchReadResult is the line localrun/benchread prints.
type benchReadResult struct {
	Client    string  `json:"client"`
	Records   int64   `json:"records"`
	Seconds   float64 `json:"seconds"`
	MsgsPerS  float64 `json:"msgs_per_s"`
	PeakRSSMB float64 `json:"peak_rss_mb"`
}

func runBench(ctx context.Context, args []string, out io.Writer) error {
	fs := flags("bench")
	records := fs.Int("records", 1_000_000, "records in the window")
	size := fs.Int("value-bytes", 512, "approximate value size")
	reader := fs.String("benchread", "dist/benchread", "the benchread binary (make bench builds it)")
	rounds := fs.Int("rounds", 5, "alternating read rounds per client; the median of each is reported")
	if err := parse(fs, args); err != nil {
		return err
	}
	if _, err := os.Stat(*reader); err != nil {
		return fmt.Errorf("bench: %s: build it with `go build -o %s ./localrun/benchread` (make bench does)", *reader, *reader)
	}
	broker, err := startBroker("", "", map[string]int32{"bench": 3})
	if err != nil {
		return err
	}
	defer broker.Close()
	addrs := broker.ListenAddrs()
	fmt.Fprintf(os.Stderr, "producing %d records of ~%d bytes to %v ...\n", *records, *size, addrs)
	if err := produceBench(ctx, addrs, *records, *size); err != nil {
		return err
	}

	if *rounds < 1 {
		return usageError{"bench: --rounds must be at least 1"}
	}
	rates := map[string][]float64{}
	for round := 0; round < *rounds; round++ {
		for _, client := range []string{"fcsync", "franz"} {
			res, err := benchRead(ctx, *reader, addrs, client)
			if err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "round %d %-6s %8.0f msgs/s  %d records  rss %.0f MB\n", round+1, client, res.MsgsPerS, res.Records, res.PeakRSSMB)
			if res.Records != int64(*records) {
				return fmt.Errorf("bench: %s read %d records, want %d", client, res.Records, *records)
			}
			rates[client] = append(rates[client], res.MsgsPerS)
		}
	}
	rss, written, err := benchWindowRSS(ctx, addrs, *records)
	if err != nil {
		return err
	}
	if written != int64(*records) {
		return fmt.Errorf("bench: the window wrote %d rows, want %d", written, *records)
	}
	f, k := median(rates["fcsync"]), median(rates["franz"])
	fmt.Fprintf(out, "BENCH window_read fcsync_msgs_per_s=%.0f franz_msgs_per_s=%.0f ratio=%.2f peak_rss_mb=%.0f\n", f, k, f/k, rss)
	return nil
}

func produceBench(ctx context.Context, brokers []string, n, size int) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(2*time.Millisecond), kgo.ProducerBatchMaxBytes(1<<20), kgo.MaxBufferedRecords(50000))
	if err != nil {
		return err
	}
	defer cl.Close()
	pad := strings.Repeat("x", max(0, size-120))
	t0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	errc := make(chan error, 1)
	for i := range n {
		v := fmt.Sprintf(`{"order_id":"o-%09d","customer":{"id":%d,"city":"Hangzhou"},"total":%d.5,"pad":"%s"}`, i, i%5000, i%997, pad)
		r := &kgo.Record{Topic: "bench", Key: []byte(fmt.Sprint(i % 5000)), Value: []byte(v), Timestamp: t0.Add(time.Duration(i) * time.Millisecond)}
		cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
			if err != nil {
				select {
				case errc <- err:
				default:
				}
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		return err
	}
	select {
	case err := <-errc:
		return fmt.Errorf("bench produce: %w", err)
	default:
		return nil
	}
}

func benchRead(ctx context.Context, bin string, brokers []string, client string) (benchReadResult, error) {
	var res benchReadResult
	cmd := exec.CommandContext(ctx, bin, "-brokers", strings.Join(brokers, ","), "-topic", "bench", "-client", client)
	cmd.Stderr = os.Stderr
	outb, err := cmd.Output()
	if err != nil {
		return res, fmt.Errorf("bench %s: %w", client, err)
	}
	if err := json.Unmarshal(bytes.TrimSpace(outb), &res); err != nil {
		return res, fmt.Errorf("bench %s: output %q: %w", client, outb, err)
	}
	return res, nil
}

// benchWindowRSS runs one whole window (read, map, write Parquet, commit) over every record in a
// child `localrun batch` process and returns its peak RSS, so the broker's memory is not counted.
func benchWindowRSS(ctx context.Context, brokers []string, n int) (float64, int64, error) {
	dir, err := os.MkdirTemp("", "fcsync-bench-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dir)
	jobFile := filepath.Join(dir, "bench.yaml")
	spec := `name: bench
reader:
  type: kafka
  topic: bench
  server: ` + brokers[0] + `
  column: [__key__, __value__, __partition__, __offset__, __timestamp__, order_id, customer.id, total]
  beginOffset: seekToBeginning
writer:
  type: odps
  table: bench
  partition: ds=bench
  truncate: true
  column: [k, v, kafka_partition, kafka_offset, ts, order_id, customer_id, total]
  schema:
    - {name: k, type: STRING}
    - {name: v, type: STRING}
    - {name: kafka_partition, type: BIGINT}
    - {name: kafka_offset, type: BIGINT}
    - {name: ts, type: BIGINT}
    - {name: order_id, type: STRING}
    - {name: customer_id, type: BIGINT}
    - {name: total, type: DOUBLE}
`
	if err := os.WriteFile(jobFile, []byte(spec), 0o644); err != nil {
		return 0, 0, err
	}
	self, err := os.Executable()
	if err != nil {
		return 0, 0, err
	}
	cmd := exec.CommandContext(ctx, self, "batch", "--job", jobFile, "--at", "2024-06-02T00:00:00Z", "--peak-rss",
		"--warehouse", filepath.Join(dir, "wh"), "--state", filepath.Join(dir, "state"), "--retry-interval", "0s")
	var outb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &outb, os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, fmt.Errorf("bench window: %w\n%s", err, outb.String())
	}
	var written int64
	peak := -1.0
	for _, line := range strings.Split(outb.String(), "\n") {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "peak_rss_mb="); ok {
			fmt.Sscanf(v, "%g", &peak)
		}
		if strings.HasPrefix(line, "total") {
			var read, dirty, late int64
			fmt.Sscanf(strings.Join(strings.FieldsFunc(line, func(r rune) bool { return r == '|' || r == ' ' })[1:], " "), "%d %d %d %d", &read, &written, &dirty, &late)
		}
	}
	fmt.Fprintf(os.Stderr, "full window of %d records (read, map, Parquet, commit) in %s\n", n, time.Since(start).Round(time.Millisecond))
	if peak < 0 {
		return 0, written, fmt.Errorf("bench window: the child printed no peak_rss_mb line")
	}
	return peak, written, nil
}

// median of the values (the mean of the middle two for an even count).
func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
