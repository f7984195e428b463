package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"paybybank/internal/e2etest"
)

var htmlLang = regexp.MustCompile(`<html lang="([a-z]+)"`)

func pageLang(t *testing.T, h *e2etest.Harness, path string, hdr ...string) string {
	t.Helper()
	resp, page := h.Get(path, hdr...)
	e2etest.ExpectCode(t, resp, 200)
	m := htmlLang.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no language on %s", path)
	}
	return m[1]
}

// The language is the shopper's choice for this payment, then the payment's locale, then the
// browser's: a choice made in another tab for another payment never carries over.
func TestLanguagePerPayment(t *testing.T) {
	h := e2etest.New(t)
	_, a := h.CreatePayment(`,"locale":"en"`)
	_, b := h.CreatePayment(`,"locale":"en"`)
	_, c := h.CreatePayment(`,"locale":"da"`)
	_, d := h.CreatePayment("")
	// Two tabs of one browser (one session): Swedish chosen for a, Finnish for b.
	if got := pageLang(t, h, a+"?lang=sv"); got != "sv" {
		t.Fatalf("a after choosing sv: %s", got)
	}
	if got := pageLang(t, h, b+"?lang=fi"); got != "fi" {
		t.Fatalf("b after choosing fi: %s", got)
	}
	for path, want := range map[string]string{a: "sv", b: "fi", c: "da", d: "fr"} {
		// Back from the bank (a plain GET, as the callback's redirect is): each keeps its own.
		if got := pageLang(t, h, path, "Accept-Language", "fr-FR,fr;q=0.9"); got != want {
			t.Errorf("%s shows %s, want %s", path, got, want)
		}
	}
	// The account question keeps the payment's language, and its switcher stays on that page.
	_, e := h.CreatePayment(`,"debtor":null`)
	resp := h.ChooseBank(e, "HANDSESS")
	e2etest.ExpectCode(t, resp, 303)
	acct, _ := url.Parse(resp.Header.Get("Location"))
	if got := pageLang(t, h, acct.Path+"?"+acct.RawQuery+"&lang=no"); got != "no" {
		t.Fatalf("account page after choosing no: %s", got)
	}
	_, page := h.Get(acct.Path + "?" + acct.RawQuery)
	if !strings.Contains(page, `action="`+acct.Path+`"`) || !strings.Contains(page, `name="bank" value="HANDSESS"`) {
		t.Fatal("the account page's language switcher leaves the page")
	}
	if got := pageLang(t, h, e); got != "no" {
		t.Fatalf("the picker of the same payment: %s", got)
	}
	if got := pageLang(t, h, a); got != "sv" {
		t.Fatalf("a after a choice for e: %s", got)
	}
}

// utcTime is a time shown in UTC.
var utcTime = regexp.MustCompile(`\d\d:\d\d UTC`)

// Times are the shopper's: their browser's zone (the tz cookie live.js sets), else the payment
// country's; the time left is counted by the server, with the harness's clock.
func TestTimesInTheShoppersZone(t *testing.T) {
	h := e2etest.New(t)
	h.Clock.Add(time.Until(time.Date(2030, 1, 15, 12, 0, 0, 0, time.UTC)) - time.Until(h.Clock.Now()))
	_, path := h.CreatePayment(`,"expires_in":900`) // expires 12:15 UTC
	_, page := h.Get(path)
	if !strings.Contains(page, "13:15 CET") || utcTime.MatchString(page) { // not any "UTC": a random token may hold it
		t.Fatalf("a Swedish payment without the browser's zone is not in Stockholm's time:\n%s", orderPart(page))
	}
	u, _ := url.Parse(h.Srv.URL)
	h.Client.Jar.SetCookies(u, []*http.Cookie{{Name: "tz", Value: url.QueryEscape("America/New_York")}})
	_, page = h.Get(path)
	if !strings.Contains(page, "07:15 EST") {
		t.Fatalf("the browser's zone is not used:\n%s", orderPart(page))
	}
	for _, bad := range []string{"Local", "../../etc/passwd", "Nowhere/Atlantis"} {
		h.Client.Jar.SetCookies(u, []*http.Cookie{{Name: "tz", Value: url.QueryEscape(bad)}})
		if _, page = h.Get(path); !strings.Contains(page, "13:15 CET") {
			t.Fatalf("zone %q is not refused for the country's:\n%s", bad, orderPart(page))
		}
	}
	// A Norwegian payment: Oslo's time; and the page reloads itself when the time is up.
	code, p := h.API("POST", "/api/v1/payments", `{"amount":"349.00","currency":"NOK","reference":"Ordre 12","expires_in":600,"creditor":{"name":"Butikk AS","iban":"NO9386011117947"}}`)
	if code != 201 {
		t.Fatalf("%d %v", code, p)
	}
	h.Client.Jar.SetCookies(u, []*http.Cookie{{Name: "tz", Value: "", MaxAge: -1}})
	nu, _ := url.Parse(p["checkout_url"].(string))
	h.Clock.Add(4 * time.Minute)
	_, page = h.Get(nu.Path)
	if !strings.Contains(page, "13:10 CET") || !strings.Contains(page, `<noscript><meta http-equiv="refresh" content="361"></noscript>`) {
		t.Fatalf("Norwegian payment:\n%s", page[:min(len(page), 3000)])
	}
}

func orderPart(page string) string {
	if i := strings.Index(page, `<dl class="order">`); i >= 0 {
		return page[i:min(len(page), i+600)]
	}
	return page
}
