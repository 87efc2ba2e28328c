package osstest

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"hash/crc64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

var crcTable = crc64.MakeTable(crc64.ECMA)

// bucket holds objects; the server's lock guards it.
type bucket struct {
	versioning string // "", "Enabled" or "Suspended"
	objs       map[string]*object
	keys       []string           // sorted
	uploads    map[string]*upload // by upload id
}

type object struct {
	data        []byte
	contentType string
	etag        string // quoted upper-case hex MD5, as OSS writes it for simple uploads
	crc         uint64
	modified    time.Time
	appendable  bool
}

func newBucket() *bucket {
	return &bucket{objs: make(map[string]*object), uploads: make(map[string]*upload)}
}

// search returns the index of the first key >= k.
func (b *bucket) search(k string) int {
	i, _ := slices.BinarySearch(b.keys, k)
	return i
}

func (b *bucket) store(key string, o *object) {
	if _, ok := b.objs[key]; !ok {
		i := b.search(key)
		b.keys = slices.Insert(b.keys, i, key)
	}
	b.objs[key] = o
}

func (b *bucket) delete(key string) {
	if _, ok := b.objs[key]; !ok {
		return
	}
	delete(b.objs, key)
	i := b.search(key)
	b.keys = slices.Delete(b.keys, i, i+1)
}

func newObject(data []byte, contentType string, now time.Time) *object {
	sum := md5.Sum(data)
	return &object{data: data, contentType: contentType, etag: `"` + strings.ToUpper(hex.EncodeToString(sum[:])) + `"`,
		crc: crc64.Checksum(data, crcTable), modified: now}
}

func (o *object) headers() http.Header {
	h := http.Header{}
	ct := o.contentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	h.Set("Content-Length", strconv.Itoa(len(o.data)))
	h.Set("ETag", o.etag)
	h.Set("Last-Modified", o.modified.Format(http.TimeFormat))
	h.Set("x-oss-hash-crc64ecma", strconv.FormatUint(o.crc, 10))
	h.Set("x-oss-storage-class", "Standard")
	if o.appendable {
		h.Set("x-oss-object-type", "Appendable")
		h.Set("x-oss-next-append-position", strconv.Itoa(len(o.data)))
	} else {
		h.Set("x-oss-object-type", "Normal")
	}
	return h
}

var errNoSuchKey = &ossError{status: 404, code: "NoSuchKey", message: "The specified key does not exist."}

func (b *bucket) get(r *http.Request, key string) (*reply, *ossError) {
	o, ok := b.objs[key]
	if !ok {
		return nil, errNoSuchKey
	}
	rep := &reply{status: 200, header: o.headers(), body: o.data}
	spec := r.Header.Get("Range")
	if spec == "" || r.Method != http.MethodGet {
		return rep, nil
	}
	size := int64(len(o.data))
	first, last, status := byteRange(spec, size, strings.EqualFold(r.Header.Get("x-oss-range-behavior"), "standard"))
	switch status {
	case 200:
		return rep, nil // OSS ignores a range it does not take and sends the whole object
	case 416:
		return nil, &ossError{status: 416, code: "InvalidRange", message: "The requested range cannot be satisfied.",
			header: http.Header{"Content-Range": {fmt.Sprintf("bytes */%d", size)}}}
	}
	rep.status = 206
	rep.body = o.data[first : last+1]
	rep.header.Set("Content-Length", strconv.FormatInt(last-first+1, 10))
	rep.header.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", first, last, size))
	return rep, nil // x-oss-hash-crc64ecma stays the whole object's, as on OSS
}

// byteRange resolves a Range header against an object of size bytes the way OSS does: 206 with
// the first and last byte, 200 when OSS ignores the header and sends the whole object, or 416.
//
// A header OSS cannot parse is ignored. Of several ranges only the first counts. Without
// x-oss-range-behavior: standard, a range that does not lie wholly inside the object is ignored
// too; with it, a range that starts inside the object is cut at its end, a suffix longer than
// the object is the whole object, and a range that starts at or past the end is 416 InvalidRange.
func byteRange(spec string, size int64, standard bool) (first, last int64, status int) {
	spec, ok := strings.CutPrefix(strings.TrimSpace(spec), "bytes=")
	if !ok {
		return 0, 0, 200
	}
	spec, _, _ = strings.Cut(spec, ",")
	a, b, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return 0, 0, 200
	}
	num := func(s string) (int64, bool) {
		if s == "" || strings.TrimLeft(s, "0123456789") != "" {
			return 0, false
		}
		v, err := strconv.ParseInt(s, 10, 64)
		return v, err == nil
	}
	switch {
	case a == "": // the last b bytes
		n, ok := num(b)
		if !ok || n == 0 {
			return 0, 0, 200
		}
		switch {
		case n <= size:
			return size - n, size - 1, 206
		case standard && size > 0:
			return 0, size - 1, 206
		case standard:
			return 0, 0, 416
		}
		return 0, 0, 200
	default:
		first, ok := num(a)
		if !ok {
			return 0, 0, 200
		}
		last := size - 1
		if b != "" {
			if last, ok = num(b); !ok || last < first {
				return 0, 0, 200
			}
		}
		switch {
		case first < size && last < size:
			return first, last, 206
		case !standard:
			return 0, 0, 200
		case first >= size:
			return 0, 0, 416
		}
		return first, size - 1, 206
	}
}

// meta answers GetObjectMeta (HEAD ?objectMeta): the object's ETag, size and time only.
func (b *bucket) meta(key string) (*reply, *ossError) {
	o, ok := b.objs[key]
	if !ok {
		return nil, errNoSuchKey
	}
	h := http.Header{}
	h.Set("Content-Length", strconv.Itoa(len(o.data)))
	h.Set("ETag", o.etag)
	h.Set("Last-Modified", o.modified.Format(http.TimeFormat))
	return &reply{status: 200, header: h}, nil
}

func (b *bucket) put(r *http.Request, key string, body []byte, now time.Time) (*reply, *ossError) {
	// Forbid-overwrite has no effect on a bucket that has versioning Enabled or Suspended.
	if strings.EqualFold(r.Header.Get("x-oss-forbid-overwrite"), "true") && b.versioning == "" {
		if _, ok := b.objs[key]; ok {
			return nil, &ossError{status: 409, code: "FileAlreadyExists", message: "The object you specified already exists and can not be overwritten."}
		}
	}
	o := newObject(body, r.Header.Get("Content-Type"), now)
	b.store(key, o)
	h := http.Header{}
	h.Set("ETag", o.etag)
	h.Set("x-oss-hash-crc64ecma", strconv.FormatUint(o.crc, 10))
	sum := md5.Sum(body)
	h.Set("Content-MD5", base64.StdEncoding.EncodeToString(sum[:]))
	return &reply{status: 200, header: h}, nil
}

func (b *bucket) append(r *http.Request, key string, body []byte, now time.Time) (*reply, *ossError) {
	pos, err := strconv.ParseInt(r.URL.Query().Get("position"), 10, 64)
	if err != nil || pos < 0 {
		return nil, &ossError{status: 400, code: "InvalidArgument", message: "The position of the append request is missing or invalid."}
	}
	o, exists := b.objs[key]
	var length int64
	if exists {
		if !o.appendable {
			return nil, &ossError{status: 409, code: "ObjectNotAppendable", message: "The object is not appendable."}
		}
		length = int64(len(o.data))
	}
	if pos != length {
		return nil, &ossError{status: 409, code: "PositionNotEqualToLength", message: "Position is not equal to file length.",
			header: http.Header{"X-Oss-Next-Append-Position": {strconv.FormatInt(length, 10)}}}
	}
	var data []byte
	ct := r.Header.Get("Content-Type")
	if exists {
		data = append(slices.Clip(o.data), body...)
		ct = o.contentType
	} else {
		data = body
	}
	n := newObject(data, ct, now)
	n.appendable = true
	b.store(key, n)
	h := http.Header{}
	h.Set("ETag", n.etag)
	h.Set("x-oss-next-append-position", strconv.Itoa(len(n.data)))
	h.Set("x-oss-hash-crc64ecma", strconv.FormatUint(n.crc, 10))
	return &reply{status: 200, header: h}, nil
}

func (b *bucket) getVersioning() *reply {
	var x xmlBuf
	x.header()
	x.open("VersioningConfiguration")
	if b.versioning != "" {
		x.elem("Status", b.versioning)
	}
	x.close("VersioningConfiguration")
	return &reply{status: 200, header: http.Header{"Content-Type": {"application/xml"}}, body: x.Bytes()}
}

func (b *bucket) putVersioning(body []byte) (*reply, *ossError) {
	var cfg struct {
		XMLName xml.Name `xml:"VersioningConfiguration"`
		Status  string   `xml:"Status"`
	}
	if err := xml.Unmarshal(body, &cfg); err != nil || (cfg.Status != "Enabled" && cfg.Status != "Suspended") {
		return nil, &ossError{status: 400, code: "MalformedXML", message: "The XML you provided was not well-formed or did not validate against our published schema."}
	}
	b.versioning = cfg.Status
	return &reply{status: 200}, nil
}

// list implements ListObjectsV2.
func (b *bucket) list(q url.Values, bucketName, serverID string) (*reply, *ossError) {
	prefix, delim, startAfter, token := q.Get("prefix"), q.Get("delimiter"), q.Get("start-after"), q.Get("continuation-token")
	maxKeys := 100
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1000 {
			return nil, &ossError{status: 400, code: "InvalidArgument", message: "Argument max-keys must be an integer between 0 and 1000."}
		}
		maxKeys = n
	}
	encode := q.Get("encoding-type")
	if encode != "" && encode != "url" {
		return nil, &ossError{status: 400, code: "InvalidArgument", message: "Invalid Encoding Method specified in Request."}
	}
	enc := func(s string) string {
		if encode == "url" {
			return urlEncodeKey(s)
		}
		return s
	}

	// Where to start: strictly after `after`, and past every key under skipPrefix.
	after, skipPrefix := startAfter, ""
	if token != "" {
		kind, value, ok := decodeToken(token, serverID)
		if !ok {
			return nil, &ossError{status: 400, code: "InvalidArgument", message: "The continuation token provided is incorrect."}
		}
		after = value
		if kind == 'p' {
			skipPrefix = value
		}
	}
	i := b.search(prefix)
	if after >= prefix {
		j := b.search(after)
		if j < len(b.keys) && b.keys[j] == after {
			j++
		}
		i = max(i, j)
	}

	type entry struct {
		key    string
		common bool
	}
	var out []entry
	truncated := false
	var lastKind byte
	var lastValue string
	for ; i < len(b.keys) && strings.HasPrefix(b.keys[i], prefix); i++ {
		k := b.keys[i]
		if skipPrefix != "" && strings.HasPrefix(k, skipPrefix) {
			continue
		}
		common := ""
		if delim != "" {
			if j := strings.Index(k[len(prefix):], delim); j >= 0 {
				common = k[:len(prefix)+j+len(delim)]
			}
		}
		if common != "" && len(out) > 0 && out[len(out)-1].common && out[len(out)-1].key == common {
			continue
		}
		if len(out) == maxKeys {
			truncated = true
			break
		}
		if common != "" {
			out = append(out, entry{common, true})
			lastKind, lastValue = 'p', common
			skipPrefix = common
		} else {
			out = append(out, entry{k, false})
			lastKind, lastValue = 'k', k
		}
	}

	var x xmlBuf
	x.header()
	x.open("ListBucketResult")
	x.elem("Name", bucketName)
	x.elem("Prefix", enc(prefix))
	if startAfter != "" {
		x.elem("StartAfter", enc(startAfter))
	}
	if token != "" {
		x.elem("ContinuationToken", enc(token))
	}
	x.elem("MaxKeys", strconv.Itoa(maxKeys))
	if delim != "" {
		x.elem("Delimiter", enc(delim))
	}
	if encode != "" {
		x.elem("EncodingType", encode)
	}
	x.elem("IsTruncated", strconv.FormatBool(truncated))
	if truncated {
		x.elem("NextContinuationToken", enc(encodeToken(lastKind, lastValue, serverID)))
	}
	x.elem("KeyCount", strconv.Itoa(len(out)))
	for _, e := range out {
		if e.common {
			continue
		}
		o := b.objs[e.key]
		typ := "Normal"
		if o.appendable {
			typ = "Appendable"
		}
		x.open("Contents")
		x.elem("Key", enc(e.key))
		x.elem("LastModified", o.modified.Format("2006-01-02T15:04:05.000Z"))
		x.elem("ETag", o.etag)
		x.elem("Type", typ)
		x.elem("Size", strconv.Itoa(len(o.data)))
		x.elem("StorageClass", "Standard")
		x.close("Contents")
	}
	for _, e := range out {
		if e.common {
			x.open("CommonPrefixes")
			x.elem("Prefix", enc(e.key))
			x.close("CommonPrefixes")
		}
	}
	x.close("ListBucketResult")
	return &reply{status: 200, header: http.Header{"Content-Type": {"application/xml"}}, body: x.Bytes()}, nil
}

// urlEncodeKey encodes a key for encoding-type=url replies: every byte but A-Z a-z 0-9 - _ . ~
// and / percent-encoded, a space as %20, never as + (oss2 and alibabacloud-oss-v2 decode with
// unquote, which leaves + alone, so "a b" sent as "a+b" came back as "a+b").
func urlEncodeKey(s string) string { return uriEncode(s, false) }

// Continuation tokens are opaque to clients: base64 of the server's id, a kind ('k': resume
// after this key, 'p': resume after every key with this common prefix) and the value.
func encodeToken(kind byte, value, serverID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("%s%c%s", serverID, kind, value)))
}

func decodeToken(token, serverID string) (kind byte, value string, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return 0, "", false
	}
	rest, found := strings.CutPrefix(string(raw), serverID)
	if !found || rest == "" || (rest[0] != 'k' && rest[0] != 'p') {
		return 0, "", false
	}
	return rest[0], rest[1:], true
}

// checkContentMD5 verifies a Content-MD5 header against the body.
func checkContentMD5(r *http.Request, body []byte) *ossError {
	v := r.Header.Get("Content-MD5")
	if v == "" {
		return nil
	}
	sum := md5.Sum(body)
	if v != base64.StdEncoding.EncodeToString(sum[:]) {
		return &ossError{status: 400, code: "InvalidDigest", message: "The Content-MD5 you specified was invalid."}
	}
	return nil
}
