package hudi

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
)

// properties is a Java properties file (hoodie.properties, .hoodie_partition_metadata).
type properties map[string]string

// encode writes p the way java.util.Properties.store(OutputStream) does: an optional comment
// line, then key=value lines (sorted by key here, so output is stable), with '=', ':', '#', '!',
// backslash and control characters escaped and everything outside printable ASCII as \uXXXX.
func (p properties) encode(comment string) []byte {
	var b strings.Builder
	if comment != "" {
		b.WriteString("#")
		b.WriteString(comment)
		b.WriteString("\n")
	}
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		escapeProperty(&b, k, true)
		b.WriteByte('=')
		escapeProperty(&b, p[k], false)
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

func escapeProperty(b *strings.Builder, s string, key bool) {
	for i, r := range s {
		switch {
		case r == ' ':
			if key || i == 0 {
				b.WriteByte('\\')
			}
			b.WriteByte(' ')
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == '=' || r == ':' || r == '#' || r == '!' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r > 0x7e:
			if r > 0xffff {
				r1, r2 := utf16.EncodeRune(r)
				fmt.Fprintf(b, `\u%04X\u%04X`, r1, r2)
			} else {
				fmt.Fprintf(b, `\u%04X`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
}

// parseProperties reads a Java properties file: comment lines (# or !), key/value separated by
// '=', ':' or white space, backslash line continuations and escapes including \uXXXX.
func parseProperties(data []byte) (properties, error) {
	p := properties{}
	lines := strings.Split(strings.ReplaceAll(strings.ReplaceAll(string(data), "\r\n", "\n"), "\r", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimLeft(lines[i], " \t\f")
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		for continued(line) && i+1 < len(lines) {
			i++
			line = line[:len(line)-1] + strings.TrimLeft(lines[i], " \t\f")
		}
		if continued(line) {
			line = line[:len(line)-1]
		}
		// The key ends at the first unescaped separator.
		end := len(line)
		for j := 0; j < len(line); j++ {
			c := line[j]
			if c == '\\' {
				j++
				continue
			}
			if c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f' {
				end = j
				break
			}
		}
		rawKey, rest := line[:end], line[end:]
		rest = strings.TrimLeft(rest, " \t\f")
		if rest != "" && (rest[0] == '=' || rest[0] == ':') {
			rest = strings.TrimLeft(rest[1:], " \t\f")
		}
		k, err := unescapeProperty(rawKey)
		if err != nil {
			return nil, fmt.Errorf("properties line %d: %w", i+1, err)
		}
		v, err := unescapeProperty(rest)
		if err != nil {
			return nil, fmt.Errorf("properties line %d: %w", i+1, err)
		}
		p[k] = v
	}
	return p, nil
}

// continued reports whether a line ends in an odd number of backslashes.
func continued(line string) bool {
	n := 0
	for i := len(line) - 1; i >= 0 && line[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

func unescapeProperty(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var units []uint16
	var b strings.Builder
	flush := func() {
		if len(units) > 0 {
			b.WriteString(string(utf16.Decode(units)))
			units = units[:0]
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			flush()
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 'u':
			if i+5 > len(s) {
				return "", fmt.Errorf("short \\u escape in %q", s)
			}
			n, err := strconv.ParseUint(s[i+1:i+5], 16, 16)
			if err != nil {
				return "", fmt.Errorf("bad \\u escape in %q", s)
			}
			units = append(units, uint16(n))
			i += 4
			continue
		case 't':
			flush()
			b.WriteByte('\t')
		case 'n':
			flush()
			b.WriteByte('\n')
		case 'r':
			flush()
			b.WriteByte('\r')
		case 'f':
			flush()
			b.WriteByte('\f')
		default:
			flush()
			b.WriteByte(s[i])
		}
	}
	flush()
	return b.String(), nil
}
