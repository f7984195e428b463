package handlers_test

import (
	"encoding/base64"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"paybybank/internal/e2etest"
)

func TestCreatePaymentRejectsBadInput(t *testing.T) {
	h := e2etest.New(t)
	valid := `"currency":"SEK","reference":"Order 1"`
	tests := []struct {
		name, body string
		code       int
		field      string
		detail     string // a part of the problem's detail, when it must say what
	}{
		{"float amount", `{"amount":249.00,` + valid + `}`, 422, "amount", ""},
		{"too many decimals", `{"amount":"12.345",` + valid + `}`, 422, "amount", ""},
		{"negative", `{"amount":"-1.00",` + valid + `}`, 422, "amount", ""},
		{"unknown currency", `{"amount":"1.00","currency":"XYZ","reference":"x"}`, 422, "currency", ""},
		{"ISK decimals", `{"amount":"1.50","currency":"ISK","reference":"x"}`, 422, "amount", ""},
		{"bad IBAN", `{"amount":"1.00",` + valid + `,"creditor":{"name":"A","iban":"SE7160000000000123456780"}}`, 422, "creditor.iban", ""},
		{"return URL elsewhere", `{"amount":"1.00",` + valid + `,"return_url":"https://evil.example/"}`, 422, "return_url", ""},
		{"no reference", `{"amount":"1.00","currency":"SEK"}`, 422, "reference", ""},
		{"control char in reference", `{"amount":"1.00","currency":"SEK","reference":"a\u0000b"}`, 422, "reference", ""},
		{"bad BIC", `{"amount":"1.00",` + valid + `,"bank":"nope"}`, 422, "bank", ""},
		{"unknown bank", `{"amount":"1.00",` + valid + `,"bank":"ABCDSESS"}`, 422, "bank", ""},
		{"unknown field", `{"amount":"1.00",` + valid + `,"amont":"2"}`, 422, "amont", ""},
		{"expires_in too short", `{"amount":"1.00",` + valid + `,"expires_in":5}`, 422, "expires_in", ""},
		{"duplicate amount", `{"amount":"1.00",` + valid + `,"amount":"1000.00"}`, 422, "amount", "more than once"},
		{"duplicate nested key", `{"amount":"1.00",` + valid + `,"creditor":{"name":"A","iban":"SE7160000000000123456789","iban":"SE7160000000000123456789"}}`, 422, "creditor.iban", "more than once"},
		{"duplicate key in metadata", `{"amount":"1.00",` + valid + `,"metadata":{"a":"1","a":"2"}}`, 422, "metadata.a", "more than once"},
		{"invalid UTF-8 in a string", "{\"amount\":\"1.00\",\"currency\":\"SEK\",\"reference\":\"Order \xff\xfe\"}", 422, "", "UTF-8"},
		{"reference of spaces", `{"amount":"1.00","currency":"SEK","reference":"   "}`, 422, "reference", "blank"},
		{"malformed JSON", `{"amount":`, 400, "", ""},
		{"oversized body", `{"amount":"1.00",` + valid + `,"metadata":{"a":"` + strings.Repeat("x", 70<<10) + `"}}`, 413, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, p := h.API("POST", "/api/v1/payments", tt.body)
			if code != tt.code || (tt.field != "" && p["field"] != tt.field) || p["type"] == nil || p["code"] == nil {
				t.Fatalf("%d %v", code, p)
			}
			if detail, _ := p["detail"].(string); code == 422 && (p["code"] != "validation_error" || !strings.Contains(detail, tt.detail)) {
				t.Fatalf("%d %v", code, p)
			}
		})
	}
	t.Run("wrong key", func(t *testing.T) {
		resp, body := h.Do("POST", "/api/v1/payments", strings.NewReader(`{"amount":"1.00",`+valid+`}`), map[string]string{"Authorization": "Bearer pbb_nope"})
		if resp.StatusCode != 401 || resp.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(body, "unauthorized") {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("missing key", func(t *testing.T) {
		resp, _ := h.Do("POST", "/api/v1/payments", strings.NewReader(`{}`), nil)
		e2etest.ExpectCode(t, resp, 401)
	})
	// Nothing was stored by any of them.
	code, list := h.API("GET", "/api/v1/payments", "")
	if code != 200 || len(list["data"].([]any)) != 0 {
		t.Fatalf("bad input stored payments: %v", list)
	}
}

func TestIdempotencyAndListing(t *testing.T) {
	h := e2etest.New(t)
	body := `{"amount":"249.00","currency":"SEK","reference":"Order 1001"}`
	c1, p1 := h.API("POST", "/api/v1/payments", body, "Idempotency-Key", "k1")
	c2, p2 := h.API("POST", "/api/v1/payments", body, "Idempotency-Key", "k1")
	c3, p3 := h.API("POST", "/api/v1/payments", `{"amount":"249.01","currency":"SEK","reference":"Order 1001"}`, "Idempotency-Key", "k1")
	if c1 != 201 || c2 != 201 || p1["id"] != p2["id"] || p1["expires_at"] != p2["expires_at"] || c3 != 409 || p3["code"] != "idempotency_key_reused" {
		t.Fatalf("%d %d %d: %v %v %v", c1, c2, c3, p1, p2, p3)
	}
	for i := 0; i < 3; i++ {
		h.API("POST", "/api/v1/payments", body)
	}
	code, page := h.API("GET", "/api/v1/payments?limit=3", "")
	if code != 200 || len(page["data"].([]any)) != 3 || page["next_cursor"] == nil {
		t.Fatalf("%d %v", code, page)
	}
	_, page2 := h.API("GET", "/api/v1/payments?limit=3&cursor="+page["next_cursor"].(string), "")
	if len(page2["data"].([]any)) != 1 || page2["data"].([]any)[0].(map[string]any)["id"] != p1["id"] {
		t.Fatalf("page 2 %v", page2)
	}
	if code, _ := h.API("GET", "/api/v1/payments?status=nope", ""); code != 422 {
		t.Fatal("bad status filter accepted")
	}
	if code, p := h.API("GET", "/api/v1/payments?created_after=yesterday", ""); code != 422 || p["field"] != "created_after" {
		t.Fatal("bad time filter accepted")
	}
	later := h.Clock.Now().Add(time.Hour).Format(time.RFC3339)
	if _, l := h.API("GET", "/api/v1/payments?created_after="+later, ""); len(l["data"].([]any)) != 0 {
		t.Fatal("created_after in the future listed payments")
	}
	if _, l := h.API("GET", "/api/v1/payments?created_before="+later+"&status=open", ""); len(l["data"].([]any)) != 4 {
		t.Fatalf("created_before: %v", l["data"])
	}
	if code, _ := h.API("GET", "/api/v1/payments/pay_unknown", ""); code != 404 {
		t.Fatal("unknown payment")
	}
	// Another merchant cannot see it.
	other, _ := h.DB.CreateAPIKey(t.Context(), h.OtherMerchant())
	resp, _ := h.Do("GET", "/api/v1/payments/"+p1["id"].(string), nil, map[string]string{"Authorization": "Bearer " + other})
	e2etest.ExpectCode(t, resp, 404)
	// Merchant cancel of an open payment.
	code, c := h.API("POST", "/api/v1/payments/"+p1["id"].(string)+"/cancel", "")
	if code != 200 || c["status"] != "cancelled" {
		t.Fatalf("cancel %d %v", code, c)
	}
}

func TestCheckoutEscapesMerchantText(t *testing.T) {
	h := e2etest.New(t)
	evil := `<script>alert(1)</script>"><img src=x onerror=alert(2)>`
	code, p := h.API("POST", "/api/v1/payments", `{"amount":"249.00","currency":"SEK","reference":"`+strings.ReplaceAll(evil, `"`, `\"`)+`",
		"creditor":{"name":"`+strings.ReplaceAll(evil[:40], `"`, `\"`)+`","iban":"SE7160000000000123456789"}}`)
	if code != 201 {
		t.Fatalf("%d %v", code, p)
	}
	u, _ := url.Parse(p["checkout_url"].(string))
	resp, page := h.Get(u.Path)
	e2etest.ExpectCode(t, resp, 200)
	if strings.Contains(page, "<script>alert") || strings.Contains(page, "<img src=x") || !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Fatalf("merchant text not escaped:\n%s", page)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("CSP %q", csp)
	}
}

func TestCheckoutPages(t *testing.T) {
	h := e2etest.New(t)
	resp, page := h.Get("/checkout/not-a-real-token-at-all-xx")
	e2etest.ExpectCode(t, resp, 404)
	if !strings.Contains(page, "could not find this payment") {
		t.Fatal(page)
	}
	_, path := h.CreatePayment(`,"locale":"sv-SE"`)
	resp, page = h.Get(path)
	e2etest.ExpectCode(t, resp, 200)
	if !strings.Contains(page, "Välj din bank") || !strings.Contains(page, "249,00\u00a0SEK") || !strings.Contains(page, `lang="sv"`) {
		t.Fatalf("Swedish page:\n%s", page)
	}
	if c := resp.Header.Get("Set-Cookie"); !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Lax") {
		t.Fatalf("cookie %s", c)
	}
	// Search works without JavaScript.
	_, page = h.Get(path + "?q=handels")
	if !strings.Contains(page, "Handelsbanken") || strings.Contains(page, ">SEB<") {
		t.Fatalf("search:\n%s", page)
	}
	// The shopper's language switch wins over the merchant's locale.
	_, page = h.Get(path + "?lang=en")
	if !strings.Contains(page, "Choose your bank") {
		t.Fatal("language switch")
	}
	// The last used bank comes first next time.
	e2etest.ExpectCode(t, h.ChooseBank(path, "SWEDSESS"), 303)
	_, path2 := h.CreatePayment("")
	_, page = h.Get(path2)
	if i, j := strings.Index(page, "Your bank"), strings.Index(page, "Swedbank"); i < 0 || j < i || j > strings.Index(page, "Handelsbanken") {
		t.Fatalf("last used bank not first:\n%s", page)
	}
	// A preselected bank skips the list.
	_, path3 := h.CreatePayment(`,"bank":"ESSESESS"`)
	_, page = h.Get(path3)
	if !strings.Contains(page, "SEB") || strings.Contains(page, "Handelsbanken") {
		t.Fatalf("preselected bank:\n%s", page)
	}
}

func TestOperationalEndpoints(t *testing.T) {
	h := e2etest.New(t)
	for _, p := range []string{"/healthz", "/readyz", "/static/app.css", "/static/live.js"} {
		resp, _ := h.Get(p)
		e2etest.ExpectCode(t, resp, 200)
	}
	// The metrics are the operator's, on a listener of their own: not on the public one.
	resp, _ := h.Get("/metrics")
	e2etest.ExpectCode(t, resp, 404)
	rec := httptest.NewRecorder()
	h.App.Metrics.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "paybybank_http_requests_total") {
		t.Fatalf("metrics listener: %d", rec.Code)
	}
	resp, _ = h.Get("/healthz")
	if resp.Header.Get("X-Request-ID") == "" {
		t.Fatal("no request id")
	}
}

func TestMerchantBranding(t *testing.T) {
	h := e2etest.New(t)
	png, _ := base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
	if err := h.DB.SetBranding(t.Context(), h.Merchant.ID, "Café Ünïcode", "#ffdd00", png, "image/png"); err != nil {
		t.Fatal(err)
	}
	_, path := h.CreatePayment("")
	_, page := h.Get(path)
	if !strings.Contains(page, "Café Ünïcode") || !strings.Contains(page, `/brand/`+h.Merchant.ID+`/logo`) {
		t.Fatalf("branding missing:\n%s", page)
	}
	m := regexp.MustCompile(`href="(/brand/[^"]+/theme.css[^"]*)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no theme stylesheet")
	}
	resp, css := h.Get(e2etest.HTMLUnescape(m[1]))
	e2etest.ExpectCode(t, resp, 200)
	if strings.Contains(css, "#ffdd00") || !strings.Contains(css, "--accent:#") {
		t.Fatalf("a yellow accent must be darkened for contrast: %s", css)
	}
	resp, body := h.Get("/brand/" + h.Merchant.ID + "/logo")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || body != string(png) {
		t.Fatalf("logo %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	resp, _ = h.Get("/brand/mer_nope/theme.css")
	e2etest.ExpectCode(t, resp, 404)
}

func TestIdempotencyOnEveryPost(t *testing.T) {
	h := e2etest.New(t)
	id, _ := h.CreatePayment("")
	c1, p1 := h.API("POST", "/api/v1/payments/"+id+"/cancel", "", "Idempotency-Key", "cancel-1")
	resp, _ := h.Do("POST", "/api/v1/payments/"+id+"/cancel", nil, map[string]string{"Authorization": "Bearer " + h.Key, "Idempotency-Key": "cancel-1"})
	if c1 != 200 || p1["status"] != "cancelled" || resp.StatusCode != 200 || resp.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replayed cancel: %d %d %v", c1, resp.StatusCode, resp.Header)
	}
	// Without the key the second cancel says what is true now: it is already cancelled.
	if c, _ := h.API("POST", "/api/v1/payments/"+id+"/cancel", ""); c != 409 {
		t.Fatalf("unkeyed second cancel: %d", c)
	}
	// The same key on another endpoint is a mistake, not a replay.
	if c, p := h.API("POST", "/api/v1/payment-links", `{"amount":"1.00","currency":"SEK","reference":"x"}`, "Idempotency-Key", "cancel-1"); c != 409 || p["code"] != "idempotency_key_reused" {
		t.Fatalf("key reused across endpoints: %d %v", c, p)
	}
	// After 24 hours a key may be used afresh.
	h.Clock.Add(25 * time.Hour)
	if c, _ := h.API("POST", "/api/v1/payment-links", `{"amount":"1.00","currency":"SEK","reference":"x"}`, "Idempotency-Key", "cancel-1"); c != 201 {
		t.Fatalf("after 24 h: %d", c)
	}
}
