package hudi

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fcsync/fcsync/shared/schema"
)

// DefaultPartition is the partition path segment of a NULL (or empty) partition value, as Hive
// and Hudi write it.
const DefaultPartition = "__HIVE_DEFAULT_PARTITION__"

// maxSegment is the longest partition path segment in bytes (the usual file-name limit).
const maxSegment = 255

// timeLayouts are the Go layouts of event-time partition paths per granularity.
var timeLayouts = map[Granularity][2]string{
	Year:  {"2006", "year=2006"},
	Month: {"2006/01", "year=2006/month=01"},
	Day:   {"2006/01/02", "year=2006/month=01/day=02"},
	Hour:  {"2006/01/02/15", "year=2006/month=01/day=02/hour=15"},
}

// encodeSegment makes a partition value safe as one path segment. Plain values (letters,
// digits, punctuation, any valid UTF-8 text) are kept as they are, as Hudi writes them; '%',
// '/', '\', control characters and bytes that are not UTF-8 become %XX, a value that is
// "." or ".." has its dots escaped, so no value can leave the table directory or name another
// partition, and the value __HIVE_DEFAULT_PARTITION__ has its first '_' escaped, so it is not
// taken for NULL (Spark's readers take partition values from the path: %XX unescaped, the
// default partition as NULL). Without hive style, '=' becomes %3D too: Spark takes a segment
// with '=' for name=value and would read only what follows it. The encoding is injective. Values longer than 255 bytes after escaping are an
// error.
func encodeSegment(v string, hive bool) (string, error) {
	var b strings.Builder
	for i := 0; i < len(v); {
		r, size := utf8.DecodeRuneInString(v[i:])
		switch {
		case r == utf8.RuneError && size <= 1, r < 0x20, r == 0x7f, r == '%', r == '/', r == '\\', r == '=' && !hive:
			for j := 0; j < size; j++ {
				fmt.Fprintf(&b, "%%%02X", v[i+j])
			}
		default:
			b.WriteString(v[i : i+size])
		}
		i += size
	}
	s := b.String()
	switch s {
	case ".", "..":
		s = strings.ReplaceAll(s, ".", "%2E")
	case DefaultPartition:
		// The value itself, not NULL: Spark reads the segment back as NULL.
		s = "%5F" + s[1:]
	}
	if len(s) > maxSegment {
		return "", fmt.Errorf("partition value %q is %d bytes after escaping, longer than %d", truncate(v, 40), len(s), maxSegment)
	}
	return s, nil
}

// layout computes record keys and partition paths of rows for one table configuration.
type layout struct {
	cfg       *Config
	cols      []schema.Column // the table's columns
	keyIdx    []int
	partIdx   []int
	timeIdx   int
	preIdx    int
	composite bool
}

func newLayout(cfg *Config, cols []schema.Column) (*layout, error) {
	l := &layout{cfg: cfg, cols: cols, timeIdx: -1, preIdx: -1, composite: cfg.compositeKey()}
	find := func(what, name string) (int, error) {
		i := columnIndex(cols, name)
		if i < 0 {
			return -1, fmt.Errorf("%s %q is not among the columns", what, name)
		}
		return i, nil
	}
	for _, k := range cfg.RecordKey {
		i, err := find("record key field", k)
		if err != nil {
			return nil, err
		}
		l.keyIdx = append(l.keyIdx, i)
	}
	for _, f := range cfg.Partitioning.Fields {
		i, err := find("partition field", f)
		if err != nil {
			return nil, err
		}
		l.partIdx = append(l.partIdx, i)
	}
	var err error
	if cfg.Partitioning.TimeField != "" {
		if l.timeIdx, err = find("partition time field", cfg.Partitioning.TimeField); err != nil {
			return nil, err
		}
	}
	if cfg.Precombine != "" {
		if l.preIdx, err = find("precombine field", cfg.Precombine); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// value returns a row's value of table column i (rows may be short: trailing NULLs).
type valueFunc func(i int) any

// recordKey is the _hoodie_record_key of a row: the plain value of a single key field, or
// field:value pairs joined by commas for a composite key, with __null__ and __empty__ for NULL
// and empty parts as Hudi's ComplexKeyGenerator writes them.
func (l *layout) recordKey(at valueFunc) (string, error) {
	if !l.composite {
		i := l.keyIdx[0]
		v := at(i)
		if v == nil {
			return "", fmt.Errorf("record key field %s is NULL", l.cols[i].Name)
		}
		s := keyText(l.cols[i].Type, v)
		if s == "" {
			return "", fmt.Errorf("record key field %s is empty", l.cols[i].Name)
		}
		return s, nil
	}
	var b strings.Builder
	real := false
	for n, i := range l.keyIdx {
		if n > 0 {
			b.WriteByte(',')
		}
		b.WriteString(l.cols[i].Name)
		b.WriteByte(':')
		v := at(i)
		switch s := keyText(l.cols[i].Type, v); {
		case v == nil:
			b.WriteString("__null__")
		case s == "":
			b.WriteString("__empty__")
		default:
			b.WriteString(s)
			real = true
		}
	}
	if !real {
		return "", fmt.Errorf("record key fields %s are all NULL or empty", strings.Join(l.cfg.RecordKey, ","))
	}
	return b.String(), nil
}

// partitionPath is the partition a row belongs to ("" for a non-partitioned table).
func (l *layout) partitionPath(at valueFunc) (string, error) {
	p := &l.cfg.Partitioning
	if l.timeIdx >= 0 {
		v := at(l.timeIdx)
		if v == nil {
			return DefaultPartition, nil
		}
		t, ok := v.(time.Time)
		if !ok {
			return "", fmt.Errorf("partition time field %s: %T is not a time", l.cols[l.timeIdx].Name, v)
		}
		t = t.UTC()
		if l.cols[l.timeIdx].Type == schema.Date {
			y, m, d := v.(time.Time).Date()
			t = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		}
		if t.Year() < 1 || t.Year() > 9999 {
			return "", fmt.Errorf("partition time field %s: year %d is outside 1-9999", l.cols[l.timeIdx].Name, t.Year())
		}
		style := 0
		if p.HiveStyle {
			style = 1
		}
		return t.Format(timeLayouts[p.Granularity][style]), nil
	}
	if len(l.partIdx) == 0 {
		return "", nil
	}
	var b strings.Builder
	for n, i := range l.partIdx {
		if n > 0 {
			b.WriteByte('/')
		}
		if p.HiveStyle {
			b.WriteString(l.cols[i].Name)
			b.WriteByte('=')
		}
		v := at(i)
		s := ""
		if v != nil {
			s = keyText(l.cols[i].Type, v)
		}
		if s == "" {
			b.WriteString(DefaultPartition)
			continue
		}
		enc, err := encodeSegment(s, p.HiveStyle)
		if err != nil {
			return "", fmt.Errorf("partition field %s: %w", l.cols[i].Name, err)
		}
		b.WriteString(enc)
	}
	return b.String(), nil
}

// partitionDepth is the number of path segments of a partition ("" has 0).
func partitionDepth(p string) int {
	if p == "" {
		return 0
	}
	return strings.Count(p, "/") + 1
}
