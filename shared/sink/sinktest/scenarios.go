package sinktest

import (
	"fmt"
	"math"
	"path/filepath"
	"time"

	"github.com/fcsync/fcsync/shared/job"
	"github.com/fcsync/fcsync/shared/record"
	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/sink"
)

// orders is the table most scenarios write.
var orders = schema.Table{
	Name: "orders",
	Columns: []schema.Column{
		{Name: "id", Type: schema.BigInt},
		{Name: "name", Type: schema.String},
		{Name: "amount", Type: schema.Double},
	},
	Partitions: []schema.Column{{Name: "ds", Type: schema.String}},
	Lifecycle:  7,
}

func row(id int64, name string, amount float64) schema.Row { return schema.Row{id, name, amount} }

func rows(p string, rs ...schema.Row) []Row {
	out := make([]Row, len(rs))
	for i, r := range rs {
		out[i] = Row{Partition: p, Values: r}
	}
	return out
}

func cat(groups ...[]Row) []Row {
	var out []Row
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

func spec(t schema.Table, segment, owned string, mode sink.Mode) sink.SessionSpec {
	p, err := schema.ParsePartition(owned)
	if err != nil {
		panic(err)
	}
	return sink.SessionSpec{Table: t, Segment: segment, Owned: p, Mode: mode}
}

// Scenarios returns the suite. It panics if the job file of the job scenario cannot be read
// (it is part of this repository).
func Scenarios() []Scenario {
	p1 := rows("ds=20221122", row(1, "apple", 1.5), row(2, "pear", 2.25), row(3, "plum", -0.5))
	p2 := rows("ds=20221123", row(4, "fig", 4), row(5, "kiwi", 5.125))
	return []Scenario{
		{
			Name:   "append",
			Steps:  []Step{{Spec: spec(orders, "orders@20221122", "ds=20221122", sink.Append), Rows: p1}},
			Tables: []string{"orders"},
		},
		{
			Name: "append-two-windows",
			Steps: []Step{
				{Spec: spec(orders, "orders@20221122", "ds=20221122", sink.Append), Rows: p1},
				{Spec: spec(orders, "orders@20221123", "ds=20221123", sink.Append), Rows: p2},
			},
			Tables: []string{"orders"},
		},
		{
			Name: "overwrite-replaces-the-partition",
			Steps: []Step{
				{Spec: spec(orders, "orders@1", "ds=20221122", sink.Append), Rows: p1},
				{Spec: spec(orders, "orders@2", "ds=20221122", sink.Overwrite), Rows: rows("ds=20221122", row(9, "new", 9))},
			},
			Tables: []string{"orders"},
		},
		{
			Name: "overwrite-with-no-rows-empties-the-partition",
			Steps: []Step{
				{Spec: spec(orders, "orders@1", "ds=20221122", sink.Append), Rows: p1},
				{Spec: spec(orders, "orders@2", "ds=20221122", sink.Overwrite)},
				{Spec: spec(orders, "orders@3", "ds=20221124", sink.Overwrite)},
			},
			Tables: []string{"orders"},
		},
		{
			Name: "rerun-of-an-append-segment",
			Steps: []Step{
				{Spec: spec(orders, "orders@20221122", "ds=20221122", sink.Append), Rows: cat(p1, p2)},
				{Spec: spec(orders, "orders@20221122", "ds=20221122", sink.Append), Rows: cat(p1, p2)},
				{Spec: spec(orders, "orders@20221122", "ds=20221122", sink.Append), Rows: cat(p1, p2)},
			},
			Tables: []string{"orders"},
		},
		{
			Name: "rerun-of-an-overwrite-segment",
			Steps: []Step{
				{Spec: spec(orders, "orders@20221122", "ds=20221122", sink.Overwrite), Rows: p1},
				{Spec: spec(orders, "orders@20221122", "ds=20221122", sink.Overwrite), Rows: p1},
			},
			Tables: []string{"orders"},
		},
		{
			Name: "aborted-session-leaves-nothing",
			Steps: []Step{
				{Spec: spec(orders, "orders@20221122", "ds=20221122", sink.Append), Rows: cat(p1, p2), Abort: true},
				{Spec: spec(orders, "orders@20221123", "ds=20221123", sink.Overwrite), Rows: p2, Abort: true},
				{Spec: spec(orders, "orders@20221122", "ds=20221122", sink.Append), Rows: rows("ds=20221122", row(7, "after abort", 7))},
			},
			Tables: []string{"orders"},
		},
		lateRows(sink.Append),
		lateRows(sink.Overwrite),
		manyPartitions(),
		everyType(),
		nonPartitioned(),
		schemaEvolution(),
		fromJob(),
	}
}

// lateRows: window 1 writes its partition and late rows into window 0's partition, and is
// rerun; window 0's rows and the late rows are each there once.
func lateRows(mode sink.Mode) Scenario {
	name := "late-rows-append"
	if mode == sink.Overwrite {
		name = "late-rows-overwrite"
	}
	w0 := rows("ds=2022112209", row(1, "w0 a", 1), row(2, "w0 b", 2))
	w1 := cat(rows("ds=2022112210", row(3, "w1 a", 3)), rows("ds=2022112209", row(4, "w1 late", 4)), rows("ds=2022112208", row(5, "w1 later", 5)), rows("ds=2022112210", row(6, "w1 b", 6)))
	return Scenario{
		Name: name,
		Steps: []Step{
			{Spec: spec(orders, "orders@09", "ds=2022112209", mode), Rows: w0},
			{Spec: spec(orders, "orders@10", "ds=2022112210", mode), Rows: w1},
			{Spec: spec(orders, "orders@10", "ds=2022112210", mode), Rows: w1},
		},
		Tables: []string{"orders"},
	}
}

// manyPartitions: one session with no owned partition (the real-time path) writes 40
// two-level partitions, interleaved, then is rerun.
func manyPartitions() Scenario {
	t := schema.Table{
		Name:       "events",
		Columns:    []schema.Column{{Name: "seq", Type: schema.BigInt}, {Name: "body", Type: schema.String}},
		Partitions: []schema.Column{{Name: "ds", Type: schema.String}, {Name: "hh", Type: schema.String}},
	}
	var rs []Row
	for i := range 400 {
		day, hour := 20221120+(i/20)%2, i%20
		rs = append(rs, Row{Partition: fmt.Sprintf("ds=%d,hh=%02d", day, hour), Values: schema.Row{int64(i), fmt.Sprintf("event %d", i)}})
	}
	return Scenario{
		Name: "many-partitions",
		Steps: []Step{
			{Spec: sink.SessionSpec{Table: t, Segment: "events@p0:0-400"}, Rows: rs},
			{Spec: sink.SessionSpec{Table: t, Segment: "events@p0:0-400"}, Rows: rs},
		},
		Tables: []string{"events"},
	}
}

// AllTypes is a table with a column of every type fcsync writes.
var AllTypes = schema.Table{
	Name: "all_types",
	Columns: []schema.Column{
		{Name: "c_bigint", Type: schema.BigInt},
		{Name: "c_int", Type: schema.Int},
		{Name: "c_smallint", Type: schema.SmallInt},
		{Name: "c_tinyint", Type: schema.TinyInt},
		{Name: "c_double", Type: schema.Double},
		{Name: "c_float", Type: schema.Float},
		{Name: "c_decimal", Type: schema.Decimal},
		{Name: "c_string", Type: schema.String, Comment: "a 'quoted' comment\\with a backslash"},
		{Name: "c_varchar", Type: schema.Varchar},
		{Name: "c_char", Type: schema.Char},
		{Name: "c_boolean", Type: schema.Boolean},
		{Name: "c_datetime", Type: schema.Datetime},
		{Name: "c_timestamp", Type: schema.Timestamp},
		{Name: "c_date", Type: schema.Date},
		{Name: "c_binary", Type: schema.Binary},
		{Name: "c_json", Type: schema.JSON},
	},
	Partitions: []schema.Column{{Name: "ds", Type: schema.String}},
}

// AllTypesRows are rows of AllTypes: an all-NULL row, edge values, ordinary values. Every
// value reads back unchanged from every sink (FLOAT values are exact in 32 bits, TIMESTAMP
// values have microsecond precision, the warehouse's).
func AllTypesRows() []schema.Row {
	ts := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			panic(err)
		}
		return t
	}
	return []schema.Row{
		make(schema.Row, len(AllTypes.Columns)),
		{int64(math.MinInt64), int64(math.MinInt32), int64(math.MinInt16), int64(math.MinInt8), -1e300, float64(-3.4028234663852886e38), "-99999999999999999999.999999999999999999",
			"", "", "", false, ts("0001-01-01T00:00:00Z"), ts("1900-01-01T00:00:00.000001Z"), ts("0001-01-01T00:00:00Z"), []byte{}, "null"},
		{int64(math.MaxInt64), int64(math.MaxInt32), int64(math.MaxInt16), int64(math.MaxInt8), 5e-324, 1.5, "99999999999999999999.999999999999999999",
			"héllo\n\"quoted\"\t😀", "varchar ✓", "char", true, ts("9999-12-31T23:59:59.999Z"), ts("9999-12-31T23:59:59.999999Z"), ts("9999-12-31T00:00:00Z"), []byte{0, 1, 2, 0xff}, `{"a":[1,2,{"b":null}],"c":"✓"}`},
		{int64(0), int64(0), int64(0), int64(0), 0.0, 0.0, "0", "0", "0", "0", false, ts("1969-12-31T23:59:59.999Z"), ts("1969-12-31T23:59:59.999999Z"), ts("1969-12-31T00:00:00Z"), []byte("bytes"), "0"},
		{int64(42), int64(-7), int64(300), int64(-100), 3.141592653589793, -0.25, "12345.678900000000000000", "plain", "v", "c", true, ts("2022-11-22T09:52:00.123Z"), ts("2022-11-22T09:52:00.123456Z"), ts("2022-11-22T00:00:00Z"), []byte("\x00\x00"), `[true,false]`},
	}
}

func everyType() Scenario {
	return Scenario{
		Name:   "null-and-every-type",
		Steps:  []Step{{Spec: spec(AllTypes, "types@1", "ds=1", sink.Append), Rows: rows("ds=1", AllTypesRows()...)}},
		Tables: []string{"all_types"},
	}
}

func nonPartitioned() Scenario {
	t := schema.Table{Name: "dim_city", Columns: []schema.Column{{Name: "code", Type: schema.String}, {Name: "population", Type: schema.BigInt}}}
	return Scenario{
		Name: "non-partitioned-table",
		Steps: []Step{
			{Spec: spec(t, "dim@0", "", sink.Append), Rows: rows("", schema.Row{"sz", int64(17_000_000)})},
			{Spec: spec(t, "dim@1", "", sink.Overwrite), Rows: rows("", schema.Row{"gz", int64(18_000_000)})},
			{Spec: spec(t, "dim@2", "", sink.Append), Rows: rows("", schema.Row{"hz", int64(12_000_000)}, schema.Row{"sh", nil})},
			{Spec: spec(t, "dim@2", "", sink.Append), Rows: rows("", schema.Row{"hz", int64(12_000_000)}, schema.Row{"sh", nil})},
			{Spec: spec(t, "dim@3", "", sink.Append), Rows: rows("", schema.Row{"bj", int64(21_000_000)})},
		},
		Tables: []string{"dim_city"},
	}
}

// schemaEvolution: a later session's schema adds a column (and names the columns in another
// order); earlier rows read it as NULL.
func schemaEvolution() Scenario {
	v1 := orders
	v2 := orders
	v2.Columns = []schema.Column{{Name: "coupon", Type: schema.String}, orders.Columns[2], orders.Columns[0], orders.Columns[1]}
	return Scenario{
		Name: "schema-evolution-adds-a-column",
		Steps: []Step{
			{Spec: spec(v1, "orders@1", "ds=1", sink.Append), Rows: rows("ds=1", row(1, "old", 1))},
			{Spec: spec(v2, "orders@2", "ds=2", sink.Append), Rows: rows("ds=2", schema.Row{"SAVE10", 2.5, int64(2), "new"}, schema.Row{nil, 3.0, int64(3), "no coupon"})},
		},
		Tables: []string{"orders"},
	}
}

// JobFile is the job the schema-from-job scenario writes with.
func JobFile() string {
	return filepath.Join(testdataDir(), "..", "..", "..", "..", "infra", "jobs", "orders_hourly.yaml")
}

// fromJob: the table and rows come from a job of infra/jobs: its destination schema (the six
// attribute columns DataWorks generates, lifecycle 36500) and Kafka records through its
// column mapper, into the partition its parameters give, truncate as the job says.
func fromJob() Scenario {
	spec, err := job.LoadFile(JobFile())
	if err != nil {
		panic(fmt.Sprintf("sinktest: %v", err))
	}
	tick := time.Date(2022, 11, 22, 10, 15, 0, 0, time.FixedZone("CST", 8*3600))
	j, err := spec.Bind(tick, nil)
	if err != nil {
		panic(fmt.Sprintf("sinktest: %v", err))
	}
	m, err := j.Mapper()
	if err != nil {
		panic(fmt.Sprintf("sinktest: %v", err))
	}
	var rs []Row
	for i := range 5 {
		rec := record.Record{
			Topic: j.Reader.Topic, Partition: int32(i % 2), Offset: int64(100 + i),
			Timestamp: time.Date(2022, 11, 22, 1, 10*i, 0, 0, time.UTC),
			Key:       []byte(fmt.Sprintf("o-%d", i)),
			Value:     []byte(fmt.Sprintf(`{"order":%d,"amount":%d.5}`, i, i)),
			Headers:   []record.Header{{Key: "src", Value: []byte("app")}},
		}
		if i == 3 {
			rec.Key, rec.Headers = nil, nil
		}
		r, err := m.Map(&rec, nil)
		if err != nil {
			panic(fmt.Sprintf("sinktest: map record %d: %v", i, err))
		}
		rs = append(rs, Row{Partition: j.Writer.Partition.String(), Values: r})
	}
	mode := sink.Append
	if j.Writer.Truncate {
		mode = sink.Overwrite
	}
	st := sink.SessionSpec{Table: j.Writer.Table, Segment: spec.Name + "@" + tick.UTC().Format("20060102T150405Z"), Owned: j.Writer.Partition, Mode: mode}
	return Scenario{
		Name:   "schema-and-rows-from-a-job",
		Steps:  []Step{{Spec: st, Rows: rs}, {Spec: st, Rows: rs}},
		Tables: []string{j.Writer.Table.Name},
	}
}

// Wide is a ten-column table of mixed types, for benchmarks (the shape of a mapped Kafka
// record: ids, text, an amount, a flag, times).
var Wide = schema.Table{
	Name: "bench_wide",
	Columns: []schema.Column{
		{Name: "id", Type: schema.BigInt},
		{Name: "user_id", Type: schema.BigInt},
		{Name: "status", Type: schema.String},
		{Name: "amount", Type: schema.Double},
		{Name: "quantity", Type: schema.Int},
		{Name: "paid", Type: schema.Boolean},
		{Name: "created", Type: schema.Datetime},
		{Name: "updated", Type: schema.Timestamp},
		{Name: "note", Type: schema.String},
		{Name: "payload", Type: schema.String},
	},
	Partitions: []schema.Column{{Name: "ds", Type: schema.String}},
}

var wideStatus = [...]string{"created", "paid", "shipped", "delivered", "refunded"}

// WideRow fills row (allocating it when nil or short) with the i-th row of Wide: values vary
// with i, the text columns are 10 to 120 bytes, one value in 16 is NULL.
func WideRow(i int, row schema.Row) schema.Row {
	if len(row) < len(Wide.Columns) {
		row = make(schema.Row, len(Wide.Columns))
	}
	base := time.Date(2022, 11, 22, 0, 0, 0, 0, time.UTC)
	row[0] = int64(i)
	row[1] = int64(i*7919) % 100_000
	row[2] = wideStatus[i%len(wideStatus)]
	row[3] = float64(i%10_000) / 100
	row[4] = int64(i % 50)
	row[5] = i%3 == 0
	row[6] = base.Add(time.Duration(i) * time.Second)
	row[7] = base.Add(time.Duration(i) * 1500 * time.Microsecond)
	row[8] = wideNotes[i%len(wideNotes)]
	row[9] = wideNotes[(i/7)%len(wideNotes)] + `{"sku":"A-` + wideStatus[(i/3)%len(wideStatus)] + `"}`
	if i%16 == 5 {
		row[8] = nil
	}
	return row
}

var wideNotes = [...]string{
	"leave at the door",
	"gift wrap please, and include the receipt in a separate envelope",
	"",
	"call on arrival",
	"fragile: glassware inside, keep this side up, do not stack anything on top of the box at all",
	"no note",
}
