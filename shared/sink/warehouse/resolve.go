package warehouse

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/sink"
)

var _ sink.Resolver = (*Warehouse)(nil)

// Committed reports whether the partition's current snapshot holds files of segment: a
// commit publishes each partition atomically, so they are there entirely or not at all. An
// absent table or partition holds nothing.
func (w *Warehouse) Committed(ctx context.Context, table, segment string, p schema.Partition) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	tdir, err := w.tableDir(table)
	if err != nil {
		return false, fmt.Errorf("warehouse committed: %w", err)
	}
	t, err := readSchema(tdir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("warehouse committed: table %s: %w", table, err)
	}
	cp, err := checkPartition(&t, p, false)
	if err != nil {
		return false, fmt.Errorf("warehouse committed: %w", err)
	}
	var names []string
	for try := 0; ; try++ {
		dir, _, err := currentSnapshot(tdir, cp)
		if err != nil || dir == "" {
			return false, err
		}
		names, err = listDataFiles(dir)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) || try == 2 {
			return false, fmt.Errorf("warehouse committed: table %s partition %s: %w", table, displayPartition(cp), err)
		}
		// The snapshot was collected after a newer one was published: look again.
	}
	key := segmentKey(segment)
	for _, n := range names {
		if parseDataFile(n).segment == key {
			return true, nil
		}
	}
	return false, nil
}
