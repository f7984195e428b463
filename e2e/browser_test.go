package e2e

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"paybybank/banks/bankid"
	"paybybank/internal/e2etest"
)

func TestBrowserRedirectJourney(t *testing.T) {
	h := e2etest.New(t)
	e2etest.NeedBrowser(t)
	id, path := h.CreatePayment("")
	b := e2etest.NewTab(t, h, e2etest.TabOption{Phone: true, Width: 360, Height: 640})
	b.Open(path)
	b.WaitText("Choose your bank")
	b.Axe("bank picker")
	b.PhoneChecks("bank picker", ".amount", ".banks li:first-child button")
	b.Screenshot("picker")
	b.Click(`button[value="NDEASESS"]`)
	b.WaitText("Approve this payment?")
	// Back from the bank: the checkout waits for it and offers the way back, never a new order.
	b.Back()
	b.WaitText("Waiting for your bank")
	b.Reload()
	b.WaitText("Waiting for your bank")
	b.Axe("waiting for the bank")
	b.Click(`a.btn`)
	b.WaitText("Approve this payment?")
	b.Click(`button[value="approve"]`)
	b.WaitText("Payment being processed")
	b.Axe("processing")
	h.Clock.Add(5 * time.Second) // Nordea settles: the page moves on by itself
	b.WaitText("Payment completed")
	b.Axe("result")
	b.PhoneChecks("result", ".amount", ".result .btn")
	b.Screenshot("result")
	b.Click(`a.btn`)
	b.WaitText("signature valid")
	if u, _ := url.Parse(b.Location()); u.Path != "/demo/return" || u.Query().Get("status") != "completed" {
		t.Fatalf("back to the shop at %s", u)
	}
	if st, _ := h.Status(id); st != "completed" {
		t.Fatalf("API says %s", st)
	}
	if n := e2etest.BankOrders(h); n != 1 {
		t.Fatalf("%d bank orders", n)
	}
	// Searching filters the list as the shopper types.
	_, path2 := h.CreatePayment("")
	b.Open(path2)
	b.Run(chromedp.SendKeys("#q", "handels", chromedp.ByID))
	var visible []string
	b.Eval(`[...document.querySelectorAll(".banks li")].filter(li => !li.hidden && li.offsetParent !== null).map(li => li.textContent.trim())`, &visible)
	if len(visible) != 1 || !strings.Contains(visible[0], "Handelsbanken") {
		t.Fatalf("typing filtered to %v", visible)
	}
	b.Open("/checkout/no-such-payment-token-000")
	b.WaitText("could not find this payment")
	b.Axe("error page")
}

func TestBrowserDecoupledDesktop(t *testing.T) {
	h := e2etest.New(t)
	e2etest.NeedBrowser(t)
	id, path := h.CreatePayment("")
	b := e2etest.NewTab(t, h, e2etest.TabOption{})
	b.Open(path)
	b.Click(`button[value="HANDSESS"]`)
	b.WaitText("scan the QR code")
	first := b.QRPayload()
	q0, err := bankidParse(first)
	if err != nil || q0.Time != 0 {
		t.Fatalf("first frame %q: %v", first, err)
	}
	b.Axe("BankID QR")
	b.Screenshot("bankid-desktop")
	b.Reload() // a reload resumes the same BankID order
	if again, _ := bankidParse(b.QRPayload()); again.Token != q0.Token {
		t.Fatal("reload started a new BankID order")
	}
	var alt, live string
	b.Eval(`document.getElementById("qr").alt`, &alt)
	b.Eval(`document.getElementById("status-text").getAttribute("aria-live")`, &live)
	if alt == "" || live != "polite" {
		t.Fatalf("QR alt %q, live region %q", alt, live)
	}
	// A second later the page has drawn a newer frame by itself.
	h.Clock.Add(time.Second)
	var second string
	for i := 0; i < 30; i++ {
		second = b.QRPayload()
		if second != first {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	q1, _ := bankidParse(second)
	if q1.Time != 1 || q1.Token != q0.Token {
		t.Fatalf("second frame %q after %q", second, first)
	}
	// The page drew that frame itself (lean-qr): since this load the server sent one image at
	// most, the first frame, which the page's HTML names.
	var src string
	var fetched, asked int
	b.Eval(`document.getElementById("qr").getAttribute("src")`, &src)
	b.Eval(`performance.getEntriesByType("resource").filter(e => e.name.includes("/qr.png")).length`, &fetched)
	if !strings.HasPrefix(src, "data:image/png;base64,") || fetched > 1 {
		t.Fatalf("QR not drawn by the page: src %.40q, %d images fetched", src, fetched)
	}
	// And the frame came over the event stream: the page never had to ask /status.
	b.Eval(`performance.getEntriesByType("resource").filter(e => e.name.includes("/status")).length`, &asked)
	if asked != 0 {
		t.Fatalf("the page asked /status %d times instead of listening to /events", asked)
	}
	resp, body := h.Scan(second)
	e2etest.ExpectCode(t, resp, 200)
	b.WaitText("security code")
	h.Sign(body, "approve")
	b.WaitText("Payment completed")
	if st, _ := h.Status(id); st != "completed" {
		t.Fatalf("API says %s", st)
	}
	if n := e2etest.BankOrders(h); n != 1 {
		t.Fatalf("%d bank orders", n)
	}
}

// A small window on a computer (or a phone asking for the desktop site) shows the QR code:
// at 360×640 the amount, the QR and the cancel action need no scrolling.
func TestBrowserQROnSmallScreen(t *testing.T) {
	h := e2etest.New(t)
	e2etest.NeedBrowser(t)
	_, path := h.CreatePayment("")
	b := e2etest.NewTab(t, h, e2etest.TabOption{Width: 360, Height: 640})
	b.Open(path)
	b.Click(`button[value="SWEDSESS"]`)
	b.WaitText("scan the QR code")
	b.QRPayload()
	b.PhoneChecks("BankID QR at 360×640", ".amount", "#qr", `form[action$="/cancel"] button`)
}

func TestBrowserDecoupledPhone(t *testing.T) {
	h := e2etest.New(t)
	e2etest.NeedBrowser(t)
	_, path := h.CreatePayment("")
	b := e2etest.NewTab(t, h, e2etest.TabOption{Phone: true, Width: 360, Height: 640})
	b.Open(path)
	b.Click(`button[value="ESSESESS"]`)
	b.WaitText("Open BankID on this device")
	b.Axe("BankID phone")
	b.PhoneChecks("BankID phone", ".amount", `form[action$="/bankid/launch"] button`)
	b.Screenshot("bankid")
	b.Click(`form[action$="/bankid/launch"] button`)
	b.WaitText("Sign the payment")
	u, _ := url.Parse(b.Location())
	if u.Path != "/sandbox/bankid/app" || u.Query().Get("redirect") != h.Srv.URL+path || u.Query().Get("autostarttoken") == "" {
		t.Fatalf("autostart URL %s", u)
	}
	b.Click(`button[value="approve"]`)
	b.WaitText("Payment completed")
	if !strings.HasSuffix(b.Location(), path) {
		t.Fatalf("the app returned to %s", b.Location())
	}
	// Back and reload never start a second bank order.
	b.Back()
	b.Reload()
	b.Open(path)
	b.WaitText("Payment completed")
	if n := e2etest.BankOrders(h); n != 1 {
		t.Fatalf("%d bank orders", n)
	}
}

func TestBrowserFailures(t *testing.T) {
	h := e2etest.New(t)
	e2etest.NeedBrowser(t)
	t.Run("deny at the bank", func(t *testing.T) {
		_, path := h.CreatePayment("")
		b := e2etest.NewTab(t, h, e2etest.TabOption{})
		b.Open(path)
		b.WaitText("Choose your bank")
		var offered bool // DKK only: the picker does not offer it, and says why apart
		b.Eval(`!!document.querySelector('button[value="DABADKKK"]')`, &offered)
		if offered {
			t.Fatal("a bank that cannot take the payment is offered")
		}
		b.Click(`button[value="NDEASESS"]`)
		b.WaitText("Approve this payment?")
		b.Click(`button[value="deny"]`)
		b.WaitText("The payment was declined at your bank") // back at the bank choice: TestBrowserAttempts walks on
		b.Axe("attempt denied")
	})
	t.Run("cancel on the BankID page", func(t *testing.T) {
		_, path := h.CreatePayment("")
		b := e2etest.NewTab(t, h, e2etest.TabOption{})
		b.Open(path)
		b.Click(`button[value="HANDSESS"]`)
		b.WaitText("scan the QR code")
		b.Click(`form[action$="/cancel"] button`)
		b.WaitText("Payment cancelled")
	})
	t.Run("QR time-out and try again", func(t *testing.T) {
		id, path := h.CreatePayment("")
		b := e2etest.NewTab(t, h, e2etest.TabOption{})
		b.Open(path)
		b.Click(`button[value="HANDSESS"]`)
		b.WaitText("scan the QR code")
		h.Clock.Add(31 * time.Second)
		b.WaitText("The BankID app was not started in time")
		b.Axe("QR time-out")
		b.Click(`form[action$="/retry"] button`)
		b.WaitText("scan the QR code")
		resp, body := h.Scan(b.QRPayload())
		e2etest.ExpectCode(t, resp, 200)
		h.Sign(body, "approve")
		b.WaitText("Payment completed")
		if st, _ := h.Status(id); st != "completed" {
			t.Fatalf("API says %s", st)
		}
	})
	t.Run("expiry", func(t *testing.T) {
		_, path := h.CreatePayment(`,"expires_in":60`)
		b := e2etest.NewTab(t, h, e2etest.TabOption{})
		b.Open(path)
		b.Click(`button[value="SWEDSESS"]`)
		b.WaitText("scan the QR code")
		h.Clock.Add(2 * time.Minute)
		b.WaitText("Payment expired")
	})
}

func TestBrowserWithoutJavaScript(t *testing.T) {
	h := e2etest.New(t)
	e2etest.NeedBrowser(t)
	t.Run("redirect", func(t *testing.T) {
		id, path := h.CreatePayment("")
		b := e2etest.NewTab(t, h, e2etest.TabOption{NoScript: true})
		b.Open(path)
		b.Click(`button[value="NDEASESS"]`)
		b.Click(`button[value="approve"]`)
		b.WaitText("Payment being processed")
		h.Clock.Add(5 * time.Second)
		b.WaitText("Payment completed") // the meta refresh brought it
		if st, _ := h.Status(id); st != "completed" {
			t.Fatalf("API says %s", st)
		}
	})
	t.Run("decoupled", func(t *testing.T) {
		id, path := h.CreatePayment("")
		b := e2etest.NewTab(t, h, e2etest.TabOption{NoScript: true})
		b.Open(path)
		b.Click(`button[value="HANDSESS"]`)
		b.WaitText("scan the QR code")
		resp, body := h.Scan(b.QRPayload())
		e2etest.ExpectCode(t, resp, 200)
		h.Sign(body, "approve")
		b.WaitText("Payment completed")
		if st, _ := h.Status(id); st != "completed" {
			t.Fatalf("API says %s", st)
		}
	})
}

func TestBrowserKeyboardAndLanguages(t *testing.T) {
	h := e2etest.New(t)
	e2etest.NeedBrowser(t)
	_, path := h.CreatePayment("")
	b := e2etest.NewTab(t, h, e2etest.TabOption{})
	b.Open(path)
	b.WaitText("Choose your bank")
	// Tab to Handelsbanken, every stop visibly focused, then press Enter.
	found := false
	for i := 0; i < 40 && !found; i++ {
		b.Run(chromedp.KeyEvent("\t"))
		var st struct {
			Value, Outline, Tag string
		}
		b.Eval(`(() => { const e = document.activeElement; const s = getComputedStyle(e);
			return {Value: e.value || "", Outline: s.outlineStyle + " " + s.outlineWidth, Tag: e.tagName}; })()`, &st)
		if st.Tag != "BODY" && (strings.HasPrefix(st.Outline, "none") || strings.HasPrefix(st.Outline, "0")) {
			t.Errorf("focus on %s %q is not visible (%s)", st.Tag, st.Value, st.Outline)
		}
		found = st.Value == "HANDSESS"
	}
	if !found {
		t.Fatal("Handelsbanken cannot be reached by keyboard")
	}
	if err := chromedp.Run(b.Ctx, chromedp.KeyEvent("\r")); err != nil && !e2etest.NavigationCut(err) { // Enter submits the form
		t.Fatal(err)
	}
	b.WaitText("scan the QR code")

	// Every language renders the picker in its own words, chosen with the switcher.
	for lang, heading := range map[string]string{"sv": "Välj din bank", "no": "Velg banken din", "fi": "Valitse pankkisi",
		"da": "Vælg din bank", "fr": "Choisissez votre banque", "lt": "Pasirinkite savo banką", "pt": "Escolha o seu banco", "en": "Choose your bank"} {
		_, p := h.CreatePayment("")
		b.Open(p + "?lang=" + lang)
		b.WaitText(heading)
		var htmlLang string
		b.Eval(`document.documentElement.lang`, &htmlLang)
		if htmlLang != lang {
			t.Errorf("lang=%s page says lang=%q", lang, htmlLang)
		}
	}
}

func bankidParse(s string) (struct {
	Token string
	Time  int64
}, error) {
	p, err := bankid.ParseQR(s)
	return struct {
		Token string
		Time  int64
	}{p.Token, p.Time}, err
}

func TestBrowserAccountQuestion(t *testing.T) {
	h := e2etest.New(t)
	e2etest.NeedBrowser(t)
	_, path := h.CreatePayment(`,"debtor":null`)
	b := e2etest.NewTab(t, h, e2etest.TabOption{Phone: true, Width: 360, Height: 640})
	b.Open(path)
	b.Click(`button[value="HANDSESS"]`)
	b.WaitText("Your account at Handelsbanken")
	b.Axe("account question")
	b.PhoneChecks("account question", ".amount", "#f-clearing_number")
	b.Screenshot("account")
	b.Run(chromedp.SendKeys("#f-clearing_number", "6789", chromedp.ByID), chromedp.SendKeys("#f-account_number", "123456782", chromedp.ByID))
	b.Click(`#account-form button[type="submit"]`)
	b.WaitText("check digit")
	b.Axe("account question with an error")
	b.Run(chromedp.SetValue("#f-account_number", "123456789", chromedp.ByID))
	b.Click(`#account-form button[type="submit"]`)
	b.WaitText("Open BankID on this device")
}

func TestBrowserFetchMyAccounts(t *testing.T) {
	h := e2etest.New(t)
	e2etest.NeedBrowser(t)
	id, path := h.CreatePayment(`,"debtor":null`)
	b := e2etest.NewTab(t, h, e2etest.TabOption{})
	b.Open(path)
	b.Click(`button[value="SWEDSESS"]`)
	b.WaitText("Fetch my accounts")
	b.Click(`form[action$="/account/fetch"] button`)
	b.WaitText("scan the QR code")
	resp, body := h.Scan(b.QRPayload())
	e2etest.ExpectCode(t, resp, 200)
	h.Sign(body, "approve")
	b.WaitText("Everyday account") // the page moved on by itself to the list of accounts
	b.Axe("fetched accounts")
	b.Click(`button[name="account"][value="0"]`)
	b.WaitText("scan the QR code")
	resp, body = h.Scan(b.QRPayload())
	e2etest.ExpectCode(t, resp, 200)
	h.Sign(body, "approve")
	b.WaitText("Payment completed")
	if st, _ := h.Status(id); st != "completed" {
		t.Fatalf("API says %s", st)
	}
}

func TestBrowserEmbeddedOTP(t *testing.T) {
	h := e2etest.New(t)
	e2etest.NeedBrowser(t)
	code, p := h.API("POST", "/api/v1/payments", `{"amount":"120.50","currency":"EUR","reference":"Encomenda 9"}`)
	if code != 201 {
		t.Fatal(code)
	}
	u, _ := url.Parse(p["checkout_url"].(string))
	b := e2etest.NewTab(t, h, e2etest.TabOption{Phone: true, Width: 360, Height: 640})
	b.Open(u.Path)
	b.Click(`button[value="BOTPPTPL"]`)
	b.WaitText("Enter the code from your bank")
	b.Axe("one-time code")
	b.PhoneChecks("one-time code", ".amount", "#otp", `#otp-form button`)
	b.Run(chromedp.SendKeys("#otp", "123456", chromedp.ByID))
	b.Click(`#otp-form button`)
	b.WaitText("Payment completed")
}
