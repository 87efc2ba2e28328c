package platform

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
)

func TestCredentialsComeFromTheInvocationThenTheEnvironment(t *testing.T) {
	env := map[string]string{
		"ALIBABA_CLOUD_ACCESS_KEY_ID":     "env-id",
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET": "env-secret",
		"ALIBABA_CLOUD_SECURITY_TOKEN":    "env-token",
	}
	getenv := func(k string) string { return env[k] }
	withKeys := fccontext.NewContext(context.Background(), &fccontext.FcContext{
		Credentials: fccontext.Credentials{AccessKeyId: "sts-id", AccessKeySecret: "sts-secret", SecurityToken: "sts-token"},
	})
	withoutKeys := fccontext.NewContext(context.Background(), &fccontext.FcContext{})
	cases := []struct {
		name string
		ctx  context.Context
		want Credentials
	}{
		{"invocation keys win", withKeys, Credentials{"sts-id", "sts-secret", "sts-token"}},
		{"an invocation without keys falls back to the environment", withoutKeys, Credentials{"env-id", "env-secret", "env-token"}},
		{"no FC context at all: the environment", context.Background(), Credentials{"env-id", "env-secret", "env-token"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := FromContext(c.ctx, getenv); got != c.want {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestPrintingCredentialsShowsNoKey(t *testing.T) {
	c := Credentials{"id-123", "secret-456", "token-789"}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v", c), fmt.Sprintf("%s", c)} {
		if s != "credentials(set)" {
			t.Errorf("printed as %q", s)
		}
	}
	if s := fmt.Sprint(Credentials{}); s != "credentials(none)" {
		t.Errorf("empty printed as %q", s)
	}
}

func TestMemoryLimitLeavesRoomBesideTheHeapAndYieldsToGOMEMLIMIT(t *testing.T) {
	cases := []struct {
		name     string
		memoryMB int
		env      map[string]string
		want     int64
	}{
		{"smallest FC size", 128, nil, 100663296},
		{"the functions' s.yaml size", 512, nil, 402653184},
		{"unknown size sets nothing", 0, nil, 0},
		{"explicit GOMEMLIMIT wins", 512, map[string]string{"GOMEMLIMIT": "300MiB"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := MemoryLimit(c.memoryMB, func(k string) string { return c.env[k] })
			if got != c.want {
				t.Fatalf("MemoryLimit(%d) = %d, want %d", c.memoryMB, got, c.want)
			}
		})
	}
	gc := []struct {
		name  string
		limit int64
		env   map[string]string
		want  bool
	}{
		{"a limit collects at the limit", 100663296, nil, true},
		{"an explicit GOGC wins", 100663296, map[string]string{"GOGC": "100"}, false},
		{"no limit leaves GOGC alone", 0, nil, false},
	}
	for _, c := range gc {
		if got := CollectAtLimit(c.limit, func(k string) string { return c.env[k] }); got != c.want {
			t.Errorf("%s: CollectAtLimit = %v, want %v", c.name, got, c.want)
		}
	}
	if got := lambdaMemoryMB(func(string) string { return "1024" }); got != 1024 {
		t.Fatalf("lambda memory size: got %d", got)
	}
	if got := lambdaMemoryMB(func(string) string { return "lots" }); got != 0 {
		t.Fatalf("a malformed lambda memory size must read as unknown, got %d", got)
	}
}

// TestLimitMemorySetsTheLimitAndCollectsAtIt runs LimitMemory in a child process (it changes
// the runtime's settings once per process) and reads the settings back.
func TestLimitMemorySetsTheLimitAndCollectsAtIt(t *testing.T) {
	if os.Getenv("FCSYNC_LIMIT_MEMORY_CHILD") == "1" {
		limit := LimitMemory(128, os.Getenv)
		gotLimit := debug.SetMemoryLimit(-1)
		gotGC := debug.SetGCPercent(-1)
		if limit != 100663296 || gotLimit != limit || gotGC != -1 {
			fmt.Printf("limit %d, runtime limit %d, GOGC %d\n", limit, gotLimit, gotGC)
			os.Exit(1)
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestLimitMemorySetsTheLimitAndCollectsAtIt$")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOGC=") && !strings.HasPrefix(kv, "GOMEMLIMIT=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "FCSYNC_LIMIT_MEMORY_CHILD=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
}
