// Package store keeps paybybank's state in SQLite (modernc.org/sqlite, no cgo).
// Each exported method takes a context, runs in one transaction and composes small
// unexported helpers, in the style of benbjohnson/wtf.
package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"paybybank/payment"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// timeFormat is how times are stored: UTC, fixed width, so that text order is time order.
const timeFormat = "2006-01-02T15:04:05.000000Z"

// DB is the SQLite database.
type DB struct {
	db *sql.DB
	ro *stmts // cached statements for reads outside transactions

	merchants sync.Map                    // id → cachedMerchant
	payments  *rowCache[*payment.Payment] // id → payment, see rowCache
	auths     *rowCache[*payment.Attempt] // payment id → its active authorisation
	tokens    *rowCache[string]           // checkout token → payment id
	sessions  *rowCache[sessionRow]       // session id → values and expiry

	lock       io.Closer       // the lock file while this process serves the database (Lock)
	owner      string          // this process's name on the claims it makes (idempotency keys)
	creates    chan *createReq // payment creations, committed in groups by createWriter
	closing    chan struct{}
	writerDone chan struct{}
	DSN        string
	// Now is the clock; tests replace it.
	Now func() time.Time
}

// NewDB returns a DB for the file at path; call Open before use.
func NewDB(path string) *DB {
	return &DB{DSN: path, Now: time.Now, owner: "proc_" + uuid.NewString(),
		payments: newRowCache[*payment.Payment](cacheRows), tokens: newRowCache[string](cacheRows),
		auths:    newRowCache[*payment.Attempt](cacheRows),
		sessions: newRowCache[sessionRow](cacheRows)}
}

// Open opens the database, sets the pragmas on every connection and runs the migrations.
// WAL with synchronous=FULL makes every committed money change durable across a power cut.
func (db *DB) Open() error {
	if db.DSN == "" {
		return fmt.Errorf("store: database path required")
	}
	dsn := "file:" + db.DSN + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate"
	var err error
	if db.db, err = sql.Open("sqlite", dsn); err != nil {
		return fmt.Errorf("store: open: %w", err)
	}
	db.db.SetMaxOpenConns(8)
	db.db.SetMaxIdleConns(8)
	if err := db.migrate(); err != nil {
		db.db.Close()
		return err
	}
	db.ro = &stmts{db: db.db}
	db.creates, db.closing, db.writerDone = make(chan *createReq), make(chan struct{}), make(chan struct{})
	go db.createWriter()
	return nil
}

// Close closes the database.
func (db *DB) Close() error {
	if db.db == nil {
		return nil
	}
	if db.closing != nil {
		select {
		case <-db.closing:
		default:
			close(db.closing)
			<-db.writerDone
		}
	}
	if db.ro != nil {
		db.ro.close()
	}
	err := db.db.Close()
	if db.lock != nil {
		db.lock.Close()
	}
	return err
}

// Ping checks that the database answers; /readyz uses it.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.db.QueryRowContext(ctx, `SELECT 1`).Scan(&one)
}

// migrate runs every embedded migration not yet recorded, each in its own transaction.
func (db *DB) migrate() error {
	if _, err := db.db.Exec(`CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY);`); err != nil {
		return fmt.Errorf("store: migrations table: %w", err)
	}
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		if err := db.migrateFile(name); err != nil {
			return fmt.Errorf("store: migration %s: %w", name, err)
		}
	}
	return nil
}

func (db *DB) migrateFile(name string) error {
	tx, err := db.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM migrations WHERE name = ?`, name).Scan(&n); err != nil {
		return err
	}
	if n != 0 {
		return nil
	}
	buf, err := fs.ReadFile(migrationFS, name)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(string(buf)); err != nil {
		return err
	}
	if _, err := tx.Exec(`INSERT INTO migrations (name) VALUES (?)`, name); err != nil {
		return err
	}
	return tx.Commit()
}

// cacheRows bounds each row cache: 10,000 payments are a few megabytes.
const cacheRows = 10000

// Tx is a transaction with the time it started, so every row it writes carries one timestamp.
type Tx struct {
	*sql.Tx
	now      time.Time
	stmts    *stmts
	db       *DB
	payments []string // payments written, forgotten by the cache once the transaction ends
	auths    []string // payments whose authorisations were written, likewise
}

// changedPayment notes that the transaction writes the payment's row; every UPDATE of payments
// calls it, so the cache never serves a payment older than its last commit.
func (tx *Tx) changedPayment(id string) { tx.payments = append(tx.payments, id) }

// changedAuthorisation notes that the transaction writes an authorisation of the payment; every
// write of authorisations calls it.
func (tx *Tx) changedAuthorisation(paymentID string) { tx.auths = append(tx.auths, paymentID) }

// Commit commits, then makes the caches forget the rows written. A write the disk refused is
// ErrUnavailable.
func (tx *Tx) Commit() error {
	err := storageError(tx.Tx.Commit())
	if len(tx.payments) > 0 {
		tx.db.payments.forget(tx.payments...)
	}
	if len(tx.auths) > 0 {
		tx.db.auths.forget(tx.auths...)
	}
	return err
}

// BeginTx starts a write transaction (BEGIN IMMEDIATE, so conditional updates never race). A
// database that cannot write is ErrUnavailable.
func (db *DB) BeginTx(ctx context.Context) (*Tx, error) {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, storageError(err)
	}
	return &Tx{Tx: tx, now: db.Now().UTC().Truncate(time.Microsecond), stmts: db.ro, db: db}, nil
}

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(timeFormat, s)
	return t
}

func nullTime(s sql.NullString) time.Time {
	if !s.Valid {
		return time.Time{}
	}
	return parseTime(s.String)
}
