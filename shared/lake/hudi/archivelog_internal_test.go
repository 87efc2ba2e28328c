package hudi

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// goldenArchive reads the golden archive file back from its hex dump.
func goldenArchive(t testing.TB) []byte {
	t.Helper()
	text, err := os.ReadFile("testdata/golden/archived.commits_.archive.1_1-0-1.hex")
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for _, line := range strings.Split(string(text), "\n") {
		if len(line) < 10 {
			continue
		}
		cols := line[10:min(len(line), 58)]
		b, err := hex.DecodeString(strings.ReplaceAll(cols, " ", ""))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b...)
	}
	return out
}

func TestArchiveFileRoundTripsThroughTheDecoder(t *testing.T) {
	data := goldenArchive(t)
	blocks, err := decodeLogFile(data)
	if err != nil {
		t.Fatal(err)
	}
	var recs []archiveRecord
	for _, blk := range blocks {
		if blk.header[logHeaderSchema] != archivedEntrySchema {
			t.Fatalf("block schema differs from the writer schema")
		}
		entries, err := decodeAvroDataBlock(blk)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			r := archiveRecord{instant: e["commitTime"].(string), action: e["actionType"].(string), state: e["actionState"].(string)}
			// Re-encode the nested records from the decoded values.
			enc := func(v any, schema string) []byte {
				if v == nil {
					return nil
				}
				n, err := parseAvroSchema(schema)
				if err != nil {
					t.Fatal(err)
				}
				var ae avroEncoder
				if err := n.encodeJSON(&ae, jsonish(v), 0); err != nil {
					t.Fatal(err)
				}
				return ae.b
			}
			r.commit = enc(e["hoodieCommitMetadata"], commitMetadataAvro)
			r.cleanMeta = enc(e["hoodieCleanMetadata"], cleanMetadataSchema)
			r.cleanPlan = enc(e["hoodieCleanerPlan"], cleanerPlanSchema)
			recs = append(recs, r)
		}
	}
	if len(recs) == 0 {
		t.Fatal("no records")
	}
	if again := encodeArchive(recs); !bytes.Equal(again, data) {
		t.Errorf("decoding and encoding again changed the archive file (%d bytes, was %d)", len(again), len(data))
	}
}

func FuzzDecodeArchiveFile(f *testing.F) {
	f.Add(goldenArchive(f))
	f.Add(encodeAvroDataBlock(`{"type":"record","name":"r","fields":[{"name":"a","type":["null","string"]}]}`, [][]byte{{2, 2, 'x'}}))
	f.Add([]byte("#HUDI#"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			return
		}
		_, _ = decodeArchiveFile(data)
	})
}

// jsonish turns decoded Avro values into what encodeJSON takes (numbers as json.Number).
func jsonish(v any) any {
	switch x := v.(type) {
	case int64:
		return json.Number(strconv.FormatInt(x, 10))
	case float64:
		return json.Number(strconv.FormatFloat(x, 'g', -1, 64))
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonish(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonish(e)
		}
		return out
	}
	return v
}

// zigzagLong appends v in Avro's zigzag varint encoding.
func zigzagLong(b []byte, v int64) []byte {
	return binary.AppendUvarint(b, uint64((v<<1)^(v>>63)))
}

// A hostile archive record (an array of values that take no bytes, in blocks as long as the
// bytes left allow) is refused without allocating far more than the file's size.
func TestAHostileArchiveRecordIsRefusedWithoutHugeAllocations(t *testing.T) {
	for _, items := range []string{`"null"`, `{"type":"record","name":"E","fields":[]}`, `{"type":"fixed","name":"F","size":0}`} {
		t.Run(items, func(t *testing.T) {
			schema := `{"type":"record","name":"X","fields":[{"name":"a","type":{"type":"array","items":` + items + `}}]}`
			const size = 16 << 10
			rec := zigzagLong(nil, 0)
			for len(rec) < size {
				rec = append(zigzagLong(nil, int64(len(rec))), rec...)
			}
			file := encodeAvroDataBlock(schema, [][]byte{rec})
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := decodeArchiveFile(file)
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Error("a hostile archive file decoded")
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 64*uint64(len(file)) {
				t.Errorf("decoding a %d-byte hostile file allocated %d bytes", len(file), n)
			}
		})
	}
}

// Arrays of values that take bytes decode within the step budget.
func TestArchiveRecordsOfManySmallValuesDecode(t *testing.T) {
	schema := `{"type":"record","name":"X","fields":[{"name":"a","type":{"type":"array","items":["null","boolean"]}}]}`
	const n = 10000
	rec := zigzagLong(nil, n)
	for range n {
		rec = append(rec, 0) // null branch
	}
	rec = append(rec, 0)
	recs, err := decodeArchiveFile(encodeAvroDataBlock(schema, [][]byte{rec}))
	if err != nil || len(recs) != 1 || len(recs[0].Record["a"].([]any)) != n {
		t.Fatalf("decode = %d records, %v", len(recs), err)
	}
}
