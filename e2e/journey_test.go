package e2e

import (
	"crypto/hmac"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"paybybank/banks/bankid"
	"paybybank/banks/openpayments/openpaymentstest"
	"paybybank/checkout"
	"paybybank/internal/e2etest"
)

func TestRedirectJourney(t *testing.T) {
	for _, nf := range openpaymentstest.AllForms() {
		t.Run(nf.Name, func(t *testing.T) { redirectJourney(t, nf.Forms) })
	}
}

func redirectJourney(t *testing.T, forms openpaymentstest.Forms) {
	h := e2etest.New(t)
	h.App.Sandbox.OpenPayments.Forms = forms
	id, path := h.CreatePayment("")

	resp := h.ChooseBank(path, "NDEASESS")
	e2etest.ExpectCode(t, resp, 303)
	bankURL := resp.Header.Get("Location")
	if !strings.Contains(bankURL, "/sandbox/openpayments/bank/authorize") || !strings.Contains(bankURL, "client_id=sandbox-client") ||
		!strings.Contains(bankURL, "redirect_uri="+url.QueryEscape(h.Srv.URL+"/callback")) || strings.Contains(bankURL, "[TPP_STATE]") {
		t.Fatalf("bank URL placeholders not filled: %s", bankURL)
	}
	if st, _ := h.Status(id); st != "authorising" {
		t.Fatalf("status after bank choice = %s", st)
	}
	// The connector sent every header the platform wants, with a fresh X-Request-ID each time.
	seen := map[string]bool{}
	for _, c := range h.App.Sandbox.OpenPayments.Calls() {
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

	resp = h.ApproveAtBank(bankURL, "approve")
	cb := resp.Header.Get("Location")
	if !strings.HasPrefix(cb, h.Srv.URL+"/callback?code=") {
		t.Fatalf("bank sent the shopper to %s", cb)
	}
	resp, _ = h.Get(cb)
	e2etest.ExpectCode(t, resp, 303)
	if resp.Header.Get("Location") != path {
		t.Fatalf("callback redirected to %s", resp.Header.Get("Location"))
	}
	// Nordea settles a few seconds after SCA: the shopper sees "processing", which polls.
	resp, page := h.Get(path)
	e2etest.ExpectCode(t, resp, 200)
	if !strings.Contains(page, "Payment being processed") || !strings.Contains(page, `http-equiv="refresh"`) {
		t.Fatalf("expected the processing page:\n%s", page)
	}
	h.Clock.Add(5 * time.Second)
	resp, body := h.Get(path + "/status?page=processing")
	e2etest.ExpectCode(t, resp, 200)
	if !strings.Contains(body, `"next":"`+path+`"`) {
		t.Fatalf("status did not move on: %s", body)
	}
	_, page = h.Get(path)
	if !strings.Contains(page, "Payment completed") {
		t.Fatalf("expected the completed page:\n%s", page)
	}
	st, p := h.Status(id)
	if st != "completed" || p["bank_status"] != "ACSC" || p["bank"].(map[string]any)["bic"] != "NDEASESS" {
		t.Fatalf("payment = %v", p)
	}
	if got, want := e2etest.EventTrail(p), "open/merchant authorising/shopper processing/callback completed/poll"; got != want {
		t.Fatalf("events = %s, want %s", got, want)
	}

	// Back to the shop: a signed return URL on the merchant's origin, which the shop verifies.
	resp, _ = h.Get(path + "/return")
	e2etest.ExpectCode(t, resp, 303)
	ret, _ := url.Parse(resp.Header.Get("Location"))
	q := ret.Query()
	if ret.Path != "/demo/return" || q.Get("payment_id") != id || q.Get("status") != "completed" ||
		!hmac.Equal([]byte(q.Get("signature")), []byte(checkout.SignReturn(h.Merchant.SigningSecret, id, "completed"))) {
		t.Fatalf("return URL = %s", ret)
	}
	resp, page = h.Get(ret.String())
	e2etest.ExpectCode(t, resp, 200)
	if !strings.Contains(page, "signature valid") {
		t.Fatal("demo shop did not accept the signature")
	}
	q.Set("status", "failed")
	ret.RawQuery = q.Encode()
	resp, _ = h.Get(ret.String())
	e2etest.ExpectCode(t, resp, 400)

	// The callback is single use: a replay is refused and changes nothing.
	resp, page = h.Get(cb)
	e2etest.ExpectCode(t, resp, 400)
	if !strings.Contains(page, "not valid any more") {
		t.Fatalf("replayed callback page:\n%s", page)
	}
	if _, p2 := h.Status(id); len(p2["events"].([]any)) != 4 {
		t.Fatalf("replay changed the payment: %v", p2["events"])
	}
}

// decodeQR fetches the QR image and reads it back, as a phone camera would.
func TestDecoupledJourney(t *testing.T) {
	for _, nf := range openpaymentstest.AllForms() {
		t.Run(nf.Name, func(t *testing.T) { decoupledJourney(t, nf.Forms) })
	}
}

func decoupledJourney(t *testing.T, forms openpaymentstest.Forms) {
	h := e2etest.New(t)
	h.App.Sandbox.OpenPayments.Forms = forms
	id, path := h.CreatePayment("")
	resp := h.ChooseBank(path, "HANDSESS")
	e2etest.ExpectCode(t, resp, 303)
	if resp.Header.Get("Location") != path {
		t.Fatalf("decoupled choice went to %s", resp.Header.Get("Location"))
	}
	resp, page := h.Get(path)
	e2etest.ExpectCode(t, resp, 200)
	m := e2etest.QRSrcRe.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, "scan the QR code") || !strings.Contains(page, `aria-live="polite"`) {
		t.Fatalf("BankID page without QR:\n%s", page)
	}
	first := h.DecodeQR(m[1])
	q0, err := bankid.ParseQR(first)
	if err != nil || q0.Time != 0 {
		t.Fatalf("first frame %q: %v", first, err)
	}

	if forms.SCAStatusOnly {
		// The bank's polls carry the scaStatus only: the page keeps the frame the method
		// selection gave, rather than dropping the QR.
		if again := h.CurrentQR(path); again != first {
			t.Fatalf("kept frame %q, first %q", again, first)
		}
	} else {
		// A second later the frame is new; the old one is refused by the app, as BankID does.
		h.Clock.Add(time.Second)
		second := h.CurrentQR(path)
		q1, _ := bankid.ParseQR(second)
		if q1.Token != q0.Token || q1.Time != 1 || second == first {
			t.Fatalf("second frame %q after %q", second, first)
		}
		resp, body := h.Scan(first)
		e2etest.ExpectCode(t, resp, 400)
		if !strings.Contains(body, "QR code invalid") {
			t.Fatalf("stale QR accepted:\n%s", body)
		}
		resp, _ = h.Scan(strings.Replace(second, q1.Token, "00000000-0000-0000-0000-000000000000", 1))
		e2etest.ExpectCode(t, resp, 400)
	}

	// The shopper points the app's camera at the screen: upload the picture of the current frame.
	resp, body := h.Upload(h.CurrentQRImage(path))
	e2etest.ExpectCode(t, resp, 200)
	// While the shopper signs, the QR is gone and the message says what to do (the BankID hint
	// userSign comes with the bank's psuMessage, which a scaStatus-only poll lacks).
	resp, st := h.Get(path + "/status?page=bankid")
	e2etest.ExpectCode(t, resp, 200)
	if strings.Contains(st, `"qr"`) || (!forms.SCAStatusOnly && !strings.Contains(st, "security code")) {
		t.Fatalf("status while signing: %s", st)
	}
	h.Sign(body, "approve")
	_, st = h.Get(path + "/status?page=bankid")
	if !strings.Contains(st, `"next":"`+path+`"`) {
		t.Fatalf("status after signing: %s", st)
	}
	_, page = h.Get(path)
	if !strings.Contains(page, "Payment completed") {
		t.Fatalf("expected completed page:\n%s", page)
	}
	if s, p := h.Status(id); s != "completed" || e2etest.EventTrail(p) != "open/merchant authorising/shopper completed/poll" {
		t.Fatalf("payment %s, events %s", s, e2etest.EventTrail(p))
	}
	resp, _ = h.Get(path + "/return")
	ret, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != 303 || ret.Query().Get("status") != "completed" || ret.Query().Get("payment_id") != id || !strings.HasPrefix(ret.String(), h.Srv.URL+"/demo/return?") {
		t.Fatalf("back to the shop: %d %s", resp.StatusCode, ret)
	}
}

// currentQRImage returns the PNG of the frame the page shows now.
func TestDecoupledOnPhone(t *testing.T) {
	h := e2etest.New(t)
	_, path := h.CreatePayment("")
	ua := "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"
	resp := h.ChooseBank(path, "SEB", "User-Agent", ua) // not a BIC: refused, and the picker says so
	e2etest.ExpectCode(t, resp, 303)
	if _, page := h.Get(resp.Header.Get("Location"), "User-Agent", ua); !strings.Contains(page, "This bank cannot take this payment") {
		t.Fatalf("after a bad choice:\n%s", page)
	}
	resp = h.ChooseBank(path, "ESSESESS", "User-Agent", ua)
	e2etest.ExpectCode(t, resp, 303)
	resp, page := h.Get(path, "User-Agent", ua)
	e2etest.ExpectCode(t, resp, 200)
	if !strings.Contains(page, "Open BankID on this device") || e2etest.QRSrcRe.MatchString(page) {
		t.Fatalf("phone page:\n%s", page)
	}
	resp, _ = h.Post(path+"/bankid/launch", url.Values{"csrf": {h.CSRF(page)}}, "User-Agent", ua)
	e2etest.ExpectCode(t, resp, 303)
	app, _ := url.Parse(resp.Header.Get("Location"))
	if app.Path != "/sandbox/bankid/app" || app.Query().Get("autostarttoken") == "" || app.Query().Get("redirect") != h.Srv.URL+path {
		t.Fatalf("autostart URL %s", app)
	}
	_, page = h.Get(path, "User-Agent", ua)
	if !strings.Contains(page, "Trying to start your BankID app") {
		t.Fatalf("after launch:\n%s", page)
	}
	resp, body := h.Get(app.String())
	e2etest.ExpectCode(t, resp, 200)
	m := e2etest.RefRe.FindStringSubmatch(body)
	resp, _ = h.Post("/sandbox/bankid/sign", url.Values{"ref": {m[1]}, "decision": {"approve"}, "redirect": {app.Query().Get("redirect")}})
	e2etest.ExpectCode(t, resp, 303)
	if resp.Header.Get("Location") != h.Srv.URL+path {
		t.Fatalf("app returned to %s", resp.Header.Get("Location"))
	}
	// Coming back from the app (a new tab on iOS) resumes the same order and shows the result.
	_, page = h.Get(path, "User-Agent", ua)
	if !strings.Contains(page, "Payment completed") {
		t.Fatalf("back from the app:\n%s", page)
	}
}

// The shopper's own country comes first in the picker: the browser's, when we have banks there
// that can take the payment, else the currency's home (an English browser paying in kronor sees
// Sweden first; so does a Norwegian one, whose banks cannot pay kronor to a Swedish account).
func TestPickerHomeCountryFirst(t *testing.T) {
	h := e2etest.New(t)
	_, path := h.CreatePayment("")
	code, p := h.API("POST", "/api/v1/payments", `{"amount":"10.00","currency":"EUR","reference":"Order 5"}`)
	if code != 201 {
		t.Fatalf("%d %v", code, p)
	}
	eur, _ := url.Parse(p["checkout_url"].(string))
	firstGroup := regexp.MustCompile(`<h2 id="c-([A-Z]{2})">`)
	for _, tc := range []struct{ path, accept, want string }{
		{path, "en-US,en;q=0.9", "SE"}, {path, "nb-NO", "SE"}, {path, "", "SE"},
		{eur.Path, "nb-NO", "NO"}, {eur.Path, "fi-FI", "FI"}, {eur.Path, "da-DK", "DK"},
	} {
		_, page := h.Get(tc.path, "Accept-Language", tc.accept)
		m := firstGroup.FindStringSubmatch(page)
		if m == nil || m[1] != tc.want {
			t.Errorf("%s, Accept-Language %q: first country %v, want %s", tc.path, tc.accept, m, tc.want)
		}
	}
}
