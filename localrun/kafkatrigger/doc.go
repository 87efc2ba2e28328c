// Package kafkatrigger emulates a Function Compute Kafka trigger locally: what
// EventBridge event streaming does between an ApsaraMQ for Kafka topic and a
// function, close enough to exercise a stream function's batching, retry,
// duplicate and restart behaviour against a local broker.
//
// A Trigger consumes one topic through shared/kafka with consumer tasks, by
// default one per partition:
//
//   - isolation: read_committed, as the FC trigger delivers only committed
//     records: records of aborted transactions and transaction markers never
//     reach the function, and the records of an open transaction (and every
//     record after its first one) wait until it ends. New refuses a client
//     set to read_uncommitted;
//   - consumer tasks: WithConsumerTasks(n) shares the partitions among n
//     tasks, as EventBridge does when runOptions.maximumTasks is below the
//     number of partitions: the partitions, by number, are dealt to the tasks
//     in turn (the i-th to task i mod n, as a consumer group's round-robin
//     assignment), and a task's batches then mix its partitions. Each
//     partition is read by its own goroutine; the task composes a batch by
//     taking from its partitions in turn, up to an equal share of the count
//     window from each (rounded up), round after round while there is room.
//     Round-robin shares rather than records interleaved as fetches happen to
//     complete: every batch of a busy task holds all its partitions (the
//     case a function must handle), and a Drain, which waits for each
//     partition's next records while composing, makes the same batches run
//     after run, so tests can state them. A Run takes what has arrived;
//   - batching: a batch is sent when it holds CountBasedWindow records
//     (WithBatch count, 1..10000) or when TimeBasedWindow (window, 0..15 s) has
//     passed since its first record arrived; with a zero window whatever has
//     arrived is sent at once. The windows apply to a task's batch. A batch
//     holds each of its partitions' records in offset order, and the batches
//     of a task are sent one after the other (the next only once the previous
//     succeeded or was given up);
//   - payload: each batch is encoded with trigger.EncodeKafka in the configured
//     shape, or in several shapes taken in turn (WithShapes; the lambda shape
//     groups a mixed batch's records by partition, as its records map does); a
//     batch whose payload exceeds the 32 MB synchronous invoke limit is split
//     in halves until every part fits, the parts keeping the batch's order (a
//     single record over the limit fails like an invocation that failed every
//     attempt);
//   - retries: a failed invocation is retried under BACKOFF_RETRY (a fixed
//     delay) or EXPONENTIAL_DECAY_RETRY (doubling delays up to a cap), up to
//     a maximum number of attempts. Delays come from WithRetry and sleeping goes
//     through WithSleep, so tests need not wait; Attempt(ctx) tells the invoker
//     which attempt it serves;
//   - errorsTolerance: NONE stops the task, all its partitions, at a batch
//     that failed every attempt (Run and Drain report it as a BatchError
//     naming every partition's offsets; the offsets stay before the batch so
//     that a restart delivers it again); ALL skips the batch, counts it and,
//     with WithDeadLetter, writes it as one JSON line;
//   - duplicates on purpose: WithDuplicateEvery(n) delivers every nth batch of
//     a task twice in a row (a retried request whose first answer was lost);
//     WithAckLossEvery(n) loses the acknowledgement of every nth batch: the
//     offsets of none of its partitions are committed and its records are
//     delivered again at the head of the following batches, as after a
//     consumer restart;
//   - offsets: after each batch, for every partition in it, the next offset
//     past its last record in the batch is committed for the consumer group
//     (kafka.Client.Commit, one request), so a new Trigger on the same group,
//     with any number of tasks, resumes there; without a commit a partition
//     starts at the earliest or latest offset (WithOffsetReset);
//   - concurrency: a task invokes one batch at a time; WithMaxTasks(n) bounds
//     the invocations in flight across tasks (EventBridge's concurrency); 0
//     means one per task.
//
// Run consumes until its context ends; Drain consumes up to the last stable
// offsets read when it starts, sends what is left of every batch, and
// returns (for tests and one-shot runs). Stats reports progress counters, per
// partition too, and Lag the records each partition still has to deliver.
//
// The time window uses WithTimer (default time.After), so a test can fire it
// by hand. Partitions added to the topic while a Trigger runs are not picked
// up.
//
// FCRuntime adapts an fcruntime.Runtime, so that the emulated trigger drives a
// real function binary as a separate process through the emulated FC runtime
// API.
package kafkatrigger
