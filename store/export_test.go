package store

import (
	"context"

	"paybybank/payment"
)

// ExecForTest runs raw SQL, for tests that check what the schema refuses.
func (db *DB) ExecForTest(ctx context.Context, query string, args ...any) error {
	_, err := db.db.ExecContext(ctx, query, args...)
	db.payments.forgetAll()
	db.sessions.forgetAll()
	return err
}

// PaymentFromDisk reads a payment past the cache, for tests that check the cache against the file.
func (db *DB) PaymentFromDisk(ctx context.Context, id string) (*payment.Payment, error) {
	return findPayment(ctx, db.ro, `id = ?`, id)
}
