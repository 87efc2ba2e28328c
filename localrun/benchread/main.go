// Command benchread reads a topic's whole current range once (every
// partition, from its earliest offset to its high watermark) with one Kafka
// client and prints one line of JSON:
//
//	{"client":"fcsync","records":N,"seconds":S,"msgs_per_s":R,"peak_rss_mb":M}
//
// -client fcsync uses fcsync's reader (shared/kafka); -client franz uses
// franz-go's kgo consuming the same partitions from the same start offsets.
// The bench driver runs it once per client against the same broker so both
// are measured side by side. Offsets are looked up before the clock starts;
// peak RSS is VmHWM from /proc/self/status.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fcsync/fcsync/shared/rss"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fcsync/fcsync/shared/kafka"
	"github.com/fcsync/fcsync/shared/record"
)

type result struct {
	Client    string  `json:"client"`
	Records   int64   `json:"records"`
	Seconds   float64 `json:"seconds"`
	MsgsPerS  float64 `json:"msgs_per_s"`
	PeakRSSMB float64 `json:"peak_rss_mb"`
}

func main() {
	brokers := flag.String("brokers", "127.0.0.1:9092", "comma-separated broker addresses")
	topic := flag.String("topic", "", "topic to read")
	client := flag.String("client", "fcsync", "fcsync or franz")
	timeout := flag.Duration("timeout", 10*time.Minute, "give up after this long")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the read to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchread: -cpuprofile:", err)
			os.Exit(1)
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	if err := run(*brokers, *topic, *client, *timeout); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "benchread:", err)
		os.Exit(1)
	}
}

func run(brokerList, topic, client string, timeout time.Duration) error {
	if topic == "" {
		return errors.New("-topic is required")
	}
	var brokers []string
	for b := range strings.SplitSeq(brokerList, ",") {
		if b = strings.TrimSpace(b); b != "" {
			brokers = append(brokers, b)
		}
	}
	if len(brokers) == 0 {
		return errors.New("-brokers is empty")
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	var n int64
	var secs float64
	var err error
	switch client {
	case "fcsync":
		n, secs, err = readFcsync(ctx, brokers, topic)
	case "franz":
		n, secs, err = readFranz(ctx, brokers, topic)
	default:
		return fmt.Errorf("-client %q: want fcsync or franz", client)
	}
	if err != nil {
		return err
	}
	rss, err := rss.PeakMB()
	if err != nil {
		return err
	}
	res := result{Client: client, Records: n, Seconds: secs, PeakRSSMB: rss}
	if secs > 0 {
		res.MsgsPerS = float64(n) / secs
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

func readFcsync(ctx context.Context, brokers []string, topic string) (int64, float64, error) {
	c, err := kafka.Dial(ctx, kafka.Config{Brokers: brokers, Topic: topic, ClientID: "benchread-fcsync"})
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	parts, err := c.Partitions(ctx)
	if err != nil {
		return 0, 0, err
	}
	start, err := c.Earliest(ctx, parts)
	if err != nil {
		return 0, 0, err
	}
	end, err := c.Latest(ctx, parts)
	if err != nil {
		return 0, 0, err
	}
	ranges := make(map[int32]kafka.Range, len(parts))
	for _, p := range parts {
		ranges[p] = kafka.Range{Start: start[p], End: end[p]}
	}
	var n atomic.Int64
	t0 := time.Now()
	_, err = c.Read(ctx, ranges, func(_ int32, batch []record.Record) error {
		n.Add(int64(len(batch)))
		return nil
	})
	return n.Load(), time.Since(t0).Seconds(), err
}

func readFranz(ctx context.Context, brokers []string, topic string) (int64, float64, error) {
	admin, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ClientID("benchread-franz"))
	if err != nil {
		return 0, 0, err
	}
	start, err := franzOffsets(ctx, admin, topic, -2)
	if err != nil {
		admin.Close()
		return 0, 0, err
	}
	end, err := franzOffsets(ctx, admin, topic, -1)
	admin.Close()
	if err != nil {
		return 0, 0, err
	}
	offsets := map[int32]kgo.Offset{}
	remaining := map[int32]int64{}
	for p, s := range start {
		if end[p] > s {
			offsets[p] = kgo.NewOffset().At(s)
			remaining[p] = end[p]
		}
	}
	if len(offsets) == 0 {
		return 0, 0, nil
	}
	// read_committed, as fcsync's reader reads by default.
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ClientID("benchread-franz"),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: offsets}), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		return 0, 0, err
	}
	defer cl.Close()
	var n int64
	t0 := time.Now()
	for len(remaining) > 0 {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return n, time.Since(t0).Seconds(), err
		}
		var ferr error
		fetches.EachError(func(t string, p int32, err error) {
			ferr = errors.Join(ferr, fmt.Errorf("topic %s partition %d: %w", t, p, err))
		})
		if ferr != nil {
			return n, time.Since(t0).Seconds(), ferr
		}
		fetches.EachPartition(func(fp kgo.FetchTopicPartition) {
			hwm, ok := remaining[fp.Partition]
			if !ok {
				return
			}
			for _, r := range fp.Records {
				if r.Offset < hwm {
					n++
				}
				if r.Offset+1 >= hwm {
					delete(remaining, fp.Partition)
				}
			}
		})
	}
	return n, time.Since(t0).Seconds(), nil
}

// franzOffsets lists every partition's offset at ts (-2 earliest, -1 latest).
func franzOffsets(ctx context.Context, cl *kgo.Client, topic string, ts int64) (map[int32]int64, error) {
	meta := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	meta.Topics = append(meta.Topics, mt)
	mres, err := meta.RequestWith(ctx, cl)
	if err != nil {
		return nil, err
	}
	req := kmsg.NewPtrListOffsetsRequest()
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for _, t := range mres.Topics {
		if t.Topic == nil || *t.Topic != topic {
			continue
		}
		if t.ErrorCode != 0 {
			return nil, fmt.Errorf("topic %s: metadata error code %d", topic, t.ErrorCode)
		}
		for _, p := range t.Partitions {
			rp := kmsg.NewListOffsetsRequestTopicPartition()
			rp.Partition = p.Partition
			rp.Timestamp = ts
			rt.Partitions = append(rt.Partitions, rp)
		}
	}
	if len(rt.Partitions) == 0 {
		return nil, fmt.Errorf("topic %s: no partitions", topic)
	}
	req.Topics = append(req.Topics, rt)
	// The client splits the request per partition leader.
	res, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, err
	}
	out := map[int32]int64{}
	for _, t := range res.Topics {
		for _, p := range t.Partitions {
			if p.ErrorCode != 0 {
				return nil, fmt.Errorf("topic %s partition %d: list offsets error code %d", topic, p.Partition, p.ErrorCode)
			}
			out[p.Partition] = p.Offset
		}
	}
	return out, nil
}
