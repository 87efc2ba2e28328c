package deploy

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	batchhandler "github.com/fcsync/fcsync/functions/batch/handler"
	streamhandler "github.com/fcsync/fcsync/functions/stream/handler"
	"github.com/fcsync/fcsync/shared/alert"
	"github.com/fcsync/fcsync/shared/job"
	"github.com/fcsync/fcsync/shared/runlog"
	"github.com/fcsync/fcsync/shared/schedule"
	"github.com/fcsync/fcsync/shared/stream"
	"github.com/fcsync/fcsync/shared/trigger"
)

// Problem is one thing wrong with the deployment assets.
type Problem struct {
	Where string // e.g. resources.stream.props.triggers[0], infra/ram/fcsync-batch.json
	Msg   string
}

func (p Problem) String() string { return p.Where + ": " + p.Msg }

type problems []Problem

func (ps *problems) add(where, format string, args ...any) {
	*ps = append(*ps, Problem{Where: where, Msg: fmt.Sprintf(format, args...)})
}

// Served is what one function of the template serves: its jobs and where its data lives.
type Served struct {
	Resource string   // the resource name in s.yaml
	Function string   // the function's directory under functions/ (from code ./dist/<name>)
	Jobs     []string // jobs its triggers and FCSYNC_JOB name
	Batch    map[string]*job.Spec
	Stream   map[string]*job.Stream
	Tables   []string // MaxCompute tables its batch jobs write
	Topics   []string // Kafka topics its eventbridge triggers read
	// Tolerant are the paths of its eventbridge triggers with errorsTolerance ALL (a batch
	// that fails every retry is dead-lettered and the partition moves on).
	Tolerant []string
}

var (
	nameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]{0,127}$`)
	roleRE = regexp.MustCompile(`^acs:ram::[0-9]+:role/([A-Za-z0-9.-]+)$`)
	mnsRE  = regexp.MustCompile(`^acs:mns:([a-z0-9-]+):[0-9]+:/queues/([A-Za-z0-9-]+)(/messages)?$`)
	// secretEnv are names of variables that hold secrets; values with a password, token or
	// user:password@ inside (runlog.Redact changes them) count too.
	secretEnv = regexp.MustCompile(`(?i)PASSWORD|PASSWD|SECRET|TOKEN|DSN|ACCESS_?KEY|CREDENTIAL|CDC_SOURCES`)
	// storeEnv are the variables that name an object store (platform.OpenStore locations).
	storeEnv = []string{"FCSYNC_STATE", "FCSYNC_LAKE", "FCSYNC_RUNS"}
)

// Check returns every problem of the template, in file order, and what each function serves.
func (p *Project) Check() ([]Problem, []Served) {
	var ps problems
	t := p.Template
	if t.Edition != "3.0.0" {
		ps.add("edition", "%q: want 3.0.0 (Serverless Devs 3)", t.Edition)
	}
	if len(t.Order) == 0 {
		ps.add("resources", "none")
	}
	names := map[string]string{}
	var served []Served
	for i, name := range t.Order {
		r := t.Resources[name]
		where := "resources." + name
		if r.Component != "fc3" {
			ps.add(where+".component", "%q: want fc3", r.Component)
			continue
		}
		if pre := r.Actions["pre-deploy"]; i == 0 {
			if !slices.ContainsFunc(pre, func(a Action) bool { return a.Run == "make build" && (a.Path == "./" || a.Path == ".") }) {
				ps.add(where+".actions.pre-deploy", "the first resource must run `make build` (path ./) so every function's code is built before anything deploys")
			}
		}
		for k := range r.Actions {
			if !slices.Contains([]string{"pre-deploy", "success-deploy", "fail-deploy", "complete-deploy"}, k) {
				ps.add(where+".actions."+k, "not a Serverless Devs deploy hook")
			}
		}
		fn := r.Props
		if prev, dup := names[fn.FunctionName]; dup {
			ps.add(where+".props.functionName", "%q is also the name of resource %s", fn.FunctionName, prev)
		}
		names[fn.FunctionName] = name
		s := p.checkFunction(&ps, name, &fn)
		served = append(served, s)
	}
	return ps, served
}

func (p *Project) checkFunction(ps *problems, name string, fn *Function) Served {
	where := "resources." + name + ".props"
	s := Served{Resource: name, Batch: map[string]*job.Spec{}, Stream: map[string]*job.Stream{}}
	if !nameRE.MatchString(fn.FunctionName) {
		ps.add(where+".functionName", "%q: want 1 to 128 letters, digits, '_' or '-', not starting with a digit or '-'", fn.FunctionName)
	}
	if fn.Region == "" {
		ps.add(where+".region", "required")
	}
	if fn.Runtime != "go1" {
		ps.add(where+".runtime", "%q: fcsync's functions are built for go1", fn.Runtime)
	}
	if fn.Handler != "main" {
		ps.add(where+".handler", "%q: the go1 runtime runs the binary named by the handler, `make build` writes main", fn.Handler)
	}
	code, _ := fn.Code.(string)
	dir, ok := strings.CutPrefix(filepath.ToSlash(filepath.Clean(code)), "dist/")
	if !ok || strings.Contains(dir, "/") || dir == "" {
		ps.add(where+".code", "%v: want ./dist/<function>, the directory `make build` writes", fn.Code)
	} else {
		s.Function = dir
		p.checkBuild(ps, where+".code", dir)
	}
	if fn.MemorySize < 128 || fn.MemorySize > 32768 || fn.MemorySize%64 != 0 {
		ps.add(where+".memorySize", "%d: want a multiple of 64 from 128 to 32768 MB", fn.MemorySize)
	}
	if fn.Timeout < 1 || fn.Timeout > 86400 {
		ps.add(where+".timeout", "%d: want 1 to 86400 seconds", fn.Timeout)
	}
	switch {
	case fn.Runtime == "go1" && fn.InstanceConcurrency > 1:
		ps.add(where+".instanceConcurrency", "%d: FC 3.0's built-in runtimes (go1) serve one request per instance", fn.InstanceConcurrency)
	case fn.InstanceConcurrency < 0 || fn.InstanceConcurrency > 200:
		ps.add(where+".instanceConcurrency", "%d: want 1 to 200", fn.InstanceConcurrency)
	}
	p.checkSpec(ps, where, fn)
	if m := roleRE.FindStringSubmatch(fn.Role); m == nil {
		ps.add(where+".role", "%q: want acs:ram::<account>:role/<name> (a role per function, infra/ram)", fn.Role)
	}
	p.checkVPC(ps, where+".vpcConfig", fn.VpcConfig)
	if _, err := logConfig(fn.LogConfig); err != nil {
		ps.add(where+".logConfig", "%v", err)
	}
	env := fn.EnvironmentVariables
	p.checkEnv(ps, where+".environmentVariables", name, s.Function, env)

	var timers, bridges int
	seenTrigger := map[string]bool{}
	for i, tr := range fn.Triggers {
		tw := fmt.Sprintf("%s.triggers[%d]", where, i)
		if seenTrigger[tr.TriggerName] {
			ps.add(tw+".triggerName", "%q is used twice", tr.TriggerName)
		}
		seenTrigger[tr.TriggerName] = true
		if !nameRE.MatchString(tr.TriggerName) {
			ps.add(tw+".triggerName", "%q: want letters, digits, '_' or '-'", tr.TriggerName)
		}
		switch tr.TriggerType {
		case "timer":
			timers++
			if bridges > 0 {
				ps.add(tw, "a timer trigger after an eventbridge trigger: fc3's deploy stops at the first unchanged eventbridge trigger and would skip it; put eventbridge triggers last")
			}
			if j := p.checkTimer(ps, tw, s.Function, &tr, env["FCSYNC_JOB"]); j != "" && !slices.Contains(s.Jobs, j) {
				s.Jobs = append(s.Jobs, j)
			}
		case "eventbridge":
			bridges++
			if topic := p.checkEventBridge(ps, tw, fn, &tr); topic != "" {
				s.Topics = append(s.Topics, topic)
			}
			if tolerance(&tr) == "ALL" {
				s.Tolerant = append(s.Tolerant, tw)
			}
		default:
			ps.add(tw+".triggerType", "%q: fcsync's functions are started by timer and eventbridge (Kafka) triggers", tr.TriggerType)
		}
	}
	if len(fn.Triggers) == 0 {
		ps.add(where+".triggers", "none: the function would never run")
	}
	if j := env["FCSYNC_JOB"]; j != "" && !slices.Contains(s.Jobs, j) {
		s.Jobs = append(s.Jobs, j)
	}
	if timers > 0 {
		p.checkAsync(ps, where+".asyncInvokeConfig", fn.AsyncInvokeConfig)
	}
	if bridges > 0 && fn.Timeout > 300 {
		ps.add(where+".timeout", "%d: EventBridge invokes synchronously, for at most 300 seconds", fn.Timeout)
	}
	p.loadJobs(ps, where, &s)
	return s
}

// checkSpec checks the instance specification: vCPU in steps of 0.05 from 0.05 to 16, 1 to 4 GB
// of memory per vCPU, a disk of 512 MB (free) or 10 GB. Without cpu FC picks one, and the bill
// (vCPU-seconds) is not what the template says.
func (p *Project) checkSpec(ps *problems, where string, fn *Function) {
	cpu, ok := number(fn.CPU)
	if !ok {
		ps.add(where+".cpu", "%v: set the vCPU (e.g. 0.35 with 512 MB): it is billed per vCPU-second", fn.CPU)
		return
	}
	if steps := cpu / 0.05; cpu < 0.05 || cpu > 16 || math.Abs(steps-math.Round(steps)) > 1e-9 {
		ps.add(where+".cpu", "%v: want a multiple of 0.05 from 0.05 to 16", cpu)
	} else if ratio := float64(fn.MemorySize) / 1024 / cpu; ratio < 1-1e-9 || ratio > 4+1e-9 {
		ps.add(where+".memorySize", "%d MB for %v vCPU: want 1 to 4 GB per vCPU", fn.MemorySize, cpu)
	}
	if d, ok := number(fn.DiskSize); fn.DiskSize != nil && (!ok || (d != 512 && d != 10240)) {
		ps.add(where+".diskSize", "%v: want 512 or 10240 (MB)", fn.DiskSize)
	}
}

func number(v any) (float64, bool) {
	switch t := v.(type) {
	case int:
		return float64(t), true
	case float64:
		return t, true
	}
	return 0, false
}

// checkBuild: `make build` builds functions/<fn> to dist/<fn>/main.
func (p *Project) checkBuild(ps *problems, where, fn string) {
	if !slices.Contains(p.Functions, fn) {
		ps.add(where, "dist/%s is not built: the Makefile's FUNCTIONS does not list %s", fn, fn)
	}
	if !p.BuildRule {
		ps.add(where, "the Makefile has no `$(GO) build ... -o dist/$$f/main ./functions/$$f` rule")
	}
	src, err := os.ReadFile(filepath.Join(p.Root, "functions", fn, "main.go"))
	if err != nil || !regexp.MustCompile(`(?m)^package main\b`).Match(src) {
		ps.add(where, "functions/%s/main.go is not a main package", fn)
	}
}

func (p *Project) checkVPC(ps *problems, where string, v any) {
	var vpc VpcConfig
	if err := redecode(v, &vpc); err != nil || v == nil {
		ps.add(where, "want vpcId, vSwitchIds and securityGroupId: Kafka, OSS's internal endpoint and MaxCompute are reached through the VPC")
		return
	}
	if vpc.VpcID == "" || len(vpc.VSwitchIDs) == 0 || vpc.SecurityGroupID == "" {
		ps.add(where, "want vpcId, vSwitchIds and securityGroupId")
	}
}

// logConfig decodes a log config; "auto" is refused because the RAM policy must name the store.
func logConfig(v any) (LogConfig, error) {
	var lc LogConfig
	if s, ok := v.(string); ok {
		return lc, fmt.Errorf("%q: name the project and logstore (the function's RAM policy grants exactly that logstore)", s)
	}
	if err := redecode(v, &lc); err != nil || v == nil {
		return lc, fmt.Errorf("want project and logstore")
	}
	if lc.Project == "" || lc.Logstore == "" {
		return lc, fmt.Errorf("want project and logstore")
	}
	if lc.LogBeginRule != "" && lc.LogBeginRule != "DefaultRegex" && lc.LogBeginRule != "None" {
		return lc, fmt.Errorf("logBeginRule %q: want DefaultRegex or None", lc.LogBeginRule)
	}
	return lc, nil
}

func (p *Project) checkEnv(ps *problems, where, resource, fn string, env map[string]string) {
	raw := p.Template.Raw[resource]
	alertVars := p.checkAlerts(ps, where, env["FCSYNC_ALERTS"])
	for _, k := range sortedKeys(env) {
		v := env[k]
		if strings.HasPrefix(k, "FCSYNC_") && fn != "" && !p.readsEnv(fn, k) && !alertVars[k] {
			ps.add(where+"."+k, "not read by functions/%s", fn)
		}
		if (secretEnv.MatchString(k) || runlog.Redact(v) != v) && v != "" && !strings.Contains(raw[k], "${env(") {
			ps.add(where+"."+k, "looks like a secret written into the template: take it from the deployer's environment with ${env('NAME')}")
		}
	}
	for _, k := range storeEnv {
		if v, ok := env[k]; ok && !strings.HasPrefix(v, "oss://") {
			ps.add(where+"."+k, "%q: want an oss://bucket/prefix location (a function's disk is not kept between instances)", v)
		}
	}
	getenv := func(k string) string { return env[k] }
	switch fn {
	case "batch":
		if _, err := batchhandler.ConfigFromEnv(getenv); err != nil {
			ps.add(where, "the batch function refuses it: %v", err)
		}
		if env["FCSYNC_STATE"] == "" {
			ps.add(where, "FCSYNC_STATE is not set")
		}
	case "stream":
		if _, err := streamhandler.ConfigFromEnv(getenv); err != nil {
			ps.add(where, "the stream function refuses it: %v", err)
		}
		if env["FCSYNC_LAKE"] == "" {
			ps.add(where, "FCSYNC_LAKE is not set")
		}
	}
	if env["FCSYNC_RUNS"] == "" {
		ps.add(where, "FCSYNC_RUNS is not set: run records (runs/<job>/) feed `localrun status` and the alerts")
	}
}

func (p *Project) checkAsync(ps *problems, where string, a *AsyncInvokeConfig) {
	if a == nil || a.MaxAsyncRetryAttempts == nil || a.MaxAsyncEventAgeInSeconds == nil {
		ps.add(where, "timer invocations are asynchronous: set maxAsyncRetryAttempts and maxAsyncEventAgeInSeconds")
		return
	}
	if n := *a.MaxAsyncRetryAttempts; n < 0 || n > 8 {
		ps.add(where+".maxAsyncRetryAttempts", "%d: want 0 to 8", n)
	}
	if n := *a.MaxAsyncEventAgeInSeconds; n < 1 || n > 2592000 {
		ps.add(where+".maxAsyncEventAgeInSeconds", "%d: want 1 to 2592000", n)
	}
	if a.DestinationConfig == nil || a.DestinationConfig.OnFailure == nil {
		ps.add(where+".destinationConfig.onFailure", "required: an invocation that failed every retry must land somewhere an operator sees it")
		return
	}
	if !mnsRE.MatchString(a.DestinationConfig.OnFailure.Destination) || !strings.HasSuffix(a.DestinationConfig.OnFailure.Destination, "/messages") {
		ps.add(where+".destinationConfig.onFailure.destination", "%q: want acs:mns:<region>:<account>:/queues/<name>/messages", a.DestinationConfig.OnFailure.Destination)
	}
}

// checkTimer checks a timer trigger and returns the job it runs.
func (p *Project) checkTimer(ps *problems, where, fn string, tr *Trigger, defaultJob string) string {
	var tc TimerConfig
	if err := strictNode(&tr.TriggerConfig, &tc); err != nil {
		ps.add(where+".triggerConfig", "%v", err)
		return ""
	}
	if tc.Enable == nil || !*tc.Enable {
		ps.add(where+".triggerConfig.enable", "want true")
	}
	cron, err := schedule.ParseCron(tc.CronExpression)
	if err != nil {
		ps.add(where+".triggerConfig.cronExpression", "%v", err)
	}
	req, err := trigger.DecodeBatchPayload(tc.Payload)
	if err != nil {
		ps.add(where+".triggerConfig.payload", "%v", err)
		return ""
	}
	name := req.Job
	if name == "" {
		name = defaultJob
	}
	if name == "" {
		ps.add(where+".triggerConfig.payload", "names no job and FCSYNC_JOB is not set")
		return ""
	}
	file, ok := p.jobFile(fn, name)
	if !ok {
		return name // loadJobs reports it
	}
	if fn == "batch" && cron != nil {
		spec, err := job.LoadFile(file)
		if err == nil && spec.Schedule != nil && !sameTicks(spec.Schedule, cron) {
			ps.add(where+".triggerConfig.cronExpression", "%q fires at other times than job %s's schedule %q", tc.CronExpression, name, spec.CronSpec)
		}
	}
	return name
}

// sameTicks compares two schedules over two weeks (FC timers run in UTC).
func sameTicks(a, b *schedule.Cron) bool {
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.Add(14 * 24 * time.Hour)
	ta, _ := a.BetweenLimit(from, to, 10000)
	tb, _ := b.BetweenLimit(from, to, 10000)
	return slices.EqualFunc(ta, tb, func(x, y time.Time) bool { return x.Equal(y) })
}

// checkEventBridge checks a Kafka trigger and returns its topic.
func (p *Project) checkEventBridge(ps *problems, where string, fn *Function, tr *Trigger) string {
	var c EventBridgeConfig
	if err := strictNode(&tr.TriggerConfig, &c); err != nil {
		ps.add(where+".triggerConfig", "%v", err)
		return ""
	}
	w := where + ".triggerConfig"
	if c.TriggerEnable == nil || !*c.TriggerEnable {
		ps.add(w+".triggerEnable", "want true")
	}
	if c.AsyncInvocationType == nil || *c.AsyncInvocationType {
		ps.add(w+".asyncInvocationType", "want false: synchronous invocations carry up to 32 MB and their failures are retried by EventBridge (asynchronous ones carry 128 KB)")
	}
	if c.EventRuleFilterPattern == nil || !json.Valid([]byte(*c.EventRuleFilterPattern)) {
		ps.add(w+".eventRuleFilterPattern", "required by fc3: a JSON pattern, '{}' for every event")
	}
	d := c.EventSinkConfig.DeliveryOption
	if d.Mode != "event-streaming" {
		ps.add(w+".eventSinkConfig.deliveryOption.mode", "%q: Kafka sources deliver in event-streaming mode only", d.Mode)
	}
	if d.EventSchema != "CloudEvents" && d.EventSchema != "RawData" {
		ps.add(w+".eventSinkConfig.deliveryOption.eventSchema", "%q: want CloudEvents or RawData (both decode)", d.EventSchema)
	}
	if d.Concurrency < 0 {
		ps.add(w+".eventSinkConfig.deliveryOption.concurrency", "%d: want at least 1", d.Concurrency)
	}
	ro := c.RunOptions
	if ro.Mode != "event-streaming" {
		ps.add(w+".runOptions.mode", "%q: want event-streaming (batches)", ro.Mode)
	}
	if ro.MaximumTasks < 1 {
		ps.add(w+".runOptions.maximumTasks", "%d: want at least 1 (at most the topic's partitions)", ro.MaximumTasks)
	}
	switch ro.ErrorsTolerance {
	case "NONE":
	case "ALL":
		if ro.DeadLetterQueue == nil || ro.DeadLetterQueue.Arn == "" {
			ps.add(w+".runOptions.deadLetterQueue", "errorsTolerance ALL without a dead-letter queue discards the batches that fail: that is data loss")
		}
	default:
		ps.add(w+".runOptions.errorsTolerance", "%q: want NONE or ALL", ro.ErrorsTolerance)
	}
	if s := ro.RetryStrategy.PushRetryStrategy; s != "BACKOFF_RETRY" && s != "EXPONENTIAL_DECAY_RETRY" {
		ps.add(w+".runOptions.retryStrategy.PushRetryStrategy", "%q: want BACKOFF_RETRY or EXPONENTIAL_DECAY_RETRY", s)
	}
	if q := ro.DeadLetterQueue; q != nil && !mnsRE.MatchString(q.Arn) && !strings.HasPrefix(q.Arn, "acs:alikafka:") && !strings.HasPrefix(q.Arn, "acs:mq:") && !strings.HasPrefix(q.Arn, "acs:eventbridge:") {
		ps.add(w+".runOptions.deadLetterQueue.Arn", "%q: want an MNS queue, ApsaraMQ (RocketMQ, Kafka) or event bus ARN", q.Arn)
	}
	if bw := ro.BatchWindow; bw == nil {
		ps.add(w+".runOptions.batchWindow", "required: without it every record is its own invocation")
	} else {
		if bw.CountBasedWindow < 1 || bw.CountBasedWindow > 10000 {
			ps.add(w+".runOptions.batchWindow.CountBasedWindow", "%d: want 1 to 10000", bw.CountBasedWindow)
		}
		if bw.TimeBasedWindow < 0 || bw.TimeBasedWindow > 15 {
			ps.add(w+".runOptions.batchWindow.TimeBasedWindow", "%d: want 0 to 15 seconds", bw.TimeBasedWindow)
		}
	}
	src := c.EventSourceConfig
	if src.EventSourceType != "Kafka" {
		ps.add(w+".eventSourceConfig.eventSourceType", "%q: fcsync's stream function reads Kafka", src.EventSourceType)
		return ""
	}
	k := src.EventSourceParameters.SourceKafkaParameters
	if k == nil {
		ps.add(w+".eventSourceConfig.eventSourceParameters.sourceKafkaParameters", "required")
		return ""
	}
	kw := w + ".eventSourceConfig.eventSourceParameters.sourceKafkaParameters"
	for _, f := range []struct{ name, v string }{{"RegionId", k.RegionID}, {"InstanceId", k.InstanceID}, {"Topic", k.Topic}, {"ConsumerGroup", k.ConsumerGroup}} {
		if f.v == "" {
			ps.add(kw+"."+f.name, "required")
		}
	}
	if k.RegionID != "" && k.RegionID != fn.Region {
		ps.add(kw+".RegionId", "%q: the function is in %s", k.RegionID, fn.Region)
	}
	if k.OffsetReset != "earliest" && k.OffsetReset != "latest" {
		ps.add(kw+".OffsetReset", "%q: want earliest or latest", k.OffsetReset)
	}
	switch k.Network {
	case "", "Default":
	case "PublicNetwork":
		if k.VpcID == "" || k.VSwitchIDs == "" || k.SecurityGroupID == "" {
			ps.add(kw, "Network PublicNetwork needs VpcId, VSwitchIds and SecurityGroupId")
		}
	default:
		ps.add(kw+".Network", "%q: want Default or PublicNetwork", k.Network)
	}
	return k.Topic
}

// loadJobs loads the served jobs through the real loaders and cross-checks them.
func (p *Project) loadJobs(ps *problems, where string, s *Served) {
	for _, name := range s.Jobs {
		file, ok := p.jobFile(s.Function, name)
		if !ok {
			if s.Function != "" {
				ps.add(where, "job %q is not packaged with the function (make build copies no %s.yaml/.yml/.json into dist/%s/jobs)", name, name, s.Function)
			}
			continue
		}
		rel, _ := filepath.Rel(p.Root, file)
		switch s.Function {
		case "batch":
			spec, err := job.LoadFile(file)
			if err != nil {
				ps.add(rel, "%v", err)
				continue
			}
			s.Batch[name] = spec
			j, err := spec.Bind(time.Date(2024, 6, 1, 10, 0, 0, 0, spec.Location), nil)
			if err != nil {
				ps.add(rel, "%v", err)
				continue
			}
			if t := j.Writer.Table.Name; t != "" && !slices.Contains(s.Tables, t) {
				s.Tables = append(s.Tables, t)
			}
		case "stream":
			spec, err := job.LoadStreamFile(file)
			if err != nil {
				ps.add(rel, "%v", err)
				continue
			}
			s.Stream[name] = spec
			// DataWorks' "Report Error" stops the task: a tolerant trigger would dead-letter
			// the batch and move past the record instead.
			if j, err := stream.Compile(spec); err == nil && j.StopsOnNewFields() {
				for _, tw := range s.Tolerant {
					ps.add(tw+".triggerConfig.runOptions.errorsTolerance", "ALL: job %s's dynamic-column policy is error, which must stop the stream at the record (DataWorks' Report Error); with ALL the batch is dead-lettered and the partition moves on: want NONE (and EXPONENTIAL_DECAY_RETRY)", name)
				}
			}
			for _, topic := range s.Topics {
				if len(spec.Topics) > 0 && !slices.Contains(spec.Topics, topic) {
					ps.add(where+".triggers", "topic %q: job %s reads only %s", topic, name, strings.Join(spec.Topics, ", "))
				}
			}
		}
	}
	slices.Sort(s.Tables)
}

// tolerance is an eventbridge trigger's runOptions.errorsTolerance ("" when it does not decode).
func tolerance(tr *Trigger) string {
	var c EventBridgeConfig
	if err := strictNode(&tr.TriggerConfig, &c); err != nil {
		return ""
	}
	return c.RunOptions.ErrorsTolerance
}

// strictNode decodes a node with unknown fields refused.
func strictNode(n *yaml.Node, v any) error {
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w (line numbers count within triggerConfig)", err)
	}
	return nil
}

// redecode turns a decoded tree into a typed value, strictly.
func redecode(v any, out any) error {
	b, err := yaml.Marshal(v)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	return dec.Decode(out)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// alertVar is a ${NAME} reference in an alert rules file.
var alertVar = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// checkAlerts checks the alert rules file a function's FCSYNC_ALERTS names (packaged by make
// build from infra/deploy/) and returns the environment variables its channels read.
func (p *Project) checkAlerts(ps *problems, where, file string) map[string]bool {
	if file == "" {
		return nil
	}
	path := filepath.Join(p.Root, "infra", "deploy", filepath.Base(file))
	if _, err := alert.LoadConfig(path); err != nil {
		ps.add(where+".FCSYNC_ALERTS", "%v", err)
		return nil
	}
	if !strings.Contains(p.Makefile, "infra/deploy/"+filepath.Base(file)) {
		ps.add(where+".FCSYNC_ALERTS", "make build does not package infra/deploy/%s", filepath.Base(file))
	}
	b, _ := os.ReadFile(path)
	vars := map[string]bool{}
	for _, m := range alertVar.FindAllStringSubmatch(string(b), -1) {
		vars[m[1]] = true
	}
	return vars
}
