//go:build !unix

package store

// Lock is a no-op where flock is missing; run one server per SQLite database there.
func (db *DB) Lock() error { return nil }
