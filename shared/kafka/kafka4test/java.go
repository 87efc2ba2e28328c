package kafka4test

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fcsync/fcsync/shared/counterpart"
)

//go:embed Produce.java
var produceJava []byte

// Record is a record for JavaProduce.
type Record struct {
	Partition int32     // -1: the Java producer's partitioner picks it from the key
	Timestamp time.Time // zero: the producer stamps the record
	Key       []byte    // nil: a null key
	Value     []byte    // nil: a null value
	Headers   []Header
}

// Header is a record header; a nil Value is a null header value.
type Header struct {
	Key   string
	Value []byte
}

// Produced is where the broker put a record.
type Produced struct {
	Partition int32
	Offset    int64
}

// JavaProduce writes recs to topic over PLAINTEXT with Kafka's Java producer (KafkaProducer,
// acks=all, the given compression.type: none, gzip, snappy, lz4 or zstd), in one JVM, and
// returns each record's partition and offset in the order given. props are further producer
// properties as key=value. Records are sent without waiting for each other, so records of a
// partition share record batches, compressed as the Java client compresses them.
func (b *Broker) JavaProduce(ctx context.Context, topic, compression string, recs []Record, props ...string) ([]Produced, error) {
	res, err := b.JavaProduceBatches(ctx, []Batch{{Topic: topic, Compression: compression, Records: recs}}, props...)
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// Batch is a run of records for JavaProduceBatches.
type Batch struct {
	Topic       string
	Compression string // compression.type: none, gzip, snappy, lz4 or zstd
	// Transaction is "" to send the records without a transaction, or "commit" or "abort" to
	// send them in one transaction of a transactional producer that then ends so.
	Transaction string
	Records     []Record
}

// JavaProduceBatches is JavaProduce for several batches in one JVM, one after the other: a
// batch is flushed (and its transaction ended) before the next starts. It returns where each
// batch's records landed.
func (b *Broker) JavaProduceBatches(ctx context.Context, batches []Batch, props ...string) ([][]Produced, error) {
	classes, err := compileProduce()
	if err != nil {
		return nil, err
	}
	var in bytes.Buffer
	total := 0
	for _, bt := range batches {
		txn := bt.Transaction
		switch txn {
		case "":
			txn = "-"
		case "commit", "abort":
		default:
			return nil, fmt.Errorf("kafka4test: batch transaction %q: want \"\", commit or abort", bt.Transaction)
		}
		if bt.Topic == "" || strings.ContainsAny(bt.Topic, " \n") || bt.Compression == "" || strings.ContainsAny(bt.Compression, " \n") {
			return nil, fmt.Errorf("kafka4test: batch topic %q compression %q: want names without spaces", bt.Topic, bt.Compression)
		}
		fmt.Fprintf(&in, "@ %s %s %s\n", bt.Topic, bt.Compression, txn)
		for _, r := range bt.Records {
			ts := "-"
			if !r.Timestamp.IsZero() {
				ts = strconv.FormatInt(r.Timestamp.UnixMilli(), 10)
			}
			fmt.Fprintf(&in, "%d %s %s %s %d", r.Partition, ts, javaField(r.Key), javaField(r.Value), len(r.Headers))
			for _, h := range r.Headers {
				fmt.Fprintf(&in, " %s %s", javaField([]byte(h.Key)), javaField(h.Value))
			}
			in.WriteByte('\n')
		}
		total += len(bt.Records)
	}
	args := append([]string{b.Addr()}, props...)
	out, err := b.runJava(ctx, classes+string(os.PathListSeparator)+b.classpath, &in, quickJVM, "Produce", args...)
	if err != nil {
		return nil, fmt.Errorf("kafka4test: Java producer: %w", err)
	}
	var flat []Produced
	for line := range strings.Lines(string(out)) {
		var p Produced
		if _, err := fmt.Sscanf(line, "%d %d", &p.Partition, &p.Offset); err != nil {
			return nil, fmt.Errorf("kafka4test: Java producer output %q: %w", line, err)
		}
		flat = append(flat, p)
	}
	if len(flat) != total {
		return nil, fmt.Errorf("kafka4test: Java producer acknowledged %d of %d records:\n%s", len(flat), total, out)
	}
	res := make([][]Produced, len(batches))
	for i, bt := range batches {
		res[i], flat = flat[:len(bt.Records)], flat[len(bt.Records):]
	}
	return res, nil
}

func javaField(b []byte) string {
	if b == nil {
		return "-"
	}
	return "b:" + base64.StdEncoding.EncodeToString(b)
}

// RunJava runs a main class of the broker's classpath (a Kafka tool such as
// org.apache.kafka.tools.consumer.ConsoleConsumer) and returns its standard output; its log goes
// to tools.log in the broker's directory. The JVM starts with its JIT limited to the first tier,
// which starts short tools faster; use RunJavaTuned to measure throughput.
func (b *Broker) RunJava(ctx context.Context, mainClass string, args ...string) ([]byte, error) {
	return b.runJava(ctx, b.classpath, nil, quickJVM, mainClass, args...)
}

// RunJavaTuned is RunJava with the JVM's default JIT and a 1 GB heap, for benchmarks such as
// org.apache.kafka.tools.ConsumerPerformance.
func (b *Broker) RunJavaTuned(ctx context.Context, mainClass string, args ...string) ([]byte, error) {
	return b.runJava(ctx, b.classpath, nil, []string{"-Xmx1g"}, mainClass, args...)
}

// quickJVM starts a short-lived JVM faster: C1 only, the serial collector.
var quickJVM = []string{"-Xmx512m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"}

func (b *Broker) runJava(ctx context.Context, classpath string, stdin *bytes.Buffer, jvm []string, mainClass string, args ...string) ([]byte, error) {
	logConfig := filepath.Join(b.Dir, "log4j2-tools.properties")
	if _, err := os.Stat(logConfig); err != nil {
		if err := os.WriteFile(logConfig, log4j(filepath.Join(b.Dir, "tools.log")), 0o644); err != nil {
			return nil, fmt.Errorf("kafka4test: %w", err)
		}
	}
	argv := append(slices.Clone(jvm), "-Djava.awt.headless=true", "-Dlog4j2.configurationFile="+logConfig, "-cp", classpath, mainClass)
	cmd := exec.CommandContext(ctx, b.java, append(argv, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // dies with the caller
	if stdin != nil {
		cmd.Stdin = stdin
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("%s: %v\n%s%s", mainClass, err, tail(stderr.Bytes(), 3000), tail(stdout.Bytes(), 1000))
	}
	return stdout.Bytes(), nil
}

// compileProduce compiles Produce.java against the Kafka client once per source version into
// the clone's cache and returns the classes directory.
func compileProduce() (string, error) {
	sum := sha256.Sum256(append([]byte(Version+"\n"), produceJava...))
	cache, err := counterpart.CacheDir("kafka4test")
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "classes-"+hex.EncodeToString(sum[:8]))
	if _, err := os.Stat(filepath.Join(dir, "Produce.class")); err == nil {
		return dir, nil
	}
	javac, err := counterpart.FindJavac()
	if err != nil {
		return "", err
	}
	cp, err := counterpart.ResolveJars("kafka-"+Version, Coords...)
	if err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(cache, "classes-tmp-")
	if err != nil {
		return "", fmt.Errorf("kafka4test: %w", err)
	}
	defer os.RemoveAll(tmp)
	src := filepath.Join(tmp, "Produce.java")
	if err := os.WriteFile(src, produceJava, 0o644); err != nil {
		return "", fmt.Errorf("kafka4test: %w", err)
	}
	out, err := exec.Command(javac, "-nowarn", "-cp", cp, "-d", tmp, src).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("kafka4test: javac Produce.java: %v\n%s", err, tail(out))
	}
	os.Remove(src)
	// A rename is atomic: a test binary compiling at the same time wins or loses whole.
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, "Produce.class")); serr == nil {
			return dir, nil
		}
		return "", fmt.Errorf("kafka4test: %w", err)
	}
	return dir, nil
}
