package checkout

import (
	"context"
	"log/slog"
	"maps"

	"paybybank/banks"
	"paybybank/payment"
)

// recordPayer asks the bank for the account a payment that has just completed came from, where
// nobody told it (a shopper who chose the account at the bank), and keeps it with the payment:
// with it the payment can be refunded. Only the transition that completed the payment calls it
// (move), so a payment costs one bank call at most, and none when its account is known already;
// the store never replaces a known account with the bank's. The call is made to the end even if
// the shopper's request goes away (the transport's time-outs bound it). A failure is logged: the
// payment has completed all the same, and stays without a known account.
func (s *Service) recordPayer(ctx context.Context, p *payment.Payment) {
	if p.Kind == payment.KindRefund || p.Debtor != nil {
		return // a refund order is paid from the merchant's account; a known account is kept
	}
	ctx = context.WithoutCancel(ctx)
	a, err := s.store.LatestAuthorisation(ctx, p.ID)
	if err != nil || IsConsent(a) {
		return
	}
	rep, ok := s.providers[a.Provider].(banks.PayerReporter)
	if !ok {
		return // the provider's documents say of no account on the payment
	}
	before := maps.Clone(a.Extra)
	payer, err := rep.Payer(ctx, order(a))
	s.keepExtra(ctx, a, before)
	if err != nil {
		s.logger.WarnContext(ctx, "payer account from the bank", slog.String("payment_id", p.ID), slog.String("error", err.Error()))
		return
	}
	if payer == nil {
		return
	}
	kept, err := s.store.RecordPayerAccount(ctx, p.ID, *payer)
	if err != nil {
		s.logger.ErrorContext(ctx, "record the payer account", slog.String("payment_id", p.ID), slog.String("error", err.Error()))
		return
	}
	if kept {
		acct := payer.Account
		p.Debtor = &acct
	}
}
