package cdc

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/fcsync/fcsync/shared/column"
	"github.com/go-mysql-org/go-mysql/mysql"
)

// valueType is the JSON shape of a converted value.
type valueType uint8

const (
	vNull valueType = iota
	vLong
	vULong
	vDouble
	vString
	vBytes
	vDate // epoch milliseconds in i
	vBool
)

// value is one converted cell. Strings and bytes point into the source buffers: a value lives
// only until its record is encoded.
type value struct {
	t    valueType
	f32  bool // vDouble from a FLOAT column
	i    int64
	u    uint64
	f    float64
	s    string
	b    []byte
	useB bool // vString or vBytes held in b
}

func (v *value) text() []byte {
	if v.useB {
		return v.b
	}
	return []byte(v.s)
}

func strValue(s string) value   { return value{t: vString, s: s} }
func bytesStr(b []byte) value   { return value{t: vString, b: b, useB: true} }
func bytesValue(b []byte) value { return value{t: vBytes, b: b, useB: true} }
func longValue(i int64) value   { return value{t: vLong, i: i} }
func ulongValue(u uint64) value { return value{t: vULong, u: u} }
func dateValue(ms int64) value  { return value{t: vDate, i: ms} }
func boolValue(b bool) value {
	if b {
		return value{t: vBool, i: 1}
	}
	return value{t: vBool}
}
func doubleValue(f float64, f32 bool) value { return value{t: vDouble, f: f, f32: f32} }

// convertBinlog converts a value decoded by go-mysql's binlog parser (ParseTime off, TIMESTAMP
// strings in UTC, decimals as strings) to the column's DataWorks type. loc is the job's zone
// for DATE and DATETIME.
func convertBinlog(c *Column, v any, loc *time.Location) (value, error) {
	if v == nil {
		return value{}, nil
	}
	switch c.kind {
	case kindInt:
		n, ok := asInt64(v)
		if !ok {
			return value{}, typeErr(c, v)
		}
		return longValue(n), nil
	case kindUint:
		switch x := v.(type) {
		case int8:
			return ulongValue(uint64(uint8(x))), nil
		case int16:
			return ulongValue(uint64(uint16(x))), nil
		case int32:
			if c.width == 3 {
				return ulongValue(uint64(uint32(x) & 0xFFFFFF)), nil
			}
			return ulongValue(uint64(uint32(x))), nil
		case int64:
			return ulongValue(uint64(x)), nil
		}
		if n, ok := asUint64(v); ok {
			return ulongValue(n), nil
		}
		return value{}, typeErr(c, v)
	case kindFloat:
		switch x := v.(type) {
		case float32:
			return doubleValue(float64(x), true), nil
		case float64:
			return doubleValue(x, c.float32), nil
		}
		return value{}, typeErr(c, v)
	case kindBool, kindBit:
		var n uint64
		switch x := v.(type) {
		case int64:
			n = uint64(x)
		case []byte:
			n = bigEndian(x)
		case string:
			n = bigEndian([]byte(x))
		default:
			return value{}, typeErr(c, v)
		}
		if c.kind == kindBool {
			return boolValue(n != 0), nil
		}
		return ulongValue(n), nil
	case kindEnum:
		idx, ok := asInt64(v)
		if !ok {
			if s, ok := v.(string); ok {
				return strValue(s), nil
			}
			return value{}, typeErr(c, v)
		}
		if idx == 0 {
			return strValue(""), nil // the error value '' MySQL stores for an invalid member
		}
		if idx < 0 || int(idx) > len(c.labels) {
			return value{}, fmt.Errorf("column %s: enum member %d of %d (the column changed after this binlog position?)", c.Name, idx, len(c.labels))
		}
		return strValue(c.labels[idx-1]), nil
	case kindSet:
		mask, ok := asInt64(v)
		if !ok {
			return value{}, typeErr(c, v)
		}
		var parts []string
		for i, l := range c.labels {
			if mask&(1<<uint(i)) != 0 {
				parts = append(parts, l)
			}
		}
		if uint64(mask)>>uint(min(len(c.labels), 63)) != 0 && len(c.labels) < 64 {
			return value{}, fmt.Errorf("column %s: set bits %#x beyond its %d members", c.Name, mask, len(c.labels))
		}
		return strValue(strings.Join(parts, ",")), nil
	case kindBytes:
		var b []byte
		switch x := v.(type) {
		case []byte:
			b = x
		case string:
			b = []byte(x)
		default:
			return value{}, typeErr(c, v)
		}
		if c.width > 0 && len(b) < c.width {
			// The binlog drops the trailing zero bytes of BINARY(n); a snapshot read has them.
			p := make([]byte, c.width)
			copy(p, b)
			b = p
		}
		return bytesValue(b), nil
	case kindString:
		var b []byte
		switch x := v.(type) {
		case string:
			if c.decoder == nil {
				return strValue(x), nil
			}
			b = []byte(x)
		case []byte:
			b = x
		default:
			return value{}, typeErr(c, v)
		}
		if c.decoder != nil {
			d, err := c.decoder.Bytes(b)
			if err != nil {
				return value{}, fmt.Errorf("column %s: decode %s: %w", c.Name, c.Charset, err)
			}
			b = d
		}
		return bytesStr(b), nil
	}
	// decimal, date, datetime, timestamp, time: go-mysql gives text
	switch x := v.(type) {
	case string:
		return fromText(c, []byte(x), loc)
	case []byte:
		return fromText(c, x, loc)
	case fmt.Stringer:
		return fromText(c, []byte(x.String()), loc)
	}
	return value{}, typeErr(c, v)
}

// convertField converts a value of a snapshot query (binary or text protocol).
func convertField(c *Column, fv *mysql.FieldValue, loc *time.Location) (value, error) {
	switch fv.Type {
	case mysql.FieldValueTypeNull:
		return value{}, nil
	case mysql.FieldValueTypeSigned:
		n := fv.AsInt64()
		switch c.kind {
		case kindUint, kindBit:
			return ulongValue(uint64(n)), nil
		case kindBool:
			return boolValue(n != 0), nil
		case kindFloat:
			return doubleValue(float64(n), c.float32), nil
		}
		return longValue(n), nil
	case mysql.FieldValueTypeUnsigned:
		n := fv.AsUint64()
		switch c.kind {
		case kindInt:
			if n > math.MaxInt64 {
				return ulongValue(n), nil
			}
			return longValue(int64(n)), nil
		case kindBool:
			return boolValue(n != 0), nil
		}
		return ulongValue(n), nil
	case mysql.FieldValueTypeFloat:
		return doubleValue(fv.AsFloat64(), c.float32), nil
	}
	b := fv.AsString()
	switch c.kind {
	case kindString, kindEnum, kindSet, kindTime:
		return bytesStr(b), nil
	case kindBytes:
		return bytesValue(b), nil
	}
	return fromText(c, b, loc)
}

// fromText converts the text form of a value.
func fromText(c *Column, b []byte, loc *time.Location) (value, error) {
	switch c.kind {
	case kindInt:
		n, err := strconv.ParseInt(string(b), 10, 64)
		if err != nil {
			return value{}, fmt.Errorf("column %s: integer %q: %w", c.Name, b, err)
		}
		return longValue(n), nil
	case kindUint:
		n, err := strconv.ParseUint(string(b), 10, 64)
		if err != nil {
			return value{}, fmt.Errorf("column %s: integer %q: %w", c.Name, b, err)
		}
		return ulongValue(n), nil
	case kindFloat:
		f, err := strconv.ParseFloat(string(b), 64)
		if err != nil {
			return value{}, fmt.Errorf("column %s: number %q: %w", c.Name, b, err)
		}
		return doubleValue(f, c.float32), nil
	case kindBool:
		return boolValue(bigEndian(b) != 0), nil
	case kindBit:
		return ulongValue(bigEndian(b)), nil
	case kindDate, kindDatetime, kindTimestamp:
		zone := zoneOrUTC(loc)
		if c.kind == kindTimestamp {
			zone = time.UTC
		}
		ms, ok, err := parseDateTime(b, zone)
		if err != nil {
			return value{}, fmt.Errorf("column %s: %w", c.Name, err)
		}
		if !ok {
			return value{}, nil // zero dates ('0000-00-00') are written as null
		}
		return dateValue(ms), nil
	case kindBytes:
		return bytesValue(b), nil
	}
	return bytesStr(b), nil
}

// parseDateTime reads "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS[.ffffff]" in loc as epoch
// milliseconds; ok is false for a zero date (month or day 0).
func parseDateTime(b []byte, loc *time.Location) (ms int64, ok bool, err error) {
	num := func(s []byte) (int, bool) {
		n := 0
		if len(s) == 0 {
			return 0, false
		}
		for _, c := range s {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	bad := func() (int64, bool, error) {
		return 0, false, fmt.Errorf("date/time %q: want YYYY-MM-DD[ HH:MM:SS[.ffffff]]", b)
	}
	if len(b) < 10 || b[4] != '-' || b[7] != '-' {
		return bad()
	}
	y, ok1 := num(b[0:4])
	mo, ok2 := num(b[5:7])
	d, ok3 := num(b[8:10])
	if !ok1 || !ok2 || !ok3 {
		return bad()
	}
	var h, mi, s, ns int
	if len(b) > 10 {
		if len(b) < 19 || (b[10] != ' ' && b[10] != 'T') || b[13] != ':' || b[16] != ':' {
			return bad()
		}
		var ok4, ok5, ok6 bool
		h, ok4 = num(b[11:13])
		mi, ok5 = num(b[14:16])
		s, ok6 = num(b[17:19])
		if !ok4 || !ok5 || !ok6 {
			return bad()
		}
		if len(b) > 19 {
			if b[19] != '.' || len(b) > 26 {
				return bad()
			}
			frac, ok := num(b[20:])
			if !ok {
				return bad()
			}
			for i := len(b) - 20; i < 9; i++ {
				frac *= 10
			}
			ns = frac
		}
	}
	if mo == 0 || d == 0 {
		return 0, false, nil
	}
	if mo > 12 || d > 31 || h > 23 || mi > 59 || s > 59 {
		return bad()
	}
	return time.Date(y, time.Month(mo), d, h, mi, s, ns, loc).UnixMilli(), true, nil
}

func bigEndian(b []byte) uint64 {
	var n uint64
	for _, c := range b {
		n = n<<8 | uint64(c)
	}
	return n
}

func asInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case int:
		return int64(x), true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	}
	return 0, false
}

func asUint64(v any) (uint64, bool) {
	switch x := v.(type) {
	case uint8:
		return uint64(x), true
	case uint16:
		return uint64(x), true
	case uint32:
		return uint64(x), true
	case uint64:
		return x, true
	case uint:
		return uint64(x), true
	}
	return 0, false
}

func typeErr(c *Column, v any) error {
	return fmt.Errorf("column %s (%s): unexpected binlog value of Go type %T", c.Name, c.ColumnType, v)
}

// appendJSON appends v as a JSON value.
func appendJSON(dst []byte, v *value) []byte {
	switch v.t {
	case vNull:
		return append(dst, "null"...)
	case vLong, vDate:
		return strconv.AppendInt(dst, v.i, 10)
	case vULong:
		return strconv.AppendUint(dst, v.u, 10)
	case vDouble:
		return appendFloat(dst, v)
	case vBool:
		if v.i != 0 {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case vBytes:
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, v.b)
		return append(dst, '"')
	}
	if v.useB {
		return column.AppendJSONString(dst, v.b)
	}
	return column.AppendJSONString(dst, v.s)
}

func appendFloat(dst []byte, v *value) []byte {
	if math.IsNaN(v.f) || math.IsInf(v.f, 0) {
		return append(dst, "null"...)
	}
	bits := 64
	if v.f32 {
		bits = 32
	}
	return strconv.AppendFloat(dst, v.f, 'g', -1, bits)
}

// appendKeyText appends the key form of v: the text of a number or date, a string's bytes, the
// raw bytes of BYTES.
func appendKeyText(dst []byte, v *value) []byte {
	switch v.t {
	case vNull:
		return dst
	case vString, vBytes:
		if v.useB {
			return append(dst, v.b...)
		}
		return append(dst, v.s...)
	}
	return appendJSON(dst, v)
}

// appendKey appends the Kafka key of a row: one key column's text, or a JSON array of the
// values for a composite key (unambiguous, so distinct keys never collide).
func appendKey(dst []byte, vals []value, keyIdx []int) []byte {
	if len(keyIdx) == 1 {
		return appendKeyText(dst, &vals[keyIdx[0]])
	}
	dst = append(dst, '[')
	for n, i := range keyIdx {
		if n > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSON(dst, &vals[i])
	}
	return append(dst, ']')
}
