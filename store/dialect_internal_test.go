package store

import "testing"

func TestRebind(t *testing.T) {
	for _, tc := range []struct {
		name   string
		e      engine
		in     string
		wanted string
	}{
		{"PostgresNumbers", enginePostgres, `SELECT a FROM t WHERE b = ? AND c = ?`, `SELECT a FROM t WHERE b = $1 AND c = $2`},
		{"PostgresLeavesQuoted", enginePostgres, `SELECT '?' , 'it''s ?' FROM t WHERE b = ?`, `SELECT '?' , 'it''s ?' FROM t WHERE b = $1`},
		{"PostgresKeepsLocks", enginePostgres, `SELECT id FROM t WHERE a = ? FOR UPDATE SKIP LOCKED`, `SELECT id FROM t WHERE a = $1 FOR UPDATE SKIP LOCKED`},
		{"PostgresNumberedPlaceholders", enginePostgres, `SELECT a FROM t WHERE b = ?1 OR c = ?1 AND d = ?2`, `SELECT a FROM t WHERE b = $1 OR c = $1 AND d = $2`},
		{"PostgresJSONExtract", enginePostgres, `SELECT 1 FROM p WHERE json_extract(p.metadata, '$.payment_link') = ?`, `SELECT 1 FROM p WHERE (p.metadata::jsonb ->> 'payment_link') = $1`},
		{"PostgresLikeIgnoresCase", enginePostgres, `SELECT 1 FROM p WHERE reference LIKE ? ESCAPE '\'`, `SELECT 1 FROM p WHERE reference ILIKE $1 ESCAPE '\'`},
		{"SQLiteKeepsPlaceholders", engineSQLite, `SELECT a FROM t WHERE b = ?`, `SELECT a FROM t WHERE b = ?`},
		{"SQLiteDropsLocks", engineSQLite, `SELECT id FROM t WHERE a = ? FOR UPDATE SKIP LOCKED`, `SELECT id FROM t WHERE a = ?`},
		{"SQLiteDropsForUpdate", engineSQLite, `SELECT extra FROM t WHERE id = ? FOR UPDATE`, `SELECT extra FROM t WHERE id = ?`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := rebind(tc.e, tc.in); got != tc.wanted {
				t.Fatalf("got %q, want %q", got, tc.wanted)
			}
		})
	}
}
