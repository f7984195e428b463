package main

import (
	"encoding/csv"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"paybybank/store"
)

// payAtNordea takes a payment through the sandbox Nordea's redirect and approves or denies it.
func (h *harness) payAtNordea(path, decision string) {
	h.t.Helper()
	resp := h.chooseBank(path, "NDEASESS")
	expectCode(h.t, resp, 303)
	resp = h.approveAtBank(resp.Header.Get("Location"), decision)
	h.get(resp.Header.Get("Location"))
	h.clock.Add(5 * time.Second)
	h.get(path + "/status?page=processing")
}

// signInWith fills the sign-in form.
func (b *tab) signInWith(email, password string) {
	b.t.Helper()
	b.open("/merchant")
	b.waitText("Merchant sign-in")
	b.run(chromedp.SendKeys("#email", email, chromedp.ByQuery), chromedp.SendKeys("#password", password, chromedp.ByQuery))
	b.click(`form[action="/merchant/login"] button`)
}

func (b *tab) text(js string) string {
	b.t.Helper()
	var s string
	b.eval(js, &s)
	return s
}

// The workspace in a real browser: an owner turns on two-step sign-in and signs in with password
// and code, finds a payment by its reference (cut short on screen, whole in its title), exports
// the list as CSV (compared with the API's export), and invites a support person who sets a
// password through the link, cancels a payment and cannot see the keys. axe-core checks every
// page on the way.
func TestBrowserWorkspace(t *testing.T) {
	h := newHarness(t)
	needBrowser(t)
	long := "Order 2291 - espresso machine, gift wrapped, deliver to the reception desk on floor 4, attention Maria"
	for _, p := range []struct{ ref, amount, decision string }{{"Order 2288", "89.90", "approve"}, {"Order 2289", "310.00", "deny"}, {"Order 2290", "45.50", "approve"}} {
		_, path := h.createPayment(`"reference":"` + p.ref + `","amount":"` + p.amount + `"`)
		h.payAtNordea(path, p.decision)
	}
	idLong, _ := h.createPayment(`"reference":"` + long + `","amount":"1249.00"`)
	idCancel, _ := h.createPayment(`"reference":"Order 2292","amount":"19.00"`)
	idOpen, _ := h.createPayment(`"reference":"Order 2293","amount":"560.00"`)
	h.api("POST", "/api/v1/payments/"+idCancel+"/cancel", "")
	owner := h.addPerson("owner@shop.example", store.RoleOwner)

	b := newTab(t, h, tabOption{width: 1280, height: 900})
	b.signInWith(owner.email, owner.password)
	b.waitText("owner@shop.example")
	b.axe("payments")
	b.screenshot("workspace")

	// Two-step sign-in on, then off and on again through the sign-in's second step.
	b.open("/merchant/security")
	b.waitText("Sign out everywhere")
	b.axe("security")
	b.click("#totp-on")
	b.waitText("Or enter this secret by hand")
	b.axe("two-step set-up")
	secret := b.text(`document.getElementById("totp-secret").textContent`)
	b.run(chromedp.SendKeys("#code", store.TOTPCode(secret, h.clock.Now()), chromedp.ByQuery))
	b.click(`form[action="/merchant/security/totp/confirm"] button`)
	b.waitText("Two-step sign-in is now on")
	b.click(".ws-out button")
	b.waitText("Merchant sign-in")
	b.signInWith(owner.email, owner.password)
	b.waitText("6-digit code")
	b.axe("sign-in code")
	h.clock.Add(30 * time.Second) // the code used to turn it on is spent
	b.run(chromedp.SendKeys("#code", store.TOTPCode(secret, h.clock.Now()), chromedp.ByQuery))
	b.click(`form[action="/merchant/login/code"] button`)
	b.waitText("owner@shop.example")

	// Find the payment by a part of its long reference.
	b.run(chromedp.SendKeys("#q", "reception desk", chromedp.ByQuery))
	b.click(`form.ws-filters button[type="submit"]`)
	b.waitTrue(`location.search.includes("q=reception")`)
	b.waitText("Clear")
	var found struct {
		Rows      int
		Title     string
		Truncated bool
		Overflow  bool
	}
	b.eval(`(() => {
		const link = document.querySelector("td.ref a");
		return {Rows: document.querySelectorAll("table.payments tbody tr").length, Title: link.title,
			Truncated: link.scrollWidth > link.clientWidth, Overflow: document.documentElement.scrollWidth > window.innerWidth};
	})()`, &found)
	if found.Rows != 1 || !strings.HasPrefix(found.Title, long) || !found.Truncated || found.Overflow {
		t.Fatalf("search by reference: %+v", found)
	}

	// The export of what is on screen is the API's export with the same search.
	var csvText string
	b.run(chromedp.Evaluate(`fetch(document.getElementById("export").href).then(r => r.text())`, &csvText,
		func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	resp, apiCSV := h.get("/api/v1/payments/export?q="+url.QueryEscape("reception desk"), "Authorization", "Bearer "+h.key)
	expectCode(t, resp, 200)
	rows, err := csv.NewReader(strings.NewReader(csvText)).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][0] != idLong || rows[1][4] != "1249.00" || rows[1][6] != long || csvText != apiCSV {
		t.Fatalf("workspace export %v (%v), API:\n%s", rows, err, apiCSV)
	}

	b.click("td.ref a")
	b.waitText("All payments")
	b.axe("payment")
	for _, path := range []string{"/merchant/keys", "/merchant/audit"} {
		b.open(path)
		b.waitText("owner@shop.example")
		b.axe(path)
	}
	if !strings.Contains(b.text(`document.body.innerText`), "Turned two-step sign-in on") {
		t.Error("the audit log lacks the second factor")
	}

	// Invite a support person.
	b.open("/merchant/people")
	b.waitText("Owner: everything")
	b.axe("people")
	b.run(chromedp.SendKeys("#invite-email", "sue@shop.example", chromedp.ByQuery), chromedp.SetValue("#invite-role", "support", chromedp.ByQuery))
	b.click("#invite")
	b.waitText("Send this link to the person")
	b.axe("people with an invitation")
	link := b.text(`document.getElementById("invite-link").textContent`)
	b.click(".ws-out button")
	b.waitText("Merchant sign-in")
	b.axe("sign-in")

	// Sue sets her password through the link and signs in.
	b.run(chromedp.Navigate(link))
	b.waitText("Set your password")
	b.axe("set password")
	b.run(chromedp.SendKeys("#password", "sue's long password", chromedp.ByQuery), chromedp.SendKeys("#confirm", "sue's long password", chromedp.ByQuery))
	b.click(`form .btn`)
	b.waitText("Your password is set")
	b.signInWith("sue@shop.example", "sue's long password")
	b.waitText("sue@shop.example")
	if nav := b.text(`document.querySelector(".ws-nav ul").innerText`); strings.Contains(nav, "API keys") || strings.Contains(nav, "People") {
		t.Errorf("support's navigation: %q", nav)
	}
	b.open("/merchant/payments/" + idOpen)
	b.waitText("Cancel payment")
	b.click("#cancel")
	b.waitText("The payment is cancelled")
	b.axe("payment after cancel")
	if st, _ := h.status(idOpen); st != "cancelled" {
		t.Fatalf("after support's cancel: %s", st)
	}
	b.open("/merchant/keys")
	b.waitText("Your role does not allow this page")
	b.axe("forbidden")

	// On a phone the table scrolls inside its card; the page itself never scrolls sideways.
	b.run(chromedp.EmulateViewport(360, 700, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	b.open("/merchant")
	b.waitText("sue@shop.example")
	var phone struct{ Page, Table bool }
	b.eval(`({Page: document.documentElement.scrollWidth > window.innerWidth,
		Table: (w => w.scrollWidth > w.clientWidth)(document.querySelector(".table-wrap"))})`, &phone)
	if phone.Page || !phone.Table {
		t.Errorf("on a phone: page scrolls sideways %v, table scrolls in its card %v", phone.Page, phone.Table)
	}
	b.axe("payments on a phone")
}

// Links and webhooks in the workspace: a developer creates a payment link (its QR code
// downloadable), opens it as a shopper, deactivates it and sees the shopper refused; adds a
// webhook endpoint, sends a test event, rotates the secret, and the receiver verifies both
// signatures of an event sent during the overlap. axe-core checks both pages.
func TestBrowserWorkspaceLinksAndWebhooks(t *testing.T) {
	h := newHarness(t)
	needBrowser(t)
	hooks := newHookLog(t)
	h.app.Webhooks.Now = h.clock.Now
	dev := h.addPerson("dev@shop.example", store.RoleDeveloper)

	b := newTab(t, h, tabOption{width: 1280, height: 900})
	b.signInWith(dev.email, dev.password)
	b.waitText("dev@shop.example")
	if nav := b.text(`document.querySelector(".ws-nav ul").innerText`); !strings.Contains(nav, "Payment links") || !strings.Contains(nav, "Webhooks") || strings.Contains(nav, "People") {
		t.Errorf("developer's navigation: %q", nav)
	}

	// A link, made in the workspace, shown with its QR code.
	b.open("/merchant/links")
	b.waitText("No payment links yet")
	b.axe("links, none")
	b.run(chromedp.SendKeys("#link-amount", "120.50", chromedp.ByQuery), chromedp.SetValue("#link-currency", "SEK", chromedp.ByQuery),
		chromedp.SendKeys("#link-reference", "Invoice 77", chromedp.ByQuery), chromedp.SetValue("#link-expires", "86400", chromedp.ByQuery))
	b.click("#link-create")
	b.waitText("The payment link is ready")
	b.axe("links with a new link")
	linkURL := b.text(`document.getElementById("link-url").textContent`)
	var qr struct {
		Loaded bool
		Href   string
	}
	b.waitTrue(`document.getElementById("link-qr").complete`)
	b.eval(`({Loaded: document.getElementById("link-qr").naturalWidth > 0, Href: document.getElementById("link-qr-download").href})`, &qr)
	if !strings.HasPrefix(linkURL, h.srv.URL+"/pay/") || !qr.Loaded || qr.Href != linkURL+"/qr.png" {
		t.Fatalf("new link %q, QR %+v", linkURL, qr)
	}
	resp, png := h.get(strings.TrimPrefix(qr.Href, h.srv.URL))
	if resp.StatusCode != 200 || !strings.HasPrefix(png, "\x89PNG") {
		t.Fatalf("QR download: %d", resp.StatusCode)
	}

	// The shopper opens it and reaches the checkout; after deactivation they are refused.
	b.run(chromedp.Navigate(linkURL))
	b.waitTrue(`location.pathname.startsWith("/checkout/")`)
	b.open("/merchant/links")
	b.waitText("Invoice 77")
	if row := b.text(`document.querySelector("tbody tr").innerText`); !strings.Contains(row, "Active") || !strings.Contains(row, "Paid once") {
		t.Errorf("link row: %q", row)
	}
	b.click(`tbody tr form[action$="/deactivate"] button`)
	b.waitText("The link is deactivated")
	if row := b.text(`document.querySelector("tbody tr").innerText`); !strings.Contains(row, "Deactivated") {
		t.Errorf("link row after deactivation: %q", row)
	}
	b.axe("links after deactivation")
	b.run(chromedp.Navigate(linkURL))
	b.waitText("This payment link was turned off by the shop")

	// A webhook endpoint: added, tested, its secret rotated.
	b.open("/merchant/webhooks")
	b.waitText("No webhook endpoints yet")
	b.axe("webhooks, none")
	b.run(chromedp.SendKeys("#hook-url", hooks.srv.URL+"/shop", chromedp.ByQuery))
	b.click("#hook-add")
	b.waitText("Copy it now")
	b.axe("webhooks with a new secret")
	oldSecret := b.text(`document.getElementById("new-secret").textContent`)
	b.click("button.hook-test")
	b.waitText("A test event is on its way")
	h.app.Webhooks.DeliverDue(t.Context())
	got := hooks.take()
	if len(got) != 1 || got[0].typ != "webhook.test" || !verifyStandardWebhook(oldSecret, got[0].hdr, got[0].body, h.clock.Now()) {
		t.Fatalf("test event: %+v", got)
	}
	b.open("/merchant/webhooks")
	b.waitText("Recent deliveries")
	if log := b.text(`document.querySelector("table.deliveries tbody").innerText`); !strings.Contains(log, "webhook.test") || !strings.Contains(log, "Delivered") || !strings.Contains(log, "204") {
		t.Errorf("delivery log: %q", log)
	}
	b.axe("webhooks with a delivery")

	b.click("button.hook-rotate")
	b.waitText("The old secret keeps signing beside it until")
	newSecret := b.text(`document.getElementById("new-secret").textContent`)
	if newSecret == oldSecret || !strings.HasPrefix(newSecret, "whsec_") {
		t.Fatalf("rotated secret %q", newSecret)
	}
	b.axe("webhooks after rotation")
	h.clock.Add(time.Hour) // within the day's overlap
	b.open("/merchant/webhooks")
	b.waitText("Old secret signs until")
	b.click("button.hook-test")
	b.waitText("A test event is on its way")
	h.app.Webhooks.DeliverDue(t.Context())
	got = hooks.take()
	if len(got) != 1 || len(strings.Fields(got[0].hdr.Get("webhook-signature"))) != 2 ||
		!verifyStandardWebhook(newSecret, got[0].hdr, got[0].body, h.clock.Now()) || !verifyStandardWebhook(oldSecret, got[0].hdr, got[0].body, h.clock.Now()) {
		t.Fatalf("event during the overlap: %+v", got)
	}

	// Every change is in the audit log (an owner reads it).
	var actions []string
	entries, _, err := h.db.AuditLog(t.Context(), h.merchant.ID, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	for _, want := range []string{"link.create", "link.deactivate", "webhook.create", "webhook.test", "webhook.rotate"} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit log %v lacks %s", actions, want)
		}
	}
}
