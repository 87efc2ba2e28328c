package alert

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/fcsync/fcsync/shared/runlog"
)

// Channel delivers notices.
type Channel interface {
	Send(ctx context.Context, n Notice) error
}

// ChannelOption configures a channel.
type ChannelOption func(*sender)

// WithHTTPClient sets the HTTP client (default: one with a 10 s timeout).
func WithHTTPClient(c *http.Client) ChannelOption { return func(s *sender) { s.client = c } }

// WithClock sets the clock a DingTalk channel signs with (default time.Now).
func WithClock(now func() time.Time) ChannelOption { return func(s *sender) { s.now = now } }

// sender is what both channels share: an HTTP client, a clock, and a target whose URL is a
// secret (only its host may appear in errors).
type sender struct {
	client  *http.Client
	now     func() time.Time
	target  *url.URL
	secrets []string // values to mask in anything the receiver echoes back
}

func newSender(where, raw string, opts []ChannelOption) (*sender, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		// The URL is a secret: say what is wrong without it.
		return nil, fmt.Errorf("%s: want an http or https URL with a host", where)
	}
	s := &sender{client: &http.Client{Timeout: 10 * time.Second}, now: time.Now, target: u}
	for _, o := range opts {
		o(s)
	}
	s.secrets = append(s.secrets, raw, u.RawQuery, u.Path)
	if u.User != nil {
		p, _ := u.User.Password()
		s.secrets = append(s.secrets, p)
	}
	for _, v := range u.Query() {
		s.secrets = append(s.secrets, v...)
	}
	return s, nil
}

// post sends body to u and returns the response body (at most 64 KiB). Errors name the host only.
func (s *sender) post(ctx context.Context, u *url.URL, body []byte, header http.Header) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("request to %s: %s", u.Host, s.clean(err))
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("post to %s: %s", u.Host, s.clean(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("response from %s: %s", u.Host, s.clean(err))
	}
	if resp.StatusCode/100 != 2 {
		return data, fmt.Errorf("%s answered %s: %s", u.Host, resp.Status, s.clean(errors.New(string(truncate(data, 200)))))
	}
	return data, nil
}

// clean turns err into text without the target's URL or any secret: *url.Error carries the
// full URL, so only its cause is kept, and everything is redacted.
func (s *sender) clean(err error) string {
	var ue *url.Error
	for errors.As(err, &ue) {
		err = ue.Err
	}
	if err == nil {
		return "unknown error"
	}
	return runlog.Redact(err.Error(), s.secrets...)
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return append(b[:n:n], "..."...)
	}
	return b
}

// BuildChannels builds the configured channels, reading ${NAME} references from getenv (os.Getenv
// in production). Only channels some enabled rule uses are built (a disabled rule's channels
// were checked to exist when the rules were parsed, but their secrets are not needed).
func (c *Config) BuildChannels(getenv func(string) string, opts ...ChannelOption) (map[string]Channel, error) {
	used := map[string]bool{}
	for _, r := range c.Rules {
		if r.Disabled {
			continue
		}
		for _, lv := range r.Conditions() {
			for _, ch := range lv.Channels {
				used[ch] = true
			}
		}
	}
	out := map[string]Channel{}
	for name, spec := range c.Channels {
		if !used[name] {
			continue
		}
		ch, err := spec.build(getenv, opts)
		if err != nil {
			return nil, err
		}
		out[name] = ch
	}
	return out, nil
}

func (s ChannelSpec) build(getenv func(string) string, opts []ChannelOption) (Channel, error) {
	where := "channels." + s.Name
	switch s.Type {
	case "dingtalk":
		webhook, err := expand(where+".webhook", s.Webhook, getenv)
		if err != nil {
			return nil, err
		}
		secret, err := expand(where+".secret", s.Secret, getenv)
		if err != nil {
			return nil, err
		}
		return newDingTalk(where, DingTalkConfig{Webhook: webhook, Secret: secret, MsgType: s.MsgType, AtMobiles: s.AtMobiles, AtAll: s.AtAll}, opts)
	case "webhook":
		u, err := expand(where+".url", s.URL, getenv)
		if err != nil {
			return nil, err
		}
		headers := map[string]string{}
		for k, v := range s.Headers {
			if headers[k], err = expand(where+".headers."+k, v, getenv); err != nil {
				return nil, err
			}
		}
		return newWebhook(where, WebhookConfig{URL: u, Headers: headers}, opts)
	}
	return nil, fmt.Errorf("%s.type: %q: want dingtalk or webhook", where, s.Type)
}

// Deliver sends every notice to each of its channels and returns the failures joined; an error
// names the rule, job and channel, never the channel's URL or secrets. A missing channel is an error.
func Deliver(ctx context.Context, channels map[string]Channel, notices []Notice) error {
	var errs []error
	for _, n := range notices {
		for _, name := range n.Channels {
			ch, ok := channels[name]
			if !ok {
				errs = append(errs, fmt.Errorf("alert %s (job %s): no channel %q", n.Rule, n.Job, name))
				continue
			}
			if err := ch.Send(ctx, n); err != nil {
				errs = append(errs, fmt.Errorf("alert %s (job %s) to channel %s: %w", n.Rule, n.Job, name, err))
			}
		}
	}
	return errors.Join(errs...)
}
