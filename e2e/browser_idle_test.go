package e2e

import (
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"paybybank/internal/e2etest"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// requestLog records every request a tab sends, from the moment it is armed.
type requestLog struct {
	mu    sync.Mutex
	armed bool
	urls  []string
}

// logRequests starts recording the tab's requests (none until arm).
func logRequests(b *e2etest.Tab) *requestLog {
	b.T.Helper()
	l := &requestLog{}
	chromedp.ListenTarget(b.Ctx, func(ev any) {
		// The browser fetches the page's icon by itself, once, some time after the load; data: URLs
		// (the QR drawn in the page) never reach the server.
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && !isIcon(e.Request.URL) && !strings.HasPrefix(e.Request.URL, "data:") {
			l.mu.Lock()
			if l.armed {
				l.urls = append(l.urls, e.Request.URL)
			}
			l.mu.Unlock()
		}
	})
	b.Run(network.Enable())
	return l
}

// isIcon reports whether u is the page's icon, versioned or not.
func isIcon(u string) bool {
	p, err := url.Parse(u)
	return err == nil && strings.HasSuffix(p.Path, "/favicon.svg")
}

// arm forgets what was recorded and records from now on.
func (l *requestLog) arm() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.armed, l.urls = true, nil
}

// stop ends the recording and returns it.
func (l *requestLog) stop() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.armed = false
	return append([]string(nil), l.urls...)
}

// during returns the requests the tab sent while it sat untouched for d.
func (l *requestLog) during(d time.Duration) []string {
	l.arm()
	time.Sleep(d)
	return l.stop()
}

// TestBrowserIdlePagesStayQuiet holds the pages with nothing to wait for (the picker, the
// result) to no request at all once loaded: a page that asks the server every second costs a
// render per second for as long as the shopper leaves it open. The BankID page, which has
// something to wait for, must still listen.
func TestBrowserIdlePagesStayQuiet(t *testing.T) {
	h := e2etest.New(t)
	e2etest.NeedBrowser(t)
	code, p := h.API("POST", "/api/v1/payments", `{"amount":"120.50","currency":"EUR","reference":"Encomenda 9"}`)
	if code != 201 {
		t.Fatal(code)
	}
	u, _ := url.Parse(p["checkout_url"].(string))
	b := e2etest.NewTab(t, h, e2etest.TabOption{Phone: true, Width: 360, Height: 640})
	log := logRequests(b)
	quiet := func(page string) {
		t.Helper()
		b.WaitTrue(`document.readyState === "complete"`)
		if got := log.during(3500 * time.Millisecond); len(got) > 0 {
			t.Errorf("the idle %s sent %d requests in 3.5 s: %s", page, len(got), strings.Join(got, ", "))
		}
	}
	b.Open(u.Path)
	b.WaitText("Choose your bank")
	quiet("picker")
	b.Click(`button[value="BOTPPTPL"]`)
	b.WaitText("Enter the code from your bank")
	quiet("one-time code page")
	b.Run(chromedp.SendKeys("#otp", "123456", chromedp.ByID))
	b.Click(`#otp-form button`)
	b.WaitText("Payment completed")
	quiet("result page")
	b.Open(u.Path) // the result page opened afresh
	b.WaitText("Payment completed")
	quiet("result page, reopened")

	_, path := h.CreatePayment("")
	b.Open(path)
	b.WaitText("Choose your bank")
	log.arm()
	b.Click(`button[value="HANDSESS"]`)
	b.WaitText("Approve with BankID")
	b.WaitTrue(`document.readyState === "complete"`)
	time.Sleep(time.Second)
	if got := log.stop(); !slices.ContainsFunc(got, func(u string) bool { return strings.Contains(u, "/events") }) {
		t.Errorf("the BankID page opened no event stream: %s", strings.Join(got, ", "))
	}
}
