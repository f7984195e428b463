package store

import "sync"

// rowCache keeps rows read recently so that a checkout page, reloaded or polled, costs no query.
// It is exact, not approximate: every writer of a cached table is in this process (on SQLite the
// server holds the database's lock, see Lock; on PostgreSQL these caches keep nothing, see NewDB), and each write forgets the rows it touched after its
// commit. A reader that missed the cache stores what it read only if no write was forgotten
// while it read (the generation is unchanged), so a read that raced a write is never kept.
//
// Hand-written rather than taken from a cache library: what it must guarantee is the
// generation check around the read, which a general-purpose cache does not offer.
type rowCache[V any] struct {
	mu   sync.Mutex
	gen  uint64
	rows map[string]V
	max  int
}

func newRowCache[V any](max int) *rowCache[V] {
	return &rowCache[V]{rows: make(map[string]V), max: max}
}

// get returns the cached row for key.
func (c *rowCache[V]) get(key string) (V, bool) {
	c.mu.Lock()
	v, ok := c.rows[key]
	c.mu.Unlock()
	return v, ok
}

// generation is read before a read of the database that may be cached afterwards.
func (c *rowCache[V]) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put keeps v for key if nothing was forgotten since gen was read. When full it starts afresh:
// cheaper than tracking recency, and a miss costs only one query.
func (c *rowCache[V]) put(gen uint64, key string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || c.max == 0 { // a cache of no rows keeps none (PostgreSQL, see NewDB)
		return
	}
	if len(c.rows) >= c.max {
		clear(c.rows)
	}
	c.rows[key] = v
}

// forget drops keys; writers call it after their commit (and on failure, which is harmless).
func (c *rowCache[V]) forget(keys ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, k := range keys {
		delete(c.rows, k)
	}
}

// forgetAll drops every row, for writes that touch many (deleting expired sessions).
func (c *rowCache[V]) forgetAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.rows)
}
