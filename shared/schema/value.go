package schema

import (
	"fmt"
	"math"
)

// Int64 reads an integer row value of any Go integer type (rows built by hand or by other
// decoders may carry int, int32, uint8 ...); an unsigned value past BIGINT's range and a
// non-integer are errors.
func Int64(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int8:
		return int64(x), nil
	case uint8:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint64:
		if x > math.MaxInt64 {
			return 0, fmt.Errorf("%d overflows BIGINT", x)
		}
		return int64(x), nil
	case uint:
		if uint64(x) > math.MaxInt64 {
			return 0, fmt.Errorf("%d overflows BIGINT", x)
		}
		return int64(x), nil
	}
	return 0, fmt.Errorf("%T value is not an integer", v)
}
