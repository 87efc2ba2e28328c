package hudi

import (
	"cmp"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/fcsync/fcsync/shared/schema"
)

// checkValue reports whether v is a valid Go value for a column of type t (see the schema
// package: int64, float64, string, bool, time.Time, []byte or nil).
func checkValue(t schema.Type, v any) error {
	if v == nil {
		return nil
	}
	switch t {
	case schema.BigInt, schema.Int, schema.SmallInt, schema.TinyInt:
		n, ok := v.(int64)
		if !ok {
			return typeError(t, v)
		}
		lo, hi := intRange(t)
		if n < lo || n > hi {
			return fmt.Errorf("%d is out of range for %s", n, t)
		}
	case schema.Double, schema.Float:
		if _, ok := v.(float64); !ok {
			return typeError(t, v)
		}
	case schema.Decimal:
		s, ok := v.(string)
		if !ok {
			return typeError(t, v)
		}
		if !validDecimal(s) {
			return fmt.Errorf("%q is not decimal text", truncate(s, 40))
		}
	case schema.String, schema.Varchar, schema.Char, schema.JSON:
		s, ok := v.(string)
		if !ok {
			return typeError(t, v)
		}
		if !validUTF8(s) {
			return fmt.Errorf("%s value is not valid UTF-8", t)
		}
	case schema.Boolean:
		if _, ok := v.(bool); !ok {
			return typeError(t, v)
		}
	case schema.Datetime, schema.Timestamp, schema.Date:
		tm, ok := v.(time.Time)
		if !ok {
			return typeError(t, v)
		}
		if y := tm.UTC().Year(); y < 1 || y > 9999 {
			return fmt.Errorf("%s year %d is outside 1-9999", t, y)
		}
	case schema.Binary:
		if _, ok := v.([]byte); !ok {
			return typeError(t, v)
		}
	default:
		return fmt.Errorf("unsupported column type %q", t)
	}
	return nil
}

func typeError(t schema.Type, v any) error {
	return fmt.Errorf("a %T is not a valid %s value", v, t)
}

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

// validDecimal accepts [+-]digits[.digits][e[+-]digits] with at least one digit.
func validDecimal(s string) bool {
	i, digits := 0, 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			exp++
		}
		if exp == 0 || exp > 4 {
			return false
		}
	}
	return i == len(s)
}

// epochDay is the calendar date of t (in t's own location) as days since 1970-01-01.
func epochDay(t time.Time) int32 {
	y, m, d := t.Date()
	return int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// keyText renders a value the way Hudi's key generators do for record keys and partition
// values: numbers in decimal, booleans as true/false, DATE as yyyy-MM-dd, timestamps as
// microseconds since the epoch, strings as they are.
func keyText(t schema.Type, v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		if t == schema.Date {
			return x.Format("2006-01-02")
		}
		return strconv.FormatInt(x.UnixMicro(), 10)
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}

// compareValues orders precombine values: NULL first, then by value. Integers and floats
// compare as numbers, DECIMAL text numerically, times chronologically, other strings
// bytewise. Values of different kinds compare by kind (a stable but arbitrary order).
func compareValues(t schema.Type, a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	switch x := a.(type) {
	case int64:
		switch y := b.(type) {
		case int64:
			return cmp.Compare(x, y)
		case float64:
			return cmp.Compare(float64(x), y)
		}
	case float64:
		switch y := b.(type) {
		case float64:
			return cmp.Compare(x, y)
		case int64:
			return cmp.Compare(x, float64(y))
		}
	case string:
		if y, ok := b.(string); ok {
			if t == schema.Decimal {
				rx, okx := new(big.Rat).SetString(x)
				ry, oky := new(big.Rat).SetString(y)
				if okx && oky {
					return rx.Cmp(ry)
				}
			}
			return cmp.Compare(x, y)
		}
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y)
		}
	case bool:
		if y, ok := b.(bool); ok {
			switch {
			case x == y:
				return 0
			case !x:
				return -1
			}
			return 1
		}
	}
	return cmp.Compare(fmt.Sprintf("%T", a), fmt.Sprintf("%T", b))
}

// valueSize estimates the bytes a value takes in a row, for sizing files.
func valueSize(v any) int {
	switch x := v.(type) {
	case string:
		return len(x) + 4
	case []byte:
		return len(x) + 4
	case nil:
		return 1
	}
	return 8
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
