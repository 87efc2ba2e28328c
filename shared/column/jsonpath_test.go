package column

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"reflect"
	"slices"
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
		spans[i] = Span{Start: 1, End: 2, Len: 3} // stale values must be cleared
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
	var lens []int
	for _, sp := range spans {
		lens = append(lens, sp.Len)
	}
	if want := []int{0, 0, 0, 0, 0, 4}; !reflect.DeepEqual(lens, want) {
		t.Fatalf("span lengths %v, want %v (the document has four members, one repeated)", lens, want)
	}
	lenPaths := NewJSONPaths([]Step{{Key: "c"}}, []Step{{Key: "e"}}, []Step{{Key: "o"}}, []Step{{Key: "n"}})
	if err := lenPaths.Scan([]byte(`{"c":[1,[2,3],{"x":[4]}],"e":[],"o":{"a":1,"b":{}},"n":{}}`), spans); err != nil {
		t.Fatal(err)
	}
	if got := []int{spans[0].Len, spans[1].Len, spans[2].Len, spans[3].Len}; !reflect.DeepEqual(got, []int{3, 0, 2, 0}) {
		t.Fatalf("array and object lengths %v, want [3 0 2 0]", got)
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

func TestStopMaskFindsTheFirstStopByte(t *testing.T) {
	first := func(b []byte) int {
		for i, c := range b {
			if c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
				return i
			}
		}
		return 8
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte{'a', 'Z', '0', ' ', '~', 0x7f, '"', '\\', 0x1f, 0x00, 0x20, 0x21, 0x5b, 0x5d, 0x80, 0xff, 0xc3, 0x23, 0xa2, 0xdc, 0xa0, 0xc1}
	b := make([]byte, 8)
	for n := 0; n < 200000; n++ {
		for i := range b {
			if rng.IntN(4) == 0 {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			} else {
				b[i] = byte(0x20 + rng.IntN(0x60))
			}
		}
		if got, want := bits.TrailingZeros64(stopMask(binary.LittleEndian.Uint64(b), stopWords[0], stopWords[1], stopWords[2], stopWords[3], stopWords[4]))>>3, first(b); got != want {
			t.Fatalf("stopMask(%q) marks byte %d first, want %d", b, got, want)
		}
		// ScanString stops where a byte-at-a-time scan does.
		end, esc := ScanString(b, 0)
		if wantEnd, wantEsc := scanStringByBytes(b, 0); end != wantEnd || esc != wantEsc {
			t.Fatalf("ScanString(%q) = %d, %v; want %d, %v", b, end, esc, wantEnd, wantEsc)
		}
	}
}

// FuzzScanLengths: span lengths must be the element counts encoding/json sees.
func FuzzScanLengths(f *testing.F) {
	for _, s := range []string{`{"a":[1,[2],{"b":3}]}`, `[[],[1,2]]`, `{"a":{}}`, `{"a":[ 1 , 2 ]}`} {
		f.Add([]byte(s))
	}
	paths := NewJSONPaths([]Step{{Key: "a"}}, []Step{{Index: 1, IsIndex: true}}, nil)
	f.Fuzz(func(t *testing.T, doc []byte) {
		spans := make([]Span, 3)
		if paths.Scan(doc, spans) != nil {
			return
		}
		for _, sp := range spans {
			if !sp.Found() {
				continue
			}
			var v any
			d := json.NewDecoder(bytes.NewReader(doc[sp.Start:sp.End]))
			d.UseNumber()
			if err := d.Decode(&v); err != nil {
				t.Fatalf("span %q is not JSON: %v", doc[sp.Start:sp.End], err)
			}
			switch x := v.(type) {
			case []any:
				if sp.Len != len(x) {
					t.Fatalf("array %q: Len %d, want %d", doc[sp.Start:sp.End], sp.Len, len(x))
				}
			case map[string]any:
				if sp.Len < len(x) {
					t.Fatalf("object %q: Len %d, want at least %d", doc[sp.Start:sp.End], sp.Len, len(x))
				}
			default:
				if sp.Len != 0 {
					t.Fatalf("scalar %q: Len %d", doc[sp.Start:sp.End], sp.Len)
				}
			}
		}
	})
}

// FuzzScanValidMatchesScan: on a document Scan accepts, ScanValid finds the same spans (keys
// with escapes included, element counts of the subtrees it skips included); on any other
// input it returns, whatever it says, and a span it reports is never empty nor out of
// bounds. Two path sets: one entering the document, one selecting only the whole of it
// (which ScanValid skips in one flat pass).
func FuzzScanValidMatchesScan(f *testing.F) {
	for _, s := range []string{shopOrder, `{"a":"x\"y","b\u0041":[1,"\\"],"c":{"d":"é"}}`, `{"a":"\u00e9\n","user":{"name":"q\"q"}}`, `{"a":"unterminated`, "{\"a\":\"\xff\"}",
		`{"items":[[1,{"a":[2,",]}"]}],"x]",{},[ ]],"z":{"q":[true,false,null,-1.5e3]},"items":{"k":1,"k":[2]}}`,
		`{"note":{"a":{}},"items":[ 1 , "2" , { } ],"amount":-0.5E+2}`, `{"items":[1,}`, `{"x":[1 2],"items":[{"a":1 "b":2}]}`, `{"x":-,"items":tru}`, `[1,{"a":]`} {
		f.Add([]byte(s))
	}
	var paths [][]Step
	for _, p := range []string{"a", "bA", "c.d", "user.name", "items", "note", "amount"} {
		st, err := ParsePath(p)
		if err != nil {
			f.Fatal(err)
		}
		paths = append(paths, st)
	}
	sets := []*JSONPaths{NewJSONPaths(paths...), NewJSONPaths(nil)}
	f.Fuzz(func(t *testing.T, doc []byte) {
		for _, jp := range sets {
			want, got := make([]Span, jp.Len()), make([]Span, jp.Len())
			validErr := jp.ScanValid(doc, got)
			if validErr == nil {
				for _, sp := range got {
					if sp.Found() && (sp.Start < 0 || sp.End <= sp.Start || sp.End > len(doc)) {
						t.Fatalf("ScanValid(%q) reports span %v", doc, sp)
					}
				}
			}
			if jp.Scan(doc, want) != nil {
				continue
			}
			if validErr != nil || !slices.Equal(got, want) {
				t.Fatalf("ScanValid(%q) = %v, %v; Scan found %v", doc, got, validErr, want)
			}
		}
	})
}

func TestScanValidKeepsTheDepthLimitInSkippedSubtrees(t *testing.T) {
	for _, c := range []struct {
		name string
		doc  string
	}{
		{"an unselected member", `{"x":` + strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth) + `}`},
		{"a selected array", `{"items":` + strings.Repeat(`[{"a":`, maxDepth/2) + `1` + strings.Repeat(`}]`, maxDepth/2) + `}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			jp := NewJSONPaths([]Step{{Key: "items"}})
			spans := make([]Span, 1)
			want := jp.Scan([]byte(c.doc), spans)
			got := jp.ScanValid([]byte(c.doc), spans)
			if want == nil || got == nil || got.Error() != want.Error() {
				t.Fatalf("ScanValid says %v, Scan %v: both must stop at the same bracket", got, want)
			}
		})
	}
}

// shopOrder is one record shaped like the stream benchmark workload (package localrun/workload).
const shopOrder = `{"order_id":"ORD-000000001","created_at":"2026-01-14T09:26:41Z","user":{"name":"Ava Müller","email":"ava.muller4821@example.com","phone":"+1-415-555-0101"},"items":[{"sku":"SKU-004211","qty":2,"price":19.99},{"sku":"SKU-300000","qty":1,"price":120.5},{"sku":"SKU-772001","qty":7,"price":3.25},{"sku":"SKU-000017","qty":4,"price":249.0},{"sku":"SKU-513377","qty":9,"price":0.5}],"amount":523.17,"currency":"USD","status":"shipped","note":"lorem ipsum dolor sit amet customer requested delivery before noon please leave parcel at the side door fragile handle with care gift wrap included \"quoted\" text café naïve über 東京 emoji-free tab\tseparated back\\slash newline\nescaped lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua customer requested delivery before noon please leave parcel at the side door fragile handle with care gift wrap included \"quoted\" text café naïve über 東京 emoji-free tab\tseparated back\\slash newline\nescaped magna aliqua"}`

// BenchmarkJSONPathsScanShopOrder scans one workload record for the seven paths the
// stream benchmark selects: the validating pass (Scan), and the pass over a value its reader
// validated (ScanValid, the trigger decoder's JSON values).
func BenchmarkJSONPathsScanShopOrder(b *testing.B) {
	for _, c := range []struct {
		name string
		scan func(*JSONPaths, []byte, []Span) error
	}{{"validating", (*JSONPaths).Scan}, {"valid", (*JSONPaths).ScanValid}} {
		b.Run(c.name, func(b *testing.B) { benchmarkScanShopOrder(b, c.scan) })
	}
}

func benchmarkScanShopOrder(b *testing.B, scan func(*JSONPaths, []byte, []Span) error) {
	var paths [][]Step
	for _, p := range []string{"order_id", "user.name", "user.email", "amount", "status", "items", "note"} {
		st, err := ParsePath(p)
		if err != nil {
			b.Fatal(err)
		}
		paths = append(paths, st)
	}
	jp := NewJSONPaths(paths...)
	doc := []byte(shopOrder)
	spans := make([]Span, jp.Len())
	b.ReportAllocs()
	b.SetBytes(int64(len(doc)))
	defer cpuTime(b)()
	for b.Loop() {
		if err := scan(jp, doc, spans); err != nil {
			b.Fatal(err)
		}
	}
}
