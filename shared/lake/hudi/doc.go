// Package hudi writes and reads Apache Hudi tables (table version 6, COPY_ON_WRITE, metadata
// table off) on an objstore.Store: fcsync's stream function writes Kafka records into them.
package hudi
