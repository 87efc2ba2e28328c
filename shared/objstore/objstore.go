// Package objstore is the small object-store interface fcsync keeps its state, run records and
// dirty data in: get, put, create-if-absent, list with continuation, delete. Create-if-absent is
// the only atomic primitive (OSS's x-oss-forbid-overwrite), so everything that must not be lost
// or written twice is built on it (see package state).
//
// Implementations: Memory (tests), Dir (a local directory; create-if-absent is atomic through
// link(2)), and OSS (package objstore/oss, issue 4).
package objstore

import (
	"context"
	"errors"
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
