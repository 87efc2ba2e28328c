package warehouse

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/sink"
)

// attrTable is the six-attribute table DataWorks generates for a topic, partitioned by ds, hh.
func attrTable(name string) schema.Table {
	return schema.Table{
		Name: name,
		Columns: []schema.Column{
			{Name: "__key__", Type: schema.String},
			{Name: "__value__", Type: schema.String},
			{Name: "__partition__", Type: schema.BigInt},
			{Name: "__headers__", Type: schema.String},
			{Name: "__offset__", Type: schema.BigInt},
			{Name: "__timestamp__", Type: schema.BigInt},
		},
		Partitions: []schema.Column{{Name: "ds", Type: schema.String}, {Name: "hh", Type: schema.String}},
		Lifecycle:  36500,
	}
}

func attrRow(key string, off int64) schema.Row {
	return schema.Row{key, "value of " + key, int64(0), nil, off, int64(1669082400000) + off}
}

func part(ds, hh string) schema.Partition {
	return schema.Partition{{Column: "ds", Value: ds}, {Column: "hh", Value: hh}}
}

func openTest(t testing.TB, opts ...Option) *Warehouse {
	t.Helper()
	opts = append([]Option{WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	w, err := Open(t.TempDir(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// write is one row of a scripted session: its partition and its key.
type write struct {
	p   schema.Partition
	key string
}

type run struct {
	segment string
	mode    sink.Mode
	owned   schema.Partition
	writes  []write
}

func (r run) do(t testing.TB, w *Warehouse, table schema.Table) {
	t.Helper()
	ctx := context.Background()
	s, err := w.Begin(ctx, sink.SessionSpec{Table: table, Segment: r.segment, Owned: r.owned, Mode: r.mode})
	if err != nil {
		t.Fatal(err)
	}
	for i, wr := range r.writes {
		if err := s.Write(ctx, wr.p, attrRow(wr.key, int64(i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// contents maps each partition (MaxCompute form) to its sorted keys.
func contents(t testing.TB, w *Warehouse, table string, filter schema.Partition) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	ps, err := w.Partitions(context.Background(), table)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if strings.HasPrefix(p.String(), filter.String()) {
			out[p.String()] = []string{}
		}
	}
	err = w.Scan(context.Background(), table, filter, func(p schema.Partition, row map[string]any) error {
		out[p.String()] = append(out[p.String()], row["__key__"].(string))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, keys := range out {
		sort.Strings(keys)
	}
	return out
}

func TestSessionsReplaceTheirSegmentAndKeepOthers(t *testing.T) {
	p10, p11 := part("20221122", "10"), part("20221122", "11")
	tests := []struct {
		name string
		runs []run
		want map[string][]string
	}{
		{
			name: "append then rerun of the same segment has no duplicates",
			runs: []run{
				{segment: "job@10", owned: p10, writes: []write{{p10, "a"}, {p10, "b"}, {p11, "late1"}}},
				{segment: "job@10", owned: p10, writes: []write{{p10, "a"}, {p10, "b"}, {p11, "late1"}}},
			},
			want: map[string][]string{"ds=20221122,hh=10": {"a", "b"}, "ds=20221122,hh=11": {"late1"}},
		},
		{
			name: "rerun with fewer rows replaces instead of merging",
			runs: []run{
				{segment: "job@10", owned: p10, writes: []write{{p10, "a"}, {p10, "b"}}},
				{segment: "job@10", owned: p10, writes: []write{{p10, "a"}}},
			},
			want: map[string][]string{"ds=20221122,hh=10": {"a"}},
		},
		{
			name: "two segments appending keep both",
			runs: []run{
				{segment: "job@10", owned: p10, writes: []write{{p10, "a"}}},
				{segment: "other@10", owned: p10, writes: []write{{p10, "b"}}},
			},
			want: map[string][]string{"ds=20221122,hh=10": {"a", "b"}},
		},
		{
			name: "overwrite replaces own rows and keeps other segments' late rows",
			runs: []run{
				{segment: "job@10", owned: p10, mode: sink.Overwrite, writes: []write{{p10, "old1"}, {p10, "old2"}}},
				{segment: "stream", writes: []write{{p10, "appended-not-late"}}}, // no owned partition: late
				{segment: "job@11", owned: p11, mode: sink.Overwrite, writes: []write{{p11, "x"}, {p10, "late-from-11"}}},
				{segment: "job@10-rerun", owned: p10, mode: sink.Overwrite, writes: []write{{p10, "new1"}}},
			},
			want: map[string][]string{
				"ds=20221122,hh=10": {"appended-not-late", "late-from-11", "new1"},
				"ds=20221122,hh=11": {"x"},
			},
		},
		{
			name: "overwrite drops rows other segments wrote as their own",
			runs: []run{
				{segment: "manual", owned: p10, writes: []write{{p10, "owned-by-manual"}}},
				{segment: "job@10", owned: p10, mode: sink.Overwrite, writes: []write{{p10, "new"}}},
			},
			want: map[string][]string{"ds=20221122,hh=10": {"new"}},
		},
		{
			name: "overwrite with zero rows empties the partition but keeps late rows",
			runs: []run{
				{segment: "job@10", owned: p10, mode: sink.Overwrite, writes: []write{{p10, "a"}, {p10, "b"}}},
				{segment: "job@11", owned: p11, mode: sink.Overwrite, writes: []write{{p10, "late"}}},
				{segment: "job@10", owned: p10, mode: sink.Overwrite},
			},
			want: map[string][]string{"ds=20221122,hh=10": {"late"}, "ds=20221122,hh=11": {}},
		},
		{
			name: "overwrite with zero rows creates an empty partition",
			runs: []run{{segment: "job@10", owned: p10, mode: sink.Overwrite}},
			want: map[string][]string{"ds=20221122,hh=10": {}},
		},
		{
			name: "append with zero rows creates nothing",
			runs: []run{{segment: "job@10", owned: p10}},
			want: map[string][]string{},
		},
		{
			name: "rerun of a late writer replaces its late rows, not duplicates them",
			runs: []run{
				{segment: "job@11", owned: p11, mode: sink.Overwrite, writes: []write{{p10, "late"}, {p11, "x"}}},
				{segment: "job@11", owned: p11, mode: sink.Overwrite, writes: []write{{p10, "late"}, {p11, "x"}}},
			},
			want: map[string][]string{"ds=20221122,hh=10": {"late"}, "ds=20221122,hh=11": {"x"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := openTest(t)
			table := attrTable("topic_a")
			for _, r := range tt.runs {
				r.do(t, w, table)
			}
			got := contents(t, w, "topic_a", nil)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("contents = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNonPartitionedTableAppendsAndOverwrites(t *testing.T) {
	w := openTest(t)
	table := attrTable("plain")
	table.Partitions = nil
	run{segment: "s1", writes: []write{{nil, "a"}}}.do(t, w, table)
	run{segment: "s2", writes: []write{{nil, "b"}}}.do(t, w, table)
	if got := fmt.Sprint(contents(t, w, "plain", nil)); got != "map[:[a b]]" {
		t.Fatalf("after appends: %s", got)
	}
	run{segment: "s3", mode: sink.Overwrite, writes: []write{{nil, "c"}}}.do(t, w, table)
	if got := fmt.Sprint(contents(t, w, "plain", nil)); got != "map[:[c]]" {
		t.Fatalf("after overwrite: %s", got)
	}
	if _, err := os.Lstat(filepath.Join(w.Root(), "plain", dataLink)); err != nil {
		t.Fatalf("table-level snapshot link: %v", err)
	}
}

func TestPartitionsAreListedInLexicalOrderAndFilteredByPrefix(t *testing.T) {
	w := openTest(t)
	table := attrTable("t")
	var writes []write
	for _, p := range []schema.Partition{part("20221123", "01"), part("20221122", "11"), part("20221122", "10"), part("20221124", "00")} {
		writes = append(writes, write{p, p.String()})
	}
	run{segment: "s", writes: writes}.do(t, w, table)
	ps, err := w.Partitions(context.Background(), "t")
	if err != nil {
		t.Fatal(err)
	}
	want := "[ds=20221122,hh=10 ds=20221122,hh=11 ds=20221123,hh=01 ds=20221124,hh=00]"
	if fmt.Sprint(ps) != want {
		t.Fatalf("partitions %v, want %s", ps, want)
	}
	tests := []struct {
		filter schema.Partition
		want   string
	}{
		{nil, "ds=20221122,hh=10 ds=20221122,hh=11 ds=20221123,hh=01 ds=20221124,hh=00"},
		{schema.Partition{{Column: "ds", Value: "20221122"}}, "ds=20221122,hh=10 ds=20221122,hh=11"},
		{schema.Partition{{Column: "DS", Value: "20221123"}}, "ds=20221123,hh=01"},
		{part("20221122", "11"), "ds=20221122,hh=11"},
		{part("20221122", "12"), ""},
		{schema.Partition{{Column: "ds", Value: "2022"}}, ""},
	}
	for _, tt := range tests {
		var got []string
		err := w.Scan(context.Background(), "t", tt.filter, func(p schema.Partition, row map[string]any) error {
			got = append(got, p.String())
			return nil
		})
		if err != nil {
			t.Fatalf("filter %v: %v", tt.filter, err)
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("filter %v: scanned %v, want %s", tt.filter, got, tt.want)
		}
	}
	if err := w.Scan(context.Background(), "t", schema.Partition{{Column: "hh", Value: "10"}}, func(schema.Partition, map[string]any) error { return nil }); err == nil {
		t.Error("a filter on the second level alone was accepted")
	}
}

func TestScanStopsWithTheCallbackError(t *testing.T) {
	w := openTest(t)
	p := part("20221122", "10")
	run{segment: "s", writes: []write{{p, "a"}, {p, "b"}}}.do(t, w, attrTable("t"))
	stop := errors.New("stop")
	n := 0
	err := w.Scan(context.Background(), "t", nil, func(schema.Partition, map[string]any) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("err %v after %d rows, want stop after 1", err, n)
	}
}

func TestConcurrentCommittersLoseNothing(t *testing.T) {
	w := openTest(t)
	table := attrTable("busy")
	shared := part("20221122", "10")
	const writers, rounds = 6, 4
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	want := map[string][]string{}
	for g := 0; g < writers; g++ {
		own := part("20221122", fmt.Sprintf("%02d", 20+g))
		for r := 0; r < rounds; r++ {
			want[shared.String()] = append(want[shared.String()], fmt.Sprintf("g%d-r%d-shared", g, r))
			want[own.String()] = append(want[own.String()], fmt.Sprintf("g%d-r%d-own", g, r))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			for r := 0; r < rounds; r++ {
				s, err := w.Begin(ctx, sink.SessionSpec{Table: table, Segment: fmt.Sprintf("g%d-r%d", g, r), Owned: own})
				if err != nil {
					errs <- err
					return
				}
				for _, wr := range []write{{shared, fmt.Sprintf("g%d-r%d-shared", g, r)}, {own, fmt.Sprintf("g%d-r%d-own", g, r)}} {
					if err := s.Write(ctx, wr.p, attrRow(wr.key, 0)); err != nil {
						errs <- err
						return
					}
				}
				if err := s.Commit(ctx); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, keys := range want {
		sort.Strings(keys)
	}
	if got := contents(t, w, "busy", nil); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("contents = %v\nwant %v", got, want)
	}
}

func TestReaderSeesOldOrNewRowSetWhileOverwritesRun(t *testing.T) {
	// Grace 0 collects superseded snapshots at once, so the reader also races the collector.
	w := openTest(t, WithSnapshotGrace(0), WithRowGroupRows(3))
	w.opt.rowGroupsFile = 1 // one small file per row group: a generation spans several files
	table := attrTable("flip")
	p := part("20221122", "10")
	other := part("20221122", "11")
	run{segment: "other@11", owned: other, writes: []write{{p, "late-a"}, {p, "late-b"}}}.do(t, w, table)

	genRows := func(g int) []string {
		keys := []string{"late-a", "late-b"}
		for i := 0; i < 10; i++ {
			keys = append(keys, fmt.Sprintf("gen%03d-%02d", g, i))
		}
		sort.Strings(keys)
		return keys
	}
	overwrite := func(g int) {
		var writes []write
		for i := 0; i < 10; i++ {
			writes = append(writes, write{p, fmt.Sprintf("gen%03d-%02d", g, i)})
		}
		run{segment: "job@10", owned: p, mode: sink.Overwrite, writes: writes}.do(t, w, table)
	}
	overwrite(0)

	const gens = 30
	done := make(chan struct{})
	var readerErr error
	var scans int
	go func() {
		defer close(done)
		for {
			var got []string
			err := w.Scan(context.Background(), "flip", p, func(_ schema.Partition, row map[string]any) error {
				got = append(got, row["__key__"].(string))
				return nil
			})
			if err != nil {
				readerErr = err
				return
			}
			sort.Strings(got)
			scans++
			ok := false
			if len(got) == 12 {
				var g int
				if _, err := fmt.Sscanf(got[0], "gen%03d-", &g); err == nil {
					ok = fmt.Sprint(got) == fmt.Sprint(genRows(g))
				}
			}
			if !ok {
				readerErr = fmt.Errorf("scan %d saw a mixed or partial row set: %v", scans, got)
				return
			}
			if strings.HasPrefix(got[0], fmt.Sprintf("gen%03d", gens)) {
				return
			}
		}
	}()
	for g := 1; g <= gens; g++ {
		overwrite(g)
	}
	<-done
	if readerErr != nil {
		t.Fatal(readerErr)
	}
	t.Logf("%d scans during %d overwrites", scans, gens)
	// Collection keeps only the current snapshot and the previous one.
	snaps, _ := snapshotsOf(filepath.Join(w.Root(), "flip"), p)
	gensLeft, err := listGens(snaps)
	if err != nil {
		t.Fatal(err)
	}
	if len(gensLeft) != 2 {
		t.Errorf("%d snapshots left after collection, want 2", len(gensLeft))
	}
}

func TestAbortAndCrashLeaveNothingVisible(t *testing.T) {
	ctx := context.Background()
	p := part("20221122", "10")
	tests := []struct {
		name        string
		finish      func(s sink.Session) error
		stagingLeft int
	}{
		{"abort", func(s sink.Session) error { return s.Abort(ctx) }, 0},
		{"crash before commit", func(s sink.Session) error { return nil }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := openTest(t, WithRowGroupRows(2))
			table := attrTable("t")
			run{segment: "before", owned: p, writes: []write{{p, "kept"}}}.do(t, w, table)
			s, err := w.Begin(ctx, sink.SessionSpec{Table: table, Segment: "before", Owned: p, Mode: sink.Overwrite})
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 5; i++ {
				if err := s.Write(ctx, part("20221122", "12"), attrRow(fmt.Sprint("x", i), 0)); err != nil {
					t.Fatal(err)
				}
			}
			if err := tt.finish(s); err != nil {
				t.Fatal(err)
			}
			want := "map[ds=20221122,hh=10:[kept]]"
			if got := fmt.Sprint(contents(t, w, "t", nil)); got != want {
				t.Fatalf("contents %s, want %s", got, want)
			}
			left, _ := os.ReadDir(filepath.Join(w.Root(), "t", stagingDir))
			if len(left) != tt.stagingLeft {
				t.Errorf("%d staging directories left, want %d", len(left), tt.stagingLeft)
			}
		})
	}
}

func TestAbortAfterCommitIsANoOp(t *testing.T) {
	ctx := context.Background()
	w := openTest(t)
	p := part("20221122", "10")
	s, err := w.Begin(ctx, sink.SessionSpec{Table: attrTable("t"), Segment: "s", Owned: p})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, p, attrRow("a", 0)); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Abort(ctx); err != nil {
		t.Fatalf("abort after commit: %v", err)
	}
	if err := s.Write(ctx, p, attrRow("b", 0)); err == nil {
		t.Error("write after commit was accepted")
	}
	if got := fmt.Sprint(contents(t, w, "t", nil)); got != "map[ds=20221122,hh=10:[a]]" {
		t.Fatalf("contents %s", got)
	}
}

func TestStaleStagingIsRemovedByALaterBegin(t *testing.T) {
	ctx := context.Background()
	w := openTest(t, WithStagingMaxAge(time.Hour))
	p := part("20221122", "10")
	table := attrTable("t")
	crashed, err := w.begin(ctx, sink.SessionSpec{Table: table, Segment: "s", Owned: p})
	if err != nil {
		t.Fatal(err)
	}
	if err := crashed.Write(ctx, p, attrRow("a", 0)); err != nil {
		t.Fatal(err)
	}
	crashed.closeAll() // the process dies with its file complete but uncommitted
	live, err := w.begin(ctx, sink.SessionSpec{Table: table, Segment: "s2", Owned: p})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(crashed.staging); err != nil {
		t.Fatalf("young staging was removed: %v", err)
	}
	old := time.Now().Add(-2 * time.Hour)
	filepath.WalkDir(crashed.staging, func(path string, d fs.DirEntry, err error) error {
		return os.Chtimes(path, old, old)
	})
	if _, err := w.Begin(ctx, sink.SessionSpec{Table: table, Segment: "s3", Owned: p}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(crashed.staging); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("stale staging still there: %v", err)
	}
	if _, err := os.Stat(live.staging); err != nil {
		t.Fatalf("live staging was removed: %v", err)
	}
}

func TestHostilePartitionValuesAreRejected(t *testing.T) {
	ctx := context.Background()
	values := []string{"../x", "a/b", "..", ".", "%2e%2e", "a\x00b", "\x00", strings.Repeat("x", 10<<10), "", "a\\b", "/etc", "a\nb"}
	root := t.TempDir()
	w, err := Open(filepath.Join(root, "wh"), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	table := attrTable("t")
	for _, v := range values {
		name := fmt.Sprintf("%.20q", v)
		t.Run(name, func(t *testing.T) {
			hostile := schema.Partition{{Column: "ds", Value: v}, {Column: "hh", Value: "10"}}
			if _, err := w.Begin(ctx, sink.SessionSpec{Table: table, Segment: "s", Owned: hostile, Mode: sink.Overwrite}); err == nil {
				t.Error("Begin accepted the value as owned partition")
			}
			s, err := w.Begin(ctx, sink.SessionSpec{Table: table, Segment: "s"})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Abort(ctx)
			if err := s.Write(ctx, hostile, attrRow("a", 0)); err == nil {
				t.Error("Write accepted the value at level 1")
			} else if len(err.Error()) > 400 {
				t.Errorf("error echoes the value: %d bytes", len(err.Error()))
			}
			if err := s.Write(ctx, part("20221122", v), attrRow("a", 0)); err == nil {
				t.Error("Write accepted the value at level 2")
			}
			if err := w.Scan(ctx, "t", schema.Partition{{Column: "ds", Value: v}}, func(schema.Partition, map[string]any) error { return nil }); err == nil {
				t.Error("Scan accepted the value as filter")
			}
		})
	}
	for _, col := range []string{"../ds", "ds/x", "d s"} {
		s, err := w.Begin(ctx, sink.SessionSpec{Table: table, Segment: "s"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Write(ctx, schema.Partition{{Column: col, Value: "1"}, {Column: "hh", Value: "1"}}, attrRow("a", 0)); err == nil {
			t.Errorf("Write accepted partition column %q", col)
		}
		s.Abort(ctx)
	}
	if _, err := w.Begin(ctx, sink.SessionSpec{Table: schema.Table{Name: "../t", Columns: table.Columns}, Segment: "s"}); err == nil {
		t.Error("Begin accepted table name ../t")
	}
	// Nothing appeared outside the warehouse, and the table has no partition.
	entries, _ := os.ReadDir(root)
	if len(entries) != 1 || entries[0].Name() != "wh" {
		t.Errorf("files outside the warehouse: %v", entries)
	}
	if ps, _ := w.Partitions(ctx, "t"); len(ps) != 0 {
		t.Errorf("partitions %v", ps)
	}
}

func TestSegmentIDsBecomeSafeDistinctFileNames(t *testing.T) {
	segs := []string{"job@20221122100000", "a/b", "../x", "a_2Fb", "a.b", "a b", "日本", "", "x\x00", strings.Repeat("long", 40), strings.Repeat("long", 40) + "!"}
	seen := map[string]string{}
	for _, s := range segs {
		k := segmentKey(s)
		for _, c := range k {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
				t.Errorf("segment %q: key %q holds %q", s, k, c)
			}
		}
		if len(k) > maxSegmentKey+2 && !strings.HasPrefix(k, "h") {
			t.Errorf("segment %q: key %q too long", s, k)
		}
		if prev, ok := seen[k]; ok {
			t.Errorf("segments %q and %q share key %q", prev, s, k)
		}
		seen[k] = s
		name := dataFileName(k, kindLate, "sess", 1)
		if f := parseDataFile(name); f.segment != k || f.kind != kindLate {
			t.Errorf("file %s parsed as %+v", name, f)
		}
	}
}

func TestSchemaEvolution(t *testing.T) {
	ctx := context.Background()
	p := part("20221122", "10")
	v1 := attrTable("evo")
	tests := []struct {
		name    string
		spec    func(schema.Table) schema.Table
		wantErr string
	}{
		{"a changed type is refused naming the column", func(t schema.Table) schema.Table {
			t.Columns = append([]schema.Column(nil), t.Columns...)
			t.Columns[4].Type = schema.String
			return t
		}, "__offset__"},
		{"a removed column is refused naming the column", func(t schema.Table) schema.Table {
			t.Columns = append([]schema.Column(nil), t.Columns[:3]...)
			return t
		}, "__headers__"},
		{"different partition columns are refused", func(t schema.Table) schema.Table {
			t.Partitions = t.Partitions[:1]
			return t
		}, "partition columns differ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := openTest(t)
			run{segment: "s", owned: p, writes: []write{{p, "a"}}}.do(t, w, v1)
			_, err := w.Begin(ctx, sink.SessionSpec{Table: tt.spec(v1), Segment: "s2", Owned: p})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err %v, want one naming %s", err, tt.wantErr)
			}
		})
	}

	t.Run("a new column is added and reads NULL in old files", func(t *testing.T) {
		w := openTest(t)
		run{segment: "s1", owned: p, writes: []write{{p, "old"}}}.do(t, w, v1)
		v2 := v1
		// The spec lists the columns in another order, with a new one in the middle.
		v2.Columns = []schema.Column{v1.Columns[5], {Name: "city", Type: schema.String}, v1.Columns[0], v1.Columns[1], v1.Columns[2], v1.Columns[3], v1.Columns[4]}
		s, err := w.Begin(ctx, sink.SessionSpec{Table: v2, Segment: "s2", Owned: p})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Write(ctx, p, schema.Row{int64(7), "Hangzhou", "new", "v", int64(0), nil, int64(1)}); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := w.Table(ctx, "evo")
		if err != nil {
			t.Fatal(err)
		}
		if n := len(got.Columns); n != 7 || got.Columns[6].Name != "city" {
			t.Fatalf("schema columns %v", got.Columns)
		}
		rows := map[string]map[string]any{}
		if err := w.Scan(ctx, "evo", nil, func(_ schema.Partition, r map[string]any) error {
			rows[r["__key__"].(string)] = r
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if c, ok := rows["old"]["city"]; !ok || c != nil {
			t.Errorf("old row city = %v (present %v), want NULL", c, ok)
		}
		if rows["new"]["city"] != "Hangzhou" || rows["new"]["__timestamp__"] != int64(7) {
			t.Errorf("new row = %v", rows["new"])
		}
		// A spec without the new column would remove it: refused.
		if _, err := w.Begin(ctx, sink.SessionSpec{Table: v1, Segment: "s3", Owned: p}); err == nil || !strings.Contains(err.Error(), "city") {
			t.Errorf("the old spec after evolution: err %v, want one naming city", err)
		}
	})
}

func TestWriteRejectsBadRows(t *testing.T) {
	ctx := context.Background()
	w := openTest(t)
	p := part("20221122", "10")
	s, err := w.Begin(ctx, sink.SessionSpec{Table: attrTable("t"), Segment: "s", Owned: p})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Abort(ctx)
	tests := []struct {
		row  schema.Row
		want string
	}{
		{schema.Row{"k"}, "1 values"},
		{schema.Row{"k", "v", "zero", nil, int64(1), int64(2)}, "__partition__"},
		{schema.Row{int64(1), "v", int64(0), nil, int64(1), int64(2)}, "__key__"},
		{schema.Row{"k", "v", uint64(1 << 63), nil, int64(1), int64(2)}, "overflows"},
	}
	for _, tt := range tests {
		err := s.Write(ctx, p, tt.row)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("row %v: err %v, want one mentioning %s", tt.row, err, tt.want)
		}
	}
	if err := s.Write(ctx, part("20221122", "10")[:1], attrRow("a", 0)); err == nil {
		t.Error("a partition missing a level was accepted")
	}
}

func TestManyPartitionsStayUnderTheOpenWriterCap(t *testing.T) {
	ctx := context.Background()
	w := openTest(t, WithMaxOpenWriters(4))
	table := attrTable("wide")
	s, err := w.begin(ctx, sink.SessionSpec{Table: table, Segment: "s"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{}
	for round := 0; round < 3; round++ {
		for i := 0; i < 20; i++ {
			p := part("20221122", fmt.Sprintf("%02d", i))
			key := fmt.Sprintf("r%d-%02d", round, i)
			want[p.String()] = append(want[p.String()], key)
			if err := s.Write(ctx, p, attrRow(key, 0)); err != nil {
				t.Fatal(err)
			}
			if len(s.writers) > 4 {
				t.Fatalf("%d writers open", len(s.writers))
			}
		}
	}
	if err := s.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := contents(t, w, "wide", nil); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("contents %v\nwant %v", got, want)
	}
}

func TestOpenTableDirScansTheTable(t *testing.T) {
	w := openTest(t)
	p := part("20221122", "10")
	run{segment: "s", owned: p, writes: []write{{p, "a"}}}.do(t, w, attrTable("Topic_A"))
	w2, name, err := OpenTableDir(filepath.Join(w.Root(), "topic_a"))
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(contents(t, w2, name, nil)); got != "map[ds=20221122,hh=10:[a]]" {
		t.Fatalf("contents %s", got)
	}
	if _, _, err := OpenTableDir(t.TempDir()); err == nil {
		t.Error("a directory without a schema opened as a table")
	}
}

// TestMemoryStaysBoundedWhileStreaming writes a million rows through one session and checks
// the live heap: it must not grow with the number of rows.
func TestMemoryStaysBoundedWhileStreaming(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a million rows")
	}
	ctx := context.Background()
	w := openTest(t)
	p := part("20221122", "10")
	s, err := w.Begin(ctx, sink.SessionSpec{Table: attrTable("big"), Segment: "s", Owned: p})
	if err != nil {
		t.Fatal(err)
	}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	const total = 1_000_000
	value := strings.Repeat("v", 100)
	var atTenth uint64
	for i := 0; i < total; i++ {
		row := schema.Row{fmt.Sprint("key-", i), value, int64(i % 12), nil, int64(i), int64(1669082400000 + i)}
		if err := s.Write(ctx, p, row); err != nil {
			t.Fatal(err)
		}
		if i == total/10 {
			atTenth = heap()
		}
	}
	end := heap()
	t.Logf("heap in use: %d KiB after %d rows, %d KiB after %d rows", atTenth>>10, total/10, end>>10, total)
	const bound = 64 << 20
	if end > bound {
		t.Errorf("heap in use %d MiB after %d rows, bound %d MiB", end>>20, total, bound>>20)
	}
	if end > atTenth+16<<20 {
		t.Errorf("heap grew from %d KiB to %d KiB between %d and %d rows", atTenth>>10, end>>10, total/10, total)
	}
	if err := s.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := w.Scan(ctx, "big", nil, func(schema.Partition, map[string]any) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != total {
		t.Fatalf("scanned %d rows, wrote %d", n, total)
	}
}

func BenchmarkWriteAttributeTable(b *testing.B) {
	ctx := context.Background()
	w := openTest(b)
	p := part("20221122", "10")
	value := `{"a":{"a1":"hello"},"b":"world","c":["xxxxxxx","yyyyyyy"]}`
	row := schema.Row{"key", value, int64(3), `[{"k":"v"}]`, int64(0), int64(1669082400000)}
	s, err := w.Begin(ctx, sink.SessionSpec{Table: attrTable("bench"), Segment: "s", Owned: p})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		row[4] = int64(i)
		if err := s.Write(ctx, p, row); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
