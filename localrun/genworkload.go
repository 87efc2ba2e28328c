package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/fcsync/fcsync/localrun/workload"
)

// runGenWorkload writes the stream benchmark's workload (package workload) into --out:
// input.jsonl and input.meta.json, the same bytes the peers' gen_data.py writes for the
// same --records and --seed, and prints its summary line.
func runGenWorkload(_ context.Context, args []string, out io.Writer) error {
	fs := flags("gen-workload")
	records := fs.Int("records", workload.DefaultRecords, "number of shop orders")
	seed := fs.Int64("seed", workload.DefaultSeed, "seed of the generator (Python's random.Random(seed))")
	dir := fs.String("out", ".", "directory for input.jsonl and input.meta.json (created if missing)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("gen-workload: unexpected argument %q", fs.Arg(0))}
	}
	if *records < 1 {
		return usageError{fmt.Sprintf("gen-workload: --records %d: want at least 1", *records)}
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return fmt.Errorf("gen-workload: %w", err)
	}
	meta, err := workload.Files(*dir, *records, *seed)
	if err != nil {
		return fmt.Errorf("gen-workload: %w", err)
	}
	_, err = out.Write(meta.Summary())
	return err
}
