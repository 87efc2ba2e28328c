package osstest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The vectors are the V4 header-signature cases of the v2 Go SDK's own signer tests (oss/signer),
// re-expressed as the path-style requests this server receives. The server's verifier is written
// from OSS's description, not from the SDK's code, so agreeing on these proves the two compute
// the same canonical request.
func TestVerifierAgreesWithTheSDKSignatureVectors(t *testing.T) {
	query := url.Values{}
	query.Add("param1", "value1")
	query.Add("+param1", "value3")
	query.Add("|param1", "value4")
	query.Add("+param2", "")
	query.Add("|param2", "")
	query.Add("param2", "")
	tests := []struct {
		name       string
		unix       int64
		token      string
		additional string // the AdditionalHeaders field
		sig        string
	}{
		{"plain keys", 1702743657, "", "", "e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe"},
		{"STS token", 1702784856, "token", "", "b94a3f999cf85bcdc00d332fbd3734ba03e48382c36fa4d5af5df817395bd9ea"},
		{"additional headers", 1702747512, "", "abc;zabc", "4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := time.Unix(tt.unix, 0).UTC()
			s := &Server{region: "cn-hangzhou", creds: Credentials{AccessKeyID: "ak", AccessKeySecret: "sk", SecurityToken: tt.token}}
			build := func(sig string) *http.Request {
				r, err := http.NewRequest("PUT", "http://127.0.0.1/bucket/1234+-/123/1.txt?"+query.Encode(), nil)
				if err != nil {
					t.Fatal(err)
				}
				for _, h := range [][2]string{{"x-oss-head1", "value"}, {"abc", "value"}, {"ZAbc", "value"}, {"XYZ", "value"},
					{"content-type", "text/plain"}, {"x-oss-content-sha256", "UNSIGNED-PAYLOAD"}, {"x-oss-date", at.Format(dateTimeFormat)}} {
					r.Header.Add(h[0], h[1])
				}
				if tt.token != "" {
					r.Header.Set("x-oss-security-token", tt.token)
				}
				auth := "OSS4-HMAC-SHA256 Credential=ak/" + at.Format(dateFormat) + "/cn-hangzhou/oss/aliyun_v4_request,"
				if tt.additional != "" {
					auth += "AdditionalHeaders=" + tt.additional + ","
				}
				r.Header.Set("Authorization", auth+"Signature="+sig)
				return r
			}
			tgt := target{bucket: "bucket", key: "1234+-/123/1.txt", op: OpPutObject}
			if err := s.authenticate(build(tt.sig), tgt, nil, at); err != nil {
				t.Fatalf("the SDK's signature was refused: %s: %s\n%v", err.code, err.message, err.extra)
			}
			bad := strings.Replace(tt.sig, tt.sig[:1], string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", tt.sig[0])+1)%16]), 1)
			if err := s.authenticate(build(bad), tgt, nil, at); err == nil || err.code != "SignatureDoesNotMatch" {
				t.Fatalf("a changed signature: %v, want SignatureDoesNotMatch", err)
			}
		})
	}
}

func TestCanonicalQueryEncodesSortsAndDropsEmptyValues(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"", ""},
		{"versioning", "versioning"},
		{"list-type=2&prefix=a%2Fb+c&max-keys=10", "list-type=2&max-keys=10&prefix=a%2Fb%20c"},
		{"append&position=0", "append&position=0"},
		{"start-after=%E6%97%A5~x", "start-after=%E6%97%A5~x"},
		{"b=&a=1", "a=1&b"},
	}
	for _, tt := range tests {
		if got := canonicalQuery(tt.raw); got != tt.want {
			t.Errorf("canonicalQuery(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

func TestMalformedAuthorizationHeadersAreRefused(t *testing.T) {
	for _, h := range []string{
		"OSS ak:signature", // V1
		"OSS4-HMAC-SHA256 Signature=abc",
		"OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request",
		"OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou,Signature=abc",
		"OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=host;,Signature=abc",
		"OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=zz;aa,Signature=abc",
		"OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=Host,Signature=abc",
		"OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=a,Signature=b",
		"OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Other=1,Signature=abc",
	} {
		if _, ok := parseAuthorization(h); ok {
			t.Errorf("parseAuthorization(%q) accepted it", h)
		}
	}
}
