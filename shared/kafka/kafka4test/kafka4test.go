// Package kafka4test starts a real Apache Kafka 4 broker for interop tests and benchmarks: one
// JVM running kafka.Kafka in KRaft mode as a single combined broker and controller, its jars
// resolved from Maven by counterpart.ResolveJars into the clone's cache (pinned to Version), its
// storage formatted with kafka.tools.StorageTool in a fresh temporary directory, on 127.0.0.1
// with free ports, and Close to stop exactly the process it started (by its process group) and
// delete its files.
//
// The broker has one listener per security protocol, each given in Broker:
//
//   - PLAINTEXT;
//   - SASL_PLAINTEXT with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 for the user User with
//     Password (the SCRAM credentials are written at format time, as kafka-storage format
//     --add-scram does);
//   - SSL with a certificate for 127.0.0.1 and localhost signed by a CA made at start (its PEM
//     is Broker.CAFile), given to the broker as a PEM keystore (ssl.keystore.type=PEM);
//   - SASL_SSL with the same mechanisms and certificate.
//
// Props gives the Kafka client properties (kafkaConfig) of each listener and mechanism. Topics
// are not created automatically; CreateTopic makes them. Produce writes records with franz-go;
// JavaProduce and JavaProduceBatches write them with Kafka's own Java producer (Produce.java,
// compiled with javac at first use into .cache/kafka4test), for checks that fcsync reads what
// the reference client writes: every compression codec, the Java partitioner's choice for a
// key, and batches in committed or aborted transactions. RunJava runs Kafka's tools (the
// console consumer, kafka-consumer-groups, ConsumerPerformance). Committed asks the broker's
// group coordinator for a group's offsets; SetLogLevel and RequestLog show the requests a
// client sent as the broker saw them (client id, API version, fetch sizes).
//
// The broker keeps records forever (no time-based retention: tests write records stamped years
// ago) and its log cleaner runs every half second, so compacted topics compact promptly.
//
// A start costs seconds (format and a JVM), so tests share one broker per test binary: Shared
// starts it on first use and StopShared, called from TestMain, stops it. Start and Close need
// no testing.TB, so localrun's benchmark uses them too. When java or mvn is missing, Start's
// error wraps counterpart.ErrMissing and Shared skips the test (or fails it under
// FCSYNC_REQUIRE_INTEROP=1).
package kafka4test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fcsync/fcsync/shared/counterpart"
)

// Version is the Kafka release the broker runs.
const Version = "4.1.1"

// Coords are the Maven artifacts of the broker, its tools and the Java client, with a log4j2
// binding so that the broker logs to a file.
var Coords = []string{
	"org.apache.kafka:kafka_2.13:" + Version,
	"org.apache.kafka:kafka-server:" + Version,
	"org.apache.kafka:kafka-raft:" + Version,
	"org.apache.kafka:kafka-metadata:" + Version,
	"org.apache.kafka:kafka-storage:" + Version,
	"org.apache.kafka:kafka-tools:" + Version,
	"org.apache.kafka:kafka-clients:" + Version,
	"org.apache.logging.log4j:log4j-slf4j-impl:2.24.3",
	"org.apache.logging.log4j:log4j-core:2.24.3",
}

// The SASL user every mechanism accepts.
const (
	User     = "fcsync"
	Password = "fcsync-kafka4-secret"
)

// Listener names a security protocol the broker serves on a listener of its own.
type Listener string

// The broker's listeners.
const (
	Plaintext     Listener = "PLAINTEXT"
	SASLPlaintext Listener = "SASL_PLAINTEXT"
	SSL           Listener = "SSL"
	SASLSSL       Listener = "SASL_SSL"
)

// Broker is a running Kafka 4 broker.
type Broker struct {
	Addrs  map[Listener]string // host:port of each listener
	CAFile string              // PEM of the CA that signed the broker's certificate
	Dir    string              // configuration, data and logs; removed by Close

	java, classpath string
	proc            *counterpart.Process
}

type settings struct {
	props   map[string]string
	heap    string
	timeout time.Duration
}

// Option configures Start.
type Option func(*settings)

// WithProperties adds or overrides broker properties (server.properties).
func WithProperties(props map[string]string) Option {
	return func(s *settings) {
		for k, v := range props {
			s.props[k] = v
		}
	}
}

// WithHeap sets the broker JVM's heap (-Xmx), default 1g.
func WithHeap(size string) Option { return func(s *settings) { s.heap = size } }

// WithStartTimeout bounds how long Start waits for the listeners (default 90 s).
func WithStartTimeout(d time.Duration) Option { return func(s *settings) { s.timeout = d } }

// Start resolves the jars, formats a fresh storage directory and starts the broker, returning
// once every listener accepts connections and the broker answers metadata requests.
func Start(ctx context.Context, opts ...Option) (*Broker, error) {
	st := settings{props: map[string]string{}, heap: "1g", timeout: 90 * time.Second}
	for _, o := range opts {
		o(&st)
	}
	java, err := counterpart.FindJava()
	if err != nil {
		return nil, err
	}
	cp, err := counterpart.ResolveJars("kafka-"+Version, Coords...)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "kafka4-")
	if err != nil {
		return nil, fmt.Errorf("kafka4test: %w", err)
	}
	b := &Broker{Dir: dir, java: java, classpath: cp}
	if b.CAFile, err = writePKI(dir); err != nil {
		b.Close()
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		if lastErr = b.start(ctx, st, attempt); lastErr == nil {
			return b, nil
		}
		if ctx.Err() != nil || errors.Is(lastErr, errFormat) {
			break
		}
	}
	b.Close()
	return nil, lastErr
}

var errFormat = errors.New("kafka4test: format storage")

// start writes the configuration with new free ports, formats a data directory of its own and
// runs the broker. A port taken meanwhile makes the broker exit; Start then tries again.
func (b *Broker) start(ctx context.Context, st settings, attempt int) error {
	ports, err := freePorts(5)
	if err != nil {
		return err
	}
	b.Addrs = map[Listener]string{}
	for i, l := range []Listener{Plaintext, SASLPlaintext, SSL, SASLSSL} {
		b.Addrs[l] = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[i]))
	}
	controller := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[4]))
	data := filepath.Join(b.Dir, fmt.Sprintf("data-%d", attempt))
	props, err := b.serverProperties(data, controller)
	if err != nil {
		return err
	}
	for k, v := range st.props {
		props[k] = v
	}
	config := filepath.Join(b.Dir, "server.properties")
	if err := os.WriteFile(config, formatProperties(props), 0o600); err != nil {
		return fmt.Errorf("kafka4test: %w", err)
	}
	logConfig := filepath.Join(b.Dir, "log4j2.properties")
	if err := os.WriteFile(logConfig, log4j(filepath.Join(b.Dir, "server.log")), 0o644); err != nil {
		return fmt.Errorf("kafka4test: %w", err)
	}
	format := exec.CommandContext(ctx, b.java, "-Xmx256m", "-cp", b.classpath, "-Dlog4j2.configurationFile="+logConfig,
		"kafka.tools.StorageTool", "format", "--cluster-id", clusterID(), "--config", config, "--ignore-formatted",
		"--add-scram", "SCRAM-SHA-256=[name="+User+",password="+Password+"]",
		"--add-scram", "SCRAM-SHA-512=[name="+User+",password="+Password+"]")
	if out, err := format.CombinedOutput(); err != nil {
		return fmt.Errorf("%w: %v\n%s", errFormat, err, tail(out))
	}
	cmd := exec.Command(b.java, "-Xmx"+st.heap, "-Xms256m", "-XX:+UseG1GC", "-Djava.awt.headless=true",
		"-Dlog4j2.configurationFile="+logConfig, "-cp", b.classpath, "kafka.Kafka", config)
	cmd.Dir = b.Dir
	p, err := counterpart.Launch(cmd, b.Dir)
	if err != nil {
		return err
	}
	b.proc = p
	deadline := time.Now().Add(st.timeout)
	for _, l := range []Listener{Plaintext, SASLPlaintext, SSL, SASLSSL} {
		if err := p.WaitListening(b.Addrs[l], time.Until(deadline)); err != nil {
			p.Stop()
			return fmt.Errorf("kafka4test: broker %s listener: %w\n%s", l, err, b.LogTail(3000))
		}
	}
	if err := b.waitReady(ctx, deadline); err != nil {
		p.Stop()
		return err
	}
	return nil
}

// serverProperties is the broker's configuration: KRaft, one node as broker and controller,
// replication factor 1 everywhere, no automatic topic creation.
func (b *Broker) serverProperties(data, controller string) (map[string]string, error) {
	cert, key, err := readPEMPair(b.Dir)
	if err != nil {
		return nil, err
	}
	var listeners, advertised []string
	for _, l := range []Listener{Plaintext, SASLPlaintext, SSL, SASLSSL} {
		listeners = append(listeners, string(l)+"://"+b.Addrs[l])
		advertised = append(advertised, string(l)+"://"+b.Addrs[l])
	}
	p := map[string]string{
		"process.roles":                                    "broker,controller",
		"node.id":                                          "1",
		"controller.quorum.voters":                         "1@" + controller,
		"controller.listener.names":                        "CONTROLLER",
		"listeners":                                        strings.Join(append(listeners, "CONTROLLER://"+controller), ","),
		"advertised.listeners":                             strings.Join(advertised, ","),
		"inter.broker.listener.name":                       string(Plaintext),
		"listener.security.protocol.map":                   "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT",
		"log.dirs":                                         data,
		"num.partitions":                                   "1",
		"default.replication.factor":                       "1",
		"auto.create.topics.enable":                        "false",
		"offsets.topic.replication.factor":                 "1",
		"offsets.topic.num.partitions":                     "1",
		"transaction.state.log.replication.factor":         "1",
		"transaction.state.log.min.isr":                    "1",
		"transaction.state.log.num.partitions":             "1",
		"share.coordinator.state.topic.replication.factor": "1",
		"share.coordinator.state.topic.min.isr":            "1",
		"group.initial.rebalance.delay.ms":                 "0",
		"message.max.bytes":                                "8388608",
		"num.network.threads":                              "2",
		"num.io.threads":                                   "4",
		// Tests and benchmarks write records stamped years ago: no time-based retention.
		"log.retention.ms":                "-1",
		"log.retention.check.interval.ms": "3600000",
		// The cleaner looks for compactable logs every half second (15 s by default).
		"log.cleaner.backoff.ms": "500",

		"sasl.enabled.mechanisms":        "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
		"ssl.keystore.type":              "PEM",
		"ssl.keystore.certificate.chain": cert,
		"ssl.keystore.key":               key,
		"ssl.client.auth":                "none",
	}
	plainJAAS := `org.apache.kafka.common.security.plain.PlainLoginModule required user_` + User + `="` + Password + `";`
	scramJAAS := `org.apache.kafka.common.security.scram.ScramLoginModule required;`
	for _, l := range []string{"sasl_plaintext", "sasl_ssl"} {
		p["listener.name."+l+".plain.sasl.jaas.config"] = plainJAAS
		p["listener.name."+l+".scram-sha-256.sasl.jaas.config"] = scramJAAS
		p["listener.name."+l+".scram-sha-512.sasl.jaas.config"] = scramJAAS
	}
	return p, nil
}

// Close stops the broker (SIGTERM to its process group, SIGKILL after ten seconds) and removes
// its directory.
func (b *Broker) Close() error {
	if b == nil {
		return nil
	}
	if b.proc != nil {
		b.proc.Stop()
	}
	if b.Dir != "" {
		return os.RemoveAll(b.Dir)
	}
	return nil
}

// Addr is the address of the PLAINTEXT listener.
func (b *Broker) Addr() string { return b.Addrs[Plaintext] }

// Props returns the Kafka client properties (as a job's kafkaConfig gives them) that reach
// listener l; mechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 for the SASL listeners and
// ignored for the others. The SSL properties name the CA file in ssl.ca.location.
func (b *Broker) Props(l Listener, mechanism string) map[string]string {
	p := map[string]string{"security.protocol": string(l), "bootstrap.servers": b.Addrs[l]}
	if l == SASLPlaintext || l == SASLSSL {
		p["sasl.mechanism"] = mechanism
		module := "org.apache.kafka.common.security.scram.ScramLoginModule"
		if mechanism == "PLAIN" {
			module = "org.apache.kafka.common.security.plain.PlainLoginModule"
		}
		p["sasl.jaas.config"] = module + ` required username="` + User + `" password="` + Password + `";`
	}
	if l == SSL || l == SASLSSL {
		p["ssl.ca.location"] = b.CAFile
	}
	return p
}

// LogTail returns the end of the broker's log, for failure messages.
func (b *Broker) LogTail(n int) string {
	var out []byte
	if data, err := os.ReadFile(filepath.Join(b.Dir, "server.log")); err == nil {
		out = append(out, data...)
	}
	if b.proc != nil {
		out = append(out, b.proc.Tail(n)...)
	}
	return tail(out, n)
}

// clusterID is a random Kafka cluster id: 16 bytes in unpadded URL-safe base64, never starting
// with '-', which kafka-storage's argument parser takes for an option (Kafka's Uuid.randomUuid
// draws again for the same reason).
func clusterID() string {
	for {
		var id [16]byte
		_, _ = rand.Read(id[:])
		if s := base64.RawURLEncoding.EncodeToString(id[:]); s[0] != '-' {
			return s
		}
	}
}

// formatProperties writes a Java properties file, escaping as java.util.Properties reads it.
func formatProperties(p map[string]string) []byte {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	for _, k := range keys {
		b.WriteString(escapeProperty(k, true))
		b.WriteByte('=')
		b.WriteString(escapeProperty(p[k], false))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func escapeProperty(s string, key bool) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '=' || r == ':' || r == '#' || r == '!':
			if key || i == 0 {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		case r == ' ' && (key || i == 0):
			b.WriteString(`\ `)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func log4j(file string) []byte {
	return []byte(`status = error
appender.file.type = File
appender.file.name = file
appender.file.fileName = ` + escapeProperty(file, false) + `
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.apache.name = org.apache.kafka
logger.apache.level = INFO
`)
}

func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("kafka4test: free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func tail(b []byte, n ...int) string {
	size := 4000
	if len(n) > 0 {
		size = n[0]
	}
	if len(b) > size {
		b = b[len(b)-size:]
	}
	return string(b)
}
