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
//
// GetRange and Size count as OpGet, PutWithPrefix as OpPut (with the key written, not the
// source): a hook or fault that targets the read of an object or the write of one applies
// whichever way a caller reads, sizes or writes it, so tests written against Get and Put keep
// meaning the same when their code under test moves to ranged reads, size lookups and
// server-side prefix copies.
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

var (
	_ Store        = (*Memory)(nil)
	_ RangeGetter  = (*Memory)(nil)
	_ PrefixPutter = (*Memory)(nil)
	_ Sizer        = (*Memory)(nil)
)

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
	return m.read(ctx, "get", key, func(data []byte) []byte { return data })
}

// GetRange implements RangeGetter. For faults and the hook it is an OpGet of key.
func (m *Memory) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	if off < 0 || n < 0 {
		return nil, fmt.Errorf("objstore memory: get range of %q: offset %d, length %d", key, off, n)
	}
	return m.read(ctx, "get range of", key, func(data []byte) []byte { return span(data, off, n) })
}

// Size implements Sizer. For faults and the hook it is an OpGet of key.
func (m *Memory) Size(ctx context.Context, key string) (int64, error) {
	if err := ValidKey(key); err != nil {
		return 0, fmt.Errorf("objstore memory: size: %w", err)
	}
	after, err := m.begin(ctx, OpGet, key)
	if err != nil {
		return 0, err
	}
	defer m.mu.Unlock()
	if after != nil {
		return 0, after
	}
	data, ok := m.objs[key]
	if !ok {
		return 0, fmt.Errorf("objstore memory: size of %q: %w", key, ErrNotFound)
	}
	return int64(len(data)), nil
}

// read returns a copy of part of an object (OpGet for faults and the hook); what names the
// operation in errors.
func (m *Memory) read(ctx context.Context, what, key string, part func([]byte) []byte) ([]byte, error) {
	if err := ValidKey(key); err != nil {
		return nil, fmt.Errorf("objstore memory: %s: %w", what, err)
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
		return nil, fmt.Errorf("objstore memory: %s %q: %w", what, key, ErrNotFound)
	}
	return slices.Clone(nonNil(part(data))), nil
}

// span returns data[off:off+n] clipped to data.
func span(data []byte, off, n int64) []byte {
	size := int64(len(data))
	if off >= size {
		return data[:0]
	}
	return data[off : off+min(n, size-off)]
}

// PutWithPrefix implements PrefixPutter. For faults and the hook it is an OpPut of key; a
// FailNextAfter fault applies it only when it would have succeeded.
func (m *Memory) PutWithPrefix(ctx context.Context, key, src string, n int64, data []byte) error {
	if err := ValidKey(key); err != nil {
		return fmt.Errorf("objstore memory: put with prefix: %w", err)
	}
	if err := ValidKey(src); err != nil {
		return fmt.Errorf("objstore memory: put %q with prefix: source: %w", key, err)
	}
	if n < 0 || key == src {
		return fmt.Errorf("objstore memory: put %q with %d bytes of %q: want a length >= 0 and another object", key, n, src)
	}
	after, err := m.begin(ctx, OpPut, key)
	if err != nil {
		return err
	}
	defer m.mu.Unlock()
	prefix, ok := m.objs[src]
	switch {
	case !ok:
		return fmt.Errorf("objstore memory: put %q with prefix: source %q: %w", key, src, ErrNotFound)
	case int64(len(prefix)) < n:
		return fmt.Errorf("objstore memory: put %q with prefix: source %q has %d bytes, want %d: %w", key, src, len(prefix), n, ErrShortSource)
	}
	whole := make([]byte, 0, int(n)+len(data))
	m.storeOwned(key, append(append(whole, prefix[:n]...), data...))
	return after
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
	m.storeOwned(key, slices.Clone(nonNil(data)))
}

// storeOwned writes data, which no caller holds; the caller holds m.mu.
func (m *Memory) storeOwned(key string, data []byte) {
	if _, ok := m.objs[key]; !ok {
		i, _ := slices.BinarySearch(m.keys, key)
		m.keys = slices.Insert(m.keys, i, key)
	}
	m.objs[key] = data
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
