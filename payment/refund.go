package payment

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// RefundStatus is where a refund stands. A refund is a payment from the merchant's account to
// the payer's, which a person of the merchant authorises at the merchant's own bank.
type RefundStatus string

// The refund lifecycle: awaiting_authorisation → authorising → processing → completed | failed,
// and cancelled before anyone authorised it.
const (
	RefundAwaitingAuthorisation RefundStatus = "awaiting_authorisation"
	RefundAuthorising           RefundStatus = "authorising"
	RefundProcessing            RefundStatus = "processing"
	RefundCompleted             RefundStatus = "completed"
	RefundFailed                RefundStatus = "failed"
	RefundCancelled             RefundStatus = "cancelled"
)

// refundAllowed lists every transition of a refund. authorising → awaiting_authorisation is the
// person who gave up at the bank: the refund goes back to the list to authorise another time.
var refundAllowed = map[RefundStatus][]RefundStatus{
	RefundAwaitingAuthorisation: {RefundAuthorising, RefundCancelled},
	RefundAuthorising:           {RefundProcessing, RefundCompleted, RefundFailed, RefundAwaitingAuthorisation},
	RefundProcessing:            {RefundCompleted, RefundFailed},
}

// CanTransitionRefund reports whether a refund may move from one status to another.
func CanTransitionRefund(from, to RefundStatus) bool {
	for _, s := range refundAllowed[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Valid reports whether s is one of the refund lifecycle's states.
func (s RefundStatus) Valid() bool {
	switch s {
	case RefundAwaitingAuthorisation, RefundAuthorising, RefundProcessing, RefundCompleted, RefundFailed, RefundCancelled:
		return true
	}
	return false
}

// Terminal reports whether s never changes again.
func (s RefundStatus) Terminal() bool {
	return s == RefundCompleted || s == RefundFailed || s == RefundCancelled
}

// Counts reports whether a refund in status s counts against the payment's amount: every refund
// that has not been cancelled or failed may still move money.
func (s RefundStatus) Counts() bool {
	return s != RefundCancelled && s != RefundFailed
}

// Refund is money going back from the merchant to the account a payment came from.
type Refund struct {
	ID          string
	PaymentID   string
	MerchantID  string
	AmountMinor int64
	Currency    string // always the payment's
	Reference   string // shown on both statements
	Status      RefundStatus
	// Payee is the payer's account the money goes back to; the store keeps it encrypted and
	// only this in-memory value holds it in clear.
	Payee         Account
	PayeeName     string // the payer's name where known; "" otherwise
	FailureReason string
	// BatchID is the authorisation at the merchant's bank carrying the refund (one for a bulk
	// of several); set when the authorisation starts.
	BatchID   string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Amount is the refund's amount as a decimal string.
func (r *Refund) Amount() string { return FormatAmount(r.AmountMinor, r.Currency) }

// RefundAccount is the merchant's own account refunds are paid from, at a bank one of the
// configured providers serves.
type RefundAccount struct {
	MerchantID string
	BIC        string
	Provider   string
	Account    Account
	Name       string // the account holder's name, as the bank knows it
	// CorporateID is the merchant's identification at that bank in the corporate context
	// (PSU-Corporate-ID), for banks that mandate one; "" sends none.
	CorporateID string
	UpdatedAt   time.Time
}

// PayerAccount is the account a payment came from, as the checkout or the bank told it.
type PayerAccount struct {
	Account Account
	Name    string // "" when nobody told it
}

// Errors of refunds, which handlers map to answers in one place.
var (
	// ErrPayerAccountUnknown means the account the payment came from is not known, so there is
	// nowhere to send a refund.
	ErrPayerAccountUnknown = errors.New("the payer's account is unknown")
	// ErrNoRefundAccount means the merchant has no account configured to pay refunds from.
	ErrNoRefundAccount = errors.New("the merchant has no refund account")
)

// NotRefundableError means the payment is not in a state that can be refunded: only completed
// payments are.
type NotRefundableError struct{ Status Status }

func (e *NotRefundableError) Error() string {
	return fmt.Sprintf("the payment is %s; only completed payments can be refunded", e.Status)
}

// OverRefundError means a refund would take the total refunded beyond the payment's amount.
type OverRefundError struct {
	RemainingMinor int64 // what may still be refunded
	Currency       string
}

func (e *OverRefundError) Error() string {
	return fmt.Sprintf("the refunds would exceed the payment: %s %s remains refundable",
		FormatAmount(e.RemainingMinor, e.Currency), e.Currency)
}

// NotCancellableRefundError means the refund has been authorised (or is being) and can no longer
// be cancelled.
type NotCancellableRefundError struct{ Status RefundStatus }

func (e *NotCancellableRefundError) Error() string {
	return fmt.Sprintf("the refund is %s; only a refund awaiting authorisation can be cancelled", e.Status)
}

// NewRefund checks a merchant's request for a refund of p and returns the refund to store, or a
// *FieldError naming the offending field. The amount is in the payment's currency; an empty
// reference becomes "Refund <payment reference>". Whether the payment may be refunded by that
// much is the store's to say, in the transaction that creates it.
func NewRefund(p *Payment, amount, reference string) (*Refund, error) {
	minor, err := ParseAmount(amount, p.Currency)
	if err != nil {
		return nil, fieldError("amount", err.Error())
	}
	if reference == "" {
		reference = "Refund " + p.Reference
		if r := []rune(reference); len(r) > MaxReferenceLength {
			reference = strings.TrimSpace(string(r[:MaxReferenceLength]))
		}
	}
	if err := checkReference(reference); err != nil {
		return nil, err
	}
	return &Refund{PaymentID: p.ID, MerchantID: p.MerchantID, AmountMinor: minor, Currency: p.Currency,
		Reference: reference, Status: RefundAwaitingAuthorisation}, nil
}

// MaskedIBAN shows an account number by its first and last four characters only, the middle
// always as two groups whatever its length: "SE45 **** **** 1234" keeps the payer's account out
// of sight while letting a person recognise it.
func (a Account) MaskedIBAN() string {
	n := a.IBAN
	if n == "" {
		n = a.ClearingNumber + a.BBAN
	}
	if len(n) <= 8 {
		return "**** " + n[max(0, len(n)-4):]
	}
	return n[:4] + " **** **** " + n[len(n)-4:]
}
