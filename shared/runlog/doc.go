// Package runlog keeps a record of every function invocation on the object store: which job and
// function ran, under which invocation id, whether it succeeded, the window or offsets it covered,
// how many records it read, wrote, found dirty or late, how long it took, the DDL it applied, its
// peak memory and, when it failed, the error (with secrets redacted). Alerts (package alert) and
// `localrun status` are computed from these records.
//
// Layout. One write-once object per invocation:
//
//	runs/<job>/<inverted time>-<UTC time>-<invocation id>.json
//
// The inverted time is 9223372036854775807 minus the finish time in Unix nanoseconds, zero-padded
// to 19 digits, so a plain listing of runs/<job>/ returns the newest run first: the latest N runs
// of a job cost one List request and N Gets, however long the history. The readable UTC time after
// it is for operators browsing the bucket. Records are created with CreateIfAbsent, so a retried
// PUT whose first attempt landed is recognised (same bytes) and nothing is ever overwritten.
// Old records are removed by the bucket's lifecycle rule on runs/ (infra/oss), not by fcsync.
//
// Cost. One PUT per invocation (OSS charges per request; see the deploy notes). Listing all jobs
// walks the job prefixes with two List requests per job (see Log.List).
//
// Summary writes the same record as one structured log line, so the function's log (SLS on FC)
// has every invocation even when the store is unreachable.
//
// Secrets. A record never holds credentials: the error text is passed through Redact, which masks
// key=value pairs whose key names a secret (password, secret, token, signature, ...), URL user
// info, bearer tokens and any exact secret values the Log was given (WithSecrets), both before the
// record is stored and before it is logged.
//
// Wiring a function (after the run, whatever its outcome; runs is the store at FCSYNC_RUNS,
// which defaults to the function's own store):
//
//	rec := runlog.FromWindow(spec.Name, rep, err, runlog.Invocation{Function: "batch", ID: fc.RequestID,
//		Retry: fc.RetryCount, Started: started, MemoryMB: fc.Function.Memory, Timeout: timeout, PeakMemoryMB: peak})
//	runlog.Summary(ctx, log, rec, creds.AccessKeySecret, creds.SecurityToken)
//	_, werr := runlog.New(runs, runlog.WithSecrets(creds.AccessKeySecret, creds.SecurityToken)).Write(ctx, rec)
//
// (FromStream for a micro-batch; a failed Write is logged, never the invocation's error.)
//
// A crashed or timed-out invocation writes no record (the platform killed it); a heartbeat alert
// rule ("no successful run within X") is what notices that.
package runlog
