package payment

import (
	"fmt"
	"strings"
	"time"
)

// Limits of a new payment, as the API documents them.
const (
	// MaxReferenceLength is the longest reference in characters: ISO 20022's unstructured
	// remittance information. A bank may take fewer (banks.Bank.ReferenceLimit).
	MaxReferenceLength = 140
	// DefaultExpiresIn is how long a payment may wait for its shopper when the merchant does not say.
	DefaultExpiresIn = 15 * 60
	// MinExpiresIn and MaxExpiresIn bound expires_in, in seconds: a minute to a week.
	MinExpiresIn = 60
	MaxExpiresIn = 7 * 24 * 60 * 60
	// MaxLocaleLength bounds the locale tag (BCP 47 allows 35 characters).
	MaxLocaleLength = 35
	// MaxMetadataKeys, MaxMetadataKeyLength and MaxMetadataValueLength bound the merchant's metadata.
	MaxMetadataKeys        = 20
	MaxMetadataKeyLength   = 40
	MaxMetadataValueLength = 500
	// MaxMaxAttempts bounds max_attempts.
	MaxMaxAttempts = 100
)

// Request is a merchant's request for a payment, as decoded from the API.
type Request struct {
	Amount    string
	Currency  string
	Reference string
	Creditor  *Creditor // nil: the merchant's own account
	ReturnURL string
	Locale    string
	Bank      string // a BIC to preselect
	Country   string
	ExpiresIn int // seconds; 0: DefaultExpiresIn
	Metadata  map[string]string
	Debtor    *Account // the shopper's account, when the merchant knows it
	TSU       *TSU     // a Portuguese social-security payment
	// MaxAttempts is how many attempts at a bank the shopper gets; nil: as many as time allows.
	MaxAttempts *int
	// Refundable asks the checkout for the shopper's account even at banks that do not need it,
	// so that the payment can be refunded.
	Refundable bool
	// AutoReturn sends the shopper back to ReturnURL by itself a few seconds after the result.
	AutoReturn bool
}

// New checks a merchant's request and returns the payment to store, expiring ExpiresIn seconds
// after now, or a *FieldError naming the first offending field. It asks nobody: whether the
// chosen bank takes the payment is the checkout's to say.
func New(m *Merchant, in Request, now time.Time) (*Payment, error) {
	if _, ok := CurrencyExponent(in.Currency); !ok {
		return nil, fieldError("currency", fmt.Sprintf("%q is not a supported ISO 4217 currency", in.Currency))
	}
	minor, err := ParseAmount(in.Amount, in.Currency)
	if err != nil {
		return nil, fieldError("amount", err.Error())
	}
	creditor, ownCreditor := m.Creditor, in.Creditor != nil
	if ownCreditor {
		creditor = *in.Creditor // a copy, which Validate tidies (trimmed name, normalised IBAN)
	}
	expiresIn := in.ExpiresIn
	if expiresIn == 0 {
		expiresIn = DefaultExpiresIn
	}
	for _, check := range []func() error{
		func() error { return checkReference(in.Reference) },
		func() error { return checkCreditor(&creditor, ownCreditor) },
		func() error { return checkPlace(m, in) },
		func() error { return checkTSU(in) },
		func() error { return checkExpiresIn(expiresIn) },
		func() error { return checkMetadata(in.Metadata) },
		func() error { return checkMaxAttempts(in.MaxAttempts) },
	} {
		if err := check(); err != nil {
			return nil, err
		}
	}
	maxAttempts := 0
	if in.MaxAttempts != nil {
		maxAttempts = *in.MaxAttempts
	}
	return &Payment{MerchantID: m.ID, MaxAttempts: maxAttempts, AmountMinor: minor, Currency: in.Currency, Reference: in.Reference,
		Creditor: creditor, ReturnURL: in.ReturnURL, Locale: in.Locale, PreselectBIC: in.Bank, Country: in.Country,
		Metadata: in.Metadata, Debtor: in.Debtor, TSU: in.TSU, AutoReturn: in.AutoReturn, Refundable: in.Refundable,
		ExpiresAt: now.Add(time.Duration(expiresIn) * time.Second).UTC().Truncate(time.Microsecond)}, nil
}

func fieldError(field, msg string) error { return &FieldError{Field: field, Message: msg} }

// checkReference: the reference is shown to the shopper and on their statement, so it must say
// something, fit every bank's field, and hold no control characters.
func checkReference(ref string) error {
	if l := len([]rune(ref)); l == 0 || l > MaxReferenceLength {
		return fieldError("reference", fmt.Sprintf("must be 1 to %d characters", MaxReferenceLength))
	}
	if strings.TrimSpace(ref) == "" {
		return fieldError("reference", "must not be blank")
	}
	for _, r := range ref {
		if r < 0x20 || r == 0x7f {
			return fieldError("reference", "must not contain control characters")
		}
	}
	return nil
}

// checkCreditor checks a creditor the merchant gave with this payment; its own was checked when set.
func checkCreditor(c *Creditor, given bool) error {
	if !given {
		return nil
	}
	return c.Validate("creditor.")
}

// checkPlace checks where the shopper is sent and what they are shown: the return URL, the
// preselected bank, the country and the locale.
func checkPlace(m *Merchant, in Request) error {
	switch {
	case in.ReturnURL != "" && !m.AllowsReturnURL(in.ReturnURL):
		return fieldError("return_url", "must be an http(s) URL on one of the merchant's allowed origins")
	case in.Bank != "" && !ValidBIC(in.Bank):
		return fieldError("bank", "is not a valid BIC")
	case in.Country != "" && !countryCode(in.Country):
		return fieldError("country", "must be an ISO 3166 alpha-2 code such as SE")
	case len(in.Locale) > MaxLocaleLength:
		return fieldError("locale", "is too long")
	case in.AutoReturn && in.ReturnURL == "":
		return fieldError("auto_return", "needs a return_url to go back to")
	}
	return nil
}

// countryCode reports whether s looks like an ISO 3166 alpha-2 code: two capital letters.
func countryCode(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

// checkTSU: a Portuguese social-security payment is paid in euros from the payer's Portuguese account.
func checkTSU(in Request) error {
	if in.TSU == nil {
		return nil
	}
	if err := in.TSU.Validate(); err != nil {
		return err
	}
	if in.Debtor == nil || !strings.HasPrefix(in.Debtor.IBAN, "PT") || in.Currency != "EUR" {
		return fieldError("debtor", "a TSU payment needs the payer's Portuguese IBAN and EUR")
	}
	return nil
}

func checkExpiresIn(seconds int) error {
	if seconds < MinExpiresIn || seconds > MaxExpiresIn {
		return fieldError("expires_in", fmt.Sprintf("must be between %d and %d seconds", MinExpiresIn, MaxExpiresIn))
	}
	return nil
}

func checkMetadata(md map[string]string) error {
	if len(md) > MaxMetadataKeys {
		return fieldError("metadata", fmt.Sprintf("at most %d keys", MaxMetadataKeys))
	}
	for k, v := range md {
		if len(k) == 0 || len(k) > MaxMetadataKeyLength || len(v) > MaxMetadataValueLength {
			return fieldError("metadata", fmt.Sprintf("keys are 1 to %d characters, values at most %d",
				MaxMetadataKeyLength, MaxMetadataValueLength))
		}
	}
	return nil
}

func checkMaxAttempts(n *int) error {
	if n != nil && (*n < 1 || *n > MaxMaxAttempts) {
		return fieldError("max_attempts", fmt.Sprintf("must be a whole number from 1 to %d", MaxMaxAttempts))
	}
	return nil
}
