package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/fcsync/fcsync/shared/counterpart"
	"github.com/fcsync/fcsync/shared/kafka/kafka4test"
)

// runBenchKafka4 is the window-read benchmark on a real Apache Kafka 4 broker (kafka4test):
// fcsync's reader and franz-go (each in a benchread child) and Kafka's Java consumer
// (org.apache.kafka.tools.ConsumerPerformance) read the same topic in alternating rounds; the
// medians are reported. The Java rate is its fetch.nMsg.sec: records over the time after the
// consumer joined its group, so that none of the three counts start-up or offset look-ups.
func runBenchKafka4(ctx context.Context, args []string, out io.Writer) error {
	fs := flags("bench-kafka4")
	records := fs.Int("records", 1_000_000, "records in the topic")
	size := fs.Int("value-bytes", 512, "approximate value size")
	reader := fs.String("benchread", "dist/benchread", "the benchread binary (make bench builds it)")
	rounds := fs.Int("rounds", 5, "alternating read rounds per client; the median of each is reported")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *rounds < 1 {
		return usageError{"bench-kafka4: --rounds must be at least 1"}
	}
	if _, err := os.Stat(*reader); err != nil {
		return fmt.Errorf("bench-kafka4: %s: build it with `go build -o %s ./localrun/benchread` (make bench does)", *reader, *reader)
	}
	fmt.Fprintf(os.Stderr, "starting Kafka %s ...\n", kafka4test.Version)
	b, err := kafka4test.Start(ctx)
	if errors.Is(err, counterpart.ErrMissing) {
		fmt.Fprintf(os.Stderr, "bench-kafka4: skipped, no Kafka %s broker: %v\n", kafka4test.Version, err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("bench-kafka4: %w", err)
	}
	defer b.Close()
	if err := b.CreateTopic(ctx, "bench", 3, nil); err != nil {
		return fmt.Errorf("bench-kafka4: %w", err)
	}
	addrs := []string{b.Addr()}
	fmt.Fprintf(os.Stderr, "producing %d records of ~%d bytes to Kafka %s at %v ...\n", *records, *size, kafka4test.Version, addrs)
	if err := produceBench(ctx, addrs, *records, *size); err != nil {
		return err
	}
	rates := map[string][]float64{}
	for round := 0; round < *rounds; round++ {
		for _, client := range []string{"fcsync", "franz", "java"} {
			var rate float64
			var n int64
			if client == "java" {
				rate, n, err = javaConsumerPerformance(ctx, b, "bench", int64(*records), fmt.Sprintf("bench-java-%d", round))
			} else {
				var res benchReadResult
				res, err = benchRead(ctx, *reader, addrs, client)
				rate, n = res.MsgsPerS, res.Records
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "round %d %-6s %8.0f msgs/s  %d records\n", round+1, client, rate, n)
			if n != int64(*records) {
				return fmt.Errorf("bench-kafka4: %s read %d records, want %d", client, n, *records)
			}
			rates[client] = append(rates[client], rate)
		}
	}
	f, k, j := median(rates["fcsync"]), median(rates["franz"]), median(rates["java"])
	fmt.Fprintf(out, "BENCH window_read_kafka4 fcsync_msgs_per_s=%.0f franz_msgs_per_s=%.0f java_msgs_per_s=%.0f ratio=%.2f\n", f, k, j, f/k)
	return nil
}

// javaConsumerPerformance runs Kafka's consumer benchmark over the whole topic in a group of its
// own and returns its fetch.nMsg.sec and the records it consumed.
func javaConsumerPerformance(ctx context.Context, b *kafka4test.Broker, topic string, n int64, group string) (float64, int64, error) {
	out, err := b.RunJavaTuned(ctx, "org.apache.kafka.tools.ConsumerPerformance",
		"--bootstrap-server", b.Addr(), "--topic", topic, "--messages", strconv.FormatInt(n, 10),
		"--group", group, "--timeout", "120000", "--hide-header")
	if err != nil {
		return 0, 0, fmt.Errorf("bench-kafka4 java: %w", err)
	}
	// start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
	// rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
	line := strings.TrimSpace(string(out))
	if i := strings.LastIndexByte(line, '\n'); i >= 0 {
		line = line[i+1:]
	}
	f := strings.Split(line, ",")
	if len(f) != 10 {
		return 0, 0, fmt.Errorf("bench-kafka4 java: ConsumerPerformance printed %q, want 10 fields", line)
	}
	msgs, err1 := strconv.ParseInt(strings.TrimSpace(f[4]), 10, 64)
	rate, err2 := strconv.ParseFloat(strings.TrimSpace(f[9]), 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, 0, fmt.Errorf("bench-kafka4 java: ConsumerPerformance line %q: %w", line, err)
	}
	return rate, msgs, nil
}
