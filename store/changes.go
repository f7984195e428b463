package store

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// notifyChannel is the PostgreSQL channel on which every server announces the payments it changed.
const notifyChannel = "paybybank_payments"

// changes tells the goroutines waiting on a payment (a shopper's event stream) that it changed.
type changes struct {
	mu   sync.Mutex
	subs map[string]map[chan struct{}]struct{} // payment ID → waiting channels
}

func newChanges() *changes { return &changes{subs: map[string]map[chan struct{}]struct{}{}} }

// Subscribe returns a channel that receives when the payment changes, on this server or, on
// PostgreSQL, on any server of the cluster; cancel stops it. Changes close together may arrive as
// one: the channel says "look again", not what changed.
func (db *DB) Subscribe(paymentID string) (ch <-chan struct{}, cancel func()) {
	c := make(chan struct{}, 1)
	cs := db.changes
	cs.mu.Lock()
	if cs.subs[paymentID] == nil {
		cs.subs[paymentID] = map[chan struct{}]struct{}{}
	}
	cs.subs[paymentID][c] = struct{}{}
	cs.mu.Unlock()
	return c, func() {
		cs.mu.Lock()
		defer cs.mu.Unlock()
		delete(cs.subs[paymentID], c)
		if len(cs.subs[paymentID]) == 0 {
			delete(cs.subs, paymentID)
		}
	}
}

// publish wakes whoever waits on the payments; a waiter not yet awake from the last change is
// not woken twice.
func (cs *changes) publish(paymentIDs ...string) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for _, id := range paymentIDs {
		for c := range cs.subs[id] {
			select {
			case c <- struct{}{}:
			default:
			}
		}
	}
}

// publishAll wakes every waiter: after the listener lost its connection, a change may have passed
// unheard.
func (cs *changes) publishAll() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for _, subs := range cs.subs {
		for c := range subs {
			select {
			case c <- struct{}{}:
			default:
			}
		}
	}
}

// notify queues a NOTIFY for each payment the transaction changed; PostgreSQL sends them at commit
// and drops them on rollback, so no server hears of a change that did not happen.
func (tx *Tx) notify(paymentIDs []string) error {
	seen := make(map[string]bool, len(paymentIDs))
	for _, id := range paymentIDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		if _, err := tx.Tx.ExecContext(context.Background(), `SELECT pg_notify($1, $2)`, notifyChannel, id); err != nil {
			return storageError(err)
		}
	}
	return nil
}

// listen holds one connection of its own LISTENing for every server's payment changes and wakes
// this server's waiters, until the store closes. A lost connection is opened again; meanwhile
// the event streams still look each second, so they lose at most that much.
func (db *DB) listen() {
	defer close(db.listener)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { <-db.closing; cancel() }()
	for ctx.Err() == nil {
		conn, err := pgx.Connect(ctx, db.DSN)
		if err == nil {
			_, err = conn.Exec(ctx, "LISTEN "+notifyChannel)
		}
		if err == nil {
			db.changes.publishAll() // whatever changed while not listening
			for {
				n, err := conn.WaitForNotification(ctx)
				if err != nil {
					break
				}
				db.changes.publish(n.Payload)
			}
		}
		if conn != nil {
			conn.Close(context.Background())
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}
