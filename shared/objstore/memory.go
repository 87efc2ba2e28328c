package objstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// DefaultListLimit is the page size List uses when called with limit <= 0 (OSS's maximum).
const DefaultListLimit = 1000

// Op names a Store operation, for Memory's fault injection.
type Op string

// The Store operations.
const (
	OpGet            Op = "Get"
	OpPut            Op = "Put"
	OpCreateIfAbsent Op = "CreateIfAbsent"
	OpList           Op = "List"
	OpDelete         Op = "Delete"
)

// Memory is an in-memory Store, safe for concurrent use. It copies data in and out, so callers
// may reuse their slices. For tests it can inject faults: FailNext, FailNextAfter and SetHook.
type Memory struct {
	mu     sync.Mutex
	objs   map[string][]byte
	keys   []string // sorted
	faults []fault
	hook   func(ctx context.Context, op Op, key string) error
}

type fault struct {
	op    Op
	err   error
	after bool // apply the operation, then return err
}

// NewMemory returns an empty Memory.
func NewMemory() *Memory {
	return &Memory{objs: make(map[string][]byte)}
}

var _ Store = (*Memory)(nil)

// FailNext makes the next call of op fail with err without touching the objects. Calls queue up:
// two FailNext for one op fail its next two calls.
func (m *Memory) FailNext(op Op, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.faults = append(m.faults, fault{op: op, err: err})
}

// FailNextAfter makes the next call of op take effect and then return err, as when a request
// lands but its response is lost. FailNextAfter(OpCreateIfAbsent, ErrExists) simulates a retried
// PUT whose first attempt succeeded: the object is written, the caller sees ErrExists.
func (m *Memory) FailNextAfter(op Op, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.faults = append(m.faults, fault{op: op, err: err, after: true})
}

// SetHook installs h, called before every operation with the operation and its key (the prefix
// for List). A non-nil error fails the operation without touching the objects. h runs outside
// Memory's lock, so it may itself use the store, e.g. to play a concurrent writer that gets in
// between a read and a write. SetHook(nil) removes it.
func (m *Memory) SetHook(h func(ctx context.Context, op Op, key string) error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hook = h
}

// begin checks ctx and the key, runs the hook, and takes the lock. On success the caller holds
// m.mu and gets the pending "after" fault, if any.
func (m *Memory) begin(ctx context.Context, op Op, key string) (afterErr error, err error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("objstore memory: %s %q: %w", op, key, err)
	}
	m.mu.Lock()
	h := m.hook
	m.mu.Unlock()
	if h != nil {
		if err := h(ctx, op, key); err != nil {
			return nil, fmt.Errorf("objstore memory: %s %q: %w", op, key, err)
		}
	}
	m.mu.Lock()
	for i, f := range m.faults {
		if f.op != op {
			continue
		}
		m.faults = slices.Delete(m.faults, i, i+1)
		if !f.after {
			m.mu.Unlock()
			return nil, fmt.Errorf("objstore memory: %s %q: %w", op, key, f.err)
		}
		return fmt.Errorf("objstore memory: %s %q: %w", op, key, f.err), nil
	}
	return nil, nil
}

// Get implements Store.
func (m *Memory) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ValidKey(key); err != nil {
		return nil, fmt.Errorf("objstore memory: get: %w", err)
	}
	after, err := m.begin(ctx, OpGet, key)
	if err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	if after != nil {
		return nil, after
	}
	data, ok := m.objs[key]
	if !ok {
		return nil, fmt.Errorf("objstore memory: get %q: %w", key, ErrNotFound)
	}
	return slices.Clone(nonNil(data)), nil
}

// Put implements Store.
func (m *Memory) Put(ctx context.Context, key string, data []byte) error {
	if err := ValidKey(key); err != nil {
		return fmt.Errorf("objstore memory: put: %w", err)
	}
	after, err := m.begin(ctx, OpPut, key)
	if err != nil {
		return err
	}
	defer m.mu.Unlock()
	m.store(key, data)
	return after
}

// CreateIfAbsent implements Store.
func (m *Memory) CreateIfAbsent(ctx context.Context, key string, data []byte) error {
	if err := ValidKey(key); err != nil {
		return fmt.Errorf("objstore memory: create: %w", err)
	}
	after, err := m.begin(ctx, OpCreateIfAbsent, key)
	if err != nil {
		return err
	}
	defer m.mu.Unlock()
	if _, ok := m.objs[key]; ok {
		return fmt.Errorf("objstore memory: create %q: %w", key, ErrExists)
	}
	m.store(key, data)
	return after
}

// store writes a copy of data; the caller holds m.mu.
func (m *Memory) store(key string, data []byte) {
	if _, ok := m.objs[key]; !ok {
		i, _ := slices.BinarySearch(m.keys, key)
		m.keys = slices.Insert(m.keys, i, key)
	}
	m.objs[key] = slices.Clone(nonNil(data))
}

// List implements Store.
func (m *Memory) List(ctx context.Context, prefix, after string, limit int) ([]string, string, error) {
	if err := ValidPrefix(prefix); err != nil {
		return nil, "", fmt.Errorf("objstore memory: list: %w", err)
	}
	afterErr, err := m.begin(ctx, OpList, prefix)
	if err != nil {
		return nil, "", err
	}
	defer m.mu.Unlock()
	if afterErr != nil {
		return nil, "", afterErr
	}
	if limit <= 0 {
		limit = DefaultListLimit
	}
	i, _ := slices.BinarySearch(m.keys, prefix)
	if after >= prefix {
		j, found := slices.BinarySearch(m.keys, after)
		if found {
			j++
		}
		i = max(i, j)
	}
	var keys []string
	for ; i < len(m.keys) && strings.HasPrefix(m.keys[i], prefix); i++ {
		if len(keys) == limit {
			return keys, keys[len(keys)-1], nil
		}
		keys = append(keys, m.keys[i])
	}
	return keys, "", nil
}

// Delete implements Store.
func (m *Memory) Delete(ctx context.Context, key string) error {
	if err := ValidKey(key); err != nil {
		return fmt.Errorf("objstore memory: delete: %w", err)
	}
	after, err := m.begin(ctx, OpDelete, key)
	if err != nil {
		return err
	}
	defer m.mu.Unlock()
	if _, ok := m.objs[key]; ok {
		delete(m.objs, key)
		i, _ := slices.BinarySearch(m.keys, key)
		m.keys = slices.Delete(m.keys, i, i+1)
	}
	return after
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
