// Command batch is the timer-triggered batch-window function. On Function Compute (runtime go1,
// handler main) it serves FC timer events; when AWS_LAMBDA_RUNTIME_API is set it serves AWS
// scheduled events instead. Either way one invocation runs one window of one job.
package main

import (
	"log/slog"
	"os"

	"github.com/fcsync/fcsync/functions/batch/handler"
	"github.com/fcsync/fcsync/functions/platform"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	cfg, err := handler.ConfigFromEnv(os.Getenv)
	if err != nil {
		log.Error("configuration", "err", err.Error())
		os.Exit(2)
	}
	platform.Start(handler.New(cfg, log).Invoke)
}
