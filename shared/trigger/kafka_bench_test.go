package trigger

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/record"
)

// benchRecords makes n records with JSON object values of about 1 KB.
func benchRecords(n int) []record.Record {
	// A note like the stream workload's (../shared/bench/stream-workload): words with
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

// BenchmarkDecodeKafka decodes a 10,000-record batch of ~1 KB JSON values in each shape
// and reports ns/record and allocs per batch.
func BenchmarkDecodeKafka(b *testing.B) {
	recs := benchRecords(10000)
	cases := []struct {
		shape KafkaShape
		opts  []KafkaOption
	}{
		{ShapeCloudEvents, nil},
		{ShapeCloudEventStrings, nil},
		{ShapeRawData, []KafkaOption{WithValueFormat(FormatText)}},
		{ShapeLambda, nil},
	}
	for _, c := range cases {
		payload, err := EncodeKafka(recs, c.shape, c.opts...)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(string(c.shape), func(b *testing.B) {
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
