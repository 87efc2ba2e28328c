package osstest

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"hash/crc64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Multipart uploads, as OSS has them: InitiateMultipartUpload hands out an upload id; UploadPart
// and UploadPartCopy store numbered parts (a part sent again replaces the earlier one);
// CompleteMultipartUpload joins the parts it lists into the object, which only then appears;
// AbortMultipartUpload drops the upload. A completed or aborted upload id is NoSuchUpload.

const (
	minPartSize = 100 << 10 // every part but the last (OSS: 100 KB)
	maxParts    = 10000
)

type upload struct {
	key             string
	contentType     string
	forbidOverwrite bool
	parts           map[int]*part
}

type part struct {
	data []byte
	etag string // quoted upper-case hex MD5
	md5  [md5.Size]byte
}

func errNoSuchUpload(id string) *ossError {
	return &ossError{status: 404, code: "NoSuchUpload",
		message: "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
		extra:   []elem{{"UploadId", id}}}
}

// encodingType reads the encoding-type parameter (only url exists).
func encodingType(r *http.Request) (func(string) string, string, *ossError) {
	switch enc := r.URL.Query().Get("encoding-type"); enc {
	case "":
		return func(s string) string { return s }, "", nil
	case "url":
		return urlEncodeKey, enc, nil
	default:
		return nil, "", &ossError{status: 400, code: "InvalidArgument", message: "Invalid Encoding Method specified in Request."}
	}
}

func (b *bucket) initiate(r *http.Request, bucketName, key string) (*reply, *ossError) {
	enc, encoding, oerr := encodingType(r)
	if oerr != nil {
		return nil, oerr
	}
	id := strings.ToUpper(randomHex(16))
	b.uploads[id] = &upload{key: key, contentType: r.Header.Get("Content-Type"),
		forbidOverwrite: strings.EqualFold(r.Header.Get("x-oss-forbid-overwrite"), "true"), parts: make(map[int]*part)}
	var x xmlBuf
	x.header()
	x.open("InitiateMultipartUploadResult")
	x.elem("Bucket", bucketName)
	x.elem("Key", enc(key))
	x.elem("UploadId", id)
	if encoding != "" {
		x.elem("EncodingType", encoding)
	}
	x.close("InitiateMultipartUploadResult")
	return &reply{status: 200, header: http.Header{"Content-Type": {"application/xml"}}, body: x.Bytes()}, nil
}

// partTarget finds the upload and part number a part request names.
func (b *bucket) partTarget(r *http.Request, key string) (*upload, int, *ossError) {
	q := r.URL.Query()
	num, err := strconv.Atoi(q.Get("partNumber"))
	if err != nil || num < 1 || num > maxParts {
		return nil, 0, &ossError{status: 400, code: "InvalidArgument", message: "Part number must be an integer between 1 and 10000, inclusive."}
	}
	id := q.Get("uploadId")
	u, ok := b.uploads[id]
	if !ok || u.key != key {
		return nil, 0, errNoSuchUpload(id)
	}
	return u, num, nil
}

func newPart(data []byte) *part {
	sum := md5.Sum(data)
	return &part{data: data, md5: sum, etag: `"` + strings.ToUpper(hex.EncodeToString(sum[:])) + `"`}
}

func (b *bucket) uploadPart(r *http.Request, key string, body []byte) (*reply, *ossError) {
	u, num, oerr := b.partTarget(r, key)
	if oerr != nil {
		return nil, oerr
	}
	p := newPart(body)
	u.parts[num] = p
	h := http.Header{}
	h.Set("ETag", p.etag)
	h.Set("Content-MD5", base64MD5(p.md5))
	h.Set("x-oss-hash-crc64ecma", strconv.FormatUint(crc64.Checksum(body, crcTable), 10))
	return &reply{status: 200, header: h}, nil
}

// uploadPartCopy stores a part copied from an object of this or another bucket. The caller holds
// s.mu.
func (s *Server) uploadPartCopy(r *http.Request, b *bucket, key string, now time.Time) (*reply, *ossError) {
	u, num, oerr := b.partTarget(r, key)
	if oerr != nil {
		return nil, oerr
	}
	srcBucket, srcKey, oerr := copySource(r.Header.Get("x-oss-copy-source"))
	if oerr != nil {
		return nil, oerr
	}
	sb, ok := s.buckets[srcBucket]
	if !ok {
		return nil, &ossError{status: 404, code: "NoSuchBucket", message: "The specified bucket does not exist.", extra: []elem{{"BucketName", srcBucket}}}
	}
	o, ok := sb.objs[srcKey]
	if !ok {
		return nil, &ossError{status: 404, code: "NoSuchKey", message: "The specified key does not exist.", extra: []elem{{"Key", srcKey}}}
	}
	if o.appendable {
		return nil, &ossError{status: 400, code: "InvalidArgument", message: "UploadPartCopy cannot copy an appendable object."}
	}
	if want := r.Header.Get("x-oss-copy-source-if-match"); want != "" && strings.Trim(want, `"`) != strings.Trim(o.etag, `"`) {
		return nil, &ossError{status: 412, code: "PreconditionFailed", message: "At least one of the pre-conditions you specified did not hold.",
			extra: []elem{{"Condition", "x-oss-copy-source-if-match"}}}
	}
	data := o.data
	if spec := r.Header.Get("x-oss-copy-source-range"); spec != "" {
		first, last, ok := copyRange(spec, int64(len(o.data)))
		if !ok {
			return nil, &ossError{status: 400, code: "InvalidArgument", message: "The x-oss-copy-source-range is invalid or exceeds the size of the source object."}
		}
		data = o.data[first : last+1]
	}
	p := newPart(slices.Clone(data))
	u.parts[num] = p
	var x xmlBuf
	x.header()
	x.open("CopyPartResult")
	x.elem("LastModified", now.Format("2006-01-02T15:04:05.000Z"))
	x.elem("ETag", p.etag)
	x.close("CopyPartResult")
	// OSS sends the part's ETag in the header too; oss2 reads only the header.
	h := http.Header{"Content-Type": {"application/xml"}}
	h.Set("ETag", p.etag)
	return &reply{status: 200, header: h, body: x.Bytes()}, nil
}

// copySource parses x-oss-copy-source: "/bucket/url-encoded key".
func copySource(v string) (bucketName, key string, oerr *ossError) {
	bad := &ossError{status: 400, code: "InvalidArgument", message: "The x-oss-copy-source header is invalid: want /bucket/object."}
	rest, ok := strings.CutPrefix(v, "/")
	if !ok {
		return "", "", bad
	}
	if strings.Contains(rest, "?") {
		return "", "", &ossError{status: 501, code: "NotImplemented", message: "Copying an object version is not implemented by the test server."}
	}
	bucketName, escaped, ok := strings.Cut(rest, "/")
	if !ok || escaped == "" || !validBucketName(bucketName) {
		return "", "", bad
	}
	key, err := url.PathUnescape(escaped)
	if err != nil || len(key) > 1023 {
		return "", "", bad
	}
	return bucketName, key, nil
}

// copyRange parses x-oss-copy-source-range, "bytes=first-last", which must lie inside the
// source.
func copyRange(spec string, size int64) (first, last int64, ok bool) {
	rest, found := strings.CutPrefix(spec, "bytes=")
	a, b, dash := strings.Cut(rest, "-")
	if !found || !dash || strings.TrimLeft(a+b, "0123456789") != "" || a == "" || b == "" {
		return 0, 0, false
	}
	first, err1 := strconv.ParseInt(a, 10, 64)
	last, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || first > last || last >= size {
		return 0, 0, false
	}
	return first, last, true
}

func (b *bucket) complete(r *http.Request, bucketName, key string, body []byte, now time.Time) (*reply, *ossError) {
	enc, encoding, oerr := encodingType(r)
	if oerr != nil {
		return nil, oerr
	}
	id := r.URL.Query().Get("uploadId")
	u, ok := b.uploads[id]
	if !ok || u.key != key {
		return nil, errNoSuchUpload(id)
	}
	var req struct {
		XMLName xml.Name `xml:"CompleteMultipartUpload"`
		Parts   []struct {
			PartNumber *int    `xml:"PartNumber"`
			ETag       *string `xml:"ETag"`
		} `xml:"Part"`
	}
	if err := xml.Unmarshal(body, &req); err != nil || len(req.Parts) == 0 {
		return nil, errMalformedXML
	}
	parts := make([]*part, 0, len(req.Parts))
	prev := 0
	for _, lp := range req.Parts {
		if lp.PartNumber == nil || lp.ETag == nil {
			return nil, errMalformedXML
		}
		if *lp.PartNumber <= prev {
			return nil, &ossError{status: 400, code: "InvalidPartOrder", message: "The list of parts was not in ascending order. Parts list must specified in order by part number."}
		}
		prev = *lp.PartNumber
		p, ok := u.parts[*lp.PartNumber]
		if !ok || strings.Trim(*lp.ETag, `"`) != strings.Trim(p.etag, `"`) {
			return nil, &ossError{status: 400, code: "InvalidPart",
				message: "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag.",
				extra:   []elem{{"PartNumber", strconv.Itoa(*lp.PartNumber)}, {"ETag", *lp.ETag}}}
		}
		parts = append(parts, p)
	}
	for i, p := range parts[:len(parts)-1] {
		if len(p.data) < minPartSize {
			return nil, &ossError{status: 400, code: "EntityTooSmall", message: "Your proposed upload is smaller than the minimum allowed size.",
				extra: []elem{{"PartNumber", strconv.Itoa(*req.Parts[i].PartNumber)}, {"ProposedSize", strconv.Itoa(len(p.data))}, {"MinSizeAllowed", strconv.Itoa(minPartSize)}}}
		}
	}
	forbid := u.forbidOverwrite || strings.EqualFold(r.Header.Get("x-oss-forbid-overwrite"), "true")
	if _, exists := b.objs[key]; exists && forbid && b.versioning == "" {
		return nil, &ossError{status: 409, code: "FileAlreadyExists", message: "The object you specified already exists and can not be overwritten."}
	}
	var data, sums []byte
	for _, p := range parts {
		data = append(data, p.data...)
		sums = append(sums, p.md5[:]...)
	}
	o := newObject(data, u.contentType, now)
	sum := md5.Sum(sums)
	o.etag = `"` + strings.ToUpper(hex.EncodeToString(sum[:])) + "-" + strconv.Itoa(len(parts)) + `"` // opaque on OSS
	b.store(key, o)
	delete(b.uploads, id)

	var x xmlBuf
	x.header()
	x.open("CompleteMultipartUploadResult")
	if encoding != "" {
		x.elem("EncodingType", encoding)
	}
	x.elem("Location", "http://"+bucketName+"."+r.Host+"/"+enc(key))
	x.elem("Bucket", bucketName)
	x.elem("Key", enc(key))
	x.elem("ETag", o.etag)
	x.close("CompleteMultipartUploadResult")
	h := http.Header{"Content-Type": {"application/xml"}}
	h.Set("ETag", o.etag)
	h.Set("x-oss-hash-crc64ecma", strconv.FormatUint(o.crc, 10))
	return &reply{status: 200, header: h, body: x.Bytes()}, nil
}

var errMalformedXML = &ossError{status: 400, code: "MalformedXML", message: "The XML you provided was not well-formed or did not validate against our published schema."}

func (b *bucket) abort(r *http.Request, key string) (*reply, *ossError) {
	id := r.URL.Query().Get("uploadId")
	u, ok := b.uploads[id]
	if !ok || u.key != key {
		return nil, errNoSuchUpload(id)
	}
	delete(b.uploads, id)
	return &reply{status: 204}, nil
}

func base64MD5(sum [md5.Size]byte) string { return base64.StdEncoding.EncodeToString(sum[:]) }
