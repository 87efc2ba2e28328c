package handler

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fcsync/fcsync/functions/platform"
	"github.com/fcsync/fcsync/shared/cdc"
	"github.com/fcsync/fcsync/shared/cdc/mariadbtest"
)

const secret = "Pw-7Secret"

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfigFromEnvReadsEverySettingAndPrintsNoSecret(t *testing.T) {
	c, err := ConfigFromEnv(env(map[string]string{
		"FCSYNC_JOBS": "/jobs", "FCSYNC_JOB": "shop", "FCSYNC_STATE": "oss://b/p", "FCSYNC_KAFKA_SERVERS": "k1:9092, k2:9092",
		"FCSYNC_FORCE_SERVERS": "1", "FCSYNC_DATASOURCES": `{"kafka1":{"server":"k:1","kafkaConfig":{"client.id":"x"}}}`,
		"FCSYNC_CDC_DSN": "cdc:" + secret + "@tcp(db:3306)/", "FCSYNC_CDC_PASSWORD": secret,
		"FCSYNC_CDC_SOURCES": `{"shop_db":"cdc:` + secret + `@tcp(db2:3307)/"}`,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.JobsDir != "/jobs" || c.DefaultJob != "shop" || c.State != "oss://b/p" || len(c.Servers) != 2 || !c.ForceServers ||
		c.Datasources["kafka1"].KafkaConfig["client.id"] != "x" || c.Sources["shop_db"] == "" || c.Password != secret {
		t.Errorf("config %+v", c)
	}
	for _, s := range []string{c.String(), fmt.Sprintf("%v %+v %#v", c, c, c)} {
		if strings.Contains(s, secret) {
			t.Errorf("printing the config shows a secret: %s", s)
		}
	}
	d, _ := ConfigFromEnv(env(nil))
	if d.State != ".fcsync/state" || filepath.Base(d.JobsDir) != "jobs" {
		t.Errorf("defaults: %+v", d)
	}
}

func TestConfigErrorsNeverQuoteSecrets(t *testing.T) {
	for _, e := range []map[string]string{
		{"FCSYNC_CDC_DSN": "cdc:" + secret + "@tcp(db:99999)/"},
		{"FCSYNC_CDC_SOURCES": `{"a": "cdc:` + secret + `@unix(/s)/"}`},
		{"FCSYNC_CDC_SOURCES": `{"a": cdc:` + secret + `}`},
		{"FCSYNC_DATASOURCES": `{"a": {"server": "x", "nope": 1}}`},
	} {
		_, err := ConfigFromEnv(env(e))
		if err == nil || strings.Contains(err.Error(), secret) {
			t.Errorf("%v: error %v, want one without the secret", e, err)
		}
	}
}

func TestSourceAndBrokersComeFromTheJobOrTheEnvironment(t *testing.T) {
	job := func(text string) *cdc.Job {
		j, err := cdc.Load([]byte(text), "j")
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	withDSN := job(`{reader: {tables: [a.b], dsn: "cdc@tcp(db1:3306)/"}, writer: {server: "k1:9092"}}`)
	withDS := job(`{reader: {tables: [a.b], datasource: shop}, writer: {datasource: kafka1, kafkaConfig: {client.id: me}}}`)
	bare := job(`{reader: {tables: [a.b]}, writer: {}}`)
	cases := []struct {
		name     string
		cfg      Config
		j        *cdc.Job
		host     string
		password string
		brokers  string
		wantErr  string
	}{
		{name: "job dsn, env password", cfg: Config{Password: "p1"}, j: withDSN, host: "db1", password: "p1", brokers: "k1:9092"},
		{name: "env dsn wins", cfg: Config{DSN: "u:p2@tcp(db9:1)/", Password: "ignored"}, j: withDSN, host: "db9", password: "p2", brokers: "k1:9092"},
		{name: "datasources", cfg: Config{Sources: map[string]string{"shop": "u:p3@tcp(db3:1)/"}, Kafka: platform.Kafka{Datasources: map[string]platform.Datasource{"kafka1": {Server: "k3:1, k4:1"}}}}, j: withDS, host: "db3", password: "p3", brokers: "k3:1,k4:1"},
		{name: "forced brokers", cfg: Config{Password: "p", Kafka: platform.Kafka{Servers: []string{"k9:1"}, ForceServers: true}}, j: withDSN, host: "db1", password: "p", brokers: "k9:1"},
		{name: "env brokers", cfg: Config{DSN: "u@tcp(h:1)/", Kafka: platform.Kafka{Servers: []string{"k8:1"}}}, j: bare, host: "h", brokers: "k8:1"},
		{name: "unknown database datasource", cfg: Config{}, j: withDS, wantErr: `datasource "shop" is not in FCSYNC_CDC_SOURCES`},
		{name: "no database", cfg: Config{Kafka: platform.Kafka{Servers: []string{"k:1"}}}, j: bare, wantErr: "no database"},
		{name: "no brokers", cfg: Config{DSN: "u@tcp(h:1)/"}, j: bare, wantErr: "no Kafka brokers"},
		{name: "unknown kafka datasource", cfg: Config{Sources: map[string]string{"shop": "u@h"}}, j: withDS, wantErr: `Kafka datasource "kafka1" is not configured`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := New(c.cfg, slog.New(slog.DiscardHandler))
			src, err := h.source(c.j)
			if err == nil {
				kc, kerr := h.kafkaConfig(c.j)
				err = kerr
				if err == nil && (src.Host != c.host || src.Password != c.password || strings.Join(kc.Brokers, ",") != c.brokers) {
					t.Errorf("source %s password %q brokers %v; want %s %q %s", src, src.Password, kc.Brokers, c.host, c.password, c.brokers)
				}
			}
			if c.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
				t.Errorf("error %v, want %q", err, c.wantErr)
			}
		})
	}
}

func TestInvokeRejectsBadEventsAndPayloads(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "shop.yaml"), []byte(`{reader: {tables: [a.b]}, writer: {}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	h := New(Config{JobsDir: dir}, slog.New(slog.DiscardHandler))
	for _, c := range []struct{ event, want string }{
		{`{"triggerTime":`, "JSON"},
		{`{"triggerTime":"2024-06-01T00:00:00Z","payload":"{\"job\":\"shop\",\"at\":\"2024-06-01T00:00:00Z\"}"}`, `"at" and "params" do not apply`},
		{`{"triggerTime":"2024-06-01T00:00:00Z","payload":"nope"}`, `job "nope"`},
		{`{"triggerTime":"2024-06-01T00:00:00Z","payload":"../shop"}`, "payload"},
		{`{"triggerTime":"2024-06-01T00:00:00Z"}`, "FCSYNC_JOB is not set"},
		{`{"triggerTime":"2024-06-01T00:00:00Z","payload":"shop"}`, "no database"},
	} {
		_, err := h.Invoke(context.Background(), []byte(c.event), platform.Credentials{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.event, err, c.want)
		}
	}
}

// The database for the tests that run the job.
var (
	srvOnce sync.Once
	srv     *mariadbtest.Server
	srvErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	srv.Close()
	os.Exit(code)
}

func server(t *testing.T) *mariadbtest.Server {
	srvOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		srv, srvErr = mariadbtest.Start(ctx)
		if srvErr == nil {
			srvErr = srv.Exec(ctx, "CREATE USER 'cdc'@'127.0.0.1' IDENTIFIED BY '"+secret+"'",
				"GRANT SELECT, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'cdc'@'127.0.0.1'",
				"CREATE DATABASE shop", "CREATE TABLE shop.orders (id INT PRIMARY KEY, status VARCHAR(8))",
				"INSERT INTO shop.orders VALUES (1, 'new'), (2, 'new')")
		}
	})
	return mariadbtest.Require(t, srv, srvErr)
}

// TestTimerInvocationsSnapshotThenStreamChanges: two timer events through the handler — the
// first snapshots the table, the second writes the changes made in between — with the database
// named by a datasource whose password comes from the environment.
func TestTimerInvocationsSnapshotThenStreamChanges(t *testing.T) {
	s := server(t)
	kc, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	dir := t.TempDir()
	jobText := `name: shop_cdc
reader: {type: mariadb, datasource: shop_db, tables: [shop.orders]}
writer: {type: kafka, datasource: kafka1, partitions: 2, heartbeat: false}
`
	if err := os.WriteFile(filepath.Join(dir, "shop_cdc.yaml"), []byte(jobText), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cfg, err := ConfigFromEnv(env(map[string]string{
		"FCSYNC_JOBS": dir, "FCSYNC_STATE": filepath.Join(dir, "state"),
		"FCSYNC_DATASOURCES":  `{"kafka1":{"server":"` + kc.ListenAddrs()[0] + `"}}`,
		"FCSYNC_CDC_SOURCES":  `{"shop_db":"cdc@tcp(` + s.Addr() + `)/"}`,
		"FCSYNC_CDC_PASSWORD": secret,
	}))
	if err != nil {
		t.Fatal(err)
	}
	h := New(cfg, slog.New(slog.NewJSONHandler(&logs, nil)))
	h.Options = []cdc.Option{cdc.WithUntilCaughtUp()}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	event := `{"triggerTime":"2024-06-01T02:00:00Z","triggerName":"every-minute","payload":"{\"job\":\"shop_cdc\"}"}`
	res, err := h.Invoke(ctx, []byte(event), platform.Credentials{})
	if err != nil || res.Status != "succeeded" || res.Report.SnapshotRows != 2 {
		t.Fatalf("first invocation: %+v, %v", res, err)
	}
	if err := s.Exec(ctx, "UPDATE shop.orders SET status = 'paid' WHERE id = 1", "INSERT INTO shop.orders VALUES (3, 'new')"); err != nil {
		t.Fatal(err)
	}
	res, err = h.Invoke(ctx, []byte(event), platform.Credentials{})
	if err != nil || res.Report.Changes != 2 || !res.Report.CaughtUp {
		t.Fatalf("second invocation: %+v, %v", res, err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(kc.ListenAddrs()...), kgo.ConsumeTopics("orders"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var ops []string
	for len(ops) < 4 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read back: %v (have %v)", ctx.Err(), ops)
		}
		fs.EachRecord(func(r *kgo.Record) {
			m, err := cdc.DecodeMessage(r.Value)
			if err != nil {
				t.Fatal(err)
			}
			ops = append(ops, m.Payload.Op+" "+string(r.Key))
		})
	}
	want := map[string]bool{"INSERT 1": true, "INSERT 2": true, "UPDATE_AFTER 1": true, "INSERT 3": true}
	for _, o := range ops {
		if !want[o] {
			t.Errorf("unexpected record %s (all: %v)", o, ops)
		}
	}
	if strings.Contains(logs.String(), secret) {
		t.Error("the handler logged the password")
	}
}
