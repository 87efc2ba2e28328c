package workload

import (
	"math"
	"testing"
)

// The wanted texts are what CPython 3.11 prints for repr(x), round(x, n) and
// json.dumps(s, ensure_ascii=False).

func TestFloatReprIsPythonsRepr(t *testing.T) {
	point1, point2 := 0.1, 0.2
	point3 := point1 + point2
	tests := []struct {
		f    float64
		want string
	}{
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{249, "249.0"},
		{0.5, "0.5"},
		{0.01, "0.01"},
		{1e-05, "1e-05"},
		{0.0001, "0.0001"},
		{0.00012345, "0.00012345"},
		{1e16, "1e+16"},
		{1234567890123456, "1234567890123456.0"},
		{12345678901234567, "1.2345678901234568e+16"},
		{1.5e300, "1.5e+300"},
		{5e-324, "5e-324"},
		{point3, "0.30000000000000004"}, // 0.1 + 0.2 in floating point
		{100, "100.0"},
		{1063.6, "1063.6"},
		{-2.5, "-2.5"},
		{123456789.12, "123456789.12"},
		{1e22, "1e+22"},
		{9007199254740993, "9007199254740992.0"},
	}
	for _, tt := range tests {
		if got := string(appendFloatRepr(nil, tt.f)); got != tt.want {
			t.Errorf("repr(%v) = %s, want %s", tt.f, got, tt.want)
		}
	}
}

func TestRoundIsPythonsRound(t *testing.T) {
	tests := []struct {
		f    float64
		n    int
		want float64
	}{
		{2.675, 2, 2.67}, // the double is just below 2.675
		{0.125, 2, 0.12}, // an exact tie goes to even
		{0.375, 2, 0.38},
		{1063.65, 1, 1063.7},
		{249.995, 2, 250.0},
		{0.005, 2, 0.01},
		{999.995, 2, 1000.0},
		{1.0000000000000002, 2, 1.0},
	}
	for _, tt := range tests {
		if got := round(tt.f, tt.n); got != tt.want {
			t.Errorf("round(%v, %d) = %v, want %v", tt.f, tt.n, got, tt.want)
		}
	}
}

func TestJSONStringEscapesAsPythonWithoutEnsureASCII(t *testing.T) {
	in := "a\x01\x1f\x7f é\u2028\"\\\n\r\t\b\f/東京"
	want := `"a\u0001\u001f` + "\x7f é\u2028" + `\"\\\n\r\t\b\f/東京"`
	if got := string(appendJSONString(nil, in)); got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}
