package process

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/fcsync/fcsync/shared/column"
	"github.com/fcsync/fcsync/shared/config"
	"github.com/fcsync/fcsync/shared/schema"
)

func init() {
	Register("filter", Spec{
		Summary: "Data Filtering: keep (or drop) the records that match a condition",
		Fields: []Field{
			{"action", "keep (default): matching records pass, the rest are dropped; drop: matching records are dropped"},
			{"and", "all of these conditions"},
			{"or", "any of these conditions"},
			{"field", "a single rule: the field to test"},
			{"op", "a single rule: the operator"},
			{"value", "a single rule: the operand"},
			{"ignoreCase", "a single rule: compare text case-insensitively"},
		},
		New: newFilter,
	})
}

type op uint8

const (
	opEq op = iota + 1
	opNe
	opLt
	opLe
	opGt
	opGe
	opContains
	opNotContains
	opIn
	opNotIn
	opIsNull
	opIsNotNull
	opStartsWith
	opEndsWith
	opRegex
)

var opNames = map[string]op{
	"=": opEq, "==": opEq, "!=": opNe, "<>": opNe, "<": opLt, "<=": opLe, ">": opGt, ">=": opGe,
	"contains": opContains, "not contains": opNotContains, "in": opIn, "not in": opNotIn,
	"is null": opIsNull, "is not null": opIsNotNull, "starts with": opStartsWith, "ends with": opEndsWith,
	"regex match": opRegex, "regex": opRegex, "matches": opRegex,
}

const opList = "=, !=, <, <=, >, >=, contains, not contains, in, not in, is null, is not null, starts with, ends with, regex match"

// maxCondDepth bounds the nesting of and/or groups.
const maxCondDepth = 32

type cond interface {
	eval(m *Message, loc *time.Location) bool
}

type andCond []cond

func (c andCond) eval(m *Message, loc *time.Location) bool {
	for _, x := range c {
		if !x.eval(m, loc) {
			return false
		}
	}
	return true
}

type orCond []cond

func (c orCond) eval(m *Message, loc *time.Location) bool {
	for _, x := range c {
		if x.eval(m, loc) {
			return true
		}
	}
	return false
}

// operand is a rule's configured value: its text, and its number when the text is one.
type operand struct {
	s     string
	lower string
	n     number
	isNum bool
}

func newOperand(where string, v any) (operand, error) {
	if v == nil {
		return operand{}, fmt.Errorf("%s: required", where)
	}
	s, err := config.String(where, v)
	if err != nil {
		return operand{}, err
	}
	o := operand{s: s, lower: strings.ToLower(s)}
	o.n, o.isNum = parseNumber(s)
	return o, nil
}

type rule struct {
	field string
	op    op
	fold  bool
	val   operand
	set   []operand
	re    *regexp.Regexp
}

type filter struct {
	cond cond
	drop bool
	loc  *time.Location
}

func newFilter(where string, conf map[string]any, env Env) (Processor, error) {
	action, err := optString(where, conf, "action", "keep")
	if err != nil {
		return nil, err
	}
	f := &filter{loc: env.Location}
	switch strings.ToLower(action) {
	case "keep":
	case "drop":
		f.drop = true
	default:
		return nil, fmt.Errorf("%s: want keep or drop, got %q", config.Join(where, "action"), column.ExcerptString(action, 40))
	}
	rest := make(map[string]any, len(conf))
	for k, v := range conf {
		if k != "action" {
			rest[k] = v
		}
	}
	if len(rest) == 0 {
		return nil, fmt.Errorf("%s: no condition (want and, or, or field/op/value)", where)
	}
	if f.cond, err = parseCond(where, rest, 0); err != nil {
		return nil, err
	}
	return f, nil
}

func parseCond(where string, m map[string]any, depth int) (cond, error) {
	if depth > maxCondDepth {
		return nil, fmt.Errorf("%s: conditions nested deeper than %d", where, maxCondDepth)
	}
	for _, g := range []string{"and", "or"} {
		v, ok := m[g]
		if !ok {
			continue
		}
		if err := config.OnlyKeys(where, m, []string{g}); err != nil {
			return nil, fmt.Errorf("%w (an %s group stands alone; nest rules inside it)", err, g)
		}
		gw := config.Join(where, g)
		items, err := list(gw, v, true)
		if err != nil {
			return nil, err
		}
		conds := make([]cond, len(items))
		for i, it := range items {
			if conds[i], err = parseCond(fmt.Sprintf("%s[%d]", gw, i), it, depth+1); err != nil {
				return nil, err
			}
		}
		if g == "and" {
			return andCond(conds), nil
		}
		return orCond(conds), nil
	}
	if err := config.OnlyKeys(where, m, []string{"field", "op", "value", "ignoreCase"}); err != nil {
		return nil, err
	}
	return parseRule(where, m)
}

func parseRule(where string, m map[string]any) (*rule, error) {
	var r rule
	var err error
	if r.field, err = fieldName(config.Join(where, "field"), m["field"]); err != nil {
		return nil, err
	}
	ow := config.Join(where, "op")
	name, err := config.String(ow, m["op"])
	if err != nil {
		return nil, err
	}
	norm := strings.Join(strings.Fields(strings.ToLower(strings.ReplaceAll(name, "_", " "))), " ")
	if norm == "" {
		return nil, fmt.Errorf("%s: required (one of %s)", ow, opList)
	}
	var ok bool
	if r.op, ok = opNames[norm]; !ok {
		return nil, fmt.Errorf("%s: unknown operator %q (want one of %s)", ow, column.ExcerptString(name, 40), opList)
	}
	if r.fold, err = optBool(where, m, "ignoreCase", false); err != nil {
		return nil, err
	}
	vw := config.Join(where, "value")
	v, has := m["value"]
	switch r.op {
	case opIsNull, opIsNotNull:
		if has {
			return nil, fmt.Errorf("%s: %s takes no value", vw, norm)
		}
	case opIn, opNotIn:
		vals, err := config.StringList(vw, v)
		if err != nil {
			return nil, err
		}
		if len(vals) == 0 {
			return nil, fmt.Errorf("%s: want a non-empty list for %s", vw, norm)
		}
		if l, isList := v.([]any); isList { // keep numbers as numbers
			for i, e := range l {
				o, err := newOperand(fmt.Sprintf("%s[%d]", vw, i), e)
				if err != nil {
					return nil, err
				}
				r.set = append(r.set, o)
			}
		} else {
			for _, s := range vals {
				o, _ := newOperand(vw, s)
				r.set = append(r.set, o)
			}
		}
	case opRegex:
		if r.val, err = newOperand(vw, v); err != nil {
			return nil, err
		}
		pattern := regexUnicodeEscapes(r.val.s)
		if r.fold {
			pattern = "(?i)" + pattern
		}
		if len(r.val.s) > maxPattern {
			return nil, fmt.Errorf("%s: longer than %d bytes", vw, maxPattern)
		}
		if r.re, err = regexp.Compile(pattern); err != nil {
			return nil, fmt.Errorf("%s: not a valid regular expression (RE2 syntax): %w", vw, err)
		}
	default:
		if r.val, err = newOperand(vw, v); err != nil {
			return nil, err
		}
	}
	return &r, nil
}

// fieldView is a field value as the operators see it.
type fieldView struct {
	v     any
	n     number
	isNum bool
	text  string
	hasT  bool
	loc   *time.Location
}

func (f *fieldView) str() string {
	if !f.hasT {
		f.hasT = true
		if b, ok := f.v.([]byte); ok {
			f.text = string(b) // binary compares by its bytes
		} else {
			f.text, _ = textOf(f.v, f.loc)
		}
	}
	return f.text
}

func view(v any, loc *time.Location) fieldView {
	f := fieldView{v: v, loc: loc}
	switch x := v.(type) {
	case int64:
		f.n, f.isNum = number{i: x, isInt: true}, true
	case float64:
		f.n, f.isNum = number{f: x}, x == x
	case string:
		f.n, f.isNum = parseNumber(x)
		f.text, f.hasT = x, true
	case []byte:
		f.n, f.isNum = parseNumber(string(x))
	}
	return f
}

func (r *rule) eval(m *Message, loc *time.Location) bool {
	var v any
	if i := m.Index(r.field); i >= 0 {
		v = m.Value(i)
	}
	switch {
	case v == nil:
		return r.op == opIsNull
	case r.op == opIsNull:
		return false
	case r.op == opIsNotNull:
		return true
	}
	f := view(v, loc)
	switch r.op {
	case opEq:
		return r.compare(&f, &r.val) == 0
	case opNe:
		return r.compare(&f, &r.val) != 0
	case opLt:
		return r.compare(&f, &r.val) < 0
	case opLe:
		return r.compare(&f, &r.val) <= 0
	case opGt:
		return r.compare(&f, &r.val) > 0
	case opGe:
		return r.compare(&f, &r.val) >= 0
	case opIn, opNotIn:
		in := false
		for k := range r.set {
			if r.compare(&f, &r.set[k]) == 0 {
				in = true
				break
			}
		}
		return in == (r.op == opIn)
	case opContains:
		return strings.Contains(r.fieldText(&f), r.opText(&r.val))
	case opNotContains:
		return !strings.Contains(r.fieldText(&f), r.opText(&r.val))
	case opStartsWith:
		return strings.HasPrefix(r.fieldText(&f), r.opText(&r.val))
	case opEndsWith:
		return strings.HasSuffix(r.fieldText(&f), r.opText(&r.val))
	case opRegex:
		return r.re.MatchString(f.str())
	}
	return false
}

// compare orders a field value against an operand: numerically when both are numbers,
// as text (byte order of UTF-8, which is code point order) otherwise.
func (r *rule) compare(f *fieldView, o *operand) int {
	if f.isNum && o.isNum {
		return f.n.cmp(o.n)
	}
	if r.fold {
		s := f.str()
		if strings.EqualFold(s, o.s) {
			return 0
		}
		return strings.Compare(strings.ToLower(s), o.lower)
	}
	return strings.Compare(f.str(), o.s)
}

func (r *rule) fieldText(f *fieldView) string {
	if r.fold {
		return strings.ToLower(f.str())
	}
	return f.str()
}

func (r *rule) opText(o *operand) string {
	if r.fold {
		return o.lower
	}
	return o.s
}

// Process keeps or drops the record by the condition.
func (p *filter) Process(m *Message) (bool, error) {
	return p.cond.eval(m, p.loc) != p.drop, nil
}

func (p *filter) Outputs(in []schema.Column) []schema.Column { return in }
