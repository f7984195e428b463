package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// shopperPage is one page a shopper sees, as that shopper (with their session cookie).
type shopperPage struct {
	name, url, cookie string
	// waits says the page has something to wait for (the bank's answer): it may talk to the
	// server while open. A page that does not must be silent once loaded.
	waits bool
}

// createWith creates a payment from a JSON body and returns its checkout path.
func (e *env) createWith(c *http.Client, body string) (string, error) {
	req, _ := http.NewRequest("POST", e.base+"/api/v1/payments", strings.NewReader(body))
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
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		return "", fmt.Errorf("create: %w", err)
	}
	u, err := url.Parse(p.CheckoutURL)
	if err != nil {
		return "", fmt.Errorf("create: %w", err)
	}
	return u.Path, nil
}

// post sends a form with the page's CSRF token and returns where the server sends the shopper.
func (e *env) post(c *http.Client, page, action string, form url.Values) (string, error) {
	b, code, err := get(c, e.base+page)
	if err != nil || code != 200 {
		return "", fmt.Errorf("%s: %d %v", page, code, err)
	}
	m := csrfRe.FindSubmatch(b)
	if m == nil {
		return "", fmt.Errorf("%s: no csrf token", page)
	}
	form.Set("csrf", string(m[1]))
	resp, err := c.PostForm(e.base+action, form)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return "", fmt.Errorf("%s: %d", action, resp.StatusCode)
	}
	return resp.Header.Get("Location"), nil
}

func cookieOf(e *env, c *http.Client) string {
	u, _ := url.Parse(e.base)
	var parts []string
	for _, ck := range c.Jar.Cookies(u) {
		parts = append(parts, ck.Name+"="+ck.Value)
	}
	return strings.Join(parts, "; ")
}

// shopperPages opens, in the sandbox, each page a shopper may see: the picker, the question
// about their account, BankID, waiting for a redirect bank, the one-time code and the result.
func shopperPages(e *env) ([]shopperPage, error) {
	const withDebtor = `{"amount":"249.00","currency":"SEK","reference":"Bench order","debtor":{"country":"SE","clearing_number":"6789","account_number":"123456789"}}`
	var pages []shopperPage
	add := func(name, path string, c *http.Client, waits bool) {
		pages = append(pages, shopperPage{name: name, url: e.base + path, cookie: cookieOf(e, c), waits: waits})
	}
	c := newClient(true)
	p, err := e.createWith(c, withDebtor)
	if err != nil {
		return nil, err
	}
	if _, _, err := get(c, e.base+p); err != nil {
		return nil, err
	}
	add("picker", p, c, false)

	c = newClient(true)
	if p, err = e.createWith(c, `{"amount":"249.00","currency":"SEK","reference":"Bench order","debtor":null}`); err != nil {
		return nil, err
	}
	to, err := e.post(c, p, p+"/bank", url.Values{"bank": {"HANDSESS"}})
	if err != nil {
		return nil, err
	}
	add("account question", to, c, false)

	c = newClient(true)
	if p, err = e.createWith(c, withDebtor); err != nil {
		return nil, err
	}
	if _, err := e.post(c, p, p+"/bank", url.Values{"bank": {"HANDSESS"}}); err != nil {
		return nil, err
	}
	add("BankID", p, c, true)

	c = newClient(true)
	if p, err = e.createWith(c, withDebtor); err != nil {
		return nil, err
	}
	if _, err := e.post(c, p, p+"/bank", url.Values{"bank": {"NDEASESS"}}); err != nil {
		return nil, err
	}
	add("waiting", p, c, false) // back from the bank without an answer: nothing comes by itself

	c = newClient(true)
	if p, err = e.createWith(c, `{"amount":"120.50","currency":"EUR","reference":"Encomenda 9"}`); err != nil {
		return nil, err
	}
	if _, err := e.post(c, p, p+"/bank", url.Values{"bank": {"BOTPPTPL"}}); err != nil {
		return nil, err
	}
	add("one-time code", p, c, false)

	c = newClient(true)
	if p, err = e.createWith(c, `{"amount":"120.50","currency":"EUR","reference":"Encomenda 10"}`); err != nil {
		return nil, err
	}
	if _, err := e.post(c, p, p+"/bank", url.Values{"bank": {"BOTPPTPL"}}); err != nil {
		return nil, err
	}
	if _, err := e.post(c, p, p+"/otp", url.Values{"otp": {"123456"}}); err != nil {
		return nil, err
	}
	add("result", p, c, false)
	return pages, nil
}

// chromiumPath is Debian's Chromium, which the browser measurements drive.
func chromiumPath() string {
	if p := os.Getenv("CHROME_PATH"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// idleQuiet is how long a loaded page is watched for requests it sends by itself.
const idleQuiet = 5 * time.Second

// idlePages opens each shopper page in Chromium, lets it load, and counts the requests it sends
// by itself in the next idleQuiet: a page with nothing to wait for must send none (an idle
// shopper would otherwise cost a request, or a page render, every second).
func idlePages(pages []shopperPage) row {
	what := fmt.Sprintf("Idle pages (requests sent by a loaded page in %s on its own)", idleQuiet)
	if _, err := exec.LookPath(chromiumPath()); err != nil {
		return row{what, "not measured: no Chromium at " + chromiumPath(), "", "", "0 on pages with nothing to wait for"}
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath()), chromedp.NoSandbox, chromedp.DisableGPU)
	alloc, stop := chromedp.NewExecAllocator(context.Background(), opts...)
	defer stop()
	var parts []string
	verdict := "quiet"
	for _, pg := range pages {
		n, err := idleRequests(alloc, pg)
		if err != nil {
			parts = append(parts, pg.name+": "+err.Error())
			verdict = "not measured"
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %d", pg.name, n))
		if n > 0 && !pg.waits {
			verdict = "talks while idle"
		}
	}
	return row{what, strings.Join(parts, ", "), "", verdict, "0 on pages with nothing to wait for"}
}

func idleRequests(alloc context.Context, pg shopperPage) (int, error) {
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancel2 := context.WithTimeout(ctx, 30*time.Second)
	defer cancel2()
	var mu sync.Mutex
	armed, n := false, 0
	chromedp.ListenTarget(ctx, func(ev any) {
		// The browser fetches the page's icon by itself, once, some time after the load; data: URLs
		// (the QR drawn in the page) never reach the server.
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && !strings.HasSuffix(e.Request.URL, "/favicon.svg") && !strings.HasPrefix(e.Request.URL, "data:") {
			mu.Lock()
			if armed {
				n++
			}
			mu.Unlock()
		}
	})
	err := chromedp.Run(ctx, network.Enable(), network.SetExtraHTTPHeaders(network.Headers{"Cookie": pg.cookie}),
		chromedp.Navigate(pg.url), chromedp.Sleep(500*time.Millisecond))
	if err != nil {
		return 0, fmt.Errorf("open: %w", err)
	}
	mu.Lock()
	armed = true
	mu.Unlock()
	time.Sleep(idleQuiet)
	mu.Lock()
	defer mu.Unlock()
	return n, nil
}

// lighthouseBin is the pinned Lighthouse from npm (package.json), installed by npm ci.
const lighthouseBin = "node_modules/.bin/lighthouse"

// lighthouse audits each shopper page with Lighthouse's mobile preset (a mid-range phone on a
// slow 4G connection, simulated) in Debian's Chromium, one row a page.
func lighthouse(pages []shopperPage) []row {
	const target = "100 in each category"
	if _, err := os.Stat(lighthouseBin); err != nil {
		return []row{{"Lighthouse (page)", "not measured: no " + lighthouseBin + " (npm ci)", "", "", target}}
	}
	var rows []row
	for _, pg := range pages {
		what := "Lighthouse (" + pg.name + ", mobile)"
		r, err := lighthouseRun(pg)
		if err != nil {
			rows = append(rows, row{what, "not measured: " + err.Error(), "", "", target})
			continue
		}
		verdict := "met"
		if r.perf < 100 || r.a11y < 100 || r.bp < 100 {
			verdict = "not met"
		}
		rows = append(rows, row{what, fmt.Sprintf("performance %d, accessibility %d, best practices %d; LCP %.0f ms, TBT %.0f ms, CLS %.3f, %d bytes",
			r.perf, r.a11y, r.bp, r.lcp, r.tbt, r.cls, r.bytes), "", verdict, target})
	}
	return rows
}

type lighthouseResult struct {
	perf, a11y, bp int
	lcp, tbt, cls  float64
	bytes          int64
}

func lighthouseRun(pg shopperPage) (lighthouseResult, error) {
	var r lighthouseResult
	out, err := os.CreateTemp("", "lighthouse-*.json")
	if err != nil {
		return r, err
	}
	out.Close()
	defer os.Remove(out.Name())
	headers, _ := json.Marshal(map[string]string{"Cookie": pg.cookie})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, lighthouseBin, pg.url, "--output=json", "--output-path="+out.Name(), "--quiet",
		"--only-categories=performance,accessibility,best-practices", "--extra-headers="+string(headers),
		"--max-wait-for-load=20000", "--chrome-flags=--headless --no-sandbox --disable-gpu")
	cmd.Env = append(os.Environ(), "CHROME_PATH="+chromiumPath())
	if msg, err := cmd.CombinedOutput(); err != nil {
		return r, fmt.Errorf("lighthouse: %w: %.200s", err, msg)
	}
	b, err := os.ReadFile(out.Name())
	if err != nil {
		return r, err
	}
	var rep struct {
		Categories map[string]struct{ Score *float64 }
		Audits     map[string]struct{ NumericValue float64 }
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		return r, fmt.Errorf("lighthouse report: %w", err)
	}
	score := func(c string) int {
		if s := rep.Categories[c].Score; s != nil {
			return int(*s*100 + 0.5)
		}
		return -1
	}
	r.perf, r.a11y, r.bp = score("performance"), score("accessibility"), score("best-practices")
	r.lcp, r.tbt = rep.Audits["largest-contentful-paint"].NumericValue, rep.Audits["total-blocking-time"].NumericValue
	r.cls, r.bytes = rep.Audits["cumulative-layout-shift"].NumericValue, int64(rep.Audits["total-byte-weight"].NumericValue)
	return r, nil
}
