package schedule

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

func mustCron(t testing.TB, spec string) *Cron {
	t.Helper()
	c, err := ParseCron(spec)
	if err != nil {
		t.Fatalf("ParseCron(%q): %v", spec, err)
	}
	return c
}

func utc(y int, mo time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
}

func TestCronNextIsStrictlyAfterAndPrevIsAtOrBefore(t *testing.T) {
	tests := []struct {
		spec       string
		at         time.Time
		next, prev time.Time
	}{
		{"0 0 4 * * *", utc(2025, 1, 31, 5, 0, 0), utc(2025, 2, 1, 4, 0, 0), utc(2025, 1, 31, 4, 0, 0)},
		{"0 0 4 * * *", utc(2025, 1, 31, 4, 0, 0), utc(2025, 2, 1, 4, 0, 0), utc(2025, 1, 31, 4, 0, 0)},
		{"0 */5 * * * *", utc(2025, 1, 1, 10, 2, 30), utc(2025, 1, 1, 10, 5, 0), utc(2025, 1, 1, 10, 0, 0)},
		{"0 */5 * * * *", utc(2025, 1, 1, 10, 5, 0), utc(2025, 1, 1, 10, 10, 0), utc(2025, 1, 1, 10, 5, 0)},
		{"0 */5 * * * *", utc(2025, 12, 31, 23, 58, 0), utc(2026, 1, 1, 0, 0, 0), utc(2025, 12, 31, 23, 55, 0)},
		{"0 15 0 1 * *", utc(2024, 12, 31, 23, 0, 0), utc(2025, 1, 1, 0, 15, 0), utc(2024, 12, 1, 0, 15, 0)},
		{"0 0 0 31 * *", utc(2025, 1, 31, 0, 0, 0), utc(2025, 3, 31, 0, 0, 0), utc(2025, 1, 31, 0, 0, 0)},
		{"0 0 0 31 * *", utc(2025, 4, 30, 0, 0, 0), utc(2025, 5, 31, 0, 0, 0), utc(2025, 3, 31, 0, 0, 0)},
		{"0 0 0 29 2 ?", utc(2025, 3, 1, 0, 0, 0), utc(2028, 2, 29, 0, 0, 0), utc(2024, 2, 29, 0, 0, 0)},
		{"0 15 0 ? * MON", utc(2025, 11, 22, 12, 0, 0), utc(2025, 11, 24, 0, 15, 0), utc(2025, 11, 17, 0, 15, 0)},
		{"0 0 9 * * 1-5", utc(2025, 11, 21, 10, 0, 0), utc(2025, 11, 24, 9, 0, 0), utc(2025, 11, 21, 9, 0, 0)},
		{"0 0 9 * * sun,7", utc(2025, 11, 21, 10, 0, 0), utc(2025, 11, 23, 9, 0, 0), utc(2025, 11, 16, 9, 0, 0)},
		// Both day fields restricted: either matches (13th, or a Friday).
		{"0 0 0 13 * FRI", utc(2025, 11, 8, 0, 0, 0), utc(2025, 11, 13, 0, 0, 0), utc(2025, 11, 7, 0, 0, 0)},
		{"0 0 0 1 jan,Jul *", utc(2025, 3, 1, 0, 0, 0), utc(2025, 7, 1, 0, 0, 0), utc(2025, 1, 1, 0, 0, 0)},
		{"10-20/5 0 0 * * *", utc(2025, 3, 1, 0, 0, 12), utc(2025, 3, 1, 0, 0, 15), utc(2025, 3, 1, 0, 0, 10)},
		{"5/20 * * * * *", utc(2025, 3, 1, 0, 0, 46), utc(2025, 3, 1, 0, 1, 5), utc(2025, 3, 1, 0, 0, 45)},
		{"0 0 12 1,15 * *", utc(2025, 2, 16, 0, 0, 0), utc(2025, 3, 1, 12, 0, 0), utc(2025, 2, 15, 12, 0, 0)},
		{"@daily", utc(2025, 2, 28, 0, 0, 1), utc(2025, 3, 1, 0, 0, 0), utc(2025, 2, 28, 0, 0, 0)},
		{"@hourly", utc(2025, 2, 28, 23, 59, 59), utc(2025, 3, 1, 0, 0, 0), utc(2025, 2, 28, 23, 0, 0)},
		{"@every 5m", utc(2025, 1, 1, 10, 2, 30), utc(2025, 1, 1, 10, 5, 0), utc(2025, 1, 1, 10, 0, 0)},
		{"@every 5m", utc(2025, 1, 1, 10, 5, 0), utc(2025, 1, 1, 10, 10, 0), utc(2025, 1, 1, 10, 5, 0)},
		{"@every 1h30m", utc(1970, 1, 1, 0, 0, 0), utc(1970, 1, 1, 1, 30, 0), utc(1970, 1, 1, 0, 0, 0)},
		{"@every 1h30m", utc(1969, 12, 31, 23, 0, 0), utc(1970, 1, 1, 0, 0, 0), utc(1969, 12, 31, 22, 30, 0)},
	}
	for _, tc := range tests {
		c := mustCron(t, tc.spec)
		if got := c.Next(tc.at); !got.Equal(tc.next) {
			t.Errorf("%q Next(%v) = %v, want %v", tc.spec, tc.at, got, tc.next)
		}
		if got := c.Prev(tc.at); !got.Equal(tc.prev) {
			t.Errorf("%q Prev(%v) = %v, want %v", tc.spec, tc.at, got, tc.prev)
		}
		// Sub-second parts: the tick at prev is at or before prev+0.5s and after prev-0.5s.
		if got := c.Prev(tc.prev.Add(500 * time.Millisecond)); !got.Equal(tc.prev) {
			t.Errorf("%q Prev(%v+0.5s) = %v, want %v", tc.spec, tc.prev, got, tc.prev)
		}
		if got := c.Next(tc.prev.Add(-500 * time.Millisecond)); !got.Equal(tc.prev) {
			t.Errorf("%q Next(%v-0.5s) = %v, want %v", tc.spec, tc.prev, got, tc.prev)
		}
	}
}

func TestCronEveryIsAnchoredAtTheUnixEpoch(t *testing.T) {
	c := mustCron(t, "@every 7m")
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		at := time.Unix(rng.Int64N(4e9), rng.Int64N(1e9))
		n := c.Next(at)
		if n.Unix()%420 != 0 || !n.After(at) || n.Sub(at) > 7*time.Minute {
			t.Fatalf("Next(%v) = %v, not the next multiple of 7m since the epoch", at, n)
		}
		p := c.Prev(at)
		if p.Unix()%420 != 0 || p.After(at) || at.Sub(p) >= 7*time.Minute {
			t.Fatalf("Prev(%v) = %v, not the latest multiple of 7m since the epoch", at, p)
		}
	}
}

func TestCronEvaluatesInTheLocationOfTheTimeOrCronTZ(t *testing.T) {
	shanghai := mustLoc(t, "Asia/Shanghai")
	at := utc(2025, 1, 1, 0, 0, 0)
	daily := mustCron(t, "0 0 4 * * *")
	if got, want := daily.Next(at), utc(2025, 1, 1, 4, 0, 0); !got.Equal(want) {
		t.Errorf("UTC Next = %v, want %v", got, want)
	}
	got := daily.Next(at.In(shanghai))
	if want := utc(2025, 1, 1, 20, 0, 0); !got.Equal(want) || got.Location() != shanghai {
		t.Errorf("Shanghai Next = %v, want %v in Asia/Shanghai", got, want)
	}
	tz := mustCron(t, "CRON_TZ=Asia/Shanghai 0 0 4 * * *")
	got = tz.Next(at)
	if want := utc(2025, 1, 1, 20, 0, 0); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("CRON_TZ Next = %v, want %v in UTC", got, want)
	}
	if got, want := tz.Prev(at), utc(2024, 12, 31, 20, 0, 0); !got.Equal(want) {
		t.Errorf("CRON_TZ Prev = %v, want %v", got, want)
	}
	if tz.String() != "CRON_TZ=Asia/Shanghai 0 0 4 * * *" {
		t.Errorf("String = %q", tz.String())
	}
}

func TestCronAcrossDSTSkipsMissingTimesAndFiresRepeatedOnesInEachRealHour(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	at := func(mo time.Month, d, h, mi int, zone string) time.Time {
		t.Helper()
		v := time.Date(2025, mo, d, h, mi, 0, 0, ny)
		if name, _ := v.Zone(); name != zone {
			// the second 01:xx on fall-back day is EST, one hour after the EDT one
			v = v.Add(time.Hour)
			if name, _ := v.Zone(); name != zone || v.Hour() != h {
				t.Fatalf("cannot build %v %s", v, zone)
			}
		}
		return v
	}
	daily230 := mustCron(t, "0 30 2 * * *")
	if got, want := daily230.Next(at(3, 8, 3, 0, "EST")), at(3, 10, 2, 30, "EDT"); !got.Equal(want) {
		t.Errorf("02:30 daily across spring forward: Next = %v, want %v", got, want)
	}
	daily130 := mustCron(t, "0 30 1 * * *")
	if got, want := daily130.Next(at(11, 2, 1, 30, "EDT")), at(11, 3, 1, 30, "EST"); !got.Equal(want) {
		t.Errorf("01:30 daily across fall back: Next = %v, want %v", got, want)
	}
	if got, want := daily130.Prev(at(11, 2, 1, 45, "EST")), at(11, 2, 1, 30, "EDT"); !got.Equal(want) {
		t.Errorf("01:30 daily Prev in the repeated hour = %v, want %v", got, want)
	}
	minutely := mustCron(t, "0 * * * * *")
	// A cron that fires every hour fires in both real hours of the overlap.
	if got, want := minutely.Prev(at(11, 2, 1, 10, "EST")), at(11, 2, 1, 10, "EST"); !got.Equal(want) {
		t.Errorf("minutely Prev in the repeated hour = %v, want %v", got, want)
	}
	hourly := mustCron(t, "0 0 * * * *")
	got := hourly.Between(at(11, 2, 0, 0, "EDT"), at(11, 2, 3, 0, "EST"))
	want := []time.Time{at(11, 2, 0, 0, "EDT"), at(11, 2, 1, 0, "EDT"), at(11, 2, 1, 0, "EST"), at(11, 2, 2, 0, "EST"), at(11, 2, 3, 0, "EST")}
	if !slices.EqualFunc(got, want, time.Time.Equal) {
		t.Errorf("hourly Between across fall back = %v, want %v", got, want)
	}
	got = hourly.Between(at(3, 9, 0, 0, "EST"), at(3, 9, 4, 0, "EDT"))
	want = []time.Time{at(3, 9, 0, 0, "EST"), at(3, 9, 1, 0, "EST"), at(3, 9, 3, 0, "EDT"), at(3, 9, 4, 0, "EDT")}
	if !slices.EqualFunc(got, want, time.Time.Equal) {
		t.Errorf("hourly Between across spring forward = %v, want %v", got, want)
	}
}

func TestCronBetweenIsInclusiveAndCapped(t *testing.T) {
	daily := mustCron(t, "0 0 0 * * *")
	got := daily.Between(utc(2025, 1, 30, 0, 0, 0), utc(2025, 2, 2, 0, 0, 0))
	want := []time.Time{utc(2025, 1, 30, 0, 0, 0), utc(2025, 1, 31, 0, 0, 0), utc(2025, 2, 1, 0, 0, 0), utc(2025, 2, 2, 0, 0, 0)}
	if !slices.EqualFunc(got, want, time.Time.Equal) {
		t.Errorf("Between = %v, want %v", got, want)
	}
	if got := daily.Between(utc(2025, 2, 2, 0, 0, 0), utc(2025, 1, 30, 0, 0, 0)); got != nil {
		t.Errorf("Between with to before from = %v, want nil", got)
	}
	if got := daily.Between(utc(2025, 1, 30, 0, 0, 1), utc(2025, 1, 30, 23, 0, 0)); len(got) != 0 {
		t.Errorf("Between without ticks = %v", got)
	}
	every := mustCron(t, "* * * * * *")
	ticks, truncated := every.BetweenLimit(utc(2025, 1, 1, 0, 0, 0), utc(2025, 1, 1, 1, 0, 0), 10)
	if len(ticks) != 10 || !truncated || !ticks[9].Equal(utc(2025, 1, 1, 0, 0, 9)) {
		t.Errorf("BetweenLimit(10) = %d ticks (last %v), truncated %v", len(ticks), ticks[len(ticks)-1], truncated)
	}
	ticks, truncated = every.BetweenLimit(utc(2025, 1, 1, 0, 0, 0), utc(2025, 1, 1, 0, 0, 9), 10)
	if len(ticks) != 10 || truncated {
		t.Errorf("BetweenLimit exactly 10 = %d ticks, truncated %v", len(ticks), truncated)
	}
	if got := every.Between(utc(2025, 1, 1, 0, 0, 0), utc(2025, 1, 3, 0, 0, 0)); len(got) != MaxTicks {
		t.Errorf("Between of 2 days of seconds = %d ticks, want the cap %d", len(got), MaxTicks)
	}
}

func TestCronNextAndPrevAgreeOnRandomTimes(t *testing.T) {
	specs := []string{"0 0 4 * * *", "0 */5 * * * *", "0 15 0 1 * *", "0 0 0 31 * *", "0 15 0 ? * MON",
		"7 3-59/17 1,13 * 2-11 *", "0 0 0 29 2 *", "0 0 0 13 * FRI", "@every 1h30m"}
	locs := []*time.Location{time.UTC, mustLoc(t, "Asia/Shanghai"), mustLoc(t, "America/New_York")}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, spec := range specs {
		c := mustCron(t, spec)
		for range 100 {
			at := time.Unix(rng.Int64N(2e9), rng.Int64N(1e9)).In(locs[rng.IntN(len(locs))])
			n := c.Next(at)
			if !n.After(at) {
				t.Fatalf("%q Next(%v) = %v, not after", spec, at, n)
			}
			if p := c.Prev(n); !p.Equal(n) {
				t.Fatalf("%q Prev(Next(%v)) = %v, want %v", spec, at, p, n)
			}
			p := c.Prev(at)
			if p.After(at) || !c.Next(p).Equal(n) {
				t.Fatalf("%q at %v: Prev %v, Next(Prev) %v, Next %v", spec, at, p, c.Next(p), n)
			}
		}
	}
}

func TestParseCronRejectsBadSpecs(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"", "empty"},
		{"   ", "empty"},
		{"0 0 4 * *", "want 6 fields"},
		{"0 0 4 * * * 2025", "want 6 fields"},
		{"60 * * * * *", "second 60 is outside 0-59"},
		{"* 60 * * * *", "minute 60"},
		{"* * 24 * * *", "hour 24"},
		{"* * * 0 * *", "day of month 0"},
		{"* * * 32 * *", "day of month 32"},
		{"* * * * 13 *", "month 13"},
		{"* * * * 0 *", "month 0"},
		{"* * * * * 8", "day of week 8"},
		{"? * * * * *", "second \"?\""},
		{"*/0 * * * * *", "step \"0\""},
		{"*/x * * * * *", "step \"x\""},
		{"*/61 * * * * *", "step \"61\""},
		{"5-1 * * * * *", "runs backwards"},
		{"a-b * * * * *", "not a number"},
		{"-1 * * * * *", "not a number"},
		{"1, * * * * *", "not a number"},
		{"0 0 0 L * *", "not a number"},
		{"0 0 0 ? * 1#2", "not a number"},
		{"0 0 0 * foo *", "not a number"},
		{"0 0 0 30 2 *", "never fires"},
		{"0 0 0 31 4,6,9,11 *", "never fires"},
		{"@every", "@every needs a duration"},
		{"@every5m", "@every needs a duration"},
		{"@every 0s", "at least 1s"},
		{"@every -5m", "at least 1s"},
		{"@every 1500ms", "whole seconds"},
		{"@every soon", "@every needs a duration"},
		{"@sometimes", "unknown shorthand"},
		{"CRON_TZ=Nowhere/Atlantis 0 0 4 * * *", "unknown time zone"},
		{"CRON_TZ= 0 0 4 * * *", "unknown time zone"},
	}
	for _, tc := range tests {
		_, err := ParseCron(tc.spec)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseCron(%q) error = %v, want it to mention %q", tc.spec, err, tc.want)
		}
	}
}

func BenchmarkCronNext(b *testing.B) {
	c := mustCron(b, "0 */5 * * * *")
	at := utc(2025, 1, 1, 10, 2, 30)
	b.ReportAllocs()
	for b.Loop() {
		_ = c.Next(at)
	}
}
