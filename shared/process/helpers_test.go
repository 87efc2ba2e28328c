package process

import (
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/fcsync/fcsync/shared/column"
	"github.com/fcsync/fcsync/shared/record"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// decodeYAML decodes YAML text into the tree config readers take.
func decodeYAML(t testing.TB, text string) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(text), &v); err != nil {
		t.Fatalf("YAML: %v\n%s", err, text)
	}
	return v
}

// compile compiles a chain written as a YAML list of processors.
func compile(t testing.TB, text string, opts ...Option) *Chain {
	t.Helper()
	c, err := Compile("processors", decodeYAML(t, text), opts...)
	if err != nil {
		t.Fatalf("Compile: %v\n%s", err, text)
	}
	return c
}

// compileErr returns Compile's error for a YAML chain (nil when it compiles).
func compileErr(t testing.TB, text string) error {
	t.Helper()
	_, err := Compile("processors", decodeYAML(t, text))
	return err
}

// msg builds a hand-made message from name/value pairs.
func msg(kv ...any) *Message {
	m := &Message{}
	for i := 0; i+1 < len(kv); i += 2 {
		m.Set(kv[i].(string), kv[i+1])
	}
	return m
}

// valueRec is a record with a value at a fixed position and time.
func valueRec(value string) *record.Record {
	return &record.Record{Topic: "orders", Partition: 3, Offset: 42, Timestamp: time.UnixMilli(1767225600123), Value: []byte(value)}
}

// run passes m through the chain and renders the outcome.
func run(c *Chain, m *Message) string {
	keep, err := c.Process(m)
	switch {
	case err != nil:
		return "dirty: " + err.Error()
	case !keep:
		return "dropped"
	}
	return render(m)
}

// render lists the fields one a line: name = type value; dynamic fields are marked ~.
func render(m *Message) string {
	var b strings.Builder
	for i := 0; i < m.Len(); i++ {
		name := m.Name(i)
		if m.Dynamic(i) {
			name += "~"
		}
		fmt.Fprintf(&b, "%s = %s\n", name, show(m.Value(i)))
	}
	return b.String()
}

func show(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return "string " + strconv.Quote(x)
	case int64:
		return "int64 " + strconv.FormatInt(x, 10)
	case float64:
		return "float64 " + strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return "bool " + strconv.FormatBool(x)
	case []byte:
		if utf8.Valid(x) {
			return "bytes " + strconv.Quote(string(x))
		}
		return "bytes base64:" + base64.StdEncoding.EncodeToString(x)
	case time.Time:
		return "time " + x.Format(time.RFC3339Nano)
	case column.JSONText:
		return "json " + string(x)
	}
	return fmt.Sprintf("%T %v", v, v)
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// dirtyOf asserts err is a *DirtyError and returns it.
func dirtyOf(t *testing.T, err error) *DirtyError {
	t.Helper()
	var de *DirtyError
	if !errors.As(err, &de) {
		t.Fatalf("error %v, want a *DirtyError", err)
	}
	return de
}

func jsonText(s string) column.JSONText { return column.JSONText(s) }
