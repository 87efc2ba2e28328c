package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// Dir is a Store on a local directory: the key "a/b/c" is the file <root>/a/b/c. It is safe for
// concurrent use, also by several processes sharing the directory.
//
// Put writes a temporary file and renames it over the key (readers see the old or the new object,
// never a torn one). CreateIfAbsent writes and fsyncs a temporary file and then hard-links it to
// the key: link(2) fails with EEXIST when the key is taken, so exactly one of many racing creators
// wins, with no check-then-act window. Temporary files live next to their key and have a backslash
// in their name, which ValidKey forbids, so they are outside the key space and List never returns
// them.
//
// A file system cannot hold both "a" and "a/b": such a Put or CreateIfAbsent fails with an error.
// Delete leaves empty directories behind. Dir is meant for Unix-like systems.
type Dir struct {
	root string
}

var (
	_ Store        = (*Dir)(nil)
	_ RangeGetter  = (*Dir)(nil)
	_ PrefixPutter = (*Dir)(nil)
	_ Sizer        = (*Dir)(nil)
)

// tmpPattern names temporary files (os.CreateTemp replaces the star). The backslash keeps them out
// of the key space.
const tmpPattern = ".tmp\\*"

// NewDir returns a Dir rooted at root, creating the directory if needed.
func NewDir(root string) (*Dir, error) {
	if root == "" {
		return nil, errors.New("objstore dir: empty root")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("objstore dir: root %q: %w", root, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("objstore dir: root: %w", err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("objstore dir: root: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("objstore dir: root %q is not a directory", abs)
	}
	return &Dir{root: abs}, nil
}

// Root returns the absolute path of the directory.
func (d *Dir) Root() string { return d.root }

// path validates key and maps it to its file.
func (d *Dir) path(ctx context.Context, op, key string) (string, error) {
	if err := ValidKey(key); err != nil {
		return "", fmt.Errorf("objstore dir: %s: %w", op, err)
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("objstore dir: %s %q: %w", op, key, err)
	}
	return filepath.Join(d.root, filepath.FromSlash(key)), nil
}

// Get implements Store.
func (d *Dir) Get(ctx context.Context, key string) ([]byte, error) {
	p, err := d.path(ctx, "get", key)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p)
	if err != nil {
		if missing(err) {
			return nil, fmt.Errorf("objstore dir: get %q: %w", key, ErrNotFound)
		}
		return nil, fmt.Errorf("objstore dir: get %q: %w", key, err)
	}
	return data, nil
}

// GetRange implements RangeGetter: it reads only the range, with ReadAt.
func (d *Dir) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	p, err := d.path(ctx, "get range", key)
	if err != nil {
		return nil, err
	}
	if off < 0 || n < 0 {
		return nil, fmt.Errorf("objstore dir: get range of %q: offset %d, length %d", key, off, n)
	}
	f, size, err := openObject(p)
	if err != nil {
		return nil, fmt.Errorf("objstore dir: get range of %q: %w", key, err)
	}
	defer func() { _ = f.Close() }()
	if off >= size {
		return []byte{}, nil
	}
	buf := make([]byte, min(n, size-off))
	got, err := f.ReadAt(buf, off)
	if err != nil && !errors.Is(err, io.EOF) { // EOF: the file shrank under a non-atomic writer
		return nil, fmt.Errorf("objstore dir: get range of %q: %w", key, err)
	}
	return buf[:got], nil
}

// Size implements Sizer: it stats the object's file.
func (d *Dir) Size(ctx context.Context, key string) (int64, error) {
	p, err := d.path(ctx, "size", key)
	if err != nil {
		return 0, err
	}
	fi, err := os.Stat(p)
	switch {
	case err != nil && missing(err), err == nil && !fi.Mode().IsRegular():
		return 0, fmt.Errorf("objstore dir: size of %q: %w", key, ErrNotFound)
	case err != nil:
		return 0, fmt.Errorf("objstore dir: size of %q: %w", key, err)
	}
	return fi.Size(), nil
}

// PutWithPrefix implements PrefixPutter. It writes a temporary file next to the key, copies the
// first n bytes of src into it from file to file (copy_file_range(2) on Linux: the bytes do not pass
// through user space, and file systems with reflinks share the blocks), appends data, fsyncs it
// and renames it over the key, as Put does.
func (d *Dir) PutWithPrefix(ctx context.Context, key, src string, n int64, data []byte) error {
	p, err := d.path(ctx, "put with prefix", key)
	if err != nil {
		return err
	}
	sp, err := d.path(ctx, "put "+strconv.Quote(key)+" with prefix: source", src)
	if err != nil {
		return err
	}
	if n < 0 || key == src {
		return fmt.Errorf("objstore dir: put %q with %d bytes of %q: want a length >= 0 and another object", key, n, src)
	}
	in, size, err := openObject(sp)
	if err != nil {
		return fmt.Errorf("objstore dir: put %q with prefix: source %q: %w", key, src, err)
	}
	defer func() { _ = in.Close() }()
	if size < n {
		return fmt.Errorf("objstore dir: put %q with prefix: source %q has %d bytes, want %d: %w", key, src, size, n, ErrShortSource)
	}
	tmp, err := writeTempFunc(filepath.Dir(p), func(f *os.File) error {
		if _, err := io.CopyN(f, in, n); err != nil { // in is at offset 0; *os.File to *os.File

			return fmt.Errorf("copying %d bytes of %q: %w", n, src, err)
		}
		_, err := f.Write(data)
		return err
	})
	if err != nil {
		return fmt.Errorf("objstore dir: put %q with prefix: %w", key, err)
	}
	if err := os.Rename(tmp, p); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("objstore dir: put %q with prefix: %w", key, err)
	}
	if err := syncDir(filepath.Dir(p)); err != nil {
		return fmt.Errorf("objstore dir: put %q with prefix: %w", key, err)
	}
	return nil
}

// openObject opens the file of an object and returns its size; a missing file, or a directory,
// is ErrNotFound.
func openObject(p string) (*os.File, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		if missing(err) {
			return nil, 0, ErrNotFound
		}
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = ErrNotFound
	}
	if err != nil {
		_ = f.Close()
		return nil, 0, err
	}
	return f, fi.Size(), nil
}

// Put implements Store.
func (d *Dir) Put(ctx context.Context, key string, data []byte) error {
	p, err := d.path(ctx, "put", key)
	if err != nil {
		return err
	}
	tmp, err := writeTemp(filepath.Dir(p), data)
	if err != nil {
		return fmt.Errorf("objstore dir: put %q: %w", key, err)
	}
	if err := os.Rename(tmp, p); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("objstore dir: put %q: %w", key, err)
	}
	if err := syncDir(filepath.Dir(p)); err != nil {
		return fmt.Errorf("objstore dir: put %q: %w", key, err)
	}
	return nil
}

// CreateIfAbsent implements Store.
func (d *Dir) CreateIfAbsent(ctx context.Context, key string, data []byte) error {
	p, err := d.path(ctx, "create", key)
	if err != nil {
		return err
	}
	tmp, err := writeTemp(filepath.Dir(p), data)
	if err != nil {
		return fmt.Errorf("objstore dir: create %q: %w", key, err)
	}
	defer func() { _ = os.Remove(tmp) }()
	if err := os.Link(tmp, p); err != nil {
		if errors.Is(err, fs.ErrExist) {
			if fi, serr := os.Lstat(p); serr == nil && fi.IsDir() {
				return fmt.Errorf("objstore dir: create %q: the key is a directory of other keys", key)
			}
			return fmt.Errorf("objstore dir: create %q: %w", key, ErrExists)
		}
		return fmt.Errorf("objstore dir: create %q: %w", key, err)
	}
	if err := syncDir(filepath.Dir(p)); err != nil {
		return fmt.Errorf("objstore dir: create %q: %w", key, err)
	}
	return nil
}

// Delete implements Store.
func (d *Dir) Delete(ctx context.Context, key string) error {
	p, err := d.path(ctx, "delete", key)
	if err != nil {
		return err
	}
	fi, err := os.Lstat(p)
	if err != nil {
		if missing(err) {
			return nil
		}
		return fmt.Errorf("objstore dir: delete %q: %w", key, err)
	}
	if fi.IsDir() { // not an object: only a prefix of other keys
		return nil
	}
	if err := os.Remove(p); err != nil && !missing(err) {
		return fmt.Errorf("objstore dir: delete %q: %w", key, err)
	}
	return nil
}

// List implements Store. It walks only the directory the prefix names, visiting entries in key
// order (a subdirectory sorts as its name plus "/"), skips subtrees that lie wholly at or before
// `after`, and stops after limit+1 keys, so a page costs about the keys it returns plus the
// directories on the way.
func (d *Dir) List(ctx context.Context, prefix, after string, limit int) ([]string, string, error) {
	if err := ValidPrefix(prefix); err != nil {
		return nil, "", fmt.Errorf("objstore dir: list: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, "", fmt.Errorf("objstore dir: list %q: %w", prefix, err)
	}
	if limit <= 0 {
		limit = DefaultListLimit
	}
	base, partial := "", prefix
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		base, partial = prefix[:i+1], prefix[i+1:]
	}
	w := walker{ctx: ctx, after: after, want: limit + 1}
	if err := w.walk(filepath.Join(d.root, filepath.FromSlash(base)), base, partial); err != nil {
		return nil, "", fmt.Errorf("objstore dir: list %q: %w", prefix, err)
	}
	if len(w.keys) > limit {
		return w.keys[:limit], w.keys[limit-1], nil
	}
	return w.keys, "", nil
}

type walker struct {
	ctx   context.Context
	after string
	want  int
	keys  []string
}

type entry struct {
	name string
	key  string // the key, or for a directory the prefix of its keys (ends in "/")
	dir  bool
}

// walk appends, in key order, the keys under the directory dir (whose keys start with base) that
// come after w.after and whose first segment starts with partial, until it has w.want keys.
func (w *walker) walk(dir, base, partial string) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		if missing(err) {
			return nil
		}
		return err
	}
	entries := make([]entry, 0, len(des))
	for _, de := range des {
		name := de.Name()
		if !strings.HasPrefix(name, partial) || checkChars(name) != nil || checkSegment(name, name) != nil {
			continue // temporary files (backslash) and names no key can have
		}
		switch {
		case de.IsDir():
			entries = append(entries, entry{name: name, key: base + name + "/", dir: true})
		case de.Type().IsRegular():
			entries = append(entries, entry{name: name, key: base + name})
		}
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	for _, e := range entries {
		if len(w.keys) == w.want {
			return nil
		}
		if !e.dir {
			if e.key > w.after {
				w.keys = append(w.keys, e.key)
			}
			continue
		}
		if e.key <= w.after && !strings.HasPrefix(w.after, e.key) {
			continue // every key in this subtree is at or before after
		}
		if err := w.walk(filepath.Join(dir, e.name), e.key, ""); err != nil {
			return err
		}
	}
	return nil
}

// writeTemp writes data to a new fsynced temporary file in dir, creating dir if needed.
func writeTemp(dir string, data []byte) (string, error) {
	return writeTempFunc(dir, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}

// writeTempFunc creates a temporary file in dir (creating dir if needed), lets write fill it,
// and fsyncs it. On failure no file is left behind.
func writeTempFunc(dir string, write func(*os.File) error) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, tmpPattern)
	if err != nil {
		return "", err
	}
	name := f.Name()
	werr := write(f)
	if werr == nil {
		werr = f.Sync()
	}
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(name)
		return "", err
	}
	return name, nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	serr := f.Sync()
	return errors.Join(serr, f.Close())
}

// missing reports whether err means the path does not exist as a file: absent, a parent is a
// file (ENOTDIR) or the path is a directory (EISDIR).
func missing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EISDIR)
}
