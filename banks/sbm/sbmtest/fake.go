// Package sbmtest is a fake of the Sparebanken Møre platform, as strict as the bank: it verifies
// every request's HTTP Signature against the certificate sent (and that the certificate is one it
// trusts), the header order, the Date's freshness and the Digest; it wants PSU-IP-Address and a
// UUID X-Request-ID; NOK payments must name accounts by bban. Payment ids contain "!", "=" and
// "/", so clients must escape them. SCA is a simulated bank page.
package sbmtest

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"paybybank/banks/httpsig"
)

var products = map[string]bool{"norwegian-domestic-credit-transfers": true, "instant-norwegian-domestic-credit-transfers-straks": true,
	"cross-border-credit-transfers": true, "sepa-credit-transfers": true}

// Fake is one savings bank on the platform.
type Fake struct {
	Name string
	// BaseURL is where the fake is reached (its SCA page is linked from it).
	BaseURL string
	Now     func() time.Time
	// IdentifyFirst makes the start of authorisation answer 401 with a scaRedirect, as the
	// platform does when it wants the shopper identified first.
	IdentifyFirst bool

	mu       sync.Mutex
	trusted  map[string]bool // certificate serials (hex) of registered TPPs
	payments map[string]*payment
	seen     map[string]bool
}

type payment struct {
	id, product, status, redirect string
	amount, currency, creditor    string
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

func fail(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"id": uuid.NewString(), "system": "sbm", "status": status, "code": code, "message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// ServeHTTP routes on the escaped path: a payment id may itself contain an escaped "/".
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
		fail(w, 404, "RESOURCE_UNKNOWN", "no such resource")
		return
	}
	if !f.verify(w, r) {
		return
	}
	switch {
	case len(segs) == 3 && r.Method == "POST":
		f.create(w, r, segs[2])
	case len(segs) == 5 && segs[4] == "authorisations" && r.Method == "POST":
		f.startAuth(w, r, segs[2], segs[3])
	case len(segs) == 5 && segs[4] == "status" && r.Method == "GET":
		if p := f.find(w, segs[2], segs[3]); p != nil {
			writeJSON(w, 200, map[string]string{"transactionStatus": p.status})
		}
	case len(segs) == 4 && r.Method == "DELETE":
		f.cancel(w, segs[2], segs[3])
	default:
		fail(w, 405, "FORMAT_ERROR", "method not allowed here")
	}
}

// verify applies the checks every request gets.
func (f *Fake) verify(w http.ResponseWriter, r *http.Request) bool {
	cert, err := httpsig.Verify(r, f.Now(), 5*time.Minute)
	if err != nil {
		fail(w, 401, "SIGNATURE_INVALID", err.Error())
		return false
	}
	xid := r.Header.Get("X-Request-ID")
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case !f.trusted[fmt.Sprintf("%X", cert.SerialNumber)]:
		fail(w, 401, "CERTIFICATE_INVALID", "the signing certificate is not registered with the bank")
	case uuid.Validate(xid) != nil:
		fail(w, 400, "FORMAT_ERROR", "X-Request-ID must be a UUID")
	case f.seen[xid]:
		fail(w, 400, "FORMAT_ERROR", "X-Request-ID already used")
	case r.Header.Get("PSU-IP-Address") == "":
		fail(w, 400, "FORMAT_ERROR", "PSU-IP-Address is required")
	default:
		f.seen[xid] = true
		return true
	}
	return false
}

var nokBBAN = regexp.MustCompile(`^[0-9]{11}$`)

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
		fail(w, 400, "FORMAT_ERROR", "malformed JSON")
		return
	}
	nok := strings.Contains(product, "norwegian")
	switch {
	case body.CreditorName == "":
		fail(w, 400, "FORMAT_ERROR", "creditorName is required")
		return
	case nok && (body.InstructedAmount.Currency != "NOK" || !nokBBAN.MatchString(body.CreditorAccount.BBAN) || body.CreditorAccount.IBAN != ""):
		fail(w, 400, "FORMAT_ERROR", "Norwegian payments are in NOK to an 11-digit bban")
		return
	case !nok && body.CreditorAccount.IBAN == "":
		fail(w, 400, "FORMAT_ERROR", "creditorAccount.iban is required for "+product)
		return
	case r.Header.Get("TPP-Redirect-URI") == "":
		fail(w, 400, "FORMAT_ERROR", "TPP-Redirect-URI is required")
		return
	}
	// Ids as the platform makes them: with characters that must be escaped in a path.
	id := "NO!" + strings.ReplaceAll(uuid.NewString()[:18], "-", "=") + "/p"
	f.mu.Lock()
	f.payments[id] = &payment{id: id, product: product, status: "RCVD", amount: body.InstructedAmount.Amount,
		currency: body.InstructedAmount.Currency, creditor: body.CreditorName}
	f.mu.Unlock()
	writeJSON(w, 201, map[string]any{"paymentId": id, "transactionStatus": "RCVD"})
}

func (f *Fake) find(w http.ResponseWriter, product, id string) *payment {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.payments[id]
	if p == nil || p.product != product {
		fail(w, 404, "RESOURCE_UNKNOWN", "no such payment")
		return nil
	}
	return p
}

func (f *Fake) startAuth(w http.ResponseWriter, r *http.Request, product, id string) {
	p := f.find(w, product, id)
	if p == nil {
		return
	}
	redirect := r.Header.Get("TPP-Redirect-URI")
	if redirect == "" {
		fail(w, 400, "FORMAT_ERROR", "TPP-Redirect-URI is required")
		return
	}
	f.mu.Lock()
	p.redirect = redirect
	f.mu.Unlock()
	href := strings.TrimRight(f.BaseURL, "/") + "/sca?payment=" + url.QueryEscape(id)
	body := map[string]any{"authorisationId": uuid.NewString(), "scaStatus": "RECEIVED", "_links": map[string]any{"scaRedirect": map[string]string{"href": href}}}
	if f.IdentifyFirst {
		body["scaStatus"] = "PSU_IDENTIFIED"
		writeJSON(w, 401, body)
		return
	}
	writeJSON(w, 201, body)
}

func (f *Fake) cancel(w http.ResponseWriter, product, id string) {
	p := f.find(w, product, id)
	if p == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if p.status != "RCVD" {
		fail(w, 400, "CANCELLATION_INVALID", "payment is "+p.status)
		return
	}
	p.status = "CANC"
	w.WriteHeader(http.StatusNoContent)
}

var scaTmpl = template.Must(template.New("sca").Parse(`<!doctype html><html lang="nb"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{{.Bank}} (sandbox)</title><link rel="stylesheet" href="/static/app.css"></head>
<body><div class="wrap"><header class="top"><span class="merchant">{{.Bank}} · BankID (sandbox)</span></header><main id="main" class="card">
{{if .Error}}<h1>Cannot continue</h1><p class="alert bad">{{.Error}}</p>{{else}}
<h1>Approve the payment</h1><dl class="order"><dd class="amount">{{.Amount}} {{.Currency}}</dd><dt>To</dt><dd>{{.Creditor}}</dd></dl>
<form method="post" class="actions"><input type="hidden" name="payment" value="{{.ID}}">
<button class="btn" name="decision" value="approve" type="submit">Approve with BankID</button><button class="btn secondary" name="decision" value="deny" type="submit">Deny</button></form>{{end}}
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
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if v["Error"] != nil {
		w.WriteHeader(400)
	}
	scaTmpl.Execute(w, v)
}
