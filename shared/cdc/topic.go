package cdc

import (
	"fmt"
	"path"
	"regexp"
	"strings"
)

// TopicMap says which topic a table's records go to. Rules are tried in order and the first
// that matches names the topic; a table no rule matches goes to Prefix + Default + Suffix.
// Templates may use the variables ${db} and ${table}; a regex rule's template may also use the
// expression's groups ($1, ${1}, ${name}).
type TopicMap struct {
	Default string // template; "${table}" (the table's own name) when empty
	Prefix  string
	Suffix  string
	Rules   []TopicRule
}

// TopicRule maps the tables that match Table (a db.table glob: *, ?, [a-z]) or Regex (matched
// against the whole "db.table") to the topic template Topic.
type TopicRule struct {
	Table string
	Regex *regexp.Regexp
	Topic string
}

// DefaultTopic is the default template: a topic named like the table.
const DefaultTopic = "${table}"

var variablePattern = regexp.MustCompile(`\$\{([^}]*)\}`)

// checkTemplate reports unknown ${...} variables; regex rules may also use their groups.
func checkTemplate(where, tmpl string, re *regexp.Regexp) error {
	for _, m := range variablePattern.FindAllStringSubmatch(tmpl, -1) {
		switch name := m[1]; {
		case name == "db" || name == "table":
		case re != nil && (isDigits(name) || re.SubexpIndex(name) >= 0):
		default:
			return fmt.Errorf("%s: unknown variable ${%s} (known: ${db}, ${table}%s)", where, name, map[bool]string{true: " and the expression's groups", false: ""}[re != nil])
		}
	}
	if tmpl == "" {
		return fmt.Errorf("%s: empty topic", where)
	}
	return nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Topic returns the topic of table db.table.
func (m *TopicMap) Topic(db, table string) (string, error) {
	full := db + "." + table
	vars := strings.NewReplacer("${db}", db, "${table}", table)
	for i, r := range m.Rules {
		var topic string
		switch {
		case r.Regex != nil:
			match := r.Regex.FindStringSubmatchIndex(full)
			if match == nil || match[0] != 0 || match[1] != len(full) {
				continue
			}
			// Variables first, with '$' in names escaped for Expand.
			esc := strings.NewReplacer("${db}", strings.ReplaceAll(db, "$", "$$"), "${table}", strings.ReplaceAll(table, "$", "$$"))
			topic = string(r.Regex.ExpandString(nil, esc.Replace(r.Topic), full, match))
		default:
			ok, err := path.Match(r.Table, full)
			if err != nil || !ok {
				continue
			}
			topic = vars.Replace(r.Topic)
		}
		if err := ValidTopic(topic); err != nil {
			return "", fmt.Errorf("table %s: topic rule %d: %w", full, i+1, err)
		}
		return topic, nil
	}
	def := m.Default
	if def == "" {
		def = DefaultTopic
	}
	topic := m.Prefix + vars.Replace(def) + m.Suffix
	if err := ValidTopic(topic); err != nil {
		return "", fmt.Errorf("table %s: %w (add a topic rule for it)", full, err)
	}
	return topic, nil
}

// ValidTopic checks Kafka's rules for a topic name: 1 to 249 of [a-zA-Z0-9._-], not "." or "..".
func ValidTopic(t string) error {
	if t == "" || len(t) > 249 || t == "." || t == ".." {
		return fmt.Errorf("topic name %q: want 1 to 249 characters, not . or ..", t)
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c == '.' || c == '_' || c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			return fmt.Errorf("topic name %q: character %q is not allowed (letters, digits, '.', '_', '-')", t, c)
		}
	}
	return nil
}
