// Command cdc is the timer-triggered database-to-Kafka function ("DataWorks: Create a real-time
// synchronization solution to synchronize data to Kafka"). On Function Compute (runtime go1,
// handler main) it serves FC timer events; when AWS_LAMBDA_RUNTIME_API is set it serves AWS
// scheduled events instead. Either way one invocation advances one job — its snapshot, then its
// binlog changes — for at most the job's time budget, and saves where it stopped.
package main

import (
	"log/slog"
	"os"

	"github.com/fcsync/fcsync/functions/cdc/handler"
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
