package job

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

var shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// boundCases are the testdata jobs and the scheduled time each is bound at: the example times of
// "DataWorks: Synchronize incremental data from Kafka to MaxCompute"
// (10:00 for the 5-minute job, 10:05 for hourly, 00:05 for daily, weekly and monthly).
var boundCases = []struct {
	file string
	at   time.Time
}{
	{"incremental_5min.yaml", time.Date(2022, 11, 22, 10, 0, 0, 0, shanghai)},
	{"incremental_hourly.yaml", time.Date(2022, 11, 22, 10, 5, 0, 0, shanghai)},
	{"incremental_daily.yaml", time.Date(2022, 11, 22, 0, 5, 0, 0, shanghai)},
	{"incremental_weekly.yaml", time.Date(2022, 11, 22, 0, 5, 0, 0, shanghai)},
	{"incremental_monthly.yaml", time.Date(2022, 11, 22, 0, 5, 0, 0, shanghai)},
	{"orders.yaml", time.Date(2022, 11, 22, 10, 5, 0, 0, shanghai)},
	{"orders_dataworks.json", time.Date(2022, 11, 22, 10, 5, 0, 0, shanghai)},
	{"orders_datax.json", time.Date(2022, 11, 22, 10, 5, 0, 0, shanghai)},
}

func bindFile(t *testing.T, file string, at time.Time) *Job {
	t.Helper()
	s, err := LoadFile(filepath.Join("testdata", "jobs", file))
	if err != nil {
		t.Fatalf("LoadFile(%s): %v", file, err)
	}
	j, err := s.Bind(at, nil)
	if err != nil {
		t.Fatalf("Bind(%s, %s): %v", file, at.Format(time.RFC3339), err)
	}
	return j
}

func TestBoundJobsMatchGolden(t *testing.T) {
	for _, tc := range boundCases {
		t.Run(tc.file, func(t *testing.T) {
			got := render(bindFile(t, tc.file, tc.at))
			name := strings.TrimSuffix(tc.file, filepath.Ext(tc.file))
			golden := filepath.Join("testdata", "golden", name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("bound job differs from %s (run go test -update after checking the change)\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}

func TestEveryTestdataJobHasABindCase(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "jobs", "*"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, tc := range boundCases {
		listed[tc.file] = true
	}
	if len(files) != len(listed) {
		t.Errorf("testdata/jobs holds %d files, boundCases lists %d", len(files), len(listed))
	}
	for _, f := range files {
		if !listed[filepath.Base(f)] {
			t.Errorf("%s has no entry in boundCases (and so no golden)", f)
		}
	}
}

// TestScheduledWindowsMatchTheDataWorksTable checks the windows and partitions against the
// table of "DataWorks: Synchronize incremental data from Kafka to MaxCompute" directly, so a
// golden regenerated with a wrong window cannot pass unnoticed.
func TestScheduledWindowsMatchTheDataWorksTable(t *testing.T) {
	at := func(d, h, m int) time.Time { return time.Date(2022, 11, d, h, m, 0, 0, shanghai) }
	tests := []struct {
		file       string
		at         time.Time
		begin, end time.Time
		partition  string
	}{
		{"incremental_5min.yaml", at(22, 10, 0), at(22, 9, 52), at(22, 9, 57), "ds=202211220952"},
		{"incremental_hourly.yaml", at(22, 10, 5), at(22, 9, 0), at(22, 10, 0), "ds=2022112210"},
		{"incremental_daily.yaml", at(22, 0, 5), at(21, 0, 0), at(22, 0, 0), "ds=20221121"},
		{"incremental_weekly.yaml", at(22, 0, 5), at(15, 0, 0), at(22, 0, 0), "ds=20221121"},
		{"incremental_monthly.yaml", at(22, 0, 5), time.Date(2022, 10, 22, 0, 0, 0, 0, shanghai), at(22, 0, 0), "ds=20221121,src=kafka"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			j := bindFile(t, tc.file, tc.at)
			if j.Reader.Begin.Kind != PosTime || !j.Reader.Begin.Time.Equal(tc.begin) {
				t.Errorf("begin = %v %v, want time %v", j.Reader.Begin.Kind, j.Reader.Begin.Time, tc.begin)
			}
			if j.Reader.End.Kind != PosTime || !j.Reader.End.Time.Equal(tc.end) {
				t.Errorf("end = %v %v, want time %v", j.Reader.End.Kind, j.Reader.End.Time, tc.end)
			}
			if got := j.Writer.Partition.String(); got != tc.partition {
				t.Errorf("partition = %q, want %q", got, tc.partition)
			}
		})
	}
}

// TestSameJobInThreeFormatsBindsAlike loads one job written as fcsync YAML, DataWorks script mode
// (string-typed booleans and numbers) and classic DataX, and requires identical bindings.
func TestSameJobInThreeFormatsBindsAlike(t *testing.T) {
	at := time.Date(2022, 11, 22, 10, 5, 0, 0, shanghai)
	files := []struct {
		file   string
		format Format
	}{
		{"orders.yaml", FormatYAML},
		{"orders_dataworks.json", FormatDataWorks},
		{"orders_datax.json", FormatDataX},
	}
	jobs := make([]*Job, len(files))
	for i, f := range files {
		jobs[i] = bindFile(t, f.file, at)
		if jobs[i].Spec.Format != f.format {
			t.Errorf("%s: format %q, want %q", f.file, jobs[i].Spec.Format, f.format)
		}
	}
	ref := jobs[0]
	// The reference itself must carry what the formats are meant to agree on, so equality is not vacuous.
	if ref.Reader.GroupID != "fcsync_orders" || len(ref.Reader.Columns) != 10 || ref.Setting.Concurrent != 2 ||
		ref.Setting.ErrorRecord == nil || ref.Setting.ErrorPercentage == nil || !ref.Writer.Truncate ||
		ref.Reader.KafkaConfig["session.timeout.ms"] != "30000" {
		t.Fatalf("reference binding lacks the fields under comparison:\n%s", render(ref))
	}
	for i, j := range jobs[1:] {
		name := files[i+1].file
		if !reflect.DeepEqual(j.Reader, ref.Reader) {
			t.Errorf("%s: reader differs from orders.yaml\n got %+v\nwant %+v", name, j.Reader, ref.Reader)
		}
		if !reflect.DeepEqual(j.Writer, ref.Writer) {
			t.Errorf("%s: writer differs from orders.yaml\n got %+v\nwant %+v", name, j.Writer, ref.Writer)
		}
		if !reflect.DeepEqual(j.Setting, ref.Setting) {
			t.Errorf("%s: setting differs from orders.yaml\n got %s\nwant %s", name, renderSetting(j.Setting), renderSetting(ref.Setting))
		}
		if !reflect.DeepEqual(j.Vars, ref.Vars) {
			t.Errorf("%s: vars %v, want %v", name, j.Vars, ref.Vars)
		}
	}
}

// TestOverridesReplaceParameters: a rerun may pass parameter values that are taken literally.
func TestOverridesReplaceParameters(t *testing.T) {
	s, err := LoadFile(filepath.Join("testdata", "jobs", "incremental_hourly.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	j, err := s.Bind(time.Date(2022, 11, 22, 10, 5, 0, 0, shanghai), map[string]string{"partition": "2022112200"})
	if err != nil {
		t.Fatal(err)
	}
	if got := j.Writer.Partition.String(); got != "ds=2022112200" {
		t.Errorf("partition = %q, want ds=2022112200", got)
	}
	if got := j.Reader.Begin.Time; !got.Equal(time.Date(2022, 11, 22, 9, 0, 0, 0, shanghai)) {
		t.Errorf("begin = %v, want 09:00 (not overridden)", got)
	}
}

func render(j *Job) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	s := j.Spec
	p("job %s", s.Name)
	p("format %s", s.Format)
	p("location %s", s.Location)
	p("schedule %q", s.CronSpec)
	p("late %s", s.Late)
	p("retry %d every %s", s.Retry.Attempts, s.Retry.Interval)
	p("at %s", j.At.Format(time.RFC3339))
	p("vars")
	for _, k := range sortedStrings(j.Vars) {
		p("  %s=%s", k, j.Vars[k])
	}
	r := j.Reader
	p("reader kafka")
	p("  datasource %q", r.Datasource)
	p("  servers %q", r.Servers)
	p("  topic %q", r.Topic)
	if r.Partition != nil {
		p("  partition %d", *r.Partition)
	} else {
		p("  partition all")
	}
	p("  groupId %q", r.GroupID)
	for _, k := range sortedStrings(r.KafkaConfig) {
		p("  kafkaConfig %s=%q", k, r.KafkaConfig[k])
	}
	p("  columns %q", r.Columns)
	p("  keyType %q valueType %q encoding %q", r.KeyType, r.ValueType, r.Encoding)
	p("  begin %s", renderPos(r.Begin))
	p("  end %s", renderPos(r.End))
	p("  skipExceedRecord %t includeExceed %t stopWhenPollEmpty %t waitTime %s", r.SkipExceedRecord, r.IncludeExceed, r.StopWhenPollEmpty, r.WaitTime)
	w := j.Writer
	p("writer odps")
	p("  datasource %q project %q", w.Datasource, w.Project)
	p("  odpsServer %q tunnelServer %q", w.OdpsServer, w.TunnelServer)
	p("  partition %q", w.Partition.String())
	p("  columns %q", w.Columns)
	p("  truncate %t emptyAsNull %t compress %t consistencyCommit %t", w.Truncate, w.EmptyAsNull, w.Compress, w.ConsistencyCommit)
	p("  table %s lifecycle %d", w.Table.Name, w.Table.Lifecycle)
	for _, c := range w.Table.Columns {
		p("    column %s %s %q", c.Name, c.Type, c.Comment)
	}
	for _, c := range w.Table.Partitions {
		p("    partitioned by %s %s", c.Name, c.Type)
	}
	p("setting %s", renderSetting(j.Setting))
	return b.String()
}

func renderPos(pos Position) string {
	switch pos.Kind {
	case PosNone:
		return "none"
	case PosTime:
		return "time " + pos.Time.Format(time.RFC3339)
	case PosOffset:
		return fmt.Sprintf("offset %d", pos.Offset)
	case PosBeginning:
		return "seekToBeginning"
	case PosLast:
		return "seekToLast"
	case PosEnd:
		return "seekToEnd"
	}
	return fmt.Sprintf("kind(%d)", pos.Kind)
}

func renderSetting(s Setting) string {
	rec, pct := "-", "-"
	if s.ErrorRecord != nil {
		rec = fmt.Sprint(*s.ErrorRecord)
	}
	if s.ErrorPercentage != nil {
		pct = fmt.Sprint(*s.ErrorPercentage)
	}
	return fmt.Sprintf("errorLimit.record %s errorLimit.percentage %s concurrent %d bytesPerSecond %g recordsPerSecond %g",
		rec, pct, s.Concurrent, s.BytesPerSecond, s.RecordsPerSec)
}

func sortedStrings(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestCadenceOfAJobWithoutScheduleFollowsTheCalendar: without a schedule a monthly
// add_months window steps by calendar months (clamped to the month end), a daily one by
// calendar days, a 5-minute one by its duration; and both forms of the job load.
func TestCadenceOfAJobWithoutScheduleFollowsTheCalendar(t *testing.T) {
	cases := []struct {
		name, params string
		at           time.Time
		want         Cadence
		prev, next   time.Time
	}{
		{"monthly", "startTime=$[add_months(yyyymmdd,-1)]000000 endTime=$[yyyymmdd]000000 partition=$[yyyymmdd-1]",
			time.Date(2022, 3, 31, 0, 15, 0, 0, shanghai), Cadence{Months: 1},
			time.Date(2022, 2, 28, 0, 15, 0, 0, shanghai), time.Date(2022, 4, 30, 0, 15, 0, 0, shanghai)},
		{"daily", "startTime=$[yyyymmdd-1]000000 endTime=$[yyyymmdd]000000 partition=$[yyyymmdd-1]",
			time.Date(2022, 11, 22, 0, 5, 0, 0, shanghai), Cadence{Days: 1},
			time.Date(2022, 11, 21, 0, 5, 0, 0, shanghai), time.Date(2022, 11, 23, 0, 5, 0, 0, shanghai)},
		{"five minutes", "startTime=$[yyyymmddhh24mi-8/24/60]00 endTime=$[yyyymmddhh24mi-3/24/60]00 partition=$[yyyymmddhh24mi-8/24/60]",
			time.Date(2022, 11, 22, 10, 5, 0, 0, shanghai), Cadence{Every: 5 * time.Minute},
			time.Date(2022, 11, 22, 10, 0, 0, 0, shanghai), time.Date(2022, 11, 22, 10, 10, 0, 0, shanghai)},
	}
	for _, tc := range cases {
		for format, data := range map[string][]byte{
			"yaml":      yamlSpec(t, func(m map[string]any) { m["parameters"] = tc.params }),
			"dataworks": jsonSpec(t, baseDataWorks, func(m map[string]any) { m["parameters"] = tc.params }),
		} {
			t.Run(tc.name+" "+format, func(t *testing.T) {
				s, err := Load(data, "cadence")
				if err != nil {
					t.Fatal(err)
				}
				j, err := s.Bind(tc.at, nil)
				if err != nil {
					t.Fatal(err)
				}
				c, ok := j.Cadence()
				if !ok || c != tc.want {
					t.Fatalf("cadence %+v (%v), want %+v", c, ok, tc.want)
				}
				if got := c.Shift(tc.at, -1); !got.Equal(tc.prev) {
					t.Errorf("tick before %s: %s, want %s", tc.at, got, tc.prev)
				}
				if got := c.Shift(tc.at, 1); !got.Equal(tc.next) {
					t.Errorf("tick after %s: %s, want %s", tc.at, got, tc.next)
				}
			})
		}
	}
}

// TestRegionZoneNamesTheRegionsCityOrSaysWhyNot maps Alibaba Cloud region ids to zones.
func TestRegionZoneNamesTheRegionsCityOrSaysWhyNot(t *testing.T) {
	for _, tc := range []struct{ region, zone, reason string }{
		{"cn-hangzhou", "Asia/Shanghai", "mainland China"},
		{"cn-beijing", "Asia/Shanghai", "mainland China"},
		{"cn-hongkong", "Asia/Hong_Kong", "region cn-hongkong"},
		{"ap-southeast-1", "Asia/Singapore", "region ap-southeast-1"},
		{"ap-northeast-1", "Asia/Tokyo", "region ap-northeast-1"},
		{"eu-central-1", "Europe/Berlin", "region eu-central-1"},
		{"EU-WEST-1", "Europe/London", "region eu-west-1"},
		{"us-west-1", "America/Los_Angeles", "region us-west-1"},
		{"us-east-1", "America/New_York", "region us-east-1"},
		{"xx-moon-1", "Asia/Shanghai", `"xx-moon-1" has no known time zone`},
		{"", "Asia/Shanghai", "FC_REGION is unset"},
	} {
		zone, reason := RegionZone(tc.region)
		if zone != tc.zone || !strings.Contains(reason, tc.reason) {
			t.Errorf("RegionZone(%q) = %s (%s), want %s (%s)", tc.region, zone, reason, tc.zone, tc.reason)
		}
		if _, err := time.LoadLocation(zone); err != nil {
			t.Errorf("RegionZone(%q): %v", tc.region, err)
		}
	}
	for _, z := range regionZones {
		if _, err := time.LoadLocation(z); err != nil {
			t.Errorf("zone %s: %v", z, err)
		}
	}
	// The default zone applies to jobs that name none, in either form; a job's own wins.
	for format, data := range map[string][]byte{
		"yaml":      yamlSpec(t, func(m map[string]any) { delete(m, "timezone") }),
		"dataworks": jsonSpec(t, baseDataWorks, func(m map[string]any) {}),
	} {
		s, err := LoadIn(data, "zoned", "Europe/Berlin")
		if err != nil || s.Location.String() != "Europe/Berlin" {
			t.Errorf("%s without timezone: %v, %v; want Europe/Berlin", format, s, err)
		}
	}
	if s, err := LoadIn(yamlSpec(t, func(m map[string]any) {}), "zoned", "Europe/Berlin"); err != nil || s.Location.String() != "Asia/Shanghai" {
		t.Errorf("job naming Asia/Shanghai: %v, %v", s, err)
	}
}
