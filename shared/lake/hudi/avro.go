package hudi

import (
	"encoding/json"
	"fmt"

	"github.com/fcsync/fcsync/shared/schema"
)

// metaColumns are Hudi's five meta columns, in file order.
var metaColumns = []string{"_hoodie_commit_time", "_hoodie_commit_seqno", "_hoodie_record_key", "_hoodie_partition_path", "_hoodie_file_name"}

const (
	metaCommitTime = iota
	metaSeqNo
	metaRecordKey
	metaPartitionPath
	metaFileName
	numMeta
)

type avroRecord struct {
	Type      string      `json:"type"`
	Name      string      `json:"name"`
	Namespace string      `json:"namespace"`
	Fields    []avroField `json:"fields"`
}

type avroField struct {
	Name    string          `json:"name"`
	Type    []any           `json:"type"`
	Doc     *string         `json:"doc,omitempty"`
	Default json.RawMessage `json:"default"`
}

type avroLogical struct {
	Type        string `json:"type"`
	LogicalType string `json:"logicalType"`
}

// avroType is the Avro type a column is written as:
//
//	BIGINT -> long; INT, SMALLINT, TINYINT -> int; DOUBLE -> double; FLOAT -> float;
//	STRING, VARCHAR, CHAR, JSON -> string; DECIMAL -> string (its exact decimal text);
//	BOOLEAN -> boolean; DATETIME, TIMESTAMP -> long timestamp-micros; DATE -> int date;
//	BINARY -> bytes.
func avroType(t schema.Type) any {
	switch t {
	case schema.BigInt:
		return "long"
	case schema.Int, schema.SmallInt, schema.TinyInt:
		return "int"
	case schema.Double:
		return "double"
	case schema.Float:
		return "float"
	case schema.Boolean:
		return "boolean"
	case schema.Datetime, schema.Timestamp:
		return avroLogical{Type: "long", LogicalType: "timestamp-micros"}
	case schema.Date:
		return avroLogical{Type: "int", LogicalType: "date"}
	case schema.Binary:
		return "bytes"
	default: // STRING, VARCHAR, CHAR, JSON, DECIMAL
		return "string"
	}
}

// avroSchema is the table's Avro schema: record <name>_record in namespace hoodie.<name>, every
// field nullable (["null", type], default null). With meta, the five meta columns lead.
func avroSchema(name string, cols []schema.Column, meta bool) string {
	rec := avroRecord{Type: "record", Name: name + "_record", Namespace: "hoodie." + name}
	if meta {
		empty := ""
		for _, m := range metaColumns {
			rec.Fields = append(rec.Fields, avroField{Name: m, Type: []any{"null", "string"}, Doc: &empty, Default: json.RawMessage("null")})
		}
	}
	for _, c := range cols {
		rec.Fields = append(rec.Fields, avroField{Name: c.Name, Type: []any{"null", avroType(c.Type)}, Default: json.RawMessage("null")})
	}
	b, err := json.Marshal(rec)
	if err != nil { // cannot happen: plain strings and slices
		panic(fmt.Sprintf("hudi: encode Avro schema: %v", err))
	}
	return string(b)
}

// avroFieldNames returns the top-level field names of an Avro record schema.
func avroFieldNames(schemaJSON string) ([]string, error) {
	var rec struct {
		Type   string `json:"type"`
		Fields []struct {
			Name string `json:"name"`
		} `json:"fields"`
	}
	if err := json.Unmarshal([]byte(schemaJSON), &rec); err != nil {
		return nil, fmt.Errorf("Avro schema: %w", err)
	}
	if rec.Type != "record" {
		return nil, fmt.Errorf("Avro schema: type %q, want record", rec.Type)
	}
	names := make([]string, 0, len(rec.Fields))
	for _, f := range rec.Fields {
		names = append(names, f.Name)
	}
	return names, nil
}
