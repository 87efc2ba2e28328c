package warehouse

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/fcsync/fcsync/shared/schema"
)

// publish builds the partition's next snapshot and switches its symlink to it. The new
// snapshot holds the current files that keepName keeps plus newFiles (moved from staging).
// The caller holds the table lock.
func (w *Warehouse) publish(tdir string, p schema.Partition, segKey string, overwrite bool, staging string, newFiles []string) error {
	snaps, err := snapshotsOf(tdir, p)
	if err != nil {
		return err
	}
	link, err := linkPath(tdir, p)
	if err != nil {
		return err
	}
	curDir, curGen, err := currentSnapshot(tdir, p)
	if err != nil {
		return err
	}
	var old []string
	if curDir != "" {
		if old, err = listDataFiles(curDir); err != nil {
			return fmt.Errorf("snapshot %s: %w", curGen, err)
		}
	}
	var keep []string
	for _, name := range old {
		if keepName(name, segKey, overwrite) {
			keep = append(keep, name)
		}
	}
	switch {
	case curDir == "" && len(newFiles) == 0 && !overwrite:
		return nil // nothing to create
	case curDir != "" && len(newFiles) == 0 && len(keep) == len(old):
		return nil // nothing changes
	}

	if err := os.MkdirAll(snaps, 0o755); err != nil {
		return err
	}
	next, err := nextGen(snaps)
	if err != nil {
		return err
	}
	gen := genName(next)
	dir := filepath.Join(snaps, gen)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	for _, name := range keep {
		if err := os.Link(filepath.Join(curDir, name), filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("keep %s: %w", name, err)
		}
	}
	for _, name := range newFiles {
		if err := os.Rename(filepath.Join(staging, name), filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("move %s: %w", name, err)
		}
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	// Switch: a fresh symlink renamed over the old one (rename(2) is atomic).
	parent := filepath.Dir(link)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp := filepath.Join(parent, ".tmp-link-"+newSessionID())
	if err := os.Symlink(linkTarget(p, gen), tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, link); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := syncDir(parent); err != nil {
		return err
	}
	w.collect(snaps, next)
	return nil
}

// listDataFiles lists a snapshot's Parquet files by name.
func listDataFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if isDataFile(e.Name()) {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

type genDir struct {
	n   uint64
	mod time.Time
}

func listGens(snaps string) ([]genDir, error) {
	entries, err := os.ReadDir(snaps)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var gens []genDir
	for _, e := range entries {
		n, ok := parseGen(e.Name())
		if !ok || !e.IsDir() {
			continue
		}
		g := genDir{n: n}
		if info, err := e.Info(); err == nil {
			g.mod = info.ModTime()
		}
		gens = append(gens, g)
	}
	sort.Slice(gens, func(i, j int) bool { return gens[i].n < gens[j].n })
	return gens, nil
}

func nextGen(snaps string) (uint64, error) {
	gens, err := listGens(snaps)
	if err != nil {
		return 0, err
	}
	if len(gens) == 0 {
		return 1, nil
	}
	return gens[len(gens)-1].n + 1, nil
}

// collect removes a partition's superseded snapshots: never the current one or the one
// before it, and not one superseded less than the grace period ago; snapshots newer than the
// current one were never published (a crashed commit) and go at once. The caller holds the
// table lock.
func (w *Warehouse) collect(snaps string, current uint64) {
	gens, err := listGens(snaps)
	if err != nil {
		w.opt.log.Warn("warehouse: listing snapshots", "dir", snaps, "err", err)
		return
	}
	ci := sort.Search(len(gens), func(i int) bool { return gens[i].n >= current })
	if ci == len(gens) || gens[ci].n != current {
		return
	}
	cutoff := time.Now().Add(-w.opt.grace)
	for i, g := range gens {
		var remove bool
		switch {
		case i > ci:
			remove = true // never published
		case i >= ci-1:
			remove = false // current and previous
		default:
			remove = gens[i+1].mod.Before(cutoff) // superseded when gens[i+1] was made
		}
		if !remove {
			continue
		}
		dir := filepath.Join(snaps, genName(g.n))
		if err := os.RemoveAll(dir); err != nil {
			w.opt.log.Warn("warehouse: removing snapshot", "dir", dir, "err", err)
		}
	}
}
