// Package schema describes destination tables the way MaxCompute does: typed columns,
// partition columns, a lifecycle, and rows of Go values. Every sink (the local warehouse,
// the MaxCompute tunnel, Hudi tables) speaks these types.
//
// A column value in a Row is one of: nil (NULL), int64 (BIGINT, INT, SMALLINT, TINYINT),
// float64 (DOUBLE, FLOAT), string (STRING, VARCHAR, CHAR, DECIMAL as its decimal text, JSON),
// bool (BOOLEAN), time.Time (DATETIME, TIMESTAMP, DATE) or []byte (BINARY).
package schema

import (
	"fmt"
	"regexp"
	"strings"
)

// Type is a MaxCompute column type name, upper case, without length or precision.
type Type string

// The column types fcsync writes.
const (
	BigInt    Type = "BIGINT"
	Int       Type = "INT"
	SmallInt  Type = "SMALLINT"
	TinyInt   Type = "TINYINT"
	Double    Type = "DOUBLE"
	Float     Type = "FLOAT"
	Decimal   Type = "DECIMAL"
	String    Type = "STRING"
	Varchar   Type = "VARCHAR"
	Char      Type = "CHAR"
	Boolean   Type = "BOOLEAN"
	Datetime  Type = "DATETIME"
	Timestamp Type = "TIMESTAMP"
	Date      Type = "DATE"
	Binary    Type = "BINARY"
	JSON      Type = "JSON"
)

var knownTypes = map[Type]bool{
	BigInt: true, Int: true, SmallInt: true, TinyInt: true, Double: true, Float: true,
	Decimal: true, String: true, Varchar: true, Char: true, Boolean: true, Datetime: true,
	Timestamp: true, Date: true, Binary: true, JSON: true,
}

// ParseType reads a type as written in DDL: "bigint", "STRING", "decimal(10,2)", "varchar(64)".
// The length or precision is accepted and dropped.
func ParseType(s string) (Type, error) {
	base := strings.TrimSpace(s)
	if i := strings.IndexByte(base, '('); i >= 0 {
		if !strings.HasSuffix(base, ")") {
			return "", fmt.Errorf("column type %q: unbalanced parenthesis", s)
		}
		base = base[:i]
	}
	t := Type(strings.ToUpper(strings.TrimSpace(base)))
	if !knownTypes[t] {
		return "", fmt.Errorf("column type %q is not supported (want one of BIGINT, INT, SMALLINT, TINYINT, DOUBLE, FLOAT, DECIMAL, STRING, VARCHAR, CHAR, BOOLEAN, DATETIME, TIMESTAMP, DATE, BINARY, JSON)", s)
	}
	return t, nil
}

// Integer reports whether values of t are int64.
func (t Type) Integer() bool { return t == BigInt || t == Int || t == SmallInt || t == TinyInt }

// Column is one table column.
type Column struct {
	Name    string `json:"name" yaml:"name"`
	Type    Type   `json:"type" yaml:"type"`
	Comment string `json:"comment,omitempty" yaml:"comment,omitempty"`
}

// Table is a destination table's schema.
type Table struct {
	Name       string   `json:"name"`
	Columns    []Column `json:"columns"`
	Partitions []Column `json:"partitions,omitempty"`
	Lifecycle  int      `json:"lifecycle,omitempty"` // days; 0 = none
	Comment    string   `json:"comment,omitempty"`
}

// Index returns the position of the named data column (case-insensitive, as MaxCompute), or -1.
func (t *Table) Index(name string) int {
	for i, c := range t.Columns {
		if strings.EqualFold(c.Name, name) {
			return i
		}
	}
	return -1
}

// Validate checks names and types: valid identifiers, no duplicates, known types.
func (t *Table) Validate() error {
	if err := ValidateName(t.Name); err != nil {
		return fmt.Errorf("table name: %w", err)
	}
	if len(t.Columns) == 0 {
		return fmt.Errorf("table %s: no columns", t.Name)
	}
	seen := map[string]bool{}
	for _, group := range [][]Column{t.Columns, t.Partitions} {
		for _, c := range group {
			if err := ValidateName(c.Name); err != nil {
				return fmt.Errorf("table %s: column: %w", t.Name, err)
			}
			if !knownTypes[c.Type] {
				return fmt.Errorf("table %s: column %s: unknown type %q", t.Name, c.Name, c.Type)
			}
			k := strings.ToLower(c.Name)
			if seen[k] {
				return fmt.Errorf("table %s: column %s appears twice", t.Name, c.Name)
			}
			seen[k] = true
		}
	}
	return nil
}

var nameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)

// ValidateName accepts MaxCompute identifiers: a letter or underscore, then letters, digits and
// underscores, at most 128 characters. Anything else (quotes, dots, slashes, spaces) is refused.
func ValidateName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("name %q is not a valid identifier (letters, digits and _; must not start with a digit; at most 128)", truncate(name, 64))
	}
	return nil
}

// Row is one row of column values in table column order; see the package doc for value types.
type Row []any

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
