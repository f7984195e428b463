package handlers_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"paybybank/internal/e2etest"
)

// bankButtons are the banks a picker page offers as buttons, and others those it lists apart.
func bankButtons(page string) (buttons []string, others string) {
	for _, m := range regexp.MustCompile(`name="bank" value="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		buttons = append(buttons, m[1])
	}
	if i := strings.Index(page, `<details class="others">`); i >= 0 {
		others = page[i:]
		others = others[:strings.Index(others, "</details>")]
	}
	return buttons, others
}

// The picker offers only the banks that can pay this payment; the others are named apart,
// behind one line, each with why, and choosing one anyway changes nothing.
func TestPickerOffersOnlyBanksThatCanPay(t *testing.T) {
	h := e2etest.New(t)
	// A Swedish shop's SEK payment to its Swedish IBAN (with clearing and account number).
	id, path := h.CreatePayment("")
	_, page := h.Get(path)
	buttons, others := bankButtons(page)
	has := func(list []string, key string) bool {
		for _, k := range list {
			if k == key {
				return true
			}
		}
		return false
	}
	for _, key := range []string{"SPMONO22", "SOSUNO22", "DNBANOKK", "DABADKKK", "NDEAFIHH"} {
		if has(buttons, key) {
			t.Errorf("%s is offered for a SEK payment to a Swedish account", key)
		}
	}
	for _, key := range []string{"HANDSESS", "ESSESESS", "NDEASESS", "SWEDSESS"} {
		if !has(buttons, key) {
			t.Errorf("%s is not offered", key)
		}
	}
	if !strings.Contains(others, "Banks that cannot take this payment (") || !strings.Contains(others, "Sparebanken Møre") ||
		!strings.Contains(others, "Not available for this currency") || strings.Contains(others, "<button") {
		t.Fatalf("the banks apart:\n%s", others)
	}
	if n := strings.Count(page, `<details class="others">`); n != 1 {
		t.Fatalf("%d lines for the banks apart, want one", n)
	}
	// Choosing one anyway is refused: back to the picker, which says so, and the payment is
	// still open, never sent to the savings bank.
	resp := h.ChooseBank(path, "SPMONO22")
	e2etest.ExpectCode(t, resp, 303)
	if loc, _ := url.Parse(resp.Header.Get("Location")); loc.Path != path {
		t.Fatalf("refused choice went to %s", loc)
	}
	if _, back := h.Get(path); !strings.Contains(back, "This bank cannot take this payment") {
		t.Fatal("the picker does not say the bank cannot take the payment")
	}
	if st, p := h.Status(id); st != "open" || p["bank"] != nil {
		t.Fatalf("after a refused choice: %s %v", st, p["bank"])
	}

	// A Norwegian shop's NOK payment to a Norwegian IBAN: the savings banks are offered, the
	// Swedish banks (no NOK) are not.
	code, p := h.API("POST", "/api/v1/payments", `{"amount":"349.00","currency":"NOK","reference":"Ordre 12","creditor":{"name":"Butikk AS","iban":"NO9386011117947"}}`)
	if code != 201 {
		t.Fatalf("%d %v", code, p)
	}
	u, _ := url.Parse(p["checkout_url"].(string))
	_, page = h.Get(u.Path)
	buttons, _ = bankButtons(page)
	if !has(buttons, "SPMONO22") || !has(buttons, "DNBANOKK") || has(buttons, "HANDSESS") {
		t.Fatalf("NOK to a Norwegian account offers %v", buttons)
	}
	// An EUR payment to a Finnish IBAN: Handelsbanken wants the creditor as clearing and account
	// number, which a Finnish account has not.
	code, p = h.API("POST", "/api/v1/payments", `{"amount":"12.00","currency":"EUR","reference":"Tilaus 5","creditor":{"name":"Kauppa Oy","iban":"FI2112345600000785"}}`)
	if code != 201 {
		t.Fatalf("%d %v", code, p)
	}
	u, _ = url.Parse(p["checkout_url"].(string))
	_, page = h.Get(u.Path)
	buttons, others = bankButtons(page)
	if has(buttons, "HANDSESS") || !has(buttons, "NDEAFIHH") || !strings.Contains(others, "Cannot pay this shop") {
		t.Fatalf("EUR to a Finnish account offers %v; apart:\n%s", buttons, others)
	}
}
