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

// Rotation and revocation: a second key works beside the first; the merchant revokes the old one
// in the merchant view (a CSRF-checked POST, then a redirect), the API refuses it from then on,
// and a merchant-view session signed in with a key ends when that key is revoked.
func TestMerchantRevokesKeys(t *testing.T) {
	h := newHarness(t)
	old := h.key
	fresh, err := h.db.CreateAPIKey(t.Context(), h.merchant.ID)
	if err != nil {
		t.Fatal(err)
	}
	bearer := func(key string) int {
		resp, _ := h.do("GET", "/api/v1/payments", nil, map[string]string{"Authorization": "Bearer " + key})
		return resp.StatusCode
	}
	if bearer(old) != 200 || bearer(fresh) != 200 {
		t.Fatal("two live keys at once: both must work")
	}

	// Sign in with the new key.
	_, page := h.get("/merchant")
	resp, _ := h.post("/merchant/login", url.Values{"key": {fresh}, "csrf": {h.csrf(page)}})
	expectCode(t, resp, 303)
	resp, page = h.get("/merchant")
	expectCode(t, resp, 200)
	keys, err := h.db.APIKeys(t.Context(), h.merchant.ID)
	if err != nil || len(keys) != 2 {
		t.Fatalf("%v %v", keys, err)
	}
	oldID, freshID := keys[0].ID, keys[1].ID // the clock stands still in tests: tell them by their hint
	if keys[0].Hint != old[len(old)-4:] {
		oldID, freshID = freshID, oldID
	}
	for _, want := range []string{"pbb_…" + old[len(old)-4:], "pbb_…" + fresh[len(fresh)-4:], "/merchant/keys/" + oldID + "/revoke"} {
		if !strings.Contains(page, want) {
			t.Fatalf("merchant view lacks %q", want)
		}
	}

	// Without the form's token the POST is refused.
	resp, _ = h.post("/merchant/keys/"+oldID+"/revoke", url.Values{"csrf": {"forged"}})
	expectCode(t, resp, 403)
	if bearer(old) != 200 {
		t.Fatal("a forged POST revoked the key")
	}
	// Another merchant's key cannot be revoked from here.
	other := mustOtherMerchant(t, h)
	if _, err := h.db.CreateAPIKey(t.Context(), other); err != nil {
		t.Fatal(err)
	}
	otherKeys, _ := h.db.APIKeys(t.Context(), other)
	resp, _ = h.post("/merchant/keys/"+otherKeys[0].ID+"/revoke", url.Values{"csrf": {h.csrf(page)}})
	expectCode(t, resp, 404)

	resp, _ = h.post("/merchant/keys/"+oldID+"/revoke", url.Values{"csrf": {h.csrf(page)}})
	expectCode(t, resp, 303)
	if loc := resp.Header.Get("Location"); loc != "/merchant" {
		t.Fatalf("redirect to %q", loc)
	}
	if code := bearer(old); code != 401 {
		t.Fatalf("revoked key answered %d, want 401", code)
	}
	if bearer(fresh) != 200 {
		t.Fatal("the new key stopped working")
	}
	resp, page = h.get("/merchant")
	expectCode(t, resp, 200)
	if !strings.Contains(page, "Payments") || strings.Contains(page, "/merchant/keys/"+oldID+"/revoke") {
		t.Fatal("after revoking the old key: still signed in, the old key without a revoke button")
	}

	// Revoking the key the session signed in with (here from the command line) ends the session.
	if err := h.db.RevokeAPIKey(t.Context(), h.merchant.ID, freshID); err != nil {
		t.Fatal(err)
	}
	resp, page = h.get("/merchant")
	expectCode(t, resp, 200)
	if !strings.Contains(page, "Merchant sign-in") || !strings.Contains(page, "revoked") {
		t.Fatalf("session outlived its key:\n%s", page)
	}
	resp, _ = h.post("/merchant/login", url.Values{"key": {fresh}, "csrf": {h.csrf(page)}})
	expectCode(t, resp, 401)
}
