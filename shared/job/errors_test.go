package job

import (
	"encoding/json"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// baseYAML is a small valid fcsync job; error cases change one thing in it.
func baseYAML() map[string]any {
	return map[string]any{
		"name":       "errjob",
		"timezone":   "Asia/Shanghai",
		"parameters": "startTime=$[yyyymmddhh24-1/24]0000 endTime=$[yyyymmddhh24]0000 partition=$[yyyymmddhh24]",
		"reader": map[string]any{
			"type":          "kafka",
			"server":        "127.0.0.1:9092",
			"topic":         "orders",
			"column":        []any{"__key__", "__value__"},
			"beginDateTime": "${startTime}",
			"endDateTime":   "${endTime}",
		},
		"writer": map[string]any{
			"type":      "odps",
			"table":     "ods_orders",
			"partition": "ds=${partition}",
			"column":    []any{"k", "v"},
		},
		"setting": map[string]any{
			"errorLimit": map[string]any{"record": 0},
			"speed":      map[string]any{"concurrent": 1},
		},
	}
}

// baseDataWorks is a small valid DataWorks script-mode job.
func baseDataWorks() map[string]any {
	return map[string]any{
		"type":       "job",
		"version":    "2.0",
		"parameters": "startTime=$[yyyymmddhh24-1/24]0000 endTime=$[yyyymmddhh24]0000",
		"steps": []any{
			map[string]any{"stepType": "kafka", "name": "Reader", "category": "reader", "parameter": map[string]any{
				"server": "127.0.0.1:9092", "topic": "orders", "column": []any{"__key__", "__value__"},
				"beginDateTime": "${startTime}", "endDateTime": "${endTime}", "skipExceedRecord": "false",
			}},
			map[string]any{"stepType": "odps", "name": "Writer", "category": "writer", "parameter": map[string]any{
				"table": "ods_orders", "partition": "ds=${startTime}", "truncate": "true", "column": []any{"k", "v"},
			}},
		},
		"setting": map[string]any{"errorLimit": map[string]any{"record": "0"}, "speed": map[string]any{"throttle": false, "concurrent": 2}},
	}
}

// baseDataX is a small valid classic DataX job.
func baseDataX() map[string]any {
	return map[string]any{
		"parameters": []any{"startTime=$[yyyymmddhh24-1/24]0000", "endTime=$[yyyymmddhh24]0000"},
		"job": map[string]any{
			"content": []any{map[string]any{
				"reader": map[string]any{"name": "kafkareader", "parameter": map[string]any{
					"server": "127.0.0.1:9092", "topic": "orders", "column": []any{"__key__", "__value__"},
					"beginDateTime": "${startTime}", "endDateTime": "${endTime}",
				}},
				"writer": map[string]any{"name": "odpswriter", "parameter": map[string]any{
					"table": "ods_orders", "partition": "ds=${startTime}", "column": []any{"k", "v"},
				}},
			}},
			"setting": map[string]any{"speed": map[string]any{"channel": 1}, "errorLimit": map[string]any{"record": 0, "percentage": 0.02}},
		},
	}
}

func sub(m map[string]any, key string) map[string]any { return m[key].(map[string]any) }

func step(m map[string]any, i int) map[string]any { return m["steps"].([]any)[i].(map[string]any) }

func stepParam(m map[string]any, i int) map[string]any { return sub(step(m, i), "parameter") }

func dataxSide(m map[string]any, side string) map[string]any {
	return sub(sub(m, "job")["content"].([]any)[0].(map[string]any), side)
}

func yamlSpec(t *testing.T, edit func(m map[string]any)) []byte {
	t.Helper()
	m := baseYAML()
	edit(m)
	b, err := yaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func jsonSpec(t *testing.T, base func() map[string]any, edit func(m map[string]any)) []byte {
	t.Helper()
	m := base()
	edit(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBaseSpecsLoad makes sure the error cases below fail for their one change, not for the base.
func TestBaseSpecsLoad(t *testing.T) {
	for name, data := range map[string][]byte{
		"yaml":      yamlSpec(t, func(map[string]any) {}),
		"dataworks": jsonSpec(t, baseDataWorks, func(map[string]any) {}),
		"datax":     jsonSpec(t, baseDataX, func(map[string]any) {}),
	} {
		if _, err := Load(data, "base"); err != nil {
			t.Errorf("%s base spec: %v", name, err)
		}
	}
}

const secret = "Sup3rS3cret$[oops" // contains '$[' so a careless expansion error would quote it

func TestLoadRejectsBadSpecsNamingTheField(t *testing.T) {
	tests := []struct {
		name string
		data func(t *testing.T) []byte
		want []string // every one must appear in the error
	}{
		{"unknown top-level field", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) { m["schedul"] = "0 * * * * *" })
		}, []string{"schedul", "unknown field"}},
		{"unknown reader field", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) { sub(m, "reader")["begindatetime"] = "x" })
		}, []string{"reader.begindatetime", "unknown field"}},
		{"unknown writer field", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) { sub(m, "writer")["overwrite"] = true })
		}, []string{"writer.overwrite", "unknown field"}},
		{"unknown setting field", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) { sub(m, "setting")["jvm"] = "-Xmx1g" })
		}, []string{"setting.jvm", "unknown field"}},
		{"unknown setting.speed field", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) { sub(sub(m, "setting"), "speed")["bytes"] = 10 })
		}, []string{"setting.speed.bytes", "unknown field"}},
		{"unknown setting.errorLimit field", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) { sub(sub(m, "setting"), "errorLimit")["records"] = 1 })
		}, []string{"setting.errorLimit.records", "unknown field"}},
		{"unknown field in a DataWorks step", func(t *testing.T) []byte {
			return jsonSpec(t, baseDataWorks, func(m map[string]any) { step(m, 1)["params"] = map[string]any{} })
		}, []string{"steps[1].params", "unknown field"}},
		{"unknown DataWorks top-level field", func(t *testing.T) []byte {
			return jsonSpec(t, baseDataWorks, func(m map[string]any) { m["settings"] = map[string]any{} })
		}, []string{"settings", "unknown field"}},
		{"unknown field in a DataWorks reader parameter", func(t *testing.T) []byte {
			return jsonSpec(t, baseDataWorks, func(m map[string]any) { stepParam(m, 0)["topics"] = "a" })
		}, []string{"reader.topics", "unknown field"}},
		{"unknown field in a DataX reader", func(t *testing.T) []byte {
			return jsonSpec(t, baseDataX, func(m map[string]any) { dataxSide(m, "reader")["parameters"] = map[string]any{} })
		}, []string{"job.content[0].reader.parameters", "unknown field"}},
		{"unknown DataX setting.speed field", func(t *testing.T) []byte {
			return jsonSpec(t, baseDataX, func(m map[string]any) { sub(sub(sub(m, "job"), "setting"), "speed")["channels"] = 1 })
		}, []string{"setting.speed.channels", "unknown field"}},
		{"misspelt kafkaConfig name", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) {
				sub(m, "reader")["kafkaConfig"] = map[string]any{"isolation_level": "read_committed", "group.id": "g"}
			})
		}, []string{"reader.kafkaConfig isolation_level", "did you mean isolation.level?"}},
		{"kafkaConfig isolation level that is neither", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) { sub(m, "reader")["kafkaConfig"] = map[string]any{"isolation.level": "dirty"} })
		}, []string{"isolation.level", "read_committed (the default) or read_uncommitted"}},
		{"kafkaConfig client certificate in a DataWorks reader", func(t *testing.T) []byte {
			return jsonSpec(t, baseDataWorks, func(m map[string]any) {
				stepParam(m, 0)["kafkaConfig"] = map[string]any{"ssl.keystore.location": "/etc/k.jks", "ssl.keystore.password": secret}
			})
		}, []string{"kafkaConfig ssl.keystore.location", "kafkaConfig ssl.keystore.password", "mutual TLS"}},
		{"missing topic", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) { delete(sub(m, "reader"), "topic") })
		}, []string{"reader.topic", "required"}},
		{"missing table", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) { delete(sub(m, "writer"), "table") })
		}, []string{"writer.table", "required"}},
		{"missing table in DataWorks", func(t *testing.T) []byte {
			return jsonSpec(t, baseDataWorks, func(m map[string]any) { delete(stepParam(m, 1), "table") })
		}, []string{"writer.table", "required"}},
		{"two begin edges", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) { sub(m, "reader")["beginOffset"] = 42 })
		}, []string{"reader.beginDateTime", "beginOffset", "only one"}},
		{"no begin edge", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) { delete(sub(m, "reader"), "beginDateTime") })
		}, []string{"reader.beginDateTime"}},
		{"endDateTime before beginDateTime", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) {
				sub(m, "reader")["beginDateTime"] = "20221122100000"
				sub(m, "reader")["endDateTime"] = "20221122090000"
			})
		}, []string{"reader.endDateTime", "not after"}},
		{"endDateTime equal to beginDateTime", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) { sub(m, "reader")["endDateTime"] = "${startTime}" })
		}, []string{"reader.endDateTime", "not after"}},
		{"bad beginDateTime format", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) { sub(m, "reader")["beginDateTime"] = "2022-11-22 10:00:00" })
		}, []string{"reader.beginDateTime", "yyyymmddhhmmss"}},
		{"accessKey in writer", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) { sub(m, "writer")["accessKey"] = secret })
		}, []string{"writer.accessKey", "credentials"}},
		{"accessId in DataWorks writer", func(t *testing.T) []byte {
			return jsonSpec(t, baseDataWorks, func(m map[string]any) { stepParam(m, 1)["accessId"] = secret })
		}, []string{"writer.accessId", "credentials"}},
		{"password in reader", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) { sub(m, "reader")["password"] = secret })
		}, []string{"reader.password", "credentials"}},
		{"partition value escaping its directory", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) { sub(m, "writer")["partition"] = "ds=../x" })
		}, []string{"writer.partition", ".."}},
		{"errorLimit.percentage above 1", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) { sub(sub(m, "setting"), "errorLimit")["percentage"] = 2 })
		}, []string{"setting.errorLimit.percentage", "between 0 and 1"}},
		{"errorLimit.percentage not a number", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) { sub(sub(m, "setting"), "errorLimit")["percentage"] = "2%" })
		}, []string{"setting.errorLimit.percentage"}},
		{"errorLimit.percentage NaN", func(t *testing.T) []byte {
			return []byte(strings.Replace(string(yamlSpec(t, func(map[string]any) {})), "record: 0", "percentage: .nan", 1))
		}, []string{"setting.errorLimit.percentage"}},
		{"speed.mbps infinite", func(t *testing.T) []byte {
			return []byte(strings.Replace(string(yamlSpec(t, func(map[string]any) {})), "concurrent: 1", "mbps: .inf", 1))
		}, []string{"setting.speed.mbps"}},
		{"bad timezone", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) { m["timezone"] = "Mars/Olympus_Mons" })
		}, []string{"timezone", "Mars/Olympus_Mons"}},
		{"machine-dependent timezone Local", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) { m["timezone"] = "Local" })
		}, []string{"timezone", "Local"}},
		{"machine-dependent reader timeZone Local", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) { sub(m, "reader")["timeZone"] = "Local" })
		}, []string{"reader.timeZone", "Local"}},
		{"bad reader timeZone", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) { sub(m, "reader")["timeZone"] = "GMT+99" })
		}, []string{"reader.timeZone"}},
		{"reader type other than kafka", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) { sub(m, "reader")["type"] = "mysql" })
		}, []string{"reader type", "mysql"}},
		{"DataWorks reader stepType other than kafka", func(t *testing.T) []byte {
			return jsonSpec(t, baseDataWorks, func(m map[string]any) { step(m, 0)["stepType"] = "mysql" })
		}, []string{"reader type", "mysql"}},
		{"DataX reader other than kafkareader", func(t *testing.T) []byte {
			return jsonSpec(t, baseDataX, func(m map[string]any) { dataxSide(m, "reader")["name"] = "mysqlreader" })
		}, []string{"reader type", "mysql"}},
		{"writer type other than odps", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) { sub(m, "writer")["type"] = "hdfs" })
		}, []string{"writer type", "hdfs"}},
		{"malformed JSON", func(*testing.T) []byte {
			return []byte(`{"type":"job","steps":[{"stepType":"kafka",}]}`)
		}, []string{"not valid JSON"}},
		{"JSON with trailing data", func(*testing.T) []byte {
			return []byte(`{"type":"job","steps":[]} {"more":1}`)
		}, []string{"trailing data"}},
		{"JSON that is no known format", func(*testing.T) []byte {
			return []byte(`{"name":"x"}`)
		}, []string{"steps", "job", "reader"}},
		{"malformed YAML", func(*testing.T) []byte {
			return []byte("name: x\nreader: [kafka\nwriter: {type: odps\n")
		}, []string{"not valid YAML"}},
		{"YAML that is a list", func(*testing.T) []byte {
			return []byte("- reader\n- writer\n")
		}, []string{"not valid YAML"}},
		{"empty spec", func(*testing.T) []byte { return []byte(" \n\t\n") }, []string{"empty"}},
		{"YAML document that is only a comment", func(*testing.T) []byte { return []byte("# nothing\n") }, []string{"not a mapping"}},
		{"column count mismatch between reader and writer", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) { sub(m, "writer")["column"] = []any{"k", "v", "extra"} })
		}, []string{"column mapping", "2 reader columns but 3 destination columns"}},
		{"unknown custom parameter", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) { sub(m, "writer")["table"] = "ods_${nope}" })
		}, []string{"writer.table", "${nope}"}},
		{"unknown custom parameter in a parameter", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) { m["parameters"] = "startTime=${nope} endTime=$[yyyymmddhh24]0000 partition=x" })
		}, []string{"parameter startTime", "${nope}"}},
		{"bad late policy", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) { m["late"] = "drop" })
		}, []string{"late", "drop"}},
		{"bad schedule", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) { m["schedule"] = "every day" })
		}, []string{"schedule"}},
		{"window that does not tile without a schedule", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) {
				m["parameters"] = "startTime=${yyyymmdd}000000 endTime=$[yyyymmddhh24]0000 partition=$[yyyymmddhh24]"
			})
		}, []string{"job errjob", "schedule: required", "do not meet"}},
		{"DataWorks window that does not tile without a schedule", func(t *testing.T) []byte {
			return jsonSpec(t, baseDataWorks, func(m map[string]any) { m["parameters"] = "startTime=${yyyymmdd}000000 endTime=$[yyyymmddhh24]0000" })
		}, []string{"job errjob", "schedule: required", "do not meet"}},
		{"DataX window that does not tile without a schedule", func(t *testing.T) []byte {
			return jsonSpec(t, baseDataX, func(m map[string]any) {
				m["parameters"] = []any{"startTime=${yyyymmdd}000000", "endTime=$[yyyymmddhh24]0000"}
			})
		}, []string{"job errjob", "schedule: required", "do not meet"}},
		{"job name with a slash", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) { m["name"] = "../etc" })
		}, []string{"name", "../etc"}},
		{"two topics", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) { sub(m, "reader")["topic"] = "a,b" })
		}, []string{"reader.topic", "one topic"}},
		{"endOffset as a seek keyword", func(t *testing.T) []byte {
			return yamlSpec(t, func(m map[string]any) {
				r := sub(m, "reader")
				delete(r, "endDateTime")
				r["endOffset"] = "seekToEnd"
			})
		}, []string{"reader.endOffset"}},
		{"string boolean that is not a boolean", func(t *testing.T) []byte {
			return jsonSpec(t, baseDataWorks, func(m map[string]any) { stepParam(m, 1)["truncate"] = "yes" })
		}, []string{"writer.truncate", "yes"}},
		{"DataWorks job with two reader steps", func(t *testing.T) []byte {
			return jsonSpec(t, baseDataWorks, func(m map[string]any) { m["steps"] = append(m["steps"].([]any), step(m, 0)) })
		}, []string{"steps[2]", "one reader"}},
		{"DataX job with two content pairs", func(t *testing.T) []byte {
			return jsonSpec(t, baseDataX, func(m map[string]any) {
				j := sub(m, "job")
				j["content"] = append(j["content"].([]any), j["content"].([]any)[0])
			})
		}, []string{"job.content", "exactly one"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.data(t)
			s, err := Load(data, "errjob")
			if err == nil {
				t.Fatalf("Load accepted the spec (format %s):\n%s", s.Format, data)
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
			if strings.Contains(msg, "Sup3rS3cret") {
				t.Errorf("error reveals the secret: %q", msg)
			}
		})
	}
}

// TestCredentialsNeverAppearInErrors puts a secret under every credential key, in every place a
// job can hold one, with and without a second mistake, and checks no error quotes it.
func TestCredentialsNeverAppearInErrors(t *testing.T) {
	keys := []string{"accessId", "accessKey", "accessKeyId", "accessKeySecret", "securityToken", "password"}
	values := []any{secret, "plainSecretValue", "${secretParam}", map[string]any{"v": "plainSecretValue"}}
	for _, side := range []string{"reader", "writer"} {
		for _, k := range keys {
			for _, v := range values {
				data := yamlSpec(t, func(m map[string]any) { sub(m, side)[k] = v })
				_, err := Load(data, "cred")
				if err == nil {
					t.Fatalf("%s.%s accepted", side, k)
				}
				msg := err.Error()
				if !strings.Contains(msg, side+"."+k) {
					t.Errorf("%s.%s: error %q does not name the field", side, k, msg)
				}
				for _, leak := range []string{"Sup3rS3cret", "plainSecretValue", "secretParam"} {
					if strings.Contains(msg, leak) {
						t.Errorf("%s.%s: error reveals the secret: %q", side, k, msg)
					}
				}
			}
		}
	}
}
