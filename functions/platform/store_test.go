package platform_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/fccontext"

	"github.com/fcsync/fcsync/functions/platform"
	streamhandler "github.com/fcsync/fcsync/functions/stream/handler"
	"github.com/fcsync/fcsync/shared/lake/hudi"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/objstore/oss"
	"github.com/fcsync/fcsync/shared/objstore/osstest"
	"github.com/fcsync/fcsync/shared/record"
	"github.com/fcsync/fcsync/shared/trigger"
)

const bucket = "fcsync-state"

// sts are the keys the test server accepts: what FC hands one invocation.
var sts = osstest.Credentials{AccessKeyID: "STS.invocation-id", AccessKeySecret: "invocation-SECRET-7f3a9c", SecurityToken: "invocation-TOKEN-e41b"}

// invocation returns a context carrying keys the way FC's runtime passes them.
func invocation(c osstest.Credentials) context.Context {
	return fccontext.NewContext(context.Background(), &fccontext.FcContext{
		RequestID:   "req-1",
		Credentials: fccontext.Credentials{AccessKeyId: c.AccessKeyID, AccessKeySecret: c.AccessKeySecret, SecurityToken: c.SecurityToken},
	})
}

// ossEnv is the function's environment for a test server; extra entries override.
func ossEnv(srv *osstest.Server, extra ...string) func(string) string {
	env := map[string]string{
		platform.EnvOSSEndpoint:  srv.URL(),
		platform.EnvOSSRegion:    srv.Region(),
		platform.EnvOSSPathStyle: "1",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	return func(k string) string { return env[k] }
}

func TestOpenStoreOpensADirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	s, err := platform.OpenStore(t.Context(), dir, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(*objstore.Dir); !ok {
		t.Fatalf("OpenStore(%s) = %T, want a directory store", dir, s)
	}
	if err := s.Put(t.Context(), "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "k")); err != nil {
		t.Fatal(err)
	}
}

func TestOpenStoreOpensOSSAndSignsWithTheInvocationsKeys(t *testing.T) {
	srv := osstest.New(t, osstest.WithBucket(bucket), osstest.WithCredentials(sts))
	// The environment holds other keys: requests must use the invocation's.
	getenv := ossEnv(srv, "ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret")
	ctx := invocation(sts)
	s, err := platform.OpenStore(ctx, "oss://"+bucket+"/jobs/prod", getenv)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "state/x", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if got, _ := srv.Object(bucket, "jobs/prod/state/x"); string(got) != "v" {
		t.Fatalf("object under the prefix = %q", got)
	}
	// The same store, used by an invocation with other keys, signs with those.
	other := invocation(osstest.Credentials{AccessKeyID: sts.AccessKeyID, AccessKeySecret: "rotated-secret", SecurityToken: sts.SecurityToken})
	if err := s.Put(other, "state/y", nil); err == nil || !strings.Contains(err.Error(), "SignatureDoesNotMatch") {
		t.Fatalf("Put with another invocation's keys = %v, want SignatureDoesNotMatch", err)
	}
	// Without keys in the context, the environment's are used.
	if err := s.Put(context.Background(), "state/z", nil); err == nil || !strings.Contains(err.Error(), "InvalidAccessKeyId") {
		t.Fatalf("Put without invocation keys = %v, want the environment's keys refused", err)
	}
	if st := srv.Stats(); st.Requests[osstest.OpGetBucketVersioning] != 1 {
		t.Fatalf("stats %+v, want one versioning check", st)
	}
}

func TestOpenStoreFallsBackToEnvironmentKeys(t *testing.T) {
	srv := osstest.New(t, osstest.WithBucket(bucket), osstest.WithCredentials(sts))
	getenv := ossEnv(srv, "ALIBABA_CLOUD_ACCESS_KEY_ID", sts.AccessKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET", sts.AccessKeySecret,
		"ALIBABA_CLOUD_SECURITY_TOKEN", sts.SecurityToken, platform.EnvOSSRegion, "", "FC_REGION", srv.Region())
	s, err := platform.OpenStore(context.Background(), "oss://"+bucket, getenv)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(context.Background(), "k", nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := srv.Object(bucket, "k"); !ok {
		t.Fatal("the object is not at the bucket root")
	}
}

func TestOpenStoreRefusesBadLocationsAndSettings(t *testing.T) {
	srv := osstest.New(t, osstest.WithBucket(bucket, "versioned"), osstest.WithCredentials(sts))
	if err := srv.SetVersioning("versioned", "Enabled"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, location string
		env            []string
		want           string
		wantErr        error
	}{
		{"empty", "", nil, "no location", nil},
		{"another scheme", "s3://b/p", nil, `"s3" locations`, nil},
		{"no bucket", "oss:///p", nil, "no bucket", nil},
		{"keys in the location", "oss://id:hunter2@bucket/p", nil, "no user", nil},
		{"a query", "oss://" + bucket + "/p?x=1", nil, "query", nil},
		{"a bad bucket name", "oss://Bad_Bucket/p", nil, "valid bucket name", nil},
		{"a prefix that escapes", "oss://" + bucket + "/a/../b", nil, "prefix", nil},
		{"no region", "oss://" + bucket + "/p", []string{platform.EnvOSSRegion, ""}, "no region", nil},
		{"a bad flag", "oss://" + bucket + "/p", []string{platform.EnvOSSInternal, "yes"}, platform.EnvOSSInternal, nil},
		{"a missing bucket", "oss://no-such-bucket/p", nil, "NoSuchBucket", nil},
		{"a versioned bucket", "oss://versioned/p", nil, "versioning is Enabled", oss.ErrVersioned},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := platform.OpenStore(invocation(sts), tt.location, ossEnv(srv, tt.env...))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("OpenStore(%q) = %v, want an error about %s", tt.location, err, tt.want)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("OpenStore = %v, want %v", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("the error echoes a password: %v", err)
			}
		})
	}
}

func TestStoreCacheChecksOnceAndRetriesAFailedOpen(t *testing.T) {
	srv := osstest.New(t, osstest.WithBucket(bucket), osstest.WithCredentials(sts))
	var c platform.StoreCache
	loc := "oss://" + bucket + "/p"
	if _, err := c.Open(context.Background(), loc, ossEnv(srv)); err == nil || !strings.Contains(err.Error(), "no cloud keys") {
		t.Fatalf("Open without keys = %v, want a no-keys error", err)
	}
	var first objstore.Store
	for i := range 3 {
		s, err := c.Open(invocation(sts), loc, ossEnv(srv))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = s
		} else if s != first {
			t.Fatal("a second Open made a new store")
		}
	}
	if n := srv.Stats().Requests[osstest.OpGetBucketVersioning]; n != 1 {
		t.Fatalf("%d versioning checks, want 1", n)
	}
}

// The stream function, in-process, writes its Hudi table to OSS with the keys FC passes in the
// invocation's context, and a redelivered batch is a duplicate.
func TestStreamHandlerKeepsItsLakeOnOSSWithTheInvocationsKeys(t *testing.T) {
	srv := osstest.New(t, osstest.WithBucket(bucket), osstest.WithCredentials(sts))
	t.Setenv(platform.EnvOSSEndpoint, srv.URL())
	t.Setenv(platform.EnvOSSRegion, srv.Region())
	t.Setenv(platform.EnvOSSPathStyle, "1")
	t.Setenv(platform.EnvOSSInternal, "")
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id") // wrong keys: only the invocation's work
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-SECRET-should-not-leak")
	t.Setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "")

	jobFile, err := filepath.Abs(filepath.Join("..", "stream", "testdata", "events_rt.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	h := streamhandler.New(streamhandler.Config{JobFile: jobFile, LakeDir: "oss://" + bucket + "/lake-root"}, nil)
	var recs []record.Record
	for i := range 4 {
		recs = append(recs, record.Record{Topic: "orders", Partition: int32(i % 2), Offset: int64(10 + i/2),
			Timestamp: time.UnixMilli(1700000000000 + int64(i)).UTC(), Key: fmt.Appendf(nil, "k%d", i), Value: fmt.Appendf(nil, `{"n":%d}`, i)})
	}
	event, err := trigger.EncodeKafka(recs, trigger.ShapeCloudEvents)
	if err != nil {
		t.Fatal(err)
	}

	// An invocation without keys of its own falls back to the environment's, which OSS refuses;
	// the error says so without the secret.
	if _, err := h.Invoke(context.Background(), event, platform.Credentials{}); err == nil ||
		!strings.Contains(err.Error(), "InvalidAccessKeyId") || strings.Contains(err.Error(), "should-not-leak") {
		t.Fatalf("invocation with the environment's keys = %v, want InvalidAccessKeyId without the secret", err)
	}

	ctx := invocation(sts)
	creds := platform.FromContext(ctx, os.Getenv)
	for i, want := range []string{"committed", "duplicate"} {
		res, err := h.Invoke(ctx, event, creds)
		if err != nil {
			t.Fatalf("invocation %d: %v", i, err)
		}
		if res.Status != want {
			t.Fatalf("invocation %d: status %s, want %s", i, res.Status, want)
		}
	}

	keys := srv.Keys(bucket, "")
	if len(keys) == 0 || slices.ContainsFunc(keys, func(k string) bool { return !strings.HasPrefix(k, "lake-root/") }) {
		t.Fatalf("objects outside the lake prefix: %q", keys)
	}
	// Read the table back from OSS.
	store, err := platform.OpenStore(ctx, "oss://"+bucket+"/lake-root", os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := hudi.Open(ctx, store, "lake/events")
	if err != nil {
		t.Fatal(err)
	}
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	err = snap.Scan(ctx, func(r hudi.Row) error {
		p, _ := r.Get("kafka_partition")
		o, _ := r.Get("kafka_offset")
		rows = append(rows, fmt.Sprintf("%v@%v", p, o))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(rows)
	if want := []string{"0@10", "0@11", "1@10", "1@11"}; !slices.Equal(rows, want) {
		t.Fatalf("table rows %q, want %q", rows, want)
	}
}

func TestSecretsNeverAppearInStoreErrors(t *testing.T) {
	srv := osstest.New(t, osstest.WithBucket(bucket, "versioned"), osstest.WithCredentials(sts))
	if err := srv.SetVersioning("versioned", "Suspended"); err != nil {
		t.Fatal(err)
	}
	wrongSecret := osstest.Credentials{AccessKeyID: sts.AccessKeyID, AccessKeySecret: "wrong-SECRET-1d2e", SecurityToken: sts.SecurityToken}
	wrongToken := osstest.Credentials{AccessKeyID: sts.AccessKeyID, AccessKeySecret: sts.AccessKeySecret, SecurityToken: "wrong-TOKEN-8c7b"}
	envKeys := []string{"ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-SECRET-5a6b", "ALIBABA_CLOUD_SECURITY_TOKEN", "env-TOKEN-3e4f"}
	secrets := []string{sts.AccessKeySecret, sts.SecurityToken, wrongSecret.AccessKeySecret, wrongToken.SecurityToken, "env-SECRET-5a6b", "env-TOKEN-3e4f"}

	var errs []error
	for _, tc := range []struct {
		ctx      context.Context
		location string
	}{
		{invocation(wrongSecret), "oss://" + bucket + "/p"},
		{invocation(wrongToken), "oss://" + bucket + "/p"},
		{context.Background(), "oss://" + bucket + "/p"}, // the environment's keys
		{invocation(sts), "oss://versioned/p"},
		{invocation(sts), "oss://no-such-bucket/p"},
	} {
		_, err := platform.OpenStore(tc.ctx, tc.location, ossEnv(srv, envKeys...))
		if err == nil {
			t.Fatalf("OpenStore(%s) succeeded", tc.location)
		}
		errs = append(errs, err)
	}
	s, err := platform.OpenStore(invocation(sts), "oss://"+bucket+"/p", ossEnv(srv, envKeys...))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Get(invocation(wrongToken), "k")
	errs = append(errs, err)
	srv.LoseNextReplies(osstest.OpPutObject, 5)
	errs = append(errs, s.CreateIfAbsent(invocation(sts), "k", nil))
	for _, err := range errs {
		if err == nil {
			t.Fatal("an operation that should fail succeeded")
		}
		text := fmt.Sprintf("%v %+v", err, err)
		for _, secret := range secrets {
			if strings.Contains(text, secret) {
				t.Errorf("error holds a secret: %s", text)
			}
		}
	}
}

// FuzzOpenStoreLocation: any oss:// location is parsed without panicking, and keys written into
// it (oss://id:secret@bucket) are never echoed. No region is set, so nothing reaches the network.
func FuzzOpenStoreLocation(f *testing.F) {
	for _, s := range []string{"bucket/prefix", "id:hunter2@bucket/p", "/p", "b?x#y", "b/../..", "b:80/p", "Bad_Bucket", "b/\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rest string) {
		_, err := platform.OpenStore(context.Background(), "oss://"+rest, func(string) string { return "" })
		if err == nil {
			t.Fatal("opened a store without a region")
		}
		if host, _, _ := strings.Cut(rest, "/"); strings.Contains(host, "@") && strings.Contains(err.Error(), host) {
			t.Fatalf("the error echoes the location's user part: %v", err)
		}
	})
}
