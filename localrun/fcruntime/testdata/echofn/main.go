// Command echofn is a tiny FC function for fcruntime's tests. Its payload may ask it to do
// something: {"action":"echo"} (the default, also for payloads that are not JSON) answers
// with the payload and everything fccontext and the environment told it; "error" returns a
// *badInputError with the message; "panic" panics in the handler (the SDK reports it);
// "exit" exits with the code mid-invocation; "crash" panics in a new goroutine, which kills
// the process; "exit-first" exits on the first attempt (RetryCount 0) and echoes on retries;
// "hang" never answers.
package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"

	"github.com/aliyun/fc-runtime-go-sdk/fc"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
)

type command struct {
	Action  string `json:"action"`
	Message string `json:"message"`
	Code    int    `json:"code"`
}

type reply struct {
	Payload         string            `json:"payload"`
	RequestID       string            `json:"requestId"`
	AccessKeyID     string            `json:"accessKeyId"`
	AccessKeySecret string            `json:"accessKeySecret"`
	SecurityToken   string            `json:"securityToken"`
	FunctionName    string            `json:"functionName"`
	Handler         string            `json:"handler"`
	Memory          string            `json:"memory"`
	Timeout         int               `json:"timeout"`
	Region          string            `json:"region"`
	AccountID       string            `json:"accountId"`
	RetryCount      int               `json:"retryCount"`
	DeadlineMS      int64             `json:"deadlineMs"`
	PID             int               `json:"pid"`
	Env             map[string]string `json:"env"`
}

type badInputError struct{ msg string }

func (e *badInputError) Error() string { return e.msg }

func handle(ctx context.Context, payload []byte) (reply, error) {
	fctx, ok := fccontext.FromContext(ctx)
	if !ok {
		return reply{}, &badInputError{msg: "no fccontext"}
	}
	var cmd command
	_ = json.Unmarshal(payload, &cmd) // not JSON: echo
	switch cmd.Action {
	case "error":
		return reply{}, &badInputError{msg: cmd.Message}
	case "panic":
		panic(cmd.Message)
	case "exit":
		os.Exit(cmd.Code)
	case "exit-first":
		if fctx.RetryCount == 0 {
			os.Exit(cmd.Code)
		}
	case "crash":
		done := make(chan struct{})
		go func() { panic(cmd.Message) }()
		<-done
	case "hang":
		select {}
	}
	r := reply{
		Payload:         string(payload),
		RequestID:       fctx.RequestID,
		AccessKeyID:     fctx.Credentials.AccessKeyId,
		AccessKeySecret: fctx.Credentials.AccessKeySecret,
		SecurityToken:   fctx.Credentials.SecurityToken,
		FunctionName:    fctx.Function.Name,
		Handler:         fctx.Function.Handler,
		Memory:          fctx.Function.Memory,
		Timeout:         fctx.Function.Timeout,
		Region:          fctx.Region,
		AccountID:       fctx.AccountId,
		RetryCount:      fctx.RetryCount,
		PID:             os.Getpid(),
		Env:             map[string]string{},
	}
	if d, ok := ctx.Deadline(); ok {
		r.DeadlineMS = d.UnixMilli()
	}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "FC_") || strings.HasPrefix(kv, "ALIBABA_CLOUD_") || strings.HasPrefix(kv, "ECHOFN_") {
			k, v, _ := strings.Cut(kv, "=")
			r.Env[k] = v
		}
	}
	return r, nil
}

func main() {
	fc.Start(handle)
}
