// Package stream runs fcsync's real-time job ("DataWorks: Synchronize data from a Kafka table
// to OSS (Hudi) in real time", and "DataWorks: 单表实时同步任务配置" for MaxCompute): each Kafka-trigger
// invocation hands it one micro-batch of records, which it takes through the processing chain
// (shared/process) and the field mapping with its dynamic-column policy (shared/fieldmap) into
// a Hudi table on the object store (shared/lake/hudi), or into a MaxCompute table
// (shared/sink/maxcompute; the local warehouse for local runs), exactly once.
//
// One record's path, in order:
//
//  1. the adapter decodes the trigger payload into records (shared/trigger);
//  2. Run drops records the table has already committed (the table keeps, per
//     topic/partition, the next offset it expects) and repeats inside the batch;
//  3. the chain turns the record into fields, or drops it (filter), or makes it dirty;
//  4. the mapping turns the fields into a row of the table's schema, adding, ignoring or
//     refusing dynamic columns as the job says (a refusal fails the batch with a *StopError:
//     DataWorks' "Report Error" stops the task, so the stream must not move past the record); in an upsert job (writer.primaryKey) a row
//     whose key is NULL or empty, or whose precombine field is NULL, and a Kafka tombstone
//     (no value, before the chain) are dirty records: Hudi would fail the whole write on them;
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
//
// # MaxCompute tables
//
// A job whose writer is a MaxCompute table (writer type maxcompute) appends each record's row
// to a partition chosen per record: DataWorks' automatic time partitions (year, month, day,
// hour of the time field — epoch milliseconds, a time, or the record's __timestamp__ — cut in
// the job's time zone), or dynamic partitions named by fields' values. A value that cannot
// be a partition (empty, NULL, not a time, characters MaxCompute refuses, "..") makes the
// record dirty with its reason. The Add Column policy adds columns through the sink's Begin
// (ALTER TABLE ... ADD COLUMNS on MaxCompute, schema evolution in the warehouse).
//
// MaxCompute commits each partition on its own, and an append cannot be taken back, so the
// table cannot hold the offsets as the Hudi commit does. The job keeps them in its own state
// log (package state, scope stream/<job>, on Env.State): the next offset per topic/partition,
// the intents of batches being committed {segment, offset ranges, partitions, batch time,
// deadline}, and exclusions {offset ranges, partitions a stopped batch did commit}. A batch:
//
//  1. loads the state and drops records below the next offsets; its segment is named after
//     the job and the offset ranges it covers, so the same batch again has the same segment;
//  2. settles every intent past its deadline (the invocation's time limit from when it was
//     recorded, plus a margin: the platform has killed that invocation by then): it asks the
//     sink (sink.Resolver) which of the intent's partitions the segment committed — the
//     MaxCompute sink reads its commit records and settles a pending one as Begin does,
//     rolling it forward or aborting it; the warehouse looks for the segment's files in the
//     partition — and replaces the intent by an exclusion of those. An overlapping intent not
//     yet past its deadline fails the batch with ErrStillCommitting (the trigger retries),
//     unless it is this very batch's (a retry: same segment, which the sink commits once
//     per partition; the retry reuses the intent's batch time so it makes the same rows);
//  3. transforms the records and drops the rows an exclusion says are in the table (record
//     in its ranges, row in one of its partitions);
//  4. records its intent (compare-and-swap: it starts over if another invocation changed
//     the offsets or the intents and exclusions over its records), commits the rows as one
//     Append session of its segment, then advances the offsets, drops its intent and the
//     exclusions wholly below the offsets (compare-and-swap, retried: invocations on other
//     partitions never lose each other's updates).
//
// A crash anywhere leaves either no intent (nothing was written), or an intent whose
// segment reached some partitions: the same batch again rewrites the same segment (the
// sink commits each of its partitions once); any other batch over those records waits for
// the deadline and excludes what the segment committed. Tests crash a batch at every state
// operation and every MaxCompute request, before and after it takes effect, then redeliver
// the batch, a shorter one or a longer one. Limits: offset ranges are [first, last] per
// partition, so a batch must hold every record of its range (Kafka trigger batches do);
// like the Hudi path, records below a later batch's first offset that a failed batch held
// are skipped once that later batch commits (the trigger only moves on when it gave up on
// them); a chain must place a record in the same partition every time it runs.
package stream
