package e2e

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"paybybank/internal/e2etest"
)

// The sandbox bank's page for "Fetch my accounts" asks for what the consent is: access to the
// list of accounts, by whom, until when; never "Approve this payment?" with no amount.
func TestSandboxConsentPage(t *testing.T) {
	h := e2etest.New(t)
	_, path := h.CreatePayment(`,"debtor":null`)
	resp := h.ChooseBank(path, "NDEASESS")
	_, page := h.Get(resp.Header.Get("Location"))
	resp, _ = h.Post(path+"/account/fetch", url.Values{"csrf": {h.CSRF(page)}, "bank": {"NDEASESS"}})
	e2etest.ExpectCode(t, resp, 303)
	bank := resp.Header.Get("Location")
	for lang, want := range map[string][]string{
		"en": {"Share the list of your accounts?", "paybybank asks to see the list of your accounts at Nordea", "no balances or transactions",
			"<dt>Shared with</dt><dd>paybybank</dd>", "<dt>Valid until</dt><dd>2", "Share the list</button>", "Do not share</button>"},
		"sv": {"Dela listan över dina konton?", "paybybank ber att få se listan över dina konton hos Nordea", "<dt>Giltigt till</dt><dd>2"},
		"fi": {"Jaetaanko tiliesi luettelo?", "<dt>Voimassaolo päättyy</dt><dd>"},
	} {
		resp, page := h.Get(bank, "Accept-Language", lang)
		e2etest.ExpectCode(t, resp, 200)
		for _, w := range want {
			if !strings.Contains(page, w) {
				t.Errorf("%s: consent page lacks %q:\n%s", lang, w, page)
			}
		}
		if strings.Contains(page, "Approve this payment") || strings.Contains(page, "<dd> </dd>") || strings.Contains(page, "<dd></dd>") {
			t.Errorf("%s: consent page asks for a payment:\n%s", lang, page)
		}
		if m := regexp.MustCompile(`<dd>(\d[^<]*)</dd></dl>`).FindStringSubmatch(page); m == nil {
			t.Errorf("%s: no date the consent is valid until:\n%s", lang, page)
		}
	}
}

// The simulated BankID app writes the amount as the checkout does, per language.
func TestSandboxBankIDAppAmount(t *testing.T) {
	h := e2etest.New(t)
	for lang, want := range map[string]string{"en": "1,249.50\u00a0SEK", "sv": "1\u00a0249,50\u00a0SEK", "da": "1.249,50\u00a0SEK", "fr": "1\u00a0249,50\u00a0SEK"} {
		_, path := h.CreatePayment(`,"amount":"1249.50"`)
		e2etest.ExpectCode(t, h.ChooseBank(path, "HANDSESS"), 303)
		resp, page := h.Do("POST", "/sandbox/bankid/scan", strings.NewReader(url.Values{"payload": {h.CurrentQR(path)}}.Encode()),
			map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Accept-Language": lang})
		e2etest.ExpectCode(t, resp, 200)
		if !strings.Contains(page, `<dd class="amount">`+want+`</dd>`) || strings.Contains(page, "1249.50") {
			t.Errorf("%s: amount not %q:\n%s", lang, want, page)
		}
	}
}

// The language chosen in the checkout reaches the sandbox's pages, whatever the browser says.
func TestSandboxSpeaksTheCheckoutsLanguage(t *testing.T) {
	h := e2etest.New(t)
	_, path := h.CreatePayment("")
	h.Get(path + "?lang=pt")
	resp := h.ChooseBank(path, "NDEASESS")
	_, page := h.Get(resp.Header.Get("Location"), "Accept-Language", "en")
	if !strings.Contains(page, "Autorizar este pagamento?") || !strings.Contains(page, `lang="pt"`) {
		t.Fatalf("the bank page is not in the checkout's language:\n%s", page)
	}
}
