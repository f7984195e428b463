package store

import (
	"context"

	"paybybank/payment"
)

// ExecForTest runs raw SQL, for tests that check what the schema refuses.
func (db *DB) ExecForTest(ctx context.Context, query string, args ...any) error {
	_, err := db.db.ExecContext(ctx, rebind(db.engine, query), args...)
	db.payments.forgetAll()
	db.auths.forgetAll()
	db.sessions.forgetAll()
	return err
}

// QueryStringForTest reads one text value as the database holds it, for tests that check what is
// written (that a payer's account is not there in clear).
func (db *DB) QueryStringForTest(ctx context.Context, query string, args ...any) (string, error) {
	var v string
	err := db.db.QueryRowContext(ctx, rebind(db.engine, query), args...).Scan(&v)
	return v, err
}

// PaymentFromDisk reads a payment past the cache, for tests that check the cache against the file.
func (db *DB) PaymentFromDisk(ctx context.Context, id string) (*payment.Payment, error) {
	return db.findPayment(ctx, db.ro, `id = ?`, id)
}

// ActiveAuthorisationFromDisk reads a payment's active authorisation past the cache.
func (db *DB) ActiveAuthorisationFromDisk(ctx context.Context, paymentID string) (*payment.Attempt, error) {
	return findAuthorisation(ctx, db.ro, `payment_id = ? AND active = 1`, paymentID)
}

// KeepRowsForBenchmark makes a PostgreSQL store keep payments in memory as SQLite's does, to
// measure what the cache would save there (BenchmarkPostgresPaymentRead).
func (db *DB) KeepRowsForBenchmark() {
	db.payments = newRowCache[*payment.Payment](cacheRows)
}
