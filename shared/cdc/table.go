package cdc

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// DataWorks column types of the message format.
const (
	TypeLong    = "LONG"
	TypeDouble  = "DOUBLE"
	TypeString  = "STRING"
	TypeDate    = "DATE" // epoch milliseconds
	TypeBytes   = "BYTES"
	TypeBoolean = "BOOLEAN"
)

// kind is how a column's values are read and written.
type kind uint8

const (
	kindString    kind = iota // char, varchar, text, json → STRING
	kindInt                   // signed integers and year → LONG
	kindUint                  // unsigned integers → LONG
	kindFloat                 // float, double → DOUBLE
	kindDecimal               // decimal → STRING (exact digits)
	kindBool                  // bit(1) → BOOLEAN
	kindBit                   // bit(n), n > 1 → LONG
	kindDate                  // date → DATE (midnight in the job's time zone)
	kindDatetime              // datetime → DATE (wall clock in the job's time zone)
	kindTimestamp             // timestamp → DATE (an instant)
	kindTime                  // time → STRING
	kindEnum                  // enum → STRING (the label)
	kindSet                   // set → STRING (labels joined by ',')
	kindBytes                 // binary, varbinary, blob, geometry → BYTES (base64)
)

var kindTypes = [...]string{
	kindString: TypeString, kindInt: TypeLong, kindUint: TypeLong, kindFloat: TypeDouble, kindDecimal: TypeString,
	kindBool: TypeBoolean, kindBit: TypeLong, kindDate: TypeDate, kindDatetime: TypeDate, kindTimestamp: TypeDate,
	kindTime: TypeString, kindEnum: TypeString, kindSet: TypeString, kindBytes: TypeBytes,
}

// Column is one column of a source table, as information_schema describes it.
type Column struct {
	Name       string `json:"name"`
	DataType   string `json:"dataType"`   // DATA_TYPE, lower case: int, varchar, datetime, ...
	ColumnType string `json:"columnType"` // COLUMN_TYPE: int(10) unsigned, enum('a','b'), binary(16), ...
	Charset    string `json:"charset,omitempty"`
	Nullable   bool   `json:"nullable,omitempty"`

	kind    kind
	width   int      // integer size in bytes (for unsigned binlog values), or BINARY(n) length
	float32 bool     // FLOAT: printed with float32 precision
	labels  []string // ENUM and SET members
	decoder *encoding.Decoder
}

// Type is the column's DataWorks type: LONG, DOUBLE, STRING, DATE, BYTES or BOOLEAN.
func (c *Column) Type() string { return kindTypes[c.kind] }

// Table is a source table the job reads, with how its records are keyed and where they go.
type Table struct {
	DB         string   `json:"db"`
	Name       string   `json:"table"`
	Columns    []Column `json:"columns"`
	PrimaryKey []string `json:"primaryKey,omitempty"`
	// UniqueKey is the first unique index whose columns are all NOT NULL (no prefix parts); a
	// table without a primary key is snapshotted in chunks of it.
	UniqueKey []string `json:"uniqueKey,omitempty"`
	// Key is the columns the Kafka key is made of: the primary key, or the job's key columns;
	// empty means the empty key.
	Key   []string `json:"key,omitempty"`
	Topic string   `json:"topic"`

	keyIdx   []int
	chunkIdx []int
	all      []int // 0, 1, ..., len(Columns)-1
	byName   map[string]int
	schema   []byte // the message's "schema" object

	settings *writerSettings // from the job (nil: none)
	sh       *shape          // field names, types and additional fields
}

// FullName is db.table.
func (t *Table) FullName() string { return t.DB + "." + t.Name }

// ChunkKey is the columns the snapshot pages by (the primary key, else UniqueKey), or nil when
// the table is read in one pass.
func (t *Table) ChunkKey() []string {
	if len(t.PrimaryKey) > 0 {
		return t.PrimaryKey
	}
	return t.UniqueKey
}

// prepare derives the unexported fields: column kinds, key and chunk column indexes, and the
// message schema object. dbVersion goes into schema.source.
func (t *Table) prepare(dbVersion string) error {
	t.byName = make(map[string]int, len(t.Columns))
	t.all = make([]int, len(t.Columns))
	for i := range t.Columns {
		t.all[i] = i
		c := &t.Columns[i]
		if err := c.prepare(); err != nil {
			return fmt.Errorf("table %s column %s: %w", t.FullName(), c.Name, err)
		}
		t.byName[strings.ToLower(c.Name)] = i
	}
	var err error
	if t.keyIdx, err = t.indexes(t.Key); err != nil {
		return fmt.Errorf("table %s key: %w", t.FullName(), err)
	}
	if t.chunkIdx, err = t.indexes(t.ChunkKey()); err != nil {
		return fmt.Errorf("table %s chunk key: %w", t.FullName(), err)
	}
	if err := t.buildShape(false); err != nil {
		return err
	}
	t.schema = appendSchema(nil, t, dbVersion)
	return nil
}

func (t *Table) indexes(names []string) ([]int, error) {
	out := make([]int, 0, len(names))
	for _, n := range names {
		i, ok := t.column(n)
		if !ok {
			return nil, fmt.Errorf("no column %q", n)
		}
		out = append(out, i)
	}
	return out, nil
}

// column finds a column by name; MySQL column names are case-insensitive.
func (t *Table) column(name string) (int, bool) {
	i, ok := t.byName[strings.ToLower(name)]
	return i, ok
}

// prepare reads the column's kind from its information_schema types.
func (c *Column) prepare() error {
	dt := strings.ToLower(c.DataType)
	ct := strings.ToLower(c.ColumnType)
	unsigned := strings.Contains(ct, "unsigned")
	c.kind, c.width, c.float32, c.labels, c.decoder = kindString, 0, false, nil, nil
	switch dt {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint":
		c.kind = kindInt
		if unsigned {
			c.kind = kindUint
		}
		c.width = map[string]int{"tinyint": 1, "smallint": 2, "mediumint": 3, "int": 4, "integer": 4, "bigint": 8}[dt]
	case "year":
		c.kind = kindInt
	case "float":
		c.kind, c.float32 = kindFloat, true
	case "double", "real", "double precision":
		c.kind = kindFloat
	case "decimal", "numeric", "dec", "fixed":
		c.kind = kindDecimal
	case "bit":
		c.kind = kindBit
		if ct == "bit(1)" {
			c.kind = kindBool
		}
	case "date":
		c.kind = kindDate
	case "datetime":
		c.kind = kindDatetime
	case "timestamp":
		c.kind = kindTimestamp
	case "time":
		c.kind = kindTime
	case "enum", "set":
		c.kind = kindEnum
		if dt == "set" {
			c.kind = kindSet
		}
		labels, err := parseLabels(c.ColumnType)
		if err != nil {
			return err
		}
		c.labels = labels
	case "binary":
		c.kind = kindBytes
		if n, ok := typeLength(ct); ok {
			c.width = n
		}
	case "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "geometry", "point", "linestring",
		"polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection", "vector":
		c.kind = kindBytes
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "json":
		c.kind = kindString
		dec, err := charsetDecoder(c.Charset)
		if err != nil {
			return err
		}
		c.decoder = dec
	default:
		return fmt.Errorf("type %s is not supported", c.ColumnType)
	}
	return nil
}

// typeLength reads n from "binary(n)".
func typeLength(ct string) (int, bool) {
	i, j := strings.IndexByte(ct, '('), strings.IndexByte(ct, ')')
	if i < 0 || j < i {
		return 0, false
	}
	n, err := strconv.Atoi(ct[i+1 : j])
	return n, err == nil && n > 0
}

// parseLabels reads the members of "enum('a','b')" or "set(...)" (a quote inside a member is doubled or backslash-escaped).
func parseLabels(ct string) ([]string, error) {
	i := strings.IndexByte(ct, '(')
	if i < 0 || !strings.HasSuffix(ct, ")") {
		return nil, fmt.Errorf("cannot read the members of %q", ct)
	}
	s := ct[i+1 : len(ct)-1]
	var out []string
	for len(s) > 0 {
		if s[0] != '\'' {
			return nil, fmt.Errorf("cannot read the members of %q", ct)
		}
		var b strings.Builder
		j := 1
		closed := false
		for j < len(s) {
			switch {
			case s[j] == '\'' && j+1 < len(s) && s[j+1] == '\'':
				b.WriteByte('\'')
				j += 2
			case s[j] == '\'':
				closed = true
				j++
			case s[j] == '\\' && j+1 < len(s):
				b.WriteByte(s[j+1])
				j += 2
			default:
				b.WriteByte(s[j])
				j++
			}
			if closed {
				break
			}
		}
		if !closed {
			return nil, fmt.Errorf("cannot read the members of %q", ct)
		}
		out = append(out, b.String())
		s = s[j:]
		if len(s) > 0 {
			if s[0] != ',' {
				return nil, fmt.Errorf("cannot read the members of %q", ct)
			}
			s = s[1:]
		}
	}
	return out, nil
}

// charsetDecoder returns the decoder from a column character set to UTF-8 for binlog values
// (snapshot reads are converted by the server); nil when the bytes are UTF-8 already.
func charsetDecoder(cs string) (*encoding.Decoder, error) {
	switch strings.ToLower(cs) {
	case "", "utf8", "utf8mb3", "utf8mb4", "ascii", "binary":
		return nil, nil
	case "latin1":
		return charmap.Windows1252.NewDecoder(), nil // MySQL's latin1 is cp1252
	case "gbk":
		return simplifiedchinese.GBK.NewDecoder(), nil
	case "gb18030":
		return simplifiedchinese.GB18030.NewDecoder(), nil
	case "gb2312":
		return simplifiedchinese.GBK.NewDecoder(), nil // EUC-CN is a subset of GBK
	case "big5":
		return traditionalchinese.Big5.NewDecoder(), nil
	}
	return nil, fmt.Errorf("character set %s is not supported (utf8mb4, utf8, ascii, latin1, gbk, gb18030, big5 are)", cs)
}

// sameColumns reports whether two column lists are the same (names and types).
func sameColumns(a, b []Column) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].ColumnType != b[i].ColumnType || a[i].Charset != b[i].Charset {
			return false
		}
	}
	return true
}

// zoneOrUTC returns loc, or UTC when nil.
func zoneOrUTC(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}
