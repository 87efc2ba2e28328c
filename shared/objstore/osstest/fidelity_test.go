package osstest_test

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/fcsync/fcsync/shared/objstore/osstest"
)

// Regression cases for what the vendors' other SDKs (sdk_test.go) found the server doing
// differently from OSS, reproduced with the Go SDK.

// oss2 parses ListObjectsV2's LastModified only as ...T12:34:56.000Z: OSS keeps times to the
// second, and a server with milliseconds broke every oss2 listing.
func TestObjectTimesAreWholeSeconds(t *testing.T) {
	clock := time.Now().UTC().Truncate(time.Second).Add(891 * time.Millisecond) // in the skew window
	s := osstest.New(t, osstest.WithBucket(bucket), osstest.WithClock(func() time.Time { return clock }))
	c := client(s)
	put(t, c, "k", []byte("x"))
	page, err := c.ListObjectsV2(t.Context(), &oss.ListObjectsV2Request{Bucket: oss.Ptr(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	want := clock.Truncate(time.Second)
	if len(page.Contents) != 1 || page.Contents[0].LastModified == nil || !page.Contents[0].LastModified.Equal(want) {
		t.Fatalf("listed %+v, want LastModified %s", page.Contents, want)
	}
	head, err := c.HeadObject(t.Context(), &oss.HeadObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr("k")})
	if err != nil || head.LastModified == nil || !head.LastModified.Equal(want) {
		t.Fatalf("HeadObject Last-Modified %v (%v), want %s as listed", head.LastModified, err, want)
	}
}

// oss2's upload_part_copy takes the part's ETag from the reply's header, not from
// CopyPartResult: OSS sends both.
func TestUploadPartCopySendsTheETagInTheHeaderToo(t *testing.T) {
	s := osstest.New(t, osstest.WithBucket(bucket))
	c := client(s)
	ctx := t.Context()
	put(t, c, "src", bytes.Repeat([]byte("s"), 1000))
	init, err := c.InitiateMultipartUpload(ctx, &oss.InitiateMultipartUploadRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr("dst")})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.UploadPartCopy(ctx, &oss.UploadPartCopyRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr("dst"), UploadId: init.UploadId,
		PartNumber: 1, SourceKey: oss.Ptr("src"), Range: oss.Ptr("bytes=0-99")})
	if err != nil {
		t.Fatal(err)
	}
	if res.ETag == nil || *res.ETag == "" || res.Headers.Get("ETag") != *res.ETag {
		t.Fatalf("UploadPartCopy: ETag %v in CopyPartResult, %q in the header: want the same in both", res.ETag, res.Headers.Get("ETag"))
	}
}

// oss2's object_exists and the v2 SDKs' IsObjectExist ask GetObjectMeta (HEAD ?objectMeta).
func TestGetObjectMetaAnswersWhetherAnObjectExists(t *testing.T) {
	s := osstest.New(t, osstest.WithBucket(bucket))
	c := client(s)
	put(t, c, "k", []byte("12345"))
	meta, err := c.GetObjectMeta(t.Context(), &oss.GetObjectMetaRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr("k")})
	if err != nil || meta.ContentLength != 5 || meta.ETag == nil {
		t.Fatalf("GetObjectMeta = %+v, %v: want 5 bytes and an ETag", meta, err)
	}
	ok, err := c.IsObjectExist(t.Context(), bucket, "missing")
	if err != nil || ok {
		t.Fatalf("IsObjectExist(missing) = %v, %v: want false, nil", ok, err)
	}
	_, err = c.GetObjectMeta(t.Context(), &oss.GetObjectMetaRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr("missing")})
	if se := serviceError(t, err); se.StatusCode != 404 || se.Code != "NoSuchKey" {
		t.Fatalf("GetObjectMeta(missing): %v, want 404 NoSuchKey", err)
	}
}

// V1 signatures (Authorization: OSS id:signature), checked here with the Go SDK's own V1 signer:
// sub-resources (uploadId, partNumber, continuation-token, append, position) are signed,
// other parameters are not, and a wrong secret or STS token is refused.
func TestV1SignaturesAreVerified(t *testing.T) {
	v1 := func(c *oss.Config) { c.WithSignatureVersion(oss.SignatureVersionV1) }
	s := osstest.New(t, osstest.WithBucket(bucket), osstest.WithCredentials(osstest.Credentials{AccessKeyID: "LTAIv1", AccessKeySecret: "v1-secret", SecurityToken: "sts-token"}))
	c := client(s, v1)
	ctx := t.Context()
	for _, k := range []string{"a/1", "a/2", "a/3 with space+plus", "a/中文"} {
		put(t, c, k, []byte(k))
		if b, err := get(t, c, k); err != nil || string(b) != k {
			t.Fatalf("get %q = %q, %v", k, b, err)
		}
	}
	keys, pages := listAll(t, c, oss.ListObjectsV2Request{Bucket: oss.Ptr(bucket), Prefix: oss.Ptr("a/"), MaxKeys: 1})
	if len(keys) != 4 || pages != 4 {
		t.Fatalf("listed %v in %d pages, want 4 keys in 4", keys, pages)
	}
	if _, err := c.AppendObject(ctx, &oss.AppendObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr("log"), Position: oss.Ptr(int64(0)), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	init, err := c.InitiateMultipartUpload(ctx, &oss.InitiateMultipartUploadRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr("mp")})
	if err != nil {
		t.Fatal(err)
	}
	part, err := c.UploadPart(ctx, &oss.UploadPartRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr("mp"), UploadId: init.UploadId, PartNumber: 1, Body: strings.NewReader("p")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CompleteMultipartUpload(ctx, &oss.CompleteMultipartUploadRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr("mp"), UploadId: init.UploadId,
		CompleteMultipartUpload: &oss.CompleteMultipartUpload{Parts: []oss.UploadPart{{PartNumber: 1, ETag: part.ETag}}}}); err != nil {
		t.Fatal(err)
	}
	if b, _ := s.Object(bucket, "mp"); string(b) != "p" {
		t.Fatalf("multipart object holds %q", b)
	}
	for _, tc := range []struct {
		name, secret, token, code string
	}{
		{"wrong secret", "v1-secretX", "sts-token", "SignatureDoesNotMatch"},
		{"wrong token", "v1-secret", "other", "InvalidSecurityToken"},
	} {
		_, err := get(t, client(s, v1, withCreds("LTAIv1", tc.secret, tc.token)), "a/1")
		if se := serviceError(t, err); se.StatusCode != 403 || se.Code != tc.code {
			t.Errorf("%s: %v, want 403 %s", tc.name, err, tc.code)
		}
	}
}

// oss2 and alibabacloud-oss-v2 decode encoding-type=url listings with Python's unquote, which
// leaves + alone: a space must come as %20 (and a plus as %2B), or "a b" is listed as "a+b".
func TestURLEncodedListingsEncodeSpacesAsPercent20(t *testing.T) {
	s := osstest.New(t, osstest.WithBucket(bucket))
	c := client(s)
	put(t, c, "odd/a b+c", nil)
	for _, op := range []struct {
		name   string
		method string
		key    *string
		params map[string]string
	}{
		{"ListObjectsV2", "GET", nil, map[string]string{"list-type": "2", "encoding-type": "url", "prefix": "odd/"}},
		{"InitiateMultipartUpload", "POST", oss.Ptr("odd/a b+c"), map[string]string{"uploads": "", "encoding-type": "url"}},
	} {
		out, err := c.InvokeOperation(t.Context(), &oss.OperationInput{OpName: op.name, Method: op.method, Bucket: oss.Ptr(bucket), Key: op.key, Parameters: op.params})
		if err != nil {
			t.Fatalf("%s: %v", op.name, err)
		}
		body, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if !strings.Contains(string(body), "<Key>odd/a%20b%2Bc</Key>") {
			t.Errorf("%s with encoding-type=url:\n%s\nwant <Key>odd/a%%20b%%2Bc</Key>", op.name, body)
		}
	}
}
