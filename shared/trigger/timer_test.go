package trigger

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// renderTimer prints a decode result the way golden files hold it.
func renderTimer(t Timer, err error) string {
	if err != nil {
		return "error: " + err.Error() + "\n"
	}
	return fmt.Sprintf("triggerTime: %s\ntriggerName: %q\npayload: %q\n",
		t.TriggerTime.Format(time.RFC3339Nano), t.TriggerName, t.Payload)
}

func TestDecodeScheduledMatchesGoldenForEveryEventFile(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) == 0 {
		t.Fatal("no event files in testdata/events")
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".json")
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			tm, err := DecodeScheduled(b)
			if bad := strings.HasPrefix(name, "bad-"); bad != (err != nil) {
				t.Errorf("file named %s: error = %v, want error: %v", name, err, bad)
			}
			checkGolden(t, strings.TrimSuffix(in, ".json")+".golden", []byte(renderTimer(tm, err)))
		})
	}
}

// TestDecodeTimerAcceptsTheOfficialSample decodes the FC timer sample (an object, or an array
// of them; see testdata/README.md) and checks every field against a plain map decode.
func TestDecodeTimerAcceptsTheOfficialSample(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "timer", "samples", "timer.json"))
	if err != nil {
		t.Fatal(err)
	}
	var samples []json.RawMessage
	if err := json.Unmarshal(b, &samples); err != nil {
		samples = []json.RawMessage{b}
	}
	for i, s := range samples {
		var want map[string]string
		if err := json.Unmarshal(s, &want); err != nil {
			t.Fatalf("sample %d: %v", i, err)
		}
		for name, decode := range map[string]func([]byte) (Timer, error){"DecodeTimer": DecodeTimer, "DecodeScheduled": DecodeScheduled} {
			got, err := decode(s)
			if err != nil {
				t.Fatalf("%s(sample %d): %v", name, i, err)
			}
			if got.TriggerTime.Format(time.RFC3339Nano) != want["triggerTime"] || got.TriggerName != want["triggerName"] || got.Payload != want["payload"] {
				t.Errorf("%s(sample %d) = %+v, want %v", name, i, got, want)
			}
		}
	}
}

func TestDecodeTimerReadsEachField(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Timer
	}{
		{
			name: "all fields",
			in:   `{"triggerTime":"2023-12-26T07:49:00Z","triggerName":"timer-trigger","payload":"awesome-fc"}`,
			want: Timer{TriggerTime: time.Date(2023, 12, 26, 7, 49, 0, 0, time.UTC), TriggerName: "timer-trigger", Payload: "awesome-fc"},
		},
		{
			name: "payload holding JSON stays text",
			in:   `{"triggerTime":"2023-12-26T07:49:00Z","payload":"{\"job\":\"a\"}"}`,
			want: Timer{TriggerTime: time.Date(2023, 12, 26, 7, 49, 0, 0, time.UTC), Payload: `{"job":"a"}`},
		},
		{
			name: "null name and payload are empty",
			in:   `{"triggerTime":"2023-12-26T07:49:00Z","triggerName":null,"payload":null}`,
			want: Timer{TriggerTime: time.Date(2023, 12, 26, 7, 49, 0, 0, time.UTC)},
		},
		{
			name: "offset time keeps its instant",
			in:   `{"triggerTime":"2023-12-26T15:49:00+08:00"}`,
			want: Timer{TriggerTime: time.Date(2023, 12, 26, 7, 49, 0, 0, time.UTC)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeTimer([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !got.TriggerTime.Equal(tt.want.TriggerTime) || got.TriggerName != tt.want.TriggerName || got.Payload != tt.want.Payload {
				t.Errorf("DecodeTimer = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeTimerRejectsBadEventsNamingTheProblem(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{"empty input", ``, "malformed JSON"},
		{"not JSON", `<timer/>`, "malformed JSON at byte 1"},
		{"truncated", `{"triggerTime":"2023-12-26T07:49:00Z"`, "malformed JSON"},
		{"trailing data", `{"triggerTime":"2023-12-26T07:49:00Z"} {}`, "malformed JSON"},
		{"array", `[]`, "must be a JSON object, got array"},
		{"string", `"2023-12-26T07:49:00Z"`, "must be a JSON object, got string"},
		{"null", `null`, "must be a JSON object, got null"},
		{"missing time", `{"triggerName":"t"}`, `"triggerTime" is missing`},
		{"time as number", `{"triggerTime":1703576940}`, `"triggerTime": must be an RFC 3339 time string, got number`},
		{"time without zone", `{"triggerTime":"2023-12-26T07:49:00"}`, `is not an RFC 3339 time`},
		{"name as number", `{"triggerTime":"2023-12-26T07:49:00Z","triggerName":7}`, `"triggerName": must be a string, got number`},
		{"payload as object", `{"triggerTime":"2023-12-26T07:49:00Z","payload":{"job":"a"}}`, `"payload": must be a string, got object (embed JSON as a string)`},
		{"invalid UTF-8", "{\"triggerTime\":\"2023-12-26T07:49:00Z\",\"payload\":\"\x93\"}", "not valid UTF-8"},
		{"aws shape", `{"detail-type":"Scheduled Event","time":"2023-12-26T07:49:00Z"}`, `"triggerTime" is missing`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeTimer([]byte(tt.in))
			if err == nil {
				t.Fatalf("DecodeTimer(%q) = %+v, want error containing %q", tt.in, got, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "trigger: fc timer event: ") {
				t.Errorf("DecodeTimer(%q) error = %q, want it to start with the event kind and contain %q", tt.in, err, tt.wantErr)
			}
		})
	}
}

func TestDecodeScheduledTurnsAWSDetailIntoPayload(t *testing.T) {
	const envelope = `{"version":"0","detail-type":"Scheduled Event","source":"aws.events","time":"2015-10-08T16:53:06Z","resources":%s,"detail":%s}`
	tests := []struct {
		name, resources, detail string
		wantName, wantPayload   string
	}{
		{"empty detail", `["arn:rule/a","arn:rule/b"]`, `{}`, "arn:rule/a", ""},
		{"null detail", `[]`, `null`, "", ""},
		{"payload string", `["arn:rule/a"]`, `{"payload":"orders"}`, "arn:rule/a", "orders"},
		{"payload null", `["arn:rule/a"]`, `{"payload":null}`, "arn:rule/a", ""},
		{"payload object", `null`, `{"payload": {"job": "orders"}}`, "", `{"job":"orders"}`},
		{"payload number is detail", `null`, `{"payload": 5}`, "", `{"payload":5}`},
		{"payload beside other keys is detail", `null`, `{"payload":"x", "job":"y"}`, "", `{"payload":"x","job":"y"}`},
		{"other object compacted in order", `null`, `{ "job" : "orders", "params": {"b":"2","a":"1"} }`, "", `{"job":"orders","params":{"b":"2","a":"1"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeScheduled([]byte(fmt.Sprintf(envelope, tt.resources, tt.detail)))
			if err != nil {
				t.Fatal(err)
			}
			want := time.Date(2015, 10, 8, 16, 53, 6, 0, time.UTC)
			if !got.TriggerTime.Equal(want) || got.TriggerName != tt.wantName || got.Payload != tt.wantPayload {
				t.Errorf("DecodeScheduled = %+v, want time %s, name %q, payload %q", got, want, tt.wantName, tt.wantPayload)
			}
		})
	}
}

func TestDecodeScheduledRejectsEventsThatAreNotSchedules(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{"neither shape", `{"time":"2015-10-08T16:53:06Z"}`, "neither an FC timer event"},
		{"other detail-type", `{"detail-type":"Object Created","time":"2015-10-08T16:53:06Z"}`, `"detail-type" is "Object Created", want "Scheduled Event"`},
		{"detail-type not a string", `{"detail-type":1,"time":"2015-10-08T16:53:06Z"}`, `"detail-type": must be a string`},
		{"missing time", `{"detail-type":"Scheduled Event"}`, `"time" is missing`},
		{"bad time", `{"detail-type":"Scheduled Event","time":"yesterday"}`, `"yesterday" is not an RFC 3339 time`},
		{"resources not array", `{"detail-type":"Scheduled Event","time":"2015-10-08T16:53:06Z","resources":"arn"}`, `"resources": must be an array of strings, got string`},
		{"resource not string", `{"detail-type":"Scheduled Event","time":"2015-10-08T16:53:06Z","resources":["a",{}]}`, `"resources[1]": must be a string, got object`},
		{"detail array", `{"detail-type":"Scheduled Event","time":"2015-10-08T16:53:06Z","detail":[]}`, `"detail": must be a JSON object, got array`},
		{"malformed", `{"detail-type":`, "malformed JSON"},
		{"number", `42`, "must be a JSON object, got number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeScheduled([]byte(tt.in))
			if err == nil {
				t.Fatalf("DecodeScheduled(%q) = %+v, want error containing %q", tt.in, got, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("DecodeScheduled(%q) error = %q, want it to contain %q", tt.in, err, tt.wantErr)
			}
		})
	}
}
