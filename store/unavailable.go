package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrUnavailable means the database cannot write now: the disk is full, the file went read-only
// or the device fails. It passes (a full disk is freed, a mount comes back), so callers answer
// "try again shortly" rather than "something broke".
var ErrUnavailable = errors.New("storage unavailable")

// storageError marks SQLite's "cannot write" failures as ErrUnavailable, keeping the original
// for the log; every other error is returned as it is. Extended codes (SQLITE_IOERR_WRITE,
// SQLITE_READONLY_DBMOVED…) carry their primary code in the low byte.
//
// On PostgreSQL the same failures are SQLSTATE class 53 (disk full, out of memory, too many
// connections), 25006 (read-only transaction: a standby, or default_transaction_read_only),
// 57P03 (cannot connect now: starting up or shutting down) and the connection failures of class 08
// and of pgconn's own (the server cannot be reached).
func storageError(err error) error {
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		if strings.HasPrefix(pe.Code, "53") || strings.HasPrefix(pe.Code, "08") || pe.Code == "25006" || pe.Code == "57P03" {
			return fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return err
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN:
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

// ProbeWrite asks whether the database can write now, for /readyz: a full disk still answers
// SELECT 1. It commits one small row of settings, and inside a savepoint it rolls back it stores
// a value of two pages, which needs pages the file does not have unless some are free: a disk
// too full for the next payment fails here too, and the probe itself never grows the file.
//
// On PostgreSQL the probe commits the one row only: its server has its own disk, and its refusal
// of that write (disk full, read-only standby) is the answer.
func (db *DB) ProbeWrite(ctx context.Context) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return fmt.Errorf("store: write probe: %w", err)
	}
	defer tx.Rollback()
	probe := []string{
		`INSERT INTO settings (key, value) VALUES ('write_probe', '` + formatTime(tx.now) + `')
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
		`SAVEPOINT write_probe`,
		`INSERT OR REPLACE INTO settings (key, value) VALUES ('write_probe_space', zeroblob(8192))`,
		`ROLLBACK TO write_probe`,
		`RELEASE write_probe`,
	}
	if db.engine == enginePostgres {
		probe = probe[:1]
	}
	for _, q := range probe {
		if _, err := tx.Tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("store: write probe: %w", storageError(err))
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: write probe: %w", err)
	}
	return nil
}

// ExecEveryConn runs a per-connection statement, such as a PRAGMA, on every connection of the
// pool: it holds them all at once, so none is missed. Tests use it to make writes fail as on a
// full disk (PRAGMA query_only, PRAGMA max_page_count) and to lift that again.
func (db *DB) ExecEveryConn(ctx context.Context, query string) error {
	n := db.db.Stats().MaxOpenConnections
	for i := 0; i < n; i++ {
		c, err := db.db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("store: connection %d: %w", i, err)
		}
		defer c.Close()
		if _, err := c.ExecContext(ctx, query); err != nil {
			return fmt.Errorf("store: %s: %w", query, err)
		}
	}
	return nil
}
