// Package rss reads the peak resident set size of the running process (VmHWM in
// /proc/self/status), which is what the benchmarks report as peak_rss_mb.
//
// A child's rusage Maxrss is not a substitute: when a large process starts a child, Linux
// carries the parent's high-water mark into the child's Maxrss at exec, so a benchmark that
// runs the broker in the parent would report the broker's memory as the child's.
package rss

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// PeakMB returns the process's peak resident set size in MiB.
func PeakMB() (float64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return parseHWM(f.Name(), bufio.NewScanner(f))
}

func parseHWM(name string, sc *bufio.Scanner) (float64, error) {
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("%s: unexpected VmHWM line %q", name, sc.Text())
		}
		kb, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return 0, fmt.Errorf("%s VmHWM: %w", name, err)
		}
		return kb / 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New(name + ": no VmHWM line")
}
