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

func TestPartitionKeysAreUnambiguous(t *testing.T) {
	// Values that would collide under a naive join of "column=value" pieces.
	parts := []Partition{
		{{Column: "a", Value: "1,b=2"}},
		{{Column: "a", Value: "1"}, {Column: "b", Value: "2"}},
		{{Column: "a:1", Value: ""}},
		{{Column: "a", Value: ":1"}},
		nil,
	}
	seen := map[string]int{}
	for i, p := range parts {
		k := string(p.AppendKey(nil))
		if j, ok := seen[k]; ok {
			t.Fatalf("partitions %d and %d share the key %q", j, i, k)
		}
		seen[k] = i
	}
	if got := string(parts[1].AppendKey([]byte("x"))); !strings.HasPrefix(got, "x") {
		t.Fatalf("AppendKey dropped dst: %q", got)
	}
}
