package e2e

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"paybybank/internal/e2etest"
)

// TestEveryCheckoutPostRedirects (post/redirect/get): every form post of the shopper's pages
// answers 303 to a GET, when it works and when it fails (a bad bank, a bad account, a wrong code,
// a forged form, nothing to try again), so that Back and Reload never send a form again. The
// route table's checkout POSTs are all covered.
func TestEveryCheckoutPostRedirects(t *testing.T) {
	h := e2etest.New(t)
	covered := map[string]bool{}
	post := func(path string, form url.Values, name string) *http.Response {
		t.Helper()
		resp, _ := h.Post(path, form)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s (%s): %d, want 303", name, path, resp.StatusCode)
		}
		covered[name] = true
		return resp
	}
	_, path := h.CreatePayment(`,"debtor":null`)
	_, page := h.Get(path)
	csrf := h.CSRF(page)
	form := func(kv ...string) url.Values {
		v := url.Values{"csrf": {csrf}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	post(path+"/bank", form("bank", "nope"), "bank")                                 // not a bank
	post(path+"/bank", url.Values{"csrf": {"forged"}, "bank": {"HANDSESS"}}, "bank") // a forged form
	post(path+"/retry", form(), "retry")                                             // nothing to try again
	post(path+"/bank", form("bank", "HANDSESS"), "bank")                             // to the account question
	post(path+"/account", form("bank", "HANDSESS", "country", "SE", "clearing_number", "6789", "account_number", "1"), "account")
	post(path+"/account/pick", form("bank", "HANDSESS", "account", "7"), "account/pick")
	post(path+"/account/use", form("bank", "HANDSESS"), "account/use")
	post(path+"/account", form("bank", "HANDSESS", "country", "SE", "clearing_number", "6789", "account_number", "123456789", "remember", "1"), "account")
	post(path+"/bankid/launch", form(), "bankid/launch") // a QR order: one for BankID on this computer
	post(path+"/bankid/qr", form(), "bankid/qr")         // and back to the QR code
	post(path+"/change-bank", form(), "change-bank")     // the BankID order given up: the bank choice again
	post(path+"/retry", form(), "retry")                 // Handelsbanken again
	post(path+"/account/forget", form("bank", "HANDSESS"), "account/forget")
	post(path+"/otp", form("otp", "123456"), "otp") // no code expected here
	post(path+"/cancel", form(), "cancel")
	post(path+"/cancel", form(), "cancel") // cancelled already

	// A consent at a bank that reads accounts, and a one-time code at a SIBS bank.
	_, path = h.CreatePayment(`,"debtor":null`)
	post(path+"/account/fetch", form("bank", "HANDSESS"), "account/fetch")
	code, p := h.API("POST", "/api/v1/payments", `{"amount":"5.00","currency":"EUR","reference":"x","debtor":{"iban":"PT50000201231234567890154"}}`)
	if code != 201 {
		t.Fatalf("%d %v", code, p)
	}
	u, _ := url.Parse(p["checkout_url"].(string))
	post(u.Path+"/bank", form("bank", "BOTPPTPL"), "bank")
	post(u.Path+"/otp", form("otp", "000000"), "otp")

	src, err := os.ReadFile("../handlers/routes.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(src), "\n") {
		_, rest, ok := strings.Cut(line, `handle("POST /checkout/{token}/`)
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(rest, `"`)
		if !covered[name] {
			t.Errorf("POST /checkout/{token}/%s is not tested here", name)
		}
	}
}
