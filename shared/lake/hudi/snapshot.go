package hudi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// Snapshot is the table as of its newest completed commit: per file group, the newest base file
// whose instant has a completed .commit (files of requested or inflight instants are ignored).
type Snapshot struct {
	t       *Table
	instant string
	suffix  string // of the instant's completed file: .commit or .replacecommit
	columns []string
	files   []fileSlice
}

// Snapshot reads the timeline and lists the table's base files. For a table fcsync writes, a
// commit that is decided in the commit log but whose .commit file is missing (its writer
// stopped in between) is published now, and counted as completed even if that fails.
func (t *Table) Snapshot(ctx context.Context) (*Snapshot, error) {
	where := "hudi " + t.root + ": snapshot"
	tl, err := t.loadTimeline(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	var h *logHead
	if t.log != nil {
		if h, err = t.head(ctx); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if err := t.publish(ctx, h); err != nil {
			t.o.logger.Warn("hudi: could not publish a decided commit", "table", t.root, "instant", h.state.Instant, "err", err)
		}
		if h.state.Instant != "" && !tl.isCompleted(h.state.Instant) {
			tl.completed = append(tl.completed, h.state.Instant)
			slices.Sort(tl.completed)
		}
	}
	var files []fileSlice
	if err := listBaseFiles(ctx, t.store, t.root, "", false, func(p string, n baseFileName) {
		files = append(files, fileSlice{partition: p, name: n})
	}); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	// Instants older than the active timeline were archived, and were completed (Hudi's rule).
	// fcsync's tables take only the commits the archived timeline records for archived: a file
	// of an attempt that never committed is never read, wherever its instant lies.
	archived := map[string]bool{}
	if tl.archived && t.log != nil {
		newest := int64(-1) // the newest archive version, looked up once (after the listing)
		for _, f := range files {
			i := f.name.instant
			// Every instant without a .commit is looked up, also above the first active
			// commit: a late writer may have republished an archived .commit below others.
			if _, known := archived[i]; known || tl.isCompleted(i) {
				continue
			}
			if newest < 0 {
				if newest, err = t.newestArchive(ctx); err != nil {
					return nil, fmt.Errorf("%s: %w", where, err)
				}
			}
			if archived[i], err = t.archivedIn(ctx, i, newest); err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
		}
	}
	if len(tl.replaced) > 0 && t.log != nil {
		// fcsync's writer routes by its own commits and would not honour them.
		return nil, fmt.Errorf("%s: timeline has %s.replacecommit: replace commits (clustering, insert overwrite) on a table fcsync writes are not supported", where, tl.replaced[0])
	}
	replaced, err := t.replacedFileGroups(ctx, tl)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	if len(replaced) > 0 {
		files = slices.DeleteFunc(files, func(f fileSlice) bool { return replaced[f.partition+"/"+f.name.fileID] })
	}
	firstActive := ""
	if len(tl.completed) > 0 {
		firstActive = tl.completed[0]
	}
	if len(tl.replaced) > 0 && (firstActive == "" || tl.replaced[0] < firstActive) {
		firstActive = tl.replaced[0]
	}
	committed := func(instant string) bool {
		switch {
		case tl.isCompleted(instant) || tl.isReplace(instant):
			return true
		case t.log != nil:
			return archived[instant]
		}
		return tl.archived && firstActive != "" && instant < firstActive
	}
	s := &Snapshot{t: t, files: latestSlices(files, committed), suffix: suffixCommit}
	if len(tl.completed) > 0 {
		s.instant = tl.completed[len(tl.completed)-1]
	}
	if n := len(tl.replaced); n > 0 && tl.replaced[n-1] > s.instant {
		s.instant, s.suffix = tl.replaced[n-1], suffixReplace
	}
	if s.columns, err = t.snapshotColumns(ctx, s, h); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	return s, nil
}

// snapshotColumns are the meta columns and the data columns of the newest schema: the
// commit log's for fcsync tables, else the newest commit's extraMetadata.schema, else
// hoodie.table.create.schema, else the first base file's.
func (t *Table) snapshotColumns(ctx context.Context, s *Snapshot, h *logHead) ([]string, error) {
	cols := slices.Clone(metaColumns)
	if h != nil {
		for _, c := range h.state.Columns {
			cols = append(cols, c.Name)
		}
		return cols, nil
	}
	var names []string
	if s.instant != "" {
		data, ok, err := getOptional(ctx, t.store, t.instantKey(s.instant, s.suffix))
		if err != nil {
			return nil, err
		}
		if ok {
			if m, err := parseCommit(data); err == nil && m.ExtraMetadata[extraSchema] != "" {
				names, _ = avroFieldNames(m.ExtraMetadata[extraSchema])
			}
		}
	}
	if names == nil && t.props[propCreateSchema] != "" {
		names, _ = avroFieldNames(t.props[propCreateSchema])
	}
	if names == nil && len(s.files) > 0 {
		bf, err := t.openFile(ctx, s.files[0].path())
		if err != nil {
			return nil, err
		}
		names = bf.names
	}
	for _, n := range names {
		if !slices.Contains(cols, n) {
			cols = append(cols, n)
		}
	}
	return cols, nil
}

// replacedFileGroups returns the file groups ("partition/fileId") that the completed replace
// commits of the active timeline replaced: Hudi's snapshot leaves them out. Archived replace
// commits need no look-up: Hudi archives a replace commit only after cleaning has deleted the
// file groups it replaced.
func (t *Table) replacedFileGroups(ctx context.Context, tl *timeline) (map[string]bool, error) {
	out := map[string]bool{}
	for _, i := range tl.replaced {
		data, err := t.store.Get(ctx, tl.replaceKeys[i])
		if err != nil {
			return nil, fmt.Errorf("read replace commit %s: %w", i, err)
		}
		replaced, err := parseReplaced(data)
		if err != nil {
			return nil, fmt.Errorf("replace commit %s: %w", i, err)
		}
		for p, ids := range replaced {
			for _, id := range ids {
				out[p+"/"+id] = true
			}
		}
	}
	return out, nil
}

// parseReplaced returns partitionToReplaceFileIds of a completed replace commit: JSON (table
// versions 5 and 6) or an Avro HoodieReplaceCommitMetadata (version 8).
func parseReplaced(data []byte) (map[string][]string, error) {
	if !bytes.HasPrefix(data, avroMagic) {
		m, err := parseCommit(data)
		if err != nil {
			return nil, err
		}
		return m.PartitionToReplaceFileIds, nil
	}
	rec, err := readAvroRecord(data)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	parts, _ := rec["partitionToReplaceFileIds"].(map[string]any)
	for p, v := range parts {
		ids, ok := v.([]any)
		if !ok && v != nil {
			return nil, fmt.Errorf("partitionToReplaceFileIds of %q is %T, not a list", p, v)
		}
		for _, id := range ids {
			s, ok := id.(string)
			if !ok {
				return nil, fmt.Errorf("partitionToReplaceFileIds of %q holds %T, not a file id", p, id)
			}
			out[p] = append(out[p], s)
		}
	}
	return out, nil
}

func (t *Table) openFile(ctx context.Context, rel string) (*baseFile, error) {
	data, err := t.store.Get(ctx, joinKey(t.root, rel))
	if err != nil {
		return nil, fmt.Errorf("read base file %s: %w", rel, err)
	}
	bf, err := openParquet(data)
	if err != nil {
		return nil, fmt.Errorf("base file %s: %w", rel, err)
	}
	return bf, nil
}

// Instant returns the newest completed instant ("" for a table without commits).
func (s *Snapshot) Instant() string { return s.instant }

// Columns returns the column names of the rows Scan returns: the five _hoodie_ meta columns,
// then the data columns.
func (s *Snapshot) Columns() []string { return slices.Clone(s.columns) }

// Files returns the base files of the snapshot, relative to the table root, sorted.
func (s *Snapshot) Files() []string {
	out := make([]string, len(s.files))
	for i, f := range s.files {
		out[i] = f.path()
	}
	return out
}

// Row is one record: values in the order of the snapshot's columns. Values are nil (NULL),
// int64, float64, string (text and exact decimal text), bool, time.Time (UTC; DATE at
// midnight), []byte, []any (lists), or map[string]any (structs and maps).
type Row struct {
	columns []string
	Values  []any
}

// Columns returns the column names, parallel to Values.
func (r Row) Columns() []string { return r.columns }

// Get returns the value of the named column.
func (r Row) Get(name string) (any, bool) {
	i := slices.Index(r.columns, name)
	if i < 0 {
		return nil, false
	}
	return r.Values[i], true
}

// MarshalJSON renders the row as an object keyed by column name, in column order. Times are
// RFC 3339, binary is base64, non-finite floats are strings.
func (r Row) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, c := range r.columns {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(c)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(jsonSafe(r.Values[i]))
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c, err)
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// jsonSafe replaces values encoding/json refuses (NaN, ±Inf) inside v.
func jsonSafe(v any) any {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Sprint(x)
		}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonSafe(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonSafe(e)
		}
		return out
	}
	return v
}

// Predicate selects rows for Scan.
type Predicate func(Row) bool

// Where returns a predicate comparing a column with a value: op is one of = != < <= > >=.
// Numbers compare as numbers (any Go integer or float type), strings bytewise, times
// chronologically, booleans false < true. As in SQL, NULL and values of another kind never match.
func Where(column, op string, value any) (Predicate, error) {
	want := normalize(value)
	var test func(int) bool
	switch op {
	case "=", "==":
		test = func(c int) bool { return c == 0 }
	case "!=", "<>":
		test = func(c int) bool { return c != 0 }
	case "<":
		test = func(c int) bool { return c < 0 }
	case "<=":
		test = func(c int) bool { return c <= 0 }
	case ">":
		test = func(c int) bool { return c > 0 }
	case ">=":
		test = func(c int) bool { return c >= 0 }
	default:
		return nil, fmt.Errorf("hudi: predicate on %s: unknown operator %q", column, op)
	}
	if want == nil {
		return nil, fmt.Errorf("hudi: predicate on %s: comparing with NULL never matches", column)
	}
	return func(r Row) bool {
		v, ok := r.Get(column)
		if !ok || v == nil {
			return false
		}
		c, ok := comparable(normalize(v), want)
		return ok && test(c)
	}, nil
}

func normalize(v any) any {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case float32:
		return float64(x)
	}
	return v
}

func comparable(a, b any) (int, bool) {
	kind := func(v any) string {
		switch v.(type) {
		case int64, float64:
			return "number"
		case string:
			return "string"
		case bool:
			return "bool"
		case time.Time:
			return "time"
		}
		return ""
	}
	if kind(a) == "" || kind(a) != kind(b) {
		return 0, false
	}
	return compareValues("", a, b), true
}

// Scan calls fn for every row of the snapshot that matches all predicates, file by file. The
// Row's slice is fn's to keep.
func (s *Snapshot) Scan(ctx context.Context, fn func(Row) error, where ...Predicate) error {
	for _, f := range s.files {
		if err := ctx.Err(); err != nil {
			return err
		}
		rel := f.path()
		bf, err := s.t.openFile(ctx, rel)
		if err != nil {
			return fmt.Errorf("hudi %s: scan: %w", s.t.root, err)
		}
		pos := make([]int, len(bf.names))
		for i, n := range bf.names {
			pos[i] = slices.Index(s.columns, n)
			if pos[i] < 0 {
				pos[i] = slices.IndexFunc(s.columns, func(c string) bool { return strings.EqualFold(c, n) })
			}
		}
		err = bf.scan(func(vals []any) error {
			r := Row{columns: s.columns, Values: make([]any, len(s.columns))}
			for i, v := range vals {
				if pos[i] >= 0 {
					r.Values[pos[i]] = v
				}
			}
			for _, p := range where {
				if !p(r) {
					return nil
				}
			}
			return fn(r)
		})
		if err != nil {
			return fmt.Errorf("hudi %s: scan %s: %w", s.t.root, rel, err)
		}
	}
	return nil
}

// WriteJSON writes the snapshot's matching rows to w as JSON lines: one object per row, keyed
// by column name in column order.
func WriteJSON(ctx context.Context, w io.Writer, s *Snapshot, where ...Predicate) error {
	bw := bufio.NewWriter(w)
	err := s.Scan(ctx, func(r Row) error {
		b, err := r.MarshalJSON()
		if err != nil {
			return err
		}
		bw.Write(b)
		return bw.WriteByte('\n')
	}, where...)
	if err != nil {
		return err
	}
	return bw.Flush()
}
