package cdc

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/fcsync/fcsync/shared/record"
)

// Adding and removing tables. A job whose reader.tables or reader.exclude changed since its
// state was made goes on with the new selection: tables no longer selected are forgotten (their
// changes are not written any more), and added tables are snapshotted while the binlog goes
// on, with the watermark method of DBLog ("DBLog: A Watermark Based Change-Data-Capture
// Framework", Netflix, 2020) and Debezium's incremental snapshots, using binlog positions as
// the watermarks (the job's user may not write to the source):
//
//  1. read the binlog end L (SHOW MASTER STATUS), SELECT the next chunk of the table by its
//     primary (or unique NOT NULL) key, read the binlog end H;
//  2. keep streaming; every row change of the table at a position after L removes its key
//     (before and after images) from the chunk — the stream writes that row's newer state;
//  3. when the stream has reached H, write the chunk rows that are left, as full-data records
//     (sequenceId -1, as DataWorks' batch nodes write an added table), and save the chunk's last
//     key with the batch.
//
// A row not changed after L has, at H, the value the SELECT read (its snapshot lies between L
// and H); any other row's state comes from the stream. So a consumer applying the records in
// order ends with the table's state: nothing is lost and no chunk row overwrites a newer change.
// Tables already tracked are not read again. A table without a primary or unique NOT NULL key
// cannot be chunked: it is refused (Report.Refused) and the rest of the job goes on.

// tablesChangedOnly reports whether two selection fingerprints differ only in the tables they
// select (and in reader.keys of tables that are not in tracked).
func tablesChangedOnly(old, cur string, tracked map[string]*Table) bool {
	var a, b map[string]any
	if json.Unmarshal([]byte(old), &a) != nil || json.Unmarshal([]byte(cur), &b) != nil {
		return false
	}
	ka, _ := a["K"].(map[string]any)
	kb, _ := b["K"].(map[string]any)
	for name := range tracked {
		if !reflect.DeepEqual(ka[name], kb[name]) {
			return false
		}
	}
	for _, k := range []string{"T", "E", "K"} {
		delete(a, k)
		delete(b, k)
	}
	return reflect.DeepEqual(a, b)
}

// reselect applies a changed table selection to the loaded checkpoint and saves it.
func (x *run) reselect() error {
	refs, err := listTables(x.db, x.job)
	if err != nil {
		return err
	}
	selected := map[string]bool{}
	for _, r := range refs {
		selected[r.DB+"."+r.Name] = true
	}
	var removed, added []string
	for name := range x.tables {
		if !selected[name] {
			delete(x.tables, name)
			removed = append(removed, name)
		}
	}
	keep := func(tps []TableProgress) []TableProgress {
		return slices.DeleteFunc(tps, func(tp TableProgress) bool { return !selected[tp.Table] })
	}
	x.cp.Snapshot, x.cp.Incremental = keep(x.cp.Snapshot), keep(x.cp.Incremental)
	for _, ref := range refs {
		name := ref.DB + "." + ref.Name
		if x.tables[name] != nil {
			continue
		}
		t, ok, err := loadTable(x.db, ref)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if err := plan(x.job, t); err != nil {
			return err
		}
		snap := x.job.Reader.Snapshot
		if snap && x.cp.Phase == PhaseBinlog && len(t.ChunkKey()) == 0 {
			x.log.Error("added table refused: it has no primary or unique NOT NULL key to snapshot it in chunks while the binlog goes on", "table", name)
			x.rep.Refused = append(x.rep.Refused, name)
			continue
		}
		if err := x.track(t); err != nil {
			return err
		}
		added = append(added, name)
		switch {
		case !snap:
		case x.cp.Phase == PhaseSnapshot:
			// The binlog phase will start at the snapshot's start position, which covers it.
			x.cp.Snapshot = append(x.cp.Snapshot, TableProgress{Table: name})
		default:
			x.cp.Incremental = append(x.cp.Incremental, TableProgress{Table: name})
		}
	}
	if missing := keysForMissingTables(x.job, sortedTables(x.tables)); len(missing) > 0 {
		return fmt.Errorf("reader.keys names tables the job does not read: %v", missing)
	}
	slices.Sort(removed)
	x.cp.Selection = x.job.selection()
	x.log.Info("job selects other tables: removed tables are forgotten, added ones snapshotted while the binlog goes on",
		"added", added, "removed", removed, "phase", x.cp.Phase)
	return x.save()
}

// window is an incremental snapshot chunk waiting for the stream to reach its high watermark.
type window struct {
	t         *Table
	low, high Position
	recs      []record.Record
	keys      []string       // chunk key text of each record
	live      map[string]int // key → index in recs, for keys not changed since low
	after     []KeyValue     // the chunk's last key
	rows      int
	last      bool // the table's last chunk
}

// incremental returns the progress of the table being snapshotted while the binlog goes on.
func (b *binlogRun) incremental() *TableProgress {
	for i := range b.cp.Incremental {
		if !b.cp.Incremental[i].Done {
			return &b.cp.Incremental[i]
		}
	}
	return nil
}

// openWindow reads the next chunk of the table being added, between two binlog positions.
func (b *binlogRun) openWindow() error {
	tp := b.incremental()
	if tp == nil {
		return nil
	}
	t := b.tables[tp.Table]
	if t == nil || len(t.chunkIdx) == 0 {
		tp.Done = true // dropped, or renamed away, meanwhile
		return nil
	}
	low, err := masterStatus(b.db, b.srv.flavor, false)
	if err != nil {
		return err
	}
	n := b.job.Reader.ChunkRows
	first, next := chunkQueries(t, n)
	var res *mysql.Result
	if tp.After == nil {
		res, err = b.db.Execute(first)
	} else {
		args, aerr := chunkArgs(tp.After)
		if aerr != nil {
			return aerr
		}
		res, err = b.db.Execute(next, args...)
	}
	if err != nil {
		return fmt.Errorf("incremental snapshot of %s: read chunk after %v: %w", t.FullName(), tp.After, err)
	}
	defer res.Close()
	if b.hooks != nil && b.hooks.AfterChunkSelect != nil {
		if err := b.hooks.AfterChunkSelect(t.FullName()); err != nil {
			return err
		}
	}
	high, err := masterStatus(b.db, b.srv.flavor, false)
	if err != nil {
		return err
	}
	w := &window{t: t, low: low, high: high, live: map[string]int{}, rows: len(res.Values), last: len(res.Values) < n, after: tp.After}
	vals := make([]value, len(t.Columns))
	now := b.now()
	st := &stamp{eventMs: -1, systemMs: now.UnixMilli(), checkpoint: -1}
rows:
	for _, row := range res.Values {
		if len(row) != len(t.Columns) {
			return fmt.Errorf("incremental snapshot of %s: the query returned %d columns, the table has %d", t.FullName(), len(row), len(t.Columns))
		}
		w.after = make([]KeyValue, len(t.chunkIdx))
		for i, ci := range t.chunkIdx {
			w.after[i] = keyValueOf(&row[ci])
		}
		for i := range row {
			v, err := convertField(&t.Columns[i], &row[i], b.job.Location)
			if err != nil {
				if err := b.dirtyRow(t, OpInsert, "incremental snapshot", err); err != nil {
					return err
				}
				continue rows
			}
			vals[i] = v
		}
		key := string(appendKey(nil, vals, t.chunkIdx))
		rec, err := b.rowRecord(t, t.schema, t.all, t.keyIdx, OpInsert, nil, vals, st, now)
		if err != nil {
			if err := b.dirtyRow(t, OpInsert, "incremental snapshot", err); err != nil {
				return err
			}
			continue
		}
		w.live[key] = len(w.recs)
		w.recs = append(w.recs, rec)
		w.keys = append(w.keys, key)
	}
	b.win = w
	return b.closeWindow()
}

// changed drops from the open window the chunk rows a change at pos (of table t) touched.
func (b *binlogRun) changed(t *Table, pos Position, chunkPos []int, images ...[]value) {
	w := b.win
	if w == nil || w.t.FullName() != t.FullName() || len(chunkPos) == 0 {
		return
	}
	if c, err := comparePositions(pos, w.low); err != nil || c <= 0 {
		return
	}
	for _, img := range images {
		if img != nil {
			delete(w.live, string(appendKey(nil, img, chunkPos)))
		}
	}
}

// closeWindow writes the chunk rows left once the stream has reached the high watermark (at a
// transaction boundary), and moves the table's progress past the chunk.
func (b *binlogRun) closeWindow() error {
	w := b.win
	if w == nil || b.inTx {
		return nil
	}
	if c, err := comparePositions(b.committed, w.high); err != nil || c < 0 {
		return err
	}
	b.win = nil
	tp := b.incremental()
	if tp == nil || tp.Table != w.t.FullName() {
		return nil
	}
	written := 0
	for i, r := range w.recs {
		if j, ok := w.live[w.keys[i]]; ok && j == i {
			b.add(r)
			written++
		}
	}
	b.txStart = len(b.recs)
	tp.After, tp.Rows, tp.Done = w.after, tp.Rows+int64(written), w.last
	b.rep.IncrementalRows += int64(written)
	b.dirty = true
	b.log.Debug("incremental snapshot chunk", "table", tp.Table, "read", w.rows, "written", written, "low", w.low.String(), "high", w.high.String())
	if tp.Done {
		b.log.Info("incremental snapshot of an added table done", "table", tp.Table, "rows", tp.Rows)
		if b.incremental() == nil {
			b.cp.Incremental = nil
		}
	}
	return nil
}

// abandonWindow drops an open window (its table changed): the chunk is read again.
func (b *binlogRun) abandonWindow(t *Table) {
	if b.win != nil && b.win.t.FullName() == t.FullName() {
		b.win = nil
	}
}

func cloneProgress(tps []TableProgress) []TableProgress {
	if tps == nil {
		return nil
	}
	return slices.Clone(tps)
}
