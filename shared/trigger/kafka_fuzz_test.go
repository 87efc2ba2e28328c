package trigger

import (
	"cmp"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/fcsync/fcsync/shared/record"
)

// FuzzDecodeKafka checks that no payload panics DecodeKafka, that a failed decode returns
// nothing, and that whatever it accepts survives EncodeKafka in the same shape and format
// and decodes again to the same records.
func FuzzDecodeKafka(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "kafka", "samples", "*.json"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b, uint8(0))
		}
	}
	for i, c := range kafkaCases {
		f.Add([]byte(c.payload), uint8(i%4))
	}
	for _, shape := range KafkaShapes {
		if b, err := EncodeKafka(sampleRecords(), shape, binaryFormats...); err == nil {
			f.Add(b, uint8(3))
		}
	}
	formats := []DataFormat{FormatAuto, FormatJSON, FormatText, FormatBinary}
	f.Fuzz(func(t *testing.T, payload []byte, format uint8) {
		vf := formats[int(format)%len(formats)]
		kf := formats[int(format/4)%len(formats)]
		opts := []KafkaOption{WithValueFormat(vf), WithKeyFormat(kf)}
		ev, err := DecodeKafkaEvent(payload, opts...)
		if err != nil {
			if ev.Records != nil || ev.Shape != "" {
				t.Fatalf("failed decode returned %d records of shape %q", len(ev.Records), ev.Shape)
			}
			return
		}
		out, err := EncodeKafka(ev.Records, ev.Shape, opts...)
		if err != nil {
			t.Fatalf("encoding accepted records: %v", err)
		}
		again, err := DecodeKafkaEvent(out, opts...)
		if err != nil {
			t.Fatalf("decoding re-encoded payload: %v\n%s", err, out)
		}
		want, got := ev.Records, again.Records
		if ev.Shape == ShapeLambda { // re-encoding merges repeated "topic-partition" groups
			want, got = byPartition(want), byPartition(got)
		}
		if len(got) != len(want) {
			t.Fatalf("round trip gave %d records, want %d", len(got), len(want))
		}
		for i := range want {
			if diff := recordDiff(got[i], want[i]); diff != "" {
				t.Fatalf("record %d: %s", i, diff)
			}
		}
	})
}

func byPartition(recs []record.Record) []record.Record {
	out := slices.Clone(recs)
	slices.SortStableFunc(out, func(a, b record.Record) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	return out
}
