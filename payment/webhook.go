package payment

import "time"

// WebhookEvent is one notification to a merchant, kept in the outbox until delivered.
type WebhookEvent struct {
	ID            string           `json:"id"`
	MerchantID    string           `json:"-"`
	PaymentID     string           `json:"payment_id"`
	Type          string           `json:"type"`
	Payload       string           `json:"-"`
	CreatedAt     time.Time        `json:"created_at"`
	NextAttemptAt time.Time        `json:"next_attempt_at,omitzero"`
	Attempts      int              `json:"attempts"`
	DeliveredAt   time.Time        `json:"delivered_at,omitzero"`
	GaveUpAt      time.Time        `json:"gave_up_at,omitzero"`
	History       []WebhookAttempt `json:"history"`
}

// State is the event's delivery state: delivered, failed (gave up), or pending.
func (e *WebhookEvent) State() string {
	switch {
	case !e.DeliveredAt.IsZero():
		return "delivered"
	case !e.GaveUpAt.IsZero():
		return "failed"
	}
	return "pending"
}

// WebhookAttempt is one try at delivering an event.
type WebhookAttempt struct {
	URL         string    `json:"url"`
	StatusCode  int       `json:"status_code"`
	Error       string    `json:"error,omitempty"`
	DurationMS  int64     `json:"duration_ms"`
	AttemptedAt time.Time `json:"attempted_at"`
}

// DueWebhook is an event due for delivery to one endpoint, with where and how to sign it.
type DueWebhook struct {
	Event      WebhookEvent // Attempts counts this delivery's tries
	EndpointID string
	URL        string
	// Secrets sign the delivery, each giving one signature: the endpoint's secret, and its
	// previous one during a rotation's overlap.
	Secrets []string
}
