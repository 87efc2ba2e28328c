package trigger

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/fcsync/fcsync/shared/record"
)

// kafkaDecoder holds the state of one DecodeKafkaEvent call.
type kafkaDecoder struct {
	opts    kafkaOptions
	arena   []byte // backing store for keys, values and header values that are not slices of the payload
	chunk   int    // the size of a new arena chunk
	nameBuf []byte // unescaped member names
	valBuf  []byte // unescaped base64 text
	topic   string // last topic seen, reused to avoid one string per record
	hdrTmp  []record.Header
	hdrSlab []record.Header   // backing store for the records' header slices
	hdrKeys map[string]string // interned header names
	group   []byte            // scratch for Lambda "topic-partition" checks
}

// maxInternedKeys bounds the header-name cache of one decode.
const maxInternedKeys = 256

// headerKey returns name as a string, interning common header names.
func (d *kafkaDecoder) headerKey(name []byte) string {
	if k, ok := d.hdrKeys[string(name)]; ok {
		return k
	}
	k := string(name)
	if d.hdrKeys == nil {
		d.hdrKeys = make(map[string]string)
	}
	if len(d.hdrKeys) < maxInternedKeys {
		d.hdrKeys[k] = k
	}
	return k
}

// keepHeaders copies the headers collected in d.hdrTmp into the slab and
// returns them (nil when there are none).
func (d *kafkaDecoder) keepHeaders() []record.Header {
	n := len(d.hdrTmp)
	if n == 0 {
		return nil
	}
	if cap(d.hdrSlab)-len(d.hdrSlab) < n {
		d.hdrSlab = make([]record.Header, 0, max(512, n))
	}
	start := len(d.hdrSlab)
	d.hdrSlab = append(d.hdrSlab, d.hdrTmp...)
	clear(d.hdrTmp)
	d.hdrTmp = d.hdrTmp[:0]
	return d.hdrSlab[start : start+n : start+n]
}

// room makes sure the arena takes n more bytes without moving, starting a new chunk if not
// (the values in the old one stay where they are).
func (d *kafkaDecoder) room(n int) {
	if cap(d.arena)-len(d.arena) < n {
		d.arena = make([]byte, 0, max(n, d.chunk))
	}
}

func (d *kafkaDecoder) decode(b []byte) (KafkaEvent, error) {
	s := jsonScanner{b: b, stable: true}
	if s.ws(); s.i == len(b) {
		return KafkaEvent{}, errors.New("empty payload")
	}
	switch b[s.i] {
	case '[':
		return d.array(&s)
	case '{':
		return d.lambda(&s)
	default:
		k := s.kind()
		if err := s.value(nil, 0); err != nil {
			return KafkaEvent{}, err
		}
		return KafkaEvent{}, fmt.Errorf("must be a JSON array of events or an AWS Kafka event object, got %s", k)
	}
}

// maxEstimate bounds the records allocated up front from the size of a payload's first element:
// a trigger sends at most 10,000 records (CountBasedWindow).
const maxEstimate = 10_000

// array decodes the FC shapes.
func (d *kafkaDecoder) array(s *jsonScanner) (KafkaEvent, error) {
	s.i++ // '['
	var ev KafkaEvent
	first := true
	for n := 0; ; n++ {
		more, err := s.element(&first)
		if err != nil {
			return KafkaEvent{}, fmt.Errorf("element %d: %w", n, err)
		}
		if !more {
			break
		}
		var shape KafkaShape
		var rec record.Record
		at := s.i
		switch s.peek() {
		case '"':
			shape = ShapeCloudEventStrings
			rec, err = d.eventString(s)
		case '{':
			shape, rec, err = d.element(s, "")
		default:
			k := s.kind()
			if err = s.value(nil, 0); err == nil {
				err = fmt.Errorf("must be a CloudEvent object, a CloudEvent JSON string or a data object, got %s", k)
			}
		}
		if err != nil {
			return KafkaEvent{}, fmt.Errorf("element %d: %w", n, err)
		}
		if n == 0 {
			ev.Shape = shape
			// Size the records for elements like the first one (and a tenth more).
			if size := s.i - at; size > 0 {
				ev.Records = make([]record.Record, 0, min(maxEstimate, len(s.b)/size+len(s.b)/size/10+1))
			}
		} else if shape != ev.Shape {
			return KafkaEvent{}, fmt.Errorf("element %d: is %s but element 0 is %s: mixed shapes", n, describeShape(shape), describeShape(ev.Shape))
		}
		ev.Records = append(ev.Records, rec)
	}
	if err := s.end(); err != nil {
		return KafkaEvent{}, err
	}
	if ev.Shape == "" {
		ev.Shape = ShapeCloudEvents
	}
	return ev, nil
}

func describeShape(k KafkaShape) string {
	switch k {
	case ShapeCloudEvents:
		return "a CloudEvent object"
	case ShapeCloudEventStrings:
		return "a CloudEvent JSON string"
	case ShapeRawData:
		return "a RawData object"
	}
	return string(k)
}

// eventString decodes a CloudEvent held in a JSON string.
func (d *kafkaDecoder) eventString(s *jsonScanner) (record.Record, error) {
	raw, escaped, err := s.str()
	if err != nil {
		return record.Record{}, err
	}
	if escaped {
		// The unescaped text goes to the arena: the record's fields may be slices of it.
		d.room(len(raw))
		at := len(d.arena)
		d.arena = unescape(d.arena, raw)
		raw = d.arena[at:len(d.arena):len(d.arena)]
	}
	inner := jsonScanner{b: raw, stable: s.stable || escaped}
	if inner.peek() != '{' {
		if err := inner.value(nil, 0); err != nil {
			return record.Record{}, fmt.Errorf("the string's CloudEvent: %w", err)
		}
		return record.Record{}, fmt.Errorf("the string must hold a CloudEvent object, holds %s", kindOf(raw))
	}
	shape, rec, err := d.element(&inner, "the string's ")
	if err == nil && shape != ShapeCloudEvents {
		err = errors.New(`the string's object has no "data": not a CloudEvent`)
	}
	if err == nil {
		err = inner.end()
		if err != nil {
			err = fmt.Errorf("the string's CloudEvent: %w", err)
		}
	}
	return rec, err
}

// element decodes one array element object: a CloudEvent (it has "data") or
// a RawData object (it has the record fields at the top).
func (d *kafkaDecoder) element(s *jsonScanner, prefix string) (KafkaShape, record.Record, error) {
	s.i++ // '{'
	// Constant error prefixes: no string is built unless there is an error.
	dataWhere, rawWhere := `field "data.`, `field "`
	if prefix != "" {
		dataWhere, rawWhere = `the string's field "data.`, `the string's field "`
	}
	var rec record.Record
	var seen fieldSet
	hasData := false
	first := true
	for {
		name, more, err := s.member(&first, &d.nameBuf)
		if err != nil {
			return "", rec, fmt.Errorf("%s%w", prefix, err)
		}
		if !more {
			break
		}
		if string(name) == "data" {
			if hasData {
				return "", rec, fmt.Errorf(`%sfield "data" appears more than once`, prefix)
			}
			hasData = true
			if s.peek() != '{' {
				k := s.kind()
				if err := s.value(nil, 0); err != nil {
					return "", rec, fmt.Errorf(`%sfield "data": %w`, prefix, err)
				}
				return "", rec, fmt.Errorf(`%sfield "data": must be an object, got %s`, prefix, k)
			}
			if rec, err = d.data(s, dataWhere); err != nil {
				return "", rec, err
			}
			continue
		}
		f := dataField(name)
		if f == fieldUnknown {
			if err := s.value(nil, 0); err != nil {
				return "", rec, fmt.Errorf("%sfield %q: %w", prefix, truncate(string(name)), err)
			}
			continue
		}
		if err := d.field(s, f, &seen, &rec, rawWhere); err != nil {
			return "", rec, err
		}
	}
	switch {
	case hasData && seen != 0:
		return "", rec, fmt.Errorf(`%shas both "data" and the record field %q at the top: neither a CloudEvent nor RawData`, prefix, seen.first())
	case hasData:
		return ShapeCloudEvents, rec, nil
	}
	if err := seen.required(prefix + `field "`); err != nil {
		return "", rec, err
	}
	return ShapeRawData, rec, nil
}

// data decodes a CloudEvent's data object; where is the error prefix up to the
// field name (`field "data.`).
func (d *kafkaDecoder) data(s *jsonScanner, where string) (record.Record, error) {
	s.i++ // '{'
	var rec record.Record
	var seen fieldSet
	first := true
	for {
		name, more, err := s.member(&first, &d.nameBuf)
		if err != nil {
			return rec, fmt.Errorf(`%s": %w`, strings.TrimSuffix(where, "."), err)
		}
		if !more {
			break
		}
		f := dataField(name)
		if f == fieldUnknown {
			if err := s.value(nil, 0); err != nil {
				return rec, fmt.Errorf(`%s%s": %w`, where, truncate(string(name)), err)
			}
			continue
		}
		if err := d.field(s, f, &seen, &rec, where); err != nil {
			return rec, err
		}
	}
	return rec, seen.required(where)
}

// The record fields of FC payloads.
type kafkaField uint8

const (
	fieldUnknown kafkaField = iota
	fieldTopic
	fieldPartition
	fieldOffset
	fieldTimestamp
	fieldHeaders
	fieldKey
	fieldValue
)

var kafkaFieldNames = [...]string{"", "topic", "partition", "offset", "timestamp", "headers", "key", "value"}

func dataField(name []byte) kafkaField {
	switch string(name) {
	case "topic":
		return fieldTopic
	case "partition":
		return fieldPartition
	case "offset":
		return fieldOffset
	case "timestamp":
		return fieldTimestamp
	case "headers":
		return fieldHeaders
	case "key":
		return fieldKey
	case "value":
		return fieldValue
	}
	return fieldUnknown
}

// fieldSet records which record fields were seen.
type fieldSet uint16

func (fs fieldSet) has(f kafkaField) bool { return fs&(1<<f) != 0 }

func (fs fieldSet) first() string {
	for f := fieldTopic; f <= fieldValue; f++ {
		if fs.has(f) {
			return kafkaFieldNames[f]
		}
	}
	return ""
}

func (fs fieldSet) required(where string) error {
	const all = 1<<fieldTopic | 1<<fieldPartition | 1<<fieldOffset
	if fs&all == all {
		return nil
	}
	for _, f := range []kafkaField{fieldTopic, fieldPartition, fieldOffset} {
		if !fs.has(f) {
			return fmt.Errorf(`%s%s" is missing`, where, kafkaFieldNames[f])
		}
	}
	return nil
}

// field decodes one FC record field into rec; where is the error prefix up to
// the field name.
func (d *kafkaDecoder) field(s *jsonScanner, f kafkaField, seen *fieldSet, rec *record.Record, where string) error {
	name := kafkaFieldNames[f]
	if seen.has(f) {
		return fmt.Errorf(`%s%s" appears more than once`, where, name)
	}
	*seen |= 1 << f
	var err error
	switch f {
	case fieldTopic:
		rec.Topic, err = d.topicString(s)
	case fieldPartition:
		var p int64
		p, err = s.intField(0, 1<<31-1, "a partition")
		rec.Partition = int32(p)
	case fieldOffset:
		rec.Offset, err = s.intField(0, 1<<63-1, "an offset")
	case fieldTimestamp:
		rec.Timestamp, err = s.timestamp()
	case fieldHeaders:
		rec.Headers, err = d.headers(s, where)
		if err != nil {
			return err // already names the element
		}
	case fieldKey:
		rec.Key, err = d.bytesField(s, d.opts.key)
	case fieldValue:
		c := s.peek()
		rec.Value, err = d.bytesField(s, d.opts.value)
		// Not a string and not null: JSON text that bytesField validated.
		rec.ValueJSON = err == nil && rec.Value != nil && c != '"'
	}
	if err != nil {
		return fmt.Errorf(`%s%s": %w`, where, name, err)
	}
	return nil
}

// topicString reads a non-empty string, reusing the previous topic's string.
func (d *kafkaDecoder) topicString(s *jsonScanner) (string, error) {
	if s.peek() != '"' {
		k := s.kind()
		if err := s.value(nil, 0); err != nil {
			return "", err
		}
		return "", fmt.Errorf("must be a string, got %s", k)
	}
	raw, escaped, err := s.str()
	if err != nil {
		return "", err
	}
	if escaped {
		d.nameBuf = unescape(d.nameBuf[:0], raw)
		raw = d.nameBuf
	}
	if len(raw) == 0 {
		return "", errors.New("is empty")
	}
	if string(raw) != d.topic {
		d.topic = string(raw)
	}
	return d.topic, nil
}

// intField reads an integer number within [lo, hi].
func (s *jsonScanner) intField(lo, hi int64, what string) (int64, error) {
	c := s.peek()
	if c != '-' && (c < '0' || c > '9') {
		k := s.kind()
		if err := s.value(nil, 0); err != nil {
			return 0, err
		}
		return 0, fmt.Errorf("must be an integer, got %s", k)
	}
	text, err := s.number()
	if err != nil {
		return 0, err
	}
	n, err := parseInt(text)
	switch {
	case err == nil && n >= lo && n <= hi:
		return n, nil
	case errors.Is(err, errNotInteger):
		return 0, fmt.Errorf("%s is not an integer", truncate(string(text)))
	case err != nil || n > hi:
		return 0, fmt.Errorf("%s is too large for %s", truncate(string(text)), what)
	case n < lo:
		return 0, fmt.Errorf("%s is negative", text)
	}
	return n, nil
}

// timestamp reads epoch milliseconds (a number or a string of digits) or an
// RFC 3339 string; null and -1 are the zero time.
func (s *jsonScanner) timestamp() (time.Time, error) {
	switch c := s.peek(); {
	case c == 'n':
		return time.Time{}, s.literal("null")
	case c == '"':
		raw, escaped, err := s.str()
		if err != nil {
			return time.Time{}, err
		}
		if escaped {
			raw = unescape(nil, raw)
		}
		return parseTimestampText(raw)
	case c == '-' || (c >= '0' && c <= '9'):
		text, err := s.number()
		if err != nil {
			return time.Time{}, err
		}
		return millisTime(text)
	default:
		k := s.kind()
		if err := s.value(nil, 0); err != nil {
			return time.Time{}, err
		}
		return time.Time{}, fmt.Errorf("must be epoch milliseconds or an RFC 3339 string, got %s", k)
	}
}

// Timestamps outside years 0001..9999 are refused so that every accepted time
// formats as RFC 3339 again.
var (
	minMillis = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	maxMillis = time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC).UnixMilli()
)

func millisTime(text []byte) (time.Time, error) {
	ms, err := parseInt(text)
	if err != nil && errors.Is(err, errNotInteger) {
		return time.Time{}, fmt.Errorf("%s is not whole epoch milliseconds", truncate(string(text)))
	}
	if err != nil || ms < minMillis || ms > maxMillis {
		return time.Time{}, fmt.Errorf("%s is out of range for epoch milliseconds", truncate(string(text)))
	}
	if ms == -1 {
		return time.Time{}, nil // Kafka's "no timestamp"
	}
	return time.UnixMilli(ms).UTC(), nil
}

func parseTimestampText(raw []byte) (time.Time, error) {
	if len(raw) == 0 {
		return time.Time{}, errors.New(`"" is neither epoch milliseconds nor an RFC 3339 time`)
	}
	if c := raw[0]; c == '-' || (c >= '0' && c <= '9') {
		if _, err := parseInt(raw); err == nil || errors.Is(err, errOverflow) {
			return millisTime(raw)
		}
	}
	t, err := time.Parse(time.RFC3339Nano, string(raw))
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither epoch milliseconds nor an RFC 3339 time", truncate(string(raw)))
	}
	if ms := t.UnixMilli(); ms < minMillis || ms > maxMillis {
		return time.Time{}, fmt.Errorf("%q is out of range (years 0001..9999)", truncate(string(raw)))
	}
	return t.Truncate(time.Millisecond).UTC(), nil
}

// bytesField reads a key or value in format f into the arena.
func (d *kafkaDecoder) bytesField(s *jsonScanner, f DataFormat) ([]byte, error) {
	switch c := s.peek(); c {
	case 'n':
		if err := s.literal("null"); err != nil {
			return nil, err
		}
		return nil, nil
	case '"':
		raw, escaped, err := s.str()
		if err != nil {
			return nil, err
		}
		if f == FormatBinary {
			if escaped {
				d.valBuf = unescape(d.valBuf[:0], raw)
				raw = d.valBuf
			}
			d.room(len(raw))
			at := len(d.arena)
			if d.arena, err = appendBase64(d.arena, raw); err != nil {
				return nil, fmt.Errorf("is not base64 (binary format): %w", err)
			}
			return d.arena[at:len(d.arena):len(d.arena)], nil
		}
		return d.text(s, raw, escaped), nil
	default:
		if f == FormatText || f == FormatBinary {
			k := s.kind()
			if err := s.value(nil, 0); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("must be a string (%s format), got %s", f, k)
		}
		start := s.i
		s.spaced = false
		if err := s.value(nil, 0); err != nil {
			return nil, err
		}
		raw := s.b[start:s.i:s.i]
		if s.stable && !s.spaced {
			return raw, nil // compact already: the payload's own bytes
		}
		d.room(len(raw))
		at := len(d.arena)
		compact := jsonScanner{b: raw}
		if err := compact.value(&d.arena, 0); err != nil {
			return nil, err // not reached: the value was just validated
		}
		return d.arena[at:len(d.arena):len(d.arena)], nil
	}
}

// text returns a string's raw content as bytes: unescaped into the arena, or the payload's
// own bytes when there is nothing to undo.
func (d *kafkaDecoder) text(s *jsonScanner, raw []byte, escaped bool) []byte {
	if !escaped && s.stable {
		return raw[:len(raw):len(raw)]
	}
	d.room(len(raw))
	at := len(d.arena)
	if escaped {
		d.arena = unescape(d.arena, raw)
	} else {
		d.arena = append(d.arena, raw...)
	}
	return d.arena[at:len(d.arena):len(d.arena)]
}

// headers reads {"headers":[...],"isReadOnly":b} or a bare array of header
// objects; where is the error prefix up to the field name.
func (d *kafkaDecoder) headers(s *jsonScanner, where string) ([]record.Header, error) {
	switch s.peek() {
	case 'n':
		return nil, s.literal("null")
	case '[':
		return d.headerArray(s, where, "headers")
	case '{':
	default:
		k := s.kind()
		if err := s.value(nil, 0); err != nil {
			return nil, fmt.Errorf(`%sheaders": %w`, where, err)
		}
		return nil, fmt.Errorf(`%sheaders": must be an object {"headers":[...]}, got %s`, where, k)
	}
	s.i++
	var hs []record.Header
	seen := false
	first := true
	for {
		name, more, err := s.member(&first, &d.nameBuf)
		if err != nil {
			return nil, fmt.Errorf(`%sheaders": %w`, where, err)
		}
		if !more {
			return hs, nil
		}
		if string(name) != "headers" {
			if err := s.value(nil, 0); err != nil {
				return nil, fmt.Errorf(`%sheaders.%s": %w`, where, truncate(string(name)), err)
			}
			continue
		}
		if seen {
			return nil, fmt.Errorf(`%sheaders.headers" appears more than once`, where)
		}
		seen = true
		switch s.peek() {
		case 'n':
			if err := s.literal("null"); err != nil {
				return nil, fmt.Errorf(`%sheaders.headers": %w`, where, err)
			}
		case '[':
			if hs, err = d.headerArray(s, where, "headers.headers"); err != nil {
				return nil, err
			}
		default:
			k := s.kind()
			if err := s.value(nil, 0); err != nil {
				return nil, fmt.Errorf(`%sheaders.headers": %w`, where, err)
			}
			return nil, fmt.Errorf(`%sheaders.headers": must be an array, got %s`, where, k)
		}
	}
}

// headerArray reads [{"key":"k","value":V},...].
func (d *kafkaDecoder) headerArray(s *jsonScanner, where, name string) ([]record.Header, error) {
	s.i++ // '['
	d.hdrTmp = d.hdrTmp[:0]
	first := true
	for n := 0; ; n++ {
		more, err := s.element(&first)
		if err != nil {
			return nil, fmt.Errorf(`%s%s": %w`, where, name, err)
		}
		if !more {
			return d.keepHeaders(), nil
		}
		at := lazyWhere{where, name, n}
		if s.peek() != '{' {
			k := s.kind()
			if err := s.value(nil, 0); err != nil {
				return nil, fmt.Errorf(`%s": %w`, at.String(), err)
			}
			return nil, fmt.Errorf(`%s": must be an object {"key":..,"value":..}, got %s`, at.String(), k)
		}
		s.i++
		var h record.Header
		var hasKey, hasValue bool
		first := true
		for {
			name, more, err := s.member(&first, &d.nameBuf)
			if err != nil {
				return nil, fmt.Errorf(`%s": %w`, at.String(), err)
			}
			if !more {
				break
			}
			switch string(name) {
			case "key":
				if hasKey {
					return nil, fmt.Errorf(`%s.key" appears more than once`, at.String())
				}
				hasKey = true
				if s.peek() != '"' {
					k := s.kind()
					if err := s.value(nil, 0); err != nil {
						return nil, fmt.Errorf(`%s.key": %w`, at.String(), err)
					}
					return nil, fmt.Errorf(`%s.key": must be a string, got %s`, at.String(), k)
				}
				raw, escaped, err := s.str()
				if err != nil {
					return nil, fmt.Errorf(`%s.key": %w`, at.String(), err)
				}
				if escaped {
					raw = unescape(nil, raw)
				}
				h.Key = d.headerKey(raw)
			case "value":
				if hasValue {
					return nil, fmt.Errorf(`%s.value" appears more than once`, at.String())
				}
				hasValue = true
				if h.Value, err = d.headerValue(s, false); err != nil {
					return nil, fmt.Errorf(`%s.value": %w`, at.String(), err)
				}
			default:
				if err := s.value(nil, 0); err != nil {
					return nil, fmt.Errorf(`%s.%s": %w`, at.String(), truncate(string(name)), err)
				}
			}
		}
		if !hasKey {
			return nil, fmt.Errorf(`%s.key" is missing`, at.String())
		}
		d.hdrTmp = append(d.hdrTmp, h)
	}
}

// lazyWhere names a header element for error messages, built only when needed.
type lazyWhere struct {
	where, name string
	n           int
}

func (l lazyWhere) String() string { return fmt.Sprintf("%s%s[%d]", l.where, l.name, l.n) }

// headerValue reads an array of byte values (-128..255), null, or a string:
// UTF-8 text, or base64 when base64 is set (Lambda).
func (d *kafkaDecoder) headerValue(s *jsonScanner, base64 bool) ([]byte, error) {
	start := len(d.arena)
	switch c := s.peek(); c {
	case 'n':
		return nil, s.literal("null")
	case '"':
		raw, escaped, err := s.str()
		if err != nil {
			return nil, err
		}
		if !base64 {
			return d.text(s, raw, escaped), nil
		}
		if escaped {
			d.valBuf = unescape(d.valBuf[:0], raw)
			raw = d.valBuf
		}
		d.room(len(raw))
		start = len(d.arena)
		if d.arena, err = appendBase64(d.arena, raw); err != nil {
			return nil, fmt.Errorf("is not base64: %w", err)
		}
	case '[':
		s.i++
		first := true
		for n := 0; ; n++ {
			more, err := s.element(&first)
			if err != nil {
				return nil, err
			}
			if !more {
				break
			}
			c := s.peek()
			if c != '-' && (c < '0' || c > '9') {
				k := s.kind()
				if err := s.value(nil, 0); err != nil {
					return nil, err
				}
				return nil, fmt.Errorf("[%d]: must be a byte value, got %s", n, k)
			}
			text, err := s.number()
			if err != nil {
				return nil, err
			}
			v, err := parseInt(text)
			if err != nil || v < -128 || v > 255 {
				return nil, fmt.Errorf("[%d]: %s is not a byte value (-128..255)", n, truncate(string(text)))
			}
			d.arena = append(d.arena, byte(v))
		}
	default:
		k := s.kind()
		if err := s.value(nil, 0); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("must be an array of byte values, a string or null, got %s", k)
	}
	return d.arena[start:len(d.arena):len(d.arena)], nil
}

// lambda decodes an AWS Lambda KafkaEvent.
func (d *kafkaDecoder) lambda(s *jsonScanner) (KafkaEvent, error) {
	s.i++ // '{'
	ev := KafkaEvent{Shape: ShapeLambda}
	var source string
	var hasSource, hasRecords bool
	first := true
	for {
		name, more, err := s.member(&first, &d.nameBuf)
		if err != nil {
			return KafkaEvent{}, err
		}
		if !more {
			break
		}
		switch string(name) {
		case "eventSource":
			if hasSource {
				return KafkaEvent{}, errors.New(`field "eventSource" appears more than once`)
			}
			hasSource = true
			if s.peek() != '"' {
				k := s.kind()
				if err := s.value(nil, 0); err != nil {
					return KafkaEvent{}, fmt.Errorf(`field "eventSource": %w`, err)
				}
				return KafkaEvent{}, fmt.Errorf(`field "eventSource": must be a string, got %s`, k)
			}
			raw, escaped, err := s.str()
			if err != nil {
				return KafkaEvent{}, fmt.Errorf(`field "eventSource": %w`, err)
			}
			if escaped {
				raw = unescape(nil, raw)
			}
			source = string(raw)
		case "records":
			if hasRecords {
				return KafkaEvent{}, errors.New(`field "records" appears more than once`)
			}
			hasRecords = true
			if ev.Records, err = d.lambdaRecords(s); err != nil {
				return KafkaEvent{}, err
			}
		default:
			if err := s.value(nil, 0); err != nil {
				return KafkaEvent{}, fmt.Errorf("field %q: %w", truncate(string(name)), err)
			}
		}
	}
	if err := s.end(); err != nil {
		return KafkaEvent{}, err
	}
	switch {
	case !hasSource:
		return KafkaEvent{}, errors.New(`an object without "eventSource" is not an AWS Kafka event (FC Kafka payloads are arrays)`)
	case source != "aws:kafka" && source != "SelfManagedKafka":
		return KafkaEvent{}, fmt.Errorf(`field "eventSource" is %q, want "aws:kafka" or "SelfManagedKafka"`, truncate(source))
	case !hasRecords:
		return KafkaEvent{}, errors.New(`field "records" is missing`)
	}
	return ev, nil
}

// lambdaRecords reads the "records" map of topic-partition to record arrays.
func (d *kafkaDecoder) lambdaRecords(s *jsonScanner) ([]record.Record, error) {
	if s.peek() != '{' {
		k := s.kind()
		if err := s.value(nil, 0); err != nil {
			return nil, fmt.Errorf(`field "records": %w`, err)
		}
		return nil, fmt.Errorf(`field "records": must be an object of "topic-partition" arrays, got %s`, k)
	}
	s.i++
	var recs []record.Record
	var groupBuf []byte
	first := true
	for {
		name, more, err := s.member(&first, &d.nameBuf)
		if err != nil {
			return nil, fmt.Errorf(`field "records": %w`, err)
		}
		if !more {
			return recs, nil
		}
		groupBuf = append(groupBuf[:0], name...)
		group := string(groupBuf)
		at := fmt.Sprintf("records[%q]", truncate(group))
		if s.peek() != '[' {
			k := s.kind()
			if err := s.value(nil, 0); err != nil {
				return nil, fmt.Errorf("%s: %w", at, err)
			}
			return nil, fmt.Errorf("%s: must be an array of records, got %s", at, k)
		}
		s.i++
		efirst := true
		for n := 0; ; n++ {
			more, err := s.element(&efirst)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", at, err)
			}
			if !more {
				break
			}
			rec, err := d.lambdaRecord(s)
			if err != nil {
				return nil, fmt.Errorf("%s[%d]: %w", at, n, err)
			}
			d.group = append(append(d.group[:0], rec.Topic...), '-')
			d.group = strconv.AppendInt(d.group, int64(rec.Partition), 10)
			if string(d.group) != group {
				return nil, fmt.Errorf("%s[%d]: topic %q partition %d do not belong under %q", at, n, truncate(rec.Topic), rec.Partition, truncate(group))
			}
			recs = append(recs, rec)
		}
	}
}

// lambdaRecord reads one Lambda KafkaRecord.
func (d *kafkaDecoder) lambdaRecord(s *jsonScanner) (record.Record, error) {
	var rec record.Record
	if s.peek() != '{' {
		k := s.kind()
		if err := s.value(nil, 0); err != nil {
			return rec, err
		}
		return rec, fmt.Errorf("must be a record object, got %s", k)
	}
	s.i++
	var seen fieldSet
	first := true
	for {
		name, more, err := s.member(&first, &d.nameBuf)
		if err != nil {
			return rec, err
		}
		if !more {
			break
		}
		f := dataField(name)
		switch f {
		case fieldUnknown:
			if err := s.value(nil, 0); err != nil {
				return rec, fmt.Errorf("field %q: %w", truncate(string(name)), err)
			}
			continue
		case fieldKey, fieldValue:
			if seen.has(f) {
				return rec, fmt.Errorf("field %q appears more than once", kafkaFieldNames[f])
			}
			seen |= 1 << f
			b, err := d.bytesField(s, FormatBinary)
			if err != nil {
				return rec, fmt.Errorf("field %q: %w", kafkaFieldNames[f], err)
			}
			if f == fieldKey {
				rec.Key = b
			} else {
				rec.Value = b
			}
		case fieldHeaders:
			if seen.has(f) {
				return rec, errors.New(`field "headers" appears more than once`)
			}
			seen |= 1 << f
			if rec.Headers, err = d.lambdaHeaders(s); err != nil {
				return rec, err
			}
		default:
			if err := d.field(s, f, &seen, &rec, `field "`); err != nil {
				return rec, err
			}
		}
	}
	return rec, seen.required(`field "`)
}

// lambdaHeaders reads [{"name":[signed bytes]}, ...]; an object may hold
// several headers, taken in document order.
func (d *kafkaDecoder) lambdaHeaders(s *jsonScanner) ([]record.Header, error) {
	switch s.peek() {
	case 'n':
		return nil, s.literal("null")
	case '[':
	default:
		k := s.kind()
		if err := s.value(nil, 0); err != nil {
			return nil, fmt.Errorf(`field "headers": %w`, err)
		}
		return nil, fmt.Errorf(`field "headers": must be an array of objects, got %s`, k)
	}
	s.i++
	d.hdrTmp = d.hdrTmp[:0]
	first := true
	for n := 0; ; n++ {
		more, err := s.element(&first)
		if err != nil {
			return nil, fmt.Errorf(`field "headers": %w`, err)
		}
		if !more {
			return d.keepHeaders(), nil
		}
		if s.peek() != '{' {
			k := s.kind()
			if err := s.value(nil, 0); err != nil {
				return nil, fmt.Errorf(`field "headers[%d]": %w`, n, err)
			}
			return nil, fmt.Errorf(`field "headers[%d]": must be an object {"name":[bytes]}, got %s`, n, k)
		}
		s.i++
		mfirst := true
		for {
			name, more, err := s.member(&mfirst, &d.nameBuf)
			if err != nil {
				return nil, fmt.Errorf(`field "headers[%d]": %w`, n, err)
			}
			if !more {
				break
			}
			key := d.headerKey(name)
			v, err := d.headerValue(s, true)
			if err != nil {
				return nil, fmt.Errorf(`field "headers[%d].%s": %w`, n, truncate(key), err)
			}
			d.hdrTmp = append(d.hdrTmp, record.Header{Key: key, Value: v})
		}
	}
}
