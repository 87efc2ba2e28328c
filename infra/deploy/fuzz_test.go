package deploy

import (
	"os"
	"testing"
)

func FuzzParseTemplate(f *testing.F) {
	if b, err := os.ReadFile("../../s.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("vars: {a: {b: 1}}\nresources: {x: {component: fc3, props: {functionName: '${vars.a.b}', description: 'x${vars.a.b}y'}}}"))
	f.Add([]byte("resources: {x: {props: {triggers: [{triggerName: t, triggerType: timer, triggerConfig: {cronExpression: '${env(\"A\")}'}}]}}}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tm, err := ParseTemplate(data, Render{})
		if err != nil {
			return
		}
		for _, name := range tm.Order {
			for _, tr := range tm.Resources[name].Props.Triggers {
				var tc TimerConfig
				_ = strictNode(&tr.TriggerConfig, &tc)
				var eb EventBridgeConfig
				_ = strictNode(&tr.TriggerConfig, &eb)
			}
		}
	})
}
