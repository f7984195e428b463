package e2e

import (
	"net/url"
	"strings"
	"testing"

	"paybybank/internal/e2etest"
)

func TestShopperGivesTheirAccount(t *testing.T) {
	h := e2etest.New(t)
	id, path := h.CreatePayment(`,"debtor":null`)
	resp := h.ChooseBank(path, "HANDSESS")
	e2etest.ExpectCode(t, resp, 303)
	if loc := resp.Header.Get("Location"); loc != path+"/account?bank=HANDSESS" {
		t.Fatalf("went to %s", loc)
	}
	resp, page := h.Get(path + "/account?bank=HANDSESS")
	e2etest.ExpectCode(t, resp, 200)
	if !strings.Contains(page, "Your account at Handelsbanken") || !strings.Contains(page, "Clearing number") {
		t.Fatalf("account page:\n%s", page)
	}
	csrf := h.CSRF(page)
	// Field by field: a wrong check digit names the account number and changes nothing.
	// The form's error comes back by a GET (post/redirect/get), with what was typed.
	resp, page = h.PostRedirect(path+"/account", url.Values{"csrf": {csrf}, "bank": {"HANDSESS"}, "country": {"SE"},
		"clearing_number": {"6789"}, "account_number": {"123456782"}})
	e2etest.ExpectCode(t, resp, 200)
	if !strings.Contains(page, `value="123456782"`) {
		t.Fatalf("what was typed is gone:\n%s", page)
	}
	if !strings.Contains(page, `id="f-account_number"`) || !strings.Contains(page, `aria-invalid="true"`) || !strings.Contains(page, "check digit") {
		t.Fatalf("error page:\n%s", page)
	}
	if st, _ := h.Status(id); st != "open" || e2etest.BankOrders(h) != 0 {
		t.Fatal("a bad account reached the bank")
	}
	resp, _ = h.Post(path+"/account", url.Values{"csrf": {csrf}, "bank": {"HANDSESS"}, "country": {"SE"},
		"clearing_number": {"6789"}, "account_number": {"1234 567 89"}, "remember": {"1"}})
	e2etest.ExpectCode(t, resp, 303)
	if st, _ := h.Status(id); st != "authorising" {
		t.Fatalf("status %s", st)
	}
	sent := ""
	for _, c := range h.App.Sandbox.OpenPayments.Calls() {
		if c.Method == "POST" && strings.HasSuffix(c.Path, "/payments/domestic") {
			sent = c.Body
		}
	}
	if !strings.Contains(sent, `"debtorAccount":{"bban":"123456789","currency":"SEK"}`) {
		t.Fatalf("debtor not sent in Handelsbanken's format: %s", sent)
	}

	// Next time on this device: the account is offered, masked, and can be forgotten.
	_, path2 := h.CreatePayment(`,"debtor":null`)
	resp = h.ChooseBank(path2, "HANDSESS")
	_, page = h.Get(resp.Header.Get("Location"))
	if !strings.Contains(page, "Pay from •••• 6789") || strings.Contains(page, "123456789") {
		t.Fatalf("remembered account:\n%s", page)
	}
	resp, _ = h.Post(path2+"/account/use", url.Values{"csrf": {h.CSRF(page)}, "bank": {"HANDSESS"}})
	e2etest.ExpectCode(t, resp, 303)
	_, path3 := h.CreatePayment(`,"debtor":null`)
	resp = h.ChooseBank(path3, "HANDSESS")
	_, page = h.Get(resp.Header.Get("Location"))
	resp, _ = h.Post(path3+"/account/forget", url.Values{"csrf": {h.CSRF(page)}, "bank": {"HANDSESS"}})
	e2etest.ExpectCode(t, resp, 303)
	_, page = h.Get(resp.Header.Get("Location"))
	if strings.Contains(page, "Pay from") {
		t.Fatal("forgotten account still offered")
	}
}

func TestAccountFormsPerCountry(t *testing.T) {
	h := e2etest.New(t)
	for bic, want := range map[string]string{"DNBANOKK": "Account number", "DABADKKK": "Registration number", "NDEAFIHH": ">IBAN<"} {
		cur := map[string]string{"DNBANOKK": "NOK", "DABADKKK": "DKK", "NDEAFIHH": "EUR"}[bic]
		// Paid to a shop's account in the bank's country: a domestic payment goes to a domestic account.
		creditor := map[string]string{"DNBANOKK": `,"creditor":{"name":"Butikk AS","iban":"NO9386011117947"}`,
			"DABADKKK": `,"creditor":{"name":"Butik ApS","iban":"DK5000400440116243"}`, "NDEAFIHH": ""}[bic]
		code, p := h.API("POST", "/api/v1/payments", `{"amount":"100.00","currency":"`+cur+`","reference":"Order 1"`+creditor+`}`)
		if code != 201 {
			t.Fatalf("%d %v", code, p)
		}
		u, _ := url.Parse(p["checkout_url"].(string))
		resp := h.ChooseBank(u.Path, bic)
		_, page := h.Get(resp.Header.Get("Location"))
		if !strings.Contains(page, want) {
			t.Errorf("%s form lacks %q:\n%s", bic, want, page)
		}
		fields := map[string]url.Values{
			"DNBANOKK": {"country": {"NO"}, "account_number": {"8601 11 17947"}},
			"DABADKKK": {"country": {"DK"}, "registration_number": {"0040"}, "account_number": {"0440116243"}},
			"NDEAFIHH": {"country": {"FI"}, "iban": {"FI21 1234 5600 0007 85"}},
		}[bic]
		fields.Set("csrf", h.CSRF(page))
		fields.Set("bank", bic)
		resp, body := h.Post(u.Path+"/account", fields)
		if resp.StatusCode != 303 || !strings.Contains(resp.Header.Get("Location"), "/sandbox/openpayments/bank/authorize") {
			t.Fatalf("%s: %d %s\n%s", bic, resp.StatusCode, resp.Header.Get("Location"), body)
		}
		// And the payment goes through, paid from the account the shopper typed.
		resp = h.ApproveAtBank(resp.Header.Get("Location"), "approve")
		h.Get(resp.Header.Get("Location"))
		if st, _ := h.Status(p["id"].(string)); st != "completed" {
			t.Errorf("%s: payment %s", bic, st)
		}
	}
}

func TestBankThatLetsTheShopperChoose(t *testing.T) {
	h := e2etest.New(t)
	id, path := h.CreatePayment(`,"debtor":null`)
	resp := h.ChooseBank(path, "DABASESX") // Danske Bank: the shopper picks the account at the bank
	e2etest.ExpectCode(t, resp, 303)
	if !strings.Contains(resp.Header.Get("Location"), "/sandbox/openpayments/bank/authorize") {
		t.Fatalf("went to %s", resp.Header.Get("Location"))
	}
	resp = h.ApproveAtBank(resp.Header.Get("Location"), "approve")
	h.Get(resp.Header.Get("Location"))
	if st, _ := h.Status(id); st != "completed" {
		t.Fatalf("status %s", st)
	}
}

func TestReferenceLimits(t *testing.T) {
	h := e2etest.New(t)
	// Swedbank takes 10 characters for a domestic payment to another bank: a merchant that
	// preselects it with a longer reference is told so, and nothing is cut.
	code, p := h.API("POST", "/api/v1/payments", `{"amount":"1.00","currency":"SEK","reference":"Invoice 2026-0042","bank":"SWEDSESS"}`)
	if code != 422 || p["field"] != "reference" || !strings.Contains(p["detail"].(string), "at most 10") {
		t.Fatalf("%d %v", code, p)
	}
	// In the picker Swedbank is not offered, and listed apart with the reason.
	_, path := h.CreatePayment(`,"reference":"Invoice 2026-0042"`)
	_, page := h.Get(path)
	if strings.Contains(page, `value="SWEDSESS"`) || !strings.Contains(page, `<span class="name">Swedbank</span> <span class="note">Reference too long for this bank (max 10)</span>`) {
		t.Fatalf("picker:\n%s", page)
	}
	if _, page := h.PostRedirect(path+"/bank", url.Values{"bank": {"SWEDSESS"}, "csrf": {h.CSRF(page)}}); !strings.Contains(page, "This bank cannot take this payment") {
		t.Fatalf("after choosing an unavailable bank:\n%s", page)
	}
	// A bad account from the merchant names the field.
	code, p = h.API("POST", "/api/v1/payments", `{"amount":"1.00","currency":"SEK","reference":"x","debtor":{"country":"SE","clearing_number":"6789","account_number":"1"}}`)
	if code != 422 || p["field"] != "debtor.account_number" {
		t.Fatalf("%d %v", code, p)
	}
}

func TestFetchMyAccountsDecoupled(t *testing.T) {
	h := e2etest.New(t)
	id, path := h.CreatePayment(`,"debtor":null`)
	resp := h.ChooseBank(path, "HANDSESS")
	_, page := h.Get(resp.Header.Get("Location"))
	if !strings.Contains(page, "Fetch my accounts") {
		t.Fatalf("no fetch option:\n%s", page)
	}
	resp, _ = h.Post(path+"/account/fetch", url.Values{"csrf": {h.CSRF(page)}, "bank": {"HANDSESS"}})
	e2etest.ExpectCode(t, resp, 303)
	// The consent is approved with BankID like a payment: QR, scan, sign.
	resp, body := h.Scan(h.CurrentQR(path))
	e2etest.ExpectCode(t, resp, 200)
	h.Sign(body, "approve")
	_, st := h.Get(path + "/status?page=bankid")
	if !strings.Contains(st, `"next"`) {
		t.Fatalf("status after consent: %s", st)
	}
	resp, _ = h.Get(path)
	e2etest.ExpectCode(t, resp, 303)
	_, page = h.Get(resp.Header.Get("Location"))
	if !strings.Contains(page, "Your accounts") || !strings.Contains(page, "Everyday account") || !strings.Contains(page, "•••• 0003") || strings.Contains(page, "54910000003") {
		t.Fatalf("account list:\n%s", page)
	}
	if s, _ := h.Status(id); s != "open" {
		t.Fatalf("reading accounts moved the payment to %s", s)
	}
	resp, _ = h.Post(path+"/account/pick", url.Values{"csrf": {h.CSRF(page)}, "bank": {"HANDSESS"}, "account": {"0"}})
	e2etest.ExpectCode(t, resp, 303)
	resp, body = h.Scan(h.CurrentQR(path))
	e2etest.ExpectCode(t, resp, 200)
	h.Sign(body, "approve")
	h.Get(path)
	if s, p := h.Status(id); s != "completed" || e2etest.EventTrail(p) != "open/merchant authorising/shopper completed/shopper" {
		t.Fatalf("payment %s %s", s, e2etest.EventTrail(p))
	}
	sent := ""
	for _, c := range h.App.Sandbox.OpenPayments.Calls() {
		if c.Method == "POST" && strings.HasSuffix(c.Path, "/payments/domestic") {
			sent = c.Body
		}
	}
	if !strings.Contains(sent, `"debtorAccount":{"bban":"54910000003","currency":"SEK"}`) {
		t.Fatalf("the picked account was not paid from: %s", sent)
	}
}

func TestFetchMyAccountsRedirect(t *testing.T) {
	h := e2etest.New(t)
	id, path := h.CreatePayment(`,"debtor":null`)
	resp := h.ChooseBank(path, "NDEASESS")
	_, page := h.Get(resp.Header.Get("Location"))
	resp, _ = h.Post(path+"/account/fetch", url.Values{"csrf": {h.CSRF(page)}, "bank": {"NDEASESS"}})
	e2etest.ExpectCode(t, resp, 303)
	resp = h.ApproveAtBank(resp.Header.Get("Location"), "approve")
	resp, _ = h.Get(resp.Header.Get("Location")) // our callback
	e2etest.ExpectCode(t, resp, 303)
	resp, _ = h.Get(resp.Header.Get("Location"))
	e2etest.ExpectCode(t, resp, 303)
	_, page = h.Get(resp.Header.Get("Location"))
	if !strings.Contains(page, "Savings") {
		t.Fatalf("account list:\n%s", page)
	}
	resp, _ = h.Post(path+"/account/pick", url.Values{"csrf": {h.CSRF(page)}, "bank": {"NDEASESS"}, "account": {"1"}})
	e2etest.ExpectCode(t, resp, 303)
	resp = h.ApproveAtBank(resp.Header.Get("Location"), "approve")
	h.Get(resp.Header.Get("Location"))
	if s, _ := h.Status(id); s != "processing" {
		t.Fatalf("payment %s", s)
	}
}

func TestAffiliatedSavingsBank(t *testing.T) {
	h := e2etest.New(t)
	id, path := h.CreatePayment("")
	_, page := h.Get(path)
	if !strings.Contains(page, "Sparbanken Skåne") || !strings.Contains(page, `value="SWEDSESS/08999"`) {
		t.Fatalf("savings banks behind Swedbank missing from the picker:\n%s", page)
	}
	resp, _ := h.Post(path+"/bank", url.Values{"bank": {"SWEDSESS/08999"}, "csrf": {h.CSRF(page)}})
	e2etest.ExpectCode(t, resp, 303)
	resp, body := h.Scan(h.CurrentQR(path))
	e2etest.ExpectCode(t, resp, 200)
	h.Sign(body, "approve")
	h.Get(path)
	if st, p := h.Status(id); st != "completed" || p["bank"].(map[string]any)["bic"] != "SWEDSESS" {
		t.Fatalf("payment %v", p)
	}
	n := 0
	for _, c := range h.App.Sandbox.OpenPayments.Calls() {
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
	h := e2etest.New(t)
	// OP wants the creditor's address for SEPA payments to accounts outside Finland: a merchant
	// without one sees OP as unavailable; with one, the payment goes through.
	code, p := h.API("POST", "/api/v1/payments", `{"amount":"10.00","currency":"EUR","reference":"Order 5","debtor":{"iban":"FI2112345600000785"}}`)
	if code != 201 {
		t.Fatalf("%d %v", code, p)
	}
	u, _ := url.Parse(p["checkout_url"].(string))
	_, page := h.Get(u.Path)
	if strings.Contains(page, `value="OKOYFIHH"`) || !strings.Contains(page, `<span class="name">OP</span> <span class="note">Not available for this shop</span>`) {
		t.Fatalf("OP offered without a creditor address:\n%s", page)
	}
	code, p = h.API("POST", "/api/v1/payments", `{"amount":"10.00","currency":"EUR","reference":"Order 5","debtor":{"iban":"FI2112345600000785"},
		"creditor":{"name":"Shop AB","iban":"SE7160000000000123456789","address":{"street":"Storgatan 1","post_code":"111 22","town":"Stockholm","country":"SE"}}}`)
	if code != 201 {
		t.Fatalf("%d %v", code, p)
	}
	u, _ = url.Parse(p["checkout_url"].(string))
	resp := h.ChooseBank(u.Path, "OKOYFIHH")
	resp = h.ApproveAtBank(resp.Header.Get("Location"), "approve")
	h.Get(resp.Header.Get("Location"))
	if st, _ := h.Status(p["id"].(string)); st != "completed" {
		t.Fatalf("payment %s", st)
	}
}
