package trigger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Timer is one scheduled invocation, whatever platform delivered it.
type Timer struct {
	// TriggerTime is when the schedule fired, as the platform stated it (its zone is kept).
	TriggerTime time.Time
	// TriggerName names the trigger: the FC trigger name, or the AWS rule ARN (may be empty).
	TriggerName string
	// Payload is the text configured on the trigger; it may itself hold JSON.
	Payload string
}

// fcTimerEvent is the FC 3.0 timer event. Fields are raw so that each can be checked and
// reported by name; unknown fields are ignored because the platform may add some.
type fcTimerEvent struct {
	TriggerTime json.RawMessage `json:"triggerTime"`
	TriggerName json.RawMessage `json:"triggerName"`
	Payload     json.RawMessage `json:"payload"`
}

// DecodeTimer decodes an Alibaba Function Compute timer event. triggerTime is required
// (RFC 3339); triggerName and payload are optional but, when present, must be strings.
func DecodeTimer(b []byte) (Timer, error) {
	if err := requireObject(b); err != nil {
		return Timer{}, fmt.Errorf("trigger: fc timer event: %w", err)
	}
	var ev fcTimerEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		return Timer{}, fmt.Errorf("trigger: fc timer event: %w", describeJSONError(err))
	}
	t, err := decodeTimerFields(ev)
	if err != nil {
		return Timer{}, fmt.Errorf("trigger: fc timer event: %w", err)
	}
	return t, nil
}

func decodeTimerFields(ev fcTimerEvent) (Timer, error) {
	var t Timer
	if isAbsent(ev.TriggerTime) {
		return Timer{}, errors.New(`field "triggerTime" is missing`)
	}
	at, err := decodeTime(ev.TriggerTime)
	if err != nil {
		return Timer{}, fmt.Errorf(`field "triggerTime": %w`, err)
	}
	t.TriggerTime = at
	if t.TriggerName, err = decodeOptionalString(ev.TriggerName); err != nil {
		return Timer{}, fmt.Errorf(`field "triggerName": %w`, err)
	}
	if t.Payload, err = decodeOptionalString(ev.Payload); err != nil {
		return Timer{}, fmt.Errorf(`field "payload": %w (embed JSON as a string)`, err)
	}
	return t, nil
}

// awsScheduledEvent is the EventBridge / CloudWatch Events envelope of a scheduled rule.
type awsScheduledEvent struct {
	DetailType json.RawMessage `json:"detail-type"`
	Source     json.RawMessage `json:"source"`
	Time       json.RawMessage `json:"time"`
	Resources  json.RawMessage `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// awsScheduledDetailType is the only detail-type a scheduled rule sends.
const awsScheduledDetailType = "Scheduled Event"

// DecodeScheduled decodes either an FC timer event (recognised by "triggerTime") or an AWS
// EventBridge scheduled event (recognised by "detail-type"). For AWS, TriggerTime is the
// event's time, TriggerName the first resource (the rule ARN) or "", and Payload comes from
// detail: "" for an absent, null or empty detail; the string when detail is
// {"payload":"..."}; the compact JSON text of the value when detail is {"payload":{...}};
// otherwise the compact JSON text of detail itself.
func DecodeScheduled(b []byte) (Timer, error) {
	if err := requireObject(b); err != nil {
		return Timer{}, fmt.Errorf("trigger: scheduled event: %w", err)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return Timer{}, fmt.Errorf("trigger: scheduled event: %w", describeJSONError(err))
	}
	if _, ok := keys["triggerTime"]; ok {
		return DecodeTimer(b)
	}
	if _, ok := keys["detail-type"]; ok {
		return decodeAWSScheduled(b)
	}
	return Timer{}, errors.New(`trigger: scheduled event: neither an FC timer event (no "triggerTime") nor an AWS scheduled event (no "detail-type")`)
}

func decodeAWSScheduled(b []byte) (Timer, error) {
	var ev awsScheduledEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		return Timer{}, fmt.Errorf("trigger: aws scheduled event: %w", describeJSONError(err))
	}
	t, err := decodeAWSFields(ev)
	if err != nil {
		return Timer{}, fmt.Errorf("trigger: aws scheduled event: %w", err)
	}
	return t, nil
}

func decodeAWSFields(ev awsScheduledEvent) (Timer, error) {
	var t Timer
	dt, err := decodeOptionalString(ev.DetailType)
	if err != nil {
		return Timer{}, fmt.Errorf(`field "detail-type": %w`, err)
	}
	if dt != awsScheduledDetailType {
		return Timer{}, fmt.Errorf(`field "detail-type" is %q, want %q`, dt, awsScheduledDetailType)
	}
	if _, err := decodeOptionalString(ev.Source); err != nil {
		return Timer{}, fmt.Errorf(`field "source": %w`, err)
	}
	if isAbsent(ev.Time) {
		return Timer{}, errors.New(`field "time" is missing`)
	}
	if t.TriggerTime, err = decodeTime(ev.Time); err != nil {
		return Timer{}, fmt.Errorf(`field "time": %w`, err)
	}
	if !isAbsent(ev.Resources) {
		var resources []json.RawMessage
		if err := json.Unmarshal(ev.Resources, &resources); err != nil {
			return Timer{}, fmt.Errorf(`field "resources": must be an array of strings, got %s`, kindOf(ev.Resources))
		}
		for i, r := range resources {
			s, err := decodeOptionalString(r)
			if err != nil {
				return Timer{}, fmt.Errorf(`field "resources[%d]": %w`, i, err)
			}
			if i == 0 {
				t.TriggerName = s
			}
		}
	}
	if t.Payload, err = awsDetailPayload(ev.Detail); err != nil {
		return Timer{}, fmt.Errorf(`field "detail": %w`, err)
	}
	return t, nil
}

// awsDetailPayload turns a scheduled event's detail into payload text (see DecodeScheduled).
func awsDetailPayload(raw json.RawMessage) (string, error) {
	if isAbsent(raw) {
		return "", nil
	}
	var detail map[string]json.RawMessage
	if err := json.Unmarshal(raw, &detail); err != nil {
		return "", fmt.Errorf("must be a JSON object, got %s", kindOf(raw))
	}
	if len(detail) == 0 {
		return "", nil
	}
	if p, ok := detail["payload"]; ok && len(detail) == 1 {
		switch kindOf(p) {
		case "string", "null":
			return decodeOptionalString(p)
		case "object", "array":
			return compact(p)
		}
	}
	return compact(raw)
}

func compact(raw json.RawMessage) (string, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return "", describeJSONError(err)
	}
	return buf.String(), nil
}

// decodeTime reads a JSON string holding an RFC 3339 time.
func decodeTime(raw json.RawMessage) (time.Time, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return time.Time{}, fmt.Errorf("must be an RFC 3339 time string, got %s", kindOf(raw))
	}
	return parseTime(s)
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time (like 2023-12-26T07:49:00Z)", truncate(s))
	}
	return t, nil
}

// decodeOptionalString reads a JSON string; an absent field or null is "".
func decodeOptionalString(raw json.RawMessage) (string, error) {
	if isAbsent(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("must be a string, got %s", kindOf(raw))
	}
	return s, nil
}

// isAbsent reports whether a raw field was missing or null.
func isAbsent(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// requireObject checks that b is one JSON object (and nothing else) in UTF-8, as JSON must
// be, with a positioned error.
func requireObject(b []byte) error {
	if !utf8.Valid(b) {
		return errors.New("malformed JSON: not valid UTF-8")
	}
	if !json.Valid(b) {
		var v any
		return describeJSONError(json.Unmarshal(b, &v))
	}
	if k := kindOf(b); k != "object" {
		return fmt.Errorf("must be a JSON object, got %s", k)
	}
	return nil
}

// kindOf names the JSON kind of a raw value for error messages.
func kindOf(raw []byte) string {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return "nothing"
	}
	switch c := raw[0]; {
	case c == '{':
		return "object"
	case c == '[':
		return "array"
	case c == '"':
		return "string"
	case c == 't' || c == 'f':
		return "boolean"
	case c == 'n':
		return "null"
	case c == '-' || (c >= '0' && c <= '9'):
		return "number"
	}
	return "invalid JSON"
}

// describeJSONError turns encoding/json errors into messages that say where the problem is.
func describeJSONError(err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Errorf("malformed JSON at byte %d: %w", syn.Offset, err)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Errorf("field %q: must be %s, got %s: %w", typ.Field, typ.Type, typ.Value, err)
	}
	return fmt.Errorf("malformed JSON: %w", err)
}

// truncate shortens text quoted in error messages.
func truncate(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
