package maxcompute_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/job"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/sink/maxcompute"
	"github.com/fcsync/fcsync/shared/sink/maxcompute/mctest"
)

var update = flag.Bool("update", false, "rewrite infra/maxcompute/*.sql from the example jobs")

// The DDL files in infra/maxcompute are what the sink runs for the example batch jobs when
// their tables are absent, for operators who create tables ahead; the test server runs them.
func TestInfraDDLIsWhatTheSinkRunsForTheExampleJobs(t *testing.T) {
	root := filepath.Join("..", "..", "..", "infra")
	files, err := filepath.Glob(filepath.Join(root, "jobs", "*.*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no example jobs in %s/jobs (%v)", root, err)
	}
	s, err := maxcompute.New(maxcompute.Config{Endpoint: "http://127.0.0.1:1/api", Project: "p", Lifecycle: 36500,
		Credentials: maxcompute.Credentials{AccessKeyID: "a", AccessKeySecret: "b"}}, objstore.NewMemory())
	if err != nil {
		t.Fatal(err)
	}
	srv := mctest.New(t)
	for _, f := range files {
		spec, err := job.LoadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		j, err := spec.Bind(time.Date(2022, 11, 22, 10, 15, 0, 0, time.UTC), nil)
		if err != nil {
			t.Fatal(err)
		}
		want := s.CreateTableSQL(j.Writer.Table)
		path := filepath.Join(root, "maxcompute", spec.Name+".sql")
		if *update {
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test -run %s -args -update writes it)", err, t.Name())
		}
		if string(got) != want {
			t.Errorf("%s differs from what the sink runs for %s:\n%s\nwant:\n%s", path, f, got, want)
		}
		if err := srv.Exec(srv.Project(), string(got)); err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		info, err := srv.Table(srv.Project(), j.Writer.Table.Name)
		if err != nil {
			t.Fatal(err)
		}
		if len(info.Columns) != len(j.Writer.Table.Columns) || info.Lifecycle != 36500 {
			t.Errorf("%s created %+v", path, info)
		}
		if !strings.HasPrefix(string(got), "CREATE TABLE IF NOT EXISTS") {
			t.Errorf("%s does not start with CREATE TABLE IF NOT EXISTS", path)
		}
	}
}
