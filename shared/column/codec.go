package column

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// DataType is a keyType/valueType: how Kafka key or value bytes decode.
type DataType uint8

// The key and value types of the Kafka Reader.
const (
	TypeString DataType = iota
	TypeByteArray
	TypeDouble
	TypeFloat
	TypeInteger
	TypeLong
	TypeShort
)

var dataTypeNames = [...]string{TypeString: "STRING", TypeByteArray: "BYTEARRAY", TypeDouble: "DOUBLE",
	TypeFloat: "FLOAT", TypeInteger: "INTEGER", TypeLong: "LONG", TypeShort: "SHORT"}

// String is the type's name as written in a job.
func (t DataType) String() string {
	if int(t) < len(dataTypeNames) {
		return dataTypeNames[t]
	}
	return fmt.Sprintf("DataType(%d)", uint8(t))
}

// ParseDataType reads a keyType/valueType, case-insensitively; "" is STRING.
func ParseDataType(s string) (DataType, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	if u == "" {
		return TypeString, nil
	}
	for t, n := range dataTypeNames {
		if n == u {
			return DataType(t), nil
		}
	}
	return 0, fmt.Errorf("type %q is not supported (want BYTEARRAY, DOUBLE, FLOAT, INTEGER, LONG, SHORT or STRING)", s)
}

// Width is the exact byte length the numeric types need, 0 for STRING and BYTEARRAY.
func (t DataType) Width() int {
	switch t {
	case TypeDouble, TypeLong:
		return 8
	case TypeFloat, TypeInteger:
		return 4
	case TypeShort:
		return 2
	}
	return 0
}

// charset is a supported text encoding.
type charset uint8

const (
	csUTF8 charset = iota
	csGBK
	csGB18030
	csASCII
	csLatin1
)

var charsetNames = [...]string{csUTF8: "UTF-8", csGBK: "GBK", csGB18030: "GB18030", csASCII: "US-ASCII", csLatin1: "ISO-8859-1"}

var charsetAliases = map[string]charset{
	"UTF-8": csUTF8, "UTF8": csUTF8,
	"GBK": csGBK, "CP936": csGBK, "GB2312": csGBK, // GB2312 (EUC-CN) bytes are a subset of GBK
	"GB18030":  csGB18030,
	"US-ASCII": csASCII, "ASCII": csASCII,
	"ISO-8859-1": csLatin1, "ISO8859-1": csLatin1, "LATIN1": csLatin1,
}

// Codec decodes Kafka key or value bytes for one keyType/valueType and encoding.
// The zero Codec is STRING in UTF-8. A Codec is safe for concurrent use.
type Codec struct {
	typ     DataType
	cs      charset
	encName string
}

// NewCodec builds a codec from a keyType/valueType and an encoding ("" is UTF-8; also GBK,
// GB18030, GB2312, ISO-8859-1, US-ASCII). Unknown names are errors.
func NewCodec(typ, enc string) (Codec, error) {
	t, err := ParseDataType(typ)
	if err != nil {
		return Codec{}, err
	}
	e := strings.ToUpper(strings.TrimSpace(enc))
	if e == "" {
		e = "UTF-8"
	}
	cs, ok := charsetAliases[strings.ReplaceAll(e, "_", "-")]
	if !ok {
		return Codec{}, fmt.Errorf("encoding %q is not supported (want UTF-8, GBK, GB18030, GB2312, ISO-8859-1 or US-ASCII)", enc)
	}
	return Codec{typ: t, cs: cs, encName: e}, nil
}

// Type is the codec's data type.
func (c Codec) Type() DataType { return c.typ }

// Encoding is the codec's text encoding name as configured (upper case).
func (c Codec) Encoding() string {
	if c.encName == "" {
		return charsetNames[c.cs]
	}
	return c.encName
}

// Decode turns Kafka bytes into a Go value: nil for nil bytes, string (STRING), []byte
// (BYTEARRAY, not copied), int64 (INTEGER, LONG, SHORT) or float64 (DOUBLE, FLOAT).
// Bytes of the wrong length or text invalid in the encoding are an error.
func (c Codec) Decode(b []byte) (any, error) {
	if b == nil {
		return nil, nil
	}
	v, err := c.decode(b)
	if err != nil {
		return nil, err
	}
	switch v.k {
	case kText:
		return string(v.b), nil
	case kBytes:
		return v.b, nil
	case kInt:
		return v.i, nil
	case kFloat:
		return v.f, nil
	}
	return nil, nil
}

// decode decodes non-nil bytes into a val; text may alias b.
func (c Codec) decode(b []byte) (val, error) {
	switch c.typ {
	case TypeString:
		t, err := c.text(b)
		return val{k: kText, b: t, orig: b}, err
	case TypeByteArray:
		return val{k: kBytes, b: b, orig: b}, nil
	}
	if w := c.typ.Width(); len(b) != w {
		return val{}, fmt.Errorf("%s needs %d bytes, got %d", c.typ, w, len(b))
	}
	v := val{orig: b}
	switch c.typ {
	case TypeDouble:
		v.k, v.f = kFloat, math.Float64frombits(binary.BigEndian.Uint64(b))
	case TypeFloat:
		v.k, v.f, v.f32 = kFloat, float64(math.Float32frombits(binary.BigEndian.Uint32(b))), true
	case TypeInteger:
		v.k, v.i = kInt, int64(int32(binary.BigEndian.Uint32(b)))
	case TypeLong:
		v.k, v.i = kInt, int64(binary.BigEndian.Uint64(b))
	case TypeShort:
		v.k, v.i = kInt, int64(int16(binary.BigEndian.Uint16(b)))
	}
	return v, nil
}

// invalidTextError is returned for bytes that are not valid text in the encoding.
type invalidTextError struct{ msg string }

func (e *invalidTextError) Error() string { return e.msg }

func invalidText(format string, args ...any) error {
	return &invalidTextError{fmt.Sprintf(format, args...)}
}

// gb18030Replacement is U+FFFD as GB18030 encodes it, the only legitimate source of U+FFFD.
var gb18030Replacement = []byte{0x84, 0x31, 0xA4, 0x37}

// text returns b decoded to UTF-8. ASCII input is returned as is for every encoding.
func (c Codec) text(b []byte) ([]byte, error) {
	if c.cs == csUTF8 {
		if !utf8.Valid(b) {
			return nil, invalidText("not valid UTF-8 (byte offset %d)", invalidUTF8At(b))
		}
		return b, nil
	}
	ascii := asciiPrefix(b)
	if ascii == len(b) {
		return b, nil
	}
	switch c.cs {
	case csASCII:
		return nil, invalidText("byte 0x%02X at offset %d is not US-ASCII", b[ascii], ascii)
	case csLatin1:
		out := make([]byte, 0, len(b)+(len(b)-ascii))
		out = append(out, b[:ascii]...)
		for _, x := range b[ascii:] {
			out = utf8.AppendRune(out, rune(x))
		}
		return out, nil
	}
	var enc encoding.Encoding = simplifiedchinese.GBK
	if c.cs == csGB18030 {
		enc = simplifiedchinese.GB18030
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return nil, invalidText("not valid %s: %v", c.Encoding(), err)
	}
	if i := bytes.IndexRune(out, utf8.RuneError); i >= 0 &&
		(c.cs != csGB18030 || !bytes.Contains(b, gb18030Replacement)) {
		return nil, invalidText("not valid %s", c.Encoding())
	}
	return out, nil
}

func asciiPrefix(b []byte) int {
	for i, x := range b {
		if x >= utf8.RuneSelf {
			return i
		}
	}
	return len(b)
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}
