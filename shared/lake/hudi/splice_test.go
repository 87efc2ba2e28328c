package hudi_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/fcsync/fcsync/shared/lake/hudi"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schema"
)

// chunkBytes returns the stored (compressed) bytes of every column chunk of row group rg:
// dictionary page, data pages.
func chunkBytes(t *testing.T, data []byte, rg format.RowGroup) [][]byte {
	t.Helper()
	var out [][]byte
	for _, c := range rg.Columns {
		start := c.MetaData.DataPageOffset
		if d := c.MetaData.DictionaryPageOffset; d > 0 && d < start {
			start = d
		}
		end := start + c.MetaData.TotalCompressedSize
		if start < 0 || end > int64(len(data)) {
			t.Fatalf("column chunk %d-%d outside the file of %d bytes", start, end, len(data))
		}
		out = append(out, data[start:end])
	}
	return out
}

type parquetFile struct {
	name   string
	data   []byte
	meta   *format.FileMetaData
	footer map[string]string
}

func readParquetFile(t *testing.T, s objstore.Store, root, rel string) parquetFile {
	t.Helper()
	data, err := s.Get(t.Context(), root+"/"+rel)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	kv := map[string]string{}
	for _, e := range f.Metadata().KeyValueMetadata {
		kv[e.Key] = e.Value
	}
	return parquetFile{name: filepath.Base(rel), data: data, meta: f.Metadata(), footer: kv}
}

// TestTopUpSplicesRowGroupsWithoutUpdatedKeys writes a base file of three row groups (two full
// ones and a small tail), then a batch into the same file group, and checks that a full row
// group reaches the new base file byte for byte (spliced, not re-encoded) exactly when the batch
// updates none of its keys, also after rows that were re-encoded; the footer and the snapshot
// cover every row either way.
func TestTopUpSplicesRowGroupsWithoutUpdatedKeys(t *testing.T) {
	first := streamRows(9000, 1)
	tests := []struct {
		name    string
		batch   []schema.Row
		spliced []bool // per stored row group: found byte for byte in the new file
	}{
		{"inserts only", streamRows(50, 2), []bool{true, true, false}},
		{"an update in the tail row group", append(streamRows(50, 2), updated(first[8990])), []bool{true, true, false}},
		{"an update in the first row group", append(streamRows(50, 2), updated(first[10])), []bool{false, true, false}},
		{"an update in the second row group", []schema.Row{updated(first[5000])}, []bool{true, false, false}},
		// Updates that shrink most rows of the first row group: the few re-encoded bytes join
		// the next row group instead of making a small one of their own.
		{"updates shrinking the first row group", shrunk(first[:3000]), []bool{false, false, false}},
		// A new column changes the Parquet schema: every stored row is re-encoded.
		{"inserts with a new column", withExtra(streamRows(50, 2)), []bool{false, false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := objstore.NewMemory()
			tbl := mustCreate(t, s, "lake/orders", streamConfig)
			mustWrite(t, tbl, hudi.Batch{Columns: streamColumns, Rows: first})
			snap, err := tbl.Snapshot(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			old := readParquetFile(t, s, "lake/orders", snap.Files()[0])
			if n := len(old.meta.RowGroups); n != 3 {
				t.Fatalf("the first base file has %d row groups, the test needs two full ones and a tail", n)
			}
			if n := old.meta.RowGroups[0].NumRows + old.meta.RowGroups[1].NumRows; n <= 5000 || old.meta.RowGroups[0].NumRows > 5000 {
				t.Fatalf("row groups of %d and %d rows: record 5000 must be in the second", old.meta.RowGroups[0].NumRows, old.meta.RowGroups[1].NumRows)
			}
			cols := streamColumns
			if len(tt.batch[0]) > len(cols) {
				cols = append(slices.Clip(cols), schema.Column{Name: "extra", Type: schema.String})
			}
			res := mustWrite(t, tbl, hudi.Batch{Columns: cols, Rows: tt.batch})
			if res.Files != 1 {
				t.Fatalf("the batch wrote %d files, want the one file group topped up", res.Files)
			}
			snap, err = tbl.Snapshot(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if len(snap.Files()) != 1 {
				t.Fatalf("snapshot files %v, want one file group", snap.Files())
			}
			cur := readParquetFile(t, s, "lake/orders", snap.Files()[0])
			if cur.name == old.name {
				t.Fatal("no new base file")
			}

			var found []bool
			for _, org := range old.meta.RowGroups {
				src := chunkBytes(t, old.data, org)
				same := false
				for _, nrg := range cur.meta.RowGroups {
					dst := chunkBytes(t, cur.data, nrg)
					eq := nrg.NumRows == org.NumRows
					for i := range src {
						eq = eq && bytes.Equal(src[i], dst[i])
					}
					same = same || eq
				}
				found = append(found, same)
			}
			if !slices.Equal(found, tt.spliced) {
				t.Errorf("stored row groups found byte for byte in the new file: %v, want %v", found, tt.spliced)
			}

			for i, rg := range cur.meta.RowGroups[:len(cur.meta.RowGroups)-1] {
				var n int64
				for _, c := range rg.Columns {
					n += c.MetaData.TotalUncompressedSize
				}
				if n < 2<<20 {
					t.Errorf("row group %d of %d holds %d bytes: only the last may hold less than 2 MiB", i, len(cur.meta.RowGroups), n)
				}
			}

			// Footer and contents cover stored and new rows.
			rows := rowsByKey(t, tbl)
			want := map[string]schema.Row{}
			for _, r := range slices.Concat(first, tt.batch) {
				want[r[0].(string)] = r
			}
			if len(rows) != len(want) || cur.meta.NumRows != int64(len(want)) {
				t.Fatalf("snapshot has %d rows, the file %d, want %d", len(rows), cur.meta.NumRows, len(want))
			}
			keys := sortedKeys(want)
			if cur.footer["hoodie_min_record_key"] != keys[0] || cur.footer["hoodie_max_record_key"] != keys[len(keys)-1] {
				t.Errorf("footer keys %q..%q, want %q..%q", cur.footer["hoodie_min_record_key"], cur.footer["hoodie_max_record_key"], keys[0], keys[len(keys)-1])
			}
			for k, r := range want {
				got := rows["|"+k]
				if got == nil {
					t.Fatalf("record %s missing", k)
				}
				for i, c := range streamColumns {
					if fmt.Sprint(got[c.Name]) != fmt.Sprint(r[i]) {
						t.Errorf("record %s column %s = %v, want %v", k, c.Name, got[c.Name], r[i])
					}
				}
			}
			// Rows of a spliced row group keep the file name they were written under; the
			// others name the new file. Either way the name is one of the file group's.
			fileOf := func(k string) string { return rows["|"+k]["_hoodie_file_name"].(string) }
			if got, want := fileOf(first[0][0].(string)), map[bool]string{true: old.name, false: cur.name}[tt.spliced[0]]; got != want {
				t.Errorf("_hoodie_file_name of a row of the first row group = %s, want %s", got, want)
			}
			if got := fileOf(first[8999][0].(string)); got != cur.name {
				t.Errorf("_hoodie_file_name of a row of the re-encoded tail = %s, want %s", got, cur.name)
			}
			if got := fileOf(tt.batch[0][0].(string)); got != cur.name {
				t.Errorf("_hoodie_file_name of a written row = %s, want %s", got, cur.name)
			}
			fileGroup := strings.SplitN(cur.name, "_", 2)[0] + "_"
			for k := range want {
				if !strings.HasPrefix(fileOf(k), fileGroup) {
					t.Fatalf("_hoodie_file_name %s of %s does not name the file group of %s", fileOf(k), k, cur.name)
				}
			}
		})
	}
}

// withExtra appends a value for a new column "extra" to rows.
func withExtra(rows []schema.Row) []schema.Row {
	for i, r := range rows {
		rows[i] = append(r, "x")
	}
	return rows
}

// shrunk returns copies of rows with a one-letter note.
func shrunk(rows []schema.Row) []schema.Row {
	out := make([]schema.Row, len(rows))
	for i, r := range rows {
		out[i] = slices.Clone(r)
		out[i][6] = "n"
	}
	return out
}

// updated returns a copy of a stream row with another status and note.
func updated(r schema.Row) schema.Row {
	u := slices.Clone(r)
	u[4] = "updated"
	u[6] = "changed note"
	return u
}

// TestDuckDBReadsSplicedBaseFiles reads a table whose newest base file holds a spliced row
// group with DuckDB and compares with Snapshot.
func TestDuckDBReadsSplicedBaseFiles(t *testing.T) {
	requireDuckDB(t)
	dir := filepath.Join(t.TempDir(), "store")
	s, err := objstore.NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	tbl := mustCreate(t, s, "lake/orders", streamConfig)
	first := streamRows(5000, 1)
	mustWrite(t, tbl, hudi.Batch{Columns: streamColumns, Rows: first})
	mustWrite(t, tbl, hudi.Batch{Columns: streamColumns, Rows: append(streamRows(20, 2), updated(first[4999]))})
	want := goRows(t, tbl)
	got := duckRows(t, filepath.Join(dir, "lake", "orders"))
	if len(got) != len(want) || len(want) != 5020 {
		t.Fatalf("DuckDB read %d rows, Snapshot %d, want 5020", len(got), len(want))
	}
	for i := range want {
		for k, v := range want[i] {
			if got[i][k] != v {
				t.Fatalf("row %d column %s: DuckDB %q, Snapshot %q", i, k, got[i][k], v)
			}
		}
	}
}

// corruptPage makes the compressed values of the first data page of a column chunk unreadable
// (their Snappy length preamble claims 4 GiB). Anything that
// decodes the page fails; a verbatim copy carries the bytes along.
func corruptPage(t *testing.T, data []byte, c format.ColumnChunk) {
	t.Helper()
	off := c.MetaData.DataPageOffset
	var h format.PageHeader
	compact := &thrift.CompactProtocol{}
	r := compact.NewReaderFromBytes(data[off:])
	if err := thrift.NewDecoder(r).Decode(&h); err != nil {
		t.Fatal(err)
	}
	v2, ok := h.DataPageHeaderV2.Get()
	if !ok || c.MetaData.Codec != format.Snappy {
		t.Fatalf("page %+v of codec %v: the test expects Snappy data pages v2", h, c.MetaData.Codec)
	}
	at := off + int64(r.BytesRead()) + int64(v2.RepetitionLevelsByteLength+v2.DefinitionLevelsByteLength)
	copy(data[at:], []byte{0xff, 0xff, 0xff, 0xff, 0x0f})
}

// TestSplicedRowGroupsAreNotDecoded proves that a spliced row group's pages are copied, not
// decoded and re-encoded: with a page of the stored file's first row group made undecodable,
// a top-up that updates none of its keys still succeeds and carries the page over as it is,
// while a batch updating one of its keys has to decode it and fails.
func TestSplicedRowGroupsAreNotDecoded(t *testing.T) {
	first := streamRows(5000, 1)
	tests := []struct {
		name    string
		batch   []schema.Row
		decodes bool
	}{
		{"inserts only", streamRows(50, 2), false},
		{"an update in the first row group", []schema.Row{updated(first[10])}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := objstore.NewMemory()
			tbl := mustCreate(t, s, "lake/orders", streamConfig, hudi.WithAutoClean(false))
			mustWrite(t, tbl, hudi.Batch{Columns: streamColumns, Rows: first})
			snap, err := tbl.Snapshot(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			rel := snap.Files()[0]
			old := readParquetFile(t, s, "lake/orders", rel)
			note := len(old.meta.RowGroups[0].Columns) - 1 // the last data column, "note"
			corruptPage(t, old.data, old.meta.RowGroups[0].Columns[note])
			if err := s.Put(t.Context(), "lake/orders/"+rel, old.data); err != nil {
				t.Fatal(err)
			}
			_, err = tbl.Write(t.Context(), hudi.Batch{Columns: streamColumns, Rows: tt.batch})
			if tt.decodes {
				if err == nil {
					t.Fatal("a batch updating a key of the corrupted row group succeeded: the page was not decoded")
				}
				t.Logf("decoding fails as it should: %v", err)
				return
			}
			if err != nil {
				t.Fatalf("top-up next to a corrupted page that needs no decoding: %v", err)
			}
			snap, err = tbl.Snapshot(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			cur := readParquetFile(t, s, "lake/orders", snap.Files()[0])
			if cur.name == old.name {
				t.Fatal("no new base file")
			}
			src := chunkBytes(t, old.data, old.meta.RowGroups[0])
			dst := chunkBytes(t, cur.data, cur.meta.RowGroups[0])
			if !bytes.Equal(src[note], dst[note]) {
				t.Error("the corrupted column chunk was not copied as it is")
			}
		})
	}
}

// TestInsertOnlyTopUpSplicesAndKeepsFooterKeys tops up a file group of a table without record
// keys (keys are sequence numbers): full row groups are spliced and the footer's key range still
// covers every row.
func TestInsertOnlyTopUpSplicesAndKeepsFooterKeys(t *testing.T) {
	s := objstore.NewMemory()
	tbl := mustCreate(t, s, "lake/orders", hudi.Config{Name: "orders", Columns: streamColumns})
	mustWrite(t, tbl, hudi.Batch{Columns: streamColumns, Rows: streamRows(9000, 1)})
	snap, err := tbl.Snapshot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	old := readParquetFile(t, s, "lake/orders", snap.Files()[0])
	mustWrite(t, tbl, hudi.Batch{Columns: streamColumns, Rows: streamRows(50, 2)})
	rows := rowsByKey(t, tbl)
	snap, err = tbl.Snapshot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Files()) != 1 || len(rows) != 9050 {
		t.Fatalf("snapshot of %d rows in files %v, want 9050 in one file group", len(rows), snap.Files())
	}
	cur := readParquetFile(t, s, "lake/orders", snap.Files()[0])
	src, dst := chunkBytes(t, old.data, old.meta.RowGroups[1]), chunkBytes(t, cur.data, cur.meta.RowGroups[1])
	for i := range src {
		if !bytes.Equal(src[i], dst[i]) {
			t.Fatalf("column %d of the second row group was not spliced", i)
		}
	}
	var keys []string
	for _, r := range rows {
		keys = append(keys, r["_hoodie_record_key"].(string))
	}
	slices.Sort(keys)
	if cur.footer["hoodie_min_record_key"] != keys[0] || cur.footer["hoodie_max_record_key"] != keys[len(keys)-1] {
		t.Errorf("footer keys %q..%q, want %q..%q", cur.footer["hoodie_min_record_key"], cur.footer["hoodie_max_record_key"], keys[0], keys[len(keys)-1])
	}
}

// BenchmarkTopUp1kInto9k measures the copy-on-write top-up of a small file group: 1,000 new
// records into a base file of 9,000 (~9 MB of row data), which rewrites the file.
func BenchmarkTopUp1kInto9k(b *testing.B) {
	stored, batch := streamRows(9000, 1), streamRows(1000, 2)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		tbl, err := hudi.Create(b.Context(), objstore.NewMemory(), "lake/orders", streamConfig)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tbl.Write(b.Context(), hudi.Batch{Columns: streamColumns, Rows: stored}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := tbl.Write(b.Context(), hudi.Batch{Columns: streamColumns, Rows: batch})
		if err != nil || res.Files != 1 || res.Inserted != len(batch) {
			b.Fatalf("Write = %+v, %v; want one file group topped up", res, err)
		}
	}
	b.ReportMetric(float64(len(batch)*b.N)/b.Elapsed().Seconds(), "rows/s")
}
