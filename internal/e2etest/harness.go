// Package e2etest is the harness the HTTP, end-to-end and browser tests share: the whole server
// over real HTTP with the sandbox banks and a settable clock (New), and Chromium tabs on it
// (NewTab). It is imported by tests only.
package e2etest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"paybybank/app"
	"paybybank/banks/sandbox"
	"paybybank/payment"
	"paybybank/store"
)

// Clock is a settable clock shared by the server, its store and the fake bank (app.Config.Now).
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now is the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

// Add moves the clock on by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Harness runs the whole server over real HTTP with the sandbox banks, as `make run` does.
type Harness struct {
	T        *testing.T
	Srv      *httptest.Server
	App      *app.App
	DB       *store.DB
	Clock    *Clock
	Key      string            // the merchant's API key
	Merchant *payment.Merchant // a merchant made for the test
	Client   *http.Client      // a shopper's browser: its cookies, redirects not followed
	DBPath   string
	// CheckoutPosts counts the form posts the checkout's pages received (POST /checkout/…), so a
	// browser test sees that Back and Reload sent none again.
	CheckoutPosts *atomic.Int64
}

// NewClock returns a clock standing at now.
func NewClock(now time.Time) *Clock { return &Clock{now: now} }

// New starts the server for a test on a fresh SQLite database, with a merchant and its API key.
func New(t *testing.T) *Harness {
	t.Helper()
	// Not t.TempDir(): a fuzz seed's folder is named "…seed#0…", and a '#' ends the SQLite file
	// name in its DSN, so every run's seeds shared one database file in the temporary folder.
	dir, err := os.MkdirTemp("", "paybybank-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	h := &Harness{T: t, CheckoutPosts: new(atomic.Int64), Clock: &Clock{now: time.Now().UTC().Truncate(time.Second)}, DBPath: dir + "/pbb.db"}
	h.Srv = httptest.NewUnstartedServer(nil)
	h.Start(nil)
	t.Cleanup(func() { h.App.EndStreams(); h.Srv.Close(); h.DB.Close(); h.App.Sandbox.Close() })
	ctx := context.Background()
	h.Merchant = &payment.Merchant{Name: "Test Shop", AllowedOrigins: []string{h.Srv.URL},
		Creditor: payment.Creditor{Name: "Test Shop AB", IBAN: "SE7160000000000123456789", BBAN: "123456789", ClearingNumber: "6789"}}
	if err := h.DB.CreateMerchant(ctx, h.Merchant); err != nil {
		t.Fatal(err)
	}
	if h.Key, err = h.DB.CreateAPIKey(ctx, h.Merchant.ID); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	h.Client = &http.Client{Jar: jar, Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return h
}

// Start builds the app on the harness's database; a restart keeps the fake bank's memory,
// as a real bank keeps its own across our crash.
func (h *Harness) Start(prev *app.App) {
	h.DB = store.NewDB(h.DBPath, h.Clock.Now)
	if err := h.DB.Open(); err != nil {
		h.T.Fatal(err)
	}
	if err := h.DB.Lock(); err != nil { // as `paybybank serve` does: this process is the database's server
		h.T.Fatal(err)
	}
	url := "http://" + h.Srv.Listener.Addr().String()
	c := &app.Config{Addr: h.Srv.Listener.Addr().String(), PublicURL: url, SelfURL: url, Sandbox: true, BankBackoff: time.Millisecond, Now: h.Clock.Now}
	if prev != nil {
		c.ReuseSandbox = prev.Sandbox
	}
	a, err := app.Build(c, h.DB, bytes.Repeat([]byte{7}, 32), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		h.T.Fatal(err)
	}
	a.Checkout.PollEvery = 0 // the clock stands still in tests: ask the bank every time
	h.App = a
	h.Srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/checkout/") {
			h.CheckoutPosts.Add(1)
		}
		a.Handler.ServeHTTP(w, r)
	})
	if prev == nil {
		h.Srv.Start()
	}
}

// Do sends a request as the shopper's browser and returns the answer with its body.
func (h *Harness) Do(method, path string, body io.Reader, hdr map[string]string) (*http.Response, string) {
	h.T.Helper()
	if !strings.HasPrefix(path, "http") {
		path = h.Srv.URL + path
	}
	req, err := http.NewRequest(method, path, body)
	if err != nil {
		h.T.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := h.Client.Do(req)
	if err != nil {
		h.T.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// Get is Do for a GET, with headers given as name, value pairs.
func (h *Harness) Get(path string, hdr ...string) (*http.Response, string) {
	m := map[string]string{}
	for i := 0; i+1 < len(hdr); i += 2 {
		m[hdr[i]] = hdr[i+1]
	}
	return h.Do("GET", path, nil, m)
}

// Post is Do for a form POST, with headers given as name, value pairs.
func (h *Harness) Post(path string, form url.Values, hdr ...string) (*http.Response, string) {
	m := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	for i := 0; i+1 < len(hdr); i += 2 {
		m[hdr[i]] = hdr[i+1]
	}
	return h.Do("POST", path, strings.NewReader(form.Encode()), m)
}

// API calls the merchant API with the harness's key and returns the status and the JSON answer.
func (h *Harness) API(method, path, body string, hdr ...string) (int, map[string]any) {
	h.T.Helper()
	m := map[string]string{"Authorization": "Bearer " + h.Key, "Content-Type": "application/json"}
	for i := 0; i+1 < len(hdr); i += 2 {
		m[hdr[i]] = hdr[i+1]
	}
	resp, b := h.Do(method, path, strings.NewReader(body), m)
	var out map[string]any
	json.Unmarshal([]byte(b), &out)
	return resp.StatusCode, out
}

// CreatePayment makes a payment through the API and returns its id and checkout path.
// Unless extra says otherwise ("debtor":null), the merchant passes the shopper's account, as a
// shop that knows its customer does, so the journey goes straight to the bank.
func (h *Harness) CreatePayment(extra string) (id, checkoutPath string) {
	h.T.Helper()
	if !strings.Contains(extra, `"debtor"`) {
		extra += `,"debtor":{"country":"SE","clearing_number":"6789","account_number":"123456789"}`
	}
	// extra's fields replace the defaults (the API refuses a key given twice).
	body := map[string]json.RawMessage{}
	for _, part := range []string{`{"amount":"249.00","currency":"SEK","reference":"Order 1001","return_url":"` + h.Srv.URL + `/demo/return"}`, `{` + strings.TrimPrefix(extra, ",") + `}`} {
		if err := json.Unmarshal([]byte(part), &body); err != nil {
			h.T.Fatalf("payment fields %s: %v", part, err)
		}
	}
	b, _ := json.Marshal(body)
	code, p := h.API("POST", "/api/v1/payments", string(b))
	if code != 201 {
		h.T.Fatalf("create payment: %d %v", code, p)
	}
	u, _ := url.Parse(p["checkout_url"].(string))
	return p["id"].(string), u.Path
}

// Status is the payment's status and JSON as the API gives them.
func (h *Harness) Status(id string) (string, map[string]any) {
	h.T.Helper()
	code, p := h.API("GET", "/api/v1/payments/"+id, "")
	if code != 200 {
		h.T.Fatalf("get payment: %d %v", code, p)
	}
	return p["status"].(string), p
}

// BankCreateRe matches the Open Payments fake's payment creation path.
var BankCreateRe = regexp.MustCompile(`/psd2/paymentinitiation/v1/payments/[a-z-]+$`)

// CSRFRe finds a page's CSRF token.
var CSRFRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// CSRF is the CSRF token in a page.
func (h *Harness) CSRF(page string) string {
	h.T.Helper()
	m := CSRFRe.FindStringSubmatch(page)
	if m == nil {
		h.T.Fatalf("no csrf token in page:\n%s", page)
	}
	return m[1]
}

// ChooseBank opens the checkout and picks a bank, returning the answer to the choice.
func (h *Harness) ChooseBank(checkoutPath, bic string, hdr ...string) *http.Response {
	h.T.Helper()
	resp, page := h.Get(checkoutPath, hdr...)
	if resp.StatusCode != 200 {
		h.T.Fatalf("checkout page: %d", resp.StatusCode)
	}
	resp, _ = h.Post(checkoutPath+"/bank", url.Values{"bank": {bic}, "csrf": {h.CSRF(page)}}, hdr...)
	return resp
}

// ExpectCode fails the test unless resp has the status want.
func ExpectCode(t *testing.T, resp *http.Response, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, want)
	}
}

// ApproveAtBank follows the redirect to the simulated bank page and presses a button there.
func (h *Harness) ApproveAtBank(bankURL, decision string) *http.Response {
	h.T.Helper()
	resp, page := h.Get(bankURL)
	ExpectCode(h.T, resp, 200)
	form := url.Values{"decision": {decision}}
	for _, name := range []string{"authorisationId", "redirect_uri", "state"} {
		m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(page)
		if m == nil {
			h.T.Fatalf("bank page lacks %s", name)
		}
		form.Set(name, HTMLUnescape(m[1]))
	}
	u, _ := url.Parse(bankURL)
	resp, _ = h.Post(u.Path, form)
	ExpectCode(h.T, resp, 303)
	return resp
}

// HTMLUnescape undoes the escaping of a URL written into a page's attribute.
func HTMLUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">").Replace(s)
}

// EventTrail is a payment's events (from the API's JSON) written as one line, for messages.
func EventTrail(p map[string]any) string {
	var parts []string
	for _, e := range p["events"].([]any) {
		ev := e.(map[string]any)
		parts = append(parts, ev["to"].(string)+"/"+ev["cause"].(string))
	}
	return strings.Join(parts, " ")
}

// TestRedirectJourney runs in every form of the platform's answers the documents allow.

// DecodeQR fetches a QR image at src and decodes it.
func (h *Harness) DecodeQR(src string) string {
	h.T.Helper()
	resp, body := h.Get(HTMLUnescape(src))
	ExpectCode(h.T, resp, 200)
	if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Content-Type") != "image/png" {
		h.T.Fatalf("QR image headers: %v", resp.Header)
	}
	text, err := DecodeQRImage(strings.NewReader(body))
	if err != nil {
		h.T.Fatalf("QR does not decode: %v", err)
	}
	return text
}

// DecodeQRImage decodes a QR code in a PNG, as the BankID app's camera would.
func DecodeQRImage(r io.Reader) (string, error) { return sandbox.DecodeQR(r) }

// QRSrcRe finds the BankID page's QR image.
var QRSrcRe = regexp.MustCompile(`id="qr" class="qr" src="([^"]+)"`)

// CurrentQR is the payload of the QR on a BankID page now.
func (h *Harness) CurrentQR(path string) string {
	h.T.Helper()
	resp, body := h.Get(path + "/status?page=bankid")
	ExpectCode(h.T, resp, 200)
	var s struct{ QR, Next, Message string }
	json.Unmarshal([]byte(body), &s)
	if s.QR == "" {
		h.T.Fatalf("no QR in status: %s", body)
	}
	return h.DecodeQR(s.QR)
}

// Scan scans a QR payload with the sandbox's BankID app and returns its page.
func (h *Harness) Scan(payload string) (*http.Response, string) {
	return h.Do("POST", "/sandbox/bankid/scan", strings.NewReader(url.Values{"payload": {payload}}.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
}

// RefRe finds the BankID app page's order reference.
var RefRe = regexp.MustCompile(`name="ref" value="([^"]+)"`)

// Sign approves or refuses (decision) the order on a BankID app page.
func (h *Harness) Sign(appPage, decision string) {
	h.T.Helper()
	m := RefRe.FindStringSubmatch(appPage)
	if m == nil {
		h.T.Fatalf("app shows no order:\n%s", appPage)
	}
	resp, _ := h.Post("/sandbox/bankid/sign", url.Values{"ref": {m[1]}, "decision": {decision}})
	if resp.StatusCode != 200 && resp.StatusCode != 303 {
		h.T.Fatalf("sign: %d", resp.StatusCode)
	}
}

// TestDecoupledJourney runs in every form of the platform's answers the documents allow.

// CurrentQRImage is the PNG of the QR on a BankID page now.
func (h *Harness) CurrentQRImage(path string) []byte {
	h.T.Helper()
	_, body := h.Get(path + "/status?page=bankid")
	var s struct{ QR string }
	json.Unmarshal([]byte(body), &s)
	resp, png := h.Get(s.QR)
	ExpectCode(h.T, resp, 200)
	return []byte(png)
}

// Upload sends a picture to the simulated BankID app, as its camera would.
func (h *Harness) Upload(png []byte) (*http.Response, string) {
	h.T.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("picture", "qr.png")
	fw.Write(png)
	mw.Close()
	return h.Do("POST", "/sandbox/bankid/scan", &buf, map[string]string{"Content-Type": mw.FormDataContentType()})
}

// OtherMerchant makes a second merchant, a copy of the first under another name, and returns its id.
func (h *Harness) OtherMerchant() string {
	h.T.Helper()
	ms, _ := h.DB.Merchants(h.T.Context())
	m := *ms[0]
	m.ID, m.Name = "", "Other"
	if err := h.DB.CreateMerchant(h.T.Context(), &m); err != nil {
		h.T.Fatal(err)
	}
	return m.ID
}

// PostRedirect is Post for a shopper's form, which always answers 303 to a GET (post/redirect/get):
// it fails the test otherwise, follows the redirect once and returns the page it leads to, where
// an error the POST met is shown.
func (h *Harness) PostRedirect(path string, form url.Values, hdr ...string) (*http.Response, string) {
	h.T.Helper()
	resp, _ := h.Post(path, form, hdr...)
	ExpectCode(h.T, resp, http.StatusSeeOther)
	return h.Get(resp.Header.Get("Location"), hdr...)
}

// LastAttempt is the outcome and reason code of the payment's last attempt at a bank, as the API
// gives them.
func (h *Harness) LastAttempt(p map[string]any) (outcome, reason string) {
	list, _ := p["attempts"].([]any)
	if len(list) == 0 {
		return "", ""
	}
	a := list[len(list)-1].(map[string]any)
	r, _ := a["reason"].(string)
	return a["outcome"].(string), r
}
