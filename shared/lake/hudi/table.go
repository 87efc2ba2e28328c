package hudi

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/state"
)

const (
	auxDir         = ".hoodie/.aux/fcsync"
	descriptorFile = auxDir + "/table.json"
	logScope       = "commits"
	logKeep        = 64
	descFormat     = 1

	defaultMaxFile   = 64 << 20
	defaultSmallFile = 16 << 20
	minFileSize      = 1 << 10
	maxFileSize      = 1 << 30
	defaultRetained  = 10
	maxRetained      = 10000
)

// Option configures a Table.
type Option func(*options)

type options struct {
	clock       func() time.Time
	ids         func() string
	logger      *slog.Logger
	writerID    string
	maxFile     int64
	smallFile   int64
	maxAttempts int
	keys        *KeyCache
	retained    int           // commits whose snapshots cleaning keeps readable
	autoClean   bool          // clean after every commit
	keepMin     int           // completed commits archiving leaves in the active timeline
	keepMax     int           // completed commits above which archiving starts
	keepSet     bool          // keepMin and keepMax were set (WithArchiveKeep)
	autoArchive bool          // archive after every commit
	grace       time.Duration // age below which instants are not archived past (WithArchiveGrace)
}

// WithClock sets the clock instants are taken from (default time.Now). Instants always
// increase, whatever the clock says.
func WithClock(now func() time.Time) Option { return func(o *options) { o.clock = now } }

// WithIDs sets the generator of new file group ids (default: random UUIDs). It must return
// distinct strings without '_' or '/'; "-0" is appended as Hudi does.
func WithIDs(next func() string) Option { return func(o *options) { o.ids = next } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithWriterID names this writer in the commit log and in commit metadata (default: random). Use
// a stable, non-secret id per source, e.g. the function name and Kafka partition.
func WithWriterID(id string) Option { return func(o *options) { o.writerID = id } }

// WithFileSizes sets the largest base file to aim for and the size under which an existing base
// file is topped up with new rows instead of starting a new file group (0 turns that off).
// Defaults: 64 MiB and 16 MiB; max must be 1 KiB to 1 GiB. Base files are built in memory, so
// max bounds memory use.
func WithFileSizes(max, small int64) Option {
	return func(o *options) { o.maxFile, o.smallFile = max, small }
}

// WithCleanRetained sets how many of the newest completed commits stay readable when old base
// files are cleaned (Hudi's hoodie.cleaner.commits.retained, policy KEEP_LATEST_COMMITS):
// cleaning keeps, per file group, the newest base file and every one that was the newest as of
// one of those commits. Default 10.
func WithCleanRetained(n int) Option { return func(o *options) { o.retained = n } }

// WithAutoClean turns cleaning after every successful commit on or off (Hudi's
// hoodie.clean.automatic; default on). Clean cleans on demand either way.
func WithAutoClean(on bool) Option { return func(o *options) { o.autoClean = on } }

// WithArchiveKeep sets how many completed commits the active timeline keeps (Hudi's
// hoodie.keep.min.commits and hoodie.keep.max.commits): once it holds more than max, the
// oldest are archived down to min. min must be above the commits cleaning retains
// (WithCleanRetained) and below max. Default: 20 and 30, or, when WithCleanRetained(n) retains
// 20 or more, n+1 and n+11 (Hudi raises them the same way).
func WithArchiveKeep(min, max int) Option {
	return func(o *options) { o.keepMin, o.keepMax, o.keepSet = min, max, true }
}

// WithAutoArchive turns archiving after every successful commit on or off (Hudi's
// hoodie.archive.automatic; default off here, unlike Hudi). Archive archives on demand either
// way.
func WithAutoArchive(on bool) Option { return func(o *options) { o.autoArchive = on } }

// WithArchiveGrace sets the grace period G of archiving (default 1 hour, at least 1 second).
// Instants are times of the Tables' clocks: archiving keeps the active timeline starting at a
// commit older than G, so it never archives past an instant younger than G, and rolls back
// only pending instants older than G; a writer gives up an attempt whose instant is older than
// G/2 before writing any of its files or deciding it, and redoes it under a new instant. The
// writers' and archivers' clocks must agree to well within G/2, and no single store request
// may take that long. See the package doc, Archiving.
func WithArchiveGrace(d time.Duration) Option { return func(o *options) { o.grace = d } }

// WithMaxAttempts sets how often Write rewrites its files after losing a race to a concurrent
// commit before it gives up (default 10).
func WithMaxAttempts(n int) Option { return func(o *options) { o.maxAttempts = n } }

// WithKeyCache shares a cache of base files' record keys with other Tables on the same store,
// for instance those a long-lived process opens one after another (default: a cache of
// 32 MiB of this Table's own).
func WithKeyCache(c *KeyCache) Option { return func(o *options) { o.keys = c } }

const defaultKeyCache = 32 << 20

func newOptions(opts []Option) (options, error) {
	o := options{
		clock:       time.Now,
		ids:         func() string { return uuid.NewString() },
		logger:      slog.Default(),
		maxFile:     defaultMaxFile,
		smallFile:   defaultSmallFile,
		maxAttempts: 10,
		retained:    defaultRetained,
		autoClean:   true,
		grace:       defaultArchiveGrace,
	}
	for _, opt := range opts {
		opt(&o)
	}
	switch {
	case o.clock == nil || o.ids == nil || o.logger == nil:
		return o, errors.New("nil clock, id generator or logger")
	case o.maxFile < minFileSize || o.maxFile > maxFileSize || o.smallFile < 0 || o.smallFile > o.maxFile:
		return o, fmt.Errorf("file sizes %d/%d: want 1 KiB <= max <= 1 GiB and 0 <= small <= max", o.maxFile, o.smallFile)
	case o.grace < time.Second:
		return o, fmt.Errorf("archive grace %v: want at least 1s", o.grace)
	case o.maxAttempts < 1:
		return o, fmt.Errorf("max attempts %d: want at least 1", o.maxAttempts)
	case o.retained < 1 || o.retained > maxRetained:
		return o, fmt.Errorf("commits retained by cleaning %d: want 1 to %d", o.retained, maxRetained)
	case o.keepSet && (o.keepMin <= o.retained || o.keepMax <= o.keepMin || o.keepMax > maxKeep):
		return o, fmt.Errorf("commits kept by archiving %d/%d: want commits retained by cleaning (%d) < min < max <= %d",
			o.keepMin, o.keepMax, o.retained, maxKeep)
	case strings.ContainsFunc(o.writerID, func(r rune) bool { return r < 0x20 || r == 0x7f }) || len(o.writerID) > 128:
		return o, errors.New("writer id: control characters or longer than 128 bytes")
	}
	if o.writerID == "" {
		o.writerID = "w-" + uuid.NewString()[:8]
	}
	if !o.keepSet {
		o.keepMin, o.keepMax = defaultKeepMin, defaultKeepMax
		if o.keepMin <= o.retained { // as Hudi's ArchivalUtils raises them
			o.keepMin, o.keepMax = o.retained+1, o.retained+1+defaultKeepMax-defaultKeepMin
		}
	}
	return o, nil
}

// descriptor is fcsync's record of a table's configuration (.hoodie/.aux/fcsync/table.json).
type descriptor struct {
	Format int    `json:"format"`
	Config Config `json:"config"`
}

// Table is a Hudi table on a store. Tables opened on tables fcsync did not create (Spark's) are
// read-only. A Table is safe for concurrent use; several Tables (processes) may write one table
// at the same time.
type Table struct {
	store objstore.Store
	root  string
	o     options
	props properties
	cfg   *Config    // nil: not created by fcsync, read-only
	log   *state.Log // the commit log; nil when read-only
	// timelineDir is the folder of a table version 8 timeline (read-only tables); "" for
	// versions 5 and 6, whose timeline is .hoodie/ itself.
	timelineDir string

	mu          sync.Mutex
	columns     []schema.Column
	lastInstant string
	committed   map[string]bool // final commit status of instants below a known log head
	partitions  map[string]bool // partitions known to have partition metadata
	keys        *KeyCache
	arch        archiveState       // the archived timeline as last read
	archCommits map[int64][]string // completed commits per archive version read
}

// Detect reports whether root holds a Hudi table (.hoodie/hoodie.properties exists).
func Detect(ctx context.Context, store objstore.Store, root string) bool {
	if store == nil || validRoot(root) != nil {
		return false
	}
	_, ok, err := getOptional(ctx, store, joinKey(root, propertiesFile))
	return err == nil && ok
}

func validRoot(root string) error {
	if root == "" {
		return nil
	}
	if err := objstore.ValidKey(root); err != nil {
		return fmt.Errorf("table root: %w", err)
	}
	return nil
}

// Create creates the table described by cfg at root, or opens it if a table with the same name,
// record key, precombine field and partitioning is already there (columns may differ: Write
// evolves the schema). hoodie.properties is written with create-if-absent, so concurrent Creates
// are safe. A different table at root is an error wrapping ErrIncompatible.
func Create(ctx context.Context, store objstore.Store, root string, cfg Config, opts ...Option) (*Table, error) {
	if store == nil {
		return nil, errors.New("hudi: nil store")
	}
	if err := validRoot(root); err != nil {
		return nil, fmt.Errorf("hudi: %w", err)
	}
	c, err := cfg.normalized()
	if err != nil {
		return nil, fmt.Errorf("hudi %s: config: %w", root, err)
	}
	o, err := newOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("hudi %s: %w", root, err)
	}
	where := "hudi " + root
	_, hasProps, err := getOptional(ctx, store, joinKey(root, propertiesFile))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	desc, err := json.Marshal(descriptor{Format: descFormat, Config: c})
	if err != nil {
		return nil, fmt.Errorf("%s: encode table descriptor: %w", where, err)
	}
	existing, hasDesc, err := getOptional(ctx, store, joinKey(root, descriptorFile))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	switch {
	case hasProps && !hasDesc:
		return nil, fmt.Errorf("%s: %w: a Hudi table not created by fcsync is there", where, ErrIncompatible)
	case !hasDesc:
		err := store.CreateIfAbsent(ctx, joinKey(root, descriptorFile), desc)
		if errors.Is(err, objstore.ErrExists) { // a concurrent Create
			existing, hasDesc, err = getOptional(ctx, store, joinKey(root, descriptorFile))
			if err == nil && !hasDesc {
				err = errors.New("table descriptor vanished")
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s: create table descriptor: %w", where, err)
		}
	}
	if hasDesc {
		other, err := parseDescriptor(existing)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if diff := c.sameShape(other); diff != "" {
			return nil, fmt.Errorf("%s: %w: %s", where, ErrIncompatible, diff)
		}
		c = *other
	}
	if !hasProps {
		props := c.tableProperties().encode(propertiesComment(o.clock()))
		if err := store.CreateIfAbsent(ctx, joinKey(root, propertiesFile), props); err != nil && !errors.Is(err, objstore.ErrExists) {
			return nil, fmt.Errorf("%s: create hoodie.properties: %w", where, err)
		}
	}
	return open(ctx, store, root, o)
}

// Open opens the table at root. Tables not created by fcsync (e.g. by Spark) open read-only.
func Open(ctx context.Context, store objstore.Store, root string, opts ...Option) (*Table, error) {
	if store == nil {
		return nil, errors.New("hudi: nil store")
	}
	if err := validRoot(root); err != nil {
		return nil, fmt.Errorf("hudi: %w", err)
	}
	o, err := newOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("hudi %s: %w", root, err)
	}
	return open(ctx, store, root, o)
}

func open(ctx context.Context, store objstore.Store, root string, o options) (*Table, error) {
	where := "hudi " + root
	data, ok, err := getOptional(ctx, store, joinKey(root, propertiesFile))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	if !ok {
		return nil, fmt.Errorf("%s: %w: no %s", where, ErrNotTable, propertiesFile)
	}
	props, err := parseProperties(data)
	if err != nil {
		return nil, fmt.Errorf("%s: hoodie.properties: %w", where, err)
	}
	if typ := props[propTableType]; typ != "" && typ != tableTypeCOW {
		return nil, fmt.Errorf("%s: table type %s is not supported (only %s)", where, typ, tableTypeCOW)
	}
	v := props[propTableVersion]
	if v != supportedVersion && v != supportedVersion5 && v != readVersion8 {
		return nil, fmt.Errorf("%s: table version %q is not supported (5, 6 and, to read, 8 are)", where, v)
	}
	t := &Table{store: store, root: root, o: o, props: props,
		committed: map[string]bool{}, partitions: map[string]bool{}, keys: o.keys, archCommits: map[int64][]string{}}
	if t.keys == nil {
		t.keys = NewKeyCache(defaultKeyCache)
	}
	desc, hasDesc, err := getOptional(ctx, store, joinKey(root, descriptorFile))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	if hasDesc && v == readVersion8 {
		return nil, fmt.Errorf("%s: table version 8 with fcsync's descriptor: fcsync writes version 6 only", where)
	}
	if v == readVersion8 {
		// Hudi 1.x: the timeline lives in its own folder, completed instants are named
		// <requested>_<completed>.<action>, their metadata is Avro.
		t.timelineDir = hoodieDir + "/" + cmp.Or(props[propTimelinePath], "timeline")
	}
	if hasDesc {
		c, err := parseDescriptor(desc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		t.cfg = c
		t.columns = c.Columns
		t.log = state.New(prefixStore{s: store, prefix: joinKey(root, auxDir) + "/"}, logScope,
			state.WithWriterID(o.writerID), state.WithKeep(logKeep))
		if _, err := t.head(ctx); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
	}
	return t, nil
}

func parseDescriptor(data []byte) (*Config, error) {
	var d descriptor
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("table descriptor %s: %w", descriptorFile, err)
	}
	if d.Format != descFormat {
		return nil, fmt.Errorf("table descriptor %s: format %d is not supported", descriptorFile, d.Format)
	}
	c, err := d.Config.normalized()
	if err != nil {
		return nil, fmt.Errorf("table descriptor %s: %w", descriptorFile, err)
	}
	return &c, nil
}

// Root returns the table's key prefix on the store.
func (t *Table) Root() string { return t.root }

// Name returns hoodie.table.name.
func (t *Table) Name() string { return t.props[propTableName] }

// Writable reports whether fcsync created the table and can write it.
func (t *Table) Writable() bool { return t.cfg != nil }

// Config returns the table's configuration with its current (evolved) columns; the zero
// Config for a read-only table.
func (t *Table) Config() Config {
	if t.cfg == nil {
		return Config{}
	}
	c := *t.cfg
	c.Columns = t.Columns()
	return c
}

// Columns returns the current (evolved) data columns as of the last read of the commit log; nil
// for a read-only table.
func (t *Table) Columns() []schema.Column {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.columns)
}

// Checkpoints returns the source checkpoints committed so far: for every source key (such as
// "orders/3") the next offset to read. The map is a copy.
func (t *Table) Checkpoints(ctx context.Context) (map[string]int64, error) {
	if t.log == nil {
		return nil, fmt.Errorf("hudi %s: %w", t.root, errReadOnly)
	}
	h, err := t.head(ctx)
	if err != nil {
		return nil, fmt.Errorf("hudi %s: %w", t.root, err)
	}
	cp := maps.Clone(h.state.Checkpoints)
	if cp == nil {
		cp = map[string]int64{}
	}
	return cp, nil
}

var errReadOnly = errors.New("table was not created by fcsync and is read-only")

// prefixStore is a Store whose keys live under a prefix of another store (the commit log lives
// inside the table's .hoodie/.aux/fcsync/).
type prefixStore struct {
	s      objstore.Store
	prefix string // ends in "/"
}

func (p prefixStore) Get(ctx context.Context, key string) ([]byte, error) {
	return p.s.Get(ctx, p.prefix+key)
}

func (p prefixStore) Put(ctx context.Context, key string, data []byte) error {
	return p.s.Put(ctx, p.prefix+key, data)
}

func (p prefixStore) CreateIfAbsent(ctx context.Context, key string, data []byte) error {
	return p.s.CreateIfAbsent(ctx, p.prefix+key, data)
}

func (p prefixStore) Delete(ctx context.Context, key string) error {
	return p.s.Delete(ctx, p.prefix+key)
}

func (p prefixStore) List(ctx context.Context, prefix, after string, limit int) ([]string, string, error) {
	if after != "" {
		after = p.prefix + after
	}
	keys, next, err := p.s.List(ctx, p.prefix+prefix, after, limit)
	if err != nil {
		return nil, "", err
	}
	for i, k := range keys {
		keys[i] = strings.TrimPrefix(k, p.prefix)
	}
	return keys, strings.TrimPrefix(next, p.prefix), nil
}
