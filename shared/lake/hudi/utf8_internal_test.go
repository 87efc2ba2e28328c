package hudi

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestValidUTF8AgreesWithTheStandardLibrary(t *testing.T) {
	long := strings.Repeat("order note ", 5)
	cases := []struct {
		name string
		s    string
	}{
		{"empty", ""},
		{"ascii", "hello"},
		{"ascii longer than a word", long},
		{"two-byte rune", "café"},
		{"three-byte runes after a word of ascii", long + "東京" + long},
		{"four-byte rune", long + "\U0001F600" + long},
		{"last rune cut short", long + "東京"[:4]},
		{"lone continuation byte", long + "\x80" + long},
		{"overlong two-byte form", "\xC0\xAF"},
		{"overlong three-byte form", long + "\xE0\x80\xAF"},
		{"surrogate half", long + "\xED\xA0\x80"},
		{"above U+10FFFF", "\xF4\x90\x80\x80" + long},
		{"largest rune", "\xF4\x8F\xBF\xBF"},
		{"invalid first byte", long + "\xF5\x80\x80\x80"},
		{"non-ascii at the end of a 16-byte block", strings.Repeat("a", 15) + "é" + long},
		{"non-ascii in the second word", strings.Repeat("a", 9) + "é" + long},
		{"invalid byte in the tail", long[:20] + "\xFF"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got, want := validUTF8(c.s), utf8.ValidString(c.s); got != want {
				t.Errorf("validUTF8(%q) = %v, utf8.ValidString says %v", c.s, got, want)
			}
		})
	}
}

func FuzzValidUTF8(f *testing.F) {
	for _, s := range []string{"", "café naïve über 東京", "abcdefghijklmnop\xE0\x80\xAF", "0123456789abcdef\U0001F600x", "\xED\xA0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validUTF8(s), utf8.ValidString(s); got != want {
			t.Errorf("validUTF8(%q) = %v, utf8.ValidString says %v", s, got, want)
		}
	})
}

// BenchmarkCheckNote checks 600-byte notes with non-ASCII words (as the stream benchmark's):
// "hot" checks 64 notes over and over, "cold" 20,000 distinct ones, as a batch's rows are when
// Write first reads them. Most of the difference is not the cache: the branch predictor learns
// the 64 notes' runs of ASCII and mispredicts on distinct ones (20,000 copies of the 64 notes
// take about half the difference).
func BenchmarkCheckNote(b *testing.B) {
	for _, c := range []struct {
		name  string
		notes []string
	}{{"hot", workloadNotes(64)}, {"cold", workloadNotes(20000)}} {
		b.Run(c.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				if err := checkValue("STRING", c.notes[i]); err != nil {
					b.Fatal(err)
				}
				if i++; i == len(c.notes) {
					i = 0
				}
			}
		})
	}
}
