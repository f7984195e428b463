package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"paybybank/banks/openpayments/openpaymentstest"
	"paybybank/banks/sandbox"
	"paybybank/internal/e2etest"
)

// TestKillDashNineDuringRefund kills the real server with SIGKILL while the merchant's bank is
// creating the bulk payment that carries two refunds (the bank goes on and creates it; we never
// hear its answer), starts it again on the same data, and has the merchant's person authorise
// the refunds again: nothing is lost (both refunds still being authorised after the restart, then
// completed), and each refund's webhooks arrive once, signed.
func TestKillDashNineDuringRefund(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := dir + "/paybybank"
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	// The merchant's bank (SEB on Open Payments) runs outside the server, as a real one does, and
	// holds the first bulk creation once told to.
	fake := openpaymentstest.New(sandbox.ClientID, sandbox.ClientSecret, nil)
	fake.RedirectURIs = []string{"http://" + addr + "/callback"}
	var holdBulk atomic.Bool
	bankEntered, bankRelease := make(chan struct{}), make(chan struct{})
	var bankOnce sync.Once
	bank := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/psd2/paymentinitiation/v1/bulk-payments/") && holdBulk.Load() {
			bankOnce.Do(func() { close(bankEntered); <-bankRelease })
		}
		fake.ServeHTTP(w, r)
	}))
	defer bank.Close()
	fake.BaseURL = bank.URL
	env := []string{"PAYBYBANK_OPENPAYMENTS_CLIENT_ID=" + sandbox.ClientID, "PAYBYBANK_OPENPAYMENTS_CLIENT_SECRET=" + sandbox.ClientSecret,
		"PAYBYBANK_OPENPAYMENTS_AUTH_URL=" + bank.URL, "PAYBYBANK_OPENPAYMENTS_API_URL=" + bank.URL}
	p := startBinary(t, bin, dir, addr, env...)
	if p.workspace == "" {
		t.Fatal("the demo printed no link to set its owner's password")
	}
	base := "http://" + addr

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path string, form url.Values, hdr ...string) (*http.Response, string) {
		t.Helper()
		if !strings.HasPrefix(path, "http") {
			path = base + path
		}
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(method, path, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	post := func(from, path string, form url.Values) *http.Response {
		t.Helper()
		_, page := do("GET", from, nil)
		m := e2etest.CSRFRe.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no form at %s:\n%s", from, page)
		}
		form.Set("csrf", m[1])
		resp, _ := do("POST", path, form)
		return resp
	}
	api := func(key, method, path, body string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %v %v", method, path, resp, err)
		}
		defer resp.Body.Close()
		var v map[string]any
		json.NewDecoder(resp.Body).Decode(&v)
		return v
	}
	// approve signs the BankID order the checkout page at path shows, in the bank's app.
	approve := func(path string) {
		t.Helper()
		_, body := do("GET", path+"/status?page=bankid", nil)
		var s struct{ QR string }
		json.Unmarshal([]byte(body), &s)
		if s.QR == "" {
			t.Fatalf("no QR at %s: %s", path, body)
		}
		o, err := fake.ScanQR(decodeFromURL(t, client, base+s.QR))
		if err != nil {
			t.Fatal(err)
		}
		if err := fake.Sign(o.Ref, true); err != nil {
			t.Fatal(err)
		}
	}

	rc := e2etest.NewReceiver(t)
	rc.Secret = api(p.key, "PUT", "/api/v1/webhook", `{"url":"`+rc.Srv.URL+`"}`)["secret"].(string)
	// A shopper pays 249.00 from their account; the shop refunds 100.00 and 49.50 of it.
	pay := api(p.key, "POST", "/api/v1/payments", `{"amount":"249.00","currency":"SEK","reference":"Order 77","debtor":{"iban":"SE3550000000054910000003"}}`)
	u, _ := url.Parse(pay["checkout_url"].(string))
	if resp := post(u.Path, u.Path+"/bank", url.Values{"bank": {"ESSESESS"}}); resp.StatusCode != 303 {
		t.Fatalf("choose bank: %d", resp.StatusCode)
	}
	approve(u.Path)
	for i := 0; i < 50 && api(p.key, "GET", "/api/v1/payments/"+pay["id"].(string), "")["status"] != "completed"; i++ {
		do("GET", u.Path, nil)
		time.Sleep(100 * time.Millisecond)
	}
	var refunds []string
	for _, amount := range []string{"100.00", "49.50"} {
		refunds = append(refunds, api(p.key, "POST", "/api/v1/payments/"+pay["id"].(string)+"/refunds", `{"amount":"`+amount+`"}`)["id"].(string))
	}
	refundStatus := func(key, id string) string {
		return api(key, "GET", "/api/v1/refunds/"+id, "")["status"].(string)
	}

	// The demo shop's owner sets a password, signs in, and authorises both refunds (SEB: one bulk).
	if resp := post(p.workspace, p.workspace, url.Values{"password": {"a long enough passphrase"}, "confirm": {"a long enough passphrase"}}); resp.StatusCode != 303 {
		t.Fatalf("set password: %d", resp.StatusCode)
	}
	if resp := post("/merchant", "/merchant/login", url.Values{"email": {"owner@demo.example"}, "password": {"a long enough passphrase"}}); resp.StatusCode != 303 {
		t.Fatalf("sign in: %d", resp.StatusCode)
	}
	resp := post("/merchant/refunds", "/merchant/refunds", url.Values{"refund": refunds})
	order := resp.Header.Get("Location")
	if resp.StatusCode != 303 || !strings.HasPrefix(order, "/checkout/") {
		t.Fatalf("authorise: %d %s", resp.StatusCode, order)
	}
	holdBulk.Store(true)
	_, page := do("GET", order, nil)
	csrf := e2etest.CSRFRe.FindStringSubmatch(page)[1]
	go client.PostForm(base+order+"/bank", url.Values{"bank": {"ESSESESS"}, "csrf": {csrf}}) // cut short by the kill
	select {
	case <-bankEntered:
	case <-time.After(20 * time.Second):
		t.Fatalf("the bulk never reached the bank; log:\n%s", p.stderr.String())
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()
	close(bankRelease) // the bank creates the bulk all the same; its answer goes nowhere

	p2 := startBinary(t, bin, dir, addr, env...)
	for _, id := range refunds {
		if st := refundStatus(p2.key, id); st != "authorising" {
			t.Fatalf("refund %s is %s after the crash", id, st)
		}
	}
	// The person's session survived (it is in the database); the order's page offers the bank
	// again, and this time the bank answers.
	if resp, page := do("GET", order, nil); resp.StatusCode != 200 || !strings.Contains(page, "You are authorising refunds") {
		t.Fatalf("the refund order after the restart: %d\n%s", resp.StatusCode, page)
	}
	if resp := post(order, order+"/bank", url.Values{"bank": {"ESSESESS"}}); resp.StatusCode != 303 {
		t.Fatalf("choose the bank again: %d; log:\n%s", resp.StatusCode, p2.stderr.String())
	}
	approve(order)
	// Nobody looks at the page: the reconciler finds the outcome.
	done := func() bool {
		return refundStatus(p2.key, refunds[0]) == "completed" && refundStatus(p2.key, refunds[1]) == "completed"
	}
	for i := 0; i < 100 && !done(); i++ {
		time.Sleep(100 * time.Millisecond)
	}
	if !done() {
		t.Fatalf("refunds %s, %s after the restart", refundStatus(p2.key, refunds[0]), refundStatus(p2.key, refunds[1]))
	}
	bulks := 0
	for _, c := range fake.Calls() {
		if c.Method == "POST" && strings.HasPrefix(c.Path, "/psd2/paymentinitiation/v1/bulk-payments/") && strings.Count(c.Path, "/") == 5 {
			bulks++
		}
	}
	if bulks != 2 { // the one whose answer was lost, and the one authorised
		t.Errorf("%d bulk creations at the bank", bulks)
	}
	want := map[string]int{}
	for _, id := range refunds {
		want["refund.created "+id], want["refund.completed "+id] = 1, 1
	}
	count := func() map[string]int {
		rc.Mu.Lock()
		defer rc.Mu.Unlock()
		got := map[string]int{}
		for _, ev := range rc.Got {
			if typ := ev["type"].(string); strings.HasPrefix(typ, "refund.") {
				got[typ+" "+ev["data"].(map[string]any)["id"].(string)]++
			}
		}
		return got
	}
	for i := 0; i < 100 && len(count()) < len(want); i++ {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second) // time for a second delivery, were one to come
	got := count()
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s received %d times (all: %v)", k, got[k], got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("refund webhooks %v, want %v", got, want)
	}
	rc.Mu.Lock()
	defer rc.Mu.Unlock()
	seen := map[string]bool{}
	for _, id := range rc.IDs {
		if seen[id] {
			t.Errorf("event %s delivered twice", id)
		}
		seen[id] = true
	}
	if rc.Invalid != 0 {
		t.Errorf("%d webhooks badly signed", rc.Invalid)
	}
}
