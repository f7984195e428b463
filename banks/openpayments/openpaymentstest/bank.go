package openpaymentstest

import (
	"html/template"
	"net/http"
	"net/url"
	"time"

	"paybybank/i18n"
)

func urlEscape(s string) string { return url.QueryEscape(s) }

// bankPageTmpl is the simulated bank's SCA page. It is deliberately plain and self-contained:
// it stands in for a bank's own site, not for our checkout. It speaks the browser's language, as a
// bank's site does, and asks what is asked: a payment, or access to the list of accounts.
var bankPageTmpl = template.Must(template.New("bank").Parse(`<!doctype html>
<html lang="{{.L.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.L.Fill "sandbox.title" "name" .Bank}}</title>
<link rel="stylesheet" href="style.css"></head>
<body><main><p class="tag">{{.L.Fill "sandbox.bank" "bank" .Bank}}</p>
{{if .Error}}<h1>{{.L.T "sandbox.cannot"}}</h1><p class="err">{{.Error}}</p>{{else if .Consent}}
<h1>{{.L.T "sandbox.consent.heading"}}</h1>
<p>{{.L.Fill "sandbox.consent.text" "tpp" .TPP "bank" .Bank}}</p>
<dl><dt>{{.L.T "sandbox.consent.for"}}</dt><dd>{{.TPP}}</dd>{{if .ValidUntil}}<dt>{{.L.T "sandbox.consent.until"}}</dt><dd>{{.ValidUntil}}</dd>{{end}}</dl>
<form method="post" action="">
<input type="hidden" name="authorisationId" value="{{.AuthID}}"><input type="hidden" name="redirect_uri" value="{{.RedirectURI}}"><input type="hidden" name="state" value="{{.State}}">
<button class="ok" name="decision" value="approve" type="submit">{{.L.T "sandbox.consent.approve"}}</button>
<button class="no" name="decision" value="deny" type="submit">{{.L.T "sandbox.consent.deny"}}</button>
</form>{{else}}
<h1>{{.L.T "sandbox.pay.heading"}}</h1>
<dl><dt>{{.L.T "order.to"}}</dt><dd>{{.Creditor}}</dd><dt>{{.L.T "order.amount"}}</dt><dd>{{.Amount}}</dd><dt>{{.L.T "order.reference"}}</dt><dd>{{.Reference}}</dd></dl>
<form method="post" action="">
<input type="hidden" name="authorisationId" value="{{.AuthID}}"><input type="hidden" name="redirect_uri" value="{{.RedirectURI}}"><input type="hidden" name="state" value="{{.State}}">
<button class="ok" name="decision" value="approve" type="submit">{{.L.T "sandbox.approve"}}</button>
<button class="no" name="decision" value="deny" type="submit">{{.L.T "sandbox.deny"}}</button>
<button class="no" name="decision" value="reject" type="submit">{{.L.T "sandbox.reject"}}</button>
</form>{{end}}</main></body></html>`))

// bankCSS styles the simulated bank page; it is served as a file because our CSP forbids inline styles.
const bankCSS = `body{font:16px/1.5 system-ui,sans-serif;background:#0b3a5b;color:#1d1d1d;margin:0;padding:16px}
main{max-width:420px;margin:24px auto;background:#fff;border-radius:12px;padding:24px}
h1{font-size:1.3rem;margin:0 0 4px}.tag{color:#555;font-size:.85rem}dl{display:grid;grid-template-columns:auto 1fr;gap:4px 12px}
dt{color:#555}dd{margin:0;font-weight:600}button{display:block;width:100%;min-height:48px;margin:8px 0;font-size:1rem;border-radius:8px;border:2px solid #0b3a5b;cursor:pointer}
.ok{background:#0b3a5b;color:#fff}.no{background:#fff;color:#0b3a5b}.err{color:#a00000}`

func (f *Fake) bankStyle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css")
	w.Write([]byte(bankCSS))
}

type bankPage struct {
	L                                                             *i18n.Localizer
	Bank, Creditor, Amount, Reference, AuthID, RedirectURI, State string
	Error                                                         string
	// Consent: the shopper is asked for access to the list of their accounts, by TPP (the
	// client, as the bank knows it), until ValidUntil.
	Consent         bool
	TPP, ValidUntil string
}

func (f *Fake) bankPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	l := i18n.ForRequest(r)
	v := bankPage{L: l, AuthID: q.Get("authorisationId"), RedirectURI: q.Get("redirect_uri"), State: q.Get("state"), Bank: "Open Payments"}
	a := f.auths[v.AuthID]
	switch {
	case q.Get("client_id") != f.ClientID:
		v.Error = "Unknown client_id."
	case !contains(f.RedirectURIs, v.RedirectURI):
		v.Error = "The redirect_uri is not registered for this client."
	case a == nil || a.paymentID != q.Get("paymentId") || a.approach != "redirect":
		v.Error = "No such payment authorisation."
	case a.scaStatus != "scaMethodSelected":
		v.Error = "This payment authorisation has already been used."
	default:
		p := f.payments[a.paymentID]
		v.Bank = f.banks[p.bic].Name
		if p.product == "consent" {
			v.Consent, v.TPP = true, f.ClientName
			if until, err := time.Parse("2006-01-02", p.validUntil); err == nil {
				v.ValidUntil = l.Date(until)
			}
			break
		}
		v.Creditor, v.Amount = p.body.CreditorName, l.Amount(p.body.InstructedAmount.Amount, p.body.InstructedAmount.Currency)
		v.Reference = p.body.RemittanceInformationUnstructured
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if v.Error != "" {
		w.WriteHeader(http.StatusBadRequest)
	}
	bankPageTmpl.Execute(w, v)
}

func (f *Fake) bankDecision(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	decision := r.PostForm.Get("decision")
	f.mu.Lock()
	to, err := f.decide(r.PostForm.Get("authorisationId"), r.PostForm.Get("redirect_uri"), r.PostForm.Get("state"),
		decision == "approve" || decision == "reject", decision == "reject")
	f.mu.Unlock()
	if err != nil {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		bankPageTmpl.Execute(w, bankPage{L: i18n.ForRequest(r), Bank: "Open Payments", Error: err.Error()})
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}
