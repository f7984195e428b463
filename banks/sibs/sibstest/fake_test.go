package sibstest

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"paybybank/banks/httpsig"
)

const (
	clientID    = "client-1"
	redirectURI = "https://shop.example/return?p=1"
	seedLayout  = "2006-01-02T15:04:05.000"
)

// rig is a fake behind an httptest server and a TPP that signs as the gateway wants.
type rig struct {
	t    *testing.T
	fake *Fake
	srv  *httptest.Server
	cert *x509.Certificate
	key  *rsa.PrivateKey
}

func newRig(t *testing.T, forms Forms) *rig {
	t.Helper()
	cert, key, err := httpsig.NewTestCertificate("TPP Teste")
	if err != nil {
		t.Fatal(err)
	}
	f := New(clientID)
	f.Forms = forms
	f.Trust(cert)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	f.PageURL = srv.URL
	return &rig{t: t, fake: f, srv: srv, cert: cert, key: key}
}

// call is one request; edit changes headers before signing, after changes the signed request.
type call struct {
	method, path string
	body         string
	edit         func(h http.Header)
	after        func(r *http.Request)
}

func (g *rig) do(c call) (*http.Response, map[string]any) {
	g.t.Helper()
	target := c.path
	if strings.HasPrefix(target, "/") {
		target = g.srv.URL + target
	}
	req, err := http.NewRequest(c.method, target, strings.NewReader(c.body))
	if err != nil {
		g.t.Fatal(err)
	}
	req.Header.Set("x-ibm-client-id", clientID)
	req.Header.Set("X-Request-ID", uuid.NewString())
	req.Header.Set("Date", time.Now().UTC().Format(seedLayout))
	req.Header.Set("PSU-IP-Address", "192.0.2.10")
	if c.method != "GET" {
		req.Header.Set("TPP-Redirect-URI", redirectURI)
	}
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.edit != nil {
		c.edit(req.Header)
	}
	if err := httpsig.Sign(req, []byte(c.body), g.key, g.cert, time.Now()); err != nil {
		g.t.Fatal(err)
	}
	if c.after != nil {
		c.after(req)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(data) > 0 {
		if err := json.Unmarshal(data, &out); err != nil {
			g.t.Fatalf("%s %s: answer is not JSON: %s", c.method, c.path, data)
		}
	}
	return resp, out
}

const (
	tsuBody = `{"instructedAmount":{"currency":"EUR","amount":"125.40"},"socialSecurityAccountCode":"SSMN","taxpayerIdentificationNumber":"509999990","referencePeriod":"202405"}`
	sctBody = `{"instructedAmount":{"currency":"EUR","amount":"10.00"},"creditorAccount":{"iban":"PT50000201231234567890154"},"creditorName":"Loja"}`
	tsuPath = "/BTST/v1-0-4/tsu-payments/tsu-payments"
	sctPath = "/BOTP/v1-0-4/payments/sepa-credit-transfers"
)

// code is the first tppMessages code of an error answer.
func code(out map[string]any) string {
	msgs, _ := out["tppMessages"].([]any)
	if len(msgs) == 0 {
		return ""
	}
	m, _ := msgs[0].(map[string]any)
	s, _ := m["code"].(string)
	return s
}

// href reads a link in either documented form.
func href(t *testing.T, links any, name string) string {
	t.Helper()
	m, _ := links.(map[string]any)
	switch v := m[name].(type) {
	case string:
		return v
	case map[string]any:
		s, _ := v["href"].(string)
		return s
	}
	t.Fatalf("no link %q in %v", name, links)
	return ""
}

func (g *rig) create(path, body string) map[string]any {
	g.t.Helper()
	resp, out := g.do(call{method: "POST", path: path, body: body})
	if resp.StatusCode != 201 {
		g.t.Fatalf("create %s: %d %v", path, resp.StatusCode, out)
	}
	return out
}

func TestRejects(t *testing.T) {
	withBody := func(old, new string) string { return strings.Replace(tsuBody, old, new, 1) }
	cases := []struct {
		name string
		// setup, when set, creates a payment and returns the call to make on it.
		setup    func(g *rig) call
		call     call
		status   int
		wantCode string
	}{
		{name: "wrong client id", call: call{method: "GET", path: "/sibs/v1-0-2/available-aspsp", edit: func(h http.Header) { h.Set("x-ibm-client-id", "other") }}, status: 401, wantCode: "CONSENT_UNKNOWN"},
		{name: "HTTP Date instead of the seed's form", call: call{method: "POST", path: tsuPath, body: tsuBody, edit: func(h http.Header) { h.Set("Date", time.Now().UTC().Format(http.TimeFormat)) }}, status: 400, wantCode: "TIMESTAMP_INVALID"},
		{name: "Date with a zone", call: call{method: "POST", path: tsuPath, body: tsuBody, edit: func(h http.Header) { h.Set("Date", time.Now().UTC().Format(seedLayout)+"Z") }}, status: 400, wantCode: "TIMESTAMP_INVALID"},
		{name: "Date without milliseconds", call: call{method: "GET", path: tsuPath + "/x/status", edit: func(h http.Header) { h.Set("Date", time.Now().UTC().Format("2006-01-02T15:04:05")) }}, status: 400, wantCode: "TIMESTAMP_INVALID"},
		{name: "stale Date", call: call{method: "POST", path: tsuPath, body: tsuBody, edit: func(h http.Header) { h.Set("Date", time.Now().UTC().Add(-15*time.Hour).Format(seedLayout)) }}, status: 400, wantCode: "TIMESTAMP_INVALID"},
		{name: "body changed after signing", call: call{method: "POST", path: tsuPath, body: tsuBody, after: func(r *http.Request) {
			r.Body = io.NopCloser(bytes.NewReader([]byte(withBody("125.40", "925.40"))))
		}}, status: 401, wantCode: "CONSENT_INVALID"},
		{name: "no signature", call: call{method: "POST", path: tsuPath, body: tsuBody, after: func(r *http.Request) { r.Header.Del("Signature") }}, status: 401, wantCode: "CONSENT_INVALID"},
		{name: "X-Request-ID not a UUID", call: call{method: "POST", path: tsuPath, body: tsuBody, edit: func(h http.Header) { h.Set("X-Request-ID", "42") }}, status: 400, wantCode: "TRANSACTION_ID_INVALID"},
		{name: "no PSU-IP-Address", call: call{method: "POST", path: tsuPath, body: tsuBody, edit: func(h http.Header) { h.Del("PSU-IP-Address") }}, status: 400, wantCode: "PAYMENT_FAILED"},
		{name: "PSU-Geo-Location off pattern", call: call{method: "POST", path: tsuPath, body: tsuBody, edit: func(h http.Header) { h.Set("PSU-Geo-Location", "38.7,-9.1") }}, status: 400, wantCode: "PAYMENT_FAILED"},
		{name: "unknown bank", call: call{method: "POST", path: "/XXXX/v1-0-4/tsu-payments/tsu-payments", body: tsuBody}, status: 404, wantCode: "RESOURCE_UNIKNOWN"},
		{name: "tsu-payments with another product", call: call{method: "POST", path: "/BTST/v1-0-4/tsu-payments/sepa-credit-transfers", body: tsuBody}, status: 404, wantCode: "PRODUCT_UNKNOWN"},
		{name: "unknown payments product", call: call{method: "POST", path: "/BTST/v1-0-4/payments/sepa-debits", body: sctBody}, status: 404, wantCode: "PRODUCT_UNKNOWN"},
		{name: "create without TPP-Redirect-URI and no preference", call: call{method: "POST", path: sctPath, body: sctBody, edit: func(h http.Header) { h.Del("TPP-Redirect-URI") }}, status: 400, wantCode: "PAYMENT_FAILED"},
		{name: "create without TPP-Redirect-URI, preference true", call: call{method: "POST", path: sctPath, body: sctBody, edit: func(h http.Header) { h.Del("TPP-Redirect-URI"); h.Set("TPP-Redirect-Preferred", "true") }}, status: 400, wantCode: "PAYMENT_FAILED"},
		{name: "redirect-only bank without TPP-Redirect-URI", call: call{method: "POST", path: tsuPath, body: tsuBody, edit: func(h http.Header) { h.Del("TPP-Redirect-URI"); h.Set("TPP-Redirect-Preferred", "false") }}, status: 400, wantCode: "PAYMENT_FAILED"},
		{name: "TSU without referencePeriod", call: call{method: "POST", path: tsuPath, body: withBody(`,"referencePeriod":"202405"`, "")}, status: 400, wantCode: "PAYMENT_FAILED"},
		{name: "TSU without taxpayerIdentificationNumber", call: call{method: "POST", path: tsuPath, body: withBody(`"taxpayerIdentificationNumber":"509999990",`, "")}, status: 400, wantCode: "PAYMENT_FAILED"},
		{name: "TSU month 13", call: call{method: "POST", path: tsuPath, body: withBody("202405", "202413")}, status: 400, wantCode: "PERIOD_INVALID"},
		{name: "TSU unknown social security account", call: call{method: "POST", path: tsuPath, body: withBody("SSMN", "SSPT")}, status: 400, wantCode: "PAYMENT_FAILED"},
		{name: "TSU taxpayer number of 13", call: call{method: "POST", path: tsuPath, body: withBody("509999990", "5099999901234")}, status: 400, wantCode: "PAYMENT_FAILED"},
		{name: "TSU amount with a comma", call: call{method: "POST", path: tsuPath, body: withBody("125.40", "125,40")}, status: 400, wantCode: "PAYMENT_FAILED"},
		{name: "TSU amount as a number", call: call{method: "POST", path: tsuPath, body: withBody(`"125.40"`, "125.40")}, status: 400, wantCode: "PAYMENT_FAILED"},
		{name: "TSU amount with an extra field", call: call{method: "POST", path: tsuPath, body: withBody(`"amount":"125.40"`, `"amount":"125.40","value":1`)}, status: 400, wantCode: "PAYMENT_FAILED"},
		{name: "TSU debtor with iban and bban", call: call{method: "POST", path: tsuPath, body: withBody(`{"instructedAmount"`, `{"debtorAccount":{"iban":"PT50000201231234567890154","bban":"000201231234567890154"},"instructedAmount"`)}, status: 400, wantCode: "PAYMENT_FAILED"},
		{name: "TSU endToEndIdentification of 36", call: call{method: "POST", path: tsuPath, body: withBody(`{"instructedAmount"`, `{"endToEndIdentification":"`+strings.Repeat("x", 36)+`","instructedAmount"`)}, status: 400, wantCode: "PAYMENT_FAILED"},
		{name: "TSU requestedExecutionDate not yyyy-MM-dd", call: call{method: "POST", path: tsuPath, body: withBody(`{"instructedAmount"`, `{"requestedExecutionDate":"31-12-2024","instructedAmount"`)}, status: 400, wantCode: "PAYMENT_FAILED"},
		{name: "credit transfer without creditorName", call: call{method: "POST", path: sctPath, body: strings.Replace(sctBody, `,"creditorName":"Loja"`, "", 1)}, status: 400, wantCode: "PAYMENT_FAILED"},
		{name: "unknown payment", call: call{method: "GET", path: tsuPath + "/" + uuid.NewString()}, status: 404, wantCode: "RESOURCE_UNIKNOWN"},
		{name: "cancel without TPP-Redirect-URI", setup: func(g *rig) call {
			id := g.create(tsuPath, tsuBody)["paymentId"].(string)
			return call{method: "DELETE", path: tsuPath + "/" + id, edit: func(h http.Header) { h.Del("TPP-Redirect-URI") }}
		}, status: 400, wantCode: "PAYMENT_FAILED"},
		{name: "cancel without TPP-Redirect-URI, preference true", setup: func(g *rig) call {
			id := g.create(tsuPath, tsuBody)["paymentId"].(string)
			return call{method: "DELETE", path: tsuPath + "/" + id, edit: func(h http.Header) { h.Del("TPP-Redirect-URI"); h.Set("TPP-Redirect-Preferred", "true") }}
		}, status: 400, wantCode: "PAYMENT_FAILED"},
		{name: "cancel with another TPP-Redirect-URI", setup: func(g *rig) call {
			id := g.create(tsuPath, tsuBody)["paymentId"].(string)
			return call{method: "DELETE", path: tsuPath + "/" + id, edit: func(h http.Header) { h.Set("TPP-Redirect-URI", "https://other.example/") }}
		}, status: 400, wantCode: "PAYMENT_FAILED"},
		{name: "start authorisation not offered", setup: func(g *rig) call {
			id := g.create(sctPath, sctBody)["paymentId"].(string)
			return call{method: "POST", path: sctPath + "/" + id + "/authorisations"}
		}, status: 400, wantCode: "SCA_METHOD_UNKKNOWN"},
		{name: "OTP to a guessed Berlin Group path", setup: func(g *rig) call {
			id := g.create(sctPath, sctBody)["paymentId"].(string)
			return call{method: "PUT", path: sctPath + "/" + id + "/authorisations/" + uuid.NewString(), body: `{"scaAuthenticationData":"123456"}`}
		}, status: 405, wantCode: "PAYMENT_FAILED"},
		{name: "OTP to another authorisation", setup: func(g *rig) call {
			id := g.create(sctPath, sctBody)["paymentId"].(string)
			return call{method: "POST", path: sctPath + "/" + id + "/authorisations/" + uuid.NewString() + "/transaction-authorisation", body: `{"scaAuthenticationData":"123456"}`}
		}, status: 404, wantCode: "RESOURCE_UNIKNOWN"},
		{name: "OTP without scaAuthenticationData", setup: func(g *rig) call {
			out := g.create(sctPath, sctBody)
			return call{method: "POST", path: href(g.t, out["_links"], "startAuthorisationWithTransactionAuthorisation"), body: `{}`}
		}, status: 400, wantCode: "PAYMENT_FAILED"},
		{name: "OTP with an unknown field", setup: func(g *rig) call {
			out := g.create(sctPath, sctBody)
			return call{method: "POST", path: href(g.t, out["_links"], "startAuthorisationWithTransactionAuthorisation"), body: `{"scaAuthenticationData":"123456","otp":"123456"}`}
		}, status: 400, wantCode: "PAYMENT_FAILED"},
		{name: "scaStatus before the authorisation exists", setup: func(g *rig) call {
			out := g.create(sctPath, sctBody)
			link := href(g.t, out["_links"], "startAuthorisationWithTransactionAuthorisation")
			return call{method: "GET", path: strings.TrimSuffix(link, "/transaction-authorisation")}
		}, status: 404, wantCode: "RESOURCE_UNIKNOWN"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := newRig(t, Forms{})
			c := tc.call
			if tc.setup != nil {
				c = tc.setup(g)
			}
			resp, out := g.do(c)
			if resp.StatusCode != tc.status || code(out) != tc.wantCode {
				t.Errorf("got %d %q (%v), want %d %q", resp.StatusCode, code(out), out, tc.status, tc.wantCode)
			}
		})
	}
}

func TestRejectsReusedRequestID(t *testing.T) {
	g := newRig(t, Forms{})
	id := uuid.NewString()
	same := func(h http.Header) { h.Set("X-Request-ID", id) }
	if resp, out := g.do(call{method: "GET", path: "/sibs/v1-0-2/available-aspsp", edit: same}); resp.StatusCode != 200 {
		t.Fatalf("first: %d %v", resp.StatusCode, out)
	}
	if resp, out := g.do(call{method: "GET", path: "/sibs/v1-0-2/available-aspsp", edit: same}); resp.StatusCode != 400 || code(out) != "TRANSACTION_ID_INVALID" {
		t.Errorf("again: %d %v, want 400 TRANSACTION_ID_INVALID", resp.StatusCode, out)
	}
}

func TestRejectsUntrustedCertificate(t *testing.T) {
	g := newRig(t, Forms{})
	g.cert, g.key, _ = httpsig.NewTestCertificate("Someone Else")
	if resp, out := g.do(call{method: "POST", path: tsuPath, body: tsuBody}); resp.StatusCode != 401 || code(out) != "CONSENT_INVALID" {
		t.Errorf("got %d %v, want 401 CONSENT_INVALID", resp.StatusCode, out)
	}
}

// TestAccepts holds requests the seed allows that a stricter reading would refuse.
func TestAccepts(t *testing.T) {
	cases := []struct {
		name string
		call call
		want int
	}{
		{"TSU without debtorAccount", call{method: "POST", path: tsuPath, body: tsuBody}, 201},
		{"TSU with a debtor bban", call{method: "POST", path: tsuPath, body: strings.Replace(tsuBody, `{"instructedAmount"`, `{"debtorAccount":{"bban":"000201231234567890154"},"instructedAmount"`, 1)}, 201},
		{"TSU taxpayer number that is not digits", call{method: "POST", path: tsuPath, body: strings.Replace(tsuBody, "509999990", "PT509999990", 1)}, 201},
		{"TSU extra property", call{method: "POST", path: tsuPath, body: strings.Replace(tsuBody, `{"instructedAmount"`, `{"note":"x","instructedAmount"`, 1)}, 201},
		{"embedded bank without TPP-Redirect-URI, preference false", call{method: "POST", path: sctPath, body: sctBody, edit: func(h http.Header) { h.Del("TPP-Redirect-URI"); h.Set("TPP-Redirect-Preferred", "false") }}, 201},
		{"PSU-Geo-Location as the seed's default", call{method: "POST", path: tsuPath, body: tsuBody, edit: func(h http.Header) { h.Set("PSU-Geo-Location", "GEO:38.736946;-9.142685") }}, 201},
		{"bank list with an HTTP Date", call{method: "GET", path: "/sibs/v1-0-2/available-aspsp", edit: func(h http.Header) { h.Set("Date", time.Now().UTC().Format(http.TimeFormat)) }}, 200},
		{"Date in a zone ahead of UTC", call{method: "GET", path: "/sibs/v1-0-2/available-aspsp", edit: func(h http.Header) { h.Set("Date", time.Now().UTC().Add(9*time.Hour).Format(seedLayout)) }}, 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := newRig(t, Forms{})
			if resp, out := g.do(tc.call); resp.StatusCode != tc.want {
				t.Errorf("got %d %v, want %d", resp.StatusCode, out, tc.want)
			}
		})
	}
}

func TestCancelWithoutRedirectWhenNotPreferred(t *testing.T) {
	g := newRig(t, Forms{})
	id := g.create(tsuPath, tsuBody)["paymentId"].(string)
	resp, out := g.do(call{method: "DELETE", path: tsuPath + "/" + id, edit: func(h http.Header) { h.Del("TPP-Redirect-URI"); h.Set("TPP-Redirect-Preferred", "false") }})
	if resp.StatusCode != 200 || out["transactionStatus"] != "CANC" {
		t.Errorf("got %d %v, want 200 CANC", resp.StatusCode, out)
	}
}

// checkLinkForm checks every link of an answer is in the form Forms asks for.
func checkLinkForm(t *testing.T, f Forms, links any) {
	t.Helper()
	m, ok := links.(map[string]any)
	if !ok || len(m) == 0 {
		t.Fatalf("_links missing: %v", links)
	}
	for name, v := range m {
		_, isString := v.(string)
		if isString != f.LinksAsStrings {
			t.Errorf("link %s is %T, LinksAsStrings %v", name, v, f.LinksAsStrings)
		}
		if h := href(t, links, name); strings.HasPrefix(h, "http") != (f.AbsoluteLinks || strings.Contains(h, "/sca?")) {
			t.Errorf("link %s = %q, AbsoluteLinks %v", name, h, f.AbsoluteLinks)
		}
	}
}

func has(m map[string]any, k string) bool { _, ok := m[k]; return ok }

func TestFormsEmbedded(t *testing.T) {
	for _, tc := range AllForms() {
		t.Run(tc.Name, func(t *testing.T) {
			f := tc.Forms
			g := newRig(t, f)
			out := g.create(sctPath, sctBody)
			checkLinkForm(t, f, out["_links"])
			if has(out, "scaMethods") == f.NoScaMethods {
				t.Errorf("scaMethods present %v, NoScaMethods %v", has(out, "scaMethods"), f.NoScaMethods)
			}
			if has(out, "transactionFees") != f.OptionalFields || has(out, "psuMessage") != f.OptionalFields {
				t.Errorf("optional fields %v, OptionalFields %v", out, f.OptionalFields)
			}
			if links := out["_links"].(map[string]any); has(links, "self") != f.SelfStatusLinks || has(links, "status") != f.SelfStatusLinks {
				t.Errorf("self/status links %v, SelfStatusLinks %v", links, f.SelfStatusLinks)
			}
			withChallenge := out
			if f.StartFirst {
				if has(out, "chosenScaMethod") || has(out, "challengeData") {
					t.Errorf("StartFirst: challenge at creation: %v", out)
				}
				var resp *http.Response
				resp, withChallenge = g.do(call{method: "POST", path: href(t, out["_links"], "startAuthorisation")})
				if resp.StatusCode != 201 || withChallenge["scaStatus"] != "scaMethodSelected" {
					t.Fatalf("start: %d %v", resp.StatusCode, withChallenge)
				}
				checkLinkForm(t, f, withChallenge["_links"])
			}
			if !has(withChallenge, "chosenScaMethod") || has(withChallenge, "challengeData") == f.NoChallengeData {
				t.Errorf("chosenScaMethod/challengeData: %v, NoChallengeData %v", withChallenge, f.NoChallengeData)
			}
			if c, ok := withChallenge["challengeData"].(map[string]any); ok && c["additionalInformation"] != AdditionalInformation {
				t.Errorf("additionalInformation = %v", c["additionalInformation"])
			}
			otpLink := href(t, withChallenge["_links"], "startAuthorisationWithTransactionAuthorisation")
			resp, wrong := g.do(call{method: "POST", path: otpLink, body: `{"scaAuthenticationData":"000000"}`})
			if resp.StatusCode != 401 || code(wrong) != "CONSENT_INVALID" || has(wrong, "transactionStatus") == f.ErrorsWithoutStatus {
				t.Errorf("wrong OTP: %d %v", resp.StatusCode, wrong)
			}
			resp, right := g.do(call{method: "POST", path: otpLink, body: `{"scaAuthenticationData":"123456"}`})
			accepted := f.AcceptedStatus
			if accepted == "" {
				accepted = "ACSC"
			}
			if resp.StatusCode != 201 || right["transactionStatus"] != accepted || has(right, "scaStatus") == f.OTPWithoutScaStatus {
				t.Fatalf("OTP: %d %v", resp.StatusCode, right)
			}
			checkLinkForm(t, f, right["_links"])
			if resp, sca := g.do(call{method: "GET", path: href(t, right["_links"], "scaStatus")}); resp.StatusCode != 200 || sca["scaStatus"] != "finalised" {
				t.Errorf("scaStatus: %d %v", resp.StatusCode, sca)
			}
			if resp, st := g.do(call{method: "GET", path: href(t, right["_links"], "status")}); resp.StatusCode != 200 || st["transactionStatus"] != accepted || len(st) != 1 {
				t.Errorf("status: %d %v", resp.StatusCode, st)
			}
		})
	}
}

func TestFormsRedirect(t *testing.T) {
	for _, tc := range AllForms() {
		t.Run(tc.Name, func(t *testing.T) {
			f := tc.Forms
			g := newRig(t, f)
			for _, approve := range []bool{true, false} {
				out := g.create(tsuPath, tsuBody)
				checkLinkForm(t, f, out["_links"])
				id := out["paymentId"].(string)
				name := "redirect"
				if f.ScaRedirectLink {
					name = "scaRedirect"
				}
				links := out
				if f.RedirectViaStart {
					var resp *http.Response
					resp, links = g.do(call{method: "POST", path: href(t, out["_links"], "startAuthorisation")})
					if resp.StatusCode != 201 {
						t.Fatalf("start: %d %v", resp.StatusCode, links)
					}
					checkLinkForm(t, f, links["_links"])
				}
				page := href(t, links["_links"], name)
				if resp, err := http.Get(page); err != nil || resp.StatusCode != 200 {
					t.Fatalf("page %s: %v %v", page, resp, err)
				}
				if resp, err := http.Get(strings.Split(page, "&s=")[0]); err != nil || resp.StatusCode != 400 {
					t.Errorf("page without its secret: %v %v", resp, err)
				}
				decision := "deny"
				if approve {
					decision = "approve"
				}
				form := strings.NewReader("payment=" + id + "&s=" + strings.Split(page, "&s=")[1] + "&decision=" + decision)
				client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
				resp, err := client.Post(page, "application/x-www-form-urlencoded", form)
				if err != nil || resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "https://shop.example/return") {
					t.Fatalf("decision: %v %v", resp, err)
				}
				want := "RJCT"
				if approve {
					want = f.AcceptedStatus
					if want == "" {
						want = "ACSC"
					}
				}
				if _, st := g.do(call{method: "GET", path: tsuPath + "/" + id + "/status"}); st["transactionStatus"] != want {
					t.Errorf("status after %s: %v, want %s", decision, st, want)
				}
				_, got := g.do(call{method: "GET", path: tsuPath + "/" + id})
				for _, k := range []string{"transactionStatus", "paymentId", "debtorAccount", "instructedAmount", "socialSecurityAccountCode"} {
					if !has(got, k) {
						t.Errorf("payment read lacks required %s: %v", k, got)
					}
				}
				if has(got, "debtorName") != f.OptionalFields || has(got, "referencePeriod") != f.OptionalFields {
					t.Errorf("payment read %v, OptionalFields %v", got, f.OptionalFields)
				}
			}
		})
	}
}

func TestNokRedirect(t *testing.T) {
	for _, honour := range []bool{false, true} {
		g := newRig(t, Forms{NokRedirect: honour})
		resp, out := g.do(call{method: "POST", path: tsuPath, body: tsuBody, edit: func(h http.Header) { h.Set("TPP-Nok-Redirect-URI", "https://shop.example/nok") }})
		if resp.StatusCode != 201 {
			t.Fatalf("create: %d %v", resp.StatusCode, out)
		}
		page := href(t, out["_links"], "redirect")
		form := strings.NewReader("payment=" + out["paymentId"].(string) + "&s=" + strings.Split(page, "&s=")[1] + "&decision=deny")
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		r, err := client.Post(page, "application/x-www-form-urlencoded", form)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.HasPrefix(r.Header.Get("Location"), "https://shop.example/nok"); got != honour {
			t.Errorf("NokRedirect %v: Location %q", honour, r.Header.Get("Location"))
		}
	}
}

func TestFormsCancel(t *testing.T) {
	for _, tc := range AllForms() {
		t.Run(tc.Name, func(t *testing.T) {
			g := newRig(t, tc.Forms)
			id := g.create(tsuPath, tsuBody)["paymentId"].(string)
			resp, out := g.do(call{method: "DELETE", path: tsuPath + "/" + id})
			switch {
			case tc.Forms.CancelNoContent && (resp.StatusCode != 204 || out != nil):
				t.Errorf("cancel: %d %v, want 204 and no body", resp.StatusCode, out)
			case !tc.Forms.CancelNoContent && (resp.StatusCode != 200 || out["transactionStatus"] != "CANC"):
				t.Errorf("cancel: %d %v, want 200 CANC", resp.StatusCode, out)
			}
			if _, st := g.do(call{method: "GET", path: tsuPath + "/" + id + "/status"}); st["transactionStatus"] != "CANC" {
				t.Errorf("status after cancel: %v", st)
			}
			if resp, out := g.do(call{method: "DELETE", path: tsuPath + "/" + id}); resp.StatusCode != 400 || code(out) != "PAYMENT_FAILED" {
				t.Errorf("second cancel: %d %v", resp.StatusCode, out)
			}
		})
	}
}
