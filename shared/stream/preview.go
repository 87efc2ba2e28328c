package stream

import (
	"fmt"
	"time"

	"github.com/fcsync/fcsync/shared/fieldmap"
	"github.com/fcsync/fcsync/shared/process"
	"github.com/fcsync/fcsync/shared/record"
	"github.com/fcsync/fcsync/shared/schema"
)

// Preview is what a batch would write, computed without writing anything (DataWorks'
// "preview data output" and "simulated run").
type Preview struct {
	Columns []schema.Column // the schema the rows are in (with any columns the batch would add)
	Rows    []schema.Row    // a short row has trailing NULLs
	// Partitions are the table partitions of Rows, for a job whose writer is a MaxCompute
	// table (nil for a Hudi writer).
	Partitions []schema.Partition
	Dirty      []DirtyRecord       // records that would be dirty data, with their reasons
	Filtered   int                 // records the chain's filters would drop
	DDL        []fieldmap.DDLEvent // columns the batch would add
}

// Preview runs recs through the chain and the mapping at time at, against the table's
// columns cols (nil: the columns the job would create its table with). It writes nothing and
// skips nothing: every record given is processed.
func (j *Job) Preview(recs []record.Record, cols []schema.Column, at time.Time) (*Preview, error) {
	if cols == nil {
		cols = j.initialColumns()
	}
	mapper, err := fieldmap.New("mapping", j.Spec.Mapping, cols,
		fieldmap.WithTable(j.tableName()), fieldmap.WithLocation(j.Spec.Location), fieldmap.WithClock(func() time.Time { return at }))
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", j.Spec.Name, err)
	}
	chain, err := j.chainAt(at)
	if err != nil {
		return nil, err
	}
	batch := mapper.Batch()
	var part func(*process.Message) (schema.Partition, error)
	if j.Spec.Table != nil {
		part = j.partitioner()
	}
	out, err := j.transform(chain, batch, recs, part)
	if err != nil {
		return nil, err
	}
	return &Preview{Columns: batch.Columns(), Rows: out.rows, Partitions: out.parts, Dirty: out.dirty, Filtered: out.filtered, DDL: batch.Events()}, nil
}
