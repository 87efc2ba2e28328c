// Package maxcompute is the MaxCompute sink: it writes sink.Session rows into MaxCompute tables
// through the batch tunnel of the Go SDK (github.com/aliyun/aliyun-odps-go-sdk v0.4.24), and
// makes Append sessions exactly once with commit records in a state store (package state).
//
// No MaxCompute service is reachable from the build machines; the package is tested against
// package mctest, a test server that speaks the SDK's wire protocol (signatures, SQL tasks,
// upload sessions, the record format with its checksums), and package sinktest runs the same
// scenarios against this sink and the local warehouse and requires identical partitions.
//
// # Tables
//
// Begin loads the table's metadata. An absent table is created with the DDL DataWorks'
// "Generate Destination Table Schema" writes (CreateTableSQL; Config.Lifecycle when the
// schema has none); columns of the job's schema the table lacks are added (ALTER TABLE ... ADD
// COLUMNS IF NOT EXISTS, also AddColumns for the Add Column policy of dynamic columns); a
// column of another type or other partition columns are errors naming the column. Partitions
// are created by the upload sessions at commit (create_partition; when the tunnel answers
// NoSuchPartition anyway, the sink adds the partition by SQL and opens the session again);
// AddPartitions creates them ahead with ALTER TABLE ... ADD IF NOT EXISTS PARTITION.
//
// # Writing
//
// Each partition a session writes gets its own upload session, opened at its first block.
// Rows are checked when written (a value MaxCompute would refuse — an INT out of range, a
// VARCHAR too long, a DECIMAL with too many digits, invalid JSON, a date outside years
// 0001-9999, a field over 8 MiB — is an error naming the column, not a failed block later) and
// buffered per partition; every WithBlockBytes (8 MiB) or WithBlockRows they are handed to a
// goroutine that uploads them as one block with the SDK's record writer, compressed (snappy,
// deflate or zstd: compression is always on), while the session takes the next rows. One block
// is in flight at a time. A session's buffers together stay under WithBufferBytes (64 MiB):
// past it the fullest partition is uploaded. Memory is bounded whatever the window holds. A
// block whose upload fails with a 5xx, a 429 or a broken connection is uploaded again under
// the same block id, which replaces it on the service; a block that still fails fails the
// session (Commit reports it; the window is rerun).
//
// # Commit and exactly once
//
// Overwrite (the job's truncate): the owned partition is written by an overwrite upload
// session; its commit replaces the partition atomically, even with no row. A rerun does the
// same again, so it is idempotent by construction. Unlike the local warehouse, MaxCompute's
// overwrite also replaces rows that later windows appended to the partition as late records;
// the sink logs a warning naming those windows when its commit records show any.
//
// Append: the tunnel cannot delete rows, so a rerun must not commit a segment's partition
// twice. For each (table, partition, segment) the sink keeps a state log (scope
// <WithStateScope>/<project>/<table>/<partition>/<segment>, names escaped):
//
//  1. after the partition's last block is uploaded, it records {upload id, blocks, rows,
//     pending}; the record is a compare-and-swap on the log, so of two writers of one segment
//     only one holds the pending record;
//  2. it commits the upload session (posting the commit itself, then reloading the session
//     after any failure: CLOSED means committed, so an answer lost after the commit was
//     applied does no harm);
//  3. it records {committed}.
//
// Partitions commit independently, a few at a time (WithCommitConcurrency). Begin returns a
// *Session; its Report tells, per partition, the rows taken, the blocks, the upload id and the
// outcome.
//
// A session that finds the segment's record committed (at Begin for the owned partition, at
// the first row for any other) discards the rows it is given for that partition and reports
// it (OutcomeAlreadyCommitted): an Append rerun of a committed window is a no-op; to rewrite a
// window use Overwrite (truncate). A pending record is settled by reloading its upload
// session: CLOSED is marked committed; NORMAL means its writer stopped between steps 1 and 3,
// after every block was uploaded, so the session commits that upload itself ("rolls it
// forward", which needs no waiting for the writer to be declared dead) and marks it
// committed; a writer that was only slow and commits too is answered StatusConflict (a
// committed upload session takes no second commit; mctest models the service so), reloads,
// finds CLOSED and adds nothing. Expired or unknown means the upload never committed and never
// will: the record is marked aborted and the partition written afresh. An unknown upload
// recorded more than 20 hours ago is ErrInDoubt instead: the service forgets sessions after
// about a day, committed or not. A crash at any step therefore leaves every row in the
// partition exactly once after the rerun; the tests crash the writer at every SDK request and
// every state write, before and after it takes effect, and check that.
//
// Committed (sink.Resolver) answers from the same records whether a segment's rows are in a
// partition, settling a pending record as above: the real-time path (package stream) asks
// it which partitions a killed invocation's batch reached.
//
// # SDK pitfalls it avoids
//
//   - Table.AddPartitions prints its SQL with println: the sink never calls it (it runs its own
//     ALTER TABLE through ExecSQl), and a test runs every sink path in a child process and
//     checks its standard error stays empty of SQL.
//   - RestClient calls log.Fatalf when closing a response body fails, which would kill the
//     function. net/http's client bodies never fail to close (an unread body is discarded by
//     the transport, a read one is at EOF), and the SDK's transport has no gzip layer; a test
//     cuts and truncates the server's answers on every request kind the sink makes, in a
//     child process, and checks the process lives on and reports errors.
//   - UploadSession.Commit sleeps 1, 2 and 8 s between blind retries (11 s before it fails)
//     and cannot tell a lost answer from a failure: the sink posts the commit itself.
//   - The SDK gives every upload session its own HTTP client and transport; the sink passes the
//     first session's REST client to later ones, so all its sessions share connections.
//   - The SDK's zstd writer is a new encoder with a large history per block: zstd costs tens of
//     MiB more than snappy (the default) or deflate.
package maxcompute
