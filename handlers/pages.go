package handlers

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/a-h/templ"
	"github.com/gorilla/sessions"

	"paybybank/banks"
	"paybybank/banks/bankid"
	"paybybank/checkout"
	"paybybank/i18n"
	"paybybank/payment"
	"paybybank/store"
	"paybybank/views"
)

const sessionName = "pbb"

// page wraps a shopper-facing GET handler: errors become a friendly page, never a raw message.
func (s *Server) page(h func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.pageError(w, r, err)
		}
	}
}

// form wraps a shopper-facing POST: the session's CSRF token must match the form's, on top of
// the cross-origin protection every unsafe request passes.
func (s *Server) form(h func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		sess, _ := s.sessions.Get(r, sessionName)
		want, _ := sess.Values["csrf"].(string)
		got := r.PostFormValue("csrf")
		if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
			if tok := r.PathValue("token"); strings.HasPrefix(r.URL.Path, "/checkout/") && tok != "" {
				// Nothing was done; the shopper's page says so, reached by a GET (post/redirect/get).
				if err := s.redirectWithFlash(w, r, tok, "/checkout/"+tok, flash{Key: "error.csrf"}); err != nil {
					s.pageError(w, r, err)
				}
				return
			}
			s.renderError(w, r, http.StatusForbidden, "error.csrf", r.URL.Path[:strings.LastIndex(r.URL.Path, "/")])
			return
		}
		if err := h(w, r); err != nil {
			s.pageError(w, r, err)
		}
	}
}

// pageError is the one place where errors become shopper pages. A checkout POST's error is not
// drawn as the POST's answer: it travels as a flash to the payment's page (post/redirect/get).
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	retry := ""
	if tok := r.PathValue("token"); tok != "" {
		retry = "/checkout/" + tok
	}
	if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/checkout/") && retry != "" && !errors.Is(err, payment.ErrNotFound) {
		key := "error.generic"
		var be *banks.Error
		switch {
		case errors.Is(err, payment.ErrConflict):
			key = ""
		case errors.Is(err, store.ErrUnavailable):
			key = "error.storage"
		case banks.IsRetryable(err):
			key = "error.bank"
		case errors.As(err, &be):
			key = "error.bank.refused"
		}
		if key != "" {
			s.logger.WarnContext(r.Context(), "checkout action failed", slog.String("request_id", requestIDFrom(r.Context())), slog.String("error", err.Error()))
		}
		if ferr := s.redirectWithFlash(w, r, r.PathValue("token"), retry, flash{Key: key}); ferr == nil {
			return
		}
	}
	switch {
	case errors.Is(err, payment.ErrNotFound):
		s.renderError(w, r, http.StatusNotFound, "error.notfound", "")
	case errors.Is(err, store.ErrUnavailable):
		s.logger.ErrorContext(r.Context(), "storage unavailable", slog.String("request_id", requestIDFrom(r.Context())), slog.String("error", err.Error()))
		w.Header().Set("Retry-After", storageRetryAfter)
		s.renderError(w, r, http.StatusServiceUnavailable, "error.storage", retry)
	case errors.Is(err, checkout.ErrBadState), errors.Is(err, checkout.ErrUsedState):
		s.renderError(w, r, http.StatusBadRequest, "error.state", "")
	case errors.Is(err, payment.ErrConflict):
		http.Redirect(w, r, retry, http.StatusSeeOther)
	case banks.IsRetryable(err):
		s.logger.WarnContext(r.Context(), "bank unavailable", slog.String("request_id", requestIDFrom(r.Context())), slog.String("error", err.Error()))
		if r.URL.Path == "/callback" {
			retry = r.URL.RequestURI()
		}
		s.renderError(w, r, http.StatusBadGateway, "error.bank", retry)
	default:
		var be *banks.Error
		if errors.As(err, &be) {
			s.logger.WarnContext(r.Context(), "bank refused", slog.String("request_id", requestIDFrom(r.Context())), slog.String("error", err.Error()))
			s.renderError(w, r, http.StatusBadGateway, "error.bank.refused", retry)
			return
		}
		s.logger.ErrorContext(r.Context(), "page error", slog.String("request_id", requestIDFrom(r.Context())), slog.String("error", err.Error()))
		s.renderError(w, r, http.StatusInternalServerError, "error.generic", retry)
	}
}

func (s *Server) renderError(w http.ResponseWriter, r *http.Request, status int, key, retry string) {
	l := s.localizer(r, nil)
	s.render(w, r, status, views.ErrorPage(views.Error{Page: views.Page{L: l, Title: l.T("error.title"), MerchantName: "paybybank", Sandbox: s.cfg.Sandbox},
		Message: l.T(key), RetryURL: retry}))
}

// renderBuffers are reused between pages: a page is ~7 KB, and growing a fresh buffer for each was
// a third of the checkout page's allocations.
var renderBuffers = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 16<<10)) }}

// render writes a component to a buffer first, so a failed render never sends half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	buf := renderBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer renderBuffers.Put(buf)
	if err := c.Render(r.Context(), buf); err != nil {
		s.logger.ErrorContext(r.Context(), "render", slog.String("error", err.Error()))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// session returns the shopper's session with a CSRF token in it.
func (s *Server) session(r *http.Request) (*sessions.Session, string) {
	sess, _ := s.sessions.Get(r, sessionName)
	tok, _ := sess.Values["csrf"].(string)
	if tok == "" {
		b := make([]byte, 24)
		rand.Read(b)
		tok = base64.RawURLEncoding.EncodeToString(b)
		sess.Values["csrf"] = tok
	}
	return sess, tok
}

func isMobile(r *http.Request) bool {
	ua := r.UserAgent()
	return strings.Contains(ua, "Mobile") || strings.Contains(ua, "Android") || strings.Contains(ua, "iPhone") || strings.Contains(ua, "iPad")
}

func (s *Server) psuOf(r *http.Request) banks.PSU {
	return banks.PSU{IPAddress: s.clientIP(r), UserAgent: r.UserAgent()}
}

func (s *Server) paymentFor(r *http.Request) (*payment.Payment, error) {
	tok := r.PathValue("token")
	if len(tok) < 20 || len(tok) > 64 {
		return nil, payment.ErrNotFound
	}
	return s.store.PaymentByToken(r.Context(), tok)
}

func (s *Server) base(r *http.Request, p *payment.Payment, m *payment.Merchant, l *i18n.Localizer) (views.Page, views.Order) {
	pg := views.Page{L: l, Title: strings.Replace(l.T("title.pay"), "%s", m.ShownName(), 1), MerchantName: m.ShownName(),
		Path: "/checkout/" + p.Token, Sandbox: s.cfg.Sandbox}
	if accent := views.AccessibleAccent(m.Accent); accent != "" {
		// The colour is in the URL, so a change of brand is never hidden by a cache.
		pg.ThemeURL = "/brand/" + m.ID + "/theme.css?c=" + accent[1:]
	}
	if m.HasLogo {
		pg.LogoURL = "/brand/" + m.ID + "/logo"
	}
	o := views.Order{Merchant: p.Creditor.Name, Amount: l.Money(p.AmountMinor, p.Currency), Reference: p.Reference}
	if p.Kind == payment.KindRefund { // a person of the merchant paying refunds: say what they authorise
		pg.Title = strings.Replace(l.T("refund.title"), "%s", m.ShownName(), 1)
		o.Refund = s.refundOrderView(r, p, l)
	}
	if !p.Status.Terminal() && p.Status != payment.StatusProcessing {
		s.expiry(r, p, l, &pg, &o)
	}
	return pg, o
}

// checkoutPage shows whatever the payment needs now: the bank picker, the BankID page, the
// "waiting for your bank" page, or the result. Every GET is safe to repeat.
func (s *Server) checkoutPage(w http.ResponseWriter, r *http.Request) error {
	p, err := s.paymentFor(r)
	if err != nil {
		return err
	}
	sess, csrf := s.session(r)
	dirty := takeLang(r, sess, p.Token) || sess.IsNew
	if dirty { // a reload writes nothing: the session row changes only when its values do
		if err := sess.Save(r, w); err != nil {
			return err
		}
	}
	pr, err := s.checkout.Progress(r.Context(), p, payment.CauseShopper)
	if err != nil && pr == nil {
		return err
	}
	if err != nil {
		s.logger.WarnContext(r.Context(), "progress", slog.String("error", err.Error()))
	}
	p = pr.Payment
	m, err := s.store.Merchant(r.Context(), p.MerchantID)
	if err != nil {
		return err
	}
	mobile := isMobile(r)
	d := &drawing{pr: pr, next: pr.Next(mobile), mobile: mobile, csrf: csrf}
	if f, ok := s.takeFlash(w, r, p.Token); ok && f.Key != "" {
		d.flash = f.Key
	}
	d.pg, d.order = s.base(r, p, m, s.localizer(r, p))
	if d.flash != "" && d.next.Step != payment.StepBankChoice && d.next.Step != payment.StepOTP {
		d.pg.Notice = d.pg.L.T(d.flash) // the bank choice and the code form say it in their own place
	}
	return stepViews[d.next.Step].page(s, w, r, d)
}

// drawing is what a step's page is drawn from: the payment's progress, what it waits for, and
// the page's frame.
type drawing struct {
	pr     *checkout.Progress
	next   checkout.Next
	mobile bool
	pg     views.Page
	order  views.Order
	csrf   string
	flash  string // the message key a POST left for this page, shown once
}

// stepView draws one step of a payment: page is the checkout page, live the name live.js gives
// (page=…) when it asks for news from that page, and partial fills in the news it gets.
type stepView struct {
	page    func(s *Server, w http.ResponseWriter, r *http.Request, d *drawing) error
	live    string
	partial func(out *statusAnswer, base string, d *drawing)
}

// The names live.js gives for the pages that ask for news.
const (
	liveBankID     = "bankid"
	liveProcessing = "processing"
	liveAtBank     = "at_bank"
)

// stepViews is the one table from what a payment waits for to what the shopper sees.
var stepViews = map[payment.Step]stepView{
	payment.StepBankChoice: {page: (*Server).pickerStep},
	payment.StepAccount:    {page: (*Server).accountStep},
	payment.StepBankID:     {page: (*Server).bankIDStep, live: liveBankID, partial: bankIDNews},
	payment.StepAtBank:     {page: (*Server).atBankStep, live: liveAtBank},
	payment.StepOTP:        {page: (*Server).otpStep},
	payment.StepProcessing: {page: (*Server).resultStep, live: liveProcessing},
	payment.StepResult:     {page: (*Server).resultStep},
}

// pickerStep draws the bank choice. After an attempt that ended without success it says why, in
// the shopper's language, and offers "Try again" at the same bank beside the choice of another.
func (s *Server) pickerStep(w http.ResponseWriter, r *http.Request, d *drawing) error {
	p, l := d.pr.Payment, d.pg.L
	msg := ""
	if d.flash != "" {
		msg = l.T(d.flash)
	}
	var again *views.TryAgain
	if last, ok := s.checkout.LastEnded(r.Context(), p); ok && d.pr.Auth == nil {
		again = &views.TryAgain{Reason: l.T("reason." + last.Reason), Action: d.pg.Path + "/retry", Bank: last.BIC}
		key := banks.Bank{BIC: last.BIC, Affiliate: last.Affiliate}.Key()
		if b, err := s.checkout.Bank(r.Context(), key); err == nil {
			again.Bank = b.Name
		}
		again.Heading = strings.Replace(l.T("attempt.ended"), "%s", again.Bank, 1)
		if last.Reason == payment.ReasonDebtorAccountFormat {
			// Trying the same account again would fail the same way: the shopper gives it anew.
			again.Action, again.AccountURL = "", d.pg.Path+"/account?bank="+url.QueryEscape(key)
		}
	}
	return s.renderPicker(w, r, p, d.pg, d.order, d.csrf, msg, again)
}

// accountStep sends the shopper on to the question about their account, once their bank read
// the accounts (or could not).
func (s *Server) accountStep(w http.ResponseWriter, r *http.Request, d *drawing) error {
	if r.URL.Query().Get("change") == "bank" {
		return s.pickerStep(w, r, d) // "Choose another bank": a new choice replaces the account reading
	}
	http.Redirect(w, r, "/checkout/"+d.pr.Payment.Token+"/account?bank="+url.QueryEscape(d.pr.Auth.BankKey), http.StatusSeeOther)
	return nil
}

func (s *Server) bankIDStep(w http.ResponseWriter, r *http.Request, d *drawing) error {
	s.render(w, r, http.StatusOK, views.BankIDPage(s.bankIDView(d)))
	return nil
}

func (s *Server) atBankStep(w http.ResponseWriter, r *http.Request, d *drawing) error {
	// Live: the page moves on by itself when the payment does (decided at the bank while the shopper
	// was away, or a bank call still under way when it was drawn, such as BankID switched to a QR code).
	d.pg.StatusURL = d.pg.Path + "/status?page=" + liveAtBank
	v := views.RedirectWait{Page: d.pg, Order: d.order, ContinueURL: d.pr.Auth.RedirectURL, CancelURL: d.pg.Path + "/cancel", CSRF: d.csrf}
	if !checkout.IsConsent(d.pr.Auth) {
		v.ChangeBankURL = d.pg.Path + "/change-bank" // an account reading cannot be given up for another bank
	}
	s.render(w, r, http.StatusOK, views.RedirectWaitPage(v))
	return nil
}

func (s *Server) otpStep(w http.ResponseWriter, r *http.Request, d *drawing) error {
	msg := ""
	if d.flash != "" {
		msg = d.pg.L.T(d.flash)
	}
	s.render(w, r, http.StatusOK, views.OTPPage(s.otpView(d.pr.Payment, d.pr.Auth, d.pg, d.order, d.csrf, msg)))
	return nil
}

func (s *Server) resultStep(w http.ResponseWriter, r *http.Request, d *drawing) error {
	s.render(w, r, http.StatusOK, views.ResultPage(s.resultView(r, d.pr.Payment, d.pg, d.order)))
	return nil
}

func initials(name string) string {
	var out []rune
	for _, f := range strings.Fields(name) {
		out = append(out, []rune(f)[0])
		if len(out) == 2 {
			break
		}
	}
	return strings.ToUpper(string(out))
}

func (s *Server) renderPicker(w http.ResponseWriter, r *http.Request, p *payment.Payment, pg views.Page, order views.Order, csrf, errText string, again *views.TryAgain) error {
	list, err := s.checkout.Banks(r.Context(), p)
	if err != nil {
		return err
	}
	sess, _ := s.sessions.Get(r, sessionName)
	in := pickerInput{lang: pg.L.Lang, preselect: p.PreselectBIC, country: p.Country, list: list,
		query: strings.TrimSpace(r.URL.Query().Get("q"))}
	in.last, _ = sess.Values["last_bank"].(string)
	// The shopper's own country first (the merchant's hint, the browser's language if we have
	// banks there, or the currency's home), then countries whose banks can take the payment.
	in.home = p.Country
	if in.home == "" {
		if c := strings.ToUpper(langCountry(r.Header.Get("Accept-Language"))); hasBanksIn(list, c) {
			in.home = c
		}
	}
	if in.home == "" {
		in.home = map[string]string{"SEK": "SE", "NOK": "NO", "DKK": "DK"}[p.Currency]
	}
	pg.Search = true
	d := views.Picker{Page: pg, Order: order, Query: in.query, Action: pg.Path + "/bank",
		CSRF: csrf, Error: errText, TryAgain: again, Banks: s.bankLists.draw(r.Context(), in, pg.L)}
	if p.ReturnURL != "" {
		d.LeaveURL = pg.Path + "/cancel"
	}
	s.render(w, r, http.StatusOK, views.PickerPage(d))
	return nil
}

// hasBanksIn reports whether the list has a bank in country that can take the payment.
func hasBanksIn(list checkout.BankList, country string) bool {
	for _, o := range list.Options {
		if country != "" && o.Country == country && o.Available {
			return true
		}
	}
	return false
}

// langCountry guesses the shopper's country from the first Accept-Language entry ("sv-SE" → "SE", "sv" → "SE").
func langCountry(accept string) string {
	first, _, _ := strings.Cut(accept, ",")
	first, _, _ = strings.Cut(first, ";")
	if _, region, ok := strings.Cut(first, "-"); ok {
		return region
	}
	return map[string]string{"sv": "SE", "fi": "FI", "nb": "NO", "no": "NO", "nn": "NO", "da": "DK", "lt": "LT", "pt": "PT", "fr": "FR"}[strings.TrimSpace(first)]
}

func (s *Server) resultView(r *http.Request, p *payment.Payment, pg views.Page, order views.Order) views.Result {
	l := pg.L
	d := views.Result{Page: pg, Order: order, Status: string(p.Status), Heading: l.T("result." + string(p.Status)),
		Text: l.T("result." + string(p.Status) + ".text"), Reason: p.FailureReason}
	if p.FailureCode != "" {
		d.Reason = l.T("reason." + p.FailureCode) // the reason in the shopper's language
	}
	if p.Status == payment.StatusCompleted && p.BankAccepted {
		d.Text = l.T("result.accepted.text")
	}
	if p.Status == payment.StatusProcessing {
		d.Refresh = 2
		d.StatusURL = pg.Path + "/status?page=" + liveProcessing
	}
	if p.ReturnURL != "" {
		d.BackURL = pg.Path + "/return"
	}
	s.fillReceipt(r, &d, p)
	if p.Kind == payment.KindRefund { // back to the workspace's refunds page (checkout.ReturnURL)
		d.Heading, d.Text, d.BackURL = l.T("refund.result."+string(p.Status)), l.T("refund.result."+string(p.Status)+".text"), pg.Path+"/return"
		d.BackLabel = l.T("refund.back")
	}
	return d
}

func (s *Server) chooseBank(w http.ResponseWriter, r *http.Request) error {
	p, err := s.paymentFor(r)
	if err != nil {
		return err
	}
	key := r.PostFormValue("bank")
	if bic, _ := banks.SplitKey(key); !payment.ValidBIC(bic) || len(key) > 64 {
		return s.pickerWithError(w, r, p, "error.unavailable")
	}
	return s.startBank(w, r, p, key)
}

// startBank creates the payment at the chosen bank and sends the shopper on: to the bank, to the
// BankID page, or first to the question about their own account when the bank needs it.
func (s *Server) startBank(w http.ResponseWriter, r *http.Request, p *payment.Payment, bic string) error {
	ctx, cancel := context.WithTimeout(r.Context(), 45*time.Second)
	defer cancel()
	started := s.checkout.Now()
	a, err := s.checkout.ChooseBank(ctx, p, bic, s.psuOf(r), isMobile(r))
	return s.afterChoice(w, r, p, bic, started, a, err)
}

// afterChoice answers a bank choice (or "Try again"): on to SCA, to the account question, or back
// to the bank choice, whose page says what went wrong. A bank that refused to start ended the
// attempt, and the page says why from the attempt itself.
func (s *Server) afterChoice(w http.ResponseWriter, r *http.Request, p *payment.Payment, bic string, started time.Time, a *payment.Attempt, err error) error {
	unavailable := errors.Is(err, checkout.ErrUnavailable) || errors.Is(err, payment.ErrNotFound)
	if err != nil && !unavailable && (banks.IsRetryable(err) || errors.As(err, new(*banks.Error))) {
		s.logger.WarnContext(r.Context(), "bank refused or did not answer", slog.String("request_id", requestIDFrom(r.Context())), slog.String("error", err.Error()))
		// The attempt this choice made ended, and the bank choice says why from it; a call that
		// failed before any attempt was made is told by a flash.
		if np, perr := s.store.PaymentByToken(r.Context(), p.Token); perr == nil {
			if last, ok := s.checkout.LastEnded(r.Context(), np); ok && !last.EndedAt.Before(started) {
				http.Redirect(w, r, "/checkout/"+p.Token, http.StatusSeeOther)
				return nil
			}
		}
	}
	switch {
	case errors.Is(err, checkout.ErrNeedDebtor):
		http.Redirect(w, r, "/checkout/"+p.Token+"/account?bank="+url.QueryEscape(bic), http.StatusSeeOther)
		return nil
	case unavailable:
		return s.pickerWithError(w, r, p, "error.unavailable")
	case err != nil:
		return err // pageError: a flash on the payment's page
	}
	sess, _ := s.sessions.Get(r, sessionName)
	sess.Values["last_bank"] = bic
	sess.Save(r, w)
	s.sendToSCA(w, r, p, a)
	return nil
}

// sendToSCA sends the shopper where SCA happens: to their bank for a redirect, else to the
// checkout, which shows the BankID page.
func (s *Server) sendToSCA(w http.ResponseWriter, r *http.Request, p *payment.Payment, a *payment.Attempt) {
	if a.Approach == banks.Redirect && a.RedirectURL != "" {
		http.Redirect(w, r, a.RedirectURL, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/checkout/"+p.Token, http.StatusSeeOther)
}

// pickerWithError sends the shopper back to the bank choice, which says what key says, once.
func (s *Server) pickerWithError(w http.ResponseWriter, r *http.Request, p *payment.Payment, key string) error {
	return s.redirectWithFlash(w, r, p.Token, "/checkout/"+p.Token, flash{Key: key})
}

// retry is "Try again": a fresh attempt at the bank of the attempt that just ended.
func (s *Server) retry(w http.ResponseWriter, r *http.Request) error {
	p, err := s.paymentFor(r)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.Context(), 45*time.Second)
	defer cancel()
	started := s.checkout.Now()
	a, key, err := s.checkout.TryAgain(ctx, p, s.psuOf(r), isMobile(r))
	return s.afterChoice(w, r, p, key, started, a, err)
}

// changeBank gives up the attempt under way (not yet approved) for the shopper to choose another bank.
func (s *Server) changeBank(w http.ResponseWriter, r *http.Request) error {
	p, err := s.paymentFor(r)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	if _, err := s.checkout.ChangeBank(ctx, p); err != nil && !errors.Is(err, payment.ErrConflict) {
		return err
	}
	http.Redirect(w, r, "/checkout/"+p.Token, http.StatusSeeOther)
	return nil
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request) error {
	p, err := s.paymentFor(r)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	if _, err := s.checkout.Cancel(ctx, p, payment.CauseShopper); err != nil && !errors.Is(err, payment.ErrConflict) {
		return err
	}
	to := "/checkout/" + p.Token
	if r.PostFormValue("then") == "shop" && p.ReturnURL != "" {
		to += "/return" // "Cancel and go back to the shop": the shop hears how the payment ended
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// launchBankID records that the shopper opened the app (once per order) and sends the browser to
// BankID: on a phone the app link with a redirect back to this checkout, on a computer bankid:///.
func (s *Server) launchBankID(w http.ResponseWriter, r *http.Request) error {
	p, err := s.paymentFor(r)
	if err != nil {
		return err
	}
	a, err := s.store.ActiveAuthorisation(r.Context(), p.ID)
	if err != nil {
		return err
	}
	token := a.AutostartToken
	if token == "" {
		if sca, err := s.checkout.CurrentSCA(r.Context(), p); err == nil {
			token = sca.AutostartToken
		}
	}
	if token == "" && p.Status == payment.StatusAuthorising && !checkout.IsConsent(a) {
		// The order is shown as a QR code: start one for the app on this device instead.
		ctx, cancel := context.WithTimeout(r.Context(), 45*time.Second)
		defer cancel()
		if a, err = s.checkout.SwitchSCA(ctx, p, s.psuOf(r), true); err != nil {
			return err
		}
		token = a.AutostartToken
	}
	if token == "" || (p.Status != payment.StatusAuthorising && !(p.Status == payment.StatusOpen && checkout.IsConsent(a))) {
		http.Redirect(w, r, "/checkout/"+p.Token, http.StatusSeeOther)
		return nil
	}
	if err := s.checkout.AppLaunched(r.Context(), a); err != nil {
		return err
	}
	target := bankid.DesktopAutostartURL(token)
	if isMobile(r) {
		target = bankid.MobileAutostartURL(s.cfg.BankIDAppURL, token, s.checkout.CheckoutURL(p))
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

func (s *Server) backToShop(w http.ResponseWriter, r *http.Request) error {
	p, err := s.paymentFor(r)
	if err != nil {
		return err
	}
	if pr, err := s.checkout.Progress(r.Context(), p, payment.CauseShopper); err == nil {
		p = pr.Payment // the shop hears the latest word, not what this tab last saw
	}
	to, err := s.checkout.ReturnURL(r.Context(), p)
	if err != nil {
		return err
	}
	if to == "" {
		to = "/checkout/" + p.Token
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

func (s *Server) callback(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 45*time.Second)
	defer cancel()
	p, next, err := s.checkout.CallbackNext(ctx, r.URL.Query())
	if err != nil {
		return err
	}
	if next != "" { // the bank authorised us; now SCA for the payment itself, at the bank again
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/checkout/"+p.Token, http.StatusSeeOther)
	return nil
}

func (s *Server) otpView(p *payment.Payment, a *payment.Attempt, pg views.Page, order views.Order, csrf, errText string) views.OTPForm {
	d := views.OTPForm{Page: pg, Order: order, Action: pg.Path + "/otp", CancelURL: pg.Path + "/cancel", CSRF: csrf, Error: errText}
	if ch := a.Challenge; ch != nil {
		d.Challenge, d.Information = ch.Method, ch.Information
		if ch.OTPLength > 0 {
			d.MaxLength = strconv.Itoa(ch.OTPLength)
		}
	}
	return d
}

// submitOTP takes the bank's one-time code for embedded SCA.
func (s *Server) submitOTP(w http.ResponseWriter, r *http.Request) error {
	p, err := s.paymentFor(r)
	if err != nil {
		return err
	}
	otp := strings.TrimSpace(r.PostFormValue("otp"))
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	if _, err := s.checkout.SubmitOTP(ctx, p, otp); errors.Is(err, checkout.ErrWrongOTP) || (err == nil && otp == "") {
		return s.redirectWithFlash(w, r, p.Token, "/checkout/"+p.Token, flash{Key: "otp.wrong"})
	} else if err != nil && !errors.Is(err, payment.ErrConflict) {
		return err
	}
	http.Redirect(w, r, "/checkout/"+p.Token, http.StatusSeeOther)
	return nil
}
