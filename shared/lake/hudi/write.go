package hudi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/state"
)

// ErrCheckpointConflict is wrapped by Write's error when another commit moved some of the
// batch's checkpoint keys past the batch's start but not past its end (it overlaps the batch).
// Nothing was written: read Checkpoints again, drop what is committed and write the rest.
var ErrCheckpointConflict = errors.New("a concurrent commit overlaps the batch's checkpoints")

// Batch is one Write: rows and the source checkpoints they bring the table to.
type Batch struct {
	// Columns name the values of Rows; they are matched to the table's columns by name (case
	// insensitive). Columns the table does not have are appended to it (schema evolution); table
	// columns missing here are NULL. INT, SMALLINT and TINYINT widen to BIGINT and FLOAT to
	// DOUBLE; other type changes are errors.
	Columns []schema.Column
	// Rows hold Go values as the schema package describes; a short row has trailing NULLs.
	Rows []schema.Row
	// Checkpoints are the source positions after this batch, e.g. "orders/3" -> the offset
	// after the batch's last record. The commit advances the table's checkpoints to them. A
	// batch whose keys are all already at or past these values is skipped (Result.Skipped).
	Checkpoints map[string]int64
	// From optionally holds the checkpoints the batch starts at (what Checkpoints returned when
	// the batch was read). If a concurrent commit moved a key past From but not past
	// Checkpoints, Write refuses the batch with ErrCheckpointConflict instead of writing rows
	// twice.
	From map[string]int64
}

// Result describes a Write.
type Result struct {
	Instant  string // the commit's instant ("" if nothing was committed)
	Inserted int    // new records
	Updated  int    // records that replaced a stored one
	Files    int    // base files written
	Skipped  bool   // the batch's checkpoints were already committed: nothing was written
	Attempts int    // times the files were written (more than 1 after losing races)
	Cleaned  int    // old base files the clean after the commit deleted (WithAutoClean)
	Archived int    // commits the archiving after the commit archived (WithAutoArchive)
}

// rec is one record of a batch, after de-duplication.
type rec struct {
	row int32  // index into the batch's rows
	key string // record key ("" for insert-only tables)
}

// prepared is a validated batch.
type prepared struct {
	b        *Batch
	lay      *layout // over the batch's columns
	recs     []rec
	parts    []string           // distinct partitions, sorted
	byPart   map[string][]int32 // indices into recs
	rowBytes int64              // average estimated row size
	upsert   bool
	ordered  bool // upsert and the record keys strictly increase in recs
}

func (p *prepared) value(row int32, i int) any {
	r := p.b.Rows[row]
	if i < 0 || i >= len(r) {
		return nil
	}
	return r[i]
}

// keyRange is the smallest and the largest record key of recs (which are not empty and in
// the order of p.recs).
func (p *prepared) keyRange(recs []int32) (lo, hi string) {
	if p.ordered {
		return p.recs[recs[0]].key, p.recs[recs[len(recs)-1]].key
	}
	for i, ri := range recs {
		k := p.recs[ri].key
		if i == 0 || k < lo {
			lo = k
		}
		if i == 0 || k > hi {
			hi = k
		}
	}
	return lo, hi
}

func (p *prepared) precombine(r rec) any {
	if p.lay.preIdx < 0 {
		return nil
	}
	return p.value(r.row, p.lay.preIdx)
}

// Write commits a batch: upserts by record key (or inserts, for a table without one) and
// advances the checkpoints, atomically and exactly once (see the package doc). On a lost race
// with a concurrent writer it rewrites its files on top of the new state and tries again. A
// batch with checkpoints but no rows commits the checkpoints alone.
func (t *Table) Write(ctx context.Context, b Batch) (Result, error) {
	where := "hudi " + t.root + ": write"
	if t.cfg == nil {
		return Result{}, fmt.Errorf("%s: %w", where, errReadOnly)
	}
	if err := validCheckpoints(&b); err != nil {
		return Result{}, fmt.Errorf("%s: %w", where, err)
	}
	p, err := t.prepare(&b)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", where, err)
	}
	if len(b.Rows) == 0 && len(b.Checkpoints) == 0 {
		return Result{}, nil
	}
	noFill := false
	for attempt := 1; ; attempt++ {
		h, err := t.head(ctx)
		if err != nil {
			return Result{}, fmt.Errorf("%s: %w", where, err)
		}
		if err := t.publish(ctx, h); err != nil {
			return Result{}, fmt.Errorf("%s: %w", where, err)
		}
		if skip, err := checkpointStatus(h.state.Checkpoints, &b); skip || err != nil {
			return Result{Skipped: skip}, wrapIf(where, err)
		}
		if attempt > t.o.maxAttempts {
			return Result{}, fmt.Errorf("%s: gave up after %d attempts lost to concurrent commits", where, t.o.maxAttempts)
		}
		a, err := t.plan(ctx, p, h, attempt, noFill)
		if err != nil {
			if t.sliceCleaned(ctx, err, h) {
				t.o.logger.Info("hudi: a base file was cleaned while planning, replanning", "table", t.root, "attempt", attempt, "err", err)
				if err := backoff(ctx, attempt); err != nil {
					return Result{}, fmt.Errorf("%s: %w", where, err)
				}
				continue
			}
			return Result{}, fmt.Errorf("%s: %w", where, err)
		}
		res, out, err := t.run(ctx, p, a)
		res.Attempts = attempt
		if out == outFailed && t.sliceCleaned(ctx, err, a.base) {
			out, a.reason = outRedo, err.Error()
		}
		switch out {
		case outCommitted:
			if a.committed != nil && t.o.autoClean {
				cr, err := t.clean(ctx, a.committed, false)
				res.Cleaned = cr.Deleted
				if err != nil {
					t.o.logger.Warn("hudi: clean after commit", "table", t.root, "instant", a.instant, "err", err)
				}
			}
			if a.committed != nil && t.o.autoArchive {
				ar, err := t.archive(ctx, a.committed)
				res.Archived = len(ar.Commits)
				if err != nil {
					t.o.logger.Warn("hudi: archive after commit", "table", t.root, "instant", a.instant, "err", err)
				}
			}
			return res, nil
		case outSkipped:
			t.cleanup(ctx, a)
			return Result{Skipped: true, Attempts: attempt}, nil
		case outRedo:
			t.cleanup(ctx, a)
			noFill = noFill || a.fgConflict
			t.o.logger.Info("hudi: commit lost a race, rewriting", "table", t.root, "instant", a.instant, "attempt", attempt, "reason", a.reason)
			if err := backoff(ctx, attempt); err != nil {
				return Result{}, fmt.Errorf("%s: %w", where, err)
			}
		default: // outFailed
			if !errors.Is(err, state.ErrOutcomeUnknown) {
				t.cleanup(ctx, a)
			}
			return Result{}, fmt.Errorf("%s: instant %s: %w", where, a.instant, err)
		}
	}
}

func wrapIf(where string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", where, err)
}

func backoff(ctx context.Context, attempt int) error {
	d := time.Duration(rand.N(int64(min(attempt, 10))*int64(20*time.Millisecond) + 1))
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

func validCheckpoints(b *Batch) error {
	for k, v := range b.Checkpoints {
		switch {
		case k == "" || len(k) > 256 || !utf8.ValidString(k) || strings.ContainsFunc(k, func(r rune) bool { return r < 0x20 || r == 0x7f }):
			return fmt.Errorf("checkpoint key %q: want 1-256 bytes of printable UTF-8", truncate(k, 40))
		case v < 0:
			return fmt.Errorf("checkpoint %s: negative position %d", k, v)
		}
	}
	for k, v := range b.From {
		end, ok := b.Checkpoints[k]
		switch {
		case !ok:
			return fmt.Errorf("from-checkpoint %q has no checkpoint", truncate(k, 40))
		case v < 0 || v > end:
			return fmt.Errorf("from-checkpoint %s: %d is not between 0 and the checkpoint %d", k, v, end)
		}
	}
	return nil
}

// checkpointStatus compares a batch with the committed checkpoints: skip when every key is
// already at or past the batch's end, an ErrCheckpointConflict when the batch overlaps what is
// committed.
func checkpointStatus(committed map[string]int64, b *Batch) (skip bool, err error) {
	if len(b.Checkpoints) == 0 {
		return false, nil
	}
	var done, open []string
	for k, end := range b.Checkpoints {
		c, ok := committed[k]
		if ok && c >= end {
			done = append(done, k)
			continue
		}
		open = append(open, k)
		if from, has := b.From[k]; has && ok && c > from {
			return false, fmt.Errorf("%w: %s is committed up to %d, the batch covers %d-%d", ErrCheckpointConflict, k, c, from, end)
		}
	}
	switch {
	case len(open) == 0:
		return true, nil
	case len(done) > 0:
		slices.Sort(done)
		return false, fmt.Errorf("%w: %s already committed past the batch, %d other keys not", ErrCheckpointConflict, done[0], len(open))
	}
	return false, nil
}

// prepare validates the batch and computes each row's key and partition, keeping one record per
// key and partition (the precombine field decides; a tie goes to the later row).
func (t *Table) prepare(b *Batch) (*prepared, error) {
	seen := map[string]bool{}
	for i, c := range b.Columns {
		if err := schema.ValidateName(c.Name); err != nil {
			return nil, fmt.Errorf("column %d: %w", i, err)
		}
		if _, err := schema.ParseType(string(c.Type)); err != nil || strings.ToUpper(string(c.Type)) != string(c.Type) {
			return nil, fmt.Errorf("column %s: unknown type %q", c.Name, c.Type)
		}
		if strings.HasPrefix(strings.ToLower(c.Name), metaPrefix) {
			return nil, fmt.Errorf("column %s: names starting with %s are Hudi's meta columns", c.Name, metaPrefix)
		}
		k := strings.ToLower(c.Name)
		if seen[k] {
			return nil, fmt.Errorf("column %s appears twice", c.Name)
		}
		seen[k] = true
	}
	p := &prepared{b: b, upsert: len(t.cfg.RecordKey) > 0, byPart: map[string][]int32{}}
	if len(b.Rows) == 0 {
		return p, nil
	}
	p.recs = make([]rec, 0, len(b.Rows))
	// The layout is computed over the batch's columns, matched to the table's names.
	batchCfg := *t.cfg
	batchCfg.Columns = b.Columns
	lay, err := newLayout(&batchCfg, canonicalNames(b.Columns, t.cfg))
	if err != nil {
		return nil, err
	}
	p.lay = lay
	// While the record keys strictly increase (as a topic's ascending order ids do), a key
	// is above every key before it and cannot be a duplicate: the index of keys is built only
	// when they stop increasing.
	ordered := p.upsert
	var index map[string]int
	dedupKey := func(part, key string) string {
		if part != "" {
			return part + "\x00" + key
		}
		return key
	}
	// partRecs[i] are the indices into recs of partition p.parts[i]; a batch's rows mostly
	// repeat the partition of the row before.
	var partRecs [][]int32
	partIndex := map[string]int{}
	lastPart, pi := "", -1
	var total int64
	for ri, row := range b.Rows {
		if len(row) > len(b.Columns) {
			return nil, fmt.Errorf("row %d has %d values for %d columns", ri, len(row), len(b.Columns))
		}
		for ci, v := range row {
			if err := checkValue(b.Columns[ci].Type, v); err != nil {
				return nil, fmt.Errorf("row %d column %s: %w", ri, b.Columns[ci].Name, err)
			}
			total += int64(valueSize(v))
		}
		at := func(i int) any { return p.value(int32(ri), i) }
		part, err := lay.partitionPath(at)
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", ri, err)
		}
		if pi < 0 || part != lastPart {
			k, ok := partIndex[part]
			if !ok {
				k = len(p.parts)
				p.parts = append(p.parts, part)
				partRecs = append(partRecs, nil)
				partIndex[part] = k
			}
			lastPart, pi = part, k
		}
		r := rec{row: int32(ri)}
		if p.upsert {
			if r.key, err = lay.recordKey(at); err != nil {
				return nil, fmt.Errorf("row %d: %w", ri, err)
			}
			if !ordered || (len(p.recs) > 0 && r.key <= p.recs[len(p.recs)-1].key) {
				if ordered {
					ordered = false
					index = make(map[string]int, len(b.Rows))
					for k, recs := range partRecs {
						for _, j := range recs {
							index[dedupKey(p.parts[k], p.recs[j].key)] = int(j)
						}
					}
				}
				dk := dedupKey(part, r.key)
				if j, dup := index[dk]; dup {
					if lay.preIdx < 0 || compareValues(b.Columns[lay.preIdx].Type, p.precombine(r), p.precombine(p.recs[j])) >= 0 {
						p.recs[j] = r
					}
					continue
				}
				index[dk] = len(p.recs)
			}
		}
		partRecs[pi] = append(partRecs[pi], int32(len(p.recs)))
		p.recs = append(p.recs, r)
	}
	for k, part := range p.parts {
		p.byPart[part] = partRecs[k]
	}
	p.ordered = ordered
	slices.Sort(p.parts)
	p.rowBytes = max(1, total/int64(len(b.Rows))) + 64
	return p, nil
}

// canonicalNames returns the batch columns with the table's spelling of the key, partition and
// precombine field names, so a batch may spell them in another case.
func canonicalNames(cols []schema.Column, cfg *Config) []schema.Column {
	out := slices.Clone(cols)
	names := slices.Concat(cfg.RecordKey, cfg.Partitioning.Fields, []string{cfg.Partitioning.TimeField, cfg.Precombine})
	for i, c := range out {
		for _, n := range names {
			if n != "" && strings.EqualFold(c.Name, n) {
				out[i].Name = n
			}
		}
	}
	return out
}

// mergeColumns evolves the table's columns with a batch's: new columns are appended, widening
// type changes are applied. It returns the columns and, per column, the batch column index
// holding its values (-1: NULL).
func mergeColumns(table, batch []schema.Column) ([]schema.Column, []int, error) {
	cols := slices.Clone(table)
	from := make([]int, len(cols), len(cols)+len(batch))
	for i := range from {
		from[i] = -1
	}
	for bi, bc := range batch {
		ti := slices.IndexFunc(cols, func(c schema.Column) bool { return strings.EqualFold(c.Name, bc.Name) })
		if ti < 0 {
			cols = append(cols, bc)
			from = append(from, bi)
			continue
		}
		merged, ok := widen(cols[ti].Type, bc.Type)
		if !ok {
			return nil, nil, fmt.Errorf("column %s is %s in the table and %s in the batch", cols[ti].Name, cols[ti].Type, bc.Type)
		}
		cols[ti].Type = merged
		from[ti] = bi
	}
	return cols, from, nil
}

// widen returns the type a column of type have becomes when written with values of type got.
func widen(have, got schema.Type) (schema.Type, bool) {
	family := func(t schema.Type) string {
		switch t {
		case schema.BigInt, schema.Int, schema.SmallInt, schema.TinyInt:
			return "int"
		case schema.Double, schema.Float:
			return "float"
		case schema.String, schema.Varchar, schema.Char, schema.JSON, schema.Decimal:
			return "string"
		case schema.Datetime, schema.Timestamp:
			return "timestamp"
		}
		return string(t)
	}
	switch {
	case have == got:
		return have, true
	case family(have) != family(got):
		return have, false
	case have == schema.Int || have == schema.SmallInt || have == schema.TinyInt:
		if got == schema.BigInt {
			return schema.BigInt, true
		}
		return have, true
	case have == schema.Float && got == schema.Double:
		return schema.Double, true
	}
	return have, true
}

// attempt is one try at committing a prepared batch under one instant.
type attempt struct {
	number  int
	instant string
	base    *logHead
	cols    []schema.Column // evolved table columns
	from    []int           // batch column per table column
	files   []*plannedFile

	fgConflict bool     // the attempt lost on a file group another commit rewrote
	reason     string   // why it was redone
	committed  *logHead // the log head after the commit, once published
}

// plannedFile is one base file to write: a new file group, or a new version of an existing one.
type plannedFile struct {
	partition string
	fileID    string
	token     string
	prev      *fileSlice       // the version being replaced; nil for a new file group
	prevSize  int64            // its size in bytes
	prevData  []byte           // its bytes, if routing read them
	prevRows  int              // and rows
	prevKeys  []string         // its record keys in file order (from routing; read-only)
	updates   map[string]int32 // record key -> rec, for keys stored in prev
	inserts   []int32          // recs new to the table
	stat      writeStat
	keys      *fileKeys // of the file written, with upserts
	rowSize   int64     // for a new file group: bytes per row of the partition's base files (0: unknown)
}

func (f *plannedFile) name(instant string) baseFileName {
	return baseFileName{fileID: f.fileID, token: f.token, instant: instant}
}

// plan reserves an instant and routes every record to a file group.
func (t *Table) plan(ctx context.Context, p *prepared, h *logHead, number int, noFill bool) (*attempt, error) {
	cols, from, err := mergeColumns(h.state.Columns, p.b.Columns)
	if err != nil {
		return nil, err
	}
	a := &attempt{number: number, base: h, cols: cols, from: from}
	if a.instant, err = t.reserveInstant(ctx, h.state.Instant); err != nil {
		return nil, err
	}
	for _, part := range p.parts {
		if err := t.route(ctx, p, a, part, noFill); err != nil {
			t.cleanup(ctx, a)
			return nil, err
		}
	}
	for i, f := range a.files {
		f.token = fmt.Sprintf("%d-%d-0", i, number)
	}
	return a, nil
}

// reserveInstant picks an instant above floor and every instant this Table used, and claims it
// by creating its .commit.requested (create-if-absent: two writers never share an instant).
// Cleans claim instants with .clean.requested: after creating its file each side lists the
// instant's files and gives the instant up if the other side has it too, so at least one of two
// racing claims sees the other and a commit never shares its instant with a clean.
func (t *Table) reserveInstant(ctx context.Context, floor string) (string, error) {
	t.mu.Lock()
	cand := formatInstant(t.o.clock())
	for _, low := range []string{floor, t.lastInstant} {
		if low != "" && cand <= low {
			cand = nextInstant(low)
		}
	}
	t.mu.Unlock()
	for range 1000 {
		err := t.store.CreateIfAbsent(ctx, t.instantKey(cand, suffixRequested), nil)
		if err == nil {
			t.mu.Lock()
			t.lastInstant = max(t.lastInstant, cand)
			t.mu.Unlock()
			clean, err := t.instantHasClean(ctx, cand)
			if err != nil {
				return "", fmt.Errorf("reserve instant %s: %w", cand, err)
			}
			if !clean {
				return cand, nil
			}
			if err := t.store.Delete(ctx, t.instantKey(cand, suffixRequested)); err != nil {
				return "", fmt.Errorf("give up instant %s: %w", cand, err)
			}
		} else if !errors.Is(err, objstore.ErrExists) {
			return "", fmt.Errorf("reserve instant %s: %w", cand, err)
		}
		cand = nextInstant(cand)
	}
	return "", errors.New("reserve instant: every candidate was taken")
}

// nextInstant is the instant one millisecond after s (s may have fewer than 17 digits).
func nextInstant(s string) string {
	for len(s) < instantLen {
		s += "0"
	}
	t, err := parseInstant(s)
	if err != nil {
		return s + "1" // not a time: any larger string
	}
	return formatInstant(t.Add(time.Millisecond))
}

// route assigns the records of one partition: keys stored in a file group update it; new keys
// top up small file groups, then fill new ones.
func (t *Table) route(ctx context.Context, p *prepared, a *attempt, part string, noFill bool) error {
	recs := p.byPart[part]
	var slices_ []fileSlice
	var keys []*fileKeys
	var raw [][]byte
	if p.upsert || (t.o.smallFile > 0 && !noFill) {
		var err error
		if slices_, err = t.partitionSlices(ctx, part, a.base.state.Instant); err != nil {
			return err
		}
		keys = make([]*fileKeys, len(slices_))
		raw = make([][]byte, len(slices_))
		for i, s := range slices_ {
			if keys[i], raw[i], err = t.keysAndData(ctx, s.path()); err != nil {
				return err
			}
		}
	}
	// Keep the bytes just read of file groups this batch rewrites (within a budget), so that
	// writing their new version does not read them again.
	defer func() {
		budget := min(t.o.maxFile, stashBudget)
		for _, f := range a.files {
			if f.partition != part || f.prev == nil {
				continue
			}
			i := slices.IndexFunc(slices_, func(s fileSlice) bool { return s.name == f.prev.name })
			if i >= 0 && raw[i] != nil && int64(len(raw[i])) <= budget {
				f.prevData = raw[i]
				budget -= int64(len(raw[i]))
			}
		}
	}()
	byFG := map[string]*plannedFile{}
	fileFor := func(i int) *plannedFile {
		s := slices_[i]
		f := byFG[s.name.fileID]
		if f == nil {
			f = &plannedFile{partition: part, fileID: s.name.fileID, prev: &slices_[i], updates: map[string]int32{},
				prevSize: keys[i].size, prevRows: len(keys[i].keys), prevKeys: keys[i].keys}
			byFG[s.name.fileID] = f
			a.files = append(a.files, f)
		}
		return f
	}
	inserts := recs
	var overlap []int // the file groups whose keys overlap the batch's range
	if p.upsert && len(slices_) > 0 {
		lo, hi := p.keyRange(recs)
		for i, fk := range keys {
			if !fk.outside(lo, hi) {
				overlap = append(overlap, i)
			}
		}
	}
	if len(overlap) > 0 {
		want := make(map[string]int32, len(recs))
		for _, ri := range recs {
			want[p.recs[ri].key] = ri
		}
		for _, i := range overlap {
			fk := keys[i]
			for _, k := range fk.keys {
				if ri, ok := want[k]; ok {
					fileFor(i).updates[k] = ri
					delete(want, k)
				}
			}
		}
		inserts = inserts[:0:0]
		for _, ri := range recs {
			if _, ok := want[p.recs[ri].key]; ok {
				inserts = append(inserts, ri)
			}
		}
	}
	// Top up small file groups, starting at one chosen by the writer id so that concurrent
	// writers of one partition tend to pick different ones.
	if t.o.smallFile > 0 && !noFill && len(inserts) > 0 {
		var small []int
		for i, fk := range keys {
			if fk.size < t.o.smallFile && len(fk.keys) > 0 {
				small = append(small, i)
			}
		}
		if len(small) > 0 {
			h := fnv.New32a()
			h.Write([]byte(t.o.writerID))
			start := int(h.Sum32() % uint32(len(small)))
			small = append(small[start:], small[:start]...)
		}
		for _, i := range small {
			if len(inserts) == 0 {
				break
			}
			fk := keys[i]
			per := max(1, fk.size/int64(len(fk.keys)))
			room := int((t.o.maxFile - fk.size) / per)
			if room <= 0 {
				continue
			}
			n := min(room, len(inserts))
			f := fileFor(i)
			f.inserts = append(f.inserts, inserts[:n]...)
			inserts = inserts[n:]
		}
	}
	perFile := int(max(1, t.o.maxFile/p.rowBytes))
	var rowSize, size, rows int64 // new files are about as large per row as the stored ones
	for _, fk := range keys {
		size += fk.size
		rows += int64(len(fk.keys))
	}
	if rows > 0 {
		rowSize = max(1, size/rows)
	}
	for len(inserts) > 0 {
		n := min(perFile, len(inserts))
		a.files = append(a.files, &plannedFile{partition: part, fileID: t.o.ids() + "-0", inserts: inserts[:n], rowSize: rowSize})
		inserts = inserts[n:]
	}
	return nil
}

// stashBudget bounds the bytes of stored base files an attempt keeps between routing and
// writing.
const stashBudget = 16 << 20

// outcome of running an attempt.
type outcome int

const (
	outFailed outcome = iota
	outCommitted
	outSkipped
	outRedo
)

// run writes the attempt's files and commits them.
func (t *Table) run(ctx context.Context, p *prepared, a *attempt) (Result, outcome, error) {
	op := "UPSERT"
	if !p.upsert {
		op = "INSERT"
	}
	// The .inflight holds the plan (with the data file paths, for rollback).
	planned := commitMetadata{PartitionToWriteStats: map[string][]writeStat{}, ExtraMetadata: map[string]string{}, OperationType: op}
	for _, f := range a.files {
		path := joinKey(f.partition, f.name(a.instant).String())
		part := f.partition
		prev := "null"
		if f.prev != nil {
			prev = f.prev.name.instant
		}
		planned.PartitionToWriteStats[part] = append(planned.PartitionToWriteStats[part], writeStat{
			FileID: f.fileID, Path: &path, PrevCommit: prev, PartitionPath: &part,
			NumInserts: int64(len(f.inserts)), NumUpdateWrites: int64(len(f.updates)),
		})
	}
	inflight, err := json.Marshal(planned)
	if err != nil {
		return Result{}, outFailed, err
	}
	if t.stale(a) {
		return Result{}, outRedo, nil
	}
	if err := t.store.CreateIfAbsent(ctx, t.instantKey(a.instant, suffixInflight), inflight); err != nil {
		return Result{}, outFailed, fmt.Errorf("create inflight: %w", err)
	}
	fs := newFileSchema(t.cfg.Name, a.cols)
	for _, part := range p.parts {
		if err := t.partitionMetadata(ctx, part, a.instant); err != nil {
			return Result{}, outFailed, err
		}
	}
	if len(p.parts) == 0 && len(a.files) == 0 {
		// A checkpoint-only commit still marks the (root) partition of a non-partitioned table.
		if len(t.cfg.Partitioning.Fields) == 0 && t.cfg.Partitioning.TimeField == "" {
			if err := t.partitionMetadata(ctx, "", a.instant); err != nil {
				return Result{}, outFailed, err
			}
		}
	}
	res := Result{Instant: a.instant}
	for i, f := range a.files {
		if t.stale(a) {
			return Result{}, outRedo, nil
		}
		if err := t.writeFile(ctx, p, a, fs, i, f); err != nil {
			return Result{}, outFailed, err
		}
		res.Inserted += int(f.stat.NumInserts)
		res.Updated += int(f.stat.NumUpdateWrites)
		res.Files++
	}
	out, err := t.commit(ctx, p, a, op)
	if out == outCommitted {
		// Only committed files: a newer uncommitted version would keep the committed one out
		// of the cache (it holds one version per file group).
		for _, f := range a.files {
			if f.keys != nil {
				t.keys.put(joinKey(t.root, joinKey(f.partition, f.name(a.instant).String())), f.keys)
			}
		}
	}
	return res, out, err
}

// partitionMetadata writes a partition's .hoodie_partition_metadata once. A Table that has
// not written the partition yet (a new one per function invocation) first asks for the
// file's size: an existing file costs a stat (a HEAD) instead of writing a temporary file or
// uploading a body that the store then refuses.
func (t *Table) partitionMetadata(ctx context.Context, part, instant string) error {
	t.mu.Lock()
	known := t.partitions[part]
	t.mu.Unlock()
	if known {
		return nil
	}
	key := joinKey(t.root, joinKey(part, partitionMeta))
	if _, err := objstore.Size(ctx, t.store, key); err == nil {
		t.mu.Lock()
		t.partitions[part] = true
		t.mu.Unlock()
		return nil
	} // Absent, or the store failed: create it, as if unknown.
	body := fmt.Sprintf("#partition metadata\ncommitTime=%s\npartitionDepth=%d\n", instant, partitionDepth(part))
	err := t.store.CreateIfAbsent(ctx, key, []byte(body))
	if err != nil && !errors.Is(err, objstore.ErrExists) {
		return fmt.Errorf("partition %q: metadata: %w", part, err)
	}
	t.mu.Lock()
	t.partitions[part] = true
	t.mu.Unlock()
	return nil
}

// writeFile encodes one base file and puts it. A new version of a file group copies the stored
// rows (keeping their commit time and sequence number), replaces updated ones and appends
// inserts.
func (t *Table) writeFile(ctx context.Context, p *prepared, a *attempt, fs *fileSchema, idx int, f *plannedFile) error {
	name := f.name(a.instant).String()
	rel := joinKey(f.partition, name)
	bw := fs.newWriter()
	if p.upsert {
		bw.keys = make([]string, 0, f.prevRows+len(f.inserts))
	}
	bw.collectKeys = p.upsert
	seq := 0
	var meta [numMeta]string
	seqPrefix := a.instant + "_" + strconv.Itoa(idx) + "_" // <instant>_<file index>_<n>
	newRow := func(ri int32) error {
		r := p.recs[ri]
		meta[metaCommitTime] = a.instant
		meta[metaRecordKey] = r.key
		if p.upsert {
			meta[metaSeqNo] = bw.rowText(seqPrefix, seq)
		} else {
			// The sequence number is the record key, which the writer keeps: not row text.
			meta[metaSeqNo] = seqPrefix + strconv.Itoa(seq)
			meta[metaRecordKey] = meta[metaSeqNo]
		}
		seq++
		meta[metaPartitionPath] = f.partition
		meta[metaFileName] = name
		return bw.add(&meta, func(i int) any { return p.value(r.row, a.from[i]) })
	}
	var updated int64
	if f.prev != nil {
		n, err := t.copyRows(ctx, p, a, f, bw, name, newRow)
		if err != nil {
			return err
		}
		updated = n
	} else {
		bw.grow(f, 0)
	}
	for _, ri := range f.inserts {
		if err := newRow(ri); err != nil {
			return fmt.Errorf("file %s: %w", rel, err)
		}
	}
	data, fk, err := bw.finish()
	if err != nil {
		return fmt.Errorf("file %s: %w", rel, err)
	}
	size := int64(len(data))
	if k := bw.kept; k != nil {
		// The file starts with the stored version's first row groups: the store copies them.
		if data, err = joinParquet(k, data); err != nil {
			return fmt.Errorf("file %s: join the row groups kept from %s: %w", rel, f.prev.path(), err)
		}
		size = k.length + int64(len(data))
		if err := objstore.PutWithPrefix(ctx, t.store, joinKey(t.root, rel), joinKey(t.root, f.prev.path()), k.length, data); err != nil {
			return fmt.Errorf("put %s: %w", rel, err)
		}
	} else if err := t.store.Put(ctx, joinKey(t.root, rel), data); err != nil {
		return fmt.Errorf("put %s: %w", rel, err)
	}
	prev := "null"
	if f.prev != nil {
		prev = f.prev.name.instant
	}
	part := f.partition
	f.stat = writeStat{
		FileID: f.fileID, Path: &rel, PrevCommit: prev, NumWrites: int64(bw.rows),
		NumUpdateWrites: updated, NumInserts: int64(len(f.inserts)), TotalWriteBytes: size,
		PartitionPath: &part, FileSizeInBytes: size, RuntimeStats: &runtimeStats{},
	}
	if fk != nil {
		fk.size = size
		f.keys = fk // cached once the commit is decided
	}
	return nil
}

// copyRows streams the stored version of a file group into bw, merging updates. It returns the
// number of updated records.
func (t *Table) copyRows(ctx context.Context, p *prepared, a *attempt, f *plannedFile, bw *baseWriter, name string, newRow func(int32) error) (int64, error) {
	prevRel := f.prev.path()
	bf, err := t.openStored(ctx, f)
	if err != nil {
		return 0, err
	}
	var metaIdx [numMeta]int
	for m, col := range metaColumns {
		metaIdx[m] = slices.Index(bf.names, col)
	}
	colIdx := make([]int, len(a.cols))
	for i, c := range a.cols {
		colIdx[i] = slices.IndexFunc(bf.names, func(n string) bool { return strings.EqualFold(n, c.Name) })
	}
	preIdx := -1
	if t.cfg.Precombine != "" {
		preIdx = columnIndex(a.cols, t.cfg.Precombine)
	}
	if metaIdx[metaRecordKey] >= 0 && bf.flat() {
		if n, ok, err := t.copyFlat(p, a, f, bw, name, newRow, bf, metaIdx, colIdx, preIdx); ok || err != nil {
			return n, err
		}
	}
	bw.grow(f, 0)
	done := make(map[string]bool, len(f.updates))
	var updated int64
	var meta [numMeta]string
	err = bf.scan(func(vals []any) error {
		for m := range meta {
			meta[m] = ""
			if metaIdx[m] >= 0 {
				s, _ := vals[metaIdx[m]].(string)
				meta[m] = s
			}
		}
		key := meta[metaRecordKey]
		if ri, ok := f.updates[key]; ok && !done[key] {
			done[key] = true
			keepOld := false
			if preIdx >= 0 && colIdx[preIdx] >= 0 {
				incoming := p.precombine(p.recs[ri])
				keepOld = compareValues(a.cols[preIdx].Type, incoming, vals[colIdx[preIdx]]) < 0
			}
			if !keepOld {
				updated++
				return newRow(ri)
			}
		}
		meta[metaFileName] = name
		var bad error
		row := func(i int) any {
			if colIdx[i] < 0 {
				return nil
			}
			v := vals[colIdx[i]]
			if err := checkValue(a.cols[i].Type, v); err != nil && bad == nil {
				bad = fmt.Errorf("base file %s: column %s: %w", prevRel, a.cols[i].Name, err)
			}
			return v
		}
		if err := bw.add(&meta, row); err != nil {
			return err
		}
		return bad
	})
	if err != nil {
		return 0, err
	}
	// Keys of the stored version that were not found (they always are, unless the file changed
	// under the same name): write them as new records rather than lose them.
	for k, ri := range f.updates {
		if !done[k] {
			f.inserts = append(f.inserts, ri)
		}
	}
	return updated, nil
}

// copyFlat is copyRows for flat files whose columns have the Parquet types fcsync writes (or
// narrower ones it widens): stored rows are copied as Parquet values, without turning them
// into Go values. ok is false when the file does not qualify (then nothing was written).
func (t *Table) copyFlat(p *prepared, a *attempt, f *plannedFile, bw *baseWriter, name string, newRow func(int32) error,
	bf *baseFile, metaIdx [numMeta]int, colIdx []int, preIdx int) (int64, bool, error) {
	convs := make([]func(parquet.Value) parquet.Value, len(a.cols))
	for i, c := range a.cols {
		j := colIdx[i]
		if j < 0 {
			continue
		}
		src, dst := bf.fields[j].col.Type(), parquetNode(c.Type).Type()
		switch {
		case src.String() == dst.String():
			convs[i] = func(v parquet.Value) parquet.Value { return v }
		case src.Kind() == parquet.Int32 && dst.Kind() == parquet.Int64 && isIntType(src):
			convs[i] = func(v parquet.Value) parquet.Value { return parquet.Int64Value(int64(v.Int32())) }
		case src.Kind() == parquet.Float && dst.Kind() == parquet.Double:
			conv := bf.fields[j].conv
			convs[i] = func(v parquet.Value) parquet.Value { return parquet.DoubleValue(conv(v).(float64)) }
		default:
			return 0, false, nil
		}
	}
	for m := range metaIdx {
		if j := metaIdx[m]; j >= 0 && bf.fields[j].col.Type().Kind() != parquet.ByteArray {
			return 0, false, nil
		}
	}
	prevRel := f.prev.path()
	out := make([]parquet.Value, numMeta+len(a.cols))
	fileName := parquet.ByteArrayValue([]byte(name)).Level(0, 1, metaFileName)
	done := make(map[int32]bool, len(f.updates))
	var updated int64
	copyOne := func(vals []parquet.Value) error {
		kb := vals[metaIdx[metaRecordKey]].ByteArray()
		if ri, ok := f.updates[string(kb)]; ok && !done[ri] {
			done[ri] = true
			keepOld := false
			if preIdx >= 0 && colIdx[preIdx] >= 0 {
				var stored any
				if v := vals[colIdx[preIdx]]; !v.IsNull() {
					stored = bf.fields[colIdx[preIdx]].conv(v)
				}
				keepOld = compareValues(a.cols[preIdx].Type, p.precombine(p.recs[ri]), stored) < 0
			}
			if !keepOld {
				updated++
				return newRow(ri)
			}
		}
		size := 0
		for m := range metaIdx {
			switch j := metaIdx[m]; {
			case m == metaFileName:
				out[m] = fileName
			case j < 0 || vals[j].IsNull():
				out[m] = parquet.NullValue().Level(0, 0, m)
			default:
				out[m] = vals[j].Level(0, 1, m)
				size += len(vals[j].ByteArray())
			}
		}
		for i, conv := range convs {
			ci := numMeta + i
			if conv == nil || vals[colIdx[i]].IsNull() {
				out[ci] = parquet.NullValue().Level(0, 0, ci)
				size++
				continue
			}
			v := conv(vals[colIdx[i]])
			out[ci] = v.Level(0, 1, ci)
			if k := v.Kind(); k == parquet.ByteArray || k == parquet.FixedLenByteArray {
				size += len(v.ByteArray()) + 4
			} else {
				size += 8
			}
		}
		return bw.addRaw(out, string(kb), size)
	}
	// Row groups without an updated key are spliced into the new file as they are (see
	// spliceable); the others are decoded row by row.
	var keys []string
	if parquet.EqualNodes(bf.f.Schema(), bw.fs.schema) {
		keys = f.prevKeys
		if int64(len(keys)) != bf.f.NumRows() {
			var err error
			if keys, err = bf.recordKeys(); err != nil {
				return 0, true, fmt.Errorf("base file %s: %w", prevRel, err)
			}
		}
	}
	groups := bf.f.RowGroups()
	meta := bf.f.Metadata().RowGroups
	off := 0
	// The leading row groups that would be spliced stay where they are (see keptPrefix).
	if keys != nil {
		k := 0
		for k < len(groups) && k < len(meta) && off+int(meta[k].NumRows) <= len(keys) && spliceable(&meta[k], keys[off:off+int(meta[k].NumRows)], f.updates) {
			off += int(meta[k].NumRows)
			k++
		}
		if length, ok := prefixEnd(bf.f.Metadata(), k, bw.fs.schema, bf.f.Size()); ok && k > 0 && length >= keepMinBytes {
			bw.kept = &keptPrefix{meta: bf.f.Metadata(), k: k, length: length, read: readerBytes(bf.src, bf.f.Size())}
			for i := range k {
				n := int(meta[i].NumRows)
				bw.keep(keys[:n], uncompressedSize(&meta[i]))
				keys = keys[n:]
			}
			groups, meta = groups[k:], meta[k:]
		}
		off = 0
	}
	bw.grow(f, bw.keptBytes())
	for i, rg := range groups {
		n := int(rg.NumRows())
		// Rows re-encoded just before (fewer than spliceMinBytes of them) are not left in a
		// small row group of their own: the row group is re-encoded too, to join them.
		merge := bw.rgBytes > 0 && bw.rgBytes < spliceMinBytes
		if keys != nil && !merge && i < len(meta) && off+n <= len(keys) && spliceable(&meta[i], keys[off:off+n], f.updates) {
			if err := bw.splice(rg, keys[off:off+n], uncompressedSize(&meta[i])); err != nil {
				return 0, true, fmt.Errorf("base file %s: row group %d: %w", prevRel, i, err)
			}
		} else if err := bf.scanFlatGroup(rg, copyOne, bw.flushBatch); err != nil {
			return 0, true, fmt.Errorf("base file %s: %w", prevRel, err)
		}
		off += n
	}
	for _, ri := range f.updates {
		if !done[ri] {
			f.inserts = append(f.inserts, ri)
		}
	}
	return updated, true, nil
}

// keepMinBytes is the size from which the leading row groups of a stored file are kept in
// place rather than spliced (below it, copying them is cheaper than a multipart upload).
const keepMinBytes = 256 << 10

// openStored opens the stored version of a file group: from the bytes routing read, or through
// ranged reads of the store (one read of the whole file when the store has none).
func (t *Table) openStored(ctx context.Context, f *plannedFile) (*baseFile, error) {
	rel := f.prev.path()
	if data := f.prevData; data != nil {
		f.prevData = nil
		bf, err := openParquet(data)
		if err != nil {
			return nil, fmt.Errorf("base file %s: %w", rel, err)
		}
		return bf, nil
	}
	if _, ranged := t.store.(objstore.RangeGetter); ranged && f.prevSize > 0 {
		sf := &storedFile{ctx: ctx, store: t.store, key: joinKey(t.root, rel), size: f.prevSize}
		if bf, err := openParquetAt(sf, f.prevSize); err == nil {
			return bf, nil
		}
		// A size that does not match the object: read all of it.
	}
	data, err := t.store.Get(ctx, joinKey(t.root, rel))
	if err != nil {
		return nil, readError(rel, err)
	}
	bf, err := openParquet(data)
	if err != nil {
		return nil, fmt.Errorf("base file %s: %w", rel, err)
	}
	return bf, nil
}

// spliceMinBytes is the uncompressed size from which a stored row group that no record of the
// batch updates is spliced into the new base file verbatim. Smaller ones (the tail a previous
// top-up appended) are decoded and re-encoded together with the rows that follow, and a row
// group is not spliced right after fewer than spliceMinBytes of re-encoded rows either. So
// topping up a file many times does not leave it in many small row groups: every row group but
// the last holds at least about spliceMinBytes, and a top-up without updates re-encodes less
// than spliceMinBytes of stored rows.
const spliceMinBytes = rowGroupBytes / 2

// spliceable reports whether a stored row group with the given record keys can be copied into
// the new base file verbatim: it is big enough and the batch updates none of its keys.
func spliceable(rg *format.RowGroup, keys []string, updates map[string]int32) bool {
	if uncompressedSize(rg) < spliceMinBytes {
		return false
	}
	if len(updates) > 0 {
		for _, k := range keys {
			if _, ok := updates[k]; ok {
				return false
			}
		}
	}
	return true
}

// uncompressedSize is the uncompressed size of a row group's column chunks.
func uncompressedSize(rg *format.RowGroup) int64 {
	var n int64
	for i := range rg.Columns {
		n += rg.Columns[i].MetaData.TotalUncompressedSize
	}
	return n
}

// isIntType reports whether a Parquet type is an INT(n) integer.
func isIntType(t parquet.Type) bool {
	lt := t.LogicalType()
	if lt == nil {
		return false
	}
	_, ok := lt.Value.(*format.IntType)
	return ok
}

// commit decides the attempt in the commit log, rebasing over commits that landed since the
// attempt's base when they do not conflict with it.
func (t *Table) commit(ctx context.Context, p *prepared, a *attempt, op string) (outcome, error) {
	base := a.base
	for range 1000 {
		var next *logState
		_, err := t.log.Update(ctx, func(cur state.Version) ([]byte, error) {
			if t.stale(a) {
				return nil, errStale
			}
			if cur.Number != base.number {
				return nil, errRebase
			}
			st, err := t.nextState(p, a, base, cur.Number, op)
			if err != nil {
				return nil, err
			}
			next = st
			return json.Marshal(st)
		})
		switch {
		case err == nil:
			t.finish(ctx, a, next)
			return outCommitted, nil
		case errors.Is(err, state.ErrOutcomeUnknown):
			// A log write that may still land decides the commit: never redo (or clean up)
			// an attempt whose outcome is unknown, even one that became stale meanwhile.
			return outFailed, err
		case errors.Is(err, errStale):
			return outRedo, nil
		case !errors.Is(err, errRebase):
			return outFailed, err
		}
		h, err := t.head(ctx)
		if err != nil {
			return outFailed, err
		}
		if skip, err := checkpointStatus(h.state.Checkpoints, p.b); skip {
			return outSkipped, nil
		} else if err != nil {
			return outFailed, err
		}
		if reason, err := t.conflicts(ctx, p, a, base, h); err != nil {
			return outFailed, err
		} else if reason != "" {
			a.reason = reason
			return outRedo, nil
		}
		if err := t.publish(ctx, h); err != nil {
			return outFailed, err
		}
		base = h
	}
	return outFailed, errors.New("too many concurrent commits to rebase over")
}

var errRebase = errors.New("the commit log moved")

// errStale stops deciding an attempt that became stale.
var errStale = errors.New("the attempt's instant is older than half the archive grace period")

// stale reports whether the attempt's instant is older than half the archive grace period
// (WithArchiveGrace): it must not write another file nor be decided, since an archiver may
// soon archive past it. It notes the reason for the redo.
func (t *Table) stale(a *attempt) bool {
	at, err := parseInstant(a.instant)
	if err != nil || !at.Before(t.o.clock().Add(-t.o.grace/2)) {
		return false
	}
	a.reason = fmt.Sprintf("instant %s is older than half the archive grace period (%v)", a.instant, t.o.grace/2)
	return true
}

// nextState builds the log version that commits the attempt on top of base.
func (t *Table) nextState(p *prepared, a *attempt, base *logHead, number int64, op string) (*logState, error) {
	cp := maps.Clone(base.state.Checkpoints)
	if cp == nil {
		cp = map[string]int64{}
	}
	for k, v := range p.b.Checkpoints {
		cp[k] = max(cp[k], v)
	}
	cpJSON, err := json.Marshal(cp)
	if err != nil {
		return nil, err
	}
	colJSON, err := json.Marshal(a.cols)
	if err != nil {
		return nil, err
	}
	m := commitMetadata{
		PartitionToWriteStats: map[string][]writeStat{},
		ExtraMetadata: map[string]string{
			extraSchema:      avroSchema(t.cfg.Name, a.cols, false),
			extraCheckpoints: string(cpJSON),
			extraColumns:     string(colJSON),
			extraWriter:      t.o.writerID,
		},
		OperationType: op,
	}
	for _, f := range a.files {
		m.PartitionToWriteStats[f.partition] = append(m.PartitionToWriteStats[f.partition], f.stat)
	}
	commit, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	recent := append(slices.Clone(base.state.Recent), recentCommit{Seq: number + 1, Instant: a.instant})
	// Cleaning finds the earliest retained commit here: keep enough of them.
	if keep := max(maxRecent, min(t.o.retained+1, maxRecentForCleaning)); len(recent) > keep {
		recent = recent[len(recent)-keep:]
	}
	return &logState{Instant: a.instant, Prev: base.state.Instant, Checkpoints: cp, Columns: a.cols, Recent: recent, Commit: commit}, nil
}

// conflicts checks the commits that landed between the attempt's base and h. It returns why the
// attempt must be redone, or "" if it can commit on top of h as it is.
func (t *Table) conflicts(ctx context.Context, p *prepared, a *attempt, base, h *logHead) (string, error) {
	if h.state.Instant >= a.instant {
		return fmt.Sprintf("commit %s is not older than ours", h.state.Instant), nil
	}
	if !slices.Equal(h.state.Columns, base.state.Columns) {
		return "the schema changed", nil
	}
	var between []recentCommit
	for _, r := range h.state.Recent {
		if r.Seq > base.number && r.Seq <= h.number {
			between = append(between, r)
		}
	}
	if int64(len(between)) != h.number-base.number {
		return "too many commits landed to check them", nil
	}
	rewritten := map[string]bool{}
	for _, f := range a.files {
		if f.prev != nil {
			rewritten[f.partition+"/"+f.fileID] = true
		}
	}
	for _, r := range between {
		var data []byte
		if r.Seq == h.number {
			data = h.state.Commit
		} else {
			var ok bool
			var err error
			if data, ok, err = getOptional(ctx, t.store, t.instantKey(r.Instant, suffixCommit)); err != nil {
				return "", fmt.Errorf("read commit %s: %w", r.Instant, err)
			} else if !ok {
				// Archived meanwhile: many commits landed, redoing is cheaper than reading
				// the archive.
				return fmt.Sprintf("commit %s is archived already", r.Instant), nil
			}
		}
		m, err := parseCommit(data)
		if err != nil {
			return "", fmt.Errorf("commit %s: %w", r.Instant, err)
		}
		for part, stats := range m.PartitionToWriteStats {
			if _, ours := p.byPart[part]; !ours {
				continue
			}
			for _, s := range stats {
				if rewritten[part+"/"+s.FileID] {
					a.fgConflict = true
					return fmt.Sprintf("commit %s rewrote file group %s", r.Instant, s.FileID), nil
				}
				if !p.upsert || s.Path == nil {
					continue
				}
				fk, err := t.keysOf(ctx, *s.Path)
				if errors.Is(err, errSliceGone) {
					// A still newer commit replaced it and a clean deleted it: its keys are in
					// that commit's file, which this attempt has not checked.
					return fmt.Sprintf("commit %s wrote %s, which is cleaned already", r.Instant, *s.Path), nil
				}
				if err != nil {
					return "", err
				}
				if k, hit := sharedKey(p, part, fk); hit {
					return fmt.Sprintf("commit %s wrote key %q of partition %q", r.Instant, truncate(k, 40), part), nil
				}
			}
		}
	}
	return "", nil
}

// sharedKey reports whether a file holds a key the batch writes to partition part.
func sharedKey(p *prepared, part string, fk *fileKeys) (string, bool) {
	if fk.outside(p.keyRange(p.byPart[part])) {
		return "", false
	}
	want := make(map[string]bool, len(p.byPart[part]))
	for _, ri := range p.byPart[part] {
		want[p.recs[ri].key] = true
	}
	for _, k := range fk.keys {
		if want[k] {
			return k, true
		}
	}
	return "", false
}

// finish publishes a decided commit and tidies up; failures are only logged (the next writer
// or reader publishes a missing .commit, and dead instants are removed later).
func (t *Table) finish(ctx context.Context, a *attempt, st *logState) {
	h := &logHead{state: *st}
	if n := len(st.Recent); n > 0 {
		h.number = st.Recent[n-1].Seq
	}
	if err := t.publishCommit(ctx, h, false); err != nil {
		t.o.logger.Warn("hudi: commit decided but not yet published", "table", t.root, "instant", a.instant, "err", err)
		return
	}
	a.committed = h
	t.mu.Lock()
	t.columns = st.Columns
	t.mu.Unlock()
	t.rollbackDead(ctx, a.base.state.Prev, a.instant)
	if len(st.Recent) > 0 && st.Recent[len(st.Recent)-1].Seq%16 == 0 {
		if err := t.log.Prune(ctx); err != nil {
			t.o.logger.Warn("hudi: prune commit log", "table", t.root, "err", err)
		}
	}
}

// cleanup removes an attempt that will not commit. Errors are only logged: the files are
// invisible to readers, and a later commit's rollback scan removes what is left.
func (t *Table) cleanup(ctx context.Context, a *attempt) {
	if a.instant == "" {
		return
	}
	var paths []string
	for _, f := range a.files {
		paths = append(paths, joinKey(f.partition, f.name(a.instant).String()))
	}
	if err := t.rollback(ctx, a.instant, paths); err != nil {
		t.o.logger.Warn("hudi: clean up abandoned attempt", "table", t.root, "instant", a.instant, "err", err)
	}
}
