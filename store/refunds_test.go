package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"paybybank/payment"
	"paybybank/store"
)

// payerIBAN is the shopper's account in the refund tests.
const payerIBAN = "SE3550000000054910000003"

// completedPayment creates a payment of 249.00 SEK with the payer's account given (or none) and
// takes it to completed.
func completedPayment(t *testing.T, db *store.DB, m *payment.Merchant, debtor *payment.Account) *payment.Payment {
	t.Helper()
	ctx := context.Background()
	np := newPayment(m)
	np.Debtor = debtor
	p, _, err := db.CreatePayment(ctx, np, "", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range []payment.Transition{{From: payment.StatusOpen, To: payment.StatusAuthorising}, {From: payment.StatusAuthorising, To: payment.StatusCompleted, BankStatus: "ACSC"}} {
		if p, err = db.Transition(ctx, p.ID, tr); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func mustRefund(t *testing.T, p *payment.Payment, amount string) *payment.Refund {
	t.Helper()
	r, err := payment.NewRefund(p, amount, "")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCreateRefund(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	m := mustMerchant(t, db)
	payer := &payment.Account{IBAN: payerIBAN, Country: "SE"}
	p := completedPayment(t, db, m, payer)

	t.Run("OK/Partial", func(t *testing.T) {
		r, created, err := db.CreateRefund(ctx, mustRefund(t, p, "100.00"), "", "")
		if err != nil || !created {
			t.Fatal(created, err)
		}
		got, err := db.Refund(ctx, r.ID)
		if err != nil || got.Status != payment.RefundAwaitingAuthorisation || got.AmountMinor != 10000 || got.Currency != "SEK" ||
			got.Payee.IBAN != payerIBAN || got.PaymentID != p.ID || got.Reference != "Refund Order 1" {
			t.Fatalf("%+v %v", got, err)
		}
	})
	t.Run("OK/Several", func(t *testing.T) {
		if _, _, err := db.CreateRefund(ctx, mustRefund(t, p, "49.00"), "", ""); err != nil {
			t.Fatal(err)
		}
		list, err := db.RefundsOf(ctx, p.ID)
		if err != nil || len(list) != 2 {
			t.Fatalf("%d refunds, %v", len(list), err)
		}
	})
	t.Run("OverRefund", func(t *testing.T) {
		_, _, err := db.CreateRefund(ctx, mustRefund(t, p, "100.01"), "", "")
		var ore *payment.OverRefundError
		if !errors.As(err, &ore) || ore.RemainingMinor != 10000 || !strings.Contains(err.Error(), "100.00 SEK remains") {
			t.Fatalf("%v", err)
		}
	})
	t.Run("OK/ExactlyTheRest", func(t *testing.T) {
		r, _, err := db.CreateRefund(ctx, mustRefund(t, p, "100.00"), "", "")
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = db.CreateRefund(ctx, mustRefund(t, p, "0.01"), "", "")
		var ore *payment.OverRefundError
		if !errors.As(err, &ore) || ore.RemainingMinor != 0 {
			t.Fatalf("fully refunded: %v", err)
		}
		// A cancelled refund gives its amount back to what may be refunded.
		if _, err := db.TransitionRefund(ctx, r.ID, payment.RefundAwaitingAuthorisation, payment.RefundCancelled, "", ""); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.CreateRefund(ctx, mustRefund(t, p, "100.00"), "", ""); err != nil {
			t.Fatalf("after a cancellation: %v", err)
		}
		sums, err := db.RefundedAmounts(ctx, []string{p.ID, "pay_none"})
		if err != nil || sums[p.ID] != 24900 || len(sums) != 1 {
			t.Fatalf("%v %v", sums, err)
		}
	})
	t.Run("NotRefundable", func(t *testing.T) {
		open, _, _ := db.CreatePayment(ctx, newPayment(m), "", "")
		_, _, err := db.CreateRefund(ctx, mustRefund(t, open, "1.00"), "", "")
		var nre *payment.NotRefundableError
		if !errors.As(err, &nre) || nre.Status != payment.StatusOpen {
			t.Fatalf("%v", err)
		}
	})
	t.Run("ErrPayerAccountUnknown", func(t *testing.T) {
		unknown := completedPayment(t, db, m, nil)
		if _, _, err := db.CreateRefund(ctx, mustRefund(t, unknown, "1.00"), "", ""); !errors.Is(err, payment.ErrPayerAccountUnknown) {
			t.Fatalf("%v", err)
		}
		if _, err := db.PayerAccount(ctx, unknown.ID); !errors.Is(err, payment.ErrPayerAccountUnknown) {
			t.Fatalf("%v", err)
		}
	})
	t.Run("ErrNotFound/AnotherMerchant", func(t *testing.T) {
		other := mustMerchant(t, db)
		r := mustRefund(t, completedPayment(t, db, m, payer), "1.00")
		r.MerchantID = other.ID
		if _, _, err := db.CreateRefund(ctx, r, "", ""); !errors.Is(err, payment.ErrNotFound) {
			t.Fatalf("%v", err)
		}
	})
	t.Run("Idempotency", func(t *testing.T) {
		q := completedPayment(t, db, m, payer)
		first, created, err := db.CreateRefund(ctx, mustRefund(t, q, "10.00"), "key-1", "hash-a")
		if err != nil || !created {
			t.Fatal(created, err)
		}
		again, created, err := db.CreateRefund(ctx, mustRefund(t, q, "10.00"), "key-1", "hash-a")
		if err != nil || created || again.ID != first.ID {
			t.Fatalf("replay: %v %v %v", again, created, err)
		}
		if _, _, err := db.CreateRefund(ctx, mustRefund(t, q, "11.00"), "key-1", "hash-b"); !errors.Is(err, payment.ErrIdempotencyMismatch) {
			t.Fatalf("other body: %v", err)
		}
		if list, _ := db.RefundsOf(ctx, q.ID); len(list) != 1 {
			t.Fatalf("%d refunds after replays", len(list))
		}
	})
}

// TestCreateRefundConcurrently: refunds created at once, through two servers on one database,
// never add up to more than the payment. 249.00 holds eight refunds of 30.00 and no ninth.
func TestCreateRefundConcurrently(t *testing.T) {
	a, b := openTwo(t, nil)
	ctx := context.Background()
	m := mustMerchant(t, a)
	p := completedPayment(t, a, m, &payment.Account{IBAN: payerIBAN})
	var wg sync.WaitGroup
	var mu sync.Mutex
	made, refused := 0, 0
	for i := range 20 {
		db := []*store.DB{a, b}[i%2]
		wg.Go(func() {
			_, _, err := db.CreateRefund(ctx, mustRefund(t, p, "30.00"), "", "")
			var ore *payment.OverRefundError
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				made++
			case errors.As(err, &ore):
				refused++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if made != 8 || refused != 12 {
		t.Fatalf("%d made, %d refused; want 8 and 12", made, refused)
	}
	sums, err := b.RefundedAmounts(ctx, []string{p.ID})
	if err != nil || sums[p.ID] != 24000 {
		t.Fatalf("%v %v", sums, err)
	}
}

func TestTransitionRefund(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	m := mustMerchant(t, db)
	if _, err := db.SetWebhook(ctx, m.ID, "https://shop.example/hook"); err != nil {
		t.Fatal(err)
	}
	p := completedPayment(t, db, m, &payment.Account{IBAN: payerIBAN})
	r, _, err := db.CreateRefund(ctx, mustRefund(t, p, "249.00"), "", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("OK/ToAuthorisingWithBatch", func(t *testing.T) {
		got, err := db.TransitionRefund(ctx, r.ID, payment.RefundAwaitingAuthorisation, payment.RefundAuthorising, "", "rb_1")
		if err != nil || got.Status != payment.RefundAuthorising || got.BatchID != "rb_1" {
			t.Fatalf("%+v %v", got, err)
		}
		if list, _ := db.RefundsInBatch(ctx, "rb_1"); len(list) != 1 || list[0].ID != r.ID {
			t.Fatalf("batch: %v", list)
		}
		if list, _ := db.RefundsAwaiting(ctx, m.ID); len(list) != 0 {
			t.Fatalf("awaiting while authorising: %v", list)
		}
	})
	t.Run("OK/GaveUpBackToTheList", func(t *testing.T) {
		got, err := db.TransitionRefund(ctx, r.ID, payment.RefundAuthorising, payment.RefundAwaitingAuthorisation, "gave up at the bank", "")
		if err != nil || got.BatchID != "" {
			t.Fatalf("%+v %v", got, err)
		}
		if list, _ := db.RefundsAwaiting(ctx, m.ID); len(list) != 1 || list[0].ID != r.ID {
			t.Fatalf("awaiting: %v", list)
		}
	})
	t.Run("ErrConflict/StaleFrom", func(t *testing.T) {
		if _, err := db.TransitionRefund(ctx, r.ID, payment.RefundAuthorising, payment.RefundProcessing, "", ""); !errors.Is(err, payment.ErrConflict) {
			t.Fatal(err)
		}
	})
	t.Run("ErrConflict/NotAllowed", func(t *testing.T) {
		if _, err := db.TransitionRefund(ctx, r.ID, payment.RefundAwaitingAuthorisation, payment.RefundCompleted, "", ""); !errors.Is(err, payment.ErrConflict) {
			t.Fatal(err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		if _, err := db.TransitionRefund(ctx, "rf_x", payment.RefundAwaitingAuthorisation, payment.RefundCancelled, "", ""); !errors.Is(err, payment.ErrNotFound) {
			t.Fatal(err)
		}
	})
	t.Run("RaceOneWinner", func(t *testing.T) {
		if _, err := db.TransitionRefund(ctx, r.ID, payment.RefundAwaitingAuthorisation, payment.RefundAuthorising, "", "rb_2"); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for range 10 {
			wg.Go(func() {
				_, err := db.TransitionRefund(ctx, r.ID, payment.RefundAuthorising, payment.RefundFailed, "RJCT", "")
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					wins++
				} else if !errors.Is(err, payment.ErrConflict) {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		got, _ := db.Refund(ctx, r.ID)
		if wins != 1 || got.Status != payment.RefundFailed || got.FailureReason != "RJCT" || got.BatchID != "rb_2" {
			t.Fatalf("%d wins, %+v", wins, got)
		}
	})
	t.Run("EventsAndWebhooks", func(t *testing.T) {
		events, err := db.RefundEvents(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		var steps []string
		for _, e := range events {
			steps = append(steps, string(e.From)+"→"+string(e.To))
		}
		want := []string{"→awaiting_authorisation", "awaiting_authorisation→authorising", "authorising→awaiting_authorisation",
			"awaiting_authorisation→authorising", "authorising→failed"}
		if !slices.Equal(steps, want) {
			t.Fatalf("events %v, want %v", steps, want)
		}
		if err := db.ExecForTest(ctx, `UPDATE refund_events SET detail = 'x'`); err == nil {
			t.Fatal("the refund log was edited")
		}
		hooks, err := db.PaymentWebhooks(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		var types []string
		for _, h := range hooks {
			if strings.HasPrefix(h.Type, "refund.") {
				types = append(types, h.Type)
				if !strings.Contains(h.Payload, `"id":"`+r.ID+`"`) || strings.Contains(h.Payload, payerIBAN) {
					t.Fatalf("payload %s", h.Payload)
				}
			}
		}
		if !slices.Equal(types, []string{"refund.created", "refund.failed"}) {
			t.Fatalf("refund webhooks %v", types)
		}
	})
}

// TestPayerAccountSealed: the payer's account is kept encrypted, on the payment and on its
// refunds; a server with another secret cannot read it; one written in clear before is read,
// and sealed once the server's secret is set.
func TestPayerAccountSealed(t *testing.T) {
	dsn := freshDSN(t)
	db := store.NewDB(dsn, nil)
	if err := db.Open(); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	secret := []byte("0123456789abcdef0123456789abcdef")
	if err := db.UseSecret(secret); err != nil {
		t.Fatal(err)
	}
	m := mustMerchant(t, db)
	p := completedPayment(t, db, m, &payment.Account{IBAN: payerIBAN, Country: "SE"})
	r, _, err := db.CreateRefund(ctx, mustRefund(t, p, "1.00"), "", "")
	if err != nil {
		t.Fatal(err)
	}
	digits := payerIBAN[len(payerIBAN)-10:]
	for _, q := range []struct{ query, id string }{{`SELECT debtor FROM payments WHERE id = ?`, p.ID}, {`SELECT payee FROM refunds WHERE id = ?`, r.ID}} {
		raw, err := db.QueryStringForTest(ctx, q.query, q.id)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(raw, "v1:") || strings.Contains(raw, digits) || strings.Contains(raw, "iban") {
			t.Fatalf("stored in clear: %s", raw)
		}
	}
	if got, err := db.PayerAccount(ctx, p.ID); err != nil || got.Account.IBAN != payerIBAN {
		t.Fatalf("%+v %v", got, err)
	}
	if got, err := db.PaymentFromDisk(ctx, p.ID); err != nil || got.Debtor == nil || got.Debtor.IBAN != payerIBAN {
		t.Fatalf("%+v %v", got, err)
	}

	t.Run("AnotherSecretCannotRead", func(t *testing.T) {
		other := store.NewDB(dsn, nil)
		if err := other.Open(); err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		if err := other.UseSecret([]byte("another secret, another key, 32b")); err != nil {
			t.Fatal(err)
		}
		if _, err := other.PayerAccount(ctx, p.ID); !errors.Is(err, payment.ErrPayerAccountUnknown) {
			t.Fatalf("read under another secret: %v", err)
		}
		if got, _ := other.Refund(ctx, r.ID); got.Payee.IBAN != "" {
			t.Fatalf("refund payee read under another secret: %+v", got.Payee)
		}
	})
	t.Run("SealedValueBoundToItsRow", func(t *testing.T) {
		q := completedPayment(t, db, m, nil)
		if err := db.ExecForTest(ctx, `UPDATE payments SET debtor = (SELECT debtor FROM payments WHERE id = ?) WHERE id = ?`, p.ID, q.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.PayerAccount(ctx, q.ID); !errors.Is(err, payment.ErrPayerAccountUnknown) {
			t.Fatalf("a sealed account copied to another payment opened: %v", err)
		}
	})
	t.Run("ClearRowsSealedOnStart", func(t *testing.T) {
		q := completedPayment(t, db, m, nil)
		if err := db.ExecForTest(ctx, `UPDATE payments SET debtor = ? WHERE id = ?`, `{"iban":"`+payerIBAN+`","country":"SE"}`, q.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := db.PayerAccount(ctx, q.ID); err != nil || got.Account.IBAN != payerIBAN {
			t.Fatalf("clear row: %+v %v", got, err)
		}
		if err := db.UseSecret(secret); err != nil {
			t.Fatal(err)
		}
		raw, _ := db.QueryStringForTest(ctx, `SELECT debtor FROM payments WHERE id = ?`, q.ID)
		if !strings.HasPrefix(raw, "v1:") || strings.Contains(raw, digits) {
			t.Fatalf("still in clear: %s", raw)
		}
		if got, err := db.PayerAccount(ctx, q.ID); err != nil || got.Account.IBAN != payerIBAN {
			t.Fatalf("sealed row: %+v %v", got, err)
		}
	})
	t.Run("BankReportedAccountNeverReplacesAGivenOne", func(t *testing.T) {
		reported := payment.PayerAccount{Account: payment.Account{IBAN: "NO9386011117947"}, Name: "Kari Nordmann"}
		if kept, err := db.RecordPayerAccount(ctx, p.ID, reported); err != nil || kept {
			t.Fatalf("replaced the shopper's account: %v %v", kept, err)
		}
		q := completedPayment(t, db, m, nil)
		if kept, err := db.RecordPayerAccount(ctx, q.ID, reported); err != nil || !kept {
			t.Fatalf("%v %v", kept, err)
		}
		if got, err := db.PayerAccount(ctx, q.ID); err != nil || got != reported {
			t.Fatalf("%+v %v", got, err)
		}
		r, _, err := db.CreateRefund(ctx, mustRefund(t, q, "249.00"), "", "")
		if err != nil || r.PayeeName != "Kari Nordmann" || r.Payee.IBAN != reported.Account.IBAN {
			t.Fatalf("%+v %v", r, err)
		}
	})
}

func TestRefundAccount(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	m := mustMerchant(t, db)
	t.Run("ErrNoRefundAccount", func(t *testing.T) {
		if _, err := db.RefundAccount(ctx, m.ID); !errors.Is(err, payment.ErrNoRefundAccount) {
			t.Fatal(err)
		}
	})
	t.Run("OK", func(t *testing.T) {
		for _, iban := range []string{"SE7160000000000123456789", "SE3550000000054910000003"} {
			a := &payment.RefundAccount{MerchantID: m.ID, BIC: "HANDSESS", Provider: "openpayments", Account: payment.Account{IBAN: iban}, Name: "Shop AB"}
			if err := db.SetRefundAccount(ctx, a); err != nil {
				t.Fatal(err)
			}
			got, err := db.RefundAccount(ctx, m.ID)
			if err != nil || got.Account.IBAN != iban || got.BIC != "HANDSESS" || got.Provider != "openpayments" || got.Name != "Shop AB" {
				t.Fatalf("%+v %v", got, err)
			}
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		a := &payment.RefundAccount{MerchantID: "mer_none", BIC: "HANDSESS", Provider: "openpayments", Account: payment.Account{IBAN: "SE7160000000000123456789"}}
		if err := db.SetRefundAccount(ctx, a); !errors.Is(err, payment.ErrNotFound) {
			t.Fatal(err)
		}
	})
}
