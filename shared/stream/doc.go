// Package stream runs fcsync's real-time job (seeds 000 and 003): each Kafka-trigger
// invocation hands it one micro-batch of records, which it takes through the processing
// chain (shared/process) and the field mapping with its dynamic-column policy
// (shared/fieldmap) into a Hudi table on the object store (shared/lake/hudi), exactly once.
//
// One record's path, in order:
//
//  1. the adapter decodes the trigger payload into records (shared/trigger);
//  2. Run drops records the table has already committed (the table keeps, per
//     topic/partition, the next offset it expects) and repeats inside the batch;
//  3. the chain turns the record into fields, or drops it (filter), or makes it dirty;
//  4. the mapping turns the fields into a row of the table's schema, adding, ignoring or
//     refusing dynamic columns as the job says;
//  5. dirty records go to dirty/<job>/<batch>.jsonl with their reasons; more than
//     errorLimit.record of them fail the invocation before anything is written;
//  6. the table commit writes the rows and records, in the same commit, the offsets it
//     covers. Only then is the batch done.
//
// Exactly once: delivery is at least once, so a batch may come again (a retry after a
// crash, a redelivery, a concurrent duplicate). Step 2 skips what a committed batch
// covered, and the table refuses a commit whose offsets another commit already took, so
// every record lands once whatever fails between the steps. The dirty-data object of a
// batch is named after the offsets it covers and rewritten whole, so a retry replaces it.
package stream
