package kafka

import (
	"testing"

	"github.com/fcsync/fcsync/shared/kafka/kafka4test"
)

// The transaction tests of txn_test.go against a real Kafka 4 broker: its aborted-transaction
// index, last stable offset and markers (written after EndTxn answered) rather than kfake's.

func TestKafka4ReadCommittedDeliversExactlyTheCommittedRecordsOfInterleavedTransactions(t *testing.T) {
	b := kafka4test.Shared(t)
	readInterleaved(t, newTxnLogAt(t, []string{b.Addr()}, kafka4Topic(t, b, 1), 0))
}

func TestKafka4LatestIsTheLastStableOffsetWhileATransactionIsOpen(t *testing.T) {
	b := kafka4test.Shared(t)
	latestWhileOpen(t, newTxnLogAt(t, []string{b.Addr()}, kafka4Topic(t, b, 1), 0))
}

func TestKafka4ReadCommittedPastAnOpenTransactionWaitsForItsCommit(t *testing.T) {
	b := kafka4test.Shared(t)
	readPastOpen(t, newTxnLogAt(t, []string{b.Addr()}, kafka4Topic(t, b, 1), 0))
}
