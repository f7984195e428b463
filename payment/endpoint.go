package payment

import (
	"slices"
	"time"
)

// EventTypes are the webhook event types the outbox emits: one per payment status it reaches (a
// payment back at the bank choice says so with AttemptFailedEventType), one per attempt at a bank
// that ended without success, a refund's creation and ends, and webhook.test, which an endpoint's
// test sends. "*" subscribes to all of them.
var EventTypes = []string{
	"payment." + string(StatusAuthorising), "payment." + string(StatusProcessing), "payment." + string(StatusCompleted),
	"payment." + string(StatusFailed), "payment." + string(StatusCancelled), "payment." + string(StatusExpired),
	AttemptFailedEventType,
	RefundCreatedEvent, "refund." + string(RefundCompleted), "refund." + string(RefundFailed), "refund." + string(RefundCancelled),
	TestEventType,
}

// AttemptFailedEventType is the event of an attempt at a bank that ended without success; it
// carries the payment's attempts.
const AttemptFailedEventType = "payment.attempt_failed"

// RefundCreatedEvent is the event a refund's creation sends.
const RefundCreatedEvent = "refund.created"

// TestEventType is the event an endpoint's "send test event" delivers.
const TestEventType = "webhook.test"

// WebhookEndpoint is one of a merchant's webhook receivers.
type WebhookEndpoint struct {
	ID         string    `json:"id"`
	MerchantID string    `json:"-"`
	URL        string    `json:"url"`
	EventTypes []string  `json:"event_types"`
	Secret     string    `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
	// PreviousSecret still signs beside Secret until PreviousUntil: a rotation's overlap.
	PreviousSecret string    `json:"-"`
	PreviousUntil  time.Time `json:"previous_secret_expires_at,omitzero"`
}

// Wants says whether the endpoint subscribed to events of type typ.
func (e *WebhookEndpoint) Wants(typ string) bool {
	return slices.Contains(e.EventTypes, "*") || slices.Contains(e.EventTypes, typ)
}

// Secrets returns the secrets that sign a delivery at now: the current one, and the previous
// one while its overlap lasts.
func (e *WebhookEndpoint) Secrets(now time.Time) []string {
	if e.PreviousSecret != "" && now.Before(e.PreviousUntil) {
		return []string{e.Secret, e.PreviousSecret}
	}
	return []string{e.Secret}
}

// CheckEventTypes validates an endpoint's subscription: "*" or known event types, at least one.
func CheckEventTypes(types []string) error {
	if len(types) == 0 {
		return &FieldError{Field: "event_types", Message: `must list at least one event type, or "*" for all`}
	}
	for _, t := range types {
		if t != "*" && !slices.Contains(EventTypes, t) {
			return &FieldError{Field: "event_types", Message: "unknown event type " + t}
		}
	}
	return nil
}

// WebhookDelivery is one event's delivery to one endpoint, with every try.
type WebhookDelivery struct {
	EventID       string           `json:"event_id"`
	EndpointID    string           `json:"endpoint_id"`
	Type          string           `json:"type"`
	CreatedAt     time.Time        `json:"created_at"`
	Attempts      int              `json:"attempts"`
	NextAttemptAt time.Time        `json:"next_attempt_at,omitzero"`
	DeliveredAt   time.Time        `json:"delivered_at,omitzero"`
	GaveUpAt      time.Time        `json:"gave_up_at,omitzero"`
	History       []WebhookAttempt `json:"history"`
}

// State is the delivery's state: delivered, failed (gave up), or pending.
func (d *WebhookDelivery) State() string {
	e := WebhookEvent{DeliveredAt: d.DeliveredAt, GaveUpAt: d.GaveUpAt}
	return e.State()
}
