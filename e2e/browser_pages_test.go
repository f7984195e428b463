package e2e

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"paybybank/internal/e2etest"
)

// look saves a full-page screenshot under $LOOK, for a person to look at.
func look(t *testing.T, b *e2etest.Tab, name string) {
	t.Helper()
	if dir := os.Getenv("LOOK"); dir != "" {
		var buf []byte
		b.Run(chromedp.FullScreenshot(&buf, 100))
		os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
	}
}

// countdownSeconds reads the BankID page's time left ("14:32") as seconds.
func countdownSeconds(t *testing.T, b *e2etest.Tab) int {
	t.Helper()
	var text string
	b.Eval(`(document.getElementById("countdown") || {}).textContent || ""`, &text)
	var m, s int
	if n, _ := fmt.Sscanf(text, "%d:%d", &m, &s); n != 2 {
		t.Fatalf("the countdown shows %q", text)
	}
	return m*60 + s
}

// Without JavaScript the BankID page shows the time left, drawn by the server and counted down
// by the page's refreshes.
func TestBrowserCountdownWithoutJavaScript(t *testing.T) {
	h := e2etest.New(t)
	e2etest.NeedBrowser(t)
	_, path := h.CreatePayment("")
	b := e2etest.NewTab(t, h, e2etest.TabOption{NoScript: true})
	b.Open(path)
	b.Click(`button[value="HANDSESS"]`)
	b.WaitText("scan the QR code")
	b.WaitText("Time left to pay")
	first := countdownSeconds(t, b)
	if first < 14*60 || first > 15*60 {
		t.Fatalf("time left %d s of a 15-minute payment", first)
	}
	b.WaitText("Scan within 30 s") // the BankID order's own window, apart from the payment's
	h.Clock.Add(20 * time.Second)
	b.WaitText("Scan within 10 s") // the page refreshed itself
	if now := countdownSeconds(t, b); now > first-20 {
		t.Fatalf("time left %d s after 20 s, from %d s", now, first)
	}
}

// A picker left open shows the payment's expiry when it happens, without a click, and never a
// bank after it.
func TestBrowserPickerAtExpiry(t *testing.T) {
	h := e2etest.New(t)
	e2etest.NeedBrowser(t)
	for _, noScript := range []bool{false, true} {
		_, path := h.CreatePayment(`,"expires_in":60`)
		b := e2etest.NewTab(t, h, e2etest.TabOption{NoScript: noScript})
		h.Clock.Add(58 * time.Second)
		b.Open(path)
		b.WaitText("Choose your bank") // two seconds left: the page will reload itself then
		h.Clock.Add(5 * time.Second)
		b.WaitText("Payment expired")
		var buttons int
		b.Eval(`document.querySelectorAll('button[name="bank"]').length`, &buttons)
		if buttons != 0 {
			t.Fatalf("no JavaScript %v: %d banks offered after expiry", noScript, buttons)
		}
	}
}

// On a computer the BankID page offers both ways: the QR code for the phone, and BankID on this
// computer (bankid:///), which starts an order for the app here.
func TestBrowserBankIDBothWaysDesktop(t *testing.T) {
	h := e2etest.New(t)
	e2etest.NeedBrowser(t)
	id, path := h.CreatePayment("")
	b := e2etest.NewTab(t, h, e2etest.TabOption{})
	b.Open(path)
	b.Click(`button[value="HANDSESS"]`)
	b.WaitText("scan the QR code")
	b.QRPayload()
	b.WaitText("Open BankID on this computer")
	b.Axe("BankID desktop, both ways")
	look(t, b, "bankid-desktop")
	// The button's answer is the desktop app's link; a browser hands it to the app, so the
	// harness asks as the browser would and opens the app itself.
	_, page := h.Get(path, "User-Agent", e2etest.DesktopUA)
	resp, _ := h.Post(path+"/bankid/launch", url.Values{"csrf": {h.CSRF(page)}}, "User-Agent", e2etest.DesktopUA)
	e2etest.ExpectCode(t, resp, 303)
	to, _ := url.Parse(resp.Header.Get("Location"))
	token := to.Query().Get("autostarttoken")
	if to.Scheme != "bankid" || token == "" || to.Query().Get("redirect") != "null" {
		t.Fatalf("Open BankID on this computer went to %s", to)
	}
	b.WaitText("Trying to start your BankID app") // the page heard the order changed way
	app := e2etest.NewTab(t, h, e2etest.TabOption{})
	app.Open("/sandbox/bankid/app?autostarttoken=" + url.QueryEscape(token) + "&redirect=null")
	app.Click(`button[value="approve"]`)
	b.WaitText("Payment completed")
	if st, _ := h.Status(id); st != "completed" {
		t.Fatalf("API says %s", st)
	}
}

// On a phone the BankID page offers both ways: open the app here, or a QR code for BankID on
// another device; and a tab reopened after the app was opened once can open it again.
func TestBrowserBankIDBothWaysPhone(t *testing.T) {
	h := e2etest.New(t)
	e2etest.NeedBrowser(t)
	t.Run("QR for another device", func(t *testing.T) {
		id, path := h.CreatePayment("")
		b := e2etest.NewTab(t, h, e2etest.TabOption{Phone: true, Width: 390, Height: 844})
		b.Open(path)
		b.Click(`button[value="ESSESESS"]`)
		b.WaitText("Open BankID on this device")
		b.WaitText("Use BankID on another device")
		b.Axe("BankID phone, both ways")
		b.PhoneChecks("BankID phone", ".amount", `#launch button`, `#other-device button`)
		look(t, b, "bankid-phone")
		// Submitted as the button does; a mouse click could land beside it while the live
		// message above it changes height.
		b.Eval(`document.getElementById("other-device").requestSubmit()`, nil)
		b.WaitText("scan the QR code")
		resp, body := h.Scan(b.QRPayload())
		e2etest.ExpectCode(t, resp, 200)
		b.WaitText("Open BankID on this device") // the other way is still offered
		h.Sign(body, "approve")
		b.WaitText("Payment completed")
		if st, _ := h.Status(id); st != "completed" {
			t.Fatalf("API says %s", st)
		}
	})
	t.Run("reopened tab", func(t *testing.T) {
		id, path := h.CreatePayment("")
		b := e2etest.NewTab(t, h, e2etest.TabOption{Phone: true, Width: 390, Height: 844})
		b.Open(path)
		b.Click(`button[value="SWEDSESS"]`)
		b.Click(`#launch button`)
		b.WaitText("Sign the payment") // the app opened, and the shopper came back without signing
		again := e2etest.NewTab(t, h, e2etest.TabOption{Phone: true, Width: 390, Height: 844})
		again.Open(path)
		again.WaitText("Open BankID on this device")
		again.Click(`#launch button`)
		again.WaitText("Sign the payment")
		again.Click(`button[value="approve"]`)
		again.WaitText("Payment completed")
		if st, _ := h.Status(id); st != "completed" {
			t.Fatalf("API says %s", st)
		}
	})
}

// The account question on a 390×844 phone: the main button in sight, and "Choose another bank".
func TestBrowserAccountPageOnPhone(t *testing.T) {
	h := e2etest.New(t)
	e2etest.NeedBrowser(t)
	_, path := h.CreatePayment(`,"debtor":null`)
	b := e2etest.NewTab(t, h, e2etest.TabOption{Phone: true, Width: 390, Height: 844})
	b.Open(path)
	b.Click(`button[value="HANDSESS"]`)
	b.WaitText("Your account at Handelsbanken")
	b.Axe("account question")
	b.PhoneChecks("account question at 390×844", ".amount", "#f-clearing_number", `#account-form button[type="submit"]`)
	look(t, b, "account-phone")
	b.Click(`.change-bank a`)
	b.WaitText("Choose your bank")
	b.Click(`button[value="SWEDSESS"]`)
	b.WaitText("Your account at Swedbank")
}

// The picker's way back to the shop cancels the payment and returns with its outcome.
func TestBrowserBackToTheShopFromPicker(t *testing.T) {
	h := e2etest.New(t)
	e2etest.NeedBrowser(t)
	id, path := h.CreatePayment("")
	b := e2etest.NewTab(t, h, e2etest.TabOption{Phone: true, Width: 390, Height: 844})
	b.Open(path)
	b.WaitText("Choose your bank")
	b.WaitText("Banks that cannot take this payment")
	b.Axe("picker")
	look(t, b, "picker-phone")
	b.Click(`form.leave button`)
	b.WaitText("signature valid")
	if u, _ := url.Parse(b.Location()); u.Path != "/demo/return" || u.Query().Get("status") != "cancelled" {
		t.Fatalf("back to the shop at %s", u)
	}
	if st, _ := h.Status(id); st != "cancelled" {
		t.Fatalf("API says %s", st)
	}
}
