package main

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

const instantBank = "POWENSFR/338178e6-3d01-564f-9a7b-52ca442459bf"

// payViaPowens picks a Powens bank, decides in the webview and follows the shopper back.
func (h *harness) payViaPowens(reference, bank, decision string) (id, path string) {
	h.t.Helper()
	code, p := h.api("POST", "/api/v1/payments", `{"amount":"249.00","currency":"EUR","reference":"`+reference+`"}`)
	if code != 201 {
		h.t.Fatalf("%d %v", code, p)
	}
	u, _ := url.Parse(p["checkout_url"].(string))
	id, path = p["id"].(string), u.Path
	resp := h.chooseBank(path, bank)
	expectCode(h.t, resp, 303)
	webview := resp.Header.Get("Location")
	if !strings.Contains(webview, "/sandbox/powens/auth/webview/payment?") {
		h.t.Fatalf("went to %s", webview)
	}
	resp, page := h.get(webview)
	expectCode(h.t, resp, 200)
	form := url.Values{"decision": {decision}}
	for _, name := range []string{"code", "payment_id"} {
		form.Set(name, regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(page)[1])
	}
	wu, _ := url.Parse(webview)
	resp, _ = h.post(wu.Path+"?"+wu.RawQuery, form)
	expectCode(h.t, resp, 303)
	back := resp.Header.Get("Location")
	if !strings.HasPrefix(back, h.srv.URL+"/callback?") {
		h.t.Fatalf("webview sent the shopper to %s", back)
	}
	resp, _ = h.get(back)
	expectCode(h.t, resp, 303)
	return id, path
}

func TestPowensJourney(t *testing.T) {
	h := newHarness(t)
	id, path := h.payViaPowens("Order 1001", instantBank, "validate")
	_, page := h.get(path)
	if !strings.Contains(page, "Payment completed") {
		t.Fatalf("result:\n%s", page)
	}
	if st, p := h.status(id); st != "completed" || p["bank_status"] != "ACSC" || p["bank"].(map[string]any)["provider"] != "powens" {
		t.Fatalf("payment %v", p)
	}
	// The payment went to Powens as the protocol wants: instant where the bank has it, the
	// amount a JSON number written from the decimal string, identities filled in.
	var sawCreate bool
	for _, c := range h.app.Sandbox.Powens.Calls() {
		sawCreate = sawCreate || c == "POST /payments"
	}
	if !sawCreate {
		t.Fatal("no payment created at Powens")
	}
}

func TestPowensOutcomes(t *testing.T) {
	h := newHarness(t)
	t.Run("rejected by the bank", func(t *testing.T) {
		id, _ := h.payViaPowens("rjct - Order 2", instantBank, "validate")
		if st, p := h.status(id); st != "failed" || p["bank_status"] != "RJCT" {
			t.Fatalf("payment %v", p)
		}
	})
	t.Run("cancelled in the webview", func(t *testing.T) {
		id, _ := h.payViaPowens("Order 3", instantBank, "cancel")
		// The callback (error=cancelled) and Powens' webhook race; either way it fails, once.
		if st, p := h.status(id); st != "failed" || strings.Count(eventTrail(p), "failed/") != 1 {
			t.Fatalf("payment %v", p)
		}
	})
	t.Run("pending, then done by webhook", func(t *testing.T) {
		id, _ := h.payViaPowens("pdng/pdng/done - Order 4", instantBank, "validate")
		// Powens' PAYMENT_UPDATED arrives; a forged or repeated one changes nothing twice.
		for i := 0; i < 3; i++ {
			resp, _ := h.do("POST", "/webhooks/powens", strings.NewReader(`{"type":"PAYMENT_UPDATED","payment":{"id":`+powensID(t, h, id)+`}}`), map[string]string{"Content-Type": "application/json"})
			expectCode(t, resp, 204)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			st, p := h.status(id)
			if st == "completed" {
				trail := eventTrail(p)
				if strings.Count(trail, "completed/") != 1 {
					t.Fatalf("events %s: want one completion, whatever the order of callback, webhooks and polls", trail)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("still %s", st)
			}
			time.Sleep(50 * time.Millisecond)
		}
		resp, _ := h.do("POST", "/webhooks/powens", strings.NewReader(`{"type":"PAYMENT_UPDATED"}`), nil)
		expectCode(t, resp, 400)
	})
	t.Run("accepted by a bank that stops reporting", func(t *testing.T) {
		id, _ := h.payViaPowens("Order 5", "POWENSFR/a1b2c3d4-0000-4000-8000-000000000003", "validate")
		if st, p := h.status(id); st != "completed" || p["bank_accepted"] != true || p["bank_status"] != "ACCP" {
			t.Fatalf("payment %v", p)
		}
	})
	t.Run("cancelled at the bank by script", func(t *testing.T) {
		id, _ := h.payViaPowens("canc - Order 7", instantBank, "validate")
		if st, p := h.status(id); st != "failed" || p["bank_status"] != "RJCT" {
			t.Fatalf("payment %v", p)
		}
	})
	t.Run("a Powens bug is retried, then done", func(t *testing.T) {
		// "bug" makes Powens answer 500 once; the connector retries and the payment completes.
		id, _ := h.payViaPowens("bug/done - Order 8", instantBank, "validate")
		deadline := time.Now().Add(5 * time.Second)
		for {
			h.app.Checkout.Reconcile(t.Context(), nil)
			if st, _ := h.status(id); st == "completed" {
				break
			}
			if time.Now().After(deadline) {
				st, p := h.status(id)
				t.Fatalf("still %s: %v", st, p["events"])
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	t.Run("errored at the bank", func(t *testing.T) {
		id, _ := h.payViaPowens("err - Order 6", "POWENSFR/a1b2c3d4-0000-4000-8000-000000000002", "validate")
		if st, _ := h.status(id); st != "failed" {
			t.Fatalf("status %s", st)
		}
	})
}

func powensID(t *testing.T, h *harness, paymentID string) string {
	a, err := h.db.LatestAuthorisation(t.Context(), paymentID)
	if err != nil {
		t.Fatal(err)
	}
	return a.BankPaymentID
}
