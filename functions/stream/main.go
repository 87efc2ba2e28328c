// Command stream is the Kafka-triggered real-time function. On Function Compute (runtime go1,
// handler main) it serves the Kafka trigger's CloudEvents batches; when AWS_LAMBDA_RUNTIME_API
// is set it serves AWS Lambda Kafka events instead. Either way one invocation writes one
// micro-batch into the job's table (Hudi, or MaxCompute: see package handler), exactly once.
package main

import (
	"log/slog"
	"os"

	"github.com/fcsync/fcsync/functions/platform"
	"github.com/fcsync/fcsync/functions/stream/handler"
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
