package hudi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fcsync/fcsync/shared/objstore"
)

const (
	hoodieDir       = ".hoodie"
	propertiesFile  = ".hoodie/hoodie.properties"
	partitionMeta   = ".hoodie_partition_metadata"
	instantLayout   = "20060102150405.000"
	instantLen      = 17
	suffixCommit    = ".commit"
	suffixReplace   = ".replacecommit"
	suffixRequested = ".commit.requested"
	suffixInflight  = ".inflight"
	listPage        = 1000
)

// formatInstant renders t (UTC) as a 17-digit instant time yyyyMMddHHmmssSSS.
func formatInstant(t time.Time) string {
	return strings.Replace(t.UTC().Format(instantLayout), ".", "", 1)
}

// parseInstant reads a 17-digit instant.
func parseInstant(s string) (time.Time, error) {
	if len(s) != instantLen {
		return time.Time{}, fmt.Errorf("instant %q: want %d digits", s, instantLen)
	}
	return time.Parse(instantLayout, s[:14]+"."+s[14:])
}

// validInstant reports whether s is all digits, 14 to 17 of them (older tables used 14).
func validInstant(s string) bool {
	if len(s) < 14 || len(s) > instantLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// writeStat is one file's entry in a commit (HoodieWriteStat). Fields fcsync does not track are
// written as Spark writes them for a fresh COPY_ON_WRITE base file.
type writeStat struct {
	FileID                       string        `json:"fileId"`
	Path                         *string       `json:"path"`
	CdcStats                     *struct{}     `json:"cdcStats"`
	PrevCommit                   string        `json:"prevCommit"`
	NumWrites                    int64         `json:"numWrites"`
	NumDeletes                   int64         `json:"numDeletes"`
	NumUpdateWrites              int64         `json:"numUpdateWrites"`
	NumInserts                   int64         `json:"numInserts"`
	TotalWriteBytes              int64         `json:"totalWriteBytes"`
	TotalWriteErrors             int64         `json:"totalWriteErrors"`
	TempPath                     *string       `json:"tempPath"`
	PartitionPath                *string       `json:"partitionPath"`
	TotalLogRecords              int64         `json:"totalLogRecords"`
	TotalLogFilesCompacted       int64         `json:"totalLogFilesCompacted"`
	TotalLogSizeCompacted        int64         `json:"totalLogSizeCompacted"`
	TotalUpdatedRecordsCompacted int64         `json:"totalUpdatedRecordsCompacted"`
	TotalLogBlocks               int64         `json:"totalLogBlocks"`
	TotalCorruptLogBlock         int64         `json:"totalCorruptLogBlock"`
	TotalRollbackBlocks          int64         `json:"totalRollbackBlocks"`
	FileSizeInBytes              int64         `json:"fileSizeInBytes"`
	MinEventTime                 *int64        `json:"minEventTime"`
	MaxEventTime                 *int64        `json:"maxEventTime"`
	RuntimeStats                 *runtimeStats `json:"runtimeStats"`
}

type runtimeStats struct {
	TotalScanTime   int64 `json:"totalScanTime"`
	TotalUpsertTime int64 `json:"totalUpsertTime"`
	TotalCreateTime int64 `json:"totalCreateTime"`
}

// commitMetadata is the JSON of .commit and .inflight files (HoodieCommitMetadata).
type commitMetadata struct {
	PartitionToWriteStats map[string][]writeStat `json:"partitionToWriteStats"`
	Compacted             bool                   `json:"compacted"`
	ExtraMetadata         map[string]string      `json:"extraMetadata"`
	OperationType         string                 `json:"operationType"`
	// PartitionToReplaceFileIds lists, in a replace commit (clustering, insert overwrite), the
	// file groups per partition that the commit's new file groups replace.
	PartitionToReplaceFileIds map[string][]string `json:"partitionToReplaceFileIds,omitempty"`
}

// Keys of extraMetadata fcsync writes besides Hudi's "schema".
const (
	extraSchema      = "schema"
	extraCheckpoints = "fcsync.checkpoints"
	extraColumns     = "fcsync.columns"
	extraWriter      = "fcsync.writer"
)

func parseCommit(data []byte) (*commitMetadata, error) {
	var m commitMetadata
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// timeline is the state of the instants in .hoodie/.
type timeline struct {
	completed []string        // instants with a .commit, ascending
	pending   map[string]bool // commit instants with .commit.requested or .inflight but no .commit
	archived  bool            // .hoodie/archived holds archived instants
	// replaced are the instants with a .replacecommit (clustering, insert overwrite), ascending;
	// replace instants not completed are in pending. Only tables fcsync did not create have any.
	replaced    []string
	replaceKeys map[string]string // replaced instant -> the key of its completed metadata
}

// loadTimeline lists the table's timeline: .hoodie/ (versions 5 and 6) or, for table version
// 8, its timeline folder.
func (t *Table) loadTimeline(ctx context.Context) (*timeline, error) {
	if t.timelineDir != "" {
		return loadTimelineV8(ctx, t.store, joinKey(t.root, t.timelineDir)+"/")
	}
	return loadTimeline(ctx, t.store, t.root)
}

// loadTimelineV8 lists a table version 8 timeline folder (prefix ends in "/"). Completed
// instants are <requested>_<completed>.<action>, pending ones <requested>.<action>.requested or
// .inflight (a plain .inflight for commits); the requested time names the instant, and its
// base files. The archived timeline is the LSM timeline in history/.
func loadTimelineV8(ctx context.Context, s objstore.Store, prefix string) (*timeline, error) {
	tl := &timeline{pending: map[string]bool{}, replaceKeys: map[string]string{}}
	requested := map[string]bool{}
	var unsupported []string
	after := ""
	for {
		keys, next, err := s.List(ctx, prefix, after, listPage)
		if err != nil {
			return nil, fmt.Errorf("list timeline: %w", err)
		}
		for _, k := range keys {
			name := strings.TrimPrefix(k, prefix)
			if rest, ok := strings.CutPrefix(name, "history/"); ok {
				tl.archived = tl.archived || strings.HasSuffix(rest, ".parquet")
				continue
			}
			if strings.Contains(name, "/") {
				continue
			}
			stem, action, ok := strings.Cut(name, ".")
			if !ok {
				continue
			}
			instant, completedAt, completed := strings.Cut(stem, "_")
			if !validInstant(instant) || (completed && !validInstant(completedAt)) {
				continue
			}
			switch {
			case strings.HasPrefix(action, "deltacommit"):
				unsupported = append(unsupported, name)
			case completed && action == "commit":
				tl.completed = append(tl.completed, instant)
			case completed && action == "replacecommit":
				tl.replaced = append(tl.replaced, instant)
				tl.replaceKeys[instant] = k
			case !completed && (action == "inflight" || strings.HasSuffix(action, ".requested") || strings.HasSuffix(action, ".inflight")) &&
				(action == "inflight" || strings.HasPrefix(action, "commit.") || strings.HasPrefix(action, "replacecommit.") || strings.HasPrefix(action, "clustering.")):
				requested[instant] = true
			}
		}
		if next == "" {
			break
		}
		after = next
	}
	if len(unsupported) > 0 {
		return nil, fmt.Errorf("timeline has %s: delta commits (merge-on-read log files) are not supported", unsupported[0])
	}
	slices.Sort(tl.completed)
	slices.Sort(tl.replaced)
	for i := range requested {
		if !tl.isCompleted(i) && !tl.isReplace(i) {
			tl.pending[i] = true
		}
	}
	return tl, nil
}

func (tl *timeline) isReplace(instant string) bool {
	_, ok := slices.BinarySearch(tl.replaced, instant)
	return ok
}

func (tl *timeline) isCompleted(instant string) bool {
	_, ok := slices.BinarySearch(tl.completed, instant)
	return ok
}

// loadTimeline lists .hoodie/ once.
func loadTimeline(ctx context.Context, s objstore.Store, root string) (*timeline, error) {
	tl := &timeline{pending: map[string]bool{}, replaceKeys: map[string]string{}}
	prefix := joinKey(root, hoodieDir) + "/"
	requested := map[string]bool{}
	var unsupported []string
	after := prefix + "/" // skips .aux/, .schema/, .temp/ ('.' sorts before '/')
	for {
		keys, next, err := s.List(ctx, prefix, after, listPage)
		if err != nil {
			return nil, fmt.Errorf("list timeline: %w", err)
		}
		for _, k := range keys {
			name := strings.TrimPrefix(k, prefix)
			if strings.HasPrefix(name, "archived/") {
				// Archive files (.commits_.archive.N_...) sort first in archived/: its first key
				// says whether there are any, and the listing goes on past the directory
				// (which grows by a file per archiving).
				tl.archived = tl.archived || strings.Contains(name, ".archive")
				next = prefix + "archived0" // '0' sorts right after '/'
				break
			}
			if strings.Contains(name, "/") {
				continue
			}
			instant, action, ok := strings.Cut(name, ".")
			if !ok || !validInstant(instant) {
				continue
			}
			switch action {
			case "commit":
				tl.completed = append(tl.completed, instant)
			case "commit.requested", "inflight", "replacecommit.requested", "replacecommit.inflight":
				requested[instant] = true
			case "replacecommit":
				tl.replaced = append(tl.replaced, instant)
				tl.replaceKeys[instant] = k
			case "deltacommit", "deltacommit.requested", "deltacommit.inflight":
				unsupported = append(unsupported, name)
			}
		}
		if next == "" {
			break
		}
		after = next
	}
	if len(unsupported) > 0 {
		return nil, fmt.Errorf("timeline has %s: delta commits (merge-on-read log files) are not supported", unsupported[0])
	}
	slices.Sort(tl.completed)
	slices.Sort(tl.replaced)
	for i := range requested {
		if !tl.isCompleted(i) && !tl.isReplace(i) {
			tl.pending[i] = true
		}
	}
	return tl, nil
}

// joinKey joins a table root and a path relative to it.
func joinKey(root, rel string) string {
	switch {
	case root == "":
		return rel
	case rel == "":
		return root
	}
	return root + "/" + rel
}

// baseFileName is a parsed <fileId>_<writeToken>_<instant>.parquet.
type baseFileName struct {
	fileID, token, instant string
}

func parseBaseFileName(name string) (baseFileName, bool) {
	stem, ok := strings.CutSuffix(name, ".parquet")
	if !ok {
		return baseFileName{}, false
	}
	parts := strings.Split(stem, "_")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || !validInstant(parts[2]) {
		return baseFileName{}, false
	}
	return baseFileName{fileID: parts[0], token: parts[1], instant: parts[2]}, true
}

func (b baseFileName) String() string {
	return b.fileID + "_" + b.token + "_" + b.instant + ".parquet"
}

// fileSlice is the newest committed base file of a file group.
type fileSlice struct {
	partition string
	name      baseFileName
}

// path is the file's key relative to the table root.
func (f fileSlice) path() string { return joinKey(f.partition, f.name.String()) }

// listBaseFiles calls fn for every base file under the table root (or under one partition),
// skipping .hoodie/. Partition is "" for a non-partitioned table; with onlyPartition set only
// files directly in that partition are visited.
func listBaseFiles(ctx context.Context, s objstore.Store, root, partition string, onlyPartition bool, fn func(partition string, name baseFileName)) error {
	prefix := ""
	if root != "" {
		prefix = root + "/"
	}
	if onlyPartition && partition != "" {
		prefix += partition + "/"
	}
	hoodie := joinKey(root, hoodieDir) + "/"
	after := ""
	for {
		keys, next, err := s.List(ctx, prefix, after, listPage)
		if err != nil {
			return fmt.Errorf("list %q: %w", prefix, err)
		}
		jumped := false
		for _, k := range keys {
			if strings.HasPrefix(k, hoodie) {
				// Skip the whole .hoodie/ folder: continue after the last key it can hold.
				after = strings.TrimSuffix(hoodie, "/") + "0"
				jumped = true
				break
			}
			rel := strings.TrimPrefix(k, prefix)
			dir, name := "", rel
			if i := strings.LastIndexByte(rel, '/'); i >= 0 {
				dir, name = rel[:i], rel[i+1:]
			}
			if onlyPartition && dir != "" {
				continue
			}
			bn, ok := parseBaseFileName(name)
			if !ok {
				continue
			}
			p := partition
			if !onlyPartition {
				p = dir
			}
			fn(p, bn)
		}
		if jumped {
			continue
		}
		if next == "" {
			return nil
		}
		after = next
	}
}

// latestSlices keeps, per (partition, fileId), the base file with the highest instant for which
// committed is true.
func latestSlices(files []fileSlice, committed func(string) bool) []fileSlice {
	type fg struct{ partition, fileID string }
	best := map[fg]fileSlice{}
	for _, f := range files {
		if !committed(f.name.instant) {
			continue
		}
		k := fg{f.partition, f.name.fileID}
		if cur, ok := best[k]; !ok || f.name.instant > cur.name.instant ||
			(f.name.instant == cur.name.instant && f.name.token > cur.name.token) {
			best[k] = f
		}
	}
	out := make([]fileSlice, 0, len(best))
	for _, f := range best {
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b fileSlice) int { return strings.Compare(a.path(), b.path()) })
	return out
}

// getOptional is Get that reports a missing key as ok=false.
func getOptional(ctx context.Context, s objstore.Store, key string) ([]byte, bool, error) {
	data, err := s.Get(ctx, key)
	if errors.Is(err, objstore.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return data, true, nil
}
