// Package trigger decodes the events that start fcsync's scheduled functions, with no
// dependency on any platform SDK.
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
// Every decoder returns a clear error for bad input and never panics. A timer may fire late
// or twice; deciding what that means is the caller's business, not this package's.
package trigger
