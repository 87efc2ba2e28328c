package process

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/fcsync/fcsync/shared/record"
)

// FuzzCompile feeds arbitrary chain configurations (as JSON) to Compile and runs what
// compiles over a few records: nothing may panic, and a record's only errors are dirty
// data.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		`[{"json":{"fields":[{"name":"a","path":"a.b[0]","type":"BIGINT"}],"dynamic":{"maxFields":2}}}]`,
		`[{"mask":{"fields":[{"field":"a","method":"partial","keepFirst":1,"keepLast":1,"char":"é"}]}}]`,
		`[{"replace":{"fields":[{"field":"a","find":"(x+)+y","replace":"$1","regex":true}]}}]`,
		`[{"filter":{"or":[{"field":"a","op":"in","value":[1,"2"]},{"and":[{"field":"b","op":"regex match","value":"^a"}]}]}}]`,
		`[{"edit":{"keep":["a","__value__"],"rename":[{"from":"a","to":"b"}],"add":[{"name":"d","value":"${bizdate}-$[hh24-1/24]"}]}}]`,
		`[{"edit":{"add":[{"name":"x","attribute":"offset"}]}},{"filter":{"field":"x","op":">=","value":"1e3"}}]`,
		`[{"json":{"from":"x"}}]`, `{}`, `[1]`, `[{"a":{},"b":{}}]`, `null`,
	} {
		f.Add([]byte(s))
	}
	recs := []*record.Record{
		{Value: []byte(`{"a":{"b":[1]},"b":"abc"}`), Key: []byte("k")},
		{Value: []byte(`not json`), Headers: []record.Header{{Key: "h", Value: []byte("v")}}},
		{},
		{Value: []byte{0xff, 0xfe}},
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, conf []byte) {
		var cfg any
		if json.Unmarshal(conf, &cfg) != nil {
			return
		}
		c, err := Compile("processors", cfg, WithTime(at))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "processors") {
				t.Fatalf("error %q does not name the field", err)
			}
			return
		}
		_ = c.Outputs()
		var m Message
		for _, r := range recs {
			if m.Reset(r) != nil {
				continue
			}
			if _, err := c.Process(&m); err != nil {
				var de *DirtyError
				if !errors.As(err, &de) {
					t.Fatalf("error %v is not dirty data", err)
				}
			}
		}
	})
}

// FuzzJSONProcessor feeds arbitrary values to the JSON parsing processor: it must never
// panic, must call exactly the documents encoding/json rejects "not JSON", and must
// extract the strings encoding/json sees.
func FuzzJSONProcessor(f *testing.F) {
	for _, s := range []string{seedDoc, `{"a":{"a1":"x"},"a":{"a1":"y"}}`, `[`, ``, `{"s":"\ud800"}`, "{\"s\":\"\xff\"}",
		`{"d":[{"AA":"\u00e9"}],"dyn":{"k":1,"k":2,"x-y":3}}`, `{"a":1e999}`, strings.Repeat("[", 100),
		`{"items":[{"sku":"a,b]","q":[1,2]},"x\"]",[],{}],"d":[{"AA":"x"},[3,{"y":"}"}]],"s":"ok"}`, `{"items":{"a":1,"a":2}}`} {
		f.Add([]byte(s))
	}
	c, err := Compile("processors", []any{map[string]any{"json": map[string]any{
		"fields": []any{
			map[string]any{"name": "a1", "path": "a.a1"},
			map[string]any{"name": "s", "path": "s"},
			map[string]any{"name": "aa", "path": "d[0].AA"},
			map[string]any{"name": "n", "path": "len(d)"},
			map[string]any{"name": "ni", "path": "len(items)"},
		},
		"dynamic": map[string]any{"path": "dyn", "maxFields": 8, "invalidNames": "sanitize"},
	}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, value []byte) {
		m := mustMessage(t, &record.Record{Value: value})
		_, err := c.Process(m)
		valid := utf8.Valid(value) && json.Valid(value)
		if err != nil {
			de := &DirtyError{}
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not dirty data", err)
			}
			if notJSON := strings.HasPrefix(de.Reason, "not JSON"); notJSON == valid {
				t.Fatalf("value %q: reason %q but encoding/json valid = %v", value, de.Reason, valid)
			}
			return
		}
		if !valid {
			t.Fatalf("invalid JSON %q parsed", value)
		}
		// The same value marked validated by its reader (ScanValid) gives the same fields.
		mv := mustMessage(t, &record.Record{Value: value, ValueJSON: true})
		if _, err := c.Process(mv); err != nil || render(mv) != render(m) {
			t.Fatalf("value %q marked valid: %v\n%s\nunmarked:\n%s", value, err, render(mv), render(m))
		}
		var doc map[string]any
		d := json.NewDecoder(bytes.NewReader(value))
		if d.Decode(&doc) != nil {
			return // not an object: nothing to compare
		}
		if want, ok := doc["s"].(string); ok {
			if got, _ := m.Get("s"); got != want {
				t.Fatalf("s = %#v, encoding/json %#v", got, want)
			}
		}
		if a, ok := doc["a"].(map[string]any); ok {
			if want, ok := a["a1"].(string); ok {
				if got, _ := m.Get("a1"); got != want {
					t.Fatalf("a1 = %#v, encoding/json %#v", got, want)
				}
			}
		}
		if arr, ok := doc["items"].([]any); ok {
			if got, _ := m.Get("ni"); got != int64(len(arr)) {
				t.Fatalf("len(items) = %#v, encoding/json %d", got, len(arr))
			}
		}
		if arr, ok := doc["d"].([]any); ok {
			if got, _ := m.Get("n"); got != int64(len(arr)) {
				t.Fatalf("len(d) = %#v, encoding/json %d", got, len(arr))
			}
		}
	})
}
