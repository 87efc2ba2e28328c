package fcruntime

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"sync"
)

// Build compiles the function package in pkgDir into out the way `make build` does (static,
// CGO_ENABLED=0), so a test or localrun can run the real binary under the emulated runtime.
func Build(pkgDir, out string) error {
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Dir = pkgDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkgDir, err, b)
	}
	return nil
}

// Output collects what a function process writes (its logs) while it runs; it is safe for
// the concurrent writes of the process's stdout and stderr and for reading meanwhile.
type Output struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

// String is everything written so far.
func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}
