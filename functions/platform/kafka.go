package platform

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"
)

// Kafka is where the functions find Kafka when a job names a data source instead of brokers,
// from the environment: FCSYNC_KAFKA_SERVERS, FCSYNC_FORCE_SERVERS and FCSYNC_DATASOURCES.
type Kafka struct {
	Servers      []string              // FCSYNC_KAFKA_SERVERS: brokers for jobs that name none (comma-separated)
	ForceServers bool                  // FCSYNC_FORCE_SERVERS=1: use Servers even for jobs that name their own
	Datasources  map[string]Datasource // FCSYNC_DATASOURCES: {"name":{"server":"h:p,...","kafkaConfig":{...}}}
}

// Datasource is a named Kafka data source, as DataWorks' data source list holds it.
type Datasource struct {
	Server      string            `json:"server"`
	KafkaConfig map[string]string `json:"kafkaConfig,omitempty"`
}

// KafkaFromEnv reads the Kafka settings; FCSYNC_DATASOURCES must be valid JSON without unknown
// fields.
func KafkaFromEnv(getenv func(string) string) (Kafka, error) {
	k := Kafka{Servers: splitServers(getenv("FCSYNC_KAFKA_SERVERS")), ForceServers: getenv("FCSYNC_FORCE_SERVERS") == "1"}
	if ds := getenv("FCSYNC_DATASOURCES"); ds != "" {
		dec := json.NewDecoder(strings.NewReader(ds))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&k.Datasources); err != nil {
			return k, fmt.Errorf("FCSYNC_DATASOURCES: %w", err)
		}
	}
	return k, nil
}

// Resolve returns the brokers and client properties of a job that names servers, a data
// source, or neither: the job's own servers (unless ForceServers), else the data source's
// (its kafkaConfig under the job's), else Servers.
func (k Kafka) Resolve(servers []string, datasource string, props map[string]string) ([]string, map[string]string, error) {
	if k.ForceServers && len(k.Servers) > 0 {
		servers = k.Servers
	}
	if len(servers) > 0 {
		return servers, props, nil
	}
	if ds, ok := k.Datasources[datasource]; ok && datasource != "" {
		merged := maps.Clone(ds.KafkaConfig)
		if merged == nil {
			merged = map[string]string{}
		}
		maps.Copy(merged, props)
		return splitServers(ds.Server), merged, nil
	}
	if len(k.Servers) > 0 {
		return k.Servers, props, nil
	}
	if datasource != "" {
		return nil, nil, fmt.Errorf("Kafka datasource %q is not configured (set FCSYNC_DATASOURCES or FCSYNC_KAFKA_SERVERS)", datasource)
	}
	return nil, nil, fmt.Errorf("no Kafka brokers: the job names no server or datasource, and FCSYNC_KAFKA_SERVERS is empty")
}

func splitServers(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
