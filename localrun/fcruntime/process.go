package fcruntime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"
)

// Process is a function binary running under a Runtime, with a listener of its own so that
// the runtime knows which invocations it holds.
type Process struct {
	r    *Runtime
	cmd  *exec.Cmd
	addr string
	srv  *http.Server

	exitedCh chan struct{} // closed once the process has exited and its invocations failed
	exited   bool          // guarded by r.mu; set when the process is gone

	mu         sync.Mutex
	killReason string // why the runtime killed it, for error messages
	waitErr    error
	stopCtx    func() bool
}

// StartProcess runs the function binary at binPath with FC_RUNTIME_API pointing at a listener
// of this runtime reserved for it. Its environment is only what FC would set, taken from the
// runtime's defaults (FC_FUNCTION_NAME, FC_FUNCTION_HANDLER, FC_FUNCTION_MEMORY_SIZE,
// FC_REGION, FC_ACCOUNT_ID, FC_INSTANCE_ID, ALIBABA_CLOUD_ACCESS_KEY_ID,
// ALIBABA_CLOUD_ACCESS_KEY_SECRET, ALIBABA_CLOUD_SECURITY_TOKEN), followed by env
// ("KEY=value" entries, which win over those); the parent's environment is not inherited.
// stdout and stderr may be nil (discarded). The process is killed when ctx is done, when
// Stop is called or when the runtime closes.
func (r *Runtime) StartProcess(ctx context.Context, binPath string, env []string, stdout, stderr io.Writer) (*Process, error) {
	p := &Process{r: r, exitedCh: make(chan struct{})}
	ln, srv, err := r.serve(p)
	if err != nil {
		return nil, err
	}
	p.addr, p.srv = ln.Addr().String(), srv

	d := r.defaults
	cmd := exec.Command(binPath)
	cmd.Env = append([]string{
		"FC_RUNTIME_API=" + p.addr,
		"FC_FUNCTION_NAME=" + d.FunctionName,
		"FC_FUNCTION_HANDLER=" + d.Handler,
		"FC_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(d.MemoryMB),
		"FC_REGION=" + d.Region,
		"FC_ACCOUNT_ID=" + d.AccountID,
		"FC_INSTANCE_ID=" + "c-" + newRequestID(),
		"ALIBABA_CLOUD_ACCESS_KEY_ID=" + d.Credentials.AccessKeyID,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + d.Credentials.AccessKeySecret,
		"ALIBABA_CLOUD_SECURITY_TOKEN=" + d.Credentials.SecurityToken,
	}, env...) // exec keeps the last value of a repeated key
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = 5 * time.Second // do not hang on output pipes a grandchild keeps open
	p.cmd = cmd

	// Start and register under the lock, so that Close either sees the process or refuses it.
	r.mu.Lock()
	if r.closing {
		r.mu.Unlock()
		srv.Close()
		return nil, ErrClosed
	}
	if err := cmd.Start(); err != nil {
		r.mu.Unlock()
		srv.Close()
		return nil, fmt.Errorf("fcruntime: start function process %s: %w", binPath, err)
	}
	r.procs[p] = struct{}{}
	r.mu.Unlock()
	p.stopCtx = context.AfterFunc(ctx, func() { p.kill("killed because its context ended") })
	go p.wait()
	r.log.Info("fcruntime: function process started", "pid", cmd.Process.Pid, "bin", binPath, "runtime_api", p.addr)
	return p, nil
}

func (p *Process) wait() {
	err := p.cmd.Wait()
	p.mu.Lock()
	p.waitErr = err
	p.mu.Unlock()
	p.r.processExited(p)
	p.srv.Close()
	p.stopCtx()
	close(p.exitedCh)
}

// PID is the process id of the function binary.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Addr is the FC_RUNTIME_API value this process was given.
func (p *Process) Addr() string { return p.addr }

// Exited is closed once the process has exited and the invocations it held have failed.
func (p *Process) Exited() <-chan struct{} { return p.exitedCh }

// ExitErr describes how the process ended, once Exited is closed: nil for exit status 0,
// else an error such as *exec.ExitError.
func (p *Process) ExitErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.waitErr
}

// Stop kills the process (this child only, by its PID) and waits until it has exited.
// Invocations it held fail with ErrProcessExited. Stopping a process that already exited
// is a no-op.
func (p *Process) Stop() error {
	p.kill("stopped by the harness")
	<-p.exitedCh
	return nil
}

// kill sends SIGKILL to the process unless it has exited, remembering why for error messages.
func (p *Process) kill(reason string) {
	p.mu.Lock()
	if p.killReason == "" {
		p.killReason = reason
	}
	p.mu.Unlock()
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.r.log.Warn("fcruntime: kill function process", "pid", p.PID(), "err", err)
	}
}

// exitDescription says how the process ended: the harness's reason for killing it, or the
// exit status.
func (p *Process) exitDescription() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	desc := "exit status 0"
	if p.waitErr != nil {
		desc = p.waitErr.Error()
	}
	if p.killReason != "" {
		desc += " (" + p.killReason + ")"
	}
	return desc
}

// exitError is the error of an invocation the process held when it exited.
func (p *Process) exitError(id string) error {
	return fmt.Errorf("fcruntime: invocation %s: %w: pid %d: %s", id, ErrProcessExited, p.PID(), p.exitDescription())
}

// exitedChan is nil (never ready) for the shared address.
func (p *Process) exitedChan() <-chan struct{} {
	if p == nil {
		return nil
	}
	return p.exitedCh
}

// pid is 0 for the shared address.
func (p *Process) pid() int {
	if p == nil {
		return 0
	}
	return p.PID()
}
