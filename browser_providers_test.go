package main

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"paybybank/banks/openpayments/openpaymentstest"
	"paybybank/banks/paysera/payseratest"
	"paybybank/banks/powens/powenstest"
	"paybybank/banks/sbm/sbmtest"
	"paybybank/banks/sibs/sibstest"
)

// TestBrowserEveryProviderEveryForm walks the shopper's journey in Chromium through every
// provider, against its fake answering in each form the documents allow: the checkout link, the
// bank in the picker, the sandbox bank's pages, approval, and the result page, whose words must
// be the API's status for that form. The bank must have been asked for exactly one payment.
//
// Open Payments and Paysera get a server per form: each connector reads one of the forms (the
// bank list, the OAuth metadata) once per server. The other providers share one per provider.
func TestBrowserEveryProviderEveryForm(t *testing.T) {
	needBrowser(t)

	t.Run("openpayments", func(t *testing.T) {
		for _, nf := range openpaymentstest.AllForms() {
			t.Run(nf.Name, func(t *testing.T) {
				h := newHarness(t)
				h.app.Sandbox.OpenPayments.Forms = nf.Forms
				b := newTab(t, h, tabOption{})

				// A redirect bank: Nordea's page, then "processing" until Nordea settles.
				before := bankOrders(h)
				id, path := h.createPayment("")
				b.open(path)
				b.waitText("Choose your bank")
				b.click(`button[value="NDEASESS"]`)
				b.waitText("Approve this payment?")
				b.click(`button[value="approve"]`)
				pageSays(t, h, b, id, path, "processing")
				h.clock.Add(5 * time.Second)
				pageSays(t, h, b, id, path, "completed")
				if n := bankOrders(h) - before; n != 1 {
					t.Fatalf("Nordea was asked for %d payments", n)
				}

				// A BankID bank, on a computer: the phone's BankID app scans the QR on screen.
				before = bankOrders(h)
				id, path = h.createPayment("")
				b.open(path)
				b.waitText("Choose your bank")
				b.click(`button[value="HANDSESS"]`)
				b.waitText("scan the QR code")
				resp, app := h.scan(b.qrPayload())
				expectCode(t, resp, 200)
				h.sign(app, "approve")
				pageSays(t, h, b, id, path, "completed")
				if n := bankOrders(h) - before; n != 1 {
					t.Fatalf("Handelsbanken was asked for %d payments", n)
				}
			})
		}
	})

	t.Run("paysera", func(t *testing.T) {
		for _, nf := range payseratest.AllForms() {
			t.Run(nf.Name, func(t *testing.T) {
				h := newHarness(t)
				if f, _ := h.app.Sandbox.Bank("paysera").(*payseratest.Fake); f == nil {
					t.Fatal("the sandbox has no Paysera (its TLS listener did not start)")
				}
				h.app.Sandbox.Bank("paysera").(*payseratest.Fake).Forms = nf.Forms
				b := newTab(t, h, tabOption{})
				id, path := h.eurPayment("")
				b.open(path)
				b.waitText("Choose your bank")
				b.click(`button[value="EVIULT2V"]`)
				b.waitText("Allow paybybank to initiate a payment from your Paysera account?") // OAuth consent
				b.click(`button[value="approve"]`)
				b.waitText("Confirm the payment") // SCA, once our callback created the payment
				b.click(`button[value="approve"]`)
				want, _ := payseraApproved(nf.Forms)
				pageSays(t, h, b, id, path, string(want))
				if n := count(h.app.Sandbox.Bank("paysera").(*payseratest.Fake).Calls(), `^POST /v1/payments/[a-z-]+$`); n != 1 {
					t.Fatalf("Paysera was asked for %d payments", n)
				}
			})
		}
	})

	t.Run("sbm", func(t *testing.T) {
		h := newHarness(t)
		log := recordSandbox(h)
		for _, nf := range sbmtest.AllForms() {
			t.Run(nf.Name, func(t *testing.T) {
				defer swapT(h, t)()
				h.app.Sandbox.Bank("sbm").(map[string]*sbmtest.Fake)["more"].Forms = nf.Forms
				b := newTab(t, h, tabOption{})
				before := log.count(`^POST /sandbox/sbm/more/v1/payments/[a-z-]+$`)
				code, p := h.api("POST", "/api/v1/payments", `{"amount":"349.00","currency":"NOK","reference":"Ordre 12","creditor":{"name":"Butikk AS","iban":"NO9386011117947"}}`)
				if code != 201 {
					t.Fatalf("%d %v", code, p)
				}
				id, path := p["id"].(string), checkoutPath(t, p)
				b.open(path)
				b.waitText("Choose your bank")
				b.click(`button[value="SPMONO22"]`)
				b.waitText("Approve the payment")
				b.waitText("349")
				b.click(`button[value="approve"]`)
				pageSays(t, h, b, id, path, "completed")
				if n := log.count(`^POST /sandbox/sbm/more/v1/payments/[a-z-]+$`) - before; n != 1 {
					t.Fatalf("Sparebanken Møre was asked for %d payments", n)
				}
			})
		}
	})

	t.Run("sibs", func(t *testing.T) {
		h := newHarness(t)
		log := recordSandbox(h)
		const creations = `^POST /sandbox/sibs/[A-Z]+/v1-0-4/payments/[a-z-]+$`
		for _, nf := range sibstest.AllForms() {
			t.Run(nf.Name, func(t *testing.T) {
				defer swapT(h, t)()
				h.app.Sandbox.Bank("sibs").(*sibstest.Fake).Forms = nf.Forms
				b := newTab(t, h, tabOption{})

				// The redirect bank: its own page, in Portuguese.
				before := log.count(creations)
				id, path := h.eurPayment("")
				b.open(path)
				b.waitText("Choose your bank")
				b.click(`button[value="BTSTPTPL"]`)
				b.waitText("Autorizar pagamento")
				b.click(`button[value="approve"]`)
				pageSays(t, h, b, id, path, sibsApproved(nf.Forms))
				if n := log.count(creations) - before; n != 1 {
					t.Fatalf("the redirect bank was asked for %d payments", n)
				}

				// The embedded bank: the one-time code from the SMS, typed on our page.
				before = log.count(creations)
				id, path = h.eurPayment("")
				b.open(path)
				b.waitText("Choose your bank")
				b.click(`button[value="BOTPPTPL"]`)
				b.waitText("Enter the code from your bank")
				if !nf.Forms.NoChallengeData {
					b.waitText(sibstest.AdditionalInformation)
				}
				b.run(chromedp.SendKeys("#otp", sibstest.OTP, chromedp.ByID))
				b.click(`#otp-form button`)
				pageSays(t, h, b, id, path, sibsApproved(nf.Forms))
				if n := log.count(creations) - before; n != 1 {
					t.Fatalf("the embedded bank was asked for %d payments", n)
				}
			})
		}
	})

	t.Run("powens", func(t *testing.T) {
		h := powensHarness(t, powenstest.Forms{})
		for _, nf := range powenstest.AllForms() {
			t.Run(nf.Name, func(t *testing.T) {
				defer swapT(h, t)()
				h.app.Sandbox.Bank("powens").(*powenstest.Fake).Forms = nf.Forms
				b := newTab(t, h, tabOption{})
				before := count(h.app.Sandbox.Bank("powens").(*powenstest.Fake).Calls(), `^POST /payments$`)
				id, path := h.eurPayment("")
				b.open(path)
				b.waitText("Choose your bank")
				b.click(`button[value="` + instantBank + `"]`)
				b.waitText("Validate the payment") // Powens' webview
				// Powens hosts the bank choice: the shopper picks the bank again in its list.
				_, uuid, _ := strings.Cut(instantBank, "/")
				b.run(chromedp.SetValue(`select[name="connector_uuid"]`, uuid, chromedp.ByQuery))
				var chosen string
				b.eval(`(s => s.options[s.selectedIndex].text)(document.querySelector('select[name="connector_uuid"]'))`, &chosen)
				if chosen != "Banque Test Instantané" {
					t.Fatalf("the webview's bank choice shows %q", chosen)
				}
				b.click(`button[value="validate"]`)
				pageSays(t, h, b, id, path, "completed")
				if n := count(h.app.Sandbox.Bank("powens").(*powenstest.Fake).Calls(), `^POST /payments$`) - before; n != 1 {
					t.Fatalf("Powens was asked for %d payments", n)
				}
			})
		}
	})
}

// resultText is what the checkout's result page says for a payment status.
var resultText = map[string]string{"completed": "Payment completed", "processing": "Payment being processed"}

// pageSays waits until the tab shows the result page for status want, by itself, and checks
// that the API says the same.
func pageSays(t *testing.T, h *harness, b *tab, id, path, want string) {
	t.Helper()
	b.waitText(resultText[want])
	if u, _ := url.Parse(b.location()); u.Host != strings.TrimPrefix(h.srv.URL, "http://") || u.Path != path {
		t.Fatalf("result shown at %s, not on the payment's checkout %s", u, path)
	}
	if st, p := h.status(id); st != want {
		t.Fatalf("the page says %q, the API says %s: %v", resultText[want], st, eventTrail(p))
	}
}

// swapT points the shared harness's helpers at the running subtest, and back when it ends.
func swapT(h *harness, t *testing.T) func() {
	prev := h.t
	h.t = t
	return func() { h.t = prev }
}

func checkoutPath(t *testing.T, p map[string]any) string {
	t.Helper()
	u, ok := p["checkout_url"].(string)
	if !ok {
		t.Fatalf("no checkout_url in %v", p)
	}
	i := strings.Index(u, "/checkout/")
	if i < 0 {
		t.Fatalf("checkout_url %s", u)
	}
	return u[i:]
}

func count(calls []string, pattern string) int {
	re := regexp.MustCompile(pattern)
	n := 0
	for _, c := range calls {
		if re.MatchString(c) {
			n++
		}
	}
	return n
}

// sandboxLog records the requests the server's sandbox banks get, for fakes that keep no log.
type sandboxLog struct {
	mu    sync.Mutex
	calls []string
}

func recordSandbox(h *harness) *sandboxLog {
	l := &sandboxLog{}
	next := h.srv.Config.Handler
	h.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/sandbox/") {
			l.mu.Lock()
			l.calls = append(l.calls, r.Method+" "+r.URL.EscapedPath())
			l.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
	return l
}

func (l *sandboxLog) count(pattern string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return count(l.calls, pattern)
}
