package mctest

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"
)

// FaultKind is what an injected fault does to a request.
type FaultKind string

// The faults.
const (
	// FaultStatus answers with Status (default 503 ServiceUnavailable) before the request has
	// any effect.
	FaultStatus FaultKind = "status"
	// FaultCut closes the connection before the request has any effect.
	FaultCut FaultKind = "cut"
	// FaultSlow waits Delay, then handles the request normally.
	FaultSlow FaultKind = "slow"
	// FaultReplyLost handles the request (a commit is applied, a block stored), then closes the
	// connection without answering: the client cannot tell whether it took effect.
	FaultReplyLost FaultKind = "reply-lost"
	// FaultTruncated handles the request, then sends the status line, the headers and half the
	// body and closes the connection (the body is shorter than its Content-Length).
	FaultTruncated FaultKind = "truncated"
)

// Fault is an injected failure.
type Fault struct {
	Op     Op        // requests it applies to; "" = any request
	Kind   FaultKind // what it does
	Times  int       // how many matching requests it applies to (default 1)
	Status int       // FaultStatus: the HTTP status (default 503)
	Delay  time.Duration
}

// Inject queues a fault for the next Times requests of f.Op. Faults apply in the order queued;
// a request takes at most one.
func (s *Server) Inject(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// SetHook installs h, called for every authenticated request with its Op before it is handled;
// a non-nil Fault it returns applies to that request (before any injected one). SetHook(nil)
// removes it. h runs outside the server's lock, so it may call the Server's methods.
func (s *Server) SetHook(h func(Op) *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hook = h
}

// ClearFaults drops the injected faults that have not applied yet.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// PendingFaults returns how many injected faults have not applied yet.
func (s *Server) PendingFaults() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, f := range s.faults {
		n += f.Times
	}
	return n
}

func (s *Server) takeFault(op Op) *Fault {
	s.mu.Lock()
	h := s.hook
	s.mu.Unlock()
	if h != nil {
		if f := h(op); f != nil {
			return f
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Op != "" && f.Op != op {
			continue
		}
		f.Times--
		if f.Times <= 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		c := *f
		return &c
	}
	return nil
}

// cut closes the client's connection without an answer.
func cut(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(fmt.Sprintf("mctest: %T cannot hijack", w))
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	_ = conn.Close()
}

// truncate writes rec's answer with half its body and closes the connection.
func truncate(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(fmt.Sprintf("mctest: %T cannot hijack", w))
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	body := rec.Body.Bytes()
	if len(body) == 0 {
		body = []byte("<?xml version=\"1.0\"?>")
	}
	writeHead(buf, rec.Code, rec.Header(), len(body))
	_, _ = buf.Write(body[:len(body)/2])
	_ = buf.Flush()
}

func writeHead(buf *bufio.ReadWriter, code int, h http.Header, length int) {
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\n", code, http.StatusText(code))
	for k, vs := range h {
		if k == "Content-Length" {
			continue
		}
		for _, v := range vs {
			fmt.Fprintf(buf, "%s: %s\r\n", k, v)
		}
	}
	fmt.Fprintf(buf, "Content-Length: %s\r\nConnection: close\r\n\r\n", strconv.Itoa(length))
}

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }
