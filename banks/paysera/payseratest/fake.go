// Package payseratest is a fake of Paysera's Berlin Group API: the API answers only over mutual
// TLS to a client certificate it trusts (a bad certificate is 403); consent is OAuth 2.0
// authorization code with PKCE S256 (a wrong verifier is invalid_grant); requests with a body must
// carry a matching Digest; every answer carries X-RateLimit-* headers. The shopper's pages (the
// authorize page and the SCA page) are plain HTTPS pages for the browser, served by PageHandler.
package payseratest

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"paybybank/banks/httpsig"
)

// PaymentTimeout is how long a payment waits for SCA before it is rejected.
const PaymentTimeout = 15 * time.Minute

// Fake is the fake bank.
type Fake struct {
	ClientID     string
	RedirectURIs []string
	// PageURL is where the browser reaches PageHandler (the SCA link is built from it).
	PageURL string
	Now     func() time.Time
	// RateLimit is the X-RateLimit-Limit the fake announces.
	RateLimit int

	mu        sync.Mutex
	trusted   map[string]bool // client certificate fingerprints
	codes     map[string]*grant
	access    map[string]time.Time // token → expiry
	refresh   map[string]bool
	payments  map[string]*payment
	faults    []int
	remaining int
	calls     []string
}

type grant struct {
	challenge, redirect, state string
}

type payment struct {
	id, status, redirect string
	amount, creditor     string
	created              time.Time
}

// New returns a fake for one client.
func New(clientID string) *Fake {
	return &Fake{ClientID: clientID, Now: time.Now, RateLimit: 100, remaining: 100, trusted: map[string]bool{},
		codes: map[string]*grant{}, access: map[string]time.Time{}, refresh: map[string]bool{}, payments: map[string]*payment{}}
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

// SetRemaining sets what X-RateLimit-Remaining will say next.
func (f *Fake) SetRemaining(n int) { f.mu.Lock(); f.remaining = n; f.mu.Unlock() }

// ExpireTokens ends every access token, as an hour passing would.
func (f *Fake) ExpireTokens() {
	f.mu.Lock()
	for k := range f.access {
		f.access[k] = f.Now().Add(-time.Second)
	}
	f.mu.Unlock()
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

func tpp(w http.ResponseWriter, status int, code, text string) {
	writeJSON(w, status, map[string]any{"tppMessages": []map[string]string{{"category": "ERROR", "code": code, "text": text}}})
}

// APIHandler serves the API; it must run behind TLS that requests client certificates.
func (f *Fake) APIHandler() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET /.well-known/oauth-authorization-server", f.metadata)
	m.HandleFunc("POST /oauth/token", f.token)
	m.HandleFunc("POST /v1/payments/sepa-credit-transfers", f.api(f.create))
	m.HandleFunc("GET /v1/payments/sepa-credit-transfers/{id}", f.api(f.get))
	m.HandleFunc("GET /v1/payments/sepa-credit-transfers/{id}/status", f.api(f.get))
	m.HandleFunc("DELETE /v1/payments/sepa-credit-transfers/{id}", f.api(f.cancel))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			tpp(w, 403, "CERTIFICATE_MISSING", "a client certificate is required")
			return
		}
		sum := sha256.Sum256(r.TLS.PeerCertificates[0].Raw)
		f.mu.Lock()
		ok := f.trusted[string(sum[:])]
		if len(f.calls) >= 2000 { // bounded: a sandbox may serve for days
			f.calls = append(f.calls[:0], f.calls[1000:]...)
		}
		f.calls = append(f.calls, r.Method+" "+r.URL.Path)
		f.remaining = max(f.remaining-1, 0)
		w.Header().Set("X-RateLimit-Limit", strconv.Itoa(f.RateLimit))
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(f.remaining))
		w.Header().Set("X-RateLimit-Reset", "1")
		var fault int
		if len(f.faults) > 0 && strings.HasPrefix(r.URL.Path, "/v1/") {
			fault, f.faults = f.faults[0], f.faults[1:]
		}
		f.mu.Unlock()
		if !ok {
			tpp(w, 403, "CERTIFICATE_INVALID", "the client certificate is not registered")
			return
		}
		if fault != 0 {
			tpp(w, fault, "SERVICE_UNAVAILABLE", "scripted failure")
			return
		}
		m.ServeHTTP(w, r)
	})
}

func (f *Fake) metadata(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, map[string]any{"issuer": f.PageURL, "authorization_endpoint": f.PageURL + "/oauth/authorize",
		"token_endpoint": "/oauth/token", "code_challenge_methods_supported": []string{"S256"},
		"grant_types_supported": []string{"authorization_code", "refresh_token"}})
}

func (f *Fake) issue(w http.ResponseWriter) {
	at, rt := uuid.NewString(), uuid.NewString()
	f.access[at] = f.Now().Add(time.Hour)
	f.refresh[rt] = true
	writeJSON(w, 200, map[string]any{"access_token": at, "refresh_token": rt, "expires_in": 3600, "token_type": "Bearer"})
}

func (f *Fake) token(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.PostForm.Get("client_id") != f.ClientID {
		writeJSON(w, 401, map[string]string{"error": "invalid_client"})
		return
	}
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		g := f.codes[r.PostForm.Get("code")]
		if g == nil || g.redirect != r.PostForm.Get("redirect_uri") {
			writeJSON(w, 400, map[string]string{"error": "invalid_grant", "error_description": "unknown code or redirect_uri"})
			return
		}
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
			writeJSON(w, 400, map[string]string{"error": "invalid_grant", "error_description": "code_verifier does not match the challenge"})
			return
		}
		delete(f.codes, r.PostForm.Get("code"))
		f.issue(w)
	case "refresh_token":
		if !f.refresh[r.PostForm.Get("refresh_token")] {
			writeJSON(w, 400, map[string]string{"error": "invalid_grant"})
			return
		}
		delete(f.refresh, r.PostForm.Get("refresh_token"))
		f.issue(w)
	default:
		writeJSON(w, 400, map[string]string{"error": "unsupported_grant_type"})
	}
}

func (f *Fake) api(h func(w http.ResponseWriter, r *http.Request, body []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		f.mu.Lock()
		exp, ok := f.access[tok]
		f.mu.Unlock()
		switch {
		case !ok || !f.Now().Before(exp):
			tpp(w, 401, "TOKEN_INVALID", "access token missing or expired")
		case uuid.Validate(r.Header.Get("X-Request-ID")) != nil:
			tpp(w, 400, "FORMAT_ERROR", "X-Request-ID must be a UUID")
		case len(body) > 0 && r.Header.Get("Digest") != httpsig.Digest(body):
			tpp(w, 400, "FORMAT_ERROR", "Digest missing or does not match the body")
		default:
			h(w, r, body)
		}
	}
}

var amountRe = regexp.MustCompile(`^[0-9]{1,9}(\.[0-9]{1,2})?$`)

func (f *Fake) create(w http.ResponseWriter, r *http.Request, body []byte) {
	var in struct {
		InstructedAmount struct{ Currency, Amount string } `json:"instructedAmount"`
		CreditorAccount  struct {
			IBAN string `json:"iban"`
		} `json:"creditorAccount"`
		CreditorName string `json:"creditorName"`
	}
	switch {
	case json.Unmarshal(body, &in) != nil:
		tpp(w, 400, "FORMAT_ERROR", "malformed JSON")
	case in.InstructedAmount.Currency != "EUR" || !amountRe.MatchString(in.InstructedAmount.Amount):
		tpp(w, 400, "FORMAT_ERROR", "instructedAmount must be EUR with a decimal string amount")
	case in.CreditorAccount.IBAN == "" || in.CreditorName == "":
		tpp(w, 400, "FORMAT_ERROR", "creditorAccount.iban and creditorName are required")
	case r.Header.Get("TPP-Redirect-URI") == "" || r.Header.Get("PSU-IP-Address") == "":
		tpp(w, 400, "FORMAT_ERROR", "TPP-Redirect-URI and PSU-IP-Address are required")
	default:
		p := &payment{id: uuid.NewString(), status: "RCVD", redirect: r.Header.Get("TPP-Redirect-URI"),
			amount: in.InstructedAmount.Amount, creditor: in.CreditorName, created: f.Now()}
		f.mu.Lock()
		f.payments[p.id] = p
		f.mu.Unlock()
		writeJSON(w, 201, map[string]any{"paymentId": p.id, "transactionStatus": p.status,
			"_links": map[string]any{"scaRedirect": map[string]string{"href": f.PageURL + "/sca?payment=" + p.id}}})
	}
}

func (f *Fake) find(id string) *payment {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.payments[id]
	if p != nil && p.status == "RCVD" && f.Now().Sub(p.created) > PaymentTimeout {
		p.status = "RJCT"
	}
	return p
}

func (f *Fake) get(w http.ResponseWriter, r *http.Request, _ []byte) {
	p := f.find(r.PathValue("id"))
	if p == nil {
		tpp(w, 404, "RESOURCE_UNKNOWN", "no such payment")
		return
	}
	f.mu.Lock()
	st := p.status
	f.mu.Unlock()
	writeJSON(w, 200, map[string]string{"transactionStatus": st})
}

func (f *Fake) cancel(w http.ResponseWriter, r *http.Request, _ []byte) {
	p := f.find(r.PathValue("id"))
	if p == nil {
		tpp(w, 404, "RESOURCE_UNKNOWN", "no such payment")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if p.status != "RCVD" {
		tpp(w, 405, "CANCELLATION_INVALID", "the payment can no longer be cancelled")
		return
	}
	p.status = "CANC"
	w.WriteHeader(http.StatusNoContent)
}

var pageTmpl = template.Must(template.New("p").Parse(`<!doctype html><html lang="lt"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Paysera (sandbox)</title><link rel="stylesheet" href="/static/app.css"></head>
<body><div class="wrap"><header class="top"><span class="merchant">Paysera (sandbox)</span></header><main id="main" class="card">
{{if .Error}}<h1>Cannot continue</h1><p class="alert bad">{{.Error}}</p>{{else}}<h1>{{.Heading}}</h1>{{if .Amount}}<dl class="order"><dd class="amount">{{.Amount}} EUR</dd><dt>To</dt><dd>{{.Creditor}}</dd></dl>{{end}}
<form method="post" class="actions">{{range $k, $v := .Hidden}}<input type="hidden" name="{{$k}}" value="{{$v}}">{{end}}
<button class="btn" name="decision" value="approve" type="submit">Approve</button><button class="btn secondary" name="decision" value="deny" type="submit">Deny</button></form>{{end}}
</main></div></body></html>`))

// PageHandler serves the shopper's pages: OAuth consent and payment SCA.
func (f *Fake) PageHandler() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("/oauth/authorize", f.authorize)
	m.HandleFunc("/sca", f.sca)
	return m
}

func (f *Fake) render(w http.ResponseWriter, v map[string]any) {
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
		f.render(w, map[string]any{"Error": "Unknown client or response_type."})
		return
	case !contains(f.RedirectURIs, redirect):
		f.render(w, map[string]any{"Error": "redirect_uri is not registered."})
		return
	case q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || q.Get("state") == "":
		f.render(w, map[string]any{"Error": "PKCE with S256 and a state are required."})
		return
	}
	if r.Method != "POST" {
		hidden := map[string]string{}
		for _, k := range []string{"client_id", "response_type", "redirect_uri", "state", "code_challenge", "code_challenge_method", "scope"} {
			hidden[k] = q.Get(k)
		}
		f.render(w, map[string]any{"Heading": "Allow paybybank to initiate a payment from your Paysera account?", "Hidden": hidden})
		return
	}
	back := url.Values{"state": {q.Get("state")}}
	if q.Get("decision") == "approve" {
		code := uuid.NewString()
		f.mu.Lock()
		f.codes[code] = &grant{challenge: q.Get("code_challenge"), redirect: redirect, state: q.Get("state")}
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
		f.render(w, map[string]any{"Error": "No such payment."})
		return
	}
	f.mu.Lock()
	if p.status != "RCVD" {
		f.mu.Unlock()
		f.render(w, map[string]any{"Error": "This payment was already decided."})
		return
	}
	if r.Method != "POST" {
		v := map[string]any{"Heading": "Confirm the payment", "Amount": p.amount, "Creditor": p.creditor, "Hidden": map[string]string{"payment": p.id}}
		f.mu.Unlock()
		f.render(w, v)
		return
	}
	to := p.redirect
	if r.PostForm.Get("decision") == "approve" {
		p.status = "ACSC"
	} else {
		p.status = "RJCT"
		to += "&error=access_denied"
	}
	f.mu.Unlock()
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// ServerTLS is a TLS configuration that asks for client certificates (any; APIHandler checks them
// against the registered ones and answers 403, as the bank does).
func ServerTLS(cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAnyClientCert, MinVersion: tls.VersionTLS12}
}
