package oss_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	osssdk "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/objstore/objstoretest"
	"github.com/fcsync/fcsync/shared/objstore/oss"
	"github.com/fcsync/fcsync/shared/objstore/osstest"
	"github.com/fcsync/fcsync/shared/state"
)

const bucket = "fcsync-test"

// fast keeps retries quick in tests.
var fast = []oss.Option{oss.WithBackoff(time.Millisecond, 10*time.Millisecond)}

func config(s *osstest.Server, prefix string) oss.Config {
	c := s.Credentials()
	return oss.Config{Bucket: bucket, Prefix: prefix, Endpoint: s.URL(), Region: s.Region(), PathStyle: true,
		Credentials: func(context.Context) (oss.Credentials, error) {
			return oss.Credentials{ID: c.AccessKeyID, Secret: c.AccessKeySecret, Token: c.SecurityToken}, nil
		}}
}

func newStore(t testing.TB, s *osstest.Server, prefix string, opts ...oss.Option) *oss.Store {
	t.Helper()
	st, err := oss.New(config(s, prefix), append(slices.Clone(fast), opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestOSSMeetsTheStoreContract(t *testing.T) {
	for _, prefix := range []string{"", "fcsync/prod"} {
		t.Run(fmt.Sprintf("prefix %q", prefix), func(t *testing.T) {
			objstoretest.Run(t, func(t *testing.T) objstore.Store {
				return newStore(t, osstest.New(t, osstest.WithBucket(bucket)), prefix)
			})
		})
	}
}

func TestStateRaceLosesNoUpdateWhileTheServerLosesRepliesAndFails(t *testing.T) {
	srv := osstest.New(t, osstest.WithBucket(bucket))
	store := newStore(t, srv, "p", oss.WithMaxAttempts(12))
	srv.SetChaos(0.1, 42)
	objstoretest.StateRace{Writers: 8, Increments: 25, Settle: func() { srv.SetChaos(0, 0) }}.Run(t, store)
	st := srv.Stats()
	if st.Lost == 0 || st.Failed == 0 {
		t.Fatalf("stats %+v: the race ran without lost replies or server errors", st)
	}
	t.Logf("requests %v; %d failed with 5xx, %d replies lost", st.Requests, st.Failed, st.Lost)
}

func TestKeysLiveUnderThePrefix(t *testing.T) {
	srv := osstest.New(t, osstest.WithBucket(bucket))
	ctx := t.Context()
	outside := newStore(t, srv, "")
	inside := newStore(t, srv, "/jobs/a/") // slashes around the prefix are ignored
	if err := inside.Put(ctx, "state/x", []byte("1")); err != nil {
		t.Fatal(err)
	}
	if err := outside.Put(ctx, "jobsx", []byte("2")); err != nil {
		t.Fatal(err)
	}
	if got := srv.Keys(bucket, ""); !slices.Equal(got, []string{"jobs/a/state/x", "jobsx"}) {
		t.Fatalf("bucket holds %q", got)
	}
	keys, _, err := inside.List(ctx, "", "", 0)
	if err != nil || !slices.Equal(keys, []string{"state/x"}) {
		t.Fatalf("List under the prefix = %q, %v", keys, err)
	}
	if got, err := outside.Get(ctx, "jobs/a/state/x"); err != nil || string(got) != "1" {
		t.Fatalf("the object seen from the root: %q, %v", got, err)
	}
	if inside.String() != "oss://"+bucket+"/jobs/a" || outside.String() != "oss://"+bucket+"/" {
		t.Fatalf("String = %q, %q", inside.String(), outside.String())
	}
}

func TestKeyTooLongWithThePrefixIsInvalid(t *testing.T) {
	srv := osstest.New(t, osstest.WithBucket(bucket))
	s := newStore(t, srv, strings.Repeat("p", 1000))
	err := s.Put(t.Context(), strings.Repeat("k", 30), nil)
	if !errors.Is(err, objstore.ErrInvalidKey) {
		t.Fatalf("Put = %v, want ErrInvalidKey", err)
	}
	if n := srv.Stats().Requests[osstest.OpPutObject]; n != 0 {
		t.Fatalf("%d requests sent for an invalid key", n)
	}
}

func TestListSkipsObjectsWhoseNamesAreNotKeys(t *testing.T) {
	srv := osstest.New(t, osstest.WithBucket(bucket))
	ctx := t.Context()
	root := newStore(t, srv, "")
	// Another tool wrote "p/a//b" and "p/./c"; the store cannot address them and must skip them.
	raw := rawPut(t, srv)
	for _, k := range []string{"p/a//b", "p/./c", "p/ok", "p/zz"} {
		raw(k)
	}
	s := newStore(t, srv, "p")
	for _, limit := range []int{1, 2, 0} {
		var all []string
		after := ""
		for range 10 {
			keys, next, err := s.List(ctx, "", after, limit)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, keys...)
			if next == "" {
				break
			}
			after = next
		}
		if !slices.Equal(all, []string{"ok", "zz"}) {
			t.Fatalf("limit %d: listed %q, want [ok zz]", limit, all)
		}
	}
	if _, _, err := root.List(ctx, "p/", "", 0); err != nil {
		t.Fatal(err)
	}
}

// rawPut writes objects under any name with the bare SDK, bypassing key validation (as other
// tools may).
func rawPut(t *testing.T, srv *osstest.Server) func(key string) {
	c := srv.Credentials()
	client := osssdk.NewClient(osssdk.LoadDefaultConfig().WithRegion(srv.Region()).WithEndpoint(srv.URL()).WithUsePathStyle(true).
		WithCredentialsProvider(credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.AccessKeySecret, c.SecurityToken)))
	return func(key string) {
		if _, err := client.PutObject(t.Context(), &osssdk.PutObjectRequest{Bucket: osssdk.Ptr(bucket), Key: osssdk.Ptr(key)}); err != nil {
			t.Fatalf("raw PUT %q: %v", key, err)
		}
	}
}

func TestListAboveOSSPageSizeReturnsAFullPageAndNext(t *testing.T) {
	srv := osstest.New(t, osstest.WithBucket(bucket))
	s := newStore(t, srv, "")
	ctx := t.Context()
	for i := range 1002 {
		if err := s.Put(ctx, fmt.Sprintf("k/%05d", i), nil); err != nil {
			t.Fatal(err)
		}
	}
	keys, next, err := s.List(ctx, "k/", "", 5000)
	if err != nil || len(keys) != 1000 || next != "k/00999" {
		t.Fatalf("List(limit 5000) = %d keys, next %q, %v; want 1000 and next k/00999", len(keys), next, err)
	}
	keys, next, err = s.List(ctx, "k/", next, 5000)
	if err != nil || !slices.Equal(keys, []string{"k/01000", "k/01001"}) || next != "" {
		t.Fatalf("second page = %q, next %q, %v", keys, next, err)
	}
}

func TestCreateIfAbsentConflictIsExistsWithoutDoubt(t *testing.T) {
	srv := osstest.New(t, osstest.WithBucket(bucket))
	s := newStore(t, srv, "")
	ctx := t.Context()
	if err := s.CreateIfAbsent(ctx, "k", []byte("first")); err != nil {
		t.Fatal(err)
	}
	err := s.CreateIfAbsent(ctx, "k", []byte("second"))
	if !errors.Is(err, objstore.ErrExists) || errors.Is(err, oss.ErrMaybeWritten) {
		t.Fatalf("CreateIfAbsent of a taken key = %v, want ErrExists only", err)
	}
	var oe *oss.Error
	if !errors.As(err, &oe) || oe.Status != 409 || oe.Code != "FileAlreadyExists" || oe.RequestID == "" || oe.Bucket != bucket || oe.Key != "k" {
		t.Fatalf("error details %+v", oe)
	}
}

func TestCreateIfAbsentAfterALostReplySaysTheObjectMayBeItsOwn(t *testing.T) {
	srv := osstest.New(t, osstest.WithBucket(bucket))
	s := newStore(t, srv, "")
	srv.LoseNextReplies(osstest.OpPutObject, 1)
	err := s.CreateIfAbsent(t.Context(), "k", []byte("mine"))
	if !errors.Is(err, objstore.ErrExists) || !errors.Is(err, oss.ErrMaybeWritten) {
		t.Fatalf("CreateIfAbsent whose first reply was lost = %v, want ErrExists and ErrMaybeWritten", err)
	}
	if got, _ := srv.Object(bucket, "k"); string(got) != "mine" {
		t.Fatalf("object = %q", got)
	}
	// Only this store's own retry sent the second request: the SDK did not retry on its own.
	if n := srv.Stats().Requests[osstest.OpPutObject]; n != 2 {
		t.Fatalf("%d PutObject requests, want 2", n)
	}
}

func TestStateUpdateThroughALostCreateReplyAppliesOnce(t *testing.T) {
	srv := osstest.New(t, osstest.WithBucket(bucket))
	s := newStore(t, srv, "")
	log := state.New(s, "jobs/x")
	ctx := t.Context()
	srv.LoseNextReplies(osstest.OpPutObject, 1)
	v, err := log.Update(ctx, func(state.Version) ([]byte, error) { return []byte(`{"n":1}`), nil })
	if err != nil || v.Number != 1 {
		t.Fatalf("Update = %+v, %v; want version 1", v, err)
	}
	if keys := srv.Keys(bucket, "state/jobs/x/"); len(keys) != 1 {
		t.Fatalf("versions %q, want exactly one", keys)
	}
}

func TestCreateIfAbsentRetriesServerErrorsItself(t *testing.T) {
	srv := osstest.New(t, osstest.WithBucket(bucket))
	s := newStore(t, srv, "")
	srv.FailNext(osstest.OpPutObject, 2, 503)
	if err := s.CreateIfAbsent(t.Context(), "k", []byte("v")); err != nil {
		t.Fatalf("CreateIfAbsent after two 503s = %v", err)
	}
	srv.FailNext(osstest.OpPutObject, 5, 500)
	err := s.CreateIfAbsent(t.Context(), "k2", []byte("v"))
	if err == nil || errors.Is(err, objstore.ErrExists) || !errors.Is(err, oss.ErrMaybeWritten) {
		t.Fatalf("CreateIfAbsent that never got through = %v, want an error with ErrMaybeWritten and not ErrExists", err)
	}
	if _, ok := srv.Object(bucket, "k2"); ok {
		t.Fatal("a failed create wrote the object")
	}
	if n := srv.Stats().Requests[osstest.OpPutObject]; n != 3+oss.DefaultMaxAttempts {
		t.Fatalf("%d PutObject requests, want %d", n, 3+oss.DefaultMaxAttempts)
	}
}

func TestIdempotentOperationsRideOutFaults(t *testing.T) {
	srv := osstest.New(t, osstest.WithBucket(bucket))
	s := newStore(t, srv, "")
	ctx := t.Context()
	srv.FailNext(osstest.OpPutObject, 1, 500)
	srv.LoseNextReplies(osstest.OpPutObject, 1)
	if err := s.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	srv.LoseNextReplies(osstest.OpGetObject, 1)
	srv.FailNext(osstest.OpGetObject, 1, 503)
	if got, err := s.Get(ctx, "k"); err != nil || string(got) != "v" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	srv.LoseNextReplies(osstest.OpListObjectsV2, 1)
	if keys, _, err := s.List(ctx, "", "", 0); err != nil || !slices.Equal(keys, []string{"k"}) {
		t.Fatalf("List = %q, %v", keys, err)
	}
	srv.LoseNextReplies(osstest.OpDeleteObject, 1)
	if err := s.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if st := srv.Stats(); st.Lost != 4 || st.Failed != 2 {
		t.Fatalf("stats %+v, want 4 lost and 2 failed", st)
	}
}

func TestASlowReplyEndsWithTheCallersDeadline(t *testing.T) {
	srv := osstest.New(t, osstest.WithBucket(bucket))
	s := newStore(t, srv, "")
	if err := s.Put(t.Context(), "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	srv.SlowNext(osstest.OpGetObject, 1, time.Hour)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	if _, err := s.Get(ctx, "k"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get = %v, want the deadline", err)
	}
}

func TestMissingBucketIsNotAMissingKey(t *testing.T) {
	srv := osstest.New(t) // no bucket
	s := newStore(t, srv, "")
	_, err := s.Get(t.Context(), "k")
	if err == nil || errors.Is(err, objstore.ErrNotFound) || !strings.Contains(err.Error(), "NoSuchBucket") || !strings.Contains(err.Error(), bucket) {
		t.Fatalf("Get in a missing bucket = %v, want a NoSuchBucket error naming the bucket", err)
	}
}

func TestCheckVersioningRefusesVersionedBucketsAndBadSetups(t *testing.T) {
	tests := []struct {
		name       string
		versioning string
		noBucket   bool
		secret     string
		want       error
		wantText   string
	}{
		{name: "never versioned"},
		{name: "versioning enabled", versioning: "Enabled", want: oss.ErrVersioned, wantText: "Enabled"},
		{name: "versioning suspended", versioning: "Suspended", want: oss.ErrVersioned, wantText: "Suspended"},
		{name: "no such bucket", noBucket: true, wantText: "NoSuchBucket"},
		{name: "wrong secret", secret: "wrong", wantText: "SignatureDoesNotMatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []osstest.Option
			if !tt.noBucket {
				opts = append(opts, osstest.WithBucket(bucket))
			}
			srv := osstest.New(t, opts...)
			if tt.versioning != "" {
				if err := srv.SetVersioning(bucket, tt.versioning); err != nil {
					t.Fatal(err)
				}
			}
			cfg := config(srv, "")
			if tt.secret != "" {
				id := srv.Credentials().AccessKeyID
				cfg.Credentials = func(context.Context) (oss.Credentials, error) { return oss.Credentials{ID: id, Secret: tt.secret}, nil }
			}
			s, err := oss.New(cfg, fast...)
			if err != nil {
				t.Fatal(err)
			}
			err = s.CheckVersioning(t.Context())
			if tt.wantText == "" {
				if err != nil {
					t.Fatalf("CheckVersioning = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantText) || !strings.Contains(err.Error(), bucket) {
				t.Fatalf("CheckVersioning = %v, want an error naming the bucket and %s", err, tt.wantText)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("CheckVersioning = %v, want %v", err, tt.want)
			}
		})
	}
}

type ctxKey struct{}

func TestCredentialsAreAskedForEveryRequestWithItsContext(t *testing.T) {
	srv := osstest.New(t, osstest.WithBucket(bucket))
	c := srv.Credentials()
	var calls, withValue atomic.Int32
	cfg := config(srv, "")
	cfg.Credentials = func(ctx context.Context) (oss.Credentials, error) {
		calls.Add(1)
		if ctx.Value(ctxKey{}) == "invocation-1" {
			withValue.Add(1)
		}
		return oss.Credentials{ID: c.AccessKeyID, Secret: c.AccessKeySecret}, nil
	}
	s, err := oss.New(cfg, fast...)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.WithValue(t.Context(), ctxKey{}, "invocation-1")
	srv.FailNext(osstest.OpPutObject, 1, 503)
	if err := s.Put(ctx, "k", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 || withValue.Load() != 3 {
		t.Fatalf("credentials asked %d times (%d with the request's context), want 3 (a retried Put and a Get)", calls.Load(), withValue.Load())
	}
}

func TestNoCredentialsIsAClearError(t *testing.T) {
	srv := osstest.New(t, osstest.WithBucket(bucket))
	for name, fn := range map[string]func(context.Context) (oss.Credentials, error){
		"empty keys": func(context.Context) (oss.Credentials, error) { return oss.Credentials{}, nil },
		"an error":   func(context.Context) (oss.Credentials, error) { return oss.Credentials{}, errors.New("vault is down") },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := config(srv, "")
			cfg.Credentials = fn
			s, err := oss.New(cfg, fast...)
			if err != nil {
				t.Fatal(err)
			}
			err = s.Put(t.Context(), "k", nil)
			if err == nil || !strings.Contains(err.Error(), "credentials") || !strings.Contains(err.Error(), bucket) {
				t.Fatalf("Put = %v, want a credentials error naming the bucket", err)
			}
		})
	}
}

// echoSecrets is a transport that fails the way a misbehaving proxy might: echoing the request's
// signing headers in its error.
type echoSecrets struct{}

func (echoSecrets) RoundTrip(r *http.Request) (*http.Response, error) {
	return nil, fmt.Errorf("proxy refused %s with token %s", r.Header.Get("Authorization"), r.Header.Get("x-oss-security-token"))
}

func TestSecretsNeverAppearInErrors(t *testing.T) {
	const secret, token = "SECRET-ab12cd34ef56", "TOKEN-9f8e7d6c5b4a"
	ctx := t.Context()
	srv := osstest.New(t, osstest.WithBucket(bucket, "versioned"),
		osstest.WithCredentials(osstest.Credentials{AccessKeyID: "STS.id", AccessKeySecret: secret, SecurityToken: token}))
	if err := srv.SetVersioning("versioned", "Enabled"); err != nil {
		t.Fatal(err)
	}
	creds := func(sec, tok string) func(context.Context) (oss.Credentials, error) {
		return func(context.Context) (oss.Credentials, error) {
			return oss.Credentials{ID: "STS.id", Secret: sec, Token: tok}, nil
		}
	}
	mk := func(b string, c func(context.Context) (oss.Credentials, error), opts ...oss.Option) *oss.Store {
		cfg := config(srv, "p")
		cfg.Bucket, cfg.Credentials = b, c
		s, err := oss.New(cfg, append(slices.Clone(fast), opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := mk(bucket, creds(secret, token))
	if err := good.Put(ctx, "taken", nil); err != nil {
		t.Fatal(err)
	}
	if err := good.Put(ctx, "big", make([]byte, oss.MinServerCopy)); err != nil {
		t.Fatal(err)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	var errs []error
	add := func(err error) {
		if err == nil {
			t.Fatal("an operation that should fail succeeded")
		}
		errs = append(errs, err)
	}
	_, err := good.Get(ctx, "missing")
	add(err)
	add(good.CreateIfAbsent(ctx, "taken", nil))
	add(good.Put(ctx, "../escape", nil))
	add(good.Put(canceled, "k", nil))
	add(mk(bucket, creds("wrong-"+secret, token)).Put(ctx, "k", nil))
	add(mk(bucket, creds(secret, "wrong-"+token)).Put(ctx, "k", nil))
	add(mk("no-such-bucket", creds(secret, token)).Delete(ctx, "k"))
	add(mk("versioned", creds(secret, token)).CheckVersioning(ctx))
	add(mk(bucket, creds(secret, token), oss.WithHTTPClient(&http.Client{Transport: echoSecrets{}}), oss.WithMaxAttempts(1)).Put(ctx, "k", nil))
	add(mk(bucket, creds(secret, token), oss.WithHTTPClient(&http.Client{Transport: echoSecrets{}}), oss.WithMaxAttempts(1)).CreateIfAbsent(ctx, "k", nil))
	_, _, err = mk(bucket, creds(secret, token), oss.WithHTTPClient(&http.Client{Transport: echoSecrets{}}), oss.WithMaxAttempts(1)).List(ctx, "", "", 0)
	add(err)
	srv.FailNext("", 10, 500)
	add(good.Put(ctx, "k", nil))
	srv.FailNext("", 10, 500)
	add(good.CreateIfAbsent(ctx, "k", nil))
	_, err = good.GetRange(ctx, "missing", 0, 10)
	add(err)
	add(good.PutWithPrefix(ctx, "k", "missing", oss.MinServerCopy, nil))
	add(good.PutWithPrefix(ctx, "k", "../escape", 1, nil))
	echo := mk(bucket, creds(secret, token), oss.WithHTTPClient(&http.Client{Transport: echoSecrets{}}), oss.WithMaxAttempts(1))
	_, err = echo.GetRange(ctx, "k", 0, 10)
	add(err)
	add(echo.PutWithPrefix(ctx, "k", "taken", 1, nil))
	add(echo.PutWithPrefix(ctx, "k", "taken", oss.MinServerCopy, nil))
	srv.FailNext(osstest.OpCompleteMultipartUpload, 10, 500)
	add(good.PutWithPrefix(ctx, "k", "big", oss.MinServerCopy, []byte("x")))
	_, err = good.Size(ctx, "missing")
	add(err)
	_, err = echo.Size(ctx, "k")
	add(err)
	for _, err := range errs {
		text := err.Error() + fmt.Sprintf(" %v %+v %#v", err, err, err.Error())
		if strings.Contains(text, secret) || strings.Contains(text, token) {
			t.Errorf("error text holds a secret: %s", text)
		}
		if !strings.Contains(text, "oss://") {
			t.Errorf("error does not say where: %s", text)
		}
	}
	// The echoing transport really did put the token into the error, and it was redacted.
	if !strings.Contains(errs[8].Error(), "[REDACTED]") {
		t.Errorf("the proxy's echo was not redacted: %v", errs[8])
	}
	if s := fmt.Sprint(oss.Credentials{ID: "id", Secret: secret, Token: token}); strings.Contains(s, secret) || strings.Contains(s, token) {
		t.Errorf("printed credentials: %s", s)
	}
}

func TestNewRefusesBadConfiguration(t *testing.T) {
	creds := func(context.Context) (oss.Credentials, error) { return oss.Credentials{}, nil }
	ok := oss.Config{Bucket: "b-1", Region: "cn-hangzhou", Credentials: creds}
	tests := []struct {
		name string
		mod  func(*oss.Config)
		opts []oss.Option
		want string
	}{
		{"no bucket", func(c *oss.Config) { c.Bucket = "" }, nil, "no bucket"},
		{"bad bucket name", func(c *oss.Config) { c.Bucket = "Bad_Bucket" }, nil, "valid bucket name"},
		{"no region", func(c *oss.Config) { c.Region = "" }, nil, "region"},
		{"no credentials", func(c *oss.Config) { c.Credentials = nil }, nil, "credentials"},
		{"prefix escapes", func(c *oss.Config) { c.Prefix = "a/../b" }, nil, "prefix"},
		{"prefix with an empty segment", func(c *oss.Config) { c.Prefix = "a//b" }, nil, "prefix"},
		{"no attempts", nil, []oss.Option{oss.WithMaxAttempts(0)}, "attempts"},
		{"backoff upside down", nil, []oss.Option{oss.WithBackoff(time.Second, time.Millisecond)}, "backoff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			if tt.mod != nil {
				tt.mod(&cfg)
			}
			if _, err := oss.New(cfg, tt.opts...); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, want an error about %s", err, tt.want)
			}
		})
	}
	if _, err := oss.New(ok); err != nil {
		t.Fatalf("New of a good configuration: %v", err)
	}
}

func TestStateLogOnOSSKeepsJSONReadable(t *testing.T) {
	srv := osstest.New(t, osstest.WithBucket(bucket))
	s := newStore(t, srv, "fcsync")
	if _, err := state.New(s, "jobs/orders").Update(t.Context(), func(state.Version) ([]byte, error) { return []byte(`{"offset":42}`), nil }); err != nil {
		t.Fatal(err)
	}
	raw, ok := srv.Object(bucket, "fcsync/state/jobs/orders/00000000000000000001.json")
	if !ok || !json.Valid(raw) || !bytes.Contains(raw, []byte(`"offset":42`)) {
		t.Fatalf("version object %q", raw)
	}
}

func TestASkewedClockIsCorrectedFromTheServersDate(t *testing.T) {
	srv := osstest.New(t, osstest.WithBucket(bucket), osstest.WithClock(func() time.Time { return time.Now().Add(30 * time.Minute) }))
	s := newStore(t, srv, "")
	if err := s.Put(t.Context(), "k", []byte("v")); err != nil {
		t.Fatalf("Put with a clock 30 minutes behind OSS: %v", err)
	}
	if st := srv.Stats(); st.Rejected != 1 {
		t.Fatalf("stats %+v, want one request refused for its time before the SDK corrected the clock", st)
	}
}
