package hudi_test

import (
	"bytes"
	"context"
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
