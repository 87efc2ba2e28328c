package maxcompute

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"

	"github.com/aliyun/aliyun-odps-go-sdk/odps/data"
	"github.com/aliyun/aliyun-odps-go-sdk/odps/tunnel"

	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/sink"
	"github.com/fcsync/fcsync/shared/state"
)

// maxBlockID is the largest block id of an upload session.
const maxBlockID = 19999

// ErrInDoubt is wrapped by the error of a session that finds a pending commit record whose
// upload session the service no longer knows, so long after it was recorded that the service
// may have forgotten a committed session too: whether those rows are in the partition cannot
// be told. Check the partition and delete the record (its state key is in the error) to write
// the segment again, or mark it committed to skip it.
var ErrInDoubt = errors.New("cannot tell whether an earlier upload of this segment was committed")

// Outcome is what a session did to one partition.
type Outcome string

// The outcomes.
const (
	OutcomeCommitted Outcome = "committed" // the session's rows are in the partition
	// OutcomeAlreadyCommitted: the segment had committed this partition before (an Append
	// rerun): the session's rows for it were discarded.
	OutcomeAlreadyCommitted Outcome = "already committed"
	OutcomeEmpty            Outcome = "empty"   // no row, nothing to commit (Append)
	OutcomeOpen             Outcome = "open"    // not committed (yet)
	OutcomeAborted          Outcome = "aborted" // discarded by Abort
)

// PartitionReport is what a session did to one partition.
type PartitionReport struct {
	Partition string // "ds=20221122,hh=10"; "" for a non-partitioned table
	Overwrite bool
	Rows      int64  // rows the session took for the partition
	Blocks    int    // blocks uploaded
	Upload    string // upload session id
	Outcome   Outcome
	// RolledForward is the upload id of an earlier run of the segment that was left pending
	// (the writer stopped between its commit record and the commit) and that this session
	// committed on its behalf.
	RolledForward string
}

// Report is what a session did.
type Report struct {
	Rows       int64 // rows taken by Write
	Uploaded   int64 // rows uploaded in blocks
	Discarded  int64 // rows of partitions the segment had already committed
	Partitions []PartitionReport
}

// Session writes rows of one table through tunnel upload sessions, one per partition. See the
// package doc for the commit protocol. It is safe for concurrent use.
type Session struct {
	mu       sync.Mutex
	s        *Sink
	spec     sink.SessionSpec
	table    *tableInfo
	cols     []column // how each spec column is written
	owned    schema.Partition
	hasOwned bool
	parts    map[string]*part
	alias    map[string]string // raw partition encoding -> key
	keybuf   []byte
	buffered int64 // bytes of rows buffered in the parts (not in flight)
	rows     int64
	done     bool
	log      *slog.Logger
	flight   *flight // the block being uploaded, if any
	spare    []any   // the value buffer of the last uploaded block, for reuse
	failed   error   // a block upload failed: the session cannot commit
}

// flight is one block upload running in its own goroutine while the session takes the next
// rows. Only the goroutine writes err; the session reads it after done is closed.
type flight struct {
	pt    *part
	id    int
	vals  []any // rows of the session's columns, one after another
	rows  int
	bytes int64
	done  chan struct{}
	err   error
}

var _ sink.Session = (*Session)(nil)

// part is one partition of a session.
type part struct {
	p         schema.Partition
	key       string // p.String()
	overwrite bool
	led       *ledger // nil for the Overwrite partition
	skip      bool    // the segment committed this partition before: discard rows
	finished  bool
	up        *tunnel.UploadSession
	pos       []int       // spec column i -> index in the upload session's schema
	scratch   data.Record // one record in the upload session's column order
	vals      []any       // buffered rows, checked, one after another (n * len(cols) values)
	n         int         // rows buffered in vals
	bytes     int64
	blocks    []int // uploaded blocks
	nextBlock int
	uploaded  int64
	taken     int64
	discarded int64
	claimed   bool // our pending record is written
	posted    bool // the commit may have reached the service
	outcome   Outcome
	rolled    string
}

func (s *Sink) begin(ctx context.Context, spec sink.SessionSpec) (*Session, error) {
	if err := spec.Table.Validate(); err != nil {
		return nil, fmt.Errorf("maxcompute begin: %w", err)
	}
	name := spec.Table.Name
	if spec.Segment == "" {
		return nil, fmt.Errorf("maxcompute begin: table %s: segment id is empty", name)
	}
	if spec.Mode != sink.Append && spec.Mode != sink.Overwrite {
		return nil, fmt.Errorf("maxcompute begin: table %s: unknown mode %d", name, spec.Mode)
	}
	t, err := s.prepareTable(ctx, spec.Table)
	if err != nil {
		return nil, fmt.Errorf("maxcompute begin: %w", err)
	}
	cols := make([]column, len(spec.Table.Columns))
	for i, c := range spec.Table.Columns {
		cols[i] = t.cols[t.index(c.Name)].column
	}
	var owned schema.Partition
	if len(spec.Owned) > 0 || spec.Mode == sink.Overwrite {
		if owned, err = t.checkPartition(spec.Owned); err != nil {
			return nil, fmt.Errorf("maxcompute begin: owned partition: %w", err)
		}
	}
	sess := &Session{
		s: s, spec: spec, table: t, cols: cols, owned: owned,
		hasOwned: len(owned) > 0 || len(t.parts) == 0,
		parts:    map[string]*part{}, alias: map[string]string{},
		log: s.opt.log.With("table", t.name, "segment", spec.Segment),
	}
	if sess.hasOwned {
		// Learn now whether an Append rerun has anything to do in its own partition.
		if _, err := sess.part(ctx, owned); err != nil {
			return nil, fmt.Errorf("maxcompute begin: %w", err)
		}
	}
	return sess, nil
}

// Write adds one row (spec column order) to partition p (the empty Partition for a
// non-partitioned table). Rows are buffered per partition and uploaded as a block every
// WithBlockBytes / WithBlockRows, or sooner when the session's buffers pass WithBufferBytes.
func (s *Session) Write(ctx context.Context, p schema.Partition, row schema.Row) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return fmt.Errorf("maxcompute write: table %s: session already finished", s.table.name)
	}
	if s.rows&1023 == 0 {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("maxcompute write: table %s: %w", s.table.name, err)
		}
	}
	if len(row) != len(s.cols) {
		return fmt.Errorf("maxcompute write: table %s: row has %d values, the session writes %d columns", s.table.name, len(row), len(s.cols))
	}
	pt, err := s.part(ctx, p)
	if err != nil {
		return fmt.Errorf("maxcompute write: %w", err)
	}
	if pt.finished {
		return fmt.Errorf("maxcompute write: table %s partition %s: already committed by this session", s.table.name, displayPartition(pt.p))
	}
	s.rows++
	pt.taken++
	if pt.skip {
		pt.discarded++
		return nil
	}
	at := len(pt.vals)
	var size int64
	for i, v := range row {
		cv, n, err := s.cols[i].check(v)
		if err != nil {
			clear(pt.vals[at:])
			pt.vals = pt.vals[:at]
			s.rows--
			pt.taken--
			return fmt.Errorf("maxcompute write: table %s partition %s column %s: %w", s.table.name, displayPartition(pt.p), s.cols[i].name, err)
		}
		pt.vals = append(pt.vals, cv)
		size += n
	}
	pt.n++
	pt.bytes += size
	s.buffered += size
	if pt.n >= s.s.opt.blockRows || pt.bytes >= s.s.opt.blockBytes {
		if err := s.flush(ctx, pt); err != nil {
			return fmt.Errorf("maxcompute write: %w", err)
		}
	}
	for s.buffered >= s.s.opt.bufferBytes {
		var big *part
		for _, o := range s.parts {
			if o.n > 0 && (big == nil || o.bytes > big.bytes) {
				big = o
			}
		}
		if big == nil {
			break
		}
		if err := s.flush(ctx, big); err != nil {
			return fmt.Errorf("maxcompute write: %w", err)
		}
	}
	return nil
}

// part returns the partition's state, checking p and, for an Append partition touched for
// the first time, reading the segment's commit record.
func (s *Session) part(ctx context.Context, p schema.Partition) (*part, error) {
	raw := p.AppendKey(s.keybuf[:0])
	s.keybuf = raw
	if key, ok := s.alias[string(raw)]; ok {
		return s.parts[key], nil
	}
	cp, err := s.table.checkPartition(p)
	if err != nil {
		return nil, err
	}
	key := cp.String()
	pt := s.parts[key]
	if pt == nil {
		pt = &part{p: cp, key: key, outcome: OutcomeOpen}
		pt.overwrite = s.spec.Mode == sink.Overwrite && s.hasOwned && key == s.owned.String()
		if !pt.overwrite {
			pt.led = s.s.ledger(s.table.name, key, s.spec.Segment)
			if err := s.checkRecord(ctx, pt); err != nil {
				return nil, err
			}
		}
		s.parts[key] = pt
	}
	s.alias[string(raw)] = key
	return pt, nil
}

// checkRecord reads the segment's commit record of an Append partition: committed means the
// session discards its rows; pending is settled now (see settle).
func (s *Session) checkRecord(ctx context.Context, pt *part) error {
	for range 5 {
		rec, ok, err := pt.led.load(ctx)
		if err != nil {
			return fmt.Errorf("table %s partition %s: commit record: %w", s.table.name, displayPartition(pt.p), err)
		}
		if !ok || rec.Status == statusAborted {
			return nil
		}
		if rec.Status == statusCommitted {
			s.skip(pt)
			return nil
		}
		committed, err := s.settle(ctx, pt, rec)
		if err != nil {
			return err
		}
		if committed {
			s.skip(pt)
			return nil
		}
	}
	return fmt.Errorf("table %s partition %s: the commit record keeps changing", s.table.name, displayPartition(pt.p))
}

func (s *Session) skip(pt *part) {
	pt.skip, pt.outcome = true, OutcomeAlreadyCommitted
	s.log.Info("maxcompute: segment already committed this partition; its rows are discarded (an Append rerun of a committed window is a no-op)", "partition", pt.key)
}

// settle decides a pending record left by another upload of the segment: a crashed run, or
// one still running (see Sink.settle). It reports whether the partition now holds the
// segment's rows.
func (s *Session) settle(ctx context.Context, pt *part, rec record) (bool, error) {
	committed, rolled, err := s.s.settle(ctx, s.log, s.table.name, pt.p, pt.led, rec)
	if rolled {
		pt.rolled = rec.Upload
	}
	return committed, err
}

// settle decides a pending record of a segment's partition. The upload session answers:
// CLOSED means it committed; still NORMAL means its writer stopped (or is about to commit)
// after recording every block, so it is committed on the writer's behalf ("rolled
// forward": a second commit of one upload session is refused by the service, so it never
// lands twice); expired, canceled or unknown means it never committed and never will, and
// the record is marked aborted. It reports whether the partition now holds the segment's
// rows, and whether it rolled the upload forward.
func (s *Sink) settle(ctx context.Context, log *slog.Logger, table string, p schema.Partition, led *ledger, rec record) (committed, rolled bool, err error) {
	key := p.String()
	where := fmt.Sprintf("table %s partition %s: pending upload %s of segment %q", table, displayPartition(p), rec.Upload, rec.Segment)
	u, err := s.attachUpload(ctx, table, key, rec.Upload)
	gone := false
	switch {
	case err != nil && errorCode(err) == "NoSuchUpload":
		gone = true
	case err != nil:
		return false, false, fmt.Errorf("%s: %w", where, err)
	case u.Status() == tunnel.UploadStatusClosed:
	case u.Status() == tunnel.UploadStatusNormal || u.Status() == tunnel.UploadStatusCommitting || u.Status() == tunnel.UploadStatusClosing:
		if err := s.commitUpload(ctx, u, rec.Blocks); err != nil {
			if !errors.Is(err, errNotCommittable) {
				return false, false, fmt.Errorf("%s: rolling it forward: %w", where, err)
			}
			gone = true
		} else {
			rolled = true
			log.Info("maxcompute: rolled forward a pending upload of an earlier run", "partition", key, "upload", rec.Upload, "rows", rec.Rows)
		}
	default:
		gone = true
	}
	if gone {
		if age := s.opt.now().Sub(rec.Since); age > s.opt.inDoubtAfter {
			return false, false, fmt.Errorf("%s (recorded %s ago; state %s): %w", where, age.Round(1e9), led.log.Scope(), ErrInDoubt)
		}
		if err := led.finish(ctx, rec.Upload, statusAborted, s.opt.now()); err != nil && !errors.Is(err, errChanged) {
			return false, false, fmt.Errorf("%s: %w", where, err)
		}
		return false, false, nil
	}
	if err := led.finish(ctx, rec.Upload, statusCommitted, s.opt.now()); err != nil && !errors.Is(err, errChanged) {
		return false, rolled, fmt.Errorf("%s: %w", where, err)
	}
	return true, rolled, nil
}

// flush hands a partition's buffered rows to a goroutine that uploads them as the
// partition's next block, so the session converts the next rows meanwhile. One block is in
// flight at a time: flush first waits for the previous one. Memory is therefore bounded by
// WithBufferBytes plus one block.
func (s *Session) flush(ctx context.Context, pt *part) error {
	if pt.n == 0 {
		return s.wait()
	}
	if err := s.wait(); err != nil {
		return err
	}
	if err := s.open(ctx, pt); err != nil {
		return err
	}
	if pt.nextBlock > maxBlockID {
		return fmt.Errorf("table %s partition %s: more than %d blocks in one upload session; raise WithBlockBytes", s.table.name, displayPartition(pt.p), maxBlockID+1)
	}
	f := &flight{pt: pt, id: pt.nextBlock, vals: pt.vals, rows: pt.n, bytes: pt.bytes, done: make(chan struct{})}
	pt.nextBlock++
	pt.vals, s.spare = s.spare[:0], nil
	s.buffered -= pt.bytes
	pt.n, pt.bytes = 0, 0
	s.flight = f
	go func() {
		defer close(f.done)
		f.err = s.s.retry(ctx, "upload block", func() error { return f.pt.writeBlock(f.id, s.cols, f.vals) })
	}()
	return nil
}

// wait waits for the block in flight and books it; a failed upload fails the session.
func (s *Session) wait() error {
	if s.failed != nil {
		return s.failed
	}
	f := s.flight
	if f == nil {
		return nil
	}
	<-f.done
	s.flight = nil
	pt := f.pt
	if f.err != nil {
		s.failed = fmt.Errorf("table %s partition %s: upload session %s block %d: %w", s.table.name, displayPartition(pt.p), pt.up.Id, f.id, f.err)
		return s.failed
	}
	pt.blocks = append(pt.blocks, f.id)
	pt.uploaded += int64(f.rows)
	clear(f.vals) // drop the values; the buffer is reused
	s.spare = f.vals
	return nil
}

// open creates the partition's upload session (once).
func (s *Session) open(ctx context.Context, pt *part) error {
	if pt.up != nil {
		return nil
	}
	u, err := s.s.createUpload(ctx, s.table.name, pt.key, pt.overwrite)
	if err != nil && errorCode(err) == "NoSuchPartition" && len(pt.p) > 0 {
		// A tunnel that does not honour create_partition: add the partition, then retry.
		if err = s.s.AddPartitions(ctx, s.table.name, pt.p); err == nil {
			u, err = s.s.createUpload(ctx, s.table.name, pt.key, pt.overwrite)
		}
	}
	if err != nil {
		return fmt.Errorf("table %s partition %s: create upload session: %w", s.table.name, displayPartition(pt.p), err)
	}
	cols := u.Schema().Columns
	pos := make([]int, len(s.cols))
	for i, c := range s.cols {
		pos[i] = -1
		for j, sc := range cols {
			if strings.EqualFold(sc.Name, c.name) {
				pos[i] = j
				break
			}
		}
		if pos[i] < 0 {
			return fmt.Errorf("table %s: upload session %s has no column %s", s.table.name, u.Id, c.name)
		}
	}
	pt.up, pt.pos, pt.scratch = u, pos, make(data.Record, len(cols))
	return nil
}

// writeBlock streams records into block id; writing the same id again replaces the block.
// It runs in the upload goroutine; the session has one upload in flight, so scratch is never
// shared.
func (pt *part) writeBlock(id int, cols []column, vals []any) error {
	w, err := pt.up.OpenRecordWriter(id)
	if err != nil {
		return err
	}
	for at := 0; at < len(vals); at += len(cols) {
		for i := range cols {
			pt.scratch[pt.pos[i]] = cols[i].toData(vals[at+i])
		}
		if err := w.Write(pt.scratch); err != nil {
			// Close collects the HTTP answer (and frees the SDK's goroutine); its error says
			// why the stream broke.
			if cerr := w.Close(); cerr != nil {
				return cerr
			}
			return err
		}
	}
	return w.Close()
}

// Commit uploads what is buffered and commits every partition the session wrote (and, in
// Overwrite mode, the owned partition even if it got no row). Each partition commits
// atomically on its own. A Commit that failed at a commit step may be called again
// (partitions already committed are not committed twice); after a failed block upload the
// session can only be aborted.
func (s *Session) Commit(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return fmt.Errorf("maxcompute commit: table %s: session already finished", s.table.name)
	}
	keys := make([]string, 0, len(s.parts))
	for k := range s.parts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if pt := s.parts[k]; !pt.finished && !pt.skip {
			if err := s.flush(ctx, pt); err != nil {
				return fmt.Errorf("maxcompute commit: %w", err)
			}
		}
	}
	if err := s.wait(); err != nil {
		return fmt.Errorf("maxcompute commit: %w", err)
	}
	// Partitions commit independently: a few at a time (each costs a few requests to the
	// service and to the state store).
	var todo []*part
	for _, k := range keys {
		if pt := s.parts[k]; !pt.finished && !pt.skip {
			todo = append(todo, pt)
		}
	}
	errs := make([]error, len(todo))
	sem := make(chan struct{}, s.s.opt.commitConcurrency)
	var wg sync.WaitGroup
	for i, pt := range todo {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = s.commitPart(ctx, pt)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	s.done = true
	s.spare = nil
	return nil
}

// commitPart commits one partition; it touches only pt's state.
func (s *Session) commitPart(ctx context.Context, pt *part) error {
	var err error
	switch {
	case pt.overwrite:
		err = s.commitOverwrite(ctx, pt)
	case len(pt.blocks) == 0:
		pt.outcome = OutcomeEmpty
	default:
		err = s.commitAppend(ctx, pt)
	}
	if err != nil {
		return fmt.Errorf("maxcompute commit: table %s segment %q partition %s: %w", s.table.name, s.spec.Segment, displayPartition(pt.p), err)
	}
	pt.finished = true
	pt.vals, pt.scratch = nil, nil
	return nil
}

// commitOverwrite commits the owned partition's overwrite session: it replaces the
// partition, so a rerun writes the same contents again (idempotent by construction).
func (s *Session) commitOverwrite(ctx context.Context, pt *part) error {
	if err := s.open(ctx, pt); err != nil {
		return err
	}
	s.warnLateRows(ctx, pt)
	pt.posted = true
	if err := s.s.commitUpload(ctx, pt.up, pt.blocks); err != nil {
		return fmt.Errorf("upload session %s: %w", pt.up.Id, err)
	}
	pt.outcome = OutcomeCommitted
	s.log.Info("maxcompute: partition overwritten", "partition", pt.key, "rows", pt.uploaded, "blocks", len(pt.blocks), "upload", pt.up.Id)
	return nil
}

// commitAppend commits an Append partition once per segment: record pending, commit, record
// committed (see the package doc).
func (s *Session) commitAppend(ctx context.Context, pt *part) error {
	ours := record{
		Segment: s.spec.Segment, Partition: pt.key, Upload: pt.up.Id, Blocks: pt.blocks,
		Rows: pt.uploaded, Status: statusPending, Since: s.s.opt.now().UTC(),
	}
	for range 5 {
		res, other, err := pt.led.claim(ctx, ours)
		if err != nil {
			return fmt.Errorf("commit record: %w", err)
		}
		switch res {
		case alreadyCommitted:
			pt.discarded += pt.uploaded
			s.skip(pt)
			return nil
		case otherPending:
			committed, err := s.settle(ctx, pt, other)
			if err != nil {
				return err
			}
			if committed {
				pt.discarded += pt.uploaded
				s.skip(pt)
				return nil
			}
			continue // marked aborted: claim again
		}
		pt.claimed, pt.posted = true, true
		if err := s.s.commitUpload(ctx, pt.up, pt.blocks); err != nil {
			return fmt.Errorf("upload session %s: %w", pt.up.Id, err)
		}
		if err := pt.led.finish(ctx, ours.Upload, statusCommitted, s.s.opt.now().UTC()); err != nil {
			return fmt.Errorf("upload session %s is committed, its commit record is not: %w", pt.up.Id, err)
		}
		pt.outcome = OutcomeCommitted
		s.log.Info("maxcompute: partition committed", "partition", pt.key, "rows", pt.uploaded, "blocks", len(pt.blocks), "upload", pt.up.Id)
		return nil
	}
	return errors.New("the commit record keeps changing")
}

// warnLateRows logs the other segments whose Append rows in the partition an overwrite is
// about to replace (late records of later windows): MaxCompute's overwrite replaces the whole
// partition, unlike the local warehouse, which keeps them.
func (s *Session) warnLateRows(ctx context.Context, pt *part) {
	prefix := state.Prefix + s.s.partitionScope(s.table.name, pt.key) + "/"
	own := escapeKey(s.spec.Segment)
	keys, _, err := s.s.store.List(ctx, prefix, "", 1000)
	if err != nil {
		s.log.Warn("maxcompute: listing commit records before an overwrite", "partition", pt.key, "err", err)
		return
	}
	seen := map[string]bool{}
	var late []string
	for _, k := range keys {
		seg, _, ok := strings.Cut(strings.TrimPrefix(k, prefix), "/")
		if !ok || seg == own || seen[seg] {
			continue
		}
		seen[seg] = true
		l := &ledger{log: state.New(s.s.store, strings.TrimPrefix(prefix, state.Prefix)+seg)}
		if rec, ok, err := l.load(ctx); err == nil && ok && rec.Status == statusCommitted {
			late = append(late, rec.Segment)
		}
	}
	if len(late) > 0 {
		s.log.Warn("maxcompute: overwriting a partition that holds rows other windows appended (late records); they are replaced", "partition", pt.key, "segments", late)
	}
}

// Abort discards what the session buffered and uploaded; upload sessions it opened are never
// committed and expire on the service. A commit record it wrote is marked aborted unless the
// commit may have reached the service. Abort is a no-op after Commit.
func (s *Session) Abort(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return nil
	}
	s.done = true
	if f := s.flight; f != nil {
		<-f.done // the upload goroutine uses the part's buffers until it ends
		s.flight = nil
	}
	var errs []error
	for _, pt := range s.parts {
		if !pt.finished && pt.outcome == OutcomeOpen {
			pt.outcome = OutcomeAborted
		}
		if pt.claimed && !pt.posted {
			if err := pt.led.finish(ctx, pt.up.Id, statusAborted, s.s.opt.now().UTC()); err != nil && !errors.Is(err, errChanged) {
				errs = append(errs, err)
			}
		}
		pt.vals, pt.scratch = nil, nil
	}
	s.buffered, s.spare = 0, nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("maxcompute abort: table %s: %w", s.table.name, err)
	}
	return nil
}

// Report says what the session did so far, partitions in order.
func (s *Session) Report() Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := Report{Rows: s.rows}
	keys := make([]string, 0, len(s.parts))
	for k := range s.parts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		pt := s.parts[k]
		pr := PartitionReport{Partition: pt.key, Overwrite: pt.overwrite, Rows: pt.taken, Blocks: len(pt.blocks), Outcome: pt.outcome, RolledForward: pt.rolled}
		if pt.up != nil {
			pr.Upload = pt.up.Id
		}
		r.Uploaded += pt.uploaded
		r.Discarded += pt.discarded
		r.Partitions = append(r.Partitions, pr)
	}
	return r
}
