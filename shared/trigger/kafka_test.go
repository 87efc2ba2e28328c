package trigger

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/fcsync/fcsync/shared/record"
)

// renderKafka prints a decode result the way golden files hold it.
func renderKafka(ev KafkaEvent, err error) string {
	if err != nil {
		return "  error: " + err.Error() + "\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  shape: %s, %d records\n", ev.Shape, len(ev.Records))
	for i, r := range ev.Records {
		ts := "none"
		if !r.Timestamp.IsZero() {
			ts = r.Timestamp.Format(time.RFC3339Nano)
		}
		fmt.Fprintf(&b, "  [%d] topic=%q partition=%d offset=%d timestamp=%s\n", i, r.Topic, r.Partition, r.Offset, ts)
		fmt.Fprintf(&b, "      key=%s value=%s\n", renderBytes(r.Key), renderBytes(r.Value))
		for _, h := range r.Headers {
			fmt.Fprintf(&b, "      header %q=%s\n", h.Key, renderBytes(h.Value))
		}
	}
	return b.String()
}

func renderBytes(v []byte) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprintf("%q", v)
}

// TestDecodeKafkaMatchesGoldenForEverySample decodes the official sample payloads (see
// testdata/README.md) and compares the records with their golden files.
func TestDecodeKafkaMatchesGoldenForEverySample(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "kafka", "samples", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) != 3 {
		t.Fatalf("want the 3 Kafka samples in testdata/kafka/samples, found %d", len(inputs))
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".json")
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			ev, err := DecodeKafkaEvent(b)
			if err != nil {
				t.Fatalf("sample %s: %v", name, err)
			}
			checkGolden(t, strings.TrimSuffix(in, ".json")+".golden", []byte(renderKafka(ev, err)))
		})
	}
}

// kafkaCase is one inline payload for the golden file; bad cases must fail.
type kafkaCase struct {
	name    string
	opts    []KafkaOption
	payload string
}

func rawRec(fields string) string {
	return `[{"topic":"t","partition":0,"offset":1` + fields + `}]`
}

func ceRec(fields string) string {
	return `[{"specversion":"1.0","id":"x","source":"acs:alikafka","data":{"topic":"t","partition":0,"offset":1` + fields + `}}]`
}

var binaryFormats = []KafkaOption{WithValueFormat(FormatBinary), WithKeyFormat(FormatBinary)}

var kafkaCases = []kafkaCase{
	{"rawdata text key and value", nil, rawRec(`,"timestamp":1655952591589,"headers":{"headers":[],"isReadOnly":false},"key":"k","value":"v"`)},
	{"json value object is compacted", nil, ceRec(`,"value":{ "a" : [1, 2.5e3, true, null], "b": {"c d": "e\tf \u00e9"} }`)},
	{"json value array", nil, ceRec(`,"value":[ "x" , 1 ]`)},
	{"json value number and boolean key", nil, ceRec(`,"key":true,"value":-12.5`)},
	{"json format string is text", []KafkaOption{WithValueFormat(FormatJSON)}, ceRec(`,"value":"not json"`)},
	{"text format", []KafkaOption{WithValueFormat(FormatText)}, ceRec(`,"value":"line\nnext"`)},
	{"binary key and value", binaryFormats, ceRec(`,"key":"AAEC/w==","value":"aGVsbG8="`)},
	{"binary unpadded and url-safe base64", binaryFormats, ceRec(`,"key":"AAEC_w","value":"aGVsbG8"`)},
	{"auto format takes base64 as text", nil, ceRec(`,"value":"aGVsbG8="`)},
	{"null key and value are nil", nil, ceRec(`,"key":null,"value":null`)},
	{"absent key and value are nil", nil, ceRec(``)},
	{"empty key and value are empty", nil, ceRec(`,"key":"","value":""`)},
	{"timestamp as digit string", nil, ceRec(`,"timestamp":"1655952591589"`)},
	{"timestamp as RFC 3339 with offset and nanoseconds", nil, ceRec(`,"timestamp":"2022-06-23T10:49:51.589999+08:00"`)},
	{"timestamp null", nil, ceRec(`,"timestamp":null`)},
	{"timestamp -1 is none", nil, ceRec(`,"timestamp":-1`)},
	{"timestamp zero is the epoch", nil, ceRec(`,"timestamp":0`)},
	{"headers with signed, unsigned, text and null values", nil, ceRec(`,"headers":{"headers":[{"key":"a","value":[104,105]},{"key":"b","value":[-1,0,255,-128]},{"key":"c","value":"text"},{"key":"d","value":null},{"key":"e","value":[]}],"isReadOnly":true}`)},
	{"headers as a bare array", nil, rawRec(`,"headers":[{"key":"h","value":[49]}]`)},
	{"headers null", nil, rawRec(`,"headers":null`)},
	{"escapes in topic and value", nil, `[{"topic":"t\u00e9\/x","partition":0,"offset":0,"value":"smile \ud83d\ude00 lone \ud800 end \"q\""}]`},
	{"unknown fields are ignored", nil, `[{"specversion":"1.0","extra":{"deep":[1,{"x":null}]},"data":{"topic":"t","partition":3,"offset":9,"isNew":true}}]`},
	{"escaped member names", nil, `[{"d\u0061ta":{"top\u0069c":"t","partition":0,"offset":1}}]`},
	{"blanks before a colon", nil, `[{"data" :{"topic"  :"t","partition"	:0,"offset"
:1}}]`},
	{"empty array", nil, `[]`},
	{"blanks around everything", nil, " \n[ { \"topic\" : \"t\" , \"partition\" : 1 , \"offset\" : 2 } ]\n "},
	{"several records and partitions", nil, `[{"topic":"t","partition":0,"offset":5,"value":"a"},{"topic":"t","partition":1,"offset":0,"value":"b"},{"topic":"u","partition":0,"offset":6,"value":"c"}]`},
	{"cloudevent strings with escapes", nil, `["{\"data\":{\"topic\":\"t\",\"partition\":1,\"offset\":2,\"key\":\"k\\u003d1\",\"value\":{\"a\":1}},\"id\":\"x\"}"]`},
	{"cloudevent strings with escaped base64", binaryFormats, `["{\"data\":{\"topic\":\"t\",\"partition\":0,\"offset\":0,\"key\":\"\\/w==\",\"value\":\"\\/\\/\\/\\/\",\"headers\":[{\"key\":\"h\",\"value\":\"\\u0041\"}]},\"id\":\"x\"}"]`},
	{"lambda self-managed without key", nil, `{"eventSource":"SelfManagedKafka","bootstrapServers":"b:9092","records":{"t-0":[{"topic":"t","partition":0,"offset":4,"timestamp":1595035749700,"timestampType":"CREATE_TIME","value":"AQID","headers":[]}]}}`},
	{"lambda header objects with several names", nil, `{"eventSource":"aws:kafka","records":{"t-1":[{"topic":"t","partition":1,"offset":0,"headers":[{"a":[1],"b":[-2]},{"c":"AAE="}]}],"u-0":[]}}`},
	{"lambda records before eventSource", nil, `{"records":{"t-0":[{"topic":"t","partition":0,"offset":1,"key":null,"value":null}]},"eventSource":"aws:kafka"}`},

	{"bad not json", nil, `hello`},
	{"bad empty", nil, ``},
	{"bad blank", nil, " \n "},
	{"bad top-level number", nil, `42`},
	{"bad top-level string", nil, `"[]"`},
	{"bad object that is not a lambda event", nil, `{"data":{"topic":"t","partition":0,"offset":0}}`},
	{"bad lambda event source", nil, `{"eventSource":"aws:sqs","records":{}}`},
	{"bad lambda without records", nil, `{"eventSource":"aws:kafka"}`},
	{"bad lambda record under the wrong group", nil, `{"eventSource":"aws:kafka","records":{"t-0":[{"topic":"t","partition":1,"offset":0}]}}`},
	{"bad lambda value not base64", nil, `{"eventSource":"aws:kafka","records":{"t-0":[{"topic":"t","partition":0,"offset":0,"value":"%%%"}]}}`},
	{"bad lambda header byte", nil, `{"eventSource":"aws:kafka","records":{"t-0":[{"topic":"t","partition":0,"offset":0,"headers":[{"h":[1,256]}]}]}}`},
	{"bad lambda records not an object", nil, `{"eventSource":"aws:kafka","records":[]}`},
	{"bad truncated", nil, `[{"data":{"topic":"t"`},
	{"bad data after the array", nil, `[] x`},
	{"bad missing topic", nil, `[{"data":{"partition":0,"offset":0}}]`},
	{"bad missing partition", nil, `[{"data":{"topic":"t","offset":0}}]`},
	{"bad missing offset in second element", nil, `[{"topic":"t","partition":0,"offset":0},{"topic":"t","partition":0}]`},
	{"bad negative offset", nil, `[{"data":{"topic":"t","partition":0,"offset":-3}}]`},
	{"bad negative partition", nil, `[{"topic":"t","partition":-1,"offset":0}]`},
	{"bad partition beyond int32", nil, `[{"topic":"t","partition":2147483648,"offset":0}]`},
	{"bad offset beyond int64", nil, `[{"topic":"t","partition":0,"offset":9223372036854775808}]`},
	{"bad offset fraction", nil, `[{"topic":"t","partition":0,"offset":1.5}]`},
	{"bad offset string", nil, `[{"topic":"t","partition":0,"offset":"5"}]`},
	{"bad empty topic", nil, `[{"topic":"","partition":0,"offset":0}]`},
	{"bad topic number", nil, `[{"topic":7,"partition":0,"offset":0}]`},
	{"bad mixed cloudevent and rawdata", nil, `[{"data":{"topic":"t","partition":0,"offset":0}},{"topic":"t","partition":0,"offset":1}]`},
	{"bad mixed object and string", nil, `[{"data":{"topic":"t","partition":0,"offset":0}},"{\"data\":{\"topic\":\"t\",\"partition\":0,\"offset\":1}}"]`},
	{"bad data not an object", nil, `[{"data":"x"}]`},
	{"bad data and record fields together", nil, `[{"offset":1,"data":{"topic":"t","partition":0,"offset":0}}]`},
	{"bad repeated field", nil, `[{"data":{"topic":"t","partition":0,"offset":0,"offset":1}}]`},
	{"bad repeated data", nil, `[{"data":{"topic":"t","partition":0,"offset":0},"data":{}}]`},
	{"bad text format with an object", []KafkaOption{WithValueFormat(FormatText)}, ceRec(`,"value":{"a":1}`)},
	{"bad binary format with a number", binaryFormats, ceRec(`,"value":12`)},
	{"bad binary value not base64", binaryFormats, ceRec(`,"value":"not base64!"`)},
	{"bad timestamp boolean", nil, ceRec(`,"timestamp":true`)},
	{"bad timestamp text", nil, ceRec(`,"timestamp":"yesterday"`)},
	{"bad timestamp fraction", nil, ceRec(`,"timestamp":1.6e12`)},
	{"bad timestamp out of range", nil, ceRec(`,"timestamp":99999999999999999`)},
	{"bad headers string", nil, ceRec(`,"headers":"h=1"`)},
	{"bad header element a number", nil, ceRec(`,"headers":{"headers":[1]}`)},
	{"bad header byte out of range", nil, ceRec(`,"headers":{"headers":[{"key":"h","value":[300]}]}`)},
	{"bad header without key", nil, ceRec(`,"headers":{"headers":[{"value":[1]}]}`)},
	{"bad header key number", nil, ceRec(`,"headers":{"headers":[{"key":1}]}`)},
	{"bad element a number", nil, `[1]`},
	{"bad string element holding an array", nil, `["[]"]`},
	{"bad string element holding broken json", nil, `["{\"data\":"]`},
	{"bad string element without data", nil, `["{\"topic\":\"t\",\"partition\":0,\"offset\":0}"]`},
	{"bad control character in a string", nil, "[{\"topic\":\"a\x01b\",\"partition\":0,\"offset\":0}]"},
	{"bad invalid UTF-8", nil, "[{\"topic\":\"a\xffb\",\"partition\":0,\"offset\":0}]"},
	{"bad binary junk", nil, "\x00\x01\x02\xfe\xff"},
	{"bad trailing comma", nil, `[{"topic":"t","partition":0,"offset":0},]`},
	{"bad missing colon", nil, `[{"topic" "t"}]`},
	{"bad missing comma between members", nil, `[{"topic":"t" "partition":0,"offset":0}]`},
	{"bad comma before the first member", nil, `[{,"topic":"t","partition":0,"offset":0}]`},
	{"bad member name not a string", nil, `[{"topic":"t",partition:0,"offset":0}]`},
	{"bad member name unterminated", nil, `[{"topic":"t","partition`},
	{"bad member name with a control character", nil, "[{\"topic\":\"t\",\"part\x01ition\":0}]"},
	{"bad escape", nil, `[{"topic":"\x","partition":0,"offset":0}]`},
	{"bad number", nil, `[{"topic":"t","partition":0,"offset":0,"value":01}]`},
	{"bad literal", nil, `[{"topic":"t","partition":0,"offset":0,"value":tru}]`},
	{"bad unknown format", []KafkaOption{WithValueFormat("yaml")}, `[]`},
}

func TestDecodeKafkaMatchesGoldenForInlineCases(t *testing.T) {
	var b strings.Builder
	for _, c := range kafkaCases {
		ev, err := DecodeKafkaEvent([]byte(c.payload), c.opts...)
		if bad := strings.HasPrefix(c.name, "bad "); bad != (err != nil) {
			t.Errorf("%s: error = %v, want error: %v", c.name, err, bad)
		}
		if err != nil && (ev.Records != nil || ev.Shape != "") {
			t.Errorf("%s: failed decode returned %d records of shape %q", c.name, len(ev.Records), ev.Shape)
		}
		fmt.Fprintf(&b, "%s: %s\n%s", c.name, truncate(fmt.Sprintf("%q", c.payload)), renderKafka(ev, err))
	}
	checkGolden(t, "testdata/kafka/decode.golden", []byte(b.String()))
}

func TestDecodeKafkaErrorsNameElementAndField(t *testing.T) {
	tests := []struct {
		name, payload, want string
	}{
		{"missing offset", `[{"topic":"t","partition":0,"offset":0},{"data":{"topic":"t","partition":0}}]`, `element 1: field "data.offset" is missing`},
		{"mixed shapes", `[{"topic":"t","partition":0,"offset":0},{"data":{"topic":"t","partition":0,"offset":1}}]`, `element 1: is a CloudEvent object but element 0 is a RawData object: mixed shapes`},
		{"missing field in a cloudevent", `[{"data":{"topic":"t","offset":0}}]`, `element 0: field "data.partition" is missing`},
		{"negative offset", `[{"data":{"topic":"t","partition":0,"offset":1}},{"data":{"topic":"t","partition":0,"offset":-2}}]`, `element 1: field "data.offset": -2 is negative`},
		{"raw wrong type", `[{"topic":"t","partition":"0","offset":0}]`, `element 0: field "partition": must be an integer, got string`},
		{"header value", `[{"topic":"t","partition":0,"offset":0,"headers":{"headers":[{"key":"a","value":[1]},{"key":"b","value":[1,999]}]}}]`, `element 0: field "headers.headers[1].value": [1]: 999 is not a byte value`},
		{"string element", `["{\"data\":{\"topic\":\"t\",\"partition\":0,\"offset\":true}}"]`, `element 0: the string's field "data.offset": must be an integer, got boolean`},
		{"lambda", `{"eventSource":"aws:kafka","records":{"t-0":[{"topic":"t","partition":0,"offset":0},{"topic":"t","partition":0}]}}`, `records["t-0"][1]: field "offset" is missing`},
		{"syntax", `[{"topic":"t","partition":0,"offset":0},{"topic":}]`, `element 1: field "topic": malformed JSON at byte 49: want a value, got '}'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := DecodeKafka([]byte(tt.payload))
			if err == nil {
				t.Fatalf("decoded %d records, want an error containing %q", len(recs), tt.want)
			}
			if !strings.HasPrefix(err.Error(), "trigger: kafka event: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
			if recs != nil {
				t.Errorf("a failed decode returned %d records", len(recs))
			}
		})
	}
}

func TestDecodeKafkaErrorsStayShortForHugeInput(t *testing.T) {
	long := strings.Repeat("x", 1<<20)
	for _, payload := range []string{
		`[{"topic":"t","partition":0,"offset":0,"` + long + `":1,"topic":"u"}]`,
		`[{"topic":"` + long + `","partition":"` + long + `","offset":0}]`,
		`{"eventSource":"` + long + `","records":{}}`,
		`[{"topic":"t","partition":0,"offset":0,"value":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}]`,
	} {
		_, err := DecodeKafka([]byte(payload))
		if err == nil {
			t.Fatal("want an error")
		}
		if len(err.Error()) > 300 {
			t.Errorf("error is %d bytes long: %.300s...", len(err.Error()), err)
		}
	}
}

// sampleRecords covers what a round trip must keep: nil and empty keys, tombstones, binary
// bytes, headers (nil, empty and binary values), several topics and partitions.
func sampleRecords() []record.Record {
	ts := time.Date(2024, 5, 6, 7, 8, 9, 123e6, time.UTC)
	return []record.Record{
		{Topic: "orders", Partition: 0, Offset: 0, Timestamp: ts, Key: []byte("k0"), Value: []byte(`{"id":1,"name":"a"}`)},
		{Topic: "orders", Partition: 0, Offset: 1, Timestamp: ts.Add(time.Millisecond), Key: nil, Value: []byte("plain text é ' = < & \u2028")},
		{Topic: "orders", Partition: 0, Offset: 7, Timestamp: ts, Key: []byte{}, Value: nil},
		{Topic: "orders", Partition: 2, Offset: 1 << 40, Key: []byte{0, 1, 0xfe, 0xff}, Value: []byte{0x80, 0, 'x', 0xc3},
			Headers: []record.Header{{Key: "trace", Value: []byte{0xff, 0, 0x7f, 0x80}}, {Key: "empty", Value: []byte{}}, {Key: "none", Value: nil}}},
		{Topic: "pay-ments.v1", Partition: 5, Offset: 3, Timestamp: time.UnixMilli(0).UTC(), Value: []byte("\x00\n\t\"\\"),
			Headers: []record.Header{{Key: "ü", Value: []byte("h")}}},
	}
}

func TestEncodeKafkaRoundTripsEveryShape(t *testing.T) {
	want := sampleRecords()
	for _, shape := range KafkaShapes {
		t.Run(string(shape), func(t *testing.T) {
			payload, err := EncodeKafka(want, shape, binaryFormats...)
			if err != nil {
				t.Fatal(err)
			}
			ev, err := DecodeKafkaEvent(payload, binaryFormats...)
			if err != nil {
				t.Fatalf("decode %s: %v\n%s", shape, err, payload)
			}
			if ev.Shape != shape {
				t.Errorf("decoded shape %s, want %s", ev.Shape, shape)
			}
			checkRecordsEqual(t, ev.Records, want)
		})
	}
}

func TestEncodeKafkaRoundTripsTextAndJSONValues(t *testing.T) {
	recs := []record.Record{
		{Topic: "t", Partition: 0, Offset: 0, Key: []byte(`{"k":1}`), Value: []byte(`{"a":[1,2,{"b":null}],"c":"d"}`)},
		{Topic: "t", Partition: 0, Offset: 1, Key: []byte("k"), Value: []byte(`[true,false]`)},
		{Topic: "t", Partition: 0, Offset: 2, Value: []byte(`12`)},
		{Topic: "t", Partition: 0, Offset: 3, Value: []byte(`{"broken":`)},
		{Topic: "t", Partition: 0, Offset: 4, Value: []byte(`"quoted"`)},
	}
	for _, f := range []DataFormat{FormatAuto, FormatJSON, FormatText} {
		for _, shape := range KafkaShapes[:3] {
			t.Run(string(f)+"/"+string(shape), func(t *testing.T) {
				payload, err := EncodeKafka(recs, shape, WithValueFormat(f), WithKeyFormat(f))
				if err != nil {
					t.Fatal(err)
				}
				got, err := DecodeKafka(payload, WithValueFormat(f), WithKeyFormat(f))
				if err != nil {
					t.Fatalf("%v\n%s", err, payload)
				}
				checkRecordsEqual(t, got, recs)
				if f != FormatText && shape != ShapeCloudEventStrings && !bytes.Contains(payload, []byte(`{"a":[1,2,{"b":null}],"c":"d"}`)) {
					t.Errorf("a JSON value was not embedded as JSON in format %s: %s", f, payload)
				}
			})
		}
	}
}

func TestEncodeKafkaCompactsJSONAndReplacesInvalidUTF8InText(t *testing.T) {
	recs := []record.Record{
		{Topic: "t", Partition: 0, Offset: 0, Value: []byte("{ \"a\" : [ 1 , 2 ] }")},
		{Topic: "t", Partition: 0, Offset: 1, Value: []byte("a\xffb")},
	}
	payload, err := EncodeKafka(recs, ShapeRawData)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeKafka(payload)
	if err != nil {
		t.Fatal(err)
	}
	if string(got[0].Value) != `{"a":[1,2]}` || string(got[1].Value) != "a\ufffdb" {
		t.Errorf("values = %q, %q; want compact JSON and U+FFFD", got[0].Value, got[1].Value)
	}
}

func TestEncodeKafkaRejectsRecordsWithoutPosition(t *testing.T) {
	tests := []struct {
		name string
		rec  record.Record
		want string
	}{
		{"empty topic", record.Record{Partition: 0}, "record 1: empty topic"},
		{"negative partition", record.Record{Topic: "t", Partition: -1}, "record 1 (t/-1@0): negative partition"},
		{"negative offset", record.Record{Topic: "t", Offset: -5}, "record 1 (t/0@-5): negative offset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs := []record.Record{{Topic: "ok"}, tt.rec}
			for _, shape := range KafkaShapes {
				if _, err := EncodeKafka(recs, shape); err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("%s: error = %v, want %q", shape, err, tt.want)
				}
			}
		})
	}
	if _, err := EncodeKafka(nil, "xml"); err == nil || !strings.Contains(err.Error(), `shape "xml" is not one of`) {
		t.Errorf("unknown shape: error = %v", err)
	}
}

// TestEncodeKafkaReproducesTheSamples encodes each sample's records again and compares
// with the sample byte for byte, after putting back the fields EncodeKafka cannot know
// (the random event id; the objects sample's redacted subject).
func TestEncodeKafkaReproducesTheSamples(t *testing.T) {
	tests := []struct {
		file   string
		shape  KafkaShape
		source KafkaSource
		fixups func(got string) string
	}{
		{"kafka-cloudevents.json", ShapeCloudEvents, KafkaSource{InstanceID: "alikafka_pre-cn-i7m2t7t1****", AccountID: "164901546557****"},
			func(got string) string {
				got = replaceID(got, "8e215af8-ca18-4249-8645-f96c1026****")
				return strings.Replace(got, `:topic:****"`, `:topic:mytopic"`, 1)
			}},
		{"kafka-cloudevents-strings.json", ShapeCloudEventStrings, KafkaSource{InstanceID: "alikafka_pre-cn-7pp2t2jwj001", AccountID: "111111111111"},
			func(got string) string { return replaceID(got, "1cb591f9-987e-41d9-b974-0342e9acb90a") }},
		{"lambda-kafka.json", ShapeLambda, KafkaSource{
			ARN:              "arn:aws:kafka:us-west-2:012345678901:cluster/ExampleMSKCluster/e9f754c6-d29a-4430-a7db-958a19fd2c54-4",
			BootstrapServers: "b-2.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092,b-1.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092",
		}, func(got string) string { return got }},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			sample, err := os.ReadFile(filepath.Join("testdata", "kafka", "samples", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, sample); err != nil {
				t.Fatal(err)
			}
			ev, err := DecodeKafkaEvent(sample)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Shape != tt.shape {
				t.Fatalf("sample shape %s, want %s", ev.Shape, tt.shape)
			}
			// Lambda sample keys and values are base64 anyway; FC sample values are text.
			out, err := EncodeKafka(ev.Records, tt.shape, WithKafkaSource(tt.source), WithValueFormat(FormatText))
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.fixups(string(out)); got != compact.String() {
				t.Errorf("encoded sample differs\n got: %s\nwant: %s", got, compact.String())
			}
		})
	}
}

// replaceID swaps the first derived event id for the sample's.
func replaceID(s, id string) string {
	i := strings.Index(s, `"id":"`)
	if i < 0 {
		i = strings.Index(s, `\"id\":\"`)
		if i < 0 {
			return s
		}
		i += len(`\"id\":\"`)
	} else {
		i += len(`"id":"`)
	}
	return s[:i] + id + s[i+36:]
}

func TestEncodeKafkaMatchesGoldenForEachShape(t *testing.T) {
	var b strings.Builder
	recs := sampleRecords()
	for _, shape := range KafkaShapes {
		for _, f := range []DataFormat{FormatAuto, FormatBinary} {
			out, err := EncodeKafka(recs, shape, WithValueFormat(f), WithKeyFormat(f))
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s (%s):\n%s\n", shape, f, out)
		}
	}
	checkGolden(t, "testdata/kafka/encode.golden", []byte(b.String()))
}

func TestEncodeKafkaGivesARedeliveredRecordTheSameID(t *testing.T) {
	recs := sampleRecords()[:1]
	a, _ := EncodeKafka(recs, ShapeCloudEvents)
	b, _ := EncodeKafka(recs, ShapeCloudEvents)
	other := recs[0]
	other.Offset++
	c, _ := EncodeKafka([]record.Record{other}, ShapeCloudEvents)
	if !bytes.Equal(a, b) {
		t.Error("two encodings of one record differ")
	}
	if bytes.Equal(a[:80], c[:80]) {
		t.Errorf("records at different offsets share an id: %s", c[:80])
	}
}

func TestParseKafkaShapeAndDataFormat(t *testing.T) {
	for _, s := range []string{"cloudevents", "CloudEvents-Strings", "RAWDATA", "lambda"} {
		if _, err := ParseKafkaShape(s); err != nil {
			t.Errorf("ParseKafkaShape(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", "json", "cloudevent"} {
		if _, err := ParseKafkaShape(s); err == nil {
			t.Errorf("ParseKafkaShape(%q) accepted", s)
		}
	}
	for _, s := range []string{"Json", "Text", "Binary", "auto"} {
		if _, err := ParseDataFormat(s); err != nil {
			t.Errorf("ParseDataFormat(%q): %v", s, err)
		}
	}
	if _, err := ParseDataFormat("avro"); err == nil {
		t.Error("ParseDataFormat(avro) accepted")
	}
}

// checkRecordsEqual compares records field by field (times with Equal; nil and empty
// bytes are different).
func checkRecordsEqual(t *testing.T, got, want []record.Record) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if diff := recordDiff(got[i], want[i]); diff != "" {
			t.Errorf("record %d: %s", i, diff)
		}
	}
}

func recordDiff(g, w record.Record) string {
	switch {
	case g.Topic != w.Topic || g.Partition != w.Partition || g.Offset != w.Offset:
		return fmt.Sprintf("position %s, want %s", g.Where(), w.Where())
	case !g.Timestamp.Equal(w.Timestamp):
		return fmt.Sprintf("timestamp %v, want %v", g.Timestamp, w.Timestamp)
	case !sameBytes(g.Key, w.Key):
		return fmt.Sprintf("key %s, want %s", renderBytes(g.Key), renderBytes(w.Key))
	case !sameBytes(g.Value, w.Value):
		return fmt.Sprintf("value %s, want %s", renderBytes(g.Value), renderBytes(w.Value))
	case len(g.Headers) != len(w.Headers):
		return fmt.Sprintf("%d headers, want %d", len(g.Headers), len(w.Headers))
	}
	for j := range w.Headers {
		if g.Headers[j].Key != w.Headers[j].Key || !sameBytes(g.Headers[j].Value, w.Headers[j].Value) {
			return fmt.Sprintf("header %d = %q:%s, want %q:%s", j, g.Headers[j].Key, renderBytes(g.Headers[j].Value), w.Headers[j].Key, renderBytes(w.Headers[j].Value))
		}
	}
	return ""
}

func sameBytes(a, b []byte) bool { return (a == nil) == (b == nil) && bytes.Equal(a, b) }

// TestDecodeKafkaAgreesWithEncodingJSON checks the hand-written scanner against
// encoding/json on the values it compacts and the strings it unescapes.
func TestDecodeKafkaAgreesWithEncodingJSON(t *testing.T) {
	values := []string{
		`{"a" : 1}`, `[ ]`, `{ }`, `[1, -0.5e-3, 2E+2, "x\"y", null, true, false]`,
		`{"\u00e9\n":{"deep":[[[{}]]]}}`, `"\ud83d\ude00 \u2028"`, `"\ud800x"`, `"a\/b\\c"`,
	}
	for _, v := range values {
		payload := `[{"topic":"t","partition":0,"offset":0,"value":` + v + `}]`
		got, err := DecodeKafka([]byte(payload))
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		var want []byte
		if v[0] == '"' {
			var s string
			if err := json.Unmarshal([]byte(v), &s); err != nil {
				t.Fatal(err)
			}
			want = []byte(s)
		} else {
			var buf bytes.Buffer
			if err := json.Compact(&buf, []byte(v)); err != nil {
				t.Fatal(err)
			}
			want = buf.Bytes()
		}
		if !bytes.Equal(got[0].Value, want) {
			t.Errorf("value %s decoded to %q, encoding/json says %q", v, got[0].Value, want)
		}
	}
}

// TestDecodeKafkaValuesDoNotOverlap makes sure appending to one decoded value cannot
// overwrite the next (they share one buffer).
func TestDecodeKafkaValuesDoNotOverlap(t *testing.T) {
	recs, err := DecodeKafka([]byte(`[{"topic":"t","partition":0,"offset":0,"key":"a","value":"b"},{"topic":"t","partition":0,"offset":1,"key":"c","value":"d"}]`))
	if err != nil {
		t.Fatal(err)
	}
	_ = append(recs[0].Key, "XXXX"...)
	_ = append(recs[0].Value, "YYYY"...)
	if string(recs[0].Value) != "b" || string(recs[1].Key) != "c" || string(recs[1].Value) != "d" {
		t.Errorf("appending to a value changed another: %q %q %q", recs[0].Value, recs[1].Key, recs[1].Value)
	}
}

// TestDecodeKafkaValuesAreThePayloadsBytesWhenTheyCan: a compact JSON value or a string
// without escapes is a slice of the payload (no copy); a value with blanks, an escaped string
// and base64 are decoded into buffers of their own, with the same text either way. Values that
// arrived as JSON (not as strings) are marked validated (ValueJSON).
func TestDecodeKafkaValuesAreThePayloadsBytesWhenTheyCan(t *testing.T) {
	cases := []struct {
		name, value string
		format      DataFormat
		want        string
		inPayload   bool
		json        bool // record.Record.ValueJSON: validated JSON text
	}{
		{"compact object", `{"a":[1,"x"],"b":{}}`, FormatJSON, `{"a":[1,"x"],"b":{}}`, true, true},
		{"object with blanks", "{ \"a\" :\n[1, \"x\"] }", FormatJSON, `{"a":[1,"x"]}`, false, true},
		{"number", `12.5`, FormatJSON, `12.5`, true, true},
		{"plain string", `"héllo"`, FormatText, `héllo`, true, false},
		{"string in JSON format", `"{\"a\":1}"`, FormatJSON, `{"a":1}`, false, false},
		{"escaped string", `"a\tb\u00e9"`, FormatText, "a\tbé", false, false},
		{"base64", `"aGk="`, FormatBinary, "hi", false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			payload := []byte(`[{"topic":"t","partition":0,"offset":7,"value":` + c.value + `}]`)
			recs, err := DecodeKafka(payload, WithValueFormat(c.format))
			if err != nil {
				t.Fatal(err)
			}
			v := recs[0].Value
			if string(v) != c.want {
				t.Fatalf("value %q, want %q", v, c.want)
			}
			base := uintptr(unsafe.Pointer(unsafe.SliceData(payload)))
			at := uintptr(unsafe.Pointer(unsafe.SliceData(v)))
			if got := at >= base && at < base+uintptr(len(payload)); got != c.inPayload {
				t.Errorf("value is a slice of the payload: %v, want %v", got, c.inPayload)
			}
			if recs[0].ValueJSON != c.json {
				t.Errorf("ValueJSON %v, want %v", recs[0].ValueJSON, c.json)
			}
		})
	}
}

// TestSkipValueBoundsNestingLikeWalk checks the nesting limit at its edge: a value may sit
// at most maxJSONDepth levels down, for the fast skip as for the walk.
func TestSkipValueBoundsNestingLikeWalk(t *testing.T) {
	for _, tt := range []struct {
		name  string
		doc   string
		valid bool
	}{
		{"empty arrays at the limit", strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1), true},
		{"empty arrays beyond the limit", strings.Repeat("[", maxJSONDepth+2) + strings.Repeat("]", maxJSONDepth+2), false},
		{"a number at the limit", strings.Repeat("[", maxJSONDepth) + "1" + strings.Repeat("]", maxJSONDepth), true},
		{"a number beyond the limit", strings.Repeat("[", maxJSONDepth+1) + "1" + strings.Repeat("]", maxJSONDepth+1), false},
		{"objects beyond the limit", strings.Repeat(`{"a":`, maxJSONDepth+1) + "{}" + strings.Repeat("}", maxJSONDepth+1), false},
		{"objects at the limit", strings.Repeat(`{"a":`, maxJSONDepth) + "{}" + strings.Repeat("}", maxJSONDepth), true},
		{"unclosed", strings.Repeat("[", 3*maxJSONDepth), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			end, _, ok := skipValue([]byte(tt.doc), 0, 0)
			w := jsonScanner{b: []byte(tt.doc)}
			err := w.walk(nil, 0)
			if ok != tt.valid || (err == nil) != tt.valid {
				t.Fatalf("skipValue ok = %v, walk error = %v; want valid %v", ok, err, tt.valid)
			}
			if ok && (end != len(tt.doc) || w.i != len(tt.doc)) {
				t.Fatalf("skipValue ends at %d, walk at %d; want %d", end, w.i, len(tt.doc))
			}
			// The decoder reports a value nested too deeply with its offset.
			payload := `[{"topic":"t","partition":0,"offset":0,"value":` + tt.doc + `}]`
			if _, err := DecodeKafka([]byte(payload)); (err == nil) != tt.valid {
				t.Fatalf("DecodeKafka error = %v, want valid %v", err, tt.valid)
			}
		})
	}
}
