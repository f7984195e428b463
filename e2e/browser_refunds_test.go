package e2e

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"paybybank/internal/e2etest"
	"paybybank/store"
)

// refundSetUp is a merchant with a signed webhook endpoint, two completed payments each with a
// refund awaiting authorisation (created through the API), a refund account at bic, and its
// owner signed in to the workspace in a browser on the refunds page.
func refundSetUp(t *testing.T, bic, provider, iban string) (*e2etest.Harness, *e2etest.Receiver, *e2etest.Tab, []string) {
	h := e2etest.New(t)
	e2etest.NeedBrowser(t)
	rc := e2etest.NewReceiver(t)
	_, wh := h.API("PUT", "/api/v1/webhook", `{"url":"`+rc.Srv.URL+`"}`)
	rc.Secret = wh["secret"].(string)
	var refunds []string
	for i, p := range []struct{ ref, amount, refund string }{{"Order 4101", "249.00", "100.00"}, {"Order 4102", "89.90", "89.90"}} {
		id := refundablePayment(h, p.ref, p.amount)
		refunds = append(refunds, createRefund(h, id, p.refund, "Refund "+p.ref[6:]+[]string{" shoes", " all"}[i]))
	}
	setRefundAccount(h, bic, provider, iban)
	owner := addPerson(h, "owner@shop.example", store.RoleOwner)
	b := e2etest.NewTab(t, h, e2etest.TabOption{Width: 1280, Height: 900})
	signInWith(b, owner.email, owner.password)
	b.WaitText("owner@shop.example")
	b.Open("/merchant/refunds")
	b.WaitText("Refunds to authorise")
	return h, rc, b, refunds
}

// selectAndAuthorise ticks the refunds' boxes and presses "Authorise selected".
func selectAndAuthorise(b *e2etest.Tab, ids []string) {
	b.T.Helper()
	for _, id := range ids {
		b.Click("#select-" + id)
	}
	b.Click("#refunds-authorise")
}

// refundsEnd checks both refunds completed, through the API and on the page, and that each sent
// refund.created and refund.completed once, signed.
func refundsEnd(t *testing.T, h *e2etest.Harness, rc *e2etest.Receiver, b *e2etest.Tab, ids []string) {
	t.Helper()
	for _, id := range ids {
		if st := refundStatus(h, id); st != "completed" {
			t.Fatalf("refund %s is %s", id, st)
		}
		b.WaitTrue(`document.getElementById("status-` + id + `").textContent === "Completed"`)
	}
	b.WaitText("Every refund you selected has been through your bank")
	for range 3 { // the dispatcher's work, done now rather than on its schedule
		h.App.Webhooks.DeliverDue(t.Context())
	}
	rc.Mu.Lock()
	defer rc.Mu.Unlock()
	seen := map[string]int{}
	for _, ev := range rc.Got {
		if typ := ev["type"].(string); strings.HasPrefix(typ, "refund.") {
			data := ev["data"].(map[string]any)
			seen[typ+" "+data["id"].(string)]++
			if _, leak := data["payee_account"]; leak && typ != "refund.created" {
				t.Errorf("%s carries the payer's account", typ)
			}
		}
	}
	for _, id := range ids {
		for _, typ := range []string{"refund.created", "refund.completed"} {
			if seen[typ+" "+id] != 1 {
				t.Errorf("%s of %s received %d times (all: %v)", typ, id, seen[typ+" "+id], seen)
			}
		}
	}
	if rc.Invalid != 0 {
		t.Errorf("%d webhooks badly signed", rc.Invalid)
	}
	if n := len(slices.Compact(slices.Sorted(slices.Values(rc.IDs)))); n != len(rc.IDs) {
		t.Errorf("an event delivered twice: %v", rc.IDs)
	}
}

// A person of the merchant authorises two refunds at once with BankID: SEB takes bulk payments,
// so the selection is one order at the merchant's bank, whose pages say what is authorised; the
// BankID QR is scanned and signed as a shopper's would be, and the person lands back on the
// refunds page with both refunds completed and their webhooks received, signed.
func TestBrowserRefundsBankID(t *testing.T) {
	h, rc, b, ids := refundSetUp(t, "ESSESESS", "openpayments", "SE4550000000058398257466")
	b.WaitText("several refunds under one authorisation")
	b.Axe("refunds")
	b.Screenshot("refunds")
	selectAndAuthorise(b, ids)
	b.WaitText("You are authorising refunds in one payment from your bank")
	b.WaitText("189.90")
	b.Axe("refund order")
	b.Screenshot("refund-order")
	b.Click(`button[value="ESSESESS"]`)
	resp, body := h.Scan(b.QRPayload())
	e2etest.ExpectCode(t, resp, 200)
	b.Axe("refund order BankID")
	h.Sign(body, "approve")
	b.WaitText("Refunds paid")
	b.Axe("refund order result")
	b.Click(`a.btn`)
	b.WaitText("Your authorisation")
	if u, _ := url.Parse(b.Location()); u.Path != "/merchant/refunds" || u.Query().Get("order") == "" {
		t.Fatalf("back from the bank at %s", u)
	}
	b.Axe("refunds after")
	refundsEnd(t, h, rc, b, ids)
	bulks := 0
	for _, c := range h.App.Sandbox.OpenPayments.Calls() {
		if c.Method == "POST" && strings.Count(c.Path, "/") == 5 && strings.HasPrefix(c.Path, "/psd2/paymentinitiation/v1/bulk-payments/") {
			bulks++
		}
	}
	if n := e2etest.BankOrders(h); n != 2 || bulks != 1 { // the two payments, then one bulk for both refunds
		t.Errorf("%d payments and %d bulks at the bank", n, bulks)
	}
}

// At a redirect bank without bulk payments (a savings bank on the Sparebanken Møre platform),
// the same selection is authorised in turn, in one sitting: the first refund at the bank's page,
// back on the refunds page the next one, then both completed with their webhooks.
func TestBrowserRefundsRedirectInTurn(t *testing.T) {
	h, rc, b, ids := refundSetUp(t, "SPMONO22", "sbm", "NO9386011117947")
	b.WaitText("you authorise the selected refunds one after the other")
	selectAndAuthorise(b, ids)
	for i := range ids {
		b.WaitText("You are authorising a refund")
		b.WaitText([]string{"100.00", "89.90"}[i])
		if i == 0 {
			b.Axe("refund order (redirect)")
		}
		b.Click(`button[value="SPMONO22"]`)
		b.WaitText("Approve")
		b.Click(`button[value="approve"]`)
		b.WaitText("Refunds")
		b.Run(chromedp.WaitVisible(`a.btn`, chromedp.ByQuery))
		if !strings.Contains(text(b, `document.body.innerText`), "Refunds paid") {
			h.Clock.Add(5 * time.Second)
			b.WaitText("Refunds paid")
		}
		b.Click(`a.btn`)
		b.WaitText("Your authorisation")
		if i == 0 {
			b.WaitText("Authorise the next refund (2 of 2)")
			b.Axe("refunds in turn")
			b.Click("#refunds-next")
		}
	}
	refundsEnd(t, h, rc, b, ids)
}
