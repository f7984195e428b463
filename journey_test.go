package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"paybybank/app"
	"paybybank/banks/bankid"
	"paybybank/banks/openpayments/openpaymentstest"
	"paybybank/banks/sandbox"
	"paybybank/checkout"
	"paybybank/payment"
	"paybybank/store"
)

// clock is a settable clock shared by the server, its store and the fake bank.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// harness runs the whole server over real HTTP with the sandbox banks, as `make run` does.
type harness struct {
	t        *testing.T
	srv      *httptest.Server
	app      *app.App
	db       *store.DB
	clock    *clock
	key      string
	merchant *payment.Merchant
	client   *http.Client
	dbPath   string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, clock: &clock{now: time.Now().UTC().Truncate(time.Second)}, dbPath: t.TempDir() + "/pbb.db"}
	h.srv = httptest.NewUnstartedServer(nil)
	h.start(nil)
	t.Cleanup(func() { h.app.EndStreams(); h.srv.Close(); h.db.Close(); h.app.Sandbox.Close() })
	ctx := context.Background()
	h.merchant = &payment.Merchant{Name: "Test Shop", AllowedOrigins: []string{h.srv.URL},
		Creditor: payment.Creditor{Name: "Test Shop AB", IBAN: "SE7160000000000123456789", BBAN: "123456789", ClearingNumber: "6789"}}
	if err := h.db.CreateMerchant(ctx, h.merchant); err != nil {
		t.Fatal(err)
	}
	var err error
	if h.key, err = h.db.CreateAPIKey(ctx, h.merchant.ID); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	h.client = &http.Client{Jar: jar, Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return h
}

// start builds the app on the harness's database; a restart keeps the fake bank's memory,
// as a real bank keeps its own across our crash.
func (h *harness) start(prev *app.App) {
	h.db = store.NewDB(h.dbPath, h.clock.Now)
	if err := h.db.Open(); err != nil {
		h.t.Fatal(err)
	}
	if err := h.db.Lock(); err != nil { // as `paybybank serve` does: this process is the database's server
		h.t.Fatal(err)
	}
	url := "http://" + h.srv.Listener.Addr().String()
	c := &app.Config{Addr: h.srv.Listener.Addr().String(), PublicURL: url, SelfURL: url, Sandbox: true, BankBackoff: time.Millisecond, Now: h.clock.Now}
	if prev != nil {
		c.ReuseSandbox = prev.Sandbox
	}
	a, err := app.Build(c, h.db, bytes.Repeat([]byte{7}, 32), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		h.t.Fatal(err)
	}
	a.Checkout.PollEvery = 0 // the clock stands still in tests: ask the bank every time
	h.app = a
	h.srv.Config.Handler = a.Handler
	if prev == nil {
		h.srv.Start()
	}
}

func (h *harness) do(method, path string, body io.Reader, hdr map[string]string) (*http.Response, string) {
	h.t.Helper()
	if !strings.HasPrefix(path, "http") {
		path = h.srv.URL + path
	}
	req, err := http.NewRequest(method, path, body)
	if err != nil {
		h.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (h *harness) get(path string, hdr ...string) (*http.Response, string) {
	m := map[string]string{}
	for i := 0; i+1 < len(hdr); i += 2 {
		m[hdr[i]] = hdr[i+1]
	}
	return h.do("GET", path, nil, m)
}

func (h *harness) post(path string, form url.Values, hdr ...string) (*http.Response, string) {
	m := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	for i := 0; i+1 < len(hdr); i += 2 {
		m[hdr[i]] = hdr[i+1]
	}
	return h.do("POST", path, strings.NewReader(form.Encode()), m)
}

func (h *harness) api(method, path, body string, hdr ...string) (int, map[string]any) {
	h.t.Helper()
	m := map[string]string{"Authorization": "Bearer " + h.key, "Content-Type": "application/json"}
	for i := 0; i+1 < len(hdr); i += 2 {
		m[hdr[i]] = hdr[i+1]
	}
	resp, b := h.do(method, path, strings.NewReader(body), m)
	var out map[string]any
	json.Unmarshal([]byte(b), &out)
	return resp.StatusCode, out
}

// createPayment makes a payment through the API and returns its id and checkout path.
// Unless extra says otherwise ("debtor":null), the merchant passes the shopper's account, as a
// shop that knows its customer does, so the journey goes straight to the bank.
func (h *harness) createPayment(extra string) (id, checkoutPath string) {
	h.t.Helper()
	if !strings.Contains(extra, `"debtor"`) {
		extra += `,"debtor":{"country":"SE","clearing_number":"6789","account_number":"123456789"}`
	}
	// extra's fields replace the defaults (the API refuses a key given twice).
	body := map[string]json.RawMessage{}
	for _, part := range []string{`{"amount":"249.00","currency":"SEK","reference":"Order 1001","return_url":"` + h.srv.URL + `/demo/return"}`, `{` + strings.TrimPrefix(extra, ",") + `}`} {
		if err := json.Unmarshal([]byte(part), &body); err != nil {
			h.t.Fatalf("payment fields %s: %v", part, err)
		}
	}
	b, _ := json.Marshal(body)
	code, p := h.api("POST", "/api/v1/payments", string(b))
	if code != 201 {
		h.t.Fatalf("create payment: %d %v", code, p)
	}
	u, _ := url.Parse(p["checkout_url"].(string))
	return p["id"].(string), u.Path
}

func (h *harness) status(id string) (string, map[string]any) {
	h.t.Helper()
	code, p := h.api("GET", "/api/v1/payments/"+id, "")
	if code != 200 {
		h.t.Fatalf("get payment: %d %v", code, p)
	}
	return p["status"].(string), p
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (h *harness) csrf(page string) string {
	h.t.Helper()
	m := csrfRe.FindStringSubmatch(page)
	if m == nil {
		h.t.Fatalf("no csrf token in page:\n%s", page)
	}
	return m[1]
}

// chooseBank opens the checkout and picks a bank, returning the answer to the choice.
func (h *harness) chooseBank(checkoutPath, bic string, hdr ...string) *http.Response {
	h.t.Helper()
	resp, page := h.get(checkoutPath, hdr...)
	if resp.StatusCode != 200 {
		h.t.Fatalf("checkout page: %d", resp.StatusCode)
	}
	resp, _ = h.post(checkoutPath+"/bank", url.Values{"bank": {bic}, "csrf": {h.csrf(page)}}, hdr...)
	return resp
}

func expectCode(t *testing.T, resp *http.Response, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, want)
	}
}

// approveAtBank follows the redirect to the simulated bank page and presses a button there.
func (h *harness) approveAtBank(bankURL, decision string) *http.Response {
	h.t.Helper()
	resp, page := h.get(bankURL)
	expectCode(h.t, resp, 200)
	form := url.Values{"decision": {decision}}
	for _, name := range []string{"authorisationId", "redirect_uri", "state"} {
		m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(page)
		if m == nil {
			h.t.Fatalf("bank page lacks %s", name)
		}
		form.Set(name, htmlUnescape(m[1]))
	}
	u, _ := url.Parse(bankURL)
	resp, _ = h.post(u.Path, form)
	expectCode(h.t, resp, 303)
	return resp
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">").Replace(s)
}

func eventTrail(p map[string]any) string {
	var parts []string
	for _, e := range p["events"].([]any) {
		ev := e.(map[string]any)
		parts = append(parts, ev["to"].(string)+"/"+ev["cause"].(string))
	}
	return strings.Join(parts, " ")
}

// TestRedirectJourney runs in every form of the platform's answers the documents allow.
func TestRedirectJourney(t *testing.T) {
	for _, nf := range openpaymentstest.AllForms() {
		t.Run(nf.Name, func(t *testing.T) { redirectJourney(t, nf.Forms) })
	}
}

func redirectJourney(t *testing.T, forms openpaymentstest.Forms) {
	h := newHarness(t)
	h.app.Sandbox.OpenPayments.Forms = forms
	id, path := h.createPayment("")

	resp := h.chooseBank(path, "NDEASESS")
	expectCode(t, resp, 303)
	bankURL := resp.Header.Get("Location")
	if !strings.Contains(bankURL, "/sandbox/openpayments/bank/authorize") || !strings.Contains(bankURL, "client_id=sandbox-client") ||
		!strings.Contains(bankURL, "redirect_uri="+url.QueryEscape(h.srv.URL+"/callback")) || strings.Contains(bankURL, "[TPP_STATE]") {
		t.Fatalf("bank URL placeholders not filled: %s", bankURL)
	}
	if st, _ := h.status(id); st != "authorising" {
		t.Fatalf("status after bank choice = %s", st)
	}
	// The connector sent every header the platform wants, with a fresh X-Request-ID each time.
	seen := map[string]bool{}
	for _, c := range h.app.Sandbox.OpenPayments.Calls() {
		if c.Path == "/connect/token" {
			continue
		}
		if seen[c.Header.Get("X-Request-ID")] {
			t.Fatalf("X-Request-ID reused on %s %s", c.Method, c.Path)
		}
		seen[c.Header.Get("X-Request-ID")] = true
		if strings.Contains(c.Path, "/paymentinitiation/") {
			for _, hd := range []string{"X-BicFi", "PSU-IP-Address", "PSU-User-Agent", "Authorization"} {
				if c.Header.Get(hd) == "" {
					t.Errorf("%s %s without %s", c.Method, c.Path, hd)
				}
			}
		}
	}

	resp = h.approveAtBank(bankURL, "approve")
	cb := resp.Header.Get("Location")
	if !strings.HasPrefix(cb, h.srv.URL+"/callback?code=") {
		t.Fatalf("bank sent the shopper to %s", cb)
	}
	resp, _ = h.get(cb)
	expectCode(t, resp, 303)
	if resp.Header.Get("Location") != path {
		t.Fatalf("callback redirected to %s", resp.Header.Get("Location"))
	}
	// Nordea settles a few seconds after SCA: the shopper sees "processing", which polls.
	resp, page := h.get(path)
	expectCode(t, resp, 200)
	if !strings.Contains(page, "Payment being processed") || !strings.Contains(page, `http-equiv="refresh"`) {
		t.Fatalf("expected the processing page:\n%s", page)
	}
	h.clock.Add(5 * time.Second)
	resp, body := h.get(path + "/status?page=processing")
	expectCode(t, resp, 200)
	if !strings.Contains(body, `"next":"`+path+`"`) {
		t.Fatalf("status did not move on: %s", body)
	}
	_, page = h.get(path)
	if !strings.Contains(page, "Payment completed") {
		t.Fatalf("expected the completed page:\n%s", page)
	}
	st, p := h.status(id)
	if st != "completed" || p["bank_status"] != "ACSC" || p["bank"].(map[string]any)["bic"] != "NDEASESS" {
		t.Fatalf("payment = %v", p)
	}
	if got, want := eventTrail(p), "open/merchant authorising/shopper processing/callback completed/poll"; got != want {
		t.Fatalf("events = %s, want %s", got, want)
	}

	// Back to the shop: a signed return URL on the merchant's origin, which the shop verifies.
	resp, _ = h.get(path + "/return")
	expectCode(t, resp, 303)
	ret, _ := url.Parse(resp.Header.Get("Location"))
	q := ret.Query()
	if ret.Path != "/demo/return" || q.Get("payment_id") != id || q.Get("status") != "completed" ||
		!hmac.Equal([]byte(q.Get("signature")), []byte(checkout.SignReturn(h.merchant.SigningSecret, id, "completed"))) {
		t.Fatalf("return URL = %s", ret)
	}
	resp, page = h.get(ret.String())
	expectCode(t, resp, 200)
	if !strings.Contains(page, "signature valid") {
		t.Fatal("demo shop did not accept the signature")
	}
	q.Set("status", "failed")
	ret.RawQuery = q.Encode()
	resp, _ = h.get(ret.String())
	expectCode(t, resp, 400)

	// The callback is single use: a replay is refused and changes nothing.
	resp, page = h.get(cb)
	expectCode(t, resp, 400)
	if !strings.Contains(page, "not valid any more") {
		t.Fatalf("replayed callback page:\n%s", page)
	}
	if _, p2 := h.status(id); len(p2["events"].([]any)) != 4 {
		t.Fatalf("replay changed the payment: %v", p2["events"])
	}
}

// decodeQR fetches the QR image and reads it back, as a phone camera would.
func (h *harness) decodeQR(src string) string {
	h.t.Helper()
	resp, body := h.get(htmlUnescape(src))
	expectCode(h.t, resp, 200)
	if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Content-Type") != "image/png" {
		h.t.Fatalf("QR image headers: %v", resp.Header)
	}
	text, err := decodeQRImage(strings.NewReader(body))
	if err != nil {
		h.t.Fatalf("QR does not decode: %v", err)
	}
	return text
}

func decodeQRImage(r io.Reader) (string, error) { return sandbox.DecodeQR(r) }

var qrSrcRe = regexp.MustCompile(`id="qr" class="qr" src="([^"]+)"`)

func (h *harness) currentQR(path string) string {
	h.t.Helper()
	resp, body := h.get(path + "/status?page=bankid")
	expectCode(h.t, resp, 200)
	var s struct{ QR, Next, Message string }
	json.Unmarshal([]byte(body), &s)
	if s.QR == "" {
		h.t.Fatalf("no QR in status: %s", body)
	}
	return h.decodeQR(s.QR)
}

func (h *harness) scan(payload string) (*http.Response, string) {
	return h.do("POST", "/sandbox/bankid/scan", strings.NewReader(url.Values{"payload": {payload}}.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
}

var refRe = regexp.MustCompile(`name="ref" value="([^"]+)"`)

func (h *harness) sign(appPage, decision string) {
	h.t.Helper()
	m := refRe.FindStringSubmatch(appPage)
	if m == nil {
		h.t.Fatalf("app shows no order:\n%s", appPage)
	}
	resp, _ := h.post("/sandbox/bankid/sign", url.Values{"ref": {m[1]}, "decision": {decision}})
	if resp.StatusCode != 200 && resp.StatusCode != 303 {
		h.t.Fatalf("sign: %d", resp.StatusCode)
	}
}

// TestDecoupledJourney runs in every form of the platform's answers the documents allow.
func TestDecoupledJourney(t *testing.T) {
	for _, nf := range openpaymentstest.AllForms() {
		t.Run(nf.Name, func(t *testing.T) { decoupledJourney(t, nf.Forms) })
	}
}

func decoupledJourney(t *testing.T, forms openpaymentstest.Forms) {
	h := newHarness(t)
	h.app.Sandbox.OpenPayments.Forms = forms
	id, path := h.createPayment("")
	resp := h.chooseBank(path, "HANDSESS")
	expectCode(t, resp, 303)
	if resp.Header.Get("Location") != path {
		t.Fatalf("decoupled choice went to %s", resp.Header.Get("Location"))
	}
	resp, page := h.get(path)
	expectCode(t, resp, 200)
	m := qrSrcRe.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, "scan the QR code") || !strings.Contains(page, `aria-live="polite"`) {
		t.Fatalf("BankID page without QR:\n%s", page)
	}
	first := h.decodeQR(m[1])
	q0, err := bankid.ParseQR(first)
	if err != nil || q0.Time != 0 {
		t.Fatalf("first frame %q: %v", first, err)
	}

	if forms.SCAStatusOnly {
		// The bank's polls carry the scaStatus only: the page keeps the frame the method
		// selection gave, rather than dropping the QR.
		if again := h.currentQR(path); again != first {
			t.Fatalf("kept frame %q, first %q", again, first)
		}
	} else {
		// A second later the frame is new; the old one is refused by the app, as BankID does.
		h.clock.Add(time.Second)
		second := h.currentQR(path)
		q1, _ := bankid.ParseQR(second)
		if q1.Token != q0.Token || q1.Time != 1 || second == first {
			t.Fatalf("second frame %q after %q", second, first)
		}
		resp, body := h.scan(first)
		expectCode(t, resp, 400)
		if !strings.Contains(body, "QR code invalid") {
			t.Fatalf("stale QR accepted:\n%s", body)
		}
		resp, _ = h.scan(strings.Replace(second, q1.Token, "00000000-0000-0000-0000-000000000000", 1))
		expectCode(t, resp, 400)
	}

	// The shopper points the app's camera at the screen: upload the picture of the current frame.
	resp, body := h.upload(h.currentQRImage(path))
	expectCode(t, resp, 200)
	// While the shopper signs, the QR is gone and the message says what to do (the BankID hint
	// userSign comes with the bank's psuMessage, which a scaStatus-only poll lacks).
	resp, st := h.get(path + "/status?page=bankid")
	expectCode(t, resp, 200)
	if strings.Contains(st, `"qr"`) || (!forms.SCAStatusOnly && !strings.Contains(st, "security code")) {
		t.Fatalf("status while signing: %s", st)
	}
	h.sign(body, "approve")
	_, st = h.get(path + "/status?page=bankid")
	if !strings.Contains(st, `"next":"`+path+`"`) {
		t.Fatalf("status after signing: %s", st)
	}
	_, page = h.get(path)
	if !strings.Contains(page, "Payment completed") {
		t.Fatalf("expected completed page:\n%s", page)
	}
	if s, p := h.status(id); s != "completed" || eventTrail(p) != "open/merchant authorising/shopper completed/poll" {
		t.Fatalf("payment %s, events %s", s, eventTrail(p))
	}
	resp, _ = h.get(path + "/return")
	ret, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != 303 || ret.Query().Get("status") != "completed" || ret.Query().Get("payment_id") != id || !strings.HasPrefix(ret.String(), h.srv.URL+"/demo/return?") {
		t.Fatalf("back to the shop: %d %s", resp.StatusCode, ret)
	}
}

// currentQRImage returns the PNG of the frame the page shows now.
func (h *harness) currentQRImage(path string) []byte {
	h.t.Helper()
	_, body := h.get(path + "/status?page=bankid")
	var s struct{ QR string }
	json.Unmarshal([]byte(body), &s)
	resp, png := h.get(s.QR)
	expectCode(h.t, resp, 200)
	return []byte(png)
}

// upload sends a picture to the simulated BankID app, as its camera would.
func (h *harness) upload(png []byte) (*http.Response, string) {
	h.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("picture", "qr.png")
	fw.Write(png)
	mw.Close()
	return h.do("POST", "/sandbox/bankid/scan", &buf, map[string]string{"Content-Type": mw.FormDataContentType()})
}

func TestDecoupledOnPhone(t *testing.T) {
	h := newHarness(t)
	_, path := h.createPayment("")
	ua := "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"
	resp := h.chooseBank(path, "SEB", "User-Agent", ua) // not a BIC: refused
	expectCode(t, resp, 422)
	resp = h.chooseBank(path, "ESSESESS", "User-Agent", ua)
	expectCode(t, resp, 303)
	resp, page := h.get(path, "User-Agent", ua)
	expectCode(t, resp, 200)
	if !strings.Contains(page, "Open BankID on this device") || qrSrcRe.MatchString(page) {
		t.Fatalf("phone page:\n%s", page)
	}
	resp, _ = h.post(path+"/bankid/launch", url.Values{"csrf": {h.csrf(page)}}, "User-Agent", ua)
	expectCode(t, resp, 303)
	app, _ := url.Parse(resp.Header.Get("Location"))
	if app.Path != "/sandbox/bankid/app" || app.Query().Get("autostarttoken") == "" || app.Query().Get("redirect") != h.srv.URL+path {
		t.Fatalf("autostart URL %s", app)
	}
	_, page = h.get(path, "User-Agent", ua)
	if !strings.Contains(page, "Trying to start your BankID app") {
		t.Fatalf("after launch:\n%s", page)
	}
	resp, body := h.get(app.String())
	expectCode(t, resp, 200)
	m := refRe.FindStringSubmatch(body)
	resp, _ = h.post("/sandbox/bankid/sign", url.Values{"ref": {m[1]}, "decision": {"approve"}, "redirect": {app.Query().Get("redirect")}})
	expectCode(t, resp, 303)
	if resp.Header.Get("Location") != h.srv.URL+path {
		t.Fatalf("app returned to %s", resp.Header.Get("Location"))
	}
	// Coming back from the app (a new tab on iOS) resumes the same order and shows the result.
	_, page = h.get(path, "User-Agent", ua)
	if !strings.Contains(page, "Payment completed") {
		t.Fatalf("back from the app:\n%s", page)
	}
}

// The shopper's own country comes first in the picker: the browser's, when we have banks there,
// else the currency's home (an English browser paying in kronor sees Sweden first).
func TestPickerHomeCountryFirst(t *testing.T) {
	h := newHarness(t)
	_, path := h.createPayment("")
	firstGroup := regexp.MustCompile(`<h2 id="c-([A-Z]{2})">`)
	for accept, want := range map[string]string{"en-US,en;q=0.9": "SE", "nb-NO": "NO", "fi-FI": "FI", "da-DK": "DK", "": "SE"} {
		_, page := h.get(path, "Accept-Language", accept)
		m := firstGroup.FindStringSubmatch(page)
		if m == nil || m[1] != want {
			t.Errorf("Accept-Language %q: first country %v, want %s", accept, m, want)
		}
	}
}
