// Package deploy checks fcsync's deployment assets offline, without cloud credentials: the
// Serverless Devs template (s.yaml, component fc3), the RAM policies in infra/ram and the OSS
// lifecycle rules in infra/oss. `go test ./infra/deploy` runs every check on the repository.
//
// The Serverless Devs CLI (npm @serverless-devs/s) cannot do this: `s verify` downloads the fc3
// component's schema from the Serverless Devs registry and needs credentials configured, and
// `s preview` only renders variables. So Load renders the template the way `s` does for the
// expressions fcsync uses (${vars.x}, ${config('AccountID')}, ${env('NAME', 'default')}) and
// decodes it strictly into types that follow the fc3 component's schema (devsapp/fc3,
// src/interface; the EventBridge trigger's deliveryOption, runOptions and sourceKafkaParameters
// follow FC's API structures): an unknown or misspelt field is an error with its line.
//
// Check then verifies what a deploy would only discover in the cloud, or never:
//
//   - every function: runtime go1, handler main, code ./dist/<name> built by `make build`
//     (the Makefile's FUNCTIONS and its -o dist/$$f/main rule) from functions/<name>/main.go,
//     memory, timeout, role, VPC, log config, asynchronous-invocation retries for timer
//     functions;
//   - every environment variable FCSYNC_* is read by the function's code (functions/<name>
//     or functions/platform), and the functions' own ConfigFromEnv accept the configuration;
//     stores are oss:// locations (FC's disk is not kept); values of secret-looking variables
//     come from the deployer's environment, never from the file;
//   - timer triggers: the cron parses (shared/schedule), the payload decodes (shared/trigger),
//     the job it names is packaged with the function and fires on the job's own schedule;
//   - eventbridge triggers come last (fc3's deploy stops at the first unchanged one), invoke
//     synchronously, stay within FC's limits (batch window, 5 minute timeout), read the topic
//     the stream job reads, and a tolerant trigger (errorsTolerance ALL) has a dead-letter queue;
//   - each function's RAM policy grants exactly what its jobs need: the OSS prefixes of its jobs
//     (state, dirty data, run records, lake tables), listing only under them, its log store and
//     its failure queue, and nothing else (PolicyProblems);
//   - the lifecycle rules expire run records and dirty data and never touch state or lake data
//     (LifecycleProblems).
package deploy
