package e2e

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"paybybank/banks/powens/powenstest"
	"paybybank/internal/e2etest"
	"paybybank/payment"
)

const instantBank = "POWENSFR/338178e6-3d01-564f-9a7b-52ca442459bf"

// powensHarness is a harness whose fake Powens answers in the given forms, and whose merchant has
// the company identity Powens requires.
func powensHarness(t *testing.T, forms powenstest.Forms) *e2etest.Harness {
	h := e2etest.New(t)
	h.App.Sandbox.Bank("powens").(*powenstest.Fake).Forms = forms
	if err := h.DB.SetIdentity(t.Context(), h.Merchant.ID, &payment.Identity{Scheme: "siren", ID: "552100554", LegalStatus: "SAS"}); err != nil {
		t.Fatal(err)
	}
	return h
}

// payViaPowens picks a Powens bank, picks it again in Powens' webview (where the bank is truly
// chosen), decides there and follows the shopper back.
func payViaPowens(h *e2etest.Harness, reference, bank, decision string) (id, path string) {
	h.T.Helper()
	code, p := h.API("POST", "/api/v1/payments", `{"amount":"249.00","currency":"EUR","reference":"`+reference+`"}`)
	if code != 201 {
		h.T.Fatalf("%d %v", code, p)
	}
	u, _ := url.Parse(p["checkout_url"].(string))
	id, path = p["id"].(string), u.Path
	resp := h.ChooseBank(path, bank)
	e2etest.ExpectCode(h.T, resp, 303)
	webview := resp.Header.Get("Location")
	if !strings.Contains(webview, "/sandbox/powens/auth/webview/payment?") {
		h.T.Fatalf("went to %s", webview)
	}
	resp, page := h.Get(webview)
	e2etest.ExpectCode(h.T, resp, 200)
	_, connector, _ := strings.Cut(bank, "/")
	form := url.Values{"decision": {decision}, "connector_uuid": {connector}}
	for _, name := range []string{"code", "payment_id"} {
		form.Set(name, regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(page)[1])
	}
	wu, _ := url.Parse(webview)
	resp, _ = h.Post(wu.Path+"?"+wu.RawQuery, form)
	e2etest.ExpectCode(h.T, resp, 303)
	back := resp.Header.Get("Location")
	if !strings.HasPrefix(back, h.Srv.URL+"/callback?") {
		h.T.Fatalf("webview sent the shopper to %s", back)
	}
	resp, _ = h.Get(back)
	e2etest.ExpectCode(h.T, resp, 303)
	return id, path
}

func TestPowensJourney(t *testing.T) {
	for _, f := range powenstest.AllForms() {
		t.Run(f.Name, func(t *testing.T) {
			h := powensHarness(t, f.Forms)
			id, path := payViaPowens(h, "Order 1001", instantBank, "validate")
			deadline := time.Now().Add(5 * time.Second)
			for {
				if _, page := h.Get(path); strings.Contains(page, "Payment completed") {
					break
				}
				if time.Now().After(deadline) {
					st, p := h.Status(id)
					t.Fatalf("still %s: %v", st, p["events"])
				}
				h.App.Checkout.Reconcile(t.Context(), nil) // "validating" shown: a poll moves it on
				time.Sleep(20 * time.Millisecond)
			}
			if st, p := h.Status(id); st != "completed" || p["bank_status"] != "ACSC" || p["bank"].(map[string]any)["provider"] != "powens" {
				t.Fatalf("payment %v", p)
			}
		})
	}
}

// waitStatus polls (as the reconciler does) until the payment reaches want.
func waitStatus(t *testing.T, h *e2etest.Harness, id, want string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, p := h.Status(id)
		if st == want {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %s, want %s: %v", st, want, p["events"])
		}
		h.App.Checkout.Reconcile(t.Context(), nil)
		time.Sleep(20 * time.Millisecond)
	}
}

// waitAttempt waits until the payment's attempt ended with outcome and reason and the payment is
// back at the bank choice (open), asking the bank meanwhile as the reconciler does.
func waitAttempt(t *testing.T, h *e2etest.Harness, id, outcome, reason string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, p := h.Status(id)
		if o, r := h.LastAttempt(p); st == "open" && o == outcome && r == reason {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %s, want open after an attempt %s (%s): %v %v", st, outcome, reason, p["attempts"], p["events"])
		}
		h.App.Checkout.Reconcile(t.Context(), nil)
		time.Sleep(20 * time.Millisecond)
	}
}

func TestPowensOutcomes(t *testing.T) {
	for _, f := range powenstest.AllForms() {
		t.Run(f.Name, func(t *testing.T) {
			h := powensHarness(t, f.Forms)
			t.Run("rejected by the bank", func(t *testing.T) {
				id, _ := payViaPowens(h, "rjct - Order 2", instantBank, "validate")
				if p := waitAttempt(t, h, id, "failed", "rejected_by_bank"); p["bank_status"] != "RJCT" {
					t.Fatalf("payment %v", p)
				}
			})
			t.Run("cancelled in the webview", func(t *testing.T) {
				id, _ := payViaPowens(h, "Order 3", instantBank, "cancel")
				// Cancelled by the shopper, not refused at the bank; the callback (confirmed with
				// Powens) and Powens' webhook race, and the attempt ends once: the payment waits
				// for another.
				p := waitAttempt(t, h, id, "cancelled", "cancelled_at_bank")
				trail := e2etest.EventTrail(p)
				if strings.Count(trail, "open/") != 2 || strings.Contains(trail, "failed/") || len(p["attempts"].([]any)) != 1 {
					t.Fatalf("payment: %s", trail)
				}
				if f.Forms.WebviewCancelLeavesCreated && !strings.Contains(trail, "open/callback") {
					t.Fatalf("a payment Powens still has as created is cancelled by the callback: %s", trail)
				}
			})
			t.Run("pending, then done by webhook", func(t *testing.T) {
				id, _ := payViaPowens(h, "pdng/pdng/done - Order 4", instantBank, "validate")
				// Powens' PAYMENT_UPDATED arrives, in either body shape; a forged or repeated one
				// changes nothing twice.
				pid := powensID(t, h, id)
				for _, body := range []string{`{"type":"PAYMENT_UPDATED","payment":{"id":` + pid + `}}`, `{"id":` + pid + `,"state":"done","error_code":null}`,
					`{"type":"PAYMENT_UPDATED","payment":{"id":` + pid + `}}`} {
					resp, _ := h.Do("POST", "/webhooks/powens", strings.NewReader(body), map[string]string{"Content-Type": "application/json"})
					e2etest.ExpectCode(t, resp, 204)
				}
				deadline := time.Now().Add(5 * time.Second)
				for {
					st, p := h.Status(id)
					if st == "completed" {
						trail := e2etest.EventTrail(p)
						if strings.Count(trail, "completed/") != 1 {
							t.Fatalf("events %s: want one completion, whatever the order of callback, webhooks and polls", trail)
						}
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("still %s", st)
					}
					resp, _ := h.Do("POST", "/webhooks/powens", strings.NewReader(`{"id":`+pid+`}`), map[string]string{"Content-Type": "application/json"})
					e2etest.ExpectCode(t, resp, 204)
					time.Sleep(50 * time.Millisecond)
				}
				resp, _ := h.Do("POST", "/webhooks/powens", strings.NewReader(`{"type":"PAYMENT_UPDATED"}`), nil)
				e2etest.ExpectCode(t, resp, 400)
			})
			t.Run("accepted by a bank that stops reporting", func(t *testing.T) {
				id, _ := payViaPowens(h, "Order 5", "POWENSFR/a1b2c3d4-0000-4000-8000-000000000003", "validate")
				if p := waitStatus(t, h, id, "completed"); p["bank_accepted"] != true || p["bank_status"] != "ACCP" {
					t.Fatalf("payment %v", p)
				}
			})
			t.Run("cancelled at the bank by script", func(t *testing.T) {
				// Rejected with error_code "cancelled": the payer cancelled at the bank.
				id, _ := payViaPowens(h, "canc - Order 7", instantBank, "validate")
				if p := waitAttempt(t, h, id, "cancelled", "cancelled_at_bank"); p["bank_status"] != "CANC" {
					t.Fatalf("payment %v", p)
				}
			})
			t.Run("a Powens bug is retried, then done", func(t *testing.T) {
				// "bug" makes Powens answer 500 once; the connector retries and the payment completes.
				id, _ := payViaPowens(h, "bug/done - Order 8", instantBank, "validate")
				waitStatus(t, h, id, "completed")
			})
			t.Run("errored at the bank", func(t *testing.T) {
				id, _ := payViaPowens(h, "err - Order 6", "POWENSFR/a1b2c3d4-0000-4000-8000-000000000002", "validate")
				waitAttempt(t, h, id, "failed", "rejected_by_bank")
			})
			t.Run("expired at Powens", func(t *testing.T) {
				id, _ := payViaPowens(h, "pdng/pdng/pdng - Order 9", instantBank, "validate")
				pid := powensID(t, h, id)
				n, _ := strconv.ParseInt(pid, 10, 64)
				if !h.App.Sandbox.Bank("powens").(*powenstest.Fake).Expire(n) {
					t.Fatal("not expired")
				}
				if p := waitAttempt(t, h, id, "failed", "rejected_by_bank"); p["bank_status"] != "RJCT" {
					t.Fatalf("payment %v", p)
				}
			})
		})
	}
}

// A merchant that never said who it is cannot be paid through Powens: the shopper is told this
// bank is not available, and nothing is created at Powens.
func TestPowensNeedsMerchantIdentity(t *testing.T) {
	h := e2etest.New(t)
	code, p := h.API("POST", "/api/v1/payments", `{"amount":"249.00","currency":"EUR","reference":"Order 1"}`)
	if code != 201 {
		t.Fatalf("%d %v", code, p)
	}
	u, _ := url.Parse(p["checkout_url"].(string))
	_, page := h.Get(u.Path)
	resp, body := h.PostRedirect(u.Path+"/bank", url.Values{"bank": {instantBank}, "csrf": {h.CSRF(page)}})
	if resp.StatusCode != 200 || !strings.Contains(body, "This bank cannot take this payment") {
		t.Fatalf("%d:\n%s", resp.StatusCode, body)
	}
	for _, c := range h.App.Sandbox.Bank("powens").(*powenstest.Fake).Calls() {
		if c == "POST /payments" {
			t.Fatal("a payment was created at Powens")
		}
	}
	if st, _ := h.Status(p["id"].(string)); st != "open" {
		t.Fatalf("status %s", st)
	}
}

func powensID(t *testing.T, h *e2etest.Harness, paymentID string) string {
	a, err := h.DB.LatestAuthorisation(t.Context(), paymentID)
	if err != nil {
		t.Fatal(err)
	}
	return a.BankPaymentID
}
