package window

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/fcsync/fcsync/shared/job"
	"github.com/fcsync/fcsync/shared/kafka"
	"github.com/fcsync/fcsync/shared/state"
)

// keepWindows is how many committed windows the ledger remembers. Older ones are folded into
// the floor; a rerun of a forgotten window is refused rather than guessed.
const keepWindows = 2000

// Status of a planned window.
const (
	StatusPlanned   = "planned"
	StatusCommitted = "committed"
)

// Planned is one window as recorded in the job's ledger.
type Planned struct {
	ID        string                `json:"id"`
	Tick      time.Time             `json:"tick"`
	Partition string                `json:"partition"`
	Ranges    map[int32]kafka.Range `json:"ranges"`
	Begin     *time.Time            `json:"begin,omitempty"` // time window, when the job reads by time
	End       *time.Time            `json:"end,omitempty"`
	Status    string                `json:"status"`
	PlannedAt time.Time             `json:"plannedAt"`
	Counts    *Counts               `json:"counts,omitempty"`
}

// Ledger is the job's window state: every planned window, oldest first.
type Ledger struct {
	Windows []Planned `json:"windows"`
	// ForgottenThrough is the newest tick folded out of Windows; reruns at or before it are refused.
	ForgottenThrough time.Time `json:"forgottenThrough,omitzero"`
}

func (l *Ledger) find(tick time.Time) int {
	for i := range l.Windows {
		if l.Windows[i].Tick.Equal(tick) {
			return i
		}
	}
	return -1
}

// neighbours returns the planned windows just before and just after tick.
func (l *Ledger) neighbours(tick time.Time) (prev, next *Planned) {
	for i := range l.Windows {
		w := &l.Windows[i]
		if w.Tick.Before(tick) {
			prev = w
		} else if w.Tick.After(tick) && next == nil {
			next = w
		}
	}
	return prev, next
}

func (l *Ledger) insert(p Planned) {
	l.Windows = append(l.Windows, p)
	sort.Slice(l.Windows, func(i, j int) bool { return l.Windows[i].Tick.Before(l.Windows[j].Tick) })
	for len(l.Windows) > keepWindows && l.Windows[0].Status == StatusCommitted {
		l.ForgottenThrough = l.Windows[0].Tick
		l.Windows = l.Windows[1:]
	}
}

func decodeLedger(v state.Version) (*Ledger, error) {
	l := &Ledger{}
	if len(v.Data) == 0 {
		return l, nil
	}
	if err := json.Unmarshal(v.Data, l); err != nil {
		return nil, fmt.Errorf("window ledger version %d is corrupt: %w", v.Number, err)
	}
	return l, nil
}

// plan fixes the window's offset ranges in the ledger, or returns the ones a previous attempt fixed.
func (r *runner) plan(ctx context.Context) (Planned, bool, error) {
	var out Planned
	var rerun bool
	_, err := r.ledger.Update(ctx, func(cur state.Version) ([]byte, error) {
		l, err := decodeLedger(cur)
		if err != nil {
			return nil, err
		}
		if i := l.find(r.tick); i >= 0 {
			out, rerun = l.Windows[i], true
			return nil, state.ErrNoChange
		}
		if !l.ForgottenThrough.IsZero() && !r.tick.After(l.ForgottenThrough) {
			return nil, fmt.Errorf("window %s is older than the %d windows the ledger keeps; its offsets are no longer known, so a rerun could duplicate data", r.tick.Format(time.RFC3339), keepWindows)
		}
		prev, next := l.neighbours(r.tick)
		p, err := r.computeRanges(ctx, prev, next)
		if err != nil {
			return nil, err
		}
		out, rerun = p, false
		l.insert(p)
		return json.Marshal(l)
	})
	return out, rerun, err
}

func (r *runner) computeRanges(ctx context.Context, prev, next *Planned) (Planned, error) {
	k := r.job.Reader
	parts, err := r.partitions(ctx)
	if err != nil {
		return Planned{}, err
	}
	earliest, err := r.src.Earliest(ctx, parts)
	if err != nil {
		return Planned{}, fmt.Errorf("earliest offsets: %w", err)
	}
	latest, err := r.src.Latest(ctx, parts)
	if err != nil {
		return Planned{}, fmt.Errorf("high watermarks: %w", err)
	}
	if k.End.Kind == job.PosOffset && k.StopWhenPollEmpty {
		if latest, err = r.waitForEnd(ctx, parts, latest); err != nil {
			return Planned{}, err
		}
	}
	var starts map[int32]int64
	if prev == nil {
		if starts, err = r.position(ctx, k.Begin, parts, earliest, latest); err != nil {
			return Planned{}, fmt.Errorf("begin: %w", err)
		}
	}
	ends := latest
	if k.Begin.Kind == job.PosEnd {
		ends = nil // seekToEnd reads nothing: end = start
	} else if k.End.Kind != job.PosNone {
		if ends, err = r.position(ctx, r.endEdge(), parts, earliest, latest); err != nil {
			return Planned{}, fmt.Errorf("end: %w", err)
		}
	}
	p := Planned{
		ID:        r.segment,
		Tick:      r.tick,
		Partition: r.job.Writer.Partition.String(),
		Ranges:    map[int32]kafka.Range{},
		Status:    StatusPlanned,
		PlannedAt: r.now(),
	}
	if r.timeWindow() {
		b, e := k.Begin.Time.UTC(), k.End.Time.UTC()
		p.Begin, p.End = &b, &e
	}
	for _, part := range parts {
		var start int64
		if prev != nil {
			s, ok := prev.Ranges[part]
			if ok {
				start = s.End
			} else {
				start = earliest[part] // a partition added since the previous window: all of it is new
			}
		} else {
			start = starts[part]
		}
		end := start
		if ends != nil {
			end = max(ends[part], start)
		}
		end = min(end, latest[part])
		if next != nil {
			if s, ok := next.Ranges[part]; ok {
				end = min(end, s.Start)
			}
		}
		start = min(start, end)
		if start < earliest[part] {
			return Planned{}, fmt.Errorf("topic %s partition %d: offsets %d..%d expired from Kafka (retention) before this window read them; %d records are gone", k.Topic, part, start, earliest[part], earliest[part]-start)
		}
		p.Ranges[part] = kafka.Range{Start: start, End: end}
	}
	return p, nil
}

func (r *runner) partitions(ctx context.Context) ([]int32, error) {
	if p := r.job.Reader.Partition; p != nil {
		all, err := r.src.Partitions(ctx)
		if err != nil {
			return nil, fmt.Errorf("partitions of topic %s: %w", r.job.Reader.Topic, err)
		}
		for _, q := range all {
			if q == *p {
				return []int32{*p}, nil
			}
		}
		return nil, fmt.Errorf("topic %s has no partition %d", r.job.Reader.Topic, *p)
	}
	parts, err := r.src.Partitions(ctx)
	if err != nil {
		return nil, fmt.Errorf("partitions of topic %s: %w", r.job.Reader.Topic, err)
	}
	return parts, nil
}

// position resolves a begin or end edge to offsets per partition.
func (r *runner) position(ctx context.Context, pos job.Position, parts []int32, earliest, latest map[int32]int64) (map[int32]int64, error) {
	switch pos.Kind {
	case job.PosTime:
		return r.src.OffsetsForTime(ctx, parts, pos.Time)
	case job.PosBeginning:
		return earliest, nil
	case job.PosEnd:
		return latest, nil
	case job.PosOffset:
		out := map[int32]int64{}
		for _, p := range parts {
			out[p] = pos.Offset
		}
		return out, nil
	case job.PosLast:
		group := r.job.Reader.GroupID
		if group == "" {
			return nil, errors.New("seekToLast needs a consumer group (groupId or kafkaConfig group.id)")
		}
		committed, err := r.src.Committed(ctx, group, parts)
		if err != nil {
			return nil, fmt.Errorf("committed offsets of group %s: %w", group, err)
		}
		out := map[int32]int64{}
		for _, p := range parts {
			c, ok := committed[p]
			if !ok || c < 0 {
				c = earliest[p] // no committed offset yet: from the beginning, nothing skipped
			}
			out[p] = c
		}
		return out, nil
	}
	return nil, fmt.Errorf("no position given")
}

// waitForEnd implements stopWhenPollEmpty for an explicit end offset beyond the data: poll the
// high watermarks until every partition reached the end or none moved for waitTime.
func (r *runner) waitForEnd(ctx context.Context, parts []int32, latest map[int32]int64) (map[int32]int64, error) {
	end := r.job.Reader.End.Offset
	idleSince := r.now()
	for {
		done := true
		for _, p := range parts {
			if latest[p] < end {
				done = false
			}
		}
		if done || r.now().Sub(idleSince) >= r.job.Reader.WaitTime {
			return latest, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(min(time.Second, r.job.Reader.WaitTime)):
		}
		next, err := r.src.Latest(ctx, parts)
		if err != nil {
			return nil, fmt.Errorf("high watermarks: %w", err)
		}
		for _, p := range parts {
			if next[p] != latest[p] {
				idleSince = r.now()
			}
		}
		latest = next
	}
}

// commitLedger marks the window committed with its counts. newest reports that no later window
// is planned: only then do the window's end offsets tell the job's progress.
func (r *runner) commitLedger(ctx context.Context, counts Counts) (newest bool, err error) {
	_, err = r.ledger.Update(ctx, func(cur state.Version) ([]byte, error) {
		l, err := decodeLedger(cur)
		if err != nil {
			return nil, err
		}
		i := l.find(r.tick)
		if i < 0 {
			return nil, fmt.Errorf("window %s vanished from the ledger", r.tick.Format(time.RFC3339))
		}
		l.Windows[i].Status = StatusCommitted
		c := counts
		l.Windows[i].Counts = &c
		newest = i == len(l.Windows)-1 // Windows are sorted by tick
		return json.Marshal(l)
	})
	return newest, err
}

func (r *runner) timeWindow() bool {
	return r.job.Reader.Begin.Kind == job.PosTime && r.job.Reader.End.Kind == job.PosTime
}
