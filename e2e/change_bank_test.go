package e2e

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"paybybank/internal/e2etest"
)

// TestChangeBankWhileWaiting: the BankID page and the page waiting for the shopper's bank both
// offer "Choose another bank" as a form with the session's token; posting it ends the attempt as
// abandoned (the shopper switched bank), cancels the order at the bank, and answers 303 to the
// bank choice, which says why the last attempt ended and offers the banks again.
func TestChangeBankWhileWaiting(t *testing.T) {
	for _, tc := range []struct{ name, bic, page string }{
		{"BankID", "HANDSESS", "Approve with BankID"},
		{"redirect", "NDEASESS", "Waiting for your bank"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := e2etest.New(t)
			id, path := h.CreatePayment("")
			e2etest.ExpectCode(t, h.ChooseBank(path, tc.bic), 303)
			_, page := h.Get(path)
			if !strings.Contains(page, tc.page) {
				t.Fatalf("not the waiting page (%q):\n%s", tc.page, page)
			}
			form := regexp.MustCompile(`(?s)<form class="change-bank" method="post" action="([^"]+)"><input type="hidden" name="csrf" value="([^"]+)">\s*<button class="btn link" type="submit">Choose another bank</button></form>`).
				FindStringSubmatch(page)
			if form == nil || form[1] != path+"/change-bank" || form[2] != h.CSRF(page) {
				t.Fatalf("no \"Choose another bank\" form posting to %s with the session's token:\n%s", path+"/change-bank", page)
			}
			calls := len(h.App.Sandbox.OpenPayments.Calls())

			resp, _ := h.Post(form[1], url.Values{"csrf": {form[2]}})
			e2etest.ExpectCode(t, resp, 303)
			if loc := resp.Header.Get("Location"); loc != path {
				t.Fatalf("change-bank redirected to %s, want %s", loc, path)
			}
			_, page = h.Get(path)
			if !strings.Contains(page, `id="banks"`) || !strings.Contains(page, "You chose to pay with another bank.") {
				t.Fatalf("not the bank choice with the reason:\n%s", page)
			}
			st, p := h.Status(id)
			if outcome, reason := h.LastAttempt(p); st != "open" || outcome != "abandoned" || reason != "switched_bank" {
				t.Fatalf("status %s, last attempt %s/%s, want open and abandoned/switched_bank: %v", st, outcome, reason, p)
			}
			after := h.App.Sandbox.OpenPayments.Calls()[calls:]
			if len(after) == 0 || after[len(after)-1].Method != "DELETE" {
				t.Fatalf("the order was not cancelled at the bank: %v", after)
			}

			// Another bank then goes on as any choice does.
			e2etest.ExpectCode(t, h.ChooseBank(path, "SWEDSESS"), 303)
			if st, _ := h.Status(id); st != "authorising" {
				t.Fatalf("status after another bank = %s", st)
			}
		})
	}
}
