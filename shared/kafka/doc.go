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
// Limits: reads are read_uncommitted (records of aborted transactions are
// delivered, as with the default Kafka consumer setting); record batches
// must be format v2 (Kafka 0.11 and later); tests run against kfake, which
// accepts older protocol versions than Kafka 4 does, so passing them is not
// proof of Kafka 4 compatibility.
package kafka
