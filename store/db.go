// Package store keeps paybybank's state in SQLite (modernc.org/sqlite, no cgo) or, for several
// servers on one database, in PostgreSQL (jackc/pgx through database/sql). The SQL is written
// once (rebind adapts it); each engine has its own numbered migrations. Each exported method takes
// a context, runs in one transaction and composes small unexported helpers, in the style of
// benbjohnson/wtf.
package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"paybybank/payment"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFS embed.FS

// timeFormat is how times are stored: UTC, fixed width, so that text order is time order.
const timeFormat = "2006-01-02T15:04:05.000000Z"

// DB is the database, SQLite or PostgreSQL.
type DB struct {
	db     *sql.DB
	engine engine
	ro     *stmts // cached statements for reads outside transactions

	merchants sync.Map                    // id → cachedMerchant
	payments  *rowCache[*payment.Payment] // id → payment, see rowCache
	auths     *rowCache[*payment.Attempt] // payment id → its active authorisation
	tokens    *rowCache[string]           // checkout token → payment id
	sessions  *rowCache[sessionRow]       // session id → values and expiry

	changes    *changes        // who waits to hear of a payment's change (Subscribe)
	listener   chan struct{}   // closed when PostgreSQL's listener has stopped
	lock       io.Closer       // the lock file while this process serves the database (Lock)
	owner      string          // this process's name on the claims it makes (idempotency keys)
	creates    chan *createReq // payment creations, committed in groups by createWriter
	closing    chan struct{}
	writerDone chan struct{}
	DSN        string
	now        func() time.Time       // the clock every stored time is read from (Now)
	sealer     atomic.Pointer[sealer] // encrypts payers' accounts at rest (UseSecret)
}

// NewDB returns a DB for dsn, a SQLite file's path or a postgres:// URL; call Open before use.
//
// Payments, authorisations and sessions read are kept in memory (rowCache) only on SQLite, where
// this process is the database's one server (Lock). On PostgreSQL other servers write the same
// rows; invalidating through NOTIFY would still leave a window between another server's commit
// and its notice in which a stale row is served, so there every read goes to the database.
// Tokens name their payment for ever and stay cached on both.
//
// now is the clock every time the store writes or compares is read from (nil: time.Now); tests
// pass a fake one, the same the rest of the server reads (app.Config.Now).
func NewDB(dsn string, now func() time.Time) *DB {
	if now == nil {
		now = time.Now
	}
	rows := cacheRows
	e := engineSQLite
	if IsPostgres(dsn) {
		rows, e = 0, enginePostgres
	}
	return &DB{DSN: dsn, engine: e, now: now, owner: "proc_" + uuid.NewString(),
		payments: newRowCache[*payment.Payment](rows), tokens: newRowCache[string](cacheRows),
		auths:    newRowCache[*payment.Attempt](rows),
		sessions: newRowCache[sessionRow](rows), changes: newChanges()}
}

// Now is the store's clock.
func (db *DB) Now() time.Time { return db.now() }

// Postgres reports whether the database is PostgreSQL, where several servers may share it.
func (db *DB) Postgres() bool { return db.engine == enginePostgres }

// Open opens the database and runs the migrations. On SQLite it sets the pragmas on every
// connection: WAL with synchronous=FULL makes every committed money change durable across a
// power cut. On PostgreSQL it also starts listening for other servers' payment changes.
func (db *DB) Open() error {
	if db.DSN == "" {
		return fmt.Errorf("store: database path required")
	}
	var err error
	if db.engine == enginePostgres {
		if db.db, err = sql.Open("pgx", db.DSN); err != nil {
			return fmt.Errorf("store: open: %w", err)
		}
		db.db.SetMaxOpenConns(16)
		db.db.SetMaxIdleConns(16)
	} else {
		dsn := "file:" + db.DSN + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate"
		if db.db, err = sql.Open("sqlite", dsn); err != nil {
			return fmt.Errorf("store: open: %w", err)
		}
		db.db.SetMaxOpenConns(8)
		db.db.SetMaxIdleConns(8)
	}
	if err := db.migrate(); err != nil {
		db.db.Close()
		return err
	}
	db.ro = &stmts{db: db.db, engine: db.engine}
	db.loadOwnSecret(context.Background())
	db.creates, db.closing, db.writerDone = make(chan *createReq), make(chan struct{}), make(chan struct{})
	go db.createWriter()
	if db.engine == enginePostgres {
		db.listener = make(chan struct{})
		go db.listen()
	}
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
			if db.listener != nil {
				<-db.listener
			}
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

// migrationLock is the PostgreSQL advisory lock servers starting together take in turn, so one
// runs the migrations and the others find them done.
const migrationLock = 7_140_118_018

// migrate runs every embedded migration of the engine not yet recorded, each in its own
// transaction, in the order of their names. A migration is recorded as migrations/NNN_name.sql
// whatever its engine (the name databases made before there were two engines carry).
func (db *DB) migrate() error {
	ctx := context.Background()
	conn, err := db.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", storageError(err))
	}
	defer conn.Close()
	if db.engine == enginePostgres {
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
			return fmt.Errorf("store: migrations lock: %w", storageError(err))
		}
		defer conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, migrationLock)
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY)`); err != nil {
		return fmt.Errorf("store: migrations table: %w", err)
	}
	dir := "migrations/sqlite"
	if db.engine == enginePostgres {
		dir = "migrations/postgres"
	}
	names, err := fs.Glob(migrationFS, dir+"/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		if err := db.migrateFile(ctx, conn, name); err != nil {
			return fmt.Errorf("store: migration %s: %w", name, err)
		}
	}
	return nil
}

func (db *DB) migrateFile(ctx context.Context, conn *sql.Conn, file string) error {
	name := "migrations/" + path.Base(file)
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, rebind(db.engine, `SELECT COUNT(*) FROM migrations WHERE name = ?`), name).Scan(&n); err != nil {
		return err
	}
	if n != 0 {
		return nil
	}
	buf, err := fs.ReadFile(migrationFS, file)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(buf)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, rebind(db.engine, `INSERT INTO migrations (name) VALUES (?)`), name); err != nil {
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

// Commit commits, then makes the caches forget the rows written and tells who waits on the
// payments changed (Subscribe). On PostgreSQL the news goes out with the commit, by NOTIFY, to
// every server, this one included. A write the disk refused is ErrUnavailable.
func (tx *Tx) Commit() error {
	changed := append(tx.payments, tx.auths...)
	if tx.db.engine == enginePostgres && len(changed) > 0 {
		if err := tx.notify(changed); err != nil {
			return err
		}
	}
	err := storageError(tx.Tx.Commit())
	if len(tx.payments) > 0 {
		tx.db.payments.forget(tx.payments...)
	}
	if len(tx.auths) > 0 {
		tx.db.auths.forget(tx.auths...)
	}
	if err == nil && tx.db.engine == engineSQLite {
		tx.db.changes.publish(changed...)
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
