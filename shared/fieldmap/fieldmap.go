package fieldmap

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/fcsync/fcsync/shared/column"
	"github.com/fcsync/fcsync/shared/config"
	"github.com/fcsync/fcsync/shared/schema"
)

// Policy is what happens to a dynamic field the table has no column for.
type Policy uint8

// The dynamic-column policies.
const (
	PolicyError  Policy = iota // stop: Map returns a *ColumnError
	PolicyIgnore               // drop the field
	PolicyAdd                  // add a column
)

func (p Policy) String() string {
	switch p {
	case PolicyIgnore:
		return "ignore"
	case PolicyAdd:
		return "add"
	}
	return "error"
}

// Defaults of the caps on added columns.
const (
	DefaultMaxPerBatch = 16
	DefaultMaxTotal    = 256
	maxCap             = 1000 // MaxCompute allows 1200 columns per table
)

// Mapping is one explicit mapping entry.
type Mapping struct {
	Source string
	Target string
}

// Option configures New.
type Option func(*Mapper)

// WithTable names the destination table in errors and DDL events.
func WithTable(name string) Option { return func(m *Mapper) { m.table = name } }

// WithLocation sets the time zone for time conversions (see column.ConvertOptions).
func WithLocation(loc *time.Location) Option { return func(m *Mapper) { m.opts.Location = loc } }

// WithClock sets the clock that stamps DDL events; the default is time.Now.
func WithClock(now func() time.Time) Option { return func(m *Mapper) { m.now = now } }

// Mapper maps messages onto a destination schema that dynamic columns may grow. It is
// safe for concurrent use; each Batch is used by one goroutine.
type Mapper struct {
	table       string
	opts        column.ConvertOptions
	now         func() time.Time
	explicit    []Mapping
	targets     []int // explicit: column index of each entry
	policy      Policy
	maxPerBatch int
	maxTotal    int

	mu    sync.Mutex
	base  []schema.Column
	added int // columns added (committed) since New
}

// New checks the mapping configuration (decoded YAML/JSON, nil for all defaults)
// against the destination columns and builds a mapper. Errors name the field, starting
// with where: "mapping.columns[2].target: ...".
func New(where string, cfg any, dest []schema.Column, opts ...Option) (*Mapper, error) {
	m := &Mapper{table: "destination", now: time.Now, maxPerBatch: DefaultMaxPerBatch, maxTotal: DefaultMaxTotal}
	for _, o := range opts {
		o(m)
	}
	if len(dest) == 0 {
		return nil, fmt.Errorf("%s: table %s has no columns", where, m.table)
	}
	seen := map[string]int{}
	m.base = append([]schema.Column(nil), dest...)
	for i := range m.base {
		c := &m.base[i]
		if err := schema.ValidateName(c.Name); err != nil {
			return nil, fmt.Errorf("%s: table %s column %d: %w", where, m.table, i, err)
		}
		t, err := schema.ParseType(string(c.Type))
		if err != nil {
			return nil, fmt.Errorf("%s: table %s column %s: %w", where, m.table, c.Name, err)
		}
		c.Type = t // "bigint", "decimal(10,2)" -> BIGINT, DECIMAL
		k := strings.ToLower(c.Name)
		if j, dup := seen[k]; dup {
			return nil, fmt.Errorf("%s: table %s has column %s twice (positions %d and %d)", where, m.table, c.Name, j, i)
		}
		seen[k] = i
	}
	conf, err := config.Map(where, cfg, true)
	if err != nil {
		return nil, err
	}
	if err := config.OnlyKeys(where, conf, []string{"columns", "dynamic", "emptyAsNull"}); err != nil {
		return nil, err
	}
	if v, ok := conf["emptyAsNull"]; ok && v != nil {
		if m.opts.EmptyAsNull, err = config.Bool(config.Join(where, "emptyAsNull"), v); err != nil {
			return nil, err
		}
	}
	if err := m.parseColumns(config.Join(where, "columns"), conf["columns"]); err != nil {
		return nil, err
	}
	if err := m.parseDynamic(config.Join(where, "dynamic"), conf["dynamic"]); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Mapper) parseColumns(where string, v any) error {
	if v == nil {
		return nil
	}
	l, ok := v.([]any)
	if !ok {
		return fmt.Errorf("%s: want a list of {source, target}, got %s", where, config.Kind(v))
	}
	if len(l) == 0 {
		return fmt.Errorf("%s: empty (leave it out for same-name mapping)", where)
	}
	fedBy := map[int]int{}
	for i, e := range l {
		w := fmt.Sprintf("%s[%d]", where, i)
		it, err := config.Map(w, e, false)
		if err != nil {
			return err
		}
		if err := config.OnlyKeys(w, it, []string{"source", "target"}); err != nil {
			return err
		}
		var mp Mapping
		for _, f := range []struct {
			key string
			dst *string
		}{{"source", &mp.Source}, {"target", &mp.Target}} {
			s, err := config.String(config.Join(w, f.key), it[f.key])
			if err != nil {
				return err
			}
			if s = strings.TrimSpace(s); s == "" {
				return fmt.Errorf("%s: required", config.Join(w, f.key))
			}
			*f.dst = s
		}
		t := index(m.base, mp.Target)
		if t < 0 {
			return fmt.Errorf("%s: column %q is not in table %s (columns: %s)", config.Join(w, "target"),
				column.ExcerptString(mp.Target, 64), m.table, names(m.base))
		}
		if j, dup := fedBy[t]; dup {
			return fmt.Errorf("%s: column %s is already fed by %s[%d] (source %s); several sources cannot feed one column (source %s)",
				config.Join(w, "target"), m.base[t].Name, where, j, m.explicit[j].Source, mp.Source)
		}
		fedBy[t] = i
		m.explicit = append(m.explicit, mp)
		m.targets = append(m.targets, t)
	}
	return nil
}

func (m *Mapper) parseDynamic(where string, v any) error {
	d, err := config.Map(where, v, true)
	if err != nil || d == nil {
		return err
	}
	if err := config.OnlyKeys(where, d, []string{"policy", "maxPerBatch", "maxTotal"}); err != nil {
		return err
	}
	if p, ok := d["policy"]; ok && p != nil {
		s, err := config.String(config.Join(where, "policy"), p)
		if err != nil {
			return err
		}
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "error", "report error":
			m.policy = PolicyError
		case "ignore":
			m.policy = PolicyIgnore
		case "add", "add column":
			m.policy = PolicyAdd
		default:
			return fmt.Errorf("%s: want add, ignore or error, got %q", config.Join(where, "policy"), column.ExcerptString(s, 40))
		}
	}
	for _, f := range []struct {
		key string
		dst *int
	}{{"maxPerBatch", &m.maxPerBatch}, {"maxTotal", &m.maxTotal}} {
		v, ok := d[f.key]
		if !ok || v == nil {
			continue
		}
		w := config.Join(where, f.key)
		n, err := config.Int(w, v)
		if err != nil {
			return err
		}
		if n < 0 || n > maxCap {
			return fmt.Errorf("%s: %d is out of range [0, %d]", w, n, maxCap)
		}
		*f.dst = int(n)
	}
	return nil
}

// Policy is the dynamic-column policy.
func (m *Mapper) Policy() Policy { return m.policy }

// Columns is the mapper's base schema: the destination columns and those added by
// committed batches.
func (m *Mapper) Columns() []schema.Column {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]schema.Column(nil), m.base...)
}

// Batch starts mapping a batch of records from the current base schema.
func (m *Mapper) Batch() *Batch {
	m.mu.Lock()
	defer m.mu.Unlock()
	b := &Batch{m: m, cols: append([]schema.Column(nil), m.base...), baseLen: len(m.base), addedBefore: m.added}
	b.hints = make([]int, len(b.cols))
	b.fed = make([]bool, len(b.cols))
	for _, t := range m.targets {
		b.fed[t] = true
	}
	return b
}

// index finds a column by name: exactly, else case-insensitively; -1 when absent.
func index(cols []schema.Column, name string) int {
	for i := range cols {
		if cols[i].Name == name {
			return i
		}
	}
	for i := range cols {
		if strings.EqualFold(cols[i].Name, name) {
			return i
		}
	}
	return -1
}

func names(cols []schema.Column) string {
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		if i == 20 {
			fmt.Fprintf(&b, "... %d more", len(cols)-i)
			break
		}
		b.WriteString(c.Name)
	}
	return b.String()
}

// InferType is the column type policy add gives a dynamic field's value.
func InferType(v any) schema.Type {
	switch v.(type) {
	case int64:
		return schema.BigInt
	case float64:
		return schema.Double
	case bool:
		return schema.Boolean
	}
	return schema.String
}
