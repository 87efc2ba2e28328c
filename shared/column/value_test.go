package column

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/record"
	"github.com/fcsync/fcsync/shared/schema"
)

func TestConvertTurnsProcessedValuesIntoColumnValues(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		name string
		v    any
		t    schema.Type
		o    ConvertOptions
		want any
		bad  string // part of the reason when the conversion must fail
	}{
		{"nil is NULL", nil, schema.BigInt, ConvertOptions{}, nil, ""},
		{"string into STRING", "abc", schema.String, ConvertOptions{}, "abc", ""},
		{"numeric string into BIGINT", "42", schema.BigInt, ConvertOptions{}, int64(42), ""},
		{"integral decimal text into BIGINT", "1e3", schema.BigInt, ConvertOptions{}, int64(1000), ""},
		{"fraction into BIGINT", "1.5", schema.BigInt, ConvertOptions{}, nil, "not an integer"},
		{"string into DOUBLE", "2.5", schema.Double, ConvertOptions{}, 2.5, ""},
		{"string into DECIMAL", "+001.50", schema.Decimal, ConvertOptions{}, "001.50", ""},
		{"string into BOOLEAN", "TRUE", schema.Boolean, ConvertOptions{}, true, ""},
		{"text into JSON must be JSON", "nope", schema.JSON, ConvertOptions{}, nil, "not valid JSON"},
		{"JSON text into JSON", `{"a":1}`, schema.JSON, ConvertOptions{}, `{"a":1}`, ""},
		{"empty string with EmptyAsNull", "", schema.BigInt, ConvertOptions{EmptyAsNull: true}, nil, ""},
		{"empty string without EmptyAsNull", "", schema.BigInt, ConvertOptions{}, nil, "empty text"},
		{"bytes into STRING", []byte("héllo"), schema.String, ConvertOptions{}, "héllo", ""},
		{"binary bytes into STRING", []byte{0xff, 0}, schema.String, ConvertOptions{}, nil, "not valid UTF-8"},
		{"binary bytes into BINARY", []byte{0xff, 0}, schema.Binary, ConvertOptions{}, []byte{0xff, 0}, ""},
		{"bytes into BIGINT", []byte("7"), schema.BigInt, ConvertOptions{}, int64(7), ""},
		{"JSONText into STRING", JSONText(`{"a":[1,2]}`), schema.String, ConvertOptions{}, `{"a":[1,2]}`, ""},
		{"JSONText into JSON", JSONText(`[1, 2]`), schema.JSON, ConvertOptions{}, `[1,2]`, ""},
		{"JSONText into BIGINT", JSONText(`[1]`), schema.BigInt, ConvertOptions{}, nil, "JSON object or array"},
		{"int64 into BIGINT", int64(-5), schema.BigInt, ConvertOptions{}, int64(-5), ""},
		{"int64 into TINYINT out of range", int64(300), schema.TinyInt, ConvertOptions{}, nil, "out of range for TINYINT"},
		{"int64 into SMALLINT", int64(300), schema.SmallInt, ConvertOptions{}, int64(300), ""},
		{"int64 into STRING", int64(12), schema.String, ConvertOptions{}, "12", ""},
		{"int64 into DATETIME is epoch ms", int64(1767322800000), schema.Datetime, ConvertOptions{}, time.UnixMilli(1767322800000).UTC(), ""},
		{"float64 into DOUBLE", 1.25, schema.Double, ConvertOptions{}, 1.25, ""},
		{"float64 into STRING", 1e21, schema.String, ConvertOptions{}, "1e+21", ""},
		{"integral float64 into BIGINT", 3.0, schema.BigInt, ConvertOptions{}, int64(3), ""},
		{"NaN into DECIMAL", math.NaN(), schema.Decimal, ConvertOptions{}, nil, "NaN"},
		{"bool into BOOLEAN", false, schema.Boolean, ConvertOptions{}, false, ""},
		{"bool into BIGINT", true, schema.BigInt, ConvertOptions{}, int64(1), ""},
		{"time into DATETIME keeps the instant in the zone", at, schema.Datetime, ConvertOptions{Location: shanghai}, at.In(shanghai), ""},
		{"time into DATE truncates in the zone", at, schema.Date, ConvertOptions{Location: shanghai}, time.Date(2026, 1, 2, 0, 0, 0, 0, shanghai), ""},
		{"time into BIGINT is epoch ms", at, schema.BigInt, ConvertOptions{}, at.UnixMilli(), ""},
		{"time into STRING", at.Add(500 * time.Millisecond), schema.String, ConvertOptions{Location: shanghai}, "2026-01-02 11:04:05.5", ""},
		{"time into JSON is a JSON string", at, schema.JSON, ConvertOptions{}, `"2026-01-02 03:04:05"`, ""},
		{"time into BOOLEAN", at, schema.Boolean, ConvertOptions{}, nil, "not a boolean"},
		{"year 0 time", time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), schema.Datetime, ConvertOptions{}, nil, "out of range"},
		{"Go int is an integer", 7, schema.Double, ConvertOptions{}, 7.0, ""},
		{"huge uint64", uint64(math.MaxUint64), schema.BigInt, ConvertOptions{}, nil, "out of range"},
		{"unsupported Go type", struct{}{}, schema.String, ConvertOptions{}, nil, "cannot be written"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Convert(c.v, c.t, c.o)
			if c.bad != "" {
				var ce *ConvertError
				if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.bad) {
					t.Fatalf("Convert(%#v, %s) = %#v, %v; want a *ConvertError containing %q", c.v, c.t, got, err, c.bad)
				}
				return
			}
			if err != nil {
				t.Fatalf("Convert(%#v, %s): %v", c.v, c.t, err)
			}
			if tm, ok := c.want.(time.Time); ok {
				g, ok := got.(time.Time)
				if !ok || !g.Equal(tm) || g.Location().String() != tm.Location().String() {
					t.Fatalf("Convert(%#v, %s) = %#v, want %v", c.v, c.t, got, tm)
				}
				return
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("Convert(%#v, %s) = %#v, want %#v", c.v, c.t, got, c.want)
			}
		})
	}
}

func TestConvertCopiesBytesForBinaryColumns(t *testing.T) {
	src := []byte("abc")
	got, err := Convert(src, schema.Binary, ConvertOptions{})
	if err != nil {
		t.Fatal(err)
	}
	src[0] = 'X'
	if string(got.([]byte)) != "abc" {
		t.Fatalf("BINARY value aliases its source: %q", got)
	}
}

func TestConvertOfMatchingTypesAllocatesNothing(t *testing.T) {
	vals := []struct {
		v any
		t schema.Type
	}{{"text", schema.String}, {int64(1 << 40), schema.BigInt}, {2.5, schema.Double}, {true, schema.Boolean}, {int64(7), schema.Int}}
	for _, c := range vals {
		if n := testing.AllocsPerRun(100, func() { _, _ = Convert(c.v, c.t, ConvertOptions{}) }); n != 0 {
			t.Errorf("Convert(%#v, %s) allocates %.0f times", c.v, c.t, n)
		}
	}
}

func TestConvertJSONAgreesWithTheMapper(t *testing.T) {
	docs := []string{`{"v":"12"}`, `{"v":12.5}`, `{"v":true}`, `{"v":null}`, `{"v":{"a": [1, 2]}}`, `{"v":"2026-01-02 03:04:05"}`,
		`{"v":"caf\u00e9"}`, `{"v":1e400}`, `{"v":"0"}`, `{"v":-0}`, `{"v":-12}`, `{"v":12345678901234567890}`, `{"v":1.5e-300}`,
		`{"v":-1E+400}`, `{"v":0.1}`}
	types := []schema.Type{schema.BigInt, schema.Double, schema.Decimal, schema.String, schema.Boolean, schema.Datetime, schema.JSON, schema.Binary}
	paths := NewJSONPaths([]Step{{Key: "v"}})
	for _, doc := range docs {
		for _, typ := range types {
			m := mustMapper(t, Config{Columns: []string{"v"}, Table: table(typ)})
			row, mapErr := m.Map(&record.Record{Value: []byte(doc)}, nil)
			spans := make([]Span, 1)
			if err := paths.Scan([]byte(doc), spans); err != nil {
				t.Fatalf("%s: %v", doc, err)
			}
			var got any
			var err error
			if spans[0].Found() {
				got, err = ConvertJSON([]byte(doc)[spans[0].Start:spans[0].End], typ, ConvertOptions{})
			}
			if (mapErr != nil) != (err != nil) || err != nil && !strings.Contains(mapErr.Error(), err.Error()) {
				t.Fatalf("%s into %s: mapper error %v, ConvertJSON error %v", doc, typ, mapErr, err)
			}
			if mapErr == nil && !reflect.DeepEqual(row[0], got) {
				t.Fatalf("%s into %s: mapper %#v, ConvertJSON %#v", doc, typ, row[0], got)
			}
		}
	}
}

func TestJSONValueDecodesToNaturalGoValues(t *testing.T) {
	cases := []struct {
		raw  string
		want any
	}{
		{`"a\tb\u00e9"`, "a\tbé"},
		{`12`, int64(12)},
		{`-0`, int64(0)},
		{`12.50`, 12.5},
		{`1e2`, 100.0},
		{`92233720368547758070`, "92233720368547758070"},
		{`1e400`, "1e400"},
		{`true`, true},
		{`false`, false},
		{`null`, nil},
		{`{ "a" : [1, 2] }`, JSONText(`{"a":[1,2]}`)},
		{`[]`, JSONText(`[]`)},
		{``, nil},
	}
	for _, c := range cases {
		if got := JSONValue([]byte(c.raw)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("JSONValue(%s) = %#v, want %#v", c.raw, got, c.want)
		}
	}
}

func TestExcerptCutsAtARuneBoundaryAndHidesBinary(t *testing.T) {
	long := strings.Repeat("東", 100) // 300 bytes
	cases := []struct {
		name string
		in   []byte
		max  int
		want string
	}{
		{"short text unchanged", []byte("abc"), 10, "abc"},
		{"cut inside a rune backs off", []byte(long), 10, "東東東..."},
		{"default limit", []byte(long), 0, strings.Repeat("東", 66) + "..."},
		{"binary as base64", []byte{0xff, 0x00}, 10, "base64:/wA="},
		{"long binary cut", bytes.Repeat([]byte{0xff}, 50), 8, "base64:////////..."},
	}
	for _, c := range cases {
		if got := Excerpt(c.in, c.max); got != c.want {
			t.Errorf("%s: Excerpt = %q, want %q", c.name, got, c.want)
		}
		if got := ExcerptString(string(c.in), c.max); got != c.want {
			t.Errorf("%s: ExcerptString = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestHeadersJSONMatchesTheHeadersColumn(t *testing.T) {
	hs := []record.Header{{Key: "a", Value: []byte("1")}, {Key: "b", Value: nil}, {Key: "a", Value: []byte("2")}}
	got, err := Codec{}.HeadersJSON(hs)
	if err != nil || string(got) != `{"a":["1","2"],"b":null}` {
		t.Fatalf("HeadersJSON = %s, %v", got, err)
	}
	if _, err := (Codec{}).HeadersJSON([]record.Header{{Key: "k", Value: []byte{0xff}}}); err == nil {
		t.Fatal("a binary header value rendered as text")
	}
}
