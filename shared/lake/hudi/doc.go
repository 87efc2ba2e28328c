// Package hudi writes and reads Apache Hudi tables (table version 6, COPY_ON_WRITE, metadata
// table off; it also reads version 8, Hudi 1.x's) on an objstore.Store: OSS in production, a
// directory locally. fcsync's stream function writes Kafka records into them; Spark, Hudi
// 0.14/0.15/1.x, hudi-rs, Hudi 0.12's Hive/MapReduce input format (as Hive and MaxCompute's Hudi
// external tables use it) and plain Parquet readers (DuckDB) read them: hudirs_test.go,
// hivemr_test.go and spark_interop_test.go read every table shape. No Go Hudi library exists, so
// the format is written directly, as Spark writes it (testdata/spark holds Spark-written tables
// the tests compare with).
//
// # API
//
//	tbl, err := hudi.Create(ctx, store, "lake/orders", hudi.Config{...}) // or hudi.Open
//	cp, err := tbl.Checkpoints(ctx)                                      // "orders/3" -> next offset
//	res, err := tbl.Write(ctx, hudi.Batch{Columns, Rows, Checkpoints, From})
//	snap, err := tbl.Snapshot(ctx); snap.Scan(ctx, fn, hudi.Where(...)); hudi.WriteJSON(ctx, w, snap)
//	res, err := tbl.Clean(ctx)                                           // also after every Write
//	res, err := tbl.Archive(ctx)                                         // also after every Write with WithAutoArchive(true)
//	recs, err := hudi.ReadArchivedTimeline(ctx, store, root)
//	hudi.Detect(ctx, store, root)
//
// Options: WithClock and WithIDs (deterministic instants and file ids, for golden tests),
// WithLogger, WithWriterID, WithFileSizes, WithMaxAttempts, WithCleanRetained, WithAutoClean,
// WithArchiveKeep, WithAutoArchive, WithArchiveGrace.
// ParseOptions turns a job's writer options, named as Hudi's write configs, into Options:
//
//	hoodie.parquet.max.file.size     base file size to aim for, bytes: 1 KiB to 1 GiB (64 MiB)
//	hoodie.parquet.small.file.limit  a base file below this takes new rows, bytes: 0 (never)
//	                                 to the max file size (16 MiB, or the max if smaller)
//	hoodie.cleaner.commits.retained  newest commits whose snapshots stay readable: 1 to 10000 (10)
//	hoodie.cleaner.policy            KEEP_LATEST_COMMITS, the only one
//	hoodie.clean.automatic           clean after every commit (true)
//	hoodie.keep.min.commits          completed commits archiving leaves active: above
//	                                 commits.retained (20)
//	hoodie.keep.max.commits          archive once more are active: above keep.min (30)
//	hoodie.archive.automatic         archive after every commit (false)
//
// Unknown keys and bad values are errors naming them. Tables that fcsync did not create
// (Spark's test tables) open read-only.
//
// # Layout
//
//	<root>/.hoodie/hoodie.properties              table config (create-if-absent)
//	<root>/.hoodie/<instant>.commit.requested     empty; creating it reserves the instant
//	<root>/.hoodie/<instant>.inflight             commit metadata JSON of the plan (file paths)
//	<root>/.hoodie/<instant>.commit               commit metadata JSON: the instant is complete
//	<root>/.hoodie/<instant>.clean.requested      Avro HoodieCleanerPlan: the files a clean deletes
//	<root>/.hoodie/<instant>.clean.inflight       the same plan, once deleting starts
//	<root>/.hoodie/<instant>.clean                Avro HoodieCleanMetadata: the clean is complete
//	<root>/.hoodie/.aux/fcsync/table.json         fcsync's table descriptor (Config)
//	<root>/.hoodie/.aux/fcsync/state/commits/N    the commit log (package state), see below
//	<root>/.hoodie/.aux/fcsync/archive.json       newest archive file version (a hint)
//	<root>/.hoodie/archived/.commits_.archive.N_1-0-1  archived instants (Hudi log file)
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
// footer (no bloom filter: other Hudi writers need hoodie.index.type=SIMPLE). Schema elements
// carry type_length only for FIXED_LEN_BYTE_ARRAY, as parquet-mr writes them (Hive's reader
// refuses a column whose type has another one). Column types map as follows (Avro in commit
// metadata / Parquet):
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
// '%', '/', '\', control characters and bytes that are not UTF-8 become %XX, the values "."
// and ".." have their dots escaped, so no value can leave the table directory or alias another
// partition, the value __HIVE_DEFAULT_PARTITION__ becomes %5F_HIVE_DEFAULT_PARTITION__ (Spark
// would read it back as NULL) and, without hive style, '=' becomes %3D (Spark would take the
// segment for name=value); a segment longer than 255 bytes is an error. NULL and "" go to
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
// new base file with the same fileId and the new instant; stored rows keep their commit time and
// sequence number, updated rows get the new ones. Rows stream into the Parquet writer in row
// groups of about 4 MiB; only the part of the base file being built that the store does not copy
// is held in memory, so the default 64 MiB file size bounds memory. Record keys of base files
// are cached per Table, or across Tables with WithKeyCache (files are immutable), with their
// range, so an upsert checks only the files whose key range holds one of its keys.
//
// Stored rows reach the new base file in one of three ways:
//   - Kept in place: the leading row groups that would be spliced (below) make up the beginning
//     of the new file unchanged, at the same offsets. The new version is put with
//     objstore.PutWithPrefix as "the first n bytes of the stored file, then the rest", so the
//     store copies them (OSS: UploadPartCopy in a multipart upload; a directory:
//     copy_file_range), and the stored file is read through ranged reads of its footer and
//     the row groups that follow (storedFile): a top-up of a 16 MiB file group moves its new
//     rows, not 16 MiB. The rest is written as a Parquet file of its own, whose pages move
//     behind the kept bytes unchanged while its footer and offset index are shifted and the
//     kept row groups' page index entries are copied (joinParquet). It applies from 256 KiB of
//     kept bytes, for files laid out as fcsync writes them (TestTopUpKeepsLeadingRowGroupsInPlace
//     checks the page index of the result; DuckDB reads it).
//   - Spliced: a stored row group that holds no key the batch updates and has at least 2 MiB of
//     uncompressed data is copied as it is, compressed pages, statistics and page index included,
//     through parquet-go's WriteRowGroup copy path (no decoding, no re-encoding). It applies when
//     the stored file's Parquet schema equals the one being written: fcsync writes every base
//     file with the same codec (Snappy), encodings and data page version, so only a schema
//     change (evolved columns, widened types) or a file fcsync did not write rules it out.
//     TestSplicedRowGroupsAreNotDecoded proves the pages are not decoded. A top-up of a small
//     file group therefore costs its new rows plus at most the stored tail below 2 MiB.
//   - Re-encoded: the other row groups (those with updated keys, the small tail earlier top-ups
//     appended, and every row group of a file with another schema) are read value by value and
//     written again, without turning values into Go values where the Parquet types allow; they
//     are merged with the rows that follow into row groups of about 4 MiB, and a row group is
//     not spliced right after less than 2 MiB of re-encoded rows (it is re-encoded to join
//     them). So every row group but a file's last holds at least about 2 MiB however often a
//     file group is topped up.
//
// The footer's hoodie_min_record_key and hoodie_max_record_key cover every row, kept and spliced
// ones included (their keys are known from routing, which read them), and so do the file's row count
// and the commit's sizes (those of the file written). No bloom filter is written either way.
//
// _hoodie_file_name differs from Hudi for spliced rows. Hudi's merge handle (0.14, as Spark's
// test tables show: after commit 2, Bob and Carol keep commit 1's time and sequence number and
// name commit 2's file) rewrites the file name of the records it copies; re-encoded rows get the
// new file's name here too, but spliced rows keep the name of the base file they were last
// re-encoded into: an older base file of the same file group. Its fileId, the part Hudi derives
// from the column when it uses it to locate records (FSUtils.getFileId), is the same; only the
// write token and instant are older. Nothing in fcsync reads the column: snapshots, routing,
// conflict checks and cleaning go by file listings, commit metadata and record keys, and the
// DuckDB test applies the snapshot rule to the physical file names. A tool that compares
// _hoodie_file_name with the physical file name would see the difference.
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
// source checkpoints, its columns, the instants of the last max(32, N+1) commits (N: the commits
// cleaning retains; at most 1,001), and the commit's .commit
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
//     T.commit.requested (create-if-absent; taken, or held by a clean -> next millisecond).
//  4. Route the records against the file groups committed as of H (a base file counts if its
//     instant is H's, or is older and has a .commit), write T.inflight listing the planned
//     files, the partition metadata, then the data files.
//  5. Decide: state.Update writes version H+1 only if H is still the head.
//  6. If another commit C landed meanwhile (head moved), rebase instead of failing when possible:
//     the attempt is redone (files rewritten under a new instant) if C's instant is not older
//     than T (instants must grow in commit order), the schema changed, C rewrote a file group
//     this attempt rewrites, or (keyed tables) C wrote a record key this batch writes to the
//     same partition, or a base file C wrote is cleaned already; otherwise the attempt retries
//     step 5 on top of C unchanged. Checkpoints are compared again at each rebase. A base file
//     that vanished under steps 4-5 (a clean deleted it after newer commits) redoes the attempt
//     too.
//  7. Publish T.commit, then roll back dead instants (below) and clean (see Cleaning).
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
// when .hoodie/archived holds archived instants (Hudi's rule); for fcsync's tables only the
// commits the archived timeline records count (see Archiving). In tables other writers made,
// completed replace commits (.replacecommit: Spark's clustering and insert overwrite) are read
// as Hudi reads them: their new file groups count as committed and the file groups listed in
// their partitionToReplaceFileIds are left out; pending ones are ignored. Table version 8 (Hudi 1.x) is
// read too, read-only: its timeline folder (hoodie.timeline.path, .hoodie/timeline) names
// completed instants <requested>_<completed>.<action>, base files carry the requested time, and
// a replace commit's metadata is an Avro HoodieReplaceCommitMetadata; its archived (LSM)
// timeline in history/ only tells that older instants were completed. A replace commit in a
// table fcsync writes is refused (its writer routes by its own commits and would not honour
// it), and so are delta commits anywhere, MERGE_ON_READ tables and table versions other than 5,
// 6 and 8, each with an error naming it. Spark with Hudi's 0.15 and 1.0 bundles reads every
// table shape fcsync writes and fcsync reads Spark's copy-on-write tables (versions 6 and 8),
// deletes, insert overwrite and clustering as Spark does (spark_interop_test.go), except
// that Hudi's Spark readers do not read an event-time partition column from the files: 0.15
// returns the partition path in its place, 1.0.2 fails on it, for Spark's own tables alike.
// Scan filters with simple predicates
// (Where); WriteJSON prints rows as JSON lines keyed by column name for a CLI.
//
// # Cleaning
//
// Every copy-on-write commit leaves the previous base file of each file group it rewrites
// behind. Cleaning (Hudi's cleaner, policy KEEP_LATEST_COMMITS) deletes the base files no
// snapshot of the newest N completed commits reads (N = WithCleanRetained, default 10, Hudi's
// hoodie.cleaner.commits.retained). With E the N-th newest commit, a file group keeps its newest
// committed base file at or before E and every base file after it; the committed base files
// older than that one are deleted. As of every retained commit (E or later) the file group's
// newest file is one of those kept, so every retained snapshot stays whole; nothing happens
// while the table has N commits or fewer. Files of commit instants that are not complete are
// never a clean's business (they are rolled back, see Writes).
//
// Write cleans after every successful commit (WithAutoClean(false) turns that off; a failed
// clean is only logged, the commit stands); Clean cleans on demand. E comes from the commit
// log head, which lists the newest max(32, N+1) commits (up to 1,001; cleaning that retains
// more reads the whole timeline for E); the timeline is read from the oldest
// of them on (one List), the base files of the whole table are listed (one List per 1,000
// files) and a commit instant older than the log's list is looked up once per process. Clean
// also reads the whole timeline, so it finds stopped cleans and dead commit instants of any age;
// Write's clean only those since the oldest commit the log lists.
//
// A clean, written as Hudi writes one (Spark's test tables have none to compare with, so the
// records follow Hudi's Avro schemas; the tests decode them with an independent Avro reader
// resolved to the schemas Hudi 0.14 and older declare):
//
//  1. plans: the files per partition;
//  2. claims an instant above the log head by creating <instant>.clean.requested holding the
//     plan, a HoodieCleanerPlan of version 1 (file names per partition, which Hudi's plan
//     migration turns into paths under the table's base path when it reads the plan; version 2
//     would need the table's absolute URI, which the writer does not know);
//  3. creates <instant>.clean.inflight (the plan again, as Hudi 0.14 does);
//  4. deletes the files;
//  5. creates <instant>.clean, a HoodieCleanMetadata of version 2 (file names relative to their
//     partition, earliestCommitToRetain = E, lastCompletedCommitTimestamp = the log head).
//
// Every step is idempotent and every file create-if-absent. A clean that stopped half way (a
// .clean.requested without .clean) is finished by the next clean: its plan is read back and a
// file is only deleted if its file group still has a newer committed base file. Until then
// readers are unaffected: they never read files older than the newest committed one.
//
// Instants are unique across actions: a commit attempt claims its instant with
// .commit.requested, a clean with .clean.requested; after creating its file each lists the
// instant's files (one List) and gives the instant up if the other action has it too. Of two
// racing claims at least one sees the other, so a commit and a clean never share an instant.
//
// Concurrent writers stay safe. A clean deletes a base file only when a newer committed base file
// of its file group exists, and never the newest, so a writer that planned on base file B either
// still finds B, or B was replaced by a commit that landed after the writer's base: that commit
// rewrote B's file group, so the writer would have to redo anyway (step 6 of a Write). Reading a
// vanished base file while routing, copying rows or checking a concurrent commit's keys
// therefore redoes the attempt on top of the new head when the head moved (and is an error when
// it did not: the file was deleted by something else). Unlike Hudi, cleaning does not hold back
// for pending commits: they cannot lose rows this way. Concurrent cleans are safe too (they may
// plan and delete the same files; each records what it planned). A snapshot that reads its files
// while more than N commits land may find one gone, as in Hudi; retain more commits for longer
// readers.
//
// # Archiving
//
// Every commit and every clean adds three files to .hoodie/. As Hudi's HoodieTimelineArchiver
// does (table version 6), Archive archives on demand, and Write after every commit with
// WithAutoArchive(true) (off by default, unlike Hudi; a failed archiving is only logged): once
// the active timeline holds more than keep.max completed commits (WithArchiveKeep,
// hoodie.keep.max.commits, 30), the oldest are archived down to keep.min (20), but only
// commits strictly older than
//   - the earliest commit cleaning retains (the N-th newest, N = WithCleanRetained), and
//   - the newest completed commit before the oldest pending commit instant, as Hudi keeps one,
//     so a pending instant never falls before the active timeline (where readers would take its
//     files for committed), and
//   - the newest completed commit older than the grace period G (WithArchiveGrace, 1 hour):
//     the active timeline always starts at a commit older than now−G.
//
// The grace period keeps attempts that are still running inside the active timeline. Instants
// are times of the Tables' clocks. A writer gives up an attempt whose instant is older than
// now−G/2 before writing any file of it (the .inflight, each base file) and before deciding it
// in the commit log, and redoes it under a new instant; so no file of an attempt appears once
// its instant is older than now−G/2. Archiving therefore takes pending instants older than G
// for dead and rolls them back first (one whose rollback fails holds archiving back); younger
// ones, even below the log head (they lost a race but may still be writing), are left to their
// writers and lie above the start of the active timeline. This holds while the clocks of
// writers and archivers agree to well within G/2 and no store request takes that long.
//
// With them go the completed cleans older than the oldest commit left active (pending cleans
// stay). Base files of instants between the last archiving and the new start of the active
// timeline that never committed (a writer died after a rollback missed them) are deleted first:
// readers take everything before the active timeline for committed.
//
// The archive is a Hudi log file .hoodie/archived/.commits_.archive.<version>_1-0-1, one new
// version per archiving, named as Hudi's archiver names them on stores without append
// (HoodieLogFormat writer, fileId "commits", extension ".archive", base commit "", rollover token
// 1-0-1). It holds Avro data blocks (log format version 1, block version 3 as Hudi 0.14+ writes
// them, the writer schema in the SCHEMA header, 10 records per block as
// hoodie.commits.archival.batch) of HoodieArchivedMetaEntry records, one per instant state as
// Hudi's archiver converts them (MetadataConversionUtils): cleans first, then commits; per
// instant REQUESTED, INFLIGHT, COMPLETED with commitTime, actionType (commit, clean),
// actionState, and the metadata: hoodieCommitMetadata converted from the state's JSON (the
// empty .commit.requested as empty metadata with operation UNKNOWN; extraMetadata gets
// ROLLING_STAT = "" as Hudi's conversion adds), hoodieCleanerPlan for a requested or inflight
// clean, hoodieCleanMetadata for a completed one. version is null, as Hudi's archiver leaves it.
// The block's writer schema is HoodieArchivedMetaEntry with only these fields (Hudi's readers
// resolve it against their own schema; the fields left out are nullable with default null:
// compaction, rollback, savepoint, replace and index metadata, which these instants never have,
// and stateTransitionTime, the instant file's modification time, which the store does not
// report). The clean records keep fcsync's version 1 plan (Hudi's archiver would migrate it to a
// version 2 plan with absolute paths); readers take archived clean details from the clean
// metadata only.
//
// Crash safety, in this order:
//
//  1. the archive file is created with create-if-absent under the version after the newest:
//     of two archivers only one gets a version, the other stops without deleting anything;
//  2. the hint .aux/fcsync/archive.json is updated (a lagging hint is only slower: readers
//     probe the versions after it);
//  3. the archived instants' files are deleted as Hudi does: every requested and inflight file
//     first, then the completed ones oldest first, so a commit never looks pending (and is never
//     rolled back) and the active timeline stays a suffix of the commits.
//
// An archiving first reads the newest archive file and deletes what is left of its instants, so
// a crash after step 1 leaves commits both archived and active (as Hudi's own crash does) until
// the next archiving, and no instant is archived twice: an instant is only archived while it is
// active, and a new archive file is only written once the previous one's instants are gone.
// fcsync's commit log stays the writer's source of truth. A writer that finds no .commit for an
// instant below the log head takes it for committed only when the archived timeline records it
// as a completed commit (the archive file exists before any .commit is deleted; the versions
// hold ascending commit ranges, so a binary search reads a few files, each once per Table), and
// a commit landing meanwhile whose .commit is archived makes a rebase redo. Snapshot applies
// the same rule to fcsync's tables (Hudi's rule only to tables fcsync did not create), so a
// stray file below the archived commits is never read. A .commit that a writer stalled between deciding and publishing re-creates after its
// archiving is deleted by the next archiving (until then, readers using only Hudi's rule see the
// commits archived after it as missing).
//
// # Limits
//
// Cleaning keeps base files bounded, which is where the storage goes; archiving keeps the
// active timeline bounded, while the archive grows by a file per archiving (Hudi can merge them,
// hoodie.archive.merge.enable; fcsync does not, and needs only the newest). No deletes. No bloom filter in the
// footer: a Table that has not cached a file's keys (a cold function instance) reads the keys
// of every base file of the partitions it upserts into: a file up to 256 KiB whole (kept for
// rewriting it, up to 16 MiB per partition), of a bigger one the footer and the record key
// column's chunks only (TestColdUpsertReadsOnlyTheKeysOfABigBaseFile). The stream function shares a KeyCache between the Tables it opens, so a warm
// instance reads only what it writes. Records of insert-only tables are keyed by their
// sequence number, as Hudi's auto-generated keys are. Kept and spliced rows keep the
// _hoodie_file_name of the file they were written to (see above).
package hudi
