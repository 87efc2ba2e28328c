package hudi

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// A top-up of a small file group writes a new base file that begins with the stored file's
// leading row groups, unchanged. Those bytes need not travel: the new version is put as "the
// first n bytes of the stored file, then these bytes" (objstore.PutWithPrefix: on OSS a
// multipart upload whose first part the server copies), and the stored file is read through
// ranged reads (storedFile), so the kept row groups are neither downloaded nor uploaded. The
// bytes that follow are a Parquet file written as usual with the rest of the rows (re-encoded
// stored rows and the batch's), whose row groups, page index and footer are moved behind the
// prefix by joinParquet.

// storedFile is a stored base file read through ranged reads: parquet-go reads the footer and
// the pages it decodes, and only those bytes are fetched (in blocks, the file's end first).
type storedFile struct {
	ctx   context.Context
	store objstore.Store
	key   string
	size  int64

	mu    sync.Mutex
	spans []fetched
}

type fetched struct {
	off  int64
	data []byte
}

const (
	tailFetch  = 256 << 10 // the first read: the end of the file (footer, page index, last row group)
	blockFetch = 4 << 20   // later reads: at least this much from where parquet-go reads
)

// ReadAt implements io.ReaderAt.
func (s *storedFile) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if off >= s.size {
		return 0, io.EOF
	}
	end := min(s.size, off+int64(len(p)))
	s.mu.Lock()
	defer s.mu.Unlock()
	for cur := off; cur < end; {
		if sp := s.span(cur); sp != nil {
			cur += int64(copy(p[cur-off:end-off], sp.data[cur-sp.off:]))
			continue
		}
		if err := s.fetch(cur, end); err != nil {
			return 0, err
		}
	}
	return s.done(p, int(end-off))
}

// span returns the fetched span holding byte off, or nil.
func (s *storedFile) span(off int64) *fetched {
	for i := range s.spans {
		if sp := &s.spans[i]; off >= sp.off && off < sp.off+int64(len(sp.data)) {
			return sp
		}
	}
	return nil
}

// fetch reads from off (not fetched yet) at least up to end, or up to the next fetched span.
func (s *storedFile) fetch(off, end int64) error {
	from, to := off, min(s.size, off+max(end-off, blockFetch))
	switch {
	case s.size <= tailFetch:
		from, to = 0, s.size // a small file: one read
	case off == 0 && end <= 8:
		to = end // the magic number
	case off >= s.size-tailFetch:
		from, to = max(0, s.size-tailFetch), s.size
	}
	for _, sp := range s.spans {
		if sp.off > off && sp.off < to {
			to = sp.off
		}
		if e := sp.off + int64(len(sp.data)); e > from && e <= off {
			from = e
		}
	}
	return s.add(from, to)
}

// add reads bytes [from, to) of the file into a new span (s.mu held).
func (s *storedFile) add(from, to int64) error {
	data, err := objstore.GetRange(s.ctx, s.store, s.key, from, to-from)
	if err != nil {
		return err
	}
	if int64(len(data)) != to-from {
		return fmt.Errorf("read %d bytes at %d, want %d: the object is not %d bytes long", len(data), from, to-from, s.size)
	}
	s.spans = append(s.spans, fetched{off: from, data: data})
	return nil
}

// prefetchColumn reads the chunks of one top-level leaf column of every row group, each in one
// request, so that decoding the column does not fetch the file in blocks.
func (s *storedFile) prefetchColumn(bf *baseFile, name string) error {
	col := -1
	for i, n := range bf.names {
		if n == name && bf.fields[i].kind == kindLeaf {
			col = bf.fields[i].lo
		}
	}
	if col < 0 {
		return nil // recordKeys says what is missing
	}
	md := bf.f.Metadata()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range md.RowGroups {
		if col >= len(md.RowGroups[i].Columns) {
			return fmt.Errorf("%w: row group %d has no column %d", errBadFile, i, col)
		}
		from, to := chunkSpan(&md.RowGroups[i].Columns[col])
		if from < 0 || to > s.size || from >= to {
			return fmt.Errorf("%w: row group %d: column chunk at %d..%d of %d bytes", errBadFile, i, from, to, s.size)
		}
		if sp := s.span(from); sp != nil && to <= sp.off+int64(len(sp.data)) {
			continue
		}
		if err := s.add(from, to); err != nil {
			return err
		}
	}
	return nil
}

// done ends a read of n bytes into p: fewer than asked means the file ended.
func (s *storedFile) done(p []byte, n int) (int, error) {
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// keptPrefix is the stored row groups a new base file keeps in place: the first k, which end at
// byte length of the stored file.
type keptPrefix struct {
	meta   *format.FileMetaData
	k      int
	length int64
	read   func(off int64, n int32) ([]byte, error) // bytes of the stored file
}

// readerBytes reads n bytes at off from r, a file of size bytes.
func readerBytes(r io.ReaderAt, size int64) func(off int64, n int32) ([]byte, error) {
	return func(off int64, n int32) ([]byte, error) {
		if off < 0 || n < 0 || off+int64(n) > size {
			return nil, fmt.Errorf("%w: %d bytes at %d of a file of %d", errBadFile, n, off, size)
		}
		b := make([]byte, n)
		if _, err := r.ReadAt(b, off); err != nil {
			return nil, err
		}
		return b, nil
	}
}

// chunkSpan is where a column chunk's pages lie in its file.
func chunkSpan(c *format.ColumnChunk) (start, end int64) {
	start = c.MetaData.DataPageOffset
	if d := c.MetaData.DictionaryPageOffset; d > 0 && d < start {
		start = d
	}
	return start, start + c.MetaData.TotalCompressedSize
}

// prefixEnd is the end of the first k row groups' pages, or false when they cannot be kept in
// place for a file of the given schema and size: their column chunks must tile the bytes from
// the magic number to that end exactly, in the order fcsync writes them, hold the schema's leaves
// with their physical types, and the row groups that follow must start after them. A stored
// footer that says otherwise (another writer, a damaged file) only means the file is copied.
func prefixEnd(md *format.FileMetaData, k int, schema *parquet.Schema, size int64) (int64, bool) {
	leaves := schema.Columns()
	end := int64(4)
	for i := range k {
		cols := md.RowGroups[i].Columns
		if len(cols) != len(leaves) {
			return 0, false
		}
		for j := range cols {
			c := &cols[j]
			s, e := chunkSpan(c)
			leaf, found := schema.Lookup(leaves[j]...)
			if s != end || e <= s || e > size || c.FilePath != "" || c.CryptoMetadata.Value != nil ||
				len(c.EncryptedColumnMetadata) > 0 || !slices.Equal(c.MetaData.PathInSchema, leaves[j]) ||
				!found || leaf.Node.Type().PhysicalType() == nil || c.MetaData.Type != *leaf.Node.Type().PhysicalType() {
				return 0, false
			}
			end = e
		}
	}
	for i := k; i < len(md.RowGroups); i++ {
		for j := range md.RowGroups[i].Columns {
			if s, _ := chunkSpan(&md.RowGroups[i].Columns[j]); s < end {
				return 0, false
			}
		}
	}
	return end, end > 4
}

var compact = &thrift.CompactProtocol{}

// joinParquet returns the bytes that, after the first kept.length bytes of the stored file,
// make a Parquet file of its first kept.k row groups followed by the row groups of part (a whole
// Parquet file whose leaves the kept row groups hold, see prefixEnd). part's pages are moved as
// they are; offsets in its footer
// and offset index are shifted; the kept row groups' page index entries are copied from the
// stored file. The footer is part's (schema, key/value metadata) with every row group. The
// result reuses part's memory.
func joinParquet(kept *keptPrefix, part []byte) ([]byte, error) {
	md, footerStart, err := readFooter(part)
	if err != nil {
		return nil, fmt.Errorf("new part: %w", err)
	}
	delta := kept.length - 4
	dataEnd := int64(4)
	for i := range md.RowGroups {
		for j := range md.RowGroups[i].Columns {
			_, e := chunkSpan(&md.RowGroups[i].Columns[j])
			dataEnd = max(dataEnd, e)
		}
	}
	if dataEnd > footerStart {
		return nil, errors.New("new part: row groups overlap the footer")
	}
	// The page index and footer are built aside, then written over part's own after its pages.
	var out bytes.Buffer

	groups := make([]format.RowGroup, 0, kept.k+len(md.RowGroups))
	for i := range kept.k {
		rg := kept.meta.RowGroups[i]
		rg.Columns = append([]format.ColumnChunk(nil), rg.Columns...)
		groups = append(groups, rg)
	}
	for i := range md.RowGroups {
		rg := md.RowGroups[i]
		rg.Columns = append([]format.ColumnChunk(nil), rg.Columns...)
		if rg.FileOffset > 0 {
			rg.FileOffset += delta
		}
		rg.Ordinal = int16(kept.k + i)
		groups = append(groups, rg)
	}
	// The page index, column indexes first, then offset indexes, as parquet-go lays it out.
	from := func(i int, off int64, n int32) ([]byte, error) {
		if i < kept.k {
			return kept.read(off, n)
		}
		if off < dataEnd || off+int64(n) > footerStart {
			return nil, fmt.Errorf("new part: page index at %d+%d is outside it", off, n)
		}
		return part[off : off+int64(n)], nil
	}
	pos := func() int64 { return kept.length + dataEnd - 4 + int64(out.Len()) }
	kinds := []struct {
		name  string
		shift bool // offset indexes hold page offsets
		at    func(c *format.ColumnChunk) (*int64, *int32)
	}{
		{"column index", false, func(c *format.ColumnChunk) (*int64, *int32) { return &c.ColumnIndexOffset, &c.ColumnIndexLength }},
		{"offset index", true, func(c *format.ColumnChunk) (*int64, *int32) { return &c.OffsetIndexOffset, &c.OffsetIndexLength }},
	}
	for _, kind := range kinds {
		for i := range groups {
			for j := range groups[i].Columns {
				off, n := kind.at(&groups[i].Columns[j])
				if *n <= 0 {
					*off, *n = 0, 0
					continue
				}
				b, err := from(i, *off, *n)
				if errors.Is(err, errBadFile) && i < kept.k {
					// The stored footer points outside its file: the chunk goes without this
					// index (it is optional), as a reader of the stored file would have to.
					*off, *n = 0, 0
					continue
				}
				if err == nil && kind.shift && i >= kept.k {
					b, err = shiftOffsetIndex(b, delta)
				}
				if err != nil {
					return nil, fmt.Errorf("row group %d column %d: %s: %w", i, j, kind.name, err)
				}
				*off, *n = pos(), int32(len(b))
				out.Write(b)
			}
		}
	}
	// Shift the new chunks' page offsets last: the index lookups above used part's offsets.
	for i := kept.k; i < len(groups); i++ {
		for j := range groups[i].Columns {
			c := &groups[i].Columns[j]
			if c.FileOffset > 0 {
				c.FileOffset += delta
			}
			c.MetaData.DataPageOffset += delta
			if c.MetaData.DictionaryPageOffset > 0 {
				c.MetaData.DictionaryPageOffset += delta
			}
			if c.MetaData.IndexPageOffset > 0 {
				c.MetaData.IndexPageOffset += delta
			}
		}
	}
	joined := *md
	joined.RowGroups = groups
	joined.NumRows = 0
	for i := range groups {
		joined.NumRows += groups[i].NumRows
	}
	footer, err := thrift.Marshal(compact, &joined)
	if err != nil {
		return nil, err
	}
	out.Write(footer)
	out.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(footer))))
	out.WriteString("PAR1")
	return append(part[:dataEnd], out.Bytes()...)[4:], nil
}

// shiftOffsetIndex moves the pages an encoded offset index lists by delta bytes.
func shiftOffsetIndex(b []byte, delta int64) ([]byte, error) {
	var oi format.OffsetIndex
	if err := thrift.Unmarshal(compact, b, &oi); err != nil {
		return nil, err
	}
	for p := range oi.PageLocations {
		oi.PageLocations[p].Offset += delta
	}
	return thrift.Marshal(compact, &oi)
}

// readFooter decodes the footer of a whole Parquet file and returns where it starts.
func readFooter(b []byte) (*format.FileMetaData, int64, error) {
	if len(b) < 12 || string(b[:4]) != "PAR1" || string(b[len(b)-4:]) != "PAR1" {
		return nil, 0, errors.New("not a Parquet file")
	}
	n := int64(binary.LittleEndian.Uint32(b[len(b)-8:]))
	start := int64(len(b)) - 8 - n
	if n <= 0 || start < 4 {
		return nil, 0, errors.New("bad footer length")
	}
	var md format.FileMetaData
	if err := thrift.Unmarshal(compact, b[start:int64(len(b))-8], &md); err != nil {
		return nil, 0, fmt.Errorf("footer: %w", err)
	}
	return &md, start, nil
}
