package stream

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/fcsync/fcsync/shared/fieldmap"
	"github.com/fcsync/fcsync/shared/job"
	"github.com/fcsync/fcsync/shared/lake/hudi"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/process"
	"github.com/fcsync/fcsync/shared/schedule"
	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/sink"
)

// Job is a compiled stream job: its chain and mapping checked once, ready for any number of
// batches (concurrently: Run keeps no state between calls).
type Job struct {
	Spec      *job.Stream
	chain     *process.Chain
	tableOpts []hudi.Option   // from writer.options
	policy    fieldmap.Policy // the mapping's dynamic-column policy
}

// Compile checks a stream job's processors and mapping and builds its chain.
func Compile(spec *job.Stream) (*Job, error) {
	j := &Job{Spec: spec}
	chain, err := j.compileAt(time.Date(2022, 11, 22, 10, 0, 0, 0, spec.Location))
	if err != nil {
		return nil, err
	}
	j.chain = chain
	m, err := fieldmap.New("mapping", spec.Mapping, j.initialColumns(), fieldmap.WithTable(j.tableName()), fieldmap.WithLocation(spec.Location))
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", spec.Name, err)
	}
	j.policy = m.Policy()
	if spec.Table != nil {
		return j, j.checkTable()
	}
	if j.tableOpts, err = hudi.ParseOptions("writer.options", spec.Writer.Options); err != nil {
		return nil, fmt.Errorf("job %s: %w", spec.Name, err)
	}
	// Creating the table in memory checks the writer's key, precombine and partitioning
	// against the columns exactly as the real table will.
	if _, err := hudi.Create(context.Background(), objstore.NewMemory(), "check", j.tableConfig(j.initialColumns()), j.tableOpts...); err != nil {
		return nil, fmt.Errorf("job %s: writer: %w", spec.Name, err)
	}
	return j, nil
}

// chainAt is the chain bound to the batch time at: scheduling parameters in processors take
// their values then. Custom parameters are evaluated at that time too.
func (j *Job) chainAt(at time.Time) (*process.Chain, error) {
	if len(j.Spec.Params) == 0 {
		return j.chain.At(at), nil
	}
	return j.compileAt(at)
}

func (j *Job) compileAt(at time.Time) (*process.Chain, error) {
	vars, err := schedule.Resolve(j.Spec.Params, at, nil)
	if err != nil {
		return nil, fmt.Errorf("job %s: parameters: %w", j.Spec.Name, err)
	}
	chain, err := process.Compile("processors", j.Spec.Processors, process.WithLocation(j.Spec.Location),
		process.WithVars(vars), process.WithTime(at))
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", j.Spec.Name, err)
	}
	return chain, nil
}

// Outputs are the fields a record has after the chain (what "generate the table schema"
// starts from).
func (j *Job) Outputs() []schema.Column { return j.chain.Outputs() }

// initialColumns is the table's schema when the job creates it: the writer's schema, or the
// chain's outputs without the raw Kafka attributes nobody asked to keep.
func (j *Job) initialColumns() []schema.Column {
	if len(j.Spec.Writer.Columns) > 0 {
		return j.Spec.Writer.Columns
	}
	if j.Spec.Table != nil && len(j.Spec.Table.Columns) > 0 {
		return j.Spec.Table.Columns
	}
	var cols []schema.Column
	for _, c := range j.chain.Outputs() {
		if strings.HasPrefix(c.Name, "__") && strings.HasSuffix(c.Name, "__") {
			continue
		}
		cols = append(cols, c)
	}
	return cols
}

func (j *Job) tableConfig(cols []schema.Column) hudi.Config {
	w := j.Spec.Writer
	return hudi.Config{
		Database: w.Database, Name: w.Table, Columns: cols,
		RecordKey: w.PrimaryKey, Precombine: w.Precombine,
		Partitioning: hudi.Partitioning{
			Fields: w.Partition.Fields, TimeField: w.Partition.TimeField,
			Granularity: hudi.Granularity(w.Partition.TimeLevel), HiveStyle: w.Partition.HiveStyle,
		},
	}
}

// Env is what a batch runs against.
type Env struct {
	Lake objstore.Store // the table and the dirty data
	Log  *slog.Logger
	Now  func() time.Time
	// HudiOptions are passed to the table after the job's writer.options (clock, IDs, fault
	// hooks in tests).
	HudiOptions []hudi.Option

	// Sink is the table of a job whose writer is a MaxCompute table (the MaxCompute sink, or
	// the local warehouse): it must implement sink.Resolver. State holds the job's stream
	// state (offsets and commit intents; Lake when nil). Timeout is the invocation's time
	// limit when ctx has no deadline (default 24 h, Function Compute's longest). See the
	// package doc.
	Sink    sink.Sink
	State   objstore.Store
	Timeout time.Duration
}

// Report says what one batch did.
type Report struct {
	Job        string              `json:"job"`
	Records    int                 `json:"records"`    // in the invocation
	Duplicates int                 `json:"duplicates"` // already committed, or repeated in the batch
	Filtered   int                 `json:"filtered"`
	Dirty      int                 `json:"dirty"`
	Written    int                 `json:"written"`
	Inserted   int                 `json:"inserted"`
	Updated    int                 `json:"updated"`
	Instant    string              `json:"instant,omitempty"` // the Hudi commit, when rows were written
	DDL        []fieldmap.DDLEvent `json:"ddl,omitempty"`     // columns the batch added
	Offsets    map[string][2]int64 `json:"offsets,omitempty"` // topic/partition → [first, last] offset processed
	DirtyKey   string              `json:"dirtyObject,omitempty"`
	Committed  bool                `json:"committed"` // false: nothing new to commit (every record was committed before)
	Attempts   int                 `json:"attempts"`  // runs of the batch (more than 1 after a concurrent overlapping commit)
	// Attempted are the rows the batch tried to commit; when the commit fails nothing is
	// Written and a retry writes them again.
	Attempted int `json:"attempted,omitempty"`
}

// ErrorLimitError fails a batch with more dirty records than errorLimit.record allows.
type ErrorLimitError struct {
	Job   string
	Dirty int
	Limit int64
	First string // the first dirty record's reason
}

func (e *ErrorLimitError) Error() string {
	return fmt.Sprintf("job %s: %d dirty records exceed errorLimit.record %d (first: %s); nothing was written", e.Job, e.Dirty, e.Limit, e.First)
}

// StopError fails a batch in a way that must stop the job's stream at the record rather than
// skip it: a dynamic field the table has no column for under the dynamic-column policy error
// (DataWorks' "Report Error": the task stops). Nothing of the batch is written. The function
// returns it as a function error, which the Kafka trigger retries; with errorsTolerance NONE
// the trigger stops the partition's consumer task once the retries are spent, instead of
// dead-lettering the batch and moving on (see the README and s.yaml). The batch goes through
// once the table has the column (or the job's policy changed) and the task is started again.
type StopError struct {
	Job    string
	Record string // topic/partition@offset
	Field  string // the dynamic field
	Err    error  // the *fieldmap.ColumnError
}

func (e *StopError) Error() string {
	return fmt.Sprintf("job %s: stopped at record %s, field %s (mapping.dynamic.policy: error): %v; nothing was written, and the stream must not move past this record",
		e.Job, e.Record, e.Field, e.Err)
}

func (e *StopError) Unwrap() error { return e.Err }

// StopsOnNewFields reports whether the job can fail with a *StopError: its chain has dynamic
// output fields (a json processor with dynamic) and its dynamic-column policy is error.
func (j *Job) StopsOnNewFields() bool {
	if j.policy != fieldmap.PolicyError {
		return false
	}
	steps, _ := j.Spec.Processors.([]any)
	for _, s := range steps {
		m, _ := s.(map[string]any)
		if js, ok := m["json"].(map[string]any); ok && js["dynamic"] != nil {
			return true
		}
	}
	return false
}

// HudiProperties is the hoodie.properties (without its comment lines) the job's Hudi table is
// created with for columns cols (nil: the columns the job creates it with): the table's name,
// type, record key, precombine and partition fields, key generator and Avro schema, made by
// the same code that creates the real table (in memory; nothing is written).
func (j *Job) HudiProperties(cols []schema.Column) (string, error) {
	if j.Spec.Table != nil {
		return "", fmt.Errorf("job %s: the writer is a MaxCompute table, not Hudi", j.Spec.Name)
	}
	if cols == nil {
		cols = j.initialColumns()
	}
	mem := objstore.NewMemory()
	ctx := context.Background()
	if _, err := hudi.Create(ctx, mem, j.Spec.Writer.Path, j.tableConfig(cols), j.tableOpts...); err != nil {
		return "", fmt.Errorf("job %s: writer: %w", j.Spec.Name, err)
	}
	data, err := mem.Get(ctx, j.Spec.Writer.Path+"/.hoodie/hoodie.properties")
	if err != nil {
		return "", fmt.Errorf("job %s: hoodie.properties: %w", j.Spec.Name, err)
	}
	var b strings.Builder
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String(), nil
}

// Columns are the columns the job creates its table with (the writer's schema, or the chain's
// outputs without the Kafka attributes nobody kept).
func (j *Job) Columns() []schema.Column { return slices.Clone(j.initialColumns()) }
