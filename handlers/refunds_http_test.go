package handlers_test

import (
	"net/url"
	"strings"
	"sync"
	"testing"

	"paybybank/internal/e2etest"
)

// payerIBAN is the account the shopper pays from in the refund tests.
const payerIBAN = "SE3550000000054910000003"

// completedPayment pays a payment of 249.00 SEK at SEB with BankID, from the account the merchant
// passed (payerIBAN), and returns its id.
func completedPayment(t *testing.T, h *e2etest.Harness) string {
	t.Helper()
	id, path := h.CreatePayment(`,"debtor":{"iban":"` + payerIBAN + `"}`)
	e2etest.ExpectCode(t, h.ChooseBank(path, "ESSESESS"), 303)
	resp, body := h.Scan(h.CurrentQR(path))
	e2etest.ExpectCode(t, resp, 200)
	h.Sign(body, "approve")
	h.Get(path)
	if st, _ := h.Status(id); st != "completed" {
		t.Fatalf("payment %s", st)
	}
	return id
}

func TestRefunds(t *testing.T) {
	h := e2etest.New(t)
	id := completedPayment(t, h)
	refunds := "/api/v1/payments/" + id + "/refunds"

	_, p := h.Status(id)
	if p["refundable"] != true || p["refunded_amount"] != "0.00" || p["payer_account"] != "SE35 **** **** 0003" {
		t.Fatalf("completed payment: %v", p)
	}

	var first string
	t.Run("Partial", func(t *testing.T) {
		code, r := h.API("POST", refunds, `{"amount":"100.00","reference":"Returned shoes"}`)
		if code != 201 || r["status"] != "awaiting_authorisation" || r["amount"] != "100.00" || r["currency"] != "SEK" ||
			r["reference"] != "Returned shoes" || r["payment_id"] != id {
			t.Fatalf("%d %v", code, r)
		}
		first = r["id"].(string)
	})
	t.Run("Several", func(t *testing.T) {
		code, r := h.API("POST", refunds, `{"amount":"49.01"}`)
		if code != 201 || r["reference"] != "Refund Order 1001" {
			t.Fatalf("%d %v", code, r)
		}
		_, p := h.Status(id)
		if p["refunded_amount"] != "149.01" || p["refundable"] != true {
			t.Fatalf("payment after two refunds: %v", p)
		}
	})
	t.Run("OverRefund", func(t *testing.T) {
		code, r := h.API("POST", refunds, `{"amount":"100.00"}`)
		if code != 422 || r["code"] != "refund_exceeds_payment" || r["field"] != "amount" || r["refundable_amount"] != "99.99" ||
			!strings.Contains(r["detail"].(string), "99.99 SEK remains") {
			t.Fatalf("%d %v", code, r)
		}
	})
	t.Run("BadAmounts", func(t *testing.T) {
		for _, body := range []string{`{"amount":100}`, `{"amount":"1.001"}`, `{"amount":"0.00"}`, `{"amount":"-1.00"}`, `{}`, `{"amount":"1.00","currency":"EUR"}`} {
			if code, r := h.API("POST", refunds, body); code != 422 {
				t.Errorf("%s: %d %v", body, code, r)
			}
		}
	})
	t.Run("Full", func(t *testing.T) {
		code, r := h.API("POST", refunds, `{"amount":"99.99"}`)
		if code != 201 {
			t.Fatalf("%d %v", code, r)
		}
		_, p := h.Status(id)
		if p["refunded_amount"] != "249.00" || p["refundable"] != false {
			t.Fatalf("fully refunded payment: %v", p)
		}
		if code, r := h.API("POST", refunds, `{"amount":"0.01"}`); code != 422 || r["refundable_amount"] != "0.00" {
			t.Fatalf("%d %v", code, r)
		}
	})
	t.Run("List", func(t *testing.T) {
		code, list := h.API("GET", refunds, "")
		data, _ := list["data"].([]any)
		if code != 200 || len(data) != 3 || data[0].(map[string]any)["id"] != first {
			t.Fatalf("%d %v", code, list)
		}
		for _, d := range data {
			if d.(map[string]any)["payee_account"] != "SE35 **** **** 0003" {
				t.Fatalf("payee not masked: %v", d)
			}
		}
	})
	t.Run("Masked", func(t *testing.T) {
		for _, path := range []string{"/api/v1/payments/" + id, refunds, "/api/v1/refunds/" + first, "/api/v1/payments"} {
			_, body := h.Do("GET", path, nil, map[string]string{"Authorization": "Bearer " + h.Key})
			if strings.Contains(body, payerIBAN) || strings.Contains(body, "54910") {
				t.Fatalf("%s shows the payer's account: %s", path, body)
			}
		}
	})
	t.Run("Cancel", func(t *testing.T) {
		code, r := h.API("POST", "/api/v1/refunds/"+first+"/cancel", "")
		if code != 200 || r["status"] != "cancelled" {
			t.Fatalf("%d %v", code, r)
		}
		code, r = h.API("POST", "/api/v1/refunds/"+first+"/cancel", "")
		if code != 409 || r["code"] != "refund_not_cancellable" || r["refund_status"] != "cancelled" {
			t.Fatalf("again: %d %v", code, r)
		}
		// Its amount may be refunded again.
		_, p := h.Status(id)
		if p["refunded_amount"] != "149.00" || p["refundable"] != true {
			t.Fatalf("after cancelling: %v", p)
		}
		code, one := h.API("GET", "/api/v1/refunds/"+first, "")
		events, _ := one["events"].([]any)
		if code != 200 || one["status"] != "cancelled" || len(events) != 2 {
			t.Fatalf("%d %v", code, one)
		}
	})
	t.Run("NotCancellableOnceAuthorising", func(t *testing.T) {
		code, r := h.API("POST", refunds, `{"amount":"1.00"}`)
		if code != 201 {
			t.Fatalf("%d %v", code, r)
		}
		rid := r["id"].(string)
		if _, err := h.DB.TransitionRefund(t.Context(), rid, "awaiting_authorisation", "authorising", "", "rb_test"); err != nil {
			t.Fatal(err)
		}
		if code, r := h.API("POST", "/api/v1/refunds/"+rid+"/cancel", ""); code != 409 || r["refund_status"] != "authorising" {
			t.Fatalf("%d %v", code, r)
		}
	})
	t.Run("NotFound", func(t *testing.T) {
		other, err := h.DB.CreateAPIKey(t.Context(), h.OtherMerchant())
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ method, path string }{{"GET", "/api/v1/refunds/" + first}, {"POST", "/api/v1/refunds/" + first + "/cancel"},
			{"GET", refunds}, {"POST", refunds}} {
			resp, body := h.Do(c.method, c.path, strings.NewReader(`{"amount":"1.00"}`), map[string]string{"Authorization": "Bearer " + other})
			if resp.StatusCode != 404 {
				t.Fatalf("another merchant's %s %s: %d %s", c.method, c.path, resp.StatusCode, body)
			}
		}
		if code, _ := h.API("GET", "/api/v1/refunds/rf_nope", ""); code != 404 {
			t.Fatalf("unknown refund: %d", code)
		}
	})
}

func TestRefundWrongStateAndUnknownPayer(t *testing.T) {
	h := e2etest.New(t)
	id, _ := h.CreatePayment("")
	code, r := h.API("POST", "/api/v1/payments/"+id+"/refunds", `{"amount":"1.00"}`)
	if code != 409 || r["code"] != "payment_not_refundable" || r["payment_status"] != "open" {
		t.Fatalf("open payment: %d %v", code, r)
	}
	// Completed with nobody telling the account: paid at a bank whose provider does not report it
	// (TestPayerReportedByBank has one that does).
	id = unknownPayerPayment(t, h)
	if st, p := h.Status(id); st != "completed" || p["refundable"] != false || p["payer_account"] != nil {
		t.Fatalf("%s %v", st, p)
	}
	code, r = h.API("POST", "/api/v1/payments/"+id+"/refunds", `{"amount":"1.00"}`)
	if code != 422 || r["code"] != "payer_account_unknown" || !strings.Contains(r["detail"].(string), "refundable") {
		t.Fatalf("%d %v", code, r)
	}
	if _, list := h.API("GET", "/api/v1/payments/"+id+"/refunds", ""); len(list["data"].([]any)) != 0 {
		t.Fatalf("refused refunds stored: %v", list)
	}
}

// TestRefundableAsksForTheAccount: with refundable: true the checkout asks for the shopper's
// account even at a bank that lets the shopper choose it there, and the payment can be refunded.
func TestRefundableAsksForTheAccount(t *testing.T) {
	h := e2etest.New(t)
	id, path := h.CreatePayment(`,"debtor":null,"refundable":true`)
	resp := h.ChooseBank(path, "DABASESX")
	e2etest.ExpectCode(t, resp, 303)
	if loc := resp.Header.Get("Location"); loc != path+"/account?bank=DABASESX" {
		t.Fatalf("went to %s, not the account question", loc)
	}
	_, page := h.Get(path + "/account?bank=DABASESX")
	resp, body := h.Post(path+"/account", url.Values{"csrf": {h.CSRF(page)}, "bank": {"DABASESX"}, "iban": {"SE35 5000 0000 0549 1000 0003"}})
	if resp.StatusCode != 303 || !strings.Contains(resp.Header.Get("Location"), "/sandbox/openpayments/bank/authorize") {
		t.Fatalf("%d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	resp = h.ApproveAtBank(resp.Header.Get("Location"), "approve")
	h.Get(resp.Header.Get("Location"))
	st, p := h.Status(id)
	if st != "completed" || p["refundable"] != true || p["payer_account"] != "SE35 **** **** 0003" {
		t.Fatalf("%s %v", st, p)
	}
	code, r := h.API("POST", "/api/v1/payments/"+id+"/refunds", `{"amount":"249.00"}`)
	if code != 201 || r["payee_account"] != "SE35 **** **** 0003" {
		t.Fatalf("%d %v", code, r)
	}
	rf, err := h.DB.Refund(t.Context(), r["id"].(string))
	if err != nil || rf.Payee.IBAN != payerIBAN {
		t.Fatalf("stored payee %+v %v", rf, err)
	}
}

func TestRefundIdempotency(t *testing.T) {
	h := e2etest.New(t)
	id := completedPayment(t, h)
	refunds := "/api/v1/payments/" + id + "/refunds"
	c1, r1 := h.API("POST", refunds, `{"amount":"10.00"}`, "Idempotency-Key", "r1")
	c2, r2 := h.API("POST", refunds, `{"amount":"10.00"}`, "Idempotency-Key", "r1")
	c3, r3 := h.API("POST", refunds, `{"amount":"11.00"}`, "Idempotency-Key", "r1")
	if c1 != 201 || c2 != 201 || r1["id"] != r2["id"] || c3 != 409 || r3["code"] != "idempotency_key_reused" {
		t.Fatalf("%d %d %d: %v %v %v", c1, c2, c3, r1, r2, r3)
	}
	// A key used for a refund is refused for a payment, and the other way round.
	if code, r := h.API("POST", "/api/v1/payments", `{"amount":"10.00"}`, "Idempotency-Key", "r1"); code != 409 {
		t.Fatalf("%d %v", code, r)
	}
	// A merchant retrying at once, in parallel, gets one refund.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			code, r := h.API("POST", refunds, `{"amount":"5.00"}`, "Idempotency-Key", "r2")
			if code != 201 && !(code == 409 && r["code"] == "idempotency_in_progress") {
				t.Errorf("%d %v", code, r)
			}
		})
	}
	wg.Wait()
	if _, list := h.API("GET", refunds, ""); len(list["data"].([]any)) != 2 {
		t.Fatalf("%d refunds, want 2: %v", len(list["data"].([]any)), list)
	}
}

// TestRefundWebhooks: refund.created and refund.cancelled reach the merchant signed.
func TestRefundWebhooks(t *testing.T) {
	h := e2etest.New(t)
	rc := e2etest.NewReceiver(t)
	code, wh := h.API("POST", "/api/v1/webhook-endpoints", `{"url":"`+rc.Srv.URL+`/hooks","event_types":["refund.created","refund.cancelled"]}`)
	if code != 201 {
		t.Fatalf("%d %v", code, wh)
	}
	rc.Secret = wh["secret"].(string)
	id := completedPayment(t, h)
	_, r := h.API("POST", "/api/v1/payments/"+id+"/refunds", `{"amount":"12.34","reference":"Sorry"}`)
	h.App.Webhooks.DeliverDue(t.Context())
	h.API("POST", "/api/v1/refunds/"+r["id"].(string)+"/cancel", "")
	h.App.Webhooks.DeliverDue(t.Context())
	if got := rc.Types(); len(got) != 2 || got[0] != "refund.created" || got[1] != "refund.cancelled" || rc.Invalid != 0 {
		t.Fatalf("received %v (invalid %d)", got, rc.Invalid)
	}
	data := rc.Got[0]["data"].(map[string]any)
	if data["id"] != r["id"] || data["payment_id"] != id || data["amount"] != "12.34" || data["currency"] != "SEK" || data["status"] != "awaiting_authorisation" {
		t.Fatalf("event %v", rc.Got[0])
	}
	if prev := rc.Got[1]["data"].(map[string]any)["previous_status"]; prev != "awaiting_authorisation" {
		t.Fatalf("cancelled event %v", rc.Got[1])
	}
}
