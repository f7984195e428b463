package e2e

import (
	"cmp"
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"paybybank/banks/paysera/payseratest"
	"paybybank/internal/e2etest"
	"paybybank/payment"
)

// payseraForms runs a journey in every form of answer Paysera's documents allow, each against a
// fresh server whose sandbox fake answers in that form.
func payseraForms(t *testing.T, journey func(t *testing.T, h *e2etest.Harness, f payseratest.Forms)) {
	for _, f := range payseratest.AllForms() {
		t.Run(f.Name, func(t *testing.T) {
			h := e2etest.New(t)
			h.App.Sandbox.Bank("paysera").(*payseratest.Fake).Forms = f.Forms
			journey(t, h, f.Forms)
		})
	}
}

// hasStatus reports whether the payment is in status want.
func hasStatus(h *e2etest.Harness, id string, want payment.Status) bool {
	st, _ := h.Status(id)
	return st == string(want)
}

// payseraApproved is where a payment the shopper approved at Paysera ends, and what its page
// says: the checkout's mapping (payment.BankOutcome) of the status the fake gives an approval,
// settled (completed) or accepted and still being carried out (processing).
func payseraApproved(f payseratest.Forms) (payment.Status, string) {
	if to, _ := payment.BankOutcome(cmp.Or(f.ApprovedStatus, "ACSC")); to == payment.StatusCompleted {
		return to, "Payment completed"
	}
	return payment.StatusProcessing, "Payment being processed"
}

// payseraPage posts a decision on one of Paysera's simulated pages, with its hidden fields.
func payseraPage(h *e2etest.Harness, location, decision string) string {
	h.T.Helper()
	u, _ := url.Parse(location)
	resp, page := h.Get(u.Path + "?" + u.RawQuery)
	e2etest.ExpectCode(h.T, resp, 200)
	form := url.Values{}
	for _, m := range regexp.MustCompile(`type="hidden" name="([a-z_]+)" value="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		form.Set(m[1], e2etest.HTMLUnescape(m[2]))
	}
	form.Set("decision", decision)
	resp, _ = h.Post(u.Path+"?"+u.RawQuery, form)
	e2etest.ExpectCode(h.T, resp, 303)
	return resp.Header.Get("Location")
}

func TestPayseraJourney(t *testing.T) {
	payseraForms(t, func(t *testing.T, h *e2etest.Harness, f payseratest.Forms) {
		code, p := h.API("POST", "/api/v1/payments", `{"amount":"19.99","currency":"EUR","reference":"Užsakymas 5"}`)
		if code != 201 {
			t.Fatalf("%d %v", code, p)
		}
		id := p["id"].(string)
		u, _ := url.Parse(p["checkout_url"].(string))
		_, page := h.Get(u.Path)
		if !strings.Contains(page, "Paysera") || !strings.Contains(page, "Lithuania") {
			t.Fatalf("picker:\n%s", page)
		}
		resp := h.ChooseBank(u.Path, "EVIULT2V")
		e2etest.ExpectCode(t, resp, 303)
		auth, _ := url.Parse(resp.Header.Get("Location"))
		q := auth.Query()
		if auth.Path != "/sandbox/paysera/oauth/authorize" || q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 ||
			q.Get("state") == "" || q.Get("redirect_uri") != h.Srv.URL+"/callback" {
			t.Fatalf("authorize URL %s", auth)
		}
		back := payseraPage(h, auth.String(), "approve")
		resp, _ = h.Get(back) // our callback: code exchanged with the verifier, payment created over mutual TLS
		e2etest.ExpectCode(t, resp, 303)
		sca := resp.Header.Get("Location")
		if !strings.Contains(sca, "/sandbox/paysera/sca?payment=") {
			t.Fatalf("after authorising we went to %s", sca)
		}
		// The first state is spent: replaying it is refused.
		resp, _ = h.Get(back)
		e2etest.ExpectCode(t, resp, 400)
		back = payseraPage(h, sca, "approve")
		resp, _ = h.Get(back)
		e2etest.ExpectCode(t, resp, 303)
		if want, _ := payseraApproved(f); !hasStatus(h, id, want) {
			t.Fatalf("approved at Paysera, yet not %s", want)
		}
		if _, p := h.Status(id); p["bank"].(map[string]any)["provider"] != "paysera" {
			t.Fatalf("payment %v", p)
		}
		for _, c := range h.App.Sandbox.Bank("paysera").(*payseratest.Fake).Calls() {
			if c == "POST /v1/payments/sepa-credit-transfers" {
				return
			}
		}
		t.Fatal("no payment created at Paysera")
	})
}

func TestPayseraDeniedAndCancel(t *testing.T) {
	payseraForms(t, func(t *testing.T, h *e2etest.Harness, f payseratest.Forms) {
		mk := func() (string, string) {
			_, p := h.API("POST", "/api/v1/payments", `{"amount":"5.00","currency":"EUR","reference":"x"}`)
			u, _ := url.Parse(p["checkout_url"].(string))
			return p["id"].(string), u.Path
		}
		id, path := mk()
		resp := h.ChooseBank(path, "EVIULT2V")
		back := payseraPage(h, resp.Header.Get("Location"), "deny")
		h.Get(back)
		if st, p := h.Status(id); st != "open" {
			t.Fatalf("denied consent: %s", st)
		} else if o, r := h.LastAttempt(p); o != "denied" || r != "denied_at_bank" {
			t.Fatalf("denied consent: attempt %s (%s)", o, r)
		}
		// Cancelled by the merchant once the payment exists at Paysera: DELETE, 204.
		id, path = mk()
		resp = h.ChooseBank(path, "EVIULT2V")
		h.Get(payseraPage(h, resp.Header.Get("Location"), "approve"))
		if code, p := h.API("POST", "/api/v1/payments/"+id+"/cancel", ""); code != 200 || p["status"] != "cancelled" {
			t.Fatalf("cancel: %d %v", code, p)
		}
		calls := h.App.Sandbox.Bank("paysera").(*payseratest.Fake).Calls()
		if last := calls[len(calls)-1]; !strings.HasPrefix(last, "DELETE /v1/payments/sepa-credit-transfers/") {
			t.Fatalf("last call %s", last)
		}
	})
}

// A shopper who approves at the bank and never comes back (a closed tab) has paid: at expiry the
// bank is asked first, and the payment completes instead of expiring. One who never approved
// expires, and the bank order is cancelled.
func TestApprovedAtBankButNeverBack(t *testing.T) {
	payseraForms(t, func(t *testing.T, h *e2etest.Harness, f payseratest.Forms) {
		ctx := context.Background()
		mk := func() (string, string) {
			_, p := h.API("POST", "/api/v1/payments", `{"amount":"5.00","currency":"EUR","reference":"x"}`)
			u, _ := url.Parse(p["checkout_url"].(string))
			return p["id"].(string), u.Path
		}
		paid, path := mk()
		resp := h.ChooseBank(path, "EVIULT2V")
		resp, _ = h.Get(payseraPage(h, resp.Header.Get("Location"), "approve")) // our callback: payment created at Paysera
		e2etest.ExpectCode(t, resp, 303)
		payseraPage(h, resp.Header.Get("Location"), "approve") // approved at Paysera; the way back is never taken
		unpaid, path := mk()
		resp = h.ChooseBank(path, "EVIULT2V")
		h.Get(payseraPage(h, resp.Header.Get("Location"), "approve")) // at Paysera's SCA page, and gone
		for _, id := range []string{paid, unpaid} {
			if st, _ := h.Status(id); st != "authorising" {
				t.Fatalf("before expiry %s is %s", id, st)
			}
		}
		h.Clock.Add(time.Hour)
		if _, err := h.App.Checkout.Reconcile(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if want, _ := payseraApproved(f); !hasStatus(h, paid, want) {
			st, p := h.Status(paid)
			t.Fatalf("approved at the bank, yet %s: %v", st, e2etest.EventTrail(p))
		}
		if st, p := h.Status(unpaid); st != "expired" {
			t.Fatalf("never approved, yet %s: %v", st, e2etest.EventTrail(p))
		}
		calls := h.App.Sandbox.Bank("paysera").(*payseratest.Fake).Calls()
		if last := calls[len(calls)-1]; !strings.HasPrefix(last, "DELETE /v1/payments/sepa-credit-transfers/") {
			t.Fatalf("the unpaid order was not cancelled at the bank: last call %s", last)
		}
	})
}

// The merchant hears of a payment approved at the bank within seconds, not at expiry: the
// reconciler asks the bank about shoppers away at its pages, at most every 15 seconds each.
func TestRedirectApprovalSeenBeforeExpiry(t *testing.T) {
	payseraForms(t, func(t *testing.T, h *e2etest.Harness, f payseratest.Forms) {
		ctx := context.Background()
		_, p := h.API("POST", "/api/v1/payments", `{"amount":"5.00","currency":"EUR","reference":"x"}`)
		id := p["id"].(string)
		u, _ := url.Parse(p["checkout_url"].(string))
		resp := h.ChooseBank(u.Path, "EVIULT2V")
		resp, _ = h.Get(payseraPage(h, resp.Header.Get("Location"), "approve"))
		sca := resp.Header.Get("Location")
		h.App.Checkout.Reconcile(ctx, nil)     // asks the bank: not decided yet
		back := payseraPage(h, sca, "approve") // approved; the shopper does not come back (yet)
		h.App.Checkout.Reconcile(ctx, nil)     // too soon to ask again
		if st, _ := h.Status(id); st != "authorising" {
			t.Fatalf("asked the bank again within 15 s: %s", st)
		}
		h.Clock.Add(16 * time.Second)
		h.App.Checkout.Reconcile(ctx, nil)
		want, text := payseraApproved(f)
		if !hasStatus(h, id, want) {
			st, p := h.Status(id)
			t.Fatalf("approved at the bank 16 s ago, yet %s: %v", st, e2etest.EventTrail(p))
		}
		// Coming back late changes nothing and shows the result.
		resp, _ = h.Get(back)
		e2etest.ExpectCode(t, resp, 303)
		_, page := h.Get(u.Path)
		if !strings.Contains(page, text) {
			t.Fatalf("late return shows:\n%s", page)
		}
		if _, p := h.Status(id); len(p["events"].([]any)) != 3 {
			t.Fatalf("the late return moved the payment again: %v", e2etest.EventTrail(p))
		}
	})
}
