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

	mu      sync.Mutex
	start   time.Time
	bytes   float64
	records float64
}

func newPacer(bytesPerSec, recordsPerSec float64) *pacer {
	return &pacer{bytesPerSec: bytesPerSec, recordsPerSec: recordsPerSec, start: time.Now()}
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
	sleep := due - time.Since(p.start)
	p.mu.Unlock()
	if sleep <= 0 {
		return
	}
	select {
	case <-ctx.Done():
	case <-time.After(sleep):
	}
}
