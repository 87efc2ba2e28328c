package hudi

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schema"
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

// TestKeyCacheHoldsOnlyCommittedFiles: a write whose commit fails leaves its base file behind
// uncommitted; the cache must not take it (it keeps one version per file group, so an
// uncommitted newer version would keep the committed one out and every later batch would read
// the committed file again). The retry then caches its own committed file.
func TestKeyCacheHoldsOnlyCommittedFiles(t *testing.T) {
	ctx := t.Context()
	m := objstore.NewMemory()
	cache := NewKeyCache(1 << 20)
	cfg := Config{Name: "t", Columns: []schema.Column{{Name: "id", Type: schema.String}, {Name: "v", Type: schema.BigInt}}, RecordKey: []string{"id"}}
	tbl, err := Create(ctx, m, "lake/t", cfg, WithKeyCache(cache))
	if err != nil {
		t.Fatal(err)
	}
	batch := func(v int64) Batch {
		return Batch{Columns: cfg.Columns, Rows: []schema.Row{{"a", v}, {"b", v}}}
	}
	if _, err := tbl.Write(ctx, batch(1)); err != nil {
		t.Fatal(err)
	}
	errCommit := errors.New("injected: the commit log is unreachable")
	m.SetHook(func(_ context.Context, op objstore.Op, key string) error {
		if op == objstore.OpCreateIfAbsent && strings.Contains(key, "/state/commits/") {
			return errCommit
		}
		return nil
	})
	if _, err := tbl.Write(ctx, batch(2)); err == nil || !strings.Contains(err.Error(), errCommit.Error()) {
		t.Fatalf("write with the commit log failing: %v", err)
	}
	m.SetHook(nil)
	committedOnly := func(when string) {
		t.Helper()
		for key := range cache.m {
			_, instant, _ := fileGroupOf(key)
			if _, err := m.Get(ctx, "lake/t/.hoodie/"+instant+".commit"); err != nil {
				t.Errorf("%s: the cache holds %s, whose instant has no .commit", when, key)
			}
		}
		if len(cache.m) != 1 {
			t.Errorf("%s: the cache holds %d files, want the file group's committed one", when, len(cache.m))
		}
	}
	committedOnly("after the failed commit")
	if _, err := tbl.Write(ctx, batch(3)); err != nil {
		t.Fatal(err)
	}
	committedOnly("after the retry")
}
