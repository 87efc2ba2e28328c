// Command batch is the timer-triggered batch-window function. On Function Compute (runtime go1,
// handler main) it serves FC timer events; when AWS_LAMBDA_RUNTIME_API is set it serves AWS
// scheduled events instead. Either way one invocation runs one window of one job.
package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"

	"github.com/aliyun/fc-runtime-go-sdk/fc"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/fcsync/fcsync/functions/batch/handler"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	cfg, err := handler.ConfigFromEnv(os.Getenv)
	if err != nil {
		log.Error("configuration", "err", err.Error())
		os.Exit(2)
	}
	h := handler.New(cfg, log)
	if os.Getenv("AWS_LAMBDA_RUNTIME_API") != "" {
		lambda.Start(func(ctx context.Context, event json.RawMessage) (*handler.Result, error) {
			return h.Invoke(ctx, event, handler.Credentials{
				AccessKeyID:     os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"),
				AccessKeySecret: os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
				SecurityToken:   os.Getenv("ALIBABA_CLOUD_SECURITY_TOKEN"),
			})
		})
		return
	}
	fc.Start(func(ctx context.Context, event []byte) (*handler.Result, error) {
		return h.Invoke(ctx, event, fcCredentials(ctx))
	})
}

// fcCredentials reads the STS keys FC passes with each invocation, falling back to the
// ALIBABA_CLOUD_* environment FC 3.0 also sets.
func fcCredentials(ctx context.Context) handler.Credentials {
	c := handler.Credentials{
		AccessKeyID:     os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"),
		AccessKeySecret: os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
		SecurityToken:   os.Getenv("ALIBABA_CLOUD_SECURITY_TOKEN"),
	}
	if fctx, ok := fccontext.FromContext(ctx); ok && fctx.Credentials.AccessKeyId != "" {
		c = handler.Credentials{
			AccessKeyID:     fctx.Credentials.AccessKeyId,
			AccessKeySecret: fctx.Credentials.AccessKeySecret,
			SecurityToken:   fctx.Credentials.SecurityToken,
		}
	}
	return c
}
