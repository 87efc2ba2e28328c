package cdc_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fcsync/fcsync/shared/cdc"
	"github.com/fcsync/fcsync/shared/cdc/mariadbtest"
	"github.com/fcsync/fcsync/shared/kafka"
	"github.com/fcsync/fcsync/shared/kafka/kafka4test"
	"github.com/fcsync/fcsync/shared/objstore"
)

// One MariaDB server for the whole test binary, started by the first test that needs it.
var (
	srvOnce sync.Once
	srv     *mariadbtest.Server
	srvErr  error
)

// The replication user the jobs connect as. Tests check that its password never shows up in
// logs, errors, state or records.
const (
	cdcUser     = "cdc"
	cdcPassword = "pw-Zq8!secret"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if srv != nil {
		srv.Close()
	}
	kafka4test.StopShared()
	os.Exit(code)
}

func server(t testing.TB) *mariadbtest.Server {
	t.Helper()
	srvOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		srv, srvErr = mariadbtest.Start(ctx, mariadbtest.WithArgs("--max-binlog-size=1048576"))
		if srvErr == nil {
			srvErr = srv.Exec(ctx,
				fmt.Sprintf("CREATE USER '%s'@'127.0.0.1' IDENTIFIED BY '%s'", cdcUser, cdcPassword),
				fmt.Sprintf("GRANT SELECT, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO '%s'@'127.0.0.1'", cdcUser))
		}
	})
	return mariadbtest.Require(t, srv, srvErr)
}

// env is one test's database (named after the test), Kafka cluster and state store.
type env struct {
	t     testing.TB
	srv   *mariadbtest.Server
	db    string
	conn  *client.Conn
	kc    *kfake.Cluster
	addrs []string
	store *objstore.Memory
	logs  *syncBuffer
	now   time.Time
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

func newEnv(t testing.TB, kopts ...kfake.Opt) *env {
	t.Helper()
	s := server(t)
	name := nonWord.ReplaceAllString(strings.ToLower(t.Name()), "_")
	if len(name) > 60 {
		name = name[:60]
	}
	e := &env{t: t, srv: s, db: name, store: objstore.NewMemory(), logs: &syncBuffer{},
		now: time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)}
	ctx := context.Background()
	var err error
	if e.conn, err = s.Conn(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.conn.Close() })
	e.sql("DROP DATABASE IF EXISTS "+e.db, "CREATE DATABASE "+e.db, "USE "+e.db)
	kc, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1)}, kopts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kc.Close)
	e.kc, e.addrs = kc, kc.ListenAddrs()
	return e
}

// sql runs statements on the env's connection, in its database.
func (e *env) sql(statements ...string) {
	e.t.Helper()
	for _, q := range statements {
		if _, err := e.conn.Execute(q); err != nil {
			e.t.Fatalf("%s: %v", q, err)
		}
	}
}

// at makes the following statements' binlog events carry time ts (seconds).
func (e *env) at(ts time.Time) {
	e.t.Helper()
	e.sql(fmt.Sprintf("SET TIMESTAMP = %d", ts.Unix()))
}

// job loads a job; ${DB} in the text is the env's database.
func (e *env) job(text string) *cdc.Job {
	e.t.Helper()
	j, err := cdc.Load([]byte(strings.ReplaceAll(text, "${DB}", e.db)), e.db)
	if err != nil {
		e.t.Fatal(err)
	}
	return j
}

func (e *env) source() cdc.Source {
	return cdc.Source{Host: e.srv.Host, Port: e.srv.Port, User: cdcUser, Password: cdcPassword}
}

func (e *env) runner(j *cdc.Job, opts ...cdc.Option) *cdc.Runner {
	e.t.Helper()
	opts = append([]cdc.Option{
		cdc.WithLogger(slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		cdc.WithClock(func() time.Time { return e.now }),
		cdc.WithUntilCaughtUp(),
	}, opts...)
	r, err := cdc.New(j, e.source(), kafkaConfig(e), e.store, opts...)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func kafkaConfig(e *env) kafka.Config { return kafka.Config{Brokers: e.addrs} }

func (e *env) run(r *cdc.Runner) *cdc.Report {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := r.Run(ctx)
	if err != nil {
		e.t.Fatalf("run: %v", err)
	}
	return rep
}

// msg is one record read back from Kafka.
type msg struct {
	Partition int32
	Offset    int64
	Key       []byte // nil: null key
	Value     []byte
	M         *cdc.Message
}

func (m msg) op() string { return m.M.Payload.Op }

func (m msg) seq() string {
	if m.M.Payload.SequenceID == nil {
		return "<nil>"
	}
	return *m.M.Payload.SequenceID
}

// after returns the after image's column value as text ("<null>" for null, "<none>" without
// an after image).
func (m msg) after(col string) string { return imageValue(m.M.Payload.After, col) }

func (m msg) before(col string) string { return imageValue(m.M.Payload.Before, col) }

func imageValue(img *cdc.Image, col string) string {
	if img == nil {
		return "<none>"
	}
	v, ok := img.DataColumn[col]
	switch {
	case !ok:
		return "<absent>"
	case v == nil:
		return "<null>"
	}
	return fmt.Sprint(v)
}

// read returns every record of topic, by partition then offset, read with kcat (librdkafka)
// when it is installed, else with franz-go.
func (e *env) read(topic string) []msg {
	e.t.Helper()
	var out []msg
	if kcat, err := exec.LookPath("kcat"); err == nil {
		out = e.readKcat(kcat, topic)
	} else {
		if os.Getenv("FCSYNC_REQUIRE_KCAT") == "1" {
			e.t.Fatalf("kcat is required (FCSYNC_REQUIRE_KCAT=1): %v", err)
		}
		out = e.readKgo(topic)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Partition != out[j].Partition {
			return out[i].Partition < out[j].Partition
		}
		return out[i].Offset < out[j].Offset
	})
	for i := range out {
		m, err := cdc.DecodeMessage(out[i].Value)
		if err != nil {
			e.t.Fatalf("%s/%d@%d: %v\n%s", topic, out[i].Partition, out[i].Offset, err, out[i].Value)
		}
		out[i].M = m
	}
	return out
}

// readKcat consumes with kcat, framing each record as "partition offset keylen valuelen\n"
// followed by the raw key and value, so binary keys survive.
func (e *env) readKcat(kcat, topic string) []msg {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, kcat, "-C", "-b", strings.Join(e.addrs, ","), "-t", topic, "-o", "beginning", "-e", "-q",
		"-f", "%p %o %K %S\n%k%s")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		e.t.Fatalf("kcat -C -t %s: %v\n%s", topic, err, stderr.String())
	}
	rd := bufio.NewReader(bytes.NewReader(out))
	var msgs []msg
	for {
		line, err := rd.ReadString('\n')
		if err == io.EOF && line == "" {
			break
		}
		if err != nil {
			e.t.Fatalf("kcat output: %v", err)
		}
		var m msg
		var klen, vlen int
		if _, err := fmt.Sscanf(line, "%d %d %d %d", &m.Partition, &m.Offset, &klen, &vlen); err != nil {
			e.t.Fatalf("kcat header %q: %v", line, err)
		}
		if klen >= 0 {
			m.Key = make([]byte, klen)
			if _, err := io.ReadFull(rd, m.Key); err != nil {
				e.t.Fatal(err)
			}
		}
		if vlen >= 0 {
			m.Value = make([]byte, vlen)
			if _, err := io.ReadFull(rd, m.Value); err != nil {
				e.t.Fatal(err)
			}
		}
		msgs = append(msgs, m)
	}
	return msgs
}

func (e *env) readKgo(topic string) []msg {
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.addrs...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		e.t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ends := e.highWatermarks(topic)
	var msgs []msg
	done := func() bool {
		for p, end := range ends {
			seen := int64(0)
			for _, m := range msgs {
				if m.Partition == p {
					seen++
				}
			}
			if seen < end {
				return false
			}
		}
		return true
	}
	for !done() {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			e.t.Fatalf("read %s: %v", topic, err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			msgs = append(msgs, msg{Partition: r.Partition, Offset: r.Offset, Key: r.Key, Value: r.Value})
		})
	}
	return msgs
}

func (e *env) highWatermarks(topic string) map[int32]int64 {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := kafka.Dial(ctx, kafka.Config{Brokers: e.addrs, Topic: topic})
	if err != nil {
		e.t.Fatal(err)
	}
	defer c.Close()
	parts, err := c.Partitions(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	hw, err := c.Latest(ctx, parts)
	if err != nil {
		e.t.Fatal(err)
	}
	return hw
}

// data returns the records that are not heartbeats.
func data(ms []msg) []msg {
	var out []msg
	for _, m := range ms {
		if m.op() != cdc.OpHeartbeat {
			out = append(out, m)
		}
	}
	return out
}

// summary renders records one per line: op key before→after (all columns), for comparisons.
func summary(ms []msg, cols ...string) []string {
	var out []string
	for _, m := range ms {
		var b strings.Builder
		fmt.Fprintf(&b, "%s key=%q", m.op(), m.Key)
		for _, c := range cols {
			if m.M.Payload.Before != nil {
				fmt.Fprintf(&b, " %s:%s", c, m.before(c))
			}
			if m.M.Payload.After != nil {
				fmt.Fprintf(&b, " %s=%s", c, m.after(c))
			}
		}
		out = append(out, b.String())
	}
	return out
}

// ticking returns a clock that starts at the env's time and moves step forward at every call.
func (e *env) ticking(step time.Duration) func() time.Time {
	var mu sync.Mutex
	now := e.now
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(step)
		return now
	}
}

// replay applies records in order, as a consumer that upserts by key would, and returns the
// rows by key as "col=value ..." text over cols.
func replay(ms []msg, cols ...string) map[string]string {
	rows := map[string]string{}
	for _, m := range ms {
		switch m.op() {
		case cdc.OpInsert, cdc.OpUpdateAfter:
			var b strings.Builder
			for i, c := range cols {
				if i > 0 {
					b.WriteByte(' ')
				}
				fmt.Fprintf(&b, "%s=%s", c, m.after(c))
			}
			rows[string(m.Key)] = b.String()
		case cdc.OpDelete, cdc.OpUpdateBefore:
			delete(rows, string(m.Key))
		}
	}
	return rows
}

// table reads the source table's rows by the text of its first column, in replay's format.
func (e *env) table(name string, cols ...string) map[string]string {
	e.t.Helper()
	r, err := e.conn.Execute("SELECT " + strings.Join(cols, ", ") + " FROM " + name)
	if err != nil {
		e.t.Fatal(err)
	}
	rows := map[string]string{}
	for i := 0; i < r.RowNumber(); i++ {
		var b strings.Builder
		for j, c := range cols {
			if j > 0 {
				b.WriteByte(' ')
			}
			v, _ := r.GetValue(i, j)
			s := "<null>"
			switch x := v.(type) {
			case []byte:
				s = string(x)
			case nil:
			default:
				s = fmt.Sprint(x)
			}
			fmt.Fprintf(&b, "%s=%s", c, s)
		}
		k, _ := r.GetString(i, 0)
		rows[k] = b.String()
	}
	return rows
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}
