// Package cdc copies MySQL or MariaDB tables into Kafka topics the way DataWorks' "one-click
// real-time synchronization to Kafka" does ("DataWorks: Create a real-time synchronization
// solution to synchronize data to Kafka"): a full snapshot of the selected tables, then every
// change from the binary log, as DataWorks-format JSON records keyed by the primary key. It is
// built for a timer-triggered function: each Runner.Run does a bounded amount of work (a time
// budget), saves its progress in a state log, and the next invocation — in any process —
// continues from there.
//
// # Phases
//
// The first run lists the tables the job selects (reader.tables patterns minus reader.exclude),
// reads their schemas, decides each table's Kafka key and topic, creates missing topics (or
// requires them), and records the binary log position P0 (SHOW MASTER STATUS). The snapshot then
// reads each table in chunks ordered by its primary key (or a unique NOT NULL key), writing every
// row as an INSERT full-data record with sequenceId "-1" and eventTime/checkpointTime -1; after
// Kafka acknowledges a chunk its last key is saved, so a run that stops (budget) or crashes
// resumes after the last saved chunk. A table with neither key is read in one streaming pass
// that starts over if interrupted. When every table is done the binlog phase begins at P0:
// rows changed while the snapshot ran are written again by their binlog events, so a consumer
// applying records in order ends with the source's state (some rows arrive twice).
//
// The binlog phase streams events (github.com/go-mysql-org/go-mysql replication, ROW format,
// full row images) from the saved position, by file and offset or, with reader.position: gtid,
// by GTID set. Inserts, updates and deletes of tracked tables become records; an UPDATE is one
// UPDATE_AFTER record with before and after images, or (writer.updateAs: two) an UPDATE_BEFOR
// record with the before image and an UPDATE_AFTER record with the after image — two records
// also in "one" mode when the key changed, so each key's partition sees its own change. DDL
// statements about tracked tables (CREATE, ALTER, DROP → ERASE, TRUNCATE, RENAME, CREATE/DROP
// INDEX → CINDEX/DINDEX) re-read the table's schema and write a DDL record (payload.ddl.text, the
// new schema) to every partition of its topic; a new table that matches the selection is
// tracked from its CREATE on (or, when the job cannot key it, refused: logged as an error and
// listed in Report.Refused, while the other tables go on). Heartbeats (op MHEARTBEAT) go to every partition of every topic
// whenever the binlog's event time — or the wall clock while caught up — has advanced by the
// heartbeat interval (5 s) since the last one.
//
// With setting.mode: catchup (the default) an invocation returns once it has written what the
// binlog held when it began, so it is billed only for that work, and heartbeats are at most one
// per invocation. With setting.mode: follow it stays on the binlog for its whole budget, writing
// changes as they come and a heartbeat every interval while idle: heartbeats every 5 s while
// the invocation lasts, at the price of being billed for the whole budget.
//
// # Adding and removing tables
//
// reader.tables and reader.exclude may change while a job runs; its state is kept. Tables no
// longer selected are forgotten (their changes stop). Tables added during the snapshot phase
// join it; tables added in the binlog phase are snapshotted in chunks while the binlog goes on,
// between binlog-position watermarks, dropping chunk rows that changed inside a chunk's window
// (incremental.go), so no row is lost or left stale and tables already tracked are not read
// again. Their rows are full-data records (sequenceId -1) among the change records: consumers
// apply -1 records as upserts without the sequence-id check. Other changes of keys of tracked
// tables or of the topic mapping still need a new state (ErrSelectionChanged).
//
// # Delivery and sequence ids
//
// Records are produced in batches. A batch ends at a transaction boundary; it is produced with
// acks=all, one request in flight per partition (so retries keep the order of a key's changes),
// and only after Kafka has acknowledged every record of it is the batch's end saved as the
// resume position. While Kafka writes one batch the next is read from the binlog; it is handed to
// Kafka only once the one before is acknowledged and saved. A crash between produce and save
// therefore repeats at most that last batch, never loses one. The repeated records carry the same sequenceIds, because a sequenceId is made
// only of where its event sits in the binary log:
//
//	<file number, 6+ digits><event end offset, 10 digits><row in the event, 7 digits><part, 1 digit>
//
// (part 1 is the after half of an update written as two records; heartbeats use row 9999999,
// part 9). Consumers deduplicate by keeping, per partition, the highest sequenceId applied and
// skipping records at or below it (compare as numbers, or by length then text). Full-data
// records all have sequenceId -1: a repeated snapshot chunk rewrites the same rows, which an
// upsert by key absorbs. A transaction larger than four batches' worth of bytes is written in
// pieces before its end is saved; a crash then repeats the whole transaction, again with the
// same ids. systemTime is the only field that differs between a record and its repetition.
//
// If the saved binlog file has been purged from the server, Run fails with an error wrapping
// ErrBinlogPurged that says so and how to recover; with reader.onPurgedBinlog: resnapshot it
// takes a new snapshot instead (consumers see every row again as full data).
//
// # Keys, partitions and topics
//
// A record's key is the text of its primary key value (a composite key is a JSON array of the
// values: [1,"a"]). A table without a primary key is refused unless the job names key columns
// for it (reader.keys) or allows the empty key (reader.allowNoPrimaryKey); the empty key sends all
// of a table's records to one partition, and a warning is logged when its topic has more than
// one. Partitions are chosen as Kafka's Java client does (murmur2 of the key). Topics come from
// writer.topic (default "${table}"), writer.prefix/suffix and writer.rules (a db.table pattern or
// a regular expression with groups, first match wins), with the variables ${db} and ${table}.
//
// # Per-table settings, additional fields and dirty data
//
// writer.tables lists per-table settings (the first entry whose db.table pattern matches
// applies), as DataWorks' "Configure a destination topic" step sets them: createTopic (create
// the topic or require it), partitions and replicationFactor of a created topic, fields (rename
// a column in the topic, or write it as another DataWorks type: LONG, DOUBLE, STRING, DATE,
// BYTES, BOOLEAN, where the conversion makes sense) and additionalFields. Additional fields
// (also writer.additionalFields, for every table) go at the end of schema.dataColumn and of
// every row image: a constant string (value) or a variable — EXECUTE_TIME (the change's time
// in epoch ms, a LONG: the binlog event time, or the read time of a full-data record),
// DB_NAME_SRC, TABLE_NAME_SRC, DB_TYPE_SRC ("mysql"), DATASOURCE_NAME_SRC. A row that cannot be
// encoded (a value its column or conversion rejects) fails the run, with an error naming the
// table, the column and the binlog position; with setting.allowDirty it is written instead to
// the dirty-data log, JSON lines under dirty/cdc/<job>/ in the state store (table, op,
// position, reason), and counted in Report.Dirty, while the rest goes on. setting.concurrency
// (1 to 64, default 8; DataWorks' "Number of concurrent writes on the target side") is how
// many partitions' produce requests are in flight at once; each partition still has one.
//
// # Values
//
// Column types map to LONG (integers, year, bit(n>1)), DOUBLE (float, double), STRING (char,
// text, json, decimal as exact digits, time, enum labels, set labels joined by ','), DATE (epoch
// milliseconds: date and datetime read as wall clock in the job's timezone, timestamp as the
// instant), BYTES (binary, blob, geometry; base64) and BOOLEAN (bit(1)). Zero dates are null.
// Snapshot reads and binlog events give the same values for the same row (tested type by type),
// except that JSON documents may differ in white space.
//
// # Limits
//
// Column names and types come from information_schema, read when the job begins and again after
// each DDL statement. When the binlog is far behind the server and a table changed twice, rows
// between the two changes may not match the current schema: with binlog_row_metadata=FULL (MySQL
// 8.0.1+, MariaDB 10.5+) rows carry their column names and are mapped by name; otherwise a
// column-count mismatch stops the run with an error saying so. A table created and then dropped
// or renamed away while the job is behind is not found when its CREATE is processed: its rows in
// between are skipped (with a warning). A table altered while a snapshot spans several runs is read
// with its current columns; a change of its primary key then stops the job. Sequence ids are positions of one
// server: after a failover to another server they restart from that server's positions. The
// state holds no secrets (no DSN, no password); Source's String hides the password and no error
// quotes a DSN.
package cdc
