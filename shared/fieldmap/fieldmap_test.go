package fieldmap

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/fcsync/fcsync/shared/column"
	"github.com/fcsync/fcsync/shared/process"
	"github.com/fcsync/fcsync/shared/record"
	"github.com/fcsync/fcsync/shared/schema"
)

func decode(t testing.TB, text string) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(text), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func cols(spec string) []schema.Column {
	var out []schema.Column
	for _, f := range strings.Fields(spec) {
		name, typ, _ := strings.Cut(f, ":")
		out = append(out, schema.Column{Name: name, Type: schema.Type(typ)})
	}
	return out
}

func newMapper(t testing.TB, conf string, dest string, opts ...Option) *Mapper {
	t.Helper()
	var cfg any
	if conf != "" {
		cfg = decode(t, conf)
	}
	m, err := New("mapping", cfg, cols(dest), append([]Option{WithTable("orders")}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return m
}

// processed runs a record value through a chain (YAML list) and returns the message.
func processed(t testing.TB, chain, value string, offset int64) *process.Message {
	t.Helper()
	c, err := process.Compile("processors", decode(t, chain))
	if err != nil {
		t.Fatal(err)
	}
	m, err := process.NewMessage(&record.Record{Topic: "orders", Partition: 1, Offset: offset, Value: []byte(value)})
	if err != nil {
		t.Fatal(err)
	}
	if keep, err := c.Process(m); !keep || err != nil {
		t.Fatalf("chain: %v %v", keep, err)
	}
	return m
}

// fields is a hand-made message.
func fields(kv ...any) *process.Message {
	m, _ := process.NewMessage(nil)
	for i := 0; i+1 < len(kv); i += 2 {
		m.Set(kv[i].(string), kv[i+1])
	}
	return m
}

func TestSameNameMappingIsTheDefault(t *testing.T) {
	m := newMapper(t, "", "ID:BIGINT name:STRING amount:DOUBLE missing:STRING")
	b := m.Batch()
	row, err := b.Map(fields("amount", "12.5", "id", int64(7), "name", "Ann", "unmapped", "x", "Name", "second"))
	if err != nil {
		t.Fatal(err)
	}
	want := schema.Row{int64(7), "Ann", 12.5, nil}
	if !reflect.DeepEqual(row, want) {
		t.Fatalf("row %#v, want %#v", row, want)
	}
	// The field order changes between records: hints must not pick the wrong field.
	row, err = b.Map(fields("name", "Bob", "amount", 1.0, "id", int64(8)))
	if err != nil || !reflect.DeepEqual(row, schema.Row{int64(8), "Bob", 1.0, nil}) {
		t.Fatalf("second row %#v, %v", row, err)
	}
}

func TestExplicitMappingFeedsOneSourceToManyColumns(t *testing.T) {
	m := newMapper(t, `
columns:
  - {source: user_name, target: customer}
  - {source: user_name, target: CUSTOMER_COPY}
  - {source: amt, target: amount}`, "customer:STRING customer_copy:STRING amount:DECIMAL other:STRING")
	row, err := m.Batch().Map(fields("user_name", "Ann", "amt", 12.50, "other", "not mapped: explicit mode", "customer", "same name, ignored"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (schema.Row{"Ann", "Ann", "12.5", nil}); !reflect.DeepEqual(row, want) {
		t.Fatalf("row %#v, want %#v", row, want)
	}
}

func TestNewRejectsBadConfigurationNamingTheField(t *testing.T) {
	dest := "a:STRING b:BIGINT"
	cases := []struct{ conf, dest, want string }{
		{`{columns: [{source: x, target: a}, {source: y, target: A}]}`, dest,
			"mapping.columns[1].target: column a is already fed by mapping.columns[0] (source x); several sources cannot feed one column (source y)"},
		{`{columns: [{source: x, target: zz}]}`, dest, `mapping.columns[0].target: column "zz" is not in table orders (columns: a, b)`},
		{`{columns: [{target: a}]}`, dest, "mapping.columns[0].source: required"},
		{`{columns: [{source: x, target: a, cast: int}]}`, dest, "mapping.columns[0].cast: unknown field"},
		{`{columns: []}`, dest, "mapping.columns: empty"},
		{`{columns: {a: b}}`, dest, "mapping.columns: want a list"},
		{`{dynamic: {policy: drop}}`, dest, `mapping.dynamic.policy: want add, ignore or error, got "drop"`},
		{`{dynamic: {maxPerBatch: -1}}`, dest, "mapping.dynamic.maxPerBatch: -1 is out of range"},
		{`{dynamic: {maxTotal: 5000}}`, dest, "mapping.dynamic.maxTotal: 5000 is out of range"},
		{`{dynamic: {policy: add, limit: 1}}`, dest, "mapping.dynamic.limit: unknown field"},
		{`{emptyAsNull: maybe}`, dest, `mapping.emptyAsNull: want true or false, got "maybe"`},
		{`{colums: []}`, dest, "mapping.colums: unknown field"},
		{`[1]`, dest, "mapping: want a mapping, got a list"},
		{``, "", "mapping: table orders has no columns"},
		{``, "a:STRING A:BIGINT", "mapping: table orders has column A twice"},
		{``, "a-b:STRING", `mapping: table orders column 0: name "a-b" is not a valid identifier`},
		{``, "a:INTEGER", `mapping: table orders column a: column type "INTEGER" is not supported`},
	}
	for _, c := range cases {
		var cfg any
		if c.conf != "" {
			cfg = decode(t, c.conf)
		}
		_, err := New("mapping", cfg, cols(c.dest), WithTable("orders"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.conf, err, c.want)
		}
	}
}

func TestColumnTypesAreReadAsDDLWritesThem(t *testing.T) {
	m := newMapper(t, "", "n:bigint d:decimal(10,2) s:varchar(8)")
	if got := colSpec(m.Columns()); got != "n:BIGINT d:DECIMAL s:VARCHAR" {
		t.Fatalf("columns %s", got)
	}
	row, err := m.Batch().Map(fields("n", "7", "d", "1.50", "s", int64(3)))
	if err != nil || !reflect.DeepEqual(row, schema.Row{int64(7), "1.50", "3"}) {
		t.Fatalf("row %#v, %v", row, err)
	}
}

func TestValuesConvertToTheColumnTypes(t *testing.T) {
	loc := time.FixedZone("UTC+8", 8*3600)
	m := newMapper(t, "{emptyAsNull: true}", "i:INT s:STRING d:DECIMAL b:BOOLEAN t:DATETIME bin:BINARY j:JSON e:BIGINT", WithLocation(loc))
	row, err := m.Batch().Map(fields("i", "42", "s", int64(5), "d", 1.25, "b", "true", "t", "2026-01-02 03:04:05",
		"bin", []byte{0xff}, "j", column.JSONText(`{"a":1}`), "e", ""))
	if err != nil {
		t.Fatal(err)
	}
	want := schema.Row{int64(42), "5", "1.25", true, time.Date(2026, 1, 2, 3, 4, 5, 0, loc), []byte{0xff}, `{"a":1}`, nil}
	if !reflect.DeepEqual(row, want) {
		t.Fatalf("row %#v\nwant %#v", row, want)
	}
}

func TestUnconvertibleValuesAreDirty(t *testing.T) {
	m := newMapper(t, "", "n:TINYINT s:STRING")
	cases := []struct {
		msg  *process.Message
		want string
	}{
		{fields("n", int64(300)), "dirty data: column n (from n): out of range for TINYINT (value \"300\")"},
		{fields("n", "abc"), "dirty data: column n (from n): not an integer for TINYINT (value \"abc\")"},
		{fields("s", []byte{0xff}), "dirty data: column s (from s): BYTEARRAY value is not valid UTF-8 text (map it to a BINARY column) (value \"base64:/w==\")"},
		{fields("N", strings.Repeat("9", 500)), "out of range for TINYINT (value \"" + strings.Repeat("9", 64) + "...\")"},
	}
	for _, c := range cases {
		_, err := m.Batch().Map(c.msg)
		var de *column.DirtyError
		if !errors.As(err, &de) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want a dirty error containing %q", err, c.want)
		}
	}
}

const dynChain = `- json: {fields: [{name: id, path: id, type: BIGINT}], dynamic: {path: attrs}}`

func TestDynamicPolicyError(t *testing.T) {
	m := newMapper(t, "", "id:BIGINT color:STRING")
	b := m.Batch()
	row, err := b.Map(processed(t, dynChain, `{"id":1,"attrs":{"COLOR":"red","size":null}}`, 5))
	if err != nil || !reflect.DeepEqual(row, schema.Row{int64(1), "red"}) {
		t.Fatalf("known and null dynamic fields: %#v, %v", row, err)
	}
	_, err = b.Map(processed(t, dynChain, `{"id":2,"attrs":{"weight":3}}`, 6))
	var ce *ColumnError
	if !errors.As(err, &ce) || ce.Column != "weight" || ce.Record != "orders/1@6" || ce.Table != "orders" {
		t.Fatalf("error %v, want a ColumnError for weight at orders/1@6", err)
	}
}

func TestDynamicPolicyIgnore(t *testing.T) {
	m := newMapper(t, "{dynamic: {policy: ignore}}", "id:BIGINT color:STRING")
	b := m.Batch()
	row, err := b.Map(processed(t, dynChain, `{"id":1,"attrs":{"color":"red","weight":3}}`, 5))
	if err != nil || !reflect.DeepEqual(row, schema.Row{int64(1), "red"}) || len(b.Columns()) != 2 || len(b.Events()) != 0 {
		t.Fatalf("row %#v, %v, columns %v", row, err, b.Columns())
	}
}

func TestDynamicPolicyAddGrowsTheBatchSchema(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m := newMapper(t, "{dynamic: {policy: add}}", "id:BIGINT", WithClock(func() time.Time { return at }))
	chain := `- json: {fields: [{name: id, path: id, type: BIGINT}], dynamic: {path: attrs, invalidNames: skip}}`
	b := m.Batch()
	var rows []schema.Row
	for i, doc := range []string{
		`{"id":1,"attrs":{}}`,
		`{"id":2,"attrs":{"n":5,"f":1.5,"ok":true,"s":"x","tags":["a"],"nothing":null}}`,
		`{"id":3,"attrs":{"n":"6","F":2}}`,
	} {
		row, err := b.Map(processed(t, chain, doc, int64(10+i)))
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		rows = append(rows, row)
	}
	want := []schema.Row{
		{int64(1)},
		{int64(2), int64(5), 1.5, true, "x", `["a"]`},
		{int64(3), int64(6), 2.0, nil, nil, nil},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("rows %#v\nwant %#v", rows, want)
	}
	wantCols := "id:BIGINT n:BIGINT f:DOUBLE ok:BOOLEAN s:STRING tags:STRING"
	if got := colSpec(b.Columns()); got != wantCols {
		t.Fatalf("batch columns %s, want %s", got, wantCols)
	}
	evs := b.Events()
	if len(evs) != 5 || evs[0] != (DDLEvent{Kind: "AddColumn", Table: "orders", Column: schema.Column{Name: "n", Type: schema.BigInt, Comment: "added for a dynamic field"},
		Topic: "orders", Partition: 1, Offset: 11, Time: at}) {
		t.Fatalf("events %+v", evs)
	}
	if got := colSpec(m.Columns()); got != "id:BIGINT" {
		t.Fatalf("mapper base changed before Commit: %s", got)
	}
	b.Commit()
	b.Commit()
	if got := colSpec(m.Columns()); got != wantCols {
		t.Fatalf("mapper base after Commit: %s", got)
	}
	next := m.Batch()
	if row, err := next.Map(processed(t, chain, `{"id":4,"attrs":{"s":"y"}}`, 20)); err != nil || len(row) != 6 || row[4] != "y" || len(next.Events()) != 0 {
		t.Fatalf("next batch row %#v, %v, events %v", row, err, next.Events())
	}
}

func colSpec(cs []schema.Column) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, c.Name+":"+string(c.Type))
	}
	return strings.Join(parts, " ")
}

func TestAFailedBatchLeavesNoPhantomColumns(t *testing.T) {
	m := newMapper(t, "{dynamic: {policy: add}}", "id:BIGINT")
	b := m.Batch()
	if _, err := b.Map(processed(t, dynChain, `{"id":1,"attrs":{"x":1}}`, 1)); err != nil {
		t.Fatal(err)
	}
	// the batch's write failed: it is dropped without Commit
	if got := colSpec(m.Columns()); got != "id:BIGINT" {
		t.Fatalf("base %s", got)
	}
	b2 := m.Batch()
	if _, err := b2.Map(processed(t, dynChain, `{"id":1,"attrs":{"x":1}}`, 1)); err != nil || len(b2.Events()) != 1 {
		t.Fatalf("retry: %v, events %v", err, b2.Events())
	}
}

func TestHostileDynamicNamesNeverBecomeColumns(t *testing.T) {
	m := newMapper(t, "{dynamic: {policy: add}}", "id:BIGINT")
	// The JSON processor refuses such names; a message assembled by other code must still
	// not create a column.
	b := m.Batch()
	msg := fields("id", int64(1))
	msg.SetDynamic("../../"+strings.Repeat("a", 200), int64(1))
	_, err := b.Map(msg)
	var de *column.DirtyError
	if !errors.As(err, &de) || !strings.Contains(de.Reason, "cannot add a column") || len(de.Column) > 70 {
		t.Fatalf("error %v, want a dirty error for the name", err)
	}
	if len(b.Columns()) != 1 || len(b.Events()) != 0 {
		t.Fatalf("columns %v events %v", b.Columns(), b.Events())
	}
}

func TestCapsOnAddedColumns(t *testing.T) {
	doc := func(keys ...string) string {
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf(`"%s":1`, k))
		}
		return `{"id":1,"attrs":{` + strings.Join(parts, ",") + `}}`
	}
	m := newMapper(t, "{dynamic: {policy: add, maxPerBatch: 3, maxTotal: 4}}", "id:BIGINT")
	b := m.Batch()
	if _, err := b.Map(processed(t, dynChain, doc("a", "b"), 1)); err != nil {
		t.Fatal(err)
	}
	_, err := b.Map(processed(t, dynChain, doc("c", "d"), 2))
	var de *column.DirtyError
	if !errors.As(err, &de) || !strings.Contains(de.Reason, "limit of 3 new columns per batch") {
		t.Fatalf("per-batch cap: %v", err)
	}
	if len(b.Columns()) != 3 {
		t.Fatalf("a refused record added columns: %v", colSpec(b.Columns()))
	}
	if _, err := b.Map(processed(t, dynChain, doc("c"), 3)); err != nil {
		t.Fatalf("a record within the cap: %v", err)
	}
	b.Commit()
	b = m.Batch()
	if _, err := b.Map(processed(t, dynChain, doc("d"), 4)); err != nil {
		t.Fatal(err)
	}
	_, err = b.Map(processed(t, dynChain, doc("e"), 5))
	if !errors.As(err, &de) || !strings.Contains(de.Reason, "limit of 4 new columns in total") {
		t.Fatalf("total cap: %v", err)
	}
	if _, err := b.Map(processed(t, dynChain, doc("a", "D"), 6)); err != nil {
		t.Fatalf("known columns at the cap: %v", err)
	}
}

func TestDynamicFieldsInExplicitMode(t *testing.T) {
	m := newMapper(t, "{columns: [{source: id, target: key}], dynamic: {policy: add}}", "key:BIGINT color:STRING")
	b := m.Batch()
	row, err := b.Map(processed(t, dynChain, `{"id":9,"attrs":{"color":"red","key":100,"size":2}}`, 1))
	if err != nil {
		t.Fatal(err)
	}
	if want := (schema.Row{int64(9), "red", int64(2)}); !reflect.DeepEqual(row, want) {
		t.Fatalf("row %#v, want %#v", row, want)
	}
}

func TestConcurrentBatchesCommitWithoutLosingColumns(t *testing.T) {
	m := newMapper(t, "{dynamic: {policy: add, maxPerBatch: 100}}", "id:BIGINT")
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := m.Batch()
			for i := 0; i < 5; i++ {
				if _, err := b.Map(processed(t, dynChain, fmt.Sprintf(`{"id":1,"attrs":{"g%d_%d":1,"shared":1}}`, g, i), int64(i))); err != nil {
					t.Error(err)
					return
				}
			}
			b.Commit()
		}()
	}
	wg.Wait()
	if n := len(m.Columns()); n != 1+4*5+1 {
		t.Fatalf("%d columns after concurrent commits, want 22: %s", n, colSpec(m.Columns()))
	}
}

func TestRowsOfABatchDoNotShareStorage(t *testing.T) {
	m := newMapper(t, "", "a:BIGINT b:STRING")
	b := m.Batch()
	var rows []schema.Row
	for i := 0; i < 300; i++ {
		row, err := b.Map(fields("a", int64(i), "b", "x"))
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
	for i, r := range rows {
		if r[0] != int64(i) || len(r) != 2 || cap(r) != 2 {
			t.Fatalf("row %d = %#v (cap %d)", i, r, cap(r))
		}
	}
}

func TestBinaryHeadersAreDirtyOnlyWhenAColumnTakesThem(t *testing.T) {
	rec := &record.Record{Value: []byte("v"), Headers: []record.Header{{Key: "trace", Value: []byte{0xff, 0x00}}}}
	cases := []struct {
		dest      string
		wantDirty bool
	}{
		{"__value__:STRING", false},
		{"__value__:STRING __headers__:STRING", true},
	}
	for _, c := range cases {
		t.Run(c.dest, func(t *testing.T) {
			msg, err := process.NewMessage(rec)
			if err != nil {
				t.Fatal(err)
			}
			row, err := newMapper(t, "", c.dest).Batch().Map(msg)
			if !c.wantDirty {
				if err != nil || row[0] != "v" {
					t.Fatalf("row %#v, err %v: a header no column takes must not matter", row, err)
				}
				return
			}
			var de *process.DirtyError
			if !errors.As(err, &de) || de.Field != "__headers__" {
				t.Fatalf("error %v, want a dirty error naming __headers__", err)
			}
		})
	}
}
