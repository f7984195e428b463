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
	"slices"
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
	sb     *paysera.SandboxAPI
	fake   *payseratest.Fake
	forms  payseratest.Forms
	client *paysera.Client
	pages  *httptest.Server
}

// forEachForm runs test in every form of answer the documents allow.
func forEachForm(t *testing.T, test func(t *testing.T, e *env)) {
	for _, f := range payseratest.AllForms() {
		t.Run(f.Name, func(t *testing.T) { test(t, setup(t, f.Forms)) })
	}
}

func setup(t *testing.T, forms payseratest.Forms) *env {
	t.Helper()
	fake := payseratest.New(sandbox.ClientID)
	sb, err := paysera.StartSandboxAPI(fake)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	if !strings.HasSuffix(sb.URL, "/xs2a/berlin/1.3") {
		t.Fatalf("the sandbox's API URL %s does not end in Paysera's base path", sb.URL)
	}
	fake.Forms = forms
	pages := httptest.NewServer(fake.PageHandler())
	t.Cleanup(pages.Close)
	fake.PageURL = pages.URL
	fake.RedirectURIs = []string{callback}
	e := &env{sb: sb, fake: fake, forms: forms, pages: pages}
	e.client = e.newClient()
	return e
}

// newClient is a connector as a freshly started server has it, with nothing in memory.
func (e *env) newClient() *paysera.Client {
	return paysera.New(paysera.Config{APIURL: e.sb.URL, AuthorizeURL: e.pages.URL + "/oauth/authorize", ClientID: sandbox.ClientID,
		HTTPClient: e.sb.Client, Backoff: time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func request() banks.PaymentRequest {
	return banks.PaymentRequest{BIC: paysera.BIC, Amount: "19.99", AmountMinor: 1999, Currency: "EUR", CreditorName: "Parduotuvė UAB",
		Creditor: banks.Account{IBAN: "LT121000011101001000"}, Reference: "Užsakymas 5", PSU: banks.PSU{IPAddress: "192.0.2.9"},
		State: "s1", RedirectURI: callback}
}

// page posts a decision on one of Paysera's pages and returns the query it sends the shopper back with.
func (e *env) page(t *testing.T, link, decision string) url.Values {
	t.Helper()
	u, _ := url.Parse(link)
	form := u.Query()
	form.Set("decision", decision)
	resp, err := noFollow.PostForm(e.pages.URL+u.Path, form)
	if err != nil || resp.StatusCode != 303 {
		t.Fatalf("%s: %v %v", u.Path, resp, err)
	}
	resp.Body.Close()
	back, _ := url.Parse(resp.Header.Get("Location"))
	return back.Query()
}

// pay runs the consent and the creation, and returns the order as the checkout keeps it.
func (e *env) pay(t *testing.T) (banks.Order, *banks.Created) {
	t.Helper()
	ctx := context.Background()
	created, err := e.client.CreatePayment(ctx, request())
	if err != nil || created.Extra["verifier"] == "" || created.PaymentID != "" {
		t.Fatalf("authorize step: %+v %v", created, err)
	}
	q := e.page(t, created.RedirectURL, "approve")
	if q.Get("state") != "s1" || q.Get("code") == "" {
		t.Fatalf("callback %v", q)
	}
	next, err := e.client.Continue(ctx, banks.Order{BIC: paysera.BIC, PSU: request().PSU, Extra: created.Extra}, q,
		banks.SCARequest{State: "s2", RedirectURI: callback}, request())
	if err != nil || next.PaymentID == "" || next.Extra["refresh_token"] == "" {
		t.Fatalf("continue: %+v %v", next, err)
	}
	if next.RedirectURL != e.pages.URL+"/sca?payment="+next.PaymentID {
		t.Fatalf("scaRedirect %s", next.RedirectURL)
	}
	return banks.Order{BIC: paysera.BIC, PaymentID: next.PaymentID, PSU: request().PSU, Extra: next.Extra}, next
}

func (e *env) count(call string) int {
	n := 0
	for _, c := range e.fake.Calls() {
		if c == call {
			n++
		}
	}
	return n
}

func TestPKCEFlowAndPayment(t *testing.T) {
	forEachForm(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		// A wrong verifier is refused by the bank: the code is bound to the challenge.
		created, _ := e.client.CreatePayment(ctx, request())
		q := e.page(t, created.RedirectURL, "approve")
		bad := banks.Order{Extra: map[string]string{"verifier": "wrong-verifier-wrong-verifier-wrong-verifier-x", "redirect_uri": callback}}
		if _, err := e.client.Continue(ctx, bad, q, banks.SCARequest{State: "s2", RedirectURI: callback}, request()); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
			t.Fatalf("wrong verifier: %v", err)
		}
		// The token endpoint is the one the metadata names, relative or absolute.
		if e.count("GET /.well-known/oauth-authorization-server") != 1 || e.count("POST /oauth/token") != 1 {
			t.Fatalf("calls %v", e.fake.Calls())
		}
		po, _ := e.pay(t)
		if st, err := e.client.Status(ctx, po); err != nil || st != "RCVD" {
			t.Fatalf("status %s %v", st, err)
		}
		var be *banks.Error
		unknown := po
		unknown.PaymentID, unknown.Extra = "unknown", maps.Clone(po.Extra)
		delete(unknown.Extra, "link_self")
		if err := e.client.Cancel(ctx, unknown); !errors.As(err, &be) || be.Status != 404 || be.Code != "RESOURCE_UNKNOWN" {
			t.Fatalf("unknown: %v", err)
		}
		// Tokens are refreshed a minute before they expire.
		e.fake.ExpireTokens()
		po.Extra["expiry"] = time.Now().Add(30 * time.Second).Format(time.RFC3339)
		spent := po.Extra["refresh_token"]
		if _, err := e.client.Status(ctx, po); err != nil {
			t.Fatalf("after expiry: %v", err)
		}
		// A refresh token Paysera rotates is handed back in the order's Extra (which the checkout
		// stores); one it keeps (no refresh_token in the answer) stays there.
		if e.forms.RefreshKeepsToken != (po.Extra["refresh_token"] == spent) || po.Extra["refresh_token"] == "" {
			t.Fatalf("refresh token %q after refreshing %q", po.Extra["refresh_token"], spent)
		}
		// A server started afresh, with nothing in memory, still asks about the payment.
		restarted := e.newClient()
		e.fake.ExpireTokens()
		if _, err := restarted.Status(ctx, po); err != nil {
			t.Fatalf("after a restart, with the stored tokens: %v", err)
		}
		if !e.forms.RefreshKeepsToken {
			stale := po
			stale.Extra = maps.Clone(po.Extra)
			stale.Extra["refresh_token"] = spent
			e.fake.ExpireTokens()
			if _, err := e.newClient().Status(ctx, stale); err == nil {
				t.Fatal("the fake accepted a spent refresh token: it must be as strict as Paysera")
			}
		}
		// Cancel: 204, then 405 once decided.
		if err := restarted.Cancel(ctx, po); err != nil {
			t.Fatal(err)
		}
		if err := restarted.Cancel(ctx, po); !errors.As(err, &be) || be.Status != 405 || be.Code != "CANCELLATION_INVALID" {
			t.Fatalf("second cancel: %v", err)
		}
	})
}

// Issue 12, item 5: any 401 on a call that carried a token (TOKEN_INVALID, TOKEN_EXPIRED, or none
// at all, as the seed's ApiErrorHandler has it) gets one refresh and one retry.
func TestRejectedTokenRefreshedOnce(t *testing.T) {
	forEachForm(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		po, _ := e.pay(t)
		old := po.Extra["access_token"]
		if !e.fake.ExpireToken(old) {
			t.Fatal("the fake did not issue the token")
		}
		// Our own record says the token is good for an hour: only Paysera's 401 tells otherwise.
		tokens, calls := e.count("POST /oauth/token"), len(e.fake.Calls())
		st, err := e.client.Status(ctx, po)
		if err != nil || st != "RCVD" {
			t.Fatalf("status with a token Paysera expired early: %q %v", st, err)
		}
		if got := e.count("POST /oauth/token") - tokens; got != 1 {
			t.Fatalf("%d token requests, want one refresh", got)
		}
		if got := len(e.fake.Calls()) - calls; got != 3 {
			t.Fatalf("%d calls, want the refused one, the refresh and the retry: %v", got, e.fake.Calls()[calls:])
		}
		if po.Extra["access_token"] == old || po.Extra["access_token"] == "" {
			t.Fatal("the new access token was not kept in the order's Extra")
		}
		// A token that is refused again after the refresh is an error, not a loop.
		e.fake.ExpireTokens()
		blocked := po
		blocked.Extra = maps.Clone(po.Extra)
		blocked.Extra["refresh_token"] = "unknown"
		var be *banks.Error
		if _, err := e.newClient().Status(ctx, blocked); !errors.As(err, &be) || be.Code != "invalid_grant" {
			t.Fatalf("refresh refused: %v", err)
		}
	})
}

// Issue 12, items 2 and 3: the links of the creation's answer, strings or {href}, relative to the
// API base, to the host or absolute, are followed for status and cancel.
func TestLinksFollowed(t *testing.T) {
	forEachForm(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		po, _ := e.pay(t)
		resource := "/v1/payments/sepa-credit-transfers/" + po.PaymentID
		status := "GET " + resource
		if e.forms.APILinks != payseratest.LinksNone {
			status += "/status"
		}
		if _, err := e.client.Status(ctx, po); err != nil {
			t.Fatal(err)
		}
		if err := e.client.Cancel(ctx, po); err != nil {
			t.Fatal(err)
		}
		calls := e.fake.Calls()
		if got := calls[len(calls)-2:]; !slices.Equal(got, []string{status, "DELETE " + resource}) {
			t.Fatalf("calls %v, want %s then DELETE %s", got, status, resource)
		}
	})
}

// A link to another host is refused: our token goes to Paysera only.
func TestForeignLinkRefused(t *testing.T) {
	e := setup(t, payseratest.Forms{})
	po, _ := e.pay(t)
	calls := len(e.fake.Calls())
	po.Extra["link_status"] = "https://elsewhere.example/v1/payments/sepa-credit-transfers/" + po.PaymentID + "/status"
	if _, err := e.client.Status(context.Background(), po); err == nil || !strings.Contains(err.Error(), "not the provider's host") {
		t.Fatalf("a status link to another host: %v", err)
	}
	if len(e.fake.Calls()) != calls {
		t.Fatal("a call went out")
	}
}

// Paysera's SCA page may send a shopper who refused back with no parameter at all: the status says.
func TestRefusedAtSCA(t *testing.T) {
	forEachForm(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		po, next := e.pay(t)
		q := e.page(t, next.RedirectURL, "deny")
		if err := e.client.FinishRedirect(ctx, po, q); err != nil {
			t.Fatalf("return %v: %v", q, err)
		}
		if st, err := e.client.Status(ctx, po); err != nil || st != "RJCT" {
			t.Fatalf("status %q %v", st, err)
		}
	})
}

func TestRetriesAndRateLimit(t *testing.T) {
	e := setup(t, payseratest.Forms{})
	e.fake.RateWindow = time.Hour
	ctx := context.Background()
	start := time.Now()
	created, _ := e.client.CreatePayment(ctx, request())
	q := e.page(t, created.RedirectURL, "approve")
	e.fake.FailNext(2, 503)
	next, err := e.client.Continue(ctx, banks.Order{Extra: created.Extra, PSU: request().PSU}, q, banks.SCARequest{State: "s", RedirectURI: callback}, request())
	if err != nil {
		t.Fatalf("503 twice then success: %v", err)
	}
	po := banks.Order{PaymentID: next.PaymentID, PSU: request().PSU, Extra: next.Extra}
	// Issue 12, item 4: X-RateLimit-Reset is the end of the window in epoch seconds; below 20 %
	// remaining, nothing goes out before it.
	e.fake.SetRemaining(10)
	if _, err := e.client.Status(ctx, po); err != nil {
		t.Fatal(err)
	}
	reset := start.Add(time.Hour).Truncate(time.Second)
	if until, slowed := e.client.RateLimited(); !slowed || until.Before(reset) || until.After(time.Now().Add(time.Hour)) {
		t.Fatalf("rate limited until %v (%v), want the window's end, about %v", until, slowed, reset)
	}
	calls := len(e.fake.Calls())
	short, cancel := context.WithTimeout(ctx, 2500*time.Millisecond)
	defer cancel()
	if _, err := e.client.Status(short, po); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a call before the reset, within a short context: %v", err)
	}
	if len(e.fake.Calls()) != calls {
		t.Fatal("a call went out before the rate limit's reset")
	}
}

func TestFakeDemandsClientCertificateAndDigest(t *testing.T) {
	e := setup(t, payseratest.Forms{})
	// No client certificate: the TLS handshake succeeds, the API answers 403.
	tr := e.sb.Client.Transport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: tr.TLSClientConfig.RootCAs}
	resp, err := (&http.Client{Transport: tr}).Get(e.sb.URL + "/v1/payments/sepa-credit-transfers/x")
	if err != nil || resp.StatusCode != 403 {
		t.Fatalf("without a client certificate: %v %v", resp, err)
	}
	resp.Body.Close()
	// A body that does not match its Digest is refused (with a valid token from a real consent).
	po, _ := e.pay(t)
	req, _ := http.NewRequest("POST", e.sb.URL+"/v1/payments/sepa-credit-transfers", strings.NewReader(`{"instructedAmount":{"currency":"EUR","amount":"1.00"}}`))
	req.Header.Set("Authorization", "Bearer "+po.Extra["access_token"])
	req.Header.Set("X-Request-ID", "6f7b2c56-64f4-4a39-8f7e-0d1c8c1a2b3c")
	req.Header.Set("Digest", "SHA-256=AAAA")
	resp, err = e.sb.Client.Do(req)
	if err != nil || resp.StatusCode != 400 {
		t.Fatalf("bad digest: %v %v", resp, err)
	}
	resp.Body.Close()
}
