// Package record defines the Kafka record that flows from every source to every sink:
// key, value, partition, offset, timestamp and headers, as the broker delivered them.
package record

import (
	"fmt"
	"time"
)

// Header is one Kafka record header.
type Header struct {
	Key   string
	Value []byte
}

// Record is one Kafka record. Key and Value may be nil (a null key or a tombstone).
type Record struct {
	Topic     string
	Partition int32
	// ValueJSON reports that Value is JSON text its reader already validated (the Kafka
	// trigger decoder's object, array, number and literal values), so a parser may skip
	// checking it again.
	ValueJSON bool
	Offset    int64
	Timestamp time.Time
	Key       []byte
	Value     []byte
	Headers   []Header
}

// Where names the record's position for error messages: topic/partition@offset.
func (r *Record) Where() string {
	return fmt.Sprintf("%s/%d@%d", r.Topic, r.Partition, r.Offset)
}

// TimestampMillis is the record time as the 13-digit epoch milliseconds Kafka uses.
func (r *Record) TimestampMillis() int64 { return r.Timestamp.UnixMilli() }
