package store

import (
	"context"
	"database/sql"
	"sync"
)

// stmts caches prepared statements by their text. Parsing SQL was a third of a checkout page's
// time in the profile; database/sql then keeps each statement prepared per connection.
type stmts struct {
	db     *sql.DB
	engine engine
	m      sync.Map // query → *sql.Stmt
}

func (s *stmts) get(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := s.m.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.db.PrepareContext(ctx, rebind(s.engine, query))
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.m.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

func (s *stmts) close() {
	s.m.Range(func(k, v any) bool { v.(*sql.Stmt).Close(); return true })
}

// QueryRowContext runs a cached statement outside any transaction (WAL readers never block).
func (s *stmts) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := s.get(ctx, query)
	if err != nil {
		return s.db.QueryRowContext(ctx, rebind(s.engine, query), args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// QueryContext runs a cached statement outside any transaction.
func (s *stmts) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := s.get(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// cached returns the statement for query if it is prepared already. A transaction must never
// prepare one itself: preparing takes a second connection from the pool while the transaction
// holds its own and the write lock, and with every connection held by such transactions none is
// left, so each waits for the lock until its busy timeout (seen under load on a fresh server).
// The statement is prepared in the background instead, for next time.
func (tx *Tx) cached(query string) (*sql.Stmt, bool) {
	if st, ok := tx.stmts.m.Load(query); ok {
		return st.(*sql.Stmt), true
	}
	go tx.stmts.get(context.Background(), query)
	return nil, false
}

// ExecContext runs a statement in the transaction, prepared once and kept when it can be. A
// write the disk refused is ErrUnavailable.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (res sql.Result, err error) {
	if st, ok := tx.cached(query); ok {
		res, err = tx.Tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	} else {
		res, err = tx.Tx.ExecContext(ctx, rebind(tx.db.engine, query), args...)
	}
	return res, storageError(err)
}

// QueryRowContext runs a statement in the transaction, prepared once and kept when it can be.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st, ok := tx.cached(query); ok {
		return tx.Tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return tx.Tx.QueryRowContext(ctx, rebind(tx.db.engine, query), args...)
}

// QueryContext runs a query in the transaction.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return tx.Tx.QueryContext(ctx, rebind(tx.db.engine, query), args...)
}
