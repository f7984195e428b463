package store

import (
	"context"
	"database/sql"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// engine is the database behind the store. The SQL is written once, in the dialect both engines
// share, and rebind adapts the little that differs.
type engine int

const (
	engineSQLite engine = iota
	enginePostgres
)

// IsPostgres reports whether a --db value names a PostgreSQL database (a postgres:// URL) rather
// than a SQLite file.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// rebound keeps each query's rewriting: the store's queries are a few hundred constant strings.
var rebound sync.Map // engine and query → rewritten query

// rebind rewrites a query written for both engines into e's dialect. The store writes `?`
// placeholders, which PostgreSQL numbers ($1, $2…), and row locks (FOR UPDATE, SKIP LOCKED),
// which SQLite has no need of: its write transactions (BEGIN IMMEDIATE) hold the whole database.
func rebind(e engine, query string) string {
	key := strconv.Itoa(int(e)) + query
	if q, ok := rebound.Load(key); ok {
		return q.(string)
	}
	var q string
	switch e {
	case enginePostgres:
		q = numberPlaceholders(query)
	default:
		q = strings.ReplaceAll(strings.ReplaceAll(query, " FOR UPDATE SKIP LOCKED", ""), " FOR UPDATE", "")
	}
	rebound.Store(key, q)
	return q
}

// jsonExtract is SQLite's json_extract(column, '$.key') on a TEXT column holding a JSON object,
// which PostgreSQL writes (column::jsonb ->> 'key').
var jsonExtract = regexp.MustCompile(`json_extract\(([a-z_.]+), '\$\.([a-z_]+)'\)`)

// numberPlaceholders turns each `?` outside quotes into $1, $2… in order; an explicitly
// numbered `?N` (a value used twice) becomes $N. It also writes json_extract and LIKE as PostgreSQL does.
func numberPlaceholders(query string) string {
	query = jsonExtract.ReplaceAllString(query, "($1::jsonb ->> '$2')")
	// SQLite's LIKE ignores the case of ASCII letters; PostgreSQL's ILIKE is that.
	query = strings.ReplaceAll(query, " LIKE ", " ILIKE ")
	var b strings.Builder
	b.Grow(len(query) + 16)
	n, quoted := 0, false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			quoted = !quoted // '' inside a literal toggles twice: still inside
		case c == '?' && !quoted && i+1 < len(query) && query[i+1] >= '0' && query[i+1] <= '9':
			b.WriteByte('$')
			continue
		case c == '?' && !quoted:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// flag stores a bool as 0 or 1, the flags' type on both engines (pgx encodes no bool as BIGINT).
func flag(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// exec, query and queryRow run a statement outside a transaction in the engine's dialect, for
// the few writes and reads that need no transaction of their own (sign-in bookkeeping, the audit
// log).
func (db *DB) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return db.db.ExecContext(ctx, rebind(db.engine, query), args...)
}

func (db *DB) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return db.db.QueryContext(ctx, rebind(db.engine, query), args...)
}

func (db *DB) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return db.db.QueryRowContext(ctx, rebind(db.engine, query), args...)
}
