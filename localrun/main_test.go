package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s:\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := dispatch(context.Background(), args, &out)
	return out.String(), err
}

// TestCommandsPrintGoldenOutput runs the inspection commands on fixed inputs. The params cases are
// the five schedules of "DataWorks: Synchronize incremental data from Kafka to MaxCompute" at
// the times that document gives.
func TestCommandsPrintGoldenOutput(t *testing.T) {
	cases := []struct {
		name string
		args []string
	}{
		{"params_5min", []string{"params", "--at", "2022-11-22 10:00:00", "startTime=$[yyyymmddhh24mi-8/24/60]00 endTime=$[yyyymmddhh24mi-3/24/60]00 partition=$[yyyymmddhh24mi-8/24/60]"}},
		{"params_hourly", []string{"params", "--at", "2022-11-22 10:05:00", "startTime=$[yyyymmddhh24-1/24]0000 endTime=$[yyyymmddhh24]0000 partition=$[yyyymmddhh24]"}},
		{"params_daily", []string{"params", "--at", "2022-11-22 00:05:00", "startTime=$[yyyymmdd-1]000000 endTime=$[yyyymmdd]000000 partition=$[yyyymmdd-1]"}},
		{"params_weekly", []string{"params", "--at", "2022-11-22 00:05:00", "startTime=$[yyyymmdd-7]000000 endTime=$[yyyymmdd]000000 partition=$[yyyymmdd-1]"}},
		{"params_monthly", []string{"params", "--at", "2022-11-22 00:05:00", "startTime=$[add_months(yyyymmdd,-1)]000000 endTime=$[yyyymmdd]000000 partition=$[yyyymmdd-1]"}},
		{"params_expressions_utc", []string{"params", "--at", "2025-11-01T02:30:45Z", "--tz", "UTC", "${yyyymmdd}", "$[hh24miss-1/24/60]", "$bizdate", "$cyctime", "$[add_months(yyyymmdd,-12)]"}},
		{"ddl", []string{"ddl", "--job", "../infra/jobs/orders_5min.yaml"}},
		{"preview", []string{"preview", "--job", "testdata/preview_job.yaml", "--input", "testdata/preview_records.jsonl"}},
		{"preview_stream", []string{"preview", "--job", "../infra/jobs/stream/orders_rt.yaml", "--input", "testdata/preview_stream_records.jsonl", "--at", "2024-06-01T10:00:00Z"}},
		// Stream jobs' destination DDL: a Hudi table's properties and columns, a MaxCompute
		// CREATE TABLE, and the schema changes a batch with dynamic fields makes (YAML and JSON jobs).
		{"ddl_stream_hudi", []string{"ddl", "--job", "../infra/jobs/stream/orders_rt.yaml"}},
		{"ddl_stream_hudi_dynamic", []string{"ddl", "--job", "demo/orders_rt.yaml", "--input", "testdata/preview_stream_records.jsonl", "--at", "2024-06-01T10:00:00Z"}},
		{"ddl_stream_mc_json", []string{"ddl", "--job", "testdata/ddl_stream_mc_job.json", "--input", "testdata/preview_stream_records.jsonl", "--at", "2024-06-01T10:00:00Z"}},
		{"preview_stream_ddl_json", []string{"preview", "--job", "testdata/ddl_stream_mc_job.json", "--input", "testdata/preview_stream_records.jsonl", "--at", "2024-06-01T10:00:00Z"}},
		// Records without their primary key (missing, NULL, empty) and a tombstone are dirty.
		{"preview_stream_keys", []string{"preview", "--job", "../infra/jobs/stream/orders_rt.yaml", "--input", "testdata/preview_stream_keys_records.jsonl", "--at", "2024-06-01T10:00:00Z"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := run(t, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, out)
		})
	}
}

// TestCommandsRejectBadInvocationsWithUsage checks every command's argument errors are usage errors
// that say what is missing.
func TestCommandsRejectBadInvocationsWithUsage(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"nope"}, "unknown command"},
		{[]string{"params", "${yyyymmdd}"}, "--at"},
		{[]string{"params", "--at", "yesterday", "${yyyymmdd}"}, "not a time"},
		{[]string{"params", "--at", "2022-11-22", "--tz", "Mars/Base", "${x}"}, "time zone"},
		{[]string{"batch", "--at", "2022-11-22"}, "--job"},
		{[]string{"ddl"}, "--job"},
		{[]string{"preview", "--job", "x.yaml"}, "--input"},
		{[]string{"query"}, "--table"},
		{[]string{"produce", "--count", "3"}, "--topic"},
		{[]string{"invoke", "--function", "cdc", "--event", "e.json"}, "cdc"},
		{[]string{"params", "--bogus"}, "flag provided but not defined"},
		{[]string{"gen-workload", "--records", "0"}, "at least 1"},
		{[]string{"gen-workload", "--seed", "x"}, "invalid value"},
		{[]string{"gen-workload", "out"}, "unexpected argument"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, err := run(t, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error mentioning %q, got %v", tc.want, err)
			}
		})
	}
}

// TestParamsRejectsMalformedExpressionWithoutPanicking feeds hostile expressions to the CLI.
func TestParamsRejectsMalformedExpressionWithoutPanicking(t *testing.T) {
	for _, expr := range []string{"$[yyyymmdd", "${nope}", "$[add_months(yyyymmdd,)]", "$[yyyy mm]", "$[" + strings.Repeat("q", 10000) + "]"} {
		if _, err := run(t, "params", "--at", "2022-11-22 10:00:00", expr); err == nil {
			t.Errorf("%.40q: want an error", expr)
		}
	}
}

// TestDemoWritesEveryWindowAndItsRerunChangesNothing runs `localrun demo` and checks its summary:
// eight windows, a rerun whose counts equal the first run's, and sample rows from the warehouse.
func TestDemoWritesEveryWindowAndItsRerunChangesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole demo")
	}
	out, err := run(t, "demo", "--dir", t.TempDir())
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	var first, rerun string
	windows := 0
	for _, line := range strings.Split(out, "\n") {
		fields := strings.FieldsFunc(line, func(r rune) bool { return r == '|' })
		if len(fields) < 8 || !strings.Contains(fields[0], "2024-06-01") {
			continue
		}
		windows++
		row := strings.Join(append([]string{fields[0], fields[1]}, fields[3:]...), "|")
		if strings.Contains(fields[0], "10:05") {
			if strings.TrimSpace(fields[2]) == "yes" {
				rerun = row
			} else {
				first = row
			}
		}
	}
	if windows != 9 {
		t.Errorf("want 8 windows and 1 rerun in the summary, got %d rows:\n%s", windows, out)
	}
	if first == "" || first != rerun {
		t.Errorf("the rerun of 10:05 differs from its first run:\n first: %s\n rerun: %s", first, rerun)
	}
	for _, want := range []string{"sample rows of partition ds=202406010952", `"order_id":"o-`, "dirty data", "reason="} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
}
