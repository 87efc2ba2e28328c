package warehouse

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/fcsync/fcsync/shared/schema"
)

// checkPartition validates p against the table's partition columns: the same columns in the
// same order (case-insensitive) and values schema.PartitionValue.Validate accepts. With
// prefix set, p may name only the leading levels. The result uses the table's spelling.
func checkPartition(t *schema.Table, p schema.Partition, prefix bool) (schema.Partition, error) {
	if len(p) > len(t.Partitions) || (!prefix && len(p) != len(t.Partitions)) {
		return nil, fmt.Errorf("partition %s: table %s is partitioned by (%s)", displayPartition(p), t.Name, colNames(t.Partitions))
	}
	out := make(schema.Partition, len(p))
	for i, pv := range p {
		if err := pv.Validate(); err != nil {
			return nil, fmt.Errorf("table %s: %w", t.Name, err)
		}
		if !strings.EqualFold(pv.Column, t.Partitions[i].Name) {
			return nil, fmt.Errorf("partition %s: level %d is %s, table %s has %s there", displayPartition(p), i+1, pv.Column, t.Name, t.Partitions[i].Name)
		}
		out[i] = schema.PartitionValue{Column: t.Partitions[i].Name, Value: pv.Value}
	}
	return out, nil
}

// displayPartition renders a partition for an error message without echoing huge or
// control-character values.
func displayPartition(p schema.Partition) string {
	if len(p) == 0 {
		return "(none)"
	}
	s := strconv.Quote(p.String())
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

// partitionKey is the map key and directory form of a checked partition ("" when none).
func partitionKey(p schema.Partition) string { return p.Path() }

// linkPath is where a partition's snapshot symlink lives.
func linkPath(tdir string, p schema.Partition) (string, error) {
	rel := dataLink
	if len(p) > 0 {
		rel = filepath.FromSlash(p.Path())
	}
	return inside(tdir, rel)
}

// snapshotsOf is the directory holding a partition's snapshots.
func snapshotsOf(tdir string, p schema.Partition) (string, error) {
	rel := dataLink
	if len(p) > 0 {
		rel = filepath.FromSlash(p.Path())
	}
	return inside(tdir, filepath.Join(snapshotsDir, rel))
}

// linkTarget is the relative symlink text pointing a partition at snapshot gen.
func linkTarget(p schema.Partition, gen string) string {
	up := ""
	rel := dataLink
	if len(p) > 0 {
		up = strings.Repeat("../", len(p)-1)
		rel = p.Path()
	}
	return up + snapshotsDir + "/" + rel + "/" + gen
}

// inside joins rel to dir and refuses any result that is not strictly below dir.
func inside(dir, rel string) (string, error) {
	full := filepath.Join(dir, rel)
	r, err := filepath.Rel(dir, full)
	if err != nil || r == "." || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) || filepath.IsAbs(r) {
		return "", fmt.Errorf("path %q leaves the table directory", rel)
	}
	return full, nil
}

// currentSnapshot resolves a partition's symlink: the snapshot directory and its generation
// name, or "" when the partition does not exist.
func currentSnapshot(tdir string, p schema.Partition) (dir, gen string, err error) {
	link, err := linkPath(tdir, p)
	if err != nil {
		return "", "", err
	}
	target, err := os.Readlink(link)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", "", nil
		}
		return "", "", fmt.Errorf("partition %s: %w", displayPartition(p), err)
	}
	snaps, err := snapshotsOf(tdir, p)
	if err != nil {
		return "", "", err
	}
	dir = filepath.Join(filepath.Dir(link), filepath.FromSlash(target))
	if filepath.Dir(dir) != snaps {
		return "", "", fmt.Errorf("partition %s: link %q does not point into %s", displayPartition(p), target, snaps)
	}
	return dir, filepath.Base(dir), nil
}

const genDigits = 12

func genName(n uint64) string { return fmt.Sprintf("%0*d", genDigits, n) }

func parseGen(name string) (uint64, bool) {
	if len(name) != genDigits {
		return 0, false
	}
	n, err := strconv.ParseUint(name, 10, 64)
	return n, err == nil
}

// Kinds of data files.
const (
	kindOwn  = "own"
	kindLate = "late"
)

const maxSegmentKey = 100

// segmentKey escapes a segment id to [A-Za-z0-9_-]: letters, digits and '-' stay, every other
// byte becomes _XX (hex). The mapping is one-to-one; a key longer than 100 characters is
// replaced by "h" and the SHA-256 of the id (escaped keys always start with "s").
func segmentKey(seg string) string {
	var b strings.Builder
	b.WriteByte('s')
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "_%02X", c)
		}
		if b.Len() > maxSegmentKey {
			sum := sha256.Sum256([]byte(seg))
			return "h" + hex.EncodeToString(sum[:])
		}
	}
	return b.String()
}

// dataFile is the parsed name of a data file.
type dataFile struct {
	name    string
	segment string // segment key; "" for a file fcsync did not name
	kind    string
}

func parseDataFile(name string) dataFile {
	f := dataFile{name: name, kind: kindOwn}
	parts := strings.SplitN(name, ".", 3)
	if len(parts) == 3 && (parts[1] == kindOwn || parts[1] == kindLate) && strings.HasSuffix(parts[2], ".parquet") {
		f.segment, f.kind = parts[0], parts[1]
	}
	return f
}

func dataFileName(segKey, kind, session string, seq int) string {
	return fmt.Sprintf("%s.%s.%s-%06d.parquet", segKey, kind, session, seq)
}

// isDataFile tells the Parquet files of a snapshot from anything else.
func isDataFile(name string) bool {
	return strings.HasSuffix(name, ".parquet") && !strings.HasPrefix(name, ".")
}

// parsePartitionDir reads one directory level "col=value" if it is a valid level for col.
func parsePartitionDir(name, col string) (schema.PartitionValue, bool) {
	k, v, ok := strings.Cut(name, "=")
	if !ok || !strings.EqualFold(k, col) {
		return schema.PartitionValue{}, false
	}
	pv := schema.PartitionValue{Column: col, Value: v}
	if pv.Validate() != nil {
		return schema.PartitionValue{}, false
	}
	return pv, true
}
