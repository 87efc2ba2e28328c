package cdc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/fcsync/fcsync/shared/column"
)

// Op values of payload.op.
const (
	OpInsert       = "INSERT"
	OpUpdateBefore = "UPDATE_BEFOR" // sic: DataWorks' spelling
	OpUpdateAfter  = "UPDATE_AFTER"
	OpDelete       = "DELETE"
	OpHeartbeat    = "MHEARTBEAT"
	// DDL records
	OpCreate      = "CREATE"
	OpAlter       = "ALTER"
	OpErase       = "ERASE" // DROP TABLE
	OpTruncate    = "TRUNCATE"
	OpRename      = "RENAME"
	OpCreateIndex = "CINDEX"
	OpDropIndex   = "DINDEX"
	OpQuery       = "QUERY" // another statement about a table
)

// MessageVersion is the "version" of every message.
const MessageVersion = "1.0.0"

// DBType is schema.source.dbType (MariaDB sources too: DataWorks reads both as MySQL).
const DBType = "mysql"

// Message is the JSON a record value holds (DataWorks' format for database changes in Kafka).
// The writer encodes it directly; this type is for readers and tests.
type Message struct {
	Schema struct {
		DataColumn []struct {
			Name string `json:"name"`
			Type string `json:"type"`
		} `json:"dataColumn"`
		PrimaryKey []string `json:"primaryKey"`
		Source     *struct {
			DBType     string  `json:"dbType"`
			DBVersion  string  `json:"dbVersion"`
			DBName     *string `json:"dbName"`
			SchemaName *string `json:"schemaName"`
			TableName  *string `json:"tableName"`
		} `json:"source"`
	} `json:"schema"`
	Payload struct {
		Before     *Image  `json:"before"`
		After      *Image  `json:"after"`
		SequenceID *string `json:"sequenceId"`
		Timestamp  struct {
			EventTime      int64 `json:"eventTime"`
			SystemTime     int64 `json:"systemTime"`
			CheckpointTime int64 `json:"checkpointTime"`
		} `json:"timestamp"`
		Op  string `json:"op"`
		DDL *struct {
			Text string `json:"text"`
		} `json:"ddl"`
	} `json:"payload"`
	Version string `json:"version"`
}

// Image is a row before or after a change: column name → value (numbers as json.Number).
type Image struct {
	DataColumn map[string]any `json:"dataColumn"`
}

// DecodeMessage parses a record value written by this package.
func DecodeMessage(b []byte) (*Message, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	var m Message
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("cdc message: %w", err)
	}
	return &m, nil
}

// appendSchema appends the "schema" object of a table's records.
func appendSchema(dst []byte, t *Table, dbVersion string) []byte {
	return appendSchemaCols(dst, t, t.all, dbVersion)
}

// appendSchemaCols appends the "schema" object for the columns cols of t.
func appendSchemaCols(dst []byte, t *Table, cols []int, dbVersion string) []byte {
	dst = append(dst, `{"dataColumn":[`...)
	for n, i := range cols {
		if n > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"name":`...)
		dst = column.AppendJSONString(dst, t.sh.names[i])
		dst = append(dst, `,"type":"`...)
		dst = append(dst, t.sh.types[i]...)
		dst = append(dst, `"}`...)
	}
	for n, e := range t.sh.extras {
		if n > 0 || len(cols) > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"name":`...)
		dst = column.AppendJSONString(dst, e.name)
		dst = append(dst, `,"type":"`...)
		dst = append(dst, e.typ...)
		dst = append(dst, `"}`...)
	}
	dst = append(dst, `],"primaryKey":`...)
	dst = appendStrings(dst, t.sh.keyNames)
	dst = append(dst, `,"source":{"dbType":"`+DBType+`","dbVersion":`...)
	dst = column.AppendJSONString(dst, dbVersion)
	dst = append(dst, `,"dbName":`...)
	dst = column.AppendJSONString(dst, t.DB)
	dst = append(dst, `,"schemaName":`...)
	dst = column.AppendJSONString(dst, t.DB)
	dst = append(dst, `,"tableName":`...)
	dst = column.AppendJSONString(dst, t.Name)
	return append(dst, `}}`...)
}

func appendStrings(dst []byte, ss []string) []byte {
	if len(ss) == 0 {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, s := range ss {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = column.AppendJSONString(dst, s)
	}
	return append(dst, ']')
}

// stamp is a record's sequence id and timestamps. A nil seq is a full-data record: sequenceId
// "-1", eventTime and checkpointTime -1.
type stamp struct {
	seq        []byte
	eventMs    int64
	systemMs   int64
	checkpoint int64
}

func appendPayloadTail(dst []byte, st *stamp, op string) []byte {
	dst = append(dst, `,"sequenceId":"`...)
	if st.seq == nil {
		dst = append(dst, snapshotSeqID...)
	} else {
		dst = append(dst, st.seq...)
	}
	dst = append(dst, `","timestamp":{"eventTime":`...)
	dst = strconv.AppendInt(dst, st.eventMs, 10)
	dst = append(dst, `,"systemTime":`...)
	dst = strconv.AppendInt(dst, st.systemMs, 10)
	dst = append(dst, `,"checkpointTime":`...)
	dst = strconv.AppendInt(dst, st.checkpoint, 10)
	dst = append(dst, `},"op":"`...)
	dst = append(dst, op...)
	return append(dst, '"')
}

// appendImage appends {"dataColumn":{...}} of vals (parallel to cols), or null, with the
// table's field names, type conversions and additional fields. A value that cannot be converted
// is an error naming the column (a dirty row).
func appendImage(dst []byte, t *Table, cols []int, vals []value, st *stamp, loc *time.Location) ([]byte, error) {
	if vals == nil {
		return append(dst, "null"...), nil
	}
	dst = append(dst, `{"dataColumn":{`...)
	for n, i := range cols {
		if n > 0 {
			dst = append(dst, ',')
		}
		dst = column.AppendJSONString(dst, t.sh.names[i])
		dst = append(dst, ':')
		v := &vals[n]
		if to := t.sh.to[i]; to != "" {
			cv, err := convertTo(*v, to, loc)
			if err != nil {
				return dst, fmt.Errorf("column %s as %s: %w", t.Columns[i].Name, to, err)
			}
			v = &cv
		}
		dst = appendJSON(dst, v)
	}
	for n, e := range t.sh.extras {
		if n > 0 || len(cols) > 0 {
			dst = append(dst, ',')
		}
		dst = column.AppendJSONString(dst, e.name)
		dst = append(dst, ':')
		if e.execTime {
			ms := st.eventMs
			if ms < 0 {
				ms = st.systemMs
			}
			dst = strconv.AppendInt(dst, ms, 10)
		} else {
			dst = column.AppendJSONString(dst, e.konst)
		}
	}
	return append(dst, `}}`...), nil
}

// appendRowMessage appends the message of a row change. before and after are parallel to cols;
// nil means null.
func appendRowMessage(dst []byte, schema []byte, t *Table, cols []int, op string, before, after []value, st *stamp, loc *time.Location) ([]byte, error) {
	dst = append(dst, `{"schema":`...)
	dst = append(dst, schema...)
	dst = append(dst, `,"payload":{"before":`...)
	dst, err := appendImage(dst, t, cols, before, st, loc)
	if err != nil {
		return dst, err
	}
	dst = append(dst, `,"after":`...)
	if dst, err = appendImage(dst, t, cols, after, st, loc); err != nil {
		return dst, err
	}
	dst = appendPayloadTail(dst, st, op)
	return append(dst, `,"ddl":null},"version":"`+MessageVersion+`"}`...), nil
}

// appendDDLMessage appends the message of a DDL statement about table t (its schema after the
// statement; a dropped table keeps its last schema).
func appendDDLMessage(dst []byte, t *Table, op, text string, st *stamp) []byte {
	dst = append(dst, `{"schema":`...)
	dst = append(dst, t.schema...)
	dst = append(dst, `,"payload":{"before":null,"after":null`...)
	dst = appendPayloadTail(dst, st, op)
	dst = append(dst, `,"ddl":{"text":`...)
	dst = column.AppendJSONString(dst, text)
	return append(dst, `}},"version":"`+MessageVersion+`"}`...)
}

// appendHeartbeatMessage appends a heartbeat: no schema but the source type, op MHEARTBEAT.
func appendHeartbeatMessage(dst []byte, dbVersion string, st *stamp) []byte {
	dst = append(dst, `{"schema":{"dataColumn":null,"primaryKey":null,"source":{"dbType":"`+DBType+`","dbVersion":`...)
	dst = column.AppendJSONString(dst, dbVersion)
	dst = append(dst, `,"dbName":null,"schemaName":null,"tableName":null}},"payload":{"before":null,"after":null`...)
	dst = appendPayloadTail(dst, st, OpHeartbeat)
	return append(dst, `,"ddl":null},"version":"`+MessageVersion+`"}`...)
}
