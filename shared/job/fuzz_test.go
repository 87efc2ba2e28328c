package job

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzLoad feeds arbitrary bytes to Load (job import): it must return a spec or an error, never
// panic. A spec it accepts must bind at another time without panicking and, when it binds, give a
// valid destination table and a mapper.
func FuzzLoad(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "jobs", "*"))
	if err != nil {
		f.Fatal(err)
	}
	if len(files) == 0 {
		f.Fatal("no seed jobs in testdata/jobs")
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"", "{", "{}", "[]", "null", "- a", "a: b", "reader: {type: kafka}",
		`{"steps":[{"stepType":"kafka","parameter":{}}]}`,
		`{"job":{"content":[{"reader":{"name":"kafkareader","parameter":{}}}]}}`,
		"reader: &a {type: kafka, x: *a}",
	} {
		f.Add([]byte(s))
	}
	later := time.Date(2024, 2, 29, 23, 59, 59, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Load(data, "fuzz")
		if err != nil {
			if strings.TrimSpace(err.Error()) == "" {
				t.Fatal("empty error text")
			}
			return
		}
		if s.Name == "" || s.Location == nil {
			t.Fatalf("accepted spec without name or location: %+v", s)
		}
		j, err := s.Bind(later, map[string]string{"startTime": "20240229000000"})
		if err != nil {
			return
		}
		if j.Reader.Topic == "" || len(j.Reader.Columns) == 0 {
			t.Fatalf("bound job without topic or columns: %+v", j.Reader)
		}
		if err := j.Writer.Table.Validate(); err != nil {
			t.Fatalf("bound job with an invalid table: %v", err)
		}
		if _, err := j.Mapper(); err != nil {
			t.Fatalf("Bind succeeded but Mapper fails: %v", err)
		}
		_ = j.GeneratedTable()
	})
}
