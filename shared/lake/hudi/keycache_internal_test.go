package hudi

import (
	"slices"
	"testing"
)

// TestKeyCacheKeepsTheNewestVersionOfAFileGroup: a top-up's new version replaces the stored
// one in the cache (writers route by the newest), an older version put later is not cached,
// and other file groups stay.
func TestKeyCacheKeepsTheNewestVersionOfAFileGroup(t *testing.T) {
	const (
		v1    = "lake/t/p=1/fg1-0_0-1-0_20240101000000001.parquet"
		v2    = "lake/t/p=1/fg1-0_0-1-0_20240101000000002.parquet"
		other = "lake/t/p=2/fg1-0_0-1-0_20240101000000001.parquet"
	)
	steps := []struct {
		put  string
		want []string
	}{
		{v1, []string{v1}},
		{v2, []string{v2}},
		{v1, []string{v2}},
		{other, []string{v2, other}},
	}
	c := NewKeyCache(1 << 20)
	for i, s := range steps {
		c.put(s.put, newFileKeys([]string{"a", "b"}, 10))
		var got []string
		var used int64
		for k, f := range c.m {
			got = append(got, k)
			used += f.footprint()
		}
		slices.Sort(got)
		if !slices.Equal(got, s.want) || used != c.used || len(c.order) != len(got) {
			t.Fatalf("step %d: cached %v (%d bytes counted %d, order %v), want %v", i, got, used, c.used, c.order, s.want)
		}
	}
}
