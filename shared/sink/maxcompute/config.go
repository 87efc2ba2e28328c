package maxcompute

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aliyun/aliyun-odps-go-sdk/odps/account"
	"github.com/aliyun/aliyun-odps-go-sdk/odps/tunnel"

	"github.com/fcsync/fcsync/shared/schema"
)

// Codec is the compression of tunnel blocks. Compression is on unless a job's writer asks for
// none (DataWorks' compress: false): without it the SDK writes every varint into the HTTP pipe
// on its own and throughput drops about 20 times.
type Codec string

// The codecs.
const (
	CodecSnappy  Codec = "snappy"  // x-snappy-framed: fastest, the default
	CodecDeflate Codec = "deflate" // zlib: smaller blocks, more CPU
	CodecZstd    Codec = "zstd"
	CodecNone    Codec = "none" // uncompressed blocks (an odps writer's compress: false)
)

// ParseCodec reads a codec name (snappy, deflate, zstd or none; "" is snappy).
func ParseCodec(s string) (Codec, error) {
	switch c := Codec(strings.ToLower(strings.TrimSpace(s))); c {
	case "":
		return CodecSnappy, nil
	case CodecSnappy, CodecDeflate, CodecZstd, CodecNone:
		return c, nil
	}
	return "", fmt.Errorf("codec %q: want snappy, deflate, zstd or none", s)
}

// option is the session option of the codec; nil for none (the SDK's default is uncompressed).
func (c Codec) option() tunnel.Option {
	switch c {
	case CodecNone:
		return nil
	case CodecDeflate:
		return tunnel.SessionCfg.WithDefaultDeflateCompressor()
	case CodecZstd:
		return tunnel.SessionCfg.WithDefaultZstdCompressor()
	}
	return tunnel.SessionCfg.WithSnappyFramedCompressor()
}

// Credentials are an access key, with a security token when it is an STS key. String and
// GoString hide the secret and the token, so credentials never reach logs or errors.
type Credentials struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
}

// String shows the key id's last four characters and whether a secret and a token are set.
func (c Credentials) String() string {
	id := c.AccessKeyID
	if len(id) > 4 {
		id = "..." + id[len(id)-4:]
	}
	return fmt.Sprintf("Credentials{AccessKeyID: %s, secret set: %t, token set: %t}", id, c.AccessKeySecret != "", c.SecurityToken != "")
}

// GoString is String, for %#v.
func (c Credentials) GoString() string { return c.String() }

// Config says where a sink writes.
type Config struct {
	// Endpoint is the MaxCompute endpoint, e.g.
	// https://service.cn-hangzhou.maxcompute.aliyun-inc.com/api (the VPC one from a function).
	Endpoint string
	// TunnelEndpoint is the tunnel endpoint; empty asks the project for it (one request).
	TunnelEndpoint string
	// Project is the MaxCompute project.
	Project string
	// Region, when set, signs requests with the v4 scheme for that region (e.g. cn-hangzhou).
	Region string
	// Credentials sign every request; SetCredentials replaces them (STS keys expire).
	Credentials Credentials
	// Lifecycle is the lifecycle in days of the tables the sink creates when the table's own
	// Lifecycle is 0; 0 leaves them without one. DataWorks generates 36500.
	Lifecycle int
	// Codec compresses blocks (default snappy).
	Codec Codec
}

// validate checks the config and fills defaults.
func (c *Config) validate() error {
	if err := checkURL("endpoint", c.Endpoint); err != nil {
		return err
	}
	if c.TunnelEndpoint != "" {
		if err := checkURL("tunnel endpoint", c.TunnelEndpoint); err != nil {
			return err
		}
	}
	if err := schema.ValidateName(c.Project); err != nil {
		return fmt.Errorf("project: %w", err)
	}
	if c.Credentials.AccessKeyID == "" || c.Credentials.AccessKeySecret == "" {
		return fmt.Errorf("credentials: access key id and secret are required (%s)", c.Credentials)
	}
	if c.Lifecycle < 0 {
		return fmt.Errorf("lifecycle %d: must not be negative", c.Lifecycle)
	}
	codec, err := ParseCodec(string(c.Codec))
	if err != nil {
		return err
	}
	c.Codec = codec
	return nil
}

func checkURL(what, s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s %q: want an http(s) URL", what, s)
	}
	if u.RawQuery != "" || u.User != nil {
		return fmt.Errorf("%s %q: must not carry a query or user info", what, s)
	}
	return nil
}

// signer is the SDK account of a sink: it signs with whatever credentials are current.
type signer struct {
	creds  atomic.Pointer[Credentials]
	region string
}

var _ account.Account = (*signer)(nil)

func (s *signer) GetType() account.Provider {
	if s.creds.Load().SecurityToken != "" {
		return account.STS
	}
	return account.Aliyun
}

func (s *signer) SignRequest(req *http.Request, endpoint string) error {
	c := s.creds.Load()
	var region []string
	if s.region != "" {
		region = []string{s.region}
	}
	if c.SecurityToken != "" {
		return account.NewStsAccount(c.AccessKeyID, c.AccessKeySecret, c.SecurityToken, region...).SignRequest(req, endpoint)
	}
	return account.NewAliyunAccount(c.AccessKeyID, c.AccessKeySecret, region...).SignRequest(req, endpoint)
}

type options struct {
	log               *slog.Logger
	blockBytes        int64
	blockRows         int
	bufferBytes       int64
	attempts          int
	backoff           time.Duration
	maxBackoff        time.Duration
	httpTimeout       time.Duration
	commitConcurrency int
	stateScope        string
	inDoubtAfter      time.Duration
	now               func() time.Time
	userAgent         string
}

// Option changes a sink setting.
type Option func(*options)

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithBlockBytes sets the approximate bytes of row data a partition buffers before it uploads
// them as one tunnel block (default 8 MiB, some 20,000 rows of ten columns). Larger blocks
// make fewer files in MaxCompute and cost memory: a session holds up to WithBufferBytes plus
// one block in flight, and the Go heap grows to about twice what is live.
func WithBlockBytes(n int64) Option { return func(o *options) { o.blockBytes = n } }

// WithBlockRows sets the most rows in one block (default 1,000,000).
func WithBlockRows(n int) Option { return func(o *options) { o.blockRows = n } }

// WithBufferBytes caps the row data a session buffers across all its partitions (default
// 64 MiB): past it, the partition holding the most is uploaded as a block.
func WithBufferBytes(n int64) Option { return func(o *options) { o.bufferBytes = n } }

// WithRetry sets how many times a request that failed with a 5xx, 429 or a network error is
// tried in all (default 4) and the first pause between tries (default 200 ms, doubling up to
// 5 s).
func WithRetry(attempts int, backoff time.Duration) Option {
	return func(o *options) { o.attempts, o.backoff = attempts, backoff }
}

// WithHTTPTimeout bounds each HTTP request, a block upload included (default 5 minutes).
func WithHTTPTimeout(d time.Duration) Option { return func(o *options) { o.httpTimeout = d } }

// WithCommitConcurrency sets how many partitions of a session commit at once (default 4).
func WithCommitConcurrency(n int) Option { return func(o *options) { o.commitConcurrency = n } }

// WithStateScope sets the state log prefix of the sink's commit records (default "maxcompute").
func WithStateScope(scope string) Option { return func(o *options) { o.stateScope = scope } }

// WithClock sets the clock used for commit record times (default time.Now).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

func defaultOptions() options {
	return options{
		log:               slog.Default(),
		blockBytes:        8 << 20,
		blockRows:         1_000_000,
		bufferBytes:       64 << 20,
		attempts:          4,
		backoff:           200 * time.Millisecond,
		maxBackoff:        5 * time.Second,
		httpTimeout:       5 * time.Minute,
		commitConcurrency: 4,
		stateScope:        "maxcompute",
		inDoubtAfter:      20 * time.Hour,
		now:               time.Now,
		userAgent:         "fcsync",
	}
}

func (o *options) validate() error {
	switch {
	case o.blockBytes < 1 || o.blockRows < 1 || o.bufferBytes < 1:
		return fmt.Errorf("block bytes, block rows and buffer bytes must be positive")
	case o.attempts < 1 || o.backoff < 0:
		return fmt.Errorf("retry: attempts must be at least 1 and the backoff not negative")
	case o.httpTimeout <= 0:
		return fmt.Errorf("http timeout must be positive")
	case o.commitConcurrency < 1:
		return fmt.Errorf("commit concurrency must be at least 1")
	case o.log == nil || o.now == nil:
		return fmt.Errorf("logger and clock must not be nil")
	}
	return nil
}
