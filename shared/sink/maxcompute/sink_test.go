package maxcompute_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/sink"
	"github.com/fcsync/fcsync/shared/sink/maxcompute"
	"github.com/fcsync/fcsync/shared/sink/maxcompute/mctest"
	"github.com/fcsync/fcsync/shared/sink/sinktest"
	"github.com/fcsync/fcsync/shared/sink/warehouse"
)

func TestSinkScenariosHoldTheGoldenContentsWithEveryCodec(t *testing.T) {
	for _, codec := range []maxcompute.Codec{maxcompute.CodecSnappy, maxcompute.CodecDeflate, maxcompute.CodecZstd} {
		t.Run(string(codec), func(t *testing.T) {
			sinktest.Run(t, sinktest.Target{Name: "maxcompute-" + string(codec), Open: func(t *testing.T) (sink.Sink, sinktest.Reader) {
				e := newEnv(t)
				e.cfg.Codec = codec
				// Tiny blocks and buffers: every partition gets several blocks, and the
				// session's budget forces uploads of the fullest partition.
				s := e.sink(maxcompute.WithBlockBytes(300), maxcompute.WithBufferBytes(700))
				t.Cleanup(func() {
					if u := e.srv.Unexpected(); len(u) > 0 {
						t.Errorf("the sink asked for what the server does not implement: %q", u)
					}
					want := map[maxcompute.Codec]string{maxcompute.CodecSnappy: "x-snappy-framed", maxcompute.CodecDeflate: "deflate", maxcompute.CodecZstd: "zstd"}[codec]
					for _, r := range e.srv.Requests() {
						if r.Op == mctest.OpBlockPut && r.Encoding != want {
							t.Errorf("block sent with Content-Encoding %q, want %q", r.Encoding, want)
						}
					}
				})
				return s, sinktest.ServerReader(e.srv, e.srv.Project())
			}})
		})
	}
}

func TestBeginCreatesTheTableWithTheDDLDataWorksGenerates(t *testing.T) {
	cases := []struct {
		name          string
		cfgLifecycle  int
		tableLifecyle int
		want          int
	}{
		{"the table's lifecycle", 30, 7, 7},
		{"the config's lifecycle when the table has none", 36500, 0, 36500},
		{"none at all", 0, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.cfg.Lifecycle = tc.cfgLifecycle
			s := e.sink()
			tbl := sinktest.AllTypes
			tbl.Lifecycle = tc.tableLifecyle
			tbl.Comment = "every type"
			if err := write(t, s, sink.SessionSpec{Table: tbl, Segment: "x", Owned: part("ds=1")}, nil); err != nil {
				t.Fatal(err)
			}
			sql := e.srv.SQL()
			if len(sql) != 1 || sql[0] != s.CreateTableSQL(tbl) {
				t.Fatalf("statements %q, want only %q", sql, s.CreateTableSQL(tbl))
			}
			wantDDL := tbl
			wantDDL.Lifecycle = tc.want
			if sql[0] != warehouse.DDL("", wantDDL) {
				t.Errorf("DDL %q is not the warehouse's (DataWorks') DDL %q", sql[0], warehouse.DDL("", wantDDL))
			}
			info, err := e.srv.Table(e.srv.Project(), tbl.Name)
			if err != nil {
				t.Fatal(err)
			}
			if info.Lifecycle != tc.want || len(info.Columns) != len(tbl.Columns) || info.Columns[7].Comment != tbl.Columns[7].Comment {
				t.Errorf("table %+v, want lifecycle %d and the columns with their comments", info, tc.want)
			}
			got, err := s.Table(context.Background(), tbl.Name)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got.Columns) != fmt.Sprint(tbl.Columns) || fmt.Sprint(got.Partitions) != fmt.Sprint(tbl.Partitions) {
				t.Errorf("Table returned\n  %+v\nwant the columns of\n  %+v", got, tbl)
			}
		})
	}
}

func TestBeginRefusesATableItCannotWriteNamingTheColumn(t *testing.T) {
	cases := []struct {
		name  string
		ddl   string
		table schema.Table
		want  string
	}{
		{"a column changed type", "create table orders (id string, name string) partitioned by (ds string)", ordersTable, "column id is STRING, the spec has BIGINT"},
		{"other partition columns", "create table orders (id bigint, name string) partitioned by (dt string)", ordersTable, "partition column 1 is dt STRING"},
		{"more partition levels", "create table orders (id bigint, name string) partitioned by (ds string, hh string)", ordersTable, "partitioned by (ds STRING, hh STRING)"},
		{"a column of a type fcsync does not write", "create table orders (id bigint, name timestamp_ntz) partitioned by (ds string)", ordersTable, "column name has a type fcsync does not write"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if err := e.srv.Exec(e.srv.Project(), tc.ddl); err != nil {
				t.Fatal(err)
			}
			_, err := e.sink().Begin(context.Background(), sink.SessionSpec{Table: tc.table, Segment: "x", Owned: part("ds=1")})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

func TestAddColumnsAndAddPartitionsChangeTheTable(t *testing.T) {
	e := newEnv(t)
	s := e.sink()
	ctx := context.Background()
	if err := write(t, s, sink.SessionSpec{Table: ordersTable, Segment: "x", Owned: part("ds=1")}, map[string][]schema.Row{"ds=1": {{int64(1), "a"}}}); err != nil {
		t.Fatal(err)
	}
	add := []schema.Column{{Name: "coupon", Type: schema.String, Comment: "dynamic column"}, {Name: "amount", Type: schema.Decimal}}
	for range 2 { // IF NOT EXISTS: the second time changes nothing
		if err := s.AddColumns(ctx, "orders", add); err != nil {
			t.Fatal(err)
		}
	}
	info, err := e.srv.Table(e.srv.Project(), "orders")
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(info.Columns); got != "[{id bigint } {name string } {coupon string dynamic column} {amount decimal(38,18) }]" {
		t.Errorf("columns %s", got)
	}
	if got := e.rows("orders", "ds=1"); fmt.Sprint(got) != "[[1 a <nil> <nil>]]" {
		t.Errorf("old rows read %v, want the new columns NULL", got)
	}
	if err := s.AddPartitions(ctx, "orders", part("ds=2"), part("DS=3"), part("ds=1")); err != nil {
		t.Fatal(err)
	}
	parts, _ := e.srv.Partitions(e.srv.Project(), "orders")
	if fmt.Sprint(parts) != "[ds=1 ds=2 ds=3]" {
		t.Errorf("partitions %v, want ds=1 ds=2 ds=3", parts)
	}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"hostile column name", s.AddColumns(ctx, "orders", []schema.Column{{Name: "a`; drop table orders; --", Type: schema.String}}), "not a valid identifier"},
		{"unknown type", s.AddColumns(ctx, "orders", []schema.Column{{Name: "x", Type: "MONEY"}}), "unknown type"},
		{"partition of another column", s.AddPartitions(ctx, "orders", part("dt=1")), "level 1 is dt"},
		{"hostile partition value", s.AddPartitions(ctx, "orders", schema.Partition{{Column: "ds", Value: "1'); drop table x; --"}}), "not allowed"},
		{"missing table", s.AddPartitions(ctx, "nope", part("ds=1")), "does not exist"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error saying %q", tc.name, tc.err, tc.want)
		}
	}
	for _, q := range e.srv.SQL() {
		if strings.Contains(strings.ToLower(q), "drop") {
			t.Errorf("a hostile name reached the server: %q", q)
		}
	}
}

func TestWriteRefusesValuesMaxComputeWouldRefuseNamingTheColumn(t *testing.T) {
	big := strings.Repeat("x", 8<<20+1)
	cases := []struct {
		col   string
		value any
		want  string
	}{
		{"c_int", int64(math.MaxInt32 + 1), "out of range for INT"},
		{"c_smallint", int64(-40000), "out of range for SMALLINT"},
		{"c_tinyint", 200, "out of range for TINYINT"},
		{"c_bigint", uint64(math.MaxUint64), "overflows BIGINT"},
		{"c_bigint", "12", "not an integer"},
		{"c_float", 1e39, "out of range for FLOAT"},
		{"c_decimal", "1.5e3", "not a decimal"},
		{"c_decimal", "1234567890123456789012", "integer digits"},
		{"c_decimal", "0.1234567890123456789", "fractional digits"},
		{"c_varchar", strings.Repeat("é", 65536), "longer than VARCHAR(65535)"},
		{"c_char", strings.Repeat("x", 256), "longer than CHAR(255)"},
		{"c_varchar", "\xff", "UTF-8"},
		{"c_json", "{", "not valid JSON"},
		{"c_string", big, "field limit"},
		{"c_binary", []byte(big), "field limit"},
		{"c_datetime", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), "outside years"},
		{"c_date", time.Date(0, 12, 31, 0, 0, 0, 0, time.UTC), "outside years"},
		{"c_boolean", "true", "does not fit a BOOLEAN"},
		{"c_timestamp", int64(5), "does not fit a TIMESTAMP"},
	}
	e := newEnv(t)
	s := e.sink()
	ctx := context.Background()
	sess, err := s.Begin(ctx, sink.SessionSpec{Table: sinktest.AllTypes, Segment: "x", Owned: part("ds=1")})
	if err != nil {
		t.Fatal(err)
	}
	good := sinktest.AllTypesRows()[4]
	for _, tc := range cases {
		t.Run(tc.col+"/"+tc.want, func(t *testing.T) {
			row := append(schema.Row(nil), good...)
			row[sinktest.AllTypes.Index(tc.col)] = tc.value
			err := sess.Write(ctx, part("ds=1"), row)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "column "+tc.col) {
				t.Fatalf("got %v, want an error naming column %s and saying %q", err, tc.col, tc.want)
			}
			if len(err.Error()) > 500 {
				t.Errorf("the error quotes the whole value (%d bytes)", len(err.Error()))
			}
		})
	}
	// The refused rows left nothing behind: a good row still commits alone.
	if err := sess.Write(ctx, part("ds=1"), good); err != nil {
		t.Fatal(err)
	}
	if err := sess.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(e.rows("all_types", "ds=1")); n != 1 {
		t.Errorf("%d rows committed, want 1", n)
	}
	if r := sess.(*maxcompute.Session).Report(); r.Rows != 1 || r.Uploaded != 1 {
		t.Errorf("report %+v, want 1 row taken and uploaded", r)
	}
}

func TestAnAppendRerunIsANoOpAndSaysSo(t *testing.T) {
	e := newEnv(t)
	s := e.sink()
	spec := sink.SessionSpec{Table: ordersTable, Segment: "orders@1", Owned: part("ds=1")}
	if err := write(t, s, spec, map[string][]schema.Row{"ds=1": {{int64(1), "first"}}, "ds=0": {{int64(2), "late"}}}); err != nil {
		t.Fatal(err)
	}
	// A rerun with other rows (what a rerun of the same window never has) changes nothing.
	ctx := context.Background()
	ss, err := s.Begin(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	sess := ss.(*maxcompute.Session)
	for _, w := range []struct{ p, v string }{{"ds=1", "again"}, {"ds=0", "late again"}, {"ds=2", "new late"}} {
		if err := sess.Write(ctx, part(w.p), schema.Row{int64(3), w.v}); err != nil {
			t.Fatal(err)
		}
	}
	if err := sess.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]string{"ds=1": "[[1 first]]", "ds=0": "[[2 late]]", "ds=2": "[[3 new late]]"} {
		if got := fmt.Sprint(e.rows("orders", p)); got != want {
			t.Errorf("partition %s: %s, want %s", p, got, want)
		}
	}
	r := sess.Report()
	if r.Rows != 3 || r.Discarded != 2 || r.Uploaded != 1 {
		t.Errorf("report %+v, want 3 rows taken, 2 discarded, 1 uploaded", r)
	}
	outcomes := map[string]maxcompute.Outcome{}
	for _, p := range r.Partitions {
		outcomes[p.Partition] = p.Outcome
	}
	want := map[string]maxcompute.Outcome{"ds=0": maxcompute.OutcomeAlreadyCommitted, "ds=1": maxcompute.OutcomeAlreadyCommitted, "ds=2": maxcompute.OutcomeCommitted}
	if fmt.Sprint(outcomes) != fmt.Sprint(want) {
		t.Errorf("outcomes %v, want %v", outcomes, want)
	}
	// No upload session was even opened for the partitions already committed.
	if ups := e.srv.Uploads(e.srv.Project(), "orders"); len(ups) != 3 {
		t.Errorf("%d upload sessions, want 3 (two by the first run, one for ds=2)", len(ups))
	}
}

func TestOverwriteAlsoReplacesRowsOtherWindowsAppendedAndWarns(t *testing.T) {
	var logs bytes.Buffer
	e := newEnv(t)
	s := e.sink(maxcompute.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	w0 := sink.SessionSpec{Table: ordersTable, Segment: "orders@09", Owned: part("ds=09"), Mode: sink.Overwrite}
	w1 := sink.SessionSpec{Table: ordersTable, Segment: "orders@10", Owned: part("ds=10"), Mode: sink.Overwrite}
	if err := write(t, s, w0, map[string][]schema.Row{"ds=09": {{int64(1), "w0"}}}); err != nil {
		t.Fatal(err)
	}
	if err := write(t, s, w1, map[string][]schema.Row{"ds=10": {{int64(2), "w1"}}, "ds=09": {{int64(3), "w1 late"}}}); err != nil {
		t.Fatal(err)
	}
	// Rerunning window 0 replaces its partition, the late row of window 1 included: MaxCompute
	// overwrites whole partitions (the warehouse would keep it; see the package doc).
	if err := write(t, s, w0, map[string][]schema.Row{"ds=09": {{int64(1), "w0"}}}); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(e.rows("orders", "ds=09")); got != "[[1 w0]]" {
		t.Errorf("ds=09 holds %s, want [[1 w0]]", got)
	}
	if !strings.Contains(logs.String(), "orders@10") || !strings.Contains(logs.String(), "late records") {
		t.Errorf("no warning naming window orders@10 in the log:\n%s", logs.String())
	}
}

func TestTransientFaultsAreRetriedWithoutDuplicates(t *testing.T) {
	ops := []mctest.Op{mctest.OpTableGet, mctest.OpSQL, mctest.OpInstanceGet, mctest.OpTunnelEndpoint, mctest.OpUploadCreate, mctest.OpUploadReload, mctest.OpBlockPut, mctest.OpUploadCommit}
	kinds := []mctest.Fault{
		{Kind: mctest.FaultStatus, Times: 2},
		{Kind: mctest.FaultStatus, Status: 500},
		{Kind: mctest.FaultCut},
		{Kind: mctest.FaultReplyLost},
		{Kind: mctest.FaultTruncated},
		{Kind: mctest.FaultSlow, Delay: time.Millisecond},
	}
	for _, op := range ops {
		for _, f := range kinds {
			t.Run(fmt.Sprintf("%s/%s-%d", op, f.Kind, f.Times), func(t *testing.T) {
				e := newEnv(t)
				e.cfg.TunnelEndpoint = "" // discovered, so OpTunnelEndpoint happens
				f.Op = op
				e.srv.Inject(f)
				w := crashWorkload(sink.Append)
				if _, err := w.run(context.Background(), e.sink(maxcompute.WithBlockRows(2))); err != nil {
					t.Fatalf("a transient %s fault on %s failed the session: %v", f.Kind, op, err)
				}
				if n := e.srv.PendingFaults(); n != 0 {
					t.Fatalf("the fault did not happen (%d left): the test exercised nothing", n)
				}
				w.expect(t, e)
			})
		}
	}
}

func TestAPersistentFaultFailsTheSessionAndTheRerunRecovers(t *testing.T) {
	for _, op := range []mctest.Op{mctest.OpBlockPut, mctest.OpUploadCommit, mctest.OpUploadCreate, mctest.OpTableGet} {
		t.Run(string(op), func(t *testing.T) {
			e := newEnv(t)
			e.srv.Inject(mctest.Fault{Op: op, Kind: mctest.FaultStatus, Times: 1000})
			w := crashWorkload(sink.Append)
			ctx := context.Background()
			sess, err := w.run(ctx, e.sink(maxcompute.WithBlockRows(2)))
			var se *maxcompute.ServiceError
			if !errors.As(err, &se) || se.Status != 503 || se.Code != "ServiceUnavailable" || se.RequestID == "" {
				t.Fatalf("got %v, want a ServiceError 503 ServiceUnavailable with a request id", err)
			}
			if sess != nil {
				if err := sess.Abort(ctx); err != nil {
					t.Fatal(err)
				}
			}
			e.srv.ClearFaults()
			if _, err := w.run(ctx, e.sink(maxcompute.WithBlockRows(2))); err != nil {
				t.Fatalf("rerun: %v", err)
			}
			w.expect(t, e)
		})
	}
}

func TestAPendingUploadTheServiceForgotIsReplacedOrInDoubt(t *testing.T) {
	cases := []struct {
		name   string
		forget func(srv *mctest.Server, id string)
		age    time.Duration
		want   error
	}{
		{"expired an hour ago", func(srv *mctest.Server, id string) { _ = srv.ExpireUpload(id) }, time.Hour, nil},
		{"forgotten an hour ago", func(srv *mctest.Server, id string) { srv.ForgetUpload(id) }, time.Hour, nil},
		{"forgotten a day ago", func(srv *mctest.Server, id string) { srv.ForgetUpload(id) }, 24 * time.Hour, maxcompute.ErrInDoubt},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			w := crashWorkload(sink.Append)
			// The writer stops right before its first commit request: its record is pending.
			ctx, cancel := context.WithCancel(context.Background())
			e.srv.SetHook(func(op mctest.Op) *mctest.Fault {
				if op == mctest.OpUploadCommit {
					cancel()
					return &mctest.Fault{Kind: mctest.FaultCut}
				}
				return nil
			})
			// One partition at a time: the first commit request is ds=09's.
			if _, err := w.run(ctx, e.sink(maxcompute.WithBlockRows(2), maxcompute.WithCommitConcurrency(1))); err == nil {
				t.Fatal("the writer did not stop")
			}
			e.srv.SetHook(nil)
			var pending string
			for _, u := range e.srv.Uploads(e.srv.Project(), "orders") {
				if u.Status == "normal" && len(u.Blocks) > 0 && u.Partition == "ds=09" {
					pending = u.ID
				}
			}
			if pending == "" {
				t.Fatal("no pending upload")
			}
			tc.forget(e.srv, pending)
			later := time.Now().Add(tc.age)
			_, err := w.run(context.Background(), e.sink(maxcompute.WithBlockRows(2), maxcompute.WithClock(func() time.Time { return later })))
			if tc.want != nil {
				if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), pending) {
					t.Fatalf("got %v, want %v naming upload %s", err, tc.want, pending)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			w.expect(t, e)
		})
	}
}

func TestCredentialsSignRequestsAndNeverShow(t *testing.T) {
	const secret, token = "the-real-secret-value", "the-sts-token-value"
	t.Run("STS token and v4 signature", func(t *testing.T) {
		e := newEnv(t, mctest.WithAccount("ak-id-1234", secret), mctest.WithSecurityToken(token))
		e.cfg.Region = "cn-hangzhou"
		if err := write(t, e.sink(), sink.SessionSpec{Table: ordersTable, Segment: "x", Owned: part("ds=1")}, map[string][]schema.Row{"ds=1": {{int64(1), "a"}}}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("wrong secret, then SetCredentials", func(t *testing.T) {
		e := newEnv(t, mctest.WithAccount("ak-id-1234", secret))
		good := e.cfg.Credentials
		e.cfg.Credentials.AccessKeySecret = "a-wrong-secret-value"
		s := e.sink()
		_, err := s.Begin(context.Background(), sink.SessionSpec{Table: ordersTable, Segment: "x", Owned: part("ds=1")})
		var se *maxcompute.ServiceError
		if !errors.As(err, &se) || se.Code != "SignatureNotMatch" {
			t.Fatalf("got %v, want SignatureNotMatch", err)
		}
		if strings.Contains(err.Error(), "a-wrong-secret-value") || strings.Contains(err.Error(), secret) {
			t.Errorf("the error shows a secret: %v", err)
		}
		s.SetCredentials(good)
		if err := write(t, s, sink.SessionSpec{Table: ordersTable, Segment: "x", Owned: part("ds=1")}, nil); err != nil {
			t.Fatalf("after SetCredentials: %v", err)
		}
	})
	t.Run("printing a config hides the secret and the token", func(t *testing.T) {
		cfg := maxcompute.Config{Endpoint: "https://e/api", Project: "p", Credentials: maxcompute.Credentials{AccessKeyID: "LTAI-key-id", AccessKeySecret: secret, SecurityToken: token}}
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			out := fmt.Sprintf(verb, cfg)
			if strings.Contains(out, secret) || strings.Contains(out, token) {
				t.Errorf("%s shows a secret: %s", verb, out)
			}
		}
	})
}

func TestNewRefusesABadConfigNamingTheField(t *testing.T) {
	good := maxcompute.Config{Endpoint: "http://127.0.0.1:1/api", Project: "p", Credentials: maxcompute.Credentials{AccessKeyID: "a", AccessKeySecret: "b"}}
	cases := []struct {
		name   string
		change func(c *maxcompute.Config)
		store  objstore.Store
		want   string
	}{
		{"no endpoint", func(c *maxcompute.Config) { c.Endpoint = "" }, nil, "endpoint"},
		{"endpoint without a scheme", func(c *maxcompute.Config) { c.Endpoint = "service.cn-hangzhou.maxcompute.aliyun.com/api" }, nil, "endpoint"},
		{"endpoint with user info", func(c *maxcompute.Config) { c.Endpoint = "https://ak:sk@e/api" }, nil, "user info"},
		{"bad tunnel endpoint", func(c *maxcompute.Config) { c.TunnelEndpoint = "ftp://x" }, nil, "tunnel endpoint"},
		{"bad project", func(c *maxcompute.Config) { c.Project = "a/b" }, nil, "project"},
		{"no secret", func(c *maxcompute.Config) { c.Credentials.AccessKeySecret = "" }, nil, "credentials"},
		{"negative lifecycle", func(c *maxcompute.Config) { c.Lifecycle = -1 }, nil, "lifecycle"},
		{"unknown codec", func(c *maxcompute.Config) { c.Codec = "lz4" }, nil, "codec"},
		{"no store", func(c *maxcompute.Config) {}, nil, "state store"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.change(&cfg)
			var store objstore.Store = objstore.NewMemory()
			if tc.name == "no store" {
				store = nil
			}
			_, err := maxcompute.New(cfg, store)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error about %s", err, tc.want)
			}
		})
	}
	if _, err := maxcompute.New(good, objstore.NewMemory(), maxcompute.WithBlockBytes(0)); err == nil {
		t.Error("a zero block size was accepted")
	}
	for in, want := range map[string]maxcompute.Codec{"": "snappy", "SNAPPY": "snappy", "deflate": "deflate", " zstd ": "zstd"} {
		if got, err := maxcompute.ParseCodec(in); err != nil || got != want {
			t.Errorf("ParseCodec(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestSessionRefusesMisuse(t *testing.T) {
	e := newEnv(t)
	s := e.sink()
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		spec sink.SessionSpec
		want string
	}{
		{"no segment", sink.SessionSpec{Table: ordersTable, Owned: part("ds=1")}, "segment id is empty"},
		{"overwrite without an owned partition", sink.SessionSpec{Table: ordersTable, Segment: "x", Mode: sink.Overwrite}, "owned partition"},
		{"unknown mode", sink.SessionSpec{Table: ordersTable, Segment: "x", Mode: 7}, "unknown mode"},
		{"invalid table", sink.SessionSpec{Table: schema.Table{Name: "../t"}, Segment: "x"}, "table name"},
	} {
		if _, err := s.Begin(ctx, tc.spec); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
	sess, err := s.Begin(ctx, sink.SessionSpec{Table: ordersTable, Segment: "x", Owned: part("ds=1")})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		p    schema.Partition
		row  schema.Row
		want string
	}{
		{"short row", part("ds=1"), schema.Row{int64(1)}, "row has 1 values"},
		{"partition of another column", part("dt=1"), schema.Row{int64(1), "a"}, "level 1 is dt"},
		{"no partition", nil, schema.Row{int64(1), "a"}, "partitioned by"},
		{"hostile partition value", schema.Partition{{Column: "ds", Value: "../../x"}}, schema.Row{int64(1), "a"}, "not allowed"},
	} {
		if err := sess.Write(ctx, tc.p, tc.row); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
	if err := sess.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sess.Write(ctx, part("ds=1"), schema.Row{int64(1), "a"}); err == nil {
		t.Error("Write after Commit was accepted")
	}
	if err := sess.Commit(ctx); err == nil {
		t.Error("a second Commit was accepted")
	}
	if err := sess.Abort(ctx); err != nil {
		t.Errorf("Abort after Commit: %v", err)
	}
}

func TestPartitionsAreAddedWhenTheTunnelCannotCreateThem(t *testing.T) {
	e := newEnv(t, mctest.WithoutCreatePartition())
	for _, mode := range []sink.Mode{sink.Append, sink.Overwrite} {
		spec := sink.SessionSpec{Table: ordersTable, Segment: fmt.Sprint("w", mode), Owned: part(fmt.Sprint("ds=", mode)), Mode: mode}
		if err := write(t, e.sink(), spec, map[string][]schema.Row{spec.Owned.String(): {{int64(1), "a"}}, "ds=late": {{int64(2), "b"}}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"ds=0", "ds=1", "ds=late"} {
		if len(e.rows("orders", p)) == 0 {
			t.Errorf("partition %s is empty", p)
		}
	}
	var alters int
	for _, q := range e.srv.SQL() {
		if strings.HasPrefix(q, "ALTER TABLE `orders` ADD IF NOT EXISTS PARTITION") {
			alters++
		}
	}
	if alters != 3 {
		t.Errorf("%d ADD PARTITION statements, want 3 (ds=0, ds=late, ds=1): %q", alters, e.srv.SQL())
	}
}
