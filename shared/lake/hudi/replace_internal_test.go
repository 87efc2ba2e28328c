package hudi

import (
	"fmt"
	"strings"
	"testing"
)

// replaceMetadataSchema is the part of Hudi 1.x's HoodieReplaceCommitMetadata these tests need.
const replaceMetadataSchema = `{"type":"record","name":"HoodieReplaceCommitMetadata","namespace":"org.apache.hudi.avro.model","fields":[` +
	`{"name":"operationType","type":["null","string"],"default":null},` +
	`{"name":"partitionToReplaceFileIds","type":["null",{"type":"map","values":{"type":"array","items":"string"}}],"default":null}]}`

// replaceMetadataV8 encodes a replace commit's metadata as Hudi 1.x writes it: an Avro object
// container file.
func replaceMetadataV8(replaced map[string][]string) []byte {
	var e avroEncoder
	e.long(1)
	e.str("INSERT_OVERWRITE")
	e.long(1)
	if len(replaced) > 0 {
		e.long(int64(len(replaced)))
		for _, p := range sortedKeys(replaced) {
			e.str(p)
			e.strings(replaced[p])
		}
	}
	e.long(0)
	return avroContainer(replaceMetadataSchema, e.b)
}

func TestReplacedFileGroupsParseFromJSONAndAvro(t *testing.T) {
	want := map[string][]string{"beijing": {"a-0", "b-0"}, "city=x": {"c-0"}}
	tests := []struct {
		name string
		data []byte
	}{
		{"table version 6 JSON", []byte(`{"operationType":"CLUSTER","partitionToReplaceFileIds":{"beijing":["a-0","b-0"],"city=x":["c-0"]}}`)},
		{"table version 8 Avro", replaceMetadataV8(want)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseReplaced(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("replaced = %v, want %v", got, want)
			}
		})
	}
}

func TestBadReplaceMetadataIsAnErrorNotACrash(t *testing.T) {
	good := replaceMetadataV8(map[string][]string{"p": {"f"}})
	for _, data := range [][]byte{
		[]byte("{"),
		good[:len(good)/2],
		append(append([]byte{}, avroMagic...), 0xff, 0xff, 0xff),
		avroContainer(`{"type":"record","name":"R","fields":[{"name":"partitionToReplaceFileIds","type":{"type":"map","values":"long"}}]}`, []byte{2, 2, 'p', 4, 0}),
	} {
		if _, err := parseReplaced(data); err == nil {
			t.Errorf("parseReplaced(%q) = nil error", data)
		} else if strings.Contains(err.Error(), "panic") {
			t.Error(err)
		}
	}
}
