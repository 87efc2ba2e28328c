// Package platform starts a function on the platform it finds itself on — Function Compute
// (runtime go1) or AWS Lambda when AWS_LAMBDA_RUNTIME_API is set — and reads the cloud
// credentials each invocation carries. Functions hand it one Handler and get out of the way.
package platform

import (
	"context"
	"encoding/json"
	"os"
	"strconv"

	"github.com/aliyun/fc-runtime-go-sdk/fc"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
	"github.com/aws/aws-lambda-go/lambda"
)

// Credentials are the per-invocation cloud keys (FC passes temporary STS keys with each
// invocation). They are handed to the cloud adapters and never logged.
type Credentials struct {
	AccessKeyID, AccessKeySecret, SecurityToken string
}

// String hides the keys, so a Credentials value printed by mistake shows nothing secret.
func (c Credentials) String() string {
	if c.AccessKeyID == "" {
		return "credentials(none)"
	}
	return "credentials(set)"
}

// Handler serves one invocation: the raw event payload in, a JSON-encodable result out.
type Handler[T any] func(ctx context.Context, event []byte, creds Credentials) (T, error)

// Start serves invocations until the platform stops the process. The Go heap's soft limit is
// set from the function's memory size on the first invocation (see LimitMemory).
func Start[T any](h Handler[T]) {
	if os.Getenv("AWS_LAMBDA_RUNTIME_API") != "" {
		LimitMemory(lambdaMemoryMB(os.Getenv), os.Getenv)
		lambda.Start(func(ctx context.Context, event json.RawMessage) (T, error) {
			return h(ctx, event, FromEnv(os.Getenv))
		})
		return
	}
	fc.Start(func(ctx context.Context, event []byte) (T, error) {
		if fctx, ok := fccontext.FromContext(ctx); ok {
			mb, _ := strconv.Atoi(fctx.Function.Memory)
			LimitMemory(mb, os.Getenv)
		}
		return h(ctx, event, FromContext(ctx, os.Getenv))
	})
}

// FromEnv reads the ALIBABA_CLOUD_* keys FC 3.0 (and a Lambda configured for Alibaba Cloud)
// sets in the environment.
func FromEnv(getenv func(string) string) Credentials {
	return Credentials{
		AccessKeyID:     getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"),
		AccessKeySecret: getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
		SecurityToken:   getenv("ALIBABA_CLOUD_SECURITY_TOKEN"),
	}
}

// FromContext reads the STS keys FC passes with the invocation, falling back to the
// environment when the invocation carries none.
func FromContext(ctx context.Context, getenv func(string) string) Credentials {
	if fctx, ok := fccontext.FromContext(ctx); ok && fctx.Credentials.AccessKeyId != "" {
		return Credentials{
			AccessKeyID:     fctx.Credentials.AccessKeyId,
			AccessKeySecret: fctx.Credentials.AccessKeySecret,
			SecurityToken:   fctx.Credentials.SecurityToken,
		}
	}
	return FromEnv(getenv)
}
