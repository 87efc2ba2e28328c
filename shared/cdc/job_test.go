package cdc

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const minimalJob = `
reader: {type: mariadb, tables: [shop.orders]}
writer: {type: kafka}
`

func TestLoadJobAppliesDefaults(t *testing.T) {
	j, err := Load([]byte(minimalJob), "shop_cdc")
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"name", j.Name, "shop_cdc"},
		{"timezone", j.Location.String(), "Asia/Shanghai"},
		{"flavor", j.Reader.Flavor, FlavorMariaDB},
		{"serverId", j.Reader.ServerID, uint32(DefaultServerID)},
		{"snapshot", j.Reader.Snapshot, true},
		{"chunkRows", j.Reader.ChunkRows, DefaultChunkRows},
		{"position", j.Reader.Position, PositionFile},
		{"onPurged", j.Reader.OnPurged, OnPurgedFail},
		{"allowNoPrimaryKey", j.Reader.AllowNoPrimaryKey, false},
		{"topic", j.Writer.Topics.Default, DefaultTopic},
		{"createTopic", j.Writer.CreateTopic, true},
		{"partitions", j.Writer.Partitions, DefaultPartitions},
		{"updateAs", j.Writer.UpdateAs, UpdateOne},
		{"heartbeat", j.Writer.Heartbeat, true},
		{"heartbeatInterval", j.Writer.HeartbeatInterval, 5 * time.Second},
		{"ddl", j.Writer.DDL, true},
		{"budget", j.Budget, DefaultBudget},
		{"batchRecords", j.BatchRecords, DefaultBatchRecords},
		{"mode", j.Mode, ModeCatchup},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestLoadJobReadsEverySetting(t *testing.T) {
	j, err := Load([]byte(`{
 "name": "crm", "timezone": "UTC",
 "reader": {"type": "mysql", "dsn": "cdc@tcp(db:3306)/", "serverId": "9", "tables": "crm.*, shop.orders", "exclude": ["crm.tmp_*"],
   "keys": {"crm.logs": ["device", "seq"]}, "allowNoPrimaryKey": "true", "snapshot": false, "chunkRows": 10,
   "position": "GTID", "onPurgedBinlog": "resnapshot"},
 "writer": {"type": "kafka", "server": "k1:9092, k2:9092", "kafkaConfig": {"client.id": "x"}, "topic": "${db}.${table}",
   "prefix": "p_", "suffix": "_s", "rules": [{"table": "shop.orders", "topic": "orders"}, {"regex": "crm\\.(.*)", "topic": "c_$1"}],
   "createTopic": false, "partitions": 6, "replicationFactor": 3, "updateAs": "two", "heartbeat": false,
   "heartbeatInterval": "10s", "ddl": false, "compression": "zstd"},
 "setting": {"budget": "20s", "batchRecords": 100, "batchBytes": 65536, "mode": "follow"}}`), "x")
	if err != nil {
		t.Fatal(err)
	}
	r, w := j.Reader, j.Writer
	if j.Name != "crm" || j.Location != time.UTC || r.Flavor != FlavorMySQL || r.Source == nil || r.Source.Host != "db" || r.ServerID != 9 ||
		len(r.Tables) != 2 || r.Exclude[0] != "crm.tmp_*" || r.Keys["crm.logs"][1] != "seq" || !r.AllowNoPrimaryKey || r.Snapshot ||
		r.ChunkRows != 10 || r.Position != PositionGTID || r.OnPurged != OnPurgedResnapshot {
		t.Errorf("reader: %+v", r)
	}
	if len(w.Servers) != 2 || w.KafkaConfig["client.id"] != "x" || w.Topics.Default != "${db}.${table}" || w.Topics.Prefix != "p_" ||
		w.Topics.Suffix != "_s" || len(w.Topics.Rules) != 2 || w.CreateTopic || w.Partitions != 6 || w.ReplicationFactor != 3 ||
		w.UpdateAs != UpdateTwo || w.Heartbeat || w.HeartbeatInterval != 10*time.Second || w.DDL || w.Compression != "zstd" {
		t.Errorf("writer: %+v", w)
	}
	if j.Budget != 20*time.Second || j.BatchRecords != 100 || j.BatchBytes != 65536 || j.Mode != ModeFollow {
		t.Errorf("setting: %v %d %d %s", j.Budget, j.BatchRecords, j.BatchBytes, j.Mode)
	}
	if !j.Selects("crm", "users") || j.Selects("crm", "tmp_x") || !j.Selects("shop", "orders") || j.Selects("shop", "items") {
		t.Error("Selects does not follow tables and exclude")
	}
}

func TestLoadJobErrorsNameTheField(t *testing.T) {
	cases := []struct{ job, want string }{
		{`{reader: {tables: [a.b]}, writer: {}, extra: 1}`, "extra: unknown field"},
		{`{reader: {tables: [a.b], tabels: x}, writer: {}}`, "reader.tabels: unknown field"},
		{`{reader: {tables: [a.b]}, writer: {topics: x}}`, "writer.topics: unknown field"},
		{`{reader: {tables: [a.b]}, writer: {}, setting: {speed: 1}}`, "setting.speed: unknown field"},
		{`{reader: {tables: [a.b]}}`, "writer: required"},
		{`{reader: {}, writer: {}}`, "reader.tables"},
		{`{reader: {tables: [orders]}, writer: {}}`, "reader.tables[0]"},
		{`{reader: {tables: [a.b], exclude: ["a.["]}, writer: {}}`, "reader.exclude[0]"},
		{`{reader: {type: oracle, tables: [a.b]}, writer: {}}`, "reader.type"},
		{`{reader: {tables: [a.b], serverId: 0}, writer: {}}`, "reader.serverId"},
		{`{reader: {tables: [a.b], chunkRows: -1}, writer: {}}`, "reader.chunkRows"},
		{`{reader: {tables: [a.b], position: lsn}, writer: {}}`, "reader.position"},
		{`{reader: {tables: [a.b], onPurgedBinlog: skip}, writer: {}}`, "reader.onPurgedBinlog"},
		{`{reader: {tables: [a.b], keys: {orders: [id]}}, writer: {}}`, "reader.keys.orders"},
		{`{reader: {tables: [a.b], keys: {a.b: []}}, writer: {}}`, "reader.keys.a.b"},
		{`{reader: {tables: [a.b], dsn: "x:y@tcp(h:0)/"}, writer: {}}`, "reader.dsn"},
		{`{reader: {tables: [a.b], dsn: "x@h", datasource: d}, writer: {}}`, "dsn or datasource"},
		{`{reader: {tables: [a.b], snapshot: maybe}, writer: {}}`, "reader.snapshot"},
		{`{reader: {tables: [a.b]}, writer: {type: datahub}}`, "writer.type"},
		{`{reader: {tables: [a.b]}, writer: {topic: "${schema}"}}`, "writer.topic"},
		{`{reader: {tables: [a.b]}, writer: {rules: {table: a.b}}}`, "writer.rules"},
		{`{reader: {tables: [a.b]}, writer: {rules: [{table: a.b, regex: x, topic: t}]}}`, "writer.rules[0]"},
		{`{reader: {tables: [a.b]}, writer: {rules: [{topic: t}]}}`, "writer.rules[0]"},
		{`{reader: {tables: [a.b]}, writer: {rules: [{regex: "(", topic: t}]}}`, "writer.rules[0].regex"},
		{`{reader: {tables: [a.b]}, writer: {rules: [{table: a.b, topic: "${1}"}]}}`, "writer.rules[0].topic"},
		{`{reader: {tables: [a.b]}, writer: {rules: [{table: a.b, topic: t, to: x}]}}`, "writer.rules[0].to: unknown field"},
		{`{reader: {tables: [a.b]}, writer: {partitions: 0}}`, "writer.partitions"},
		{`{reader: {tables: [a.b]}, writer: {updateAs: three}}`, "writer.updateAs"},
		{`{reader: {tables: [a.b]}, writer: {heartbeatInterval: 10ms}}`, "writer.heartbeatInterval"},
		{`{reader: {tables: [a.b]}, writer: {compression: brotli}}`, "writer.compression"},
		{`{reader: {tables: [a.b]}, writer: {kafkaConfig: [x]}}`, "writer.kafkaConfig"},
		{`{reader: {tables: [a.b]}, writer: {}, setting: {budget: soon}}`, "setting.budget"},
		{`{reader: {tables: [a.b]}, writer: {}, setting: {batchBytes: 10}}`, "setting.batchBytes"},
		{`{reader: {tables: [a.b]}, writer: {}, setting: {mode: forever}}`, "setting.mode"},
		{`{reader: {tables: [a.b]}, writer: {}, setting: {concurrency: 0}}`, "setting.concurrency: 0 is out of range 1..64"},
		{`{reader: {tables: [a.b]}, writer: {}, setting: {allowDirty: maybe}}`, "setting.allowDirty"},
		{`{reader: {tables: [a.b]}, writer: {additionalFields: [{name: x, variable: NOW}]}}`, "writer.additionalFields[0].variable"},
		{`{reader: {tables: [a.b]}, writer: {additionalFields: [{name: x}]}}`, "writer.additionalFields[0]: give value"},
		{`{reader: {tables: [a.b]}, writer: {additionalFields: [{value: x}]}}`, "writer.additionalFields[0].name"},
		{`{reader: {tables: [a.b]}, writer: {tables: [{table: a}]}}`, "writer.tables[0].table"},
		{`{reader: {tables: [a.b]}, writer: {tables: [{table: a.b, partitions: 0}]}}`, "writer.tables[0].partitions"},
		{`{reader: {tables: [a.b]}, writer: {tables: [{table: a.b, topic: x}]}}`, "writer.tables[0].topic: unknown field"},
		{`{reader: {tables: [a.b]}, writer: {tables: [{table: a.b, fields: [{column: c, type: INT}]}]}}`, "writer.tables[0].fields[0].type"},
		{`{reader: {tables: [a.b]}, writer: {tables: [{table: a.b, fields: [{column: c}]}]}}`, "writer.tables[0].fields[0]: give name"},
		{`{reader: {tables: [a.b]}, writer: {tables: [{table: a.b, additionalFields: [{name: x, variable: y}]}]}}`, "writer.tables[0].additionalFields[0].variable"},
		{`{reader: {tables: [a.b]}, writer: {}, timezone: Mars/Base}`, "timezone"},
		{`{name: "../x", reader: {tables: [a.b]}, writer: {}}`, "name"},
		{`[1, 2]`, "not valid YAML or JSON"},
		{``, "empty"},
		{`{"reader": [}`, "not valid YAML or JSON"},
	}
	for _, c := range cases {
		_, err := Load([]byte(c.job), "j")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Load(%s): error %v, want one mentioning %q", c.job, err, c.want)
		}
	}
}

func TestJobErrorsNeverShowTheDSNPassword(t *testing.T) {
	_, err := Load([]byte(`{reader: {tables: [a.b], dsn: "cdc:Sup3rSecret@tcp(h:70000)/"}, writer: {}}`), "j")
	if err == nil || strings.Contains(err.Error(), "Sup3rSecret") {
		t.Errorf("error %v: want one without the password", err)
	}
}

func FuzzLoadJob(f *testing.F) {
	f.Add([]byte(minimalJob))
	f.Add([]byte(`{"reader":{"tables":["a.*"],"keys":{"a.b":["c"]}},"writer":{"rules":[{"regex":"a\\.(b)","topic":"${1}"}]}}`))
	f.Add([]byte("reader: {tables: [a.b], dsn: 'u:p@tcp(h:1)/'}\nwriter: {topic: '${db}'}\nsetting: {budget: 1m}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		j, err := Load(data, "fuzz")
		if err != nil {
			return
		}
		if len(j.Reader.Tables) == 0 || j.Location == nil || j.Budget < time.Second || j.BatchRecords < 1 {
			t.Fatalf("accepted an unusable job: %+v", j)
		}
		_ = j.selection()
		_, _ = j.Writer.Topics.Topic("db", "table")
	})
}

func TestExampleJobsLoad(t *testing.T) {
	files, err := filepath.Glob("../../infra/jobs/cdc/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example cdc jobs: %v", err)
	}
	for _, f := range files {
		j, err := LoadFile(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if got, err := j.Writer.Topics.Topic("shop", "audit_login"); err != nil || got != "shop.audit.login" {
			t.Errorf("%s: shop.audit_login goes to %q, %v", f, got, err)
		}
	}
}
