package store_test

import (
	"context"
	"errors"
	"testing"

	"paybybank/payment"
)

// Rotation: a second key works beside the first; revoking the first refuses it at once (even
// though a look-up just cached it) and leaves the second working.
func TestAPIKeyRevocation(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	m := mustMerchant(t, db)
	old, err := db.CreateAPIKey(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := db.CreateAPIKey(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{old, fresh} {
		if _, err := db.MerchantByAPIKey(ctx, k); err != nil {
			t.Fatalf("live key refused: %v", err)
		}
	}
	oldKey, err := db.LiveAPIKey(ctx, old)
	if err != nil || oldKey.MerchantID != m.ID || oldKey.Hint != old[len(old)-4:] || oldKey.Revoked() {
		t.Fatalf("%+v %v", oldKey, err)
	}
	t.Run("ErrNotFound", func(t *testing.T) {
		other := mustMerchant(t, db)
		if err := db.RevokeAPIKey(ctx, other.ID, oldKey.ID); !errors.Is(err, payment.ErrNotFound) {
			t.Fatalf("another merchant's key: %v", err)
		}
		if _, err := db.MerchantByAPIKey(ctx, old); err != nil {
			t.Fatalf("key revoked by another merchant: %v", err)
		}
	})
	t.Run("OK", func(t *testing.T) {
		if err := db.RevokeAPIKey(ctx, m.ID, oldKey.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.RevokeAPIKey(ctx, m.ID, oldKey.ID); err != nil {
			t.Fatalf("revoking twice: %v", err)
		}
		if _, err := db.MerchantByAPIKey(ctx, old); !errors.Is(err, payment.ErrNotFound) {
			t.Fatalf("revoked key still accepted: %v", err)
		}
		if _, err := db.LiveAPIKey(ctx, old); !errors.Is(err, payment.ErrNotFound) {
			t.Fatalf("revoked key still live: %v", err)
		}
		if _, err := db.MerchantByAPIKey(ctx, fresh); err != nil {
			t.Fatalf("the new key stopped working: %v", err)
		}
		keys, err := db.APIKeys(ctx, m.ID)
		if err != nil || len(keys) != 2 {
			t.Fatalf("%+v %v", keys, err)
		}
		for _, k := range keys {
			if k.Revoked() != (k.ID == oldKey.ID) || k.CreatedAt.IsZero() {
				t.Fatalf("listing: %+v", k)
			}
		}
		k, err := db.APIKey(ctx, oldKey.ID)
		if err != nil || !k.Revoked() {
			t.Fatalf("%+v %v", k, err)
		}
	})
}
