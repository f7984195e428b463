package sibs_test

import (
	"context"
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
	"paybybank/banks/sibs"
	"paybybank/banks/sibs/sibstest"
)

// rig is the fake mounted under a path, as the sandbox mounts it (/sandbox/sibs), so that the
// bank's relative links must be resolved under the base URL's path.
type rig struct {
	fake  *sibstest.Fake
	c     *sibs.Client
	base  string
	mu    sync.Mutex
	dates []string // the Date header of every call
}

func setup(t *testing.T, clientID string, trust bool, forms sibstest.Forms) *rig {
	return setupAt(t, clientID, trust, forms, time.Now)
}

func setupAt(t *testing.T, clientID string, trust bool, forms sibstest.Forms, now func() time.Time) *rig {
	r := &rig{fake: sibstest.New("client-1")}
	r.fake.Forms, r.fake.Now = forms, now
	mux := http.NewServeMux()
	mux.Handle("/gw/", http.StripPrefix("/gw", http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.dates = append(r.dates, req.Header.Get("Date"))
		r.mu.Unlock()
		r.fake.ServeHTTP(w, req)
	})))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	r.base = srv.URL + "/gw"
	r.fake.PageURL = r.base
	cert, key, _ := httpsig.NewTestCertificate("Loja Lda")
	if trust {
		r.fake.Trust(cert)
	}
	r.c = sibs.New(sibs.Config{BaseURL: r.base, ClientID: clientID, Cert: cert, Key: key, Backoff: time.Millisecond, Now: now,
		HTTPClient: &http.Client{Timeout: 5 * time.Second}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return r
}

func request(bic string) banks.PaymentRequest {
	return banks.PaymentRequest{BIC: bic, Amount: "10.00", Currency: "EUR", CreditorName: "Loja Lda", Creditor: banks.Account{IBAN: "PT50000201231234567890154"},
		Reference: "Encomenda 1", PSU: banks.PSU{IPAddress: "192.0.2.1"}, State: "s", RedirectURI: "https://pay.example/callback"}
}

// start creates a payment and starts its SCA as the checkout does: the creation's redirect, or
// StartSCA with the creation's Extra.
func (r *rig) start(t *testing.T, bic string) (banks.Order, *banks.SCA) {
	t.Helper()
	ctx := context.Background()
	created, err := r.c.CreatePayment(ctx, request(bic))
	if err != nil {
		t.Fatalf("create at %s: %v", bic, err)
	}
	o := banks.Order{BIC: bic, Product: created.Product, PaymentID: created.PaymentID, PSU: request("").PSU, Extra: created.Extra}
	if created.RedirectURL != "" {
		return o, &banks.SCA{Approach: banks.Redirect, RedirectURL: created.RedirectURL}
	}
	sca, err := r.c.StartSCA(ctx, o, banks.SCARequest{})
	if err != nil {
		t.Fatalf("start SCA at %s: %v", bic, err)
	}
	for k, v := range sca.Extra {
		o.Extra[k] = v
	}
	if sca.Challenge == nil { // the creation's answer carried it, as the checkout keeps it
		sca.Challenge = created.Challenge
	}
	o.AuthorisationID = sca.AuthorisationID
	return o, sca
}

// accepted is the status the fake's bank gives a payment after SCA.
func accepted(f sibstest.Forms) string {
	if f.AcceptedStatus != "" {
		return f.AcceptedStatus
	}
	return "ACSC"
}

// TestRedirectBank follows the bank's redirect link (at creation, or after startAuthorisation),
// approves on its page, and comes back to our redirect URI with our state.
func TestRedirectBank(t *testing.T) {
	for _, form := range sibstest.AllForms() {
		t.Run(form.Name, func(t *testing.T) {
			r := setup(t, "client-1", true, form.Forms)
			ctx := context.Background()
			list, err := r.c.Banks(ctx)
			if err != nil || len(list) != 2 || list[0].Country != "PT" || !list[0].TSU {
				t.Fatalf("banks %v %v", list, err)
			}
			o, sca := r.start(t, "BTSTPTPL")
			if sca.Approach != banks.Redirect || !strings.HasPrefix(sca.RedirectURL, r.base+"/sca?") {
				t.Fatalf("redirect SCA %+v", sca)
			}
			page, _ := url.Parse(sca.RedirectURL)
			noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := noFollow.PostForm(sca.RedirectURL, url.Values{"payment": {page.Query().Get("payment")}, "s": {page.Query().Get("s")}, "decision": {"approve"}})
			if err != nil || resp.StatusCode != 303 || resp.Header.Get("Location") != "https://pay.example/callback?state=s" {
				t.Fatalf("approve at the bank: %v %v", resp, err)
			}
			resp.Body.Close()
			if st, err := r.c.Status(ctx, o); err != nil || st != accepted(form.Forms) {
				t.Fatalf("status %s %v", st, err)
			}
		})
	}
}

// TestEmbeddedBank reads the challenge from the creation's answer (or startAuthorisation's),
// posts the code to startAuthorisationWithTransactionAuthorisation, and decides from what the
// answer carries.
func TestEmbeddedBank(t *testing.T) {
	for _, form := range sibstest.AllForms() {
		t.Run(form.Name, func(t *testing.T) {
			r := setup(t, "client-1", true, form.Forms)
			ctx := context.Background()
			o, sca := r.start(t, "BOTPPTPL")
			if sca.Approach != banks.Embedded || sca.Challenge == nil || sca.Challenge.Method == "" {
				t.Fatalf("embedded SCA %+v", sca)
			}
			if want := sibstest.AdditionalInformation; !form.Forms.NoChallengeData && (sca.Challenge.Information != want || sca.Challenge.OTPLength != 6) {
				t.Fatalf("challenge not kept for the OTP page: %+v", sca.Challenge)
			}
			var be *banks.Error
			if _, err := r.c.SubmitOTP(ctx, o, "999999"); !errors.As(err, &be) || be.Status != 401 || be.Code != "CONSENT_INVALID" {
				t.Fatalf("wrong OTP: %v", err)
			}
			if done, err := r.c.SubmitOTP(ctx, o, sibstest.OTP); err != nil || !done {
				t.Fatalf("OTP: %v %v", done, err)
			}
			if st, err := r.c.Status(ctx, o); err != nil || st != accepted(form.Forms) {
				t.Fatalf("status %s %v", st, err)
			}
			// Three wrong codes: the bank rejects the payment, and SCA has not succeeded.
			o, _ = r.start(t, "BOTPPTPL")
			r.c.SubmitOTP(ctx, o, "111111")
			r.c.SubmitOTP(ctx, o, "111111")
			if done, err := r.c.SubmitOTP(ctx, o, "111111"); err != nil || done {
				t.Fatalf("third wrong OTP: %v %v", done, err)
			}
			if st, _ := r.c.Status(ctx, o); st != "RJCT" {
				t.Fatalf("status after three wrong codes: %s", st)
			}
		})
	}
}

// TestCancel sends the creation's TPP-Redirect-URI again, as the seed asks, and takes 200 or 204.
func TestCancel(t *testing.T) {
	for _, form := range sibstest.AllForms() {
		t.Run(form.Name, func(t *testing.T) {
			r := setup(t, "client-1", true, form.Forms)
			ctx := context.Background()
			for _, bic := range []string{"BTSTPTPL", "BOTPPTPL"} {
				o, _ := r.start(t, bic)
				if err := r.c.Cancel(ctx, o); err != nil {
					t.Fatalf("cancel at %s: %v", bic, err)
				}
				if st, err := r.c.Status(ctx, o); err != nil || st != "CANC" {
					t.Fatalf("status after cancel at %s: %s %v", bic, st, err)
				}
			}
		})
	}
}

// TestErrors: the gateway's codes as the seed spells them, and a refusal whose body says RJCT
// is an error, not the payment's status.
func TestErrors(t *testing.T) {
	for _, form := range sibstest.AllForms() {
		t.Run(form.Name, func(t *testing.T) {
			ctx := context.Background()
			var be *banks.Error
			if _, err := setup(t, "wrong-client", true, form.Forms).c.Banks(ctx); !errors.As(err, &be) || be.Code != "CONSENT_UNKNOWN" {
				t.Fatalf("wrong client id: %v", err)
			}
			if _, err := setup(t, "client-1", false, form.Forms).c.Banks(ctx); !errors.As(err, &be) || be.Status != 401 || be.Code != "CONSENT_INVALID" ||
				be.Message != "the gateway refused the request's credentials or authorisation" {
				t.Fatalf("untrusted certificate: %v", err)
			}
			r := setup(t, "client-1", true, form.Forms)
			c := r.c
			o, _ := r.start(t, "BOTPPTPL")
			unknown := banks.Order{Product: o.Product, PaymentID: "nope", PSU: o.PSU, Extra: map[string]string{"aspsp": "BOTP"}}
			if st, err := c.Status(ctx, unknown); st != "" || !errors.As(err, &be) || be.Code != "RESOURCE_UNIKNOWN" || be.Message != "the payment is unknown at the bank" {
				t.Fatalf("unknown payment: %q %v", st, err)
			}
			unknown.Product = "nope-product"
			if _, err := c.Status(ctx, unknown); !errors.As(err, &be) || be.Code != "PRODUCT_UNKNOWN" {
				t.Fatalf("unknown product: %v", err)
			}
			req := request("BTSTPTPL")
			req.TSU = &banks.TSU{SocialSecurityAccountCode: "SSMN", TaxpayerID: "501234567", ReferencePeriod: "202611"}
			if _, err := c.CreatePayment(ctx, req); err == nil {
				t.Fatal("a TSU payment without the payer's IBAN went out")
			}
			req.Debtor = &banks.Account{IBAN: "PT50000201231234567890154"}
			req.TSU.ReferencePeriod = "2026-11"
			if _, err := c.CreatePayment(ctx, req); !errors.As(err, &be) || be.Code != "PERIOD_INVALID" {
				t.Fatalf("bad period: %v", err)
			}
			req.TSU.ReferencePeriod = "202611"
			if created, err := c.CreatePayment(ctx, req); err != nil || created.Product != "tsu-payments" {
				t.Fatalf("TSU: %+v %v", created, err)
			}
		})
	}
}

// TestDate: every call carries the seed's "Request date", yyyy-MM-dd'T'HH:mm:ss.SSS, signed.
func TestDate(t *testing.T) {
	at := time.Date(2026, 3, 9, 15, 4, 5, 678e6, time.UTC)
	r := setupAt(t, "client-1", true, sibstest.Forms{}, func() time.Time { return at })
	o, _ := r.start(t, "BOTPPTPL")
	if _, err := r.c.SubmitOTP(context.Background(), o, sibstest.OTP); err != nil {
		t.Fatal(err)
	}
	if len(r.dates) < 3 {
		t.Fatalf("calls %v", r.dates)
	}
	for _, d := range r.dates {
		if d != "2026-03-09T15:04:05.678" {
			t.Errorf("Date %q, want 2026-03-09T15:04:05.678", d)
		}
	}
}
