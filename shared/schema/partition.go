package schema

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// PartitionValue is one level of a partition: column = value.
type PartitionValue struct {
	Column string
	Value  string
}

// Partition is a full partition spec, outermost level first, e.g. ds=20221122,hh=10.
// The empty Partition is the whole of a non-partitioned table.
type Partition []PartitionValue

var partValueRE = regexp.MustCompile(`^[A-Za-z0-9_\-.:+ ]{1,128}$`)

// ParsePartition reads "ds=20221122,hh=10" (also "ds=20221122/hh=10"). Quotes around values
// are removed. Names must be identifiers; values may hold letters, digits, space and _ - . : +,
// must not be "." or "..", and at most 128 characters, so a value can never leave its directory.
func ParsePartition(spec string) (Partition, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, nil
	}
	var p Partition
	for _, part := range strings.FieldsFunc(spec, func(r rune) bool { return r == ',' || r == '/' }) {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("partition %q: level %q is not column=value", spec, part)
		}
		k = strings.TrimSpace(k)
		v = strings.Trim(strings.TrimSpace(v), `'"`)
		pv := PartitionValue{Column: k, Value: v}
		if err := pv.Validate(); err != nil {
			return nil, fmt.Errorf("partition %q: %w", spec, err)
		}
		p = append(p, pv)
	}
	return p, nil
}

// Validate checks one level's column name and value.
func (pv PartitionValue) Validate() error {
	if err := ValidateName(pv.Column); err != nil {
		return fmt.Errorf("partition column: %w", err)
	}
	if !partValueRE.MatchString(pv.Value) || pv.Value == "." || pv.Value == ".." {
		return fmt.Errorf("partition value %q for %s is not allowed (letters, digits, space and _ - . : +; 1-128 characters)", truncate(pv.Value, 64), pv.Column)
	}
	return nil
}

// String renders the MaxCompute form: ds=20221122,hh=10.
func (p Partition) String() string {
	parts := make([]string, len(p))
	for i, pv := range p {
		parts[i] = pv.Column + "=" + pv.Value
	}
	return strings.Join(parts, ",")
}

// Path renders the directory form: ds=20221122/hh=10.
func (p Partition) Path() string {
	parts := make([]string, len(p))
	for i, pv := range p {
		parts[i] = pv.Column + "=" + pv.Value
	}
	return strings.Join(parts, "/")
}

// AppendKey appends an unambiguous encoding of p (every column and value length-prefixed,
// whatever they hold) to dst: a map key for partitions seen while rows stream in.
func (p Partition) AppendKey(dst []byte) []byte {
	for _, pv := range p {
		dst = strconv.AppendInt(dst, int64(len(pv.Column)), 10)
		dst = append(dst, ':')
		dst = append(dst, pv.Column...)
		dst = strconv.AppendInt(dst, int64(len(pv.Value)), 10)
		dst = append(dst, ':')
		dst = append(dst, pv.Value...)
	}
	return dst
}
