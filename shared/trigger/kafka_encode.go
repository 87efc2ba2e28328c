package trigger

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/fcsync/fcsync/shared/record"
)

// Defaults for the event source written by EncodeKafka: obviously local values.
const (
	DefaultKafkaInstanceID = "alikafka_local-fcsync"
	DefaultKafkaAccountID  = "1000000000000000"
	DefaultKafkaARN        = "arn:aws:kafka:us-east-1:000000000000:cluster/fcsync-local/00000000-0000-0000-0000-000000000000-1"
	DefaultKafkaBootstrap  = "127.0.0.1:9092"
)

// EncodeKafka writes records as a Kafka trigger payload of the given shape,
// laid out like the platform's samples (field order included), so that tests
// and the local trigger emulator feed functions what FC or Lambda would.
//
// Keys and values follow WithKeyFormat and WithValueFormat: FormatBinary is
// base64; FormatText is a string (bytes that are not UTF-8 become U+FFFD, as
// the platform's Java decoder does); FormatJSON embeds a value that is a JSON
// object or array as compact JSON and writes anything else as text. FormatAuto
// is FormatJSON for values and FormatText for keys. Only FormatBinary keeps
// arbitrary bytes exactly; JSON values come back compacted. Nil keys and values
// are left out (DecodeKafka reads an absent field as nil). Header values are
// written as arrays of Java's signed bytes. A zero Timestamp is left out.
//
// In the CloudEvent shapes the id is derived from topic, partition and offset
// (a redelivered record keeps its id) and the time is the record's timestamp.
// In the Lambda shape records are grouped under "topic-partition" in order of
// first appearance, and keys and values are always base64.
//
// Records must have a topic, and non-negative partitions and offsets; the
// error names the index of the first that does not.
func EncodeKafka(recs []record.Record, shape KafkaShape, opts ...KafkaOption) ([]byte, error) {
	o, err := buildKafkaOptions(opts)
	if err != nil {
		return nil, err
	}
	if o.source.InstanceID == "" {
		o.source.InstanceID = DefaultKafkaInstanceID
	}
	if o.source.AccountID == "" {
		o.source.AccountID = DefaultKafkaAccountID
	}
	if o.source.ARN == "" {
		o.source.ARN = DefaultKafkaARN
	}
	if o.source.BootstrapServers == "" {
		o.source.BootstrapServers = DefaultKafkaBootstrap
	}
	for i := range recs {
		r := &recs[i]
		switch {
		case r.Topic == "":
			return nil, fmt.Errorf("trigger: encode kafka record %d: empty topic", i)
		case r.Partition < 0:
			return nil, fmt.Errorf("trigger: encode kafka record %d (%s): negative partition", i, r.Where())
		case r.Offset < 0:
			return nil, fmt.Errorf("trigger: encode kafka record %d (%s): negative offset", i, r.Where())
		}
	}
	e := kafkaEncoder{opts: o}
	switch shape {
	case ShapeCloudEvents, ShapeCloudEventStrings, ShapeRawData:
		return e.array(recs, shape), nil
	case ShapeLambda:
		return e.lambda(recs), nil
	}
	return nil, fmt.Errorf("trigger: encode kafka: shape %q is not one of %s", truncate(string(shape)), joinShapes())
}

type kafkaEncoder struct {
	opts  kafkaOptions
	inner []byte // scratch for the JSON text of a CloudEvent held in a string
}

func (e *kafkaEncoder) array(recs []record.Record, shape KafkaShape) []byte {
	size := 2
	for i := range recs {
		size += 400 + len(recs[i].Key) + len(recs[i].Value)*4/3
	}
	b := make([]byte, 0, size)
	b = append(b, '[')
	for i := range recs {
		if i > 0 {
			b = append(b, ',')
		}
		r := &recs[i]
		switch shape {
		case ShapeRawData:
			b = e.data(b, r, false)
		case ShapeCloudEvents:
			b = e.cloudEvent(b, r)
		case ShapeCloudEventStrings:
			e.inner = e.cloudEventGson(e.inner[:0], r)
			b = appendJSONString(b, e.inner, false)
		}
	}
	return append(b, ']')
}

// cloudEvent writes the object CloudEvent as in kafka-cloudevents.json.
func (e *kafkaEncoder) cloudEvent(b []byte, r *record.Record) []byte {
	b = append(b, `{"specversion":"1.0","id":"`...)
	b = appendEventID(b, r)
	b = append(b, `","source":"acs:alikafka","type":"alikafka:Topic:Message","subject":`...)
	b = appendJSONString(b, []byte("acs:"+e.opts.source.InstanceID+":topic:"+r.Topic), false)
	b = append(b, `,"datacontenttype":"application/json; charset=utf-8"`...)
	if !r.Timestamp.IsZero() {
		b = append(b, `,"time":"`...)
		b = r.Timestamp.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
		b = append(b, '"')
	}
	b = append(b, `,"aliyunaccountid":`...)
	b = appendJSONString(b, []byte(e.opts.source.AccountID), false)
	b = append(b, `,"data":`...)
	b = e.data(b, r, false)
	return append(b, '}')
}

// cloudEventGson writes the CloudEvent JSON text held in a string, as in
// kafka-cloudevents-strings.json: data first, and the Gson escapes of '=',
// '\”, '<', '>' and '&'.
func (e *kafkaEncoder) cloudEventGson(b []byte, r *record.Record) []byte {
	b = append(b, `{"data":`...)
	b = e.data(b, r, true)
	b = append(b, `,"id":"`...)
	b = appendEventID(b, r)
	b = append(b, `","source":"acs:alikafka","specversion":"1.0","type":"alikafka:Topic:Message","datacontenttype":"application/json; charset\u003dutf-8"`...)
	if !r.Timestamp.IsZero() {
		b = append(b, `,"time":"`...)
		b = r.Timestamp.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
		b = append(b, '"')
	}
	b = append(b, `,"subject":`...)
	b = appendJSONString(b, []byte("acs:alikafka:"+e.opts.source.InstanceID+":topic:"+r.Topic), true)
	b = append(b, `,"aliyunaccountid":`...)
	b = appendJSONString(b, []byte(e.opts.source.AccountID), true)
	return append(b, '}')
}

// appendEventID writes a UUID-formatted id derived from the record position.
func appendEventID(b []byte, r *record.Record) []byte {
	sum := sha1.Sum([]byte(r.Topic + "\x00" + strconv.Itoa(int(r.Partition)) + "\x00" + strconv.FormatInt(r.Offset, 10)))
	var h [32]byte
	hex.Encode(h[:], sum[:16])
	b = append(b, h[0:8]...)
	b = append(b, '-')
	b = append(b, h[8:12]...)
	b = append(b, '-')
	b = append(b, h[12:16]...)
	b = append(b, '-')
	b = append(b, h[16:20]...)
	b = append(b, '-')
	return append(b, h[20:32]...)
}

// data writes the FC data object.
func (e *kafkaEncoder) data(b []byte, r *record.Record, gson bool) []byte {
	b = append(b, `{"topic":`...)
	b = appendJSONString(b, []byte(r.Topic), gson)
	b = append(b, `,"partition":`...)
	b = strconv.AppendInt(b, int64(r.Partition), 10)
	b = append(b, `,"offset":`...)
	b = strconv.AppendInt(b, r.Offset, 10)
	if !r.Timestamp.IsZero() {
		b = append(b, `,"timestamp":`...)
		b = strconv.AppendInt(b, r.Timestamp.UnixMilli(), 10)
	}
	b = append(b, `,"headers":{"headers":[`...)
	for i, h := range r.Headers {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"key":`...)
		b = appendJSONString(b, []byte(h.Key), gson)
		b = append(b, `,"value":`...)
		b = appendSignedBytes(b, h.Value)
		b = append(b, '}')
	}
	b = append(b, `],"isReadOnly":false}`...)
	if r.Key != nil {
		b = append(b, `,"key":`...)
		b = appendBytesAs(b, r.Key, e.opts.key, FormatText, gson)
	}
	if r.Value != nil {
		b = append(b, `,"value":`...)
		b = appendBytesAs(b, r.Value, e.opts.value, FormatJSON, gson)
	}
	return append(b, '}')
}

// appendBytesAs writes a key or value in format f (auto means def).
func appendBytesAs(b, v []byte, f, def DataFormat, gson bool) []byte {
	if f == FormatAuto {
		f = def
	}
	switch f {
	case FormatBinary:
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, v)
		return append(b, '"')
	case FormatJSON:
		if isJSONContainer(v) {
			s := jsonScanner{b: v}
			n := len(b)
			if err := s.value(&b, 0); err == nil && s.end() == nil {
				return b
			}
			b = b[:n]
		}
	}
	return appendJSONString(b, v, gson)
}

// isJSONContainer reports whether v starts like a JSON object or array.
func isJSONContainer(v []byte) bool {
	s := jsonScanner{b: v}
	c := s.peek()
	return c == '{' || c == '['
}

// appendSignedBytes writes bytes as a JSON array of Java's signed bytes; nil
// is null.
func appendSignedBytes(b, v []byte) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, c := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(int8(c)), 10)
	}
	return append(b, ']')
}

// appendJSONString writes s as a JSON string. Bytes that are not UTF-8 become
// U+FFFD. gson adds Gson's HTML-safe escapes ('<', '>', '&', '=', '\”).
func appendJSONString(b, s []byte, gson bool) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			esc := c < 0x20 || c == '"' || c == '\\' || gson && (c == '<' || c == '>' || c == '&' || c == '=' || c == '\'')
			if !esc {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, "\ufffd"...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// lambda writes an AWS Lambda KafkaEvent as in lambda-kafka.json.
func (e *kafkaEncoder) lambda(recs []record.Record) []byte {
	type group struct {
		name string
		idx  []int
	}
	var groups []*group
	byName := map[string]*group{}
	size := 256
	for i := range recs {
		r := &recs[i]
		name := r.Topic + "-" + strconv.Itoa(int(r.Partition))
		g := byName[name]
		if g == nil {
			g = &group{name: name}
			byName[name] = g
			groups = append(groups, g)
		}
		g.idx = append(g.idx, i)
		size += 200 + (len(r.Key)+len(r.Value))*4/3
	}
	b := make([]byte, 0, size)
	b = append(b, `{"eventSource":"aws:kafka","eventSourceArn":`...)
	b = appendJSONString(b, []byte(e.opts.source.ARN), false)
	b = append(b, `,"bootstrapServers":`...)
	b = appendJSONString(b, []byte(e.opts.source.BootstrapServers), false)
	b = append(b, `,"records":{`...)
	for gi, g := range groups {
		if gi > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, []byte(g.name), false)
		b = append(b, ":["...)
		for n, i := range g.idx {
			if n > 0 {
				b = append(b, ',')
			}
			r := &recs[i]
			b = append(b, `{"topic":`...)
			b = appendJSONString(b, []byte(r.Topic), false)
			b = append(b, `,"partition":`...)
			b = strconv.AppendInt(b, int64(r.Partition), 10)
			b = append(b, `,"offset":`...)
			b = strconv.AppendInt(b, r.Offset, 10)
			if !r.Timestamp.IsZero() {
				b = append(b, `,"timestamp":`...)
				b = strconv.AppendInt(b, r.Timestamp.UnixMilli(), 10)
				b = append(b, `,"timestampType":"CREATE_TIME"`...)
			}
			if r.Key != nil {
				b = append(b, `,"key":`...)
				b = appendBytesAs(b, r.Key, FormatBinary, FormatBinary, false)
			}
			if r.Value != nil {
				b = append(b, `,"value":`...)
				b = appendBytesAs(b, r.Value, FormatBinary, FormatBinary, false)
			}
			b = append(b, `,"headers":[`...)
			for hi, h := range r.Headers {
				if hi > 0 {
					b = append(b, ',')
				}
				b = append(b, '{')
				b = appendJSONString(b, []byte(h.Key), false)
				b = append(b, ':')
				b = appendSignedBytes(b, h.Value)
				b = append(b, '}')
			}
			b = append(b, "]}"...)
		}
		b = append(b, ']')
	}
	return append(b, "}}"...)
}
