package cdc

import "time"

// WithPollIdle sets how long the binlog loop waits for an event before it counts as idle
// (default 500 ms), so tests with a fake clock spend little real time idling.
func WithPollIdle(d time.Duration) Option { return func(r *Runner) { r.pollIdle = d } }
