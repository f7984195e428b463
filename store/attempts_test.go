package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"paybybank/payment"
)

// TestEndAttempt: an attempt ends once, with its outcome, reason and time; the payment moves as
// the transition says in the same step, an event records it, payment.attempt_failed carries the
// payment's attempts; a transition to an end settles the live attempt; max_attempts and the
// failure code are kept.
func TestEndAttempt(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	m := mustMerchant(t, db)
	if _, err := db.CreateWebhookEndpoint(ctx, m.ID, "https://shop.example/hooks", []string{"*"}); err != nil {
		t.Fatal(err)
	}
	np := newPayment(m)
	np.MaxAttempts = 3
	p, _, err := db.CreatePayment(ctx, np, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Payment(ctx, p.ID); got.MaxAttempts != 3 {
		t.Fatalf("max_attempts %d", got.MaxAttempts)
	}
	start := func(bic string) *payment.Attempt {
		a := &payment.Attempt{PaymentID: p.ID, Provider: "openpayments", BIC: bic}
		if err := db.CreateAuthorisation(ctx, a, false); err != nil {
			t.Fatal(err)
		}
		a.BankPaymentID, a.Approach = "bank-"+bic, payment.ApproachRedirect
		cur, _ := db.Payment(ctx, p.ID)
		if err := db.SaveAuthorisation(ctx, a, &payment.Transition{From: cur.Status, To: payment.StatusAuthorising, Cause: payment.CauseShopper, BankBIC: bic, Provider: "openpayments"}); err != nil {
			t.Fatal(err)
		}
		return a
	}
	first := start("NDEASESS")
	t.Run("OK/BackToOpen", func(t *testing.T) {
		first.Outcome, first.Reason, first.ReasonDetail = payment.OutcomeDenied, payment.ReasonDeniedAtBank, "access_denied"
		if err := db.EndAttempt(ctx, first, payment.CauseCallback, &payment.Transition{To: payment.StatusOpen, Cause: payment.CauseCallback}); err != nil {
			t.Fatal(err)
		}
		got, _ := db.Payment(ctx, p.ID)
		if got.Status != payment.StatusOpen {
			t.Fatalf("status %s", got.Status)
		}
		if _, err := db.ActiveAuthorisation(ctx, p.ID); !errors.Is(err, payment.ErrNotFound) {
			t.Fatalf("an ended attempt is still active: %v", err)
		}
		list, err := db.Attempts(ctx, p.ID)
		if err != nil || len(list) != 1 || list[0].Outcome != payment.OutcomeDenied || list[0].Reason != payment.ReasonDeniedAtBank ||
			list[0].ReasonDetail != "access_denied" || list[0].EndedAt.IsZero() || list[0].Active {
			t.Fatalf("attempts %+v %v", list, err)
		}
		events, _ := db.Events(ctx, p.ID)
		last := events[len(events)-1]
		if last.From != payment.StatusAuthorising || last.To != payment.StatusOpen || last.Cause != payment.CauseCallback || last.Detail == "" {
			t.Fatalf("event %+v", last)
		}
		hooks, _ := db.PaymentWebhooks(ctx, p.ID)
		h := hooks[len(hooks)-1]
		if h.Type != payment.AttemptFailedEventType {
			t.Fatalf("webhooks %+v", hooks)
		}
		var body struct {
			Data struct {
				Status   string                  `json:"status"`
				Previous string                  `json:"previous_status"`
				Attempts []payment.AttemptRecord `json:"attempts"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(h.Payload), &body); err != nil {
			t.Fatal(err)
		}
		if body.Data.Status != "open" || body.Data.Previous != "authorising" || len(body.Data.Attempts) != 1 ||
			body.Data.Attempts[0].Outcome != "denied" || body.Data.Attempts[0].Reason != "denied_at_bank" || body.Data.Attempts[0].ReasonMessage != "denied at the bank" {
			t.Fatalf("payload %+v", body.Data)
		}
	})
	t.Run("ErrConflict/EndedTwice", func(t *testing.T) {
		if err := db.EndAttempt(ctx, first, payment.CausePoll, nil); !errors.Is(err, payment.ErrConflict) {
			t.Fatalf("second end: %v", err)
		}
	})
	t.Run("OK/RefusedAtStartStaysOpen", func(t *testing.T) {
		a := &payment.Attempt{PaymentID: p.ID, Provider: "openpayments", BIC: "HANDSESS"}
		if err := db.CreateAuthorisation(ctx, a, false); err != nil {
			t.Fatal(err)
		}
		a.Outcome, a.Reason = payment.OutcomeFailed, payment.ReasonBankRefusedStart
		if err := db.EndAttempt(ctx, a, payment.CauseShopper, nil); err != nil {
			t.Fatal(err)
		}
		events, _ := db.Events(ctx, p.ID)
		if last := events[len(events)-1]; last.From != payment.StatusOpen || last.To != payment.StatusOpen || last.Cause != payment.CauseShopper {
			t.Fatalf("event %+v", last)
		}
	})
	t.Run("OK/TransitionSettlesLiveAttempt", func(t *testing.T) {
		a := start("ESSESESS")
		got, err := db.Transition(ctx, p.ID, payment.Transition{From: payment.StatusAuthorising, To: payment.StatusCancelled, Cause: payment.CauseMerchant,
			FailureReason: "cancelled by the merchant", FailureCode: payment.ReasonCancelledByMerchant})
		if err != nil || got.FailureCode != payment.ReasonCancelledByMerchant {
			t.Fatalf("%v %+v", err, got)
		}
		list, _ := db.Attempts(ctx, p.ID)
		last := list[len(list)-1]
		if len(list) != 3 || last.ID != a.ID || last.Outcome != payment.OutcomeCancelled || last.Reason != payment.ReasonCancelledByMerchant || last.EndedAt.IsZero() {
			t.Fatalf("attempts %+v", list)
		}
	})
}
