package checkout

import (
	"context"

	"paybybank/banks"
	"paybybank/payment"
)

// SwitchSCA changes how the shopper starts BankID for a payment's decoupled SCA: on this device
// (sameDevice: the bank gives an autostart token for the app here) or on another one (a QR code
// to scan). BankID's own sample offers both ways on every page; a bank that gives one way per
// authorisation gets a fresh authorisation of the same bank payment in the other way, which
// replaces the first as a new BankID order replaces one nobody started. Nothing changes when the
// authorisation already goes the asked way, or when the shopper's app already has the order.
func (s *Service) SwitchSCA(ctx context.Context, p *payment.Payment, psu banks.PSU, sameDevice bool) (*payment.Attempt, error) {
	old, err := s.store.ActiveAuthorisation(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	if p.Status != payment.StatusAuthorising || old.Approach != payment.ApproachDecoupled || IsConsent(old) ||
		old.SCAStatus == payment.SCAFinalised || old.SCAStatus == payment.SCAFailed || AppHasOrder(old.Hint) {
		return old, nil
	}
	if goes := old.AutostartToken != ""; goes == sameDevice {
		return old, nil
	}
	if sca, err := s.pollSCA(ctx, old, false); err != nil {
		return nil, err
	} else if sca.Finalised || sca.Failed || AppHasOrder(sca.Hint) {
		return old, nil // the bank's latest word: too late to change how the app starts
	}
	return s.restartSCA(ctx, p, old, psu, sameDevice)
}

// AppHasOrder reports whether BankID's hint says the shopper's app has picked the order up: a
// new authorisation then would cancel what they are signing.
func AppHasOrder(hint string) bool {
	switch hint {
	case "started", "userSign", "userMrtd", "userCallConfirm":
		return true
	}
	return false
}
