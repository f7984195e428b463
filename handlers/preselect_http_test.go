package handlers_test

import (
	"net/url"
	"strings"
	"testing"

	"paybybank/internal/e2etest"
)

// TestCreateRefusesPreselectedBankThatCannotPay: a bank the merchant preselects must be able to pay
// the payment (a product for its currency, reaching the creditor's account, in the form the bank
// wants it): one that cannot is refused at create with a 422 on "bank" saying why, and nothing is
// stored; one that can is accepted as before.
func TestCreateRefusesPreselectedBankThatCannotPay(t *testing.T) {
	h := e2etest.New(t)
	count := func() int {
		t.Helper()
		code, list := h.API("GET", "/api/v1/payments?limit=100", "")
		if code != 200 {
			t.Fatalf("%d %v", code, list)
		}
		data, _ := list["data"].([]any)
		return len(data)
	}
	for _, tt := range []struct{ name, body, detail string }{
		// Handelsbanken wants the creditor as a Swedish clearing and account number.
		{"creditor form", `{"amount":"12.00","currency":"EUR","reference":"Tilaus 5","bank":"HANDSESS","creditor":{"name":"Kauppa Oy","iban":"FI2112345600000785"}}`,
			"Handelsbanken (HANDSESS) cannot pay EUR to this creditor account: it takes the creditor's account only as a Swedish clearing and account number (creditor.clearing_number and creditor.bban), which an account in FI does not give"},
		// A Norwegian savings bank pays NOK domestically only.
		{"creditor country", `{"amount":"349.00","currency":"NOK","reference":"Ordre 12","bank":"SPMONO22","creditor":{"name":"Butik AB","iban":"SE7280000810340009783242"}}`,
			"cannot pay NOK to this creditor account: it pays NOK only to an account in NO, not in SE"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := count()
			code, p := h.API("POST", "/api/v1/payments", tt.body)
			if detail, _ := p["detail"].(string); code != 422 || p["field"] != "bank" || p["code"] != "validation_error" || !strings.Contains(detail, tt.detail) {
				t.Fatalf("%d %v, want 422 on bank saying %q", code, p, tt.detail)
			}
			if after := count(); after != before {
				t.Fatalf("a refused payment was stored: %d payments, then %d", before, after)
			}
		})
	}
	// Banks that can pay are accepted, and the picker offers only them.
	for _, tt := range []struct{ name, body, bic string }{
		{"Swedish bank, Swedish account", `{"amount":"249.00","currency":"SEK","reference":"Order 1","bank":"HANDSESS"}`, "HANDSESS"},
		{"Norwegian bank, Norwegian account", `{"amount":"349.00","currency":"NOK","reference":"Ordre 12","bank":"SPMONO22","creditor":{"name":"Butikk AS","iban":"NO9386011117947"}}`, "SPMONO22"},
		{"Nordea Finland, EUR to a Finnish IBAN", `{"amount":"12.00","currency":"EUR","reference":"Tilaus 5","bank":"NDEAFIHH","creditor":{"name":"Kauppa Oy","iban":"FI2112345600000785"}}`, "NDEAFIHH"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, p := h.API("POST", "/api/v1/payments", tt.body)
			if code != 201 {
				t.Fatalf("%d %v, want 201", code, p)
			}
			u, _ := url.Parse(p["checkout_url"].(string))
			_, page := h.Get(u.Path)
			if buttons, _ := bankButtons(page); len(buttons) != 1 || buttons[0] != tt.bic {
				t.Fatalf("the preselected %s's picker offers %v", tt.bic, buttons)
			}
		})
	}
}
