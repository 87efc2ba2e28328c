package warehouse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/parquet-go/parquet-go"

	"github.com/fcsync/fcsync/shared/schema"
)

// Partitions lists a table's partitions in lexical order. A non-partitioned table with data
// has one, the empty Partition.
func (w *Warehouse) Partitions(ctx context.Context, table string) ([]schema.Partition, error) {
	tdir, t, err := w.openTable(table)
	if err != nil {
		return nil, err
	}
	ps, err := listPartitions(ctx, tdir, &t, nil)
	if err != nil {
		return nil, fmt.Errorf("table %s: partitions: %w", table, err)
	}
	return ps, nil
}

func (w *Warehouse) openTable(table string) (string, schema.Table, error) {
	tdir, err := w.tableDir(table)
	if err != nil {
		return "", schema.Table{}, err
	}
	t, err := readSchema(tdir)
	if err != nil {
		return "", schema.Table{}, fmt.Errorf("table %s: %w", table, err)
	}
	return tdir, t, nil
}

// listPartitions walks the partition directories below tdir that match the checked prefix.
func listPartitions(ctx context.Context, tdir string, t *schema.Table, prefix schema.Partition) ([]schema.Partition, error) {
	if len(t.Partitions) == 0 {
		if _, err := os.Lstat(filepath.Join(tdir, dataLink)); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, nil
			}
			return nil, err
		}
		return []schema.Partition{nil}, nil
	}
	var out []schema.Partition
	var walk func(dir string, level int, cur schema.Partition) error
	walk = func(dir string, level int, cur schema.Partition) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		last := level == len(t.Partitions)-1
		col := t.Partitions[level].Name
		var names []string
		if level < len(prefix) {
			names = []string{col + "=" + prefix[level].Value}
		} else {
			entries, err := os.ReadDir(dir)
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			for _, e := range entries {
				names = append(names, e.Name())
			}
		}
		for _, name := range names {
			pv, ok := parsePartitionDir(name, col)
			if !ok {
				continue
			}
			path := filepath.Join(dir, name)
			info, err := os.Lstat(path)
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					continue
				}
				return err
			}
			next := append(cur[:len(cur):len(cur)], pv)
			switch {
			case last && info.Mode()&fs.ModeSymlink != 0:
				out = append(out, next)
			case !last && info.IsDir():
				if err := walk(path, level+1, next); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(tdir, 0, nil); err != nil {
		return nil, err
	}
	return out, nil
}

// Scan calls fn for every row of the partitions that start with filter (nil: all), partitions
// in lexical order, files by name, rows in file order. Row maps hold every table column
// (nil for NULL) and belong to fn. Each partition is read from one snapshot: fn sees its old
// or its new contents, never a mix. An error from fn stops the scan and is returned.
func (w *Warehouse) Scan(ctx context.Context, table string, filter schema.Partition, fn func(p schema.Partition, row map[string]any) error) error {
	tdir, t, err := w.openTable(table)
	if err != nil {
		return err
	}
	prefix, err := checkPartition(&t, filter, true)
	if err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	parts, err := listPartitions(ctx, tdir, &t, prefix)
	if err != nil {
		return fmt.Errorf("scan table %s: %w", table, err)
	}
	for _, p := range parts {
		if err := scanPartition(ctx, tdir, &t, p, fn); err != nil {
			return fmt.Errorf("scan table %s partition %s: %w", table, displayPartition(p), err)
		}
	}
	return nil
}

// openSnapshot opens every data file of a partition's current snapshot. If the snapshot is
// collected while it opens them, it resolves the partition again.
func openSnapshot(tdir string, p schema.Partition) ([]*os.File, error) {
	var lastErr error
	for attempt := 0; attempt < 8; attempt++ {
		dir, _, err := currentSnapshot(tdir, p)
		if err != nil || dir == "" {
			return nil, err
		}
		names, err := listDataFiles(dir)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				lastErr = err
				continue
			}
			return nil, err
		}
		files := make([]*os.File, 0, len(names))
		for _, name := range names {
			f, err := os.Open(filepath.Join(dir, name))
			if err != nil {
				lastErr = err
				break
			}
			files = append(files, f)
		}
		if len(files) == len(names) {
			return files, nil
		}
		closeAll(files)
		if !errors.Is(lastErr, fs.ErrNotExist) {
			return nil, lastErr
		}
	}
	return nil, fmt.Errorf("snapshot kept changing: %w", lastErr)
}

func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

func scanPartition(ctx context.Context, tdir string, t *schema.Table, p schema.Partition, fn func(schema.Partition, map[string]any) error) error {
	files, err := openSnapshot(tdir, p)
	if err != nil {
		return err
	}
	defer closeAll(files)
	for _, f := range files {
		if err := scanFile(ctx, t, f, func(row map[string]any) error { return fn(p, row) }); err != nil {
			return fmt.Errorf("file %s: %w", filepath.Base(f.Name()), err)
		}
	}
	return nil
}

func scanFile(ctx context.Context, t *schema.Table, f *os.File, fn func(map[string]any) error) error {
	info, err := f.Stat()
	if err != nil {
		return err
	}
	pf, err := parquet.OpenFile(f, info.Size())
	if err != nil {
		return err
	}
	cols := fileColumns(t, pf.Schema())
	buf := make([]parquet.Row, 128)
	for _, rg := range pf.RowGroups() {
		rows := rg.Rows()
		for {
			if err := ctx.Err(); err != nil {
				rows.Close()
				return err
			}
			n, rerr := rows.ReadRows(buf)
			for _, r := range buf[:n] {
				m := make(map[string]any, len(t.Columns))
				for _, c := range t.Columns {
					m[c.Name] = nil
				}
				for _, v := range r {
					ci := -1
					if c := v.Column(); c >= 0 && c < len(cols) {
						ci = cols[c]
					}
					if ci < 0 || v.IsNull() {
						continue
					}
					col := t.Columns[ci]
					x, err := decodeValue(col.Type, v)
					if err != nil {
						rows.Close()
						return fmt.Errorf("column %s: %w", col.Name, err)
					}
					m[col.Name] = x
				}
				if err := fn(m); err != nil {
					rows.Close()
					return err
				}
			}
			if rerr == io.EOF {
				break
			}
			if rerr != nil {
				rows.Close()
				return rerr
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	return nil
}
