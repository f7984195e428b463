package checkout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"sync"
	"time"

	"paybybank/banks"
	"paybybank/payment"
)

// pollEntry caches the latest decoupled-SCA answer of one authorisation, so every shopper tab
// and the QR image share one bank poll per second; mu lets one poll run at a time.
type pollEntry struct {
	paymentID string // whose attempt: forgotten with the rest when the payment ends (forgetPayment)

	mu      sync.Mutex
	sca     *banks.SCA
	at      time.Time
	checked time.Time // when the bank was last asked about a redirect attempt (redirectCheckEvery)
}

// redirectCheckEvery is how often the bank is asked about a payment whose shopper is on the bank's
// own pages (redirect SCA): one who approves there and never comes back has paid, and the merchant
// should hear so within seconds, not at expiry. Seldom enough to cost a bank little.
const redirectCheckEvery = 15 * time.Second

func (s *Service) entry(a *payment.Attempt) *pollEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.polls[a.ID]
	if e == nil {
		e = &pollEntry{paymentID: a.PaymentID}
		s.polls[a.ID] = e
	}
	return e
}

func (s *Service) remember(a *payment.Attempt, sca *banks.SCA) {
	e := s.entry(a)
	e.mu.Lock()
	e.sca, e.at = sca, s.Now()
	e.mu.Unlock()
}

func (s *Service) forget(authID string) {
	s.mu.Lock()
	delete(s.polls, authID)
	s.mu.Unlock()
}

// forgetPayment drops what is kept of every attempt of a payment that has ended: nobody asks its
// bank about it again, whichever way it ended (a poll, the callback, a webhook, the shopper).
func (s *Service) forgetPayment(paymentID string) {
	s.mu.Lock()
	for id, e := range s.polls {
		if e.paymentID == paymentID {
			delete(s.polls, id)
		}
	}
	s.mu.Unlock()
}

// Progress is what the shopper's page shows while a payment is under way.
type Progress struct {
	Payment *payment.Payment
	Auth    *payment.Attempt // the live attempt, if any
	SCA     *banks.SCA       // the bank's latest word on decoupled SCA
	// Retryable is set when SCA failed without the shopper refusing: "Try again" starts afresh.
	Retryable bool
	Hint      string // BankID hint code, where known
}

// Progress brings a payment up to date with its bank (at most one bank poll per PollEvery) and
// returns what the page should show. It is safe to call from many tabs at once.
func (s *Service) Progress(ctx context.Context, p *payment.Payment, cause payment.Cause) (*Progress, error) {
	pr := &Progress{Payment: p}
	if p.Status.Terminal() {
		return pr, nil
	}
	if p.Expired(s.Now()) {
		np, err := s.Expire(ctx, p)
		pr.Payment = np
		return pr, err
	}
	if p.Status == payment.StatusOpen && p.BankBIC == "" {
		return pr, nil // no bank involved yet: nothing to ask (a choice in flight moves it on itself)
	}
	a, err := s.store.ActiveAuthorisation(ctx, p.ID)
	if errors.Is(err, payment.ErrNotFound) {
		return pr, nil
	} else if err != nil {
		return nil, err
	}
	pr.Auth = a
	if a.BankPaymentID == "" {
		return pr, nil // the bank call is still under way (or was cut short by a crash)
	}
	// What the payment waits for says what to ask the bank: a decoupled SCA's news, a redirect's
	// outcome now and then, or the transaction status of an approved payment.
	lapsed := a.SCAStatus == payment.SCAFailed
	switch step := StepOf(p, a, lapsed); {
	case step == payment.StepBankID && lapsed:
		// Failed before this process could end it (an older version kept such attempts): end it now.
		s.cancelQuietly(ctx, a)
		np, err := s.endAttempt(ctx, p, a, bankIDEnd(a.Hint), cause)
		pr.Payment, pr.Auth, pr.Hint = np, nil, a.Hint
		return pr, err
	case step == payment.StepBankID && IsConsent(a):
		sca, err := s.livePoll(ctx, pr, a, cause)
		if err != nil {
			return pr, err
		}
		switch {
		case sca.Finalised:
			s.forget(a.ID)
			return pr, s.consentDone(ctx, a)
		case sca.Failed:
			a.SCAStatus = payment.SCAFailed
			a.Hint = pr.Hint
			s.forget(a.ID)
			pr.Retryable = true
			return pr, s.store.SaveAuthorisation(ctx, a, nil)
		}
		return pr, nil
	case IsConsent(a):
		pr.Retryable = lapsed
		return pr, nil
	case step == payment.StepBankID:
		sca, err := s.livePoll(ctx, pr, a, cause)
		if err != nil {
			return pr, err
		}
		switch {
		case sca.Finalised:
			np, err := s.confirm(ctx, p, a, cause, "SCA finalised")
			pr.Payment = np
			return pr, err
		case sca.Failed:
			return s.scaFailed(ctx, pr, cause)
		}
	case step == payment.StepAtBank && a.Approach == payment.ApproachRedirect && cause == payment.CausePoll:
		np, err := s.checkRedirect(ctx, p, a)
		pr.Payment = np
		return pr, err
	case step == payment.StepProcessing:
		np, err := s.confirm(ctx, p, a, cause, "")
		pr.Payment = np
		return pr, err
	}
	return pr, nil
}

// livePoll asks the bank about a decoupled SCA attempt (payment or consent), notes the hint for
// the page and records a changed scaStatus. The live status and QR requests share one bank poll a
// second; a page load (the shopper back from the app, a reload) always asks the bank afresh.
func (s *Service) livePoll(ctx context.Context, pr *Progress, a *payment.Attempt, cause payment.Cause) (*banks.SCA, error) {
	sca, err := s.pollSCA(ctx, a, cause != payment.CausePoll)
	if err != nil {
		return nil, err
	}
	pr.SCA, pr.Hint = sca, sca.Hint
	if status := payment.SCAStatus(sca.Status); status != a.SCAStatus {
		a.SCAStatus = status
		if err := s.store.SaveAuthorisation(ctx, a, nil); err != nil {
			return nil, err
		}
	}
	return sca, nil
}

// scaFailed ends the attempt whose decoupled (BankID) SCA failed, as BankID's hint says why, and
// the payment goes back to the bank choice (or fails, when no attempt may follow). An order that
// lapsed unscanned is cancelled at the bank: nobody will approve it now.
func (s *Service) scaFailed(ctx context.Context, pr *Progress, cause payment.Cause) (*Progress, error) {
	a := pr.Auth
	if pr.SCA.Hint != "" {
		a.Hint = pr.SCA.Hint
	}
	end := bankIDEnd(a.Hint)
	if end.Outcome == payment.OutcomeAbandoned {
		s.cancelQuietly(ctx, a)
	}
	np, err := s.endAttempt(ctx, pr.Payment, a, end, cause)
	pr.Payment, pr.Hint, pr.Auth = np, a.Hint, nil
	return pr, err
}

func (s *Service) pollSCA(ctx context.Context, a *payment.Attempt, fresh bool) (*banks.SCA, error) {
	e := s.entry(a)
	e.mu.Lock()
	defer e.mu.Unlock()
	if !fresh && e.sca != nil && s.Now().Sub(e.at) < s.PollEvery {
		return e.sca, nil
	}
	if s.Cluster != nil {
		if sca, ok := s.sharedSCA(ctx, a); ok {
			e.sca, e.at = sca, s.Now()
			return sca, nil
		}
	}
	prov, ok := s.providers[a.Provider]
	if !ok {
		return nil, fmt.Errorf("checkout: provider %q not configured", a.Provider)
	}
	asked := s.Now() // the answer is as old as the question: a slow answer is no fresher
	sca, err := prov.PollSCA(ctx, order(a))
	if err != nil {
		return nil, err
	}
	e.sca, e.at = sca, asked
	if s.Cluster != nil {
		if b, err := json.Marshal(sca); err == nil {
			if err := s.Cluster.ShareSCA(ctx, a.ID, b, asked); err != nil {
				s.logger.WarnContext(ctx, "share SCA", slog.String("error", err.Error()))
			}
		}
	}
	return sca, nil
}

// clusterPollLease is how long, with several servers, the server polling a decoupled order keeps
// it: its pages ask once a second, and while it does no other server asks the bank.
const clusterPollLease = 900 * time.Millisecond

// sharedAnswerFresh is how old another server's answer may be and still be shown instead of
// asking the bank: older, its poller has stopped or died, and this server asks itself.
const sharedAnswerFresh = 2 * time.Second

// sharedSCA is, with several servers, the latest answer another server got about the order when
// that server polls it now; ok is false when this server is to ask the bank itself.
func (s *Service) sharedSCA(ctx context.Context, a *payment.Attempt) (*banks.SCA, bool) {
	held, err := s.Cluster.ClaimLease(ctx, "poll:"+a.ID, clusterPollLease)
	if err != nil || held {
		return nil, false
	}
	b, asked, err := s.Cluster.SharedSCA(ctx, a.ID)
	if err != nil || b == nil || s.Now().Sub(asked) > sharedAnswerFresh {
		return nil, false
	}
	var sca banks.SCA
	if err := json.Unmarshal(b, &sca); err != nil {
		return nil, false
	}
	return &sca, true
}

// CurrentSCA returns the latest decoupled challenge of a payment's live attempt, polling the bank
// if the cached one is older than PollEvery. The QR image handler uses it.
func (s *Service) CurrentSCA(ctx context.Context, p *payment.Payment) (*banks.SCA, error) {
	a, err := s.store.ActiveAuthorisation(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	if a.Approach != banks.Decoupled || a.BankPaymentID == "" {
		return nil, payment.ErrNotFound
	}
	return s.pollSCA(ctx, a, false)
}

// checkRedirect asks the bank, at most every redirectCheckEvery, about a payment whose shopper is
// away at the bank, and applies only a decided outcome: an undecided one waits for the shopper's
// return (the callback) or for expiry.
func (s *Service) checkRedirect(ctx context.Context, p *payment.Payment, a *payment.Attempt) (*payment.Payment, error) {
	e := s.entry(a)
	e.mu.Lock()
	due := e.checked.IsZero() || s.Now().Sub(e.checked) >= redirectCheckEvery
	if due {
		e.checked = s.Now()
	}
	e.mu.Unlock()
	prov, ok := s.providers[a.Provider]
	if !due || !ok {
		return p, nil
	}
	np, _, err := s.settleIfDecided(ctx, p, a, prov, payment.CausePoll, "decided at the bank while the shopper was away")
	return np, err
}

// settleIfDecided asks the bank about a payment and, when the bank has decided it (settled,
// accepted and on its way, rejected, cancelled), applies the bank's word and reports decided. An undecided payment is left
// as it is, for the caller to wait on or give up on.
func (s *Service) settleIfDecided(ctx context.Context, p *payment.Payment, a *payment.Attempt, prov banks.Provider,
	cause payment.Cause, detail string) (_ *payment.Payment, decided bool, _ error) {
	code, err := s.bankStatus(ctx, prov, a)
	if err != nil {
		return p, false, err
	}
	if to, _ := payment.BankOutcome(code); to == "" {
		return p, false, nil
	}
	s.forget(a.ID)
	np, err := s.apply(ctx, p, a, code, cause, detail)
	return np, true, err
}

// keepExtra stores what a provider wrote into an attempt's Extra during a call (Paysera's rotated
// tokens), so that the next call finds it, after a restart too.
func (s *Service) keepExtra(ctx context.Context, a *payment.Attempt, before map[string]string) {
	changes := map[string]string{}
	for k, v := range a.Extra {
		if old, ok := before[k]; !ok || old != v {
			changes[k] = v
		}
	}
	if len(changes) == 0 {
		return
	}
	if err := s.store.MergeAuthorisationExtra(context.WithoutCancel(ctx), a, changes); err != nil {
		s.logger.ErrorContext(ctx, "keep the bank's new tokens", slog.String("authorisation_id", a.ID), slog.String("error", err.Error()))
	}
}

// confirm asks the bank for the transaction status and applies it: settled, rejected or
// cancelled end the payment; anything else after SCA means processing.
func (s *Service) confirm(ctx context.Context, p *payment.Payment, a *payment.Attempt, cause payment.Cause, detail string) (*payment.Payment, error) {
	prov, ok := s.providers[a.Provider]
	if !ok {
		return p, fmt.Errorf("checkout: provider %q not configured", a.Provider)
	}
	code, err := s.bankStatus(ctx, prov, a)
	if err != nil {
		return p, err
	}
	return s.apply(ctx, p, a, code, cause, detail)
}

// bankStatus asks the bank for a payment's transaction status, keeping any tokens it rotated.
func (s *Service) bankStatus(ctx context.Context, prov banks.Provider, a *payment.Attempt) (string, error) {
	before := maps.Clone(a.Extra)
	code, err := prov.Status(ctx, order(a))
	s.keepExtra(ctx, a, before)
	return code, err
}

// apply moves a payment as the bank's transaction status says. A rejection or a cancellation at
// the bank ends the attempt a (when given), and the payment waits for another (endAttempt); with
// a nil it ends the payment.
func (s *Service) apply(ctx context.Context, p *payment.Payment, a *payment.Attempt, code string, cause payment.Cause, detail string) (*payment.Payment, error) {
	to, accepted := payment.BankOutcome(code)
	if to == "" || to == payment.StatusProcessing {
		if p.Status == payment.StatusAuthorising {
			return s.move(ctx, p, payment.Transition{To: payment.StatusProcessing, Cause: cause, BankStatus: code, Detail: detail})
		}
		if code != p.BankStatus {
			if err := s.store.SetBankStatus(ctx, p.ID, code); err != nil {
				return p, err
			}
			p.BankStatus = code
		}
		return p, nil
	}
	tr := payment.Transition{To: to, Cause: cause, BankStatus: code, BankAccepted: accepted, Detail: detail}
	end := payment.AttemptEnd{Outcome: payment.OutcomeFailed, Reason: payment.ReasonRejectedByBank, Detail: "transaction status " + code}
	switch to {
	case payment.StatusFailed:
		tr.FailureCode = payment.ReasonRejectedByBank
	case payment.StatusCancelled:
		tr.FailureCode = payment.ReasonCancelledAtBank
		end = payment.AttemptEnd{Outcome: payment.OutcomeCancelled, Reason: payment.ReasonCancelledAtBank, Detail: "transaction status " + code}
	}
	tr.FailureReason = payment.ReasonMessage(tr.FailureCode)
	if a != nil && tr.FailureCode != "" && !IsConsent(a) {
		if code != p.BankStatus {
			if err := s.store.SetBankStatus(ctx, p.ID, code); err != nil {
				return p, err
			}
			p.BankStatus = code
		}
		if detail != "" {
			end.Detail += "; " + detail
		}
		return s.endAttempt(ctx, p, a, end, cause)
	}
	return s.move(ctx, p, tr)
}

// move applies a transition from the payment's current status. If another request moved the
// payment first, the fresh payment is returned and the loser's change is dropped: callbacks,
// polls and webhooks may race, and the first one wins.
func (s *Service) move(ctx context.Context, p *payment.Payment, tr payment.Transition) (*payment.Payment, error) {
	tr.From = p.Status
	if err := s.followRefunds(ctx, p, tr); err != nil {
		return p, err
	}
	np, err := s.store.Transition(ctx, p.ID, tr)
	if errors.Is(err, payment.ErrConflict) {
		fresh, ferr := s.store.Payment(ctx, p.ID)
		if ferr != nil {
			return p, ferr
		}
		return fresh, nil
	}
	if err != nil {
		return p, err
	}
	s.logger.InfoContext(ctx, "payment status", slog.String("payment_id", p.ID), slog.String("from", string(tr.From)),
		slog.String("to", string(tr.To)), slog.String("cause", string(tr.Cause)), slog.String("bank_status", tr.BankStatus))
	if np.Status.Terminal() {
		s.forgetPayment(p.ID)
	}
	if np.Status == payment.StatusCompleted {
		s.recordPayer(ctx, np) // this call completed it: the one place that asks for the payer's account
	}
	return np, nil
}

// Callback errors a shopper can meet on /callback.
var (
	ErrBadState  = errors.New("unknown or forged state")
	ErrUsedState = errors.New("state already used or expired")
)

// CallbackStateTTL bounds how long after starting SCA a callback state is accepted.
const CallbackStateTTL = 30 * time.Minute

// Callback completes a redirect SCA: it verifies the state (unguessable, single use, bound to
// one attempt of one payment), lets the provider finish (the code exchange), and confirms the
// outcome with the bank. The payment is returned for the result page.
func (s *Service) Callback(ctx context.Context, q url.Values) (*payment.Payment, error) {
	p, _, err := s.CallbackNext(ctx, q)
	return p, err
}

// CallbackNext is Callback for handlers: next, when set, is where the shopper goes on (a bank whose
// first redirect only authorised us, and which now wants SCA for the payment itself).
func (s *Service) CallbackNext(ctx context.Context, q url.Values) (*payment.Payment, string, error) {
	state := q.Get("state")
	if state == "" || len(state) > 200 {
		return nil, "", ErrBadState
	}
	a, err := s.store.UseState(ctx, hashState(state))
	switch {
	case errors.Is(err, payment.ErrNotFound):
		return nil, "", ErrBadState
	case errors.Is(err, payment.ErrConflict):
		return nil, "", ErrUsedState
	case err != nil:
		return nil, "", err
	}
	if !a.Active {
		// The attempt ended while the shopper was at the bank: back to the payment, which says how.
		p, err := s.store.Payment(ctx, a.PaymentID)
		return p, "", err
	}
	if a.AuthorizeFirst {
		return s.continueAfterAuthorize(ctx, a, q)
	}
	p, err := s.finishCallback(ctx, a, q)
	return p, "", err
}

// continueAfterAuthorize handles the first return from a Continuer bank: code exchanged, payment
// created, and the shopper sent to the bank again with a fresh, single-use state.
func (s *Service) continueAfterAuthorize(ctx context.Context, a *payment.Attempt, q url.Values) (*payment.Payment, string, error) {
	p, err := s.store.Payment(ctx, a.PaymentID)
	if err != nil {
		return nil, "", err
	}
	if p.Status != payment.StatusAuthorising {
		return p, "", nil
	}
	cont, ok := s.providers[a.Provider].(banks.Continuer)
	if !ok {
		return p, "", fmt.Errorf("checkout: provider %q cannot continue", a.Provider)
	}
	state, hash := newState()
	next := &payment.Attempt{PaymentID: p.ID, Provider: a.Provider, BIC: a.BIC, StateHash: hash,
		PSUIPAddress: a.PSUIPAddress, PSUUserAgent: a.PSUUserAgent, Extra: map[string]string{}}
	req, err := s.paymentRequest(ctx, p, a.BIC, "", banks.PSU{IPAddress: a.PSUIPAddress, UserAgent: a.PSUUserAgent})
	if err != nil {
		s.store.ReleaseState(context.WithoutCancel(ctx), a.ID)
		return p, "", err
	}
	created, err := cont.Continue(ctx, order(a), q, banks.SCARequest{State: state, RedirectURI: s.CallbackURL()}, req)
	if err != nil {
		if end, ok := redirectEnd(err); ok {
			np, merr := s.endAttempt(ctx, p, a, end, payment.CauseCallback)
			return np, "", merr
		}
		s.store.ReleaseState(context.WithoutCancel(ctx), a.ID)
		return p, "", err
	}
	next.Product, next.BankPaymentID, next.Approach, next.RedirectURL = created.Product, created.PaymentID, banks.Redirect, created.RedirectURL
	next.Challenge = created.Challenge
	for k, v := range created.Extra {
		next.Extra[k] = v
	}
	if err := s.store.CreateAuthorisation(ctx, next, true); err != nil {
		return p, "", err
	}
	if err := s.store.SaveAuthorisation(ctx, next, nil); err != nil {
		return p, "", err
	}
	if created.BankStatus != "" {
		s.store.SetBankStatus(ctx, p.ID, created.BankStatus)
	}
	return p, created.RedirectURL, nil
}

func (s *Service) finishCallback(ctx context.Context, a *payment.Attempt, q url.Values) (*payment.Payment, error) {
	p, err := s.store.Payment(ctx, a.PaymentID)
	if err != nil {
		return nil, err
	}
	if s.Now().Sub(a.CreatedAt) > CallbackStateTTL {
		return p, ErrUsedState
	}
	if p.Status.Terminal() {
		return p, nil
	}
	if p.Expired(s.Now()) {
		return s.Expire(ctx, p)
	}
	prov, ok := s.providers[a.Provider]
	if !ok {
		return p, fmt.Errorf("checkout: provider %q not configured", a.Provider)
	}
	if IsConsent(a) {
		if err := prov.FinishRedirect(ctx, order(a), q); err != nil {
			a.SCAStatus = payment.SCAFailed
			s.store.SaveAuthorisation(context.WithoutCancel(ctx), a, nil)
			return p, nil // the account page says the accounts could not be read, and offers typing
		}
		return p, s.consentDone(ctx, a)
	}
	if err := prov.FinishRedirect(ctx, order(a), q); err != nil {
		if end, ok := redirectEnd(err); ok {
			// The attempt ends (and, with it, any state a webhook moved on meanwhile without an
			// outcome, processing): the shopper chooses again.
			return s.endAttempt(ctx, p, a, end, payment.CauseCallback)
		}
		// The bank did not answer: let the shopper try the same callback again.
		if rerr := s.store.ReleaseState(context.WithoutCancel(ctx), a.ID); rerr != nil {
			s.logger.ErrorContext(ctx, "release state", slog.String("error", rerr.Error()))
		}
		return p, err
	}
	a.SCAStatus = payment.SCAFinalised
	if err := s.store.SaveAuthorisation(ctx, a, nil); err != nil {
		return p, err
	}
	return s.confirm(ctx, p, a, payment.CauseCallback, "redirect SCA confirmed")
}

// redirectEnd is how the bank's refusal on the shopper's return from its pages ends the attempt:
// cancelled at the bank's (or provider's) page, denied there, or failed; ok is false when the bank
// did not answer, and the shopper may bring the same return again.
func redirectEnd(err error) (payment.AttemptEnd, bool) {
	var be *banks.Error
	switch {
	case banks.IsCancelled(err):
		return payment.AttemptEnd{Outcome: payment.OutcomeCancelled, Reason: payment.ReasonCancelledAtBank,
			Detail: "shopper cancelled at the provider's page, confirmed with the provider"}, true
	case banks.IsDenied(err):
		return payment.AttemptEnd{Outcome: payment.OutcomeDenied, Reason: payment.ReasonDeniedAtBank, Detail: err.Error()}, true
	case errors.As(err, &be) && !be.Retryable:
		return payment.AttemptEnd{Outcome: payment.OutcomeFailed, Reason: payment.ReasonAuthorisationFailed, Detail: be.Error()}, true
	}
	return payment.AttemptEnd{}, false
}

// NotCancellableError means a payment could not be cancelled: it had already ended, or the bank
// (or another request, a callback, a poll) moved it past the point where a cancel holds. Status is
// where the payment stands now. It wraps payment.ErrConflict, so callers that only know conflicts
// treat it as one.
type NotCancellableError struct {
	Status payment.Status
}

func (e *NotCancellableError) Error() string {
	return "checkout: payment is " + string(e.Status) + " and can no longer be cancelled"
}

// Unwrap makes errors.Is(err, payment.ErrConflict) true.
func (e *NotCancellableError) Unwrap() error { return payment.ErrConflict }

// cancelTries bounds how often Cancel starts over when another request moves the payment under it
// (a bank chosen, SCA done): each start over sees the new state, so a few always suffice.
const cancelTries = 3

// Cancel cancels an unfinished payment, at the bank too where an order exists there, and returns
// the cancelled payment; or, when that is no longer true to do, a *NotCancellableError with the
// payment as it stands. It never answers with a payment that is not cancelled: a bank that refuses
// the cancel (the shopper approved) is asked for its status, which is applied, and a payment moved
// by another request meanwhile is looked at afresh.
func (s *Service) Cancel(ctx context.Context, p *payment.Payment, cause payment.Cause) (*payment.Payment, error) {
	for try := 0; ; try++ {
		if p.Status.Terminal() {
			return p, &NotCancellableError{Status: p.Status}
		}
		np, err := s.cancelAtBank(ctx, p, cause)
		if err != nil {
			return np, err
		}
		if np.Status == payment.StatusCancelled {
			return np, nil // the bank says it was cancelled there already
		}
		if np.Status != p.Status {
			// The bank refused the cancel and its status moved the payment on (processing, completed).
			return np, &NotCancellableError{Status: np.Status}
		}
		code := payment.ReasonCancelledByShopper
		if cause == payment.CauseMerchant {
			code = payment.ReasonCancelledByMerchant
		}
		tr := payment.Transition{From: p.Status, To: payment.StatusCancelled, Cause: cause, FailureReason: payment.ReasonMessage(code), FailureCode: code}
		moved, err := s.store.Transition(ctx, p.ID, tr)
		if err == nil {
			s.logger.InfoContext(ctx, "payment status", slog.String("payment_id", p.ID), slog.String("from", string(tr.From)),
				slog.String("to", string(tr.To)), slog.String("cause", string(tr.Cause)))
			s.forgetPayment(p.ID)
			return moved, nil
		} else if !errors.Is(err, payment.ErrConflict) {
			return p, err
		}
		// Another request moved the payment first: where does it stand now?
		fresh, ferr := s.store.Payment(ctx, p.ID)
		switch {
		case ferr != nil:
			return p, ferr
		case fresh.Status == payment.StatusCancelled:
			return fresh, nil // cancelled by someone else (the shopper, the bank): still the truth asked for
		case fresh.Status.Terminal() || try+1 >= cancelTries:
			return fresh, &NotCancellableError{Status: fresh.Status}
		}
		p = fresh // e.g. a bank was chosen meanwhile: cancel its order too
	}
}

// cancelAtBank cancels the payment's live bank order, if it has one. A bank that refuses (too late:
// the shopper approved) is asked where the payment stands, and the payment moved as it says; the
// payment is returned as it is after that.
func (s *Service) cancelAtBank(ctx context.Context, p *payment.Payment, cause payment.Cause) (*payment.Payment, error) {
	a, err := s.store.ActiveAuthorisation(ctx, p.ID)
	if errors.Is(err, payment.ErrNotFound) {
		return p, nil
	} else if err != nil {
		return p, err
	}
	if a.BankPaymentID == "" {
		return p, nil
	}
	prov, ok := s.providers[a.Provider]
	if !ok {
		return p, nil
	}
	before := maps.Clone(a.Extra)
	err = prov.Cancel(ctx, order(a))
	s.keepExtra(ctx, a, before)
	var be *banks.Error
	switch {
	case err == nil:
		s.forget(a.ID)
		return p, nil
	case errors.As(err, &be) && !be.Retryable:
		// Too late at the bank: take the bank's word for where the payment stands.
		// The payment is being cancelled as a whole: the bank's word ends it, and no attempt follows.
		np, cerr := p, error(nil)
		code, serr := s.bankStatus(ctx, prov, a)
		if serr != nil {
			cerr = serr
		} else {
			np, cerr = s.apply(ctx, p, nil, code, cause, "cancel refused by the bank")
		}
		if cerr != nil {
			return p, fmt.Errorf("checkout: cancel refused by the bank, and its status unknown: %w", cerr)
		}
		if np.Status == p.Status && np.Status != payment.StatusCancelled {
			// The bank refused the cancel yet reports nothing decided: it will not be cancelled
			// there, so it is not cancelled here either.
			return np, &NotCancellableError{Status: np.Status}
		}
		return np, nil
	default:
		return p, err
	}
}

// Expire ends a payment that is past its time, cancelling its bank order best-effort. A shopper
// may have approved the payment at the bank and never come back (a closed tab, a lost network):
// so the bank is asked first, and a payment it has decided is settled as it says, never expired.
// While the bank cannot answer, the payment stays as it is and the reconciler asks again.
func (s *Service) Expire(ctx context.Context, p *payment.Payment) (*payment.Payment, error) {
	if a, err := s.store.ActiveAuthorisation(ctx, p.ID); err == nil && a.BankPaymentID != "" {
		if prov, ok := s.providers[a.Provider]; ok {
			const detail = "decided at the bank before it expired here"
			if !IsConsent(a) {
				np, decided, err := s.settleIfDecided(ctx, p, a, prov, payment.CauseTimeout, detail)
				if err != nil && !decided {
					return p, fmt.Errorf("checkout: expire: the bank must say first: %w", err)
				} else if decided {
					return np, err
				}
			}
			if err := prov.Cancel(ctx, order(a)); err != nil {
				s.logger.WarnContext(ctx, "cancel at bank on expiry", slog.String("payment_id", p.ID), slog.String("error", err.Error()))
				var be *banks.Error
				if errors.As(err, &be) && !be.Retryable && !IsConsent(a) {
					// Decided at the bank in the meantime: its word again, not ours.
					if np, decided, err := s.settleIfDecided(ctx, p, a, prov, payment.CauseTimeout, detail); decided {
						return np, err
					}
				}
			}
		}
		s.forget(a.ID)
	}
	return s.move(ctx, p, payment.Transition{To: payment.StatusExpired, Cause: payment.CauseTimeout,
		FailureReason: payment.ReasonMessage(payment.ReasonExpired), FailureCode: payment.ReasonExpired})
}

// Reconcile moves every unfinished payment on once: it expires those past their time and asks
// the bank about the others. It runs at start (to pick up what a crash left) and on a schedule.
func (s *Service) Reconcile(ctx context.Context, due func(p *payment.Payment) bool) (int, error) {
	list, err := s.store.UnfinishedPayments(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range list {
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		if due != nil && !due(p) && !p.Expired(s.Now()) {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		pr, err := s.Progress(cctx, p, payment.CausePoll)
		cancel()
		if err != nil {
			s.logger.WarnContext(ctx, "reconcile", slog.String("payment_id", p.ID), slog.String("error", err.Error()))
			continue
		}
		if pr.Payment.Status != p.Status {
			n++
		}
	}
	return n, nil
}

// BankUpdated is a provider's notice that one of its payments changed (a webhook). The notice is
// never trusted: the bank is asked, and a repeat or a race with the callback changes nothing twice.
func (s *Service) BankUpdated(ctx context.Context, provider, bankPaymentID string) (*payment.Payment, error) {
	a, err := s.store.AuthorisationByBankPayment(ctx, provider, bankPaymentID)
	if err != nil {
		return nil, err
	}
	p, err := s.store.Payment(ctx, a.PaymentID)
	if err != nil {
		return nil, err
	}
	if !a.Active || (p.Status != payment.StatusAuthorising && p.Status != payment.StatusProcessing) {
		return p, nil // an attempt that has ended, or a payment that has: nothing the notice can change
	}
	return s.confirm(ctx, p, a, payment.CauseWebhook, "provider webhook")
}

// ErrWrongOTP means the bank refused the one-time code; the shopper may try again.
var ErrWrongOTP = errors.New("the code is not correct")

// SubmitOTP sends the code the shopper typed for embedded SCA and confirms the outcome with the bank.
func (s *Service) SubmitOTP(ctx context.Context, p *payment.Payment, otp string) (*payment.Payment, error) {
	a, err := s.store.ActiveAuthorisation(ctx, p.ID)
	if err != nil {
		return p, err
	}
	if p.Status != payment.StatusAuthorising || a.Approach != banks.Embedded {
		return p, fmt.Errorf("checkout: no code expected: %w", payment.ErrConflict)
	}
	sub, ok := s.providers[a.Provider].(banks.OTPSubmitter)
	if !ok {
		return p, fmt.Errorf("checkout: provider %q takes no codes", a.Provider)
	}
	done, err := sub.SubmitOTP(ctx, order(a), otp)
	var be *banks.Error
	if errors.As(err, &be) && be.Status == 401 {
		return p, ErrWrongOTP
	} else if err != nil {
		return p, err
	}
	if !done {
		return s.confirm(ctx, p, a, payment.CauseShopper, "embedded SCA failed")
	}
	a.SCAStatus = payment.SCAFinalised
	if err := s.store.SaveAuthorisation(ctx, a, nil); err != nil {
		return p, err
	}
	return s.confirm(ctx, p, a, payment.CauseShopper, "embedded SCA confirmed")
}
