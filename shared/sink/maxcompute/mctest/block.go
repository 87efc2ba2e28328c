package mctest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/aliyun/aliyun-odps-go-sdk/odps/datatype"
	"github.com/aliyun/aliyun-odps-go-sdk/odps/tunnel"
)

// Wire types of the record format (the protobuf ones).
const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
	wireFixed32 = 5
)

// Range of DATETIME, DATE and TIMESTAMP values (years 0001 to 9999).
var (
	minTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
)

var decimalRE = regexp.MustCompile(`^[+-]?([0-9]+)(?:\.([0-9]+))?$`)

// decoder reads one block: records of tagged fields, each ended by a record CRC, then the
// record count and the CRC of the record CRCs.
type decoder struct {
	cols     []column
	maxField int
	keep     bool // keep the rows (else only count them)
	br       *bufio.Reader
	pr       *tunnel.ProtocStreamReader
	crc      tunnel.Crc32CheckSum
}

// decodeBlock decodes a decompressed block body against the session's columns.
func decodeBlock(body io.Reader, cols []column, maxField int, keep bool) ([][]any, int64, error) {
	br := bufio.NewReaderSize(body, 64<<10)
	// NewProtocStreamReader keeps br as its buffer (bufio.NewReader returns a large enough
	// *bufio.Reader as is), so byte payloads can be read from br after their length.
	d := &decoder{cols: cols, maxField: maxField, keep: keep, br: br, pr: tunnel.NewProtocStreamReader(br), crc: tunnel.NewCrc32CheckSum()}
	return d.decode()
}

func (d *decoder) decode() ([][]any, int64, error) {
	var rows [][]any
	var count int64
	crcOfCrc := tunnel.NewCrc32CheckSum()
	rec := make([]any, len(d.cols))
	seen := make([]bool, len(d.cols))
	fields := 0
	for {
		num, typ, err := d.pr.ReadTag()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, 0, fmt.Errorf("the block ends after %d records without its record count (truncated upload?)", count)
			}
			return nil, 0, fmt.Errorf("record %d: %v", count+1, err)
		}
		switch num {
		case tunnel.EndRecord:
			if typ != wireVarint {
				return nil, 0, fmt.Errorf("record %d: end-of-record tag has wire type %d", count+1, typ)
			}
			got, err := d.pr.ReadUInt32()
			if err != nil {
				return nil, 0, fmt.Errorf("record %d: checksum: %v", count+1, err)
			}
			if want := d.crc.Value(); got != want {
				return nil, 0, fmt.Errorf("record %d: checksum %08x, the record's fields give %08x", count+1, got, want)
			}
			crcOfCrc.Update(got)
			d.crc.Reset()
			count++
			if d.keep {
				rows = append(rows, rec)
				rec = make([]any, len(d.cols))
			} else {
				clear(rec)
			}
			clear(seen)
			fields = 0
		case tunnel.MetaCount:
			if fields > 0 {
				return nil, 0, fmt.Errorf("record %d has fields but no end-of-record tag before the record count", count+1)
			}
			n, err := d.pr.ReadSInt64()
			if err != nil {
				return nil, 0, fmt.Errorf("record count: %v", err)
			}
			if n != count {
				return nil, 0, fmt.Errorf("the block says %d records, it holds %d", n, count)
			}
			num, _, err := d.pr.ReadTag()
			if err != nil || num != tunnel.MetaChecksum {
				return nil, 0, errors.New("the record count is not followed by the block checksum")
			}
			sum, err := d.pr.ReadUInt32()
			if err != nil {
				return nil, 0, fmt.Errorf("block checksum: %v", err)
			}
			if want := crcOfCrc.Value(); sum != want {
				return nil, 0, fmt.Errorf("block checksum %08x, the record checksums give %08x", sum, want)
			}
			if _, err := d.br.ReadByte(); err != io.EOF {
				return nil, 0, errors.New("data follows the block checksum")
			}
			return rows, count, nil
		default:
			i := int(num) - 1
			if i < 0 || i >= len(d.cols) {
				return nil, 0, fmt.Errorf("record %d: field number %d, the session has %d columns", count+1, num, len(d.cols))
			}
			if seen[i] {
				return nil, 0, fmt.Errorf("record %d: column %s appears twice", count+1, d.cols[i].name)
			}
			seen[i] = true
			fields++
			c := d.cols[i]
			if want := wireType(c.typ); int(typ) != want {
				return nil, 0, fmt.Errorf("record %d column %s: wire type %d, a %s column has %d", count+1, c.name, typ, c.typeName(), want)
			}
			d.crc.Update(int32(num))
			v, err := d.value(c)
			if err != nil {
				return nil, 0, fmt.Errorf("record %d column %s (%s): %v", count+1, c.name, c.typeName(), err)
			}
			rec[i] = v
		}
	}
}

func wireType(dt datatype.DataType) int {
	switch dt.ID() {
	case datatype.DOUBLE:
		return wireFixed64
	case datatype.FLOAT:
		return wireFixed32
	case datatype.STRING, datatype.VARCHAR, datatype.CHAR, datatype.BINARY, datatype.DECIMAL, datatype.JSON,
		datatype.TIMESTAMP, datatype.TIMESTAMP_NTZ:
		return wireBytes
	}
	return wireVarint
}

// value reads one field's value, updates the record CRC as the SDK's writer computes it and
// checks the value fits the column.
func (d *decoder) value(c column) (any, error) {
	switch c.typ.ID() {
	case datatype.BIGINT, datatype.INT, datatype.SMALLINT, datatype.TINYINT:
		v, err := d.pr.ReadSInt64()
		if err != nil {
			return nil, err
		}
		d.crc.Update(v)
		lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
		switch c.typ.ID() {
		case datatype.INT:
			lo, hi = math.MinInt32, math.MaxInt32
		case datatype.SMALLINT:
			lo, hi = math.MinInt16, math.MaxInt16
		case datatype.TINYINT:
			lo, hi = math.MinInt8, math.MaxInt8
		}
		if v < lo || v > hi {
			return nil, fmt.Errorf("%d is out of range", v)
		}
		return v, nil
	case datatype.DOUBLE:
		v, err := d.pr.ReadFloat64()
		if err != nil {
			return nil, err
		}
		d.crc.Update(v)
		return v, nil
	case datatype.FLOAT:
		v, err := d.pr.ReadFloat32()
		if err != nil {
			return nil, err
		}
		d.crc.Update(v)
		return float64(v), nil
	case datatype.BOOLEAN:
		v, err := d.pr.ReadBool()
		if err != nil {
			return nil, err
		}
		d.crc.Update(v)
		return v, nil
	case datatype.DATETIME:
		ms, err := d.pr.ReadSInt64()
		if err != nil {
			return nil, err
		}
		d.crc.Update(ms)
		t := time.UnixMilli(ms).UTC()
		if t.Before(minTime) || !t.Before(maxTime) {
			return nil, fmt.Errorf("%d ms is outside years 0001-9999", ms)
		}
		return t, nil
	case datatype.DATE:
		days, err := d.pr.ReadSInt64()
		if err != nil {
			return nil, err
		}
		d.crc.Update(days)
		if days < minTime.Unix()/86400 || days >= maxTime.Unix()/86400 {
			return nil, fmt.Errorf("day %d is outside years 0001-9999", days)
		}
		return time.Unix(days*86400, 0).UTC(), nil
	case datatype.TIMESTAMP, datatype.TIMESTAMP_NTZ:
		sec, err := d.pr.ReadSInt64()
		if err != nil {
			return nil, err
		}
		nanos, err := d.pr.ReadSInt32()
		if err != nil {
			return nil, err
		}
		d.crc.Update(sec)
		d.crc.Update(nanos)
		if nanos < 0 || nanos >= 1e9 || sec < minTime.Unix() || sec >= maxTime.Unix() {
			return nil, fmt.Errorf("%d s %d ns is not a timestamp in years 0001-9999", sec, nanos)
		}
		return time.Unix(sec, int64(nanos)).UTC(), nil
	}
	b, err := d.bytes()
	if err != nil {
		return nil, err
	}
	d.crc.Update(b)
	switch c.typ.ID() {
	case datatype.BINARY:
		return b, nil
	case datatype.VARCHAR, datatype.CHAR:
		n := 0
		if vt, ok := c.typ.(datatype.VarcharType); ok {
			n = vt.Length
		}
		if ct, ok := c.typ.(datatype.CharType); ok {
			n = ct.Length
		}
		if !utf8.Valid(b) {
			return nil, errors.New("not valid UTF-8")
		}
		if l := utf8.RuneCount(b); l > n {
			return nil, fmt.Errorf("%d characters, longer than %d", l, n)
		}
	case datatype.DECIMAL:
		m := decimalRE.FindSubmatch(b)
		if m == nil {
			return nil, fmt.Errorf("%q is not a decimal number", clip(string(b)))
		}
		if dt, ok := c.typ.(datatype.DecimalType); ok {
			digits := len(trimLeadingZeros(m[1]))
			if digits > int(dt.Precision-dt.Scale) {
				return nil, fmt.Errorf("%q has %d integer digits, more than %d", clip(string(b)), digits, dt.Precision-dt.Scale)
			}
			if len(m[2]) > int(dt.Scale) {
				return nil, fmt.Errorf("%q has %d fractional digits, more than %d", clip(string(b)), len(m[2]), dt.Scale)
			}
		}
	case datatype.JSON:
		if !json.Valid(b) {
			return nil, fmt.Errorf("%q is not valid JSON", clip(string(b)))
		}
	}
	return string(b), nil
}

// bytes reads a length-prefixed payload of at most maxField bytes.
func (d *decoder) bytes() ([]byte, error) {
	n, err := d.pr.ReadVarint()
	if err != nil {
		return nil, err
	}
	if n > uint64(d.maxField) {
		return nil, fmt.Errorf("value of %d bytes is larger than the field limit %d", n, d.maxField)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(d.br, b); err != nil {
		return nil, err
	}
	return b, nil
}

func trimLeadingZeros(b []byte) []byte {
	for len(b) > 1 && b[0] == '0' {
		b = b[1:]
	}
	if len(b) == 1 && b[0] == '0' {
		return nil
	}
	return b
}
