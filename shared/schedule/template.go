package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Template is job text compiled for repeated expansion: literal text, expressions and
// parameter references. It is immutable and safe for concurrent use.
type Template struct {
	src   string
	parts []part
}

// part is literal text (ref == "") or a reference: ${name}, $[...] or $name.
type part struct {
	lit  string
	ref  string // the reference as written, for errors
	name string // looked up in vars first; "" for $[...]
	expr *Expr  // nil when name is not an expression: vars must supply it
}

// CompileTemplate parses text. Malformed references ($[...] or ${...} that is neither an
// identifier nor an expression, unclosed ${ or $[) are errors; unknown identifiers are only
// reported by Expand, when vars are known.
func CompileTemplate(text string) (*Template, error) {
	t := &Template{src: text}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.parts = append(t.parts, part{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(text); {
		j := strings.IndexByte(text[i:], '$')
		if j < 0 {
			lit.WriteString(text[i:])
			break
		}
		lit.WriteString(text[i : i+j])
		i += j
		if i+1 >= len(text) {
			lit.WriteByte('$')
			break
		}
		switch c := text[i+1]; c {
		case '$':
			lit.WriteByte('$')
			i += 2
		case '{', '[':
			closer := byte('}')
			if c == '[' {
				closer = ']'
			}
			k := strings.IndexByte(text[i+2:], closer)
			if k < 0 {
				return nil, fmt.Errorf("schedule: unclosed %q at byte %d in %s", text[i:i+2], i, quoteShort(text[i:]))
			}
			ref := text[i : i+2+k+1]
			p := part{ref: ref}
			if c == '{' {
				p.name = text[i+2 : i+2+k]
			}
			e, err := Compile(ref)
			switch {
			case err == nil:
				p.expr = e
			case c == '{' && isIdent(p.name):
				// resolved from vars by Expand
			default:
				return nil, err
			}
			flush()
			t.parts = append(t.parts, p)
			i += len(ref)
		default:
			n := identLen(text[i+1:])
			name := text[i+1 : i+1+n]
			def, ok := systemParams[name]
			if !ok {
				lit.WriteByte('$')
				i++
				continue
			}
			e, err := Compile(def)
			if err != nil {
				return nil, err
			}
			flush()
			t.parts = append(t.parts, part{ref: text[i : i+1+n], name: name, expr: e})
			i += 1 + n
		}
	}
	flush()
	return t, nil
}

// String returns the template text as written.
func (t *Template) String() string { return t.src }

// Expand substitutes every reference at the scheduled time at. ${name} and $name take vars[name]
// when present; an unknown ${name} is an error naming it.
func (t *Template) Expand(vars map[string]string, at time.Time) (string, error) {
	if len(t.parts) == 1 && t.parts[0].ref == "" {
		return t.parts[0].lit, nil
	}
	var buf [128]byte
	out := buf[:0]
	for _, p := range t.parts {
		if p.ref == "" {
			out = append(out, p.lit...)
			continue
		}
		if p.name != "" {
			if v, ok := vars[p.name]; ok {
				out = append(out, v...)
				continue
			}
		}
		if p.expr == nil {
			return "", fmt.Errorf("schedule: unknown parameter %s", p.ref)
		}
		out = p.expr.AppendEval(out, at)
	}
	return string(out), nil
}

// Expand substitutes scheduling parameters inside arbitrary job text (see Template.Expand).
// Text without '$' is returned unchanged.
func Expand(text string, vars map[string]string, at time.Time) (string, error) {
	if strings.IndexByte(text, '$') < 0 {
		return text, nil
	}
	t, err := CompileTemplate(text)
	if err != nil {
		return "", err
	}
	return t.Expand(vars, at)
}

func isIdent(s string) bool {
	return s != "" && identLen(s) == len(s) && !isDigit(s[0])
}

// identLen is the length of the identifier characters at the start of s (a leading digit counts
// as not an identifier).
func identLen(s string) int {
	i := 0
	for i < len(s) {
		c := s[i]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && isDigit(c) {
			i++
			continue
		}
		break
	}
	return i
}

// quoteShort quotes at most 40 bytes of s for an error message.
func quoteShort(s string) string {
	if len(s) > 40 {
		return strconv.Quote(s[:40]) + "..."
	}
	return strconv.Quote(s)
}
