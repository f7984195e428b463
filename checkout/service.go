// Package checkout runs a payment through its bank: it validates what merchants ask for,
// starts SCA at the chosen bank, follows decoupled SCA by polling, completes redirects on the
// callback, confirms every outcome with the bank and moves the payment through its lifecycle.
// Handlers and the reconciler use it; it knows the store and the banks only by interfaces.
package checkout

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"paybybank/banks"
	"paybybank/payment"
)

// Store is what the service needs of the database.
type Store interface {
	CreatePayment(ctx context.Context, p *payment.Payment, idemKey, requestHash string) (*payment.Payment, bool, error)
	Payment(ctx context.Context, id string) (*payment.Payment, error)
	PaymentByToken(ctx context.Context, token string) (*payment.Payment, error)
	Merchant(ctx context.Context, id string) (*payment.Merchant, error)
	Transition(ctx context.Context, id string, tr payment.Transition) (*payment.Payment, error)
	SetBankStatus(ctx context.Context, id, bankStatus string) error
	CreateAuthorisation(ctx context.Context, a *payment.Attempt, replace bool) error
	SaveAuthorisation(ctx context.Context, a *payment.Attempt, tr *payment.Transition) error
	MergeAuthorisationExtra(ctx context.Context, a *payment.Attempt, changes map[string]string) error
	ActiveAuthorisation(ctx context.Context, paymentID string) (*payment.Attempt, error)
	LatestAuthorisation(ctx context.Context, paymentID string) (*payment.Attempt, error)
	UseState(ctx context.Context, stateHash string) (*payment.Attempt, error)
	ReleaseState(ctx context.Context, authID string) error
	UnfinishedPayments(ctx context.Context) ([]*payment.Payment, error)
	SetDebtor(ctx context.Context, id string, a payment.Account) error
	RecordPayerAccount(ctx context.Context, paymentID string, p payment.PayerAccount) (bool, error)
	SetBank(ctx context.Context, id, bic, provider string) error
	AuthorisationByBankPayment(ctx context.Context, provider, bankPaymentID string) (*payment.Attempt, error)
	EndAttempt(ctx context.Context, a *payment.Attempt, cause payment.Cause, tr *payment.Transition) error
	Attempts(ctx context.Context, paymentID string) ([]*payment.Attempt, error)
	InterruptedAuthorisations(ctx context.Context) ([]*payment.Attempt, error)
	SaveLink(ctx context.Context, l *payment.Link) error
	LinkByNonce(ctx context.Context, nonce string) (*payment.Link, error)
}

// Cluster is what the service needs of a database several servers share (PostgreSQL): leases,
// so that each piece of background work runs on one server at a time, and the latest bank answer
// about each decoupled order, so that one server polls it and every server's pages show it.
type Cluster interface {
	ClaimLease(ctx context.Context, name string, ttl time.Duration) (bool, error)
	DeleteExpiredLeases(ctx context.Context) error
	ShareSCA(ctx context.Context, authID string, sca []byte, asked time.Time) error
	SharedSCA(ctx context.Context, authID string) ([]byte, time.Time, error)
}

// Service is the checkout's engine.
type Service struct {
	// Cluster is set when several servers share the database; nil on SQLite, one server.
	Cluster Cluster
	// Refunds is set when refunds can be authorised (refunds.go); nil: no refund orders.
	Refunds   RefundStore
	store     Store
	providers map[string]banks.Provider
	order     []string
	publicURL string
	logger    *slog.Logger
	now       func() time.Time // the clock (Now)
	// PollEvery is how old a cached decoupled-SCA poll may be before the bank is asked again:
	// short enough that a page asking once a second always gets the bank's newest QR frame,
	// long enough that tabs of one order (and the status and its QR image) share a poll.
	PollEvery time.Duration

	mu         sync.Mutex
	polls      map[string]*pollEntry
	bankList   []banks.Bank
	bankListAt time.Time
	bankListV  uint64 // bankList's version, see BankList
	versions   atomic.Uint64
	// choosing counts, per payment, the bank choices this process is making right now (ChooseBank).
	// An attempt whose bank call is unfinished and that no choice here is making was left by a
	// process that died. One server owns the database (store.Lock), so this is exact; several
	// servers would need the attempt to carry its owner and a lease instead.
	choosing map[string]int
	watch    watchers // which payments a page is watching now (watch.go)
}

// New returns a service over store and providers; publicURL is the origin banks send shoppers
// back to; now is the clock payments expire and bank answers age by (nil: time.Now), the same the
// store reads (app.Config.Now).
func New(store Store, providers []banks.Provider, publicURL string, logger *slog.Logger, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	s := &Service{store: store, providers: map[string]banks.Provider{}, publicURL: publicURL, logger: logger,
		now: now, PollEvery: 500 * time.Millisecond, polls: map[string]*pollEntry{},
		choosing: map[string]int{}}
	for _, p := range providers {
		s.providers[p.Name()] = p
		s.order = append(s.order, p.Name())
	}
	return s
}

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.now() }

// CallbackURL is the one redirect URI registered at every bank.
func (s *Service) CallbackURL() string { return s.publicURL + "/callback" }

// CheckoutURL is the shopper's page for a payment.
func (s *Service) CheckoutURL(p *payment.Payment) string { return s.publicURL + "/checkout/" + p.Token }

// NewPayment is a merchant's request for a payment, as decoded from the API.
type NewPayment = payment.Request

// Validate checks a new payment against the merchant (payment.New) and returns the payment to
// store, or a *payment.FieldError naming the first offending field.
func (s *Service) Validate(m *payment.Merchant, in NewPayment) (*payment.Payment, error) {
	return payment.New(m, in, s.Now())
}

// CreatePayment validates and stores a payment; with an idempotency key a repeat returns the first.
func (s *Service) CreatePayment(ctx context.Context, m *payment.Merchant, in NewPayment, idemKey, requestHash string) (*payment.Payment, bool, error) {
	p, err := s.Validate(m, in)
	if err != nil {
		return nil, false, err
	}
	if p.PreselectBIC != "" {
		b, err := s.bank(ctx, p.PreselectBIC)
		if err != nil {
			return nil, false, &payment.FieldError{Field: "bank", Message: "no bank with this BIC is available"}
		}
		// A reference the bank would cut is refused here, never truncated on the way.
		if lim := b.ReferenceLimit(p.Currency, p.Creditor.BIC); len([]rune(p.Reference)) > lim {
			return nil, false, &payment.FieldError{Field: "reference", Message: fmt.Sprintf("is %d characters; %s takes at most %d", len([]rune(p.Reference)), b.Name, lim)}
		}
		if !b.Accepts(p.Currency) {
			return nil, false, &payment.FieldError{Field: "bank", Message: b.Name + " does not pay in " + p.Currency}
		}
		// A bank that cannot pay this creditor account (its product for the currency, where the
		// account is, the form it wants it in) would only refuse the shopper: refused here.
		if p.TSU == nil && p.Kind != payment.KindRefund {
			if why := b.WhyNotPays(p.Currency, creditorAccount(p)); why != "" {
				return nil, false, &payment.FieldError{Field: "bank", Message: fmt.Sprintf("%s (%s) cannot pay %s to this creditor account: %s",
					b.Name, b.BIC, p.Currency, why)}
			}
		}
		// A shopper's account the bank cannot take (and that cannot be converted) would fail every
		// attempt: refused here, as the merchant chose the bank.
		if d := p.Debtor; d != nil && b.NeedsDebtor() && !d.Fits(b.DebtorFormat) {
			return nil, false, &payment.FieldError{Field: "debtor", Message: fmt.Sprintf("%s (%s) takes the payer's account as %s, "+
				"which this account does not give: send debtor as country, clearing_number and account_number", b.Name, b.BIC, payment.FormatName(b.DebtorFormat))}
		}
	}
	return s.store.CreatePayment(ctx, p, idemKey, requestHash)
}

// BankOption is a bank in the picker, with whether it can take this payment.
type BankOption struct {
	*banks.Bank // shared with the cached list: never changed
	Available   bool
	Reason      string // "currency" or "reference" when not available
	Limit       int    // the bank's reference limit, with Reason "reference"
}

// BankList is every bank for a payment. Version names the banks themselves (keys, names,
// countries): two lists with one version differ at most in what the options say of the payment,
// so a drawing of a list may be reused for as long as its version and options stay.
type BankList struct {
	Version uint64
	Options []BankOption
}

// Banks lists every provider's banks for a payment, by country and name, marking those that
// cannot take its currency. A provider that fails is left out and logged, not fatal.
func (s *Service) Banks(ctx context.Context, p *payment.Payment) (BankList, error) {
	list, version, err := s.allBanks(ctx)
	if err != nil {
		return BankList{}, err
	}
	out := make([]BankOption, 0, len(list))
	for i := range list {
		b := &list[i]
		o := BankOption{Bank: b}
		o.Reason, o.Limit = unavailable(b, p)
		o.Available = o.Reason == ""
		out = append(out, o)
	}
	return BankList{Version: version, Options: out}, nil
}

// bankListTTL is how long the merged, sorted list of every provider's banks is reused; each
// provider caches its own list longer, this saves merging and sorting on every page.
const bankListTTL = time.Minute

// allBanks merges every provider's banks, by country and name. A provider that fails is left out
// and logged, not fatal, and the merge is not cached then.
func (s *Service) allBanks(ctx context.Context) ([]banks.Bank, uint64, error) {
	s.mu.Lock()
	if s.bankList != nil && time.Since(s.bankListAt) < bankListTTL {
		defer s.mu.Unlock()
		return s.bankList, s.bankListV, nil
	}
	s.mu.Unlock()
	var out []banks.Bank
	var lastErr error
	for _, name := range s.order {
		list, err := s.providers[name].Banks(ctx)
		if err != nil {
			s.logger.WarnContext(ctx, "bank list failed", slog.String("provider", name), slog.String("error", err.Error()))
			lastErr = err
			continue
		}
		out = append(out, list...)
	}
	if len(out) == 0 && lastErr != nil {
		return nil, 0, lastErr
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Country != out[j].Country {
			return out[i].Country < out[j].Country
		}
		return out[i].Name < out[j].Name
	})
	version := s.versions.Add(1) // every merge is a version of its own, kept or not
	if lastErr == nil {
		s.mu.Lock()
		s.bankList, s.bankListAt, s.bankListV = out, time.Now(), version
		s.mu.Unlock()
	}
	return out, version, nil
}

func (s *Service) bank(ctx context.Context, bic string) (banks.Bank, error) {
	list, _, err := s.allBanks(ctx)
	if err != nil {
		return banks.Bank{}, err
	}
	for _, b := range list {
		if b.Key() == bic {
			return b, nil
		}
	}
	return banks.Bank{}, payment.ErrNotFound
}

// unavailable says why the bank cannot take the payment ("currency", "creditor" when its product
// for the currency cannot pay the creditor's account, "reference" with the bank's limit,
// "address", "tsu"), or "" when it can. The picker and the choice of a bank both ask it.
func unavailable(b *banks.Bank, p *payment.Payment) (reason string, limit int) {
	switch {
	case !b.Accepts(p.Currency):
		return "currency", 0
	case productMissing(b, p):
		return "currency", 0
	case creditorUnpaid(b, p):
		return "creditor", 0
	case len([]rune(p.Reference)) > b.ReferenceLimit(p.Currency, p.Creditor.BIC):
		return "reference", b.ReferenceLimit(p.Currency, p.Creditor.BIC)
	case needsAddress(b, p):
		return "address", 0
	case p.TSU != nil && !b.TSU:
		return "tsu", 0
	}
	return "", 0
}

// productMissing reports whether the bank has no product a shopper's payment in its currency can
// go by (a bank may take a currency only for transfers a checkout does not offer, banks.Product).
// A refund order, paid by the merchant's own person from their bank to the payers' accounts, one
// or in bulk, goes by whatever the bank takes.
func productMissing(b *banks.Bank, p *payment.Payment) bool {
	_, ok := b.ProductFor(p.Currency)
	return !ok && p.Kind != payment.KindRefund
}

// creditorUnpaid reports whether the bank's product cannot pay the creditor's account as the
// payment has it (where it must be, the form the bank wants it in).
func creditorUnpaid(b *banks.Bank, p *payment.Payment) bool {
	return p.TSU == nil && p.Kind != payment.KindRefund && !b.PaysTo(p.Currency, creditorAccount(p))
}

// creditorAccount is the payment's creditor account as banks are given it.
func creditorAccount(p *payment.Payment) banks.Account {
	return banks.Account{IBAN: p.Creditor.IBAN, BBAN: p.Creditor.BBAN, ClearingNumber: p.Creditor.ClearingNumber, Currency: p.Currency}
}

// needsAddress reports whether the bank wants the creditor's address for this payment and the
// creditor has none (OP, for SEPA payments to accounts outside Finland).
func needsAddress(b *banks.Bank, p *payment.Payment) bool {
	return b.CreditorAddressOutside != "" && p.Currency == "EUR" && p.Creditor.Address == nil &&
		p.Creditor.Country() != b.CreditorAddressOutside
}

// ErrUnavailable means the bank cannot take this payment (e.g. its currency).
var ErrUnavailable = errors.New("bank unavailable for this payment")

// ErrNeedDebtor means the chosen bank wants the shopper's own account before the payment exists.
var ErrNeedDebtor = errors.New("the bank needs the shopper's account")

// Bank returns the bank with this BIC, for pages that ask about it.
func (s *Service) Bank(ctx context.Context, bic string) (banks.Bank, error) { return s.bank(ctx, bic) }

// SetDebtor records the shopper's account on an open payment.
func (s *Service) SetDebtor(ctx context.Context, p *payment.Payment, a payment.Account) error {
	if err := s.store.SetDebtor(ctx, p.ID, a); err != nil {
		return err
	}
	p.Debtor = &a
	return nil
}

// newState makes an unguessable callback state; the store keeps only its hash.
func newState() (state, hash string) {
	b := make([]byte, 32)
	rand.Read(b)
	state = base64.RawURLEncoding.EncodeToString(b)
	return state, hashState(state)
}

func hashState(state string) string {
	sum := sha256.Sum256([]byte(state))
	return hex.EncodeToString(sum[:])
}

func order(a *payment.Attempt) banks.Order {
	return banks.Order{BIC: a.BIC, Product: a.Product, PaymentID: a.BankPaymentID, AuthorisationID: a.BankAuthID,
		Affiliate: a.Affiliate, Method: a.Method, PSU: banks.PSU{IPAddress: a.PSUIPAddress, UserAgent: a.PSUUserAgent}, Extra: a.Extra}
}

// ChooseBank creates the payment at the shopper's bank and starts SCA. If the payment already
// has a live bank order (a reload, a second tab, a double click) that order is returned instead:
// a payment never gets a second one while the first can still be authorised.
//
// The attempt is recorded before the bank is called and the bank's payment id as soon as it is
// known, so a crash mid-call leaves a trace to settle (SettleInterrupted). A call whose answer is
// lost (a time-out, a 5xx, a reset: the bank may have acted) is never sent again: the attempt is
// given up, the bank's payment cancelled where its id is known, and the outcome recorded in the
// payment's events; the shopper is told and may choose again.
func (s *Service) ChooseBank(ctx context.Context, p *payment.Payment, bic string, psu banks.PSU, mobile bool) (*payment.Attempt, error) {
	if a, err := s.store.ActiveAuthorisation(ctx, p.ID); err == nil && !IsConsent(a) {
		switch {
		case a.Started():
			return a, nil // SCA started: resume it
		case s.isChoosing(p.ID):
			return a, nil // a choice in this process is asking the bank right now (a double click)
		default:
			// Left by a process that died mid-call: settle it, then choose afresh.
			s.settleInterrupted(ctx, a, payment.CauseShopper, "the server stopped while waiting for the bank")
		}
	} else if err != nil && !errors.Is(err, payment.ErrNotFound) {
		return nil, err
	}
	if p.Status != payment.StatusOpen {
		return nil, fmt.Errorf("checkout: choose bank in status %s: %w", p.Status, payment.ErrConflict)
	}
	if p.Expired(s.Now()) {
		s.Expire(ctx, p)
		return nil, fmt.Errorf("checkout: payment expired: %w", payment.ErrConflict)
	}
	b, err := s.bank(ctx, bic)
	if err != nil {
		return nil, err
	}
	if reason, _ := unavailable(&b, p); reason != "" {
		return nil, ErrUnavailable
	}
	// A payment the merchant wants refundable needs the account it comes from, whatever the bank;
	// an account in a form this bank does not take is asked for anew.
	if (b.NeedsDebtor() || p.Refundable) && (p.Debtor == nil || (b.NeedsDebtor() && !p.Debtor.Fits(b.DebtorFormat))) {
		return nil, ErrNeedDebtor
	}
	prov := s.providers[b.Provider]
	state, hash := newState()
	a := &payment.Attempt{PaymentID: p.ID, Provider: b.Provider, BIC: b.BIC, Affiliate: b.Affiliate, StateHash: hash,
		PSUIPAddress: psu.IPAddress, PSUUserAgent: psu.UserAgent, Extra: map[string]string{}}
	s.startChoosing(p.ID)
	defer s.doneChoosing(p.ID)
	// A consent attempt, or one a dead process left, is replaced.
	if err := s.store.CreateAuthorisation(ctx, a, true); err != nil {
		return nil, err
	}
	req, err := s.paymentRequest(ctx, p, b.BIC, b.Affiliate, psu)
	if err != nil {
		return nil, s.giveUp(ctx, a, err)
	}
	req.State = state
	if b.DebtorAccount == payment.DebtorAtBank || (p.Debtor != nil && !p.Debtor.Fits(b.DebtorFormat)) {
		req.Debtor = nil // picked at the bank, or optional there and in a form it does not take
	}
	created, err := s.createAtBank(ctx, prov, p, req)
	if errors.Is(err, banks.ErrNoCreditorIdentity) {
		// The bank wants to know the merchant and this one never said who it is: the shopper
		// sees this bank as not available for this shop.
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, s.giveUp(ctx, a, err))
	} else if err != nil {
		return nil, s.giveUp(ctx, a, err)
	}
	a.Product, a.BankPaymentID = created.Product, created.PaymentID
	a.Challenge, a.AuthorizeFirst = created.Challenge, created.AuthorizeFirst
	for k, v := range created.Extra {
		a.Extra[k] = v
	}
	// Kept before SCA is asked for: if that answer is lost, or this process dies, the bank's
	// payment can still be cancelled.
	if err := s.store.SaveAuthorisation(ctx, a, nil); err != nil {
		return nil, s.giveUp(ctx, a, err)
	}
	if err := s.startSCA(ctx, prov, a, state, mobile, created.RedirectURL); err != nil {
		return nil, s.giveUp(ctx, a, err)
	}
	tr := &payment.Transition{From: payment.StatusOpen, To: payment.StatusAuthorising, Cause: payment.CauseShopper,
		BankStatus: created.BankStatus, BankBIC: b.BIC, Provider: b.Provider, Detail: "SCA started (" + string(a.Approach) + ")"}
	if err := s.store.SaveAuthorisation(ctx, a, tr); err != nil {
		return nil, err
	}
	return a, nil
}

func (s *Service) isChoosing(paymentID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.choosing[paymentID] > 0
}

func (s *Service) startChoosing(paymentID string) {
	s.mu.Lock()
	s.choosing[paymentID]++
	s.mu.Unlock()
}

func (s *Service) doneChoosing(paymentID string) {
	s.mu.Lock()
	if s.choosing[paymentID]--; s.choosing[paymentID] <= 0 {
		delete(s.choosing, paymentID)
	}
	s.mu.Unlock()
}

// answerLost reports whether a failed bank call may have acted at the bank all the same: its
// answer timed out, was cut off, or was a server error after the request arrived. A refusal (4xx)
// or a 429 or 503 (the bank did not take the request) is not lost.
func answerLost(err error) bool {
	if banks.IsUncertain(err) {
		return true // the transport saw the request leave and no clear answer come back
	}
	var be *banks.Error
	if errors.As(err, &be) {
		return be.Status >= 500 && be.Status != 503
	}
	return true // a time-out, a reset, a cut connection: nobody knows what the bank did
}

// settleTimeout bounds the bank calls that settle an attempt, made after the shopper's own
// request may have run out of time.
const settleTimeout = 15 * time.Second

// giveUp ends an attempt whose bank call failed and returns err. The call is not sent again. A
// bank that refused (and surely did not act) ends the attempt failed, with the refusal as its
// reason; where the answer was lost, or the bank's payment exists, the attempt is settled as
// lost (settleInterrupted), its bank payment cancelled where its id is known.
func (s *Service) giveUp(ctx context.Context, a *payment.Attempt, err error) error {
	if a.BankPaymentID == "" && !answerLost(err) {
		p, perr := s.store.Payment(context.WithoutCancel(ctx), a.PaymentID)
		if perr != nil {
			s.logger.ErrorContext(ctx, "end refused attempt", slog.String("error", perr.Error()))
			return err
		}
		if _, eerr := s.endAttempt(ctx, p, a, payment.AttemptEnd{Outcome: payment.OutcomeFailed, Reason: refusalReason(err),
			Detail: err.Error()}, payment.CauseShopper); eerr != nil {
			s.logger.ErrorContext(ctx, "end refused attempt", slog.String("error", eerr.Error()))
		}
		return err
	}
	why := "the bank did not answer (" + err.Error() + ")"
	if !answerLost(err) {
		why = "the bank refused to go on (" + err.Error() + ")"
	}
	s.settleInterrupted(ctx, a, payment.CauseShopper, why)
	return err
}

// settleInterrupted gives up an attempt whose bank call never finished: it cancels the bank's
// payment where its id is known (the bank answered the creation and the trouble came later), and
// retires the attempt with an event saying what happened and that nothing was taken: without the
// shopper's SCA, which they were never shown, the bank moves no money.
func (s *Service) settleInterrupted(ctx context.Context, a *payment.Attempt, cause payment.Cause, why string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	detail := why + "; attempt given up, nothing taken"
	prov, ok := s.providers[a.Provider]
	switch {
	case a.BankPaymentID == "":
		detail += "; the bank's payment id never arrived, so a payment it may hold cannot be cancelled and lapses unauthorised"
	case !ok:
		detail += "; provider " + a.Provider + " not configured, bank payment " + a.BankPaymentID + " not cancelled"
	default:
		before := maps.Clone(a.Extra)
		err := prov.Cancel(ctx, order(a))
		s.keepExtra(ctx, a, before)
		if err != nil {
			detail += "; cancelling bank payment " + a.BankPaymentID + " failed: " + err.Error()
			s.logger.WarnContext(ctx, "cancel orphaned bank payment", slog.String("payment_id", a.PaymentID),
				slog.String("bank_payment_id", a.BankPaymentID), slog.String("error", err.Error()))
		} else {
			detail += "; bank payment " + a.BankPaymentID + " cancelled at the bank"
		}
	}
	p, err := s.store.Payment(ctx, a.PaymentID)
	if err == nil {
		_, err = s.endAttempt(ctx, p, a, payment.AttemptEnd{Outcome: payment.OutcomeLost, Reason: payment.ReasonBankNoAnswer, Detail: detail}, cause)
	}
	if err != nil {
		s.logger.ErrorContext(ctx, "give up attempt", slog.String("authorisation_id", a.ID), slog.String("error", err.Error()))
		return
	}
	s.logger.InfoContext(ctx, "bank attempt given up", slog.String("payment_id", a.PaymentID), slog.String("detail", detail))
}

// SettleInterrupted settles every attempt whose bank call a dead process left unfinished (see
// settleInterrupted), so that their shoppers are told at once and may choose again. The
// reconciler runs it at start; attempts this process is making are left alone.
func (s *Service) SettleInterrupted(ctx context.Context) (int, error) {
	list, err := s.store.InterruptedAuthorisations(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, a := range list {
		if IsConsent(a) || s.isChoosing(a.PaymentID) {
			continue
		}
		s.settleInterrupted(ctx, a, payment.CausePoll, "the server stopped while waiting for the bank")
		n++
	}
	return n, nil
}

func (s *Service) startSCA(ctx context.Context, prov banks.Provider, a *payment.Attempt, state string, mobile bool, redirect string) error {
	if redirect != "" {
		a.Approach, a.RedirectURL = banks.Redirect, redirect
		return nil
	}
	sca, err := prov.StartSCA(ctx, order(a), banks.SCARequest{Mobile: mobile, State: state, RedirectURI: s.CallbackURL()})
	if err != nil {
		return err
	}
	a.BankAuthID, a.Approach, a.Method, a.SCAStatus = sca.AuthorisationID, sca.Approach, sca.Method, payment.SCAStatus(sca.Status)
	a.RedirectURL, a.AutostartToken = sca.RedirectURL, sca.AutostartToken
	if sca.Hint != "" {
		a.Hint = sca.Hint
	}
	if sca.Challenge != nil {
		a.Challenge = sca.Challenge
	}
	for k, v := range sca.Extra {
		a.Extra[k] = v
	}
	s.remember(a, sca)
	return nil
}

// restartSCA starts a fresh authorisation of the bank payment old authorises, replacing it; mobile
// picks the way to start BankID (on this device, or by QR code from another).
func (s *Service) restartSCA(ctx context.Context, p *payment.Payment, old *payment.Attempt, psu banks.PSU, mobile bool) (*payment.Attempt, error) {
	if p.Expired(s.Now()) {
		s.Expire(ctx, p)
		return nil, fmt.Errorf("checkout: payment expired: %w", payment.ErrConflict)
	}
	prov, ok := s.providers[old.Provider]
	if !ok {
		return nil, fmt.Errorf("checkout: provider %q not configured", old.Provider)
	}
	state, hash := newState()
	a := &payment.Attempt{PaymentID: p.ID, Provider: old.Provider, BIC: old.BIC, Product: old.Product,
		BankPaymentID: old.BankPaymentID, StateHash: hash, PSUIPAddress: psu.IPAddress, PSUUserAgent: psu.UserAgent,
		Extra: map[string]string{}}
	if err := s.store.CreateAuthorisation(ctx, a, true); err != nil {
		return nil, err
	}
	if err := s.startSCA(ctx, prov, a, state, mobile, ""); err != nil {
		a.SCAStatus = payment.SCAFailed
		s.store.SaveAuthorisation(context.WithoutCancel(ctx), a, nil)
		return nil, err
	}
	return a, s.store.SaveAuthorisation(ctx, a, nil)
}

// paymentRequest is what a bank is asked to create for p.
func (s *Service) paymentRequest(ctx context.Context, p *payment.Payment, bic, affiliate string, psu banks.PSU) (banks.PaymentRequest, error) {
	m, err := s.store.Merchant(ctx, p.MerchantID)
	if err != nil {
		return banks.PaymentRequest{}, fmt.Errorf("checkout: payment request: %w", err)
	}
	req := banks.PaymentRequest{BIC: bic, Affiliate: affiliate, AmountMinor: p.AmountMinor, Amount: p.Amount(),
		Currency: p.Currency, CreditorName: p.Creditor.Name, Reference: p.Reference, PSU: psu,
		Creditor: creditorAccount(p), RedirectURI: s.CallbackURL()}
	if a := p.Creditor.Address; a != nil {
		req.CreditorAddress = &banks.Address{Street: a.Street, PostCode: a.PostCode, Town: a.Town, Country: a.Country}
	}
	if d := p.Debtor; d != nil {
		req.Debtor = &banks.Account{IBAN: d.IBAN, BBAN: d.BBAN, ClearingNumber: d.ClearingNumber, Currency: p.Currency}
	}
	if t := p.TSU; t != nil {
		req.TSU = &banks.TSU{SocialSecurityAccountCode: t.SocialSecurityAccountCode, TaxpayerID: t.TaxpayerID, ReferencePeriod: t.ReferencePeriod}
	}
	if id := m.Identity; id != nil {
		req.CreditorIdentity = &banks.Identity{Scheme: id.Scheme, ID: id.ID, LegalStatus: id.LegalStatus}
	}
	return req, nil
}

// SignReturn signs the query a shopper carries back to the merchant, so the shop can trust it:
// hex HMAC-SHA256 of "payment_id=…&status=…" with the merchant's signing secret.
func SignReturn(secret, paymentID string, status payment.Status) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("payment_id=" + paymentID + "&status=" + string(status)))
	return hex.EncodeToString(mac.Sum(nil))
}

// ReturnURL is where "Back to the shop" goes: the merchant's allowed return URL with the
// payment id, status and signature, or "" when the merchant gave none (or no longer allows it).
func (s *Service) ReturnURL(ctx context.Context, p *payment.Payment) (string, error) {
	if p.Kind == payment.KindRefund {
		return s.publicURL + RefundsPage + "?order=" + url.QueryEscape(p.ID), nil // back to the workspace
	}
	if p.ReturnURL == "" {
		return "", nil
	}
	m, err := s.store.Merchant(ctx, p.MerchantID)
	if err != nil {
		return "", err
	}
	if !m.AllowsReturnURL(p.ReturnURL) {
		return "", nil
	}
	u, err := url.Parse(p.ReturnURL)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("payment_id", p.ID)
	q.Set("status", string(p.Status))
	q.Set("signature", SignReturn(m.SigningSecret, p.ID, p.Status))
	u.RawQuery = q.Encode()
	return u.String(), nil
}
