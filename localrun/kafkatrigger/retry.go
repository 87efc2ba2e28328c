package kafkatrigger

import (
	"context"
	"fmt"
	"time"
)

// RetryStrategy is EventBridge's retryStrategy.
type RetryStrategy string

// Retry strategies.
const (
	// BackoffRetry waits a fixed delay between attempts (EventBridge: 3 retries,
	// 10 to 20 s apart).
	BackoffRetry RetryStrategy = "BACKOFF_RETRY"
	// ExponentialDecayRetry doubles the delay after each attempt up to a cap
	// (EventBridge: 176 retries, 1 s doubling up to 512 s, about a day).
	ExponentialDecayRetry RetryStrategy = "EXPONENTIAL_DECAY_RETRY"
)

// RetryPolicy says how failed invocations are retried. Zero fields take the
// defaults of the strategy: BACKOFF_RETRY 4 attempts 10 s apart,
// EXPONENTIAL_DECAY_RETRY 177 attempts from 1 s doubling to 512 s. Tests set
// small delays (or WithSleep) and few attempts.
type RetryPolicy struct {
	Strategy    RetryStrategy // default BackoffRetry
	MaxAttempts int           // attempts in all, the first included (1: no retry)
	Delay       time.Duration // the fixed delay, or the first exponential one
	MaxDelay    time.Duration // cap of the exponential delays
}

func (p RetryPolicy) validate() error {
	switch {
	case p.Strategy != "" && p.Strategy != BackoffRetry && p.Strategy != ExponentialDecayRetry:
		return fmt.Errorf("retry strategy %q is neither %s nor %s", p.Strategy, BackoffRetry, ExponentialDecayRetry)
	case p.MaxAttempts < 0:
		return fmt.Errorf("retry max attempts %d is negative", p.MaxAttempts)
	case p.Delay < 0 || p.MaxDelay < 0:
		return fmt.Errorf("retry delays %s and %s: negative", p.Delay, p.MaxDelay)
	}
	return nil
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Strategy == "" {
		p.Strategy = BackoffRetry
	}
	switch p.Strategy {
	case BackoffRetry:
		if p.MaxAttempts == 0 {
			p.MaxAttempts = 4
		}
		if p.Delay == 0 {
			p.Delay = 10 * time.Second
		}
	case ExponentialDecayRetry:
		if p.MaxAttempts == 0 {
			p.MaxAttempts = 177
		}
		if p.Delay == 0 {
			p.Delay = time.Second
		}
		if p.MaxDelay == 0 {
			p.MaxDelay = 512 * time.Second
		}
		p.MaxDelay = max(p.MaxDelay, p.Delay)
	}
	return p
}

// delay is the wait before attempt+1 (attempt 0 is the first).
func (p RetryPolicy) delay(attempt int) time.Duration {
	if p.Strategy != ExponentialDecayRetry {
		return p.Delay
	}
	d := p.Delay
	for range attempt {
		if d >= p.MaxDelay/2 {
			return p.MaxDelay
		}
		d *= 2
	}
	return min(d, p.MaxDelay)
}

type attemptKey struct{}

// Attempt returns which delivery attempt of a batch ctx belongs to, 0 for the
// first, inside Invoker.Invoke (0 elsewhere). It is what FC reports as the
// invocation's retry count.
func Attempt(ctx context.Context) int {
	n, _ := ctx.Value(attemptKey{}).(int)
	return n
}

// invoke delivers one payload with retries, holding a task slot for the
// duration. It returns the attempts made and the last error.
func (t *Trigger) invoke(ctx context.Context, payload []byte) (attempts int, err error) {
	if t.tasks != nil {
		select {
		case t.tasks <- struct{}{}:
			defer func() { <-t.tasks }()
		case <-ctx.Done():
			return 0, context.Cause(ctx)
		}
	}
	p := t.o.retry
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			t.count(func(s *Stats) { s.Retries++ })
		}
		t.count(func(s *Stats) { s.Invocations++ })
		err = t.inv.Invoke(context.WithValue(ctx, attemptKey{}, attempt), payload)
		if err == nil {
			return attempt + 1, nil
		}
		if ctx.Err() != nil {
			return attempt + 1, fmt.Errorf("%w (stopped: %w)", err, context.Cause(ctx))
		}
		if attempt+1 >= p.MaxAttempts {
			return attempt + 1, err
		}
		d := p.delay(attempt)
		t.o.log.Warn("kafkatrigger: invocation failed, retrying", "topic", t.client.Topic(), "attempt", attempt+1, "delay", d, "err", err)
		if serr := t.o.sleep(ctx, d); serr != nil {
			return attempt + 1, fmt.Errorf("%w (stopped: %w)", err, serr)
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
