// Package sink is the interface every destination table implements: the local warehouse
// (package sink/warehouse), MaxCompute (package sink/maxcompute) and Hudi tables
// (package lake/hudi).
//
// A window writes through one Session. Every file a session writes is tagged with the session's
// segment id; committing replaces whatever that segment wrote before, so rerunning a window with
// the same segment id replaces its rows instead of adding them again. Rows stream through Write:
// a sink never holds a window in memory.
package sink

import (
	"context"

	"github.com/fcsync/fcsync/shared/schema"
)

// Mode says what a session does to the partition it owns.
type Mode int

const (
	// Append adds the session's rows; a rerun of the same segment replaces them.
	Append Mode = iota
	// Overwrite replaces the owned partition's contents with the session's rows at commit,
	// atomically. Rows other fcsync windows delivered late into that partition are kept.
	Overwrite
)

// SessionSpec describes one write.
type SessionSpec struct {
	Table   schema.Table     // destination schema (created if absent, when the sink may)
	Segment string           // stable id of the writer (job + scheduled time): reruns replace it
	Owned   schema.Partition // the window's own partition; Overwrite applies to it only
	Mode    Mode
}

// Sink opens write sessions on tables.
type Sink interface {
	Begin(ctx context.Context, spec SessionSpec) (Session, error)
}

// Session streams rows into partitions and makes them visible at Commit.
type Session interface {
	// Write adds one row to a partition (the empty Partition for a non-partitioned table).
	// Rows written to a partition other than Owned are late deliveries: they are stored under the
	// segment too (a rerun replaces them), and an Overwrite of that partition by its own window
	// keeps them.
	Write(ctx context.Context, p schema.Partition, row schema.Row) error
	// Commit makes every partition the session touched (and, in Overwrite mode, the owned
	// partition even if no row was written) visible. Each partition switches atomically:
	// a reader sees the old contents or the new, never a mix.
	Commit(ctx context.Context) error
	// Abort discards what was written. Safe after Commit (no-op).
	Abort(ctx context.Context) error
}

// Resolver is implemented by sinks that can tell whether a segment's rows are in a
// partition. A writer that commits partitions one by one (the stream path into MaxCompute)
// asks it, after the writer of a batch stopped mid-commit, which partitions that batch
// reached.
type Resolver interface {
	// Committed reports whether segment's Append rows are in partition p of table (false
	// when the table does not exist). A commit still in doubt is settled first, the way
	// Begin settles it, so the answer holds for good once no writer of the segment runs.
	Committed(ctx context.Context, table, segment string, p schema.Partition) (bool, error)
}
