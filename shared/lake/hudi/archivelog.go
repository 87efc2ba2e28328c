package hudi

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/fcsync/fcsync/shared/objstore"
)

// Hudi log files (HoodieLogFormat, log format version 1), as the archived timeline uses them.
// A file is a sequence of blocks, each:
//
//	"#HUDI#"                         magic
//	int64  block length             the bytes after this field
//	int32  log format version       1
//	int32  block type               3 = AVRO_DATA_BLOCK (HoodieLogBlockType ordinal)
//	header                          int32 count, then per entry int32 key (HeaderMetadataType
//	                                ordinal; 2 = SCHEMA), int32 length, UTF-8 value
//	int64  content length
//	content                         of an Avro data block: int32 block version (3 since Hudi
//	                                0.14), int32 record count, per record int32 length and
//	                                the record in Avro binary encoding by the header's schema
//	footer                          as the header; empty (int32 0)
//	int64  block size with magic    everything above except this field: the reverse pointer,
//	                                and readers check it equals the block length + 6
//
// All integers are big-endian (Java DataOutputStream).

var logMagic = []byte("#HUDI#")

const (
	logFormatVersion   = 1 // HoodieLogFormat.CURRENT_VERSION
	logBlockAvroData   = 3 // HoodieLogBlockType.AVRO_DATA_BLOCK
	logHeaderSchema    = 2 // HeaderMetadataType.SCHEMA
	avroDataBlockVer   = 3 // HoodieLogBlock.version (2 before Hudi 0.14)
	maxLogBlockRecords = 1 << 24
)

// logBlock is one decoded block.
type logBlock struct {
	typ     int32
	header  map[int32]string
	content []byte
}

// encodeAvroDataBlock returns one log block holding records (each in Avro binary encoding by
// schema), with the schema as its only header, as Hudi's archiver writes them.
func encodeAvroDataBlock(schema string, records [][]byte) []byte {
	content := binary.BigEndian.AppendUint32(nil, avroDataBlockVer)
	content = binary.BigEndian.AppendUint32(content, uint32(len(records)))
	for _, r := range records {
		content = binary.BigEndian.AppendUint32(content, uint32(len(r)))
		content = append(content, r...)
	}
	header := binary.BigEndian.AppendUint32(nil, 1)
	header = binary.BigEndian.AppendUint32(header, logHeaderSchema)
	header = binary.BigEndian.AppendUint32(header, uint32(len(schema)))
	header = append(header, schema...)
	footer := binary.BigEndian.AppendUint32(nil, 0)
	length := 4 + 4 + len(header) + 8 + len(content) + len(footer) + 8
	b := slices.Clone(logMagic)
	b = binary.BigEndian.AppendUint64(b, uint64(length))
	b = binary.BigEndian.AppendUint32(b, logFormatVersion)
	b = binary.BigEndian.AppendUint32(b, logBlockAvroData)
	b = append(b, header...)
	b = binary.BigEndian.AppendUint64(b, uint64(len(content)))
	b = append(b, content...)
	b = append(b, footer...)
	return binary.BigEndian.AppendUint64(b, uint64(len(b)))
}

// decodeLogFile splits a log file into its blocks. Unlike Hudi's reader, which turns a damaged
// block into a corrupt block and goes on, it fails: fcsync reads only whole files (they are
// written in one create).
func decodeLogFile(data []byte) ([]logBlock, error) {
	var blocks []logBlock
	for pos := 0; pos < len(data); {
		if !bytes.HasPrefix(data[pos:], logMagic) {
			return nil, fmt.Errorf("log block at %d: no magic", pos)
		}
		start := pos
		r := byteReader{b: data, pos: pos + len(logMagic)}
		length := r.int64()
		body := r.pos
		if r.err != nil || length < 4+4+4+8+4+8 || length > int64(len(data)-body) {
			return nil, fmt.Errorf("log block at %d: bad length %d", start, length)
		}
		end := body + int(length)
		if v := r.int32(); v != logFormatVersion {
			return nil, fmt.Errorf("log block at %d: log format version %d is not supported", start, v)
		}
		blk := logBlock{typ: r.int32(), header: r.metadata()}
		n := r.int64()
		if r.err == nil && (n < 0 || n > int64(end-r.pos)) {
			return nil, fmt.Errorf("log block at %d: bad content length %d", start, n)
		}
		blk.content = r.bytes(int(n))
		r.metadata() // footer
		total := r.int64()
		switch {
		case r.err != nil:
			return nil, fmt.Errorf("log block at %d: %w", start, r.err)
		case r.pos != end:
			return nil, fmt.Errorf("log block at %d: %d bytes do not match its length", start, r.pos-body)
		case total != int64(end-8-start):
			return nil, fmt.Errorf("log block at %d: trailing size %d does not match %d", start, total, end-8-start)
		}
		blocks = append(blocks, blk)
		pos = end
	}
	return blocks, nil
}

// byteReader reads big-endian fields, remembering the first error.
type byteReader struct {
	b   []byte
	pos int
	err error
}

func (r *byteReader) bytes(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b)-r.pos {
		r.err = errors.New("truncated")
		return nil
	}
	out := r.b[r.pos : r.pos+n]
	r.pos += n
	return out
}

func (r *byteReader) int32() int32 {
	b := r.bytes(4)
	if b == nil {
		return 0
	}
	return int32(binary.BigEndian.Uint32(b))
}

func (r *byteReader) int64() int64 {
	b := r.bytes(8)
	if b == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint64(b))
}

func (r *byteReader) metadata() map[int32]string {
	n := r.int32()
	if r.err == nil && (n < 0 || int(n) > (len(r.b)-r.pos)/8) {
		r.err = fmt.Errorf("bad metadata count %d", n)
	}
	if r.err != nil {
		return nil
	}
	m := map[int32]string{}
	for range n {
		k := r.int32()
		m[k] = string(r.bytes(int(r.int32())))
	}
	return m
}

// decodeAvroDataBlock returns the records of an Avro data block, decoded by the schema in its
// header.
func decodeAvroDataBlock(blk logBlock) ([]map[string]any, error) {
	if blk.typ != logBlockAvroData {
		return nil, fmt.Errorf("block type %d is not an Avro data block", blk.typ)
	}
	schemaText, ok := blk.header[logHeaderSchema]
	if !ok {
		return nil, errors.New("Avro data block without a schema header")
	}
	schema, err := parseAvroSchema(schemaText)
	if err != nil {
		return nil, err
	}
	if schema.kind != "record" {
		return nil, fmt.Errorf("Avro data block schema is a %s, not a record", schema.kind)
	}
	r := byteReader{b: blk.content}
	version := r.int32()
	count := r.int32()
	if r.err == nil && (version < 1 || version > avroDataBlockVer) {
		return nil, fmt.Errorf("Avro data block version %d is not supported", version)
	}
	if r.err == nil && (count < 0 || count > maxLogBlockRecords || int(count) > (len(r.b)-r.pos)/4) {
		return nil, fmt.Errorf("Avro data block: bad record count %d", count)
	}
	var out []map[string]any
	for i := range count {
		rec := r.bytes(int(r.int32()))
		if r.err != nil {
			return nil, fmt.Errorf("Avro data block record %d: %w", i, r.err)
		}
		d := &avroDecoder{b: rec, steps: 4*len(rec) + 1024} // a value takes at most 4 steps per byte, beyond a nesting of schema
		v := schema.decode(d, 0)
		if d.err == nil && len(d.b) > 0 {
			d.fail(errors.New("trailing bytes"))
		}
		if d.err != nil {
			return nil, fmt.Errorf("Avro data block record %d: %w", i, d.err)
		}
		out = append(out, v.(map[string]any))
	}
	if r.err != nil {
		return nil, fmt.Errorf("Avro data block: %w", r.err)
	}
	if r.pos != len(r.b) {
		return nil, errors.New("Avro data block has trailing bytes")
	}
	return out, nil
}

// ArchivedInstant is one record of a table's archived timeline (HoodieArchivedMetaEntry).
// Hudi archives every state of an instant as a record of its own.
type ArchivedInstant struct {
	Instant string // commitTime
	Action  string // actionType: commit, clean, ...
	State   string // actionState: REQUESTED, INFLIGHT or COMPLETED
	// File is the archive file's name (.commits_.archive.<version>_<writeToken>).
	File string
	// Record is the whole record as the block's writer schema decodes it: nil, bool, int64,
	// float64, []byte, string, []any and map[string]any values.
	Record map[string]any
}

// ReadArchivedTimeline reads every archive file under <root>/.hoodie/archived, oldest version
// first, as Hudi's HoodieArchivedTimeline finds them (.commits_.archive*, ordered by the version
// in the name).
func ReadArchivedTimeline(ctx context.Context, store objstore.Store, root string) ([]ArchivedInstant, error) {
	where := "hudi " + root + ": archived timeline"
	files, err := listArchiveFiles(ctx, store, root)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	var out []ArchivedInstant
	for _, f := range files {
		entries, err := readArchiveFile(ctx, store, joinKey(root, archiveDir+"/"+f.name))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		for i := range entries {
			entries[i].File = f.name
		}
		out = append(out, entries...)
	}
	return out, nil
}

// decodeArchiveFile decodes the records of one archive file.
func decodeArchiveFile(data []byte) ([]ArchivedInstant, error) {
	blocks, err := decodeLogFile(data)
	if err != nil {
		return nil, err
	}
	var out []ArchivedInstant
	for _, blk := range blocks {
		if blk.typ != logBlockAvroData {
			continue // Hudi's reader skips other blocks too
		}
		recs, err := decodeAvroDataBlock(blk)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			s := func(k string) string { v, _ := r[k].(string); return v }
			out = append(out, ArchivedInstant{Instant: s("commitTime"), Action: s("actionType"), State: s("actionState"), Record: r})
		}
	}
	return out, nil
}

// archiveFile is an archive file's name and version.
type archiveFile struct {
	name    string
	version int64
}

// archiveVersion reads the version of an archive file name, as Hudi's
// ^\.commits_\.archive\.([0-9]+).* does.
func archiveVersion(name string) (int64, bool) {
	rest, ok := strings.CutPrefix(name, archiveFilePrefix)
	if !ok {
		return 0, false
	}
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	v, err := strconv.ParseInt(rest[:i], 10, 64)
	return v, err == nil
}

// listArchiveFiles lists the archive files, by version.
func listArchiveFiles(ctx context.Context, s objstore.Store, root string) ([]archiveFile, error) {
	prefix := joinKey(root, archiveDir) + "/" + archiveFilePrefix
	var out []archiveFile
	after := ""
	for {
		keys, next, err := s.List(ctx, prefix, after, listPage)
		if err != nil {
			return nil, fmt.Errorf("list archive files: %w", err)
		}
		for _, k := range keys {
			name := k[strings.LastIndexByte(k, '/')+1:]
			if v, ok := archiveVersion(name); ok && !strings.Contains(strings.TrimPrefix(k, joinKey(root, archiveDir)+"/"), "/") {
				out = append(out, archiveFile{name: name, version: v})
			}
		}
		if next == "" {
			break
		}
		after = next
	}
	slices.SortStableFunc(out, func(a, b archiveFile) int {
		if a.version != b.version {
			return int(min(max(a.version-b.version, -1), 1))
		}
		return strings.Compare(a.name, b.name)
	})
	return out, nil
}
