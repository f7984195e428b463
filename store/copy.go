package store

import (
	"context"
	"fmt"
	"strings"
)

// copyTables are the tables CopyTo copies, parents before children. Leases and shared bank
// answers are left: they describe servers at work, and none is when a database moves.
var copyTables = []struct{ name, order string }{
	{"settings", "key"},
	{"merchants", "rowid"},
	{"api_keys", "rowid"},
	{"payments", "rowid"},
	{"payment_events", "id"},
	{"authorisations", "rowid"},
	{"sessions", "id"},
	{"webhook_events", "rowid"},
	{"webhook_attempts", "id"},
	{"idempotency", "rowid"},
	{"payment_links", "rowid"},
	{"webhook_endpoints", "rowid"},
	{"merchant_events", "rowid"},
	{"webhook_deliveries", "rowid"},
	{"webhook_delivery_attempts", "id"},
	{"users", "rowid"},
	{"password_tokens", "rowid"},
	{"user_sessions", "rowid"},
	{"audit_log", "id"},
	{"refunds", "rowid"},
	{"refund_events", "id"},
	{"refund_accounts", "rowid"},
}

// CopyTo copies every row of this SQLite database into to, an empty PostgreSQL one, in one
// transaction, for a merchant moving to several servers (`paybybank migrate --to`). Rows keep
// their order (a payment list's order among payments made in the same microsecond), and the
// event logs' numbering carries on after the copied rows.
func (db *DB) CopyTo(ctx context.Context, to *DB) error {
	if db.engine != engineSQLite || to.engine != enginePostgres {
		return fmt.Errorf("store: copy goes from SQLite to PostgreSQL")
	}
	var n int
	if err := to.ro.QueryRowContext(ctx, `SELECT COUNT(*) FROM merchants`).Scan(&n); err != nil {
		return fmt.Errorf("store: copy: %w", err)
	}
	if n != 0 {
		return fmt.Errorf("store: copy: the PostgreSQL database has merchants already; copy into an empty one")
	}
	tx, err := to.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, t := range copyTables {
		if err := db.copyTable(ctx, tx, t.name, t.order); err != nil {
			return fmt.Errorf("store: copy %s: %w", t.name, err)
		}
	}
	for _, seq := range []string{"payments.rowid", "payment_events.id", "authorisations.rowid", "webhook_events.rowid", "webhook_attempts.id", "webhook_delivery_attempts.id", "audit_log.id", "refund_events.id"} {
		table, col, _ := strings.Cut(seq, ".")
		if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+table+`', '`+col+`'), COALESCE((SELECT MAX(`+col+`) FROM `+table+`), 0) + 1, false)`); err != nil {
			return fmt.Errorf("store: copy: numbering of %s: %w", seq, err)
		}
	}
	return tx.Commit()
}

// copyTable copies one table's rows, column by column as SQLite holds them; the two schemas have
// the same columns (PostgreSQL's rowid is numbered afresh, in the copied order).
func (db *DB) copyTable(ctx context.Context, tx *Tx, table, order string) error {
	rows, err := db.db.QueryContext(ctx, `SELECT * FROM `+table+` ORDER BY `+order)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	insert := `INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES (?` + strings.Repeat(", ?", len(cols)-1) + `)`
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		if _, err := tx.Tx.ExecContext(ctx, rebind(enginePostgres, insert), vals...); err != nil {
			return err
		}
	}
	return rows.Err()
}
