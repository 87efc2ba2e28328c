package process

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fcsync/fcsync/shared/column"
	"github.com/fcsync/fcsync/shared/config"
	"github.com/fcsync/fcsync/shared/schema"
)

// Processor is one configured processing step. Implementations are immutable and safe
// for concurrent use; per-record state lives in the Message.
type Processor interface {
	// Process transforms m in place. keep false drops the record (it was filtered out);
	// an error makes the record dirty data (return a *DirtyError to name the field).
	Process(m *Message) (keep bool, err error)
	// Outputs maps the fields (and their types) the step receives to those it passes on,
	// as far as they are known without data; dynamic fields are not listed.
	Outputs(in []schema.Column) []schema.Column
}

// Binder is a Processor whose configuration depends on the batch's scheduled time (an
// Edit with ${bizdate}); Chain.At binds it once per batch.
type Binder interface {
	Processor
	Bind(at time.Time) Processor
}

// Env is what a processor constructor may use besides its own configuration.
type Env struct {
	Location *time.Location    // job time zone; never nil
	Vars     map[string]string // custom scheduling parameters
	Time     time.Time         // the scheduled time the chain is bound to first
}

// Field documents one configuration field of a processor.
type Field struct {
	Name string
	Doc  string
}

// Spec registers a processor: its configuration fields (anything else is an "unknown
// field" error) and its constructor. where is the processor's configuration path, e.g.
// "processors[2].mask"; errors must start with it (config.Join(where, field)).
type Spec struct {
	Summary string
	Fields  []Field
	New     func(where string, conf map[string]any, env Env) (Processor, error)
}

var registry = struct {
	sync.RWMutex
	specs map[string]Spec
}{specs: map[string]Spec{}}

// Register makes a processor available by name. It panics when the name is taken or the
// spec has no constructor: both are programming errors found at start-up.
func Register(name string, s Spec) {
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.specs[name]; dup || s.New == nil || name == "" {
		panic("process: Register " + name + ": duplicate name or nil constructor")
	}
	registry.specs[name] = s
}

// Lookup returns the spec registered under name.
func Lookup(name string) (Spec, bool) {
	registry.RLock()
	defer registry.RUnlock()
	s, ok := registry.specs[name]
	return s, ok
}

// Names lists the registered processors in order.
func Names() []string {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]string, 0, len(registry.specs))
	for n := range registry.specs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Option configures Compile.
type Option func(*options)

type options struct {
	loc  *time.Location
	vars map[string]string
	at   time.Time
}

// WithLocation sets the job's time zone: scheduling parameters are evaluated in it and
// times convert in it. The default is UTC.
func WithLocation(loc *time.Location) Option { return func(o *options) { o.loc = loc } }

// WithVars supplies custom scheduling parameters for ${name} references.
func WithVars(vars map[string]string) Option { return func(o *options) { o.vars = vars } }

// WithTime sets the scheduled time the compiled chain is bound to (see Chain.At); the
// default is the time of Compile.
func WithTime(at time.Time) Option { return func(o *options) { o.at = at } }

type step struct {
	name  string // registered processor name
	where string // "processors[2].mask"
	index int
	p     Processor
	bind  Binder // nil when the step does not depend on the time
}

// Chain is a compiled processing chain: processors applied in order. It is immutable and
// safe for concurrent use.
type Chain struct {
	where string
	steps []step
	env   Env
}

// Compile builds a chain from its decoded configuration: a list whose elements are
// single-key mappings {name: config}, e.g. [{json: {...}}, {mask: {...}}]. nil is the
// empty chain, which keeps every record unchanged. Errors name the field, starting with
// where: "processors[2].mask.fields[0].method: ...".
func Compile(where string, cfg any, opts ...Option) (*Chain, error) {
	o := options{loc: time.UTC}
	for _, opt := range opts {
		opt(&o)
	}
	if o.loc == nil {
		o.loc = time.UTC
	}
	if o.at.IsZero() {
		o.at = time.Now()
	}
	c := &Chain{where: where, env: Env{Location: o.loc, Vars: o.vars, Time: o.at.In(o.loc)}}
	if cfg == nil {
		return c, nil
	}
	list, ok := cfg.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: want a list of processors, got %s", where, config.Kind(cfg))
	}
	for i, item := range list {
		at := fmt.Sprintf("%s[%d]", where, i)
		m, err := config.Map(at, item, false)
		if err != nil {
			return nil, err
		}
		if len(m) != 1 {
			return nil, fmt.Errorf("%s: want exactly one processor name as the key (one of %s), got %d keys",
				at, strings.Join(Names(), ", "), len(m))
		}
		var name string
		for k := range m {
			name = k
		}
		spec, ok := Lookup(name)
		if !ok {
			return nil, fmt.Errorf("%s: unknown processor %q (known: %s)", at, column.ExcerptString(name, 40), strings.Join(Names(), ", "))
		}
		pw := config.Join(at, name)
		conf, err := config.Map(pw, m[name], true)
		if err != nil {
			return nil, err
		}
		known := make([]string, len(spec.Fields))
		for j, f := range spec.Fields {
			known[j] = f.Name
		}
		if err := config.OnlyKeys(pw, conf, known); err != nil {
			return nil, err
		}
		p, err := spec.New(pw, conf, c.env)
		if err != nil {
			return nil, err
		}
		st := step{name: name, where: pw, index: i, p: p}
		if b, ok := p.(Binder); ok {
			st.bind = b
			st.p = b.Bind(c.env.Time)
		}
		c.steps = append(c.steps, st)
	}
	return c, nil
}

// Len is the number of processors.
func (c *Chain) Len() int { return len(c.steps) }

// At returns the chain bound to the scheduled time at (read in the chain's time zone):
// scheduling parameters in its processors take their values at that time. Call it once
// per batch; the chain it is called on is unchanged.
func (c *Chain) At(at time.Time) *Chain {
	n := &Chain{where: c.where, steps: append([]step(nil), c.steps...), env: c.env}
	n.env.Time = at.In(c.env.Location)
	for i := range n.steps {
		if b := n.steps[i].bind; b != nil {
			n.steps[i].p = b.Bind(n.env.Time)
		}
	}
	return n
}

// Time is the scheduled time the chain is bound to.
func (c *Chain) Time() time.Time { return c.env.Time }

// Process runs m through every processor in order. keep is false when a filter dropped
// the record. A dirty record returns a *DirtyError naming the processor and the field;
// the message's fields are then unspecified.
func (c *Chain) Process(m *Message) (keep bool, err error) {
	for i := range c.steps {
		st := &c.steps[i]
		keep, err := st.p.Process(m)
		if err == nil {
			err = m.err // an attribute the step read could not be materialized
		}
		if err != nil {
			return false, st.dirty(err)
		}
		if !keep {
			return false, nil
		}
	}
	return true, nil
}

func (st *step) dirty(err error) error {
	var de *DirtyError
	if !errors.As(err, &de) {
		de = &DirtyError{Reason: err.Error(), err: err}
	}
	if de.Where == "" {
		de.Where = st.where
		de.Processor = st.name
		de.Step = st.index
	}
	return de
}

// Outputs lists the fields a record leaving the chain has, with their types, as far as
// they are known from the configuration (the basis of "generate the table schema from
// the output columns"): the six attribute fields transformed by each processor in turn.
// Dynamic fields are not listed.
func (c *Chain) Outputs() []schema.Column {
	cols := column.AttributeColumns()
	for i := range c.steps {
		cols = c.steps[i].p.Outputs(cols)
	}
	return cols
}

// maxExcerpt bounds the value excerpts in dirty reasons, in bytes.
const maxExcerpt = 64

// DirtyError says why a record is dirty data: which processor and field, and why. Value
// is a short excerpt (cut at a character boundary) and is empty where the field is
// sensitive (masking).
type DirtyError struct {
	Where     string // configuration path of the processor, e.g. "processors[2].mask"; "input" for the record itself
	Processor string // registered name, e.g. "mask"
	Step      int    // position in the chain
	Field     string
	Reason    string
	Value     string
	err       error
}

func (e *DirtyError) Error() string {
	var b strings.Builder
	b.WriteString("dirty data: ")
	b.WriteString(e.Where)
	if e.Field != "" {
		b.WriteString(": field ")
		b.WriteString(e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	if e.Value != "" {
		fmt.Fprintf(&b, " (value %q)", e.Value)
	}
	return b.String()
}

// Unwrap returns the processor's original error, if it was not a *DirtyError.
func (e *DirtyError) Unwrap() error { return e.err }

// dirty builds a processor's dirty-data error; the chain fills in where it happened.
func dirty(field, reason string) *DirtyError {
	return &DirtyError{Field: fieldExcerpt(field), Reason: reason}
}

// fieldExcerpt shortens a (possibly hostile) field name for a message.
func fieldExcerpt(name string) string { return column.ExcerptString(name, maxExcerpt) }

// dirtyValue is dirty with an excerpt of the offending text.
func dirtyValue(field, reason string, value []byte) *DirtyError {
	return &DirtyError{Field: fieldExcerpt(field), Reason: reason, Value: column.Excerpt(value, maxExcerpt)}
}
