package mctest

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/aliyun-odps-go-sdk/odps/tunnel"
)

// blockEncoder writes the tunnel record format by hand, independently of the SDK's writer, so
// the decoder is checked against the format and not only against the SDK.
type blockEncoder struct {
	b        []byte
	crc      tunnel.Crc32CheckSum
	crcOfCrc tunnel.Crc32CheckSum
	n        int64
}

func newEncoder() *blockEncoder {
	return &blockEncoder{crc: tunnel.NewCrc32CheckSum(), crcOfCrc: tunnel.NewCrc32CheckSum()}
}

func (e *blockEncoder) tag(num uint64, wire uint64) { e.b = binary.AppendUvarint(e.b, num<<3|wire) }
func (e *blockEncoder) sint(v int64)                { e.b = binary.AppendUvarint(e.b, uint64(v<<1)^uint64(v>>63)) }

func (e *blockEncoder) bigint(col int, v int64) {
	e.tag(uint64(col), wireVarint)
	e.crc.Update(int32(col))
	e.crc.Update(v)
	e.sint(v)
}

func (e *blockEncoder) str(col int, s string) {
	e.tag(uint64(col), wireBytes)
	e.crc.Update(int32(col))
	e.crc.Update([]byte(s))
	e.b = binary.AppendUvarint(e.b, uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *blockEncoder) double(col int, f float64) {
	e.tag(uint64(col), wireFixed64)
	e.crc.Update(int32(col))
	e.crc.Update(f)
	e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(f))
}

func (e *blockEncoder) timestamp(col int, t time.Time) {
	e.tag(uint64(col), wireBytes)
	e.crc.Update(int32(col))
	e.crc.Update(t.Unix())
	e.crc.Update(int32(t.Nanosecond()))
	e.sint(t.Unix())
	e.sint(int64(int32(t.Nanosecond())))
}

func (e *blockEncoder) endRecord() {
	e.tag(uint64(tunnel.EndRecord), wireVarint)
	v := e.crc.Value()
	e.b = binary.AppendUvarint(e.b, uint64(v))
	e.crcOfCrc.Update(v)
	e.crc.Reset()
	e.n++
}

func (e *blockEncoder) end() []byte {
	e.tag(uint64(tunnel.MetaCount), wireVarint)
	e.sint(e.n)
	e.tag(uint64(tunnel.MetaChecksum), wireVarint)
	e.b = binary.AppendUvarint(e.b, uint64(e.crcOfCrc.Value()))
	return e.b
}

func testColumns(t testing.TB, types ...string) []column {
	cols := make([]column, len(types))
	for i, ty := range types {
		dt, err := parseType(ty)
		if err != nil {
			t.Fatal(err)
		}
		cols[i] = column{name: "c" + string(rune('a'+i)), typ: dt}
	}
	return cols
}

// validBlock is two records of (BIGINT, STRING, DOUBLE, TIMESTAMP), the second with NULLs.
func validBlock() []byte {
	e := newEncoder()
	e.bigint(1, -42)
	e.str(2, "héllo")
	e.double(3, 2.5)
	e.timestamp(4, time.Unix(1669110720, 123456789))
	e.endRecord()
	e.bigint(1, 7)
	e.endRecord()
	return e.end()
}

func TestDecoderReadsTheRecordFormat(t *testing.T) {
	cols := testColumns(t, "BIGINT", "STRING", "DOUBLE", "TIMESTAMP")
	rows, n, err := decodeBlock(bytes.NewReader(validBlock()), cols, DefaultMaxFieldSize, true)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]any{
		{int64(-42), "héllo", 2.5, time.Unix(1669110720, 123456789).UTC()},
		{int64(7), nil, nil, nil},
	}
	if n != 2 || len(rows) != 2 {
		t.Fatalf("got %d rows (count %d), want 2", len(rows), n)
	}
	for i := range want {
		for j := range want[i] {
			if g, w := rows[i][j], want[i][j]; g != w {
				if gt, ok := g.(time.Time); !ok || !gt.Equal(w.(time.Time)) {
					t.Errorf("row %d column %d: got %#v, want %#v", i, j, g, w)
				}
			}
		}
	}
}

func TestDecoderRefusesCorruptBlocks(t *testing.T) {
	cols := testColumns(t, "BIGINT", "STRING", "DOUBLE", "TIMESTAMP")
	good := validBlock()
	flip := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 0x01
		return b
	}
	cases := []struct {
		name string
		body []byte
		want string
	}{
		{"empty body", nil, "without its record count"},
		{"truncated before the count", good[:len(good)-8], ""},
		{"a value changed (record checksum)", flip(1), "checksum"},
		{"trailing bytes", append(bytes.Clone(good), 0), "follows the block checksum"},
		{"wrong record count", func() []byte {
			e := newEncoder()
			e.bigint(1, 1)
			e.endRecord()
			e.n = 5
			return e.end()
		}(), "says 5 records"},
		{"wrong block checksum", func() []byte {
			e := newEncoder()
			e.bigint(1, 1)
			e.endRecord()
			e.crcOfCrc.Update(int32(9))
			return e.end()
		}(), "block checksum"},
		{"field number beyond the columns", func() []byte {
			e := newEncoder()
			e.bigint(9, 1)
			e.endRecord()
			return e.end()
		}(), "field number 9"},
		{"a column twice", func() []byte {
			e := newEncoder()
			e.bigint(1, 1)
			e.bigint(1, 2)
			e.endRecord()
			return e.end()
		}(), "appears twice"},
		{"wire type of another type", func() []byte {
			e := newEncoder()
			e.str(1, "x")
			e.endRecord()
			return e.end()
		}(), "wire type"},
		{"count in the middle of a record", func() []byte {
			e := newEncoder()
			e.bigint(1, 1)
			return e.end()
		}(), "no end-of-record tag"},
		{"string longer than the field limit", func() []byte {
			e := newEncoder()
			e.str(2, strings.Repeat("x", 100))
			e.endRecord()
			return e.end()
		}(), "field limit"},
		{"length prefix larger than the body", func() []byte {
			e := newEncoder()
			e.tag(2, wireBytes)
			e.b = binary.AppendUvarint(e.b, 50)
			e.b = append(e.b, "short"...)
			return e.b
		}(), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := decodeBlock(bytes.NewReader(tc.body), cols, 64, true)
			if err == nil {
				t.Fatal("the block was accepted")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

func TestDecoderChecksValuesFitTheirColumns(t *testing.T) {
	cases := []struct {
		typ   string
		write func(e *blockEncoder)
		want  string // "" = accepted
	}{
		{"INT", func(e *blockEncoder) { e.bigint(1, math.MaxInt32) }, ""},
		{"INT", func(e *blockEncoder) { e.bigint(1, math.MaxInt32+1) }, "out of range"},
		{"SMALLINT", func(e *blockEncoder) { e.bigint(1, -32769) }, "out of range"},
		{"TINYINT", func(e *blockEncoder) { e.bigint(1, 128) }, "out of range"},
		{"VARCHAR(3)", func(e *blockEncoder) { e.str(1, "äöü") }, ""},
		{"VARCHAR(3)", func(e *blockEncoder) { e.str(1, "abcd") }, "longer than 3"},
		{"CHAR(2)", func(e *blockEncoder) { e.str(1, "abc") }, "longer than 2"},
		{"VARCHAR(10)", func(e *blockEncoder) { e.str(1, "\xff") }, "UTF-8"},
		{"DECIMAL(5,2)", func(e *blockEncoder) { e.str(1, "-123.45") }, ""},
		{"DECIMAL(5,2)", func(e *blockEncoder) { e.str(1, "1234.5") }, "integer digits"},
		{"DECIMAL(5,2)", func(e *blockEncoder) { e.str(1, "1.234") }, "fractional digits"},
		{"DECIMAL(5,2)", func(e *blockEncoder) { e.str(1, "1e5") }, "not a decimal"},
		{"JSON", func(e *blockEncoder) { e.str(1, `{"a":1}`) }, ""},
		{"JSON", func(e *blockEncoder) { e.str(1, `{"a":`) }, "not valid JSON"},
		{"DATETIME", func(e *blockEncoder) { e.bigint(1, 253402300800000) }, "outside years"},
		{"DATE", func(e *blockEncoder) { e.bigint(1, -719163) }, "outside years"},
		{"TIMESTAMP", func(e *blockEncoder) { e.timestamp(1, time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)) }, ""},
	}
	for _, tc := range cases {
		t.Run(tc.typ+"/"+tc.want, func(t *testing.T) {
			e := newEncoder()
			tc.write(e)
			e.endRecord()
			_, _, err := decodeBlock(bytes.NewReader(e.end()), testColumns(t, tc.typ), DefaultMaxFieldSize, true)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

func FuzzDecodeBlock(f *testing.F) {
	good := validBlock()
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add([]byte{0x12, 0xff, 0xff, 0xff, 0xff, 0x0f})
	cols := testColumns(f, "BIGINT", "STRING", "DOUBLE", "TIMESTAMP", "FLOAT", "BOOLEAN", "DATE", "DATETIME", "DECIMAL(10,2)", "VARCHAR(5)", "BINARY", "JSON")
	f.Fuzz(func(t *testing.T, body []byte) {
		rows, n, err := decodeBlock(bytes.NewReader(body), cols, 1<<10, true)
		if err == nil && int64(len(rows)) != n {
			t.Fatalf("%d rows, count %d", len(rows), n)
		}
	})
}
