package process

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

func hexOf(sum []byte) string { return hex.EncodeToString(sum) }

func TestMaskRules(t *testing.T) {
	s256 := sha256.Sum256([]byte("salt" + "ann@example.com"))
	s1 := sha1.Sum([]byte("ann@example.com"))
	m5 := md5.Sum([]byte("pfx" + "42"))
	raw := sha256.Sum256([]byte{0xff, 0x00})
	cases := []struct {
		name string
		rule string
		in   any
		want any
	}{
		{"sha256 with salt", `{field: f, method: hash, salt: salt}`, "ann@example.com", hexOf(s256[:])},
		{"sha1", `{field: f, method: hash, algorithm: SHA-1}`, "ann@example.com", hexOf(s1[:])},
		{"md5 of a number hashes its text", `{field: f, method: hash, algorithm: md5, salt: pfx}`, int64(42), hexOf(m5[:])},
		{"binary hashes its bytes", `{field: f, method: hash}`, []byte{0xff, 0x00}, hexOf(raw[:])},
		{"hash of a long value", `{field: f, method: hash}`, strings.Repeat("x", 1000), hexOf(sumOf(strings.Repeat("x", 1000)))},
		{"partial keeps both ends", `{field: f, method: partial, keepFirst: 3, keepLast: 4}`, "13812345678", "138****5678"},
		{"partial counts characters, not bytes", `{field: f, method: partial, keepFirst: 1, keepLast: 1, char: "●"}`, "张三丰先生", "张●●●生"},
		{"partial of a short value masks all", `{field: f, method: partial, keepFirst: 2, keepLast: 2}`, "abc", "***"},
		{"partial of emoji", `{field: f, method: partial, keepFirst: 1}`, "😀😀😀", "😀**"},
		{"partial of a number", `{field: f, method: partial, keepLast: 2}`, int64(123456), "****56"},
		{"partial of empty text", `{field: f, method: partial, keepFirst: 1}`, "", ""},
		{"constant text", `{field: f, method: constant, value: "***"}`, "secret", "***"},
		{"constant number", `{field: f, method: constant, value: 0}`, "secret", int64(0)},
		{"null without quotes", `{field: f, method: null}`, "secret", nil},
		{"null with quotes", `{field: f, method: "null"}`, "secret", nil},
		{"null stays null", `{field: f, method: hash}`, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ch := compile(t, "- mask: {fields: ["+c.rule+"]}")
			m := msg("f", c.in, "other", "untouched")
			keep, err := ch.Process(m)
			if err != nil || !keep {
				t.Fatalf("Process: %v %v", keep, err)
			}
			if got, _ := m.Get("f"); got != c.want {
				t.Fatalf("f = %#v, want %#v", got, c.want)
			}
			if got, _ := m.Get("other"); got != "untouched" {
				t.Fatalf("other field changed to %#v", got)
			}
		})
	}
}

func sumOf(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func TestMaskRulesApplyInOrderAndSkipMissingFields(t *testing.T) {
	ch := compile(t, `
- mask:
    fields:
      - {field: f, method: partial, keepFirst: 1}
      - {field: f, method: hash}
      - {field: absent, method: constant, value: x}`)
	m := msg("f", "abc")
	if _, err := ch.Process(m); err != nil {
		t.Fatal(err)
	}
	if got, _ := m.Get("f"); got != hexOf(sumOf("a**")) {
		t.Fatalf("f = %v, want the hash of the partially masked text", got)
	}
	if _, ok := m.Get("absent"); ok {
		t.Fatal("a rule created a missing field")
	}
}

func TestMaskOfBinaryPartialIsDirtyWithoutTheValue(t *testing.T) {
	ch := compile(t, `- mask: {fields: [{field: f, method: partial, keepFirst: 1}]}`)
	_, err := ch.Process(msg("f", []byte{0xff, 's', 'e', 'c'}))
	de := dirtyOf(t, err)
	if de.Field != "f" || de.Value != "" || de.Where != "processors[0].mask" || strings.Contains(err.Error(), "sec") {
		t.Fatalf("dirty error %+v", de)
	}
}

func TestMaskOfTimesAndFloatsUsesTheirText(t *testing.T) {
	loc := time.FixedZone("UTC+8", 8*3600)
	ch := compile(t, `- mask: {fields: [{field: t, method: partial, keepFirst: 4}, {field: x, method: partial, keepFirst: 2}]}`, WithLocation(loc))
	m := msg("t", time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), "x", 12.5)
	if _, err := ch.Process(m); err != nil {
		t.Fatal(err)
	}
	if got, _ := m.Get("t"); got != "2026***************" {
		t.Errorf("t = %q", got)
	}
	if got, _ := m.Get("x"); got != "12**" {
		t.Errorf("x = %q", got)
	}
}

func TestMaskConfigErrorsNameTheField(t *testing.T) {
	cases := []struct{ conf, want string }{
		{`- mask: {}`, "processors[0].mask.fields: required"},
		{`- mask: {fields: []}`, "processors[0].mask.fields: empty"},
		{`- mask: {fields: [{method: hash}]}`, "processors[0].mask.fields[0].field: required"},
		{`- mask: {fields: [{field: f}]}`, "processors[0].mask.fields[0].method: required"},
		{`- mask: {fields: [{field: f, method: scramble}]}`, `processors[0].mask.fields[0].method: unknown method "scramble"`},
		{`- mask: {fields: [{field: f, method: hash, algorithm: crc32}]}`, `processors[0].mask.fields[0].algorithm: unknown algorithm "crc32"`},
		{`- mask: {fields: [{field: f, method: hash, keepFirst: 1}]}`, "processors[0].mask.fields[0].keepFirst: unknown field"},
		{`- mask: {fields: [{field: f, method: partial, char: "**"}]}`, "processors[0].mask.fields[0].char: want exactly one character"},
		{`- mask: {fields: [{field: f, method: partial, keepFirst: -1}]}`, "processors[0].mask.fields[0].keepFirst: -1 is out of range"},
		{`- mask: {fields: [{field: f, method: constant}]}`, "processors[0].mask.fields[0].value: required"},
		{`- mask: {fields: [{field: f, method: constant, value: [1]}]}`, "processors[0].mask.fields[0].value: want text, a number or a boolean"},
		{`- mask: {fields: [{field: f, method: hash}], extra: 1}`, "processors[0].mask.extra: unknown field"},
	}
	for _, c := range cases {
		err := compileErr(t, c.conf)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.conf, err, c.want)
		}
	}
}

func TestMaskOutputsAreText(t *testing.T) {
	ch := compile(t, `
- json: {fields: [{name: n, path: n, type: BIGINT}, {name: s, path: s}]}
- mask: {fields: [{field: n, method: hash}, {field: s, method: constant, value: 1}]}`)
	outs := ch.Outputs()
	got := map[string]string{}
	for _, c := range outs {
		got[c.Name] = string(c.Type)
	}
	if got["n"] != "STRING" || got["s"] != "BIGINT" {
		t.Fatalf("outputs %v", outs)
	}
}
