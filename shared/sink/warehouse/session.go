package warehouse

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/sink"
	"github.com/fcsync/fcsync/shared/snappy"
)

// Begin opens a write session on spec.Table, creating the table or adding the spec's new
// columns to it. It also removes staging directories older than WithStagingMaxAge.
func (w *Warehouse) Begin(ctx context.Context, spec sink.SessionSpec) (sink.Session, error) {
	return w.begin(ctx, spec)
}

func (w *Warehouse) begin(ctx context.Context, spec sink.SessionSpec) (*session, error) {
	if err := spec.Table.Validate(); err != nil {
		return nil, fmt.Errorf("warehouse begin: %w", err)
	}
	name := spec.Table.Name
	if spec.Segment == "" {
		return nil, fmt.Errorf("warehouse begin: table %s: segment id is empty", name)
	}
	if spec.Mode != sink.Append && spec.Mode != sink.Overwrite {
		return nil, fmt.Errorf("warehouse begin: table %s: unknown mode %d", name, spec.Mode)
	}
	tdir, err := w.tableDir(name)
	if err != nil {
		return nil, fmt.Errorf("warehouse begin: %w", err)
	}
	if err := os.MkdirAll(tdir, 0o755); err != nil {
		return nil, fmt.Errorf("warehouse begin: table %s: %w", name, err)
	}
	lock, err := lockTable(ctx, tdir)
	if err != nil {
		return nil, fmt.Errorf("warehouse begin: table %s: %w", name, err)
	}
	table, err := w.evolve(tdir, spec.Table)
	if err == nil {
		w.cleanStaging(tdir)
	}
	lock.unlock()
	if err != nil {
		return nil, fmt.Errorf("warehouse begin: table %s: %w", name, err)
	}

	// The session writes the spec's columns in the spec's order, spelled as the table has them.
	cols := make([]schema.Column, len(spec.Table.Columns))
	for i, c := range spec.Table.Columns {
		cols[i] = table.Columns[table.Index(c.Name)]
	}
	fileTable := table
	fileTable.Columns = cols
	fsch, err := newFileSchema(&fileTable)
	if err != nil {
		return nil, fmt.Errorf("warehouse begin: %w", err)
	}
	var owned schema.Partition
	if len(spec.Owned) > 0 || spec.Mode == sink.Overwrite {
		if owned, err = checkPartition(&table, spec.Owned, false); err != nil {
			return nil, fmt.Errorf("warehouse begin: owned partition: %w", err)
		}
	}
	id := newSessionID()
	staging := filepath.Join(tdir, stagingDir, id)
	if err := os.MkdirAll(staging, 0o755); err != nil {
		return nil, fmt.Errorf("warehouse begin: table %s: %w", name, err)
	}
	return &session{
		w: w, spec: spec, table: table, tdir: tdir, staging: staging, id: id,
		segKey: segmentKey(spec.Segment), owned: owned, hasOwned: len(owned) > 0 || len(table.Partitions) == 0,
		fsch: fsch, writers: map[string]*partWriter{}, parts: map[string]*partFiles{}, alias: map[string]string{},
	}, nil
}

// evolve creates the table or merges new columns into it; the caller holds the table lock.
func (w *Warehouse) evolve(tdir string, spec schema.Table) (schema.Table, error) {
	stored, err := readSchema(tdir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := writeSchema(tdir, spec); err != nil {
			return schema.Table{}, err
		}
		w.opt.log.Info("warehouse table created", "table", spec.Name, "dir", tdir)
		return spec, nil
	}
	if err != nil {
		return schema.Table{}, err
	}
	merged, changed, err := mergeSchema(stored, spec)
	if err != nil {
		return schema.Table{}, err
	}
	if changed {
		if err := writeSchema(tdir, merged); err != nil {
			return schema.Table{}, err
		}
		w.opt.log.Info("warehouse table columns added", "table", merged.Name, "columns", len(merged.Columns)-len(stored.Columns))
	}
	return merged, nil
}

// cleanStaging removes staging directories whose newest entry is older than the max age, and
// temporary links a crashed commit left; the caller holds the table lock.
func (w *Warehouse) cleanStaging(tdir string) {
	root := filepath.Join(tdir, stagingDir)
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	cutoff := time.Now().Add(-w.opt.stagingMaxAge)
	for _, e := range entries {
		dir := filepath.Join(root, e.Name())
		if newestMod(dir).After(cutoff) {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			w.opt.log.Warn("warehouse: removing stale staging", "dir", dir, "err", err)
			continue
		}
		w.opt.log.Info("warehouse: removed stale staging", "dir", dir)
	}
}

func newestMod(dir string) time.Time {
	var newest time.Time
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if info, err := d.Info(); err == nil && info.ModTime().After(newest) {
			newest = info.ModTime()
		}
		return nil
	})
	return newest
}

func newSessionID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%013x%s", time.Now().UnixMilli(), hex.EncodeToString(b[:]))
}

// session is one sink.Session on a warehouse table.
type session struct {
	mu       sync.Mutex
	w        *Warehouse
	spec     sink.SessionSpec
	table    schema.Table
	tdir     string
	staging  string
	id       string
	segKey   string
	owned    schema.Partition
	hasOwned bool
	fsch     *fileSchema

	writers  map[string]*partWriter // open files by partition key
	parts    map[string]*partFiles  // every partition written, with its closed files
	alias    map[string]string      // Partition.AppendKey of a written partition -> its key
	keybuf   []byte
	clock    uint64 // for least-recently-used writer eviction
	seq      int
	buffered int64 // bytes buffered across open writers
	rowbuf   []parquet.Row
	done     bool
	rows     int64
}

type partFiles struct {
	p         schema.Partition
	files     []string // closed file names in staging
	published bool     // committed (a failed Commit may have published some partitions)
}

type partWriter struct {
	key      string
	name     string
	f        *os.File
	bw       *bufio.Writer
	pw       *parquet.Writer
	rows     int   // rows since the last row group
	bytes    int64 // approximate bytes since the last row group
	groups   int   // row groups written
	lastUsed uint64
}

// Write adds one row to partition p.
func (s *session) Write(ctx context.Context, p schema.Partition, row schema.Row) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return fmt.Errorf("warehouse write: table %s: session already finished", s.table.Name)
	}
	if s.rows&1023 == 0 {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("warehouse write: table %s: %w", s.table.Name, err)
		}
	}
	key, err := s.partition(p)
	if err != nil {
		return fmt.Errorf("warehouse write: %w", err)
	}
	if len(s.rowbuf) == 0 {
		s.rowbuf = []parquet.Row{make(parquet.Row, len(s.fsch.schema.Columns()))}
	}
	size, err := s.fsch.encodeRow(s.rowbuf[0], row)
	if err != nil {
		return fmt.Errorf("warehouse write: table %s partition %s: %w", s.table.Name, displayPartition(s.parts[key].p), err)
	}
	pw, err := s.writer(key)
	if err != nil {
		return fmt.Errorf("warehouse write: table %s partition %s: %w", s.table.Name, displayPartition(s.parts[key].p), err)
	}
	if _, err := pw.pw.WriteRows(s.rowbuf); err != nil {
		return fmt.Errorf("warehouse write: table %s partition %s: %w", s.table.Name, displayPartition(s.parts[key].p), err)
	}
	s.rows++
	pw.rows++
	pw.bytes += size
	s.buffered += size
	if pw.rows >= s.w.opt.rowGroupRows || pw.bytes >= s.w.opt.bufferBytes {
		if err := s.flushGroup(pw); err != nil {
			return fmt.Errorf("warehouse write: table %s partition %s: %w", s.table.Name, displayPartition(s.parts[key].p), err)
		}
	}
	// Bound the total across partitions too: flush every writer once it passes 4 budgets.
	if s.buffered >= 4*s.w.opt.bufferBytes {
		for _, o := range s.writers {
			if err := s.flushGroup(o); err != nil {
				return fmt.Errorf("warehouse write: table %s: %w", s.table.Name, err)
			}
		}
	}
	return nil
}

// partition checks p once per distinct spelling and returns its canonical key.
func (s *session) partition(p schema.Partition) (string, error) {
	raw := p.AppendKey(s.keybuf[:0])
	s.keybuf = raw
	if key, ok := s.alias[string(raw)]; ok {
		return key, nil
	}
	cp, err := checkPartition(&s.table, p, false)
	if err != nil {
		return "", err
	}
	key := partitionKey(cp)
	if _, ok := s.parts[key]; !ok {
		s.parts[key] = &partFiles{p: cp}
	}
	s.alias[string(raw)] = key
	return key, nil
}

// writer returns the open file of a partition, opening one (and closing the least recently
// used one beyond the cap) when needed.
func (s *session) writer(key string) (*partWriter, error) {
	s.clock++
	if pw, ok := s.writers[key]; ok {
		pw.lastUsed = s.clock
		return pw, nil
	}
	if len(s.writers) >= s.w.opt.maxOpenWriters {
		var lru *partWriter
		for _, o := range s.writers {
			if lru == nil || o.lastUsed < lru.lastUsed {
				lru = o
			}
		}
		if err := s.closeWriter(lru); err != nil {
			return nil, err
		}
	}
	kind := kindLate
	if s.hasOwned && key == s.owned.Path() {
		kind = kindOwn
	}
	s.seq++
	name := dataFileName(s.segKey, kind, s.id, s.seq)
	f, err := os.OpenFile(filepath.Join(s.staging, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(f, 256<<10)
	pw := &partWriter{
		key: key, name: name, f: f, bw: bw, lastUsed: s.clock,
		pw: parquet.NewWriter(bw, s.fsch.schema, parquet.Compression(snappy.Codec{}), parquet.PageBufferSize(64<<10)),
	}
	s.writers[key] = pw
	return pw, nil
}

// flushGroup writes a writer's buffered rows as a row group; after enough groups it closes
// the file so footer metadata stays bounded.
func (s *session) flushGroup(pw *partWriter) error {
	if pw.rows == 0 {
		return nil
	}
	if err := pw.pw.Flush(); err != nil {
		return err
	}
	s.buffered -= pw.bytes
	pw.rows, pw.bytes = 0, 0
	pw.groups++
	if pw.groups >= s.w.opt.rowGroupsFile {
		return s.closeWriter(pw)
	}
	return nil
}

// closeWriter finishes a file, syncs it and records it for commit.
func (s *session) closeWriter(pw *partWriter) error {
	delete(s.writers, pw.key)
	s.buffered -= pw.bytes
	err := pw.pw.Close()
	if err == nil {
		err = pw.bw.Flush()
	}
	if err == nil {
		err = pw.f.Sync()
	}
	if cerr := pw.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("file %s: %w", pw.name, err)
	}
	s.parts[pw.key].files = append(s.parts[pw.key].files, pw.name)
	return nil
}

func (s *session) closeAll() error {
	var errs []error
	for _, pw := range s.writers {
		if err := s.closeWriter(pw); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Commit publishes every partition the session wrote (and the owned one), one atomic switch
// per partition, then removes the staging directory.
func (s *session) Commit(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return fmt.Errorf("warehouse commit: table %s: session already finished", s.table.Name)
	}
	if err := s.closeAll(); err != nil {
		return fmt.Errorf("warehouse commit: table %s: %w", s.table.Name, err)
	}
	work := map[string]*partFiles{}
	for k, pf := range s.parts {
		work[k] = pf
	}
	if s.hasOwned {
		if _, ok := work[s.owned.Path()]; !ok {
			work[s.owned.Path()] = &partFiles{p: s.owned}
		}
	}
	keys := make([]string, 0, len(work))
	for k := range work {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	lock, err := lockTable(ctx, s.tdir)
	if err != nil {
		return fmt.Errorf("warehouse commit: table %s: %w", s.table.Name, err)
	}
	defer lock.unlock()
	for _, k := range keys {
		pf := work[k]
		if pf.published {
			continue // a retried Commit after a failure part way
		}
		overwrite := s.spec.Mode == sink.Overwrite && s.hasOwned && k == s.owned.Path()
		if err := s.w.publish(s.tdir, pf.p, s.segKey, overwrite, s.staging, pf.files); err != nil {
			return fmt.Errorf("warehouse commit: table %s segment %q partition %s: %w", s.table.Name, s.spec.Segment, displayPartition(pf.p), err)
		}
		pf.published = true
		s.parts[k] = pf
	}
	s.done = true
	if err := os.RemoveAll(s.staging); err != nil {
		s.w.opt.log.Warn("warehouse: removing staging after commit", "dir", s.staging, "err", err)
	}
	s.w.opt.log.Debug("warehouse commit", "table", s.table.Name, "segment", s.spec.Segment, "partitions", len(keys), "rows", s.rows)
	return nil
}

// Abort discards the session's files. It is a no-op after Commit or Abort.
func (s *session) Abort(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return nil
	}
	s.done = true
	for _, pw := range s.writers {
		_ = pw.f.Close()
	}
	s.writers = nil
	if err := os.RemoveAll(s.staging); err != nil {
		return fmt.Errorf("warehouse abort: table %s: %w", s.table.Name, err)
	}
	return nil
}

// keepName reports whether a snapshot file survives a commit of segment segKey.
func keepName(name, segKey string, overwrite bool) bool {
	f := parseDataFile(name)
	if f.segment == segKey {
		return false
	}
	if overwrite {
		return f.kind == kindLate && f.segment != ""
	}
	return true
}
