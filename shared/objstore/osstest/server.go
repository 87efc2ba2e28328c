package osstest

import (
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Op names an OSS API operation, for fault injection and statistics.
type Op string

// The operations the server implements.
const (
	OpPutBucket           Op = "PutBucket"
	OpGetBucketVersioning Op = "GetBucketVersioning"
	OpPutBucketVersioning Op = "PutBucketVersioning"
	OpListObjectsV2       Op = "ListObjectsV2"
	OpPutObject           Op = "PutObject"
	OpAppendObject        Op = "AppendObject"
	OpGetObject           Op = "GetObject"
	OpHeadObject          Op = "HeadObject"
	OpGetObjectMeta       Op = "GetObjectMeta"
	OpDeleteObject        Op = "DeleteObject"

	OpInitiateMultipartUpload Op = "InitiateMultipartUpload"
	OpUploadPart              Op = "UploadPart"
	OpUploadPartCopy          Op = "UploadPartCopy"
	OpCompleteMultipartUpload Op = "CompleteMultipartUpload"
	OpAbortMultipartUpload    Op = "AbortMultipartUpload"
)

// Credentials are the keys the server accepts. With a SecurityToken the server plays STS
// credentials: every request must carry exactly that token.
type Credentials struct {
	AccessKeyID, AccessKeySecret, SecurityToken string
}

// String hides the keys.
func (c Credentials) String() string { return "osstest.Credentials(hidden)" }

// DefaultRegion is the region a server signs for unless WithRegion says otherwise.
const DefaultRegion = "cn-hangzhou"

// maxObjectSize bounds a PUT or append body (OSS allows 5 GiB; a test server needs less).
const maxObjectSize = 256 << 20

// maxSkew is how far a request's x-oss-date may be from the server's clock (OSS: 15 minutes).
const maxSkew = 15 * time.Minute

type config struct {
	region  string
	creds   Credentials
	buckets []string
	now     func() time.Time
}

// Option configures a Server.
type Option func(*config)

// WithRegion sets the region requests must be signed for (default DefaultRegion).
func WithRegion(region string) Option { return func(c *config) { c.region = region } }

// WithCredentials sets the keys the server accepts (default: random keys, see
// Server.Credentials). A non-empty SecurityToken makes every request need it.
func WithCredentials(creds Credentials) Option { return func(c *config) { c.creds = creds } }

// WithBucket creates buckets at start.
func WithBucket(names ...string) Option {
	return func(c *config) { c.buckets = append(c.buckets, names...) }
}

// WithClock sets the server's clock (default time.Now), against which request times are checked.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// Server is a running OSS-protocol test server. It is safe for concurrent use.
type Server struct {
	url    string
	region string
	creds  Credentials
	now    func() time.Time
	srv    *http.Server
	ln     net.Listener
	done   chan struct{}
	once   sync.Once
	id     string // makes continuation tokens of this server recognisable
	reqSeq atomic.Uint64

	mu      sync.Mutex
	buckets map[string]*bucket
	faults  faults
	stats   Stats
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

// Start starts a server on a free port of 127.0.0.1. Close stops it.
func Start(opts ...Option) (*Server, error) {
	cfg := config{region: DefaultRegion, now: time.Now}
	for _, opt := range opts {
		opt(&cfg)
	}
	if cfg.creds.AccessKeyID == "" {
		cfg.creds.AccessKeyID = "LTAItest" + randomHex(8)
	}
	if cfg.creds.AccessKeySecret == "" {
		cfg.creds.AccessKeySecret = randomHex(15)
	}
	if cfg.region == "" {
		return nil, errors.New("osstest: empty region")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("osstest: listen: %w", err)
	}
	s := &Server{
		url:     "http://" + ln.Addr().String(),
		region:  cfg.region,
		creds:   cfg.creds,
		now:     cfg.now,
		ln:      ln,
		done:    make(chan struct{}),
		id:      randomHex(4),
		buckets: make(map[string]*bucket),
	}
	s.faults.init()
	for _, b := range cfg.buckets {
		if err := s.CreateBucket(b); err != nil {
			_ = ln.Close()
			return nil, err
		}
	}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server, cutting open connections and releasing held replies.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.done)
		_ = s.srv.Close()
	})
}

// URL returns the endpoint, "http://127.0.0.1:<port>".
func (s *Server) URL() string { return s.url }

// Region returns the region requests must be signed for.
func (s *Server) Region() string { return s.region }

// Credentials returns the keys the server accepts.
func (s *Server) Credentials() Credentials { return s.creds }

// CreateBucket creates an empty bucket; creating an existing bucket is an error.
func (s *Server) CreateBucket(name string) error {
	if !validBucketName(name) {
		return fmt.Errorf("osstest: invalid bucket name %q", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.buckets[name]; ok {
		return fmt.Errorf("osstest: bucket %q exists", name)
	}
	s.buckets[name] = newBucket()
	return nil
}

// SetVersioning sets a bucket's versioning status, "Enabled" or "Suspended". As on OSS there is
// no way back to never-versioned, and forbid-overwrite stops working.
func (s *Server) SetVersioning(bucketName, status string) error {
	if status != "Enabled" && status != "Suspended" {
		return fmt.Errorf("osstest: versioning status %q: want Enabled or Suspended", status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[bucketName]
	if !ok {
		return fmt.Errorf("osstest: no bucket %q", bucketName)
	}
	b.versioning = status
	return nil
}

// Object returns a copy of an object's bytes, bypassing the protocol.
func (s *Server) Object(bucketName, key string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[bucketName]
	if !ok {
		return nil, false
	}
	o, ok := b.objs[key]
	if !ok {
		return nil, false
	}
	return append([]byte{}, o.data...), true
}

// Uploads returns the keys of a bucket's multipart uploads that are neither completed nor
// aborted, one entry per upload, in lexical order.
func (s *Server) Uploads(bucketName string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[bucketName]
	if !ok {
		return nil
	}
	var keys []string
	for _, u := range b.uploads {
		keys = append(keys, u.key)
	}
	slices.Sort(keys)
	return keys
}

// Keys returns the keys of a bucket that start with prefix, in lexical order.
func (s *Server) Keys(bucketName, prefix string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[bucketName]
	if !ok {
		return nil
	}
	var keys []string
	for i := b.search(prefix); i < len(b.keys) && strings.HasPrefix(b.keys[i], prefix); i++ {
		keys = append(keys, b.keys[i])
	}
	return keys
}

// Stats counts what the server saw. Requests counts authenticated requests by operation;
// Rejected counts requests refused before they reached an operation (bad or missing signature,
// unknown key, wrong token, skewed clock); Failed, Lost and Slowed count injected faults.
type Stats struct {
	Requests map[Op]int
	Rejected int
	Failed   int
	Lost     int
	Slowed   int
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Requests = make(map[Op]int, len(s.stats.Requests))
	for k, v := range s.stats.Requests {
		st.Requests[k] = v
	}
	return st
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := s.requestID()
	rep := s.serve(r, reqID)
	if rep.fault.lose {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close() // the request was applied; its reply is lost
				return
			}
		}
		panic(http.ErrAbortHandler) // aborts the connection without a reply
	}
	if d := rep.fault.delay; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
		case <-s.done:
		}
		t.Stop()
	}
	h := w.Header()
	for k, vs := range rep.header {
		h[k] = vs
	}
	h.Set("x-oss-request-id", reqID)
	h.Set("Server", "AliyunOSS")
	h.Set("Date", s.now().UTC().Format(http.TimeFormat))
	if h.Get("Content-Length") == "" {
		h.Set("Content-Length", fmt.Sprint(len(rep.body)))
	}
	w.WriteHeader(rep.status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(rep.body)
	}
}

// reply is a response built before it is sent, so a fault can drop or hold it.
type reply struct {
	status int
	header http.Header
	body   []byte
	fault  action
}

func (s *Server) serve(r *http.Request, reqID string) *reply {
	target, oerr := parseTarget(r)
	if oerr != nil {
		return s.errorReply(r, reqID, "", "", oerr)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxObjectSize+1))
	if err != nil {
		return s.errorReply(r, reqID, target.bucket, target.key, &ossError{status: 400, code: "IncompleteBody", message: "The request body could not be read."})
	}
	if len(body) > maxObjectSize {
		return s.errorReply(r, reqID, target.bucket, target.key, &ossError{status: 400, code: "EntityTooLarge", message: "Your proposed upload exceeds the maximum allowed size."})
	}
	if oerr := s.authenticate(r, target, body, s.now()); oerr != nil {
		s.mu.Lock()
		s.stats.Rejected++
		s.mu.Unlock()
		return s.errorReply(r, reqID, target.bucket, target.key, oerr)
	}
	if target.op == "" {
		return s.errorReply(r, reqID, target.bucket, target.key, &ossError{status: 501, code: "NotImplemented", message: "This operation is not implemented by the test server."})
	}
	if oerr := checkContentMD5(r, body); oerr != nil {
		return s.errorReply(r, reqID, target.bucket, target.key, oerr)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stats.Requests == nil {
		s.stats.Requests = make(map[Op]int)
	}
	s.stats.Requests[target.op]++
	act := s.faults.next(target.op)
	switch {
	case act.status != 0:
		s.stats.Failed++
		return s.errorReply(r, reqID, target.bucket, target.key, &ossError{status: act.status, code: statusCode(act.status), message: "Injected fault: the request was not applied."})
	case act.lose:
		s.stats.Lost++
	case act.delay > 0:
		s.stats.Slowed++
	}
	rep, oerr := s.apply(r, target, body)
	if oerr != nil {
		rep = s.errorReply(r, reqID, target.bucket, target.key, oerr)
	}
	rep.fault = act
	return rep
}

func statusCode(status int) string {
	switch status {
	case 503:
		return "ServiceUnavailable"
	default:
		return "InternalError"
	}
}

// apply runs the operation; the caller holds s.mu.
func (s *Server) apply(r *http.Request, t target, body []byte) (*reply, *ossError) {
	if t.op == OpPutBucket {
		if _, ok := s.buckets[t.bucket]; ok {
			return nil, &ossError{status: 409, code: "BucketAlreadyExists", message: "The requested bucket name is not available."}
		}
		s.buckets[t.bucket] = newBucket()
		return &reply{status: 200}, nil
	}
	b, ok := s.buckets[t.bucket]
	if !ok {
		return nil, &ossError{status: 404, code: "NoSuchBucket", message: "The specified bucket does not exist.", extra: []elem{{"BucketName", t.bucket}}}
	}
	// OSS keeps times to the second: LastModified in XML is always ...T12:34:56.000Z (oss2
	// refuses anything else), and Last-Modified agrees with it.
	now := s.now().UTC().Truncate(time.Second)
	switch t.op {
	case OpGetBucketVersioning:
		return b.getVersioning(), nil
	case OpPutBucketVersioning:
		return b.putVersioning(body)
	case OpListObjectsV2:
		return b.list(r.URL.Query(), t.bucket, s.id)
	case OpPutObject:
		return b.put(r, t.key, body, now)
	case OpAppendObject:
		return b.append(r, t.key, body, now)
	case OpGetObject, OpHeadObject:
		return b.get(r, t.key)
	case OpGetObjectMeta:
		return b.meta(t.key)
	case OpDeleteObject:
		b.delete(t.key)
		return &reply{status: 204}, nil
	case OpInitiateMultipartUpload:
		return b.initiate(r, t.bucket, t.key)
	case OpUploadPart:
		return b.uploadPart(r, t.key, body)
	case OpUploadPartCopy:
		return s.uploadPartCopy(r, b, t.key, now)
	case OpCompleteMultipartUpload:
		return b.complete(r, t.bucket, t.key, body, now)
	case OpAbortMultipartUpload:
		return b.abort(r, t.key)
	}
	return nil, &ossError{status: 501, code: "NotImplemented", message: "This operation is not implemented by the test server."}
}

// target is what a request addresses.
type target struct {
	bucket, key string
	op          Op // "" when not implemented
}

// parseTarget splits the path-style URL and names the operation.
func parseTarget(r *http.Request) (target, *ossError) {
	p := r.URL.Path
	if !strings.HasPrefix(p, "/") || p == "/" {
		return target{}, &ossError{status: 501, code: "NotImplemented", message: "Service-level operations and virtual-hosted addressing are not implemented by the test server: use path style."}
	}
	bucketName, key, _ := strings.Cut(p[1:], "/")
	if !validBucketName(bucketName) {
		return target{}, &ossError{status: 400, code: "InvalidBucketName", message: "The specified bucket is not valid.", extra: []elem{{"BucketName", bucketName}}}
	}
	if len(key) > 1023 {
		return target{}, &ossError{status: 400, code: "KeyTooLong", message: "Your key is too long."}
	}
	t := target{bucket: bucketName, key: key}
	q := r.URL.Query()
	if key == "" {
		switch {
		case r.Method == http.MethodGet && q.Has("versioning"):
			t.op = OpGetBucketVersioning
		case r.Method == http.MethodPut && q.Has("versioning"):
			t.op = OpPutBucketVersioning
		case r.Method == http.MethodGet && q.Get("list-type") == "2" && !hasSubresource(q):
			t.op = OpListObjectsV2
		case r.Method == http.MethodPut && len(q) == 0:
			t.op = OpPutBucket
		}
		return t, nil
	}
	if r.Header.Get("If-Match") != "" || r.Header.Get("If-None-Match") != "" ||
		r.Header.Get("If-Modified-Since") != "" || r.Header.Get("If-Unmodified-Since") != "" ||
		(r.Header.Get("Range") != "" && r.Method != http.MethodGet) {
		return t, nil // conditional requests and ranged HEADs: not implemented
	}
	copySource := r.Header.Get("x-oss-copy-source") != ""
	switch {
	case r.Method == http.MethodPut && q.Has("partNumber") && q.Has("uploadId") && !hasSubresource(q, "partNumber", "uploadId"):
		t.op = OpUploadPart
		if copySource {
			t.op = OpUploadPartCopy
			for _, h := range []string{"x-oss-copy-source-if-none-match", "x-oss-copy-source-if-modified-since", "x-oss-copy-source-if-unmodified-since"} {
				if r.Header.Get(h) != "" {
					t.op = "" // not implemented
				}
			}
		}
	case r.Method == http.MethodPost && q.Has("uploads") && !hasSubresource(q, "uploads"):
		t.op = OpInitiateMultipartUpload
	case r.Method == http.MethodPost && q.Has("uploadId") && !hasSubresource(q, "uploadId") && r.Header.Get("x-oss-complete-all") == "":
		t.op = OpCompleteMultipartUpload
	case r.Method == http.MethodDelete && q.Has("uploadId") && !hasSubresource(q, "uploadId"):
		t.op = OpAbortMultipartUpload
	case r.Method == http.MethodPut && !hasSubresource(q) && !copySource: // with a copy source: CopyObject
		t.op = OpPutObject
	case r.Method == http.MethodPost && q.Has("append") && !hasSubresource(q, "append", "position"):
		t.op = OpAppendObject
	case r.Method == http.MethodGet && !hasSubresource(q):
		t.op = OpGetObject
	case r.Method == http.MethodHead && !hasSubresource(q):
		t.op = OpHeadObject
	case r.Method == http.MethodHead && q.Has("objectMeta") && !hasSubresource(q, "objectMeta"):
		t.op = OpGetObjectMeta // what oss2's object_exists and the v2 SDKs' IsObjectExist ask
	case r.Method == http.MethodDelete && !hasSubresource(q):
		t.op = OpDeleteObject
	}
	return t, nil
}

// plainParams are query parameters that are not sub-resources.
var plainParams = map[string]bool{
	"list-type": true, "prefix": true, "delimiter": true, "start-after": true, "continuation-token": true,
	"max-keys": true, "encoding-type": true, "fetch-owner": true,
	"response-content-type": true, "response-content-language": true, "response-expires": true,
	"response-cache-control": true, "response-content-disposition": true, "response-content-encoding": true,
}

// hasSubresource reports whether q names a sub-resource other than the allowed ones.
func hasSubresource(q map[string][]string, allowed ...string) bool {
	for k := range q {
		if plainParams[k] {
			continue
		}
		ok := false
		for _, a := range allowed {
			ok = ok || a == k
		}
		if !ok {
			return true
		}
	}
	return false
}

// validBucketName follows OSS's rules: 3 to 63 lowercase letters, digits and hyphens, starting
// and ending with a letter or digit.
func validBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 || name[0] == '-' || name[len(name)-1] == '-' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func (s *Server) requestID() string {
	return fmt.Sprintf("%s%016X", strings.ToUpper(s.id), s.reqSeq.Add(1))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = crand.Read(b)
	return hex.EncodeToString(b)
}
