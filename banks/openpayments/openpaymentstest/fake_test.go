package openpaymentstest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// client talks to the fake with raw net/http, as the documents describe the calls.
type client struct {
	t    *testing.T
	srv  *httptest.Server
	fake *Fake
}

func newClient(t *testing.T, forms Forms) *client {
	t.Helper()
	f := New("cid", "secret", nil)
	f.Forms = forms
	f.RedirectURIs = []string{"https://shop.example/return"}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return &client{t: t, srv: srv, fake: f}
}

func (c *client) token(scope string) string {
	c.t.Helper()
	form := url.Values{"client_id": {"cid"}, "client_secret": {"secret"}, "grant_type": {"client_credentials"}, "scope": {scope}}
	resp, err := http.PostForm(c.srv.URL+"/connect/token", form)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&tok) != nil || tok.AccessToken == "" {
		c.t.Fatalf("token %q: status %d", scope, resp.StatusCode)
	}
	return tok.AccessToken
}

// do sends one API call with the headers the seed lists (Authorization, X-Request-ID, X-BicFi, PSU-IP-Address,
// PSU-User-Agent, Content-Type); edit may change them before it is sent.
func (c *client) do(method, path, token, bic, body string, edit func(*http.Request)) (*http.Response, []byte) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-Request-ID", uuid.NewString())
	if bic != "" {
		req.Header.Set("X-BicFi", bic)
	}
	req.Header.Set("PSU-IP-Address", "192.168.8.78")
	req.Header.Set("PSU-User-Agent", "Mozilla/5.0")
	req.Header.Set("Accept", "application/json")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if edit != nil {
		edit(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// A payment ESSESESS (SEB, decoupled, IBAN accounts) accepts.
const sebPayment = `{"instructedAmount":{"currency":"SEK","amount":"100.50"},"creditorName":"Shop AB",
"creditorAccount":{"iban":"SE3550000000054910000003","currency":"SEK"},"debtorAccount":{"iban":"SE7160000000000123456789","currency":"SEK"},
"remittanceInformationUnstructured":"Order 1"}`

const sebBase = "/psd2/paymentinitiation/v1/payments/domestic"

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not a JSON object: %s", b)
	}
	return m
}

// errorCode reads the code of either documented error form.
func errorCode(t *testing.T, resp *http.Response, b []byte) (form, code string) {
	t.Helper()
	m := decode(t, b)
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		code, _ := m["code"].(string)
		return "problem", code
	}
	msgs, _ := m["tppMessages"].([]any)
	if len(msgs) != 1 {
		t.Fatalf("no tppMessages: %s", b)
	}
	code, _ = msgs[0].(map[string]any)["code"].(string)
	return "tpp", code
}

// create makes a payment at SEB and returns its id.
func (c *client) create(tok string) string {
	c.t.Helper()
	resp, b := c.do("POST", sebBase, tok, "ESSESESS", sebPayment, nil)
	if resp.StatusCode != 201 {
		c.t.Fatalf("create: %d %s", resp.StatusCode, b)
	}
	return decode(c.t, b)["paymentId"].(string)
}

func TestFakeRejects(t *testing.T) {
	c := newClient(t, Forms{})
	pis := c.token("paymentinitiation private")
	list := c.token("aspspinformation private")
	used := uuid.NewString()
	c.do("GET", "/psd2/aspspinformation/v1/aspsps", list, "", "", func(r *http.Request) { r.Header.Set("X-Request-ID", used) })
	paid := c.create(pis) // cancelled below, then no longer authorisable
	if resp, _ := c.do("DELETE", sebBase+"/"+paid, pis, "ESSESESS", "", nil); resp.StatusCode != 204 {
		t.Fatalf("cancel: %d", resp.StatusCode)
	}
	open := c.create(pis)
	resp, b := c.do("POST", sebBase+"/"+open+"/authorisations", pis, "ESSESESS", "{}", nil)
	authID := decode(t, b)["authorisationId"].(string)
	if resp.StatusCode != 201 {
		t.Fatalf("start: %d", resp.StatusCode)
	}
	withBody := func(s string) string { return strings.Replace(sebPayment, `"creditorName":"Shop AB"`, s, 1) }

	tests := []struct {
		name         string
		method, path string
		token, bic   string
		body         string
		edit         func(*http.Request)
		status       int
		code         string // "" when the document gives the status no body
	}{
		{"no token", "POST", sebBase, "", "ESSESESS", sebPayment, nil, 401, "TOKEN_INVALID"},
		{"token of another service", "POST", sebBase, list, "ESSESESS", sebPayment, nil, 401, "TOKEN_INVALID"},
		{"X-Request-ID not a UUID", "POST", sebBase, pis, "ESSESESS", sebPayment, func(r *http.Request) { r.Header.Set("X-Request-ID", "1") }, 400, "FORMAT_ERROR"},
		{"X-Request-ID reused", "GET", "/psd2/aspspinformation/v1/aspsps", list, "", "", func(r *http.Request) { r.Header.Set("X-Request-ID", used) }, 400, "FORMAT_ERROR"},
		{"X-BicFi missing", "POST", sebBase, pis, "", sebPayment, nil, 400, "FORMAT_ERROR"},
		{"X-BicFi malformed", "POST", sebBase, pis, "essesess", sebPayment, nil, 400, "FORMAT_ERROR"},
		{"PSU-IP-Address missing on create", "POST", sebBase, pis, "ESSESESS", sebPayment, func(r *http.Request) { r.Header.Del("PSU-IP-Address") }, 400, "FORMAT_ERROR"},
		{"PSU-IP-Address not an address", "GET", sebBase + "/" + open + "/status", pis, "ESSESESS", "", func(r *http.Request) { r.Header.Set("PSU-IP-Address", "shop") }, 400, "FORMAT_ERROR"},
		{"not JSON", "POST", sebBase, pis, "ESSESESS", sebPayment, func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, 415, ""},
		{"unknown product", "POST", "/psd2/paymentinitiation/v1/payments/instant", pis, "ESSESESS", sebPayment, nil, 404, "PRODUCT_UNKNOWN"},
		{"product the bank lacks", "POST", "/psd2/paymentinitiation/v1/payments/swedish-giro", pis, "ESSESESS", sebPayment, nil, 403, "PRODUCT_INVALID"},
		{"amount with three decimals", "POST", sebBase, pis, "ESSESESS", strings.Replace(sebPayment, `"100.50"`, `"100.505"`, 1), nil, 400, "FORMAT_ERROR"},
		{"amount as a number", "POST", sebBase, pis, "ESSESESS", strings.Replace(sebPayment, `"100.50"`, `100.5`, 1), nil, 400, "FORMAT_ERROR"},
		{"creditorName missing", "POST", sebBase, pis, "ESSESESS", withBody(`"x":"y"`), nil, 400, "FORMAT_ERROR"},
		{"creditorName over 70", "POST", sebBase, pis, "ESSESESS", withBody(`"creditorName":"` + strings.Repeat("a", 71) + `"`), nil, 400, "FORMAT_ERROR"},
		{"creditor iban malformed", "POST", sebBase, pis, "ESSESESS", strings.Replace(sebPayment, "SE3550000000054910000003", "se35", 1), nil, 400, "FORMAT_ERROR"},
		{"unknown payment", "GET", sebBase + "/nope/status", pis, "ESSESESS", "", nil, 404, "RESOURCE_UNKNOWN"},
		{"authorise a cancelled payment", "POST", sebBase + "/" + paid + "/authorisations", pis, "ESSESESS", "{}", nil, 409, "STATUS_INVALID"},
		{"unknown authorisation", "GET", sebBase + "/" + open + "/authorisations/nope", pis, "ESSESESS", "", nil, 404, "RESOURCE_UNKNOWN"},
		{"method not offered", "PUT", sebBase + "/" + open + "/authorisations/" + authID, pis, "ESSESESS", `{"authenticationMethodId":"sms"}`, nil, 400, "SCA_METHOD_UNKNOWN"},
		{"method missing", "PUT", sebBase + "/" + open + "/authorisations/" + authID, pis, "ESSESESS", `{}`, nil, 400, "FORMAT_ERROR"},
		{"unknown bank details", "GET", "/psd2/aspspinformation/v1/aspsps/AAAADEBBXXX", list, "", "", nil, 404, "RESOURCE_NOT_FOUND"},
		{"consent without combinedServiceIndicator", "POST", "/psd2/consent/v1/consents", c.token("accountinformation private"), "ESSESESS",
			`{"access":{"availableAccounts":"allAccounts"},"recurringIndicator":false,"validUntil":"2030-01-01","frequencyPerDay":1}`, nil, 400, "FORMAT_ERROR"},
		{"accounts under an unknown consent", "GET", "/psd2/accountinformation/v1/accounts", c.token("accountinformation private"), "ESSESESS", "",
			func(r *http.Request) { r.Header.Set("Consent-ID", "nope") }, 403, "CONSENT_UNKNOWN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := c.do(tt.method, tt.path, tt.token, tt.bic, tt.body, tt.edit)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, b)
			}
			if tt.code == "" {
				if len(b) != 0 {
					t.Fatalf("the document gives %d no body; got %s", tt.status, b)
				}
				return
			}
			if _, code := errorCode(t, resp, b); code != tt.code {
				t.Fatalf("code %q, want %q: %s", code, tt.code, b)
			}
		})
	}
}

func TestFakeRejectsCancelAfterSCA(t *testing.T) {
	c := newClient(t, Forms{})
	pis := c.token("paymentinitiation private")
	id := c.create(pis)
	_, b := c.do("POST", sebBase+"/"+id+"/authorisations", pis, "ESSESESS", "{}", nil)
	auth := decode(t, b)["authorisationId"].(string)
	c.do("PUT", sebBase+"/"+id+"/authorisations/"+auth, pis, "ESSESESS", `{"authenticationMethodId":"mbid_same_device"}`, nil)
	_, b = c.do("GET", sebBase+"/"+id+"/authorisations/"+auth, pis, "ESSESESS", "", nil)
	token := decode(t, b)["challengeData"].(map[string]any)["data"].([]any)[0].(string)
	ord, err := c.fake.Autostart(token)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.fake.Sign(ord.Ref, true); err != nil {
		t.Fatal(err)
	}
	resp, b := c.do("DELETE", sebBase+"/"+id, pis, "ESSESESS", "", nil)
	if _, code := errorCode(t, resp, b); resp.StatusCode != 405 || code != "CANCELLATION_INVALID" {
		t.Fatalf("cancel after SCA: %d %s", resp.StatusCode, b)
	}
	if resp, b := c.do("PUT", sebBase+"/"+id+"/authorisations/"+auth, pis, "ESSESESS", `{"authenticationMethodId":"mbid"}`, nil); resp.StatusCode != 409 {
		t.Fatalf("second method selection: %d %s", resp.StatusCode, b)
	}
}

func TestFakeToken(t *testing.T) {
	c := newClient(t, Forms{})
	tests := []struct {
		name   string
		form   url.Values
		ctype  string
		status int
	}{
		{"payments private", url.Values{"client_id": {"cid"}, "client_secret": {"secret"}, "grant_type": {"client_credentials"}, "scope": {"paymentinitiation private"}}, "application/x-www-form-urlencoded", 200},
		{"bank list corporate", url.Values{"client_id": {"cid"}, "client_secret": {"secret"}, "grant_type": {"client_credentials"}, "scope": {"aspspinformation corporate"}}, "application/x-www-form-urlencoded", 200},
		{"scope without context", url.Values{"client_id": {"cid"}, "client_secret": {"secret"}, "grant_type": {"client_credentials"}, "scope": {"paymentinitiation"}}, "application/x-www-form-urlencoded", 400},
		{"wrong secret", url.Values{"client_id": {"cid"}, "client_secret": {"x"}, "grant_type": {"client_credentials"}, "scope": {"paymentinitiation private"}}, "application/x-www-form-urlencoded", 401},
		{"JSON body", nil, "application/json", 400},
		{"unknown code", url.Values{"client_id": {"cid"}, "client_secret": {"secret"}, "grant_type": {"authorization_code"}, "code": {"x"}, "scope": {"paymentinitiation"}}, "application/x-www-form-urlencoded", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.form.Encode()
			if tt.form == nil {
				body = `{"client_id":"cid"}`
			}
			resp, err := http.Post(c.srv.URL+"/connect/token", tt.ctype, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
		})
	}
}

// TestFakeRedirectCodeExchange runs the seed's redirect approach: scaOAuth with its placeholders, the bank's
// answer, and the code exchange with X-PaymentId and X-PaymentAuthorisationId.
func TestFakeRedirectCodeExchange(t *testing.T) {
	c := newClient(t, Forms{})
	pis := c.token("paymentinitiation private")
	body := `{"instructedAmount":{"currency":"DKK","amount":"10"},"creditorName":"Shop","creditorAccount":{"iban":"DK5000400440116243","currency":"DKK"}}`
	var bic string
	for _, b := range DefaultBanks() {
		if b.BIC == "DABASESX" {
			bic = b.BIC
		}
	}
	if bic == "" {
		t.Skip("no Danske Bank profile")
	}
	resp, b := c.do("POST", sebBase, pis, bic, strings.Replace(body, "DKK", "SEK", -1), nil)
	if resp.StatusCode != 201 {
		t.Skipf("Danske payment refused by its profile: %s", b)
	}
	id := decode(t, b)["paymentId"].(string)
	_, b = c.do("POST", sebBase+"/"+id+"/authorisations", pis, bic, "{}", nil)
	auth := decode(t, b)["authorisationId"].(string)
	resp, b = c.do("PUT", sebBase+"/"+id+"/authorisations/"+auth, pis, bic, `{"authenticationMethodId":"oauth_redirect"}`, nil)
	if resp.Header.Get("ASPSP-SCA-Approach") != "REDIRECT" {
		t.Fatalf("approach %q", resp.Header.Get("ASPSP-SCA-Approach"))
	}
	href := decode(t, b)["_links"].(map[string]any)["scaOAuth"].(map[string]any)["href"].(string)
	for _, p := range []string{"[CLIENT_ID]", "[TPP_REDIRECT_URI]", "[TPP_STATE]"} {
		if !strings.Contains(href, p) {
			t.Fatalf("scaOAuth %q lacks %s", href, p)
		}
	}
	back, err := c.fake.Decide(auth, "https://shop.example/return", "st", true)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(back)
	exchange := func(paymentID string) int {
		form := url.Values{"client_id": {"cid"}, "client_secret": {"secret"}, "grant_type": {"authorization_code"}, "code": {u.Query().Get("code")},
			"redirect_uri": {"https://shop.example/return"}, "scope": {u.Query().Get("scope")}}
		req, _ := http.NewRequest("POST", c.srv.URL+"/connect/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-PaymentId", paymentID)
		req.Header.Set("X-PaymentAuthorisationId", auth)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := exchange("another"); st != 400 {
		t.Fatalf("exchange with the wrong X-PaymentId: %d", st)
	}
	if st := exchange(id); st != 200 {
		t.Fatalf("exchange: %d", st)
	}
	if st := c.fake.TransactionStatus(id); st == "RCVD" {
		t.Fatalf("payment still %s after the exchange", st)
	}
}

// TestFakeForms checks that each switch of Forms changes the answer as its document allows.
func TestFakeForms(t *testing.T) {
	// flow creates a payment at SEB, starts an authorisation and selects the QR method, returning every answer.
	type answers struct {
		created, started, selected, polled, status, cancel map[string]any
		listRaw                                            []byte
		selectedResp, cancelResp                           *http.Response
		errResp                                            *http.Response
		errBody                                            []byte
	}
	flow := func(t *testing.T, forms Forms) answers {
		c := newClient(t, forms)
		var a answers
		pis := c.token("paymentinitiation private")
		_, a.listRaw = c.do("GET", "/psd2/aspspinformation/v1/aspsps?isoCountryCodes=SE", c.token("aspspinformation private"), "", "", nil)
		_, b := c.do("POST", sebBase, pis, "ESSESESS", sebPayment, nil)
		a.created = decode(t, b)
		id := a.created["paymentId"].(string)
		_, b = c.do("POST", sebBase+"/"+id+"/authorisations", pis, "ESSESESS", "{}", nil)
		a.started = decode(t, b)
		auth := a.started["authorisationId"].(string)
		a.selectedResp, b = c.do("PUT", sebBase+"/"+id+"/authorisations/"+auth, pis, "ESSESESS", `{"authenticationMethodId":"mbid_animated_qr_token"}`, nil)
		a.selected = decode(t, b)
		_, b = c.do("GET", sebBase+"/"+id+"/authorisations/"+auth, pis, "ESSESESS", "", nil)
		a.polled = decode(t, b)
		_, b = c.do("GET", sebBase+"/"+id+"/status", pis, "ESSESESS", "", nil)
		a.status = decode(t, b)
		a.errResp, a.errBody = c.do("GET", sebBase+"/nope/status", pis, "ESSESESS", "", nil)
		a.cancelResp, b = c.do("DELETE", sebBase+"/"+id, pis, "ESSESESS", "", nil)
		if len(b) > 0 {
			a.cancel = decode(t, b)
		}
		return a
	}
	linkOf := func(m map[string]any, name string) string {
		l, _ := m["_links"].(map[string]any)[name].(map[string]any)
		s, _ := l["href"].(string)
		return s
	}
	tests := []struct {
		name  string
		forms Forms
		check func(t *testing.T, a answers)
	}{
		{"default", Forms{}, func(t *testing.T, a answers) {
			var list []map[string]any
			if err := json.Unmarshal(a.listRaw, &list); err != nil || len(list) == 0 {
				t.Fatalf("bank list not a bare array: %s", a.listRaw)
			}
			if _, err := uuid.Parse(list[0]["id"].(string)); err != nil || list[0]["bicFi"] == "" {
				t.Fatalf("bank list item: %v", list[0])
			}
			if h := linkOf(a.created, "startAuthorisation"); !strings.HasPrefix(h, "/psd2/") {
				t.Fatalf("startAuthorisation %q", h)
			}
			if linkOf(a.started, "authoriseTransaction") == "" {
				t.Fatalf("no authoriseTransaction: %v", a.started)
			}
			if a.selectedResp.Header.Get("ASPSP-SCA-Approach") != "DECOUPLED" {
				t.Fatal("no ASPSP-SCA-Approach: DECOUPLED")
			}
			if d, ok := a.polled["challengeData"].(map[string]any)["data"].([]any); !ok || !strings.HasPrefix(d[0].(string), "bankid.") {
				t.Fatalf("poll challengeData: %v", a.polled)
			}
			if _, ok := a.status["scaStatus"]; ok || a.status["transactionStatus"] != "RCVD" {
				t.Fatalf("status: %v", a.status)
			}
			if form, _ := errorCode(t, a.errResp, a.errBody); form != "tpp" {
				t.Fatalf("404 form %s", form)
			}
			if a.cancelResp.StatusCode != 204 {
				t.Fatalf("cancel %d", a.cancelResp.StatusCode)
			}
		}},
		{"bank list wrapped", Forms{BankListWrapped: true}, func(t *testing.T, a answers) {
			var wrapped struct {
				ASPSPs []map[string]any `json:"aspsps"`
			}
			if err := json.Unmarshal(a.listRaw, &wrapped); err != nil || len(wrapped.ASPSPs) == 0 {
				t.Fatalf("bank list not wrapped: %s", a.listRaw)
			}
		}},
		{"absolute links", Forms{AbsoluteLinks: true}, func(t *testing.T, a answers) {
			for _, h := range []string{linkOf(a.created, "self"), linkOf(a.created, "startAuthorisation"), linkOf(a.started, "authoriseTransaction")} {
				if !strings.HasPrefix(h, "http://") {
					t.Fatalf("link %q not absolute", h)
				}
			}
		}},
		{"challenge data string", Forms{ChallengeDataString: true}, func(t *testing.T, a answers) {
			for _, m := range []map[string]any{a.selected, a.polled} {
				if d, ok := m["challengeData"].(map[string]any)["data"].(string); !ok || !strings.HasPrefix(d, "bankid.") {
					t.Fatalf("challengeData.data not a string: %v", m)
				}
			}
		}},
		{"no SCA approach header", Forms{NoSCAApproachHeader: true}, func(t *testing.T, a answers) {
			if v := a.selectedResp.Header.Get("ASPSP-SCA-Approach"); v != "" || a.selected["challengeData"] == nil {
				t.Fatalf("header %q, body %v", v, a.selected)
			}
		}},
		{"SCA status only", Forms{SCAStatusOnly: true}, func(t *testing.T, a answers) {
			if len(a.polled) != 1 || a.polled["scaStatus"] != "authenticationStarted" {
				t.Fatalf("poll: %v", a.polled)
			}
		}},
		{"start links select method", Forms{StartLinks: StartLinksSelectMethod}, func(t *testing.T, a answers) {
			if linkOf(a.started, "selectAuthenticationMethod") == "" || linkOf(a.started, "authoriseTransaction") != "" {
				t.Fatalf("links: %v", a.started["_links"])
			}
		}},
		{"start links scaStatus only", Forms{StartLinks: StartLinksSCAStatusOnly}, func(t *testing.T, a answers) {
			if l := a.started["_links"].(map[string]any); len(l) != 1 || linkOf(a.started, "scaStatus") == "" {
				t.Fatalf("links: %v", l)
			}
		}},
		{"start with PSU identification", Forms{StartWithPSUIdentification: true}, func(t *testing.T, a answers) {
			if linkOf(a.created, "startAuthorisationWithPsuIdentification") == "" || linkOf(a.created, "startAuthorisation") != "" {
				t.Fatalf("links: %v", a.created["_links"])
			}
		}},
		{"cancel needs authorisation", Forms{CancelNeedsAuthorisation: true}, func(t *testing.T, a answers) {
			if a.cancelResp.StatusCode != 202 || a.cancel["transactionStatus"] == nil || !strings.HasSuffix(linkOf(a.cancel, "startAuthorisation"), "/cancellation-authorisations") {
				t.Fatalf("cancel %d %v", a.cancelResp.StatusCode, a.cancel)
			}
		}},
		{"status with SCA status", Forms{StatusWithSCAStatus: true}, func(t *testing.T, a answers) {
			if a.status["scaStatus"] != "authenticationStarted" {
				t.Fatalf("status: %v", a.status)
			}
		}},
		{"errors problem", Forms{Errors: ErrorsProblem}, func(t *testing.T, a answers) {
			if form, code := errorCode(t, a.errResp, a.errBody); form != "problem" || code != "RESOURCE_UNKNOWN" {
				t.Fatalf("404: %s %s", form, a.errBody)
			}
		}},
		{"errors tppMessages", Forms{Errors: ErrorsTPPMessages}, func(t *testing.T, a answers) {
			if form, code := errorCode(t, a.errResp, a.errBody); form != "tpp" || code != "RESOURCE_UNKNOWN" {
				t.Fatalf("404: %s %s", form, a.errBody)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.check(t, flow(t, tt.forms)) })
	}
}

// TestFakeTokenErrorForms checks the token errors of API calls follow Forms.Errors too.
func TestFakeTokenErrorForms(t *testing.T) {
	for _, tt := range []struct {
		forms Forms
		form  string
	}{{Forms{}, "problem"}, {Forms{Errors: ErrorsTPPMessages}, "tpp"}, {Forms{Errors: ErrorsProblem}, "problem"}} {
		c := newClient(t, tt.forms)
		resp, b := c.do("POST", sebBase, "nope", "ESSESESS", sebPayment, nil)
		if form, code := errorCode(t, resp, b); resp.StatusCode != 401 || form != tt.form || code != "TOKEN_INVALID" {
			t.Fatalf("%+v: %d %s %s", tt.forms, resp.StatusCode, form, b)
		}
	}
}

// TestAllForms checks every alternative of Forms appears in AllForms.
func TestAllForms(t *testing.T) {
	var seen Forms
	names := map[string]bool{}
	for _, nf := range AllForms() {
		if names[nf.Name] {
			t.Fatalf("duplicate name %q", nf.Name)
		}
		names[nf.Name] = true
		f := nf.Forms
		seen.BankListWrapped = seen.BankListWrapped || f.BankListWrapped
		seen.AbsoluteLinks = seen.AbsoluteLinks || f.AbsoluteLinks
		seen.ChallengeDataString = seen.ChallengeDataString || f.ChallengeDataString
		seen.NoSCAApproachHeader = seen.NoSCAApproachHeader || f.NoSCAApproachHeader
		seen.SCAStatusOnly = seen.SCAStatusOnly || f.SCAStatusOnly
		seen.StartWithPSUIdentification = seen.StartWithPSUIdentification || f.StartWithPSUIdentification
		seen.CancelNeedsAuthorisation = seen.CancelNeedsAuthorisation || f.CancelNeedsAuthorisation
		seen.StatusWithSCAStatus = seen.StatusWithSCAStatus || f.StatusWithSCAStatus
	}
	if (seen != Forms{BankListWrapped: true, AbsoluteLinks: true, ChallengeDataString: true, NoSCAApproachHeader: true, SCAStatusOnly: true,
		StartWithPSUIdentification: true, CancelNeedsAuthorisation: true, StatusWithSCAStatus: true}) {
		t.Fatalf("an alternative is missing: %+v", seen)
	}
	for _, want := range []string{"start-links-select-method", "start-links-sca-status-only", "errors-tpp-messages", "errors-problem"} {
		if !names[want] {
			t.Fatalf("missing %s", want)
		}
	}
}
