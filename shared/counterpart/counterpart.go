// Package counterpart finds and runs the real counterparts that interop tests check fcsync
// against: a Python interpreter with the modules a test needs (hudi, pyspark, oss2, pyodps,
// confluent_kafka), Java with jars resolved from Maven into the clone's cache, and child
// processes that stop, by their PID, when the test ends.
//
// Everything downloaded lives under the clone's .cache directory (ignored by git), so a second
// run on the same machine fetches nothing. .ci/run creates .cache/venv from .ci/requirements.txt;
// Jars resolves Maven artifacts on first use. A missing counterpart skips the test, unless
// FCSYNC_REQUIRE_INTEROP=1 (as in CI) makes it a failure.
//
// Only tests, benchmarks and localrun's bench import this package; the functions never do.
// The TB functions (Java, Jars, Start) fail or skip the test; FindJava, ResolveJars and Launch
// are the same without a testing.TB, for a command such as localrun bench, and return errors
// wrapping ErrMissing for a counterpart that is not installed.
package counterpart

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// RequireEnv is the environment variable that turns a missing counterpart into a test failure.
const RequireEnv = "FCSYNC_REQUIRE_INTEROP"

// ErrMissing is wrapped by the errors of FindJava and ResolveJars when java or mvn is not installed.
var ErrMissing = errors.New("counterpart not installed")

// TB is the part of testing.TB that Missing uses, so that helpers outside test files can pass
// a testing.TB on without importing testing.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
}

// Missing skips tb for a counterpart that is not available, or fails it when RequireEnv is 1.
func Missing(tb TB, format string, args ...any) {
	tb.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv(RequireEnv) == "1" {
		tb.Fatalf("%s (%s=1 requires every interop counterpart; .ci/run installs them)", msg, RequireEnv)
	}
	tb.Skipf("%s (skipped; %s=1 makes this a failure)", msg, RequireEnv)
}

// Root returns the repository root: the nearest directory above the working directory that
// holds go.mod.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("counterpart: go.mod not found above the working directory")
		}
		dir = parent
	}
}

// Cache returns the directory .cache/name in the repository root, created if missing.
func Cache(tb testing.TB, name string) string {
	tb.Helper()
	dir, err := CacheDir(name)
	if err != nil {
		tb.Fatal(err)
	}
	return dir
}

// CacheDir is Cache without a testing.TB.
func CacheDir(name string) (string, error) {
	root, err := Root()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, ".cache", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("counterpart: %w", err)
	}
	return dir, nil
}

// Python returns an interpreter that imports every module named, looked for in
// $FCSYNC_PYTHON, .cache/venv/bin/python and python3, in that order.
func Python(tb testing.TB, modules ...string) string {
	tb.Helper()
	var candidates []string
	if p := os.Getenv("FCSYNC_PYTHON"); p != "" {
		candidates = append(candidates, p)
	}
	if root, err := Root(); err == nil {
		candidates = append(candidates, filepath.Join(root, ".cache", "venv", "bin", "python"))
	}
	candidates = append(candidates, "python3")
	check := "import " + strings.Join(append([]string{"sys"}, modules...), ", ")
	var tried []string
	for _, c := range candidates {
		p, err := exec.LookPath(c)
		if err != nil {
			continue
		}
		out, err := exec.Command(p, "-c", check).CombinedOutput()
		if err == nil {
			return p
		}
		tried = append(tried, fmt.Sprintf("%s: %s", p, lastLine(out)))
	}
	Missing(tb, "no Python with %s (tried %s)", strings.Join(modules, ", "), strings.Join(tried, "; "))
	return ""
}

// Java returns the java launcher: $JAVA_HOME/bin/java, or java on PATH.
func Java(tb testing.TB) string {
	tb.Helper()
	p, err := FindJava()
	if err != nil {
		Missing(tb, "%v", err)
	}
	return p
}

// FindJava is Java without a testing.TB.
func FindJava() (string, error) { return findJDKTool("java") }

// FindJavac returns the Java compiler, looked for as FindJava looks for java.
func FindJavac() (string, error) { return findJDKTool("javac") }

func findJDKTool(name string) (string, error) {
	if h := os.Getenv("JAVA_HOME"); h != "" {
		if p := filepath.Join(h, "bin", name); isExec(p) {
			return p, nil
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%w: %s not found (JAVA_HOME unset or without it, and not on PATH)", ErrMissing, name)
	}
	return p, nil
}

var jarsMu sync.Mutex

// Jars resolves Maven coordinates (group:artifact:version, or group:artifact:version:classifier)
// with their runtime dependencies into .cache/jars/name and returns a classpath of every jar.
// A coordinate ending in "@jar" (as in Gradle) brings that artifact alone, without its
// dependencies (for fat jars whose declared dependencies are bundled or unresolvable).
// The first call downloads through mvn into .cache/m2; later calls, in any process, find the
// jars in place. Test binaries running at once are serialised by a lock file.
func Jars(tb testing.TB, name string, coords ...string) string {
	tb.Helper()
	cp, err := ResolveJars(name, coords...)
	if errors.Is(err, ErrMissing) {
		Missing(tb, "%v", err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return cp
}

// ResolveJars is Jars without a testing.TB; it logs nothing.
func ResolveJars(name string, coords ...string) (string, error) {
	jarsMu.Lock()
	defer jarsMu.Unlock()
	base, err := CacheDir("jars")
	if err != nil {
		return "", err
	}
	dir := filepath.Join(base, name)
	sum := sha256.Sum256([]byte(strings.Join(coords, "\n")))
	stamp := hex.EncodeToString(sum[:8])
	lock, err := os.OpenFile(filepath.Join(base, name+".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", fmt.Errorf("counterpart: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("counterpart: lock %s: %w", lock.Name(), err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	done := filepath.Join(dir, ".resolved")
	if b, err := os.ReadFile(done); err != nil || strings.TrimSpace(string(b)) != stamp {
		mvn, err := exec.LookPath("mvn")
		if err != nil {
			return "", fmt.Errorf("%w: mvn not found, needed to resolve %s", ErrMissing, strings.Join(coords, " "))
		}
		m2, err := CacheDir("m2")
		if err != nil {
			return "", err
		}
		if err := os.RemoveAll(dir); err != nil {
			return "", fmt.Errorf("counterpart: %w", err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", fmt.Errorf("counterpart: %w", err)
		}
		pom := filepath.Join(dir, "pom.xml")
		if err := os.WriteFile(pom, pomFor(name, coords), 0o644); err != nil {
			return "", fmt.Errorf("counterpart: %w", err)
		}
		cmd := exec.Command(mvn, "-B", "-q", "-f", pom,
			"-Dmaven.repo.local="+m2,
			"dependency:copy-dependencies", "-DincludeScope=runtime", "-DoutputDirectory="+filepath.Join(dir, "lib"))
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("counterpart: resolving %s with mvn: %v\n%s", strings.Join(coords, " "), err, tail(out, 4000))
		}
		if err := os.WriteFile(done, []byte(stamp+"\n"), 0o644); err != nil {
			return "", fmt.Errorf("counterpart: %w", err)
		}
	}
	return filepath.Join(dir, "lib", "*"), nil
}

func pomFor(name string, coords []string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>fcsync.counterpart</groupId>
  <artifactId>%s</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
`, name)
	for _, c := range coords {
		c, alone := strings.CutSuffix(c, "@jar")
		p := strings.Split(c, ":")
		fmt.Fprintf(&b, "    <dependency><groupId>%s</groupId><artifactId>%s</artifactId><version>%s</version>", p[0], p[1], p[2])
		if len(p) > 3 {
			fmt.Fprintf(&b, "<classifier>%s</classifier>", p[3])
		}
		if alone {
			b.WriteString("<exclusions><exclusion><groupId>*</groupId><artifactId>*</artifactId></exclusion></exclusions>")
		}
		b.WriteString("</dependency>\n")
	}
	b.WriteString("  </dependencies>\n</project>\n")
	return b.Bytes()
}

// Process is a child process started by Start.
type Process struct {
	Cmd  *exec.Cmd
	Log  string // combined stdout and stderr
	done chan struct{}
	err  error
}

// Start starts cmd with its output in a log file of the test's temporary directory, in a
// process group of its own that dies with the test binary; the test's cleanup stops it.
func Start(tb testing.TB, cmd *exec.Cmd) *Process {
	tb.Helper()
	p, err := Launch(cmd, tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.Stop)
	return p
}

// Launch is Start without a testing.TB: the log file goes into logDir, and the caller stops
// the process with Stop.
func Launch(cmd *exec.Cmd, logDir string) (*Process, error) {
	log, err := os.CreateTemp(logDir, filepath.Base(cmd.Path)+"-*.log")
	if err != nil {
		return nil, fmt.Errorf("counterpart: %w", err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("counterpart: start %s: %w", cmd.Path, err)
	}
	p := &Process{Cmd: cmd, Log: log.Name(), done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		log.Close()
		close(p.done)
	}()
	return p, nil
}

// Exited reports whether the process has ended, and how.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// Stop sends SIGTERM to the process group, then SIGKILL after ten seconds, and waits.
func (p *Process) Stop() {
	if ok, _ := p.Exited(); ok {
		return
	}
	pid := p.Cmd.Process.Pid
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-p.done
	}
}

// Tail returns the last n bytes of the process's log, for failure messages.
func (p *Process) Tail(n int) string {
	b, _ := os.ReadFile(p.Log)
	return tail(b, n)
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// WaitListening waits until addr accepts TCP connections, the process ends, or timeout passes.
func (p *Process) WaitListening(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if ok, werr := p.Exited(); ok {
			return fmt.Errorf("counterpart: %s exited before listening on %s (%v):\n%s", p.Cmd.Path, addr, werr, p.Tail(4000))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("counterpart: %s not listening on %s after %s:\n%s", p.Cmd.Path, addr, timeout, p.Tail(4000))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

func lastLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
