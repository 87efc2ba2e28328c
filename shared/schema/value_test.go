package schema

import (
	"math"
	"strings"
	"testing"
)

func TestInt64ReadsEveryGoIntegerAndRefusesTheRest(t *testing.T) {
	cases := []struct {
		in      any
		want    int64
		wantErr string
	}{
		{int64(-5), -5, ""}, {int(7), 7, ""}, {int32(-32), -32, ""}, {int16(16), 16, ""}, {int8(-8), -8, ""},
		{uint8(255), 255, ""}, {uint16(65535), 65535, ""}, {uint32(math.MaxUint32), math.MaxUint32, ""},
		{uint64(math.MaxInt64), math.MaxInt64, ""}, {uint(3), 3, ""},
		{uint64(math.MaxInt64 + 1), 0, "overflows BIGINT"},
		{2.5, 0, "float64 value is not an integer"},
		{"12", 0, "string value is not an integer"},
		{nil, 0, "<nil> value is not an integer"},
	}
	for _, c := range cases {
		got, err := Int64(c.in)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("Int64(%#v) error %v, want %q", c.in, err, c.wantErr)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("Int64(%#v) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
}
