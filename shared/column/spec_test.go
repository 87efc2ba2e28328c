package column

import (
	"reflect"
	"strings"
	"testing"
)

func key(k string) Step { return Step{Key: k} }
func idx(i int) Step    { return Step{Index: i, IsIndex: true} }

func TestParseReadsAttributesConstantsAndPaths(t *testing.T) {
	tests := []struct {
		in   string
		want Spec
	}{
		{"__key__", Spec{Kind: KindAttribute, Attr: AttrKey}},
		{"__value__", Spec{Kind: KindAttribute, Attr: AttrValue}},
		{"__partition__", Spec{Kind: KindAttribute, Attr: AttrPartition}},
		{"__headers__", Spec{Kind: KindAttribute, Attr: AttrHeaders}},
		{"__offset__", Spec{Kind: KindAttribute, Attr: AttrOffset}},
		{" __timestamp__ ", Spec{Kind: KindAttribute, Attr: AttrTimestamp}},
		{"'abc'", Spec{Kind: KindConstant, Const: "abc"}},
		{"'2024'", Spec{Kind: KindConstant, Const: "2024"}},
		{"''", Spec{Kind: KindConstant, Const: ""}},
		{"'it's'", Spec{Kind: KindConstant, Const: "it's"}},
		{"'a.b[0]'", Spec{Kind: KindConstant, Const: "a.b[0]"}},
		{"b", Spec{Kind: KindPath, Path: []Step{key("b")}}},
		{"a.a1", Spec{Kind: KindPath, Path: []Step{key("a"), key("a1")}}},
		{"a.b", Spec{Kind: KindPath, Path: []Step{key("a"), key("b")}}},
		{"c[1]", Spec{Kind: KindPath, Path: []Step{key("c"), idx(1)}}},
		{"d[0].AA", Spec{Kind: KindPath, Path: []Step{key("d"), idx(0), key("AA")}}},
		{"x[0][1]", Spec{Kind: KindPath, Path: []Step{key("x"), idx(0), idx(1)}}},
		{"[2].id", Spec{Kind: KindPath, Path: []Step{idx(2), key("id")}}},
		{"c[007]", Spec{Kind: KindPath, Path: []Step{key("c"), idx(7)}}},
		{"__KEY__", Spec{Kind: KindPath, Path: []Step{key("__KEY__")}}},
		{"__key__.x", Spec{Kind: KindPath, Path: []Step{key("__key__"), key("x")}}},
		{"first name", Spec{Kind: KindPath, Path: []Step{key("first name")}}},
		{"数据.值", Spec{Kind: KindPath, Path: []Step{key("数据"), key("值")}}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseRejectsBadSyntaxQuotingTheColumn(t *testing.T) {
	tests := []struct{ in, wantMsg string }{
		{"", "empty"},
		{"   ", "empty"},
		{"a..b", "empty key"},
		{".a", "empty key"},
		{"a.", "ends with '.'"},
		{"a[0].", "ends with '.'"},
		{"c[", "no closing ']'"},
		{"c[1", "no closing ']'"},
		{"c[]", "not a non-negative integer"},
		{"c[-1]", "not a non-negative integer"},
		{"c[x]", "not a non-negative integer"},
		{"c[ 1]", "not a non-negative integer"},
		{"c[99999999999]", "not a non-negative integer"},
		{"c[1]x", "after ']'"},
		{"c]", "unexpected ']'"},
		{"a.[0]", "empty key"},
		{"a.]", "empty key"},
		{"'abc", "no closing quote"},
		{"'", "no closing quote"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded, want an error", tt.in)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Parse(%q) error %q does not say %q", tt.in, err, tt.wantMsg)
			}
			if quoted := `"` + tt.in + `"`; !strings.Contains(err.Error(), quoted) {
				t.Errorf("Parse(%q) error %q does not quote the column", tt.in, err)
			}
		})
	}
}

func TestSpecStringRoundTrips(t *testing.T) {
	for _, in := range []string{"__key__", "'abc'", "''", "a.a1", "c[1]", "d[0].AA", "x[0][1]", "[3]", "[0].a[2].b"} {
		s, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.String(); got != in {
			t.Errorf("Parse(%q).String() = %q", in, got)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"__key__", "'abc'", "a.a1", "c[1]", "d[0].AA", "x[0][1]", "a..b", "c[", "c[-1]", "c[x]", "", "[0]", "a]", "'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := Parse(in)
		if err != nil {
			if !strings.Contains(err.Error(), "column ") {
				t.Fatalf("error %q does not name the column", err)
			}
			return
		}
		again, err := Parse(s.String())
		if err != nil {
			t.Fatalf("Parse(%q) ok but its String %q does not parse: %v", in, s.String(), err)
		}
		if !reflect.DeepEqual(s, again) {
			t.Fatalf("Parse(%q) = %+v; Parse(String()) = %+v", in, s, again)
		}
	})
}
