package column

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/fcsync/fcsync/shared/record"
	"github.com/fcsync/fcsync/shared/schema"
)

var fuzzPaths = []string{"a.a1", "b", "c[1]", "d[0].AA", "a", "[0]", "a.b", "d[1]"}

// lookup evaluates a path on a document decoded by encoding/json; ok is false when missing.
func lookup(doc any, path []Step) (any, bool) {
	for _, st := range path {
		if st.IsIndex {
			arr, ok := doc.([]any)
			if !ok || st.Index >= len(arr) {
				return nil, false
			}
			doc = arr[st.Index]
			continue
		}
		obj, ok := doc.(map[string]any)
		if !ok {
			return nil, false
		}
		if doc, ok = obj[st.Key]; !ok {
			return nil, false
		}
	}
	return doc, true
}

// FuzzMapJSON feeds arbitrary value bytes through a mapper with JSON paths: it must never
// panic, must call a value dirty exactly when encoding/json calls it invalid, and must
// select what encoding/json selects.
func FuzzMapJSON(f *testing.F) {
	for _, s := range []string{readerExample, `{"a":{"a1":1e5},"b":[true,null]}`, `[1,2]`, `{"a":{"b":1},"a":{"c":2}}`,
		`{"b":"\ud83d\ude00\u0000"}`, `{"b":"\ud800"}`, `{"a":1,}`, `[[[[`, ``, `"x"`, "{\"b\":\"\xff\"}", ` {"d":[{"AA":{}}]} `} {
		f.Add([]byte(s))
	}
	types := make([]schema.Type, len(fuzzPaths))
	for i := range types {
		types[i] = schema.String
	}
	types[4] = schema.JSON
	m := mustMapper(f, Config{Columns: fuzzPaths, Table: table(types...)})
	specs := make([]Spec, len(fuzzPaths))
	for i, p := range fuzzPaths {
		specs[i], _ = Parse(p)
	}
	f.Fuzz(func(t *testing.T, value []byte) {
		row, err := m.Map(&record.Record{Value: value}, nil)
		valid := utf8.Valid(value) && json.Valid(value)
		if !valid {
			var de *DirtyError
			if !errors.As(err, &de) {
				t.Fatalf("invalid value %q mapped: %v %v", value, row, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("valid value %q: %v", value, err)
		}
		dec := json.NewDecoder(bytes.NewReader(value))
		dec.UseNumber()
		var doc any
		if err := dec.Decode(&doc); err != nil {
			t.Fatalf("encoding/json cannot decode %q: %v", value, err)
		}
		for i, sp := range specs {
			want, ok := lookup(doc, sp.Path)
			got := row[i]
			if !ok || want == nil {
				if got != nil {
					t.Fatalf("%s in %q = %#v, want NULL", fuzzPaths[i], value, got)
				}
				continue
			}
			s, isStr := got.(string)
			if !isStr {
				t.Fatalf("%s in %q = %#v, want a string", fuzzPaths[i], value, got)
			}
			if types[i] == schema.JSON || !isScalar(want) {
				var back any
				d := json.NewDecoder(bytes.NewReader([]byte(s)))
				d.UseNumber()
				if err := d.Decode(&back); err != nil || !reflect.DeepEqual(back, want) {
					t.Fatalf("%s in %q = %q, want JSON text of %#v (%v)", fuzzPaths[i], value, s, want, err)
				}
				var c bytes.Buffer
				if json.Compact(&c, []byte(s)); c.String() != s {
					t.Fatalf("%s in %q = %q, not compact", fuzzPaths[i], value, s)
				}
				continue
			}
			var text string
			switch w := want.(type) {
			case string:
				text = w
			case json.Number:
				text = string(w)
			case bool:
				text = "false"
				if w {
					text = "true"
				}
			}
			if s != text {
				t.Fatalf("%s in %q = %q, want %q", fuzzPaths[i], value, s, text)
			}
		}
	})
}

func isScalar(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return false
	}
	return true
}

// cpuTime reports process CPU nanoseconds per op next to wall time: the test machine is
// shared, so wall time per op says little on its own.
func cpuTime(b *testing.B) func() {
	var start syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &start) != nil {
		return func() {}
	}
	return func() {
		var end syscall.Rusage
		if syscall.Getrusage(syscall.RUSAGE_SELF, &end) != nil || b.N == 0 {
			return
		}
		ns := (end.Utime.Nano() + end.Stime.Nano()) - (start.Utime.Nano() + start.Stime.Nano())
		b.ReportMetric(float64(ns)/float64(b.N), "cpu-ns/op")
	}
}

func BenchmarkMapAttributes(b *testing.B) {
	m := mustMapper(b, Config{
		Columns: []string{"__key__", "__value__", "__partition__", "__offset__", "__timestamp__"},
		Table:   table(schema.String, schema.String, schema.BigInt, schema.BigInt, schema.BigInt),
	})
	r := &record.Record{Topic: "t", Partition: 3, Offset: 123456789, Timestamp: time.UnixMilli(1700000000123),
		Key: []byte("user-42"), Value: []byte(`{"id":42,"name":"alice","amount":12.5}`)}
	row := make(schema.Row, 0, m.Width())
	b.ReportAllocs()
	b.SetBytes(int64(len(r.Key) + len(r.Value)))
	defer cpuTime(b)()
	for b.Loop() {
		var err error
		if row, err = m.Map(r, row); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMapAttributesNumericOnly(b *testing.B) {
	m := mustMapper(b, Config{
		Columns: []string{"__partition__", "__offset__", "__timestamp__", "'const'"},
		Table:   table(schema.BigInt, schema.BigInt, schema.BigInt, schema.String),
	})
	r := &record.Record{Partition: 3, Offset: 12, Timestamp: time.UnixMilli(1700000000123)}
	row := make(schema.Row, 0, m.Width())
	b.ReportAllocs()
	defer cpuTime(b)()
	for b.Loop() {
		var err error
		if row, err = m.Map(r, row); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMapJSONPaths(b *testing.B) {
	m := mustMapper(b, Config{
		Columns: []string{"a.a1", "b", "c[1]", "d[0].AA", "a.b", "__offset__"},
		Table:   table(schema.String, schema.String, schema.String, schema.String, schema.String, schema.BigInt),
	})
	r := &record.Record{Value: []byte(readerExample), Offset: 7}
	row := make(schema.Row, 0, m.Width())
	b.ReportAllocs()
	b.SetBytes(int64(len(r.Value)))
	defer cpuTime(b)()
	for b.Loop() {
		var err error
		if row, err = m.Map(r, row); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodingJSONBaseline decodes the same document into any, for comparison.
func BenchmarkEncodingJSONBaseline(b *testing.B) {
	v := []byte(readerExample)
	b.ReportAllocs()
	b.SetBytes(int64(len(v)))
	defer cpuTime(b)()
	for b.Loop() {
		var doc any
		if err := json.Unmarshal(v, &doc); err != nil {
			b.Fatal(err)
		}
	}
}
