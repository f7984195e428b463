package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
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
	Metadata       map[string]string `json:"metadata"`
}

// enqueueWebhook writes the outbox entry for a transition in the transition's own transaction,
// so a status change and its notification are committed together or not at all.
func enqueueWebhook(ctx context.Context, tx *Tx, paymentID string, tr payment.Transition) error {
	var url string
	var merchantID string
	err := tx.QueryRowContext(ctx, `SELECT m.id, m.webhook_url FROM payments p JOIN merchants m ON m.id = p.merchant_id WHERE p.id = ?`, paymentID).Scan(&merchantID, &url)
	if err != nil {
		return fmt.Errorf("store: webhook merchant: %w", err)
	}
	if url == "" {
		return nil
	}
	p, err := findPayment(ctx, tx, `id = ?`, paymentID)
	if err != nil {
		return err
	}
	ev := webhookPayload{ID: "evt_" + uuid.NewString(), Type: "payment." + string(tr.To), CreatedAt: tx.now,
		Data: webhookData{ID: p.ID, Status: p.Status, PreviousStatus: tr.From, Cause: tr.Cause, Amount: p.Amount(), Currency: p.Currency,
			Reference: p.Reference, BankStatus: p.BankStatus, BankAccepted: p.BankAccepted, FailureReason: p.FailureReason, Metadata: p.Metadata}}
	if ev.Data.Metadata == nil {
		ev.Data.Metadata = map[string]string{}
	}
	body, _ := json.Marshal(ev)
	if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_events (id, merchant_id, payment_id, type, payload, created_at, next_attempt_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, ev.ID, merchantID, paymentID, ev.Type, string(body), formatTime(tx.now), formatTime(tx.now)); err != nil {
		return fmt.Errorf("store: enqueue webhook: %w", err)
	}
	return nil
}

// SetWebhook sets a merchant's webhook endpoint and returns a new signing secret
// (Standard Webhooks form: "whsec_" and the base64 of 24 random bytes). An empty url turns webhooks off.
func (db *DB) SetWebhook(ctx context.Context, merchantID, url string) (string, error) {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	defer db.merchants.Delete(merchantID)
	b := make([]byte, 24)
	rand.Read(b)
	secret := "whsec_" + base64.StdEncoding.EncodeToString(b)
	if url == "" {
		secret = ""
	}
	res, err := tx.ExecContext(ctx, `UPDATE merchants SET webhook_url = ?, webhook_secret = ? WHERE id = ?`, url, secret, merchantID)
	if err != nil {
		return "", fmt.Errorf("store: set webhook: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return "", payment.ErrNotFound
	}
	return secret, tx.Commit()
}

// Delivery is an event due for delivery, with where and how to sign it.
type Delivery struct {
	Event  payment.WebhookEvent
	URL    string
	Secret string
}

// WebhookLease is how long a server holds the events it took for delivery. It is longer than a
// delivery may take (the client's time-out is 10 s), so an event still claimed past it belongs to
// a server that died mid-delivery, and is due again for any server.
const WebhookLease = time.Minute

// DueWebhooks claims up to limit events whose next attempt is due at now, oldest first, and
// returns them: their next attempt moves WebhookLease on, so no other server (and no later tick
// of this one) sends them meanwhile; RecordAttempt then sets it for real. Servers claiming at
// once skip each other's rows (SKIP LOCKED) rather than wait for them.
func (db *DB) DueWebhooks(ctx context.Context, now time.Time, limit int) ([]Delivery, error) {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `UPDATE webhook_events SET next_attempt_at = ? WHERE id IN (
		SELECT id FROM webhook_events WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= ?
		ORDER BY next_attempt_at LIMIT ? FOR UPDATE SKIP LOCKED) RETURNING id`,
		formatTime(now.Add(WebhookLease)), formatTime(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: claim due webhooks: %w", storageError(err))
	}
	var ids []any
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: claim due webhooks: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err = tx.QueryContext(ctx, `SELECT e.id, e.merchant_id, e.payment_id, e.type, e.payload, e.created_at, e.attempts,
		m.webhook_url, m.webhook_secret FROM webhook_events e JOIN merchants m ON m.id = e.merchant_id
		WHERE e.id IN (?`+strings.Repeat(", ?", len(ids)-1)+`) ORDER BY e.created_at, e.rowid`, ids...)
	if err != nil {
		return nil, fmt.Errorf("store: due webhooks: %w", err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var d Delivery
		var created string
		if err := rows.Scan(&d.Event.ID, &d.Event.MerchantID, &d.Event.PaymentID, &d.Event.Type, &d.Event.Payload, &created,
			&d.Event.Attempts, &d.URL, &d.Secret); err != nil {
			return nil, err
		}
		d.Event.CreatedAt = parseTime(created)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, tx.Commit()
}

// RecordAttempt logs one delivery try and schedules the next: delivered ends it, a zero next
// gives up, anything else is when to try again.
func (db *DB) RecordAttempt(ctx context.Context, eventID string, a payment.WebhookAttempt, delivered bool, next time.Time) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_attempts (event_id, url, status_code, error, duration_ms, attempted_at)
		VALUES (?, ?, ?, ?, ?, ?)`, eventID, a.URL, a.StatusCode, a.Error, a.DurationMS, formatTime(a.AttemptedAt)); err != nil {
		return fmt.Errorf("store: webhook attempt: %w", err)
	}
	switch {
	case delivered:
		_, err = tx.ExecContext(ctx, `UPDATE webhook_events SET attempts = attempts + 1, delivered_at = ?, next_attempt_at = NULL WHERE id = ?`, formatTime(tx.now), eventID)
	case next.IsZero():
		_, err = tx.ExecContext(ctx, `UPDATE webhook_events SET attempts = attempts + 1, gave_up_at = ?, next_attempt_at = NULL WHERE id = ?`, formatTime(tx.now), eventID)
	default:
		_, err = tx.ExecContext(ctx, `UPDATE webhook_events SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?`, formatTime(next), eventID)
	}
	if err != nil {
		return fmt.Errorf("store: webhook schedule: %w", err)
	}
	return tx.Commit()
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
		ar, err := db.ro.QueryContext(ctx, `SELECT url, status_code, error, duration_ms, attempted_at FROM webhook_attempts WHERE event_id = ? ORDER BY id`, out[i].ID)
		if err != nil {
			return nil, err
		}
		for ar.Next() {
			var a payment.WebhookAttempt
			var at string
			if err := ar.Scan(&a.URL, &a.StatusCode, &a.Error, &a.DurationMS, &at); err != nil {
				ar.Close()
				return nil, err
			}
			a.AttemptedAt = parseTime(at)
			out[i].History = append(out[i].History, a)
		}
		ar.Close()
	}
	return out, nil
}

// Redeliver schedules an event of the merchant's for another delivery now, with the same id.
func (db *DB) Redeliver(ctx context.Context, merchantID, eventID string) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE webhook_events SET next_attempt_at = ?, gave_up_at = NULL WHERE id = ? AND merchant_id = ?`,
		formatTime(tx.now), eventID, merchantID)
	if err != nil {
		return fmt.Errorf("store: redeliver: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return payment.ErrNotFound
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
