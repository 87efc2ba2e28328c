package snappy

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	ksnappy "github.com/klauspost/compress/snappy"
)

func TestEncodedBlocksDecodeWithAStandardSnappyDecoder(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 100_000)
	for i := range random {
		random[i] = byte(rnd.IntN(256))
	}
	cases := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"one byte", []byte{7}},
		{"repetitive text", []byte(strings.Repeat("order_id=ORD-000000001 status=paid ", 5000))},
		{"incompressible", random},
		{"json lines", []byte(strings.Repeat(`{"user":{"name":"Emma","email":"e@x.test"},"amount":29.57}`+"\n", 2000))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			enc, err := Codec{}.Encode(make([]byte, 3), c.in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ksnappy.Decode(nil, enc)
			if err != nil {
				t.Fatalf("standard decoder: %v", err)
			}
			if !bytes.Equal(got, c.in) {
				t.Fatalf("round trip through the standard decoder changed %d bytes into %d", len(c.in), len(got))
			}
			back, err := Codec{}.Decode(nil, ksnappy.Encode(nil, c.in))
			if err != nil || !bytes.Equal(back, c.in) {
				t.Fatalf("decoding a standard block: %v (got %d bytes, want %d)", err, len(back), len(c.in))
			}
		})
	}
}

func TestDecodeRejectsCorruptBlocks(t *testing.T) {
	enc, _ := Codec{}.Encode(nil, []byte(strings.Repeat("abcdef", 100)))
	for _, bad := range [][]byte{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, enc[:len(enc)/2]} {
		if _, err := (Codec{}).Decode(nil, bad); err == nil {
			t.Errorf("Decode(%x...) accepted a corrupt block", bad[:min(8, len(bad))])
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	src := []byte(strings.Repeat(`{"user":{"name":"Emma","email":"e@x.test"},"amount":29.57,"note":"back\\slash 東京"}`, 8000))
	b.SetBytes(int64(len(src)))
	for _, c := range []struct {
		name string
		enc  func(dst, src []byte) []byte
	}{
		{"fcsync", func(dst, src []byte) []byte { d, _ := Codec{}.Encode(dst, src); return d }},
		{"klauspost-better", ksnappy.Encode},
	} {
		b.Run(c.name, func(b *testing.B) {
			var dst []byte
			for b.Loop() {
				dst = c.enc(dst[:0], src)
			}
		})
	}
}
