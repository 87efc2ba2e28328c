package process

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/record"
	"github.com/fcsync/fcsync/shared/schema"
)

const seedDoc = `{"a":{"a1":"hello"},"b":"world","c":[10,20,30],"d":[{"AA":"x","BB":2}],"e":{"k":[1,{"z":null}]},"n":null,"f":1.5,"t":true,"s":"tab\there \u00e9"}`

func TestJSONFixedFieldsByPath(t *testing.T) {
	cases := []struct {
		field string
		want  string
	}{
		{`{name: v, path: a.a1}`, `string "hello"`},
		{`{name: v, path: "c[1]"}`, `string "20"`},
		{`{name: v, path: "c[1]", type: BIGINT}`, `int64 20`},
		{`{name: v, path: "d[0].AA"}`, `string "x"`},
		{`{name: v, path: "d[0].BB", type: double}`, `float64 2`},
		{`{name: v, path: e}`, `string "{\"k\":[1,{\"z\":null}]}"`},
		{`{name: v, path: e, type: JSON}`, `json {"k":[1,{"z":null}]}`},
		{`{name: v, path: "e.k[1]", type: JSON}`, `json {"z":null}`},
		{`{name: v, path: b, type: JSON}`, `json "world"`},
		{`{name: v, path: n, type: JSON}`, `NULL`},
		{`{name: v, path: s}`, `string "tab\there é"`},
		{`{name: v, path: f}`, `string "1.5"`},
		{`{name: v, path: t, type: BOOLEAN}`, `bool true`},
		{`{name: v, path: n}`, `NULL`},
		{`{name: v, path: missing.deep}`, `NULL`},
		{`{name: v, path: "c[9]"}`, `NULL`},
		{`{name: v, path: len(c)}`, `int64 3`},
		{`{name: v, path: len(a)}`, `int64 1`},
		{`{name: v, path: len(s)}`, `int64 10`},
		{`{name: v, path: len(n)}`, `NULL`},
		{`{name: v, path: len(missing)}`, `NULL`},
		{`{name: v, path: len(c), type: STRING}`, `string "3"`},
		{`{name: v, path: "[0]"}`, `NULL`},
	}
	for _, c := range cases {
		// A value its reader validated (ValueJSON, as the trigger decoder marks it) is scanned
		// without checking strings again, with the same outputs.
		for _, validated := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/validated=%v", c.field, validated), func(t *testing.T) {
				ch := compile(t, "- json: {keepSource: false, fields: ["+c.field+"]}")
				rec := valueRec(seedDoc)
				rec.ValueJSON = validated
				m, _ := NewMessage(rec)
				got := run(ch, m)
				want := "__key__ = NULL\n__partition__ = int64 3\n__headers__ = json {}\n__offset__ = int64 42\n" +
					"__timestamp__ = int64 1767225600123\nv = " + c.want + "\n"
				if got != want {
					t.Fatalf("got\n%s\nwant\n%s", got, want)
				}
			})
		}
	}
}

func TestJSONOutputsReplaceFieldsOfTheirNameInPlace(t *testing.T) {
	const doc = `{"id":"x","n":5,"tag":"t","d":{"k":1}}`
	value := "__value__ = bytes " + strconv.Quote(doc)
	cases := []struct {
		name  string
		chain string
		want  []string // the fields after the attributes, or all of them when one was replaced
	}{
		{"new outputs are appended", `
- json: {fields: [{name: id, path: id}, {name: n, path: n, type: BIGINT}]}`,
			[]string{`id = string "x"`, `n = int64 5`}},
		{"an attribute is replaced where it is", `
- json: {fields: [{name: id, path: id}, {name: __offset__, path: n, type: BIGINT}, {name: __partition__, path: tag}]}`,
			[]string{"__key__ = NULL", value, `__partition__ = string "t"`, "__headers__ = json {}", "__offset__ = int64 5",
				"__timestamp__ = int64 1767225600123", `id = string "x"`}},
		{"a field of an earlier processor is replaced, a dynamic one stops being dynamic", `
- json: {fields: [{name: zz, path: tag}], dynamic: {path: d}}
- json: {fields: [{name: id, path: id}, {name: zz, path: n, type: BIGINT}, {name: k, path: id}]}`,
			[]string{"zz = int64 5", `k = string "x"`, `id = string "x"`}},
		{"names as long as a field's are still new", `
- json: {fields: [{name: __valuf__, path: id}, {name: __offsex__, path: tag}]}`,
			[]string{`__valuf__ = string "x"`, `__offsex__ = string "t"`}},
	}
	attrs := []string{"__key__ = NULL", value, "__partition__ = int64 3", "__headers__ = json {}", "__offset__ = int64 42", "__timestamp__ = int64 1767225600123"}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ch := compile(t, c.chain)
			rec := valueRec(doc)
			rec.ValueJSON = true
			m, _ := NewMessage(rec)
			want := c.want
			if !strings.HasPrefix(want[0], "__key__") {
				want = append(attrs[:len(attrs):len(attrs)], want...)
			}
			if got, want := run(ch, m), strings.Join(want, "\n")+"\n"; got != want {
				t.Fatalf("got\n%s\nwant\n%s", got, want)
			}
			if n := m.DynamicCount(); n != 0 {
				t.Fatalf("DynamicCount %d, want 0", n)
			}
		})
	}
}

func TestJSONTimeTypesUseTheJobZone(t *testing.T) {
	loc := time.FixedZone("UTC+8", 8*3600)
	ch := compile(t, `- json: {fields: [{name: ts, path: ts, type: DATETIME}, {name: ms, path: ms, type: TIMESTAMP}]}`, WithLocation(loc))
	m, _ := NewMessage(valueRec(`{"ts":"2026-01-02 03:04:05","ms":1767225600000}`))
	if _, err := ch.Process(m); err != nil {
		t.Fatal(err)
	}
	ts, _ := m.Get("ts")
	ms, _ := m.Get("ms")
	if !ts.(time.Time).Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, loc)) || !ms.(time.Time).Equal(time.UnixMilli(1767225600000)) {
		t.Fatalf("ts %v, ms %v", ts, ms)
	}
}

func TestJSONReadsTextFromOtherFields(t *testing.T) {
	ch := compile(t, `
- json: {fields: [{name: inner, path: payload}]}
- json: {from: inner, fields: [{name: id, path: id, type: BIGINT}]}`)
	m, _ := NewMessage(valueRec(`{"payload":"{\"id\":7}"}`))
	if _, err := ch.Process(m); err != nil {
		t.Fatal(err)
	}
	if v, _ := m.Get("id"); v != int64(7) {
		t.Fatalf("id = %#v", v)
	}
	ch = compile(t, `- json: {from: j, fields: [{name: id, path: id}]}`)
	for _, in := range []any{jsonText(`{"id":"x"}`), []byte(`{"id":"x"}`), `{"id":"x"}`} {
		m := msg("j", in)
		if _, err := ch.Process(m); err != nil {
			t.Fatalf("%T: %v", in, err)
		}
		if v, _ := m.Get("id"); v != "x" {
			t.Fatalf("%T: id = %#v", in, v)
		}
	}
}

func TestJSONOfNullOrMissingSourceGivesNullOutputs(t *testing.T) {
	ch := compile(t, `- json: {fields: [{name: a, path: a}], dynamic: {}}`)
	for _, m := range []*Message{msg("__value__", nil), msg("other", "x")} {
		if out := run(ch, m); !strings.Contains(out, "a = NULL") {
			t.Fatalf("output %s", out)
		}
	}
	m, _ := NewMessage(&record.Record{}) // tombstone
	if out := run(ch, m); !strings.Contains(out, "a = NULL") {
		t.Fatalf("tombstone output %s", out)
	}
}

func TestJSONDynamicFields(t *testing.T) {
	cases := []struct {
		name, conf, doc, want string
	}{
		{"leaves joined with _", `{}`, `{"id":7,"user":{"name":"Ann","tags":["a"],"geo":{"lat":1.5}},"ok":true,"none":null,"empty":{}}`,
			"id~ = int64 7\nuser_name~ = string \"Ann\"\nuser_tags~ = json [\"a\"]\nuser_geo_lat~ = float64 1.5\nok~ = bool true\nnone~ = NULL\nempty~ = json {}\n"},
		{"sub-object, prefix and separator", `{path: data, prefix: d_, separator: "__"}`, `{"type":"x","data":{"a":{"b":1}}}`,
			"d_a__b~ = int64 1\n"},
		{"not an object gives nothing", `{}`, `[1,2]`, ""},
		{"missing path gives nothing", `{path: data}`, `{"x":1}`, ""},
		{"fixed fields win", `{}`, `{"a":"dyn","b":2}`, "a = string \"fixed\"\nb~ = int64 2\n"},
		{"duplicate keys: last wins", `{}`, `{"b":1,"b":2}`, "b~ = int64 2\n"},
		{"big integer keeps its digits", `{}`, `{"b":123456789012345678901234}`, "b~ = string \"123456789012345678901234\"\n"},
		{"invalid names skipped", `{invalidNames: skip}`, `{"ok":1,"bad-name":2,"0lead":3,"x.y":4}`, "ok~ = int64 1\n"},
		{"invalid names sanitized", `{invalidNames: sanitize}`, `{"bad-name":2,"0lead":3,"naïve":4,"a":{"b c":5}}`,
			"bad_name~ = int64 2\n_0lead~ = int64 3\nna_ve~ = int64 4\na_b_c~ = int64 5\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fixed := ""
			if strings.Contains(c.doc, `"a":"dyn"`) {
				fixed = "fields: [{name: a, path: fixed}], "
			}
			ch := compile(t, "- json: {keepSource: false, "+fixed+"dynamic: "+c.conf+"}\n- edit: {drop: [__key__, __partition__, __headers__, __offset__, __timestamp__]}")
			m, _ := NewMessage(valueRec(strings.Replace(c.doc, `"a":"dyn"`, `"fixed":"fixed","a":"dyn"`, 1)))
			got := run(ch, m)
			if c.name == "fixed fields win" {
				got = strings.Replace(got, "fixed~ = string \"fixed\"\n", "", 1)
			}
			if got != c.want {
				t.Fatalf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

func TestJSONDynamicLimitsAreDirty(t *testing.T) {
	var doc strings.Builder
	doc.WriteString("{")
	for i := 0; i < 10; i++ {
		if i > 0 {
			doc.WriteString(",")
		}
		fmt.Fprintf(&doc, `"k%d":%d`, i, i)
	}
	doc.WriteString("}")
	ch := compile(t, `- json: {dynamic: {maxFields: 5}}`)
	m, _ := NewMessage(valueRec(doc.String()))
	_, err := ch.Process(m)
	if de := dirtyOf(t, err); !strings.Contains(de.Reason, "more than 5 dynamic fields") || de.Where != "processors[0].json" {
		t.Fatalf("dirty error %+v", de)
	}
	ch = compile(t, `- json: {dynamic: {}}`)
	hostile := `{"` + strings.Repeat("../", 100) + `":1}`
	m, _ = NewMessage(valueRec(hostile))
	_, err = ch.Process(m)
	de := dirtyOf(t, err)
	if !strings.Contains(de.Reason, "not a valid column name") || len(de.Field) > maxExcerpt+3 {
		t.Fatalf("dirty error %+v", de)
	}
}

func TestJSONMalformedOrWrongTypedInputIsDirty(t *testing.T) {
	ch := compile(t, `- json: {fields: [{name: n, path: n, type: BIGINT}]}`)
	cases := []struct {
		name   string
		m      *Message
		reason string
	}{
		{"malformed", mustMessage(t, valueRec(`{"n":1,}`)), "not JSON: invalid character '}'"},
		{"empty", mustMessage(t, valueRec(``)), "not JSON: empty input"},
		{"trailing", mustMessage(t, valueRec(`{} x`)), "after top-level value"},
		{"binary", mustMessage(t, &record.Record{Value: []byte{'{', '"', 0xff, '"', ':', '1', '}'}}), "invalid UTF-8"},
		{"wrong type", mustMessage(t, valueRec(`{"n":"abc"}`)), "path n: not an integer for BIGINT"},
		{"fraction", mustMessage(t, valueRec(`{"n":1.5}`)), "path n: not an integer for BIGINT"},
		{"source is a number", msg("__value__", int64(5)), "a BIGINT value is not JSON text"},
	}
	for _, c := range cases {
		_, err := ch.Process(c.m)
		de := dirtyOf(t, err)
		if !strings.Contains(de.Reason, c.reason) {
			t.Errorf("%s: reason %q, want %q", c.name, de.Reason, c.reason)
		}
	}
	lenCh := compile(t, `- json: {fields: [{name: n, path: len(n)}]}`)
	_, err := lenCh.Process(mustMessage(t, valueRec(`{"n":5}`)))
	if de := dirtyOf(t, err); !strings.Contains(de.Reason, "len() needs an array") {
		t.Errorf("len of a number: %v", err)
	}
}

func mustMessage(t testing.TB, r *record.Record) *Message {
	t.Helper()
	m, err := NewMessage(r)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestJSONHugeAndDeepDocumentsDoNotPanic(t *testing.T) {
	ch := compile(t, `- json: {fields: [{name: a, path: a.b}], dynamic: {maxFields: 4096}}`)
	deep := strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000)
	if _, err := ch.Process(mustMessage(t, valueRec(deep))); err == nil || !strings.Contains(err.Error(), "exceeded max depth") {
		t.Fatalf("deep document: %v", err)
	}
	okDeep := strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000)
	if _, err := ch.Process(mustMessage(t, valueRec(okDeep))); err == nil || !strings.Contains(err.Error(), "not a valid column name") {
		t.Fatalf("a 5000-level dynamic name: %v", err)
	}
	big := `{"a":{"b":"` + strings.Repeat("x", 8<<20) + `"}}`
	m := mustMessage(t, valueRec(big))
	if _, err := ch.Process(m); err == nil {
		// a_b is a valid name: the field is set; the huge value is fine
		if v, _ := m.Get("a"); len(v.(string)) != 8<<20 {
			t.Fatalf("a has %d bytes", len(v.(string)))
		}
	} else {
		t.Fatal(err)
	}
}

func TestJSONConfigErrorsNameTheField(t *testing.T) {
	cases := []struct{ conf, want string }{
		{`- json: {}`, "processors[0].json: no output"},
		{`- json: {fields: [{path: a}]}`, "processors[0].json.fields[0].name: required"},
		{`- json: {fields: [{name: "a b", path: a}]}`, `processors[0].json.fields[0].name: name "a b" is not a valid identifier`},
		{`- json: {fields: [{name: a}]}`, "processors[0].json.fields[0].path: required"},
		{`- json: {fields: [{name: a, path: "a..b"}]}`, `processors[0].json.fields[0].path: "a..b": empty key`},
		{`- json: {fields: [{name: a, path: a, type: INTEGER}]}`, `processors[0].json.fields[0].type: column type "INTEGER" is not supported`},
		{`- json: {fields: [{name: a, path: a}, {name: a, path: b}]}`, "processors[0].json.fields[1].name: a is already the name of processors[0].json.fields[0]"},
		{`- json: {dynamic: {maxFields: 0}}`, "processors[0].json.dynamic.maxFields: 0 is out of range"},
		{`- json: {dynamic: {invalidNames: fix}}`, `processors[0].json.dynamic.invalidNames: want dirty, skip or sanitize`},
		{`- json: {dynamic: {depth: 3}}`, "processors[0].json.dynamic.depth: unknown field"},
		{`- json: {dynamic: {path: "x["}}`, "processors[0].json.dynamic.path"},
		{`- json: {from: "", dynamic: {}}`, "processors[0].json.from: empty"},
	}
	for _, c := range cases {
		err := compileErr(t, c.conf)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.conf, err, c.want)
		}
	}
}

func TestJSONOutputsListFixedFields(t *testing.T) {
	ch := compile(t, `- json: {keepSource: false, fields: [{name: a, path: a, type: bigint}, {name: n, path: len(x)}, {name: s, path: s}], dynamic: {}}`)
	want := []schema.Column{{Name: "__key__", Type: schema.String, Comment: "Kafka record key"},
		{Name: "__partition__", Type: schema.BigInt, Comment: "Kafka partition"},
		{Name: "__headers__", Type: schema.String, Comment: "Kafka record headers as a JSON object"},
		{Name: "__offset__", Type: schema.BigInt, Comment: "Kafka offset"},
		{Name: "__timestamp__", Type: schema.BigInt, Comment: "Kafka record timestamp, epoch milliseconds"},
		{Name: "a", Type: schema.BigInt}, {Name: "n", Type: schema.BigInt}, {Name: "s", Type: schema.String}}
	got := ch.Outputs()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("outputs\n%v\nwant\n%v", got, want)
	}
}
