// Package mariadbtest starts throwaway MariaDB servers for tests, benchmarks and the local demo:
// a fresh data directory (mariadb-install-db), mariadbd on 127.0.0.1 with a free port, the binary
// log on in ROW format, and Close to stop exactly the process it started and delete its files.
//
// Tests share one server per test binary (start it in TestMain) because a start costs about a
// second and a half. Debian's mariadb-server package provides the binaries; when they are missing
// Start returns an error wrapping ErrNotInstalled and Require skips the test, unless
// FCSYNC_REQUIRE_MARIADB=1 (as in CI) makes it fail.
package mariadbtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
)

// ErrNotInstalled is wrapped by Start's error when mariadbd or mariadb-install-db is not found.
var ErrNotInstalled = errors.New("mariadb server binaries are not installed")

// RequireEnv is the environment variable that turns a missing server into a test failure.
const RequireEnv = "FCSYNC_REQUIRE_MARIADB"

// Server is a running throwaway MariaDB server. Its root user has no password and may connect
// from 127.0.0.1 only.
type Server struct {
	Host string // 127.0.0.1
	Port int
	Dir  string // data directory, socket and logs; removed by Close

	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
	own     bool // Dir was made by Start
}

type settings struct {
	args    []string
	dir     string
	timeout time.Duration
}

// Option configures Start.
type Option func(*settings)

// WithArgs adds mariadbd options such as "--binlog-row-metadata=FULL".
func WithArgs(args ...string) Option {
	return func(s *settings) { s.args = append(s.args, args...) }
}

// WithDir keeps the server's files in dir (created if missing) instead of a new temporary
// directory; Close leaves dir in place.
func WithDir(dir string) Option { return func(s *settings) { s.dir = dir } }

// WithStartTimeout bounds how long Start waits for the server to accept connections (default 60 s).
func WithStartTimeout(d time.Duration) Option { return func(s *settings) { s.timeout = d } }

// Binaries returns the paths of mariadbd and mariadb-install-db, looked up in PATH and in
// /usr/sbin and /usr/bin (Debian installs mariadbd in /usr/sbin, outside most users' PATH).
func Binaries() (server, installDB string, err error) {
	find := func(name string) (string, error) {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
		for _, dir := range []string{"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"} {
			p := filepath.Join(dir, name)
			if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
				return p, nil
			}
		}
		return "", fmt.Errorf("%w: %s not found (Debian: apt-get install mariadb-server)", ErrNotInstalled, name)
	}
	if server, err = find("mariadbd"); err != nil {
		return "", "", err
	}
	if installDB, err = find("mariadb-install-db"); err != nil {
		return "", "", err
	}
	return server, installDB, nil
}

// Start initialises a data directory and starts mariadbd with the binary log in ROW format
// (server id 1), listening on 127.0.0.1 on a free port. It returns once the server accepts
// connections.
func Start(ctx context.Context, opts ...Option) (*Server, error) {
	st := settings{timeout: 60 * time.Second}
	for _, o := range opts {
		o(&st)
	}
	serverBin, installBin, err := Binaries()
	if err != nil {
		return nil, err
	}
	s := &Server{Host: "127.0.0.1", Dir: st.dir}
	if s.Dir == "" {
		// Short path: the unix socket path must fit in 107 bytes.
		if s.Dir, err = os.MkdirTemp("", "mdb"); err != nil {
			return nil, err
		}
		s.own = true
	} else if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return nil, err
	}
	data, tmp := filepath.Join(s.Dir, "data"), filepath.Join(s.Dir, "tmp")
	// A private tmpdir: servers started at once must not share temporary files.
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		s.cleanup()
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(data, "mysql")); err != nil {
		args := []string{"--no-defaults", "--auth-root-authentication-method=normal", "--datadir=" + data, "--tmpdir=" + tmp,
			"--skip-test-db", "--skip-name-resolve", "--innodb-log-file-size=8M"}
		args = append(args, userArgs()...)
		cmd := exec.CommandContext(ctx, installBin, args...)
		if out, err := cmd.CombinedOutput(); err != nil {
			s.cleanup()
			return nil, fmt.Errorf("mariadbtest: mariadb-install-db: %w\n%s", err, tail(out))
		}
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			s.cleanup()
			return nil, err
		}
		if lastErr = s.start(ctx, serverBin, data, port, st); lastErr == nil {
			return s, nil
		}
		if ctx.Err() != nil {
			break
		}
	}
	s.cleanup()
	return nil, lastErr
}

func userArgs() []string {
	if os.Geteuid() == 0 {
		return []string{"--user=root"} // mariadbd refuses to run as root unless told to
	}
	return nil
}

func (s *Server) start(ctx context.Context, bin, data string, port int, st settings) error {
	errLog := filepath.Join(s.Dir, "error.log")
	args := []string{
		"--no-defaults",
		"--datadir=" + data,
		"--tmpdir=" + filepath.Join(s.Dir, "tmp"),
		"--socket=" + filepath.Join(s.Dir, "s.sock"),
		"--pid-file=" + filepath.Join(s.Dir, "mariadbd.pid"),
		"--log-error=" + errLog,
		"--bind-address=127.0.0.1",
		"--port=" + strconv.Itoa(port),
		"--skip-name-resolve",
		"--log-bin=mysql-bin",
		"--binlog-format=ROW",
		"--server-id=1",
		"--innodb-log-file-size=8M",
		"--innodb-buffer-pool-size=32M",
		"--innodb-flush-log-at-trx-commit=2",
		"--sync-binlog=0",
		"--character-set-server=utf8mb4",
		"--collation-server=utf8mb4_general_ci",
		"--max-connections=50",
	}
	args = append(args, userArgs()...)
	args = append(args, st.args...)
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = procAttr()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("mariadbtest: start mariadbd: %w", err)
	}
	s.cmd, s.Port, s.done, s.waitErr = cmd, port, make(chan struct{}), nil
	go func() {
		s.waitErr = cmd.Wait()
		close(s.done)
	}()
	deadline := time.Now().Add(st.timeout)
	for {
		c, err := client.ConnectWithContext(ctx, s.Addr(), "root", "", "", time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-s.done:
			logText, _ := os.ReadFile(errLog)
			return fmt.Errorf("mariadbtest: mariadbd exited during start (%v):\n%s%s", s.waitErr, tail(out.Bytes()), tail(logText))
		case <-ctx.Done():
			s.stop()
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			logText, _ := os.ReadFile(errLog)
			return fmt.Errorf("mariadbtest: mariadbd did not accept connections within %s: %v\n%s", st.timeout, err, tail(logText))
		}
	}
}

// Addr is host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// RootDSN is a DSN of the root user (no password).
func (s *Server) RootDSN() string { return "root@tcp(" + s.Addr() + ")/" }

// Exec runs statements as root, in order, on one connection.
func (s *Server) Exec(ctx context.Context, statements ...string) error {
	c, err := client.ConnectWithContext(ctx, s.Addr(), "root", "", "", 10*time.Second)
	if err != nil {
		return fmt.Errorf("mariadbtest: connect: %w", err)
	}
	defer c.Close()
	for _, q := range statements {
		if _, err := c.Execute(q); err != nil {
			return fmt.Errorf("mariadbtest: %s: %w", firstLine(q), err)
		}
	}
	return nil
}

// Conn opens a root connection; the caller closes it.
func (s *Server) Conn(ctx context.Context) (*client.Conn, error) {
	return client.ConnectWithContext(ctx, s.Addr(), "root", "", "", 10*time.Second)
}

// Close stops the server it started (SIGTERM, then SIGKILL after 20 s) and removes the files of
// a temporary directory.
func (s *Server) Close() error {
	if s == nil {
		return nil
	}
	s.stop()
	s.cleanup()
	return nil
}

func (s *Server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

func (s *Server) cleanup() {
	if s.own && s.Dir != "" {
		_ = os.RemoveAll(s.Dir)
	}
}

// Require returns srv for a test, or skips the test when the binaries are missing (err wraps
// ErrNotInstalled) and FCSYNC_REQUIRE_MARIADB is not 1; any other start error fails it.
func Require(t testing.TB, srv *Server, err error) *Server {
	t.Helper()
	if err == nil && srv != nil {
		return srv
	}
	if errors.Is(err, ErrNotInstalled) && os.Getenv(RequireEnv) != "1" {
		t.Skipf("%v (set %s=1 to make this a failure)", err, RequireEnv)
	}
	if err == nil {
		err = errors.New("no server")
	}
	t.Fatalf("mariadb test server: %v", err)
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("mariadbtest: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tail(b []byte) string {
	const n = 2000
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

func firstLine(q string) string {
	q = strings.TrimSpace(q)
	if i := strings.IndexByte(q, '\n'); i >= 0 {
		q = q[:i] + " ..."
	}
	if len(q) > 120 {
		q = q[:120] + "..."
	}
	return q
}
