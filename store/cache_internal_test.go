package store

import "testing"

// A read that raced a write must not be kept: the write's forget comes between the reader's
// generation and its put.
func TestRowCacheRefusesARacedRead(t *testing.T) {
	c := newRowCache[string](10)
	gen := c.generation()
	c.forget("pay_1") // a write committed while the reader was reading
	c.put(gen, "pay_1", "old")
	if _, ok := c.get("pay_1"); ok {
		t.Fatal("a read that raced a write was cached")
	}
	c.put(c.generation(), "pay_1", "new")
	if v, ok := c.get("pay_1"); !ok || v != "new" {
		t.Fatalf("a read after the write was not cached: %q %v", v, ok)
	}
	c.forget("pay_1")
	if _, ok := c.get("pay_1"); ok {
		t.Fatal("forget kept the row")
	}
}

func TestRowCacheBounded(t *testing.T) {
	c := newRowCache[int](3)
	for i, k := range []string{"a", "b", "c", "d"} {
		c.put(c.generation(), k, i)
	}
	if len(c.rows) > 3 {
		t.Fatalf("%d rows kept, bound is 3", len(c.rows))
	}
	if v, ok := c.get("d"); !ok || v != 3 {
		t.Fatal("the newest row was not kept")
	}
}
