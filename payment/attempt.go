package payment

import (
	"maps"
	"slices"
	"time"
)

// Approach is how the shopper authenticates at their bank.
type Approach string

// The SCA approaches. An attempt whose bank call has not finished has none yet.
const (
	// ApproachRedirect sends the shopper to the bank's own pages, which send them back to /callback.
	ApproachRedirect Approach = "redirect"
	// ApproachDecoupled has the shopper approve in an app (BankID), while our page asks the bank.
	ApproachDecoupled Approach = "decoupled"
	// ApproachEmbedded has the shopper type the bank's one-time code on our page.
	ApproachEmbedded Approach = "embedded"
)

// SCAStatus is where an attempt's strong customer authentication stands. The bank's own
// scaStatus words are kept as it sent them (Berlin Group: received, started, psuAuthenticated,
// scaMethodSelected, finalised, failed, exempted); the checkout acts on the ones named here.
type SCAStatus string

// The SCA statuses the checkout acts on.
const (
	// SCAPending is an attempt the bank has not yet reported on.
	SCAPending SCAStatus = ""
	// SCAFinalised means the shopper authenticated: the bank now decides the payment.
	SCAFinalised SCAStatus = "finalised"
	// SCAExempted means the bank waived SCA: as good as finalised.
	SCAExempted SCAStatus = "exempted"
	// SCAFailed means SCA failed, was cancelled or timed out; see the attempt's Hint for why.
	SCAFailed SCAStatus = "failed"
	// SCALost marks an attempt given up because its bank call never finished (a time-out, a 5xx,
	// a crash mid-call): nothing was taken, and the shopper is told so before choosing again.
	SCALost SCAStatus = "lost"
)

// DebtorNeed says whether a bank needs the shopper's own account before the payment exists.
type DebtorNeed string

// The debtor-account needs of banks.
const (
	// DebtorRequired: the bank refuses the payment without the shopper's account.
	DebtorRequired DebtorNeed = "required"
	// DebtorOptional: the account may be given; the bank asks during SCA otherwise.
	DebtorOptional DebtorNeed = "optional"
	// DebtorAtBank: the shopper picks the account at the bank during SCA; one given is not sent.
	DebtorAtBank DebtorNeed = "at_bank"
)

// Challenge is what a bank asks the shopper to answer on our page in embedded SCA: the method's
// name, the text the bank obliges us to show, and the one-time code's shape.
type Challenge struct {
	Method      string // the SCA method's name, e.g. "SMS OTP"
	Information string // the bank's additional information, shown as it is
	OTPFormat   string // "characters" or "integer", as the bank says
	OTPLength   int    // the code's longest length; 0 when the bank does not say
}

// BankAccount is one of the shopper's accounts, as their bank lists it under a consent.
type BankAccount struct {
	Name     string
	IBAN     string
	BBAN     string
	Currency string
}

// Attempt is one attempt at the shopper's bank for a payment: the bank's order (or, for a
// consent, the bank's account-information consent) and the strong customer authentication
// under way for it. A payment has at most one active attempt; "Try again" replaces it with a
// fresh one, and so does choosing another bank.
type Attempt struct {
	ID             string
	PaymentID      string
	Provider       string
	BIC            string
	Affiliate      string // a savings bank served under BIC, for banks that route by it
	Product        string
	BankPaymentID  string
	BankAuthID     string
	Approach       Approach // empty until the bank's call has finished
	Method         string   // the SCA method id chosen at the bank
	RedirectURL    string   // where the shopper is sent (redirect approach); never logged
	AutostartToken string
	SCAStatus      SCAStatus
	// Hint is the bank's latest word on a decoupled SCA in progress (BankID's hintCode).
	Hint string
	// Challenge is what embedded SCA asks of the shopper; nil for other approaches.
	Challenge *Challenge
	// AuthorizeFirst marks an attempt whose redirect only lets the shopper authorise us (OAuth);
	// the payment is created at the bank when they come back (banks.Continuer).
	AuthorizeFirst bool
	// BankKey is the bank (BIC or BIC/affiliate) a consent attempt reads accounts at, and
	// Accounts what it read, once its SCA is finalised.
	BankKey  string
	Accounts []BankAccount
	// Extra is the provider's private state between calls (tokens, verifier, links to follow);
	// nothing outside the provider reads it.
	Extra        map[string]string
	StateHash    string
	StateUsedAt  time.Time
	PSUIPAddress string
	PSUUserAgent string
	AppLaunched  bool
	Active       bool
	// Outcome, Reason (a code of Reasons) and ReasonDetail (the bank's own words) say how the
	// attempt ended, at EndedAt; Outcome is empty while it is under way.
	Outcome      Outcome
	Reason       string
	ReasonDetail string
	EndedAt      time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Clone returns a deep copy, as the store hands out copies of what it keeps in memory.
func (a *Attempt) Clone() *Attempt {
	c := *a
	c.Extra = maps.Clone(a.Extra)
	c.Accounts = slices.Clone(a.Accounts)
	if a.Challenge != nil {
		ch := *a.Challenge
		c.Challenge = &ch
	}
	return &c
}

// Started reports whether the bank call that starts the attempt has finished: SCA is under way
// by one approach or another.
func (a *Attempt) Started() bool { return a.Approach != "" }

// Outcome is how an attempt at the shopper's bank ended; "" while it is under way.
type Outcome string

// The outcomes of an attempt.
const (
	// OutcomeSucceeded: the shopper authorised the payment and the bank took it.
	OutcomeSucceeded Outcome = "succeeded"
	// OutcomeFailed: the bank refused to start the payment, or rejected it.
	OutcomeFailed Outcome = "failed"
	// OutcomeDenied: the shopper, or their bank, refused it during SCA.
	OutcomeDenied Outcome = "denied"
	// OutcomeCancelled: the shopper cancelled at the bank or in the BankID app, or the payment
	// was cancelled while the attempt was under way.
	OutcomeCancelled Outcome = "cancelled"
	// OutcomeAbandoned: nobody refused: a BankID order lapsed unscanned, the shopper chose another
	// bank, or the payment expired meanwhile.
	OutcomeAbandoned Outcome = "abandoned"
	// OutcomeLost: the bank call never finished (a time-out, a 5xx, a crash mid-call).
	OutcomeLost Outcome = "lost"
)

// Ended reports whether the attempt has an outcome other than success: it may be followed by
// another.
func (a *Attempt) Ended() bool { return a.Outcome != "" && a.Outcome != OutcomeSucceeded }

// AttemptEnd is how an attempt ended: its outcome, a reason code (see Reasons) and the bank's
// own words, for the merchant.
type AttemptEnd struct {
	Outcome Outcome
	Reason  string
	Detail  string
}

// AttemptRecord is an attempt as merchants see it, in the API and in webhooks.
type AttemptRecord struct {
	ID            string    `json:"id"`
	BIC           string    `json:"bic"`
	Provider      string    `json:"provider"`
	Outcome       string    `json:"outcome"`
	Reason        string    `json:"reason,omitempty"`
	ReasonMessage string    `json:"reason_message,omitempty"`
	Detail        string    `json:"detail,omitempty"`
	StartedAt     time.Time `json:"started_at"`
	EndedAt       time.Time `json:"ended_at,omitzero"`
}

// Record is the attempt as merchants see it; an attempt still under way is "pending".
func (a *Attempt) Record() AttemptRecord {
	r := AttemptRecord{ID: a.ID, BIC: a.BIC, Provider: a.Provider, Outcome: string(a.Outcome), Reason: a.Reason,
		ReasonMessage: ReasonMessage(a.Reason), Detail: a.ReasonDetail, StartedAt: a.CreatedAt, EndedAt: a.EndedAt}
	if r.Outcome == "" {
		r.Outcome = "pending"
	}
	return r
}
