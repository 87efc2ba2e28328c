package job

import (
	"reflect"
	"strings"
	"testing"

	"github.com/fcsync/fcsync/shared/schema"
)

const streamBase = `
name: orders_rt
timezone: UTC
reader: {type: kafka, topic: orders, valueFormat: json}
processors: []
writer:
  type: hudi
  path: lake/orders
  primaryKey: [order_id]
  precombine: updated_at
  partition: {time: event_time, level: hour, hiveStyle: true}
  schema:
    - {name: order_id, type: STRING}
    - {name: amount, type: DOUBLE}
setting: {errorLimit: {record: 5}}
`

func TestLoadStreamReadsTheLakeWriter(t *testing.T) {
	s, err := LoadStream([]byte(streamBase), "x")
	if err != nil {
		t.Fatal(err)
	}
	want := Lake{
		Path: "lake/orders", Database: "default", Table: "orders",
		Columns:    []schema.Column{{Name: "order_id", Type: schema.String}, {Name: "amount", Type: schema.Double}},
		PrimaryKey: []string{"order_id"}, Precombine: "updated_at",
		Partition: LakePartition{TimeField: "event_time", TimeLevel: "hour", HiveStyle: true},
	}
	if !reflect.DeepEqual(s.Writer, want) {
		t.Errorf("writer %+v\nwant %+v", s.Writer, want)
	}
	if s.Name != "orders_rt" || s.ValueFormat != "json" || s.KeyFormat != "auto" || !reflect.DeepEqual(s.Topics, []string{"orders"}) {
		t.Errorf("name %q formats %q/%q topics %v", s.Name, s.KeyFormat, s.ValueFormat, s.Topics)
	}
	if s.ErrorRecord == nil || *s.ErrorRecord != 5 {
		t.Errorf("errorLimit.record %v, want 5", s.ErrorRecord)
	}
	withOptions := strings.Replace(streamBase, "precombine: updated_at", "precombine: updated_at\n  options: {hoodie.parquet.small.file.limit: 0, hoodie.cleaner.commits.retained: '3'}", 1)
	if o, err := LoadStream([]byte(withOptions), "x"); err != nil {
		t.Errorf("writer.options: %v", err)
	} else if want := map[string]any{"hoodie.parquet.small.file.limit": 0, "hoodie.cleaner.commits.retained": "3"}; !reflect.DeepEqual(o.Writer.Options, want) {
		t.Errorf("writer.options = %v, want %v", o.Writer.Options, want)
	}
	if !IsStream([]byte(streamBase)) {
		t.Error("IsStream says a hudi job is not a stream job")
	}
}

func TestIsStreamTellsBatchJobsApart(t *testing.T) {
	cases := map[string]bool{
		"reader: {type: kafka}\nwriter: {type: odps}\n": false,
		"reader: {type: kafka}\nwriter: {type: hudi}\n": true,
		"processors: []\nwriter: {type: odps}\n":        true,
		"{\"job\": {}}":                                 false,
		"not: [valid":                                   false,
	}
	for doc, want := range cases {
		if got := IsStream([]byte(doc)); got != want {
			t.Errorf("IsStream(%q) = %v, want %v", doc, got, want)
		}
	}
}

func TestLoadStreamErrorsNameTheField(t *testing.T) {
	cases := []struct {
		name, from, to, want string
	}{
		{"unknown top-level field", "setting:", "settings:", "settings: unknown field"},
		{"unknown writer field", "precombine: updated_at", "precombine: updated_at\n  bucket: x", "writer.bucket: unknown field"},
		{"writer of an unknown type", "type: hudi", "type: kudu", `writer.type: "kudu" is not supported`},
		{"path escapes", "path: lake/orders", "path: ../etc", "writer.path"},
		{"no path", "path: lake/orders", "path: ''", "writer.path: required"},
		{"hostile table name", "path: lake/orders", "path: lake/orders\n  table: \"a;drop\"", "writer.table"},
		{"precombine without key", "primaryKey: [order_id]", "primaryKey: []", "writer.precombine: needs writer.primaryKey"},
		{"bad level", "level: hour", "level: minute", `writer.partition.level: "minute"`},
		{"fields and time", "time: event_time", "time: event_time, fields: [a]", "fields and time exclude each other"},
		{"unknown value format", "valueFormat: json", "valueFormat: avro", `reader.valueFormat: "avro"`},
		{"processors not a list", "processors: []", "processors: {mask: {}}", "processors: want a list"},
		{"negative error limit", "record: 5", "record: -1", "setting.errorLimit.record"},
		{"bad type", "type: DOUBLE", "type: MONEY", "writer.schema[1].type"},
		{"bad zone", "timezone: UTC", "timezone: Mars/Olympus", "timezone"},
		{"options not a mapping", "precombine: updated_at", "precombine: updated_at\n  options: [a]", "writer.options: want a mapping"},
		{"unknown option", "precombine: updated_at", "precombine: updated_at\n  options: {hoodie.parquet.max.filesize: 1}", "writer.options.hoodie.parquet.max.filesize: unknown field"},
		{"bad option value", "precombine: updated_at", "precombine: updated_at\n  options: {hoodie.cleaner.commits.retained: 0}", "writer.options.hoodie.cleaner.commits.retained: 0 is out of range"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := strings.Replace(streamBase, c.from, c.to, 1)
			if doc == streamBase {
				t.Fatalf("edit %q not applied", c.from)
			}
			_, err := LoadStream([]byte(doc), "x")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to contain %q", err, c.want)
			}
		})
	}
}
