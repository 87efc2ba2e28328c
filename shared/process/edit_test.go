package process

import (
	"strings"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/record"
)

func TestEditKeepDropRenameAdd(t *testing.T) {
	cases := []struct {
		name, conf string
		want       string
	}{
		{"keep reorders and removes", `{keep: [c, a, missing]}`, "c = int64 3\na = int64 1\n"},
		{"keep of the last fields in order", `{keep: [b, c]}`, "b = int64 2\nc = int64 3\n"},
		{"keep of every field in order", `{keep: [a, b, c]}`, "a = int64 1\nb = int64 2\nc = int64 3\n"},
		{"keep of the last fields in another order", `{keep: [c, b]}`, "c = int64 3\nb = int64 2\n"},
		{"keep of more fields than there are", `{keep: [z, a, b, c]}`, "a = int64 1\nb = int64 2\nc = int64 3\n"},
		{"drop", `{drop: [b, missing]}`, "a = int64 1\nc = int64 3\n"},
		{"rename", `{rename: [{from: a, to: x}]}`, "x = int64 1\nb = int64 2\nc = int64 3\n"},
		{"rename swaps", `{rename: [{from: a, to: b}, {from: b, to: a}]}`, "b = int64 1\na = int64 2\nc = int64 3\n"},
		{"rename onto an existing field replaces it", `{rename: [{from: a, to: c}]}`, "c = int64 1\nb = int64 2\n"},
		{"rename of a missing field", `{rename: [{from: zz, to: c}]}`, "a = int64 1\nb = int64 2\n"},
		{"add constants", `{add: [{name: s, value: x}, {name: n, value: 5}, {name: f, value: 2.5}, {name: t, value: true}, {name: z, value: null}]}`,
			"a = int64 1\nb = int64 2\nc = int64 3\ns = string \"x\"\nn = int64 5\nf = float64 2.5\nt = bool true\nz = NULL\n"},
		{"add replaces", `{add: [{name: b, value: new}]}`, "a = int64 1\nb = string \"new\"\nc = int64 3\n"},
		{"keep then rename then add", `{keep: [b, a], rename: [{from: a, to: a2}], add: [{name: a, value: 0}]}`,
			"b = int64 2\na2 = int64 1\na = int64 0\n"},
		{"escaped dollar", `{add: [{name: s, value: "cost $$5"}]}`, "a = int64 1\nb = int64 2\nc = int64 3\ns = string \"cost $5\"\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ch := compile(t, "- edit: "+c.conf)
			if got := run(ch, msg("a", int64(1), "b", int64(2), "c", int64(3))); got != c.want {
				t.Fatalf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

func TestEditAddsSchedulingParametersAtTheBatchTime(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 11, 1, 2, 30, 45, 0, sh)
	ch := compile(t, `
- edit:
    add:
      - {name: ds, value: "${bizdate}"}
      - {name: hh, value: "$[yyyymmddhh24-3/24]"}
      - {name: label, value: "run-${env}-$[yyyymmdd]"}`, WithLocation(sh), WithVars(map[string]string{"env": "prod"}), WithTime(at))
	want := "ds = string \"20251031\"\nhh = string \"2025103123\"\nlabel = string \"run-prod-20251101\"\n"
	if got := run(ch, msg()); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	next := ch.At(at.Add(24 * time.Hour))
	if got := run(next, msg()); !strings.Contains(got, `ds = string "20251101"`) {
		t.Fatalf("rebound chain gives\n%s", got)
	}
	if got := run(ch, msg()); got != want {
		t.Fatalf("At changed the original chain:\n%s", got)
	}
	// UTC input time is read in the job zone: 2025-10-31 18:30 UTC is 11-01 02:30 in Shanghai.
	if got := run(ch.At(at.UTC()), msg()); got != want {
		t.Fatalf("UTC time not read in the job zone:\n%s", got)
	}
}

func TestEditAddsRecordAttributes(t *testing.T) {
	ch := compile(t, `
- edit:
    keep: [x]
    add:
      - {name: t, attribute: topic}
      - {name: p, attribute: __partition__}
      - {name: o, attribute: offset}
      - {name: ts, attribute: timestamp}
      - {name: k, attribute: key}
      - {name: h, attribute: headers}`)
	m := mustMessage(t, &record.Record{Topic: "orders", Partition: 1, Offset: 7, Timestamp: time.UnixMilli(1700000000000), Key: []byte("K"),
		Headers: []record.Header{{Key: "a", Value: []byte("b")}}})
	want := "t = string \"orders\"\np = int64 1\no = int64 7\nts = int64 1700000000000\nk = bytes \"K\"\nh = json {\"a\":\"b\"}\n"
	if got := run(ch, m); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if got := run(ch, msg("x", 1)); !strings.Contains(got, "t = NULL") {
		t.Fatalf("hand-made message without a record:\n%s", got)
	}
}

func TestEditRenameMakesDynamicFieldsFixed(t *testing.T) {
	ch := compile(t, "- json: {dynamic: {}}\n- edit: {keep: [a, b], rename: [{from: a, to: a2}]}")
	m := mustMessage(t, valueRec(`{"a":1,"b":2}`))
	if got := run(ch, m); got != "a2 = int64 1\nb~ = int64 2\n" || m.DynamicCount() != 1 {
		t.Fatalf("got\n%s (%d dynamic)", got, m.DynamicCount())
	}
}

func TestEditKeepCountsTheDynamicFieldsLeft(t *testing.T) {
	cases := []struct {
		keep, want string
		dynamic    int
	}{
		{"[b, c]", "b~ = int64 2\nc~ = int64 3\n", 2},
		{"[c, b]", "c~ = int64 3\nb~ = int64 2\n", 2},
		{"[c]", "c~ = int64 3\n", 1},
		{"[__offset__, c]", "__offset__ = int64 42\nc~ = int64 3\n", 1},
		{"[x]", "", 0},
	}
	for _, c := range cases {
		t.Run(c.keep, func(t *testing.T) {
			ch := compile(t, "- json: {dynamic: {}}\n- edit: {keep: "+c.keep+"}")
			m := mustMessage(t, valueRec(`{"a":1,"b":2,"c":3}`))
			if got := run(ch, m); got != c.want || m.DynamicCount() != c.dynamic {
				t.Fatalf("got\n%s(%d dynamic), want\n%s(%d dynamic)", got, m.DynamicCount(), c.want, c.dynamic)
			}
		})
	}
}

func TestEditConfigErrorsNameTheField(t *testing.T) {
	cases := []struct{ conf, want string }{
		{`- edit: {}`, "processors[0].edit: nothing to do"},
		{`- edit: {keep: [a], drop: [b]}`, "processors[0].edit: keep and drop exclude each other"},
		{`- edit: {keep: [a, a]}`, "processors[0].edit.keep[1]: a is already listed at [0]"},
		{`- edit: {rename: [{from: a, to: "x-y"}]}`, `processors[0].edit.rename[0].to: name "x-y" is not a valid identifier`},
		{`- edit: {rename: [{from: a, to: x}, {from: a, to: y}]}`, "processors[0].edit.rename[1].from: a is already renamed"},
		{`- edit: {rename: [{from: a, to: x}, {from: b, to: x}]}`, "processors[0].edit.rename[1].to: x is already the new name of processors[0].edit.rename[0]"},
		{`- edit: {add: [{name: a}]}`, "processors[0].edit.add[0]: want exactly one of value and attribute"},
		{`- edit: {add: [{name: a, value: 1, attribute: topic}]}`, "processors[0].edit.add[0]: want exactly one of value and attribute"},
		{`- edit: {add: [{name: a, attribute: color}]}`, `processors[0].edit.add[0].attribute: unknown attribute "color"`},
		{`- edit: {add: [{name: a, value: "${nosuch}"}]}`, "processors[0].edit.add[0].value: schedule: unknown parameter ${nosuch}"},
		{`- edit: {add: [{name: a, value: "$[yyyymmdd"}]}`, "processors[0].edit.add[0].value: schedule: unclosed"},
		{`- edit: {add: [{name: a, value: 1}, {name: a, value: 2}]}`, "processors[0].edit.add[1].name: a is already added"},
		{`- edit: {add: [{name: "1a", value: 1}]}`, `processors[0].edit.add[0].name: name "1a" is not a valid identifier`},
		{`- edit: {add: [{name: a, value: {x: 1}}]}`, "processors[0].edit.add[0].value: want text, a number or a boolean"},
	}
	for _, c := range cases {
		err := compileErr(t, c.conf)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.conf, err, c.want)
		}
	}
}

func TestEditOutputsFollowTheEdits(t *testing.T) {
	ch := compile(t, `
- json: {fields: [{name: a, path: a, type: BIGINT}, {name: b, path: b}]}
- edit: {keep: [b, a, __offset__], rename: [{from: a, to: b}, {from: b, to: a}], add: [{name: ds, value: "${bizdate}"}, {name: p, attribute: partition}, {name: f, value: 1.5}]}`)
	var got []string
	for _, c := range ch.Outputs() {
		got = append(got, c.Name+":"+string(c.Type))
	}
	want := "a:STRING b:BIGINT __offset__:BIGINT ds:STRING p:BIGINT f:DOUBLE"
	if strings.Join(got, " ") != want {
		t.Fatalf("outputs %s, want %s", strings.Join(got, " "), want)
	}
}
