package sbm_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"paybybank/banks"
	"paybybank/banks/httpsig"
	"paybybank/banks/sbm"
	"paybybank/banks/sbm/sbmtest"
)

type rewrite func(*http.Request)

func (f rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	f(r)
	return http.DefaultTransport.RoundTrip(r)
}

func setup(t *testing.T, mutate func(*http.Request)) (*sbm.Client, *sbmtest.Fake) {
	t.Helper()
	fake := sbmtest.New("Sparebanken Møre")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	fake.BaseURL = srv.URL
	cert, key, err := httpsig.NewTestCertificate("Shop AS")
	if err != nil {
		t.Fatal(err)
	}
	fake.Trust(cert)
	hc := &http.Client{Timeout: 5 * time.Second}
	if mutate != nil {
		hc.Transport = rewrite(mutate)
	}
	c := sbm.New(sbm.Config{Banks: []sbm.Bank{{BIC: "SPAVNOBB", Name: "Sparebanken Møre", BaseURL: srv.URL}}, Cert: cert, Key: key,
		HTTPClient: hc, Backoff: time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return c, fake
}

var psu = banks.PSU{IPAddress: "192.0.2.7", UserAgent: "test"}

func request(currency string) banks.PaymentRequest {
	return banks.PaymentRequest{BIC: "SPAVNOBB", Amount: "100.00", AmountMinor: 10000, Currency: currency, CreditorName: "Butikk AS",
		Creditor: banks.Account{IBAN: "NO9386011117947"}, Reference: "Ordre 7", PSU: psu, State: "s1", RedirectURI: "https://pay.example/callback"}
}

func TestPaymentAndRedirect(t *testing.T) {
	c, fake := setup(t, nil)
	ctx := context.Background()
	created, err := c.CreatePayment(ctx, request("NOK"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.ContainsAny(created.PaymentID, "!=/") || created.Product != "norwegian-domestic-credit-transfers" {
		t.Fatalf("created %+v", created)
	}
	o := banks.Order{BIC: "SPAVNOBB", Product: created.Product, PaymentID: created.PaymentID, PSU: psu}
	sca, err := c.StartSCA(ctx, o, banks.SCARequest{State: "s1", RedirectURI: "https://pay.example/callback"})
	if err != nil || sca.Approach != banks.Redirect || !strings.Contains(sca.RedirectURL, "/sca?payment=") {
		t.Fatalf("sca %+v %v", sca, err)
	}
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).PostForm(sca.RedirectURL, url.Values{"decision": {"approve"}})
	if err != nil || resp.StatusCode != 303 || resp.Header.Get("Location") != "https://pay.example/callback?state=s1" {
		t.Fatalf("bank page: %v %v", resp, err)
	}
	if st, err := c.Status(ctx, o); err != nil || st != "ACSC" {
		t.Fatalf("status %s %v", st, err)
	}
	if fake.Status(created.PaymentID) != "ACSC" {
		t.Fatal("fake disagrees")
	}
	// EUR goes as SEPA with an IBAN; the 401-with-scaRedirect start is followed.
	fake.IdentifyFirst = true
	eur, err := c.CreatePayment(ctx, request("EUR"))
	if err != nil || eur.Product != "sepa-credit-transfers" {
		t.Fatalf("EUR: %+v %v", eur, err)
	}
	sca, err = c.StartSCA(ctx, banks.Order{BIC: "SPAVNOBB", Product: eur.Product, PaymentID: eur.PaymentID, PSU: psu}, banks.SCARequest{State: "s2", RedirectURI: "https://pay.example/callback"})
	if err != nil || sca.RedirectURL == "" {
		t.Fatalf("401 with scaRedirect: %+v %v", sca, err)
	}
}

func TestFakeRejects(t *testing.T) {
	tests := map[string]struct {
		mutate func(*http.Request)
		code   string
	}{
		"stale Date": {func(r *http.Request) {}, "SIGNATURE_INVALID"},
		"body does not match Digest": {func(r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			b = bytes.Replace(b, []byte("100.00"), []byte("900.00"), 1)
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		}, "SIGNATURE_INVALID"},
		"wrong header order": {func(r *http.Request) {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), "date digest x-request-id", "x-request-id date digest", 1))
		}, "SIGNATURE_INVALID"},
		"missing PSU-IP-Address": {func(r *http.Request) { r.Header.Del("PSU-IP-Address") }, "SIGNATURE_INVALID"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c, fake := setup(t, tt.mutate)
			if name == "stale Date" {
				fake.Now = func() time.Time { return time.Now().Add(10 * time.Minute) }
			}
			if name == "missing PSU-IP-Address" {
				// Removing a header after signing leaves the signature valid (it is not signed): the
				// bank's own rule catches it.
				tt.code = "FORMAT_ERROR"
			}
			_, err := c.CreatePayment(context.Background(), request("NOK"))
			var be *banks.Error
			if !errors.As(err, &be) || be.Code != tt.code {
				t.Fatalf("got %v, want %s", err, tt.code)
			}
		})
	}
	t.Run("untrusted certificate", func(t *testing.T) {
		fake := sbmtest.New("Sparebanken Møre")
		srv := httptest.NewServer(fake)
		defer srv.Close()
		cert, key, _ := httpsig.NewTestCertificate("Stranger AS")
		c := sbm.New(sbm.Config{Banks: []sbm.Bank{{BIC: "SPAVNOBB", BaseURL: srv.URL}}, Cert: cert, Key: key, Backoff: time.Millisecond,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		_, err := c.CreatePayment(context.Background(), request("NOK"))
		var be *banks.Error
		if !errors.As(err, &be) || be.Code != "CERTIFICATE_INVALID" {
			t.Fatalf("got %v", err)
		}
	})
}

func TestProducts(t *testing.T) {
	c, _ := setup(t, nil)
	instant := sbm.New(sbm.Config{Instant: true})
	for cur, want := range map[string]string{"NOK": "norwegian-domestic-credit-transfers", "EUR": "sepa-credit-transfers", "SEK": "cross-border-credit-transfers"} {
		if got := c.Product(cur); got != want {
			t.Errorf("%s: %s, want %s", cur, got, want)
		}
	}
	if got := instant.Product("NOK"); got != "instant-norwegian-domestic-credit-transfers-straks" {
		t.Errorf("instant NOK: %s", got)
	}
	// A cross-border payment goes through too.
	req := request("SEK")
	if created, err := c.CreatePayment(context.Background(), req); err != nil || created.Product != "cross-border-credit-transfers" {
		t.Fatalf("cross-border: %+v %v", created, err)
	}
}
