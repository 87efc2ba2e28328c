// Package kafkatrigger emulates a Function Compute Kafka trigger locally: what
// EventBridge event streaming does between an ApsaraMQ for Kafka topic and a
// function, close enough to exercise a stream function's batching, retry,
// duplicate and restart behaviour against a local broker.
//
// A Trigger consumes one topic through shared/kafka, one loop per partition:
//
//   - batching: a batch is sent when it holds CountBasedWindow records
//     (WithBatch count, 1..10000) or when TimeBasedWindow (window, 0..15 s) has
//     passed since its first record arrived; with a zero window whatever has
//     arrived is sent at once. A batch holds records of one partition, in
//     offset order, and the batches of a partition are sent one after the
//     other (the next only once the previous succeeded or was given up);
//   - payload: each batch is encoded with trigger.EncodeKafka in the configured
//     shape, or in several shapes taken in turn (WithShapes); a batch whose
//     payload exceeds the 32 MB synchronous invoke limit is split in halves
//     until every part fits (a single record over the limit fails like an
//     invocation that failed every attempt);
//   - retries: a failed invocation is retried under BACKOFF_RETRY (a fixed
//     delay) or EXPONENTIAL_DECAY_RETRY (doubling delays up to a cap), up to
//     a maximum number of attempts. Delays come from WithRetry and sleeping goes
//     through WithSleep, so tests need not wait; Attempt(ctx) tells the invoker
//     which attempt it serves;
//   - errorsTolerance: NONE stops the partition at a batch that failed every
//     attempt (Run and Drain report it; its offsets stay before the batch so
//     that a restart delivers it again); ALL skips the batch, counts it and,
//     with WithDeadLetter, writes it as one JSON line;
//   - duplicates on purpose: WithDuplicateEvery(n) delivers every nth batch of
//     a partition twice in a row (a retried request whose first answer was
//     lost); WithAckLossEvery(n) loses the acknowledgement of every nth batch:
//     its offsets are not committed and its records are delivered again at
//     the head of the following batches, as after a consumer restart;
//   - offsets: after each batch the next offset is committed for the consumer
//     group (kafka.Client.Commit), so a new Trigger on the same group resumes
//     there; without a commit a partition starts at the earliest or latest
//     offset (WithOffsetReset);
//   - concurrency: WithMaxTasks(n) bounds the invocations in flight across
//     partitions (EventBridge's maximumTasks and concurrency); 0 means one per
//     partition.
//
// Run consumes until its context ends; Drain consumes up to the high
// watermarks read when it starts, sends what is left of every batch, and
// returns (for tests and one-shot runs). Stats reports progress counters and
// Lag the records each partition still has to deliver.
//
// The time window uses WithTimer (default time.After), so a test can fire it
// by hand. Partitions added to the topic while a Trigger runs are not picked
// up.
//
// FCRuntime adapts an fcruntime.Runtime, so that the emulated trigger drives a
// real function binary as a separate process through the emulated FC runtime
// API.
package kafkatrigger
