package job

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/column"
	"github.com/fcsync/fcsync/shared/schema"
)

func TestGeneratedTableIsNamedAfterTheTopic(t *testing.T) {
	long := strings.Repeat("a", 200)
	tests := []struct {
		topic, want string
	}{
		{"orders", "orders"},
		{"Orders_2024", "Orders_2024"},
		{"my.topic-1", "my_topic_1"},
		{"1orders", "t_1orders"},
		{"9", "t_9"},
		{"_private", "_private"},
		{"a/b:c", "a_b_c"},
		{"订单", "______"}, // each byte of a non-ASCII letter becomes _
		{long, long[:128]},
		{"7" + long, "t_7" + long[:125]},
	}
	at := time.Date(2022, 11, 22, 10, 5, 0, 0, shanghai)
	for _, tc := range tests {
		t.Run(tc.want[:min(len(tc.want), 20)], func(t *testing.T) {
			data := yamlSpec(t, func(m map[string]any) {
				sub(m, "reader")["topic"] = tc.topic
				sub(m, "writer")["partition"] = "ds=${partition},hh=$[hh24]"
				sub(m, "writer")["lifecycle"] = 7
			})
			s, err := Load(data, "gen")
			if err != nil {
				t.Fatal(err)
			}
			j, err := s.Bind(at, nil)
			if err != nil {
				t.Fatal(err)
			}
			tbl := j.GeneratedTable()
			if tbl.Name != tc.want {
				t.Errorf("name = %q, want %q", tbl.Name, tc.want)
			}
			if err := tbl.Validate(); err != nil {
				t.Errorf("generated table is not valid: %v", err)
			}
			var names []string
			for _, c := range tbl.Columns {
				names = append(names, c.Name)
			}
			wantNames := []string{"__key__", "__value__", "__partition__", "__headers__", "__offset__", "__timestamp__"}
			if !reflect.DeepEqual(names, wantNames) {
				t.Errorf("columns = %v, want the six attribute columns %v", names, wantNames)
			}
			if !reflect.DeepEqual(tbl.Columns, column.AttributeColumns()) {
				t.Errorf("column types differ from column.AttributeColumns: %+v", tbl.Columns)
			}
			wantParts := []schema.Column{{Name: "ds", Type: schema.String}, {Name: "hh", Type: schema.String}}
			if !reflect.DeepEqual(tbl.Partitions, wantParts) {
				t.Errorf("partitions = %+v, want %+v", tbl.Partitions, wantParts)
			}
			if tbl.Lifecycle != 36500 {
				t.Errorf("lifecycle = %d, want 36500 (the job's own lifecycle 7 does not apply)", tbl.Lifecycle)
			}
			if j.Writer.Table.Lifecycle != 7 {
				t.Errorf("writer table lifecycle = %d, want 7", j.Writer.Table.Lifecycle)
			}
		})
	}
}

func TestGroupIDWinsOverKafkaConfigGroupID(t *testing.T) {
	tests := []struct {
		name      string
		groupID   any // nil: not given
		config    map[string]any
		wantGroup string
		wantCfg   string // kafkaConfig group.id after binding; "-" when absent
	}{
		{"groupId only", "g1", nil, "g1", "-"},
		{"kafkaConfig group.id only", nil, map[string]any{"group.id": "g2"}, "g2", "g2"},
		{"both: groupId wins", "g1", map[string]any{"group.id": "g2"}, "g1", "g1"},
		{"neither", nil, map[string]any{"client.id": "c"}, "", "-"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := yamlSpec(t, func(m map[string]any) {
				r := sub(m, "reader")
				if tc.groupID != nil {
					r["groupId"] = tc.groupID
				}
				if tc.config != nil {
					r["kafkaConfig"] = tc.config
				}
			})
			s, err := Load(data, "grp")
			if err != nil {
				t.Fatal(err)
			}
			j, err := s.Bind(time.Date(2022, 11, 22, 10, 5, 0, 0, shanghai), nil)
			if err != nil {
				t.Fatal(err)
			}
			if j.Reader.GroupID != tc.wantGroup {
				t.Errorf("GroupID = %q, want %q", j.Reader.GroupID, tc.wantGroup)
			}
			got, ok := j.Reader.KafkaConfig["group.id"]
			if !ok {
				got = "-"
			}
			if got != tc.wantCfg {
				t.Errorf("kafkaConfig group.id = %q, want %q", got, tc.wantCfg)
			}
		})
	}
}
