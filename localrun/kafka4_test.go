package main

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fcsync/fcsync/localrun/kafkatrigger"
	"github.com/fcsync/fcsync/shared/kafka/kafka4test"
)

func TestMain(m *testing.M) {
	code := m.Run()
	kafka4test.StopShared()
	os.Exit(code)
}

// TestKafka4TriggerDrivesTheStreamFunctionAndCommitsAtTheBroker: the emulated Kafka trigger
// consumes a topic on a real Kafka 4 broker into the stream function (two consumer tasks over
// three partitions, so batches mix partitions) and writes the same Hudi rows as over kfake. Its
// group's commits are what the broker's group coordinator and Kafka's own
// kafka-consumer-groups tool report, and a new trigger on the group resumes there.
func TestKafka4TriggerDrivesTheStreamFunctionAndCommitsAtTheBroker(t *testing.T) {
	b := kafka4test.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const topic, group = "orders", "g-kafka4-stream"
	t0 := time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)
	if err := b.CreateTopic(ctx, topic, 3, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := produce(ctx, []string{b.Addr()}, shopOrders(topic, 240, t0, time.Second, 7)); err != nil {
		t.Fatal(err)
	}
	fake, err := startBroker("", "", map[string]int32{topic: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	if _, err := produce(ctx, fake.ListenAddrs(), shopOrders(topic, 240, t0, time.Second, 7)); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	jobPath := filepath.Join(dir, "orders_rt.yaml")
	if err := os.WriteFile(jobPath, demoStreamJob, 0o644); err != nil {
		t.Fatal(err)
	}
	opts := []kafkatrigger.Option{kafkatrigger.WithBatch(40, 0), kafkatrigger.WithConsumerTasks(2)}
	_, _, err = driveStream(ctx, fake.ListenAddrs(), topic, group, jobPath, filepath.Join(dir, "kfake"), "", false, opts...)
	if err != nil {
		t.Fatal(err)
	}
	want := tableRows(t, filepath.Join(dir, "kfake", "lake", "orders_rt"))

	lake := filepath.Join(dir, "kafka4")
	st, _, err := driveStream(ctx, []string{b.Addr()}, topic, group, jobPath, lake, "", false, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != 240 {
		t.Errorf("the trigger delivered %d records from Kafka 4, want 240", st.Records)
	}
	got := tableRows(t, filepath.Join(lake, "lake", "orders_rt"))
	if len(got) != len(want) || len(want) < 100 {
		t.Errorf("%d rows from Kafka 4, %d from kfake", len(got), len(want))
	}
	for id, row := range want {
		if !reflect.DeepEqual(got[id], row) {
			t.Errorf("order %s: %v from Kafka 4, %v from kfake", id, got[id], row)
		}
	}

	hwm := map[int32]int64{}
	for p, ps := range st.Partitions {
		hwm[p] = ps.Next
	}
	var sum int64
	for _, n := range hwm {
		sum += n
	}
	if len(hwm) != 3 || sum != 240 {
		t.Fatalf("the trigger ended at %v, want three partitions summing to 240", hwm)
	}
	committed, err := b.Committed(ctx, group, topic)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(committed, hwm) {
		t.Errorf("the broker's group coordinator has %v, want %v", committed, hwm)
	}
	// Kafka's kafka-consumer-groups --describe: one line per partition, CURRENT-OFFSET and LAG.
	out, err := b.RunJava(ctx, "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
		"--bootstrap-server", b.Addr(), "--describe", "--group", group)
	if err != nil {
		t.Fatal(err)
	}
	described := map[int32]int64{}
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) < 6 || f[1] != topic {
			continue
		}
		p, err1 := strconv.Atoi(f[2])
		off, err2 := strconv.ParseInt(f[3], 10, 64)
		if err1 != nil || err2 != nil || f[5] != "0" {
			t.Errorf("kafka-consumer-groups line %q: want partition, offset and lag 0", line)
			continue
		}
		described[int32(p)] = off
	}
	if !reflect.DeepEqual(described, hwm) {
		t.Errorf("kafka-consumer-groups reports %v, want %v:\n%s", described, hwm, out)
	}

	// A new trigger on the group delivers only what arrived since.
	if _, err := produce(ctx, []string{b.Addr()}, shopOrders(topic, 30, t0.Add(time.Hour), time.Second, 8)); err != nil {
		t.Fatal(err)
	}
	st, _, err = driveStream(ctx, []string{b.Addr()}, topic, group, jobPath, lake, "", false, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != 30 {
		t.Errorf("the restarted trigger delivered %d records, want the 30 new ones", st.Records)
	}
}

// TestKafka4ProduceByDefaultStampsRecordsTheBrokerAccepts: generated records end now by
// default. Kafka 4 refuses records stamped more than an hour ahead of its clock
// (log.message.timestamp.after.max.ms); records starting now a second apart once passed that
// after 3600 records, and kfake accepts them anyway.
func TestKafka4ProduceByDefaultStampsRecordsTheBrokerAccepts(t *testing.T) {
	b := kafka4test.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const topic = "k4-produce-defaults"
	if err := b.CreateTopic(ctx, topic, 3, nil); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	before := time.Now()
	if err := runProduce(ctx, []string{"--brokers", b.Addr(), "--topic", topic, "--count", "4000"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "produced 4000 records") {
		t.Fatalf("produce printed %q", out.String())
	}
	// A start an hour and a half ahead is refused, with a reason.
	err := runProduce(ctx, []string{"--brokers", b.Addr(), "--topic", topic, "--count", "1",
		"--start", time.Now().Add(90 * time.Minute).Format(time.RFC3339)}, &out)
	if err == nil || !strings.Contains(err.Error(), "an hour ahead") {
		t.Fatalf("produce stamped 90 minutes ahead: %v, want the broker's refusal explained", err)
	}
	cl, err := b.Client(kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	n := 0
	var latest time.Time
	for n < 4000 {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatal(err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			n++
			if r.Timestamp.After(latest) {
				latest = r.Timestamp
			}
		})
	}
	if latest.Before(before.Add(-time.Second)) || latest.After(time.Now()) {
		t.Errorf("the last record is stamped %s, want about now (%s)", latest, before)
	}
}
