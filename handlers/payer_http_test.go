package handlers_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"paybybank/banks/openpayments/openpaymentstest"
	"paybybank/internal/e2etest"
	"paybybank/payment"
	"paybybank/store"
)

// unknownPayerPayment is a payment of 249.00 SEK completed without anybody telling the account it
// came from, as at a bank whose provider does not report it, and returns its id.
func unknownPayerPayment(t *testing.T, h *e2etest.Harness) string {
	t.Helper()
	id, _ := h.CreatePayment(`,"debtor":null`)
	for _, tr := range []payment.Transition{{From: payment.StatusOpen, To: payment.StatusAuthorising},
		{From: payment.StatusAuthorising, To: payment.StatusCompleted, BankStatus: "ACSC"}} {
		if _, err := h.DB.Transition(t.Context(), id, tr); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

// paymentReads counts the reads of Open Payments payment resources (getPaymentInformation).
func paymentReads(h *e2etest.Harness) int {
	n := 0
	for _, c := range h.App.Sandbox.OpenPayments.Calls() {
		if c.Method == "GET" && strings.HasPrefix(c.Path, "/psd2/paymentinitiation/v1/payments/") && strings.Count(c.Path, "/") == 6 {
			n++
		}
	}
	return n
}

// TestPayerReportedByBank: paid at Danske Bank, where the shopper picks the account at the bank
// and never tells us, the payment completes refundable: the bank reports the account on the
// payment resource, read once, and the API shows it masked.
func TestPayerReportedByBank(t *testing.T) {
	h := e2etest.New(t)
	id, path := h.CreatePayment(`,"debtor":null`)
	resp := h.ChooseBank(path, "DABASESX")
	e2etest.ExpectCode(t, resp, 303)
	resp = h.ApproveAtBank(resp.Header.Get("Location"), "approve")
	h.Get(resp.Header.Get("Location"))
	h.Get(path) // the result page, again
	iban := openpaymentstest.ShopperAccounts["SE"]
	st, p := h.Status(id)
	if st != "completed" || p["refundable"] != true || p["payer_account"] != iban[:4]+" **** **** "+iban[len(iban)-4:] {
		t.Fatalf("%s %v", st, p)
	}
	if n := paymentReads(h); n != 1 {
		t.Fatalf("%d reads of the payment resource, want 1", n)
	}
	if code, r := h.API("POST", "/api/v1/payments/"+id+"/refunds", `{"amount":"249.00"}`); code != 201 || r["payee_account"] != p["payer_account"] {
		t.Fatalf("refund: %d %v", code, r)
	}
}

// signedInOwner is an owner of the test merchant signed in to the workspace in their own browser.
func signedInOwner(t *testing.T, h *e2etest.Harness) *http.Client {
	t.Helper()
	_, token, err := h.DB.CreateUser(t.Context(), h.Merchant.ID, "owner@shop.example", store.RoleOwner)
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	const password = "correct horse battery owner"
	post := func(from, path string, form url.Values) *http.Response {
		_, page := get(t, c, h.Srv.URL+from)
		form.Set("csrf", h.CSRF(page))
		resp, err := c.PostForm(h.Srv.URL+path, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	link := "/merchant/password/" + token
	e2etest.ExpectCode(t, post(link, link, url.Values{"password": {password}, "confirm": {password}}), 303)
	e2etest.ExpectCode(t, post("/merchant", "/merchant/login", url.Values{"email": {"owner@shop.example"}, "password": {password}}), 303)
	return c
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestWorkspacePaymentPayer: the workspace's payment page shows the account the payment came from
// masked as the API's payer_account, never in clear, and the payment's refunds with their
// statuses; a completed payment whose account is unknown says it cannot be refunded; an
// unfinished one has no refunds section.
func TestWorkspacePaymentPayer(t *testing.T) {
	h := e2etest.New(t)
	id := completedPayment(t, h)
	var refunds []string
	for _, amount := range []string{"100.00", "49.50"} {
		code, r := h.API("POST", "/api/v1/payments/"+id+"/refunds", `{"amount":"`+amount+`","reference":"Refund `+amount+`"}`)
		if code != 201 {
			t.Fatalf("%d %v", code, r)
		}
		refunds = append(refunds, r["id"].(string))
	}
	if code, r := h.API("POST", "/api/v1/refunds/"+refunds[1]+"/cancel", ""); code != 200 {
		t.Fatalf("%d %v", code, r)
	}
	owner := signedInOwner(t, h)

	resp, page := get(t, owner, h.Srv.URL+"/merchant/payments/"+id)
	e2etest.ExpectCode(t, resp, 200)
	if !strings.Contains(page, `id="payer-account">SE35 **** **** 0003<`) || strings.Contains(page, payerIBAN) || strings.Contains(page, "54910") {
		t.Fatalf("payer account not shown masked:\n%s", page)
	}
	for i, want := range []string{"Awaiting authorisation", "Cancelled"} {
		if !strings.Contains(page, `id="status-`+refunds[i]+`">`+want+`<`) {
			t.Errorf("refund %s not shown %s:\n%s", refunds[i], want, page)
		}
	}
	if !strings.Contains(page, "Refund 100.00") || !strings.Contains(page, "Refund 49.50") {
		t.Errorf("refund references missing:\n%s", page)
	}

	unknown := unknownPayerPayment(t, h)
	_, page = get(t, owner, h.Srv.URL+"/merchant/payments/"+unknown)
	if !strings.Contains(page, `id="payer-account">Not known: the payment cannot be refunded<`) || !strings.Contains(page, "No refunds.") {
		t.Fatalf("unknown payer:\n%s", page)
	}
	open, _ := h.CreatePayment("")
	_, page = get(t, owner, h.Srv.URL+"/merchant/payments/"+open)
	if !strings.Contains(page, `id="payer-account">SE`) || strings.Contains(page, `id="refunds-h"`) {
		t.Fatalf("open payment:\n%s", page)
	}
}

// TestAccountPageSaysWhy: a payment the shop wants refundable asks for the account at a bank that
// would not need it, and says why, in the shopper's language; at a bank that needs the account
// the page says the bank does.
func TestAccountPageSaysWhy(t *testing.T) {
	h := e2etest.New(t)
	for _, tc := range []struct{ locale, bic, want, not string }{
		{"en", "DABASESX", "so that it can refund you", "Your bank needs to know"},
		{"sv", "DABASESX", "så att den kan betala tillbaka till dig", "Din bank behöver veta"},
		{"fr", "DABASESX", "afin de pouvoir vous rembourser", "Votre banque doit savoir"},
		{"en", "ESSESESS", "Your bank needs to know", "so that it can refund you"},
	} {
		_, path := h.CreatePayment(`,"debtor":null,"refundable":true,"locale":"` + tc.locale + `"`)
		resp := h.ChooseBank(path, tc.bic)
		e2etest.ExpectCode(t, resp, 303)
		resp, page := h.Get(resp.Header.Get("Location"))
		e2etest.ExpectCode(t, resp, 200)
		page = e2etest.HTMLUnescape(page)
		if !strings.Contains(page, tc.want) || strings.Contains(page, tc.not) {
			t.Errorf("%s at %s: want %q, not %q:\n%s", tc.locale, tc.bic, tc.want, tc.not, page)
		}
	}
}
