package e2e

import (
	"net/url"
	"strings"
	"testing"

	"paybybank/banks/sibs/sibstest"
	"paybybank/internal/e2etest"
)

func eurPayment(h *e2etest.Harness, extra string) (string, string) {
	h.T.Helper()
	code, p := h.API("POST", "/api/v1/payments", `{"amount":"120.50","currency":"EUR","reference":"Encomenda 9"`+extra+`}`)
	if code != 201 {
		h.T.Fatalf("%d %v", code, p)
	}
	u, _ := url.Parse(p["checkout_url"].(string))
	return p["id"].(string), u.Path
}

// eachSIBSForm runs a journey against the sandbox's SIBS fake answering in each form its
// documents allow.
func eachSIBSForm(t *testing.T, journey func(t *testing.T, h *e2etest.Harness, forms sibstest.Forms)) {
	for _, form := range sibstest.AllForms() {
		t.Run(form.Name, func(t *testing.T) {
			h := e2etest.New(t)
			h.App.Sandbox.Bank("sibs").(*sibstest.Fake).Forms = form.Forms
			journey(t, h, form.Forms)
		})
	}
}

// sibsApproved is where a payment stands once the shopper approved it: completed when the bank
// says settled (ACSC), still processing when it says only accepted (ACTC, ACSP).
func sibsApproved(f sibstest.Forms) string {
	if f.AcceptedStatus != "" && f.AcceptedStatus != "ACSC" {
		return "processing"
	}
	return "completed"
}

func TestSIBSRedirect(t *testing.T) {
	eachSIBSForm(t, func(t *testing.T, h *e2etest.Harness, forms sibstest.Forms) {
		id, path := eurPayment(h, "")
		_, page := h.Get(path)
		if !strings.Contains(page, "Banco Teste") || !strings.Contains(page, "Portugal") {
			t.Fatalf("picker:\n%s", page)
		}
		resp := h.ChooseBank(path, "BTSTPTPL")
		e2etest.ExpectCode(t, resp, 303)
		sca, _ := url.Parse(resp.Header.Get("Location"))
		if sca.Path != "/sandbox/sibs/sca" {
			t.Fatalf("went to %s", sca)
		}
		resp, _ = h.Post(sca.Path+"?"+sca.RawQuery, url.Values{"payment": {sca.Query().Get("payment")}, "decision": {"approve"}})
		e2etest.ExpectCode(t, resp, 303)
		resp, _ = h.Get(resp.Header.Get("Location"))
		e2etest.ExpectCode(t, resp, 303)
		if st, p := h.Status(id); st != sibsApproved(forms) || p["bank"].(map[string]any)["provider"] != "sibs" {
			t.Fatalf("payment %v", p)
		}
	})
}

func TestSIBSEmbeddedOTP(t *testing.T) {
	eachSIBSForm(t, func(t *testing.T, h *e2etest.Harness, forms sibstest.Forms) {
		id, path := eurPayment(h, "")
		resp := h.ChooseBank(path, "BOTPPTPL")
		e2etest.ExpectCode(t, resp, 303)
		_, page := h.Get(path)
		if !strings.Contains(page, "Enter the code from your bank") || !strings.Contains(page, "SMS") {
			t.Fatalf("OTP page:\n%s", page)
		}
		// The seed: additionalInformation "The TPP is obliged to show this to the PSU".
		if !forms.NoChallengeData && !strings.Contains(page, sibstest.AdditionalInformation) {
			t.Fatalf("the bank's additionalInformation is not on the OTP page:\n%s", page)
		}
		resp, page = h.PostRedirect(path+"/otp", url.Values{"csrf": {h.CSRF(page)}, "otp": {"000000"}})
		e2etest.ExpectCode(t, resp, 200)
		if !strings.Contains(page, "That code is not correct") {
			t.Fatalf("wrong code page:\n%s", page)
		}
		resp, _ = h.Post(path+"/otp", url.Values{"csrf": {h.CSRF(page)}, "otp": {sibstest.OTP}})
		e2etest.ExpectCode(t, resp, 303)
		if st, _ := h.Status(id); st != sibsApproved(forms) {
			t.Fatalf("status %s", st)
		}
		// Three wrong codes and the bank rejects the payment.
		id, path = eurPayment(h, "")
		h.ChooseBank(path, "BOTPPTPL")
		_, page = h.Get(path)
		for i := 0; i < 3; i++ {
			_, page = h.PostRedirect(path+"/otp", url.Values{"csrf": {h.CSRF(page)}, "otp": {"111111"}})
		}
		if st, p := h.Status(id); st != "open" {
			t.Fatalf("after three wrong codes: %s", st)
		} else if o, r := h.LastAttempt(p); o != "failed" || r != "rejected_by_bank" {
			t.Fatalf("after three wrong codes: attempt %s (%s)", o, r)
		}
	})
}

// TestSIBSCancel cancels a payment waiting for SCA at either bank: the bank takes the
// cancellation only with the creation's TPP-Redirect-URI.
func TestSIBSCancel(t *testing.T) {
	eachSIBSForm(t, func(t *testing.T, h *e2etest.Harness, forms sibstest.Forms) {
		for _, bic := range []string{"BTSTPTPL", "BOTPPTPL"} {
			id, path := eurPayment(h, "")
			e2etest.ExpectCode(t, h.ChooseBank(path, bic), 303)
			if code, p := h.API("POST", "/api/v1/payments/"+id+"/cancel", ""); code != 200 || p["status"] != "cancelled" {
				t.Fatalf("cancel at %s: %d %v", bic, code, p)
			}
		}
	})
}

func TestSIBSTSUPayment(t *testing.T) {
	eachSIBSForm(t, func(t *testing.T, h *e2etest.Harness, forms sibstest.Forms) {
		debtor := `,"debtor":{"iban":"PT50000201231234567890154"}`
		for name, tc := range map[string]struct{ body, field string }{
			"bad code":   {`,"tsu":{"social_security_account_code":"SSXX","taxpayer_identification_number":"501234567","reference_period":"202611"}` + debtor, "tsu.social_security_account_code"},
			"bad period": {`,"tsu":{"social_security_account_code":"SSMN","taxpayer_identification_number":"501234567","reference_period":"202613"}` + debtor, "tsu.reference_period"},
			"bad NIF":    {`,"tsu":{"social_security_account_code":"SSMN","taxpayer_identification_number":"50123456789012","reference_period":"202611"}` + debtor, "tsu.taxpayer_identification_number"},
			"no payer":   {`,"tsu":{"social_security_account_code":"SSMN","taxpayer_identification_number":"501234567","reference_period":"202611"}`, "debtor"},
		} {
			code, p := h.API("POST", "/api/v1/payments", `{"amount":"120.50","currency":"EUR","reference":"TSU"`+tc.body+`}`)
			if code != 422 || p["field"] != tc.field {
				t.Errorf("%s: %d %v", name, code, p)
			}
		}
		id, path := eurPayment(h, `,"tsu":{"social_security_account_code":"SSMD","taxpayer_identification_number":"501234567","reference_period":"202611"}`+debtor)
		_, page := h.Get(path)
		if strings.Contains(page, `value="NDEAFIHH"`) || !strings.Contains(page, `<span class="name">Nordea Finland</span> <span class="note">Does not take social-security payments</span>`) {
			t.Fatalf("non-SIBS banks offered for a TSU payment:\n%s", page)
		}
		resp := h.ChooseBank(path, "BTSTPTPL")
		sca, _ := url.Parse(resp.Header.Get("Location"))
		_, bankPage := h.Get(sca.Path + "?" + sca.RawQuery)
		if !strings.Contains(bankPage, "Segurança Social SSMD 202611") {
			t.Fatalf("the bank did not get a TSU payment:\n%s", bankPage)
		}
		resp, _ = h.Post(sca.Path+"?"+sca.RawQuery, url.Values{"payment": {sca.Query().Get("payment")}, "decision": {"approve"}})
		h.Get(resp.Header.Get("Location"))
		if st, _ := h.Status(id); st != sibsApproved(forms) {
			t.Fatalf("TSU payment %s", st)
		}
	})
}
