package alert

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
)

// DingTalkConfig is a DingTalk custom robot.
type DingTalkConfig struct {
	Webhook   string   // https://oapi.dingtalk.com/robot/send?access_token=...
	Secret    string   // the "sign" security setting's secret (SEC...); empty: unsigned
	MsgType   string   // markdown (default) or text
	AtMobiles []string // people to @mention
	AtAll     bool
}

// DingTalk sends notices to a DingTalk robot, signed when it has a secret.
type DingTalk struct {
	*sender
	cfg DingTalkConfig
}

// NewDingTalk makes a DingTalk channel. Errors never include the webhook or the secret.
func NewDingTalk(cfg DingTalkConfig, opts ...ChannelOption) (*DingTalk, error) {
	return newDingTalk("dingtalk", cfg, opts)
}

func newDingTalk(where string, cfg DingTalkConfig, opts []ChannelOption) (*DingTalk, error) {
	if cfg.MsgType == "" {
		cfg.MsgType = "markdown"
	}
	if cfg.MsgType != "markdown" && cfg.MsgType != "text" {
		return nil, fmt.Errorf("%s: msgtype %q: want markdown or text", where, cfg.MsgType)
	}
	s, err := newSender(where+".webhook", cfg.Webhook, opts)
	if err != nil {
		return nil, err
	}
	if cfg.Secret != "" {
		s.secrets = append(s.secrets, cfg.Secret)
	}
	return &DingTalk{sender: s, cfg: cfg}, nil
}

// Sign is DingTalk's robot signature for a timestamp in milliseconds: base64 of
// HMAC-SHA256(key = secret, message = timestamp + "\n" + secret). It goes into the query
// URL-encoded (url.Values does that).
func Sign(timestampMS int64, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(timestampMS, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

type dingAt struct {
	AtMobiles []string `json:"atMobiles,omitempty"`
	IsAtAll   bool     `json:"isAtAll"`
}

type dingMessage struct {
	MsgType  string `json:"msgtype"`
	Markdown *struct {
		Title string `json:"title"`
		Text  string `json:"text"`
	} `json:"markdown,omitempty"`
	Text *struct {
		Content string `json:"content"`
	} `json:"text,omitempty"`
	At dingAt `json:"at"`
}

// Send posts the notice. DingTalk answers 200 with {"errcode":0} on success; any other errcode
// (310000: bad signature or timestamp, 300001: token, 130101: rate limit) is an error.
func (d *DingTalk) Send(ctx context.Context, n Notice) error {
	msg := dingMessage{MsgType: d.cfg.MsgType, At: dingAt{AtMobiles: d.cfg.AtMobiles, IsAtAll: d.cfg.AtAll}}
	if d.cfg.MsgType == "text" {
		msg.Text = &struct {
			Content string `json:"content"`
		}{n.Summary()}
	} else {
		msg.Markdown = &struct {
			Title string `json:"title"`
			Text  string `json:"text"`
		}{n.Title(), n.Markdown(d.cfg.AtMobiles)}
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	u := *d.target
	if d.cfg.Secret != "" {
		ts := d.now().UnixMilli()
		q := u.Query()
		q.Set("timestamp", strconv.FormatInt(ts, 10))
		q.Set("sign", Sign(ts, d.cfg.Secret))
		u.RawQuery = q.Encode()
	}
	data, err := d.post(ctx, &u, body, nil)
	if err != nil {
		return fmt.Errorf("dingtalk: %w", err)
	}
	var ans struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := json.Unmarshal(data, &ans); err != nil {
		return fmt.Errorf("dingtalk: %s answered %s", u.Host, d.clean(fmt.Errorf("%q", truncate(data, 200))))
	}
	if ans.ErrCode != 0 {
		return fmt.Errorf("dingtalk: errcode %d: %s", ans.ErrCode, d.clean(fmt.Errorf("%s", ans.ErrMsg)))
	}
	return nil
}
