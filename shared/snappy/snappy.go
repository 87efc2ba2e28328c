// Package snappy is the Parquet SNAPPY codec fcsync's writers use (Hudi base files and the
// local warehouse). parquet-go's own codec encodes with klauspost's "better" Snappy mode,
// which spends about four times the CPU of the default mode for a few per cent smaller
// pages; on the stream benchmark it was a quarter of all CPU. Codec encodes with the
// default mode (s2 in Snappy-compatible output: plain Snappy blocks any reader decodes).
package snappy

import (
	"github.com/klauspost/compress/s2"
	"github.com/parquet-go/parquet-go/format"
)

// Codec is a parquet-go compression codec (compress.Codec) writing standard Snappy blocks.
type Codec struct{}

// String names the codec.
func (Codec) String() string { return "SNAPPY" }

// CompressionCodec is the Parquet code written into column chunk metadata.
func (Codec) CompressionCodec() format.CompressionCodec { return format.Snappy }

// Encode compresses src into dst (reallocated when too small).
func (Codec) Encode(dst, src []byte) ([]byte, error) {
	n := s2.MaxEncodedLen(len(src))
	if n < 0 {
		return dst[:0], s2.ErrTooLarge
	}
	if cap(dst) < n {
		dst = make([]byte, n)
	}
	return s2.EncodeSnappy(dst[:n], src), nil
}

// Decode decompresses src into dst (reallocated when too small).
func (Codec) Decode(dst, src []byte) ([]byte, error) {
	n, err := s2.DecodedLen(src)
	if err != nil {
		return dst[:0], err
	}
	if cap(dst) < n {
		dst = make([]byte, n)
	}
	return s2.Decode(dst[:n], src)
}
