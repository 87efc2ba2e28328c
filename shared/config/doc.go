// Package config reads configuration trees: the map[string]any, []any and scalar values that
// YAML and JSON decode to. Script-mode JSON writes numbers and booleans as strings as often as
// not ("truncate": "true", "record": "0"), so each reader accepts both, and every error names
// the field it is about (the "where" argument, a dotted path such as "writer.partition").
package config
