package cdc_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// TestWriterTablesSetTopicsFieldsAndAdditionalFields: writer.tables entries create one table's
// topic with its own partition count, require another's (and fail, naming the job, the table
// and the field, when it is missing), rename fields and convert their types, and add constant
// and variable fields to the schema and to every row image; a row whose field cannot be
// converted is a dirty record (with its reason, in the dirty-data log) when setting.allowDirty
// is set, while the rows around it go on.
func TestWriterTablesSetTopicsFieldsAndAdditionalFields(t *testing.T) {
	e := newEnv(t, kfake.SeedTopics(2, "users"))
	e.sql("CREATE TABLE orders (id INT PRIMARY KEY, total DECIMAL(8,2), code VARCHAR(10), note VARBINARY(10))",
		"CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(20))",
		"CREATE TABLE audit (id INT PRIMARY KEY)",
		"INSERT INTO orders VALUES (1, 10.50, '42', 'ab')", "INSERT INTO users VALUES (7, 'ann')")
	const writer = `
writer:
  partitions: 1
  heartbeat: false
  additionalFields: [{name: src_db, variable: DB_NAME_SRC}]
  tables:
  - table: ${DB}.orders
    partitions: 4
    additionalFields:
    - {name: origin, value: shop-eu}
    - {name: src_table, variable: TABLE_NAME_SRC}
    - {name: src_type, variable: db_type_src}
    - {name: exec_ms, variable: EXECUTE_TIME}
    fields:
    - {column: total, name: amount, type: DOUBLE}
    - {column: code, type: LONG}
  - table: ${DB}.users
    createTopic: false
  - table: ${DB}.audit
    createTopic: false
setting: {allowDirty: true}
`
	bad := e.job("name: withaudit\nreader: {tables: ['${DB}.*']}" + writer)
	_, err := e.runner(bad).Run(context.Background())
	for _, want := range []string{"cdc job withaudit", "table " + e.db + ".audit", "topic audit does not exist", "writer.tables[2].createTopic is false"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("run with a missing required topic: error %v, want it to say %q", err, want)
		}
	}

	r := e.runner(e.job("name: shaped\nreader: {tables: ['${DB}.orders', '${DB}.users']}" + writer))
	e.run(r)
	t1 := time.Date(2024, 6, 1, 9, 30, 0, 0, time.UTC)
	e.at(t1)
	e.sql("INSERT INTO orders VALUES (2, 3.00, 'x7', NULL)", "INSERT INTO orders VALUES (3, 4.25, ' 9 ', NULL)", "UPDATE users SET name = 'bo' WHERE id = 7")
	rep := e.run(r)
	if rep.Dirty != 1 || len(rep.DirtyKeys) != 1 {
		t.Fatalf("report %+v: want 1 dirty row in 1 dirty-data object", rep)
	}
	if hw := e.highWatermarks("orders"); len(hw) != 4 {
		t.Errorf("topic orders has %d partitions, want the 4 of its writer.tables entry", len(hw))
	}
	if hw := e.highWatermarks("users"); len(hw) != 2 {
		t.Errorf("topic users has %d partitions, want the 2 it had", len(hw))
	}

	orders := data(e.read("orders"))
	if len(orders) != 2 {
		t.Fatalf("%d order records, want 2 (the snapshot row and row 3; row 2 is dirty)", len(orders))
	}
	var schema []string
	for _, c := range orders[0].M.Schema.DataColumn {
		schema = append(schema, c.Name+":"+c.Type)
	}
	wantSchema := []string{"id:LONG", "amount:DOUBLE", "code:LONG", "note:BYTES", "src_db:STRING", "origin:STRING", "src_table:STRING", "src_type:STRING", "exec_ms:LONG"}
	if !reflect.DeepEqual(schema, wantSchema) {
		t.Errorf("orders schema %v, want %v", schema, wantSchema)
	}
	cols := []string{"id", "amount", "code", "note", "total", "src_db", "origin", "src_table", "src_type", "exec_ms"}
	got := summary(orders, cols...)
	want := []string{
		fmt.Sprintf(`INSERT key="1" id=1 amount=10.5 code=42 note=YWI= total=<absent> src_db=%s origin=shop-eu src_table=orders src_type=mysql exec_ms=%d`, e.db, e.now.UnixMilli()),
		fmt.Sprintf(`INSERT key="3" id=3 amount=4.25 code=9 note=<null> total=<absent> src_db=%s origin=shop-eu src_table=orders src_type=mysql exec_ms=%d`, e.db, t1.UnixMilli()),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("orders records\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if pk := orders[0].M.Schema.PrimaryKey; !reflect.DeepEqual(pk, []string{"id"}) {
		t.Errorf("primary key %v", pk)
	}
	users := summary(data(e.read("users")), "name", "src_db", "origin")
	wantUsers := []string{
		fmt.Sprintf(`INSERT key="7" name=ann src_db=%s origin=<absent>`, e.db),
		fmt.Sprintf(`UPDATE_AFTER key="7" name:ann name=bo src_db:%s src_db=%s origin:<absent> origin=<absent>`, e.db, e.db),
	}
	if !reflect.DeepEqual(users, wantUsers) {
		t.Errorf("users records\n%s\nwant\n%s", strings.Join(users, "\n"), strings.Join(wantUsers, "\n"))
	}
	dirty, err := e.store.Get(context.Background(), rep.DirtyKeys[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"table":"` + e.db + `.orders"`, `"op":"INSERT"`, `column code as LONG`, `\"x7\" is not an integer`, `"at":"mysql-bin.`} {
		if !strings.Contains(string(dirty), want) {
			t.Errorf("dirty-data log %s lacks %s", dirty, want)
		}
	}
}

// TestDirtyRowFailsTheRunUnlessAllowed: without setting.allowDirty a row that cannot be
// converted stops the run at its transaction, with an error naming the job, the table, the
// column and the setting; nothing after it is checkpointed.
func TestDirtyRowFailsTheRunUnlessAllowed(t *testing.T) {
	e := newEnv(t)
	e.sql("CREATE TABLE t (id INT PRIMARY KEY, code VARCHAR(10))")
	r := e.runner(e.job(`
name: strict
reader: {tables: [${DB}.t], snapshot: false}
writer:
  partitions: 1
  heartbeat: false
  tables: [{table: '${DB}.*', fields: [{column: code, type: LONG}]}]
`))
	e.run(r)
	e.sql("INSERT INTO t VALUES (1, '5')", "INSERT INTO t VALUES (2, 'five')")
	before, _ := r.Checkpoint(context.Background())
	_, err := r.Run(context.Background())
	for _, want := range []string{"cdc job strict", "table " + e.db + ".t", "column code as LONG", "setting.allowDirty"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("error %v, want it to say %q", err, want)
		}
	}
	after, _ := r.Checkpoint(context.Background())
	if after.Binlog != before.Binlog {
		t.Errorf("checkpoint moved from %s to %s past a failed run", before.Binlog, after.Binlog)
	}
	if ms := e.read("t"); len(ms) != 0 {
		t.Errorf("%d records in Kafka after the failed run, want none", len(ms))
	}
}
