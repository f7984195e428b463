package powenstest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

const redirectURI = "https://shop.example/callback"

// seedPayment is the first request of seed 002 "Create a one-time payment", as a Go value so each
// case can change one thing in it.
func seedPayment() map[string]any {
	return map[string]any{
		"client_redirect_uri": redirectURI,
		"client_state":        "st-1",
		"instructions": []any{map[string]any{
			"label":               "Test",
			"amount":              json.Number("50.90"),
			"currency":            "EUR",
			"execution_date_type": "first_open_day",
			"beneficiary":         map[string]any{"scheme_name": "iban", "identification": "FR76XXXXXXXXXXXXXXX", "label": "ACME Corp."},
			"beneficiary_identity": map[string]any{"kind": "corporate", "org_name": "ACME Corp.", "org_legal_status": "SARL",
				"scheme_name": "siren", "identification": "012345678"},
		}},
		"payer_identity": map[string]any{"kind": "individual", "first_name": "Germaine", "last_name": "Michu",
			"birth_date": "1963-01-01", "birth_city": "Paris", "birth_country": "FR", "nationality": "French"},
	}
}

func instruction(p map[string]any) map[string]any {
	return p["instructions"].([]any)[0].(map[string]any)
}

type env struct {
	t     *testing.T
	fake  *Fake
	srv   *httptest.Server
	admin string
	hooks chan []byte
}

func newEnv(t *testing.T, forms Forms) *env {
	t.Helper()
	e := &env{t: t, fake: New("cid", "secret"), hooks: make(chan []byte, 16)}
	e.fake.RedirectURIs = []string{redirectURI}
	e.fake.Forms = forms
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		e.hooks <- b
	}))
	t.Cleanup(hook.Close)
	e.fake.WebhookURL = hook.URL
	e.srv = httptest.NewServer(e.fake)
	t.Cleanup(e.srv.Close)
	code, body := e.do("POST", "/auth/token", "", `{"grant_type":"client_credentials","client_id":"cid","client_secret":"secret","scope":"payments:admin"}`)
	if code != 200 {
		t.Fatalf("token: %d %v", code, body)
	}
	e.admin = body["token"].(string)
	return e
}

// do sends a JSON request with raw net/http and decodes the JSON answer.
func (e *env) do(method, path, auth, body string) (int, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	dec.Decode(&out)
	return resp.StatusCode, out
}

func (e *env) create(p map[string]any) (int, map[string]any) {
	b, _ := json.Marshal(p)
	return e.do("POST", "/payments", "Bearer "+e.admin, string(b))
}

// webviewURL creates a payment and returns its webview URL as seed 002 "Build the payment
// validation URL" builds it, plus a preselected bank when connector is not empty.
func (e *env) webviewURL(p map[string]any, connector string) (id string, u url.Values) {
	e.t.Helper()
	code, created := e.create(p)
	if code != 200 {
		e.t.Fatalf("create: %d %v", code, created)
	}
	id = created["id"].(json.Number).String()
	code, tok := e.do("POST", "/payments/"+id+"/scopedtoken", "Bearer "+e.admin, `{"scope":["payments:validate"]}`)
	if code != 200 {
		e.t.Fatalf("scopedtoken: %d %v", code, tok)
	}
	u = url.Values{"client_id": {"cid"}, "redirect_uri": {p["client_redirect_uri"].(string)}, "state": {p["client_state"].(string)},
		"code": {tok["token"].(string)}, "payment_id": {id}}
	if connector != "" {
		u.Set("connector_uuid", connector)
	}
	return id, u
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// decide opens the webview and posts the payer's decision; it returns the callback's query.
func (e *env) decide(u url.Values, form url.Values) url.Values {
	e.t.Helper()
	resp, err := http.Get(e.srv.URL + "/auth/webview/payment?" + u.Encode())
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		e.t.Fatalf("webview: %d", resp.StatusCode)
	}
	form.Set("code", u.Get("code"))
	form.Set("payment_id", u.Get("payment_id"))
	resp, err = noRedirect.PostForm(e.srv.URL+"/auth/webview/payment?"+u.Encode(), form)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 303 {
		e.t.Fatalf("decision: %d", resp.StatusCode)
	}
	back, _ := url.Parse(resp.Header.Get("Location"))
	if back.Scheme+"://"+back.Host+back.Path != redirectURI {
		e.t.Fatalf("callback to %s", back)
	}
	return back.Query()
}

func (e *env) get(id string) map[string]any {
	e.t.Helper()
	code, p := e.do("GET", "/payments/"+id, "Bearer "+e.admin, "")
	if code != 200 {
		e.t.Fatalf("get: %d %v", code, p)
	}
	return p
}

func (e *env) hook() map[string]any {
	e.t.Helper()
	select {
	case b := <-e.hooks:
		var v map[string]any
		d := json.NewDecoder(strings.NewReader(string(b)))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			e.t.Fatalf("webhook body %q: %v", b, err)
		}
		return v
	case <-time.After(3 * time.Second):
		e.t.Fatal("no PAYMENT_UPDATED")
		return nil
	}
}

func TestSeedRequestsAccepted(t *testing.T) {
	e := newEnv(t, Forms{})
	individual := map[string]any{"kind": "individual", "external_ref": "MY-CUSTOMER-REFERENCE-012345678", "first_name": "Jean",
		"last_name": "Dupont", "nationality": "FR", "postal_address": "Appartement 25\nEntrée B Résidence Les Iris\n3 Boulevard du Levant\n95220 HERBLAY"}
	corporate := map[string]any{"kind": "corporate", "org_name": "Powens", "org_legal_status": "SAS",
		"org_hq_address": "84 RUE BEAUBOURG\n75003 PARIS 3\nFRANCE", "scheme_name": "siren", "identification": "749867206"}
	cases := []struct {
		name   string
		change func(p map[string]any)
	}{
		{"first_open_day", func(map[string]any) {}},
		{"instant", func(p map[string]any) { instruction(p)["execution_date_type"] = "instant" }},
		{"deferred with a date", func(p map[string]any) {
			instruction(p)["execution_date_type"], instruction(p)["execution_date"] = "deferred", "2024-01-01"
		}},
		{"individual identity example as payer", func(p map[string]any) { p["payer_identity"] = individual }},
		{"corporate identity example as payer", func(p map[string]any) { p["payer_identity"] = corporate }},
		{"individual beneficiary", func(p map[string]any) { instruction(p)["beneficiary_identity"] = individual }},
		{"no client_state", func(p map[string]any) { delete(p, "client_state") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := seedPayment()
			c.change(p)
			code, out := e.create(p)
			if code != 200 || out["state"] != "created" {
				t.Fatalf("%d %v", code, out)
			}
			if _, err := out["id"].(json.Number).Int64(); err != nil {
				t.Fatalf("id %v is not a number", out["id"])
			}
		})
	}
}

func TestRejects(t *testing.T) {
	e := newEnv(t, Forms{})
	_, u := e.webviewURL(seedPayment(), "")
	scoped := u.Get("code")
	bearer := "Bearer " + e.admin
	payment := func(change func(p map[string]any)) string {
		p := seedPayment()
		change(p)
		b, _ := json.Marshal(p)
		return string(b)
	}
	ins := func(k string, v any) string {
		return payment(func(p map[string]any) { instruction(p)[k] = v })
	}
	// second is a bulk of two instructions, the second a copy of the first changed by change.
	second := func(change func(i map[string]any)) string {
		return payment(func(p map[string]any) {
			b, _ := json.Marshal(instruction(p))
			var two map[string]any
			dec := json.NewDecoder(strings.NewReader(string(b)))
			dec.UseNumber()
			dec.Decode(&two)
			change(two)
			p["instructions"] = append(p["instructions"].([]any), two)
		})
	}
	benID := func(k string, v any) string {
		return payment(func(p map[string]any) {
			id := instruction(p)["beneficiary_identity"].(map[string]any)
			if v == nil {
				delete(id, k)
			} else {
				id[k] = v
			}
		})
	}
	payer := func(k string, v any) string {
		return payment(func(p map[string]any) {
			id := p["payer_identity"].(map[string]any)
			if v == nil {
				delete(id, k)
			} else {
				id[k] = v
			}
		})
	}
	cases := []struct {
		name, method, path, auth, body string
		status                         int
		code                           string
	}{
		{"token as a form", "POST", "/auth/token", "", "grant_type=client_credentials&client_id=cid&client_secret=secret&scope=payments:admin", 400, "invalidRequest"},
		{"token with a wrong secret", "POST", "/auth/token", "", `{"grant_type":"client_credentials","client_id":"cid","client_secret":"x","scope":"payments:admin"}`, 401, "invalidClient"},
		{"token without the admin scope", "POST", "/auth/token", "", `{"grant_type":"client_credentials","client_id":"cid","client_secret":"secret"}`, 400, "invalidScope"},
		{"create without a token", "POST", "/payments", "", payment(func(map[string]any) {}), 401, "invalidToken"},
		{"create without Bearer", "POST", "/payments", e.admin, payment(func(map[string]any) {}), 401, "invalidToken"},
		{"create with the scoped token", "POST", "/payments", "Bearer " + scoped, payment(func(map[string]any) {}), 401, "invalidToken"},
		{"unregistered redirect", "POST", "/payments", bearer, payment(func(p map[string]any) { p["client_redirect_uri"] = "https://evil.example/" }), 400, "invalidValue"},
		{"no instructions", "POST", "/payments", bearer, payment(func(p map[string]any) { p["instructions"] = []any{} }), 400, "invalidValue"},
		{"a bulk in two currencies", "POST", "/payments", bearer, second(func(i map[string]any) { i["currency"] = "GBP" }), 400, "invalidValue"},
		{"a bulk's second instruction without beneficiary_identity", "POST", "/payments", bearer, second(func(i map[string]any) { delete(i, "beneficiary_identity") }), 400, "invalidValue"},
		{"a bulk's second instruction with an amount as a string", "POST", "/payments", bearer, second(func(i map[string]any) { i["amount"] = "10.00" }), 400, "invalidValue"},
		{"amount as a string", "POST", "/payments", bearer, ins("amount", "50.90"), 400, "invalidValue"},
		{"amount with three decimals", "POST", "/payments", bearer, ins("amount", json.Number("50.905")), 400, "invalidValue"},
		{"no currency", "POST", "/payments", bearer, ins("currency", ""), 400, "invalidValue"},
		{"unknown execution type", "POST", "/payments", bearer, ins("execution_date_type", "tomorrow"), 400, "invalidValue"},
		{"deferred without a date", "POST", "/payments", bearer, ins("execution_date_type", "deferred"), 400, "invalidValue"},
		{"beneficiary without iban", "POST", "/payments", bearer, ins("beneficiary", map[string]any{"scheme_name": "iban", "label": "ACME"}), 400, "invalidValue"},
		{"no beneficiary_identity", "POST", "/payments", bearer, ins("beneficiary_identity", nil), 400, "invalidValue"},
		{"beneficiary without kind", "POST", "/payments", bearer, benID("kind", nil), 400, "invalidValue"},
		{"corporate without org_name", "POST", "/payments", bearer, benID("org_name", nil), 400, "invalidValue"},
		{"corporate without org_legal_status", "POST", "/payments", bearer, benID("org_legal_status", nil), 400, "invalidValue"},
		{"corporate without scheme_name", "POST", "/payments", bearer, benID("scheme_name", nil), 400, "invalidValue"},
		{"corporate without identification", "POST", "/payments", bearer, benID("identification", nil), 400, "invalidValue"},
		{"siren of eight digits", "POST", "/payments", bearer, benID("identification", "01234567"), 400, "invalidValue"},
		{"no payer_identity", "POST", "/payments", bearer, payment(func(p map[string]any) { delete(p, "payer_identity") }), 400, "invalidValue"},
		{"payer of unknown kind", "POST", "/payments", bearer, payer("kind", "robot"), 400, "invalidValue"},
		{"payer without first_name", "POST", "/payments", bearer, payer("first_name", nil), 400, "invalidValue"},
		{"payer without last_name", "POST", "/payments", bearer, payer("last_name", " "), 400, "invalidValue"},
		{"no label", "POST", "/payments", bearer, ins("label", ""), 400, "invalidValue"},
		{"scopedtoken with a string scope", "POST", "/payments/" + u.Get("payment_id") + "/scopedtoken", bearer, `{"scope":"payments:validate"}`, 400, "invalidScope"},
		{"scopedtoken without a token", "POST", "/payments/" + u.Get("payment_id") + "/scopedtoken", "", `{"scope":["payments:validate"]}`, 401, "invalidToken"},
		{"scopedtoken of an unknown payment", "POST", "/payments/1/scopedtoken", bearer, `{"scope":["payments:validate"]}`, 404, "paymentNotFound"},
		{"get an unknown payment", "GET", "/payments/1", bearer, "", 404, "paymentNotFound"},
		{"get with the scoped token", "GET", "/payments/" + u.Get("payment_id"), "Bearer " + scoped, "", 401, "invalidToken"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, out := e.do(c.method, c.path, c.auth, c.body)
			if status != c.status || out["code"] != c.code {
				t.Fatalf("got %d %v, want %d %s", status, out, c.status, c.code)
			}
		})
	}
}

func TestWebviewRejects(t *testing.T) {
	e := newEnv(t, Forms{})
	_, u := e.webviewURL(seedPayment(), "")
	with := func(k, v string) url.Values {
		c := url.Values{}
		for key, vals := range u {
			c[key] = vals
		}
		c.Set(k, v)
		return c
	}
	cases := []struct {
		name  string
		query url.Values
	}{
		{"unknown client_id", with("client_id", "other")},
		{"another redirect_uri", with("redirect_uri", "https://shop.example/other")},
		{"another state", with("state", "st-2")},
		{"code of no payment", with("code", "nope")},
		{"payment_id not the code's", with("payment_id", "1")},
		{"unknown preselected bank", with("connector_uuid", "nope")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := http.Get(e.srv.URL + "/auth/webview/payment?" + c.query.Encode())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 400 {
				t.Fatalf("got %d", resp.StatusCode)
			}
		})
	}
	t.Run("validate without a bank", func(t *testing.T) {
		form := url.Values{"code": {u.Get("code")}, "payment_id": {u.Get("payment_id")}, "decision": {"validate"}}
		resp, err := noRedirect.PostForm(e.srv.URL+"/auth/webview/payment", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Fatalf("got %d", resp.StatusCode)
		}
	})
}

// TestWebviewBankChoice checks that the seed's URL, which names no bank, shows the bank choice, and
// that the chosen bank decides the outcome (a partial-status bank ends "accepted").
func TestWebviewBankChoice(t *testing.T) {
	e := newEnv(t, Forms{})
	id, u := e.webviewURL(seedPayment(), "")
	resp, err := http.Get(e.srv.URL + "/auth/webview/payment?" + u.Encode())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	partial := DefaultConnectors()[2]
	if resp.StatusCode != 200 || !strings.Contains(string(page), `<option value="`+partial.UUID+`">`) {
		t.Fatalf("%d, no bank choice in %s", resp.StatusCode, page)
	}
	back := e.decide(u, url.Values{"decision": {"validate"}, "connector_uuid": {partial.UUID}})
	if back.Get("payment_state") != "accepted" || e.get(id)["state"] != "accepted" {
		t.Fatalf("callback %v, payment %v", back, e.get(id))
	}
}

// TestForms runs the payer's journeys in every combination of AllForms and checks each answer
// against what its Forms says.
func TestForms(t *testing.T) {
	bank := DefaultConnectors()[0].UUID
	for _, fc := range AllForms() {
		f := fc.Forms
		t.Run(fc.Name, func(t *testing.T) {
			t.Run("created", func(t *testing.T) {
				e := newEnv(t, f)
				_, out := e.create(seedPayment())
				_, hasCode := out["error_code"]
				_, hasDesc := out["error_description"]
				if hasCode != f.PaymentNullErrors || hasDesc != f.PaymentNullErrors || (hasCode && out["error_code"] != nil) {
					t.Errorf("error fields in %v", out)
				}
				ins, _ := out["instructions"].([]any)
				if (len(ins) == 1) != f.PaymentExtraFields || (f.PaymentExtraFields && out["client_state"] != "st-1") {
					t.Errorf("extra fields in %v", out)
				}
				if f.PaymentExtraFields && ins[0].(map[string]any)["amount"] != json.Number("50.90") {
					t.Errorf("echoed amount %v", ins[0])
				}
			})
			t.Run("rejected by the bank", func(t *testing.T) {
				e := newEnv(t, f)
				p := seedPayment()
				instruction(p)["label"] = "pdng/rjct - Order 1"
				id, u := e.webviewURL(p, bank)
				back := e.decide(u, url.Values{"decision": {"validate"}})
				wantState := "pending"
				if f.ShowValidating {
					wantState = "validating"
				}
				if back.Has("payment_state") == f.CallbackNoPaymentState || (back.Has("payment_state") && back.Get("payment_state") != wantState) {
					t.Errorf("payment_state in %v, want %s", back, wantState)
				}
				if back.Has("bank_message") != f.CallbackBankMessage || back.Has("error") || back.Has("error_code") {
					t.Errorf("callback %v", back)
				}
				if back.Get("state") != "st-1" || back.Get("id_payment") != id {
					t.Errorf("callback %v", back)
				}
				e.hook()
				var states []string
				for range 3 {
					states = append(states, e.get(id)["state"].(string))
				}
				// Each read plays the next scripted step: the callback showed the first.
				want := []string{"rejected", "rejected", "rejected"}
				if f.ShowValidating {
					want = []string{"validating", "pending", "rejected"}
				}
				if !reflect.DeepEqual(states, want) {
					t.Errorf("states %v, want %v", states, want)
				}
				got := e.get(id)
				if got["error_code"] != "insufficientFunds" || (f.PaymentNullErrors != (got["error_description"] != nil)) {
					t.Errorf("rejected payment %v", got)
				}
				hook := e.hook()
				if f.WebhookPaymentObject {
					if hook["id"] != json.Number(id) || hook["state"] == nil {
						t.Errorf("webhook %v", hook)
					}
				} else if hook["type"] != "PAYMENT_UPDATED" || hook["payment"].(map[string]any)["id"] != json.Number(id) {
					t.Errorf("webhook %v", hook)
				}
			})
			t.Run("rejected at once, no client_state", func(t *testing.T) {
				e := newEnv(t, f)
				p := seedPayment()
				p["client_state"] = ""
				instruction(p)["label"] = "canc - Order 2"
				_, u := e.webviewURL(p, bank)
				back := e.decide(u, url.Values{"decision": {"validate"}})
				if back.Has("state") == f.CallbackNoEmptyState || back.Get("state") != "" {
					t.Errorf("state in %v", back)
				}
				wantCode := !f.CallbackNoErrorCode && !f.ShowValidating
				if back.Has("error_code") != wantCode || (wantCode && back.Get("error_code") != "cancelled") || back.Has("error") {
					t.Errorf("error_code in %v", back)
				}
			})
			t.Run("cancelled in the webview", func(t *testing.T) {
				e := newEnv(t, f)
				id, u := e.webviewURL(seedPayment(), "")
				back := e.decide(u, url.Values{"decision": {"cancel"}})
				want := url.Values{"state": {"st-1"}, "id_payment": {id}, "error": {"cancelled"}}
				if !reflect.DeepEqual(back, want) {
					t.Errorf("callback %v, want %v", back, want)
				}
				wantState := "rejected"
				if f.WebviewCancelLeavesCreated {
					wantState = "created"
				}
				if got := e.get(id); got["state"] != wantState {
					t.Errorf("payment %v, want %s", got, wantState)
				}
				resp, _ := http.Get(e.srv.URL + "/auth/webview/payment?" + u.Encode())
				resp.Body.Close()
				if resp.StatusCode != 400 {
					t.Errorf("the webview reopened a cancelled payment: %d", resp.StatusCode)
				}
				n, _ := strconv.ParseInt(id, 10, 64)
				if e.fake.Expire(n) != f.WebviewCancelLeavesCreated {
					t.Errorf("Expire of a cancelled payment")
				}
			})
		})
	}
}

func TestExpire(t *testing.T) {
	e := newEnv(t, Forms{})
	p := seedPayment()
	instruction(p)["label"] = "pdng/pdng/done - Order 3"
	id, u := e.webviewURL(p, DefaultConnectors()[0].UUID)
	e.decide(u, url.Values{"decision": {"validate"}})
	e.hook()
	n, _ := strconv.ParseInt(id, 10, 64)
	if !e.fake.Expire(n) {
		t.Fatal("a pending payment did not expire")
	}
	if hook := e.hook(); hook["payment"].(map[string]any)["id"] != json.Number(id) {
		t.Fatalf("webhook %v", hook)
	}
	if got := e.get(id); got["state"] != "expired" || e.get(id)["state"] != "expired" {
		t.Fatalf("payment %v", got)
	}
	if e.fake.Expire(n) {
		t.Fatal("an expired payment expired again")
	}
}

// shape maps each key of a JSON object to its JSON type.
func shape(v map[string]any) map[string]string {
	out := map[string]string{}
	for k, x := range v {
		out[k] = "null"
		if x != nil {
			out[k] = reflect.TypeOf(x).String()
		}
	}
	return out
}

func readExample(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile("../testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestAnswersMatchSeedExamples checks that the fake answers with the keys and JSON types of the
// seed's examples (banks/powens/testdata).
func TestAnswersMatchSeedExamples(t *testing.T) {
	e := newEnv(t, Forms{PaymentNullErrors: true})
	_, token := e.do("POST", "/auth/token", "", `{"grant_type":"client_credentials","client_id":"cid","client_secret":"secret","scope":"payments:admin"}`)
	_, created := e.create(seedPayment())
	id := created["id"].(json.Number).String()
	_, scoped := e.do("POST", "/payments/"+id+"/scopedtoken", "Bearer "+e.admin, `{"scope":["payments:validate"]}`)
	cases := []struct {
		file string
		got  map[string]any
	}{
		{"token.json", token},
		{"create_payment.json", created},
		{"scopedtoken.json", scoped},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			want := readExample(t, c.file)
			if !reflect.DeepEqual(shape(c.got), shape(want)) {
				t.Fatalf("got %v, the seed shows %v", shape(c.got), shape(want))
			}
			for _, k := range []string{"scope", "state", "expires_in"} {
				if want[k] != nil && c.got[k] != want[k] {
					t.Errorf("%s: got %v, the seed shows %v", k, c.got[k], want[k])
				}
			}
		})
	}
}

func TestAllFormsCoversEveryField(t *testing.T) {
	typ := reflect.TypeOf(Forms{})
	seen := map[string]bool{}
	for _, fc := range AllForms() {
		v := reflect.ValueOf(fc.Forms)
		for i := range typ.NumField() {
			if !v.Field(i).IsZero() {
				seen[typ.Field(i).Name] = true
			}
		}
	}
	var missing []string
	for i := range typ.NumField() {
		if !seen[typ.Field(i).Name] {
			missing = append(missing, typ.Field(i).Name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("AllForms never sets %v", missing)
	}
	if !regexp.MustCompile(`^as before$`).MatchString(AllForms()[0].Name) || AllForms()[0].Forms != (Forms{}) {
		t.Fatal("the first combination should be the zero value")
	}
}
