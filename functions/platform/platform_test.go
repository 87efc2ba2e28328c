package platform

import (
	"context"
	"fmt"
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
		{"smallest FC size", 128, nil, 107374182},
		{"the functions' s.yaml size", 512, nil, 429496729},
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
	if got := lambdaMemoryMB(func(string) string { return "1024" }); got != 1024 {
		t.Fatalf("lambda memory size: got %d", got)
	}
	if got := lambdaMemoryMB(func(string) string { return "lots" }); got != 0 {
		t.Fatalf("a malformed lambda memory size must read as unknown, got %d", got)
	}
}
