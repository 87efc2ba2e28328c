package rss

import (
	"bufio"
	"strings"
	"testing"
)

func TestParseHWMReadsTheVmHWMLineInMiB(t *testing.T) {
	cases := []struct {
		name, status string
		want         float64
		wantErr      bool
	}{
		{"typical", "Name:\tx\nVmPeak:\t 9999 kB\nVmHWM:\t  119728 kB\nVmRSS:\t 62448 kB\n", 119728.0 / 1024, false},
		{"missing", "Name:\tx\nVmRSS:\t 62448 kB\n", 0, true},
		{"wrong unit", "VmHWM:\t 12 MB\n", 0, true},
		{"not a number", "VmHWM:\t lots kB\n", 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseHWM("status", bufio.NewScanner(strings.NewReader(c.status)))
			if (err != nil) != c.wantErr || got != c.want {
				t.Fatalf("parseHWM = %v, %v; want %v, error %v", got, err, c.want, c.wantErr)
			}
		})
	}
}

func TestPeakMBOfThisProcessIsPositive(t *testing.T) {
	mb, err := PeakMB()
	if err != nil {
		t.Skipf("no /proc/self/status here: %v", err)
	}
	if mb <= 0 {
		t.Fatalf("PeakMB = %v, want > 0", mb)
	}
}
