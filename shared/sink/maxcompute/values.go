package maxcompute

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/aliyun/aliyun-odps-go-sdk/odps/data"
	"github.com/aliyun/aliyun-odps-go-sdk/odps/datatype"

	"github.com/fcsync/fcsync/shared/schema"
)

// maxFieldSize is the service's default limit on one STRING or BINARY value (8 MiB).
const maxFieldSize = 8 << 20

var (
	minTime   = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime   = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	decimalRE = regexp.MustCompile(`^[+-]?([0-9]+)(?:\.([0-9]+))?$`)
)

// column is a table column as the sink writes it: the fcsync type and the limits of the
// MaxCompute type (VARCHAR/CHAR length, DECIMAL precision and scale).
type column struct {
	name      string
	typ       schema.Type
	length    int // VARCHAR/CHAR characters; 0 = no limit
	precision int // DECIMAL
	scale     int
}

// fromDataType maps a MaxCompute column type onto fcsync's; ok is false for types fcsync does
// not write (ARRAY, MAP, STRUCT, TIMESTAMP_NTZ, intervals, GEOGRAPHY).
func fromDataType(name string, dt datatype.DataType) (column, bool) {
	c := column{name: name}
	switch t := dt.(type) {
	case datatype.VarcharType:
		c.typ, c.length = schema.Varchar, t.Length
		return c, true
	case datatype.CharType:
		c.typ, c.length = schema.Char, t.Length
		return c, true
	case datatype.DecimalType:
		c.typ, c.precision, c.scale = schema.Decimal, int(t.Precision), int(t.Scale)
		return c, true
	}
	switch dt.ID() {
	case datatype.BIGINT:
		c.typ = schema.BigInt
	case datatype.INT:
		c.typ = schema.Int
	case datatype.SMALLINT:
		c.typ = schema.SmallInt
	case datatype.TINYINT:
		c.typ = schema.TinyInt
	case datatype.DOUBLE:
		c.typ = schema.Double
	case datatype.FLOAT:
		c.typ = schema.Float
	case datatype.STRING:
		c.typ = schema.String
	case datatype.BOOLEAN:
		c.typ = schema.Boolean
	case datatype.DATETIME:
		c.typ = schema.Datetime
	case datatype.TIMESTAMP:
		c.typ = schema.Timestamp
	case datatype.DATE:
		c.typ = schema.Date
	case datatype.BINARY:
		c.typ = schema.Binary
	case datatype.JSON:
		c.typ = schema.JSON
	default:
		return c, false
	}
	return c, true
}

// check validates one row value for the column as the service would (a value the service
// refuses fails the whole block, so it is refused here, naming the column) and returns it in
// the form toData takes: int64, float64, bool, string, []byte (a copy: the caller may reuse
// its slice) or time.Time (a DATE at midnight UTC), and the approximate bytes it holds.
func (c *column) check(v any) (any, int64, error) {
	if v == nil {
		return nil, 16, nil
	}
	switch {
	case c.typ.Integer():
		n, err := schema.Int64(v)
		if err != nil {
			return nil, 0, err
		}
		lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
		switch c.typ {
		case schema.Int:
			lo, hi = math.MinInt32, math.MaxInt32
		case schema.SmallInt:
			lo, hi = math.MinInt16, math.MaxInt16
		case schema.TinyInt:
			lo, hi = math.MinInt8, math.MaxInt8
		}
		if n < lo || n > hi {
			return nil, 0, fmt.Errorf("%d is out of range for %s", n, c.typ)
		}
		if _, ok := v.(int64); ok {
			return v, 24, nil // keep the caller's boxed value
		}
		return n, 24, nil
	}
	switch c.typ {
	case schema.Double, schema.Float:
		var f float64
		switch x := v.(type) {
		case float64:
			f = x
		case float32:
			f = float64(x)
		default:
			n, err := schema.Int64(v)
			if err != nil {
				return nil, 0, fmt.Errorf("%T value does not fit a %s column", v, c.typ)
			}
			f = float64(n)
		}
		if c.typ == schema.Float && !math.IsInf(f, 0) && !math.IsNaN(f) && math.Abs(f) > math.MaxFloat32 {
			return nil, 0, fmt.Errorf("%g is out of range for FLOAT", f)
		}
		if _, ok := v.(float64); ok {
			return v, 24, nil
		}
		return f, 24, nil
	case schema.Boolean:
		if _, ok := v.(bool); ok {
			return v, 16, nil
		}
	case schema.Binary:
		var b []byte
		switch x := v.(type) {
		case []byte:
			b = append([]byte{}, x...)
		case string:
			b = []byte(x)
		default:
			return nil, 0, fmt.Errorf("%T value does not fit a %s column", v, c.typ)
		}
		if len(b) > maxFieldSize {
			return nil, 0, fmt.Errorf("%d bytes, more than the field limit %d", len(b), maxFieldSize)
		}
		return b, int64(len(b)) + 40, nil
	case schema.String, schema.Varchar, schema.Char, schema.Decimal, schema.JSON:
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case []byte:
			s = string(x)
			v = s
		default:
			return nil, 0, fmt.Errorf("%T value does not fit a %s column", v, c.typ)
		}
		if err := c.checkText(s); err != nil {
			return nil, 0, err
		}
		return v, int64(len(s)) + 32, nil
	case schema.Datetime, schema.Timestamp, schema.Date:
		t, ok := v.(time.Time)
		if !ok {
			break
		}
		if c.typ == schema.Date {
			y, m, d := t.Date()
			if day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC); !day.Equal(t) || t.Location() != time.UTC {
				t, v = day, day
			}
		}
		if t.Before(minTime) || !t.Before(maxTime) {
			return nil, 0, fmt.Errorf("%s is outside years 0001-9999", t.Format(time.RFC3339))
		}
		return v, 40, nil
	}
	return nil, 0, fmt.Errorf("%T value does not fit a %s column", v, c.typ)
}

// toData turns a value check returned into the SDK's value. Every integer type has the same
// wire form (zigzag varint, CRC over int64), and so have STRING, VARCHAR, CHAR, DECIMAL and
// JSON (length-prefixed bytes).
func (c *column) toData(v any) data.Data {
	switch x := v.(type) {
	case nil:
		return nil
	case int64:
		return data.BigInt(x)
	case float64:
		if c.typ == schema.Float {
			return data.Float(float32(x))
		}
		return data.Double(x)
	case bool:
		return data.Bool(x)
	case string:
		return data.String(x)
	case []byte:
		return data.Binary(x)
	case time.Time:
		switch c.typ {
		case schema.Datetime:
			return data.DateTime(x)
		case schema.Timestamp:
			return data.Timestamp(x)
		}
		return data.Date(x)
	}
	return nil
}

func (c *column) checkText(s string) error {
	if len(s) > maxFieldSize {
		return fmt.Errorf("%d bytes, more than the field limit %d", len(s), maxFieldSize)
	}
	switch c.typ {
	case schema.Varchar, schema.Char:
		if !utf8.ValidString(s) {
			return errors.New("not valid UTF-8")
		}
		if n := utf8.RuneCountInString(s); c.length > 0 && n > c.length {
			return fmt.Errorf("%d characters, longer than %s(%d)", n, c.typ, c.length)
		}
	case schema.Decimal:
		m := decimalRE.FindStringSubmatch(s)
		if m == nil {
			return fmt.Errorf("%q is not a decimal number", clip(s))
		}
		if c.precision > 0 {
			digits := len(m[1])
			for digits > 0 && m[1][len(m[1])-digits] == '0' {
				digits--
			}
			if digits > c.precision-c.scale {
				return fmt.Errorf("%q has %d integer digits, DECIMAL(%d,%d) holds %d", clip(s), digits, c.precision, c.scale, c.precision-c.scale)
			}
			if len(m[2]) > c.scale {
				return fmt.Errorf("%q has %d fractional digits, DECIMAL(%d,%d) holds %d", clip(s), len(m[2]), c.precision, c.scale, c.scale)
			}
		}
	case schema.JSON:
		if !json.Valid([]byte(s)) {
			return fmt.Errorf("%q is not valid JSON", clip(s))
		}
	}
	return nil
}

// clip shortens a value quoted into an error message.
func clip(s string) string {
	if len(s) <= 64 {
		return s
	}
	cut := 61
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
