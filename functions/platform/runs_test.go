package platform

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/runlog"
)

// TestRunsCheckAlertRulesAfterWritingAtMostOncePerInterval: a function configured with
// FCSYNC_ALERTS evaluates the rules over the run records it writes, sends what fires to the
// channel, and checks at most once per interval however often it is invoked.
func TestRunsCheckAlertRulesAfterWritingAtMostOncePerInterval(t *testing.T) {
	var mu sync.Mutex
	var got []map[string]any
	var auth []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n map[string]any
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &n); err != nil {
			t.Errorf("webhook body %q: %v", b, err)
		}
		mu.Lock()
		got = append(got, n)
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
	}))
	defer hook.Close()
	t.Setenv("FCSYNC_TEST_HOOK_URL", hook.URL)
	t.Setenv("FCSYNC_TEST_HOOK_TOKEN", "hook-token-secret")

	dir := t.TempDir()
	rules := filepath.Join(dir, "alerts.yaml")
	if err := os.WriteFile(rules, []byte(`
channels:
  hook: {type: webhook, url: "${FCSYNC_TEST_HOOK_URL}", headers: {Authorization: "Bearer ${FCSYNC_TEST_HOOK_TOKEN}"}}
  old: {type: dingtalk, webhook: "${FCSYNC_TEST_UNSET_WEBHOOK}"}
rules:
  - {name: keeps-failing, job: "*", metric: failures, threshold: 1, severity: CRITICAL, channels: [hook]}
  # Switched off: never fires, and its channel's variable need not be set.
  - {name: any-failure, job: "*", metric: failures, threshold: 0, channels: [old], enabled: false}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	runs := &Runs{Location: filepath.Join(dir, "state"), Alerts: rules, AlertEvery: time.Minute}
	t0 := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	for i, at := range []time.Duration{0, 10 * time.Second, 20 * time.Second, 2 * time.Minute} {
		rec := runlog.Record{Job: "orders_5min", Function: "batch", Invocation: "req-" + string(rune('a'+i)),
			Status: runlog.Failed, Error: "broker down", Started: t0.Add(at - time.Second), Finished: t0.Add(at)}
		runs.Report(context.Background(), log, rec, Credentials{AccessKeySecret: "sk-secret"})
	}
	mu.Lock()
	defer mu.Unlock()
	// Checked at 0 s (one failure: below the threshold) and at 2 min (four failures); the
	// reports at 10 s and 20 s came within the interval and checked nothing.
	if len(got) != 1 {
		t.Fatalf("webhook got %d notices, want 1: %v\nlogs:\n%s", len(got), got, logs.String())
	}
	if s, _ := json.Marshal(got[0]); !strings.Contains(string(s), "keeps-failing") || !strings.Contains(string(s), "orders_5min") {
		t.Errorf("notice %s: want the rule and the job", s)
	}
	if !strings.Contains(logs.String(), `"msg":"alert rules loaded","file":"`+rules+`","rules":2,"disabled":["any-failure"]`) {
		t.Errorf("no log line listing the disabled rule:\n%s", logs.String())
	}
	if auth[0] != "Bearer hook-token-secret" {
		t.Errorf("webhook Authorization %q", auth[0])
	}
	if strings.Contains(logs.String(), "hook-token-secret") || strings.Contains(logs.String(), "sk-secret") {
		t.Errorf("a secret reached the log:\n%s", logs.String())
	}
}
