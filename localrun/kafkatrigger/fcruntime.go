package kafkatrigger

import (
	"context"

	"github.com/fcsync/fcsync/localrun/fcruntime"
)

// FCRuntime returns an Invoker that sends each payload to the function
// through an emulated FC runtime (and so to a function binary started with
// rt.StartProcess). opts apply to every invocation; RetryCount is set to the
// delivery attempt (Attempt). A function error (a returned error or a panic)
// and a runtime error (timeout, crashed process) both fail the invocation.
func FCRuntime(rt *fcruntime.Runtime, opts fcruntime.InvokeOptions) Invoker {
	return InvokerFunc(func(ctx context.Context, payload []byte) error {
		o := opts
		o.RetryCount = Attempt(ctx)
		res, err := rt.Invoke(ctx, payload, o)
		if err != nil {
			return err
		}
		if res.Err != nil {
			return res.Err
		}
		return nil
	})
}
