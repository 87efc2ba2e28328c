package osstest

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// FuzzAuthorization feeds arbitrary Authorization headers and query strings to the verifier: it
// must never panic, and never accept a request it did not see signed.
func FuzzAuthorization(f *testing.F) {
	f.Add("OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=e21d", "a=1&b")
	f.Add("OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=abc;host,Signature=00", "%zz=%")
	f.Add("OSS4-HMAC-SHA256 ,,,", "&&&=")
	f.Add("OSS ak:sig", "")
	f.Add("OSS ak:c2ln", "uploadId=1&partNumber=2&prefix=x")
	f.Add("OSS :", "acl")
	f.Fuzz(func(t *testing.T, header, rawQuery string) {
		at := time.Unix(1702743657, 0).UTC()
		s := &Server{region: "cn-hangzhou", creds: Credentials{AccessKeyID: "ak", AccessKeySecret: "sk"}}
		r, err := http.NewRequest("GET", "http://127.0.0.1/bucket/key", nil)
		if err != nil {
			t.Fatal(err)
		}
		r.URL.RawQuery = rawQuery
		r.Header.Set("Authorization", header)
		r.Header.Set("x-oss-date", at.Format(dateTimeFormat))
		r.Header.Set("Date", at.Format(http.TimeFormat)) // so that V1 headers get past the clock
		r.Header.Set("x-oss-content-sha256", unsignedPayload)
		if _, ok := parseAuthorization(header); ok && (!strings.Contains(header, "Credential=") || !strings.Contains(header, "Signature=")) {
			t.Fatalf("parsed %q, which lacks a credential or a signature", header)
		}
		if err := s.authenticate(r, target{bucket: "bucket", key: "key", op: OpGetObject}, nil, at); err == nil {
			t.Fatalf("accepted header %q with query %q", header, rawQuery)
		}
		_ = canonicalQuery(rawQuery)
		_ = stringToSignV1(r, "bucket", "key")
	})
}

// FuzzContinuationToken: tokens round-trip, and arbitrary tokens are refused or decoded without
// panicking.
func FuzzContinuationToken(f *testing.F) {
	f.Add("a/b/c", "")
	f.Add("", "Zm9v")
	f.Add("日本\x00\xff", "!!")
	f.Fuzz(func(t *testing.T, key, token string) {
		for _, kind := range []byte{'k', 'p'} {
			gotKind, gotValue, ok := decodeToken(encodeToken(kind, key, "id01"), "id01")
			if !ok || gotKind != kind || gotValue != key {
				t.Fatalf("token of %c %q decoded as %c %q %v", kind, key, gotKind, gotValue, ok)
			}
		}
		_, _, _ = decodeToken(token, "id01")
	})
}

// FuzzRanges feeds arbitrary Range, x-oss-copy-source-range and x-oss-copy-source values to their
// parsers: they must never panic, and every range they accept must lie inside the object.
func FuzzRanges(f *testing.F) {
	f.Add("bytes=0-9", int64(10))
	f.Add("bytes=-3", int64(10))
	f.Add("bytes=5-,0-1", int64(3))
	f.Add("bytes=9223372036854775807-", int64(0))
	f.Add("/bucket/a%2Fb%ZZ", int64(1))
	f.Fuzz(func(t *testing.T, spec string, size int64) {
		if size < 0 {
			size = -(size + 1)
		}
		for _, standard := range []bool{false, true} {
			first, last, status := byteRange(spec, size, standard)
			switch status {
			case 206:
				if first < 0 || first > last || last >= size {
					t.Fatalf("byteRange(%q, %d, %v) = %d-%d", spec, size, standard, first, last)
				}
			case 200, 416:
			default:
				t.Fatalf("byteRange(%q) status %d", spec, status)
			}
		}
		if first, last, ok := copyRange(spec, size); ok && (first < 0 || first > last || last >= size) {
			t.Fatalf("copyRange(%q, %d) = %d-%d", spec, size, first, last)
		}
		if b, k, err := copySource(spec); err == nil && (!validBucketName(b) || k == "") {
			t.Fatalf("copySource(%q) = %q, %q", spec, b, k)
		}
	})
}
