// Package banks defines what paybybank asks of a bank provider, and the one transport every
// connector sends through. Each provider lives in its own package below (banks/<name>), implements
// Provider, ships a fake of its API in a <name>test package, and exposes one Registration
// (registry.go, in its register.go): its settings, when it is on, how to build it, its fake for
// the sandbox and an optional inbound webhook. The server builds from the list of registrations
// in app.Providers, so a new provider is its folder plus one line there.
package banks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"paybybank/payment"
)

// Bank is one bank a shopper can pick.
type Bank struct {
	BIC        string
	Affiliate  string // a savings bank served under BIC (Swedbank's), sent as X-AffiliatedASPSP-ID
	Name       string
	Country    string           // ISO 3166 alpha-2
	Provider   string           // the provider that serves it
	Currencies []string         // currencies it pays in; empty means any
	Approach   payment.Approach // redirect or decoupled, as a hint to the picker
	LogoURL    string
	// DebtorAccount says whether the bank needs the shopper's account up front.
	DebtorAccount payment.DebtorNeed
	// DebtorFormat is the account shape the bank wants: "iban" or "bban".
	DebtorFormat string
	// ReferenceLimits is the longest reference the bank takes, per currency; SameBankLimit, when
	// set, replaces the domestic one for a creditor at the same bank.
	ReferenceLimits map[string]int
	SameBankLimit   int
	// CreditorAddressOutside: payments to a creditor outside this country need the creditor's address.
	CreditorAddressOutside string
	// TSU: the bank takes Portuguese social-security (TSU) payments.
	TSU bool
	// Products are the ways the bank pays, as the checkout offers them (products.go); none:
	// every currency of Currencies, to any IBAN.
	Products []Product
}

// ReferenceLimit is the longest reference the bank takes for a payment in currency to creditorBIC.
func (b Bank) ReferenceLimit(currency, creditorBIC string) int {
	if b.SameBankLimit > 0 && creditorBIC != "" && len(creditorBIC) >= 8 && len(b.BIC) >= 8 && creditorBIC[:8] == b.BIC[:8] && currency != "EUR" {
		return b.SameBankLimit
	}
	if n, ok := b.ReferenceLimits[currency]; ok {
		return n
	}
	return 140
}

// NeedsDebtor reports whether the shopper's account must be known before the payment is created.
func (b Bank) NeedsDebtor() bool { return b.DebtorAccount == payment.DebtorRequired }

// Key names the bank in the picker and in our records: the BIC, or BIC/affiliate.
func (b Bank) Key() string {
	if b.Affiliate != "" {
		return b.BIC + "/" + b.Affiliate
	}
	return b.BIC
}

// SplitKey takes a bank key apart into BIC and affiliate.
func SplitKey(key string) (bic, affiliate string) {
	bic, affiliate, _ = strings.Cut(key, "/")
	return bic, affiliate
}

// Accepts reports whether the bank pays in currency.
func (b Bank) Accepts(currency string) bool {
	if len(b.Currencies) == 0 {
		return true
	}
	for _, c := range b.Currencies {
		if c == currency {
			return true
		}
	}
	return false
}

// Account is an account as the merchant or shopper gave it; a provider formats it per bank.
type Account struct {
	IBAN           string
	BBAN           string
	ClearingNumber string
	Currency       string
}

// Address is a creditor's postal address.
type Address struct {
	Street, PostCode, Town, Country string
}

// PSU is the shopper as banks want to know them: their IP address and browser.
type PSU struct {
	IPAddress string
	UserAgent string
}

// PaymentRequest asks a bank to create a payment.
type PaymentRequest struct {
	BIC             string
	Affiliate       string
	AmountMinor     int64
	Amount          string // decimal string, e.g. "249.00"
	Currency        string
	CreditorName    string
	Creditor        Account
	CreditorAddress *Address
	TSU             *TSU     // a social-security payment rather than a transfer to the creditor
	Debtor          *Account // the shopper's account, where known
	Reference       string
	PSU             PSU
	// State is our opaque callback state; RedirectURI is our /callback. Providers whose
	// authorisation starts with an OAuth redirect (before the payment exists) use them here.
	State       string
	RedirectURI string
	// CreditorIdentity is the merchant's registered identity as a company, for banks that want
	// to know who is paid (Powens' beneficiary_identity); nil when the merchant gave none.
	CreditorIdentity *Identity
	// Corporate is set when the payer acts for a company, paying from its business account (a
	// merchant's refund): the payment is made in the bank's corporate PSU context. nil: a private
	// person pays, as at checkout.
	Corporate *Corporate
}

// Identity is a company's registration: the scheme it is registered under ("siren" for the French
// register), its number there, and its legal form ("SAS", "SARL", "AB").
type Identity struct {
	Scheme      string
	ID          string
	LegalStatus string
}

// ErrNoCreditorIdentity means the bank needs the merchant's identity (Identity) and the merchant
// has none: the bank cannot be offered for this merchant's payments. It is an *Error, a refusal
// made before any call, so nothing exists at the bank; match it with errors.Is.
var ErrNoCreditorIdentity error = &Error{Status: 422, Code: "creditor_identity_required",
	Message: "the merchant has no registered identity (scheme, number, legal status), which this bank requires"}

// Order identifies a payment at its bank and the SCA attempt under way.
type Order struct {
	BIC             string
	Product         string
	PaymentID       string
	AuthorisationID string
	// Affiliate is the savings bank served under BIC that the payment is for, if any.
	Affiliate string
	// Method is the SCA method the bank chose when the authorisation started.
	Method string
	PSU    PSU
	// Extra is the provider's private state, as it left it in Created.Extra and SCA.Extra; a
	// provider may change it during a call (rotated tokens), and the checkout keeps the change.
	Extra map[string]string
}

// Created is the bank's answer to a new payment.
type Created struct {
	PaymentID  string
	Product    string
	BankStatus string
	// Extra is the provider's private state for later calls (tokens, links to follow).
	Extra map[string]string
	// Challenge is set when the bank chose embedded SCA with the creation already.
	Challenge *payment.Challenge
	// AuthorizeFirst is set when RedirectURL only lets the shopper authorise us (OAuth): the
	// payment itself is created on the way back (Continuer).
	AuthorizeFirst bool
	// RedirectURL is set by providers whose SCA is a redirect that needs no separate start.
	RedirectURL string
}

// SCARequest starts strong customer authentication.
type SCARequest struct {
	Mobile      bool   // the shopper's device is a phone: prefer same-device methods
	State       string // our opaque callback state
	RedirectURI string // our /callback
}

// SCA approaches, as the domain names them.
const (
	Redirect  = payment.ApproachRedirect
	Decoupled = payment.ApproachDecoupled
	// Embedded: the shopper types the bank's one-time code on our page.
	Embedded = payment.ApproachEmbedded
)

// OTPSubmitter is implemented by providers whose banks may choose embedded SCA.
type OTPSubmitter interface {
	// SubmitOTP sends the code the shopper typed; finalised reports whether SCA succeeded.
	SubmitOTP(ctx context.Context, o Order, otp string) (finalised bool, err error)
}

// TSU is a Portuguese social-security contribution (SIBS' tsu-payments service).
type TSU struct {
	SocialSecurityAccountCode string // SSMN mainland, SSMD Madeira, SSAZ Azores
	TaxpayerID                string // the employer's taxpayer identification number
	ReferencePeriod           string // YYYYMM
}

// SCA is the state of an authorisation as the bank last told it.
type SCA struct {
	AuthorisationID string
	Approach        payment.Approach
	Method          string
	Status          string // the bank's scaStatus, raw
	RedirectURL     string // redirect approach: where to send the shopper
	QRData          string // decoupled: the current animated-QR payload (or legacy static QR link)
	QRImage         []byte // decoupled: a ready QR image, when the bank sends one instead
	AutostartToken  string // decoupled same-device: token for the BankID app
	Finalised       bool   // SCA succeeded
	Failed          bool   // SCA failed, was cancelled or timed out
	// Hint is the bank's word on a decoupled SCA in progress or failed (BankID's hintCode).
	Hint string
	// Challenge is what embedded SCA asks of the shopper on our page.
	Challenge *payment.Challenge
	// Extra is the provider's private state for later calls (tokens, links to follow).
	Extra map[string]string
}

// ConsentProduct marks an Order that is an account-information consent rather than a payment:
// its SCA runs through the same StartSCA, PollSCA and FinishRedirect.
const ConsentProduct = "consent"

// AccountInfo is one of the shopper's accounts, as their bank lists it.
type AccountInfo = payment.BankAccount

// AccountReader is implemented by providers that can read the shopper's accounts with consent,
// so the checkout can offer "Fetch my accounts" instead of asking the shopper to type one.
type AccountReader interface {
	// CreateConsent asks the bank for one-off access to the list of the shopper's accounts.
	CreateConsent(ctx context.Context, bic string, psu PSU) (consentID string, err error)
	// Accounts lists the accounts under an authorised consent (Order.Product == ConsentProduct).
	Accounts(ctx context.Context, o Order) ([]AccountInfo, error)
}

// PayerReporter is implemented by providers whose banks report, on the payment resource, the
// account a payment was paid from (Berlin Group's GET …/payments/{product}/{paymentId} answers the
// initiation's body with its debtorAccount): the account a shopper chose at the bank becomes known,
// and the payment refundable. The checkout asks once, when a payment completes with its account
// unknown.
type PayerReporter interface {
	// Payer reads the account the payment came from, and its holder's name where the bank gives
	// it; nil when the bank names none.
	Payer(ctx context.Context, o Order) (*payment.PayerAccount, error)
}

// ReportedPayer is the payer's account a bank reported: an IBAN is checked and gives its country;
// a domestic number (BBAN, with its clearing number where given) is kept as the bank wrote it, in
// the bank's country. nil, nil when the bank named neither (a card number, or nothing).
func ReportedPayer(iban, bban, clearing, country, name string) (*payment.PayerAccount, error) {
	var a payment.Account
	switch {
	case strings.TrimSpace(iban) != "":
		var err error
		if a, err = payment.ParseIBANAccount(iban); err != nil {
			return nil, fmt.Errorf("debtorAccount: %w", err)
		}
	case strings.TrimSpace(bban) != "":
		a = payment.Account{BBAN: strings.TrimSpace(bban), ClearingNumber: strings.TrimSpace(clearing), Country: country}
	default:
		return nil, nil
	}
	return &payment.PayerAccount{Account: a, Name: strings.TrimSpace(name)}, nil
}

// Continuer is implemented by providers whose first redirect only lets the shopper authorise us
// (OAuth 2.0 with PKCE, as Paysera): back on our callback, Continue exchanges the code, creates the
// payment and returns where the shopper goes next for SCA. next carries a fresh state.
type Continuer interface {
	Continue(ctx context.Context, o Order, callback url.Values, next SCARequest, req PaymentRequest) (*Created, error)
}

// Provider is one bank provider's API. Every method makes outbound calls with their own time-outs
// and retries 429 and 5xx with backoff before giving up.
type Provider interface {
	// Name is the provider's stable name, kept with each payment.
	Name() string
	// Banks lists the banks this provider serves.
	Banks(ctx context.Context) ([]Bank, error)
	// CreatePayment creates the payment at the bank.
	CreatePayment(ctx context.Context, req PaymentRequest) (*Created, error)
	// StartSCA starts an authorisation of a created payment and triggers SCA.
	StartSCA(ctx context.Context, o Order, req SCARequest) (*SCA, error)
	// PollSCA reads an authorisation's status and, for decoupled SCA, its fresh challenge.
	PollSCA(ctx context.Context, o Order) (*SCA, error)
	// FinishRedirect completes a redirect SCA with what the bank sent to our callback.
	FinishRedirect(ctx context.Context, o Order, callback url.Values) error
	// Status returns the payment's raw ISO 20022 transaction status.
	Status(ctx context.Context, o Order) (string, error)
	// Cancel cancels the payment at the bank, where the bank allows it.
	Cancel(ctx context.Context, o Order) error
}

// Error is a failure reported by a bank.
type Error struct {
	Status    int    // HTTP status
	Code      string // the bank's code, e.g. FORMAT_ERROR
	Message   string
	Retryable bool          // 429 or 5xx: try again later
	RetryIn   time.Duration // from Retry-After, if given
	// Denied is set when the shopper refused the payment at the bank (e.g. access_denied).
	Denied bool
	// Cancelled is set when the shopper cancelled at the provider's own page before reaching the
	// bank (Powens' webview): the payment is cancelled, not refused.
	Cancelled bool
	// Uncertain is set when the request reached the bank and no clear answer came back (a
	// time-out, a reset connection, a 5xx to a creation): the bank may have acted, so the call
	// must not be made again as if it had not.
	Uncertain bool
	// sent records that the request left us; the transport retries a creation only if not.
	sent bool
}

func (e *Error) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("bank: %d %s: %s", e.Status, e.Code, e.Message)
	}
	return fmt.Sprintf("bank: %d: %s", e.Status, e.Message)
}

// IsRetryable reports whether err is a temporary bank failure worth a "Try again".
func IsRetryable(err error) bool {
	var be *Error
	if errors.As(err, &be) {
		return be.Retryable
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// IsUncertain reports whether err leaves open whether the bank acted on the request.
func IsUncertain(err error) bool {
	var be *Error
	return errors.As(err, &be) && be.Uncertain
}

// IsDenied reports whether err means the shopper refused at the bank.
func IsDenied(err error) bool {
	var be *Error
	return errors.As(err, &be) && be.Denied
}

// IsCancelled reports whether err means the shopper cancelled at the provider's page.
func IsCancelled(err error) bool {
	var be *Error
	return errors.As(err, &be) && be.Cancelled
}

// requestIDKey carries our own request id into outbound logs.
type requestIDKey struct{}

// WithRequestID returns a context carrying the inbound request id, logged beside each bank call's own.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFrom returns the inbound request id in ctx, if any.
func RequestIDFrom(ctx context.Context) string {
	s, _ := ctx.Value(requestIDKey{}).(string)
	return s
}

// Header is what a Berlin Group bank is told of the shopper: PSU-IP-Address, the address alone
// (a port or brackets removed; left out when it is not an IP address, rather than sent for the
// bank to refuse), and PSU-User-Agent.
func (p PSU) Header() http.Header {
	h := http.Header{}
	s := strings.TrimSpace(p.IPAddress)
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		h.Set("PSU-IP-Address", a.Unmap().WithZone("").String())
	}
	if p.UserAgent != "" {
		h.Set("PSU-User-Agent", p.UserAgent)
	}
	return h
}

// BankCache keeps a provider's bank list for a while: the lists change rarely and every picker
// shows them.
type BankCache struct {
	TTL time.Duration // default an hour

	mu   sync.Mutex
	list []Bank
	at   time.Time
}

// Get returns the cached list, or fetches it afresh once it is older than TTL. A failed fetch
// is not cached.
func (c *BankCache) Get(ctx context.Context, fetch func(context.Context) ([]Bank, error)) ([]Bank, error) {
	ttl := c.TTL
	if ttl <= 0 {
		ttl = time.Hour
	}
	c.mu.Lock()
	if c.list != nil && time.Since(c.at) < ttl {
		defer c.mu.Unlock()
		return c.list, nil
	}
	c.mu.Unlock()
	list, err := fetch(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.list, c.at = list, time.Now()
	c.mu.Unlock()
	return list, nil
}
