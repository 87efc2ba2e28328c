package deploy

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Lifecycle is an OSS bucket lifecycle configuration (PutBucketLifecycle's XML).
type Lifecycle struct {
	XMLName xml.Name `xml:"LifecycleConfiguration"`
	Rules   []Rule   `xml:"Rule"`
}

// Rule is one lifecycle rule.
type Rule struct {
	ID         string `xml:"ID"`
	Prefix     string `xml:"Prefix"`
	Status     string `xml:"Status"`
	Expiration *struct {
		Days int `xml:"Days"`
	} `xml:"Expiration"`
	Transition *struct {
		Days         int    `xml:"Days"`
		StorageClass string `xml:"StorageClass"`
	} `xml:"Transition"`
	AbortMultipartUpload *struct {
		Days int `xml:"Days"`
	} `xml:"AbortMultipartUpload"`
}

// lifecycleElements are the elements the file may hold: anything else (a Filter, a Tag, a
// version rule) would change which objects a rule touches without this check seeing it.
var lifecycleElements = []string{"LifecycleConfiguration", "Rule", "ID", "Prefix", "Status", "Expiration", "Transition",
	"AbortMultipartUpload", "Days", "StorageClass"}

// LoadLifecycle reads a lifecycle file, refusing elements outside lifecycleElements.
func LoadLifecycle(path string) (*Lifecycle, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
		}
		if se, ok := tok.(xml.StartElement); ok && !slices.Contains(lifecycleElements, se.Name.Local) {
			return nil, fmt.Errorf("%s: element <%s> is not used by fcsync's rules", filepath.Base(path), se.Name.Local)
		}
	}
	var lc Lifecycle
	if err := xml.Unmarshal(b, &lc); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return &lc, nil
}

// LifecycleProblems checks infra/oss/lifecycle.xml, the rule set applied to every bucket s.yaml
// stores data in: run records and dirty data expire; nothing expires or moves state (an idle
// job's newest state version can be old, and losing it loses the job's place) or lake tables.
func (p *Project) LifecycleProblems(served []Served) []Problem {
	var ps problems
	where := "infra/oss/lifecycle.xml"
	lc, err := LoadLifecycle(filepath.Join(p.Root, "infra", "oss", "lifecycle.xml"))
	if err != nil {
		ps.add(where, "%v", err)
		return ps
	}
	// What must expire, and what must be left alone, under each store's prefix.
	expire := map[string]bool{}
	var keep []string
	for _, s := range served {
		env := p.Template.Resources[s.Resource].Props.EnvironmentVariables
		for v, prefixes := range Prefixes(s, env) {
			st, ok := parseStore(env[v])
			if !ok {
				continue
			}
			for pre := range prefixes {
				switch {
				case strings.HasPrefix(pre, "runs/"):
					expire[st.prefix+"runs/"] = true
				case strings.HasPrefix(pre, "dirty/"):
					expire[st.prefix+"dirty/"] = true
				default:
					keep = append(keep, st.prefix+pre)
				}
			}
		}
	}
	ids := map[string]bool{}
	have := map[string]bool{}
	for i, r := range lc.Rules {
		rw := fmt.Sprintf("%s Rule[%d] %s", where, i, r.ID)
		if r.ID == "" || ids[r.ID] {
			ps.add(rw, "want a unique ID")
		}
		ids[r.ID] = true
		if r.Status != "Enabled" {
			ps.add(rw, "Status %q: a rule that is not Enabled does nothing", r.Status)
		}
		acts := 0
		for _, d := range []*struct{ Days int }{(*struct{ Days int })(r.Expiration), (*struct{ Days int })(r.AbortMultipartUpload)} {
			if d != nil {
				acts++
				if d.Days < 1 {
					ps.add(rw, "Days %d: want at least 1", d.Days)
				}
			}
		}
		if r.Transition != nil {
			ps.add(rw, "Transition: fcsync's objects are small; infrequent-access and archive classes bill at least 64 KB per object and archived state cannot be read")
		}
		if acts == 0 {
			ps.add(rw, "no action")
		}
		if r.Expiration == nil {
			continue
		}
		for _, k := range keep {
			if strings.HasPrefix(k, r.Prefix) || strings.HasPrefix(r.Prefix, k) {
				ps.add(rw, "expires objects under %q (prefix %q): state and lake data must never expire by age", k, r.Prefix)
			}
		}
		if expire[r.Prefix] {
			have[r.Prefix] = true
		} else if !slices.ContainsFunc(keep, func(k string) bool { return strings.HasPrefix(k, r.Prefix) || strings.HasPrefix(r.Prefix, k) }) {
			ps.add(rw, "prefix %q holds none of fcsync's run records or dirty data", r.Prefix)
		}
	}
	for _, pre := range sortedKeys(expire) {
		if !have[pre] {
			ps.add(where, "no rule expires %q: run records and dirty data would pile up forever", pre)
		}
	}
	return ps
}
