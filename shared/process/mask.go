package process

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fcsync/fcsync/shared/column"
	"github.com/fcsync/fcsync/shared/config"
	"github.com/fcsync/fcsync/shared/schema"
)

func init() {
	Register("mask", Spec{
		Summary: "Data Masking: hash, partially mask, replace with a constant or set null, per field",
		Fields:  []Field{{"fields", "list of rules: {field, method, ...}"}},
		New:     newMask,
	})
}

type maskMethod uint8

const (
	maskHash maskMethod = iota + 1
	maskPartial
	maskConstant
	maskNull
)

type hashAlg uint8

const (
	algSHA256 hashAlg = iota
	algMD5
	algSHA1
)

type maskRule struct {
	field     string
	method    maskMethod
	alg       hashAlg
	salt      string
	keepFirst int
	keepLast  int
	char      rune
	value     any
}

type mask struct {
	rules []maskRule
	loc   *time.Location
}

var maskKeys = map[maskMethod][]string{
	maskHash:     {"field", "method", "algorithm", "salt"},
	maskPartial:  {"field", "method", "keepFirst", "keepLast", "char"},
	maskConstant: {"field", "method", "value"},
	maskNull:     {"field", "method"},
}

func newMask(where string, conf map[string]any, env Env) (Processor, error) {
	fw := config.Join(where, "fields")
	items, err := list(fw, conf["fields"], true)
	if err != nil {
		return nil, err
	}
	p := &mask{loc: env.Location}
	for i, it := range items {
		w := fmt.Sprintf("%s[%d]", fw, i)
		r := maskRule{char: '*'}
		if r.field, err = fieldName(config.Join(w, "field"), it["field"]); err != nil {
			return nil, err
		}
		mv, present := it["method"]
		var method string
		if present && mv == nil {
			method = "null" // YAML's `method: null`
		} else if method, err = config.String(config.Join(w, "method"), mv); err != nil {
			return nil, err
		}
		switch strings.ToLower(strings.TrimSpace(method)) {
		case "hash":
			r.method = maskHash
		case "partial":
			r.method = maskPartial
		case "constant":
			r.method = maskConstant
		case "null":
			r.method = maskNull
		case "":
			return nil, fmt.Errorf("%s: required (hash, partial, constant or null)", config.Join(w, "method"))
		default:
			return nil, fmt.Errorf("%s: unknown method %q (want hash, partial, constant or null)", config.Join(w, "method"), column.ExcerptString(method, 40))
		}
		if err := config.OnlyKeys(w, it, maskKeys[r.method]); err != nil {
			return nil, fmt.Errorf("%w (for method %s)", err, method)
		}
		switch r.method {
		case maskHash:
			alg, err := optString(w, it, "algorithm", "sha256")
			if err != nil {
				return nil, err
			}
			switch strings.ToLower(strings.ReplaceAll(alg, "-", "")) {
			case "sha256":
				r.alg = algSHA256
			case "md5":
				r.alg = algMD5
			case "sha1":
				r.alg = algSHA1
			default:
				return nil, fmt.Errorf("%s: unknown algorithm %q (want sha256, sha1 or md5)", config.Join(w, "algorithm"), column.ExcerptString(alg, 40))
			}
			if r.salt, err = optString(w, it, "salt", ""); err != nil {
				return nil, err
			}
		case maskPartial:
			kf, err := optInt(w, it, "keepFirst", 0, 0, 1<<20)
			if err != nil {
				return nil, err
			}
			kl, err := optInt(w, it, "keepLast", 0, 0, 1<<20)
			if err != nil {
				return nil, err
			}
			r.keepFirst, r.keepLast = int(kf), int(kl)
			ch, err := optString(w, it, "char", "*")
			if err != nil {
				return nil, err
			}
			if utf8.RuneCountInString(ch) != 1 || !utf8.ValidString(ch) {
				return nil, fmt.Errorf("%s: want exactly one character, got %q", config.Join(w, "char"), column.ExcerptString(ch, 40))
			}
			r.char, _ = utf8.DecodeRuneInString(ch)
		case maskConstant:
			v, ok := it["value"]
			if !ok {
				return nil, fmt.Errorf("%s: required", config.Join(w, "value"))
			}
			if r.value, err = constant(config.Join(w, "value"), v); err != nil {
				return nil, err
			}
		}
		p.rules = append(p.rules, r)
	}
	return p, nil
}

// Process applies the rules in order. Missing and null fields are left alone. Errors
// never carry the value: it is what masking protects.
func (p *mask) Process(m *Message) (bool, error) {
	for k := range p.rules {
		r := &p.rules[k]
		i := m.Index(r.field)
		if i < 0 {
			continue
		}
		v := m.Value(i)
		if v == nil {
			continue
		}
		switch r.method {
		case maskNull:
			m.setAt(i, nil)
		case maskConstant:
			m.setAt(i, r.value)
		case maskHash:
			m.setAt(i, r.hash(v, p.loc))
		case maskPartial:
			s, err := textOf(v, p.loc)
			if err != nil {
				return false, dirty(r.field, "cannot mask: "+err.Error())
			}
			m.setAt(i, r.partial(s))
		}
	}
	return true, nil
}

// hash returns hex(alg(salt + value)); a []byte value is hashed as its raw bytes, other
// values as their text.
func (r *maskRule) hash(v any, loc *time.Location) string {
	var buf [256]byte
	in := append(buf[:0], r.salt...)
	switch x := v.(type) {
	case string:
		in = append(in, x...)
	case []byte:
		in = append(in, x...)
	case column.JSONText:
		in = append(in, x...)
	case int64:
		in = strconv.AppendInt(in, x, 10)
	default:
		s, _ := textOf(v, loc) // every other value has a text form
		in = append(in, s...)
	}
	var sum [sha256.Size]byte
	var n int
	switch r.alg {
	case algMD5:
		s := md5.Sum(in)
		n = copy(sum[:], s[:])
	case algSHA1:
		s := sha1.Sum(in)
		n = copy(sum[:], s[:])
	default:
		sum = sha256.Sum256(in)
		n = sha256.Size
	}
	var out [2 * sha256.Size]byte
	for i := range n { // hex.Encode, a pair of digits at a time
		binary.LittleEndian.PutUint16(out[2*i:], hexPairs[sum[i]])
	}
	return string(out[:2*n])
}

// hexPairs holds the two lowercase hex digits of every byte, the first in the low byte.
var hexPairs = func() (t [256]uint16) {
	const digits = "0123456789abcdef"
	for i := range t {
		t[i] = uint16(digits[i>>4]) | uint16(digits[i&15])<<8
	}
	return t
}()

// partial keeps the first keepFirst and the last keepLast characters and replaces every
// other character with char. A value too short to hide anything that way is masked
// entirely.
func (r *maskRule) partial(s string) string {
	n := utf8.RuneCountInString(s)
	first, last := r.keepFirst, r.keepLast
	if first+last >= n {
		first, last = 0, 0
	}
	var b strings.Builder
	b.Grow(len(s))
	i := 0
	for _, c := range s {
		if i < first || i >= n-last {
			b.WriteRune(c)
		} else {
			b.WriteRune(r.char)
		}
		i++
	}
	return b.String()
}

func (p *mask) Outputs(in []schema.Column) []schema.Column {
	out := append([]schema.Column(nil), in...)
	for _, r := range p.rules {
		switch r.method {
		case maskHash, maskPartial:
			out = setTypes(out, schema.String, r.field)
		case maskConstant:
			if r.value != nil {
				out = setTypes(out, typeOf(r.value), r.field)
			}
		}
	}
	return out
}
