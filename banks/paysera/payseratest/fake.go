// Package payseratest is a fake of Paysera's Berlin Group API: the API answers only over mutual
// TLS to a client certificate it trusts (a bad certificate is 403); consent is OAuth 2.0
// authorization code with PKCE S256 (a wrong verifier is invalid_grant); requests with a body must
// carry a matching Digest; every answer carries X-RateLimit-* headers and calls beyond the limit are
// refused with 429. The shopper's pages (the authorize page and the SCA page) are plain HTTPS pages
// for the browser, served by PageHandler. Where the documents allow several forms of an answer,
// Forms chooses one (see forms.go for the documents cited as "seed" and "protocol").
package payseratest

import (
	"cmp"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"paybybank/banks/httpsig"
	"paybybank/i18n"
)

// PaymentTimeout is how long a payment waits for SCA before it is rejected (protocol: "A payment
// not authorised within 15 minutes times out").
const PaymentTimeout = 15 * time.Minute

// Fake is the fake bank.
type Fake struct {
	// ClientID is the one OAuth client the fake knows.
	ClientID string
	// RedirectURIs are the client's registered OAuth redirect URIs.
	RedirectURIs []string
	// PageURL is where the browser reaches PageHandler (the SCA link is built from it).
	PageURL string
	// Now is the fake's clock.
	Now func() time.Time
	// RateLimit is the X-RateLimit-Limit the fake announces and enforces per RateWindow.
	RateLimit int
	// RateWindow is how long one rate-limit window lasts; X-RateLimit-Reset is its end.
	RateWindow time.Duration
	// Forms chooses among the answers the documents allow; the zero value is the historical one.
	Forms Forms

	mu        sync.Mutex
	trusted   map[string]bool // client certificate fingerprints
	codes     map[string]*grant
	access    map[string]time.Time // token → expiry
	refresh   map[string]bool
	payments  map[string]*payment
	faults    []int
	remaining int
	windowEnd time.Time // end of the current rate-limit window; zero before the first call
	calls     []string
}

type grant struct {
	challenge, redirect, state, scope string
}

type payment struct {
	id, status, redirect string
	amount, creditor     string
	creditorIBAN         string
	created              time.Time
}

// New returns a fake for one client.
func New(clientID string) *Fake {
	return &Fake{ClientID: clientID, Now: time.Now, RateLimit: 100, RateWindow: time.Minute, remaining: 100,
		trusted: map[string]bool{}, codes: map[string]*grant{}, access: map[string]time.Time{}, refresh: map[string]bool{},
		payments: map[string]*payment{}}
}

// Trust registers a TPP's client certificate (its QWAC).
func (f *Fake) Trust(cert *x509.Certificate) {
	sum := sha256.Sum256(cert.Raw)
	f.mu.Lock()
	f.trusted[string(sum[:])] = true
	f.mu.Unlock()
}

// FailNext makes the next n API calls answer status.
func (f *Fake) FailNext(n, status int) {
	f.mu.Lock()
	for i := 0; i < n; i++ {
		f.faults = append(f.faults, status)
	}
	f.mu.Unlock()
}

// SetRemaining sets how many calls the current rate-limit window still allows; the next call
// reports n-1 in X-RateLimit-Remaining, and when n is 0 it is refused with 429.
func (f *Fake) SetRemaining(n int) {
	f.mu.Lock()
	f.startWindow()
	f.remaining = n
	f.mu.Unlock()
}

// startWindow opens a fresh rate-limit window when none is open or the current one has ended.
// The caller holds f.mu.
func (f *Fake) startWindow() {
	if now := f.Now(); f.windowEnd.IsZero() || !now.Before(f.windowEnd) {
		f.windowEnd = now.Add(f.RateWindow)
		f.remaining = f.RateLimit
	}
}

// ExpireTokens ends every access token, as an hour passing would.
func (f *Fake) ExpireTokens() {
	f.mu.Lock()
	for k := range f.access {
		f.access[k] = f.Now().Add(-time.Second)
	}
	f.mu.Unlock()
}

// ExpireToken ends one access token; it reports whether the fake had issued it.
func (f *Fake) ExpireToken(accessToken string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.access[accessToken]; !ok {
		return false
	}
	f.access[accessToken] = f.Now().Add(-time.Second)
	return true
}

// Calls lists the API calls received.
func (f *Fake) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// fail answers a Berlin Group error, in the form Forms chooses: the protocol's introduction gives
// errors as tppMessages[{category, code, text}] or {status, code, message}.
func (f *Fake) fail(w http.ResponseWriter, status int, code, text string) {
	if f.Forms.FlatErrors {
		writeJSON(w, status, map[string]any{"status": status, "code": code, "message": text})
		return
	}
	writeJSON(w, status, map[string]any{"tppMessages": []map[string]string{{"category": "ERROR", "code": code, "text": text}}})
}

// oauthError answers an OAuth error (RFC 6749 §5.2): the token endpoint is OAuth's, not Berlin Group's.
func oauthError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

// APIHandler serves the API; it must run behind TLS that requests client certificates.
func (f *Fake) APIHandler() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET /.well-known/oauth-authorization-server", f.metadata)
	m.HandleFunc("POST /oauth/token", f.token)
	m.HandleFunc("POST /v1/payments/sepa-credit-transfers", f.api(f.create))
	m.HandleFunc("GET /v1/payments/sepa-credit-transfers/{id}", f.api(f.get))
	m.HandleFunc("GET /v1/payments/sepa-credit-transfers/{id}/status", f.api(f.status))
	m.HandleFunc("DELETE /v1/payments/sepa-credit-transfers/{id}", f.api(f.cancel))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Protocol, Transport: mutual TLS with a QWAC; a bad certificate is answered 403.
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			f.fail(w, 403, "CERTIFICATE_MISSING", "a client certificate is required")
			return
		}
		leaf := r.TLS.PeerCertificates[0]
		sum := sha256.Sum256(leaf.Raw)
		f.mu.Lock()
		ok := f.trusted[string(sum[:])]
		now := f.Now()
		f.mu.Unlock()
		switch {
		case !ok:
			f.fail(w, 403, "CERTIFICATE_INVALID", "the client certificate is not registered")
			return
		case now.After(leaf.NotAfter) || now.Before(leaf.NotBefore):
			f.fail(w, 403, "CERTIFICATE_EXPIRED", "the client certificate is not valid now")
			return
		}
		path := r.URL.Path
		if f.Forms.UnderBasePath { // seed: every URL is under /xs2a/berlin/1.3
			rest, found := strings.CutPrefix(path, BasePath)
			if !found || !strings.HasPrefix(rest, "/") {
				f.fail(w, 404, "RESOURCE_UNKNOWN", "no such resource")
				return
			}
			r2 := r.Clone(r.Context())
			r2.URL.Path, r2.URL.RawPath = rest, ""
			r, path = r2, rest
		}
		f.mu.Lock()
		if len(f.calls) >= 2000 { // bounded: a sandbox may serve for days
			f.calls = append(f.calls[:0], f.calls[1000:]...)
		}
		f.calls = append(f.calls, r.Method+" "+path)
		// Seed, Rate Limit Management: X-RateLimit-Limit/Remaining/Reset, Reset in epoch seconds
		// (new Date(reset * 1000)); 429 is "Too Many Requests - Rate limit exceeded" (ApiErrorHandler).
		f.startWindow()
		limited := f.remaining <= 0
		if !limited {
			f.remaining--
		}
		w.Header().Set("X-RateLimit-Limit", strconv.Itoa(f.RateLimit))
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(max(f.remaining, 0)))
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(f.windowEnd.Unix(), 10))
		var fault int
		if !limited && len(f.faults) > 0 && strings.HasPrefix(path, "/v1/") {
			fault, f.faults = f.faults[0], f.faults[1:]
		}
		f.mu.Unlock()
		if limited {
			f.fail(w, 429, "ACCESS_EXCEEDED", "rate limit exceeded")
			return
		}
		if fault != 0 {
			f.fail(w, fault, "SERVICE_UNAVAILABLE", "scripted failure")
			return
		}
		m.ServeHTTP(w, r)
	})
}

// apiBase is the absolute URL of the API base as the client reached it.
func (f *Fake) apiBase(r *http.Request) string {
	base := "https://" + r.Host
	if f.Forms.UnderBasePath {
		base += BasePath
	}
	return base
}

// metadata serves the OAuth metadata (protocol: "Metadata at /.well-known/oauth-authorization-server").
func (f *Fake) metadata(w http.ResponseWriter, r *http.Request) {
	token := "/oauth/token"
	if f.Forms.AbsoluteMetadata {
		token = f.apiBase(r) + token
	}
	writeJSON(w, 200, map[string]any{"issuer": f.PageURL, "authorization_endpoint": f.PageURL + "/oauth/authorize",
		"token_endpoint": token, "code_challenge_methods_supported": []string{"S256"},
		"grant_types_supported": []string{"authorization_code", "refresh_token"}})
}

// issue answers a token request; the caller holds f.mu. Seed, Step 3: the answer has access_token,
// refresh_token, expires_in and scope.
func (f *Fake) issue(w http.ResponseWriter, scope string, newRefresh bool) {
	at := uuid.NewString()
	f.access[at] = f.Now().Add(time.Hour)
	out := map[string]any{"access_token": at, "expires_in": 3600, "token_type": "Bearer"}
	if newRefresh {
		rt := uuid.NewString()
		f.refresh[rt] = true
		out["refresh_token"] = rt
	}
	if f.Forms.TokenScope {
		out["scope"] = scope
	}
	writeJSON(w, 200, out)
}

// verifierRe is RFC 7636 §4.1's code_verifier: 43 to 128 unreserved characters (the seed's is 32
// random bytes in base64url, 43 characters).
var verifierRe = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

func (f *Fake) token(w http.ResponseWriter, r *http.Request) {
	// Seed, Step 3 and Refreshing Access Tokens: a form body, Content-Type
	// application/x-www-form-urlencoded.
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-www-form-urlencoded" {
		oauthError(w, 400, "invalid_request", "the body must be application/x-www-form-urlencoded")
		return
	}
	r.ParseForm()
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.PostForm.Get("client_id") != f.ClientID {
		oauthError(w, 401, "invalid_client", "unknown client_id")
		return
	}
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		// Seed, Step 3: code, redirect_uri, client_id and code_verifier (PKCE S256, Step 1).
		g := f.codes[r.PostForm.Get("code")]
		if g == nil || g.redirect != r.PostForm.Get("redirect_uri") {
			oauthError(w, 400, "invalid_grant", "unknown code or redirect_uri")
			return
		}
		verifier := r.PostForm.Get("code_verifier")
		sum := sha256.Sum256([]byte(verifier))
		if !verifierRe.MatchString(verifier) || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
			oauthError(w, 400, "invalid_grant", "code_verifier does not match the challenge")
			return
		}
		delete(f.codes, r.PostForm.Get("code"))
		f.issue(w, g.scope, true)
	case "refresh_token":
		// Seed, Refreshing Access Tokens: refresh_token and client_id.
		rt := r.PostForm.Get("refresh_token")
		if !f.refresh[rt] {
			oauthError(w, 400, "invalid_grant", "unknown or already used refresh_token")
			return
		}
		if !f.Forms.RefreshKeepsToken {
			delete(f.refresh, rt)
		}
		f.issue(w, "accounts transactions payments", !f.Forms.RefreshKeepsToken)
	default:
		oauthError(w, 400, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
	}
}

// api checks what every API call must carry before h sees it.
func (f *Fake) api(h func(w http.ResponseWriter, r *http.Request, body []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		tok, bearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		f.mu.Lock()
		exp, known := f.access[tok]
		f.mu.Unlock()
		switch {
		case !bearer || !known:
			// Seed, ApiErrorHandler: "401: Unauthorized - Token expired or invalid".
			f.fail(w, 401, "TOKEN_INVALID", "access token missing or unknown")
		case !f.Now().Before(exp):
			f.expired(w)
		case uuid.Validate(r.Header.Get("X-Request-ID")) != nil:
			// Protocol: X-Request-ID on every request; seed: crypto.randomUUID().
			f.fail(w, 400, "FORMAT_ERROR", "X-Request-ID must be a UUID")
		case len(body) > 0 && r.Header.Get("Digest") != httpsig.Digest(body):
			// Protocol and seed, Initiate Single Payment: Digest: SHA-256=<base64 of SHA-256(body)>.
			f.fail(w, 400, "FORMAT_ERROR", "Digest missing or does not match the body")
		default:
			h(w, r, body)
		}
	}
}

// expired answers an expired access token in the form Forms chooses (seed: a 401 and nothing more).
func (f *Fake) expired(w http.ResponseWriter) {
	switch f.Forms.ExpiredToken {
	case ExpiredTokenBare:
		w.WriteHeader(401)
	case ExpiredTokenExpired:
		f.fail(w, 401, "TOKEN_EXPIRED", "access token expired")
	default:
		f.fail(w, 401, "TOKEN_INVALID", "access token missing or expired")
	}
}

var (
	// challengeRe is a PKCE S256 challenge: base64url without padding of a SHA-256, 43 characters.
	challengeRe = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
	// amountRe is a EUR amount as the seed writes it: a decimal string ('100.00', "10.00").
	amountRe = regexp.MustCompile(`^[0-9]{1,9}(\.[0-9]{1,2})?$`)
	// ibanRe is an IBAN's shape; the seed's example IBANs (LT123456789012345678) have no valid check
	// digits, so only the shape is checked.
	ibanRe = regexp.MustCompile(`^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$`)
)

func (f *Fake) create(w http.ResponseWriter, r *http.Request, body []byte) {
	type account struct {
		IBAN string `json:"iban"`
	}
	var in struct {
		InstructedAmount struct{ Currency, Amount string } `json:"instructedAmount"`
		DebtorAccount    *account                          `json:"debtorAccount"`
		CreditorAccount  account                           `json:"creditorAccount"`
		CreditorName     string                            `json:"creditorName"`
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	redirect, redirectErr := url.Parse(r.Header.Get("TPP-Redirect-URI"))
	switch {
	case ct != "application/json":
		// Seed, Initiate Single Payment and the cURL example: Content-Type: application/json.
		f.fail(w, 400, "FORMAT_ERROR", "Content-Type must be application/json")
	case json.Unmarshal(body, &in) != nil:
		f.fail(w, 400, "FORMAT_ERROR", "malformed JSON")
	case in.InstructedAmount.Currency != "EUR" || !amountRe.MatchString(in.InstructedAmount.Amount):
		// Seed: instructedAmount {currency: 'EUR', amount: '100.00'}; SEPA credit transfers are EUR.
		f.fail(w, 400, "FORMAT_ERROR", "instructedAmount must be EUR with a decimal string amount")
	case !ibanRe.MatchString(in.CreditorAccount.IBAN) || in.CreditorName == "":
		// Seed, both payment examples: creditorAccount.iban and creditorName.
		f.fail(w, 400, "FORMAT_ERROR", "creditorAccount.iban and creditorName are required")
	case in.DebtorAccount != nil && !ibanRe.MatchString(in.DebtorAccount.IBAN):
		// Seed: debtorAccount is optional (the cURL example leaves it out) but is an IBAN when given.
		f.fail(w, 400, "FORMAT_ERROR", "debtorAccount.iban is not an IBAN")
	case net.ParseIP(r.Header.Get("PSU-IP-Address")) == nil:
		// Seed, Initiate Single Payment: 'PSU-IP-Address': '192.168.1.1' // User's IP.
		f.fail(w, 400, "FORMAT_ERROR", "PSU-IP-Address must be the shopper's IP address")
	case redirectErr != nil || !redirect.IsAbs() || redirect.Host == "":
		// Protocol: TPP-Redirect-URI for redirect SCA, and Paysera is "Redirect SCA only".
		f.fail(w, 400, "FORMAT_ERROR", "TPP-Redirect-URI must be an absolute URI")
	default:
		p := &payment{id: uuid.NewString(), status: "RCVD", redirect: redirect.String(),
			amount: in.InstructedAmount.Amount, creditor: in.CreditorName, creditorIBAN: in.CreditorAccount.IBAN, created: f.Now()}
		f.mu.Lock()
		f.payments[p.id] = p
		f.mu.Unlock()
		// Seed, Initiate Single Payment reads paymentId, transactionStatus and _links.scaRedirect.
		links := map[string]any{"scaRedirect": f.link(f.PageURL + "/sca?payment=" + p.id)}
		if f.Forms.APILinks != LinksNone {
			self := f.apiLink(r, "/v1/payments/sepa-credit-transfers/"+p.id)
			links["self"], links["status"] = f.link(self), f.link(self+"/status")
		}
		writeJSON(w, 201, map[string]any{"paymentId": p.id, "transactionStatus": p.status, "_links": links})
	}
}

// link writes one _links value as a plain string or as {"href": …} (protocol: "read both").
func (f *Fake) link(u string) any {
	if f.Forms.LinksAsStrings {
		return u
	}
	return map[string]string{"href": u}
}

// apiLink writes a link to an API resource at path (relative to the API base) in Forms.APILinks' style.
func (f *Fake) apiLink(r *http.Request, path string) string {
	switch f.Forms.APILinks {
	case LinksAbsolute:
		return f.apiBase(r) + path
	case LinksHostRelative:
		if f.Forms.UnderBasePath {
			return BasePath + path
		}
	}
	return path
}

func (f *Fake) find(id string) *payment {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.payments[id]
	if p != nil && p.status == "RCVD" && f.Now().Sub(p.created) > PaymentTimeout {
		p.status = "RJCT" // protocol: not authorised within 15 minutes, the payment times out
	}
	return p
}

// get serves the payment resource. Seed, Check Payment Status: it reads paymentId,
// transactionStatus, instructedAmount.{amount,currency}, creditorName and, optionally,
// expectedExecutionDate; unknown payments are 404 (ApiErrorHandler).
func (f *Fake) get(w http.ResponseWriter, r *http.Request, _ []byte) {
	p := f.find(r.PathValue("id"))
	if p == nil {
		f.fail(w, 404, "RESOURCE_UNKNOWN", "no such payment")
		return
	}
	f.mu.Lock()
	out := map[string]any{"transactionStatus": p.status, "instructedAmount": map[string]string{"currency": "EUR", "amount": p.amount},
		"creditorAccount": map[string]string{"iban": p.creditorIBAN}, "creditorName": p.creditor}
	if !f.Forms.PaymentWithoutID {
		out["paymentId"] = p.id
	}
	if f.Forms.ExecutionDate {
		out["expectedExecutionDate"] = p.created.Format(time.DateOnly)
	}
	f.mu.Unlock()
	writeJSON(w, 200, out)
}

// status serves Berlin Group's status sub-resource (protocol, introduction: GET …/status with an
// ISO 20022 transactionStatus).
func (f *Fake) status(w http.ResponseWriter, r *http.Request, _ []byte) {
	p := f.find(r.PathValue("id"))
	if p == nil {
		f.fail(w, 404, "RESOURCE_UNKNOWN", "no such payment")
		return
	}
	f.mu.Lock()
	st := p.status
	f.mu.Unlock()
	writeJSON(w, 200, map[string]string{"transactionStatus": st})
}

// cancel serves DELETE. Seed, Cancel Payment (and protocol): 204 when cancelled, 405 when the
// payment can no longer be cancelled (already processed), 404 when unknown.
func (f *Fake) cancel(w http.ResponseWriter, r *http.Request, _ []byte) {
	p := f.find(r.PathValue("id"))
	if p == nil {
		f.fail(w, 404, "RESOURCE_UNKNOWN", "no such payment")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if p.status != "RCVD" {
		f.fail(w, 405, "CANCELLATION_INVALID", "the payment can no longer be cancelled")
		return
	}
	p.status = "CANC"
	w.WriteHeader(http.StatusNoContent)
}

var pageTmpl = template.Must(template.New("p").Parse(`<!doctype html><html lang="{{.L.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{{.L.Fill "sandbox.title" "name" "Paysera"}}</title><link rel="stylesheet" href="/static/app.css"></head>
<body><div class="wrap"><header class="top"><span class="merchant">{{.L.Fill "sandbox.title" "name" "Paysera"}}</span></header><main id="main" class="card">
{{if .Error}}<h1>{{.L.T "sandbox.cannot"}}</h1><p class="alert bad">{{.Error}}</p>{{else}}<h1>{{.Heading}}</h1>{{if .Amount}}<dl class="order"><dd class="amount">{{.L.Amount .Amount "EUR"}}</dd><dt>{{.L.T "order.to"}}</dt><dd>{{.Creditor}}</dd></dl>{{end}}
<form method="post" class="actions">{{range $k, $v := .Hidden}}<input type="hidden" name="{{$k}}" value="{{$v}}">{{end}}
<button class="btn" name="decision" value="approve" type="submit">{{.L.T "sandbox.approve"}}</button><button class="btn secondary" name="decision" value="deny" type="submit">{{.L.T "sandbox.deny"}}</button></form>{{end}}
</main></div></body></html>`))

// PageHandler serves the shopper's pages: OAuth consent and payment SCA.
func (f *Fake) PageHandler() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("/oauth/authorize", f.authorize)
	m.HandleFunc("/sca", f.sca)
	return m
}

func (f *Fake) render(w http.ResponseWriter, r *http.Request, v map[string]any) {
	l := i18n.ForRequest(r)
	v["L"] = l
	if h, ok := v["Heading"].(string); ok {
		v["Heading"] = l.Fill(h, "tpp", "paybybank", "bank", "Paysera")
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if v["Error"] != nil {
		w.WriteHeader(400)
	}
	pageTmpl.Execute(w, v)
}

func (f *Fake) authorize(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	q := r.Form
	redirect := q.Get("redirect_uri")
	switch {
	case q.Get("client_id") != f.ClientID || q.Get("response_type") != "code":
		f.render(w, r, map[string]any{"Error": "Unknown client or response_type."})
		return
	case !contains(f.RedirectURIs, redirect):
		f.render(w, r, map[string]any{"Error": "redirect_uri is not registered."})
		return
	case q.Get("code_challenge_method") != "S256" || !challengeRe.MatchString(q.Get("code_challenge")) || q.Get("state") == "":
		// Seed, Steps 1 and 2: code_challenge = base64url(SHA-256(verifier)), method S256, a random state.
		f.render(w, r, map[string]any{"Error": "PKCE with S256 and a state are required."})
		return
	}
	if r.Method != "POST" {
		hidden := map[string]string{}
		for _, k := range []string{"client_id", "response_type", "redirect_uri", "state", "code_challenge", "code_challenge_method", "scope"} {
			hidden[k] = q.Get(k)
		}
		f.render(w, r, map[string]any{"Heading": "sandbox.allow", "Hidden": hidden})
		return
	}
	back := url.Values{"state": {q.Get("state")}}
	if q.Get("decision") == "approve" {
		code := uuid.NewString()
		f.mu.Lock()
		f.codes[code] = &grant{challenge: q.Get("code_challenge"), redirect: redirect, state: q.Get("state"), scope: q.Get("scope")}
		f.mu.Unlock()
		back.Set("code", code)
	} else {
		back.Set("error", "access_denied")
	}
	http.Redirect(w, r, redirect+"?"+back.Encode(), http.StatusSeeOther)
}

func (f *Fake) sca(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	p := f.find(r.Form.Get("payment"))
	if p == nil {
		f.render(w, r, map[string]any{"Error": "No such payment."})
		return
	}
	f.mu.Lock()
	if p.status != "RCVD" {
		f.mu.Unlock()
		f.render(w, r, map[string]any{"Error": "This payment was already decided."})
		return
	}
	if r.Method != "POST" {
		v := map[string]any{"Heading": "sandbox.confirm", "Amount": p.amount, "Creditor": p.creditor, "Hidden": map[string]string{"payment": p.id}}
		f.mu.Unlock()
		f.render(w, r, v)
		return
	}
	to, _ := url.Parse(p.redirect) // checked when the payment was created
	if r.PostForm.Get("decision") == "approve" {
		p.status = cmp.Or(f.Forms.ApprovedStatus, "ACSC")
	} else {
		p.status = "RJCT"
		if !f.Forms.DenyWithoutError {
			q := to.Query()
			q.Set("error", "access_denied")
			to.RawQuery = q.Encode()
		}
	}
	f.mu.Unlock()
	http.Redirect(w, r, to.String(), http.StatusSeeOther)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// ServerTLS is a TLS configuration that asks for client certificates but lets the handshake finish
// without one: APIHandler checks them against the registered ones and answers 403 (protocol,
// Transport: "A bad certificate is answered 403"), a missing one included, rather than failing the
// handshake, so that a client sees the documented answer.
func ServerTLS(cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequestClientCert, MinVersion: tls.VersionTLS12}
}
