package payseratest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"paybybank/banks/httpsig"
)

// clock is the fake's clock, safe to move while the server reads it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// makeCert makes a self-signed certificate valid from notBefore to notAfter.
func makeCert(t *testing.T, cn string, server bool, notBefore, notAfter time.Time) (tls.Certificate, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: notBefore, NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
		tmpl.IsCA, tmpl.KeyUsage = true, tmpl.KeyUsage|x509.KeyUsageCertSign
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, leaf
}

// bank is a running fake with clients holding a trusted, an untrusted, an expired and no certificate.
type bank struct {
	f       *Fake
	clock   *clock
	api     string // the API URL a client is configured with (BasePath included when served under it)
	pages   *httptest.Server
	clients map[string]*http.Client
}

const redirectURI = "https://shop.example/callback"

func newBank(t *testing.T, forms Forms) *bank {
	t.Helper()
	c := &clock{t: time.Now()}
	f := New("client-1")
	f.Now, f.Forms, f.RedirectURIs = c.now, forms, []string{redirectURI}
	pages := httptest.NewServer(f.PageHandler())
	t.Cleanup(pages.Close)
	f.PageURL = pages.URL
	srvCert, srvLeaf := makeCert(t, "bank", true, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	ln, err := tls.Listen("tcp", "127.0.0.1:0", ServerTLS(srvCert))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: f.APIHandler()}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	roots := x509.NewCertPool()
	roots.AddCert(srvLeaf)
	client := func(cert *tls.Certificate) *http.Client {
		cfg := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
		if cert != nil {
			cfg.Certificates = []tls.Certificate{*cert}
		}
		return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	trusted, trustedLeaf := makeCert(t, "tpp", false, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	expired, expiredLeaf := makeCert(t, "old tpp", false, time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour))
	untrusted, _ := makeCert(t, "stranger", false, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	f.Trust(trustedLeaf)
	f.Trust(expiredLeaf)
	b := &bank{f: f, clock: c, api: "https://" + ln.Addr().String(), pages: pages, clients: map[string]*http.Client{
		"trusted": client(&trusted), "expired": client(&expired), "untrusted": client(&untrusted), "none": client(nil)}}
	if forms.UnderBasePath {
		b.api += BasePath
	}
	return b
}

// consent runs the authorize page and the code exchange, as the seed's Steps 1–3 do, and returns
// the token answer.
func (b *bank) consent(t *testing.T, scope string) map[string]any {
	t.Helper()
	raw := make([]byte, 32)
	rand.Read(raw)
	verifier := base64.RawURLEncoding.EncodeToString(raw)
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"response_type": {"code"}, "client_id": {"client-1"}, "redirect_uri": {redirectURI}, "scope": {scope},
		"state": {"0123456789abcdef0123456789abcdef"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"}}
	q.Set("decision", "approve")
	resp, err := b.clients["none"].PostForm(b.pages.URL+"/oauth/authorize", q)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != 303 || loc.Query().Get("code") == "" || loc.Query().Get("state") != q.Get("state") {
		t.Fatalf("authorize: %d %s", resp.StatusCode, loc)
	}
	status, body := b.form(t, url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"redirect_uri": {redirectURI}, "client_id": {"client-1"}, "code_verifier": {verifier}})
	if status != 200 {
		t.Fatalf("token: %d %v", status, body)
	}
	return body
}

// form posts a token request.
func (b *bank) form(t *testing.T, v url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := b.clients["trusted"].Post(b.api+"/oauth/token", "application/x-www-form-urlencoded", strings.NewReader(v.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, resp)
}

func decode(t *testing.T, resp *http.Response) (int, map[string]any) {
	t.Helper()
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%d answer is not JSON: %q", resp.StatusCode, raw)
		}
	}
	return resp.StatusCode, out
}

const paymentBody = `{"instructedAmount":{"currency":"EUR","amount":"12.50"},"creditorAccount":{"iban":"LT987654321098765432"},"creditorName":"Shop"}`

// call makes an API call with everything the documents ask for; header overrides it ("" removes).
func (b *bank) call(t *testing.T, client, token, method, path, body string, header map[string]string) *http.Response {
	t.Helper()
	if !strings.HasPrefix(path, "https://") {
		path = b.api + path
	}
	req, _ := http.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-Request-ID", uuid.NewString())
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Digest", httpsig.Digest([]byte(body)))
	}
	if method == "POST" {
		req.Header.Set("PSU-IP-Address", "192.168.1.1")
		req.Header.Set("TPP-Redirect-URI", "https://shop.example/return?p=1")
	}
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := b.clients[client].Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// create makes a payment and returns the creation answer.
func (b *bank) create(t *testing.T, token string) map[string]any {
	t.Helper()
	status, out := decode(t, b.call(t, "trusted", token, "POST", "/v1/payments/sepa-credit-transfers", paymentBody, nil))
	if status != 201 {
		t.Fatalf("create: %d %v", status, out)
	}
	return out
}

// errorCode reads the code of an error answer in either documented form.
func errorCode(out map[string]any) string {
	if msgs, ok := out["tppMessages"].([]any); ok && len(msgs) == 1 {
		return msgs[0].(map[string]any)["code"].(string)
	}
	code, _ := out["code"].(string)
	return code
}

func TestAPIRejects(t *testing.T) {
	long := strings.Repeat("x", 10)
	tests := []struct {
		name, client, method, path, body string
		header                           map[string]string
		status                           int
		code                             string
	}{
		{"NoCertificate", "none", "GET", "/v1/payments/sepa-credit-transfers/{id}", "", nil, 403, "CERTIFICATE_MISSING"},
		{"UntrustedCertificate", "untrusted", "GET", "/v1/payments/sepa-credit-transfers/{id}", "", nil, 403, "CERTIFICATE_INVALID"},
		{"ExpiredCertificate", "expired", "GET", "/v1/payments/sepa-credit-transfers/{id}", "", nil, 403, "CERTIFICATE_EXPIRED"},
		{"TokenEndpointNeedsCertificate", "untrusted", "POST", "/oauth/token", "", nil, 403, "CERTIFICATE_INVALID"},
		{"NoAuthorization", "trusted", "GET", "/v1/payments/sepa-credit-transfers/{id}", "", map[string]string{"Authorization": ""}, 401, "TOKEN_INVALID"},
		{"UnknownToken", "trusted", "GET", "/v1/payments/sepa-credit-transfers/{id}", "", map[string]string{"Authorization": "Bearer " + long}, 401, "TOKEN_INVALID"},
		{"NoRequestID", "trusted", "DELETE", "/v1/payments/sepa-credit-transfers/{id}", "", map[string]string{"X-Request-ID": ""}, 400, "FORMAT_ERROR"},
		{"RequestIDNotUUID", "trusted", "GET", "/v1/payments/sepa-credit-transfers/{id}", "", map[string]string{"X-Request-ID": "abc"}, 400, "FORMAT_ERROR"},
		{"NoDigest", "trusted", "POST", "/v1/payments/sepa-credit-transfers", paymentBody, map[string]string{"Digest": ""}, 400, "FORMAT_ERROR"},
		{"WrongDigest", "trusted", "POST", "/v1/payments/sepa-credit-transfers", paymentBody, map[string]string{"Digest": httpsig.Digest([]byte("{}"))}, 400, "FORMAT_ERROR"},
		{"NotJSONContentType", "trusted", "POST", "/v1/payments/sepa-credit-transfers", paymentBody, map[string]string{"Content-Type": "text/plain"}, 400, "FORMAT_ERROR"},
		{"MalformedJSON", "trusted", "POST", "/v1/payments/sepa-credit-transfers", `{"instructedAmount":`, nil, 400, "FORMAT_ERROR"},
		{"AmountAsNumber", "trusted", "POST", "/v1/payments/sepa-credit-transfers", strings.Replace(paymentBody, `"12.50"`, `12.5`, 1), nil, 400, "FORMAT_ERROR"},
		{"AmountWithComma", "trusted", "POST", "/v1/payments/sepa-credit-transfers", strings.Replace(paymentBody, `12.50`, `12,50`, 1), nil, 400, "FORMAT_ERROR"},
		{"NotEUR", "trusted", "POST", "/v1/payments/sepa-credit-transfers", strings.Replace(paymentBody, `EUR`, `USD`, 1), nil, 400, "FORMAT_ERROR"},
		{"NoCreditorName", "trusted", "POST", "/v1/payments/sepa-credit-transfers", strings.Replace(paymentBody, `"Shop"`, `""`, 1), nil, 400, "FORMAT_ERROR"},
		{"CreditorNotIBAN", "trusted", "POST", "/v1/payments/sepa-credit-transfers", strings.Replace(paymentBody, `LT98`, `98`, 1), nil, 400, "FORMAT_ERROR"},
		{"DebtorNotIBAN", "trusted", "POST", "/v1/payments/sepa-credit-transfers", strings.Replace(paymentBody, `"creditorName"`, `"debtorAccount":{"iban":"x"},"creditorName"`, 1), nil, 400, "FORMAT_ERROR"},
		{"NoPSUIPAddress", "trusted", "POST", "/v1/payments/sepa-credit-transfers", paymentBody, map[string]string{"PSU-IP-Address": ""}, 400, "FORMAT_ERROR"},
		{"PSUIPAddressNotIP", "trusted", "POST", "/v1/payments/sepa-credit-transfers", paymentBody, map[string]string{"PSU-IP-Address": "localhost"}, 400, "FORMAT_ERROR"},
		{"NoTPPRedirectURI", "trusted", "POST", "/v1/payments/sepa-credit-transfers", paymentBody, map[string]string{"TPP-Redirect-URI": ""}, 400, "FORMAT_ERROR"},
		{"RelativeTPPRedirectURI", "trusted", "POST", "/v1/payments/sepa-credit-transfers", paymentBody, map[string]string{"TPP-Redirect-URI": "/return"}, 400, "FORMAT_ERROR"},
		{"UnknownPayment", "trusted", "GET", "/v1/payments/sepa-credit-transfers/nope", "", nil, 404, "RESOURCE_UNKNOWN"},
		{"UnknownPaymentStatus", "trusted", "GET", "/v1/payments/sepa-credit-transfers/nope/status", "", nil, 404, "RESOURCE_UNKNOWN"},
		{"CancelUnknown", "trusted", "DELETE", "/v1/payments/sepa-credit-transfers/nope", "", nil, 404, "RESOURCE_UNKNOWN"},
		{"CancelCancelled", "trusted", "DELETE", "/v1/payments/sepa-credit-transfers/{cancelled}", "", nil, 405, "CANCELLATION_INVALID"},
	}
	for _, forms := range []NamedForms{{"TPPMessages", Forms{}}, {"Flat", Forms{FlatErrors: true, UnderBasePath: true}}} {
		b := newBank(t, forms.Forms)
		at := b.consent(t, "payments")["access_token"].(string)
		id := b.create(t, at)["paymentId"].(string)
		cancelled := b.create(t, at)["paymentId"].(string)
		if resp := b.call(t, "trusted", at, "DELETE", "/v1/payments/sepa-credit-transfers/"+cancelled, "", nil); resp.StatusCode != 204 {
			t.Fatalf("cancel: %d", resp.StatusCode)
		}
		for _, tt := range tests {
			t.Run(forms.Name+"/"+tt.name, func(t *testing.T) {
				path := strings.NewReplacer("{id}", id, "{cancelled}", cancelled).Replace(tt.path)
				status, out := decode(t, b.call(t, tt.client, at, tt.method, path, tt.body, tt.header))
				if status != tt.status || errorCode(out) != tt.code {
					t.Fatalf("got %d %v, want %d %s", status, out, tt.status, tt.code)
				}
				_, tpp := out["tppMessages"]
				if tpp == forms.Forms.FlatErrors || (forms.Forms.FlatErrors && out["message"] == nil) {
					t.Fatalf("error not in the %s form: %v", forms.Name, out)
				}
			})
		}
	}
}

func TestUnderBasePathOnly(t *testing.T) {
	b := newBank(t, Forms{UnderBasePath: true})
	at := b.consent(t, "payments")["access_token"].(string)
	root := strings.TrimSuffix(b.api, BasePath)
	status, out := decode(t, b.call(t, "trusted", at, "POST", root+"/v1/payments/sepa-credit-transfers", paymentBody, nil))
	if status != 404 || errorCode(out) != "RESOURCE_UNKNOWN" {
		t.Fatalf("outside the base path: %d %v", status, out)
	}
}

func TestTokenRejects(t *testing.T) {
	b := newBank(t, Forms{})
	first := b.consent(t, "payments")
	rt := first["refresh_token"].(string)
	if status, _ := b.form(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {"client-1"}}); status != 200 {
		t.Fatalf("refresh: %d", status)
	}
	tests := []struct {
		name   string
		form   url.Values
		ctype  string
		status int
		code   string
	}{
		{"NotForm", url.Values{"grant_type": {"refresh_token"}, "client_id": {"client-1"}}, "application/json", 400, "invalid_request"},
		{"UnknownClient", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {"other"}}, "", 401, "invalid_client"},
		{"UnknownCode", url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "redirect_uri": {redirectURI}, "client_id": {"client-1"}, "code_verifier": {strings.Repeat("a", 43)}}, "", 400, "invalid_grant"},
		{"RotatedRefreshToken", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {"client-1"}}, "", 400, "invalid_grant"},
		{"UnknownGrantType", url.Values{"grant_type": {"password"}, "client_id": {"client-1"}}, "", 400, "unsupported_grant_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctype := tt.ctype
			if ctype == "" {
				ctype = "application/x-www-form-urlencoded"
			}
			resp, err := b.clients["trusted"].Post(b.api+"/oauth/token", ctype, strings.NewReader(tt.form.Encode()))
			if err != nil {
				t.Fatal(err)
			}
			status, out := decode(t, resp)
			if status != tt.status || out["error"] != tt.code {
				t.Fatalf("got %d %v, want %d %s", status, out, tt.status, tt.code)
			}
		})
	}
}

// TestCodeExchangeRejects checks the PKCE and redirect_uri rules of the seed's Step 3, each on a fresh code.
func TestCodeExchangeRejects(t *testing.T) {
	raw := make([]byte, 32)
	rand.Read(raw)
	verifier := base64.RawURLEncoding.EncodeToString(raw)
	tests := []struct {
		name                     string
		challengeOf, sent, redir string // the verifier the challenge is made of, the one sent, the redirect_uri sent
	}{
		{"WrongVerifier", verifier, strings.Repeat("b", 43), redirectURI},
		{"ShortVerifier", verifier[:42], verifier[:42], redirectURI}, // matches its challenge; only its length is wrong
		{"OtherRedirectURI", verifier, verifier, "https://shop.example/other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBank(t, Forms{})
			sum := sha256.Sum256([]byte(tt.challengeOf))
			b.f.mu.Lock()
			b.f.codes["c1"] = &grant{challenge: base64.RawURLEncoding.EncodeToString(sum[:]), redirect: redirectURI}
			b.f.mu.Unlock()
			status, out := b.form(t, url.Values{"grant_type": {"authorization_code"}, "code": {"c1"}, "redirect_uri": {tt.redir},
				"client_id": {"client-1"}, "code_verifier": {tt.sent}})
			if status != 400 || out["error"] != "invalid_grant" {
				t.Fatalf("got %d %v", status, out)
			}
		})
	}
}

func TestAuthorizeRejects(t *testing.T) {
	good := url.Values{"response_type": {"code"}, "client_id": {"client-1"}, "redirect_uri": {redirectURI}, "scope": {"payments"},
		"state": {"s1"}, "code_challenge": {strings.Repeat("A", 43)}, "code_challenge_method": {"S256"}}
	tests := []struct{ name, key, value string }{
		{"Valid", "", ""},
		{"PlainMethod", "code_challenge_method", "plain"},
		{"ShortChallenge", "code_challenge", strings.Repeat("A", 42)},
		{"ChallengeNotBase64URL", "code_challenge", strings.Repeat("+", 43)},
		{"NoState", "state", ""},
		{"UnregisteredRedirect", "redirect_uri", "https://evil.example/cb"},
		{"OtherClient", "client_id", "other"},
		{"TokenResponseType", "response_type", "token"},
	}
	b := newBank(t, Forms{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := url.Values{}
			for k, v := range good {
				q[k] = v
			}
			if tt.key != "" {
				q.Set(tt.key, tt.value)
			}
			resp, err := http.Get(b.pages.URL + "/oauth/authorize?" + q.Encode())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			want := 400
			if tt.key == "" {
				want = 200
			}
			if resp.StatusCode != want {
				t.Fatalf("got %d, want %d", resp.StatusCode, want)
			}
		})
	}
}

func TestExpiredToken(t *testing.T) {
	tests := []struct {
		answer ExpiredTokenAnswer
		code   string // "" means no body
	}{
		{ExpiredTokenInvalid, "TOKEN_INVALID"},
		{ExpiredTokenExpired, "TOKEN_EXPIRED"},
		{ExpiredTokenBare, ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.answer), func(t *testing.T) {
			b := newBank(t, Forms{ExpiredToken: tt.answer})
			tok := b.consent(t, "payments")
			at := tok["access_token"].(string)
			b.create(t, at)
			if !b.f.ExpireToken(at) || b.f.ExpireToken("never-issued") {
				t.Fatal("ExpireToken reports wrongly")
			}
			status, out := decode(t, b.call(t, "trusted", at, "POST", "/v1/payments/sepa-credit-transfers", paymentBody, nil))
			if status != 401 || errorCode(out) != tt.code || (tt.code == "") != (out == nil) {
				t.Fatalf("got %d %v, want 401 %q", status, out, tt.code)
			}
			// Seed, Refreshing Access Tokens: the refresh token gets a working access token.
			status, fresh := b.form(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}, "client_id": {"client-1"}})
			if status != 200 {
				t.Fatalf("refresh: %d %v", status, fresh)
			}
			b.create(t, fresh["access_token"].(string))
			b.f.ExpireTokens()
			if resp := b.call(t, "trusted", fresh["access_token"].(string), "GET", "/v1/payments/sepa-credit-transfers/x", "", nil); resp.StatusCode != 401 {
				t.Fatalf("after ExpireTokens: %d", resp.StatusCode)
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	b := newBank(t, Forms{})
	b.f.RateLimit, b.f.RateWindow = 3, time.Minute
	at := b.consent(t, "payments")["access_token"].(string) // the token call opened a window and used one call
	reset := strconv.FormatInt(b.clock.now().Add(time.Minute).Unix(), 10)
	for _, want := range []struct {
		status    int
		remaining string
	}{{404, "1"}, {404, "0"}, {429, "0"}, {429, "0"}} {
		resp := b.call(t, "trusted", at, "GET", "/v1/payments/sepa-credit-transfers/x", "", nil)
		status, out := decode(t, resp)
		h := resp.Header
		if status != want.status || h.Get("X-RateLimit-Limit") != "3" || h.Get("X-RateLimit-Remaining") != want.remaining || h.Get("X-RateLimit-Reset") != reset {
			t.Fatalf("got %d %v %v, want %d remaining %s reset %s", status, out, h, want.status, want.remaining, reset)
		}
		if status == 429 && errorCode(out) != "ACCESS_EXCEEDED" {
			t.Fatalf("429 body: %v", out)
		}
	}
	b.clock.add(time.Minute) // the reset point in time has come: a new window
	resp := b.call(t, "trusted", at, "GET", "/v1/payments/sepa-credit-transfers/x", "", nil)
	resp.Body.Close()
	if resp.StatusCode != 404 || resp.Header.Get("X-RateLimit-Remaining") != "2" ||
		resp.Header.Get("X-RateLimit-Reset") != strconv.FormatInt(b.clock.now().Add(time.Minute).Unix(), 10) {
		t.Fatalf("after reset: %d %v", resp.StatusCode, resp.Header)
	}
	b.f.SetRemaining(0)
	if resp := b.call(t, "trusted", at, "GET", "/v1/payments/sepa-credit-transfers/x", "", nil); resp.StatusCode != 429 {
		t.Fatalf("SetRemaining(0): %d", resp.StatusCode)
	}
}

// TestSeedRequestExamples sends the seed's own payment bodies (testdata) and walks a payment's states.
func TestSeedRequestExamples(t *testing.T) {
	for _, file := range []string{"payment_initiation_request.json", "payment_initiation_request_curl.json"} {
		t.Run(file, func(t *testing.T) {
			body, err := os.ReadFile("../testdata/" + file)
			if err != nil {
				t.Fatal(err)
			}
			b := newBank(t, Forms{})
			at := b.consent(t, "accounts transactions payments")["access_token"].(string)
			status, out := decode(t, b.call(t, "trusted", at, "POST", "/v1/payments/sepa-credit-transfers", string(body), nil))
			if status != 201 || out["transactionStatus"] != "RCVD" || out["paymentId"] == "" {
				t.Fatalf("create: %d %v", status, out)
			}
			var in map[string]any
			json.Unmarshal(body, &in)
			status, got := decode(t, b.call(t, "trusted", at, "GET", "/v1/payments/sepa-credit-transfers/"+out["paymentId"].(string), "", nil))
			if status != 200 || !reflect.DeepEqual(got["instructedAmount"], in["instructedAmount"]) || got["creditorName"] != in["creditorName"] ||
				!reflect.DeepEqual(got["creditorAccount"], in["creditorAccount"]) || got["paymentId"] != out["paymentId"] {
				t.Fatalf("read: %d %v", status, got)
			}
		})
	}
}

func TestPaymentStates(t *testing.T) {
	tests := []struct {
		name   string
		forms  Forms
		act    string // approve, deny, timeout
		status string
		back   string // where the shopper is sent, for approve and deny
	}{
		{"Approved", Forms{}, "approve", "ACSC", "https://shop.example/return?p=1"},
		{"ApprovedACSP", Forms{ApprovedStatus: "ACSP"}, "approve", "ACSP", "https://shop.example/return?p=1"},
		{"Denied", Forms{}, "deny", "RJCT", "https://shop.example/return?error=access_denied&p=1"},
		{"DeniedWithoutError", Forms{DenyWithoutError: true}, "deny", "RJCT", "https://shop.example/return?p=1"},
		{"TimedOut", Forms{}, "timeout", "RJCT", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBank(t, tt.forms)
			at := b.consent(t, "payments")["access_token"].(string)
			id := b.create(t, at)["paymentId"].(string)
			if tt.act == "timeout" {
				b.clock.add(PaymentTimeout + time.Second)
			} else {
				resp, err := b.clients["none"].PostForm(b.pages.URL+"/sca", url.Values{"payment": {id}, "decision": {tt.act}})
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 303 || resp.Header.Get("Location") != tt.back {
					t.Fatalf("SCA: %d %q", resp.StatusCode, resp.Header.Get("Location"))
				}
			}
			for _, path := range []string{"", "/status"} {
				status, out := decode(t, b.call(t, "trusted", at, "GET", "/v1/payments/sepa-credit-transfers/"+id+path, "", nil))
				if status != 200 || out["transactionStatus"] != tt.status {
					t.Fatalf("GET %s: %d %v", path, status, out)
				}
			}
			// Seed, Cancel Payment: 405 once the payment is processed.
			status, out := decode(t, b.call(t, "trusted", at, "DELETE", "/v1/payments/sepa-credit-transfers/"+id, "", nil))
			if status != 405 || errorCode(out) != "CANCELLATION_INVALID" {
				t.Fatalf("cancel: %d %v", status, out)
			}
		})
	}
}

func TestLinkForms(t *testing.T) {
	tests := []struct {
		name  string
		forms Forms
		self  string // the self link as the fake must write it; "" for none; {api} is the API URL, {id} the payment
	}{
		{"Default", Forms{}, ""},
		{"Absolute", Forms{APILinks: LinksAbsolute}, "{api}/v1/payments/sepa-credit-transfers/{id}"},
		{"AbsoluteUnderBase", Forms{APILinks: LinksAbsolute, UnderBasePath: true}, "{api}/v1/payments/sepa-credit-transfers/{id}"},
		{"BaseRelative", Forms{APILinks: LinksBaseRelative, UnderBasePath: true}, "/v1/payments/sepa-credit-transfers/{id}"},
		{"HostRelative", Forms{APILinks: LinksHostRelative, UnderBasePath: true}, BasePath + "/v1/payments/sepa-credit-transfers/{id}"},
		{"StringsBaseRelative", Forms{APILinks: LinksBaseRelative, UnderBasePath: true, LinksAsStrings: true}, "/v1/payments/sepa-credit-transfers/{id}"},
		{"StringsOnlySCA", Forms{LinksAsStrings: true}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBank(t, tt.forms)
			at := b.consent(t, "payments")["access_token"].(string)
			out := b.create(t, at)
			id := out["paymentId"].(string)
			links := out["_links"].(map[string]any)
			href := func(name string) string {
				v := links[name]
				if s, ok := v.(string); ok && tt.forms.LinksAsStrings {
					return s
				}
				if m, ok := v.(map[string]any); ok && !tt.forms.LinksAsStrings {
					s, _ := m["href"].(string)
					return s
				}
				if v != nil {
					t.Fatalf("link %s in the wrong form: %#v", name, v)
				}
				return ""
			}
			if sca := href("scaRedirect"); sca != b.pages.URL+"/sca?payment="+id {
				t.Fatalf("scaRedirect %q", sca)
			}
			want := strings.NewReplacer("{api}", b.api, "{id}", id).Replace(tt.self)
			if got := href("self"); got != want {
				t.Fatalf("self %q, want %q", got, want)
			}
			if tt.self == "" {
				return
			}
			if got := href("status"); got != want+"/status" {
				t.Fatalf("status %q, want %q", got, want+"/status")
			}
			// The link is followed as a client must: absolute as is, host-relative against the host,
			// base-relative (the seed's form) appended to the API URL.
			target := want
			switch tt.forms.APILinks {
			case LinksHostRelative:
				target = strings.TrimSuffix(b.api, BasePath) + want
			case LinksBaseRelative:
				target = b.api + want
			}
			status, got := decode(t, b.call(t, "trusted", at, "GET", target+"/status", "", nil))
			if status != 200 || got["transactionStatus"] != "RCVD" {
				t.Fatalf("following status link: %d %v", status, got)
			}
		})
	}
}

func TestAnswerForms(t *testing.T) {
	tests := []struct {
		name  string
		forms Forms
		check func(t *testing.T, b *bank, token map[string]any, payment map[string]any, meta map[string]any)
	}{
		{"NoScope", Forms{}, func(t *testing.T, b *bank, tok, _, _ map[string]any) {
			if _, ok := tok["scope"]; ok {
				t.Fatalf("scope present: %v", tok)
			}
		}},
		{"Scope", Forms{TokenScope: true}, func(t *testing.T, b *bank, tok, _, _ map[string]any) {
			if tok["scope"] != "accounts transactions payments" || tok["expires_in"] != 3600.0 {
				t.Fatalf("token: %v", tok)
			}
		}},
		{"PaymentID", Forms{}, func(t *testing.T, b *bank, _, p, _ map[string]any) {
			if _, ok := p["paymentId"]; !ok || p["expectedExecutionDate"] != nil {
				t.Fatalf("payment: %v", p)
			}
		}},
		{"NoPaymentIDWithExecutionDate", Forms{PaymentWithoutID: true, ExecutionDate: true}, func(t *testing.T, b *bank, _, p, _ map[string]any) {
			if _, ok := p["paymentId"]; ok || p["expectedExecutionDate"] != b.clock.now().Format(time.DateOnly) {
				t.Fatalf("payment: %v", p)
			}
		}},
		{"RelativeMetadata", Forms{}, func(t *testing.T, b *bank, _, _, m map[string]any) {
			if m["token_endpoint"] != "/oauth/token" || m["authorization_endpoint"] != b.pages.URL+"/oauth/authorize" {
				t.Fatalf("metadata: %v", m)
			}
		}},
		{"AbsoluteMetadata", Forms{AbsoluteMetadata: true, UnderBasePath: true}, func(t *testing.T, b *bank, _, _, m map[string]any) {
			if m["token_endpoint"] != b.api+"/oauth/token" {
				t.Fatalf("metadata: %v", m)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBank(t, tt.forms)
			tok := b.consent(t, "accounts transactions payments")
			at := tok["access_token"].(string)
			id := b.create(t, at)["paymentId"].(string)
			_, p := decode(t, b.call(t, "trusted", at, "GET", "/v1/payments/sepa-credit-transfers/"+id, "", nil))
			resp, err := b.clients["trusted"].Get(b.api + "/.well-known/oauth-authorization-server")
			if err != nil {
				t.Fatal(err)
			}
			_, meta := decode(t, resp)
			tt.check(t, b, tok, p, meta)
		})
	}
}

func TestRefreshForms(t *testing.T) {
	for _, keep := range []bool{false, true} {
		t.Run("Keep="+strconv.FormatBool(keep), func(t *testing.T) {
			b := newBank(t, Forms{RefreshKeepsToken: keep})
			rt := b.consent(t, "payments")["refresh_token"].(string)
			refresh := func() (int, map[string]any) {
				return b.form(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {"client-1"}})
			}
			status, out := refresh()
			_, rotated := out["refresh_token"]
			if status != 200 || rotated == keep || out["access_token"] == nil {
				t.Fatalf("refresh: %d %v", status, out)
			}
			if status, _ := refresh(); (status == 200) != keep {
				t.Fatalf("old refresh token again: %d", status)
			}
		})
	}
}

// TestAllFormsCoversEveryAlternative checks that AllForms gives each alternative of each field at least once.
func TestAllFormsCoversEveryAlternative(t *testing.T) {
	seen, names := map[string]bool{}, map[string]bool{}
	for _, nf := range AllForms() {
		if names[nf.Name] {
			t.Errorf("name %s twice", nf.Name)
		}
		names[nf.Name] = true
		v := reflect.ValueOf(nf.Forms)
		for i := 0; i < v.NumField(); i++ {
			seen[fmt.Sprintf("%s=%v", v.Type().Field(i).Name, v.Field(i).Interface())] = true
		}
	}
	want := []string{
		"APILinks=", "APILinks=absolute", "APILinks=base-relative", "APILinks=host-relative",
		"ExpiredToken=", "ExpiredToken=TOKEN_EXPIRED", "ExpiredToken=bare",
		"ApprovedStatus=", "ApprovedStatus=ACSP", "ApprovedStatus=ACCP", "ApprovedStatus=ACTC",
	}
	typ := reflect.TypeOf(Forms{})
	for i := 0; i < typ.NumField(); i++ {
		if typ.Field(i).Type.Kind() == reflect.Bool {
			want = append(want, typ.Field(i).Name+"=false", typ.Field(i).Name+"=true")
		}
	}
	for _, w := range want {
		if !seen[w] {
			t.Errorf("AllForms never has %s", w)
		}
	}
}
