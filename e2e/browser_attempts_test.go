package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"paybybank/internal/e2etest"
)

// settled checks that after a form's POST the tab shows a page reached by a GET (post/redirect/
// get): Reload, Back and Forward send no form again and never meet a resubmission prompt or
// error page; then the tab is back where it was, showing text. A message that came as a one-time
// flash is gone after a reload: again, when given, is what the page shows then.
func settled(t *testing.T, h *e2etest.Harness, b *e2etest.Tab, text string, again ...string) {
	t.Helper()
	b.WaitText(text)
	if len(again) > 0 {
		text = again[0]
	}
	posts := h.CheckoutPosts.Load()
	b.Reload()
	b.WaitText(text)
	// Back: the entry before is the page whose form was sent (a GET). An entry that was a POST's
	// answer would show Chromium's ERR_CACHE_MISS (Confirm Form Resubmission) page here.
	at := historyIndex(b)
	if at < 1 {
		t.Fatalf("no page before this one in the tab's history (%d)", at)
	}
	b.Eval(`history.back()`, nil)
	waitHistory(t, b, at-1)
	var body string
	b.Eval(`document.body ? document.body.innerText : ""`, &body)
	if strings.Contains(body, "ERR_CACHE_MISS") || strings.Contains(body, "Confirm Form Resubmission") {
		t.Fatalf("Back after a POST met a resubmission:\n%s", body)
	}
	b.Eval(`history.forward()`, nil)
	waitHistory(t, b, at)
	b.WaitText(text)
	// A page restored from the back-forward cache leaves chromedp's view of the DOM behind: load
	// it afresh (a GET again) before the test goes on.
	b.Reload()
	b.WaitText(text)
	if n := h.CheckoutPosts.Load(); n != posts {
		t.Fatalf("Back and Reload sent %d form posts again", n-posts)
	}
}

// historyIndex is the tab's place in its session history; -1 while the tab is between pages.
func historyIndex(b *e2etest.Tab) int64 {
	cur := int64(-1)
	err := chromedp.Run(b.Ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		cur, _, err = page.GetNavigationHistory().Do(ctx)
		return err
	}))
	if err != nil {
		return -1
	}
	return cur
}

// waitHistory waits until the tab has moved to the history entry at index and its page is loaded:
// a fixed pause let a slow back or forward land in the middle of the next step.
func waitHistory(t *testing.T, b *e2etest.Tab, index int64) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); historyIndex(b) != index; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the tab never reached history entry %d", index)
		}
	}
	b.WaitTrue(`document.readyState === "complete"`)
}

// TestBrowserAttempts walks a shopper through refusals: denied at the bank, "Try again" and
// denied again, "Choose another bank" and paid there; the API then shows three attempts with
// their outcomes. Every form post answers with a page reached by a GET.
func TestBrowserAttempts(t *testing.T) {
	h := e2etest.New(t)
	e2etest.NeedBrowser(t)
	t.Run("deny, try again, deny, another bank", func(t *testing.T) {
		id, path := h.CreatePayment("")
		b := e2etest.NewTab(t, h, e2etest.TabOption{})
		b.Open(path)
		b.Click(`button[value="NDEASESS"]`)
		b.WaitText("Approve this payment?")
		b.Click(`button[value="deny"]`)
		settled(t, h, b, "The payment was declined at your bank")
		b.WaitText("Your payment with Nordea did not go through.")
		b.Axe("attempt denied")
		b.Screenshot("attempt-denied")
		b.Click(`form[action$="/retry"] button`)
		b.WaitText("Approve this payment?")
		b.Click(`button[value="deny"]`)
		settled(t, h, b, "The payment was declined at your bank")
		b.Click(`a[href="#banks"]`)
		b.Click(`button[value="HANDSESS"]`)
		settled(t, h, b, "scan the QR code")
		resp, body := h.Scan(b.QRPayload())
		e2etest.ExpectCode(t, resp, 200)
		h.Sign(body, "approve")
		b.WaitText("Payment completed")
		st, p := h.Status(id)
		list, _ := p["attempts"].([]any)
		var got []string
		for _, a := range list {
			m := a.(map[string]any)
			r, _ := m["reason"].(string)
			got = append(got, m["bic"].(string)+":"+m["outcome"].(string)+":"+r)
		}
		if st != "completed" || strings.Join(got, " ") != "NDEASESS:denied:denied_at_bank NDEASESS:denied:denied_at_bank HANDSESS:succeeded:" {
			t.Fatalf("payment %s, attempts %v", st, got)
		}
	})
	t.Run("the bank refuses to start", func(t *testing.T) {
		id, path := h.CreatePayment("")
		b := e2etest.NewTab(t, h, e2etest.TabOption{})
		b.Open(path)
		b.WaitText("Choose your bank")
		h.App.Sandbox.OpenPayments.FailNext(1, 403, "") // the bank refuses the payment's creation
		b.Click(`button[value="ESSESESS"]`)
		settled(t, h, b, "Your bank could not start this payment.")
		b.WaitText("Your payment with SEB did not go through.")
		_, p := h.Status(id)
		if o, r := h.LastAttempt(p); p["status"] != "open" || o != "failed" || r != "bank_refused_start" {
			t.Fatalf("payment %v", p)
		}
		b.Click(`form[action$="/retry"] button`) // the same bank again, which now takes it
		settled(t, h, b, "scan the QR code")
	})
	t.Run("a bad account and a forged form", func(t *testing.T) {
		_, path := h.CreatePayment(`,"debtor":null`)
		b := e2etest.NewTab(t, h, e2etest.TabOption{})
		b.Open(path)
		b.Click(`button[value="HANDSESS"]`)
		b.WaitText("Your account at Handelsbanken")
		b.Run(chromedp.SendKeys("#f-clearing_number", "6789", chromedp.ByID), chromedp.SendKeys("#f-account_number", "123456782", chromedp.ByID))
		b.Click(`#account-form button[type="submit"]`)
		settled(t, h, b, "check digit", "Your account at Handelsbanken")
		b.Run(chromedp.SetValue(`#account-form [name="csrf"]`, "forged", chromedp.ByQuery), chromedp.SetValue("#f-account_number", "123456789", chromedp.ByID))
		b.Click(`#account-form button[type="submit"]`)
		settled(t, h, b, "Your session has expired", "Choose your bank")
	})
}
