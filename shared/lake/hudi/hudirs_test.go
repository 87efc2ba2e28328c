package hudi_test

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/counterpart"
)

// readWithHudiRs reads every table with hudi-rs (PyPI hudi, the Rust reader) in one Python
// process, and requires the rows fcsync's reader returns, value for value, with the Arrow
// types the columns' schema types map to. A shape hudi-rs cannot read must fail with the
// error its readerShape.hudirs documents.
func readWithHudiRs(t *testing.T, tables []*readerTable) {
	py := counterpart.Python(t, "hudi", "pyarrow")
	args := []string{filepath.Join("testdata", "hudirs", "snapshot.py")}
	for _, rt := range tables {
		args = append(args, rt.dir+"="+rt.dir)
	}
	cmd := exec.CommandContext(t.Context(), py, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("hudi-rs reader: %v\n%s", err, stderr.String())
	}
	t.Logf("hudi-rs read %d tables in %s", len(tables), time.Since(start).Round(time.Millisecond))
	got := parseReaderOutput(t, out, tables, nil)
	for _, rt := range tables {
		t.Run(rt.shape.name, func(t *testing.T) {
			o := got[rt.dir]
			if rt.shape.hudirs != "" {
				if o == nil || !strings.Contains(o.err, rt.shape.hudirs) {
					t.Fatalf("hudi-rs was expected to fail with %q (a documented limitation), got %+v", rt.shape.hudirs, o)
				}
				return
			}
			rt.compare(t, "hudi-rs", o, rt.types)
		})
	}
}
