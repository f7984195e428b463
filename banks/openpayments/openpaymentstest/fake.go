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
	"net"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	qrcode "github.com/skip2/go-qrcode"

	"paybybank/banks/bankid"
	"paybybank/banks/openpayments/profiles"
)

// Bank is one bank the fake serves, with the rules the platform enforces for it.
type Bank struct {
	BIC, Name, Country string
	Approach           string // "decoupled" (Mobile BankID) or "redirect"
	// Affiliated are the banks behind this BIC that X-AffiliatedASPSP-ID names, as getASPSPDetails lists them
	// (yaml schema aspsp.affiliatedAspsps).
	Affiliated []Affiliated
	Currencies []string
	// SettleAfter keeps a payment in ACSP this long after SCA before it becomes ACSC.
	SettleAfter time.Duration
}

// Affiliated is an affiliated ASPSP (yaml schema affiliatedAspspItem).
type Affiliated struct {
	ID, Name string
}

// DefaultBanks are the sandbox's banks: every bank with a profile (SE, FI, NO, DK; both SCA
// approaches; one that lets the shopper choose the account at the bank).
func DefaultBanks() []Bank {
	var out []Bank
	for bic, p := range profiles.All() {
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
	// Forms chooses among the answer forms the documents allow; its zero value is the fake's historical form.
	Forms Forms

	ClientID     string
	ClientSecret string
	// ClientName is the client as the bank knows it (a real bank reads it from the client's
	// certificate): its pages say who asks for the shopper's accounts.
	ClientName string
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
	// service is the payment service it was initiated under ("payments" or "bulk-payments"); context
	// is its token's ("private" or "corporate"), corporateID the PSU-Corporate-ID sent with it: every
	// later call on the payment must be made the same way.
	service, context, corporateID string
	bulk                          *bulkBody // the bulk's body, for a bulk payment
	body                          paymentBody
	status                        string
	settleAt                      time.Time
	psuIP                         string
	validUntil                    string // a consent's last day (ISO date), as the TPP asked
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
	created               time.Time // orders the authorisations of a payment
}

// New returns a fake serving banks (DefaultBanks when nil) for one client.
func New(clientID, clientSecret string, banks []Bank) *Fake {
	if banks == nil {
		banks = DefaultBanks()
	}
	f := &Fake{ClientID: clientID, ClientSecret: clientSecret, ClientName: "paybybank", Now: time.Now, StartTimeout: QRTimeout,
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
	m.HandleFunc("GET /psd2/aspspinformation/v1/aspsps", f.api(scopeBankList, false, f.listBanks))
	m.HandleFunc("GET /psd2/aspspinformation/v1/aspsps/{bicFi}", f.api(scopeBankList, false, f.bankDetails))
	m.HandleFunc("POST /psd2/paymentinitiation/v1/payments/{product}", f.api(scopePayments, true, f.createPayment))
	m.HandleFunc("GET /psd2/paymentinitiation/v1/payments/{product}/{id}", f.api(scopePayments, true, f.paymentInformation))
	m.HandleFunc("GET /psd2/paymentinitiation/v1/payments/{product}/{id}/status", f.api(scopePayments, true, f.status))
	m.HandleFunc("DELETE /psd2/paymentinitiation/v1/payments/{product}/{id}", f.api(scopePayments, true, f.cancel))
	m.HandleFunc("POST /psd2/paymentinitiation/v1/payments/{product}/{id}/authorisations", f.api(scopePayments, true, f.startAuth))
	m.HandleFunc("PUT /psd2/paymentinitiation/v1/payments/{product}/{id}/authorisations/{auth}", f.api(scopePayments, true, f.selectMethod))
	m.HandleFunc("POST /psd2/paymentinitiation/v1/payments/{product}/{id}/authorisations/{auth}", f.api(scopePayments, true, f.selectMethod))
	m.HandleFunc("GET /psd2/paymentinitiation/v1/payments/{product}/{id}/authorisations/{auth}", f.api(scopePayments, true, f.getAuth))
	// yaml: every payment operation's path is /{payment-service}/{payment-product}/…; the bulk service
	// differs from a single payment only in its creation's body.
	m.HandleFunc("POST /psd2/paymentinitiation/v1/bulk-payments/{product}", f.api(scopePayments, true, f.createBulk))
	m.HandleFunc("GET /psd2/paymentinitiation/v1/bulk-payments/{product}/{id}/status", f.api(scopePayments, true, f.status))
	m.HandleFunc("DELETE /psd2/paymentinitiation/v1/bulk-payments/{product}/{id}", f.api(scopePayments, true, f.cancel))
	m.HandleFunc("POST /psd2/paymentinitiation/v1/bulk-payments/{product}/{id}/authorisations", f.api(scopePayments, true, f.startAuth))
	m.HandleFunc("PUT /psd2/paymentinitiation/v1/bulk-payments/{product}/{id}/authorisations/{auth}", f.api(scopePayments, true, f.selectMethod))
	m.HandleFunc("POST /psd2/paymentinitiation/v1/bulk-payments/{product}/{id}/authorisations/{auth}", f.api(scopePayments, true, f.selectMethod))
	m.HandleFunc("GET /psd2/paymentinitiation/v1/bulk-payments/{product}/{id}/authorisations/{auth}", f.api(scopePayments, true, f.getAuth))
	// Account information: a consent goes through the same authorisation sub-resource as a payment.
	m.HandleFunc("POST /psd2/consent/v1/consents", f.api(scopeAccounts, true, f.createConsent))
	m.HandleFunc("GET /psd2/consent/v1/consents/{id}/status", f.api(scopeAccounts, true, f.consentStatus))
	m.HandleFunc("POST /psd2/consent/v1/consents/{id}/authorisations", f.api(scopeAccounts, true, f.startAuth))
	m.HandleFunc("PUT /psd2/consent/v1/consents/{id}/authorisations/{auth}", f.api(scopeAccounts, true, f.selectMethod))
	m.HandleFunc("GET /psd2/consent/v1/consents/{id}/authorisations/{auth}", f.api(scopeAccounts, true, f.getAuth))
	m.HandleFunc("GET /psd2/accountinformation/v1/accounts", f.api(scopeAccounts, true, f.accounts))
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

func randomString() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// token is the platform's token endpoint (seed, steps 1 and 5b). Its errors follow OAuth 2.0 (RFC 6749
// section 5.2): no document of the platform shows them.
func (f *Fake) token(w http.ResponseWriter, r *http.Request) {
	// Seed step 1: "Content-Type: application/x-www-form-urlencoded".
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
		// Seed step 1 asks for "paymentinitiation private"; the yaml's operations accept "<service> private"
		// or "<service> corporate" (securitySchemes.oAuth2 and each operation's security list).
		scope := r.PostForm.Get("scope")
		if _, ok := scopeService(scope); !ok {
			writeJSON(w, 400, map[string]string{"error": "invalid_scope"})
			return
		}
		tok := randomString()
		f.tokens[tok] = issuedToken{scope: scope, expires: f.Now().Add(time.Hour)}
		// Seed step 1: "Access tokens are valid for one hour"; the client reads access_token.
		writeJSON(w, 200, map[string]any{"access_token": tok, "expires_in": 3600, "token_type": "Bearer", "scope": scope})
	case "authorization_code":
		// Seed step 5b: headers X-PaymentId and X-PaymentAuthorisationId; form client_id, client_secret, code,
		// redirect_uri (the one put in place of [TPP_REDIRECT_URI]), scope (as given back with the code) and
		// grant_type=authorization_code.
		code := r.PostForm.Get("code")
		a := f.codes[code]
		switch {
		case a == nil:
			writeJSON(w, 400, map[string]string{"error": "invalid_grant", "error_description": "unknown or used code"})
		case r.Header.Get("X-PaymentId") != a.paymentID || r.Header.Get("X-PaymentAuthorisationId") != a.id:
			writeJSON(w, 400, map[string]string{"error": "invalid_grant", "error_description": "code not issued for this payment authorisation"})
		case r.PostForm.Get("redirect_uri") != a.redirectURI:
			writeJSON(w, 400, map[string]string{"error": "invalid_grant", "error_description": "redirect_uri mismatch"})
		case r.PostForm.Get("scope") == "":
			writeJSON(w, 400, map[string]string{"error": "invalid_request", "error_description": "scope is required"})
		default:
			delete(f.codes, code)
			f.finalise(a)
			tok := randomString()
			// Seed step 5b: "If you receive an access token it means that the request was successful."
			writeJSON(w, 200, map[string]any{"access_token": tok, "expires_in": 3600, "token_type": "Bearer", "scope": r.PostForm.Get("scope")})
		}
	default:
		writeJSON(w, 400, map[string]string{"error": "unsupported_grant_type"})
	}
}

// scopeService returns the service of a client-credentials scope, "<service> private" or "<service> corporate".
func scopeService(scope string) (string, bool) {
	service, context, _ := strings.Cut(scope, " ")
	switch {
	case service != scopePayments && service != scopeBankList && service != scopeAccounts:
		return "", false
	case context != "private" && context != "corporate":
		return "", false
	}
	return service, true
}

var bicPattern = regexp.MustCompile(`^[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?$`)

type apiFunc func(w http.ResponseWriter, r *http.Request, bank Bank)

// api wraps an endpoint with the checks every platform call gets. service is the token scope's service the
// operation's security list names; payment says the call goes to one bank (X-BicFi).
func (f *Fake) api(service string, payment bool, h apiFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		f.mu.Lock()
		defer f.mu.Unlock()
		f.record(Call{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: string(body)})
		r.Body = readCloser{strings.NewReader(string(body))}
		xid := r.Header.Get("X-Request-ID")
		// yaml components.headers.X-Request-ID: every response carries the request's X-Request-ID.
		if xid != "" {
			w.Header().Set("X-Request-ID", xid)
		}
		if len(f.faults) > 0 {
			ft := f.faults[0]
			f.faults = f.faults[1:]
			if ft.retryAfter != "" {
				w.Header().Set("Retry-After", ft.retryAfter)
			}
			// yaml TOO_MANY_REQUESTS_429_PIS, INTERNAL_SERVER_ERROR_500_PIS, SERVICE_UNAVAILABLE_503_PIS:
			// "No Response body".
			w.WriteHeader(ft.status)
			return
		}
		auth := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		tok, ok := f.tokens[auth]
		if !ok || auth == "" || !f.Now().Before(tok.expires) {
			// yaml MessageCode401_PIS: TOKEN_INVALID / TOKEN_EXPIRED.
			f.problem(w, 401, "TOKEN_INVALID", "missing, unknown or expired access token")
			return
		}
		if got, _ := scopeService(tok.scope); got != service {
			// Each operation's security list (e.g. initiatePayment: paymentinitiation private|corporate). A
			// token for another service is not valid here: 401 TOKEN_INVALID (MessageCode401_PIS); no 403 code
			// of the yaml (MessageCode403_PIS) fits a token's scope.
			f.problem(w, 401, "TOKEN_INVALID", "token scope "+tok.scope+" does not allow this call")
			return
		}
		// yaml components.parameters.X-Request-ID: required, format uuid, "unique to the call"; seed: "a new
		// value for every request".
		if _, err := uuid.Parse(xid); err != nil {
			f.tppError(w, 400, "FORMAT_ERROR", "X-Request-ID", "X-Request-ID must be a UUID")
			return
		}
		if f.requestID[xid] {
			f.tppError(w, 400, "FORMAT_ERROR", "X-Request-ID", "X-Request-ID was already used")
			return
		}
		f.requestID[xid] = true
		_, tokContext, _ := strings.Cut(tok.scope, " ")
		// yaml components.parameters.PSU-Corporate-ID: "Only used in a corporate context".
		if r.Header.Get("PSU-Corporate-ID") != "" && tokContext != "corporate" {
			f.tppError(w, 400, "PARAMETER_NOT_CONSISTENT", "PSU-Corporate-ID", "PSU-Corporate-ID is only used in a corporate context (scope "+service+" corporate)")
			return
		}
		var bank Bank
		if payment {
			// yaml components.parameters.X-BicFi: required on every PIS and AIS operation, with its pattern.
			bic := r.Header.Get("X-BicFi")
			if !bicPattern.MatchString(bic) {
				f.tppError(w, 400, "FORMAT_ERROR", "X-BicFi", "X-BicFi missing or malformed")
				return
			}
			if bank, ok = f.banks[bic]; !ok {
				f.tppError(w, 400, "PARAMETER_NOT_CONSISTENT", "X-BicFi", "unknown ASPSP "+bic)
				return
			}
			// yaml initiatePayment: PSU-IP-Address_mandatory (format ipv4); the other operations take
			// PSU-IP-Address_optional or _conditionalForAis, so only its form is checked there. Banks that want it
			// on more calls say so in their profile (RequiredHeaders, below).
			ip := r.Header.Get("PSU-IP-Address")
			if ip == "" && r.Method == http.MethodPost && r.PathValue("product") != "" && r.PathValue("id") == "" {
				f.tppError(w, 400, "FORMAT_ERROR", "PSU-IP-Address", "PSU-IP-Address is required")
				return
			}
			if ip != "" && net.ParseIP(ip) == nil {
				f.tppError(w, 400, "FORMAT_ERROR", "PSU-IP-Address", "PSU-IP-Address must be an IP address")
				return
			}
			if af := r.Header.Get("X-AffiliatedASPSP-ID"); af != "" && !profiles.For(bic).HasAffiliate(af) {
				f.tppError(w, 400, "PARAMETER_NOT_CONSISTENT", "X-AffiliatedASPSP-ID", "unknown affiliated ASPSP "+af+" of "+bic)
				return
			}
			for _, h := range profiles.For(bic).RequiredHeaders {
				if r.Header.Get(h) == "" || (h == "TPP-Redirect-Preferred" && r.Header.Get(h) != "false") {
					f.tppError(w, 400, "FORMAT_ERROR", h, h+" is required by this ASPSP")
					return
				}
			}
			// yaml requestBody content application/json; UNSUPPORTED_MEDIA_TYPE_415_PIS has no body.
			if r.Method != "GET" && r.Method != "DELETE" && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				w.WriteHeader(http.StatusUnsupportedMediaType)
				return
			}
			if id := r.PathValue("id"); id != "" {
				p := f.payments[id]
				product := r.PathValue("product")
				if strings.HasPrefix(r.URL.Path, "/psd2/consent/") {
					product = "consent"
				}
				// yaml NOT_FOUND_404_PIS, MessageCode404_PIS: RESOURCE_UNKNOWN.
				if p == nil || p.bic != bic || p.product != product {
					f.tppError(w, 404, "RESOURCE_UNKNOWN", "paymentId", "no such payment for this ASPSP and product")
					return
				}
				if p.affiliate != r.Header.Get("X-AffiliatedASPSP-ID") {
					f.tppError(w, 400, "PARAMETER_NOT_CONSISTENT", "X-AffiliatedASPSP-ID", "X-AffiliatedASPSP-ID must be the same on every call of a payment")
					return
				}
				if product != "consent" && p.service != paymentService(r) {
					f.tppError(w, 404, "RESOURCE_UNKNOWN", "paymentId", "no such payment under the "+paymentService(r)+" service")
					return
				}
				// A payment initiated for a company is the company's: a private person's token does not
				// reach it, nor the other way round, and the PSU-Corporate-ID it was made with stays.
				if p.context != "" && p.context != tokContext {
					f.problem(w, 401, "TOKEN_INVALID", "the payment was initiated in the "+p.context+" context; this token is "+tokContext)
					return
				}
				if p.corporateID != "" && r.Header.Get("PSU-Corporate-ID") != p.corporateID {
					f.tppError(w, 400, "PARAMETER_NOT_CONSISTENT", "PSU-Corporate-ID", "PSU-Corporate-ID must be the same on every call of a payment")
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

// aspspID is a bank's id in the bank list: the yaml's aspspListItem.id is format uuid, so the fake derives a
// stable UUID from the BIC rather than repeating the BIC.
func aspspID(bic string) string {
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte("openpayments-aspsp:"+bic)).String()
}

// aspspItem is the yaml's aspspListItem; country is not part of it.
type aspspItem struct {
	ID      string `json:"id"`
	BICFI   string `json:"bicFi"`
	Name    string `json:"name"`
	LogoURL string `json:"logoUrl,omitempty"`
}

// listBanks is getASPSPList. isoCountryCodes is optional (yaml isoCountryCodesQuery, required: false, comma
// separated "SE,FI"): without it every bank is listed.
func (f *Fake) listBanks(w http.ResponseWriter, r *http.Request, _ Bank) {
	q := r.URL.Query().Get("isoCountryCodes")
	countries := strings.Split(q, ",")
	out := []aspspItem{}
	for _, bic := range f.order {
		b := f.banks[bic]
		if q == "" || contains(countries, b.Country) {
			out = append(out, aspspItem{ID: aspspID(b.BIC), BICFI: b.BIC, Name: b.Name})
		}
	}
	// The yaml's schema aspspList is a bare array, its example is {"aspsps": [...]}.
	if f.Forms.BankListWrapped {
		writeJSON(w, 200, map[string]any{"aspsps": out})
		return
	}
	writeJSON(w, 200, out)
}

// bankDetails is getASPSPDetails (yaml /aspspinformation/v1/aspsps/{bicFi}, schema aspsp). Its errors are the
// tppMessages of BAD_REQUEST_400_ASPSP and NOT_FOUND_404_ASPSP (code RESOURCE_NOT_FOUND, as its example has it).
func (f *Fake) bankDetails(w http.ResponseWriter, r *http.Request, _ Bank) {
	bic := r.PathValue("bicFi")
	if !bicPattern.MatchString(bic) {
		f.tppError(w, 400, "FORMAT_ERROR", "bicFi", "bicFi must match the BICFI pattern")
		return
	}
	b, ok := f.banks[bic]
	if !ok {
		f.tppError(w, 404, "RESOURCE_NOT_FOUND", "bicFi", "no ASPSP "+bic)
		return
	}
	prof := profiles.For(bic)
	products := []string{}
	for _, p := range []string{"sepa-credit-transfers", "domestic", "international", "swedish-giro"} {
		if prof.Offers(p) {
			products = append(products, p)
		}
	}
	affiliated := []map[string]string{}
	for _, a := range b.Affiliated {
		affiliated = append(affiliated, map[string]string{"id": a.ID, "name": a.Name})
	}
	writeJSON(w, 200, map[string]any{"id": aspspID(b.BIC), "bicFi": b.BIC, "name": b.Name, "country": b.Country,
		"globalPaymentProducts": products, "affiliatedAspsps": affiliated})
}

// amountPattern is the yaml's amountValue ("-?[0-9]{1,14}(\\.[0-9]{1,3})?", fractions "compliant to the currency
// definition": at most two for the Nordic currencies and EUR) within protocols/openpayments.md's
// ^-?[0-9]{1,9}(\.[0-9]{0,2})?$: an amount must satisfy both.
var amountPattern = regexp.MustCompile(`^-?[0-9]{1,9}(\.[0-9]{1,2})?$`)

// Field patterns of the yaml's schemas iban, bban, clearingNumber and currencyCode.
var (
	ibanPattern     = regexp.MustCompile(`^[A-Z]{2}[0-9]{2}[a-zA-Z0-9]{1,30}$`)
	bbanPattern     = regexp.MustCompile(`^[a-zA-Z0-9]{1,30}$`)
	clearingPattern = regexp.MustCompile(`^[0-9]{1,5}$`)
	currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)
)

// accountFormatError checks an account reference against the yaml's field patterns.
func accountFormatError(a *accountRef) string {
	switch {
	case a.IBAN != "" && !ibanPattern.MatchString(a.IBAN):
		return "iban does not match the IBAN pattern"
	case a.BBAN != "" && !bbanPattern.MatchString(a.BBAN):
		return "bban does not match [a-zA-Z0-9]{1,30}"
	case a.ClearingNumber != "" && !clearingPattern.MatchString(a.ClearingNumber):
		return "clearingNumber does not match [0-9]{1,5}"
	case a.Currency != "" && !currencyPattern.MatchString(a.Currency):
		return "currency does not match [A-Z]{3}"
	}
	return ""
}

func checkAccount(format string, a *accountRef) string {
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

// createPayment is initiatePayment (yaml POST /paymentinitiation/v1/{payment-service}/{payment-product}; seed
// step 2).
func (f *Fake) createPayment(w http.ResponseWriter, r *http.Request, bank Bank) {
	product := r.PathValue("product")
	// yaml components.parameters.paymentProduct enum; NOT_FOUND_404_PIS code PRODUCT_UNKNOWN.
	if product != "domestic" && product != "sepa-credit-transfers" && product != "international" && product != "swedish-giro" {
		f.tppError(w, 404, "PRODUCT_UNKNOWN", "paymentProduct", "unknown payment product")
		return
	}
	prof := profiles.For(bank.BIC)
	// yaml MessageCode403_PIS: PRODUCT_INVALID is a 403 ("the addressed payment product is not available for
	// the PSU").
	if !prof.Offers(product) {
		f.tppError(w, 403, "PRODUCT_INVALID", "paymentProduct", bank.Name+" does not offer "+product)
		return
	}
	var body paymentBody
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		f.tppError(w, 400, "FORMAT_ERROR", "body", "malformed JSON: "+err.Error())
		return
	}
	// yaml paymentInitiation_json: instructedAmount, creditorAccount and creditorName are required
	// (debtorAccount too, but some banks let the PSU choose it at the bank: their profile says so);
	// creditorName maxLength 70, remittanceInformationUnstructured maxLength 140, endToEndIdentification 35.
	switch {
	case !amountPattern.MatchString(body.InstructedAmount.Amount):
		f.tppError(w, 400, "FORMAT_ERROR", "instructedAmount.amount", "amount must match ^-?[0-9]{1,9}(\\.[0-9]{1,2})?$")
		return
	case !currencyPattern.MatchString(body.InstructedAmount.Currency):
		f.tppError(w, 400, "FORMAT_ERROR", "instructedAmount.currency", "currency must be an ISO 4217 code")
		return
	case !contains(bank.Currencies, body.InstructedAmount.Currency):
		f.tppError(w, 400, "PARAMETER_NOT_CONSISTENT", "instructedAmount.currency", bank.Name+" does not pay in "+body.InstructedAmount.Currency)
		return
	case (product == "sepa-credit-transfers") != (body.InstructedAmount.Currency == "EUR"):
		f.tppError(w, 400, "PARAMETER_NOT_CONSISTENT", "paymentProduct", "sepa-credit-transfers is for EUR only")
		return
	case body.CreditorName == "":
		f.tppError(w, 400, "FORMAT_ERROR", "creditorName", "creditorName is required")
		return
	case len([]rune(body.CreditorName)) > 70:
		f.tppError(w, 400, "FORMAT_ERROR", "creditorName", "creditorName is at most 70 characters")
		return
	case len([]rune(body.EndToEndIdentification)) > 35:
		f.tppError(w, 400, "FORMAT_ERROR", "endToEndIdentification", "endToEndIdentification is at most 35 characters")
		return
	case len([]rune(body.RemittanceInformationUnstructured)) > 140:
		f.tppError(w, 400, "FORMAT_ERROR", "remittanceInformationUnstructured", "remittanceInformationUnstructured is at most 140 characters")
		return
	case body.CreditorAgent != "" && !bicPattern.MatchString(body.CreditorAgent):
		f.tppError(w, 400, "FORMAT_ERROR", "creditorAgent", "creditorAgent must be a BICFI")
		return
	case len([]rune(body.RemittanceInformationUnstructured)) > prof.RemittanceLimit(product, false) &&
		!(prof.MaxRemittanceSameBank > 0 && product == "domestic" && len([]rune(body.RemittanceInformationUnstructured)) <= prof.MaxRemittanceSameBank && f.sameBank(bank, body)):
		f.tppError(w, 400, "FORMAT_ERROR", "remittanceInformationUnstructured", fmt.Sprintf("at most %d characters at %s", prof.RemittanceLimit(product, false), bank.Name))
		return
	case prof.CreditorAddressOutside != "" && product == "sepa-credit-transfers" && body.CreditorAddress == nil &&
		!strings.HasPrefix(body.CreditorAccount.IBAN, prof.CreditorAddressOutside):
		f.tppError(w, 400, "FORMAT_ERROR", "creditorAddress", "creditorAddress is required for SEPA payments outside "+prof.CreditorAddressOutside)
		return
	case body.DebtorAccount == nil && prof.DebtorAccount == "required":
		f.tppError(w, 400, "FORMAT_ERROR", "debtorAccount", "debtorAccount is required by "+bank.Name)
		return
	}
	if msg := accountFormatError(&body.CreditorAccount); msg != "" {
		f.tppError(w, 400, "FORMAT_ERROR", "creditorAccount", "creditorAccount "+msg)
		return
	}
	// Seed step 2 (getCreditorAccount, getDebtorAccount): the account formats differ per bank.
	if msg := checkAccount(prof.CreditorFormat, &body.CreditorAccount); msg != "" {
		f.tppError(w, 400, "FORMAT_ERROR", "creditorAccount", "creditorAccount "+msg+" at "+bank.BIC)
		return
	}
	if body.DebtorAccount != nil {
		if msg := accountFormatError(body.DebtorAccount); msg != "" {
			f.tppError(w, 400, "FORMAT_ERROR", "debtorAccount", "debtorAccount "+msg)
			return
		}
		if msg := checkAccount(prof.DebtorFormat, body.DebtorAccount); msg != "" {
			f.tppError(w, 400, "FORMAT_ERROR", "debtorAccount", "debtorAccount "+msg+" at "+bank.BIC)
			return
		}
	}
	p := &fakePayment{id: uuid.NewString(), product: product, bic: bank.BIC, body: body, status: "RCVD", psuIP: r.Header.Get("PSU-IP-Address"),
		affiliate: r.Header.Get("X-AffiliatedASPSP-ID"), service: "payments", context: f.tokenContext(r), corporateID: r.Header.Get("PSU-Corporate-ID")}
	f.payments[p.id] = p
	base := "/psd2/paymentinitiation/v1/payments/" + product + "/" + p.id
	start := "startAuthorisation"
	if f.Forms.StartWithPSUIdentification {
		start = "startAuthorisationWithPsuIdentification"
	}
	// yaml CREATED_201_PaymentInitiation: transactionStatus, paymentId and _links are required; Location is the
	// created resource.
	w.Header().Set("Location", f.href(r, base))
	writeJSON(w, 201, map[string]any{"transactionStatus": p.status, "paymentId": p.id,
		"_links": f.links(r, "self", base, "status", base+"/status", start, base+"/authorisations")})
}

// sameBank tells whether the creditor's account is at this bank: Swedish IBANs carry the bank's
// code after the check digits (Swedbank 8000).
func (f *Fake) sameBank(bank Bank, body paymentBody) bool {
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

// status is getPaymentInitiationStatus (seed step 6): {"transactionStatus": …}, and with
// Forms.StatusWithSCAStatus the scaStatus of the latest authorisation too (yaml example
// paymentInitiationStatusResponse_json_Extended).
func (f *Fake) status(w http.ResponseWriter, r *http.Request, _ Bank) {
	p := f.payments[r.PathValue("id")]
	out := map[string]string{"transactionStatus": p.status}
	if f.Forms.StatusWithSCAStatus {
		var latest *fakeAuth
		for _, a := range f.auths {
			if a.paymentID == p.id && (latest == nil || a.created.After(latest.created)) {
				latest = a
			}
		}
		if latest != nil {
			out["scaStatus"] = latest.scaStatus
		}
	}
	writeJSON(w, 200, out)
}

// paymentInformation is getPaymentInformation (yaml GET /paymentinitiation/v1/{payment-service}/{payment-product}/{paymentId},
// OK_200_PaymentInitiationInformation, schema paymentInitiationWithStatusResponse): "the corresponding payment
// initiation JSON body together with an optional transaction status field". debtorAccount is there as sent, or,
// at a bank where the shopper chooses the account during SCA, once they have (finalise); before that it is absent.
func (f *Fake) paymentInformation(w http.ResponseWriter, r *http.Request, _ Bank) {
	p := f.payments[r.PathValue("id")]
	out := struct {
		paymentBody
		TransactionStatus string `json:"transactionStatus"`
	}{p.body, p.status}
	writeJSON(w, 200, out)
}

// cancel is cancelPayment: 204 when the DELETE is enough, or (Forms.CancelNeedsAuthorisation) 202 with a link to
// start the cancellation's authorisation (yaml RECEIVED_202_PaymentInitiationCancel). A payment past the point of
// cancelling is refused with 405 CANCELLATION_INVALID (yaml METHOD_NOT_ALLOWED_405_PIS_CANC,
// MessageCode405_PIS_CANC).
func (f *Fake) cancel(w http.ResponseWriter, r *http.Request, _ Bank) {
	p := f.payments[r.PathValue("id")]
	switch p.status {
	case "RCVD", "PDNG":
		if f.Forms.CancelNeedsAuthorisation {
			base := "/psd2/paymentinitiation/v1/" + p.service + "/" + p.product + "/" + p.id
			writeJSON(w, 202, map[string]any{"transactionStatus": p.status,
				"_links": f.links(r, "self", base, "status", base+"/status", "startAuthorisation", base+"/cancellation-authorisations")})
			return
		}
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
		f.tppError(w, 405, "CANCELLATION_INVALID", "paymentId", "payment in status "+p.status+" can no longer be cancelled")
	}
}

func terminalSCA(s string) bool { return s == "finalised" || s == "failed" || s == "exempted" }

// startAuth is startPaymentAuthorisation and startConsentAuthorisation (seed step 3): it creates an
// authorisation and offers the bank's SCA methods. A payment that is no longer RCVD cannot be authorised
// (yaml CONFLICT_409_PIS, STATUS_INVALID).
func (f *Fake) startAuth(w http.ResponseWriter, r *http.Request, bank Bank) {
	p := f.payments[r.PathValue("id")]
	if p.status != "RCVD" {
		f.tppError(w, 409, "STATUS_INVALID", "paymentId", "payment in status "+p.status+" cannot be authorised")
		return
	}
	for _, a := range f.auths {
		if a.paymentID == p.id && !terminalSCA(a.scaStatus) {
			a.scaStatus, a.hint = "failed", "cancelled" // a newer authorisation replaces it, as BankID does
		}
	}
	a := &fakeAuth{id: uuid.NewString(), paymentID: p.id, scaStatus: "received", approach: bank.Approach, created: f.Now()}
	f.auths[a.id] = a
	// yaml authenticationObject: authenticationType (enum SMS_OTP, CHIP_OTP, PHOTO_OTP, PUSH_OTP) and
	// authenticationMethodId are required.
	var methods []scaMethod
	if bank.Approach == "decoupled" {
		methods = []scaMethod{
			{AuthenticationMethodID: methodAnimatedQRToken, AuthenticationType: "PUSH_OTP", Name: "Mobilt BankID (QR)"},
			{AuthenticationMethodID: methodAnimatedQRImage, AuthenticationType: "PUSH_OTP", Name: "Mobilt BankID (QR image)"},
			{AuthenticationMethodID: methodSameDevice, AuthenticationType: "PUSH_OTP", Name: "Mobilt BankID (this device)"},
			{AuthenticationMethodID: methodLegacy, AuthenticationType: "PUSH_OTP", Name: "Mobilt BankID"},
		}
	} else {
		methods = []scaMethod{{AuthenticationMethodID: methodOAuthRedirect, AuthenticationType: "SMS_OTP", Name: bank.Name + " login"}}
	}
	self := r.URL.Path + "/" + a.id
	var links map[string]link
	switch f.Forms.StartLinks {
	case StartLinksSelectMethod:
		links = f.links(r, "selectAuthenticationMethod", self, "scaStatus", self)
	case StartLinksSCAStatusOnly:
		links = f.links(r, "scaStatus", self)
	default:
		links = f.links(r, "authoriseTransaction", self, "scaStatus", self)
	}
	// yaml startScaprocessResponse: scaStatus, authorisationId and _links are required.
	writeJSON(w, 201, authorisationView{AuthorisationID: a.id, SCAStatus: a.scaStatus, SCAMethods: methods, Links: links})
}

func (f *Fake) authFor(w http.ResponseWriter, r *http.Request) *fakeAuth {
	a := f.auths[r.PathValue("auth")]
	if a == nil || a.paymentID != r.PathValue("id") {
		f.tppError(w, 404, "RESOURCE_UNKNOWN", "authorisationId", "no such authorisation")
		return nil
	}
	return a
}

// selectMethod is updatePaymentPsuData / updateConsentsPsuData selecting the SCA method (seed step 4, which
// POSTs to the authoriseTransaction link; the yaml defines the operation as PUT: the fake takes both). The
// body is the yaml's selectPsuAuthenticationMethod: authenticationMethodId is required, maxLength 35.
func (f *Fake) selectMethod(w http.ResponseWriter, r *http.Request, bank Bank) {
	a := f.authFor(w, r)
	if a == nil {
		return
	}
	var body struct {
		AuthenticationMethodID string `json:"authenticationMethodId"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.AuthenticationMethodID == "" || len(body.AuthenticationMethodID) > 35 {
		f.tppError(w, 400, "FORMAT_ERROR", "authenticationMethodId", "authenticationMethodId is required (at most 35 characters)")
		return
	}
	if a.scaStatus != "received" {
		f.tppError(w, 409, "STATUS_INVALID", "authorisationId", "SCA method already selected")
		return
	}
	valid := map[string]bool{methodOAuthRedirect: bank.Approach == "redirect"}
	for _, m := range []string{methodAnimatedQRToken, methodAnimatedQRImage, methodSameDevice, methodLegacy} {
		valid[m] = bank.Approach == "decoupled"
	}
	// yaml MessageCode400_PIS: SCA_METHOD_UNKNOWN for a method the ASPSP did not offer.
	if !valid[body.AuthenticationMethodID] {
		f.tppError(w, 400, "SCA_METHOD_UNKNOWN", "authenticationMethodId", "method not offered by this ASPSP")
		return
	}
	a.method = body.AuthenticationMethodID
	// Seed step 4: the approach is read from the ASPSP-SCA-Approach header ("DECOUPLED" or "REDIRECT"); the
	// yaml's header is required: false (Forms.NoSCAApproachHeader).
	setApproach := func(v string) {
		if !f.Forms.NoSCAApproachHeader {
			w.Header().Set("ASPSP-SCA-Approach", v)
		}
	}
	if bank.Approach == "redirect" {
		a.scaStatus = "scaMethodSelected"
		setApproach("REDIRECT")
		// Seed step 4: _links.scaOAuth.href carries the placeholders [CLIENT_ID], [TPP_REDIRECT_URI] and
		// [TPP_STATE] for the client to replace. (The yaml's _linksSelectPsuAuthenticationMethod describes
		// scaOAuth as the authorisation server's metadata URI instead; the fake follows the seed, the only
		// document that says how the payment reaches the bank's page.)
		href := strings.TrimRight(f.BaseURL, "/") + "/bank/authorize?client_id=[CLIENT_ID]&redirect_uri=[TPP_REDIRECT_URI]&state=[TPP_STATE]&scope=paymentinitiation&paymentId=" + a.paymentID + "&authorisationId=" + a.id
		writeJSON(w, 200, authorisationView{SCAStatus: a.scaStatus, Links: f.links(r, "scaOAuth", f.href(r, href))})
		return
	}
	a.scaStatus = "authenticationStarted"
	a.startedAt = f.Now()
	a.qrToken, a.qrSecret, a.autostartToken = uuid.NewString(), uuid.NewString(), uuid.NewString()
	setApproach("DECOUPLED")
	v := f.authView(a)
	v.Links = f.links(r, "scaStatus", r.URL.Path)
	writeJSON(w, 200, v)
}

// authView is the authorisation as a poll sees it now, with a fresh challenge while it waits: challengeData.data
// carries the animated QR payload or the autostart token (seed step 4: challengeData.data[0]), challengeData.image
// a PNG in base64 (yaml challengeData.image).
func (f *Fake) authView(a *fakeAuth) authorisationView {
	if a.scaStatus == "authenticationStarted" && !a.engaged && f.Now().Sub(a.startedAt) >= f.StartTimeout {
		f.fail(a, "startFailed")
	}
	v := authorisationView{SCAStatus: a.scaStatus, PSUMessage: a.hint}
	data := func(s string) map[string]any {
		if f.Forms.ChallengeDataString {
			return map[string]any{"data": s} // yaml schema challengeData.data: type string
		}
		return map[string]any{"data": []string{s}}
	}
	if a.scaStatus == "authenticationStarted" && !a.engaged {
		switch a.method {
		case methodAnimatedQRToken:
			v.ChallengeData = data(bankid.QRPayload(a.qrToken, a.qrSecret, f.qrTime(a)))
		case methodAnimatedQRImage:
			png, _ := qrcode.Encode(bankid.QRPayload(a.qrToken, a.qrSecret, f.qrTime(a)), qrcode.Medium, 256)
			v.ChallengeData = map[string]any{"image": base64.StdEncoding.EncodeToString(png)}
		case methodSameDevice, methodLegacy:
			v.ChallengeData = data(a.autostartToken)
		}
	}
	return v
}

func (f *Fake) qrTime(a *fakeAuth) int64 { return int64(f.Now().Sub(a.startedAt) / time.Second) }

// getAuth is getPaymentInitiationScaStatus / getConsentScaStatus (seed step 5a). The yaml's answer is
// scaStatusResponse, {"scaStatus": …} only (Forms.SCAStatusOnly); by default the fake adds the fresh challenge
// and the BankID hint, as protocols/openpayments.md step 4 describes.
func (f *Fake) getAuth(w http.ResponseWriter, r *http.Request, _ Bank) {
	a := f.authFor(w, r)
	if a == nil {
		return
	}
	v := f.authView(a)
	if f.Forms.SCAStatusOnly {
		writeJSON(w, 200, map[string]string{"scaStatus": v.SCAStatus})
		return
	}
	writeJSON(w, 200, v)
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
	if p.body.DebtorAccount == nil && p.bulk == nil {
		// The shopper chose the account to pay from at the bank (a bank whose profile lets them).
		p.body.DebtorAccount = shopperAccount(p)
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

// ShopperAccounts are the accounts the fake's shopper pays from, by country: the first of the
// consent's account list in Sweden, and an IBAN of each other country's own examples.
var ShopperAccounts = map[string]string{
	"SE": "SE3550000000054910000003",
	"FI": "FI2112345600000785",
	"NO": "NO9386011117947",
	"DK": "DK5000400440116243",
}

// shopperAccount is the account the shopper chooses at a bank that lets them, in the bank's
// debtor format and the payment's currency.
func shopperAccount(p *fakePayment) *accountRef {
	prof := profiles.For(p.bic)
	iban := ShopperAccounts[prof.Country]
	if iban == "" {
		iban = ShopperAccounts["SE"]
	}
	if prof.DebtorFormat == "bban" {
		return &accountRef{BBAN: iban[len(iban)-11:], Currency: p.body.InstructedAmount.Currency}
	}
	return &accountRef{IBAN: iban, Currency: p.body.InstructedAmount.Currency}
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
	// Consent: the order identifies the shopper for access to their accounts; nothing is paid.
	Consent bool
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
		if a.engaged && a.scaStatus == "started" {
			return f.orderOf(a), nil // opened again before signing: the app shows the order it holds
		}
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
		CreditorName: p.body.CreditorName, Reference: p.body.RemittanceInformationUnstructured, Bank: f.banks[p.bic].Name,
		Consent: p.product == "consent"}
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

// createConsent is createConsent (yaml POST /consent/v1/consents): an account-information consent for the
// list of the shopper's accounts. The yaml's schema consents requires access, recurringIndicator, validUntil
// (an ISO date), frequencyPerDay and combinedServiceIndicator.
func (f *Fake) createConsent(w http.ResponseWriter, r *http.Request, bank Bank) {
	var body struct {
		Access                   map[string]any `json:"access"`
		RecurringIndicator       *bool          `json:"recurringIndicator"`
		ValidUntil               string         `json:"validUntil"`
		FrequencyPerDay          int            `json:"frequencyPerDay"`
		CombinedServiceIndicator *bool          `json:"combinedServiceIndicator"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Access == nil || body.RecurringIndicator == nil ||
		body.ValidUntil == "" || body.FrequencyPerDay < 1 || body.CombinedServiceIndicator == nil {
		f.tppError(w, 400, "FORMAT_ERROR", "body", "access, recurringIndicator, validUntil, frequencyPerDay and combinedServiceIndicator are required")
		return
	}
	if _, err := time.Parse("2006-01-02", body.ValidUntil); err != nil {
		f.tppError(w, 400, "FORMAT_ERROR", "validUntil", "validUntil must be a date")
		return
	}
	c := &fakePayment{id: uuid.NewString(), product: "consent", bic: bank.BIC, status: "RCVD", psuIP: r.Header.Get("PSU-IP-Address"),
		body: paymentBody{CreditorName: bank.Name, RemittanceInformationUnstructured: "Share the list of your accounts"}, validUntil: body.ValidUntil}
	f.payments[c.id] = c
	base := "/psd2/consent/v1/consents/" + c.id
	start := "startAuthorisation"
	if f.Forms.StartWithPSUIdentification {
		start = "startAuthorisationWithPsuIdentification" // yaml consentResponseExample3_Decoupled
	}
	// yaml CREATED_201_Consents (consentsResponse-201): consentStatus, consentId and _links are required.
	w.Header().Set("Location", f.href(r, base))
	writeJSON(w, 201, map[string]any{"consentId": c.id, "consentStatus": "received",
		"_links": f.links(r, "self", base, "status", base+"/status", start, base+"/authorisations")})
}

// consentStatus is getConsentStatus (yaml consentStatusResponse-200, values of schema consentStatus).
func (f *Fake) consentStatus(w http.ResponseWriter, r *http.Request, _ Bank) {
	st := map[string]string{"RCVD": "received", "valid": "valid", "RJCT": "rejected", "CANC": "terminatedByTpp"}[f.payments[r.PathValue("id")].status]
	writeJSON(w, 200, map[string]string{"consentStatus": st})
}

// accounts is getAccountList (yaml GET /accountinformation/v1/accounts, schema accountList): the shopper's
// accounts under a valid consent, named by the mandatory Consent-ID header (consentId_HEADER_mandatory), in the
// bank's own formats. An unknown consent is 403 CONSENT_UNKNOWN (MessageCode403_AIS); one not (yet) authorised
// is 401 CONSENT_INVALID (MessageCode401_AIS).
func (f *Fake) accounts(w http.ResponseWriter, r *http.Request, bank Bank) {
	c := f.payments[r.Header.Get("Consent-ID")]
	if c == nil || c.product != "consent" || c.bic != bank.BIC {
		f.tppError(w, 403, "CONSENT_UNKNOWN", "Consent-ID", "no such consent at this ASPSP")
		return
	}
	if c.status != "valid" {
		f.tppError(w, 401, "CONSENT_INVALID", "Consent-ID", "the consent is not authorised")
		return
	}
	cur := bank.Currencies[0]
	// yaml schema accountDetails: currency is required, name and product at most 35 characters.
	writeJSON(w, 200, map[string]any{"accounts": []map[string]any{
		{"resourceId": "acc-1", "iban": "SE3550000000054910000003", "bban": "54910000003", "currency": cur, "name": "Everyday account", "product": "Privatkonto",
			"cashAccountType": "CACC"},
		{"resourceId": "acc-2", "iban": "SE7160000000000123456789", "bban": "123456789", "currency": cur, "name": "Savings", "product": "Sparkonto",
			"cashAccountType": "CACC"},
	}})
}
