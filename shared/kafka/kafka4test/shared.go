package kafka4test

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/fcsync/fcsync/shared/counterpart"
)

// TB is the part of testing.TB that Shared uses (so that this package needs no testing import).
type TB interface {
	counterpart.TB
}

var shared struct {
	mu     sync.Mutex
	broker *Broker
	err    error
	done   bool
}

// Shared returns the test binary's broker, starting it on first use. A missing java or mvn
// skips the test (fails it under FCSYNC_REQUIRE_INTEROP=1); a broker that would not start
// fails it, and every later test too, without starting again. Call StopShared from TestMain.
func Shared(tb TB) *Broker {
	tb.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.done {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		shared.broker, shared.err = Start(ctx)
		cancel()
		shared.done = true
	}
	if errors.Is(shared.err, counterpart.ErrMissing) {
		counterpart.Missing(tb, "Kafka %s broker: %v", Version, shared.err)
	}
	if shared.err != nil {
		tb.Fatalf("Kafka %s broker: %v", Version, shared.err)
	}
	return shared.broker
}

// StopShared stops the broker Shared started, if any.
func StopShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.broker != nil {
		shared.broker.Close()
		shared.broker = nil
	}
}
