package hudi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fcsync/fcsync/shared/objstore"
)

// Archiving moves old instants out of the active timeline (.hoodie/) into Hudi log files under
// .hoodie/archived, as Hudi's HoodieTimelineArchiver does for table version 6 (see the package
// doc, Archiving).

const (
	archiveDir        = hoodieDir + "/archived"
	archiveFilePrefix = ".commits_.archive."
	// archiveWriteToken is HoodieLogFormat.UNKNOWN_WRITE_TOKEN, the token Hudi's archiver names
	// its files with (its writer rolls over to a new version on stores without append).
	archiveWriteToken = "1-0-1"
	archiveHint       = auxDir + "/archive.json"
	// archiveBatch is hoodie.commits.archival.batch: records per log block.
	archiveBatch = 10
	// defaultArchiveGrace is the grace period of archiving (WithArchiveGrace).
	defaultArchiveGrace = time.Hour
	defaultKeepMin      = 20
	defaultKeepMax      = 30
	maxKeep             = 100000
	// rollingStatKey is HoodieRollingStatMetadata.ROLLING_STAT_METADATA_KEY: Hudi's commit
	// metadata conversion for the archive puts it into extraMetadata with an empty value.
	rollingStatKey = "ROLLING_STAT"
)

func archiveFileName(version int64) string {
	return archiveFilePrefix + strconv.FormatInt(version, 10) + "_" + archiveWriteToken
}

// avroStr is a string type as Hudi's generated Avro classes print it.
const avroStr = `{"type":"string","avro.java.string":"String"}`

// commitMetadataAvro is org.apache.hudi.avro.model.HoodieCommitMetadata with HoodieWriteStat,
// field for field as Hudi's generated classes declare them (every field of every version fcsync
// knows of; a reader resolves them against its own and skips what it lacks).
const commitMetadataAvro = `{"type":"record","name":"HoodieCommitMetadata","namespace":"org.apache.hudi.avro.model","fields":[` +
	`{"name":"partitionToWriteStats","type":["null",{"type":"map","values":{"type":"array","items":{"type":"record","name":"HoodieWriteStat","fields":[` +
	`{"name":"fileId","type":["null",` + avroStr + `],"default":null},` +
	`{"name":"path","type":["null",` + avroStr + `],"default":null},` +
	`{"name":"prevCommit","type":["null",` + avroStr + `],"default":null},` +
	`{"name":"numWrites","type":["null","long"],"default":null},` +
	`{"name":"numDeletes","type":["null","long"],"default":null},` +
	`{"name":"numUpdateWrites","type":["null","long"],"default":null},` +
	`{"name":"totalWriteBytes","type":["null","long"],"default":null},` +
	`{"name":"totalWriteErrors","type":["null","long"],"default":null},` +
	`{"name":"partitionPath","type":["null",` + avroStr + `],"default":null},` +
	`{"name":"totalLogRecords","type":["null","long"],"default":null},` +
	`{"name":"totalLogFiles","type":["null","long"],"default":null},` +
	`{"name":"totalUpdatedRecordsCompacted","type":["null","long"],"default":null},` +
	`{"name":"numInserts","type":["null","long"],"default":null},` +
	`{"name":"totalLogBlocks","type":["null","long"],"default":null},` +
	`{"name":"totalCorruptLogBlock","type":["null","long"],"default":null},` +
	`{"name":"totalRollbackBlocks","type":["null","long"],"default":null},` +
	`{"name":"fileSizeInBytes","type":["null","long"],"default":null},` +
	`{"name":"logVersion","type":["null","int"],"default":null},` +
	`{"name":"logOffset","type":["null","long"],"default":null},` +
	`{"name":"baseFile","type":["null",` + avroStr + `],"default":null},` +
	`{"name":"logFiles","type":["null",{"type":"array","items":` + avroStr + `}],"default":null},` +
	`{"name":"cdcStats","type":["null",{"type":"map","values":"long","avro.java.string":"String"}],"default":null},` +
	`{"name":"minEventTime","type":["null","long"],"default":null},` +
	`{"name":"maxEventTime","type":["null","long"],"default":null},` +
	`{"name":"runtimeStats","type":["null",{"type":"record","name":"HoodieRuntimeStats","fields":[` +
	`{"name":"totalScanTime","type":["null","long"],"default":null},` +
	`{"name":"totalCreateTime","type":["null","long"],"default":null},` +
	`{"name":"totalUpsertTime","type":["null","long"],"default":null}]}],"default":null},` +
	`{"name":"totalLogFilesCompacted","type":["null","long"],"default":null},` +
	`{"name":"totalLogSizeCompacted","type":["null","long"],"default":null},` +
	`{"name":"tempPath","type":["null",` + avroStr + `],"default":null}]}},"avro.java.string":"String"}],"default":null},` +
	`{"name":"compacted","type":["null","boolean"],"default":null},` +
	`{"name":"extraMetadata","type":["null",{"type":"map","values":` + avroStr + `,"avro.java.string":"String"}],"default":null},` +
	`{"name":"version","type":["int","null"],"default":1},` +
	`{"name":"operationType","type":["null",` + avroStr + `],"default":null}]}`

// archivedEntrySchema is the writer schema of fcsync's archive blocks: the fields of
// org.apache.hudi.avro.model.HoodieArchivedMetaEntry that fcsync's instants fill, in Hudi's
// order. The other fields of Hudi's schema (compaction, rollback, savepoint, replace and index
// metadata, stateTransitionTime) are always null for these instants; a reader resolving this
// schema against its own HoodieArchivedMetaEntry gives them their default, null.
var archivedEntrySchema = `{"type":"record","name":"HoodieArchivedMetaEntry","namespace":"org.apache.hudi.avro.model","fields":[` +
	`{"name":"hoodieCommitMetadata","type":["null",` + commitMetadataAvro + `],"default":null},` +
	`{"name":"hoodieCleanMetadata","type":["null",` + cleanMetadataSchema + `],"default":null},` +
	`{"name":"commitTime","type":["null",` + avroStr + `],"default":null},` +
	`{"name":"actionType","type":["null",` + avroStr + `],"default":null},` +
	`{"name":"version","type":["int","null"],"default":1},` +
	`{"name":"hoodieCleanerPlan","type":["null",` + cleanerPlanSchema + `],"default":null},` +
	`{"name":"actionState","type":["null",` + avroStr + `],"default":null}]}`

var commitMetadataNode = func() *avroNode {
	n, err := parseAvroSchema(commitMetadataAvro)
	if err != nil {
		panic(err) // a constant
	}
	return n
}()

const (
	stateRequested = "REQUESTED"
	stateInflight  = "INFLIGHT"
	stateCompleted = "COMPLETED"
	actionCommit   = "commit"
	actionClean    = "clean"
)

// archiveRecord is one HoodieArchivedMetaEntry: an instant in one state, with its metadata as
// Avro binary of the nested record (nil: null).
type archiveRecord struct {
	instant, action, state string
	commit                 []byte // HoodieCommitMetadata
	cleanMeta              []byte // HoodieCleanMetadata
	cleanPlan              []byte // HoodieCleanerPlan
}

func (r *archiveRecord) encode() []byte {
	var e avroEncoder
	opt := func(b []byte) {
		if b == nil {
			e.long(0)
			return
		}
		e.long(1)
		e.b = append(e.b, b...)
	}
	opt(r.commit)
	opt(r.cleanMeta)
	e.long(1)
	e.str(r.instant)
	e.long(1)
	e.str(r.action)
	e.long(1) // version: null, as Hudi's archiver leaves it (new HoodieArchivedMetaEntry())
	opt(r.cleanPlan)
	e.long(1)
	e.str(r.state)
	return e.b
}

// encodeArchive is an archive file of the records: log blocks of archiveBatch records each.
func encodeArchive(recs []archiveRecord) []byte {
	var out []byte
	for batch := range slices.Chunk(recs, archiveBatch) {
		enc := make([][]byte, len(batch))
		for i := range batch {
			enc[i] = batch[i].encode()
		}
		out = append(out, encodeAvroDataBlock(archivedEntrySchema, enc)...)
	}
	return out
}

// commitMetadataRecord converts an instant file's commit metadata JSON to the Avro record Hudi
// archives (MetadataConversionUtils.convertCommitMetadata): the JSON's fields mapped by name,
// extraMetadata with ROLLING_STAT set to "". Empty content (a .commit.requested) is empty
// metadata: no write stats, compacted false, operation type UNKNOWN, as Hudi reads it.
func commitMetadataRecord(content []byte) ([]byte, error) {
	m := map[string]any{}
	if len(bytes.TrimSpace(content)) > 0 {
		d := json.NewDecoder(bytes.NewReader(content))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			return nil, fmt.Errorf("commit metadata: %w", err)
		}
	} else {
		m = map[string]any{"partitionToWriteStats": map[string]any{}, "compacted": false, "extraMetadata": map[string]any{}, "operationType": "UNKNOWN"}
	}
	extra, _ := m["extraMetadata"].(map[string]any)
	if extra == nil {
		extra = map[string]any{}
	}
	extra[rollingStatKey] = ""
	m["extraMetadata"] = extra
	delete(m, "version") // not a property of Hudi's commit metadata class: Hudi writes null
	var e avroEncoder
	if err := commitMetadataNode.encodeJSON(&e, m, 0); err != nil {
		return nil, fmt.Errorf("commit metadata: %w", err)
	}
	return e.b, nil
}

// ArchiveResult describes an archiving.
type ArchiveResult struct {
	// File is the archive file this call wrote ("" when nothing was archived).
	File string
	// Commits and Cleans are the instants it archived, ascending.
	Commits, Cleans []string
	// Finished counts the timeline files of instants an earlier, interrupted archiving had
	// archived that this call deleted.
	Finished int
}

// Archive archives the oldest instants when the active timeline holds more completed commits
// than hoodie.keep.max.commits (WithArchiveKeep), down to hoodie.keep.min.commits, and first
// completes an archiving that stopped half way. Write archives after every commit with
// WithAutoArchive(true). See the package doc.
func (t *Table) Archive(ctx context.Context) (ArchiveResult, error) {
	where := "hudi " + t.root + ": archive"
	if t.cfg == nil {
		return ArchiveResult{}, fmt.Errorf("%s: %w", where, errReadOnly)
	}
	h, err := t.head(ctx)
	if err != nil {
		return ArchiveResult{}, fmt.Errorf("%s: %w", where, err)
	}
	if err := t.publish(ctx, h); err != nil {
		return ArchiveResult{}, fmt.Errorf("%s: %w", where, err)
	}
	res, err := t.archive(ctx, h)
	if err != nil {
		return res, fmt.Errorf("%s: %w", where, err)
	}
	return res, nil
}

// archiveState is what a Table knows of the archived timeline: the newest archive file's
// version and the newest commit instant archived. Both only grow.
type archiveState struct {
	loaded  bool
	version int64
	upto    string
}

// archiveHintData is .hoodie/.aux/fcsync/archive.json, written after each archive file: where
// to start looking for the newest one without listing them all. It may lag behind, and it is
// only trusted as far as the file it names exists.
type archiveHintData struct {
	Version int64  `json:"version"`
	Upto    string `json:"upto"`
}

// maxArchiveVersion bounds the archive versions fcsync believes (a version near MaxInt64 would
// overflow the next one).
const maxArchiveVersion = 1 << 53

// archiveExists reports whether an archive file of version v exists.
func (t *Table) archiveExists(ctx context.Context, v int64) (bool, error) {
	if v <= 0 || v > maxArchiveVersion {
		return false, nil
	}
	keys, _, err := t.store.List(ctx, t.archiveKey(v), "", 1)
	if err != nil {
		return false, fmt.Errorf("list archive files: %w", err)
	}
	return len(keys) > 0, nil
}

// newestArchive finds the newest archive file's version (0: none): from the cached version or
// the hint, when the file it names exists, else by listing them all, then probing the next
// versions.
func (t *Table) newestArchive(ctx context.Context) (int64, error) {
	v := t.cachedArchive().version
	if v == 0 {
		data, ok, err := getOptional(ctx, t.store, joinKey(t.root, archiveHint))
		if err != nil {
			return 0, fmt.Errorf("read archive hint: %w", err)
		}
		var hint archiveHintData
		if ok && json.Unmarshal(data, &hint) == nil {
			if ok, err := t.archiveExists(ctx, hint.Version); err != nil {
				return 0, err
			} else if ok {
				v = hint.Version
			}
		}
	}
	if v == 0 {
		files, err := listArchiveFiles(ctx, t.store, t.root)
		if err != nil {
			return 0, err
		}
		for _, f := range files {
			if f.version > 0 && f.version <= maxArchiveVersion {
				v = f.version
			}
		}
	}
	for v > 0 && v < maxArchiveVersion {
		ok, err := t.archiveExists(ctx, v+1)
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		v++
	}
	return v, nil
}

// loadArchive finds the newest archive file and reads it, and older ones while none of them
// records a completed commit below head: it returns the state (upto is the newest archived
// completed commit below head) and the newest file's records below head.
func (t *Table) loadArchive(ctx context.Context, head string) (archiveState, []ArchivedInstant, error) {
	st := archiveState{loaded: true}
	v, err := t.newestArchive(ctx)
	if err != nil || v == 0 {
		return st, nil, err
	}
	st.version = v
	var newest []ArchivedInstant
	for ; v > 0; v-- {
		recs, err := t.readArchiveVersion(ctx, v)
		if err != nil {
			return st, nil, err
		}
		recs = slices.DeleteFunc(recs, func(r ArchivedInstant) bool { return r.Instant >= head })
		if v == st.version {
			newest = recs
		}
		for _, r := range recs {
			if r.Action == actionCommit && r.State == stateCompleted && r.Instant > st.upto {
				st.upto = r.Instant
			}
		}
		if st.upto != "" {
			break
		}
	}
	t.noteArchive(st)
	return st, newest, nil
}

// archiveKey is the prefix of archive files of a version: <root>/.hoodie/archived/.commits_.archive.<v>_
func (t *Table) archiveKey(version int64) string {
	return joinKey(t.root, archiveDir) + "/" + archiveFilePrefix + strconv.FormatInt(version, 10) + "_"
}

// maxArchiveFile bounds the size of an archive file fcsync reads (its own hold one archiving:
// tens of KiB).
const maxArchiveFile = 64 << 20

// readArchiveVersion reads the archive files of one version (normally one).
func (t *Table) readArchiveVersion(ctx context.Context, v int64) ([]ArchivedInstant, error) {
	keys, _, err := t.store.List(ctx, t.archiveKey(v), "", listPage)
	if err != nil {
		return nil, fmt.Errorf("list archive files: %w", err)
	}
	var out []ArchivedInstant
	for _, k := range keys {
		recs, err := readArchiveFile(ctx, t.store, k)
		if err != nil {
			return nil, err
		}
		out = append(out, recs...)
	}
	return out, nil
}

// readArchiveFile reads and decodes one archive file, refusing one above maxArchiveFile.
func readArchiveFile(ctx context.Context, s objstore.Store, key string) ([]ArchivedInstant, error) {
	name := key[strings.LastIndexByte(key, '/')+1:]
	if _, sized := s.(objstore.Sizer); sized {
		size, err := objstore.Size(ctx, s, key)
		if err != nil {
			return nil, fmt.Errorf("archive file %s: %w", name, err)
		}
		if size > maxArchiveFile {
			return nil, fmt.Errorf("archive file %s: %d bytes is more than the %d fcsync reads", name, size, maxArchiveFile)
		}
	}
	data, err := s.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("read archive file %s: %w", name, err)
	}
	if len(data) > maxArchiveFile {
		return nil, fmt.Errorf("archive file %s: %d bytes is more than the %d fcsync reads", name, len(data), maxArchiveFile)
	}
	recs, err := decodeArchiveFile(data)
	if err != nil {
		return nil, fmt.Errorf("archive file %s: %w", name, err)
	}
	return recs, nil
}

func (t *Table) noteArchive(st archiveState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.arch.loaded = true
	t.arch.version = max(t.arch.version, st.version)
	t.arch.upto = max(t.arch.upto, st.upto)
}

func (t *Table) cachedArchive() archiveState {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.arch
}

// archivedCommits returns the completed commit instants archive version v records, sorted,
// reading the version once per Table (archive files are written once).
func (t *Table) archivedCommits(ctx context.Context, v int64) ([]string, error) {
	t.mu.Lock()
	cs, ok := t.archCommits[v]
	t.mu.Unlock()
	if ok {
		return cs, nil
	}
	recs, err := t.readArchiveVersion(ctx, v)
	if err != nil {
		return nil, err
	}
	cs = []string{}
	for _, r := range recs {
		if r.Action == actionCommit && r.State == stateCompleted {
			cs = append(cs, r.Instant)
		}
	}
	slices.Sort(cs)
	cs = slices.Compact(cs)
	t.mu.Lock()
	t.archCommits[v] = cs
	t.mu.Unlock()
	return cs, nil
}

// isArchived reports whether the archived timeline records instant as a completed commit. An
// fcsync archive's versions hold ascending, disjoint ranges of commits, so a binary search over
// the versions reads a few files; a version without commits (not fcsync's) makes it read them
// all. The newest version is looked for anew on every call: the archive file is written before
// the archived .commit files are deleted, so a caller that saw no .commit finds the commit here
// if it was archived.
func (t *Table) isArchived(ctx context.Context, instant string) (bool, error) {
	newest, err := t.newestArchive(ctx)
	if err != nil {
		return false, err
	}
	return t.archivedIn(ctx, instant, newest)
}

// archivedIn is isArchived in the archive versions up to newest (found once for several
// instants by a caller that listed the timeline before: every commit whose .commit the listing
// missed was archived in a version that existed by then).
func (t *Table) archivedIn(ctx context.Context, instant string, newest int64) (bool, error) {
	if newest == 0 {
		return false, nil
	}
	t.noteArchive(archiveState{version: newest})
	lo, hi := int64(1), newest
	for lo <= hi {
		mid := lo + (hi-lo)/2
		cs, err := t.archivedCommits(ctx, mid)
		if err != nil {
			return false, err
		}
		switch {
		case len(cs) == 0:
			for v := newest; v > 0; v-- {
				cs, err := t.archivedCommits(ctx, v)
				if err != nil {
					return false, err
				}
				if _, ok := slices.BinarySearch(cs, instant); ok {
					return true, nil
				}
			}
			return false, nil
		case instant < cs[0]:
			hi = mid - 1
		case instant > cs[len(cs)-1]:
			lo = mid + 1
		default:
			_, ok := slices.BinarySearch(cs, instant)
			return ok, nil
		}
	}
	return false, nil
}

// timelineFile is one file of the active timeline.
type timelineFile struct {
	instant, suffix string
	completed       bool
}

// archive runs one archiving against the published log head h.
func (t *Table) archive(ctx context.Context, h *logHead) (ArchiveResult, error) {
	var res ArchiveResult
	head := h.state.Instant
	if head == "" {
		return res, nil
	}
	tl, err := t.scanTimeline(ctx, "", "")
	if err != nil {
		return res, err
	}
	var commits []string
	for _, i := range tl.order {
		if tl.marks[i].commit {
			commits = append(commits, i)
		}
	}
	cached := t.cachedArchive()
	leftover := tl.archived && (!cached.loaded || (len(commits) > 0 && commits[0] <= cached.upto))
	if len(commits) <= t.o.keepMax && !leftover {
		return res, nil
	}
	st, newest, err := t.loadArchive(ctx, head)
	if err != nil {
		return res, err
	}
	if st.version > 0 && st.upto == "" {
		// Archive files that record no commit below the head are not fcsync's (or are
		// damaged): what is archived, and so which base files are orphans, is unknown.
		return res, fmt.Errorf("%s records no completed commit below the log head %s: not archiving", archiveFileName(st.version), head)
	}
	// 1. Finish the newest archiving: delete what is left of the instants it archived, and
	// any .commit or .clean at or below the newest archived commit (a stalled writer or
	// cleaner re-published it).
	done := map[string]string{} // instant -> action, archived already (below the head)
	for _, r := range newest {
		done[r.Instant] = r.Action
	}
	var rest []timelineFile
	for _, i := range tl.order {
		m := tl.marks[i]
		switch {
		case done[i] == actionCommit || (m.commit && st.upto != "" && i <= st.upto):
			rest = append(rest, commitFiles(i, m)...)
			m.requested, m.inflight, m.commit = false, false, false
		case done[i] == actionClean || (m.clean && st.upto != "" && i <= st.upto):
			// A clean at or below the newest archived commit was archived with it (or, if a
			// stalled cleaner completed it since, is of no use to readers): never again.
			rest = append(rest, cleanFiles(i, m)...)
			m.cleanRequested, m.cleanInflight, m.clean = false, false, false
		}
	}
	if len(rest) > 0 {
		if err := t.deleteTimelineFiles(ctx, rest); err != nil {
			return res, fmt.Errorf("finish archiving %s: %w", archiveFileName(st.version), err)
		}
		res.Finished = len(rest)
		t.o.logger.Info("hudi: finished an interrupted archiving", "table", t.root, "file", archiveFileName(st.version), "deleted", len(rest))
	}
	commits = commits[:0]
	for _, i := range tl.order {
		if tl.marks[i].commit {
			commits = append(commits, i)
		}
	}
	if len(commits) <= t.o.keepMax {
		return res, nil
	}
	// 2. Plan: the oldest commits down to keep.min, strictly older than the earliest commit
	// the cleaner retains and than the newest completed commit before the first pending one,
	// leaving the active timeline starting at a commit older than the grace period (so every
	// instant a live writer may still write files for stays inside it).
	all := commits
	if !tl.marks[head].commitOrNil() {
		all = append(slices.Clone(commits), head)
	}
	if len(all) <= t.o.retained {
		return res, nil
	}
	bound := all[len(all)-t.o.retained]
	cutoff := formatInstant(t.o.clock().Add(-t.o.grace))
	var pending []string
	for _, i := range tl.order {
		m := tl.marks[i]
		if m.commit || !(m.requested || m.inflight) {
			continue
		}
		if i < cutoff {
			// Dead: older than the grace period, its writer gives up without writing any
			// more files (see WithArchiveGrace). A younger one below the head cannot commit
			// either, but its writer may still be writing: it is left to the writers.
			if err := t.rollback(ctx, i, nil); err == nil {
				m.requested, m.inflight = false, false
				continue
			} else {
				t.o.logger.Warn("hudi: roll back dead instant before archiving", "table", t.root, "instant", i, "err", err)
			}
		}
		pending = append(pending, i)
	}
	if len(pending) > 0 {
		p := pending[0]
		limit := p
		for _, c := range commits {
			if c < p {
				limit = c
			}
		}
		bound = min(bound, limit)
	}
	n := 0
	for n < len(commits)-t.o.keepMin && commits[n] < bound && commits[n+1] < cutoff {
		n++
	}
	if n == 0 {
		return res, nil
	}
	archived := commits[:n]
	start := commits[n] // the oldest commit left active
	var cleans []string
	for _, i := range tl.order {
		if m := tl.marks[i]; m.clean && i < start {
			cleans = append(cleans, i)
		}
	}
	// 3. Base files of instants between the archived ones that never committed (left by a
	// writer that died after a rollback missed them) would count as committed once the
	// active timeline starts after them: delete them first.
	isCommit := map[string]bool{}
	for _, c := range commits {
		isCommit[c] = true
	}
	// Below the oldest active commit, the archivings before this one looked (the first one
	// looks at everything below start).
	lower := ""
	if st.version > 0 {
		lower = max(st.upto, commits[0])
	}
	var orphans []string
	if err := listBaseFiles(ctx, t.store, t.root, "", false, func(p string, bn baseFileName) {
		if bn.instant > lower && bn.instant < start && !isCommit[bn.instant] {
			orphans = append(orphans, joinKey(p, bn.String()))
		}
	}); err != nil {
		return res, err
	}
	for _, o := range orphans {
		if err := t.store.Delete(ctx, joinKey(t.root, o)); err != nil {
			return res, fmt.Errorf("delete uncommitted base file %s: %w", o, err)
		}
		t.o.logger.Info("hudi: deleted an uncommitted base file before archiving", "table", t.root, "file", o)
	}
	// 4. The records: cleans, then commits, every state of each (Hudi's order).
	var recs []archiveRecord
	var files []timelineFile
	for _, i := range cleans {
		m := tl.marks[i]
		fs := cleanFiles(i, m)
		for _, f := range fs {
			r, err := t.cleanRecord(ctx, f)
			if err != nil {
				return res, err
			}
			recs = append(recs, r)
		}
		files = append(files, fs...)
	}
	for _, i := range archived {
		fs := commitFiles(i, tl.marks[i])
		for _, f := range fs {
			r, err := t.commitRecord(ctx, f)
			if err != nil {
				return res, err
			}
			recs = append(recs, r)
		}
		files = append(files, fs...)
	}
	// 5. Write the archive file: the next version, create-if-absent. Another archiver that got
	// there first has archived these instants (or others: this plan is stale either way).
	version := st.version + 1
	name := archiveFileName(version)
	err = t.store.CreateIfAbsent(ctx, joinKey(t.root, archiveDir+"/"+name), encodeArchive(recs))
	if errors.Is(err, objstore.ErrExists) {
		t.o.logger.Info("hudi: another writer archived first", "table", t.root, "file", name)
		return res, nil
	}
	if err != nil {
		return res, fmt.Errorf("write %s: %w", name, err)
	}
	upto := max(st.upto, archived[n-1])
	t.noteArchive(archiveState{loaded: true, version: version, upto: upto})
	hint, _ := json.Marshal(archiveHintData{Version: version, Upto: upto})
	if err := t.store.Put(ctx, joinKey(t.root, archiveHint), hint); err != nil {
		t.o.logger.Warn("hudi: write archive hint", "table", t.root, "err", err)
	}
	res.File, res.Commits, res.Cleans = name, archived, cleans
	// 6. Delete the archived instants from the active timeline.
	if err := t.deleteTimelineFiles(ctx, files); err != nil {
		return res, fmt.Errorf("delete archived instants: %w", err)
	}
	t.o.logger.Info("hudi: archived", "table", t.root, "file", name, "commits", len(archived), "cleans", len(cleans))
	return res, nil
}

// commitOrNil reports whether m exists and has a .commit.
func (m *instantMarks) commitOrNil() bool { return m != nil && m.commit }

// commitFiles are the existing files of a commit instant, in state order.
func commitFiles(i string, m *instantMarks) []timelineFile {
	return stateFiles(i, [3]bool{m.requested, m.inflight, m.commit}, [3]string{suffixRequested, suffixInflight, suffixCommit})
}

// cleanFiles are the existing files of a clean instant, in state order.
func cleanFiles(i string, m *instantMarks) []timelineFile {
	return stateFiles(i, [3]bool{m.cleanRequested, m.cleanInflight, m.clean}, [3]string{suffixCleanRequested, suffixCleanInflight, suffixClean})
}

// stateFiles are the files of instant i among its requested, inflight and completed states.
func stateFiles(i string, exists [3]bool, suffixes [3]string) []timelineFile {
	var out []timelineFile
	for k := range suffixes {
		if exists[k] {
			out = append(out, timelineFile{instant: i, suffix: suffixes[k], completed: k == 2})
		}
	}
	return out
}

// deleteTimelineFiles deletes instant files as Hudi's archiver does: every requested and
// inflight file first, then the completed ones in ascending instant order. A commit is
// therefore never left pending-looking (which would get it rolled back) and the active
// timeline always stays a suffix of the commits (no hole a reader could fall into).
func (t *Table) deleteTimelineFiles(ctx context.Context, files []timelineFile) error {
	ordered := slices.Clone(files)
	slices.SortStableFunc(ordered, func(a, b timelineFile) int {
		if a.completed != b.completed {
			if a.completed {
				return 1
			}
			return -1
		}
		return strings.Compare(a.instant, b.instant)
	})
	for _, f := range ordered {
		if err := t.store.Delete(ctx, t.instantKey(f.instant, f.suffix)); err != nil {
			return fmt.Errorf("delete %s%s: %w", f.instant, f.suffix, err)
		}
	}
	return nil
}

func stateOf(suffix string) string {
	switch suffix {
	case suffixCommit, suffixClean:
		return stateCompleted
	case suffixInflight, suffixCleanInflight:
		return stateInflight
	}
	return stateRequested
}

// commitRecord converts a commit instant file.
func (t *Table) commitRecord(ctx context.Context, f timelineFile) (archiveRecord, error) {
	r := archiveRecord{instant: f.instant, action: actionCommit, state: stateOf(f.suffix)}
	data, err := t.store.Get(ctx, t.instantKey(f.instant, f.suffix))
	if err != nil {
		return r, fmt.Errorf("read %s%s: %w", f.instant, f.suffix, err)
	}
	if f.completed && len(data) == 0 {
		return r, nil // Hudi archives an empty completed instant without metadata
	}
	if r.commit, err = commitMetadataRecord(data); err != nil {
		return r, fmt.Errorf("%s%s: %w", f.instant, f.suffix, err)
	}
	return r, nil
}

// cleanRecord converts a clean instant file: the cleaner plan of .clean.requested and
// .clean.inflight, the clean metadata of .clean. A file fcsync cannot read (not written by it)
// is archived without its metadata, as Hudi archives an empty instant.
func (t *Table) cleanRecord(ctx context.Context, f timelineFile) (archiveRecord, error) {
	r := archiveRecord{instant: f.instant, action: actionClean, state: stateOf(f.suffix)}
	data, err := t.store.Get(ctx, t.instantKey(f.instant, f.suffix))
	if err != nil {
		return r, fmt.Errorf("read %s%s: %w", f.instant, f.suffix, err)
	}
	schema := cleanerPlanSchema
	if f.completed {
		schema = cleanMetadataSchema
	}
	rec, err := readAvroContainer(data, schema)
	if err != nil {
		t.o.logger.Warn("hudi: archiving a clean without its metadata", "table", t.root, "file", f.instant+f.suffix, "err", err)
		return r, nil
	}
	if f.completed {
		r.cleanMeta = rec
	} else {
		r.cleanPlan = rec
	}
	return r, nil
}
