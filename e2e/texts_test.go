package e2e

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"paybybank/i18n"
	"paybybank/internal/e2etest"
	"paybybank/payment"
)

// otherLanguages are the checkout's languages besides English.
var otherLanguages = []string{"sv", "no", "fi", "da", "fr", "lt", "pt"}

// notEnglish are words of the English catalogue that are not English text on a page: names, and
// words these languages write the same way. Per language, so that a Danish "Reference" does not
// excuse a Swedish one.
var notEnglish = map[string][]string{
	"": {"bankid", "iban", "paybybank", "sandbox", "open", "payments", "powens", "paysera", "sibs", "english", "webview", "bic", "swedbank",
		"utc", "clearing"},
	"sv": {"bank", "status", "support", "for", "finland", "portugal", "session", "app", "under"},
	"no": {"bank", "status", "support", "for", "start", "finland", "portugal", "last", "app"},
	"da": {"bank", "status", "support", "for", "start", "finland", "portugal", "reference", "scan", "session", "app", "upload", "computer"},
	"fr": {"code", "date", "support", "session", "minutes", "validation", "test", "france", "portugal", "page", "payer"},
	"fi": {},
	"lt": {"per"}, // Lithuanian "via"
	"pt": {"data", "real", "continue", "portugal"},
}

// englishWords are the words of the English catalogue's texts, three letters and longer
// (shorter ones, "to", "at", "for", are words of the other languages too).
func englishWords() map[string]bool {
	words := map[string]bool{}
	for _, text := range i18n.Catalogue("en") {
		for _, w := range wordsOf(regexp.MustCompile(`%[a-z]|\{[a-z]+\}`).ReplaceAllString(text, " ")) {
			if len([]rune(w)) >= 3 {
				words[w] = true
			}
		}
	}
	return words
}

func wordsOf(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' })
}

var (
	hiddenRe = regexp.MustCompile(`(?is)<(script|style)[^>]*>.*?</(script|style)>|<select id="lang".*?</select>`)
	attrRe   = regexp.MustCompile(`(?i)\s(?:alt|aria-label|placeholder|title)="([^"]*)"`)
	tagRe    = regexp.MustCompile(`(?s)<[^>]*>`)
	// paymentIDRe is a payment's id, which holds "pay".
	paymentIDRe = regexp.MustCompile(`pay_[0-9a-f-]{36}`)
)

// visibleText is what a page shows or reads out: its text, title, and the labels of its images
// and controls.
func visibleText(page string) string {
	page = hiddenRe.ReplaceAllString(page, " ")
	var b strings.Builder
	for _, m := range attrRe.FindAllStringSubmatch(page, -1) {
		b.WriteString(m[1] + " ")
	}
	b.WriteString(tagRe.ReplaceAllString(page, " "))
	return html.UnescapeString(b.String())
}

// shownPage is a page to look at in every language.
type shownPage struct {
	name string
	get  func(lang string) string // the page's HTML in lang
}

// TestNoEnglishInOtherLanguages draws every page a shopper can meet, the sandbox's bank pages and
// BankID app included, in each language besides English, and looks for words of the English
// catalogue in what the page shows. Names (the merchant's, the banks') are taken out first.
func TestNoEnglishInOtherLanguages(t *testing.T) {
	h := e2etest.New(t)
	accept := func(lang string) []string { return []string{"Accept-Language", lang} }
	getIn := func(path string, status int) func(string) string {
		return func(lang string) string {
			resp, page := h.Get(path, accept(lang)...)
			if resp.StatusCode != status {
				t.Fatalf("%s in %s: %d, want %d", path, lang, resp.StatusCode, status)
			}
			return page
		}
	}
	create := func(extra string) (string, string) {
		t.Helper()
		return h.CreatePayment(`,"reference":"Nr 1001"` + extra)
	}
	var pages []shownPage
	add := func(name string, get func(string) string) { pages = append(pages, shownPage{name, get}) }

	// The checkout's pages.
	_, picker := create(`,"debtor":null`)
	add("picker", getIn(picker, 200))
	_, account := create(`,"debtor":null`)
	e2etest.ExpectCode(t, h.ChooseBank(account, "HANDSESS"), 303)
	add("account", getIn(account+"/account?bank=HANDSESS", 200))
	add("account with a field error", func(lang string) string {
		_, page := h.Get(account+"/account?bank=HANDSESS", accept(lang)...)
		resp, page := h.PostRedirect(account+"/account", url.Values{"csrf": {h.CSRF(page)}, "bank": {"HANDSESS"}, "country": {"SE"},
			"clearing_number": {"6789"}, "account_number": {"1234567"}}, accept(lang)...)
		e2etest.ExpectCode(t, resp, 200)
		return page
	})
	_, bankID := create("")
	e2etest.ExpectCode(t, h.ChooseBank(bankID, "HANDSESS"), 303)
	add("BankID", getIn(bankID, 200))
	_, atBank := create("")
	resp := h.ChooseBank(atBank, "NDEASESS")
	e2etest.ExpectCode(t, resp, 303)
	add("sandbox bank: payment", getIn(resp.Header.Get("Location"), 200))
	add("waiting for the bank", getIn(atBank, 200))
	code, p := h.API("POST", "/api/v1/payments", `{"amount":"120.50","currency":"EUR","reference":"Nr 9"}`)
	if code != 201 {
		t.Fatal(code, p)
	}
	otp, _ := url.Parse(p["checkout_url"].(string))
	e2etest.ExpectCode(t, h.ChooseBank(otp.Path, "BOTPPTPL"), 303)
	add("one-time code", getIn(otp.Path, 200))

	// The results, one of each.
	_, completed := create(`,"auto_return":true`)
	e2etest.ExpectCode(t, h.ChooseBank(completed, "HANDSESS"), 303)
	_, app := h.Scan(h.CurrentQR(completed))
	h.Sign(app, "approve")
	result := func(path, status string) func(string) string {
		return func(lang string) string {
			page := getIn(path, 200)(lang)
			if !strings.Contains(page, `class="card result `+status+`"`) {
				t.Fatalf("the %s result in %s:\n%s", status, lang, page)
			}
			return page
		}
	}
	add("result: completed", result(completed, "completed"))
	_, processing := create("")
	resp = h.ChooseBank(processing, "NDEASESS")
	h.Get(h.ApproveAtBank(resp.Header.Get("Location"), "approve").Header.Get("Location"))
	add("result: processing", result(processing, "processing")) // until Nordea settles, which the clock below lets it
	_, failed := create("")
	resp = h.ChooseBank(failed, "NDEASESS")
	h.Get(h.ApproveAtBank(resp.Header.Get("Location"), "reject").Header.Get("Location"))
	add("result: failed", getIn(failed, 200))
	_, cancelled := create("")
	_, page := h.Get(cancelled)
	e2etest.ExpectCode(t, mustPost(h, cancelled+"/cancel", url.Values{"csrf": {h.CSRF(page)}}), 303)
	add("result: cancelled", result(cancelled, "cancelled"))
	_, expired := create(`,"expires_in":60`)
	var once sync.Once
	add("result: expired", func(lang string) string {
		once.Do(func() { h.Clock.Add(61 * time.Second) })
		return result(expired, "expired")(lang)
	})

	// The error pages.
	add("error: not found", getIn("/checkout/"+strings.Repeat("x", 32), 404))
	add("error: bad state", getIn("/callback?state=nonsense", 400))
	add("error: session expired", func(lang string) string {
		// Said on the payment's page, reached by a GET (post/redirect/get).
		_, page := h.PostRedirect(picker+"/bank", url.Values{"csrf": {"wrong"}, "bank": {"HANDSESS"}}, accept(lang)...)
		return page
	})

	// The sandbox: the account-information consent at the bank, the BankID app, the other fakes.
	_, consent := create(`,"debtor":null`)
	resp = h.ChooseBank(consent, "NDEASESS")
	_, page = h.Get(resp.Header.Get("Location"))
	resp = mustPost(h, consent+"/account/fetch", url.Values{"csrf": {h.CSRF(page)}, "bank": {"NDEASESS"}})
	e2etest.ExpectCode(t, resp, 303)
	add("sandbox bank: consent", getIn(resp.Header.Get("Location"), 200))
	add("sandbox BankID app: scan", getIn("/sandbox/bankid", 200))
	add("sandbox BankID app: order and signed", func(lang string) string {
		_, path := create("")
		e2etest.ExpectCode(t, h.ChooseBank(path, "HANDSESS"), 303)
		resp, order := h.Do("POST", "/sandbox/bankid/scan", strings.NewReader(url.Values{"payload": {h.CurrentQR(path)}}.Encode()),
			map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Accept-Language": lang})
		e2etest.ExpectCode(t, resp, 200)
		ref := e2etest.RefRe.FindStringSubmatch(order)[1]
		resp, done := h.Post("/sandbox/bankid/sign", url.Values{"ref": {ref}, "decision": {"approve"}}, accept(lang)...)
		e2etest.ExpectCode(t, resp, 200)
		return order + done
	})
	for _, fake := range sandboxFakePages(t, h) {
		add(fake.name, getIn(fake.url, 200))
	}

	names := namesShown(h, picker)
	english := englishWords()
	for _, pg := range pages {
		for _, lang := range otherLanguages {
			page := pg.get(lang)
			if !strings.Contains(page, `lang="`+lang+`"`) && !strings.Contains(page, `lang="nb"`) {
				t.Errorf("%s in %s: the page does not say it is in %s", pg.name, lang, lang)
			}
			text := visibleText(page)
			for _, n := range names {
				text = strings.ReplaceAll(text, n, " ")
			}
			text = paymentIDRe.ReplaceAllString(text, " ") // the receipt's payment id
			var found []string
			for _, w := range wordsOf(text) {
				if english[w] && !slices.Contains(notEnglish[""], w) && !slices.Contains(notEnglish[lang], w) && !slices.Contains(found, w) {
					found = append(found, w)
				}
			}
			if len(found) > 0 {
				sort.Strings(found)
				t.Errorf("%s in %s shows English: %s\n%s", pg.name, lang, strings.Join(found, ", "), strings.Join(strings.Fields(text), " "))
			}
		}
	}
}

func mustPost(h *e2etest.Harness, path string, form url.Values) *http.Response {
	h.T.Helper()
	resp, _ := h.Post(path, form)
	return resp
}

// namesShown are the names a page may show as they are: the merchant's, and every bank's.
func namesShown(h *e2etest.Harness, picker string) []string {
	_, page := h.Get(picker)
	names := []string{"Test Shop AB", "Test Shop", "Butikk AS", "Open Payments"}
	for _, m := range regexp.MustCompile(`class="name">([^<]+)<`).FindAllStringSubmatch(page, -1) {
		names = append(names, html.UnescapeString(m[1]))
	}
	// Longest first, so that "Danske Bank" goes before a name it holds.
	sort.Slice(names, func(i, j int) bool { return len(names[i]) > len(names[j]) })
	return names
}

// sandboxFakePages are the other fake banks' pages a shopper is sent to, each at its start.
func sandboxFakePages(t *testing.T, h *e2etest.Harness) []struct{ name, url string } {
	var out []struct{ name, url string }
	eur := func(bank string) string {
		code, p := h.API("POST", "/api/v1/payments", `{"amount":"1249.50","currency":"EUR","reference":"Nr 5"}`)
		if code != 201 {
			t.Fatal(code, p)
		}
		u, _ := url.Parse(p["checkout_url"].(string))
		resp := h.ChooseBank(u.Path, bank)
		e2etest.ExpectCode(t, resp, 303)
		return resp.Header.Get("Location")
	}
	out = append(out, struct{ name, url string }{"sandbox bank: SIBS", eur("BTSTPTPL")})
	out = append(out, struct{ name, url string }{"sandbox bank: Paysera", eur("EVIULT2V")})
	if err := h.DB.SetIdentity(t.Context(), h.Merchant.ID, &payment.Identity{Scheme: "siren", ID: "552100554", LegalStatus: "SAS"}); err != nil {
		t.Fatal(err)
	}
	_, picker := h.Get(func() string {
		code, p := h.API("POST", "/api/v1/payments", `{"amount":"1249.50","currency":"EUR","reference":"Nr 6"}`)
		if code != 201 {
			t.Fatal(code, p)
		}
		u, _ := url.Parse(p["checkout_url"].(string))
		return u.Path
	}())
	if m := regexp.MustCompile(`value="([A-Z0-9]{8,11}/[^"]+)"`).FindStringSubmatch(picker); m != nil {
		out = append(out, struct{ name, url string }{"sandbox bank: Powens", eur(e2etest.HTMLUnescape(m[1]))})
	} else {
		t.Fatal("no Powens bank in the picker")
	}
	code, p := h.API("POST", "/api/v1/payments", `{"amount":"349.00","currency":"NOK","reference":"Nr 12","creditor":{"name":"Butikk AS","iban":"NO9386011117947"}}`)
	if code != 201 {
		t.Fatal(code, p)
	}
	u, _ := url.Parse(p["checkout_url"].(string))
	resp := h.ChooseBank(u.Path, "SPMONO22")
	e2etest.ExpectCode(t, resp, 303)
	out = append(out, struct{ name, url string }{"sandbox bank: Sparebanken Møre", strings.ReplaceAll(resp.Header.Get("Location"), " ", "%20")})
	for i := range out {
		if u, err := url.Parse(out[i].url); err == nil {
			out[i].url = u.RequestURI()
		}
	}
	return out
}
