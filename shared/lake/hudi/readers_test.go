package hudi_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/lake/hudi"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schema"
)

// The independent readers' tests (hudi-rs in hudirs_test.go, Hive's MapReduce input format in
// hivemr_test.go) read every table shape fcsync writes. This file writes the shapes with the
// real writer and renders fcsync's own reading of them (Snapshot, what `localrun query`
// prints) in a canonical text form the other readers' output is rendered into too.

// TestOtherReadersReadEveryShapeAsFcsyncDoes writes every table shape fcsync produces (see
// readerShapes) once, and has hudi-rs (readWithHudiRs) and Hudi 0.12's Hive/MapReduce input
// format (readWithHiveMR) read them at the same time, each in one process.
func TestOtherReadersReadEveryShapeAsFcsyncDoes(t *testing.T) {
	tables := writeReaderTables(t, t.TempDir())
	t.Run("hudi-rs", func(t *testing.T) { t.Parallel(); readWithHudiRs(t, tables) })
	t.Run("Hive MR", func(t *testing.T) { t.Parallel(); readWithHiveMR(t, tables) })
}

// readerColumns has a column of every type fcsync writes.
var readerColumns = []schema.Column{
	{Name: "id", Type: schema.BigInt},
	{Name: "name", Type: schema.String},
	{Name: "region", Type: schema.Varchar},
	{Name: "qty", Type: schema.Int},
	{Name: "small", Type: schema.SmallInt},
	{Name: "tiny", Type: schema.TinyInt},
	{Name: "price", Type: schema.Double},
	{Name: "ratio", Type: schema.Float},
	{Name: "amount", Type: schema.Decimal},
	{Name: "ok", Type: schema.Boolean},
	{Name: "day", Type: schema.Date},
	{Name: "at", Type: schema.Timestamp},
	{Name: "seen", Type: schema.Datetime},
	{Name: "raw", Type: schema.Binary},
	{Name: "doc", Type: schema.JSON},
	{Name: "code", Type: schema.Char},
}

var readerTime = time.Date(2024, 6, 30, 22, 15, 1, 250000000, time.UTC)

// readerRow is row id of batch version v: NULLs in every nullable column now and then,
// non-ASCII text, negative numbers, micro-seconds, a date before 1970, NaN and infinities.
func readerRow(id, v int) schema.Row {
	region := []any{"us", "cn", "a/b", nil, "", "é ü"}[id%6]
	price := float64(id) + 0.5
	switch id % 13 {
	case 7:
		price = math.Inf(1)
	case 11:
		price = math.NaN()
	case 12:
		price = -1e300
	}
	var ok any = id%2 == 0
	if id%7 == 5 {
		ok = nil
	}
	day := time.Date(2024, 6, 29+id%3, 0, 0, 0, 0, time.UTC)
	if id%10 == 9 {
		day = time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)
	}
	at := readerTime.Add(time.Duration(id)*37*time.Minute + time.Duration(id)*time.Microsecond)
	var seen any = at.Add(-time.Duration(v) * 26 * time.Hour)
	if id%4 == 3 {
		seen = nil
	}
	var raw any = []byte{0, 1, 0xff, byte(id)}
	if id%5 == 4 {
		raw = nil
	}
	name := fmt.Sprintf("n%d-v%d", id, v)
	if id%3 == 1 {
		name = fmt.Sprintf("名字 %d \"v%d\"\n", id, v)
	}
	return schema.Row{int64(id), name, region, int64(id * v), int64(-id * 100), int64(id%100 - 50), price,
		float64(float32(0.1 * float64(id))), fmt.Sprintf("%d12345678901234567890.%02d", -id, v), ok, day, at, seen,
		raw, fmt.Sprintf(`{"k":%d,"v":[%d]}`, id, v), fmt.Sprintf("c%02d", id)}
}

func readerRows(from, to, v int) []schema.Row {
	var rows []schema.Row
	for id := from; id < to; id++ {
		rows = append(rows, readerRow(id, v))
	}
	return rows
}

// readerBatches writes the usual two batches: 40 rows, then 30 more of which 20 update stored
// keys with a larger precombine value and 5 with a smaller one (the stored rows win those).
func readerBatches(t *testing.T, tbl *hudi.Table, cols []schema.Column) {
	t.Helper()
	mustWrite(t, tbl, hudi.Batch{Columns: cols, Rows: readerRows(0, 40, 1)})
	second := append(readerRows(30, 35, 0), readerRows(35, 60, 2)...)
	mustWrite(t, tbl, hudi.Batch{Columns: cols, Rows: second})
}

// readerShape is one table shape fcsync writes.
type readerShape struct {
	name  string
	cfg   hudi.Config
	opts  []hudi.Option
	write func(t *testing.T, s objstore.Store, tbl *hudi.Table) // nil: readerBatches
	// unpublished, if set, runs after fcsync's reading is taken: a write that decides its
	// commit but dies before publishing the .commit. Hudi's readers must still read the rows
	// fcsync's reader returned before it (fcsync's reader and writers publish such a commit).
	unpublished func(t *testing.T, s objstore.Store, tbl *hudi.Table)
	// empty: the table has no commit (write does nothing).
	empty bool
	// Known limitations of a reader: the error it fails with ("" when it reads the shape).
	hudirs, hivemr string
}

func keyed(name string, p hudi.Partitioning) hudi.Config {
	return hudi.Config{Name: name, Columns: readerColumns, RecordKey: []string{"id"}, Precombine: "qty", Partitioning: p}
}

// readerShapes are the shapes: every partitioning, key kind, schema change, housekeeping and
// crash state fcsync's writer produces.
func readerShapes() []readerShape {
	clk := newJumpClock() // the archived shape's: moved past the archive grace period before each commit
	return []readerShape{
		{name: "non-partitioned upsert", cfg: keyed("t_upsert", hudi.Partitioning{})},
		{name: "non-partitioned insert-only", cfg: hudi.Config{Name: "t_insert", Columns: readerColumns}},
		{name: "by field", cfg: keyed("t_field", hudi.Partitioning{Fields: []string{"region"}})},
		{name: "by two fields hive style", cfg: keyed("t_fields_hive", hudi.Partitioning{Fields: []string{"region", "day"}, HiveStyle: true})},
		{name: "composite key by field hive style", cfg: hudi.Config{Name: "t_composite", Columns: readerColumns,
			RecordKey: []string{"id", "code"}, Partitioning: hudi.Partitioning{Fields: []string{"ok"}, HiveStyle: true}}},
		{name: "by event time hour hive style", cfg: keyed("t_hour_hive", hudi.Partitioning{TimeField: "at", Granularity: hudi.Hour, HiveStyle: true})},
		{name: "by event time day plain", cfg: keyed("t_day", hudi.Partitioning{TimeField: "seen", Granularity: hudi.Day})},
		{name: "by event time month plain on a DATE", cfg: keyed("t_month_date", hudi.Partitioning{TimeField: "day", Granularity: hudi.Month})},
		{name: "by event time year hive style on a DATE", cfg: keyed("t_year_hive", hudi.Partitioning{TimeField: "day", Granularity: hudi.Year, HiveStyle: true})},
		{name: "added columns", cfg: keyed("t_added", hudi.Partitioning{Fields: []string{"region"}}),
			write: func(t *testing.T, _ objstore.Store, tbl *hudi.Table) {
				readerBatches(t, tbl, readerColumns)
				cols := append(slices.Clone(readerColumns), schema.Column{Name: "extra", Type: schema.String},
					schema.Column{Name: "extra_n", Type: schema.BigInt})
				var rows []schema.Row
				for _, id := range []int{1, 2, 45, 70, 71} {
					rows = append(rows, append(readerRow(id, 3), fmt.Sprintf("e%d", id), int64(id)<<40))
				}
				rows[1][len(cols)-2] = nil
				mustWrite(t, tbl, hudi.Batch{Columns: cols, Rows: rows})
				// A batch without most columns: the others are NULL.
				mustWrite(t, tbl, hudi.Batch{Columns: []schema.Column{{Name: "id", Type: schema.BigInt}, {Name: "region", Type: schema.Varchar},
					{Name: "qty", Type: schema.Int}, {Name: "extra", Type: schema.String}},
					Rows: []schema.Row{{int64(3), nil, int64(99), "short"}, {int64(80), "us", int64(1), nil}}})
			}},
		{name: "widened types", cfg: keyed("t_widened", hudi.Partitioning{}),
			write: func(t *testing.T, _ objstore.Store, tbl *hudi.Table) {
				readerBatches(t, tbl, readerColumns)
				cols := slices.Clone(readerColumns)
				cols[3].Type, cols[7].Type = schema.BigInt, schema.Double // qty INT -> BIGINT, ratio FLOAT -> DOUBLE
				r := readerRow(90, 1)
				r[3], r[7] = int64(1)<<40, 0.1
				u := readerRow(5, 7)
				u[7] = 1.0 / 3
				mustWrite(t, tbl, hudi.Batch{Columns: cols, Rows: []schema.Row{r, u}})
			}},
		{name: "cleaned", cfg: keyed("t_cleaned", hudi.Partitioning{Fields: []string{"region"}}), opts: []hudi.Option{hudi.WithCleanRetained(1)},
			write: func(t *testing.T, _ objstore.Store, tbl *hudi.Table) {
				cleaned := 0
				for v := 1; v <= 5; v++ {
					cleaned += mustWrite(t, tbl, hudi.Batch{Columns: readerColumns, Rows: readerRows(0, 20+5*v, v)}).Cleaned
				}
				if cleaned == 0 {
					t.Fatal("nothing was cleaned")
				}
			}},
		{name: "archived", cfg: keyed("t_archived", hudi.Partitioning{TimeField: "at", Granularity: hudi.Day}),
			opts: []hudi.Option{hudi.WithClock(clk.Now), hudi.WithAutoArchive(true), hudi.WithCleanRetained(1), hudi.WithArchiveKeep(2, 3)},
			write: func(t *testing.T, s objstore.Store, tbl *hudi.Table) {
				// New keys of later days each time: the older days' files keep archived instants.
				archived := 0
				for v := 1; v <= 9; v++ {
					clk.Jump(archiveGraceJump)
					archived += mustWrite(t, tbl, hudi.Batch{Columns: readerColumns, Rows: readerRows(10*v-10, 10*v, v)}).Archived
				}
				if archived < 5 {
					t.Fatalf("only %d commits were archived", archived)
				}
				first := activeCommits(t, s, tbl.Root())[0]
				if !slices.ContainsFunc(baseFileInstants(t, s, tbl.Root()), func(i string) bool { return i < first }) {
					t.Fatal("no base file of an archived instant is left to read")
				}
			}},
		{name: "topped-up small files", cfg: keyed("t_topped", hudi.Partitioning{Fields: []string{"ok"}}), opts: []hudi.Option{hudi.WithFileSizes(64<<10, 48<<10)},
			write: func(t *testing.T, _ objstore.Store, tbl *hudi.Table) {
				files := 0
				for b := range 8 {
					files += mustWrite(t, tbl, hudi.Batch{Columns: readerColumns, Rows: readerRows(b*15, b*15+15, 1)}).Files
				}
				snap, err := tbl.Snapshot(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if len(snap.Files()) >= 8 {
					t.Fatalf("%d file groups after 8 batches: no top-up", len(snap.Files()))
				}
			}},
		{name: "top-up keeping row groups in place", cfg: streamConfig,
			write: func(t *testing.T, _ objstore.Store, tbl *hudi.Table) {
				c := newKeepCase()
				mustWrite(t, tbl, c.first)
				mustWrite(t, tbl, c.next)
			}},
		{name: "crashed write left behind", cfg: keyed("t_crashed", hudi.Partitioning{Fields: []string{"region"}, HiveStyle: true}),
			write: func(t *testing.T, s objstore.Store, tbl *hudi.Table) {
				readerBatches(t, tbl, readerColumns)
				crashWrite(t, s, tbl, ".parquet", readerRows(0, 8, 9))
				commits := activeCommits(t, s, tbl.Root())
				if !slices.ContainsFunc(baseFileInstants(t, s, tbl.Root()), func(i string) bool { return !slices.Contains(commits, i) }) {
					t.Fatal("the crashed write left no uncommitted base file")
				}
			}},
		{name: "crash then recovery", cfg: keyed("t_recovered", hudi.Partitioning{Fields: []string{"region"}, HiveStyle: true}),
			write: func(t *testing.T, s objstore.Store, tbl *hudi.Table) {
				readerBatches(t, tbl, readerColumns)
				crashWrite(t, s, tbl, ".parquet", readerRows(0, 8, 9))
				next, err := hudi.Open(t.Context(), s, tbl.Root())
				if err != nil {
					t.Fatal(err)
				}
				mustWrite(t, next, hudi.Batch{Columns: readerColumns, Rows: readerRows(4, 12, 10)})
			}},
		{name: "created, nothing committed", cfg: keyed("t_empty", hudi.Partitioning{Fields: []string{"region"}}), empty: true,
			write: func(*testing.T, objstore.Store, *hudi.Table) {}},
		{name: "decided but not published", cfg: keyed("t_unpublished", hudi.Partitioning{}),
			unpublished: func(t *testing.T, s objstore.Store, tbl *hudi.Table) {
				crashWrite(t, s, tbl, ".commit", readerRows(0, 8, 9))
			}},
	}
}

// baseFileInstants lists the instants of the base files under root.
func baseFileInstants(t *testing.T, s objstore.Store, root string) []string {
	t.Helper()
	var out []string
	for _, k := range listAll(t, s, root+"/") {
		if strings.HasSuffix(k, ".parquet") {
			parts := strings.Split(strings.TrimSuffix(path.Base(k), ".parquet"), "_")
			out = append(out, parts[len(parts)-1])
		}
	}
	return out
}

// crashWrite writes rows through a store that dies right after a Put or CreateIfAbsent of a
// key ending in suffix succeeds (.parquet: uncommitted files stay; .commit: the commit is
// decided in the commit log, its .commit never appears), as a process that dies there.
func crashWrite(t *testing.T, s objstore.Store, tbl *hudi.Table, suffix string, rows []schema.Row) {
	t.Helper()
	c := &dieAfter{Store: s, suffix: suffix}
	if suffix == ".commit" {
		c.before = true // the .commit's create itself is lost
	}
	dying, err := hudi.Open(t.Context(), c, tbl.Root())
	if err != nil {
		t.Fatal(err)
	}
	c.armed.Store(true)
	if _, err := dying.Write(t.Context(), hudi.Batch{Columns: readerColumns, Rows: rows}); err == nil && !c.dead.Load() {
		t.Fatal("the write did not reach its crash point")
	}
	if !c.dead.Load() {
		t.Fatal("the write never wrote a " + suffix)
	}
}

// dieAfter is a store that fails every operation once a write of a key ending in suffix has
// succeeded (with before, the write itself fails).
type dieAfter struct {
	objstore.Store
	suffix      string
	before      bool
	armed, dead atomic.Bool
}

func (c *dieAfter) check() error {
	if c.dead.Load() {
		return errDead
	}
	return nil
}

func (c *dieAfter) wrote(k string) error {
	if c.armed.Load() && strings.HasSuffix(k, c.suffix) {
		c.dead.Store(true)
		if c.before {
			return errDead
		}
	}
	return nil
}

func (c *dieAfter) Get(ctx context.Context, k string) ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	return c.Store.Get(ctx, k)
}

func (c *dieAfter) Put(ctx context.Context, k string, d []byte) error {
	if err := c.check(); err != nil {
		return err
	}
	if c.before && c.wrote(k) != nil {
		return errDead
	}
	err := c.Store.Put(ctx, k, d)
	c.wrote(k)
	return err
}

func (c *dieAfter) CreateIfAbsent(ctx context.Context, k string, d []byte) error {
	if err := c.check(); err != nil {
		return err
	}
	if c.before && c.wrote(k) != nil {
		return errDead
	}
	err := c.Store.CreateIfAbsent(ctx, k, d)
	c.wrote(k)
	return err
}

func (c *dieAfter) List(ctx context.Context, p, a string, n int) ([]string, string, error) {
	if err := c.check(); err != nil {
		return nil, "", err
	}
	return c.Store.List(ctx, p, a, n)
}

func (c *dieAfter) Delete(ctx context.Context, k string) error {
	if err := c.check(); err != nil {
		return err
	}
	return c.Store.Delete(ctx, k)
}

// readerTable is a shape written into a directory, with fcsync's reading of it.
type readerTable struct {
	shape readerShape
	dir   string                 // the table's directory
	types map[string]string      // column -> the Arrow type its schema type maps to
	cols  []string               // the snapshot's columns
	sch   map[string]schema.Type // data column -> its type (meta columns: "")
	want  []string               // fcsync's rows, canonical (see canonRow), sorted
}

// writeReaderTables writes every shape into its own directory under base and reads each with
// fcsync's reader, as `localrun query` does.
func writeReaderTables(t *testing.T, base string) []*readerTable {
	t.Helper()
	var out []*readerTable
	for _, sh := range readerShapes() {
		dir := filepath.Join(base, strings.ReplaceAll(sh.name, " ", "_"))
		s, err := objstore.NewDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		tbl := mustCreate(t, s, "t", sh.cfg, sh.opts...)
		if sh.write != nil {
			sh.write(t, s, tbl)
		} else {
			readerBatches(t, tbl, readerColumns)
		}
		rt := &readerTable{shape: sh, dir: filepath.Join(dir, "t")}
		rt.read(t, s)
		if sh.unpublished != nil {
			sh.unpublished(t, s, tbl)
			if n := len(activeCommits(t, s, "t")); n != 2 {
				t.Fatalf("%s: %d .commit files, want 2 (the third commit unpublished)", sh.name, n)
			}
		}
		out = append(out, rt)
	}
	return out
}

// read takes fcsync's reading of the table: a new process's Snapshot.
func (rt *readerTable) read(t *testing.T, s objstore.Store) {
	t.Helper()
	tbl, err := hudi.Open(t.Context(), s, "t")
	if err != nil {
		t.Fatal(err)
	}
	snap, err := tbl.Snapshot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	rt.cols = snap.Columns()
	rt.types = map[string]string{}
	colType := map[string]schema.Type{}
	for _, c := range tbl.Columns() {
		colType[c.Name] = c.Type
	}
	rt.sch = colType
	for _, c := range snap.Columns() {
		rt.types[c] = arrowType(colType[c]) // meta columns: "" -> string
	}
	rt.want = nil
	err = snap.Scan(t.Context(), func(r hudi.Row) error {
		vals := map[string]string{}
		for i, c := range r.Columns() {
			vals[c] = canonGo(colType[c], r.Values[i])
		}
		rt.want = append(rt.want, canonRow(snap.Columns(), vals))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(rt.want)
	if len(rt.want) == 0 && !rt.shape.empty {
		t.Fatalf("%s: no rows", rt.shape.name)
	}
}

// arrowType is the Arrow type a reader of the Parquet files gives a column of type t (meta
// columns: t is "").
func arrowType(t schema.Type) string {
	switch t {
	case schema.BigInt:
		return "int64"
	case schema.Int, schema.SmallInt, schema.TinyInt:
		return "int32"
	case schema.Double:
		return "double"
	case schema.Float:
		return "float"
	case schema.Boolean:
		return "bool"
	case schema.Date:
		return "date32[day]"
	case schema.Timestamp, schema.Datetime:
		return "timestamp[us, tz=UTC]"
	case schema.Binary:
		return "binary"
	}
	return "string" // text, JSON, DECIMAL (exact text) and the meta columns
}

// canonRow renders a row as one line: column=value pairs in column order.
func canonRow(cols []string, vals map[string]string) string {
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteString(" | ")
		}
		b.WriteString(c)
		b.WriteByte('=')
		b.WriteString(vals[c])
	}
	return b.String()
}

// canonGo renders a value of fcsync's reader: a tag for its kind, then its value.
func canonGo(t schema.Type, v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case int64:
		return "i:" + strconv.FormatInt(x, 10)
	case float64:
		if t == schema.Float {
			return canonFloat32(x)
		}
		return canonFloat(x)
	case bool:
		return "b:" + strconv.FormatBool(x)
	case string:
		return "s:" + strconv.Quote(x)
	case []byte:
		return "x:" + hex.EncodeToString(x)
	case time.Time:
		if t == schema.Date {
			return "d:" + x.UTC().Format(time.DateOnly)
		}
		return "t:" + x.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("?:%T:%v", v, v)
}

func canonFloat(f float64) string { return "f:" + strconv.FormatFloat(f, 'g', -1, 64) }

// canonFloat32 renders a FLOAT value at its stored precision: fcsync's reader returns 0.1 for
// the float 0.1, Arrow readers 0.10000000149011612; both are the same float.
func canonFloat32(f float64) string {
	return "f:" + strconv.FormatFloat(float64(float32(f)), 'g', -1, 32)
}

// canonJSON renders a value another reader printed as JSON (see testdata/hudirs/snapshot.py) for
// a column of the given Arrow type.
func canonJSON(arrow string, raw json.RawMessage) (string, error) {
	if string(raw) == "null" {
		return "NULL", nil
	}
	var v any
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	num, isNum := v.(json.Number)
	str, isStr := v.(string)
	switch {
	case strings.HasPrefix(arrow, "int") || strings.HasPrefix(arrow, "uint"):
		if isNum {
			if _, err := strconv.ParseInt(num.String(), 10, 64); err == nil {
				return "i:" + num.String(), nil
			}
		}
	case arrow == "float" || arrow == "double" || arrow == "halffloat":
		if isStr {
			return "f:" + str, nil // NaN, +Inf, -Inf
		}
		if isNum {
			f, err := strconv.ParseFloat(num.String(), 64)
			if err == nil && arrow == "float" {
				return canonFloat32(f), nil
			}
			if err == nil {
				return canonFloat(f), nil
			}
		}
	case arrow == "bool":
		if b, ok := v.(bool); ok {
			return "b:" + strconv.FormatBool(b), nil
		}
	case arrow == "string" || arrow == "large_string" || arrow == "string_view" || strings.HasPrefix(arrow, "decimal"):
		if isStr {
			return "s:" + strconv.Quote(str), nil
		}
	case arrow == "binary" || arrow == "large_binary" || arrow == "binary_view":
		if isStr {
			b, err := base64.StdEncoding.DecodeString(str)
			if err == nil {
				return "x:" + hex.EncodeToString(b), nil
			}
		}
	case strings.HasPrefix(arrow, "timestamp"):
		if isNum {
			us, err := num.Int64()
			if err == nil {
				return "t:" + time.UnixMicro(us).UTC().Format(time.RFC3339Nano), nil
			}
		}
	case strings.HasPrefix(arrow, "date32"):
		if isNum {
			d, err := num.Int64()
			if err == nil {
				return "d:" + time.Unix(d*86400, 0).UTC().Format(time.DateOnly), nil
			}
		}
	}
	return "", fmt.Errorf("value %s does not fit Arrow type %s", raw, arrow)
}

// readerOutput is what another reader printed for one table.
type readerOutput struct {
	types map[string]string
	cols  []string // in the reader's order
	rows  []string // canonical, sorted
	err   string
}

// compare checks another reader's output against fcsync's reading: the same columns with the
// types given (column -> the type the reader reports), and the same rows, value for value.
func (rt *readerTable) compare(t *testing.T, reader string, got *readerOutput, types map[string]string) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s printed nothing for the table", reader)
	}
	if got.err != "" {
		t.Fatalf("%s failed: %s", reader, got.err)
	}
	for c, want := range types {
		if g, ok := got.types[c]; !ok {
			t.Errorf("%s has no column %s", reader, c)
		} else if g != want && g != "" { // "": the reader read no value to tell the type by
			t.Errorf("column %s: %s type %s, want %s", c, reader, g, want)
		}
	}
	for c := range got.types {
		if _, ok := types[c]; !ok {
			t.Errorf("%s has column %s, fcsync's reader has not", reader, c)
		}
	}
	missing, extra := diffSorted(rt.want, got.rows)
	for _, r := range missing[:min(len(missing), 3)] {
		t.Errorf("row %s returns but %s does not:\n  %s", "fcsync's reader", reader, r)
	}
	for _, r := range extra[:min(len(extra), 3)] {
		t.Errorf("row %s returns but fcsync's reader does not:\n  %s", reader, r)
	}
	if len(missing)+len(extra) > 0 {
		t.Errorf("%s: %d rows, fcsync's reader %d; %d missing, %d extra", reader, len(got.rows), len(rt.want), len(missing), len(extra))
	}
}

// diffSorted returns the lines only in a and those only in b (both sorted, duplicates count).
func diffSorted(a, b []string) (onlyA, onlyB []string) {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i] < b[j]):
			onlyA = append(onlyA, a[i])
			i++
		case i == len(a) || b[j] < a[i]:
			onlyB = append(onlyB, b[j])
			j++
		default:
			i++
			j++
		}
	}
	return onlyA, onlyB
}

// parseReaderOutput reads JSON lines {"table", "types"|"row"|"error"} into outputs by table
// (named by directory), rendering values with canonJSON in the snapshot's column order, so the
// rows compare with fcsync's. decode gives the Arrow type a column's values are decoded as,
// from the type the reader reported (nil: the reported type).
func parseReaderOutput(t *testing.T, out []byte, tables []*readerTable, decode func(rt *readerTable, col, reported string) string) map[string]*readerOutput {
	t.Helper()
	byDir := map[string]*readerTable{}
	for _, rt := range tables {
		byDir[rt.dir] = rt
	}
	res := map[string]*readerOutput{}
	for _, line := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(line, "{") {
			continue // log lines
		}
		var m struct {
			Table string                     `json:"table"`
			Types map[string]string          `json:"types"`
			Row   map[string]json.RawMessage `json:"row"`
			Error *string                    `json:"error"`
		}
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("reader output %q: %v", line, err)
		}
		rt := byDir[m.Table]
		if rt == nil {
			t.Fatalf("reader output for an unknown table: %q", line)
		}
		o := res[m.Table]
		if o == nil {
			o = &readerOutput{}
			res[m.Table] = o
		}
		switch {
		case m.Error != nil:
			o.err = *m.Error
		case m.Types != nil:
			o.types = m.Types
		case m.Row != nil:
			vals := map[string]string{}
			for c, raw := range m.Row {
				typ := o.types[c]
				if decode != nil {
					typ = decode(rt, c, typ)
				}
				v, err := canonJSON(typ, raw)
				if err != nil {
					v = "?:" + err.Error()
				}
				vals[c] = v
			}
			o.rows = append(o.rows, canonRow(rt.cols, vals))
		}
	}
	for _, o := range res {
		slices.Sort(o.rows)
	}
	return res
}
