package hudi

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/fcsync/fcsync/shared/schema"
)

// BenchmarkEncodeBaseFile encodes 9,000 rows shaped like the stream benchmark's (7 columns, a
// 600-byte note with non-ASCII words) into a base file in memory, as writeFile does for new
// rows: the encoder alone, without the store.
func BenchmarkEncodeBaseFile(b *testing.B) {
	cols := []schema.Column{
		{Name: "order_id", Type: schema.String},
		{Name: "user_name", Type: schema.String},
		{Name: "email_hash", Type: schema.String},
		{Name: "amount", Type: schema.Double},
		{Name: "status", Type: schema.String},
		{Name: "item_count", Type: schema.BigInt},
		{Name: "note", Type: schema.String},
	}
	r := rand.New(rand.NewPCG(1, 2))
	words := strings.Fields("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor " +
		"customer requested delivery before noon please leave parcel at the side door fragile handle " +
		"with care gift wrap included \"quoted\" text café naïve über 東京 back\\slash")
	const n = 9000
	rows := make([]schema.Row, n)
	for i := range rows {
		var note strings.Builder
		for note.Len() < 600 {
			note.WriteString(words[r.IntN(len(words))])
			note.WriteByte(' ')
		}
		rows[i] = schema.Row{fmt.Sprintf("ORD-%09d", i), "Emma Müller", fmt.Sprintf("%064x", r.Uint64()),
			float64(r.IntN(100000)) / 100, "paid", int64(5), note.String()}
	}
	fs := newFileSchema("bench", cols)
	const instant = "20260101000000000"
	name := "00000000-0000-0000-0000-000000000001-0_0-1-0_" + instant + ".parquet"
	b.ReportAllocs()
	b.SetBytes(int64(n * 700))
	for b.Loop() {
		bw := fs.newWriter()
		bw.collectKeys = true
		bw.keys = make([]string, 0, n)
		var meta [numMeta]string
		for i, row := range rows {
			meta = [numMeta]string{instant, bw.rowText(instant+"_0_", i), row[0].(string), "", name}
			if err := bw.add(&meta, func(c int) any { return row[c] }); err != nil {
				b.Fatal(err)
			}
		}
		if _, _, err := bw.finish(); err != nil {
			b.Fatal(err)
		}
	}
}
