// Package sinktest is one scenario suite for every sink.Sink: append, overwrite, reruns of a
// segment, late rows into other partitions, many partitions, NULL and every supported type,
// a schema generated from a job, schema evolution, non-partitioned tables, aborted sessions.
//
// Run plays each scenario against a fresh sink of a Target and compares what the sink's
// reader then sees — canonical rows per partition, sorted — with a golden file in this
// package's testdata directory. Every sink compares with the same golden files, so the local
// warehouse and MaxCompute (on the mctest server) are required to hold identical partitions.
// `go test -args -sinktest.update` rewrites the golden files.
//
// RunRealtime does the same with the real-time path (package stream, a job with a
// MaxCompute writer): batches into hour partitions of an event time, into the day of the
// record's timestamp, into dynamic partitions of a field's value (hostile values are dirty
// data), redeliveries, and batches re-cut after an invocation was killed half-way through
// committing its partitions.
//
// The scenarios keep to what every sink promises alike. Where MaxCompute must differ from the
// warehouse — an Append rerun with different rows is a no-op on MaxCompute, and an overwrite
// there also replaces rows later windows appended — the MaxCompute package tests it itself.
package sinktest

import (
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/sink"
)

var update = flag.Bool("sinktest.update", false, "rewrite the sinktest golden files")

// Contents is what a table holds: rows by partition (schema.Partition.String(), "" for a
// non-partitioned table), each row a map from column name to value (every column of the
// table; nil for NULL) with the Go types package schema describes.
type Contents map[string][]map[string]any

// Reader reads everything a table holds. It is how a Target shows what its sink committed.
type Reader func(ctx context.Context, table string) (Contents, error)

// Target is a sink under test.
type Target struct {
	Name string
	// Open returns a fresh sink with no tables, and the reader of what it committed.
	Open func(t *testing.T) (sink.Sink, Reader)
}

// Row is one row written to a partition ("ds=1,hh=2"; "" for none).
type Row struct {
	Partition string
	Values    schema.Row
}

// Step is one session of a scenario.
type Step struct {
	Spec  sink.SessionSpec
	Rows  []Row
	Abort bool // abort instead of committing
}

// Scenario is a sequence of sessions and the tables to read afterwards.
type Scenario struct {
	Name   string
	Steps  []Step
	Tables []string
}

// Run plays every scenario against target and compares the contents with the golden files.
func Run(t *testing.T, target Target) {
	for _, sc := range Scenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			got := Play(t, target, sc)
			Golden(t, sc.Name, got)
		})
	}
}

// Play runs a scenario on a fresh sink of target and returns the canonical contents of its
// tables.
func Play(t *testing.T, target Target, sc Scenario) string {
	t.Helper()
	ctx := context.Background()
	s, read := target.Open(t)
	for i, st := range sc.Steps {
		if err := playStep(ctx, s, st); err != nil {
			t.Fatalf("%s: step %d (segment %q): %v", target.Name, i+1, st.Spec.Segment, err)
		}
	}
	var b strings.Builder
	for _, table := range sc.Tables {
		c, err := read(ctx, table)
		if err != nil {
			t.Fatalf("%s: read %s: %v", target.Name, table, err)
		}
		b.WriteString("table " + table + "\n")
		b.WriteString(Canonical(c))
	}
	return b.String()
}

func playStep(ctx context.Context, s sink.Sink, st Step) error {
	sess, err := s.Begin(ctx, st.Spec)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	for _, r := range st.Rows {
		p, err := schema.ParsePartition(r.Partition)
		if err != nil {
			return err
		}
		if err := sess.Write(ctx, p, r.Values); err != nil {
			_ = sess.Abort(ctx)
			return fmt.Errorf("write: %w", err)
		}
	}
	if st.Abort {
		return sess.Abort(ctx)
	}
	if err := sess.Commit(ctx); err != nil {
		_ = sess.Abort(ctx)
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Canonical renders contents as text: partitions sorted, each with its row count and its rows
// sorted, a row as name=value pairs in column-name order (names in lower case). Values:
// NULL, integers, floats in the shortest form that reads back, strconv-quoted strings, 0x-hex
// bytes, booleans, times in UTC RFC 3339 with nanoseconds.
func Canonical(c Contents) string {
	parts := make([]string, 0, len(c))
	for p := range c {
		parts = append(parts, p)
	}
	sort.Strings(parts)
	var b strings.Builder
	for _, p := range parts {
		rows := make([]string, len(c[p]))
		for i, r := range c[p] {
			rows[i] = canonicalRow(r)
		}
		sort.Strings(rows)
		name := p
		if name == "" {
			name = "(none)"
		}
		fmt.Fprintf(&b, "partition %s: %d rows\n", name, len(rows))
		for _, r := range rows {
			b.WriteString("  " + r + "\n")
		}
	}
	return b.String()
}

func canonicalRow(r map[string]any) string {
	names := make([]string, 0, len(r))
	for k := range r {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool { return strings.ToLower(names[i]) < strings.ToLower(names[j]) })
	fields := make([]string, len(names))
	for i, k := range names {
		fields[i] = strings.ToLower(k) + "=" + CanonicalValue(r[k])
	}
	return strings.Join(fields, " ")
}

// CanonicalValue renders one value as Canonical does.
func CanonicalValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return fmt.Sprint(x)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case string:
		return strconv.Quote(x)
	case []byte:
		return "0x" + hex.EncodeToString(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("<%T %v>", v, v)
}

// Golden compares got with testdata/<name>.golden of this package (rewriting it with
// -sinktest.update).
func Golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(testdataDir(), name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -args -sinktest.update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("contents differ from %s:\n%s", path, diff(string(want), got))
	}
}

func testdataDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "testdata"
	}
	return filepath.Join(filepath.Dir(file), "testdata")
}

// diff lists the lines only in want (-) and only in got (+).
func diff(want, got string) string {
	count := map[string]int{}
	for _, l := range strings.Split(want, "\n") {
		count[l]++
	}
	for _, l := range strings.Split(got, "\n") {
		count[l]--
	}
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if count[l] > 0 {
			b.WriteString("- " + l + "\n")
			count[l]--
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if count[l] < 0 {
			b.WriteString("+ " + l + "\n")
			count[l]++
		}
	}
	return b.String()
}
