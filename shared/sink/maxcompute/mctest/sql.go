package mctest

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/fcsync/fcsync/shared/schema"
)

// The statements mctest runs.
type (
	tableRef struct{ project, table string }
	colDef   struct {
		name, typeText, comment string
	}
	createTable struct {
		ifNotExists bool
		ref         tableRef
		cols        []colDef
		comment     string
		parts       []colDef
		lifecycle   int
	}
	addPartitions struct {
		ref         tableRef
		ifNotExists bool
		specs       [][]kv
	}
	// ALTER TABLE ... DROP [IF EXISTS] PARTITION (...)[, PARTITION (...)]: not emitted by
	// fcsync, but what the SDKs' delete_partition / DeletePartitions send.
	dropPartitions struct {
		ref      tableRef
		ifExists bool
		specs    [][]kv
	}
	addColumns struct {
		ref         tableRef
		ifNotExists bool
		cols        []colDef
	}
)

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tQuotedIdent
	tString
	tNumber
	tPunct
)

type token struct {
	kind tokKind
	text string
	pos  int
}

const maxSQL = 1 << 20

// lex splits a statement into tokens: identifiers (bare, or in backquotes where two
// backquotes stand for one), strings in single or double quotes with backslash escapes, numbers and
// punctuation. -- starts a comment to the end of the line.
func lex(src string) ([]token, error) {
	if len(src) > maxSQL {
		return nil, fmt.Errorf("statement of %d bytes is too long", len(src))
	}
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '-' && i+1 < len(src) && src[i+1] == '-':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case isIdentStart(c):
			j := i + 1
			for j < len(src) && isIdentPart(src[j]) {
				j++
			}
			toks = append(toks, token{tIdent, src[i:j], i})
			i = j
		case c >= '0' && c <= '9':
			j := i + 1
			for j < len(src) && src[j] >= '0' && src[j] <= '9' {
				j++
			}
			toks = append(toks, token{tNumber, src[i:j], i})
			i = j
		case c == '`':
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(src) {
					return nil, fmt.Errorf("position %d: unterminated `identifier`", i+1)
				}
				if src[j] == '`' {
					if j+1 < len(src) && src[j+1] == '`' {
						b.WriteByte('`')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(src[j])
				j++
			}
			toks = append(toks, token{tQuotedIdent, b.String(), i})
			i = j + 1
		case c == '\'' || c == '"':
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(src) {
					return nil, fmt.Errorf("position %d: unterminated string", i+1)
				}
				if src[j] == c {
					break
				}
				if src[j] == '\\' && j+1 < len(src) {
					j++
					switch src[j] {
					case 'n':
						b.WriteByte('\n')
					case 't':
						b.WriteByte('\t')
					case 'r':
						b.WriteByte('\r')
					default:
						b.WriteByte(src[j])
					}
					j++
					continue
				}
				b.WriteByte(src[j])
				j++
			}
			toks = append(toks, token{tString, b.String(), i})
			i = j + 1
		case c > ' ' && c < 0x7f:
			toks = append(toks, token{tPunct, string(c), i})
			i++
		default:
			return nil, fmt.Errorf("position %d: unexpected character %q", i+1, c)
		}
	}
	return append(toks, token{tEOF, "", len(src)}), nil
}

func isIdentStart(c byte) bool { return c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z') }
func isIdentPart(c byte) bool  { return isIdentStart(c) || (c >= '0' && c <= '9') }

type parser struct {
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// keyword consumes the bare identifier kw (case-insensitive) if it is next.
func (p *parser) keyword(kw string) bool {
	t := p.peek()
	if t.kind == tIdent && strings.EqualFold(t.text, kw) {
		p.i++
		return true
	}
	return false
}

func (p *parser) expectKeyword(kws ...string) error {
	for _, kw := range kws {
		if !p.keyword(kw) {
			return p.errorf("expected %s", strings.ToUpper(kw))
		}
	}
	return nil
}

func (p *parser) punct(s string) bool {
	t := p.peek()
	if t.kind == tPunct && t.text == s {
		p.i++
		return true
	}
	return false
}

func (p *parser) expectPunct(s string) error {
	if !p.punct(s) {
		return p.errorf("expected %q", s)
	}
	return nil
}

func (p *parser) errorf(format string, args ...any) error {
	t := p.peek()
	near := t.text
	if t.kind == tEOF {
		near = "end of statement"
	}
	return fmt.Errorf("position %d near %q: %s", t.pos+1, clip(near), fmt.Sprintf(format, args...))
}

func (p *parser) ident() (string, error) {
	t := p.peek()
	if t.kind != tIdent && t.kind != tQuotedIdent {
		return "", p.errorf("expected an identifier")
	}
	p.i++
	if err := schema.ValidateName(t.text); err != nil {
		return "", fmt.Errorf("position %d: %v", t.pos+1, err)
	}
	return t.text, nil
}

func (p *parser) str() (string, error) {
	t := p.peek()
	if t.kind != tString {
		return "", p.errorf("expected a string")
	}
	p.i++
	return t.text, nil
}

func (p *parser) tableRef() (tableRef, error) {
	a, err := p.ident()
	if err != nil {
		return tableRef{}, err
	}
	if !p.punct(".") {
		return tableRef{table: a}, nil
	}
	b, err := p.ident()
	if err != nil {
		return tableRef{}, err
	}
	if p.punct(".") { // project.schema.table: only the default schema exists
		if !strings.EqualFold(b, "default") {
			return tableRef{}, fmt.Errorf("schema %s does not exist", b)
		}
		c, err := p.ident()
		if err != nil {
			return tableRef{}, err
		}
		return tableRef{project: a, table: c}, nil
	}
	return tableRef{project: a, table: b}, nil
}

// typeText reads a type: a name with optional (n) or (p,s), or a complex type in <...>.
func (p *parser) typeText() (string, error) {
	t := p.next()
	if t.kind != tIdent {
		return "", fmt.Errorf("position %d: expected a type", t.pos+1)
	}
	var b strings.Builder
	b.WriteString(strings.ToUpper(t.text))
	switch {
	case p.punct("("):
		b.WriteByte('(')
		for {
			n := p.next()
			if n.kind != tNumber {
				return "", fmt.Errorf("position %d: expected a number in the type's parameters", n.pos+1)
			}
			b.WriteString(n.text)
			if p.punct(")") {
				break
			}
			if err := p.expectPunct(","); err != nil {
				return "", err
			}
			b.WriteByte(',')
		}
		b.WriteByte(')')
	case p.peek().kind == tPunct && p.peek().text == "<":
		depth := 0
		for {
			n := p.next()
			if n.kind == tEOF {
				return "", fmt.Errorf("position %d: unterminated type", t.pos+1)
			}
			b.WriteString(n.text)
			if n.text == "<" {
				depth++
			}
			if n.text == ">" {
				depth--
				if depth == 0 {
					break
				}
			}
		}
	}
	return b.String(), nil
}

func (p *parser) colDefs() ([]colDef, error) {
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	var cols []colDef
	for {
		name, err := p.ident()
		if err != nil {
			return nil, err
		}
		typ, err := p.typeText()
		if err != nil {
			return nil, err
		}
		c := colDef{name: name, typeText: typ}
		if p.keyword("not") {
			if err := p.expectKeyword("null"); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("column %s: mctest does not model NOT NULL columns", name)
		}
		if p.keyword("comment") {
			if c.comment, err = p.str(); err != nil {
				return nil, err
			}
		}
		cols = append(cols, c)
		if p.punct(")") {
			return cols, nil
		}
		if err := p.expectPunct(","); err != nil {
			return nil, err
		}
	}
}

func (p *parser) ifNotExists() (bool, error) {
	if !p.keyword("if") {
		return false, nil
	}
	return true, p.expectKeyword("not", "exists")
}

func (p *parser) end() error {
	p.punct(";")
	if p.peek().kind != tEOF {
		return p.errorf("mctest runs one statement per task; unexpected text after the statement")
	}
	return nil
}

// parseSQL reads one of the statements mctest runs.
func parseSQL(src string) (any, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	switch {
	case p.keyword("create"):
		return p.createTable()
	case p.keyword("alter"):
		return p.alterTable()
	}
	return nil, p.errorf("mctest runs CREATE TABLE and ALTER TABLE ... ADD PARTITION / ADD COLUMNS / DROP PARTITION only")
}

func (p *parser) createTable() (any, error) {
	if err := p.expectKeyword("table"); err != nil {
		return nil, err
	}
	var st createTable
	var err error
	if st.ifNotExists, err = p.ifNotExists(); err != nil {
		return nil, err
	}
	if st.ref, err = p.tableRef(); err != nil {
		return nil, err
	}
	if st.cols, err = p.colDefs(); err != nil {
		return nil, err
	}
	for {
		switch {
		case p.keyword("comment"):
			if st.comment, err = p.str(); err != nil {
				return nil, err
			}
		case p.keyword("partitioned"):
			if err := p.expectKeyword("by"); err != nil {
				return nil, err
			}
			if st.parts, err = p.colDefs(); err != nil {
				return nil, err
			}
		case p.keyword("lifecycle"):
			n := p.next()
			v, err := strconv.Atoi(n.text)
			if n.kind != tNumber || err != nil || v < 1 || v > 37231 {
				return nil, fmt.Errorf("position %d: LIFECYCLE takes a number of days from 1 to 37231", n.pos+1)
			}
			st.lifecycle = v
		default:
			if err := p.end(); err != nil {
				return nil, err
			}
			return st, nil
		}
	}
}

func (p *parser) alterTable() (any, error) {
	if err := p.expectKeyword("table"); err != nil {
		return nil, err
	}
	ref, err := p.tableRef()
	if err != nil {
		return nil, err
	}
	if p.keyword("drop") {
		st := dropPartitions{ref: ref}
		if p.keyword("if") {
			if err := p.expectKeyword("exists"); err != nil {
				return nil, err
			}
			st.ifExists = true
		}
		for len(st.specs) == 0 || p.punct(",") {
			if err := p.expectKeyword("partition"); err != nil {
				return nil, err
			}
			spec, err := p.partitionSpec()
			if err != nil {
				return nil, err
			}
			st.specs = append(st.specs, spec)
		}
		return st, p.end()
	}
	if err := p.expectKeyword("add"); err != nil {
		return nil, p.errorf("expected ADD or DROP")
	}
	if p.keyword("columns") {
		st := addColumns{ref: ref}
		if st.ifNotExists, err = p.ifNotExists(); err != nil {
			return nil, err
		}
		if st.cols, err = p.colDefs(); err != nil {
			return nil, err
		}
		return st, p.end()
	}
	st := addPartitions{ref: ref}
	if st.ifNotExists, err = p.ifNotExists(); err != nil {
		return nil, err
	}
	for p.keyword("partition") {
		spec, err := p.partitionSpec()
		if err != nil {
			return nil, err
		}
		st.specs = append(st.specs, spec)
	}
	if len(st.specs) == 0 {
		return nil, p.errorf("expected COLUMNS or PARTITION after ADD")
	}
	return st, p.end()
}

// partitionSpec reads (col=value, ...) after PARTITION.
func (p *parser) partitionSpec() ([]kv, error) {
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	var spec []kv
	for {
		k, err := p.ident()
		if err != nil {
			return nil, err
		}
		if err := p.expectPunct("="); err != nil {
			return nil, err
		}
		v := p.next()
		if v.kind != tString && v.kind != tNumber {
			return nil, fmt.Errorf("position %d: a partition value is a quoted string or a number", v.pos+1)
		}
		spec = append(spec, kv{k, v.text})
		if p.punct(")") {
			return spec, nil
		}
		if err := p.expectPunct(","); err != nil {
			return nil, err
		}
	}
}

// sqlError is a failed statement: the text the service puts in the task result.
type sqlError struct{ msg string }

func (e *sqlError) Error() string { return e.msg }

// execSQL runs one statement in project proj; the caller holds s.mu.
func (s *Server) execSQL(proj, src string) error {
	s.sql = append(s.sql, src)
	st, err := parseSQL(src)
	if err != nil {
		msg := fmt.Sprintf("ODPS-0130161: Parse exception - %v", err)
		s.unexpected = append(s.unexpected, "SQL: "+msg+": "+clip(src))
		return &sqlError{msg}
	}
	switch st := st.(type) {
	case createTable:
		return s.execCreate(proj, st)
	case addPartitions:
		return s.execAddPartitions(proj, st)
	case addColumns:
		return s.execAddColumns(proj, st)
	case dropPartitions:
		return s.execDropPartitions(proj, st)
	}
	return &sqlError{"ODPS-0130161: Parse exception - unknown statement"}
}

func (s *Server) refTable(proj string, ref tableRef) (*project, *table, error) {
	if ref.project != "" {
		proj = ref.project
	}
	p, t, err := s.tableLocked(proj, ref.table)
	if err != nil {
		if p == nil {
			return nil, nil, &sqlError{fmt.Sprintf("ODPS-0130013: Authorization exception - project %s does not exist", proj)}
		}
		return p, nil, &sqlError{fmt.Sprintf("ODPS-0130131: Table not found - table %s.%s cannot be resolved", p.name, ref.table)}
	}
	return p, t, nil
}

func (s *Server) columns(defs []colDef, what string) ([]column, error) {
	cols := make([]column, len(defs))
	for i, d := range defs {
		dt, err := parseType(d.typeText)
		if err != nil {
			return nil, &sqlError{fmt.Sprintf("ODPS-0130071: Semantic analysis exception - %s %s: %v", what, d.name, err)}
		}
		cols[i] = column{name: d.name, comment: d.comment, typ: dt}
	}
	return cols, nil
}

func (s *Server) execCreate(proj string, st createTable) error {
	if st.ref.project != "" {
		proj = st.ref.project
	}
	p, perr := s.projectLocked(proj)
	if perr != nil {
		return &sqlError{fmt.Sprintf("ODPS-0130013: Authorization exception - project %s does not exist", proj)}
	}
	if old := p.tables[strings.ToLower(st.ref.table)]; old != nil {
		if st.ifNotExists {
			return nil
		}
		return &sqlError{fmt.Sprintf("ODPS-0110061: Failed to run ddltask - AlreadyExistsException(message:Table or view %s already exists)", old.name)}
	}
	cols, err := s.columns(st.cols, "column")
	if err != nil {
		return err
	}
	parts, err := s.columns(st.parts, "partition column")
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, c := range append(append([]column(nil), cols...), parts...) {
		k := strings.ToLower(c.name)
		if seen[k] {
			return &sqlError{fmt.Sprintf("ODPS-0130071: Semantic analysis exception - column %s is defined twice", c.name)}
		}
		seen[k] = true
	}
	for _, c := range parts {
		switch strings.ToUpper(c.typ.ID().String()) {
		case "STRING", "VARCHAR", "CHAR", "TINYINT", "SMALLINT", "INT", "BIGINT":
		default:
			return &sqlError{fmt.Sprintf("ODPS-0130071: Semantic analysis exception - partition column %s cannot be %s", c.name, c.typeName())}
		}
	}
	now := s.opt.now()
	t := &table{
		name: st.ref.table, id: randomHex(16), comment: st.comment, lifecycle: st.lifecycle,
		cols: cols, parts: parts, created: now, lastDDL: now, modified: now,
		partitions: map[string]*partition{},
	}
	if len(parts) == 0 {
		t.partitions[""] = &partition{created: now, modified: now}
	}
	p.tables[strings.ToLower(t.name)] = t
	return nil
}

type specKey struct {
	key  string
	spec []kv
}

// checkSpecs checks partition specs of a statement against the table's partition columns.
func checkSpecs(p *project, t *table, specs [][]kv) ([]specKey, error) {
	var out []specKey
	for _, spec := range specs {
		if len(spec) != len(t.parts) {
			return nil, &sqlError{fmt.Sprintf("ODPS-0130071: Semantic analysis exception - partition spec %s does not match the partition columns of %s.%s (%s)", specString(spec), p.name, t.name, colList(t.parts))}
		}
		norm := make([]kv, len(spec))
		for i, lv := range spec {
			if !strings.EqualFold(lv.key, t.parts[i].name) {
				return nil, &sqlError{fmt.Sprintf("ODPS-0130071: Semantic analysis exception - partition level %d is %s, the table has %s", i+1, lv.key, t.parts[i].name)}
			}
			if err := checkPartitionValue(t.parts[i], lv.value); err != nil {
				return nil, &sqlError{fmt.Sprintf("ODPS-0130071: Semantic analysis exception - %v", err)}
			}
			norm[i] = kv{t.parts[i].name, lv.value}
		}
		out = append(out, specKey{specString(norm), norm})
	}
	return out, nil
}

func (s *Server) execDropPartitions(proj string, st dropPartitions) error {
	p, t, err := s.refTable(proj, st.ref)
	if err != nil {
		return err
	}
	drops, err := checkSpecs(p, t, st.specs)
	if err != nil {
		return err
	}
	for _, d := range drops {
		if t.partitions[d.key] == nil && !st.ifExists {
			return &sqlError{fmt.Sprintf("ODPS-0130071: Semantic analysis exception - partition %s of %s.%s does not exist", d.key, p.name, t.name)}
		}
	}
	for _, d := range drops {
		delete(t.partitions, d.key)
	}
	t.lastDDL = s.opt.now()
	return nil
}

func (s *Server) execAddPartitions(proj string, st addPartitions) error {
	p, t, err := s.refTable(proj, st.ref)
	if err != nil {
		return err
	}
	adds, err := checkSpecs(p, t, st.specs)
	if err != nil {
		return err
	}
	for _, a := range adds {
		if t.partitions[a.key] != nil && !st.ifNotExists {
			return &sqlError{fmt.Sprintf("ODPS-0110061: Failed to run ddltask - AlreadyExistsException(message:Partition %s already exists)", a.key)}
		}
	}
	for _, a := range adds {
		if t.partitions[a.key] == nil {
			now := s.opt.now()
			t.partitions[a.key] = &partition{spec: a.spec, created: now, modified: now}
		}
	}
	t.lastDDL = s.opt.now()
	return nil
}

func (s *Server) execAddColumns(proj string, st addColumns) error {
	_, t, err := s.refTable(proj, st.ref)
	if err != nil {
		return err
	}
	cols, err := s.columns(st.cols, "column")
	if err != nil {
		return err
	}
	var add []column
	seen := map[string]bool{}
	for _, c := range cols {
		k := strings.ToLower(c.name)
		if t.hasColumn(c.name) || seen[k] {
			if st.ifNotExists {
				continue
			}
			return &sqlError{fmt.Sprintf("ODPS-0130071: Semantic analysis exception - column %s already exists", c.name)}
		}
		seen[k] = true
		add = append(add, c)
	}
	t.cols = append(t.cols, add...)
	t.lastDDL = s.opt.now()
	return nil
}
