package column

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParsePathReadsReaderColumnPaths(t *testing.T) {
	cases := []struct {
		in   string
		want []Step
		bad  bool
	}{
		{in: "a.a1", want: []Step{{Key: "a"}, {Key: "a1"}}},
		{in: " c[1] ", want: []Step{{Key: "c"}, {Index: 1, IsIndex: true}}},
		{in: "d[0].AA", want: []Step{{Key: "d"}, {Index: 0, IsIndex: true}, {Key: "AA"}}},
		{in: "[0].id", want: []Step{{Index: 0, IsIndex: true}, {Key: "id"}}},
		{in: "", bad: true},
		{in: "a..b", bad: true},
		{in: "a[x]", bad: true},
		{in: "a.", bad: true},
	}
	for _, c := range cases {
		got, err := ParsePath(c.in)
		if c.bad {
			if err == nil {
				t.Errorf("ParsePath(%q) = %v, want an error", c.in, got)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParsePath(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

func TestJSONPathsScanLocatesEveryPathInOnePass(t *testing.T) {
	doc := []byte(`{"a":{"a1":"x"},"c":[1,2],"d":[{"AA":true}],"a":{"a1":"last"}}`)
	var paths [][]Step
	for _, p := range []string{"a.a1", "c[1]", "d[0].AA", "missing", "c[5]"} {
		st, err := ParsePath(p)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, st)
	}
	paths = append(paths, nil) // the whole document
	jp := NewJSONPaths(paths...)
	spans := make([]Span, jp.Len())
	for i := range spans {
		spans[i] = Span{1, 2} // stale values must be cleared
	}
	if err := jp.Scan(doc, spans); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, sp := range spans {
		if !sp.Found() {
			got = append(got, "<absent>")
			continue
		}
		got = append(got, string(doc[sp.Start:sp.End]))
	}
	want := []string{`"last"`, `2`, `true`, "<absent>", "<absent>", string(doc)}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("spans select %q, want %q", got, want)
	}
	if err := jp.Scan([]byte(`{"a":`), spans); err == nil {
		t.Fatal("truncated document scanned without error")
	}
	if err := jp.Scan(doc, spans[:1]); err == nil {
		t.Fatal("short spans accepted")
	}
}

type leaf struct{ path, raw string }

func leavesOf(t testing.TB, doc string) ([]leaf, error) {
	var out []leaf
	err := Leaves([]byte(doc), func(keys [][]byte, raw []byte) error {
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = string(k)
		}
		out = append(out, leaf{strings.Join(parts, "/"), string(raw)})
		return nil
	})
	return out, err
}

func TestLeavesVisitsEveryLeafWithItsKeyPath(t *testing.T) {
	got, err := leavesOf(t, `{"a":{"b":1,"c":{"d":"x"}},"e":[1,{"f":2}],"g":{},"h\u00e9":null,"a":{"b":2}}`)
	if err != nil {
		t.Fatal(err)
	}
	want := []leaf{{"a/b", "1"}, {"a/c/d", `"x"`}, {"e", `[1,{"f":2}]`}, {"g", "{}"}, {"hé", "null"}, {"a/b", "2"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("leaves %v, want %v", got, want)
	}
	got, err = leavesOf(t, ` [1] `)
	if err != nil || !reflect.DeepEqual(got, []leaf{{"", "[1]"}}) {
		t.Fatalf("a top-level array gives %v, %v", got, err)
	}
	for _, bad := range []string{``, `  `, `{"a":1,}`, `{"a":1} x`, `{"a":{"b":}}`, strings.Repeat(`{"a":`, maxDepth+1)} {
		if _, err := leavesOf(t, bad); err == nil {
			t.Errorf("Leaves(%.40q) accepted malformed JSON", bad)
		}
	}
}

func TestLeavesStopsAtTheCallbacksError(t *testing.T) {
	stop := fmt.Errorf("enough")
	n := 0
	err := Leaves([]byte(`{"a":1,"b":2,"c":3}`), func([][]byte, []byte) error {
		if n++; n == 2 {
			return stop
		}
		return nil
	})
	if err != stop || n != 2 {
		t.Fatalf("Leaves returned %v after %d calls", err, n)
	}
}

func TestJSONLenCountsElementsMembersAndCharacters(t *testing.T) {
	cases := []struct {
		raw  string
		n    int
		isOK bool
	}{
		{`[]`, 0, true}, {`[ ]`, 0, true}, {`[1, [2, 3], {"a": 4}, "x,y"]`, 4, true}, {`{"a":1,"b":[1,2]}`, 2, true},
		{`{}`, 0, true}, {`"héllo"`, 5, true}, {`"a\u00e9\n"`, 3, true}, {`12`, 0, false}, {`null`, 0, false}, {``, 0, false},
	}
	for _, c := range cases {
		n, ok := JSONLen([]byte(c.raw))
		if n != c.n || ok != c.isOK {
			t.Errorf("JSONLen(%s) = %d, %v; want %d, %v", c.raw, n, ok, c.n, c.isOK)
		}
	}
}

// naturalLeaves lists the leaves of a document decoded by encoding/json, the way Leaves
// defines them.
func naturalLeaves(prefix []string, v any, out *[]string) {
	if m, ok := v.(map[string]any); ok && len(m) > 0 {
		for k, e := range m {
			naturalLeaves(append(append([]string{}, prefix...), k), e, out)
		}
		return
	}
	b, _ := json.Marshal(v)
	*out = append(*out, strings.Join(prefix, "/")+"="+string(b))
}

// FuzzLeaves: Leaves must never panic, must reject exactly what encoding/json rejects, and
// (for documents without duplicate keys) must report the leaves encoding/json sees.
func FuzzLeaves(f *testing.F) {
	for _, s := range []string{`{"a":{"b":1,"c":{"d":"x"}},"e":[1,{"f":2}],"g":{}}`, `[1]`, `"x"`, `{"a":1,}`, `{"a\u0000":{"b":null}}`,
		`{"a":{"b":1},"a":{"c":2}}`, ``, "{\"\xff\":1}", `{"a":1e999}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		var got []string
		err := Leaves(doc, func(keys [][]byte, raw []byte) error {
			parts := make([]string, len(keys))
			for i, k := range keys {
				parts[i] = string(k)
			}
			var v any
			d := json.NewDecoder(bytes.NewReader(raw))
			d.UseNumber()
			if err := d.Decode(&v); err != nil {
				t.Fatalf("leaf %q is not JSON: %v", raw, err)
			}
			b, _ := json.Marshal(v)
			got = append(got, strings.Join(parts, "/")+"="+string(b))
			return nil
		})
		valid := utf8.Valid(doc) && json.Valid(doc)
		if valid != (err == nil) {
			t.Fatalf("Leaves(%q) error %v, encoding/json valid %v", doc, err, valid)
		}
		if !valid {
			return
		}
		var v any
		d := json.NewDecoder(bytes.NewReader(doc))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			t.Fatal(err)
		}
		var want []string
		naturalLeaves(nil, v, &want)
		if len(want) != len(got) {
			return // duplicate keys: encoding/json keeps only the last
		}
		sort.Strings(got)
		sort.Strings(want)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Leaves(%q) = %q, encoding/json %q", doc, got, want)
		}
	})
}
