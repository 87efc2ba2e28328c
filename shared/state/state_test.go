package state_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/objstore/objstoretest"
	"github.com/fcsync/fcsync/shared/state"
)

const scope = "jobs/orders/windows"

// stores are the implementations every store-agnostic test runs against.
var stores = []struct {
	name string
	new  func(t *testing.T) objstore.Store
}{
	{"memory", func(*testing.T) objstore.Store { return objstore.NewMemory() }},
	{"dir", func(t *testing.T) objstore.Store {
		d, err := objstore.NewDir(filepath.Join(t.TempDir(), "store"))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}},
}

func forEachStore(t *testing.T, test func(t *testing.T, s objstore.Store)) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) { test(t, st.new(t)) })
	}
}

type counter struct {
	N int `json:"n"`
}

// incr returns an update function that increments the counter and counts its calls.
func incr(calls *atomic.Int32) func(state.Version) ([]byte, error) {
	return func(cur state.Version) ([]byte, error) {
		calls.Add(1)
		c := decode(cur)
		c.N++
		return json.Marshal(c)
	}
}

func decode(v state.Version) counter {
	var c counter
	if v.Data != nil {
		if err := json.Unmarshal(v.Data, &c); err != nil {
			panic(err) // the tests only write counters
		}
	}
	return c
}

func mustUpdate(t *testing.T, l *state.Log, n int) state.Version {
	t.Helper()
	var calls atomic.Int32
	var v state.Version
	for range n {
		var err error
		if v, err = l.Update(t.Context(), incr(&calls)); err != nil {
			t.Fatal(err)
		}
	}
	return v
}

func versionKeys(t *testing.T, s objstore.Store, scope string) []string {
	t.Helper()
	var all []string
	after := ""
	for {
		keys, next, err := s.List(t.Context(), state.Prefix+scope+"/", after, 0)
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

func keysOf(l *state.Log, from, to int64) []string {
	var keys []string
	for n := from; n <= to; n++ {
		keys = append(keys, l.Key(n))
	}
	return keys
}

func TestLoadOfAnEmptyLogIsVersionZero(t *testing.T) {
	forEachStore(t, func(t *testing.T, s objstore.Store) {
		v, err := state.New(s, scope).Load(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if v.Number != 0 || v.Data != nil || v.Writer != "" {
			t.Errorf("Load = %+v, want the zero Version", v)
		}
	})
}

func TestUpdatesWriteASequenceOfVersions(t *testing.T) {
	forEachStore(t, func(t *testing.T, s objstore.Store) {
		l := state.New(s, scope, state.WithWriterID("fc-instance-1"))
		var calls atomic.Int32
		for want := int64(1); want <= 5; want++ {
			v, err := l.Update(t.Context(), incr(&calls))
			if err != nil {
				t.Fatal(err)
			}
			if v.Number != want || decode(v).N != int(want) || v.Writer != "fc-instance-1" || v.Time.IsZero() {
				t.Fatalf("Update %d = %+v", want, v)
			}
		}
		if calls.Load() != 5 {
			t.Errorf("fn called %d times, want 5", calls.Load())
		}
		if got, want := versionKeys(t, s, scope), keysOf(l, 1, 5); !slices.Equal(got, want) {
			t.Errorf("objects %q, want %q", got, want)
		}
		if l.Key(5) != "state/jobs/orders/windows/00000000000000000005.json" {
			t.Errorf("Key(5) = %q", l.Key(5))
		}
		// A fresh Log (another function instance) sees the same newest version.
		v, err := state.New(s, scope).Load(t.Context())
		if err != nil || v.Number != 5 || decode(v).N != 5 || v.Writer != "fc-instance-1" {
			t.Fatalf("Load = %+v, %v; want version 5", v, err)
		}
	})
}

func TestErrNoChangeReturnsTheCurrentVersionWithoutWriting(t *testing.T) {
	forEachStore(t, func(t *testing.T, s objstore.Store) {
		l := state.New(s, scope)
		mustUpdate(t, l, 2)
		v, err := l.Update(t.Context(), func(state.Version) ([]byte, error) {
			return nil, fmt.Errorf("window already done: %w", state.ErrNoChange)
		})
		if err != nil || v.Number != 2 || decode(v).N != 2 {
			t.Fatalf("Update = %+v, %v; want version 2 unchanged", v, err)
		}
		if got := versionKeys(t, s, scope); len(got) != 2 {
			t.Errorf("objects %q, want 2", got)
		}
	})
}

func TestUpdateFunctionFailuresWriteNothing(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name    string
		fn      func(state.Version) ([]byte, error)
		wantErr error
	}{
		{"fn error", func(state.Version) ([]byte, error) { return nil, errBoom }, errBoom},
		{"invalid JSON", func(state.Version) ([]byte, error) { return []byte(`{"n":`), nil }, nil},
		{"empty", func(state.Version) ([]byte, error) { return nil, nil }, nil},
	}
	forEachStore(t, func(t *testing.T, s objstore.Store) {
		l := state.New(s, scope)
		mustUpdate(t, l, 1)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := l.Update(t.Context(), tt.fn)
				if err == nil || !strings.Contains(err.Error(), scope) {
					t.Fatalf("Update = %v, want an error naming the scope", err)
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Errorf("Update = %v, want it to wrap %v", err, tt.wantErr)
				}
				if got := versionKeys(t, s, scope); len(got) != 1 {
					t.Errorf("objects %q, want only version 1", got)
				}
			})
		}
	})
}

func TestACreateThatLandedButReportedAnErrorIsRecognisedAsOurs(t *testing.T) {
	tests := []struct {
		name string
		err  error
	}{
		{"retried PUT answered already exists", objstore.ErrExists},
		{"response lost", errors.New("connection reset by peer")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := objstore.NewMemory()
			l := state.New(m, scope)
			mustUpdate(t, l, 1)
			m.FailNextAfter(objstore.OpCreateIfAbsent, tt.err)
			var calls atomic.Int32
			v, err := l.Update(t.Context(), incr(&calls))
			if err != nil {
				t.Fatal(err)
			}
			if v.Number != 2 || decode(v).N != 2 || calls.Load() != 1 {
				t.Fatalf("Update = version %d counter %d after %d fn calls; want 2, 2, 1 (applied once)", v.Number, decode(v).N, calls.Load())
			}
			if got := versionKeys(t, m, scope); len(got) != 2 {
				t.Errorf("objects %q, want versions 1 and 2 only", got)
			}
		})
	}
}

func TestACreateThatFailedWithoutLandingIsRetried(t *testing.T) {
	m := objstore.NewMemory()
	l := state.New(m, scope)
	m.FailNext(objstore.OpCreateIfAbsent, errors.New("503 service unavailable"))
	var calls atomic.Int32
	v, err := l.Update(t.Context(), incr(&calls))
	if err != nil {
		t.Fatal(err)
	}
	if v.Number != 1 || decode(v).N != 1 {
		t.Fatalf("Update = %+v, want version 1", v)
	}
}

// lateStore fails the first CreateIfAbsent without writing, then performs it just before the
// land-th following operation: a request that timed out on the client and reached the server later.
type lateStore struct {
	objstore.Store
	land int
	then func() // runs after the late write landed

	mu        sync.Mutex
	key       string
	data      []byte
	countdown int
}

func (s *lateStore) before(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.data == nil {
		return
	}
	if s.countdown--; s.countdown == 0 {
		// The late request loses if the key was taken meanwhile, as on OSS.
		err := s.Store.CreateIfAbsent(ctx, s.key, s.data)
		if err != nil && !errors.Is(err, objstore.ErrExists) {
			panic(err)
		}
		s.data = nil
		if err == nil && s.then != nil {
			s.then()
		}
	}
}

func (s *lateStore) CreateIfAbsent(ctx context.Context, key string, data []byte) error {
	s.mu.Lock()
	if s.key == "" {
		s.key, s.data, s.countdown = key, data, s.land
		s.mu.Unlock()
		return errors.New("context deadline exceeded (Client.Timeout exceeded)")
	}
	s.mu.Unlock()
	s.before(ctx)
	return s.Store.CreateIfAbsent(ctx, key, data)
}

func (s *lateStore) Get(ctx context.Context, key string) ([]byte, error) {
	s.before(ctx)
	return s.Store.Get(ctx, key)
}

func (s *lateStore) List(ctx context.Context, prefix, after string, limit int) ([]string, string, error) {
	s.before(ctx)
	return s.Store.List(ctx, prefix, after, limit)
}

func TestAWriteThatLandsLateIsNeverAppliedTwice(t *testing.T) {
	for land := 1; land <= 6; land++ {
		t.Run(fmt.Sprintf("lands before operation %d", land), func(t *testing.T) {
			s := &lateStore{Store: objstore.NewMemory(), land: land}
			l := state.New(s, scope)
			var calls atomic.Int32
			v, err := l.Update(t.Context(), incr(&calls))
			if err != nil {
				t.Fatal(err)
			}
			if v.Number != 1 || decode(v).N != 1 {
				t.Fatalf("Update = version %d counter %d, want 1 and 1", v.Number, decode(v).N)
			}
			if v = mustUpdate(t, l, 1); v.Number != 2 || decode(v).N != 2 {
				t.Fatalf("next Update = version %d counter %d, want 2 and 2: the first was applied twice", v.Number, decode(v).N)
			}
		})
	}
}

func TestALateWriteBuiltUponByAnotherWriterIsNeverAppliedTwice(t *testing.T) {
	for land := 1; land <= 4; land++ {
		t.Run(fmt.Sprintf("lands before operation %d", land), func(t *testing.T) {
			m := objstore.NewMemory()
			s := &lateStore{Store: m, land: land}
			other := state.New(m, scope, state.WithWriterID("other")) // not through lateStore
			s.then = func() { mustUpdate(t, other, 1) }
			l := state.New(s, scope)
			var calls atomic.Int32
			v, err := l.Update(t.Context(), incr(&calls))
			if err != nil {
				t.Fatal(err)
			}
			if v.Number != 1 || decode(v).N != 1 {
				t.Errorf("Update = version %d counter %d, want our late version 1", v.Number, decode(v).N)
			}
			if cur, err := other.Load(t.Context()); err != nil || cur.Number != 2 || decode(cur).N != 2 {
				t.Fatalf("Load = version %d counter %d (%v), want 2 and 2: the update was applied twice", cur.Number, decode(cur).N, err)
			}
		})
	}
}

func TestAnUnsettledWriteIsNeverBuiltUpon(t *testing.T) {
	m := objstore.NewMemory()
	l := state.New(m, scope, state.WithWriterID("me"))
	other := state.New(m, scope, state.WithWriterID("other"))
	m.FailNextAfter(objstore.OpCreateIfAbsent, errors.New("timeout"))
	var inOther atomic.Bool
	var gets atomic.Int32
	m.SetHook(func(ctx context.Context, op objstore.Op, key string) error {
		if op != objstore.OpGet || key != l.Key(1) || inOther.Load() {
			return nil
		}
		switch gets.Add(1) {
		case 1: // checking the write: another writer builds on it first, and the read fails
			inOther.Store(true)
			mustUpdate(t, other, 1)
			inOther.Store(false)
			return errors.New("read timeout")
		case 2: // checking it again after loading version 2 fails too
			return errors.New("read timeout")
		}
		return nil
	})
	var calls atomic.Int32
	v, err := l.Update(t.Context(), incr(&calls))
	if err != nil {
		t.Fatal(err)
	}
	if v.Number != 1 || calls.Load() != 1 {
		t.Errorf("Update = version %d after %d fn calls, want version 1 after 1", v.Number, calls.Load())
	}
	if cur, err := other.Load(t.Context()); err != nil || cur.Number != 2 || decode(cur).N != 2 {
		t.Fatalf("Load = version %d counter %d (%v), want 2 and 2: the update was applied twice", cur.Number, decode(cur).N, err)
	}
}

func TestLosingTheRaceRetriesOnTheWinnersVersion(t *testing.T) {
	tests := []struct {
		name        string
		otherWriter string
	}{
		{"another writer", "other"},
		{"same writer id, another attempt", "me"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := objstore.NewMemory()
			other := state.New(m, scope, state.WithWriterID(tt.otherWriter))
			var fired atomic.Bool
			m.SetHook(func(ctx context.Context, op objstore.Op, key string) error {
				if op == objstore.OpCreateIfAbsent {
					if fired.CompareAndSwap(false, true) {
						mustUpdate(t, other, 1)
					}
				}
				return nil
			})
			l := state.New(m, scope, state.WithWriterID("me"))
			var seen []int64
			v, err := l.Update(t.Context(), func(cur state.Version) ([]byte, error) {
				seen = append(seen, cur.Number)
				c := decode(cur)
				c.N++
				return json.Marshal(c)
			})
			if err != nil {
				t.Fatal(err)
			}
			if v.Number != 2 || decode(v).N != 2 || !slices.Equal(seen, []int64{0, 1}) {
				t.Fatalf("Update = version %d counter %d, fn saw versions %v; want 2, 2, [0 1]", v.Number, decode(v).N, seen)
			}
		})
	}
}

func TestUpdateGivesUpAfterMaxAttempts(t *testing.T) {
	m := objstore.NewMemory()
	other := state.New(m, scope, state.WithWriterID("other"))
	var hook func(ctx context.Context, op objstore.Op, key string) error
	hook = func(ctx context.Context, op objstore.Op, key string) error {
		if op == objstore.OpCreateIfAbsent {
			m.SetHook(nil)
			mustUpdate(t, other, 1) // always one step ahead
			m.SetHook(hook)
		}
		return nil
	}
	m.SetHook(hook)
	l := state.New(m, scope, state.WithMaxAttempts(3))
	var calls atomic.Int32
	_, err := l.Update(t.Context(), incr(&calls))
	if !errors.Is(err, state.ErrTooManyAttempts) || errors.Is(err, state.ErrOutcomeUnknown) || !strings.Contains(err.Error(), scope) {
		t.Fatalf("Update = %v, want ErrTooManyAttempts naming the scope", err)
	}
	if calls.Load() != 3 {
		t.Errorf("fn called %d times, want 3", calls.Load())
	}
}

// staleWriter sets up a writer that read version 1 and, while it computed, another writer added
// ahead versions and pruned down to keep: the stale writer's create of version 2 succeeds into
// a key Prune freed.
func staleWriter(t *testing.T, ahead, keep int) (*objstore.Memory, *state.Log, *state.Log) {
	m := objstore.NewMemory()
	other := state.New(m, scope, state.WithWriterID("other"), state.WithKeep(keep))
	mustUpdate(t, other, 1)
	stale := state.New(m, scope, state.WithWriterID("stale"))
	var fired atomic.Bool
	m.SetHook(func(ctx context.Context, op objstore.Op, key string) error {
		if op == objstore.OpCreateIfAbsent && key == stale.Key(2) {
			if fired.CompareAndSwap(false, true) {
				mustUpdate(t, other, ahead)
				if err := other.Prune(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
		return nil
	})
	return m, stale, other
}

func TestAStaleWriteIntoAPrunedKeyIsNotTakenAsApplied(t *testing.T) {
	tests := []struct {
		name        string
		ahead, keep int
	}{
		{"successor still there", 10, 9}, // newest 11, versions 3..11 kept
		{"successor pruned too", 12, 9},  // newest 13, versions 5..13 kept
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, stale, _ := staleWriter(t, tt.ahead, tt.keep)
			var calls atomic.Int32
			v, err := stale.Update(t.Context(), incr(&calls))
			if err != nil {
				t.Fatal(err)
			}
			newest := int64(tt.ahead + 2)
			if v.Number != newest || decode(v).N != int(newest) || calls.Load() != 2 {
				t.Fatalf("Update = version %d counter %d after %d fn calls; want %d, %d, 2 (retried on the newest)",
					v.Number, decode(v).N, calls.Load(), newest, newest)
			}
			if got, err := state.New(m, scope).Load(t.Context()); err != nil || got.Number != newest {
				t.Fatalf("Load = %+v, %v; want version %d", got, err, newest)
			}
		})
	}
}

func TestAWriteWhoseFateWasPrunedAwayIsReportedUnknown(t *testing.T) {
	m := objstore.NewMemory()
	l := state.New(m, scope, state.WithWriterID("me"))
	other := state.New(m, scope, state.WithWriterID("other"), state.WithKeep(3))
	mustUpdate(t, l, 1)
	// Our create of version 2 lands but reports a timeout; before we can check, others build
	// on it and prune it and its successor away.
	m.FailNextAfter(objstore.OpCreateIfAbsent, errors.New("timeout"))
	var fired atomic.Bool
	m.SetHook(func(ctx context.Context, op objstore.Op, key string) error {
		if op == objstore.OpGet && key == l.Key(2) {
			if fired.CompareAndSwap(false, true) {
				mustUpdate(t, other, 5)
				if err := other.Prune(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
		return nil
	})
	var calls atomic.Int32
	_, err := l.Update(t.Context(), incr(&calls))
	if !errors.Is(err, state.ErrOutcomeUnknown) || !strings.Contains(err.Error(), scope) {
		t.Fatalf("Update = %v, want ErrOutcomeUnknown naming the scope", err)
	}
	if v, _ := l.Load(t.Context()); decode(v).N != 7 {
		t.Errorf("counter %d, want 7: our increment was applied once, under the others'", decode(v).N)
	}
}

func TestPruneKeepsTheNewestVersions(t *testing.T) {
	forEachStore(t, func(t *testing.T, s objstore.Store) {
		ctx := t.Context()
		l := state.New(s, scope, state.WithKeep(4))
		if err := l.Prune(ctx); err != nil {
			t.Fatalf("Prune of an empty log: %v", err)
		}
		mustUpdate(t, l, 3)
		if err := l.Prune(ctx); err != nil {
			t.Fatal(err)
		}
		if got := versionKeys(t, s, scope); !slices.Equal(got, keysOf(l, 1, 3)) {
			t.Fatalf("Prune of fewer than keep versions deleted some: %q", got)
		}
		mustUpdate(t, l, 12)
		for range 2 { // a second Prune changes nothing
			if err := l.Prune(ctx); err != nil {
				t.Fatal(err)
			}
			if got, want := versionKeys(t, s, scope), keysOf(l, 12, 15); !slices.Equal(got, want) {
				t.Fatalf("after Prune: %q, want %q", got, want)
			}
		}
		if err := state.New(s, scope, state.WithKeep(1)).Prune(ctx); err != nil {
			t.Fatal(err)
		}
		if got, want := versionKeys(t, s, scope), keysOf(l, 15, 15); !slices.Equal(got, want) {
			t.Fatalf("Prune(keep 1): %q, want %q", got, want)
		}
		if v := mustUpdate(t, state.New(s, scope), 1); v.Number != 16 || decode(v).N != 16 {
			t.Fatalf("Update after Prune = version %d counter %d, want 16", v.Number, decode(v).N)
		}
	})
}

func TestCorruptVersionIsAClearErrorNamingTheKey(t *testing.T) {
	tests := []struct {
		name string
		data string
	}{
		{"not JSON", "garbage"},
		{"empty object", ""},
		{"wrong version number", `{"version":7,"writer":"w","attempt":"a","time":"2025-01-01T00:00:00Z","data":{}}`},
		{"no data", `{"version":3,"writer":"w","attempt":"a","time":"2025-01-01T00:00:00Z"}`},
		{"no writer", `{"version":3,"attempt":"a","time":"2025-01-01T00:00:00Z","data":{}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachStore(t, func(t *testing.T, s objstore.Store) {
				l := state.New(s, scope)
				mustUpdate(t, l, 2)
				if err := s.Put(t.Context(), l.Key(3), []byte(tt.data)); err != nil {
					t.Fatal(err)
				}
				_, err := state.New(s, scope).Load(t.Context())
				if !errors.Is(err, state.ErrCorrupt) || !strings.Contains(err.Error(), l.Key(3)) {
					t.Fatalf("Load = %v, want ErrCorrupt naming %s", err, l.Key(3))
				}
				if _, err := l.Update(t.Context(), incr(new(atomic.Int32))); !errors.Is(err, state.ErrCorrupt) {
					t.Fatalf("Update = %v, want ErrCorrupt", err)
				}
				if got := versionKeys(t, s, scope); len(got) != 3 {
					t.Errorf("Update wrote past a corrupt version: %q", got)
				}
			})
		})
	}
}

func TestBadScopeOrOptionIsReturnedByEveryMethod(t *testing.T) {
	m := objstore.NewMemory()
	tests := []struct {
		name string
		log  *state.Log
	}{
		{"empty scope", state.New(m, "")},
		{"leading slash", state.New(m, "/jobs")},
		{"trailing slash", state.New(m, "jobs/")},
		{"empty segment", state.New(m, "jobs//x")},
		{"dot dot", state.New(m, "../jobs")},
		{"backslash", state.New(m, `jobs\x`)},
		{"too long", state.New(m, strings.Repeat("s", objstore.MaxKeyLen))},
		{"nil store", state.New(nil, scope)},
		{"keep 0", state.New(m, scope, state.WithKeep(0))},
		{"max attempts 0", state.New(m, scope, state.WithMaxAttempts(0))},
		{"empty writer id", state.New(m, scope, state.WithWriterID(""))},
		{"control character in writer id", state.New(m, scope, state.WithWriterID("a\nb"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, lerr := tt.log.Load(t.Context())
			_, uerr := tt.log.Update(t.Context(), incr(new(atomic.Int32)))
			perr := tt.log.Prune(t.Context())
			for name, err := range map[string]error{"Load": lerr, "Update": uerr, "Prune": perr} {
				if err == nil {
					t.Errorf("%s succeeded", name)
				}
			}
		})
	}
	if keys, _, _ := m.List(t.Context(), "", "", 0); len(keys) != 0 {
		t.Errorf("bad logs wrote %q", keys)
	}
}

func TestNestedScopesAreIndependent(t *testing.T) {
	forEachStore(t, func(t *testing.T, s objstore.Store) {
		ctx := t.Context()
		scopes := map[string]int{"jobs/a": 3, "jobs/a/windows": 5, "jobs/a/0": 4, "jobs/ab": 2}
		for sc, n := range scopes {
			mustUpdate(t, state.New(s, sc), n)
		}
		if err := state.New(s, "jobs/a", state.WithKeep(1)).Prune(ctx); err != nil {
			t.Fatal(err)
		}
		for sc, n := range scopes {
			v, err := state.New(s, sc).Load(ctx)
			if err != nil || v.Number != int64(n) || decode(v).N != n {
				t.Errorf("Load(%s) = %+v, %v; want version %d", sc, v, err, n)
			}
			want := n
			if sc == "jobs/a" {
				want = 1
			}
			if got := len(versionKeys(t, s, sc)) - nestedUnder(t, s, sc); got != want {
				t.Errorf("%s has %d versions, want %d", sc, got, want)
			}
		}
	})
}

// nestedUnder counts the keys of scopes nested in sc.
func nestedUnder(t *testing.T, s objstore.Store, sc string) int {
	n := 0
	for _, k := range versionKeys(t, s, sc) {
		if strings.Count(strings.TrimPrefix(k, state.Prefix+sc+"/"), "/") > 0 {
			n++
		}
	}
	return n
}

// countingStore counts List calls.
type countingStore struct {
	objstore.Store
	lists atomic.Int32
}

func (s *countingStore) List(ctx context.Context, prefix, after string, limit int) ([]string, string, error) {
	s.lists.Add(1)
	return s.Store.List(ctx, prefix, after, limit)
}

func TestLoadFindsTheNewestWithFewListCalls(t *testing.T) {
	tests := []struct {
		name          string
		from, to      int64
		extraKeys     []string
		maxListsFresh int32
	}{
		{"one page", 1, 100, nil, 1},
		{"exactly one full page", 1, 1000, nil, 2},
		{"many versions", 1, 5000, nil, 30},
		{"pruned bottom and nested scopes", 1201, 7777, []string{"x/0/y", "x/00000000000000000001.json/z", "x/1", "x/windows/00000000000000000001.json", "x/-"}, 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			s := &countingStore{Store: objstore.NewMemory()}
			l := state.New(s, "x")
			for n := tt.from; n <= tt.to; n++ {
				env := fmt.Sprintf(`{"version":%d,"writer":"w","attempt":"a%d","time":"2025-01-01T00:00:00Z","data":{"n":%d}}`, n, n, n)
				if err := s.Put(ctx, l.Key(n), []byte(env)); err != nil {
					t.Fatal(err)
				}
			}
			for _, k := range tt.extraKeys {
				if err := s.Put(ctx, state.Prefix+k, []byte("not a version")); err != nil {
					t.Fatal(err)
				}
			}
			v, err := l.Load(ctx)
			if err != nil || v.Number != tt.to || decode(v).N != int(tt.to) {
				t.Fatalf("Load = %+v, %v; want version %d", v, err, tt.to)
			}
			if got := s.lists.Load(); got > tt.maxListsFresh {
				t.Errorf("Load made %d List calls, want at most %d", got, tt.maxListsFresh)
			}
			s.lists.Store(0)
			if v = mustUpdate(t, l, 1); v.Number != tt.to+1 {
				t.Fatalf("Update = version %d, want %d", v.Number, tt.to+1)
			}
			if got := s.lists.Load(); got > 2 {
				t.Errorf("Update after Load made %d List calls, want at most 2", got)
			}
		})
	}
}

func TestConcurrentWritersLoseNoUpdate(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) { objstoretest.RunStateRace(t, st.new, 8, 50) })
	}
}
