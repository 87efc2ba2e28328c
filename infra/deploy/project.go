package deploy

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Project is a repository's deployment assets, loaded for checking.
type Project struct {
	Root     string
	Template *Template
	// Functions is the Makefile's FUNCTIONS list: the functions `make build` builds to
	// dist/<name>/main.
	Functions []string
	// JobFiles is, per function, the job files `make build` copies into dist/<name>/jobs/.
	JobFiles map[string][]string
	// BuildRule reports whether the Makefile builds each function with -o dist/$$f/main from
	// ./functions/$$f.
	BuildRule bool
	// Makefile is the Makefile's text.
	Makefile string
}

// Load reads the template and the Makefile of the repository at root.
func Load(root string, r Render) (*Project, error) {
	t, err := LoadTemplate(filepath.Join(root, "s.yaml"), r)
	if err != nil {
		return nil, err
	}
	p := &Project{Root: root, Template: t, JobFiles: map[string][]string{}}
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		return nil, err
	}
	if err := p.readMakefile(string(mk)); err != nil {
		return nil, fmt.Errorf("Makefile: %w", err)
	}
	return p, nil
}

var (
	functionsRE = regexp.MustCompile(`(?m)^FUNCTIONS\s*:?=\s*(.*)$`)
	buildRE     = regexp.MustCompile(`\$\(GO\) build .*-o dist/\$\$f/main \./functions/\$\$f\b`)
	copyRE      = regexp.MustCompile(`(?m)^\s*cp\s+(.+?)\s+dist/([A-Za-z0-9_-]+)/jobs/?\s*$`)
)

func (p *Project) readMakefile(mk string) error {
	m := functionsRE.FindStringSubmatch(mk)
	if m == nil {
		return fmt.Errorf("no FUNCTIONS := list")
	}
	p.Makefile = mk
	p.Functions = strings.Fields(m[1])
	p.BuildRule = buildRE.MatchString(mk)
	for _, c := range copyRE.FindAllStringSubmatch(mk, -1) {
		fn := c[2]
		for _, pattern := range strings.Fields(c[1]) {
			matches, err := filepath.Glob(filepath.Join(p.Root, filepath.FromSlash(pattern)))
			if err != nil {
				return fmt.Errorf("cp %s: %w", pattern, err)
			}
			for _, f := range matches {
				if st, err := os.Stat(f); err == nil && st.Mode().IsRegular() {
					p.JobFiles[fn] = append(p.JobFiles[fn], f)
				}
			}
		}
		slices.Sort(p.JobFiles[fn])
	}
	return nil
}

// jobFile is the packaged job file of function fn for job name, as handler.LoadJob finds it
// (name.yaml, name.yml or name.json in the jobs directory).
func (p *Project) jobFile(fn, name string) (string, bool) {
	for _, ext := range []string{".yaml", ".yml", ".json"} {
		for _, f := range p.JobFiles[fn] {
			if filepath.Base(f) == name+ext {
				return f, true
			}
		}
	}
	return "", false
}

// Problems runs every check: the template (Check), the RAM policies (PolicyProblems) and the
// lifecycle rules (LifecycleProblems).
func (p *Project) Problems() []Problem {
	ps, served := p.Check()
	ps = append(ps, p.PolicyProblems(served)...)
	return append(ps, p.LifecycleProblems(served)...)
}

// readsEnv reports whether the Go code of function fn (functions/<fn> and functions/platform,
// tests excluded) mentions the variable name as a string literal.
func (p *Project) readsEnv(fn, name string) bool {
	lit := `"` + name + `"`
	for _, dir := range []string{filepath.Join(p.Root, "functions", fn), filepath.Join(p.Root, "functions", "platform")} {
		found := false
		_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || found || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			if b, err := os.ReadFile(path); err == nil && strings.Contains(string(b), lit) {
				found = true
			}
			return nil
		})
		if found {
			return true
		}
	}
	return false
}
