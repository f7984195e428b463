package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// receiver is a merchant's webhook endpoint that verifies signatures with its own, independent
// implementation of the Standard Webhooks scheme.
type receiver struct {
	t       *testing.T
	srv     *httptest.Server
	secret  string
	mu      sync.Mutex
	fail    int // answer 500 to this many requests first
	got     []map[string]any
	ids     []string
	invalid int
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{t: t}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if rc.fail > 0 {
			rc.fail--
			http.Error(w, "down", 500)
			return
		}
		id, ts, sig := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature")
		key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(rc.secret, "whsec_"))
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id + "." + ts + "." + string(body)))
		want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
		sec, _ := strconv.ParseInt(ts, 10, 64)
		if !hmac.Equal([]byte(sig), []byte(want)) || time.Since(time.Unix(sec, 0)) > 5*time.Minute {
			rc.invalid++
			http.Error(w, "bad signature", 400)
			return
		}
		var ev map[string]any
		json.Unmarshal(body, &ev)
		rc.got = append(rc.got, ev)
		rc.ids = append(rc.ids, id)
		w.WriteHeader(204)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) types() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []string
	for _, e := range rc.got {
		out = append(out, e["type"].(string))
	}
	return out
}

func TestWebhooksSignedRetriedRedelivered(t *testing.T) {
	h := newHarness(t)
	rc := newReceiver(t)
	code, wh := h.api("PUT", "/api/v1/webhook", `{"url":"`+rc.srv.URL+`/hooks"}`)
	if code != 200 || !strings.HasPrefix(wh["secret"].(string), "whsec_") {
		t.Fatalf("set webhook: %d %v", code, wh)
	}
	rc.secret = wh["secret"].(string)
	if code, p := h.api("PUT", "/api/v1/webhook", `{"url":"http://example.com/hooks"}`); code != 422 || p["field"] != "url" {
		t.Fatalf("plain http to a public host accepted: %d %v", code, p)
	}

	id, path := h.createPayment("")
	expectCode(t, h.chooseBank(path, "HANDSESS"), 303)
	rc.fail = 1 // the endpoint is down for the first try
	if n := h.app.Webhooks.DeliverDue(t.Context()); n != 0 {
		t.Fatalf("delivered %d while the endpoint was down", n)
	}
	resp, body := h.scan(h.currentQR(path))
	expectCode(t, resp, 200)
	h.sign(body, "approve")
	h.get(path)
	h.app.Webhooks.DeliverDue(t.Context()) // the completed event; the first is waiting for its retry
	if got := rc.types(); len(got) != 1 || got[0] != "payment.completed" {
		t.Fatalf("received %v", got)
	}
	h.clock.Add(10 * time.Second)
	h.app.Webhooks.DeliverDue(t.Context())
	if got := rc.types(); len(got) != 2 || got[1] != "payment.authorising" || rc.invalid != 0 {
		t.Fatalf("after retry: %v (invalid %d)", got, rc.invalid)
	}
	ev := rc.got[0]
	data := ev["data"].(map[string]any)
	if data["id"] != id || data["status"] != "completed" || data["amount"] != "249.00" || data["previous_status"] != "authorising" {
		t.Fatalf("event %v", ev)
	}

	code, list := h.api("GET", "/api/v1/payments/"+id+"/webhooks", "")
	events := list["data"].([]any)
	if code != 200 || len(events) != 2 {
		t.Fatalf("%d %v", code, list)
	}
	first := events[0].(map[string]any)
	if first["state"] != "delivered" || len(first["history"].([]any)) != 2 || first["history"].([]any)[0].(map[string]any)["status_code"].(float64) != 500 {
		t.Fatalf("delivery log %v", first)
	}
	// Redelivery on request sends the same event id again.
	evID := first["id"].(string)
	if code, _ := h.api("POST", "/api/v1/webhooks/"+evID+"/redeliver", ""); code != 202 {
		t.Fatalf("redeliver %d", code)
	}
	h.app.Webhooks.DeliverDue(t.Context())
	if rc.ids[len(rc.ids)-1] != evID {
		t.Fatalf("redelivery used id %s, want %s", rc.ids[len(rc.ids)-1], evID)
	}
	if code, _ := h.api("POST", "/api/v1/webhooks/evt_nope/redeliver", ""); code != 404 {
		t.Fatal("unknown event")
	}
}
