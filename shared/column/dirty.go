package column

import (
	"fmt"
	"strconv"
)

// DirtyError says why one record cannot be written: the record is dirty data, and the
// caller counts it against the error limit and continues with the next record.
type DirtyError struct {
	Column string // destination column
	Source string // reader column as written in the job
	Value  string // the offending value, shortened; binary as "base64:..."
	Reason string
}

func (e *DirtyError) Error() string {
	return fmt.Sprintf("dirty data: column %s (from %s): %s (value %q)", e.Column, e.Source, e.Reason, e.Value)
}

// maxShown bounds DirtyError.Value in bytes.
const maxShown = 200

// shorten renders bytes for a DirtyError (see Excerpt).
func shorten(b []byte) string { return Excerpt(b, maxShown) }

// show renders a source value for a DirtyError.
func show(v val) string {
	switch v.k {
	case kInt:
		return strconv.FormatInt(v.i, 10)
	case kFloat:
		return formatFloat(v.f, v.f32)
	case kBool:
		return strconv.FormatBool(v.bl)
	case kNull:
		return "NULL"
	}
	return shorten(v.b)
}
