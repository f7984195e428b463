package checkout_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"paybybank/banks"
	"paybybank/checkout"
	"paybybank/payment"
)

// TestAttemptOutcomes: each way an attempt at the bank can end without success ends it with its
// outcome and reason, and the payment goes back to the bank choice (open), with the end in the
// payment's events and a payment.attempt_failed webhook carrying the attempt.
func TestAttemptOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		approach payment.Approach
		// before scripts the bank before the choice; act makes the shopper act after it.
		before  func(b *scriptBank)
		act     func(t *testing.T, e *env, p *payment.Payment)
		outcome payment.Outcome
		reason  string
		from    payment.Status // the payment's status when the attempt ended
		cancels bool           // the bank's order is cancelled (nobody will approve it now)
	}{
		{name: "DeniedAtBank", approach: payment.ApproachRedirect, act: func(t *testing.T, e *env, p *payment.Payment) {
			e.bank.set(func(b *scriptBank) { b.finish = &banks.Error{Status: 400, Code: "access_denied", Denied: true} })
			e.svc.Callback(t.Context(), callbackState(e.bank))
		}, outcome: payment.OutcomeDenied, reason: payment.ReasonDeniedAtBank, from: payment.StatusAuthorising},
		{name: "CancelledAtBank", approach: payment.ApproachRedirect, act: func(t *testing.T, e *env, p *payment.Payment) {
			e.bank.set(func(b *scriptBank) { b.finish = &banks.Error{Status: 400, Code: "cancelled", Cancelled: true} })
			e.svc.Callback(t.Context(), callbackState(e.bank))
		}, outcome: payment.OutcomeCancelled, reason: payment.ReasonCancelledAtBank, from: payment.StatusAuthorising},
		{name: "RejectedByBank", approach: payment.ApproachRedirect, act: func(t *testing.T, e *env, p *payment.Payment) {
			e.bank.set(func(b *scriptBank) { b.status = "RJCT" })
			e.svc.Callback(t.Context(), callbackState(e.bank))
		}, outcome: payment.OutcomeFailed, reason: payment.ReasonRejectedByBank, from: payment.StatusAuthorising},
		{name: "RejectedAfterApproval", approach: payment.ApproachDecoupled, act: func(t *testing.T, e *env, p *payment.Payment) {
			e.bank.set(func(b *scriptBank) { b.sca, b.status = "finalised", "ACTC" })
			e.step(t, e.reload(t, p), payment.CausePoll)
			e.bank.set(func(b *scriptBank) { b.status = "RJCT" })
		}, outcome: payment.OutcomeFailed, reason: payment.ReasonRejectedByBank, from: payment.StatusProcessing},
		{name: "BankIDCancelled", approach: payment.ApproachDecoupled, act: func(t *testing.T, e *env, p *payment.Payment) {
			e.bank.set(func(b *scriptBank) { b.sca, b.hint = "failed", "userCancel" })
		}, outcome: payment.OutcomeCancelled, reason: payment.ReasonBankIDCancelled, from: payment.StatusAuthorising},
		{name: "BankIDLapsed", approach: payment.ApproachDecoupled, act: func(t *testing.T, e *env, p *payment.Payment) {
			e.bank.set(func(b *scriptBank) { b.sca, b.hint = "failed", "startFailed" })
		}, outcome: payment.OutcomeAbandoned, reason: payment.ReasonBankIDExpired, from: payment.StatusAuthorising, cancels: true},
		{name: "BankIDRefused", approach: payment.ApproachDecoupled, act: func(t *testing.T, e *env, p *payment.Payment) {
			e.bank.set(func(b *scriptBank) { b.sca, b.hint = "failed", "certificateErr" })
		}, outcome: payment.OutcomeDenied, reason: payment.ReasonBankIDFailed, from: payment.StatusAuthorising},
		{name: "ShopperChangedBank", approach: payment.ApproachDecoupled, act: func(t *testing.T, e *env, p *payment.Payment) {
			if _, err := e.svc.ChangeBank(t.Context(), e.reload(t, p)); err != nil {
				t.Fatal(err)
			}
		}, outcome: payment.OutcomeAbandoned, reason: payment.ReasonSwitchedBank, from: payment.StatusAuthorising, cancels: true},
		{name: "BankRefusedStart", approach: payment.ApproachRedirect, before: func(b *scriptBank) {
			b.create = &banks.Error{Status: 403, Code: "PRODUCT_INVALID", Message: "not offered"}
		}, outcome: payment.OutcomeFailed, reason: payment.ReasonBankRefusedStart, from: payment.StatusOpen},
		{name: "DebtorAccountFormat", approach: payment.ApproachRedirect, before: func(b *scriptBank) {
			b.create = &banks.Error{Status: 400, Code: "FORMAT_ERROR", Message: "debtorAccount must be bban without clearing number (debtorAccount)"}
		}, outcome: payment.OutcomeFailed, reason: payment.ReasonDebtorAccountFormat, from: payment.StatusOpen},
		{name: "BankNoAnswer", approach: payment.ApproachRedirect, before: func(b *scriptBank) {
			b.create = &banks.Error{Status: 500, Message: "internal error", Uncertain: true}
		}, outcome: payment.OutcomeLost, reason: payment.ReasonBankNoAnswer, from: payment.StatusOpen},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.approach)
			if tc.before != nil {
				e.bank.set(tc.before)
			}
			p := e.pay(t, false)
			_, err := e.svc.ChooseBank(t.Context(), p, "SCRPSESS", banks.PSU{IPAddress: "192.0.2.1"}, false)
			if tc.before == nil && err != nil {
				t.Fatal(err)
			} else if tc.before != nil && err == nil {
				t.Fatal("the bank's refusal reached nobody")
			}
			if tc.act != nil {
				tc.act(t, e, e.reload(t, p))
			}
			step, pr := e.step(t, e.reload(t, p), payment.CausePoll)
			if pr.Payment.Status != payment.StatusOpen || step != payment.StepBankChoice {
				t.Fatalf("status %s at step %s, want open at the bank choice", pr.Payment.Status, step)
			}
			last, ok := e.svc.LastEnded(t.Context(), pr.Payment)
			if !ok || last.Outcome != tc.outcome || last.Reason != tc.reason || last.Active || last.EndedAt.IsZero() {
				t.Fatalf("last attempt %+v, want %s (%s), ended", last, tc.outcome, tc.reason)
			}
			moves, hooks := e.history(t, p)
			if want := string(tc.from) + "→open"; moves[len(moves)-1] != want {
				t.Fatalf("transitions %v, want the last %s", moves, want)
			}
			if hooks[len(hooks)-1] != payment.AttemptFailedEventType {
				t.Fatalf("webhook events %v, want %s last", hooks, payment.AttemptFailedEventType)
			}
			if cancels := e.bank.called("Cancel") > 0; cancels != tc.cancels {
				t.Fatalf("bank order cancelled: %v, want %v", cancels, tc.cancels)
			}
			// "Try again": a fresh attempt at the same bank, the ended one kept as it ended.
			e.bank.set(func(b *scriptBank) { b.create, b.finish, b.sca, b.hint, b.status = nil, nil, "started", "", "RCVD" })
			a, key, err := e.svc.TryAgain(t.Context(), pr.Payment, banks.PSU{IPAddress: "192.0.2.1"}, false)
			if err != nil || key != "SCRPSESS" || a.ID == last.ID {
				t.Fatalf("try again: %v %s %+v", err, key, a)
			}
			if p := e.reload(t, p); p.Status != payment.StatusAuthorising {
				t.Fatalf("after try again: %s", p.Status)
			}
			list, _ := e.svc.Attempts(t.Context(), p)
			if len(list) != 2 || list[0].Outcome != tc.outcome || list[1].Outcome != "" || !list[1].Active {
				t.Fatalf("attempts %+v", list)
			}
		})
	}
}

// TestMaxAttempts: when the merchant's max_attempts are used up, the payment fails with the last
// attempt's reason, and no bank may be chosen again.
func TestMaxAttempts(t *testing.T) {
	e := newEnv(t, payment.ApproachRedirect)
	ctx := t.Context()
	two := 2
	p, _, err := e.svc.CreatePayment(ctx, e.m, checkout.NewPayment{Amount: "249.00", Currency: "SEK", Reference: "Order 1", MaxAttempts: &two}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	deny := func() *payment.Payment {
		if _, err := e.svc.ChooseBank(ctx, e.reload(t, p), "SCRPSESS", banks.PSU{}, false); err != nil {
			t.Fatal(err)
		}
		e.bank.set(func(b *scriptBank) { b.finish = &banks.Error{Status: 400, Code: "access_denied", Denied: true} })
		np, err := e.svc.Callback(ctx, callbackState(e.bank))
		if err != nil {
			t.Fatal(err)
		}
		return np
	}
	if np := deny(); np.Status != payment.StatusOpen {
		t.Fatalf("after the first denial: %s", np.Status)
	}
	np := deny()
	if np.Status != payment.StatusFailed || np.FailureCode != payment.ReasonDeniedAtBank || np.FailureReason != "denied at the bank" {
		t.Fatalf("after the second denial: %s %q %q", np.Status, np.FailureCode, np.FailureReason)
	}
	if _, err := e.svc.ChooseBank(ctx, np, "SCRPSESS", banks.PSU{}, false); !errors.Is(err, payment.ErrConflict) {
		t.Fatalf("a third choice: %v", err)
	}
	moves, hooks := e.history(t, p)
	if got := strings.Join(moves, " "); got != "open→authorising authorising→open open→authorising authorising→failed" {
		t.Fatalf("transitions %s", got)
	}
	if got := strings.Join(hooks, " "); got != "payment.authorising payment.attempt_failed payment.authorising payment.failed payment.attempt_failed" {
		t.Fatalf("webhook events %s", got)
	}
	for _, bad := range []int{0, -1, payment.MaxMaxAttempts + 1} {
		n := bad
		if _, _, err := e.svc.CreatePayment(ctx, e.m, checkout.NewPayment{Amount: "1.00", Currency: "SEK", Reference: "x", MaxAttempts: &n}, "", ""); err == nil {
			t.Errorf("max_attempts %d accepted", bad)
		}
	}
}

// TestAttemptOutcomeOnPaymentEnd: a payment that completes, is cancelled or expires settles its
// live attempt as succeeded, cancelled (with who cancelled) or abandoned (expired).
func TestAttemptOutcomeOnPaymentEnd(t *testing.T) {
	for _, tc := range []struct {
		name    string
		end     func(t *testing.T, e *env, p *payment.Payment)
		outcome payment.Outcome
		reason  string
	}{
		{"Completed", func(t *testing.T, e *env, p *payment.Payment) {
			e.bank.set(func(b *scriptBank) { b.sca, b.status = "finalised", "ACSC" })
			e.step(t, p, payment.CausePoll)
		}, payment.OutcomeSucceeded, ""},
		{"CancelledByMerchant", func(t *testing.T, e *env, p *payment.Payment) {
			if _, err := e.svc.Cancel(t.Context(), p, payment.CauseMerchant); err != nil {
				t.Fatal(err)
			}
		}, payment.OutcomeCancelled, payment.ReasonCancelledByMerchant},
		{"Expired", func(t *testing.T, e *env, p *payment.Payment) {
			e.clock.Add(16 * time.Minute)
			e.step(t, p, payment.CausePoll)
		}, payment.OutcomeAbandoned, payment.ReasonExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, payment.ApproachDecoupled)
			p := e.pay(t, true)
			tc.end(t, e, p)
			list, err := e.svc.Attempts(t.Context(), p)
			if err != nil || len(list) != 1 || list[0].Outcome != tc.outcome || list[0].Reason != tc.reason || list[0].EndedAt.IsZero() {
				t.Fatalf("attempts %+v %v", list, err)
			}
			if np := e.reload(t, p); tc.reason != "" && np.FailureCode != tc.reason {
				t.Fatalf("failure code %q", np.FailureCode)
			}
		})
	}
}
