//go:build unix

package store

import (
	"context"
	"fmt"
	"os"
	"syscall"
)

// Lock makes this process the database's only server. The server keeps payments and sessions
// it has read in memory (rowCache) and forgets them as it writes them, which is exact only while
// no other server writes the same file; a second `paybybank serve` on it is refused here. The
// lock is the kernel's (flock) and goes with the process, even on kill -9. Commands such as
// `paybybank merchant create` do not take it: they write merchants, never payments or sessions.
//
// Holding the lock, this process knows that whatever another process left in progress is dead:
// idempotency keys claimed by a request that never answered are released here, so a merchant's
// retry after a crash runs at once (and finds the payment the dead process created, if it did).
// With several servers on one database this would be the lease's job alone (BeginIdempotent).
//
// On PostgreSQL Lock does nothing: several servers share the database by design, keep no rows in
// memory (NewDB), and a dead server's idempotency claims run out with their lease.
func (db *DB) Lock() error {
	if db.engine == enginePostgres {
		return nil
	}
	f, err := os.OpenFile(db.DSN+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("store: lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return fmt.Errorf("store: %s is in use by another paybybank server (lock %s.lock): %w", db.DSN, db.DSN, err)
	}
	db.lock = f
	if db.db == nil {
		return nil // not open yet: nothing to release
	}
	if _, err := db.releaseDeadClaims(context.Background()); err != nil {
		return fmt.Errorf("store: lock: %w", err)
	}
	return nil
}
