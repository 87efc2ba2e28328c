package fieldmap

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/fcsync/fcsync/shared/column"
	"github.com/fcsync/fcsync/shared/process"
	"github.com/fcsync/fcsync/shared/schema"
)

// FuzzMapping feeds arbitrary mapping configurations and dynamic field names through New
// and Map: nothing may panic, a configuration error names the field, a record's error is
// dirty data or a ColumnError, and no invalid name ever becomes a column.
func FuzzMapping(f *testing.F) {
	for _, s := range []struct{ conf, name string }{
		{`{"columns":[{"source":"x","target":"a"},{"source":"x","target":"b"}]}`, "c"},
		{`{"dynamic":{"policy":"add","maxPerBatch":1,"maxTotal":2}}`, "new_col"},
		{`{"dynamic":{"policy":"add"}}`, "../../etc/passwd"},
		{`{"dynamic":{"policy":"ignore"},"emptyAsNull":true}`, "A"},
		{`{"dynamic":{"policy":"error"}}`, "zz"},
		{`{"columns":[{"source":"a","target":"B"}],"dynamic":{"policy":"add"}}`, "b"},
		{`null`, ""},
	} {
		f.Add(s.conf, s.name)
	}
	dest := []schema.Column{{Name: "a", Type: schema.BigInt}, {Name: "b", Type: schema.String}}
	f.Fuzz(func(t *testing.T, conf, name string) {
		var cfg any
		if json.Unmarshal([]byte(conf), &cfg) != nil {
			return
		}
		m, err := New("mapping", cfg, dest, WithTable("t"))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "mapping") {
				t.Fatalf("error %q does not name the field", err)
			}
			return
		}
		b := m.Batch()
		for _, v := range []any{int64(1), "text", nil, 2.5, column.JSONText(`[1]`), []byte{0xff}} {
			msg, _ := process.NewMessage(nil)
			msg.Set("a", v)
			msg.Set("x", v)
			msg.SetDynamic(name, v)
			_, err := b.Map(msg)
			var de *column.DirtyError
			var ce *ColumnError
			if err != nil && !errors.As(err, &de) && !errors.As(err, &ce) {
				t.Fatalf("error %v is neither dirty data nor a ColumnError", err)
			}
		}
		for _, c := range b.Columns() {
			if schema.ValidateName(c.Name) != nil {
				t.Fatalf("column %q was added", c.Name)
			}
		}
		b.Commit()
	})
}
