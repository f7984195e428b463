package e2e

import (
	"net/url"
	"strings"
	"testing"

	"paybybank/banks/sbm/sbmtest"
	"paybybank/internal/e2etest"
)

// TestSparebankenMoreJourney pays (and denies) at a savings bank on the Sparebanken Møre platform,
// in every form of answer the platform's documents allow.
func TestSparebankenMoreJourney(t *testing.T) {
	h := e2etest.New(t)
	defer func(t0 *testing.T) { h.T = t0 }(h.T)
	for _, f := range sbmtest.AllForms() {
		t.Run(f.Name, func(t *testing.T) {
			h.T = t
			h.App.Sandbox.Bank("sbm").(map[string]*sbmtest.Fake)["more"].Forms = f.Forms
			for _, decision := range []string{"approve", "deny"} {
				code, p := h.API("POST", "/api/v1/payments", `{"amount":"349.00","currency":"NOK","reference":"Ordre 12","creditor":{"name":"Butikk AS","iban":"NO9386011117947"}}`)
				if code != 201 {
					t.Fatalf("%d %v", code, p)
				}
				u, _ := url.Parse(p["checkout_url"].(string))
				_, page := h.Get(u.Path)
				if !strings.Contains(page, "Sparebanken Møre") || !strings.Contains(page, "Norway") {
					t.Fatalf("picker lacks the savings banks:\n%s", page)
				}
				resp := h.ChooseBank(u.Path, "SPMONO22")
				e2etest.ExpectCode(t, resp, 303)
				// The bank's scaRedirect reaches the browser as the bank gave it (seed 004's has spaces in
				// its query); the browser escapes them when it follows it, as this does.
				loc := resp.Header.Get("Location")
				if f.Forms.RawRedirectQuery && !strings.HasSuffix(loc, "locale=no-NB, no; q=1.0") {
					t.Fatalf("the scaRedirect was changed: %s", loc)
				}
				sca, _ := url.Parse(strings.ReplaceAll(loc, " ", "%20"))
				if !strings.HasSuffix(sca.Path, "/sandbox/sbm/more/sca") {
					t.Fatalf("went to %s", sca)
				}
				resp, _ = h.Post(sca.Path+"?"+sca.RawQuery, url.Values{"decision": {decision}})
				e2etest.ExpectCode(t, resp, 303)
				back := resp.Header.Get("Location")
				if !strings.HasPrefix(back, h.Srv.URL+"/callback?state=") {
					t.Fatalf("bank sent the shopper to %s", back)
				}
				resp, _ = h.Get(back)
				e2etest.ExpectCode(t, resp, 303)
				want := map[string]string{"approve": "completed", "deny": "open"}[decision]
				wantAttempt := map[string]string{"approve": "succeeded", "deny": "denied"}[decision]
				st, p := h.Status(p["id"].(string))
				if o, _ := h.LastAttempt(p); st != want || o != wantAttempt || p["bank"].(map[string]any)["provider"] != "sbm" {
					t.Fatalf("%s: payment %v", decision, p)
				}
			}
		})
	}
}
