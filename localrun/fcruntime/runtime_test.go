package fcruntime

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startRuntime starts a runtime that closes when the test ends.
func startRuntime(t *testing.T, opts ...Option) *Runtime {
	t.Helper()
	r, err := Start(t.Context(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// poll plays the SDK: one GET /next, returning the headers and the event.
func poll(t *testing.T, addr string) (http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+addr+"/2020-11-11/runtime/invocation/next", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /next: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /next: status %d: %s", resp.StatusCode, body)
	}
	return resp.Header, body
}

// answer plays the SDK: POST .../{id}/response or .../{id}/error; returns the status.
func answer(t *testing.T, addr, id, kind string, body []byte) int {
	t.Helper()
	resp, err := http.Post("http://"+addr+"/2020-11-11/runtime/invocation/"+id+"/"+kind, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", kind, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

type invokeResult struct {
	res Result
	err error
}

// invokeAsync runs Invoke in the background; the channel yields its outcome.
func invokeAsync(ctx context.Context, r *Runtime, payload []byte, opts InvokeOptions) <-chan invokeResult {
	ch := make(chan invokeResult, 1)
	go func() {
		res, err := r.Invoke(ctx, payload, opts)
		ch <- invokeResult{res, err}
	}()
	return ch
}

func TestNextCarriesEveryHeaderTheSDKReads(t *testing.T) {
	r := startRuntime(t)
	before := time.Now()
	opts := InvokeOptions{
		Timeout:      1500 * time.Millisecond,
		RetryCount:   2,
		Credentials:  Credentials{AccessKeyID: "STS.id", AccessKeySecret: "secret", SecurityToken: "token"},
		RequestID:    "req-1",
		FunctionName: "batch",
		Region:       "eu-central-1",
		AccountID:    "42",
		Handler:      "main",
		MemoryMB:     1024,
		ServiceName:  "svc",
		Qualifier:    "LATEST",
	}
	done := invokeAsync(t.Context(), r, []byte(`{"x":1}`), opts)
	h, body := poll(t, r.Addr())
	after := time.Now()

	if string(body) != `{"x":1}` {
		t.Errorf("event body = %q", body)
	}
	want := map[string]string{
		"x-fc-request-id":        "req-1",
		"x-fc-function-timeout":  "2", // 1.5 s rounded up to whole seconds
		"x-fc-access-key-id":     "STS.id",
		"x-fc-access-key-secret": "secret",
		"x-fc-security-token":    "token",
		"x-fc-function-name":     "batch",
		"x-fc-function-handler":  "main",
		"x-fc-function-memory":   "1024",
		"x-fc-service-name":      "svc",
		"x-fc-qualifier":         "LATEST",
		"x-fc-region":            "eu-central-1",
		"x-fc-account-id":        "42",
		"x-fc-retry-count":       "2",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	ms, err := strconv.ParseInt(h.Get("x-fc-function-deadline"), 10, 64)
	if err != nil {
		t.Fatalf("x-fc-function-deadline %q is not epoch milliseconds: %v", h.Get("x-fc-function-deadline"), err)
	}
	lo, hi := before.Add(opts.Timeout).UnixMilli(), after.Add(opts.Timeout).UnixMilli()
	if ms < lo || ms > hi {
		t.Errorf("deadline %d outside [%d, %d]: want delivery time + timeout", ms, lo, hi)
	}
	if code := answer(t, r.Addr(), "req-1", "response", []byte(`"ok"`)); code != http.StatusOK {
		t.Fatalf("POST response: status %d, want 200 (the SDK treats anything else as a failure)", code)
	}
	got := <-done
	if got.err != nil || string(got.res.Payload) != `"ok"` || got.res.Err != nil || got.res.RequestID != "req-1" {
		t.Errorf("Invoke = %+v, %v; want payload \"ok\"", got.res, got.err)
	}
}

func TestInvokeFillsZeroOptionsFromDefaults(t *testing.T) {
	r := startRuntime(t, WithDefaults(InvokeOptions{FunctionName: "stream", Credentials: Credentials{AccessKeyID: "AK", AccessKeySecret: "SK"}}))
	done := invokeAsync(t.Context(), r, nil, InvokeOptions{Region: "cn-shanghai"})
	h, _ := poll(t, r.Addr())
	d := DefaultOptions()
	want := map[string]string{
		"x-fc-function-name":     "stream",
		"x-fc-region":            "cn-shanghai",
		"x-fc-account-id":        d.AccountID,
		"x-fc-access-key-id":     "AK",
		"x-fc-access-key-secret": "SK",
		"x-fc-security-token":    "",
		"x-fc-function-timeout":  "60",
		"x-fc-retry-count":       "0",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	if id := h.Get("x-fc-request-id"); len(id) != 36 {
		t.Errorf("generated request id %q is not UUID-shaped", id)
	} else if code := answer(t, r.Addr(), id, "response", []byte(`null`)); code != http.StatusOK {
		t.Fatalf("POST response: status %d", code)
	}
	if got := <-done; got.err != nil {
		t.Fatal(got.err)
	}
}

func TestErrorAnswerBecomesFunctionError(t *testing.T) {
	tests := []struct {
		name string
		body string
		want FunctionError
	}{
		{
			name: "sdk error body",
			body: `{"errorMessage":"partition 3 is gone","errorType":"badInputError"}`,
			want: FunctionError{Message: "partition 3 is gone", Type: "badInputError"},
		},
		{
			name: "sdk panic body with stack",
			body: `{"errorMessage":"boom","errorType":"string","stackTrace":[{"path":"main.go","line":12,"label":"handle"}]}`,
			want: FunctionError{Message: "boom", Type: "string", StackTrace: []StackFrame{{Path: "main.go", Line: 12, Label: "handle"}}},
		},
		{
			name: "not JSON",
			body: `segfault`,
			want: FunctionError{Message: "segfault", Type: "Unhandled"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := startRuntime(t)
			done := invokeAsync(t.Context(), r, []byte("x"), InvokeOptions{RequestID: "e1"})
			poll(t, r.Addr())
			if code := answer(t, r.Addr(), "e1", "error", []byte(tt.body)); code != http.StatusOK {
				t.Fatalf("POST error: status %d", code)
			}
			got := <-done
			if got.err != nil {
				t.Fatalf("Invoke error = %v; a function error belongs in Result.Err", got.err)
			}
			fe := got.res.Err
			if fe == nil || fe.Message != tt.want.Message || fe.Type != tt.want.Type || len(fe.StackTrace) != len(tt.want.StackTrace) {
				t.Fatalf("Result.Err = %+v, want %+v", fe, tt.want)
			}
			for i := range fe.StackTrace {
				if fe.StackTrace[i] != tt.want.StackTrace[i] {
					t.Errorf("frame %d = %+v, want %+v", i, fe.StackTrace[i], tt.want.StackTrace[i])
				}
			}
			if !strings.Contains(fe.Error(), tt.want.Message) {
				t.Errorf("FunctionError.Error() = %q, want the message in it", fe.Error())
			}
		})
	}
}

func TestAnswersForUnknownOrFinishedRequestsAreRefused(t *testing.T) {
	r := startRuntime(t)
	if code := answer(t, r.Addr(), "nobody", "response", []byte(`1`)); code != http.StatusNotFound {
		t.Errorf("answer for unknown id: status %d, want 404", code)
	}
	done := invokeAsync(t.Context(), r, nil, InvokeOptions{RequestID: "twice"})
	poll(t, r.Addr())
	if code := answer(t, r.Addr(), "twice", "response", []byte(`1`)); code != http.StatusOK {
		t.Fatalf("first answer: status %d", code)
	}
	if code := answer(t, r.Addr(), "twice", "error", []byte(`{"errorMessage":"late"}`)); code != http.StatusNotFound {
		t.Errorf("second answer: status %d, want 404", code)
	}
	if got := <-done; got.err != nil || string(got.res.Payload) != "1" || got.res.Err != nil {
		t.Errorf("Invoke = %+v, %v; want the first answer", got.res, got.err)
	}
}

func TestInvocationPastItsTimeoutFailsAndLateAnswerIsRefused(t *testing.T) {
	r := startRuntime(t)
	done := invokeAsync(t.Context(), r, nil, InvokeOptions{RequestID: "slow", Timeout: 50 * time.Millisecond})
	h, _ := poll(t, r.Addr())
	if got := h.Get("x-fc-function-timeout"); got != "1" {
		t.Errorf("x-fc-function-timeout = %q, want 1 (never 0: the SDK would see no time at all)", got)
	}
	got := <-done // nobody answers
	if !errors.Is(got.err, ErrTimeout) || !strings.Contains(got.err.Error(), "slow") {
		t.Fatalf("Invoke error = %v, want ErrTimeout naming the request", got.err)
	}
	if code := answer(t, r.Addr(), "slow", "response", []byte(`1`)); code != http.StatusNotFound {
		t.Errorf("late answer: status %d, want 404", code)
	}
}

func TestInvokeEndsWithItsContextWhileNobodyPolls(t *testing.T) {
	r := startRuntime(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := r.Invoke(ctx, []byte("x"), InvokeOptions{})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "waiting for a function to take it") {
		t.Errorf("Invoke error = %v, want context.Canceled while queued", err)
	}
}

func TestCloseFailsQueuedAndRunningInvocations(t *testing.T) {
	r, err := Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	running := invokeAsync(t.Context(), r, nil, InvokeOptions{RequestID: "running"})
	poll(t, r.Addr())
	queued := invokeAsync(t.Context(), r, nil, InvokeOptions{RequestID: "queued"})
	r.Close()
	for name, ch := range map[string]<-chan invokeResult{"running": running, "queued": queued} {
		if got := <-ch; !errors.Is(got.err, ErrClosed) {
			t.Errorf("%s invocation error = %v, want ErrClosed", name, got.err)
		}
	}
	if _, err := r.Invoke(t.Context(), nil, InvokeOptions{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Invoke after Close error = %v, want ErrClosed", err)
	}
	r.Close() // idempotent
}

func TestInvokeRejectsBadOptionsWithoutEchoingSecrets(t *testing.T) {
	r := startRuntime(t)
	tests := []struct {
		name    string
		opts    InvokeOptions
		wantErr string
		secret  string
	}{
		{"newline in secret", InvokeOptions{Credentials: Credentials{AccessKeyID: "AK", AccessKeySecret: "s3cr3t\nX-Evil: 1"}}, "Credentials.AccessKeySecret contains a control", "s3cr3t"},
		{"newline in function name", InvokeOptions{FunctionName: "a\r\nb"}, "FunctionName contains a control", ""},
		{"slash in request id", InvokeOptions{RequestID: "a/b"}, "cannot appear in a URL path", ""},
		{"negative retry count", InvokeOptions{RetryCount: -1}, "RetryCount is -1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.Invoke(t.Context(), nil, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Invoke error = %v, want one containing %q", err, tt.wantErr)
			}
			if tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
				t.Errorf("error %q leaks the secret", err)
			}
		})
	}
}

func TestInvokeRejectsOversizedPayload(t *testing.T) {
	r := startRuntime(t)
	_, err := r.Invoke(t.Context(), make([]byte, MaxPayloadBytes+1), InvokeOptions{})
	if err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("Invoke error = %v, want the payload limit", err)
	}
}
