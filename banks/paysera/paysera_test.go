package paysera_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"paybybank/banks"
	"paybybank/banks/paysera"
	"paybybank/banks/paysera/payseratest"
	"paybybank/banks/sandbox"
)

const callback = "https://pay.example/callback"

// env runs the fake the way the sandbox does: API behind mutual TLS, pages in plain HTTP.
type env struct {
	sb     *sandbox.Sandbox
	fake   *payseratest.Fake
	client *paysera.Client
	pages  *httptest.Server
}

func setup(t *testing.T) *env {
	t.Helper()
	sb := sandbox.New("https://pay.example")
	t.Cleanup(sb.Close)
	if sb.Paysera == nil {
		t.Fatal("no Paysera fake")
	}
	pages := httptest.NewServer(sb.Paysera.PageHandler())
	t.Cleanup(pages.Close)
	sb.Paysera.PageURL = pages.URL
	sb.Paysera.RedirectURIs = []string{callback}
	c := paysera.New(paysera.Config{APIURL: sb.PayseraAPIURL, AuthorizeURL: pages.URL + "/oauth/authorize", ClientID: sandbox.ClientID,
		HTTPClient: sb.PayseraClient, Backoff: time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return &env{sb: sb, fake: sb.Paysera, client: c, pages: pages}
}

var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func request() banks.PaymentRequest {
	return banks.PaymentRequest{BIC: paysera.BIC, Amount: "19.99", AmountMinor: 1999, Currency: "EUR", CreditorName: "Parduotuvė UAB",
		Creditor: banks.Account{IBAN: "LT121000011101001000"}, Reference: "Užsakymas 5", PSU: banks.PSU{IPAddress: "192.0.2.9"},
		State: "s1", RedirectURI: callback}
}

// consent walks the authorize page and returns the callback query.
func (e *env) consent(t *testing.T, authURL, decision string) url.Values {
	t.Helper()
	u, _ := url.Parse(authURL)
	form := u.Query()
	form.Set("decision", decision)
	resp, err := noFollow.PostForm(e.pages.URL+"/oauth/authorize", form)
	if err != nil || resp.StatusCode != 303 {
		t.Fatalf("consent: %v %v", resp, err)
	}
	back, _ := url.Parse(resp.Header.Get("Location"))
	return back.Query()
}

func TestPKCEFlowAndPayment(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	created, err := e.client.CreatePayment(ctx, request())
	if err != nil || created.Extra["verifier"] == "" || created.PaymentID != "" {
		t.Fatalf("authorize step: %+v %v", created, err)
	}
	q := e.consent(t, created.RedirectURL, "approve")
	if q.Get("state") != "s1" || q.Get("code") == "" {
		t.Fatalf("callback %v", q)
	}
	o := banks.Order{BIC: paysera.BIC, PSU: request().PSU, Extra: created.Extra}
	// A wrong verifier is refused by the bank: the code is bound to the challenge.
	bad := o
	bad.Extra = map[string]string{"verifier": "wrong-verifier-wrong-verifier-wrong-verifier-x", "redirect_uri": callback}
	if _, err := e.client.Continue(ctx, bad, q, banks.SCARequest{State: "s2", RedirectURI: callback}, request()); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("wrong verifier: %v", err)
	}
	q = e.consent(t, created.RedirectURL, "approve")
	next, err := e.client.Continue(ctx, o, q, banks.SCARequest{State: "s2", RedirectURI: callback}, request())
	if err != nil || next.PaymentID == "" || !strings.Contains(next.RedirectURL, "/sca?payment=") || next.Extra["refresh_token"] == "" {
		t.Fatalf("continue: %+v %v", next, err)
	}
	po := banks.Order{BIC: paysera.BIC, PaymentID: next.PaymentID, PSU: request().PSU, Extra: next.Extra}
	if st, err := e.client.Status(ctx, po); err != nil || st != "RCVD" {
		t.Fatalf("status %s %v", st, err)
	}
	var be *banks.Error
	unknown := po
	unknown.PaymentID = "unknown"
	if err := e.client.Cancel(ctx, unknown); !errors.As(err, &be) || be.Status != 404 {
		t.Fatalf("unknown: %v", err)
	}
	// Tokens are refreshed when the bank stops accepting them.
	e.fake.ExpireTokens()
	po.Extra["expiry"] = time.Now().Add(-time.Minute).Format(time.RFC3339)
	spent := po.Extra["refresh_token"]
	if _, err := e.client.Status(ctx, po); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	// Paysera rotates refresh tokens: the new pair is in the order's Extra (which the checkout
	// stores), so a server started afresh, with none in memory, can still ask about the payment.
	if po.Extra["refresh_token"] == "" || po.Extra["refresh_token"] == spent {
		t.Fatal("the rotated refresh token was not handed back in Extra")
	}
	restarted := paysera.New(paysera.Config{APIURL: e.sb.PayseraAPIURL, AuthorizeURL: e.pages.URL + "/oauth/authorize", ClientID: sandbox.ClientID,
		HTTPClient: e.sb.PayseraClient, Backoff: time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	e.fake.ExpireTokens()
	po.Extra["expiry"] = time.Now().Add(-time.Minute).Format(time.RFC3339)
	if _, err := restarted.Status(ctx, po); err != nil {
		t.Fatalf("after a restart, with the stored tokens: %v", err)
	}
	stale := po
	stale.Extra = maps.Clone(po.Extra)
	stale.Extra["refresh_token"] = spent
	e.fake.ExpireTokens()
	if _, err := paysera.New(paysera.Config{APIURL: e.sb.PayseraAPIURL, ClientID: sandbox.ClientID, HTTPClient: e.sb.PayseraClient,
		Backoff: time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).Status(ctx, stale); err == nil {
		t.Fatal("the fake accepted a spent refresh token: it must be as strict as Paysera")
	}
	// Cancel: 204, then 405 once decided (by the restarted server: its tokens are the newest).
	if err := restarted.Cancel(ctx, po); err != nil {
		t.Fatal(err)
	}
	if err := restarted.Cancel(ctx, po); !errors.As(err, &be) || be.Status != 405 || be.Code != "CANCELLATION_INVALID" {
		t.Fatalf("second cancel: %v", err)
	}
}

func TestRetriesAndRateLimit(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	created, _ := e.client.CreatePayment(ctx, request())
	q := e.consent(t, created.RedirectURL, "approve")
	e.fake.FailNext(2, 503)
	next, err := e.client.Continue(ctx, banks.Order{Extra: created.Extra, PSU: request().PSU}, q, banks.SCARequest{State: "s", RedirectURI: callback}, request())
	if err != nil {
		t.Fatalf("503 twice then success: %v", err)
	}
	e.fake.SetRemaining(10) // under 20 % of 100 left
	po := banks.Order{PaymentID: next.PaymentID, PSU: request().PSU, Extra: next.Extra}
	if _, err := e.client.Status(ctx, po); err != nil {
		t.Fatal(err)
	}
	if !e.client.SlowedDown() {
		t.Fatal("the connector did not slow down below 20 % remaining")
	}
	e.fake.SetRemaining(100)
	e.client.Status(ctx, po)
	if e.client.SlowedDown() {
		t.Fatal("still slowed down with the budget back")
	}
}

func TestFakeDemandsClientCertificateAndDigest(t *testing.T) {
	e := setup(t)
	// No client certificate: the TLS handshake succeeds, the API answers 403.
	tr := e.sb.PayseraClient.Transport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: tr.TLSClientConfig.RootCAs}
	resp, err := (&http.Client{Transport: tr}).Get(e.sb.PayseraAPIURL + "/v1/payments/sepa-credit-transfers/x")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != 403 {
			t.Fatalf("without a client certificate: %d", resp.StatusCode)
		}
	}
	// A body that does not match its Digest is refused (with a valid token from a real consent).
	ctx := context.Background()
	created, _ := e.client.CreatePayment(ctx, request())
	q := e.consent(t, created.RedirectURL, "approve")
	next, err := e.client.Continue(ctx, banks.Order{Extra: created.Extra, PSU: request().PSU}, q, banks.SCARequest{State: "s", RedirectURI: callback}, request())
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", e.sb.PayseraAPIURL+"/v1/payments/sepa-credit-transfers", strings.NewReader(`{"instructedAmount":{"currency":"EUR","amount":"1.00"}}`))
	req.Header.Set("Authorization", "Bearer "+next.Extra["access_token"])
	req.Header.Set("X-Request-ID", "6f7b2c56-64f4-4a39-8f7e-0d1c8c1a2b3c")
	req.Header.Set("Digest", "SHA-256=AAAA")
	resp, err = e.sb.PayseraClient.Do(req)
	if err != nil || resp.StatusCode != 400 {
		t.Fatalf("bad digest: %v %v", resp, err)
	}
	resp.Body.Close()
}
