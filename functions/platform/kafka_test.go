package platform

import (
	"reflect"
	"strings"
	"testing"
)

func TestKafkaResolvesJobServersDatasourcesAndTheEnvironmentInThatOrder(t *testing.T) {
	env := map[string]string{
		"FCSYNC_KAFKA_SERVERS": " env1:9092, env2:9092 ,",
		"FCSYNC_DATASOURCES":   `{"shop":{"server":"ds1:9092,ds2:9092","kafkaConfig":{"security.protocol":"SASL_SSL","client.id":"ds"}}}`,
	}
	k, err := KafkaFromEnv(func(n string) string { return env[n] })
	if err != nil {
		t.Fatal(err)
	}
	forced := k
	forced.ForceServers = true
	cases := []struct {
		name        string
		k           Kafka
		servers     []string
		datasource  string
		props       map[string]string
		wantServers []string
		wantProps   map[string]string
		wantErr     string
	}{
		{"the job's own servers", k, []string{"job:9092"}, "shop", map[string]string{"a": "1"}, []string{"job:9092"}, map[string]string{"a": "1"}, ""},
		{"forced environment servers win", forced, []string{"job:9092"}, "", nil, []string{"env1:9092", "env2:9092"}, nil, ""},
		{"a datasource, the job's properties over its own", k, nil, "shop", map[string]string{"client.id": "job"},
			[]string{"ds1:9092", "ds2:9092"}, map[string]string{"security.protocol": "SASL_SSL", "client.id": "job"}, ""},
		{"an unknown datasource falls back to the environment", k, nil, "other", nil, []string{"env1:9092", "env2:9092"}, nil, ""},
		{"an unknown datasource and no environment", Kafka{}, nil, "other", nil, nil, nil, `datasource "other" is not configured`},
		{"nothing at all", Kafka{}, nil, "", nil, nil, nil, "no Kafka brokers"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			servers, props, err := c.k.Resolve(c.servers, c.datasource, c.props)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(servers, c.wantServers) || !reflect.DeepEqual(props, c.wantProps) {
				t.Fatalf("Resolve = %v, %v, %v; want %v, %v", servers, props, err, c.wantServers, c.wantProps)
			}
		})
	}
	if ds := k.Datasources["shop"].KafkaConfig["client.id"]; ds != "ds" {
		t.Fatalf("Resolve changed the datasource's own properties: client.id = %q", ds)
	}
}

func TestKafkaFromEnvRefusesUnknownDatasourceFields(t *testing.T) {
	_, err := KafkaFromEnv(func(n string) string {
		if n == "FCSYNC_DATASOURCES" {
			return `{"shop":{"server":"h:1","servers":"typo"}}`
		}
		return ""
	})
	if err == nil || !strings.Contains(err.Error(), "FCSYNC_DATASOURCES") || !strings.Contains(err.Error(), "servers") {
		t.Fatalf("error %v, want one naming FCSYNC_DATASOURCES and the unknown field", err)
	}
}
