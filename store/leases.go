package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ClaimLease makes this server the holder of the named piece of work for ttl and reports whether
// it is: a lease it holds already is renewed, one another server holds is refused until it runs
// out, so work under a lease runs on one server at a time, and a dead server's work is taken over
// within ttl. Times are the servers' clocks, which must agree to well within ttl (NTP).
func (db *DB) ClaimLease(ctx context.Context, name string, ttl time.Duration) (bool, error) {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO leases (name, owner, until_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until_at = excluded.until_at
		WHERE leases.owner = excluded.owner OR leases.until_at < ?`,
		name, db.owner, formatTime(tx.now.Add(ttl)), formatTime(tx.now))
	if err != nil {
		return false, fmt.Errorf("store: lease %s: %w", name, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, tx.Commit()
}

// DeleteExpiredLeases forgets leases run out for an hour (one per BankID order polled).
func (db *DB) DeleteExpiredLeases(ctx context.Context) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	old := formatTime(tx.now.Add(-time.Hour))
	if _, err := tx.ExecContext(ctx, `DELETE FROM leases WHERE until_at < ?`, old); err != nil {
		return fmt.Errorf("store: expired leases: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sca_frames WHERE asked_at < ?`, old); err != nil {
		return fmt.Errorf("store: old SCA frames: %w", err)
	}
	return tx.Commit()
}

// ShareSCA records the bank's latest answer about a decoupled order (JSON), asked at asked, for
// the other servers; an older answer never replaces a newer one.
func (db *DB) ShareSCA(ctx context.Context, authID string, sca []byte, asked time.Time) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO sca_frames (auth_id, sca, asked_at) VALUES (?, ?, ?)
		ON CONFLICT (auth_id) DO UPDATE SET sca = excluded.sca, asked_at = excluded.asked_at
		WHERE sca_frames.asked_at < excluded.asked_at`, authID, string(sca), formatTime(asked)); err != nil {
		return fmt.Errorf("store: share SCA: %w", err)
	}
	return tx.Commit()
}

// SharedSCA returns the latest answer another server recorded about a decoupled order and when it
// was asked; nil when there is none yet.
func (db *DB) SharedSCA(ctx context.Context, authID string) ([]byte, time.Time, error) {
	var sca, asked string
	err := db.ro.QueryRowContext(ctx, `SELECT sca, asked_at FROM sca_frames WHERE auth_id = ?`, authID).Scan(&sca, &asked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, time.Time{}, nil
	} else if err != nil {
		return nil, time.Time{}, fmt.Errorf("store: shared SCA: %w", err)
	}
	return []byte(sca), parseTime(asked), nil
}
