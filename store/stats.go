package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Stats are the business figures the operator's /metrics shows, read at scrape time.
type Stats struct {
	// Payments counts payments by status and provider ("" before a bank is chosen).
	Payments []PaymentCount
	// Attempts counts bank authorisations (a shopper's try at a bank) by outcome.
	Attempts []AttemptCount
	// WebhookBacklog is how many deliveries wait for a (next) try; OldestUndelivered is when
	// the oldest of them was queued (zero when none waits).
	WebhookBacklog    int
	OldestUndelivered time.Time
}

// PaymentCount is how many payments have one status at one provider.
type PaymentCount struct {
	Status, Provider string
	N                int
}

// AttemptCount is how many tries at one bank ended one way: the payment's status for the try
// that carried it, "abandoned" for one the shopper left for another (a retry, another bank).
type AttemptCount struct {
	Provider, BIC, Outcome string
	N                      int
}

// Stats reads the figures: one grouped query each, on the read connections.
func (db *DB) Stats(ctx context.Context) (*Stats, error) {
	var st Stats
	rows, err := db.db.QueryContext(ctx, `SELECT status, provider, COUNT(*) FROM payments GROUP BY status, provider`)
	if err != nil {
		return nil, fmt.Errorf("store: stats: %w", err)
	}
	for rows.Next() {
		var c PaymentCount
		if err := rows.Scan(&c.Status, &c.Provider, &c.N); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: stats: %w", err)
		}
		st.Payments = append(st.Payments, c)
	}
	rows.Close()
	rows, err = db.db.QueryContext(ctx, `SELECT a.provider, a.bic, CASE WHEN a.active = 1 THEN p.status ELSE 'abandoned' END, COUNT(*)
		FROM authorisations a JOIN payments p ON p.id = a.payment_id GROUP BY 1, 2, 3`)
	if err != nil {
		return nil, fmt.Errorf("store: stats: %w", err)
	}
	for rows.Next() {
		var c AttemptCount
		if err := rows.Scan(&c.Provider, &c.BIC, &c.Outcome, &c.N); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: stats: %w", err)
		}
		st.Attempts = append(st.Attempts, c)
	}
	rows.Close()
	var oldest sql.NullString
	if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*), MIN(created_at) FROM webhook_deliveries WHERE next_attempt_at IS NOT NULL`).
		Scan(&st.WebhookBacklog, &oldest); err != nil {
		return nil, fmt.Errorf("store: stats: %w", err)
	}
	st.OldestUndelivered = nullTime(oldest)
	return &st, nil
}
