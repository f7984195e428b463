package store

import (
	"context"
	"fmt"
	"time"
)

// AuditEntry is one change a person made in the workspace: who, what, to what, when and from
// which address.
type AuditEntry struct {
	ID         int64
	MerchantID string
	UserID     string
	Email      string
	Action     string // e.g. payment.cancel, key.create, key.revoke, user.invite, user.role, totp.on, totp.off, sessions.end
	Target     string // what the action was about: a payment, key or person id
	Detail     string
	IP         string
	CreatedAt  time.Time
}

// Audit writes an entry to the merchant's audit log, stamped with the store's clock.
func (db *DB) Audit(ctx context.Context, e AuditEntry) error {
	if _, err := db.exec(ctx, `INSERT INTO audit_log (merchant_id, user_id, email, action, target, detail, ip, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, e.MerchantID, e.UserID, e.Email, e.Action, e.Target, e.Detail, e.IP, formatTime(db.Now())); err != nil {
		return storageError(fmt.Errorf("store: audit: %w", err))
	}
	return nil
}

// AuditLog returns a merchant's audit entries newest first, limit at a time, starting below the
// entry id before (0: from the newest); the second result is the cursor of the next page, or 0.
func (db *DB) AuditLog(ctx context.Context, merchantID string, before int64, limit int) ([]AuditEntry, int64, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := db.query(ctx, `SELECT id, merchant_id, user_id, email, action, target, detail, ip, created_at FROM audit_log
		WHERE merchant_id = ? AND id < ? ORDER BY id DESC LIMIT ?`, merchantID, before, limit+1)
	if err != nil {
		return nil, 0, fmt.Errorf("store: audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var created string
		if err := rows.Scan(&e.ID, &e.MerchantID, &e.UserID, &e.Email, &e.Action, &e.Target, &e.Detail, &e.IP, &created); err != nil {
			return nil, 0, fmt.Errorf("store: audit log: %w", err)
		}
		e.CreatedAt = parseTime(created)
		out = append(out, e)
	}
	var next int64
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID
	}
	return out, next, rows.Err()
}
