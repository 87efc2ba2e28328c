package process

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/record"
	"github.com/fcsync/fcsync/shared/schema"
)

func TestCompileRejectsMalformedChains(t *testing.T) {
	cases := []struct {
		cfg  any
		want string
	}{
		{"mask", "processors: want a list of processors, got text"},
		{[]any{"mask"}, "processors[0]: want a mapping, got text"},
		{[]any{map[string]any{}}, "processors[0]: want exactly one processor name as the key (one of edit, filter, json, mask, replace), got 0 keys"},
		{[]any{map[string]any{"mask": nil, "edit": nil}}, "got 2 keys"},
		{[]any{map[string]any{"transform": map[string]any{}}}, `processors[0]: unknown processor "transform" (known: edit, filter, json, mask, replace)`},
		{[]any{map[string]any{"mask": []any{}}}, "processors[0].mask: want a mapping, got a list"},
		{[]any{map[string]any{"edit": map[string]any{"keep": []any{"a"}}}, map[string]any{"filter": map[string]any{"fild": "x"}}},
			"processors[1].filter.fild: unknown field"},
	}
	for _, c := range cases {
		_, err := Compile("processors", c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.cfg, err, c.want)
		}
	}
}

func TestEmptyChainKeepsEveryRecordUnchanged(t *testing.T) {
	c, err := Compile("processors", nil)
	if err != nil {
		t.Fatal(err)
	}
	m := msg("a", "x")
	if keep, err := c.Process(m); !keep || err != nil || render(m) != "a = string \"x\"\n" {
		t.Fatalf("empty chain: %v %v %s", keep, err, render(m))
	}
	if len(c.Outputs()) != 6 {
		t.Fatalf("empty chain outputs %v, want the six attribute fields", c.Outputs())
	}
}

func TestProcessorsRunInTheConfiguredOrder(t *testing.T) {
	maskFirst := compile(t, `
- mask: {fields: [{field: s, method: partial, keepFirst: 1}]}
- filter: {field: s, op: "=", value: "a**"}`)
	filterFirst := compile(t, `
- filter: {field: s, op: "=", value: "a**"}
- mask: {fields: [{field: s, method: partial, keepFirst: 1}]}`)
	if keep, _ := maskFirst.Process(msg("s", "abc")); !keep {
		t.Error("mask then filter dropped the masked value")
	}
	if keep, _ := filterFirst.Process(msg("s", "abc")); keep {
		t.Error("filter then mask kept a value that only matches after masking")
	}
}

func TestDirtyErrorSaysWhereAndKeepsExcerptsShort(t *testing.T) {
	c := compile(t, `
- edit: {add: [{name: x, value: 1}]}
- json: {fields: [{name: a, path: a}]}`)
	value := `{"a":` + strings.Repeat("東", 100)
	_, err := c.Process(mustMessage(t, valueRec(value)))
	de := dirtyOf(t, err)
	if de.Where != "processors[1].json" || de.Processor != "json" || de.Step != 1 || de.Field != "__value__" {
		t.Fatalf("dirty error %+v", de)
	}
	if len(de.Value) > maxExcerpt+3 || !strings.HasSuffix(de.Value, "...") || !strings.HasPrefix(de.Value, `{"a":東`) {
		t.Fatalf("excerpt %q", de.Value)
	}
	want := `dirty data: processors[1].json: field __value__: not JSON: invalid character 'æ' looking for beginning of value at offset 5`
	if !strings.HasPrefix(err.Error(), want[:60]) {
		t.Fatalf("error text %q", err.Error())
	}
}

type failing struct{}

func (failing) Process(*Message) (bool, error)             { return false, errors.New("boom") }
func (failing) Outputs(in []schema.Column) []schema.Column { return in }

func TestRegisteredProcessorsPlugIn(t *testing.T) {
	Register("test_failing", Spec{Summary: "always dirty", New: func(string, map[string]any, Env) (Processor, error) { return failing{}, nil }})
	c := compile(t, `- test_failing: {}`)
	_, err := c.Process(msg())
	de := dirtyOf(t, err)
	if de.Reason != "boom" || de.Where != "processors[0].test_failing" || errors.Unwrap(de) == nil {
		t.Fatalf("dirty error %+v", de)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a duplicate registration was accepted")
		}
	}()
	Register("mask", Spec{New: newMask})
}

func TestChainIsSafeForConcurrentUse(t *testing.T) {
	c := compile(t, `
- json: {fields: [{name: a, path: a, type: BIGINT}], dynamic: {}}
- mask: {fields: [{field: b, method: hash}]}
- filter: {field: a, op: ">", value: 10}
- edit: {add: [{name: ds, value: "${bizdate}"}]}`)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var m Message
			for i := 0; i < 200; i++ {
				r := valueRec(fmt.Sprintf(`{"a":%d,"b":"x%d"}`, i, i))
				if err := m.Reset(r); err != nil {
					errs <- err
					return
				}
				keep, err := c.Process(&m)
				if err != nil || keep != (i > 10) {
					errs <- fmt.Errorf("record %d: keep %v, %v", i, keep, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// example is one entry of testdata/examples.yaml.
type example struct {
	name   string
	chain  string
	at     string
	inputs []map[string]any
}

func loadExamples(t *testing.T) []example {
	raw, err := os.ReadFile(filepath.Join("testdata", "examples.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []example
	for _, e := range decodeYAML(t, string(raw)).([]any) {
		m := e.(map[string]any)
		ex := example{name: m["name"].(string), chain: m["chain"].(string)}
		if at, ok := m["time"].(string); ok {
			ex.at = at
		}
		for _, in := range m["inputs"].([]any) {
			ex.inputs = append(ex.inputs, in.(map[string]any))
		}
		out = append(out, ex)
	}
	return out
}

// docBlocks returns the code blocks of doc.go.
func docBlocks(t *testing.T) []string {
	f, err := os.Open("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks []string
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l, ok := strings.CutPrefix(sc.Text(), "//\t"); ok {
			cur.WriteString(l + "\n")
			continue
		}
		if cur.Len() > 0 {
			blocks = append(blocks, cur.String())
			cur.Reset()
		}
	}
	return blocks
}

// inputMessage builds a message from an example input: {value: text} is a record of
// topic orders at offset i; {fields: [{name: value}, ...]} a hand-made message.
func inputMessage(t *testing.T, in map[string]any, i int) *Message {
	if v, ok := in["value"].(string); ok {
		return mustMessage(t, &record.Record{Topic: "orders", Offset: int64(i), Timestamp: time.UnixMilli(1767225600000), Value: []byte(v)})
	}
	m := &Message{}
	for _, f := range in["fields"].([]any) {
		for k, v := range f.(map[string]any) {
			if n, ok := v.(int); ok {
				v = int64(n)
			}
			m.Set(k, v)
		}
	}
	return m
}

func TestDocExamplesRunAsDocumented(t *testing.T) {
	examples := loadExamples(t)
	blocks := docBlocks(t)
	inDoc := map[string]bool{}
	for _, b := range blocks {
		inDoc[b] = true
	}
	var out strings.Builder
	for _, ex := range examples {
		if !inDoc[ex.chain] {
			t.Errorf("example %q is not a code block of doc.go:\n%s", ex.name, ex.chain)
		}
		delete(inDoc, ex.chain)
		cfg := decodeYAML(t, ex.chain).(map[string]any)["processors"]
		opts := []Option{WithTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))}
		if ex.at != "" {
			at, err := time.Parse(time.RFC3339, ex.at)
			if err != nil {
				t.Fatal(err)
			}
			opts = []Option{WithTime(at), WithLocation(at.Location())}
		}
		c, err := Compile("processors", cfg, opts...)
		if err != nil {
			t.Fatalf("example %q: %v", ex.name, err)
		}
		fmt.Fprintf(&out, "== %s\n", ex.name)
		for i, in := range ex.inputs {
			fmt.Fprintf(&out, "-- input %d\n%s", i, strings.TrimSuffix(run(c, inputMessage(t, in, i)), "\n")+"\n")
		}
	}
	for b := range inDoc {
		t.Errorf("doc.go code block has no example in testdata/examples.yaml:\n%s", b)
	}
	golden(t, "examples.golden", out.String())
}

func TestShopOrdersGolden(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	conf, err := os.ReadFile(filepath.Join("testdata", "orders_chain.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := decodeYAML(t, string(conf)).(map[string]any)["processors"]
	c, err := Compile("processors", cfg, WithLocation(sh), WithTime(time.Date(2026, 1, 15, 0, 10, 0, 0, sh)))
	if err != nil {
		t.Fatal(err)
	}
	lines, err := os.ReadFile(filepath.Join("testdata", "orders.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	var m Message
	kept := 0
	for i, line := range strings.Split(strings.TrimSuffix(string(lines), "\n"), "\n") {
		r := &record.Record{Topic: "orders", Partition: 0, Offset: int64(100 + i), Timestamp: time.UnixMilli(1768406400000 + int64(i)*1000),
			Key: []byte(fmt.Sprintf("k%d", i)), Headers: []record.Header{{Key: "trace", Value: []byte(fmt.Sprintf("t-%d", i))}}}
		if line != "TOMBSTONE" {
			r.Value = []byte(line)
		}
		if err := m.Reset(r); err != nil {
			t.Fatal(err)
		}
		res := run(c, &m)
		if !strings.HasPrefix(res, "dirty") && res != "dropped" {
			kept++
		}
		fmt.Fprintf(&out, "-- offset %d\n%s\n", r.Offset, strings.TrimSuffix(res, "\n"))
	}
	fmt.Fprintf(&out, "-- kept %d\n", kept)
	var outs []string
	for _, col := range c.Outputs() {
		outs = append(outs, col.Name+" "+string(col.Type))
	}
	fmt.Fprintf(&out, "-- outputs\n%s\n", strings.Join(outs, "\n"))
	golden(t, "orders.golden", out.String())
}

func TestDirtyReasonsMatchGolden(t *testing.T) {
	cases := []struct {
		name  string
		chain string
		m     func(t *testing.T) *Message
	}{
		{"malformed JSON", `- json: {fields: [{name: a, path: a}]}`, func(t *testing.T) *Message { return mustMessage(t, valueRec(`{"a":1,}`)) }},
		{"truncated JSON", `- json: {fields: [{name: a, path: a}]}`, func(t *testing.T) *Message { return mustMessage(t, valueRec(`{"a":"x`)) }},
		{"empty value", `- json: {fields: [{name: a, path: a}]}`, func(t *testing.T) *Message { return mustMessage(t, valueRec(``)) }},
		{"binary value", `- json: {fields: [{name: a, path: a}]}`, func(t *testing.T) *Message {
			return mustMessage(t, &record.Record{Value: []byte{'{', '"', 'a', '"', ':', '"', 0xc3, 0x28, '"', '}'}})
		}},
		{"long value cut at a character", `- json: {fields: [{name: a, path: a}]}`, func(t *testing.T) *Message {
			return mustMessage(t, valueRec(`{"a":"`+strings.Repeat("é", 100)))
		}},
		{"wrong type", `- json: {fields: [{name: n, path: n, type: INT}]}`, func(t *testing.T) *Message { return mustMessage(t, valueRec(`{"n":3000000000}`)) }},
		{"object into BIGINT", `- json: {fields: [{name: n, path: n, type: BIGINT}]}`, func(t *testing.T) *Message { return mustMessage(t, valueRec(`{"n":{"x":[1,2]}}`)) }},
		{"not a time", `- json: {fields: [{name: n, path: n, type: DATETIME}]}`, func(t *testing.T) *Message { return mustMessage(t, valueRec(`{"n":"soon"}`)) }},
		{"len of a number", `- json: {fields: [{name: n, path: len(n)}]}`, func(t *testing.T) *Message { return mustMessage(t, valueRec(`{"n":1}`)) }},
		{"source not text", `- json: {from: n, fields: [{name: x, path: x}]}`, func(t *testing.T) *Message { return msg("n", 2.5) }},
		{"too many dynamic fields", `- json: {dynamic: {maxFields: 2}}`, func(t *testing.T) *Message { return mustMessage(t, valueRec(`{"a":1,"b":2,"c":3}`)) }},
		{"hostile dynamic name", `- json: {dynamic: {}}`, func(t *testing.T) *Message {
			return mustMessage(t, valueRec(`{"../../etc/passwd":1}`))
		}},
		{"huge dynamic name", `- json: {dynamic: {}}`, func(t *testing.T) *Message {
			return mustMessage(t, valueRec(`{"`+strings.Repeat("k", 5000)+`":1}`))
		}},
		{"mask binary", `- mask: {fields: [{field: f, method: partial, keepFirst: 1}]}`, func(t *testing.T) *Message { return msg("f", []byte{0xff, 0xfe}) }},
		{"replace binary", `- replace: {fields: [{field: f, find: a, replace: b}]}`, func(t *testing.T) *Message { return msg("f", []byte{0xff, 0xfe}) }},
		{"binary header read by a step", `- edit: {add: [{name: h, attribute: headers}]}`, func(t *testing.T) *Message {
			return mustMessage(t, &record.Record{Headers: []record.Header{{Key: "h", Value: []byte{0x80}}}})
		}},
		{"binary header read as a field", `- filter: {field: __headers__, op: "!=", value: x}`, func(t *testing.T) *Message {
			return mustMessage(t, &record.Record{Headers: []record.Header{{Key: "h", Value: []byte{0x80}}}})
		}},
	}
	var out strings.Builder
	for _, c := range cases {
		_, err := compile(t, c.chain).Process(c.m(t))
		dirtyOf(t, err)
		fmt.Fprintf(&out, "%s: %s\n", c.name, err)
	}
	golden(t, "dirty_reasons.golden", out.String())
}

func TestBinaryHeadersDoNotMatterToAChainThatDropsThem(t *testing.T) {
	c := compile(t, `
- edit: {drop: [__headers__]}
- edit: {add: [{name: p, attribute: partition}]}`)
	m := mustMessage(t, &record.Record{Partition: 4, Value: []byte("v"), Headers: []record.Header{{Key: "bin", Value: []byte{0xff, 0xfe}}}})
	keep, err := c.Process(m)
	if err != nil || !keep {
		t.Fatalf("Process = %v, %v; a dropped binary header must not make the record dirty", keep, err)
	}
	if v, _ := m.Get("p"); v != int64(4) {
		t.Fatalf("p = %#v", v)
	}
	if _, ok := m.Get("__headers__"); ok {
		t.Fatal("__headers__ survived the drop")
	}
}
