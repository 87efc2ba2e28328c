package hudi_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/fcsync/fcsync/shared/lake/hudi"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schema"
)

// rangeCounter is a store with ranged reads and prefix puts that records what passes through.
type rangeCounter struct {
	objstore.Store
	mu       sync.Mutex
	whole    map[string]int   // whole-object reads of base files
	ranged   map[string]int64 // bytes read by ranged reads
	prefixed []prefixPut
}

type prefixPut struct {
	key, src string
	n        int64
	data     int
}

func newRangeCounter(s objstore.Store) *rangeCounter {
	return &rangeCounter{Store: s, whole: map[string]int{}, ranged: map[string]int64{}}
}

func (r *rangeCounter) Get(ctx context.Context, key string) ([]byte, error) {
	if strings.HasSuffix(key, ".parquet") {
		r.mu.Lock()
		r.whole[key]++
		r.mu.Unlock()
	}
	return r.Store.Get(ctx, key)
}

func (r *rangeCounter) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	b, err := objstore.GetRange(ctx, r.Store, key, off, n)
	r.mu.Lock()
	r.ranged[key] += int64(len(b))
	r.mu.Unlock()
	return b, err
}

func (r *rangeCounter) PutWithPrefix(ctx context.Context, key, src string, n int64, data []byte) error {
	r.mu.Lock()
	r.prefixed = append(r.prefixed, prefixPut{key: key, src: src, n: n, data: len(data)})
	r.mu.Unlock()
	return objstore.PutWithPrefix(ctx, r.Store, key, src, n, data)
}

// TestTopUpKeepsLeadingRowGroupsInPlace: topping up a file group whose leading row groups the
// batch does not update writes the new base file as "the stored file's first bytes, then the
// rest": the store is asked to copy the kept row groups (PutWithPrefix) and the writer reads
// only the stored file's end (footer and tail row group), never the kept bytes. The new file
// is a valid Parquet file: its footer and page index point at real pages, and every row is in
// the snapshot once.
func TestTopUpKeepsLeadingRowGroupsInPlace(t *testing.T) {
	cases := []struct {
		name      string
		batch     func(first []schema.Row) []schema.Row
		keptRGs   int
		wantPuts  int
		wantRows  int
		wantNotes map[int]string // row of the first batch -> note after the write
	}{
		{"inserts keep both full row groups", func([]schema.Row) []schema.Row { return streamRows(50, 2) }, 2, 1, 9050, nil},
		{"an update in the second row group keeps the first", func(first []schema.Row) []schema.Row {
			return []schema.Row{updated(first[5000])}
		}, 1, 1, 9000, map[int]string{5000: "changed note", 4999: ""}},
		{"an update in the first row group keeps nothing", func(first []schema.Row) []schema.Row {
			return append(streamRows(10, 2), updated(first[10]))
		}, 0, 0, 9010, map[int]string{10: "changed note"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newRangeCounter(objstore.NewMemory())
			tbl := mustCreate(t, s, "lake/orders", streamConfig)
			first := streamRows(9000, 1)
			mustWrite(t, tbl, hudi.Batch{Columns: streamColumns, Rows: first})
			snap, err := tbl.Snapshot(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			old := readParquetFile(t, s.Store, "lake/orders", snap.Files()[0])
			oldKey := "lake/orders/" + snap.Files()[0]
			if len(old.meta.RowGroups) != 3 {
				t.Fatalf("the first base file has %d row groups, the test needs two full ones and a tail", len(old.meta.RowGroups))
			}
			clear(s.whole)
			clear(s.ranged)
			mustWrite(t, tbl, hudi.Batch{Columns: streamColumns, Rows: c.batch(first)})

			if len(s.prefixed) != c.wantPuts {
				t.Fatalf("prefix puts %+v, want %d", s.prefixed, c.wantPuts)
			}
			var keptEnd int64
			for _, rg := range old.meta.RowGroups[:c.keptRGs] {
				for _, col := range rg.Columns {
					keptEnd = max(keptEnd, col.MetaData.DataPageOffset+col.MetaData.TotalCompressedSize)
				}
			}
			if c.wantPuts > 0 {
				p := s.prefixed[0]
				if p.src != oldKey || p.n != keptEnd {
					t.Errorf("put %s as %d bytes of %s, want the %d bytes of %s's first %d row groups", p.key, p.n, p.src, keptEnd, oldKey, c.keptRGs)
				}
				if s.whole[oldKey] != 0 || s.ranged[oldKey] > int64(len(old.data))-keptEnd+256<<10 {
					t.Errorf("read the stored file whole %d times and %d bytes by range; the kept part is %d of %d bytes",
						s.whole[oldKey], s.ranged[oldKey], keptEnd, len(old.data))
				}
			}

			snap, err = tbl.Snapshot(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			cur := readParquetFile(t, s.Store, "lake/orders", snap.Files()[0])
			if c.wantPuts > 0 && !bytes.Equal(cur.data[:keptEnd], old.data[:keptEnd]) {
				t.Error("the new file does not start with the kept bytes of the stored one")
			}
			checkPageIndex(t, cur.data)
			rows := rowsByKey(t, tbl)
			if len(rows) != c.wantRows || cur.meta.NumRows != int64(c.wantRows) {
				t.Fatalf("snapshot %d rows, file %d, want %d", len(rows), cur.meta.NumRows, c.wantRows)
			}
			for i, note := range c.wantNotes {
				if note == "" {
					note = first[i][6].(string)
				}
				if got := rows["|"+first[i][0].(string)]["note"]; got != note {
					t.Errorf("row %d note %.20q, want %.20q", i, got, note)
				}
			}
			if got := rows["|"+first[0][0].(string)]["order_id"]; got != first[0][0] {
				t.Errorf("first stored row reads back as %v", got)
			}
		})
	}
}

// checkPageIndex opens a Parquet file with its page index and checks that every page the
// offset index lists starts with a page header of the listed size, inside its column chunk.
func checkPageIndex(t *testing.T, data []byte) {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("open with page index: %v", err)
	}
	md := f.Metadata()
	pages := 0
	for i, rg := range md.RowGroups {
		for j, c := range rg.Columns {
			if c.OffsetIndexLength == 0 {
				continue
			}
			var oi format.OffsetIndex
			if err := thrift.Unmarshal(&thrift.CompactProtocol{}, data[c.OffsetIndexOffset:c.OffsetIndexOffset+int64(c.OffsetIndexLength)], &oi); err != nil {
				t.Fatalf("row group %d column %d: offset index: %v", i, j, err)
			}
			start := c.MetaData.DataPageOffset
			if d := c.MetaData.DictionaryPageOffset; d > 0 && d < start {
				start = d
			}
			end := start + c.MetaData.TotalCompressedSize
			for _, loc := range oi.PageLocations {
				if loc.Offset < start || loc.Offset+int64(loc.CompressedPageSize) > end {
					t.Fatalf("row group %d column %d: page at %d+%d outside the chunk %d..%d", i, j, loc.Offset, loc.CompressedPageSize, start, end)
				}
				var h format.PageHeader
				r := bytes.NewReader(data[loc.Offset:end])
				if err := thrift.NewDecoder((&thrift.CompactProtocol{}).NewReader(r)).Decode(&h); err != nil {
					t.Fatalf("row group %d column %d: no page header at %d: %v", i, j, loc.Offset, err)
				}
				headerLen := int64(end-loc.Offset) - int64(r.Len())
				if headerLen+int64(h.CompressedPageSize) != int64(loc.CompressedPageSize) {
					t.Fatalf("row group %d column %d: page at %d is %d+%d bytes, the index says %d", i, j, loc.Offset, headerLen, h.CompressedPageSize, loc.CompressedPageSize)
				}
				pages++
			}
		}
	}
	if pages == 0 {
		t.Fatal("the file has no offset index")
	}
}

func (r *rangeCounter) Size(ctx context.Context, key string) (int64, error) {
	return objstore.Size(ctx, r.Store, key)
}

// TestColdUpsertReadsOnlyTheKeysOfABigBaseFile: a Table with nothing cached (a cold function
// instance) routes an upsert by the record keys of the stored base files; of a file bigger than
// a megabyte it reads the footer and the record key column, not the file, and still finds the
// key it updates.
func TestColdUpsertReadsOnlyTheKeysOfABigBaseFile(t *testing.T) {
	cases := []struct {
		name         string
		batch        func(first []schema.Row) []schema.Row
		updated      int
		wantRewrites bool
	}{
		{"new keys only", func([]schema.Row) []schema.Row { return streamRows(20, 2) }, 0, false},
		{"an update of a stored key", func(first []schema.Row) []schema.Row { return []schema.Row{updated(first[4000])} }, 1, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mem := objstore.NewMemory()
			opts := []hudi.Option{hudi.WithFileSizes(64<<20, 0)} // no top-ups: only routing reads the file
			tbl := mustCreate(t, mem, "lake/orders", streamConfig, opts...)
			first := streamRows(9000, 1)
			mustWrite(t, tbl, hudi.Batch{Columns: streamColumns, Rows: first})
			snap, err := tbl.Snapshot(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			oldKey := "lake/orders/" + snap.Files()[0]
			size, err := objstore.Size(t.Context(), mem, oldKey)
			if err != nil || size < 2<<20 {
				t.Fatalf("the stored file has %d bytes (%v); the test needs more than 2 MiB", size, err)
			}
			s := newRangeCounter(mem)
			cold, err := hudi.Open(t.Context(), s, "lake/orders", opts...)
			if err != nil {
				t.Fatal(err)
			}
			res := mustWrite(t, cold, hudi.Batch{Columns: streamColumns, Rows: c.batch(first)})
			if res.Updated != c.updated {
				t.Fatalf("updated %d rows, want %d", res.Updated, c.updated)
			}
			if s.whole[oldKey] != 0 {
				t.Errorf("read the stored file whole %d times", s.whole[oldKey])
			}
			if !c.wantRewrites && s.ranged[oldKey] > size/4 {
				t.Errorf("read %d of the stored file's %d bytes to route new keys", s.ranged[oldKey], size)
			}
			rows := rowsByKey(t, cold)
			if want := 9000 + len(c.batch(first)) - c.updated; len(rows) != want {
				t.Errorf("snapshot has %d rows, want %d", len(rows), want)
			}
		})
	}
}

// plainStore has only the Store methods, as any wrapper that embeds objstore.Store: no ranged
// reads, no prefix puts, no sizes. It counts whole reads of base files.
type plainStore struct {
	objstore.Store
	mu   sync.Mutex
	gets int
}

func (p *plainStore) Get(ctx context.Context, k string) ([]byte, error) {
	if strings.HasSuffix(k, ".parquet") {
		p.mu.Lock()
		p.gets++
		p.mu.Unlock()
	}
	return p.Store.Get(ctx, k)
}

// TestAStoreWithoutRangedReadsReadsAStoredFileOnce: on a store without ranged reads, a warm
// and a cold Table each read the stored base file they rewrite once, whole (not once per block
// or key chunk), and the write is right.
func TestAStoreWithoutRangedReadsReadsAStoredFileOnce(t *testing.T) {
	for _, cold := range []bool{false, true} {
		t.Run(fmt.Sprintf("cold=%v", cold), func(t *testing.T) {
			s := &plainStore{Store: objstore.NewMemory()}
			tbl := mustCreate(t, s, "lake/orders", streamConfig)
			first := streamRows(9000, 1)
			mustWrite(t, tbl, hudi.Batch{Columns: streamColumns, Rows: first})
			if cold {
				var err error
				if tbl, err = hudi.Open(t.Context(), s, "lake/orders"); err != nil {
					t.Fatal(err)
				}
			}
			s.gets = 0
			res := mustWrite(t, tbl, hudi.Batch{Columns: streamColumns, Rows: append(streamRows(20, 2), updated(first[10]))})
			if s.gets != 1 || res.Updated != 1 {
				t.Errorf("read base files %d times and updated %d rows; want 1 and 1", s.gets, res.Updated)
			}
			if n := len(rowsByKey(t, tbl)); n != 9020 {
				t.Errorf("snapshot has %d rows, want 9020", n)
			}
		})
	}
}

// TestTopUpOfAFileWithAnotherRootNameKeepsItsRowGroups: a stored base file whose schema differs
// from fcsync's only in the root's name (parquet-mr writers call it spark_schema) is topped up
// like fcsync's own, its row groups kept in place, and reads back whole.
func TestTopUpOfAFileWithAnotherRootNameKeepsItsRowGroups(t *testing.T) {
	s := newRangeCounter(objstore.NewMemory())
	tbl := mustCreate(t, s, "lake/orders", streamConfig)
	mustWrite(t, tbl, hudi.Batch{Columns: streamColumns, Rows: streamRows(9000, 1)})
	snap, err := tbl.Snapshot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	rewriteFooter(t, s.Store, "lake/orders/"+snap.Files()[0], func(md *format.FileMetaData) { md.Schema[0].Name = "spark_schema" })
	cold, err := hudi.Open(t.Context(), s, "lake/orders")
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, cold, hudi.Batch{Columns: streamColumns, Rows: streamRows(10, 2)})
	if len(s.prefixed) != 1 {
		t.Errorf("prefix puts %+v, want the stored row groups kept", s.prefixed)
	}
	if n := len(rowsByKey(t, cold)); n != 9010 {
		t.Errorf("snapshot has %d rows, want 9010", n)
	}
}

// TestRepeatedTopUpsMatchAModel writes batches of varied sizes with updates of earlier keys into
// one table, switching to a cold Table halfway, and after every batch compares the snapshot
// with a model of what was written, checks every base file's page index, and that its footer's
// key range is the keys it holds.
func TestRepeatedTopUpsMatchAModel(t *testing.T) {
	s := newRangeCounter(objstore.NewMemory())
	tbl := mustCreate(t, s, "lake/orders", streamConfig, hudi.WithKeyCache(hudi.NewKeyCache(64<<20)))
	model := map[string]string{} // key -> note
	var keys []string
	r := rand.New(rand.NewPCG(9, 9))
	for b := range 14 {
		var rows []schema.Row
		for i, row := range streamRows([]int{9000, 300, 2000, 50, 4500}[b%5], 100+b) {
			row[6] = fmt.Sprintf("b%d-i%d-%s", b, i, row[6].(string)[:800])
			rows = append(rows, row)
		}
		for u := 0; u < r.IntN(4) && len(keys) > 0; u++ {
			k := keys[r.IntN(len(keys))]
			rows = append(rows, schema.Row{k, "u", "e", 1.0, "updated", int64(1), fmt.Sprintf("upd-b%d-%s", b, k)})
		}
		if b == 7 {
			var err error
			if tbl, err = hudi.Open(t.Context(), s, "lake/orders"); err != nil {
				t.Fatal(err)
			}
		}
		mustWrite(t, tbl, hudi.Batch{Columns: streamColumns, Rows: rows})
		for _, row := range rows {
			k := row[0].(string)
			if _, ok := model[k]; !ok {
				keys = append(keys, k)
			}
			model[k] = row[6].(string)
		}
		got := rowsByKey(t, tbl)
		if len(got) != len(model) {
			t.Fatalf("batch %d: %d rows, the model %d", b, len(got), len(model))
		}
		for k, note := range model {
			if g := got["|"+k]; g == nil || g["note"] != note {
				t.Fatalf("batch %d key %s: note %.30v, want %.30v", b, k, g["note"], note)
			}
		}
		snap, err := tbl.Snapshot(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range snap.Files() {
			pf := readParquetFile(t, s.Store, "lake/orders", f)
			checkPageIndex(t, pf.data)
			ks := recordKeysOf(t, pf.data)
			if slices.Min(ks) != pf.footer["hoodie_min_record_key"] || slices.Max(ks) != pf.footer["hoodie_max_record_key"] {
				t.Fatalf("batch %d file %s: footer keys %q..%q, the file's %q..%q", b, f, pf.footer["hoodie_min_record_key"], pf.footer["hoodie_max_record_key"], slices.Min(ks), slices.Max(ks))
			}
		}
	}
	if len(s.prefixed) == 0 {
		t.Error("no top-up kept row groups in place: the test does not exercise that path")
	}
}

// recordKeysOf reads the _hoodie_record_key column of a Parquet file.
func recordKeysOf(t *testing.T, data []byte) []string {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	col, _ := f.Schema().Lookup("_hoodie_record_key")
	var out []string
	for _, rg := range f.RowGroups() {
		pages := rg.ColumnChunks()[col.ColumnIndex].Pages()
		for {
			p, err := pages.ReadPage()
			if err != nil {
				break
			}
			vals := make([]parquet.Value, p.NumValues())
			n, _ := p.Values().ReadValues(vals)
			for _, v := range vals[:n] {
				out = append(out, string(v.ByteArray()))
			}
		}
		pages.Close()
	}
	if int64(len(out)) != f.NumRows() || len(out) == 0 {
		t.Fatalf("read %d keys of %d rows", len(out), f.NumRows())
	}
	return out
}

// TestTopUpKeepsRowGroupsWhoseStoredPageIndexIsBroken: a stored footer whose page index entry of
// a kept column chunk points far outside the file (a damaged or hostile file) neither fails the
// top-up nor makes it allocate what the entry claims: that chunk loses its index, the rest reads.
func TestTopUpKeepsRowGroupsWhoseStoredPageIndexIsBroken(t *testing.T) {
	s := newRangeCounter(objstore.NewMemory())
	tbl := mustCreate(t, s, "lake/orders", streamConfig)
	mustWrite(t, tbl, hudi.Batch{Columns: streamColumns, Rows: streamRows(9000, 1)})
	snap, err := tbl.Snapshot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	rewriteFooter(t, s.Store, "lake/orders/"+snap.Files()[0], func(md *format.FileMetaData) {
		md.RowGroups[0].Columns[0].ColumnIndexLength = 1 << 30
		md.RowGroups[0].Columns[1].OffsetIndexOffset = 1 << 40
	})
	cold, err := hudi.Open(t.Context(), s, "lake/orders")
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, cold, hudi.Batch{Columns: streamColumns, Rows: streamRows(10, 2)})
	if len(s.prefixed) != 1 {
		t.Errorf("prefix puts %+v, want the stored row groups kept", s.prefixed)
	}
	snap, err = cold.Snapshot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	checkPageIndex(t, readParquetFile(t, s.Store, "lake/orders", snap.Files()[0]).data)
	if n := len(rowsByKey(t, cold)); n != 9010 {
		t.Errorf("snapshot has %d rows, want 9010", n)
	}
}

// rewriteFooter replaces the footer of the stored Parquet file key with edit's version of it.
func rewriteFooter(t *testing.T, s objstore.Store, key string, edit func(*format.FileMetaData)) {
	t.Helper()
	data, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	n := int(binary.LittleEndian.Uint32(data[len(data)-8:]))
	var md format.FileMetaData
	if err := thrift.Unmarshal(&thrift.CompactProtocol{}, data[len(data)-8-n:len(data)-8], &md); err != nil {
		t.Fatal(err)
	}
	edit(&md)
	footer, err := thrift.Marshal(&thrift.CompactProtocol{}, &md)
	if err != nil {
		t.Fatal(err)
	}
	out := append(bytes.Clone(data[:len(data)-8-n]), footer...)
	out = append(binary.LittleEndian.AppendUint32(out, uint32(len(footer))), "PAR1"...)
	if err := s.Put(t.Context(), key, out); err != nil {
		t.Fatal(err)
	}
}
