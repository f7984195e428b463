package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"paybybank/payment"
	"paybybank/store"
)

// openTwo opens two servers' handles on one fresh database of the test's engine (on SQLite they
// stand for a server and a command beside it; on PostgreSQL for two servers).
func openTwo(t *testing.T, now func() time.Time) (*store.DB, *store.DB) {
	dsn := freshDSN(t)
	var dbs [2]*store.DB
	for i := range dbs {
		dbs[i] = store.NewDB(dsn, now)
		if err := dbs[i].Open(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { dbs[i].Close() })
	}
	return dbs[0], dbs[1]
}

// TestLeases: a lease is one holder's until it runs out, its holder renews it, and another takes
// it over once it has run out (the holder died).
func TestLeases(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	a, b := openTwo(t, func() time.Time { return now })
	ctx := context.Background()
	for _, step := range []struct {
		name  string
		db    *store.DB
		after time.Duration
		held  bool
	}{
		{"FirstTakes", a, 0, true},
		{"OtherRefused", b, time.Second, false},
		{"HolderRenews", a, time.Second, true},
		{"OtherStillRefused", b, 9 * time.Second, false},
		{"TakenOverOnceRunOut", b, 2 * time.Second, true},
		{"FormerHolderRefused", a, 0, false},
	} {
		now = now.Add(step.after)
		held, err := step.db.ClaimLease(ctx, "reconciler", 10*time.Second)
		if err != nil || held != step.held {
			t.Fatalf("%s: held %v, %v; want %v", step.name, held, err, step.held)
		}
	}
}

// TestWebhookClaims: servers taking due events at once never take the same one, and an event
// claimed by a server that died is due again once its lease has run out.
func TestWebhookClaims(t *testing.T) {
	a, b := openTwo(t, nil)
	ctx := context.Background()
	m := mustMerchant(t, a)
	if _, err := a.SetWebhook(ctx, m.ID, "https://shop.example/hook"); err != nil {
		t.Fatal(err)
	}
	for range 40 {
		p, _, err := a.CreatePayment(ctx, newPayment(m), "", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Transition(ctx, p.ID, payment.Transition{From: payment.StatusOpen, To: payment.StatusCancelled, Cause: payment.CauseMerchant}); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for _, db := range []*store.DB{a, b, a, b} {
		wg.Go(func() {
			for {
				due, err := db.DueWebhooks(ctx, now, 7)
				if err != nil {
					t.Error(err)
					return
				}
				if len(due) == 0 {
					return
				}
				mu.Lock()
				for _, d := range due {
					seen[d.Event.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != 40 {
		t.Fatalf("%d events claimed, want 40", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("event %s claimed %d times", id, n)
		}
	}
	// Nobody recorded an attempt: the claimers died. Within the lease nothing is due; after it, all.
	if due, err := b.DueWebhooks(ctx, now.Add(store.WebhookLease-time.Second), 100); err != nil || len(due) != 0 {
		t.Fatalf("within the lease: %d due, %v", len(due), err)
	}
	if due, err := b.DueWebhooks(ctx, now.Add(store.WebhookLease+time.Second), 100); err != nil || len(due) != 40 {
		t.Fatalf("after the lease: %d due, %v", len(due), err)
	}
}

// TestSubscribe: a change made through one handle wakes who waits on the payment through the
// other within 250 ms (PostgreSQL: NOTIFY between servers), and only them.
func TestSubscribe(t *testing.T) {
	a, b := openTwo(t, nil)
	if !onPostgres(t) {
		b = a // one SQLite server: its own writes wake its own streams
	}
	ctx := context.Background()
	m := mustMerchant(t, a)
	p, _, err := a.CreatePayment(ctx, newPayment(m), "", "")
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := a.CreatePayment(ctx, newPayment(m), "", "")
	if err != nil {
		t.Fatal(err)
	}
	ch, cancel := b.Subscribe(p.ID)
	defer cancel()
	// Wait until b's listener hears changes: a third payment's change reaches its waiter. The
	// listener wakes every waiter once when it connects (a change may have passed unheard), so
	// what ch holds by then is that, not news of p.
	warm, _, err := a.CreatePayment(ctx, newPayment(m), "", "")
	if err != nil {
		t.Fatal(err)
	}
	wch, wcancel := b.Subscribe(warm.ID)
	defer wcancel()
	if _, err := a.Transition(ctx, warm.ID, payment.Transition{From: payment.StatusOpen, To: payment.StatusCancelled, Cause: payment.CauseMerchant}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-wch:
	case <-time.After(10 * time.Second):
		t.Fatal("the listener never heard a change")
	}
	select {
	case <-ch:
	default:
	}
	if _, err := a.Transition(ctx, other.ID, payment.Transition{From: payment.StatusOpen, To: payment.StatusCancelled, Cause: payment.CauseMerchant}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
		t.Fatal("woken by another payment's change")
	case <-time.After(300 * time.Millisecond):
	}
	start := time.Now()
	if _, err := a.Transition(ctx, p.ID, payment.Transition{From: payment.StatusOpen, To: payment.StatusCancelled, Cause: payment.CauseMerchant}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
		t.Logf("heard after %v", time.Since(start))
	case <-time.After(250 * time.Millisecond):
		t.Fatal("not told of the change within 250 ms")
	}
}
