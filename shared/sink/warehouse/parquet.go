package warehouse

import (
	"fmt"
	"math"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/fcsync/fcsync/shared/schema"
)

// parquetNode is the Parquet leaf for a column type; every column is optional.
func parquetNode(t schema.Type) (parquet.Node, error) {
	var n parquet.Node
	switch t {
	case schema.BigInt, schema.Int, schema.SmallInt, schema.TinyInt:
		n = parquet.Int(64)
	case schema.Double, schema.Float:
		n = parquet.Leaf(parquet.DoubleType)
	case schema.String, schema.Varchar, schema.Char, schema.Decimal, schema.JSON:
		n = parquet.String()
	case schema.Boolean:
		n = parquet.Leaf(parquet.BooleanType)
	case schema.Datetime:
		n = parquet.Timestamp(parquet.Millisecond)
	case schema.Timestamp:
		n = parquet.Timestamp(parquet.Microsecond)
	case schema.Date:
		n = parquet.Date()
	case schema.Binary:
		n = parquet.Leaf(parquet.ByteArrayType)
	default:
		return nil, fmt.Errorf("type %q has no Parquet mapping", t)
	}
	return parquet.Optional(n), nil
}

// fileSchema is the Parquet schema of a session's files and where each column goes.
type fileSchema struct {
	schema *parquet.Schema
	leaf   []int // table column i -> Parquet leaf index
	types  []schema.Type
	names  []string
}

func newFileSchema(t *schema.Table) (*fileSchema, error) {
	g := parquet.Group{}
	fs := &fileSchema{leaf: make([]int, len(t.Columns)), types: make([]schema.Type, len(t.Columns)), names: make([]string, len(t.Columns))}
	for i, c := range t.Columns {
		n, err := parquetNode(c.Type)
		if err != nil {
			return nil, fmt.Errorf("table %s: column %s: %w", t.Name, c.Name, err)
		}
		g[c.Name] = n
		fs.types[i] = c.Type
		fs.names[i] = c.Name
	}
	fs.schema = parquet.NewSchema(t.Name, g)
	for i, c := range t.Columns {
		lc, ok := fs.schema.Lookup(c.Name)
		if !ok {
			return nil, fmt.Errorf("table %s: column %s missing from the Parquet schema", t.Name, c.Name)
		}
		fs.leaf[i] = lc.ColumnIndex
	}
	return fs, nil
}

// encodeRow fills dst (one Value per leaf) from a schema.Row and returns the approximate
// bytes of data it holds.
func (fs *fileSchema) encodeRow(dst parquet.Row, row schema.Row) (int64, error) {
	if len(row) != len(fs.types) {
		return 0, fmt.Errorf("row has %d values, table has %d columns", len(row), len(fs.types))
	}
	var size int64
	for i, v := range row {
		pv, n, err := encodeValue(fs.types[i], v)
		if err != nil {
			return 0, fmt.Errorf("column %s: %w", fs.names[i], err)
		}
		if pv.IsNull() {
			dst[fs.leaf[i]] = parquet.NullValue().Level(0, 0, fs.leaf[i])
		} else {
			dst[fs.leaf[i]] = pv.Level(0, 1, fs.leaf[i])
		}
		size += n + 2
	}
	return size, nil
}

func encodeValue(t schema.Type, v any) (parquet.Value, int64, error) {
	if v == nil {
		return parquet.NullValue(), 0, nil
	}
	switch {
	case t.Integer():
		n, err := schema.Int64(v)
		if err != nil {
			return parquet.Value{}, 0, err
		}
		return parquet.Int64Value(n), 8, nil
	}
	switch t {
	case schema.Double, schema.Float:
		switch x := v.(type) {
		case float64:
			return parquet.DoubleValue(x), 8, nil
		case float32:
			return parquet.DoubleValue(float64(x)), 8, nil
		}
		if n, err := schema.Int64(v); err == nil {
			return parquet.DoubleValue(float64(n)), 8, nil
		}
	case schema.String, schema.Varchar, schema.Char, schema.Decimal, schema.JSON, schema.Binary:
		switch x := v.(type) {
		case string:
			return parquet.ValueOf(x), int64(len(x)), nil
		case []byte:
			return parquet.ByteArrayValue(x), int64(len(x)), nil
		}
	case schema.Boolean:
		if b, ok := v.(bool); ok {
			return parquet.BooleanValue(b), 1, nil
		}
	case schema.Datetime, schema.Timestamp, schema.Date:
		tm, ok := v.(time.Time)
		if !ok {
			break
		}
		switch t {
		case schema.Datetime:
			return parquet.Int64Value(tm.UnixMilli()), 8, nil
		case schema.Timestamp:
			return parquet.Int64Value(tm.UnixMicro()), 8, nil
		default:
			y, m, d := tm.Date()
			days := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
			if days < math.MinInt32 || days > math.MaxInt32 {
				return parquet.Value{}, 0, fmt.Errorf("date %s out of range", tm.Format(time.DateOnly))
			}
			return parquet.Int32Value(int32(days)), 4, nil
		}
	}
	return parquet.Value{}, 0, fmt.Errorf("%T value does not fit a %s column", v, t)
}

// decodeValue turns a non-null Parquet value back into the schema package's Go type.
func decodeValue(t schema.Type, v parquet.Value) (any, error) {
	want := parquet.Int64
	switch t {
	case schema.Double, schema.Float:
		want = parquet.Double
	case schema.String, schema.Varchar, schema.Char, schema.Decimal, schema.JSON, schema.Binary:
		want = parquet.ByteArray
	case schema.Boolean:
		want = parquet.Boolean
	case schema.Date:
		want = parquet.Int32
	}
	if v.Kind() != want {
		return nil, fmt.Errorf("stored as %s, a %s column wants %s", v.Kind(), t, want)
	}
	switch t {
	case schema.Double, schema.Float:
		return v.Double(), nil
	case schema.Binary:
		return append([]byte{}, v.ByteArray()...), nil
	case schema.String, schema.Varchar, schema.Char, schema.Decimal, schema.JSON:
		return string(v.ByteArray()), nil
	case schema.Boolean:
		return v.Boolean(), nil
	case schema.Datetime:
		return time.UnixMilli(v.Int64()).UTC(), nil
	case schema.Timestamp:
		return time.UnixMicro(v.Int64()).UTC(), nil
	case schema.Date:
		return time.Unix(int64(v.Int32())*86400, 0).UTC(), nil
	}
	return v.Int64(), nil
}

// fileColumns maps a file's leaf columns to table columns by name (case-insensitive): -1 for
// a column the table does not have.
func fileColumns(t *schema.Table, s *parquet.Schema) []int {
	cols := s.Columns()
	out := make([]int, len(cols))
	for i, path := range cols {
		out[i] = -1
		if len(path) == 1 {
			out[i] = t.Index(path[0])
		}
	}
	return out
}
