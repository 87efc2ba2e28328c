package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

func TestEvalWorkedExamplesOfDailyTask(t *testing.T) {
	at := time.Date(2025, 11, 1, 2, 30, 45, 0, mustLoc(t, "Asia/Shanghai"))
	tests := []struct{ expr, want string }{
		{"${yyyymmdd}", "20251031"},
		{"${yyyy-mm-dd}", "2025-10-31"},
		{"${yyyymmdd-7}", "20251024"},
		{"${yyyymm-1}", "202509"},
		{"$[yyyymmddhh24miss]", "20251101023045"},
		{"$[yyyymmdd-1]", "20251031"},
		{"$[hh24miss-1/24/60]", "022945"},
		{"$[yyyymmddhh24mi-8/24/60]", "202511010222"},
		{"$[yyyymmddhh24-3/24]", "2025103123"},
		{"$[add_months(yyyymmdd,-1)]", "20251001"},
		{"$[add_months(yyyymmdd,-12)]", "20241101"},
		{"$bizdate", "20251031"},
		{"$cyctime", "20251101023045"},
		{"$gmtdate", "20251101"},
		{"$bizmonth", "202510"},
		{"${bizdate}", "20251031"},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			got, err := Eval(tc.expr, at)
			if err != nil {
				t.Fatalf("Eval(%q): %v", tc.expr, err)
			}
			if got != tc.want {
				t.Errorf("Eval(%q) = %q, want %q", tc.expr, got, tc.want)
			}
		})
	}
}

func TestEvalOffsetsAndTokens(t *testing.T) {
	at := time.Date(2024, 3, 1, 0, 5, 9, 0, time.UTC) // business date 2024-02-29
	tests := []struct{ expr, want string }{
		{"${yyyymmdd}", "20240229"},
		{"${yyyymmdd-7*2}", "20240215"},
		{"${yyyymmdd+1}", "20240301"},
		{"${yyyy-mm-dd-1}", "2024-02-28"},
		{"${yyyy-1}", "2023"},
		{"${yyyy+1}", "2025"},
		{"${yy}", "24"},
		{"${yyyymmdd-1*366}", "20230228"},
		{"${mm}", "02"},
		{"${dd}", "29"},
		{"${yyyy/mm/dd}", "2024/02/29"},
		{"${yyyy_mm.dd}", "2024_02.29"},
		{"$[yyyy-mm-dd]", "2024-03-01"},
		{"$[yyyy-mm-dd-1]", "2024-02-29"},
		{"$[hh24:mi:ss]", "00:05:09"},
		{"$[hh24-1/24]", "23"},
		{"$[yyyymmddhh24-1/24]", "2024022923"},
		{"$[yyyymmddhh24miss-10/24/60/60]", "20240301000459"},
		{"$[yyyymmdd+1]", "20240302"},
		{"$[yyyymmddhh24mi+48/24]", "202403030005"},
		{"$[yyyymmddhh24mi-1/3]", "202402291605"},
		{"$[yyyymmdd-7*2]", "20240216"},
		{"$[add_months(yyyymmdd,1)]", "20240401"},
		{"$[add_months(yyyymmdd,+2)]", "20240501"},
	}
	for _, tc := range tests {
		got, err := Eval(tc.expr, at)
		if err != nil {
			t.Errorf("Eval(%q): %v", tc.expr, err)
			continue
		}
		if got != tc.want {
			t.Errorf("Eval(%q) = %q, want %q", tc.expr, got, tc.want)
		}
	}
}

func TestEvalDayOffsetsMoveTheWholeDate(t *testing.T) {
	tests := []struct {
		at   time.Time
		expr string
		want string
	}{
		{time.Date(2025, 1, 1, 0, 5, 0, 0, time.UTC), "$[hh24-1/24]", "23"},
		{time.Date(2025, 1, 1, 0, 5, 0, 0, time.UTC), "$[yyyymmddhh24-1/24]", "2024123123"},
		{time.Date(2025, 1, 1, 0, 5, 0, 0, time.UTC), "$[yyyymmddhh24mi-8/24/60]", "202412312357"},
		{time.Date(2025, 1, 1, 0, 5, 0, 0, time.UTC), "${yyyymmdd}", "20241231"},
		{time.Date(2025, 1, 1, 0, 5, 0, 0, time.UTC), "${yyyy}", "2024"},
		{time.Date(2025, 1, 1, 0, 5, 0, 0, time.UTC), "$[yyyy]", "2025"},
		{time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), "${yyyymmdd}", "20250228"},
		{time.Date(2024, 12, 31, 23, 59, 59, 0, time.UTC), "$[yyyymmddhh24miss+1/24/60/60]", "20250101000000"},
	}
	for _, tc := range tests {
		got, err := Eval(tc.expr, tc.at)
		if err != nil {
			t.Fatalf("Eval(%q, %v): %v", tc.expr, tc.at, err)
		}
		if got != tc.want {
			t.Errorf("Eval(%q, %v) = %q, want %q", tc.expr, tc.at, got, tc.want)
		}
	}
}

func TestEvalMonthOffsetsClampToMonthEnd(t *testing.T) {
	tests := []struct {
		at   time.Time
		expr string
		want string
	}{
		{time.Date(2025, 1, 31, 1, 0, 0, 0, time.UTC), "$[add_months(yyyymmdd,1)]", "20250228"},
		{time.Date(2024, 1, 31, 1, 0, 0, 0, time.UTC), "$[add_months(yyyymmdd,1)]", "20240229"},
		{time.Date(2025, 3, 31, 1, 0, 0, 0, time.UTC), "$[add_months(yyyymmdd,-1)]", "20250228"},
		{time.Date(2024, 3, 31, 1, 0, 0, 0, time.UTC), "$[add_months(yyyymmdd,-1)]", "20240229"},
		{time.Date(2025, 5, 31, 1, 0, 0, 0, time.UTC), "$[add_months(yyyymmdd,-1)]", "20250430"},
		{time.Date(2024, 2, 29, 1, 0, 0, 0, time.UTC), "$[add_months(yyyymmdd,-12)]", "20230228"},
		{time.Date(2024, 2, 29, 1, 0, 0, 0, time.UTC), "$[add_months(yyyymmdd,48)]", "20280229"},
		{time.Date(2025, 1, 15, 1, 0, 0, 0, time.UTC), "$[add_months(yyyymmdd,-13)]", "20231215"},
		{time.Date(2025, 12, 31, 7, 8, 9, 0, time.UTC), "$[add_months(yyyymmddhh24miss,2)]", "20260228070809"},
		// ${yyyymm-N}: business date 2025-10-31 minus one month is September, not October 1st.
		{time.Date(2025, 11, 1, 2, 0, 0, 0, time.UTC), "${yyyymm-1}", "202509"},
		{time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC), "${yyyymm+1}", "202503"},
		{time.Date(2025, 1, 1, 2, 0, 0, 0, time.UTC), "${yyyymm-12}", "202312"},
		// ${yyyy-N} from Feb 29 clamps as well.
		{time.Date(2024, 3, 1, 2, 0, 0, 0, time.UTC), "${yyyy-mm-dd}", "2024-02-29"},
		{time.Date(2024, 3, 1, 2, 0, 0, 0, time.UTC), "${yyyy-1}", "2023"},
	}
	for _, tc := range tests {
		got, err := Eval(tc.expr, tc.at)
		if err != nil {
			t.Fatalf("Eval(%q, %v): %v", tc.expr, tc.at, err)
		}
		if got != tc.want {
			t.Errorf("Eval(%q, %v) = %q, want %q", tc.expr, tc.at, got, tc.want)
		}
	}
}

func TestEvalBizmonthIsTheMonthBeforeTheScheduledMonth(t *testing.T) {
	tests := []struct {
		at   time.Time
		want string
	}{
		{time.Date(2025, 11, 15, 0, 0, 0, 0, time.UTC), "202510"}, // business date in the same month
		{time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC), "202510"},  // business date in the month before
		{time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), "202412"},
		{time.Date(2025, 3, 31, 0, 0, 0, 0, time.UTC), "202502"},
	}
	for _, tc := range tests {
		got, err := Eval("$bizmonth", tc.at)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("$bizmonth at %v = %q, want %q", tc.at, got, tc.want)
		}
	}
}

func TestEvalUsesTheLocationOfTheScheduledTime(t *testing.T) {
	instant := time.Date(2025, 10, 31, 17, 30, 0, 0, time.UTC) // 2025-11-01 01:30 in Shanghai
	tests := []struct {
		loc  *time.Location
		expr string
		want string
	}{
		{time.UTC, "$[yyyymmddhh24mi]", "202510311730"},
		{mustLoc(t, "Asia/Shanghai"), "$[yyyymmddhh24mi]", "202511010130"},
		{time.UTC, "${yyyymmdd}", "20251030"},
		{mustLoc(t, "Asia/Shanghai"), "${yyyymmdd}", "20251031"},
		{time.UTC, "$bizmonth", "202509"},
		{mustLoc(t, "Asia/Shanghai"), "$bizmonth", "202510"},
	}
	for _, tc := range tests {
		got, err := Eval(tc.expr, instant.In(tc.loc))
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("Eval(%q) in %s = %q, want %q", tc.expr, tc.loc, got, tc.want)
		}
	}
}

func TestEvalHourOffsetsAcrossDSTAreRealHours(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	tests := []struct {
		name string
		at   time.Time
		expr string
		want string
	}{
		// 2025-03-09 02:00 EST jumps to 03:00 EDT: one real hour before 03:05 EDT is 01:05 EST.
		{"spring forward hour", time.Date(2025, 3, 9, 3, 5, 0, 0, ny), "$[yyyymmddhh24mi-1/24]", "202503090105"},
		{"spring forward day keeps wall clock", time.Date(2025, 3, 10, 2, 30, 0, 0, ny), "$[yyyymmddhh24mi-1]", "202503090230"},
		// 2025-11-02 02:00 EDT falls back to 01:00 EST: 02:05 EST minus one hour is 01:05 EST.
		{"fall back hour", time.Date(2025, 11, 2, 2, 5, 0, 0, ny), "$[yyyymmddhh24mi-1/24]", "202511020105"},
		{"fall back two hours", time.Date(2025, 11, 2, 2, 5, 0, 0, ny), "$[yyyymmddhh24mi-2/24]", "202511020105"},
		{"fall back three hours", time.Date(2025, 11, 2, 2, 5, 0, 0, ny), "$[yyyymmddhh24mi-3/24]", "202511020005"},
		{"24 hours is one calendar day", time.Date(2025, 11, 3, 0, 5, 0, 0, ny), "$[yyyymmddhh24mi-24/24]", "202511020005"},
		{"business date ignores DST", time.Date(2025, 3, 10, 0, 30, 0, 0, ny), "${yyyymmdd}", "20250309"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Eval(tc.expr, tc.at)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Eval(%q, %v) = %q, want %q", tc.expr, tc.at, got, tc.want)
			}
		})
	}
}

func TestEvalRejectsMalformedExpressions(t *testing.T) {
	at := time.Date(2025, 11, 1, 2, 30, 45, 0, time.UTC)
	tests := []struct{ expr, reason string }{
		{"", "empty"},
		{"$", "want"},
		{"${}", "empty format"},
		{"$[]", "empty format"},
		{"$[add_months(yyyy-mm-dd hh24,-1)]", "unknown token"},
		{"${yyyymmdd", "want"},
		{"$[yyyymmdd", "want"},
		{"yyyymmdd", "want"},
		{"$[yyyymmdd]]", "unknown token"},
		{"${yyyymmdd-}", "sign without a number"},
		{"${yyyymmddhh24}", "day precision"},
		{"${hh24miss}", "day precision"},
		{"${yyyymmdd-1/24}", "unexpected"},
		{"$[yyyymmdd-1/0]", "division by zero"},
		{"$[yyyymmdd-1/7]", "whole number of seconds"},
		{"$[yyyymmdd-1x]", "unexpected"},
		{"$[yyyymmdd-1*]", "needs a number"},
		{"$[yyyyMMdd]", "unknown token"},
		{"$[yyyymmdd hh24]", "unknown token"},
		{"$[yyyy=mm]", "unknown token"},
		{"$[yyy]", "unknown token"},
		{"$[yyyyy]", "unknown token"},
		{"$[hh]", "unknown token"},
		{"$[-1]", "empty format"},
		{"$[--1]", "sign without a number"},
		{"$[:-1]", "no date or time token"},
		{"$[yyyymmdd-99999999999]", "too large"},
		{"$[yyyymmdd-999999999*999999999]", "too large"},
		{"${yyyymmdd-9999999}", "too large"},
		{"$[add_months(yyyymmdd,-1]", "closing"},
		{"$[add_months(yyyymmdd)]", "(format,±N)"},
		{"$[add_months(yyyymmdd,)]", "needs a number"},
		{"$[add_months(yyyymmdd,-1/24)]", "unexpected"},
		{"$[add_months(,1)]", "empty format"},
		{"$foo", "want"},
		{"${foo}", "unknown token"},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			got, err := Eval(tc.expr, at)
			if err == nil {
				t.Fatalf("Eval(%q) = %q, want an error", tc.expr, got)
			}
			var ee *ExprError
			if !errors.As(err, &ee) || ee.Expr != tc.expr {
				t.Errorf("Eval(%q) error %v does not quote the expression", tc.expr, err)
			}
			if !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("Eval(%q) error %q, want it to mention %q", tc.expr, err, tc.reason)
			}
		})
	}
}

func TestCompiledExprMatchesEvalAndAppends(t *testing.T) {
	at := time.Date(2022, 11, 22, 10, 0, 0, 0, time.UTC)
	e, err := Compile("$[yyyymmddhh24mi-8/24/60]")
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Eval(at); got != "202211220952" {
		t.Errorf("Eval = %q", got)
	}
	if got := string(e.AppendEval([]byte("ds="), at)); got != "ds=202211220952" {
		t.Errorf("AppendEval = %q", got)
	}
	if e.String() != "$[yyyymmddhh24mi-8/24/60]" {
		t.Errorf("String = %q", e.String())
	}
}

func TestEvalYearsOutsideFourDigitsStillRender(t *testing.T) {
	tests := []struct {
		at   time.Time
		expr string
		want string
	}{
		{time.Date(9999, 12, 31, 23, 0, 0, 0, time.UTC), "$[yyyymmdd+1]", "100000101"},
		{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), "${yyyy}", "0000"},
		{time.Date(5, 1, 1, 0, 0, 0, 0, time.UTC), "$[yyyy]", "0005"},
	}
	for _, tc := range tests {
		got, err := Eval(tc.expr, tc.at)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("Eval(%q, %v) = %q, want %q", tc.expr, tc.at, got, tc.want)
		}
	}
}

func BenchmarkEval(b *testing.B) {
	at := time.Date(2022, 11, 22, 10, 0, 0, 0, time.UTC)
	b.Run("Eval", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Eval("$[yyyymmddhh24mi-8/24/60]", at); err != nil {
				b.Fatal(err)
			}
		}
	})
	e, err := Compile("$[yyyymmddhh24mi-8/24/60]")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Expr.Eval", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = e.Eval(at)
		}
	})
	b.Run("Expr.AppendEval", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 32)
		for b.Loop() {
			buf = e.AppendEval(buf[:0], at)
		}
	})
	b.Run("add_months", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Eval("$[add_months(yyyymmdd,-1)]", at); err != nil {
				b.Fatal(err)
			}
		}
	})
}
