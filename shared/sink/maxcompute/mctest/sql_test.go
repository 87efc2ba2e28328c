package mctest

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// bareServer is a server without listeners, for running statements.
func bareServer() *Server {
	return &Server{
		opt:       options{projects: []string{"p"}, now: time.Now, maxFieldSize: DefaultMaxFieldSize},
		projects:  map[string]*project{"p": {name: "p", tables: map[string]*table{}}},
		uploads:   map[string]*upload{},
		instances: map[string]*instance{},
	}
}

func describe(t *table) string {
	var b strings.Builder
	b.WriteString(t.name + "(")
	for i, c := range t.cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.name + " " + c.typeName())
		if c.comment != "" {
			b.WriteString(" '" + c.comment + "'")
		}
	}
	b.WriteString(")")
	if len(t.parts) > 0 {
		b.WriteString(" by (" + colList(t.parts) + ")")
	}
	if t.lifecycle > 0 {
		b.WriteString(" lifecycle " + strconv.Itoa(t.lifecycle))
	}
	if t.comment != "" {
		b.WriteString(" '" + t.comment + "'")
	}
	for k := range t.partitions {
		if k != "" {
			b.WriteString(" [" + k + "]")
		}
	}
	return b.String()
}

func TestStatementsFcsyncEmitsChangeTheTables(t *testing.T) {
	cases := []struct {
		name  string
		setup []string
		sql   string
		want  string // the table t afterwards, or the error text
		fails bool
	}{
		{
			name: "create with every clause, as package warehouse renders it",
			sql:  "CREATE TABLE IF NOT EXISTS `t` (\n  `a` BIGINT COMMENT 'it\\'s \\'quoted\\' \\\\ here',\n  `b` VARCHAR(65535),\n  `c` DECIMAL(38,18)\n)\nCOMMENT 'tbl'\nPARTITIONED BY (`ds` STRING, `hh` STRING)\nLIFECYCLE 36500;\n",
			want: "t(a bigint 'it's 'quoted' \\ here', b varchar(65535), c decimal(38,18)) by (ds string, hh string) lifecycle 36500 'tbl'",
		},
		{
			name:  "create if not exists keeps the existing table",
			setup: []string{"create table t (a bigint)"},
			sql:   "create table if not exists p.t (b string) lifecycle 3",
			want:  "t(a bigint)",
		},
		{
			name:  "create of an existing table fails",
			setup: []string{"create table t (a bigint)"},
			sql:   "create table t (b string)",
			want:  "AlreadyExistsException", fails: true,
		},
		{
			name:  "add partitions, the SDK's spelling",
			setup: []string{"create table t (a bigint) partitioned by (ds string, hh string)"},
			sql:   "alter table p.`t` add if not exists\npartition (ds='1', hh='2')\npartition (DS='1', HH=3)\n;",
			want:  "t(a bigint) by (ds string, hh string) [ds=1,hh=2] [ds=1,hh=3]",
		},
		{
			name:  "add an existing partition without IF NOT EXISTS fails",
			setup: []string{"create table t (a bigint) partitioned by (ds string)", "alter table t add partition (ds='1')"},
			sql:   "alter table t add partition (ds='1')",
			want:  "already exists", fails: true,
		},
		{
			name:  "partition spec must name every level",
			setup: []string{"create table t (a bigint) partitioned by (ds string, hh string)"},
			sql:   "alter table t add if not exists partition (ds='1')",
			want:  "does not match the partition columns", fails: true,
		},
		{
			name:  "add columns if not exists skips existing ones",
			setup: []string{"create table t (a bigint)"},
			sql:   "ALTER TABLE `t` ADD COLUMNS IF NOT EXISTS (`a` BIGINT, `b` STRING COMMENT 'new', `c` JSON);",
			want:  "t(a bigint, b string 'new', c json)",
		},
		{
			name:  "add an existing column fails",
			setup: []string{"create table t (a bigint)"},
			sql:   "alter table t add columns (a string)",
			want:  "already exists", fails: true,
		},
		{name: "alter of a missing table fails", sql: "alter table nope add columns (a string)", want: "Table not found", fails: true},
		{name: "select is not modelled", sql: "select * from t", want: "CREATE TABLE and ALTER TABLE", fails: true},
		{name: "two statements", sql: "create table t (a bigint); create table u (a bigint);", want: "one statement", fails: true},
		{name: "complex types are not modelled", sql: "create table t (a array<bigint>)", want: "does not model", fails: true},
		{name: "NOT NULL is not modelled", sql: "create table t (a bigint not null)", want: "NOT NULL", fails: true},
		{name: "unknown type", sql: "create table t (a money)", want: "unknown data type", fails: true},
		{name: "partition by a double", sql: "create table t (a bigint) partitioned by (d double)", want: "cannot be double", fails: true},
		{name: "column twice", sql: "create table t (a bigint, A string)", want: "defined twice", fails: true},
		{name: "hostile identifier", sql: "create table `../x` (a bigint)", want: "not a valid identifier", fails: true},
		{name: "unterminated string", sql: "create table t (a bigint comment 'x)", want: "unterminated", fails: true},
		{name: "lifecycle out of range", sql: "create table t (a bigint) lifecycle 0", want: "LIFECYCLE", fails: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := bareServer()
			for _, q := range tc.setup {
				if err := s.execSQL("p", q); err != nil {
					t.Fatalf("setup %q: %v", q, err)
				}
			}
			err := s.execSQL("p", tc.sql)
			if tc.fails {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("got %v, want an error saying %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tb := s.projects["p"].tables["t"]
			if tb == nil {
				t.Fatal("no table t")
			}
			if got := describe(tb); !sameWords(got, tc.want) {
				t.Errorf("table is\n  %s\nwant\n  %s", got, tc.want)
			}
		})
	}
}

// sameWords compares descriptions ignoring the order of the partition list at the end.
func sameWords(a, b string) bool {
	split := func(s string) (string, []string) {
		i := strings.Index(s, " [")
		if i < 0 {
			return s, nil
		}
		parts := strings.Split(s[i+1:], " ")
		m := map[string]bool{}
		for _, p := range parts {
			m[p] = true
		}
		out := make([]string, 0, len(m))
		for p := range m {
			out = append(out, p)
		}
		return s[:i], out
	}
	ha, pa := split(a)
	hb, pb := split(b)
	if ha != hb || len(pa) != len(pb) {
		return false
	}
	set := map[string]bool{}
	for _, p := range pa {
		set[p] = true
	}
	for _, p := range pb {
		if !set[p] {
			return false
		}
	}
	return true
}

func FuzzExecSQL(f *testing.F) {
	for _, s := range []string{
		"CREATE TABLE IF NOT EXISTS `t` (\n  `a` BIGINT COMMENT 'x',\n  `b` DECIMAL(38,18)\n)\nPARTITIONED BY (`ds` STRING)\nLIFECYCLE 36500;\n",
		"alter table p.`t` add if not exists partition (ds='1')",
		"ALTER TABLE `t` ADD COLUMNS IF NOT EXISTS (`c` VARCHAR(10) COMMENT 'y');",
		"create table t (a decimal(",
		"create table t (a varchar)",
		"create table t (a map<string,array<bigint>>)",
		"create table `a``b` (c char(300))",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		s := bareServer()
		_ = s.execSQL("p", "create table t (a bigint) partitioned by (ds string)")
		_ = s.execSQL("p", sql)
		for _, tb := range s.projects["p"].tables {
			for _, c := range append(append([]column(nil), tb.cols...), tb.parts...) {
				if c.typ == nil {
					t.Fatalf("column %s has no type after %q", c.name, sql)
				}
			}
		}
	})
}
