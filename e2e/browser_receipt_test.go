package e2e

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"paybybank/internal/e2etest"
)

// Without JavaScript, the result page counts down and goes back to the shop by itself when the
// merchant asked for it; the receipt and the sandbox's pages are looked at on a phone, in Swedish.
func TestBrowserReceiptAndAutoReturn(t *testing.T) {
	h := e2etest.New(t)
	e2etest.NeedBrowser(t)
	_, path := h.CreatePayment(`,"amount":"1249.50","reference":"Faktura 77","auto_return":true,"locale":"sv-SE"`)
	e2etest.ExpectCode(t, h.ChooseBank(path, "HANDSESS"), 303)

	b := e2etest.NewTab(t, h, e2etest.TabOption{Phone: true, Width: 390, Height: 844, NoScript: true})
	b.Open(path + "?lang=sv") // the shopper's choice, which the sandbox's app follows
	b.Open("/sandbox/bankid")
	b.Run(chromedp.SetValue("#payload", h.CurrentQR(path), chromedp.ByID))
	b.Click(`form[action="/sandbox/bankid/scan"] button`)
	b.WaitText("Skriv under betalningen")
	b.WaitText("1\u00a0249,50\u00a0SEK")
	b.Screenshot("sandbox-bankid-app")
	b.Click(`button[value="approve"]`)
	b.WaitText("Underskrivet")

	b.Open(path)
	b.WaitText("Betalnings-ID")
	b.WaitText("Tillbaka till butiken om")
	b.Screenshot("result-receipt")
	b.WaitTrue(`location.pathname === "/demo/return"`)
	if u, _ := url.Parse(b.Location()); u.Query().Get("status") != "completed" {
		t.Fatalf("back at the shop with %s", u)
	}

	_, consent := h.CreatePayment(`,"debtor":null,"locale":"sv-SE"`)
	c := e2etest.NewTab(t, h, e2etest.TabOption{Phone: true, Width: 390, Height: 844})
	c.Open(consent + "?lang=sv")
	c.Click(`button[value="NDEASESS"]`)
	c.WaitText("Hämta mina konton från banken")
	c.Click(`form[action$="/account/fetch"] button`)
	c.WaitText("Dela listan över dina konton?")
	c.Screenshot("sandbox-consent")
	c.Axe("sandbox consent")
	var text string
	c.Run(chromedp.Text("main", &text))
	if !strings.Contains(text, "Giltigt till") || strings.Contains(text, "Godkänna den här betalningen?") {
		t.Fatalf("consent page:\n%s", text)
	}
}
