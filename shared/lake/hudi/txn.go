package hudi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schema"
)

// The commit log (see doc.go): every version of the state log at .hoodie/.aux/fcsync/state/commits
// is one decided commit and carries the table's state after it.

// logState is the data of one commit log version.
type logState struct {
	Instant     string           `json:"instant,omitempty"`     // this commit's instant
	Prev        string           `json:"prev,omitempty"`        // the previous commit's instant
	Checkpoints map[string]int64 `json:"checkpoints,omitempty"` // cumulative source checkpoints
	Columns     []schema.Column  `json:"columns"`               // table columns after this commit
	Recent      []recentCommit   `json:"recent,omitempty"`      // the last commits, oldest first
	Commit      json.RawMessage  `json:"commit,omitempty"`      // the .commit file of this commit
}

// recentCommit names a commit by its log version.
type recentCommit struct {
	Seq     int64  `json:"seq"`
	Instant string `json:"instant"`
}

// The log lists the last maxRecent commits, or more for cleaning (the retained commits and one),
// up to maxRecentForCleaning; cleaning retaining more than that reads the whole timeline.
const (
	maxRecent            = 32
	maxRecentForCleaning = 1001
)

// logHead is the newest commit log version.
type logHead struct {
	number int64
	state  logState
}

// head loads the newest log version. An empty log starts from the table's timeline: the newest
// completed commit (and the checkpoints and columns it records), so instants keep increasing.
func (t *Table) head(ctx context.Context) (*logHead, error) {
	v, err := t.log.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("commit log: %w", err)
	}
	h := &logHead{number: v.Number}
	if v.Number == 0 {
		if err := t.bootstrap(ctx, &h.state); err != nil {
			return nil, err
		}
	} else if err := json.Unmarshal(v.Data, &h.state); err != nil {
		return nil, fmt.Errorf("commit log version %d: %w", v.Number, err)
	}
	if len(h.state.Columns) == 0 {
		h.state.Columns = t.cfg.Columns
	}
	t.mu.Lock()
	t.columns = h.state.Columns
	t.mu.Unlock()
	return h, nil
}

func (t *Table) bootstrap(ctx context.Context, st *logState) error {
	tl, err := loadTimeline(ctx, t.store, t.root)
	if err != nil {
		return err
	}
	if len(tl.completed) == 0 {
		return nil
	}
	st.Instant = tl.completed[len(tl.completed)-1]
	data, err := t.store.Get(ctx, t.instantKey(st.Instant, suffixCommit))
	if err != nil {
		return fmt.Errorf("read commit %s: %w", st.Instant, err)
	}
	m, err := parseCommit(data)
	if err != nil {
		return fmt.Errorf("commit %s: %w", st.Instant, err)
	}
	if cp := m.ExtraMetadata[extraCheckpoints]; cp != "" {
		if err := json.Unmarshal([]byte(cp), &st.Checkpoints); err != nil {
			return fmt.Errorf("commit %s: %s: %w", st.Instant, extraCheckpoints, err)
		}
	}
	if cols := m.ExtraMetadata[extraColumns]; cols != "" {
		if err := json.Unmarshal([]byte(cols), &st.Columns); err != nil {
			return fmt.Errorf("commit %s: %s: %w", st.Instant, extraColumns, err)
		}
	}
	return nil
}

func (t *Table) instantKey(instant, suffix string) string {
	return joinKey(t.root, hoodieDir+"/"+instant+suffix)
}

// publish makes sure the head's .commit file exists: its writer may have stopped between
// deciding the commit in the log and writing the file. Its writer almost always wrote it, so
// publish looks it up first: an existing file costs a stat (a HEAD) instead of writing a
// temporary file or uploading a body that the store then refuses (a new Table per function
// invocation did that on every batch).
func (t *Table) publish(ctx context.Context, h *logHead) error {
	return t.publishCommit(ctx, h, true)
}

// publishCommit is publish; lookFirst is false for a commit this Table just decided, whose
// .commit cannot exist yet.
func (t *Table) publishCommit(ctx context.Context, h *logHead, lookFirst bool) error {
	if h.state.Instant == "" || len(h.state.Commit) == 0 {
		return nil
	}
	t.mu.Lock()
	done := t.committed[h.state.Instant]
	t.mu.Unlock()
	if done {
		return nil
	}
	key := t.instantKey(h.state.Instant, suffixCommit)
	exists := false
	if lookFirst {
		_, err := objstore.Size(ctx, t.store, key)
		exists = err == nil // absent, or the store failed: create it
	}
	if !exists {
		err := t.store.CreateIfAbsent(ctx, key, h.state.Commit)
		if err != nil && !errors.Is(err, objstore.ErrExists) {
			return fmt.Errorf("publish commit %s: %w", h.state.Instant, err)
		}
	}
	t.mu.Lock()
	t.committed[h.state.Instant] = true
	t.mu.Unlock()
	return nil
}

// isCommitted reports whether instant is a completed commit as seen from the log head whose
// instant is head: the head itself is; instants above it are not (yet); an instant below it is
// if its .commit exists or the archived timeline records it as a completed commit. The answer
// for instants below a head is final and cached: every
// decided commit below the head has its .commit, and an undecided instant below the head can
// never commit (commit instants increase).
func (t *Table) isCommitted(ctx context.Context, head, instant string) (bool, error) {
	switch {
	case head == "" || instant > head:
		return false, nil
	case instant == head:
		return true, nil
	}
	t.mu.Lock()
	ok, known := t.committed[instant]
	t.mu.Unlock()
	if known {
		return ok, nil
	}
	key := t.instantKey(instant, suffixCommit)
	keys, _, err := t.store.List(ctx, key, "", 2)
	if err != nil {
		return false, fmt.Errorf("look up commit %s: %w", instant, err)
	}
	ok = len(keys) > 0 && keys[0] == key
	if !ok {
		// Archived? The archive file is written before the .commit is deleted, so having seen
		// no .commit the archive read now records the instant if it was archived.
		if ok, err = t.isArchived(ctx, instant); err != nil {
			return false, fmt.Errorf("look up commit %s: %w", instant, err)
		}
	}
	t.mu.Lock()
	t.committed[instant] = ok
	t.mu.Unlock()
	return ok, nil
}

// partitionSlices returns the newest committed base file of every file group in a partition as
// of the log head.
func (t *Table) partitionSlices(ctx context.Context, partition, head string) ([]fileSlice, error) {
	var files []fileSlice
	if err := listBaseFiles(ctx, t.store, t.root, partition, true, func(p string, n baseFileName) {
		files = append(files, fileSlice{partition: p, name: n})
	}); err != nil {
		return nil, err
	}
	status := map[string]bool{}
	for _, f := range files {
		if _, ok := status[f.name.instant]; ok {
			continue
		}
		ok, err := t.isCommitted(ctx, head, f.name.instant)
		if err != nil {
			return nil, err
		}
		status[f.name.instant] = ok
	}
	return latestSlices(files, func(i string) bool { return status[i] }), nil
}

// errSliceGone is wrapped by errors reading a base file that does not exist (any more).
var errSliceGone = errors.New("base file is gone")

// readError wraps the error of reading the base file rel, marking a missing one with
// errSliceGone.
func readError(rel string, err error) error {
	if errors.Is(err, objstore.ErrNotFound) {
		return fmt.Errorf("read base file %s: %w: %w", rel, errSliceGone, err)
	}
	return fmt.Errorf("read base file %s: %w", rel, err)
}

// sliceCleaned reports whether err is a base file that vanished while commits landed on top of
// base. A clean deletes a file only once a newer committed version of its file group exists,
// so an attempt planned on it would lose to that commit anyway: it is redone, not failed.
func (t *Table) sliceCleaned(ctx context.Context, err error, base *logHead) bool {
	if !errors.Is(err, errSliceGone) {
		return false
	}
	h, herr := t.head(ctx)
	return herr == nil && h.number != base.number
}

// fileKeys are the record keys of one base file, in file order, all sharing one backing string
// (so a cached file's keys keep nothing else alive), with their range.
type fileKeys struct {
	keys     []string
	min, max string
	size     int64 // bytes of the file
	text     int64 // bytes of the keys
}

// newFileKeys copies keys into one string and notes their range. keys is reused.
func newFileKeys(keys []string, size int64) *fileKeys {
	n := 0
	for _, k := range keys {
		n += len(k)
	}
	var sb strings.Builder
	sb.Grow(n)
	for _, k := range keys {
		sb.WriteString(k)
	}
	all, at := sb.String(), 0
	f := &fileKeys{keys: keys, size: size, text: int64(n)}
	for i, k := range keys {
		k = all[at : at+len(k)]
		keys[i] = k
		at += len(k)
		switch {
		case i == 0:
			f.min, f.max = k, k
		case k > f.max: // one comparison per key when they ascend
			f.max = k
		case k < f.min:
			f.min = k
		}
	}
	return f
}

// outside reports whether no key of the file lies in [lo, hi].
func (f *fileKeys) outside(lo, hi string) bool {
	return len(f.keys) == 0 || f.max < lo || f.min > hi
}

func (f *fileKeys) footprint() int64 {
	return 64 + 16*int64(len(f.keys)) + f.text
}

// KeyCache keeps the record keys of base files within a byte budget, evicting the oldest
// entries. Base files are immutable, so keys are cached by path: a KeyCache shared by the Tables
// a process opens on one store (WithKeyCache) spares each of them reading the base files the
// others read or wrote. Upserts need the keys of every base file of the partitions they write.
type KeyCache struct {
	mu     sync.Mutex
	max    int64
	used   int64
	m      map[string]*fileKeys
	order  []string
	newest map[string]string // file group (directory and file id) -> its cached version
}

// NewKeyCache makes a cache holding up to maxBytes of keys. It keeps one version per file
// group, the newest it was given: a top-up's new version replaces the stored one.
func NewKeyCache(maxBytes int64) *KeyCache {
	return &KeyCache{max: maxBytes, m: map[string]*fileKeys{}, newest: map[string]string{}}
}

// fileGroupOf returns the file group of a base file path and its instant.
func fileGroupOf(key string) (group, instant string, ok bool) {
	dir, name := path.Split(key)
	bn, ok := parseBaseFileName(name)
	return dir + bn.fileID, bn.instant, ok
}

// remove drops a cached entry (c.mu held).
func (c *KeyCache) remove(key string) {
	f, ok := c.m[key]
	if !ok {
		return
	}
	c.used -= f.footprint()
	delete(c.m, key)
	if i := slices.Index(c.order, key); i >= 0 {
		c.order = slices.Delete(c.order, i, i+1)
	}
	if g, _, ok := fileGroupOf(key); ok && c.newest[g] == key {
		delete(c.newest, g)
	}
}

func (c *KeyCache) get(key string) *fileKeys {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[key]
}

func (c *KeyCache) put(key string, f *fileKeys) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[key]; ok {
		return
	}
	n := f.footprint()
	if n > c.max {
		return
	}
	group, instant, grouped := fileGroupOf(key)
	if grouped {
		if have, ok := c.newest[group]; ok {
			if _, haveInstant, _ := fileGroupOf(have); haveInstant > instant {
				return // an older version: the newer one is what writers route by
			}
			c.remove(have)
		}
	}
	for c.used+n > c.max && len(c.order) > 0 {
		c.remove(c.order[0])
	}
	c.m[key] = f
	c.order = append(c.order, key)
	c.used += n
	if grouped {
		c.newest[group] = key
	}
}

// keysOf returns the record keys of a base file (path relative to the table root).
func (t *Table) keysOf(ctx context.Context, rel string) (*fileKeys, error) {
	f, _, err := t.keysAndData(ctx, rel)
	return f, err
}

// keysAndData is keysOf that also returns the file's bytes when it read them whole (nil when
// the keys were cached or read by ranges). A file up to wholeRead bytes is read in one request;
// of a bigger one only the footer and the record key column's chunks are read (its size comes
// from objstore.Size), so routing a cold instance's first batch does not hold base files of up
// to the maximum file size in memory.
func (t *Table) keysAndData(ctx context.Context, rel string) (*fileKeys, []byte, error) {
	key := joinKey(t.root, rel)
	if f := t.keys.get(key); f != nil {
		return f, nil, nil
	}
	_, ranged := t.store.(objstore.RangeGetter)
	_, sized := t.store.(objstore.Sizer)
	var head []byte
	var err error
	if ranged && sized {
		head, err = objstore.GetRange(ctx, t.store, key, 0, wholeRead)
	} else {
		head, err = t.store.Get(ctx, key) // a store without ranges: one read of all of it
	}
	if err != nil {
		return nil, nil, readError(rel, err)
	}
	var bf *baseFile
	var size int64
	var data []byte
	if len(head) < wholeRead || !ranged || !sized {
		data, size = head, int64(len(head))
		bf, err = openParquet(data)
	} else {
		if size, err = objstore.Size(ctx, t.store, key); err != nil {
			return nil, nil, readError(rel, err)
		}
		sf := &storedFile{ctx: ctx, store: t.store, key: key, size: size, spans: []fetched{{off: 0, data: head}}}
		if bf, err = openParquetAt(sf, size); err == nil {
			err = sf.prefetchColumn(bf, metaColumns[metaRecordKey])
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("base file %s: %w", rel, err)
	}
	keys, err := bf.recordKeys()
	if err != nil {
		return nil, nil, fmt.Errorf("base file %s: %w", rel, err)
	}
	f := newFileKeys(keys, size)
	t.keys.put(key, f)
	return f, data, nil
}

// wholeRead is the size up to which a base file's keys are read with the whole file.
const wholeRead = 256 << 10

// instantMarks are the timeline files of one instant.
type instantMarks struct {
	requested, inflight, commit          bool // .commit.requested, .inflight, .commit
	cleanRequested, cleanInflight, clean bool // .clean.requested, .clean.inflight, .clean
}

// timelineScan is the instants of a part of the timeline, ascending.
type timelineScan struct {
	marks    map[string]*instantMarks
	order    []string
	archived bool // .hoodie/archived holds archive files (seen only when the scan reaches it)
}

// scanTimeline lists the instants above from ("": all) and below upto ("": no bound).
func (t *Table) scanTimeline(ctx context.Context, from, upto string) (*timelineScan, error) {
	prefix := joinKey(t.root, hoodieDir) + "/"
	after := prefix + "/" // skips .aux/ and the like ('.' sorts before '/')
	if from != "" {
		after = prefix + from + "/"
	}
	tl := &timelineScan{marks: map[string]*instantMarks{}}
	for {
		keys, next, err := t.store.List(ctx, prefix, after, listPage)
		if err != nil {
			return nil, fmt.Errorf("list timeline: %w", err)
		}
		for _, k := range keys {
			name := strings.TrimPrefix(k, prefix)
			if name == "" || name[0] > '9' {
				// archived/, hoodie.properties: past the instants
				tl.archived = strings.HasPrefix(name, "archived/") && strings.Contains(name, archiveFilePrefix)
				return tl, nil
			}
			instant, action, ok := strings.Cut(name, ".")
			if !ok || strings.Contains(name, "/") || !validInstant(instant) {
				continue
			}
			if upto != "" && instant >= upto {
				return tl, nil
			}
			m := tl.marks[instant]
			if m == nil {
				m = &instantMarks{}
				tl.marks[instant] = m
				tl.order = append(tl.order, instant)
			}
			switch action {
			case "commit":
				m.commit = true
			case "commit.requested":
				m.requested = true
			case "inflight":
				m.inflight = true
			case "clean":
				m.clean = true
			case "clean.requested":
				m.cleanRequested = true
			case "clean.inflight":
				m.cleanInflight = true
			}
		}
		if next == "" {
			return tl, nil
		}
		after = next
	}
}

// rollbackDead removes commit instants in (from, upto) that have a .commit.requested or
// .inflight but no .commit, with the data files their .inflight lists. They can never complete:
// every instant below a decided commit's is decided or dead. Errors are only logged: this is
// housekeeping, and readers ignore such files anyway.
func (t *Table) rollbackDead(ctx context.Context, from, upto string) {
	tl, err := t.scanTimeline(ctx, from, upto)
	if err != nil {
		t.o.logger.Warn("hudi: rollback scan", "table", t.root, "err", err)
		return
	}
	for _, instant := range tl.order {
		if m := tl.marks[instant]; !m.commit && (m.requested || m.inflight) {
			if err := t.rollback(ctx, instant, nil); err != nil {
				t.o.logger.Warn("hudi: roll back dead instant", "table", t.root, "instant", instant, "err", err)
			} else {
				t.o.logger.Info("hudi: rolled back dead instant", "table", t.root, "instant", instant)
			}
		}
	}
}

// rollback deletes an uncommitted instant: its data files (those listed in its .inflight plus
// extra), then .inflight, then .commit.requested. Only files named with the instant are deleted.
func (t *Table) rollback(ctx context.Context, instant string, extra []string) error {
	paths := extra
	data, ok, err := getOptional(ctx, t.store, t.instantKey(instant, suffixInflight))
	if err != nil {
		return err
	}
	if ok {
		if m, err := parseCommit(data); err == nil {
			for _, stats := range m.PartitionToWriteStats {
				for _, s := range stats {
					if s.Path != nil {
						paths = append(paths, *s.Path)
					}
				}
			}
		}
	}
	for _, p := range paths {
		if bn, ok := parseBaseFileName(path.Base(p)); !ok || bn.instant != instant || objstore.ValidKey(p) != nil {
			continue
		}
		if err := t.store.Delete(ctx, joinKey(t.root, p)); err != nil {
			return err
		}
	}
	if err := t.store.Delete(ctx, t.instantKey(instant, suffixInflight)); err != nil {
		return err
	}
	return t.store.Delete(ctx, t.instantKey(instant, suffixRequested))
}
