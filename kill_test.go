package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"paybybank/banks/bankid"
	"paybybank/banks/openpayments/openpaymentstest"
	"paybybank/banks/sandbox"
	"paybybank/internal/e2etest"
	"paybybank/store"
)

// process is the real binary, started as an operator would.
type process struct {
	cmd       *exec.Cmd
	key       string
	link      string
	workspace string       // the demo owner's link to set a password, on the first start only
	stderr    lockedBuffer // its log
}

// lockedBuffer is a log the process writes while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startBinary starts the server on dir's database with the sandbox on; env adds PAYBYBANK_
// variables.
func startBinary(t *testing.T, bin, dir, addr string, env ...string) *process {
	t.Helper()
	return startServer(t, bin, dir+"/pbb.db", addr, env...)
}

// startServer starts the server on the database db (a file or a postgres:// URL).
func startServer(t *testing.T, bin, db, addr string, env ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--demo", "--addr", addr, "--db", db, "--rate-limit", "0", "--metrics-addr", "127.0.0.1:0")
	cmd.Env = append(append(os.Environ(), "PAYBYBANK_SANDBOX=true"), env...)
	out, _ := cmd.StdoutPipe()
	p := &process{cmd: cmd}
	cmd.Stderr = &p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	deadline := time.After(20 * time.Second)
	lines := make(chan string)
	go func() {
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	sawWorkspace := false // printed after the checkout link
	for p.link == "" || !sawWorkspace {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("server exited before printing its checkout link")
			}
			if f := strings.Fields(l); len(f) == 3 && f[0] == "API" {
				p.key = f[2]
			} else if len(f) == 3 && f[0] == "Checkout" {
				p.link = f[2]
			} else if len(f) > 1 && f[0] == "Workspace:" {
				sawWorkspace = true
				if strings.Contains(f[1], "/merchant/password/") {
					p.workspace = f[1]
				}
			}
		case <-deadline:
			t.Fatal("server did not start")
		}
	}
	go func() {
		for range lines {
		}
	}()
	return p
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestKillDashNine kills the real server with SIGKILL while a shopper waits on the BankID page,
// starts it again on the same data, and finishes the payment: nothing is lost, the same bank
// order resumes, and the reconciler confirms the outcome.
func TestKillDashNine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := dir + "/paybybank"
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	p := startBinary(t, bin, dir, addr)
	// The merchant's endpoint is down until after the crash: its events wait in the outbox.
	rc := e2etest.NewReceiver(t)
	rc.Fail = 1 << 30
	req, _ := http.NewRequest("PUT", "http://"+addr+"/api/v1/webhook", strings.NewReader(`{"url":"`+rc.Srv.URL+`"}`))
	req.Header.Set("Authorization", "Bearer "+p.key)
	wresp, err := http.DefaultClient.Do(req)
	if err != nil || wresp.StatusCode != 200 {
		t.Fatalf("set webhook: %v %v", wresp, err)
	}
	var wh struct{ Secret string }
	json.NewDecoder(wresp.Body).Decode(&wh)
	wresp.Body.Close()
	rc.Secret = wh.Secret
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u string) (int, string) {
		resp, err := client.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		bufio.NewReader(resp.Body).WriteTo(&b)
		return resp.StatusCode, b.String()
	}
	_, page := get(p.link)
	csrf := e2etest.CSRFRe.FindStringSubmatch(page)[1]
	resp, err := client.PostForm(p.link+"/bank", url.Values{"bank": {"HANDSESS"}, "csrf": {csrf}})
	if err != nil || resp.StatusCode != 303 || !strings.Contains(resp.Header.Get("Location"), "/account?bank=HANDSESS") {
		t.Fatalf("choose bank: %v %v", resp, err)
	}
	// Handelsbanken wants the shopper's account: type it, as the page asks.
	resp, err = client.PostForm(p.link+"/account", url.Values{"bank": {"HANDSESS"}, "csrf": {csrf}, "country": {"SE"},
		"clearing_number": {"6789"}, "account_number": {"123456789"}})
	if err != nil || resp.StatusCode != 303 {
		t.Fatalf("account: %v %v", resp, err)
	}
	qr := func() string {
		_, body := get(p.link + "/status?page=bankid")
		var s struct{ QR string }
		json.Unmarshal([]byte(body), &s)
		if s.QR == "" {
			t.Fatalf("no QR: %s", body)
		}
		u, _ := url.Parse(p.link)
		return u.Scheme + "://" + u.Host + s.QR
	}

	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()
	rc.Mu.Lock()
	rc.Fail = 0
	rc.Mu.Unlock()
	p2 := startBinary(t, bin, dir, addr)
	code, page := get(p.link)
	if code != 200 || !strings.Contains(page, "Approve with BankID") {
		t.Fatalf("after restart the checkout shows %d:\n%s", code, page)
	}
	// The same BankID order resumes: the bank still knows it, and the page shows its frames.
	_, body := get(p.link + "/status?page=bankid")
	if !strings.Contains(body, `"qr"`) {
		t.Fatalf("status after restart: %s", body)
	}
	// Approve in the simulated app with a fresh payload computed from the QR the server shows.
	payload := decodeFromURL(t, client, qr())
	if _, err := bankid.ParseQR(payload); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(p.link)
	base := u.Scheme + "://" + u.Host
	resp, err = client.PostForm(base+"/sandbox/bankid/scan", url.Values{"payload": {payload}})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("scan after restart: %v %v", resp.StatusCode, err)
	}
	var sb strings.Builder
	bufio.NewReader(resp.Body).WriteTo(&sb)
	resp.Body.Close()
	ref := e2etest.RefRe.FindStringSubmatch(sb.String())[1]
	client.PostForm(base+"/sandbox/bankid/sign", url.Values{"ref": {ref}, "decision": {"approve"}})
	// Nobody looks at the page: the reconciler (every 2 s) finds the outcome.
	var status string
	for i := 0; i < 50 && status != "completed"; i++ {
		time.Sleep(200 * time.Millisecond)
		req, _ := http.NewRequest("GET", base+"/api/v1/payments?limit=10", nil)
		req.Header.Set("Authorization", "Bearer "+p2.key)
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var list struct {
			Data []struct {
				Status      string
				CheckoutURL string `json:"checkout_url"`
			}
		}
		json.NewDecoder(r.Body).Decode(&list)
		r.Body.Close()
		for _, d := range list.Data {
			if d.CheckoutURL == p.link {
				status = d.Status
			}
		}
	}
	if status != "completed" {
		t.Fatalf("payment is %q after restart and approval", status)
	}
	// Every status change reached the merchant, the one from before the crash included.
	for i := 0; i < 100; i++ {
		if got := strings.Join(rc.Types(), " "); strings.Contains(got, "payment.authorising") && strings.Contains(got, "payment.completed") {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("webhooks after kill -9: %v (invalid signatures %d)", rc.Types(), rc.Invalid)
}

func decodeFromURL(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	text, err := e2etest.DecodeQRImage(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// TestSIGTERMDuringBankCall stops the real server with SIGTERM while a shopper's bank choice waits
// on a slow bank and a webhook is on its way to the merchant. The shopper gets the bank's answer,
// the payment keeps the bank's payment, the webhook in flight is delivered and recorded, and the
// workers stop before the database closes.
func TestSIGTERMDuringBankCall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := dir + "/paybybank"
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	// The bank, outside the server as a real one is, holds the creation of a payment until released.
	fake := openpaymentstest.New(sandbox.ClientID, sandbox.ClientSecret, nil)
	fake.RedirectURIs = []string{"http://" + addr + "/callback"}
	bankEntered, bankRelease := make(chan struct{}), make(chan struct{})
	var bankOnce sync.Once
	bank := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && e2etest.BankCreateRe.MatchString(r.URL.Path) {
			bankOnce.Do(func() { close(bankEntered); <-bankRelease })
		}
		fake.ServeHTTP(w, r)
	}))
	defer bank.Close()
	fake.BaseURL = bank.URL
	// The merchant's endpoint likewise holds the first webhook until released.
	whEntered, whRelease := make(chan struct{}), make(chan struct{})
	var whOnce sync.Once
	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		whOnce.Do(func() { close(whEntered); <-whRelease })
	}))
	defer merchant.Close()

	p := startBinary(t, bin, dir, addr, "PAYBYBANK_SHUTDOWN_TIMEOUT=5s",
		"PAYBYBANK_OPENPAYMENTS_CLIENT_ID="+sandbox.ClientID, "PAYBYBANK_OPENPAYMENTS_CLIENT_SECRET="+sandbox.ClientSecret,
		"PAYBYBANK_OPENPAYMENTS_AUTH_URL="+bank.URL, "PAYBYBANK_OPENPAYMENTS_API_URL="+bank.URL)
	api := func(method, path, body string) map[string]any {
		req, _ := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+p.key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %v %v", method, path, resp, err)
		}
		defer resp.Body.Close()
		var v map[string]any
		json.NewDecoder(resp.Body).Decode(&v)
		return v
	}
	api("PUT", "/api/v1/webhook", `{"url":"`+merchant.URL+`"}`)
	// A cancelled payment makes the webhook that will be in flight.
	cancelled := api("POST", "/api/v1/payments", `{"amount":"10.00","currency":"SEK","reference":"Order 2"}`)["id"].(string)
	api("POST", "/api/v1/payments/"+cancelled+"/cancel", "")

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(p.link)
	if err != nil {
		t.Fatal(err)
	}
	var page strings.Builder
	bufio.NewReader(resp.Body).WriteTo(&page)
	resp.Body.Close()
	csrf := e2etest.CSRFRe.FindStringSubmatch(page.String())[1]
	// The shopper chooses Handelsbanken and gives the account it asks for; that sends the
	// payment to the bank, which takes its time.
	type answer struct {
		code     int
		location string
		err      error
	}
	shopper := make(chan answer, 1)
	go func() {
		resp, err := client.PostForm(p.link+"/bank", url.Values{"bank": {"HANDSESS"}, "csrf": {csrf}})
		if err == nil && resp.StatusCode == 303 && strings.Contains(resp.Header.Get("Location"), "/account") {
			resp.Body.Close()
			resp, err = client.PostForm(p.link+"/account", url.Values{"bank": {"HANDSESS"}, "csrf": {csrf}, "country": {"SE"},
				"clearing_number": {"6789"}, "account_number": {"123456789"}})
		}
		if err != nil {
			shopper <- answer{err: err}
			return
		}
		resp.Body.Close()
		shopper <- answer{code: resp.StatusCode, location: resp.Header.Get("Location")}
	}()
	for _, c := range []chan struct{}{bankEntered, whEntered} {
		select {
		case <-c:
		case <-time.After(20 * time.Second):
			t.Fatalf("the bank call and the webhook are not both in flight; log:\n%s", p.stderr.String())
		}
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	for !strings.Contains(p.stderr.String(), "shutting down") {
		time.Sleep(10 * time.Millisecond)
	}
	close(whRelease) // the merchant answers first, then the bank
	time.Sleep(200 * time.Millisecond)
	close(bankRelease)
	a := <-shopper
	if a.err != nil || a.code != 303 || strings.Contains(a.location, "/account") {
		t.Fatalf("the shopper's request during the shutdown: %d %q %v; log:\n%s", a.code, a.location, a.err, p.stderr.String())
	}
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("exit: %v; log:\n%s", err, p.stderr.String())
	}
	log := p.stderr.String()
	if strings.Contains(log, "database is closed") || !strings.Contains(log, "workers stopped") {
		t.Fatalf("the workers were not joined before the database closed:\n%s", log)
	}

	db := store.NewDB(dir+"/pbb.db", nil)
	if err := db.Open(); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	pay, err := db.PaymentByToken(ctx, p.link[strings.LastIndex(p.link, "/")+1:])
	if err != nil {
		t.Fatal(err)
	}
	auth, err := db.ActiveAuthorisation(ctx, pay.ID)
	if err != nil || auth.BankPaymentID == "" || pay.Status != "authorising" {
		t.Fatalf("payment %s after the shutdown, authorisation %+v %v: the bank's answer is lost", pay.Status, auth, err)
	}
	events, err := db.PaymentWebhooks(ctx, cancelled)
	if err != nil || len(events) == 0 || events[0].DeliveredAt.IsZero() {
		t.Fatalf("the webhook in flight at SIGTERM: %+v %v", events, err)
	}
}
