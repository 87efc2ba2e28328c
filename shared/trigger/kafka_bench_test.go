package trigger

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/record"
)

// benchRecords makes n records with JSON object values of about 1 KB.
func benchRecords(n int) []record.Record {
	// A note like the stream workload's (package localrun/workload): words with
	// escapes and non-ASCII text in between.
	pad := strings.Repeat(`delivery naïve 東京 back\\slash \"quoted\" tab\tseparated newline\nescaped café `, 10)
	ts := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	recs := make([]record.Record, n)
	for i := range recs {
		recs[i] = record.Record{
			Topic: "orders", Partition: int32(i % 12), Offset: int64(i), Timestamp: ts.Add(time.Duration(i) * time.Millisecond),
			Key: fmt.Appendf(nil, "order-%08d", i),
			Value: fmt.Appendf(nil, `{"id":%d,"customer":"c-%05d","amount":%d.%02d,"currency":"EUR","status":"paid","items":[{"sku":"a-1","qty":2},{"sku":"b-7","qty":1}],"note":"caf\u00e9 %s","tags":["x","y"],"ok":true,"ref":null}`,
				i, i%50000, i%1000, i%100, pad),
			Headers: []record.Header{{Key: "trace", Value: []byte("0123456789abcdef")}},
		}
	}
	return recs
}

// workloadRecords makes n records like the stream benchmark's workload
// (package localrun/workload): ~1 KB shop orders whose ~600-byte
// note mixes plain words, escapes and non-ASCII text, one partition, offsets
// from 0, timestamps a millisecond apart, no key and no headers, as
// localrun bench-stream sends them.
func workloadRecords(n int) []record.Record {
	rng := rand.New(rand.NewPCG(20260101, 0))
	first := []string{"Ava", "Liam", "Olivia", "Noah", "Emma", "Elijah", "Sophia", "Mateo", "Isabella", "Lucas",
		"Mia", "Levi", "Amelia", "Kenji", "Harper", "Aarav", "Evelyn", "Chen", "Zoe", "Omar"}
	last := []string{"Smith", "Garcia", "Kowalski", "Nguyen", "Okafor", "Müller", "Rossi", "Tanaka", "Silva",
		"Johansson", "Dubois", "Patel", "Kim", "O'Brien", "Novak", "Haddad", "Ivanova", "Lopez"}
	domains := []string{"example.com", "mail.example.org", "corp.example.net", "inbox.test"}
	status := []string{"created", "paid", "shipped", "delivered", "cancelled", "refunded"}
	// The words as JSON text: escapes written as the generator's json.dumps writes them.
	words := strings.Split(`lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut `+
		`labore et dolore magna aliqua customer requested delivery before noon please leave parcel `+
		`at the side door fragile handle with care gift wrap included \"quoted\" text café naïve `+
		`über 東京 emoji-free tab\tseparated back\\slash newline\nescaped`, " ")
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	recs := make([]record.Record, n)
	for i := range recs {
		fn, ln := first[rng.IntN(len(first))], last[rng.IntN(len(last))]
		v := fmt.Appendf(nil, `{"order_id":"ORD-%09d","created_at":"2026-01-%02dT%02d:%02d:%02dZ","user":{"name":"%s %s","email":"%s.%s%d@%s","phone":"+1-%03d-%03d-%04d"},"items":[`,
			i+1, 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), rng.IntN(60), fn, ln,
			strings.ToLower(fn), strings.ToLower(strings.ReplaceAll(ln, "'", "")), rng.IntN(10000), domains[rng.IntN(len(domains))],
			200+rng.IntN(800), rng.IntN(1000), rng.IntN(10000))
		for j := range 5 {
			if j > 0 {
				v = append(v, ',')
			}
			v = fmt.Appendf(v, `{"sku":"SKU-%06d","qty":%d,"price":%.2f}`, rng.IntN(1_000_000), 1+rng.IntN(9), 0.5+rng.Float64()*249.5)
		}
		v = fmt.Appendf(v, `],"amount":%.2f,"currency":"USD","status":"%s","note":"`, rng.Float64()*1000, status[rng.IntN(len(status))])
		for size, target := 0, 560+rng.IntN(81); size < target; {
			if size > 0 {
				v = append(v, ' ')
			}
			w := words[rng.IntN(len(words))]
			v = append(v, w...)
			size += len(w) + 1
		}
		v = append(v, `"}`...)
		recs[i] = record.Record{Topic: "orders", Offset: int64(i), Timestamp: t0.Add(time.Duration(i) * time.Millisecond), Value: v}
	}
	return recs
}

// BenchmarkDecodeKafka decodes a 10,000-record batch of ~1 KB JSON values in each shape
// and reports ns/record and allocs per batch.
func BenchmarkDecodeKafka(b *testing.B) {
	cases := []struct {
		name  string
		recs  func(n int) []record.Record
		shape KafkaShape
		opts  []KafkaOption
	}{
		// The stream benchmark's batches: 10,000 shop orders as cloud events.
		{"workload", workloadRecords, ShapeCloudEvents, nil},
		{string(ShapeCloudEvents), benchRecords, ShapeCloudEvents, nil},
		{string(ShapeCloudEventStrings), benchRecords, ShapeCloudEventStrings, nil},
		{string(ShapeRawData), benchRecords, ShapeRawData, []KafkaOption{WithValueFormat(FormatText)}},
		{string(ShapeLambda), benchRecords, ShapeLambda, nil},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			recs := c.recs(10000)
			payload, err := EncodeKafka(recs, c.shape, c.opts...)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(payload)))
			b.ReportAllocs()
			for b.Loop() {
				got, err := DecodeKafka(payload, c.opts...)
				if err != nil || len(got) != len(recs) {
					b.Fatalf("decoded %d records: %v", len(got), err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
		})
	}
}

// BenchmarkEncodeKafka encodes the same batch as cloud events (the emulator's hot path).
func BenchmarkEncodeKafka(b *testing.B) {
	recs := benchRecords(10000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeKafka(recs, ShapeCloudEvents); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}
