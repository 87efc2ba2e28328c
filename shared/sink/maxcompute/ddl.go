package maxcompute

import (
	"fmt"
	"strings"

	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/sink/warehouse"
)

// CreateTableSQL is the statement the sink runs to create t when it is absent: the DDL
// DataWorks' "Generate Destination Table Schema" writes (package warehouse renders it, so
// `localrun ddl` prints the same), with the config's lifecycle when t has none.
func (s *Sink) CreateTableSQL(t schema.Table) string {
	if t.Lifecycle == 0 {
		t.Lifecycle = s.cfg.Lifecycle
	}
	return warehouse.DDL("", t)
}

// addColumnsSQL renders ALTER TABLE ... ADD COLUMNS IF NOT EXISTS.
func addColumnsSQL(table string, cols []schema.Column) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ALTER TABLE %s ADD COLUMNS IF NOT EXISTS (", warehouse.QuoteIdent(table))
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(warehouse.QuoteIdent(c.Name) + " " + typeSQL(c.Type))
		if c.Comment != "" {
			b.WriteString(" COMMENT " + warehouse.QuoteString(c.Comment))
		}
	}
	b.WriteString(");")
	return b.String()
}

// addPartitionsSQL renders ALTER TABLE ... ADD IF NOT EXISTS PARTITION (...) .... The values
// were checked by schema.PartitionValue.Validate, so they hold no quote or backslash.
func addPartitionsSQL(table string, parts []schema.Partition) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ALTER TABLE %s ADD IF NOT EXISTS", warehouse.QuoteIdent(table))
	for _, p := range parts {
		b.WriteString(" PARTITION (")
		for i, pv := range p {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(warehouse.QuoteIdent(pv.Column) + "=" + warehouse.QuoteString(pv.Value))
		}
		b.WriteString(")")
	}
	b.WriteString(";")
	return b.String()
}

// typeSQL is the DDL type of t, with the largest length the type takes (as package warehouse
// renders CREATE TABLE).
func typeSQL(t schema.Type) string {
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

// AddColumnsSQL is the statement the sink runs for the dynamic-column policy add: ALTER TABLE
// ... ADD COLUMNS IF NOT EXISTS (localrun shows it for the columns a batch would add).
func AddColumnsSQL(table string, cols []schema.Column) string { return addColumnsSQL(table, cols) }
