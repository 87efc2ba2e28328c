package schedule

import (
	"strings"
	"testing"
	"time"
)

func TestExpandSubstitutesVarsExpressionsAndSystemParameters(t *testing.T) {
	at := time.Date(2022, 11, 22, 10, 0, 0, 0, mustLoc(t, "Asia/Shanghai"))
	vars := map[string]string{
		"startTime": "20221122095200",
		"endTime":   "20221122095700",
		"partition": "202211220952",
		"yyyymmdd":  "shadowed",
		"bizdate":   "20200101",
		"weird":     "${partition}$[x]",
	}
	tests := []struct{ in, want string }{
		{"no dollars here", "no dollars here"},
		{"", ""},
		{`{"beginDateTime":"${startTime}","endDateTime":"${endTime}"}`,
			`{"beginDateTime":"20221122095200","endDateTime":"20221122095700"}`},
		{"ds=${partition}", "ds=202211220952"},
		{"ds=$[yyyymmddhh24mi-8/24/60]00", "ds=20221122095200"},
		{"${yyyy-mm-dd}/${yyyymmdd-7}", "2022-11-21/20221114"},
		{"${yyyymmdd}", "shadowed"},
		{"$bizdate", "20200101"},
		{"$cyctime,$gmtdate;$bizmonth", "20221122100000,20221122;202210"},
		{"${cyctime}", "20221122100000"},
		{"$bizdate2 $foo $5 $ $", "$bizdate2 $foo $5 $ $"},
		{"cost $$5 and $${partition}", "cost $5 and ${partition}"},
		{"$$$[yyyy]", "$2022"},
		{"${weird}", "${partition}$[x]"},
		{"a}b]c", "a}b]c"},
		{"trailing $", "trailing $"},
	}
	for _, tc := range tests {
		got, err := Expand(tc.in, vars, at)
		if err != nil {
			t.Errorf("Expand(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("Expand(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestExpandWithoutVarsUsesSystemParameters(t *testing.T) {
	at := time.Date(2025, 11, 1, 2, 30, 45, 0, time.UTC)
	got, err := Expand("bizdate=$bizdate ${bizdate}", nil, at)
	if err != nil {
		t.Fatal(err)
	}
	if want := "bizdate=20251031 20251031"; got != want {
		t.Errorf("Expand = %q, want %q", got, want)
	}
}

func TestExpandRejectsUnknownNamesAndMalformedReferences(t *testing.T) {
	at := time.Date(2025, 11, 1, 2, 30, 45, 0, time.UTC)
	tests := []struct{ in, want string }{
		{"x=${startTime}", "unknown parameter ${startTime}"},
		{"x=${start", `unclosed "${"`},
		{"x=$[yyyymmdd", `unclosed "$["`},
		{"x=$[nope]", `"$[nope]"`},
		{"x=${yyyy-mm dd}", `"${yyyy-mm dd}"`},
		{"x=${}", "empty format"},
		{"x=${a${b}}", `"${a${b}"`},
	}
	for _, tc := range tests {
		got, err := Expand(tc.in, nil, at)
		if err == nil {
			t.Errorf("Expand(%q) = %q, want an error", tc.in, got)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Expand(%q) error %q, want it to contain %q", tc.in, err, tc.want)
		}
	}
}

func TestTemplateIsReusableAcrossTimesAndVars(t *testing.T) {
	tpl, err := CompileTemplate("ds=${day}/hh=$[hh24]")
	if err != nil {
		t.Fatal(err)
	}
	if tpl.String() != "ds=${day}/hh=$[hh24]" {
		t.Errorf("String = %q", tpl.String())
	}
	for _, tc := range []struct {
		day  string
		at   time.Time
		want string
	}{
		{"20250101", time.Date(2025, 1, 1, 7, 0, 0, 0, time.UTC), "ds=20250101/hh=07"},
		{"20250102", time.Date(2025, 1, 2, 23, 0, 0, 0, time.UTC), "ds=20250102/hh=23"},
	} {
		got, err := tpl.Expand(map[string]string{"day": tc.day}, tc.at)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("Expand = %q, want %q", got, tc.want)
		}
	}
}

func BenchmarkTemplateExpand(b *testing.B) {
	tpl, err := CompileTemplate("ds=${partition}/t=$[yyyymmddhh24mi-8/24/60]00")
	if err != nil {
		b.Fatal(err)
	}
	vars := map[string]string{"partition": "202211220952"}
	at := time.Date(2022, 11, 22, 10, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tpl.Expand(vars, at); err != nil {
			b.Fatal(err)
		}
	}
}
