package main

import (
	"bufio"
	"encoding/json"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"paybybank/banks/bankid"
)

// process is the real binary, started as an operator would.
type process struct {
	cmd  *exec.Cmd
	key  string
	link string
}

func startBinary(t *testing.T, bin, dir, addr string) *process {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--demo", "--addr", addr, "--db", dir+"/pbb.db", "--rate-limit", "0", "--metrics-addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "PAYBYBANK_SANDBOX=true")
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = nil
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd}
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
	for p.link == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("server exited before printing its checkout link")
			}
			if f := strings.Fields(l); len(f) == 3 && f[0] == "API" {
				p.key = f[2]
			} else if len(f) == 3 && f[0] == "Checkout" {
				p.link = f[2]
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
	rc := newReceiver(t)
	rc.fail = 1 << 30
	req, _ := http.NewRequest("PUT", "http://"+addr+"/api/v1/webhook", strings.NewReader(`{"url":"`+rc.srv.URL+`"}`))
	req.Header.Set("Authorization", "Bearer "+p.key)
	wresp, err := http.DefaultClient.Do(req)
	if err != nil || wresp.StatusCode != 200 {
		t.Fatalf("set webhook: %v %v", wresp, err)
	}
	var wh struct{ Secret string }
	json.NewDecoder(wresp.Body).Decode(&wh)
	wresp.Body.Close()
	rc.secret = wh.Secret
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
	csrf := csrfRe.FindStringSubmatch(page)[1]
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
	rc.mu.Lock()
	rc.fail = 0
	rc.mu.Unlock()
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
	ref := refRe.FindStringSubmatch(sb.String())[1]
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
		if got := strings.Join(rc.types(), " "); strings.Contains(got, "payment.authorising") && strings.Contains(got, "payment.completed") {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("webhooks after kill -9: %v (invalid signatures %d)", rc.types(), rc.invalid)
}

func decodeFromURL(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	text, err := decodeQRImage(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return text
}
