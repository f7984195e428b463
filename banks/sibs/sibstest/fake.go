// Package sibstest is a fake of the SIBS API Market gateway: it wants the registered
// x-ibm-client-id and a valid HTTP Signature from a trusted certificate on every call, a UUID
// X-Request-ID and PSU-IP-Address, and checks payments and TSU payments against the
// specification's patterns, answering with its error codes (misspellings included). One bank
// chooses redirect SCA, the other embedded SCA with an SMS code (the code is 123456).
package sibstest

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

// OTP is the code the embedded bank's "SMS" carries.
const OTP = "123456"

// ASPSP is a bank behind the gateway.
type ASPSP struct {
	ID       string `json:"id"`
	BIC      string `json:"bic"`
	BankCode string `json:"bank-code"`
	Code     string `json:"aspsp-cde"`
	Name     string `json:"name"`
	Embedded bool   `json:"-"`
}

// DefaultBanks are the sandbox's Portuguese banks.
func DefaultBanks() []ASPSP {
	return []ASPSP{
		{ID: "1", BIC: "BTSTPTPL", BankCode: "0099", Code: "BTST", Name: "Banco Teste"},
		{ID: "2", BIC: "BOTPPTPL", BankCode: "0098", Code: "BOTP", Name: "Banco Código SMS", Embedded: true},
	}
}

// Fake is the gateway.
type Fake struct {
	ClientID string
	PageURL  string // where the browser reaches the redirect SCA page
	Now      func() time.Time

	mu       sync.Mutex
	banks    []ASPSP
	trusted  map[string]bool
	seen     map[string]bool
	payments map[string]*payment
}

type payment struct {
	id, bank, product, status, redirect, auth string
	amount, label                             string
	tries                                     int
}

// New returns a gateway for one client.
func New(clientID string) *Fake {
	return &Fake{ClientID: clientID, Now: time.Now, banks: DefaultBanks(), trusted: map[string]bool{}, seen: map[string]bool{}, payments: map[string]*payment{}}
}

// Trust registers a TPP's signing certificate.
func (f *Fake) Trust(cert *x509.Certificate) {
	f.mu.Lock()
	f.trusted[fmt.Sprintf("%X", cert.SerialNumber)] = true
	f.mu.Unlock()
}

func tpp(w http.ResponseWriter, status int, code, text string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"transactionStatus": "RJCT", "tppMessages": []map[string]string{{"category": "ERROR", "code": code, "text": text}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// ServeHTTP routes the gateway's API and the redirect SCA page.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/sca" {
		f.sca(w, r)
		return
	}
	if !f.verify(w, r) {
		return
	}
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(segs) == 3 && segs[0] == "sibs" && segs[2] == "available-aspsp" && r.Method == "GET" {
		writeJSON(w, 200, map[string]any{"aspsp-list": f.banks})
		return
	}
	if len(segs) < 4 || segs[1] != "v1-0-4" || (segs[2] != "payments" && segs[2] != "tsu-payments") {
		tpp(w, 404, "RESOURCE_UNIKNOWN", "no such resource")
		return
	}
	bank := f.bank(segs[0])
	if bank == nil {
		tpp(w, 404, "RESOURCE_UNIKNOWN", "no such ASPSP "+segs[0])
		return
	}
	product := segs[3]
	switch {
	case segs[2] == "tsu-payments" && product != "tsu-payments", segs[2] == "payments" && product != "sepa-credit-transfers" && product != "instant-sepa-credit-transfers" && product != "cross-border-credit-transfers" && product != "target-2-payments":
		tpp(w, 404, "PRODUCT_UNKNOWN", "unknown payment product "+product)
	case len(segs) == 4 && r.Method == "POST":
		f.create(w, r, bank, product)
	case len(segs) == 6 && segs[5] == "status" && r.Method == "GET":
		if p := f.find(w, segs[4], bank); p != nil {
			writeJSON(w, 200, map[string]string{"transactionStatus": p.status})
		}
	case len(segs) == 6 && segs[5] == "authorisations" && r.Method == "POST":
		f.startAuth(w, segs[4], bank)
	case len(segs) == 7 && segs[5] == "authorisations" && r.Method == "PUT":
		f.otp(w, r, segs[4], segs[6], bank)
	case len(segs) == 5 && r.Method == "DELETE":
		if p := f.find(w, segs[4], bank); p != nil {
			f.mu.Lock()
			defer f.mu.Unlock()
			if p.status != "RCVD" && p.status != "PDNG" {
				tpp(w, 400, "PAYMENT_FAILED", "payment is "+p.status)
				return
			}
			p.status = "CANC"
			writeJSON(w, 200, map[string]string{"transactionStatus": "CANC"})
		}
	default:
		tpp(w, 405, "FORMAT_ERROR", "not allowed")
	}
}

func (f *Fake) bank(code string) *ASPSP {
	for i := range f.banks {
		if f.banks[i].Code == code {
			return &f.banks[i]
		}
	}
	return nil
}

func (f *Fake) verify(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("x-ibm-client-id") != f.ClientID {
		tpp(w, 401, "CONSENT_UNKNOWN", "x-ibm-client-id missing or unknown")
		return false
	}
	cert, err := httpsig.Verify(r, f.Now(), 5*time.Minute)
	if err != nil {
		code := "SIGNATURE_INVALID"
		if strings.Contains(err.Error(), "Date") {
			code = "TIMESTAMP_INVALID"
		}
		tpp(w, 401, code, err.Error())
		return false
	}
	xid := r.Header.Get("X-Request-ID")
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case !f.trusted[fmt.Sprintf("%X", cert.SerialNumber)]:
		tpp(w, 401, "CERTIFICATE_INVALID", "the signing certificate is not registered")
	case uuid.Validate(xid) != nil || f.seen[xid]:
		tpp(w, 400, "FORMAT_ERROR", "X-Request-ID must be a fresh UUID")
	case r.Method != "GET" && r.URL.Path != "/sibs/v1-0-2/available-aspsp" && r.Header.Get("PSU-IP-Address") == "":
		tpp(w, 400, "FORMAT_ERROR", "PSU-IP-Address is required")
	default:
		f.seen[xid] = true
		return true
	}
	return false
}

var (
	amountRe = regexp.MustCompile(`^-{0,1}[0-9]{1,9}(\.[0-9]{0,2}){0,1}$`)
	ibanRe   = regexp.MustCompile(`^[A-Z]{2,2}[0-9]{2,2}[a-zA-Z0-9]{1,30}$`)
	periodRe = regexp.MustCompile(`^\d{4}(0[1-9]{1}|1[0-2]{1})$`)
	nifRe    = regexp.MustCompile(`^[0-9]{1,12}$`)
)

func (f *Fake) create(w http.ResponseWriter, r *http.Request, bank *ASPSP, product string) {
	var in struct {
		InstructedAmount struct{ Currency, Amount string } `json:"instructedAmount"`
		CreditorAccount  *struct {
			IBAN string `json:"iban"`
		} `json:"creditorAccount"`
		DebtorAccount *struct {
			IBAN string `json:"iban"`
		} `json:"debtorAccount"`
		CreditorName string `json:"creditorName"`
		SSCode       string `json:"socialSecurityAccountCode"`
		NIF          string `json:"taxpayerIdentificationNumber"`
		Period       string `json:"referencePeriod"`
		Remittance   string `json:"remittanceInformationUnstructured"`
	}
	data, _ := io.ReadAll(r.Body)
	if json.Unmarshal(data, &in) != nil {
		tpp(w, 400, "FORMAT_ERROR", "malformed JSON")
		return
	}
	switch {
	case in.InstructedAmount.Currency != "EUR" || !amountRe.MatchString(in.InstructedAmount.Amount):
		tpp(w, 400, "FORMAT_ERROR", "instructedAmount must be EUR with a decimal string")
		return
	case r.Header.Get("TPP-Redirect-URI") == "" && !bank.Embedded:
		tpp(w, 400, "FORMAT_ERROR", "TPP-Redirect-URI is required")
		return
	}
	label := in.CreditorName
	if product == "tsu-payments" {
		switch {
		case in.DebtorAccount == nil || !ibanRe.MatchString(in.DebtorAccount.IBAN):
			tpp(w, 400, "FORMAT_ERROR", "debtorAccount.iban is required")
			return
		case in.SSCode != "SSMN" && in.SSCode != "SSMD" && in.SSCode != "SSAZ":
			tpp(w, 400, "FORMAT_ERROR", "socialSecurityAccountCode must be SSMN, SSMD or SSAZ")
			return
		case !nifRe.MatchString(in.NIF):
			tpp(w, 400, "FORMAT_ERROR", "taxpayerIdentificationNumber must be up to 12 digits")
			return
		case !periodRe.MatchString(in.Period):
			tpp(w, 400, "FORMAT_ERROR", "referencePeriod must be YYYYMM")
			return
		}
		label = "Segurança Social " + in.SSCode + " " + in.Period
	} else if in.CreditorAccount == nil || !ibanRe.MatchString(in.CreditorAccount.IBAN) || in.CreditorName == "" {
		tpp(w, 400, "FORMAT_ERROR", "creditorAccount.iban and creditorName are required")
		return
	}
	p := &payment{id: uuid.NewString(), bank: bank.Code, product: product, status: "RCVD", redirect: r.Header.Get("TPP-Redirect-URI"),
		amount: in.InstructedAmount.Amount, label: label}
	f.mu.Lock()
	f.payments[p.id] = p
	f.mu.Unlock()
	out := map[string]any{"transactionStatus": "RCVD", "paymentId": p.id}
	if bank.Embedded {
		out["scaMethods"] = []map[string]string{{"authenticationType": "SMS_OTP", "authenticationMethodId": "SMS"}}
		out["_links"] = map[string]any{"startAuthorisationWithTransactionAuthorisation": map[string]string{"href": r.URL.Path + "/" + p.id + "/authorisations"}}
	} else {
		out["_links"] = map[string]any{"redirect": map[string]string{"href": f.PageURL + "/sca?payment=" + url.QueryEscape(p.id)}}
	}
	writeJSON(w, 201, out)
}

func (f *Fake) find(w http.ResponseWriter, id string, bank *ASPSP) *payment {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.payments[id]
	if p == nil || p.bank != bank.Code {
		tpp(w, 404, "RESOURCE_UNIKNOWN", "no such payment")
		return nil
	}
	return p
}

func (f *Fake) startAuth(w http.ResponseWriter, id string, bank *ASPSP) {
	p := f.find(w, id, bank)
	if p == nil {
		return
	}
	if !bank.Embedded {
		tpp(w, 400, "SCA_METHOD_UNKKNOWN", "this bank authorises by redirect")
		return
	}
	f.mu.Lock()
	p.auth, p.tries = uuid.NewString(), 0
	auth := p.auth
	f.mu.Unlock()
	writeJSON(w, 201, map[string]any{"authorisationId": auth, "scaStatus": "scaMethodSelected",
		"challengeData": map[string]any{"otpMaxLength": 6, "otpFormat": "integer", "additionalInformation": "Introduza o código de 6 dígitos enviado por SMS"}})
}

func (f *Fake) otp(w http.ResponseWriter, r *http.Request, id, auth string, bank *ASPSP) {
	p := f.find(w, id, bank)
	if p == nil {
		return
	}
	var in struct {
		SCAAuthenticationData string `json:"scaAuthenticationData"`
	}
	json.NewDecoder(r.Body).Decode(&in)
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case p.auth == "" || p.auth != auth:
		tpp(w, 404, "RESOURCE_UNIKNOWN", "no such authorisation")
	case p.status != "RCVD":
		tpp(w, 400, "PAYMENT_FAILED", "payment is "+p.status)
	case in.SCAAuthenticationData != OTP:
		p.tries++
		if p.tries >= 3 {
			p.status = "RJCT"
			writeJSON(w, 200, map[string]string{"scaStatus": "failed", "transactionStatus": "RJCT"})
			return
		}
		tpp(w, 401, "PSU_CREDENTIALS_INVALID", "wrong code")
	default:
		p.status = "ACSC"
		writeJSON(w, 200, map[string]string{"scaStatus": "finalised", "transactionStatus": "ACSC"})
	}
}

var scaTmpl = template.Must(template.New("sca").Parse(`<!doctype html><html lang="pt"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Banco (sandbox)</title><link rel="stylesheet" href="/static/app.css"></head>
<body><div class="wrap"><header class="top"><span class="merchant">SIBS · banco (sandbox)</span></header><main id="main" class="card">
{{if .Error}}<h1>Cannot continue</h1><p class="alert bad">{{.Error}}</p>{{else}}<h1>Autorizar pagamento</h1><dl class="order"><dd class="amount">{{.Amount}} EUR</dd><dt>Para</dt><dd>{{.Label}}</dd></dl>
<form method="post" class="actions"><input type="hidden" name="payment" value="{{.ID}}"><button class="btn" name="decision" value="approve" type="submit">Autorizar</button><button class="btn secondary" name="decision" value="deny" type="submit">Recusar</button></form>{{end}}
</main></div></body></html>`))

func (f *Fake) sca(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	f.mu.Lock()
	p := f.payments[r.Form.Get("payment")]
	if p == nil || p.status != "RCVD" || p.redirect == "" {
		f.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(400)
		scaTmpl.Execute(w, map[string]any{"Error": "No payment waiting for authorisation."})
		return
	}
	if r.Method == "POST" {
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
	}
	v := map[string]any{"Amount": p.amount, "Label": p.label, "ID": p.id}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	scaTmpl.Execute(w, v)
}
