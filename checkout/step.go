package checkout

import (
	"paybybank/banks/bankid"
	"paybybank/payment"
)

// StepOf is the one answer to "what is this payment waiting for?", from the payment and its
// active attempt (nil when it has none). lapsed says the attempt's SCA failed without the
// shopper refusing, so that "Try again" may start afresh (Progress.Retryable).
func StepOf(p *payment.Payment, a *payment.Attempt, lapsed bool) payment.Step {
	switch {
	case p.Status == payment.StatusOpen && IsConsent(a):
		// Reading the shopper's accounts before paying: SCA for the consent, then the account page.
		switch {
		case a.SCAStatus == payment.SCAFinalised || a.SCAStatus == payment.SCAFailed || lapsed:
			return payment.StepAccount
		case a.Approach == payment.ApproachDecoupled:
			return payment.StepBankID
		}
		return payment.StepAtBank
	case p.Status == payment.StatusOpen, p.Status == payment.StatusAuthorising && a == nil:
		return payment.StepBankChoice
	case p.Status == payment.StatusAuthorising && a.Approach == payment.ApproachEmbedded:
		return payment.StepOTP
	case p.Status == payment.StatusAuthorising && a.Approach == payment.ApproachDecoupled:
		return payment.StepBankID
	case p.Status == payment.StatusAuthorising:
		return payment.StepAtBank // by redirect, or the approach is not known yet
	case p.Status == payment.StatusProcessing:
		return payment.StepProcessing
	}
	return payment.StepResult
}

// Next is what the shopper's page shows now: the step, and what it tells the shopper there.
type Next struct {
	Step payment.Step
	// Retry is set at StepBankID when SCA lapsed without the shopper refusing: the page offers
	// "Try again" and no longer asks the bank.
	Retry bool
	// Message is the BankID page's message (bankid.Message's code), which depends on the
	// shopper's device; empty at every other step.
	Message string
}

// Next says what the page shows for the progress just made, to a shopper on a phone (mobile)
// or not.
func (pr *Progress) Next(mobile bool) Next {
	n := Next{Step: StepOf(pr.Payment, pr.Auth, pr.Retryable)}
	if n.Step != payment.StepBankID {
		return n
	}
	a := pr.Auth
	n.Retry = pr.Retryable
	status, qrShown := string(a.SCAStatus), false
	if pr.SCA != nil {
		status, qrShown = pr.SCA.Status, pr.SCA.QRData != "" || len(pr.SCA.QRImage) > 0
	}
	n.Message = bankid.Message(status, pr.Hint, qrShown, mobile, a.AppLaunched, n.Retry)
	return n
}
