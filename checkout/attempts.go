package checkout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"paybybank/banks"
	"paybybank/payment"
)

// endAttempt ends the payment's live attempt a without success, as end says, and moves the
// payment on in the same step: back to the bank choice (open) when another attempt may follow;
// failed with this attempt's reason when the merchant's max_attempts are used up; expired when its
// time has run out meanwhile. The payment as it then stands is returned; an attempt another
// request ended first is left as that request ended it.
func (s *Service) endAttempt(ctx context.Context, p *payment.Payment, a *payment.Attempt, end payment.AttemptEnd, cause payment.Cause) (*payment.Payment, error) {
	a.Outcome, a.Reason, a.ReasonDetail = end.Outcome, end.Reason, end.Detail
	if end.Outcome == payment.OutcomeLost {
		a.SCAStatus = payment.SCALost
	}
	var tr *payment.Transition
	switch {
	case p.Expired(s.Now()):
		tr = &payment.Transition{To: payment.StatusExpired, Cause: payment.CauseTimeout,
			FailureReason: payment.ReasonMessage(payment.ReasonExpired), FailureCode: payment.ReasonExpired}
	case end.Outcome != payment.OutcomeLost && (p.Kind != "" || !s.mayFollow(ctx, p)):
		// (An attempt whose bank call never finished took nothing from anyone: it ends nothing.)
		// A refund order is one person's one authorisation: refused, it ends, and its refunds
		// wait to be authorised another time (followRefunds).
		tr = &payment.Transition{To: payment.StatusFailed, Cause: cause,
			FailureReason: payment.ReasonMessage(end.Reason), FailureCode: end.Reason,
			Detail: fmt.Sprintf("attempt %s ended %s (%s); no attempt may follow (max_attempts %d)", a.ID, end.Outcome, end.Reason, p.MaxAttempts)}
	case p.Status != payment.StatusOpen:
		tr = &payment.Transition{To: payment.StatusOpen, Cause: cause}
	}
	if tr != nil {
		if end.Reason == payment.ReasonRejectedByBank {
			tr.BankStatus = p.BankStatus
		}
		tr.From = p.Status
		if err := s.followRefunds(ctx, p, *tr); err != nil {
			return p, err
		}
	}
	err := s.store.EndAttempt(context.WithoutCancel(ctx), a, cause, tr)
	s.forget(a.ID)
	if err != nil && !errors.Is(err, payment.ErrConflict) {
		return p, err
	}
	np, ferr := s.store.Payment(ctx, p.ID)
	if ferr != nil {
		return p, ferr
	}
	if err == nil {
		s.logger.InfoContext(ctx, "attempt ended", slog.String("payment_id", p.ID), slog.String("attempt_id", a.ID),
			slog.String("outcome", string(end.Outcome)), slog.String("reason", end.Reason), slog.String("status", string(np.Status)))
	}
	if np.Status.Terminal() {
		s.forgetPayment(p.ID)
	}
	return np, nil
}

// mayFollow reports whether another attempt may follow the payment's live one: always, unless
// the merchant set max_attempts and the payment has had that many (those whose bank call never
// finished, lost, not counted).
func (s *Service) mayFollow(ctx context.Context, p *payment.Payment) bool {
	if p.MaxAttempts <= 0 {
		return true
	}
	list, err := s.store.Attempts(ctx, p.ID)
	if err != nil {
		s.logger.WarnContext(ctx, "count attempts", slog.String("payment_id", p.ID), slog.String("error", err.Error()))
		return true // the payment stays payable: expiry still ends it
	}
	n := 0
	for _, a := range list {
		if a.Outcome != payment.OutcomeLost {
			n++
		}
	}
	return n < p.MaxAttempts
}

// refusalReason names a bank's refusal to start a payment: the shopper's account in a form the
// bank does not take, or any other refusal.
func refusalReason(err error) string {
	if banks.IsRetryable(err) {
		return payment.ReasonBankNoAnswer // busy or down (429, 503): it did not take the request
	}
	var be *banks.Error
	if errors.As(err, &be) && be.Status == 400 && strings.Contains(strings.ToLower(be.Message), "debtoraccount") {
		return payment.ReasonDebtorAccountFormat
	}
	return payment.ReasonBankRefusedStart
}

// bankIDEnd is how a decoupled (BankID) SCA that failed ends its attempt, by BankID's hint: the
// shopper cancelled in the app; the order lapsed unscanned or unsigned (nobody refused); or BankID
// refused it (a certificate error, a call the shopper declined).
func bankIDEnd(hint string) payment.AttemptEnd {
	switch hint {
	case "userCancel":
		return payment.AttemptEnd{Outcome: payment.OutcomeCancelled, Reason: payment.ReasonBankIDCancelled, Detail: "SCA failed: userCancel"}
	case "startFailed", "expiredTransaction", "":
		return payment.AttemptEnd{Outcome: payment.OutcomeAbandoned, Reason: payment.ReasonBankIDExpired, Detail: "SCA failed: " + hint}
	}
	return payment.AttemptEnd{Outcome: payment.OutcomeDenied, Reason: payment.ReasonBankIDFailed, Detail: "SCA failed: " + hint}
}

// LastEnded returns the payment's latest attempt when it ended without success and the payment
// waits at the bank choice for another: the picker says why and offers to try again.
func (s *Service) LastEnded(ctx context.Context, p *payment.Payment) (*payment.Attempt, bool) {
	if p.Status != payment.StatusOpen {
		return nil, false
	}
	list, err := s.store.Attempts(ctx, p.ID)
	if err != nil || len(list) == 0 {
		return nil, false
	}
	last := list[len(list)-1]
	return last, last.Ended()
}

// Attempts returns the payment's attempts at banks, oldest first.
func (s *Service) Attempts(ctx context.Context, p *payment.Payment) ([]*payment.Attempt, error) {
	return s.store.Attempts(ctx, p.ID)
}

// TryAgain starts a fresh attempt at the bank of the payment's last attempt, which ended without
// success ("Try again"); ChooseBank says the rest.
func (s *Service) TryAgain(ctx context.Context, p *payment.Payment, psu banks.PSU, mobile bool) (*payment.Attempt, string, error) {
	last, ok := s.LastEnded(ctx, p)
	if !ok {
		return nil, "", fmt.Errorf("checkout: nothing to try again: %w", payment.ErrConflict)
	}
	key := banks.Bank{BIC: last.BIC, Affiliate: last.Affiliate}.Key()
	a, err := s.ChooseBank(ctx, p, key, psu, mobile)
	return a, key, err
}

// ChangeBank gives up the payment's live attempt, not yet approved, because the shopper chose to
// pay with another bank: the bank's order is cancelled there and the payment waits at the bank
// choice again.
func (s *Service) ChangeBank(ctx context.Context, p *payment.Payment) (*payment.Payment, error) {
	a, err := s.store.ActiveAuthorisation(ctx, p.ID)
	if errors.Is(err, payment.ErrNotFound) {
		return p, nil
	} else if err != nil {
		return p, err
	}
	if p.Status != payment.StatusAuthorising || IsConsent(a) || a.SCAStatus == payment.SCAFinalised {
		return p, fmt.Errorf("checkout: change bank in status %s: %w", p.Status, payment.ErrConflict)
	}
	if prov, ok := s.providers[a.Provider]; ok && a.BankPaymentID != "" {
		if err := prov.Cancel(ctx, order(a)); err != nil {
			// The bank keeps the order: the shopper may have approved it meanwhile. Its word decides.
			np, decided, serr := s.settleIfDecided(ctx, p, a, prov, payment.CauseShopper, "decided at the bank before the shopper changed bank")
			if decided {
				return np, serr
			}
			return p, err
		}
	}
	return s.endAttempt(ctx, p, a, payment.AttemptEnd{Outcome: payment.OutcomeAbandoned, Reason: payment.ReasonSwitchedBank,
		Detail: "the shopper chose to pay with another bank"}, payment.CauseShopper)
}

// cancelQuietly cancels an attempt's order at the bank, best-effort: one left alone lapses there
// unauthorised, since the shopper never approves it.
func (s *Service) cancelQuietly(ctx context.Context, a *payment.Attempt) {
	prov, ok := s.providers[a.Provider]
	if !ok || a.BankPaymentID == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	if err := prov.Cancel(ctx, order(a)); err != nil {
		s.logger.WarnContext(ctx, "cancel abandoned bank order", slog.String("payment_id", a.PaymentID), slog.String("error", err.Error()))
	}
}
