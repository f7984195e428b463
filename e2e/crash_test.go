package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"paybybank/checkout"
	"paybybank/internal/e2etest"
	"paybybank/payment"
)

// TestIdempotencyKeyAfterCrash: a process claimed a key, created the payment and died before it
// stored the answer. The merchant's retry after the restart gets that payment, and no second one.
func TestIdempotencyKeyAfterCrash(t *testing.T) {
	h := e2etest.New(t)
	ctx := context.Background()
	body := `{"amount":"249.00","currency":"SEK","reference":"Order 7"}`
	sum := sha256.Sum256([]byte(body))
	hash := hex.EncodeToString(sum[:])
	// What the dead process did, step by step, up to the crash.
	if stored, err := h.DB.BeginIdempotent(ctx, h.Merchant.ID, "crash-1", "POST /api/v1/payments", hash); err != nil || stored != nil {
		t.Fatalf("claim: %v %v", stored, err)
	}
	p, created, err := h.App.Checkout.CreatePayment(ctx, h.Merchant, checkout.NewPayment{Amount: "249.00", Currency: "SEK", Reference: "Order 7"}, "crash-1", hash)
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	// While it lives, the claim holds.
	if code, prob := h.API("POST", "/api/v1/payments", body, "Idempotency-Key", "crash-1"); code != 409 || prob["code"] != "idempotency_in_progress" {
		t.Fatalf("retry while the claimer lives: %d %v", code, prob)
	}
	prev := h.App
	h.DB.Close()
	h.Start(prev)
	for i := 0; i < 2; i++ {
		code, got := h.API("POST", "/api/v1/payments", body, "Idempotency-Key", "crash-1")
		if code != 201 || got["id"] != p.ID {
			t.Fatalf("retry %d after the crash: %d %v, want 201 with %s", i, code, got, p.ID)
		}
	}
	_, page := h.API("GET", "/api/v1/payments?limit=100", "")
	if n := len(page["data"].([]any)); n != 1 {
		t.Fatalf("%d payments, want the one the dead process created", n)
	}
}

// TestCancelRacingCompletion: the shopper approved at the bank a moment before the merchant's
// cancel, and the bank is settling the payment. The bank refuses the cancel; the answer says so,
// with where the payment stands, and the payment goes on to complete.
func TestCancelRacingCompletion(t *testing.T) {
	h := e2etest.New(t)
	id, path := h.CreatePayment("")
	resp := h.ChooseBank(path, "NDEASESS") // Nordea settles a few seconds after SCA
	resp = h.ApproveAtBank(resp.Header.Get("Location"), "approve")
	h.Get(resp.Header.Get("Location")) // back from the bank: processing, the bank says ACSP
	code, prob := h.API("POST", "/api/v1/payments/"+id+"/cancel", "")
	if code != 409 || prob["code"] != "payment_not_cancellable" || prob["payment_status"] != "processing" {
		t.Fatalf("cancel after approval: %d %v", code, prob)
	}
	h.Clock.Add(5 * time.Second)
	if _, err := h.App.Checkout.Reconcile(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	if s, p := h.Status(id); s != "completed" {
		t.Fatalf("payment %v", p)
	}
}

// TestCancelWithStaleRead: the merchant's cancel read the payment while it was authorising; the
// callback moved it to processing before the cancel reached the bank. Cancel never answers with a
// payment that is not cancelled.
func TestCancelWithStaleRead(t *testing.T) {
	h := e2etest.New(t)
	id, path := h.CreatePayment("")
	resp := h.ChooseBank(path, "NDEASESS")
	stale, err := h.DB.Payment(t.Context(), id)
	if err != nil || stale.Status != payment.StatusAuthorising {
		t.Fatalf("%v %v", stale, err)
	}
	resp = h.ApproveAtBank(resp.Header.Get("Location"), "approve")
	h.Get(resp.Header.Get("Location")) // the callback: processing
	p, err := h.App.Checkout.Cancel(t.Context(), stale, payment.CauseMerchant)
	if !errors.Is(err, payment.ErrConflict) || p.Status != payment.StatusProcessing {
		t.Fatalf("cancel with a stale read: %v %v", p.Status, err)
	}
	if s, _ := h.Status(id); s != "processing" {
		t.Fatalf("status %s", s)
	}
}

var bankStartRe = regexp.MustCompile(`/psd2/paymentinitiation/v1/payments/[a-z-]+/([^/]+)/authorisations$`)

// loseAnswers lets the next n bank requests that match re reach the fake bank, which acts on
// them, and then loses the answers on the way back: the connector sees a 502, as from a proxy
// in front of a bank that timed out after doing the work.
func loseAnswers(h *e2etest.Harness, re *regexp.Regexp, n int) {
	next := h.Srv.Config.Handler
	var left atomic.Int32
	left.Store(int32(n))
	h.Srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && re.MatchString(r.URL.Path) && left.Add(-1) >= 0 {
			next.ServeHTTP(httptest.NewRecorder(), r)
			http.Error(w, "upstream timed out", http.StatusBadGateway)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// bankCalls counts the fake bank's requests matching method and re, and returns the first
// submatch of the last of them.
func bankCalls(h *e2etest.Harness, method string, re *regexp.Regexp) (n int, last string) {
	for _, c := range h.App.Sandbox.OpenPayments.Calls() {
		if m := re.FindStringSubmatch(c.Path); c.Method == method && m != nil {
			n++
			if len(m) > 1 {
				last = m[1]
			}
		}
	}
	return n, last
}

// eventDetails joins the details of a payment's events.
func eventDetails(p map[string]any) string {
	var parts []string
	for _, e := range p["events"].([]any) {
		parts = append(parts, e.(map[string]any)["detail"].(string))
	}
	return strings.Join(parts, " | ")
}

// TestBankAnswerLostAtCreation: the bank created the payment but its answer never came back. The
// creation is not sent again; the shopper is told that nothing was taken and chooses again at once.
func TestBankAnswerLostAtCreation(t *testing.T) {
	h := e2etest.New(t)
	id, path := h.CreatePayment("")
	_, page := h.Get(path)
	loseAnswers(h, e2etest.BankCreateRe, 1)
	resp, _ := h.Post(path+"/bank", url.Values{"bank": {"HANDSESS"}, "csrf": {h.CSRF(page)}})
	e2etest.ExpectCode(t, resp, 303) // back to the bank choice, which says what happened
	if n, _ := bankCalls(h, "POST", e2etest.BankCreateRe); n != 1 {
		t.Fatalf("%d creations sent for one choice, want 1: a lost answer is not re-sent", n)
	}
	s, p := h.Status(id)
	if s != "open" || !strings.Contains(eventDetails(p), "the bank did not answer") || !strings.Contains(eventDetails(p), "nothing taken") {
		t.Fatalf("payment after a lost answer: %s, events: %s", s, eventDetails(p))
	}
	if outcome, reason := h.LastAttempt(p); outcome != "lost" || reason != "bank_no_answer" {
		t.Fatalf("attempt %s (%s), want lost (bank_no_answer)", outcome, reason)
	}
	resp, page = h.Get(path)
	e2etest.ExpectCode(t, resp, 200)
	if !strings.Contains(page, "Your bank did not answer") || !strings.Contains(page, "Nothing was taken") {
		t.Fatalf("the picker does not say what happened:\n%s", page)
	}
	resp, _ = h.Post(path+"/bank", url.Values{"bank": {"HANDSESS"}, "csrf": {h.CSRF(page)}})
	e2etest.ExpectCode(t, resp, 303)
	if s, _ := h.Status(id); s != "authorising" {
		t.Fatalf("status %s after choosing again", s)
	}
	if _, page = h.Get(path); strings.Contains(page, "Your bank did not answer") {
		t.Fatalf("the message outlives the new choice:\n%s", page)
	}
}

// TestBankAnswerLostAtSCA: the bank's payment exists (its id arrived) but the answer to starting
// SCA is lost. That bank payment is cancelled at the bank, and the payment's events say so.
func TestBankAnswerLostAtSCA(t *testing.T) {
	h := e2etest.New(t)
	id, path := h.CreatePayment("")
	_, page := h.Get(path)
	loseAnswers(h, bankStartRe, 100) // every try the connector makes
	resp, _ := h.Post(path+"/bank", url.Values{"bank": {"HANDSESS"}, "csrf": {h.CSRF(page)}})
	e2etest.ExpectCode(t, resp, 303)
	_, bankID := bankCalls(h, "POST", bankStartRe)
	if got := h.App.Sandbox.OpenPayments.TransactionStatus(bankID); got != "CANC" {
		t.Fatalf("orphaned bank payment %s is %q, want CANC", bankID, got)
	}
	if s, p := h.Status(id); s != "open" || !strings.Contains(eventDetails(p), "bank payment "+bankID+" cancelled at the bank") {
		t.Fatalf("payment %s, events: %s", s, eventDetails(p))
	}
	if n, _ := bankCalls(h, "POST", e2etest.BankCreateRe); n != 1 {
		t.Fatalf("%d creations, want 1", n)
	}
}

// TestRestartWithBankCallInFlight: the server dies while the bank is starting SCA for a shopper's
// choice. The next server settles that attempt at start: the bank's payment is cancelled, the
// shopper is told nothing was taken and chooses again at once.
func TestRestartWithBankCallInFlight(t *testing.T) {
	h := e2etest.New(t)
	id, path := h.CreatePayment("")
	_, page := h.Get(path)
	// The bank's answer to starting SCA never comes: the process dies waiting for it.
	entered, release := make(chan struct{}), make(chan struct{})
	next := h.Srv.Config.Handler
	var bankID string // the bank's payment id, which the dead process had stored
	h.Srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m := bankStartRe.FindStringSubmatch(r.URL.Path); r.Method == http.MethodPost && m != nil {
			bankID = m[1]
			close(entered)
			<-release
			http.Error(w, "gone", http.StatusBadGateway)
			return
		}
		next.ServeHTTP(w, r)
	})
	req, _ := http.NewRequest("POST", h.Srv.URL+path+"/bank", strings.NewReader(url.Values{"bank": {"HANDSESS"}, "csrf": {h.CSRF(page)}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	choice := make(chan struct{})
	go func() {
		defer close(choice)
		if resp, err := h.Client.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	// kill -9: the old process writes nothing more (its database is closed under it).
	prev := h.App
	h.DB.Close()
	h.Start(prev)
	t.Cleanup(func() { close(release); <-choice })
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	go (&checkout.Reconciler{Service: h.App.Checkout, Tick: time.Hour, Logger: slog.New(slog.DiscardHandler)}).Run(ctx)

	deadline := time.Now().Add(5 * time.Second)
	for {
		_, page = h.Get(path)
		if strings.Contains(page, "Your bank did not answer") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the restart the picker does not say what happened:\n%s", page)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := h.App.Sandbox.OpenPayments.TransactionStatus(bankID); got != "CANC" {
		t.Fatalf("the interrupted attempt's bank payment %s is %q, want CANC", bankID, got)
	}
	if s, p := h.Status(id); s != "open" || !strings.Contains(eventDetails(p), "the server stopped while waiting for the bank") {
		t.Fatalf("payment %s, events: %s", s, eventDetails(p))
	}
	resp, _ := h.Post(path+"/bank", url.Values{"bank": {"HANDSESS"}, "csrf": {h.CSRF(page)}})
	e2etest.ExpectCode(t, resp, 303)
	if s, _ := h.Status(id); s != "authorising" {
		t.Fatalf("status %s after choosing again", s)
	}
}
