package maxcompute

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/aliyun/aliyun-odps-go-sdk/odps/restclient"
)

// ServiceError is an error answer of MaxCompute: its HTTP status, error code, message and
// request id (quote the request id to Alibaba Cloud support).
type ServiceError struct {
	Status    int
	Code      string
	Message   string
	RequestID string
	err       error
}

func (e *ServiceError) Error() string {
	msg := e.Message
	if len(msg) > 300 {
		msg = msg[:297] + "..."
	}
	s := fmt.Sprintf("HTTP %d", e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if msg != "" {
		s += ": " + msg
	}
	if e.RequestID != "" {
		s += " (request id " + e.RequestID + ")"
	}
	return s
}

// Unwrap returns the SDK's error.
func (e *ServiceError) Unwrap() error { return e.err }

// serviceError turns the SDK's HTTP error into a ServiceError; other errors pass through.
func serviceError(err error) error {
	if err == nil {
		return nil
	}
	var se *ServiceError
	if errors.As(err, &se) {
		return err
	}
	var he restclient.HttpError
	if !errors.As(err, &he) {
		return err
	}
	out := &ServiceError{Status: he.StatusCode, RequestID: he.RequestId, err: err}
	if m := he.ErrorMessage; m != nil {
		out.Code, out.Message = m.ErrorCode, m.Message
		if out.RequestID == "" {
			out.RequestID = m.RequestId
		}
	}
	if out.Code == "" && out.Message == "" {
		out.Message = strings.TrimSpace(string(he.Body))
	}
	return out
}

// errorCode returns the service's error code of err ("" when it is not a service answer).
func errorCode(err error) string {
	var se *ServiceError
	if errors.As(serviceError(err), &se) {
		return se.Code
	}
	return ""
}

// statusOf returns the HTTP status of a service answer (0 when err is not one).
func statusOf(err error) int {
	var se *ServiceError
	if errors.As(serviceError(err), &se) {
		return se.Status
	}
	return 0
}

// retryable reports whether err is worth trying again: a 5xx or 429 answer, or a failure of
// the connection (refused, reset, cut, timed out). Answers that say the request is wrong and
// errors of the sink itself are not.
func retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if st := statusOf(err); st != 0 {
		return st >= 500 || st == http.StatusTooManyRequests
	}
	var ne net.Error
	var ue *url.Error
	switch {
	case errors.As(err, &ue), errors.As(err, &ne):
		return true
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.Is(err, io.ErrClosedPipe),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNREFUSED):
		return true
	}
	return false
}

// retry runs fn until it succeeds, fails for good, or the attempts are used up.
func (s *Sink) retry(ctx context.Context, what string, fn func() error) error {
	wait := s.opt.backoff
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := fn()
		if err == nil {
			return nil
		}
		err = serviceError(err)
		if !retryable(err) || attempt >= s.opt.attempts {
			return err
		}
		s.opt.log.Warn("maxcompute: retrying", "what", what, "attempt", attempt, "err", err)
		if err := sleep(ctx, wait); err != nil {
			return err
		}
		wait = min(2*wait, s.opt.maxBackoff)
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
