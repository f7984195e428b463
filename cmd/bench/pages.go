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
