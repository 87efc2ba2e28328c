package process

import (
	"strings"
	"testing"
	"time"
)

func TestFilterOperators(t *testing.T) {
	cases := []struct {
		name string
		rule string
		in   any
		keep bool
	}{
		{"= numbers", `{field: f, op: "=", value: 100}`, int64(100), true},
		{"= int and float", `{field: f, op: "=", value: 100}`, 100.0, true},
		{"= numeric text is a number", `{field: f, op: "=", value: 100}`, "0100", true},
		{"= text", `{field: f, op: "=", value: paid}`, "paid", true},
		{"= text is case-sensitive", `{field: f, op: "=", value: paid}`, "PAID", false},
		{"= ignoreCase", `{field: f, op: "=", value: paid, ignoreCase: true}`, "PAID", true},
		{"== alias", `{field: f, op: "==", value: 1}`, int64(1), true},
		{"!= text", `{field: f, op: "!=", value: paid}`, "open", true},
		{"<> alias", `{field: f, op: "<>", value: 1}`, int64(1), false},
		{"< numeric, not lexical", `{field: f, op: "<", value: 100}`, int64(9), true},
		{"< lexical when one side is text", `{field: f, op: "<", value: abc}`, int64(9), true},
		{"<= float", `{field: f, op: "<=", value: 99.99}`, 99.99, true},
		{"> large integers compare exactly", `{field: f, op: ">", value: 9007199254740992}`, int64(9007199254740993), true},
		{">= threshold", `{field: f, op: ">=", value: 100}`, 99.99, false},
		{">= threshold met", `{field: f, op: ">=", value: "100"}`, 100.0, true},
		{"contains", `{field: f, op: contains, value: gift}`, "please gift wrap", true},
		{"contains ignoreCase", `{field: f, op: contains, value: GIFT, ignoreCase: true}`, "gift", true},
		{"not contains", `{field: f, op: not contains, value: gift}`, "plain", true},
		{"not_contains spelling", `{field: f, op: NOT_CONTAINS, value: gift}`, "gift", false},
		{"in list", `{field: f, op: in, value: [paid, shipped]}`, "shipped", true},
		{"in numbers", `{field: f, op: in, value: [1, 2, 3]}`, 2.0, true},
		{"in comma text", `{field: f, op: in, value: "a, b"}`, "b", true},
		{"not in", `{field: f, op: not in, value: [paid]}`, "open", true},
		{"starts with", `{field: f, op: starts with, value: ORD-}`, "ORD-1", true},
		{"ends with", `{field: f, op: ends with, value: .com}`, "a@b.com", true},
		{"regex match anywhere", `{field: f, op: regex match, value: "\\d{3}"}`, "ab123", true},
		{"regex anchored", `{field: f, op: regex match, value: "^\\d+$"}`, "ab123", false},
		{"regex ignoreCase", `{field: f, op: matches, value: "^ord", ignoreCase: true}`, "ORD-1", true},
		{"is null on null", `{field: f, op: is null}`, nil, true},
		{"is not null", `{field: f, op: is not null}`, "", true},
		{"bool compares as text", `{field: f, op: "=", value: true}`, true, true},
		{"bytes compare as text", `{field: f, op: "=", value: abc}`, []byte("abc"), true},
		{"bytes numbers compare as numbers", `{field: f, op: ">", value: 5}`, []byte("10"), true},
		{"json text", `{field: f, op: contains, value: '"a"'}`, jsonText(`{"a":1}`), true},
		{"time compares as text", `{field: f, op: ">=", value: "2026-01-01"}`, time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ch := compile(t, "- filter: "+c.rule)
			keep, err := ch.Process(msg("f", c.in))
			if err != nil || keep != c.keep {
				t.Fatalf("keep = %v, %v; want %v", keep, err, c.keep)
			}
			drop := compile(t, "- filter: {action: drop, and: ["+c.rule+"]}")
			keep, err = drop.Process(msg("f", c.in))
			if err != nil || keep == c.keep {
				t.Fatalf("with action drop: keep = %v, %v; want %v", keep, err, !c.keep)
			}
		})
	}
}

func TestFilterNullMatchesOnlyIsNull(t *testing.T) {
	for _, rule := range []string{
		`{field: f, op: "=", value: 1}`, `{field: f, op: "!=", value: 1}`, `{field: f, op: "<", value: 1}`,
		`{field: f, op: not in, value: [1]}`, `{field: f, op: not contains, value: x}`, `{field: f, op: regex match, value: ".*"}`,
		`{field: f, op: is not null}`,
	} {
		ch := compile(t, "- filter: "+rule)
		for _, m := range []*Message{msg("f", nil), msg("other", 1)} {
			if keep, _ := ch.Process(m); keep {
				t.Errorf("%s kept a record whose field is null or missing", rule)
			}
		}
	}
	ch := compile(t, `- filter: {field: f, op: is null}`)
	if keep, _ := ch.Process(msg("other", 1)); !keep {
		t.Error("is null dropped a record without the field")
	}
}

func TestFilterGroupsNest(t *testing.T) {
	ch := compile(t, `
- filter:
    and:
      - {field: amount, op: ">=", value: 100}
      - or:
          - {field: status, op: in, value: [paid, shipped]}
          - and:
              - {field: note, op: contains, value: urgent, ignoreCase: true}
              - {field: status, op: "!=", value: cancelled}`)
	cases := []struct {
		amount float64
		status string
		note   string
		keep   bool
	}{
		{150, "paid", "", true},
		{50, "paid", "", false},
		{150, "created", "", false},
		{150, "created", "URGENT please", true},
		{150, "cancelled", "urgent", false},
	}
	for _, c := range cases {
		keep, err := ch.Process(msg("amount", c.amount, "status", c.status, "note", c.note))
		if err != nil || keep != c.keep {
			t.Errorf("%+v: keep = %v, %v", c, keep, err)
		}
	}
}

func TestFilterConfigErrorsNameTheField(t *testing.T) {
	deep := "{field: f, op: is null}"
	for i := 0; i <= maxCondDepth+1; i++ {
		deep = "{and: [" + deep + "]}"
	}
	cases := []struct{ conf, want string }{
		{`- filter: {}`, "processors[0].filter: no condition"},
		{`- filter: {field: f, op: like, value: x}`, `processors[0].filter.op: unknown operator "like"`},
		{`- filter: {field: f, value: x}`, "processors[0].filter.op: required"},
		{`- filter: {op: "=", value: x}`, "processors[0].filter.field: required"},
		{`- filter: {field: f, op: "="}`, "processors[0].filter.value: required"},
		{`- filter: {field: f, op: is null, value: x}`, "processors[0].filter.value: is null takes no value"},
		{`- filter: {field: f, op: in, value: []}`, "processors[0].filter.value: want a non-empty list"},
		{`- filter: {field: f, op: regex match, value: "a("}`, "processors[0].filter.value: not a valid regular expression"},
		{`- filter: {action: pass, field: f, op: is null}`, `processors[0].filter.action: want keep or drop, got "pass"`},
		{`- filter: {and: [{field: f, op: is null}], field: g}`, "processors[0].filter.field: unknown field"},
		{`- filter: {or: [{field: f, op: "=", value: [1]}]}`, "processors[0].filter.or[0].value: want text, got a list"},
		{`- filter: {and: [{field: f, opp: x}]}`, "processors[0].filter.and[0].opp: unknown field"},
		{"- filter: " + deep, "nested deeper than 32"},
	}
	for _, c := range cases {
		err := compileErr(t, c.conf)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%.70s: error %v, want %q", c.conf, err, c.want)
		}
	}
}

func TestParseNumberAcceptsDecimalTextOnly(t *testing.T) {
	good := map[string]number{"0": {isInt: true}, "-12": {i: -12, isInt: true}, "+7": {i: 7, isInt: true}, "1.5": {f: 1.5},
		".5": {f: 0.5}, "5.": {f: 5}, "1e3": {f: 1000}, "99999999999999999999": {f: 1e20}}
	for s, want := range good {
		if got, ok := parseNumber(s); !ok || got != want {
			t.Errorf("parseNumber(%q) = %+v, %v; want %+v", s, got, ok, want)
		}
	}
	for _, s := range []string{"", " 1", "1 ", "0x10", "NaN", "Inf", "1e", "-", ".", "1.2.3", "1,000", "e5"} {
		if got, ok := parseNumber(s); ok {
			t.Errorf("parseNumber(%q) = %+v, want not a number", s, got)
		}
	}
}
