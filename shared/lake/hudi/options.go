package hudi

import (
	"fmt"

	"github.com/fcsync/fcsync/shared/config"
)

// Writer option keys ParseOptions reads, named as Hudi's write configs are.
const (
	// OptMaxFileSize is the base file size to aim for, in bytes (WithFileSizes; 1 KiB to
	// 1 GiB, default 64 MiB).
	OptMaxFileSize = "hoodie.parquet.max.file.size"
	// OptSmallFileLimit is the size in bytes below which a base file takes new rows (0: never;
	// default 16 MiB, or the max file size if that is smaller).
	OptSmallFileLimit = "hoodie.parquet.small.file.limit"
	// OptCommitsRetained is the number of newest commits whose snapshots cleaning keeps
	// readable (WithCleanRetained; 1 to 10000, default 10).
	OptCommitsRetained = "hoodie.cleaner.commits.retained"
	// OptCleanerPolicy is the cleaning policy: only KEEP_LATEST_COMMITS.
	OptCleanerPolicy = "hoodie.cleaner.policy"
	// OptAutoClean cleans after every commit (WithAutoClean; default true).
	OptAutoClean = "hoodie.clean.automatic"
	// OptKeepMinCommits is the number of completed commits archiving leaves in the active
	// timeline (WithArchiveKeep; above hoodie.cleaner.commits.retained, default 20).
	OptKeepMinCommits = "hoodie.keep.min.commits"
	// OptKeepMaxCommits is the number of completed commits above which archiving starts
	// (WithArchiveKeep; above hoodie.keep.min.commits, default 30).
	OptKeepMaxCommits = "hoodie.keep.max.commits"
	// OptAutoArchive archives after every commit (WithAutoArchive; default false).
	OptAutoArchive = "hoodie.archive.automatic"
)

var optionKeys = []string{OptAutoArchive, OptAutoClean, OptCommitsRetained, OptCleanerPolicy, OptKeepMaxCommits,
	OptKeepMinCommits, OptMaxFileSize, OptSmallFileLimit}

// ParseOptions reads writer options from a configuration tree, such as a stream job's
// writer.options:
//
//	hoodie.parquet.max.file.size: 67108864     # bytes, 1 KiB to 1 GiB (default 64 MiB)
//	hoodie.parquet.small.file.limit: 0         # bytes, 0 to max (default min(16 MiB, max))
//	hoodie.cleaner.commits.retained: 10        # 1 to 10000 (default 10)
//	hoodie.cleaner.policy: KEEP_LATEST_COMMITS # the only policy
//	hoodie.clean.automatic: true               # clean after every commit (default true)
//	hoodie.keep.min.commits: 20                # above commits.retained (default 20)
//	hoodie.keep.max.commits: 30                # above keep.min (default 30)
//	hoodie.archive.automatic: false            # archive after every commit (default false)
//
// As Hudi's write config does, keep.min must be above commits.retained (with their defaults
// for unset keys: commits.retained 20 or more needs keep.min set) and keep.max above keep.min.
//
// Numbers and booleans may be given as strings. An unknown key or a bad value is an error
// naming it (where is the tree's place, e.g. "writer.options"). A nil or empty tree gives no
// options.
func ParseOptions(where string, m map[string]any) ([]Option, error) {
	if len(m) == 0 {
		return nil, nil
	}
	if err := config.OnlyKeys(where, m, optionKeys); err != nil {
		return nil, err
	}
	size := func(key string, lo, hi int64) (int64, bool, error) {
		v, ok := m[key]
		if !ok {
			return 0, false, nil
		}
		n, err := config.Int(config.Join(where, key), v)
		if err != nil {
			return 0, false, err
		}
		if n < lo || n > hi {
			return 0, false, fmt.Errorf("%s: %d is out of range: want %d to %d", config.Join(where, key), n, lo, hi)
		}
		return n, true, nil
	}
	var opts []Option
	maxSize, hasMax, err := size(OptMaxFileSize, minFileSize, maxFileSize)
	if err != nil {
		return nil, err
	}
	if !hasMax {
		maxSize = defaultMaxFile
	}
	small, hasSmall, err := size(OptSmallFileLimit, 0, maxFileSize)
	if err != nil {
		return nil, err
	}
	if small > maxSize {
		return nil, fmt.Errorf("%s: %d is above %s (%d)", config.Join(where, OptSmallFileLimit), small, OptMaxFileSize, maxSize)
	}
	if !hasSmall {
		small = min(defaultSmallFile, maxSize)
	}
	if hasMax || hasSmall {
		opts = append(opts, WithFileSizes(maxSize, small))
	}
	retained, hasRetained, err := size(OptCommitsRetained, 1, maxRetained)
	if err != nil {
		return nil, err
	}
	if hasRetained {
		opts = append(opts, WithCleanRetained(int(retained)))
	} else {
		retained = defaultRetained
	}
	keepMin, hasMin, err := size(OptKeepMinCommits, 1, maxKeep)
	if err != nil {
		return nil, err
	}
	if !hasMin {
		keepMin = defaultKeepMin
	}
	keepMax, hasMax, err := size(OptKeepMaxCommits, 1, maxKeep)
	if err != nil {
		return nil, err
	}
	if !hasMax {
		keepMax = defaultKeepMax
	}
	switch {
	case keepMax <= keepMin:
		return nil, fmt.Errorf("%s: %d must be greater than %s (%d)", config.Join(where, OptKeepMaxCommits), keepMax, OptKeepMinCommits, keepMin)
	case keepMin <= retained:
		return nil, fmt.Errorf("%s: %d must be greater than %s (%d), or archiving could drop commits cleaning still retains",
			config.Join(where, OptKeepMinCommits), keepMin, OptCommitsRetained, retained)
	}
	if hasMin || hasMax {
		opts = append(opts, WithArchiveKeep(int(keepMin), int(keepMax)))
	}
	if v, ok := m[OptAutoArchive]; ok {
		on, err := config.Bool(config.Join(where, OptAutoArchive), v)
		if err != nil {
			return nil, err
		}
		opts = append(opts, WithAutoArchive(on))
	}
	if v, ok := m[OptCleanerPolicy]; ok {
		p, err := config.String(config.Join(where, OptCleanerPolicy), v)
		if err != nil {
			return nil, err
		}
		if p != policyKeepLatestCommits {
			return nil, fmt.Errorf("%s: %q is not supported (only %s)", config.Join(where, OptCleanerPolicy), p, policyKeepLatestCommits)
		}
	}
	if v, ok := m[OptAutoClean]; ok {
		on, err := config.Bool(config.Join(where, OptAutoClean), v)
		if err != nil {
			return nil, err
		}
		opts = append(opts, WithAutoClean(on))
	}
	return opts, nil
}
