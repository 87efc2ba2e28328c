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
)

var optionKeys = []string{OptAutoClean, OptCommitsRetained, OptCleanerPolicy, OptMaxFileSize, OptSmallFileLimit}

// ParseOptions reads writer options from a configuration tree, such as a stream job's
// writer.options:
//
//	hoodie.parquet.max.file.size: 67108864     # bytes, 1 KiB to 1 GiB (default 64 MiB)
//	hoodie.parquet.small.file.limit: 0         # bytes, 0 to max (default min(16 MiB, max))
//	hoodie.cleaner.commits.retained: 10        # 1 to 10000 (default 10)
//	hoodie.cleaner.policy: KEEP_LATEST_COMMITS # the only policy
//	hoodie.clean.automatic: true               # clean after every commit (default true)
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
	if n, ok, err := size(OptCommitsRetained, 1, maxRetained); err != nil {
		return nil, err
	} else if ok {
		opts = append(opts, WithCleanRetained(int(n)))
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
