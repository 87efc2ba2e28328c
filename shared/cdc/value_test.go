package cdc

import (
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// col prepares a column from its information_schema types.
func col(t testing.TB, name, dataType, columnType, charset string) *Column {
	t.Helper()
	c := &Column{Name: name, DataType: dataType, ColumnType: columnType, Charset: charset}
	if err := c.prepare(); err != nil {
		t.Fatal(err)
	}
	return c
}

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

func TestBinlogValuesConvertToDataWorksTypes(t *testing.T) {
	cases := []struct {
		dataType, columnType, charset string
		in                            any
		typ, want                     string
	}{
		{"int", "int(11)", "", int32(-5), TypeLong, "-5"},
		{"tinyint", "tinyint(3) unsigned", "", int8(-1), TypeLong, "255"},
		{"smallint", "smallint(5) unsigned", "", int16(-1), TypeLong, "65535"},
		{"mediumint", "mediumint(8) unsigned", "", int32(-1), TypeLong, "16777215"},
		{"int", "int(10) unsigned", "", int32(-1), TypeLong, "4294967295"},
		{"bigint", "bigint(20) unsigned", "", int64(-1), TypeLong, "18446744073709551615"},
		{"bigint", "bigint(20)", "", int64(-9223372036854775808), TypeLong, "-9223372036854775808"},
		{"year", "year(4)", "", 2024, TypeLong, "2024"},
		{"float", "float", "", float32(1.1), TypeDouble, "1.1"},
		{"double", "double", "", 1e21, TypeDouble, "1e+21"},
		{"decimal", "decimal(20,4)", "", "-12345678901234.5000", TypeString, `"-12345678901234.5000"`},
		{"bit", "bit(1)", "", int64(1), TypeBoolean, "true"},
		{"bit", "bit(64)", "", int64(-1), TypeLong, "18446744073709551615"},
		{"date", "date", "", "2024-06-01", TypeDate, "1717171200000"}, // midnight in Shanghai
		{"date", "date", "", "0000-00-00", TypeDate, "null"},
		{"datetime", "datetime(6)", "", "2024-06-01 10:00:00.123456", TypeDate, "1717207200123"},
		{"timestamp", "timestamp", "", "2024-06-01 02:00:00", TypeDate, "1717207200000"}, // UTC text
		{"time", "time(3)", "", "-838:59:59.000", TypeString, `"-838:59:59.000"`},
		{"varchar", "varchar(10)", "utf8mb4", "héllo \"q\" \\ \n 😀", TypeString, `"héllo \"q\" \\ \n 😀"`},
		{"varchar", "varchar(10)", "latin1", "caf\xe9 \x80", TypeString, `"café €"`},
		{"text", "text", "utf8mb4", []byte("bad \xff utf8"), TypeString, `"bad \ufffd utf8"`},
		{"json", "json", "utf8mb4", `{"a": [1, 2]}`, TypeString, `"{\"a\": [1, 2]}"`},
		{"enum", "enum('new','paid','it''s')", "utf8mb4", int64(3), TypeString, `"it's"`},
		{"enum", "enum('new','paid')", "utf8mb4", int64(0), TypeString, `""`},
		{"set", "set('a','b','c')", "utf8mb4", int64(5), TypeString, `"a,c"`},
		{"binary", "binary(4)", "", "ab", TypeBytes, `"YWIAAA=="`}, // trailing zeros restored
		{"varbinary", "varbinary(8)", "", "\x00\xff", TypeBytes, `"AP8="`},
		{"blob", "blob", "", []byte{1, 2, 3}, TypeBytes, `"AQID"`},
		{"int", "int(11)", "", nil, TypeLong, "null"},
	}
	for _, c := range cases {
		cl := col(t, "c", c.dataType, c.columnType, c.charset)
		if cl.Type() != c.typ {
			t.Errorf("%s: type %s, want %s", c.columnType, cl.Type(), c.typ)
		}
		v, err := convertBinlog(cl, c.in, shanghai)
		if err != nil {
			t.Errorf("%s %#v: %v", c.columnType, c.in, err)
			continue
		}
		if got := string(appendJSON(nil, &v)); got != c.want {
			t.Errorf("%s %#v: %s, want %s", c.columnType, c.in, got, c.want)
		}
	}
}

func TestBadBinlogValuesAreErrorsNotPanics(t *testing.T) {
	cases := []struct {
		dataType, columnType string
		in                   any
		want                 string
	}{
		{"int", "int(11)", "x", "unexpected binlog value"},
		{"enum", "enum('a')", int64(2), "enum member 2 of 1"},
		{"set", "set('a')", int64(6), "beyond its 1 members"},
		{"datetime", "datetime", "2024-13-01 00:00:00", "date/time"},
		{"datetime", "datetime", "garbage", "date/time"},
		{"float", "float", "1.0", "unexpected"},
	}
	for _, c := range cases {
		_, err := convertBinlog(col(t, "c", c.dataType, c.columnType, ""), c.in, time.UTC)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %#v: error %v, want %q", c.columnType, c.in, err, c.want)
		}
	}
}

func TestSnapshotFieldsConvertLikeBinlogValues(t *testing.T) {
	str := func(s string) mysql.FieldValue { return mysql.NewFieldValue(mysql.FieldValueTypeString, 0, []byte(s)) }
	cases := []struct {
		dataType, columnType string
		fv                   mysql.FieldValue
		want                 string
	}{
		{"bigint", "bigint(20) unsigned", mysql.NewFieldValue(mysql.FieldValueTypeUnsigned, 1<<63, nil), "9223372036854775808"},
		{"int", "int(11)", mysql.NewFieldValue(mysql.FieldValueTypeSigned, uint64(1<<64-5), nil), "-5"},
		{"decimal", "decimal(5,2)", str("1.50"), `"1.50"`},
		{"bit", "bit(1)", str("\x01"), "true"},
		{"bit", "bit(10)", str("\x03\xff"), "1023"},
		{"datetime", "datetime(3)", str("2024-06-01 10:00:00.123"), "1717207200123"},
		{"timestamp", "timestamp", str("2024-06-01 02:00:00"), "1717207200000"},
		{"date", "date", str("0000-00-00"), "null"},
		{"enum", "enum('new','paid')", str("paid"), `"paid"`},
		{"set", "set('a','b')", str("a,b"), `"a,b"`},
		{"binary", "binary(4)", str("ab\x00\x00"), `"YWIAAA=="`},
		{"varchar", "varchar(5)", str("x"), `"x"`},
		{"varchar", "varchar(5)", mysql.NewFieldValue(mysql.FieldValueTypeNull, 0, nil), "null"},
	}
	for _, c := range cases {
		v, err := convertField(col(t, "c", c.dataType, c.columnType, ""), &c.fv, shanghai)
		if err != nil {
			t.Errorf("%s: %v", c.columnType, err)
			continue
		}
		if got := string(appendJSON(nil, &v)); got != c.want {
			t.Errorf("%s: %s, want %s", c.columnType, got, c.want)
		}
	}
}

func TestColumnTypesOutsideTheMappingAreRefused(t *testing.T) {
	for _, c := range []struct{ dataType, columnType, charset string }{
		{"uuid", "uuid", ""}, {"varchar", "varchar(3)", "ujis"}, {"enum", "enum(a)", ""},
	} {
		cl := &Column{Name: "c", DataType: c.dataType, ColumnType: c.columnType, Charset: c.charset}
		if err := cl.prepare(); err == nil {
			t.Errorf("%s %s: no error", c.columnType, c.charset)
		}
	}
}

func TestKeysAreTheKeyColumnsText(t *testing.T) {
	vals := []value{longValue(42), strValue("a\"b"), bytesValue([]byte{0, 1}), {}, dateValue(5)}
	cases := []struct {
		keyIdx []int
		want   string
	}{
		{[]int{0}, "42"},
		{[]int{1}, `a"b`},
		{[]int{2}, "\x00\x01"},
		{[]int{3}, ""},
		{[]int{0, 1}, `[42,"a\"b"]`},
		{[]int{1, 4, 3}, `["a\"b",5,null]`},
	}
	for _, c := range cases {
		if got := string(appendKey(nil, vals, c.keyIdx)); got != c.want {
			t.Errorf("key %v: %q, want %q", c.keyIdx, got, c.want)
		}
	}
}
