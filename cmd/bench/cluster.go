package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"paybybank/banks/openpayments/openpaymentstest"
	"paybybank/banks/sandbox"
)

// The cluster part: the real server binary, on SQLite alone and on PostgreSQL with one, two and
// three servers behind a round-robin proxy in this process, with the bank (the strict Open
// Payments fake) here too, outside every server, counting its polls per order.
var (
	clusterShoppers = flag.Int("cluster-shoppers", 200, "BankID shoppers held at once in each cluster configuration")
	clusterHold     = flag.Duration("cluster-hold", 6*time.Second, "how long the cluster part holds its shoppers")
	clusterCreate   = flag.Duration("cluster-create", 3*time.Second, "how long the cluster part measures payment creation")
	postgresURL     = flag.String("postgres", envOr("PAYBYBANK_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"), "the PostgreSQL server the cluster part uses (a fresh schema, dropped after)")
)

func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}

// benchProxy is a plain round-robin load balancer: each request to the next server, no stickiness.
type benchProxy struct {
	proxies []*httputil.ReverseProxy
	next    atomic.Int64
}

func newBenchProxy(addrs []string) *benchProxy {
	tr := &http.Transport{MaxIdleConns: 10000, MaxIdleConnsPerHost: 10000, IdleConnTimeout: time.Minute}
	p := &benchProxy{}
	for _, a := range addrs {
		u, _ := url.Parse("http://" + a)
		rp := httputil.NewSingleHostReverseProxy(u)
		rp.Transport = tr
		rp.FlushInterval = -1
		rp.ErrorLog = log.New(io.Discard, "", 0) // streams cut when a level ends are no news
		p.proxies = append(p.proxies, rp)
	}
	return p
}

func (p *benchProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.proxies[int(p.next.Add(1)-1)%len(p.proxies)].ServeHTTP(w, r)
}

// pollCounter wraps the bank, counting GETs on each payment (the polls of a waiting order).
type pollCounter struct {
	next    http.Handler
	mu      sync.Mutex
	counts  map[string]int // payment id → GETs on it
	polling atomic.Bool
}

func (c *pollCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if c.polling.Load() && r.Method == "GET" {
		// /psd2/paymentinitiation/v1/payments/{product}/{id}/…
		if rest, ok := strings.CutPrefix(r.URL.Path, "/psd2/paymentinitiation/v1/payments/"); ok {
			if parts := strings.Split(rest, "/"); len(parts) >= 3 {
				c.mu.Lock()
				c.counts[parts[1]]++
				c.mu.Unlock()
			}
		}
	}
	c.next.ServeHTTP(w, r)
}

// freshSchema makes a schema of the bench's own on the PostgreSQL server and returns a URL whose
// connections use it, and a function dropping it.
func freshSchema(server string) (string, func(), error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		return "", nil, err
	}
	defer conn.Close(context.Background())
	b := make([]byte, 6)
	rand.Read(b)
	schema := "bench_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, err
	}
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if conn, err := pgx.Connect(ctx, server); err == nil {
			conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
			conn.Close(context.Background())
		}
	}
	u, err := url.Parse(server)
	if err != nil {
		drop()
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}

// serverProcess is one real server binary.
type serverProcess struct {
	cmd       *exec.Cmd
	key, link string
}

func startBinaryServer(bin, db, addr string, env []string) (*serverProcess, error) {
	cmd := exec.Command(bin, "serve", "--demo", "--addr", addr, "--db", db, "--rate-limit", "0", "--metrics-addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if os.Getenv("BENCH_LOG") != "" {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &serverProcess{cmd: cmd}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	deadline := time.After(30 * time.Second)
	for p.link == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				cmd.Wait()
				return nil, errors.New("the server exited before printing its checkout link")
			}
			if f := strings.Fields(l); len(f) == 3 && f[0] == "API" {
				p.key = f[2]
			} else if len(f) == 3 && f[0] == "Checkout" {
				p.link = f[2]
			}
		case <-deadline:
			p.stop()
			return nil, errors.New("the server did not start")
		}
	}
	go func() {
		for range lines {
		}
	}()
	return p, nil
}

func (p *serverProcess) stop() { p.cmd.Process.Kill(); p.cmd.Wait() }

func loopbackAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "127.0.0.1:0"
	}
	defer l.Close()
	return l.Addr().String()
}

// clusterRows measures the four configurations.
func clusterRows(dir string) []row {
	bin := filepath.Join(dir, "paybybank")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		return []row{{"Several servers", "not measured: build: " + err.Error() + " " + string(out), "", "", ""}}
	}
	var rows []row
	rows = append(rows, clusterConfig(bin, "SQLite, 1 server", filepath.Join(dir, "cluster.db"), 1)...)
	schemaErr := error(nil)
	for n := 1; n <= 3; n++ {
		what := fmt.Sprintf("PostgreSQL, %d server%s behind a round-robin proxy", n, map[bool]string{true: "s"}[n > 1])
		if n == 1 {
			what = "PostgreSQL, 1 server"
		}
		if schemaErr != nil {
			rows = append(rows, row{what, "not measured: no PostgreSQL at " + redact(*postgresURL) + ": " + schemaErr.Error(), "", "", ""})
			continue
		}
		db, drop, err := freshSchema(*postgresURL)
		if err != nil {
			schemaErr = err
			rows = append(rows, row{what, "not measured: no PostgreSQL at " + redact(*postgresURL) + ": " + err.Error(), "", "", ""})
			continue
		}
		rows = append(rows, clusterConfig(bin, what, db, n)...)
		drop()
	}
	return rows
}

// redact drops a password from a URL.
func redact(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return s
}

// clusterConfig starts n servers on db behind the proxy, with their bank, and measures payment
// creation, then BankID shoppers held, counting the bank's polls per waiting order.
func clusterConfig(bin, what, db string, n int) []row {
	failed := func(err error) []row {
		return []row{{what, "not measured: " + err.Error(), "", "", ""}}
	}
	fake := openpaymentstest.New(sandbox.ClientID, sandbox.ClientSecret, nil)
	fake.StartTimeout = time.Hour // shoppers here wait longer than BankID's 30 s
	polls := &pollCounter{next: fake, counts: map[string]int{}}
	bank := httptest.NewServer(polls)
	defer bank.Close()
	fake.BaseURL = bank.URL
	var addrs []string
	for range n {
		addrs = append(addrs, loopbackAddr())
	}
	front := httptest.NewServer(newBenchProxy(addrs))
	defer front.Close()
	fake.RedirectURIs = []string{front.URL + "/callback"}
	vars := []string{"PAYBYBANK_SANDBOX=false", "PAYBYBANK_PUBLIC_URL=" + front.URL, "PAYBYBANK_SECRET_KEY=" + strings.Repeat("ab", 32),
		"PAYBYBANK_OPENPAYMENTS_CLIENT_ID=" + sandbox.ClientID, "PAYBYBANK_OPENPAYMENTS_CLIENT_SECRET=" + sandbox.ClientSecret,
		"PAYBYBANK_OPENPAYMENTS_AUTH_URL=" + bank.URL, "PAYBYBANK_OPENPAYMENTS_API_URL=" + bank.URL}
	var servers []*serverProcess
	defer func() {
		for _, s := range servers {
			s.stop()
		}
	}()
	for _, a := range addrs {
		s, err := startBinaryServer(bin, db, a, vars)
		if err != nil {
			return failed(err)
		}
		servers = append(servers, s)
	}
	e := &env{base: front.URL, key: servers[0].key, client: newClient(false)}

	created := load(*concurrency, *clusterCreate, func(int) error { _, err := e.createPayment(e.client); return err })
	createNote := ""
	if created.errs > 0 {
		createNote = fmt.Sprintf(", %d errors (first: %v)", created.errs, created.firstErr)
	}

	// The shoppers, each with its own cookies and connection, as in the capacity test.
	var mu sync.Mutex
	var paths []string
	var clients []*http.Client
	var openErr error
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for range *clusterShoppers {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c := newClient(true)
			c.Transport = &http.Transport{MaxIdleConnsPerHost: 1, IdleConnTimeout: time.Minute}
			p, err := e.createPayment(c)
			if err == nil {
				err = e.startBankID(c, p)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				openErr = err
				return
			}
			paths, clients = append(paths, p), append(clients, c)
		}()
	}
	wg.Wait()
	if len(paths) == 0 {
		return failed(fmt.Errorf("no BankID order opened: %v", openErr))
	}
	time.Sleep(1500 * time.Millisecond) // the orders' first polls are under way
	polls.polling.Store(true)
	r := hold(e, paths, clients, *clusterHold)
	polls.polling.Store(false)
	polls.mu.Lock()
	total, most := 0, 0
	for _, c := range polls.counts {
		total += c
		most = max(most, c)
	}
	orders := len(polls.counts)
	polls.mu.Unlock()
	verdict := "on time"
	if !r.onTime() {
		verdict = "frames late"
	}
	if r.FirstErr != "" {
		fmt.Fprintln(os.Stderr, "bench: cluster shoppers:", what+":", r.FirstErr)
	}
	perOrder := float64(total) / float64(max(orders, 1)) / clusterHold.Seconds()
	return []row{
		{fmt.Sprintf("%s: payment creation `POST /api/v1/payments` through the proxy (%d clients, %s)", what, *concurrency, *clusterCreate),
			fmt.Sprintf("%.0f/s, p99 %s%s", created.rate(), ms(created.pct(.99)), createNote), "", "", ""},
		{fmt.Sprintf("%s: %d BankID shoppers on the page at once (event streams through the proxy), bank polls per waiting order", what, len(paths)),
			fmt.Sprintf("%.0f frames/s, %.1f %% late, %.1f %% repeated, %d errors; %.2f bank polls per order per second (at most %.2f for one order; %d orders polled)",
				float64(r.Frames)/clusterHold.Seconds(), r.latePct(), r.stalePct(), r.Errs, perOrder, float64(most)/clusterHold.Seconds(), orders),
			"", verdict, "no late frames; 1 poll per order per second, whatever the number of servers"},
	}
}
