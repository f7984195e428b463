package openpayments_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"paybybank/banks"
	"paybybank/banks/bankid"
	op "paybybank/banks/openpayments"
	"paybybank/banks/openpayments/openpaymentstest"
)

const callback = "https://pay.example/callback"

// inEveryForm runs a test against the fake in each combination of the answer forms the
// documents allow (openpaymentstest.AllForms).
func inEveryForm(t *testing.T, test func(t *testing.T, forms openpaymentstest.Forms)) {
	for _, nf := range openpaymentstest.AllForms() {
		t.Run(nf.Name, func(t *testing.T) {
			t.Parallel() // each form has its own fake; the waits for Retry-After overlap
			test(t, nf.Forms)
		})
	}
}

func setup(t *testing.T, forms openpaymentstest.Forms) (*op.Client, *openpaymentstest.Fake, *httptest.Server) {
	t.Helper()
	fake := openpaymentstest.New("cid", "secret", nil)
	fake.Forms = forms
	fake.RedirectURIs = []string{callback}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	fake.BaseURL = srv.URL
	c := op.New(op.Config{ClientID: "cid", ClientSecret: "secret", AuthURL: srv.URL, APIURL: srv.URL,
		Backoff: time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return c, fake, srv
}

var psu = banks.PSU{IPAddress: "192.0.2.10", UserAgent: "Mozilla/5.0 test"}

func request(bic, currency string) banks.PaymentRequest {
	return banks.PaymentRequest{BIC: bic, Amount: "249.00", AmountMinor: 24900, Currency: currency, CreditorName: "Shop AB",
		Creditor:  banks.Account{IBAN: "SE7160000000000123456789", BBAN: "123456789", ClearingNumber: "6789", Currency: currency},
		Debtor:    &banks.Account{IBAN: "SE3550000000054910000003", BBAN: "54910000003", Currency: currency},
		Reference: "Order 1001", PSU: psu}
}

func order(bic string, created *banks.Created, sca *banks.SCA) banks.Order {
	o := banks.Order{BIC: bic, Product: created.Product, PaymentID: created.PaymentID, PSU: psu, Extra: map[string]string{}}
	if sca != nil {
		o.AuthorisationID = sca.AuthorisationID
		o.Method = sca.Method
		for k, v := range sca.Extra {
			o.Extra[k] = v
		}
	}
	return o
}

func TestBankList(t *testing.T) { inEveryForm(t, testBankList) }

func testBankList(t *testing.T, forms openpaymentstest.Forms) {
	c, fake, _ := setup(t, forms)
	list, err := c.Banks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	countries := map[string]int{}
	profiles := op.Profiles()
	for _, b := range list {
		countries[b.Country]++
		// The list's id is the platform's own (a UUID at the fake, absent in the yaml's example):
		// the bank is named by bicFi.
		if _, ok := profiles[b.BIC]; !ok {
			t.Errorf("bank %q (%s) is not named by its bicFi", b.BIC, b.Name)
		}
	}
	if countries["SE"] == 0 || countries["FI"] == 0 || countries["NO"] == 0 || countries["DK"] == 0 {
		t.Fatalf("countries %v", countries)
	}
	n := len(fake.Calls())
	if _, err := c.Banks(context.Background()); err != nil || len(fake.Calls()) != n {
		t.Fatalf("bank list not cached: %d calls after %d", len(fake.Calls()), n)
	}
}

func TestCreatePaymentFormatsAndHeaders(t *testing.T) {
	inEveryForm(t, testCreatePaymentFormatsAndHeaders)
}

func testCreatePaymentFormatsAndHeaders(t *testing.T, forms openpaymentstest.Forms) {
	c, fake, _ := setup(t, forms)
	ctx := context.Background()
	for _, tt := range []struct{ bic, currency, wantCreditor string }{
		{"HANDSESS", "SEK", `"creditorAccount":{"bban":"123456789","clearingNumber":"6789","currency":"SEK"}`},
		{"ESSESESS", "SEK", `"creditorAccount":{"iban":"SE7160000000000123456789","currency":"SEK"}`},
		{"NDEAFIHH", "EUR", `"creditorAccount":{"iban":"SE7160000000000123456789","currency":"EUR"}`},
	} {
		created, err := c.CreatePayment(ctx, request(tt.bic, tt.currency))
		if err != nil {
			t.Fatalf("%s: %v", tt.bic, err)
		}
		calls := fake.Calls()
		last := calls[len(calls)-1]
		if !strings.Contains(last.Body, tt.wantCreditor) || !strings.Contains(last.Body, `"instructedAmount":{"currency":"`+tt.currency+`","amount":"249.00"}`) {
			t.Errorf("%s body %s", tt.bic, last.Body)
		}
		for h, want := range map[string]string{"X-BicFi": tt.bic, "PSU-IP-Address": psu.IPAddress, "PSU-User-Agent": psu.UserAgent, "Content-Type": "application/json", "Accept": "application/json"} {
			if got := last.Header.Get(h); got != want {
				t.Errorf("%s: header %s = %q, want %q", tt.bic, h, got, want)
			}
		}
		if _, err := uuid.Parse(last.Header.Get("X-Request-ID")); err != nil {
			t.Errorf("X-Request-ID %q", last.Header.Get("X-Request-ID"))
		}
		if want := map[string]string{"EUR": "sepa-credit-transfers"}[tt.currency]; want != "" && created.Product != want {
			t.Errorf("product %s", created.Product)
		}
	}
}

func TestRedirectFlow(t *testing.T) { inEveryForm(t, testRedirectFlow) }

func testRedirectFlow(t *testing.T, forms openpaymentstest.Forms) {
	c, fake, _ := setup(t, forms)
	ctx := context.Background()
	created, err := c.CreatePayment(ctx, request("NDEASESS", "SEK"))
	if err != nil {
		t.Fatal(err)
	}
	sca, err := c.StartSCA(ctx, order("NDEASESS", created, nil), banks.SCARequest{State: "st&ate", RedirectURI: callback})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(sca.RedirectURL)
	if sca.Approach != banks.Redirect || u.Query().Get("client_id") != "cid" || u.Query().Get("redirect_uri") != callback || u.Query().Get("state") != "st&ate" {
		t.Fatalf("redirect %+v", sca)
	}
	o := order("NDEASESS", created, sca)
	back, err := fake.Decide(sca.AuthorisationID, callback, "st&ate", true)
	if err != nil {
		t.Fatal(err)
	}
	bu, _ := url.Parse(back)
	// A code for another authorisation is refused by the bank.
	wrong := o
	wrong.AuthorisationID = uuid.NewString()
	if err := c.FinishRedirect(ctx, wrong, bu.Query()); err == nil {
		t.Fatal("code accepted for another authorisation")
	}
	if err := c.FinishRedirect(ctx, o, bu.Query()); err != nil {
		t.Fatal(err)
	}
	// The exchange carried X-PaymentId and X-PaymentAuthorisationId: the fake checks them, and
	// a code is single use.
	if err := c.FinishRedirect(ctx, o, bu.Query()); err == nil {
		t.Fatal("code exchanged twice")
	}
	st, err := c.Status(ctx, o)
	if err != nil || st != "ACSP" {
		t.Fatalf("status %s, %v (Nordea settles later)", st, err)
	}
}

func TestRedirectDenied(t *testing.T) { inEveryForm(t, testRedirectDenied) }

func testRedirectDenied(t *testing.T, forms openpaymentstest.Forms) {
	c, fake, _ := setup(t, forms)
	ctx := context.Background()
	created, _ := c.CreatePayment(ctx, request("DABADKKK", "DKK"))
	sca, err := c.StartSCA(ctx, order("DABADKKK", created, nil), banks.SCARequest{State: "s", RedirectURI: callback})
	if err != nil {
		t.Fatal(err)
	}
	back, _ := fake.Decide(sca.AuthorisationID, callback, "s", false)
	bu, _ := url.Parse(back)
	err = c.FinishRedirect(ctx, order("DABADKKK", created, sca), bu.Query())
	if !banks.IsDenied(err) {
		t.Fatalf("deny: %v", err)
	}
	if _, err := fake.Decide(sca.AuthorisationID, "https://evil.example/cb", "s", true); err == nil {
		t.Fatal("unregistered redirect_uri accepted")
	}
}

func TestDecoupledFlow(t *testing.T) { inEveryForm(t, testDecoupledFlow) }

func testDecoupledFlow(t *testing.T, forms openpaymentstest.Forms) {
	c, fake, _ := setup(t, forms)
	now := time.Unix(1_800_000_000, 0)
	var mu sync.Mutex
	fake.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	ctx := context.Background()
	created, err := c.CreatePayment(ctx, request("HANDSESS", "SEK"))
	if err != nil {
		t.Fatal(err)
	}
	sca, err := c.StartSCA(ctx, order("HANDSESS", created, nil), banks.SCARequest{})
	if err != nil {
		t.Fatal(err)
	}
	if sca.Approach != banks.Decoupled || sca.Method != op.MethodAnimatedQRToken {
		t.Fatalf("desktop SCA %+v", sca)
	}
	q0, err := bankid.ParseQR(sca.QRData)
	if err != nil || q0.Time != 0 {
		t.Fatalf("QR %q", sca.QRData)
	}
	o := order("HANDSESS", created, sca)
	var ord openpaymentstest.Order
	if forms.SCAStatusOnly {
		// Polls carry the scaStatus only (yaml scaStatusResponse): the QR of the method selection
		// stays on screen, not dropped, until the shopper scans it.
		polled, err := c.PollSCA(ctx, o)
		if err != nil || polled.QRData != sca.QRData || polled.Failed || polled.Finalised {
			t.Fatalf("poll without a challenge: %+v, %v", polled, err)
		}
		if ord, err = fake.ScanQR(polled.QRData); err != nil {
			t.Fatal(err)
		}
	} else {
		advance(2 * time.Second)
		polled, err := c.PollSCA(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		q2, _ := bankid.ParseQR(polled.QRData)
		if q2.Time != 2 || q2.Token != q0.Token {
			t.Fatalf("poll QR %q", polled.QRData)
		}
		if _, err := fake.ScanQR(sca.QRData); err == nil {
			t.Fatal("stale QR accepted")
		}
		if ord, err = fake.ScanQR(polled.QRData); err != nil {
			t.Fatal(err)
		}
	}
	// Scanned: nothing more to show, whichever form the poll has.
	polled, err := c.PollSCA(ctx, o)
	if err != nil || polled.QRData != "" || len(polled.QRImage) > 0 || polled.Status != "started" {
		t.Fatalf("after scan %+v, %v", polled, err)
	}
	if !forms.SCAStatusOnly && polled.Hint != "userSign" {
		t.Fatalf("after scan, hint %q", polled.Hint)
	}
	if err := fake.Sign(ord.Ref, true); err != nil {
		t.Fatal(err)
	}
	if polled, _ = c.PollSCA(ctx, o); !polled.Finalised {
		t.Fatalf("after sign %+v", polled)
	}
	if st, _ := c.Status(ctx, o); st != "ACSC" {
		t.Fatalf("status %s", st)
	}
	// Settled payments cannot be cancelled: the bank says so.
	var be *banks.Error
	if err := c.Cancel(ctx, o); !errors.As(err, &be) || be.Code != "CANCELLATION_INVALID" {
		t.Fatalf("cancel settled: %v", err)
	}
}

func TestDecoupledMobileAndTimeout(t *testing.T) { inEveryForm(t, testDecoupledMobileAndTimeout) }

func testDecoupledMobileAndTimeout(t *testing.T, forms openpaymentstest.Forms) {
	c, fake, _ := setup(t, forms)
	now := time.Unix(1_800_000_000, 0)
	fake.Now = func() time.Time { return now }
	ctx := context.Background()
	created, _ := c.CreatePayment(ctx, request("ESSESESS", "SEK"))
	sca, err := c.StartSCA(ctx, order("ESSESESS", created, nil), banks.SCARequest{Mobile: true})
	if err != nil || sca.Method != op.MethodSameDevice || sca.AutostartToken == "" || sca.QRData != "" {
		t.Fatalf("mobile SCA %+v %v", sca, err)
	}
	now = now.Add(openpaymentstest.QRTimeout)
	polled, _ := c.PollSCA(ctx, order("ESSESESS", created, sca))
	if !polled.Failed || polled.AutostartToken != "" || (!forms.SCAStatusOnly && polled.Hint != "startFailed") {
		t.Fatalf("after 30 s %+v", polled)
	}
	if _, err := fake.Autostart(sca.AutostartToken); err == nil {
		t.Fatal("timed-out order started")
	}
	// A fresh authorisation on the same payment works: the QR simply lapsed.
	sca2, err := c.StartSCA(ctx, order("ESSESESS", created, nil), banks.SCARequest{Mobile: true})
	if err != nil || sca2.AuthorisationID == sca.AuthorisationID {
		t.Fatalf("retry %+v %v", sca2, err)
	}
	if _, err := fake.Autostart(sca2.AutostartToken); err != nil {
		t.Fatal(err)
	}
}

func TestRetriesHonourRetryAfter(t *testing.T) { inEveryForm(t, testRetriesHonourRetryAfter) }

func testRetriesHonourRetryAfter(t *testing.T, forms openpaymentstest.Forms) {
	c, fake, _ := setup(t, forms)
	ctx := context.Background()
	c.Banks(ctx)
	fake.FailNext(2, 503, "")
	if _, err := c.CreatePayment(ctx, request("SWEDSESS", "SEK")); err != nil {
		t.Fatalf("503 twice then success: %v", err)
	}
	fake.FailNext(1, 429, "1")
	start := time.Now()
	if _, err := c.CreatePayment(ctx, request("SWEDSESS", "SEK")); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) < 900*time.Millisecond {
		t.Fatal("Retry-After: 1 not honoured")
	}
	// A 500 on a create is not retried: the bank may have acted.
	fake.FailNext(1, 500, "")
	_, err := c.CreatePayment(ctx, request("SWEDSESS", "SEK"))
	var be *banks.Error
	if !errors.As(err, &be) || be.Status != 500 || !be.Retryable {
		t.Fatalf("500 on create: %v", err)
	}
	fake.FailNext(10, 502, "")
	if _, err := c.Banks(ctx); err != nil {
		t.Fatal("bank list should be cached through an outage")
	}
}

func TestTokenCachedAndRenewed(t *testing.T) { inEveryForm(t, testTokenCachedAndRenewed) }

func testTokenCachedAndRenewed(t *testing.T, forms openpaymentstest.Forms) {
	c, fake, _ := setup(t, forms)
	ctx := context.Background()
	tokenCalls := func() int {
		n := 0
		for _, call := range fake.Calls() {
			if call.Path == "/connect/token" {
				n++
			}
		}
		return n
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.CreatePayment(ctx, request("SWEDSESS", "SEK")); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := tokenCalls(); n != 1 {
		t.Fatalf("%d token requests for 8 concurrent calls, want 1", n)
	}
	fake.Expire() // the platform stops accepting it: the connector fetches a fresh one and carries on
	if _, err := c.CreatePayment(ctx, request("SWEDSESS", "SEK")); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if n := tokenCalls(); n != 2 {
		t.Fatalf("%d token requests, want 2", n)
	}
}

// A token the platform refuses as invalid (401 TOKEN_INVALID, as for a token of another scope) is
// renewed once and the call tried again; refused again, the call fails with the platform's code
// instead of fetching tokens without end.
func TestTokenRefusedTwice(t *testing.T) {
	var mu sync.Mutex
	tokens, calls := 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path == "/connect/token" {
			tokens++
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"access_token":"t`+strconv.Itoa(tokens)+`","expires_in":3600,"token_type":"Bearer"}`)
			return
		}
		calls++
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(401)
		io.WriteString(w, `{"type":"about:blank","code":"TOKEN_INVALID","detail":"token scope does not allow this call"}`)
	}))
	defer srv.Close()
	c := op.New(op.Config{ClientID: "cid", ClientSecret: "secret", AuthURL: srv.URL, APIURL: srv.URL, Countries: []string{"SE"},
		Backoff: time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	_, err := c.CreatePayment(context.Background(), request("ESSESESS", "SEK"))
	var be *banks.Error
	if !errors.As(err, &be) || be.Status != 401 || be.Code != "TOKEN_INVALID" || be.Retryable {
		t.Fatalf("refused token: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if tokens != 2 || calls != 2 {
		t.Fatalf("%d token requests and %d calls, want 2 and 2 (one renewal)", tokens, calls)
	}
}

// rawCall sends a request to the fake by hand, to show it refuses what the real platform refuses.
func rawCall(t *testing.T, srv *httptest.Server, token string, mutate func(*http.Request)) (int, string) {
	t.Helper()
	body := `{"instructedAmount":{"currency":"SEK","amount":"249.00"},"creditorName":"Shop AB","creditorAccount":{"iban":"SE7160000000000123456789","currency":"SEK"},"debtorAccount":{"iban":"SE3550000000054910000003"}}`
	req, _ := http.NewRequest("POST", srv.URL+"/psd2/paymentinitiation/v1/payments/domestic", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-ID", uuid.NewString())
	req.Header.Set("X-BicFi", "ESSESESS")
	req.Header.Set("PSU-IP-Address", "192.0.2.1")
	req.Header.Set("PSU-User-Agent", "test")
	if mutate != nil {
		mutate(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func fakeToken(t *testing.T, srv *httptest.Server, scope string) string {
	resp, err := http.PostForm(srv.URL+"/connect/token", url.Values{"client_id": {"cid"}, "client_secret": {"secret"}, "grant_type": {"client_credentials"}, "scope": {scope}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok op.Token
	json.NewDecoder(resp.Body).Decode(&tok)
	return tok.AccessToken
}

func TestFakeIsStrict(t *testing.T) { inEveryForm(t, testFakeIsStrict) }

func testFakeIsStrict(t *testing.T, forms openpaymentstest.Forms) {
	_, fake, srv := setup(t, forms)
	tok := fakeToken(t, srv, op.ScopePayments)
	if code, body := rawCall(t, srv, tok, nil); code != 201 {
		t.Fatalf("baseline: %d %s", code, body)
	}
	reused := uuid.NewString()
	rawCall(t, srv, tok, func(r *http.Request) { r.Header.Set("X-Request-ID", reused) })
	tests := []struct {
		name   string
		mutate func(*http.Request)
		token  string
		code   int
		want   string
	}{
		{"missing X-Request-ID", func(r *http.Request) { r.Header.Del("X-Request-ID") }, tok, 400, "X-Request-ID"},
		{"reused X-Request-ID", func(r *http.Request) { r.Header.Set("X-Request-ID", reused) }, tok, 400, "already used"},
		{"missing PSU-IP-Address", func(r *http.Request) { r.Header.Del("PSU-IP-Address") }, tok, 400, "PSU-IP-Address"},
		{"malformed BIC", func(r *http.Request) { r.Header.Set("X-BicFi", "essesess") }, tok, 400, "X-BicFi"},
		{"unknown bank", func(r *http.Request) { r.Header.Set("X-BicFi", "ABCDSESS") }, tok, 400, "unknown ASPSP"},
		{"wrong account format at HANDSESS", func(r *http.Request) { r.Header.Set("X-BicFi", "HANDSESS") }, tok, 400, "creditorAccount must be bban"},
		{"Swedbank without PSU-User-Agent", func(r *http.Request) {
			r.Header.Set("X-BicFi", "SWEDSESS")
			r.Header.Set("TPP-Redirect-Preferred", "false")
			r.Header.Del("PSU-User-Agent")
		}, tok, 400, "PSU-User-Agent"},
		{"Swedbank without TPP-Redirect-Preferred", func(r *http.Request) { r.Header.Set("X-BicFi", "SWEDSESS") }, tok, 400, "TPP-Redirect-Preferred"},
		{"missing debtor account", func(r *http.Request) {
			setBody(r, `{"instructedAmount":{"currency":"SEK","amount":"1.00"},"creditorName":"A","creditorAccount":{"iban":"SE7160000000000123456789"}}`)
		}, tok, 400, "debtorAccount is required"},
		{"reference too long", func(r *http.Request) {
			setBody(r, `{"instructedAmount":{"currency":"SEK","amount":"1.00"},"creditorName":"A","creditorAccount":{"iban":"SE7160000000000123456789"},"debtorAccount":{"iban":"SE3550000000054910000003"},"remittanceInformationUnstructured":"`+strings.Repeat("x", 141)+`"}`)
		}, tok, 400, "at most 140"},
		{"unknown affiliated savings bank", func(r *http.Request) {
			r.Header.Set("X-BicFi", "SWEDSESS")
			r.Header.Set("TPP-Redirect-Preferred", "false")
			r.Header.Set("X-AffiliatedASPSP-ID", "99999")
		}, tok, 400, "unknown affiliated"},
		// yaml MessageCode403_PIS: PRODUCT_INVALID, "the addressed payment product is not available for the PSU".
		{"product not offered", func(r *http.Request) {
			r.URL.Path = "/psd2/paymentinitiation/v1/payments/swedish-giro"
		}, tok, 403, "PRODUCT_INVALID"},
		{"no token", nil, "", 401, "TOKEN_INVALID"},
		// A token for another service is not valid for this operation (its security list names
		// paymentinitiation): 401 TOKEN_INVALID of MessageCode401_PIS; no 403 code fits a scope.
		{"wrong scope", nil, fakeToken(t, srv, op.ScopeBankList), 401, "TOKEN_INVALID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := rawCall(t, srv, tt.token, tt.mutate)
			if code != tt.code || !strings.Contains(body, tt.want) {
				t.Fatalf("%d %s", code, body)
			}
		})
	}
	t.Run("expired token", func(t *testing.T) {
		fake.Expire()
		if code, body := rawCall(t, srv, tok, nil); code != 401 || !strings.Contains(body, "TOKEN_INVALID") {
			t.Fatalf("%d %s", code, body)
		}
	})
	t.Run("float amount", func(t *testing.T) {
		tok := fakeToken(t, srv, op.ScopePayments)
		req, _ := http.NewRequest("POST", srv.URL+"/psd2/paymentinitiation/v1/payments/domestic",
			strings.NewReader(`{"instructedAmount":{"currency":"SEK","amount":"249.001"},"creditorName":"A","creditorAccount":{"iban":"SE7160000000000123456789"}}`))
		for k, v := range map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/json", "X-Request-ID": uuid.NewString(), "X-BicFi": "ESSESESS", "PSU-IP-Address": "1.2.3.4"} {
			req.Header.Set(k, v)
		}
		resp, _ := http.DefaultClient.Do(req)
		if resp.StatusCode != 400 {
			t.Fatalf("%d", resp.StatusCode)
		}
	})
}

func setBody(r *http.Request, body string) {
	r.Body = io.NopCloser(strings.NewReader(body))
	r.ContentLength = int64(len(body))
}

// TestEveryProfileEnforced holds the fake to each bank's profile: a payment built the way the
// profile says is accepted, and each way of breaking it is refused.
func TestEveryProfileEnforced(t *testing.T) { inEveryForm(t, testEveryProfileEnforced) }

func testEveryProfileEnforced(t *testing.T, forms openpaymentstest.Forms) {
	c, _, srv := setup(t, forms)
	ctx := context.Background()
	tok := fakeToken(t, srv, op.ScopePayments)
	post := func(bic, product, body string) int {
		req, _ := http.NewRequest("POST", srv.URL+"/psd2/paymentinitiation/v1/payments/"+product, strings.NewReader(body))
		for k, v := range map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/json", "X-Request-ID": uuid.NewString(),
			"X-BicFi": bic, "PSU-IP-Address": "192.0.2.1", "PSU-User-Agent": "test", "TPP-Redirect-Preferred": "false"} {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	acct := func(format, cur string) string {
		switch format {
		case "bban+clearing":
			return `{"bban":"123456789","clearingNumber":"6789","currency":"` + cur + `"}`
		case "bban":
			return `{"bban":"123456789","currency":"` + cur + `"}`
		}
		return `{"iban":"SE3550000000054910000003","currency":"` + cur + `"}`
	}
	other := map[string]string{"iban": "bban", "bban": "iban", "bban+clearing": "iban"}
	for bic, p := range op.Profiles() {
		t.Run(bic, func(t *testing.T) {
			cur := p.Currencies[0]
			product := map[bool]string{true: "sepa-credit-transfers", false: "domestic"}[cur == "EUR"]
			limit := p.RemittanceLimit(product, false)
			address := p.CreditorAddressOutside != ""
			body := func(debtor, ref, currency string) string {
				b := `{"instructedAmount":{"currency":"` + currency + `","amount":"10.00"},"creditorName":"Shop","creditorAccount":` + acct(p.CreditorFormat, currency)
				if address {
					b += `,"creditorAddress":{"townName":"Stockholm","country":"SE"}`
				}
				if debtor != "" {
					b += `,"debtorAccount":` + debtor
				}
				return b + `,"remittanceInformationUnstructured":"` + ref + `"}`
			}
			if code := post(bic, product, body(acct(p.DebtorFormat, cur), strings.Repeat("r", limit), cur)); code != 201 {
				t.Fatalf("by the profile: %d", code)
			}
			if address {
				address = false
				if code := post(bic, product, body(acct(p.DebtorFormat, cur), "r", cur)); code != 400 {
					t.Errorf("SEPA to a creditor abroad without creditorAddress accepted")
				}
				address = true
			}
			if code := post(bic, product, body(acct(p.DebtorFormat, cur), strings.Repeat("r", limit+1), cur)); code != 400 {
				t.Errorf("reference of %d accepted", limit+1)
			}
			if code := post(bic, product, body(acct(other[p.DebtorFormat], cur), "r", cur)); code != 400 {
				t.Errorf("debtor as %s accepted", other[p.DebtorFormat])
			}
			if code := post(bic, product, body("", "r", cur)); (code == 400) != (p.DebtorAccount == "required") {
				t.Errorf("without debtor: %d (debtor %s)", code, p.DebtorAccount)
			}
			if !slices.Contains(p.Currencies, "USD") {
				// A bank without the domestic product refuses it first, 403 PRODUCT_INVALID (yaml
				// MessageCode403_PIS); one with it refuses the currency, 400.
				want := 400
				if !p.Offers("domestic") {
					want = 403
				}
				if code := post(bic, "domestic", body(acct(p.DebtorFormat, "USD"), "r", "USD")); code != want {
					t.Errorf("USD as domestic: %d, want %d", code, want)
				}
			}
			// And the connector builds exactly what the profile asks.
			req := request(bic, cur)
			req.Creditor.Currency, req.Debtor.Currency = cur, cur
			if p.CreditorAddressOutside != "" {
				req.CreditorAddress = &banks.Address{Street: "Storgatan 1", PostCode: "111 22", Town: "Stockholm", Country: "SE"}
			}
			if _, err := c.CreatePayment(ctx, req); err != nil {
				t.Errorf("connector: %v", err)
			}
		})
	}
}

// Each bank call is logged once, with the X-Request-ID the bank received beside the id of our
// request that caused it, so one shopper's trouble can be found in both parties' logs.
func TestBankCallsLogged(t *testing.T) {
	fake := openpaymentstest.New("cid", "secret", nil)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	fake.BaseURL = srv.URL
	var logs strings.Builder
	var mu sync.Mutex
	c := op.New(op.Config{ClientID: "cid", ClientSecret: "secret", AuthURL: srv.URL, APIURL: srv.URL, Backoff: time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))})
	ctx := banks.WithRequestID(context.Background(), "our-request-1")
	if _, err := c.Banks(ctx); err != nil {
		t.Fatal(err)
	}
	calls := fake.Calls()
	last := calls[len(calls)-1]
	xid := last.Header.Get("X-Request-ID")
	mu.Lock()
	defer mu.Unlock()
	var line string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "x_request_id="+xid) {
			line = l
		}
	}
	for _, want := range []string{`msg="bank call"`, "request_id=our-request-1", "method=GET", "path=" + last.Path, "status=200", "provider="} {
		if !strings.Contains(line, want) {
			t.Fatalf("log line for the bank's X-Request-ID %s lacks %q:\n%s", xid, want, logs.String())
		}
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// A cancel the bank answers 204 cancels the payment; one it answers 202 (the cancellation needs
// the shopper's authorisation, yaml RECEIVED_202_PaymentInitiationCancel) is not a success: the
// payment stands, and the error is one the checkout takes as a refused cancel (not retryable).
func TestCancel(t *testing.T) { inEveryForm(t, testCancel) }

func testCancel(t *testing.T, forms openpaymentstest.Forms) {
	c, fake, _ := setup(t, forms)
	ctx := context.Background()
	created, err := c.CreatePayment(ctx, request("ESSESESS", "SEK"))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Cancel(ctx, order("ESSESESS", created, nil))
	if !forms.CancelNeedsAuthorisation {
		if err != nil || fake.TransactionStatus(created.PaymentID) != "CANC" {
			t.Fatalf("cancel: %v, bank status %s", err, fake.TransactionStatus(created.PaymentID))
		}
		return
	}
	var be *banks.Error
	if !errors.As(err, &be) || be.Status != 202 || be.Code != op.CodeCancellationNeedsAuthorisation || be.Retryable || banks.IsUncertain(err) {
		t.Fatalf("202 on cancel: %v", err)
	}
	if st := fake.TransactionStatus(created.PaymentID); st != "RCVD" {
		t.Fatalf("bank status %s", st)
	}
}

// Every call to a bank carries a fresh UUID X-Request-ID, X-BicFi, and PSU-IP-Address as an IP
// address even when ours came with a port; the consent carries combinedServiceIndicator; the code
// exchange carries a scope even when the bank gave none back.
func TestHeadersOnEveryCall(t *testing.T) { inEveryForm(t, testHeadersOnEveryCall) }

func testHeadersOnEveryCall(t *testing.T, forms openpaymentstest.Forms) {
	c, fake, _ := setup(t, forms)
	ctx := context.Background()
	withPort := banks.PSU{IPAddress: "[2001:db8::7]:51234", UserAgent: "Mozilla/5.0 test"}
	consentID, err := c.CreateConsent(ctx, "HANDSESS", withPort)
	if err != nil {
		t.Fatal(err)
	}
	co := banks.Order{BIC: "HANDSESS", Product: banks.ConsentProduct, PaymentID: consentID, PSU: withPort, Extra: map[string]string{}}
	if _, err := c.StartSCA(ctx, co, banks.SCARequest{}); err != nil {
		t.Fatal(err)
	}
	req := request("NDEASESS", "SEK")
	req.PSU = banks.PSU{IPAddress: "192.0.2.10:5555", UserAgent: "Mozilla/5.0 test"}
	created, err := c.CreatePayment(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	o := order("NDEASESS", created, nil)
	o.PSU = req.PSU
	sca, err := c.StartSCA(ctx, o, banks.SCARequest{State: "s", RedirectURI: callback})
	if err != nil {
		t.Fatal(err)
	}
	back, err := fake.Decide(sca.AuthorisationID, callback, "s", true)
	if err != nil {
		t.Fatal(err)
	}
	bu, _ := url.Parse(back)
	q := bu.Query()
	q.Del("scope")
	for k, v := range sca.Extra {
		o.Extra[k] = v
	}
	o.AuthorisationID = sca.AuthorisationID
	if err := c.FinishRedirect(ctx, o, q); err != nil {
		t.Fatalf("code exchange without a scope from the bank: %v", err)
	}
	seen := map[string]bool{}
	for _, call := range fake.Calls() {
		if call.Path == "/connect/token" {
			continue
		}
		xid := call.Header.Get("X-Request-ID")
		if _, err := uuid.Parse(xid); err != nil || seen[xid] {
			t.Errorf("%s %s: X-Request-ID %q not a fresh UUID", call.Method, call.Path, xid)
		}
		seen[xid] = true
		if strings.HasPrefix(call.Path, "/psd2/aspspinformation/") {
			continue
		}
		if !slices.Contains([]string{"HANDSESS", "NDEASESS"}, call.Header.Get("X-BicFi")) {
			t.Errorf("%s %s: X-BicFi %q", call.Method, call.Path, call.Header.Get("X-BicFi"))
		}
		if want := map[bool]string{true: "2001:db8::7", false: "192.0.2.10"}[strings.Contains(call.Path, "/consent")]; call.Header.Get("PSU-IP-Address") != want {
			t.Errorf("%s %s: PSU-IP-Address %q, want %q", call.Method, call.Path, call.Header.Get("PSU-IP-Address"), want)
		}
		if call.Method == "POST" && call.Path == "/psd2/consent/v1/consents" && !strings.Contains(call.Body, `"combinedServiceIndicator":false`) {
			t.Errorf("consent without combinedServiceIndicator: %s", call.Body)
		}
	}
}
