package column

import (
	"bytes"
	"encoding/json"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fcsync/fcsync/shared/schema"
)

// kind is the kind of a source value before conversion.
type kind uint8

const (
	kNull  kind = iota
	kText       // b: UTF-8 text
	kBytes      // b: raw bytes (BYTEARRAY)
	kInt        // i
	kFloat      // f (f32: decoded from 4 bytes)
	kNum        // b: a JSON number literal
	kBool       // bl
	kJSON       // b: a JSON object or array, possibly with whitespace
)

// val is a source value. raw is the JSON text a path selected (nil otherwise); orig the
// record bytes of __key__/__value__.
type val struct {
	k    kind
	b    []byte
	raw  []byte
	orig []byte
	i    int64
	f    float64
	f32  bool
	bl   bool
}

// converter turns source values into destination values.
type converter struct {
	loc         *time.Location
	emptyAsNull bool
}

// convert returns the value for a column of type t, or a non-empty reason.
func (c *converter) convert(v val, t schema.Type) (any, string) {
	if v.k == kNull {
		return nil, ""
	}
	if c.emptyAsNull && (v.k == kText || v.k == kBytes) && len(v.b) == 0 {
		return nil, ""
	}
	switch t {
	case schema.String, schema.Varchar, schema.Char:
		s, reason := toString(v)
		if reason != "" {
			return nil, reason
		}
		return s, ""
	case schema.JSON:
		return toJSON(v)
	case schema.BigInt:
		return toInt(v, math.MinInt64, math.MaxInt64, t)
	case schema.Int:
		return toInt(v, math.MinInt32, math.MaxInt32, t)
	case schema.SmallInt:
		return toInt(v, math.MinInt16, math.MaxInt16, t)
	case schema.TinyInt:
		return toInt(v, math.MinInt8, math.MaxInt8, t)
	case schema.Double, schema.Float:
		return toFloat(v, t)
	case schema.Decimal:
		return toDecimal(v)
	case schema.Boolean:
		return toBool(v)
	case schema.Datetime, schema.Timestamp, schema.Date:
		return c.toTime(v, t)
	case schema.Binary:
		if v.orig != nil {
			return bytes.Clone(v.orig), ""
		}
		if v.k == kBytes {
			return bytes.Clone(v.b), ""
		}
		s, reason := toString(v)
		if reason != "" {
			return nil, reason
		}
		return []byte(s), ""
	}
	return nil, "destination type " + string(t) + " is not supported"
}

func toString(v val) (string, string) {
	switch v.k {
	case kText, kNum:
		return string(v.b), ""
	case kBytes:
		if !utf8.Valid(v.b) {
			return "", "BYTEARRAY value is not valid UTF-8 text (map it to a BINARY column)"
		}
		return string(v.b), ""
	case kInt:
		return strconv.FormatInt(v.i, 10), ""
	case kFloat:
		return formatFloat(v.f, v.f32), ""
	case kBool:
		return strconv.FormatBool(v.bl), ""
	case kJSON:
		return string(compact(v.b)), ""
	}
	return "", ""
}

// formatFloat writes plain decimals for ordinary magnitudes and exponents outside
// [1e-6, 1e21), like encoding/json.
func formatFloat(f float64, f32 bool) string {
	bits := 64
	if f32 {
		bits = 32
	}
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		s := strconv.FormatFloat(f, 'e', -1, bits)
		if n := len(s); n >= 4 && s[n-4] == 'e' && s[n-3] == '-' && s[n-2] == '0' {
			s = s[:n-2] + s[n-1:] // 1e-09 -> 1e-9
		}
		return s
	}
	return strconv.FormatFloat(f, 'f', -1, bits)
}

func toJSON(v val) (any, string) {
	if v.raw != nil {
		return string(compact(v.raw)), ""
	}
	switch v.k {
	case kText, kBytes:
		if !utf8.Valid(v.b) || !json.Valid(v.b) {
			return nil, "text is not valid JSON for a JSON column"
		}
		return string(v.b), ""
	case kFloat:
		if math.IsNaN(v.f) || math.IsInf(v.f, 0) {
			return nil, "NaN and infinity are not valid JSON"
		}
	}
	s, reason := toString(v)
	if reason != "" {
		return nil, reason
	}
	return s, ""
}

// textOf returns the text of a text-like value (kText, kNum, UTF-8 kBytes).
func textOf(v val) ([]byte, bool) {
	switch v.k {
	case kText, kNum:
		return v.b, true
	case kBytes:
		return v.b, utf8.Valid(v.b)
	}
	return nil, false
}

func toInt(v val, lo, hi int64, t schema.Type) (any, string) {
	var n int64
	switch v.k {
	case kInt:
		n = v.i
	case kFloat:
		var ok bool
		if n, ok = floatToInt(v.f); !ok {
			if v.f == math.Trunc(v.f) {
				return nil, "out of range for " + string(t)
			}
			return nil, "not an integer for " + string(t)
		}
	case kBool:
		if v.bl {
			n = 1
		}
	case kJSON:
		return nil, "a JSON object or array is not a number for " + string(t)
	default:
		b, ok := textOf(v)
		if !ok {
			return nil, "BYTEARRAY value is not valid UTF-8 text"
		}
		var reason string
		if n, reason = parseInt(b); reason != "" {
			return nil, reason + " for " + string(t)
		}
	}
	if n < lo || n > hi {
		return nil, "out of range for " + string(t)
	}
	return n, ""
}

// floatToInt converts an integral float inside the int64 range.
func floatToInt(f float64) (int64, bool) {
	if f != math.Trunc(f) || f < -(1<<63) || f >= 1<<63 {
		return 0, false
	}
	return int64(f), true
}

// parseInt reads decimal integer text; integral decimals such as 1.0 or 1e3 are accepted.
func parseInt(b []byte) (int64, string) {
	if len(b) == 0 {
		return 0, "empty text is not an integer"
	}
	i, neg := 0, false
	if b[0] == '-' || b[0] == '+' {
		neg, i = b[0] == '-', 1
	}
	if i == len(b) {
		return 0, "not an integer"
	}
	var u uint64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return parseIntalFloat(b)
		}
		if u > (math.MaxUint64-9)/10 {
			return 0, "out of range"
		}
		u = u*10 + uint64(c-'0')
	}
	if neg {
		if u > 1<<63 {
			return 0, "out of range"
		}
		return -int64(u), ""
	}
	if u > math.MaxInt64 {
		return 0, "out of range"
	}
	return int64(u), ""
}

func parseIntalFloat(b []byte) (int64, string) {
	f, reason := parseFloat(b)
	if reason != "" {
		if reason == "out of range" {
			return 0, reason
		}
		return 0, "not an integer"
	}
	n, ok := floatToInt(f)
	if !ok {
		if f == math.Trunc(f) {
			return 0, "out of range"
		}
		return 0, "not an integer"
	}
	return n, ""
}

// isNumeric says whether b holds only characters of decimal number syntax.
func isNumeric(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !(c >= '0' && c <= '9') && c != '.' && c != '-' && c != '+' && c != 'e' && c != 'E' {
			return false
		}
	}
	return true
}

func parseFloat(b []byte) (float64, string) {
	if len(b) == 0 {
		return 0, "empty text is not a number"
	}
	if !isNumeric(b) {
		return 0, "not a number"
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, "out of range"
		}
		return 0, "not a number"
	}
	return f, ""
}

func toFloat(v val, t schema.Type) (any, string) {
	var f float64
	switch v.k {
	case kInt:
		f = float64(v.i)
	case kFloat:
		f = v.f
	case kBool:
		if v.bl {
			f = 1
		}
	case kJSON:
		return nil, "a JSON object or array is not a number for " + string(t)
	default:
		b, ok := textOf(v)
		if !ok {
			return nil, "BYTEARRAY value is not valid UTF-8 text"
		}
		var reason string
		if f, reason = parseFloat(b); reason != "" {
			return nil, reason + " for " + string(t)
		}
	}
	if t == schema.Float && !math.IsInf(f, 0) && math.Abs(f) > math.MaxFloat32 {
		return nil, "out of range for FLOAT"
	}
	return f, ""
}

// maxDecimalExponent bounds exponents in decimal text so normalizing stays small.
const maxDecimalExponent = 400

func toDecimal(v val) (any, string) {
	switch v.k {
	case kInt:
		return strconv.FormatInt(v.i, 10), ""
	case kFloat:
		if math.IsNaN(v.f) || math.IsInf(v.f, 0) {
			return nil, "NaN and infinity are not DECIMAL"
		}
		return strconv.FormatFloat(v.f, 'f', -1, 64), ""
	case kBool:
		return nil, "a boolean is not DECIMAL"
	case kJSON:
		return nil, "a JSON object or array is not DECIMAL"
	}
	b, ok := textOf(v)
	if !ok {
		return nil, "BYTEARRAY value is not valid UTF-8 text"
	}
	return normalizeDecimal(b)
}

// normalizeDecimal validates [+-]digits[.digits][e[+-]digits] and returns plain decimal text.
func normalizeDecimal(b []byte) (any, string) {
	const bad = "not a decimal number"
	i := 0
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		i++
	}
	intStart := i
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	nInt := i - intStart
	nFrac := 0
	if i < len(b) && b[i] == '.' {
		i++
		fs := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		nFrac = i - fs
	}
	if nInt+nFrac == 0 {
		return nil, bad
	}
	mant := i
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		es := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == es {
			return nil, bad
		}
		if i != len(b) {
			return nil, bad
		}
		exp, err := strconv.Atoi(string(b[es:i]))
		if err != nil || exp > maxDecimalExponent {
			return nil, "exponent out of range for DECIMAL"
		}
		r, ok := new(big.Rat).SetString(string(b))
		if !ok {
			return nil, bad
		}
		e := exp
		if b[es-1] != '-' {
			e = -exp
		}
		prec := nFrac + e
		if prec < 0 {
			prec = 0
		}
		return trimDecimal(r.FloatString(prec)), ""
	}
	if i != len(b) {
		return nil, bad
	}
	s := string(b[:mant])
	s = strings.TrimPrefix(s, "+")
	if strings.HasSuffix(s, ".") {
		s = s[:len(s)-1]
	}
	if strings.HasPrefix(s, ".") {
		s = "0" + s
	} else if strings.HasPrefix(s, "-.") {
		s = "-0" + s[1:]
	}
	return s, ""
}

// trimDecimal drops trailing fraction zeros that only normalizing introduced.
func trimDecimal(s string) string {
	if strings.IndexByte(s, '.') < 0 {
		return s
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

func toBool(v val) (any, string) {
	const bad = "not a boolean (want true, false, 1 or 0)"
	switch v.k {
	case kBool:
		return v.bl, ""
	case kInt:
		if v.i == 0 || v.i == 1 {
			return v.i == 1, ""
		}
		return nil, bad
	case kFloat:
		if v.f == 0 || v.f == 1 {
			return v.f == 1, ""
		}
		return nil, bad
	case kJSON:
		return nil, bad
	}
	b, ok := textOf(v)
	if !ok {
		return nil, "BYTEARRAY value is not valid UTF-8 text"
	}
	switch {
	case bytes.EqualFold(b, []byte("true")) || string(b) == "1":
		return true, ""
	case bytes.EqualFold(b, []byte("false")) || string(b) == "0":
		return false, ""
	}
	return nil, bad
}

// timeLayouts are the text forms read for DATETIME, TIMESTAMP and DATE, after epoch
// milliseconds. Fractional seconds are accepted after the seconds.
var timeLayouts = []string{"2006-01-02 15:04:05", time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"}

func (c *converter) toTime(v val, t schema.Type) (any, string) {
	var tm time.Time
	switch v.k {
	case kInt:
		tm = time.UnixMilli(v.i)
	case kFloat:
		ms, ok := floatToInt(v.f)
		if !ok {
			return nil, "not integral epoch milliseconds for " + string(t)
		}
		tm = time.UnixMilli(ms)
	case kBool, kJSON:
		return nil, "not a time for " + string(t)
	default:
		b, ok := textOf(v)
		if !ok {
			return nil, "BYTEARRAY value is not valid UTF-8 text"
		}
		if isInteger(b) || v.k == kNum {
			ms, reason := parseInt(b)
			if reason != "" {
				return nil, reason + " as epoch milliseconds for " + string(t)
			}
			tm = time.UnixMilli(ms)
			break
		}
		s := string(b)
		parsed := false
		for _, layout := range timeLayouts {
			if p, err := time.ParseInLocation(layout, s, c.loc); err == nil {
				tm, parsed = p, true
				break
			}
		}
		if !parsed {
			return nil, "not a time for " + string(t) + " (want epoch milliseconds, yyyy-MM-dd HH:mm:ss, RFC 3339 or yyyy-MM-dd)"
		}
	}
	tm = tm.In(c.loc)
	if y := tm.Year(); y < 1 || y > 9999 {
		return nil, "year " + strconv.Itoa(y) + " out of range 0001-9999 for " + string(t)
	}
	if t == schema.Date {
		y, m, d := tm.Date()
		tm = time.Date(y, m, d, 0, 0, 0, 0, c.loc)
	}
	return tm, ""
}

func isInteger(b []byte) bool {
	i := 0
	if len(b) > 0 && b[0] == '-' {
		i = 1
	}
	if i == len(b) {
		return false
	}
	for ; i < len(b); i++ {
		if b[i] < '0' || b[i] > '9' {
			return false
		}
	}
	return true
}
