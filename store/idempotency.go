package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"paybybank/payment"
)

// IdempotencyTTL is how long an answer to a keyed POST is replayed.
const IdempotencyTTL = 24 * time.Hour

// ErrInProgress means a request with the same Idempotency-Key is still being answered.
var ErrInProgress = errors.New("a request with this idempotency key is in progress")

// StoredResponse is a recorded answer to a keyed request.
type StoredResponse struct {
	Status int
	Body   []byte
}

// BeginIdempotent claims an Idempotency-Key for a request. It returns the recorded answer when
// the same request was answered within IdempotencyTTL, ErrIdempotencyMismatch when the key was
// used for another request, ErrInProgress while the first is still running, or nil, nil when the
// caller should go ahead and later call FinishIdempotent.
func (db *DB) BeginIdempotent(ctx context.Context, merchantID, key, request, hash string) (*StoredResponse, error) {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var req, h, created string
	var status int
	var body []byte
	err = tx.QueryRowContext(ctx, `SELECT request, request_hash, status, body, created_at FROM idempotency WHERE merchant_id = ? AND key = ?`,
		merchantID, key).Scan(&req, &h, &status, &body, &created)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, fmt.Errorf("store: idempotency: %w", err)
	case tx.now.Sub(parseTime(created)) > IdempotencyTTL:
		if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency WHERE merchant_id = ? AND key = ?`, merchantID, key); err != nil {
			return nil, err
		}
	case req != request || h != hash:
		return nil, payment.ErrIdempotencyMismatch
	case status == 0:
		return nil, ErrInProgress
	default:
		return &StoredResponse{Status: status, Body: body}, nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO idempotency (merchant_id, key, request, request_hash, created_at) VALUES (?, ?, ?, ?, ?)`,
		merchantID, key, request, hash, formatTime(tx.now)); err != nil {
		return nil, fmt.Errorf("store: idempotency claim: %w", err)
	}
	return nil, tx.Commit()
}

// FinishIdempotent records the answer to a claimed key; a server error releases the key instead,
// so the merchant's retry runs again.
func (db *DB) FinishIdempotent(ctx context.Context, merchantID, key string, status int, body []byte) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if status >= 500 {
		_, err = tx.ExecContext(ctx, `DELETE FROM idempotency WHERE merchant_id = ? AND key = ?`, merchantID, key)
	} else {
		_, err = tx.ExecContext(ctx, `UPDATE idempotency SET status = ?, body = ? WHERE merchant_id = ? AND key = ?`, status, body, merchantID, key)
	}
	if err != nil {
		return fmt.Errorf("store: idempotency finish: %w", err)
	}
	return tx.Commit()
}
