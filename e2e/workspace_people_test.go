package e2e

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"paybybank/internal/e2etest"
	"paybybank/store"
)

// person is someone using the workspace from their own browser: a client with its own cookies.
type person struct {
	t        *testing.T
	h        *e2etest.Harness
	client   *http.Client
	email    string
	password string
}

// addPerson adds someone with a role (as `paybybank user add` does: its own test is at the
// repository root, beside the command), then sets their password through the one-time link, as
// the person would.
func addPerson(h *e2etest.Harness, email string, role store.Role) *person {
	h.T.Helper()
	_, token, err := h.DB.CreateUser(h.T.Context(), h.Merchant.ID, email, role)
	if err != nil {
		h.T.Fatal(err)
	}
	link := h.Srv.URL + "/merchant/password/" + token
	p := newPerson(h, email, "correct horse battery "+string(role))
	p.setPassword(link, p.password, 303)
	return p
}

func newPerson(h *e2etest.Harness, email, password string) *person {
	jar, _ := cookiejar.New(nil)
	return &person{t: h.T, h: h, email: email, password: password,
		client: &http.Client{Jar: jar, Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (p *person) do(method, path string, form url.Values) (*http.Response, string) {
	p.t.Helper()
	if !strings.HasPrefix(path, "http") {
		path = p.h.Srv.URL + path
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := p.client.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (p *person) get(path string) (*http.Response, string) {
	p.t.Helper()
	return p.do("GET", path, nil)
}

// post sends a form with the CSRF token of the page at from.
func (p *person) post(from, path string, form url.Values) (*http.Response, string) {
	p.t.Helper()
	_, page := p.get(from)
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", p.h.CSRF(page))
	return p.do("POST", path, form)
}

func (p *person) setPassword(link, password string, want int) {
	p.t.Helper()
	resp, _ := p.post(link, link, url.Values{"password": {password}, "confirm": {password}})
	e2etest.ExpectCode(p.t, resp, want)
}

// signIn signs in with the person's password (and code, when given) and expects the workspace.
func (p *person) signIn(code ...string) {
	p.t.Helper()
	resp, page := p.post("/merchant", "/merchant/login", url.Values{"email": {p.email}, "password": {p.password}})
	if len(code) > 0 {
		e2etest.ExpectCode(p.t, resp, 200)
		if !strings.Contains(page, `action="/merchant/login/code"`) {
			p.t.Fatalf("no code asked:\n%s", page)
		}
		resp, _ = p.do("POST", "/merchant/login/code", url.Values{"csrf": {p.h.CSRF(page)}, "code": {code[0]}})
	}
	e2etest.ExpectCode(p.t, resp, 303)
	resp, page = p.get("/merchant")
	e2etest.ExpectCode(p.t, resp, 200)
	if !strings.Contains(page, p.email) {
		p.t.Fatalf("not signed in as %s:\n%s", p.email, page)
	}
}

func signedOut(page string) bool { return strings.Contains(page, `action="/merchant/login"`) }

// A person added (as `paybybank user add` does; the command's own test is at the root) sets a
// password through the one-time link and signs in with it; the link works once; an API key no
// longer signs in; signing out ends the session.
func TestWorkspaceSignIn(t *testing.T) {
	h := e2etest.New(t)
	id, _ := h.CreatePayment("")
	_, token, err := h.DB.CreateUser(t.Context(), h.Merchant.ID, "Ann@Example.com", store.RoleOwner)
	if err != nil {
		t.Fatal(err)
	}
	link := h.Srv.URL + "/merchant/password/" + token
	ann := newPerson(h, "ann@example.com", "a long enough passphrase")
	resp, page := ann.get(link)
	e2etest.ExpectCode(t, resp, 200)
	if !strings.Contains(page, "ann@example.com") {
		t.Fatal("the link's page does not say whose password it sets")
	}
	ann.setPassword(link, "too short", 422)
	resp, _ = ann.post(link, link, url.Values{"password": {ann.password}, "confirm": {ann.password + "x"}})
	e2etest.ExpectCode(t, resp, 422)
	ann.setPassword(link, ann.password, 303)
	resp, _ = ann.get(link)
	e2etest.ExpectCode(t, resp, 404) // used once
	if _, _, err := h.DB.CreateUser(t.Context(), h.Merchant.ID, "ann@example.com", store.RoleViewer); err == nil {
		t.Fatal("the same e-mail added twice")
	}

	resp, page = ann.get("/merchant")
	if !signedOut(page) || !strings.Contains(page, "Your password is set") {
		t.Fatalf("after setting the password: %d\n%s", resp.StatusCode, page)
	}
	resp, _ = ann.post("/merchant", "/merchant/login", url.Values{"email": {ann.email}, "password": {"wrong password here"}})
	e2etest.ExpectCode(t, resp, 401)
	resp, _ = ann.post("/merchant", "/merchant/login", url.Values{"key": {h.Key}, "email": {""}, "password": {h.Key}})
	e2etest.ExpectCode(t, resp, 401) // an API key signs nobody in
	ann.signIn()
	_, page = ann.get("/merchant")
	for _, want := range []string{"Order 1001", "249.00", id, "ann@example.com", "/merchant/keys", "/merchant/people", "/merchant/audit"} {
		if !strings.Contains(page, want) {
			t.Errorf("workspace lacks %q", want)
		}
	}
	resp, _ = ann.post("/merchant", "/merchant/logout", nil)
	e2etest.ExpectCode(t, resp, 303)
	if _, page = ann.get("/merchant"); !signedOut(page) {
		t.Fatal("still signed in after signing out")
	}
	resp, _ = ann.get("/merchant/keys")
	e2etest.ExpectCode(t, resp, 303)
	if resp.Header.Get("Location") != "/merchant" {
		t.Fatalf("signed out, /merchant/keys sends to %q", resp.Header.Get("Location"))
	}
}

// Five wrong passwords within 15 minutes lock the account: the right one is refused too, until
// the window has passed.
func TestWorkspaceSignInRateLimit(t *testing.T) {
	h := e2etest.New(t)
	bo := addPerson(h, "bo@example.com", store.RoleViewer)
	for i := range 5 {
		resp, _ := bo.post("/merchant", "/merchant/login", url.Values{"email": {bo.email}, "password": {"not the password"}})
		e2etest.ExpectCode(t, resp, 401)
		_ = i
	}
	resp, page := bo.post("/merchant", "/merchant/login", url.Values{"email": {bo.email}, "password": {bo.password}})
	e2etest.ExpectCode(t, resp, 429)
	if !strings.Contains(page, "15 minutes") {
		t.Fatalf("the refusal does not say how long:\n%s", page)
	}
	h.Clock.Add(16 * time.Minute)
	bo.signIn()
}

// TestMerchantRevokesKeys: a developer creates a key in the workspace (shown once) and revokes
// the old one (a CSRF-checked POST, then a redirect); the API refuses it from then on; both are
// in the audit log the owner reads; a viewer sees no keys.
func TestMerchantRevokesKeys(t *testing.T) {
	h := e2etest.New(t)
	old := h.Key
	dev := addPerson(h, "dev@example.com", store.RoleDeveloper)
	dev.signIn()
	bearer := func(key string) int {
		resp, _ := h.Do("GET", "/api/v1/payments", nil, map[string]string{"Authorization": "Bearer " + key})
		return resp.StatusCode
	}
	resp, page := dev.post("/merchant/keys", "/merchant/keys", nil)
	e2etest.ExpectCode(t, resp, 200)
	fresh := regexp.MustCompile(`id="new-key">([^<]+)<`).FindStringSubmatch(page)
	if fresh == nil {
		t.Fatalf("the new key is not shown:\n%s", page)
	}
	if bearer(old) != 200 || bearer(fresh[1]) != 200 {
		t.Fatal("two live keys at once: both must work")
	}
	if _, page = dev.get("/merchant/keys"); strings.Contains(page, fresh[1]) {
		t.Fatal("the key is shown again")
	}
	keys, err := h.DB.APIKeys(t.Context(), h.Merchant.ID)
	if err != nil || len(keys) != 2 {
		t.Fatalf("%v %v", keys, err)
	}
	oldID := keys[0].ID
	if keys[0].Hint != old[len(old)-4:] {
		oldID = keys[1].ID
	}
	if !strings.Contains(page, "/merchant/keys/"+oldID+"/revoke") {
		t.Fatal("no revoke button for the old key")
	}

	// Without the form's token the POST is refused.
	resp, _ = dev.do("POST", "/merchant/keys/"+oldID+"/revoke", url.Values{"csrf": {"forged"}})
	e2etest.ExpectCode(t, resp, 403)
	if bearer(old) != 200 {
		t.Fatal("a forged POST revoked the key")
	}
	// Another merchant's key cannot be revoked from here.
	other := h.OtherMerchant()
	if _, err := h.DB.CreateAPIKey(t.Context(), other); err != nil {
		t.Fatal(err)
	}
	otherKeys, _ := h.DB.APIKeys(t.Context(), other)
	resp, _ = dev.post("/merchant/keys", "/merchant/keys/"+otherKeys[0].ID+"/revoke", nil)
	e2etest.ExpectCode(t, resp, 404)

	resp, _ = dev.post("/merchant/keys", "/merchant/keys/"+oldID+"/revoke", nil)
	e2etest.ExpectCode(t, resp, 303)
	if loc := resp.Header.Get("Location"); loc != "/merchant/keys" {
		t.Fatalf("redirect to %q", loc)
	}
	if code := bearer(old); code != 401 {
		t.Fatalf("revoked key answered %d, want 401", code)
	}
	if bearer(fresh[1]) != 200 {
		t.Fatal("the new key stopped working")
	}
	if _, page = dev.get("/merchant/keys"); strings.Contains(page, "/merchant/keys/"+oldID+"/revoke") || !strings.Contains(page, "The key is revoked") {
		t.Fatal("after revoking: the old key still has a revoke button, or no word of it")
	}
	// A developer reads no audit log; the owner does, with both changes.
	resp, _ = dev.get("/merchant/audit")
	e2etest.ExpectCode(t, resp, 403)
	owner := addPerson(h, "owner@example.com", store.RoleOwner)
	owner.signIn()
	_, page = owner.get("/merchant/audit")
	for _, want := range []string{"Created an API key", "Revoked an API key", oldID, "dev@example.com", "127.0.0.1"} {
		if !strings.Contains(page, want) {
			t.Errorf("audit log lacks %q", want)
		}
	}
	viewer := addPerson(h, "viewer@example.com", store.RoleViewer)
	viewer.signIn()
	if _, page = viewer.get("/merchant"); strings.Contains(page, "/merchant/keys") {
		t.Error("a viewer is offered the keys page")
	}
	resp, _ = viewer.get("/merchant/keys")
	e2etest.ExpectCode(t, resp, 403)
	resp, _ = viewer.post("/merchant", "/merchant/keys", nil)
	e2etest.ExpectCode(t, resp, 403)
}

// Roles decide what a person may do: support cancels and redelivers but sees no keys or people;
// a viewer only reads. A payment that can no longer be cancelled says so with the API's code.
func TestWorkspaceRoles(t *testing.T) {
	h := e2etest.New(t)
	rc := e2etest.NewReceiver(t)
	_, wh := h.API("PUT", "/api/v1/webhook", `{"url":"`+rc.Srv.URL+`"}`)
	rc.Secret = wh["secret"].(string)
	id, _ := h.CreatePayment("")
	owner := addPerson(h, "owner@example.com", store.RoleOwner)
	owner.signIn()

	// The owner invites support from the workspace; the link is shown once.
	resp, page := owner.post("/merchant/people", "/merchant/people", url.Values{"email": {"sue@example.com"}, "role": {"support"}})
	e2etest.ExpectCode(t, resp, 200)
	link := regexp.MustCompile(`id="invite-link">([^<]+)<`).FindStringSubmatch(page)
	if link == nil {
		t.Fatalf("no invitation link shown:\n%s", page)
	}
	resp, _ = owner.post("/merchant/people", "/merchant/people", url.Values{"email": {"sue@example.com"}, "role": {"viewer"}})
	e2etest.ExpectCode(t, resp, 409)
	sue := newPerson(h, "sue@example.com", "support person password")
	sue.setPassword(link[1], sue.password, 303)
	sue.signIn()
	_, page = sue.get("/merchant")
	if strings.Contains(page, "/merchant/keys") || strings.Contains(page, "/merchant/people") {
		t.Error("support is offered keys or people")
	}
	for _, path := range []string{"/merchant/keys", "/merchant/people", "/merchant/audit"} {
		resp, _ = sue.get(path)
		e2etest.ExpectCode(t, resp, 403)
	}
	resp, page = sue.get("/merchant/payments/" + id)
	e2etest.ExpectCode(t, resp, 200)
	if !strings.Contains(page, "/merchant/payments/"+id+"/cancel") {
		t.Fatal("support has no cancel button")
	}
	resp, _ = sue.post("/merchant/payments/"+id, "/merchant/payments/"+id+"/cancel", nil)
	e2etest.ExpectCode(t, resp, 303)
	if s, _ := h.Status(id); s != "cancelled" {
		t.Fatalf("status %s after cancel", s)
	}
	h.App.Webhooks.DeliverDue(t.Context())
	_, page = sue.get("/merchant/payments/" + id)
	for _, want := range []string{"The payment is cancelled", "payment.cancelled", "Delivered", "Open", "Cancelled", "merchant"} {
		if !strings.Contains(page, want) {
			t.Errorf("payment page lacks %q", want)
		}
	}
	event := regexp.MustCompile(`/webhooks/([^/]+)/redeliver`).FindStringSubmatch(page)
	if event == nil {
		t.Fatal("no redeliver button")
	}
	resp, _ = sue.post("/merchant/payments/"+id, "/merchant/payments/"+id+"/webhooks/"+event[1]+"/redeliver", nil)
	e2etest.ExpectCode(t, resp, 303)
	h.App.Webhooks.DeliverDue(t.Context())
	if _, page = sue.get("/merchant/payments/" + id); !strings.Contains(page, `<td class="num">2</td>`) {
		t.Error("a redelivered event was not delivered a second time")
	}
	// Cancelling again: the answer is shown, with the API's code.
	resp, _ = sue.post("/merchant/payments/"+id, "/merchant/payments/"+id+"/cancel", nil)
	e2etest.ExpectCode(t, resp, 303)
	if _, page = sue.get("/merchant/payments/" + id); !strings.Contains(page, "payment_not_cancellable") {
		t.Errorf("a refused cancel says nothing:\n%s", page)
	}

	// The owner makes support a viewer: no cancel any more.
	users, _ := h.DB.Users(t.Context(), h.Merchant.ID)
	var sueID, ownerID string
	for _, u := range users {
		if u.Email == "sue@example.com" {
			sueID = u.ID
		} else {
			ownerID = u.ID
		}
	}
	resp, _ = owner.post("/merchant/people", "/merchant/people/"+sueID+"/role", url.Values{"role": {"viewer"}})
	e2etest.ExpectCode(t, resp, 303)
	id2, _ := h.CreatePayment("")
	if _, page = sue.get("/merchant/payments/" + id2); strings.Contains(page, "/cancel") {
		t.Error("a viewer has a cancel button")
	}
	resp, _ = sue.post("/merchant/payments/"+id2, "/merchant/payments/"+id2+"/cancel", nil)
	e2etest.ExpectCode(t, resp, 403)
	// The last owner stays an owner.
	owner.post("/merchant/people", "/merchant/people/"+ownerID+"/role", url.Values{"role": {"viewer"}})
	if _, page = owner.get("/merchant/people"); !strings.Contains(page, "at least one owner") {
		t.Error("the last owner was demoted")
	}
	_, page = owner.get("/merchant/audit")
	for _, want := range []string{"Invited a person", "sue@example.com", "Cancelled a payment", id, "Changed a role", "support → viewer", "Sent a webhook again"} {
		if !strings.Contains(page, want) {
			t.Errorf("audit log lacks %q", want)
		}
	}
}

// Two-step sign-in: turned on with a code from the app, then asked for at sign-in; a code is
// not accepted twice; "sign out everywhere" ends the person's other sessions too.
func TestWorkspaceTOTP(t *testing.T) {
	h := e2etest.New(t)
	ann := addPerson(h, "ann@example.com", store.RoleOwner)
	ann.signIn()
	resp, page := ann.post("/merchant/security", "/merchant/security/totp", nil)
	e2etest.ExpectCode(t, resp, 200)
	m := regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`).FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, "otpauth://totp/paybybank:ann@example.com?") || !strings.Contains(page, `src="data:image/png;base64,`) {
		t.Fatalf("no secret, URI or QR:\n%s", page)
	}
	secret := m[1]
	resp, _ = ann.do("POST", "/merchant/security/totp/confirm", url.Values{"csrf": {h.CSRF(page)}, "code": {"000000"}})
	e2etest.ExpectCode(t, resp, 422)
	resp, _ = ann.do("POST", "/merchant/security/totp/confirm", url.Values{"csrf": {h.CSRF(page)}, "code": {store.TOTPCode(secret, h.Clock.Now())}})
	e2etest.ExpectCode(t, resp, 303)

	// Another device signs in: the password, then the code. The code just used is refused.
	other := newPerson(h, ann.email, ann.password)
	resp, page = other.post("/merchant", "/merchant/login", url.Values{"email": {ann.email}, "password": {ann.password}})
	e2etest.ExpectCode(t, resp, 200)
	resp, _ = other.do("POST", "/merchant/login/code", url.Values{"csrf": {h.CSRF(page)}, "code": {store.TOTPCode(secret, h.Clock.Now())}})
	e2etest.ExpectCode(t, resp, 401)
	h.Clock.Add(30 * time.Second)
	other.signIn(store.TOTPCode(secret, h.Clock.Now()))

	resp, _ = ann.post("/merchant/security", "/merchant/logout/everywhere", nil)
	e2etest.ExpectCode(t, resp, 303)
	for _, p := range []*person{ann, other} {
		if _, page := p.get("/merchant"); !signedOut(page) {
			t.Fatal("a session outlived sign out everywhere")
		}
	}
	h.Clock.Add(30 * time.Second)
	ann.signIn(store.TOTPCode(secret, h.Clock.Now()))
	_, page = ann.get("/merchant/audit")
	for _, want := range []string{"Turned two-step sign-in on", "Signed out everywhere"} {
		if !strings.Contains(page, want) {
			t.Errorf("audit log lacks %q", want)
		}
	}
}
