// Package objstore is the small object-store interface fcsync keeps its state, run records and
// dirty data in: get, put, create-if-absent, list with continuation, delete. Create-if-absent is
// the only atomic primitive (OSS's x-oss-forbid-overwrite), so everything that must not be lost
// or written twice is built on it (see package state).
//
// Implementations: Memory (tests), Dir (a local directory; create-if-absent is atomic through
// link(2)), and OSS (package objstore/oss).
//
// Beyond Store, a store may have optional capabilities, each with a function that uses it when the
// store has it and falls back to Get and Put when it does not: RangeGetter (GetRange), PrefixPutter
// (PutWithPrefix) and Sizer (Size). All three implementations have all of them.
package objstore

import (
	"context"
	"errors"
	"fmt"
)

// ErrExists is returned by CreateIfAbsent when the key already exists.
var ErrExists = errors.New("object already exists")

// ErrNotFound is returned by Get when the key does not exist.
var ErrNotFound = errors.New("object not found")

// Store is an object store. Keys are slash-separated paths without a leading slash; they follow
// ValidKey, and every operation rejects other keys with an error wrapping ErrInvalidKey. The
// package objstoretest holds the contract suite every implementation passes.
type Store interface {
	// Get returns the object's bytes, or ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	// Put writes the object, replacing any existing one.
	Put(ctx context.Context, key string, data []byte) error
	// CreateIfAbsent writes the object only if the key does not exist; otherwise ErrExists.
	CreateIfAbsent(ctx context.Context, key string, data []byte) error
	// List returns up to limit keys (limit <= 0: an implementation default) with the prefix, in
	// lexical order, strictly after the key `after` (empty: from the start). next is the key to pass
	// as `after` for the following page, or "" when there are no more.
	List(ctx context.Context, prefix, after string, limit int) (keys []string, next string, err error)
	// Delete removes the object; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// RangeGetter is a Store that reads part of an object (OSS: a ranged GET).
type RangeGetter interface {
	// GetRange returns the n bytes of the object from offset off, fewer if the object ends
	// first (none if it ends before off), or ErrNotFound.
	GetRange(ctx context.Context, key string, off, n int64) ([]byte, error)
}

// PrefixPutter is a Store that writes an object made of the beginning of another one and new
// bytes, without the copied bytes passing through the caller (OSS: a multipart upload whose
// first part is copied on the server).
type PrefixPutter interface {
	// PutWithPrefix writes key as the first n bytes of the object src followed by data,
	// replacing any object at key; src is unchanged and must differ from key. It returns
	// ErrNotFound when src does not exist and ErrShortSource when it has fewer than n bytes.
	PutWithPrefix(ctx context.Context, key, src string, n int64, data []byte) error
}

// Sizer is a Store that tells an object's size without reading it (OSS: HeadObject).
type Sizer interface {
	// Size returns the object's length in bytes, or ErrNotFound.
	Size(ctx context.Context, key string) (int64, error)
}

// ErrShortSource is returned by PutWithPrefix when the source object is shorter than the prefix.
var ErrShortSource = errors.New("source object is shorter than the prefix")

// GetRange reads part of an object: natively if s is a RangeGetter, else by reading all of it.
func GetRange(ctx context.Context, s Store, key string, off, n int64) ([]byte, error) {
	if off < 0 || n < 0 {
		return nil, fmt.Errorf("objstore: get range of %q: offset %d, length %d", key, off, n)
	}
	if rg, ok := s.(RangeGetter); ok {
		return rg.GetRange(ctx, key, off, n)
	}
	data, err := s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	if off >= int64(len(data)) {
		return data[:0], nil
	}
	return data[off : off+min(n, int64(len(data))-off)], nil
}

// Size returns an object's length: natively if s is a Sizer, else by reading it.
func Size(ctx context.Context, s Store, key string) (int64, error) {
	if sz, ok := s.(Sizer); ok {
		return sz.Size(ctx, key)
	}
	data, err := s.Get(ctx, key)
	if err != nil {
		return 0, err
	}
	return int64(len(data)), nil
}

// PutWithPrefix writes key as the first n bytes of src followed by data: natively if s is a
// PrefixPutter, else by reading those bytes and putting the whole object.
func PutWithPrefix(ctx context.Context, s Store, key, src string, n int64, data []byte) error {
	if n < 0 || key == src {
		return fmt.Errorf("objstore: put %q with %d bytes of %q: want a length >= 0 and another object", key, n, src)
	}
	if pp, ok := s.(PrefixPutter); ok {
		return pp.PutWithPrefix(ctx, key, src, n, data)
	}
	prefix, err := GetRange(ctx, s, src, 0, n)
	if err != nil {
		return err
	}
	if int64(len(prefix)) < n {
		return fmt.Errorf("objstore: put %q: %q has %d bytes, want %d: %w", key, src, len(prefix), n, ErrShortSource)
	}
	whole := make([]byte, 0, int(n)+len(data))
	return s.Put(ctx, key, append(append(whole, prefix...), data...))
}
