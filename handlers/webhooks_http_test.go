package handlers_test

import (
	"strings"
	"testing"
	"time"

	"paybybank/internal/e2etest"
)

func TestWebhooksSignedRetriedRedelivered(t *testing.T) {
	h := e2etest.New(t)
	rc := e2etest.NewReceiver(t)
	code, wh := h.API("PUT", "/api/v1/webhook", `{"url":"`+rc.Srv.URL+`/hooks"}`)
	if code != 200 || !strings.HasPrefix(wh["secret"].(string), "whsec_") {
		t.Fatalf("set webhook: %d %v", code, wh)
	}
	rc.Secret = wh["secret"].(string)
	if code, p := h.API("PUT", "/api/v1/webhook", `{"url":"http://example.com/hooks"}`); code != 422 || p["field"] != "url" {
		t.Fatalf("plain http to a public host accepted: %d %v", code, p)
	}

	id, path := h.CreatePayment("")
	e2etest.ExpectCode(t, h.ChooseBank(path, "HANDSESS"), 303)
	rc.Fail = 1 // the endpoint is down for the first try
	if n := h.App.Webhooks.DeliverDue(t.Context()); n != 0 {
		t.Fatalf("delivered %d while the endpoint was down", n)
	}
	resp, body := h.Scan(h.CurrentQR(path))
	e2etest.ExpectCode(t, resp, 200)
	h.Sign(body, "approve")
	h.Get(path)
	h.App.Webhooks.DeliverDue(t.Context()) // the completed event; the first is waiting for its retry
	if got := rc.Types(); len(got) != 1 || got[0] != "payment.completed" {
		t.Fatalf("received %v", got)
	}
	h.Clock.Add(10 * time.Second)
	h.App.Webhooks.DeliverDue(t.Context())
	if got := rc.Types(); len(got) != 2 || got[1] != "payment.authorising" || rc.Invalid != 0 {
		t.Fatalf("after retry: %v (invalid %d)", got, rc.Invalid)
	}
	ev := rc.Got[0]
	data := ev["data"].(map[string]any)
	if data["id"] != id || data["status"] != "completed" || data["amount"] != "249.00" || data["previous_status"] != "authorising" {
		t.Fatalf("event %v", ev)
	}

	code, list := h.API("GET", "/api/v1/payments/"+id+"/webhooks", "")
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
	if code, _ := h.API("POST", "/api/v1/webhooks/"+evID+"/redeliver", ""); code != 202 {
		t.Fatalf("redeliver %d", code)
	}
	h.App.Webhooks.DeliverDue(t.Context())
	if rc.IDs[len(rc.IDs)-1] != evID {
		t.Fatalf("redelivery used id %s, want %s", rc.IDs[len(rc.IDs)-1], evID)
	}
	if code, _ := h.API("POST", "/api/v1/webhooks/evt_nope/redeliver", ""); code != 404 {
		t.Fatal("unknown event")
	}
}
