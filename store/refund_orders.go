package store

import (
	"context"
	"fmt"

	"paybybank/payment"
)

// RefundOrder returns a refund order (a payment of kind refund, which a person of the merchant
// authorises at the merchant's bank) if it is the merchant's, else ErrNotFound: the workspace
// follows its people's orders with it, and never reads a merchant's payment through it.
func (db *DB) RefundOrder(ctx context.Context, merchantID, id string) (*payment.Payment, error) {
	p, err := db.Payment(ctx, id)
	if err == nil && (p.MerchantID != merchantID || p.Kind != payment.KindRefund) {
		return nil, payment.ErrNotFound
	}
	return p, err
}

// RecentRefunds returns the merchant's latest refunds that have left the list to authorise
// (authorising, processing or ended), newest first, at most limit of them.
func (db *DB) RecentRefunds(ctx context.Context, merchantID string, limit int) ([]*payment.Refund, error) {
	rows, err := db.ro.QueryContext(ctx, `SELECT `+refundColumns+` FROM refunds
		WHERE merchant_id = ? AND status <> 'awaiting_authorisation' ORDER BY updated_at DESC, rowid DESC LIMIT ?`, merchantID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: recent refunds: %w", err)
	}
	defer rows.Close()
	out := []*payment.Refund{}
	for rows.Next() {
		r, err := db.scanRefund(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
