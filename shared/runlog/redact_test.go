package runlog

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/fcsync/fcsync/shared/objstore"
)

func TestRedactMasksSecretsInTheirUsualForms(t *testing.T) {
	cases := []struct {
		name, in, want string
		secrets        []string
	}{
		{"sasl password property", "kafka: sasl.password=hunter2 rejected", "kafka: sasl.password=*** rejected", nil},
		{"jaas config", `sasl.jaas.config=org.apache.PlainLoginModule required username="u" password="pw1234";`,
			`sasl.jaas.config=*** required username="u" password="***";`, nil},
		{"json secret", `{"accessKeySecret":"abcd1234","region":"cn"}`, `{"accessKeySecret":"***","region":"cn"}`, nil},
		{"url query token and sign", "POST https://oapi.dingtalk.com/robot/send?access_token=0123abc&timestamp=1&sign=xyz%3D: EOF",
			"POST https://oapi.dingtalk.com/robot/send?access_token=***&timestamp=1&sign=*** EOF", nil},
		{"url user info", "dial mysql://root:s3cr3t@10.0.0.5:3306/db", "dial mysql://root:***@10.0.0.5:3306/db", nil},
		{"bearer", "401 for Authorization: Bearer eyJhbGciOi.x.y", "401 for Authorization: *** ***", nil},
		{"bearer alone", "sent Bearer eyJhbGciOi.x.y", "sent Bearer ***", nil},
		{"exact value", "odps: signature mismatch for LTAI5tXXXX / QWERTYsecret", "odps: signature mismatch for LTAI5tXXXX / ***", []string{"QWERTYsecret"}},
		{"short values are not masked", "read 123 records", "read 123 records", []string{"123"}},
		{"words that only contain key names are kept", "task=5 ask: why, tokens were 3", "task=5 ask: why, tokens were 3", nil},
		{"oss signature header", "x-oss-signature: 9f8e7d6c", "x-oss-signature: ***", nil},
		{"plain error", "kafka: partition 3 offset 17: EOF", "kafka: partition 3 offset 17: EOF", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Redact(tc.in, tc.secrets...); got != tc.want {
				t.Errorf("Redact(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

// Secrets that reach a record's error never reach the store or the log line.
func TestSecretsNeverReachTheStoreOrTheSummaryLine(t *testing.T) {
	ctx := context.Background()
	const akSecret, token = "AKSECRETvalue42", "STS.tokenvalue99"
	m := objstore.NewMemory()
	l := New(m, WithSecrets(akSecret, token))
	r := rec("orders", t0, "req", Failed)
	r.Error = "oss: put state/x: 403 for key " + akSecret + " token " + token + "; kafka sasl.password=pw-9876; https://u:pw2@h/x"
	key, err := l.Write(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := m.Get(ctx, key)
	var logged bytes.Buffer
	Summary(ctx, slog.New(slog.NewJSONHandler(&logged, nil)), r, akSecret, token)
	for _, out := range []string{string(stored), logged.String()} {
		for _, secret := range []string{akSecret, token, "pw-9876", "pw2"} {
			if strings.Contains(out, secret) {
				t.Errorf("secret %q leaked into %s", secret, out)
			}
		}
		if !strings.Contains(out, "403 for key ***") {
			t.Errorf("the error lost its context: %s", out)
		}
	}
}

func FuzzRedact(f *testing.F) {
	f.Add("password=abc token: xyz https://a:b@c", "xyz")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, text, secret string) {
		out := Redact(text, secret)
		// Masks only insert '*': a secret without one cannot survive or be formed anew.
		if len(secret) >= minSecret && !strings.Contains(secret, "*") && strings.Contains(out, secret) {
			t.Fatalf("Redact(%q, %q) = %q still holds the secret", text, secret, out)
		}
	})
}
