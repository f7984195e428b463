package sbm_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"paybybank/banks"
	"paybybank/banks/httpsig"
	"paybybank/banks/sbm"
	"paybybank/banks/sbm/sbmtest"
)

const bic = "SPAVNOBB"

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// certificates the connector is tested with: a plain self-signed one, as the sandbox uses, and one
// issued by a CA named as qualified trust service providers name theirs.
var certificates = []struct {
	name string
	make func() (*x509.Certificate, *rsa.PrivateKey, error)
}{
	{"plain-cert", func() (*x509.Certificate, *rsa.PrivateKey, error) { return httpsig.NewTestCertificate("Shop AS") }},
	{"qualified-cert", func() (*x509.Certificate, *rsa.PrivateKey, error) {
		return httpsig.NewTestCertificateIssuedBy("Shop AS", httpsig.QualifiedCAName)
	}},
}

// bank is the fake behind a recorder of the requests it was sent, with an optional handler in
// front (to answer instead of the fake).
type bank struct {
	fake   *sbmtest.Fake
	srv    *httptest.Server
	mu     sync.Mutex
	seen   []*http.Request
	before func(w http.ResponseWriter, r *http.Request) bool // true: answered, the fake is not asked
}

func (b *bank) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	b.seen = append(b.seen, r.Clone(context.Background()))
	before := b.before
	b.mu.Unlock()
	if before != nil && before(w, r) {
		return
	}
	b.fake.ServeHTTP(w, r)
}

func (b *bank) requests() []*http.Request {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]*http.Request(nil), b.seen...)
}

func setup(t *testing.T, forms sbmtest.Forms, newCert func() (*x509.Certificate, *rsa.PrivateKey, error)) (*sbm.Client, *bank) {
	t.Helper()
	b := &bank{fake: sbmtest.New("Sparebanken Møre")}
	b.fake.Forms = forms
	b.srv = httptest.NewServer(b)
	t.Cleanup(b.srv.Close)
	b.fake.BaseURL = b.srv.URL
	cert, key, err := newCert()
	if err != nil {
		t.Fatal(err)
	}
	b.fake.Trust(cert)
	c := sbm.New(sbm.Config{Banks: []sbm.Bank{{BIC: bic, Name: "Sparebanken Møre", BaseURL: b.srv.URL}}, Cert: cert, Key: key,
		HTTPClient: &http.Client{Timeout: 5 * time.Second}, Backoff: time.Millisecond, MaxAttempts: 3, Logger: quiet})
	return c, b
}

// psu comes with its port, as a remote address does: the bank wants the address alone.
var psu = banks.PSU{IPAddress: "[2001:db8::7]:51234", UserAgent: "test"}

func request(currency string) banks.PaymentRequest {
	return banks.PaymentRequest{BIC: bic, Amount: "100.00", AmountMinor: 10000, Currency: currency, CreditorName: "Butikk AS",
		Creditor: banks.Account{IBAN: "NO9386011117947"}, Reference: "Ordre 7", PSU: psu, State: "s1", RedirectURI: "https://pay.example/callback"}
}

func order(c *banks.Created) banks.Order {
	return banks.Order{BIC: bic, Product: c.Product, PaymentID: c.PaymentID, PSU: psu, Extra: c.Extra}
}

// decide answers the bank's SCA page as a browser would: it follows the href, escaping what a
// browser escapes in it (the spaces of seed 004's raw query tail).
func decide(t *testing.T, href, decision string) *http.Response {
	t.Helper()
	href = strings.ReplaceAll(href, " ", "%20")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(href, url.Values{"decision": {decision}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// everyCall makes each of the connector's calls once, to a NOK payment: create, start
// authorisation, status, cancel.
func everyCall(t *testing.T, c *sbm.Client) {
	t.Helper()
	ctx := context.Background()
	created, err := c.CreatePayment(ctx, request("NOK"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.StartSCA(ctx, order(created), banks.SCARequest{State: "s1", RedirectURI: "https://pay.example/callback"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Status(ctx, order(created)); err != nil {
		t.Fatal(err)
	}
	if err := c.Cancel(ctx, order(created)); err != nil {
		t.Fatal(err)
	}
}

// TestEveryForm runs the whole payment in every form the documents allow, with both certificates.
func TestEveryForm(t *testing.T) {
	for _, f := range sbmtest.AllForms() {
		for _, cc := range certificates {
			t.Run(f.Name+"/"+cc.name, func(t *testing.T) {
				c, b := setup(t, f.Forms, cc.make)
				ctx := context.Background()
				for _, tt := range []struct{ currency, product, decision, status string }{
					{"NOK", "norwegian-domestic-credit-transfers", "approve", "ACSC"},
					{"EUR", "sepa-credit-transfers", "deny", "RJCT"},
				} {
					created, err := c.CreatePayment(ctx, request(tt.currency))
					if err != nil {
						t.Fatal(err)
					}
					if !strings.ContainsAny(created.PaymentID, "!=/") || created.Product != tt.product || created.BankStatus != "RCVD" {
						t.Fatalf("created %+v", created)
					}
					sca, err := c.StartSCA(ctx, order(created), banks.SCARequest{State: "s1", RedirectURI: "https://pay.example/callback"})
					if err != nil || sca.Approach != banks.Redirect || !strings.HasPrefix(sca.RedirectURL, b.srv.URL+"/sca?payment=") {
						t.Fatalf("sca %+v %v", sca, err)
					}
					if f.Forms.RawRedirectQuery && !strings.HasSuffix(sca.RedirectURL, "&locale=no-NB, no; q=1.0") {
						t.Fatalf("the scaRedirect was changed on its way: %s", sca.RedirectURL)
					}
					if want := map[bool]string{true: "STARTED", false: "RECEIVED"}[f.Forms.ScaStatusStarted]; !f.Forms.Identify401 && sca.Status != want {
						t.Errorf("scaStatus %q, want %q", sca.Status, want)
					}
					resp := decide(t, sca.RedirectURL, tt.decision)
					if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "https://pay.example/callback?state=s1") {
						t.Fatalf("bank page: %d %s", resp.StatusCode, resp.Header.Get("Location"))
					}
					if st, err := c.Status(ctx, order(created)); err != nil || st != tt.status {
						t.Fatalf("status %s %v", st, err)
					}
				}
				// A payment not yet authorised can be cancelled; one unknown to the bank is a 404
				// whatever the body's own "status" says.
				created, err := c.CreatePayment(ctx, request("SEK"))
				if err != nil || created.Product != "cross-border-credit-transfers" {
					t.Fatalf("cross-border: %+v %v", created, err)
				}
				if err := c.Cancel(ctx, order(created)); err != nil || b.fake.Status(created.PaymentID) != "CANC" {
					t.Fatalf("cancel: %v, fake says %s", err, b.fake.Status(created.PaymentID))
				}
				o := order(created)
				o.PaymentID += "x"
				_, err = c.Status(ctx, o)
				var be *banks.Error
				if !errors.As(err, &be) || be.Status != 404 || be.Code != "RESOURCE_UNKNOWN" || be.Message == "" {
					t.Fatalf("unknown payment: %v", err)
				}
			})
		}
	}
}

// TestSignedRequests checks what the bank is sent on each call: the signed header list and its
// order, Digest (also of an empty body), a current Date, the certificate, a fresh X-Request-ID
// on every try, PSU-IP-Address as an address alone.
func TestSignedRequests(t *testing.T) {
	c, b := setup(t, sbmtest.Forms{}, certificates[1].make)
	failed := false
	b.before = func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == "GET" && !failed { // one 503 on the status: the retry must be signed afresh
			failed = true
			w.WriteHeader(503)
			return true
		}
		return false
	}
	everyCall(t, c)
	want := []struct{ method, headers string }{
		{"POST", "date digest x-request-id tpp-redirect-uri"},
		{"POST", "date digest x-request-id tpp-redirect-uri"},
		{"GET", "date digest x-request-id"},
		{"GET", "date digest x-request-id"},
		{"DELETE", "date digest x-request-id"},
	}
	seen := b.requests()
	if len(seen) != len(want) {
		t.Fatalf("%d requests, want %d", len(seen), len(want))
	}
	ids := map[string]bool{}
	for i, r := range seen {
		p, err := httpsig.Parse(r.Header.Get("Signature"))
		if err != nil || r.Method != want[i].method || strings.Join(p.Headers, " ") != want[i].headers || p.Algorithm != "rsa-sha256" {
			t.Errorf("request %d: %s headers=%q algorithm=%q (%v), want %s %q", i, r.Method, p.Headers, p.Algorithm, err, want[i].method, want[i].headers)
		}
		if !strings.HasPrefix(r.Header.Get("Signature"), "=?utf-8?B?") || strings.Contains(r.Header.Get("Signature"), " ") {
			t.Errorf("request %d: the non-ASCII Signature is not one encoded word: %s", i, r.Header.Get("Signature"))
		}
		if r.Method != "POST" && r.Header.Get("Digest") != "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" {
			t.Errorf("request %d: Digest of the empty body is %q", i, r.Header.Get("Digest"))
		}
		if d, err := http.ParseTime(r.Header.Get("Date")); err != nil || time.Since(d) > time.Minute {
			t.Errorf("request %d: Date %q", i, r.Header.Get("Date"))
		}
		if r.Header.Get("TPP-Signature-Certificate") == "" || r.Header.Get("PSU-IP-Address") != "2001:db8::7" {
			t.Errorf("request %d: certificate %.20q, PSU-IP-Address %q", i, r.Header.Get("TPP-Signature-Certificate"), r.Header.Get("PSU-IP-Address"))
		}
		ids[r.Header.Get("X-Request-ID")] = true
	}
	if len(ids) != len(seen) {
		t.Errorf("%d X-Request-IDs for %d tries", len(ids), len(seen))
	}
}

// TestConfigurationError: a signature or certificate the bank refuses, with 401 or 400, is
// reported as our configuration, not as a passing failure.
func TestConfigurationError(t *testing.T) {
	tests := []struct {
		name   string
		forms  sbmtest.Forms
		break_ func(*testing.T, *bank) *sbm.Client // nil: the client of setup
		status int
		code   string
	}{
		{"signature 401", sbmtest.Forms{}, nil, 401, "SIGNATURE_INVALID"},
		{"signature 400", sbmtest.Forms{SignatureErrorsAs400: true}, nil, 400, "SIGNATURE_INVALID"},
		{"certificate 401", sbmtest.Forms{}, func(t *testing.T, b *bank) *sbm.Client {
			cert, key, err := httpsig.NewTestCertificate("Stranger AS")
			if err != nil {
				t.Fatal(err)
			}
			return sbm.New(sbm.Config{Banks: []sbm.Bank{{BIC: bic, BaseURL: b.srv.URL}}, Cert: cert, Key: key, Logger: quiet})
		}, 401, "CERTIFICATE_INVALID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, b := setup(t, tt.forms, certificates[1].make)
			if tt.break_ != nil {
				c = tt.break_(t, b)
			} else {
				b.fake.Now = func() time.Time { return time.Now().Add(10 * time.Minute) } // our Date is stale to the bank
			}
			_, err := c.CreatePayment(context.Background(), request("NOK"))
			var be *banks.Error
			if !errors.As(err, &be) || be.Status != tt.status || be.Code != tt.code || be.Retryable ||
				!strings.Contains(be.Message, "configuration") || !strings.Contains(be.Message, "PAYBYBANK_SBM_CERT_FILE") {
				t.Fatalf("got %v, want a %d %s configuration error", err, tt.status, tt.code)
			}
		})
	}
}

// TestFakeRejects: what the bank refuses reaches the caller with its code.
func TestFakeRejects(t *testing.T) {
	tests := map[string]struct {
		mutate func(*http.Request)
		code   string
	}{
		"body does not match Digest": {func(r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			body = bytes.Replace(body, []byte("100.00"), []byte("900.00"), 1)
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		}, "SIGNATURE_INVALID"},
		"wrong header order": {func(r *http.Request) {
			v, _ := httpsig.Parse(r.Header.Get("Signature"))
			r.Header.Set("Signature", `keyId="`+v.KeyID+`",algorithm="rsa-sha256",headers="x-request-id date digest tpp-redirect-uri",signature="`+v.Signature+`"`)
		}, "SIGNATURE_INVALID"},
		// Not signed: removing it leaves the signature valid, and the bank's own rule catches it.
		"missing PSU-IP-Address": {func(r *http.Request) { r.Header.Del("PSU-IP-Address") }, "FORMAT_ERROR"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c, b := setup(t, sbmtest.Forms{}, certificates[0].make)
			b.before = func(w http.ResponseWriter, r *http.Request) bool { tt.mutate(r); return false }
			_, err := c.CreatePayment(context.Background(), request("NOK"))
			var be *banks.Error
			if !errors.As(err, &be) || be.Code != tt.code {
				t.Fatalf("got %v, want %s", err, tt.code)
			}
		})
	}
}

func TestProducts(t *testing.T) {
	plain, instant := sbm.New(sbm.Config{}), sbm.New(sbm.Config{Instant: true})
	for cur, want := range map[string]string{"NOK": "norwegian-domestic-credit-transfers", "EUR": "sepa-credit-transfers", "SEK": "cross-border-credit-transfers"} {
		if got := plain.Product(cur); got != want {
			t.Errorf("%s: %s, want %s", cur, got, want)
		}
	}
	if got := instant.Product("NOK"); got != "instant-norwegian-domestic-credit-transfers-straks" {
		t.Errorf("instant NOK: %s", got)
	}
}
