package objstore

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrInvalidKey is wrapped by every error about a key or prefix that breaks the key rules (see
// ValidKey). Every Store rejects such keys before touching storage.
var ErrInvalidKey = errors.New("invalid object key")

// MaxKeyLen is the longest key in bytes (OSS's limit).
const MaxKeyLen = 1023

// ValidKey reports whether key is a usable object key: 1 to MaxKeyLen bytes of valid UTF-8,
// slash-separated segments, no leading or trailing slash, no empty segment, no "." or ".."
// segment, no NUL and no backslash. These rules keep a key from escaping a directory store's root
// and give every store the same key space. The error wraps ErrInvalidKey.
func ValidKey(key string) error {
	if key == "" {
		return fmt.Errorf("%w: empty", ErrInvalidKey)
	}
	if err := checkChars(key); err != nil {
		return err
	}
	for seg := range strings.SplitSeq(key, "/") {
		if err := checkSegment(key, seg); err != nil {
			return err
		}
	}
	return nil
}

// ValidPrefix reports whether prefix can be the start of a valid key, as List takes it: empty, or
// complete segments that follow the ValidKey rules followed by a possibly empty partial segment.
// A prefix that fails here matches no valid key; List rejects it. The error wraps ErrInvalidKey.
func ValidPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if err := checkChars(prefix); err != nil {
		return fmt.Errorf("prefix: %w", err)
	}
	segs := strings.Split(prefix, "/")
	for _, seg := range segs[:len(segs)-1] { // the last segment may be partial or empty
		if err := checkSegment(prefix, seg); err != nil {
			return fmt.Errorf("prefix: %w", err)
		}
	}
	return nil
}

func checkChars(s string) error {
	switch {
	case len(s) > MaxKeyLen:
		return fmt.Errorf("%w: %d bytes, longer than %d", ErrInvalidKey, len(s), MaxKeyLen)
	case !utf8.ValidString(s):
		return fmt.Errorf("%w: %q is not valid UTF-8", ErrInvalidKey, s)
	case strings.HasPrefix(s, "/"):
		return fmt.Errorf("%w: %q starts with a slash", ErrInvalidKey, s)
	case strings.ContainsRune(s, 0):
		return fmt.Errorf("%w: %q contains NUL", ErrInvalidKey, s)
	case strings.ContainsRune(s, '\\'):
		return fmt.Errorf("%w: %q contains a backslash", ErrInvalidKey, s)
	}
	return nil
}

func checkSegment(s, seg string) error {
	switch seg {
	case "":
		return fmt.Errorf("%w: %q has an empty segment", ErrInvalidKey, s)
	case ".", "..":
		return fmt.Errorf("%w: %q has a %q segment", ErrInvalidKey, s, seg)
	}
	return nil
}
