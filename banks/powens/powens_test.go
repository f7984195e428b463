package powens_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"paybybank/banks"
	"paybybank/banks/powens"
	"paybybank/banks/powens/powenstest"
)

const (
	callback = "https://pay.example/callback"
	instant  = "338178e6-3d01-564f-9a7b-52ca442459bf"
	partial  = "a1b2c3d4-0000-4000-8000-000000000003"
)

// env is a connector in front of the fake, with what it sent and logged.
type env struct {
	c    *powens.Client
	fake *powenstest.Fake
	srv  *httptest.Server
	logs *bytes.Buffer

	mu     sync.Mutex
	bodies map[string][]byte         // the last body per "METHOD path"
	auth   map[string]string         // the last Authorization per "METHOD path"
	fault  func(r *http.Request) int // a status to answer instead of the fake, or 0
}

func setup(t *testing.T, forms powenstest.Forms) *env {
	e := &env{fake: powenstest.New("cid", "secret"), logs: &bytes.Buffer{}, bodies: map[string][]byte{}, auth: map[string]string{}}
	e.fake.RedirectURIs = []string{callback}
	e.fake.Forms = forms
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		e.mu.Lock()
		key := r.Method + " " + r.URL.Path
		e.bodies[key], e.auth[key] = body, r.Header.Get("Authorization")
		fault := e.fault
		e.mu.Unlock()
		if fault != nil {
			if code := fault(r); code != 0 {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(code)
				io.WriteString(w, `{"code":"invalidToken","description":"scripted","error_code":null}`)
				return
			}
		}
		e.fake.ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	e.c = powens.New(powens.Config{BaseURL: e.srv.URL, ClientID: "cid", ClientSecret: "secret",
		Backoff: time.Millisecond, Logger: slog.New(slog.NewTextHandler(&syncWriter{w: e.logs}, nil))})
	return e
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func request(label, connector string) banks.PaymentRequest {
	return banks.PaymentRequest{BIC: "POWENSFR", Affiliate: connector, Amount: "50.90", AmountMinor: 5090, Currency: "EUR",
		CreditorName: "ACME Corp.", Creditor: banks.Account{IBAN: "FR1420041010050500013M02606"}, Reference: label,
		State: "st", RedirectURI: callback, CreditorIdentity: &banks.Identity{Scheme: "siren", ID: "552100554", LegalStatus: "SAS"}}
}

var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// webview plays the shopper in Powens' webview: they pick the bank there and validate or cancel.
// It returns the query Powens sends back to our callback.
func webview(t *testing.T, webviewURL, connector, decision string) url.Values {
	t.Helper()
	resp, err := http.Get(webviewURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("webview %d: %s", resp.StatusCode, page)
	}
	form := url.Values{"decision": {decision}, "connector_uuid": {connector}}
	for _, name := range []string{"code", "payment_id"} {
		form.Set(name, regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(string(page))[1])
	}
	u, _ := url.Parse(webviewURL)
	resp, err = noFollow.PostForm(u.Scheme+"://"+u.Host+u.Path, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != 303 || err != nil || !strings.HasPrefix(back.String(), callback+"?") {
		t.Fatalf("webview answered %d to %s", resp.StatusCode, back)
	}
	return back.Query()
}

// settle reads the payment's status until it is final, as polls and webhooks would.
func settle(t *testing.T, c *powens.Client, id string) string {
	t.Helper()
	for i := 0; i < 6; i++ {
		st, err := c.Status(context.Background(), banks.Order{PaymentID: id})
		if err != nil {
			t.Fatalf("status: %v", err)
		}
		if st != "PDNG" {
			return st
		}
	}
	return "PDNG"
}

func TestCreateAndWebviewURL(t *testing.T) {
	for _, f := range powenstest.AllForms() {
		t.Run(f.Name, func(t *testing.T) {
			e := setup(t, f.Forms)
			ctx := context.Background()
			list, err := e.c.Banks(ctx)
			if err != nil || len(list) != 3 || list[0].Country != "FR" {
				t.Fatalf("banks %v %v", list, err)
			}
			created, err := e.c.CreatePayment(ctx, request("Order 1", list[0].Affiliate))
			if err != nil {
				t.Fatal(err)
			}
			// Seed 002 "Build the payment validation URL": these parameters, and no bank.
			u, _ := url.Parse(created.RedirectURL)
			q := u.Query()
			keys := slices.Sorted(func(yield func(string) bool) {
				for k := range q {
					if !yield(k) {
						return
					}
				}
			})
			if u.Path != "/auth/webview/payment" || !slices.Equal(keys, []string{"client_id", "code", "payment_id", "redirect_uri", "state"}) ||
				q.Get("client_id") != "cid" || q.Get("redirect_uri") != callback || q.Get("state") != "st" || q.Get("code") == "" || q.Get("payment_id") != created.PaymentID {
				t.Fatalf("webview URL %s", created.RedirectURL)
			}
			// What went to Powens, as seed 002 writes it.
			var sent struct {
				Instructions []struct {
					Amount   json.RawMessage   `json:"amount"`
					Identity map[string]string `json:"beneficiary_identity"`
				} `json:"instructions"`
				Payer map[string]string `json:"payer_identity"`
			}
			e.mu.Lock()
			json.Unmarshal(e.bodies["POST /payments"], &sent)
			scope := string(e.bodies["POST /payments/"+created.PaymentID+"/scopedtoken"])
			bearer := strings.HasPrefix(e.auth["POST /payments"], "Bearer ") && strings.HasPrefix(e.auth["GET /connectors"], "Bearer ")
			e.mu.Unlock()
			want := map[string]string{"kind": "corporate", "org_name": "ACME Corp.", "org_legal_status": "SAS", "scheme_name": "siren", "identification": "552100554"}
			if len(sent.Instructions) != 1 || string(sent.Instructions[0].Amount) != "50.90" || !mapsEqual(sent.Instructions[0].Identity, want) || !mapsEqual(sent.Payer, want) {
				t.Fatalf("sent %+v", sent)
			}
			if scope != `{"scope":["payments:validate"]}` || !bearer {
				t.Fatalf("scopedtoken body %s, bearer %v", scope, bearer)
			}
			if st, err := e.c.Status(ctx, banks.Order{PaymentID: created.PaymentID}); err != nil || st != "PDNG" {
				t.Fatalf("status of a created payment: %s %v", st, err)
			}
			if err := e.c.FinishRedirect(ctx, banks.Order{PaymentID: created.PaymentID}, url.Values{"id_payment": {"999"}}); err == nil {
				t.Fatal("a callback for another payment was accepted")
			}
			// The webview URL carries the scoped token: it is never logged.
			if strings.Contains(e.logs.String(), q.Get("code")) || !strings.Contains(e.logs.String(), "/auth/token") {
				t.Fatalf("log:\n%s", e.logs)
			}
		})
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// Every outcome, in every form the documents allow, from the webview back to a final status.
func TestOutcomes(t *testing.T) {
	for _, f := range powenstest.AllForms() {
		t.Run(f.Name, func(t *testing.T) {
			for _, tc := range []struct {
				name, label, connector, decision string
				cancelled                        bool
				status                           string
			}{
				{"done", "Order 1", instant, "validate", false, "ACSC"},
				{"pending, then done", "pdng/done - Order 2", instant, "validate", false, "ACSC"},
				{"accepted by a bank that stops reporting", "Order 3", partial, "validate", false, "ACCP"},
				{"rejected", "rjct - Order 4", instant, "validate", false, "RJCT"},
				{"cancelled at the bank", "canc - Order 5", instant, "validate", false, "CANC"},
				{"cancelled in the webview", "Order 6", instant, "cancel", true, ""},
			} {
				t.Run(tc.name, func(t *testing.T) {
					e := setup(t, f.Forms)
					ctx := context.Background()
					created, err := e.c.CreatePayment(ctx, request(tc.label, instant))
					if err != nil {
						t.Fatal(err)
					}
					q := webview(t, created.RedirectURL, tc.connector, tc.decision)
					o := banks.Order{PaymentID: created.PaymentID}
					err = e.c.FinishRedirect(ctx, o, q)
					if tc.cancelled {
						if !banks.IsCancelled(err) || banks.IsDenied(err) {
							t.Fatalf("a cancel in the webview: %v", err)
						}
						return
					}
					if err != nil {
						t.Fatalf("callback %v: %v", q, err)
					}
					if st := settle(t, e.c, created.PaymentID); st != tc.status {
						t.Fatalf("status %s, want %s", st, tc.status)
					}
					// A forged or late error=cancelled after the bank took the payment changes
					// nothing: Powens' own state decides.
					if err := e.c.FinishRedirect(ctx, o, url.Values{"id_payment": {o.PaymentID}, "error": {"cancelled"}}); tc.status != "CANC" && tc.status != "RJCT" && err != nil {
						t.Fatalf("a cancel after validation: %v", err)
					}
				})
			}
			t.Run("expired", func(t *testing.T) {
				e := setup(t, f.Forms)
				created, err := e.c.CreatePayment(context.Background(), request("Order 7", instant))
				if err != nil {
					t.Fatal(err)
				}
				if !e.fake.Expire(mustID(t, created.PaymentID)) {
					t.Fatal("not expired")
				}
				if st := settle(t, e.c, created.PaymentID); st != "RJCT" {
					t.Fatalf("expired: %s", st)
				}
			})
		})
	}
}

func mustID(t *testing.T, s string) int64 {
	var n json.Number = json.Number(s)
	id, err := n.Int64()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// A merchant without a registered identity cannot pay through Powens: refused before any call.
func TestNoIdentity(t *testing.T) {
	e := setup(t, powenstest.Forms{})
	req := request("Order 1", instant)
	req.CreditorIdentity = nil
	if _, err := e.c.CreatePayment(context.Background(), req); !errors.Is(err, banks.ErrNoCreditorIdentity) {
		t.Fatalf("err %v", err)
	}
	if calls := e.fake.Calls(); slices.Contains(calls, "POST /payments") {
		t.Fatalf("calls %v", calls)
	}
}

// The admin token comes through the transport: retried when Powens is briefly down, logged, and
// fetched again once when Powens says it is no longer good.
func TestAdminToken(t *testing.T) {
	for _, f := range powenstest.AllForms() {
		t.Run(f.Name, func(t *testing.T) {
			e := setup(t, f.Forms)
			var mu sync.Mutex
			tokenTries, refused := 0, false
			e.fault = func(r *http.Request) int {
				mu.Lock()
				defer mu.Unlock()
				switch {
				case r.URL.Path == "/auth/token":
					tokenTries++
					if tokenTries == 1 {
						return 503
					}
				case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/payments/") && !refused:
					refused = true
					return 401
				}
				return 0
			}
			ctx := context.Background()
			created, err := e.c.CreatePayment(ctx, request("Order 1", instant))
			if err != nil {
				t.Fatalf("create after a token request met a 503: %v", err)
			}
			if st, err := e.c.Status(ctx, banks.Order{PaymentID: created.PaymentID}); err != nil || st != "PDNG" {
				t.Fatalf("status after a 401: %s %v", st, err)
			}
			if tokenTries != 3 || strings.Count(e.logs.String(), "path=/auth/token") != 3 {
				t.Fatalf("%d token requests; log:\n%s", tokenTries, e.logs)
			}
		})
	}
}

// Each response example of seed 002 (testdata, see its README) decodes through the connector.
func TestSeedExamples(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	connector, _ := json.Marshal(powenstest.DefaultConnectors()[0])
	answers := map[string][]byte{
		"POST /auth/token":                read("token.json"),
		"GET /connectors/" + instant:      connector,
		"POST /payments":                  read("create_payment.json"),
		"POST /payments/1001/scopedtoken": read("scopedtoken.json"),
		"GET /payments/1001":              read("create_payment.json"),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Method + " " + r.URL.Path
		if key != "POST /auth/token" && r.Header.Get("Authorization") != "Bearer {accessToken}" {
			w.WriteHeader(401)
			return
		}
		b, ok := answers[key]
		if !ok {
			w.WriteHeader(404)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	}))
	defer srv.Close()
	c := powens.New(powens.Config{BaseURL: srv.URL, ClientID: "cid", ClientSecret: "secret", Backoff: time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	created, err := c.CreatePayment(context.Background(), request("Test", instant))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(created.RedirectURL)
	if created.PaymentID != "1001" || created.BankStatus != "PDNG" || u.Query().Get("code") != "{scopedAccessToken}" {
		t.Fatalf("created %+v", created)
	}
	if st, err := c.Status(context.Background(), banks.Order{PaymentID: "1001"}); err != nil || st != "PDNG" {
		t.Fatalf("status %s %v", st, err)
	}
}

func TestFakeIsStrict(t *testing.T) {
	e := setup(t, powenstest.Forms{})
	srv := e.srv
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
	identity := `{"kind":"corporate","org_name":"ACME","org_legal_status":"SAS","scheme_name":"siren","identification":"552100554"}`
	good := `{"client_redirect_uri":"` + callback + `","client_state":"s","instructions":[{"label":"x","amount":10.5,"currency":"EUR","execution_date_type":"instant","beneficiary":{"scheme_name":"iban","identification":"FR1420041010050500013M02606","label":"ACME"},"beneficiary_identity":` + identity + `}],"payer_identity":` + identity + `}`
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
		"no identity":         {tok.Token, strings.Replace(good, `"beneficiary_identity":`+identity, `"beneficiary_identity":{}`, 1), 400},
		"no siren":            {tok.Token, strings.Replace(good, `"552100554"`, `""`, 1), 400},
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
