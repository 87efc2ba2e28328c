package maxcompute

import (
	"context"
	"fmt"

	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/sink"
)

var _ sink.Resolver = (*Sink)(nil)

// Committed reports whether segment's Append rows are in partition p of table, from the
// segment's commit record: committed is yes; none or aborted is no; pending is settled as a
// session's Begin settles it (the upload session answers: CLOSED is yes, still open is
// rolled forward, gone is no, and the record says so from then on). An absent table holds
// nothing.
func (s *Sink) Committed(ctx context.Context, table, segment string, p schema.Partition) (bool, error) {
	t, found, err := s.loadTable(ctx, table)
	if err != nil {
		return false, fmt.Errorf("maxcompute committed: %w", err)
	}
	if !found {
		return false, nil
	}
	cp, err := t.checkPartition(p)
	if err != nil {
		return false, fmt.Errorf("maxcompute committed: %w", err)
	}
	led := s.ledger(t.name, cp.String(), segment)
	for range 5 {
		rec, ok, err := led.load(ctx)
		if err != nil {
			return false, fmt.Errorf("maxcompute committed: table %s partition %s: commit record: %w", t.name, displayPartition(cp), err)
		}
		switch {
		case !ok || rec.Status == statusAborted:
			return false, nil
		case rec.Status == statusCommitted:
			return true, nil
		}
		committed, _, err := s.settle(ctx, s.opt.log.With("table", t.name, "segment", segment), t.name, cp, led, rec)
		if err != nil {
			return false, fmt.Errorf("maxcompute committed: %w", err)
		}
		if committed {
			return true, nil
		}
	}
	return false, fmt.Errorf("maxcompute committed: table %s partition %s: the commit record of segment %q keeps changing", t.name, displayPartition(cp), segment)
}
