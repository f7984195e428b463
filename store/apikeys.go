package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"paybybank/payment"
)

// APIKey is what the operator and the merchant may see of an API key: never the key itself
// (only its hash is kept), but its id, its last four characters and its dates.
type APIKey struct {
	ID         string
	MerchantID string
	Hint       string // the key's last four characters
	CreatedAt  time.Time
	RevokedAt  time.Time // zero while the key is live
}

// Prefix is how a key is shown: its fixed prefix and the last characters, enough to tell keys apart.
func (k *APIKey) Prefix() string { return "pbb_…" + k.Hint }

// Revoked reports whether the key has been revoked.
func (k *APIKey) Revoked() bool { return !k.RevokedAt.IsZero() }

// APIKeys returns a merchant's keys, revoked ones included, oldest first.
func (db *DB) APIKeys(ctx context.Context, merchantID string) ([]APIKey, error) {
	rows, err := db.ro.QueryContext(ctx, `SELECT id, merchant_id, hint, created_at, revoked_at FROM api_keys
		WHERE merchant_id = ? ORDER BY created_at, id`, merchantID)
	if err != nil {
		return nil, fmt.Errorf("store: api keys: %w", err)
	}
	defer rows.Close()
	var out []APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *k)
	}
	return out, rows.Err()
}

// APIKey returns one key by its id, or ErrNotFound.
func (db *DB) APIKey(ctx context.Context, id string) (*APIKey, error) {
	return scanAPIKey(db.ro.QueryRowContext(ctx, `SELECT id, merchant_id, hint, created_at, revoked_at FROM api_keys WHERE id = ?`, id))
}

// LiveAPIKey returns the record of an unrevoked key given in clear, or ErrNotFound: the merchant
// view signs in with it and remembers the key's id, so that revoking the key ends the session.
func (db *DB) LiveAPIKey(ctx context.Context, key string) (*APIKey, error) {
	return scanAPIKey(db.ro.QueryRowContext(ctx, `SELECT id, merchant_id, hint, created_at, revoked_at FROM api_keys
		WHERE hash = ? AND revoked_at IS NULL`, hashKey(key)))
}

// RevokeAPIKey revokes one of a merchant's keys; from then on it is refused (ErrNotFound for a key
// that is not the merchant's). Revoking a revoked key changes nothing. This server forgets the key
// at once; another server process sharing the database within merchantTTL.
func (db *DB) RevokeAPIKey(ctx context.Context, merchantID, id string) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var hash string
	if err := tx.QueryRowContext(ctx, `SELECT hash FROM api_keys WHERE id = ? AND merchant_id = ?`, id, merchantID).Scan(&hash); errors.Is(err, sql.ErrNoRows) {
		return payment.ErrNotFound
	} else if err != nil {
		return fmt.Errorf("store: revoke api key: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, formatTime(tx.now), id); err != nil {
		return fmt.Errorf("store: revoke api key: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	db.merchants.Delete("key:" + hash) // after the commit: a look-up racing it reads the row again
	return nil
}

func scanAPIKey(row scanner) (*APIKey, error) {
	var k APIKey
	var created string
	var revoked sql.NullString
	if err := row.Scan(&k.ID, &k.MerchantID, &k.Hint, &created, &revoked); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, payment.ErrNotFound
		}
		return nil, fmt.Errorf("store: api key: %w", err)
	}
	k.CreatedAt = parseTime(created)
	if revoked.Valid {
		k.RevokedAt = parseTime(revoked.String)
	}
	return &k, nil
}
