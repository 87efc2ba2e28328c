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
