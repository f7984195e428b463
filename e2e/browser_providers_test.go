package e2e

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
	"paybybank/internal/e2etest"
)

// TestBrowserEveryProviderEveryForm walks the shopper's journey in Chromium through every
// provider, against its fake answering in each form the documents allow: the checkout link, the
// bank in the picker, the sandbox bank's pages, approval, and the result page, whose words must
// be the API's status for that form. The bank must have been asked for exactly one payment.
//
// Open Payments and Paysera get a server per form: each connector reads one of the forms (the
// bank list, the OAuth metadata) once per server. The other providers share one per provider.
func TestBrowserEveryProviderEveryForm(t *testing.T) {
	e2etest.NeedBrowser(t)

	t.Run("openpayments", func(t *testing.T) {
		for _, nf := range openpaymentstest.AllForms() {
			t.Run(nf.Name, func(t *testing.T) {
				h := e2etest.New(t)
				h.App.Sandbox.OpenPayments.Forms = nf.Forms
				b := e2etest.NewTab(t, h, e2etest.TabOption{})

				// A redirect bank: Nordea's page, then "processing" until Nordea settles.
				before := e2etest.BankOrders(h)
				id, path := h.CreatePayment("")
				b.Open(path)
				b.WaitText("Choose your bank")
				b.Click(`button[value="NDEASESS"]`)
				b.WaitText("Approve this payment?")
				b.Click(`button[value="approve"]`)
				pageSays(t, h, b, id, path, "processing")
				h.Clock.Add(5 * time.Second)
				pageSays(t, h, b, id, path, "completed")
				if n := e2etest.BankOrders(h) - before; n != 1 {
					t.Fatalf("Nordea was asked for %d payments", n)
				}

				// A BankID bank, on a computer: the phone's BankID app scans the QR on screen.
				before = e2etest.BankOrders(h)
				id, path = h.CreatePayment("")
				b.Open(path)
				b.WaitText("Choose your bank")
				b.Click(`button[value="HANDSESS"]`)
				b.WaitText("scan the QR code")
				resp, app := h.Scan(b.QRPayload())
				e2etest.ExpectCode(t, resp, 200)
				h.Sign(app, "approve")
				pageSays(t, h, b, id, path, "completed")
				if n := e2etest.BankOrders(h) - before; n != 1 {
					t.Fatalf("Handelsbanken was asked for %d payments", n)
				}
			})
		}
	})

	t.Run("paysera", func(t *testing.T) {
		for _, nf := range payseratest.AllForms() {
			t.Run(nf.Name, func(t *testing.T) {
				h := e2etest.New(t)
				if f, _ := h.App.Sandbox.Bank("paysera").(*payseratest.Fake); f == nil {
					t.Fatal("the sandbox has no Paysera (its TLS listener did not start)")
				}
				h.App.Sandbox.Bank("paysera").(*payseratest.Fake).Forms = nf.Forms
				b := e2etest.NewTab(t, h, e2etest.TabOption{})
				id, path := eurPayment(h, "")
				b.Open(path)
				b.WaitText("Choose your bank")
				b.Click(`button[value="EVIULT2V"]`)
				b.WaitText("Allow paybybank to initiate a payment from your Paysera account?") // OAuth consent
				b.Click(`button[value="approve"]`)
				b.WaitText("Confirm the payment") // SCA, once our callback created the payment
				b.Click(`button[value="approve"]`)
				want, _ := payseraApproved(nf.Forms)
				pageSays(t, h, b, id, path, string(want))
				if n := count(h.App.Sandbox.Bank("paysera").(*payseratest.Fake).Calls(), `^POST /v1/payments/[a-z-]+$`); n != 1 {
					t.Fatalf("Paysera was asked for %d payments", n)
				}
			})
		}
	})

	t.Run("sbm", func(t *testing.T) {
		h := e2etest.New(t)
		log := recordSandbox(h)
		for _, nf := range sbmtest.AllForms() {
			t.Run(nf.Name, func(t *testing.T) {
				defer swapT(h, t)()
				h.App.Sandbox.Bank("sbm").(map[string]*sbmtest.Fake)["more"].Forms = nf.Forms
				b := e2etest.NewTab(t, h, e2etest.TabOption{})
				before := log.count(`^POST /sandbox/sbm/more/v1/payments/[a-z-]+$`)
				code, p := h.API("POST", "/api/v1/payments", `{"amount":"349.00","currency":"NOK","reference":"Ordre 12","creditor":{"name":"Butikk AS","iban":"NO9386011117947"}}`)
				if code != 201 {
					t.Fatalf("%d %v", code, p)
				}
				id, path := p["id"].(string), checkoutPath(t, p)
				b.Open(path)
				b.WaitText("Choose your bank")
				b.Click(`button[value="SPMONO22"]`)
				b.WaitText("Approve this payment?")
				b.WaitText("349")
				b.Click(`button[value="approve"]`)
				pageSays(t, h, b, id, path, "completed")
				if n := log.count(`^POST /sandbox/sbm/more/v1/payments/[a-z-]+$`) - before; n != 1 {
					t.Fatalf("Sparebanken Møre was asked for %d payments", n)
				}
			})
		}
	})

	t.Run("sibs", func(t *testing.T) {
		h := e2etest.New(t)
		log := recordSandbox(h)
		const creations = `^POST /sandbox/sibs/[A-Z]+/v1-0-4/payments/[a-z-]+$`
		for _, nf := range sibstest.AllForms() {
			t.Run(nf.Name, func(t *testing.T) {
				defer swapT(h, t)()
				h.App.Sandbox.Bank("sibs").(*sibstest.Fake).Forms = nf.Forms
				b := e2etest.NewTab(t, h, e2etest.TabOption{})

				// The redirect bank: its own page, in Portuguese.
				before := log.count(creations)
				id, path := eurPayment(h, "")
				b.Open(path)
				b.WaitText("Choose your bank")
				b.Click(`button[value="BTSTPTPL"]`)
				b.WaitText("Approve this payment?") // the bank page speaks the browser's language
				b.Click(`button[value="approve"]`)
				pageSays(t, h, b, id, path, sibsApproved(nf.Forms))
				if n := log.count(creations) - before; n != 1 {
					t.Fatalf("the redirect bank was asked for %d payments", n)
				}

				// The embedded bank: the one-time code from the SMS, typed on our page.
				before = log.count(creations)
				id, path = eurPayment(h, "")
				b.Open(path)
				b.WaitText("Choose your bank")
				b.Click(`button[value="BOTPPTPL"]`)
				b.WaitText("Enter the code from your bank")
				if !nf.Forms.NoChallengeData {
					b.WaitText(sibstest.AdditionalInformation)
				}
				b.Run(chromedp.SendKeys("#otp", sibstest.OTP, chromedp.ByID))
				b.Click(`#otp-form button`)
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
				h.App.Sandbox.Bank("powens").(*powenstest.Fake).Forms = nf.Forms
				b := e2etest.NewTab(t, h, e2etest.TabOption{})
				before := count(h.App.Sandbox.Bank("powens").(*powenstest.Fake).Calls(), `^POST /payments$`)
				id, path := eurPayment(h, "")
				b.Open(path)
				b.WaitText("Choose your bank")
				b.Click(`button[value="` + instantBank + `"]`)
				b.WaitText("Validate the payment") // Powens' webview
				// Powens hosts the bank choice: the shopper picks the bank again in its list.
				_, uuid, _ := strings.Cut(instantBank, "/")
				b.Run(chromedp.SetValue(`select[name="connector_uuid"]`, uuid, chromedp.ByQuery))
				var chosen string
				b.Eval(`(s => s.options[s.selectedIndex].text)(document.querySelector('select[name="connector_uuid"]'))`, &chosen)
				if chosen != "Banque Test Instantané" {
					t.Fatalf("the webview's bank choice shows %q", chosen)
				}
				b.Click(`button[value="validate"]`)
				pageSays(t, h, b, id, path, "completed")
				if n := count(h.App.Sandbox.Bank("powens").(*powenstest.Fake).Calls(), `^POST /payments$`) - before; n != 1 {
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
func pageSays(t *testing.T, h *e2etest.Harness, b *e2etest.Tab, id, path, want string) {
	t.Helper()
	b.WaitText(resultText[want])
	if u, _ := url.Parse(b.Location()); u.Host != strings.TrimPrefix(h.Srv.URL, "http://") || u.Path != path {
		t.Fatalf("result shown at %s, not on the payment's checkout %s", u, path)
	}
	if st, p := h.Status(id); st != want {
		t.Fatalf("the page says %q, the API says %s: %v", resultText[want], st, e2etest.EventTrail(p))
	}
}

// swapT points the shared harness's helpers at the running subtest, and back when it ends.
func swapT(h *e2etest.Harness, t *testing.T) func() {
	prev := h.T
	h.T = t
	return func() { h.T = prev }
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

func recordSandbox(h *e2etest.Harness) *sandboxLog {
	l := &sandboxLog{}
	next := h.Srv.Config.Handler
	h.Srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
