// Package objstoretest is the contract test suite every objstore.Store implementation runs:
// objstoretest.Run(t, newStore) from the implementation's tests. Memory and Dir (package
// objstore) and OSS through the osstest server (package objstore/oss) all run this one suite,
// including a race of writers doing compare-and-swap through package state; StateRace runs that
// race alone, e.g. against a server that injects faults.
//
// The optional capabilities objstore.RangeGetter, objstore.PrefixPutter and objstore.Sizer are
// called directly when the store has them, and through objstore.GetRange, objstore.PutWithPrefix
// and objstore.Size (their fallbacks) when it does not, so the same cases hold either way. The PutWithPrefix cases copy
// prefixes both shorter and longer than 100 KiB, OSS's smallest part, from which the OSS store
// copies on the server (a multipart upload) instead of reading the prefix and putting the whole
// object.
package objstoretest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/state"
)

// Run runs the contract suite. newStore must return a new, empty store for every call.
func Run(t *testing.T, newStore func(t *testing.T) objstore.Store) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s objstore.Store)
	}{
		{"GetOfAMissingKeyIsNotFound", testGetMissing},
		{"PutThenGetRoundTrips", testRoundTrip},
		{"PutReplacesTheObject", testPutReplaces},
		{"StoreKeepsNoReferenceToCallerSlices", testNoAliasing},
		{"CreateIfAbsentOnATakenKeyIsExistsAndKeepsTheFirst", testCreateTwice},
		{"CreateIfAbsentRaceHasExactlyOneWinner", testCreateRace},
		{"ListPagesInLexicalOrder", testListPaging},
		{"ListStartsStrictlyAfterAfter", testListAfter},
		{"DeleteRemovesAndToleratesMissing", testDelete},
		{"GetRangeReadsPartOfAnObject", testGetRange},
		{"PutWithPrefixWritesTheSourcesPrefixAndData", testPutWithPrefix},
		{"PutWithPrefixRefusesAndLeavesTheKeyAlone", testPutWithPrefixRefusals},
		{"SizeTellsTheCurrentObjectsLength", testSize},
		{"InvalidKeysAreRejected", testInvalidKeys},
		{"CanceledContextFails", testCanceled},
		{"StateRaceLosesNoUpdate", func(t *testing.T, s objstore.Store) { StateRace{Writers: 8, Increments: 25}.Run(t, s) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, newStore(t)) })
	}
}

// RunStateRace runs only the state race: writers goroutines each make increments
// compare-and-swap increments of one counter through package state.
func RunStateRace(t *testing.T, newStore func(t *testing.T) objstore.Store, writers, increments int) {
	t.Helper()
	StateRace{Writers: writers, Increments: increments}.Run(t, newStore(t))
}

// StateRace is a race of Writers goroutines, each making Increments compare-and-swap increments
// of one counter through package state (state.Log.Update). Run checks that no update was lost:
// the final counter is Writers×Increments, versions 1..N all exist, version n holds counter n,
// each version names the previous one's attempt as its parent (the chain is intact), every writer
// wrote exactly its increments, and Prune keeps exactly the newest versions.
type StateRace struct {
	Writers, Increments int
	// Settle, if set, runs after the writers finish and before the store is checked: a store with
	// injected faults turns them off here, so the check reads what is there.
	Settle func()
}

// Run runs the race on s, an empty store.
func (r StateRace) Run(t *testing.T, s objstore.Store) {
	t.Helper()
	stateRace(t, s, r.Writers, r.Increments, r.Settle)
}

func testGetMissing(t *testing.T, s objstore.Store) {
	ctx := t.Context()
	for _, key := range []string{"missing", "a/b/missing"} {
		if _, err := s.Get(ctx, key); !errors.Is(err, objstore.ErrNotFound) {
			t.Errorf("Get(%q) = %v, want ErrNotFound", key, err)
		}
	}
	mustPut(t, s, "dir/obj", []byte("x"))
	if _, err := s.Get(ctx, "dir"); !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("Get of a prefix of an object's key = %v, want ErrNotFound", err)
	}
}

func testRoundTrip(t *testing.T, s objstore.Store) {
	big := make([]byte, 5<<20)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range big {
		big[i] = byte(r.Uint32())
	}
	tests := []struct {
		name, key string
		data      []byte
	}{
		{"empty", "empty", []byte{}},
		{"nil is empty", "nil", nil},
		{"text", "a/b/c.json", []byte(`{"k":"v"}`)},
		{"all byte values", "bin/bytes", func() []byte {
			b := make([]byte, 256)
			for i := range b {
				b[i] = byte(i)
			}
			return b
		}()},
		{"5 MB binary", "bin/big", big},
		{"unicode key", "état/日本/ключ", []byte("u")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mustPut(t, s, tt.key, tt.data)
			if got := mustGet(t, s, tt.key); !bytes.Equal(got, tt.data) {
				t.Errorf("Get(%q) = %d bytes, want %d bytes as put", tt.key, len(got), len(tt.data))
			}
		})
	}
}

func testPutReplaces(t *testing.T, s objstore.Store) {
	mustPut(t, s, "k", []byte("a longer first version"))
	mustPut(t, s, "k", []byte("short"))
	if got := mustGet(t, s, "k"); string(got) != "short" {
		t.Errorf("after replace Get = %q, want %q", got, "short")
	}
	if err := s.CreateIfAbsent(t.Context(), "c", []byte("created")); err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, "c", []byte("put over created"))
	if got := mustGet(t, s, "c"); string(got) != "put over created" {
		t.Errorf("Put over a created object: Get = %q", got)
	}
}

func testNoAliasing(t *testing.T, s objstore.Store) {
	in := []byte("original")
	mustPut(t, s, "k", in)
	copy(in, "XXXXXXXX")
	got := mustGet(t, s, "k")
	if string(got) != "original" {
		t.Fatalf("changing the slice passed to Put changed the object: %q", got)
	}
	copy(got, "YYYYYYYY")
	if again := mustGet(t, s, "k"); string(again) != "original" {
		t.Errorf("changing the slice Get returned changed the object: %q", again)
	}
}

func testCreateTwice(t *testing.T, s objstore.Store) {
	ctx := t.Context()
	if err := s.CreateIfAbsent(ctx, "once", []byte("first")); err != nil {
		t.Fatalf("first CreateIfAbsent: %v", err)
	}
	if err := s.CreateIfAbsent(ctx, "once", []byte("second")); !errors.Is(err, objstore.ErrExists) {
		t.Fatalf("second CreateIfAbsent = %v, want ErrExists", err)
	}
	if got := mustGet(t, s, "once"); string(got) != "first" {
		t.Errorf("after a refused create Get = %q, want %q", got, "first")
	}
	mustPut(t, s, "put", []byte("p"))
	if err := s.CreateIfAbsent(ctx, "put", []byte("c")); !errors.Is(err, objstore.ErrExists) {
		t.Errorf("CreateIfAbsent over a Put object = %v, want ErrExists", err)
	}
	if err := s.Delete(ctx, "once"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateIfAbsent(ctx, "once", []byte("again")); err != nil {
		t.Errorf("CreateIfAbsent after Delete = %v, want success", err)
	}
}

func testCreateRace(t *testing.T, s objstore.Store) {
	const racers, rounds = 12, 10
	ctx := t.Context()
	for round := range rounds {
		key := fmt.Sprintf("race/%d", round)
		errs := make([]error, racers)
		var start, wg sync.WaitGroup
		start.Add(1)
		for i := range racers {
			wg.Go(func() {
				start.Wait()
				errs[i] = s.CreateIfAbsent(ctx, key, fmt.Appendf(nil, "racer %d", i))
			})
		}
		start.Done()
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("%s: racers %d and %d both created the key", key, winner, i)
			case err == nil:
				winner = i
			case !errors.Is(err, objstore.ErrExists):
				t.Fatalf("%s: racer %d: %v, want nil or ErrExists", key, i, err)
			}
		}
		if winner < 0 {
			t.Fatalf("%s: no racer created the key", key)
		}
		if got, want := string(mustGet(t, s, key)), fmt.Sprintf("racer %d", winner); got != want {
			t.Fatalf("%s holds %q, want the winner's %q", key, got, want)
		}
	}
}

// listKeys are chosen so that naive orders differ from lexical order: '-' < '.' < '/' < '0'.
var listKeys = []string{"a/1", "a/10", "a/2", "a/b.c", "a/b/c", "a-", "a.b", "ab", "b", "c/0/deep/key"}

func putAll(t *testing.T, s objstore.Store, keys []string) {
	for _, k := range keys {
		mustPut(t, s, k, []byte(k))
	}
}

func expected(prefix, after string) []string {
	var want []string
	for _, k := range listKeys {
		if strings.HasPrefix(k, prefix) && k > after {
			want = append(want, k)
		}
	}
	slices.Sort(want)
	return want
}

func testListPaging(t *testing.T, s objstore.Store) {
	putAll(t, s, listKeys)
	for _, prefix := range []string{"", "a", "a/", "a/1", "a/b", "ab", "c/", "c/0/deep/key", "zzz", "a/1/"} {
		for _, limit := range []int{1, 2, 3, 1000, 0} {
			t.Run(fmt.Sprintf("prefix %q limit %d", prefix, limit), func(t *testing.T) {
				got := listAll(t, s, prefix, "", limit)
				if want := expected(prefix, ""); !slices.Equal(got, want) {
					t.Errorf("List = %q, want %q", got, want)
				}
			})
		}
	}
}

func testListAfter(t *testing.T, s objstore.Store) {
	putAll(t, s, listKeys)
	tests := []struct{ prefix, after string }{
		{"a/", "a/10"},   // an existing key
		{"a/", "a/15"},   // between keys
		{"a/", "0"},      // before the prefix
		{"a/", "a/"},     // the prefix itself
		{"a/", "a/b"},    // a directory-like prefix of later keys
		{"a/", "a/b/c"},  // the last key
		{"a/", "zzz"},    // after everything
		{"", "a/b.c"},    // inside a run of keys sharing a prefix
		{"", "a/b/"},     // a prefix string that is not a key
		{"", "c/0/deep"}, // a prefix of a deep key
	}
	for _, tt := range tests {
		for _, limit := range []int{1, 2, 1000} {
			t.Run(fmt.Sprintf("prefix %q after %q limit %d", tt.prefix, tt.after, limit), func(t *testing.T) {
				got := listAll(t, s, tt.prefix, tt.after, limit)
				if want := expected(tt.prefix, tt.after); !slices.Equal(got, want) {
					t.Errorf("List = %q, want %q", got, want)
				}
			})
		}
	}
}

// listAll pages through List and checks each page against the paging contract.
func listAll(t *testing.T, s objstore.Store, prefix, after string, limit int) []string {
	t.Helper()
	var all []string
	for page := 0; ; page++ {
		if page > len(listKeys)+2 {
			t.Fatalf("List(%q) did not end after %d pages", prefix, page)
		}
		keys, next, err := s.List(t.Context(), prefix, after, limit)
		if err != nil {
			t.Fatalf("List(%q, after %q, limit %d): %v", prefix, after, limit, err)
		}
		if limit > 0 && len(keys) > limit {
			t.Fatalf("List(limit %d) returned %d keys", limit, len(keys))
		}
		all = append(all, keys...)
		if next == "" {
			return all
		}
		if len(keys) == 0 || next != keys[len(keys)-1] {
			t.Fatalf("List(%q, after %q) page %q: next = %q, want the page's last key", prefix, after, keys, next)
		}
		after = next
	}
}

func testDelete(t *testing.T, s objstore.Store) {
	ctx := t.Context()
	if err := s.Delete(ctx, "never/there"); err != nil {
		t.Errorf("Delete of a missing key = %v, want nil", err)
	}
	putAll(t, s, []string{"d/1", "d/2"})
	if err := s.Delete(ctx, "d/1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "d/1"); !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("Get after Delete = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "d/1"); err != nil {
		t.Errorf("second Delete = %v, want nil", err)
	}
	if err := s.Delete(ctx, "d"); err != nil {
		t.Errorf("Delete of a prefix of other keys = %v, want nil", err)
	}
	if got := listAll(t, s, "d", "", 0); !slices.Equal(got, []string{"d/2"}) {
		t.Errorf("List after Delete = %q, want [d/2]", got)
	}
}

var invalidKeys = []string{"", "/a", "a/", "a//b", "..", "../x", "a/../b", "a/..", ".", "a/./b", `a\b`, "a\x00b", "\xff\xfe", strings.Repeat("k", objstore.MaxKeyLen+1)}

func testInvalidKeys(t *testing.T, s objstore.Store) {
	ctx := t.Context()
	mustPut(t, s, "inside", []byte("x"))
	for _, key := range invalidKeys {
		t.Run(fmt.Sprintf("%q", key), func(t *testing.T) {
			if err := objstore.ValidKey(key); !errors.Is(err, objstore.ErrInvalidKey) {
				t.Errorf("ValidKey = %v, want ErrInvalidKey", err)
			}
			_, gerr := s.Get(ctx, key)
			_, rerr := getRange(ctx, s, key, 0, 1)
			_, serr := size(ctx, s, key)
			ops := map[string]error{
				"Get":                  gerr,
				"GetRange":             rerr,
				"Size":                 serr,
				"PutWithPrefix key":    putWithPrefix(ctx, s, key, "inside", 1, []byte("x")),
				"PutWithPrefix source": putWithPrefix(ctx, s, "elsewhere", key, 0, []byte("x")),
				"Put":                  s.Put(ctx, key, []byte("x")),
				"CreateIfAbsent":       s.CreateIfAbsent(ctx, key, []byte("x")),
				"Delete":               s.Delete(ctx, key),
			}
			for op, err := range ops {
				if !errors.Is(err, objstore.ErrInvalidKey) {
					t.Errorf("%s = %v, want ErrInvalidKey", op, err)
				}
			}
		})
	}
	for _, prefix := range []string{"/a", "../", "a//", "a/../", `a\`, "a\x00"} {
		if _, _, err := s.List(ctx, prefix, "", 0); !errors.Is(err, objstore.ErrInvalidKey) {
			t.Errorf("List(%q) = %v, want ErrInvalidKey", prefix, err)
		}
	}
	if got := listAll(t, s, "", "", 0); !slices.Equal(got, []string{"inside"}) {
		t.Errorf("after invalid writes the store holds %q, want only [inside]", got)
	}
}

func testCanceled(t *testing.T, s objstore.Store) {
	mustPut(t, s, "src", []byte("source bytes"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, gerr := s.Get(ctx, "k")
	_, _, lerr := s.List(ctx, "", "", 0)
	_, rerr := getRange(ctx, s, "src", 0, 4)
	_, serr := size(ctx, s, "src")
	ops := map[string]error{
		"Get":            gerr,
		"GetRange":       rerr,
		"Size":           serr,
		"PutWithPrefix":  putWithPrefix(ctx, s, "k", "src", 4, []byte("x")),
		"Put":            s.Put(ctx, "k", []byte("x")),
		"CreateIfAbsent": s.CreateIfAbsent(ctx, "k", []byte("x")),
		"List":           lerr,
		"Delete":         s.Delete(ctx, "k"),
	}
	for op, err := range ops {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context = %v, want context.Canceled", op, err)
		}
	}
}

// getRange reads part of an object natively when s can, else through the fallback.
func getRange(ctx context.Context, s objstore.Store, key string, off, n int64) ([]byte, error) {
	if rg, ok := s.(objstore.RangeGetter); ok {
		return rg.GetRange(ctx, key, off, n)
	}
	return objstore.GetRange(ctx, s, key, off, n)
}

// putWithPrefix writes key natively when s can, else through the fallback.
func putWithPrefix(ctx context.Context, s objstore.Store, key, src string, n int64, data []byte) error {
	if pp, ok := s.(objstore.PrefixPutter); ok {
		return pp.PutWithPrefix(ctx, key, src, n, data)
	}
	return objstore.PutWithPrefix(ctx, s, key, src, n, data)
}

// size tells an object's length natively when s can, else through the fallback.
func size(ctx context.Context, s objstore.Store, key string) (int64, error) {
	if sz, ok := s.(objstore.Sizer); ok {
		return sz.Size(ctx, key)
	}
	return objstore.Size(ctx, s, key)
}

// minPart is OSS's smallest part but the last: the OSS store copies prefixes at least this long
// on the server.
const minPart = 100 << 10

// randomBytes returns n bytes that no two calls with different seeds share.
func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, seed+1))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func testGetRange(t *testing.T, s objstore.Store) {
	ctx := t.Context()
	src := randomBytes(3*minPart, 7)
	size := int64(len(src))
	mustPut(t, s, "r/src", src)
	mustPut(t, s, "r/empty", nil)
	tests := []struct {
		name     string
		key      string
		off, n   int64
		from, to int64 // the expected bytes are src[from:to]
	}{
		{"the start", "r/src", 0, 10, 0, 10},
		{"the middle", "r/src", 1000, 5000, 1000, 6000},
		{"the whole object", "r/src", 0, size, 0, size},
		{"one byte at the end", "r/src", size - 1, 1, size - 1, size},
		{"clipped at the end", "r/src", size - 10, 100, size - 10, size},
		{"a length far beyond the end", "r/src", 1, math.MaxInt64, 1, size},
		{"nothing from the middle", "r/src", 20, 0, 20, 20},
		{"from the end", "r/src", size, 10, 0, 0},
		{"from past the end", "r/src", size + 5, 10, 0, 0},
		{"nothing from past the end", "r/src", size + 5, 0, 0, 0},
		{"an empty object", "r/empty", 0, 10, 0, 0},
		{"nothing of an empty object", "r/empty", 0, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := getRange(ctx, s, tt.key, tt.off, tt.n)
			if err != nil {
				t.Fatalf("GetRange(%q, %d, %d): %v", tt.key, tt.off, tt.n, err)
			}
			if want := src[tt.from:tt.to]; !bytes.Equal(got, want) {
				t.Fatalf("GetRange(%q, %d, %d) = %d bytes, want %d bytes from offset %d", tt.key, tt.off, tt.n, len(got), len(want), tt.from)
			}
		})
	}
	for _, n := range []int64{0, 10} {
		if _, err := getRange(ctx, s, "r/missing", 0, n); !errors.Is(err, objstore.ErrNotFound) {
			t.Errorf("GetRange of a missing key, length %d = %v, want ErrNotFound", n, err)
		}
	}
	if _, err := getRange(ctx, s, "r", 0, 10); !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("GetRange of a prefix of an object's key = %v, want ErrNotFound", err)
	}
	for _, bad := range [][2]int64{{-1, 10}, {0, -1}} {
		if got, err := getRange(ctx, s, "r/src", bad[0], bad[1]); err == nil {
			t.Errorf("GetRange(offset %d, length %d) = %d bytes, want an error", bad[0], bad[1], len(got))
		}
	}
	got, err := getRange(ctx, s, "r/src", 0, 8)
	if err != nil {
		t.Fatal(err)
	}
	clear(got)
	if again := mustGet(t, s, "r/src"); !bytes.Equal(again, src) {
		t.Error("changing the slice GetRange returned changed the object")
	}
}

func testPutWithPrefix(t *testing.T, s objstore.Store) {
	ctx := t.Context()
	src := randomBytes(3*minPart, 11)
	size := int64(len(src))
	mustPut(t, s, "p/src", src)
	small, big := []byte("new rows and a footer"), randomBytes(minPart+3, 13)
	tests := []struct {
		name string
		n    int64
		data []byte
	}{
		{"a short prefix and data", 1000, small},
		{"a long prefix and data", 2 * minPart, small},
		{"a long prefix and long data", 2*minPart + 17, big},
		{"a short prefix and no data", 4096, nil},
		{"a long prefix and no data", minPart + 1, []byte{}},
		{"just under the server-copy size", minPart - 1, small},
		{"exactly the server-copy size", minPart, small},
		{"nothing of the source", 0, small},
		{"nothing at all", 0, nil},
		{"the whole source and data", size, small},
		{"the whole source and no data", size, nil},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := fmt.Sprintf("p/out/%d/file.parquet", i)
			data := bytes.Clone(tt.data)
			if err := putWithPrefix(ctx, s, key, "p/src", tt.n, data); err != nil {
				t.Fatalf("PutWithPrefix(%d bytes + %d): %v", tt.n, len(tt.data), err)
			}
			clear(data) // the store must have kept its own copy
			want := append(slices.Clone(src[:tt.n]), tt.data...)
			if got := mustGet(t, s, key); !bytes.Equal(got, want) {
				t.Fatalf("Get = %d bytes, want %d: the first %d bytes of the source and the %d bytes of data", len(got), len(want), tt.n, len(tt.data))
			}
			if tail, err := getRange(ctx, s, key, tt.n, int64(len(tt.data))+1); err != nil || !bytes.Equal(tail, tt.data) {
				t.Fatalf("GetRange of the appended part = %d bytes, %v; want the data", len(tail), err)
			}
		})
	}
	t.Run("replacing an existing object", func(t *testing.T) {
		for _, old := range [][]byte{[]byte("an older, unrelated object"), randomBytes(4*minPart, 17)} {
			mustPut(t, s, "p/replaced", old)
			for _, n := range []int64{10, 2 * minPart} {
				if err := putWithPrefix(ctx, s, "p/replaced", "p/src", n, small); err != nil {
					t.Fatal(err)
				}
				if got, want := mustGet(t, s, "p/replaced"), append(slices.Clone(src[:n]), small...); !bytes.Equal(got, want) {
					t.Fatalf("after replacing a %d-byte object with %d bytes of the source and data: Get = %d bytes, want %d", len(old), n, len(got), len(want))
				}
			}
		}
	})
	t.Run("a written object as the next source", func(t *testing.T) {
		// A top-up of a top-up: the result of one call is the source of the next.
		if err := putWithPrefix(ctx, s, "p/gen1", "p/src", 2*minPart, small); err != nil {
			t.Fatal(err)
		}
		if err := putWithPrefix(ctx, s, "p/gen2", "p/gen1", 2*minPart+5, big); err != nil {
			t.Fatal(err)
		}
		want := append(append(slices.Clone(src[:2*minPart]), small[:5]...), big...)
		if got := mustGet(t, s, "p/gen2"); !bytes.Equal(got, want) {
			t.Fatalf("second generation = %d bytes, want %d", len(got), len(want))
		}
	})
	if got := mustGet(t, s, "p/src"); !bytes.Equal(got, src) {
		t.Error("PutWithPrefix changed its source")
	}
	want := []string{"p/gen1", "p/gen2", "p/replaced", "p/src"}
	for i := range tests {
		want = append(want, fmt.Sprintf("p/out/%d/file.parquet", i))
	}
	slices.Sort(want)
	if got := listAll(t, s, "p/", "", 0); !slices.Equal(got, want) {
		t.Errorf("the store holds %q, want %q", got, want)
	}
}

func testPutWithPrefixRefusals(t *testing.T, s objstore.Store) {
	ctx := t.Context()
	src := randomBytes(3*minPart, 19)
	size := int64(len(src))
	mustPut(t, s, "q/src", src)
	mustPut(t, s, "q/taken", []byte("the object already at the key"))
	tests := []struct {
		name, key, src string
		n              int64
		want           error // nil: any error
	}{
		{"a missing source", "q/new", "q/missing", 0, objstore.ErrNotFound},
		{"a missing source, long prefix", "q/taken", "q/missing", 2 * minPart, objstore.ErrNotFound},
		{"a prefix of a key as the source", "q/new", "q", 10, objstore.ErrNotFound},
		{"one byte more than the source", "q/new", "q/src", size + 1, objstore.ErrShortSource},
		{"far more than the source", "q/taken", "q/src", 10 * size, objstore.ErrShortSource},
		{"a short source, short prefix", "q/taken", "q/short", 100, objstore.ErrShortSource},
		{"the key as its own source", "q/src", "q/src", 10, nil},
		{"a negative length", "q/new", "q/src", -1, nil},
	}
	mustPut(t, s, "q/short", []byte("only 16 bytes.."))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, hadBefore := get(t, s, tt.key)
			err := putWithPrefix(ctx, s, tt.key, tt.src, tt.n, []byte("data"))
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("PutWithPrefix(%q, %q, %d) = %v, want an error wrapping %v", tt.key, tt.src, tt.n, err, tt.want)
			}
			if tt.want == objstore.ErrShortSource && errors.Is(err, objstore.ErrNotFound) {
				t.Errorf("a short source is also ErrNotFound: %v", err)
			}
			after, hasAfter := get(t, s, tt.key)
			if hadBefore != hasAfter || !bytes.Equal(before, after) {
				t.Fatalf("a refused PutWithPrefix changed %q: %d bytes (exists %v), was %d bytes (exists %v)", tt.key, len(after), hasAfter, len(before), hadBefore)
			}
		})
	}
	if got := mustGet(t, s, "q/src"); !bytes.Equal(got, src) {
		t.Error("a refused PutWithPrefix changed the source")
	}
}

func testSize(t *testing.T, s objstore.Store) {
	ctx := t.Context()
	tests := []struct {
		name, key string
		puts      [][]byte // put in turn; the last one's length is the size
	}{
		{"an empty object", "s/empty", [][]byte{nil}},
		{"a short object", "s/short", [][]byte{[]byte("twelve bytes")}},
		{"a long object", "s/deep/long", [][]byte{randomBytes(minPart+7, 23)}},
		{"an object replaced by a shorter one", "s/shrunk", [][]byte{randomBytes(5000, 29), []byte("tiny")}},
		{"an object replaced by a longer one", "s/grown", [][]byte{[]byte("tiny"), randomBytes(5000, 31)}},
		{"an object replaced by an empty one", "s/emptied", [][]byte{[]byte("gone soon"), {}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, data := range tt.puts {
				mustPut(t, s, tt.key, data)
			}
			want := int64(len(tt.puts[len(tt.puts)-1]))
			if got, err := size(ctx, s, tt.key); err != nil || got != want {
				t.Fatalf("Size(%q) = %d, %v; want %d", tt.key, got, err, want)
			}
		})
	}
	if err := s.CreateIfAbsent(ctx, "s/created", []byte("created, not put")); err != nil {
		t.Fatal(err)
	}
	if got, err := size(ctx, s, "s/created"); err != nil || got != int64(len("created, not put")) {
		t.Errorf("Size of a created object = %d, %v; want %d", got, err, len("created, not put"))
	}
	if err := s.Delete(ctx, "s/short"); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"s/missing", "s/short", "s", "s/deep"} { // never there, deleted, prefixes of keys
		if got, err := size(ctx, s, key); !errors.Is(err, objstore.ErrNotFound) {
			t.Errorf("Size(%q) = %d, %v; want ErrNotFound", key, got, err)
		}
	}
}

// get returns the object and whether it exists.
func get(t *testing.T, s objstore.Store, key string) ([]byte, bool) {
	t.Helper()
	data, err := s.Get(t.Context(), key)
	if errors.Is(err, objstore.ErrNotFound) {
		return nil, false
	}
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return data, true
}

type counter struct {
	N    int    `json:"n"`
	Last string `json:"last"` // writer of the last increment
}

func stateRace(t *testing.T, s objstore.Store, writers, increments int, settle func()) {
	ctx := t.Context()
	const scope = "race/counter"
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		log := state.New(s, scope, state.WithWriterID(fmt.Sprintf("writer-%d", w)), state.WithMaxAttempts(10_000))
		wg.Go(func() {
			for range increments {
				_, err := log.Update(ctx, func(cur state.Version) ([]byte, error) {
					var c counter
					if cur.Data != nil {
						if err := json.Unmarshal(cur.Data, &c); err != nil {
							return nil, err
						}
					}
					c.N++
					c.Last = log.WriterID()
					return json.Marshal(c)
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if settle != nil {
		settle()
	}
	for err := range errs {
		t.Fatalf("Update: %v", err)
	}
	total := writers * increments

	// Every version 1..total exists, holds counter n == its number, and no key is out of line.
	log := state.New(s, scope)
	keys := listAllKeys(t, s, state.Prefix+scope+"/")
	if len(keys) != total {
		t.Fatalf("%d version objects, want %d", len(keys), total)
	}
	perWriter := map[string]int{}
	prevAttempt := ""
	for i, key := range keys {
		n := int64(i + 1)
		if want := log.Key(n); key != want {
			t.Fatalf("version keys not contiguous: key %d is %q, want %q", i, key, want)
		}
		var env struct {
			Version int64   `json:"version"`
			Writer  string  `json:"writer"`
			Attempt string  `json:"attempt"`
			Parent  string  `json:"parent"`
			Data    counter `json:"data"`
		}
		if err := json.Unmarshal(mustGet(t, s, key), &env); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if env.Version != n || env.Data.N != int(n) || env.Data.Last != env.Writer {
			t.Fatalf("%s: version %d, counter %d by %q (written by %q): want version and counter %d", key, env.Version, env.Data.N, env.Data.Last, env.Writer, n)
		}
		if env.Parent != prevAttempt || env.Attempt == "" {
			t.Fatalf("%s: parent %q, want the attempt of version %d, %q: the version chain is broken", key, env.Parent, n-1, prevAttempt)
		}
		prevAttempt = env.Attempt
		perWriter[env.Writer]++
	}
	if len(perWriter) != writers {
		t.Errorf("%d writers wrote versions, want %d", len(perWriter), writers)
	}
	for w, n := range perWriter {
		if n != increments {
			t.Errorf("%s wrote %d versions, want %d", w, n, increments)
		}
	}
	cur, err := log.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var c counter
	if err := json.Unmarshal(cur.Data, &c); err != nil {
		t.Fatal(err)
	}
	if cur.Number != int64(total) || c.N != total {
		t.Fatalf("Load = version %d counter %d, want %d and %d: updates were lost", cur.Number, c.N, total, total)
	}

	keep := 7
	if err := state.New(s, scope, state.WithKeep(keep)).Prune(ctx); err != nil {
		t.Fatal(err)
	}
	after := listAllKeys(t, s, state.Prefix+scope+"/")
	if want := keys[len(keys)-keep:]; !slices.Equal(after, want) {
		t.Errorf("after Prune(keep %d) the versions are %q, want %q", keep, after, want)
	}
}

func listAllKeys(t *testing.T, s objstore.Store, prefix string) []string {
	t.Helper()
	var all []string
	after := ""
	for {
		keys, next, err := s.List(t.Context(), prefix, after, 0)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, keys...)
		if next == "" {
			return all
		}
		after = next
	}
}

func mustPut(t *testing.T, s objstore.Store, key string, data []byte) {
	t.Helper()
	if err := s.Put(t.Context(), key, data); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func mustGet(t *testing.T, s objstore.Store, key string) []byte {
	t.Helper()
	data, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return data
}
