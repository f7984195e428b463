package main

import (
	"net/url"
	"strings"
	"testing"
)

func TestShopperGivesTheirAccount(t *testing.T) {
	h := newHarness(t)
	id, path := h.createPayment(`,"debtor":null`)
	resp := h.chooseBank(path, "HANDSESS")
	expectCode(t, resp, 303)
	if loc := resp.Header.Get("Location"); loc != path+"/account?bank=HANDSESS" {
		t.Fatalf("went to %s", loc)
	}
	resp, page := h.get(path + "/account?bank=HANDSESS")
	expectCode(t, resp, 200)
	if !strings.Contains(page, "Your account at Handelsbanken") || !strings.Contains(page, "Clearing number") {
		t.Fatalf("account page:\n%s", page)
	}
	csrf := h.csrf(page)
	// Field by field: a wrong check digit names the account number and changes nothing.
	resp, page = h.post(path+"/account", url.Values{"csrf": {csrf}, "bank": {"HANDSESS"}, "country": {"SE"},
		"clearing_number": {"6789"}, "account_number": {"123456782"}})
	expectCode(t, resp, 422)
	if !strings.Contains(page, `id="f-account_number"`) || !strings.Contains(page, `aria-invalid="true"`) || !strings.Contains(page, "check digit") {
		t.Fatalf("error page:\n%s", page)
	}
	if st, _ := h.status(id); st != "open" || bankOrders(h) != 0 {
		t.Fatal("a bad account reached the bank")
	}
	resp, _ = h.post(path+"/account", url.Values{"csrf": {csrf}, "bank": {"HANDSESS"}, "country": {"SE"},
		"clearing_number": {"6789"}, "account_number": {"1234 567 89"}, "remember": {"1"}})
	expectCode(t, resp, 303)
	if st, _ := h.status(id); st != "authorising" {
		t.Fatalf("status %s", st)
	}
	sent := ""
	for _, c := range h.app.Sandbox.OpenPayments.Calls() {
		if c.Method == "POST" && strings.HasSuffix(c.Path, "/payments/domestic") {
			sent = c.Body
		}
	}
	if !strings.Contains(sent, `"debtorAccount":{"bban":"123456789","currency":"SEK"}`) {
		t.Fatalf("debtor not sent in Handelsbanken's format: %s", sent)
	}

	// Next time on this device: the account is offered, masked, and can be forgotten.
	_, path2 := h.createPayment(`,"debtor":null`)
	resp = h.chooseBank(path2, "HANDSESS")
	_, page = h.get(resp.Header.Get("Location"))
	if !strings.Contains(page, "Pay from •••• 6789") || strings.Contains(page, "123456789") {
		t.Fatalf("remembered account:\n%s", page)
	}
	resp, _ = h.post(path2+"/account/use", url.Values{"csrf": {h.csrf(page)}, "bank": {"HANDSESS"}})
	expectCode(t, resp, 303)
	_, path3 := h.createPayment(`,"debtor":null`)
	resp = h.chooseBank(path3, "HANDSESS")
	_, page = h.get(resp.Header.Get("Location"))
	resp, _ = h.post(path3+"/account/forget", url.Values{"csrf": {h.csrf(page)}, "bank": {"HANDSESS"}})
	expectCode(t, resp, 303)
	_, page = h.get(resp.Header.Get("Location"))
	if strings.Contains(page, "Pay from") {
		t.Fatal("forgotten account still offered")
	}
}

func TestAccountFormsPerCountry(t *testing.T) {
	h := newHarness(t)
	for bic, want := range map[string]string{"DNBANOKK": "Account number", "DABADKKK": "Registration number", "NDEAFIHH": ">IBAN<"} {
		cur := map[string]string{"DNBANOKK": "NOK", "DABADKKK": "DKK", "NDEAFIHH": "EUR"}[bic]
		code, p := h.api("POST", "/api/v1/payments", `{"amount":"100.00","currency":"`+cur+`","reference":"Order 1"}`)
		if code != 201 {
			t.Fatalf("%d %v", code, p)
		}
		u, _ := url.Parse(p["checkout_url"].(string))
		resp := h.chooseBank(u.Path, bic)
		_, page := h.get(resp.Header.Get("Location"))
		if !strings.Contains(page, want) {
			t.Errorf("%s form lacks %q:\n%s", bic, want, page)
		}
		fields := map[string]url.Values{
			"DNBANOKK": {"country": {"NO"}, "account_number": {"8601 11 17947"}},
			"DABADKKK": {"country": {"DK"}, "registration_number": {"0040"}, "account_number": {"0440116243"}},
			"NDEAFIHH": {"country": {"FI"}, "iban": {"FI21 1234 5600 0007 85"}},
		}[bic]
		fields.Set("csrf", h.csrf(page))
		fields.Set("bank", bic)
		resp, body := h.post(u.Path+"/account", fields)
		if resp.StatusCode != 303 || !strings.Contains(resp.Header.Get("Location"), "/sandbox/openpayments/bank/authorize") {
			t.Fatalf("%s: %d %s\n%s", bic, resp.StatusCode, resp.Header.Get("Location"), body)
		}
		// And the payment goes through, paid from the account the shopper typed.
		resp = h.approveAtBank(resp.Header.Get("Location"), "approve")
		h.get(resp.Header.Get("Location"))
		if st, _ := h.status(p["id"].(string)); st != "completed" {
			t.Errorf("%s: payment %s", bic, st)
		}
	}
}

func TestBankThatLetsTheShopperChoose(t *testing.T) {
	h := newHarness(t)
	id, path := h.createPayment(`,"debtor":null`)
	resp := h.chooseBank(path, "DABASESX") // Danske Bank: the shopper picks the account at the bank
	expectCode(t, resp, 303)
	if !strings.Contains(resp.Header.Get("Location"), "/sandbox/openpayments/bank/authorize") {
		t.Fatalf("went to %s", resp.Header.Get("Location"))
	}
	resp = h.approveAtBank(resp.Header.Get("Location"), "approve")
	h.get(resp.Header.Get("Location"))
	if st, _ := h.status(id); st != "completed" {
		t.Fatalf("status %s", st)
	}
}

func TestReferenceLimits(t *testing.T) {
	h := newHarness(t)
	// Swedbank takes 10 characters for a domestic payment to another bank: a merchant that
	// preselects it with a longer reference is told so, and nothing is cut.
	code, p := h.api("POST", "/api/v1/payments", `{"amount":"1.00","currency":"SEK","reference":"Invoice 2026-0042","bank":"SWEDSESS"}`)
	if code != 422 || p["field"] != "reference" || !strings.Contains(p["detail"].(string), "at most 10") {
		t.Fatalf("%d %v", code, p)
	}
	// In the picker Swedbank is shown as unavailable for this payment, with the reason.
	_, path := h.createPayment(`,"reference":"Invoice 2026-0042"`)
	_, page := h.get(path)
	i := strings.Index(page, `value="SWEDSESS"`)
	if i < 0 || !strings.Contains(page[i-60:i+400], "disabled") || !strings.Contains(page[i:i+400], "Reference too long for this bank (max 10)") {
		t.Fatalf("picker:\n%s", page)
	}
	resp, _ := h.post(path+"/bank", url.Values{"bank": {"SWEDSESS"}, "csrf": {h.csrf(page)}})
	expectCode(t, resp, 422)
	// A bad account from the merchant names the field.
	code, p = h.api("POST", "/api/v1/payments", `{"amount":"1.00","currency":"SEK","reference":"x","debtor":{"country":"SE","clearing_number":"6789","account_number":"1"}}`)
	if code != 422 || p["field"] != "debtor.account_number" {
		t.Fatalf("%d %v", code, p)
	}
}

func TestFetchMyAccountsDecoupled(t *testing.T) {
	h := newHarness(t)
	id, path := h.createPayment(`,"debtor":null`)
	resp := h.chooseBank(path, "HANDSESS")
	_, page := h.get(resp.Header.Get("Location"))
	if !strings.Contains(page, "Fetch my accounts") {
		t.Fatalf("no fetch option:\n%s", page)
	}
	resp, _ = h.post(path+"/account/fetch", url.Values{"csrf": {h.csrf(page)}, "bank": {"HANDSESS"}})
	expectCode(t, resp, 303)
	// The consent is approved with BankID like a payment: QR, scan, sign.
	resp, body := h.scan(h.currentQR(path))
	expectCode(t, resp, 200)
	h.sign(body, "approve")
	_, st := h.get(path + "/status?page=bankid")
	if !strings.Contains(st, `"next"`) {
		t.Fatalf("status after consent: %s", st)
	}
	resp, _ = h.get(path)
	expectCode(t, resp, 303)
	_, page = h.get(resp.Header.Get("Location"))
	if !strings.Contains(page, "Your accounts") || !strings.Contains(page, "Everyday account") || !strings.Contains(page, "•••• 0003") || strings.Contains(page, "54910000003") {
		t.Fatalf("account list:\n%s", page)
	}
	if s, _ := h.status(id); s != "open" {
		t.Fatalf("reading accounts moved the payment to %s", s)
	}
	resp, _ = h.post(path+"/account/pick", url.Values{"csrf": {h.csrf(page)}, "bank": {"HANDSESS"}, "account": {"0"}})
	expectCode(t, resp, 303)
	resp, body = h.scan(h.currentQR(path))
	expectCode(t, resp, 200)
	h.sign(body, "approve")
	h.get(path)
	if s, p := h.status(id); s != "completed" || eventTrail(p) != "open/merchant authorising/shopper completed/shopper" {
		t.Fatalf("payment %s %s", s, eventTrail(p))
	}
	sent := ""
	for _, c := range h.app.Sandbox.OpenPayments.Calls() {
		if c.Method == "POST" && strings.HasSuffix(c.Path, "/payments/domestic") {
			sent = c.Body
		}
	}
	if !strings.Contains(sent, `"debtorAccount":{"bban":"54910000003","currency":"SEK"}`) {
		t.Fatalf("the picked account was not paid from: %s", sent)
	}
}

func TestFetchMyAccountsRedirect(t *testing.T) {
	h := newHarness(t)
	id, path := h.createPayment(`,"debtor":null`)
	resp := h.chooseBank(path, "NDEASESS")
	_, page := h.get(resp.Header.Get("Location"))
	resp, _ = h.post(path+"/account/fetch", url.Values{"csrf": {h.csrf(page)}, "bank": {"NDEASESS"}})
	expectCode(t, resp, 303)
	resp = h.approveAtBank(resp.Header.Get("Location"), "approve")
	resp, _ = h.get(resp.Header.Get("Location")) // our callback
	expectCode(t, resp, 303)
	resp, _ = h.get(resp.Header.Get("Location"))
	expectCode(t, resp, 303)
	_, page = h.get(resp.Header.Get("Location"))
	if !strings.Contains(page, "Savings") {
		t.Fatalf("account list:\n%s", page)
	}
	resp, _ = h.post(path+"/account/pick", url.Values{"csrf": {h.csrf(page)}, "bank": {"NDEASESS"}, "account": {"1"}})
	expectCode(t, resp, 303)
	resp = h.approveAtBank(resp.Header.Get("Location"), "approve")
	h.get(resp.Header.Get("Location"))
	if s, _ := h.status(id); s != "processing" {
		t.Fatalf("payment %s", s)
	}
}

func TestAffiliatedSavingsBank(t *testing.T) {
	h := newHarness(t)
	id, path := h.createPayment("")
	_, page := h.get(path)
	if !strings.Contains(page, "Sparbanken Skåne") || !strings.Contains(page, `value="SWEDSESS/08999"`) {
		t.Fatalf("savings banks behind Swedbank missing from the picker:\n%s", page)
	}
	resp, _ := h.post(path+"/bank", url.Values{"bank": {"SWEDSESS/08999"}, "csrf": {h.csrf(page)}})
	expectCode(t, resp, 303)
	resp, body := h.scan(h.currentQR(path))
	expectCode(t, resp, 200)
	h.sign(body, "approve")
	h.get(path)
	if st, p := h.status(id); st != "completed" || p["bank"].(map[string]any)["bic"] != "SWEDSESS" {
		t.Fatalf("payment %v", p)
	}
	n := 0
	for _, c := range h.app.Sandbox.OpenPayments.Calls() {
		if strings.HasPrefix(c.Path, "/psd2/paymentinitiation/") {
			n++
			if c.Header.Get("X-AffiliatedASPSP-ID") != "08999" || c.Header.Get("TPP-Redirect-Preferred") != "false" {
				t.Errorf("%s %s without the affiliate or decoupled headers", c.Method, c.Path)
			}
		}
	}
	if n < 4 {
		t.Fatalf("only %d payment calls", n)
	}
}

func TestCreditorAddressForSEPAAbroad(t *testing.T) {
	h := newHarness(t)
	// OP wants the creditor's address for SEPA payments to accounts outside Finland: a merchant
	// without one sees OP as unavailable; with one, the payment goes through.
	code, p := h.api("POST", "/api/v1/payments", `{"amount":"10.00","currency":"EUR","reference":"Order 5","debtor":{"iban":"FI2112345600000785"}}`)
	if code != 201 {
		t.Fatalf("%d %v", code, p)
	}
	u, _ := url.Parse(p["checkout_url"].(string))
	_, page := h.get(u.Path)
	i := strings.Index(page, `value="OKOYFIHH"`)
	if i < 0 || !strings.Contains(page[i:i+300], "Not available for this shop") {
		t.Fatalf("OP offered without a creditor address:\n%s", page)
	}
	code, p = h.api("POST", "/api/v1/payments", `{"amount":"10.00","currency":"EUR","reference":"Order 5","debtor":{"iban":"FI2112345600000785"},
		"creditor":{"name":"Shop AB","iban":"SE7160000000000123456789","address":{"street":"Storgatan 1","post_code":"111 22","town":"Stockholm","country":"SE"}}}`)
	if code != 201 {
		t.Fatalf("%d %v", code, p)
	}
	u, _ = url.Parse(p["checkout_url"].(string))
	resp := h.chooseBank(u.Path, "OKOYFIHH")
	resp = h.approveAtBank(resp.Header.Get("Location"), "approve")
	h.get(resp.Header.Get("Location"))
	if st, _ := h.status(p["id"].(string)); st != "completed" {
		t.Fatalf("payment %s", st)
	}
}
