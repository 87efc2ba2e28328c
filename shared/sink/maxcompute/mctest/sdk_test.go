package mctest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/counterpart"
	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/sink/maxcompute/mctest"
	"github.com/fcsync/fcsync/shared/sink/warehouse"
)

// PyODPS, the vendor's Python SDK, against the server: testdata/pyodps_ops.py runs what fcsync
// does through the Go SDK and what a user does to read the result back, and prints what the SDK
// saw as JSON.

// step is one operation's outcome as the script prints it.
type step map[string]any

func (s step) str(k string) string {
	v, _ := s[k].(string)
	return v
}

func (s step) num(k string) int {
	v, _ := s[k].(float64)
	return int(v)
}

func (s step) json(k string) string {
	b, _ := json.Marshal(s[k])
	return string(b)
}

// ordersTable is the table the script works on, created with the DDL fcsync emits.
var ordersTable = schema.Table{
	Name: "orders",
	Columns: []schema.Column{
		{Name: "id", Type: schema.BigInt, Comment: "order id"},
		{Name: "name", Type: schema.String},
		{Name: "amount", Type: schema.Double},
		{Name: "paid", Type: schema.Boolean},
		{Name: "at", Type: schema.Datetime},
		{Name: "price", Type: schema.Decimal},
		{Name: "note", Type: schema.Varchar},
	},
	Partitions: []schema.Column{{Name: "ds", Type: schema.String}},
	Lifecycle:  7,
	Comment:    "shop orders",
}

// fcsyncSQL are the statements the scripts run, as package maxcompute renders them (ddl.go).
var fcsyncSQL = map[string]string{
	"create":        warehouse.DDL("", ordersTable),
	"add_partition": "ALTER TABLE `orders` ADD IF NOT EXISTS PARTITION (`ds`='20240601') PARTITION (`ds`='20240603');",
	"add_columns":   "ALTER TABLE `orders` ADD COLUMNS IF NOT EXISTS (`extra` STRING COMMENT 'added', `id` BIGINT);",
}

func TestPyODPSRunsWhatFcsyncDoesAndReadsItBack(t *testing.T) {
	t.Parallel()
	python := counterpart.Python(t, "odps")
	for _, tc := range []struct {
		name string
		opts []mctest.Option
	}{
		{"access key", nil},
		{"STS token", []mctest.Option{mctest.WithSecurityToken("sts-token-for-pyodps")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runPyODPS(t, python, mctest.New(t, tc.opts...))
		})
	}
}

// runPyODPS runs testdata/pyodps_ops.py against srv and checks every step.
func runPyODPS(t *testing.T, python string, srv *mctest.Server) {
	cfg, _ := json.Marshal(map[string]any{
		"endpoint": srv.Endpoint(), "tunnel_endpoint": srv.TunnelEndpoint(), "project": srv.Project(),
		"access_id": srv.AccessKeyID(), "secret": srv.AccessKeySecret(), "token": srv.SecurityToken(),
		"sql": fcsyncSQL,
	})
	cmd := exec.Command(python, filepath.Join("testdata", "pyodps_ops.py"), string(cfg))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("pyodps_ops.py: %v\n%s", err, stderr.String())
	}
	var steps map[string]step
	if err := json.Unmarshal(stdout.Bytes(), &steps); err != nil {
		t.Fatalf("pyodps_ops.py printed no JSON: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	ok := func(name string) step {
		t.Helper()
		st, found := steps[name]
		if !found || st["ok"] != true {
			t.Fatalf("step %s: %v, want success", name, st)
		}
		return st
	}
	refused := func(name, typ, code string) {
		t.Helper()
		if st := steps[name]; st == nil || st["ok"] != false || st.str("type") != typ || st.str("code") != code {
			t.Errorf("step %s = %v, want %s %s", name, st, typ, code)
		}
	}
	if st := ok("create_table"); st["successful"] != true {
		t.Errorf("create table: %v", st)
	}
	if st := ok("exists"); st["orders"] != true || st["missing"] != false {
		t.Errorf("exist_table: %v", st)
	}
	st := ok("schema")
	if got := st.json("columns"); got != `[["id","bigint"],["name","string"],["amount","double"],["paid","boolean"],["at","datetime"],["price","decimal(38,18)"],["note","varchar(65535)"]]` {
		t.Errorf("schema columns %s", got)
	}
	if st.json("partitions") != `[["ds","string"]]` || st.num("lifecycle") != 7 || st.str("comment") != "shop orders" {
		t.Errorf("schema: %v", st)
	}
	ok("add_partition")
	ok("create_partition")
	st = ok("partitions")
	if st.json("listed") != `["ds='20240601'","ds='20240602'","ds='20240603'"]` || st["exists"] != true || st["exists_missing"] != false {
		t.Errorf("partitions: %v", st)
	}
	ok("upload")
	ok("buffered_upload")
	if n, err := srv.RowCount(srv.Project(), "orders", "ds=20240602"); err != nil || n != 3 {
		t.Errorf("buffered upload: %d rows (%v), want 3", n, err)
	}
	// What PyODPS uploaded, as the server decoded it.
	rows, err := srv.Rows(srv.Project(), "orders", "ds=20240601")
	if err != nil {
		t.Fatal(err)
	}
	wantRows := []schema.Row{
		{int64(1), "alice", 1.5, true, time.Date(2024, 6, 1, 10, 0, 0, 0, time.Local).UTC(), "12.34", "中文", nil},
		{int64(2), nil, -2.25, false, time.Date(2024, 6, 1, 10, 5, 30, 0, time.Local).UTC(), "-0.5", "", nil},
		{int64(3), "carol", 0.0, nil, nil, nil, nil, nil},
	}
	if fmt.Sprint(rows) != fmt.Sprint(wantRows) {
		t.Errorf("rows PyODPS uploaded, as the server holds them:\n%v\nwant\n%v", rows, wantRows)
	}
	if st := ok("download"); st.num("count") != 3 || st.json("rows") != `[["1","alice","1.5","True","2024-06-01 10:00:00","12.34","中文","20240601"],["2",null,"-2.25","False","2024-06-01 10:05:30","-0.5","","20240601"],["3","carol","0.0",null,null,null,null,"20240601"]]` {
		t.Errorf("download: %v", st)
	}
	if st := ok("download_part"); st.json("rows") != `[[null,2],["carol",3]]` {
		t.Errorf("download of rows 1-2, columns name and id: %v", st)
	}
	refused("download_missing", "NoSuchPartition", "NoSuchPartition")
	if st := ok("write_read_table"); st.json("rows") != `[[11,"y"],[12,"z"]]` || st["exists"] != true {
		t.Errorf("write_table, overwrite, read_table: %v", st)
	}
	if st := ok("partition_meta"); st.num("record_num") != 3 || st["size_positive"] != true || st["created"] != true {
		t.Errorf("partition metadata: %v", st)
	}
	ok("drop_partition")
	if parts, _ := srv.Partitions(srv.Project(), "orders"); strings.Join(parts, " ") != "ds=20240601 ds=20240602 ds=20240604" {
		t.Errorf("partitions after the drop: %q", parts)
	}
	if st := ok("add_columns"); st.json("columns") != `["id","name","amount","paid","at","price","note","extra"]` {
		t.Errorf("add columns: %v", st)
	}
	refused("unsupported_sql", "ParseError", "ODPS-0130161")
	refused("wrong_secret", "SignatureNotMatch", "SignatureNotMatch")
	refused("wrong_secret_tunnel", "SignatureNotMatch", "SignatureNotMatch")
	if u := srv.Unexpected(); len(u) != 1 || !strings.Contains(u[0], "SELECT") {
		t.Errorf("unexpected requests: %q, want only the SELECT", u)
	}
}

// javaODPSSDK is the MaxCompute Java SDK the Java test resolves: the newest that resolved with
// its dependencies when the test was written (0.53.0-public is listed, but its parent POM is not
// served).
const javaODPSSDK = "com.aliyun.odps:odps-sdk-core:0.52.0-public"

// The Java SDK signs with an STS token, as fcsync's functions do; PyODPS covers plain keys.
func TestTheJavaSDKRunsWhatFcsyncDoesAndReadsItBack(t *testing.T) {
	t.Parallel()
	java := counterpart.Java(t)
	cp := counterpart.Jars(t, "odps-sdk-core-0.52.0", javaODPSSDK)
	srv := mctest.New(t, mctest.WithSecurityToken("sts-token-for-java"))
	cmd := exec.Command(java, "-cp", cp, filepath.Join("testdata", "OdpsOps.java"), srv.Endpoint(), srv.TunnelEndpoint(), srv.Project())
	cmd.Env = append(os.Environ(), "ODPS_ACCESS_ID="+srv.AccessKeyID(), "ODPS_ACCESS_KEY="+srv.AccessKeySecret(), "ODPS_STS_TOKEN="+srv.SecurityToken(),
		"ODPS_SQL_CREATE="+fcsyncSQL["create"], "ODPS_SQL_ADD_PARTITION="+fcsyncSQL["add_partition"], "ODPS_SQL_ADD_COLUMNS="+fcsyncSQL["add_columns"])
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("OdpsOps.java: %v\n%s", err, stderr.String())
	}
	var steps map[string]step
	if err := json.Unmarshal(stdout.Bytes(), &steps); err != nil {
		t.Fatalf("OdpsOps.java printed no JSON: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	ok := func(name string) step {
		t.Helper()
		st, found := steps[name]
		if !found || st["ok"] != true {
			t.Fatalf("step %s: %v, want success", name, st)
		}
		return st
	}
	if st := ok("create_table"); st["successful"] != true {
		t.Errorf("create table: %v", st)
	}
	if st := ok("exists"); st["orders"] != true || st["missing"] != false {
		t.Errorf("exists: %v", st)
	}
	st := ok("schema")
	if got := st.json("columns"); got != `[["id","bigint"],["name","string"],["amount","double"],["paid","boolean"],["at","datetime"],["price","decimal(38,18)"],["note","varchar(65535)"]]` {
		t.Errorf("schema columns %s", got)
	}
	if st.json("partitions") != `[["ds","string"]]` || st.num("lifecycle") != 7 || st.str("comment") != "shop orders" {
		t.Errorf("schema: %v", st)
	}
	ok("add_partition")
	ok("create_partition")
	if st := ok("partitions"); st.json("listed") != `["ds='20240601'","ds='20240602'","ds='20240603'"]` || st["exists"] != true || st["exists_missing"] != false {
		t.Errorf("partitions: %v", st)
	}
	ok("upload")
	ok("buffered_upload")
	if n, err := srv.RowCount(srv.Project(), "orders", "ds=20240602"); err != nil || n != 3 {
		t.Errorf("buffered upload: %d rows (%v), want 3", n, err)
	}
	rows, err := srv.Rows(srv.Project(), "orders", "ds=20240601")
	if err != nil {
		t.Fatal(err)
	}
	at1, at2 := time.Date(2024, 6, 1, 10, 0, 0, 0, time.Local), time.Date(2024, 6, 1, 10, 5, 30, 0, time.Local)
	wantRows := []schema.Row{
		{int64(1), "alice", 1.5, true, at1.UTC(), "12.34", "中文", nil},
		{int64(2), nil, -2.25, false, at2.UTC(), "-0.5", "", nil},
		{int64(3), "carol", 0.0, nil, nil, nil, nil, nil},
	}
	if fmt.Sprint(rows) != fmt.Sprint(wantRows) {
		t.Errorf("rows the Java SDK uploaded, as the server holds them:\n%v\nwant\n%v", rows, wantRows)
	}
	wantDownload := fmt.Sprintf(`[["1","alice","1.5","true","%d","12.34","中文"],["2",null,"-2.25","false","%d","-0.5",""],["3","carol","0.0",null,null,null,null]]`, at1.UnixMilli(), at2.UnixMilli())
	if st := ok("download"); st.num("count") != 3 || st.json("rows") != wantDownload {
		t.Errorf("download: %s, want %s", st.json("rows"), wantDownload)
	}
	if st := ok("download_part"); st.json("rows") != `[[null,"2"],["carol","3"]]` {
		t.Errorf("download of rows 1-2, columns name and id: %v", st)
	}
	if st := steps["download_missing"]; st["ok"] != false || st.str("code") != "NoSuchPartition" || st.str("request_id") == "" {
		t.Errorf("download of a missing partition: %v", st)
	}
	if st := ok("overwrite"); st.json("ids") != `[11,12]` {
		t.Errorf("upload then overwrite: %v", st)
	}
	if st := ok("partition_meta"); st.num("record_num") != 3 || st["size_positive"] != true || st["created"] != true {
		t.Errorf("partition metadata: %v", st)
	}
	ok("drop_partition")
	if parts, _ := srv.Partitions(srv.Project(), "orders"); strings.Join(parts, " ") != "ds=20240601 ds=20240602 ds=20240604" {
		t.Errorf("partitions after the drop: %q", parts)
	}
	if st := ok("add_columns"); st.json("columns") != `["id","name","amount","paid","at","price","note","extra"]` {
		t.Errorf("add columns: %v", st)
	}
	if st := steps["unsupported_sql"]; st["ok"] != false || !strings.Contains(st.str("message"), "ODPS-0130161") {
		t.Errorf("unsupported SQL: %v", st)
	}
	for _, name := range []string{"wrong_secret", "wrong_secret_tunnel"} {
		if st := steps[name]; st["ok"] != false || st.str("code") != "SignatureNotMatch" || st.str("request_id") == "" {
			t.Errorf("%s: %v, want SignatureNotMatch with a request id", name, st)
		}
	}
	if u := srv.Unexpected(); len(u) != 1 || !strings.Contains(u[0], "SELECT") {
		t.Errorf("unexpected requests: %q, want only the SELECT", u)
	}
}
