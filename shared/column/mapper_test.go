package column

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/record"
	"github.com/fcsync/fcsync/shared/schema"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// readerExample is the JSON record of "DataWorks: Synchronize incremental data from Kafka to
// MaxCompute" (the a.a1 / c[1] / d[0].AA paths of its Kafka Reader columns).
const readerExample = `{
      "a": {
      "a1": "hello"
      },
      "b": "world",
      "c":[
            "xxxxxxx",
            "yyyyyyy"
            ],
      "d":[
            {
                  "AA":"this",
                  "BB":"is_data"
            },
            {
                  "AA":"that",
                  "BB":"is_also_data"
            }
        ],
     "a.b": "unreachable"
}`

// table builds a table of columns c0, c1, ... with the given types.
func table(types ...schema.Type) schema.Table {
	t := schema.Table{Name: "t"}
	for i, ty := range types {
		t.Columns = append(t.Columns, schema.Column{Name: fmt.Sprintf("c%d", i), Type: ty})
	}
	return t
}

func mustMapper(t testing.TB, cfg Config) *Mapper {
	t.Helper()
	m, err := NewMapper(cfg)
	if err != nil {
		t.Fatalf("NewMapper: %v", err)
	}
	return m
}

func TestJSONPathsReadTheSeedDocument(t *testing.T) {
	m := mustMapper(t, Config{
		Columns: []string{"a.a1", "b", "c[1]", "d[0].AA", "a.b", "d[1].BB", "c[2]", "c", "a"},
		Table:   table(schema.String, schema.String, schema.String, schema.String, schema.String, schema.String, schema.String, schema.String, schema.JSON),
	})
	row, err := m.Map(&record.Record{Value: []byte(readerExample)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := schema.Row{"hello", "world", "yyyyyyy", "this", nil, "is_also_data", nil, `["xxxxxxx","yyyyyyy"]`, `{"a1":"hello"}`}
	if !reflect.DeepEqual(row, want) {
		t.Fatalf("row = %#v\nwant  %#v", row, want)
	}
}

func TestJSONPathsFollowEncodingJSONOnEdgeCases(t *testing.T) {
	tests := []struct {
		doc, path string
		want      any
	}{
		{`{"a":{"b":1},"a":{"c":2}}`, "a.b", nil},
		{`{"a":{"b":1},"a":{"c":2}}`, "a.c", "2"},
		{`{"a":1,"a":2}`, "a", "2"},
		{`{"\u0061":"escaped key"}`, "a", "escaped key"},
		{`{"a":"tab\tquote\"slash\/\u00e9\ud83d\ude00"}`, "a", "tab\tquote\"slash/é😀"},
		{`{"a":"\ud800x"}`, "a", "\ufffdx"},
		{`[{"id":7},{"id":8}]`, "[1].id", "8"},
		{`{"x":[[1,2],[3,4]]}`, "x[1][0]", "3"},
		{`{"x":{"0":"obj"}}`, "x[0]", nil},
		{`{"x":["arr"]}`, "x.0", nil},
		{`{"a":null}`, "a", nil},
		{`{"A":1}`, "a", nil},
		{`"just a string"`, "a", nil},
		{`{"a" : { "b" : [ 1 , { "c" : true } ] } }`, "a.b[1].c", "true"},
		{`{"a":-0.5e-3}`, "a", "-0.5e-3"},
		{`{"a":{ "k" : [ 1, "two" ] }}`, "a", `{"k":[1,"two"]}`},
	}
	for _, tt := range tests {
		m := mustMapper(t, Config{Columns: []string{tt.path}, Table: table(schema.String)})
		row, err := m.Map(&record.Record{Value: []byte(tt.doc)}, nil)
		if err != nil {
			t.Errorf("%s in %s: %v", tt.path, tt.doc, err)
			continue
		}
		if row[0] != tt.want {
			t.Errorf("%s in %s = %#v, want %#v", tt.path, tt.doc, row[0], tt.want)
		}
	}
}

func TestMalformedJSONValueIsDirtyOnlyWhenAPathNeedsIt(t *testing.T) {
	bad := []byte(`{"a":1,}`)
	m := mustMapper(t, Config{Columns: []string{"__value__"}, Table: table(schema.String)})
	if row, err := m.Map(&record.Record{Value: bad}, nil); err != nil || row[0] != string(bad) {
		t.Fatalf("__value__ alone: %v %v", row, err)
	}
	m = mustMapper(t, Config{Columns: []string{"__value__", "zz", "a"}, Table: table(schema.String, schema.String, schema.BigInt)})
	for _, doc := range []string{`{"a":1,}`, ``, ` `, `{"a":1} x`, `{"a":01}`, `{"a":"x`, `{"a":tru}`, `[1,]`, `{"a":"\x"}`, "{\"a\":\"\x01\"}", `{'a':1}`, `{"a":1e}`, `{"a":-}`, `{"a":.5}`, `{"a" 1}`, `nul`, `{"a":[1 2]}`} {
		_, err := m.Map(&record.Record{Value: []byte(doc)}, nil)
		var de *DirtyError
		if !errors.As(err, &de) {
			t.Errorf("%q: error %v, want a *DirtyError", doc, err)
			continue
		}
		if !strings.HasPrefix(de.Reason, "value is not JSON: ") || de.Column != "c1" || de.Source != "zz" {
			t.Errorf("%q: %+v", doc, de)
		}
	}
}

func TestDeeplyNestedAndHugeValuesDoNotPanic(t *testing.T) {
	m := mustMapper(t, Config{Columns: []string{"a", "__value__"}, Table: table(schema.String, schema.Binary)})
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	_, err := m.Map(&record.Record{Value: []byte(deep)}, nil)
	var de *DirtyError
	if !errors.As(err, &de) || !strings.Contains(de.Reason, "exceeded max depth") {
		t.Fatalf("deep nesting: %v", err)
	}
	if len(de.Value) > maxShown+3 {
		t.Errorf("dirty value not shortened: %d bytes", len(de.Value))
	}
	okDeep := `{"a":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}`
	if _, err := m.Map(&record.Record{Value: []byte(okDeep)}, nil); err != nil {
		t.Fatalf("nesting within the limit: %v", err)
	}
	big := `{"a":"` + strings.Repeat("x", 8<<20) + `"}`
	row, err := m.Map(&record.Record{Value: []byte(big)}, nil)
	if err != nil || len(row[0].(string)) != 8<<20 {
		t.Fatalf("huge value: %v", err)
	}
	bin := make([]byte, 1<<16)
	for i := range bin {
		bin[i] = byte(i * 7)
	}
	m = mustMapper(t, Config{Columns: []string{"a"}, ValueType: "BYTEARRAY", Table: table(schema.String)})
	_, err = m.Map(&record.Record{Value: bin}, nil)
	if !errors.As(err, &de) || !strings.HasPrefix(de.Value, "base64:") || len(de.Value) > maxShown+20 {
		t.Fatalf("binary value: %v", err)
	}
}

func TestAttributeColumnsMapToTheGeneratedSchema(t *testing.T) {
	tbl := schema.Table{Name: "topic", Columns: AttributeColumns()}
	if err := tbl.Validate(); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range tbl.Columns {
		names = append(names, c.Name+" "+string(c.Type))
	}
	if got := strings.Join(names, ","); got != "__key__ STRING,__value__ STRING,__partition__ BIGINT,__headers__ STRING,__offset__ BIGINT,__timestamp__ BIGINT" {
		t.Fatalf("AttributeColumns = %s", got)
	}
	m := mustMapper(t, Config{Columns: []string{"__key__", "__value__", "__partition__", "__headers__", "__offset__", "__timestamp__"}, Table: tbl})
	r := &record.Record{Topic: "topic", Partition: 3, Offset: 1234567, Timestamp: time.UnixMilli(1700000000123),
		Key: []byte("k1"), Value: []byte(`{"a": 1}`), Headers: []record.Header{{Key: "h", Value: []byte("v")}}}
	row, err := m.Map(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := schema.Row{"k1", `{"a": 1}`, int64(3), `{"h":"v"}`, int64(1234567), int64(1700000000123)}
	if !reflect.DeepEqual(row, want) {
		t.Fatalf("row = %#v, want %#v", row, want)
	}
}

func TestAttributesConvertToOtherColumnTypes(t *testing.T) {
	loc := time.FixedZone("UTC+8", 8*3600)
	m := mustMapper(t, Config{
		Columns:  []string{"__timestamp__", "__partition__", "__offset__", "__timestamp__", "__headers__", "__value__", "__key__"},
		Table:    table(schema.Datetime, schema.String, schema.Decimal, schema.Date, schema.JSON, schema.JSON, schema.Binary),
		Location: loc,
	})
	r := &record.Record{Partition: 7, Offset: 99, Timestamp: time.UnixMilli(1700000000123), Key: []byte("k"), Value: []byte(`[1, 2]`)}
	row, err := m.Map(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := schema.Row{time.UnixMilli(1700000000123).In(loc), "7", "99", time.Date(2023, 11, 15, 0, 0, 0, 0, loc), "{}", "[1, 2]", []byte("k")}
	if !reflect.DeepEqual(row, want) {
		t.Fatalf("row = %#v\nwant  %#v", row, want)
	}
	m = mustMapper(t, Config{Columns: []string{"__offset__"}, Table: table(schema.Int)})
	_, err = m.Map(&record.Record{Offset: math.MaxInt32 + 1}, nil)
	var de *DirtyError
	if !errors.As(err, &de) || de.Reason != "out of range for INT" || de.Value != "2147483648" {
		t.Fatalf("offset overflow: %v", err)
	}
}

func TestHeadersBecomeAJSONObjectWithRepeatedKeysAsArrays(t *testing.T) {
	m := mustMapper(t, Config{Columns: []string{"__headers__"}, Table: table(schema.String)})
	tests := []struct {
		hs   []record.Header
		want string
	}{
		{nil, `{}`},
		{[]record.Header{{Key: "a", Value: []byte("1")}, {Key: "b", Value: nil}}, `{"a":"1","b":null}`},
		{[]record.Header{{Key: "k", Value: []byte("v1")}, {Key: "x", Value: []byte("")}, {Key: "k", Value: []byte("v2")}}, `{"k":["v1","v2"],"x":""}`},
		{[]record.Header{{Key: "q\"\n", Value: []byte("tab\t\x01é")}}, `{"q\"\n":"tab\t\u0001é"}`},
	}
	for _, tt := range tests {
		row, err := m.Map(&record.Record{Headers: tt.hs}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if row[0] != tt.want {
			t.Errorf("headers %v = %s, want %s", tt.hs, row[0], tt.want)
		}
	}
	_, err := m.Map(&record.Record{Headers: []record.Header{{Key: "bin", Value: []byte{0xff}}}}, nil)
	var de *DirtyError
	if !errors.As(err, &de) || !strings.Contains(de.Reason, `header "bin" value`) || de.Value != "base64:/w==" {
		t.Fatalf("binary header: %v", err)
	}
	m = mustMapper(t, Config{Columns: []string{"__headers__"}, Encoding: "GBK", Table: table(schema.String)})
	row, err := m.Map(&record.Record{Headers: []record.Header{{Key: "h", Value: []byte{0xca, 0xfd}}}}, nil)
	if err != nil || row[0] != `{"h":"数"}` {
		t.Fatalf("GBK header: %v %v", row, err)
	}
}

func be(n int, v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b[8-n:]
}

func TestKeyAndValueTypesDecodeIntoColumns(t *testing.T) {
	tests := []struct {
		keyType string
		key     []byte
		typ     schema.Type
		want    any
		reason  string
	}{
		{"LONG", be(8, 1700000000000), schema.BigInt, int64(1700000000000), ""},
		{"LONG", be(8, 1700000000000), schema.Datetime, time.UnixMilli(1700000000000).UTC(), ""},
		{"LONG", be(4, 1), schema.BigInt, nil, "key: LONG needs 8 bytes, got 4"},
		{"INTEGER", be(4, 256), schema.String, "256", ""},
		{"INTEGER", be(4, 0xffffffff), schema.Int, int64(-1), ""},
		{"INTEGER", be(3, 1), schema.Int, nil, "key: INTEGER needs 4 bytes, got 3"},
		{"SHORT", be(2, 300), schema.TinyInt, nil, "out of range for TINYINT"},
		{"SHORT", be(2, 100), schema.TinyInt, int64(100), ""},
		{"SHORT", be(1, 1), schema.SmallInt, nil, "key: SHORT needs 2 bytes, got 1"},
		{"DOUBLE", be(8, math.Float64bits(2.25)), schema.Double, 2.25, ""},
		{"DOUBLE", be(8, math.Float64bits(2.25)), schema.String, "2.25", ""},
		{"DOUBLE", be(8, math.Float64bits(3)), schema.BigInt, int64(3), ""},
		{"DOUBLE", be(8, math.Float64bits(2.5)), schema.BigInt, nil, "not an integer for BIGINT"},
		{"DOUBLE", be(8, math.Float64bits(1e300)), schema.BigInt, nil, "out of range for BIGINT"},
		{"DOUBLE", be(8, math.Float64bits(1e300)), schema.Float, nil, "out of range for FLOAT"},
		{"DOUBLE", be(8, math.Float64bits(math.NaN())), schema.Decimal, nil, "NaN and infinity are not DECIMAL"},
		{"DOUBLE", be(8, math.Float64bits(math.Inf(1))), schema.JSON, nil, "NaN and infinity are not valid JSON"},
		{"DOUBLE", be(7, 0), schema.Double, nil, "key: DOUBLE needs 8 bytes, got 7"},
		{"FLOAT", be(4, uint64(math.Float32bits(0.1))), schema.String, "0.1", ""},
		{"FLOAT", be(4, uint64(math.Float32bits(0.1))), schema.Double, float64(float32(0.1)), ""},
		{"FLOAT", be(8, 0), schema.Float, nil, "key: FLOAT needs 4 bytes, got 8"},
		{"BYTEARRAY", []byte{0, 0xff}, schema.Binary, []byte{0, 0xff}, ""},
		{"BYTEARRAY", []byte("text"), schema.String, "text", ""},
		{"BYTEARRAY", []byte{0xff}, schema.String, nil, "BYTEARRAY value is not valid UTF-8 text (map it to a BINARY column)"},
		{"LONG", be(8, 5), schema.Binary, be(8, 5), ""},
		{"STRING", []byte("42"), schema.BigInt, int64(42), ""},
		{"STRING", []byte{0xff}, schema.String, nil, "key: not valid UTF-8 (byte offset 0)"},
		{"INTEGER", be(4, 1), schema.Boolean, true, ""},
		{"SHORT", be(2, 2), schema.Boolean, nil, "not a boolean (want true, false, 1 or 0)"},
		{"DOUBLE", be(8, 0), schema.Boolean, false, ""},
		{"BYTEARRAY", []byte{0xff}, schema.Boolean, nil, "BYTEARRAY value is not valid UTF-8 text"},
		{"BYTEARRAY", []byte{0xff}, schema.BigInt, nil, "BYTEARRAY value is not valid UTF-8 text"},
		{"BYTEARRAY", []byte("12.5"), schema.Decimal, "12.5", ""},
		{"LONG", be(8, 12), schema.Double, 12.0, ""},
		{"LONG", be(8, 12), schema.Decimal, "12", ""},
		{"DOUBLE", be(8, math.Float64bits(0.25)), schema.Decimal, "0.25", ""},
		{"DOUBLE", be(8, math.Float64bits(1e-9)), schema.String, "1e-9", ""},
		{"DOUBLE", be(8, math.Float64bits(-2e21)), schema.String, "-2e+21", ""},
		{"DOUBLE", be(8, math.Float64bits(1700000000000)), schema.Timestamp, time.UnixMilli(1700000000000).UTC(), ""},
		{"DOUBLE", be(8, math.Float64bits(0.5)), schema.Timestamp, nil, "not integral epoch milliseconds for TIMESTAMP"},
		{"STRING", []byte("-5"), schema.Datetime, time.UnixMilli(-5).UTC(), ""},
		{"STRING", []byte("x"), schema.Float, nil, "not a number for FLOAT"},
		{"STRING", nil, schema.BigInt, nil, ""},
		{"LONG", nil, schema.BigInt, nil, ""},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%s % x into %s", tt.keyType, tt.key, tt.typ)
		m := mustMapper(t, Config{Columns: []string{"__key__"}, KeyType: tt.keyType, Table: table(tt.typ)})
		row, err := m.Map(&record.Record{Key: tt.key}, nil)
		if tt.reason != "" {
			var de *DirtyError
			if !errors.As(err, &de) || de.Reason != tt.reason {
				t.Errorf("%s: error %v, want reason %q", name, err, tt.reason)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !reflect.DeepEqual(row[0], tt.want) {
			t.Errorf("%s = %#v, want %#v", name, row[0], tt.want)
		}
	}
}

func TestValueEncodingAppliesToValueAndJSONPaths(t *testing.T) {
	gbk := []byte{'{', '"', 'n', '"', ':', '"', 0xca, 0xfd, 0xbe, 0xdd, '"', '}'}
	m := mustMapper(t, Config{Columns: []string{"__value__", "n"}, Encoding: "GBK", Table: table(schema.String, schema.String)})
	row, err := m.Map(&record.Record{Value: gbk}, nil)
	if err != nil || row[0] != `{"n":"数据"}` || row[1] != "数据" {
		t.Fatalf("GBK value: %#v %v", row, err)
	}
	m = mustMapper(t, Config{Columns: []string{"n"}, Table: table(schema.String)})
	_, err = m.Map(&record.Record{Value: gbk}, nil)
	var de *DirtyError
	if !errors.As(err, &de) || de.Reason != "value: not valid UTF-8 (byte offset 6)" || !strings.HasPrefix(de.Value, "base64:") {
		t.Fatalf("GBK bytes read as UTF-8: %v", err)
	}
	m = mustMapper(t, Config{Columns: []string{"n"}, ValueType: "bytearray", Table: table(schema.String)})
	if row, err := m.Map(&record.Record{Value: []byte(`{"n":"数据"}`)}, nil); err != nil || row[0] != "数据" {
		t.Fatalf("BYTEARRAY JSON: %v %v", row, err)
	}
	if _, err := m.Map(&record.Record{Value: gbk}, nil); !errors.As(err, &de) || !strings.Contains(de.Reason, "invalid UTF-8 in string at offset 6") {
		t.Fatalf("BYTEARRAY with invalid UTF-8 in a JSON string: %v", err)
	}
}

// conv maps one JSON literal, selected by path "v", into a column of type typ.
func conv(t *testing.T, lit string, typ schema.Type, loc *time.Location) (any, error) {
	t.Helper()
	m := mustMapper(t, Config{Columns: []string{"v"}, Table: table(typ), Location: loc})
	row, err := m.Map(&record.Record{Value: []byte(`{"v":` + lit + `}`)}, nil)
	if err != nil {
		return nil, err
	}
	return row[0], nil
}

func TestJSONValuesConvertToEveryColumnType(t *testing.T) {
	cst := time.FixedZone("UTC+8", 8*3600)
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04:05.999", s, cst)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		lit    string
		typ    schema.Type
		want   any
		reason string
	}{
		{`"abc"`, schema.String, "abc", ""},
		{`42`, schema.Varchar, "42", ""},
		{`1.50`, schema.Char, "1.50", ""},
		{`true`, schema.String, "true", ""},
		{`{"x": 1, "y": [1, 2]}`, schema.String, `{"x":1,"y":[1,2]}`, ""},
		{`" spaced {} "`, schema.String, " spaced {} ", ""},
		{`null`, schema.String, nil, ""},
		{`"abc"`, schema.JSON, `"abc"`, ""},
		{`{ "a" : " b c " }`, schema.JSON, `{"a":" b c "}`, ""},
		{`5`, schema.JSON, `5`, ""},

		{`42`, schema.BigInt, int64(42), ""},
		{`"42"`, schema.BigInt, int64(42), ""},
		{`"+42"`, schema.BigInt, int64(42), ""},
		{`-9223372036854775808`, schema.BigInt, int64(math.MinInt64), ""},
		{`"9223372036854775807"`, schema.BigInt, int64(math.MaxInt64), ""},
		{`9223372036854775808`, schema.BigInt, nil, "out of range for BIGINT"},
		{`-9223372036854775809`, schema.BigInt, nil, "out of range for BIGINT"},
		{`99999999999999999999999`, schema.BigInt, nil, "out of range for BIGINT"},
		{`1.0`, schema.BigInt, int64(1), ""},
		{`1e3`, schema.BigInt, int64(1000), ""},
		{`1e30`, schema.BigInt, nil, "out of range for BIGINT"},
		{`1.5`, schema.BigInt, nil, "not an integer for BIGINT"},
		{`"abc"`, schema.BigInt, nil, "not an integer for BIGINT"},
		{`" 42"`, schema.BigInt, nil, "not an integer for BIGINT"},
		{`"-"`, schema.BigInt, nil, "not an integer for BIGINT"},
		{`""`, schema.BigInt, nil, "empty text is not an integer for BIGINT"},
		{`"1e999"`, schema.BigInt, nil, "out of range for BIGINT"},
		{`true`, schema.BigInt, int64(1), ""},
		{`false`, schema.BigInt, int64(0), ""},
		{`{}`, schema.BigInt, nil, "a JSON object or array is not a number for BIGINT"},
		{`2147483647`, schema.Int, int64(math.MaxInt32), ""},
		{`2147483648`, schema.Int, nil, "out of range for INT"},
		{`-2147483649`, schema.Int, nil, "out of range for INT"},
		{`32767`, schema.SmallInt, int64(32767), ""},
		{`-32769`, schema.SmallInt, nil, "out of range for SMALLINT"},
		{`-128`, schema.TinyInt, int64(-128), ""},
		{`128`, schema.TinyInt, nil, "out of range for TINYINT"},

		{`1.5`, schema.Double, 1.5, ""},
		{`"2.5"`, schema.Double, 2.5, ""},
		{`7`, schema.Double, 7.0, ""},
		{`"-1e-3"`, schema.Double, -0.001, ""},
		{`1e400`, schema.Double, nil, "out of range for DOUBLE"},
		{`"NaN"`, schema.Double, nil, "not a number for DOUBLE"},
		{`"0x10"`, schema.Double, nil, "not a number for DOUBLE"},
		{`"1..2"`, schema.Double, nil, "not a number for DOUBLE"},
		{`[1]`, schema.Double, nil, "a JSON object or array is not a number for DOUBLE"},
		{`3.4e38`, schema.Float, 3.4e38, ""},
		{`1e39`, schema.Float, nil, "out of range for FLOAT"},

		{`"12.340"`, schema.Decimal, "12.340", ""},
		{`12`, schema.Decimal, "12", ""},
		{`1.5e2`, schema.Decimal, "150", ""},
		{`1e-3`, schema.Decimal, "0.001", ""},
		{`-1.25E+1`, schema.Decimal, "-12.5", ""},
		{`"-.5"`, schema.Decimal, "-0.5", ""},
		{`"+1."`, schema.Decimal, "1", ""},
		{`"1e9999"`, schema.Decimal, nil, "exponent out of range for DECIMAL"},
		{`"1.2.3"`, schema.Decimal, nil, "not a decimal number"},
		{`"1e"`, schema.Decimal, nil, "not a decimal number"},
		{`"."`, schema.Decimal, nil, "not a decimal number"},
		{`"abc"`, schema.Decimal, nil, "not a decimal number"},
		{`true`, schema.Decimal, nil, "a boolean is not DECIMAL"},

		{`true`, schema.Boolean, true, ""},
		{`"TRUE"`, schema.Boolean, true, ""},
		{`"false"`, schema.Boolean, false, ""},
		{`1`, schema.Boolean, true, ""},
		{`0`, schema.Boolean, false, ""},
		{`"1"`, schema.Boolean, true, ""},
		{`"0"`, schema.Boolean, false, ""},
		{`2`, schema.Boolean, nil, "not a boolean (want true, false, 1 or 0)"},
		{`"yes"`, schema.Boolean, nil, "not a boolean (want true, false, 1 or 0)"},

		{`1700000000123`, schema.Datetime, at("2023-11-15 06:13:20.123"), ""},
		{`"1700000000123"`, schema.Timestamp, at("2023-11-15 06:13:20.123"), ""},
		{`"2023-11-14 22:13:20"`, schema.Datetime, at("2023-11-14 22:13:20"), ""},
		{`"2023-11-14 22:13:20.5"`, schema.Timestamp, at("2023-11-14 22:13:20.5"), ""},
		{`"2023-11-14T22:13:20Z"`, schema.Datetime, at("2023-11-15 06:13:20"), ""},
		{`"2023-11-14T22:13:20+08:00"`, schema.Datetime, at("2023-11-14 22:13:20"), ""},
		{`"2023-11-14T22:13:20"`, schema.Datetime, at("2023-11-14 22:13:20"), ""},
		{`"2023-11-14"`, schema.Datetime, at("2023-11-14 00:00:00"), ""},
		{`"2023-11-14 22:13:20"`, schema.Date, at("2023-11-14 00:00:00"), ""},
		{`1.7e12`, schema.Datetime, at("2023-11-15 06:13:20"), ""},
		{`1.5`, schema.Datetime, nil, "not an integer as epoch milliseconds for DATETIME"},
		{`"nope"`, schema.Datetime, nil, "not a time for DATETIME (want epoch milliseconds, yyyy-MM-dd HH:mm:ss, RFC 3339 or yyyy-MM-dd)"},
		{`"2023-13-01"`, schema.Date, nil, "not a time for DATE (want epoch milliseconds, yyyy-MM-dd HH:mm:ss, RFC 3339 or yyyy-MM-dd)"},
		{`9999999999999999`, schema.Datetime, nil, "year 318857 out of range 0001-9999 for DATETIME"},
		{`"99999999999999999999"`, schema.Datetime, nil, "out of range as epoch milliseconds for DATETIME"},
		{`true`, schema.Timestamp, nil, "not a time for TIMESTAMP"},

		{`"abc"`, schema.Binary, []byte("abc"), ""},
		{`5`, schema.Binary, []byte("5"), ""},
		{`{"a":1}`, schema.Binary, []byte(`{"a":1}`), ""},
	}
	for _, tt := range tests {
		name := tt.lit + " into " + string(tt.typ)
		got, err := conv(t, tt.lit, tt.typ, cst)
		if tt.reason != "" {
			var de *DirtyError
			if !errors.As(err, &de) || de.Reason != tt.reason {
				t.Errorf("%s: error %v, want reason %q", name, err, tt.reason)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if tm, ok := tt.want.(time.Time); ok {
			if g, ok := got.(time.Time); !ok || !g.Equal(tm) || g.Location() != cst {
				t.Errorf("%s = %#v, want %v in %v", name, got, tm, cst)
			}
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s = %#v (%T), want %#v (%T)", name, got, got, tt.want, tt.want)
		}
	}
}

func TestTimesWithoutZoneUseUTCByDefault(t *testing.T) {
	got, err := conv(t, `"2024-01-02 03:04:05"`, schema.Datetime, nil)
	if err != nil || !got.(time.Time).Equal(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)) || got.(time.Time).Location() != time.UTC {
		t.Fatalf("got %v, %v", got, err)
	}
}

func TestEmptyAsNullTurnsEmptyTextIntoNull(t *testing.T) {
	r := &record.Record{Key: []byte{}, Value: []byte(`{"v":"","n":"x"}`)}
	strings5 := table(schema.String, schema.String, schema.String, schema.Binary, schema.String)
	cols := []string{"__key__", "v", "''", "__value__", "n"}

	m := mustMapper(t, Config{Columns: cols, Table: strings5})
	row, err := m.Map(r, nil)
	if err != nil || !reflect.DeepEqual(row, schema.Row{"", "", "", []byte(`{"v":"","n":"x"}`), "x"}) {
		t.Fatalf("without EmptyAsNull: %#v %v", row, err)
	}
	m = mustMapper(t, Config{Columns: cols, Table: strings5, EmptyAsNull: true})
	row, err = m.Map(r, nil)
	if err != nil || !reflect.DeepEqual(row, schema.Row{nil, nil, nil, []byte(`{"v":"","n":"x"}`), "x"}) {
		t.Fatalf("with EmptyAsNull: %#v %v", row, err)
	}

	m = mustMapper(t, Config{Columns: []string{"v"}, Table: table(schema.BigInt)})
	if _, err := m.Map(r, nil); err == nil {
		t.Fatal(`"" into BIGINT without EmptyAsNull mapped`)
	}
	m = mustMapper(t, Config{Columns: []string{"v"}, Table: table(schema.BigInt), EmptyAsNull: true})
	if row, err := m.Map(r, nil); err != nil || row[0] != nil {
		t.Fatalf(`"" into BIGINT with EmptyAsNull: %#v %v`, row, err)
	}
	m = mustMapper(t, Config{Columns: []string{"__value__"}, ValueType: "BYTEARRAY", Table: table(schema.Binary), EmptyAsNull: true})
	if row, err := m.Map(&record.Record{Value: []byte{}}, nil); err != nil || row[0] != nil {
		t.Fatalf("empty value into BINARY with EmptyAsNull: %#v %v", row, err)
	}
}

func TestNullKeyAndTombstoneGiveNull(t *testing.T) {
	m := mustMapper(t, Config{
		Columns: []string{"__key__", "__value__", "a.a1", "c[1]"},
		KeyType: "LONG",
		Table:   table(schema.BigInt, schema.String, schema.String, schema.BigInt),
	})
	row, err := m.Map(&record.Record{Offset: 5}, nil)
	if err != nil || !reflect.DeepEqual(row, schema.Row{nil, nil, nil, nil}) {
		t.Fatalf("tombstone: %#v %v", row, err)
	}
	_, err = m.Map(&record.Record{Value: []byte{}}, nil)
	var de *DirtyError
	if !errors.As(err, &de) || de.Reason != "value is not JSON: empty input at offset 0" || de.Column != "c2" {
		t.Fatalf("empty value with JSON paths: %v", err)
	}
}

func TestMapFillsUnmappedColumnsWithNullAndReusesTheRow(t *testing.T) {
	tbl := table(schema.String, schema.BigInt, schema.String, schema.BigInt)
	m := mustMapper(t, Config{Columns: []string{"__key__", "'const'"}, Dest: []string{"C2", "c0"}, Table: tbl})
	if m.Width() != 4 {
		t.Fatalf("Width = %d", m.Width())
	}
	buf := make(schema.Row, 2, 8)
	buf = append(buf, "stale", "stale")
	row, err := m.Map(&record.Record{Key: []byte("k")}, buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(row, schema.Row{"const", nil, "k", nil}) {
		t.Fatalf("row = %#v", row)
	}
	if &row[0] != &buf[:1][0] {
		t.Error("row does not reuse the given backing array")
	}
	small := make(schema.Row, 1)
	row, err = m.Map(&record.Record{Key: []byte("k")}, small)
	if err != nil || len(row) != 4 {
		t.Fatalf("short row: %#v %v", row, err)
	}
}

func TestBinaryConstantsAreCopiedPerRow(t *testing.T) {
	m := mustMapper(t, Config{Columns: []string{"'ab'"}, Table: table(schema.Binary)})
	r1, _ := m.Map(&record.Record{}, nil)
	r1[0].([]byte)[0] = 'X'
	r2, _ := m.Map(&record.Record{}, nil)
	if string(r2[0].([]byte)) != "ab" {
		t.Fatalf("constant changed through an earlier row: %q", r2[0])
	}
}

func TestNewMapperRejectsBadConfigurationNamingTheField(t *testing.T) {
	tbl := table(schema.String, schema.BigInt)
	tests := []struct {
		name    string
		cfg     Config
		wantMsg string
	}{
		{"count mismatch", Config{Columns: []string{"a"}, Table: tbl}, "1 reader columns but 2 destination columns"},
		{"count mismatch with dest", Config{Columns: []string{"a", "b"}, Dest: []string{"c0"}, Table: tbl}, "2 reader columns but 1 destination columns"},
		{"unknown destination", Config{Columns: []string{"a", "b"}, Dest: []string{"c0", "nope"}, Table: tbl}, `column[1] "b": destination column "nope" is not in table t`},
		{"mapped twice", Config{Columns: []string{"a", "b"}, Dest: []string{"c0", "C0"}, Table: tbl}, `column[1] "b": destination column c0 is already mapped from column[0] "a"`},
		{"bad syntax", Config{Columns: []string{"a", "c[x]"}, Table: tbl}, `column[1]: column "c[x]": array index "x"`},
		{"empty column", Config{Columns: []string{"", "a"}, Table: tbl}, `column[0]: column "": empty`},
		{"no columns", Config{Table: tbl}, "column: no reader columns"},
		{"no table columns", Config{Columns: []string{"a"}, Table: schema.Table{Name: "e"}}, "table e: no columns"},
		{"keyType", Config{Columns: []string{"a", "b"}, KeyType: "JSON", Table: tbl}, `keyType: type "JSON" is not supported`},
		{"valueType", Config{Columns: []string{"a", "b"}, ValueType: "int", Table: tbl}, `valueType: type "int" is not supported`},
		{"encoding", Config{Columns: []string{"a", "b"}, Encoding: "UTF-16", Table: tbl}, `encoding: encoding "UTF-16" is not supported`},
		{"path with numeric value", Config{Columns: []string{"__value__", "a"}, ValueType: "LONG", Table: tbl}, `column[1] "a": JSON paths need valueType STRING or BYTEARRAY, not LONG`},
		{"bad constant", Config{Columns: []string{"a", "'abc'"}, Table: tbl}, `column[1] "'abc'": constant cannot be written to BIGINT column c1: not an integer`},
		{"bad destination type", Config{Columns: []string{"a"}, Table: schema.Table{Name: "x", Columns: []schema.Column{{Name: "m", Type: "MAP"}}}}, "destination column m: column type \"MAP\" is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewMapper(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantMsg)
			}
		})
	}
}

func TestDirtyValuesAreShortened(t *testing.T) {
	long := strings.Repeat("é", 300)
	if s := shorten([]byte(long)); len(s) > maxShown+3 || !strings.HasSuffix(s, "...") || !strings.HasPrefix(long, strings.TrimSuffix(s, "...")) {
		t.Errorf("long text shortened to %q", s)
	}
	if s := shorten([]byte("short")); s != "short" {
		t.Errorf("short text = %q", s)
	}
	if s := shorten([]byte{0xff, 0xfe}); s != "base64://4=" {
		t.Errorf("binary = %q", s)
	}
	if s := shorten(bytes.Repeat([]byte{0xff}, 1000)); len(s) > maxShown+len("base64:...") || !strings.HasSuffix(s, "...") {
		t.Errorf("long binary shortened to %d bytes", len(s))
	}
}

// TestDirtyReasonsMatchGolden keeps the wording of dirty data reasons stable.
func TestDirtyReasonsMatchGolden(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		r    record.Record
	}{
		{"malformed JSON", Config{Columns: []string{"a"}, Table: table(schema.String)}, record.Record{Value: []byte(`{"a":1,}`)}},
		{"truncated JSON", Config{Columns: []string{"a"}, Table: table(schema.String)}, record.Record{Value: []byte(`{"a":"x`)}},
		{"trailing data", Config{Columns: []string{"a"}, Table: table(schema.String)}, record.Record{Value: []byte(`{} {}`)}},
		{"invalid UTF-8 value", Config{Columns: []string{"__value__"}, Table: table(schema.String)}, record.Record{Value: []byte{'o', 'k', 0xc3}}},
		{"invalid GBK key", Config{Columns: []string{"__key__"}, Encoding: "GBK", Table: table(schema.String)}, record.Record{Key: []byte{0xff, 0x20}}},
		{"short LONG key", Config{Columns: []string{"__key__"}, KeyType: "LONG", Table: table(schema.BigInt)}, record.Record{Key: []byte{1, 2, 3}}},
		{"INT overflow", Config{Columns: []string{"n"}, Table: table(schema.Int)}, record.Record{Value: []byte(`{"n":3000000000}`)}},
		{"not an integer", Config{Columns: []string{"n"}, Table: table(schema.BigInt)}, record.Record{Value: []byte(`{"n":"12a"}`)}},
		{"not a time", Config{Columns: []string{"n"}, Table: table(schema.Datetime)}, record.Record{Value: []byte(`{"n":"yesterday"}`)}},
		{"object into BIGINT", Config{Columns: []string{"n"}, Table: table(schema.BigInt)}, record.Record{Value: []byte(`{"n":{"deep":[1,2,3]}}`)}},
		{"text into JSON", Config{Columns: []string{"__key__"}, Table: table(schema.JSON)}, record.Record{Key: []byte(`not json`)}},
		{"binary header", Config{Columns: []string{"__headers__"}, Table: table(schema.String)}, record.Record{Headers: []record.Header{{Key: "h", Value: []byte{0x80}}}}},
		{"BYTEARRAY into STRING", Config{Columns: []string{"__value__"}, ValueType: "BYTEARRAY", Table: table(schema.String)}, record.Record{Value: []byte{0, 0x80, 0xff}}},
		{"long value", Config{Columns: []string{"__value__"}, Table: table(schema.Boolean)}, record.Record{Value: []byte(strings.Repeat("0123456789", 30))}},
	}
	var out strings.Builder
	for _, c := range cases {
		m := mustMapper(t, c.cfg)
		_, err := m.Map(&c.r, nil)
		var de *DirtyError
		if !errors.As(err, &de) {
			t.Fatalf("%s: error %v, want a *DirtyError", c.name, err)
		}
		fmt.Fprintf(&out, "%s: %s\n", c.name, err)
	}
	path := filepath.Join("testdata", "dirty_reasons.golden")
	if *update {
		if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got := out.String(); got != string(want) {
		t.Errorf("dirty reasons differ from %s:\n--- got\n%s--- want\n%s", path, got, want)
	}
}

func TestManyJSONPathsAndConcurrentMaps(t *testing.T) {
	const n = 40
	var cols []string
	var types []schema.Type
	var doc strings.Builder
	doc.WriteString("{")
	for i := 0; i < n; i++ {
		cols = append(cols, fmt.Sprintf("k%d", i))
		types = append(types, schema.BigInt)
		if i > 0 {
			doc.WriteString(",")
		}
		fmt.Fprintf(&doc, `"k%d":%d`, i, i*i)
	}
	doc.WriteString("}")
	m := mustMapper(t, Config{Columns: cols, Table: table(types...)})
	done := make(chan error, 4)
	for g := 0; g < 4; g++ {
		go func() {
			var row schema.Row
			var err error
			for k := 0; k < 50 && err == nil; k++ {
				if row, err = m.Map(&record.Record{Value: []byte(doc.String())}, row); err != nil {
					break
				}
				for i := 0; i < n; i++ {
					if row[i] != int64(i*i) {
						err = fmt.Errorf("k%d = %v", i, row[i])
					}
				}
			}
			done <- err
		}()
	}
	for g := 0; g < 4; g++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
