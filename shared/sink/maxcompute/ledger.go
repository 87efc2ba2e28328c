package maxcompute

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fcsync/fcsync/shared/state"
)

// Statuses of a commit record.
const (
	statusPending   = "pending"   // the upload is about to be committed (or was, and the answer is unknown)
	statusCommitted = "committed" // the upload is committed: the segment's rows are in the partition
	statusAborted   = "aborted"   // the upload was never committed and never will be
)

// record is the state of one (table, partition, segment) of Append sessions.
type record struct {
	Segment   string    `json:"segment"`
	Partition string    `json:"partition"`
	Upload    string    `json:"upload"`
	Blocks    []int     `json:"blocks"`
	Rows      int64     `json:"rows"`
	Status    string    `json:"status"`
	Since     time.Time `json:"since"`
}

// ledger is the state log of one (table, partition, segment).
type ledger struct {
	log *state.Log
}

// escapeKey turns a name into [A-Za-z0-9_-] (other bytes become _XX), or "h" and a SHA-256
// when long, so a state key never depends on what a partition value or segment id holds.
func escapeKey(s string) string {
	var b strings.Builder
	b.WriteByte('s')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "_%02X", c)
		}
		if b.Len() > 100 {
			sum := sha256.Sum256([]byte(s))
			return "h" + hex.EncodeToString(sum[:])
		}
	}
	return b.String()
}

// partitionScope is the state prefix of every segment's record of a partition.
func (s *Sink) partitionScope(table, partition string) string {
	return s.opt.stateScope + "/" + escapeKey(strings.ToLower(s.cfg.Project)) + "/" + escapeKey(strings.ToLower(table)) + "/" + escapeKey(partition)
}

func (s *Sink) ledger(table, partition, segment string) *ledger {
	return &ledger{log: state.New(s.store, s.partitionScope(table, partition)+"/"+escapeKey(segment))}
}

// load returns the newest record, or ok false when there is none.
func (l *ledger) load(ctx context.Context) (record, bool, error) {
	v, err := l.log.Load(ctx)
	if err != nil || v.Number == 0 {
		return record{}, false, err
	}
	var r record
	if err := json.Unmarshal(v.Data, &r); err != nil {
		return record{}, false, fmt.Errorf("state %s version %d: %w", l.log.Scope(), v.Number, err)
	}
	return r, true, nil
}

// errChanged is returned when the newest record is not what an update expected: load it
// and decide again.
var errChanged = errors.New("the commit record changed meanwhile")

// change writes next when decide, given the newest record (nil: the log is empty), says so.
// decide returns (false, nil) to write nothing, or an error to stop.
func (l *ledger) change(ctx context.Context, decide func(cur *record) (next *record, err error)) error {
	_, err := l.log.Update(ctx, func(v state.Version) ([]byte, error) {
		var cur *record
		if v.Number > 0 {
			cur = new(record)
			if err := json.Unmarshal(v.Data, cur); err != nil {
				return nil, fmt.Errorf("version %d: %w", v.Number, err)
			}
		}
		next, err := decide(cur)
		if err != nil {
			return nil, err
		}
		if next == nil {
			return nil, state.ErrNoChange
		}
		return json.Marshal(next)
	})
	return err
}

// claimResult is what claim found.
type claimResult int

const (
	claimed          claimResult = iota // the record is ours, pending
	alreadyCommitted                    // the segment committed this partition before
	otherPending                        // another upload of the segment is pending: resolve it
)

// claim records ours (pending) unless the segment already committed the partition or another
// upload of the segment is pending; cur is the record found in those two cases.
func (l *ledger) claim(ctx context.Context, ours record) (claimResult, record, error) {
	var res claimResult
	var found record
	err := l.change(ctx, func(cur *record) (*record, error) {
		res, found = claimed, record{}
		switch {
		case cur == nil || cur.Status == statusAborted:
			return &ours, nil
		case cur.Status == statusCommitted:
			res, found = alreadyCommitted, *cur
			return nil, nil
		case cur.Upload == ours.Upload:
			return nil, nil // ours already (a retried Commit)
		default:
			res, found = otherPending, *cur
			return nil, nil
		}
	})
	return res, found, err
}

// finish turns the pending record of upload into status (committed or aborted). It is a
// no-op when that is done already, and errChanged when the record is another upload's.
func (l *ledger) finish(ctx context.Context, upload, status string, at time.Time) error {
	return l.change(ctx, func(cur *record) (*record, error) {
		switch {
		case cur == nil || cur.Upload != upload:
			return nil, errChanged
		case cur.Status == status:
			return nil, nil
		case cur.Status != statusPending:
			return nil, fmt.Errorf("%w: upload %s is %s, not pending", errChanged, upload, cur.Status)
		}
		next := *cur
		next.Status, next.Since = status, at
		return &next, nil
	})
}

// replace puts ours in place of the pending record of upload other (which can never commit).
func (l *ledger) replace(ctx context.Context, other string, ours record) error {
	return l.change(ctx, func(cur *record) (*record, error) {
		if cur == nil || cur.Upload != other || cur.Status != statusPending {
			return nil, errChanged
		}
		return &ours, nil
	})
}
