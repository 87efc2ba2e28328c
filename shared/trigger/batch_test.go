package trigger

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// renderBatch prints a decode result the way golden files hold it (params sorted by name).
func renderBatch(r BatchRequest, err error) string {
	if err != nil {
		return "  error: " + err.Error() + "\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  job: %q\n", r.Job)
	if !r.At.IsZero() {
		fmt.Fprintf(&b, "  at: %s\n", r.At.Format(time.RFC3339Nano))
	}
	for _, k := range slices.Sorted(maps.Keys(r.Params)) {
		fmt.Fprintf(&b, "  params.%s: %q\n", k, r.Params[k])
	}
	return b.String()
}

// batchCases are the payloads the golden file covers, good and bad, in a stable order.
var batchCases = []struct{ name, payload string }{
	{"empty", ""},
	{"blank", " \n\t "},
	{"job word", "orders"},
	{"job word with dots and dashes", "orders.v2_daily-eu"},
	{"job word padded", "  orders\n"},
	{"json full", `{"job":"orders","at":"2022-11-22T10:00:00+08:00","params":{"partition":"ds=20221122","hour":"10"}}`},
	{"json job only", `{"job":"orders"}`},
	{"json at only", `{"at":"2022-11-22T02:00:00Z"}`},
	{"json empty object", `{}`},
	{"json nulls", `{"job":null,"at":null,"params":null}`},
	{"json empty params", `{"params":{}}`},
	{"unknown field", `{"job":"orders","window":"1h"}`},
	{"field in wrong case", `{"Job":"orders"}`},
	{"repeated field", `{"job":"a","job":"b"}`},
	{"job not a string", `{"job":7}`},
	{"job not a name", `{"job":"orders; rm -rf"}`},
	{"at not RFC 3339", `{"at":"2022-11-22 10:00:00"}`},
	{"at a number", `{"at":1669082400}`},
	{"params not an object", `{"params":["a"]}`},
	{"params value a number", `{"params":{"partition":20221122}}`},
	{"params value null", `{"params":{"partition":null}}`},
	{"params empty name", `{"params":{"":"x"}}`},
	{"malformed json", `{"job":"orders",}`},
	{"truncated json", `{"job":"orders"`},
	{"data after object", `{"job":"orders"} extra`},
	{"two words", "orders daily"},
	{"json array", `["orders"]`},
	{"json string", `"orders"`},
}

func TestDecodeBatchPayloadMatchesGolden(t *testing.T) {
	var b strings.Builder
	for _, c := range batchCases {
		req, err := DecodeBatchPayload(c.payload)
		fmt.Fprintf(&b, "%s: %q\n%s", c.name, c.payload, renderBatch(req, err))
	}
	checkGolden(t, "testdata/batch_payloads.golden", []byte(b.String()))
}

func TestDecodeBatchPayloadAcceptsEveryForm(t *testing.T) {
	at := time.Date(2022, 11, 22, 2, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		payload string
		want    BatchRequest
	}{
		{"empty uses defaults", "", BatchRequest{}},
		{"plain word is the job", "orders", BatchRequest{Job: "orders"}},
		{"the shared timer sample payload is a job name", "awesome-fc", BatchRequest{Job: "awesome-fc"}},
		{"json with every field", `{"job":"orders","at":"2022-11-22T10:00:00+08:00","params":{"partition":"p1"}}`,
			BatchRequest{Job: "orders", At: at, Params: map[string]string{"partition": "p1"}}},
		{"json without at", `{"job":"orders","params":{"partition":"p1"}}`,
			BatchRequest{Job: "orders", Params: map[string]string{"partition": "p1"}}},
		{"json surrounded by blanks", "\n {\"job\":\"orders\"} \n", BatchRequest{Job: "orders"}},
		{"json empty strings in params are kept", `{"params":{"k":""}}`, BatchRequest{Params: map[string]string{"k": ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeBatchPayload(tt.payload)
			if err != nil {
				t.Fatal(err)
			}
			if got.Job != tt.want.Job || !got.At.Equal(tt.want.At) || !maps.Equal(got.Params, tt.want.Params) {
				t.Errorf("DecodeBatchPayload(%q) = %+v, want %+v", tt.payload, got, tt.want)
			}
		})
	}
}

func TestDecodeBatchPayloadErrorsNameTheField(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		wantErr string
	}{
		{"unknown field", `{"job":"orders","window":"1h"}`, `unknown field "window" (allowed: job, at, params)`},
		{"wrong-case field", `{"JOB":"orders"}`, `unknown field "JOB"`},
		{"repeated field", `{"at":"2022-11-22T02:00:00Z","at":"2022-11-23T02:00:00Z"}`, `field "at" appears more than once`},
		{"job type", `{"job":["a"]}`, `field "job": must be a string, got array`},
		{"job name", `{"job":"a b"}`, `field "job": "a b" is not a job name`},
		{"at format", `{"at":"22/11/2022"}`, `field "at": "22/11/2022" is not an RFC 3339 time`},
		{"params type", `{"params":"a=b"}`, `field "params": must be an object of strings, got string`},
		{"params value", `{"params":{"b":"ok","a":true}}`, `field "params.a": must be a string, got boolean`},
		{"malformed", `{"job" "orders"}`, "malformed JSON at byte"},
		{"trailing", `{"job":"orders"}{}`, "malformed JSON"},
		{"not a word", `orders/daily`, `is neither empty, a job name`},
		{"json array", `[1]`, `is neither empty, a job name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeBatchPayload(tt.payload)
			if err == nil {
				t.Fatalf("DecodeBatchPayload(%q) = %+v, want error containing %q", tt.payload, got, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "trigger: batch payload") {
				t.Errorf("DecodeBatchPayload(%q) error = %q, want it to contain %q", tt.payload, err, tt.wantErr)
			}
		})
	}
}

func TestDecodeBatchPayloadQuotesLongBadInputTruncated(t *testing.T) {
	long := strings.Repeat("x", 500) + " y"
	_, err := DecodeBatchPayload(long)
	if err == nil {
		t.Fatal("want error for a payload with a blank inside")
	}
	if len(err.Error()) > 250 {
		t.Errorf("error is %d bytes long; bad input should be truncated: %q", len(err.Error()), err)
	}
}
