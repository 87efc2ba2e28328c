package platform

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadJobFindsTheFileTheDirectoryOrTheDefault(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"orders_5min.yaml", "orders_daily.json"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(strings.Split(n, ".")[0]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	load := func(path string) (string, error) { // a job is its file's content: its name
		b, err := os.ReadFile(path)
		return string(b), err
	}
	name := func(j string) string { return j }
	one := filepath.Join(dir, "orders_5min.yaml")
	cases := []struct {
		name    string
		jobs    Jobs
		ask     string
		want    string
		wantErr string
	}{
		{"the one file, by its name", Jobs{File: one}, "orders_5min", "orders_5min", ""},
		{"the one file, no name asked", Jobs{File: one}, "", "orders_5min", ""},
		{"the one file refuses another job", Jobs{File: one}, "orders_daily", "", `job "orders_daily" is not served here`},
		{"a job of the directory, JSON", Jobs{Dir: dir}, "orders_daily", "orders_daily", ""},
		{"the default job", Jobs{Dir: dir, Default: "orders_5min"}, "", "orders_5min", ""},
		{"no job at all", Jobs{Dir: dir}, "", "", "FCSYNC_JOB is not set"},
		{"an unknown job", Jobs{Dir: dir}, "nope", "", "nope"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := LoadJob(c.jobs, c.ask, load, name)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("LoadJob = %q, %v; want %q", got, err, c.want)
			}
		})
	}
}
