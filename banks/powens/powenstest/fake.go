// Package powenstest is a fake of Powens Pay with its test connector: the first instruction's
// label scripts the outcome ("pdng/done - Order 1" goes pending, then done). It checks the admin
// and scoped tokens, the registered redirect URI, amounts as JSON numbers with at most two
// decimals, the identities, and serves the hosted webview where the shopper picks a bank and
// validates or cancels.
//
// The rules cite the provider's own document, seed 002_c54d99bdd3e34800.txt ("Initiating a one-time
// payment with the Webview", abbreviated "seed 002" with its section), and protocols/powens-sibs.md
// where the seed is silent. Where the documents allow more than one form of an answer, Forms picks
// one; AllForms lists the combinations a client should be tested in.
package powenstest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"paybybank/i18n"
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

// Forms chooses among the answers the documents allow. The zero value is the fake's historical
// behaviour; every field switches to another documented (or undocumented, hence possible) form.
type Forms struct {
	// PaymentNullErrors makes payment objects carry "error_code": null and "error_description": null
	// while there is no error, as the response example of seed 002 "Create a one-time payment" shows;
	// the zero value omits them.
	PaymentNullErrors bool
	// PaymentExtraFields makes payment objects carry more fields (client_redirect_uri, client_state,
	// instructions, creation_date): seed 002 "Create a one-time payment" ends its response example
	// with "…", so a client must ignore fields it does not know.
	PaymentExtraFields bool
	// ShowValidating makes the first read after validation in the webview answer "validating" before
	// the scripted steps: a documented state (powens-sibs.md "States") the zero value never shows.
	ShowValidating bool
	// WebviewCancelLeavesCreated leaves a payment the payer cancelled in the webview in state
	// "created" (it can only expire, see Expire). Seed 002 "Process the payment status" says
	// rejected is a rejection "by the bank, or by the end user through the bank", which a webview
	// cancel is not, and names no state for it. The zero value makes it "rejected" with error_code
	// "cancelled".
	WebviewCancelLeavesCreated bool
	// CallbackNoPaymentState leaves payment_state off the callback: seed 002 "Receive a callback
	// from the payer" sends it only "if the payer has been redirected by the bank".
	CallbackNoPaymentState bool
	// CallbackNoErrorCode leaves error_code off the callback of a payment the bank rejected or
	// cancelled; seed 002 "Receive a callback from the payer" marks it optional.
	CallbackNoErrorCode bool
	// CallbackBankMessage adds bank_message to the callback ("set to the bank message, if
	// available", seed 002 "Receive a callback from the payer").
	CallbackBankMessage bool
	// CallbackNoEmptyState leaves state off the callback when the payment has no client_state
	// ("the optional client state", seed 002 "Receive a callback from the payer"); the zero value
	// sends "state=".
	CallbackNoEmptyState bool
	// WebhookPaymentObject makes the PAYMENT_UPDATED body the payment object itself instead of
	// {"type": "PAYMENT_UPDATED", "payment": {"id": …}}. Seed 002 "Receive payment updated events
	// using webhooks" documents no payload, so a client should only take the payment's id from it
	// and re-fetch the payment.
	WebhookPaymentObject bool
}

// AllForms returns the named combinations of Forms a client of Powens should be tested in: the
// zero value, each alternative alone, and all alternatives together.
func AllForms() []struct {
	Name  string
	Forms Forms
} {
	return []struct {
		Name  string
		Forms Forms
	}{
		{"as before", Forms{}},
		{"null error fields", Forms{PaymentNullErrors: true}},
		{"extra payment fields", Forms{PaymentExtraFields: true}},
		{"validating shown", Forms{ShowValidating: true}},
		{"webview cancel leaves created", Forms{WebviewCancelLeavesCreated: true}},
		{"callback without payment_state", Forms{CallbackNoPaymentState: true}},
		{"callback without error_code", Forms{CallbackNoErrorCode: true}},
		{"callback with bank_message", Forms{CallbackBankMessage: true}},
		{"callback without empty state", Forms{CallbackNoEmptyState: true}},
		{"webhook carries the payment", Forms{WebhookPaymentObject: true}},
		{"every alternative", Forms{PaymentNullErrors: true, PaymentExtraFields: true, ShowValidating: true,
			WebviewCancelLeavesCreated: true, CallbackNoPaymentState: true, CallbackNoErrorCode: true,
			CallbackBankMessage: true, CallbackNoEmptyState: true, WebhookPaymentObject: true}},
	}
}

// Fake is the fake Powens API.
type Fake struct {
	ClientID, ClientSecret string
	RedirectURIs           []string
	// WebhookURL receives PAYMENT_UPDATED events when a payment's state changes.
	WebhookURL string
	Client     *http.Client
	// Forms chooses among the documented forms of the answers; set it before serving.
	Forms Forms

	mu         sync.Mutex
	connectors []Connector
	admin      map[string]bool
	scoped     map[string]int64 // scoped token → payment id
	payments   map[int64]*payment
	next       int64
	calls      []string
}

type payment struct {
	ID          int64
	State       string
	ErrorCode   string
	Redirect    string
	ClientState string
	Instr       json.RawMessage
	// Instructions is how many instructions the payment carries (a bulk has several); Amount is
	// their total and Beneficiary their beneficiaries, as the webview shows them.
	Instructions int
	Amount       string
	Currency     string
	Label        string
	Beneficiary  string
	Created      time.Time
	steps        []string
	bugOnce      bool
	validating   bool // holds "validating" for one read before the scripted steps (Forms.ShowValidating)
	cancelled    bool // the payer cancelled in the webview: the code no longer opens it
	connector    *Connector
}

// errorDescriptions are the fake's texts for its error codes; the seed documents no list.
var errorDescriptions = map[string]string{
	"insufficientFunds": "The bank rejected the payment for insufficient funds.",
	"cancelled":         "The payer cancelled the payment.",
	"bankError":         "The bank could not process the payment.",
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

// Expire makes a payment that has not reached a final state "expired", as Powens does in the
// background ("Pending payments expire after 30 days by default", powens-sibs.md "States"; seed 002
// "Process the payment status": expired "will not be updated anymore"), and sends PAYMENT_UPDATED.
// It reports whether the payment changed.
func (f *Fake) Expire(id int64) bool {
	f.mu.Lock()
	p := f.payments[id]
	if p == nil || (p.State != "created" && p.State != "validating" && p.State != "pending") {
		f.mu.Unlock()
		return false
	}
	p.State, p.steps, p.validating = "expired", nil, false
	f.mu.Unlock()
	f.notify(id)
	return true
}

// ServeHTTP serves the Powens API and its webview under one base, as https://{domain}.biapi.pro/2.0.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	if len(f.calls) >= 2000 { // bounded: a sandbox may serve for days
		f.calls = append(f.calls[:0], f.calls[1000:]...)
	}
	f.calls = append(f.calls, r.Method+" "+r.URL.Path)
	f.mu.Unlock()
	m := http.NewServeMux()
	m.HandleFunc("POST /auth/token", f.token)
	// The connector list is not in seed 002 (it only links "Listing connectors with Pay enabled
	// programmatically" and names partial_status_tracking); the fake serves its own shape.
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

// apiError answers an error. Seed 002 documents no error body; {code, description} is the fake's.
func apiError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"code": code, "description": desc})
}

func random() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// token issues an admin token. Seed 002 "Obtain a token suitable for creating payments": a JSON body
// {grant_type: client_credentials, client_id, client_secret, scope: payments:admin} answered by
// {token, scope}.
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

// admin_ requires the admin token as "Authorization: Bearer {accessToken}" (seed 002 "Obtain the
// payment validation token" shows the header); a scoped token is not an admin token.
func (f *Fake) admin_(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, bearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		f.mu.Lock()
		ok := bearer && f.admin[tok]
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

var (
	// amountRe: seed 002 "Create a one-time payment" sends "amount": 50.90, a JSON number; the
	// two-decimal limit is the fake's (the minor unit of EUR), not the seed's.
	amountRe   = regexp.MustCompile(`^[0-9]+(\.[0-9]{1,2})?$`)
	currencyRe = regexp.MustCompile(`^[A-Z]{3}$`)
	scriptRe   = regexp.MustCompile(`^((?:pdng|canc|rjct|err|bug|done)(?:/(?:pdng|canc|rjct|err|bug|done)){0,2}) - `)
	sirenRe    = regexp.MustCompile(`^[0-9]{9}$`)
)

// identityProblem says what an identity lacks, or "". Seed 002 "Create a one-time payment": "A
// payer_identity for the payment request and a beneficiary_identity for the instruction are
// required and must contain information on either the payer … or the beneficiary". Its examples of
// the individual kind all carry first_name and last_name; those of the corporate kind all carry
// org_name, org_legal_status, scheme_name and identification (a nine-digit SIREN for "siren").
func identityProblem(id map[string]any) string {
	str := func(k string) string { s, _ := id[k].(string); return strings.TrimSpace(s) }
	var need []string
	switch str("kind") {
	case "individual":
		need = []string{"first_name", "last_name"}
	case "corporate":
		need = []string{"org_name", "org_legal_status", "scheme_name", "identification"}
	default:
		return "kind must be individual or corporate"
	}
	var missing []string
	for _, k := range need {
		if str(k) == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return str("kind") + " identity needs " + strings.Join(missing, ", ")
	}
	if str("kind") == "corporate" && str("scheme_name") == "siren" && !sirenRe.MatchString(str("identification")) {
		return "a siren identification has nine digits"
	}
	return ""
}

// createPayment creates a one-time payment (seed 002 "Create a one-time payment").
func (f *Fake) createPayment(w http.ResponseWriter, r *http.Request) {
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	var in struct {
		RedirectURI   string            `json:"client_redirect_uri"`
		ClientState   string            `json:"client_state"`
		Instructions  []json.RawMessage `json:"instructions"`
		PayerIdentity map[string]any    `json:"payer_identity"`
	}
	if err := dec.Decode(&in); err != nil {
		apiError(w, 400, "invalidValue", "malformed JSON: "+err.Error())
		return
	}
	// The seed's prerequisites: "A URL to redirect the end user to …, registered with the client".
	if !contains(f.RedirectURIs, in.RedirectURI) {
		apiError(w, 400, "invalidValue", "client_redirect_uri is not registered")
		return
	}
	// A one-time payment has one instruction; a bulk payment ("Initiating a bulk payment with the
	// Webview", in the seed's index) has several, of PaymentInitRequest's list, validated at once.
	if len(in.Instructions) == 0 || len(in.Instructions) > maxInstructions {
		apiError(w, 400, "invalidValue", fmt.Sprintf("instructions must hold 1 to %d instructions", maxInstructions))
		return
	}
	if in.PayerIdentity == nil {
		apiError(w, 400, "invalidValue", "payer_identity is required")
		return
	}
	if msg := identityProblem(in.PayerIdentity); msg != "" {
		apiError(w, 400, "invalidValue", "payer_identity: "+msg)
		return
	}
	var total int64
	var first instructionIn
	var names []string
	for i, raw := range in.Instructions {
		ins, msg := checkInstruction(raw)
		if msg == "" && i > 0 && ins.Currency != first.Currency {
			msg = "every instruction of a payment is in one currency"
		}
		if msg != "" {
			apiError(w, 400, "invalidValue", fmt.Sprintf("instructions[%d]: %s", i, msg))
			return
		}
		if i == 0 {
			first = ins
		}
		total += cents(string(ins.Amount))
		names = append(names, ins.Beneficiary.Label)
	}
	ins, ben := first, first.Beneficiary
	amount := string(ins.Amount)
	if len(in.Instructions) > 1 {
		amount = fmt.Sprintf("%d.%02d", total/100, total%100)
		ben.Label = strings.Join(names, ", ")
	}
	// The test connector scripts the outcome with the first instruction's label (powens-sibs.md
	// "Test connector"; the seed's page on it is only in its index).
	steps := []string{"done"}
	if m := scriptRe.FindStringSubmatch(ins.Label); m != nil {
		steps = strings.Split(m[1], "/")
	}
	f.mu.Lock()
	f.next++
	p := &payment{ID: f.next, State: "created", Redirect: in.RedirectURI, ClientState: in.ClientState, Instr: in.Instructions[0],
		Instructions: len(in.Instructions), Amount: amount, Currency: ins.Currency, Label: ins.Label, Beneficiary: ben.Label, Created: time.Now().UTC(), steps: steps}
	f.payments[p.ID] = p
	out := f.paymentJSON(p)
	f.mu.Unlock()
	writeJSON(w, 200, out)
}

// paymentJSON is the payment object as Powens answers it, in the chosen Forms; f.mu is held. Seed
// 002 "Create a one-time payment": {"id": {paymentId}, "state": "created", "error_code": null,
// "error_description": null, …}; the id is a number (its placeholder is unquoted).
func (f *Fake) paymentJSON(p *payment) map[string]any {
	out := map[string]any{"id": p.ID, "state": p.State}
	switch {
	case p.ErrorCode != "" && f.Forms.PaymentNullErrors:
		out["error_code"], out["error_description"] = p.ErrorCode, errorDescriptions[p.ErrorCode]
	case p.ErrorCode != "":
		out["error_code"] = p.ErrorCode
	case f.Forms.PaymentNullErrors:
		out["error_code"], out["error_description"] = nil, nil
	}
	if f.Forms.PaymentExtraFields {
		out["client_redirect_uri"] = p.Redirect
		out["client_state"] = p.ClientState
		out["instructions"] = []json.RawMessage{p.Instr}
		out["creation_date"] = p.Created.Format("2006-01-02 15:04:05")
	}
	return out
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

// scopedToken issues the validation token of one payment. Seed 002 "Obtain the payment validation
// token": with the admin token, {"scope": ["payments:validate"]} → {token, scope:
// "payments:validate", expires_in: 604800, id_payment}.
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

// getPayment answers the payment (seed 002 "Get the payment status"); each read after validation
// plays the next scripted step, the fake's stand-in for Powens' background refresh.
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
	if p.validating { // Forms.ShowValidating: this read shows "validating"; the next plays a step
		p.validating = false
		out := f.paymentJSON(p)
		f.mu.Unlock()
		writeJSON(w, 200, out)
		return
	}
	changed := f.advance(p)
	out := f.paymentJSON(p)
	f.mu.Unlock()
	if changed {
		f.notify(p.ID)
	}
	writeJSON(w, 200, out)
}

// advance plays the next scripted step of a validated payment.
func (f *Fake) advance(p *payment) bool {
	if p.State == "created" || p.State == "expired" || len(p.steps) == 0 {
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
		// "accepted": initiated, but the bank gives no more updates (seed 002 "Process the
		// payment status", connectors with partial_status_tracking).
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

// notify sends PAYMENT_UPDATED (seed 002 "Receive payment updated events using webhooks"). The seed
// documents no payload; Forms.WebhookPaymentObject picks between the fake's two.
func (f *Fake) notify(id int64) {
	if f.WebhookURL == "" {
		return
	}
	f.mu.Lock()
	var v any = map[string]any{"type": "PAYMENT_UPDATED", "payment": map[string]any{"id": id}}
	if f.Forms.WebhookPaymentObject {
		v = f.paymentJSON(f.payments[id])
	}
	f.mu.Unlock()
	body, _ := json.Marshal(v)
	go func() {
		if resp, err := f.Client.Post(f.WebhookURL, "application/json", bytes.NewReader(body)); err == nil {
			resp.Body.Close()
		}
	}()
}

var webviewTmpl = template.Must(template.New("w").Parse(`<!doctype html><html lang="{{.L.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{{.L.Fill "sandbox.title" "name" "Powens"}}</title><link rel="stylesheet" href="/static/app.css"></head>
<body><div class="wrap"><header class="top"><span class="merchant">{{.L.Fill "sandbox.title" "name" "Powens · webview"}}</span></header><main id="main" class="card">
{{if .Error}}<h1>{{.L.T "sandbox.cannot"}}</h1><p class="alert bad">{{.Error}}</p>{{else}}
<h1>{{.L.T "sandbox.validate.title"}}</h1><dl class="order"><dd class="amount">{{.L.Amount .Amount .Currency}}</dd><dt>{{.L.T "order.to"}}</dt><dd>{{.Beneficiary}}</dd><dt>{{.L.T "order.reference"}}</dt><dd>{{.Label}}</dd><dt>{{.L.T "receipt.bank"}}</dt><dd>{{if .Bank}}{{.Bank}}{{else}}<select name="connector_uuid" form="decide" aria-label="{{.L.T "receipt.bank"}}">{{range .Banks}}<option value="{{.UUID}}">{{.Name}}</option>{{end}}</select>{{end}}</dd></dl>
<form method="post" class="actions" id="decide"><input type="hidden" name="code" value="{{.Code}}"><input type="hidden" name="payment_id" value="{{.ID}}">
<button class="btn" name="decision" value="validate" type="submit">{{.L.T "sandbox.validate"}}</button><button class="btn secondary" name="decision" value="cancel" type="submit">{{.L.T "sandbox.app.cancel"}}</button></form>{{end}}
</main></div></body></html>`))

// connector finds a bank by uuid; f.mu is held.
func (f *Fake) connector(uuid string) *Connector {
	for i := range f.connectors {
		if f.connectors[i].UUID == uuid {
			return &f.connectors[i]
		}
	}
	return nil
}

// webview is the page the payer is sent to. Seed 002 "Build the payment validation URL": client_id,
// redirect_uri and state as on the payment, code (the scoped token) and payment_id. The seed's URL
// has no bank: Powens hosts the bank choice (powens-sibs.md), so connector_uuid only preselects one.
func (f *Fake) webview(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := map[string]any{}
	f.mu.Lock()
	id := f.scoped[q.Get("code")]
	p := f.payments[id]
	cn := f.connector(q.Get("connector_uuid"))
	switch {
	case q.Get("client_id") != f.ClientID:
		v["Error"] = "Unknown client_id."
	case p == nil || strconv.FormatInt(id, 10) != q.Get("payment_id"):
		v["Error"] = "The validation code is not valid for this payment."
	case q.Get("redirect_uri") != p.Redirect || q.Get("state") != p.ClientState:
		v["Error"] = "redirect_uri or state do not match the payment."
	case p.cancelled:
		v["Error"] = "This payment was cancelled."
	case p.State != "created":
		v["Error"] = "This payment was already validated."
	case q.Get("connector_uuid") != "" && cn == nil:
		v["Error"] = "Unknown bank."
	default:
		v = map[string]any{"Amount": p.Amount, "Currency": p.Currency, "Beneficiary": p.Beneficiary, "Label": p.Label,
			"Banks": f.connectors, "Code": q.Get("code"), "ID": id}
		if cn != nil {
			v["Bank"] = cn.Name
		}
	}
	f.mu.Unlock()
	v["L"] = i18n.ForRequest(r)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if v["Error"] != nil {
		w.WriteHeader(400)
	}
	webviewTmpl.Execute(w, v)
}

// webviewDecision takes the payer's validation or cancellation and sends them back to
// client_redirect_uri (seed 002 "Receive a callback from the payer"): state, id_payment, and
// error=cancelled "if the payer has cancelled the payment from our Webview"; on validation the bank
// redirects, so payment_state, and error_code when the bank rejected or cancelled the payment.
func (f *Fake) webviewDecision(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	f.mu.Lock()
	id := f.scoped[r.PostForm.Get("code")]
	p := f.payments[id]
	if p == nil || strconv.FormatInt(id, 10) != r.PostForm.Get("payment_id") || p.State != "created" || p.cancelled {
		f.mu.Unlock()
		http.Error(w, "no payment waiting for validation", 400)
		return
	}
	q := url.Values{"id_payment": {strconv.FormatInt(p.ID, 10)}}
	if p.ClientState != "" || !f.Forms.CallbackNoEmptyState {
		q.Set("state", p.ClientState)
	}
	switch r.FormValue("decision") {
	case "cancel":
		p.cancelled, p.steps = true, nil
		if !f.Forms.WebviewCancelLeavesCreated {
			p.State, p.ErrorCode = "rejected", "cancelled"
		}
		q.Set("error", "cancelled")
	case "validate":
		cn := f.connector(r.FormValue("connector_uuid")) // the form's choice, or the URL's preselection
		if cn == nil {
			f.mu.Unlock()
			http.Error(w, "choose a bank", 400)
			return
		}
		p.connector, p.State = cn, "validating"
		if f.Forms.ShowValidating {
			p.validating = true // held for one read
		} else {
			f.advance(p)
		}
		if !f.Forms.CallbackNoPaymentState {
			q.Set("payment_state", p.State)
		}
		if p.ErrorCode != "" && !f.Forms.CallbackNoErrorCode {
			q.Set("error_code", p.ErrorCode)
		}
		if f.Forms.CallbackBankMessage {
			q.Set("bank_message", "Message from the test bank")
		}
	default:
		f.mu.Unlock()
		http.Error(w, "decision must be validate or cancel", 400)
		return
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

// maxInstructions bounds the instructions of one payment the fake takes.
const maxInstructions = 100

// instructionIn is one instruction of a PaymentInitRequest (seed 002 "Create a one-time payment").
type instructionIn struct {
	Label         string          `json:"label"`
	Amount        json.RawMessage `json:"amount"`
	Currency      string          `json:"currency"`
	ExecutionType string          `json:"execution_date_type"`
	ExecutionDate string          `json:"execution_date"`
	Beneficiary   struct {
		SchemeName     string `json:"scheme_name"`
		Identification string `json:"identification"`
		Label          string `json:"label"`
	} `json:"beneficiary"`
	Identity map[string]any `json:"beneficiary_identity"`
}

// checkInstruction reads one instruction and says what it breaks, or "".
func checkInstruction(raw json.RawMessage) (instructionIn, string) {
	var ins instructionIn
	if err := json.Unmarshal(raw, &ins); err != nil {
		return ins, "malformed instruction: " + err.Error()
	}
	ben := ins.Beneficiary
	_, dateErr := time.Parse("2006-01-02", ins.ExecutionDate)
	switch {
	case !amountRe.MatchString(string(ins.Amount)): // a JSON number, not a string
		return ins, "amount must be a number with at most two decimals"
	case !currencyRe.MatchString(ins.Currency):
		return ins, "currency must be an ISO 4217 code"
	// Seed 002 "Create a one-time payment": first_open_day, instant, or deferred with an
	// execution_date ("2024-01-01").
	case ins.ExecutionType != "instant" && ins.ExecutionType != "first_open_day" && ins.ExecutionType != "deferred":
		return ins, "execution_date_type must be instant, first_open_day or deferred"
	case ins.ExecutionType == "deferred" && dateErr != nil:
		return ins, "a deferred payment needs execution_date as YYYY-MM-DD"
	case ben.SchemeName != "iban" || len(ben.Identification) < 15 || ben.Label == "":
		return ins, "beneficiary needs scheme_name iban, identification and label"
	case ins.Identity == nil:
		return ins, "beneficiary_identity is required"
	case identityProblem(ins.Identity) != "":
		return ins, "beneficiary_identity: " + identityProblem(ins.Identity)
	// Not in the seed (its label is "Test"): the fake keeps to the 140 characters of SEPA remittance.
	case ins.Label == "" || len(ins.Label) > 140:
		return ins, "label must be 1 to 140 characters"
	}
	return ins, ""
}

// cents is a checked amount ("50.90") in cents.
func cents(s string) int64 {
	whole, frac, _ := strings.Cut(s, ".")
	n, _ := strconv.ParseInt(whole, 10, 64)
	for len(frac) < 2 {
		frac += "0"
	}
	c, _ := strconv.ParseInt(frac, 10, 64)
	return n*100 + c
}
