package deploy

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Template is a rendered s.yaml.
type Template struct {
	Edition   string              `yaml:"edition"`
	Name      string              `yaml:"name"`
	Access    string              `yaml:"access"`
	Vars      map[string]any      `yaml:"vars"`
	Resources map[string]Resource `yaml:"resources"`

	// Order is the resources' names in file order (deploy order).
	Order []string `yaml:"-"`
	// Raw holds each resource's environment variables before rendering, to tell values written
	// in the file from values taken from the deployer's environment.
	Raw map[string]map[string]string `yaml:"-"`
	// Rendered is the whole rendered document as plain values (what `s preview` prints).
	Rendered map[string]any `yaml:"-"`
}

// Resource is one resource of the template.
type Resource struct {
	Component string              `yaml:"component"`
	Actions   map[string][]Action `yaml:"actions"`
	Props     Function            `yaml:"props"`
}

// Action is a pre- or post- action.
type Action struct {
	Run       string `yaml:"run"`
	Path      string `yaml:"path"`
	Component string `yaml:"component"`
	Plugin    string `yaml:"plugin"`
	Args      any    `yaml:"args"`
}

// Function is the fc3 component's props (devsapp/fc3 src/interface/function.ts). Fields fcsync
// does not use are accepted untyped so a valid fc3 template is never refused.
type Function struct {
	Region               string             `yaml:"region"`
	FunctionName         string             `yaml:"functionName"`
	Description          string             `yaml:"description"`
	Runtime              string             `yaml:"runtime"`
	Code                 any                `yaml:"code"`
	Handler              string             `yaml:"handler"`
	MemorySize           int                `yaml:"memorySize"`
	Timeout              int                `yaml:"timeout"`
	InstanceConcurrency  int                `yaml:"instanceConcurrency"`
	Role                 string             `yaml:"role"`
	VpcConfig            any                `yaml:"vpcConfig"` // IVpcConfig or "auto"
	InternetAccess       *bool              `yaml:"internetAccess"`
	LogConfig            any                `yaml:"logConfig"` // ILogConfig or "auto"
	EnvironmentVariables map[string]string  `yaml:"environmentVariables"`
	AsyncInvokeConfig    *AsyncInvokeConfig `yaml:"asyncInvokeConfig"`
	Triggers             []Trigger          `yaml:"triggers"`

	Annotations             any `yaml:"annotations"`
	ConcurrencyConfig       any `yaml:"concurrencyConfig"`
	CPU                     any `yaml:"cpu"`
	CustomContainerConfig   any `yaml:"customContainerConfig"`
	CustomDNS               any `yaml:"customDNS"`
	CustomRuntimeConfig     any `yaml:"customRuntimeConfig"`
	DiskSize                any `yaml:"diskSize"`
	EnableLongLiving        any `yaml:"enableLongLiving"`
	Endpoint                any `yaml:"endpoint"`
	GpuConfig               any `yaml:"gpuConfig"`
	InstanceIsolationMode   any `yaml:"instanceIsolationMode"`
	InstanceLifecycleConfig any `yaml:"instanceLifecycleConfig"`
	Layers                  any `yaml:"layers"`
	NasConfig               any `yaml:"nasConfig"`
	OssMountConfig          any `yaml:"ossMountConfig"`
	ProvisionConfig         any `yaml:"provisionConfig"`
	ResourceGroupID         any `yaml:"resourceGroupId"`
	ScalingConfig           any `yaml:"scalingConfig"`
	SessionAffinity         any `yaml:"sessionAffinity"`
	SessionAffinityConfig   any `yaml:"sessionAffinityConfig"`
	Supplement              any `yaml:"supplement"`
	Tags                    any `yaml:"tags"`
	TracingConfig           any `yaml:"tracingConfig"`
	VpcBinding              any `yaml:"vpcBinding"`
}

// VpcConfig is IVpcConfig.
type VpcConfig struct {
	VpcID           string   `yaml:"vpcId"`
	VSwitchIDs      []string `yaml:"vSwitchIds"`
	SecurityGroupID string   `yaml:"securityGroupId"`
}

// LogConfig is ILogConfig.
type LogConfig struct {
	Project               string `yaml:"project"`
	Logstore              string `yaml:"logstore"`
	EnableRequestMetrics  bool   `yaml:"enableRequestMetrics"`
	EnableInstanceMetrics bool   `yaml:"enableInstanceMetrics"`
	EnableLlmMetrics      bool   `yaml:"enableLlmMetrics"`
	LogBeginRule          string `yaml:"logBeginRule"`
}

// AsyncInvokeConfig is IAsyncInvokeConfig.
type AsyncInvokeConfig struct {
	MaxAsyncRetryAttempts     *int   `yaml:"maxAsyncRetryAttempts"`
	MaxAsyncEventAgeInSeconds *int   `yaml:"maxAsyncEventAgeInSeconds"`
	AsyncTask                 bool   `yaml:"asyncTask"`
	Qualifier                 string `yaml:"qualifier"`
	DestinationConfig         *struct {
		OnSuccess *Destination `yaml:"onSuccess"`
		OnFailure *Destination `yaml:"onFailure"`
	} `yaml:"destinationConfig"`
}

// Destination is IDestination.
type Destination struct {
	Destination string `yaml:"destination"`
}

// Trigger is ITrigger; Config is decoded by type (TimerConfig, EventBridgeConfig).
type Trigger struct {
	TriggerName    string    `yaml:"triggerName"`
	TriggerType    string    `yaml:"triggerType"`
	Description    string    `yaml:"description"`
	Qualifier      string    `yaml:"qualifier"`
	SourceArn      string    `yaml:"sourceArn"`
	InvocationRole string    `yaml:"invocationRole"`
	TriggerConfig  yaml.Node `yaml:"triggerConfig"`
}

// TimerConfig is ITimerTriggerConfig.
type TimerConfig struct {
	CronExpression string `yaml:"cronExpression"`
	Enable         *bool  `yaml:"enable"`
	Payload        string `yaml:"payload"`
}

// EventBridgeConfig is IEventBridge with the Kafka source's structures (FC API 2023-03-30:
// DeliveryOption, RunOptions, RetryStrategy, DeadLetterQueue, BatchWindow, SourceKafkaParameters).
type EventBridgeConfig struct {
	TriggerEnable          *bool   `yaml:"triggerEnable"`
	AsyncInvocationType    *bool   `yaml:"asyncInvocationType"`
	EventRuleFilterPattern *string `yaml:"eventRuleFilterPattern"`
	EventSinkConfig        struct {
		DeliveryOption struct {
			Mode        string `yaml:"mode"`
			EventSchema string `yaml:"eventSchema"`
			Concurrency int    `yaml:"concurrency"`
		} `yaml:"deliveryOption"`
	} `yaml:"eventSinkConfig"`
	RunOptions struct {
		Mode            string `yaml:"mode"`
		MaximumTasks    int    `yaml:"maximumTasks"`
		ErrorsTolerance string `yaml:"errorsTolerance"`
		RetryStrategy   struct {
			PushRetryStrategy        string `yaml:"PushRetryStrategy"`
			MaximumRetryAttempts     *int   `yaml:"MaximumRetryAttempts"`
			MaximumEventAgeInSeconds *int   `yaml:"MaximumEventAgeInSeconds"`
		} `yaml:"retryStrategy"`
		DeadLetterQueue *struct {
			Arn string `yaml:"Arn"`
		} `yaml:"deadLetterQueue"`
		BatchWindow *struct {
			CountBasedWindow int `yaml:"CountBasedWindow"`
			TimeBasedWindow  int `yaml:"TimeBasedWindow"`
		} `yaml:"batchWindow"`
	} `yaml:"runOptions"`
	EventSourceConfig struct {
		EventSourceType       string `yaml:"eventSourceType"`
		EventSourceParameters struct {
			SourceKafkaParameters *KafkaSource `yaml:"sourceKafkaParameters"`
		} `yaml:"eventSourceParameters"`
	} `yaml:"eventSourceConfig"`
}

// KafkaSource is SourceKafkaParameters.
type KafkaSource struct {
	RegionID        string `yaml:"RegionId"`
	InstanceID      string `yaml:"InstanceId"`
	Topic           string `yaml:"Topic"`
	ConsumerGroup   string `yaml:"ConsumerGroup"`
	OffsetReset     string `yaml:"OffsetReset"`
	Network         string `yaml:"Network"`
	VpcID           string `yaml:"VpcId"`
	VSwitchIDs      string `yaml:"VSwitchIds"`
	SecurityGroupID string `yaml:"SecurityGroupId"`
}

// Render holds what `s` would substitute for ${config('AccountID')} and ${env(...)}.
type Render struct {
	AccountID string              // default "1234567890123456"
	Getenv    func(string) string // default: every variable unset
}

// LoadTemplate reads and renders the template at path.
func LoadTemplate(path string, r Render) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t, err := ParseTemplate(data, r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return t, nil
}

// ParseTemplate renders and decodes a template. Unknown fields are errors with their line.
func ParseTemplate(data []byte, r Render) (*Template, error) {
	if r.AccountID == "" {
		r.AccountID = "1234567890123456"
	}
	if r.Getenv == nil {
		r.Getenv = func(string) string { return "" }
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("want a mapping at the top")
	}
	top := doc.Content[0]
	t := &Template{Raw: map[string]map[string]string{}}
	// vars first: they may use config() and env(), not other vars.
	rd := &renderer{r: r}
	if vars := mapValue(top, "vars"); vars != nil {
		if err := rd.walk(vars, "vars"); err != nil {
			return nil, err
		}
		rd.vars = vars
	}
	if res := mapValue(top, "resources"); res != nil && res.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(res.Content); i += 2 {
			name := res.Content[i].Value
			t.Order = append(t.Order, name)
			if env := mapValue(mapValue(res.Content[i+1], "props"), "environmentVariables"); env != nil && env.Kind == yaml.MappingNode {
				raw := map[string]string{}
				for j := 0; j+1 < len(env.Content); j += 2 {
					raw[env.Content[j].Value] = env.Content[j+1].Value
				}
				t.Raw[name] = raw
			}
		}
		if err := rd.walk(res, "resources"); err != nil {
			return nil, err
		}
	}
	out, err := yaml.Marshal(top)
	if err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(out, &t.Rendered); err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(out))
	dec.KnownFields(true)
	if err := dec.Decode(t); err != nil {
		return nil, fmt.Errorf("rendered template: %w", err)
	}
	return t, nil
}

// mapValue is the value node of key in mapping n (nil when absent).
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

var exprRE = regexp.MustCompile(`\$\{([^}]*)\}`)
var envRE = regexp.MustCompile(`^env\(\s*'([A-Za-z_][A-Za-z0-9_]*)'\s*(?:,\s*'([^']*)'\s*)?\)$`)

type renderer struct {
	r    Render
	vars *yaml.Node
}

// walk renders every scalar under n in place.
func (rd *renderer) walk(n *yaml.Node, where string) error {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if err := rd.walk(n.Content[i+1], where+"."+n.Content[i].Value); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if err := rd.walk(c, fmt.Sprintf("%s[%d]", where, i)); err != nil {
				return err
			}
		}
	case yaml.ScalarNode:
		return rd.scalar(n, where)
	}
	return nil
}

func (rd *renderer) scalar(n *yaml.Node, where string) error {
	if !strings.Contains(n.Value, "${") {
		return nil
	}
	// A value that is one expression takes the expression's node (a var may be a mapping).
	if m := exprRE.FindStringSubmatchIndex(n.Value); m != nil && m[0] == 0 && m[1] == len(n.Value) {
		v, err := rd.eval(strings.TrimSpace(n.Value[m[2]:m[3]]), where)
		if err != nil {
			return err
		}
		line, col := n.Line, n.Column
		*n = *v
		n.Line, n.Column = line, col
		return nil
	}
	var err error
	out := exprRE.ReplaceAllStringFunc(n.Value, func(s string) string {
		v, e := rd.eval(strings.TrimSpace(s[2:len(s)-1]), where)
		if e != nil {
			err = e
			return s
		}
		if v.Kind != yaml.ScalarNode {
			err = fmt.Errorf("%s (line %d): %s is not text and cannot be part of a string", where, n.Line, s)
			return s
		}
		return v.Value
	})
	if err != nil {
		return err
	}
	n.Value, n.Tag, n.Style = out, "!!str", 0
	return nil
}

func (rd *renderer) eval(expr, where string) (*yaml.Node, error) {
	str := func(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }
	switch {
	case expr == "config('AccountID')" || expr == `config("AccountID")`:
		return str(rd.r.AccountID), nil
	case strings.HasPrefix(expr, "vars."):
		if rd.vars == nil {
			return nil, fmt.Errorf("%s: ${%s}: variables cannot refer to variables", where, expr)
		}
		v := rd.vars
		for _, k := range strings.Split(strings.TrimPrefix(expr, "vars."), ".") {
			if v = mapValue(v, k); v == nil {
				return nil, fmt.Errorf("%s: ${%s}: no such variable", where, expr)
			}
		}
		c := *v
		return &c, nil
	}
	if m := envRE.FindStringSubmatch(expr); m != nil {
		if v := rd.r.Getenv(m[1]); v != "" {
			return str(v), nil
		}
		return str(m[2]), nil
	}
	return nil, fmt.Errorf("%s: ${%s}: fcsync's checks understand only ${vars.x}, ${config('AccountID')} and ${env('NAME', 'default')}", where, expr)
}
