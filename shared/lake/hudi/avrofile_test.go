package hudi

import (
	"bytes"
	"maps"
	"slices"
	"strings"
	"testing"
)

var samplePlans = []*cleanPlan{
	{Earliest: "20240506070812000", LastCompleted: "20240506070815000", Files: map[string][]string{}},
	{Earliest: "20240506070812000", LastCompleted: "20240506070812000", Files: map[string][]string{
		"":                     {"a-0_0-1-0_20240506070811000.parquet"},
		"user_name=ann":        {"b-0_0-1-0_20240506070810000.parquet", "c-0_1-1-0_20240506070811000.parquet"},
		"2024/05/06/ünïcode/x": {strings.Repeat("d", 300) + "-0_0-1-0_20240506070811000.parquet"},
	}},
}

func TestCleanPlansRoundTrip(t *testing.T) {
	for _, p := range samplePlans {
		data := p.encode()
		if !bytes.Equal(data, p.encode()) {
			t.Error("encoding a plan twice gave different bytes")
		}
		got, err := decodeCleanPlan(data)
		if err != nil {
			t.Fatal(err)
		}
		if got.Earliest != p.Earliest || got.LastCompleted != p.LastCompleted || !maps.EqualFunc(got.Files, p.Files, slices.Equal) {
			t.Errorf("decoded %+v, want %+v", got, p)
		}
	}
}

func TestBrokenCleanPlansAreErrors(t *testing.T) {
	good := samplePlans[1].encode()
	other := (&cleanMetadata{Instant: "20240506070812000", Deleted: map[string][]string{"": {"x"}}}).encode()
	cases := map[string][]byte{
		"empty":            nil,
		"not Avro":         []byte("{\"json\": true}"),
		"truncated":        good[:len(good)-20],
		"clean metadata":   other,
		"trailing garbage": append(slices.Clone(good[:len(good)-16]), append([]byte{0xff}, good[len(good)-16:]...)...),
		"flipped sync":     append(slices.Clone(good[:len(good)-1]), good[len(good)-1]^1),
	}
	for name, data := range cases {
		if _, err := decodeCleanPlan(data); err == nil {
			t.Errorf("%s: decoded without an error", name)
		}
	}
}

// FuzzDecodeCleanPlan feeds arbitrary bytes to the plan decoder: it must not panic, and what
// it accepts must encode back to a plan that decodes the same.
func FuzzDecodeCleanPlan(f *testing.F) {
	for _, p := range samplePlans {
		data := p.encode()
		f.Add(data)
		f.Add(data[:len(data)/2])
	}
	f.Add([]byte("Obj\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := decodeCleanPlan(data)
		if err != nil {
			return
		}
		again, err := decodeCleanPlan(p.encode())
		if err != nil {
			t.Fatalf("re-encoded plan does not decode: %v", err)
		}
		if again.Earliest != p.Earliest || again.LastCompleted != p.LastCompleted || !maps.EqualFunc(again.Files, p.Files, slices.Equal) {
			t.Fatalf("round trip changed the plan: %+v -> %+v", p, again)
		}
	})
}
