package runlog

import (
	"time"
)

// Status is how an invocation ended.
type Status string

// Invocation outcomes.
const (
	// Succeeded: the invocation did its work and committed it.
	Succeeded Status = "succeeded"
	// Skipped: the invocation succeeded with nothing new to do (a redelivered batch whose records
	// were all committed before). It counts as a successful run.
	Skipped Status = "skipped"
	// Failed: the invocation returned an error; the platform may retry it.
	Failed Status = "failed"
)

// ClassStopped is the error class of a run that stopped its job's stream at a record it must
// not skip (a dynamic field under the dynamic-column policy error, DataWorks' "Report Error"):
// the job makes no progress until an operator acts. Alert metric "stopped" fires on it.
const ClassStopped = "stopped"

// Valid reports whether s is one of the defined statuses.
func (s Status) Valid() bool { return s == Succeeded || s == Skipped || s == Failed }

// Record is what one invocation did. The zero values of optional fields are left out of the JSON.
type Record struct {
	Job        string `json:"job"`
	Function   string `json:"function"`   // batch, stream, cdc
	Invocation string `json:"invocation"` // the platform's request id
	Status     Status `json:"status"`
	// Retry is the platform's retry count of this invocation: 0 for the first attempt.
	Retry    int       `json:"retry,omitempty"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// DurationMS is Finished - Started in milliseconds (stored for readers of the raw JSON).
	DurationMS int64 `json:"durationMs"`

	Window  *Window `json:"window,omitempty"`  // a batch window
	Binlog  *Binlog `json:"binlog,omitempty"`  // a cdc run's binlog positions
	Offsets []Range `json:"offsets,omitempty"` // source offsets covered, per topic partition
	Counts  Counts  `json:"counts"`
	// DataTime is the event time up to which this run made data visible: the scheduled time of a
	// batch window, the newest record timestamp of a micro-batch. Business delay is measured from it.
	DataTime time.Time `json:"dataTime,omitzero"`
	// Lag is how many messages the source still held behind what this run covered, when the
	// function knows it (nil: unknown).
	Lag *int64 `json:"lag,omitempty"`

	Error    string   `json:"error,omitempty"`    // redacted
	Warnings []string `json:"warnings,omitempty"` // what an operator should know of a run, failed or not (configuration the run did not apply)
	DDL      []DDL    `json:"ddl,omitempty"`
	DirtyKey string   `json:"dirtyKey,omitempty"` // the object holding this run's dirty records

	// ErrorClass sorts a failed run's error for alert rules: ClassStopped, or empty.
	ErrorClass string `json:"errorClass,omitempty"`

	// PeakMemoryMB is the process's peak resident memory (VmHWM) when the invocation ended. On FC
	// with instanceConcurrency above 1 it is the instance's peak, shared by overlapping invocations.
	PeakMemoryMB float64 `json:"peakMemoryMB,omitempty"`
	MemoryMB     int     `json:"memoryMB,omitempty"`  // the function's memory size
	TimeoutMS    int64   `json:"timeoutMs,omitempty"` // the function's timeout
}

// Window is the batch window a run covered.
type Window struct {
	Tick      time.Time `json:"tick"` // the scheduled time
	Partition string    `json:"partition,omitempty"`
	Rerun     bool      `json:"rerun,omitempty"` // the window had been planned before
}

// Binlog is the part of a database's binary log a cdc run covered, and its phase after the run.
type Binlog struct {
	Phase    string `json:"phase"` // snapshot or binlog
	From     string `json:"from,omitempty"`
	To       string `json:"to,omitempty"`
	CaughtUp bool   `json:"caughtUp,omitempty"`
}

// Range is the offsets [Start, End) of one topic partition a run covered. Topic is empty for a
// batch window (the job's topic).
type Range struct {
	Topic     string `json:"topic,omitempty"`
	Partition int32  `json:"partition"`
	Start     int64  `json:"start"`
	End       int64  `json:"end"`
}

// Counts are the record counts of a run.
type Counts struct {
	Read       int64 `json:"read"`
	Written    int64 `json:"written"`
	Dirty      int64 `json:"dirty"`
	Late       int64 `json:"late,omitempty"`
	Filtered   int64 `json:"filtered,omitempty"`
	Duplicates int64 `json:"duplicates,omitempty"`
	// Attempted is what a failed run had written when it failed (rows a session held, a batch
	// it tried to commit; Written is 0): none of it is committed, a rerun writes it again.
	Attempted int64 `json:"attempted,omitempty"`
	// Processed are the records that went through the processing chain and the mapping: a
	// window's records read, a micro-batch's records not already committed.
	Processed int64 `json:"processed,omitempty"`
}

// DDL is a schema change a run applied (a dynamic column added to the destination table).
type DDL struct {
	Kind      string    `json:"kind"` // AddColumn
	Table     string    `json:"table"`
	Column    string    `json:"column"`
	Type      string    `json:"type"`
	Topic     string    `json:"topic,omitempty"` // the record that brought the column
	Partition int32     `json:"partition"`
	Offset    int64     `json:"offset"`
	Time      time.Time `json:"time,omitzero"`
}

// OK reports whether the run succeeded (Succeeded or Skipped).
func (r *Record) OK() bool { return r.Status == Succeeded || r.Status == Skipped }

// Duration is how long the invocation ran.
func (r *Record) Duration() time.Duration {
	if r.Started.IsZero() || r.Finished.Before(r.Started) {
		return time.Duration(r.DurationMS) * time.Millisecond
	}
	return r.Finished.Sub(r.Started)
}

// MemoryPercent is the peak memory as a percentage of the function's memory size (0 when either
// is unknown).
func (r *Record) MemoryPercent() float64 {
	if r.MemoryMB <= 0 || r.PeakMemoryMB <= 0 {
		return 0
	}
	return r.PeakMemoryMB / float64(r.MemoryMB) * 100
}

// DurationPercent is the duration as a percentage of the function's timeout (0 when unknown).
func (r *Record) DurationPercent() float64 {
	if r.TimeoutMS <= 0 {
		return 0
	}
	return float64(r.Duration().Milliseconds()) / float64(r.TimeoutMS) * 100
}
