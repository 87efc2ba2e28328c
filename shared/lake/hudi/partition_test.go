package hudi

import (
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schema"
)

func TestPartitionPaths(t *testing.T) {
	cols := []schema.Column{
		{Name: "id", Type: schema.BigInt},
		{Name: "country", Type: schema.String},
		{Name: "n", Type: schema.Int},
		{Name: "ok", Type: schema.Boolean},
		{Name: "day", Type: schema.Date},
		{Name: "ts", Type: schema.Timestamp},
	}
	at := time.Date(2024, 2, 29, 23, 59, 58, 0, time.FixedZone("+8", 8*3600)) // 15:59:58 UTC
	byCountry := Partitioning{Fields: []string{"country"}}
	hive := Partitioning{Fields: []string{"country", "n", "ok", "day"}, HiveStyle: true}
	tests := []struct {
		name    string
		p       Partitioning
		row     schema.Row
		want    string
		wantErr string
	}{
		{"none", Partitioning{}, schema.Row{int64(1), "us"}, "", ""},
		{"plain value", byCountry, schema.Row{int64(1), "us"}, "us", ""},
		{"hive style levels", hive, schema.Row{int64(1), "us", int64(-3), true, at}, "country=us/n=-3/ok=true/day=2024-02-29", ""},
		{"null is the default partition", byCountry, schema.Row{int64(1), nil}, DefaultPartition, ""},
		{"short row is null", byCountry, schema.Row{int64(1)}, DefaultPartition, ""},
		{"empty is the default partition", hive, schema.Row{int64(1), "", nil, nil, nil}, "country=__HIVE_DEFAULT_PARTITION__/n=__HIVE_DEFAULT_PARTITION__/ok=__HIVE_DEFAULT_PARTITION__/day=__HIVE_DEFAULT_PARTITION__", ""},
		{"the default partition's name as a value is not NULL", byCountry, schema.Row{int64(1), DefaultPartition}, "%5F_HIVE_DEFAULT_PARTITION__", ""},
		{"dot dot", byCountry, schema.Row{int64(1), ".."}, "%2E%2E", ""},
		{"dot", byCountry, schema.Row{int64(1), "."}, "%2E", ""},
		{"dots inside stay", byCountry, schema.Row{int64(1), "a..b."}, "a..b.", ""},
		{"slash", byCountry, schema.Row{int64(1), "../../etc/passwd"}, "..%2F..%2Fetc%2Fpasswd", ""},
		{"backslash", byCountry, schema.Row{int64(1), `a\b`}, "a%5Cb", ""},
		{"NUL and control characters", byCountry, schema.Row{int64(1), "a\x00b\nc\x7f"}, "a%00b%0Ac%7F", ""},
		{"percent is escaped so escapes cannot collide", byCountry, schema.Row{int64(1), "100%2F"}, "100%252F", ""},
		{"not UTF-8", byCountry, schema.Row{int64(1), "ab\xff\xfe"}, "ab%FF%FE", ""},
		{"equals sign escaped without hive style", byCountry, schema.Row{int64(1), "x=y"}, "x%3Dy", ""},
		{"equals sign stays in hive style", hive, schema.Row{int64(1), "x=y", nil, nil, nil}, "country=x=y/n=__HIVE_DEFAULT_PARTITION__/ok=__HIVE_DEFAULT_PARTITION__/day=__HIVE_DEFAULT_PARTITION__", ""},
		{"unicode and punctuation stay", byCountry, schema.Row{int64(1), "日本 :#?*'\""}, "日本 :#?*'\"", ""},
		{"too long", byCountry, schema.Row{int64(1), strings.Repeat("x", 256)}, "", "longer than 255"},
		{"too long after escaping", byCountry, schema.Row{int64(1), strings.Repeat("/", 90)}, "", "longer than 255"},
		{"year", Partitioning{TimeField: "ts", Granularity: Year}, schema.Row{nil, nil, nil, nil, nil, at}, "2024", ""},
		{"month", Partitioning{TimeField: "ts", Granularity: Month}, schema.Row{nil, nil, nil, nil, nil, at}, "2024/02", ""},
		{"day in UTC", Partitioning{TimeField: "ts", Granularity: Day}, schema.Row{nil, nil, nil, nil, nil, at}, "2024/02/29", ""},
		{"hour in UTC", Partitioning{TimeField: "ts", Granularity: Hour}, schema.Row{nil, nil, nil, nil, nil, at}, "2024/02/29/15", ""},
		{"hour hive style", Partitioning{TimeField: "ts", Granularity: Hour, HiveStyle: true}, schema.Row{nil, nil, nil, nil, nil, at}, "year=2024/month=02/day=29/hour=15", ""},
		{"date column keeps its calendar day", Partitioning{TimeField: "day", Granularity: Day}, schema.Row{nil, nil, nil, nil, at}, "2024/02/29", ""},
		{"null time", Partitioning{TimeField: "ts", Granularity: Hour}, schema.Row{}, DefaultPartition, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Name: "t", Columns: cols, RecordKey: []string{"id"}, Partitioning: tt.p}
			c, err := cfg.normalized()
			if err != nil {
				t.Fatal(err)
			}
			l, err := newLayout(&c, cols)
			if err != nil {
				t.Fatal(err)
			}
			got, err := l.partitionPath(func(i int) any {
				if i < len(tt.row) {
					return tt.row[i]
				}
				return nil
			})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("path = %q, %v; want an error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("path = %q, %v; want %q", got, err, tt.want)
			}
			if got != "" {
				if err := objstore.ValidKey("lake/t/" + got + "/f.parquet"); err != nil {
					t.Errorf("path is not a valid key inside the table: %v", err)
				}
			}
		})
	}
}

func TestRecordKeys(t *testing.T) {
	cols := []schema.Column{{Name: "id", Type: schema.BigInt}, {Name: "name", Type: schema.String}, {Name: "d", Type: schema.Date}, {Name: "ts", Type: schema.Timestamp}}
	at := time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC)
	tests := []struct {
		name    string
		key     []string
		part    []string
		row     schema.Row
		want    string
		wantErr string
	}{
		{"single", []string{"id"}, nil, schema.Row{int64(1), "Alice"}, "1", ""},
		{"single string", []string{"name"}, nil, schema.Row{int64(1), "Alice"}, "Alice", ""},
		{"composite", []string{"id", "name"}, nil, schema.Row{int64(1), "Alice"}, "id:1,name:Alice", ""},
		{"composite with null and empty", []string{"id", "name", "d"}, nil, schema.Row{int64(1), "", nil}, "id:1,name:__empty__,d:__null__", ""},
		{"single key with two partition fields is field:value (ComplexKeyGenerator)", []string{"id"}, []string{"name", "d"}, schema.Row{int64(7), "x", at}, "id:7", ""},
		{"date and timestamp", []string{"d", "ts"}, nil, schema.Row{nil, nil, at, at}, "d:2024-01-02,ts:" + strconv.FormatInt(at.UnixMicro(), 10), ""},
		{"null single key", []string{"id"}, nil, schema.Row{nil, "x"}, "", "record key field id is NULL"},
		{"empty single key", []string{"name"}, nil, schema.Row{int64(1), ""}, "", "record key field name is empty"},
		{"all null composite", []string{"id", "name"}, nil, schema.Row{nil, ""}, "", "all NULL or empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Name: "t", Columns: cols, RecordKey: tt.key, Partitioning: Partitioning{Fields: tt.part}}
			c, err := cfg.normalized()
			if err != nil {
				t.Fatal(err)
			}
			l, err := newLayout(&c, cols)
			if err != nil {
				t.Fatal(err)
			}
			got, err := l.recordKey(func(i int) any {
				if i < len(tt.row) {
					return tt.row[i]
				}
				return nil
			})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("key = %q, %v; want an error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("key = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// decodeSegment reverses encodeSegment's %XX escapes.
func decodeSegment(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+3 > len(s) {
			return "", false
		}
		n, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return "", false
		}
		b.WriteByte(byte(n))
		i += 2
	}
	return b.String(), true
}

// FuzzPartitionSegment: any value either is refused for its length or becomes one safe path
// segment that decodes back to the value (so two values never share a partition).
func FuzzPartitionSegment(f *testing.F) {
	for _, s := range []string{"", "us", ".", "..", "../x", "a/b", "%2F", "\x00", "\xff", "日本", "a\\b", strings.Repeat("é", 100), "__HIVE_DEFAULT_PARTITION__", "x=y"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, v string, hive bool) {
		enc, err := encodeSegment(v, hive)
		if err != nil {
			if !strings.Contains(err.Error(), "longer than") {
				t.Fatalf("encodeSegment(%q): unexpected error %v", v, err)
			}
			return
		}
		if v == "" {
			return // the caller maps empty values to the default partition
		}
		if strings.ContainsAny(enc, "/\\\x00") || enc == "." || enc == ".." || enc == DefaultPartition || (!hive && strings.Contains(enc, "=")) || !utf8.ValidString(enc) || len(enc) > maxSegment {
			t.Fatalf("encodeSegment(%q) = %q is not a safe segment", v, enc)
		}
		if err := objstore.ValidKey("root/" + enc + "/f"); err != nil {
			t.Fatalf("encodeSegment(%q) = %q: %v", v, enc, err)
		}
		if dec, ok := decodeSegment(enc); !ok || dec != v {
			t.Fatalf("encodeSegment(%q) = %q decodes to %q", v, enc, dec)
		}
	})
}
