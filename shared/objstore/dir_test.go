package objstore_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/objstore/objstoretest"
)

func newDir(t *testing.T) *objstore.Dir {
	t.Helper()
	d, err := objstore.NewDir(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDirMeetsTheStoreContract(t *testing.T) {
	objstoretest.Run(t, func(t *testing.T) objstore.Store {
		d := newDir(t)
		t.Cleanup(func() { assertNoTempFiles(t, d.Root()) })
		return d
	})
}

// assertNoTempFiles fails if a temporary file was left behind under root.
func assertNoTempFiles(t *testing.T, root string) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.Contains(de.Name(), `\`) {
			t.Errorf("temporary file left behind: %s", path)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

func TestDirKeysAreFilesUnderRoot(t *testing.T) {
	d := newDir(t)
	if err := d.Put(t.Context(), "a/b/c.json", []byte("x")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(d.Root(), "a", "b", "c.json"))
	if err != nil || string(got) != "x" {
		t.Fatalf("file = %q, %v; want the object", got, err)
	}
}

func TestDirListSkipsTemporaryFiles(t *testing.T) {
	d := newDir(t)
	ctx := t.Context()
	if err := d.Put(ctx, "s/1", nil); err != nil {
		t.Fatal(err)
	}
	// A crash between writing a temporary file and linking it leaves one behind.
	if err := os.WriteFile(filepath.Join(d.Root(), "s", `.tmp\123`), []byte("partial"), 0o644); err != nil {
		t.Fatal(err)
	}
	keys, _, err := d.List(ctx, "s/", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(keys, []string{"s/1"}) {
		t.Errorf("List = %q, want only [s/1]", keys)
	}
}

func TestDirKeyThatIsAlsoADirectoryIsAnErrorNotAPanic(t *testing.T) {
	d := newDir(t)
	ctx := t.Context()
	if err := d.Put(ctx, "x/y", []byte("1")); err != nil {
		t.Fatal(err)
	}
	if err := d.Put(ctx, "x", []byte("2")); err == nil {
		t.Error("Put of a key that is a directory of other keys succeeded")
	}
	if err := d.CreateIfAbsent(ctx, "x", []byte("2")); err == nil || errors.Is(err, objstore.ErrExists) {
		t.Errorf("CreateIfAbsent of a directory key = %v, want an error that is not ErrExists", err)
	}
	if err := d.Put(ctx, "x/y/z", []byte("3")); err == nil {
		t.Error("Put under a key that is a file succeeded")
	}
	assertNoTempFiles(t, d.Root())
}

func TestNewDirRejectsAFileAndAnEmptyRoot(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, root := range []string{file, ""} {
		if _, err := objstore.NewDir(root); err == nil {
			t.Errorf("NewDir(%q) succeeded", root)
		}
	}
}

func TestDirPutWithPrefixFailuresLeaveNoTemporaryFileAndTheOldObject(t *testing.T) {
	d := newDir(t)
	ctx := t.Context()
	if err := d.Put(ctx, "src", []byte("0123456789")); err != nil {
		t.Fatal(err)
	}
	if err := d.Put(ctx, "dir/below", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := d.Put(ctx, "old", []byte("old")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, key, src string
		n              int64
		want           error
	}{
		{"a directory as the source", "old", "dir", 1, objstore.ErrNotFound},
		{"a source under a file", "old", "src/x", 1, objstore.ErrNotFound},
		{"a short source", "old", "src", 11, objstore.ErrShortSource},
		{"a key that is a directory of other keys", "dir", "src", 4, nil},
		{"a key under a file", "src/x", "old", 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := d.PutWithPrefix(ctx, tt.key, tt.src, tt.n, []byte("data"))
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("PutWithPrefix = %v, want an error wrapping %v", err, tt.want)
			}
			assertNoTempFiles(t, d.Root())
		})
	}
	if got, err := d.Get(ctx, "old"); err != nil || string(got) != "old" {
		t.Fatalf("old = %q, %v", got, err)
	}
}

func TestDirGetRangeOfADirectoryIsNotFound(t *testing.T) {
	d := newDir(t)
	if err := d.Put(t.Context(), "a/b", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := d.GetRange(t.Context(), "a", 0, 1); !errors.Is(err, objstore.ErrNotFound) {
		t.Fatalf("GetRange of a directory = %v, want ErrNotFound", err)
	}
}
