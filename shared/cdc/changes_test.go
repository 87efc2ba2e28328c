package cdc_test

import (
	"context"
	"fmt"
	"maps"
	"math/big"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/fcsync/fcsync/shared/cdc"
)

// TestChangesReachKafkaKeyedByPrimaryKeyInOrder: a snapshot, then inserts, multi-row updates,
// deletes and a key change. Every key's records sit in one partition in source order with
// rising sequence ids, and a consumer replaying the topic ends with the source table's rows.
func TestChangesReachKafkaKeyedByPrimaryKeyInOrder(t *testing.T) {
	e := newEnv(t)
	e.sql("CREATE TABLE orders (id INT PRIMARY KEY, status VARCHAR(16), amount DECIMAL(8,2))")
	for i := 1; i <= 20; i++ {
		e.sql(fmt.Sprintf("INSERT INTO orders VALUES (%d, 'new', %d.50)", i, i))
	}
	j := e.job(`
reader: {type: mariadb, tables: [${DB}.orders], chunkRows: 7}
writer: {type: kafka, topic: '${db}.${table}', partitions: 3, heartbeat: false}
`)
	r := e.runner(j)
	rep := e.run(r)
	if rep.SnapshotRows != 20 || rep.Phase != cdc.PhaseBinlog || rep.Batches != 3 {
		t.Errorf("snapshot run: %+v, want 20 rows in 3 chunks, then the binlog phase", rep)
	}
	e.sql("INSERT INTO orders VALUES (21, 'new', 1), (22, 'new', 2)",
		"UPDATE orders SET status = 'paid' WHERE id <= 10",
		"DELETE FROM orders WHERE id BETWEEN 11 AND 15",
		"UPDATE orders SET id = 116, status = 'moved' WHERE id = 16",
		"BEGIN", "UPDATE orders SET amount = amount + 1 WHERE id = 1", "UPDATE orders SET status = 'done' WHERE id = 1", "COMMIT")
	rep = e.run(r)
	if rep.Changes != 2+10+5+1+2 || !rep.CaughtUp {
		t.Errorf("binlog run: %+v, want 20 changes, caught up", rep)
	}
	ms := e.read(e.db + ".orders")

	// one partition per key, sequence ids rising within a partition
	part := map[string]int32{}
	last := map[int32]*big.Int{}
	for _, m := range ms {
		k := string(m.Key)
		if p, ok := part[k]; ok && p != m.Partition {
			t.Errorf("key %s in partitions %d and %d", k, p, m.Partition)
		}
		part[k] = m.Partition
		if m.seq() == "-1" {
			if m.M.Payload.Timestamp.EventTime != -1 || m.M.Payload.Timestamp.CheckpointTime != -1 || m.op() != cdc.OpInsert {
				t.Errorf("full-data record %s: eventTime %d checkpointTime %d op %s, want -1 -1 INSERT", k, m.M.Payload.Timestamp.EventTime, m.M.Payload.Timestamp.CheckpointTime, m.op())
			}
			continue
		}
		n, _ := new(big.Int).SetString(m.seq(), 10)
		if prev := last[m.Partition]; prev != nil && n.Cmp(prev) <= 0 {
			t.Errorf("partition %d: sequence id %s after %s", m.Partition, n, prev)
		}
		last[m.Partition] = n
	}
	if len(slices.Collect(maps.Values(part))) < 2 {
		t.Errorf("all keys in one partition of 3: %v", part)
	}

	// key 1's history, in its partition's order
	var k1 []string
	for _, m := range ms {
		if string(m.Key) == "1" {
			k1 = append(k1, fmt.Sprintf("%s %s/%s", m.op(), m.after("status"), m.after("amount")))
		}
	}
	want := []string{"INSERT new/1.50", "UPDATE_AFTER paid/1.50", "UPDATE_AFTER paid/2.50", "UPDATE_AFTER done/2.50"}
	if !reflect.DeepEqual(k1, want) {
		t.Errorf("key 1:\n got %q\nwant %q", k1, want)
	}
	// the key change writes a before record on the old key and an after record on the new one
	var moved []string
	for _, m := range ms {
		if k := string(m.Key); (k == "16" || k == "116") && m.seq() != "-1" {
			moved = append(moved, m.op()+" "+k)
		}
	}
	if !reflect.DeepEqual(moved, []string{"UPDATE_BEFOR 16", "UPDATE_AFTER 116"}) {
		t.Errorf("key change: %q", moved)
	}
	if got, want := replay(ms, "id", "status", "amount"), e.table("orders", "id", "status", "amount"); !reflect.DeepEqual(got, want) {
		t.Errorf("replaying the topic gives\n%v\nthe table has\n%v", got, want)
	}
}

// TestUpdatesAreOneRecordOrTwoAsTheJobSays: writer.updateAs one writes UPDATE_AFTER with both
// images, two writes UPDATE_BEFOR and UPDATE_AFTER; a key change is two records in both modes.
func TestUpdatesAreOneRecordOrTwoAsTheJobSays(t *testing.T) {
	cases := []struct {
		mode string
		want []string
	}{
		{"one", []string{
			`INSERT key="1" name=a`,
			`UPDATE_AFTER key="1" name:a name=b`,
			`UPDATE_BEFOR key="1" name:b`,
			`UPDATE_AFTER key="2" name=b`,
			`DELETE key="2" name:b`,
		}},
		{"two", []string{
			`INSERT key="1" name=a`,
			`UPDATE_BEFOR key="1" name:a`,
			`UPDATE_AFTER key="1" name=b`,
			`UPDATE_BEFOR key="1" name:b`,
			`UPDATE_AFTER key="2" name=b`,
			`DELETE key="2" name:b`,
		}},
	}
	for _, c := range cases {
		t.Run(c.mode, func(t *testing.T) {
			e := newEnv(t)
			e.sql("CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(8))")
			r := e.runner(e.job(`
reader: {tables: [${DB}.t]}
writer: {partitions: 1, heartbeat: false, updateAs: ` + c.mode + `}
`))
			e.run(r)
			e.sql("INSERT INTO t VALUES (1, 'a')", "UPDATE t SET name = 'b'", "UPDATE t SET id = 2", "DELETE FROM t")
			e.run(r)
			ms := e.read("t")
			if got := summary(ms, "name"); !reflect.DeepEqual(got, c.want) {
				t.Errorf("\n got %q\nwant %q", got, c.want)
			}
			// the two halves of an update share the event's position, parts 0 and 1
			if c.mode == "two" && (ms[1].seq()[:len(ms[1].seq())-1] != ms[2].seq()[:len(ms[2].seq())-1] || !strings.HasSuffix(ms[2].seq(), "1")) {
				t.Errorf("update halves have ids %s and %s", ms[1].seq(), ms[2].seq())
			}
		})
	}
}

// TestDDLIsWrittenAndLaterRowsUseTheNewSchema: ALTER, CREATE of a table the job selects,
// TRUNCATE, RENAME and DROP become DDL records on every partition of the table's topic; rows
// after an ALTER carry the new column; a new table is tracked from its CREATE on.
func TestDDLIsWrittenAndLaterRowsUseTheNewSchema(t *testing.T) {
	e := newEnv(t)
	e.sql("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(8))", "INSERT INTO items VALUES (1, 'a')")
	r := e.runner(e.job(`
reader: {tables: ['${DB}.*']}
writer: {partitions: 2, heartbeat: false}
`))
	e.run(r)
	// One run per step: schemas are read when a DDL statement is processed, so a table must
	// still exist then (see the package documentation's limits).
	var ddlCount int64
	for _, step := range [][]string{
		{"ALTER TABLE items ADD COLUMN price DECIMAL(6,2) NOT NULL DEFAULT 0", "INSERT INTO items VALUES (2, 'b', 9.99)"},
		{"CREATE TABLE extra (k VARCHAR(4) PRIMARY KEY, v INT)", "INSERT INTO extra VALUES ('x', 1)"},
		{"TRUNCATE TABLE extra"},
		{"RENAME TABLE extra TO extra2", "INSERT INTO extra2 VALUES ('y', 2)"},
		{"DROP TABLE extra2"},
	} {
		e.sql(step...)
		ddlCount += e.run(r).DDL
	}
	if ddlCount != 5 {
		t.Errorf("reports: %d DDL statements, want 5 (ALTER, CREATE, TRUNCATE, RENAME, DROP)", ddlCount)
	}
	items := data(e.read("items"))
	var ddl []string
	for _, m := range items {
		if m.M.Payload.DDL != nil {
			ddl = append(ddl, fmt.Sprintf("p%d %s %s", m.Partition, m.op(), m.M.Payload.DDL.Text))
			if n := len(m.M.Schema.DataColumn); n != 3 {
				t.Errorf("ALTER record has %d columns in its schema, want 3", n)
			}
		}
		if string(m.Key) == "2" && m.after("price") != "9.99" {
			t.Errorf("row after the ALTER: price %s, want 9.99", m.after("price"))
		}
	}
	wantDDL := []string{"p0 ALTER ALTER TABLE items ADD COLUMN price DECIMAL(6,2) NOT NULL DEFAULT 0", "p1 ALTER ALTER TABLE items ADD COLUMN price DECIMAL(6,2) NOT NULL DEFAULT 0"}
	if !reflect.DeepEqual(ddl, wantDDL) {
		t.Errorf("DDL records on items:\n got %q\nwant %q", ddl, wantDDL)
	}
	var extra []string
	for _, m := range e.read("extra") {
		if m.Partition == 0 || m.M.Payload.DDL == nil {
			extra = append(extra, fmt.Sprintf("%s key=%q", m.op(), m.Key))
		}
	}
	wantExtra := []string{"CREATE key=\"\"", "INSERT key=\"x\"", "TRUNCATE key=\"\"", "RENAME key=\"\""}
	if !reflect.DeepEqual(extra, wantExtra) {
		t.Errorf("records on extra (partition 0 for DDL):\n got %q\nwant %q", extra, wantExtra)
	}
	var extra2 []string
	for _, m := range e.read("extra2") {
		if m.Partition == 0 || m.M.Payload.DDL == nil {
			extra2 = append(extra2, fmt.Sprintf("%s key=%q", m.op(), m.Key))
		}
	}
	if want := []string{"INSERT key=\"y\"", "ERASE key=\"\""}; !reflect.DeepEqual(extra2, want) {
		t.Errorf("records on extra2:\n got %q\nwant %q", extra2, want)
	}
	cp, err := r.Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var tracked []string
	for _, tb := range cp.Tables {
		tracked = append(tracked, tb.FullName())
	}
	if !reflect.DeepEqual(tracked, []string{e.db + ".items"}) {
		t.Errorf("tracked tables after the DROP: %v", tracked)
	}
}

// TestTablesWithoutPrimaryKey: refused with an error that says what to do; or written with the
// empty key (and a warning on a topic of several partitions); or keyed by the job's columns.
func TestTablesWithoutPrimaryKey(t *testing.T) {
	cases := []struct {
		name    string
		reader  string
		writer  string
		seed    bool // the topic exists with one partition
		wantErr string
		keys    []string
		warn    bool
	}{
		{name: "refused", reader: ``, wantErr: "has no primary key: name key columns in reader.keys.%s.events, or set reader.allowNoPrimaryKey: true"},
		{name: "empty key, three partitions", reader: `allowNoPrimaryKey: true`, writer: `partitions: 3`, keys: []string{"", "", "", ""}, warn: true},
		{name: "empty key, one partition", reader: `allowNoPrimaryKey: true`, writer: `createTopic: false`, seed: true, keys: []string{"", "", "", ""}},
		{name: "key columns", reader: `keys: {${DB}.events: [device, seq]}`, writer: `partitions: 3`, keys: []string{`["d1",1]`, `["d1",2]`, `["d2",1]`, `["d1",1]`}},
		{name: "one key column", reader: `keys: {${DB}.events: [device]}`, keys: []string{"d1", "d1", "d2", "d1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var kopts []kfake.Opt
			if c.seed {
				kopts = append(kopts, kfake.SeedTopics(1, "events"))
			}
			e := newEnv(t, kopts...)
			e.sql("CREATE TABLE events (device VARCHAR(8) NOT NULL, seq INT NOT NULL, note VARCHAR(8))",
				"INSERT INTO events VALUES ('d1', 1, 'a'), ('d1', 2, 'b'), ('d2', 1, 'c')")
			j := e.job(`
reader: {tables: [${DB}.events], ` + c.reader + `}
writer: {heartbeat: false, ` + c.writer + `}
`)
			r := e.runner(j)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, err := r.Run(ctx)
			if c.wantErr != "" {
				if want := fmt.Sprintf(c.wantErr, e.db); err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("error %v, want one saying %q", err, want)
				}
				if cp, _ := r.Checkpoint(ctx); cp != nil {
					t.Error("a refused job saved state")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			e.sql("DELETE FROM events WHERE seq = 1 AND device = 'd1'")
			e.run(r)
			ms := e.read("events")
			var keys []string
			parts := map[int32]bool{}
			for _, m := range ms {
				keys = append(keys, string(m.Key))
				parts[m.Partition] = true
				if m.Key == nil {
					t.Errorf("a null key; want the empty key")
				}
			}
			if !reflect.DeepEqual(keys, c.keys) && !(c.keys[0] != "" && sameSet(keys, c.keys)) {
				t.Errorf("keys %q, want %q", keys, c.keys)
			}
			if c.keys[0] == "" && len(parts) != 1 {
				t.Errorf("empty-key records in partitions %v, want one", parts)
			}
			warned := strings.Contains(e.logs.String(), "table without key columns writes to a topic of several partitions")
			if warned != c.warn {
				t.Errorf("warning logged: %v, want %v", warned, c.warn)
			}
		})
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestTopicMappingSendsManyTablesToManyTopics: rules first (two tables into one topic, a regular
// expression), then prefix + default; a missing topic is an error when the job may not create it.
func TestTopicMappingSendsManyTablesToManyTopics(t *testing.T) {
	e := newEnv(t, kfake.SeedTopics(1, "existing"))
	e.sql("CREATE TABLE orders (id INT PRIMARY KEY)", "CREATE TABLE order_items (id INT PRIMARY KEY)",
		"CREATE TABLE audit_2024 (id INT PRIMARY KEY)", "CREATE TABLE users (id INT PRIMARY KEY)", "CREATE TABLE skipped (id INT PRIMARY KEY)")
	for _, tb := range []string{"orders", "order_items", "audit_2024", "users", "skipped"} {
		e.sql("INSERT INTO " + tb + " VALUES (1)")
	}
	r := e.runner(e.job(`
reader: {tables: ['${DB}.*'], exclude: ['${DB}.skip*']}
writer:
  prefix: ods_
  topic: '${table}_cdc'
  heartbeat: false
  rules:
    - {table: '${DB}.order*', topic: shop_orders}
    - {regex: '[a-z_]+\.audit_(\d+)', topic: 'audit-$1'}
    - {table: '${DB}.users', topic: existing}
`))
	e.run(r)
	for topic, want := range map[string][]string{
		"shop_orders": {"order_items", "orders"},
		"audit-2024":  {"audit_2024"},
		"existing":    {"users"},
	} {
		var got []string
		for _, m := range e.read(topic) {
			got = append(got, *m.M.Schema.Source.TableName)
		}
		slices.Sort(got)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("topic %s has records of %v, want %v", topic, got, want)
		}
	}

	e2 := newEnv(t)
	e2.sql("CREATE TABLE orders (id INT PRIMARY KEY)")
	r2 := e2.runner(e2.job(`
reader: {tables: ['${DB}.orders']}
writer: {createTopic: false, prefix: ods_}
`))
	_, err := r2.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "topic ods_orders does not exist and writer.createTopic is false") {
		t.Errorf("missing topic: error %v", err)
	}
}

// TestEveryTypeIsTheSameInSnapshotAndBinlog: a row read by the snapshot and the same values
// inserted later and read from the binlog give identical after images.
func TestEveryTypeIsTheSameInSnapshotAndBinlog(t *testing.T) {
	e := newEnv(t)
	e.sql(`CREATE TABLE every (
		id INT PRIMARY KEY,
		ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, su SMALLINT UNSIGNED, mi MEDIUMINT, mu MEDIUMINT UNSIGNED,
		ii INT, iu INT UNSIGNED, bi BIGINT, bu BIGINT UNSIGNED, yr YEAR,
		fl FLOAT, db DOUBLE, de DECIMAL(30,10), b1 BIT(1), b9 BIT(9),
		d DATE, dt DATETIME, dt6 DATETIME(6), ts TIMESTAMP(3) NULL, tm TIME(2), zd DATE,
		c CHAR(5), vc VARCHAR(20), tx TEXT, l1 VARCHAR(10) CHARACTER SET latin1, j JSON,
		en ENUM('small','large'), st SET('r','g','b'),
		bn BINARY(6), vb VARBINARY(10), bl BLOB, nul VARCHAR(3))`)
	values := `-128, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295, -9223372036854775808, 18446744073709551615, 2024,
		1.25, 2.5e-300, -12345678901234567890.0123456789, b'1', b'101010101',
		'2024-02-29', '2024-06-01 10:00:00', '1999-12-31 23:59:59.999999', '2024-06-01 02:00:00.123', '-12:34:56.78', '0000-00-00',
		'ab', 'héllo 世界 😀', 'long text', 'café', '{"a": [1, 2.5, "x"]}',
		'large', 'r,b',
		X'00FF00', X'DEADBEEF', X'0001', NULL`
	e.sql("SET SESSION sql_mode = 'ALLOW_INVALID_DATES'", "SET time_zone = '+00:00'", "INSERT INTO every VALUES (1, "+values+")")
	r := e.runner(e.job(`
reader: {tables: [${DB}.every]}
writer: {heartbeat: false, partitions: 1}
timezone: Asia/Shanghai
`))
	e.run(r)
	e.sql("INSERT INTO every VALUES (2, " + values + ")")
	e.run(r)
	ms := e.read("every")
	if len(ms) != 2 {
		t.Fatalf("%d records, want 2", len(ms))
	}
	snap, bin := ms[0].M.Payload.After.DataColumn, ms[1].M.Payload.After.DataColumn
	if ms[0].seq() != "-1" || ms[1].seq() == "-1" {
		t.Fatalf("sequence ids %s, %s: want a full-data record then a binlog record", ms[0].seq(), ms[1].seq())
	}
	delete(snap, "id")
	delete(bin, "id")
	for k, v := range snap {
		if k == "j" {
			continue // JSON documents may differ in white space
		}
		if fmt.Sprint(bin[k]) != fmt.Sprint(v) {
			t.Errorf("column %s: snapshot %v, binlog %v", k, v, bin[k])
		}
	}
	want := map[string]string{
		"tu": "255", "mu": "16777215", "bu": "18446744073709551615", "bi": "-9223372036854775808", "fl": "1.25", "db": "2.5e-300",
		"de": "-12345678901234567890.0123456789", "b1": "true", "b9": "341", "d": "1709136000000", "dt": "1717207200000",
		"dt6": "946655999999", "ts": "1717207200123", "tm": "-12:34:56.78", "zd": "<nil>", "c": "ab", "vc": "héllo 世界 😀",
		"l1": "café", "en": "large", "st": "r,b", "bn": "AP8AAAAA", "vb": "3q2+7w==", "bl": "AAE=", "nul": "<nil>", "yr": "2024",
	}
	for k, w := range want {
		if got := fmt.Sprint(bin[k]); got != w {
			t.Errorf("column %s: %s, want %s", k, got, w)
		}
	}
	types := map[string]string{}
	for _, c := range ms[1].M.Schema.DataColumn {
		types[c.Name] = c.Type
	}
	for col, typ := range map[string]string{"bu": "LONG", "db": "DOUBLE", "de": "STRING", "b1": "BOOLEAN", "b9": "LONG", "dt": "DATE", "tm": "STRING", "bn": "BYTES", "j": "STRING"} {
		if types[col] != typ {
			t.Errorf("column %s has type %s, want %s", col, types[col], typ)
		}
	}
}

// TestNewTableWithoutKeyIsRefusedAndTheRestGoesOn: a table created later that the job selects
// but cannot key is refused (logged, reported); the other tables keep flowing.
func TestNewTableWithoutKeyIsRefusedAndTheRestGoesOn(t *testing.T) {
	e := newEnv(t)
	e.sql("CREATE TABLE ok (id INT PRIMARY KEY)")
	r := e.runner(e.job(`
reader: {tables: ['${DB}.*']}
writer: {partitions: 1, heartbeat: false}
`))
	e.run(r)
	e.sql("CREATE TABLE nokey (v INT)", "INSERT INTO nokey VALUES (1)", "INSERT INTO ok VALUES (1)")
	rep := e.run(r)
	if !reflect.DeepEqual(rep.Refused, []string{e.db + ".nokey"}) || rep.Changes != 1 {
		t.Errorf("report %+v: want nokey refused and the insert into ok written", rep)
	}
	if !strings.Contains(e.logs.String(), "table refused after a DDL statement") || !strings.Contains(e.logs.String(), "has no primary key") {
		t.Errorf("no clear log line about the refused table:\n%s", e.logs.String())
	}
	if got := summary(e.read("ok")); !reflect.DeepEqual(got, []string{`INSERT key="1"`}) {
		t.Errorf("records on ok: %q", got)
	}
}
