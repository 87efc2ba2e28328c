package process

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/fcsync/fcsync/shared/config"
	"github.com/fcsync/fcsync/shared/schema"
)

func init() {
	Register("replace", Spec{
		Summary: "Replace String: per-field find and replace, literal or regular expression",
		Fields:  []Field{{"fields", "list of rules: {field, find, replace, regex, caseSensitive}"}},
		New:     newReplace,
	})
}

type replaceRule struct {
	field string
	find  string         // literal, case-sensitive
	re    *regexp.Regexp // otherwise
	repl  string
	tmpl  bool // repl expands $1, ${name} (regex mode)
}

type replace struct {
	rules []replaceRule
	loc   *time.Location
}

// maxPattern bounds find text, so a configuration cannot build a huge automaton.
const maxPattern = 4096

func newReplace(where string, conf map[string]any, env Env) (Processor, error) {
	fw := config.Join(where, "fields")
	items, err := list(fw, conf["fields"], true)
	if err != nil {
		return nil, err
	}
	p := &replace{loc: env.Location}
	for i, it := range items {
		w := fmt.Sprintf("%s[%d]", fw, i)
		if err := config.OnlyKeys(w, it, []string{"field", "find", "replace", "regex", "caseSensitive"}); err != nil {
			return nil, err
		}
		var r replaceRule
		if r.field, err = fieldName(config.Join(w, "field"), it["field"]); err != nil {
			return nil, err
		}
		find, err := config.String(config.Join(w, "find"), it["find"])
		if err != nil {
			return nil, err
		}
		if find == "" {
			return nil, fmt.Errorf("%s: required", config.Join(w, "find"))
		}
		if len(find) > maxPattern {
			return nil, fmt.Errorf("%s: longer than %d bytes", config.Join(w, "find"), maxPattern)
		}
		repl, err := config.String(config.Join(w, "replace"), it["replace"])
		if err != nil {
			return nil, err
		}
		if r.repl, err = unescape(repl); err != nil {
			return nil, fmt.Errorf("%s: %w", config.Join(w, "replace"), err)
		}
		isRegex, err := optBool(w, it, "regex", false)
		if err != nil {
			return nil, err
		}
		caseSensitive, err := optBool(w, it, "caseSensitive", false)
		if err != nil {
			return nil, err
		}
		var pattern string
		if isRegex {
			pattern = regexUnicodeEscapes(find)
			r.tmpl = true
		} else {
			lit, err := unescape(find)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", config.Join(w, "find"), err)
			}
			if caseSensitive {
				r.find = lit
			} else {
				pattern = regexp.QuoteMeta(lit)
			}
		}
		if pattern != "" {
			if !caseSensitive {
				pattern = "(?i)" + pattern
			}
			if r.re, err = regexp.Compile(pattern); err != nil {
				return nil, fmt.Errorf("%s: not a valid regular expression (RE2 syntax): %w", config.Join(w, "find"), err)
			}
		}
		p.rules = append(p.rules, r)
	}
	return p, nil
}

// regexUnicodeEscapes rewrites \uXXXX (which RE2 does not know) as \x{XXXX}; an escaped
// backslash stays escaped.
func regexUnicodeEscapes(s string) string {
	if !strings.Contains(s, `\u`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			if s[i+1] == 'u' && i+6 <= len(s) && isHex4(s[i+2:i+6]) {
				b.WriteString(`\x{` + s[i+2:i+6] + `}`)
				i += 5
				continue
			}
			b.WriteString(s[i : i+2])
			i++
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex4(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// Process applies the rules in order. The result is text; a null or missing field is left
// alone; a binary value is dirty.
func (p *replace) Process(m *Message) (bool, error) {
	for k := range p.rules {
		r := &p.rules[k]
		i := m.Index(r.field)
		if i < 0 {
			continue
		}
		v := m.Value(i)
		if v == nil {
			continue
		}
		s, err := textOf(v, p.loc)
		if err != nil {
			return false, dirty(r.field, "cannot replace: "+err.Error())
		}
		var out string
		switch {
		case r.re == nil:
			if !strings.Contains(s, r.find) {
				out = s
				break
			}
			out = strings.ReplaceAll(s, r.find, r.repl)
		case r.tmpl:
			out = r.re.ReplaceAllString(s, r.repl)
		default:
			out = r.re.ReplaceAllLiteralString(s, r.repl)
		}
		if _, isStr := v.(string); isStr && out == s {
			continue // unchanged text keeps its value
		}
		m.setAt(i, out)
	}
	return true, nil
}

func (p *replace) Outputs(in []schema.Column) []schema.Column {
	out := append([]schema.Column(nil), in...)
	for _, r := range p.rules {
		out = setTypes(out, schema.String, r.field)
	}
	return out
}
