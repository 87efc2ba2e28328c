package mctest

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/schema"
)

// Default credentials and project of a server started without options.
const (
	DefaultProject         = "mctest"
	DefaultAccessKeyID     = "mctest-access-key-id"
	DefaultAccessKeySecret = "mctest-access-key-secret"
	// DefaultMaxFieldSize is the largest STRING/BINARY value, as the service's default (8 MiB).
	DefaultMaxFieldSize = 8 << 20
)

// Server is a MaxCompute REST API and tunnel server on 127.0.0.1. It is safe for concurrent use.
type Server struct {
	opt    options
	apiLn  net.Listener
	tunLn  net.Listener
	apiSrv *http.Server
	tunSrv *http.Server
	wg     sync.WaitGroup

	mu         sync.Mutex
	projects   map[string]*project
	uploads    map[string]*upload
	downloads  map[string]*download
	instances  map[string]*instance
	faults     []*Fault
	hook       func(Op) *Fault
	requests   []Request
	sql        []string
	unexpected []string
	seq        int64
	closed     bool
}

type options struct {
	projects     []string
	accessID     string
	secret       string
	token        string
	maxFieldSize int
	discardRows  bool
	noCreatePart bool
	log          *slog.Logger
	now          func() time.Time
}

// Option changes a Server setting.
type Option func(*options)

// WithProjects sets the projects that exist (default: DefaultProject). Names must be valid
// identifiers.
func WithProjects(names ...string) Option {
	return func(o *options) { o.projects = append([]string(nil), names...) }
}

// WithAccount sets the only access key the server accepts (default DefaultAccessKeyID and
// DefaultAccessKeySecret).
func WithAccount(id, secret string) Option {
	return func(o *options) { o.accessID, o.secret = id, secret }
}

// WithSecurityToken makes the server require this STS token in authorization-sts-token.
func WithSecurityToken(token string) Option { return func(o *options) { o.token = token } }

// WithMaxFieldSize sets the largest STRING/BINARY value in bytes (default DefaultMaxFieldSize).
func WithMaxFieldSize(n int) Option { return func(o *options) { o.maxFieldSize = n } }

// WithoutRows makes the server decode and check every block as usual but keep only row counts,
// not the rows: for benchmarks that upload millions of rows. Rows then returns an error.
func WithoutRows() Option { return func(o *options) { o.discardRows = true } }

// WithoutCreatePartition makes the tunnel ignore create_partition=true, as a service that
// does not support it would: a session on a missing partition is then NoSuchPartition.
func WithoutCreatePartition() Option { return func(o *options) { o.noCreatePart = true } }

// WithLogger sets the logger for refused and unexpected requests (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithClock sets the server's clock, used for the Date check and timestamps (default time.Now).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// Start starts a server on two ports of 127.0.0.1. Close stops it.
func Start(opts ...Option) (*Server, error) {
	o := options{
		projects:     []string{DefaultProject},
		accessID:     DefaultAccessKeyID,
		secret:       DefaultAccessKeySecret,
		maxFieldSize: DefaultMaxFieldSize,
		log:          slog.New(slog.DiscardHandler),
		now:          time.Now,
	}
	for _, f := range opts {
		f(&o)
	}
	if o.accessID == "" || o.secret == "" {
		return nil, errors.New("mctest: access key id and secret must not be empty")
	}
	if o.maxFieldSize < 1 {
		return nil, errors.New("mctest: max field size must be positive")
	}
	s := &Server{
		opt:       o,
		projects:  map[string]*project{},
		uploads:   map[string]*upload{},
		downloads: map[string]*download{},
		instances: map[string]*instance{},
	}
	for _, p := range o.projects {
		if err := schema.ValidateName(p); err != nil {
			return nil, fmt.Errorf("mctest: project: %w", err)
		}
		s.projects[strings.ToLower(p)] = &project{name: p, created: o.now(), tables: map[string]*table{}}
	}
	var err error
	if s.apiLn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("mctest: %w", err)
	}
	if s.tunLn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		s.apiLn.Close()
		return nil, fmt.Errorf("mctest: %w", err)
	}
	s.apiSrv = &http.Server{Handler: http.HandlerFunc(s.serveAPI), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 30 * time.Second}
	s.tunSrv = &http.Server{Handler: http.HandlerFunc(s.serveTunnel), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 30 * time.Second}
	s.wg.Add(2)
	go func() { defer s.wg.Done(); _ = s.apiSrv.Serve(s.apiLn) }()
	go func() { defer s.wg.Done(); _ = s.tunSrv.Serve(s.tunLn) }()
	return s, nil
}

// New starts a server for a test and closes it when the test ends.
func New(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s, err := Start(opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Close stops both listeners and closes open connections. It is safe to call twice.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	_ = s.apiSrv.Close()
	_ = s.tunSrv.Close()
	s.wg.Wait()
}

// Endpoint is the REST API endpoint, as the SDK's odps.NewOdps takes it.
func (s *Server) Endpoint() string { return "http://" + s.apiLn.Addr().String() + apiBase }

// TunnelEndpoint is the tunnel endpoint, as tunnel.NewTunnel takes it (discovery returns the
// same host:port).
func (s *Server) TunnelEndpoint() string { return "http://" + s.tunLn.Addr().String() }

// Project is the first project the server holds.
func (s *Server) Project() string { return s.opt.projects[0] }

// AccessKeyID is the access key id the server accepts.
func (s *Server) AccessKeyID() string { return s.opt.accessID }

// AccessKeySecret is the secret of AccessKeyID.
func (s *Server) AccessKeySecret() string { return s.opt.secret }

// SecurityToken is the STS token the server requires ("" when none).
func (s *Server) SecurityToken() string { return s.opt.token }

const apiBase = "/api"

// Op names the kind of a request, for faults, hooks and the request log.
type Op string

// The requests the server understands.
const (
	OpTunnelEndpoint Op = "tunnel.endpoint" // GET /api/projects/{p}/tunnel?service
	OpTableGet       Op = "table.get"       // GET /api/projects/{p}/tables/{t}
	OpSQL            Op = "sql"             // POST /api/projects/{p}/instances
	OpInstanceGet    Op = "instance.get"    // GET /api/projects/{p}/instances/{id}
	OpUploadCreate   Op = "upload.create"   // POST .../tables/{t}?uploads
	OpUploadReload   Op = "upload.reload"   // GET .../tables/{t}?uploadid=
	OpBlockPut       Op = "block.put"       // PUT .../tables/{t}?uploadid=&blockid=
	OpUploadCommit   Op = "upload.commit"   // POST .../tables/{t}?uploadid=
	OpPartitionList  Op = "partition.list"  // GET /api/projects/{p}/tables/{t}?partitions
	OpPartitionGet   Op = "partition.get"   // GET /api/projects/{p}/tables/{t}?partition=
	OpDownloadCreate Op = "download.create" // POST .../tables/{t}?downloads
	OpDownloadReload Op = "download.reload" // GET .../tables/{t}?downloadid=
	OpDownloadRead   Op = "download.read"   // GET .../tables/{t}?downloadid=&data&rowrange=
	OpLogviewHost    Op = "logview.host"    // GET /api/logview/host
	OpTenant         Op = "tenant.get"      // GET /api/tenants
	OpProjectGet     Op = "project.get"     // GET /api/projects/{p}
	OpUnknown        Op = "unknown"         // anything else (refused)
)

// Request is one request the server answered.
type Request struct {
	Op       Op
	Method   string
	Path     string
	Query    string
	Encoding string // Content-Encoding of the body
	Status   int    // 0 when the connection was cut
	Code     string // error code, if any
	Fault    FaultKind
}

// Requests returns the requests answered so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Unexpected returns the requests and statements the server does not implement and refused.
func (s *Server) Unexpected() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.unexpected...)
}

// SQL returns the statements the server ran (also the failed ones), oldest first.
func (s *Server) SQL() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.sql...)
}

func (s *Server) nextID(prefix string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nextIDLocked(prefix)
}

func (s *Server) nextIDLocked(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s%s%06d", prefix, s.opt.now().UTC().Format("20060102150405"), s.seq)
}

func (s *Server) unexpectedf(format string, args ...any) string {
	msg := fmt.Sprintf(format, args...)
	s.mu.Lock()
	s.unexpected = append(s.unexpected, msg)
	s.mu.Unlock()
	s.opt.log.Warn("mctest: unexpected request", "what", msg)
	return msg
}

// apiError is an error answer.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.message) }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// exchange is one request being handled.
type exchange struct {
	s      *Server
	w      http.ResponseWriter
	r      *http.Request
	op     Op
	reqID  string
	tunnel bool // errors as JSON (tunnel) or XML (REST API)
	status int
	code   string
}

func (x *exchange) fail(e *apiError) {
	x.status, x.code = e.status, e.code
	h := x.w.Header()
	h.Set("x-odps-request-id", x.reqID)
	if x.tunnel {
		body, _ := json.Marshal(struct{ Code, Message, RequestId string }{e.code, e.message, x.reqID})
		h.Set("Content-Type", "application/json")
		x.w.WriteHeader(e.status)
		_, _ = x.w.Write(body)
		return
	}
	h.Set("Content-Type", "application/xml")
	x.w.WriteHeader(e.status)
	fmt.Fprintf(x.w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message><RequestId>%s</RequestId><HostId>127.0.0.1</HostId></Error>",
		xmlText(e.code), xmlText(e.message), xmlText(x.reqID))
}

func (x *exchange) reply(status int, contentType string, body []byte) {
	x.status = status
	h := x.w.Header()
	h.Set("x-odps-request-id", x.reqID)
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	x.w.WriteHeader(status)
	_, _ = x.w.Write(body)
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	s.serve(w, r, false)
}

func (s *Server) serveTunnel(w http.ResponseWriter, r *http.Request) {
	s.serve(w, r, true)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, tunnel bool) {
	x := &exchange{s: s, w: w, r: r, tunnel: tunnel, reqID: s.nextID("mctest")}
	base := ""
	if !tunnel {
		base = apiBase
	}
	route, rerr := s.route(r, base, tunnel)
	x.op = route.op
	rec := Request{Op: x.op, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Encoding: r.Header.Get("Content-Encoding")}
	logged := false
	logRequest := func() {
		if logged {
			return
		}
		logged = true
		rec.Status, rec.Code = x.status, x.code
		s.mu.Lock()
		s.requests = append(s.requests, rec)
		s.mu.Unlock()
	}
	// A cut connection reaches the client at once: log before cutting, so that a client that
	// goes on reads the request in the log.
	defer logRequest()
	if err := s.authenticate(r, base); err != nil {
		s.opt.log.Info("mctest: request refused", "op", x.op, "code", err.code, "message", err.message)
		x.fail(err)
		return
	}
	if rerr != nil {
		x.fail(rerr)
		return
	}
	f := s.takeFault(x.op)
	if f != nil {
		rec.Fault = f.Kind
		switch f.Kind {
		case FaultStatus:
			st := f.Status
			if st == 0 {
				st = http.StatusServiceUnavailable
			}
			code := "ServiceUnavailable"
			if st == http.StatusInternalServerError {
				code = "InternalServerError"
			}
			x.fail(errorf(st, code, "mctest: injected fault"))
			return
		case FaultCut:
			logRequest()
			cut(w)
			return
		case FaultSlow:
			t := time.NewTimer(f.Delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		case FaultReplyLost, FaultTruncated:
			rw := newRecorder()
			x.w = rw
			route.handle(x)
			logRequest()
			if f.Kind == FaultReplyLost {
				cut(w)
				return
			}
			truncate(w, rw)
			return
		}
	}
	route.handle(x)
}

// route is what a request asks for.
type route struct {
	op     Op
	handle func(*exchange)
}

func (s *Server) route(r *http.Request, base string, tunnel bool) (route, *apiError) {
	path := r.URL.Path
	desc := r.Method + " " + path
	if r.URL.RawQuery != "" {
		desc += "?" + r.URL.RawQuery
	}
	refuse := func() (route, *apiError) {
		msg := s.unexpectedf("mctest does not implement %s", desc)
		return route{op: OpUnknown}, errorf(http.StatusNotFound, "NoSuchObject", "%s", msg)
	}
	if base != "" {
		rest, ok := strings.CutPrefix(path, base+"/")
		if !ok {
			return refuse()
		}
		path = "/" + rest
	}
	seg := strings.Split(strings.Trim(path, "/"), "/")
	if !tunnel && r.Method == http.MethodGet {
		// What PyODPS asks once per client: the Logview host and the tenant's parameters.
		switch {
		case path == "/logview/host" && onlyKeys(r.URL.Query(), "curr_project"):
			return route{OpLogviewHost, s.logviewHost}, nil
		case path == "/tenants" && onlyKeys(r.URL.Query(), "curr_project"):
			return route{OpTenant, s.tenant}, nil
		}
	}
	if len(seg) < 2 || seg[0] != "projects" || seg[1] == "" {
		return refuse()
	}
	proj := seg[1]
	seg = seg[2:]
	q := r.URL.Query()
	// /schemas/{s}/tables/{t}: only the default schema exists.
	if len(seg) >= 2 && seg[0] == "schemas" {
		if !strings.EqualFold(seg[1], "default") {
			return route{op: OpUnknown}, errorf(http.StatusNotFound, "NoSuchSchema", "schema %s does not exist in project %s", seg[1], proj)
		}
		seg = seg[2:]
	}
	if !tunnel {
		switch {
		case len(seg) == 0 && r.Method == http.MethodGet && onlyKeys(q, "curr_project", "isGroupApi", "properties", "extended"):
			return route{OpProjectGet, func(x *exchange) { s.projectGet(x, proj) }}, nil
		case len(seg) == 1 && seg[0] == "tunnel" && r.Method == http.MethodGet && q.Has("service"):
			return route{OpTunnelEndpoint, func(x *exchange) { s.tunnelEndpoint(x, proj) }}, nil
		case len(seg) == 2 && seg[0] == "tables" && r.Method == http.MethodGet && q.Has("partitions") &&
			onlyKeys(q, "partitions", "expectmarker", "marker", "maxitems", "partition", "reverse", "curr_project", "curr_schema"):
			return route{OpPartitionList, func(x *exchange) { s.partitionList(x, proj, seg[1]) }}, nil
		case len(seg) == 2 && seg[0] == "tables" && r.Method == http.MethodGet && q.Has("partition") && onlyKeys(q, "partition", "extended", "curr_project", "curr_schema"):
			return route{OpPartitionGet, func(x *exchange) { s.partitionGet(x, proj, seg[1]) }}, nil
		case len(seg) == 2 && seg[0] == "tables" && r.Method == http.MethodGet && onlyKeys(q, "extended", "curr_project", "curr_schema"):
			return route{OpTableGet, func(x *exchange) { s.tableGet(x, proj, seg[1]) }}, nil
		case len(seg) == 1 && seg[0] == "instances" && r.Method == http.MethodPost && onlyKeys(q, "curr_project", "tryWait"):
			return route{OpSQL, func(x *exchange) { s.sqlCreate(x, proj) }}, nil
		case len(seg) == 2 && seg[0] == "instances" && r.Method == http.MethodGet && onlyKeys(q, "taskstatus", "result", "curr_project"):
			return route{OpInstanceGet, func(x *exchange) { s.instanceGet(x, proj, seg[1]) }}, nil
		}
		return refuse()
	}
	if len(seg) != 2 || seg[0] != "tables" {
		return refuse()
	}
	tbl := seg[1]
	tunnelKeys := []string{"partition", "curr_project", "quotaName"}
	switch {
	// PyODPS sends reload=False on create and reload=True (and create_partition again) on reload.
	case r.Method == http.MethodPost && q.Has("uploads") && onlyKeys(q, append(tunnelKeys, "uploads", "overwrite", "create_partition", "reload")...):
		return route{OpUploadCreate, func(x *exchange) { s.uploadCreate(x, proj, tbl) }}, nil
	// The Java SDK reloads with getblockid=true before it commits, for the block list.
	case r.Method == http.MethodGet && q.Has("uploadid") && onlyKeys(q, append(tunnelKeys, "uploadid", "reload", "create_partition", "getblockid")...):
		return route{OpUploadReload, func(x *exchange) { s.uploadReload(x, proj, tbl) }}, nil
	case r.Method == http.MethodPut && q.Has("uploadid") && q.Has("blockid") && onlyKeys(q, append(tunnelKeys, "uploadid", "blockid")...):
		return route{OpBlockPut, func(x *exchange) { s.blockPut(x, proj, tbl) }}, nil
	case r.Method == http.MethodPost && q.Has("uploadid") && onlyKeys(q, append(tunnelKeys, "uploadid")...):
		return route{OpUploadCommit, func(x *exchange) { s.uploadCommit(x, proj, tbl) }}, nil
	case r.Method == http.MethodPost && q.Has("downloads") && onlyKeys(q, append(tunnelKeys, "downloads", "asyncmode")...):
		return route{OpDownloadCreate, func(x *exchange) { s.downloadCreate(x, proj, tbl) }}, nil
	case r.Method == http.MethodGet && q.Has("downloadid") && q.Has("data") && q.Has("rowrange") && onlyKeys(q, append(tunnelKeys, "downloadid", "data", "rowrange", "columns")...):
		return route{OpDownloadRead, func(x *exchange) { s.downloadRead(x, proj, tbl) }}, nil
	case r.Method == http.MethodGet && q.Has("downloadid") && onlyKeys(q, append(tunnelKeys, "downloadid")...):
		return route{OpDownloadReload, func(x *exchange) { s.downloadReload(x, proj, tbl) }}, nil
	}
	return refuse()
}

// onlyKeys reports whether q holds no key outside known.
func onlyKeys(q map[string][]string, known ...string) bool {
	for k := range q {
		found := false
		for _, kk := range known {
			if k == kk {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func (s *Server) tunnelEndpoint(x *exchange, proj string) {
	s.mu.Lock()
	_, err := s.projectLocked(proj)
	s.mu.Unlock()
	if err != nil {
		x.fail(err)
		return
	}
	x.reply(http.StatusOK, "text/plain", []byte(s.tunLn.Addr().String()))
}

// projectGet answers GET /projects/{p}: the project's XML, and its owner and times in headers,
// as the Go and Java SDKs read them (the Java SDK reloads the project before some calls).
func (s *Server) projectGet(x *exchange, proj string) {
	s.mu.Lock()
	p, err := s.projectLocked(proj)
	s.mu.Unlock()
	if err != nil {
		x.fail(err)
		return
	}
	h := x.w.Header()
	h.Set("x-odps-owner", "ALIYUN$"+s.opt.accessID)
	h.Set("x-odps-creation-time", gmt(p.created))
	h.Set("Last-Modified", gmt(p.created))
	x.replyXML(struct {
		XMLName            xml.Name `xml:"Project"`
		Name               string   `xml:"Name"`
		Type               string   `xml:"Type"`
		Comment            string   `xml:"Comment"`
		State              string   `xml:"State"`
		ProjectGroupName   string   `xml:"ProjectGroupName"`
		Properties         string   `xml:"Properties"`
		ExtendedProperties string   `xml:"ExtendedProperties"`
	}{Name: p.name, Type: "managed", State: "AVAILABLE"})
}

func (s *Server) projectLocked(name string) (*project, *apiError) {
	p := s.projects[strings.ToLower(name)]
	if p == nil {
		return nil, errorf(http.StatusNotFound, "NoSuchProject", "project %s does not exist", name)
	}
	return p, nil
}

func (s *Server) tableLocked(proj, name string) (*project, *table, *apiError) {
	p, err := s.projectLocked(proj)
	if err != nil {
		return nil, nil, err
	}
	t := p.tables[strings.ToLower(name)]
	if t == nil {
		return p, nil, errorf(http.StatusNotFound, "NoSuchTable", "table %s.%s does not exist", p.name, name)
	}
	return p, t, nil
}

// ctxDone reports whether the request's client has gone.
func ctxDone(ctx context.Context) bool { return ctx.Err() != nil }
