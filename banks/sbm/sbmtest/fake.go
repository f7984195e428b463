// Package sbmtest is a fake of the Sparebanken Møre platform, as strict as its documents (seed
// 004 and protocols/berlin-group-banks.md): it verifies every request's HTTP Signature with its
// own reading of them (keyId naming the certificate by serial and by its issuer's RFC 4514 DN,
// one RFC 2047 encoded word for a non-ASCII value, the headers list and its order, Date, Digest),
// that the certificate is one it trusts; it wants PSU-IP-Address and a UUID X-Request-ID; NOK
// payments must name accounts by bban. Payment ids contain "!", "=" and "/", so clients must
// escape them. Forms picks among the answers the documents allow. SCA is a simulated bank page.
package sbmtest

import (
	"cmp"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"paybybank/i18n"
)

// products are the path's possible values (seed 004, Start payment authorisation, Path Parameters).
var products = map[string]bool{"norwegian-domestic-credit-transfers": true, "instant-norwegian-domestic-credit-transfers-straks": true,
	"cross-border-credit-transfers": true, "sepa-credit-transfers": true}

// Forms chooses among the answers the documents allow where they allow more than one. The zero
// value answers as the fake always has; connector tests should pass in every AllForms entry.
type Forms struct {
	// ScaStatusStarted makes the 201 of Start payment authorisation say "STARTED", the value of
	// seed 004's 201 example, instead of "RECEIVED"; the schema allows both (and six others).
	ScaStatusStarted bool
	// LinkVerbs adds "verbs": ["GET"] to every link object, as both of seed 004's link examples
	// (201 and 401) have; the schema's Link lists verbs without saying whether they are required.
	LinkVerbs bool
	// SelfLink adds a "self" link beside scaRedirect in the 201, as seed 004's 201 example has
	// (its _links is a map of any property name to a Link: clients must ignore links they do not use).
	SelfLink bool
	// RawRedirectQuery makes scaRedirect's href carry an unescaped query tail as seed 004's 401
	// example does ("…&locale=no-NB, no; q=1.0", spaces and all): clients must pass the href on
	// as given, not reject or re-encode it.
	RawRedirectQuery bool
	// Identify401 answers Start payment authorisation with 401 whose body is only _links with
	// scaRedirect (seed 004, 401 schema and example; protocols/berlin-group-banks.md: "A 401 on
	// start may itself carry _links.scaRedirect").
	Identify401 bool
	// ErrorWithoutMessage leaves "message" out of error bodies, as seed 004's named examples
	// (FORMAT_ERROR, RESOURCE_UNKNOWN, SYSTEM_ERROR) do; its schema examples have it.
	ErrorWithoutMessage bool
	// ErrorBodyStatusFromSchema puts "status": 400 in every error body, as seed 004's "Example
	// (from schema)" does even under 404 and 500: clients must go by the HTTP status.
	ErrorBodyStatusFromSchema bool
	// SignatureErrorsAs400 answers a refused signature or certificate with 400 rather than 401:
	// seed 004 documents the error body only under 400, 404 and 500 (its 401 carries _links),
	// while Berlin Group answers SIGNATURE_INVALID and CERTIFICATE_INVALID with 401.
	SignatureErrorsAs400 bool
}

// AllForms returns named combinations of Forms that together take every alternative at least once.
func AllForms() []struct {
	Name  string
	Forms Forms
} {
	return []struct {
		Name  string
		Forms Forms
	}{
		{"today", Forms{}},
		{"as-examples", Forms{ScaStatusStarted: true, LinkVerbs: true, SelfLink: true, RawRedirectQuery: true, ErrorWithoutMessage: true}},
		{"identify-401", Forms{Identify401: true, LinkVerbs: true, RawRedirectQuery: true}},
		{"schema-errors", Forms{ErrorBodyStatusFromSchema: true, SignatureErrorsAs400: true}},
	}
}

// Fake is one savings bank on the platform.
type Fake struct {
	Name string
	// BaseURL is where the fake is reached (its SCA page is linked from it).
	BaseURL string
	// Now is the fake's clock, for the Date check and certificate validity.
	Now func() time.Time
	// IdentifyFirst is Forms.Identify401 under its older name: either makes the start of
	// authorisation answer 401 with a scaRedirect, as the platform does when it wants the
	// shopper identified first.
	IdentifyFirst bool
	// Forms chooses among the documented forms of the answers.
	Forms Forms

	mu       sync.Mutex
	trusted  map[string]bool // certificate serials (hex) of registered TPPs
	payments map[string]*payment
	seen     map[string]bool
}

type payment struct {
	id, product, status, redirect string
	amount, currency, creditor    string
	// context and corporateID are the PSU-Context and PSU-Corporate-ID it was initiated with: a
	// company's payment is authorised by a person acting for that company, in its agreement.
	context, corporateID string
}

// New returns a fake bank.
func New(name string) *Fake {
	return &Fake{Name: name, Now: time.Now, trusted: map[string]bool{}, payments: map[string]*payment{}, seen: map[string]bool{}}
}

// Trust registers a TPP's signing certificate, as onboarding at the bank does.
func (f *Fake) Trust(cert *x509.Certificate) {
	f.mu.Lock()
	f.trusted[fmt.Sprintf("%X", cert.SerialNumber)] = true
	f.mu.Unlock()
}

// Status returns a payment's status, for tests.
func (f *Fake) Status(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p := f.payments[id]; p != nil {
		return p.status
	}
	return ""
}

// fail writes the platform's error body (seed 004, 400/404/500: {id, system, status, code,
// message}, id ten digits, system "ERA-PSD2").
func (f *Fake) fail(w http.ResponseWriter, status int, code, msg string) {
	body := map[string]any{"id": fmt.Sprintf("%010d", rand.Int64N(1e10)), "system": "ERA-PSD2", "status": status, "code": code}
	if f.Forms.ErrorBodyStatusFromSchema {
		body["status"] = 400
	}
	if !f.Forms.ErrorWithoutMessage {
		body["message"] = msg
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// link writes a Link object (seed 004: {"href": …, "verbs": [GET|PUT|POST|DELETE]}); the seed
// never shows a link as a bare string, so the fake never writes one.
func (f *Fake) link(href string) map[string]any {
	l := map[string]any{"href": href}
	if f.Forms.LinkVerbs {
		l["verbs"] = []string{"GET"}
	}
	return l
}

// ServeHTTP routes on the escaped path: a payment id may itself contain an escaped "/"
// (protocols/berlin-group-banks.md: ids contain "!", "=", "/", escaped as path segments).
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	segs := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	for i, s := range segs {
		segs[i], _ = url.PathUnescape(s)
	}
	if len(segs) == 1 && segs[0] == "sca" {
		f.scaPage(w, r)
		return
	}
	if len(segs) < 3 || segs[0] != "v1" || segs[1] != "payments" || !products[segs[2]] {
		f.fail(w, 404, "RESOURCE_UNKNOWN", "no such resource")
		return
	}
	if !f.verify(w, r) {
		return
	}
	n, product := len(segs), segs[2]
	switch {
	case n == 3 && r.Method == "POST":
		f.create(w, r, product)
	case n == 4 && r.Method == "DELETE":
		f.cancel(w, product, segs[3])
	case n == 5 && segs[4] == "authorisations" && r.Method == "POST":
		f.startAuth(w, r, product, segs[3])
	case n == 5 && segs[4] == "status" && r.Method == "GET":
		if p := f.find(w, product, segs[3]); p != nil {
			writeJSON(w, 200, map[string]string{"transactionStatus": p.status})
		}
	case n == 3 || n == 4 || (n == 5 && (segs[4] == "authorisations" || segs[4] == "status")):
		f.fail(w, 405, "SERVICE_INVALID", "method not allowed here")
	default:
		// An id whose "/" was not escaped lands here: it names no resource.
		f.fail(w, 404, "RESOURCE_UNKNOWN", "no such resource")
	}
}

// verify applies the checks every request gets.
func (f *Fake) verify(w http.ResponseWriter, r *http.Request) bool {
	cert, err := verifySignature(r, f.Now())
	if err != nil {
		status := 401 // Berlin Group's status for SIGNATURE_INVALID / CERTIFICATE_INVALID
		if f.Forms.SignatureErrorsAs400 {
			status = 400
		}
		f.fail(w, status, err.(*sigError).code, err.Error())
		return false
	}
	xid := r.Header.Get("X-Request-ID")
	ip := r.Header.Get("PSU-IP-Address")
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case !f.trusted[fmt.Sprintf("%X", cert.SerialNumber)]:
		f.fail(w, 401, "CERTIFICATE_INVALID", "the signing certificate is not registered with the bank")
	// Seed 004, X-Request-ID: "Request identifier, unique to the call"; a UUID in Berlin Group.
	case uuid.Validate(xid) != nil:
		f.fail(w, 400, "FORMAT_ERROR", "X-Request-ID must be a UUID")
	case f.seen[xid]:
		f.fail(w, 400, "FORMAT_ERROR", "X-Request-ID already used")
	// Seed 004, PSU-IP-Address: "the corresponding HTTP request IP Address field between PSU
	// and TPP" (an address, its port goes in PSU-IP-Port); protocols/berlin-group-banks.md has
	// it on every request.
	case net.ParseIP(ip) == nil:
		f.fail(w, 400, "FORMAT_ERROR", "PSU-IP-Address must be the PSU's IP address")
	// Seed 004, PSU-Context: possible values PRIVATE, CORPORATE.
	case r.Header.Get("PSU-Context") != "" && r.Header.Get("PSU-Context") != "PRIVATE" && r.Header.Get("PSU-Context") != "CORPORATE":
		f.fail(w, 400, "FORMAT_ERROR", "PSU-Context must be PRIVATE or CORPORATE")
	// Seed 004, PSU-Corporate-ID: "The PSU Corporate agreement identifier", "Only used in a
	// corporate context".
	case r.Header.Get("PSU-Corporate-ID") != "" && r.Header.Get("PSU-Context") != "CORPORATE":
		f.fail(w, 400, "FORMAT_ERROR", "PSU-Corporate-ID is only used with PSU-Context: CORPORATE")
	// Seed 004, PSU-Http-Method: possible values GET, PUT, POST, PATCH, DELETE.
	case r.Header.Get("PSU-Http-Method") != "" && !strings.Contains(" GET PUT POST PATCH DELETE ", " "+r.Header.Get("PSU-Http-Method")+" "):
		f.fail(w, 400, "FORMAT_ERROR", "PSU-Http-Method must be GET, PUT, POST, PATCH or DELETE")
	default:
		f.seen[xid] = true
		return true
	}
	return false
}

// nokBBAN is a Norwegian account number: NOK accounts use bban (protocols/berlin-group-banks.md).
var nokBBAN = regexp.MustCompile(`^[0-9]{11}$`)

// create is Initiate payment. The seed does not document it; the rules are the protocol notes'
// (products, bban for NOK) and Berlin Group's (creditorName, TPP-Redirect-URI for redirect SCA).
func (f *Fake) create(w http.ResponseWriter, r *http.Request, product string) {
	var body struct {
		InstructedAmount struct{ Currency, Amount string } `json:"instructedAmount"`
		CreditorAccount  struct {
			IBAN     string `json:"iban"`
			BBAN     string `json:"bban"`
			Currency string `json:"currency"`
		} `json:"creditorAccount"`
		CreditorName string `json:"creditorName"`
	}
	data, _ := io.ReadAll(r.Body)
	if json.Unmarshal(data, &body) != nil {
		f.fail(w, 400, "FORMAT_ERROR", "malformed JSON")
		return
	}
	nok := strings.Contains(product, "norwegian")
	switch {
	case body.CreditorName == "":
		f.fail(w, 400, "FORMAT_ERROR", "creditorName is required")
		return
	case nok && (body.InstructedAmount.Currency != "NOK" || !nokBBAN.MatchString(body.CreditorAccount.BBAN) || body.CreditorAccount.IBAN != ""):
		f.fail(w, 400, "FORMAT_ERROR", "Norwegian payments are in NOK to an 11-digit bban")
		return
	case !nok && body.CreditorAccount.IBAN == "":
		f.fail(w, 400, "FORMAT_ERROR", "creditorAccount.iban is required for "+product)
		return
	case r.Header.Get("TPP-Redirect-URI") == "":
		f.fail(w, 400, "FORMAT_ERROR", "TPP-Redirect-URI is required")
		return
	}
	// Ids as the platform makes them: with characters that must be escaped in a path.
	id := "NO!" + strings.ReplaceAll(uuid.NewString()[:18], "-", "=") + "/p"
	f.mu.Lock()
	f.payments[id] = &payment{id: id, product: product, status: "RCVD", amount: body.InstructedAmount.Amount,
		currency: body.InstructedAmount.Currency, creditor: body.CreditorName,
		context: cmp.Or(r.Header.Get("PSU-Context"), "PRIVATE"), corporateID: r.Header.Get("PSU-Corporate-ID")}
	f.mu.Unlock()
	writeJSON(w, 201, map[string]any{"paymentId": id, "transactionStatus": "RCVD"})
}

func (f *Fake) find(w http.ResponseWriter, product, id string) *payment {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.payments[id]
	if p == nil || p.product != product {
		f.fail(w, 404, "RESOURCE_UNKNOWN", "no such payment") // seed 004, 404 RESOURCE_UNKNOWN
		return nil
	}
	return p
}

// startAuth is Start payment authorisation (seed 004): 201 {scaStatus, _links} or, when the
// bank wants the PSU identified first, 401 {_links: {scaRedirect}}.
func (f *Fake) startAuth(w http.ResponseWriter, r *http.Request, product, id string) {
	p := f.find(w, product, id)
	if p == nil {
		return
	}
	// Seed 004, TPP-Redirect-URI: where the flow "shall be redirected to after a Redirect"; the
	// fake's only SCA approach is redirect, so it needs one.
	redirect := r.Header.Get("TPP-Redirect-URI")
	if redirect == "" {
		f.fail(w, 400, "FORMAT_ERROR", "TPP-Redirect-URI is required")
		return
	}
	// Seed 004, PSU-Context: "Explicitly set PSU context. Required for single SCA payment
	// initiation": the authorisation is started in the context the payment was made in.
	switch {
	case r.Header.Get("PSU-Context") == "":
		f.fail(w, 400, "FORMAT_ERROR", "PSU-Context is required")
		return
	case r.Header.Get("PSU-Context") != p.context:
		f.fail(w, 400, "FORMAT_ERROR", "PSU-Context must be "+p.context+", as when the payment was initiated")
		return
	case r.Header.Get("PSU-Corporate-ID") != p.corporateID:
		f.fail(w, 400, "FORMAT_ERROR", "PSU-Corporate-ID must be the corporate agreement the payment was initiated under")
		return
	}
	f.mu.Lock()
	p.redirect = redirect
	f.mu.Unlock()
	base := strings.TrimRight(f.BaseURL, "/")
	href := base + "/sca?payment=" + url.QueryEscape(id)
	if f.Forms.RawRedirectQuery {
		href += "&flow=psd2&locale=no-NB, no; q=1.0"
	}
	links := map[string]any{"scaRedirect": f.link(href)}
	if f.Forms.Identify401 || f.IdentifyFirst {
		writeJSON(w, 401, map[string]any{"_links": links}) // seed 004, 401: _links only
		return
	}
	if f.Forms.SelfLink {
		links["self"] = f.link(base + "/v1/payments/" + url.PathEscape(product) + "/" + url.PathEscape(id) + "/authorisations")
	}
	status := "RECEIVED"
	if f.Forms.ScaStatusStarted {
		status = "STARTED"
	}
	writeJSON(w, 201, map[string]any{"scaStatus": status, "_links": links})
}

// cancel is Cancel payment, not in the seed: Berlin Group's 204 while it can still be cancelled.
func (f *Fake) cancel(w http.ResponseWriter, product, id string) {
	p := f.find(w, product, id)
	if p == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if p.status != "RCVD" {
		f.fail(w, 400, "CANCELLATION_INVALID", "payment is "+p.status)
		return
	}
	p.status = "CANC"
	w.WriteHeader(http.StatusNoContent)
}

var scaTmpl = template.Must(template.New("sca").Parse(`<!doctype html><html lang="{{.L.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{{.L.Fill "sandbox.title" "name" .Bank}}</title><link rel="stylesheet" href="/static/app.css"></head>
<body><div class="wrap"><header class="top"><span class="merchant">{{.L.Fill "sandbox.bank" "bank" .Bank}}</span></header><main id="main" class="card">
{{if .Error}}<h1>{{.L.T "sandbox.cannot"}}</h1><p class="alert bad">{{.Error}}</p>{{else}}
<h1>{{.L.T "sandbox.pay.heading"}}</h1><dl class="order"><dd class="amount">{{.L.Amount .Amount .Currency}}</dd><dt>{{.L.T "order.to"}}</dt><dd>{{.Creditor}}</dd></dl>
<form method="post" class="actions"><input type="hidden" name="payment" value="{{.ID}}">
<button class="btn" name="decision" value="approve" type="submit">{{.L.T "bankid.heading"}}</button><button class="btn secondary" name="decision" value="deny" type="submit">{{.L.T "sandbox.deny"}}</button></form>{{end}}
</main></div></body></html>`))

func (f *Fake) scaPage(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	id := r.Form.Get("payment")
	f.mu.Lock()
	p := f.payments[id]
	var v map[string]any
	switch {
	case p == nil || p.redirect == "":
		v = map[string]any{"Bank": f.Name, "Error": "No payment waiting for approval."}
	case r.Method == "POST" && p.status == "RCVD":
		to := p.redirect
		if r.PostForm.Get("decision") == "approve" {
			p.status = "ACSC"
		} else {
			p.status = "RJCT"
			to += "&error=access_denied"
		}
		f.mu.Unlock()
		http.Redirect(w, r, to, http.StatusSeeOther)
		return
	case p.status != "RCVD":
		v = map[string]any{"Bank": f.Name, "Error": "This payment was already decided."}
	default:
		v = map[string]any{"Bank": f.Name, "Amount": p.amount, "Currency": p.currency, "Creditor": p.creditor, "ID": id}
	}
	f.mu.Unlock()
	v["L"] = i18n.ForRequest(r)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if v["Error"] != nil {
		w.WriteHeader(400)
	}
	scaTmpl.Execute(w, v)
}
