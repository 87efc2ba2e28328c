// Package warehouse is the local, embedded twin of MaxCompute: tables with a schema and
// Hive-style partitions whose data are Parquet files on a local disk. It implements sink.Sink,
// and it reads its tables back (Scan, Partitions, Table) for tests and the operator CLI.
//
// # Layout
//
// A warehouse is a root directory; table t lives in <root>/<t>/ (the name in lower case, since
// MaxCompute names are case-insensitive):
//
//	_schema.json                      the schema.Table as JSON
//	.lock                             flock(2) held by committers and schema changes
//	ds=20221122/hh=10                 symlink -> ../.snapshots/ds=20221122/hh=10/000000000007
//	_data                             same, for a non-partitioned table (-> .snapshots/_data/N)
//	.snapshots/<partition path>/N/    immutable snapshot: the partition's Parquet files
//	.staging/<session>/               files of a session that has not committed yet
//
// Partition values are checked with schema.PartitionValue.Validate before any path is built,
// and every path is checked again to stay under the table directory.
//
// # Atomicity
//
// A snapshot directory is never changed after it is published. A commit takes the table lock,
// builds snapshot N+1 for each partition it touches (hard links to the files it keeps, plus the
// session's new files moved in from staging), fsyncs it, and swaps the partition symlink with
// rename(2) of a fresh symlink. A reader resolves the symlink once and opens every file of
// that snapshot before reading any row, so it sees the old or the new contents, never a mix;
// if the snapshot vanished under it (collected), it resolves the symlink again. Superseded
// snapshots are removed after a commit, except the previous one and any superseded less than
// a grace period ago (WithSnapshotGrace). Snapshots never published (a crash mid-commit) are
// removed by the next commit of that partition. Each partition switches atomically on its
// own; a commit touching several partitions is not atomic across them.
//
// # Segments
//
// Every data file is named <segment>.<kind>.<session>-<seq>.parquet, where <segment> is the
// session's segment id escaped to [A-Za-z0-9_-] (or "h" plus its SHA-256 when long) and kind
// is "own" (the session's Owned partition) or "late" (any other partition). At commit each
// touched partition keeps its old files minus those of the same segment, plus the new files;
// so a rerun of a segment replaces its rows. An Overwrite session's owned partition keeps only
// the late files of other segments, plus its own new files, even when it wrote no row. The
// owned partition is always reconciled at commit (a rerun that writes nothing removes what
// the segment wrote there before); late files a previous run left in partitions a rerun does
// not touch stay. Committed (sink.Resolver) reports whether a partition's published
// snapshot holds files of a segment.
//
// # Streaming and memory
//
// Rows go straight into a Parquet writer per partition; a row group is flushed every
// WithRowGroupRows rows or when the writer holds WithBufferBytes, whichever first, and a file
// is closed after a bounded number of row groups; at most WithMaxOpenWriters partition files
// are open at once (the least recently used one is closed, and a later row opens a new file).
// Memory is therefore bounded whatever the number of rows. Abort removes the staging
// directory; a process that dies before Commit leaves only staging, which a later Begin of the
// same table removes once it is older than WithStagingMaxAge.
//
// # Types
//
// BIGINT, INT, SMALLINT, TINYINT are Parquet INT64; DOUBLE, FLOAT are DOUBLE; STRING, VARCHAR,
// CHAR, DECIMAL, JSON are UTF8 strings; BOOLEAN is BOOLEAN; DATETIME is TIMESTAMP(MILLIS),
// TIMESTAMP is TIMESTAMP(MICROS) (finer precision is truncated), DATE is DATE; BINARY is a
// byte array. Every column is optional. Files are snappy-compressed. Scan returns the Go
// types of package schema; times come back in UTC, DATE as midnight UTC.
//
// Schema evolution: Begin with a spec that adds columns adds them to the table; older files
// read them as NULL. A removed column or a changed type is an error naming the column.
package warehouse
