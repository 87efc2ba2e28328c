package process

import (
	"strings"
	"testing"
)

func TestReplaceRules(t *testing.T) {
	cases := []struct {
		name string
		rule string
		in   any
		want any
	}{
		{"literal is case-insensitive by default", `{field: f, find: abc, replace: X}`, "ABC abc aBc", "X X X"},
		{"case-sensitive literal", `{field: f, find: abc, replace: X, caseSensitive: true}`, "ABC abc", "ABC X"},
		{"tab escape", `{field: f, find: "\\t", replace: " "}`, "a\tb\tc", "a b c"},
		{"newline escape in replacement", `{field: f, find: ";", replace: "\\n", caseSensitive: true}`, "a;b", "a\nb"},
		{"SOH escape", `{field: f, find: "\\u0001", replace: "|"}`, "a\x01b", "a|b"},
		{"escaped backslash", `{field: f, find: "\\\\", replace: "/"}`, `a\b`, "a/b"},
		{"regex metacharacters are literal", `{field: f, find: "a.c", replace: X}`, "abc a.c", "abc X"},
		{"dollar in literal replacement", `{field: f, find: x, replace: "$1"}`, "x", "$1"},
		{"regex with groups", `{field: f, find: "(\\d+)-(\\d+)", replace: "$2-$1", regex: true}`, "12-34", "34-12"},
		{"regex is case-insensitive by default", `{field: f, find: "^paid$", replace: PAID, regex: true}`, "Paid", "PAID"},
		{"regex case-sensitive", `{field: f, find: "^paid$", replace: PAID, regex: true, caseSensitive: true}`, "Paid", "Paid"},
		{"regex unicode escape", `{field: f, find: "\\u00e9+", replace: e, regex: true}`, "caféé", "cafe"},
		{"non-ASCII literal", `{field: f, find: "東京", replace: Tokyo}`, "from 東京", "from Tokyo"},
		{"number becomes text", `{field: f, find: "0", replace: "o"}`, int64(100), "1oo"},
		{"bytes become text", `{field: f, find: a, replace: b}`, []byte("aa"), "bb"},
		{"json text becomes text", `{field: f, find: "1", replace: "2"}`, jsonText(`[1]`), "[2]"},
		{"null stays null", `{field: f, find: a, replace: b}`, nil, nil},
		{"no match keeps the value", `{field: f, find: zz, replace: b, caseSensitive: true}`, "abc", "abc"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ch := compile(t, "- replace: {fields: ["+c.rule+"]}")
			m := msg("f", c.in)
			if _, err := ch.Process(m); err != nil {
				t.Fatal(err)
			}
			if got, _ := m.Get("f"); got != c.want {
				t.Fatalf("f = %#v, want %#v", got, c.want)
			}
		})
	}
}

func TestReplaceOfBinaryIsDirty(t *testing.T) {
	ch := compile(t, `- replace: {fields: [{field: f, find: a, replace: b}]}`)
	_, err := ch.Process(msg("f", []byte{'a', 0xff}))
	de := dirtyOf(t, err)
	if de.Field != "f" || !strings.Contains(de.Reason, "binary") {
		t.Fatalf("dirty error %+v", de)
	}
}

func TestReplaceConfigErrorsNameTheField(t *testing.T) {
	cases := []struct{ conf, want string }{
		{`- replace: {fields: [{field: f, replace: x}]}`, "processors[0].replace.fields[0].find: required"},
		{`- replace: {fields: [{field: f, find: "(", regex: true}]}`, "processors[0].replace.fields[0].find: not a valid regular expression"},
		{`- replace: {fields: [{field: f, find: "\\ud800"}]}`, "processors[0].replace.fields[0].find: \\ud800 at byte 0 is a surrogate"},
		{`- replace: {fields: [{field: f, find: "\\u12"}]}`, "processors[0].replace.fields[0].find: \\u at byte 0 needs four hex digits"},
		{`- replace: {fields: [{field: f, find: a, regex: maybe}]}`, `processors[0].replace.fields[0].regex: want true or false, got "maybe"`},
		{`- replace: {fields: [{field: f, find: a, mode: x}]}`, "processors[0].replace.fields[0].mode: unknown field"},
		{`- replace: {fields: [{field: f, find: "` + strings.Repeat("a", maxPattern+1) + `"}]}`, "longer than 4096 bytes"},
	}
	for _, c := range cases {
		err := compileErr(t, c.conf)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%.60s: error %v, want %q", c.conf, err, c.want)
		}
	}
}
