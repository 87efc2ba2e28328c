package fcruntime

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Credentials are the temporary STS keys FC hands to each invocation.
type Credentials struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
}

// InvokeOptions describe one invocation. Zero fields take the runtime's defaults.
type InvokeOptions struct {
	// Timeout bounds the invocation from the moment a function takes it; the SDK sees it as
	// the deadline (exact) and x-fc-function-timeout (whole seconds, rounded up).
	Timeout time.Duration
	// RetryCount is what fccontext reports as RetryCount (0 on the first attempt).
	RetryCount  int
	Credentials Credentials
	// RequestID identifies the invocation; generated when empty. It must not be in flight.
	RequestID    string
	FunctionName string
	Region       string
	AccountID    string
	Handler      string
	MemoryMB     int
	ServiceName  string
	Qualifier    string
}

// DefaultOptions are the built-in defaults: obviously fake identity and credentials.
func DefaultOptions() InvokeOptions {
	return InvokeOptions{
		Timeout:      60 * time.Second,
		FunctionName: "fcsync-local",
		Region:       "cn-hangzhou",
		AccountID:    "1000000000000000",
		Handler:      "main",
		MemoryMB:     512,
		Credentials: Credentials{
			AccessKeyID:     "STS.local-access-key-id",
			AccessKeySecret: "local-access-key-secret",
			SecurityToken:   "local-security-token",
		},
	}
}

// withDefaults fills o's zero fields from d. Credentials are taken as a whole: a partial set
// would mix two identities.
func (o InvokeOptions) withDefaults(d InvokeOptions) InvokeOptions {
	if o.Timeout <= 0 {
		o.Timeout = d.Timeout
	}
	if o.Credentials == (Credentials{}) {
		o.Credentials = d.Credentials
	}
	pick := func(v *string, def string) {
		if *v == "" {
			*v = def
		}
	}
	pick(&o.FunctionName, d.FunctionName)
	pick(&o.Region, d.Region)
	pick(&o.AccountID, d.AccountID)
	pick(&o.Handler, d.Handler)
	pick(&o.ServiceName, d.ServiceName)
	pick(&o.Qualifier, d.Qualifier)
	if o.MemoryMB <= 0 {
		o.MemoryMB = d.MemoryMB
	}
	return o
}

// timeoutSeconds is the integer x-fc-function-timeout: whole seconds, rounded up, at least 1.
func (o InvokeOptions) timeoutSeconds() int {
	s := int((o.Timeout + time.Second - 1) / time.Second)
	return max(s, 1)
}

// validate checks values that travel in headers. Errors name the field, never its value.
func (o InvokeOptions) validate() error {
	if o.RetryCount < 0 {
		return fmt.Errorf("fcruntime: invoke option RetryCount is %d, want >= 0", o.RetryCount)
	}
	fields := []struct{ name, value string }{
		{"RequestID", o.RequestID},
		{"FunctionName", o.FunctionName},
		{"Region", o.Region},
		{"AccountID", o.AccountID},
		{"Handler", o.Handler},
		{"ServiceName", o.ServiceName},
		{"Qualifier", o.Qualifier},
		{"Credentials.AccessKeyID", o.Credentials.AccessKeyID},
		{"Credentials.AccessKeySecret", o.Credentials.AccessKeySecret},
		{"Credentials.SecurityToken", o.Credentials.SecurityToken},
	}
	for _, f := range fields {
		if !headerSafe(f.value) {
			return fmt.Errorf("fcruntime: invoke option %s contains a control or non-ASCII character", f.name)
		}
	}
	if strings.ContainsAny(o.RequestID, "/?#% ") {
		return fmt.Errorf("fcruntime: invoke option RequestID %q cannot appear in a URL path", o.RequestID)
	}
	return nil
}

func headerSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// Result is a function's answer to one invocation: a response payload, or a function error.
type Result struct {
	RequestID string
	// Payload is the function's response body (JSON, as the SDK marshals the handler's output).
	Payload []byte
	// Err is set when the function answered through the error endpoint (a returned error or
	// a recovered panic).
	Err *FunctionError
}

// FunctionError is an error the function itself reported.
type FunctionError struct {
	Message    string       `json:"errorMessage"`
	Type       string       `json:"errorType"`
	StackTrace []StackFrame `json:"stackTrace,omitempty"`
}

// StackFrame is one frame of a panic's stack trace, as the SDK reports it.
type StackFrame struct {
	Path  string `json:"path"`
	Line  int32  `json:"line"`
	Label string `json:"label"`
}

func (e *FunctionError) Error() string {
	if e.Type == "" {
		return "function error: " + e.Message
	}
	return "function error (" + e.Type + "): " + e.Message
}

// decodeFunctionError reads the SDK's error body; anything else becomes the message as text.
func decodeFunctionError(body []byte) *FunctionError {
	var fe FunctionError
	if err := json.Unmarshal(body, &fe); err == nil && (fe.Message != "" || fe.Type != "") {
		return &fe
	}
	msg := string(body)
	if !utf8.ValidString(msg) {
		msg = strings.ToValidUTF8(msg, "\uFFFD")
	}
	const max = 4096
	if len(msg) > max {
		msg = msg[:max] + "..."
	}
	return &FunctionError{Message: msg, Type: "Unhandled"}
}

// invocation is one queued or in-flight event.
type invocation struct {
	id      string
	payload []byte
	opts    InvokeOptions

	delivered chan struct{} // closed by the /next handler once deadline and owner are set
	deadline  time.Time
	owner     *Process // nil when delivered through the shared address

	finished bool         // guarded by Runtime.mu
	done     chan outcome // buffered 1
}

type outcome struct {
	res Result
	err error
}

// Invoke queues one event, waits until a function takes it, then waits for the function's
// answer. A function error is a Result with Err set and a nil error; the error is for what
// FC itself would report: the timeout (ErrTimeout), a process that died (ErrProcessExited),
// ctx ending (its error) or the runtime closing (ErrClosed). Waiting in the queue is bounded
// only by ctx: the timeout starts when a function takes the event.
func (r *Runtime) Invoke(ctx context.Context, payload []byte, opts InvokeOptions) (Result, error) {
	opts = opts.withDefaults(r.defaults)
	if opts.RequestID == "" {
		opts.RequestID = newRequestID()
	}
	if err := opts.validate(); err != nil {
		return Result{}, err
	}
	if len(payload) > MaxPayloadBytes {
		return Result{}, fmt.Errorf("fcruntime: invocation %s: payload is %d bytes, FC accepts at most %d", opts.RequestID, len(payload), MaxPayloadBytes)
	}
	inv := &invocation{
		id:        opts.RequestID,
		payload:   payload,
		opts:      opts,
		delivered: make(chan struct{}),
		done:      make(chan outcome, 1),
	}
	r.mu.Lock()
	_, busy := r.inflight[inv.id]
	r.mu.Unlock()
	if busy {
		return Result{}, fmt.Errorf("fcruntime: invocation %s: request id already in flight", inv.id)
	}

	select {
	case r.queue <- inv:
	case <-ctx.Done():
		return Result{}, fmt.Errorf("fcruntime: invocation %s: waiting for a function to take it: %w", inv.id, context.Cause(ctx))
	case <-r.closed:
		return Result{}, fmt.Errorf("fcruntime: invocation %s: %w", inv.id, ErrClosed)
	}
	<-inv.delivered // closed right after the handoff

	timer := time.NewTimer(time.Until(inv.deadline))
	defer timer.Stop()
	select {
	case o := <-inv.done: // answered, or failed by a process exit or Close
		return o.res, o.err
	case <-timer.C:
		err := fmt.Errorf("fcruntime: invocation %s: %w after %s", inv.id, ErrTimeout, opts.Timeout)
		if r.finish(inv, outcome{err: err}) {
			r.log.Warn("fcruntime: invocation timed out", "request_id", inv.id, "timeout", opts.Timeout, "pid", inv.owner.pid())
			if r.killOnTimeout && inv.owner != nil {
				inv.owner.kill("killed after invocation " + inv.id + " timed out")
			}
		}
	case <-ctx.Done():
		r.finish(inv, outcome{err: fmt.Errorf("fcruntime: invocation %s: waiting for the answer: %w", inv.id, context.Cause(ctx))})
	case <-r.closed:
		r.finish(inv, outcome{err: fmt.Errorf("fcruntime: invocation %s: %w", inv.id, ErrClosed)})
	}
	o := <-inv.done
	return o.res, o.err
}
