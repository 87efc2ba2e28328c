// Package objstoretest is the contract test suite every objstore.Store implementation runs:
// objstoretest.Run(t, newStore) from the implementation's tests. Memory and Dir (package
// objstore) and OSS through the osstest server (package objstore/oss) all run this one suite,
// including a race of writers doing compare-and-swap through package state; StateRace runs that
// race alone, e.g. against a server that injects faults.
package objstoretest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
			ops := map[string]error{
				"Get":            gerr,
				"Put":            s.Put(ctx, key, []byte("x")),
				"CreateIfAbsent": s.CreateIfAbsent(ctx, key, []byte("x")),
				"Delete":         s.Delete(ctx, key),
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
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, gerr := s.Get(ctx, "k")
	_, _, lerr := s.List(ctx, "", "", 0)
	ops := map[string]error{
		"Get":            gerr,
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
