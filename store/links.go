package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"paybybank/payment"
)

// linkColumns are a link's columns and its use, counted from the payments that carry its nonce
// (see linkFrom). The join uses the payments_link index.
const linkColumns = `l.id, l.merchant_id, l.nonce, l.amount, l.currency, l.reference, l.return_url, l.per_visit, l.url,
	l.created_at, l.expires_at, l.deactivated_at,
	COUNT(p.id), COALESCE(SUM(CASE WHEN p.status = 'completed' THEN 1 ELSE 0 END), 0),
	COALESCE(SUM(CASE WHEN p.status IN ('open', 'authorising', 'processing') THEN 1 ELSE 0 END), 0)`

const linkFrom = ` FROM payment_links l LEFT JOIN payments p
	ON json_extract(p.metadata, '$.payment_link') = l.nonce AND p.merchant_id = l.merchant_id`

func scanLink(row interface{ Scan(...any) error }) (*payment.Link, error) {
	var l payment.Link
	var created string
	var expires, deactivated sql.NullString
	if err := row.Scan(&l.ID, &l.MerchantID, &l.Nonce, &l.Amount, &l.Currency, &l.Reference, &l.ReturnURL, &l.PerVisit, &l.URL,
		&created, &expires, &deactivated, &l.Use.Payments, &l.Use.Paid, &l.Use.Open); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, payment.ErrNotFound
		}
		return nil, fmt.Errorf("store: link: %w", err)
	}
	l.Use.Closed = l.Use.Payments - l.Use.Paid - l.Use.Open
	l.CreatedAt, l.ExpiresAt, l.DeactivatedAt = parseTime(created), nullTime(expires), nullTime(deactivated)
	return &l, nil
}

// LinkID is the id of the link whose signed terms carry nonce.
func LinkID(nonce string) string { return "pl_" + nonce }

// SaveLink records a payment link. Recording one that exists (a link minted before links were
// rows, adopted when first opened) changes nothing.
func (db *DB) SaveLink(ctx context.Context, l *payment.Link) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	l.ID = LinkID(l.Nonce)
	if l.CreatedAt.IsZero() {
		l.CreatedAt = tx.now
	}
	var expires sql.NullString
	if !l.ExpiresAt.IsZero() {
		expires = sql.NullString{String: formatTime(l.ExpiresAt), Valid: true}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO payment_links (id, merchant_id, nonce, amount, currency, reference, return_url,
		per_visit, url, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		l.ID, l.MerchantID, l.Nonce, l.Amount, l.Currency, l.Reference, l.ReturnURL, l.PerVisit, l.URL, formatTime(l.CreatedAt), expires); err != nil {
		return fmt.Errorf("store: save link: %w", err)
	}
	return tx.Commit()
}

// LinkByNonce returns the link whose signed terms carry nonce, or ErrNotFound for a link minted
// before links were recorded.
func (db *DB) LinkByNonce(ctx context.Context, nonce string) (*payment.Link, error) {
	return scanLink(db.ro.QueryRowContext(ctx, `SELECT `+linkColumns+linkFrom+` WHERE l.nonce = ? GROUP BY l.id`, nonce))
}

// Link returns one of the merchant's links with its use.
func (db *DB) Link(ctx context.Context, merchantID, id string) (*payment.Link, error) {
	return scanLink(db.ro.QueryRowContext(ctx, `SELECT `+linkColumns+linkFrom+` WHERE l.id = ? AND l.merchant_id = ? GROUP BY l.id`, id, merchantID))
}

// Links returns up to limit of the merchant's links, newest first, with their use; before, when
// not empty, is the id of a link to list from (exclusive), for paging. next is the cursor of the
// next page, empty on the last.
func (db *DB) Links(ctx context.Context, merchantID, before string, limit int) (list []*payment.Link, next string, err error) {
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	where, args := `l.merchant_id = ?`, []any{merchantID}
	if before != "" {
		var created string
		err := db.ro.QueryRowContext(ctx, `SELECT created_at FROM payment_links WHERE id = ? AND merchant_id = ?`, before, merchantID).Scan(&created)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, "", payment.ErrNotFound
		} else if err != nil {
			return nil, "", fmt.Errorf("store: links cursor: %w", err)
		}
		where += ` AND (l.created_at < ? OR (l.created_at = ? AND l.id < ?))`
		args = append(args, created, created, before)
	}
	rows, err := db.ro.QueryContext(ctx, `SELECT `+linkColumns+linkFrom+` WHERE `+where+
		` GROUP BY l.id ORDER BY l.created_at DESC, l.id DESC LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("store: links: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		l, err := scanLink(rows)
		if err != nil {
			return nil, "", err
		}
		list = append(list, l)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("store: links: %w", err)
	}
	if len(list) > limit {
		list = list[:limit]
		next = list[limit-1].ID
	}
	return list, next, nil
}

// DeactivateLink turns one of the merchant's links off for good and returns it as it now stands.
// Deactivating a deactivated link changes nothing and keeps its first deactivation time.
func (db *DB) DeactivateLink(ctx context.Context, merchantID, id string) (*payment.Link, error) {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE payment_links SET deactivated_at = COALESCE(deactivated_at, ?) WHERE id = ? AND merchant_id = ?`,
		formatTime(tx.now), id, merchantID)
	if err != nil {
		return nil, fmt.Errorf("store: deactivate link: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, payment.ErrNotFound
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return db.Link(ctx, merchantID, id)
}
