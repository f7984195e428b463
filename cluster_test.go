package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
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
	"paybybank/internal/pgtest"
)

// roundRobin is a load balancer as plain as they come: each request to the next server, no
// stickiness. It notes which server took each event stream, so the test knows whom to kill.
type roundRobin struct {
	backends []*url.URL
	next     atomic.Int64
	mu       sync.Mutex
	streams  []int // the backend of each /events request, in order
}

func (rr *roundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	i := int(rr.next.Add(1)-1) % len(rr.backends)
	if strings.HasSuffix(r.URL.Path, "/events") {
		rr.mu.Lock()
		rr.streams = append(rr.streams, i)
		rr.mu.Unlock()
	}
	p := httputil.NewSingleHostReverseProxy(rr.backends[i])
	p.FlushInterval = -1 // event streams pass through at once
	p.ServeHTTP(w, r)
}

func (rr *roundRobin) lastStream() int {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	return rr.streams[len(rr.streams)-1]
}

// TestClusterBankIDWithKill runs three real servers on one PostgreSQL schema behind a round-robin
// proxy, one bank outside them all, and walks a BankID payment with each request landing on the
// next server. The server holding the shopper's event stream is killed (SIGKILL) mid-BankID; the
// page's stream reconnects through the proxy to another, hears the approval, and the payment
// completes. Every status change reaches the merchant, no webhook id twice.
func TestClusterBankIDWithKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs three servers")
	}
	db := pgtest.URL(t)
	dir := t.TempDir()
	bin := dir + "/paybybank"
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	addrs := []string{freeAddr(t), freeAddr(t), freeAddr(t)}
	rr := &roundRobin{}
	for _, a := range addrs {
		u, _ := url.Parse("http://" + a)
		rr.backends = append(rr.backends, u)
	}
	proxy := httptest.NewServer(rr)
	defer proxy.Close()
	fake := openpaymentstest.New(sandbox.ClientID, sandbox.ClientSecret, nil)
	fake.RedirectURIs = []string{proxy.URL + "/callback"}
	bank := httptest.NewServer(fake)
	defer bank.Close()
	fake.BaseURL = bank.URL
	env := []string{"PAYBYBANK_SANDBOX=false", "PAYBYBANK_PUBLIC_URL=" + proxy.URL, "PAYBYBANK_SECRET_KEY=" + strings.Repeat("ab", 32),
		"PAYBYBANK_OPENPAYMENTS_CLIENT_ID=" + sandbox.ClientID, "PAYBYBANK_OPENPAYMENTS_CLIENT_SECRET=" + sandbox.ClientSecret,
		"PAYBYBANK_OPENPAYMENTS_AUTH_URL=" + bank.URL, "PAYBYBANK_OPENPAYMENTS_API_URL=" + bank.URL}
	var servers []*process
	for _, a := range addrs {
		servers = append(servers, startServer(t, bin, db, a, env...))
	}
	key, link := servers[0].key, servers[0].link

	rc := newReceiver(t)
	req, _ := http.NewRequest("PUT", proxy.URL+"/api/v1/webhook", strings.NewReader(`{"url":"`+rc.srv.URL+`"}`))
	req.Header.Set("Authorization", "Bearer "+key)
	wresp, err := http.DefaultClient.Do(req)
	if err != nil || wresp.StatusCode != 200 {
		t.Fatalf("set webhook: %v %v", wresp, err)
	}
	var wh struct{ Secret string }
	json.NewDecoder(wresp.Body).Decode(&wh)
	wresp.Body.Close()
	rc.mu.Lock()
	rc.secret = wh.Secret
	rc.mu.Unlock()

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	link = strings.Replace(link, "http://"+addrs[0], proxy.URL, 1)
	resp, err := client.Get(link)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("checkout page: %v %v", resp, err)
	}
	var page strings.Builder
	bufio.NewReader(resp.Body).WriteTo(&page)
	resp.Body.Close()
	csrf := csrfRe.FindStringSubmatch(page.String())[1]
	resp, err = client.PostForm(link+"/bank", url.Values{"bank": {"HANDSESS"}, "csrf": {csrf}})
	if err != nil || resp.StatusCode != 303 {
		t.Fatalf("choose bank: %v %v", resp, err)
	}
	resp, err = client.PostForm(link+"/account", url.Values{"bank": {"HANDSESS"}, "csrf": {csrf}, "country": {"SE"},
		"clearing_number": {"6789"}, "account_number": {"123456789"}})
	if err != nil || resp.StatusCode != 303 {
		t.Fatalf("account: %v %v", resp, err)
	}

	// The page's event stream, reconnecting through the proxy as EventSource does.
	type frame struct {
		Status string `json:"status"`
		Next   string `json:"next"`
		QRData string `json:"qr_data"`
	}
	stream := func() (*http.Response, *bufio.Scanner) {
		for range 10 {
			r, err := (&http.Client{Jar: jar}).Get(link + "/events?page=bankid")
			if err == nil && r.StatusCode == 200 {
				return r, bufio.NewScanner(r.Body)
			}
			if err == nil {
				r.Body.Close()
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatal("no event stream through the proxy")
		return nil, nil
	}
	read := func(sc *bufio.Scanner) (frame, bool) {
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var f frame
				json.Unmarshal([]byte(d), &f)
				return f, true
			}
		}
		return frame{}, false
	}
	r1, sc := stream()
	f, ok := read(sc)
	if !ok || f.Status != "authorising" || !strings.HasPrefix(f.QRData, "bankid.") {
		t.Fatalf("first frame: %+v %v", f, ok)
	}
	victim := rr.lastStream()
	servers[victim].cmd.Process.Signal(syscall.SIGKILL)
	servers[victim].cmd.Wait()
	for ok { // the stream ends with its server
		_, ok = read(sc)
	}
	r1.Body.Close()
	r2, sc := stream()
	defer r2.Body.Close()
	if rr.lastStream() == victim {
		t.Fatalf("the proxy sent the stream to the dead server %d", victim)
	}
	f, ok = read(sc)
	if !ok || !strings.HasPrefix(f.QRData, "bankid.") {
		t.Fatalf("frame after the kill: %+v %v", f, ok)
	}
	order, err := fake.ScanQR(f.QRData)
	if err != nil {
		t.Fatal(err)
	}
	if err := fake.Sign(order.Ref, true); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for f.Next == "" && time.Now().Before(deadline) {
		if f, ok = read(sc); !ok {
			r2.Body.Close()
			r2, sc = stream()
		}
	}
	if f.Next == "" {
		t.Fatalf("the page never moved on: %+v", f)
	}
	// The payment completes (the bank settles it; any live server's reconciler or page asks).
	var status string
	for i := 0; i < 100 && status != "completed"; i++ {
		time.Sleep(200 * time.Millisecond)
		r, err := client.Get(link + "/status")
		if err != nil {
			continue
		}
		var s frame
		json.NewDecoder(r.Body).Decode(&s)
		r.Body.Close()
		status = s.Status
	}
	if status != "completed" {
		t.Fatalf("payment %q after approval", status)
	}
	for i := 0; i < 150; i++ {
		if got := strings.Join(rc.types(), " "); strings.Contains(got, "payment.authorising") && strings.Contains(got, "payment.completed") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	seen := map[string]bool{}
	for _, id := range rc.ids {
		if seen[id] {
			t.Fatalf("webhook %s delivered twice to a receiver that answered 2xx", id)
		}
		seen[id] = true
	}
	if got := strings.Join(typesOf(rc.got), " "); !strings.Contains(got, "payment.authorising") || !strings.Contains(got, "payment.completed") {
		t.Fatalf("webhooks: %s (invalid signatures %d)", got, rc.invalid)
	}
}

func typesOf(events []map[string]any) []string {
	var out []string
	for _, e := range events {
		out = append(out, e["type"].(string))
	}
	return out
}
