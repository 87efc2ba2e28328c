package deploy

import (
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/fcsync/fcsync/shared/alert"
)

// pending lists the problems the repository knowingly has while work lands elsewhere. Each entry
// must still be a problem: when the work lands the test fails until the entry is removed, so the
// list cannot rot. Anything not listed fails the test.
var pending = map[string]string{}

func TestRepositoryDeploymentAssetsAreValid(t *testing.T) {
	p, err := Load("../..", Render{})
	if err != nil {
		t.Fatal(err)
	}
	expected := maps.Clone(pending)
	seen := map[string]bool{}
	for _, pr := range p.Problems() {
		s := pr.String()
		seen[s] = true
		if _, ok := expected[s]; !ok {
			t.Errorf("%s", s)
		}
	}
	for s, why := range expected {
		if !seen[s] {
			t.Errorf("no longer a problem (%s landed?): remove it from pending: %s", why, s)
		}
	}
	if n := len(p.Template.Order); n != 3 {
		t.Errorf("%d resources, want batch, stream and cdc", n)
	}
}

// When the Serverless Devs CLI is installed (npm i -g @serverless-devs/s; CI does not need it),
// its own rendering of s.yaml must equal ours: the checks above look at what `s deploy` sends.
func TestTemplateRendersAsTheServerlessDevsCLIDoes(t *testing.T) {
	cli, err := exec.LookPath("s")
	if err != nil {
		t.Skip("the Serverless Devs CLI (s) is not installed")
	}
	home := t.TempDir()
	env := append(os.Environ(), "HOME="+home)
	const account = "1234567890123456"
	// A placeholder access: `s preview` needs one to render config('AccountID'); nothing is called.
	add := exec.Command(cli, "config", "add", "-a", "default", "--AccountID", account, "--AccessKeyID", "placeholder", "--AccessKeySecret", "placeholder", "-f")
	add.Env = env
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("s config add: %v\n%s", err, out)
	}
	pre := exec.Command(cli, "preview", "-t", "s.yaml", "-o", "json", "--silent")
	pre.Dir, pre.Env = "../..", env
	out, err := pre.Output()
	if err != nil {
		t.Fatalf("s preview: %v", err)
	}
	var theirs map[string]any
	if err := json.Unmarshal(out, &theirs); err != nil {
		t.Fatalf("s preview output: %v\n%s", err, out)
	}
	tmpl, err := LoadTemplate("../../s.yaml", Render{AccountID: account})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(tmpl.Rendered)
	var ours map[string]any
	_ = json.Unmarshal(b, &ours)
	if !reflect.DeepEqual(ours["resources"], theirs["resources"]) {
		a, _ := json.MarshalIndent(ours["resources"], "", " ")
		c, _ := json.MarshalIndent(theirs["resources"], "", " ")
		t.Errorf("rendering differs from s preview:\n--- ours\n%s\n--- s preview\n%s", a, c)
	}
}

// fixture copies the deployment assets the checks read into a temporary repository.
func fixture(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	copyFile := func(rel string) {
		b, err := os.ReadFile(filepath.Join("../..", rel))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, pattern := range []string{"s.yaml", "Makefile", "infra/jobs/*.*", "infra/jobs/*/*", "infra/ram/*.json", "infra/oss/*.xml", "infra/deploy/alerts.yaml",
		"functions/*/*.go", "functions/*/*/*.go"} {
		files, _ := filepath.Glob(filepath.Join("../..", pattern))
		for _, f := range files {
			rel, _ := filepath.Rel("../..", f)
			copyFile(rel)
		}
	}
	return dst
}

func edit(t *testing.T, root, rel, old, new string) {
	t.Helper()
	p := filepath.Join(root, rel)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s does not contain %q", rel, old)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// stopJobMiddle is infra/jobs/stream/orders_rt.yaml between its json processor's last field
// and its dynamic-column policy.
const stopJobMiddle = `  - mask:
      fields:
        - {field: customer_id, method: hash, salt: change-me-per-deployment}
        - {field: customer, method: partial, keepFirst: 4, keepLast: 1}
  - filter: {field: status, op: "!=", value: refunded}
  - edit:
      keep: [order_id, customer, customer_id, city, amount, status, item_count, event_time]
      add:
        - {name: src_offset, attribute: offset}
mapping:
`

func TestChecksFindEachDefect(t *testing.T) {
	cases := []struct {
		name, file, old, new, want string
	}{
		{"misspelt field", "s.yaml", "      memorySize: 512\n      cpu: 0.35", "      memorySise: 512\n      cpu: 0.35", "field memorySise not found"},
		{"unknown trigger field", "s.yaml", "TimeBasedWindow: 5", "TimeBasedWindow: 5\n                CountWindow: 3", "field CountWindow not found"},
		{"unknown expression", "s.yaml", "${vars.lakeStore}", "${vars.lake}", "${vars.lake}: no such variable"},
		{"handler", "s.yaml", "code: ./dist/batch\n      handler: main", "code: ./dist/batch\n      handler: bootstrap", `handler: "bootstrap"`},
		{"runtime", "s.yaml", "runtime: go1\n      code: ./dist/stream", "runtime: custom.debian10\n      code: ./dist/stream", `runtime: "custom.debian10"`},
		{"code outside dist", "s.yaml", "code: ./dist/batch", "code: ./build/batch", "want ./dist/<function>"},
		{"memory not a multiple of 64", "s.yaml", "memorySize: 512\n      cpu: 0.35", "memorySize: 500\n      cpu: 0.35", "500: want a multiple of 64"},
		{"instance concurrency on go1", "s.yaml", "timeout: 120\n      instanceConcurrency: 1", "timeout: 120\n      instanceConcurrency: 4", "4: FC 3.0's built-in runtimes (go1) serve one request per instance"},
		{"no vCPU", "s.yaml", "      cpu: 0.35\n      diskSize: 512\n      timeout: 900", "      diskSize: 512\n      timeout: 900", "set the vCPU"},
		{"vCPU off the grid", "s.yaml", "      cpu: 0.35\n      diskSize: 512\n      timeout: 900", "      cpu: 0.33\n      diskSize: 512\n      timeout: 900", "0.33: want a multiple of 0.05"},
		{"too much memory per vCPU", "s.yaml", "      cpu: 0.35\n      diskSize: 512\n      timeout: 900", "      cpu: 0.1\n      diskSize: 512\n      timeout: 900", "512 MB for 0.1 vCPU: want 1 to 4 GB per vCPU"},
		{"stream timeout beyond a synchronous invocation", "s.yaml", "timeout: 120", "timeout: 600", "at most 300 seconds"},
		{"no pre-deploy build", "s.yaml", "        - run: make build", "        - run: go build ./...", "must run `make build`"},
		{"timer after an eventbridge trigger", "s.yaml", "                  Network: Default\n",
			"                  Network: Default\n        - triggerName: late-timer\n          triggerType: timer\n          triggerConfig: {cronExpression: '0 0 * * * *', enable: true, payload: '{}'}\n",
			"a timer trigger after an eventbridge trigger"},
		{"asynchronous eventbridge invocation", "s.yaml", "asyncInvocationType: false", "asyncInvocationType: true", "asyncInvocationType: want false"},
		{"tolerant trigger without dead letters", "s.yaml", "              deadLetterQueue:\n                Arn: ${vars.deadLetterQueue}\n", "", "that is data loss"},
		{"job that stops on new fields behind a tolerant trigger", "infra/jobs/stream/orders_rt.yaml",
			"    - {name: event_time, path: ts, type: TIMESTAMP}\n" + stopJobMiddle + "  dynamic: {policy: ignore}",
			"    - {name: event_time, path: ts, type: TIMESTAMP}\n      dynamic: {path: customer, prefix: c_}\n" + stopJobMiddle + "  dynamic: {policy: error}",
			"errorsTolerance: ALL: job orders_rt's dynamic-column policy is error"},
		{"batch window too large", "s.yaml", "CountBasedWindow: 1000", "CountBasedWindow: 20000", "20000: want 1 to 10000"},
		{"batch window too long", "s.yaml", "TimeBasedWindow: 5", "TimeBasedWindow: 30", "30: want 0 to 15 seconds"},
		{"no filter pattern", "s.yaml", "            eventRuleFilterPattern: '{}'\n", "", "eventRuleFilterPattern: required by fc3"},
		{"kafka network", "s.yaml", "Network: Default", "Network: Vpc", `Network: "Vpc"`},
		{"topic the job does not read", "s.yaml", "Topic: orders", "Topic: payments", `topic "payments": job orders_rt reads only orders`},
		{"unknown job in a timer payload", "s.yaml", `payload: '{"job":"orders_hourly"}'`, `payload: '{"job":"orders_weekly"}'`, `job "orders_weekly" is not packaged`},
		{"timer off the job's schedule", "s.yaml", `cronExpression: "0 */5 * * * *"`, `cronExpression: "0 */10 * * * *"`, "fires at other times than job orders_5min's schedule"},
		{"five-field cron", "s.yaml", `cronExpression: "0 15 * * * *"`, `cronExpression: "15 * * * *"`, "cronExpression: schedule: cron"},
		{"payload that does not decode", "s.yaml", `payload: '{"job":"orders_hourly"}'`, `payload: '{"job":'`, "triggerConfig.payload"},
		{"no failure destination", "s.yaml", "        destinationConfig:\n          onFailure:\n            destination: ${vars.failedQueue}\n      triggers:\n        - triggerName: orders-5min",
			"      triggers:\n        - triggerName: orders-5min", "onFailure: required"},
		{"password inside a value", "s.yaml", `"server":"alikafka-pre-cn-fcsync-1-vpc.alikafka.aliyuncs.com:9092"}`, `"server":"h:9092","kafkaConfig":{"sasl.password":"pw-1234"}}`, "FCSYNC_DATASOURCES: looks like a secret written into the template"},
		{"secret in the file", "s.yaml", "        FCSYNC_JOB: orders_rt\n", "        FCSYNC_JOB: orders_rt\n        FCSYNC_SASL_PASSWORD: hunter2\n", "looks like a secret written into the template"},
		{"store on the function's disk", "s.yaml", "FCSYNC_LAKE: ${vars.lakeStore}", "FCSYNC_LAKE: /mnt/lake", `"/mnt/lake": want an oss://bucket/prefix location`},
		{"datasources the function refuses", "s.yaml", `datasources: '{"shop_kafka":{"server"`, `datasources: '{"shop_kafka":{"servers"`, "the batch function refuses it: FCSYNC_DATASOURCES"},
		{"log config auto", "s.yaml", "      logConfig:\n        project: ${vars.logProject}\n        logstore: fcsync-stream\n        enableRequestMetrics: true\n        enableInstanceMetrics: true\n        logBeginRule: DefaultRegex\n", "      logConfig: auto\n", `"auto": name the project and logstore`},
		{"policy on a whole bucket", "infra/ram/fcsync-batch.json", `"acs:oss:*:*:fcsync-state/state/jobs/orders_5min/*"`, `"acs:oss:*:*:fcsync-state/*"`, "a whole bucket"},
		{"policy missing a job's prefix", "infra/ram/fcsync-batch.json", `"acs:oss:*:*:fcsync-state/runs/orders_hourly/*"`, `"acs:oss:*:*:fcsync-state/runs/orders_5min/*"`, "missing: oss:GetObject on acs:oss:*:*:fcsync-state/runs/orders_hourly/*"},
		{"policy with a wildcard action", "infra/ram/fcsync-stream.json", `"Action": "log:PostLogStoreLogs"`, `"Action": "log:*"`, `action "log:*" is not in the allow-list`},
		{"policy deleting write-once records", "infra/ram/fcsync-cdc.json", `"Action": ["oss:GetObject", "oss:PutObject"],`, `"Action": ["oss:GetObject", "oss:PutObject", "oss:DeleteObject"],`, "more than the jobs need: oss:DeleteObject on acs:oss:*:*:fcsync-state/runs/shop_cdc/*"},
		{"listing beyond the prefixes", "infra/ram/fcsync-cdc.json", `["runs/*", "runs/shop_cdc/*", "state/alerts/*", "state/cdc/shop_cdc/*"]`, `["*"]`, "more than the jobs need: oss:ListObjects on acs:oss:*:*:fcsync-state if StringLike oss:Prefix=*"},
		{"policy field typo", "infra/ram/fcsync-cdc.json", `"Resource": "acs:log`, `"Resources": "acs:log`, `unknown field "Resources"`},
		{"maxcompute table the jobs do not write", "infra/ram/maxcompute-fcsync-batch.json", "tables/orders", "tables/*", "MaxCompute grants name the project and each table"},
		{"trust beyond FC", "infra/ram/trust-fc.json", `["fc.aliyuncs.com"]`, `["fc.aliyuncs.com", "ecs.aliyuncs.com"]`, "lets only fc.aliyuncs.com assume the role"},
		{"alert rules not packaged", "Makefile", "	cp infra/deploy/alerts.yaml dist/cdc/alerts.yaml\n", "", "make build does not package infra/deploy/alerts.yaml"},
		{"alert rules file missing", "s.yaml", "FCSYNC_ALERTS: alerts.yaml", "FCSYNC_ALERTS: rules.yaml", "rules.yaml"},
		{"alert monitor without its grants", "infra/ram/fcsync-cdc.json", `"acs:oss:*:*:fcsync-state/state/alerts/*"`, `"acs:oss:*:*:fcsync-state/state/cdc/shop_cdc/*"`, "missing: oss:GetObject on acs:oss:*:*:fcsync-state/state/alerts/*"},
		{"lifecycle expiring state", "infra/oss/lifecycle.xml", "<Prefix>dirty/</Prefix>", "<Prefix>state/</Prefix>", `expires objects under "state/jobs/orders_5min/"`},
		{"lifecycle expiring the whole bucket", "infra/oss/lifecycle.xml", "<Prefix>runs/</Prefix>", "<Prefix></Prefix>", `expires objects under "lake/orders_rt/"`},
		{"lifecycle without run records", "infra/oss/lifecycle.xml", "<Prefix>runs/</Prefix>", "<Prefix>run/</Prefix>", `no rule expires "runs/"`},
		{"lifecycle rule switched off", "infra/oss/lifecycle.xml", "<Status>Enabled</Status>", "<Status>Disabled</Status>", `Status "Disabled"`},
		{"lifecycle with a tag filter", "infra/oss/lifecycle.xml", "<Status>Enabled</Status>", "<Status>Enabled</Status><Tag><Key>a</Key></Tag>", "element <Tag> is not used"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := fixture(t)
			edit(t, root, tc.file, tc.old, tc.new)
			p, err := Load(root, Render{})
			var got []string
			if err != nil {
				got = []string{err.Error()}
			} else {
				for _, pr := range p.Problems() {
					got = append(got, pr.String())
				}
			}
			for _, g := range got {
				if strings.Contains(g, tc.want) {
					return
				}
			}
			t.Errorf("no problem containing %q; got:\n%s", tc.want, strings.Join(got, "\n"))
		})
	}
}

func TestUnusedPolicyFilesAreReported(t *testing.T) {
	root := fixture(t)
	if err := os.WriteFile(filepath.Join(root, "infra/ram/fcsync-old.json"), []byte(`{"Version":"1","Statement":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Load(root, Render{})
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range p.Problems() {
		if pr.String() == "infra/ram/fcsync-old.json: no function of s.yaml uses it" {
			return
		}
	}
	t.Errorf("the unused policy was not reported")
}

func TestRenderUsesTheDeployersEnvironmentAndAccount(t *testing.T) {
	src := []byte(`edition: 3.0.0
vars: {q: "acs:mns:cn-hangzhou:${config('AccountID')}:/queues/x/messages", obj: {a: 1}}
resources:
  f:
    component: fc3
    props:
      functionName: f
      description: "${vars.q} and ${env('SECRET_DSN', 'none')}"
      vpcConfig: ${vars.obj}
      environmentVariables:
        DSN: ${env('SECRET_DSN')}
`)
	tm, err := ParseTemplate(src, Render{AccountID: "42", Getenv: func(k string) string { return map[string]string{"SECRET_DSN": "u:p@h"}[k] }})
	if err != nil {
		t.Fatal(err)
	}
	fn := tm.Resources["f"].Props
	if fn.Description != "acs:mns:cn-hangzhou:42:/queues/x/messages and u:p@h" || fn.EnvironmentVariables["DSN"] != "u:p@h" {
		t.Errorf("rendered %q, %q", fn.Description, fn.EnvironmentVariables["DSN"])
	}
	if m, ok := fn.VpcConfig.(map[string]any); !ok || m["a"] != 1 {
		t.Errorf("a mapping variable rendered as %#v", fn.VpcConfig)
	}
	if tm.Raw["f"]["DSN"] != "${env('SECRET_DSN')}" {
		t.Errorf("raw value %q", tm.Raw["f"]["DSN"])
	}
	for _, bad := range []string{"${vars.obj}x", "${file('x')}", "${vars.a.b}"} {
		src := []byte("vars: {obj: {a: 1}}\nresources: {f: {component: fc3, props: {description: \"" + bad + "\"}}}\n")
		if _, err := ParseTemplate(src, Render{}); err == nil {
			t.Errorf("%s rendered without error", bad)
		}
	}
}

// The example alert rules parse and watch jobs the template serves.
func TestAlertRulesWatchTheDeployedJobs(t *testing.T) {
	cfg, err := alert.LoadConfig("alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Load("../..", Render{})
	if err != nil {
		t.Fatal(err)
	}
	_, served := p.Check()
	jobs := map[string]bool{alert.AnyJob: true}
	for _, s := range served {
		for _, j := range s.Jobs {
			jobs[j] = true
		}
	}
	for _, r := range cfg.Rules {
		if !jobs[r.Job] {
			t.Errorf("rule %s watches job %q, which no function of s.yaml serves", r.Name, r.Job)
		}
		if len(r.Channels) == 0 {
			t.Errorf("rule %s sends nowhere", r.Name)
		}
	}
	if _, err := cfg.BuildChannels(func(string) string { return "" }); err == nil {
		t.Errorf("channels built without their secrets")
	}
}
