package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Policy is a RAM (or MaxCompute) policy document.
type Policy struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one policy statement.
type Statement struct {
	Effect    string                     `json:"Effect"`
	Action    strs                       `json:"Action"`
	Resource  strs                       `json:"Resource"`
	Principal map[string]strs            `json:"Principal,omitempty"`
	Condition map[string]map[string]strs `json:"Condition,omitempty"`
	_         struct{}                   `json:"-"`
}

// strs is a string or a list of strings, as policies write them.
type strs []string

func (s *strs) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = strs{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings")
	}
	*s = many
	return nil
}

// LoadPolicy reads a policy document strictly (unknown fields are errors).
func LoadPolicy(path string) (*Policy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p Policy
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return &p, nil
}

// AllowedActions are the only actions fcsync's function policies may grant, with what for.
var AllowedActions = map[string]string{
	"oss:GetObject":            "read state versions, records, table files",
	"oss:PutObject":            "write them (create-if-absent is a PutObject with x-oss-forbid-overwrite)",
	"oss:DeleteObject":         "prune old state versions, replace table files",
	"oss:AbortMultipartUpload": "abort a failed top-up of a Hudi base file (a multipart upload copying the stored part)",
	"oss:ListObjects":          "find the newest state version, a table's files (only under the job's prefixes)",
	"oss:GetBucketVersioning":  "the start-up check that the bucket never had versioning",
	"log:PostLogStoreLogs":     "the function's log (logConfig)",
	"mns:SendMessage":          "the failed-invocation destination of asynchronous (timer) invocations",
	"odps:Describe":            "read a table's schema",
	"odps:Update":              "tunnel uploads into a table",
	"odps:Alter":               "add partitions and columns",
	"odps:CreateInstance":      "run the DDL statements",
	"odps:CreateTable":         "create a missing table (DataWorks' generated schema)",
	"odps:List":                "look up the project's tables",
}

// grant is one action on one resource (under one condition).
type grant struct{ action, resource, cond string }

func (g grant) String() string {
	s := g.action + " on " + g.resource
	if g.cond != "" {
		s += " if " + g.cond
	}
	return s
}

func condText(c map[string]map[string]strs) string {
	var parts []string
	for _, op := range sortedKeys(c) {
		for _, k := range sortedKeys(c[op]) {
			vals := slices.Clone([]string(c[op][k]))
			slices.Sort(vals)
			parts = append(parts, op+" "+k+"="+strings.Join(vals, ","))
		}
	}
	return strings.Join(parts, "; ")
}

func (p *Policy) grants() []grant {
	var out []grant
	for _, st := range p.Statement {
		c := condText(st.Condition)
		for _, a := range st.Action {
			for _, r := range st.Resource {
				out = append(out, grant{a, r, c})
			}
		}
	}
	return out
}

// store is an oss://bucket/prefix location.
type store struct{ bucket, prefix string }

func parseStore(loc string) (store, bool) {
	rest, ok := strings.CutPrefix(loc, "oss://")
	if !ok {
		return store{}, false
	}
	b, pre, _ := strings.Cut(rest, "/")
	if pre = strings.Trim(pre, "/"); pre != "" {
		pre += "/"
	}
	return store{b, pre}, b != ""
}

var (
	objectRW = []string{"oss:GetObject", "oss:PutObject", "oss:DeleteObject"}
	objectW  = []string{"oss:GetObject", "oss:PutObject"} // write-once records: never deleted by fcsync
	// A Hudi table: base file top-ups are multipart uploads that a failure aborts.
	objectTable = []string{"oss:GetObject", "oss:PutObject", "oss:DeleteObject", "oss:AbortMultipartUpload"}
	odpsProj    = []string{"odps:CreateInstance", "odps:CreateTable", "odps:List"}
	odpsTab     = []string{"odps:Describe", "odps:Update", "odps:Alter"}
)

// Prefixes are the object-key prefixes of a function's jobs, by store variable, with the actions
// each needs: the layout the RAM policies are scoped to (see infra/ram/README.md).
func Prefixes(s Served, env map[string]string) map[string]map[string][]string {
	out := map[string]map[string][]string{} // store variable → key prefix → actions
	add := func(v, prefix string, actions []string) {
		if out[v] == nil {
			out[v] = map[string][]string{}
		}
		out[v][prefix] = actions
	}
	for _, j := range s.Jobs {
		switch s.Function {
		case "batch":
			add("FCSYNC_STATE", "state/jobs/"+j+"/", objectRW) // the window ledger
			add("FCSYNC_STATE", "dirty/"+j+"/", objectW)
		case "stream":
			if spec, ok := s.Stream[j]; ok {
				add("FCSYNC_LAKE", strings.Trim(spec.Writer.Path, "/")+"/", objectTable) // the Hudi table, its commit log
			}
			add("FCSYNC_LAKE", "dirty/"+j+"/", objectW)
		case "cdc":
			add("FCSYNC_STATE", "state/cdc/"+j+"/", objectRW) // binlog checkpoints
		}
		add("FCSYNC_RUNS", "runs/"+j+"/", objectW)
	}
	if len(s.Tables) > 0 {
		add("FCSYNC_STATE", "state/maxcompute/", objectRW) // the MaxCompute sink's commit ledgers
	}
	if env["FCSYNC_ALERTS"] != "" {
		// The alert monitor reads every job's run records and keeps its own state log.
		add("FCSYNC_RUNS", "runs/", []string{"oss:GetObject"})
		add("FCSYNC_RUNS", "state/alerts/", objectRW)
	}
	return out
}

// expectedGrants is what the function's RAM policy must grant, exactly.
func (p *Project) expectedGrants(s Served, fn *Function) ([]grant, error) {
	var out []grant
	lists := map[string][]string{} // bucket → prefixes listed
	env := fn.EnvironmentVariables
	for v, prefixes := range Prefixes(s, env) {
		st, ok := parseStore(env[v])
		if !ok {
			return nil, fmt.Errorf("%s %q is not an oss:// location", v, env[v])
		}
		for pre, actions := range prefixes {
			for _, a := range actions {
				out = append(out, grant{a, "acs:oss:*:*:" + st.bucket + "/" + st.prefix + pre + "*", ""})
			}
			lists[st.bucket] = append(lists[st.bucket], st.prefix+pre+"*")
		}
	}
	for b, pres := range lists {
		slices.Sort(pres)
		pres = slices.Compact(pres)
		out = append(out, grant{"oss:ListObjects", "acs:oss:*:*:" + b, "StringLike oss:Prefix=" + strings.Join(pres, ",")},
			grant{"oss:GetBucketVersioning", "acs:oss:*:*:" + b, ""})
	}
	if lc, err := logConfig(fn.LogConfig); err == nil {
		out = append(out, grant{"log:PostLogStoreLogs", "acs:log:" + fn.Region + ":*:project/" + lc.Project + "/logstore/" + lc.Logstore, ""})
	}
	if a := fn.AsyncInvokeConfig; a != nil && a.DestinationConfig != nil && a.DestinationConfig.OnFailure != nil {
		if m := mnsRE.FindStringSubmatch(a.DestinationConfig.OnFailure.Destination); m != nil {
			out = append(out, grant{"mns:SendMessage", "acs:mns:" + m[1] + ":*:/queues/" + m[2] + "/messages", ""})
		}
	}
	return out, nil
}

func (p *Project) expectedODPS(s Served, fn *Function) ([]grant, error) {
	if len(s.Tables) == 0 {
		return nil, nil
	}
	project := fn.EnvironmentVariables["FCSYNC_ODPS_PROJECT"]
	if project == "" {
		return nil, fmt.Errorf("its jobs write MaxCompute tables (%s) but FCSYNC_ODPS_PROJECT is not set", strings.Join(s.Tables, ", "))
	}
	var out []grant
	for _, a := range odpsProj {
		out = append(out, grant{a, "acs:odps:*:projects/" + project, ""})
	}
	for _, t := range s.Tables {
		for _, a := range odpsTab {
			out = append(out, grant{a, "acs:odps:*:projects/" + project + "/tables/" + t, ""})
		}
	}
	return out, nil
}

// PolicyProblems checks the RAM policies in infra/ram against the functions: each role has a
// policy granting exactly what its jobs need (Prefixes, its log store, its failure queue; its
// MaxCompute tables in maxcompute-<role>.json), only AllowedActions, no wildcard beyond the
// documented prefixes; the roles trust only Function Compute.
func (p *Project) PolicyProblems(served []Served) []Problem {
	var ps problems
	dir := filepath.Join(p.Root, "infra", "ram")
	used := map[string]bool{"trust-fc.json": true}
	p.checkTrust(&ps, filepath.Join(dir, "trust-fc.json"))
	for _, s := range served {
		fn := p.Template.Resources[s.Resource].Props
		m := roleRE.FindStringSubmatch(fn.Role)
		if m == nil {
			continue // Check reports it
		}
		role := m[1]
		files := []struct {
			name   string
			expect func(Served, *Function) ([]grant, error)
		}{{role + ".json", p.expectedGrants}, {"maxcompute-" + role + ".json", p.expectedODPS}}
		for _, f := range files {
			where := "infra/ram/" + f.name
			want, err := f.expect(s, &fn)
			if err != nil {
				ps.add(where, "%v", err)
				continue
			}
			if want == nil {
				continue
			}
			used[f.name] = true
			pol, err := LoadPolicy(filepath.Join(dir, f.name))
			if err != nil {
				ps.add(where, "role %s of resource %s: %v", role, s.Resource, err)
				continue
			}
			checkPolicy(&ps, where, pol)
			compareGrants(&ps, where, pol.grants(), want)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") && !used[e.Name()] {
			ps.add("infra/ram/"+e.Name(), "no function of s.yaml uses it")
		}
	}
	return ps
}

// checkPolicy applies the rules every policy follows, whatever it is for.
func checkPolicy(ps *problems, where string, pol *Policy) {
	if pol.Version != "1" {
		ps.add(where, "Version %q: want \"1\"", pol.Version)
	}
	for i, st := range pol.Statement {
		sw := fmt.Sprintf("%s Statement[%d]", where, i)
		if st.Effect != "Allow" {
			ps.add(sw, "Effect %q: fcsync's policies only allow", st.Effect)
		}
		if len(st.Principal) > 0 {
			ps.add(sw, "a permission policy has no Principal")
		}
		for _, a := range st.Action {
			if _, ok := AllowedActions[a]; !ok {
				ps.add(sw, "action %q is not in the allow-list (deploy.AllowedActions)", a)
			}
		}
		for _, r := range st.Resource {
			if bad := wildResource(r); bad != "" {
				ps.add(sw, "resource %q: %s", r, bad)
			}
		}
		for op, kv := range st.Condition {
			for k := range kv {
				if op != "StringLike" || k != "oss:Prefix" {
					ps.add(sw, "condition %s %s: only StringLike oss:Prefix (listing) is used", op, k)
				}
			}
		}
	}
}

// wildResource says why r is too wide, or "".
func wildResource(r string) string {
	parts := strings.SplitN(r, ":", 5)
	if r == "*" || len(parts) < 4 || parts[0] != "acs" {
		return "want an ARN naming the resource"
	}
	path := parts[len(parts)-1]
	if parts[1] == "odps" {
		if path = strings.Join(parts[3:], ":"); strings.Contains(path, "*") {
			return "MaxCompute grants name the project and each table"
		}
	}
	if i := strings.IndexByte(path, '*'); i >= 0 && (i != len(path)-1 || !strings.HasSuffix(path, "/*")) {
		return "a wildcard may only end a key prefix (prefix/*)"
	}
	if parts[1] == "oss" && strings.Count(path, "/") == 1 && strings.HasSuffix(path, "/*") {
		return "a whole bucket: grant the job's prefixes"
	}
	return ""
}

func compareGrants(ps *problems, where string, got, want []grant) {
	key := func(g grant) string { return g.String() }
	have := map[string]bool{}
	for _, g := range got {
		have[key(g)] = true
	}
	need := map[string]bool{}
	for _, g := range want {
		need[key(g)] = true
	}
	for _, k := range sortedKeys(need) {
		if !have[k] {
			ps.add(where, "missing: %s", k)
		}
	}
	for _, k := range sortedKeys(have) {
		if !need[k] {
			ps.add(where, "more than the jobs need: %s", k)
		}
	}
}

func (p *Project) checkTrust(ps *problems, path string) {
	where := "infra/ram/" + filepath.Base(path)
	pol, err := LoadPolicy(path)
	if err != nil {
		ps.add(where, "%v", err)
		return
	}
	ok := pol.Version == "1" && len(pol.Statement) == 1
	if ok {
		st := pol.Statement[0]
		ok = st.Effect == "Allow" && slices.Equal(st.Action, strs{"sts:AssumeRole"}) && len(st.Resource) == 0 &&
			len(st.Principal) == 1 && slices.Equal(st.Principal["Service"], strs{"fc.aliyuncs.com"}) && len(st.Condition) == 0
	}
	if !ok {
		ps.add(where, "want one statement that lets only fc.aliyuncs.com assume the role")
	}
}
