package mctest_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/aliyun-odps-go-sdk/odps"
	"github.com/aliyun/aliyun-odps-go-sdk/odps/account"
	"github.com/aliyun/aliyun-odps-go-sdk/odps/data"
	"github.com/aliyun/aliyun-odps-go-sdk/odps/restclient"
	"github.com/aliyun/aliyun-odps-go-sdk/odps/tunnel"

	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/sink/maxcompute/mctest"
)

// client is the SDK pointed at a test server.
type client struct {
	t   *testing.T
	srv *mctest.Server
	o   *odps.Odps
	tun *tunnel.Tunnel
}

func newClient(t *testing.T, srv *mctest.Server, acc account.Account) *client {
	if acc == nil {
		acc = account.NewAliyunAccount(srv.AccessKeyID(), srv.AccessKeySecret())
	}
	o := odps.NewOdps(acc, srv.Endpoint())
	o.SetDefaultProjectName(srv.Project())
	return &client{t: t, srv: srv, o: o, tun: tunnel.NewTunnel(o)}
}

func (c *client) sql(q string) error {
	ins, err := c.o.ExecSQl(q)
	if err != nil {
		return err
	}
	return ins.WaitForSuccess()
}

func (c *client) mustSQL(q string) {
	c.t.Helper()
	if err := c.sql(q); err != nil {
		c.t.Fatalf("%s: %v", q, err)
	}
}

func (c *client) session(table, partition string, opts ...tunnel.Option) (*tunnel.UploadSession, error) {
	if partition != "" {
		opts = append(opts, tunnel.SessionCfg.WithPartitionKey(partition))
	}
	return c.tun.CreateUploadSession(c.srv.Project(), table, opts...)
}

func writeBlock(u *tunnel.UploadSession, id int, recs ...data.Record) error {
	w, err := u.OpenRecordWriter(id)
	if err != nil {
		return err
	}
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			_ = w.Close()
			return err
		}
	}
	return w.Close()
}

// code returns the service error code of an SDK error.
func code(err error) string {
	var he restclient.HttpError
	if errors.As(err, &he) && he.ErrorMessage != nil {
		return he.ErrorMessage.ErrorCode
	}
	return ""
}

func rowsOf(t *testing.T, srv *mctest.Server, table, part string) []schema.Row {
	t.Helper()
	rows, err := srv.Rows(srv.Project(), table, part)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestTheSDKUploadsEveryCodecAndEveryType(t *testing.T) {
	codecs := []struct {
		name string
		opt  tunnel.Option
		enc  string
	}{
		{"snappy", tunnel.SessionCfg.WithSnappyFramedCompressor(), "x-snappy-framed"},
		{"deflate", tunnel.SessionCfg.WithDefaultDeflateCompressor(), "deflate"},
		{"zstd", tunnel.SessionCfg.WithDefaultZstdCompressor(), "zstd"},
		{"none", nil, ""},
	}
	ts := time.Date(2022, 11, 22, 9, 52, 0, 123456789, time.UTC)
	rec := data.Record{
		data.BigInt(-5), data.Int(7), data.SmallInt(-300), data.TinyInt(12), data.Double(2.5), data.Float(-1.25),
		data.NewDecimal(38, 18, "12.5"), data.String("héllo"), mustVarchar(t, "vc"), mustChar(t, "ch"), data.Bool(true),
		data.DateTime(ts), data.Timestamp(ts), data.Date(time.Date(2022, 11, 22, 0, 0, 0, 0, time.UTC)),
		data.Binary{0, 255}, &data.Json{Data: `{"a":1}`, Valid: true},
	}
	want := schema.Row{int64(-5), int64(7), int64(-300), int64(12), 2.5, -1.25, "12.5", "héllo", "vc", "ch", true,
		ts.Truncate(time.Millisecond), ts, time.Date(2022, 11, 22, 0, 0, 0, 0, time.UTC), []byte{0, 255}, `{"a":1}`}
	for _, cd := range codecs {
		t.Run(cd.name, func(t *testing.T) {
			srv := mctest.New(t)
			c := newClient(t, srv, nil)
			c.mustSQL("CREATE TABLE t (a BIGINT, b INT, c SMALLINT, d TINYINT, e DOUBLE, f FLOAT, g DECIMAL(38,18), h STRING, i VARCHAR(10), j CHAR(5), k BOOLEAN, l DATETIME, m TIMESTAMP, n DATE, o BINARY, p JSON) PARTITIONED BY (ds STRING)")
			var opts []tunnel.Option
			if cd.opt != nil {
				opts = append(opts, cd.opt)
			}
			u, err := c.session("t", "ds=1", append(opts, tunnel.SessionCfg.WithCreatePartition())...)
			if err != nil {
				t.Fatal(err)
			}
			nulls := make(data.Record, len(rec))
			if err := writeBlock(u, 0, rec, nulls); err != nil {
				t.Fatal(err)
			}
			if err := u.Commit([]int{0}); err != nil {
				t.Fatal(err)
			}
			rows := rowsOf(t, srv, "t", "ds=1")
			if len(rows) != 2 {
				t.Fatalf("%d rows, want 2", len(rows))
			}
			for i, w := range want {
				g := rows[0][i]
				if gt, ok := g.(time.Time); ok {
					if !gt.Equal(w.(time.Time)) {
						t.Errorf("column %d: got %v, want %v", i, g, w)
					}
					continue
				}
				if gb, ok := g.([]byte); ok {
					if string(gb) != string(w.([]byte)) {
						t.Errorf("column %d: got %v, want %v", i, g, w)
					}
					continue
				}
				if g != w {
					t.Errorf("column %d: got %#v, want %#v", i, g, w)
				}
				if rows[1][i] != nil {
					t.Errorf("NULL row column %d: got %#v", i, rows[1][i])
				}
			}
			ups := srv.Uploads(srv.Project(), "t")
			if len(ups) != 1 || len(ups[0].Codecs) != 1 || ups[0].Codecs[0] != cd.enc {
				t.Errorf("uploads %+v, want one block sent with Content-Encoding %q", ups, cd.enc)
			}
		})
	}
}

func mustVarchar(t *testing.T, s string) data.VarChar {
	v, err := data.MakeVarChar(10, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustChar(t *testing.T, s string) data.Char {
	v, err := data.MakeChar(5, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDataIsInvisibleUntilCommitAndOverwriteReplacesThePartition(t *testing.T) {
	srv := mctest.New(t)
	c := newClient(t, srv, nil)
	c.mustSQL("create table t (a bigint) partitioned by (ds string)")
	c.mustSQL("alter table t add partition (ds='1')")
	snappy := tunnel.SessionCfg.WithSnappyFramedCompressor()
	u1, err := c.session("t", "ds=1", snappy)
	if err != nil {
		t.Fatal(err)
	}
	for id, v := range []int64{1, 2} {
		if err := writeBlock(u1, id, data.Record{data.BigInt(v)}); err != nil {
			t.Fatal(err)
		}
	}
	// Re-putting block 1 replaces it.
	if err := writeBlock(u1, 1, data.Record{data.BigInt(3)}, data.Record{data.BigInt(4)}); err != nil {
		t.Fatal(err)
	}
	if n := len(rowsOf(t, srv, "t", "ds=1")); n != 0 {
		t.Fatalf("%d rows visible before commit", n)
	}
	if err := u1.Commit([]int{0, 1}); err != nil {
		t.Fatal(err)
	}
	if got := rowsOf(t, srv, "t", "ds=1"); len(got) != 3 || got[0][0] != int64(1) || got[1][0] != int64(3) || got[2][0] != int64(4) {
		t.Fatalf("after commit: %v, want [1] [3] [4]", got)
	}
	// A committed session takes no more blocks and no second commit.
	if err := writeBlock(u1, 2, data.Record{data.BigInt(9)}); code(err) != "StatusConflict" {
		t.Errorf("block after commit: %v, want StatusConflict", err)
	}
	ow, err := c.session("t", "ds=1", snappy, tunnel.SessionCfg.Overwrite())
	if err != nil {
		t.Fatal(err)
	}
	if err := writeBlock(ow, 0, data.Record{data.BigInt(10)}); err != nil {
		t.Fatal(err)
	}
	if n := len(rowsOf(t, srv, "t", "ds=1")); n != 3 {
		t.Fatalf("overwrite visible before commit: %d rows", n)
	}
	if err := ow.Commit([]int{0}); err != nil {
		t.Fatal(err)
	}
	if got := rowsOf(t, srv, "t", "ds=1"); len(got) != 1 || got[0][0] != int64(10) {
		t.Fatalf("after overwrite: %v, want [10]", got)
	}
}

func TestErrorsCarryTheServiceCodeAndRequestID(t *testing.T) {
	srv := mctest.New(t)
	c := newClient(t, srv, nil)
	c.mustSQL("create table t (a bigint) partitioned by (ds string)")
	c.mustSQL("create table flat (a bigint)")
	cases := []struct {
		name string
		call func() error
		code string
		http int
	}{
		{"missing table", func() error { return c.o.Table("nope").Load() }, "NoSuchTable", 404},
		{"session on a missing table", func() error { _, err := c.session("nope", ""); return err }, "NoSuchTable", 404},
		{"missing partition without create_partition", func() error { _, err := c.session("t", "ds=1"); return err }, "NoSuchPartition", 404},
		{"partition of another column", func() error { _, err := c.session("t", "dt=1"); return err }, "InvalidPartitionSpec", 400},
		{"partition on a flat table", func() error { _, err := c.session("flat", "ds=1"); return err }, "InvalidPartitionSpec", 400},
		{"no partition on a partitioned table", func() error { _, err := c.session("t", ""); return err }, "InvalidPartitionSpec", 400},
		{"reload of an unknown upload", func() error {
			_, err := c.tun.AttachToExistedUploadSession(srv.Project(), "t", "NOPE", tunnel.SessionCfg.WithPartitionKey("ds=1"))
			return err
		}, "NoSuchUpload", 404},
		{"unknown project", func() error { return odpsFor(srv, "other").Table("t").Load() }, "NoSuchProject", 404},
		{"download of a missing partition", func() error {
			_, err := c.tun.CreateDownloadSession(srv.Project(), "t", tunnel.SessionCfg.WithPartitionKey("ds=1"))
			return err
		}, "NoSuchPartition", 404},
		{"arrow downloads are not modelled", func() error {
			d, err := c.tun.CreateDownloadSession(srv.Project(), "flat")
			if err != nil {
				return err
			}
			_, err = d.OpenRecordArrowReader(0, 0, nil)
			return err
		}, "NoSuchObject", 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var he restclient.HttpError
			if !errors.As(err, &he) {
				t.Fatalf("got %v, want an HTTP error", err)
			}
			if he.StatusCode != tc.http || he.ErrorMessage == nil || he.ErrorMessage.ErrorCode != tc.code {
				t.Fatalf("got %d %+v, want %d %s", he.StatusCode, he.ErrorMessage, tc.http, tc.code)
			}
			if he.RequestId == "" || he.ErrorMessage.RequestId != he.RequestId || he.ErrorMessage.Message == "" {
				t.Errorf("request id %q / %+v: want the same id in the header and the body, and a message", he.RequestId, he.ErrorMessage)
			}
		})
	}
	if u := srv.Unexpected(); len(u) != 1 || !strings.Contains(u[0], "arrow") {
		t.Errorf("unexpected requests %q, want the arrow download recorded", u)
	}
}

func odpsFor(srv *mctest.Server, project string) *odps.Odps {
	o := odps.NewOdps(account.NewAliyunAccount(srv.AccessKeyID(), srv.AccessKeySecret()), srv.Endpoint())
	o.SetDefaultProjectName(project)
	return o
}

func TestTheServerChecksSignaturesTokensAndDates(t *testing.T) {
	const token = "sts-token-value"
	cases := []struct {
		name  string
		opts  []mctest.Option
		acc   func(srv *mctest.Server) account.Account
		code  string // "" = accepted
		clock time.Duration
	}{
		{name: "v2 signature", acc: func(s *mctest.Server) account.Account {
			return account.NewAliyunAccount(s.AccessKeyID(), s.AccessKeySecret())
		}},
		{name: "v4 signature with a region", acc: func(s *mctest.Server) account.Account {
			return account.NewAliyunAccount(s.AccessKeyID(), s.AccessKeySecret(), "cn-hangzhou")
		}},
		{name: "wrong secret", code: "SignatureNotMatch", acc: func(s *mctest.Server) account.Account {
			return account.NewAliyunAccount(s.AccessKeyID(), "wrong")
		}},
		{name: "wrong secret, v4", code: "SignatureNotMatch", acc: func(s *mctest.Server) account.Account {
			return account.NewAliyunAccount(s.AccessKeyID(), "wrong", "cn-hangzhou")
		}},
		{name: "unknown key", code: "InvalidAccessKeyId", acc: func(s *mctest.Server) account.Account {
			return account.NewAliyunAccount("someone-else", s.AccessKeySecret())
		}},
		{name: "STS token", opts: []mctest.Option{mctest.WithSecurityToken(token)}, acc: func(s *mctest.Server) account.Account {
			return account.NewStsAccount(s.AccessKeyID(), s.AccessKeySecret(), token)
		}},
		{name: "STS key without its token", code: "InvalidStsToken", opts: []mctest.Option{mctest.WithSecurityToken(token)}, acc: func(s *mctest.Server) account.Account {
			return account.NewAliyunAccount(s.AccessKeyID(), s.AccessKeySecret())
		}},
		{name: "wrong token", code: "InvalidStsToken", opts: []mctest.Option{mctest.WithSecurityToken(token)}, acc: func(s *mctest.Server) account.Account {
			return account.NewStsAccount(s.AccessKeyID(), s.AccessKeySecret(), "stale")
		}},
		{name: "clock 20 minutes apart", code: "RequestTimeTooSkewed", clock: 20 * time.Minute, acc: func(s *mctest.Server) account.Account {
			return account.NewAliyunAccount(s.AccessKeyID(), s.AccessKeySecret())
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			if tc.clock != 0 {
				opts = append(opts, mctest.WithClock(func() time.Time { return time.Now().Add(tc.clock) }))
			}
			srv := mctest.New(t, opts...)
			if err := srv.Exec(srv.Project(), "create table t (a bigint)"); err != nil {
				t.Fatal(err)
			}
			c := newClient(t, srv, tc.acc(srv))
			// Both servers: the REST API (table metadata) and the tunnel (a session).
			errAPI := c.o.Table("t").Load()
			var errTunnel error
			if errAPI == nil || tc.code != "" {
				_, errTunnel = c.tun.CreateUploadSession(srv.Project(), "t")
			}
			for what, err := range map[string]error{"REST API": errAPI, "tunnel": errTunnel} {
				if tc.code == "" && err != nil {
					t.Errorf("%s: refused: %v", what, err)
				}
				if tc.code != "" && tc.code != "InvalidStsToken" && what == "tunnel" {
					continue // the tunnel endpoint itself is discovered through the refused API
				}
				if tc.code != "" && code(err) != tc.code {
					t.Errorf("%s: got %v, want %s", what, err, tc.code)
				}
			}
		})
	}
}

func TestInjectedFaultsHappenAsDescribed(t *testing.T) {
	srv := mctest.New(t)
	c := newClient(t, srv, nil)
	c.mustSQL("create table t (a bigint)")
	snappy := tunnel.SessionCfg.WithSnappyFramedCompressor()

	srv.Inject(mctest.Fault{Op: mctest.OpUploadCreate, Kind: mctest.FaultStatus, Times: 2})
	for i := range 2 {
		var he restclient.HttpError
		if _, err := c.session("t", "", snappy); !errors.As(err, &he) || he.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("try %d: got %v, want 503", i+1, err)
		}
	}
	u, err := c.session("t", "", snappy)
	if err != nil {
		t.Fatalf("third try: %v", err)
	}

	srv.Inject(mctest.Fault{Op: mctest.OpBlockPut, Kind: mctest.FaultCut})
	if err := writeBlock(u, 0, data.Record{data.BigInt(1)}); err == nil {
		t.Fatal("block over a cut connection succeeded")
	}
	if err := u.Load(); err != nil || len(u.BlockIds()) != 0 {
		t.Fatalf("after a cut: blocks %v, err %v; want none stored", u.BlockIds(), err)
	}

	srv.Inject(mctest.Fault{Op: mctest.OpBlockPut, Kind: mctest.FaultReplyLost})
	if err := writeBlock(u, 0, data.Record{data.BigInt(1)}); err == nil {
		t.Fatal("block whose reply was lost reported success")
	}
	if err := u.Load(); err != nil || len(u.BlockIds()) != 1 {
		t.Fatalf("after a lost reply: blocks %v, err %v; want block 0 stored", u.BlockIds(), err)
	}

	srv.Inject(mctest.Fault{Op: mctest.OpUploadReload, Kind: mctest.FaultTruncated})
	if err := u.Load(); err == nil {
		t.Fatal("a truncated reload answer decoded")
	}

	srv.Inject(mctest.Fault{Op: mctest.OpUploadReload, Kind: mctest.FaultSlow, Delay: time.Millisecond})
	if err := u.Load(); err != nil {
		t.Fatalf("slow answer: %v", err)
	}
	if srv.PendingFaults() != 0 {
		t.Errorf("%d faults left", srv.PendingFaults())
	}
	// Every fault is in the request log.
	kinds := map[mctest.FaultKind]int{}
	for _, r := range srv.Requests() {
		kinds[r.Fault]++
	}
	for k, n := range map[mctest.FaultKind]int{mctest.FaultStatus: 2, mctest.FaultCut: 1, mctest.FaultReplyLost: 1, mctest.FaultTruncated: 1, mctest.FaultSlow: 1} {
		if kinds[k] != n {
			t.Errorf("fault %s logged %d times, want %d", k, kinds[k], n)
		}
	}
}

func TestExpiredAndForgottenUploadsCannotCommit(t *testing.T) {
	srv := mctest.New(t)
	c := newClient(t, srv, nil)
	c.mustSQL("create table t (a bigint)")
	u, err := c.session("t", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.ExpireUpload(u.Id); err != nil {
		t.Fatal(err)
	}
	if err := u.Load(); err != nil || u.Status() != tunnel.UploadStatusExpired {
		t.Fatalf("status %s, err %v; want EXPIRED", u.Status(), err)
	}
	srv.ForgetUpload(u.Id)
	if err := u.Load(); code(err) != "NoSuchUpload" {
		t.Fatalf("got %v, want NoSuchUpload", err)
	}
}
