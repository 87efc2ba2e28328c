package objstore_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/objstore/objstoretest"
)

func TestMemoryMeetsTheStoreContract(t *testing.T) {
	objstoretest.Run(t, func(*testing.T) objstore.Store { return objstore.NewMemory() })
}

// plainStore hides a store's optional capabilities: only the Store methods are promoted.
type plainStore struct{ objstore.Store }

func TestFallbacksOfTheOptionalCapabilitiesMeetTheStoreContract(t *testing.T) {
	if _, ok := any(plainStore{}).(objstore.RangeGetter); ok {
		t.Fatal("plainStore has GetRange")
	}
	if _, ok := any(plainStore{}).(objstore.PrefixPutter); ok {
		t.Fatal("plainStore has PutWithPrefix")
	}
	if _, ok := any(plainStore{}).(objstore.Sizer); ok {
		t.Fatal("plainStore has Size")
	}
	objstoretest.Run(t, func(*testing.T) objstore.Store { return plainStore{objstore.NewMemory()} })
}

var errInjected = errors.New("injected")

func TestMemoryFailNextFailsOnceWithoutEffect(t *testing.T) {
	ctx := t.Context()
	m := objstore.NewMemory()
	m.FailNext(objstore.OpPut, errInjected)
	if err := m.Put(ctx, "k", []byte("v")); !errors.Is(err, errInjected) {
		t.Fatalf("first Put = %v, want the injected error", err)
	}
	if _, err := m.Get(ctx, "k"); !errors.Is(err, objstore.ErrNotFound) {
		t.Fatalf("a failed Put wrote the object: Get = %v", err)
	}
	if err := m.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatalf("second Put = %v, want success", err)
	}
}

func TestMemoryFailNextAfterAppliesThenFails(t *testing.T) {
	ctx := t.Context()
	m := objstore.NewMemory()
	m.FailNextAfter(objstore.OpCreateIfAbsent, objstore.ErrExists)
	if err := m.CreateIfAbsent(ctx, "k", []byte("first")); !errors.Is(err, objstore.ErrExists) {
		t.Fatalf("CreateIfAbsent = %v, want the injected ErrExists", err)
	}
	got, err := m.Get(ctx, "k")
	if err != nil || string(got) != "first" {
		t.Fatalf("Get = %q, %v; want the object written despite the error", got, err)
	}
}

func TestMemoryFaultsMatchTheirOperationInOrder(t *testing.T) {
	ctx := t.Context()
	m := objstore.NewMemory()
	errA, errB := errors.New("a"), errors.New("b")
	m.FailNext(objstore.OpDelete, errA)
	m.FailNext(objstore.OpDelete, errB)
	if _, err := m.Get(ctx, "k"); !errors.Is(err, objstore.ErrNotFound) {
		t.Fatalf("Get consumed a Delete fault: %v", err)
	}
	for _, want := range []error{errA, errB, nil} {
		if err := m.Delete(ctx, "k"); !errors.Is(err, want) || (want == nil && err != nil) {
			t.Fatalf("Delete = %v, want %v", err, want)
		}
	}
}

func TestMemoryHookSeesEveryOperationAndCanUseTheStore(t *testing.T) {
	ctx := t.Context()
	m := objstore.NewMemory()
	var seen []string
	m.SetHook(func(ctx context.Context, op objstore.Op, key string) error {
		seen = append(seen, string(op)+" "+key)
		if op == objstore.OpCreateIfAbsent && key == "contested" {
			m.SetHook(nil)
			return m.Put(ctx, key, []byte("sneaked in")) // a concurrent writer gets there first
		}
		return nil
	})
	_ = m.Put(ctx, "p", nil)
	_, _ = m.Get(ctx, "p")
	_, _, _ = m.List(ctx, "pre", "", 0)
	_ = m.Delete(ctx, "p")
	if err := m.CreateIfAbsent(ctx, "contested", []byte("mine")); !errors.Is(err, objstore.ErrExists) {
		t.Fatalf("CreateIfAbsent after the hook's Put = %v, want ErrExists", err)
	}
	want := []string{"Put p", "Get p", "List pre", "Delete p", "CreateIfAbsent contested"}
	if !slices.Equal(seen, want) {
		t.Errorf("hook saw %q, want %q", seen, want)
	}
}

func TestMemoryHookErrorFailsTheOperation(t *testing.T) {
	m := objstore.NewMemory()
	m.SetHook(func(context.Context, objstore.Op, string) error { return errInjected })
	if err := m.Put(t.Context(), "k", nil); !errors.Is(err, errInjected) {
		t.Fatalf("Put = %v, want the hook's error", err)
	}
	m.SetHook(nil)
	if _, err := m.Get(t.Context(), "k"); !errors.Is(err, objstore.ErrNotFound) {
		t.Fatalf("Get = %v: the failed Put must not have written", err)
	}
}

func TestMemoryRangeReadsAreGetsAndPrefixPutsArePutsForFaultsAndHooks(t *testing.T) {
	ctx := t.Context()
	m := objstore.NewMemory()
	if err := m.Put(ctx, "src", []byte("0123456789")); err != nil {
		t.Fatal(err)
	}
	var seen []string
	m.SetHook(func(_ context.Context, op objstore.Op, key string) error {
		seen = append(seen, string(op)+" "+key)
		return nil
	})
	if got, err := m.GetRange(ctx, "src", 2, 3); err != nil || string(got) != "234" {
		t.Fatalf("GetRange = %q, %v", got, err)
	}
	if err := m.PutWithPrefix(ctx, "dst", "src", 4, []byte("x")); err != nil {
		t.Fatal(err)
	}
	m.SetHook(nil)
	if want := []string{"Get src", "Put dst"}; !slices.Equal(seen, want) {
		t.Errorf("hook saw %q, want %q", seen, want)
	}

	tests := []struct {
		name    string
		op      objstore.Op
		after   bool
		wantDst string // "": no object
	}{
		{"FailNext(OpPut) fails it without effect", objstore.OpPut, false, ""},
		{"FailNextAfter(OpPut) writes it and then fails", objstore.OpPut, true, "0123x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := m.Delete(ctx, "dst"); err != nil {
				t.Fatal(err)
			}
			if tt.after {
				m.FailNextAfter(tt.op, errInjected)
			} else {
				m.FailNext(tt.op, errInjected)
			}
			if err := m.PutWithPrefix(ctx, "dst", "src", 4, []byte("x")); !errors.Is(err, errInjected) {
				t.Fatalf("PutWithPrefix = %v, want the injected fault", err)
			}
			got, err := m.Get(ctx, "dst")
			if tt.wantDst == "" {
				if !errors.Is(err, objstore.ErrNotFound) {
					t.Fatalf("Get = %q, %v; want no object", got, err)
				}
				return
			}
			if err != nil || string(got) != tt.wantDst {
				t.Fatalf("Get = %q, %v; want %q", got, err, tt.wantDst)
			}
		})
	}
	m.FailNext(objstore.OpGet, errInjected)
	if _, err := m.GetRange(ctx, "src", 0, 1); !errors.Is(err, errInjected) {
		t.Fatalf("GetRange after FailNext(OpGet) = %v, want the injected fault", err)
	}
}

func TestMemorySizeIsAGetForFaultsAndHooks(t *testing.T) {
	ctx := t.Context()
	m := objstore.NewMemory()
	if err := m.Put(ctx, "k", []byte("12345")); err != nil {
		t.Fatal(err)
	}
	var seen []string
	m.SetHook(func(_ context.Context, op objstore.Op, key string) error {
		seen = append(seen, string(op)+" "+key)
		return nil
	})
	if n, err := m.Size(ctx, "k"); err != nil || n != 5 {
		t.Fatalf("Size = %d, %v; want 5", n, err)
	}
	m.SetHook(nil)
	if want := []string{"Get k"}; !slices.Equal(seen, want) {
		t.Errorf("hook saw %q, want %q", seen, want)
	}
	for _, after := range []bool{false, true} {
		if after {
			m.FailNextAfter(objstore.OpGet, errInjected)
		} else {
			m.FailNext(objstore.OpGet, errInjected)
		}
		if n, err := m.Size(ctx, "k"); !errors.Is(err, errInjected) {
			t.Fatalf("Size after a fault on OpGet (after %v) = %d, %v; want the injected fault", after, n, err)
		}
	}
	if n, err := m.Size(ctx, "k"); err != nil || n != 5 {
		t.Fatalf("Size once the faults are used up = %d, %v; want 5", n, err)
	}
}
