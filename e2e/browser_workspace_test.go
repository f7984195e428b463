package e2e

import (
	"encoding/csv"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"paybybank/internal/e2etest"
	"paybybank/store"
)

// payAtNordea takes a payment through the sandbox Nordea's redirect and approves or denies it.
func payAtNordea(h *e2etest.Harness, path, decision string) {
	h.T.Helper()
	resp := h.ChooseBank(path, "NDEASESS")
	e2etest.ExpectCode(h.T, resp, 303)
	resp = h.ApproveAtBank(resp.Header.Get("Location"), decision)
	h.Get(resp.Header.Get("Location"))
	h.Clock.Add(5 * time.Second)
	h.Get(path + "/status?page=processing")
}

// signInWith fills the sign-in form.
func signInWith(b *e2etest.Tab, email, password string) {
	b.T.Helper()
	b.Open("/merchant")
	b.WaitText("Merchant sign-in")
	b.Run(chromedp.SendKeys("#email", email, chromedp.ByQuery), chromedp.SendKeys("#password", password, chromedp.ByQuery))
	b.Click(`form[action="/merchant/login"] button`)
}

func text(b *e2etest.Tab, js string) string {
	b.T.Helper()
	var s string
	b.Eval(js, &s)
	return s
}

// The workspace in a real browser: an owner turns on two-step sign-in and signs in with password
// and code, finds a payment by its reference (cut short on screen, whole in its title), exports
// the list as CSV (compared with the API's export), and invites a support person who sets a
// password through the link, cancels a payment and cannot see the keys. axe-core checks every
// page on the way.
func TestBrowserWorkspace(t *testing.T) {
	h := e2etest.New(t)
	e2etest.NeedBrowser(t)
	long := "Order 2291 - espresso machine, gift wrapped, deliver to the reception desk on floor 4, attention Maria"
	idDenied := ""
	for _, p := range []struct{ ref, amount, decision string }{{"Order 2288", "89.90", "approve"}, {"Order 2289", "310.00", "deny"}, {"Order 2290", "45.50", "approve"}} {
		id, path := h.CreatePayment(`"reference":"` + p.ref + `","amount":"` + p.amount + `"`)
		payAtNordea(h, path, p.decision)
		if p.decision == "deny" {
			idDenied = id
		}
	}
	idLong, _ := h.CreatePayment(`"reference":"` + long + `","amount":"1249.00"`)
	idCancel, _ := h.CreatePayment(`"reference":"Order 2292","amount":"19.00"`)
	idOpen, _ := h.CreatePayment(`"reference":"Order 2293","amount":"560.00"`)
	h.API("POST", "/api/v1/payments/"+idCancel+"/cancel", "")
	owner := addPerson(h, "owner@shop.example", store.RoleOwner)

	b := e2etest.NewTab(t, h, e2etest.TabOption{Width: 1280, Height: 900})
	signInWith(b, owner.email, owner.password)
	b.WaitText("owner@shop.example")
	b.Axe("payments")
	b.Screenshot("workspace")

	// The denied payment waits for another attempt; its page lists the attempt and why it ended.
	b.Open("/merchant/payments/" + idDenied)
	b.WaitText("ATTEMPTS AT BANKS") // headings are drawn in capitals
	if got := text(b, `document.querySelector("#attempts tbody").innerText`); !strings.Contains(got, "NDEASESS") || !strings.Contains(got, "denied") ||
		!strings.Contains(got, "denied at the bank (denied_at_bank)") {
		t.Fatalf("attempts table: %q", got)
	}
	b.Axe("payment with attempts")

	// Two-step sign-in on, then off and on again through the sign-in's second step.
	b.Open("/merchant/security")
	b.WaitText("Sign out everywhere")
	b.Axe("security")
	b.Click("#totp-on")
	b.WaitText("Or enter this secret by hand")
	b.Axe("two-step set-up")
	secret := text(b, `document.getElementById("totp-secret").textContent`)
	b.Run(chromedp.SendKeys("#code", store.TOTPCode(secret, h.Clock.Now()), chromedp.ByQuery))
	b.Click(`form[action="/merchant/security/totp/confirm"] button`)
	b.WaitText("Two-step sign-in is now on")
	b.Click(".ws-out button")
	b.WaitText("Merchant sign-in")
	signInWith(b, owner.email, owner.password)
	b.WaitText("6-digit code")
	b.Axe("sign-in code")
	h.Clock.Add(30 * time.Second) // the code used to turn it on is spent
	b.Run(chromedp.SendKeys("#code", store.TOTPCode(secret, h.Clock.Now()), chromedp.ByQuery))
	b.Click(`form[action="/merchant/login/code"] button`)
	b.WaitText("owner@shop.example")

	// Find the payment by a part of its long reference.
	b.Run(chromedp.SendKeys("#q", "reception desk", chromedp.ByQuery))
	b.Click(`form.ws-filters button[type="submit"]`)
	b.WaitTrue(`location.search.includes("q=reception")`)
	b.WaitText("Clear")
	var found struct {
		Rows      int
		Title     string
		Truncated bool
		Overflow  bool
	}
	b.Eval(`(() => {
		const link = document.querySelector("td.ref a");
		return {Rows: document.querySelectorAll("table.payments tbody tr").length, Title: link.title,
			Truncated: link.scrollWidth > link.clientWidth, Overflow: document.documentElement.scrollWidth > window.innerWidth};
	})()`, &found)
	if found.Rows != 1 || !strings.HasPrefix(found.Title, long) || !found.Truncated || found.Overflow {
		t.Fatalf("search by reference: %+v", found)
	}

	// The export of what is on screen is the API's export with the same search.
	var csvText string
	b.Run(chromedp.Evaluate(`fetch(document.getElementById("export").href).then(r => r.text())`, &csvText,
		func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	resp, apiCSV := h.Get("/api/v1/payments/export?q="+url.QueryEscape("reception desk"), "Authorization", "Bearer "+h.Key)
	e2etest.ExpectCode(t, resp, 200)
	rows, err := csv.NewReader(strings.NewReader(csvText)).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][0] != idLong || rows[1][4] != "1249.00" || rows[1][6] != long || csvText != apiCSV {
		t.Fatalf("workspace export %v (%v), API:\n%s", rows, err, apiCSV)
	}

	b.Click("td.ref a")
	b.WaitText("All payments")
	b.Axe("payment")
	for _, path := range []string{"/merchant/keys", "/merchant/audit"} {
		b.Open(path)
		b.WaitText("owner@shop.example")
		b.Axe(path)
	}
	if !strings.Contains(text(b, `document.body.innerText`), "Turned two-step sign-in on") {
		t.Error("the audit log lacks the second factor")
	}

	// Invite a support person.
	b.Open("/merchant/people")
	b.WaitText("Owner: everything")
	b.Axe("people")
	b.Run(chromedp.SendKeys("#invite-email", "sue@shop.example", chromedp.ByQuery), chromedp.SetValue("#invite-role", "support", chromedp.ByQuery))
	b.Click("#invite")
	b.WaitText("Send this link to the person")
	b.Axe("people with an invitation")
	link := text(b, `document.getElementById("invite-link").textContent`)
	b.Click(".ws-out button")
	b.WaitText("Merchant sign-in")
	b.Axe("sign-in")

	// Sue sets her password through the link and signs in.
	b.Run(chromedp.Navigate(link))
	b.WaitText("Set your password")
	b.Axe("set password")
	b.Run(chromedp.SendKeys("#password", "sue's long password", chromedp.ByQuery), chromedp.SendKeys("#confirm", "sue's long password", chromedp.ByQuery))
	b.Click(`form .btn`)
	b.WaitText("Your password is set")
	signInWith(b, "sue@shop.example", "sue's long password")
	b.WaitText("sue@shop.example")
	if nav := text(b, `document.querySelector(".ws-nav ul").innerText`); strings.Contains(nav, "API keys") || strings.Contains(nav, "People") {
		t.Errorf("support's navigation: %q", nav)
	}
	b.Open("/merchant/payments/" + idOpen)
	b.WaitText("Cancel payment")
	b.Click("#cancel")
	b.WaitText("The payment is cancelled")
	b.Axe("payment after cancel")
	if st, _ := h.Status(idOpen); st != "cancelled" {
		t.Fatalf("after support's cancel: %s", st)
	}
	b.Open("/merchant/keys")
	b.WaitText("Your role does not allow this page")
	b.Axe("forbidden")

	// On a phone the table scrolls inside its card; the page itself never scrolls sideways.
	b.Run(chromedp.EmulateViewport(360, 700, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	b.Open("/merchant")
	b.WaitText("sue@shop.example")
	var phone struct{ Page, Table bool }
	b.Eval(`({Page: document.documentElement.scrollWidth > window.innerWidth,
		Table: (w => w.scrollWidth > w.clientWidth)(document.querySelector(".table-wrap"))})`, &phone)
	if phone.Page || !phone.Table {
		t.Errorf("on a phone: page scrolls sideways %v, table scrolls in its card %v", phone.Page, phone.Table)
	}
	b.Axe("payments on a phone")
}

// Links and webhooks in the workspace: a developer creates a payment link (its QR code
// downloadable), opens it as a shopper, deactivates it and sees the shopper refused; adds a
// webhook endpoint, sends a test event, rotates the secret, and the receiver verifies both
// signatures of an event sent during the overlap. axe-core checks both pages.
func TestBrowserWorkspaceLinksAndWebhooks(t *testing.T) {
	h := e2etest.New(t)
	e2etest.NeedBrowser(t)
	hooks := e2etest.NewHookLog(t)
	dev := addPerson(h, "dev@shop.example", store.RoleDeveloper)

	b := e2etest.NewTab(t, h, e2etest.TabOption{Width: 1280, Height: 900})
	signInWith(b, dev.email, dev.password)
	b.WaitText("dev@shop.example")
	if nav := text(b, `document.querySelector(".ws-nav ul").innerText`); !strings.Contains(nav, "Payment links") || !strings.Contains(nav, "Webhooks") || strings.Contains(nav, "People") {
		t.Errorf("developer's navigation: %q", nav)
	}

	// A link, made in the workspace, shown with its QR code.
	b.Open("/merchant/links")
	b.WaitText("No payment links yet")
	b.Axe("links, none")
	b.Run(chromedp.SendKeys("#link-amount", "120.50", chromedp.ByQuery), chromedp.SetValue("#link-currency", "SEK", chromedp.ByQuery),
		chromedp.SendKeys("#link-reference", "Invoice 77", chromedp.ByQuery), chromedp.SetValue("#link-expires", "86400", chromedp.ByQuery))
	b.Click("#link-create")
	b.WaitText("The payment link is ready")
	b.Axe("links with a new link")
	linkURL := text(b, `document.getElementById("link-url").textContent`)
	var qr struct {
		Loaded bool
		Href   string
	}
	b.WaitTrue(`document.getElementById("link-qr").complete`)
	b.Eval(`({Loaded: document.getElementById("link-qr").naturalWidth > 0, Href: document.getElementById("link-qr-download").href})`, &qr)
	if !strings.HasPrefix(linkURL, h.Srv.URL+"/pay/") || !qr.Loaded || qr.Href != linkURL+"/qr.png" {
		t.Fatalf("new link %q, QR %+v", linkURL, qr)
	}
	resp, png := h.Get(strings.TrimPrefix(qr.Href, h.Srv.URL))
	if resp.StatusCode != 200 || !strings.HasPrefix(png, "\x89PNG") {
		t.Fatalf("QR download: %d", resp.StatusCode)
	}

	// The shopper opens it and reaches the checkout; after deactivation they are refused.
	b.Run(chromedp.Navigate(linkURL))
	b.WaitTrue(`location.pathname.startsWith("/checkout/")`)
	b.Open("/merchant/links")
	b.WaitText("Invoice 77")
	if row := text(b, `document.querySelector("tbody tr").innerText`); !strings.Contains(row, "Active") || !strings.Contains(row, "Paid once") {
		t.Errorf("link row: %q", row)
	}
	b.Click(`tbody tr form[action$="/deactivate"] button`)
	b.WaitText("The link is deactivated")
	if row := text(b, `document.querySelector("tbody tr").innerText`); !strings.Contains(row, "Deactivated") {
		t.Errorf("link row after deactivation: %q", row)
	}
	b.Axe("links after deactivation")
	b.Run(chromedp.Navigate(linkURL))
	b.WaitText("This payment link was turned off by the shop")

	// A webhook endpoint: added, tested, its secret rotated.
	b.Open("/merchant/webhooks")
	b.WaitText("No webhook endpoints yet")
	b.Axe("webhooks, none")
	b.Run(chromedp.SendKeys("#hook-url", hooks.Srv.URL+"/shop", chromedp.ByQuery))
	b.Click("#hook-add")
	b.WaitText("Copy it now")
	b.Axe("webhooks with a new secret")
	oldSecret := text(b, `document.getElementById("new-secret").textContent`)
	b.Click("button.hook-test")
	b.WaitText("A test event is on its way")
	h.App.Webhooks.DeliverDue(t.Context())
	got := hooks.Take()
	if len(got) != 1 || got[0].Type != "webhook.test" || !e2etest.VerifyStandardWebhook(oldSecret, got[0].Hdr, got[0].Body, h.Clock.Now()) {
		t.Fatalf("test event: %+v", got)
	}
	b.Open("/merchant/webhooks")
	b.WaitText("Recent deliveries")
	if log := text(b, `document.querySelector("table.deliveries tbody").innerText`); !strings.Contains(log, "webhook.test") || !strings.Contains(log, "Delivered") || !strings.Contains(log, "204") {
		t.Errorf("delivery log: %q", log)
	}
	b.Axe("webhooks with a delivery")

	b.Click("button.hook-rotate")
	b.WaitText("The old secret keeps signing beside it until")
	newSecret := text(b, `document.getElementById("new-secret").textContent`)
	if newSecret == oldSecret || !strings.HasPrefix(newSecret, "whsec_") {
		t.Fatalf("rotated secret %q", newSecret)
	}
	b.Axe("webhooks after rotation")
	h.Clock.Add(time.Hour) // within the day's overlap
	b.Open("/merchant/webhooks")
	b.WaitText("Old secret signs until")
	b.Click("button.hook-test")
	b.WaitText("A test event is on its way")
	h.App.Webhooks.DeliverDue(t.Context())
	got = hooks.Take()
	if len(got) != 1 || len(strings.Fields(got[0].Hdr.Get("webhook-signature"))) != 2 ||
		!e2etest.VerifyStandardWebhook(newSecret, got[0].Hdr, got[0].Body, h.Clock.Now()) || !e2etest.VerifyStandardWebhook(oldSecret, got[0].Hdr, got[0].Body, h.Clock.Now()) {
		t.Fatalf("event during the overlap: %+v", got)
	}

	// Every change is in the audit log (an owner reads it).
	var actions []string
	entries, _, err := h.DB.AuditLog(t.Context(), h.Merchant.ID, 0, 50)
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
