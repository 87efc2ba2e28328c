package schedule

import (
	"strings"
	"testing"
	"time"
)

// fuzzTime maps fuzz input to a time between 1900 and 2100 in one of three zones.
func fuzzTime(t *testing.T, unix int64, zone uint8) time.Time {
	const span = 200 * 366 * 86400
	sec := unix % span
	if sec < 0 {
		sec += span
	}
	locs := []string{"UTC", "Asia/Shanghai", "America/New_York"}
	return time.Unix(sec-70*366*86400, 0).In(mustLoc(t, locs[int(zone)%len(locs)]))
}

func FuzzEval(f *testing.F) {
	for _, e := range []string{"${yyyymmdd}", "${yyyy-mm-dd}", "${yyyymmdd-7}", "${yyyymmdd-7*2}", "${yyyymm-1}",
		"${yyyy-1}", "$[yyyymmddhh24miss]", "$[yyyymmdd-1]", "$[hh24miss-1/24/60]", "$[yyyymmddhh24mi-8/24/60]",
		"$[yyyymmddhh24-3/24]", "$[add_months(yyyymmdd,-1)]", "$[add_months(yyyymmdd,-12)]", "$bizdate",
		"$cyctime", "$gmtdate", "$bizmonth", "$[yyyymmdd-1/7]", "${", "$[", "", "$[add_months(", "$[-1]"} {
		f.Add(e, int64(1667095200), uint8(1))
	}
	f.Fuzz(func(t *testing.T, expr string, unix int64, zone uint8) {
		at := fuzzTime(t, unix, zone)
		got, err := Eval(expr, at)
		if err != nil {
			if !strings.Contains(err.Error(), "schedule:") {
				t.Fatalf("Eval(%q) error %q lacks the package prefix", expr, err)
			}
			return
		}
		e, err := Compile(expr)
		if err != nil {
			t.Fatalf("Eval(%q) succeeded but Compile failed: %v", expr, err)
		}
		if again := e.Eval(at); again != got {
			t.Fatalf("Eval(%q) = %q but Expr.Eval = %q", expr, got, again)
		}
		if strings.ContainsAny(got, "$[]{}") {
			t.Fatalf("Eval(%q) = %q still holds syntax", expr, got)
		}
	})
}

func FuzzParseCron(f *testing.F) {
	for _, s := range []string{"0 0 4 * * *", "0 */5 * * * *", "0 15 0 ? * MON", "0 0 0 29 2 ?", "@every 5m",
		"@every 1h30m", "CRON_TZ=Asia/Shanghai 0 0 4 * * *", "0 0 0 13 * FRI", "5-1 * * * * *", "@daily",
		"0 0 0 30 2 *", "*/0 * * * * *", "1,2,3-9/2 * * * jan-mar sun-sat"} {
		f.Add(s, int64(1667095200), uint8(0))
	}
	f.Fuzz(func(t *testing.T, spec string, unix int64, zone uint8) {
		c, err := ParseCron(spec)
		if err != nil {
			return
		}
		at := fuzzTime(t, unix, zone)
		n := c.Next(at)
		if !n.IsZero() && !n.After(at) {
			t.Fatalf("%q Next(%v) = %v, not after", spec, at, n)
		}
		p := c.Prev(at)
		if p.After(at) {
			t.Fatalf("%q Prev(%v) = %v, after", spec, at, p)
		}
		if !n.IsZero() && !p.IsZero() && !c.Next(p).Equal(n) {
			t.Fatalf("%q at %v: Next(Prev) = %v, Next = %v", spec, at, c.Next(p), n)
		}
	})
}

func FuzzExpand(f *testing.F) {
	for _, s := range []string{"", "plain", "ds=${partition}", "$[yyyymmddhh24mi-8/24/60]00", "${unknown}",
		"$$${x}", "$bizdate-$cyctime", "${", "$[", "$", "${a${b}}", `{"t":"${startTime}"}`} {
		f.Add(s, int64(1669082400))
	}
	vars := map[string]string{"partition": "202211220952", "startTime": "20221122095200"}
	f.Fuzz(func(t *testing.T, text string, unix int64) {
		at := fuzzTime(t, unix, 1)
		got, err := Expand(text, vars, at)
		if err != nil {
			return
		}
		if !strings.Contains(text, "$") && got != text {
			t.Fatalf("Expand(%q) = %q changed text without $", text, got)
		}
		tpl, err := CompileTemplate(text)
		if err != nil {
			t.Fatalf("Expand(%q) succeeded but CompileTemplate failed: %v", text, err)
		}
		if again, err := tpl.Expand(vars, at); err != nil || again != got {
			t.Fatalf("Expand(%q) = %q, Template.Expand = %q, %v", text, got, again, err)
		}
	})
}
