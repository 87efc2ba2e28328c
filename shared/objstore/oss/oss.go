package oss

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc64"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	osssdk "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/retry"

	"github.com/fcsync/fcsync/shared/objstore"
)

// ErrVersioned is wrapped by CheckVersioning's error for a bucket whose versioning is Enabled or
// Suspended: forbid-overwrite does not work there, so create-if-absent would silently overwrite.
var ErrVersioned = errors.New("bucket has versioning: create-if-absent (x-oss-forbid-overwrite) does not work on it")

// ErrMaybeWritten is wrapped by CreateIfAbsent's error when an earlier attempt of the same call
// may have written the object (its reply was lost or was a 5xx). With objstore.ErrExists it
// means the object found may be this call's own.
var ErrMaybeWritten = errors.New("an attempt whose reply was lost may have written the object")

// Credentials are the keys that sign one request. Token is the STS security token, empty for
// long-term keys.
type Credentials struct {
	ID, Secret, Token string
}

// String hides the keys.
func (c Credentials) String() string {
	if c.ID == "" {
		return "oss.Credentials(none)"
	}
	return "oss.Credentials(set)"
}

// Config says where the objects live and how to sign requests.
type Config struct {
	Bucket string
	// Prefix is the folder the store's keys live under ("" for the bucket root). Leading and
	// trailing slashes are ignored; the rest follows objstore.ValidKey.
	Prefix string
	// Endpoint is the OSS endpoint, such as "oss-cn-hangzhou.aliyuncs.com" or a URL with a scheme
	// (https unless given). Empty: the region's public endpoint, or its internal one with Internal.
	Endpoint string
	// Region is the region requests are signed for (V4 signatures need it), such as "cn-hangzhou".
	Region string
	// Internal picks the region's internal (VPC) endpoint when Endpoint is empty.
	Internal bool
	// PathStyle addresses buckets as host/bucket/key: only local test servers need it (an IP
	// endpoint uses it anyway). Real OSS is virtual-hosted only.
	PathStyle bool
	// Credentials is called for every request attempt with the request's context. It must not
	// return empty keys.
	Credentials func(ctx context.Context) (Credentials, error)
}

// Defaults for the retries of one request.
const (
	DefaultMaxAttempts = 3
	DefaultBaseDelay   = 200 * time.Millisecond
	DefaultMaxBackoff  = 20 * time.Second
)

// maxListPage is OSS's largest ListObjectsV2 page.
const maxListPage = 1000

type options struct {
	maxAttempts         int
	baseDelay, maxDelay time.Duration
	httpClient          *http.Client
}

// Option configures a Store.
type Option func(*options)

// WithMaxAttempts sets how many times one request is tried (default DefaultMaxAttempts; 1 turns
// retries off).
func WithMaxAttempts(n int) Option { return func(o *options) { o.maxAttempts = n } }

// WithBackoff sets the retry delay: full jitter on base·2^attempt, at most max (defaults
// DefaultBaseDelay, DefaultMaxBackoff).
func WithBackoff(base, max time.Duration) Option {
	return func(o *options) { o.baseDelay, o.maxDelay = base, max }
}

// WithHTTPClient sets the HTTP client (default: the SDK's, with its connect and read-write
// timeouts).
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.httpClient = c } }

// Store is an objstore.Store on one OSS bucket and prefix. It is safe for concurrent use.
type Store struct {
	client  *osssdk.Client
	bucket  string
	prefix  string // "" or ending in "/"
	creds   func(context.Context) (Credentials, error)
	retryer retry.Retryer
	noRetry func(*osssdk.Options)
}

var (
	_ objstore.Store = (*Store)(nil)
	_ objstore.Sizer = (*Store)(nil)
)

// New returns a Store. It checks the configuration but makes no request; call CheckVersioning
// at start-up.
func New(cfg Config, opts ...Option) (*Store, error) {
	o := options{maxAttempts: DefaultMaxAttempts, baseDelay: DefaultBaseDelay, maxDelay: DefaultMaxBackoff}
	for _, opt := range opts {
		opt(&o)
	}
	switch {
	case cfg.Bucket == "":
		return nil, errors.New("oss: no bucket")
	case !osssdk.IsValidBucketName(&cfg.Bucket):
		return nil, fmt.Errorf("oss: bucket %q: not a valid bucket name", cfg.Bucket)
	case cfg.Region == "":
		return nil, fmt.Errorf("oss: bucket %q: no region (V4 signatures need it)", cfg.Bucket)
	case cfg.Credentials == nil:
		return nil, fmt.Errorf("oss: bucket %q: no credentials function", cfg.Bucket)
	case o.maxAttempts < 1:
		return nil, fmt.Errorf("oss: bucket %q: max attempts %d: must be at least 1", cfg.Bucket, o.maxAttempts)
	case o.baseDelay <= 0 || o.maxDelay < o.baseDelay:
		return nil, fmt.Errorf("oss: bucket %q: backoff %v..%v: want 0 < base <= max", cfg.Bucket, o.baseDelay, o.maxDelay)
	}
	prefix := strings.Trim(cfg.Prefix, "/")
	if prefix != "" {
		if err := objstore.ValidKey(prefix); err != nil {
			return nil, fmt.Errorf("oss: bucket %q: prefix: %w", cfg.Bucket, err)
		}
		prefix += "/"
	}
	s := &Store{bucket: cfg.Bucket, prefix: prefix, creds: cfg.Credentials}
	s.retryer = retry.NewStandard(func(ro *retry.RetryOptions) {
		ro.MaxAttempts, ro.BaseDelay, ro.MaxBackoff = o.maxAttempts, o.baseDelay, o.maxDelay
	})
	s.noRetry = func(so *osssdk.Options) { so.Retryer = retry.NopRetryer{}; so.RetryMaxAttempts = osssdk.Ptr(1) }

	sc := osssdk.LoadDefaultConfig().
		WithRegion(cfg.Region).
		WithRetryer(s.retryer).
		WithRetryMaxAttempts(o.maxAttempts).
		WithCredentialsProvider(credentials.CredentialsProviderFunc(s.credentials))
	if cfg.Endpoint != "" {
		sc = sc.WithEndpoint(cfg.Endpoint)
	} else if cfg.Internal {
		sc = sc.WithUseInternalEndpoint(true)
	}
	if cfg.PathStyle {
		sc = sc.WithUsePathStyle(true)
	}
	if o.httpClient != nil {
		sc = sc.WithHttpClient(o.httpClient)
	}
	s.client = osssdk.NewClient(sc)
	return s, nil
}

// String returns "oss://bucket/prefix".
func (s *Store) String() string { return "oss://" + s.bucket + "/" + strings.TrimSuffix(s.prefix, "/") }

// secretsKey finds, in a request's context, where the credentials function records the secrets it
// handed out, so that errors can redact them.
type secretsKey struct{}

type secrets struct {
	mu   sync.Mutex
	list []string
}

func (ss *secrets) add(vs ...string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for _, v := range vs {
		if v != "" {
			ss.list = append(ss.list, v)
		}
	}
}

func (ss *secrets) redact(text string) string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for _, v := range ss.list {
		text = strings.ReplaceAll(text, v, "[REDACTED]")
	}
	return text
}

// credentials is the SDK's credentials provider: the configured function, per request attempt.
func (s *Store) credentials(ctx context.Context) (credentials.Credentials, error) {
	c, err := s.creds(ctx)
	ss, _ := ctx.Value(secretsKey{}).(*secrets)
	if ss != nil {
		ss.add(c.Secret, c.Token)
	}
	if err != nil {
		return credentials.Credentials{}, fmt.Errorf("credentials: %w", err)
	}
	if c.ID == "" || c.Secret == "" {
		return credentials.Credentials{}, errors.New("credentials: no AccessKey ID or secret")
	}
	return credentials.Credentials{AccessKeyID: c.ID, AccessKeySecret: c.Secret, SecurityToken: c.Token}, nil
}

// call prepares one operation: it validates the key and the context and returns the context that
// collects the secrets to redact.
func (s *Store) call(ctx context.Context, op, key string) (context.Context, *secrets, string, error) {
	full, kerr := s.fullKey(op, key)
	if kerr != nil {
		return nil, nil, "", kerr
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, "", &Error{Op: op, Bucket: s.bucket, Key: full, detail: err.Error(), cause: err}
	}
	ss := &secrets{}
	return context.WithValue(ctx, secretsKey{}, ss), ss, full, nil
}

// fullKey validates key and returns the object's name with the store's prefix.
func (s *Store) fullKey(op, key string) (string, *Error) {
	if err := objstore.ValidKey(key); err != nil {
		return "", &Error{Op: op, Bucket: s.bucket, Key: s.prefix, detail: err.Error(), cause: err}
	}
	full := s.prefix + key
	if len(full) > objstore.MaxKeyLen {
		err := fmt.Errorf("%w: %d bytes with the store's prefix, longer than %d", objstore.ErrInvalidKey, len(full), objstore.MaxKeyLen)
		return "", &Error{Op: op, Bucket: s.bucket, Key: s.prefix + "…", detail: err.Error(), cause: err}
	}
	return full, nil
}

// fail builds the error of a failed request; sentinels are added to what errors.Is finds.
func (s *Store) fail(op, key string, ss *secrets, cause error, sentinels ...error) *Error {
	e := &Error{Op: op, Bucket: s.bucket, Key: key, sentinels: sentinels, cause: cause}
	var se *osssdk.ServiceError
	if errors.As(cause, &se) {
		e.Status, e.Code, e.RequestID = se.StatusCode, se.Code, se.RequestID
		e.detail = se.Message
	} else {
		e.detail = cause.Error()
	}
	if ss != nil {
		e.detail = ss.redact(e.detail)
	}
	return e
}

func serviceError(err error) *osssdk.ServiceError {
	var se *osssdk.ServiceError
	if errors.As(err, &se) {
		return se
	}
	return nil
}

func isCode(err error, status int, code string) bool {
	se := serviceError(err)
	return se != nil && se.StatusCode == status && se.Code == code
}

// Get implements objstore.Store. A body that breaks off or fails its CRC-64 check is read again.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	ctx, ss, full, err := s.call(ctx, "get", key)
	if err != nil {
		return nil, err
	}
	var last error
	for attempt := 1; attempt <= s.retryer.MaxAttempts(); attempt++ {
		if attempt > 1 {
			if err := s.sleep(ctx, attempt, last); err != nil {
				return nil, s.fail("get", full, ss, err)
			}
		}
		res, err := s.client.GetObject(ctx, &osssdk.GetObjectRequest{Bucket: &s.bucket, Key: &full})
		if err != nil {
			if isCode(err, 404, "NoSuchKey") {
				return nil, s.fail("get", full, ss, err, objstore.ErrNotFound)
			}
			return nil, s.fail("get", full, ss, err)
		}
		data, err := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if err == nil {
			err = checkCRC(data, res.HashCRC64)
		}
		if err == nil {
			return data, nil
		}
		if ctx.Err() != nil {
			return nil, s.fail("get", full, ss, ctx.Err())
		}
		last = fmt.Errorf("reading the body: %w", err)
	}
	return nil, s.fail("get", full, ss, last)
}

// Size implements objstore.Sizer with a HeadObject (retried by the SDK): the object's
// Content-Length, without its bytes.
func (s *Store) Size(ctx context.Context, key string) (int64, error) {
	ctx, ss, full, err := s.call(ctx, "size", key)
	if err != nil {
		return 0, err
	}
	res, err := s.client.HeadObject(ctx, &osssdk.HeadObjectRequest{Bucket: &s.bucket, Key: &full})
	switch {
	case isCode(err, 404, "NoSuchKey"):
		return 0, s.fail("size", full, ss, err, objstore.ErrNotFound)
	case err != nil:
		return 0, s.fail("size", full, ss, err)
	case res.Headers.Get("Content-Length") == "" || res.ContentLength < 0:
		return 0, s.fail("size", full, ss, fmt.Errorf("Content-Length %q in the reply: want a length", res.Headers.Get("Content-Length")))
	}
	return res.ContentLength, nil
}

var crcTable = crc64.MakeTable(crc64.ECMA)

func checkCRC(data []byte, header *string) error {
	if header == nil || *header == "" {
		return nil
	}
	want, err := strconv.ParseUint(*header, 10, 64)
	if err != nil {
		return nil // not a CRC we can check
	}
	if got := crc64.Checksum(data, crcTable); got != want {
		return fmt.Errorf("crc is inconsistent: body %d, x-oss-hash-crc64ecma %d", got, want)
	}
	return nil
}

// Put implements objstore.Store.
func (s *Store) Put(ctx context.Context, key string, data []byte) error {
	ctx, ss, full, err := s.call(ctx, "put", key)
	if err != nil {
		return err
	}
	if _, err := s.client.PutObject(ctx, &osssdk.PutObjectRequest{Bucket: &s.bucket, Key: &full, Body: bytes.NewReader(data)}); err != nil {
		return s.fail("put", full, ss, err)
	}
	return nil
}

// CreateIfAbsent implements objstore.Store; see the package documentation for what a lost reply
// does to it.
func (s *Store) CreateIfAbsent(ctx context.Context, key string, data []byte) error {
	ctx, ss, full, err := s.call(ctx, "create", key)
	if err != nil {
		return err
	}
	var sentinels []error // ErrMaybeWritten once an attempt's outcome is unknown
	var last error
	for attempt := 1; attempt <= s.retryer.MaxAttempts(); attempt++ {
		if attempt > 1 {
			if err := s.sleep(ctx, attempt, last); err != nil {
				return s.fail("create", full, ss, err, sentinels...)
			}
		}
		_, err := s.client.PutObject(ctx, &osssdk.PutObjectRequest{Bucket: &s.bucket, Key: &full,
			ForbidOverwrite: osssdk.Ptr("true"), Body: bytes.NewReader(data)}, s.noRetry)
		if err == nil {
			return nil
		}
		if isCode(err, 409, "FileAlreadyExists") {
			return s.fail("create", full, ss, err, append(sentinels, objstore.ErrExists)...)
		}
		if ctx.Err() != nil {
			// The request may have been on its way.
			return s.fail("create", full, ss, err, ErrMaybeWritten)
		}
		if !s.retryable(err) {
			return s.fail("create", full, ss, err, sentinels...)
		}
		if se := serviceError(err); se == nil || se.StatusCode >= 500 {
			sentinels = []error{ErrMaybeWritten}
		}
		last = err
	}
	return s.fail("create", full, ss, last, sentinels...)
}

// retryable asks the retryer about the error the SDK's own retry loop would see: the one inside
// the SDK's OperationError.
func (s *Store) retryable(err error) bool {
	var oe *osssdk.OperationError
	if errors.As(err, &oe) && oe.Unwrap() != nil {
		err = oe.Unwrap()
	}
	return s.retryer.IsErrorRetryable(err)
}

func (s *Store) sleep(ctx context.Context, attempt int, last error) error {
	d, err := s.retryer.RetryDelay(attempt, last)
	if err != nil {
		return err
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// List implements objstore.Store with ListObjectsV2: start-after for `after`, continuation tokens
// within one call. A limit above 1000 (OSS's largest page) may return fewer keys, with next set.
// Objects whose names are not valid keys (written by other tools) are skipped.
func (s *Store) List(ctx context.Context, prefix, after string, limit int) ([]string, string, error) {
	if err := objstore.ValidPrefix(prefix); err != nil {
		return nil, "", &Error{Op: "list", Bucket: s.bucket, Key: s.prefix, detail: err.Error(), cause: err}
	}
	full := s.prefix + prefix
	if err := ctx.Err(); err != nil {
		return nil, "", &Error{Op: "list", Bucket: s.bucket, Key: full, detail: err.Error(), cause: err}
	}
	ss := &secrets{}
	ctx = context.WithValue(ctx, secretsKey{}, ss)
	if limit <= 0 {
		limit = objstore.DefaultListLimit
	}
	limit = min(limit, maxListPage)
	req := &osssdk.ListObjectsV2Request{Bucket: &s.bucket, Prefix: &full, MaxKeys: int32(limit)}
	if after != "" {
		req.StartAfter = osssdk.Ptr(s.prefix + after)
	}
	var keys []string
	for {
		res, err := s.client.ListObjectsV2(ctx, req)
		if err != nil {
			return nil, "", s.fail("list", full, ss, err)
		}
		for _, o := range res.Contents {
			k, ok := strings.CutPrefix(osssdk.ToString(o.Key), s.prefix)
			if !ok || objstore.ValidKey(k) != nil || k <= after {
				continue
			}
			keys = append(keys, k)
		}
		if !res.IsTruncated {
			return keys, "", nil
		}
		if len(keys) >= limit {
			keys = keys[:limit]
			return keys, keys[len(keys)-1], nil
		}
		if res.NextContinuationToken == nil || *res.NextContinuationToken == "" {
			return nil, "", s.fail("list", full, ss, errors.New("a truncated page without a continuation token"))
		}
		req.StartAfter = nil
		req.ContinuationToken = res.NextContinuationToken
		req.MaxKeys = int32(limit - len(keys))
	}
}

// Delete implements objstore.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	ctx, ss, full, err := s.call(ctx, "delete", key)
	if err != nil {
		return err
	}
	if _, err := s.client.DeleteObject(ctx, &osssdk.DeleteObjectRequest{Bucket: &s.bucket, Key: &full}); err != nil && !isCode(err, 404, "NoSuchKey") {
		return s.fail("delete", full, ss, err)
	}
	return nil
}

// CheckVersioning refuses, with an error wrapping ErrVersioned, a bucket whose versioning is
// Enabled or Suspended (create-if-absent does not work there). It is also the start-up check that
// the bucket, endpoint, region and credentials work: it fails with OSS's answer if they do not.
// The credentials need oss:GetBucketVersioning on the bucket.
func (s *Store) CheckVersioning(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return &Error{Op: "check versioning", Bucket: s.bucket, detail: err.Error(), cause: err}
	}
	ss := &secrets{}
	ctx = context.WithValue(ctx, secretsKey{}, ss)
	res, err := s.client.GetBucketVersioning(ctx, &osssdk.GetBucketVersioningRequest{Bucket: &s.bucket})
	if err != nil {
		return s.fail("check versioning", "", ss, err)
	}
	if st := osssdk.ToString(res.VersionStatus); st != "" {
		return &Error{Op: "check versioning", Bucket: s.bucket,
			detail:    fmt.Sprintf("versioning is %s; keep fcsync's objects in a bucket that never had versioning", st),
			sentinels: []error{ErrVersioned}}
	}
	return nil
}

// Error is a failed store operation.
type Error struct {
	Op        string // "get", "get range", "size", "put", "put with prefix", "create", "list", "delete", "check versioning"
	Bucket    string
	Key       string // the object key (with the store's prefix), or the listed prefix
	Status    int    // HTTP status, when OSS answered
	Code      string // OSS error code, when OSS answered
	RequestID string // OSS request id, when OSS answered
	at        string // the step or the other object that failed, when the operation has several
	detail    string // redacted
	sentinels []error
	cause     error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("oss: " + e.Op + " oss://" + e.Bucket + "/" + e.Key + ": ")
	if e.at != "" {
		b.WriteString(e.at + ": ")
	}
	for _, s := range e.sentinels {
		b.WriteString(s.Error() + ": ")
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, "%d %s: ", e.Status, e.Code)
	}
	b.WriteString(e.detail)
	if e.RequestID != "" {
		b.WriteString(" (request id " + e.RequestID + ")")
	}
	return b.String()
}

// Unwrap returns the sentinels (objstore.ErrNotFound, objstore.ErrExists, objstore.ErrShortSource,
// ErrMaybeWritten, ErrVersioned, objstore.ErrInvalidKey) and the cause.
func (e *Error) Unwrap() []error {
	if e.cause == nil {
		return e.sentinels
	}
	return append(e.sentinels[:len(e.sentinels):len(e.sentinels)], e.cause)
}
