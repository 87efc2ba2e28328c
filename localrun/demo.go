package main

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/fcsync/fcsync/functions/batch/handler"
	"github.com/fcsync/fcsync/functions/platform"
	"github.com/fcsync/fcsync/localrun/kafkatrigger"
	"github.com/fcsync/fcsync/shared/job"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/trigger"
)

//go:embed demo/orders.yaml
var demoJob []byte

//go:embed demo/orders_rt.yaml
var demoStreamJob []byte

// timerEvent is the FC timer event the emulated timer fires (see shared/trigger/testdata/timer/samples/timer.json).
func timerEvent(tick time.Time, payload string) []byte {
	b, _ := json.Marshal(map[string]string{
		"triggerTime": tick.UTC().Format(time.RFC3339),
		"triggerName": "localrun-timer",
		"payload":     payload,
	})
	return b
}

func runDemo(ctx context.Context, args []string, out io.Writer) error {
	fs := flags("demo")
	dir := fs.String("dir", ".fcsync/demo", "where the demo keeps its warehouse, state and job (wiped first)")
	count := fs.Int("count", 2400, "orders to produce (one per second of event time)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := os.RemoveAll(*dir); err != nil {
		return err
	}
	jobsDir := filepath.Join(*dir, "jobs")
	if err := os.MkdirAll(jobsDir, 0o755); err != nil {
		return err
	}
	jobPath := filepath.Join(jobsDir, "demo_orders.yaml")
	if err := os.WriteFile(jobPath, demoJob, 0o644); err != nil {
		return err
	}
	spec, err := job.LoadFile(jobPath)
	if err != nil {
		return err
	}

	fmt.Fprintln(out, "== fcsync demo: Kafka → 5-minute batch windows → warehouse partitions ==")
	broker, err := startBroker("", "", map[string]int32{"orders": 3})
	if err != nil {
		return err
	}
	defer broker.Close()
	addrs := broker.ListenAddrs()
	fmt.Fprintf(out, "embedded kfake broker on %v, topic orders (3 partitions)\n", addrs)

	t0 := time.Date(2024, 6, 1, 9, 50, 0, 0, spec.Location)
	recs := shopOrders("orders", *count, t0, time.Second, 7)
	if _, err := produce(ctx, addrs, recs); err != nil {
		return err
	}
	fmt.Fprintf(out, "produced %d shop orders stamped %s .. %s (every 29th arrives 7 minutes late, every 53rd is malformed JSON, every 71st has a non-numeric total)\n\n",
		len(recs), t0.Format("15:04:05"), t0.Add(time.Duration(*count-1)*time.Second).Format("15:04:05"))

	cfg := handler.Config{
		JobsDir:      jobsDir,
		StateDir:     filepath.Join(*dir, "state"),
		RunsDir:      filepath.Join(*dir, "state"),
		WarehouseDir: filepath.Join(*dir, "warehouse"),
		Kafka:        platform.Kafka{Datasources: map[string]platform.Datasource{"demo_kafka": {Server: addrs[0]}}},
	}
	h := handler.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	first := time.Date(2024, 6, 1, 10, 0, 0, 0, spec.Location)
	ticks := spec.Schedule.Between(first, first.Add(35*time.Minute))
	fmt.Fprintf(out, "emulated FC timer %q fires %d times, %s .. %s, each a timer event through the batch function's handler\n",
		spec.CronSpec, len(ticks), ticks[0].Format("15:04"), ticks[len(ticks)-1].Format("15:04"))
	bar := newProgress(os.Stderr, len(ticks)+1)
	var reports []windowRun
	for i, tick := range ticks {
		bar.update(i, tick.Format("15:04"))
		res, err := h.Invoke(ctx, timerEvent(tick, `{"job":"demo_orders"}`), platform.Credentials{})
		if err != nil {
			return fmt.Errorf("window %s: %w", tick.Format(time.RFC3339), err)
		}
		reports = append(reports, windowRun{res.Report, nil})
	}
	// A timer that fires twice (FC timers may) and a rerun of an earlier window change nothing.
	bar.update(len(ticks), "rerun")
	res, err := h.Invoke(ctx, timerEvent(ticks[1], `{"job":"demo_orders"}`), platform.Credentials{})
	if err != nil {
		return fmt.Errorf("rerun: %w", err)
	}
	reports = append(reports, windowRun{res.Report, nil})
	bar.done()
	fmt.Fprintln(out)
	printReports(out, spec, reports)

	table := filepath.Join(cfg.WarehouseDir, "ods_orders")
	fmt.Fprintf(out, "\nsample rows of partition %s:\n", reports[0].rep.Partition)
	if err := runQuery(ctx, []string{"--table", table, "--partition", reports[0].rep.Partition, "--limit", "3"}, out); err != nil {
		return err
	}
	if err := showDirty(ctx, cfg.StateDir, out); err != nil {
		return err
	}
	if err := demoStream(ctx, *dir, addrs, out); err != nil {
		return err
	}
	if err := demoCDC(ctx, out, addrs); err != nil {
		return err
	}
	fmt.Fprintf(out, "\ntry: go run ./localrun query --table %s --partition %s\n", table, reports[0].rep.Partition)
	fmt.Fprintf(out, "     go run ./localrun query --table %s\n", filepath.Join(*dir, "lake", "lake", "orders_rt"))
	fmt.Fprintf(out, "     go run ./localrun status --store %s    (the batch windows' run records)\n", cfg.StateDir)
	return nil
}

// demoStream drives the stream function over the same topic with the emulated Kafka trigger
// (two consumer tasks over the three partitions, so one task's batches mix two partitions;
// batches of 200, every payload shape in turn, every 3rd batch delivered twice, every 5th
// acknowledgement lost) into a Hudi table, and shows what landed.
func demoStream(ctx context.Context, dir string, addrs []string, out io.Writer) error {
	jobPath := filepath.Join(dir, "jobs", "demo_orders_rt.yaml")
	if err := os.WriteFile(jobPath, demoStreamJob, 0o644); err != nil {
		return err
	}
	lake := filepath.Join(dir, "lake")
	fmt.Fprintln(out, "\n== the same topic in real time: emulated Kafka trigger → stream function → Hudi table ==")
	fmt.Fprintln(out, "2 consumer tasks over 3 partitions (one task's batches mix two), batches of 200 in every payload shape,")
	fmt.Fprintln(out, "every 3rd batch delivered twice, every 5th acknowledgement lost:")
	st, totals, err := driveStream(ctx, addrs, "orders", "fcsync-demo-rt", jobPath, lake, filepath.Join(dir, "state"), false,
		kafkatrigger.WithConsumerTasks(2), kafkatrigger.WithBatch(200, time.Second), kafkatrigger.WithShapes(trigger.KafkaShapes...),
		kafkatrigger.WithDuplicateEvery(3), kafkatrigger.WithAckLossEvery(5), kafkatrigger.WithOffsetReset(kafkatrigger.ResetEarliest))
	if err != nil {
		return err
	}
	printStream(out, st, totals)
	var rows bytes.Buffer
	if _, err := queryHudi(ctx, filepath.Join(lake, "lake", "orders_rt"), &rows); err != nil {
		return err
	}
	lines := bytes.Split(bytes.TrimSpace(rows.Bytes()), []byte("\n"))
	fmt.Fprintf(out, "\nHudi table %s: %d rows (each order once), for example:\n", filepath.Join(lake, "lake", "orders_rt"), len(lines))
	for _, l := range lines[:min(3, len(lines))] {
		fmt.Fprintf(out, "  %s\n", l)
	}
	return nil
}

// showDirty prints a few dirty-data records the windows kept.
func showDirty(ctx context.Context, stateDir string, out io.Writer) error {
	store, err := objstore.NewDir(stateDir)
	if err != nil {
		return err
	}
	keys, _, err := store.List(ctx, "dirty/", "", 100)
	if err != nil || len(keys) == 0 {
		return err
	}
	fmt.Fprintf(out, "\ndirty data (%d objects under %s/dirty/), first records:\n", len(keys), stateDir)
	b, err := store.Get(ctx, keys[0])
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 0; sc.Scan() && n < 3; n++ {
		var d map[string]any
		if json.Unmarshal(sc.Bytes(), &d) != nil {
			continue
		}
		fmt.Fprintf(out, "  %v/%v@%v column=%v reason=%v\n", d["topic"], d["partition"], d["offset"], d["column"], d["reason"])
	}
	return nil
}
