package checkout

import (
	"context"
	"fmt"

	"paybybank/banks"
	"paybybank/payment"
)

// IsConsent reports whether an SCA attempt is for reading the shopper's accounts, not for paying.
func IsConsent(a *payment.Attempt) bool { return a != nil && a.Product == banks.ConsentProduct }

// StartConsent asks the shopper's bank for the list of their accounts ("Fetch my accounts"): it
// creates a one-off account-information consent and starts its SCA by the same decoupled or
// redirect means as a payment. The payment stays open until the shopper picks an account.
func (s *Service) StartConsent(ctx context.Context, p *payment.Payment, bic string, psu banks.PSU, mobile bool) (*payment.Attempt, error) {
	if p.Status != payment.StatusOpen {
		return nil, fmt.Errorf("checkout: consent in status %s: %w", p.Status, payment.ErrConflict)
	}
	b, err := s.bank(ctx, bic)
	if err != nil {
		return nil, err
	}
	prov := s.providers[b.Provider]
	reader, ok := prov.(banks.AccountReader)
	if !ok {
		return nil, ErrUnavailable
	}
	consentID, err := reader.CreateConsent(ctx, b.BIC, psu)
	if err != nil {
		return nil, err
	}
	state, hash := newState()
	a := &payment.Attempt{PaymentID: p.ID, Provider: b.Provider, BIC: b.BIC, Product: banks.ConsentProduct,
		BankPaymentID: consentID, StateHash: hash, PSUIPAddress: psu.IPAddress, PSUUserAgent: psu.UserAgent, Extra: map[string]string{}}
	if err := s.store.CreateAuthorisation(ctx, a, true); err != nil {
		return nil, err
	}
	a.BankKey = b.Key()
	if err := s.store.SetBank(ctx, p.ID, b.BIC, b.Provider); err != nil {
		return nil, err
	}
	p.BankBIC, p.Provider = b.BIC, b.Provider
	if err := s.startSCA(ctx, prov, a, state, mobile, ""); err != nil {
		a.Active = false
		s.store.SaveAuthorisation(context.WithoutCancel(ctx), a, nil)
		return nil, err
	}
	return a, s.store.SaveAuthorisation(ctx, a, nil)
}

// consentDone reads the accounts once the consent's SCA is finalised and keeps them with the attempt.
func (s *Service) consentDone(ctx context.Context, a *payment.Attempt) error {
	reader, ok := s.providers[a.Provider].(banks.AccountReader)
	if !ok {
		return ErrUnavailable
	}
	list, err := reader.Accounts(ctx, order(a))
	if err != nil {
		return err
	}
	if list == nil {
		list = []banks.AccountInfo{} // read, and none: not the nil of accounts never read
	}
	a.SCAStatus, a.Accounts = payment.SCAFinalised, list
	return s.store.SaveAuthorisation(ctx, a, nil)
}

// ConsentAccounts returns the accounts read at bic for an open payment, or ErrNotFound.
func (s *Service) ConsentAccounts(ctx context.Context, p *payment.Payment, bic string) ([]banks.AccountInfo, error) {
	a, err := s.store.ActiveAuthorisation(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	if !IsConsent(a) || a.BankKey != bic || a.Accounts == nil {
		return nil, payment.ErrNotFound
	}
	return a.Accounts, nil
}

// ProviderReadsAccounts reports whether a provider can read the shopper's accounts with consent.
func (s *Service) ProviderReadsAccounts(name string) (banks.AccountReader, bool) {
	r, ok := s.providers[name].(banks.AccountReader)
	return r, ok
}

// AppLaunched records that the shopper's device was sent to the BankID app for the attempt, once:
// the page then waits for the app rather than offering to open it.
func (s *Service) AppLaunched(ctx context.Context, a *payment.Attempt) error {
	if a.AppLaunched {
		return nil
	}
	a.AppLaunched = true
	return s.store.SaveAuthorisation(ctx, a, nil)
}
