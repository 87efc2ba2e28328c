package trigger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"
)

// BatchRequest is what a batch timer's payload may ask for. The zero value means "run the
// default job for the schedule time the timer reports".
type BatchRequest struct {
	// Job names the job to run; "" means the function's default job.
	Job string
	// At overrides the schedule time (for a rerun or backfill); zero means "use the trigger time".
	At time.Time
	// Params are extra job parameters; nil when none were given.
	Params map[string]string
}

// jobNamePattern is what a job name may look like, both as a plain-word payload and in JSON.
var jobNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// batchFields are the fields a JSON batch payload may carry, in the order errors list them.
var batchFields = []string{"job", "at", "params"}

// DecodeBatchPayload reads a timer payload as a BatchRequest. It accepts:
//
//   - an empty or all-blank payload: the zero BatchRequest (use defaults);
//   - a plain word: the job name (letters, digits, '.', '_', '-'; at most 128 characters);
//   - a JSON object {"job":"orders","at":"2022-11-22T10:00:00+08:00","params":{"k":"v"}}
//     where every field is optional, "at" is RFC 3339 and params values are strings.
//
// Unknown or repeated JSON fields, values of the wrong type and malformed JSON are errors
// that name the field.
func DecodeBatchPayload(payload string) (BatchRequest, error) {
	s := strings.TrimSpace(payload)
	switch {
	case s == "":
		return BatchRequest{}, nil
	case s[0] == '{':
		req, err := decodeBatchJSON([]byte(s))
		if err != nil {
			return BatchRequest{}, fmt.Errorf("trigger: batch payload: %w", err)
		}
		return req, nil
	case jobNamePattern.MatchString(s):
		return BatchRequest{Job: s}, nil
	}
	return BatchRequest{}, fmt.Errorf("trigger: batch payload %q is neither empty, a job name (letters, digits, '.', '_', '-') nor a JSON object", truncate(s))
}

// decodeBatchJSON walks the top-level object token by token so that unknown and repeated
// fields are reported exactly (encoding/json alone matches names case-insensitively and lets
// a repeated field silently win).
func decodeBatchJSON(b []byte) (BatchRequest, error) {
	if !json.Valid(b) {
		var v any
		return BatchRequest{}, describeJSONError(json.Unmarshal(b, &v))
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil { // '{', guaranteed by the caller and json.Valid
		return BatchRequest{}, describeJSONError(err)
	}
	fields := make(map[string]json.RawMessage, len(batchFields))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return BatchRequest{}, describeJSONError(err)
		}
		name, _ := tok.(string) // object keys are always strings in valid JSON
		if !isBatchField(name) {
			return BatchRequest{}, fmt.Errorf("unknown field %q (allowed: %s)", truncate(name), strings.Join(batchFields, ", "))
		}
		if _, dup := fields[name]; dup {
			return BatchRequest{}, fmt.Errorf("field %q appears more than once", name)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return BatchRequest{}, fmt.Errorf("field %q: %w", name, describeJSONError(err))
		}
		fields[name] = raw
	}
	if _, err := dec.Token(); err != nil { // '}'
		return BatchRequest{}, describeJSONError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return BatchRequest{}, errors.New("malformed JSON: data after the object")
	}
	return batchFromFields(fields)
}

func isBatchField(name string) bool {
	for _, f := range batchFields {
		if f == name {
			return true
		}
	}
	return false
}

func batchFromFields(fields map[string]json.RawMessage) (BatchRequest, error) {
	var req BatchRequest
	job, err := decodeOptionalString(fields["job"])
	if err != nil {
		return BatchRequest{}, fmt.Errorf(`field "job": %w`, err)
	}
	if job != "" && !jobNamePattern.MatchString(job) {
		return BatchRequest{}, fmt.Errorf(`field "job": %q is not a job name (letters, digits, '.', '_', '-'; at most 128)`, truncate(job))
	}
	req.Job = job
	if raw := fields["at"]; !isAbsent(raw) {
		if req.At, err = decodeTime(raw); err != nil {
			return BatchRequest{}, fmt.Errorf(`field "at": %w`, err)
		}
	}
	if req.Params, err = decodeParams(fields["params"]); err != nil {
		return BatchRequest{}, err
	}
	return req, nil
}

// decodeParams reads the params object; every value must be a string and keys non-empty.
func decodeParams(raw json.RawMessage) (map[string]string, error) {
	if isAbsent(raw) {
		return nil, nil
	}
	var values map[string]json.RawMessage
	if err := json.Unmarshal(raw, &values); err != nil {
		return nil, fmt.Errorf(`field "params": must be an object of strings, got %s`, kindOf(raw))
	}
	if len(values) == 0 {
		return nil, nil
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys) // report the first bad key deterministically
	params := make(map[string]string, len(values))
	for _, k := range keys {
		if strings.TrimSpace(k) == "" {
			return nil, errors.New(`field "params": a parameter name is empty`)
		}
		v, err := decodeOptionalString(values[k])
		if err != nil || isAbsent(values[k]) {
			return nil, fmt.Errorf(`field "params.%s": must be a string, got %s`, truncate(k), kindOf(values[k]))
		}
		params[k] = v
	}
	return params, nil
}
