package osstest_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/fcsync/fcsync/shared/objstore/osstest"
)

func TestRangedGetAnswersAsOSSDoes(t *testing.T) {
	s := osstest.New(t, osstest.WithBucket(bucket))
	c := client(s)
	put(t, c, "ten", []byte("0123456789"))
	put(t, c, "empty", nil)
	tests := []struct {
		name         string
		key, rng     string
		standard     bool
		status       int
		body         string
		contentRange string
	}{
		{"first bytes", "ten", "bytes=0-3", false, 206, "0123", "bytes 0-3/10"},
		{"middle bytes", "ten", "bytes=2-5", true, 206, "2345", "bytes 2-5/10"},
		{"to the end", "ten", "bytes=7-", false, 206, "789", "bytes 7-9/10"},
		{"the last bytes", "ten", "bytes=-3", false, 206, "789", "bytes 7-9/10"},
		{"the last byte exactly", "ten", "bytes=9-9", false, 206, "9", "bytes 9-9/10"},
		{"an end past the object is ignored", "ten", "bytes=8-20", false, 200, "0123456789", ""},
		{"an end past the object is cut with standard behaviour", "ten", "bytes=8-20", true, 206, "89", "bytes 8-9/10"},
		{"a start at the end is ignored", "ten", "bytes=10-20", false, 200, "0123456789", ""},
		{"a start at the end is 416 with standard behaviour", "ten", "bytes=10-20", true, 416, "", ""},
		{"an open range past the end is 416 with standard behaviour", "ten", "bytes=11-", true, 416, "", ""},
		{"a suffix longer than the object is ignored", "ten", "bytes=-20", false, 200, "0123456789", ""},
		{"a suffix longer than the object is all of it with standard behaviour", "ten", "bytes=-20", true, 206, "0123456789", "bytes 0-9/10"},
		{"a reversed range is ignored", "ten", "bytes=5-2", true, 200, "0123456789", ""},
		{"a malformed unit is ignored", "ten", "byte=0-1", false, 200, "0123456789", ""},
		{"a number that is not one is ignored", "ten", "bytes=+1-2", false, 200, "0123456789", ""},
		{"only the first of several ranges counts", "ten", "bytes=0-1,4-5", false, 206, "01", "bytes 0-1/10"},
		{"any range of an empty object is ignored", "empty", "bytes=0-0", false, 200, "", ""},
		{"any range of an empty object is 416 with standard behaviour", "empty", "bytes=0-0", true, 416, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &oss.GetObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(tt.key), Range: oss.Ptr(tt.rng)}
			if tt.standard {
				req.RangeBehavior = oss.Ptr("standard")
			}
			res, err := c.GetObject(t.Context(), req)
			if tt.status == 416 {
				se := serviceError(t, err)
				if se.StatusCode != 416 || se.Code != "InvalidRange" {
					t.Fatalf("%d %s, want 416 InvalidRange", se.StatusCode, se.Code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(res.Body)
			_ = res.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != tt.status || string(body) != tt.body || oss.ToString(res.ContentRange) != tt.contentRange ||
				res.ContentLength != int64(len(tt.body)) {
				t.Fatalf("%d %q Content-Range %q Content-Length %d, want %d %q %q", res.StatusCode, body, oss.ToString(res.ContentRange),
					res.ContentLength, tt.status, tt.body, tt.contentRange)
			}
		})
	}
	s.FailNext(osstest.OpGetObject, 1, 503)
	_, err := c.GetObject(t.Context(), &oss.GetObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr("ten"), Range: oss.Ptr("bytes=0-1")})
	if se := serviceError(t, err); se.StatusCode != 503 {
		t.Fatalf("a ranged GET with an injected fault: %d %s, want 503", se.StatusCode, se.Code)
	}
}

// raw sends a request the SDK's typed calls would not send (they sort parts, refuse part number
// 0, ...), signed by the SDK as any other.
func raw(t *testing.T, c *oss.Client, method, key string, params, headers map[string]string, body []byte) error {
	t.Helper()
	in := &oss.OperationInput{OpName: "Raw", Method: method, Bucket: oss.Ptr(bucket), Key: oss.Ptr(key), Parameters: params, Headers: headers}
	if body != nil {
		in.Body = bytes.NewReader(body)
	}
	out, err := c.InvokeOperation(t.Context(), in)
	if err == nil && out.Body != nil {
		_ = out.Body.Close()
	}
	return err
}

// mp drives multipart uploads through the SDK.
type mp struct {
	t *testing.T
	c *oss.Client
}

func (m mp) initiate(key string) string {
	m.t.Helper()
	res, err := m.c.InitiateMultipartUpload(m.t.Context(), &oss.InitiateMultipartUploadRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key)})
	if err != nil {
		m.t.Fatalf("InitiateMultipartUpload(%q): %v", key, err)
	}
	if oss.ToString(res.Key) != key || oss.ToString(res.UploadId) == "" || oss.ToString(res.Bucket) != bucket {
		m.t.Fatalf("InitiateMultipartUpload = bucket %q key %q upload %q", oss.ToString(res.Bucket), oss.ToString(res.Key), oss.ToString(res.UploadId))
	}
	return *res.UploadId
}

func (m mp) part(key, id string, num int32, data []byte) (string, error) {
	res, err := m.c.UploadPart(m.t.Context(), &oss.UploadPartRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key), UploadId: oss.Ptr(id),
		PartNumber: num, Body: bytes.NewReader(data)}) // the SDK checks the part's CRC-64 the server returns
	if err != nil {
		return "", err
	}
	return oss.ToString(res.ETag), nil
}

func (m mp) copyPart(key, id string, num int32, src, rng string, mods ...func(*oss.UploadPartCopyRequest)) (string, error) {
	req := &oss.UploadPartCopyRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key), UploadId: oss.Ptr(id), PartNumber: num, SourceKey: oss.Ptr(src)}
	if rng != "" {
		req.Range = oss.Ptr(rng)
	}
	for _, mod := range mods {
		mod(req)
	}
	res, err := m.c.UploadPartCopy(m.t.Context(), req)
	if err != nil {
		return "", err
	}
	return oss.ToString(res.ETag), nil
}

func (m mp) complete(key, id string, parts ...oss.UploadPart) (*oss.CompleteMultipartUploadResult, error) {
	return m.c.CompleteMultipartUpload(m.t.Context(), &oss.CompleteMultipartUploadRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key),
		UploadId: oss.Ptr(id), CompleteMultipartUpload: &oss.CompleteMultipartUpload{Parts: parts}})
}

func (m mp) abort(key, id string) error {
	_, err := m.c.AbortMultipartUpload(m.t.Context(), &oss.AbortMultipartUploadRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key), UploadId: oss.Ptr(id)})
	return err
}

func (m mp) must(etag string, err error) string {
	m.t.Helper()
	if err != nil {
		m.t.Fatal(err)
	}
	return etag
}

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31) ^ seed
	}
	return b
}

func TestMultipartUploadMakesTheObjectAtComplete(t *testing.T) {
	tests := []struct{ name, src, key string }{
		{"plain keys", "lake/t/old.parquet", "lake/t/new.parquet"},
		{"keys that need escaping", "lake/sp ace/plus+é%.parquet", "lake/q?/amp&=new.parquet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := osstest.New(t, osstest.WithBucket(bucket))
			c := client(s)
			m := mp{t, c}
			src := pattern(300<<10, 1)
			put(t, c, tt.src, src)
			id := m.initiate(tt.key)
			if got := s.Uploads(bucket); !slices.Equal(got, []string{tt.key}) {
				t.Fatalf("Uploads = %q", got)
			}
			e1 := m.must(m.copyPart(tt.key, id, 1, tt.src, "bytes=0-204799"))
			tail := []byte("the new rows")
			e2 := m.must(m.part(tt.key, id, 2, tail))
			if _, ok := s.Object(bucket, tt.key); ok {
				t.Fatal("the object appeared before Complete")
			}
			res, err := m.complete(tt.key, id, oss.UploadPart{PartNumber: 1, ETag: oss.Ptr(e1)}, oss.UploadPart{PartNumber: 2, ETag: oss.Ptr(e2)})
			if err != nil {
				t.Fatal(err)
			}
			if oss.ToString(res.Key) != tt.key || oss.ToString(res.ETag) == "" || oss.ToString(res.HashCRC64) == "" {
				t.Fatalf("CompleteMultipartUpload = key %q etag %q crc %q", oss.ToString(res.Key), oss.ToString(res.ETag), oss.ToString(res.HashCRC64))
			}
			want := append(slices.Clone(src[:200<<10]), tail...)
			if got, err := get(t, c, tt.key); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("the object is %d bytes (%v), want %d: the copied prefix and the part", len(got), err, len(want))
			}
			if got := s.Uploads(bucket); len(got) != 0 {
				t.Fatalf("a completed upload is still listed: %q", got)
			}
			if _, err := m.complete(tt.key, id, oss.UploadPart{PartNumber: 1, ETag: oss.Ptr(e1)}); serviceError(t, err).Code != "NoSuchUpload" {
				t.Fatalf("completing again: %v, want NoSuchUpload", err)
			}
		})
	}
}

func TestAPartSentAgainReplacesTheEarlierOne(t *testing.T) {
	s := osstest.New(t, osstest.WithBucket(bucket))
	m := mp{t, client(s)}
	id := m.initiate("k")
	m.must(m.part("k", id, 1, []byte("first")))
	e := m.must(m.part("k", id, 1, []byte("second")))
	if _, err := m.complete("k", id, oss.UploadPart{PartNumber: 1, ETag: oss.Ptr(e)}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Object(bucket, "k"); string(got) != "second" {
		t.Fatalf("object %q", got)
	}
}

func TestCompleteMultipartUploadRefusesBadPartLists(t *testing.T) {
	big := pattern(100<<10, 2)
	tests := []struct {
		name     string
		forbid   bool
		parts    func(e1, e2, e3 string) []oss.UploadPart
		status   int
		wantCode string
	}{
		{"parts out of order", false, func(e1, e2, e3 string) []oss.UploadPart {
			return []oss.UploadPart{{PartNumber: 2, ETag: &e2}, {PartNumber: 1, ETag: &e1}} // sent as listed, not sorted as the SDK does
		}, 400, "InvalidPartOrder"},
		{"a part twice", false, func(e1, e2, e3 string) []oss.UploadPart {
			return []oss.UploadPart{{PartNumber: 1, ETag: &e1}, {PartNumber: 1, ETag: &e1}}
		}, 400, "InvalidPartOrder"},
		{"a part without an ETag", false, func(e1, e2, e3 string) []oss.UploadPart {
			return []oss.UploadPart{{PartNumber: 1}}
		}, 400, "MalformedXML"},
		{"a part never uploaded", false, func(e1, e2, e3 string) []oss.UploadPart {
			return []oss.UploadPart{{PartNumber: 1, ETag: &e1}, {PartNumber: 4, ETag: &e2}}
		}, 400, "InvalidPart"},
		{"another part's ETag", false, func(e1, e2, e3 string) []oss.UploadPart {
			return []oss.UploadPart{{PartNumber: 1, ETag: &e2}, {PartNumber: 2, ETag: &e2}}
		}, 400, "InvalidPart"},
		{"a small last part and a gap in the numbers are fine", false, func(e1, e2, e3 string) []oss.UploadPart {
			return []oss.UploadPart{{PartNumber: 1, ETag: &e1}, {PartNumber: 3, ETag: &e3}}
		}, 0, ""},
		{"a small part in the middle", false, func(e1, e2, e3 string) []oss.UploadPart {
			return []oss.UploadPart{{PartNumber: 1, ETag: &e1}, {PartNumber: 3, ETag: &e3}, {PartNumber: 6, ETag: &e1}}
		}, 400, "EntityTooSmall"},
		{"no parts", false, func(e1, e2, e3 string) []oss.UploadPart { return nil }, 400, "MalformedXML"},
		{"a taken key with forbid-overwrite", true, func(e1, e2, e3 string) []oss.UploadPart {
			return []oss.UploadPart{{PartNumber: 1, ETag: &e1}}
		}, 409, "FileAlreadyExists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := osstest.New(t, osstest.WithBucket(bucket))
			c := client(s)
			m := mp{t, c}
			put(t, c, "taken", []byte("old"))
			key := "new"
			if tt.forbid {
				key = "taken"
			}
			id := m.initiate(key)
			e1 := m.must(m.part(key, id, 1, big))
			e2 := m.must(m.part(key, id, 2, big[:10]))
			e3 := m.must(m.part(key, id, 3, []byte("small")))
			m.must(m.part(key, id, 6, big))
			body, err := xml.Marshal(struct {
				XMLName xml.Name         `xml:"CompleteMultipartUpload"`
				Parts   []oss.UploadPart `xml:"Part"`
			}{Parts: tt.parts(e1, e2, e3)})
			if err != nil {
				t.Fatal(err)
			}
			headers := map[string]string{}
			if tt.forbid {
				headers["x-oss-forbid-overwrite"] = "true"
			}
			err = raw(t, c, "POST", key, map[string]string{"uploadId": id}, headers, body)
			if tt.status == 0 {
				if err != nil {
					t.Fatalf("CompleteMultipartUpload: %v", err)
				}
				if got, _ := s.Object(bucket, key); !bytes.Equal(got, append(slices.Clone(big), "small"...)) {
					t.Fatalf("object of %d bytes", len(got))
				}
				return
			}
			se := serviceError(t, err)
			if se.StatusCode != tt.status || se.Code != tt.wantCode {
				t.Fatalf("%d %s (%s), want %d %s", se.StatusCode, se.Code, se.Message, tt.status, tt.wantCode)
			}
			if got, ok := s.Object(bucket, key); (key == "new") == ok || (ok && string(got) != "old") {
				t.Fatalf("a refused Complete changed the key: %q (exists %v)", got, ok)
			}
			// The upload survives a refused Complete and can still be completed.
			if got := s.Uploads(bucket); !slices.Equal(got, []string{key}) {
				t.Fatalf("Uploads = %q after a refused Complete", got)
			}
			if _, err := m.complete(key, id, oss.UploadPart{PartNumber: 1, ETag: &e1}); err != nil && !tt.forbid {
				t.Fatalf("a good Complete after a refused one: %v", err)
			}
		})
	}
}

func TestPartRequestsRefuseBadTargetsAndSources(t *testing.T) {
	s := osstest.New(t, osstest.WithBucket(bucket, "other-bucket"))
	c := client(s)
	m := mp{t, c}
	put(t, c, "src", []byte("0123456789"))
	if _, err := c.AppendObject(t.Context(), &oss.AppendObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr("appendable"),
		Position: oss.Ptr(int64(0)), Body: strings.NewReader("abc")}); err != nil {
		t.Fatal(err)
	}
	id := m.initiate("k")
	otherID := m.initiate("other-key")
	ifMatch := func(etag string) func(*oss.UploadPartCopyRequest) {
		return func(r *oss.UploadPartCopyRequest) { r.IfMatch = oss.Ptr(etag) }
	}
	tests := []struct {
		name     string
		do       func() (string, error)
		status   int
		wantCode string
	}{
		{"part number 0", func() (string, error) {
			return "", raw(t, c, "PUT", "k", map[string]string{"partNumber": "0", "uploadId": id}, nil, []byte("x"))
		}, 400, "InvalidArgument"},
		{"part number 10001", func() (string, error) { return m.part("k", id, 10001, []byte("x")) }, 400, "InvalidArgument"},
		{"a part number that is not one", func() (string, error) {
			return "", raw(t, c, "PUT", "k", map[string]string{"partNumber": "1x", "uploadId": id}, nil, []byte("x"))
		}, 400, "InvalidArgument"},
		{"a copy source without a leading slash", func() (string, error) {
			return "", raw(t, c, "PUT", "k", map[string]string{"partNumber": "1", "uploadId": id}, map[string]string{"x-oss-copy-source": bucket + "/src"}, nil)
		}, 400, "InvalidArgument"},
		{"a copy source without a key", func() (string, error) {
			return "", raw(t, c, "PUT", "k", map[string]string{"partNumber": "1", "uploadId": id}, map[string]string{"x-oss-copy-source": "/" + bucket + "/"}, nil)
		}, 400, "InvalidArgument"},
		{"a copy of an object version", func() (string, error) {
			return m.copyPart("k", id, 1, "src", "", func(r *oss.UploadPartCopyRequest) { r.SourceVersionId = oss.Ptr("v1") })
		}, 501, "NotImplemented"},
		{"an unknown upload", func() (string, error) { return m.part("k", "0123ABCD", 1, []byte("x")) }, 404, "NoSuchUpload"},
		{"another key's upload", func() (string, error) { return m.part("k", otherID, 1, []byte("x")) }, 404, "NoSuchUpload"},
		{"a copy from a missing object", func() (string, error) { return m.copyPart("k", id, 1, "missing", "") }, 404, "NoSuchKey"},
		{"a copy from a missing bucket", func() (string, error) {
			return m.copyPart("k", id, 1, "src", "", func(r *oss.UploadPartCopyRequest) { r.SourceBucket = oss.Ptr("no-bucket") })
		}, 404, "NoSuchBucket"},
		{"a copy range past the source", func() (string, error) { return m.copyPart("k", id, 1, "src", "bytes=0-10") }, 400, "InvalidArgument"},
		{"a copy range starting past the source", func() (string, error) { return m.copyPart("k", id, 1, "src", "bytes=10-10") }, 400, "InvalidArgument"},
		{"a reversed copy range", func() (string, error) { return m.copyPart("k", id, 1, "src", "bytes=5-4") }, 400, "InvalidArgument"},
		{"an open copy range", func() (string, error) { return m.copyPart("k", id, 1, "src", "bytes=5-") }, 400, "InvalidArgument"},
		{"a copy whose source changed", func() (string, error) { return m.copyPart("k", id, 1, "src", "bytes=0-4", ifMatch(`"0123"`)) }, 412, "PreconditionFailed"},
		{"a copy of an appendable object", func() (string, error) { return m.copyPart("k", id, 1, "appendable", "") }, 400, "InvalidArgument"},
		{"a copy into an unknown upload", func() (string, error) { return m.copyPart("k", "0123ABCD", 1, "src", "") }, 404, "NoSuchUpload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.do()
			se := serviceError(t, err)
			if se.StatusCode != tt.status || se.Code != tt.wantCode {
				t.Fatalf("%d %s (%s), want %d %s", se.StatusCode, se.Code, se.Message, tt.status, tt.wantCode)
			}
		})
	}
	// None of the refused requests stored a part: completing with part 1 finds none.
	if _, err := m.complete("k", id, oss.UploadPart{PartNumber: 1, ETag: oss.Ptr(`"00"`)}); serviceError(t, err).Code != "InvalidPart" {
		t.Fatalf("Complete after refused parts: %v, want InvalidPart", err)
	}
	// A copy that names the source's ETag, a range and another bucket's object goes through.
	head, err := c.HeadObject(t.Context(), &oss.HeadObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr("src")})
	if err != nil {
		t.Fatal(err)
	}
	e := m.must(m.copyPart("k", id, 1, "src", "bytes=2-4", ifMatch(oss.ToString(head.ETag))))
	if _, err := m.complete("k", id, oss.UploadPart{PartNumber: 1, ETag: oss.Ptr(e)}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Object(bucket, "k"); string(got) != "234" {
		t.Fatalf("object %q, want the copied range", got)
	}
}

func TestAbortDropsTheUploadAndItsParts(t *testing.T) {
	s := osstest.New(t, osstest.WithBucket(bucket))
	m := mp{t, client(s)}
	id := m.initiate("k")
	e := m.must(m.part("k", id, 1, []byte("x")))
	if err := m.abort("k", id); err != nil {
		t.Fatal(err)
	}
	if got := s.Uploads(bucket); len(got) != 0 {
		t.Fatalf("Uploads = %q after abort", got)
	}
	for name, err := range map[string]error{
		"UploadPart": func() error { _, err := m.part("k", id, 2, []byte("y")); return err }(),
		"Complete":   func() error { _, err := m.complete("k", id, oss.UploadPart{PartNumber: 1, ETag: &e}); return err }(),
		"Abort":      m.abort("k", id),
	} {
		if se := serviceError(t, err); se.StatusCode != 404 || se.Code != "NoSuchUpload" {
			t.Errorf("%s after abort: %d %s, want 404 NoSuchUpload", name, se.StatusCode, se.Code)
		}
	}
	if _, ok := s.Object(bucket, "k"); ok {
		t.Fatal("an aborted upload made the object")
	}
}

func TestMultipartRequestsNeedValidSignatures(t *testing.T) {
	creds := osstest.Credentials{AccessKeyID: "STS.id", AccessKeySecret: "secret", SecurityToken: "token"}
	// Each request runs once with a tamper that changes what was signed, then once untouched.
	type step struct {
		name   string
		op     osstest.Op
		tamper func(*http.Request)
		do     func(m mp, id string) error
	}
	steps := []step{
		{"InitiateMultipartUpload without the uploads sub-resource", osstest.OpInitiateMultipartUpload,
			func(r *http.Request) { r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "uploads", "uploadz", 1) },
			func(m mp, _ string) error {
				_, err := m.c.InitiateMultipartUpload(m.t.Context(), &oss.InitiateMultipartUploadRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr("k")})
				return err
			}},
		{"UploadPart with another part number", osstest.OpUploadPart,
			func(r *http.Request) {
				r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "partNumber=1", "partNumber=2", 1)
			},
			func(m mp, id string) error { _, err := m.part("k", id, 1, []byte("x")); return err }},
		{"UploadPartCopy with another source", osstest.OpUploadPartCopy,
			func(r *http.Request) { r.Header.Set("x-oss-copy-source", "/"+bucket+"/other") },
			func(m mp, id string) error { _, err := m.copyPart("k", id, 1, "src", "bytes=0-1"); return err }},
		{"UploadPartCopy with another range", osstest.OpUploadPartCopy,
			func(r *http.Request) { r.Header.Set("x-oss-copy-source-range", "bytes=0-2") },
			func(m mp, id string) error { _, err := m.copyPart("k", id, 1, "src", "bytes=0-1"); return err }},
		{"CompleteMultipartUpload with another upload id", osstest.OpCompleteMultipartUpload,
			func(r *http.Request) { r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "uploadId=", "uploadId=0", 1) },
			func(m mp, id string) error { _, err := m.complete("k", id); return err }},
		{"AbortMultipartUpload of another upload", osstest.OpAbortMultipartUpload,
			func(r *http.Request) { r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "uploadId=", "uploadId=0", 1) },
			func(m mp, id string) error { return m.abort("k", id) }},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			s := osstest.New(t, osstest.WithBucket(bucket), osstest.WithCredentials(creds))
			good := mp{t, client(s)}
			put(t, good.c, "src", []byte("0123456789"))
			put(t, good.c, "other", []byte("abcdefghij"))
			id := good.initiate("k")
			before := s.Stats()
			bad := mp{t, client(s, func(c *oss.Config) { c.HttpClient = tamper(st.tamper) })}
			se := serviceError(t, st.do(bad, id))
			if se.StatusCode != 403 || se.Code != "SignatureDoesNotMatch" {
				t.Fatalf("tampered request: %d %s, want 403 SignatureDoesNotMatch", se.StatusCode, se.Code)
			}
			wrong := mp{t, client(s, withCreds(creds.AccessKeyID, "wrong", creds.SecurityToken))}
			if se := serviceError(t, st.do(wrong, id)); se.Code != "SignatureDoesNotMatch" {
				t.Fatalf("request signed with a wrong secret: %d %s", se.StatusCode, se.Code)
			}
			after := s.Stats()
			if after.Rejected != before.Rejected+2 || after.Requests[st.op] != before.Requests[st.op] {
				t.Fatalf("stats %+v then %+v: want two rejected requests and no %s", before, after, st.op)
			}
			if got := s.Uploads(bucket); !slices.Equal(got, []string{"k"}) {
				t.Fatalf("Uploads = %q after refused requests", got)
			}
			if err := st.do(good, id); err != nil {
				var se *oss.ServiceError
				// Completing an upload without parts is refused for its body, not its signature.
				if !errors.As(err, &se) || se.Code != "MalformedXML" {
					t.Fatalf("the untouched request: %v", err)
				}
			}
		})
	}
}

func TestInjectedFaultsHitMultipartRequests(t *testing.T) {
	s := osstest.New(t, osstest.WithBucket(bucket))
	c := client(s)
	m := mp{t, c}
	put(t, c, "src", pattern(200<<10, 3))
	id := m.initiate("k")

	s.FailNext(osstest.OpUploadPartCopy, 1, 503)
	if _, err := m.copyPart("k", id, 1, "src", "bytes=0-102399"); serviceError(t, err).StatusCode != 503 {
		t.Fatalf("UploadPartCopy with a fault: %v", err)
	}
	e1 := m.must(m.copyPart("k", id, 1, "src", "bytes=0-102399"))
	e2 := m.must(m.part("k", id, 2, []byte("tail")))

	s.FailNext(osstest.OpCompleteMultipartUpload, 1, 500)
	parts := []oss.UploadPart{{PartNumber: 1, ETag: &e1}, {PartNumber: 2, ETag: &e2}}
	if _, err := m.complete("k", id, parts...); serviceError(t, err).StatusCode != 500 {
		t.Fatalf("Complete with a fault: %v", err)
	}
	if _, ok := s.Object(bucket, "k"); ok {
		t.Fatal("a failed Complete made the object")
	}
	// A Complete whose reply is lost lands: the object is there, and the upload is gone, so
	// sending it again is NoSuchUpload.
	s.LoseNextReplies(osstest.OpCompleteMultipartUpload, 1)
	var se *oss.ServiceError
	if _, err := m.complete("k", id, parts...); err == nil || errors.As(err, &se) {
		t.Fatalf("Complete with a lost reply = %v, want a transport error", err)
	}
	if got, ok := s.Object(bucket, "k"); !ok || len(got) != 100<<10+4 {
		t.Fatalf("after a lost Complete reply the object has %d bytes (exists %v)", len(got), ok)
	}
	if _, err := m.complete("k", id, parts...); serviceError(t, err).Code != "NoSuchUpload" {
		t.Fatalf("Complete sent again: %v, want NoSuchUpload", err)
	}
	if st := s.Stats(); st.Failed != 2 || st.Lost != 1 {
		t.Fatalf("stats %+v", st)
	}
}
