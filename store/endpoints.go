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

// newWebhookSecret returns a signing secret in the Standard Webhooks form: "whsec_" and the
// base64 of 24 random bytes.
func newWebhookSecret() string {
	b := make([]byte, 24)
	rand.Read(b)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

const endpointColumns = `id, merchant_id, url, event_types, secret, previous_secret, previous_secret_until, created_at`

func scanEndpoint(row interface{ Scan(...any) error }) (*payment.WebhookEndpoint, error) {
	var e payment.WebhookEndpoint
	var types, created string
	var until sql.NullString
	if err := row.Scan(&e.ID, &e.MerchantID, &e.URL, &types, &e.Secret, &e.PreviousSecret, &until, &created); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, payment.ErrNotFound
		}
		return nil, fmt.Errorf("store: webhook endpoint: %w", err)
	}
	e.EventTypes = strings.Split(types, ",")
	e.PreviousUntil, e.CreatedAt = nullTime(until), parseTime(created)
	return &e, nil
}

// CreateWebhookEndpoint adds an endpoint for the merchant and returns it with its new secret.
// The URL and event types are checked by the caller (handlers.ValidWebhookURL,
// payment.CheckEventTypes).
func (db *DB) CreateWebhookEndpoint(ctx context.Context, merchantID, url string, eventTypes []string) (*payment.WebhookEndpoint, error) {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	e, err := createEndpoint(ctx, tx, merchantID, url, eventTypes)
	if err != nil {
		return nil, err
	}
	return e, tx.Commit()
}

func createEndpoint(ctx context.Context, tx *Tx, merchantID, url string, eventTypes []string) (*payment.WebhookEndpoint, error) {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM merchants WHERE id = ?`, merchantID).Scan(&n); err != nil {
		return nil, fmt.Errorf("store: create webhook endpoint: %w", err)
	} else if n == 0 {
		return nil, payment.ErrNotFound
	}
	e := &payment.WebhookEndpoint{ID: "we_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:24], MerchantID: merchantID, URL: url,
		EventTypes: eventTypes, Secret: newWebhookSecret(), CreatedAt: tx.now}
	_, err := tx.ExecContext(ctx, `INSERT INTO webhook_endpoints (id, merchant_id, url, event_types, secret, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, e.ID, merchantID, url, strings.Join(eventTypes, ","), e.Secret, formatTime(tx.now))
	if err != nil {
		return nil, fmt.Errorf("store: create webhook endpoint: %w", err)
	}
	return e, nil
}

// WebhookEndpoints returns the merchant's endpoints, oldest first.
func (db *DB) WebhookEndpoints(ctx context.Context, merchantID string) ([]*payment.WebhookEndpoint, error) {
	rows, err := db.ro.QueryContext(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints
		WHERE merchant_id = ? AND deleted_at IS NULL ORDER BY created_at, id`, merchantID)
	if err != nil {
		return nil, fmt.Errorf("store: webhook endpoints: %w", err)
	}
	defer rows.Close()
	out := []*payment.WebhookEndpoint{}
	for rows.Next() {
		e, err := scanEndpoint(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// WebhookEndpoint returns one of the merchant's endpoints; a deleted one is ErrNotFound.
func (db *DB) WebhookEndpoint(ctx context.Context, merchantID, id string) (*payment.WebhookEndpoint, error) {
	return scanEndpoint(db.ro.QueryRowContext(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints
		WHERE id = ? AND merchant_id = ? AND deleted_at IS NULL`, id, merchantID))
}

// DeleteWebhookEndpoint removes one of the merchant's endpoints and returns it as it was. Its
// pending deliveries are dropped; its delivery log is kept.
func (db *DB) DeleteWebhookEndpoint(ctx context.Context, merchantID, id string) (*payment.WebhookEndpoint, error) {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	e, err := scanEndpoint(tx.QueryRowContext(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints
		WHERE id = ? AND merchant_id = ? AND deleted_at IS NULL`, id, merchantID))
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET deleted_at = ? WHERE id = ?`, formatTime(tx.now), id); err != nil {
		return nil, fmt.Errorf("store: delete webhook endpoint: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET next_attempt_at = NULL, gave_up_at = ?
		WHERE endpoint_id = ? AND next_attempt_at IS NOT NULL`, formatTime(tx.now), id); err != nil {
		return nil, fmt.Errorf("store: delete webhook endpoint: %w", err)
	}
	return e, tx.Commit()
}

// RotateWebhookSecret gives one of the merchant's endpoints a new secret and returns the endpoint
// with it. The old secret keeps signing beside the new one for overlap, so receivers can switch
// without losing an event; a zero overlap retires it at once.
func (db *DB) RotateWebhookSecret(ctx context.Context, merchantID, id string, overlap time.Duration) (*payment.WebhookEndpoint, error) {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	e, err := scanEndpoint(tx.QueryRowContext(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints
		WHERE id = ? AND merchant_id = ? AND deleted_at IS NULL`, id, merchantID))
	if err != nil {
		return nil, err
	}
	e.PreviousSecret, e.PreviousUntil, e.Secret = e.Secret, tx.now.Add(overlap), newWebhookSecret()
	if overlap <= 0 {
		e.PreviousSecret, e.PreviousUntil = "", time.Time{}
	}
	var until sql.NullString
	if !e.PreviousUntil.IsZero() {
		until = sql.NullString{String: formatTime(e.PreviousUntil), Valid: true}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET secret = ?, previous_secret = ?, previous_secret_until = ? WHERE id = ?`,
		e.Secret, e.PreviousSecret, until, id); err != nil {
		return nil, fmt.Errorf("store: rotate webhook secret: %w", err)
	}
	return e, tx.Commit()
}

// testPayload is the body of a webhook.test event.
type testPayload struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"created_at"`
	Data      struct {
		EndpointID string `json:"endpoint_id"`
	} `json:"data"`
}

// SendTestEvent puts a webhook.test event for one of the merchant's endpoints in the outbox, due
// now, and returns its id. The dispatcher delivers it like any other event.
func (db *DB) SendTestEvent(ctx context.Context, merchantID, endpointID string) (string, error) {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	if _, err := scanEndpoint(tx.QueryRowContext(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints
		WHERE id = ? AND merchant_id = ? AND deleted_at IS NULL`, endpointID, merchantID)); err != nil {
		return "", err
	}
	ev := testPayload{ID: "evt_" + uuid.NewString(), Type: payment.TestEventType, CreatedAt: tx.now}
	ev.Data.EndpointID = endpointID
	body, _ := json.Marshal(ev)
	if _, err := tx.ExecContext(ctx, `INSERT INTO merchant_events (id, merchant_id, type, payload, created_at) VALUES (?, ?, ?, ?, ?)`,
		ev.ID, merchantID, ev.Type, string(body), formatTime(tx.now)); err != nil {
		return "", fmt.Errorf("store: test event: %w", err)
	}
	if err := addDelivery(ctx, tx, ev.ID, endpointID, ev.Type); err != nil {
		return "", err
	}
	return ev.ID, tx.Commit()
}

// addDelivery queues an event for one endpoint, due now.
func addDelivery(ctx context.Context, tx *Tx, eventID, endpointID, typ string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (event_id, endpoint_id, type, created_at, next_attempt_at)
		VALUES (?, ?, ?, ?, ?)`, eventID, endpointID, typ, formatTime(tx.now), formatTime(tx.now)); err != nil {
		return fmt.Errorf("store: queue webhook delivery: %w", err)
	}
	return nil
}

// EndpointDeliveries returns up to limit of an endpoint's deliveries, newest first, each with
// every try. The endpoint must be the merchant's (deleted ones included: their log stays).
func (db *DB) EndpointDeliveries(ctx context.Context, merchantID, endpointID string, limit int) ([]payment.WebhookDelivery, error) {
	var n int
	if err := db.ro.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_endpoints WHERE id = ? AND merchant_id = ?`, endpointID, merchantID).Scan(&n); err != nil {
		return nil, fmt.Errorf("store: endpoint deliveries: %w", err)
	}
	if n == 0 {
		return nil, payment.ErrNotFound
	}
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	rows, err := db.ro.QueryContext(ctx, `SELECT event_id, endpoint_id, type, created_at, attempts, next_attempt_at, delivered_at, gave_up_at
		FROM webhook_deliveries WHERE endpoint_id = ? ORDER BY created_at DESC, event_id LIMIT ?`, endpointID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: endpoint deliveries: %w", err)
	}
	out := []payment.WebhookDelivery{}
	for rows.Next() {
		var d payment.WebhookDelivery
		var created string
		var next, delivered, gaveUp sql.NullString
		if err := rows.Scan(&d.EventID, &d.EndpointID, &d.Type, &created, &d.Attempts, &next, &delivered, &gaveUp); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: endpoint deliveries: %w", err)
		}
		d.CreatedAt, d.NextAttemptAt, d.DeliveredAt, d.GaveUpAt = parseTime(created), nullTime(next), nullTime(delivered), nullTime(gaveUp)
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		h, err := db.attempts(ctx, out[i].EventID, endpointID)
		if err != nil {
			return nil, err
		}
		out[i].History = h
	}
	return out, nil
}

// attempts returns the tries of an event's delivery, to one endpoint or (endpointID empty) to all.
func (db *DB) attempts(ctx context.Context, eventID, endpointID string) ([]payment.WebhookAttempt, error) {
	rows, err := db.ro.QueryContext(ctx, `SELECT url, status_code, error, duration_ms, attempted_at FROM webhook_delivery_attempts
		WHERE event_id = ? AND (? = '' OR endpoint_id = ?) ORDER BY id`, eventID, endpointID, endpointID)
	if err != nil {
		return nil, fmt.Errorf("store: webhook attempts: %w", err)
	}
	defer rows.Close()
	out := []payment.WebhookAttempt{}
	for rows.Next() {
		var a payment.WebhookAttempt
		var at string
		if err := rows.Scan(&a.URL, &a.StatusCode, &a.Error, &a.DurationMS, &at); err != nil {
			return nil, fmt.Errorf("store: webhook attempts: %w", err)
		}
		a.AttemptedAt = parseTime(at)
		out = append(out, a)
	}
	return out, rows.Err()
}
