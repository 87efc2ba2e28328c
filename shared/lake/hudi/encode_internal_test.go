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
	const n = 9000
	rows := WorkloadRows(n)
	for i := range rows {
		rows[i][0] = fmt.Sprintf("ORD-%09d", i)
	}
	fs := newFileSchema("bench", WorkloadColumns)
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

// WorkloadColumns are the columns the stream benchmark's job writes (localrun/benchstream.yaml);
// with WorkloadRows, the hudi_test benchmarks use them too.
var WorkloadColumns = []schema.Column{
	{Name: "order_id", Type: schema.String},
	{Name: "user_name", Type: schema.String},
	{Name: "email_hash", Type: schema.String},
	{Name: "amount", Type: schema.Double},
	{Name: "status", Type: schema.String},
	{Name: "item_count", Type: schema.BigInt},
	{Name: "note", Type: schema.String},
}

// workloadNotes makes n distinct notes like the workload's: about 600 bytes of words, some of
// them non-ASCII or escaped in JSON.
func workloadNotes(n int) []string {
	r := rand.New(rand.NewPCG(1, 2))
	words := strings.Fields("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor " +
		"customer requested delivery before noon please leave parcel at the side door fragile handle " +
		"with care gift wrap included \"quoted\" text café naïve über 東京 back\\slash")
	notes := make([]string, n)
	for i := range notes {
		var b strings.Builder
		for target := 560 + r.IntN(80); b.Len() < target; {
			b.WriteString(words[r.IntN(len(words))])
			b.WriteByte(' ')
		}
		notes[i] = b.String()
	}
	return notes
}

// WorkloadRows makes n rows shaped like the stream benchmark's output: a 13-byte order id
// (set by the caller), a name, a 64-hex-digit hash, an amount, a status, an item count and a
// note of about 600 bytes with non-ASCII words (from a pool of 512 notes).
func WorkloadRows(n int) []schema.Row {
	r := rand.New(rand.NewPCG(20260101, 7))
	first := strings.Fields("Ava Liam Olivia Noah Emma Elijah Sophia Mateo Isabella Lucas Mia Levi Amelia Kenji")
	last := strings.Fields("Smith Garcia Kowalski Nguyen Okafor Müller Rossi Tanaka Silva Johansson Dubois Patel")
	notes := workloadNotes(512)
	statuses := []string{"created", "paid", "shipped", "delivered", "cancelled", "refunded"}
	rows := make([]schema.Row, n)
	for i := range rows {
		rows[i] = schema.Row{
			"",
			first[r.IntN(len(first))] + " " + last[r.IntN(len(last))],
			fmt.Sprintf("%016x%016x%016x%016x", r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()),
			float64(10000+r.IntN(90000)) / 100,
			statuses[r.IntN(len(statuses))],
			int64(5),
			notes[r.IntN(len(notes))],
		}
	}
	return rows
}
