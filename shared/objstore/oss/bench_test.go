package oss_test

import (
	"fmt"
	"testing"

	"github.com/fcsync/fcsync/shared/objstore/osstest"
	"github.com/fcsync/fcsync/shared/state"
)

// The benchmarks measure the store's own cost per operation (SDK, V4 signing, HTTP on loopback,
// the test server) with 1 KiB objects; network latency to real OSS comes on top.

func benchStore(b *testing.B) (*osstest.Server, []byte) {
	b.Helper()
	srv := osstest.New(b, osstest.WithBucket(bucket))
	data := make([]byte, 1<<10)
	for i := range data {
		data[i] = byte(i)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	return srv, data
}

func BenchmarkPut(b *testing.B) {
	srv, data := benchStore(b)
	s := newStore(b, srv, "bench")
	ctx := b.Context()
	for b.Loop() {
		if err := s.Put(ctx, "obj", data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGet(b *testing.B) {
	srv, data := benchStore(b)
	s := newStore(b, srv, "bench")
	ctx := b.Context()
	if err := s.Put(ctx, "obj", data); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Get(ctx, "obj"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCreateIfAbsent(b *testing.B) {
	srv, data := benchStore(b)
	s := newStore(b, srv, "bench")
	ctx := b.Context()
	i := 0
	for b.Loop() {
		if err := s.CreateIfAbsent(ctx, fmt.Sprintf("obj/%09d", i), data); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkStateUpdate is one uncontended state.Log.Update: list, get, create-if-absent, check.
func BenchmarkStateUpdate(b *testing.B) {
	srv, _ := benchStore(b)
	b.SetBytes(0)
	log := state.New(newStore(b, srv, "bench"), "jobs/bench")
	ctx := b.Context()
	for b.Loop() {
		if _, err := log.Update(ctx, func(state.Version) ([]byte, error) { return []byte(`{"offset":1}`), nil }); err != nil {
			b.Fatal(err)
		}
	}
}
