package alert

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	dingToken  = "tok0123456789abcdef"
	dingSecret = "SEC0f1e2d3c4b5a69788796a5b4c3d2e1f0"
)

// dingTalk is a local DingTalk robot endpoint that checks requests as DingTalk does: the access
// token, a timestamp within an hour of its clock, and the signature computed independently here
// from the documented recipe.
type dingTalk struct {
	t      *testing.T
	now    time.Time
	token  string // the robot's access token; default dingToken
	secret string // its signing secret; default dingSecret
	reply  string // the JSON answer; default {"errcode":0,"errmsg":"ok"}
	mu     sync.Mutex
	got    []map[string]any
}

func (d *dingTalk) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	token, secret := cmp.Or(d.token, dingToken), cmp.Or(d.secret, dingSecret)
	answer := func(code int, msg string) {
		fmt.Fprintf(w, `{"errcode":%d,"errmsg":%q}`, code, msg)
	}
	if r.Method != http.MethodPost || r.URL.Path != "/robot/send" || q.Get("access_token") != token {
		answer(300001, "token is not exist")
		return
	}
	ts, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
	if err != nil || time.UnixMilli(ts).Sub(d.now).Abs() > time.Hour {
		answer(310000, "invalid timestamp")
		return
	}
	// sign arrives URL-encoded in the raw query; Query() has decoded it once.
	if !strings.Contains(r.URL.RawQuery, "sign="+url.QueryEscape(q.Get("sign"))) {
		answer(310000, "sign not urlencoded")
		return
	}
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%d\n%s", ts, secret)
	if q.Get("sign") != base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
		answer(310000, "sign not match, more: [sign="+q.Get("sign")+"]")
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		answer(40035, "content type "+ct)
		return
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		answer(40035, "bad json")
		return
	}
	d.mu.Lock()
	d.got = append(d.got, body)
	d.mu.Unlock()
	if d.reply != "" {
		io.WriteString(w, d.reply)
		return
	}
	answer(0, "ok")
}

func (d *dingTalk) received() []map[string]any {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]map[string]any(nil), d.got...)
}

func newDingServer(t *testing.T, now time.Time) (*dingTalk, *httptest.Server) {
	d := &dingTalk{t: t, now: now}
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	return d, srv
}

var notice = Notice{Kind: Firing, Rule: "hb", Job: "orders_5min", Metric: Heartbeat, Severity: Critical, Value: 1260, Threshold: 900,
	Since: t0, At: t0.Add(6 * time.Minute), Channels: []string{"ops"}}

func TestSignMatchesDingTalksRecipe(t *testing.T) {
	// An independent computation with fixed inputs (openssl dgst -sha256 -hmac SECret | base64).
	mac := hmac.New(sha256.New, []byte("SECret"))
	mac.Write([]byte("1717236000000\nSECret"))
	if got, want := Sign(1717236000000, "SECret"), base64.StdEncoding.EncodeToString(mac.Sum(nil)); got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
	if Sign(1717236000000, "SECret") == Sign(1717236000001, "SECret") {
		t.Errorf("the signature does not depend on the timestamp")
	}
}

func TestDingTalkSendsSignedMessagesTheRobotAccepts(t *testing.T) {
	clock := t0.Add(6 * time.Minute)
	d, srv := newDingServer(t, clock)
	for _, msgtype := range []string{"markdown", "text"} {
		t.Run(msgtype, func(t *testing.T) {
			ch, err := NewDingTalk(DingTalkConfig{Webhook: srv.URL + "/robot/send?access_token=" + dingToken, Secret: dingSecret,
				MsgType: msgtype, AtMobiles: []string{"13800000000"}}, WithClock(func() time.Time { return clock }))
			if err != nil {
				t.Fatal(err)
			}
			if err := ch.Send(context.Background(), notice); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := d.received()
			body := got[len(got)-1]
			if body["msgtype"] != msgtype {
				t.Errorf("msgtype %v", body["msgtype"])
			}
			at, _ := body["at"].(map[string]any)
			if mobiles, _ := at["atMobiles"].([]any); len(mobiles) != 1 || mobiles[0] != "13800000000" {
				t.Errorf("at = %v", body["at"])
			}
			part, _ := body[msgtype].(map[string]any)
			text, _ := part["text"].(string)
			if msgtype == "text" {
				text, _ = part["content"].(string)
			} else if part["title"] != "[CRITICAL] orders_5min heartbeat" || !strings.Contains(text, "@13800000000") {
				t.Errorf("markdown = %v", part)
			}
			if !strings.Contains(text, "21m0s") || !strings.Contains(text, "15m0s") {
				t.Errorf("the message lacks the value and threshold: %q", text)
			}
		})
	}
}

// Every failure a channel can meet is reported without the token, the secret or the URL.
func TestChannelErrorsNeverContainSecrets(t *testing.T) {
	clock := t0
	d, srv := newDingServer(t, clock)
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "denied for "+r.URL.String()+" "+r.Header.Get("Authorization"), http.StatusForbidden)
	}))
	t.Cleanup(hook.Close)
	opts := []ChannelOption{WithClock(func() time.Time { return clock })}
	mk := func(base, secret string) Channel {
		ch, err := NewDingTalk(DingTalkConfig{Webhook: base + "/robot/send?access_token=" + dingToken, Secret: secret}, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}
	webhook, err := NewWebhook(WebhookConfig{URL: hook.URL + "/hooks/pathsecret-77", Headers: map[string]string{"Authorization": "Bearer hdrsecret-88"}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		ch   Channel
		want string
	}{
		{"wrong secret", mk(srv.URL, "SECwrongwrongwrong"), "errcode 310000: sign not match"},
		{"stale clock", func() Channel {
			ch, _ := NewDingTalk(DingTalkConfig{Webhook: srv.URL + "/robot/send?access_token=" + dingToken, Secret: dingSecret},
				WithClock(func() time.Time { return clock.Add(-2 * time.Hour) }))
			return ch
		}(), "errcode 310000: invalid timestamp"},
		{"nobody listening", mk(deadURL, dingSecret), "dingtalk: post to 127.0.0.1"},
		{"webhook refuses", webhook, "403 Forbidden"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.ch.Send(context.Background(), notice)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
			for _, secret := range []string{dingToken, dingSecret, "SECwrongwrongwrong", "pathsecret-77", "hdrsecret-88", "/robot/send"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error leaks %q: %v", secret, err)
				}
			}
		})
	}
	d.reply = `{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}`
	if err := mk(srv.URL, dingSecret).Send(context.Background(), notice); err == nil || !strings.Contains(err.Error(), "130101") {
		t.Errorf("rate limit answer: %v", err)
	}
	if _, err := NewDingTalk(DingTalkConfig{Webhook: "oapi.dingtalk.com/robot/send?access_token=" + dingToken}); err == nil || strings.Contains(err.Error(), dingToken) {
		t.Errorf("URL without scheme: %v", err)
	}
}

func TestWebhookPostsTheNoticeAsJSON(t *testing.T) {
	var got WebhookBody
	var auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			http.Error(w, err.Error(), 400)
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(srv.Close)
	ch, err := NewWebhook(WebhookConfig{URL: srv.URL + "/hook", Headers: map[string]string{"Authorization": "Bearer x1234"}})
	if err != nil {
		t.Fatal(err)
	}
	n := notice
	n.Kind, n.Repeat = Resolved, false
	if err := ch.Send(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	want := WebhookBody{Status: Resolved, Rule: "hb", Job: "orders_5min", Metric: Heartbeat, Severity: Critical, Value: 1260, Threshold: 900,
		Since: t0, At: t0.Add(6 * time.Minute), Title: n.Title(), Summary: n.Summary()}
	if auth != "Bearer x1234" || !got.Since.Equal(want.Since) || !got.At.Equal(want.At) {
		t.Errorf("auth %q body %+v", auth, got)
	}
	got.Since, got.At = want.Since, want.At
	if got != want {
		t.Errorf("body =\n%+v\nwant\n%+v", got, want)
	}
}

func TestDeliverSendsEachNoticeToItsChannelsAndReportsFailures(t *testing.T) {
	clock := t0
	d, srv := newDingServer(t, clock)
	ok, _ := NewDingTalk(DingTalkConfig{Webhook: srv.URL + "/robot/send?access_token=" + dingToken, Secret: dingSecret}, WithClock(func() time.Time { return clock }))
	bad, _ := NewDingTalk(DingTalkConfig{Webhook: srv.URL + "/robot/send?access_token=wrong-token"}, WithClock(func() time.Time { return clock }))
	n1, n2 := notice, notice
	n2.Rule, n2.Channels = "other", []string{"ops", "bad", "missing"}
	err := Deliver(context.Background(), map[string]Channel{"ops": ok, "bad": bad}, []Notice{n1, n2})
	if len(d.received()) != 2 {
		t.Errorf("%d messages arrived, want 2", len(d.received()))
	}
	if err == nil || !strings.Contains(err.Error(), "alert other (job orders_5min) to channel bad: dingtalk: errcode 300001") ||
		!strings.Contains(err.Error(), `no channel "missing"`) || strings.Contains(err.Error(), "wrong-token") {
		t.Errorf("Deliver: %v", err)
	}
}
