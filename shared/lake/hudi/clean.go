package hudi

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/fcsync/fcsync/shared/objstore"
)

const (
	suffixCleanRequested = ".clean.requested"
	suffixCleanInflight  = ".clean.inflight"
	suffixClean          = ".clean"
)

// CleanResult describes a Clean.
type CleanResult struct {
	// Instant is the clean this call planned and completed ("" when nothing was old enough).
	Instant string
	// Retained is the earliest commit whose snapshot stays readable ("" when the table has
	// no more commits than are retained).
	Retained string
	// Deleted counts the base files deleted, including those of Finished cleans.
	Deleted int
	// Finished are pending cleans (of cleaners that stopped half way) this call completed.
	Finished []string
}

// Clean deletes the base files that no snapshot of the newest retained commits reads
// (WithCleanRetained): per file group it keeps the newest base file and every one that was the
// newest as of a retained commit. It first completes cleans that stopped half way, and rolls
// back dead commit instants. Write cleans after every commit unless WithAutoClean(false); Clean
// also looks for stopped cleans and dead instants in the whole timeline, where Write's clean
// only looks at the instants since the oldest commit the commit log lists. See the package doc.
func (t *Table) Clean(ctx context.Context) (CleanResult, error) {
	where := "hudi " + t.root + ": clean"
	if t.cfg == nil {
		return CleanResult{}, fmt.Errorf("%s: %w", where, errReadOnly)
	}
	h, err := t.head(ctx)
	if err != nil {
		return CleanResult{}, fmt.Errorf("%s: %w", where, err)
	}
	if err := t.publish(ctx, h); err != nil {
		return CleanResult{}, fmt.Errorf("%s: %w", where, err)
	}
	res, err := t.clean(ctx, h, true)
	if err != nil {
		return res, fmt.Errorf("%s: %w", where, err)
	}
	return res, nil
}

// fileGroupKey names a file group.
type fileGroupKey struct{ partition, fileID string }

// clean runs one clean against the published log head h. With full unset it only reads the
// timeline above the oldest commit h lists (the cheap clean after a commit).
func (t *Table) clean(ctx context.Context, h *logHead, full bool) (CleanResult, error) {
	var res CleanResult
	head := h.state.Instant
	if head == "" {
		return res, nil
	}
	recent := h.state.Recent
	floor := ""
	if !full && len(recent) > 0 && recent[0].Seq > 1 {
		floor = recent[0].Instant
	}
	retained := t.o.retained
	if !full && h.number <= int64(retained) && floor == "" {
		// Every commit is retained and the whole timeline is in the window: nothing can be
		// old enough, and a stopped clean is finished by the next clean that has work.
		return res, nil
	}
	tl, err := t.scanTimeline(ctx, floor, "")
	if err != nil {
		return res, err
	}
	// The earliest retained commit: from the commit log, or from the whole timeline when the
	// log lists fewer commits than are retained.
	if h.number > int64(retained) {
		if len(recent) >= retained {
			res.Retained = recent[len(recent)-retained].Instant
		} else {
			if floor != "" {
				floor = ""
				if tl, err = t.scanTimeline(ctx, "", ""); err != nil {
					return res, err
				}
			}
			var done []string
			for _, i := range tl.order {
				if tl.marks[i].commit && i <= head {
					done = append(done, i)
				}
			}
			if len(done) > retained {
				res.Retained = done[len(done)-retained]
			}
		}
	}
	inLog := map[string]bool{head: true}
	for _, r := range recent {
		inLog[r.Instant] = true
	}
	committed := func(instant string) (bool, error) {
		switch {
		case instant > head:
			return false, nil
		case inLog[instant]:
			return true, nil
		case floor == "" || instant > floor:
			if m := tl.marks[instant]; m != nil && m.commit {
				return true, nil
			}
			if floor != "" || !tl.archived {
				return false, nil
			}
			// Archived commits have no .commit in the active timeline any more.
		}
		return t.isCommitted(ctx, head, instant)
	}
	if full {
		for _, i := range tl.order {
			if m := tl.marks[i]; i < head && !m.commit && (m.requested || m.inflight) {
				if err := t.rollback(ctx, i, nil); err != nil {
					return res, fmt.Errorf("roll back dead instant %s: %w", i, err)
				}
			}
		}
	}
	groups := map[fileGroupKey][]baseFileName{}
	if err := listBaseFiles(ctx, t.store, t.root, "", false, func(p string, n baseFileName) {
		k := fileGroupKey{p, n.fileID}
		groups[k] = append(groups[k], n)
	}); err != nil {
		return res, err
	}
	for _, i := range tl.order {
		if m := tl.marks[i]; m.cleanRequested && !m.clean {
			n, err := t.finishClean(ctx, i, m, groups, committed)
			if errors.Is(err, errForeignPlan) {
				// Not a plan fcsync wrote (or a damaged one): leave it to whoever wrote it.
				t.o.logger.Warn("hudi: pending clean left alone", "table", t.root, "instant", i, "err", err)
				continue
			}
			if err != nil {
				return res, fmt.Errorf("finish clean %s: %w", i, err)
			}
			if n >= 0 {
				res.Finished = append(res.Finished, i)
				res.Deleted += n
			}
		}
	}
	if res.Retained == "" {
		return res, nil
	}
	plan, err := planClean(groups, res.Retained, head, committed)
	if err != nil || plan.count() == 0 {
		return res, err
	}
	start := t.o.clock()
	instant, data, err := t.reserveClean(ctx, head, plan)
	if err != nil {
		return res, err
	}
	res.Instant = instant
	n, err := t.executeClean(ctx, instant, plan, data, groups, committed, start, false)
	res.Deleted += n
	if err != nil {
		return res, fmt.Errorf("clean %s: %w", instant, err)
	}
	t.o.logger.Info("hudi: cleaned", "table", t.root, "instant", instant, "retained", res.Retained, "deleted", n)
	return res, nil
}

// planClean picks, per file group, the committed base files older than the newest committed
// one at or before earliest (the earliest retained commit). Those are the files no retained
// snapshot reads: as of every retained commit that newer one (or a still newer one) is the
// file group's newest.
func planClean(groups map[fileGroupKey][]baseFileName, earliest, head string, committed func(string) (bool, error)) (*cleanPlan, error) {
	plan := &cleanPlan{Earliest: earliest, LastCompleted: head, Files: map[string][]string{}}
	for k, files := range groups {
		var old []baseFileName // at or before earliest, newest first
		for _, f := range files {
			if f.instant <= earliest {
				old = append(old, f)
			}
		}
		if len(old) < 2 {
			continue
		}
		slices.SortFunc(old, func(a, b baseFileName) int { return -strings.Compare(a.instant+a.token, b.instant+b.token) })
		keep := -1
		for i, f := range old {
			ok, err := committed(f.instant)
			if err != nil {
				return nil, err
			}
			if ok {
				keep = i
				break
			}
		}
		if keep < 0 {
			continue
		}
		for _, f := range old[keep+1:] {
			if f.instant == old[keep].instant {
				continue
			}
			ok, err := committed(f.instant)
			if err != nil {
				return nil, err
			}
			if ok {
				plan.Files[k.partition] = append(plan.Files[k.partition], f.String())
			}
		}
	}
	for _, files := range plan.Files {
		slices.Sort(files)
	}
	return plan, nil
}

// reserveClean picks a clean instant above head and every instant this Table used, and claims
// it by creating its .clean.requested (create-if-absent). Commits claim instants with
// .commit.requested, so after creating its file each side lists the instant's files and gives
// the instant up if the other side has it too (see reserveInstant): a clean never shares its
// instant with a commit attempt. It returns the instant and the plan's bytes.
func (t *Table) reserveClean(ctx context.Context, head string, plan *cleanPlan) (string, []byte, error) {
	data := plan.encode()
	t.mu.Lock()
	cand := formatInstant(t.o.clock())
	for _, low := range []string{head, t.lastInstant} {
		if low != "" && cand <= low {
			cand = nextInstant(low)
		}
	}
	t.mu.Unlock()
	for range 1000 {
		err := t.store.CreateIfAbsent(ctx, t.instantKey(cand, suffixCleanRequested), data)
		switch {
		case errors.Is(err, objstore.ErrExists):
			cand = nextInstant(cand)
			continue
		case err != nil:
			return "", nil, fmt.Errorf("reserve clean instant %s: %w", cand, err)
		}
		t.mu.Lock()
		t.lastInstant = max(t.lastInstant, cand)
		t.mu.Unlock()
		taken, err := t.instantHasCommit(ctx, cand)
		if err != nil {
			return "", nil, fmt.Errorf("reserve clean instant %s: %w", cand, err)
		}
		if !taken {
			return cand, data, nil
		}
		if err := t.store.Delete(ctx, t.instantKey(cand, suffixCleanRequested)); err != nil {
			return "", nil, fmt.Errorf("give up clean instant %s: %w", cand, err)
		}
		cand = nextInstant(cand)
	}
	return "", nil, errors.New("reserve clean instant: every candidate was taken")
}

// instantHasCommit reports whether a commit attempt holds instant (its .commit.requested,
// .inflight or .commit exists).
func (t *Table) instantHasCommit(ctx context.Context, instant string) (bool, error) {
	return t.instantHas(ctx, instant, func(action string) bool {
		return action == "commit" || action == "commit.requested" || action == "inflight"
	})
}

// instantHasClean reports whether a clean holds instant.
func (t *Table) instantHasClean(ctx context.Context, instant string) (bool, error) {
	return t.instantHas(ctx, instant, func(action string) bool { return strings.HasPrefix(action, "clean") })
}

func (t *Table) instantHas(ctx context.Context, instant string, match func(action string) bool) (bool, error) {
	prefix := t.instantKey(instant, ".")
	keys, _, err := t.store.List(ctx, prefix, "", 16)
	if err != nil {
		return false, err
	}
	for _, k := range keys {
		if match(strings.TrimPrefix(k, prefix)) {
			return true, nil
		}
	}
	return false, nil
}

// errForeignPlan marks a pending clean whose plan fcsync cannot read.
var errForeignPlan = errors.New("clean plan not written by fcsync")

// finishClean completes a clean that was planned (.clean.requested) but not completed. It
// returns the number of files deleted, or -1 when the clean was given up instead: a claim
// that lost its instant to a commit attempt, which has no .clean.inflight and is deleted.
func (t *Table) finishClean(ctx context.Context, instant string, m *instantMarks, groups map[fileGroupKey][]baseFileName, committed func(string) (bool, error)) (int, error) {
	if !m.cleanInflight && (m.requested || m.inflight || m.commit) {
		if err := t.store.Delete(ctx, t.instantKey(instant, suffixCleanRequested)); err != nil {
			return -1, err
		}
		return -1, nil
	}
	data, err := t.store.Get(ctx, t.instantKey(instant, suffixCleanRequested))
	if err != nil {
		return 0, err
	}
	plan, err := decodeCleanPlan(data)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", errForeignPlan, err)
	}
	return t.executeClean(ctx, instant, plan, data, groups, committed, t.o.clock(), true)
}

// executeClean moves a planned clean to inflight, deletes its files and completes it. With
// verify set (a plan read back from the store) a file is only deleted if its file group has a
// newer committed base file, so no plan can delete a file group's newest. Deleted files are
// dropped from groups.
func (t *Table) executeClean(ctx context.Context, instant string, plan *cleanPlan, data []byte,
	groups map[fileGroupKey][]baseFileName, committed func(string) (bool, error), start time.Time, verify bool) (int, error) {
	if err := t.store.CreateIfAbsent(ctx, t.instantKey(instant, suffixCleanInflight), data); err != nil && !errors.Is(err, objstore.ErrExists) {
		return 0, fmt.Errorf("create inflight: %w", err)
	}
	meta := cleanMetadata{Instant: instant, Earliest: plan.Earliest, LastCompleted: plan.LastCompleted,
		Deleted: map[string][]string{}, Failed: map[string][]string{}}
	deleted := 0
	for _, part := range sortedKeys(plan.Files) {
		for _, name := range plan.Files[part] {
			ok, err := t.deletable(part, name, groups, committed, verify)
			if err != nil {
				return deleted, err
			}
			if !ok {
				meta.Failed[part] = append(meta.Failed[part], name)
				continue
			}
			if err := t.store.Delete(ctx, joinKey(t.root, joinKey(part, name))); err != nil {
				return deleted, fmt.Errorf("delete %s: %w", joinKey(part, name), err)
			}
			meta.Deleted[part] = append(meta.Deleted[part], name)
			deleted++
			bn, _ := parseBaseFileName(name)
			k := fileGroupKey{part, bn.fileID}
			groups[k] = slices.DeleteFunc(groups[k], func(f baseFileName) bool { return f == bn })
		}
	}
	meta.TookMillis = max(0, t.o.clock().Sub(start).Milliseconds())
	if err := t.store.CreateIfAbsent(ctx, t.instantKey(instant, suffixClean), meta.encode()); err != nil && !errors.Is(err, objstore.ErrExists) {
		return deleted, fmt.Errorf("complete: %w", err)
	}
	return deleted, nil
}

// deletable checks a planned file: a base file name inside the table; with verify, one whose
// file group has a newer committed base file (or that is gone already).
func (t *Table) deletable(part, name string, groups map[fileGroupKey][]baseFileName, committed func(string) (bool, error), verify bool) (bool, error) {
	bn, ok := parseBaseFileName(name)
	if !ok || path.Base(name) != name || objstore.ValidKey(joinKey(t.root, joinKey(part, name))) != nil ||
		strings.HasPrefix(part+"/", hoodieDir+"/") {
		return false, nil
	}
	if !verify {
		return true, nil
	}
	files := groups[fileGroupKey{part, bn.fileID}]
	if !slices.Contains(files, bn) {
		return true, nil // gone already (deleting a missing key is not an error)
	}
	for _, f := range files {
		if f.instant > bn.instant {
			ok, err := committed(f.instant)
			if err != nil || ok {
				return ok, err
			}
		}
	}
	return false, nil
}
