package checkout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"paybybank/banks"
	"paybybank/payment"
)

// RefundStore is what authorising refunds needs of the database beside Store: the refunds, their
// one conditional step (which records its refund.* webhook event) and the merchant's refund account.
type RefundStore interface {
	Refund(ctx context.Context, id string) (*payment.Refund, error)
	RefundsInBatch(ctx context.Context, batchID string) ([]*payment.Refund, error)
	TransitionRefund(ctx context.Context, id string, from, to payment.RefundStatus, reason, batchID string) (*payment.Refund, error)
	RefundAccount(ctx context.Context, merchantID string) (*payment.RefundAccount, error)
}

// refundOrderTTL is how long a person has to authorise a refund order at the bank.
const refundOrderTTL = 15 * time.Minute

// ErrRefundNotAwaiting means a selected refund is not (or no longer) waiting for authorisation:
// another person or tab started or cancelled it meanwhile. Nothing was changed.
var ErrRefundNotAwaiting = errors.New("a selected refund is no longer waiting for authorisation")

// AuthoriseRefunds prepares the authorisation of refunds at the merchant's own bank: one refund
// order for all of them where the bank takes bulk payments (banks.BulkInitiator), otherwise one
// per refund, to be authorised in turn. Each order is a payment of kind refund, from the refund
// account to the payers, with the merchant's bank preselected; the checkout drives it like any
// other (StepOf, Progress, the callback, the reconciler) and its refunds move with it
// (followRefunds). The refunds are authorising from here, in the order's batch; the orders are
// returned in the order to authorise them.
func (s *Service) AuthoriseRefunds(ctx context.Context, m *payment.Merchant, refundIDs []string) ([]*payment.Payment, error) {
	if s.Refunds == nil {
		return nil, errors.New("checkout: refunds are not configured")
	}
	if len(refundIDs) == 0 {
		return nil, &payment.FieldError{Field: "refunds", Message: "select at least one refund"}
	}
	acct, err := s.Refunds.RefundAccount(ctx, m.ID)
	if errors.Is(err, payment.ErrNotFound) {
		return nil, payment.ErrNoRefundAccount
	} else if err != nil {
		return nil, err
	}
	b, err := s.bank(ctx, acct.BIC)
	if err != nil {
		return nil, fmt.Errorf("checkout: the refund account's bank %s: %w", acct.BIC, err)
	}
	var list []*payment.Refund
	seen := map[string]bool{}
	for _, id := range refundIDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		r, err := s.Refunds.Refund(ctx, id)
		if err != nil || r.MerchantID != m.ID {
			return nil, fmt.Errorf("checkout: refund %s: %w", id, payment.ErrNotFound)
		}
		if r.Status != payment.RefundAwaitingAuthorisation {
			return nil, ErrRefundNotAwaiting
		}
		if len(list) > 0 && r.Currency != list[0].Currency {
			return nil, &payment.FieldError{Field: "refunds", Message: "refunds in several currencies are authorised separately"}
		}
		if !b.Accepts(r.Currency) {
			return nil, &payment.FieldError{Field: "refunds", Message: b.Name + " does not pay in " + r.Currency}
		}
		list = append(list, r)
	}
	groups := [][]*payment.Refund{list}
	if bi, ok := s.providers[b.Provider].(banks.BulkInitiator); len(list) > 1 && (!ok || !bi.OffersBulk(b.BIC)) {
		groups = nil
		for _, r := range list {
			groups = append(groups, []*payment.Refund{r})
		}
	}
	var orders []*payment.Payment
	for _, g := range groups {
		o, err := s.refundOrder(ctx, m, acct, b, g)
		if err != nil {
			return orders, err
		}
		orders = append(orders, o)
	}
	return orders, nil
}

// refundOrder stores the order carrying refunds and moves them to authorising in its batch. A
// refund another request took meanwhile undoes the ones taken here, and the order is cancelled.
func (s *Service) refundOrder(ctx context.Context, m *payment.Merchant, acct *payment.RefundAccount, b banks.Bank, group []*payment.Refund) (*payment.Payment, error) {
	now := s.Now()
	o := &payment.Payment{Kind: payment.KindRefund, MerchantID: m.ID, Status: payment.StatusOpen, Currency: group[0].Currency,
		PreselectBIC: b.Key(), Country: b.Country, ExpiresAt: now.Add(refundOrderTTL)}
	debtor := acct.Account
	o.Debtor = &debtor
	var ids, refs []string
	for _, r := range group {
		o.AmountMinor += r.AmountMinor
		ids = append(ids, r.ID)
		refs = append(refs, r.Reference)
	}
	o.SetRefundIDs(ids)
	if len(group) == 1 {
		r := group[0]
		o.Reference = r.Reference
		o.Creditor = payment.Creditor{Name: payeeName(r), IBAN: r.Payee.IBAN, BBAN: r.Payee.BBAN, ClearingNumber: r.Payee.ClearingNumber}
	} else {
		o.Reference = fmt.Sprintf("%d refunds: %s", len(group), strings.Join(refs, ", "))
		if lim := b.ReferenceLimit(o.Currency, ""); len([]rune(o.Reference)) > lim {
			o.Reference = string([]rune(o.Reference)[:lim])
		}
		o.Creditor = payment.Creditor{Name: fmt.Sprintf("%d refunds", len(group))}
	}
	o, _, err := s.store.CreatePayment(ctx, o, "", "")
	if err != nil {
		return nil, err
	}
	for i, r := range group {
		if _, err := s.Refunds.TransitionRefund(ctx, r.ID, payment.RefundAwaitingAuthorisation, payment.RefundAuthorising, "", o.ID); err != nil {
			for _, done := range group[:i] {
				s.Refunds.TransitionRefund(context.WithoutCancel(ctx), done.ID, payment.RefundAuthorising, payment.RefundAwaitingAuthorisation, "", "")
			}
			s.move(context.WithoutCancel(ctx), o, payment.Transition{To: payment.StatusCancelled, Cause: payment.CauseMerchant,
				FailureReason: "a refund was taken by another request"})
			if errors.Is(err, payment.ErrConflict) {
				return nil, ErrRefundNotAwaiting
			}
			return nil, err
		}
	}
	s.logger.InfoContext(ctx, "refund order", slog.String("order_id", o.ID), slog.Int("refunds", len(group)), slog.String("bank", b.BIC))
	return o, nil
}

// payeeName is the name a refund's payee is paid under: the payer's, where known.
func payeeName(r *payment.Refund) string {
	if n := strings.TrimSpace(r.PayeeName); n != "" {
		return n
	}
	return "Refund " + r.Reference
}

// createAtBank creates a payment at its bank. A refund order is made in the corporate PSU context
// (the merchant pays from its business account) and, carrying several refunds, as one bulk.
func (s *Service) createAtBank(ctx context.Context, prov banks.Provider, p *payment.Payment, req banks.PaymentRequest) (*banks.Created, error) {
	if p.Kind != payment.KindRefund {
		return prov.CreatePayment(ctx, req)
	}
	if s.Refunds == nil {
		return nil, errors.New("checkout: refunds are not configured")
	}
	acct, err := s.Refunds.RefundAccount(ctx, p.MerchantID)
	if err != nil {
		return nil, fmt.Errorf("checkout: refund account: %w", err)
	}
	m, err := s.store.Merchant(ctx, p.MerchantID)
	if err != nil {
		return nil, err
	}
	req.Corporate = &banks.Corporate{Name: acct.Name, ID: acct.CorporateID, Identity: req.CreditorIdentity}
	if req.Corporate.Name == "" {
		req.Corporate.Name = m.Name
	}
	ids := p.RefundIDs()
	if len(ids) == 1 {
		return prov.CreatePayment(ctx, req)
	}
	bi, ok := prov.(banks.BulkInitiator)
	if !ok {
		return nil, &banks.Error{Status: 422, Code: "bulk_unavailable", Message: prov.Name() + " takes no bulk payments"}
	}
	bulk := banks.BulkRequest{BIC: req.BIC, Affiliate: req.Affiliate, Currency: p.Currency, Corporate: req.Corporate, PSU: req.PSU,
		State: req.State, RedirectURI: req.RedirectURI,
		Debtor: banks.Account{IBAN: acct.Account.IBAN, BBAN: acct.Account.BBAN, ClearingNumber: acct.Account.ClearingNumber, Currency: p.Currency}}
	for _, id := range ids {
		r, err := s.Refunds.Refund(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("checkout: refund %s: %w", id, err)
		}
		bulk.Payments = append(bulk.Payments, banks.BulkPayment{AmountMinor: r.AmountMinor, Amount: r.Amount(), CreditorName: payeeName(r),
			Reference: r.Reference, Creditor: banks.Account{IBAN: r.Payee.IBAN, BBAN: r.Payee.BBAN, ClearingNumber: r.Payee.ClearingNumber, Currency: p.Currency}})
	}
	if bulk.Total() != p.AmountMinor {
		return nil, fmt.Errorf("checkout: refund order %s: its refunds total %d, the order %d", p.ID, bulk.Total(), p.AmountMinor)
	}
	return bi.CreateBulkPayment(ctx, bulk)
}

// followRefunds moves the refunds a refund order carries as the order is about to move: before
// the order, so that a crash between the two leaves the order unfinished, and the reconciler,
// asking the bank again, moves the order and finds its refunds already moved (each step is
// conditional, and records its webhook event once). An order given up before the bank took it
// (refused, cancelled, expired while authorising) puts its refunds back to authorise another
// time; one the bank rejected fails them.
func (s *Service) followRefunds(ctx context.Context, p *payment.Payment, tr payment.Transition) error {
	if p.Kind != payment.KindRefund || s.Refunds == nil {
		return nil
	}
	list, err := s.Refunds.RefundsInBatch(ctx, p.ID)
	if err != nil {
		return fmt.Errorf("checkout: refunds of order %s: %w", p.ID, err)
	}
	for _, r := range list {
		var to payment.RefundStatus
		reason := tr.FailureReason
		switch {
		case tr.To == payment.StatusProcessing:
			to = payment.RefundProcessing
		case tr.To == payment.StatusCompleted:
			to = payment.RefundCompleted
		case r.Status == payment.RefundProcessing || tr.BankStatus == "RJCT":
			to = payment.RefundFailed
		case r.Status == payment.RefundAuthorising:
			to = payment.RefundAwaitingAuthorisation
		}
		if to == "" || to == r.Status || !payment.CanTransitionRefund(r.Status, to) {
			continue
		}
		batch := p.ID
		if to == payment.RefundAwaitingAuthorisation {
			batch = "" // free to be authorised in another order
		}
		if _, err := s.Refunds.TransitionRefund(ctx, r.ID, r.Status, to, reason, batch); err != nil && !errors.Is(err, payment.ErrConflict) {
			return fmt.Errorf("checkout: refund %s: %w", r.ID, err)
		}
	}
	return nil
}

// RefundsPage is the workspace's page of refunds to authorise, where a refund order's person
// goes back after the bank.
const RefundsPage = "/merchant/refunds"

// BulkAt reports whether the bank (a BIC or bank key) takes several refunds under one
// authorisation, as AuthoriseRefunds decides.
func (s *Service) BulkAt(ctx context.Context, bic string) bool {
	b, err := s.bank(ctx, bic)
	if err != nil {
		return false
	}
	bi, ok := s.providers[b.Provider].(banks.BulkInitiator)
	return ok && bi.OffersBulk(b.BIC)
}
