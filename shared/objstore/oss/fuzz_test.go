package oss

import "testing"

// FuzzContentRange: the parser never panics and accepts only ranges that lie inside the object.
func FuzzContentRange(f *testing.F) {
	f.Add("bytes 0-9/10")
	f.Add("bytes 5-4/10")
	f.Add("bytes */10")
	f.Add("bytes 9223372036854775806-9223372036854775807/9223372036854775807")
	f.Fuzz(func(t *testing.T, v string) {
		first, last, size, err := parseContentRange(v)
		if err == nil && (first < 0 || first > last || last >= size) {
			t.Fatalf("parseContentRange(%q) = %d-%d/%d", v, first, last, size)
		}
	})
}
