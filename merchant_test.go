package main

import (
	"net/url"
	"strings"
	"testing"
)

func TestMerchantView(t *testing.T) {
	h := newHarness(t)
	rc := newReceiver(t)
	_, wh := h.api("PUT", "/api/v1/webhook", `{"url":"`+rc.srv.URL+`"}`)
	rc.secret = wh["secret"].(string)
	id, _ := h.createPayment("")
	h.api("POST", "/api/v1/payments/"+id+"/cancel", "")
	h.app.Webhooks.DeliverDue(t.Context())

	resp, page := h.get("/merchant")
	expectCode(t, resp, 200)
	if !strings.Contains(page, "Merchant sign-in") {
		t.Fatalf("not signed in:\n%s", page)
	}
	resp, page = h.post("/merchant/login", url.Values{"key": {"pbb_wrong"}, "csrf": {h.csrf(page)}})
	expectCode(t, resp, 401)
	resp, _ = h.post("/merchant/login", url.Values{"key": {h.key}, "csrf": {h.csrf(page)}})
	expectCode(t, resp, 303)
	resp, page = h.get("/merchant")
	expectCode(t, resp, 200)
	for _, want := range []string{"Order 1001", "249.00", "cancelled", "delivered", id} {
		if !strings.Contains(page, want) {
			t.Errorf("merchant view lacks %q", want)
		}
	}
	_, page = h.get("/merchant?status=completed")
	if strings.Contains(page, "Order 1001") {
		t.Error("status filter")
	}
	resp, _ = h.post("/merchant/logout", url.Values{"csrf": {h.csrf(page)}})
	expectCode(t, resp, 303)
	_, page = h.get("/merchant")
	if !strings.Contains(page, "Merchant sign-in") {
		t.Fatal("still signed in after sign-out")
	}
}
