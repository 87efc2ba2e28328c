package osstest_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/retry"
	"github.com/fcsync/fcsync/shared/objstore/osstest"
)

const bucket = "test-bucket"

// client is the real SDK pointed at the server, without retries unless mods add them.
func client(s *osstest.Server, mods ...func(*oss.Config)) *oss.Client {
	c := s.Credentials()
	cfg := oss.LoadDefaultConfig().WithRegion(s.Region()).WithEndpoint(s.URL()).WithUsePathStyle(true).
		WithCredentialsProvider(credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.AccessKeySecret, c.SecurityToken)).
		WithRetryMaxAttempts(1)
	for _, m := range mods {
		m(cfg)
	}
	return oss.NewClient(cfg)
}

func withCreds(id, secret, token string) func(*oss.Config) {
	return func(c *oss.Config) {
		c.CredentialsProvider = credentials.NewStaticCredentialsProvider(id, secret, token)
	}
}

// serviceError returns the OSS error inside err, failing the test when there is none.
func serviceError(t *testing.T, err error) *oss.ServiceError {
	t.Helper()
	var se *oss.ServiceError
	if !errors.As(err, &se) {
		t.Fatalf("error %v is not an OSS service error", err)
	}
	return se
}

func put(t *testing.T, c *oss.Client, key string, data []byte) {
	t.Helper()
	if _, err := c.PutObject(t.Context(), &oss.PutObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key), Body: bytes.NewReader(data)}); err != nil {
		t.Fatalf("PutObject(%q): %v", key, err)
	}
}

func get(t *testing.T, c *oss.Client, key string) ([]byte, error) {
	t.Helper()
	res, err := c.GetObject(t.Context(), &oss.GetObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key)})
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	return io.ReadAll(res.Body)
}

func TestObjectsRoundTripThroughTheSDK(t *testing.T) {
	s := osstest.New(t, osstest.WithBucket(bucket))
	c := client(s)
	tests := []struct {
		name, key string
		data      []byte
	}{
		{"empty", "empty", nil},
		{"plain", "a/b/c.json", []byte(`{"k":1}`)},
		{"reserved characters in the key", "sp ace/plus+/pct%25/q?/hash#/amp&/eq=/tilde~/star*", []byte("x")},
		{"unicode key", "état/日本/ключ", []byte("u")},
		{"all byte values", "bin", func() []byte {
			b := make([]byte, 256)
			for i := range b {
				b[i] = byte(i)
			}
			return b
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			put(t, c, tt.key, tt.data) // the SDK checks the CRC-64 the server returns
			got, err := get(t, c, tt.key)
			if err != nil || !bytes.Equal(got, tt.data) {
				t.Fatalf("GetObject = %q, %v; want %q", got, err, tt.data)
			}
			if raw, ok := s.Object(bucket, tt.key); !ok || !bytes.Equal(raw, tt.data) {
				t.Fatalf("the server holds %q under %q", raw, tt.key)
			}
			head, err := c.HeadObject(t.Context(), &oss.HeadObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(tt.key)})
			if err != nil || head.ContentLength != int64(len(tt.data)) || head.ETag == nil || head.HashCRC64 == nil {
				t.Fatalf("HeadObject = %+v, %v", head, err)
			}
			if _, err := c.DeleteObject(t.Context(), &oss.DeleteObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(tt.key)}); err != nil {
				t.Fatal(err)
			}
			if _, ok := s.Object(bucket, tt.key); ok {
				t.Fatal("DeleteObject left the object")
			}
		})
	}
}

func TestForbidOverwriteRefusesATakenKeyUnlessTheBucketIsVersioned(t *testing.T) {
	s := osstest.New(t, osstest.WithBucket(bucket, "versioned"))
	if err := s.SetVersioning("versioned", "Suspended"); err != nil {
		t.Fatal(err)
	}
	c := client(s)
	create := func(b, data string) error {
		_, err := c.PutObject(t.Context(), &oss.PutObjectRequest{Bucket: oss.Ptr(b), Key: oss.Ptr("k"),
			ForbidOverwrite: oss.Ptr("true"), Body: strings.NewReader(data)})
		return err
	}
	if err := create(bucket, "first"); err != nil {
		t.Fatal(err)
	}
	se := serviceError(t, create(bucket, "second"))
	if se.StatusCode != 409 || se.Code != "FileAlreadyExists" || se.RequestID == "" {
		t.Fatalf("second create: %d %s (request id %q), want 409 FileAlreadyExists", se.StatusCode, se.Code, se.RequestID)
	}
	if got, _ := s.Object(bucket, "k"); string(got) != "first" {
		t.Fatalf("after a refused create the object is %q", got)
	}
	// On a bucket that ever had versioning, OSS ignores the header: both writes land.
	for _, data := range []string{"first", "second"} {
		if err := create("versioned", data); err != nil {
			t.Fatalf("create %s in a versioned bucket: %v", data, err)
		}
	}
	if got, _ := s.Object("versioned", "k"); string(got) != "second" {
		t.Fatalf("versioned bucket holds %q, want the overwrite", got)
	}
}

func TestMissingObjectsAndBucketsAreOSSErrors(t *testing.T) {
	s := osstest.New(t, osstest.WithBucket(bucket))
	c := client(s)
	ctx := t.Context()

	_, err := c.GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr("no/such")})
	se := serviceError(t, err)
	if se.StatusCode != 404 || se.Code != "NoSuchKey" || se.Message == "" || se.RequestID == "" {
		t.Fatalf("GetObject of a missing key: %d %s %q (request id %q)", se.StatusCode, se.Code, se.Message, se.RequestID)
	}
	for _, want := range []string{"<Code>NoSuchKey</Code>", "<RequestId>", "<HostId>test-bucket.", "<Key>no/such</Key>"} {
		if !bytes.Contains(se.Snapshot, []byte(want)) {
			t.Errorf("error XML %s lacks %s", se.Snapshot, want)
		}
	}

	// HEAD has no body: the error XML comes base64-encoded in x-oss-err.
	_, err = c.HeadObject(ctx, &oss.HeadObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr("no/such")})
	se = serviceError(t, err)
	if se.StatusCode != 404 || se.Code != "NoSuchKey" {
		t.Fatalf("HeadObject of a missing key: %d %s", se.StatusCode, se.Code)
	}
	xml, decErr := base64.StdEncoding.DecodeString(se.Headers.Get("x-oss-err"))
	if decErr != nil || !bytes.Contains(xml, []byte("<Code>NoSuchKey</Code>")) {
		t.Fatalf("x-oss-err = %q (%v), want the base64 error XML", se.Headers.Get("x-oss-err"), decErr)
	}

	_, err = c.GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr("no-bucket"), Key: oss.Ptr("k")})
	if se = serviceError(t, err); se.StatusCode != 404 || se.Code != "NoSuchBucket" {
		t.Fatalf("GetObject in a missing bucket: %d %s", se.StatusCode, se.Code)
	}
	// Deleting a missing key succeeds, as on OSS.
	if _, err := c.DeleteObject(ctx, &oss.DeleteObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr("no/such")}); err != nil {
		t.Fatalf("DeleteObject of a missing key: %v", err)
	}
}

func listAll(t *testing.T, c *oss.Client, req oss.ListObjectsV2Request) (keys []string, pages int) {
	t.Helper()
	req.Bucket = oss.Ptr(bucket)
	p := c.NewListObjectsV2Paginator(&req)
	for p.HasNext() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if page.IsTruncated && (page.NextContinuationToken == nil || *page.NextContinuationToken == "") {
			t.Fatal("a truncated page without NextContinuationToken")
		}
		for _, o := range page.Contents {
			keys = append(keys, *o.Key)
		}
		for _, cp := range page.CommonPrefixes {
			keys = append(keys, *cp.Prefix)
		}
		if pages > 100 {
			t.Fatal("listing does not end")
		}
	}
	return keys, pages
}

func TestListObjectsV2PagesWithContinuationTokens(t *testing.T) {
	s := osstest.New(t, osstest.WithBucket(bucket))
	c := client(s)
	all := []string{"a-", "a.b", "a/1", "a/10", "a/2", "a/b c", "a/b+c", "a/b/c", "a/b/d", "ab", "b", "é"}
	for _, k := range all {
		put(t, c, k, []byte(k))
	}
	tests := []struct {
		name      string
		req       oss.ListObjectsV2Request
		want      []string
		wantPages int
	}{
		{"everything in one page", oss.ListObjectsV2Request{}, all, 1},
		{"pages of 1", oss.ListObjectsV2Request{MaxKeys: 1}, all, len(all)},
		{"pages of 5", oss.ListObjectsV2Request{MaxKeys: 5}, all, 3},
		{"prefix", oss.ListObjectsV2Request{Prefix: oss.Ptr("a/"), MaxKeys: 2}, all[2:9], 4},
		{"start-after a key", oss.ListObjectsV2Request{Prefix: oss.Ptr("a/"), StartAfter: oss.Ptr("a/10"), MaxKeys: 3}, all[4:9], 2},
		{"start-after between keys", oss.ListObjectsV2Request{StartAfter: oss.Ptr("a/b"), MaxKeys: 3}, all[5:], 3},
		{"start-after before the prefix", oss.ListObjectsV2Request{Prefix: oss.Ptr("a/b"), StartAfter: oss.Ptr("0")}, []string{"a/b c", "a/b+c", "a/b/c", "a/b/d"}, 1},
		{"no match", oss.ListObjectsV2Request{Prefix: oss.Ptr("zzz")}, nil, 1},
		{"delimiter", oss.ListObjectsV2Request{Delimiter: oss.Ptr("/"), MaxKeys: 2}, []string{"a-", "a.b", "ab", "b", "é", "a/"}, 3},
		{"delimiter under a prefix", oss.ListObjectsV2Request{Prefix: oss.Ptr("a/"), Delimiter: oss.Ptr("/"), MaxKeys: 1},
			[]string{"a/1", "a/10", "a/2", "a/b c", "a/b+c", "a/b/"}, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, pages := listAll(t, c, tt.req)
			if tt.req.Delimiter != nil {
				slices.Sort(got)
				tt.want = slices.Sorted(slices.Values(tt.want))
			}
			if !slices.Equal(got, tt.want) || pages != tt.wantPages {
				t.Fatalf("listed %q in %d pages, want %q in %d", got, pages, tt.want, tt.wantPages)
			}
		})
	}
}

func TestListObjectsV2RefusesBadArguments(t *testing.T) {
	s := osstest.New(t, osstest.WithBucket(bucket))
	c := client(s)
	put(t, c, "k", nil)
	tests := []struct {
		name string
		req  oss.ListObjectsV2Request
	}{
		{"max-keys above 1000", oss.ListObjectsV2Request{MaxKeys: 1001}},
		{"a forged continuation token", oss.ListObjectsV2Request{ContinuationToken: oss.Ptr(base64.RawURLEncoding.EncodeToString([]byte("kfoo")))}},
		{"a continuation token that is not base64", oss.ListObjectsV2Request{ContinuationToken: oss.Ptr("!!")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Bucket = oss.Ptr(bucket)
			_, err := c.ListObjectsV2(t.Context(), &tt.req)
			if se := serviceError(t, err); se.StatusCode != 400 || se.Code != "InvalidArgument" {
				t.Fatalf("%d %s, want 400 InvalidArgument", se.StatusCode, se.Code)
			}
		})
	}
}

func TestContinuationTokensAreOpaque(t *testing.T) {
	s := osstest.New(t, osstest.WithBucket(bucket))
	c := client(s)
	put(t, c, "secret-looking-key-1", nil)
	put(t, c, "secret-looking-key-2", nil)
	page, err := c.ListObjectsV2(t.Context(), &oss.ListObjectsV2Request{Bucket: oss.Ptr(bucket), MaxKeys: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !page.IsTruncated || page.NextContinuationToken == nil || strings.Contains(*page.NextContinuationToken, "secret-looking") {
		t.Fatalf("page: truncated %v, token %v: want an opaque token", page.IsTruncated, page.NextContinuationToken)
	}
}

func TestAppendObjectChecksThePosition(t *testing.T) {
	s := osstest.New(t, osstest.WithBucket(bucket))
	c := client(s)
	ctx := t.Context()
	appendAt := func(key string, pos int64, data string) (*oss.AppendObjectResult, error) {
		return c.AppendObject(ctx, &oss.AppendObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key), Position: oss.Ptr(pos), Body: strings.NewReader(data)})
	}
	res, err := appendAt("log", 0, "abc")
	if err != nil || res.NextPosition != 3 {
		t.Fatalf("first append: %+v, %v", res, err)
	}
	if res, err = appendAt("log", 3, "de"); err != nil || res.NextPosition != 5 {
		t.Fatalf("second append: %+v, %v", res, err)
	}
	for _, pos := range []int64{0, 3, 6} {
		_, err := appendAt("log", pos, "X")
		se := serviceError(t, err)
		if se.StatusCode != 409 || se.Code != "PositionNotEqualToLength" || se.Headers.Get("x-oss-next-append-position") != "5" {
			t.Fatalf("append at %d: %d %s next %q, want 409 PositionNotEqualToLength next 5", pos, se.StatusCode, se.Code, se.Headers.Get("x-oss-next-append-position"))
		}
	}
	if got, _ := s.Object(bucket, "log"); string(got) != "abcde" {
		t.Fatalf("appendable object holds %q", got)
	}
	put(t, c, "normal", []byte("n"))
	_, err = appendAt("normal", 1, "X")
	if se := serviceError(t, err); se.StatusCode != 409 || se.Code != "ObjectNotAppendable" {
		t.Fatalf("append to a normal object: %d %s", se.StatusCode, se.Code)
	}
}

func TestBucketVersioningIsReportedAndCanBeSwitchedOn(t *testing.T) {
	s := osstest.New(t, osstest.WithBucket(bucket, "other-bucket"))
	c := client(s)
	ctx := t.Context()
	status := func(b string) string {
		res, err := c.GetBucketVersioning(ctx, &oss.GetBucketVersioningRequest{Bucket: oss.Ptr(b)})
		if err != nil {
			t.Fatal(err)
		}
		return oss.ToString(res.VersionStatus)
	}
	if got := status(bucket); got != "" {
		t.Fatalf("a new bucket's versioning is %q, want none", got)
	}
	if err := s.SetVersioning(bucket, "Enabled"); err != nil {
		t.Fatal(err)
	}
	if got := status(bucket); got != "Enabled" {
		t.Fatalf("after SetVersioning: %q", got)
	}
	if _, err := c.PutBucketVersioning(ctx, &oss.PutBucketVersioningRequest{Bucket: oss.Ptr("other-bucket"),
		VersioningConfiguration: &oss.VersioningConfiguration{Status: oss.VersionSuspended}}); err != nil {
		t.Fatal(err)
	}
	if got := status("other-bucket"); got != "Suspended" {
		t.Fatalf("after PutBucketVersioning: %q", got)
	}
	if err := s.SetVersioning(bucket, "Off"); err == nil {
		t.Fatal("SetVersioning accepted a bad status")
	}
}

// tamper changes requests after the SDK signed them.
type tamper func(*http.Request)

func (f tamper) Do(r *http.Request) (*http.Response, error) {
	f(r)
	return http.DefaultClient.Do(r)
}

func TestRequestsWithoutAValidSignatureAreRefusedAndNotApplied(t *testing.T) {
	creds := osstest.Credentials{AccessKeyID: "STS.test-id", AccessKeySecret: "test-secret", SecurityToken: "test-token"}
	tests := []struct {
		name     string
		server   []osstest.Option
		mod      func(*oss.Config)
		status   int
		wantCode string
	}{
		{"wrong secret", nil, withCreds(creds.AccessKeyID, "other-secret", creds.SecurityToken), 403, "SignatureDoesNotMatch"},
		{"unknown key id", nil, withCreds("STS.other", creds.AccessKeySecret, creds.SecurityToken), 403, "InvalidAccessKeyId"},
		{"no token", nil, withCreds(creds.AccessKeyID, creds.AccessKeySecret, ""), 403, "InvalidSecurityToken"},
		{"wrong token", nil, withCreds(creds.AccessKeyID, creds.AccessKeySecret, "other-token"), 403, "InvalidSecurityToken"},
		{"signed for another region", nil, func(c *oss.Config) { c.Region = oss.Ptr("cn-beijing") }, 403, "SignatureDoesNotMatch"},
		{"no signature at all", nil, func(c *oss.Config) { c.CredentialsProvider = credentials.NewAnonymousCredentialsProvider() }, 403, "AccessDenied"},
		{"clock 20 minutes off", []osstest.Option{osstest.WithClock(func() time.Time { return time.Now().Add(20 * time.Minute) })}, nil, 403, "RequestTimeTooSkewed"},
		{"a signed header changed after signing", nil, func(c *oss.Config) {
			c.HttpClient = tamper(func(r *http.Request) { r.Header.Del("x-oss-forbid-overwrite") })
		}, 403, "SignatureDoesNotMatch"},
		{"the key changed after signing", nil, func(c *oss.Config) {
			c.HttpClient = tamper(func(r *http.Request) { r.URL.Path += "x"; r.URL.RawPath = "" })
		}, 403, "SignatureDoesNotMatch"},
		{"a query parameter added after signing", nil, func(c *oss.Config) {
			c.HttpClient = tamper(func(r *http.Request) { r.URL.RawQuery = "x-extra=1" })
		}, 403, "SignatureDoesNotMatch"},
		{"a wrong content hash", nil, func(c *oss.Config) {
			c.HttpClient = tamper(func(r *http.Request) { r.Header.Set("x-oss-content-sha256", strings.Repeat("0", 64)) })
		}, 400, "InvalidDigest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := osstest.New(t, append([]osstest.Option{osstest.WithBucket(bucket), osstest.WithCredentials(creds)}, tt.server...)...)
			var mods []func(*oss.Config)
			if tt.mod != nil {
				mods = append(mods, tt.mod)
			}
			c := client(s, mods...)
			_, err := c.PutObject(t.Context(), &oss.PutObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr("k"),
				ForbidOverwrite: oss.Ptr("true"), Body: strings.NewReader("v")})
			se := serviceError(t, err)
			if se.StatusCode != tt.status || se.Code != tt.wantCode {
				t.Fatalf("%d %s (%s), want %d %s", se.StatusCode, se.Code, se.Message, tt.status, tt.wantCode)
			}
			if strings.Contains(string(se.Snapshot), creds.AccessKeySecret) {
				t.Fatalf("the error response contains the secret: %s", se.Snapshot)
			}
			if _, ok := s.Object(bucket, "k"); ok {
				t.Fatal("a refused request was applied")
			}
			if st := s.Stats(); st.Rejected != 1 || st.Requests[osstest.OpPutObject] != 0 {
				t.Fatalf("stats %+v, want one rejected request and no PutObject", st)
			}
		})
	}
}

func TestTheRightSTSTokenIsAccepted(t *testing.T) {
	creds := osstest.Credentials{AccessKeyID: "STS.id", AccessKeySecret: "secret", SecurityToken: "token"}
	s := osstest.New(t, osstest.WithBucket(bucket), osstest.WithCredentials(creds))
	put(t, client(s), "k", []byte("v"))
}

func TestWrongContentMD5IsRefused(t *testing.T) {
	s := osstest.New(t, osstest.WithBucket(bucket))
	_, err := client(s).PutObject(t.Context(), &oss.PutObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr("k"),
		ContentMD5: oss.Ptr("1B2M2Y8AsgTpgAmY7PhCfg=="), Body: strings.NewReader("not empty")})
	if se := serviceError(t, err); se.StatusCode != 400 || se.Code != "InvalidDigest" {
		t.Fatalf("%d %s, want 400 InvalidDigest", se.StatusCode, se.Code)
	}
	if _, ok := s.Object(bucket, "k"); ok {
		t.Fatal("the object was written")
	}
}

func TestUnsupportedRequestsAreNotImplementedNotIgnored(t *testing.T) {
	s := osstest.New(t, osstest.WithBucket(bucket))
	c := client(s)
	ctx := t.Context()
	put(t, c, "k", []byte("0123456789"))
	tests := []struct {
		name string
		do   func() error
	}{
		{"a conditional GET", func() error {
			_, err := c.GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr("k"), IfMatch: oss.Ptr(`"x"`)})
			return err
		}},
		{"GetBucketAcl", func() error {
			_, err := c.GetBucketAcl(ctx, &oss.GetBucketAclRequest{Bucket: oss.Ptr(bucket)})
			return err
		}},
		{"CopyObject", func() error {
			_, err := c.CopyObject(ctx, &oss.CopyObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr("copy"), SourceKey: oss.Ptr("k")})
			return err
		}},
		{"ListParts", func() error {
			_, err := c.ListParts(ctx, &oss.ListPartsRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr("k"), UploadId: oss.Ptr("x")})
			return err
		}},
		{"CompleteMultipartUpload with complete-all", func() error {
			_, err := c.CompleteMultipartUpload(ctx, &oss.CompleteMultipartUploadRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr("k"),
				UploadId: oss.Ptr("x"), CompleteAll: oss.Ptr("yes")})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if se := serviceError(t, tt.do()); se.StatusCode != 501 || se.Code != "NotImplemented" {
				t.Fatalf("%d %s, want 501 NotImplemented", se.StatusCode, se.Code)
			}
		})
	}
	if keys := s.Keys(bucket, ""); !slices.Equal(keys, []string{"k"}) {
		t.Fatalf("bucket holds %q after refused requests", keys)
	}
}

func TestInjectedFaults(t *testing.T) {
	ctx := t.Context()
	t.Run("a failed request is not applied", func(t *testing.T) {
		s := osstest.New(t, osstest.WithBucket(bucket))
		s.FailNext(osstest.OpPutObject, 1, 503)
		_, err := client(s).PutObject(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr("k"), Body: strings.NewReader("v")})
		if se := serviceError(t, err); se.StatusCode != 503 || se.Code != "ServiceUnavailable" {
			t.Fatalf("%d %s, want 503", se.StatusCode, se.Code)
		}
		if _, ok := s.Object(bucket, "k"); ok {
			t.Fatal("a failed request was applied")
		}
	})
	t.Run("faults match their operation and the SDK's retries get through", func(t *testing.T) {
		s := osstest.New(t, osstest.WithBucket(bucket))
		s.FailNext(osstest.OpPutObject, 2, 500)
		c := client(s, func(c *oss.Config) {
			c.RetryMaxAttempts = oss.Ptr(3)
			c.Retryer = retry.NewStandard(func(o *retry.RetryOptions) { o.BaseDelay, o.MaxBackoff = time.Millisecond, 5*time.Millisecond })
		})
		if _, err := get(t, c, "k"); serviceError(t, err).Code != "NoSuchKey" {
			t.Fatalf("GetObject consumed a PutObject fault: %v", err)
		}
		put(t, c, "k", []byte("v"))
		if st := s.Stats(); st.Failed != 2 || st.Requests[osstest.OpPutObject] != 3 {
			t.Fatalf("stats %+v, want 2 failed of 3 PutObject requests", st)
		}
	})
	t.Run("a lost reply leaves the request applied", func(t *testing.T) {
		s := osstest.New(t, osstest.WithBucket(bucket))
		s.LoseNextReplies(osstest.OpPutObject, 1)
		_, err := client(s).PutObject(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr("k"), Body: strings.NewReader("v")})
		var se *oss.ServiceError
		if err == nil || errors.As(err, &se) {
			t.Fatalf("PutObject with a lost reply = %v, want a transport error", err)
		}
		if got, ok := s.Object(bucket, "k"); !ok || string(got) != "v" {
			t.Fatal("the request whose reply was lost was not applied")
		}
		if st := s.Stats(); st.Lost != 1 {
			t.Fatalf("stats %+v, want 1 lost", st)
		}
	})
	t.Run("a slow reply outlasts the client's deadline but the request took effect", func(t *testing.T) {
		s := osstest.New(t, osstest.WithBucket(bucket))
		s.SlowNext(osstest.OpPutObject, 1, time.Hour)
		short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		_, err := client(s).PutObject(short, &oss.PutObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr("k"), Body: strings.NewReader("v")})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("PutObject = %v, want the deadline", err)
		}
		if _, ok := s.Object(bucket, "k"); !ok {
			t.Fatal("the slow request was not applied")
		}
	})
	t.Run("chaos fails and loses a share of the requests", func(t *testing.T) {
		s := osstest.New(t, osstest.WithBucket(bucket))
		s.SetChaos(0.5, 7)
		c := client(s)
		var failures int
		for i := range 60 {
			if _, err := c.PutObject(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(fmt.Sprint(i)), Body: strings.NewReader("v")}); err != nil {
				failures++
			}
		}
		st := s.Stats()
		if st.Failed == 0 || st.Lost == 0 || failures != st.Failed+st.Lost {
			t.Fatalf("stats %+v with %d client failures: want both kinds, each seen by the client", st, failures)
		}
		if got := len(s.Keys(bucket, "")); got != 60-st.Failed {
			t.Fatalf("%d objects, want every request but the %d failed ones", got, st.Failed)
		}
		s.SetChaos(0, 0)
		put(t, c, "after", nil)
	})
}

func TestManyConcurrentCreatorsHaveOneWinner(t *testing.T) {
	s := osstest.New(t, osstest.WithBucket(bucket))
	c := client(s)
	const racers = 16
	var wg sync.WaitGroup
	errs := make([]error, racers)
	for i := range racers {
		wg.Go(func() {
			_, errs[i] = c.PutObject(t.Context(), &oss.PutObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr("contested"),
				ForbidOverwrite: oss.Ptr("true"), Body: strings.NewReader(fmt.Sprint(i))})
		})
	}
	wg.Wait()
	winners := 0
	for _, err := range errs {
		if err == nil {
			winners++
		} else if se := serviceError(t, err); se.Code != "FileAlreadyExists" {
			t.Fatalf("racer: %v", err)
		}
	}
	if winners != 1 {
		t.Fatalf("%d winners, want 1", winners)
	}
}

func TestClosedServerRefusesConnections(t *testing.T) {
	s, err := osstest.Start(osstest.WithBucket(bucket))
	if err != nil {
		t.Fatal(err)
	}
	c := client(s)
	put(t, c, "k", nil)
	s.Close()
	s.Close() // idempotent
	if _, err := get(t, c, "k"); err == nil {
		t.Fatal("a closed server answered")
	}
}

func TestServerOnlyListensOnLoopback(t *testing.T) {
	s := osstest.New(t)
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") {
		t.Fatalf("URL %s", s.URL())
	}
}

func TestCreateBucketRefusesBadAndDuplicateNames(t *testing.T) {
	s := osstest.New(t, osstest.WithBucket(bucket))
	for _, name := range []string{bucket, "UPPER", "ab", "-dash", "dash-", "under_score", strings.Repeat("a", 64)} {
		if err := s.CreateBucket(name); err == nil {
			t.Errorf("CreateBucket(%q) succeeded", name)
		}
	}
	if _, err := client(s).PutBucket(t.Context(), &oss.PutBucketRequest{Bucket: oss.Ptr("made-by-sdk")}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBucket("made-by-sdk"); err == nil {
		t.Fatal("PutBucket did not create the bucket")
	}
}
