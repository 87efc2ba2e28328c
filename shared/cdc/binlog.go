package cdc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/fcsync/fcsync/shared/record"
)

// binlogRun is the state of the binlog phase of one run.
type binlogRun struct {
	*run
	file      string   // current binlog file
	fileNum   uint64   // its number, for sequence ids
	committed Position // end of the last transaction (or idle event) read
	saved     Position // what the checkpoint holds
	inTx      bool
	target    Position // the binlog end when the phase began
	maps      map[uint64]*tableMapping

	recs          []record.Record
	spare         []record.Record // the buffer of the batch before, reused
	pending       *inflight       // the batch Kafka is writing
	bytes         int
	txStart       int // index in recs where the open transaction's records begin
	seq           []byte
	lastEvent     int64   // event time (ms) of the last commit
	lastHeartbeat int64   // event time (ms) of the last heartbeat written
	dirty         bool    // progress not saved yet
	win           *window // the incremental snapshot chunk waiting for its high watermark
}

// tableMapping maps the columns of a table map event onto a tracked table.
type tableMapping struct {
	t      *Table
	cols   []int // table column of each event column
	keyPos []int // positions of the key columns among the event columns
	// chunkPos are the positions of the chunk key columns (incremental snapshots)
	chunkPos []int
	schema   []byte
	vals     []value // scratch: one image
	vals2    []value
}

// binlog streams changes from the saved position and writes them in batches. A batch always
// ends at a transaction boundary; it is produced, acknowledged, and only then is its end saved
// as the resume position.
func (x *run) binlog() error {
	b := &binlogRun{run: x, committed: x.cp.Binlog, saved: x.cp.Binlog, maps: map[uint64]*tableMapping{}, lastHeartbeat: x.cp.HeartbeatMs}
	defer b.abandon()
	useGTID := x.job.Reader.Position == PositionGTID
	target, err := masterStatus(x.db, x.srv.flavor, false)
	if err != nil {
		return err
	}
	b.target = target
	if err := b.checkPurged(); err != nil {
		return err
	}
	if x.untilCaughtUp && b.incremental() == nil {
		if c, err := comparePositions(b.committed, target); err == nil && c >= 0 {
			x.rep.CaughtUp = true
			return b.finish(true)
		}
	}
	if b.fileNum, err = fileNumber(b.committed.File); err != nil {
		return err
	}
	b.file = b.committed.File
	cfg := replication.BinlogSyncerConfig{
		ServerID:                x.job.Reader.ServerID,
		Flavor:                  x.srv.flavor,
		Host:                    x.src.Host,
		Port:                    uint16(x.src.Port),
		User:                    x.src.User,
		Password:                x.src.Password,
		TimestampStringLocation: time.UTC,
		DisableRetrySync:        true,
		Logger:                  slog.New(minLevel{x.log.Handler(), slog.LevelWarn}),
		FillZeroLogPos:          x.srv.flavor == FlavorMariaDB && versionAtLeast(x.srv.version, 11, 4),
		EventCacheCount:         256, // events decoded ahead (each holds its rows: ~10-30 KB)
	}
	syncer := replication.NewBinlogSyncer(cfg)
	defer syncer.Close()
	var streamer *replication.BinlogStreamer
	if useGTID {
		set, err := mysql.ParseGTIDSet(x.srv.flavor, b.committed.GTID)
		if err != nil {
			return fmt.Errorf("saved GTID set %q: %w", b.committed.GTID, err)
		}
		streamer, err = syncer.StartSyncGTID(set)
		if err != nil {
			return b.streamErr(err)
		}
	} else {
		streamer, err = syncer.StartSync(mysql.Position{Name: b.committed.File, Pos: b.committed.Pos})
		if err != nil {
			return b.streamErr(err)
		}
	}
	return b.loop(streamer)
}

// checkPurged fails with ErrBinlogPurged when the saved file is no longer on the server.
func (b *binlogRun) checkPurged() error {
	if b.job.Reader.Position == PositionGTID {
		return nil // the server says so when the dump starts
	}
	files, err := binaryLogs(b.db)
	if err != nil {
		return err
	}
	if slices.Contains(files, b.committed.File) {
		return nil
	}
	first := ""
	if len(files) > 0 {
		first = files[0]
	}
	return fmt.Errorf("%w: %s is not on the server any more (its oldest binlog is %s); set reader.onPurgedBinlog: resnapshot to take a new snapshot automatically",
		ErrBinlogPurged, b.committed, first)
}

func (b *binlogRun) streamErr(err error) error {
	if isPurgedError(err) {
		return fmt.Errorf("%w: resuming at %s: %v; set reader.onPurgedBinlog: resnapshot to take a new snapshot automatically", ErrBinlogPurged, b.committed, err)
	}
	return fmt.Errorf("binlog stream from %s: %w", b.committed, err)
}

func (b *binlogRun) loop(streamer *replication.BinlogStreamer) error {
	hardCtx := b.ctx
	cancel := context.CancelFunc(func() {})
	defer func() { cancel() }()
	newPoll := func() context.Context {
		cancel()
		var c context.Context
		c, cancel = context.WithTimeout(hardCtx, b.pollIdle)
		return c
	}
	poll := newPoll()
	gotEvent := false
	for {
		if !b.inTx && b.win == nil && b.incremental() != nil && b.now().Before(b.deadline) {
			if err := b.openWindow(); err != nil {
				return err
			}
		}
		ev, err := streamer.GetEvent(poll)
		if err != nil {
			if hardCtx.Err() != nil {
				return hardCtx.Err()
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				return b.streamErr(err)
			}
			poll = newPoll()
			if gotEvent {
				gotEvent = false
				continue
			}
			// Idle for a whole poll window: caught up with the server.
			if !b.inTx {
				b.rep.CaughtUp = true
				if err := b.closeWindow(); err != nil {
					return err
				}
				if err := b.heartbeat(b.now().UnixMilli()); err != nil {
					return err
				}
				if (b.untilCaughtUp && b.incremental() == nil) || !b.now().Before(b.deadline) {
					return b.finish(true)
				}
				if err := b.flush(); err != nil {
					return err
				}
			}
			continue
		}
		gotEvent = true
		stop, err := b.handle(ev)
		if err != nil {
			return err
		}
		if stop {
			return b.finish(false)
		}
	}
}

// handle processes one event; stop reports that the run should end (at a transaction boundary).
func (b *binlogRun) handle(ev *replication.BinlogEvent) (bool, error) {
	h := ev.Header
	switch e := ev.Event.(type) {
	case *replication.RotateEvent:
		next := string(e.NextLogName)
		n, err := fileNumber(next)
		if err != nil {
			return false, err
		}
		b.file, b.fileNum = next, n
		if h.Timestamp != 0 && !b.inTx {
			// A real rotation: the next file's start is a safe place to resume.
			b.committed.File, b.committed.Pos = next, uint32(e.Position)
			b.dirty = true
		}
		return false, nil
	case *replication.GTIDEvent, *replication.MariadbGTIDEvent:
		b.inTx = true
		b.txStart = len(b.recs)
		return false, nil
	case *replication.TableMapEvent:
		return false, b.tableMap(e)
	case *replication.RowsEvent:
		return false, b.rows(h, e)
	case *replication.XIDEvent:
		return b.commit(h, e.GSet)
	case *replication.QueryEvent:
		q := strings.TrimSpace(string(e.Query))
		switch strings.ToUpper(firstWord(q)) {
		case "BEGIN":
			if !b.inTx {
				b.inTx = true
				b.txStart = len(b.recs)
			}
			return false, nil
		case "COMMIT", "ROLLBACK":
			return b.commit(h, e.GSet)
		case "XA", "SAVEPOINT":
			if up := strings.ToUpper(q); strings.HasPrefix(up, "XA COMMIT") || strings.HasPrefix(up, "XA ROLLBACK") {
				return b.commit(h, e.GSet)
			}
			return false, nil
		}
		if err := b.ddl(h, e, q); err != nil {
			return false, err
		}
		return b.commit(h, e.GSet)
	}
	// Other events outside a transaction (format description, GTID lists, checkpoints) move
	// the resume position forward within the file.
	if !b.inTx && h.LogPos > b.committed.Pos && b.file == b.committed.File {
		b.committed.Pos = h.LogPos
		b.dirty = true
	}
	return false, nil
}

func firstWord(q string) string {
	for i := 0; i < len(q); i++ {
		if c := q[i]; c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ';' || c == '(' {
			return q[:i]
		}
	}
	return q
}

// commit ends a transaction at the event h: its records stay in the batch, the resume position
// moves past it, a heartbeat may be due, and the batch is flushed when full or the run is over.
func (b *binlogRun) commit(h *replication.EventHeader, gset mysql.GTIDSet) (bool, error) {
	b.inTx = false
	b.committed = Position{File: b.file, Pos: h.LogPos, GTID: b.committed.GTID}
	if gset != nil && b.job.Reader.Position == PositionGTID {
		b.committed.GTID = gset.String()
	}
	b.dirty = true
	b.txStart = len(b.recs)
	b.lastEvent = int64(h.Timestamp) * 1000
	if err := b.closeWindow(); err != nil {
		return false, err
	}
	if err := b.heartbeat(b.lastEvent); err != nil {
		return false, err
	}
	stop := !b.now().Before(b.deadline)
	if b.untilCaughtUp && b.incremental() == nil {
		if c, err := comparePositions(b.committed, b.target); err == nil && c >= 0 {
			b.rep.CaughtUp = true
			stop = true
		}
	}
	if stop || len(b.recs) >= b.job.BatchRecords || b.bytes >= b.job.BatchBytes {
		if err := b.flush(); err != nil {
			return false, err
		}
	}
	return stop, nil
}

// flush hands the batch to the producer and returns while Kafka writes it, so the next batch
// is read meanwhile; the batch before it, if any, must have been acknowledged first, and only
// then is its end saved as the resume position. One batch is in flight at a time, so a key's
// records still reach its partition in order.
func (b *binlogRun) flush() error {
	if err := b.settle(); err != nil {
		return err
	}
	if len(b.recs) == 0 {
		if !b.dirty || b.committed == b.saved {
			return nil
		}
		b.dirty = false
		return b.checkpoint(b.committed, sortedTables(b.tables), b.lastHeartbeat)
	}
	f := &inflight{done: make(chan struct{}), recs: b.recs, ends: b.committed, tables: sortedTables(b.tables), heartbeatMs: b.lastHeartbeat,
		incremental: cloneProgress(b.cp.Incremental)}
	go func() {
		defer close(f.done)
		f.err = b.prod.produce(b.ctx, f.recs)
	}()
	b.pending = f
	b.recs, b.spare = b.spare[:0], nil
	b.bytes, b.txStart, b.dirty = 0, 0, false
	return nil
}

// inflight is a batch Kafka is writing, with the checkpoint to save once it has.
type inflight struct {
	done        chan struct{}
	err         error
	recs        []record.Record
	ends        Position
	tables      []*Table
	heartbeatMs int64
	incremental []TableProgress // incremental snapshot progress as of ends
}

// settle waits for the batch in flight and saves its checkpoint.
func (b *binlogRun) settle() error {
	f := b.pending
	if f == nil {
		return nil
	}
	b.pending = nil
	<-f.done
	if f.err != nil {
		return f.err
	}
	b.rep.Records += int64(len(f.recs))
	b.rep.Batches++
	if b.hooks != nil && b.hooks.AfterProduce != nil {
		if err := b.hooks.AfterProduce(Batch{Phase: PhaseBinlog, Records: len(f.recs), Ends: f.ends}); err != nil {
			return err
		}
	}
	clear(f.recs)
	b.spare = f.recs[:0]
	return b.checkpointWith(f.ends, f.tables, f.heartbeatMs, f.incremental)
}

// abandon waits for a batch still in flight when the run fails, without saving it.
func (b *binlogRun) abandon() {
	if b.pending != nil {
		<-b.pending.done
		b.pending = nil
	}
}

func (b *binlogRun) checkpoint(pos Position, tables []*Table, heartbeatMs int64) error {
	return b.checkpointWith(pos, tables, heartbeatMs, cloneProgress(b.cp.Incremental))
}

// checkpointWith saves pos with the incremental snapshot progress of the records up to it; the
// progress of chunks written after pos (in the batch being read) is put back after the save.
func (b *binlogRun) checkpointWith(pos Position, tables []*Table, heartbeatMs int64, incremental []TableProgress) error {
	cur := b.cp.Incremental
	b.cp.Binlog, b.cp.HeartbeatMs, b.cp.Incremental = pos, heartbeatMs, incremental
	err := b.saveTables(tables)
	b.cp.Incremental = cur
	if err != nil {
		return err
	}
	b.saved = pos
	return nil
}

// finish writes what is left at the end of the run and waits until it is saved.
func (b *binlogRun) finish(caughtUp bool) error {
	if caughtUp {
		b.rep.CaughtUp = true
	}
	if b.inTx {
		// Stopped inside a transaction: its records are dropped; the next run reads it again.
		b.recs = b.recs[:b.txStart]
	}
	if err := b.flush(); err != nil {
		return err
	}
	return b.settle()
}

// heartbeat writes a heartbeat to every partition of every topic when progressMs is at least
// the heartbeat interval past the last one.
func (b *binlogRun) heartbeat(progressMs int64) error {
	w := b.job.Writer
	if !w.Heartbeat || progressMs-b.lastHeartbeat < w.HeartbeatInterval.Milliseconds() {
		return nil
	}
	now := b.now()
	b.seq = appendSequenceID(b.seq[:0], b.fileNum, b.committed.Pos, heartbeatRow, heartbeatPart)
	st := &stamp{seq: b.seq, eventMs: progressMs, systemMs: now.UnixMilli(), checkpoint: progressMs}
	msg := appendHeartbeatMessage(nil, b.srv.version, st)
	for _, topic := range b.topics() {
		for _, p := range b.parts[topic] {
			b.add(record.Record{Topic: topic, Partition: int32(p), Key: []byte{}, Value: msg, Timestamp: now})
			b.rep.Heartbeats++
		}
	}
	b.lastHeartbeat = progressMs
	b.dirty = true
	return nil
}

// topics lists the topics of the tracked tables, sorted.
func (b *binlogRun) topics() []string {
	var out []string
	for _, t := range b.tables {
		if !slices.Contains(out, t.Topic) {
			out = append(out, t.Topic)
		}
	}
	slices.Sort(out)
	return out
}

func (b *binlogRun) add(r record.Record) {
	b.recs = append(b.recs, r)
	b.bytes += len(r.Key) + len(r.Value)
}

// tableMap records how the columns of a table map event line up with a tracked table.
func (b *binlogRun) tableMap(e *replication.TableMapEvent) error {
	t := b.tables[string(e.Schema)+"."+string(e.Table)]
	if t == nil {
		b.maps[e.TableID] = &tableMapping{}
		return nil
	}
	m, err := b.mapping(t, e)
	if err != nil {
		// The tracked schema may be older than this event (a DDL not seen): read it again.
		if fresh, ok, lerr := loadTable(b.db, tableRef{DB: t.DB, Name: t.Name}); lerr == nil && ok {
			fresh.Key, fresh.Topic, fresh.settings = t.Key, t.Topic, t.settings
			if perr := fresh.prepare(b.srv.version); perr == nil {
				if m2, err2 := b.mapping(fresh, e); err2 == nil {
					b.tables[t.FullName()] = fresh
					b.maps[e.TableID] = m2
					return nil
				}
			}
		}
		return err
	}
	b.maps[e.TableID] = m
	return nil
}

func (b *binlogRun) mapping(t *Table, e *replication.TableMapEvent) (*tableMapping, error) {
	names := e.ColumnNameString()
	n := int(e.ColumnCount)
	m := &tableMapping{t: t}
	switch {
	case len(names) == n && n > 0:
		// binlog_row_metadata=FULL: columns by name.
		m.cols = make([]int, n)
		same := n == len(t.Columns)
		for i, name := range names {
			ci, ok := t.column(name)
			if !ok {
				return nil, fmt.Errorf("table %s: the binlog row has column %s, which the tracked schema lacks", t.FullName(), name)
			}
			m.cols[i] = ci
			same = same && ci == i
		}
		if same {
			m.cols = t.all
		}
	case n == len(t.Columns):
		m.cols = t.all
	default:
		return nil, fmt.Errorf("table %s: binlog rows have %d columns, the tracked schema %d (the table changed in a way this run did not see; set binlog_row_metadata=FULL so rows carry column names)",
			t.FullName(), n, len(t.Columns))
	}
	if sameInts(m.cols, t.all) {
		m.schema, m.keyPos, m.chunkPos = t.schema, t.keyIdx, t.chunkIdx
	} else {
		for _, k := range t.chunkIdx {
			if pos := slices.Index(m.cols, k); pos >= 0 {
				m.chunkPos = append(m.chunkPos, pos)
			}
		}
		if len(m.chunkPos) != len(t.chunkIdx) {
			m.chunkPos = nil
		}
		m.schema = appendSchemaCols(nil, t, m.cols, b.srv.version)
		for _, k := range t.keyIdx {
			pos := slices.Index(m.cols, k)
			if pos < 0 {
				return nil, fmt.Errorf("table %s: key column %s is not in the binlog row", t.FullName(), t.Columns[k].Name)
			}
			m.keyPos = append(m.keyPos, pos)
		}
	}
	m.vals = make([]value, len(m.cols))
	m.vals2 = make([]value, len(m.cols))
	return m, nil
}

func sameInts(a, b []int) bool { return slices.Equal(a, b) }

// rows turns a rows event into records.
func (b *binlogRun) rows(h *replication.EventHeader, e *replication.RowsEvent) error {
	m := b.maps[e.TableID]
	if m == nil || m.t == nil {
		return nil
	}
	t := m.t
	now := b.now()
	st := &stamp{eventMs: int64(h.Timestamp) * 1000, systemMs: now.UnixMilli()}
	st.checkpoint = st.eventMs
	rec := func(op string, row, part int, before, after []value) error {
		if row > maxRowInEvent {
			return fmt.Errorf("table %s: more than %d rows in one binlog event at %s:%d", t.FullName(), maxRowInEvent, b.file, h.LogPos)
		}
		b.seq = appendSequenceID(b.seq[:0], b.fileNum, h.LogPos, row, part)
		st.seq = b.seq
		r, err := b.rowRecord(t, m.schema, m.cols, m.keyPos, op, before, after, st, now)
		if err != nil {
			return b.dirtyRow(t, op, fmt.Sprintf("%s:%d", b.file, h.LogPos), err)
		}
		b.add(r)
		return nil
	}
	dirty := func(op string, err error) error {
		return b.dirtyRow(t, op, fmt.Sprintf("%s:%d", b.file, h.LogPos), err)
	}
	conv := func(dst []value, row []any) ([]value, error) {
		if len(row) != len(m.cols) {
			return nil, fmt.Errorf("table %s: binlog row of %d values, want %d", t.FullName(), len(row), len(m.cols))
		}
		for i, v := range row {
			cv, err := convertBinlog(&t.Columns[m.cols[i]], v, b.job.Location)
			if err != nil {
				return nil, fmt.Errorf("table %s at %s:%d: %w", t.FullName(), b.file, h.LogPos, err)
			}
			dst[i] = cv
		}
		return dst, nil
	}
	switch e.Type() {
	case replication.EnumRowsEventTypeInsert, replication.EnumRowsEventTypeDelete:
		op := OpInsert
		if e.Type() == replication.EnumRowsEventTypeDelete {
			op = OpDelete
		}
		for i, row := range e.Rows {
			vals, err := conv(m.vals, row)
			if err != nil {
				if err := dirty(op, err); err != nil {
					return err
				}
				continue
			}
			b.rep.Changes++
			b.changed(t, Position{File: b.file, Pos: h.LogPos}, m.chunkPos, vals)
			if op == OpInsert {
				err = rec(op, i, 0, nil, vals)
			} else {
				err = rec(op, i, 0, vals, nil)
			}
			if err != nil {
				return err
			}
		}
	case replication.EnumRowsEventTypeUpdate:
		if len(e.Rows)%2 != 0 {
			return fmt.Errorf("table %s at %s:%d: update event with an odd number of row images", t.FullName(), b.file, h.LogPos)
		}
		for k := 0; k < len(e.Rows); k += 2 {
			before, err := conv(m.vals, e.Rows[k])
			if err == nil {
				_, err = conv(m.vals2, e.Rows[k+1])
			}
			if err != nil {
				if err := dirty(OpUpdateAfter, err); err != nil {
					return err
				}
				continue
			}
			after := m.vals2
			b.rep.Changes++
			b.changed(t, Position{File: b.file, Pos: h.LogPos}, m.chunkPos, before, after)
			row := k / 2
			if b.job.Writer.UpdateAs == UpdateOne && sameKey(before, after, m.keyPos) {
				if err := rec(OpUpdateAfter, row, 0, before, after); err != nil {
					return err
				}
				continue
			}
			// Two records; also in "one" mode when the key changed, so each key's partition
			// sees its own change.
			if err := rec(OpUpdateBefore, row, 0, before, nil); err != nil {
				return err
			}
			if err := rec(OpUpdateAfter, row, 1, nil, after); err != nil {
				return err
			}
		}
	}
	if b.bytes >= 4*b.job.BatchBytes && b.inTx {
		// A huge transaction: write what it has so far without moving the checkpoint; a crash
		// repeats it from its start (with the same sequence ids).
		if err := b.settle(); err != nil {
			return err
		}
		if err := b.flushRecords(b.recs, Batch{Phase: PhaseBinlog, Ends: b.saved}); err != nil {
			return err
		}
		clear(b.recs)
		b.recs, b.bytes, b.txStart = b.recs[:0], 0, 0
	}
	return nil
}

func sameKey(a, b []value, keyPos []int) bool {
	var ka, kb [64]byte
	return string(appendKey(ka[:0], a, keyPos)) == string(appendKey(kb[:0], b, keyPos))
}

// ddl handles a statement that is not a transaction boundary: for the tracked tables it names,
// the schema is read again and a DDL record goes to the table's topic (every partition).
func (b *binlogRun) ddl(h *replication.EventHeader, e *replication.QueryEvent, q string) error {
	stmt := parseDDL(q)
	if stmt.Op == "" || stmt.Temporary {
		return nil
	}
	defaultDB := string(e.Schema)
	full := func(r tableRef) tableRef {
		if r.DB == "" {
			r.DB = defaultDB
		}
		return r
	}
	now := b.now()
	st := &stamp{eventMs: int64(h.Timestamp) * 1000, systemMs: now.UnixMilli()}
	st.checkpoint = st.eventMs
	emit := func(t *Table, part int) {
		if !b.job.Writer.DDL {
			return
		}
		b.seq = appendSequenceID(b.seq[:0], b.fileNum, h.LogPos, 0, part)
		st.seq = b.seq
		msg := appendDDLMessage(nil, t, stmt.Op, q, st)
		for _, p := range b.parts[t.Topic] {
			b.add(record.Record{Topic: t.Topic, Partition: int32(p), Key: []byte{}, Value: msg, Timestamp: now})
		}
		b.rep.DDL++
	}
	for i, ref := range stmt.Tables {
		ref = full(ref)
		name := ref.DB + "." + ref.Name
		old := b.tables[name]
		if old != nil {
			b.abandonWindow(old) // its chunk was read with the schema before the statement
		}
		switch {
		case stmt.Op == OpErase:
			if old != nil {
				emit(old, 0)
				delete(b.tables, name)
				b.forget(old)
			}
		case stmt.Op == OpRename || len(stmt.To) > i:
			to := full(stmt.To[i])
			if old != nil {
				// the record carries the old name and schema; the new name is tracked below
				emit(old, 0)
				delete(b.tables, name)
				b.forget(old)
			}
			if b.job.Selects(to.DB, to.Name) {
				if err := b.reload(to); err != nil {
					return err
				}
			}
		case old != nil:
			if err := b.reload(ref); err != nil {
				return err
			}
			if t := b.tables[name]; t != nil {
				emit(t, 0)
			}
		case stmt.Op == OpCreate && b.job.Selects(ref.DB, ref.Name):
			if err := b.reload(ref); err != nil {
				return err
			}
			if t := b.tables[name]; t != nil {
				emit(t, 0)
			}
		}
	}
	return nil
}

// reload reads a table's schema again and tracks it under the job's rules.
func (b *binlogRun) reload(ref tableRef) error {
	name := ref.DB + "." + ref.Name
	t, ok, err := loadTable(b.db, ref)
	if err != nil {
		return err
	}
	if !ok {
		b.log.Warn("table named by a DDL statement is gone (the binlog is behind the server)", "table", name)
		return nil
	}
	if old := b.tables[name]; old != nil {
		b.forget(old)
		delete(b.tables, name)
	}
	if err := plan(b.job, t); err != nil {
		// A table without a key the job allows: refused, the rest of the job goes on.
		b.log.Error("table refused after a DDL statement: its changes are not written", "table", name, "err", err.Error())
		b.rep.Refused = append(b.rep.Refused, name)
		return nil
	}
	if err := b.track(t); err != nil {
		return fmt.Errorf("after a DDL statement: %w", err)
	}
	return nil
}

// forget drops the table mappings of t (a new table map event will come).
func (b *binlogRun) forget(t *Table) {
	for id, m := range b.maps {
		if m.t == t {
			delete(b.maps, id)
		}
	}
}

// minLevel drops log records below a level (go-mysql logs every connection at Info).
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (m minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= m.min && m.Handler.Enabled(ctx, l)
}

func (m minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{m.Handler.WithAttrs(as), m.min}
}

func (m minLevel) WithGroup(name string) slog.Handler {
	return minLevel{m.Handler.WithGroup(name), m.min}
}

// versionAtLeast reports whether a server version string ("10.11.19-MariaDB-...") is at least
// major.minor.
func versionAtLeast(version string, major, minor int) bool {
	var ma, mi int
	if _, err := fmt.Sscanf(version, "%d.%d", &ma, &mi); err != nil {
		return false
	}
	return ma > major || (ma == major && mi >= minor)
}
