package mctest_test

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/aliyun-odps-go-sdk/odps/account"
	"github.com/aliyun/aliyun-odps-go-sdk/odps/data"
	"github.com/aliyun/aliyun-odps-go-sdk/odps/restclient"
	"github.com/aliyun/aliyun-odps-go-sdk/odps/tunnel"

	"github.com/fcsync/fcsync/shared/sink/maxcompute/mctest"
)

// Reading back and the request shapes PyODPS sends (sdk_test.go), reproduced with the Go SDK so
// that they stay covered without Python.

// raw sends one signed request as the SDK's REST client signs them, to the REST API or, with
// tunnel set, to the tunnel.
func raw(t *testing.T, srv *mctest.Server, tunnelEP bool, method, resource string, query url.Values, header http.Header) (*http.Response, []byte) {
	t.Helper()
	ep := srv.Endpoint()
	if tunnelEP {
		ep = srv.TunnelEndpoint()
	}
	rc := restclient.NewOdpsRestClient(account.NewAliyunAccount(srv.AccessKeyID(), srv.AccessKeySecret()), ep)
	req, err := rc.NewRequestWithUrlQuery(method, resource, nil, query)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := rc.Do(req)
	if res == nil {
		t.Fatalf("%s %s: %v", method, resource, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, body
}

func readAll(t *testing.T, d *tunnel.DownloadSession, start, count int, cols []string) []data.Record {
	t.Helper()
	r, err := d.OpenRecordReader(start, count, cols)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []data.Record
	if err := r.Iterator(func(rec data.Record, err error) {
		if err == nil {
			out = append(out, rec)
		}
	}); err != nil {
		t.Fatalf("reading records %d+%d: %v", start, count, err)
	}
	return out
}

func TestDownloadsReturnWhatWasUploadedInEveryType(t *testing.T) {
	srv := mctest.New(t)
	c := newClient(t, srv, nil)
	c.mustSQL("CREATE TABLE t (a BIGINT, b INT, e DOUBLE, f FLOAT, g DECIMAL(38,18), h STRING, i VARCHAR(10), j CHAR(5), k BOOLEAN, l DATETIME, m TIMESTAMP, n DATE, o BINARY, p JSON) PARTITIONED BY (ds STRING)")
	ts := time.Date(2022, 11, 22, 9, 52, 0, 123456789, time.UTC)
	rec := data.Record{
		data.BigInt(-5), data.Int(7), data.Double(2.5), data.Float(-1.25), data.NewDecimal(38, 18, "12.5"),
		data.String("héllo"), mustVarchar(t, "vc"), mustChar(t, "ch"), data.Bool(true),
		data.DateTime(ts.Truncate(time.Millisecond)), data.Timestamp(ts), data.Date(time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)),
		data.Binary{0, 255}, &data.Json{Data: `{"a":1}`, Valid: true},
	}
	u, err := c.session("t", "ds=1", tunnel.SessionCfg.WithCreatePartition())
	if err != nil {
		t.Fatal(err)
	}
	if err := writeBlock(u, 0, rec, make(data.Record, len(rec))); err != nil {
		t.Fatal(err)
	}
	if err := u.Commit([]int{0}); err != nil {
		t.Fatal(err)
	}
	for _, opt := range []struct {
		name string
		opts []tunnel.Option
	}{{"plain", nil}, {"deflate", []tunnel.Option{tunnel.SessionCfg.WithDefaultDeflateCompressor()}}} {
		t.Run(opt.name, func(t *testing.T) {
			d, err := c.tun.CreateDownloadSession(srv.Project(), "t", append(opt.opts, tunnel.SessionCfg.WithPartitionKey("ds=1"))...)
			if err != nil {
				t.Fatal(err)
			}
			if d.RecordCount() != 2 || len(d.Schema().Columns) != len(rec) {
				t.Fatalf("session: %d records, %d columns; want 2 and %d", d.RecordCount(), len(d.Schema().Columns), len(rec))
			}
			got := readAll(t, d, 0, 2, nil)
			if len(got) != 2 {
				t.Fatalf("read %d records, want 2", len(got))
			}
			for i := range rec {
				if g, w := fmt.Sprint(got[0][i]), fmt.Sprint(rec[i]); g != w {
					t.Errorf("column %s: read %s, uploaded %s", d.Schema().Columns[i].Name, g, w)
				}
				if got[1][i] != nil {
					t.Errorf("NULL row, column %d: read %v", i, got[1][i])
				}
			}
			// A range and a subset of columns, in the order asked.
			part := readAll(t, d, 0, 1, []string{"h", "a"})
			if len(part) != 1 || fmt.Sprint(part[0][0]) != "héllo" || fmt.Sprint(part[0][1]) != "-5" {
				t.Errorf("columns h, a of record 0: %v", part)
			}
		})
	}
	res, _ := raw(t, srv, true, http.MethodGet, "/projects/"+srv.Project()+"/tables/t",
		url.Values{"downloadid": {"NOPE"}, "data": {""}, "rowrange": {"(0,1)"}, "partition": {"ds=1"}}, nil)
	if res.StatusCode != 404 {
		t.Errorf("read of an unknown download session: %d, want 404", res.StatusCode)
	}
}

func TestADownloadSessionReadsTheDataOfItsCreation(t *testing.T) {
	srv := mctest.New(t)
	c := newClient(t, srv, nil)
	c.mustSQL("CREATE TABLE t (a BIGINT)")
	upload := func(overwrite bool, v int64) {
		opts := []tunnel.Option{}
		if overwrite {
			opts = append(opts, tunnel.SessionCfg.Overwrite())
		}
		u, err := c.session("t", "", opts...)
		if err != nil {
			t.Fatal(err)
		}
		if err := writeBlock(u, 0, data.Record{data.BigInt(v)}); err != nil {
			t.Fatal(err)
		}
		if err := u.Commit([]int{0}); err != nil {
			t.Fatal(err)
		}
	}
	upload(false, 1)
	d, err := c.tun.CreateDownloadSession(srv.Project(), "t")
	if err != nil {
		t.Fatal(err)
	}
	upload(true, 2)
	if got := readAll(t, d, 0, 1, nil); len(got) != 1 || fmt.Sprint(got[0][0]) != "1" {
		t.Fatalf("snapshot read %v, want the row before the overwrite", got)
	}
	if _, err := d.OpenRecordReader(0, 2, nil); code(err) != "InvalidRowRange" {
		t.Fatalf("a range past the snapshot: %v, want InvalidRowRange", err)
	}
}

func TestDeflateDownloadsSayTheirEncoding(t *testing.T) {
	srv := mctest.New(t)
	c := newClient(t, srv, nil)
	c.mustSQL("CREATE TABLE t (a BIGINT)")
	d, err := c.tun.CreateDownloadSession(srv.Project(), "t")
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{"downloadid": {d.Id}, "data": {""}, "rowrange": {"(0,0)"}}
	for enc, want := range map[string]string{"deflate": "deflate", "zstd": "", "": ""} {
		res, _ := raw(t, srv, true, http.MethodGet, "/projects/"+srv.Project()+"/tables/t", q, http.Header{"Accept-Encoding": {enc}})
		if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != want {
			t.Errorf("Accept-Encoding %q: %d, Content-Encoding %q; want 200 %q", enc, res.StatusCode, res.Header.Get("Content-Encoding"), want)
		}
	}
}

func TestPartitionsAreListedLoadedAndDroppedAsTheSDKsAsk(t *testing.T) {
	srv := mctest.New(t)
	c := newClient(t, srv, nil)
	c.mustSQL("CREATE TABLE t (a BIGINT) PARTITIONED BY (ds STRING, hh STRING)")
	c.mustSQL("ALTER TABLE t ADD PARTITION (ds='1', hh='00') PARTITION (ds='1', hh='01') PARTITION (ds='2', hh='00')")
	u, err := c.session("t", "ds=1,hh=01")
	if err != nil {
		t.Fatal(err)
	}
	if err := writeBlock(u, 0, data.Record{data.BigInt(1)}, data.Record{data.BigInt(2)}); err != nil {
		t.Fatal(err)
	}
	if err := u.Commit([]int{0}); err != nil {
		t.Fatal(err)
	}
	tbl := c.o.Table("t")
	parts, err := tbl.GetPartitions()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range parts {
		names = append(names, p.Value())
	}
	if !slices.Equal(names, []string{"ds=1/hh=00", "ds=1/hh=01", "ds=2/hh=00"}) {
		t.Fatalf("GetPartitions: %q", names)
	}
	p, err := tbl.GetPartition("ds=1/hh=01")
	if err != nil || p.RecordNum() != 2 {
		t.Fatalf("GetPartition(ds=1/hh=01) = %d records, %v; want 2", p.RecordNum(), err)
	}
	if err := p.Load(); err != nil || p.RecordNum() != 2 || p.CreatedTime().IsZero() {
		t.Fatalf("Partition.Load: %d records, created %v, %v", p.RecordNum(), p.CreatedTime(), err)
	}
	if _, err := tbl.GetPartition("ds=9/hh=00"); err == nil {
		t.Fatal("GetPartition of a missing partition: no error")
	}

	// Pages: a Marker until the last page, which has none.
	var pages []string
	q := url.Values{"partitions": {""}, "expectmarker": {"true"}, "maxitems": {"2"}, "partition": {"ds='1'"}}
	for range 3 {
		res, body := raw(t, srv, false, http.MethodGet, "/projects/"+srv.Project()+"/tables/t", q, nil)
		var doc struct {
			Marker     string
			Partitions []struct {
				Columns []struct {
					Value string `xml:"Value,attr"`
				} `xml:"Column"`
			} `xml:"Partition"`
		}
		if res.StatusCode != 200 || xml.Unmarshal(body, &doc) != nil {
			t.Fatalf("listing: %d %s", res.StatusCode, body)
		}
		pages = append(pages, fmt.Sprint(len(doc.Partitions)))
		if doc.Marker == "" {
			break
		}
		q.Set("marker", doc.Marker)
	}
	if !slices.Equal(pages, []string{"2"}) {
		t.Errorf("pages of ds='1' by 2: %v, want one page of 2", pages)
	}
	q = url.Values{"partitions": {""}, "maxitems": {"1"}}
	res, body := raw(t, srv, false, http.MethodGet, "/projects/"+srv.Project()+"/tables/t", q, nil)
	var first struct{ Marker string }
	if res.StatusCode != 200 || xml.Unmarshal(body, &first) != nil || first.Marker == "" {
		t.Fatalf("a first page of 1 of 3: %d %s, want a Marker", res.StatusCode, body)
	}

	// DeletePartitions sends "drop if exists partition (...),\n partition (...)".
	if err := tbl.DeletePartitions(true, []string{"ds=1/hh=00", "ds=7/hh=00"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := srv.Partitions(srv.Project(), "t"); !slices.Equal(got, []string{"ds=1,hh=01", "ds=2,hh=00"}) {
		t.Fatalf("after the drop: %q", got)
	}
	if err := tbl.DeletePartition(false, "ds=7/hh=00"); err == nil {
		t.Fatal("dropping a missing partition without IF EXISTS: no error")
	}
}

// PyODPS's upload sessions carry reload=False (create) and reload=True with create_partition
// (reload); PyODPS also asks the Logview host and the tenant once per client.
func TestPyODPSRequestShapesAreAnswered(t *testing.T) {
	srv := mctest.New(t)
	c := newClient(t, srv, nil)
	c.mustSQL("CREATE TABLE t (a BIGINT) PARTITIONED BY (ds STRING)")
	res, body := raw(t, srv, true, http.MethodPost, "/projects/"+srv.Project()+"/tables/t",
		url.Values{"uploads": {"1"}, "reload": {"False"}, "create_partition": {"true"}, "partition": {"ds=1"}}, nil)
	var sess struct{ UploadID, Status string }
	if res.StatusCode != 201 || json.Unmarshal(body, &sess) != nil || sess.UploadID == "" {
		t.Fatalf("create as PyODPS: %d %s", res.StatusCode, body)
	}
	res, body = raw(t, srv, true, http.MethodGet, "/projects/"+srv.Project()+"/tables/t",
		url.Values{"uploadid": {sess.UploadID}, "reload": {"True"}, "create_partition": {"true"}, "partition": {"ds=1"}}, nil)
	if res.StatusCode != 200 {
		t.Fatalf("reload as PyODPS: %d %s", res.StatusCode, body)
	}
	res, body = raw(t, srv, false, http.MethodGet, "/logview/host", nil, nil)
	if res.StatusCode != 200 || len(body) == 0 {
		t.Errorf("logview host: %d %q", res.StatusCode, body)
	}
	res, body = raw(t, srv, false, http.MethodGet, "/tenants", nil, nil)
	var ten struct {
		Tenant struct{ Parameters map[string]string }
	}
	if res.StatusCode != 200 || json.Unmarshal(body, &ten) != nil || ten.Tenant.Parameters == nil {
		t.Errorf("tenant: %d %s", res.StatusCode, body)
	}
	if u := srv.Unexpected(); len(u) != 0 {
		t.Errorf("unexpected: %q", u)
	}
}

// The Java SDK reads an instance's owner and times from headers (and fails on an instance
// without them), reloads the project, and reloads an upload session with getblockid=true
// before it commits.
func TestJavaSDKRequestShapesAreAnswered(t *testing.T) {
	srv := mctest.New(t)
	c := newClient(t, srv, nil)
	ins, err := c.o.ExecSQl("CREATE TABLE t (a BIGINT)")
	if err != nil {
		t.Fatal(err)
	}
	if err := ins.WaitForSuccess(); err != nil {
		t.Fatal(err)
	}
	res, _ := raw(t, srv, false, http.MethodGet, "/projects/"+srv.Project()+"/instances/"+ins.Id(), nil, nil)
	for _, h := range []string{"x-odps-start-time", "x-odps-end-time"} {
		if _, err := time.Parse(time.RFC1123, res.Header.Get(h)); err != nil {
			t.Errorf("instance %s %q: want an RFC 1123 date (%v)", h, res.Header.Get(h), err)
		}
	}
	if res.Header.Get("x-odps-owner") == "" {
		t.Error("instance without x-odps-owner")
	}

	p := c.o.Project(srv.Project())
	if err := p.Load(); err != nil {
		t.Fatal(err)
	}
	if p.Name() != srv.Project() || p.Owner() == "" || p.CreationTime().IsZero() || p.Status().String() != "AVAILABLE" {
		t.Errorf("project: name %q owner %q created %v status %v", p.Name(), p.Owner(), p.CreationTime(), p.Status())
	}

	u, err := c.session("t", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := writeBlock(u, 3, data.Record{data.BigInt(1)}); err != nil {
		t.Fatal(err)
	}
	res, body := raw(t, srv, true, http.MethodGet, "/projects/"+srv.Project()+"/tables/t", url.Values{"uploadid": {u.Id}, "getblockid": {"true"}}, nil)
	var sess struct{ UploadedBlockList []struct{ BlockID int } }
	if res.StatusCode != 200 || json.Unmarshal(body, &sess) != nil || len(sess.UploadedBlockList) != 1 || sess.UploadedBlockList[0].BlockID != 3 {
		t.Errorf("reload with getblockid: %d %s, want block 3 listed", res.StatusCode, body)
	}

	// A wrong signature is the service's code and message.
	bad := restclient.NewOdpsRestClient(account.NewAliyunAccount(srv.AccessKeyID(), "wrong"), srv.Endpoint())
	req, _ := bad.NewRequestWithUrlQuery(http.MethodGet, "/projects/"+srv.Project(), nil, nil)
	_, err = bad.Do(req)
	var he restclient.HttpError
	if !errors.As(err, &he) || he.StatusCode != 401 || he.ErrorMessage == nil || he.ErrorMessage.ErrorCode != "SignatureNotMatch" ||
		!strings.HasPrefix(he.ErrorMessage.Message, "ODPS-0410042:") {
		t.Errorf("wrong secret: %v, want 401 SignatureNotMatch ODPS-0410042", err)
	}
	if u := srv.Unexpected(); len(u) != 0 {
		t.Errorf("unexpected: %q", u)
	}
}
