package cdc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/fcsync/fcsync/shared/kafka"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/record"
	"github.com/fcsync/fcsync/shared/state"
)

// ErrConcurrentRun is wrapped by the error of a run that found another run of the same job
// had saved progress meanwhile: two invocations overlapped, and this one stops.
var ErrConcurrentRun = errors.New("another run of this job saved progress meanwhile")

// ErrSelectionChanged is wrapped by the error of a run whose job selects tables, keys or topics
// differently from the settings its saved state was made with.
var ErrSelectionChanged = errors.New("the job's tables, keys or topic mapping changed since its state was made")

// Runner runs invocations of one job: each Run does a bounded amount of work and saves its
// progress in the job's state log, so the next Run (in this process or another) continues.
type Runner struct {
	job   *Job
	src   Source
	kcfg  kafka.Config
	store objstore.Store
	log   *slog.Logger
	now   func() time.Time
	hooks *Hooks

	budget        time.Duration
	untilCaughtUp bool
	pollIdle      time.Duration

	state   *state.Log
	version int64 // the state version this run builds on
}

// Hooks are fault-injection points for tests.
type Hooks struct {
	// AfterProduce runs after Kafka acknowledged a batch and before its checkpoint is saved;
	// an error ends the run there, as a crash would.
	AfterProduce func(b Batch) error
	// AfterChunkSelect runs after an incremental snapshot chunk of table (db.table) was read
	// and before the binlog position after it is taken (changes made here fall in the chunk's
	// window); an error ends the run.
	AfterChunkSelect func(table string) error
}

// Batch describes a batch for Hooks.
type Batch struct {
	Phase   string
	Table   string   // snapshot: the table of the chunk
	Records int      // records produced
	Ends    Position // binlog: the position the checkpoint will hold
}

// Option configures a Runner.
type Option func(*Runner)

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(r *Runner) { r.log = l } }

// WithClock sets the clock of systemTime, heartbeats and the budget (default time.Now).
func WithClock(now func() time.Time) Option { return func(r *Runner) { r.now = now } }

// WithBudget overrides the job's time budget for each Run.
func WithBudget(d time.Duration) Option { return func(r *Runner) { r.budget = d } }

// WithUntilCaughtUp makes Run stop once it has written every change the binary log held when
// the binlog phase started, instead of waiting for more until the budget is spent, whatever
// the job's setting.mode says.
func WithUntilCaughtUp() Option { return func(r *Runner) { r.untilCaughtUp = true } }

// WithFollow makes Run stay on the binary log until the budget is spent (setting.mode: follow),
// whatever the job says.
func WithFollow() Option { return func(r *Runner) { r.untilCaughtUp = false } }

// WithHooks sets fault-injection hooks.
func WithHooks(h *Hooks) Option { return func(r *Runner) { r.hooks = h } }

// New makes a runner of job reading src (the password is used only to connect) and writing to
// the brokers of kcfg (its Topic is ignored), keeping state in store under "state/cdc/<job>".
func New(job *Job, src Source, kcfg kafka.Config, store objstore.Store, opts ...Option) (*Runner, error) {
	if job == nil || store == nil {
		return nil, errors.New("cdc: nil job or store")
	}
	if len(kcfg.Brokers) == 0 {
		return nil, fmt.Errorf("cdc job %s: no Kafka brokers", job.Name)
	}
	r := &Runner{job: job, src: src, kcfg: kcfg, store: store, log: slog.Default(), now: time.Now, budget: job.Budget, pollIdle: 500 * time.Millisecond,
		untilCaughtUp: job.Mode != ModeFollow}
	for _, o := range opts {
		o(r)
	}
	r.log = r.log.With("job", job.Name)
	r.state = state.New(store, "cdc/"+job.Name, state.WithKeep(20))
	return r, nil
}

// Report says what one Run did.
type Report struct {
	Job          string   `json:"job"`
	Phase        string   `json:"phase"` // the phase the job is in after the run
	SnapshotRows int64    `json:"snapshotRows"`
	Changes      int64    `json:"changes"` // row changes read from the binlog
	Records      int64    `json:"records"` // Kafka records written (all kinds)
	DDL          int64    `json:"ddl"`
	Heartbeats   int64    `json:"heartbeats"`
	Batches      int      `json:"batches"`
	Tables       int      `json:"tables"`
	From         Position `json:"from"`
	To           Position `json:"to"`
	CaughtUp     bool     `json:"caughtUp"`
	Resnapshot   bool     `json:"resnapshot,omitempty"`
	// Refused lists tables a DDL statement made untrackable (no key the job allows).
	Refused []string `json:"refused,omitempty"`
	// Dirty counts the rows written to the dirty-data log (setting.allowDirty) instead of
	// Kafka; DirtyKeys are its objects in the state store.
	Dirty int64 `json:"dirty,omitempty"`
	// IncrementalRows counts the rows written by incremental snapshots of added tables;
	// IncrementalPending is how many added tables are not snapshotted yet.
	IncrementalRows    int64         `json:"incrementalRows,omitempty"`
	IncrementalPending int           `json:"incrementalPending,omitempty"`
	DirtyKeys          []string      `json:"dirtyKeys,omitempty"`
	Duration           time.Duration `json:"duration"`
}

// run is the state of one Run.
type run struct {
	*Runner
	ctx      context.Context
	db       *client.Conn
	srv      server
	prod     *producer
	cp       *Checkpoint
	tables   map[string]*Table
	rep      *Report
	deadline time.Time
	parts    map[string][]int // partition ids per topic
	started  time.Time
	dirty    []dirtyRecord // not saved yet
}

// dirtyRecord is a row written to the dirty-data log instead of Kafka.
type dirtyRecord struct {
	Table  string `json:"table"`
	Op     string `json:"op"`
	At     string `json:"at"` // the binlog position of its event, or "snapshot"
	Reason string `json:"reason"`
}

// dirtyRow keeps a row that cannot be encoded for the dirty-data log when the job allows dirty
// data; otherwise it returns the error, saying how to allow it.
func (x *run) dirtyRow(t *Table, op, at string, err error) error {
	if !x.job.AllowDirty {
		return fmt.Errorf("table %s, %s row at %s: %w (set setting.allowDirty: true to write such rows to the dirty-data log instead)", t.FullName(), op, at, err)
	}
	x.dirty = append(x.dirty, dirtyRecord{Table: t.FullName(), Op: op, At: at, Reason: err.Error()})
	x.rep.Dirty++
	x.log.Warn("dirty row: written to the dirty-data log, not to Kafka", "table", t.FullName(), "op", op, "at", at, "reason", err.Error())
	return nil
}

// saveDirty writes the dirty rows kept so far as JSON lines to
// dirty/cdc/<job>/<run start>-<n>.jsonl. It runs before every checkpoint, so a row is in the log
// before the position after it is saved (a repeated batch may log it again).
func (x *run) saveDirty() error {
	if len(x.dirty) == 0 {
		return nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, d := range x.dirty {
		if err := enc.Encode(d); err != nil {
			return err
		}
	}
	key := fmt.Sprintf("dirty/cdc/%s/%s-%d.jsonl", x.job.Name, x.started.UTC().Format("20060102T150405.000Z"), len(x.rep.DirtyKeys)+1)
	if err := x.store.Put(x.ctx, key, buf.Bytes()); err != nil {
		return fmt.Errorf("dirty data %s: %w", key, err)
	}
	x.rep.DirtyKeys = append(x.rep.DirtyKeys, key)
	x.dirty = x.dirty[:0]
	return nil
}

// Run does one invocation's work: the snapshot where it left off, then binlog changes, until
// the budget is spent (setting.mode: follow) or the binlog is caught up (catchup, the default).
func (r *Runner) Run(ctx context.Context) (*Report, error) {
	start := r.now()
	rep := &Report{Job: r.job.Name}
	defer func() { rep.Duration = r.now().Sub(start) }()
	deadline := start.Add(r.budget)
	if d, ok := ctx.Deadline(); ok && d.Add(-2*time.Second).Before(deadline) {
		deadline = d.Add(-2 * time.Second)
	}
	db, err := dial(ctx, r.src)
	if err != nil {
		return rep, r.fail(err)
	}
	defer db.Close()
	srv, err := checkServer(db, r.job.Reader.Flavor)
	if err != nil {
		return rep, r.fail(fmt.Errorf("source %s: %w", r.src, err))
	}
	prod, err := newProducer(r.kcfg, r.job.Writer.Compression, r.job.Concurrency, r.log)
	if err != nil {
		return rep, r.fail(err)
	}
	defer prod.close()
	x := &run{Runner: r, ctx: ctx, db: db, srv: srv, prod: prod, rep: rep, deadline: deadline, parts: map[string][]int{}, started: start}
	if err := x.load(); err != nil {
		return rep, r.fail(err)
	}
	rep.From = x.cp.Binlog
	err = x.work()
	if errors.Is(err, ErrBinlogPurged) && r.job.Reader.OnPurged == OnPurgedResnapshot {
		r.log.Warn("binlog purged: taking a new snapshot", "err", err.Error())
		rep.Resnapshot = true
		if err = x.begin(x.cp.Resnapshots + 1); err == nil {
			err = x.work()
		}
	}
	rep.Phase, rep.To, rep.Tables = x.cp.Phase, x.cp.Binlog, len(x.tables)
	for _, tp := range x.cp.Incremental {
		if !tp.Done {
			rep.IncrementalPending++
		}
	}
	if err != nil {
		return rep, r.fail(err)
	}
	if perr := r.state.Prune(ctx); perr != nil {
		r.log.Warn("prune state", "err", perr.Error())
	}
	r.log.Info("cdc run done", "phase", rep.Phase, "snapshot_rows", rep.SnapshotRows, "changes", rep.Changes,
		"records", rep.Records, "ddl", rep.DDL, "heartbeats", rep.Heartbeats, "to", rep.To.String(), "caught_up", rep.CaughtUp)
	return rep, nil
}

func (r *Runner) fail(err error) error {
	return fmt.Errorf("cdc job %s: %w", r.job.Name, err)
}

func (x *run) work() error {
	if x.cp.Phase == PhaseSnapshot {
		if err := x.snapshot(); err != nil {
			return err
		}
	}
	if x.cp.Phase == PhaseBinlog && x.now().Before(x.deadline) {
		return x.binlog()
	}
	return nil
}

// Checkpoint returns the job's saved progress, or nil when it has none.
func (r *Runner) Checkpoint(ctx context.Context) (*Checkpoint, error) {
	v, err := r.state.Load(ctx)
	if err != nil || v.Number == 0 {
		return nil, err
	}
	return decodeCheckpoint(v.Data, "")
}

// load reads the checkpoint, or begins the job when there is none.
func (x *run) load() error {
	v, err := x.state.Load(x.ctx)
	if err != nil {
		return err
	}
	x.version = v.Number
	if v.Number == 0 {
		return x.begin(0)
	}
	cp, err := decodeCheckpoint(v.Data, x.srv.version)
	if err != nil {
		return fmt.Errorf("state %s version %d: %w", x.state.Scope(), v.Number, err)
	}
	reselect := cp.Selection != x.job.selection()
	if reselect && !tablesChangedOnly(cp.Selection, x.job.selection(), cp.tableMap()) {
		return fmt.Errorf("%w: delete the state under state/%s/ to start over with a new snapshot, or restore the job's settings (reader.tables and reader.exclude may change: added tables are snapshotted while the binlog goes on)", ErrSelectionChanged, x.state.Scope())
	}
	x.cp, x.tables = cp, cp.tableMap()
	for _, t := range cp.Tables {
		// Field names, types and additional fields come from the job as it is now.
		t.settings = x.job.settingsOf(t)
		if err := t.prepare(x.srv.version); err != nil {
			return err
		}
		if err := t.buildShape(true); err != nil {
			return err
		}
		t.schema = appendSchema(nil, t, x.srv.version)
		if err := x.ensureTopic(t); err != nil {
			return err
		}
	}
	if reselect {
		return x.reselect()
	}
	return nil
}

// begin discovers the tables, checks and creates topics, takes the starting binlog position and
// saves a fresh checkpoint (snapshot phase, or binlog phase when the job takes no snapshot).
func (x *run) begin(resnapshots int) error {
	refs, err := listTables(x.db, x.job)
	if err != nil {
		return err
	}
	if len(refs) == 0 {
		return fmt.Errorf("no table of the source matches reader.tables %v", x.job.Reader.Tables)
	}
	x.tables = map[string]*Table{}
	for _, ref := range refs {
		t, ok, err := loadTable(x.db, ref)
		if err != nil {
			return err
		}
		if !ok {
			continue // dropped meanwhile
		}
		if err := x.track(t); err != nil {
			return err
		}
	}
	tables := sortedTables(x.tables)
	if missing := keysForMissingTables(x.job, tables); len(missing) > 0 {
		return fmt.Errorf("reader.keys names tables the job does not read: %v", missing)
	}
	pos, err := masterStatus(x.db, x.srv.flavor, x.job.Reader.Position == PositionGTID)
	if err != nil {
		return err
	}
	cp := &Checkpoint{Format: checkpointFormat, Selection: x.job.selection(), Start: pos, Binlog: pos, Tables: tables, Resnapshots: resnapshots}
	if x.cp != nil {
		cp.HeartbeatMs = x.cp.HeartbeatMs
	}
	if x.job.Reader.Snapshot {
		cp.Phase = PhaseSnapshot
		for _, t := range tables {
			cp.Snapshot = append(cp.Snapshot, TableProgress{Table: t.FullName()})
		}
	} else {
		cp.Phase = PhaseBinlog
	}
	x.cp = cp
	x.log.Info("cdc job begins", "phase", cp.Phase, "tables", len(tables), "start", pos.String())
	return x.save()
}

// track plans a table (key, topic), prepares it, makes sure its topic exists and adds it to the
// tracked tables.
func (x *run) track(t *Table) error {
	if err := plan(x.job, t); err != nil {
		return err
	}
	if err := t.prepare(x.srv.version); err != nil {
		return err
	}
	if err := t.buildShape(true); err != nil {
		return err
	}
	if err := x.ensureTopic(t); err != nil {
		return err
	}
	x.tables[t.FullName()] = t
	return nil
}

func (x *run) ensureTopic(t *Table) error {
	if _, ok := x.parts[t.Topic]; ok {
		return nil
	}
	w := x.job.Writer
	create, partitions, rf, where := w.CreateTopic, w.Partitions, w.ReplicationFactor, "writer.createTopic"
	if t.settings != nil && t.settings.ts != nil {
		ts := t.settings.ts
		if ts.CreateTopic != nil {
			create, where = *ts.CreateTopic, ts.Where+".createTopic"
		}
		if ts.Partitions > 0 {
			partitions = ts.Partitions
		}
		if ts.ReplicationFactor > 0 {
			rf = ts.ReplicationFactor
		}
	}
	n, err := x.prod.ensure(x.ctx, t.Topic, create, partitions, rf, where)
	if err != nil {
		return fmt.Errorf("table %s: %w", t.FullName(), err)
	}
	ids := make([]int, n)
	for i := range ids {
		ids[i] = i
	}
	x.parts[t.Topic] = ids
	if len(t.Key) == 0 && n > 1 {
		x.log.Warn("table without key columns writes to a topic of several partitions: all its records use the empty key, so they land in one partition",
			"table", t.FullName(), "topic", t.Topic, "partitions", n)
	}
	return nil
}

// save writes the checkpoint as the next state version, unless another run saved meanwhile.
func (x *run) save() error { return x.saveTables(sortedTables(x.tables)) }

// saveTables saves the checkpoint with the given tracked tables.
func (x *run) saveTables(tables []*Table) error {
	if err := x.saveDirty(); err != nil {
		return err
	}
	x.cp.Tables = tables
	data, err := json.Marshal(x.cp)
	if err != nil {
		return err
	}
	base := x.version
	v, err := x.state.Update(x.ctx, func(cur state.Version) ([]byte, error) {
		if cur.Number != base {
			return nil, fmt.Errorf("%w (state version %d, this run began at %d)", ErrConcurrentRun, cur.Number, base)
		}
		return data, nil
	})
	if err != nil {
		return err
	}
	x.version = v.Number
	return nil
}

var murmur = kafkago.Murmur2Balancer{Consistent: true}

// partition is the partition of key in topic, as Kafka's Java client picks it (murmur2); the
// empty key always goes to one partition.
func (x *run) partition(topic string, key []byte) int32 {
	ids := x.parts[topic]
	if len(ids) <= 1 {
		return 0
	}
	return int32(murmur.Balance(kafkago.Message{Key: key}, ids...))
}

// flushRecords produces recs and runs the AfterProduce hook.
func (x *run) flushRecords(recs []record.Record, b Batch) error {
	if err := x.prod.produce(x.ctx, recs); err != nil {
		return err
	}
	x.rep.Records += int64(len(recs))
	x.rep.Batches++
	if x.hooks != nil && x.hooks.AfterProduce != nil {
		b.Records = len(recs)
		if err := x.hooks.AfterProduce(b); err != nil {
			return err
		}
	}
	return nil
}
