package column

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestCodecDecodesKafkaSerializerBytes(t *testing.T) {
	tests := []struct {
		typ  string
		in   []byte
		want any
	}{
		{"STRING", []byte("héllo"), "héllo"},
		{"string", []byte{}, ""},
		{"", []byte("x"), "x"},
		{"BYTEARRAY", []byte{0xff, 0x00}, []byte{0xff, 0x00}},
		{"INTEGER", []byte{0x00, 0x00, 0x01, 0x00}, int64(256)},
		{"INTEGER", []byte{0xff, 0xff, 0xff, 0xfe}, int64(-2)},
		{"LONG", []byte{0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00}, int64(1700000000000)},
		{"long", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, int64(-1)},
		{"SHORT", []byte{0x80, 0x00}, int64(math.MinInt16)},
		{"SHORT", []byte{0x00, 0x2a}, int64(42)},
		{"DOUBLE", []byte{0x3f, 0xf8, 0, 0, 0, 0, 0, 0}, 1.5},
		{"FLOAT", []byte{0x3f, 0xc0, 0, 0}, 1.5},
		{"Float", []byte{0xc0, 0x20, 0, 0}, -2.5},
		{"LONG", nil, nil},
		{"STRING", nil, nil},
	}
	for _, tt := range tests {
		c, err := NewCodec(tt.typ, "")
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Decode(tt.in)
		if err != nil {
			t.Errorf("%s % x: %v", tt.typ, tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s % x = %#v, want %#v", tt.typ, tt.in, got, tt.want)
		}
	}
}

func TestCodecRejectsWrongLengthsForNumericTypes(t *testing.T) {
	for _, tt := range []struct {
		typ string
		n   int
	}{{"INTEGER", 4}, {"LONG", 8}, {"SHORT", 2}, {"DOUBLE", 8}, {"FLOAT", 4}} {
		c, _ := NewCodec(tt.typ, "")
		for _, n := range []int{0, 1, tt.n - 1, tt.n + 1, 100} {
			_, err := c.Decode(make([]byte, n))
			if err == nil {
				t.Errorf("%s with %d bytes decoded, want an error", tt.typ, n)
				continue
			}
			if !strings.Contains(err.Error(), "needs") {
				t.Errorf("%s with %d bytes: error %q does not say what length is needed", tt.typ, n, err)
			}
		}
	}
}

func TestCodecDecodesEncodings(t *testing.T) {
	tests := []struct {
		enc  string
		in   []byte
		want string
	}{
		{"UTF-8", []byte("数据"), "数据"},
		{"utf8", []byte("abc"), "abc"},
		{"GBK", []byte{0xca, 0xfd, 0xbe, 0xdd}, "数据"},
		{"gbk", []byte("plain ascii"), "plain ascii"},
		{"GB2312", []byte{0xd6, 0xd0, 0xce, 0xc4}, "中文"},
		{"GB18030", []byte{0xca, 0xfd, 0xbe, 0xdd}, "数据"},
		{"GB18030", []byte{0x81, 0x30, 0x81, 0x30}, "\u0080"},
		{"GB18030", []byte{0x84, 0x31, 0xa4, 0x37}, "\ufffd"},
		{"ISO-8859-1", []byte{'c', 'a', 'f', 0xe9}, "café"},
		{"latin1", []byte{0xff}, "ÿ"},
		{"US-ASCII", []byte("ok"), "ok"},
	}
	for _, tt := range tests {
		c, err := NewCodec("STRING", tt.enc)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Decode(tt.in)
		if err != nil {
			t.Errorf("%s % x: %v", tt.enc, tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s % x = %q, want %q", tt.enc, tt.in, got, tt.want)
		}
	}
}

func TestCodecReportsTextInvalidInItsEncoding(t *testing.T) {
	tests := []struct {
		enc     string
		in      []byte
		wantMsg string
	}{
		{"UTF-8", []byte{'a', 0xff, 'b'}, "not valid UTF-8 (byte offset 1)"},
		{"UTF-8", []byte{0xe6, 0x95}, "not valid UTF-8 (byte offset 0)"},
		{"GBK", []byte{0xca}, "not valid GBK"},
		{"GBK", []byte{0xff, 0xff}, "not valid GBK"},
		{"GB18030", []byte{0x81, 0x30, 0xff, 0x30}, "not valid GB18030"},
		{"US-ASCII", []byte{'a', 0x80}, "byte 0x80 at offset 1 is not US-ASCII"},
	}
	for _, tt := range tests {
		c, _ := NewCodec("", tt.enc)
		_, err := c.Decode(tt.in)
		if err == nil || !errors.As(err, new(*invalidTextError)) || !strings.Contains(err.Error(), tt.wantMsg) {
			t.Errorf("%s % x: error %v, want one saying %q", tt.enc, tt.in, err, tt.wantMsg)
		}
	}
}

func TestNewCodecRejectsUnknownNames(t *testing.T) {
	if _, err := NewCodec("VARCHAR", ""); err == nil || !strings.Contains(err.Error(), `"VARCHAR"`) {
		t.Errorf("unknown type: %v", err)
	}
	if _, err := NewCodec("STRING", "EBCDIC"); err == nil || !strings.Contains(err.Error(), `"EBCDIC"`) {
		t.Errorf("unknown encoding: %v", err)
	}
	c, err := NewCodec("", "")
	if err != nil || c.Type() != TypeString || c.Encoding() != "UTF-8" {
		t.Errorf("defaults: %v %v %v", c.Type(), c.Encoding(), err)
	}
}
