package objstore_test

import (
	"testing"

	"github.com/fcsync/fcsync/shared/objstore"
)

// BenchmarkDirTopUp compares the two ways of writing a new base file made of the first 16 MiB of
// an old one and 2 MiB of new bytes: PutWithPrefix (the file system copies the prefix, with
// copy_file_range(2) on Linux) against reading the prefix and putting the whole file. Both fsync
// and rename. MB/s counts the 18 MiB written.
func BenchmarkDirTopUp(b *testing.B) {
	const prefix, added = 16 << 20, 2 << 20
	src, data := make([]byte, prefix), make([]byte, added)
	for i := range src {
		src[i] = byte(i * 7)
	}
	for i := range data {
		data[i] = byte(i * 13)
	}
	setup := func(b *testing.B) *objstore.Dir {
		d, err := objstore.NewDir(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		if err := d.Put(b.Context(), "lake/t/old.parquet", src); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(prefix + added)
		b.ReportAllocs()
		return d
	}
	b.Run("PutWithPrefix", func(b *testing.B) {
		d := setup(b)
		ctx := b.Context()
		for b.Loop() {
			if err := d.PutWithPrefix(ctx, "lake/t/new.parquet", "lake/t/old.parquet", prefix, data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("GetThenPut", func(b *testing.B) {
		d := setup(b)
		ctx := b.Context()
		for b.Loop() {
			old, err := d.Get(ctx, "lake/t/old.parquet")
			if err != nil {
				b.Fatal(err)
			}
			if err := d.Put(ctx, "lake/t/new.parquet", append(old[:prefix:prefix], data...)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
