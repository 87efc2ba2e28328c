package config

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

func String(where string, v any) (string, error) {
	switch t := v.(type) {
	case nil:
		return "", nil
	case string:
		return t, nil
	case json.Number:
		return t.String(), nil
	case int:
		return strconv.Itoa(t), nil
	case int64:
		return strconv.FormatInt(t, 10), nil
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(t), nil
	}
	return "", fmt.Errorf("%s: want text, got %s", where, Kind(v))
}

func Int(where string, v any) (int64, error) {
	switch t := v.(type) {
	case int:
		return int64(t), nil
	case int64:
		return t, nil
	case float64:
		if t != math.Trunc(t) || math.Abs(t) > 1<<53 {
			return 0, fmt.Errorf("%s: want a whole number, got %v", where, t)
		}
		return int64(t), nil
	case json.Number, string:
		s, _ := String(where, t)
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: want a whole number, got %q", where, s)
		}
		return n, nil
	}
	return 0, fmt.Errorf("%s: want a whole number, got %s", where, Kind(v))
}

func Float(where string, v any) (float64, error) {
	switch t := v.(type) {
	case int:
		return float64(t), nil
	case int64:
		return float64(t), nil
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return 0, fmt.Errorf("%s: want a finite number, got %v", where, t)
		}
		return t, nil
	case json.Number, string:
		s, _ := String(where, t)
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, fmt.Errorf("%s: want a number, got %q", where, s)
		}
		return f, nil
	}
	return 0, fmt.Errorf("%s: want a number, got %s", where, Kind(v))
}

func Bool(where string, v any) (bool, error) {
	switch t := v.(type) {
	case bool:
		return t, nil
	case string:
		b, err := strconv.ParseBool(strings.TrimSpace(t))
		if err != nil {
			return false, fmt.Errorf("%s: want true or false, got %q", where, t)
		}
		return b, nil
	}
	return false, fmt.Errorf("%s: want true or false, got %s", where, Kind(v))
}

func Map(where string, v any, optional bool) (map[string]any, error) {
	switch t := v.(type) {
	case nil:
		if optional {
			return nil, nil
		}
		return nil, fmt.Errorf("%s: required", where)
	case map[string]any:
		return t, nil
	}
	return nil, fmt.Errorf("%s: want a mapping, got %s", where, Kind(v))
}

// asStringList accepts a list of scalars, or a comma-separated string.
func StringList(where string, v any) ([]string, error) {
	switch t := v.(type) {
	case nil:
		return nil, nil
	case string:
		var out []string
		for _, p := range strings.Split(t, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out, nil
	case []any:
		out := make([]string, 0, len(t))
		for i, e := range t {
			s, err := String(fmt.Sprintf("%s[%d]", where, i), e)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s: want a list, got %s", where, Kind(v))
}

func Kind(v any) string {
	switch v.(type) {
	case nil:
		return "nothing"
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case bool:
		return "a boolean"
	case string:
		return "text"
	}
	return "a number"
}
