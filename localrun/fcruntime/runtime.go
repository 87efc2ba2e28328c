package fcruntime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// API paths as the SDK builds them: "http://" + FC_RUNTIME_API + "/2020-11-11/runtime/invocation/".
const (
	apiPrefix    = "/2020-11-11/runtime/invocation/"
	nextPath     = apiPrefix + "next"
	responsePath = apiPrefix + "{id}/response"
	errorPath    = apiPrefix + "{id}/error"
)

// Headers of the /next response, as the SDK reads them.
const (
	headerRequestID       = "x-fc-request-id"
	headerDeadlineMS      = "x-fc-function-deadline"
	headerFunctionTimeout = "x-fc-function-timeout"
	headerAccessKeyID     = "x-fc-access-key-id"
	headerAccessKeySecret = "x-fc-access-key-secret"
	headerSecurityToken   = "x-fc-security-token"
	headerFunctionName    = "x-fc-function-name"
	headerFunctionHandler = "x-fc-function-handler"
	headerFunctionMemory  = "x-fc-function-memory"
	headerServiceName     = "x-fc-service-name"
	headerQualifier       = "x-fc-qualifier"
	headerRegion          = "x-fc-region"
	headerAccountID       = "x-fc-account-id"
	headerRetryCount      = "x-fc-retry-count"
)

// MaxPayloadBytes is FC's limit on a synchronous invocation's body; the runtime applies it to
// events and to function responses.
const MaxPayloadBytes = 32 << 20

var (
	// ErrClosed is returned for invocations that could not finish because the runtime closed.
	ErrClosed = errors.New("fcruntime: runtime closed")
	// ErrTimeout is returned for an invocation that outlived its timeout.
	ErrTimeout = errors.New("function timed out")
	// ErrProcessExited is returned for an invocation whose process exited before answering.
	ErrProcessExited = errors.New("function process exited before answering")
)

// Runtime is an emulated FC runtime API. It is safe for concurrent use.
type Runtime struct {
	defaults      InvokeOptions
	killOnTimeout bool
	log           *slog.Logger

	ln  net.Listener
	srv *http.Server

	queue     chan *invocation // unbuffered: a send completes exactly when a /next takes the event
	closed    chan struct{}
	closeOnce sync.Once
	stopCtx   func() bool

	mu       sync.Mutex
	inflight map[string]*invocation // delivered to a function, not yet answered
	procs    map[*Process]struct{}
	closing  bool // no new processes once set
}

// Option configures a Runtime.
type Option func(*Runtime)

// WithDefaults sets the options used for every field an Invoke leaves zero, and the FC_* and
// ALIBABA_CLOUD_* environment given to processes. Zero fields here keep the built-in defaults
// (see DefaultOptions).
func WithDefaults(o InvokeOptions) Option {
	return func(r *Runtime) { r.defaults = o.withDefaults(r.defaults) }
}

// WithKillOnTimeout sets whether a timed-out invocation kills the process that held it
// (default true, as FC recycles such an instance).
func WithKillOnTimeout(kill bool) Option {
	return func(r *Runtime) { r.killOnTimeout = kill }
}

// WithLogger sets where the runtime logs deliveries, answers, timeouts and process exits
// (default: nowhere). Credentials are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(r *Runtime) {
		if l != nil {
			r.log = l
		}
	}
}

// Start starts a runtime listening on 127.0.0.1 on a free port. It stops when ctx is done
// or Close is called.
func Start(ctx context.Context, opts ...Option) (*Runtime, error) {
	r := &Runtime{
		defaults:      DefaultOptions(),
		killOnTimeout: true,
		log:           slog.New(slog.DiscardHandler),
		queue:         make(chan *invocation),
		closed:        make(chan struct{}),
		inflight:      make(map[string]*invocation),
		procs:         make(map[*Process]struct{}),
	}
	for _, o := range opts {
		o(r)
	}
	ln, srv, err := r.serve(nil)
	if err != nil {
		return nil, err
	}
	r.ln, r.srv = ln, srv
	r.stopCtx = context.AfterFunc(ctx, func() { r.Close() })
	return r, nil
}

// Addr is the runtime's host:port, the value for FC_RUNTIME_API of a binary started by some
// other means than StartProcess. Such a binary gets no crash detection; stop it before
// Close, since the SDK retries a refused /next in a tight loop.
func (r *Runtime) Addr() string { return r.ln.Addr().String() }

// Close stops every process started with StartProcess, fails the invocations still waiting
// or running with ErrClosed, and shuts the listeners. It is idempotent.
func (r *Runtime) Close() error {
	r.closeOnce.Do(func() {
		if r.stopCtx != nil {
			r.stopCtx()
		}
		close(r.closed)
		r.mu.Lock()
		r.closing = true
		procs := make([]*Process, 0, len(r.procs))
		for p := range r.procs {
			procs = append(procs, p)
		}
		r.mu.Unlock()
		// Stop processes before the listeners go: the SDK retries a refused /next in a tight loop.
		for _, p := range procs {
			p.Stop()
		}
		r.mu.Lock()
		pending := make([]*invocation, 0, len(r.inflight))
		for _, inv := range r.inflight {
			pending = append(pending, inv)
		}
		r.mu.Unlock()
		for _, inv := range pending {
			r.finish(inv, outcome{err: fmt.Errorf("fcruntime: invocation %s: %w", inv.id, ErrClosed)})
		}
		r.srv.Close()
	})
	return nil
}

// serve starts one listener and HTTP server for the API; p is the process it is reserved for,
// or nil for the shared address.
func (r *Runtime) serve(p *Process) (net.Listener, *http.Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("fcruntime: listen on 127.0.0.1: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+nextPath, func(w http.ResponseWriter, req *http.Request) { r.handleNext(w, req, p) })
	mux.HandleFunc("POST "+responsePath, func(w http.ResponseWriter, req *http.Request) { r.handleAnswer(w, req, false) })
	mux.HandleFunc("POST "+errorPath, func(w http.ResponseWriter, req *http.Request) { r.handleAnswer(w, req, true) })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // Serve returns ErrServerClosed once Close is called.
	return ln, srv, nil
}

// handleNext long-polls until an event is queued, then hands it to the caller.
func (r *Runtime) handleNext(w http.ResponseWriter, req *http.Request, p *Process) {
	var inv *invocation
	for inv == nil {
		select {
		case inv = <-r.queue:
		case <-req.Context().Done():
			return
		case <-r.closed:
			writeAPIError(w, http.StatusServiceUnavailable, "runtime closed")
			return
		case <-p.exitedChan():
			return
		}
		inv.deadline = time.Now().Add(inv.opts.Timeout)
		inv.owner = p
		r.mu.Lock()
		_, duplicate := r.inflight[inv.id]
		if duplicate {
			inv.finished = true // never registered: it ends here
		} else {
			r.inflight[inv.id] = inv
		}
		dead := p != nil && p.exited
		r.mu.Unlock()
		close(inv.delivered)
		switch {
		case duplicate:
			inv.done <- outcome{err: fmt.Errorf("fcruntime: invocation %s: request id already in flight", inv.id)}
			inv = nil // wait for the next event
		case dead:
			// The process died between taking the event and registering it.
			r.finish(inv, outcome{err: p.exitError(inv.id)})
			return
		}
	}
	h := w.Header()
	o := inv.opts
	h.Set(headerRequestID, inv.id)
	h.Set(headerDeadlineMS, strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set(headerFunctionTimeout, strconv.Itoa(o.timeoutSeconds()))
	h.Set(headerAccessKeyID, o.Credentials.AccessKeyID)
	h.Set(headerAccessKeySecret, o.Credentials.AccessKeySecret)
	h.Set(headerSecurityToken, o.Credentials.SecurityToken)
	h.Set(headerFunctionName, o.FunctionName)
	h.Set(headerFunctionHandler, o.Handler)
	h.Set(headerFunctionMemory, strconv.Itoa(o.MemoryMB))
	h.Set(headerRegion, o.Region)
	h.Set(headerAccountID, o.AccountID)
	h.Set(headerRetryCount, strconv.Itoa(o.RetryCount))
	if o.ServiceName != "" {
		h.Set(headerServiceName, o.ServiceName)
	}
	if o.Qualifier != "" {
		h.Set(headerQualifier, o.Qualifier)
	}
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.Itoa(len(inv.payload)))
	w.WriteHeader(http.StatusOK)
	w.Write(inv.payload) //nolint:errcheck // a lost connection is noticed when the process exits or the deadline passes.
	r.log.Debug("fcruntime: delivered", "request_id", inv.id, "pid", p.pid(), "retry_count", o.RetryCount, "timeout", o.Timeout)
}

// handleAnswer takes a function's response or error for an in-flight invocation.
func (r *Runtime) handleAnswer(w http.ResponseWriter, req *http.Request, isError bool) {
	id := req.PathValue("id")
	r.mu.Lock()
	inv, ok := r.inflight[id]
	r.mu.Unlock()
	if !ok {
		writeAPIError(w, http.StatusNotFound, "no invocation in flight with this request id (finished, timed out or unknown)")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, MaxPayloadBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			r.finish(inv, outcome{err: fmt.Errorf("fcruntime: invocation %s: function answer exceeds %d bytes", id, MaxPayloadBytes)})
			writeAPIError(w, http.StatusRequestEntityTooLarge, "answer too large")
			return
		}
		writeAPIError(w, http.StatusBadRequest, "reading the answer failed")
		return
	}
	res := Result{RequestID: id}
	if isError {
		res.Err = decodeFunctionError(body)
	} else {
		res.Payload = body
	}
	if !r.finish(inv, outcome{res: res}) {
		writeAPIError(w, http.StatusNotFound, "invocation already finished")
		return
	}
	w.WriteHeader(http.StatusOK)
	if isError {
		r.log.Debug("fcruntime: function error", "request_id", id, "error_type", res.Err.Type)
	} else {
		r.log.Debug("fcruntime: function response", "request_id", id, "bytes", len(body))
	}
}

// finish ends an invocation with o if it has not ended yet, and reports whether it did.
func (r *Runtime) finish(inv *invocation, o outcome) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if inv.finished {
		return false
	}
	inv.finished = true
	delete(r.inflight, inv.id)
	inv.done <- o // buffered 1 and sent only once
	return true
}

// processExited fails every invocation the process held and forgets the process.
func (r *Runtime) processExited(p *Process) {
	r.mu.Lock()
	p.exited = true
	delete(r.procs, p)
	var held []*invocation
	for _, inv := range r.inflight {
		if inv.owner == p {
			held = append(held, inv)
		}
	}
	r.mu.Unlock()
	for _, inv := range held {
		r.finish(inv, outcome{err: p.exitError(inv.id)})
	}
	r.log.Info("fcruntime: function process exited", "pid", p.pid(), "exit", p.exitDescription(), "failed_invocations", len(held))
}

func writeAPIError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"errorMessage": msg}) //nolint:errcheck // best effort.
}

// newRequestID returns a random UUID-shaped id.
func newRequestID() string {
	var b [16]byte
	rand.Read(b[:]) //nolint:errcheck // crypto/rand.Read never fails.
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	s := hex.EncodeToString(b[:])
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}
