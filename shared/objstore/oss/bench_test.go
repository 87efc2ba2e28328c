package oss_test

import (
	"fmt"
	"testing"

	"github.com/fcsync/fcsync/shared/objstore/oss"
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

// BenchmarkTopUp writes a new base file made of the first 16 MiB of an old one and 2 MiB of new
// bytes, through the test server on loopback: PutWithPrefix (the prefix is copied on the server;
// 2 MiB go over the wire) against a ranged read of the prefix and a PutObject of the whole file
// (34 MiB over the wire). MB/s counts the 18 MiB file. On real OSS the difference is the network:
// the copy stays inside OSS.
func BenchmarkTopUp(b *testing.B) {
	const prefix, added = 16 << 20, 2 << 20
	old, data := make([]byte, prefix), make([]byte, added)
	for i := range old {
		old[i] = byte(i * 7)
	}
	for i := range data {
		data[i] = byte(i * 13)
	}
	run := func(b *testing.B, topUp func(s *oss.Store) error) {
		srv := osstest.New(b, osstest.WithBucket(bucket))
		s := newStore(b, srv, "bench")
		if err := s.Put(b.Context(), "lake/old.parquet", old); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(prefix + added)
		b.ReportAllocs()
		for b.Loop() {
			if err := topUp(s); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("PutWithPrefix", func(b *testing.B) {
		run(b, func(s *oss.Store) error {
			return s.PutWithPrefix(b.Context(), "lake/new.parquet", "lake/old.parquet", prefix, data)
		})
	})
	b.Run("GetRangeThenPut", func(b *testing.B) {
		run(b, func(s *oss.Store) error {
			p, err := s.GetRange(b.Context(), "lake/old.parquet", 0, prefix)
			if err != nil {
				return err
			}
			return s.Put(b.Context(), "lake/new.parquet", append(p, data...))
		})
	})
}
