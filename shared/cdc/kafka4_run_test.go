package cdc_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/kafka/kafka4test"
)

// TestKafka4RunWritesEveryChangeKeyedToTheJavaClientsPartition runs a cdc job (snapshot, then
// binlog changes) from MariaDB into a real Kafka 4 broker with zstd batches: every change
// arrives once, a row's changes stay in one partition in order, and that partition is the one
// Kafka's Java producer picks for the row's key.
func TestKafka4RunWritesEveryChangeKeyedToTheJavaClientsPartition(t *testing.T) {
	b := kafka4test.Shared(t)
	e := newEnv(t)
	e.addrs = []string{b.Addr()}
	e.sql("CREATE TABLE k4_orders (id INT PRIMARY KEY, v VARCHAR(16))")
	for i := 1; i <= 20; i++ {
		e.sql(fmt.Sprintf("INSERT INTO k4_orders VALUES (%d, 'v%d')", i, i))
	}
	j := e.job(`
reader: {tables: [${DB}.k4_orders]}
writer: {partitions: 4, heartbeat: false, compression: zstd}
`)
	e.run(e.runner(j)) // the snapshot
	e.sql("UPDATE k4_orders SET v = 'changed' WHERE id <= 5", "DELETE FROM k4_orders WHERE id = 7",
		"INSERT INTO k4_orders VALUES (21, 'v21')")
	e.run(e.runner(j)) // the binlog changes
	msgs := e.read("k4_orders")
	if len(msgs) != 20+5+1+1 {
		t.Fatalf("%d records, want 27 (20 snapshot rows, 5 updates, a delete, an insert)", len(msgs))
	}
	byKey := map[string][]string{}
	partOf := map[string]int32{}
	for _, m := range msgs {
		k := string(m.Key)
		if p, ok := partOf[k]; ok && p != m.Partition {
			t.Errorf("key %s in partitions %d and %d", k, p, m.Partition)
		}
		partOf[k] = m.Partition
		byKey[k] = append(byKey[k], m.op())
	}
	if len(byKey) != 21 {
		t.Fatalf("%d distinct keys, want 21", len(byKey))
	}
	var keys []string
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		ops := byKey[k]
		if len(ops) > 1 && ops[0] == ops[len(ops)-1] {
			t.Errorf("key %s: operations %v, want the snapshot row then its change", k, ops)
		}
	}

	// The Java producer's partitioner on the same keys, on a topic of as many partitions.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const javaTopic = "k4-cdc-run-java-keys"
	if err := b.CreateTopic(ctx, javaTopic, 4, nil); err != nil {
		t.Fatal(err)
	}
	var recs []kafka4test.Record
	for _, k := range keys {
		recs = append(recs, kafka4test.Record{Partition: -1, Key: []byte(k), Value: []byte("x")})
	}
	landed, err := b.JavaProduce(ctx, javaTopic, "none", recs)
	if err != nil {
		t.Fatal(err)
	}
	used := map[int32]bool{}
	for i, k := range keys {
		used[partOf[k]] = true
		if landed[i].Partition != partOf[k] {
			t.Errorf("key %s: cdc wrote partition %d, the Java producer picks %d", k, partOf[k], landed[i].Partition)
		}
	}
	if len(used) < 3 {
		t.Errorf("21 keys used only partitions %v of 4", used)
	}
}
