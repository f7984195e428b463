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

// IdempotencyLease is how long a claim on a key holds without an answer. It is longer than any
// request may run (the bank calls behind one time out well within it), so a claim older than its
// lease belongs to a process that died, and the next request with the key takes it over.
const IdempotencyLease = 2 * time.Minute

// ErrInProgress means a request with the same Idempotency-Key is still being answered.
var ErrInProgress = payment.ErrIdempotencyInProgress

// BeginIdempotent claims an Idempotency-Key for a request. It returns the recorded answer when
// the same request was answered within IdempotencyTTL, ErrIdempotencyMismatch when the key was
// used for another request, ErrInProgress while the first is still running, or nil, nil when the
// caller should go ahead and later call FinishIdempotent. A claim whose lease has run out was left
// by a process that died: it is taken over, and the request runs again. That is safe because
// what a keyed request creates carries the key in its own transaction (a payment's
// idempotency_key), so running it again finds what the dead process made rather than making it twice.
func (db *DB) BeginIdempotent(ctx context.Context, merchantID, key, request, hash string) (*payment.StoredResponse, error) {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var req, h, created, lease string
	var status int
	var body []byte
	err = tx.QueryRowContext(ctx, `SELECT request, request_hash, status, body, created_at, lease_until FROM idempotency
		WHERE merchant_id = ? AND key = ?`, merchantID, key).Scan(&req, &h, &status, &body, &created, &lease)
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
	case status == 0 && tx.now.Before(parseTime(lease)):
		return nil, ErrInProgress
	case status == 0:
		// The claimer died without an answer: this request takes the key over.
		// Conditional on the lease we saw, so of two servers taking over at once only one does.
		res, err := tx.ExecContext(ctx, `UPDATE idempotency SET owner = ?, lease_until = ? WHERE merchant_id = ? AND key = ?
			AND status = 0 AND lease_until = ?`, db.owner, formatTime(tx.now.Add(IdempotencyLease)), merchantID, key, lease)
		if err != nil {
			return nil, fmt.Errorf("store: idempotency take over: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, ErrInProgress
		}
		return nil, tx.Commit()
	default:
		return &payment.StoredResponse{Status: status, Body: body}, nil
	}
	// Another server may claim the same key between our look and our claim (PostgreSQL reads do
	// not wait for writers): its claim stands, and this request is the one in progress second.
	res, err := tx.ExecContext(ctx, `INSERT INTO idempotency (merchant_id, key, request, request_hash, created_at, owner, lease_until)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (merchant_id, key) DO NOTHING`, merchantID, key, request, hash, formatTime(tx.now), db.owner, formatTime(tx.now.Add(IdempotencyLease)))
	if err != nil {
		return nil, fmt.Errorf("store: idempotency claim: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, ErrInProgress
	}
	return nil, tx.Commit()
}

// FinishIdempotent records the answer to a claimed key; a server error releases the key instead,
// so the merchant's retry runs again. Only the claim's owner writes: a request that outlived its
// lease, and whose key another request took over, leaves the answer to that one.
func (db *DB) FinishIdempotent(ctx context.Context, merchantID, key string, status int, body []byte) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if status >= 500 {
		_, err = tx.ExecContext(ctx, `DELETE FROM idempotency WHERE merchant_id = ? AND key = ? AND owner = ? AND status = 0`,
			merchantID, key, db.owner)
	} else {
		_, err = tx.ExecContext(ctx, `UPDATE idempotency SET status = ?, body = ?, lease_until = '' WHERE merchant_id = ? AND key = ?
			AND owner = ? AND status = 0`, status, body, merchantID, key, db.owner)
	}
	if err != nil {
		return fmt.Errorf("store: idempotency finish: %w", err)
	}
	return tx.Commit()
}

// releaseDeadClaims releases every key still claimed by a request in progress. It runs once this
// process holds the database's lock (Lock) and before it serves anything, so every such claim was
// made by a process that died mid-request; the merchant's retry runs the request again at once
// rather than waiting out the lease.
func (db *DB) releaseDeadClaims(ctx context.Context) (int64, error) {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM idempotency WHERE status = 0 AND owner <> ?`, db.owner)
	if err != nil {
		return 0, fmt.Errorf("store: release dead idempotency claims: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, tx.Commit()
}
