package hudi

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"
)

// Hudi keeps the plan and the result of a clean as Avro object container files (one record,
// no codec): .clean.requested and .clean.inflight hold a HoodieCleanerPlan, .clean a
// HoodieCleanMetadata. The writer schemas below carry every field of those records in all the
// versions Hudi 0.14, 0.15 and 1.x read (a reader resolves a file against its own schema:
// fields it lacks are skipped, fields the file lacks take their defaults), with the full
// record names Hudi's generated classes use.

// cleanerPlanSchema is HoodieCleanerPlan. fcsync writes version 1 plans: the files per
// partition as names relative to the partition (filesToBeDeletedPerPartition), which Hudi's
// plan migration turns into absolute paths under the table's base path when it reads them.
// A version 2 plan would need the absolute URI of the table (oss://bucket/...), which the
// writer does not know.
const cleanerPlanSchema = `{"type":"record","name":"HoodieCleanerPlan","namespace":"org.apache.hudi.avro.model","fields":[` +
	`{"name":"earliestInstantToRetain","type":["null",{"type":"record","name":"HoodieActionInstant","fields":[` +
	`{"name":"timestamp","type":"string"},{"name":"action","type":"string"},{"name":"state","type":"string"}]}],"default":null},` +
	`{"name":"lastCompletedCommitTimestamp","type":"string","default":""},` +
	`{"name":"policy","type":"string"},` +
	`{"name":"filesToBeDeletedPerPartition","type":["null",{"type":"map","values":{"type":"array","items":"string"}}],"default":null},` +
	`{"name":"version","type":["int","null"],"default":1},` +
	`{"name":"filePathsToBeDeletedPerPartition","type":["null",{"type":"map","values":{"type":"array","items":{"type":"record","name":"HoodieCleanFileInfo","fields":[` +
	`{"name":"filePath","type":["null","string"],"default":null},{"name":"isBootstrapBaseFile","type":["null","boolean"],"default":null}]}}}],"default":null},` +
	`{"name":"partitionsToBeDeleted","type":["null",{"type":"array","items":"string"}],"default":null},` +
	`{"name":"extraMetadata","type":["null",{"type":"map","values":"string"}],"default":null}]}`

// cleanMetadataSchema is HoodieCleanMetadata, version 2: partition paths relative to the table,
// file names relative to their partition.
const cleanMetadataSchema = `{"type":"record","name":"HoodieCleanMetadata","namespace":"org.apache.hudi.avro.model","fields":[` +
	`{"name":"startCleanTime","type":"string"},` +
	`{"name":"timeTakenInMillis","type":"long"},` +
	`{"name":"totalFilesDeleted","type":"int"},` +
	`{"name":"earliestCommitToRetain","type":"string"},` +
	`{"name":"lastCompletedCommitTimestamp","type":"string","default":""},` +
	`{"name":"partitionMetadata","type":{"type":"map","values":{"type":"record","name":"HoodieCleanPartitionMetadata","fields":[` +
	`{"name":"partitionPath","type":"string"},{"name":"policy","type":"string"},` +
	`{"name":"deletePathPatterns","type":{"type":"array","items":"string"}},` +
	`{"name":"successDeleteFiles","type":{"type":"array","items":"string"}},` +
	`{"name":"failedDeleteFiles","type":{"type":"array","items":"string"}},` +
	`{"name":"isPartitionDeleted","type":["null","boolean"],"default":null}]}}},` +
	`{"name":"version","type":["int","null"],"default":1},` +
	`{"name":"bootstrapPartitionMetadata","type":["null",{"type":"map","values":"HoodieCleanPartitionMetadata"}],"default":null},` +
	`{"name":"extraMetadata","type":["null",{"type":"map","values":"string"}],"default":null}]}`

const (
	policyKeepLatestCommits = "KEEP_LATEST_COMMITS"
	cleanPlanVersion        = 1
	cleanMetadataVersion    = 2
)

// cleanPlan is what a clean deletes: base file names per partition.
type cleanPlan struct {
	Earliest      string              // the earliest commit retained (a completed commit)
	LastCompleted string              // the newest completed commit when the plan was made
	Files         map[string][]string // partition -> base file names in it
}

func (p *cleanPlan) count() int {
	n := 0
	for _, f := range p.Files {
		n += len(f)
	}
	return n
}

// cleanMetadata is the result of a clean.
type cleanMetadata struct {
	Instant       string
	TookMillis    int64
	Earliest      string
	LastCompleted string
	Deleted       map[string][]string // partition -> deleted file names
	Failed        map[string][]string // partition -> file names that were not deleted
}

// avroEncoder writes Avro's binary encoding.
type avroEncoder struct{ b []byte }

func (e *avroEncoder) long(n int64) { e.b = binary.AppendVarint(e.b, n) } // zig-zag varint
func (e *avroEncoder) str(s string) { e.long(int64(len(s))); e.b = append(e.b, s...) }
func (e *avroEncoder) boolean(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

// strings writes an array of strings (one block).
func (e *avroEncoder) strings(list []string) {
	if len(list) > 0 {
		e.long(int64(len(list)))
		for _, s := range list {
			e.str(s)
		}
	}
	e.long(0)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (p *cleanPlan) encode() []byte {
	var e avroEncoder
	e.long(1) // earliestInstantToRetain: HoodieActionInstant
	e.str(p.Earliest)
	e.str("commit")
	e.str("COMPLETED")
	e.str(p.LastCompleted)
	e.str(policyKeepLatestCommits)
	e.long(1) // filesToBeDeletedPerPartition: map
	if len(p.Files) > 0 {
		e.long(int64(len(p.Files)))
		for _, part := range sortedKeys(p.Files) {
			e.str(part)
			e.strings(p.Files[part])
		}
	}
	e.long(0)
	e.long(0) // version: int
	e.long(cleanPlanVersion)
	e.long(0) // filePathsToBeDeletedPerPartition: null
	e.long(0) // partitionsToBeDeleted: null
	e.long(0) // extraMetadata: null
	return avroContainer(cleanerPlanSchema, e.b)
}

func (m *cleanMetadata) encode() []byte {
	var e avroEncoder
	e.str(m.Instant)
	e.long(m.TookMillis)
	total := 0
	parts := map[string]bool{}
	for p, files := range m.Deleted {
		total += len(files)
		parts[p] = true
	}
	for p := range m.Failed {
		parts[p] = true
	}
	e.long(int64(total))
	e.str(m.Earliest)
	e.str(m.LastCompleted)
	if len(parts) > 0 {
		e.long(int64(len(parts)))
		for _, p := range sortedKeys(parts) {
			e.str(p) // map key
			e.str(p) // partitionPath
			e.str(policyKeepLatestCommits)
			e.strings(slices.Concat(m.Deleted[p], m.Failed[p])) // deletePathPatterns
			e.strings(m.Deleted[p])
			e.strings(m.Failed[p])
			e.long(1) // isPartitionDeleted: boolean
			e.boolean(false)
		}
	}
	e.long(0)
	e.long(0) // version: int
	e.long(cleanMetadataVersion)
	e.long(1) // bootstrapPartitionMetadata: an empty map, as Hudi writes it
	e.long(0)
	e.long(0) // extraMetadata: null
	return avroContainer(cleanMetadataSchema, e.b)
}

var avroMagic = []byte{'O', 'b', 'j', 1}

// avroContainer wraps one encoded record in an Avro object container file. The sync marker is
// derived from the content, so the same record always gives the same bytes.
func avroContainer(schema string, record []byte) []byte {
	sum := sha256.Sum256(append([]byte(schema), record...))
	sync := sum[:16]
	e := avroEncoder{b: slices.Clone(avroMagic)}
	e.long(2) // file metadata: map<bytes>
	e.str("avro.codec")
	e.str("null")
	e.str("avro.schema")
	e.str(schema)
	e.long(0)
	e.b = append(e.b, sync...)
	e.long(1) // one block of one record
	e.long(int64(len(record)))
	e.b = append(e.b, record...)
	e.b = append(e.b, sync...)
	return e.b
}

// avroDecoder reads Avro's binary encoding; every read checks the remaining input.
type avroDecoder struct {
	b     []byte
	err   error
	steps int // values left to decode before giving up (schema-driven decoding; 0: no limit)
}

var errAvroShort = errors.New("truncated Avro data")

func (d *avroDecoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

func (d *avroDecoder) long() int64 {
	if d.err != nil {
		return 0
	}
	n, k := binary.Varint(d.b)
	if k <= 0 {
		d.fail(errAvroShort)
		return 0
	}
	d.b = d.b[k:]
	return n
}

func (d *avroDecoder) raw(n int64) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > int64(len(d.b)) {
		d.fail(errAvroShort)
		return nil
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

func (d *avroDecoder) str() string {
	s := d.raw(d.long())
	if d.err == nil && !utf8.Valid(s) {
		d.fail(errors.New("Avro string is not UTF-8"))
	}
	return string(s)
}

// blocks calls item for every element of an array or map (count-prefixed blocks, a negative
// count followed by the block's byte size).
func (d *avroDecoder) blocks(item func()) {
	for d.err == nil {
		n := d.long()
		if n == 0 {
			return
		}
		if n < 0 {
			n = -n
			d.long()
		}
		if n > int64(len(d.b)) { // every element takes at least one byte
			d.fail(errAvroShort)
			return
		}
		for range n {
			if d.err != nil {
				return
			}
			item()
		}
	}
}

func (d *avroDecoder) strings() []string {
	var out []string
	d.blocks(func() { out = append(out, d.str()) })
	return out
}

// union reads a union branch index and checks it is below n.
func (d *avroDecoder) union(n int64) int64 {
	i := d.long()
	if d.err == nil && (i < 0 || i >= n) {
		d.fail(fmt.Errorf("Avro union branch %d out of range", i))
	}
	return i
}

// readAvroContainer returns the single record of an object container file written with the
// given schema (byte for byte: fcsync reads back only what it wrote).
func readAvroContainer(data []byte, schema string) ([]byte, error) {
	if !bytes.HasPrefix(data, avroMagic) {
		return nil, errors.New("not an Avro object container file")
	}
	d := &avroDecoder{b: data[len(avroMagic):]}
	meta := map[string]string{}
	d.blocks(func() {
		k := d.str()
		meta[k] = string(d.raw(d.long()))
	})
	sync := d.raw(16)
	count := d.long()
	record := d.raw(d.long())
	tail := d.raw(16)
	switch {
	case d.err != nil:
		return nil, d.err
	case meta["avro.schema"] != schema:
		return nil, errors.New("Avro file has another schema than fcsync writes")
	case meta["avro.codec"] != "" && meta["avro.codec"] != "null":
		return nil, fmt.Errorf("Avro codec %q is not supported", meta["avro.codec"])
	case count != 1 || !bytes.Equal(sync, tail):
		return nil, errors.New("Avro file does not hold exactly one record")
	}
	return record, nil
}

// readAvroRecord decodes the first record of an object container file of any writer schema
// (Hudi 1.x writes instant metadata so), uncompressed, into Go values (records and maps as
// map[string]any, arrays as []any).
func readAvroRecord(data []byte) (map[string]any, error) {
	if !bytes.HasPrefix(data, avroMagic) {
		return nil, errors.New("not an Avro object container file")
	}
	d := &avroDecoder{b: data[len(avroMagic):]}
	meta := map[string]string{}
	d.blocks(func() {
		k := d.str()
		meta[k] = string(d.raw(d.long()))
	})
	d.raw(16) // sync marker
	count := d.long()
	block := d.raw(d.long())
	switch {
	case d.err != nil:
		return nil, d.err
	case meta["avro.codec"] != "" && meta["avro.codec"] != "null":
		return nil, fmt.Errorf("Avro codec %q is not supported", meta["avro.codec"])
	case count < 1:
		return nil, errors.New("Avro file holds no record")
	}
	node, err := parseAvroSchema(meta["avro.schema"])
	if err != nil {
		return nil, fmt.Errorf("Avro file schema: %w", err)
	}
	rd := &avroDecoder{b: block}
	v := node.decode(rd, 0)
	if rd.err != nil {
		return nil, rd.err
	}
	rec, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("Avro file holds %T, not a record", v)
	}
	return rec, nil
}

// decodeCleanPlan reads a .clean.requested written by fcsync.
func decodeCleanPlan(data []byte) (*cleanPlan, error) {
	rec, err := readAvroContainer(data, cleanerPlanSchema)
	if err != nil {
		return nil, err
	}
	d := &avroDecoder{b: rec}
	p := &cleanPlan{Files: map[string][]string{}}
	if d.union(2) == 1 {
		p.Earliest = d.str()
		d.str() // action
		d.str() // state
	}
	p.LastCompleted = d.str()
	if policy := d.str(); d.err == nil && policy != policyKeepLatestCommits {
		return nil, fmt.Errorf("clean plan policy %q is not %s", policy, policyKeepLatestCommits)
	}
	if d.union(2) == 1 {
		d.blocks(func() {
			part := d.str()
			p.Files[part] = append(p.Files[part], d.strings()...)
		})
	}
	if d.union(2) == 0 {
		if v := d.long(); d.err == nil && v != cleanPlanVersion {
			return nil, fmt.Errorf("clean plan version %d is not %d", v, cleanPlanVersion)
		}
	}
	for range 3 { // filePathsToBeDeletedPerPartition, partitionsToBeDeleted, extraMetadata
		if d.union(2) != 0 && d.err == nil {
			return nil, errors.New("clean plan uses fields fcsync does not write")
		}
	}
	if d.err == nil && len(d.b) > 0 {
		return nil, errors.New("clean plan has trailing bytes")
	}
	if d.err != nil {
		return nil, fmt.Errorf("clean plan: %w", d.err)
	}
	return p, nil
}
