package cdc

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/fcsync/fcsync/shared/record"
)

// snapshot reads the tracked tables in primary-key chunks, writing every row as an INSERT
// full-data record (sequenceId and event times -1) and saving each chunk's last key once Kafka
// has acknowledged the chunk. When every table is done the job moves to the binlog phase at the
// position taken before the snapshot began.
func (x *run) snapshot() error {
	for i := range x.cp.Snapshot {
		tp := &x.cp.Snapshot[i]
		if tp.Done {
			continue
		}
		t := x.tables[tp.Table]
		if t == nil {
			tp.Done = true // the table is no longer tracked
			continue
		}
		t, err := x.snapshotSchema(t)
		if err != nil {
			return fmt.Errorf("snapshot of %s: %w", tp.Table, err)
		}
		if t == nil {
			x.log.Warn("table dropped during the snapshot", "table", tp.Table)
			tp.Done = true
			continue
		}
		if len(t.chunkIdx) == 0 {
			err = x.snapshotOnePass(t, tp)
		} else {
			err = x.snapshotChunks(t, tp)
		}
		if err != nil {
			return fmt.Errorf("snapshot of %s: %w", t.FullName(), err)
		}
		if !tp.Done {
			return nil // the budget is spent
		}
	}
	x.cp.Phase = PhaseBinlog
	x.cp.Binlog = x.cp.Start
	for _, tp := range x.cp.Snapshot {
		x.cp.SnapshotRows += tp.Rows
	}
	x.cp.Snapshot = nil
	x.log.Info("snapshot done", "rows", x.cp.SnapshotRows, "binlog_from", x.cp.Start.String())
	return x.save()
}

// snapshotSchema returns the table as it is now, for reading it, or nil when it is gone: the
// tracked schema stays the one of the binlog start position (the binlog phase decodes events
// from there), but a table altered while the snapshot runs is read with its current columns.
func (x *run) snapshotSchema(t *Table) (*Table, error) {
	cur, ok, err := loadTable(x.db, tableRef{DB: t.DB, Name: t.Name})
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, nil
	}
	if sameColumns(cur.Columns, t.Columns) {
		return t, nil
	}
	if !slices.Equal(cur.ChunkKey(), t.ChunkKey()) {
		return nil, fmt.Errorf("its key changed from %v to %v while the snapshot ran: delete the job's state to start over", t.ChunkKey(), cur.ChunkKey())
	}
	cur.Key, cur.Topic, cur.settings = t.Key, t.Topic, t.settings
	if err := cur.prepare(x.srv.version); err != nil {
		return nil, err
	}
	x.log.Info("table changed during the snapshot: reading its current columns", "table", t.FullName())
	return cur, nil
}

func columnList(t *Table) string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = quoteIdent(c.Name)
	}
	return strings.Join(names, ", ")
}

// chunkQueries returns the first-chunk query and the query for the chunk after a key:
// (k1 > ?) OR (k1 = ? AND k2 > ?) OR ..., ordered by the key.
func chunkQueries(t *Table, n int) (first, next string) {
	key := t.ChunkKey()
	quoted := make([]string, len(key))
	for i, k := range key {
		quoted[i] = quoteIdent(k)
	}
	order := " ORDER BY " + strings.Join(quoted, ", ") + fmt.Sprintf(" LIMIT %d", n)
	base := "SELECT " + columnList(t) + " FROM " + quoteTable(t)
	var ors []string
	for i := range quoted {
		var ands []string
		for j := 0; j < i; j++ {
			ands = append(ands, quoted[j]+" = ?")
		}
		ands = append(ands, quoted[i]+" > ?")
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	return base + order, base + " WHERE " + strings.Join(ors, " OR ") + order
}

// chunkArgs expands the saved key into the arguments of chunkQueries' next query.
func chunkArgs(after []KeyValue) ([]any, error) {
	vals := make([]any, len(after))
	for i, k := range after {
		v, err := k.arg()
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	var args []any
	for i := range vals {
		args = append(args, vals[:i+1]...)
	}
	return args, nil
}

func (x *run) snapshotChunks(t *Table, tp *TableProgress) error {
	n := x.job.Reader.ChunkRows
	first, next := chunkQueries(t, n)
	for {
		if !x.now().Before(x.deadline) {
			return nil
		}
		var res *mysql.Result
		var err error
		if tp.After == nil {
			res, err = x.db.Execute(first)
		} else {
			args, aerr := chunkArgs(tp.After)
			if aerr != nil {
				return aerr
			}
			res, err = x.db.Execute(next, args...)
		}
		if err != nil {
			return fmt.Errorf("read chunk after %v: %w", tp.After, err)
		}
		rows := res.Values
		recs, err := x.snapshotRecords(t, rows, nil)
		if err != nil {
			return err
		}
		if err := x.flushRecords(recs, Batch{Phase: PhaseSnapshot, Table: t.FullName()}); err != nil {
			return err
		}
		if len(rows) > 0 {
			last := rows[len(rows)-1]
			after := make([]KeyValue, len(t.chunkIdx))
			for i, ci := range t.chunkIdx {
				after[i] = keyValueOf(&last[ci])
			}
			tp.After = after
		}
		tp.Rows += int64(len(rows))
		x.rep.SnapshotRows += int64(len(rows))
		tp.Done = len(rows) < n
		res.Close()
		if err := x.save(); err != nil {
			return err
		}
		if tp.Done {
			return nil
		}
	}
}

// snapshotOnePass reads a table that has no primary or usable unique key in one streaming
// query. It cannot resume inside the table: an interrupted pass starts over (its records are
// written again), and it ignores the budget.
func (x *run) snapshotOnePass(t *Table, tp *TableProgress) error {
	x.log.Warn("table has no primary or unique NOT NULL key: its snapshot is one pass that starts over if interrupted", "table", t.FullName())
	var res mysql.Result
	var pending []record.Record
	size := 0
	var rows int64
	err := x.db.ExecuteSelectStreaming("SELECT "+columnList(t)+" FROM "+quoteTable(t), &res, func(row []mysql.FieldValue) error {
		recs, err := x.snapshotRecords(t, [][]mysql.FieldValue{row}, pending)
		if err != nil {
			return err
		}
		pending = recs
		size += len(pending[len(pending)-1].Value)
		rows++
		if len(pending) >= x.job.BatchRecords || size >= x.job.BatchBytes {
			if err := x.flushRecords(pending, Batch{Phase: PhaseSnapshot, Table: t.FullName()}); err != nil {
				return err
			}
			pending, size = pending[:0], 0
		}
		return nil
	}, nil)
	if err != nil {
		return err
	}
	if err := x.flushRecords(pending, Batch{Phase: PhaseSnapshot, Table: t.FullName()}); err != nil {
		return err
	}
	tp.Rows, tp.Done = rows, true
	x.rep.SnapshotRows += rows
	return x.save()
}

// snapshotRecords appends the full-data records of rows to dst.
func (x *run) snapshotRecords(t *Table, rows [][]mysql.FieldValue, dst []record.Record) ([]record.Record, error) {
	now := x.now()
	st := &stamp{eventMs: -1, systemMs: now.UnixMilli(), checkpoint: -1}
	cols := t.all
	vals := make([]value, len(t.Columns))
rows:
	for _, row := range rows {
		if len(row) != len(t.Columns) {
			return nil, fmt.Errorf("the query returned %d columns, the table has %d (changed meanwhile?)", len(row), len(t.Columns))
		}
		for i := range row {
			v, err := convertField(&t.Columns[i], &row[i], x.job.Location)
			if err != nil {
				if err := x.dirtyRow(t, OpInsert, "snapshot", err); err != nil {
					return nil, err
				}
				continue rows
			}
			vals[i] = v
		}
		rec, err := x.rowRecord(t, t.schema, cols, t.keyIdx, OpInsert, nil, vals, st, now)
		if err != nil {
			if err := x.dirtyRow(t, OpInsert, "snapshot", err); err != nil {
				return nil, err
			}
			continue
		}
		dst = append(dst, rec)
	}
	return dst, nil
}

// rowRecord builds the record of a row change; key comes from the image that exists (after,
// else before) at positions keyPos of the value slices.
func (x *run) rowRecord(t *Table, schema []byte, cols, keyPos []int, op string, before, after []value, st *stamp, now time.Time) (record.Record, error) {
	img := after
	if img == nil {
		img = before
	}
	key := []byte{}
	if len(keyPos) > 0 {
		key = appendKey(make([]byte, 0, 16), img, keyPos)
	}
	val, err := appendRowMessage(make([]byte, 0, 256+len(schema)), schema, t, cols, op, before, after, st, x.job.Location)
	if err != nil {
		return record.Record{}, err
	}
	return record.Record{Topic: t.Topic, Partition: x.partition(t.Topic, key), Key: key, Value: val, Timestamp: now}, nil
}
