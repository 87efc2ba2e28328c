package process

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/fcsync/fcsync/shared/column"
	"github.com/fcsync/fcsync/shared/config"
	"github.com/fcsync/fcsync/shared/schema"
)

// textOf renders a non-nil value as text for the text processors: a string as it is, a
// []byte when it is valid UTF-8, column.JSONText as its JSON text, numbers, booleans and
// times as column.Convert writes them into a STRING column.
func textOf(v any, loc *time.Location) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case column.JSONText:
		return string(x), nil
	case []byte:
		if !utf8.Valid(x) {
			return "", errors.New("value is binary, not UTF-8 text")
		}
		return string(x), nil
	}
	s, err := column.Convert(v, schema.String, column.ConvertOptions{Location: loc})
	if err != nil {
		return "", err
	}
	t, _ := s.(string)
	return t, nil
}

// typeOf names a value's type the way schema does, for Outputs and messages.
func typeOf(v any) schema.Type {
	switch v.(type) {
	case int64, int:
		return schema.BigInt
	case float64:
		return schema.Double
	case bool:
		return schema.Boolean
	case time.Time:
		return schema.Datetime
	case []byte:
		return schema.Binary
	case column.JSONText:
		return schema.JSON
	}
	return schema.String
}

// unescape decodes the escapes literal find/replace text may use: \t, \n, \r, \\ and
// \uXXXX (a BMP character; surrogates are refused). Any other backslash is kept as is.
func unescape(s string) (string, error) {
	if strings.IndexByte(s, '\\') < 0 {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		switch s[i+1] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case '\\':
			b.WriteByte('\\')
		case 'u':
			if i+6 > len(s) {
				return "", fmt.Errorf("\\u at byte %d needs four hex digits", i)
			}
			n, err := strconv.ParseUint(s[i+2:i+6], 16, 32)
			if err != nil {
				return "", fmt.Errorf("\\u at byte %d needs four hex digits, got %q", i, s[i+2:i+6])
			}
			if utf16.IsSurrogate(rune(n)) {
				return "", fmt.Errorf("\\u%s at byte %d is a surrogate half; write the character itself", s[i+2:i+6], i)
			}
			b.WriteRune(rune(n))
			i += 4
		default:
			b.WriteByte('\\')
			continue
		}
		i++
	}
	return b.String(), nil
}

// number is a numeric operand: an exact integer when isInt, else a float.
type number struct {
	i     int64
	f     float64
	isInt bool
}

// cmp compares two numbers: -1, 0 or 1.
func (a number) cmp(b number) int {
	if a.isInt && b.isInt {
		switch {
		case a.i < b.i:
			return -1
		case a.i > b.i:
			return 1
		}
		return 0
	}
	x, y := a.float(), b.float()
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func (a number) float() float64 {
	if a.isInt {
		return float64(a.i)
	}
	return a.f
}

// parseNumber reads decimal number text: [+-]digits[.digits][(e|E)[+-]digits] (also
// .5 and 5.). Anything else (spaces, hex, NaN, Inf) is not a number.
func parseNumber(s string) (number, bool) {
	if s == "" || len(s) > 400 {
		return number{}, false
	}
	i := 0
	if s[0] == '+' || s[0] == '-' {
		i++
	}
	digits, integral := 0, true
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		integral = false
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return number{}, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		integral = false
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		e := i
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		}
		if i == e {
			return number{}, false
		}
	}
	if i != len(s) {
		return number{}, false
	}
	if integral {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return number{i: n, isInt: true}, true
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return number{}, false
	}
	if math.IsNaN(f) {
		return number{}, false
	}
	return number{f: f}, true
}

// constant reads a configured constant: text, a whole number (int64), another number
// (float64), a boolean, or null (nil).
func constant(where string, v any) (any, error) {
	switch x := v.(type) {
	case nil, string, bool:
		return x, nil
	case int:
		return int64(x), nil
	case int64:
		return x, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%s: want a finite number", where)
		}
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x), nil
		}
		return x, nil
	}
	return nil, fmt.Errorf("%s: want text, a number or a boolean, got %s", where, config.Kind(v))
}

// fieldName reads a field name that a processor refers to: non-empty text.
func fieldName(where string, v any) (string, error) {
	s, err := config.String(where, v)
	if err != nil {
		return "", err
	}
	if s == "" {
		return "", fmt.Errorf("%s: required", where)
	}
	return s, nil
}

// newName reads a field name a processor creates: it must be a valid column name.
func newName(where string, v any) (string, error) {
	s, err := fieldName(where, v)
	if err != nil {
		return "", err
	}
	if err := schema.ValidateName(s); err != nil {
		return "", fmt.Errorf("%s: %w", where, err)
	}
	return s, nil
}

// list reads a list of mappings.
func list(where string, v any, required bool) ([]map[string]any, error) {
	if v == nil {
		if required {
			return nil, fmt.Errorf("%s: required", where)
		}
		return nil, nil
	}
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: want a list, got %s", where, config.Kind(v))
	}
	if required && len(l) == 0 {
		return nil, fmt.Errorf("%s: empty", where)
	}
	out := make([]map[string]any, len(l))
	for i, e := range l {
		m, err := config.Map(fmt.Sprintf("%s[%d]", where, i), e, false)
		if err != nil {
			return nil, err
		}
		out[i] = m
	}
	return out, nil
}

// optString reads an optional text field with a default.
func optString(where string, m map[string]any, key, def string) (string, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return def, nil
	}
	return config.String(config.Join(where, key), v)
}

// optBool reads an optional boolean field with a default.
func optBool(where string, m map[string]any, key string, def bool) (bool, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return def, nil
	}
	return config.Bool(config.Join(where, key), v)
}

// optInt reads an optional whole number in [lo, hi] with a default.
func optInt(where string, m map[string]any, key string, def, lo, hi int64) (int64, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return def, nil
	}
	w := config.Join(where, key)
	n, err := config.Int(w, v)
	if err != nil {
		return 0, err
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%s: %d is out of range [%d, %d]", w, n, lo, hi)
	}
	return n, nil
}

// replaceOutputs returns in with the named fields' types set to t (fields not in in are
// not added).
func setTypes(in []schema.Column, t schema.Type, names ...string) []schema.Column {
	out := append([]schema.Column(nil), in...)
	for i := range out {
		for _, n := range names {
			if out[i].Name == n {
				out[i].Type = t
				out[i].Comment = ""
			}
		}
	}
	return out
}

// setOutput assigns or appends one output column.
func setOutput(cols []schema.Column, name string, t schema.Type) []schema.Column {
	for i := range cols {
		if cols[i].Name == name {
			cols[i] = schema.Column{Name: name, Type: t}
			return cols
		}
	}
	return append(cols, schema.Column{Name: name, Type: t})
}
