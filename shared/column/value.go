package column

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/fcsync/fcsync/shared/schema"
)

// JSONText is a JSON object or array kept as its compact JSON text. Processors carry
// nested JSON this way; conversion treats it as JSON, not as a plain string (a JSON
// column receives it as is, a STRING column receives the text).
type JSONText string

// ConvertOptions are the settings of Convert and ConvertJSON.
type ConvertOptions struct {
	// Location is the time zone for times written without one, for DATE truncation and
	// for rendering times as text; nil is UTC.
	Location *time.Location
	// EmptyAsNull turns empty text or empty bytes into NULL whatever the destination type.
	EmptyAsNull bool
}

// ConvertError says why a value cannot be written to a column type. Its text never
// contains the value.
type ConvertError struct{ Reason string }

func (e *ConvertError) Error() string { return e.Reason }

// TimeLayout is how Convert renders a time.Time as text: fractional seconds appear only
// when present.
const TimeLayout = "2006-01-02 15:04:05.999999999"

// Convert converts a processed value to the Go value of a column of type t, with the rules
// the Mapper applies to Kafka values (see the package doc and schema's Row doc):
// BIGINT/INT/SMALLINT/TINYINT give int64, DOUBLE/FLOAT float64, DECIMAL its decimal text,
// STRING/VARCHAR/CHAR/JSON string, BOOLEAN bool, DATETIME/TIMESTAMP/DATE time.Time,
// BINARY []byte (always a copy), and nil gives nil.
//
// v is one of nil, string, []byte, JSONText, int64, float64, bool or time.Time (int,
// int32, uint32, float32 and uint64 within int64 range are accepted too). A []byte is
// text for text and number types (it must be valid UTF-8) and raw bytes for BINARY.
// A time.Time is epoch milliseconds for integer and DOUBLE columns and TimeLayout text in
// Location for text columns. A value that does not fit returns a *ConvertError.
//
// When v already has the destination's Go type and needs no change, the same interface
// value is returned, so the common case allocates nothing.
func Convert(v any, t schema.Type, o ConvertOptions) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		if o.EmptyAsNull && x == "" {
			return nil, nil
		}
		if t == schema.String || t == schema.Varchar || t == schema.Char {
			return v, nil
		}
		return convertVal(val{k: kText, b: []byte(x)}, t, o)
	case []byte:
		if o.EmptyAsNull && len(x) == 0 {
			return nil, nil
		}
		return convertVal(val{k: kBytes, b: x, orig: x}, t, o)
	case JSONText:
		b := []byte(x)
		return convertVal(val{k: kJSON, b: b, raw: b}, t, o)
	case int64:
		switch t {
		case schema.BigInt:
			return v, nil
		case schema.Int, schema.SmallInt, schema.TinyInt:
			lo, hi := intRange(t)
			if _, reason := toInt(val{k: kInt, i: x}, lo, hi, t); reason != "" {
				return nil, &ConvertError{reason}
			}
			return v, nil
		}
		return convertVal(val{k: kInt, i: x}, t, o)
	case float64:
		if t == schema.Double {
			return v, nil
		}
		return convertVal(val{k: kFloat, f: x}, t, o)
	case bool:
		if t == schema.Boolean {
			return v, nil
		}
		return convertVal(val{k: kBool, bl: x}, t, o)
	case time.Time:
		return convertTime(x, t, o)
	case int:
		return Convert(int64(x), t, o)
	case int32:
		return Convert(int64(x), t, o)
	case uint32:
		return Convert(int64(x), t, o)
	case uint64:
		if x > math.MaxInt64 {
			return nil, &ConvertError{"out of range for " + string(t)}
		}
		return Convert(int64(x), t, o)
	case float32:
		return convertVal(val{k: kFloat, f: float64(x), f32: true}, t, o)
	}
	return nil, &ConvertError{fmt.Sprintf("a Go %T value cannot be written to %s", v, t)}
}

// intRange is the value range of an integer type.
func intRange(t schema.Type) (int64, int64) {
	switch t {
	case schema.Int:
		return math.MinInt32, math.MaxInt32
	case schema.SmallInt:
		return math.MinInt16, math.MaxInt16
	case schema.TinyInt:
		return math.MinInt8, math.MaxInt8
	}
	return math.MinInt64, math.MaxInt64
}

func convertVal(v val, t schema.Type, o ConvertOptions) (any, error) {
	c := converter{loc: o.Location, emptyAsNull: o.EmptyAsNull}
	if c.loc == nil {
		c.loc = time.UTC
	}
	out, reason := c.convert(v, t)
	if reason != "" {
		return nil, &ConvertError{reason}
	}
	return out, nil
}

func convertTime(tm time.Time, t schema.Type, o ConvertOptions) (any, error) {
	loc := o.Location
	if loc == nil {
		loc = time.UTC
	}
	switch t {
	case schema.Datetime, schema.Timestamp, schema.Date:
		tm = tm.In(loc)
		if y := tm.Year(); y < 1 || y > 9999 {
			return nil, &ConvertError{"year " + strconv.Itoa(y) + " out of range 0001-9999 for " + string(t)}
		}
		if t == schema.Date {
			y, m, d := tm.Date()
			tm = time.Date(y, m, d, 0, 0, 0, 0, loc)
		}
		return tm, nil
	case schema.BigInt, schema.Int, schema.SmallInt, schema.TinyInt, schema.Double, schema.Float, schema.Decimal:
		return convertVal(val{k: kInt, i: tm.UnixMilli()}, t, o)
	case schema.Boolean:
		return nil, &ConvertError{"a time is not a boolean"}
	case schema.JSON:
		return string(AppendJSONString(nil, []byte(tm.In(loc).Format(TimeLayout)))), nil
	}
	return convertVal(val{k: kText, b: []byte(tm.In(loc).Format(TimeLayout))}, t, o)
}

// ConvertJSON converts one JSON value as written in a document (a string literal with its
// quotes, a number, true, false, null, an object or an array) to the Go value of a column
// of type t, exactly as the Mapper converts a JSON path's value. raw must be valid JSON
// (as selected by JSONPaths.Scan or Leaves); a JSON string is its decoded text, an object
// or array is its compact text.
func ConvertJSON(raw []byte, t schema.Type, o ConvertOptions) (any, error) {
	if len(raw) == 0 {
		return nil, &ConvertError{"empty JSON value"}
	}
	if t == schema.Double && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
		// A number for a DOUBLE column, the usual case: what toFloat does with it.
		f, reason := parseFloat(raw)
		if reason != "" {
			return nil, &ConvertError{reason + " for " + string(t)}
		}
		return f, nil
	}
	return convertVal(jsonVal(raw), t, o)
}

// JSONValue decodes one valid JSON value (see ConvertJSON) into its natural Go value: a
// string for a string, int64 for an integer that fits, float64 for other numbers (an
// integer beyond int64 that float64 cannot hold exactly keeps its digits as a string),
// bool, nil for null, and JSONText (compact) for an object or array.
func JSONValue(raw []byte) any {
	if len(raw) == 0 {
		return nil
	}
	switch raw[0] {
	case '"':
		return string(AppendUnquoted(nil, raw))
	case 't':
		return true
	case 'f':
		return false
	case 'n':
		return nil
	case '{', '[':
		return JSONText(compact(raw))
	}
	return jsonNumber(raw)
}

// jsonNumber decodes a valid JSON number literal.
func jsonNumber(raw []byte) any {
	for _, c := range raw {
		if c == '.' || c == 'e' || c == 'E' {
			f, err := strconv.ParseFloat(string(raw), 64)
			if err != nil {
				return string(raw) // beyond float64's range
			}
			return f
		}
	}
	if n, reason := parseInt(raw); reason == "" {
		return n
	}
	return string(raw) // an integer beyond int64 keeps its digits
}

// AppendUnquoted appends the decoded text of a valid JSON string literal (with its quotes)
// to dst. Invalid surrogate escapes become U+FFFD, as in encoding/json.
func AppendUnquoted(dst, lit []byte) []byte {
	if len(lit) < 2 {
		return dst
	}
	return AppendUnescaped(dst, lit[1:len(lit)-1])
}

// Excerpt renders bytes for an error message or a dirty-data reason: UTF-8 text cut at a
// rune boundary near max bytes (max <= 0 means 200), anything else as "base64:" and the
// base64 of its first bytes; "..." marks a cut.
func Excerpt(b []byte, max int) string {
	if max <= 0 {
		max = maxShown
	}
	if !utf8.Valid(b) {
		return excerptBinary(b, max)
	}
	if len(b) <= max {
		return string(b)
	}
	n := max
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return string(b[:n]) + "..."
}

// ExcerptString is Excerpt for text held in a string; it copies only what it shows.
func ExcerptString(s string, max int) string {
	if max <= 0 {
		max = maxShown
	}
	if !utf8.ValidString(s) {
		return excerptBinary([]byte(s[:min(len(s), max)]), max)
	}
	if len(s) <= max {
		return s
	}
	n := max
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

func excerptBinary(b []byte, max int) string {
	rawMax := max / 4 * 3
	if rawMax < 3 {
		rawMax = 3
	}
	if len(b) <= rawMax {
		return "base64:" + base64.StdEncoding.EncodeToString(b)
	}
	return "base64:" + base64.StdEncoding.EncodeToString(b[:rawMax]) + "..."
}
