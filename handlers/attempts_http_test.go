package handlers_test

import (
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"

	"paybybank/i18n"
	"paybybank/internal/e2etest"
	"paybybank/payment"
)

// swedishIBAN is the IBAN of a Swedish bank code and 17-digit account body, check digits computed.
func swedishIBAN(code, body string) string {
	n, _ := new(big.Int).SetString(code+body+"2814"+"00", 10) // S=28, E=14
	check := 98 - new(big.Int).Mod(n, big.NewInt(97)).Int64()
	return fmt.Sprintf("SE%02d%s%s", check, code, body)
}

// nordeaAccount is a valid Nordea account (clearing 3000) and its IBAN.
func nordeaAccount(t *testing.T) (account payment.Account) {
	t.Helper()
	for i := 1000000; i < 1000100; i++ {
		if a, err := payment.ParseSwedishAccount("3000", fmt.Sprint(i)); err == nil {
			return a
		}
	}
	t.Fatal("no valid Nordea account number found")
	return
}

// TestDebtorIBANForADomesticBank (issue 15, item 1): a Swedish IBAN from the merchant reaches a
// bank that wants the domestic number (Nordea: bban without clearing number) as that number; an
// IBAN that cannot be taken apart is refused at creation, naming the bank's format, when the
// merchant chose that bank, and makes the shopper give their account otherwise.
func TestDebtorIBANForADomesticBank(t *testing.T) {
	h := e2etest.New(t)
	acct := nordeaAccount(t)
	_, path := h.CreatePayment(`,"debtor":{"iban":"` + acct.IBAN + `"}`)
	resp := h.ChooseBank(path, "NDEASESS")
	e2etest.ExpectCode(t, resp, 303)
	if loc := resp.Header.Get("Location"); strings.Contains(loc, "/account") {
		t.Fatalf("the shopper is asked for an account the merchant gave: %s", loc)
	}
	sent := ""
	for _, c := range h.App.Sandbox.OpenPayments.Calls() {
		if c.Method == "POST" && strings.HasSuffix(c.Path, "/payments/domestic") {
			sent = c.Body
		}
	}
	if !strings.Contains(sent, `"debtorAccount":{"bban":"`+acct.BBAN+`"`) || strings.Contains(sent, acct.IBAN) {
		t.Fatalf("the bank was sent %s, want the bban %s", sent, acct.BBAN)
	}

	odd := swedishIBAN("300", "12345678901234567") // a Nordea code, an account body no rule reads
	if err := payment.ValidateIBAN(odd); err != nil {
		t.Fatal(err)
	}
	code, p := h.API("POST", "/api/v1/payments", `{"amount":"1.00","currency":"SEK","reference":"x","bank":"NDEASESS","debtor":{"iban":"`+odd+`"}}`)
	if detail, _ := p["detail"].(string); code != 422 || p["field"] != "debtor" || !strings.Contains(detail, "bban") || !strings.Contains(detail, "Nordea") {
		t.Fatalf("%d %v", code, p)
	}
	// Without a preselected bank the payment is made; at Nordea the shopper is asked for the account.
	_, path = h.CreatePayment(`,"debtor":{"iban":"` + odd + `"}`)
	resp = h.ChooseBank(path, "NDEASESS")
	if loc := resp.Header.Get("Location"); resp.StatusCode != 303 || loc != path+"/account?bank=NDEASESS" {
		t.Fatalf("%d to %s, want the account question", resp.StatusCode, loc)
	}
	if n := e2etest.BankOrders(h); n != 1 {
		t.Fatalf("%d bank orders, want only the first payment's", n)
	}
}

// TestMaxAttemptsOverHTTP: max_attempts is validated, shown, and when the attempts are used up the
// payment is failed with the last attempt's reason and code; payment.attempt_failed reaches the
// merchant signed, carrying the attempts.
func TestMaxAttemptsOverHTTP(t *testing.T) {
	h := e2etest.New(t)
	for _, bad := range []string{`0`, `-2`, `1.5`, `"3"`, `101`} {
		if code, p := h.API("POST", "/api/v1/payments", `{"amount":"1.00","currency":"SEK","reference":"x","max_attempts":`+bad+`}`); code != 422 || p["field"] != "max_attempts" {
			t.Errorf("max_attempts %s: %d %v", bad, code, p)
		}
	}
	rc := e2etest.NewReceiver(t)
	code, ep := h.API("POST", "/api/v1/webhook-endpoints", `{"url":"`+rc.Srv.URL+`","event_types":["payment.attempt_failed","payment.failed"]}`)
	if code != 201 {
		t.Fatalf("%d %v", code, ep)
	}
	rc.Secret = ep["secret"].(string)
	id, path := h.CreatePayment(`,"max_attempts":2`)
	deny := func() {
		resp := h.ChooseBank(path, "NDEASESS")
		e2etest.ExpectCode(t, resp, 303)
		resp = h.ApproveAtBank(resp.Header.Get("Location"), "deny")
		resp, _ = h.Get(resp.Header.Get("Location"))
		e2etest.ExpectCode(t, resp, 303)
	}
	deny()
	if st, p := h.Status(id); st != "open" || p["max_attempts"] != float64(2) {
		t.Fatalf("after one denial: %s %v", st, p)
	}
	deny()
	st, p := h.Status(id)
	if st != "failed" || p["failure_code"] != "denied_at_bank" || p["failure_reason"] != "denied at the bank" || len(p["attempts"].([]any)) != 2 {
		t.Fatalf("after two denials: %v", p)
	}
	if _, page := h.Get(path); !strings.Contains(page, "Payment failed") || !strings.Contains(page, "The payment was declined at your bank") {
		t.Fatalf("result page:\n%s", page)
	}
	h.App.Webhooks.DeliverDue(t.Context())
	types := rc.Types()
	slices.Sort(types)
	if got := strings.Join(types, " "); got != "payment.attempt_failed payment.attempt_failed payment.failed" {
		t.Fatalf("webhooks %s", got)
	}
	rc.Mu.Lock()
	defer rc.Mu.Unlock()
	var data map[string]any // the second attempt's end: the payment failed with it
	for _, ev := range rc.Got {
		if d := ev["data"].(map[string]any); ev["type"] == "payment.attempt_failed" && d["status"] == "failed" {
			data = d
		}
	}
	if data == nil {
		t.Fatalf("no payment.attempt_failed with the payment failed: %v", rc.Got)
	}
	attempts := data["attempts"].([]any)
	last := attempts[1].(map[string]any)
	if rc.Invalid != 0 || data["status"] != "failed" || len(attempts) != 2 || last["outcome"] != "denied" || last["reason"] != "denied_at_bank" || last["bic"] != "NDEASESS" {
		t.Fatalf("payment.attempt_failed: %v (invalid signatures %d)", data, rc.Invalid)
	}
}

// TestEveryReasonTranslated: each reason code an attempt or a payment can end with is shown to
// shoppers in all eight languages, never as its key, never left in English.
func TestEveryReasonTranslated(t *testing.T) {
	en := i18n.New("en", "")
	for code := range payment.Reasons {
		key := "reason." + code
		if en.T(key) == key {
			t.Errorf("%s: no English text", key)
		}
		for _, lang := range []string{"sv", "no", "fi", "da", "fr", "lt", "pt"} {
			if got := i18n.New(lang, "").T(key); got == en.T(key) || got == key {
				t.Errorf("%s in %s: %q", key, lang, got)
			}
		}
	}
}
