// Package fcruntime emulates the Function Compute 3.0 custom runtime API that
// github.com/aliyun/fc-runtime-go-sdk (v0.3.1) talks to, so that the local harness and tests
// can drive a real function binary as a separate process, exactly as FC does.
//
// The protocol, as the SDK implements it:
//
//   - the binary reads FC_RUNTIME_API=host:port and long-polls
//     GET /2020-11-11/runtime/invocation/next; the response body is the event and the headers
//     carry the request id (x-fc-request-id), the deadline in epoch milliseconds
//     (x-fc-function-deadline), the timeout in whole seconds (x-fc-function-timeout), the
//     temporary credentials, function, region, account and retry count;
//   - the SDK handles each event in its own goroutine and polls /next again at once, so several
//     invocations may be in flight in one process;
//   - it answers POST /2020-11-11/runtime/invocation/{id}/response with the JSON result, or
//     POST .../{id}/error with {"errorMessage","errorType","stackTrace"}; both expect 200.
//     A handler panic is reported through .../error too (with a stack trace); the process
//     keeps running. v0.3.1 has no init-error endpoint: a binary that cannot start just exits.
//
// A Runtime queues events (Invoke) and hands them to whichever process polls next. Processes
// started with Runtime.StartProcess each get their own listener, so the runtime knows which
// process holds which invocation: when a process exits, every invocation it held fails with
// ErrProcessExited (crash detection), which lets a harness emulate FC's retry by invoking
// again with RetryCount+1, perhaps after starting a new process.
//
// Timeouts: an invocation that outlives its timeout fails with ErrTimeout. Like FC, which
// recycles an instance whose invocation timed out, the runtime then kills the process that
// held it (the SDK offers no way to cancel a running handler); WithKillOnTimeout(false)
// leaves the process running and only fails the invocation. Late answers for an invocation
// that already ended are refused with 404.
package fcruntime
