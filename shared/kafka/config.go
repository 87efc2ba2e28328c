package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
)

// SASL mechanisms the client supports.
const (
	MechanismPlain       = "PLAIN"
	MechanismSCRAMSHA256 = "SCRAM-SHA-256"
	MechanismSCRAMSHA512 = "SCRAM-SHA-512"
)

// Defaults applied by Dial to zero Config fields.
const (
	DefaultDialTimeout    = 10 * time.Second
	DefaultRequestTimeout = 30 * time.Second
	DefaultFetchBytes     = 4 << 20
	DefaultBatchRecords   = 1024
)

// Config says where a topic is and how to reach it. The zero values of the
// optional fields select the defaults above.
type Config struct {
	Brokers  []string // host:port bootstrap addresses
	Topic    string
	ClientID string
	SASL     SASL
	TLS      TLS

	DialTimeout    time.Duration
	RequestTimeout time.Duration // per request, excluding a fetch's long-poll wait
	FetchBytes     int           // bytes asked for per partition fetch (the memory bound per partition)
	BatchRecords   int           // records per Read callback

	// ReadUncommitted reads as Kafka's isolation.level=read_uncommitted:
	// records of open and aborted transactions are delivered and Latest is
	// the high watermark. The default, false, is read_committed: records of
	// aborted transactions are never delivered, and Latest is the last
	// stable offset, so that a range planned from it holds no record of an
	// open transaction. Control records are never delivered either way.
	ReadUncommitted bool

	// Warnings are notes for the run record (Client.Warnings): the
	// kafkaConfig properties ReaderConfig accepted without applying them.
	Warnings []string

	// GroupID and AutoOffsetReset are not used by the client itself; they
	// carry group.id and auto.offset.reset from the properties to the caller.
	GroupID         string
	AutoOffsetReset string // "", "earliest", "latest" or "none"

	// UnknownProperties lists the names (never the values) of properties
	// ConfigFromProperties did not understand, sorted. The caller decides
	// whether to warn or to reject.
	UnknownProperties []string
}

// SASL selects SASL authentication. An empty Mechanism means none.
// Its String and GoString methods hide the password so that printing a
// Config never reveals it.
type SASL struct {
	Mechanism string // PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512
	Username  string
	Password  string
}

// String describes the settings without the password.
func (s SASL) String() string {
	if s.Mechanism == "" {
		return "{none}"
	}
	pw := ""
	if s.Password != "" {
		pw = " password=<redacted>"
	}
	return fmt.Sprintf("{%s user=%q%s}", s.Mechanism, s.Username, pw)
}

// GoString is String, so %#v hides the password too.
func (s SASL) GoString() string { return "kafka.SASL" + s.String() }

// Build is the kafka-go SASL mechanism of these settings (nil when SASL is off).
func (s SASL) Build() (sasl.Mechanism, error) {
	switch strings.ToUpper(s.Mechanism) {
	case "":
		return nil, nil
	case MechanismPlain:
		return plain.Mechanism{Username: s.Username, Password: s.Password}, nil
	case MechanismSCRAMSHA256:
		m, err := scram.Mechanism(scram.SHA256, s.Username, s.Password)
		if err != nil {
			return nil, fmt.Errorf("kafka: SASL %s for user %q: %w", MechanismSCRAMSHA256, s.Username, err)
		}
		return m, nil
	case MechanismSCRAMSHA512:
		m, err := scram.Mechanism(scram.SHA512, s.Username, s.Password)
		if err != nil {
			return nil, fmt.Errorf("kafka: SASL %s for user %q: %w", MechanismSCRAMSHA512, s.Username, err)
		}
		return m, nil
	default:
		return nil, fmt.Errorf("kafka: SASL mechanism %q is not supported (use %s, %s or %s)",
			s.Mechanism, MechanismPlain, MechanismSCRAMSHA256, MechanismSCRAMSHA512)
	}
}

// TLS selects an encrypted connection.
type TLS struct {
	Enabled bool
	// InsecureSkipVerify accepts any server certificate. For tests only.
	InsecureSkipVerify bool
	// SkipHostnameCheck verifies the certificate chain but not that it names
	// the broker (Kafka's empty ssl.endpoint.identification.algorithm).
	SkipHostnameCheck bool
	// CAFile is a PEM file of CA certificates; the system roots when empty.
	CAFile string
	// Config, when set, is used as is and the fields above are ignored.
	Config *tls.Config
}

// Build is the crypto/tls configuration of these settings (nil when TLS is off).
func (t TLS) Build() (*tls.Config, error) {
	if t.Config != nil {
		return t.Config, nil
	}
	if !t.Enabled {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	var roots *x509.CertPool
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("kafka: TLS CA file: %w", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("kafka: TLS CA file %s: no PEM certificate in it", t.CAFile)
		}
		cfg.RootCAs = roots
	}
	switch {
	case t.InsecureSkipVerify:
		cfg.InsecureSkipVerify = true
	case t.SkipHostnameCheck:
		// Go checks the chain and the host name together; to keep the first
		// without the second, skip both and verify the chain ourselves.
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("kafka: TLS: broker sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
			if err != nil {
				return fmt.Errorf("kafka: TLS: broker certificate: %w", err)
			}
			return nil
		}
	}
	return cfg, nil
}

func (c Config) withDefaults() Config {
	if c.DialTimeout <= 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.FetchBytes <= 0 {
		c.FetchBytes = DefaultFetchBytes
	}
	if c.BatchRecords <= 0 {
		c.BatchRecords = DefaultBatchRecords
	}
	return c
}

// isolationLevel is the isolation level of Fetch and ListOffsets requests.
func (c Config) isolationLevel() int8 {
	if c.ReadUncommitted {
		return 0
	}
	return 1
}

func (c Config) validate() error {
	if len(c.Brokers) == 0 {
		return errors.New("kafka: no brokers configured")
	}
	for _, b := range c.Brokers {
		if strings.TrimSpace(b) == "" {
			return errors.New("kafka: empty broker address in the broker list")
		}
	}
	if c.Topic == "" {
		return errors.New("kafka: no topic configured")
	}
	switch c.AutoOffsetReset {
	case "", "earliest", "latest", "none":
	default:
		return fmt.Errorf("kafka: auto.offset.reset %q: want earliest, latest or none", c.AutoOffsetReset)
	}
	return nil
}

// Login modules named in sasl.jaas.config.
const (
	plainLoginModule = "org.apache.kafka.common.security.plain.PlainLoginModule"
	scramLoginModule = "org.apache.kafka.common.security.scram.ScramLoginModule"
)

// ConfigFromProperties builds a Config from Kafka consumer properties as
// DataWorks' kafkaConfig gives them. Understood: security.protocol,
// sasl.mechanism, sasl.jaas.config (PLAIN and SCRAM login modules),
// ssl.ca.location or a PEM ssl.truststore.location, ssl.endpoint.identification.algorithm,
// client.id, group.id, request.timeout.ms, session.timeout.ms (accepted,
// unused), fetch.max.bytes and max.partition.fetch.bytes (the fetch size),
// max.poll.records (records per callback), auto.offset.reset,
// isolation.level (read_committed, the default, or read_uncommitted) and
// bootstrap.servers (used when brokers is empty). Other names are returned in
// UnknownProperties. Errors never contain the JAAS configuration or a password.
func ConfigFromProperties(brokers []string, topic string, props map[string]string) (Config, error) {
	cfg := Config{Brokers: slices.Clone(brokers), Topic: topic}
	get := func(k string) string { return strings.TrimSpace(props[k]) }
	var unknown []string
	for k := range props {
		if !knownProperties[k] {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	cfg.UnknownProperties = unknown

	if len(cfg.Brokers) == 0 && get("bootstrap.servers") != "" {
		for b := range strings.SplitSeq(get("bootstrap.servers"), ",") {
			if b = strings.TrimSpace(b); b != "" {
				cfg.Brokers = append(cfg.Brokers, b)
			}
		}
	}
	cfg.ClientID = get("client.id")
	cfg.GroupID = get("group.id")
	var err error

	if v := get("auto.offset.reset"); v != "" {
		cfg.AutoOffsetReset = strings.ToLower(v)
	}
	if cfg.ReadUncommitted, err = isolationProperty(props); err != nil {
		return Config{}, err
	}

	if cfg.RequestTimeout, err = millisProperty(props, "request.timeout.ms"); err != nil {
		return Config{}, err
	}
	if _, err = millisProperty(props, "session.timeout.ms"); err != nil {
		return Config{}, err
	}
	for _, k := range []string{"max.partition.fetch.bytes", "fetch.max.bytes"} {
		n, err := positiveProperty(props, k)
		if err != nil {
			return Config{}, err
		}
		if n > 0 && (cfg.FetchBytes == 0 || n < cfg.FetchBytes) {
			cfg.FetchBytes = n
		}
	}
	if cfg.BatchRecords, err = positiveProperty(props, "max.poll.records"); err != nil {
		return Config{}, err
	}

	protocol := strings.ToUpper(get("security.protocol"))
	switch protocol {
	case "", "PLAINTEXT":
	case "SSL":
		cfg.TLS.Enabled = true
	case "SASL_PLAINTEXT":
		cfg.SASL.Mechanism = MechanismPlain
	case "SASL_SSL":
		cfg.TLS.Enabled = true
		cfg.SASL.Mechanism = MechanismPlain
	default:
		return Config{}, fmt.Errorf("kafka property security.protocol %q: want PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL", get("security.protocol"))
	}

	if strings.HasPrefix(protocol, "SASL_") {
		if err := saslFromProperties(&cfg.SASL, get("sasl.mechanism"), props["sasl.jaas.config"]); err != nil {
			return Config{}, err
		}
	} else if get("sasl.mechanism") != "" || get("sasl.jaas.config") != "" {
		return Config{}, fmt.Errorf("kafka properties: sasl.* is set but security.protocol is %q (want SASL_PLAINTEXT or SASL_SSL)", protocol)
	}

	if cfg.TLS.Enabled {
		if err := tlsFromProperties(&cfg.TLS, props); err != nil {
			return Config{}, err
		}
	}
	if err := cfg.validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

var knownProperties = map[string]bool{
	"bootstrap.servers":                     true,
	"security.protocol":                     true,
	"sasl.mechanism":                        true,
	"sasl.jaas.config":                      true,
	"ssl.ca.location":                       true,
	"ssl.truststore.location":               true,
	"ssl.truststore.type":                   true,
	"ssl.truststore.password":               true,
	"ssl.endpoint.identification.algorithm": true,
	"client.id":                             true,
	"group.id":                              true,
	"request.timeout.ms":                    true,
	"session.timeout.ms":                    true,
	"fetch.max.bytes":                       true,
	"max.partition.fetch.bytes":             true,
	"max.poll.records":                      true,
	"auto.offset.reset":                     true,
	"isolation.level":                       true,
}

// isolationProperty reads isolation.level: whether it is read_uncommitted.
func isolationProperty(props map[string]string) (bool, error) {
	v, ok := props["isolation.level"]
	if !ok {
		return false, nil
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "read_committed":
		return false, nil
	case "read_uncommitted":
		return true, nil
	}
	return false, fmt.Errorf("kafka property isolation.level %q: want read_committed (the default) or read_uncommitted", v)
}

func millisProperty(props map[string]string, key string) (time.Duration, error) {
	n, err := positiveProperty(props, key)
	return time.Duration(n) * time.Millisecond, err
}

func positiveProperty(props map[string]string, key string) (int, error) {
	v, ok := props[key]
	if !ok {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("kafka property %s: want a positive integer, got %q", key, v)
	}
	return n, nil
}

func saslFromProperties(s *SASL, mechanism, jaas string) error {
	mechanism = strings.ToUpper(mechanism)
	switch mechanism {
	case "", MechanismPlain, MechanismSCRAMSHA256, MechanismSCRAMSHA512:
	default:
		return fmt.Errorf("kafka property sasl.mechanism %q is not supported (use %s, %s or %s)",
			mechanism, MechanismPlain, MechanismSCRAMSHA256, MechanismSCRAMSHA512)
	}
	if strings.TrimSpace(jaas) == "" {
		return errors.New("kafka property sasl.jaas.config is required with a SASL security.protocol")
	}
	entry, err := parseJAAS(jaas)
	if err != nil {
		return err
	}
	switch entry.module {
	case plainLoginModule:
		if mechanism != "" && mechanism != MechanismPlain {
			return fmt.Errorf("kafka properties: sasl.mechanism %s does not match the PlainLoginModule in sasl.jaas.config", mechanism)
		}
		mechanism = MechanismPlain
	case scramLoginModule:
		if mechanism == "" || mechanism == MechanismPlain {
			return fmt.Errorf("kafka properties: the ScramLoginModule in sasl.jaas.config needs sasl.mechanism %s or %s", MechanismSCRAMSHA256, MechanismSCRAMSHA512)
		}
	default:
		return fmt.Errorf("kafka property sasl.jaas.config: login module %q is not supported (use %s or %s)", entry.module, plainLoginModule, scramLoginModule)
	}
	user, ok := entry.options["username"]
	if !ok || user == "" {
		return errors.New("kafka property sasl.jaas.config: no username option")
	}
	pass, ok := entry.options["password"]
	if !ok {
		return errors.New("kafka property sasl.jaas.config: no password option")
	}
	*s = SASL{Mechanism: mechanism, Username: user, Password: pass}
	return nil
}

type jaasEntry struct {
	module  string
	flag    string
	options map[string]string
}

// parseJAAS reads one JAAS login entry: `Module flag key="value" ...;`.
// Its errors say where the text is malformed but never quote it, since the
// text holds a password.
func parseJAAS(s string) (jaasEntry, error) {
	fail := func(pos int, what string) (jaasEntry, error) {
		return jaasEntry{}, fmt.Errorf("kafka property sasl.jaas.config: %s at character %d (value not shown: it holds a password)", what, pos+1)
	}
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
	i := 0
	skip := func() {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
	}
	word := func() string {
		start := i
		for i < len(s) && !isSpace(s[i]) && s[i] != '=' && s[i] != ';' && s[i] != '"' {
			i++
		}
		return s[start:i]
	}
	skip()
	e := jaasEntry{options: map[string]string{}}
	if e.module = word(); e.module == "" {
		return fail(i, "missing login module name")
	}
	skip()
	if e.flag = word(); e.flag == "" {
		return fail(i, "missing control flag after the login module")
	}
	switch strings.ToLower(e.flag) {
	case "required", "requisite", "sufficient", "optional":
	default:
		return fail(i-len(e.flag), "unknown control flag (want required, requisite, sufficient or optional)")
	}
	for {
		skip()
		if i >= len(s) {
			return fail(i, "missing ';' at the end")
		}
		if s[i] == ';' {
			i++
			skip()
			if i != len(s) {
				return fail(i, "unexpected text after ';' (one login entry is supported)")
			}
			return e, nil
		}
		keyPos := i
		key := word()
		if key == "" {
			return fail(i, "expected an option name")
		}
		skip()
		if i >= len(s) || s[i] != '=' {
			return fail(i, "expected '=' after an option name")
		}
		i++
		skip()
		var val string
		if i < len(s) && s[i] == '"' {
			i++
			var b strings.Builder
			closed := false
			for i < len(s) {
				c := s[i]
				if c == '\\' && i+1 < len(s) {
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				i++
				if c == '"' {
					closed = true
					break
				}
				b.WriteByte(c)
			}
			if !closed {
				return fail(keyPos, "unterminated quoted value")
			}
			val = b.String()
		} else {
			val = word()
			if val == "" {
				return fail(i, "expected a value after '='")
			}
		}
		if _, dup := e.options[key]; dup {
			return fail(keyPos, "option given twice")
		}
		e.options[key] = val
	}
}

func tlsFromProperties(t *TLS, props map[string]string) error {
	get := func(k string) string { return strings.TrimSpace(props[k]) }
	t.CAFile = get("ssl.ca.location")
	if loc := get("ssl.truststore.location"); loc != "" {
		typ := strings.ToUpper(get("ssl.truststore.type"))
		if typ != "PEM" {
			if typ == "" {
				typ = "JKS"
			}
			return fmt.Errorf("kafka property ssl.truststore.location: a %s truststore is not supported; convert it to PEM and set ssl.ca.location (or ssl.truststore.type=PEM)", typ)
		}
		if t.CAFile != "" && t.CAFile != loc {
			return errors.New("kafka properties: ssl.ca.location and ssl.truststore.location name different files")
		}
		t.CAFile = loc
	}
	if v, ok := props["ssl.endpoint.identification.algorithm"]; ok {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "":
			t.SkipHostnameCheck = true
		case "https":
		default:
			return fmt.Errorf("kafka property ssl.endpoint.identification.algorithm %q: want https or empty", v)
		}
	}
	return nil
}
