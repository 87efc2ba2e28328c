package schedule

import (
	"fmt"
	"strings"
	"time"
)

// Assignment is one custom scheduling parameter, such as startTime=$[yyyymmddhh24mi-8/24/60]00.
type Assignment struct {
	Name, Value string
}

// ParseAssignments reads whitespace- or newline-separated name=value pairs. Names are
// identifiers and must be unique; a value is split at the first '=', may be empty, and must be a
// valid template (its expressions are checked here, so mistakes surface at deploy time).
func ParseAssignments(s string) ([]Assignment, error) {
	fields := strings.Fields(s)
	out := make([]Assignment, 0, len(fields))
	seen := make(map[string]bool, len(fields))
	for _, f := range fields {
		name, value, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("schedule: parameter %s: want name=value", quoteShort(f))
		}
		if !isIdent(name) {
			return nil, fmt.Errorf("schedule: parameter %s: name %s is not an identifier", quoteShort(f), quoteShort(name))
		}
		if seen[name] {
			return nil, fmt.Errorf("schedule: parameter %s is assigned twice", name)
		}
		seen[name] = true
		if _, err := CompileTemplate(value); err != nil {
			return nil, fmt.Errorf("schedule: parameter %s: %w", name, err)
		}
		out = append(out, Assignment{Name: name, Value: value})
	}
	return out, nil
}

// Resolve evaluates every assignment at the scheduled time at. overrides replace assignments of
// the same name and may add names; they are taken literally. A value may reference an override
// as ${name}; it may not reference another assignment.
func Resolve(as []Assignment, at time.Time, overrides map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(as)+len(overrides))
	for _, a := range as {
		if _, ok := overrides[a.Name]; ok {
			continue
		}
		v, err := Expand(a.Value, overrides, at)
		if err != nil {
			return nil, fmt.Errorf("schedule: parameter %s: %w", a.Name, err)
		}
		out[a.Name] = v
	}
	for k, v := range overrides {
		out[k] = v
	}
	return out, nil
}
