package store_test

import (
	"context"
	"testing"

	"paybybank/internal/pgtest"
	"paybybank/payment"
	"paybybank/store"
)

// TestPostgresCopyFromSQLite: payments made on SQLite, copied, read back on PostgreSQL with their
// events, webhooks and keys; new events there carry on the numbering.
func TestPostgresCopyFromSQLite(t *testing.T) {
	ctx := context.Background()
	src := store.NewDB(t.TempDir()+"/src.db", nil)
	if err := src.Open(); err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	m := mustMerchant(t, src)
	key, err := src.CreateAPIKey(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.SetWebhook(ctx, m.ID, "https://shop.example/hook"); err != nil {
		t.Fatal(err)
	}
	var made []*payment.Payment
	for i := range 5 {
		p, _, err := src.CreatePayment(ctx, newPayment(m), string(rune('a'+i)), "h")
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, p)
	}
	if _, err := src.Transition(ctx, made[0].ID, payment.Transition{From: payment.StatusOpen, To: payment.StatusCancelled, Cause: payment.CauseMerchant}); err != nil {
		t.Fatal(err)
	}

	dst := store.NewDB(pgtest.URL(t), nil)
	if err := dst.Open(); err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if err := src.CopyTo(ctx, dst); err != nil {
		t.Fatal(err)
	}
	t.Run("Payments", func(t *testing.T) {
		got, _, err := dst.Payments(ctx, m.ID, payment.ListFilter{})
		if err != nil || len(got) != len(made) {
			t.Fatalf("%d payments, %v", len(got), err)
		}
		for i, p := range got { // newest first, as on SQLite
			if want := made[len(made)-1-i]; p.ID != want.ID || p.Token != want.Token || p.AmountMinor != want.AmountMinor {
				t.Fatalf("payment %d: %+v, want %+v", i, p, want)
			}
		}
		if p, err := dst.Payment(ctx, made[0].ID); err != nil || p.Status != payment.StatusCancelled {
			t.Fatalf("%+v %v", p, err)
		}
	})
	t.Run("EventsAndWebhooks", func(t *testing.T) {
		ev, err := dst.Events(ctx, made[0].ID)
		if err != nil || len(ev) != 2 || ev[1].To != payment.StatusCancelled {
			t.Fatalf("%+v %v", ev, err)
		}
		wh, err := dst.PaymentWebhooks(ctx, made[0].ID)
		if err != nil || len(wh) != 1 {
			t.Fatalf("%+v %v", wh, err)
		}
		p, err := dst.Transition(ctx, made[1].ID, payment.Transition{From: payment.StatusOpen, To: payment.StatusCancelled, Cause: payment.CauseMerchant})
		if err != nil {
			t.Fatal(err)
		}
		after, _ := dst.Events(ctx, p.ID)
		if after[len(after)-1].ID <= ev[1].ID {
			t.Fatalf("new event numbered %d after copied %d", after[len(after)-1].ID, ev[1].ID)
		}
	})
	t.Run("KeysAndIdempotency", func(t *testing.T) {
		if got, err := dst.MerchantByAPIKey(ctx, key); err != nil || got.ID != m.ID {
			t.Fatalf("%+v %v", got, err)
		}
		p, created, err := dst.CreatePayment(ctx, newPayment(m), "a", "h")
		if err != nil || created || p.ID != made[0].ID {
			t.Fatalf("replayed key: %v %v %v", p, created, err)
		}
	})
	t.Run("RefusesATargetInUse", func(t *testing.T) {
		if err := src.CopyTo(ctx, dst); err == nil {
			t.Fatal("copied into a database with merchants")
		}
	})
}
