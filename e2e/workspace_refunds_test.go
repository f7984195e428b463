package e2e

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"paybybank/internal/e2etest"
	"paybybank/payment"
	"paybybank/store"
)

// refundPayerIBAN is the account the shoppers pay from in the refund tests.
const refundPayerIBAN = "SE3550000000054910000003"

// refundablePayment pays amount SEK at SEB with BankID from refundPayerIBAN (which the merchant
// passed as the debtor) and returns the payment's id.
func refundablePayment(h *e2etest.Harness, ref, amount string) string {
	h.T.Helper()
	id, path := h.CreatePayment(`"reference":"` + ref + `","amount":"` + amount + `","debtor":{"iban":"` + refundPayerIBAN + `"}`)
	e2etest.ExpectCode(h.T, h.ChooseBank(path, "ESSESESS"), 303)
	resp, body := h.Scan(h.CurrentQR(path))
	e2etest.ExpectCode(h.T, resp, 200)
	h.Sign(body, "approve")
	h.Get(path)
	if st, _ := h.Status(id); st != "completed" {
		h.T.Fatalf("payment %s: %s", ref, st)
	}
	return id
}

// createRefund asks the API for a refund and returns its id.
func createRefund(h *e2etest.Harness, paymentID, amount, ref string) string {
	h.T.Helper()
	code, r := h.API("POST", "/api/v1/payments/"+paymentID+"/refunds", `{"amount":"`+amount+`","reference":"`+ref+`","payee_name":"Alva Berg"}`)
	if code != 201 {
		h.T.Fatalf("create refund: %d %v", code, r)
	}
	return r["id"].(string)
}

// setRefundAccount gives the test merchant an account to pay refunds from, at bic.
func setRefundAccount(h *e2etest.Harness, bic, provider, iban string) {
	h.T.Helper()
	acct, err := payment.ParseIBANAccount(iban)
	if err != nil {
		h.T.Fatal(err)
	}
	if err := h.DB.SetRefundAccount(h.T.Context(), &payment.RefundAccount{MerchantID: h.Merchant.ID, BIC: bic, Provider: provider,
		Account: acct, Name: "Test Shop AB"}); err != nil {
		h.T.Fatal(err)
	}
}

func refundStatus(h *e2etest.Harness, id string) string {
	h.T.Helper()
	code, r := h.API("GET", "/api/v1/refunds/"+id, "")
	if code != 200 {
		h.T.Fatalf("get refund: %d %v", code, r)
	}
	return r["status"].(string)
}

var checkoutPathRe = regexp.MustCompile(`^/checkout/[A-Za-z0-9_-]+$`)

// The refunds page by role and its refusals: only owner and support see it; without a refund
// account the page says how to set one and authorising changes nothing; an empty selection, a
// refund of another merchant or one taken meanwhile is refused with the reason and nothing moves;
// a selection goes to its order's checkout page, which says what is authorised, and a second
// "Authorise" of the same refunds is refused.
func TestWorkspaceRefunds(t *testing.T) {
	h := e2etest.New(t)
	id := refundablePayment(h, "Order 3001", "249.00")
	r1 := createRefund(h, id, "100.00", "Refund 3001 shoes")
	r2 := createRefund(h, id, "49.50", "Refund 3001 socks")

	for role, want := range map[store.Role]int{store.RoleViewer: 403, store.RoleDeveloper: 403, store.RoleSupport: 200} {
		p := addPerson(h, string(role)+"@shop.example", role)
		p.signIn()
		resp, page := p.get("/merchant/refunds")
		e2etest.ExpectCode(t, resp, want)
		if hasNav := strings.Contains(page, `href="/merchant/refunds"`); hasNav != (want == 200) {
			t.Errorf("%s: navigation to refunds %v", role, hasNav)
		}
	}
	owner := addPerson(h, "owner@shop.example", store.RoleOwner)
	owner.signIn()

	resp, page := owner.get("/merchant/refunds")
	e2etest.ExpectCode(t, resp, 200)
	if !strings.Contains(page, "paybybank merchant refund-account set") || !strings.Contains(page, "Refund 3001 shoes") {
		t.Fatalf("no account:\n%s", page)
	}
	resp, _ = owner.post("/merchant/refunds", "/merchant/refunds", url.Values{"refund": {r1}})
	e2etest.ExpectCode(t, resp, 303)
	if _, page = owner.get("/merchant/refunds"); !strings.Contains(page, "No account to pay refunds from") || refundStatus(h, r1) != "awaiting_authorisation" {
		t.Fatalf("authorised without an account:\n%s", page)
	}

	setRefundAccount(h, "ESSESESS", "openpayments", "SE4550000000058398257466")
	_, page = owner.get("/merchant/refunds")
	if !strings.Contains(page, "SE45 **** **** 7466") || !strings.Contains(page, "several refunds under one authorisation") {
		t.Fatalf("refund account:\n%s", page)
	}
	for _, form := range []url.Values{{}, {"refund": {"rf_nope"}}} {
		resp, _ = owner.post("/merchant/refunds", "/merchant/refunds", form)
		e2etest.ExpectCode(t, resp, 303)
		_, page = owner.get("/merchant/refunds")
		if !strings.Contains(page, `class="alert bad"`) {
			t.Errorf("%v: no reason given:\n%s", form, page)
		}
	}
	resp, _ = owner.post("/merchant/refunds", "/merchant/refunds", url.Values{"refund": {r1, r2}})
	e2etest.ExpectCode(t, resp, 303)
	loc := resp.Header.Get("Location")
	if !checkoutPathRe.MatchString(loc) {
		t.Fatalf("authorise went to %s", loc)
	}
	if refundStatus(h, r1) != "authorising" || refundStatus(h, r2) != "authorising" {
		t.Fatal("the refunds did not move to authorising")
	}
	resp, _ = owner.post("/merchant/refunds", "/merchant/refunds", url.Values{"refund": {r1, r2}})
	e2etest.ExpectCode(t, resp, 303)
	if _, page = owner.get("/merchant/refunds"); !strings.Contains(page, "no longer waiting for authorisation") {
		t.Fatalf("authorised twice:\n%s", page)
	}

	// The order's checkout page says what is authorised, in every language.
	resp, page = owner.get(loc)
	e2etest.ExpectCode(t, resp, 200)
	for _, want := range []string{"You are authorising refunds", `id="refund-count">2<`, "149.50", "Test Shop AB · SE45 **** **** 7466", "Alva Berg",
		"SE35 **** **** 0003", "Refund 3001 shoes", "Refund 3001 socks", "SEB"} {
		if !strings.Contains(page, want) {
			t.Errorf("refund order page lacks %q", want)
		}
	}
	if strings.Contains(page, "2 refunds") {
		t.Error("the refund order page shows the bank's joined reference")
	}
	// Not a shopper's words: the person authorises refunds from the shop's bank, nobody "pays before".
	if strings.Contains(page, "Pay before") || strings.Contains(page, "Choose your bank") ||
		!strings.Contains(page, "Authorise before") || !strings.Contains(page, "Choose the bank you pay refunds from") {
		t.Error("the refund order page speaks to a shopper, not to the shop authorising refunds")
	}
	resp, page = owner.get(loc + "?lang=sv")
	e2etest.ExpectCode(t, resp, 200)
	if !strings.Contains(page, "Du godkänner återbetalningar") || !strings.Contains(page, "149,50") {
		t.Errorf("Swedish refund order page:\n%s", page)
	}
	owner.get(loc + "?lang=en")
}

// Refunds not yet authorised can be cancelled from the refunds page, all the selection or none:
// a viewer cannot, a refund already on its way makes the whole selection refused, and a cancelled
// refund's amount may be refunded again.
func TestWorkspaceCancelRefunds(t *testing.T) {
	h := e2etest.New(t)
	rc := e2etest.NewReceiver(t)
	_, wh := h.API("PUT", "/api/v1/webhook", `{"url":"`+rc.Srv.URL+`"}`)
	rc.Secret = wh["secret"].(string)
	id := refundablePayment(h, "Order 3101", "100.00")
	r1 := createRefund(h, id, "60.00", "Refund 3101 a")
	r2 := createRefund(h, id, "40.00", "Refund 3101 b")

	viewer := addPerson(h, "viewer@shop.example", store.RoleViewer)
	viewer.signIn()
	resp, _ := viewer.post("/merchant", "/merchant/refunds", url.Values{"refund": {r1}, "action": {"cancel"}})
	e2etest.ExpectCode(t, resp, 403)

	support := addPerson(h, "support@shop.example", store.RoleSupport)
	support.signIn()
	resp, page := support.get("/merchant/refunds")
	e2etest.ExpectCode(t, resp, 200)
	if !strings.Contains(page, `id="refunds-cancel"`) {
		t.Fatalf("no cancel on the refunds page:\n%s", page)
	}
	resp, _ = support.post("/merchant/refunds", "/merchant/refunds", url.Values{"refund": {r1, "rf_unknown"}, "action": {"cancel"}})
	e2etest.ExpectCode(t, resp, 303)
	if refundStatus(h, r1) != "awaiting_authorisation" {
		t.Fatal("a refused selection cancelled a refund")
	}
	resp, _ = support.post("/merchant/refunds", "/merchant/refunds", url.Values{"refund": {r1}, "action": {"cancel"}})
	e2etest.ExpectCode(t, resp, 303)
	if _, page = support.get("/merchant/refunds"); !strings.Contains(page, "The selected refunds are cancelled") {
		t.Fatalf("no word of the cancel:\n%s", page)
	}
	if got := refundStatus(h, r1); got != "cancelled" {
		t.Fatalf("r1 is %s", got)
	}
	if got := refundStatus(h, r2); got != "awaiting_authorisation" {
		t.Fatalf("r2 is %s", got)
	}
	// The merchant hears of it as of a cancel through the API: refund.cancelled once, signed, for r1 only.
	for range 3 { // the dispatcher's work, done now rather than on its schedule
		h.App.Webhooks.DeliverDue(t.Context())
	}
	rc.Mu.Lock()
	cancelled := map[string]int{}
	for _, ev := range rc.Got {
		if ev["type"] == "refund.cancelled" {
			cancelled[ev["data"].(map[string]any)["id"].(string)]++
		}
	}
	invalid := rc.Invalid
	rc.Mu.Unlock()
	if cancelled[r1] != 1 || len(cancelled) != 1 {
		t.Fatalf("refund.cancelled received %v, want once for %s", cancelled, r1)
	}
	if invalid != 0 {
		t.Fatalf("%d webhooks badly signed", invalid)
	}
	// The cancelled amount is free again: 60.00 more fits beside the 40.00 still waiting.
	createRefund(h, id, "60.00", "Refund 3101 again")
}
