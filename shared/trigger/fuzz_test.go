package trigger

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzDecodeTimer checks that no input panics either decoder, and that a timer either
// decoder accepts survives a round trip through the FC event shape.
func FuzzDecodeTimer(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "events", "*.json"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{``, `{}`, `null`, `[]`, `{"triggerTime":""}`, `{"triggerTime":"2023-12-26T07:49:00Z","payload":"\u0000"}`,
		`{"detail-type":"Scheduled Event","time":"2015-10-08T16:53:06Z","detail":{"payload":{"a":[1,2]}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, decode := range []func([]byte) (Timer, error){DecodeTimer, DecodeScheduled} {
			tm, err := decode(b)
			if err != nil {
				continue
			}
			again, err := DecodeTimer(encodeFCTimer(t, tm))
			if err != nil {
				t.Fatalf("re-decoding accepted timer %+v: %v", tm, err)
			}
			if !again.TriggerTime.Equal(tm.TriggerTime) || again.TriggerName != tm.TriggerName || again.Payload != tm.Payload {
				t.Fatalf("round trip changed %+v into %+v", tm, again)
			}
		}
	})
}

func encodeFCTimer(t *testing.T, tm Timer) []byte {
	b, err := json.Marshal(map[string]string{
		"triggerTime": tm.TriggerTime.Format(time.RFC3339Nano),
		"triggerName": tm.TriggerName,
		"payload":     tm.Payload,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzDecodeBatchPayload checks that no payload panics the decoder and that what it accepts
// is well formed: a valid job name or none, and params with non-empty names.
func FuzzDecodeBatchPayload(f *testing.F) {
	for _, c := range batchCases {
		f.Add(c.payload)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		req, err := DecodeBatchPayload(payload)
		if err != nil {
			return
		}
		if req.Job != "" && !jobNamePattern.MatchString(req.Job) {
			t.Fatalf("accepted job name %q", req.Job)
		}
		for k := range req.Params {
			if k == "" {
				t.Fatalf("accepted an empty parameter name from %q", payload)
			}
		}
	})
}
