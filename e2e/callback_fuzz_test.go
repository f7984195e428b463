package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"paybybank/checkout"
	"paybybank/internal/e2etest"
	"paybybank/payment"
	"paybybank/store"
)

// FuzzCallback throws arbitrary query strings at /callback: every one must get a clear answer
// (an error page) and none may change a payment.
func FuzzCallback(f *testing.F) {
	f.Add("state=abc&code=def")
	f.Add("state=&code=")
	f.Add("error=access_denied&state=%00")
	f.Add("state=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa&code=x&scope=paymentinitiation")
	f.Fuzz(func(t *testing.T, q string) {
		vals, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		h := e2etest.New(t)
		id, _ := h.CreatePayment("")
		resp, _ := h.Get("/callback?" + vals.Encode())
		if resp.StatusCode != 400 {
			t.Fatalf("callback %q answered %d", q, resp.StatusCode)
		}
		if st, _ := h.Status(id); st != "open" {
			t.Fatalf("callback %q changed a payment to %s", q, st)
		}
	})
}

// FuzzCallbackNext throws arbitrary query strings at the callback's own parsing and state checks
// (checkout.Service.CallbackNext on a real database), without the HTTP server or a fresh app per
// input, so that a run covers many inputs. A state can only be an unknown one, a known one already
// used, or one of a stale attempt: each must be refused with ErrBadState or ErrUsedState, and no
// payment may move.
func FuzzCallbackNext(f *testing.F) {
	ctx := context.Background()
	db := store.NewDB(f.TempDir()+"/pbb.db", nil)
	if err := db.Open(); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	m := &payment.Merchant{Name: "Shop", AllowedOrigins: []string{"https://shop.example"},
		Creditor: payment.Creditor{Name: "Shop AB", IBAN: "SE7160000000000123456789"}}
	if err := db.CreateMerchant(ctx, m); err != nil {
		f.Fatal(err)
	}
	svc := checkout.New(db, nil, "https://pay.example", slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	p, _, err := svc.CreatePayment(ctx, m, checkout.NewPayment{Amount: "249.00", Currency: "SEK", Reference: "Order 1"}, "", "")
	if err != nil {
		f.Fatal(err)
	}
	// A state the bank already brought back once: the second return must be refused.
	const usedState = "dXNlZC1zdGF0ZS1vZi1hLXJlYWwtYXR0ZW1wdC0xMjM0NTY3OA"
	sum := sha256.Sum256([]byte(usedState))
	a := &payment.Attempt{PaymentID: p.ID, Provider: "openpayments", BIC: "ESSESESS", StateHash: hex.EncodeToString(sum[:]), Extra: map[string]string{}}
	if err := db.CreateAuthorisation(ctx, a, true); err != nil {
		f.Fatal(err)
	}
	if _, err := db.UseState(ctx, a.StateHash); err != nil {
		f.Fatal(err)
	}
	events, err := db.Events(ctx, p.ID)
	if err != nil {
		f.Fatal(err)
	}

	f.Add("state=abc&code=def")
	f.Add("state=&code=")
	f.Add("error=access_denied&state=%00")
	f.Add("state=" + usedState + "&code=x")
	f.Add("state=" + usedState + "&state=other")
	f.Add("state=" + strings.Repeat("a", 201))
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		got, next, err := svc.CallbackNext(ctx, q)
		if !errors.Is(err, checkout.ErrBadState) && !errors.Is(err, checkout.ErrUsedState) {
			t.Fatalf("CallbackNext(%q) = %v, want ErrBadState or ErrUsedState", raw, err)
		}
		if got != nil || next != "" {
			t.Fatalf("CallbackNext(%q) returned a payment or a next step on refusal", raw)
		}
		now, err := db.Payment(ctx, p.ID)
		if err != nil || now.Status != payment.StatusOpen || now.UpdatedAt != p.UpdatedAt {
			t.Fatalf("CallbackNext(%q) changed the payment: %+v %v", raw, now, err)
		}
		if after, err := db.Events(ctx, p.ID); err != nil || len(after) != len(events) {
			t.Fatalf("CallbackNext(%q) wrote events: %d then %d (%v)", raw, len(events), len(after), err)
		}
	})
}
