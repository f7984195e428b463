package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"paybybank/internal/e2etest"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// TestServerFollowsOpenAPI loads the document the server publishes, checks it, and validates
// real requests and answers of the running server against it, errors included.
func TestServerFollowsOpenAPI(t *testing.T) {
	h := e2etest.New(t)
	resp, body := h.Get("/api/openapi.json")
	e2etest.ExpectCode(t, resp, 200)
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatal("not an OpenAPI 3.1 document")
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("document invalid: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: h.Srv.URL}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	call := func(method, path, reqBody string, wantStatus int, hdr ...string) string {
		t.Helper()
		req, _ := http.NewRequest(method, h.Srv.URL+path, strings.NewReader(reqBody))
		req.Header.Set("Authorization", "Bearer "+h.Key)
		if reqBody != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Fatalf("%s %s is not in the document: %v", method, path, err)
		}
		seen[route.Method+" "+route.Path] = true
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		if wantStatus < 400 {
			if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
				t.Fatalf("%s %s: request does not match the document: %v", method, path, err)
			}
			req.Body = io.NopCloser(strings.NewReader(reqBody))
		}
		resp, err := h.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != wantStatus {
			t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, wantStatus, b)
		}
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
			Body: io.NopCloser(bytes.NewReader(b)), Options: &openapi3filter.Options{IncludeResponseStatus: true}}
		if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
			t.Fatalf("%s %s → %d does not match the document: %v\n%s", method, path, resp.StatusCode, err, b)
		}
		return string(b)
	}
	rc := e2etest.NewReceiver(t)
	call("PUT", "/api/v1/webhook", `{"url":"`+rc.Srv.URL+`"}`, 200)
	call("PUT", "/api/v1/webhook", `{"url":"ftp://x"}`, 422)
	created := call("POST", "/api/v1/payments", `{"amount":"249.00","currency":"SEK","reference":"Order 1","metadata":{"order":"1"}}`, 201, "Idempotency-Key", "oa-1")
	id := created[strings.Index(created, `"id":"`)+6:]
	id = id[:strings.Index(id, `"`)]
	call("POST", "/api/v1/payments", `{"amount":"249.00","currency":"SEK","reference":"Order 1","metadata":{"order":"1"}}`, 201, "Idempotency-Key", "oa-1")
	call("POST", "/api/v1/payments", `{"amount":"1.00","currency":"SEK","reference":"Order 1"}`, 409, "Idempotency-Key", "oa-1")
	call("POST", "/api/v1/payments", `{"amount":1,"currency":"SEK","reference":"x"}`, 422)
	call("POST", "/api/v1/payments", `{"amount":`, 400)
	call("GET", "/api/v1/payments?limit=2", "", 200)
	call("GET", "/api/v1/payments?status=open", "", 200)
	call("GET", "/api/v1/payments/export?status=open&created_after=2026-01-01T00:00:00Z&q=Order", "", 200)
	call("GET", "/api/v1/payments/export?created_before=yesterday", "", 422)
	call("GET", "/api/v1/payments?created_after=2026-01-01T00:00:00Z&created_before=2099-01-01T00:00:00Z", "", 200)
	call("GET", "/api/v1/payments/"+id, "", 200)
	call("GET", "/api/v1/payments/pay_unknown", "", 404)
	call("POST", "/api/v1/payments/"+id+"/cancel", "", 200)
	call("POST", "/api/v1/payments/"+id+"/cancel", "", 409)
	h.App.Webhooks.DeliverDue(context.Background())
	hooks := call("GET", "/api/v1/payments/"+id+"/webhooks", "", 200)
	ev := hooks[strings.Index(hooks, `"id":"evt_`)+6:]
	ev = ev[:strings.Index(ev, `"`)]
	call("POST", "/api/v1/webhooks/"+ev+"/redeliver", "", 202)
	call("POST", "/api/v1/webhooks/evt_unknown/redeliver", "", 404)
	link := call("POST", "/api/v1/payment-links", `{"amount":"10.00","currency":"EUR","reference":"Invoice 1","expires_in":3600}`, 201)
	linkID := jsonField(t, link, "id")
	call("POST", "/api/v1/payment-links", `{"amount":"10.001","currency":"EUR","reference":"Invoice 1"}`, 422)
	call("GET", "/api/v1/payment-links?limit=1", "", 200)
	call("GET", "/api/v1/payment-links?cursor=pl_unknown", "", 422)
	call("GET", "/api/v1/payment-links/"+linkID, "", 200)
	call("GET", "/api/v1/payment-links/pl_unknown", "", 404)
	call("POST", "/api/v1/payment-links/"+linkID+"/deactivate", "", 200)
	call("POST", "/api/v1/payment-links/pl_unknown/deactivate", "", 404)
	call("PUT", "/api/v1/webhook", `{"url":""}`, 422)
	ep := call("POST", "/api/v1/webhook-endpoints", `{"url":"`+rc.Srv.URL+`/b","event_types":["payment.completed","webhook.test"]}`, 201)
	epID := jsonField(t, ep, "id")
	call("POST", "/api/v1/webhook-endpoints", `{"url":"`+rc.Srv.URL+`/c","event_types":["payment.nope"]}`, 422)
	call("POST", "/api/v1/webhook-endpoints", `{"url":"`+rc.Srv.URL+`/c","event_types":[]}`, 422)
	call("GET", "/api/v1/webhook-endpoints", "", 200)
	call("GET", "/api/v1/webhook-endpoints/"+epID, "", 200)
	call("GET", "/api/v1/webhook-endpoints/we_unknown", "", 404)
	call("POST", "/api/v1/webhook-endpoints/"+epID+"/test", "", 202)
	call("POST", "/api/v1/webhook-endpoints/we_unknown/test", "", 404)
	call("POST", "/api/v1/webhook-endpoints/"+epID+"/rotate-secret", `{"overlap_seconds":600}`, 200)
	call("POST", "/api/v1/webhook-endpoints/"+epID+"/rotate-secret", `{"overlap_seconds":-1}`, 422)
	call("POST", "/api/v1/webhook-endpoints/we_unknown/rotate-secret", "", 404)
	h.App.Webhooks.DeliverDue(context.Background())
	call("GET", "/api/v1/webhook-endpoints/"+epID+"/deliveries?limit=10", "", 200)
	call("GET", "/api/v1/webhook-endpoints/"+epID+"/deliveries?limit=0", "", 422)
	call("GET", "/api/v1/webhook-endpoints/we_unknown/deliveries", "", 404)
	call("DELETE", "/api/v1/webhook-endpoints/"+epID, "", 204)
	call("DELETE", "/api/v1/webhook-endpoints/"+epID, "", 404)
	// A payment whose first attempt was denied at the bank: its attempts and max_attempts as documented.
	second := call("POST", "/api/v1/payments", `{"amount":"249.00","currency":"SEK","reference":"Order 2","max_attempts":2,`+
		`"debtor":{"country":"SE","clearing_number":"6789","account_number":"123456789"}}`, 201)
	u, _ := url.Parse(jsonField(t, second, "checkout_url"))
	resp = h.ApproveAtBank(h.ChooseBank(u.Path, "NDEASESS").Header.Get("Location"), "deny")
	h.Get(resp.Header.Get("Location"))
	if got := call("GET", "/api/v1/payments/"+jsonField(t, second, "id"), "", 200); !strings.Contains(got, `"outcome":"denied"`) || !strings.Contains(got, `"max_attempts":2`) {
		t.Fatalf("payment after a denied attempt: %s", got)
	}
	call("POST", "/api/v1/payments", `{"amount":"1.00","currency":"SEK","reference":"x","max_attempts":0}`, 422)
	paid := completedPayment(t, h)
	rf := call("POST", "/api/v1/payments/"+paid+"/refunds", `{"amount":"100.00","reference":"Returned"}`, 201, "Idempotency-Key", "oa-r1")
	rfID := jsonField(t, rf, "id")
	call("POST", "/api/v1/payments/"+paid+"/refunds", `{"amount":"100.00","reference":"Returned"}`, 201, "Idempotency-Key", "oa-r1")
	call("POST", "/api/v1/payments/"+paid+"/refunds", `{"amount":"200.00"}`, 422)
	call("POST", "/api/v1/payments/"+paid+"/refunds", `{"amount":1}`, 422)
	call("POST", "/api/v1/payments/"+id+"/refunds", `{"amount":"1.00"}`, 409)
	call("POST", "/api/v1/payments/pay_unknown/refunds", `{"amount":"1.00"}`, 404)
	call("GET", "/api/v1/payments/"+paid+"/refunds", "", 200)
	call("GET", "/api/v1/payments/"+paid, "", 200)
	call("GET", "/api/v1/refunds/"+rfID, "", 200)
	call("GET", "/api/v1/refunds/rf_unknown", "", 404)
	call("POST", "/api/v1/refunds/"+rfID+"/cancel", "", 200)
	call("POST", "/api/v1/refunds/"+rfID+"/cancel", "", 409)
	call("POST", "/api/v1/webhook-endpoints", `{"url":"`+rc.Srv.URL+`/r","event_types":["refund.created","refund.completed"]}`, 201)
	h.Key = "pbb_wrong"
	call("GET", "/api/v1/payments", "", 401)
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !seen[method+" "+path] {
				t.Errorf("%s %s was never exercised", method, path)
			}
		}
	}
}

// jsonField returns a string member of a JSON object, failing the test if it is not there.
func jsonField(t *testing.T, body, name string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	v, ok := m[name].(string)
	if !ok || v == "" {
		t.Fatalf("no %s in %s", name, body)
	}
	return v
}
