package window

import "errors"

// Permanent reports whether a window failure would repeat on a rerun of the same tick, so that
// rerunning it (the job's retry) only costs time: dirty data over errorLimit (the records and the
// range are fixed), or anything else that says so with a Permanent() bool method. Kafka, sink
// and state store failures are transient.
func Permanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

// Permanent: the same records exceed the same limit on every rerun.
func (e *ErrorLimitError) Permanent() bool { return true }
