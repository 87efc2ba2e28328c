package platform

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/fcsync/fcsync/shared/job"
)

// Jobs says where a function finds its jobs: one job file (FCSYNC_JOB_FILE), or a directory
// of them (FCSYNC_JOBS) with a default (FCSYNC_JOB) for a timer payload that names none.
type Jobs struct {
	File, Dir, Default string
}

// LoadJob loads the named job with load (the function's job kind): the configured file, which
// must be the named job when a name is given, or <name>.yaml, .yml or .json in the directory.
// nameOf reads a loaded job's name.
func LoadJob[T any](js Jobs, name string, load func(path string) (T, error), nameOf func(T) string) (T, error) {
	var zero T
	if js.File != "" {
		j, err := load(js.File)
		if err != nil {
			return zero, err
		}
		if name != "" && name != nameOf(j) {
			return zero, fmt.Errorf("job %q is not served here (this function serves %q)", name, nameOf(j))
		}
		return j, nil
	}
	if name == "" {
		name = js.Default
	}
	if name == "" {
		return zero, errors.New("no job: the timer payload names none and FCSYNC_JOB is not set")
	}
	p, err := job.FindFile(js.Dir, name)
	if err != nil {
		return zero, err
	}
	return load(p)
}

// BesideBinary resolves a path the function's configuration gives relative to its binary
// (FC unpacks the code package, binary and jobs/ together, to /code): absolute paths are kept.
func BesideBinary(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	exe, err := os.Executable()
	if err != nil {
		return path
	}
	return filepath.Join(filepath.Dir(exe), path)
}
