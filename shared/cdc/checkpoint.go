package cdc

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// Phases of a job.
const (
	PhaseSnapshot = "snapshot"
	PhaseBinlog   = "binlog"
)

// checkpointFormat is the version of the Checkpoint JSON.
const checkpointFormat = 1

// Checkpoint is a job's saved progress, one version of its state log (scope "cdc/<job>"). It
// holds no secrets: no DSN, no password.
type Checkpoint struct {
	Format int `json:"format"`
	// Selection fingerprints the job settings that decide tables, keys and topics; a state
	// made under other settings is not continued.
	Selection string `json:"selection"`
	Phase     string `json:"phase"`
	// Start is the binlog position taken before the snapshot began: the binlog phase starts
	// there, so changes made during the snapshot are not lost (some are written twice).
	Start Position `json:"start"`
	// Binlog is where the binlog phase resumes: the end of the last transaction whose records
	// Kafka acknowledged.
	Binlog   Position        `json:"binlog"`
	Snapshot []TableProgress `json:"snapshot,omitempty"`
	// Incremental is the progress of tables added to the job in the binlog phase, snapshotted
	// in chunks while the binlog goes on (see incremental.go); it is saved with the binlog
	// position of the batch that wrote each chunk.
	Incremental []TableProgress `json:"incremental,omitempty"`
	// Tables are the tracked tables with their schemas as of Binlog (or Start).
	Tables []*Table `json:"tables"`
	// HeartbeatMs is the event time of the last heartbeat.
	HeartbeatMs int64 `json:"heartbeatMs,omitempty"`
	// SnapshotRows counts the rows the snapshot wrote; Resnapshots how often a purged binlog
	// made the job start over.
	SnapshotRows int64 `json:"snapshotRows,omitempty"`
	Resnapshots  int   `json:"resnapshots,omitempty"`
}

// TableProgress is one table's snapshot progress.
type TableProgress struct {
	Table string `json:"table"`
	Done  bool   `json:"done,omitempty"`
	// After is the chunk key of the last row written; the next chunk starts after it.
	After []KeyValue `json:"after,omitempty"`
	Rows  int64      `json:"rows,omitempty"`
}

// KeyValue is a chunk key value as the server sent it: Kind "i" (signed), "u" (unsigned), "f"
// (float) or "s" (bytes, base64 in Text).
type KeyValue struct {
	Kind string `json:"k"`
	Text string `json:"v"`
}

func keyValueOf(fv *mysql.FieldValue) KeyValue {
	switch fv.Type {
	case mysql.FieldValueTypeSigned:
		return KeyValue{"i", fmt.Sprint(fv.AsInt64())}
	case mysql.FieldValueTypeUnsigned:
		return KeyValue{"u", fmt.Sprint(fv.AsUint64())}
	case mysql.FieldValueTypeFloat:
		return KeyValue{"f", fmt.Sprint(fv.AsFloat64())}
	}
	return KeyValue{"s", base64.StdEncoding.EncodeToString(fv.AsString())}
}

// arg turns a saved key value back into a statement argument of the same type.
func (k KeyValue) arg() (any, error) {
	var v any
	var err error
	switch k.Kind {
	case "i":
		var n int64
		_, err = fmt.Sscan(k.Text, &n)
		v = n
	case "u":
		var n uint64
		_, err = fmt.Sscan(k.Text, &n)
		v = n
	case "f":
		var f float64
		_, err = fmt.Sscan(k.Text, &f)
		v = f
	case "s":
		var b []byte
		b, err = base64.StdEncoding.DecodeString(k.Text)
		v = b
	default:
		err = fmt.Errorf("unknown kind %q", k.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("saved chunk key %v: %w", k, err)
	}
	return v, nil
}

func decodeCheckpoint(data []byte, dbVersion string) (*Checkpoint, error) {
	var cp Checkpoint
	if err := json.Unmarshal(data, &cp); err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if cp.Format != checkpointFormat {
		return nil, fmt.Errorf("checkpoint format %d is not %d", cp.Format, checkpointFormat)
	}
	if cp.Phase != PhaseSnapshot && cp.Phase != PhaseBinlog {
		return nil, fmt.Errorf("checkpoint phase %q", cp.Phase)
	}
	for _, t := range cp.Tables {
		if err := t.prepare(dbVersion); err != nil {
			return nil, fmt.Errorf("checkpoint: %w", err)
		}
	}
	return &cp, nil
}

// tableMap indexes the tracked tables by db.table.
func (cp *Checkpoint) tableMap() map[string]*Table {
	m := make(map[string]*Table, len(cp.Tables))
	for _, t := range cp.Tables {
		m[t.FullName()] = t
	}
	return m
}

func sortedTables(m map[string]*Table) []*Table {
	out := make([]*Table, 0, len(m))
	for _, t := range m {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].FullName() < out[j].FullName() })
	return out
}
