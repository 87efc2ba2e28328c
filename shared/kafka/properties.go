package kafka

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// A window reader's kafkaConfig is a Java consumer's properties (DataWorks
// passes it to KafkaConsumer). Every name falls in one of four classes:
//
//   - applied: knownProperties, read by ConfigFromProperties;
//   - not applied but harmless: a Kafka consumer property whose job fcsync
//     does another way or not at all without changing which records a
//     window holds (readerIgnored). Accepted, with a warning in the run
//     record;
//   - refused: a property that would change what is read or how the client
//     authenticates, which fcsync cannot honour (readerRefused). An error;
//   - anything else: not a Kafka consumer property, most likely misspelt.
//     An error, with the nearest known name when one is close.

// readerIgnored holds, per consumer property, why a window reader does not
// need it.
var readerIgnored = map[string]string{
	// Group membership: a window reads its planned offsets without joining.
	"session.timeout.ms":                       "windows read their planned offsets without joining the consumer group",
	"heartbeat.interval.ms":                    "windows read their planned offsets without joining the consumer group",
	"max.poll.interval.ms":                     "windows read their planned offsets without joining the consumer group",
	"partition.assignment.strategy":            "windows read their planned offsets without joining the consumer group",
	"group.instance.id":                        "windows read their planned offsets without joining the consumer group",
	"group.protocol":                           "windows read their planned offsets without joining the consumer group",
	"group.remote.assignor":                    "windows read their planned offsets without joining the consumer group",
	"internal.leave.group.on.close":            "windows read their planned offsets without joining the consumer group",
	"enable.auto.commit":                       "fcsync commits the group's offsets itself once a window is committed",
	"auto.commit.interval.ms":                  "fcsync commits the group's offsets itself once a window is committed",
	"auto.offset.reset":                        "a window starts at the previous window's end, or at the job's begin position for the first one",
	"key.deserializer":                         "keyType says how keys are read",
	"value.deserializer":                       "valueType says how values are read",
	"check.crcs":                               "fcsync always checks record batch CRCs",
	"exclude.internal.topics":                  "a job reads the one topic it names",
	"allow.auto.create.topics":                 "fcsync never creates the topic it reads; a missing topic is an error",
	"fetch.min.bytes":                          "fcsync's fetches return as soon as any record is there",
	"fetch.max.wait.ms":                        "fcsync bounds a fetch's wait itself (2 s, and waitTime)",
	"send.buffer.bytes":                        "the operating system's socket buffers are used",
	"receive.buffer.bytes":                     "the operating system's socket buffers are used",
	"reconnect.backoff.ms":                     "fcsync retries with its own backoff",
	"reconnect.backoff.max.ms":                 "fcsync retries with its own backoff",
	"retry.backoff.ms":                         "fcsync retries with its own backoff",
	"retry.backoff.max.ms":                     "fcsync retries with its own backoff",
	"default.api.timeout.ms":                   "request.timeout.ms bounds each request",
	"connections.max.idle.ms":                  "a window's connections last one invocation",
	"socket.connection.setup.timeout.ms":       "fcsync dials with a 10 s timeout",
	"socket.connection.setup.timeout.max.ms":   "fcsync dials with a 10 s timeout",
	"metadata.max.age.ms":                      "fcsync refreshes metadata every 5 s",
	"metadata.recovery.strategy":               "fcsync re-reads metadata from the bootstrap servers",
	"metadata.recovery.rebootstrap.trigger.ms": "fcsync re-reads metadata from the bootstrap servers",
	"client.dns.lookup":                        "host names resolve as the operating system does",
	"client.rack":                              "fcsync fetches from partition leaders",
	"metric.reporters":                         "fcsync reports through run records and logs",
	"metrics.num.samples":                      "fcsync reports through run records and logs",
	"metrics.recording.level":                  "fcsync reports through run records and logs",
	"metrics.sample.window.ms":                 "fcsync reports through run records and logs",
	"auto.include.jmx.reporter":                "fcsync reports through run records and logs",
	"enable.metrics.push":                      "fcsync reports through run records and logs",
	"security.providers":                       "Go's TLS and SASL implementations are used",
	// TLS: Go's crypto/tls, TLS 1.2 or later, its own cipher suites.
	"ssl.protocol":                     "Go's TLS (1.2 or later) is used",
	"ssl.enabled.protocols":            "Go's TLS (1.2 or later) is used",
	"ssl.cipher.suites":                "Go's TLS chooses the cipher suites",
	"ssl.provider":                     "Go's TLS is used",
	"ssl.engine.factory.class":         "Go's TLS is used",
	"ssl.secure.random.implementation": "Go's TLS is used",
	"ssl.keymanager.algorithm":         "Go's TLS is used",
	"ssl.trustmanager.algorithm":       "Go's TLS is used",
	"ssl.truststore.password":          "a PEM truststore has no password",
	// SASL mechanisms fcsync does not offer are refused by sasl.mechanism.
	"sasl.kerberos.service.name":                          "only PLAIN and SCRAM logins are supported",
	"sasl.kerberos.kinit.cmd":                             "only PLAIN and SCRAM logins are supported",
	"sasl.kerberos.ticket.renew.window.factor":            "only PLAIN and SCRAM logins are supported",
	"sasl.kerberos.ticket.renew.jitter":                   "only PLAIN and SCRAM logins are supported",
	"sasl.kerberos.min.time.before.relogin":               "only PLAIN and SCRAM logins are supported",
	"sasl.login.refresh.window.factor":                    "only PLAIN and SCRAM logins are supported",
	"sasl.login.refresh.window.jitter":                    "only PLAIN and SCRAM logins are supported",
	"sasl.login.refresh.min.period.seconds":               "only PLAIN and SCRAM logins are supported",
	"sasl.login.refresh.buffer.seconds":                   "only PLAIN and SCRAM logins are supported",
	"sasl.login.connect.timeout.ms":                       "only PLAIN and SCRAM logins are supported",
	"sasl.login.read.timeout.ms":                          "only PLAIN and SCRAM logins are supported",
	"sasl.login.retry.backoff.ms":                         "only PLAIN and SCRAM logins are supported",
	"sasl.login.retry.backoff.max.ms":                     "only PLAIN and SCRAM logins are supported",
	"sasl.login.class":                                    "only PLAIN and SCRAM logins are supported",
	"sasl.login.callback.handler.class":                   "only PLAIN and SCRAM logins are supported",
	"sasl.client.callback.handler.class":                  "only PLAIN and SCRAM logins are supported",
	"sasl.oauthbearer.token.endpoint.url":                 "only PLAIN and SCRAM logins are supported",
	"sasl.oauthbearer.scope.claim.name":                   "only PLAIN and SCRAM logins are supported",
	"sasl.oauthbearer.sub.claim.name":                     "only PLAIN and SCRAM logins are supported",
	"sasl.oauthbearer.jwks.endpoint.url":                  "only PLAIN and SCRAM logins are supported",
	"sasl.oauthbearer.jwks.endpoint.refresh.ms":           "only PLAIN and SCRAM logins are supported",
	"sasl.oauthbearer.jwks.endpoint.retry.backoff.ms":     "only PLAIN and SCRAM logins are supported",
	"sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms": "only PLAIN and SCRAM logins are supported",
	"sasl.oauthbearer.clock.skew.seconds":                 "only PLAIN and SCRAM logins are supported",
	"sasl.oauthbearer.expected.audience":                  "only PLAIN and SCRAM logins are supported",
	"sasl.oauthbearer.expected.issuer":                    "only PLAIN and SCRAM logins are supported",
	"sasl.oauthbearer.header.urlencode":                   "only PLAIN and SCRAM logins are supported",
}

// readerRefused holds, per property fcsync cannot honour, what to do instead.
var readerRefused = map[string]string{
	"ssl.keystore.location":          "client certificates (mutual TLS) are not supported; use SASL_SSL with PLAIN or SCRAM",
	"ssl.keystore.type":              "client certificates (mutual TLS) are not supported; use SASL_SSL with PLAIN or SCRAM",
	"ssl.keystore.password":          "client certificates (mutual TLS) are not supported; use SASL_SSL with PLAIN or SCRAM",
	"ssl.keystore.key":               "client certificates (mutual TLS) are not supported; use SASL_SSL with PLAIN or SCRAM",
	"ssl.keystore.certificate.chain": "client certificates (mutual TLS) are not supported; use SASL_SSL with PLAIN or SCRAM",
	"ssl.key.password":               "client certificates (mutual TLS) are not supported; use SASL_SSL with PLAIN or SCRAM",
	"ssl.truststore.certificates":    "inline certificates are not supported; put them in a PEM file and set ssl.ca.location",
	"interceptor.classes":            "Java interceptors cannot run in fcsync, and what they would change in the records would be lost",
	// librdkafka's names (confluent-kafka clients) for what Java spells otherwise.
	"sasl.username":            "this is librdkafka's name; give the login as sasl.jaas.config",
	"sasl.password":            "this is librdkafka's name; give the login as sasl.jaas.config",
	"sasl.mechanisms":          "this is librdkafka's name; use sasl.mechanism",
	"ssl.certificate.location": "client certificates (mutual TLS) are not supported; use SASL_SSL with PLAIN or SCRAM",
	"ssl.key.location":         "client certificates (mutual TLS) are not supported; use SASL_SSL with PLAIN or SCRAM",
}

// readerApplied is knownProperties less what the reader accepts but does not
// apply (those are in readerIgnored).
func readerApplied(name string) bool {
	_, ignored := readerIgnored[name]
	return knownProperties[name] && !ignored
}

// ReaderProperties checks the names in a window reader's kafkaConfig (and
// the value of isolation.level, which decides what a window holds). It
// returns one warning per Kafka consumer property that fcsync accepts
// without applying, sorted, and an error naming every property it refuses
// or does not know, with the nearest known name for a likely misspelling.
// Neither ever quotes a value.
func ReaderProperties(props map[string]string) (warnings []string, err error) {
	names := make([]string, 0, len(props))
	for k := range props {
		names = append(names, k)
	}
	slices.Sort(names)
	var errs []string
	for _, k := range names {
		if why, ok := readerIgnored[k]; ok {
			warnings = append(warnings, fmt.Sprintf("kafkaConfig %s is not applied: %s", k, why))
			continue
		}
		if readerApplied(k) {
			continue
		}
		if why, ok := readerRefused[k]; ok {
			errs = append(errs, fmt.Sprintf("kafkaConfig %s: %s", k, why))
			continue
		}
		if near := nearestProperty(k); near != "" {
			errs = append(errs, fmt.Sprintf("kafkaConfig %s: not a Kafka consumer property (did you mean %s?)", k, near))
		} else {
			errs = append(errs, fmt.Sprintf("kafkaConfig %s: not a Kafka consumer property", k))
		}
	}
	if _, err := isolationProperty(props); err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		return warnings, errors.New(strings.Join(errs, "; "))
	}
	return warnings, nil
}

// ReaderConfig is ConfigFromProperties for a window reader: the properties
// must pass ReaderProperties, whose warnings go to Config.Warnings.
func ReaderConfig(brokers []string, topic string, props map[string]string) (Config, error) {
	warnings, err := ReaderProperties(props)
	if err != nil {
		return Config{}, err
	}
	cfg, err := ConfigFromProperties(brokers, topic, props)
	if err != nil {
		return Config{}, err
	}
	cfg.Warnings = warnings
	return cfg, nil
}

// nearestProperty is the known property name closest to name, when it is
// close enough to be what was meant: the same name up to case and
// separators, or at most a few edits away.
func nearestProperty(name string) string {
	norm := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == '_' || r == '-' {
				return '.'
			}
			return r
		}, strings.ToLower(strings.TrimSpace(s)))
	}
	n := norm(name)
	best, bestD := "", 1<<30
	consider := func(k string) {
		if d := editDistance(n, k); d < bestD || d == bestD && k < best {
			best, bestD = k, d
		}
	}
	for k := range knownProperties {
		consider(k)
	}
	for k := range readerIgnored {
		consider(k)
	}
	for k := range readerRefused {
		consider(k)
	}
	if bestD <= max(1, min(3, len(n)/5)) {
		return best
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			sub := prev[j-1]
			if a[i-1] != b[j-1] {
				sub++
			}
			cur[j] = min(sub, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
