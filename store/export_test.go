package store

import "context"

// ExecForTest runs raw SQL, for tests that check what the schema refuses.
func (db *DB) ExecForTest(ctx context.Context, query string, args ...any) error {
	_, err := db.db.ExecContext(ctx, query, args...)
	return err
}
