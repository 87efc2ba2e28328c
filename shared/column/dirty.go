package column

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"unicode/utf8"
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

// shorten renders bytes for a DirtyError: UTF-8 text cut at a rune boundary near maxShown
// bytes, anything else as base64 of its first bytes. "..." marks a cut.
func shorten(b []byte) string {
	if utf8.Valid(b) {
		if len(b) <= maxShown {
			return string(b)
		}
		n := maxShown
		for n > 0 && !utf8.RuneStart(b[n]) {
			n--
		}
		return string(b[:n]) + "..."
	}
	const rawMax = maxShown / 4 * 3
	if len(b) <= rawMax {
		return "base64:" + base64.StdEncoding.EncodeToString(b)
	}
	return "base64:" + base64.StdEncoding.EncodeToString(b[:rawMax]) + "..."
}

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
