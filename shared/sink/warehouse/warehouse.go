package warehouse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/sink"
)

const (
	schemaFile   = "_schema.json"
	lockFile     = ".lock"
	snapshotsDir = ".snapshots"
	stagingDir   = ".staging"
	dataLink     = "_data" // the snapshot link of a non-partitioned table
)

// Warehouse is a directory of tables. It is safe for concurrent use, also by several
// processes sharing the directory.
type Warehouse struct {
	root string
	opt  options
}

var _ sink.Sink = (*Warehouse)(nil)

type options struct {
	grace          time.Duration
	stagingMaxAge  time.Duration
	rowGroupRows   int
	bufferBytes    int64
	maxOpenWriters int
	rowGroupsFile  int
	log            *slog.Logger
}

// Option changes a Warehouse setting.
type Option func(*options)

// WithSnapshotGrace sets how long a superseded snapshot stays for readers still in it
// (default 1 minute). The previous snapshot of a partition is always kept.
func WithSnapshotGrace(d time.Duration) Option { return func(o *options) { o.grace = d } }

// WithStagingMaxAge sets the age after which a Begin removes a staging directory left by a
// session that never finished (default 24 h, the longest a function runs).
func WithStagingMaxAge(d time.Duration) Option { return func(o *options) { o.stagingMaxAge = d } }

// WithRowGroupRows sets how many rows a partition writer buffers before it writes a row
// group (default 8192).
func WithRowGroupRows(n int) Option { return func(o *options) { o.rowGroupRows = n } }

// WithBufferBytes sets the approximate bytes of row data a partition writer buffers before it
// writes a row group (default 4 MiB).
func WithBufferBytes(n int64) Option { return func(o *options) { o.bufferBytes = n } }

// WithMaxOpenWriters caps the partition files a session keeps open at once (default 64).
func WithMaxOpenWriters(n int) Option { return func(o *options) { o.maxOpenWriters = n } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// Open opens (creating it if needed) the warehouse rooted at root.
func Open(root string, opts ...Option) (*Warehouse, error) {
	if root == "" {
		return nil, errors.New("warehouse: root directory is empty")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("warehouse %s: %w", root, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("warehouse %s: %w", root, err)
	}
	o := options{
		grace:          time.Minute,
		stagingMaxAge:  24 * time.Hour,
		rowGroupRows:   8192,
		bufferBytes:    4 << 20,
		maxOpenWriters: 64,
		rowGroupsFile:  256,
		log:            slog.Default(),
	}
	for _, f := range opts {
		f(&o)
	}
	if o.rowGroupRows < 1 || o.bufferBytes < 1 || o.maxOpenWriters < 1 {
		return nil, fmt.Errorf("warehouse %s: row group rows, buffer bytes and open writers must be positive", root)
	}
	return &Warehouse{root: abs, opt: o}, nil
}

// OpenTableDir opens the table stored in dir (a directory holding _schema.json); the
// warehouse root is dir's parent. It returns the warehouse and the table name to pass to Scan.
func OpenTableDir(dir string, opts ...Option) (*Warehouse, string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, "", fmt.Errorf("table directory %s: %w", dir, err)
	}
	if _, err := os.Stat(filepath.Join(abs, schemaFile)); err != nil {
		return nil, "", fmt.Errorf("table directory %s is not a warehouse table: %w", dir, err)
	}
	name := filepath.Base(abs)
	if err := schema.ValidateName(name); err != nil {
		return nil, "", fmt.Errorf("table directory %s: %w", dir, err)
	}
	w, err := Open(filepath.Dir(abs), opts...)
	if err != nil {
		return nil, "", err
	}
	return w, name, nil
}

// Root is the warehouse directory.
func (w *Warehouse) Root() string { return w.root }

// tableDir returns the directory of a table after checking the name.
func (w *Warehouse) tableDir(name string) (string, error) {
	if err := schema.ValidateName(name); err != nil {
		return "", fmt.Errorf("table: %w", err)
	}
	return filepath.Join(w.root, strings.ToLower(name)), nil
}

// Table returns a table's schema.
func (w *Warehouse) Table(ctx context.Context, name string) (schema.Table, error) {
	dir, err := w.tableDir(name)
	if err != nil {
		return schema.Table{}, err
	}
	t, err := readSchema(dir)
	if err != nil {
		return schema.Table{}, fmt.Errorf("table %s: %w", name, err)
	}
	return t, nil
}

func readSchema(dir string) (schema.Table, error) {
	b, err := os.ReadFile(filepath.Join(dir, schemaFile))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return schema.Table{}, fmt.Errorf("no such table (%s missing): %w", schemaFile, err)
		}
		return schema.Table{}, err
	}
	var t schema.Table
	if err := json.Unmarshal(b, &t); err != nil {
		return schema.Table{}, fmt.Errorf("%s: %w", schemaFile, err)
	}
	if err := t.Validate(); err != nil {
		return schema.Table{}, fmt.Errorf("%s: %w", schemaFile, err)
	}
	return t, nil
}

func writeSchema(dir string, t schema.Table) error {
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, schemaFile), append(b, '\n'))
}

func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}

// mergeSchema returns the stored table evolved to hold the spec's columns: new columns are
// appended; a removed column, a changed type or different partition columns are errors.
func mergeSchema(stored, spec schema.Table) (schema.Table, bool, error) {
	if len(stored.Partitions) != len(spec.Partitions) {
		return stored, false, fmt.Errorf("partition columns differ: table has (%s), spec has (%s)", colNames(stored.Partitions), colNames(spec.Partitions))
	}
	for i, c := range stored.Partitions {
		s := spec.Partitions[i]
		if !strings.EqualFold(c.Name, s.Name) || c.Type != s.Type {
			return stored, false, fmt.Errorf("partition column %d differs: table has %s %s, spec has %s %s", i+1, c.Name, c.Type, s.Name, s.Type)
		}
	}
	for _, c := range stored.Columns {
		i := spec.Index(c.Name)
		if i < 0 {
			return stored, false, fmt.Errorf("column %s is in the table but not in the spec (columns cannot be removed)", c.Name)
		}
		if spec.Columns[i].Type != c.Type {
			return stored, false, fmt.Errorf("column %s: type cannot change from %s to %s", c.Name, c.Type, spec.Columns[i].Type)
		}
	}
	out := stored
	out.Columns = append([]schema.Column(nil), stored.Columns...)
	changed := false
	for _, c := range spec.Columns {
		if stored.Index(c.Name) < 0 {
			out.Columns = append(out.Columns, c)
			changed = true
		}
	}
	return out, changed, nil
}

func colNames(cs []schema.Column) string {
	n := make([]string, len(cs))
	for i, c := range cs {
		n[i] = c.Name + " " + string(c.Type)
	}
	return strings.Join(n, ", ")
}

// tableLock is an exclusive flock on <table>/.lock.
type tableLock struct{ f *os.File }

func lockTable(ctx context.Context, dir string) (*tableLock, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	wait := time.Millisecond
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return &tableLock{f: f}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", f.Name(), ctx.Err())
		case <-t.C:
		}
		if wait < 50*time.Millisecond {
			wait *= 2
		}
	}
}

func (l *tableLock) unlock() {
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	_ = l.f.Close()
}
