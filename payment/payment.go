// Package payment holds the domain of paybybank: a payment, its lifecycle and allowed
// transitions, money amounts and account numbers. It depends on nothing else in the project.
package payment

import (
	"errors"
	"fmt"
	"maps"
	"time"
)

// Status is where a payment stands in its lifecycle.
type Status string

// The lifecycle: open → authorising → processing → completed | failed | cancelled | expired.
const (
	StatusOpen        Status = "open"
	StatusAuthorising Status = "authorising"
	StatusProcessing  Status = "processing"
	StatusCompleted   Status = "completed"
	StatusFailed      Status = "failed"
	StatusCancelled   Status = "cancelled"
	StatusExpired     Status = "expired"
)

// Terminal reports whether s never changes again.
func (s Status) Terminal() bool {
	switch s {
	case StatusCompleted, StatusFailed, StatusCancelled, StatusExpired:
		return true
	}
	return false
}

// Valid reports whether s is one of the lifecycle's states.
func (s Status) Valid() bool {
	switch s {
	case StatusOpen, StatusAuthorising, StatusProcessing, StatusCompleted, StatusFailed, StatusCancelled, StatusExpired:
		return true
	}
	return false
}

// allowed lists every transition of the lifecycle. A payment goes back to open when an attempt at
// the bank ends without success and another may follow (refused, denied, lapsed, rejected after
// approval): the shopper then tries again or chooses another bank.
var allowed = map[Status][]Status{
	StatusOpen:        {StatusAuthorising, StatusCancelled, StatusExpired, StatusFailed},
	StatusAuthorising: {StatusOpen, StatusProcessing, StatusCompleted, StatusFailed, StatusCancelled, StatusExpired},
	StatusProcessing:  {StatusOpen, StatusCompleted, StatusFailed, StatusCancelled},
}

// CanTransition reports whether the lifecycle allows moving from one status to another.
func CanTransition(from, to Status) bool {
	for _, s := range allowed[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Cause says what made a transition happen; it is kept in the event log.
type Cause string

// The causes of transitions.
const (
	CauseMerchant Cause = "merchant"
	CauseShopper  Cause = "shopper"
	CauseCallback Cause = "callback"
	CausePoll     Cause = "poll"
	CauseWebhook  Cause = "webhook"
	CauseTimeout  Cause = "timeout"
)

// Payment is one pay-by-bank payment created by a merchant.
type Payment struct {
	ID string
	// Kind is "" for a merchant's payment, KindRefund for a refund order (refund_order.go).
	Kind        string
	MerchantID  string
	Token       string // the checkout token: unguessable, shown in the checkout URL instead of the id
	Status      Status
	AmountMinor int64
	Currency    string
	Reference   string
	Creditor    Creditor
	Debtor      *Account // the shopper's account, once known
	TSU         *TSU     // a Portuguese social-security payment (SIBS banks only)
	// Refundable: the merchant wants the payment refundable, so the checkout asks for the
	// shopper's account even at banks that do not need it.
	Refundable    bool
	ReturnURL     string
	Locale        string
	PreselectBIC  string
	Country       string
	Metadata      map[string]string
	BankBIC       string // the bank the shopper chose
	Provider      string // the provider serving that bank
	BankStatus    string // the raw ISO 20022 transaction status, as the bank last reported it
	BankAccepted  bool   // the bank accepted it (ACCP, Powens accepted) and may never report settlement
	FailureReason string
	// FailureCode is FailureReason's stable code (payment.Reasons), for merchants and translations.
	FailureCode string
	// MaxAttempts is how many attempts at a bank the merchant allows; 0: as many as time allows.
	MaxAttempts int
	// AutoReturn: the merchant asked that the result page take the shopper back to the shop by
	// itself after a few seconds (the return URL is then required).
	AutoReturn bool
	ExpiresAt  time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Clone returns a deep copy: the store hands out copies of cached payments, so that a caller
// changing its payment changes nobody else's.
func (p *Payment) Clone() *Payment {
	c := *p
	if p.Creditor.Address != nil {
		a := *p.Creditor.Address
		c.Creditor.Address = &a
	}
	if p.Debtor != nil {
		d := *p.Debtor
		c.Debtor = &d
	}
	if p.TSU != nil {
		t := *p.TSU
		c.TSU = &t
	}
	c.Metadata = maps.Clone(p.Metadata)
	return &c
}

// Amount is the payment's amount as a decimal string.
func (p *Payment) Amount() string { return FormatAmount(p.AmountMinor, p.Currency) }

// Expired reports whether the payment is past its time at now and not yet terminal or processing.
func (p *Payment) Expired(now time.Time) bool {
	return !now.Before(p.ExpiresAt) && (p.Status == StatusOpen || p.Status == StatusAuthorising)
}

// Event is one entry of a payment's append-only history.
type Event struct {
	ID         int64     `json:"id"`
	PaymentID  string    `json:"-"`
	From       Status    `json:"from"`
	To         Status    `json:"to"`
	Cause      Cause     `json:"cause"`
	BankStatus string    `json:"bank_status,omitempty"`
	Detail     string    `json:"detail,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// Transition is a requested status change, applied by the store in one conditional update.
type Transition struct {
	From          Status
	To            Status
	Cause         Cause
	BankStatus    string
	BankAccepted  bool
	FailureReason string
	FailureCode   string
	Detail        string
	BankBIC       string // set with the first step out of open: the bank the shopper chose
	Provider      string
}

// Errors shared by every layer; handlers map them to answers in one place.
var (
	ErrNotFound = errors.New("not found")
	// ErrConflict means the state changed under us: another request moved the payment first.
	ErrConflict = errors.New("conflict")
	// ErrIdempotencyMismatch means an Idempotency-Key was reused with another request body.
	ErrIdempotencyMismatch = errors.New("idempotency key reused with a different request")
)

// FieldError is a validation error that names the offending field. Message is for the merchant
// (the API's problem detail, in English); Code, when set, names the shopper's translated sentence
// for the same error (the catalogue's key "field."+Code), whose {name} placeholders Args fills.
type FieldError struct {
	Field   string
	Message string
	Code    string
	Args    map[string]string
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Message) }

// BankOutcome maps an ISO 20022 transaction status code onto our lifecycle.
// It returns the status to move to (or "" to stay pending) and whether the bank merely
// accepted the payment (ACCP), which we treat as completed with that flag kept visible.
// A payment the bank accepted and is still carrying out (ACSP, ACTC, ACWC, ACWP) is processing:
// the shopper approved it, so it must never expire here while the money is on its way.
// PATC (some but not all of the authorisations a payment needs are done) and PART (a bulk: every
// authorisation applied, some transactions accepted, some rejected, without saying which) stay
// pending: neither says what became of each transaction, so we keep asking rather than guess.
func BankOutcome(code string) (Status, bool) {
	switch code {
	case "ACSC", "ACCC":
		return StatusCompleted, false
	case "ACCP":
		return StatusCompleted, true
	case "ACSP", "ACTC", "ACWC", "ACWP":
		return StatusProcessing, false
	case "RJCT":
		return StatusFailed, false
	case "CANC":
		return StatusCancelled, false
	}
	return "", false
}

// ListFilter narrows a listing of a merchant's payments.
type ListFilter struct {
	Status        Status
	CreatedAfter  time.Time // inclusive; zero: no bound
	CreatedBefore time.Time // exclusive; zero: no bound
	Limit         int
	Cursor        string // the id of the last payment of the previous page
	// Query finds payments by id, reference (a part of it), amount (as a decimal) or bank BIC.
	Query    string
	BankBIC  string // the bank chosen, by BIC
	Provider string // the provider that carried the payment
}
