package handlers_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"paybybank/checkout"
	"paybybank/internal/e2etest"
)

func TestWebhookEndpointsRotationAndTypes(t *testing.T) {
	h := e2etest.New(t)
	hooks := e2etest.NewHookLog(t)
	hooks.Fail = true
	// Two endpoints: one for every event, one only for completions (and down).
	code, all := h.API("POST", "/api/v1/webhook-endpoints", `{"url":"`+hooks.Srv.URL+`/all"}`)
	if code != 201 || all["secret"] == nil || all["event_types"].([]any)[0] != "*" {
		t.Fatalf("create: %d %v", code, all)
	}
	code, done := h.API("POST", "/api/v1/webhook-endpoints", `{"url":"`+hooks.Srv.URL+`/down","event_types":["payment.completed"]}`)
	if code != 201 {
		t.Fatalf("create: %d %v", code, done)
	}
	allID, oldSecret := all["id"].(string), all["secret"].(string)
	if code, list := h.API("GET", "/api/v1/webhook-endpoints", ""); code != 200 || len(list["data"].([]any)) != 2 || strings.Contains(fmt.Sprint(list), "whsec_") {
		t.Fatalf("list: %d %v", code, list)
	}

	// A cancelled payment: only the endpoint for every event hears of it.
	id, _ := h.CreatePayment("")
	if code, _ := h.API("POST", "/api/v1/payments/"+id+"/cancel", ""); code != 200 {
		t.Fatal("cancel")
	}
	h.App.Webhooks.DeliverDue(t.Context())
	got := hooks.Take()
	if len(got) != 1 || got[0].Path != "/all" || got[0].Type != "payment.cancelled" || !e2etest.VerifyStandardWebhook(oldSecret, got[0].Hdr, got[0].Body, h.Clock.Now()) {
		t.Fatalf("deliveries %+v", got)
	}

	// Rotation: for the overlap, both secrets sign, each verifying on its own; after it, only the new.
	code, rot := h.API("POST", "/api/v1/webhook-endpoints/"+allID+"/rotate-secret", "")
	newSecret, _ := rot["secret"].(string)
	if code != 200 || newSecret == "" || newSecret == oldSecret || rot["previous_secret_expires_at"] == nil {
		t.Fatalf("rotate: %d %v", code, rot)
	}
	if code, test := h.API("POST", "/api/v1/webhook-endpoints/"+allID+"/test", ""); code != 202 || test["type"] != "webhook.test" {
		t.Fatalf("test event: %d %v", code, test)
	}
	h.App.Webhooks.DeliverDue(t.Context())
	got = hooks.Take()
	if len(got) != 1 || got[0].Type != "webhook.test" {
		t.Fatalf("test deliveries %+v", got)
	}
	sigs := strings.Fields(got[0].Hdr.Get("webhook-signature"))
	if len(sigs) != 2 || !e2etest.VerifyStandardWebhook(newSecret, got[0].Hdr, got[0].Body, h.Clock.Now()) ||
		!e2etest.VerifyStandardWebhook(oldSecret, got[0].Hdr, got[0].Body, h.Clock.Now()) || e2etest.VerifyStandardWebhook("whsec_"+base64.StdEncoding.EncodeToString([]byte("another secret of 24 b!")), got[0].Hdr, got[0].Body, h.Clock.Now()) {
		t.Fatalf("during the overlap: %q", got[0].Hdr.Get("webhook-signature"))
	}
	h.Clock.Add(24*time.Hour + time.Second)
	if code, _ := h.API("POST", "/api/v1/webhook-endpoints/"+allID+"/test", ""); code != 202 {
		t.Fatal("test event")
	}
	h.App.Webhooks.DeliverDue(t.Context())
	got = hooks.Take()
	if len(got) != 1 || len(strings.Fields(got[0].Hdr.Get("webhook-signature"))) != 1 ||
		!e2etest.VerifyStandardWebhook(newSecret, got[0].Hdr, got[0].Body, h.Clock.Now()) || e2etest.VerifyStandardWebhook(oldSecret, got[0].Hdr, got[0].Body, h.Clock.Now()) {
		t.Fatalf("after the overlap: %+v", got)
	}

	// A completed payment goes to both; the one down retries on its own with the same event id.
	id, path := h.CreatePayment("")
	e2etest.ExpectCode(t, h.ChooseBank(path, "HANDSESS"), 303)
	resp, body := h.Scan(h.CurrentQR(path))
	e2etest.ExpectCode(t, resp, 200)
	h.Sign(body, "approve")
	h.Get(path)
	h.App.Webhooks.DeliverDue(t.Context())
	byPath := map[string][]string{}
	for _, d := range hooks.Take() {
		byPath[d.Path] = append(byPath[d.Path], d.Type+" "+d.Hdr.Get("webhook-id"))
	}
	if len(byPath["/all"]) != 2 || len(byPath["/down"]) != 1 || !strings.HasPrefix(byPath["/down"][0], "payment.completed") {
		t.Fatalf("deliveries %v", byPath)
	}
	completedID := strings.Fields(byPath["/down"][0])[1]
	hooks.Fail = false
	h.Clock.Add(10 * time.Second)
	h.App.Webhooks.DeliverDue(t.Context())
	if again := hooks.Take(); len(again) != 1 || again[0].Path != "/down" || again[0].Hdr.Get("webhook-id") != completedID {
		t.Fatalf("retry %+v", again)
	}
	code, log := h.API("GET", "/api/v1/webhook-endpoints/"+done["id"].(string)+"/deliveries", "")
	entries := log["data"].([]any)
	first := entries[0].(map[string]any)
	if code != 200 || len(entries) != 1 || first["state"] != "delivered" || first["event_id"] != completedID || len(first["history"].([]any)) != 2 {
		t.Fatalf("delivery log: %d %v", code, log)
	}
	if code, ev := h.API("GET", "/api/v1/payments/"+id+"/webhooks", ""); code != 200 || !strings.Contains(fmt.Sprint(ev), "delivered") {
		t.Fatalf("payment's webhooks: %d %v", code, ev)
	}

	// A deleted endpoint gets nothing more, and another merchant cannot see ours.
	if code, _ := h.API("DELETE", "/api/v1/webhook-endpoints/"+allID, ""); code != 204 {
		t.Fatal("delete")
	}
	if code, _ := h.API("GET", "/api/v1/webhook-endpoints/"+allID, ""); code != 404 {
		t.Fatal("deleted endpoint still answers")
	}
	h.CreatePayment("")
	if code, _ := h.API("GET", "/api/v1/webhook-endpoints/"+done["id"].(string), "", "Authorization", "Bearer "+otherKey(t, h)); code != 404 {
		t.Fatal("another merchant's endpoint visible")
	}
	// The old single-endpoint call refuses an empty URL instead of silently removing webhooks.
	if code, p := h.API("PUT", "/api/v1/webhook", `{"url":""}`); code != 422 || p["field"] != "url" {
		t.Fatalf("empty url: %d %v", code, p)
	}
}

func TestPaymentLinksListedAndDeactivated(t *testing.T) {
	h := e2etest.New(t)
	code, l := h.API("POST", "/api/v1/payment-links", `{"amount":"20.00","currency":"SEK","reference":"Invoice 9","expires_in":3600}`)
	if code != 201 || !strings.HasPrefix(l["id"].(string), "pl_") || l["expires_at"] == nil || l["state"] != "active" {
		t.Fatalf("create: %d %v", code, l)
	}
	linkID := l["id"].(string)
	link, _ := url.Parse(l["url"].(string))
	resp, _ := h.Get(link.Path)
	e2etest.ExpectCode(t, resp, 303)
	code, got := h.API("GET", "/api/v1/payment-links/"+linkID, "")
	use := got["use"].(map[string]any)
	if code != 200 || use["payments"].(float64) != 1 || use["open"].(float64) != 1 {
		t.Fatalf("use: %d %v", code, got)
	}

	// A link minted before links were recorded (no row) still works, and is listed from then on.
	m, err := h.DB.Merchant(context.Background(), h.Merchant.ID)
	if err != nil {
		t.Fatal(err)
	}
	old, err := h.App.Checkout.MakeLink(context.Background(), m, checkout.LinkTerms{Amount: "5.00", Currency: "SEK", Reference: "Old"})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", h.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`DELETE FROM payment_links WHERE id = ?`, old.ID); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	resp, _ = h.Get(old.URL)
	e2etest.ExpectCode(t, resp, 303)
	code, list := h.API("GET", "/api/v1/payment-links?limit=1", "")
	if code != 200 || len(list["data"].([]any)) != 1 || list["next_cursor"] == nil {
		t.Fatalf("list: %d %v", code, list)
	}
	code, list = h.API("GET", "/api/v1/payment-links?cursor="+list["next_cursor"].(string), "")
	if code != 200 || len(list["data"].([]any)) != 1 {
		t.Fatalf("second page: %d %v", code, list)
	}

	// Deactivated: the page says so, the QR code is refused, and nothing new is created.
	code, d := h.API("POST", "/api/v1/payment-links/"+linkID+"/deactivate", "")
	if code != 200 || d["state"] != "deactivated" || d["deactivated_at"] == nil {
		t.Fatalf("deactivate: %d %v", code, d)
	}
	other := *h
	other.Client = &http.Client{CheckRedirect: h.Client.CheckRedirect}
	resp, page := other.Get(link.Path)
	e2etest.ExpectCode(t, resp, 410)
	if !strings.Contains(page, "turned off by the shop") {
		t.Fatalf("deactivated link page:\n%s", page)
	}
	resp, _ = h.Get(link.Path + "/qr.png")
	e2etest.ExpectCode(t, resp, 410)
	if _, got = h.API("GET", "/api/v1/payment-links/"+linkID, ""); got["use"].(map[string]any)["payments"].(float64) != 1 {
		t.Fatalf("a deactivated link created a payment: %v", got)
	}
	if code, _ := h.API("POST", "/api/v1/payment-links/"+linkID+"/deactivate", "", "Authorization", "Bearer "+otherKey(t, h)); code != 404 {
		t.Fatal("another merchant deactivated our link")
	}
}

// otherKey is an API key of another merchant.
func otherKey(t *testing.T, h *e2etest.Harness) string {
	key, err := h.DB.CreateAPIKey(t.Context(), h.OtherMerchant())
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func TestOperatorMetricsBusinessSeries(t *testing.T) {
	h := e2etest.New(t)
	hooks := e2etest.NewHookLog(t)
	hooks.Fail = true
	if code, _ := h.API("POST", "/api/v1/webhook-endpoints", `{"url":"`+hooks.Srv.URL+`/down"}`); code != 201 {
		t.Fatal("endpoint")
	}
	// One payment cancelled (its webhook waits: the endpoint is down), one authorising at a bank
	// after the bank refused the first tries.
	cancelled, _ := h.CreatePayment("")
	h.API("POST", "/api/v1/payments/"+cancelled+"/cancel", "")
	h.App.Webhooks.DeliverDue(t.Context())
	_, path := h.CreatePayment("")
	_, page := h.Get(path)
	h.App.Sandbox.OpenPayments.FailNext(2, 429, "0")
	resp, _ := h.Post(path+"/bank", url.Values{"bank": {"HANDSESS"}, "csrf": {h.CSRF(page)}})
	e2etest.ExpectCode(t, resp, 303)
	h.Clock.Add(90 * time.Second)

	rec := httptest.NewRecorder()
	h.App.Metrics.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("scrape: %d", rec.Code)
	}
	scrape := rec.Body.String()
	series := func(prefix string) string {
		for _, line := range strings.Split(scrape, "\n") {
			if strings.HasPrefix(line, prefix) {
				return strings.TrimSpace(strings.TrimPrefix(line, prefix))
			}
		}
		t.Fatalf("no %s in the scrape:\n%s", prefix, scrape)
		return ""
	}
	for _, tc := range []struct{ series, want string }{
		{`paybybank_payments{provider="",status="cancelled"}`, "1"},
		{`paybybank_payments{provider="openpayments",status="authorising"}`, "1"},
		{`paybybank_bank_attempts{bank="HANDSESS",outcome="authorising",provider="openpayments"}`, "1"},
		{`paybybank_bank_call_errors_total{code="429",provider="openpayments"}`, "2"},
		{`paybybank_webhook_backlog`, "2"}, // the cancelled event, and the authorising one
	} {
		if got := series(tc.series + " "); got != tc.want {
			t.Errorf("%s = %s, want %s", tc.series, got, tc.want)
		}
	}
	if age, _ := strconv.ParseFloat(series("paybybank_webhook_oldest_undelivered_seconds "), 64); age < 90 || age > 600 {
		t.Errorf("oldest undelivered %v s, want about 90", age)
	}
}
