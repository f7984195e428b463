package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
)

// SecretKey returns the key that signs cookies, links and states, creating and keeping it on
// first use. Production passes its own key in configuration and never calls this. Servers
// starting together on PostgreSQL may each make one: the first kept is the one all of them use.
func (db *DB) SecretKey(ctx context.Context) ([]byte, error) {
	if v, err := db.secretKey(ctx); err != nil || v != nil {
		return v, err
	}
	return db.secretKey(ctx) // another server's key was committed first: read it
}

func (db *DB) secretKey(ctx context.Context) ([]byte, error) {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var v string
	err = tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = 'secret_key'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		b := make([]byte, 32)
		rand.Read(b)
		v = hex.EncodeToString(b)
		res, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('secret_key', ?) ON CONFLICT (key) DO NOTHING`, v)
		if err != nil {
			return nil, fmt.Errorf("store: secret key: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, nil
		}
	} else if err != nil {
		return nil, fmt.Errorf("store: secret key: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return hex.DecodeString(v)
}
