package hudi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/fcsync/fcsync/shared/lake/hudi"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schema"
)

func TestParseOptionsRefusesUnknownKeysAndBadValuesNamingThem(t *testing.T) {
	tests := []struct {
		name string
		opts map[string]any
		want string
	}{
		{"unknown key", map[string]any{"hoodie.parquet.max.file.sizes": 1}, "writer.options.hoodie.parquet.max.file.sizes: unknown field"},
		{"not a number", map[string]any{hudi.OptMaxFileSize: "big"}, "writer.options.hoodie.parquet.max.file.size: want a whole number"},
		{"fraction", map[string]any{hudi.OptMaxFileSize: 1.5}, "hoodie.parquet.max.file.size: want a whole number"},
		{"max too small", map[string]any{hudi.OptMaxFileSize: 100}, "hoodie.parquet.max.file.size: 100 is out of range"},
		{"max too large", map[string]any{hudi.OptMaxFileSize: int64(4) << 30}, "hoodie.parquet.max.file.size: 4294967296 is out of range"},
		{"negative small", map[string]any{hudi.OptSmallFileLimit: -1}, "hoodie.parquet.small.file.limit: -1 is out of range"},
		{"small above max", map[string]any{hudi.OptMaxFileSize: 1 << 20, hudi.OptSmallFileLimit: 2 << 20}, "hoodie.parquet.small.file.limit: 2097152 is above hoodie.parquet.max.file.size (1048576)"},
		{"small above default max", map[string]any{hudi.OptSmallFileLimit: 100 << 20}, "is above hoodie.parquet.max.file.size (67108864)"},
		{"no commits retained", map[string]any{hudi.OptCommitsRetained: 0}, "hoodie.cleaner.commits.retained: 0 is out of range"},
		{"other policy", map[string]any{hudi.OptCleanerPolicy: "KEEP_LATEST_FILE_VERSIONS"}, `hoodie.cleaner.policy: "KEEP_LATEST_FILE_VERSIONS" is not supported`},
		{"bad boolean", map[string]any{hudi.OptAutoClean: "sometimes"}, "hoodie.clean.automatic: want true or false"},
		{"keep max not above min", map[string]any{hudi.OptKeepMinCommits: 20, hudi.OptKeepMaxCommits: 20}, "writer.options.hoodie.keep.max.commits: 20 must be greater than hoodie.keep.min.commits (20)"},
		{"keep max below default min", map[string]any{hudi.OptKeepMaxCommits: 15}, "hoodie.keep.max.commits: 15 must be greater than hoodie.keep.min.commits (20)"},
		{"keep min not above retained", map[string]any{hudi.OptCommitsRetained: 12, hudi.OptKeepMinCommits: 12}, "writer.options.hoodie.keep.min.commits: 12 must be greater than hoodie.cleaner.commits.retained (12)"},
		{"retained reaches default min", map[string]any{hudi.OptCommitsRetained: 25}, "hoodie.keep.min.commits: 20 must be greater than hoodie.cleaner.commits.retained (25)"},
		{"keep min zero", map[string]any{hudi.OptKeepMinCommits: 0}, "hoodie.keep.min.commits: 0 is out of range"},
		{"bad archive boolean", map[string]any{hudi.OptAutoArchive: "maybe"}, "hoodie.archive.automatic: want true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := hudi.ParseOptions("writer.options", tt.opts); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseOptions = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if opts, err := hudi.ParseOptions("writer.options", nil); err != nil || opts != nil {
		t.Errorf("ParseOptions(nil) = %v, %v", opts, err)
	}
}

// TestParsedOptionsTakeEffect writes the same three batches with and without options (as a
// job's JSON would give them, numbers and booleans as strings or json.Number): without a small
// file limit the second batch starts its own file group, and without automatic cleaning the
// old version of the updated file group stays until Clean.
func TestParsedOptionsTakeEffect(t *testing.T) {
	tests := []struct {
		name        string
		opts        map[string]any
		groups      int // file groups after the two inserts
		cleanedLast int // by the third write
	}{
		{"defaults", nil, 1, 0},
		{"retain one", map[string]any{hudi.OptCommitsRetained: json.Number("1")}, 1, 1},
		{"no small files, no automatic cleaning", map[string]any{hudi.OptSmallFileLimit: 0, hudi.OptMaxFileSize: "67108864",
			hudi.OptCommitsRetained: 1, hudi.OptCleanerPolicy: "KEEP_LATEST_COMMITS", hudi.OptAutoClean: "false"}, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, err := hudi.ParseOptions("writer.options", tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			m := objstore.NewMemory()
			tbl := mustCreate(t, m, "lake/orders", ordersConfig(hudi.Partitioning{}), opts...)
			mustWrite(t, tbl, hudi.Batch{Columns: orderColumns, Rows: []schema.Row{order(1, "a", 1, baseTime), order(2, "a", 1, baseTime)}})
			mustWrite(t, tbl, hudi.Batch{Columns: orderColumns, Rows: []schema.Row{order(3, "a", 1, baseTime)}})
			snap, err := tbl.Snapshot(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if got := len(snap.Files()); got != tt.groups {
				t.Errorf("%d file groups after two inserts, want %d", got, tt.groups)
			}
			res := mustWrite(t, tbl, hudi.Batch{Columns: orderColumns, Rows: []schema.Row{order(1, "a", 2, baseTime)}})
			if res.Cleaned != tt.cleanedLast {
				t.Errorf("third write cleaned %d files, want %d", res.Cleaned, tt.cleanedLast)
			}
		})
	}
}
