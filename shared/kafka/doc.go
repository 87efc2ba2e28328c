// Package kafka reads bounded offset windows from one Kafka topic.
//
// A Client resolves the offsets that bound a window (earliest, latest, by
// time, committed by a consumer group), reads exactly the offsets [Start, End)
// of each partition into record.Record slices, and commits group offsets
// without joining the group so that lag monitoring sees the job's progress.
//
// It is built on github.com/segmentio/kafka-go, imported as kafkago. Reads use
// kafka-go's Client.Fetch on its pooled Transport, one goroutine per
// partition. The lower-level Conn.ReadBatch path is not used: its message
// reader cannot tell a null key or value from an empty one and it hands
// transaction control records to the caller as if they were data.
//
// Known limits: reads are read_uncommitted (records of aborted transactions
// are delivered, as with the default Kafka consumer setting), and record
// timestamps are the producer's create time even on topics with
// message.timestamp.type=LogAppendTime.
package kafka
