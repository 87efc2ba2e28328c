package cdc

import (
	"strings"
)

// tableRef names a table; DB is "" when the statement leaves it to the session's database.
type tableRef struct{ DB, Name string }

// ddlStatement is what a statement from the binary log does to tables.
type ddlStatement struct {
	Op        string     // OpCreate, OpAlter, ...; "" when the statement is not about a table
	Tables    []tableRef // the tables it is about
	To        []tableRef // new names, parallel to Tables, for RENAME TABLE and ALTER TABLE ... RENAME
	Temporary bool       // CREATE/DROP TEMPORARY TABLE (not replicated as table changes)
}

// parseDDL reads the tables a DDL statement names. It understands CREATE [OR REPLACE]
// [TEMPORARY] TABLE, ALTER [ONLINE] [IGNORE] TABLE (with RENAME [TO|AS]), DROP [TEMPORARY] TABLE
// lists, RENAME TABLE a TO b[, ...], TRUNCATE [TABLE], CREATE [UNIQUE|FULLTEXT|SPATIAL] INDEX ...
// ON t and DROP INDEX ... ON t, with comments, backquoted and qualified names. Anything else
// gives Op "".
func parseDDL(q string) ddlStatement {
	lx := lexer{s: q}
	var st ddlStatement
	w := lx.keyword()
	switch w {
	case "CREATE":
		if lx.accept("OR") {
			lx.accept("REPLACE")
		}
		for {
			k := lx.peekKeyword()
			if k == "TEMPORARY" {
				st.Temporary = true
			} else if k != "ONLINE" && k != "OFFLINE" && k != "UNIQUE" && k != "FULLTEXT" && k != "SPATIAL" {
				break
			}
			lx.keyword()
		}
		switch lx.keyword() {
		case "TABLE":
			lx.ifExists(true)
			if t, ok := lx.name(); ok {
				st.Op, st.Tables = OpCreate, []tableRef{t}
			}
		case "INDEX":
			lx.ifExists(true)
			if lx.onTable() {
				if t, ok := lx.name(); ok {
					st.Op, st.Tables = OpCreateIndex, []tableRef{t}
				}
			}
		}
	case "ALTER":
		for k := lx.peekKeyword(); k == "ONLINE" || k == "IGNORE"; k = lx.peekKeyword() {
			lx.keyword()
		}
		if lx.keyword() != "TABLE" {
			return st
		}
		lx.ifExists(false)
		t, ok := lx.name()
		if !ok {
			return st
		}
		st.Op, st.Tables = OpAlter, []tableRef{t}
		// ALTER TABLE t ..., RENAME [TO|AS] new (not RENAME COLUMN/INDEX/KEY)
		for !lx.eof() {
			if lx.peekKeyword() != "RENAME" {
				lx.skipToken()
				continue
			}
			lx.keyword()
			switch lx.peekKeyword() {
			case "COLUMN", "INDEX", "KEY":
				continue
			case "TO", "AS":
				lx.keyword()
			}
			if to, ok := lx.name(); ok {
				st.To = []tableRef{to}
			}
			break
		}
	case "DROP":
		if lx.peekKeyword() == "TEMPORARY" {
			lx.keyword()
			st.Temporary = true
		}
		for k := lx.peekKeyword(); k == "ONLINE" || k == "OFFLINE"; k = lx.peekKeyword() {
			lx.keyword()
		}
		switch lx.keyword() {
		case "TABLE", "TABLES":
			lx.ifExists(false)
			for {
				t, ok := lx.name()
				if !ok {
					break
				}
				st.Tables = append(st.Tables, t)
				if !lx.punct(',') {
					break
				}
			}
			if len(st.Tables) > 0 {
				st.Op = OpErase
			}
		case "INDEX":
			lx.ifExists(false)
			if lx.onTable() {
				if t, ok := lx.name(); ok {
					st.Op, st.Tables = OpDropIndex, []tableRef{t}
				}
			}
		}
	case "RENAME":
		if k := lx.keyword(); k != "TABLE" && k != "TABLES" {
			return st
		}
		for {
			from, ok := lx.name()
			if !ok || lx.keyword() != "TO" {
				break
			}
			to, ok := lx.name()
			if !ok {
				break
			}
			st.Tables, st.To = append(st.Tables, from), append(st.To, to)
			if !lx.punct(',') {
				break
			}
		}
		if len(st.Tables) > 0 {
			st.Op = OpRename
		}
	case "TRUNCATE":
		if lx.peekKeyword() == "TABLE" {
			lx.keyword()
		}
		if t, ok := lx.name(); ok {
			st.Op, st.Tables = OpTruncate, []tableRef{t}
		}
	}
	if st.Op == "" {
		st.Tables, st.To = nil, nil
	}
	return st
}

// lexer splits SQL into the few tokens parseDDL needs.
type lexer struct {
	s string
	i int
}

// space skips white space and comments (/* */, -- and # to the end of the line).
func (l *lexer) space() {
	for l.i < len(l.s) {
		c := l.s[l.i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			l.i++
		case c == '/' && l.i+1 < len(l.s) && l.s[l.i+1] == '*':
			end := strings.Index(l.s[l.i+2:], "*/")
			if end < 0 {
				l.i = len(l.s)
				return
			}
			l.i += end + 4
		case c == '#' || (c == '-' && l.i+2 < len(l.s) && l.s[l.i+1] == '-' && (l.s[l.i+2] == ' ' || l.s[l.i+2] == '\t')):
			end := strings.IndexByte(l.s[l.i:], '\n')
			if end < 0 {
				l.i = len(l.s)
				return
			}
			l.i += end + 1
		default:
			return
		}
	}
}

func (l *lexer) eof() bool {
	l.space()
	return l.i >= len(l.s)
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// word reads an unquoted word, or "".
func (l *lexer) word() string {
	l.space()
	j := l.i
	for j < len(l.s) && isWordByte(l.s[j]) {
		j++
	}
	w := l.s[l.i:j]
	l.i = j
	return w
}

// keyword reads a word in upper case.
func (l *lexer) keyword() string { return strings.ToUpper(l.word()) }

func (l *lexer) peekKeyword() string {
	save := l.i
	k := l.keyword()
	l.i = save
	return k
}

func (l *lexer) accept(kw string) bool {
	if l.peekKeyword() == kw {
		l.keyword()
		return true
	}
	return false
}

func (l *lexer) punct(c byte) bool {
	l.space()
	if l.i < len(l.s) && l.s[l.i] == c {
		l.i++
		return true
	}
	return false
}

// ifExists skips IF EXISTS, or IF NOT EXISTS when not is true.
func (l *lexer) ifExists(not bool) {
	save := l.i
	if l.keyword() != "IF" {
		l.i = save
		return
	}
	if not && l.peekKeyword() == "NOT" {
		l.keyword()
	}
	if l.keyword() != "EXISTS" {
		l.i = save
	}
}

// onTable skips an index name and options up to ON; false when there is no ON.
func (l *lexer) onTable() bool {
	for !l.eof() {
		if l.peekKeyword() == "ON" {
			l.keyword()
			return true
		}
		l.skipToken()
	}
	return false
}

// ident reads an identifier: a word or a backquoted name (two backquotes inside stand for one).
func (l *lexer) ident() (string, bool) {
	l.space()
	if l.i >= len(l.s) {
		return "", false
	}
	if l.s[l.i] == '`' {
		var b strings.Builder
		j := l.i + 1
		for j < len(l.s) {
			if l.s[j] == '`' {
				if j+1 < len(l.s) && l.s[j+1] == '`' {
					b.WriteByte('`')
					j += 2
					continue
				}
				l.i = j + 1
				return b.String(), b.Len() > 0
			}
			b.WriteByte(l.s[j])
			j++
		}
		l.i = len(l.s)
		return "", false
	}
	w := l.word()
	return w, w != ""
}

// name reads [db.]table.
func (l *lexer) name() (tableRef, bool) {
	first, ok := l.ident()
	if !ok {
		return tableRef{}, false
	}
	save := l.i
	if l.punct('.') {
		second, ok := l.ident()
		if ok {
			return tableRef{DB: first, Name: second}, true
		}
		l.i = save
	}
	return tableRef{Name: first}, true
}

// skipToken moves past one token: a word, a quoted string or name, or one other byte.
func (l *lexer) skipToken() {
	l.space()
	if l.i >= len(l.s) {
		return
	}
	switch c := l.s[l.i]; {
	case c == '`':
		l.ident()
	case c == '\'' || c == '"':
		j := l.i + 1
		for j < len(l.s) {
			if l.s[j] == '\\' {
				j += 2
				continue
			}
			if l.s[j] == c {
				if j+1 < len(l.s) && l.s[j+1] == c {
					j += 2
					continue
				}
				break
			}
			j++
		}
		l.i = min(j+1, len(l.s))
	case isWordByte(c):
		l.word()
	default:
		l.i++
	}
}
