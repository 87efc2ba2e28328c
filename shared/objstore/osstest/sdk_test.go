package osstest_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fcsync/fcsync/shared/counterpart"
	"github.com/fcsync/fcsync/shared/objstore/osstest"
)

// The vendors' Python SDKs against the server: one script per SDK runs every operation fcsync's
// OSS store uses (and the others the server implements) and prints what the SDK saw as JSON.

// step is one operation's outcome as a script prints it.
type step map[string]any

func (s step) str(k string) string {
	v, _ := s[k].(string)
	return v
}

func (s step) json(k string) string {
	b, _ := json.Marshal(s[k])
	return string(b)
}

func (s step) num(k string) int {
	v, _ := s[k].(float64)
	return int(v)
}

// runScript runs testdata/script against s and decodes the steps it prints.
func runScript(t *testing.T, s *osstest.Server, python, script string, args ...string) map[string]step {
	t.Helper()
	c := s.Credentials()
	cmd := exec.Command(python, append([]string{filepath.Join("testdata", script), s.URL(), bucket, s.Region()}, args...)...)
	cmd.Env = append(os.Environ(), "OSS_ACCESS_KEY_ID="+c.AccessKeyID, "OSS_ACCESS_KEY_SECRET="+c.AccessKeySecret, "OSS_SECURITY_TOKEN="+c.SecurityToken)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s", script, args, err, stderr.String())
	}
	var steps map[string]step
	if err := json.Unmarshal(stdout.Bytes(), &steps); err != nil {
		t.Fatalf("%s %v printed no JSON: %v\n%s\n%s", script, args, err, stdout.String(), stderr.String())
	}
	return steps
}

// checkSteps checks the outcome every script must report, whatever the SDK.
func checkSteps(t *testing.T, s *osstest.Server, bucket string, steps map[string]step) {
	t.Helper()
	ok := func(name string) step {
		t.Helper()
		st, found := steps[name]
		if !found {
			t.Fatalf("step %s missing from the script's output", name)
		}
		if st["ok"] != true {
			t.Fatalf("step %s failed: %v", name, st)
		}
		return st
	}
	refused := func(name string, status int, code string) {
		t.Helper()
		st := steps[name]
		// The Java SDK's OSSException has no HTTP status: there only the code and request id.
		_, hasStatus := st["status"]
		if st == nil || st["ok"] != false || (hasStatus && st.num("status") != status) || st.str("code") != code || st.str("request_id") == "" {
			t.Errorf("step %s = %v, want status %d code %s with a request id", name, st, status, code)
		}
	}
	if st := ok("get"); st.str("body") != "hello, oss" || st.str("content_type") != "text/plain" {
		t.Errorf("get = %v, want the body and content type put", st)
	}
	if st := ok("ranged_get"); (st["status"] != nil && st.num("status") != 206) || st.str("body") != "llo," || st.str("content_range") != "bytes 2-5/10" {
		t.Errorf("ranged get = %v, want 206 llo, bytes 2-5/10", st)
	}
	if st := ok("ranged_get_standard"); (st["status"] != nil && st.num("status") != 206) || st.str("body") != "oss" || st.str("content_range") != "bytes 7-9/10" {
		t.Errorf("ranged get past the end with standard behaviour = %v, want 206 oss bytes 7-9/10", st)
	}
	if st := ok("head"); st.num("size") != 10 || st.str("etag") == "" || st.str("type") != "Normal" {
		t.Errorf("head = %v", st)
	}
	refused("head_missing", 404, "NoSuchKey")
	refused("get_missing", 404, "NoSuchKey")
	ok("create_absent")
	refused("create_present", 409, "FileAlreadyExists")
	if b, _ := s.Object(bucket, "dir/once"); string(b) != "first" {
		t.Errorf("dir/once holds %q after a refused overwrite, want first", b)
	}
	st := ok("list")
	keys, _ := json.Marshal(st["keys"])
	prefixes, _ := json.Marshal(st["prefixes"])
	after, _ := json.Marshal(st["after_k3"])
	if string(keys) != `["list/k0","list/k1","list/k2","list/k3","list/k4"]` || string(prefixes) != `["list/sub/"]` || st.num("pages") != 3 {
		t.Errorf("list by pages of 2 = keys %s prefixes %s in %d pages, want k0..k4, list/sub/ in 3", keys, prefixes, st.num("pages"))
	}
	if string(after) != `["list/k4","list/sub/a","list/sub/b"]` {
		t.Errorf("list after list/k3 = %s", after)
	}
	if st := ok("list_odd"); st.json("keys") != `["odd/amp\u0026eq=q?","odd/pct%41","odd/plus+sign","odd/sp ace","odd/中文"]` || st["bodies_match"] != true {
		t.Errorf("listing keys with spaces, plus signs, percent signs and UTF-8 = %v", st)
	}
	if st := ok("append"); st.num("first_next") != 4 || st.num("second_next") != 7 {
		t.Errorf("append = %v, want next positions 4 and 7", st)
	}
	if b, _ := s.Object(bucket, "log/app"); string(b) != "one,two" {
		t.Errorf("appended object holds %q", b)
	}
	refused("append_wrong_position", 409, "PositionNotEqualToLength")
	ok("versioning")
	if st := ok("multipart"); st["matches"] != true || st.num("size") != 2*100<<10+4 {
		t.Errorf("multipart upload with a copied part = %v, want the parts joined", st)
	}
	refused("multipart_abort", 404, "NoSuchUpload")
	if u := s.Uploads(bucket); len(u) != 0 {
		t.Errorf("uploads left in progress: %v", u)
	}
	if st := ok("abort"); st.num("status") != 204 {
		t.Errorf("abort = %v, want 204", st)
	}
	if st := ok("delete"); st["gone"] != true || st.num("status") != 204 {
		t.Errorf("delete = %v", st)
	}
	ok("delete_missing")
	refused("wrong_secret", 403, "SignatureDoesNotMatch")
	// A wrong token on a server that wants one; a token at all on one that does not (the key is
	// then not an STS key).
	if s.Credentials().SecurityToken != "" {
		refused("wrong_token", 403, "InvalidSecurityToken")
	} else {
		refused("wrong_token", 403, "InvalidAccessKeyId")
	}
}

// withSTS makes the server play STS credentials, as Function Compute hands fcsync: every request
// must carry the token.
func withSTS() osstest.Option {
	return osstest.WithCredentials(osstest.Credentials{AccessKeyID: "STS.test-key", AccessKeySecret: "sts-secret", SecurityToken: "sts-token-" + strings.Repeat("x", 40)})
}

func TestOSS2SDKRunsEveryOperation(t *testing.T) {
	t.Parallel()
	python := counterpart.Python(t, "oss2")
	for _, tc := range []struct {
		name, signing string
		opts          []osstest.Option
	}{
		{"v1", "v1", nil}, {"v4", "v4", nil},
		{"v1 with an STS token", "v1", []osstest.Option{withSTS()}}, {"v4 with an STS token", "v4", []osstest.Option{withSTS()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := osstest.New(t, append(tc.opts, osstest.WithBucket(bucket))...)
			steps := runScript(t, s, python, "oss2_ops.py", tc.signing)
			checkSteps(t, s, bucket, steps)
			if st := steps["versioning"]; st["status"] != nil {
				t.Errorf("versioning of a never-versioned bucket = %v, want no status", st)
			}
			if st := steps["put"]; st.num("status") != 200 || st.str("etag") == "" {
				t.Errorf("put = %v", st)
			}
		})
	}
}

func TestOSSV2PythonSDKRunsEveryOperation(t *testing.T) {
	t.Parallel()
	python := counterpart.Python(t, "alibabacloud_oss_v2")
	s := osstest.New(t, osstest.WithBucket(bucket), withSTS())
	steps := runScript(t, s, python, "ossv2_ops.py")
	checkSteps(t, s, bucket, steps)
	paged, _ := json.Marshal(steps["list"]["paginated"])
	if string(paged) != `["list/k0","list/k1","list/k2","list/k3","list/k4","list/sub/a","list/sub/b"]` {
		t.Errorf("the SDK's paginator listed %s", paged)
	}
}

// javaOSSSDK is the OSS Java SDK the Java test resolves (the newest that resolved with its
// dependencies when the test was written).
const javaOSSSDK = "com.aliyun.oss:aliyun-sdk-oss:3.18.5"

func TestOSSJavaSDKRunsEveryOperationWithV1AndV4(t *testing.T) {
	t.Parallel()
	java := counterpart.Java(t)
	cp := counterpart.Jars(t, "aliyun-sdk-oss-3.18.5", javaOSSSDK)
	buckets := map[string]string{"V1": "java-v1", "V4": "java-v4"}
	s := osstest.New(t, osstest.WithBucket(buckets["V1"], buckets["V4"]), withSTS())
	c := s.Credentials()
	cmd := exec.Command(java, "-cp", cp, filepath.Join("testdata", "OssOps.java"), s.URL(), s.Region(), "V1="+buckets["V1"], "V4="+buckets["V4"])
	cmd.Env = append(os.Environ(), "OSS_ACCESS_KEY_ID="+c.AccessKeyID, "OSS_ACCESS_KEY_SECRET="+c.AccessKeySecret, "OSS_SECURITY_TOKEN="+c.SecurityToken)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("OssOps.java: %v\n%s", err, stderr.String())
	}
	var bySigning map[string]map[string]step
	if err := json.Unmarshal(stdout.Bytes(), &bySigning); err != nil {
		t.Fatalf("OssOps.java printed no JSON: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	for signing, b := range buckets {
		t.Run(signing, func(t *testing.T) {
			checkSteps(t, s, b, bySigning[signing])
		})
	}
}
