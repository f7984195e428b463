package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"paybybank/checkout"
	"paybybank/payment"
)

// TestIdempotencyKeyAfterCrash: a process claimed a key, created the payment and died before it
// stored the answer. The merchant's retry after the restart gets that payment, and no second one.
func TestIdempotencyKeyAfterCrash(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	body := `{"amount":"249.00","currency":"SEK","reference":"Order 7"}`
	sum := sha256.Sum256([]byte(body))
	hash := hex.EncodeToString(sum[:])
	// What the dead process did, step by step, up to the crash.
	if stored, err := h.db.BeginIdempotent(ctx, h.merchant.ID, "crash-1", "POST /api/v1/payments", hash); err != nil || stored != nil {
		t.Fatalf("claim: %v %v", stored, err)
	}
	p, created, err := h.app.Checkout.CreatePayment(ctx, h.merchant, checkout.NewPayment{Amount: "249.00", Currency: "SEK", Reference: "Order 7"}, "crash-1", hash)
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	// While it lives, the claim holds.
	if code, prob := h.api("POST", "/api/v1/payments", body, "Idempotency-Key", "crash-1"); code != 409 || prob["code"] != "idempotency_in_progress" {
		t.Fatalf("retry while the claimer lives: %d %v", code, prob)
	}
	prev := h.app
	h.db.Close()
	h.start(prev)
	for i := 0; i < 2; i++ {
		code, got := h.api("POST", "/api/v1/payments", body, "Idempotency-Key", "crash-1")
		if code != 201 || got["id"] != p.ID {
			t.Fatalf("retry %d after the crash: %d %v, want 201 with %s", i, code, got, p.ID)
		}
	}
	_, page := h.api("GET", "/api/v1/payments?limit=100", "")
	if n := len(page["data"].([]any)); n != 1 {
		t.Fatalf("%d payments, want the one the dead process created", n)
	}
}

// TestCancelRacingCompletion: the shopper approved at the bank a moment before the merchant's
// cancel, and the bank is settling the payment. The bank refuses the cancel; the answer says so,
// with where the payment stands, and the payment goes on to complete.
func TestCancelRacingCompletion(t *testing.T) {
	h := newHarness(t)
	id, path := h.createPayment("")
	resp := h.chooseBank(path, "NDEASESS") // Nordea settles a few seconds after SCA
	resp = h.approveAtBank(resp.Header.Get("Location"), "approve")
	h.get(resp.Header.Get("Location")) // back from the bank: processing, the bank says ACSP
	code, prob := h.api("POST", "/api/v1/payments/"+id+"/cancel", "")
	if code != 409 || prob["code"] != "payment_not_cancellable" || prob["payment_status"] != "processing" {
		t.Fatalf("cancel after approval: %d %v", code, prob)
	}
	h.clock.Add(5 * time.Second)
	if _, err := h.app.Checkout.Reconcile(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	if s, p := h.status(id); s != "completed" {
		t.Fatalf("payment %v", p)
	}
}

// TestCancelWithStaleRead: the merchant's cancel read the payment while it was authorising; the
// callback moved it to processing before the cancel reached the bank. Cancel never answers with a
// payment that is not cancelled.
func TestCancelWithStaleRead(t *testing.T) {
	h := newHarness(t)
	id, path := h.createPayment("")
	resp := h.chooseBank(path, "NDEASESS")
	stale, err := h.db.Payment(t.Context(), id)
	if err != nil || stale.Status != payment.StatusAuthorising {
		t.Fatalf("%v %v", stale, err)
	}
	resp = h.approveAtBank(resp.Header.Get("Location"), "approve")
	h.get(resp.Header.Get("Location")) // the callback: processing
	p, err := h.app.Checkout.Cancel(t.Context(), stale, payment.CauseMerchant)
	if !errors.Is(err, payment.ErrConflict) || p.Status != payment.StatusProcessing {
		t.Fatalf("cancel with a stale read: %v %v", p.Status, err)
	}
	if s, _ := h.status(id); s != "processing" {
		t.Fatalf("status %s", s)
	}
}
