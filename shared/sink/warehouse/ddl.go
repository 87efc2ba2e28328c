package warehouse

import (
	"fmt"
	"strings"

	"github.com/fcsync/fcsync/shared/schema"
)

// DDL renders the MaxCompute CREATE TABLE statement for t, the way DataWorks' "Generate
// Destination Table Schema" does: backquoted identifiers, column comments, the partition
// columns and the lifecycle (omitted when 0). A non-empty project qualifies the table.
// Types that need a length take the largest one: VARCHAR(65535), CHAR(255), DECIMAL(38,18).
func DDL(project string, t schema.Table) string {
	var b strings.Builder
	name := QuoteIdent(t.Name)
	if project != "" {
		name = QuoteIdent(project) + "." + name
	}
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s (\n", name)
	for i, c := range t.Columns {
		b.WriteString("  ")
		writeColumn(&b, c)
		if i < len(t.Columns)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString(")")
	if t.Comment != "" {
		b.WriteString("\nCOMMENT " + QuoteString(t.Comment))
	}
	if len(t.Partitions) > 0 {
		b.WriteString("\nPARTITIONED BY (")
		for i, c := range t.Partitions {
			if i > 0 {
				b.WriteString(", ")
			}
			writeColumn(&b, c)
		}
		b.WriteString(")")
	}
	if t.Lifecycle > 0 {
		fmt.Fprintf(&b, "\nLIFECYCLE %d", t.Lifecycle)
	}
	b.WriteString(";\n")
	return b.String()
}

func writeColumn(b *strings.Builder, c schema.Column) {
	b.WriteString(QuoteIdent(c.Name))
	b.WriteByte(' ')
	b.WriteString(ddlType(c.Type))
	if c.Comment != "" {
		b.WriteString(" COMMENT ")
		b.WriteString(QuoteString(c.Comment))
	}
}

func ddlType(t schema.Type) string {
	switch t {
	case schema.Varchar:
		return "VARCHAR(65535)"
	case schema.Char:
		return "CHAR(255)"
	case schema.Decimal:
		return "DECIMAL(38,18)"
	}
	return string(t)
}

// QuoteIdent backquotes a MaxCompute identifier, doubling any backquote inside.
func QuoteIdent(s string) string {
	return "`" + strings.ReplaceAll(s, "`", "``") + "`"
}

// QuoteString renders a MaxCompute string literal in single quotes with backslash escapes;
// other control characters become spaces.
func QuoteString(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '\'':
			b.WriteString(`\'`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 || r == 0x7f {
				b.WriteByte(' ')
				continue
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}
