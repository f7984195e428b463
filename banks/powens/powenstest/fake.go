// Package powenstest is a fake of Powens Pay with its test connector: the first instruction's
// label scripts the outcome ("pdng/done - Order 1" goes pending, then done). It checks the admin
// and scoped tokens, the registered redirect URI, amounts as JSON numbers with at most two
// decimals, the identities, and serves the hosted webview where the shopper validates.
package powenstest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Connector is a bank the fake serves.
type Connector struct {
	UUID                  string   `json:"uuid"`
	Name                  string   `json:"name"`
	Country               string   `json:"country"`
	Capabilities          []string `json:"capabilities"`
	ExecutionTypes        []string `json:"available_execution_types"`
	PartialStatusTracking bool     `json:"partial_status_tracking"`
}

// DefaultConnectors are the sandbox's French banks: one with instant payments, one without, and
// one that stops reporting after acceptance (partial status tracking).
func DefaultConnectors() []Connector {
	return []Connector{
		{UUID: "338178e6-3d01-564f-9a7b-52ca442459bf", Name: "Banque Test Instantané", Country: "FR", Capabilities: []string{"bank", "payment"}, ExecutionTypes: []string{"instant", "first_open_day"}},
		{UUID: "a1b2c3d4-0000-4000-8000-000000000002", Name: "Crédit Test", Country: "FR", Capabilities: []string{"bank", "payment"}, ExecutionTypes: []string{"first_open_day", "deferred"}},
		{UUID: "a1b2c3d4-0000-4000-8000-000000000003", Name: "Banque Partielle", Country: "FR", Capabilities: []string{"bank", "payment"}, ExecutionTypes: []string{"first_open_day"}, PartialStatusTracking: true},
	}
}

// Fake is the fake Powens API.
type Fake struct {
	ClientID, ClientSecret string
	RedirectURIs           []string
	// WebhookURL receives PAYMENT_UPDATED events when a payment's state changes.
	WebhookURL string
	Client     *http.Client

	mu         sync.Mutex
	connectors []Connector
	admin      map[string]bool
	scoped     map[string]int64 // scoped token → payment id
	payments   map[int64]*payment
	next       int64
	calls      []string
}

type payment struct {
	ID          int64           `json:"id"`
	State       string          `json:"state"`
	ErrorCode   string          `json:"error_code,omitempty"`
	Redirect    string          `json:"-"`
	ClientState string          `json:"-"`
	Instr       json.RawMessage `json:"-"`
	Amount      string          `json:"-"`
	Label       string          `json:"-"`
	Beneficiary string          `json:"-"`
	steps       []string
	bugOnce     bool
	connector   *Connector
}

// New returns a fake for one client.
func New(clientID, clientSecret string) *Fake {
	return &Fake{ClientID: clientID, ClientSecret: clientSecret, connectors: DefaultConnectors(), admin: map[string]bool{},
		scoped: map[string]int64{}, payments: map[int64]*payment{}, next: 1000, Client: &http.Client{Timeout: 5 * time.Second}}
}

// Calls lists the requests the fake received (method and path), for tests.
func (f *Fake) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	if len(f.calls) >= 2000 { // bounded: a sandbox may serve for days
		f.calls = append(f.calls[:0], f.calls[1000:]...)
	}
	f.calls = append(f.calls, r.Method+" "+r.URL.Path)
	f.mu.Unlock()
	m := http.NewServeMux()
	m.HandleFunc("POST /auth/token", f.token)
	m.HandleFunc("GET /connectors", f.admin_(f.listConnectors))
	m.HandleFunc("GET /connectors/{uuid}", f.admin_(f.getConnector))
	m.HandleFunc("POST /payments", f.admin_(f.createPayment))
	m.HandleFunc("POST /payments/{id}/scopedtoken", f.admin_(f.scopedToken))
	m.HandleFunc("GET /payments/{id}", f.admin_(f.getPayment))
	m.HandleFunc("GET /auth/webview/payment", f.webview)
	m.HandleFunc("POST /auth/webview/payment", f.webviewDecision)
	m.ServeHTTP(w, r)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func apiError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"code": code, "description": desc})
}

func random() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (f *Fake) token(w http.ResponseWriter, r *http.Request) {
	var in map[string]string
	if json.NewDecoder(r.Body).Decode(&in) != nil || in["grant_type"] != "client_credentials" {
		apiError(w, 400, "invalidRequest", "client_credentials grant as JSON expected")
		return
	}
	if in["client_id"] != f.ClientID || in["client_secret"] != f.ClientSecret {
		apiError(w, 401, "invalidClient", "unknown client")
		return
	}
	if in["scope"] != "payments:admin" {
		apiError(w, 400, "invalidScope", "scope must be payments:admin")
		return
	}
	tok := random()
	f.mu.Lock()
	f.admin[tok] = true
	f.mu.Unlock()
	writeJSON(w, 200, map[string]string{"token": tok, "scope": "payments:admin"})
}

func (f *Fake) admin_(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		f.mu.Lock()
		ok := f.admin[tok]
		f.mu.Unlock()
		if !ok {
			apiError(w, 401, "invalidToken", "an admin token with payments:admin is required")
			return
		}
		h(w, r)
	}
}

func (f *Fake) listConnectors(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, map[string]any{"connectors": f.connectors})
}

func (f *Fake) getConnector(w http.ResponseWriter, r *http.Request) {
	for _, c := range f.connectors {
		if c.UUID == r.PathValue("uuid") {
			writeJSON(w, 200, c)
			return
		}
	}
	apiError(w, 404, "connectorNotFound", "no such connector")
}

var amountRe = regexp.MustCompile(`^[0-9]+(\.[0-9]{1,2})?$`)
var scriptRe = regexp.MustCompile(`^((?:pdng|canc|rjct|err|bug|done)(?:/(?:pdng|canc|rjct|err|bug|done)){0,2}) - `)

func (f *Fake) createPayment(w http.ResponseWriter, r *http.Request) {
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	var in struct {
		RedirectURI  string `json:"client_redirect_uri"`
		ClientState  string `json:"client_state"`
		Instructions []struct {
			Label         string          `json:"label"`
			Amount        json.RawMessage `json:"amount"`
			Currency      string          `json:"currency"`
			ExecutionType string          `json:"execution_date_type"`
			Beneficiary   json.RawMessage `json:"beneficiary"`
			Identity      map[string]any  `json:"beneficiary_identity"`
		} `json:"instructions"`
		PayerIdentity map[string]any `json:"payer_identity"`
	}
	if err := dec.Decode(&in); err != nil {
		apiError(w, 400, "invalidValue", "malformed JSON: "+err.Error())
		return
	}
	if !contains(f.RedirectURIs, in.RedirectURI) {
		apiError(w, 400, "invalidValue", "client_redirect_uri is not registered")
		return
	}
	if len(in.Instructions) != 1 {
		apiError(w, 400, "invalidValue", "exactly one instruction is supported")
		return
	}
	ins := in.Instructions[0]
	var ben struct {
		SchemeName     string `json:"scheme_name"`
		Identification string `json:"identification"`
		Label          string `json:"label"`
	}
	json.Unmarshal(ins.Beneficiary, &ben)
	switch {
	case !amountRe.MatchString(string(ins.Amount)): // a JSON number, not a string

		apiError(w, 400, "invalidValue", "amount must be a number with at most two decimals")
		return
	case ins.Currency != "EUR":
		apiError(w, 400, "invalidValue", "currency must be EUR")
		return
	case ins.ExecutionType != "instant" && ins.ExecutionType != "first_open_day":
		apiError(w, 400, "invalidValue", "execution_date_type must be instant, first_open_day or deferred with a date")
		return
	case ben.SchemeName != "iban" || len(ben.Identification) < 15 || ben.Label == "":
		apiError(w, 400, "invalidValue", "beneficiary needs scheme_name iban, identification and label")
		return
	case ins.Identity["kind"] != "corporate" || ins.Identity["org_name"] == "" || ins.Identity["org_name"] == nil:
		apiError(w, 400, "invalidValue", "beneficiary_identity must be corporate with org_name")
		return
	case in.PayerIdentity["kind"] != "individual" && in.PayerIdentity["kind"] != "corporate":
		apiError(w, 400, "invalidValue", "payer_identity.kind is required")
		return
	case ins.Label == "" || len(ins.Label) > 140:
		apiError(w, 400, "invalidValue", "label must be 1 to 140 characters")
		return
	}
	steps := []string{"done"}
	if m := scriptRe.FindStringSubmatch(ins.Label); m != nil {
		steps = strings.Split(m[1], "/")
	}
	f.mu.Lock()
	f.next++
	p := &payment{ID: f.next, State: "created", Redirect: in.RedirectURI, ClientState: in.ClientState, Amount: string(ins.Amount),
		Label: ins.Label, Beneficiary: ben.Label, steps: steps}
	f.payments[p.ID] = p
	f.mu.Unlock()
	writeJSON(w, 200, p)
}

func (f *Fake) find(w http.ResponseWriter, r *http.Request) *payment {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	f.mu.Lock()
	p := f.payments[id]
	f.mu.Unlock()
	if p == nil {
		apiError(w, 404, "paymentNotFound", "no such payment")
	}
	return p
}

func (f *Fake) scopedToken(w http.ResponseWriter, r *http.Request) {
	p := f.find(w, r)
	if p == nil {
		return
	}
	var in struct {
		Scope []string `json:"scope"`
	}
	if json.NewDecoder(r.Body).Decode(&in) != nil || len(in.Scope) != 1 || in.Scope[0] != "payments:validate" {
		apiError(w, 400, "invalidScope", "scope must be [\"payments:validate\"]")
		return
	}
	tok := random()
	f.mu.Lock()
	f.scoped[tok] = p.ID
	f.mu.Unlock()
	writeJSON(w, 200, map[string]any{"token": tok, "scope": "payments:validate", "expires_in": 604800, "id_payment": p.ID})
}

// getPayment answers the payment's state; each read after validation plays the next scripted step.
func (f *Fake) getPayment(w http.ResponseWriter, r *http.Request) {
	p := f.find(w, r)
	if p == nil {
		return
	}
	f.mu.Lock()
	if p.bugOnce {
		p.bugOnce = false
		f.mu.Unlock()
		apiError(w, 500, "internalError", "scripted bug")
		return
	}
	changed := f.advance(p)
	out := *p
	f.mu.Unlock()
	if changed {
		f.notify(p.ID)
	}
	writeJSON(w, 200, out)
}

// advance plays the next scripted step of a validated payment.
func (f *Fake) advance(p *payment) bool {
	if p.State == "created" || len(p.steps) == 0 {
		return false
	}
	step := p.steps[0]
	p.steps = p.steps[1:]
	prev := p.State
	switch step {
	case "pdng":
		p.State = "pending"
	case "done":
		p.State = "done"
		if p.connector != nil && p.connector.PartialStatusTracking {
			p.State = "accepted"
		}
	case "rjct":
		p.State, p.ErrorCode = "rejected", "insufficientFunds"
	case "canc":
		p.State, p.ErrorCode = "rejected", "cancelled"
	case "err":
		p.State, p.ErrorCode = "rejected", "bankError"
	case "bug":
		p.bugOnce = true
	}
	return p.State != prev
}

func (f *Fake) notify(id int64) {
	if f.WebhookURL == "" {
		return
	}
	go func() {
		body, _ := json.Marshal(map[string]any{"type": "PAYMENT_UPDATED", "payment": map[string]any{"id": id}})
		if resp, err := f.Client.Post(f.WebhookURL, "application/json", bytes.NewReader(body)); err == nil {
			resp.Body.Close()
		}
	}()
}

var webviewTmpl = template.Must(template.New("w").Parse(`<!doctype html><html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Powens (sandbox)</title><link rel="stylesheet" href="/static/app.css"></head>
<body><div class="wrap"><header class="top"><span class="merchant">Powens · webview (sandbox)</span></header><main id="main" class="card">
{{if .Error}}<h1>Cannot continue</h1><p class="alert bad">{{.Error}}</p>{{else}}
<h1>Validate the payment</h1><dl class="order"><dd class="amount">{{.Amount}} EUR</dd><dt>To</dt><dd>{{.Beneficiary}}</dd><dt>Label</dt><dd>{{.Label}}</dd><dt>Bank</dt><dd>{{.Bank}}</dd></dl>
<form method="post" class="actions"><input type="hidden" name="code" value="{{.Code}}"><input type="hidden" name="payment_id" value="{{.ID}}">
<button class="btn" name="decision" value="validate" type="submit">Validate</button><button class="btn secondary" name="decision" value="cancel" type="submit">Cancel</button></form>{{end}}
</main></div></body></html>`))

func (f *Fake) webview(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := map[string]any{}
	f.mu.Lock()
	id := f.scoped[q.Get("code")]
	p := f.payments[id]
	var cn *Connector
	for i := range f.connectors {
		if f.connectors[i].UUID == q.Get("connector_uuid") {
			cn = &f.connectors[i]
		}
	}
	switch {
	case q.Get("client_id") != f.ClientID:
		v["Error"] = "Unknown client_id."
	case p == nil || strconv.FormatInt(id, 10) != q.Get("payment_id"):
		v["Error"] = "The validation code is not valid for this payment."
	case q.Get("redirect_uri") != p.Redirect || q.Get("state") != p.ClientState:
		v["Error"] = "redirect_uri or state do not match the payment."
	case p.State != "created":
		v["Error"] = "This payment was already validated."
	case cn == nil:
		v["Error"] = "Unknown bank."
	default:
		p.connector = cn
		v = map[string]any{"Amount": p.Amount, "Beneficiary": p.Beneficiary, "Label": p.Label, "Bank": cn.Name, "Code": q.Get("code"), "ID": id}
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if v["Error"] != nil {
		w.WriteHeader(400)
	}
	webviewTmpl.Execute(w, v)
}

func (f *Fake) webviewDecision(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	f.mu.Lock()
	id := f.scoped[r.PostForm.Get("code")]
	p := f.payments[id]
	if p == nil || strconv.FormatInt(id, 10) != r.PostForm.Get("payment_id") || p.State != "created" {
		f.mu.Unlock()
		http.Error(w, "no payment waiting for validation", 400)
		return
	}
	q := url.Values{"state": {p.ClientState}, "id_payment": {strconv.FormatInt(p.ID, 10)}}
	if r.PostForm.Get("decision") == "cancel" {
		p.State, p.ErrorCode, p.steps = "rejected", "cancelled", nil
		q.Set("error", "cancelled")
	} else {
		p.State = "validating"
		f.advance(p)
		q.Set("payment_state", p.State)
	}
	redirect := p.Redirect
	f.mu.Unlock()
	f.notify(id)
	http.Redirect(w, r, redirect+"?"+q.Encode(), http.StatusSeeOther)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
