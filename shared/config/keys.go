package config

import (
	"fmt"
	"sort"
	"strings"
)

// OnlyKeys reports the first key of m (in sorted order) that is not in known.
func OnlyKeys(where string, m map[string]any, known []string) error {
	for _, k := range SortedKeys(m) {
		found := false
		for _, kk := range known {
			if k == kk {
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("%s: unknown field (known: %s)", Join(where, k), strings.Join(known, ", "))
		}
	}
	return nil
}

// Join appends key to the dotted path where.
func Join(where, key string) string {
	if where == "" {
		return key
	}
	return where + "." + key
}

// SortedKeys returns the keys of m in order.
func SortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
