package job

import (
	"testing"
	"time"
)

// TestRepeatedWallClockEdgesAreSettledOnInstants binds windows whose edges a DST overlap repeats,
// in both job forms: each window is the real span its tick stands for, and consecutive windows
// meet (Europe/Berlin repeats 02:00..03:00 on 2022-10-30; New York skips 02:00..03:00 on 2022-03-13).
func TestRepeatedWallClockEdgesAreSettledOnInstants(t *testing.T) {
	utc := func(mo time.Month, d, h, mi int) time.Time { return time.Date(2022, mo, d, h, mi, 0, 0, time.UTC) }
	hourly := "startTime=$[yyyymmddhh24-1/24]0000 endTime=$[yyyymmddhh24]0000 partition=$[yyyymmddhh24]"
	fiveMin := "startTime=$[yyyymmddhh24mi-8/24/60]00 endTime=$[yyyymmddhh24mi-3/24/60]00 partition=$[yyyymmddhh24mi-8/24/60]"
	daily := "startTime=$[yyyymmdd-1]023000 endTime=$[yyyymmdd]023000 partition=$[yyyymmdd-1]"
	cases := []struct {
		name, zone, cron, params string
		tick, begin, end         time.Time
	}{
		{"hourly, first 02:05", "Europe/Berlin", "0 5 * * * *", hourly, utc(10, 30, 0, 5), utc(10, 29, 23, 0), utc(10, 30, 0, 0)},
		{"hourly, second 02:05", "Europe/Berlin", "0 5 * * * *", hourly, utc(10, 30, 1, 5), utc(10, 30, 0, 0), utc(10, 30, 1, 0)},
		{"hourly, 03:05 after the overlap", "Europe/Berlin", "0 5 * * * *", hourly, utc(10, 30, 2, 5), utc(10, 30, 1, 0), utc(10, 30, 2, 0)},
		{"five minutes across the change", "Europe/Berlin", "0 */5 * * * *", fiveMin, utc(10, 30, 1, 5), utc(10, 30, 0, 57), utc(10, 30, 1, 2)},
		{"five minutes in the second 02:xx", "Europe/Berlin", "0 */5 * * * *", fiveMin, utc(10, 30, 1, 35), utc(10, 30, 1, 27), utc(10, 30, 1, 32)},
		{"five minutes in the first 02:xx", "Europe/Berlin", "0 */5 * * * *", fiveMin, utc(10, 30, 0, 35), utc(10, 30, 0, 27), utc(10, 30, 0, 32)},
		{"daily with repeated edges: 25 hours", "Europe/Berlin", "0 40 2 * * *", daily, utc(10, 31, 1, 40), utc(10, 30, 0, 30), utc(10, 31, 1, 30)},
		{"daily before it: 24 hours", "Europe/Berlin", "0 40 2 * * *", daily, utc(10, 30, 1, 40), utc(10, 29, 0, 30), utc(10, 30, 0, 30)},
		{"hourly after the skipped hour", "America/New_York", "0 5 * * * *", hourly, utc(3, 13, 7, 5), utc(3, 13, 6, 0), utc(3, 13, 7, 0)},
	}
	for _, tc := range cases {
		for format, data := range map[string][]byte{
			"yaml": yamlSpec(t, func(m map[string]any) {
				m["timezone"], m["schedule"], m["parameters"] = tc.zone, tc.cron, tc.params
			}),
			"dataworks": jsonSpec(t, baseDataWorks, func(m map[string]any) {
				m["timezone"], m["schedule"], m["parameters"] = tc.zone, tc.cron, tc.params
			}),
		} {
			t.Run(tc.name+" "+format, func(t *testing.T) {
				s, err := Load(data, "dst")
				if err != nil {
					t.Fatal(err)
				}
				j, err := s.Bind(tc.tick, nil)
				if err != nil {
					t.Fatal(err)
				}
				if b, e := j.Reader.Begin.Time, j.Reader.End.Time; !b.Equal(tc.begin) || !e.Equal(tc.end) {
					t.Errorf("window [%s, %s), want [%s, %s)", b.UTC().Format(time.RFC3339), e.UTC().Format(time.RFC3339), tc.begin.Format(time.RFC3339), tc.end.Format(time.RFC3339))
				}
			})
		}
	}
}
