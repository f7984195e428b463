package main

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestDeniedAtBank(t *testing.T) {
	h := newHarness(t)
	id, path := h.createPayment("")
	resp := h.chooseBank(path, "DNBANOKK") // NOK only: refused before any bank call
	expectCode(t, resp, 422)
	resp = h.chooseBank(path, "NDEASESS")
	expectCode(t, resp, 303)
	resp = h.approveAtBank(resp.Header.Get("Location"), "deny")
	cb := resp.Header.Get("Location")
	if !strings.Contains(cb, "error=access_denied") {
		t.Fatalf("deny went to %s", cb)
	}
	resp, _ = h.get(cb)
	expectCode(t, resp, 303)
	_, page := h.get(path)
	if !strings.Contains(page, "Payment failed") {
		t.Fatalf("page after deny:\n%s", page)
	}
	if st, p := h.status(id); st != "failed" || p["failure_reason"] != "denied at the bank" {
		t.Fatalf("payment %v", p)
	}
}

func TestBankRejectsAfterApproval(t *testing.T) {
	h := newHarness(t)
	id, path := h.createPayment("")
	resp := h.chooseBank(path, "NDEASESS")
	resp = h.approveAtBank(resp.Header.Get("Location"), "reject")
	h.get(resp.Header.Get("Location"))
	if st, p := h.status(id); st != "failed" || p["bank_status"] != "RJCT" {
		t.Fatalf("payment %v", p)
	}
}

func TestCancelOnBankIDPage(t *testing.T) {
	h := newHarness(t)
	id, path := h.createPayment("")
	expectCode(t, h.chooseBank(path, "HANDSESS"), 303)
	_, page := h.get(path)
	resp, _ := h.post(path+"/cancel", url.Values{"csrf": {h.csrf(page)}})
	expectCode(t, resp, 303)
	_, page = h.get(path)
	if !strings.Contains(page, "Payment cancelled") {
		t.Fatalf("after cancel:\n%s", page)
	}
	st, p := h.status(id)
	if st != "cancelled" {
		t.Fatalf("payment %v", p)
	}
	// Cancelled at the bank too.
	calls := h.app.Sandbox.OpenPayments.Calls()
	last := calls[len(calls)-1]
	if last.Method != "DELETE" {
		t.Fatalf("last bank call %s %s, want DELETE", last.Method, last.Path)
	}
	bankID := last.Path[strings.LastIndex(last.Path, "/")+1:]
	if got := h.app.Sandbox.OpenPayments.TransactionStatus(bankID); got != "CANC" {
		t.Fatalf("bank status %s", got)
	}
}

func TestCancelWithoutCSRFToken(t *testing.T) {
	h := newHarness(t)
	id, path := h.createPayment("")
	expectCode(t, h.chooseBank(path, "HANDSESS"), 303)
	resp, _ := h.post(path+"/cancel", url.Values{"csrf": {"forged"}})
	expectCode(t, resp, 403)
	// A cross-site form post is refused by the origin check before any handler runs.
	resp, _ = h.post(path+"/cancel", url.Values{}, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
	expectCode(t, resp, 403)
	if st, _ := h.status(id); st != "authorising" {
		t.Fatalf("status %s", st)
	}
}

func TestQRTimeoutAndTryAgain(t *testing.T) {
	h := newHarness(t)
	id, path := h.createPayment("")
	expectCode(t, h.chooseBank(path, "HANDSESS"), 303)
	first := h.currentQR(path)
	h.clock.Add(31 * time.Second) // nobody scanned: the bank fails SCA (startFailed)
	_, st := h.get(path + "/status?page=bankid")
	if !strings.Contains(st, `"next"`) {
		t.Fatalf("status after time-out: %s", st)
	}
	_, page := h.get(path)
	if !strings.Contains(page, "Try again") || !strings.Contains(page, "Failed to scan the QR code") || qrSrcRe.MatchString(page) {
		t.Fatalf("page after time-out:\n%s", page)
	}
	if s, _ := h.status(id); s != "authorising" {
		t.Fatalf("status %s after QR time-out", s)
	}
	resp, _ := h.post(path+"/retry", url.Values{"csrf": {h.csrf(page)}})
	expectCode(t, resp, 303)
	second := h.currentQR(path)
	if second[:44] == first[:44] {
		t.Fatalf("retry reused the old order: %s", second)
	}
	resp, body := h.scan(second)
	expectCode(t, resp, 200)
	h.sign(body, "approve")
	h.get(path + "/status?page=bankid")
	if s, p := h.status(id); s != "completed" {
		t.Fatalf("payment %v", p)
	}
}

func TestDeclinedInBankIDApp(t *testing.T) {
	h := newHarness(t)
	id, path := h.createPayment("")
	expectCode(t, h.chooseBank(path, "ESSESESS"), 303)
	resp, body := h.scan(h.currentQR(path))
	expectCode(t, resp, 200)
	h.sign(body, "decline")
	_, page := h.get(path)
	if !strings.Contains(page, "Payment failed") {
		t.Fatalf("page after decline:\n%s", page)
	}
	if s, p := h.status(id); s != "failed" || p["failure_reason"] != "cancelled in the BankID app" {
		t.Fatalf("payment %v", p)
	}
}

func TestExpiry(t *testing.T) {
	h := newHarness(t)
	id, path := h.createPayment(`,"expires_in":60`)
	expectCode(t, h.chooseBank(path, "HANDSESS"), 303)
	h.clock.Add(61 * time.Second)
	_, page := h.get(path)
	if !strings.Contains(page, "Payment expired") {
		t.Fatalf("page after expiry:\n%s", page)
	}
	if s, p := h.status(id); s != "expired" || eventTrail(p) != "open/merchant authorising/shopper expired/timeout" {
		t.Fatalf("payment %v", p)
	}
	// Terminal means terminal: cancel is refused.
	code, prob := h.api("POST", "/api/v1/payments/"+id+"/cancel", "")
	if code != 409 || prob["code"] != "payment_not_cancellable" || prob["payment_status"] != "expired" {
		t.Fatalf("cancel expired: %d %v", code, prob)
	}
}

func TestBankUnavailableThenRetried(t *testing.T) {
	h := newHarness(t)
	id, path := h.createPayment("")
	_, page := h.get(path) // the page loads the bank list, so the failures hit the payment calls
	fake := h.app.Sandbox.OpenPayments
	fake.FailNext(4, 503, "") // every try the connector makes
	resp, _ := h.post(path+"/bank", url.Values{"bank": {"HANDSESS"}, "csrf": {h.csrf(page)}})
	expectCode(t, resp, 502)
	if s, _ := h.status(id); s != "open" {
		t.Fatalf("status %s after failed bank call", s)
	}
	fake.FailNext(2, 429, "0")
	resp, _ = h.post(path+"/bank", url.Values{"bank": {"HANDSESS"}, "csrf": {h.csrf(page)}})
	expectCode(t, resp, 303)
	if s, _ := h.status(id); s != "authorising" {
		t.Fatalf("status %s after retried bank call", s)
	}
}

func TestErrorPageOfferTryAgain(t *testing.T) {
	h := newHarness(t)
	_, path := h.createPayment("")
	_, page := h.get(path)
	h.app.Sandbox.OpenPayments.FailNext(10, 500, "")
	resp, page := h.post(path+"/bank", url.Values{"bank": {"HANDSESS"}, "csrf": {h.csrf(page)}})
	expectCode(t, resp, 502)
	if !strings.Contains(page, "Your bank is not answering") || !strings.Contains(page, `href="`+path+`"`) {
		t.Fatalf("error page:\n%s", page)
	}
}

func TestForgedAndUnknownState(t *testing.T) {
	h := newHarness(t)
	id, path := h.createPayment("")
	resp := h.chooseBank(path, "NDEASESS")
	bank, _ := url.Parse(resp.Header.Get("Location"))
	state := bank.Query().Get("state")
	last := "A"
	if strings.HasSuffix(state, "A") {
		last = "B"
	}
	for _, q := range []string{"", "state=forged&code=x", "code=x", "state=" + url.QueryEscape(state[:len(state)-1]+last) + "&code=x"} {
		resp, page := h.get("/callback?" + q)
		expectCode(t, resp, 400)
		if !strings.Contains(page, "not valid any more") {
			t.Fatalf("callback %q page:\n%s", q, page)
		}
	}
	// A real state with a code the bank never issued: the exchange fails, the payment fails.
	resp, _ = h.get("/callback?state=" + url.QueryEscape(state) + "&code=not-issued&scope=paymentinitiation")
	if s, p := h.status(id); s != "failed" || resp.StatusCode != 303 {
		t.Fatalf("payment %v after bad code", p)
	}
}

func TestDoubleSubmitStartsOneBankOrder(t *testing.T) {
	h := newHarness(t)
	_, path := h.createPayment("")
	_, page := h.get(path)
	csrf := h.csrf(page)
	for i := 0; i < 3; i++ {
		resp, _ := h.post(path+"/bank", url.Values{"bank": {"HANDSESS"}, "csrf": {csrf}})
		expectCode(t, resp, 303)
		h.get(path) // reload
	}
	creates := 0
	for _, c := range h.app.Sandbox.OpenPayments.Calls() {
		if c.Method == "POST" && regexp.MustCompile(`/payments/[a-z-]+$`).MatchString(c.Path) {
			creates++
		}
	}
	if creates != 1 {
		t.Fatalf("%d bank payments created, want 1", creates)
	}
}

func TestRestartResumes(t *testing.T) {
	h := newHarness(t)
	id, path := h.createPayment("")
	expectCode(t, h.chooseBank(path, "HANDSESS"), 303)
	before := h.currentQR(path)
	// The server dies; the bank does not. A new process on the same database picks up.
	prev := h.app
	h.db.Close()
	h.start(prev)
	h.clock.Add(time.Second)
	after := h.currentQR(path)
	if after[:44] != before[:44] {
		t.Fatalf("restart started a new bank order: %s vs %s", before, after)
	}
	// The shopper approves while nobody has the page open; the reconciler finds out.
	resp, body := h.scan(after)
	expectCode(t, resp, 200)
	h.sign(body, "approve")
	n, err := h.app.Checkout.Reconcile(t.Context(), nil)
	if err != nil || n != 1 {
		t.Fatalf("reconcile moved %d: %v", n, err)
	}
	if s, p := h.status(id); s != "completed" || !strings.HasSuffix(eventTrail(p), "completed/poll") {
		t.Fatalf("payment %v", p)
	}
	// And unfinished payments past their time are expired by it.
	id2, _ := h.createPayment(`,"expires_in":60`)
	h.clock.Add(2 * time.Minute)
	h.app.Checkout.Reconcile(t.Context(), nil)
	if s, _ := h.status(id2); s != "expired" {
		t.Fatalf("reconciler left %s", s)
	}
}

func TestStatusPollsShareOneBankCall(t *testing.T) {
	h := newHarness(t)
	h.app.Checkout.PollEvery = time.Hour // the clock stands still: every poll falls in one window
	_, path := h.createPayment("")
	expectCode(t, h.chooseBank(path, "HANDSESS"), 303)
	authGets := func() int {
		n := 0
		for _, c := range h.app.Sandbox.OpenPayments.Calls() {
			if c.Method == "GET" && strings.Contains(c.Path, "/authorisations/") {
				n++
			}
		}
		return n
	}
	before := authGets()
	for i := 0; i < 5; i++ {
		h.get(path + "/status?page=bankid")
		h.get(path + "/qr.png")
	}
	if n := authGets() - before; n != 0 {
		t.Fatalf("%d bank polls for 10 status and QR requests within one window, want 0 (served from the first)", n)
	}
	h.get(path) // a page load asks afresh
	if n := authGets() - before; n != 1 {
		t.Fatalf("%d bank polls after a page load, want 1", n)
	}
}
