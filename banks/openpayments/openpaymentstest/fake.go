// Package openpaymentstest is a fake of the Open Payments platform, as strict as the real one:
// it checks tokens, scopes, a fresh X-Request-ID on every call, X-BicFi, the PSU headers, each
// bank's account formats and the amount pattern; it runs the OAuth redirect with a simulated bank
// page and Mobile BankID orders with animated QR codes; and it can be scripted to deny, time out,
// or answer 429 and 5xx. Tests serve it with httptest; the sandbox mounts it under /sandbox.
package openpaymentstest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	qrcode "github.com/skip2/go-qrcode"

	"paybybank/banks/bankid"
	op "paybybank/banks/openpayments"
)

// Bank is one bank the fake serves, with the rules the platform enforces for it.
type Bank struct {
	BIC, Name, Country string
	Approach           string // "decoupled" (Mobile BankID) or "redirect"
	Currencies         []string
	// SettleAfter keeps a payment in ACSP this long after SCA before it becomes ACSC.
	SettleAfter time.Duration
}

// DefaultBanks are the sandbox's banks: every bank with a profile (SE, FI, NO, DK; both SCA
// approaches; one that lets the shopper choose the account at the bank).
func DefaultBanks() []Bank {
	var out []Bank
	for bic, p := range op.Profiles() {
		out = append(out, Bank{BIC: bic, Name: p.Name, Country: p.Country, Approach: p.Approach, Currencies: p.Currencies,
			SettleAfter: time.Duration(p.SettleAfterSeconds) * time.Second})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Country != out[j].Country {
			return out[i].Country < out[j].Country
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// QRTimeout is how long a BankID order waits to be scanned or started before it fails (startFailed).
const QRTimeout = 30 * time.Second

// Fake is the fake platform. Its zero value is not usable; call New.
type Fake struct {
	ClientID     string
	ClientSecret string
	// RedirectURIs are the registered TPP redirect URIs; any other is refused on the bank page.
	RedirectURIs []string
	// BaseURL is the absolute URL the fake is reached at (bank pages are linked from it).
	BaseURL string
	// Now is the fake's clock.
	Now func() time.Time
	// StartTimeout is how long a BankID order waits to be scanned or started (QRTimeout by default;
	// load tests that keep shoppers waiting longer raise it).
	StartTimeout time.Duration

	mu        sync.Mutex
	banks     map[string]Bank
	order     []string
	tokens    map[string]issuedToken
	requestID map[string]bool
	payments  map[string]*fakePayment
	auths     map[string]*fakeAuth // by authorisation id
	codes     map[string]*fakeAuth // OAuth codes
	faults    []fault
	calls     []Call
}

// Call is a record of one API request, for tests to inspect headers.
type Call struct {
	Method, Path string
	Header       http.Header
	Body         string
}

type issuedToken struct {
	scope   string
	expires time.Time
}

type fault struct {
	status     int
	retryAfter string
}

type fakePayment struct {
	id, product, bic string
	affiliate        string
	body             op.PaymentInitiation
	status           string
	settleAt         time.Time
	psuIP            string
}

type fakeAuth struct {
	id, paymentID, method string
	scaStatus             string
	approach              string
	startedAt             time.Time
	qrToken, qrSecret     string
	autostartToken        string
	engaged               bool // the app was started or the QR scanned
	hint                  string
	code                  string
	redirectURI           string
	rejectPayment         bool
}

// New returns a fake serving banks (DefaultBanks when nil) for one client.
func New(clientID, clientSecret string, banks []Bank) *Fake {
	if banks == nil {
		banks = DefaultBanks()
	}
	f := &Fake{ClientID: clientID, ClientSecret: clientSecret, Now: time.Now, StartTimeout: QRTimeout,
		banks: map[string]Bank{}, tokens: map[string]issuedToken{}, requestID: map[string]bool{},
		payments: map[string]*fakePayment{}, auths: map[string]*fakeAuth{}, codes: map[string]*fakeAuth{}}
	for _, b := range banks {
		f.banks[b.BIC] = b
		f.order = append(f.order, b.BIC)
	}
	return f
}

// FailNext makes the next n API calls answer status (429 or 5xx), with Retry-After if given.
func (f *Fake) FailNext(n, status int, retryAfter string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := 0; i < n; i++ {
		f.faults = append(f.faults, fault{status, retryAfter})
	}
}

// maxCalls bounds the calls the fake remembers: a sandbox serving for days, or a load test,
// must not grow without end. Tests look at the last few.
const maxCalls = 2000

// record remembers a call; f.mu is held.
func (f *Fake) record(c Call) {
	if len(f.calls) >= maxCalls {
		f.calls = append(f.calls[:0], f.calls[len(f.calls)-maxCalls/2:]...)
	}
	f.calls = append(f.calls, c)
}

// Calls returns the API requests received lately (the last maxCalls/2 at least).
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls...)
}

// TransactionStatus returns a payment's status at the fake, for tests.
func (f *Fake) TransactionStatus(paymentID string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p := f.payments[paymentID]; p != nil {
		f.settle(p)
		return p.status
	}
	return ""
}

// ServeHTTP routes the platform's endpoints and the simulated bank page.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mux().ServeHTTP(w, r)
}

func (f *Fake) mux() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("POST /connect/token", f.token)
	m.HandleFunc("GET /psd2/aspspinformation/v1/aspsps", f.api(op.ScopeBankList, false, f.listBanks))
	m.HandleFunc("POST /psd2/paymentinitiation/v1/payments/{product}", f.api(op.ScopePayments, true, f.createPayment))
	m.HandleFunc("GET /psd2/paymentinitiation/v1/payments/{product}/{id}/status", f.api(op.ScopePayments, true, f.status))
	m.HandleFunc("DELETE /psd2/paymentinitiation/v1/payments/{product}/{id}", f.api(op.ScopePayments, true, f.cancel))
	m.HandleFunc("POST /psd2/paymentinitiation/v1/payments/{product}/{id}/authorisations", f.api(op.ScopePayments, true, f.startAuth))
	m.HandleFunc("PUT /psd2/paymentinitiation/v1/payments/{product}/{id}/authorisations/{auth}", f.api(op.ScopePayments, true, f.selectMethod))
	m.HandleFunc("POST /psd2/paymentinitiation/v1/payments/{product}/{id}/authorisations/{auth}", f.api(op.ScopePayments, true, f.selectMethod))
	m.HandleFunc("GET /psd2/paymentinitiation/v1/payments/{product}/{id}/authorisations/{auth}", f.api(op.ScopePayments, true, f.getAuth))
	// Account information: a consent goes through the same authorisation sub-resource as a payment.
	m.HandleFunc("POST /psd2/consent/v1/consents", f.api(op.ScopeAccounts, true, f.createConsent))
	m.HandleFunc("GET /psd2/consent/v1/consents/{id}/status", f.api(op.ScopeAccounts, true, f.consentStatus))
	m.HandleFunc("POST /psd2/consent/v1/consents/{id}/authorisations", f.api(op.ScopeAccounts, true, f.startAuth))
	m.HandleFunc("PUT /psd2/consent/v1/consents/{id}/authorisations/{auth}", f.api(op.ScopeAccounts, true, f.selectMethod))
	m.HandleFunc("GET /psd2/consent/v1/consents/{id}/authorisations/{auth}", f.api(op.ScopeAccounts, true, f.getAuth))
	m.HandleFunc("GET /psd2/accountinformation/v1/accounts", f.api(op.ScopeAccounts, true, f.accounts))
	m.HandleFunc("GET /bank/authorize", f.bankPage)
	m.HandleFunc("GET /bank/style.css", f.bankStyle)
	m.HandleFunc("POST /bank/authorize", f.bankDecision)
	return m
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// tppError answers in the Berlin Group tppMessages form.
func tppError(w http.ResponseWriter, status int, code, path, text string) {
	writeJSON(w, status, op.Problem{TPPMessages: []op.TPPMessage{{Category: "ERROR", Code: code, Path: path, Text: text}}})
}

// problem answers in the RFC 7807 form, which the platform uses on other endpoints.
func problem(w http.ResponseWriter, status int, code, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(op.Problem{Type: "https://openpayments.io/errors/" + strings.ToLower(code), Title: http.StatusText(status), Detail: detail, Code: code, Status: status})
}

func randomString() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (f *Fake) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		writeJSON(w, 400, map[string]string{"error": "invalid_request", "error_description": "form body required"})
		return
	}
	if r.PostForm.Get("client_id") != f.ClientID || r.PostForm.Get("client_secret") != f.ClientSecret {
		writeJSON(w, 401, map[string]string{"error": "invalid_client"})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(Call{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone()})
	switch r.PostForm.Get("grant_type") {
	case "client_credentials":
		scope := r.PostForm.Get("scope")
		if scope != op.ScopePayments && scope != op.ScopeBankList && scope != op.ScopeAccounts && scope != "paymentinitiation corporate" {
			writeJSON(w, 400, map[string]string{"error": "invalid_scope"})
			return
		}
		tok := randomString()
		f.tokens[tok] = issuedToken{scope: scope, expires: f.Now().Add(time.Hour)}
		writeJSON(w, 200, op.Token{AccessToken: tok, ExpiresIn: 3600, TokenType: "Bearer", Scope: scope})
	case "authorization_code":
		code := r.PostForm.Get("code")
		a := f.codes[code]
		switch {
		case a == nil:
			writeJSON(w, 400, map[string]string{"error": "invalid_grant", "error_description": "unknown or used code"})
		case r.Header.Get("X-PaymentId") != a.paymentID || r.Header.Get("X-PaymentAuthorisationId") != a.id:
			writeJSON(w, 400, map[string]string{"error": "invalid_grant", "error_description": "code not issued for this payment authorisation"})
		case r.PostForm.Get("redirect_uri") != a.redirectURI:
			writeJSON(w, 400, map[string]string{"error": "invalid_grant", "error_description": "redirect_uri mismatch"})
		default:
			delete(f.codes, code)
			f.finalise(a)
			tok := randomString()
			writeJSON(w, 200, op.Token{AccessToken: tok, ExpiresIn: 3600, TokenType: "Bearer", Scope: r.PostForm.Get("scope")})
		}
	default:
		writeJSON(w, 400, map[string]string{"error": "unsupported_grant_type"})
	}
}

var bicPattern = regexp.MustCompile(`^[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?$`)

type apiFunc func(w http.ResponseWriter, r *http.Request, bank Bank)

// api wraps an endpoint with the checks every platform call gets.
func (f *Fake) api(scope string, payment bool, h apiFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		f.mu.Lock()
		defer f.mu.Unlock()
		f.record(Call{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: string(body)})
		r.Body = readCloser{strings.NewReader(string(body))}
		if len(f.faults) > 0 {
			ft := f.faults[0]
			f.faults = f.faults[1:]
			if ft.retryAfter != "" {
				w.Header().Set("Retry-After", ft.retryAfter)
			}
			problem(w, ft.status, "SERVICE_UNAVAILABLE", "scripted failure")
			return
		}
		auth := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		tok, ok := f.tokens[auth]
		if !ok || auth == "" || !f.Now().Before(tok.expires) {
			problem(w, 401, "TOKEN_INVALID", "missing, unknown or expired access token")
			return
		}
		if tok.scope != scope && !(scope == op.ScopePayments && tok.scope == "paymentinitiation corporate") {
			problem(w, 403, "TOKEN_INVALID", "token scope "+tok.scope+" does not allow this call")
			return
		}
		xid := r.Header.Get("X-Request-ID")
		if _, err := uuid.Parse(xid); err != nil {
			tppError(w, 400, "FORMAT_ERROR", "X-Request-ID", "X-Request-ID must be a UUID")
			return
		}
		if f.requestID[xid] {
			tppError(w, 400, "FORMAT_ERROR", "X-Request-ID", "X-Request-ID was already used")
			return
		}
		f.requestID[xid] = true
		var bank Bank
		if payment {
			bic := r.Header.Get("X-BicFi")
			if !bicPattern.MatchString(bic) {
				tppError(w, 400, "FORMAT_ERROR", "X-BicFi", "X-BicFi missing or malformed")
				return
			}
			if bank, ok = f.banks[bic]; !ok {
				tppError(w, 400, "PARAMETER_NOT_CONSISTENT", "X-BicFi", "unknown ASPSP "+bic)
				return
			}
			if r.Header.Get("PSU-IP-Address") == "" {
				tppError(w, 400, "FORMAT_ERROR", "PSU-IP-Address", "PSU-IP-Address is required")
				return
			}
			if af := r.Header.Get("X-AffiliatedASPSP-ID"); af != "" && !op.ProfileFor(bic).HasAffiliate(af) {
				tppError(w, 400, "PARAMETER_NOT_CONSISTENT", "X-AffiliatedASPSP-ID", "unknown affiliated ASPSP "+af+" of "+bic)
				return
			}
			for _, h := range op.ProfileFor(bic).RequiredHeaders {
				if r.Header.Get(h) == "" || (h == "TPP-Redirect-Preferred" && r.Header.Get(h) != "false") {
					tppError(w, 400, "FORMAT_ERROR", h, h+" is required by this ASPSP")
					return
				}
			}
			if r.Method != "GET" && r.Method != "DELETE" && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				tppError(w, 415, "FORMAT_ERROR", "Content-Type", "application/json required")
				return
			}
			if id := r.PathValue("id"); id != "" {
				p := f.payments[id]
				product := r.PathValue("product")
				if strings.HasPrefix(r.URL.Path, "/psd2/consent/") {
					product = "consent"
				}
				if p == nil || p.bic != bic || p.product != product {
					tppError(w, 404, "RESOURCE_UNKNOWN", "paymentId", "no such payment for this ASPSP and product")
					return
				}
				if p.affiliate != r.Header.Get("X-AffiliatedASPSP-ID") {
					tppError(w, 400, "PARAMETER_NOT_CONSISTENT", "X-AffiliatedASPSP-ID", "X-AffiliatedASPSP-ID must be the same on every call of a payment")
					return
				}
				f.settle(p)
			}
		}
		h(w, r, bank)
	}
}

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }

func (f *Fake) listBanks(w http.ResponseWriter, r *http.Request, _ Bank) {
	countries := strings.Split(r.URL.Query().Get("isoCountryCodes"), ",")
	out := []op.ASPSP{}
	for _, bic := range f.order {
		b := f.banks[bic]
		for _, c := range countries {
			if c == b.Country {
				out = append(out, op.ASPSP{ID: b.BIC, BICFI: b.BIC, Name: b.Name, Country: b.Country})
			}
		}
	}
	writeJSON(w, 200, out)
}

var amountPattern = regexp.MustCompile(`^-?[0-9]{1,9}(\.[0-9]{0,2})?$`)

func checkAccount(format string, a *op.AccountReference) string {
	switch format {
	case "bban+clearing":
		if a.IBAN != "" || a.BBAN == "" || a.ClearingNumber == "" {
			return "must be bban with clearingNumber, not iban"
		}
	case "bban":
		if a.IBAN != "" || a.BBAN == "" || a.ClearingNumber != "" {
			return "must be bban without clearing number"
		}
	default:
		if a.IBAN == "" || a.BBAN != "" {
			return "must be iban"
		}
	}
	return ""
}

func (f *Fake) createPayment(w http.ResponseWriter, r *http.Request, bank Bank) {
	product := r.PathValue("product")
	if product != "domestic" && product != "sepa-credit-transfers" && product != "international" && product != "swedish-giro" {
		tppError(w, 404, "PRODUCT_UNKNOWN", "paymentProduct", "unknown payment product")
		return
	}
	prof := op.ProfileFor(bank.BIC)
	if !prof.Offers(product) {
		tppError(w, 400, "PRODUCT_INVALID", "paymentProduct", bank.Name+" does not offer "+product)
		return
	}
	var body op.PaymentInitiation
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		tppError(w, 400, "FORMAT_ERROR", "body", "malformed JSON: "+err.Error())
		return
	}
	switch {
	case !amountPattern.MatchString(body.InstructedAmount.Amount):
		tppError(w, 400, "FORMAT_ERROR", "instructedAmount.amount", "amount must match ^-?[0-9]{1,9}(\\.[0-9]{0,2})?$")
		return
	case !contains(bank.Currencies, body.InstructedAmount.Currency):
		tppError(w, 400, "PARAMETER_NOT_CONSISTENT", "instructedAmount.currency", bank.Name+" does not pay in "+body.InstructedAmount.Currency)
		return
	case (product == "sepa-credit-transfers") != (body.InstructedAmount.Currency == "EUR"):
		tppError(w, 400, "PARAMETER_NOT_CONSISTENT", "paymentProduct", "sepa-credit-transfers is for EUR only")
		return
	case body.CreditorName == "":
		tppError(w, 400, "FORMAT_ERROR", "creditorName", "creditorName is required")
		return
	case len([]rune(body.RemittanceInformationUnstructured)) > prof.RemittanceLimit(product, false) &&
		!(prof.MaxRemittanceSameBank > 0 && product == "domestic" && len([]rune(body.RemittanceInformationUnstructured)) <= prof.MaxRemittanceSameBank && f.sameBank(bank, body)):
		tppError(w, 400, "FORMAT_ERROR", "remittanceInformationUnstructured", fmt.Sprintf("at most %d characters at %s", prof.RemittanceLimit(product, false), bank.Name))
		return
	case prof.CreditorAddressOutside != "" && product == "sepa-credit-transfers" && body.CreditorAddress == nil &&
		!strings.HasPrefix(body.CreditorAccount.IBAN, prof.CreditorAddressOutside):
		tppError(w, 400, "FORMAT_ERROR", "creditorAddress", "creditorAddress is required for SEPA payments outside "+prof.CreditorAddressOutside)
		return
	case body.DebtorAccount == nil && prof.DebtorAccount == "required":
		tppError(w, 400, "FORMAT_ERROR", "debtorAccount", "debtorAccount is required by "+bank.Name)
		return
	}
	if msg := checkAccount(prof.CreditorFormat, &body.CreditorAccount); msg != "" {
		tppError(w, 400, "FORMAT_ERROR", "creditorAccount", "creditorAccount "+msg+" at "+bank.BIC)
		return
	}
	if body.DebtorAccount != nil {
		if msg := checkAccount(prof.DebtorFormat, body.DebtorAccount); msg != "" {
			tppError(w, 400, "FORMAT_ERROR", "debtorAccount", "debtorAccount "+msg+" at "+bank.BIC)
			return
		}
	}
	p := &fakePayment{id: uuid.NewString(), product: product, bic: bank.BIC, body: body, status: "RCVD", psuIP: r.Header.Get("PSU-IP-Address"),
		affiliate: r.Header.Get("X-AffiliatedASPSP-ID")}
	f.payments[p.id] = p
	base := "/psd2/paymentinitiation/v1/payments/" + product + "/" + p.id
	writeJSON(w, 201, op.PaymentCreated{PaymentID: p.id, TransactionStatus: p.status, Links: map[string]op.Link{
		"self": {Href: base}, "status": {Href: base + "/status"}, "startAuthorisation": {Href: base + "/authorisations"}}})
}

// sameBank tells whether the creditor's account is at this bank: Swedish IBANs carry the bank's
// code after the check digits (Swedbank 8000).
func (f *Fake) sameBank(bank Bank, body op.PaymentInitiation) bool {
	iban := body.CreditorAccount.IBAN
	return bank.BIC == "SWEDSESS" && len(iban) > 5 && strings.HasPrefix(iban, "SE") && iban[4] == '8'
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (f *Fake) status(w http.ResponseWriter, r *http.Request, _ Bank) {
	writeJSON(w, 200, op.TransactionStatus{TransactionStatus: f.payments[r.PathValue("id")].status})
}

func (f *Fake) cancel(w http.ResponseWriter, r *http.Request, _ Bank) {
	p := f.payments[r.PathValue("id")]
	switch p.status {
	case "RCVD", "PDNG":
		p.status = "CANC"
		for _, a := range f.auths {
			if a.paymentID == p.id && !terminalSCA(a.scaStatus) {
				a.scaStatus, a.hint = "failed", "cancelled"
			}
		}
		w.WriteHeader(http.StatusNoContent)
	case "CANC":
		w.WriteHeader(http.StatusNoContent)
	default:
		tppError(w, 400, "CANCELLATION_INVALID", "paymentId", "payment in status "+p.status+" can no longer be cancelled")
	}
}

func terminalSCA(s string) bool { return s == "finalised" || s == "failed" || s == "exempted" }

func (f *Fake) startAuth(w http.ResponseWriter, r *http.Request, bank Bank) {
	p := f.payments[r.PathValue("id")]
	if p.status != "RCVD" {
		tppError(w, 409, "STATUS_INVALID", "paymentId", "payment in status "+p.status+" cannot be authorised")
		return
	}
	for _, a := range f.auths {
		if a.paymentID == p.id && !terminalSCA(a.scaStatus) {
			a.scaStatus, a.hint = "failed", "cancelled" // a newer authorisation replaces it, as BankID does
		}
	}
	a := &fakeAuth{id: uuid.NewString(), paymentID: p.id, scaStatus: "received", approach: bank.Approach}
	f.auths[a.id] = a
	var methods []op.SCAMethod
	if bank.Approach == "decoupled" {
		methods = []op.SCAMethod{
			{AuthenticationMethodID: op.MethodAnimatedQRToken, AuthenticationType: "PUSH_OTP", Name: "Mobilt BankID (QR)"},
			{AuthenticationMethodID: op.MethodAnimatedQRImage, AuthenticationType: "PUSH_OTP", Name: "Mobilt BankID (QR image)"},
			{AuthenticationMethodID: op.MethodSameDevice, AuthenticationType: "PUSH_OTP", Name: "Mobilt BankID (this device)"},
			{AuthenticationMethodID: op.MethodLegacy, AuthenticationType: "PUSH_OTP", Name: "Mobilt BankID"},
		}
	} else {
		methods = []op.SCAMethod{{AuthenticationMethodID: "oauth_redirect", AuthenticationType: "SMS_OTP", Name: bank.Name + " login"}}
	}
	self := r.URL.Path + "/" + a.id
	writeJSON(w, 201, op.Authorisation{AuthorisationID: a.id, SCAStatus: a.scaStatus, SCAMethods: methods,
		Links: map[string]op.Link{"authoriseTransaction": {Href: self}, "scaStatus": {Href: self}}})
}

func (f *Fake) authFor(w http.ResponseWriter, r *http.Request) *fakeAuth {
	a := f.auths[r.PathValue("auth")]
	if a == nil || a.paymentID != r.PathValue("id") {
		tppError(w, 404, "RESOURCE_UNKNOWN", "authorisationId", "no such authorisation")
		return nil
	}
	return a
}

func (f *Fake) selectMethod(w http.ResponseWriter, r *http.Request, bank Bank) {
	a := f.authFor(w, r)
	if a == nil {
		return
	}
	var body op.SelectMethod
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.AuthenticationMethodID == "" {
		tppError(w, 400, "FORMAT_ERROR", "authenticationMethodId", "authenticationMethodId is required")
		return
	}
	if a.scaStatus != "received" {
		tppError(w, 409, "STATUS_INVALID", "authorisationId", "SCA method already selected")
		return
	}
	valid := map[string]bool{"oauth_redirect": bank.Approach == "redirect"}
	for _, m := range []string{op.MethodAnimatedQRToken, op.MethodAnimatedQRImage, op.MethodSameDevice, op.MethodLegacy} {
		valid[m] = bank.Approach == "decoupled"
	}
	if !valid[body.AuthenticationMethodID] {
		tppError(w, 400, "PARAMETER_NOT_CONSISTENT", "authenticationMethodId", "method not offered by this ASPSP")
		return
	}
	a.method = body.AuthenticationMethodID
	if bank.Approach == "redirect" {
		a.scaStatus = "scaMethodSelected"
		w.Header().Set("ASPSP-SCA-Approach", "REDIRECT")
		href := strings.TrimRight(f.BaseURL, "/") + "/bank/authorize?client_id=[CLIENT_ID]&redirect_uri=[TPP_REDIRECT_URI]&state=[TPP_STATE]&scope=paymentinitiation&paymentId=" + a.paymentID + "&authorisationId=" + a.id
		writeJSON(w, 200, op.Authorisation{SCAStatus: a.scaStatus, Links: map[string]op.Link{"scaOAuth": {Href: href}}})
		return
	}
	a.scaStatus = "authenticationStarted"
	a.startedAt = f.Now()
	a.qrToken, a.qrSecret, a.autostartToken = uuid.NewString(), uuid.NewString(), uuid.NewString()
	w.Header().Set("ASPSP-SCA-Approach", "DECOUPLED")
	writeJSON(w, 200, f.authView(a))
}

// authView is the authorisation as a poll sees it now, with a fresh challenge while it waits.
func (f *Fake) authView(a *fakeAuth) op.Authorisation {
	if a.scaStatus == "authenticationStarted" && !a.engaged && f.Now().Sub(a.startedAt) >= f.StartTimeout {
		f.fail(a, "startFailed")
	}
	v := op.Authorisation{SCAStatus: a.scaStatus, PSUMessage: a.hint}
	if a.scaStatus == "authenticationStarted" && !a.engaged {
		switch a.method {
		case op.MethodAnimatedQRToken:
			v.ChallengeData = &op.ChallengeData{Data: []string{bankid.QRPayload(a.qrToken, a.qrSecret, f.qrTime(a))}}
		case op.MethodAnimatedQRImage:
			png, _ := qrcode.Encode(bankid.QRPayload(a.qrToken, a.qrSecret, f.qrTime(a)), qrcode.Medium, 256)
			v.ChallengeData = &op.ChallengeData{Image: base64.StdEncoding.EncodeToString(png)}
		case op.MethodSameDevice, op.MethodLegacy:
			v.ChallengeData = &op.ChallengeData{Data: []string{a.autostartToken}}
		}
	}
	return v
}

func (f *Fake) qrTime(a *fakeAuth) int64 { return int64(f.Now().Sub(a.startedAt) / time.Second) }

func (f *Fake) getAuth(w http.ResponseWriter, r *http.Request, _ Bank) {
	if a := f.authFor(w, r); a != nil {
		writeJSON(w, 200, f.authView(a))
	}
}

// finalise completes SCA: the payment moves on, to ACSC at once or after the bank's SettleAfter;
// a consent becomes valid.
func (f *Fake) finalise(a *fakeAuth) {
	a.scaStatus = "finalised"
	p := f.payments[a.paymentID]
	if p.product == "consent" {
		p.status = "valid"
		return
	}
	if a.rejectPayment {
		p.status = "RJCT"
		return
	}
	if d := f.banks[p.bic].SettleAfter; d > 0 {
		p.status, p.settleAt = "ACSP", f.Now().Add(d)
		return
	}
	p.status = "ACSC"
}

func (f *Fake) settle(p *fakePayment) {
	if p.status == "ACSP" && !p.settleAt.IsZero() && !f.Now().Before(p.settleAt) {
		p.status = "ACSC"
	}
}

// fail ends SCA with a BankID hint code. A refusal rejects the payment, as the bank would;
// a QR code nobody scanned (startFailed) leaves it open to a fresh authorisation.
func (f *Fake) fail(a *fakeAuth, hint string) {
	a.scaStatus, a.hint = "failed", hint
	if p := f.payments[a.paymentID]; p.status == "RCVD" && hint != "startFailed" {
		p.status = "RJCT"
	}
}

// Order is a BankID order as the simulated app shows it.
type Order struct {
	Ref          string // the authorisation id
	Amount       string
	Currency     string
	CreditorName string
	Reference    string
	Bank         string
}

// ScanQR is what the BankID app does with a scanned animated QR code: it finds the order and
// refuses a payload that is malformed, from another order, forged, or older than the current second's.
func (f *Fake) ScanQR(payload string) (Order, error) {
	q, err := bankid.ParseQR(payload)
	if err != nil {
		return Order{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, a := range f.auths {
		if a.qrToken != q.Token {
			continue
		}
		f.authView(a) // applies the time-out
		switch {
		case a.scaStatus != "authenticationStarted" || a.engaged:
			return Order{}, fmt.Errorf("this BankID order is no longer waiting to be scanned")
		case q.Code != bankid.QRAuthCode(a.qrSecret, q.Time):
			return Order{}, fmt.Errorf("QR code invalid: the code does not match")
		case q.Time != f.qrTime(a):
			return Order{}, fmt.Errorf("QR code invalid: it is from second %d, the order is at second %d; scan the code on screen now", q.Time, f.qrTime(a))
		}
		a.engaged, a.scaStatus, a.hint = true, "started", "userSign"
		return f.orderOf(a), nil
	}
	return Order{}, fmt.Errorf("QR code invalid: no such BankID order")
}

// Autostart is what the BankID app does when opened with an autostart token on the same device.
func (f *Fake) Autostart(token string) (Order, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, a := range f.auths {
		if a.autostartToken != token || token == "" {
			continue
		}
		f.authView(a)
		if a.scaStatus != "authenticationStarted" || a.engaged {
			return Order{}, fmt.Errorf("this BankID order is no longer waiting to be started")
		}
		a.engaged, a.scaStatus, a.hint = true, "started", "userSign"
		return f.orderOf(a), nil
	}
	return Order{}, fmt.Errorf("no BankID order for this autostart token")
}

func (f *Fake) orderOf(a *fakeAuth) Order {
	p := f.payments[a.paymentID]
	return Order{Ref: a.id, Amount: p.body.InstructedAmount.Amount, Currency: p.body.InstructedAmount.Currency,
		CreditorName: p.body.CreditorName, Reference: p.body.RemittanceInformationUnstructured, Bank: f.banks[p.bic].Name}
}

// Sign is the shopper's answer in the BankID app to an order they scanned or started:
// approve signs the payment, otherwise the shopper cancelled (userCancel).
func (f *Fake) Sign(ref string, approve bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	a := f.auths[ref]
	if a == nil || !a.engaged || a.scaStatus != "started" {
		return fmt.Errorf("no BankID order waiting for a signature")
	}
	if approve {
		a.hint = ""
		f.finalise(a)
	} else {
		f.fail(a, "userCancel")
	}
	return nil
}

// Decide approves or denies a redirect authorisation as the bank's page would, for tests that
// do not click through it. It returns the URL the bank sends the shopper back to.
func (f *Fake) Decide(authorisationID, redirectURI, state string, approve bool) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.decide(authorisationID, redirectURI, state, approve, false)
}

func (f *Fake) decide(authID, redirectURI, state string, approve, reject bool) (string, error) {
	a := f.auths[authID]
	if a == nil || a.approach != "redirect" || a.scaStatus != "scaMethodSelected" {
		return "", fmt.Errorf("no authorisation waiting for the shopper")
	}
	if !contains(f.RedirectURIs, redirectURI) {
		return "", fmt.Errorf("redirect_uri %q is not registered for this client", redirectURI)
	}
	sep := "?"
	if strings.Contains(redirectURI, "?") {
		sep = "&"
	}
	if !approve {
		f.fail(a, "userCancel")
		return redirectURI + sep + "error=access_denied&error_description=The+user+denied+the+payment&state=" + urlEscape(state), nil
	}
	a.code, a.redirectURI, a.rejectPayment = randomString(), redirectURI, reject
	a.scaStatus = "psuAuthenticated"
	f.codes[a.code] = a
	return redirectURI + sep + "code=" + a.code + "&scope=paymentinitiation&state=" + urlEscape(state), nil
}

// Expire moves the fake's tokens past their lifetime, to test renewal.
func (f *Fake) Expire() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, t := range f.tokens {
		t.expires = f.Now().Add(-time.Second)
		f.tokens[k] = t
	}
}

// createConsent opens an account-information consent for the list of the shopper's accounts.
func (f *Fake) createConsent(w http.ResponseWriter, r *http.Request, bank Bank) {
	var body struct {
		Access             map[string]any `json:"access"`
		RecurringIndicator *bool          `json:"recurringIndicator"`
		ValidUntil         string         `json:"validUntil"`
		FrequencyPerDay    int            `json:"frequencyPerDay"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Access == nil || body.RecurringIndicator == nil || body.ValidUntil == "" || body.FrequencyPerDay < 1 {
		tppError(w, 400, "FORMAT_ERROR", "body", "access, recurringIndicator, validUntil and frequencyPerDay are required")
		return
	}
	if _, err := time.Parse("2006-01-02", body.ValidUntil); err != nil {
		tppError(w, 400, "FORMAT_ERROR", "validUntil", "validUntil must be a date")
		return
	}
	c := &fakePayment{id: uuid.NewString(), product: "consent", bic: bank.BIC, status: "RCVD", psuIP: r.Header.Get("PSU-IP-Address"),
		body: op.PaymentInitiation{CreditorName: bank.Name, RemittanceInformationUnstructured: "Share the list of your accounts"}}
	f.payments[c.id] = c
	base := "/psd2/consent/v1/consents/" + c.id
	writeJSON(w, 201, map[string]any{"consentId": c.id, "consentStatus": "received",
		"_links": map[string]op.Link{"self": {Href: base}, "startAuthorisation": {Href: base + "/authorisations"}}})
}

func (f *Fake) consentStatus(w http.ResponseWriter, r *http.Request, _ Bank) {
	st := map[string]string{"RCVD": "received", "valid": "valid", "RJCT": "rejected", "CANC": "terminatedByTpp"}[f.payments[r.PathValue("id")].status]
	writeJSON(w, 200, map[string]string{"consentStatus": st})
}

// accounts lists the shopper's accounts under a valid consent, in the bank's own formats.
func (f *Fake) accounts(w http.ResponseWriter, r *http.Request, bank Bank) {
	c := f.payments[r.Header.Get("Consent-ID")]
	if c == nil || c.product != "consent" || c.bic != bank.BIC {
		tppError(w, 401, "CONSENT_UNKNOWN", "Consent-ID", "no such consent at this ASPSP")
		return
	}
	if c.status != "valid" {
		tppError(w, 401, "CONSENT_INVALID", "Consent-ID", "the consent is not authorised")
		return
	}
	cur := bank.Currencies[0]
	writeJSON(w, 200, map[string]any{"accounts": []op.AccountDetails{
		{ResourceID: "acc-1", IBAN: "SE3550000000054910000003", BBAN: "54910000003", Currency: cur, Name: "Everyday account", Product: "Privatkonto"},
		{ResourceID: "acc-2", IBAN: "SE7160000000000123456789", BBAN: "123456789", Currency: cur, Name: "Savings", Product: "Sparkonto"},
	}})
}
