package hudi_test

import (
	"testing"
	"unsafe"

	"github.com/fcsync/fcsync/shared/lake/hudi"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schema"
)

// TestSharedKeyCacheSparesReadingBaseFiles: a Table opened after another one on the same
// store (as each invocation of a warm function does) routes an upsert from the keys the first
// one read and wrote: of the base files, it reads only the one it rewrites. With a cache of its
// own it reads every base file of the partition. Either way the update lands once.
func TestSharedKeyCacheSparesReadingBaseFiles(t *testing.T) {
	cases := []struct {
		name      string
		shared    bool
		wantFiles int
	}{
		{"own cache reads every base file", false, 3},
		{"shared cache reads the rewritten one", true, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mem := objstore.NewMemory()
			cache := hudi.NewKeyCache(1 << 20)
			opts := []hudi.Option{hudi.WithClock(fakeClock()), hudi.WithIDs(fakeIDs()), hudi.WithFileSizes(64<<20, 0), hudi.WithKeyCache(cache)}
			first := mustCreate(t, mem, "lake/orders", ordersConfig(hudi.Partitioning{}), opts...)
			for b := range 3 {
				var rows []schema.Row
				for i := range 10 {
					rows = append(rows, order(b*10+i, "u", 1, baseTime))
				}
				mustWrite(t, first, hudi.Batch{Columns: orderColumns, Rows: rows})
			}
			counter := newRangeCounter(mem)
			opts = opts[:3]
			if c.shared {
				opts = append(opts, hudi.WithKeyCache(cache))
			}
			second, err := hudi.Open(t.Context(), counter, "lake/orders", opts...)
			if err != nil {
				t.Fatal(err)
			}
			// o-00015 is stored in the second base file; o-00100 is new.
			res := mustWrite(t, second, hudi.Batch{Columns: orderColumns, Rows: []schema.Row{order(15, "updated", 2, baseTime), order(100, "new", 1, baseTime)}})
			if res.Updated != 1 || res.Inserted != 1 {
				t.Fatalf("updated %d, inserted %d; want 1 and 1", res.Updated, res.Inserted)
			}
			read := map[string]bool{}
			for k := range counter.whole {
				read[k] = true
			}
			for k := range counter.ranged {
				read[k] = true
			}
			if len(read) != c.wantFiles {
				t.Errorf("read base files %v, want %d of them", read, c.wantFiles)
			}
			rows := rowsByKey(t, second)
			if len(rows) != 31 || rows["|o-00015"]["user_name"] != "updated" {
				t.Errorf("%d rows, o-00015 by %v; want 31 rows and the update", len(rows), rows["|o-00015"]["user_name"])
			}
		})
	}
}

// TestCachedKeysDoNotAliasTheBatch: keys written by a batch stay right in the cache after the
// memory the batch's strings pointed into is reused (a function's next payload), so a later
// upsert of the same key updates the row instead of adding a second one.
func TestCachedKeysDoNotAliasTheBatch(t *testing.T) {
	mem := objstore.NewMemory()
	cache := hudi.NewKeyCache(1 << 20)
	opts := []hudi.Option{hudi.WithClock(fakeClock()), hudi.WithIDs(fakeIDs()), hudi.WithKeyCache(cache)}
	tbl := mustCreate(t, mem, "lake/orders", ordersConfig(hudi.Partitioning{}), opts...)
	buf := []byte("o-00001o-00002")
	row := func(key string, user string, version int64) schema.Row {
		r := order(0, user, version, baseTime)
		r[0] = key
		return r
	}
	// The keys are strings over buf, as values decoded in place from a payload are.
	k1, k2 := unsafe.String(&buf[0], 7), unsafe.String(&buf[7], 7)
	mustWrite(t, tbl, hudi.Batch{Columns: orderColumns, Rows: []schema.Row{row(k1, "a", 1), row(k2, "b", 1)}})
	copy(buf, "x-99999x-99998")
	next, err := hudi.Open(t.Context(), mem, "lake/orders", opts...)
	if err != nil {
		t.Fatal(err)
	}
	res := mustWrite(t, next, hudi.Batch{Columns: orderColumns, Rows: []schema.Row{row("o-00001", "c", 2)}})
	rows := rowsByKey(t, next)
	if res.Updated != 1 || len(rows) != 2 || rows["|o-00001"]["user_name"] != "c" {
		t.Errorf("updated %d; rows %v; want o-00001 updated in place", res.Updated, sortedKeys(rows))
	}
}
