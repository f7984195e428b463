package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"paybybank/app"
	"paybybank/banks/sandbox"
)

// What the shopper waits for, timed through the sandbox with its banks answering after
// -bank-delay per call, as a real bank over the internet might.
var (
	bankDelay     = flag.Duration("bank-delay", 150*time.Millisecond, "how long the sandbox's banks take to answer each call (time to QR and to result)")
	timedJourneys = flag.Int("timed-journeys", 60, "BankID journeys timed for time to QR and time to result")
)

// both sends each log record to two handlers.
type both [2]slog.Handler

func (b both) Enabled(ctx context.Context, l slog.Level) bool {
	return b[0].Enabled(ctx, l) || b[1].Enabled(ctx, l)
}

func (b both) Handle(ctx context.Context, r slog.Record) error {
	for _, h := range b {
		if h.Enabled(ctx, r.Level) {
			h.Handle(ctx, r.Clone())
		}
	}
	return nil
}

func (b both) WithAttrs(as []slog.Attr) slog.Handler {
	return both{b[0].WithAttrs(as), b[1].WithAttrs(as)}
}
func (b both) WithGroup(g string) slog.Handler { return both{b[0].WithGroup(g), b[1].WithGroup(g)} }

// callCounter counts the server's bank calls (the connectors' "bank call" records, each attempt
// one), by provider and by the shopper's request that made them.
type callCounter struct {
	mu         sync.Mutex
	byProvider map[string]int
	byRequest  map[string]int
}

func newCallCounter() *callCounter {
	return &callCounter{byProvider: map[string]int{}, byRequest: map[string]int{}}
}

func (c *callCounter) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (c *callCounter) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "bank call" && r.Message != "bank call failed" {
		return nil
	}
	var provider, req string
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "provider":
			provider = a.Value.String()
		case "request_id":
			req = a.Value.String()
		}
		return true
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byProvider[provider]++
	if req != "" {
		c.byRequest[req]++
	}
	return nil
}

func (c *callCounter) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *callCounter) WithGroup(string) slog.Handler      { return c }

func (c *callCounter) providers() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return copyCounts(c.byProvider)
}

// copyCounts copies a map of counts.
func copyCounts(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (c *callCounter) forRequests(ids ...string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, id := range ids {
		n += c.byRequest[id]
	}
	return n
}

// slowBanks makes the sandbox's bank APIs (not its BankID app, which is the shopper's phone)
// answer after -bank-delay.
func slowBanks(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, api := range []string{"/sandbox/openpayments/", "/sandbox/sibs/", "/sandbox/sbm/", "/sandbox/powens/"} {
			if strings.HasPrefix(r.URL.Path, api) {
				time.Sleep(*bankDelay)
				break
			}
		}
		next.ServeHTTP(w, r)
	})
}

var qrImgRe = regexp.MustCompile(`id="qr" class="qr" src="([^"]+)"`)

// shopperTimes times BankID journeys as the shopper sees them: from the click on the bank to a
// QR on screen (the form post, the page it leads to, the QR image that page shows), and from the
// app's approval to the result arriving over the page's event stream. It also counts the bank
// calls each completed payment took, by provider.
func shopperTimes(dir string) []row {
	calls := newCallCounter()
	e, err := serveWith(dir, "timed.db", func(c *app.Config) { c.Sandbox = true }, calls, slowBanks)
	if err != nil {
		return []row{{"Time to QR", "not measured: " + err.Error(), "", "", ""}}
	}
	e.app.Sandbox.OpenPayments.StartTimeout = time.Hour
	var mu sync.Mutex
	var toQR, toResult []time.Duration
	var qrCalls []int
	var errs atomic.Int64
	var firstErr atomic.Value
	var done atomic.Int64
	before := calls.providers()
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				q, res, n, err := timedJourney(e, calls)
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				done.Add(1)
				mu.Lock()
				toQR, toResult, qrCalls = append(toQR, q), append(toResult, res), append(qrCalls, n)
				mu.Unlock()
			}
		}()
	}
	for i := range *timedJourneys {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	after := calls.providers()
	bankID := after["openpayments"] - before["openpayments"]

	// One-time code payments (SIBS, embedded), for their provider's calls per payment.
	otpDone, otpErr := 0, error(nil)
	before = calls.providers()
	for range 10 {
		if err := otpJourney(e); err != nil {
			otpErr = err
			continue
		}
		otpDone++
	}
	after = calls.providers()
	var otpParts []string
	for p, n := range after {
		if d := n - before[p]; d > 0 && otpDone > 0 {
			otpParts = append(otpParts, fmt.Sprintf("%s (one-time code) %.1f", p, float64(d)/float64(otpDone)))
		}
	}
	sort.Strings(otpParts)

	pct := func(ds []time.Duration, p float64) time.Duration {
		if len(ds) == 0 {
			return 0
		}
		slices.Sort(ds)
		return ds[min(len(ds)-1, int(float64(len(ds))*p))]
	}
	slices.Sort(qrCalls)
	medianCalls := 0
	if len(qrCalls) > 0 {
		medianCalls = qrCalls[len(qrCalls)/2]
	}
	qrTarget := time.Duration(medianCalls)**bankDelay + 100*time.Millisecond
	errNote := ""
	if n := errs.Load(); n > 0 {
		errNote = fmt.Sprintf(", %d errors (first: %v)", n, firstErr.Load())
	}
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "not met"
	}
	rows := []row{
		{fmt.Sprintf("Time to QR (BankID: click on the bank → QR on screen; %d journeys, 4 at a time, bank answering after %s a call)", len(toQR), *bankDelay),
			fmt.Sprintf("p50 %s, p99 %s; %d bank calls on the way (median)%s", ms(pct(toQR, .5)), ms(pct(toQR, .99)), medianCalls, errNote), "",
			verdict(pct(toQR, .99) <= qrTarget && len(toQR) > 0), fmt.Sprintf("≤ %s (%d calls × %s + 100 ms)", ms(qrTarget), medianCalls, *bankDelay)},
		{fmt.Sprintf("Time to result (BankID: approval in the app → result on screen, over the page's event stream; %d journeys)", len(toResult)),
			fmt.Sprintf("p50 %s, p99 %s%s", ms(pct(toResult, .5)), ms(pct(toResult, .99)), errNote), "",
			verdict(pct(toResult, .99) < 1200*time.Millisecond && len(toResult) > 0), "p99 < 1.2 s"},
	}
	perPayment := fmt.Sprintf("openpayments (BankID, decoupled) %.1f", float64(bankID)/float64(max(done.Load(), 1)))
	if len(otpParts) > 0 {
		perPayment += ", " + strings.Join(otpParts, ", ")
	}
	if otpErr != nil {
		perPayment += fmt.Sprintf(" (one-time code: %d of 10 completed, last error: %v)", otpDone, otpErr)
	}
	rows = append(rows, row{"Bank calls per payment (provider), completed payments, every attempt counted (token, creation, authorisation, polls while the shopper waits, status)",
		perPayment, "", "", "as few as the bank's API allows"})
	return rows
}

// timedJourney runs one BankID journey and returns its time to QR, time to result and the bank
// calls made on the way to the QR.
func timedJourney(e *env, calls *callCounter) (time.Duration, time.Duration, int, error) {
	c := newClient(true)
	p, err := e.createWith(c, `{"amount":"249.00","currency":"SEK","reference":"Bench order","debtor":{"country":"SE","clearing_number":"6789","account_number":"123456789"}}`)
	if err != nil {
		return 0, 0, 0, err
	}
	page, code, err := get(c, e.base+p)
	if err != nil || code != 200 {
		return 0, 0, 0, fmt.Errorf("picker %d: %v", code, err)
	}
	m := csrfRe.FindSubmatch(page)
	if m == nil {
		return 0, 0, 0, fmt.Errorf("no csrf token")
	}
	// The click: the form, the page it leads to, the QR image on that page.
	start := time.Now()
	resp, err := c.PostForm(e.base+p+"/bank", url.Values{"bank": {"HANDSESS"}, "csrf": {string(m[1])}})
	if err != nil {
		return 0, 0, 0, err
	}
	resp.Body.Close()
	ids := []string{resp.Header.Get("X-Request-ID")}
	if resp.StatusCode != 303 {
		return 0, 0, 0, fmt.Errorf("choose bank: %d", resp.StatusCode)
	}
	resp, err = c.Get(e.base + resp.Header.Get("Location"))
	if err != nil {
		return 0, 0, 0, err
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	ids = append(ids, resp.Header.Get("X-Request-ID"))
	qm := qrImgRe.FindSubmatch(page)
	if qm == nil {
		return 0, 0, 0, fmt.Errorf("the BankID page shows no QR (%d)", resp.StatusCode)
	}
	resp, err = c.Get(e.base + html.UnescapeString(string(qm[1])))
	if err != nil {
		return 0, 0, 0, err
	}
	png, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	toQR := time.Since(start)
	ids = append(ids, resp.Header.Get("X-Request-ID"))
	payload, err := sandbox.DecodeQR(bytes.NewReader(png))
	if err != nil {
		return 0, 0, 0, fmt.Errorf("decode: %w", err)
	}

	// The page's event stream, open while the shopper approves in the app.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.base+p+"/events?page=bankid", nil)
	stream := *c
	stream.Timeout = 0
	sresp, err := stream.Do(req)
	if err != nil {
		return 0, 0, 0, err
	}
	defer sresp.Body.Close()
	frames := make(chan statusAnswer, 64)
	go func() {
		defer close(frames)
		lines := bufio.NewScanner(sresp.Body)
		for lines.Scan() {
			if data, ok := strings.CutPrefix(lines.Text(), "data: "); ok {
				var s statusAnswer
				json.Unmarshal([]byte(data), &s)
				frames <- s
			}
		}
	}()
	<-frames // the stream is open
	resp, err = c.PostForm(e.base+"/sandbox/bankid/scan", url.Values{"payload": {payload}})
	if err != nil {
		return 0, 0, 0, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	ref := regexp.MustCompile(`name="ref" value="([^"]+)"`).FindSubmatch(body)
	if ref == nil {
		return 0, 0, 0, fmt.Errorf("scan refused: %d", resp.StatusCode)
	}
	resp, err = c.PostForm(e.base+"/sandbox/bankid/sign", url.Values{"ref": {string(ref[1])}, "decision": {"approve"}})
	if err != nil {
		return 0, 0, 0, err
	}
	resp.Body.Close()
	approved := time.Now()
	for s := range frames {
		if s.Next != "" || s.Status == "completed" {
			return toQR, time.Since(approved), calls.forRequests(ids...), nil
		}
	}
	return 0, 0, 0, fmt.Errorf("the stream ended before the result")
}

// otpJourney pays with the sandbox's one-time code bank.
func otpJourney(e *env) error {
	c := newClient(true)
	p, err := e.createWith(c, `{"amount":"120.50","currency":"EUR","reference":"Encomenda 9"}`)
	if err != nil {
		return err
	}
	if _, err := e.post(c, p, p+"/bank", url.Values{"bank": {"BOTPPTPL"}}); err != nil {
		return err
	}
	if _, err := e.post(c, p, p+"/otp", url.Values{"otp": {"123456"}}); err != nil {
		return err
	}
	page, _, err := get(c, e.base+p)
	if err != nil {
		return err
	}
	if !bytes.Contains(page, []byte("Payment completed")) {
		return fmt.Errorf("one-time code payment not completed")
	}
	return nil
}
