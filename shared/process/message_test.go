package process

import (
	"reflect"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/column"
	"github.com/fcsync/fcsync/shared/record"
)

func TestMessageStartsWithTheSixAttributeFields(t *testing.T) {
	r := &record.Record{Topic: "t", Partition: 2, Offset: 99, Timestamp: time.UnixMilli(1767225600123),
		Key: []byte("k"), Value: []byte(`{"a":1}`), Headers: []record.Header{{Key: "h", Value: []byte("v")}}}
	m, err := NewMessage(r)
	if err != nil {
		t.Fatal(err)
	}
	want := "__key__ = bytes \"k\"\n__value__ = bytes \"{\\\"a\\\":1}\"\n__partition__ = int64 2\n" +
		"__headers__ = json {\"h\":\"v\"}\n__offset__ = int64 99\n__timestamp__ = int64 1767225600123\n"
	if got := render(m); got != want {
		t.Fatalf("message:\n%s\nwant:\n%s", got, want)
	}
	if m.Record() != r {
		t.Fatal("Record is not the source record")
	}
}

func TestNullKeyAndTombstoneAreNull(t *testing.T) {
	m, err := NewMessage(&record.Record{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"__key__", "__value__"} {
		if v, ok := m.Get(name); !ok || v != nil {
			t.Errorf("%s = %#v, %v; want NULL", name, v, ok)
		}
	}
	if v, _ := m.Get("__headers__"); v != column.JSONText("{}") {
		t.Errorf("__headers__ without headers = %#v, want {}", v)
	}
}

func TestBinaryHeadersMakeTheRecordDirtyOnlyWhenRead(t *testing.T) {
	rec := &record.Record{Headers: []record.Header{{Key: "h", Value: []byte{0xff}}}, Value: []byte("v")}
	m, err := NewMessage(rec)
	if err != nil {
		t.Fatalf("a binary header must not refuse the record up front: %v", err)
	}
	if v, _ := m.Get("__value__"); string(v.([]byte)) != "v" || m.Err() != nil {
		t.Fatalf("reading other fields: %v, err %v", v, m.Err())
	}
	if v, ok := m.Get("__headers__"); !ok || v != nil {
		t.Fatalf("__headers__ = %#v, %v; want nil", v, ok)
	}
	de := dirtyOf(t, m.Err())
	if de.Where != "input" || de.Field != "__headers__" {
		t.Fatalf("dirty error %+v, want input/__headers__", de)
	}
	if err := m.Reset(&record.Record{Value: []byte("w")}); err != nil || m.Err() != nil {
		t.Fatalf("Reset must clear the previous record's error: %v, %v", err, m.Err())
	}
}

func TestMessageSetDeleteAndResetKeepOrder(t *testing.T) {
	m := msg("a", int64(1), "b", "x", "c", true)
	m.Set("b", "y")
	m.Set("d", 2.5)
	if !m.Delete("a") || m.Delete("zz") {
		t.Fatal("Delete reports the wrong existence")
	}
	var names []string
	var vals []any
	for n, v := range m.All() {
		names = append(names, n)
		vals = append(vals, v)
	}
	if !reflect.DeepEqual(names, []string{"b", "c", "d"}) || !reflect.DeepEqual(vals, []any{"y", true, 2.5}) {
		t.Fatalf("fields %v %v", names, vals)
	}
	if err := m.Reset(nil); err != nil || m.Len() != 0 {
		t.Fatalf("Reset(nil) leaves %d fields, %v", m.Len(), err)
	}
}

func TestDynamicFieldsNeverReplaceOtherFields(t *testing.T) {
	m := msg("a", "fixed")
	if m.SetDynamic("a", "dyn") {
		t.Fatal("a dynamic field replaced a fixed one")
	}
	if !m.SetDynamic("b", int64(1)) || !m.SetDynamic("b", int64(2)) {
		t.Fatal("dynamic field not set")
	}
	if v, _ := m.Get("b"); v != int64(2) || m.DynamicCount() != 1 || !m.Dynamic(1) {
		t.Fatalf("b = %v, %d dynamic fields", v, m.DynamicCount())
	}
	m.setAt(1, "masked")
	if !m.Dynamic(1) {
		t.Fatal("a transformed dynamic field is no longer dynamic")
	}
	m.Set("b", "assigned")
	if m.Dynamic(1) || m.DynamicCount() != 0 {
		t.Fatal("an assigned field is still dynamic")
	}
}

func TestAttributeValuesAreNotMaterializedUntilRead(t *testing.T) {
	r := valueRec(`{}`)
	m, _ := NewMessage(r)
	if n := testing.AllocsPerRun(100, func() { _ = m.Reset(r) }); n != 0 {
		t.Errorf("Reset allocates %.0f times per record", n)
	}
}
