package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fcsync/fcsync/shared/record"
)

func runProduce(ctx context.Context, args []string, out io.Writer) error {
	fs := flags("produce")
	brokers := fs.String("brokers", "", "bootstrap servers (default: the embedded broker in ./.fcsync/broker)")
	topic := fs.String("topic", "", "topic (created with 3 partitions if absent)")
	count := fs.Int("count", 0, "number of generated shop-order records")
	start := fs.String("start", "", "timestamp of the first generated record (RFC 3339 or yyyymmddhhmmss; default: the last record is stamped now)")
	step := fs.Duration("step", time.Second, "timestamp step between generated records")
	file := fs.String("file", "", "produce the records of this JSON-lines file instead (key, value, partition, timestamp, headers)")
	seed := fs.Uint64("seed", 1, "random seed for generated records")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *topic == "" {
		return usageError{"produce: --topic is required"}
	}
	var recs []*kgo.Record
	switch {
	case *file != "":
		rs, err := readRecordsFile(*file)
		if err != nil {
			return err
		}
		for i := range rs {
			recs = append(recs, toKgo(&rs[i], *topic))
		}
	case *count > 0:
		// By default the records end now: Kafka 4 brokers refuse records stamped more than
		// log.message.timestamp.after.max.ms (one hour by default) in the future.
		t0 := time.Now().Add(-time.Duration(*count-1) * *step)
		if *start != "" {
			var err error
			if t0, err = parseTime(*start, time.Local); err != nil {
				return usageError{"produce: --start: " + err.Error()}
			}
		}
		recs = shopOrders(*topic, *count, t0, *step, *seed)
	default:
		return usageError{"produce: give --count N or --file FILE"}
	}
	addrs, stop, err := brokersOrEmbedded(*brokers)
	if err != nil {
		return err
	}
	defer stop()
	n, err := produce(ctx, addrs, recs)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "produced %d records to %s on %v\n", n, *topic, addrs)
	return nil
}

// produce sends records with acks=all and waits for every acknowledgement.
func produce(ctx context.Context, brokers []string, recs []*kgo.Record) (int, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.AllowAutoTopicCreation(), kgo.ProducerLinger(5*time.Millisecond), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	res := cl.ProduceSync(ctx, recs...)
	if err := res.FirstErr(); err != nil {
		if errors.Is(err, kerr.InvalidTimestamp) {
			return 0, fmt.Errorf("produce: %w (the broker refuses timestamps too far from its clock: Kafka 4 by default refuses records stamped more than an hour ahead, message.timestamp.after.max.ms)", err)
		}
		return 0, fmt.Errorf("produce: %w", err)
	}
	return len(recs), nil
}

func toKgo(r *record.Record, topic string) *kgo.Record {
	k := &kgo.Record{Topic: topic, Partition: r.Partition, Key: r.Key, Value: r.Value, Timestamp: r.Timestamp}
	for _, h := range r.Headers {
		k.Headers = append(k.Headers, kgo.RecordHeader{Key: h.Key, Value: h.Value})
	}
	return k
}

// fileRecord is one line of a records file, as `localrun preview` and `produce --file` read it.
type fileRecord struct {
	Key         *string           `json:"key"`
	Value       json.RawMessage   `json:"value"`
	ValueBase64 string            `json:"value_base64"`
	Partition   int32             `json:"partition"`
	Offset      int64             `json:"offset"`
	Timestamp   json.RawMessage   `json:"timestamp"`
	Headers     map[string]string `json:"headers"`
}

// readRecordsFile reads one JSON object per line. value may be a JSON string (its text is the
// value), any other JSON (its compact text is the value) or absent (null); value_base64 gives
// binary values; timestamp is epoch milliseconds or RFC 3339.
func readRecordsFile(path string) ([]record.Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []record.Record
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var fr fileRecord
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&fr); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		r := record.Record{Partition: fr.Partition, Offset: fr.Offset, Timestamp: time.Now()}
		if fr.Key != nil {
			r.Key = []byte(*fr.Key)
		}
		switch {
		case fr.ValueBase64 != "":
			if r.Value, err = base64.StdEncoding.DecodeString(fr.ValueBase64); err != nil {
				return nil, fmt.Errorf("%s:%d: value_base64: %w", path, line, err)
			}
		case len(fr.Value) > 0 && fr.Value[0] == '"':
			var s string
			if err := json.Unmarshal(fr.Value, &s); err != nil {
				return nil, fmt.Errorf("%s:%d: value: %w", path, line, err)
			}
			r.Value = []byte(s)
		case len(fr.Value) > 0 && string(fr.Value) != "null":
			var buf bytes.Buffer
			if err := json.Compact(&buf, fr.Value); err != nil {
				return nil, fmt.Errorf("%s:%d: value: %w", path, line, err)
			}
			r.Value = buf.Bytes()
		}
		if len(fr.Timestamp) > 0 {
			var ms int64
			var s string
			if json.Unmarshal(fr.Timestamp, &ms) == nil {
				r.Timestamp = time.UnixMilli(ms)
			} else if json.Unmarshal(fr.Timestamp, &s) == nil {
				if r.Timestamp, err = parseTime(s, time.UTC); err != nil {
					return nil, fmt.Errorf("%s:%d: timestamp: %w", path, line, err)
				}
			}
		}
		for k, v := range fr.Headers {
			r.Headers = append(r.Headers, record.Header{Key: k, Value: []byte(v)})
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// parseTime reads RFC 3339, yyyymmddhhmmss, yyyy-mm-dd hh:mm[:ss] or yyyymmdd in loc.
func parseTime(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"20060102150405", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02T15:04", "20060102", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil && len(s) == 13 {
		return time.UnixMilli(ms), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time (RFC 3339, yyyymmddhhmmss, 'yyyy-mm-dd hh:mm:ss' or 13-digit epoch ms)", s)
}

// shopOrders generates a realistic order stream: nested JSON orders keyed by customer, one every
// step from t0, spread over 3 partitions. Every 29th record is late (stamped 7 minutes earlier, as
// from a lagging producer), every 53rd is malformed JSON and every 71st has a non-numeric total.
func shopOrders(topic string, n int, t0 time.Time, step time.Duration, seed uint64) []*kgo.Record {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	skus := []string{"SKU-TEA-01", "SKU-MUG-02", "SKU-PEN-07", "SKU-BAG-11", "SKU-HAT-13"}
	cities := []string{"Hangzhou", "Shanghai", "Beijing", "Shenzhen", "Chengdu"}
	statuses := []string{"paid", "paid", "paid", "shipped", "refunded"}
	out := make([]*kgo.Record, 0, n)
	for i := range n {
		ts := t0.Add(time.Duration(i) * step)
		if i%29 == 28 {
			ts = ts.Add(-7 * time.Minute)
		}
		customer := 1000 + rng.IntN(50)
		qty := 1 + rng.IntN(4)
		price := float64(100+rng.IntN(9900)) / 100
		var value []byte
		switch {
		case i%53 == 52:
			value = []byte(fmt.Sprintf(`{"order_id":"o-%06d","customer":{"id":%d,`, i, customer)) // cut off: malformed
		default:
			total := any(float64(qty) * price)
			if i%71 == 70 {
				total = "n/a"
			}
			value, _ = json.Marshal(map[string]any{
				"order_id": fmt.Sprintf("o-%06d", i),
				"customer": map[string]any{"id": customer, "name": fmt.Sprintf("customer-%d", customer), "city": cities[rng.IntN(len(cities))]},
				"items":    []map[string]any{{"sku": skus[rng.IntN(len(skus))], "qty": qty, "price": price}},
				"total":    total,
				"status":   statuses[rng.IntN(len(statuses))],
				"ts":       ts.UTC().Format(time.RFC3339Nano),
			})
		}
		out = append(out, &kgo.Record{
			Topic:     topic,
			Partition: int32(customer % 3),
			Key:       []byte(strconv.Itoa(customer)),
			Value:     value,
			Timestamp: ts,
			Headers:   []kgo.RecordHeader{{Key: "source", Value: []byte("localrun")}},
		})
	}
	return out
}
