package schedule

import (
	"bytes"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// incrementalScenarios holds the scheduling-parameter scenarios of
// "DataWorks: Synchronize incremental data from Kafka to MaxCompute", scheduled in Asia/Shanghai.
var incrementalScenarios = []struct {
	scenario string
	at       [5]int // month, day, hour, minute of 2022 (second is 0); index 4 unused
	params   string
}{
	{"every-5-minutes", [5]int{11, 22, 10, 0},
		"startTime=$[yyyymmddhh24mi-8/24/60]00 endTime=$[yyyymmddhh24mi-3/24/60]00 partition=$[yyyymmddhh24mi-8/24/60]"},
	{"hourly", [5]int{11, 22, 10, 5},
		"startTime=$[yyyymmddhh24-1/24]0000 endTime=$[yyyymmddhh24]0000 partition=$[yyyymmddhh24]"},
	{"every-2-hours", [5]int{11, 22, 10, 5},
		"startTime=$[yyyymmddhh24-2/24]0000 endTime=$[yyyymmddhh24]0000 partition=$[yyyymmddhh24]"},
	{"daily", [5]int{11, 22, 0, 5},
		"startTime=$[yyyymmdd-1]000000 endTime=$[yyyymmdd]000000 partition=$[yyyymmdd-1]"},
	{"weekly", [5]int{11, 22, 0, 5},
		"startTime=$[yyyymmdd-7]000000 endTime=$[yyyymmdd]000000 partition=$[yyyymmdd-1]"},
	{"monthly", [5]int{11, 22, 0, 5},
		"startTime=$[add_months(yyyymmdd,-1)]000000 endTime=$[yyyymmdd]000000 partition=$[yyyymmdd-1]"},
}

func TestResolveIncrementalWindowsMatchGolden(t *testing.T) {
	shanghai := mustLoc(t, "Asia/Shanghai")
	var out bytes.Buffer
	for _, sc := range incrementalScenarios {
		at := time.Date(2022, time.Month(sc.at[0]), sc.at[1], sc.at[2], sc.at[3], 0, 0, shanghai)
		as, err := ParseAssignments(sc.params)
		if err != nil {
			t.Fatalf("%s: %v", sc.scenario, err)
		}
		vals, err := Resolve(as, at, nil)
		if err != nil {
			t.Fatalf("%s: %v", sc.scenario, err)
		}
		fmt.Fprintf(&out, "# %s scheduled %s\n", sc.scenario, at.Format("2006-01-02 15:04"))
		for _, a := range as {
			fmt.Fprintf(&out, "%s %s=%s\n", sc.scenario, a.Name, vals[a.Name])
		}
	}
	golden := filepath.Join("testdata", "incremental_windows.golden")
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("the incremental-synchronization windows differ from %s:\n got:\n%s\nwant:\n%s", golden, out.Bytes(), want)
	}
}

func TestParseAssignmentsReadsWhitespaceAndNewlines(t *testing.T) {
	in := "  startTime=$[yyyymmddhh24mi-8/24/60]00\n\tendTime=$[yyyymmddhh24mi-3/24/60]00\r\n" +
		"partition=$[yyyymmddhh24mi-8/24/60]  empty=  eq=a=b _x1=literal"
	got, err := ParseAssignments(in)
	if err != nil {
		t.Fatal(err)
	}
	want := []Assignment{
		{"startTime", "$[yyyymmddhh24mi-8/24/60]00"},
		{"endTime", "$[yyyymmddhh24mi-3/24/60]00"},
		{"partition", "$[yyyymmddhh24mi-8/24/60]"},
		{"empty", ""},
		{"eq", "a=b"},
		{"_x1", "literal"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("ParseAssignments = %q, want %q", got, want)
	}
	if got, err := ParseAssignments(" \n "); err != nil || len(got) != 0 {
		t.Errorf("ParseAssignments(blank) = %v, %v; want nothing", got, err)
	}
}

func TestParseAssignmentsRejectsBadInput(t *testing.T) {
	tests := []struct{ in, want string }{
		{"startTime", "want name=value"},
		{"=x", "not an identifier"},
		{"1a=x", "not an identifier"},
		{"a-b=x", "not an identifier"},
		{"a=$[x] b=1", "unknown token"},
		{"a=$[yyyymmdd", "unclosed"},
		{"a=${yyyy-} ", "sign without a number"},
		{"a=1 b=2 a=3", "assigned twice"},
	}
	for _, tc := range tests {
		_, err := ParseAssignments(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseAssignments(%q) error = %v, want it to mention %q", tc.in, err, tc.want)
		}
	}
}

func TestResolveOverridesReplaceAndAddLiterally(t *testing.T) {
	at := time.Date(2022, 11, 22, 10, 0, 0, 0, time.UTC)
	as, err := ParseAssignments("startTime=$[yyyymmddhh24mi-8/24/60]00 partition=$[yyyymmddhh24mi-8/24/60] ref=p_${region}_$bizdate")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Resolve(as, at, map[string]string{"partition": "$[yyyymmdd]", "region": "cn"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"startTime": "20221122095200",
		"partition": "$[yyyymmdd]",
		"region":    "cn",
		"ref":       "p_cn_20221121",
	}
	if !maps.Equal(got, want) {
		t.Errorf("Resolve = %v, want %v", got, want)
	}
}

func TestResolveNamesTheParameterWithAnUnknownReference(t *testing.T) {
	as := []Assignment{{Name: "a", Value: "x_${nosuch}"}}
	_, err := Resolve(as, time.Now(), nil)
	if err == nil || !strings.Contains(err.Error(), "parameter a") || !strings.Contains(err.Error(), "${nosuch}") {
		t.Errorf("Resolve error = %v, want it to name a and ${nosuch}", err)
	}
}
