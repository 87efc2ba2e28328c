package window_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/kafka/kafka4test"
)

// The window transaction scenarios against a real Kafka 4 broker (kafka4test's shared one):
// franz-go's and librdkafka's transactional producers, the broker's own last stable offset,
// aborted-transaction index and markers.

var txnTopics atomic.Int64

// kafka4TxnTopic creates a two-partition topic of its own on the shared broker.
func kafka4TxnTopic(t *testing.T, b *kafka4test.Broker) string {
	t.Helper()
	name := fmt.Sprintf("k4-txn-%d", txnTopics.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b.CreateTopic(ctx, name, 2, nil); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestKafka4AnOpenTransactionOverWindowEdgesIsTakenOnceCommittedAndAbortedOnesNever(t *testing.T) {
	b := kafka4test.Shared(t)
	runOpenTransactionWindows(t, &cluster{addrs: []string{b.Addr()}}, kafka4TxnTopic(t, b))
}

func TestKafka4WindowsOverLibrdkafkaTransactions(t *testing.T) {
	b := kafka4test.Shared(t)
	runLibrdkafkaTxnWindows(t, &cluster{addrs: []string{b.Addr()}}, kafka4TxnTopic(t, b))
}
