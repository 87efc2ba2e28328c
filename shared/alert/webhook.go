package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// WebhookConfig is a generic webhook: each notice is POSTed as a JSON object (WebhookBody).
type WebhookConfig struct {
	URL     string
	Headers map[string]string // e.g. Authorization; values are secrets
}

// Webhook sends notices as JSON.
type Webhook struct {
	*sender
	header http.Header
}

// WebhookBody is the JSON a webhook receives.
type WebhookBody struct {
	Status    Kind      `json:"status"` // firing or resolved
	Rule      string    `json:"rule"`
	Job       string    `json:"job"`
	Metric    Metric    `json:"metric"`
	Severity  Severity  `json:"severity"`
	Value     float64   `json:"value"`
	Threshold float64   `json:"threshold"`
	Since     time.Time `json:"since,omitzero"`
	At        time.Time `json:"at"`
	Repeat    bool      `json:"repeat,omitempty"`
	Title     string    `json:"title"`
	Summary   string    `json:"summary"`
}

// NewWebhook makes a generic webhook channel. Errors never include the URL or header values.
func NewWebhook(cfg WebhookConfig, opts ...ChannelOption) (*Webhook, error) {
	return newWebhook("webhook", cfg, opts)
}

func newWebhook(where string, cfg WebhookConfig, opts []ChannelOption) (*Webhook, error) {
	s, err := newSender(where+".url", cfg.URL, opts)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	for k, v := range cfg.Headers {
		h.Set(k, v)
		s.secrets = append(s.secrets, v)
	}
	return &Webhook{sender: s, header: h}, nil
}

// Send posts the notice; any 2xx answer is success.
func (w *Webhook) Send(ctx context.Context, n Notice) error {
	body, err := json.Marshal(WebhookBody{Status: n.Kind, Rule: n.Rule, Job: n.Job, Metric: n.Metric, Severity: n.Severity,
		Value: n.Value, Threshold: n.Threshold, Since: n.Since, At: n.At, Repeat: n.Repeat, Title: n.Title(), Summary: n.Summary()})
	if err != nil {
		return err
	}
	if _, err := w.post(ctx, w.target, body, w.header); err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	return nil
}
