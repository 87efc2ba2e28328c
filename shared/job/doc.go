// Package job loads fcsync job specs and binds them to a scheduled time.
//
// Three formats are accepted and normalised to one model:
//
//   - fcsync YAML (documented in the README): name, timezone, schedule, parameters, late,
//     retry, datasources, reader, writer, setting;
//   - DataWorks script mode: {"type":"job","steps":[{"stepType":"kafka",...},{"stepType":"odps",...}],"setting":{...}};
//   - classic DataX: {"job":{"content":[{"reader":{"name":"kafkareader",...},"writer":{"name":"odpswriter",...}}],"setting":{...}}}.
//
// Every reader, writer and setting parameter is either honoured or rejected with an error that
// names it; nothing is silently ignored. Scheduling parameters (${...}, $[...], $bizdate, custom
// assignments) are expanded in every string value when the spec is bound to a scheduled time, so
// Load checks a spec by binding it once at a sample time.
package job
