package e2e

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"paybybank/internal/e2etest"
)

func TestDeniedAtBank(t *testing.T) {
	h := e2etest.New(t)
	id, path := h.CreatePayment("")
	resp := h.ChooseBank(path, "DNBANOKK") // NOK only: refused before any bank call
	e2etest.ExpectCode(t, resp, 303)
	resp = h.ChooseBank(path, "NDEASESS")
	e2etest.ExpectCode(t, resp, 303)
	resp = h.ApproveAtBank(resp.Header.Get("Location"), "deny")
	cb := resp.Header.Get("Location")
	if !strings.Contains(cb, "error=access_denied") {
		t.Fatalf("deny went to %s", cb)
	}
	resp, _ = h.Get(cb)
	e2etest.ExpectCode(t, resp, 303)
	// The payment waits for another attempt: the bank choice says why and offers to try again.
	_, page := h.Get(path)
	if !strings.Contains(page, "did not go through") || !strings.Contains(page, "declined at your bank") || !strings.Contains(page, "Try again") {
		t.Fatalf("page after deny:\n%s", page)
	}
	st, p := h.Status(id)
	if outcome, reason := h.LastAttempt(p); st != "open" || outcome != "denied" || reason != "denied_at_bank" {
		t.Fatalf("payment %v", p)
	}
}

func TestBankRejectsAfterApproval(t *testing.T) {
	h := e2etest.New(t)
	id, path := h.CreatePayment("")
	resp := h.ChooseBank(path, "NDEASESS")
	resp = h.ApproveAtBank(resp.Header.Get("Location"), "reject")
	h.Get(resp.Header.Get("Location"))
	st, p := h.Status(id)
	if outcome, reason := h.LastAttempt(p); st != "open" || p["bank_status"] != "RJCT" || outcome != "failed" || reason != "rejected_by_bank" {
		t.Fatalf("payment %v", p)
	}
}

func TestCancelOnBankIDPage(t *testing.T) {
	h := e2etest.New(t)
	id, path := h.CreatePayment("")
	e2etest.ExpectCode(t, h.ChooseBank(path, "HANDSESS"), 303)
	_, page := h.Get(path)
	resp, _ := h.Post(path+"/cancel", url.Values{"csrf": {h.CSRF(page)}})
	e2etest.ExpectCode(t, resp, 303)
	_, page = h.Get(path)
	if !strings.Contains(page, "Payment cancelled") {
		t.Fatalf("after cancel:\n%s", page)
	}
	st, p := h.Status(id)
	if st != "cancelled" {
		t.Fatalf("payment %v", p)
	}
	// Cancelled at the bank too.
	calls := h.App.Sandbox.OpenPayments.Calls()
	last := calls[len(calls)-1]
	if last.Method != "DELETE" {
		t.Fatalf("last bank call %s %s, want DELETE", last.Method, last.Path)
	}
	bankID := last.Path[strings.LastIndex(last.Path, "/")+1:]
	if got := h.App.Sandbox.OpenPayments.TransactionStatus(bankID); got != "CANC" {
		t.Fatalf("bank status %s", got)
	}
}

func TestCancelWithoutCSRFToken(t *testing.T) {
	h := e2etest.New(t)
	id, path := h.CreatePayment("")
	e2etest.ExpectCode(t, h.ChooseBank(path, "HANDSESS"), 303)
	// Without the session's token nothing is done; the answer is still a redirect to a GET, whose
	// page says the session expired (post/redirect/get).
	if _, page := h.PostRedirect(path+"/cancel", url.Values{"csrf": {"forged"}}); !strings.Contains(page, "Your session has expired") {
		t.Fatalf("after a forged cancel:\n%s", page)
	}
	var resp *http.Response
	// A cross-site form post is refused by the origin check before any handler runs.
	resp, _ = h.Post(path+"/cancel", url.Values{}, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
	e2etest.ExpectCode(t, resp, 403)
	if st, _ := h.Status(id); st != "authorising" {
		t.Fatalf("status %s", st)
	}
}

func TestQRTimeoutAndTryAgain(t *testing.T) {
	h := e2etest.New(t)
	id, path := h.CreatePayment("")
	e2etest.ExpectCode(t, h.ChooseBank(path, "HANDSESS"), 303)
	first := h.CurrentQR(path)
	h.Clock.Add(31 * time.Second) // nobody scanned: the bank fails SCA (startFailed)
	_, st := h.Get(path + "/status?page=bankid")
	if !strings.Contains(st, `"next"`) {
		t.Fatalf("status after time-out: %s", st)
	}
	// The lapsed order ends the attempt (abandoned): the bank choice says so and offers it again.
	_, page := h.Get(path)
	if !strings.Contains(page, "Try again") || !strings.Contains(page, "The BankID app was not started in time") || e2etest.QRSrcRe.MatchString(page) {
		t.Fatalf("page after time-out:\n%s", page)
	}
	if s, p := h.Status(id); s != "open" {
		t.Fatalf("status %s after QR time-out", s)
	} else if outcome, reason := h.LastAttempt(p); outcome != "abandoned" || reason != "bankid_expired" {
		t.Fatalf("attempt %s (%s)", outcome, reason)
	}
	resp, _ := h.Post(path+"/retry", url.Values{"csrf": {h.CSRF(page)}})
	e2etest.ExpectCode(t, resp, 303)
	second := h.CurrentQR(path)
	if second[:44] == first[:44] {
		t.Fatalf("retry reused the old order: %s", second)
	}
	resp, body := h.Scan(second)
	e2etest.ExpectCode(t, resp, 200)
	h.Sign(body, "approve")
	h.Get(path + "/status?page=bankid")
	if s, p := h.Status(id); s != "completed" {
		t.Fatalf("payment %v", p)
	}
}

func TestDeclinedInBankIDApp(t *testing.T) {
	h := e2etest.New(t)
	id, path := h.CreatePayment("")
	e2etest.ExpectCode(t, h.ChooseBank(path, "ESSESESS"), 303)
	resp, body := h.Scan(h.CurrentQR(path))
	e2etest.ExpectCode(t, resp, 200)
	h.Sign(body, "decline")
	_, page := h.Get(path)
	if !strings.Contains(page, "You cancelled the payment in the BankID app") || !strings.Contains(page, "Choose another bank") {
		t.Fatalf("page after decline:\n%s", page)
	}
	s, p := h.Status(id)
	if outcome, reason := h.LastAttempt(p); s != "open" || outcome != "cancelled" || reason != "bankid_cancelled" {
		t.Fatalf("payment %v", p)
	}
}

func TestExpiry(t *testing.T) {
	h := e2etest.New(t)
	id, path := h.CreatePayment(`,"expires_in":60`)
	e2etest.ExpectCode(t, h.ChooseBank(path, "HANDSESS"), 303)
	h.Clock.Add(61 * time.Second)
	_, page := h.Get(path)
	if !strings.Contains(page, "Payment expired") {
		t.Fatalf("page after expiry:\n%s", page)
	}
	if s, p := h.Status(id); s != "expired" || e2etest.EventTrail(p) != "open/merchant authorising/shopper expired/timeout" {
		t.Fatalf("payment %v", p)
	}
	// Terminal means terminal: cancel is refused.
	code, prob := h.API("POST", "/api/v1/payments/"+id+"/cancel", "")
	if code != 409 || prob["code"] != "payment_not_cancellable" || prob["payment_status"] != "expired" {
		t.Fatalf("cancel expired: %d %v", code, prob)
	}
}

func TestBankUnavailableThenRetried(t *testing.T) {
	h := e2etest.New(t)
	id, path := h.CreatePayment("")
	_, page := h.Get(path) // the page loads the bank list, so the failures hit the payment calls
	fake := h.App.Sandbox.OpenPayments
	fake.FailNext(4, 503, "") // every try the connector makes
	resp, page := h.PostRedirect(path+"/bank", url.Values{"bank": {"HANDSESS"}, "csrf": {h.CSRF(page)}})
	e2etest.ExpectCode(t, resp, 200)
	if s, _ := h.Status(id); s != "open" || !strings.Contains(page, "Your bank did not answer") {
		t.Fatalf("status %s after failed bank call:\n%s", s, page)
	}
	fake.FailNext(2, 429, "0")
	resp, _ = h.Post(path+"/bank", url.Values{"bank": {"HANDSESS"}, "csrf": {h.CSRF(page)}})
	e2etest.ExpectCode(t, resp, 303)
	if s, _ := h.Status(id); s != "authorising" {
		t.Fatalf("status %s after retried bank call", s)
	}
}

func TestErrorPageOfferTryAgain(t *testing.T) {
	h := e2etest.New(t)
	_, path := h.CreatePayment("")
	_, page := h.Get(path)
	h.App.Sandbox.OpenPayments.FailNext(10, 500, "")
	resp, page := h.PostRedirect(path+"/bank", url.Values{"bank": {"HANDSESS"}, "csrf": {h.CSRF(page)}})
	e2etest.ExpectCode(t, resp, 200)
	if !strings.Contains(page, "Your bank did not answer") || !strings.Contains(page, `action="`+path+`/retry"`) {
		t.Fatalf("page after the bank's failure:\n%s", page)
	}
}

func TestForgedAndUnknownState(t *testing.T) {
	h := e2etest.New(t)
	id, path := h.CreatePayment("")
	resp := h.ChooseBank(path, "NDEASESS")
	bank, _ := url.Parse(resp.Header.Get("Location"))
	state := bank.Query().Get("state")
	last := "A"
	if strings.HasSuffix(state, "A") {
		last = "B"
	}
	for _, q := range []string{"", "state=forged&code=x", "code=x", "state=" + url.QueryEscape(state[:len(state)-1]+last) + "&code=x"} {
		resp, page := h.Get("/callback?" + q)
		e2etest.ExpectCode(t, resp, 400)
		if !strings.Contains(page, "not valid any more") {
			t.Fatalf("callback %q page:\n%s", q, page)
		}
	}
	// A real state with a code the bank never issued: the exchange fails, and so does the attempt.
	resp, _ = h.Get("/callback?state=" + url.QueryEscape(state) + "&code=not-issued&scope=paymentinitiation")
	s, p := h.Status(id)
	if outcome, reason := h.LastAttempt(p); s != "open" || resp.StatusCode != 303 || outcome != "failed" || reason != "authorisation_failed" {
		t.Fatalf("payment %v after bad code", p)
	}
}

func TestDoubleSubmitStartsOneBankOrder(t *testing.T) {
	h := e2etest.New(t)
	_, path := h.CreatePayment("")
	_, page := h.Get(path)
	csrf := h.CSRF(page)
	for i := 0; i < 3; i++ {
		resp, _ := h.Post(path+"/bank", url.Values{"bank": {"HANDSESS"}, "csrf": {csrf}})
		e2etest.ExpectCode(t, resp, 303)
		h.Get(path) // reload
	}
	creates := 0
	for _, c := range h.App.Sandbox.OpenPayments.Calls() {
		if c.Method == "POST" && regexp.MustCompile(`/payments/[a-z-]+$`).MatchString(c.Path) {
			creates++
		}
	}
	if creates != 1 {
		t.Fatalf("%d bank payments created, want 1", creates)
	}
}

func TestRestartResumes(t *testing.T) {
	h := e2etest.New(t)
	id, path := h.CreatePayment("")
	e2etest.ExpectCode(t, h.ChooseBank(path, "HANDSESS"), 303)
	before := h.CurrentQR(path)
	// The server dies; the bank does not. A new process on the same database picks up.
	prev := h.App
	h.DB.Close()
	h.Start(prev)
	h.Clock.Add(time.Second)
	after := h.CurrentQR(path)
	if after[:44] != before[:44] {
		t.Fatalf("restart started a new bank order: %s vs %s", before, after)
	}
	// The shopper approves while nobody has the page open; the reconciler finds out.
	resp, body := h.Scan(after)
	e2etest.ExpectCode(t, resp, 200)
	h.Sign(body, "approve")
	n, err := h.App.Checkout.Reconcile(t.Context(), nil)
	if err != nil || n != 1 {
		t.Fatalf("reconcile moved %d: %v", n, err)
	}
	if s, p := h.Status(id); s != "completed" || !strings.HasSuffix(e2etest.EventTrail(p), "completed/poll") {
		t.Fatalf("payment %v", p)
	}
	// And unfinished payments past their time are expired by it.
	id2, _ := h.CreatePayment(`,"expires_in":60`)
	h.Clock.Add(2 * time.Minute)
	h.App.Checkout.Reconcile(t.Context(), nil)
	if s, _ := h.Status(id2); s != "expired" {
		t.Fatalf("reconciler left %s", s)
	}
}

func TestStatusPollsShareOneBankCall(t *testing.T) {
	h := e2etest.New(t)
	h.App.Checkout.PollEvery = time.Hour // the clock stands still: every poll falls in one window
	_, path := h.CreatePayment("")
	e2etest.ExpectCode(t, h.ChooseBank(path, "HANDSESS"), 303)
	authGets := func() int {
		n := 0
		for _, c := range h.App.Sandbox.OpenPayments.Calls() {
			if c.Method == "GET" && strings.Contains(c.Path, "/authorisations/") {
				n++
			}
		}
		return n
	}
	before := authGets()
	for i := 0; i < 5; i++ {
		h.Get(path + "/status?page=bankid")
		h.Get(path + "/qr.png")
	}
	if n := authGets() - before; n != 0 {
		t.Fatalf("%d bank polls for 10 status and QR requests within one window, want 0 (served from the first)", n)
	}
	h.Get(path) // a page load asks afresh
	if n := authGets() - before; n != 1 {
		t.Fatalf("%d bank polls after a page load, want 1", n)
	}
}
