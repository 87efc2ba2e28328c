package trigger

import (
	"cmp"
	"encoding/json"
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
		if !json.Valid(payload) {
			t.Fatalf("accepted a payload that is not JSON: %q", payload)
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

// FuzzSkipValueAgreesWithWalk checks the decoder's fast validating skip against the
// token walk that describes faults (they must agree on every input: verdict, end and
// blanks) and against encoding/json.
func FuzzSkipValueAgreesWithWalk(f *testing.F) {
	for _, s := range []string{
		`{"a":[1,-0.5e-3,2E+2,"x\"y",null,true,false],"b":{}}`, ` { "a" : [ 1 , 2 ] } `, `[]`, `"caf\u00e9 \n"`,
		`{"a":1,}`, `[1 2]`, `{"a" 1}`, `01`, `-`, `1.`, `1e+`, `tru`, `nul`, `"\x"`, "\"a\x01\"", "\"\xff\"",
		`{"a":"unterminated`, `[[[[`, `{"a":{"b":[{"c":null}]}}x`, "[1,\t2]\n", `{"k":tru}`, `[-]`,
	} {
		f.Add([]byte(s))
	}
	f.Add(workloadRecords(1)[0].Value)
	f.Fuzz(func(t *testing.T, doc []byte) {
		end, spaced, ok := skipValue(doc, 0, 0)
		w := jsonScanner{b: doc}
		err := w.walk(nil, 0)
		if ok != (err == nil) {
			t.Fatalf("skipValue(%q) ok = %v, walk says %v", doc, ok, err)
		}
		if !ok {
			return
		}
		if end != w.i || spaced != w.spaced {
			t.Fatalf("skipValue(%q) = %d, spaced %v; walk ends at %d, spaced %v", doc, end, spaced, w.i, w.spaced)
		}
		if !json.Valid(doc[:end]) {
			t.Fatalf("skipValue accepted %q: not JSON", doc[:end])
		}
	})
}
