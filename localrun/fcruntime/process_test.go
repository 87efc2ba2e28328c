package fcruntime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// echofnPath is the test function binary, built once by TestMain from testdata/echofn.
var echofnPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fcruntime-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		echofnPath = filepath.Join(dir, "echofn")
		build := exec.Command("go", "build", "-o", echofnPath, "./testdata/echofn")
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building testdata/echofn: %v\n%s", err, out)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

// reply is what echofn answers (see testdata/echofn).
type reply struct {
	Payload         string            `json:"payload"`
	RequestID       string            `json:"requestId"`
	AccessKeyID     string            `json:"accessKeyId"`
	AccessKeySecret string            `json:"accessKeySecret"`
	SecurityToken   string            `json:"securityToken"`
	FunctionName    string            `json:"functionName"`
	Handler         string            `json:"handler"`
	Memory          string            `json:"memory"`
	Timeout         int               `json:"timeout"`
	Region          string            `json:"region"`
	AccountID       string            `json:"accountId"`
	RetryCount      int               `json:"retryCount"`
	DeadlineMS      int64             `json:"deadlineMs"`
	PID             int               `json:"pid"`
	Env             map[string]string `json:"env"`
}

// lockedBuffer collects a process's output safely.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startEchofn runs echofn under r; its stderr is shown if the test fails.
func startEchofn(t *testing.T, r *Runtime, env ...string) *Process {
	t.Helper()
	var stderr lockedBuffer
	p, err := r.StartProcess(t.Context(), echofnPath, env, nil, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("echofn pid %d stderr:\n%s", p.PID(), stderr.String())
		}
	})
	return p
}

// invokeEcho invokes echofn and decodes its reply; a function error fails the test.
func invokeEcho(t *testing.T, r *Runtime, payload string, opts InvokeOptions) reply {
	t.Helper()
	res, err := r.Invoke(t.Context(), []byte(payload), opts)
	if err != nil {
		t.Fatalf("Invoke(%s): %v", payload, err)
	}
	if res.Err != nil {
		t.Fatalf("Invoke(%s): function error %v", payload, res.Err)
	}
	var rep reply
	if err := json.Unmarshal(res.Payload, &rep); err != nil {
		t.Fatalf("echofn reply %q: %v", res.Payload, err)
	}
	if rep.RequestID != res.RequestID {
		t.Errorf("handler saw request id %q, Result says %q", rep.RequestID, res.RequestID)
	}
	return rep
}

func TestEchoFunctionSeesPayloadAndFCContext(t *testing.T) {
	r := startRuntime(t, WithDefaults(InvokeOptions{FunctionName: "batch", Region: "cn-beijing", AccountID: "777",
		Credentials: Credentials{AccessKeyID: "STS.env-id", AccessKeySecret: "env-secret", SecurityToken: "env-token"}}))
	p := startEchofn(t, r, "ECHOFN_MODE=test", "FC_REGION=cn-override")

	opts := InvokeOptions{
		Timeout:     90 * time.Second,
		RetryCount:  3,
		RequestID:   "req-echo",
		Credentials: Credentials{AccessKeyID: "STS.invoke-id", AccessKeySecret: "invoke-secret", SecurityToken: "invoke-token"},
		MemoryMB:    2048,
	}
	before := time.Now()
	rep := invokeEcho(t, r, `{"hello":"world"}`, opts)
	after := time.Now()

	checks := []struct{ field, got, want string }{
		{"payload", rep.Payload, `{"hello":"world"}`},
		{"request id", rep.RequestID, "req-echo"},
		{"access key id", rep.AccessKeyID, "STS.invoke-id"},
		{"access key secret", rep.AccessKeySecret, "invoke-secret"},
		{"security token", rep.SecurityToken, "invoke-token"},
		{"function name", rep.FunctionName, "batch"},
		{"handler", rep.Handler, "main"},
		{"memory", rep.Memory, "2048"},
		{"region", rep.Region, "cn-beijing"},
		{"account id", rep.AccountID, "777"},
		{"timeout", fmt.Sprint(rep.Timeout), "90"},
		{"retry count", fmt.Sprint(rep.RetryCount), "3"},
		{"pid", fmt.Sprint(rep.PID), fmt.Sprint(p.PID())},
		{"env FC_RUNTIME_API", rep.Env["FC_RUNTIME_API"], p.Addr()},
		{"env FC_FUNCTION_NAME", rep.Env["FC_FUNCTION_NAME"], "batch"},
		{"env FC_ACCOUNT_ID", rep.Env["FC_ACCOUNT_ID"], "777"},
		{"env FC_REGION (caller env wins)", rep.Env["FC_REGION"], "cn-override"},
		{"env ALIBABA_CLOUD_ACCESS_KEY_ID", rep.Env["ALIBABA_CLOUD_ACCESS_KEY_ID"], "STS.env-id"},
		{"env ALIBABA_CLOUD_ACCESS_KEY_SECRET", rep.Env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"], "env-secret"},
		{"env ALIBABA_CLOUD_SECURITY_TOKEN", rep.Env["ALIBABA_CLOUD_SECURITY_TOKEN"], "env-token"},
		{"env ECHOFN_MODE", rep.Env["ECHOFN_MODE"], "test"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if !strings.HasPrefix(rep.Env["FC_INSTANCE_ID"], "c-") {
		t.Errorf("env FC_INSTANCE_ID = %q, want an instance id", rep.Env["FC_INSTANCE_ID"])
	}
	lo, hi := before.Add(opts.Timeout).UnixMilli(), after.Add(opts.Timeout).UnixMilli()
	if rep.DeadlineMS < lo || rep.DeadlineMS > hi {
		t.Errorf("handler's ctx deadline %d outside [%d, %d]", rep.DeadlineMS, lo, hi)
	}
}

func TestEchoFunctionAnswersInvocationsInSequenceAndConcurrently(t *testing.T) {
	r := startRuntime(t)
	p := startEchofn(t, r)
	seen := map[string]bool{}
	for i := range 5 {
		payload := fmt.Sprintf(`{"n":%d}`, i)
		rep := invokeEcho(t, r, payload, InvokeOptions{})
		if rep.Payload != payload || rep.PID != p.PID() {
			t.Errorf("invocation %d: payload %q pid %d, want %q from pid %d", i, rep.Payload, rep.PID, payload, p.PID())
		}
		if seen[rep.RequestID] {
			t.Errorf("request id %s reused", rep.RequestID)
		}
		seen[rep.RequestID] = true
	}

	// The SDK runs each invocation in its own goroutine: several may be in flight at once.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			payload := fmt.Sprintf(`{"concurrent":%d}`, i)
			res, err := r.Invoke(t.Context(), []byte(payload), InvokeOptions{})
			if err != nil || res.Err != nil {
				errs <- fmt.Errorf("invocation %d: %v %v", i, err, res.Err)
				return
			}
			var rep reply
			if err := json.Unmarshal(res.Payload, &rep); err != nil || rep.Payload != payload {
				errs <- fmt.Errorf("invocation %d: got %s, want payload %s", i, res.Payload, payload)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestHandlerErrorsAndPanicsBecomeFunctionErrors(t *testing.T) {
	r := startRuntime(t)
	startEchofn(t, r)
	tests := []struct {
		name, payload string
		wantType      string
		wantMessage   string
		wantStack     bool
	}{
		{"returned error", `{"action":"error","message":"job orders: partition 3: offset 9 is gone"}`, "badInputError", "job orders: partition 3: offset 9 is gone", false},
		{"recovered panic", `{"action":"panic","message":"nil map"}`, "string", "nil map", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := r.Invoke(t.Context(), []byte(tt.payload), InvokeOptions{})
			if err != nil {
				t.Fatalf("Invoke error = %v, want a function error in the Result", err)
			}
			fe := res.Err
			if fe == nil {
				t.Fatalf("Result = %+v, want a function error", res)
			}
			if fe.Message != tt.wantMessage || fe.Type != tt.wantType || (len(fe.StackTrace) > 0) != tt.wantStack {
				t.Errorf("FunctionError = {%q %q stack frames %d}, want {%q %q stack: %v}", fe.Message, fe.Type, len(fe.StackTrace), tt.wantMessage, tt.wantType, tt.wantStack)
			}
		})
	}
	// The process survives both (the SDK recovers panics) and keeps serving.
	if rep := invokeEcho(t, r, "after", InvokeOptions{}); rep.Payload != "after" {
		t.Errorf("payload after errors = %q", rep.Payload)
	}
}

func TestProcessCrashFailsTheInvocationItHeld(t *testing.T) {
	tests := []struct {
		name, payload, wantExit string
	}{
		{"os.Exit mid-invocation", `{"action":"exit","code":3}`, "exit status 3"},
		{"unrecovered panic in a goroutine", `{"action":"crash","message":"boom"}`, "exit status 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := startRuntime(t)
			p := startEchofn(t, r)
			res, err := r.Invoke(t.Context(), []byte(tt.payload), InvokeOptions{RequestID: "doomed"})
			if !errors.Is(err, ErrProcessExited) {
				t.Fatalf("Invoke = %+v, %v; want ErrProcessExited", res, err)
			}
			for _, want := range []string{"doomed", tt.wantExit, fmt.Sprint(p.PID())} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			<-p.Exited()
			if p.ExitErr() == nil {
				t.Error("ExitErr() = nil for a crashed process")
			}
		})
	}
}

// TestHarnessRetriesOnANewProcessAfterACrash emulates FC's retry: the first attempt kills its
// instance, the retry runs on a fresh one and sees RetryCount 1.
func TestHarnessRetriesOnANewProcessAfterACrash(t *testing.T) {
	r := startRuntime(t)
	first := startEchofn(t, r)
	payload := `{"action":"exit-first","code":1}`
	_, err := r.Invoke(t.Context(), []byte(payload), InvokeOptions{RequestID: "job-1"})
	if !errors.Is(err, ErrProcessExited) {
		t.Fatalf("first attempt error = %v, want ErrProcessExited", err)
	}
	<-first.Exited()
	second := startEchofn(t, r)
	rep := invokeEcho(t, r, payload, InvokeOptions{RequestID: "job-1", RetryCount: 1})
	if rep.RetryCount != 1 || rep.PID != second.PID() || rep.RequestID != "job-1" {
		t.Errorf("retry ran with retry count %d on pid %d as %q, want 1 on pid %d as job-1", rep.RetryCount, rep.PID, rep.RequestID, second.PID())
	}
}

func TestTimedOutInvocationKillsItsProcess(t *testing.T) {
	r := startRuntime(t)
	p := startEchofn(t, r)
	_, err := r.Invoke(t.Context(), []byte(`{"action":"hang"}`), InvokeOptions{RequestID: "stuck", Timeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Invoke error = %v, want ErrTimeout", err)
	}
	<-p.Exited() // killed, as FC recycles the instance
	var exit *exec.ExitError
	if !errors.As(p.ExitErr(), &exit) || exit.Exited() {
		t.Errorf("ExitErr() = %v, want death by signal", p.ExitErr())
	}
}

func TestTimedOutInvocationCanLeaveItsProcessRunning(t *testing.T) {
	r := startRuntime(t, WithKillOnTimeout(false))
	p := startEchofn(t, r)
	_, err := r.Invoke(t.Context(), []byte(`{"action":"hang"}`), InvokeOptions{Timeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Invoke error = %v, want ErrTimeout", err)
	}
	if rep := invokeEcho(t, r, "still there", InvokeOptions{}); rep.PID != p.PID() {
		t.Errorf("answered by pid %d, want the same process %d", rep.PID, p.PID())
	}
}

func TestStopKillsOnlyThatProcessAndFailsWhatItHeld(t *testing.T) {
	r := startRuntime(t)
	doomed := startEchofn(t, r)
	done := invokeAsync(t.Context(), r, []byte(`{"action":"hang"}`), InvokeOptions{RequestID: "held"})
	// Wait until the hanging invocation is held by the process before stopping it.
	for {
		r.mu.Lock()
		inv := r.inflight["held"]
		r.mu.Unlock()
		if inv != nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	survivor := startEchofn(t, r)
	if err := doomed.Stop(); err != nil {
		t.Fatal(err)
	}
	got := <-done
	if !errors.Is(got.err, ErrProcessExited) || !strings.Contains(got.err.Error(), "stopped by the harness") {
		t.Errorf("held invocation error = %v, want ErrProcessExited saying it was stopped", got.err)
	}
	if rep := invokeEcho(t, r, "next", InvokeOptions{}); rep.PID != survivor.PID() {
		t.Errorf("answered by pid %d, want the surviving process %d", rep.PID, survivor.PID())
	}
	doomed.Stop() // a second Stop is a no-op
}

func TestStartProcessReportsAMissingBinary(t *testing.T) {
	r := startRuntime(t)
	_, err := r.StartProcess(t.Context(), filepath.Join(t.TempDir(), "no-such-binary"), nil, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "no-such-binary") {
		t.Errorf("StartProcess error = %v, want one naming the binary", err)
	}
}

func TestCloseStopsProcessesAndRefusesNewOnes(t *testing.T) {
	r, err := Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	p := startEchofn(t, r)
	invokeEcho(t, r, "warm", InvokeOptions{})
	r.Close()
	<-p.Exited()
	if _, err := r.StartProcess(t.Context(), echofnPath, nil, nil, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("StartProcess after Close error = %v, want ErrClosed", err)
	}
}

func TestProcessIsKilledWhenItsContextEnds(t *testing.T) {
	r := startRuntime(t)
	ctx, cancel := context.WithCancel(t.Context())
	p, err := r.StartProcess(ctx, echofnPath, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	<-p.Exited()
	if p.ExitErr() == nil {
		t.Error("ExitErr() = nil, want the kill")
	}
}
