package kafka

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

func saslFor(t *testing.T, mech, user, pass string) sasl.Mechanism {
	switch mech {
	case MechanismPlain:
		return plain.Auth{User: user, Pass: pass}.AsMechanism()
	case MechanismSCRAMSHA256:
		return scram.Auth{User: user, Pass: pass}.AsSha256Mechanism()
	case MechanismSCRAMSHA512:
		return scram.Auth{User: user, Pass: pass}.AsSha512Mechanism()
	}
	t.Fatalf("no mechanism %s", mech)
	return nil
}

const secret = "pw-SECRET-1234"

var brokers = []string{"b1:9092", "b2:9092"}

func TestConfigFromPropertiesMapsConsumerProperties(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, []byte("not read until Dial"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		props map[string]string
		check func(t *testing.T, c Config)
	}{
		{"no properties", nil, func(t *testing.T, c Config) {
			if c.SASL.Mechanism != "" || c.TLS.Enabled || len(c.UnknownProperties) != 0 || !slices.Equal(c.Brokers, brokers) || c.Topic != "topic" {
				t.Errorf("config %+v", c)
			}
		}},
		{"SASL_PLAINTEXT with the plain login module", map[string]string{
			"security.protocol": "SASL_PLAINTEXT",
			"sasl.mechanism":    "PLAIN",
			"sasl.jaas.config":  `org.apache.kafka.common.security.plain.PlainLoginModule required username="u1" password="p@ss\"w0rd";`,
		}, func(t *testing.T, c Config) {
			if c.SASL != (SASL{MechanismPlain, "u1", `p@ss"w0rd`}) || c.TLS.Enabled {
				t.Errorf("SASL %#v TLS %v", c.SASL, c.TLS.Enabled)
			}
		}},
		{"plain module without sasl.mechanism means PLAIN", map[string]string{
			"security.protocol": "sasl_plaintext",
			"sasl.jaas.config":  "org.apache.kafka.common.security.plain.PlainLoginModule required\n  username=u2\n  password=\"x\";",
		}, func(t *testing.T, c Config) {
			if c.SASL.Mechanism != MechanismPlain || c.SASL.Username != "u2" || c.SASL.Password != "x" {
				t.Errorf("SASL %#v", c.SASL)
			}
		}},
		{"SASL_SSL with SCRAM, a PEM CA and no host name check", map[string]string{
			"security.protocol":                     "SASL_SSL",
			"sasl.mechanism":                        "SCRAM-SHA-512",
			"sasl.jaas.config":                      `org.apache.kafka.common.security.scram.ScramLoginModule required username="u3" password="pw";`,
			"ssl.ca.location":                       ca,
			"ssl.endpoint.identification.algorithm": "",
		}, func(t *testing.T, c Config) {
			if c.SASL.Mechanism != MechanismSCRAMSHA512 || !c.TLS.Enabled || c.TLS.CAFile != ca || !c.TLS.SkipHostnameCheck || c.TLS.InsecureSkipVerify {
				t.Errorf("SASL %#v TLS %+v", c.SASL, c.TLS)
			}
		}},
		{"SSL with a PEM truststore checks host names", map[string]string{
			"security.protocol":       "SSL",
			"ssl.truststore.type":     "PEM",
			"ssl.truststore.location": ca,
		}, func(t *testing.T, c Config) {
			if !c.TLS.Enabled || c.TLS.CAFile != ca || c.TLS.SkipHostnameCheck {
				t.Errorf("TLS %+v", c.TLS)
			}
		}},
		{"ids, timeouts, sizes and reset", map[string]string{
			"client.id":                 "cid",
			"group.id":                  "gid",
			"request.timeout.ms":        "1500",
			"session.timeout.ms":        "10000",
			"fetch.max.bytes":           "2000000",
			"max.partition.fetch.bytes": "1048576",
			"max.poll.records":          "250",
			"auto.offset.reset":         "Earliest",
		}, func(t *testing.T, c Config) {
			if c.ClientID != "cid" || c.GroupID != "gid" || c.RequestTimeout != 1500*time.Millisecond ||
				c.FetchBytes != 1048576 || c.BatchRecords != 250 || c.AutoOffsetReset != "earliest" {
				t.Errorf("config %+v", c)
			}
		}},
		{"unknown properties are listed by name for the caller", map[string]string{
			"group.id":           "g",
			"enable.auto.commit": "false",
			"key.deserializer":   "org.apache.kafka.common.serialization.StringDeserializer",
		}, func(t *testing.T, c Config) {
			if !slices.Equal(c.UnknownProperties, []string{"enable.auto.commit", "key.deserializer"}) {
				t.Errorf("UnknownProperties = %v", c.UnknownProperties)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ConfigFromProperties(brokers, "topic", tt.props)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestConfigFromPropertiesRejectsWhatItCannotHonour(t *testing.T) {
	jaas := func(body string) string {
		return `org.apache.kafka.common.security.plain.PlainLoginModule required ` + body
	}
	tests := []struct {
		name  string
		props map[string]string
		want  string
	}{
		{"unknown protocol", map[string]string{"security.protocol": "SSL_PLAINTEXT"}, "security.protocol"},
		{"JKS truststore", map[string]string{"security.protocol": "SSL", "ssl.truststore.location": "/x/trust.jks", "ssl.truststore.password": secret}, "JKS truststore is not supported"},
		{"GSSAPI", map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "GSSAPI", "sasl.jaas.config": jaas(`username="u" password="` + secret + `";`)}, "GSSAPI"},
		{"sasl without a SASL protocol", map[string]string{"sasl.mechanism": "PLAIN"}, "security.protocol"},
		{"no jaas config", map[string]string{"security.protocol": "SASL_PLAINTEXT"}, "sasl.jaas.config is required"},
		{"scram module without mechanism", map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.jaas.config": `org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="` + secret + `";`}, "SCRAM-SHA-256"},
		{"module and mechanism disagree", map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "SCRAM-SHA-256", "sasl.jaas.config": jaas(`username="u" password="` + secret + `";`)}, "does not match"},
		{"unterminated quote", map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.jaas.config": jaas(`username="u" password="` + secret + `;`)}, "unterminated"},
		{"missing semicolon", map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.jaas.config": jaas(`username="u" password="` + secret + `"`)}, "missing ';'"},
		{"missing equals", map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.jaas.config": jaas(`username="u" password "` + secret + `";`)}, "expected '='"},
		{"bad flag", map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule mandatory username="u" password="` + secret + `";`}, "control flag"},
		{"no username", map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.jaas.config": jaas(`password="` + secret + `";`)}, "no username"},
		{"text after the entry", map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.jaas.config": jaas(`username="u" password="` + secret + `"; ` + secret)}, "after ';'"},
		{"unknown module", map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.jaas.config": `com.example.Login required username="u" password="` + secret + `";`}, "not supported"},
		{"bad number", map[string]string{"fetch.max.bytes": "lots"}, "fetch.max.bytes"},
		{"bad reset", map[string]string{"auto.offset.reset": "smallest"}, "auto.offset.reset"},
		{"bad endpoint algorithm", map[string]string{"security.protocol": "SSL", "ssl.endpoint.identification.algorithm": "http"}, "endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ConfigFromProperties(brokers, "topic", tt.props)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "SECRET") {
				t.Errorf("err shows the password: %v", err)
			}
		})
	}
	if _, err := ConfigFromProperties(nil, "topic", nil); err == nil {
		t.Error("no brokers accepted")
	}
	if c, err := ConfigFromProperties(nil, "topic", map[string]string{"bootstrap.servers": "a:1, b:2"}); err != nil || !slices.Equal(c.Brokers, []string{"a:1", "b:2"}) {
		t.Errorf("bootstrap.servers: %v %v", c.Brokers, err)
	}
}

func TestPrintingAConfigHidesThePassword(t *testing.T) {
	c := Config{Brokers: brokers, Topic: "t", SASL: SASL{Mechanism: MechanismPlain, Username: "u", Password: secret}}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(verb, c); strings.Contains(s, "SECRET") {
			t.Errorf("%s shows the password: %s", verb, s)
		}
	}
}
