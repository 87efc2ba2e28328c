package hudi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/counterpart"
	"github.com/fcsync/fcsync/shared/lake/hudi"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schema"
)

// sparkScript runs Apache Spark (pyspark, see .ci/requirements.txt) with a Hudi Spark bundle and
// answers the requests of these tests; see its doc string.
const sparkScript = "testdata/spark/hudi_spark.py"

// sparkSession is one Spark JVM with one Hudi bundle, started on first use and shared by every
// test of the binary (a session takes 10-20 s to start); TestMain stops it.
type sparkSession struct {
	name  string // the bundle's Hudi version, as tests name it
	coord string // the bundle's Maven coordinates

	once sync.Once
	proc *counterpart.Process
	url  string
	err  error
}

// The bundles: Hudi 0.15 writes table version 6 (what fcsync writes), Hudi 1.0 writes version 8
// (which fcsync reads).
var (
	spark015 = &sparkSession{name: "hudi-0.15", coord: "org.apache.hudi:hudi-spark3.5-bundle_2.12:0.15.0"}
	spark10  = &sparkSession{name: "hudi-1.0", coord: "org.apache.hudi:hudi-spark3.5-bundle_2.12:1.0.2"}
	sparks   = []*sparkSession{spark015, spark10}
)

// stopSparkSessions stops the sessions the tests started (TestMain calls it).
func stopSparkSessions() {
	for _, s := range sparks {
		if s.proc != nil {
			s.proc.Stop()
			os.RemoveAll(filepath.Dir(s.proc.Log))
		}
	}
}

// start starts the session, or skips or fails t when Python with pyspark, Java or the bundle
// is missing.
func (s *sparkSession) start(t *testing.T) {
	t.Helper()
	started := false
	s.once.Do(func() {
		python := counterpart.Python(t, "pyspark")
		counterpart.Java(t)
		jars, err := filepath.Glob(counterpart.Jars(t, s.name, s.coord) + ".jar")
		if err != nil || len(jars) == 0 {
			s.err = fmt.Errorf("no jars resolved for %s (%v)", s.coord, err)
			return
		}
		logDir, err := os.MkdirTemp("", "fcsync-spark-")
		if err != nil {
			s.err = err
			return
		}
		port := counterpart.FreePort(t)
		cmd := exec.Command(python, sparkScript, strconv.Itoa(port), strings.Join(jars, ","))
		cmd.Env = append(os.Environ(), "SPARK_LOCAL_IP=127.0.0.1", "PYSPARK_PYTHON="+python)
		if s.proc, s.err = counterpart.Launch(cmd, logDir); s.err != nil {
			return
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		if s.err = s.proc.WaitListening(addr, 3*time.Minute); s.err != nil {
			return
		}
		s.url = "http://" + addr + "/"
		started = true
		t.Logf("spark %s: session on %s", s.name, addr)
	})
	if s.err != nil {
		t.Fatalf("spark %s: %v", s.name, s.err)
	}
	if s.url == "" && !started {
		// The first test to start the session skipped (or failed) on a missing counterpart.
		counterpart.Missing(t, "spark %s: no session (Python with pyspark, Java or the bundle is missing)", s.name)
	}
}

// call sends one request and decodes the answer into out; an error answer is returned as an
// error (Spark's own message, without its stack trace past a few lines).
func (s *sparkSession) call(t *testing.T, req map[string]any, out any) error {
	t.Helper()
	s.start(t)
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 5 * time.Minute}
	resp, err := client.Post(s.url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("spark %s: %v\n%s", s.name, err, s.proc.Tail(4000))
	}
	defer resp.Body.Close()
	var data json.RawMessage
	dec := json.NewDecoder(resp.Body)
	if err := dec.Decode(&data); err != nil {
		t.Fatalf("spark %s: answer: %v", s.name, err)
	}
	var status struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(data, &status); err != nil {
		t.Fatalf("spark %s: answer: %v", s.name, err)
	}
	if !status.OK {
		return fmt.Errorf("spark %s: %s", s.name, firstLines(status.Error, 12))
	}
	if out == nil {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	return d.Decode(out)
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

// sparkRows is Spark's snapshot read of a table.
type sparkRows struct {
	Columns []struct {
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"columns"`
	Rows [][]any `json:"rows"`
}

// read reads the table at dir with Spark (spark.read.format("hudi")), without the columns
// dropped.
func (s *sparkSession) read(t *testing.T, dir string, drop ...string) sparkRows {
	t.Helper()
	var out sparkRows
	if err := s.call(t, map[string]any{"op": "read", "path": dir, "drop": drop}, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// sparkValue renders a value, read by Spark (JSON with json.Number) or by fcsync (Go values,
// converted as the script converts Spark's: TIMESTAMP to epoch microseconds, DATE to yyyy-MM-dd,
// binary to base64), as one comparable text. Numbers compare by value, so 2.0 and 2 are equal.
func sparkValue(v any, sparkType string) any {
	switch x := v.(type) {
	case nil, bool, string:
		return x
	case json.Number:
		if sparkType == "float" {
			// Spark widens a FLOAT exactly (0.3333333432674408), fcsync by its shortest text
			// (0.33333334): the same float32 either way.
			f, err := strconv.ParseFloat(x.String(), 64)
			if err != nil {
				return "bad number " + x.String()
			}
			return "\x00float:" + strconv.FormatFloat(float64(float32(f)), 'g', -1, 32)
		}
		r, ok := new(big.Rat).SetString(x.String())
		if !ok {
			return "bad number " + x.String()
		}
		return "\x00num:" + r.RatString()
	case int64:
		return sparkValue(json.Number(strconv.FormatInt(x, 10)), sparkType)
	case float64:
		return sparkValue(json.Number(strconv.FormatFloat(x, 'g', -1, 64)), sparkType)
	case time.Time:
		if sparkType == "date" {
			return x.UTC().Format(time.DateOnly)
		}
		return sparkValue(x.UnixMicro(), "")
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = sparkValue(e, "")
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = sparkValue(e, "")
		}
		return out
	}
	return fmt.Sprintf("unexpected %T %v", v, v)
}

// canonicalRows renders rows (column name to value) as sorted JSON lines.
func canonicalRows(t *testing.T, rows []map[string]any) []string {
	t.Helper()
	out := make([]string, len(rows))
	for i, r := range rows {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = string(b)
	}
	slices.Sort(out)
	return out
}

// sparkCanonical is Spark's read as canonical rows, and Spark's column types by name.
func sparkCanonical(t *testing.T, sr sparkRows) ([]string, map[string]string) {
	t.Helper()
	types := map[string]string{}
	for _, c := range sr.Columns {
		types[c.Name] = c.Type
	}
	rows := make([]map[string]any, len(sr.Rows))
	for i, r := range sr.Rows {
		m := map[string]any{}
		for j, c := range sr.Columns {
			m[c.Name] = sparkValue(r[j], c.Type)
		}
		rows[i] = m
	}
	return canonicalRows(t, rows), types
}

// fcsyncCanonical reads the table's snapshot as `localrun query` does (Open, Snapshot, Scan)
// and renders it as canonical rows, converting values by Spark's column types, without the
// columns dropped.
func fcsyncCanonical(t *testing.T, s objstore.Store, root string, types map[string]string, drop ...string) ([]string, []string, error) {
	t.Helper()
	tbl, err := hudi.Open(t.Context(), s, root)
	if err != nil {
		return nil, nil, err
	}
	snap, err := tbl.Snapshot(t.Context())
	if err != nil {
		return nil, nil, err
	}
	var rows []map[string]any
	err = snap.Scan(t.Context(), func(r hudi.Row) error {
		m := map[string]any{}
		for i, c := range r.Columns() {
			if !slices.Contains(drop, c) {
				m[c] = sparkValue(r.Values[i], types[c])
			}
		}
		rows = append(rows, m)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	cols := slices.DeleteFunc(snap.Columns(), func(c string) bool { return slices.Contains(drop, c) })
	return canonicalRows(t, rows), cols, nil
}

// diffRows reports the rows only one side has (at most a few of each).
func diffRows(got, want []string) string {
	var b strings.Builder
	only := func(label string, a, other []string) {
		n := 0
		for _, r := range a {
			if _, found := slices.BinarySearch(other, r); !found {
				if n < 3 {
					fmt.Fprintf(&b, "\n  only %s: %s", label, strings.NewReplacer("\x00num:", "", "\x00float:", "").Replace(r))
				}
				n++
			}
		}
		if n > 3 {
			fmt.Fprintf(&b, "\n  ... %d rows only %s", n, label)
		}
	}
	only("fcsync", got, want)
	only("spark", want, got)
	return b.String()
}

// compareWithSpark checks that fcsync's snapshot of the table has exactly Spark's rows and
// columns, but the columns dropped (which Spark's read must not have either).
func compareWithSpark(t *testing.T, s objstore.Store, root string, sr sparkRows, drop ...string) {
	t.Helper()
	want, types := sparkCanonical(t, sr)
	got, cols, err := fcsyncCanonical(t, s, root, types, drop...)
	if err != nil {
		t.Fatal(err)
	}
	// Spark puts partition columns last; the names must be the same.
	var sparkCols []string
	for _, c := range sr.Columns {
		sparkCols = append(sparkCols, c.Name)
	}
	slices.Sort(cols)
	slices.Sort(sparkCols)
	if !slices.Equal(cols, sparkCols) {
		t.Errorf("columns: fcsync %q, spark %q", cols, sparkCols)
	}
	if !slices.Equal(got, want) {
		t.Errorf("fcsync read %d rows, spark %d:%s", len(got), len(want), diffRows(got, want))
	}
	if len(want) == 0 {
		t.Error("spark read no rows")
	}
}

// checkPartitionPathInPlaceOf checks that Spark's read has each row's partition path as the
// column's value (NULL for __HIVE_DEFAULT_PARTITION__).
func checkPartitionPathInPlaceOf(t *testing.T, sr sparkRows, column string) {
	t.Helper()
	pi, ci := -1, -1
	for i, c := range sr.Columns {
		switch c.Name {
		case "_hoodie_partition_path":
			pi = i
		case column:
			ci = i
		}
	}
	if pi < 0 || ci < 0 {
		t.Fatalf("spark read no %s or no _hoodie_partition_path", column)
	}
	for _, r := range sr.Rows {
		want := r[pi]
		if want == "__HIVE_DEFAULT_PARTITION__" {
			want = nil
		}
		if r[ci] != want {
			t.Errorf("spark read %s = %v, not the partition path %v", column, r[ci], r[pi])
			return
		}
	}
}

// sparkTable is a table a Spark job wrote with one of the script's kinds, cached under
// .cache/spark-hudi by the hash of the script, the bundle and the kind, with Spark's own
// snapshot read of it: a rerun on the same machine starts no Spark to make it.
type sparkTable struct {
	dir  string // the table's directory
	rows sparkRows
}

func (s *sparkSession) table(t *testing.T, kind string) sparkTable {
	t.Helper()
	script, err := os.ReadFile(sparkScript)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n", s.coord, kind)
	h.Write(script)
	cache := counterpart.Cache(t, "spark-hudi")
	prefix := s.name + "-" + kind + "-"
	dir := filepath.Join(cache, prefix+hex.EncodeToString(h.Sum(nil))[:16])
	rowsFile := filepath.Join(dir, "spark_rows.json")
	tbl := sparkTable{dir: filepath.Join(dir, "table")}
	if data, err := os.ReadFile(rowsFile); err == nil {
		d := json.NewDecoder(bytes.NewReader(data))
		d.UseNumber()
		if err := d.Decode(&tbl.rows); err == nil {
			return tbl
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := s.call(t, map[string]any{"op": "generate", "kind": kind, "path": filepath.Join(tmp, "table")}, nil); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		t.Fatal(err)
	}
	tbl.rows = s.read(t, tbl.dir)
	data, err := json.Marshal(tbl.rows)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rowsFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("spark %s wrote the %s table in %s", s.name, kind, time.Since(start).Round(time.Millisecond))
	// Tables an older script made are of no further use.
	if old, err := filepath.Glob(filepath.Join(cache, prefix+"*")); err == nil {
		for _, o := range old {
			if o != dir {
				os.RemoveAll(o)
			}
		}
	}
	return tbl
}

// interopColumns are the column types fcsync writes, for the tables Spark reads.
var interopColumns = []schema.Column{
	{Name: "id", Type: schema.BigInt},
	{Name: "name", Type: schema.String},
	{Name: "city", Type: schema.String},
	{Name: "qty", Type: schema.Int},
	{Name: "price", Type: schema.Double},
	{Name: "ratio", Type: schema.Float},
	{Name: "amount", Type: schema.Decimal},
	{Name: "ok", Type: schema.Boolean},
	{Name: "day", Type: schema.Date},
	{Name: "at", Type: schema.Timestamp},
	{Name: "raw", Type: schema.Binary},
	{Name: "version", Type: schema.BigInt},
}

// interopRows makes rows ids [from, to) of interopColumns at a version.
func interopRows(from, to, version int) []schema.Row {
	at := time.Date(2024, 6, 30, 22, 15, 1, 250000000, time.UTC)
	var rows []schema.Row
	for id := from; id < to; id++ {
		rows = append(rows, schema.Row{int64(id), fmt.Sprintf("n%d-v%d", id, version), []string{"hangzhou", "beijing", "shanghai"}[id%3],
			int64(id * version), float64(id) + 0.5, float64(float32(id) / 3), fmt.Sprintf("%d.%02d", id, version),
			id%2 == 0, at.AddDate(0, 0, id%40), at.Add(time.Duration(id) * 97 * time.Minute), []byte(fmt.Sprintf("raw-%d\x00\xff", id)), int64(version)})
	}
	// A row of NULLs but its key, city and version: time partitioning puts it in
	// __HIVE_DEFAULT_PARTITION__.
	if from == 0 {
		rows[0] = schema.Row{int64(0), nil, "hangzhou", nil, nil, nil, nil, nil, nil, nil, nil, int64(version)}
	}
	return rows
}

func interopBatch(from, to, version int) hudi.Batch {
	return hudi.Batch{Columns: interopColumns, Rows: interopRows(from, to, version)}
}

func interopConfig(key []string, p hudi.Partitioning) hudi.Config {
	cfg := hudi.Config{Name: "interop", Columns: interopColumns, RecordKey: key, Partitioning: p}
	if len(key) > 0 {
		cfg.Precombine = "version"
	}
	return cfg
}

// fcsyncShape writes one table shape fcsync produces into store s at "lake/t".
type fcsyncShape struct {
	name  string
	write func(t *testing.T, s objstore.Store)
	// timeColumn is the event-time partition column, which Hudi's Spark readers do not read
	// from the files (see TestSparkReadsTheRowsFcsyncReadsFromEveryTableShape).
	timeColumn string
}

// commits writes the batches into a new table.
func commits(cfg hudi.Config, opts []hudi.Option, batches ...hudi.Batch) func(t *testing.T, s objstore.Store) {
	return func(t *testing.T, s objstore.Store) {
		tbl := mustCreate(t, s, "lake/t", cfg, opts...)
		for _, b := range batches {
			mustWrite(t, tbl, b)
		}
	}
}

var fcsyncShapes = []fcsyncShape{
	{name: "non-partitioned with upserts", write: commits(interopConfig([]string{"id"}, hudi.Partitioning{}), nil,
		interopBatch(0, 30, 1), interopBatch(20, 40, 2))},
	{name: "by field hive style", write: commits(interopConfig([]string{"id"}, hudi.Partitioning{Fields: []string{"city"}, HiveStyle: true}), nil,
		interopBatch(0, 30, 1), interopBatch(25, 35, 2))},
	{name: "by two fields with a composite key", write: commits(interopConfig([]string{"id", "city"}, hudi.Partitioning{Fields: []string{"city", "ok"}}), nil,
		interopBatch(0, 30, 1), interopBatch(25, 35, 2))},
	{name: "by event time per day", write: commits(interopConfig([]string{"id"}, hudi.Partitioning{TimeField: "at", Granularity: hudi.Day}), nil,
		interopBatch(0, 30, 1), interopBatch(25, 35, 2)), timeColumn: "at"},
	{name: "by event time per hour hive style", write: commits(interopConfig([]string{"id"}, hudi.Partitioning{TimeField: "at", Granularity: hudi.Hour, HiveStyle: true}), nil,
		interopBatch(0, 30, 1), interopBatch(25, 35, 2)), timeColumn: "at"},
	{name: "by DATE per month", write: commits(interopConfig([]string{"id"}, hudi.Partitioning{TimeField: "day", Granularity: hudi.Month}), nil,
		interopBatch(0, 30, 1), interopBatch(25, 35, 2)), timeColumn: "day"},
	{name: "by field with values that need escaping hive style", write: escapedValues(true)},
	{name: "by field with values that need escaping", write: escapedValues(false)},
	{name: "insert only", write: commits(interopConfig(nil, hudi.Partitioning{Fields: []string{"city"}}), nil,
		interopBatch(0, 20, 1), interopBatch(10, 30, 2))},
	{name: "added and widened columns", write: func(t *testing.T, s objstore.Store) {
		narrow := interopConfig([]string{"id"}, hudi.Partitioning{Fields: []string{"city"}})
		narrow.Columns = interopColumns[:len(interopColumns)-2] // no raw, no version
		narrow.Precombine = ""
		tbl := mustCreate(t, s, "lake/t", narrow)
		first := interopRows(0, 20, 1)
		for i := range first {
			first[i] = first[i][:len(first[i])-2]
		}
		mustWrite(t, tbl, hudi.Batch{Columns: narrow.Columns, Rows: first})
		wide := slices.Clone(interopColumns)
		wide[3].Type = schema.BigInt // qty: INT widens to BIGINT
		wide = append(wide, schema.Column{Name: "note", Type: schema.String})
		next := interopRows(15, 30, 2)
		for i := range next {
			next[i] = append(next[i], fmt.Sprintf("note %d", i))
		}
		mustWrite(t, tbl, hudi.Batch{Columns: wide, Rows: next})
	}},
	{name: "cleaned", write: commits(interopConfig([]string{"id"}, hudi.Partitioning{Fields: []string{"city"}}),
		[]hudi.Option{hudi.WithCleanRetained(1), hudi.WithFileSizes(4<<10, 3<<10)},
		interopBatch(0, 30, 1), interopBatch(0, 10, 2), interopBatch(5, 40, 3), interopBatch(30, 45, 4))},
	{name: "archived", write: func(t *testing.T, s objstore.Store) {
		clk := newJumpClock()
		tbl := mustCreate(t, s, "lake/t", interopConfig([]string{"id"}, hudi.Partitioning{Fields: []string{"city"}}),
			hudi.WithClock(clk.Now), hudi.WithAutoArchive(true), hudi.WithCleanRetained(1), hudi.WithArchiveKeep(2, 3),
			hudi.WithFileSizes(4<<10, 3<<10))
		archived := 0
		for i := range 8 {
			clk.Jump(archiveGraceJump)
			archived += mustWrite(t, tbl, interopBatch(i*5, i*5+10, i+1)).Archived
		}
		if archived == 0 {
			t.Fatal("nothing was archived")
		}
	}},
	{name: "topped-up small files", write: commits(interopConfig([]string{"id"}, hudi.Partitioning{Fields: []string{"city"}}),
		[]hudi.Option{hudi.WithFileSizes(64<<10, 48<<10)},
		interopBatch(0, 10, 1), interopBatch(10, 20, 1), interopBatch(5, 30, 2), interopBatch(30, 60, 1))},
	{name: "top-up keeping row groups in place", write: func(t *testing.T, s objstore.Store) {
		c := newKeepCase()
		tbl := mustCreate(t, s, "lake/t", c.cfg)
		mustWrite(t, tbl, c.first)
		mustWrite(t, tbl, c.next)
	}},
	{name: "after crash recovery", write: func(t *testing.T, s objstore.Store) {
		cs := &crashAfterPut{Store: s}
		cfg := interopConfig([]string{"id"}, hudi.Partitioning{Fields: []string{"city"}})
		mustWrite(t, mustCreate(t, cs, "lake/t", cfg), interopBatch(0, 20, 1))
		// A process dies after its first data file; the next one retries the batch.
		crashing, err := hudi.Open(t.Context(), cs, "lake/t")
		if err != nil {
			t.Fatal(err)
		}
		cs.armed.Store(true)
		if _, err := crashing.Write(t.Context(), interopBatch(10, 30, 2)); err == nil {
			t.Fatal("the crashing write succeeded")
		}
		retry, err := hudi.Open(t.Context(), s, "lake/t")
		if err != nil {
			t.Fatal(err)
		}
		mustWrite(t, retry, interopBatch(10, 30, 2))
		// Another dies after its first data file and nobody retries: its files stay behind.
		cs2 := &crashAfterPut{Store: s}
		last, err := hudi.Open(t.Context(), cs2, "lake/t")
		if err != nil {
			t.Fatal(err)
		}
		cs2.armed.Store(true)
		if _, err := last.Write(t.Context(), interopBatch(0, 40, 3)); err == nil {
			t.Fatal("the crashing write succeeded")
		}
	}},
}

// escapedValues writes a table partitioned by city values that partition paths escape.
func escapedValues(hive bool) func(t *testing.T, s objstore.Store) {
	return func(t *testing.T, s objstore.Store) {
		cities := []string{"a/b", "50%", `back\slash`, "..", ".", "héllo wörld", "tab\there", "", "x=y", hudi.DefaultPartition, "%2F"}
		rows := interopRows(0, 33, 1)
		for i, r := range rows {
			r[2] = cities[i%len(cities)]
			if r[2] == "" {
				r[2] = nil // Spark reads "" in __HIVE_DEFAULT_PARTITION__ as NULL, as in its own tables
			}
		}
		tbl := mustCreate(t, s, "lake/t", interopConfig([]string{"id"}, hudi.Partitioning{Fields: []string{"city"}, HiveStyle: hive}))
		mustWrite(t, tbl, hudi.Batch{Columns: interopColumns, Rows: rows})
	}
}

// TestSparkReadsTheRowsFcsyncReadsFromEveryTableShape writes every table shape fcsync writes and
// reads each with Spark and Hudi's Spark bundles 0.15 and 1.0 (spark.read.format("hudi")): every
// row, meta columns included, must be the one fcsync's own reader returns.
//
// Except the event-time partition column (TimestampBasedKeyGenerator), as for tables Spark writes
// with the same key generator: Hudi 0.15 returns the partition path in its place ("2024/06/30",
// a string; Hudi's HUDI-7709), and Hudi 1.0.2 fails to read it (a NullPointerException in
// Spark's vectorized reader), so the test reads it with 0.15 and checks that it is the partition
// path, and compares the other columns.
func TestSparkReadsTheRowsFcsyncReadsFromEveryTableShape(t *testing.T) {
	for _, shape := range fcsyncShapes {
		t.Run(shape.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "store")
			s, err := objstore.NewDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			shape.write(t, s)
			path := filepath.Join(dir, "lake", "t")
			for _, sp := range sparks {
				t.Run(sp.name, func(t *testing.T) {
					if shape.timeColumn == "" {
						compareWithSpark(t, s, "lake/t", sp.read(t, path))
						return
					}
					if sp == spark015 {
						checkPartitionPathInPlaceOf(t, sp.read(t, path), shape.timeColumn)
					}
					compareWithSpark(t, s, "lake/t", sp.read(t, path, shape.timeColumn), shape.timeColumn)
				})
			}
		})
	}
}

// sparkKinds are the tables Spark users have, as the script's kinds write them, and what
// fcsync's reader does with each: reads exactly Spark's snapshot, or refuses with an error
// naming the feature.
var sparkKinds = []struct {
	spark  *sparkSession
	kind   string
	refuse string // "" reads; otherwise part of the error
}{
	{spark015, "cow", ""},     // table version 6, insert then upsert
	{spark015, "deletes", ""}, // deletes rewrite base files in commits
	{spark015, "mor", "table type MERGE_ON_READ is not supported"}, // log files
	{spark015, "insert_overwrite", ""},                             // a replacecommit
	{spark015, "clustering", ""},                                   // a replacecommit
	{spark10, "cow", ""},                                           // table version 8: Hudi 1.x timeline, Avro metadata
	{spark10, "insert_overwrite", ""},                              // a replacecommit in Avro
}

// TestFcsyncReadsSparkTablesAsSparkDoesOrRefusesThem reads the tables Spark jobs write (made by
// the tests, cached) with fcsync's reader: each gives exactly the rows of Spark's own snapshot
// read, or an error naming what fcsync does not support.
func TestFcsyncReadsSparkTablesAsSparkDoesOrRefusesThem(t *testing.T) {
	for _, k := range sparkKinds {
		t.Run(k.spark.name+"/"+k.kind, func(t *testing.T) {
			tbl := k.spark.table(t, k.kind)
			s, err := objstore.NewDir(tbl.dir)
			if err != nil {
				t.Fatal(err)
			}
			if !hudi.Detect(t.Context(), s, "") {
				t.Error("Detect = false")
			}
			if k.refuse == "" {
				compareWithSpark(t, s, "", tbl.rows)
				return
			}
			want, types := sparkCanonical(t, tbl.rows)
			_, _, err = fcsyncCanonical(t, s, "", types)
			if err == nil {
				t.Fatalf("fcsync read the table (Spark reads %d rows); want an error with %q", len(want), k.refuse)
			}
			if !strings.Contains(err.Error(), k.refuse) {
				t.Errorf("error %q, want one with %q", err, k.refuse)
			}
			t.Logf("refused: %v", err)
		})
	}
}

// copyDir copies a directory tree (a cached Spark table) into a new temporary directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "table")
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestFcsyncRefusesToAppendToSparkTables writes a batch with fcsync's writer into tables Spark
// created: the write is refused with an error saying why, and the table is left as it was.
func TestFcsyncRefusesToAppendToSparkTables(t *testing.T) {
	tests := []struct {
		spark  *sparkSession
		kind   string
		refuse string
	}{
		{spark015, "cow", "table was not created by fcsync and is read-only"},
		{spark015, "mor", "table type MERGE_ON_READ is not supported"},
		{spark10, "cow", "table was not created by fcsync and is read-only"},
	}
	for _, tt := range tests {
		t.Run(tt.spark.name+"/"+tt.kind, func(t *testing.T) {
			dir := copyDir(t, tt.spark.table(t, tt.kind).dir)
			s, err := objstore.NewDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			before := listAll(t, s, "")
			tbl, err := hudi.Open(t.Context(), s, "")
			if err == nil {
				if tbl.Writable() {
					t.Error("a Spark table opened writable")
				}
				_, err = tbl.Write(t.Context(), hudi.Batch{
					Columns: []schema.Column{{Name: "id", Type: schema.BigInt}, {Name: "name", Type: schema.String}},
					Rows:    []schema.Row{{int64(100), "from fcsync"}},
				})
			}
			if err == nil || !strings.Contains(err.Error(), tt.refuse) {
				t.Fatalf("error %v, want one with %q", err, tt.refuse)
			}
			if after := listAll(t, s, ""); !slices.Equal(after, before) {
				t.Errorf("the refused write changed the table's files:\nbefore %q\nafter  %q", before, after)
			}
		})
	}
}
