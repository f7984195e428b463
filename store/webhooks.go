package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"paybybank/payment"
)

// webhookPayload is the body a merchant receives: the event and the payment as it now stands.
type webhookPayload struct {
	ID        string      `json:"id"`
	Type      string      `json:"type"`
	CreatedAt time.Time   `json:"created_at"`
	Data      webhookData `json:"data"`
}

type webhookData struct {
	ID             string            `json:"id"`
	Status         payment.Status    `json:"status"`
	PreviousStatus payment.Status    `json:"previous_status"`
	Cause          payment.Cause     `json:"cause"`
	Amount         string            `json:"amount"`
	Currency       string            `json:"currency"`
	Reference      string            `json:"reference"`
	BankStatus     string            `json:"bank_status,omitempty"`
	BankAccepted   bool              `json:"bank_accepted"`
	FailureReason  string            `json:"failure_reason,omitempty"`
	FailureCode    string            `json:"failure_code,omitempty"`
	Metadata       map[string]string `json:"metadata"`
	// Attempts are the payment's attempts at banks, oldest first: in payment.attempt_failed only.
	Attempts []payment.AttemptRecord `json:"attempts,omitempty"`
}

// enqueueWebhook writes the outbox entry for a change of a payment in the change's own
// transaction, so a status change (or an attempt's end) and its notification are committed
// together or not at all: the event, and one delivery for each of the merchant's endpoints that
// wants its type. attempts, when given, travel in the event's data.
func enqueueWebhook(ctx context.Context, tx *Tx, paymentID, typ string, from payment.Status, cause payment.Cause, attempts []payment.AttemptRecord) error {
	var merchantID, kind string
	if err := tx.QueryRowContext(ctx, `SELECT merchant_id, kind FROM payments WHERE id = ?`, paymentID).Scan(&merchantID, &kind); err != nil {
		return fmt.Errorf("store: webhook merchant: %w", err)
	}
	if kind != "" {
		return nil // a refund order: its refunds' own events (refund.*) tell the merchant
	}
	endpoints, err := wantingEndpoints(ctx, tx, merchantID, typ)
	if err != nil || len(endpoints) == 0 {
		return err
	}
	p, err := tx.db.findPayment(ctx, tx, `id = ?`, paymentID)
	if err != nil {
		return err
	}
	ev := webhookPayload{ID: "evt_" + uuid.NewString(), Type: typ, CreatedAt: tx.now,
		Data: webhookData{ID: p.ID, Status: p.Status, PreviousStatus: from, Cause: cause, Amount: p.Amount(), Currency: p.Currency,
			Reference: p.Reference, BankStatus: p.BankStatus, BankAccepted: p.BankAccepted, FailureReason: p.FailureReason,
			FailureCode: p.FailureCode, Metadata: p.Metadata, Attempts: attempts}}
	if ev.Data.Metadata == nil {
		ev.Data.Metadata = map[string]string{}
	}
	body, _ := json.Marshal(ev)
	if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_events (id, merchant_id, payment_id, type, payload, created_at, next_attempt_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, ev.ID, merchantID, paymentID, ev.Type, string(body), formatTime(tx.now), formatTime(tx.now)); err != nil {
		return fmt.Errorf("store: enqueue webhook: %w", err)
	}
	for _, id := range endpoints {
		if err := addDelivery(ctx, tx, ev.ID, id, typ); err != nil {
			return err
		}
	}
	return nil
}

// wantingEndpoints returns the ids of the merchant's endpoints subscribed to typ.
func wantingEndpoints(ctx context.Context, tx *Tx, merchantID, typ string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, event_types FROM webhook_endpoints WHERE merchant_id = ? AND deleted_at IS NULL ORDER BY created_at, id`, merchantID)
	if err != nil {
		return nil, fmt.Errorf("store: webhook endpoints: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id, types string
		if err := rows.Scan(&id, &types); err != nil {
			return nil, fmt.Errorf("store: webhook endpoints: %w", err)
		}
		e := payment.WebhookEndpoint{EventTypes: strings.Split(types, ",")}
		if e.Wants(typ) {
			ids = append(ids, id)
		}
	}
	return ids, rows.Err()
}

// SetWebhook is the one-endpoint setting of PUT /api/v1/webhook and `merchant webhook set`: it
// gives the merchant's endpoint at url a new secret, or adds an endpoint there for every event
// type, and returns the secret. The url must not be empty: DeleteWebhookEndpoint removes one.
func (db *DB) SetWebhook(ctx context.Context, merchantID, url string) (string, error) {
	if url == "" {
		return "", &payment.FieldError{Field: "url", Message: "is required; DELETE /api/v1/webhook-endpoints/{id} removes an endpoint"}
	}
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	var id string
	err = tx.QueryRowContext(ctx, `SELECT id FROM webhook_endpoints WHERE merchant_id = ? AND url = ? AND deleted_at IS NULL ORDER BY created_at LIMIT 1`,
		merchantID, url).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		e, err := createEndpoint(ctx, tx, merchantID, url, []string{"*"})
		if err != nil {
			return "", err
		}
		return e.Secret, tx.Commit()
	} else if err != nil {
		return "", fmt.Errorf("store: set webhook: %w", err)
	}
	secret := newWebhookSecret()
	if _, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET secret = ?, previous_secret = '', previous_secret_until = NULL WHERE id = ?`,
		secret, id); err != nil {
		return "", fmt.Errorf("store: set webhook: %w", err)
	}
	return secret, tx.Commit()
}

// WebhookLease is how long a server holds the deliveries it took. It is longer than a delivery
// may take (the client's time-out is 10 s), so a delivery still claimed past it belongs to a
// server that died mid-delivery, and is due again for any server.
const WebhookLease = time.Minute

// DueWebhooks claims up to limit deliveries (an event to one endpoint) whose next attempt is due
// at now, oldest first, and returns them: their next attempt moves WebhookLease on, so no other
// server (and no later tick of this one) sends them meanwhile; RecordAttempt then sets it for
// real. Servers claiming at once skip each other's rows (SKIP LOCKED) rather than wait for them.
func (db *DB) DueWebhooks(ctx context.Context, now time.Time, limit int) ([]payment.DueWebhook, error) {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	claim, err := tx.QueryContext(ctx, `UPDATE webhook_deliveries SET next_attempt_at = ? WHERE (event_id, endpoint_id) IN (
		SELECT event_id, endpoint_id FROM webhook_deliveries WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= ?
		ORDER BY next_attempt_at LIMIT ? FOR UPDATE SKIP LOCKED) RETURNING event_id, endpoint_id`,
		formatTime(now.Add(WebhookLease)), formatTime(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: claim due webhooks: %w", storageError(err))
	}
	var pairs []any
	var where []string
	for claim.Next() {
		var ev, ep string
		if err := claim.Scan(&ev, &ep); err != nil {
			claim.Close()
			return nil, err
		}
		pairs = append(pairs, ev, ep)
		where = append(where, "(d.event_id = ? AND d.endpoint_id = ?)")
	}
	claim.Close()
	if err := claim.Err(); err != nil {
		return nil, fmt.Errorf("store: claim due webhooks: %w", err)
	}
	if len(pairs) == 0 {
		return nil, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT d.event_id, w.merchant_id, COALESCE(e.payment_id, ''), d.type,
		COALESCE(e.payload, me.payload, ''), d.created_at, d.attempts,
		w.id, w.merchant_id, w.url, w.event_types, w.secret, w.previous_secret, w.previous_secret_until, w.created_at
		FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id
		LEFT JOIN webhook_events e ON e.id = d.event_id LEFT JOIN merchant_events me ON me.id = d.event_id
		WHERE `+strings.Join(where, " OR ")+` ORDER BY d.created_at, d.event_id`, pairs...)
	if err != nil {
		return nil, fmt.Errorf("store: due webhooks: %w", err)
	}
	defer rows.Close()
	var out []payment.DueWebhook
	for rows.Next() {
		var d payment.DueWebhook
		var created, types, epCreated string
		var until sql.NullString
		var ep payment.WebhookEndpoint
		if err := rows.Scan(&d.Event.ID, &d.Event.MerchantID, &d.Event.PaymentID, &d.Event.Type, &d.Event.Payload, &created,
			&d.Event.Attempts, &ep.ID, &ep.MerchantID, &ep.URL, &types, &ep.Secret, &ep.PreviousSecret, &until, &epCreated); err != nil {
			return nil, err
		}
		ep.PreviousUntil = nullTime(until)
		d.Event.CreatedAt = parseTime(created)
		d.EndpointID, d.URL, d.Secrets = ep.ID, ep.URL, ep.Secrets(now)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, tx.Commit()
}

// RecordAttempt logs one try of an event's delivery to an endpoint and schedules the next:
// delivered ends it, a zero next gives up, anything else is when to try again. The event's own
// row follows its deliveries: pending while any is, delivered once all are.
func (db *DB) RecordAttempt(ctx context.Context, eventID, endpointID string, a payment.WebhookAttempt, delivered bool, next time.Time) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_delivery_attempts (event_id, endpoint_id, url, status_code, error, duration_ms, attempted_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, eventID, endpointID, a.URL, a.StatusCode, a.Error, a.DurationMS, formatTime(a.AttemptedAt)); err != nil {
		return fmt.Errorf("store: webhook attempt: %w", err)
	}
	switch {
	case delivered:
		_, err = tx.ExecContext(ctx, `UPDATE webhook_deliveries SET attempts = attempts + 1, delivered_at = ?, next_attempt_at = NULL WHERE event_id = ? AND endpoint_id = ?`, formatTime(tx.now), eventID, endpointID)
	case next.IsZero():
		_, err = tx.ExecContext(ctx, `UPDATE webhook_deliveries SET attempts = attempts + 1, gave_up_at = ?, next_attempt_at = NULL WHERE event_id = ? AND endpoint_id = ?`, formatTime(tx.now), eventID, endpointID)
	default:
		_, err = tx.ExecContext(ctx, `UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = ? WHERE event_id = ? AND endpoint_id = ?`, formatTime(next), eventID, endpointID)
	}
	if err != nil {
		return fmt.Errorf("store: webhook schedule: %w", err)
	}
	if err := summariseEvent(ctx, tx, eventID); err != nil {
		return err
	}
	return tx.Commit()
}

// summariseEvent sets a payment event's row from its deliveries: attempts in all, the next due
// try, delivered when every delivery is, given up when none is pending and one gave up.
func summariseEvent(ctx context.Context, tx *Tx, eventID string) error {
	_, err := tx.ExecContext(ctx, `UPDATE webhook_events SET
		attempts = (SELECT COALESCE(SUM(attempts), 0) FROM webhook_deliveries WHERE event_id = ?1),
		next_attempt_at = (SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE event_id = ?1),
		delivered_at = CASE WHEN EXISTS (SELECT 1 FROM webhook_deliveries WHERE event_id = ?1 AND delivered_at IS NULL) THEN NULL
			ELSE (SELECT MAX(delivered_at) FROM webhook_deliveries WHERE event_id = ?1) END,
		gave_up_at = CASE WHEN EXISTS (SELECT 1 FROM webhook_deliveries WHERE event_id = ?1 AND next_attempt_at IS NOT NULL) THEN NULL
			ELSE (SELECT MAX(gave_up_at) FROM webhook_deliveries WHERE event_id = ?1) END
		WHERE id = ?1`, eventID)
	if err != nil {
		return fmt.Errorf("store: webhook event summary: %w", err)
	}
	return nil
}

// PaymentWebhooks returns a payment's events with every delivery attempt.
func (db *DB) PaymentWebhooks(ctx context.Context, paymentID string) ([]payment.WebhookEvent, error) {
	rows, err := db.ro.QueryContext(ctx, `SELECT id, merchant_id, payment_id, type, payload, created_at, next_attempt_at, attempts,
		delivered_at, gave_up_at FROM webhook_events WHERE payment_id = ? ORDER BY created_at, rowid`, paymentID)
	if err != nil {
		return nil, fmt.Errorf("store: webhooks: %w", err)
	}
	var out []payment.WebhookEvent
	for rows.Next() {
		var e payment.WebhookEvent
		var created string
		var next, delivered, gaveUp sql.NullString
		if err := rows.Scan(&e.ID, &e.MerchantID, &e.PaymentID, &e.Type, &e.Payload, &created, &next, &e.Attempts, &delivered, &gaveUp); err != nil {
			rows.Close()
			return nil, err
		}
		e.CreatedAt, e.NextAttemptAt, e.DeliveredAt, e.GaveUpAt = parseTime(created), nullTime(next), nullTime(delivered), nullTime(gaveUp)
		e.History = []payment.WebhookAttempt{}
		out = append(out, e)
	}
	rows.Close()
	for i := range out {
		h, err := db.attempts(ctx, out[i].ID, "")
		if err != nil {
			return nil, err
		}
		out[i].History = h
	}
	return out, nil
}

// Redeliver schedules an event of the merchant's for another delivery now, with the same id, to
// each endpoint it went to that the merchant still has.
func (db *DB) Redeliver(ctx context.Context, merchantID, eventID string) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM webhook_events WHERE id = ?1 AND merchant_id = ?2)
		+ (SELECT COUNT(*) FROM merchant_events WHERE id = ?1 AND merchant_id = ?2)`, eventID, merchantID).Scan(&n); err != nil {
		return fmt.Errorf("store: redeliver: %w", err)
	}
	if n == 0 {
		return payment.ErrNotFound
	}
	if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET next_attempt_at = ?, gave_up_at = NULL WHERE event_id = ?
		AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE deleted_at IS NULL)`, formatTime(tx.now), eventID); err != nil {
		return fmt.Errorf("store: redeliver: %w", err)
	}
	if err := summariseEvent(ctx, tx, eventID); err != nil {
		return err
	}
	return tx.Commit()
}

// WebhookStates summarises the delivery state of each listed payment's latest event.
func (db *DB) WebhookStates(ctx context.Context, paymentIDs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, id := range paymentIDs {
		var delivered, gaveUp sql.NullString
		err := db.ro.QueryRowContext(ctx, `SELECT delivered_at, gave_up_at FROM webhook_events WHERE payment_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1`, id).Scan(&delivered, &gaveUp)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		} else if err != nil {
			return nil, err
		}
		e := payment.WebhookEvent{DeliveredAt: nullTime(delivered), GaveUpAt: nullTime(gaveUp)}
		out[id] = e.State()
	}
	return out, nil
}
