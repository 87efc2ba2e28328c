package schedule

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	_ "time/tzdata" // job time zones must load even where the runtime ships no zoneinfo
)

// ExprError reports an expression that cannot be parsed; it quotes the expression.
type ExprError struct {
	Expr   string
	Reason string
}

func (e *ExprError) Error() string {
	return "schedule: expression " + strconv.Quote(e.Expr) + ": " + e.Reason
}

// token is one format element.
type token uint8

const (
	tokLit token = iota
	tokYYYY
	tokYY
	tokMM
	tokDD
	tokHH24
	tokMI
	tokSS
)

// item is one piece of a format: a token, or literal text when tok is tokLit.
type item struct {
	tok token
	lit string
}

// base says what an expression starts from.
type base uint8

const (
	baseBizDate base = iota // ${...}: scheduled date minus one day, 00:00:00
	baseCycTime             // $[...]: the scheduled time
)

// Offset limits keep every computation inside int64 and far from time.Time's edges.
const (
	maxOffsetDays   = 10000 * 366
	maxOffsetMonths = 10000 * 12
	maxNumber       = 1_000_000_000
)

// Expr is a compiled scheduling expression. It is immutable and safe for concurrent use.
type Expr struct {
	src    string
	items  []item
	base   base
	days   int   // calendar days to move
	months int   // calendar months to move, clamped to the month end
	secs   int64 // absolute seconds to move (sub-day offsets of $[...])
	outLen int   // upper bound of the rendered length for 4-digit years
}

// String returns the expression as written.
func (e *Expr) String() string { return e.src }

// systemParams maps system parameter names to their definitions.
var systemParams = map[string]string{
	"bizdate":  "${yyyymmdd}",
	"cyctime":  "$[yyyymmddhh24miss]",
	"gmtdate":  "$[yyyymmdd]",
	"bizmonth": "$[add_months(yyyymm,-1)]",
}

// Compile parses one expression: ${...}, $[...], or a system parameter ($bizdate, $cyctime,
// $gmtdate, $bizmonth, also written ${bizdate} etc.).
func Compile(expr string) (*Expr, error) {
	switch {
	case len(expr) >= 3 && expr[0] == '$' && expr[1] == '{' && expr[len(expr)-1] == '}':
		body := expr[2 : len(expr)-1]
		if def, ok := systemParams[body]; ok {
			return compileSystem(expr, def)
		}
		return compileBiz(expr, body)
	case len(expr) >= 3 && expr[0] == '$' && expr[1] == '[' && expr[len(expr)-1] == ']':
		return compileCyc(expr, expr[2:len(expr)-1])
	case len(expr) > 1 && expr[0] == '$':
		if def, ok := systemParams[expr[1:]]; ok {
			return compileSystem(expr, def)
		}
	}
	if expr == "" {
		return nil, &ExprError{Expr: expr, Reason: "empty expression"}
	}
	return nil, &ExprError{Expr: expr, Reason: "want ${format±N}, $[format±N] or a system parameter such as $bizdate"}
}

func compileSystem(src, def string) (*Expr, error) {
	e, err := Compile(def)
	if err != nil {
		return nil, err
	}
	c := *e
	c.src = src
	return &c, nil
}

// Eval evaluates one expression at the scheduled time at (already in the job's time zone).
// Compiled expressions are cached, so repeated calls with the same text do not re-parse.
func Eval(expr string, at time.Time) (string, error) {
	e, err := cachedCompile(expr)
	if err != nil {
		return "", err
	}
	return e.Eval(at), nil
}

// Eval renders the expression at the scheduled time at, in at.Location().
func (e *Expr) Eval(at time.Time) string {
	var buf [64]byte
	return string(e.AppendEval(buf[:0], at))
}

// AppendEval appends the rendered expression to dst and returns the extended slice.
func (e *Expr) AppendEval(dst []byte, at time.Time) []byte {
	if e.secs != 0 {
		at = at.Add(time.Duration(e.secs) * time.Second)
	}
	y, mo, d := at.Date()
	var h, mi, s int
	if e.base == baseBizDate {
		d--
	} else {
		h, mi, s = at.Clock()
	}
	if e.base == baseBizDate || e.days != 0 {
		// Civil arithmetic in UTC: no DST gaps, the wall-clock time stays as it was.
		t := time.Date(y, mo, d+e.days, h, mi, s, 0, time.UTC)
		y, mo, d = t.Date()
	}
	if e.months != 0 {
		y, mo, d = addMonths(y, mo, d, e.months)
	}
	if cap(dst)-len(dst) < e.outLen {
		n := make([]byte, len(dst), len(dst)+e.outLen+8)
		copy(n, dst)
		dst = n
	}
	for _, it := range e.items {
		switch it.tok {
		case tokLit:
			dst = append(dst, it.lit...)
		case tokYYYY:
			if y >= 0 && y <= 9999 {
				dst = append(dst, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10))
			} else {
				dst = strconv.AppendInt(dst, int64(y), 10)
			}
		case tokYY:
			yy := y % 100
			if yy < 0 {
				yy = -yy
			}
			dst = append2(dst, yy)
		case tokMM:
			dst = append2(dst, int(mo))
		case tokDD:
			dst = append2(dst, d)
		case tokHH24:
			dst = append2(dst, h)
		case tokMI:
			dst = append2(dst, mi)
		case tokSS:
			dst = append2(dst, s)
		}
	}
	return dst
}

func append2(dst []byte, v int) []byte {
	return append(dst, byte('0'+v/10), byte('0'+v%10))
}

// addMonths moves a civil date by n months, clamping the day to the target month's last day.
func addMonths(y int, m time.Month, d, n int) (int, time.Month, int) {
	total := y*12 + int(m-1) + n
	ny := total / 12
	if total%12 < 0 {
		ny--
	}
	nm := time.Month(total-ny*12) + 1
	if last := daysIn(ny, nm); d > last {
		d = last
	}
	return ny, nm, d
}

func daysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// compileBiz compiles the body of ${...}.
func compileBiz(src, body string) (*Expr, error) {
	format, sign, off := splitOffset(body)
	items, mask, err := parseFormat(src, format, false)
	if err != nil {
		return nil, err
	}
	e := &Expr{src: src, items: items, base: baseBizDate}
	e.outLen = renderLen(items)
	if sign == 0 {
		return e, nil
	}
	num, _, err := parseProduct(src, off, false)
	if err != nil {
		return nil, err
	}
	n := int(num) * sign
	switch {
	case mask&(1<<tokDD) != 0:
		if num > maxOffsetDays {
			return nil, &ExprError{Expr: src, Reason: "offset too large"}
		}
		e.days = n
	case mask&(1<<tokMM) != 0:
		if num > maxOffsetMonths {
			return nil, &ExprError{Expr: src, Reason: "offset too large"}
		}
		e.months = n
	default: // years
		if num > maxOffsetMonths/12 {
			return nil, &ExprError{Expr: src, Reason: "offset too large"}
		}
		e.months = 12 * n
	}
	return e, nil
}

// compileCyc compiles the body of $[...].
func compileCyc(src, body string) (*Expr, error) {
	if rest, ok := strings.CutPrefix(body, "add_months("); ok {
		inner, ok := strings.CutSuffix(rest, ")")
		if !ok {
			return nil, &ExprError{Expr: src, Reason: "add_months( without a closing )"}
		}
		comma := strings.LastIndexByte(inner, ',')
		if comma < 0 {
			return nil, &ExprError{Expr: src, Reason: "add_months needs (format,±N)"}
		}
		items, _, err := parseFormat(src, inner[:comma], true)
		if err != nil {
			return nil, err
		}
		arg := inner[comma+1:]
		sign := 1
		if arg != "" && (arg[0] == '-' || arg[0] == '+') {
			if arg[0] == '-' {
				sign = -1
			}
			arg = arg[1:]
		}
		num, _, err := parseProduct(src, arg, false)
		if err != nil {
			return nil, err
		}
		if num > maxOffsetMonths {
			return nil, &ExprError{Expr: src, Reason: "offset too large"}
		}
		return &Expr{src: src, items: items, base: baseCycTime, months: sign * int(num), outLen: renderLen(items)}, nil
	}
	format, sign, off := splitOffset(body)
	items, _, err := parseFormat(src, format, true)
	if err != nil {
		return nil, err
	}
	e := &Expr{src: src, items: items, base: baseCycTime, outLen: renderLen(items)}
	if sign == 0 {
		return e, nil
	}
	num, den, err := parseProduct(src, off, true)
	if err != nil {
		return nil, err
	}
	// num and den are at most maxNumber², so num*86400 stays inside int64 when num is bounded first.
	if num/den > maxOffsetDays {
		return nil, &ExprError{Expr: src, Reason: "offset too large"}
	}
	if (num*86400)%den != 0 {
		return nil, &ExprError{Expr: src, Reason: "offset is not a whole number of seconds"}
	}
	secs := num * 86400 / den
	if secs%86400 == 0 {
		e.days = sign * int(secs/86400)
	} else {
		e.secs = int64(sign) * secs
	}
	return e, nil
}

// splitOffset splits body at the last + or - that is directly followed by a digit.
// sign is 0 when there is no offset.
func splitOffset(body string) (format string, sign int, offset string) {
	for i := len(body) - 2; i >= 0; i-- {
		c := body[i]
		if (c == '-' || c == '+') && isDigit(body[i+1]) {
			if c == '-' {
				return body[:i], -1, body[i+1:]
			}
			return body[:i], 1, body[i+1:]
		}
	}
	return body, 0, ""
}

// parseProduct parses N, N*M..., and (when div is true) N/D... into num/den, both positive.
func parseProduct(src, s string, div bool) (num, den int64, err error) {
	num, den = 1, 1
	first := true
	for {
		op := byte('*')
		if !first {
			if s == "" {
				return num, den, nil
			}
			op = s[0]
			if op != '*' && !(div && op == '/') {
				return 0, 0, &ExprError{Expr: src, Reason: "unexpected " + strconv.Quote(s) + " in offset"}
			}
			s = s[1:]
		}
		first = false
		i := 0
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == 0 {
			return 0, 0, &ExprError{Expr: src, Reason: "offset needs a number"}
		}
		if i > 10 {
			return 0, 0, &ExprError{Expr: src, Reason: "offset too large"}
		}
		v, _ := strconv.ParseInt(s[:i], 10, 64)
		if v > maxNumber {
			return 0, 0, &ExprError{Expr: src, Reason: "offset too large"}
		}
		s = s[i:]
		if op == '*' {
			num *= v
			if num > maxNumber {
				return 0, 0, &ExprError{Expr: src, Reason: "offset too large"}
			}
		} else {
			if v == 0 {
				return 0, 0, &ExprError{Expr: src, Reason: "division by zero in offset"}
			}
			den *= v
			if den > maxNumber {
				return 0, 0, &ExprError{Expr: src, Reason: "offset divisor too large"}
			}
		}
	}
}

// parseFormat reads a format: tokens and the literal characters - / : _ . only.
// withTime allows hh24, mi and ss. mask has bit 1<<tok set for every token seen.
func parseFormat(src, f string, withTime bool) (items []item, mask uint32, err error) {
	if f == "" {
		return nil, 0, &ExprError{Expr: src, Reason: "empty format"}
	}
	if f[len(f)-1] == '-' {
		return nil, 0, &ExprError{Expr: src, Reason: "offset sign without a number"}
	}
	litStart := -1
	flush := func(i int) {
		if litStart >= 0 {
			items = append(items, item{tok: tokLit, lit: f[litStart:i]})
			litStart = -1
		}
	}
	for i := 0; i < len(f); {
		var t token
		var n int
		switch rest := f[i:]; {
		case strings.HasPrefix(rest, "yyyy"):
			t, n = tokYYYY, 4
		case strings.HasPrefix(rest, "yy"):
			t, n = tokYY, 2
		case strings.HasPrefix(rest, "mm"):
			t, n = tokMM, 2
		case strings.HasPrefix(rest, "dd"):
			t, n = tokDD, 2
		case strings.HasPrefix(rest, "hh24"):
			t, n = tokHH24, 4
		case strings.HasPrefix(rest, "mi"):
			t, n = tokMI, 2
		case strings.HasPrefix(rest, "ss"):
			t, n = tokSS, 2
		}
		if n == 0 {
			switch f[i] {
			case '-', '/', ':', '_', '.':
				if litStart < 0 {
					litStart = i
				}
				i++
				continue
			}
			return nil, 0, &ExprError{Expr: src, Reason: "unknown token at " + strconv.Quote(f[i:])}
		}
		if !withTime && (t == tokHH24 || t == tokMI || t == tokSS) {
			return nil, 0, &ExprError{Expr: src, Reason: "${...} has day precision; use $[...] for " + f[i:i+n]}
		}
		flush(i)
		items = append(items, item{tok: t})
		mask |= 1 << t
		i += n
	}
	flush(len(f))
	if mask == 0 {
		return nil, 0, &ExprError{Expr: src, Reason: "format has no date or time token"}
	}
	return items, mask, nil
}

func renderLen(items []item) int {
	n := 0
	for _, it := range items {
		switch it.tok {
		case tokLit:
			n += len(it.lit)
		case tokYYYY:
			n += 4
		default:
			n += 2
		}
	}
	return n
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// The compile cache serves Eval; it stops growing at maxCached entries so hostile input cannot
// exhaust memory.
const maxCached = 4096

var (
	exprCache   sync.Map // string -> *Expr
	exprCounter atomic.Int64
)

func cachedCompile(expr string) (*Expr, error) {
	if v, ok := exprCache.Load(expr); ok {
		return v.(*Expr), nil
	}
	e, err := Compile(expr)
	if err != nil {
		return nil, err
	}
	if exprCounter.Load() < maxCached {
		if _, loaded := exprCache.LoadOrStore(expr, e); !loaded {
			exprCounter.Add(1)
		}
	}
	return e, nil
}
