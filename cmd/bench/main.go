// Command bench measures paybybank on this machine and writes bench/results.md. Every figure
// is a ratio against a baseline measured in the same process and run, so the numbers travel
// between machines better than raw throughput does. Load goes to loopback only, bounded in time.
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	qrcode "github.com/skip2/go-qrcode"
	_ "modernc.org/sqlite"

	"paybybank/app"
	"paybybank/banks/bankid"
	"paybybank/banks/sandbox"
	"paybybank/handlers"
	"paybybank/payment"
	"paybybank/store"
)

var (
	duration    = flag.Duration("duration", 5*time.Second, "how long each throughput measurement runs")
	concurrency = flag.Int("c", 32, "concurrent clients for the throughput measurements")
	shoppers    = flag.String("shoppers", "500,1000,2000,3000,4000,6000,10000", "BankID capacity levels: shoppers waiting at once")
	holdFor     = flag.Duration("hold", 8*time.Second, "how long each capacity level is held")
	out         = flag.String("out", "bench/results.md", "where the table goes")
	only        = flag.String("only", "", "comma-separated parts to run (page,create,qr,capacity,journeys,shopper,browser,cluster); all when empty")
	cpuProfile  = flag.String("cpuprofile", "", "write a CPU profile of the checkout page and creation measurements here")
	memProfile  = flag.String("memprofile", "", "write an allocation profile of the whole run here")
)

// want reports whether a part of the bench runs.
func want(part string) bool {
	return *only == "" || slices.Contains(strings.Split(*only, ","), part)
}

type result struct {
	n, errs  int64
	elapsed  time.Duration
	lat      []time.Duration
	firstErr error
}

func (r *result) rate() float64 { return float64(r.n) / r.elapsed.Seconds() }

// add pools another measurement of the same thing into r.
func (r *result) add(o *result) {
	r.n += o.n
	r.errs += o.errs
	r.elapsed += o.elapsed
	r.lat = append(r.lat, o.lat...)
	if r.firstErr == nil {
		r.firstErr = o.firstErr
	}
}

// pageRounds is how many times the checkout page and its baseline take turns.
const pageRounds = 5

func (r *result) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	slices.Sort(r.lat)
	return r.lat[min(len(r.lat)-1, int(float64(len(r.lat))*p))]
}

// load runs fn from conc workers for d and collects latencies.
func load(conc int, d time.Duration, fn func(worker int) error) *result {
	var mu sync.Mutex
	res := &result{}
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	start := time.Now()
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			var n, errs int64
			var first error
			for time.Now().Before(deadline) {
				t := time.Now()
				if err := fn(w); err != nil {
					errs++
					if first == nil {
						first = err
					}
					continue
				}
				n++
				lat = append(lat, time.Since(t))
			}
			mu.Lock()
			res.n += n
			res.errs += errs
			res.lat = append(res.lat, lat...)
			if res.firstErr == nil {
				res.firstErr = first
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

type env struct {
	base   string
	app    *app.App
	db     *store.DB
	key    string
	client *http.Client
	dir    string
}

// transport is shared by every simulated browser: each keeps its own cookies, not its own pool.
var transport = &http.Transport{MaxIdleConns: 10000, MaxIdleConnsPerHost: 10000, IdleConnTimeout: time.Minute}

func newClient(jar bool) *http.Client {
	c := &http.Client{Transport: transport, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if jar {
		c.Jar, _ = cookiejar.New(nil)
	}
	return c
}

func setup() (*env, error) {
	dir, err := os.MkdirTemp("", "paybybank-bench")
	if err != nil {
		return nil, err
	}
	e, err := serveOn(dir, "bench.db", func(c *app.Config) { c.Sandbox = true })
	if err != nil {
		return nil, err
	}
	e.app.Sandbox.OpenPayments.StartTimeout = time.Hour // journeys never wait that long; BankID's is 30 s
	return e, nil
}

// serveOn starts the server on loopback with its own database in dir, configured by configure,
// with a merchant and an API key.
func serveOn(dir, dbName string, configure func(*app.Config)) (*env, error) {
	return serveWith(dir, dbName, configure, nil, nil)
}

// serveWith is serveOn with the server's log records also sent to also (when not nil) and its
// handler wrapped by wrap (when not nil).
func serveWith(dir, dbName string, configure func(*app.Config), also slog.Handler, wrap func(http.Handler) http.Handler) (*env, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	base := "http://" + ln.Addr().String()
	db := store.NewDB(filepath.Join(dir, dbName), nil)
	if err := db.Open(); err != nil {
		return nil, err
	}
	cfg := &app.Config{Addr: ln.Addr().String(), PublicURL: base, SelfURL: base}
	configure(cfg)
	logs := io.Discard
	if os.Getenv("BENCH_LOG") != "" {
		logs = os.Stderr // the server's warnings and errors, to see why a request failed
	}
	var logger slog.Handler = slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})
	if also != nil {
		logger = both{logger, also}
	}
	a, err := app.Build(cfg, db, bytes.Repeat([]byte{1}, 32), slog.New(logger))
	if err != nil {
		return nil, err
	}
	h := a.Handler
	if wrap != nil {
		h = wrap(h)
	}
	go (&http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}).Serve(ln)
	ctx := context.Background()
	m := &payment.Merchant{Name: "Bench Shop", AllowedOrigins: []string{base},
		Creditor: payment.Creditor{Name: "Bench Shop AB", IBAN: "SE7160000000000123456789", BBAN: "123456789", ClearingNumber: "6789"}}
	if err := db.CreateMerchant(ctx, m); err != nil {
		return nil, err
	}
	key, err := db.CreateAPIKey(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	return &env{base: base, app: a, db: db, key: key, client: newClient(false), dir: dir}, nil
}

func (e *env) createPayment(c *http.Client) (string, error) {
	req, _ := http.NewRequest("POST", e.base+"/api/v1/payments", strings.NewReader(`{"amount":"249.00","currency":"SEK","reference":"Bench order","debtor":{"country":"SE","clearing_number":"6789","account_number":"123456789"}}`))
	req.Header.Set("Authorization", "Bearer "+e.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var p struct {
		CheckoutURL string `json:"checkout_url"`
	}
	if resp.StatusCode != 201 {
		b, _ := io.ReadAll(resp.Body)
		return "", fmt.Errorf("create: %d %s", resp.StatusCode, b)
	}
	json.NewDecoder(resp.Body).Decode(&p)
	u, _ := url.Parse(p.CheckoutURL)
	return u.Path, nil
}

func get(c *http.Client, u string) ([]byte, int, error) {
	resp, err := c.Get(u)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return b, resp.StatusCode, err
}

// fetch reads a response whole and drops it, as a browser that only renders would: the load
// generator then makes no garbage of its own per body, which would tax both sides' figures.
func fetch(c *http.Client, u string) (int, error) { return fetchWith(c, u, "") }

// fetchWith is fetch with a Cookie header.
func fetchWith(c *http.Client, u, cookie string) (int, error) {
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		return 0, err
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// shopper opens a checkout with its own cookies and picks a Mobile BankID bank.
func (e *env) startBankID(c *http.Client, path string) error {
	page, code, err := get(c, e.base+path)
	if err != nil || code != 200 {
		return fmt.Errorf("checkout %d: %v", code, err)
	}
	m := csrfRe.FindSubmatch(page)
	if m == nil {
		return errors.New("no csrf token")
	}
	resp, err := c.PostForm(e.base+path+"/bank", url.Values{"bank": {"HANDSESS"}, "csrf": {string(m[1])}})
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != 303 {
		return fmt.Errorf("choose bank: %d", resp.StatusCode)
	}
	return nil
}

type statusAnswer struct {
	Status, Next, QR, Message string
	QRData                    string `json:"qr_data"`
}

func (e *env) status(c *http.Client, path string) (statusAnswer, error) {
	b, code, err := get(c, e.base+path+"/status?page=bankid")
	var s statusAnswer
	if err != nil || code != 200 {
		return s, fmt.Errorf("status %d: %v", code, err)
	}
	return s, json.Unmarshal(b, &s)
}

type row struct{ what, ours, baseline, ratio, target string }

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

func main() {
	flag.Parse()
	if *loadgen {
		shoppersProcess()
		return
	}
	e, err := setup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	defer os.RemoveAll(e.dir)
	var rows []row
	var notes []string
	fail := func(what string, r *result) {
		if r.errs > 0 {
			notes = append(notes, fmt.Sprintf("%s: %d errors, first: %v", what, r.errs, r.firstErr))
		}
	}

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			pprof.StartCPUProfile(f)
		}
	}
	if want("page") {
		rows = append(rows, checkoutPage(e, fail))
	}
	if want("create") {
		// 2. Durable payment creation against raw single-row SQLite inserts, same pragmas.
		ours := load(*concurrency, *duration, func(w int) error { _, err := e.createPayment(e.client); return err })
		base := rawInserts(e.dir, *concurrency, *duration)
		fail("payment creation", ours)
		fail("raw inserts", base)
		rows = append(rows, row{"Payment creation `POST /api/v1/payments` (WAL, synchronous=FULL)",
			fmt.Sprintf("%.0f/s, p99 %s", ours.rate(), ms(ours.pct(.99))),
			fmt.Sprintf("%.0f/s, p99 %s (raw INSERT, one row per transaction)", base.rate(), ms(base.pct(.99))),
			fmt.Sprintf("%.2f", ours.rate()/base.rate()), "≥ 0.5"})
	}
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	if *memProfile != "" {
		defer func() {
			if f, err := os.Create(*memProfile); err == nil {
				pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	if want("qr") {
		// 3a. The whole QR path against go-qrcode's own encoding.
		rows = append(rows, qrPath(e)...)
	}
	best, profileTop := "", ""
	if want("capacity") {
		// 3b. Shoppers waiting at once, each redrawing the QR every second.
		var capRows []row
		capRows, best, profileTop = capacity(e)
		rows = append(rows, capRows...)
	}
	journeyErrs := int64(0)
	if want("journeys") {
		// 4. Complete journeys.
		j := journeys(e)
		fail("journeys", j)
		journeyErrs = j.errs
		rows = append(rows, row{"Complete journeys (create → bank → BankID QR → scan → sign → completed)",
			fmt.Sprintf("%.1f journeys/s, p50 %s, %d errors", j.rate(), ms(j.pct(.5)), j.errs), "", "", "0 errors"})
	}

	if want("shopper") {
		// 6. What the shopper waits for, with banks as slow as real ones.
		rows = append(rows, shopperTimes(e.dir)...)
	}
	if want("cluster") {
		// 7. Several servers: SQLite alone, PostgreSQL with one, two and three behind a proxy.
		rows = append(rows, clusterRows(e.dir)...)
	}
	if want("browser") {
		// 5. What the shopper's browser does on each page.
		pages, err := shopperPages(e)
		if err != nil {
			notes = append(notes, "shopper pages: "+err.Error())
		} else {
			rows = append(rows, idlePages(pages))
			rows = append(rows, lighthouse(pages)...)
		}
	}

	var md strings.Builder
	fmt.Fprintf(&md, "# Benchmarks\n\nMeasured by `make bench` on %s, %d cores (GOMAXPROCS %d), %s; %d clients for %s per throughput figure.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), *concurrency, *duration)
	md.WriteString("| measurement | paybybank | baseline (same process, same run) | ratio | target |\n|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&md, "| %s | %s | %s | %s | %s |\n", r.what, r.ours, r.baseline, r.ratio, r.target)
	}
	if best != "" {
		fmt.Fprintf(&md, "\nBankID capacity: %s. The goal over time is 10,000 shoppers under 500 MB on this 2-core machine. RSS is the server's process alone: the shoppers and their bank run in a process of their own.\n", best)
	}
	if profileTop != "" {
		fmt.Fprintf(&md, "\nWhere the time goes at the largest level on time (CPU profile of the serving process, `go tool pprof -top -cum`):\n\n%s", profileTop)
	}
	if len(notes) > 0 {
		md.WriteString("\nErrors:\n\n")
		for _, n := range notes {
			fmt.Fprintf(&md, "- %s\n", n)
		}
	}
	fmt.Print(md.String())
	if err := os.WriteFile(*out, []byte(md.String()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if journeyErrs > 0 {
		os.Exit(1)
	}
}

// checkoutPage measures the checkout page against a bare handler serving a page of the same size.
func checkoutPage(e *env, fail func(string, *result)) row {
	var paths []string
	for i := 0; i < 20; i++ {
		p, err := e.createPayment(e.client)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		paths = append(paths, p)
	}
	page, _, _ := get(e.client, e.base+paths[0])
	bare := startBare(page)
	// Each shopper has their session, as a browser would: the first visit sets the cookie, and
	// every request after sends it back (as a header, as wrk -H would: no cookie jar's work).
	cookies := make([]string, *concurrency)
	for i := range cookies {
		c := newClient(true)
		if _, code, err := get(c, e.base+paths[i%len(paths)]); err != nil || code != 200 {
			fmt.Fprintln(os.Stderr, "bench: first visit:", code, err)
			os.Exit(1)
		}
		u, _ := url.Parse(e.base)
		for _, ck := range c.Jar.Cookies(u) {
			cookies[i] = ck.Name + "=" + ck.Value
		}
	}
	// Rounds alternate between the two, so that whatever else the machine does in the meantime
	// weighs on both alike; the figures pool the rounds.
	ours, base := &result{}, &result{}
	var rounds []string
	for round := range pageRounds + 1 {
		o := load(*concurrency, *duration/pageRounds, func(w int) error {
			code, err := fetchWith(e.client, e.base+paths[w%len(paths)], cookies[w])
			if err == nil && code != 200 {
				err = fmt.Errorf("checkout %d", code)
			}
			return err
		})
		b := load(*concurrency, *duration/pageRounds, func(w int) error {
			code, err := fetch(e.client, bare)
			if err == nil && code != 200 {
				err = fmt.Errorf("bare %d", code)
			}
			return err
		})
		if round == 0 {
			continue // the first round warms both up (connections, stacks, caches) and is not counted
		}
		rounds = append(rounds, fmt.Sprintf("%.2f", o.rate()/b.rate()))
		ours.add(o)
		base.add(b)
	}
	fmt.Fprintln(os.Stderr, "bench: checkout page ratio per round:", strings.Join(rounds, " "))
	fail("checkout page", ours)
	return row{"Checkout page `GET /checkout/{token}` (" + strconv.Itoa(len(page)) + " B)",
		fmt.Sprintf("%.0f req/s, p50 %s, p99 %s", ours.rate(), ms(ours.pct(.5)), ms(ours.pct(.99))),
		fmt.Sprintf("%.0f req/s, p50 %s, p99 %s (bare net/http, same size)", base.rate(), ms(base.pct(.5)), ms(base.pct(.99))),
		fmt.Sprintf("%.2f", ours.rate()/base.rate()), "≥ 0.5"}
}

// startBare serves page as a bare net/http handler would, gzipped as the server sends pages
// (stdlib gzip at the same level, pooled writers) to clients that take it, as browsers and Go's
// client do: the baseline pays for the same compression as the page it is compared with.
func startBare(page []byte) string {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	pool := sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed); return w }}
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Vary", "Accept-Encoding")
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.Write(page)
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		zw := pool.Get().(*gzip.Writer)
		zw.Reset(w)
		zw.Write(page)
		zw.Close()
		pool.Put(zw)
	}))
	return "http://" + ln.Addr().String() + "/"
}

func rawInserts(dir string, conc int, d time.Duration) *result {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "raw.db")+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate")
	if err != nil {
		return &result{errs: 1, firstErr: err, elapsed: time.Second}
	}
	defer db.Close()
	db.SetMaxOpenConns(8)
	db.Exec(`CREATE TABLE t (id TEXT PRIMARY KEY, amount INTEGER, created TEXT)`)
	var n atomic.Int64
	return load(conc, d, func(int) error {
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO t VALUES (?, ?, ?)`, strconv.FormatInt(n.Add(1), 10), 24900, time.Now().String()); err != nil {
			tx.Rollback()
			return err
		}
		return tx.Commit()
	})
}

// qrPath compares frames per second of the server's whole QR path (status, bank poll, payload,
// encoding, PNG over HTTP) with go-qrcode's own encoding of a payload of the same length.
func qrPath(e *env) []row {
	var paths []string
	for i := 0; i < 64; i++ {
		p, _ := e.createPayment(e.client)
		c := newClient(true)
		if err := e.startBankID(c, p); err == nil {
			paths = append(paths, p)
		}
	}
	payload := bankid.QRPayload("67df3917-fa0d-44e5-b327-edcc928297f8", "d28db9a7-4cde-429e-a983-359be676944c", 42)
	conc := runtime.GOMAXPROCS(0) * 4
	alone := load(conc, *duration, func(int) error { _, err := qrcode.Encode(payload, qrcode.Medium, -4); return err })
	var t atomic.Int64
	fresh := load(conc, *duration, func(int) error {
		_, err := handlers.QRPNG(bankid.QRPayload("67df3917-fa0d-44e5-b327-edcc928297f8", "d28db9a7-4cde-429e-a983-359be676944c", t.Add(1)))
		return err
	})
	rows := []row{{"BankID QR frame made fresh (HMAC payload, QR symbol, 1-bit PNG)",
		fmt.Sprintf("%.0f frames/s", fresh.rate()), fmt.Sprintf("%.0f frames/s (go-qrcode Encode alone)", alone.rate()),
		fmt.Sprintf("%.2f", fresh.rate()/alone.rate()), "as cheap as the design allows"}}
	whole := load(conc, *duration, func(w int) error {
		code, err := fetch(e.client, e.base+paths[w%len(paths)]+"/qr.png?f="+strconv.Itoa(w))
		if err == nil && code != 200 {
			err = fmt.Errorf("qr %d", code)
		}
		return err
	})
	return append(rows, row{fmt.Sprintf("BankID QR over HTTP, %d orders (`GET …/qr.png`; a frame is drawn once a second per order and shared)", len(paths)),
		fmt.Sprintf("%.0f requests/s, p99 %s", whole.rate(), ms(whole.pct(.99))),
		fmt.Sprintf("%.0f frames/s (go-qrcode Encode alone)", alone.rate()),
		fmt.Sprintf("%.2f", whole.rate()/alone.rate()), ""})
}

// journeys runs complete decoupled journeys concurrently, approving in the sandbox's BankID app.
func journeys(e *env) *result {
	refRe := regexp.MustCompile(`name="ref" value="([^"]+)"`)
	return load(8, 2**duration, func(int) error {
		c := newClient(true)
		p, err := e.createPayment(c)
		if err != nil {
			return err
		}
		if err := e.startBankID(c, p); err != nil {
			return err
		}
		s, err := e.status(c, p)
		if err != nil || s.QR == "" {
			return fmt.Errorf("no QR: %v", err)
		}
		png, _, err := get(c, e.base+s.QR)
		if err != nil {
			return err
		}
		payload, err := sandbox.DecodeQR(bytes.NewReader(png))
		if err != nil {
			return fmt.Errorf("decode: %w", err)
		}
		resp, err := c.PostForm(e.base+"/sandbox/bankid/scan", url.Values{"payload": {payload}})
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := refRe.FindSubmatch(body)
		if m == nil {
			return fmt.Errorf("scan refused: %d", resp.StatusCode)
		}
		resp, err = c.PostForm(e.base+"/sandbox/bankid/sign", url.Values{"ref": {string(m[1])}, "decision": {"approve"}})
		if err != nil {
			return err
		}
		resp.Body.Close()
		// The page asks every second, as live.js does, until the payment has moved on.
		for i := 0; i < 10; i++ {
			if s, err = e.status(c, p); err != nil {
				return err
			}
			if s.Status == "completed" {
				return nil
			}
			time.Sleep(250 * time.Millisecond)
		}
		return fmt.Errorf("journey ended %s", s.Status)
	})
}
