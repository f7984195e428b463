package e2e

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"paybybank/internal/e2etest"
)

// payWithBankID takes a payment through Handelsbanken's BankID in the sandbox app to completion.
func payWithBankID(h *e2etest.Harness, path string) {
	h.T.Helper()
	e2etest.ExpectCode(h.T, h.ChooseBank(path, "HANDSESS"), 303)
	_, app := h.Scan(h.CurrentQR(path))
	h.Sign(app, "approve")
}

// The result page is a receipt: amount, merchant, reference, bank, date and time, payment id.
func TestResultReceipt(t *testing.T) {
	h := e2etest.New(t)
	stockholm, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	id, path := h.CreatePayment(`,"amount":"1249.50","reference":"Faktura 77"`)
	payWithBankID(h, path)
	resp, page := h.Get(path, "Accept-Language", "sv")
	e2etest.ExpectCode(t, resp, 200)
	for _, want := range []string{"Betalningen är klar", "Kvitto", "1\u00a0249,50\u00a0SEK", "Test Shop AB", "Faktura 77",
		"<dt>Bank</dt><dd>Handelsbanken</dd>", "Datum och tid", h.Clock.Now().In(stockholm).Format("2006-01-02 15:04 MST"), // a Swedish payment, no browser zone known: Stockholm's time
		"Betalnings-ID", id} {
		if !strings.Contains(page, want) {
			t.Errorf("receipt lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, `http-equiv="refresh"`) || strings.Contains(page, `class="return-in"`) {
		t.Error("the page goes back to the shop by itself, which the merchant did not ask for")
	}
}

// auto_return: validated at create, in the payment's JSON, and a meta refresh with a visible
// countdown on the final result (the button stays).
func TestAutoReturn(t *testing.T) {
	h := e2etest.New(t)
	code, p := h.API("POST", "/api/v1/payments", `{"amount":"10.00","currency":"SEK","reference":"R","auto_return":true}`)
	if code != 422 || p["field"] != "auto_return" {
		t.Fatalf("auto_return without return_url: %d %v", code, p)
	}
	code, p = h.API("POST", "/api/v1/payments", `{"amount":"10.00","currency":"SEK","reference":"R","auto_return":"yes","return_url":"`+h.Srv.URL+`/r"}`)
	if code != 400 && code != 422 {
		t.Fatalf("auto_return as a string: %d %v", code, p)
	}
	id, path := h.CreatePayment(`,"auto_return":true`)
	if _, p := h.Status(id); p["auto_return"] != true {
		t.Fatalf("the payment's JSON: %v", p)
	}
	_, page := h.Get(path)
	if strings.Contains(page, `http-equiv="refresh" content="5;`) {
		t.Fatal("the picker goes back to the shop")
	}
	payWithBankID(h, path)
	_, page = h.Get(path, "Accept-Language", "fi")
	refresh := regexp.MustCompile(`<meta http-equiv="refresh" content="5;url=([^"]+)">`).FindStringSubmatch(page)
	if refresh == nil || e2etest.HTMLUnescape(refresh[1]) != path+"/return" {
		t.Fatalf("no meta refresh back to the shop:\n%s", page)
	}
	if !strings.Contains(page, `Palataan kauppaan <span class="return-in"><span class="n">5</span></span> s kuluttua.`) ||
		!strings.Contains(page, `href="`+path+`/return">Takaisin kauppaan</a>`) {
		t.Fatalf("no countdown or no button:\n%s", page)
	}
	resp, _ := h.Get(path + "/return")
	e2etest.ExpectCode(t, resp, 303)
	if to, _ := url.Parse(resp.Header.Get("Location")); to.Path != "/demo/return" || to.Query().Get("status") != "completed" {
		t.Fatalf("return went to %s", to)
	}
}

// The account form says what is wrong with a field once, as a whole sentence in the shopper's
// language.
func TestAccountFieldErrorSaidOnce(t *testing.T) {
	h := e2etest.New(t)
	_, path := h.CreatePayment(`,"debtor":null`)
	e2etest.ExpectCode(t, h.ChooseBank(path, "HANDSESS"), 303)
	for lang, want := range map[string]string{
		"en": "At Handelsbanken, the account number has 9 digits.",
		"sv": "Hos Handelsbanken har kontonumret 9 siffror.",
		"fr": "Chez Handelsbanken, le numéro de compte comporte 9 chiffres.",
	} {
		_, page := h.Get(path+"/account?bank=HANDSESS", "Accept-Language", lang)
		resp, page := h.PostRedirect(path+"/account", url.Values{"csrf": {h.CSRF(page)}, "bank": {"HANDSESS"}, "country": {"SE"},
			"clearing_number": {"6789"}, "account_number": {"1234567"}}, "Accept-Language", lang)
		e2etest.ExpectCode(t, resp, 200)
		if strings.Count(page, want) != 1 || strings.Contains(page, "must be") || !strings.Contains(page, `<p id="account-error" class="field-error" role="alert">`+want) {
			t.Errorf("%s: want %q once, under the field:\n%s", lang, want, page)
		}
	}
}
