// Package trigger decodes the events that start fcsync's functions, with no dependency on any
// platform SDK: timer events for the scheduled functions (batch, cdc) and Kafka trigger
// payloads for the stream function.
//
// # Timer events
//
// A scheduled invocation arrives either as an Alibaba Function Compute timer event
//
//	{"triggerTime":"2023-12-26T07:49:00Z","triggerName":"timer-trigger","payload":"..."}
//
// or as an AWS EventBridge (CloudWatch Events) scheduled event
//
//	{"version":"0","detail-type":"Scheduled Event","source":"aws.events","time":"...","resources":["arn:..."],"detail":{}}
//
// DecodeTimer reads the first, DecodeScheduled reads either into the same Timer. The timer's
// payload is text the operator configured on the trigger; DecodeBatchPayload reads it as a
// BatchRequest: empty, a job name, or a JSON object {"job":..,"at":..,"params":{..}}.
//
// # Kafka trigger payloads
//
// DecodeKafka reads one invocation's batch of Kafka records in every shape a Kafka trigger
// delivers: Function Compute's EventBridge payload as an array of CloudEvent objects or of
// JSON-encoded CloudEvent strings, the RawData schema, and the AWS Lambda KafkaEvent
// (records grouped by topic-partition, base64 keys and values). Keys and values are read
// in the job's data format (auto, json, text or binary; WithKeyFormat, WithValueFormat); a
// JSON value is kept in compact form, binary values are base64-decoded, and timestamps may
// be numbers or strings. DecodeKafkaEvent also reports the payload's shape.
// The scanner walks the payload once and keeps every key, value and header in one arena,
// so decoding a batch costs a few allocations, not a few per record. EncodeKafka writes
// records in any shape (the local trigger emulator and the tests use it), and decoding what
// it wrote gives the same records back.
//
// Every decoder returns a clear error for bad input, naming the element and field, and never
// panics; a malformed payload is refused whole, so nothing of it is written. A timer may fire
// late or twice and a Kafka batch may be delivered again; deciding what that means is the
// caller's business, not this package's.
package trigger
