package hudi

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"reflect"
	"strconv"
	"time"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/snappy"
)

// Parquet files: fcsync writes flat files (five optional string meta columns, then one optional
// leaf per data column, see parquetNode), Snappy-compressed, with hoodie_min_record_key,
// hoodie_max_record_key and parquet.avro.schema in the footer. It reads any Parquet file,
// including Spark's nested ones (two-level lists, maps, structs).

// field is a named node of a group, in the order the group lists it.
type field struct {
	parquet.Node
	name string
}

func (f *field) Name() string                      { return f.name }
func (f *field) Value(reflect.Value) reflect.Value { return reflect.Value{} }

// orderedGroup is a parquet group that keeps its fields in the given order (parquet.Group sorts
// them by name; Hudi wants the meta columns first and the data columns in table order).
type orderedGroup []parquet.Field

func (g orderedGroup) ID() int                     { return 0 }
func (g orderedGroup) String() string              { return fmt.Sprintf("group(%d fields)", len(g)) }
func (g orderedGroup) Type() parquet.Type          { return parquet.Group{}.Type() }
func (g orderedGroup) Optional() bool              { return false }
func (g orderedGroup) Repeated() bool              { return false }
func (g orderedGroup) Required() bool              { return true }
func (g orderedGroup) Leaf() bool                  { return false }
func (g orderedGroup) Fields() []parquet.Field     { return g }
func (g orderedGroup) Encoding() encoding.Encoding { return nil }
func (g orderedGroup) Compression() compress.Codec { return nil }
func (g orderedGroup) GoType() reflect.Type        { return reflect.TypeFor[map[string]any]() }

// parquetNode is the Parquet leaf of a column type (all optional):
//
//	BIGINT -> INT64 INT(64); INT, SMALLINT, TINYINT -> INT32 INT(32); DOUBLE -> DOUBLE;
//	FLOAT -> FLOAT; STRING, VARCHAR, CHAR, JSON, DECIMAL -> BINARY STRING; BOOLEAN -> BOOLEAN;
//	DATETIME, TIMESTAMP -> INT64 TIMESTAMP(MICROS, UTC); DATE -> INT32 DATE; BINARY -> BINARY.
func parquetNode(t schema.Type) parquet.Node {
	var n parquet.Node
	switch t {
	case schema.BigInt:
		n = parquet.Int(64)
	case schema.Int, schema.SmallInt, schema.TinyInt:
		n = parquet.Int(32)
	case schema.Double:
		n = parquet.Leaf(parquet.DoubleType)
	case schema.Float:
		n = parquet.Leaf(parquet.FloatType)
	case schema.Boolean:
		n = parquet.Leaf(parquet.BooleanType)
	case schema.Datetime, schema.Timestamp:
		n = parquet.Timestamp(parquet.Microsecond)
	case schema.Date:
		n = parquet.Date()
	case schema.Binary:
		n = parquet.Leaf(parquet.ByteArrayType)
	default:
		n = parquet.String()
	}
	return parquet.Optional(n)
}

// fileSchema is the Parquet schema fcsync writes base files with.
type fileSchema struct {
	cols   []schema.Column
	schema *parquet.Schema
	avro   string
}

func newFileSchema(table string, cols []schema.Column) *fileSchema {
	g := make(orderedGroup, 0, numMeta+len(cols))
	for _, m := range metaColumns {
		g = append(g, &field{Node: parquet.Optional(parquet.String()), name: m})
	}
	for _, c := range cols {
		g = append(g, &field{Node: parquetNode(c.Type), name: c.Name})
	}
	return &fileSchema{
		cols:   cols,
		schema: parquet.NewSchema("hoodie."+table+"."+table+"_record", g),
		avro:   avroSchema(table, cols, true),
	}
}

const (
	writeBatchRows = 128
	rowGroupBytes  = 4 << 20 // estimated uncompressed bytes per row group (bounds the writer's buffers)
)

// baseWriter streams rows into one Parquet base file held in memory.
type baseWriter struct {
	fs       *fileSchema
	buf      bytes.Buffer
	w        *parquet.Writer
	cols     [][]parquet.Value // per leaf column, the values of the rows not yet written to w
	nbatch   int               // rows in cols
	text     []byte            // the bytes of rowText's strings for the rows in cols
	minKey   string
	maxKey   string
	rows     int
	rgBytes  int
	rowBytes int64

	collectKeys bool     // keep the record keys written
	keys        []string // with collectKeys

	kept *keptPrefix // stored row groups the file starts with, not written through w
}

func (fs *fileSchema) newWriter() *baseWriter {
	bw := &baseWriter{fs: fs, cols: make([][]parquet.Value, numMeta+len(fs.cols))}
	for i := range bw.cols {
		bw.cols[i] = make([]parquet.Value, 0, writeBatchRows)
	}
	bw.w = parquet.NewWriter(&bw.buf, fs.schema,
		parquet.Compression(snappy.Codec{}),
		parquet.KeyValueMetadata("parquet.avro.schema", fs.avro),
		parquet.KeyValueMetadata("writer.model.name", "avro"),
	)
	return bw
}

var emptyBytes = []byte{}

// stringBytes views s as bytes without copying; the writer copies values into its buffers and
// never modifies them.
func stringBytes(s string) []byte {
	if len(s) == 0 {
		return emptyBytes
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// add appends one row: the meta column values and the data values (at returns the value of
// table column i, already checked by checkValue). The values go straight to their column's
// slice, as parquet-go's column writers take them.
func (bw *baseWriter) add(meta *[numMeta]string, at valueFunc) error {
	// Values are leveled with the setters, which inline (Value.Level does not): repetition
	// level 0, definition level 1 for a value and 0 for a NULL of these optional columns.
	size := 0
	for i := range meta {
		pv := parquet.ByteArrayValue(stringBytes(meta[i]))
		pv.SetDefinitionLevel(1)
		pv.SetColumnIndex(i)
		bw.cols[i] = append(bw.cols[i], pv)
		size += len(meta[i])
	}
	for i, c := range bw.fs.cols {
		ci := numMeta + i
		v := at(i)
		size += valueSize(v)
		if v == nil {
			pv := parquet.NullValue()
			pv.SetColumnIndex(ci)
			bw.cols[ci] = append(bw.cols[ci], pv)
			continue
		}
		var pv parquet.Value
		switch x := v.(type) {
		case int64:
			if c.Type == schema.BigInt {
				pv = parquet.Int64Value(x)
			} else {
				pv = parquet.Int32Value(int32(x))
			}
		case float64:
			if c.Type == schema.Float {
				pv = parquet.FloatValue(float32(x))
			} else {
				pv = parquet.DoubleValue(x)
			}
		case string:
			pv = parquet.ByteArrayValue(stringBytes(x))
		case bool:
			pv = parquet.BooleanValue(x)
		case time.Time:
			if c.Type == schema.Date {
				pv = parquet.Int32Value(epochDay(x))
			} else {
				pv = parquet.Int64Value(x.UnixMicro())
			}
		case []byte:
			if x == nil {
				x = emptyBytes
			}
			pv = parquet.ByteArrayValue(x)
		default:
			for j := range bw.cols[:ci] { // drop the row's values appended so far
				bw.cols[j] = bw.cols[j][:bw.nbatch]
			}
			return fmt.Errorf("column %s: unsupported value %T", c.Name, v)
		}
		pv.SetDefinitionLevel(1)
		pv.SetColumnIndex(ci)
		bw.cols[ci] = append(bw.cols[ci], pv)
	}
	return bw.added(meta[metaRecordKey], size)
}

// addRaw appends one row of Parquet values already leveled for this file's columns (copied
// from another file), one per column in column order. key is its record key; size its
// estimated bytes.
func (bw *baseWriter) addRaw(vals []parquet.Value, key string, size int) error {
	for i, v := range vals {
		bw.cols[i] = append(bw.cols[i], v)
	}
	return bw.added(key, size)
}

// added accounts for a row appended to cols and writes the rows once there are
// writeBatchRows of them.
func (bw *baseWriter) added(key string, size int) error {
	bw.nbatch++
	bw.track(key, size)
	if bw.nbatch == writeBatchRows {
		return bw.flushBatch()
	}
	return nil
}

// rowText returns prefix followed by n in decimal, as a string that stays valid only until
// the row it is a value of is written (writeRows): the strings of a batch of rows share blocks
// of memory instead of taking an allocation each.
func (bw *baseWriter) rowText(prefix string, n int) string {
	const maxDigits = 20
	if cap(bw.text)-len(bw.text) < len(prefix)+maxDigits {
		// A new block; the strings in the old one stay valid (the values keep it alive).
		bw.text = make([]byte, 0, max(4<<10, (len(prefix)+maxDigits)*writeBatchRows))
	}
	start := len(bw.text)
	bw.text = strconv.AppendInt(append(bw.text, prefix...), int64(n), 10) // within cap: no move
	return unsafe.String(&bw.text[start], len(bw.text)-start)
}

// writeRows hands the rows in cols to the column writers, at most 64 rows per call: a page
// ends only between calls, and this bounds how far a page may exceed the page buffer size (as
// parquet-go's Writer.WriteRows does, so the pages are the same).
func (bw *baseWriter) writeRows() error {
	if bw.nbatch == 0 {
		return nil
	}
	const maxRowsPerWrite = 64
	cws := bw.w.ColumnWriters()
	for start := 0; start < bw.nbatch; start += maxRowsPerWrite {
		end := min(start+maxRowsPerWrite, bw.nbatch)
		for i, cw := range cws {
			if _, err := cw.WriteRowValues(bw.cols[i][start:end]); err != nil {
				return fmt.Errorf("encode parquet rows: %w", err)
			}
		}
	}
	for i := range bw.cols {
		clear(bw.cols[i]) // keep no references to the rows' bytes
		bw.cols[i] = bw.cols[i][:0]
	}
	bw.nbatch = 0
	bw.text = bw.text[:0] // the column writers copied the values
	return nil
}

// splice appends a row group of a stored base file with this file's schema as it is: its
// compressed pages are copied without decoding them (parquet-go's copy path for row groups of a
// file written with the same codec and encodings; otherwise parquet-go re-encodes them, with
// the same values). keys are its record keys in order, size its uncompressed bytes. The rows
// keep every meta column, _hoodie_file_name included (see the package doc).
func (bw *baseWriter) splice(rg parquet.RowGroup, keys []string, size int64) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errBadFile, r)
		}
	}()
	if err := bw.writeRows(); err != nil {
		return err
	}
	// WriteRowGroup first flushes the rows buffered so far as a row group of their own.
	if _, err := bw.w.WriteRowGroup(rg); err != nil {
		return fmt.Errorf("copy parquet row group: %w", err)
	}
	for _, k := range keys {
		bw.track(k, 0)
	}
	bw.rgBytes = 0
	bw.rowBytes += size
	return nil
}

// keep accounts for the rows of a stored row group that the new file keeps in place (see
// keptPrefix): keys are its record keys in order, size its uncompressed bytes.
func (bw *baseWriter) keep(keys []string, size int64) {
	for _, k := range keys {
		bw.track(k, 0)
	}
	bw.rowBytes += size
}

func (bw *baseWriter) track(key string, size int) {
	if bw.collectKeys {
		bw.keys = append(bw.keys, key) // finish takes the range from newFileKeys
	} else if bw.rows == 0 {
		bw.minKey, bw.maxKey = key, key
	} else if key > bw.maxKey { // one comparison for ascending keys
		bw.maxKey = key
	} else if key < bw.minKey {
		bw.minKey = key
	}
	bw.rows++
	bw.rgBytes += size
	bw.rowBytes += int64(size)
}

func (bw *baseWriter) flushBatch() error {
	if err := bw.writeRows(); err != nil {
		return err
	}
	if bw.rgBytes >= rowGroupBytes {
		if err := bw.w.Flush(); err != nil {
			return fmt.Errorf("flush parquet row group: %w", err)
		}
		bw.rgBytes = 0
	}
	return nil
}

// finish closes the file and returns its bytes and, with collectKeys, its record keys (their
// size is left for the caller to set).
func (bw *baseWriter) finish() ([]byte, *fileKeys, error) {
	if err := bw.flushBatch(); err != nil {
		return nil, nil, err
	}
	var fk *fileKeys
	if bw.collectKeys {
		fk = newFileKeys(bw.keys, 0)
		bw.minKey, bw.maxKey = fk.min, fk.max
	}
	bw.w.SetKeyValueMetadata("hoodie_min_record_key", bw.minKey)
	bw.w.SetKeyValueMetadata("hoodie_max_record_key", bw.maxKey)
	if err := bw.w.Close(); err != nil {
		return nil, nil, fmt.Errorf("close parquet file: %w", err)
	}
	b, err := dropTypeLengths(bw.buf.Bytes())
	if err != nil {
		return nil, nil, fmt.Errorf("close parquet file: %w", err)
	}
	return b, fk, nil
}

// dropTypeLengths rewrites the footer of a Parquet file parquet-go wrote without the
// type_length it sets on every schema element of a fixed-width type (64 for INT64, 1 for
// BOOLEAN...). The format allows it there (a bit width), but parquet-mr (1.8 as Hive 2.3 bundles
// it, and 1.12) keeps it in the column's type, so the type no longer equals one parsed from the
// schema's text, which Hive's Parquet reader compares it with: Hudi's HoodieParquetInputFormat then fails with "Group type
// [...] does not contain requested field" (hivemr_test.go). parquet-mr and Arrow set it only on
// FIXED_LEN_BYTE_ARRAY columns, where it is the values' byte length; so does this.
func dropTypeLengths(b []byte) ([]byte, error) {
	md, start, err := readFooter(b)
	if err != nil {
		return nil, err
	}
	changed := false
	for i := range md.Schema {
		e := &md.Schema[i]
		if e.TypeLength.Valid && (!e.Type.Valid || e.Type.V != format.FixedLenByteArray) {
			e.TypeLength = thrift.Null[int32]{}
			changed = true
		}
	}
	if !changed {
		return b, nil
	}
	footer, err := thrift.Marshal(compact, md)
	if err != nil {
		return nil, err
	}
	out := append(b[:start:start], footer...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(footer)))
	return append(out, "PAR1"...), nil
}

// ---- reading ----

// errBadFile is wrapped by errors about Parquet files that cannot be read.
var errBadFile = errors.New("unreadable parquet file")

// pnode is one node of a file's schema, prepared for assembling Go values.
type pnode struct {
	name     string
	col      *parquet.Column
	lo, hi   int // leaf column range
	maxDef   int
	maxRep   int
	repeated bool
	optional bool
	kind     int // kindLeaf, kindStruct, kindList, kindMap
	children []*pnode
	conv     func(parquet.Value) any
}

const (
	kindLeaf = iota
	kindStruct
	kindList
	kindMap
)

// baseFile is an open Parquet file.
type baseFile struct {
	f      *parquet.File
	fields []*pnode // top-level fields
	names  []string
	src    io.ReaderAt // the file's bytes
}

// openParquet opens a file held in memory. Malformed files are errors, never panics.
func openParquet(data []byte) (bf *baseFile, err error) {
	return openParquetAt(bytes.NewReader(data), int64(len(data)))
}

// openParquetAt opens a file of size bytes read through src (a storedFile reads only what
// is decoded).
func openParquetAt(src io.ReaderAt, size int64) (bf *baseFile, err error) {
	defer func() {
		if r := recover(); r != nil {
			bf, err = nil, fmt.Errorf("%w: %v", errBadFile, r)
		}
	}()
	f, err := parquet.OpenFile(src, size, parquet.SkipBloomFilters(true), parquet.SkipPageIndex(true))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errBadFile, err)
	}
	bf = &baseFile{f: f, src: src}
	for _, c := range f.Root().Columns() {
		n, err := buildNode(c)
		if err != nil {
			return nil, err
		}
		bf.fields = append(bf.fields, n)
		bf.names = append(bf.names, c.Name())
	}
	return bf, nil
}

func buildNode(c *parquet.Column) (*pnode, error) {
	n := &pnode{name: c.Name(), col: c, repeated: c.Repeated(), optional: c.Optional()}
	if c.Leaf() {
		n.kind = kindLeaf
		n.lo, n.hi = c.Index(), c.Index()+1
		n.maxDef, n.maxRep = c.MaxDefinitionLevel(), c.MaxRepetitionLevel()
		n.conv = leafConverter(c.Type())
		return n, nil
	}
	for _, cc := range c.Columns() {
		child, err := buildNode(cc)
		if err != nil {
			return nil, err
		}
		n.children = append(n.children, child)
	}
	if len(n.children) == 0 {
		return nil, fmt.Errorf("%w: group %s has no fields", errBadFile, c.Name())
	}
	n.lo, n.hi = n.children[0].lo, n.children[len(n.children)-1].hi
	// A group's levels: those of its first leaf minus what lies below the group.
	n.maxDef, n.maxRep = levelsOf(c)
	n.kind = kindStruct
	t := c.Type()
	lt, ct := t.LogicalType(), t.ConvertedType()
	switch {
	case (lt != nil && isList(lt)) || (ct != nil && *ct == deprecated.List):
		if len(n.children) == 1 && n.children[0].repeated {
			n.kind = kindList
		}
	case (lt != nil && isMap(lt)) || (ct != nil && (*ct == deprecated.Map || *ct == deprecated.MapKeyValue)):
		if len(n.children) == 1 && n.children[0].repeated && len(n.children[0].children) == 2 {
			n.kind = kindMap
		}
	}
	return n, nil
}

func isList(lt *format.LogicalType) bool { _, ok := lt.Value.(*format.ListType); return ok }
func isMap(lt *format.LogicalType) bool  { _, ok := lt.Value.(*format.MapType); return ok }

// levelsOf computes the definition and repetition levels of a (group) column from its path.
func levelsOf(c *parquet.Column) (def, rep int) {
	// Walk down to the first leaf and subtract the levels added below c.
	leaf := c
	for !leaf.Leaf() {
		leaf = leaf.Columns()[0]
	}
	def, rep = leaf.MaxDefinitionLevel(), leaf.MaxRepetitionLevel()
	for x := leaf; x != c; x = parentOf(c, x) {
		if x.Optional() {
			def--
		}
		if x.Repeated() {
			def--
			rep--
		}
	}
	return def, rep
}

// parentOf finds the parent of x below root.
func parentOf(root, x *parquet.Column) *parquet.Column {
	for _, c := range root.Columns() {
		if c == x {
			return root
		}
		if !c.Leaf() {
			if p := parentOf(c, x); p != nil {
				return p
			}
		}
	}
	return nil
}

// leafConverter turns a Parquet value of type t into a Go value: int64 for integers, float64
// for floating point, string for text and decimals (exact decimal text), time.Time (UTC) for
// dates and timestamps, bool, and []byte for other binary data.
func leafConverter(t parquet.Type) func(parquet.Value) any {
	lt := t.LogicalType()
	var lv format.LogicalTypeValue
	if lt != nil {
		lv = lt.Value
	}
	ct := t.ConvertedType()
	if dec, ok := lv.(*format.DecimalType); ok {
		scale := int(dec.Scale)
		switch t.Kind() {
		case parquet.Int32:
			return func(v parquet.Value) any { return decimalText(big.NewInt(int64(v.Int32())), scale) }
		case parquet.Int64:
			return func(v parquet.Value) any { return decimalText(big.NewInt(v.Int64()), scale) }
		default:
			return func(v parquet.Value) any { return decimalText(signedBigEndian(v.ByteArray()), scale) }
		}
	}
	switch t.Kind() {
	case parquet.Boolean:
		return func(v parquet.Value) any { return v.Boolean() }
	case parquet.Int32:
		if _, ok := lv.(*format.DateType); ok || (ct != nil && *ct == deprecated.Date) {
			return func(v parquet.Value) any { return time.Unix(int64(v.Int32())*86400, 0).UTC() }
		}
		return func(v parquet.Value) any { return int64(v.Int32()) }
	case parquet.Int64:
		unit := time.Duration(0)
		if ts, ok := lv.(*format.TimestampType); ok {
			switch ts.Unit.Value.(type) {
			case *format.MilliSeconds:
				unit = time.Millisecond
			case *format.MicroSeconds:
				unit = time.Microsecond
			case *format.NanoSeconds:
				unit = time.Nanosecond
			}
		} else if ct != nil && *ct == deprecated.TimestampMillis {
			unit = time.Millisecond
		} else if ct != nil && *ct == deprecated.TimestampMicros {
			unit = time.Microsecond
		}
		switch unit {
		case time.Millisecond:
			return func(v parquet.Value) any { return time.UnixMilli(v.Int64()).UTC() }
		case time.Microsecond:
			return func(v parquet.Value) any { return time.UnixMicro(v.Int64()).UTC() }
		case time.Nanosecond:
			return func(v parquet.Value) any { return time.Unix(0, v.Int64()).UTC() }
		}
		return func(v parquet.Value) any { return v.Int64() }
	case parquet.Int96:
		return func(v parquet.Value) any {
			i := v.Int96()
			nanos := int64(uint64(i[1])<<32 | uint64(i[0]))
			days := int64(i[2]) - 2440588 // Julian day of 1970-01-01
			return time.Unix(days*86400, nanos).UTC()
		}
	case parquet.Float:
		return func(v parquet.Value) any {
			f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(v.Float()), 'g', -1, 32), 64)
			return f
		}
	case parquet.Double:
		return func(v parquet.Value) any { return v.Double() }
	}
	// BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY
	text := false
	switch lv.(type) {
	case *format.StringType, *format.EnumType, *format.JsonType:
		text = true
	case *format.UUIDType:
		return func(v parquet.Value) any {
			b := v.ByteArray()
			if len(b) != 16 {
				return string(b)
			}
			return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
		}
	}
	if ct != nil && (*ct == deprecated.UTF8 || *ct == deprecated.Enum || *ct == deprecated.Json) {
		text = true
	}
	if text {
		return func(v parquet.Value) any { return string(v.ByteArray()) }
	}
	return func(v parquet.Value) any { return bytes.Clone(v.ByteArray()) }
}

// signedBigEndian reads a two's complement big-endian integer.
func signedBigEndian(b []byte) *big.Int {
	n := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(len(b))*8))
	}
	return n
}

// decimalText renders unscaled × 10^-scale exactly.
func decimalText(unscaled *big.Int, scale int) string {
	s := unscaled.String()
	if scale <= 0 {
		if scale < 0 && unscaled.Sign() != 0 {
			s += string(bytes.Repeat([]byte{'0'}, -scale))
		}
		return s
	}
	neg := false
	if s[0] == '-' {
		neg, s = true, s[1:]
	}
	for len(s) <= scale {
		s = "0" + s
	}
	s = s[:len(s)-scale] + "." + s[len(s)-scale:]
	if neg {
		s = "-" + s
	}
	return s
}

// scan reads every row, assembling one Go value per top-level field, and calls fn with them
// (the slice is reused between calls). Malformed files are errors, never panics.
func (bf *baseFile) scan(fn func(vals []any) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errBadFile, r)
		}
	}()
	ncols := 0
	if len(bf.fields) > 0 {
		ncols = bf.fields[len(bf.fields)-1].hi
	}
	perCol := make([][]parquet.Value, ncols)
	vals := make([]any, len(bf.fields))
	rows := make([]parquet.Row, 64)
	for _, rg := range bf.f.RowGroups() {
		r := parquet.NewRowGroupReader(rg)
		for {
			n, rerr := r.ReadRows(rows)
			for _, row := range rows[:n] {
				for i := range perCol {
					perCol[i] = perCol[i][:0]
				}
				for _, v := range row {
					c := v.Column()
					if c < 0 || c >= ncols {
						return fmt.Errorf("%w: value of column %d outside the schema", errBadFile, c)
					}
					perCol[c] = append(perCol[c], v)
				}
				for i, fnode := range bf.fields {
					vals[i], err = assemble(fnode, perCol[fnode.lo:fnode.hi])
					if err != nil {
						return err
					}
				}
				if err := fn(vals); err != nil {
					return err
				}
			}
			if rerr != nil {
				if errors.Is(rerr, io.EOF) {
					break
				}
				return fmt.Errorf("%w: %v", errBadFile, rerr)
			}
			if n == 0 {
				break
			}
		}
	}
	return nil
}

// assemble builds the value of field n from the values of its leaves (one slice per leaf, for
// one instance of n's parent).
func assemble(n *pnode, leaves [][]parquet.Value) (any, error) {
	if n.repeated { // a bare repeated field: a list of its elements
		return assembleRepeated(n, leaves, func(inst [][]parquet.Value) (any, error) { return assembleOne(n, inst) })
	}
	return assembleOne(n, leaves)
}

// assembleOne builds one (non-repeated) instance of n.
func assembleOne(n *pnode, leaves [][]parquet.Value) (any, error) {
	if len(leaves) == 0 || len(leaves[0]) == 0 {
		return nil, fmt.Errorf("%w: no values for %s", errBadFile, n.name)
	}
	first := leaves[0][0]
	if first.DefinitionLevel() < n.maxDef {
		return nil, nil // n (or an ancestor) is null
	}
	switch n.kind {
	case kindLeaf:
		return n.conv(first), nil
	case kindList:
		r := n.children[0]
		return assembleRepeated(r, leaves, func(inst [][]parquet.Value) (any, error) { return listElement(n, r, inst) })
	case kindMap:
		kv := n.children[0]
		m := map[string]any{}
		_, err := assembleRepeated(kv, leaves, func(inst [][]parquet.Value) (any, error) {
			k, err := assemble(kv.children[0], sub(kv, kv.children[0], inst))
			if err != nil {
				return nil, err
			}
			v, err := assemble(kv.children[1], sub(kv, kv.children[1], inst))
			if err != nil {
				return nil, err
			}
			m[keyString(k)] = v
			return nil, nil
		})
		return m, err
	}
	return assembleStruct(n, leaves)
}

func assembleStruct(n *pnode, leaves [][]parquet.Value) (any, error) {
	m := make(map[string]any, len(n.children))
	for _, c := range n.children {
		v, err := assemble(c, sub(n, c, leaves))
		if err != nil {
			return nil, err
		}
		m[c.name] = v
	}
	return m, nil
}

// listElement is the element of a LIST group g whose repeated child is r: r itself for the
// legacy two-level forms (a primitive, a group of several fields, or a group named "array" or
// "<list>_tuple", as Spark and parquet-avro write), otherwise r's only child (three-level).
func listElement(g, r *pnode, inst [][]parquet.Value) (any, error) {
	switch {
	case r.kind == kindLeaf:
		return r.conv(inst[0][0]), nil
	case len(r.children) > 1 || r.name == "array" || r.name == g.name+"_tuple":
		return assembleStruct(r, inst)
	}
	return assemble(r.children[0], inst)
}

// sub returns the leaf slices of child c within parent p's leaves.
func sub(p, c *pnode, leaves [][]parquet.Value) [][]parquet.Value {
	return leaves[c.lo-p.lo : c.hi-p.lo]
}

// assembleRepeated splits the leaves of a repeated node r into its instances and calls one on
// each, returning the list of results.
func assembleRepeated(r *pnode, leaves [][]parquet.Value, one func([][]parquet.Value) (any, error)) (any, error) {
	if len(leaves) == 0 || len(leaves[0]) == 0 {
		return nil, fmt.Errorf("%w: no values for %s", errBadFile, r.name)
	}
	if leaves[0][0].DefinitionLevel() < r.maxDef {
		return []any{}, nil // empty
	}
	// Instance boundaries per leaf: a value with repetition level <= r.maxRep starts a new one.
	starts := make([][]int, len(leaves))
	count := -1
	for i, vs := range leaves {
		for j, v := range vs {
			if j == 0 || v.RepetitionLevel() <= r.maxRep {
				starts[i] = append(starts[i], j)
			}
		}
		if count >= 0 && len(starts[i]) != count {
			return nil, fmt.Errorf("%w: inconsistent repetition in %s", errBadFile, r.name)
		}
		count = len(starts[i])
	}
	out := make([]any, 0, count)
	inst := make([][]parquet.Value, len(leaves))
	for k := 0; k < count; k++ {
		for i, vs := range leaves {
			end := len(vs)
			if k+1 < len(starts[i]) {
				end = starts[i][k+1]
			}
			inst[i] = vs[starts[i][k]:end]
		}
		v, err := one(inst)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func keyString(k any) string {
	switch x := k.(type) {
	case string:
		return x
	case nil:
		return ""
	case time.Time:
		return x.Format(time.RFC3339Nano)
	}
	return fmt.Sprint(k)
}

// flat reports whether every field of the file is a top-level, non-repeated leaf, as in the
// files fcsync writes.
func (bf *baseFile) flat() bool {
	for _, f := range bf.fields {
		if f.kind != kindLeaf || f.maxRep != 0 || f.repeated {
			return false
		}
	}
	return true
}

// scanFlatGroup reads the rows of one row group of a flat file as Parquet values, one per
// field. The values are valid until afterChunk is called, which happens before the reader
// reuses their memory. Malformed files are errors, never panics.
func (bf *baseFile) scanFlatGroup(rg parquet.RowGroup, fn func(vals []parquet.Value) error, afterChunk func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errBadFile, r)
		}
	}()
	n := len(bf.fields)
	vals := make([]parquet.Value, n)
	rows := make([]parquet.Row, 64)
	r := parquet.NewRowGroupReader(rg)
	for {
		k, rerr := r.ReadRows(rows)
		for _, row := range rows[:k] {
			if len(row) != n {
				return fmt.Errorf("%w: row of %d values for %d columns", errBadFile, len(row), n)
			}
			for _, v := range row {
				c := v.Column()
				if c < 0 || c >= n {
					return fmt.Errorf("%w: value of column %d outside the schema", errBadFile, c)
				}
				vals[c] = v
			}
			if err := fn(vals); err != nil {
				return err
			}
		}
		if err := afterChunk(); err != nil {
			return err
		}
		if rerr != nil {
			if errors.Is(rerr, io.EOF) {
				return nil
			}
			return fmt.Errorf("%w: %v", errBadFile, rerr)
		}
		if k == 0 {
			return nil
		}
	}
}

// keyValue returns the footer key/value metadata entry named key.
func (bf *baseFile) keyValue(key string) (string, bool) {
	for _, kv := range bf.f.Metadata().KeyValueMetadata {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return "", false
}

// recordKeys returns the _hoodie_record_key of every row, in file order.
func (bf *baseFile) recordKeys() (keys []string, err error) {
	defer func() {
		if r := recover(); r != nil {
			keys, err = nil, fmt.Errorf("%w: %v", errBadFile, r)
		}
	}()
	idx := -1
	for i, n := range bf.names {
		if n == metaColumns[metaRecordKey] && bf.fields[i].kind == kindLeaf && bf.fields[i].maxRep == 0 {
			idx = bf.fields[i].lo
		}
	}
	if idx < 0 {
		return nil, fmt.Errorf("%w: no %s column", errBadFile, metaColumns[metaRecordKey])
	}
	keys = make([]string, 0, bf.f.NumRows())
	buf := make([]parquet.Value, 256)
	for _, rg := range bf.f.RowGroups() {
		pages := rg.ColumnChunks()[idx].Pages()
		for {
			p, perr := pages.ReadPage()
			if perr != nil {
				_ = pages.Close()
				if errors.Is(perr, io.EOF) {
					break
				}
				return nil, fmt.Errorf("%w: %v", errBadFile, perr)
			}
			vr := p.Values()
			for {
				n, verr := vr.ReadValues(buf)
				for _, v := range buf[:n] {
					if v.IsNull() {
						keys = append(keys, "")
					} else {
						keys = append(keys, string(v.ByteArray()))
					}
				}
				if verr != nil {
					if errors.Is(verr, io.EOF) {
						break
					}
					parquet.Release(p)
					return nil, fmt.Errorf("%w: %v", errBadFile, verr)
				}
			}
			parquet.Release(p)
		}
	}
	return keys, nil
}

// grow sizes the buffer of a new version of file group f once: it is about as large per row as
// the stored version, less the kept bytes that the store copies. A new file group is about as
// large per row as the partition's other base files, with a sixteenth to spare (growing the
// buffer by doubling would allocate about four times the file's size).
func (bw *baseWriter) grow(f *plannedFile, kept int64) {
	switch {
	case f.prevRows > 0:
		perRow := f.prevSize / int64(f.prevRows)
		bw.buf.Grow(int(max(0, f.prevSize-kept)+perRow*int64(len(f.inserts))) + 64<<10)
	case f.prev == nil && f.rowSize > 0:
		bw.buf.Grow(int(f.rowSize*int64(len(f.inserts))*17/16) + 64<<10)
	}
}

// keptBytes is the size of the stored row groups the file keeps in place.
func (bw *baseWriter) keptBytes() int64 {
	if bw.kept == nil {
		return 0
	}
	return bw.kept.length
}
