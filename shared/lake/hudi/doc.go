// Package hudi writes and reads Apache Hudi tables (table version 6, COPY_ON_WRITE, metadata
// table off) on an objstore.Store: OSS in production, a directory locally. fcsync's stream
// function writes Kafka records into them; Spark, Hudi 0.14/0.15/1.x, hudi-rs and plain Parquet
// readers (DuckDB) read them. No Go Hudi library exists, so the format is written directly,
// following ../../docs/hudi.md.
//
// # API
//
//	tbl, err := hudi.Create(ctx, store, "lake/orders", hudi.Config{...}) // or hudi.Open
//	cp, err := tbl.Checkpoints(ctx)                                      // "orders/3" -> next offset
//	res, err := tbl.Write(ctx, hudi.Batch{Columns, Rows, Checkpoints, From})
//	snap, err := tbl.Snapshot(ctx); snap.Scan(ctx, fn, hudi.Where(...)); hudi.WriteJSON(ctx, w, snap)
//	hudi.Detect(ctx, store, root)
//
// Options: WithClock and WithIDs (deterministic instants and file ids, for golden tests),
// WithLogger, WithWriterID, WithFileSizes, WithMaxAttempts. Tables that fcsync did not create
// (Spark's test tables) open read-only.
//
// # Layout
//
//	<root>/.hoodie/hoodie.properties              table config (create-if-absent)
//	<root>/.hoodie/<instant>.commit.requested     empty; creating it reserves the instant
//	<root>/.hoodie/<instant>.inflight             commit metadata JSON of the plan (file paths)
//	<root>/.hoodie/<instant>.commit               commit metadata JSON: the instant is complete
//	<root>/.hoodie/.aux/fcsync/table.json         fcsync's table descriptor (Config)
//	<root>/.hoodie/.aux/fcsync/state/commits/N    the commit log (package state), see below
//	<root>/<partition>/.hoodie_partition_metadata
//	<root>/<partition>/<fileId>_<writeToken>_<instant>.parquet
//
// Hudi ignores .hoodie/.aux (it keeps its bootstrap index there); only top-level .hoodie files
// named like instants make up its timeline. Instants are 17-digit UTC times yyyyMMddHHmmssSSS.
// hoodie.properties carries every property hudi.md lists (checksum = CRC32 of
// "<database>.<name>", create.schema as Avro JSON, the key generator that matches the
// partitioning, urlencode=false, timeline timezone UTC), plus base.file.format=PARQUET,
// drop.partition.columns=false and, with a precombine field, DefaultHoodieRecordPayload as
// payload class (the precombine field also decides against stored rows). Insert-only tables
// have no hoodie.table.recordkey.fields, like Hudi's auto-generated keys.
//
// # Types
//
// Base files are Snappy-compressed Parquet: the five optional string meta columns
// (_hoodie_commit_time, _hoodie_commit_seqno = <instant>_<file index>_<n>, _hoodie_record_key,
// _hoodie_partition_path, _hoodie_file_name), then one optional column per data column in
// table order, with hoodie_min_record_key, hoodie_max_record_key and parquet.avro.schema in the
// footer (no bloom filter: other Hudi writers need hoodie.index.type=SIMPLE). Column types map
// as follows (Avro in commit metadata / Parquet):
//
//	BIGINT                   long / INT64 INT(64)
//	INT, SMALLINT, TINYINT   int / INT32 INT(32)
//	DOUBLE / FLOAT           double / DOUBLE, float / FLOAT
//	STRING, VARCHAR, CHAR,   string / BINARY STRING
//	JSON
//	DECIMAL                  string / BINARY STRING: the exact decimal text. A fixed
//	                         decimal(p,s) would round or refuse values, and MaxCompute-style
//	                         DECIMAL has no fixed precision; readers CAST when they need numbers.
//	BOOLEAN                  boolean / BOOLEAN
//	DATETIME, TIMESTAMP      long timestamp-micros / INT64 TIMESTAMP(MICROS, UTC)
//	DATE                     int date / INT32 DATE
//	BINARY                   bytes / BINARY
//
// fcsync writes flat columns only. The reader also reads Spark's files: two-level lists (Spark,
// parquet-avro) and three-level lists (parquet-go, the spec), maps, structs, decimals (as exact
// decimal text), INT96 and timestamps in any unit. Read values are nil, int64, float64, string,
// bool, time.Time (UTC), []byte, []any and map[string]any.
//
// # Partitioning
//
// Non-partitioned tables use NonpartitionedKeyGenerator and the partition "" (files in the
// root). Value partitioning by one field uses SimpleKeyGenerator, by several fields (or with a
// composite record key) ComplexKeyGenerator; hive style writes name=value segments. Values are
// written as Hudi writes them (numbers in decimal, DATE as yyyy-MM-dd, text as is) except that
// '%', '/', '\', control characters and bytes that are not UTF-8 become %XX and the values "."
// and ".." have their dots escaped, so no value can leave the table directory or alias another
// partition; a segment longer than 255 bytes is an error. NULL and "" go to
// __HIVE_DEFAULT_PARTITION__.
//
// Event-time partitioning uses TimestampBasedKeyGenerator with timestamp.type=SCALAR, the
// column's unit (MICROSECONDS for TIMESTAMP/DATETIME, DAYS for DATE), UTC, and output date format
// yyyy, yyyy/MM, yyyy/MM/dd or yyyy/MM/dd/HH for year, month, day and hour granularity. Hive style
// names each level inside the format ('year='yyyy/'month='MM/...: year=2024/month=01/day=31) and
// keeps hoodie.datasource.write.hive_style_partitioning=false, because Hudi's own flag would
// prefix only the field name to the whole path (ts=2024/01/31). A Spark writer with these table
// properties produces the same paths. TimestampBasedKeyGenerator takes a single record key field,
// so time partitioning refuses composite keys. NULL times go to __HIVE_DEFAULT_PARTITION__.
//
// Record keys: the plain value of a single key field (SimpleKeyGenerator), or
// field:value pairs joined by commas (id:1,name:Alice; ComplexKeyGenerator, which writes the
// pair form also for one field), with __null__ and __empty__ for NULL and empty parts. A NULL
// or empty single key is an error.
//
// # Writes
//
// Write validates the batch (Go types per column type, valid UTF-8, record keys, partition
// paths) before touching the store, de-duplicates it by key (the precombine field decides, a
// tie goes to the later row), and routes records per partition: a key stored in a file group
// updates it; new keys top up file groups whose base file is below the small-file size
// (WithFileSizes) and then fill new file groups. Copy-on-write: every touched file group gets a
// new base file with the same fileId and the new instant; stored rows are copied as Parquet
// values keeping their commit time and sequence number (the file name column is updated, as
// Hudi does); updated rows get the new ones. Rows stream into the Parquet writer in row groups
// of about 4 MiB; only the base file being built is held in memory (the store takes whole
// objects), so the default 64 MiB file size bounds memory. Record keys of base files are cached
// per process (files are immutable).
//
// Schema evolution: batch columns are matched to table columns by name (case-insensitive);
// unknown columns are appended (nullable), INT/SMALLINT/TINYINT widen to BIGINT and FLOAT to
// DOUBLE, other changes are refused. The commit's extraMetadata.schema (Avro, without meta
// columns) is the evolved schema; older files without a column read as NULL.
//
// # Commits, exactly once and concurrency
//
// OSS's only atomic primitive is create-if-absent, so commits are serialised through a commit
// log: a state.Log (package state, write-once versions) in .hoodie/.aux/fcsync/state/commits.
// Version N is the N-th commit. Its data holds that commit's instant, the table's cumulative
// source checkpoints, its columns, the instants of the last 32 commits, and the commit's .commit
// JSON. A commit is decided when its log version exists; .commit files are the Hudi-visible
// copy. Commit metadata also carries fcsync.checkpoints, fcsync.columns and fcsync.writer in
// extraMetadata (strings, as Hudi requires).
//
// One Write attempt:
//
//  1. Load the log head H; publish H's .commit if it is missing (create-if-absent).
//  2. Compare the batch's checkpoints with H's: all keys at or past the batch's end -> skipped
//     (Result.Skipped); some but not all, or a key past Batch.From -> ErrCheckpointConflict.
//  3. Pick an instant T above H's (and above any this process used) and reserve it by creating
//     T.commit.requested (create-if-absent; taken -> next millisecond).
//  4. Route the records against the file groups committed as of H (a base file counts if its
//     instant is H's, or is older and has a .commit), write T.inflight listing the planned
//     files, the partition metadata, then the data files.
//  5. Decide: state.Update writes version H+1 only if H is still the head.
//  6. If another commit C landed meanwhile (head moved), rebase instead of failing when possible:
//     the attempt is redone (files rewritten under a new instant) if C's instant is not older
//     than T (instants must grow in commit order), the schema changed, C rewrote a file group
//     this attempt rewrites, or (keyed tables) C wrote a record key this batch writes to the
//     same partition; otherwise the attempt retries step 5 on top of C unchanged. Checkpoints
//     are compared again at each rebase.
//  7. Publish T.commit, then roll back dead instants (below).
//
// Why this is safe:
//   - Instants strictly increase in log order: step 3 picks T above the base, step 6 redoes when
//     the head's instant is not below T. So a .commit never appears for an instant below one
//     that is already complete, and two writers never share an instant (step 3).
//   - Exactly once: the checkpoints a commit records are checked against the head it is decided
//     on, in the same create-if-absent that decides it. A retried or repeated batch finds its
//     checkpoints committed and is skipped; a retried Update whose first try landed is recognised
//     by package state (writer and attempt ids), and one whose outcome cannot be known returns
//     an error wrapping state.ErrOutcomeUnknown with the files left in place.
//   - No lost rows: an attempt only commits on top of commits it has checked (step 6); a
//     rewritten file group or a key inserted concurrently forces a rewrite on top of them.
//   - Crash at any step: before step 5 nothing is decided; the instant stays pending, readers
//     ignore its files (no .commit), and the retry writes the batch under a new instant. After
//     step 5 the commit is decided; whoever loads the log next (a writer, a retry, Snapshot)
//     publishes the missing .commit, and the retry finds its checkpoints committed. Every
//     version's writer first publishes the previous version's .commit, so only the newest
//     commit can be unpublished.
//   - Dead instants: once a commit with instant I is decided, no pending instant below I can
//     ever commit (step 6). After publishing, a writer scans the timeline between its base's
//     previous commit and I and deletes each pending instant's data files (from its .inflight),
//     .inflight and .commit.requested; abandoned attempts clean up after themselves. Readers
//     never depend on this: it keeps Spark's view clean (pending files below the first commit
//     would otherwise look archived to Hudi) and frees space.
//
// Concurrent writers (different Kafka partitions, one table) therefore never lose a commit or
// each other's rows; the price of a lost race is rewriting that attempt's files. Batches without
// checkpoints get no duplicate protection. The log is pruned to its newest 64 versions.
//
// # Snapshots
//
// Snapshot lists .hoodie/ and the base files: per file group, the newest base file whose instant
// has a completed .commit (for fcsync tables also the decided log head); files of requested or
// inflight instants are ignored; instants older than the active timeline count as completed only
// when .hoodie/archived holds archived instants. Replace and delta commits (clustering, insert
// overwrite, MERGE_ON_READ) are refused with an error. Scan filters with simple predicates
// (Where); WriteJSON prints rows as JSON lines keyed by column name for a CLI.
//
// # Limits
//
// No cleaning or archiving: old base file versions and instants accumulate (Hudi's clean and
// archive actions are Avro instants and are not written). No deletes. No bloom filter in the
// footer. A cold process downloads a file group it rewrites twice (keys, then rows). Records of
// insert-only tables are keyed by their sequence number, as Hudi's auto-generated keys are.
package hudi
