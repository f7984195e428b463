package handlers_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"paybybank/internal/e2etest"
)

func TestPaymentLinks(t *testing.T) {
	h := e2etest.New(t)
	code, l := h.API("POST", "/api/v1/payment-links", `{"amount":"249.00","currency":"SEK","reference":"Invoice 77","return_url":"`+h.Srv.URL+`/demo/return"}`)
	if code != 201 {
		t.Fatalf("%d %v", code, l)
	}
	link, _ := url.Parse(l["url"].(string))
	resp, _ := h.Get(link.Path)
	e2etest.ExpectCode(t, resp, 303)
	first := resp.Header.Get("Location")
	_, page := h.Get(first)
	if !strings.Contains(page, "Invoice 77") || !strings.Contains(page, "249.00") {
		t.Fatalf("link checkout:\n%s", page)
	}
	// Once per link: another visitor lands on the same payment.
	other := *h
	jar, _ := cookiejar.New(nil)
	other.Client = &http.Client{Jar: jar, CheckRedirect: h.Client.CheckRedirect}
	resp, _ = other.Get(link.Path)
	if resp.Header.Get("Location") != first {
		t.Fatalf("second visit went to %s, want %s", resp.Header.Get("Location"), first)
	}
	// The QR code of the link reads back as the link.
	resp, png := h.Get(link.Path + "/qr.png")
	e2etest.ExpectCode(t, resp, 200)
	if got, err := e2etest.DecodeQRImage(strings.NewReader(png)); err != nil || got != l["url"] {
		t.Fatalf("QR reads %q, %v", got, err)
	}
	// A tampered link is refused with a clear page and creates nothing.
	_, list := h.API("GET", "/api/v1/payments", "")
	before := len(list["data"].([]any))
	terms, sig, _ := strings.Cut(strings.TrimPrefix(link.Path, "/pay/"), ".")
	for _, bad := range []string{terms + "." + sig[:len(sig)-2] + "xx", strings.Replace(terms, "M", "N", 1) + "." + sig, "garbage", terms} {
		resp, page := h.Get("/pay/" + bad)
		e2etest.ExpectCode(t, resp, 400)
		if !strings.Contains(page, "payment link is not valid") {
			t.Fatalf("tampered link page:\n%s", page)
		}
	}
	_, list = h.API("GET", "/api/v1/payments", "")
	if len(list["data"].([]any)) != before {
		t.Fatal("a tampered link created a payment")
	}
	// Bad terms are refused when the link is made.
	if code, p := h.API("POST", "/api/v1/payment-links", `{"amount":12.5,"currency":"SEK","reference":"x"}`); code != 422 || p["field"] != "amount" {
		t.Fatalf("float amount: %d %v", code, p)
	}
}

func TestPaymentLinkPerVisitAndExpiry(t *testing.T) {
	h := e2etest.New(t)
	_, l := h.API("POST", "/api/v1/payment-links", `{"amount":"50.00","currency":"SEK","reference":"Donation","per_visit":true,"expires_in":3600}`)
	link, _ := url.Parse(l["url"].(string))
	resp, _ := h.Get(link.Path)
	a := resp.Header.Get("Location")
	resp, _ = h.Get(link.Path) // the same visitor again: the same payment
	if resp.Header.Get("Location") != a {
		t.Fatal("a reload made a second payment")
	}
	other := *h
	jar, _ := cookiejar.New(nil)
	other.Client = &http.Client{Jar: jar, CheckRedirect: h.Client.CheckRedirect}
	resp, _ = other.Get(link.Path)
	if b := resp.Header.Get("Location"); b == a || !strings.HasPrefix(b, "/checkout/") {
		t.Fatalf("per-visit link gave %s to a second visitor", b)
	}
	h.Clock.Add(2 * time.Hour)
	resp, _ = h.Get(link.Path)
	e2etest.ExpectCode(t, resp, 400)
}

func TestPaymentLinkAfterExpiredPayment(t *testing.T) {
	h := e2etest.New(t)
	_, l := h.API("POST", "/api/v1/payment-links", `{"amount":"10.00","currency":"SEK","reference":"Invoice 9"}`)
	link, _ := url.Parse(l["url"].(string))
	resp, _ := h.Get(link.Path)
	first := resp.Header.Get("Location")
	h.Clock.Add(20 * time.Minute) // the link's payment expires unpaid
	resp, _ = h.Get(link.Path)
	if second := resp.Header.Get("Location"); second == first || resp.StatusCode != 303 {
		t.Fatalf("after the payment expired the link still gives %s", second)
	}
}
