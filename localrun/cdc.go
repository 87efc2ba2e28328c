package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/fcsync/fcsync/functions/cdc/handler"
	"github.com/fcsync/fcsync/functions/platform"
	"github.com/fcsync/fcsync/shared/cdc"
	"github.com/fcsync/fcsync/shared/cdc/mariadbtest"
	"github.com/fcsync/fcsync/shared/kafka"
	"github.com/fcsync/fcsync/shared/record"
	"github.com/fcsync/fcsync/shared/rss"
)

// runCDC runs a database-to-Kafka job through the cdc function's handler: once until the
// binlog is caught up, or (--follow) one invocation after another as the timer would fire them.
//
// `localrun cdc bench` is the benchmark (runBenchCDC).
func runCDC(ctx context.Context, args []string, out io.Writer) error {
	if len(args) > 0 && args[0] == "bench" {
		return runBenchCDC(ctx, args[1:], out)
	}
	fs := flags("cdc")
	jobFile := fs.String("job", "", "the cdc job file (required)")
	dsn := fs.String("dsn", "", "the database, user[:password]@tcp(host:port)/ (default: the job's, or FCSYNC_CDC_DSN); FCSYNC_CDC_PASSWORD fills a missing password")
	brokers := fs.String("brokers", "", "Kafka brokers (default: the job's, else the embedded broker)")
	state := fs.String("state", ".fcsync/state", "state store: a directory or oss://bucket/prefix")
	budget := fs.Duration("budget", 0, "time budget of one invocation (default: the job's setting.budget)")
	follow := fs.Bool("follow", false, "keep invoking, every --every, until interrupted")
	every := fs.Duration("every", 5*time.Second, "with --follow: the pause between invocations")
	peak := fs.Bool("peak-rss", false, "print this process's peak resident memory at the end (peak_rss_mb=N)")
	asJSON := fs.Bool("json", false, "print each invocation's report as JSON")
	verbose := fs.Bool("v", false, "log the job's progress to stderr")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *jobFile == "" {
		return usageError{"cdc: --job is required"}
	}
	j, err := cdc.LoadFile(*jobFile)
	if err != nil {
		return err
	}
	cfg := handler.Config{JobFile: *jobFile, State: *state, DSN: os.Getenv("FCSYNC_CDC_DSN"), Password: os.Getenv("FCSYNC_CDC_PASSWORD")}
	if *dsn != "" {
		if _, err := cdc.ParseDSN(*dsn); err != nil {
			return usageError{"cdc: --" + err.Error()}
		}
		cfg.DSN = *dsn
	}
	if *brokers != "" || (len(j.Writer.Servers) == 0 && j.Writer.Datasource == "") {
		addrs, stop, err := brokersOrEmbedded(*brokers)
		if err != nil {
			return err
		}
		defer stop()
		cfg.Servers, cfg.ForceServers = addrs, true
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	h := handler.New(cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))
	if *budget > 0 {
		h.Options = append(h.Options, cdc.WithBudget(*budget))
	}
	if !*follow {
		h.Options = append(h.Options, cdc.WithUntilCaughtUp())
	}
	for n := 1; ; n++ {
		res, err := h.Run(ctx, j)
		if res != nil && res.Report != nil {
			printCDCReport(out, n, res.Report, *asJSON)
		}
		if err != nil {
			return err
		}
		if !*follow {
			break
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(*every):
		}
	}
	if *peak {
		mb, err := rss.PeakMB()
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "peak_rss_mb=%.0f\n", mb)
	}
	return nil
}

func printCDCReport(out io.Writer, n int, r *cdc.Report, asJSON bool) {
	if asJSON {
		b, _ := json.Marshal(r)
		fmt.Fprintf(out, "%s\n", b)
		return
	}
	fmt.Fprintf(out, "invocation %d: phase %s, %d snapshot rows, %d changes, %d DDL, %d heartbeats, %d records in %d batches; binlog %s → %s%s (%s)\n",
		n, r.Phase, r.SnapshotRows, r.Changes, r.DDL, r.Heartbeats, r.Records, r.Batches, r.From, r.To,
		map[bool]string{true: ", caught up", false: ""}[r.CaughtUp], r.Duration.Round(time.Millisecond))
}

// benchCDCJob is the job `localrun cdc bench` runs: one table, binlog only.
const benchCDCJob = `name: bench_cdc
timezone: UTC
reader: {type: mariadb, tables: [bench.orders], snapshot: false}
writer: {type: kafka, topic: bench_cdc, partitions: 3, heartbeat: true}
setting: {budget: 10m}
`

// runBenchCDC measures change events per second from the binlog to Kafka: a MariaDB server
// (started here, or --dsn), the embedded broker in this process, N changes (inserts, then
// updates of every row, then deletes of a tenth) written to the binlog first, then one
// `localrun cdc` child process that turns them into Kafka records; its peak RSS is reported.
func runBenchCDC(ctx context.Context, args []string, out io.Writer) error {
	fs := flags("cdc bench")
	events := fs.Int("events", 200_000, "change events to write (45% inserts, 45% updates, the rest deletes)")
	dsn := fs.String("dsn", "", "a MySQL/MariaDB server to use as root-like user (default: start a throwaway MariaDB)")
	if err := parse(fs, args); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "fcsync-bench-cdc-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var src cdc.Source
	if *dsn != "" {
		if src, err = cdc.ParseDSN(*dsn); err != nil {
			return usageError{"cdc bench: --" + err.Error()}
		}
	} else {
		srv, err := mariadbtest.Start(ctx, mariadbtest.WithDir(filepath.Join(dir, "db")), mariadbtest.WithArgs("--max-binlog-size=268435456"))
		if errors.Is(err, mariadbtest.ErrNotInstalled) {
			// make bench runs on machines without a database server: say so and go on.
			fmt.Fprintf(os.Stderr, "cdc bench skipped: %v (install mariadb-server or pass --dsn)\n", err)
			return nil
		}
		if err != nil {
			return fmt.Errorf("cdc bench: %w (or pass --dsn)", err)
		}
		defer srv.Close()
		src = cdc.Source{Host: srv.Host, Port: srv.Port, User: "root"}
	}
	broker, err := startBroker("", "", nil)
	if err != nil {
		return err
	}
	defer broker.Close()
	addrs := broker.ListenAddrs()
	jobFile := filepath.Join(dir, "bench_cdc.yaml")
	if err := os.WriteFile(jobFile, []byte(benchCDCJob), 0o644); err != nil {
		return err
	}
	n := max(*events, 10)
	inserts := n * 45 / 100
	updates, deletes := inserts, n-2*inserts
	fmt.Fprintf(os.Stderr, "writing %d inserts, %d updates, %d deletes to the binlog of %s ...\n", inserts, updates, deletes, src.Addr())
	if err := benchCDCPrepare(ctx, src, func() error {
		// the job begins (records the binlog position) before the changes are made
		return runCDCChild(ctx, jobFile, src, addrs, dir, nil)
	}, inserts, updates, deletes); err != nil {
		return err
	}
	var res benchCDCResult
	if err := runCDCChild(ctx, jobFile, src, addrs, dir, &res); err != nil {
		return err
	}
	if res.Report.Changes != int64(n) {
		return fmt.Errorf("cdc bench: the job read %d changes, want %d", res.Report.Changes, n)
	}
	secs := res.Report.Duration.Seconds()
	fmt.Fprintf(os.Stderr, "%d changes → %d Kafka records in %s\n", res.Report.Changes, res.Report.Records, res.Report.Duration.Round(time.Millisecond))
	fmt.Fprintf(out, "BENCH cdc events_per_s=%.0f peak_rss_mb=%.0f\n", float64(res.Report.Changes)/secs, res.PeakMB)
	return nil
}

type benchCDCResult struct {
	Report cdc.Report
	PeakMB float64
}

// runCDCChild runs `localrun cdc` on the job in a child process (so the broker's memory is not
// counted) and reads its JSON report and peak RSS into res (nil: discard).
func runCDCChild(ctx context.Context, jobFile string, src cdc.Source, brokers []string, dir string, res *benchCDCResult) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, self, "cdc", "--job", jobFile, "--brokers", strings.Join(brokers, ","),
		"--state", filepath.Join(dir, "state"), "--json", "--peak-rss")
	cmd.Env = append(os.Environ(), "FCSYNC_CDC_DSN="+src.User+"@tcp("+src.Addr()+")/", "FCSYNC_CDC_PASSWORD="+src.Password)
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("cdc bench: localrun cdc: %w\n%s", err, stdout.String())
	}
	if res == nil {
		return nil
	}
	for _, line := range strings.Split(stdout.String(), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "{"):
			if err := json.Unmarshal([]byte(line), &res.Report); err != nil {
				return fmt.Errorf("cdc bench: report %q: %w", line, err)
			}
		case strings.HasPrefix(line, "peak_rss_mb="):
			fmt.Sscanf(strings.TrimPrefix(line, "peak_rss_mb="), "%g", &res.PeakMB)
		}
	}
	if res.PeakMB == 0 || res.Report.Job == "" {
		return fmt.Errorf("cdc bench: the child printed no report or peak_rss_mb:\n%s", stdout.String())
	}
	return nil
}

// benchCDCPrepare creates bench.orders, lets begin record the starting position, then writes the
// changes in transactions of 1000 rows.
func benchCDCPrepare(ctx context.Context, src cdc.Source, begin func() error, inserts, updates, deletes int) error {
	c, err := mariadbConn(ctx, src)
	if err != nil {
		return err
	}
	defer c.Close()
	for _, q := range []string{
		"DROP DATABASE IF EXISTS bench", "CREATE DATABASE bench",
		"CREATE TABLE bench.orders (id BIGINT PRIMARY KEY, customer VARCHAR(40), city VARCHAR(20), total DECIMAL(10,2), status VARCHAR(10), created DATETIME(3), note TEXT)",
	} {
		if _, err := c.Execute(q); err != nil {
			return fmt.Errorf("cdc bench: %s: %w", q, err)
		}
	}
	if err := begin(); err != nil {
		return err
	}
	const tx = 1000
	var b strings.Builder
	for start := 0; start < inserts; start += tx {
		b.Reset()
		b.WriteString("INSERT INTO bench.orders VALUES ")
		for i := start; i < min(start+tx, inserts); i++ {
			if i > start {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "(%d,'customer %d','Hangzhou',%d.%02d,'new','2024-06-01 10:%02d:%02d.%03d','order note %d')", i, i%5000, i%997, i%100, (i/60)%60, i%60, i%1000, i)
		}
		if _, err := c.Execute(b.String()); err != nil {
			return fmt.Errorf("cdc bench: insert: %w", err)
		}
	}
	for start := 0; start < updates; start += tx {
		q := fmt.Sprintf("UPDATE bench.orders SET status = 'paid', total = total + 1 WHERE id >= %d AND id < %d", start, min(start+tx, updates))
		if _, err := c.Execute(q); err != nil {
			return fmt.Errorf("cdc bench: update: %w", err)
		}
	}
	for start := 0; start < deletes; start += tx {
		q := fmt.Sprintf("DELETE FROM bench.orders WHERE id >= %d AND id < %d", inserts-deletes+start, inserts-deletes+min(start+tx, deletes))
		if _, err := c.Execute(q); err != nil {
			return fmt.Errorf("cdc bench: delete: %w", err)
		}
	}
	return nil
}

// demoCDC shows the CDC path: a throwaway MariaDB with a shop database, a snapshot and then
// binlog changes written to Kafka through the cdc function's handler, and what landed. When
// no MariaDB server is installed it says how to enable the demo and returns nil.
func demoCDC(ctx context.Context, w io.Writer, brokers []string) error {
	fmt.Fprintln(w, "\n== database changes → Kafka: snapshot, then the binlog, in DataWorks' message format ==")
	if _, _, err := mariadbtest.Binaries(); err != nil {
		fmt.Fprintf(w, "skipped: %v.\n", err)
		fmt.Fprintln(w, "To see it, install a MariaDB server (Debian/Ubuntu: apt-get install mariadb-server; the demo starts its own")
		fmt.Fprintln(w, "throwaway server on 127.0.0.1), or run `localrun cdc --job infra/jobs/cdc/shop_cdc.yaml --dsn user:pw@tcp(host:port)/`")
		fmt.Fprintln(w, "against a MySQL/MariaDB server with binlog_format=ROW.")
		return nil
	}
	dir, err := os.MkdirTemp("", "fcsync-demo-cdc-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srv, err := mariadbtest.Start(ctx, mariadbtest.WithDir(filepath.Join(dir, "db")))
	if err != nil {
		return fmt.Errorf("demo cdc: %w", err)
	}
	defer srv.Close()
	fmt.Fprintf(w, "throwaway MariaDB on %s (binlog_format=ROW), database shop: orders (primary key), audit_log (no primary key)\n", srv.Addr())
	if err := srv.Exec(ctx,
		"CREATE DATABASE shop",
		"CREATE TABLE shop.orders (id INT PRIMARY KEY, customer VARCHAR(40), total DECIMAL(10,2), status ENUM('new','paid','shipped'), created DATETIME(3))",
		"CREATE TABLE shop.audit_log (entity_id INT NOT NULL, seq INT NOT NULL, action VARCHAR(20))",
		"INSERT INTO shop.orders VALUES (1,'Ann',19.90,'new','2024-06-01 10:00:00.000'),(2,'Bo',5.00,'paid','2024-06-01 10:01:00.000'),(3,'Chen',42.00,'new','2024-06-01 10:02:00.000')",
		"INSERT INTO shop.audit_log VALUES (1,1,'created'),(2,1,'created'),(3,1,'created')",
	); err != nil {
		return err
	}
	jobText := `name: demo_shop_cdc
timezone: Asia/Shanghai
reader: {type: mariadb, tables: [shop.orders, shop.audit_log], keys: {shop.audit_log: [entity_id, seq]}, chunkRows: 2}
writer: {type: kafka, topic: 'cdc.${db}.${table}', partitions: 3, updateAs: one}
`
	jobFile := filepath.Join(dir, "demo_shop_cdc.yaml")
	if err := os.WriteFile(jobFile, []byte(jobText), 0o644); err != nil {
		return err
	}
	j, err := cdc.LoadFile(jobFile)
	if err != nil {
		return err
	}
	h := handler.New(handler.Config{JobFile: jobFile, State: filepath.Join(dir, "state"), DSN: "root@tcp(" + srv.Addr() + ")/",
		Kafka: platform.Kafka{Servers: brokers, ForceServers: true}}, slog.New(slog.DiscardHandler))
	h.Options = []cdc.Option{cdc.WithUntilCaughtUp()}
	res, err := h.Run(ctx, j)
	if err != nil {
		return err
	}
	printCDCReport(w, 1, res.Report, false)
	if err := srv.Exec(ctx,
		"UPDATE shop.orders SET status = 'paid' WHERE id = 1",
		"INSERT INTO shop.orders VALUES (4,'Dee',7.50,'new','2024-06-01 10:05:00.000')",
		"DELETE FROM shop.orders WHERE id = 3",
		"ALTER TABLE shop.orders ADD COLUMN coupon VARCHAR(10)",
		"UPDATE shop.orders SET coupon = 'JUNE', status = 'shipped' WHERE id = 2",
		"INSERT INTO shop.audit_log VALUES (1,2,'paid'),(2,2,'shipped')",
	); err != nil {
		return err
	}
	fmt.Fprintln(w, "then: an update, an insert, a delete, ALTER TABLE ... ADD COLUMN coupon, an update using it, two audit rows")
	if res, err = h.Run(ctx, j); err != nil {
		return err
	}
	printCDCReport(w, 2, res.Report, false)
	for _, topic := range []string{"cdc.shop.orders", "cdc.shop.audit_log"} {
		recs, err := readTopic(ctx, brokers, topic)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "\ntopic %s: %d records (partition@offset op key sequenceId):\n", topic, len(recs))
		for _, r := range recs {
			m, err := cdc.DecodeMessage(r.Value)
			if err != nil {
				return err
			}
			if m.Payload.Op == cdc.OpHeartbeat && r.Partition > 0 {
				continue
			}
			seq := "-"
			if m.Payload.SequenceID != nil {
				seq = *m.Payload.SequenceID
			}
			extra := ""
			if m.Payload.DDL != nil {
				extra = "  " + m.Payload.DDL.Text
			} else if m.Payload.After != nil {
				b, _ := json.Marshal(m.Payload.After.DataColumn)
				extra = "  " + string(b)
			}
			fmt.Fprintf(w, "  %d@%d %-12s key=%-10q %s%s\n", r.Partition, r.Offset, m.Payload.Op, r.Key, seq, extra)
		}
	}
	fmt.Fprintln(w, "(heartbeats go to every partition; shown for partition 0 only. Full-data records have sequenceId -1.)")
	return nil
}

// readTopic reads every record of a topic, partition by partition.
func readTopic(ctx context.Context, brokers []string, topic string) ([]record.Record, error) {
	c, err := kafka.Dial(ctx, kafka.Config{Brokers: brokers, Topic: topic})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	parts, err := c.Partitions(ctx)
	if err != nil {
		return nil, err
	}
	lo, err := c.Earliest(ctx, parts)
	if err != nil {
		return nil, err
	}
	hi, err := c.Latest(ctx, parts)
	if err != nil {
		return nil, err
	}
	ranges := map[int32]kafka.Range{}
	for _, p := range parts {
		ranges[p] = kafka.Range{Start: lo[p], End: hi[p]}
	}
	byPart := map[int32][]record.Record{}
	_, err = c.Read(ctx, ranges, func(p int32, batch []record.Record) error {
		for _, r := range batch {
			r.Key, r.Value = bytes.Clone(r.Key), bytes.Clone(r.Value)
			byPart[p] = append(byPart[p], r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []record.Record
	for _, p := range parts {
		out = append(out, byPart[p]...)
	}
	return out, nil
}

func mariadbConn(ctx context.Context, src cdc.Source) (*client.Conn, error) {
	c, err := client.ConnectWithContext(ctx, src.Addr(), src.User, src.Password, "", 10*time.Second)
	if err != nil {
		return nil, fmt.Errorf("cdc bench: connect to %s: %w", src, err)
	}
	return c, nil
}
