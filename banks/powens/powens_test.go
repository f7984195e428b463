package powens_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"paybybank/banks"
	"paybybank/banks/powens"
	"paybybank/banks/powens/powenstest"
)

const callback = "https://pay.example/callback"

func setup(t *testing.T) (*powens.Client, *powenstest.Fake, *httptest.Server) {
	fake := powenstest.New("cid", "secret")
	fake.RedirectURIs = []string{callback}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	c := powens.New(powens.Config{BaseURL: srv.URL, ClientID: "cid", ClientSecret: "secret", OrgLegalStatus: "SAS",
		Backoff: time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return c, fake, srv
}

func request(label, connector string) banks.PaymentRequest {
	return banks.PaymentRequest{BIC: "POWENSFR", Affiliate: connector, Amount: "50.90", AmountMinor: 5090, Currency: "EUR",
		CreditorName: "ACME Corp.", Creditor: banks.Account{IBAN: "FR1420041010050500013M02606"}, Reference: label,
		State: "st", RedirectURI: callback}
}

func TestCreateAndWebviewURL(t *testing.T) {
	c, _, srv := setup(t)
	ctx := context.Background()
	list, err := c.Banks(ctx)
	if err != nil || len(list) != 3 || list[0].Country != "FR" {
		t.Fatalf("banks %v %v", list, err)
	}
	created, err := c.CreatePayment(ctx, request("Order 1", list[0].Affiliate))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(created.RedirectURL)
	q := u.Query()
	if !strings.HasPrefix(created.RedirectURL, srv.URL+"/auth/webview/payment?") || q.Get("client_id") != "cid" || q.Get("redirect_uri") != callback ||
		q.Get("state") != "st" || q.Get("code") == "" || q.Get("payment_id") != created.PaymentID {
		t.Fatalf("webview URL %s", created.RedirectURL)
	}
	st, err := c.Status(ctx, banks.Order{PaymentID: created.PaymentID})
	if err != nil || st != "PDNG" {
		t.Fatalf("status of a created payment: %s %v", st, err)
	}
	if err := c.FinishRedirect(ctx, banks.Order{PaymentID: created.PaymentID}, url.Values{"id_payment": {"999"}}); err == nil {
		t.Fatal("a callback for another payment was accepted")
	}
	if err := c.FinishRedirect(ctx, banks.Order{PaymentID: created.PaymentID}, url.Values{"error": {"cancelled"}}); !banks.IsDenied(err) {
		t.Fatalf("cancel: %v", err)
	}
}

func TestFakeIsStrict(t *testing.T) {
	_, _, srv := setup(t)
	post := func(path, token, body string) int {
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	resp, _ := http.Post(srv.URL+"/auth/token", "application/json", strings.NewReader(`{"grant_type":"client_credentials","client_id":"cid","client_secret":"secret","scope":"payments:admin"}`))
	var tok struct{ Token string }
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	good := `{"client_redirect_uri":"` + callback + `","client_state":"s","instructions":[{"label":"x","amount":10.5,"currency":"EUR","execution_date_type":"instant","beneficiary":{"scheme_name":"iban","identification":"FR1420041010050500013M02606","label":"ACME"},"beneficiary_identity":{"kind":"corporate","org_name":"ACME"}}],"payer_identity":{"kind":"individual"}}`
	if code := post("/payments", tok.Token, good); code != 200 {
		t.Fatalf("baseline %d", code)
	}
	for name, tc := range map[string]struct {
		token, body string
		code        int
	}{
		"no token":            {"", good, 401},
		"amount as string":    {tok.Token, strings.Replace(good, `10.5`, `"10.50"`, 1), 400},
		"three decimals":      {tok.Token, strings.Replace(good, `10.5`, `10.505`, 1), 400},
		"unregistered return": {tok.Token, strings.Replace(good, callback, "https://evil.example/cb", 1), 400},
		"no identity":         {tok.Token, strings.Replace(good, `"beneficiary_identity":{"kind":"corporate","org_name":"ACME"}`, `"beneficiary_identity":{}`, 1), 400},
	} {
		if code := post("/payments", tc.token, tc.body); code != tc.code {
			t.Errorf("%s: %d, want %d", name, code, tc.code)
		}
	}
	if code := post("/auth/token", "", `{"grant_type":"client_credentials","client_id":"cid","client_secret":"wrong","scope":"payments:admin"}`); code != 401 {
		t.Errorf("wrong secret: %d", code)
	}
	r2, _ := http.Get(srv.URL + "/auth/webview/payment?client_id=cid&code=forged&payment_id=1001")
	if r2.StatusCode != 400 {
		t.Errorf("forged webview code: %d", r2.StatusCode)
	}
}
