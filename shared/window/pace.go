package window

import (
	"context"
	"sync"
	"time"
)

// pacer enforces speed.mbps / speed.byte / speed.record: callers wait until the work they report
// fits under the rate since the pacer started.
type pacer struct {
	bytesPerSec, recordsPerSec float64

	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration)

	mu      sync.Mutex
	start   time.Time
	bytes   float64
	records float64
}

func newPacer(bytesPerSec, recordsPerSec float64) *pacer {
	return newPacerClock(bytesPerSec, recordsPerSec, time.Now, sleepCtx)
}

func newPacerClock(bytesPerSec, recordsPerSec float64, now func() time.Time, sleep func(context.Context, time.Duration)) *pacer {
	return &pacer{bytesPerSec: bytesPerSec, recordsPerSec: recordsPerSec, now: now, sleep: sleep, start: now()}
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func (p *pacer) wait(ctx context.Context, records int, bytes int64) {
	if p.bytesPerSec <= 0 && p.recordsPerSec <= 0 {
		return
	}
	p.mu.Lock()
	p.bytes += float64(bytes)
	p.records += float64(records)
	var due time.Duration
	if p.bytesPerSec > 0 {
		due = max(due, time.Duration(p.bytes/p.bytesPerSec*float64(time.Second)))
	}
	if p.recordsPerSec > 0 {
		due = max(due, time.Duration(p.records/p.recordsPerSec*float64(time.Second)))
	}
	wait := due - p.now().Sub(p.start)
	p.mu.Unlock()
	if wait > 0 {
		p.sleep(ctx, wait)
	}
}
