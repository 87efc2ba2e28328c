// Package kafka reads bounded offset windows from one Kafka topic.
//
// A Client resolves the offsets that bound a window (earliest, latest, by
// time, committed by a consumer group), reads exactly the offsets [Start, End)
// of each partition into record.Record slices, and commits group offsets
// without joining the group so that lag monitoring sees the job's progress.
//
// It is built on github.com/segmentio/kafka-go, imported as kafkago: its
// Transport serves metadata, offset lookups and group commits, and its
// protocol, SASL and compression packages set up the read connections. The
// reads themselves send Fetch v4 on their own connection to each partition
// leader (one goroutine per partition, one request in flight ahead of the
// records being delivered) and decode record batches here, because
// kafka-go's Conn.ReadBatch loses the difference between null and empty
// keys and values and returns transaction control records as data, and its
// Client.Fetch decodes several times slower than a broker serves.
//
// Transactions. Reads are read_committed unless Config.ReadUncommitted
// (kafkaConfig isolation.level=read_uncommitted) says otherwise; note that
// the Java consumer's default is read_uncommitted. Under read_committed:
//
//   - Fetch and ListOffsets go out with isolation level 1, so Latest is the
//     last stable offset (LSO: the first offset of the oldest open
//     transaction, or the high watermark when none is open) and
//     OffsetsForTime never answers past it. Every offset below the LSO is
//     decided: a committed or aborted transaction's, or none's.
//   - The broker lists, with each fetch response, the aborted transactions
//     among its records (producer id and first offset). A transactional
//     batch of a listed producer from that first offset up to its abort
//     marker is dropped whole, as the Java consumer does; a committed
//     transaction interleaved with an aborted one keeps its records.
//   - Control records (the commit and abort markers) are never delivered,
//     under either isolation level; their offsets are passed over.
//
// A window planned from Latest and OffsetsForTime therefore ends at or
// before the LSO: it never hands off past the records of an open
// transaction, which the next window reads once the transaction ended
// (committed: delivered; aborted: dropped). Under read_uncommitted the
// records of open and aborted transactions are delivered and Latest is the
// high watermark.
//
// Properties. ConfigFromProperties reads Kafka consumer properties;
// ReaderProperties and ReaderConfig sort a reader's kafkaConfig names into
// applied, accepted with a warning (consumer settings fcsync does without,
// such as session.timeout.ms or enable.auto.commit: Client.Warnings, for the
// run record), and refused (client certificates, interceptors, librdkafka's
// spellings) or unknown, which are errors that suggest the nearest known
// name.
//
// Limits: record batches must be format v2 (Kafka 0.11 and later); tests
// run against kfake, which accepts older protocol versions than Kafka 4
// does, so passing them is not proof of Kafka 4 compatibility.
package kafka
