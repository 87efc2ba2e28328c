package trigger

import (
	"fmt"
	"strings"

	"github.com/fcsync/fcsync/shared/record"
)

// KafkaShape names one of the payload shapes a Kafka trigger delivers.
type KafkaShape string

// The Kafka payload shapes DecodeKafka accepts and EncodeKafka writes.
const (
	// ShapeCloudEvents is FC's default: a JSON array of CloudEvent objects whose
	// "data" holds the record.
	ShapeCloudEvents KafkaShape = "cloudevents"
	// ShapeCloudEventStrings is a JSON array of strings, each a JSON-encoded
	// CloudEvent (seen in official FC samples).
	ShapeCloudEventStrings KafkaShape = "cloudevents-strings"
	// ShapeRawData is eventSchema RawData: a JSON array of the bare data objects.
	ShapeRawData KafkaShape = "rawdata"
	// ShapeLambda is the AWS Lambda KafkaEvent (MSK or self-managed Kafka).
	ShapeLambda KafkaShape = "lambda"
)

// KafkaShapes lists every shape, in a stable order.
var KafkaShapes = []KafkaShape{ShapeCloudEvents, ShapeCloudEventStrings, ShapeRawData, ShapeLambda}

// ParseKafkaShape reads a shape name ("cloudevents", "cloudevents-strings",
// "rawdata" or "lambda"; case-insensitive).
func ParseKafkaShape(s string) (KafkaShape, error) {
	for _, k := range KafkaShapes {
		if strings.EqualFold(s, string(k)) {
			return k, nil
		}
	}
	return "", fmt.Errorf("trigger: kafka shape %q is not one of %s", truncate(s), joinShapes())
}

func joinShapes() string {
	names := make([]string, len(KafkaShapes))
	for i, k := range KafkaShapes {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// DataFormat is how a key or value travels in an FC Kafka payload; it mirrors
// the trigger's data format setting (Json, Text, Binary).
type DataFormat string

// Data formats. FormatAuto decodes by the JSON kind of the field (see
// DecodeKafka); for encoding it behaves as FormatJSON.
const (
	FormatAuto   DataFormat = "auto"
	FormatJSON   DataFormat = "json"
	FormatText   DataFormat = "text"
	FormatBinary DataFormat = "binary"
)

// ParseDataFormat reads a data format name: auto, json, text or binary,
// case-insensitive (so the trigger's own "Json", "Text" and "Binary" work).
func ParseDataFormat(s string) (DataFormat, error) {
	for _, f := range []DataFormat{FormatAuto, FormatJSON, FormatText, FormatBinary} {
		if strings.EqualFold(s, string(f)) {
			return f, nil
		}
	}
	return "", fmt.Errorf("trigger: kafka data format %q is not one of auto, json, text, binary", truncate(s))
}

// KafkaSource describes the event source written into encoded payloads. Zero
// fields take obviously local defaults.
type KafkaSource struct {
	InstanceID       string // ApsaraMQ for Kafka instance id (CloudEvent subject)
	AccountID        string // aliyunaccountid
	ARN              string // Lambda eventSourceArn; empty makes a self-managed event
	BootstrapServers string // Lambda bootstrapServers
}

// KafkaOption tunes DecodeKafka and EncodeKafka.
type KafkaOption func(*kafkaOptions)

type kafkaOptions struct {
	value, key DataFormat
	source     KafkaSource
}

// WithValueFormat sets how FC payload values are read or written (default
// FormatAuto). Lambda values are always base64.
func WithValueFormat(f DataFormat) KafkaOption { return func(o *kafkaOptions) { o.value = f } }

// WithKeyFormat sets how FC payload keys are read or written (default
// FormatAuto). Lambda keys are always base64.
func WithKeyFormat(f DataFormat) KafkaOption { return func(o *kafkaOptions) { o.key = f } }

// WithKafkaSource sets the event source EncodeKafka writes.
func WithKafkaSource(s KafkaSource) KafkaOption { return func(o *kafkaOptions) { o.source = s } }

func buildKafkaOptions(opts []KafkaOption) (kafkaOptions, error) {
	o := kafkaOptions{value: FormatAuto, key: FormatAuto}
	for _, opt := range opts {
		opt(&o)
	}
	for _, f := range []struct {
		name string
		f    DataFormat
	}{{"value", o.value}, {"key", o.key}} {
		switch f.f {
		case FormatAuto, FormatJSON, FormatText, FormatBinary:
		default:
			return o, fmt.Errorf("trigger: kafka %s format %q is not one of auto, json, text, binary", f.name, truncate(string(f.f)))
		}
	}
	return o, nil
}

// KafkaEvent is a decoded Kafka trigger payload.
type KafkaEvent struct {
	Shape   KafkaShape
	Records []record.Record
}

// DecodeKafka decodes a Kafka trigger payload into records; see DecodeKafkaEvent.
func DecodeKafka(payload []byte, opts ...KafkaOption) ([]record.Record, error) {
	ev, err := DecodeKafkaEvent(payload, opts...)
	return ev.Records, err
}

// DecodeKafkaEvent decodes a Kafka trigger payload and reports its shape. It
// accepts:
//
//   - a JSON array of CloudEvent objects, the record in each one's "data":
//     {"topic","partition","offset","timestamp","headers","key","value"};
//   - a JSON array of strings, each a JSON-encoded CloudEvent;
//   - a JSON array of the bare data objects (eventSchema RawData);
//   - an AWS Lambda KafkaEvent: an object whose "eventSource" is "aws:kafka" or
//     "SelfManagedKafka" and whose "records" maps "topic-partition" to arrays of
//     records with base64 key and value and headers [{"name":[signed bytes]}].
//
// All elements of an array must have the same shape. In FC shapes:
//
//   - topic (non-empty string), partition (integer 0..2^31-1) and offset
//     (integer >= 0) are required;
//   - timestamp is epoch milliseconds as a number or a string of digits, or an
//     RFC 3339 string (cut to milliseconds, Kafka's precision); absent, null or
//     -1 mean none (the zero time). Times are UTC;
//   - key and value follow their format (WithKeyFormat, WithValueFormat). In
//     FormatAuto and FormatJSON a string is UTF-8 text, an object or array becomes
//     its compact JSON text, a number or boolean its JSON text; FormatText
//     accepts only strings (text); FormatBinary only strings (standard base64;
//     padding optional). A base64 value therefore needs FormatBinary: in auto
//     mode it is taken as text. Absent or null is a nil key or value (a tombstone);
//   - headers is {"headers":[{"key":"k","value":V}],"isReadOnly":false} (a bare
//     array of the same elements is accepted too), V an array of byte values
//     (-128..255, Java's signed bytes included), a UTF-8 string, or null.
//
// Unknown fields are ignored; repeated known fields are errors. A bad payload
// returns an error naming the element and the field, and no records. Decoded
// keys, values and header values are slices of the payload where they are its
// bytes (compact JSON, strings without escapes), or else of buffers of about
// 1/16 of its size: the payload must stay unchanged while the records are used,
// and keeping one value alive keeps the payload and one such buffer alive.
func DecodeKafkaEvent(payload []byte, opts ...KafkaOption) (KafkaEvent, error) {
	o, err := buildKafkaOptions(opts)
	if err != nil {
		return KafkaEvent{}, err
	}
	d := kafkaDecoder{opts: o, chunk: max(4<<10, len(payload)/16)}
	ev, err := d.decode(payload)
	if err != nil {
		return KafkaEvent{}, fmt.Errorf("trigger: kafka event: %w", err)
	}
	return ev, nil
}
