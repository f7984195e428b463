package main

import (
	"slices"

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

	"github.com/chromedp/chromedp"

	"paybybank/banks/openpayments/openpaymentstest"
	"paybybank/banks/sandbox"
	"paybybank/internal/e2etest"
	"paybybank/internal/pgtest"
)

// roundRobin is a load balancer as plain as they come: each request to the next server, no
// stickiness. It notes which server took each event stream, so the test knows whom to kill.
type roundRobin struct {
	backends []*url.URL
	next     atomic.Int64
	mu       sync.Mutex
	streams  []int        // the backend of each /events request, in order
	served   []int        // the backend of every request, in order
	dead     map[int]bool // backends the load balancer's health check has seen go
}

func (rr *roundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rr.mu.Lock()
	i := int(rr.next.Add(1)-1) % len(rr.backends)
	for n := 0; rr.dead[i] && n < len(rr.backends); n++ {
		i = int(rr.next.Add(1)-1) % len(rr.backends)
	}
	rr.served = append(rr.served, i)
	if strings.HasSuffix(r.URL.Path, "/events") {
		rr.streams = append(rr.streams, i)
	}
	rr.mu.Unlock()
	p := httputil.NewSingleHostReverseProxy(rr.backends[i])
	p.FlushInterval = -1 // event streams pass through at once
	p.ServeHTTP(w, r)
}

// down takes a backend out of the rotation, as a load balancer's health check would.
func (rr *roundRobin) down(i int) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	if rr.dead == nil {
		rr.dead = map[int]bool{}
	}
	rr.dead[i] = true
}

// streamCount is how many event streams the proxy has passed on.
func (rr *roundRobin) streamCount() int {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	return len(rr.streams)
}

// servedSince is the backends of the requests after the first n.
func (rr *roundRobin) servedSince(n int) []int {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	return append([]int(nil), rr.served[n:]...)
}

func (rr *roundRobin) servedCount() int {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	return len(rr.served)
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
	c := startCluster(t)
	rr, proxy, fake, servers, addrs, rc := c.rr, c.proxy, c.fake, c.servers, c.addrs, c.rc
	link := c.servers[0].link

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
	csrf := e2etest.CSRFRe.FindStringSubmatch(page.String())[1]
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
		if got := strings.Join(rc.Types(), " "); strings.Contains(got, "payment.authorising") && strings.Contains(got, "payment.completed") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	rc.Mu.Lock()
	defer rc.Mu.Unlock()
	seen := map[string]bool{}
	for _, id := range rc.IDs {
		if seen[id] {
			t.Fatalf("webhook %s delivered twice to a receiver that answered 2xx", id)
		}
		seen[id] = true
	}
	if got := strings.Join(typesOf(rc.Got), " "); !strings.Contains(got, "payment.authorising") || !strings.Contains(got, "payment.completed") {
		t.Fatalf("webhooks: %s (invalid signatures %d)", got, rc.Invalid)
	}
}

// cluster is three real servers on one PostgreSQL schema behind the round-robin proxy, one bank
// (the strict Open Payments fake) outside them all, and a webhook receiver set through the proxy.
type cluster struct {
	rr      *roundRobin
	proxy   *httptest.Server
	fake    *openpaymentstest.Fake
	servers []*process
	addrs   []string
	key     string
	rc      *e2etest.Receiver
}

func startCluster(t *testing.T) *cluster {
	t.Helper()
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
	t.Cleanup(proxy.Close)
	fake := openpaymentstest.New(sandbox.ClientID, sandbox.ClientSecret, nil)
	fake.RedirectURIs = []string{proxy.URL + "/callback"}
	bank := httptest.NewServer(fake)
	t.Cleanup(bank.Close)
	fake.BaseURL = bank.URL
	env := []string{"PAYBYBANK_SANDBOX=false", "PAYBYBANK_PUBLIC_URL=" + proxy.URL, "PAYBYBANK_SECRET_KEY=" + strings.Repeat("ab", 32),
		"PAYBYBANK_OPENPAYMENTS_CLIENT_ID=" + sandbox.ClientID, "PAYBYBANK_OPENPAYMENTS_CLIENT_SECRET=" + sandbox.ClientSecret,
		"PAYBYBANK_OPENPAYMENTS_AUTH_URL=" + bank.URL, "PAYBYBANK_OPENPAYMENTS_API_URL=" + bank.URL}
	var servers []*process
	for _, a := range addrs {
		servers = append(servers, startServer(t, bin, db, a, env...))
	}
	key := servers[0].key

	rc := e2etest.NewReceiver(t)
	req, _ := http.NewRequest("PUT", proxy.URL+"/api/v1/webhook", strings.NewReader(`{"url":"`+rc.Srv.URL+`"}`))
	req.Header.Set("Authorization", "Bearer "+key)
	wresp, err := http.DefaultClient.Do(req)
	if err != nil || wresp.StatusCode != 200 {
		t.Fatalf("set webhook: %v %v", wresp, err)
	}
	var wh struct{ Secret string }
	json.NewDecoder(wresp.Body).Decode(&wh)
	wresp.Body.Close()
	rc.Mu.Lock()
	rc.Secret = wh.Secret
	rc.Mu.Unlock()

	return &cluster{rr: rr, proxy: proxy, fake: fake, servers: servers, addrs: addrs, key: key, rc: rc}
}

func typesOf(events []map[string]any) []string {
	var out []string
	for _, e := range events {
		out = append(out, e["type"].(string))
	}
	return out
}

// createOn makes a payment through the proxy with the merchant's API key, with the shopper's
// account given (the journey goes straight to the bank); it returns the id and checkout URL.
func (c *cluster) createPayment(t *testing.T, reference string) (string, string) {
	t.Helper()
	body := `{"amount":"249.00","currency":"SEK","reference":"` + reference + `","debtor":{"country":"SE","clearing_number":"6789","account_number":"123456789"}}`
	req, _ := http.NewRequest("POST", c.proxy.URL+"/api/v1/payments", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p struct {
		ID          string `json:"id"`
		CheckoutURL string `json:"checkout_url"`
	}
	json.NewDecoder(resp.Body).Decode(&p)
	if resp.StatusCode != 201 || !strings.HasPrefix(p.CheckoutURL, c.proxy.URL) {
		t.Fatalf("create payment: %d %+v", resp.StatusCode, p)
	}
	return p.ID, p.CheckoutURL
}

// apiStatus asks the API (through the proxy) for a payment's status.
func (c *cluster) apiStatus(t *testing.T, id string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", c.proxy.URL+"/api/v1/payments/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+c.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p struct{ Status string }
	json.NewDecoder(resp.Body).Decode(&p)
	return p.Status
}

// spread fails unless consecutive requests of a journey landed on different servers.
func spread(t *testing.T, what string, served []int) {
	t.Helper()
	seen := map[int]bool{}
	for i, s := range served {
		seen[s] = true
		if i > 0 && served[i-1] == s && len(seen) < 2 {
			t.Fatalf("%s: consecutive requests on server %d: %v", what, s, served)
		}
	}
	if len(seen) < 2 {
		t.Fatalf("%s: every request on one server: %v", what, served)
	}
}

// TestClusterBrowserJourneys walks both journeys in Chromium through the round-robin proxy in
// front of three real servers on one PostgreSQL schema, each request on the next server: a
// redirect payment through the bank's own page, then a BankID payment on the desktop, whose QR on
// screen is scanned into the bank's BankID app. Mid-BankID the server holding the page's event
// stream is killed (SIGKILL); the page reconnects through the proxy to another server and shows
// "Payment completed". No payment, transition or webhook is lost, no webhook id comes twice.
func TestClusterBrowserJourneys(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs three servers and a browser")
	}
	e2etest.NeedBrowser(t)
	c := startCluster(t)
	b := e2etest.NewTab(t, nil, e2etest.TabOption{})

	// The redirect journey: the bank's page, back to the checkout, settled by the bank.
	redirectID, redirectURL := c.createPayment(t, "Order redirect")
	from := c.rr.servedCount()
	b.Run(chromedp.Navigate(redirectURL))
	b.WaitText("Choose your bank")
	b.Click(`button[value="NDEASESS"]`)
	b.WaitText("Approve this payment?")
	b.Click(`button[value="approve"]`)
	b.WaitText("Payment completed")
	spread(t, "redirect journey", c.rr.servedSince(from))

	// The BankID journey, on a desktop: the QR on screen, scanned into the app.
	bankidID, bankidURL := c.createPayment(t, "Order BankID")
	from = c.rr.servedCount()
	streams := c.rr.streamCount()
	b.Run(chromedp.Navigate(bankidURL))
	b.Click(`button[value="HANDSESS"]`)
	b.WaitText("scan the QR code")
	first := b.QRPayload()
	for c.rr.streamCount() == streams {
		time.Sleep(50 * time.Millisecond)
	}
	victim := c.rr.lastStream()
	c.rr.down(victim)
	c.servers[victim].cmd.Process.Signal(syscall.SIGKILL)
	c.servers[victim].cmd.Wait()
	killedAt := c.rr.servedCount()
	// The page hears of the next frames through another server: a new QR is drawn.
	var payload string
	for i := 0; i < 100; i++ {
		if payload = b.QRPayload(); payload != first {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if payload == first {
		t.Fatal("the page drew no new frame after its server was killed")
	}
	order, err := c.fake.ScanQR(payload)
	if err != nil {
		t.Fatalf("scan %q: %v", payload, err)
	}
	if err := c.fake.Sign(order.Ref, true); err != nil {
		t.Fatal(err)
	}
	b.WaitText("Payment completed")
	after := c.rr.servedSince(killedAt)
	if len(after) == 0 || slices.Contains(after, victim) {
		t.Fatalf("after the kill the page's requests went to %v (server %d is dead)", after, victim)
	}
	if c.rr.lastStream() == victim && c.rr.streamCount() > streams+1 {
		t.Fatalf("the page's stream reconnected to the dead server %d", victim)
	}
	spread(t, "BankID journey", c.rr.servedSince(from))

	// Nothing lost: both payments completed, every status change delivered, no id twice.
	for _, id := range []string{redirectID, bankidID} {
		if st := c.apiStatus(t, id); st != "completed" {
			t.Fatalf("payment %s is %q", id, st)
		}
	}
	want := map[string][]string{redirectID: {"payment.completed"}, bankidID: {"payment.authorising", "payment.completed"}}
	complete := func() bool {
		c.rc.Mu.Lock()
		defer c.rc.Mu.Unlock()
		for id, types := range want {
			for _, ty := range types {
				found := false
				for _, e := range c.rc.Got {
					raw, _ := json.Marshal(e)
					if e["type"] == ty && strings.Contains(string(raw), id) {
						found = true
					}
				}
				if !found {
					return false
				}
			}
		}
		return true
	}
	for i := 0; i < 200 && !complete(); i++ {
		time.Sleep(100 * time.Millisecond)
	}
	if !complete() {
		t.Fatalf("webhooks missing: got %v (invalid signatures %d)", c.rc.Types(), c.rc.Invalid)
	}
	c.rc.Mu.Lock()
	defer c.rc.Mu.Unlock()
	seen := map[string]bool{}
	for _, id := range c.rc.IDs {
		if seen[id] {
			t.Fatalf("webhook %s delivered twice to a receiver that answered 2xx", id)
		}
		seen[id] = true
	}
}
